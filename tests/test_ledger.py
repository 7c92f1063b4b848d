"""The receivables ledger: instalment schedules, bills, allocation, days past due."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from helpers_engine import BillBook, negative_amounts
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config import largest_episode_balance, load_config
from sim.configfile import ConfigError
from sim.ledger import DAYS_PER_MONTH, MAX_ACCOUNT_CENTS, Ledger

FEES = {3: 0.005, 6: 0.006, 12: 0.006}


def cents(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def one_account(chargeoff_dpd: int = 180, due_day: int = 20) -> Ledger:
    return Ledger(capacity=1, chargeoff_dpd=chargeoff_dpd, due_day=due_day)


# -- instalment schedules ---------------------------------------------------------------------
def bills_over(ledger: Ledger, months: range, n: int, late_fee_rate: float = 0.0):
    """Bill each month and pay it in full; returns [(principal, fee)] per month."""
    out = []
    for m in months:
        principal, fee = ledger.bill(m, n, late_fee_rate)
        out.append((principal.tolist(), fee.tolist()))
        ledger.pay(m, ledger.owed(n))
    return out


def test_three_month_plan_puts_remainder_cents_in_first_instalment():
    ledger = one_account()
    ledger.book_purchase(0, cents(1000), cents(3), FEES)  # 1000 = 334 + 333 + 333
    bills = bills_over(ledger, range(1, 5), 1)
    # fee per period: 0.5 % of the 10.00 financed = 5 cents, every period
    assert bills == [([334], [5]), ([333], [5]), ([333], [5]), ([0], [0])]


def test_mixed_plans_booked_together():
    ledger = Ledger(capacity=4, chargeoff_dpd=180, due_day=20)
    ledger.book_purchase(0, cents(1000, 100_001, 12_345, 0), cents(3, 12, 0, 6), FEES)
    bills = bills_over(ledger, range(1, 14), 4)
    principal = np.array([b[0] for b in bills])
    fee = np.array([b[1] for b in bills])
    # 100001 / 12 = 8333 rem 5: the first instalment carries the 5 remainder cents
    assert principal[:, 1].tolist() == [8338] + [8333] * 11 + [0]
    assert fee[:, 1].tolist() == [600] * 12 + [0]  # rint(100001 * 0.006) = 600
    # pay in full: billed once at the next statement, no fee
    assert principal[:, 2].tolist() == [12_345] + [0] * 12
    assert fee[:, 2].sum() == 0
    assert principal[:, 3].sum() == 0 and fee[:, 3].sum() == 0
    assert principal.sum(axis=0).tolist() == [1000, 100_001, 12_345, 0]


def test_schedules_overlap_across_the_slot_ring():
    """Twelve-month plans bought every month: month t bills one instalment of each of
    the purchases of months t-12 .. t-1, even though schedules share 13 slots."""
    rng = np.random.default_rng(3)
    amounts = rng.integers(1_200, 500_000, size=30)
    ledger = one_account()
    billed = []
    for m in range(30):
        if m:
            billed.append(ledger.bill(m, 1, 0.0)[0][0])
            ledger.pay(m, ledger.owed(1))
        ledger.book_purchase(m, cents(int(amounts[m])), cents(12), FEES)
    for t, got in enumerate(billed, start=1):
        expected = 0
        for m in range(max(0, t - 12), t):
            base, rem = divmod(int(amounts[m]), 12)
            expected += base + (rem if t == m + 1 else 0)
        assert got == expected


def test_plan_without_a_fee_rate_is_fee_free():
    ledger = one_account()
    ledger.book_purchase(0, cents(900), cents(3), {6: 0.01})
    assert bills_over(ledger, range(1, 4), 1) == [([300], [0])] * 3


# -- billing and late fees ----------------------------------------------------------------------
def test_late_fee_is_charged_on_overdue_principal_only():
    ledger = one_account()
    ledger.book_purchase(0, cents(90_000), cents(3), FEES)  # 30000 a month + 450 fee
    assert [a.tolist() for a in ledger.bill(1, 1, 0.015)] == [[30_000], [450]]
    ledger.pay(1, cents(0))  # missed: 30000 principal and 450 fee overdue
    principal, fee = ledger.bill(2, 1, 0.015)
    # late fee rint(30000 * 0.015) = 450 on principal; the overdue 450 fee is not charged
    assert (principal.tolist(), fee.tolist()) == ([30_000], [450 + 450])
    assert ledger.owed(1).tolist() == [30_000 + 450 + 30_000 + 900]


def test_late_fee_without_new_instalment():
    ledger = one_account()
    ledger.book_purchase(0, cents(12_345), cents(0), FEES)
    ledger.bill(1, 1, 0.015)
    ledger.pay(1, cents(0))
    principal, fee = ledger.bill(2, 1, 0.015)
    assert principal.tolist() == [0]
    assert fee.tolist() == [185]  # rint(12345 * 0.015) = rint(185.175)


# -- payments -------------------------------------------------------------------------------
def test_payment_goes_to_fees_first_then_oldest_principal():
    ledger = one_account()
    ledger.book_purchase(0, cents(90_000), cents(3), FEES)
    ledger.bill(1, 1, 0.015)
    ledger.pay(1, cents(0))
    ledger.bill(2, 1, 0.015)  # owed: month 1 (30000 + 450), month 2 (30000 + 900)
    principal, fee = ledger.pay(2, cents(40_000))
    # fees 450 + 900 = 1350 first, then all 30000 of month 1, then 8650 of month 2
    assert (principal.tolist(), fee.tolist()) == ([38_650], [1_350])
    assert ledger.owed(1).tolist() == [21_350]
    assert ledger.oldest_due_month(1).tolist() == [2]
    assert ledger.balance(1).tolist() == [21_350 + 30_000]  # plus month 3's instalment
    principal, fee = ledger.bill(3, 1, 0.015)
    assert fee.tolist() == [450 + 320]  # late fee rint(21350 * 0.015) = rint(320.25)
    principal, fee = ledger.pay(3, cents(800))
    assert (principal.tolist(), fee.tolist()) == ([30], [770])
    assert ledger.owed(1).tolist() == [21_320 + 30_000]
    assert ledger.oldest_due_month(1).tolist() == [2]


def test_payment_larger_than_owed_is_rejected():
    ledger = one_account()
    ledger.book_purchase(0, cents(500), cents(0), FEES)
    ledger.bill(1, 1, 0.0)
    with pytest.raises(ValueError, match="exceeds"):
        ledger.pay(1, cents(501))


def test_write_off_removes_unbilled_principal_and_unpaid_bills():
    ledger = Ledger(capacity=2, chargeoff_dpd=180, due_day=20)
    ledger.book_purchase(0, cents(120_000, 5_000), cents(12, 0), FEES)
    ledger.bill(1, 2, 0.015)  # 10000 + 720 fee; 5000
    ledger.pay(1, cents(0, 0))
    ledger.bill(2, 2, 0.015)  # 10000 + 720 + 150 late; 0 + 75 late
    principal, fee = ledger.write_off(np.array([True, False]))
    # all 120000 of principal (billed or not); only billed fees (720 + 870)
    assert (principal.tolist(), fee.tolist()) == ([120_000], [1_590])
    assert ledger.balance(2).tolist() == [0, 5_075]
    assert ledger.oldest_due_month(2).tolist() == [-1, 1]
    assert ledger.write_off(np.array([True, False]))[0].tolist() == [0]


# -- days past due --------------------------------------------------------------------------
def missed_from_month_1(chargeoff_dpd: int = 180, due_day: int = 20, misses: int = 3) -> Ledger:
    ledger = one_account(chargeoff_dpd, due_day)
    ledger.book_purchase(0, cents(60_000), cents(6), FEES)
    for m in range(1, misses + 1):
        ledger.bill(m, 1, 0.015)
        ledger.pay(m, cents(0))
    return ledger


def test_dpd_counts_days_since_the_oldest_unpaid_due_date():
    ledger = missed_from_month_1(misses=3)  # bills of months 1, 2, 3 unpaid
    first_due = 1 * DAYS_PER_MONTH + 20
    for t in (110.5, 115.0, 119.99):
        assert ledger.days_past_due(t, 1).tolist() == [int(np.floor(t - first_due))]


def test_dpd_moves_to_the_next_bill_once_the_oldest_is_paid():
    ledger = missed_from_month_1(misses=3)
    # bills: month 1 = 10000 + 360 fee; month 2 = 10000 + 360 + 150 late (1.5 % of 10000);
    # month 3 = 10000 + 360 + 300 late (1.5 % of 20000)
    assert ledger.owed(1).tolist() == [30_000 + 360 + 510 + 660]
    ledger.pay(3, cents(360 + 510 + 660 + 10_000))  # all fees, then month 1's principal
    assert ledger.oldest_due_month(1).tolist() == [2]
    assert ledger.days_past_due(119.0, 1).tolist() == [119 - 80]
    ledger.pay(3, cents(1))  # one cent of month 2's principal: still the oldest unpaid
    assert ledger.days_past_due(119.0, 1).tolist() == [39]


def test_dpd_is_zero_when_nothing_is_unpaid():
    ledger = one_account()
    ledger.book_purchase(0, cents(60_000), cents(6), FEES)
    ledger.bill(1, 1, 0.0)
    ledger.pay(1, ledger.owed(1))
    assert ledger.days_past_due(59.0, 1).tolist() == [0]
    assert ledger.oldest_due_month(1).tolist() == [-1]


def test_dpd_is_zero_between_the_statement_and_the_due_date():
    ledger = one_account()
    ledger.book_purchase(0, cents(60_000), cents(6), FEES)
    ledger.bill(1, 1, 0.0)  # statement on day 30, due on day 50
    assert ledger.oldest_due_month(1).tolist() == [1]
    dpd = [ledger.days_past_due(t, 1).item() for t in (30.0, 49.99, 50.0, 50.5, 51.0, 79.9)]
    assert dpd == [0, 0, 0, 0, 1, 29]


# -- payments between due dates and restructuring ------------------------------------------
def test_payment_between_due_dates_follows_the_same_allocation():
    ledger = Ledger(capacity=3, chargeoff_dpd=180, due_day=20)
    ledger.book_purchase(0, cents(90_000, 90_000, 90_000), cents(3, 3, 3), FEES)
    ledger.bill(1, 3, 0.015)
    ledger.pay(1, cents(0, 0, 0))
    ledger.bill(2, 3, 0.015)  # each owes month 1 (30000 + 450) and month 2 (30000 + 900)
    principal, fee = ledger.pay_accounts(2, np.array([0, 2]), cents(1_000, 31_350))
    assert (principal.tolist(), fee.tolist()) == ([0, 30_000], [1_000, 1_350])
    assert ledger.owed(3).tolist() == [60_350, 61_350, 30_000]
    assert ledger.oldest_due_month(3).tolist() == [1, 1, 2]
    with pytest.raises(ValueError):
        ledger.pay_accounts(2, np.array([1]), cents(61_351))


def test_restructure_turns_the_balance_into_a_fee_free_plan_after_the_grace_period():
    ledger = one_account()
    ledger.book_purchase(0, cents(90_000), cents(3), FEES)
    ledger.bill(1, 1, 0.015)
    ledger.pay(1, cents(0))  # owes 30450; 60000 still to be billed
    assert ledger.balance(1).tolist() == [90_450]
    ledger.restructure(1, np.array([0]), grace=2, term=4)
    assert ledger.balance(1).tolist() == [90_450]
    assert ledger.owed(1).tolist() == [0]
    assert ledger.days_past_due(60.0, 1).tolist() == [0]
    billed = []
    for m in range(2, 9):
        principal, fee = ledger.bill(m, 1, 0.015)
        billed.append((principal.item(), fee.item()))
        ledger.pay(m, ledger.owed(1))
    # months 2 and 3 are the grace period; 90450 / 4 = 22612 rem 2, the remainder first
    assert billed == [(0, 0), (0, 0), (22_614, 0), (22_612, 0), (22_612, 0), (22_612, 0),
                      (0, 0)]


def test_restructured_plan_missed_accrues_late_fees_as_usual():
    ledger = one_account()
    ledger.book_purchase(0, cents(10_000), cents(0), FEES)
    ledger.bill(1, 1, 0.015)
    ledger.pay(1, cents(0))
    ledger.restructure(1, np.array([0]), grace=0, term=2)
    principal, fee = ledger.bill(2, 1, 0.015)
    assert (principal.tolist(), fee.tolist()) == ([5_000], [0])
    ledger.pay(2, cents(0))
    principal, fee = ledger.bill(3, 1, 0.015)
    assert (principal.tolist(), fee.tolist()) == ([5_000], [75])  # 1.5 % of 5000 overdue
    assert ledger.days_past_due(90.0, 1).tolist() == [90 - 80]


# -- books against an independent reconstruction ------------------------------------------------
class ScheduleBook(BillBook):
    """BillBook plus the unbilled schedule, booked with the documented split rule."""

    def __init__(self, capacity: int, months: int, due_day: int):
        super().__init__(capacity, months, due_day)
        self.sched_p = np.zeros((months + 14, capacity), dtype=np.int64)
        self.sched_f = np.zeros((months + 14, capacity), dtype=np.int64)

    def schedule(self, i: int, start: int, amount: int, periods: int, fee: int) -> None:
        for k in range(periods):
            self.sched_p[start + k, i] += amount // periods + (amount % periods if k == 0 else 0)
            self.sched_f[start + k, i] += fee

    def book(self, month: int, amount: np.ndarray, term: np.ndarray, fees: dict) -> None:
        for i, (a, t) in enumerate(zip(amount.tolist(), term.tolist(), strict=True)):
            if a > 0:
                self.schedule(i, month + 1, a, max(t, 1), int(np.rint(a * fees.get(t, 0.0))))

    def statement(self, month: int, n: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
        late = np.rint(self.overdue_principal(n) * rate).astype(np.int64)
        principal = self.sched_p[month, :n].copy()
        fee = self.sched_f[month, :n] + late
        self.bill(month, principal, fee)
        return principal, fee

    def balance(self, n: int, month: int) -> np.ndarray:
        return self.sched_p[month + 1:, :n].sum(axis=0) + self.owed(n)

    def restructure(self, month: int, idx: np.ndarray, grace: int, term: int) -> None:
        total = self.balance(self.principal.shape[1], month)[idx]
        self.sched_p[month + 1:, idx] = 0
        self.sched_f[month + 1:, idx] = 0
        self.write_off(idx)
        for i, a in zip(idx.tolist(), total.tolist(), strict=True):
            self.schedule(i, month + 1 + grace, a, term, 0)

    def write_off_all(self, index: np.ndarray, month: int) -> tuple[np.ndarray, np.ndarray]:
        principal = self.sched_p[month + 1:, index].sum(axis=0) + self.principal[:, index].sum(0)
        fee = self.fee[:, index].sum(axis=0)
        self.sched_p[month + 1:, index] = 0
        self.sched_f[month + 1:, index] = 0
        self.write_off(index)
        return principal, fee


def month_events(due_day: int, purchase_day: int, chargeoff_dpd: int) -> list[tuple[float, str]]:
    """The engine's order of events within a month (offsets in days)."""
    chargeoff_day = (due_day + chargeoff_dpd) % DAYS_PER_MONTH
    return sorted([(0.0, "statement"), (chargeoff_day + 0.25, "charge_off"),
                   (due_day + 0.5, "payment"), (purchase_day + 0.5, "purchase")])


