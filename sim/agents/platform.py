"""The lending platform: credit-line policy, billing, delinquency, charge-off and recoveries.

The platform grants each new borrower a limit from income and score, raises it after
a run of on-time months, cuts it when the score falls through a threshold, and
freezes purchases while an account is past due. It issues monthly statements, takes
payments on the due date (fees first, then the oldest instalments), charges an
account off when its oldest unpaid bill reaches the charge-off age, and collects
recoveries on charged-off balances along a lag curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import beta

from sim.agents.borrowers import BorrowerPool
from sim.config import RunConfig
from sim.ledger import DAYS_PER_MONTH, Ledger

LIMIT_STEP_CENTS = 10_000  # limits are granted in whole hundreds of currency units


@dataclass
class DueDateOutcome:
    """What happened at one due date, per account 0..n-1 (cents and flags)."""

    owed: np.ndarray
    paid: np.ndarray
    paid_principal: np.ndarray
    paid_fee: np.ndarray
    missed: np.ndarray
    cured: np.ndarray
    limit_increases: int
    limit_cuts: int


@dataclass
class ChargeOffOutcome:
    """Accounts charged off at one run of the charge-off batch."""

    index: np.ndarray
    principal: np.ndarray
    fee: np.ndarray
    recovery_total: np.ndarray


def recovery_flows(totals: np.ndarray, curve: np.ndarray, month: int) -> int:
    """Cents recovered in ``month`` from charge-off cohorts ``totals[k]`` (month k).

    Cohort k has recovered ``round(totals[k] * cumsum(curve)[j])`` by ``j`` months after
    its charge-off, so every cohort's recoveries add up exactly to its total.
    """
    cum = np.concatenate([[0.0], np.cumsum(curve) / np.sum(curve)])
    lag = month - np.arange(totals.shape[0])
    ok = lag >= 0
    upto = np.rint(totals[ok] * cum[np.minimum(lag[ok] + 1, len(cum) - 1)])
    before = np.rint(totals[ok] * cum[np.minimum(lag[ok], len(cum) - 1)])
    return int((upto - before).sum())


class Platform:
    """Accounts, limits and status of every borrower slot, and the rules that move them."""

    def __init__(self, config: RunConfig, capacity: int):
        self.config = config
        bill = config.billing
        self.ledger = Ledger(capacity, bill.chargeoff_dpd, bill.due_day)
        self.limit = np.zeros(capacity, dtype=np.int64)
        self.active = np.zeros(capacity, dtype=bool)
        self.onboard_month = np.full(capacity, -1, dtype=np.int32)
        self.chargeoff_month = np.full(capacity, -1, dtype=np.int32)
        self.recovery_total = np.zeros(capacity, dtype=np.int64)
        self.on_time_streak = np.zeros(capacity, dtype=np.int32)
        self.recovery_by_cohort = np.zeros(config.book.horizon_months, dtype=np.int64)
        self.recovery_curve = np.asarray(config.recovery.lag_curve, dtype=float)

    # -- credit lines -----------------------------------------------------------------------
    def onboard(self, lo: int, hi: int, month: int, pool: BorrowerPool) -> None:
        """Open accounts for borrower slots lo..hi-1 with limits from income and score."""
        cl = self.config.credit_line
        factor = np.maximum(1.0 + cl.score_slope * (pool.score[lo:hi] - 700.0), 0.2)
        limit = pool.permanent_income[lo:hi] * cl.income_multiple * factor
        limit = np.clip(limit, cl.min_limit, cl.max_limit) * 100.0
        self.limit[lo:hi] = (limit // LIMIT_STEP_CENTS).astype(np.int64) * LIMIT_STEP_CENTS
        self.active[lo:hi] = True
        self.onboard_month[lo:hi] = month

    def review_limits(self, n: int, pool: BorrowerPool, paid_on_time: np.ndarray,
                      missed: np.ndarray, score_before: np.ndarray) -> tuple[int, int]:
        """Raise limits after ``increase_after_months`` clean months; cut on a score drop.

        Increases stop at ``max_limit`` and at ``max_income_multiple`` months of income;
        a cut happens when the score crosses below ``cut_score``.

        Returns:
            (number of increases, number of cuts).
        """
        cl = self.config.credit_line
        streak = self.on_time_streak[:n]
        streak[:] = np.where(missed, 0, streak + paid_on_time)
        up = self.active[:n] & (streak >= cl.increase_after_months)
        cap = np.minimum(cl.max_limit, cl.max_income_multiple * pool.permanent_income[:n]) * 100.0
        raised = np.minimum(self.limit[:n] * (1.0 + cl.increase_pct), cap)
        raised = (raised // LIMIT_STEP_CENTS).astype(np.int64) * LIMIT_STEP_CENTS
        self.limit[:n] = np.where(up, np.maximum(raised, self.limit[:n]), self.limit[:n])
        streak[up] = 0
        score_after = pool.score[:n]
        cut = self.active[:n] & (score_before >= cl.cut_score) & (score_after < cl.cut_score)
        self.limit[:n] = np.where(
            cut, (self.limit[:n] * (1.0 - cl.cut_pct)).astype(np.int64), self.limit[:n]
        )
        return int(up.sum()), int(cut.sum())

    # -- billing and payments ----------------------------------------------------------------
    def statement(self, month: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Issue the month's statements; late fees accrue on overdue principal."""
        late_rate = self.config.billing.late_fee_daily * DAYS_PER_MONTH
        return self.ledger.bill(month, n, late_rate)

    def due_date(self, month: int, n: int, pool: BorrowerPool,
                 rng: np.random.Generator) -> DueDateOutcome:
        """Take payments at the due date, then update scores and limits."""
        ledger = self.ledger
        oldest = ledger.oldest_due_month(n)
        was_delinquent = (oldest >= 0) & (oldest < month)
        owed = ledger.owed(n)
        paid = pool.payments(owed, rng)
        paid_principal, paid_fee = ledger.pay(month, paid)
        left = owed - paid
        missed = left > 0
        cured = was_delinquent & ~missed
        paid_on_time = (owed > 0) & ~missed
        score_before = pool.score[:n].copy()
        pool.update_score(paid_on_time & ~cured, missed, cured)
        ups, cuts = self.review_limits(n, pool, paid_on_time | (owed == 0), missed, score_before)
        return DueDateOutcome(owed, paid, paid_principal, paid_fee, missed, cured, ups, cuts)

    def purchases(self, month: int, n: int, day: float, pool: BorrowerPool,
                  rng: np.random.Generator) -> np.ndarray:
        """Book this month's purchases of eligible borrowers, bounded by the open limit.

        Eligible: active, not frozen (days past due below ``freeze_dpd``).
        """
        desired = pool.desired_purchases(n, rng)
        term = pool.choose_plan(n, rng)
        dpd = self.ledger.days_past_due(day, n)
        eligible = self.active[:n] & (dpd < self.config.credit_line.freeze_dpd)
        open_limit = np.maximum(self.limit[:n] - self.ledger.balance(n), 0)
        amount = np.where(eligible, np.minimum(desired, open_limit), 0)
        self.ledger.book_purchase(month, amount, term, self.config.billing.instalment_fee)
        return amount

    # -- charge-off and recoveries ------------------------------------------------------------
    def charge_off(self, day: float, month: int, n: int, pool: BorrowerPool,
                   rng: np.random.Generator) -> ChargeOffOutcome:
        """Charge off accounts whose oldest unpaid bill is ``chargeoff_dpd`` days past due."""
        rec = self.config.recovery
        share = rng.random(n)  # one uniform per borrower, whoever defaults
        dpd = self.ledger.days_past_due(day, n)
        mask = self.active[:n] & (dpd >= self.config.billing.chargeoff_dpd)
        idx = np.flatnonzero(mask)
        principal, fee = self.ledger.write_off(mask)
        mean = np.where(pool.employed[idx], rec.mean_rate, rec.mean_rate * rec.unemployed_factor)
        mean = np.clip(mean, 1e-6, 1 - 1e-6)
        frac = beta.ppf(share[idx], mean * rec.concentration, (1 - mean) * rec.concentration)
        total = np.rint((principal + fee) * frac).astype(np.int64)
        self.active[idx] = False
        self.chargeoff_month[idx] = month
        self.recovery_total[idx] = total
        self.recovery_by_cohort[month] += int(total.sum())
        return ChargeOffOutcome(idx, principal, fee, total)

    def recoveries(self, month: int) -> int:
        """Cents recovered this month on all accounts charged off so far."""
        return recovery_flows(self.recovery_by_cohort[: month + 1], self.recovery_curve, month)

    @property
    def capacity(self) -> int:
        return self.limit.shape[0]
