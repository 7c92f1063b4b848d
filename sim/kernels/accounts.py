"""One account at a time: the ledger's and the borrower's arithmetic that a payment needs.

Each rule is stated here once, for one account, and used by every part of the engine that
needs it (the due date's payments, the collection ladder's payments, and the borrower pool's
and the ledger's methods, which loop over accounts with the ``*_all`` / ``*_of`` forms):

- :func:`cash_for_bill`: what a borrower can put towards the line's bill
  (:meth:`sim.agents.borrowers.BorrowerPool.cash_for_bill`);
- :func:`spend`: what paying it does to savings and the month's affordable amount
  (:meth:`sim.agents.borrowers.BorrowerPool.spend`);
- :func:`whole_bills`: the most that clears whole bills (:meth:`sim.ledger.Ledger.whole_bills`);
- :func:`pay_account`: a payment between due dates, fees oldest first, then principal oldest
  first (:meth:`sim.ledger.Ledger.pay_accounts`).

Bills are kept by due-month slot ``month % ages`` (:mod:`sim.kernels.bills`: this month's
densely, earlier months' in an arrears row); the slot of age ``a`` (0: the oldest possible)
in ``month`` is ``(month + 1 + a) % ages``.

The borrower's rules take the borrower's values, not the pool's arrays and an index: a
function inlined into a loop over the accounts (:func:`sim.kernels.payments.pay_one`) that
passes arrays on to a call takes and releases a reference to each of them for every
account. With the arrays, the due date's payments of 175,000 accounts took 16.8 ms; with
the values, 10.6 ms (and 4.6 ms once the whole-bills cut, which takes the bills' arrays,
left the loop: :func:`sim.kernels.payments.cut_to_whole_bills`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.bills import FEE, PRINCIPAL, cell, set_cell
from sim.kernels.layout import CURRENT


@njit(cache=True, inline="always")
def debt_room(savings: float, permanent: float, other_debt: float) -> float:
    """What debts elsewhere can still take from a borrower with ``savings`` and ``permanent``
    income: savings down to ``other_debt`` months of permanent income below zero, at least 0
    (currency units)."""
    return max(savings + other_debt * permanent, 0.0)


@njit(cache=True)
def cash_for_bill(share: float, stretch: float, savings: float, permanent: float,
                  disposable: float, other_debt: float, within_income: bool) -> int:
    """Cents a borrower with ``savings``, ``permanent`` income and the month's affordable
    amount ``disposable`` (currency units) can put towards the line's bill (see
    ``BorrowerPool.cash_for_bill``).

    ``share`` of positive savings plus what an arrangement moves up (``stretch`` months of
    permanent income, at most ``disposable`` when ``within_income``), never beyond what
    debts elsewhere can still take (``other_debt`` months of permanent income below zero
    savings).
    """
    moved = min(stretch * permanent, disposable) if within_income else stretch * permanent
    cash = min(max(savings, 0.0) * share + moved, debt_room(savings, permanent, other_debt))
    return int(np.floor(cash * 100.0))


@njit(cache=True)
def income_for_bill(savings: float, permanent: float, disposable: float,
                    other_debt: float) -> int:
    """Cents a borrower (as in :func:`cash_for_bill`) can put towards a current bill from the
    month's income less essentials (``disposable``) before repaying debts elsewhere, within
    the room those debts leave (``other_debt`` months of permanent income below zero
    savings): the rule of ``repayment.current_bill_from_income``."""
    return int(np.floor(min(disposable, debt_room(savings, permanent, other_debt)) * 100.0))


@njit(cache=True)
def spend(paid: int, share: float, savings: float, disposable: float) -> tuple[float, float]:
    """A borrower's savings and affordable amount ``disposable`` after a payment of ``paid``
    cents made with :func:`cash_for_bill` at ``share`` (see ``BorrowerPool.spend``): savings
    fall by it, and what it took beyond that share of savings is used up from the month's
    affordable amount."""
    amount = paid / 100.0
    beyond = max(amount - max(savings, 0.0) * share, 0.0)
    return savings - amount, max(disposable - beyond, 0.0)


@njit(cache=True)
def whole_bills(month: int, w: int, cash: int, current: np.ndarray, row: np.ndarray,
                arrears: np.ndarray, rows: np.ndarray) -> int:
    """The most account ``w`` can pay in whole bills, oldest first, within ``cash`` cents
    (the bills: ``current`` .. ``rows``, :mod:`sim.kernels.bills`).

    Clearing the oldest k bills costs every unpaid fee plus their principal; 0 when not
    even the fees and the oldest bill fit (see ``Ledger.whole_bills``).
    """
    ages, cs = arrears.shape[1], rows[CURRENT]
    fees, total = 0, 0
    for s in range(ages):
        fees += cell(current, row, arrears, cs, FEE, s, w)
        total += cell(current, row, arrears, cs, PRINCIPAL, s, w)
    best, cleared = 0, 0
    for a in range(ages):
        cleared += cell(current, row, arrears, cs, PRINCIPAL, (month + 1 + a) % ages, w)
        running = fees + cleared
        if running <= cash and running > 0 and (cleared > 0 or total == 0) and running > best:
            best = running
    return best


@njit(cache=True, inline="always")
def _take(month: int, w: int, left: int, current: np.ndarray, row: np.ndarray,
          arrears: np.ndarray, cs: int, k: int) -> int:
    """Pay ``left`` cents into account ``w``'s bills of kind ``k`` (fees or principal), oldest
    first; return the rest."""
    ages = arrears.shape[1]
    for a in range(ages):
        s = (month + 1 + a) % ages
        owed = cell(current, row, arrears, cs, k, s, w)
        x = min(left, owed)
        if x != 0:
            set_cell(current, row, arrears, cs, k, s, w, owed - x)
        left -= x
    return left


@njit(cache=True)
def pay_account(month: int, w: int, amount: int, current: np.ndarray, row: np.ndarray,
                arrears: np.ndarray, rows: np.ndarray, oldest: np.ndarray,
                unpaid: np.ndarray, outstanding: np.ndarray,
                reaged_left: np.ndarray) -> tuple[int, int]:
    """Apply a payment of ``amount`` cents by account ``w`` between due dates (the bills:
    ``current`` .. ``rows``, :mod:`sim.kernels.bills`).

    Fees go first, oldest first, then principal, oldest first; the account's oldest unpaid
    due month, unpaid and outstanding cents follow, and principal paid counts against a
    restructured amount (``reaged_left``; all zero when no account was ever re-aged).

    Returns:
        (principal paid, fees paid) in cents.

    Raises:
        ValueError: when the payment is negative or exceeds what the account owes.
    """
    if amount > unpaid[w] or amount < 0:
        raise ValueError("a payment is negative or exceeds what the account owes")
    cs = rows[CURRENT]
    after_fees = _take(month, w, amount, current, row, arrears, cs, FEE)
    principal = after_fees - _take(month, w, after_fees, current, row, arrears, cs, PRINCIPAL)
    ages = arrears.shape[1]
    first = -1
    for a in range(ages):
        s = (month + 1 + a) % ages
        if (cell(current, row, arrears, cs, FEE, s, w)
                + cell(current, row, arrears, cs, PRINCIPAL, s, w)) > 0:
            first = month - ages + 1 + a
            break
    oldest[w] = first
    unpaid[w] -= amount
    outstanding[w] -= amount
    left = reaged_left[w]
    reaged_left[w] = left - min(left, principal)
    return principal, amount - after_fees


# the plain function under the compiled one (itself when compiling is off, NUMBA_DISABLE_JIT)
paid_into = njit(cache=True, inline="always")(getattr(pay_account, "py_func", pay_account))
""":func:`pay_account` inlined where it is called, for loops over payments: a compiled call
with the bills' and the account's eight arrays takes and releases a reference to each of
them per call (an atomic count each, in the callee and at the call), which the ladder's
payments (:func:`sim.kernels.ladder.pay`, 15,000 a month at 100k) paid per payment."""


@njit(cache=True)
def cash_for_bills(who: np.ndarray, share: np.ndarray, stretch: np.ndarray,
                   savings: np.ndarray, permanent: np.ndarray, disposable: np.ndarray,
                   other_debt: float, within_income: bool) -> np.ndarray:
    """:func:`cash_for_bill` of each borrower of ``who`` (shape (k,)) at its ``share`` and
    ``stretch`` (shape (k,) each); cents, int64 of shape (k,)."""
    out = np.empty(who.shape[0], dtype=np.int64)
    for t in range(who.shape[0]):
        w = who[t]
        out[t] = cash_for_bill(share[t], stretch[t], savings[w], permanent[w], disposable[w],
                               other_debt, within_income)
    return out


@njit(cache=True)
def spend_all(who: np.ndarray, paid: np.ndarray, share: np.ndarray, savings: np.ndarray,
              disposable: np.ndarray) -> None:
    """:func:`spend` of each borrower of ``who`` (shape (k,)): ``paid`` cents made with
    :func:`cash_for_bill` at ``share`` (shape (k,) each)."""
    for t in range(who.shape[0]):
        w = who[t]
        savings[w], disposable[w] = spend(paid[t], share[t], savings[w], disposable[w])


@njit(cache=True)
def whole_bills_of(month: int, idx: np.ndarray, cash: np.ndarray, current: np.ndarray,
                   row: np.ndarray, arrears: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """:func:`whole_bills` of each account of ``idx`` within its ``cash`` (shape (k,) each);
    cents, int64 of shape (k,)."""
    out = np.empty(idx.shape[0], dtype=np.int64)
    for t in range(idx.shape[0]):
        out[t] = whole_bills(month, idx[t], cash[t], current, row, arrears, rows)
    return out


@njit(cache=True)
def pay_accounts(month: int, idx: np.ndarray, amount: np.ndarray, current: np.ndarray,
                 row: np.ndarray, arrears: np.ndarray, rows: np.ndarray, oldest: np.ndarray,
                 unpaid: np.ndarray, outstanding: np.ndarray, reaged_left: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pay_account` for each account of ``idx`` in turn, paying ``amount`` cents
    (shape (k,) each); returns (principal paid, fees paid), int64 of shape (k,).

    Raises:
        ValueError: a payment is negative or exceeds what its account owes (accounts
            before it in ``idx`` are booked; check first to book none).
    """
    principal = np.empty(idx.shape[0], dtype=np.int64)
    fee = np.empty(idx.shape[0], dtype=np.int64)
    for t in range(idx.shape[0]):
        principal[t], fee[t] = pay_account(month, idx[t], amount[t], current, row, arrears,
                                           rows, oldest, unpaid, outstanding, reaged_left)
    return principal, fee
