"""The receivables book: every borrower's instalment schedule and unpaid bills, in cents.

A purchase is booked as a schedule of future instalments (principal and a per-period
fee) billed one per monthly statement. A statement moves the month's instalment into
the bills due on that month's due date; whatever stays unpaid ages there, and the age
of the oldest unpaid bill is the account's days past due. Payments go to fees first,
then to the oldest principal. All amounts are integer cents, so the books balance
exactly. Arrays are laid out one row per month slot and one column per borrower, so
that each month's operation touches contiguous memory.
"""

from __future__ import annotations

import numpy as np

DAYS_PER_MONTH = 30
SCHEDULE_SLOTS = 13  # a 12-month plan bought in month m bills in months m+1..m+12


def allocate(amount: np.ndarray, buckets: np.ndarray) -> np.ndarray:
    """Split each column's ``amount`` over ``buckets`` rows in order, filling each fully.

    Args:
        amount: cents to allocate per borrower, shape (n,), each <= the column's total.
        buckets: cents owed per bucket in payment order, shape (k, n).

    Returns:
        Cents paid into each bucket, shape (k, n); columns sum to ``amount``.
    """
    before = np.cumsum(buckets, axis=0) - buckets
    return np.clip(amount[None, :] - before, 0, buckets)


class Ledger:
    """Instalment schedules and unpaid bills of ``capacity`` accounts.

    Attributes:
        sched_principal, sched_fee: (13, capacity) cents to be billed, by month slot
            ``month % 13``.
        due_principal, due_fee: (ages, capacity) cents billed and unpaid, by due-month
            slot ``month % ages``.
    """

    def __init__(self, capacity: int, chargeoff_dpd: int, due_day: int):
        self.capacity = capacity
        self.due_day = due_day
        self.ages = chargeoff_dpd // DAYS_PER_MONTH + 2
        self.sched_principal = np.zeros((SCHEDULE_SLOTS, capacity), dtype=np.int64)
        self.sched_fee = np.zeros((SCHEDULE_SLOTS, capacity), dtype=np.int64)
        self.due_principal = np.zeros((self.ages, capacity), dtype=np.int64)
        self.due_fee = np.zeros((self.ages, capacity), dtype=np.int64)

    # -- reading ---------------------------------------------------------------------------
    def age_order(self, month: int) -> np.ndarray:
        """Due-month slots from the oldest possible to ``month``'s."""
        return np.arange(month - self.ages + 1, month + 1) % self.ages

    def balance(self, n: int) -> np.ndarray:
        """Outstanding cents (unbilled principal plus unpaid bills) of accounts 0..n-1."""
        return (
            self.sched_principal[:, :n].sum(axis=0)
            + self.due_principal[:, :n].sum(axis=0)
            + self.due_fee[:, :n].sum(axis=0)
        )

    def owed(self, n: int) -> np.ndarray:
        """Cents billed and unpaid (all due dates so far) of accounts 0..n-1."""
        return self.due_principal[:, :n].sum(axis=0) + self.due_fee[:, :n].sum(axis=0)

    def oldest_due_month(self, month: int, n: int) -> np.ndarray:
        """Due month of each account's oldest unpaid bill, or -1 when nothing is unpaid."""
        order = self.age_order(month)
        unpaid = (self.due_principal[order, :n] + self.due_fee[order, :n]) > 0
        has = unpaid.any(axis=0)
        first = unpaid.argmax(axis=0)
        return np.where(has, month - self.ages + 1 + first, -1)

    def days_past_due(self, day: float, month: int, n: int) -> np.ndarray:
        """Whole days since the oldest unpaid due date at time ``day`` (0 when none)."""
        oldest = self.oldest_due_month(month, n)
        due_time = oldest * DAYS_PER_MONTH + self.due_day
        return np.where(oldest >= 0, np.floor(day - due_time).astype(np.int64), 0)

    # -- booking ---------------------------------------------------------------------------
    def book_purchase(
        self, month: int, amount: np.ndarray, term: np.ndarray, fee_rate: dict[int, float]
    ) -> None:
        """Book purchases made in ``month`` as instalments billed from the next statement.

        ``term`` 0 means pay in full at the next statement (no fee); 3/6/12 split the
        principal evenly (the remainder cents go to the first instalment) with a fee of
        ``fee_rate[term]`` times the amount in every period.
        """
        for t in np.unique(term[amount > 0]):
            sel = np.flatnonzero((term == t) & (amount > 0))
            amt = amount[sel]
            periods = max(int(t), 1)
            base, rem = np.divmod(amt, periods)
            fee = np.rint(amt * fee_rate.get(int(t), 0.0)).astype(np.int64)
            for k in range(1, periods + 1):
                slot = (month + k) % SCHEDULE_SLOTS
                self.sched_principal[slot, sel] += base + (rem if k == 1 else 0)
                self.sched_fee[slot, sel] += fee

    def bill(self, month: int, n: int, late_fee_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """Issue ``month``'s statement: move its instalments into the bills due this month.

        A late fee of ``late_fee_rate`` times the overdue principal is added to the bill.

        Returns:
            (principal billed, fees billed) per account, in cents.
        """
        slot, due = month % SCHEDULE_SLOTS, month % self.ages
        if self.due_principal[due, :n].any() or self.due_fee[due, :n].any():
            raise RuntimeError("a bill older than the charge-off age was left on the books")
        late = np.rint(self.due_principal[:, :n].sum(axis=0) * late_fee_rate).astype(np.int64)
        principal = self.sched_principal[slot, :n].copy()
        fee = self.sched_fee[slot, :n] + late
        self.due_principal[due, :n] = principal
        self.due_fee[due, :n] = fee
        self.sched_principal[slot, :n] = 0
        self.sched_fee[slot, :n] = 0
        return principal, fee

    def pay(self, month: int, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Apply payments of accounts 0..len(amount)-1: fees oldest first, then principal.

        Returns:
            (principal paid, fees paid) per account, in cents.
        """
        n = amount.shape[0]
        order = self.age_order(month)
        fee = self.due_fee[order, :n]
        principal = self.due_principal[order, :n]
        paid = allocate(amount, np.concatenate([fee, principal]))
        if np.any(paid.sum(axis=0) != amount):
            raise ValueError("a payment exceeds what the account owes")
        k = self.ages
        self.due_fee[order, :n] = fee - paid[:k]
        self.due_principal[order, :n] = principal - paid[k:]
        return paid[k:].sum(axis=0), paid[:k].sum(axis=0)

    def write_off(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Remove the whole balance (unbilled principal and unpaid bills) of the ``mask`` accounts.

        Returns:
            (principal written off, fees written off) per account in ``mask`` order.
        """
        idx = np.flatnonzero(mask)
        principal = self.sched_principal[:, idx].sum(axis=0) + self.due_principal[:, idx].sum(axis=0)
        fee = self.due_fee[:, idx].sum(axis=0)
        for arr in (self.sched_principal, self.sched_fee, self.due_principal, self.due_fee):
            arr[:, idx] = 0
        return principal, fee