def assert_arrears_table(ledger: Ledger) -> None:
    """Each row of the arrears table is held by one account or free, never both; rows no
    account holds are empty, and no row holds a cell of the current due month."""
    current, row, arrears, book = ledger.bills()
    rows, stack = ledger.arrears_rows, ledger.free_rows
    held = row[row >= 0]
    assert arrears.shape == (2, ledger.ages, rows) and book.shape == (2 + rows,)
    assert np.unique(held).size == held.size and np.unique(stack).size == stack.size
    assert held.size + stack.size == rows and not np.isin(stack, held).any()
    assert not arrears[:, :, stack].any()
    slot = int(book[0])
    assert slot < 0 or not arrears[:, slot].any()


class LedgerRun:
    """Random purchases, payments, calls and restructurings on a Ledger and a ScheduleBook."""

    def __init__(self, rng: np.random.Generator, n: int, months: int, chargeoff_dpd: int,
                 due_day: int, late_fee_daily: float, miss_prob: float):
        self.rng, self.n, self.months, self.miss_prob = rng, n, months, miss_prob
        self.chargeoff_dpd = chargeoff_dpd
        self.purchase_day = int(rng.integers(due_day + 1, 30))
        self.fees = {3: float(rng.uniform(0, 0.05)), 6: 0.006, 12: float(rng.uniform(0, 0.05))}
        self.rate = late_fee_daily * DAYS_PER_MONTH
        self.ledger = Ledger(n, chargeoff_dpd, due_day)
        self.book = ScheduleBook(n, months, due_day)
        self.events = month_events(due_day, self.purchase_day, chargeoff_dpd)

    def month(self, m: int) -> None:
        rng = self.rng
        checks = [(float(x), "check") for x in rng.uniform(0.0, DAYS_PER_MONTH, 3)]
        calls = [(float(x), "call") for x in rng.uniform(0.0, DAYS_PER_MONTH, 2)]
        for offset, event in sorted(self.events + checks + calls):
            t = m * DAYS_PER_MONTH + offset
            getattr(self, event)(m, t)
            self.assert_books(m)

    def assert_books(self, m: int) -> None:
        ledger, n = self.ledger, self.n
        assert ledger.balance(n).tolist() == self.book.balance(n, m).tolist()
        assert ledger.owed(n).tolist() == self.book.owed(n).tolist()
        assert negative_amounts(ledger, m, n) == []
        assert_arrears_table(ledger)

    def statement(self, m: int, t: float) -> None:
        got = self.ledger.bill(m, self.n, self.rate)
        want = self.book.statement(m, self.n, self.rate)
        assert [g.tolist() for g in got] == [w.tolist() for w in want]

    def charge_off(self, m: int, t: float) -> None:
        mask = self.ledger.days_past_due(t, self.n) >= self.chargeoff_dpd
        assert np.array_equal(mask, self.book.dpd(t, self.n) >= self.chargeoff_dpd)
        got = self.ledger.write_off(mask)
        want = self.book.write_off_all(np.flatnonzero(mask), m)
        assert [g.tolist() for g in got] == [w.tolist() for w in want]

    def payment(self, m: int, t: float) -> None:
        rng, n = self.rng, self.n
        owed = self.ledger.owed(n)
        frac = np.where(rng.random(n) < self.miss_prob, 0.0, rng.choice([0.3, 1.0, 1.0], n))
        amount = np.floor(owed * frac).astype(np.int64)
        got = self.ledger.pay(m, amount)
        assert [g.tolist() for g in got] == [w.tolist() for w in self.book.pay(amount)]
        behind = np.flatnonzero((self.ledger.owed(n) > 0) & (rng.random(n) < 0.2))
        if behind.size:
            grace = int(rng.integers(0, 4))
            term = int(rng.integers(1, 13 - grace))
            self.ledger.restructure(m, behind, grace, term)
            self.book.restructure(m, behind, grace, term)

    def call(self, m: int, t: float) -> None:
        idx = np.flatnonzero(self.ledger.owed(self.n) > 0)
        if idx.size == 0:
            return
        amount = np.floor(self.ledger.owed(self.n)[idx] * self.rng.random(idx.size)).astype(
            np.int64)
        got = self.ledger.pay_accounts(m, idx, amount)
        full = np.zeros(self.n, dtype=np.int64)
        full[idx] = amount
        want = self.book.pay(full)
        assert [g.tolist() for g in got] == [w[idx].tolist() for w in want]

    def purchase(self, m: int, t: float) -> None:
        rng, n = self.rng, self.n
        amount = np.where(rng.random(n) < 0.7, rng.integers(1, 300_000, n), 0)
        term = rng.choice([0, 3, 6, 12], n)
        self.ledger.book_purchase(m, amount, term, self.fees)
        self.book.book(m, amount, term, self.fees)

    def check(self, m: int, t: float) -> None:
        got = self.ledger.days_past_due(t, self.n)
        assert got.tolist() == self.book.dpd(t, self.n).tolist()
        self.ledger.audit(m, self.n)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 6),
    months=st.integers(4, 30),
    chargeoff_dpd=st.integers(30, 200),
    due_day=st.integers(1, 27),
    late_fee_daily=st.sampled_from([0.0, 0.0005, 0.003]),
    miss_prob=st.floats(0.0, 0.9),
)
def test_ledger_matches_independent_books(seed, n, months, chargeoff_dpd, due_day,
                                          late_fee_daily, miss_prob):
    """Random purchases, due-date payments, payments after calls and restructurings, in
    the engine's daily order of events: bills, payment splits, balances, write-offs and
    DPD at random times agree to the cent with a plain reconstruction, and no amount on
    the ledger is ever negative."""
    run = LedgerRun(np.random.default_rng(seed), n, months, chargeoff_dpd, due_day,
                    late_fee_daily, miss_prob)
    for m in range(months):
        run.month(m)


