"""The month-end books of :meth:`sim.engine.PathSimulation.on_month_end`, in one pass.

:func:`close_month` reads each account once: its days past due (reported and contractual),
bucket and roll state, and adds it to the month's bucket balances and counts, the book's
totals and the roll matrices; :func:`count_rolls` is the roll matrices alone. The days past
due are returned, for the re-default windows and the vehicle, so that they are computed once
a month end rather than again by each reader.

Every sum is of whole cents or counts, accumulated in int64: exact, so the same in any
order, and equal to the numpy reductions these replace (``np.bincount`` with float weights
of whole cents is exact below 2**53 cents) -- ``tests/test_monthly_kernels.py`` checks them
against the numpy statements.
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.delinquency import BUCKETS, OVER_30, OVER_60, RE_AGED
from sim.kernels.bills import FEE
from sim.kernels.layout import CURRENT
from sim.kernels.month_layout import (
    ACCOUNTS,
    BALANCE,
    CONTRACT_ACCOUNTS,
    CONTRACT_BALANCE,
    LIMITS,
    OPEN,
    REAGED_ACCOUNTS,
    REAGED_BALANCE,
    RECEIVABLES,
    UNEMPLOYED,
)
from sim.kernels.rules import (
    bucket_of,
    contractual_days_past_due,
    days_past_due,
    redefaulted,
    repaying_reage,
    roll_state,
)
from sim.kernels.statement import unpaid_sum

N_BUCKETS = len(BUCKETS)
CURRENT_STATE = BUCKETS.index("current")
"""The roll state and the bucket ``current`` (0)."""


@njit(cache=True)
def count_rolls(state: np.ndarray, balance: np.ndarray, last_state: np.ndarray,
                last_balance: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Accounts 0..n-1 (n: ``state``'s length), and their balance at the last month end,
    by (state then, state now), as (k, k) int64 tables; then ``last_state`` and
    ``last_balance`` take this month end's ``state`` and ``balance`` (cents)."""
    counts = np.zeros((k, k), dtype=np.int64)
    money = np.zeros((k, k), dtype=np.int64)
    for i in range(state.shape[0]):
        a, b = last_state[i], state[i]
        counts[a, b] += 1
        money[a, b] += last_balance[i]
        last_state[i] = b
        last_balance[i] = balance[i]
    return counts, money


