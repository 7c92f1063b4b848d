"""One borrower's credit line as the books see it: instalment plans and unpaid bills.

Plain Python, one account at a time: the readable statement of the rules that
:class:`sim.ledger.Ledger` applies to every account at once with arrays.

- A purchase of ``amount`` cents on a ``term``-month plan (0: pay in full) is billed in
  ``max(term, 1)`` equal instalments from the next statement; the remainder cents of the
  division go to the first instalment; each instalment carries a fee of
  ``round(amount * billing.instalment_fee[term])`` (none when paying in full).
- A statement moves the month's instalments into a bill due on that month's due date
  (day ``billing.due_day``); a late fee of ``billing.late_fee_daily * 30`` times the
  principal still unpaid on older bills is added to it.
- Payments go to fees, oldest bill first, then to principal, oldest bill first.
- Days past due: whole days since the due date of the oldest unpaid bill (0 before it).
- Acceleration (``billing.acceleration_dpd``) calls the whole balance due as one bill on
  the oldest unpaid due date, cancelling future instalment fees.
- A re-age (hardship, arrangement) turns the whole balance into a fee-free plan of
  ``collections.hardship.term_months`` instalments after a grace period; the account is
  current again, but its contractual delinquency runs on from the oldest bill the re-age
  cancelled until the restructured amount is repaid.

All amounts are integer cents; rounding is half to even (as ``round`` and ``numpy.rint``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim import delinquency


@dataclass
class Plan:
    """Instalments billed at the statements of months ``first``..``last`` (inclusive).

    Each bills ``base`` cents of principal (plus ``rem`` at the first) and ``fee`` cents.
    """

    first: int
    last: int
    base: int
    rem: int
    fee: int

    def principal_at(self, month: int) -> int:
        """Principal cents this plan bills at ``month``'s statement."""
        if not self.first <= month <= self.last:
            return 0
        return self.base + (self.rem if month == self.first else 0)

    def principal_after(self, month: int) -> int:
        """Principal cents still to bill at statements after ``month``."""
        start = max(self.first, month + 1)
        if start > self.last:
            return 0
        return self.base * (self.last - start + 1) + (self.rem if start == self.first else 0)


