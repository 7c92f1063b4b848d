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
