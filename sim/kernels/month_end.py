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
from sim.delinquency import BUCKETS, CHARGED_OFF, RE_AGED
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
from sim.kernels.rules import bucket_of, days_past_due
from sim.kernels.statement import unpaid_sum

N_BUCKETS = len(BUCKETS)


@njit(cache=True)
def roll_state(open_: bool, bucket: int, contractual: int) -> int:
    """Month-end state of an account: its bucket, ``re_aged`` or ``charged_off``.

    ``re_aged``: open, reported current, but contractually past due (its restructured
    balance is not repaid and the bill the re-age cancelled would be overdue). So a re-aged
    account enters ``re_aged``, never ``current``, and leaves it to ``current`` only once its
    restructured balance is repaid. A closed account is ``charged_off``.
    """
    if not open_:
        return CHARGED_OFF
    if bucket == 0 and contractual >= 1:
        return RE_AGED
    return bucket


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
    contractual ones (the larger of those and the days since ``contract_oldest`` while
    ``reaged_left > 0``, when ``any_reaged``; see ``Ledger.contractual_days_past_due``);
    their buckets (:func:`sim.delinquency.bucket_of`), the roll state (:func:`roll_state`)
    and the roll from ``last_state`` (as :func:`count_rolls`).

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
    for i in range(n):
        d = days_past_due(day, oldest[i], due_day)
        c = d
        if any_reaged and reaged_left[i] > 0:
            c = max(d, days_past_due(day, contract_oldest[i], due_day))
        dpd[i] = d
        balance = outstanding[i]
        if with_principal:
            o = oldest[i]
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
    return dpd, principal, buckets, totals, counts, money
