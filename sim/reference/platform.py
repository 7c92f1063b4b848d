"""The platform's rules for one account: limits, statements, due dates, purchases, charge-off.

Plain Python, one borrower at a time: the readable statement of
:class:`sim.agents.platform.Platform`'s rules. Every function takes the config, the
borrower (:class:`sim.reference.borrower.Borrower`, which holds its account) and that
borrower's draws, and returns what happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import beta

from sim import delinquency
from sim.config import RunConfig
from sim.delinquency import DAYS_PER_MONTH
from sim.reference.borrower import Borrower

LIMIT_STEP_CENTS = 10_000  # limits are granted in whole hundreds of currency units
RECENT_DECAY = 0.75  # monthly decay of the remembered missed payments, cuts and contacts
RECOVERY_CHANNELS = ("internal", "agency", "legal")


def initial_limit(config: RunConfig, b: Borrower) -> int:
    """Cents: ``income_multiple`` x permanent income x max(1 + ``score_slope`` x (score -
    700), 0.2), rounded down to whole hundreds, within ``min_limit``..``max_limit``."""
    cl = config.credit_line
    factor = max(1.0 + cl.score_slope * (b.score - 700.0), 0.2)
    limit = b.permanent_income * cl.income_multiple * factor * 100.0
    stepped = int(limit // LIMIT_STEP_CENTS) * LIMIT_STEP_CENTS
    low, high = math.ceil(cl.min_limit * 100.0), math.floor(cl.max_limit * 100.0)
    return min(max(stepped, low), max(low, high))


def statement(config: RunConfig, b: Borrower, month: int) -> int:
    """Issue ``month``'s statement; terminate the contract (accelerate) at
    ``billing.acceleration_dpd`` unless a kept arrangement holds it off
    (:func:`termination_held`); a terminated contract's arrangement ends when
    ``collections.arrangements.end_at_termination``. Fees billed."""
    bill, col = config.billing, config.collections
    _, fee = b.account.bill(month, bill.late_fee_daily * DAYS_PER_MONTH)
    if (bill.acceleration_dpd is not None and b.active and not b.accelerated
            and not termination_held(config, b, month)
            and b.account.days_past_due(month * DAYS_PER_MONTH) >= bill.acceleration_dpd):
        b.account.accelerate(month)
        b.accelerated = True
    if col.enabled and col.arrangements.end_at_termination and b.accelerated:
        b.arrangement_until = -1
    return fee


def termination_held(config: RunConfig, b: Borrower, month: int) -> bool:
    """Whether a kept arrangement holds off the termination of ``b``'s contract at
    ``month``'s statement (``collections.arrangements.hold_termination_while_kept``): an
    arrangement runs and its last due date under it paid at least its instalment."""
    col = config.collections
    return bool(col.enabled and col.arrangements.hold_termination_while_kept
                and b.arrangement_until >= month and b.file is not None
                and b.file.arrangement_streak >= 1)


@dataclass
class DueDate:
    """One borrower's due date (cents and flags), as :class:`DueDateOutcome` per account."""

    owed: int
    paid: int
    principal: int
    fee: int
    missed: bool
    cured: bool
    dpd: int  # days past due just before paying (whole months of missed bills)
    limit_up: bool
    limit_cut: bool


def benchmark_payment(config: RunConfig, b: Borrower, month: int, oldest: int, owed: int,
                      u: tuple[float, float], z: float) -> int:
    """Payment under an analytic benchmark model (``repayment.model``): ``roll_chain``
    misses with the chain's probability for the due dates missed in a row, and closes the
    line with ``close_prob`` after paying; ``one_factor`` defaults at the first due date with
    the Vasicek conditional probability given the path's factor ``z``, then never pays."""
    rep = config.repayment
    behind = int(delinquency.months_behind(month, oldest))
    if rep.model == "roll_chain":
        chain = rep.roll_chain
        table = [chain.first_miss, *chain.forward]
        miss = owed > 0 and u[0] < table[min(behind, len(chain.forward))]
        if owed > 0 and not miss and u[1] < chain.close_prob:
            b.limit = 0
        return 0 if miss else owed
    f = rep.one_factor
    pd_z = float(ndtr((ndtri(f.pd) - np.sqrt(f.rho) * z) / np.sqrt(1.0 - f.rho)))
    first = owed > 0 and b.onboard_month == month - 1
    return 0 if (first and u[0] < pd_z) or behind > 0 else owed


