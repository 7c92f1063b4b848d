"""The compiled delinquency rules are the rules of sim.delinquency, on arrays and scalars."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import delinquency
from sim.kernels import rules

oldest_months = st.lists(st.integers(-1, 40), min_size=1, max_size=30)


@settings(deadline=None)  # the first call compiles
@given(oldest_months, st.integers(0, 1300), st.integers(0, 29))
def test_compiled_rules_agree_with_the_numpy_rules(oldest, day, due_day):
    o = np.array(oldest, dtype=np.int64)
    np.testing.assert_array_equal(rules.past_due(day, o, due_day),
                                  delinquency.past_due(day, o, due_day))
    np.testing.assert_array_equal(rules.cured_after_payment(day, o, due_day),
                                  delinquency.cured_after_payment(day, o, due_day))
    for one in oldest:  # one account at a time, as the kernels ask
        assert rules.past_due(day, one, due_day) == bool(delinquency.past_due(day, o, due_day)[
            oldest.index(one)])
        assert rules.cured_after_payment(day, one, due_day) == (
            not rules.past_due(day, one, due_day))
    for at in (day, day + 0.5):
        np.testing.assert_array_equal(rules.days_past_due(at, o, due_day),
                                      delinquency.days_past_due(at, o, due_day))
        assert [rules.days_past_due(at, one, due_day) for one in oldest] == list(
            delinquency.days_past_due(at, o, due_day))
    dpd = np.arange(0, 400)
    np.testing.assert_array_equal(rules.bucket_of(dpd), delinquency.bucket_of(dpd))


def test_hand_worked_due_dates():
    # the bill of month 2 falls due on day 2 * 30 + 5 = 65: late from day 66
    assert rules.due_time(2, 5) == 65
    assert not rules.past_due(65, 2, 5) and rules.past_due(66, 2, 5)
    assert not rules.past_due(10_000, -1, 5)  # nothing unpaid
    assert rules.days_past_due(65.9, 2, 5) == 0 and rules.days_past_due(66.2, 2, 5) == 1
    assert rules.days_past_due(10_000.0, -1, 5) == 0
    assert list(delinquency.days_past_due(100.5, np.array([-1, 0, 2, 3], np.int32), 5)) == [
        0, 95, 35, 5]
    assert rules.cured_after_payment(65, 2, 5) and not rules.cured_after_payment(66, 2, 5)
    # the Python form on a plain int: a cure is a bool, not ~True == -2
    assert delinquency.cured_after_payment(66, 2, 5) == np.False_


def test_compiling_with_a_callee_the_rule_does_not_call_is_refused():
    with pytest.raises(ValueError, match="does not call"):
        rules.compiled(delinquency.due_time, past_due=rules.past_due)


accounts = st.lists(st.tuples(st.booleans(), st.integers(-1, 40), st.integers(-1, 40),
                              st.integers(0, 3), st.integers(0, 400)), min_size=1, max_size=30)


@settings(deadline=None)  # the first call compiles
@given(accounts, st.integers(0, 1300), st.integers(0, 29), st.integers(0, 41))
def test_compiled_account_rules_agree_with_the_numpy_rules(accounts, day, due_day, month):
    """The rules of a re-age, the month-end state, re-defaults and charge-offs: compiled,
    on one account at a time and on arrays, as the numpy rules give them."""
    open_, oldest, contract, left, dpd = (np.array(c) for c in zip(*accounts, strict=True))
    left = left * 1_000  # cents of a re-aged plan left (0: none)
    bucket = delinquency.bucket_of(dpd)
    contractual = delinquency.contractual_days_past_due(day, dpd, contract, left, due_day)
    want = {
        "days_late": delinquency.days_late(day, delinquency.due_time(oldest, due_day)),
        "delinquent_bucket": delinquency.delinquent_bucket(dpd),
        "months_behind": delinquency.months_behind(month, oldest),
        "repaying_reage": delinquency.repaying_reage(left),
        "contractual_days_past_due": contractual,
        "contract_oldest_after_reage": delinquency.contract_oldest_after_reage(contract, left,
                                                                               oldest),
        "roll_state": delinquency.roll_state(open_, bucket, contractual),
        "redefaulted_30": delinquency.redefaulted(open_, dpd, delinquency.OVER_30),
        "redefaulted_60": delinquency.redefaulted(open_, dpd, delinquency.OVER_60),
        "charge_off_due": delinquency.charge_off_due(dpd, 180),
    }
    for i in range(len(accounts)):
        o, c, v, d, b = int(oldest[i]), int(contract[i]), int(left[i]), int(dpd[i]), bucket[i]
        one = {
            "days_late": rules.days_late(day, rules.due_time(o, due_day)),
            "delinquent_bucket": rules.delinquent_bucket(d),
            "months_behind": rules.months_behind(month, o),
            "repaying_reage": rules.repaying_reage(v),
            "contractual_days_past_due": rules.contractual_days_past_due(day, d, c, v,
                                                                         due_day),
            "contract_oldest_after_reage": rules.contract_oldest_after_reage(c, v, o),
            "roll_state": rules.roll_state(bool(open_[i]), int(b), int(contractual[i])),
            "redefaulted_30": rules.redefaulted(bool(open_[i]), d, delinquency.OVER_30),
            "redefaulted_60": rules.redefaulted(bool(open_[i]), d, delinquency.OVER_60),
            "charge_off_due": rules.charge_off_due(d, 180),
        }
        assert {k: int(v) for k, v in one.items()} == {k: int(w[i]) for k, w in want.items()}
        # the reference engine's calls: the Python rules on plain ints and bools
        assert int(delinquency.contract_oldest_after_reage(c, v, o)) == one[
            "contract_oldest_after_reage"]
        assert int(delinquency.roll_state(bool(open_[i]), int(b), int(contractual[i]))) == \
            one["roll_state"]
    np.testing.assert_array_equal(
        rules.contractual_days_past_due(day, dpd, contract, left, due_day), contractual)
    np.testing.assert_array_equal(rules.roll_state(open_, bucket, contractual),
                                  want["roll_state"])


def test_charge_off_calendar_compiled():
    for due_day in (0, 5, 20, 29):
        for chargeoff_dpd in (60, 90, 180, 185):
            assert rules.charge_off_day(due_day, chargeoff_dpd) == delinquency.charge_off_day(
                due_day, chargeoff_dpd)
            assert rules.charge_off_months(due_day, chargeoff_dpd) == \
                delinquency.charge_off_months(due_day, chargeoff_dpd)