def test_the_arrears_table_grows_as_accounts_fall_behind_and_gets_its_rows_back():
    """300 accounts, most missing: more accounts in arrears than the table's first 64 rows;
    the bills stay those of the independent books (checked at every event), and once every
    account has paid in full the next statement gives every row back."""
    run = LedgerRun(np.random.default_rng(5), 300, 8, 120, 20, 0.0005, 0.8)
    assert run.ledger.arrears_rows == 64
    for m in range(6):
        run.month(m)
    ledger = run.ledger
    assert ledger.arrears_rows > 64 and (ledger.arrears_row >= 0).sum() > 64
    ledger.pay(6, ledger.owed(300))
    ledger.bill(7, 300, 0.0)
    assert (ledger.arrears_row < 0).all() and ledger.free_rows.size == ledger.arrears_rows
    assert_arrears_table(ledger)


def test_the_arrears_table_never_grows_past_a_row_for_every_account():
    led = Ledger(capacity=100, chargeoff_dpd=180, due_day=20)
    assert led.arrears_rows == 64
    principal = np.zeros((led.ages, 100), dtype=np.int32)
    principal[0] = 100  # every account has a bill of an earlier month
    led.set_bills(3, principal, np.zeros_like(principal))
    assert led.arrears_rows == 100 and led.free_rows.size == 0
    assert np.array_equal(led.due_principal, principal)
    assert_arrears_table(led)


