"""The ledger's write-offs over a whole book: an account's whole balance removed.

- :func:`write_off_accounts`: :meth:`sim.ledger.Ledger.write_off` (the accounts given);
- :func:`charge_off_accounts`: the selection of :meth:`sim.agents.platform.Platform.charge_off`
  (open accounts ``chargeoff_dpd`` days past due) and their write-off.

The accounts charged off in a month are a few hundred scattered over the book, and each
holds a column of the instalment schedule (two cells for each of its 13 months, each in a
cache line of its own): writing a zero over a cell that is already zero, as most are by
then, costs a line read and a line written back for nothing. :func:`write_off_one` writes
only the cells that hold something (a charge-off at 100,000 borrowers: 1.1 ms to 0.75 ms).
Same integer arithmetic as the numpy statements these replaced; sums are exact integers
(``tests/test_monthly_kernels.py`` checks the books against the reference accounts).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.bills import clear
from sim.kernels.rules import charge_off_due, days_past_due
from sim.kernels.statement import NEGATIVE


@njit(cache=True, inline="always")
def write_off_one(i: int, instalment_principal: np.ndarray, instalment_fee: np.ndarray,
                  step_principal: np.ndarray, step_fee: np.ndarray, current: np.ndarray,
                  row: np.ndarray, arrears: np.ndarray, oldest: np.ndarray,
                  unpaid: np.ndarray, outstanding: np.ndarray, reaged_left: np.ndarray,
                  contract_oldest: np.ndarray) -> tuple[int, int, bool]:
    """Remove account ``i``'s whole balance; return (principal, fee) written off and whether
    the principal was at least the billed principal (``Ledger.write_off``)."""
    billed, fee = clear(current, row, arrears, i)
    principal = outstanding[i] - fee
    for k in range(step_principal.shape[0]):
        if step_principal[k, i] != 0:  # a zero cell is left as it is (see the module)
            step_principal[k, i] = 0
        if step_fee[k, i] != 0:
            step_fee[k, i] = 0
    instalment_principal[i] = 0
    instalment_fee[i] = 0
    outstanding[i] = 0
    unpaid[i] = 0
    reaged_left[i] = 0
    oldest[i] = -1
    contract_oldest[i] = -1
    return principal, fee, principal >= billed


@njit(cache=True)
def write_off_accounts(idx: np.ndarray, instalment_principal: np.ndarray,
                       instalment_fee: np.ndarray, step_principal: np.ndarray,
                       step_fee: np.ndarray, current: np.ndarray, row: np.ndarray,
                       arrears: np.ndarray, rows: np.ndarray, oldest: np.ndarray,
                       unpaid: np.ndarray, outstanding: np.ndarray, reaged_left: np.ndarray,
                       contract_oldest: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Write off the whole balance of accounts ``idx`` (``Ledger.write_off``).

    Returns:
        (principal, fees) written off per account of ``idx`` (int64 cents) and the flags
        (:data:`sim.kernels.statement.NEGATIVE` when a principal fell below the billed
        principal).
    """
    principal = np.empty(idx.shape[0], dtype=np.int64)
    fee = np.empty(idx.shape[0], dtype=np.int64)
    flags = 0
    for j in range(idx.shape[0]):
        principal[j], fee[j], ok = write_off_one(
            idx[j], instalment_principal, instalment_fee, step_principal, step_fee, current,
            row, arrears, oldest, unpaid, outstanding, reaged_left, contract_oldest)
        if not ok:
            flags |= NEGATIVE
    return principal, fee, flags


@njit(cache=True)
def charge_off_accounts(day: float, n: int, chargeoff_dpd: int, due_day: int,
                        open_: np.ndarray, instalment_principal: np.ndarray,
                        instalment_fee: np.ndarray, step_principal: np.ndarray,
                        step_fee: np.ndarray, current: np.ndarray, row: np.ndarray,
                        arrears: np.ndarray, rows: np.ndarray, oldest: np.ndarray,
                        unpaid: np.ndarray, outstanding: np.ndarray, reaged_left: np.ndarray,
                        contract_oldest: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Write off the open accounts among 0..n-1 that are ``chargeoff_dpd`` or more days past
    due at ``day`` (``open_`` is left to the caller): one pass picks them, a second writes
    them off (:func:`write_off_accounts`).

    Returns:
        (accounts in increasing order, principal, fees written off per account (int64
        cents), the flags of :func:`write_off_accounts`).
    """
    idx = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        if open_[i] and charge_off_due(days_past_due(day, oldest[i], due_day), chargeoff_dpd):
            idx[k] = i
            k += 1
    idx = idx[:k].copy()
    principal, fee, flags = write_off_accounts(
        idx, instalment_principal, instalment_fee, step_principal, step_fee, current, row,
        arrears, rows, oldest, unpaid, outstanding, reaged_left, contract_oldest)
    return idx, principal, fee, flags