@dataclass
class Account:
    """The credit line of one borrower, in cents.

    Attributes:
        due_day: day of the month bills fall due (``billing.due_day``).
        plans: instalment plans not yet fully billed.
        bills: unpaid bills by due month, ``[principal, fee]``, oldest first; a bill
            paid off is removed.
        outstanding: the balance: unbilled principal plus unpaid bills.
        reaged_month: month of the latest re-age (-1: never).
        contract_oldest: due month of the oldest bill a re-age cancelled (-1: none).
        reaged_left: cents of the restructured amount not yet repaid.
    """

    due_day: int
    plans: list[Plan] = field(default_factory=list)
    bills: dict[int, list[int]] = field(default_factory=dict)
    outstanding: int = 0
    reaged_month: int = -1
    contract_oldest: int = -1
    reaged_left: int = 0

    # -- reading ---------------------------------------------------------------------------
    @property
    def oldest(self) -> int:
        """Due month of the oldest unpaid bill, -1 when nothing is unpaid."""
        return next(iter(self.bills), -1)

    @property
    def unpaid(self) -> int:
        """Cents billed and not yet paid."""
        return sum(p + f for p, f in self.bills.values())

    @property
    def unpaid_fees(self) -> int:
        return sum(f for _, f in self.bills.values())

    def principal(self) -> int:
        """Principal cents owed (billed or not): the balance less unpaid fees."""
        return self.outstanding - self.unpaid_fees

    def due_time(self, month: int) -> int:
        """Day on which the bill of ``month`` falls due (:func:`sim.delinquency.due_time`)."""
        return delinquency.due_time(month, self.due_day)

    def days_past_due(self, day: float) -> int:
        """Whole days at time ``day`` since the oldest unpaid bill fell due, 0 if none
        (:func:`sim.delinquency.days_past_due`)."""
        return int(delinquency.days_past_due(day, self.oldest, self.due_day))

    def past_due(self, day: int) -> bool:
        """Whether a bill is past due on whole day ``day`` (:func:`sim.delinquency.past_due`)."""
        return bool(delinquency.past_due(day, self.oldest, self.due_day))

    def contractual_days_past_due(self, day: float) -> int:
        """Days past due as if never re-aged: while the restructured amount is not repaid,
        counted from the oldest bill the re-age cancelled, never below the reported days
        past due (:func:`sim.delinquency.contractual_days_past_due`)."""
        return int(delinquency.contractual_days_past_due(
            day, self.days_past_due(day), self.contract_oldest, self.reaged_left,
            self.due_day))

    def unbilled_principal(self, month: int) -> int:
        """Principal still to be billed after ``month``'s statement."""
        return sum(plan.principal_after(month) for plan in self.plans)

    # -- booking ---------------------------------------------------------------------------
    def book_purchase(self, month: int, amount: int, term: int, fee_rate: dict[int, float]
                      ) -> None:
        """Book a purchase of ``amount`` cents in ``month`` on a ``term``-month plan."""
        if amount <= 0:
            return
        periods = max(term, 1)
        base, rem = divmod(amount, periods)
        fee = round(amount * fee_rate.get(term, 0.0)) if term > 0 else 0
        self.plans.append(Plan(month + 1, month + periods, base, rem, fee))
        self.outstanding += amount

    def bill(self, month: int, late_fee_rate: float) -> tuple[int, int]:
        """Issue ``month``'s statement; return (principal, fees) billed.

        The late fee is ``round(late_fee_rate * principal unpaid on older bills)``.
        """
        late = round(sum(p for p, _ in self.bills.values()) * late_fee_rate) if self.bills else 0
        principal = sum(plan.principal_at(month) for plan in self.plans)
        fee = sum(plan.fee for plan in self.plans if plan.first <= month <= plan.last) + late
        self.plans = [plan for plan in self.plans if plan.last > month]
        if principal + fee > 0:
            self.bills[month] = [principal, fee]
        self.outstanding += fee
        return principal, fee

    def pay(self, amount: int) -> tuple[int, int]:
        """Apply a payment: fees oldest first, then principal oldest first.

        Returns:
            (principal paid, fees paid), cents.

        Raises:
            ValueError: the payment is negative or above what is unpaid.
        """
        if amount < 0 or amount > self.unpaid:
            raise ValueError("a payment is negative or exceeds what the account owes")
        left = amount
        fee_paid = principal_paid = 0
        for slot in (1, 0):  # fees first, then principal
            for bill in self.bills.values():
                take = min(left, bill[slot])
                bill[slot] -= take
                left -= take
                if slot:
                    fee_paid += take
                else:
                    principal_paid += take
        self.bills = {m: b for m, b in self.bills.items() if b[0] + b[1] > 0}
        self.outstanding -= amount
        self.reaged_left -= min(self.reaged_left, principal_paid)
        return principal_paid, fee_paid

    def whole_bills(self, cash: int) -> int:
        """The most, within ``cash``, that pays whole bills oldest first (fees come first).

        Clearing the oldest k bills costs every unpaid fee plus the principal of those k
        bills; 0 when not even that fits for k = 1 (or, with no principal left, the fees).
        """
        fees = self.unpaid_fees
        principals = [p for p, _ in self.bills.values() if p > 0]
        if not principals:
            return fees if 0 < fees <= cash else 0
        best, running = 0, fees
        for p in principals:
            running += p
            if running <= cash:
                best = running
        return best

    def accelerate(self, month: int) -> int:
        """Call the whole balance due on the oldest unpaid due date; return the principal
        called early (not yet billed)."""
        unbilled = self.unbilled_principal(month)
        principal = sum(p for p, _ in self.bills.values()) + unbilled
        fee = self.unpaid_fees
        oldest = self.oldest
        self.plans = []
        self.bills = {oldest: [principal, fee]} if principal + fee > 0 else {}
        return unbilled

    def restructure(self, month: int, grace: int, term: int) -> None:
        """Re-age: the whole balance becomes ``term`` fee-free instalments billed from the
        statement ``grace + 1`` months ahead; unpaid bills and plans are cancelled."""
        self.contract_oldest = int(delinquency.contract_oldest_after_reage(
            self.contract_oldest, self.reaged_left, self.oldest))
        self.reaged_month = month
        self.reaged_left = self.outstanding
        self.plans, self.bills = [], {}
        base, rem = divmod(self.outstanding, term)
        start = month + 1 + grace
        self.plans.append(Plan(start, start + term - 1, base, rem, 0))

    def write_off(self) -> tuple[int, int]:
        """Remove the whole balance; return (principal, fees) written off."""
        fee = self.unpaid_fees
        principal = self.outstanding - fee
        self.plans, self.bills = [], {}
        self.outstanding = self.reaged_left = 0
        self.contract_oldest = -1
        return principal, fee