def due_date(config: RunConfig, b: Borrower, month: int, u: tuple[float, float],
             z: float = 0.0) -> DueDate:
    """Take the payment, then move the score and review the limit.

    Missing (anything left unpaid) resets the on-time streak and costs ``score.missed_loss``;
    paying off an overdue account is a cure (``cure_gain``); after ``increase_after_months``
    clean months the limit rises by ``increase_pct`` (up to ``max_limit`` and
    ``max_income_multiple`` months of income); crossing below ``cut_score`` cuts it by
    ``cut_pct``.
    """
    acct = b.account
    oldest = acct.oldest
    today = acct.due_time(month)
    delinquent = acct.past_due(today)
    owed = acct.unpaid
    if config.repayment.model in ("roll_chain", "one_factor"):
        paid = benchmark_payment(config, b, month, oldest, owed, u, z)
    else:
        paid = b.decide_payment(config, month, owed, delinquent, u[0], u[1])
    principal, fee = acct.pay(paid)
    missed = owed - paid > 0
    b.escalated = b.escalated and missed  # escalation lasts while the account is late
    b.accelerated = b.accelerated and missed  # a terminated balance paid in full ends it
    cured = bool(delinquency.cured_at_due_date(delinquent, missed))
    on_time = owed > 0 and not missed
    before = b.score
    b.update_score(config, on_time and not cured, missed, cured)
    up, cut = review_limit(config, b, on_time or owed == 0, missed, before)
    dpd = int(delinquency.days_past_due(today, oldest, acct.due_day))
    return DueDate(owed, paid, principal, fee, missed, cured, dpd, up, cut)


def review_limit(config: RunConfig, b: Borrower, clean: bool, missed: bool,
                 score_before: float) -> tuple[bool, bool]:
    """Raise the limit after a clean run, cut it on a score drop; (rose, cut)."""
    cl = config.credit_line
    b.on_time_streak = 0 if missed else b.on_time_streak + int(clean)
    rose = False
    if b.active and b.on_time_streak >= cl.increase_after_months:
        cap = min(cl.max_limit, cl.max_income_multiple * b.permanent_income) * 100.0
        raised = min(b.limit * (1.0 + cl.increase_pct), cap)
        raised = int(raised // LIMIT_STEP_CENTS) * LIMIT_STEP_CENTS
        rose = raised > b.limit
        if rose:
            b.limit = raised
        b.on_time_streak = 0
    cut = b.active and score_before >= cl.cut_score and b.score < cl.cut_score
    b.recent_missed = RECENT_DECAY * b.recent_missed + float(missed)
    b.recent_cut = RECENT_DECAY * b.recent_cut + float(cut)
    if cut:
        b.limit = int(b.limit * (1.0 - cl.cut_pct))
    return rose, cut


def purchase(config: RunConfig, b: Borrower, month: int, day: float, desired: int,
             term: int) -> int:
    """Book what the borrower buys: ``desired`` within the open limit, when active, below
    ``credit_line.freeze_dpd`` days past due and not in a re-aged plan being repaid."""
    acct = b.account
    if not (b.active and acct.days_past_due(day) < config.credit_line.freeze_dpd
            and acct.reaged_left == 0):
        return 0
    amount = min(desired, max(b.limit - acct.outstanding, 0))
    acct.book_purchase(month, amount, term, config.billing.instalment_fee)
    return amount


@dataclass
class ChargeOff:
    """A charge-off: cents written off, cents to be recovered, and the recovery channel."""

    principal: int
    fee: int
    recovery: int
    channel: int  # index into RECOVERY_CHANNELS


def recovery_share(config: RunConfig, b: Borrower, cycle: float, type_factor: float,
                   agency: bool, legal: bool, u: float, u_legal: float) -> float:
    """Share of the charged-off balance eventually recovered.

    In court: ``legal.recovery_share`` x the cycle factor (at most 1) if the case succeeds
    (``legal.success_prob``), else nothing. Otherwise Beta with mean ``recovery.mean_rate``
    x (``unemployed_factor`` if unemployed) x the type's factor x the cycle factor x
    (``agency_recovery_factor`` if placed), concentration ``recovery.concentration``.
    """
    rec, col = config.recovery, config.collections
    if legal:
        return min(col.legal.recovery_share * cycle, 1.0) if u_legal < col.legal.success_prob \
            else 0.0
    mean = rec.mean_rate * (1.0 if b.employed else rec.unemployed_factor)
    mean = mean * type_factor * cycle
    mean = min(max(mean * (col.agency_recovery_factor if agency else 1.0), 1e-6), 1 - 1e-6)
    return float(beta.ppf(u, mean * rec.concentration, (1 - mean) * rec.concentration))


def charge_off(config: RunConfig, b: Borrower, month: int, share: float, legal: bool,
               agency: bool) -> ChargeOff:
    """Write the account off and close it; the recovery is ``round(balance x share)``."""
    principal, fee = b.account.write_off()
    b.active = False
    b.chargeoff_month = month
    channel = 2 if legal else (1 if agency else 0)
    return ChargeOff(principal, fee, round((principal + fee) * share), channel)
