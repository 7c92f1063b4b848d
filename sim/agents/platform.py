"""The lending platform: credit-line policy, billing, delinquency, charge-off and recoveries.

The platform grants each new borrower a limit from income and score, raises it after
a run of on-time months, cuts it when the score falls through a threshold, and
freezes purchases while an account is past due. It issues monthly statements, takes
payments on the due date (fees first, then the oldest instalments), charges an
account off when its oldest unpaid bill reaches the charge-off age, and collects
recoveries on charged-off balances along a lag curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.agents.benchmark_models import BENCHMARK_MODELS, benchmark_payments
from sim.agents.borrowers import BorrowerPool
from sim.agents.recoveries import Recoveries, recovery_channel, recovery_flows
from sim.config import PLAN_TERMS, BillingConfig, CreditLineConfig, RepaymentConfig
from sim.ledger import DAYS_PER_MONTH, Ledger, fee_rates

__all__ = ["ChargeOffOutcome", "DueDateOutcome", "Platform", "recovery_flows"]

LIMIT_STEP_CENTS = 10_000  # limits are granted in whole hundreds of currency units
RECENT_DECAY = 0.75  # monthly decay of the remembered missed payments, cuts and contacts


@dataclass
class DueDateOutcome:
    """What happened at one due date, per account 0..n-1 (cents and flags)."""

    owed: np.ndarray
    paid: np.ndarray
    paid_principal: np.ndarray
    paid_fee: np.ndarray
    missed: np.ndarray
    cured: np.ndarray
    days_past_due: np.ndarray  # just before the payment
    limit_increases: int
    limit_cuts: int


@dataclass
class ChargeOffOutcome:
    """Accounts charged off at one run of the charge-off batch."""

    index: np.ndarray
    principal: np.ndarray
    fee: np.ndarray
    recovery_total: np.ndarray
    channel: np.ndarray  # recovery channel per account (index into RECOVERY_CHANNELS)


class Platform:
    """Accounts, limits and status of every borrower slot, and the rules that move them."""

    def __init__(self, credit_line: CreditLineConfig, billing: BillingConfig,
                 repayment: RepaymentConfig, recovery: Recoveries, capacity: int):
        """Empty accounts for ``capacity`` borrower slots.

        Args:
            credit_line: limit policy (grants, increases, cuts, purchase freeze).
            billing: due day, late fees, acceleration and charge-off ages.
            repayment: read only for its ``model``; the analytic benchmark models decide
                payments here instead of the borrowers.
            recovery: the charge-off cohorts that :meth:`charge_off` books into.
            capacity: borrower slots (the ledger's and every per-account array's length).
        """
        self.credit_line, self.billing, self.repayment = credit_line, billing, repayment
        self.ledger = Ledger(capacity, billing.chargeoff_dpd, billing.due_day)
        self.limit = np.zeros(capacity, dtype=np.int32)  # cents; max_limit is below 2**31
        self.active = np.zeros(capacity, dtype=bool)
        # months (book.horizon_months is at most 240), -1 before onboarding / charge-off
        self.onboard_month = np.full(capacity, -1, dtype=np.int16)
        self.chargeoff_month = np.full(capacity, -1, dtype=np.int16)
        self.accelerated = np.zeros(capacity, dtype=bool)  # whole balance called due
        self.on_time_streak = np.zeros(capacity, dtype=np.int16)  # months, at most 240
        # what a lender remembers of the recent past (decaying by a quarter each month)
        self.recent_missed = np.zeros(capacity)
        self.recent_cut = np.zeros(capacity)
        self.recovery = recovery

    # -- credit lines -----------------------------------------------------------------------
    def onboard(self, lo: int, hi: int, month: int, pool: BorrowerPool) -> None:
        """Open accounts for borrower slots lo..hi-1 with limits from income and score."""
        cl = self.credit_line
        factor = np.maximum(1.0 + cl.score_slope * (pool.score[lo:hi] - 700.0), 0.2)
        limit = pool.permanent_income[lo:hi] * cl.income_multiple * factor * 100.0
        stepped = (limit // LIMIT_STEP_CENTS).astype(np.int64) * LIMIT_STEP_CENTS
        # clipped after rounding, so a bound that is not whole hundreds is still honoured
        low, high = math.ceil(cl.min_limit * 100.0), math.floor(cl.max_limit * 100.0)
        self.limit[lo:hi] = np.clip(stepped, low, max(low, high))
        self.active[lo:hi] = True
        self.onboard_month[lo:hi] = month

    def review_limits(self, n: int, pool: BorrowerPool, paid_on_time: np.ndarray,
                      missed: np.ndarray, score_before: np.ndarray) -> tuple[int, int]:
        """Raise limits after ``increase_after_months`` clean months; cut on a score drop.

        Increases stop at ``max_limit`` and at ``max_income_multiple`` months of income;
        a cut happens when the score crosses below ``cut_score``.

        Returns:
            (number of limits that rose, number of cuts); an account already at its cap
            completes its on-time run without counting as an increase.
        """
        from sim.kernels.limits import review  # numba loads with the first path

        cl = self.credit_line
        rules = (int(cl.increase_after_months), float(cl.max_limit),
                 float(cl.max_income_multiple), float(cl.increase_pct), float(cl.cut_score),
                 float(cl.cut_pct), LIMIT_STEP_CENTS, RECENT_DECAY)
        return review(n, rules, self.active, paid_on_time, missed, score_before, pool.score,
                      pool.permanent_income, self.limit, self.on_time_streak,
                      self.recent_missed, self.recent_cut)

    def cut_limits(self, idx: np.ndarray, pct: float) -> None:
        """Cut the limits of accounts ``idx`` by the share ``pct``, down to whole steps of
        :data:`LIMIT_STEP_CENTS`, and remember the cut (the early-warning action)."""
        cut = (self.limit[idx] * (1.0 - pct)).astype(np.int64)
        self.limit[idx] = cut // LIMIT_STEP_CENTS * LIMIT_STEP_CENTS
        self.recent_cut[idx] = 1.0

    # -- billing and payments ----------------------------------------------------------------
    def statement(self, month: int, n: int, held: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Issue the month's statements; late fees accrue on overdue principal; accounts
        ``billing.acceleration_dpd`` days past due have their whole balance called due,
        except those of 0..n-1 flagged in ``held`` ((n,) bool: a kept arrangement holds
        termination off)."""
        bill = self.billing
        open_ = self.active
        if held is not None:
            open_ = self.active.copy()
            open_[:n] &= ~held
        return self.ledger.statement(month, n, bill.late_fee_daily * DAYS_PER_MONTH,
                                     bill.acceleration_dpd, open_, self.accelerated)

    def due_date(self, month: int, n: int, pool: BorrowerPool,
                 rng: np.random.Generator) -> DueDateOutcome:
        """Take payments at the due date, then update scores and limits.

        The borrowers decide their payments (:meth:`BorrowerPool.payments`; whole bills when
        partial payments are not taken; their uniforms drawn inside the compiled pass
        :func:`sim.kernels.payments.due_date_payments`, :meth:`BorrowerPool.due_date_draws`,
        and the few whose wobble's normal is needed settled after it,
        :func:`sim.kernels.payments.settle_near`), or an analytic benchmark model does; the
        payments are booked, fees first (:meth:`Ledger.pay`), and the outcome moves
        escalation, acceleration and the behaviour score (``due_date_outcome``, a compiled
        pass), then the limits (:meth:`review_limits`).
        """
        from sim.kernels.payments import due_date_outcome, due_date_payments, settle_near

        ledger = self.ledger
        decide = self.repayment.model == "structural"
        given = np.zeros(0, dtype=np.int64)
        if self.repayment.model in BENCHMARK_MODELS:  # analytic benchmarks
            given, closing = benchmark_payments(self.repayment, month, ledger.oldest_due_month(n),
                                                self.onboard_month[:n], ledger.owed(n), rng)
            self.limit[:n][closing] = 0  # a closed line buys no more
        elif not decide:
            given = pool.payments(ledger.owed(n), rng)
        inputs = pool.payment_inputs(n, True)
        forget, wobble, near_below, z_far = pool.due_date_draws(n, rng, decide)
        owed, late, dpd, paid, near, near_u = due_date_payments(
            month, n, ledger.due_day, decide, given.astype(np.int64, copy=False), forget,
            wobble, near_below, z_far, *inputs, *ledger.bills(), ledger.oldest, ledger.unpaid)
        if near.size:  # the few whose wobble can make them refuse: its normal, then pay
            settle_near(month, near, near_u[0], pool.wobble_normals(near_u[1]), owed, late,
                        paid, *inputs, *ledger.bills())
        principal, fee = ledger.pay(month, paid)
        missed, cured, clean, score_before = due_date_outcome(
            owed, paid, late, pool.score_rules(), pool.score, pool.escalated, self.accelerated)
        ups, cuts = self.review_limits(n, pool, clean, missed, score_before)
        return DueDateOutcome(owed, paid, principal, fee, missed, cured, dpd, ups, cuts)

    def purchases(self, month: int, n: int, day: float, pool: BorrowerPool,
                  rng: np.random.Generator, by_cohort: np.ndarray | None = None) -> np.ndarray:
        """Book this month's purchases of borrowers 0..n-1 (cents, int64 (n,)): what each
        wants (:meth:`BorrowerPool.desired_purchases`) on the plan chosen
        (:meth:`BorrowerPool.choose_plan`), their draws in that order from the spending
        stream ``rng`` (:meth:`BorrowerPool.purchase_draws`), bounded by the open limit, for
        the eligible borrowers.

        Eligible: active, not frozen (days past due below ``freeze_dpd``), and not in a
        re-aged workout plan still being repaid. One compiled kernel
        (:func:`sim.kernels.spending.buy`) decides and books; it adds each account's
        purchase into ``by_cohort`` (float64, indexed by onboarding month, long enough), the
        sums ``np.bincount(onboard_month, weights=amount)`` gives.

        Raises:
            OverflowError: a balance went past :data:`sim.ledger.MAX_ACCOUNT_CENTS`.
        """
        from sim.kernels.spending import buy  # numba loads with the first path

        u_buy, noise, u_plan = pool.purchase_draws(n, rng)
        # a re-aged account is a workout: no new credit until its plan is repaid
        # (OCC/FFIEC account-management guidance: workout lines are closed to new charges)
        ledger = self.ledger
        rate = fee_rates(self.billing.instalment_fee, max(PLAN_TERMS))
        if by_cohort is None:
            by_cohort = np.zeros(int(self.onboard_month[:n].max(initial=0)) + 1)
        amount, top = buy(day, month, u_buy, noise, u_plan, *pool.wish_inputs(n),
                          ledger.due_day, self.credit_line.freeze_dpd, self.active,
                          ledger.oldest, ledger.reaged_left, self.limit, rate,
                          ledger.step_principal, ledger.step_fee, ledger.outstanding,
                          self.onboard_month, by_cohort)
        ledger.raise_if_above(int(top))
        return amount

    # -- charge-off and recoveries ------------------------------------------------------------
    def charge_off(self, day: float, month: int, n: int, pool: BorrowerPool,
                   rng: np.random.Generator, agency: np.ndarray,
                   legal: np.ndarray) -> ChargeOffOutcome:
        """Charge off accounts whose oldest unpaid bill is ``chargeoff_dpd`` days past due.

        ``agency`` and ``legal`` flag the accounts placed with the agency or taken to
        court; they decide which channel recovers the account.
        """
        u = rng.random((2, n))  # one pair per borrower, whoever defaults
        idx, principal, fee = self.ledger.charge_off(day, n, self.billing.chargeoff_dpd,
                                                     self.active)
        total = self.recovery.book(month, principal + fee, pool.employed[idx], agency[idx],
                                   legal[idx], u[0, idx], u[1, idx], pool.kind[idx])
        self.active[idx] = False
        self.chargeoff_month[idx] = month
        channel = recovery_channel(agency[idx], legal[idx])
        return ChargeOffOutcome(idx, principal, fee, total, channel)

    @property
    def capacity(self) -> int:
        return self.limit.shape[0]
