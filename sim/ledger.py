"""The receivables book: every borrower's instalment schedule and unpaid bills, in cents.

A purchase is booked as a schedule of equal future instalments (principal and a
per-period fee) billed one per monthly statement; the schedule is kept as the change
in each account's monthly instalment at the month a plan starts and the month it ends,
so booking a 12-month plan costs two writes, not twelve. A statement moves the
month's instalment into the bills due on that month's due date; whatever stays
unpaid ages there, and the age of the oldest unpaid bill is the account's days past
due. Payments go to fees first, then to the oldest principal. All amounts are integer
cents, so the books balance exactly. Arrays are laid out one row per month slot and
one column per borrower, so that each month's operation touches contiguous memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.delinquency import (
    DAYS_PER_MONTH,
    charge_off_months,
    contractual_days_past_due,
    days_past_due,
)
from sim.kernels.layout import CURRENT, FREE, BillArrays
from sim.kernels.rowbook import free_rows, grown_book, grown_size, new_book, pop_rows

__all__ = ["DAYS_PER_MONTH", "MAX_ACCOUNT_CENTS", "MONTH", "SCHEDULE_SLOTS", "Ledger"]
SCHEDULE_SLOTS = 13
"""Month slots of the instalment schedule: a 12-month plan bought in month m is billed at the
statements m+1..m+12 and its end is booked at m+13 (a re-age at month m: at most 12 months of
grace and term, the same); so after month m's statement, when the slot of month m is empty,
the changes still to come are those of the 13 months m+1..m+13, and month m+13 takes the slot
that month m left. Every plan's start is matched by its end, so the instalment is 0 from the
last of them on."""
CELL = np.int32
"""Dtype of the per-month cells (instalments, their changes, unpaid bills): each is a part of
one account's balance, or a change of its instalment, so it fits while the balance does."""
MONTH = np.int16
"""Dtype of the per-account due months (``oldest``, ``contract_oldest``, ``reaged_month``):
months stop before ``book.horizon_months`` (at most 240), and their due days (month x 30 plus
the due day) stay far inside int16 too."""
ARREARS_ROWS_MIN, ARREARS_ROWS_DIVISOR = 64, 64
"""The arrears table starts with a row for one slot in 64 (at least 64 rows) and doubles,
up to a row for every account, when a statement needs more: the accounts in arrears are a
few per cent of a book."""
MAX_ACCOUNT_CENTS = int(np.iinfo(CELL).max)
"""Largest balance an account may reach, in cents (21,474,836.47 currency units); the
config's ``credit_line.max_limit`` is bounded well below it, and :meth:`Ledger.bill` and
:meth:`Ledger.book_purchase` refuse to go past it rather than wrap around."""


def _row_book(slot: int, rows: int) -> np.ndarray:
    """The arrears table's book of ``rows`` rows, every one free (:mod:`sim.kernels.bills`):
    the current slot ``slot``, then the book of free rows of :mod:`sim.kernels.rowbook`."""
    book = new_book(FREE, rows)
    book[CURRENT] = slot
    return book


def fee_rates(fee_rate: dict[int, float], longest: int) -> np.ndarray:
    """The instalment fee a period by plan term, terms 0..``longest`` (0 where ``fee_rate``
    has none), as the booking kernels index it."""
    rate = np.zeros(longest + 1)
    for t, r in fee_rate.items():
        if t < rate.shape[0]:
            rate[t] = r
    return rate


def _cents(values: np.ndarray) -> np.ndarray:
    """``values`` as int64 (the kernels' type), refusing non-integer amounts."""
    if not np.issubdtype(values.dtype, np.integer):
        raise TypeError(f"amounts must be whole cents (an integer array), not {values.dtype}")
    return values.astype(np.int64, copy=False)