@njit(cache=True)
def close_month(day: float, month: int, n: int, due_day: int, any_reaged: bool, open_: np.ndarray,
                oldest: np.ndarray, contract_oldest: np.ndarray, reaged_left: np.ndarray,
                outstanding: np.ndarray, current: np.ndarray, row: np.ndarray,
                arrears: np.ndarray, rows: np.ndarray, limit: np.ndarray,
                employed: np.ndarray, last_state: np.ndarray, last_balance: np.ndarray,
                k: int, with_principal: bool = True):  # noqa: ANN201 - see Returns
    """The month-end books of accounts 0..n-1 at ``day``, the end of ``month``, in one pass.

    Per account: reported days past due (:func:`sim.delinquency.days_past_due` of ``oldest``); the
    contractual ones (:func:`sim.delinquency.contractual_days_past_due`, when ``any_reaged``:
    otherwise the reported ones); their buckets (:func:`sim.delinquency.bucket_of`), the roll
    state (:func:`sim.delinquency.roll_state`) and the roll from ``last_state`` (as
    :func:`count_rolls`).

    Returns:
        dpd: (n,) int64 reported days past due.
        principal: (n,) int64 cents, the balance less unpaid fees (bills of due months up
            to ``month``; empty unless ``with_principal``).
        buckets: (4, len(BUCKETS)) int64: balance (every account) and open accounts by
            reported bucket, then the same by contractual bucket (rows ``BALANCE`` ... of
            :mod:`sim.kernels.month_layout`).
        totals: (6,) int64 at ``RECEIVABLES`` ... : the balance, open accounts, their
            limits, open accounts unemployed, balance and count of ``re_aged`` accounts.
        counts, money: the roll tables of :func:`count_rolls` (``last_state`` and
            ``last_balance`` move on to this month end).
    """
    cs = rows[CURRENT]
    dpd = np.empty(n, dtype=np.int64)
    principal = np.empty(n if with_principal else 0, dtype=np.int64)
    buckets = np.zeros((4, N_BUCKETS), dtype=np.int64)
    totals = np.zeros(6, dtype=np.int64)
    counts = np.zeros((k, k), dtype=np.int64)
    money = np.zeros((k, k), dtype=np.int64)
    # Most accounts are open, owe nothing billed, were never re-aged (or have repaid the
    # plan) and were current at the last month end: current by both counts, they roll from
    # current to current. Their sums are kept in locals and added to the tables at the end
    # (sums of whole cents and counts: exact in any order).
    quiet = quiet_balance = quiet_limits = quiet_unemployed = quiet_last = 0
    for i in range(n):
        o = oldest[i]
        balance = outstanding[i]
        if o < 0 and open_[i] and last_state[i] == CURRENT_STATE \
                and not (any_reaged and repaying_reage(reaged_left[i])):
            dpd[i] = 0
            if with_principal:
                principal[i] = balance
            quiet += 1
            quiet_balance += balance
            quiet_limits += limit[i]
            if not employed[i]:
                quiet_unemployed += 1
            quiet_last += last_balance[i]
            last_balance[i] = balance
            continue
        d = days_past_due(day, o, due_day)
        c = d
        if any_reaged:
            c = contractual_days_past_due(day, d, contract_oldest[i], reaged_left[i], due_day)
        dpd[i] = d
        if with_principal:
            principal[i] = balance - (unpaid_sum(current, row, arrears, cs, FEE, i, o, month)
                                      if o >= 0 else 0)
        b, cb = bucket_of(d), bucket_of(c)
        is_open = open_[i]
        s = roll_state(is_open, b, c)
        buckets[BALANCE, b] += balance
        buckets[CONTRACT_BALANCE, cb] += balance
        totals[RECEIVABLES] += balance
        if is_open:
            buckets[ACCOUNTS, b] += 1
            buckets[CONTRACT_ACCOUNTS, cb] += 1
            totals[OPEN] += 1
            totals[LIMITS] += limit[i]
            if not employed[i]:
                totals[UNEMPLOYED] += 1
        if s == RE_AGED:
            totals[REAGED_BALANCE] += balance
            totals[REAGED_ACCOUNTS] += 1
        was = last_state[i]
        counts[was, s] += 1
        money[was, s] += last_balance[i]
        last_state[i] = s
        last_balance[i] = balance
    cur = CURRENT_STATE
    buckets[BALANCE, cur] += quiet_balance
    buckets[CONTRACT_BALANCE, cur] += quiet_balance
    totals[RECEIVABLES] += quiet_balance
    buckets[ACCOUNTS, cur] += quiet
    buckets[CONTRACT_ACCOUNTS, cur] += quiet
    totals[OPEN] += quiet
    totals[LIMITS] += quiet_limits
    totals[UNEMPLOYED] += quiet_unemployed
    counts[cur, cur] += quiet
    money[cur, cur] += quiet_last
    return dpd, principal, buckets, totals, counts, money


@njit(cache=True)
def redefault_windows(month: int, window: int, reaged_month: np.ndarray, open_: np.ndarray,
                      dpd: np.ndarray, flags: np.ndarray) -> tuple[int, int, int]:
    """Move the re-default flags of the accounts 0..n-1 (n: ``dpd``'s length) whose re-age
    window is open at the end of ``month``, in one pass; count the windows that close.

    An account re-aged in month r (``reaged_month``, -1 never) is followed at the month ends
    r..r+``window``: a re-age this month starts its flags afresh; it re-defaults at 30+
    (``flags[0]``) or 60+ (``flags[1]``) as :func:`sim.delinquency.redefaulted` decides (into
    the buckets ``OVER_30``, ``OVER_60``) on its being open (``open_``) and its ``dpd``.
    ``flags`` is (2, capacity) bool, updated in place.

    Returns:
        (windows closing this month: re-aged in ``month - window``; those of them that
        re-defaulted at 30+; at 60+).
    """
    first = max(month - window, 0)
    closed = at_30 = at_60 = 0
    for i in range(dpd.shape[0]):
        r = reaged_month[i]
        if r < first:
            continue
        f30, f60 = flags[0, i], flags[1, i]
        if r == month:
            f30 = f60 = False
        f30 = f30 or redefaulted(open_[i], dpd[i], OVER_30)
        f60 = f60 or redefaulted(open_[i], dpd[i], OVER_60)
        flags[0, i], flags[1, i] = f30, f60
        if r == month - window:
            closed += 1
            at_30 += f30
            at_60 += f60
    return closed, at_30, at_60


@njit(cache=True)
def open_values(open_: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``values[:n][open_[:n]]``: the values of the open accounts among 0..n-1, in account
    order and of their dtype, in one pass (so that their numpy mean is the same bits)."""
    out = np.empty(n, values.dtype)
    k = 0
    for i in range(n):
        if open_[i]:
            out[k] = values[i]
            k += 1
    return out[:k]