def test_bills_set_by_hand_read_back_and_too_few_due_months_are_refused():
    led = Ledger(capacity=4, chargeoff_dpd=60, due_day=10)
    rng = np.random.default_rng(3)
    principal = rng.integers(0, 900, (led.ages, 4)).astype(np.int32)
    fee = rng.integers(0, 90, (led.ages, 4)).astype(np.int32)
    principal[:, 2] = fee[:, 2] = 0
    principal[1, 3], fee[1, 3] = 500, 0  # account 3: only this month's bill (slot 1)
    principal[[0, 2], 3] = fee[[0, 2], 3] = 0
    led.set_bills(4, principal, fee)  # month 4: slot 1 is this month's
    assert np.array_equal(led.due_principal, principal) and np.array_equal(led.due_fee, fee)
    assert led.arrears_row[2] == -1 and led.arrears_row[3] == -1  # nothing of earlier months
    assert (led.arrears_row[:2] >= 0).all()
    assert_arrears_table(led)
    with pytest.raises(ValueError, match="read-only"):
        led.due_principal[0, 0] = 1
    with pytest.raises(ValueError, match="at least two due months"):
        Ledger(capacity=1, chargeoff_dpd=0, due_day=0)


# -- compact cells ----------------------------------------------------------------------------
def test_cells_are_int32_and_what_the_ledger_returns_is_int64():
    led = Ledger(capacity=2, chargeoff_dpd=180, due_day=20)
    for arr in (led.step_principal, led.step_fee, led.due_principal, led.due_fee,
                led.instalment_principal, led.instalment_fee):
        assert arr.dtype == np.int32
    led.book_purchase(0, cents(120_000, 90_001), np.array([12, 3]), FEES)
    principal, fee = led.bill(1, 2, 0.015)
    assert principal.dtype == fee.dtype == np.int64
    assert principal.tolist() == [10_000, 30_001] and fee.tolist() == [720, 450]
    paid_p, paid_f = led.pay(1, cents(10_720, 100))
    assert paid_p.dtype == paid_f.dtype == np.int64
    assert paid_p.tolist() == [10_000, 0] and paid_f.tolist() == [720, 100]
    assert led.balance(2).dtype == np.int64 and led.balance(2).tolist() == [110_000, 90_351]


