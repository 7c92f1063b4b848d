"""One account's books in plain Python: worked examples, and the vectorised ledger's twin."""

from __future__ import annotations

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sim.crn import uniforms
from sim.ledger import Ledger
from sim.reference.account import Account
from sim.reference.draws import keyed_uniform

FEES = {3: 0.005, 6: 0.006, 12: 0.006}


def test_a_three_month_plan_bills_the_remainder_first_and_a_fee_each_month():
    acct = Account(due_day=20)
    acct.book_purchase(0, 1000, 3, FEES)  # 1000 / 3 = 333 rem 1; fee round(5.0) = 5
    bills = [acct.bill(m, 0.0) for m in (1, 2, 3, 4)]  # no late fee: see the next test
    assert bills == [(334, 5), (333, 5), (333, 5), (0, 0)]
    assert acct.bills == {1: [334, 5], 2: [333, 5], 3: [333, 5]}
    assert acct.outstanding == 1015 and acct.unpaid == 1015 and acct.oldest == 1


def test_a_late_fee_on_overdue_principal_and_payments_to_fees_then_oldest_principal():
    acct = Account(due_day=20)
    acct.book_purchase(0, 1000, 3, FEES)
    acct.bill(1, 0.015)  # [334, 5] due day 50, unpaid
    assert acct.days_past_due(50.75) == 0 and acct.days_past_due(51.0) == 1
    assert acct.bill(2, 0.015) == (333, 5 + 5)  # late fee round(334 x 0.015 = 5.01) = 5
    assert acct.whole_bills(300) == 0  # fees 15 + oldest principal 334 do not fit
    assert acct.whole_bills(400) == 349  # fees and the oldest bill
    assert acct.pay(20) == (5, 15)  # both bills' fees first, then 5 of the oldest principal
    assert acct.bills == {1: [329, 0], 2: [333, 0]}
    assert acct.pay(329) == (329, 0) and acct.oldest == 2
    assert acct.days_past_due(81.0) == 1  # the bill of month 2 is now the oldest


def test_acceleration_calls_the_unbilled_principal_due_on_the_oldest_due_date():
    acct = Account(due_day=20)
    acct.book_purchase(0, 1200, 12, FEES)  # 100 a month, fee round(7.2) = 7
    for m in (1, 2):
        acct.bill(m, 0.0)
    assert acct.accelerate(2) == 1000  # ten instalments not billed yet
    assert acct.bills == {1: [1200, 14]} and acct.plans == []
    assert acct.outstanding == 1214 and acct.days_past_due(2 * 30 + 20.5) == 30


def test_a_re_age_reports_current_but_keeps_the_contractual_delinquency():
    acct = Account(due_day=20)
    acct.book_purchase(0, 600, 0, FEES)
    acct.bill(1, 0.0)
    acct.bill(2, 0.0)
    acct.restructure(2, grace=1, term=2)  # 600 in two instalments billed at months 4 and 5
    assert acct.oldest == -1 and acct.days_past_due(100.0) == 0
    assert acct.contractual_days_past_due(100.0) == 100 - 50 and acct.reaged_left == 600
    assert [acct.bill(m, 0.0) for m in (3, 4, 5)] == [(0, 0), (300, 0), (300, 0)]
    acct.pay(600)
    assert acct.reaged_left == 0 and acct.contractual_days_past_due(200.0) == 0


STEP = st.tuples(st.integers(0, 300_000), st.sampled_from((0, 3, 6, 12)),
                 st.sampled_from((0.0, 0.0, 0.3, 1.0)), st.floats(0, 1), st.integers(0, 20),
                 st.floats(0, 1.2))


@settings(max_examples=60, deadline=None)
@given(st.lists(STEP, min_size=1, max_size=24))
def test_the_account_keeps_the_same_books_as_the_vectorised_ledger(steps):
    """Any month-by-month sequence of statements, acceleration, charge-off, payments,
    re-ages, collection payments and purchases gives identical books in both."""
    acct, ledger = Account(due_day=20), Ledger(1, 90, 20)
    one = np.array([0])
    for m, (buy, term, pay, collect, act, cash) in enumerate(steps):
        assert ledger.bill(m, 1, 0.015) == tuple(np.array([x]) for x in acct.bill(m, 0.015))
        if act % 2 and acct.days_past_due(m * 30) >= 40:
            ledger.accelerate(m, one)
            acct.accelerate(m)
            event("accelerated")
        if acct.days_past_due(m * 30 + 20.25) >= 90:
            assert [x.tolist() for x in ledger.write_off(one == 0)] == \
                [[x] for x in acct.write_off()]
            event("charged off")
        amount = int(acct.unpaid * pay)
        assert [x.item() for x in ledger.pay(m, np.array([amount]))] == list(acct.pay(amount))
        if act in (2, 3) and acct.outstanding > 0:
            ledger.restructure(m, one, act - 2, 6)
            acct.restructure(m, act - 2, 6)
            event("re-aged")
        amount = int(acct.unpaid * collect * (act >= 10))
        got = ledger.pay_accounts(m, one, np.array([amount]))
        assert [x.item() for x in got] == list(acct.pay(amount))
        want = int(acct.unpaid * cash)
        assert ledger.whole_bills(m, one, np.array([want]))[0] == acct.whole_bills(want)
        ledger.book_purchase(m, np.array([buy]), np.array([term]), FEES)
        acct.book_purchase(m, buy, term, FEES)
        for day in (m * 30 + 20.5, m * 30 + 29.99, (m + 1) * 30):
            dpd = ledger.days_past_due(day, 1)
            assert dpd[0] == acct.days_past_due(day)
            assert ledger.contractual_days_past_due(day, 1, dpd)[0] == \
                acct.contractual_days_past_due(day)
        assert (ledger.outstanding[0], ledger.unpaid[0], ledger.oldest[0]) == \
            (acct.outstanding, acct.unpaid, acct.oldest)
        assert ledger.principal(1)[0] == acct.principal()
        assert ledger.reaged_left[0] == acct.reaged_left
        assert ledger.unbilled_principal(m, 1)[0] == acct.unbilled_principal(m)


@given(st.integers(0, 2**63 - 1), st.integers(0, 10**7), st.integers(0, 10**5),
       st.integers(0, 255))
def test_keyed_draws_in_plain_integers_are_the_vectorised_draws(key, slot, day, purpose):
    assert keyed_uniform(key, slot, day, purpose) == uniforms(key, np.array([slot]), day,
                                                              purpose)[0]
