"""The ledger's monthly bookings over a whole book, one account at a time.

- :func:`book_purchases`: the body of :meth:`sim.ledger.Ledger.book_purchase` (a month's
  purchases as instalment plans: schedule changes at the plan's first, second and last
  statements);
- :func:`pay_bills`: the body of :meth:`sim.ledger.Ledger.pay` (the due date's payments:
  fee first on an account whose only unpaid bill is this month's, otherwise fees oldest
  first, then principal oldest first).

Same integer arithmetic, in one pass over the accounts instead of a dozen array passes;
the results are bit-identical (``tests/test_ledger.py`` and ``tests/test_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.accounts import pay_account
from sim.kernels.bills import FEE, PRINCIPAL
from sim.kernels.layout import CURRENT

PLAN_TERMS = (1, 3, 6, 12)
"""Plan lengths (months) whose end the schedule books (a term of 0 bills once, as 1)."""


@njit(cache=True, inline="always")
def book_one(i: int, a: int | np.int64, t: int | np.int64, month: int, start: int,
             after: int, rate: np.ndarray, step_principal: np.ndarray, step_fee: np.ndarray,
             outstanding: np.ndarray) -> np.int64:
    """Book the purchase ``a`` (cents) of account ``i`` on a plan of ``t`` months, as
    :func:`book_purchases` does (``start``, ``after``: the schedule slots of ``month + 1``
    and ``month + 2``); returns the balance after it, in int64."""
    slots = step_principal.shape[0]
    periods = max(t, 1)
    base, rem = a // periods, a % periods
    fee = np.int64(np.rint(a * rate[t]))
    step_principal[start, i] += base + rem
    step_principal[after, i] -= rem
    step_fee[start, i] += fee
    if periods == 1 or periods == 3 or periods == 6 or periods == 12:
        end = (month + 1 + periods) % slots
        step_principal[end, i] -= base
        step_fee[end, i] -= fee
    balance = np.int64(outstanding[i]) + a
    outstanding[i] = balance
    return balance


@njit(cache=True)
def book_purchases(month: int, amount: np.ndarray, term: np.ndarray, rate: np.ndarray,
                   step_principal: np.ndarray, step_fee: np.ndarray,
                   outstanding: np.ndarray) -> np.int64:
    """Book purchases ``amount`` (cents) of accounts 0..n-1 made in ``month`` on plans of
    ``term`` months (0: pay in full), the fee ``rate[term]`` of the amount a period.

    The principal is split evenly over the periods, the remainder cents in the first
    instalment; ``step_principal`` and ``step_fee`` (13, capacity) change at the statements
    of slots ``month + 1`` (start), ``month + 2`` (the remainder ends) and
    ``month + 1 + term`` (the plan ends), modulo 13 (``sim.ledger.SCHEDULE_SLOTS``).

    Returns:
        The largest balance after booking, computed in int64 before it is stored, so that
        the caller sees a balance the (narrower) ``outstanding`` could not hold.
    """
    slots = step_principal.shape[0]
    start, after = (month + 1) % slots, (month + 2) % slots
    top = np.int64(0)
    for i in range(amount.shape[0]):
        top = max(top, book_one(i, amount[i], term[i], month, start, after, rate,
                                step_principal, step_fee, outstanding))
    return top


@njit(cache=True)
def pay_bills(month: int, amount: np.ndarray, current: np.ndarray, row: np.ndarray,
              arrears: np.ndarray, rows: np.ndarray, oldest: np.ndarray, unpaid: np.ndarray,
              outstanding: np.ndarray, reaged_left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply the due date's payments ``amount`` (cents) of accounts 0..n-1 in ``month``.

    An account whose only unpaid bill is this month's pays its fee first, then its
    principal; an account with older bills pays every fee, oldest first, then principal,
    oldest first.

    Returns:
        (principal paid, fees paid) per account, in cents.

    Raises:
        ValueError: a payment is negative or exceeds what its account owes (``unpaid``),
            checked for every account before any is booked: one pass over the two arrays
            (its test without a branch, so that it vectorises) instead of numpy's four
            (two comparisons into temporary arrays, each reduced).
    """
    n = amount.shape[0]
    bad = False
    for i in range(n):
        bad |= (amount[i] > unpaid[i]) | (amount[i] < 0)
    if bad:
        raise ValueError("a payment is negative or exceeds what the account owes")
    latest = rows[CURRENT] == month % arrears.shape[1]  # month's bills are the current ones
    # every element is written once below: no zero-filling pass before the loop
    principal = np.empty(n, dtype=np.int64)
    fee = np.empty(n, dtype=np.int64)
    for i in range(n):
        a, o = amount[i], oldest[i]
        if o == month and latest:  # the only unpaid bill is this month's
            f = min(a, current[FEE, i])
            p = a - f
            current[FEE, i] -= f
            current[PRINCIPAL, i] -= p
            unpaid[i] -= a
            outstanding[i] -= a
            left = reaged_left[i]
            reaged_left[i] = left - min(left, p)
        elif 0 <= o <= month and a > 0:
            p, f = pay_account(month, i, a, current, row, arrears, rows, oldest, unpaid,
                               outstanding, reaged_left)
        else:
            p, f = 0, 0
            unpaid[i] -= a
            outstanding[i] -= a
        principal[i], fee[i] = p, f
        if unpaid[i] == 0:
            oldest[i] = -1
    return principal, fee