def test_due_months_are_narrow_and_fit_every_valid_horizon():
    from sim.config import BillingConfig, BookConfig
    from sim.ledger import MONTH

    def largest(model: type, field: str) -> int:
        return next(m.le for m in model.model_fields[field].metadata if hasattr(m, "le"))

    led = Ledger(capacity=2, chargeoff_dpd=180, due_day=27)
    for arr in (led.oldest, led.contract_oldest, led.reaged_month):
        assert arr.dtype == MONTH
    # the due day of the last month's bill, as the numpy rules compute it on these arrays
    last = largest(BookConfig, "horizon_months")
    assert last * DAYS_PER_MONTH + largest(BillingConfig, "due_day") <= np.iinfo(MONTH).max
    led.book_purchase(last - 2, cents(100, 0), np.array([0, 0]), FEES)
    led.bill(last - 1, 2, 0.0)
    assert led.oldest_due_month(2).dtype == np.int64
    assert led.oldest_due_month(2).tolist() == [last - 1, -1]
    assert led.days_past_due(last * DAYS_PER_MONTH, 2).tolist() == [3, 0]


def test_a_balance_past_the_int32_cells_stops_the_run_instead_of_wrapping():
    led = one_account()
    led.book_purchase(0, cents(MAX_ACCOUNT_CENTS), np.array([0]), FEES)  # fits exactly
    with pytest.raises(OverflowError, match="credit_line.max_limit"):
        led.book_purchase(1, cents(1), np.array([0]), FEES)


