"""The ledger's re-age (:meth:`sim.ledger.Ledger.restructure`) of many accounts, compiled.

A re-age cancels an account's unpaid bills and unbilled instalments and bills its whole
balance again as a new fee-free plan. The accounts re-aged at once are a few hundred
scattered over the book, each with a column of the instalment schedule (two cells for each
of its 13 months, each in a cache line of its own), so one account at a time with every
field together, and a schedule cell written only when it changes: the same integer
arithmetic as the array statements it replaces (``tests/test_ledger.py`` checks the books
against the reference accounts).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.rules import contract_oldest_after_reage


@njit(cache=True)
def reage_accounts(month: int, idx: np.ndarray, grace: int, term: int, outstanding: np.ndarray,
                   oldest: np.ndarray, contract_oldest: np.ndarray, reaged_left: np.ndarray,
                   reaged_month: np.ndarray, step_principal: np.ndarray, step_fee: np.ndarray,
                   current: np.ndarray, row: np.ndarray, arrears: np.ndarray,
                   instalment_principal: np.ndarray, instalment_fee: np.ndarray,
                   unpaid: np.ndarray) -> None:
    """Re-age accounts ``idx`` in ``month`` (``Ledger.restructure``; an account given twice is
    re-aged as once: each re-age first clears what the last one booked).

    Per account: ``contract_oldest`` keeps an earlier re-age's oldest cancelled bill while
    that plan is unpaid and older than the bills cancelled now, else takes ``oldest``
    (:func:`sim.delinquency.contract_oldest_after_reage`);
    ``reaged_month`` is ``month`` and ``reaged_left`` the balance; the schedule, the bills
    (``current`` and the account's arrears row, which stays the account's until the next
    statement), the month's instalments and ``unpaid`` are cleared and ``oldest`` is -1; the
    balance is scheduled in ``term`` equal instalments (the remainder in the first) from the
    statement ``month + 1 + grace``, as steps of the schedule's ring of months.
    """
    slots = step_principal.shape[0]
    start = month + 1 + grace
    first, second, end = start % slots, (start + 1) % slots, (start + term) % slots
    for j in range(idx.shape[0]):
        i = idx[j]
        total = outstanding[i]
        contract_oldest[i] = contract_oldest_after_reage(contract_oldest[i], reaged_left[i],
                                                         oldest[i])
        reaged_month[i] = month
        reaged_left[i] = total
        for k in range(slots):
            if step_principal[k, i] != 0:
                step_principal[k, i] = 0
            if step_fee[k, i] != 0:
                step_fee[k, i] = 0
        r = row[i]
        if r >= 0:
            for kind in range(arrears.shape[0]):
                for s in range(arrears.shape[1]):
                    arrears[kind, s, r] = 0
        for kind in range(current.shape[0]):
            current[kind, i] = 0
        instalment_principal[i] = 0
        instalment_fee[i] = 0
        unpaid[i] = 0
        oldest[i] = -1
        base, rem = total // term, total % term
        step_principal[first, i] += base + rem
        step_principal[second, i] -= rem
        step_principal[end, i] -= base