class Ledger:
    """Instalment schedules and unpaid bills of ``capacity`` accounts.

    Attributes:
        instalment_principal, instalment_fee: (capacity,) cents billed each month by
            the plans running now.
        step_principal, step_fee: (13, capacity) change of those instalments at the
            statement of month slot ``month % 13`` (:data:`SCHEDULE_SLOTS`).
        due_principal, due_fee: (ages, capacity) cents billed and unpaid, by due-month
            slot ``month % ages`` (read-only views, built on demand: the bills are kept as
            :meth:`bills`). ``ages`` is one more than
            :func:`sim.delinquency.charge_off_months`: the bill of month m reaches
            ``chargeoff_dpd`` days past due, and the engine's charge-off batch runs
            (:meth:`sim.engine.PathSimulation.run`), in month ``m + ages - 1``, before the
            statement of month ``m + ages`` needs the slot (which raises if a bill is still
            there: an account left open past its charge-off).
        current, arrears_row, arrears: how the bills are kept (:mod:`sim.kernels.bills`):
            the latest statement's bill of every account ((2, capacity): principal, fees),
            and the earlier due months' bills in an arrears table ((2, ages, rows)) with a
            row for each account in arrears (``arrears_row``; the table grows as accounts
            fall behind).

    The cells are int32 (:data:`CELL`): each is a part of one account's balance or a
    change of its instalment, so it fits while the balance stays below
    :data:`MAX_ACCOUNT_CENTS`, which booking and billing check (on the balance computed in
    int64, before it is stored). What the ledger returns is int64 cents.

    Three per-account summaries are kept up to date by every booking so that the
    common case (an account whose only bill is this month's) costs a few dense array
    operations: ``outstanding`` (the balance; :data:`CELL`), ``unpaid`` (billed and unpaid,
    at most the balance; :data:`CELL`) and ``oldest`` (due month of the oldest unpaid
    bill, -1 when none; :data:`MONTH`). Read them, never write them from outside;
    :meth:`audit` recomputes them from the arrays.

    A restructuring (:meth:`restructure`, the hardship programme's re-age) leaves three
    more per-account records: ``reaged_month`` (month of the latest restructuring, -1
    when never; :data:`MONTH`), ``contract_oldest`` (due month of the oldest bill it
    cancelled, -1 when none was unpaid; :data:`MONTH`) and ``reaged_left`` (cents of the
    restructured amount not yet repaid, int32: principal paid afterwards counts against
    it). They give the contractual delinquency of :meth:`contractual_days_past_due`.
    """

    def __init__(self, capacity: int, chargeoff_dpd: int, due_day: int):
        self.capacity = capacity
        self.due_day = due_day
        self.ages = charge_off_months(due_day, chargeoff_dpd) + 1
        self.instalment_principal = np.zeros(capacity, dtype=CELL)
        self.instalment_fee = np.zeros(capacity, dtype=CELL)
        self.step_principal = np.zeros((SCHEDULE_SLOTS, capacity), dtype=CELL)
        self.step_fee = np.zeros((SCHEDULE_SLOTS, capacity), dtype=CELL)
        if self.ages < 2:
            raise ValueError(f"the bills need at least two due months before charge-off, got "
                             f"due_day {due_day} and chargeoff_dpd {chargeoff_dpd}")
        # the bills (sim.kernels.bills): this month's, the arrears table, its rows
        self.current = np.zeros((2, capacity), dtype=CELL)
        self.arrears_row = np.full(capacity, -1, dtype=np.int32)
        rows = max(ARREARS_ROWS_MIN, capacity // ARREARS_ROWS_DIVISOR)
        self.arrears = np.zeros((2, self.ages, rows), dtype=CELL)
        self._rows = _row_book(-1, rows)  # no statement yet: no current slot
        self.outstanding = np.zeros(capacity, dtype=CELL)  # a balance: see MAX_ACCOUNT_CENTS
        self.unpaid = np.zeros(capacity, dtype=CELL)  # at most the balance
        self.oldest = np.full(capacity, -1, dtype=MONTH)
        self.reaged_month = np.full(capacity, -1, dtype=MONTH)
        self.contract_oldest = np.full(capacity, -1, dtype=MONTH)
        self.reaged_left = np.zeros(capacity, dtype=CELL)  # at most a balance
        self._any_reaged = False
        # due-month slots by age, which depend on the month only through month % ages; and
        # their inverse, the age position of each slot
        self._age_orders = [np.arange(r + 1, r + 1 + self.ages) % self.ages
                            for r in range(self.ages)]
        for arr in self._age_orders:
            arr.setflags(write=False)

    # -- the bills --------------------------------------------------------------------------
    def bills(self) -> BillArrays:
        """The unpaid bills as the kernels take them: ``current``, ``arrears_row``,
        ``arrears`` and the rows' book (:data:`sim.kernels.layout.BillArrays`)."""
        return self.current, self.arrears_row, self.arrears, self._rows

    @property
    def arrears_rows(self) -> int:
        """Rows of the arrears table (accounts in arrears it can hold before it grows)."""
        return self.arrears.shape[2]

    @property
    def free_rows(self) -> np.ndarray:
        """The rows of the arrears table no account holds (a copy)."""
        return free_rows(self._rows, FREE).copy()

    def _reserve_rows(self, needed: int) -> None:
        """Grow the arrears table until ``needed`` rows are free: to twice its rows, but never
        past a row for every account (each holds at most one)."""
        rows = self.arrears_rows
        grown = grown_size(rows, int(self._rows[FREE]), needed, self.capacity)
        if grown == rows:
            return
        table = np.zeros((2, self.ages, grown), dtype=CELL)
        table[:, :, :rows] = self.arrears
        self.arrears = table
        self._rows = grown_book(self._rows, FREE, rows, grown)

    def _dense(self, k: int) -> np.ndarray:
        out = np.zeros((self.ages, self.capacity), dtype=CELL)
        held = np.flatnonzero(self.arrears_row >= 0)
        out[:, held] = self.arrears[k][:, self.arrears_row[held]]
        slot = int(self._rows[0])
        if slot >= 0:
            out[slot] = self.current[k]
        out.setflags(write=False)
        return out

    @property
    def due_principal(self) -> np.ndarray:
        """(ages, capacity) principal billed and unpaid by due-month slot (a read-only copy)."""
        return self._dense(0)

    @property
    def due_fee(self) -> np.ndarray:
        """(ages, capacity) fees billed and unpaid by due-month slot (a read-only copy)."""
        return self._dense(1)

    def set_bills(self, month: int, due_principal: np.ndarray, due_fee: np.ndarray) -> None:
        """Replace every unpaid bill with the (ages, capacity) cells ``due_principal`` and
        ``due_fee`` by due-month slot, ``month`` being the latest statement's (for tests and
        hand-built books; the summaries ``unpaid``, ``oldest`` are the caller's)."""
        slot = month % self.ages
        earlier = np.delete(np.arange(self.ages), slot)
        behind = ((due_principal[earlier] != 0) | (due_fee[earlier] != 0)).any(axis=0)
        rows = self.arrears_rows
        self.arrears_row[:] = -1
        self.arrears[:] = 0
        self._rows[:] = _row_book(slot, rows)
        self._reserve_rows(int(behind.sum()))
        idx = np.flatnonzero(behind)
        taken = pop_rows(self._rows, FREE, idx.size)
        self.arrears_row[idx] = taken
        for k, cells in enumerate((due_principal, due_fee)):
            self.arrears[k][np.ix_(earlier, taken)] = cells[np.ix_(earlier, idx)]
            self.current[k] = cells[slot]

    def _fees_of(self, idx: np.ndarray | slice) -> np.ndarray:
        """Unpaid fees of every due month of the accounts ``idx`` (int64)."""
        fees = self.current[1, idx].astype(np.int64)
        row = self.arrears_row[idx]
        held = np.flatnonzero(row >= 0)
        fees[held] += self.arrears[1][:, row[held]].sum(axis=0)
        return fees

    # -- reading ---------------------------------------------------------------------------
    @property
    def any_reaged(self) -> bool:
        """Whether any account was ever restructured (:meth:`restructure`)."""
        return self._any_reaged

    def age_order(self, month: int) -> np.ndarray:
        """Due-month slots from the oldest possible to ``month``'s (read-only)."""
        return self._age_orders[month % self.ages]

    def balance(self, n: int) -> np.ndarray:
        """Outstanding cents (unbilled principal plus unpaid bills) of accounts 0..n-1
        (int64)."""
        return self.outstanding[:n].astype(np.int64)

    def principal(self, n: int) -> np.ndarray:
        """Principal cents (unbilled and billed, unpaid) of accounts 0..n-1: balance less fees."""
        return self.outstanding[:n] - self._fees_of(slice(0, n))

    def principal_of(self, idx: np.ndarray) -> np.ndarray:
        """Principal cents of the accounts ``idx``: ``principal(n)[idx]`` without the rest."""
        return self.outstanding[idx] - self._fees_of(idx)

    def owed(self, n: int) -> np.ndarray:
        """Cents billed and unpaid (all due dates so far) of accounts 0..n-1 (int64)."""
        return self.unpaid[:n].astype(np.int64)

    def oldest_due_month(self, n: int) -> np.ndarray:
        """Due month of each account's oldest unpaid bill, or -1 when nothing is unpaid
        (int64)."""
        return self.oldest[:n].astype(np.int64)

    def days_past_due(self, day: float, n: int) -> np.ndarray:
        """Whole days since the oldest unpaid due date at time ``day``.

        0 when nothing is unpaid or the oldest unpaid bill is not yet due.
        """
        return days_past_due(day, self.oldest[:n], self.due_day)

    def contractual_days_past_due(self, day: float, n: int,
                                  reported: np.ndarray | None = None) -> np.ndarray:
        """Days past due of accounts 0..n-1 at ``day`` as if no account had been re-aged
        (:func:`sim.delinquency.contractual_days_past_due` of ``contract_oldest`` and
        ``reaged_left``): from the oldest bill a re-age cancelled while its restructured
        amount is not repaid, never below the reported days past due.

        Args:
            day: time in days.
            n: accounts 0..n-1.
            reported: :meth:`days_past_due` at ``day``, when the caller has it already.

        Returns:
            Whole days, shape (n,), int64; never below the reported days past due.
        """
        dpd = self.days_past_due(day, n) if reported is None else reported.copy()
        if not self._any_reaged:
            return dpd
        return contractual_days_past_due(day, dpd, self.contract_oldest[:n],
                                         self.reaged_left[:n], self.due_day)

    def _repaid(self, idx: np.ndarray | slice, principal: np.ndarray) -> None:
        """Count ``principal`` paid by accounts ``idx`` against their restructured amount."""
        if self._any_reaged:
            left = self.reaged_left[idx]
            self.reaged_left[idx] = left - np.minimum(left, principal)

    def accelerate(self, month: int, idx: np.ndarray) -> np.ndarray:
        """Call the whole balance of accounts ``idx`` due (termination of the contract).

        Every unpaid bill and the principal not yet billed become one bill, due on the
        due date of the oldest unpaid bill, so the account's days past due run on from
        its first missed instalment and only paying the whole balance (or a re-age) ends
        the delinquency. Future instalment fees are cancelled; the balance does not change.

        Returns:
            Principal cents called early per account of ``idx`` (was not yet billed).
        """
        from sim.kernels.statement import accelerate_accounts

        return accelerate_accounts(month, _cents(idx), *self._schedule(), self.oldest,
                                   self.unpaid)

    def whole_bills(self, month: int, idx: np.ndarray, cash: np.ndarray) -> np.ndarray:
        """The most each account ``idx`` can pay in whole bills, oldest first, within ``cash``.

        A bill (one due month's instalment) is paid whole or not at all, as an instalment
        is on instalment platforms; later bills wait for the older ones. Payments go to
        fees first (:meth:`pay`), so clearing the oldest k bills costs every unpaid fee
        plus the principal of those k bills (the rule: :func:`sim.kernels.accounts.whole_bills`).

        Args:
            month: the current month (bills of due months up to it).
            idx: accounts, shape (k,).
            cash: cents each can put towards its bills, shape (k,).

        Returns:
            Cents, shape (k,): the most, not above ``cash``, that clears whole bills
            (0 when not even the fees and the oldest bill fit).
        """
        from sim.kernels.accounts import whole_bills_of

        return whole_bills_of(month, _cents(np.asarray(idx)), _cents(np.asarray(cash)),
                              *self.bills())

    def audit(self, month: int, n: int) -> None:
        """Recompute the per-account summaries from the arrays; raise if any disagrees."""
        due_principal, due_fee = self.due_principal, self.due_fee
        owed = due_principal[:, :n].sum(axis=0) + due_fee[:, :n].sum(axis=0)
        balance = self.unbilled_principal(month, n) + owed
        order = self.age_order(month)
        unpaid = (due_principal[order, :n] + due_fee[order, :n]) > 0
        oldest = np.where(unpaid.any(axis=0), month - self.ages + 1 + unpaid.argmax(axis=0), -1)
        for name, want, got in (("balance", balance, self.outstanding[:n]),
                                ("owed", owed, self.unpaid[:n]),
                                ("oldest", oldest, self.oldest[:n])):
            if not np.array_equal(want, got):
                raise AssertionError(f"ledger {name} summary is out of date")

    def unbilled_principal(self, month: int, n: int | np.ndarray) -> np.ndarray:
        """Principal still to be billed after ``month``'s statement, of accounts 0..n-1
        (``n`` a count) or of the accounts ``n`` (an index array): the instalments of months
        ``month + 1`` to ``month + 12`` (from ``month + 13`` on, every plan has ended)."""
        cols = slice(0, n) if isinstance(n, int) else n
        rate = self.instalment_principal[cols].copy()
        total = np.zeros(rate.shape[0], dtype=np.int64)
        for k in range(1, SCHEDULE_SLOTS):
            rate += self.step_principal[(month + k) % SCHEDULE_SLOTS, cols]
            total += rate
        return total

    # -- booking ---------------------------------------------------------------------------
    def book_purchase(
        self, month: int, amount: np.ndarray, term: np.ndarray, fee_rate: dict[int, float]
    ) -> None:
        """Book purchases made in ``month`` as instalments billed from the next statement.

        ``term`` 0 means pay in full at the next statement (no fee); 3/6/12 split the
        principal evenly (the remainder cents go to the first instalment) with a fee of
        ``fee_rate[term]`` times the amount in every period.
        """
        from sim.kernels.book import book_purchases  # numba loads with the first path

        rate = fee_rates(fee_rate, int(term.max(initial=0)))
        top = book_purchases(month, _cents(amount), _cents(term), rate, self.step_principal,
                             self.step_fee, self.outstanding)
        self.raise_if_above(int(top))

    @staticmethod
    def raise_if_above(top: int) -> None:
        """Raise when the largest balance ``top`` (cents, computed in int64) is past
        :data:`MAX_ACCOUNT_CENTS`.

        Fees (late fees on a large overdue balance, re-aged fees) can lift a balance above
        its limit; this stops the run rather than go on with a balance, or a cell of the
        schedule or of the bills, wrapped around.
        """
        if top > MAX_ACCOUNT_CENTS:
            raise OverflowError(
                f"an account balance reached {top / 100:,.2f}, above the ledger's largest "
                f"balance of {MAX_ACCOUNT_CENTS / 100:,.2f} currency units; lower "
                f"credit_line.max_limit or the fees (billing.late_fee_daily, instalment_fee)")

    def bill(self, month: int, n: int, late_fee_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """Issue ``month``'s statement: move its instalments into the bills due this month.

        A late fee of ``late_fee_rate`` times the overdue principal is added to the bill.

        Returns:
            (principal billed, fees billed) per account, in cents.
        """
        return self.statement(month, n, late_fee_rate)

    def statement(self, month: int, n: int, late_fee_rate: float,
                  acceleration_dpd: int | None = None, open_: np.ndarray | None = None,
                  accelerated: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`bill` accounts 0..n-1, then :meth:`accelerate` those ``acceleration_dpd`` or
        more days past due on the statement's day that are open (``open_``) and not yet
        ``accelerated`` (flagged there), in one pass over the accounts.

        Args:
            month: the statement's month (its day is ``month * DAYS_PER_MONTH``).
            n: accounts 0..n-1.
            late_fee_rate: late fee as a share of the overdue principal.
            acceleration_dpd: days past due that call the balance due; None: never.
            open_, accelerated: (capacity,) bool, needed with ``acceleration_dpd``;
                ``accelerated`` is updated in place.

        Returns:
            (principal billed, fees billed) per account, in cents (int64, shape (n,)).

        Raises:
            RuntimeError: a bill older than the charge-off age was on the books.
            OverflowError: a balance went past :data:`MAX_ACCOUNT_CENTS`.
        """
        from sim.kernels.bills import rows_needed
        from sim.kernels.statement import NO_ROW, STALE, bill_accounts

        if acceleration_dpd is None or open_ is None or accelerated is None:
            acceleration_dpd = -1
            open_ = accelerated = np.zeros(0, dtype=bool)
        self._reserve_rows(rows_needed(self.current, self.arrears_row, n))
        principal, fee, flags, top = bill_accounts(
            month, n, late_fee_rate, acceleration_dpd, self.due_day, open_, accelerated,
            *self._schedule(), self.oldest, self.unpaid, self.outstanding)
        if flags & NO_ROW:
            raise RuntimeError("the arrears table had no free row for an account in arrears")
        if flags & STALE:
            raise RuntimeError("a bill older than the charge-off age was left on the books")
        self.raise_if_above(int(top))
        return principal, fee

    def _schedule(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                 np.ndarray, np.ndarray, np.ndarray]:
        """The four int32 schedule arrays and the bills, in the kernels' order."""
        return (self.instalment_principal, self.instalment_fee, self.step_principal,
                self.step_fee, *self.bills())

    def pay(self, month: int, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Apply payments of accounts 0..len(amount)-1: fees oldest first, then principal.

        Returns:
            (principal paid, fees paid) per account, in cents.

        Raises:
            ValueError: a payment is negative or exceeds what its account owes (none is
                booked then).
            TypeError: the amounts are not whole cents (an integer array).
        """
        from sim.kernels.book import pay_bills  # numba loads with the first path

        if not np.issubdtype(amount.dtype, np.integer):  # refused, out of range first
            n = amount.shape[0]
            if np.any(amount > self.unpaid[:n]) or np.any(amount < 0):
                raise ValueError("a payment is negative or exceeds what the account owes")
        # whole cents: the kernel checks them against what each account owes
        return pay_bills(month, _cents(amount), *self.bills(), self.oldest, self.unpaid,
                         self.outstanding, self.reaged_left)

    def pay_accounts(self, month: int, idx: np.ndarray,
                     amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Apply payments of the accounts ``idx`` (between due dates, e.g. after a call):
        fees oldest first, then principal oldest first (the rule:
        :func:`sim.kernels.accounts.pay_account`).

        Returns:
            (principal paid, fees paid) per account in ``idx``, in cents.

        Raises:
            ValueError: a payment is negative or exceeds what its account owes (nothing is
                booked).
        """
        from sim.kernels.accounts import pay_accounts

        idx, amount = _cents(np.asarray(idx)), _cents(np.asarray(amount))
        if (amount > self.unpaid[idx]).any() or (amount < 0).any():
            raise ValueError("a payment is negative or exceeds what the account owes")
        return pay_accounts(month, idx, amount, *self.bills(), self.oldest, self.unpaid,
                            self.outstanding, self.reaged_left)

    def restructure(self, month: int, idx: np.ndarray, grace: int, term: int) -> None:
        """Re-age accounts ``idx``: their whole balance becomes a new fee-free plan.

        The unpaid bills and unbilled instalments are cancelled and the balance is billed
        in ``term`` equal instalments from the statement ``grace + 1`` months ahead; the
        account is current again. The balance itself does not change (billed fees
        become part of the plan's principal).

        The re-age is recorded: ``reaged_month`` is set to ``month``, ``reaged_left`` to
        the restructured balance and ``contract_oldest`` to the due month of the oldest
        bill cancelled (kept when an earlier restructuring's is older and still unpaid).
        """
        if grace + term > SCHEDULE_SLOTS - 1:
            raise ValueError(f"grace + term must be at most {SCHEDULE_SLOTS - 1} months")
        from sim.kernels.reage import reage_accounts  # numba loads with the first path

        idx = np.asarray(idx, dtype=np.int64)
        reage_accounts(month, idx, grace, term, self.outstanding, self.oldest,
                       self.contract_oldest, self.reaged_left, self.reaged_month,
                       self.step_principal, self.step_fee, self.current, self.arrears_row,
                       self.arrears,
                       self.instalment_principal, self.instalment_fee, self.unpaid)
        self._any_reaged = self._any_reaged or idx.size > 0

    def write_off(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Remove the whole balance (unbilled principal and unpaid bills) of the ``mask`` accounts.

        Returns:
            (principal written off, fees written off) per account in ``mask`` order.
        """
        from sim.kernels.write_off import write_off_accounts

        principal, fee, flags = write_off_accounts(np.flatnonzero(mask), *self._write_off_args())
        self._check_written_off(flags)
        return principal, fee

    def charge_off(self, day: float, n: int, chargeoff_dpd: int,
                   open_: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`write_off` the open accounts among 0..n-1 that are ``chargeoff_dpd`` or more
        days past due at ``day``, in one pass over the accounts.

        Returns:
            (accounts written off in increasing order, principal, fees written off per
            account), int64.
        """
        from sim.kernels.write_off import charge_off_accounts

        idx, principal, fee, flags = charge_off_accounts(
            day, n, chargeoff_dpd, self.due_day, open_, *self._write_off_args())
        self._check_written_off(flags)
        return idx, principal, fee

    def _write_off_args(self) -> tuple[Any, ...]:
        return (*self._schedule(), self.oldest, self.unpaid, self.outstanding, self.reaged_left,
                self.contract_oldest)

    @staticmethod
    def _check_written_off(flags: int) -> None:
        from sim.kernels.statement import NEGATIVE

        if flags & NEGATIVE:
            raise AssertionError("a principal written off is below the billed principal")