def test_a_late_fee_past_the_largest_balance_stops_the_run_instead_of_wrapping():
    led = one_account()
    assert led.outstanding.dtype == led.unpaid.dtype == np.int32
    led.book_purchase(0, cents(MAX_ACCOUNT_CENTS), np.array([0]), FEES)
    led.bill(1, 1, 0.01)  # nothing overdue yet: the balance stays at the largest
    # unpaid, the next statement's late fee lifts the balance past what int32 holds
    with pytest.raises(OverflowError, match="balance reached 21,689,584.8"):
        led.bill(2, 1, 0.01)


def test_config_refuses_limits_and_fees_that_could_overflow_the_cells():
    # 10 M limit, late fees of 0.3 a month on 8 unpaid bills: up to 40 M a balance
    with pytest.raises(ConfigError, match="credit_line.max_limit = 1e\\+07.*late_fee_daily"):
        load_config({"credit_line": {"max_limit": 1e7}, "billing": {"late_fee_daily": 0.01}})
    # the largest limit with the default fees fits: 1e7 * (1 + 8 * (13 * 0.006 + 0.015))
    ok = load_config({"credit_line": {"max_limit": 1e7}})
    assert largest_episode_balance(ok.credit_line, ok.billing) == pytest.approx(1.744e7)
    assert largest_episode_balance(ok.credit_line, ok.billing) * 100 < MAX_ACCOUNT_CENTS


