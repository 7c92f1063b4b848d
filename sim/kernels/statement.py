"""The ledger's month-start bookings over a whole book, one account at a time.

- :func:`bill_accounts`: :meth:`sim.ledger.Ledger.bill` (the month's statement: the
  instalments due this month move into the bills, a late fee on the overdue principal),
  fused with the acceleration of :meth:`sim.agents.platform.Platform.statement` (accounts
  ``acceleration_dpd`` days past due at the statement have their whole balance called due);
- :func:`accelerate_accounts`: :meth:`sim.ledger.Ledger.accelerate`.

The write-offs (``Ledger.write_off``, the charge-off) are in :mod:`sim.kernels.write_off`.

Same integer arithmetic in one pass over the accounts instead of a dozen array passes; the
cells are int32 as in the ledger and sums are exact integers, so the results are
bit-identical to the numpy statements (``tests/test_monthly_kernels.py``). Days past due
come from :func:`sim.delinquency.days_past_due` compiled (:mod:`sim.kernels.rules`), on one
account at a time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.delinquency import DAYS_PER_MONTH
from sim.kernels.bills import FEE, PRINCIPAL, clear, release, roll, set_cell
from sim.kernels.layout import CURRENT
from sim.kernels.rules import days_past_due

STALE, NEGATIVE, NO_ROW = 1, 2, 4
"""Flags :func:`bill_accounts` and the write-offs return: a bill older than the charge-off
age was found on the books; a principal written off fell below the billed principal; an
account in arrears found no free row of the arrears table (the ledger reserves them)."""


@njit(cache=True, inline="always")
def unpaid_sum(current: np.ndarray, row: np.ndarray, arrears: np.ndarray, cs: int, k: int,
               i: int, oldest: int, last: int) -> int:
    """Cents of account ``i``'s unpaid bills of kind ``k`` (:data:`sim.kernels.bills.FEE` or
    ``PRINCIPAL``) of the due months ``oldest`` (its oldest unpaid bill's) to ``last``: every
    unpaid bill's (the bills ``current``, ``row``, ``arrears``, current slot ``cs``).

    Every bill older than the oldest unpaid one is paid (principal and fee 0), and the
    slots hold the ``ages`` due months up to ``last``, so only the slots from the later of
    ``oldest`` and ``last - ages + 1`` are read: one or two for most late accounts, instead
    of every slot.
    """
    ages, r = arrears.shape[1], row[i]
    total = 0
    for month in range(max(oldest, last - ages + 1), last + 1):
        s = month % ages
        if s == cs:
            total += current[k, i]
        elif r >= 0:
            total += arrears[k, s, r]
    return total


@njit(cache=True, inline="always")
def _accelerate_one(month: int, i: int, instalment_principal: np.ndarray,
                    instalment_fee: np.ndarray, step_principal: np.ndarray,
                    step_fee: np.ndarray, current: np.ndarray, row: np.ndarray,
                    arrears: np.ndarray, cs: int, oldest: np.ndarray,
                    unpaid: np.ndarray) -> np.int64:
    """Call account ``i``'s whole balance due as one bill in its oldest unpaid bill's slot;
    return the principal not yet billed (see ``Ledger.accelerate``)."""
    slots, ages = step_principal.shape[0], arrears.shape[1]
    rate = np.int64(instalment_principal[i])
    unbilled = np.int64(0)
    for k in range(1, slots):
        rate += step_principal[(month + k) % slots, i]
        unbilled += rate
    billed, fee = clear(current, row, arrears, i)
    principal = unbilled + billed
    for k in range(slots):
        step_principal[k, i] = 0
        step_fee[k, i] = 0
    instalment_principal[i] = 0
    instalment_fee[i] = 0
    slot = oldest[i] % ages
    set_cell(current, row, arrears, cs, PRINCIPAL, slot, i, int(principal))
    set_cell(current, row, arrears, cs, FEE, slot, i, fee)
    unpaid[i] += unbilled
    return unbilled


@njit(cache=True)
def accelerate_accounts(month: int, idx: np.ndarray, instalment_principal: np.ndarray,
                        instalment_fee: np.ndarray, step_principal: np.ndarray,
                        step_fee: np.ndarray, current: np.ndarray, row: np.ndarray,
                        arrears: np.ndarray, rows: np.ndarray, oldest: np.ndarray,
                        unpaid: np.ndarray) -> np.ndarray:
    """Call the whole balance of accounts ``idx`` due in ``month`` (``Ledger.accelerate``).

    Returns:
        Principal cents called early per account of ``idx`` (int64, was not yet billed).
    """
    out = np.zeros(idx.shape[0], dtype=np.int64)
    cs = rows[CURRENT]
    for j in range(idx.shape[0]):
        out[j] = _accelerate_one(month, idx[j], instalment_principal, instalment_fee,
                                 step_principal, step_fee, current, row, arrears, cs, oldest,
                                 unpaid)
    return out


@njit(cache=True)
def bill_accounts(month: int, n: int, late_fee_rate: float, acceleration_dpd: int,
                  due_day: int, open_: np.ndarray, accelerated: np.ndarray,
                  instalment_principal: np.ndarray, instalment_fee: np.ndarray,
                  step_principal: np.ndarray, step_fee: np.ndarray, current: np.ndarray,
                  row: np.ndarray, arrears: np.ndarray, rows: np.ndarray,
                  oldest: np.ndarray, unpaid: np.ndarray, outstanding: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, int, np.int64]:
    """Issue ``month``'s statement of accounts 0..n-1, and call balances due.

    Per account: last month's bill, when unpaid, moves into the account's arrears row
    (:func:`sim.kernels.bills.roll`); a late fee of ``rint(late_fee_rate x unpaid
    principal)`` when a bill is unpaid; the schedule's change for this month's slot moves
    into the running instalment; the instalment (principal, fee plus late fee) becomes the
    bill due this month. Then, when ``acceleration_dpd >= 0``, an open account (``open_``)
    not yet ``accelerated`` whose days past due on the statement day reach
    ``acceleration_dpd`` has its whole balance called due (:func:`_accelerate_one`) and is
    flagged in ``accelerated``. An arrears row left empty is given back
    (:func:`sim.kernels.bills.release`).

    Returns:
        (principal billed, fees billed) per account (int64 cents, shape (n,)), the flags
        (:data:`STALE` when this month's bill slot was not empty, :data:`NO_ROW` when the
        arrears table had no free row) and the largest balance.
    """
    slots, ages = step_principal.shape[0], arrears.shape[1]
    slot, due = month % slots, month % ages
    previous = rows[CURRENT]
    rows[CURRENT] = due
    principal = np.empty(n, dtype=np.int64)
    fee = np.empty(n, dtype=np.int64)
    flags, top = 0, np.int64(0)
    today = float(month * DAYS_PER_MONTH)  # the statement's day
    moves = previous >= 0 and previous != due
    # the helpers of sim.kernels.bills only for the few accounts in arrears: an account that
    # paid its bill has nothing to move, no row and nothing overdue
    for i in range(n):
        if (moves and (current[PRINCIPAL, i] != 0 or current[FEE, i] != 0)
                and not roll(current, row, arrears, rows, i, previous)):
            flags |= NO_ROW
            break
        r = row[i]
        if r >= 0 and (arrears[PRINCIPAL, due, r] != 0 or arrears[FEE, due, r] != 0):
            flags |= STALE
        late = np.int64(0)
        if oldest[i] >= 0:
            late = np.int64(np.rint(unpaid_sum(current, row, arrears, due, PRINCIPAL, i,
                                               oldest[i], month - 1) * late_fee_rate))
        instalment_principal[i] += step_principal[slot, i]
        instalment_fee[i] += step_fee[slot, i]
        step_principal[slot, i] = 0
        step_fee[slot, i] = 0
        p = np.int64(instalment_principal[i])
        f = np.int64(instalment_fee[i]) + late
        principal[i], fee[i] = p, f
        current[PRINCIPAL, i] = p
        current[FEE, i] = f
        unpaid[i] += p + f
        balance = np.int64(outstanding[i]) + f  # in int64 before it is stored
        top = max(top, balance)
        outstanding[i] = balance
        if oldest[i] < 0 and p + f > 0:
            oldest[i] = month
        if (acceleration_dpd >= 0 and open_[i] and not accelerated[i]
                and days_past_due(today, oldest[i], due_day) >= acceleration_dpd):
            _accelerate_one(month, i, instalment_principal, instalment_fee, step_principal,
                            step_fee, current, row, arrears, due, oldest, unpaid)
            accelerated[i] = True
        if row[i] >= 0:
            release(row, arrears, rows, i)
    return principal, fee, flags, top