def numpy_restructure(ledger: Ledger, month: int, idx: np.ndarray, grace: int, term: int) -> None:
    """``Ledger.restructure`` as whole-array statements, before it was compiled (the
    oracle)."""
    total = ledger.outstanding[idx].copy()
    earlier = ledger.contract_oldest[idx]
    earlier = np.where((ledger.reaged_left[idx] > 0) & (earlier >= 0), earlier, -1)
    now = ledger.oldest[idx]
    ledger.contract_oldest[idx] = np.where((earlier >= 0) & ((now < 0) | (earlier < now)),
                                           earlier, now)
    ledger.reaged_month[idx] = month
    ledger.reaged_left[idx] = total
    for arr in (ledger.step_principal, ledger.step_fee):
        arr[:, idx] = 0
    row = ledger.arrears_row[idx]
    ledger.arrears[:, :, row[row >= 0]] = 0
    ledger.current[:, idx] = 0
    for vec in (ledger.instalment_principal, ledger.instalment_fee, ledger.unpaid):
        vec[idx] = 0
    ledger.oldest[idx] = -1
    base, rem = np.divmod(total, term)
    start = month + 1 + grace
    slots = ledger.step_principal.shape[0]
    ledger.step_principal[start % slots, idx] += base + rem
    ledger.step_principal[(start + 1) % slots, idx] -= rem
    ledger.step_principal[(start + term) % slots, idx] -= base


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 6))
def test_restructure_is_the_array_statement(seed, months):
    rng = np.random.default_rng(seed)
    n = 40
    ledger = Ledger(n, 180, 20)
    for m in range(months):
        ledger.book_purchase(m, rng.integers(0, 50_000, n) * (rng.random(n) < 0.6),
                             rng.choice([0, 3, 6, 12], n), FEES)
        ledger.bill(m + 1, n, 0.015)
        owed = ledger.owed(n)
        ledger.pay(m + 1, np.floor(owed * rng.choice([0.0, 0.4, 1.0], n)).astype(np.int64))
        if rng.random() < 0.4:  # earlier re-ages, so that contract_oldest is kept or moved
            ledger.restructure(m + 1, rng.choice(n, 5, replace=False), 0, 3)
    idx = np.sort(rng.choice(n, 12, replace=False))
    grace = int(rng.integers(0, 4))
    term = int(rng.integers(1, 13 - grace))
    want = copy.deepcopy(ledger)
    numpy_restructure(want, months, idx, grace, term)
    ledger.restructure(months, idx, grace, term)
    for name, value in vars(want).items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(getattr(ledger, name), value), name
