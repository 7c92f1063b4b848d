"""The delinquency rules of sim.delinquency, by hand-worked examples and properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.delinquency import (
    BUCKET_EDGES,
    BUCKETS,
    DAYS_PER_MONTH,
    DELINQUENT_BUCKETS,
    OVER_30,
    OVER_60,
    ROLL_STATES,
    bucket_of,
    charge_off_day,
    charge_off_due,
    charge_off_months,
    contract_oldest_after_reage,
    contractual_days_past_due,
    cured_after_payment,
    cured_at_due_date,
    days_late,
    days_past_due,
    delinquent_bucket,
    due_time,
    is_late,
    months_behind,
    past_due,
    redefaulted,
    repaying_reage,
    roll_state,
)

DUE_DAY = 20


def test_due_time_is_the_due_day_of_the_bill_month() -> None:
    assert DAYS_PER_MONTH == 30
    assert due_time(0, DUE_DAY) == 20
    assert due_time(3, DUE_DAY) == 110
    assert due_time(np.array([0, 2]), 5).tolist() == [5, 65]


def test_days_past_due_by_hand() -> None:
    # nothing unpaid; oldest bill month 2 (due day 80); month 0 (due day 20); month 3 (day 110)
    oldest = np.array([-1, 2, 0, 3])
    assert days_past_due(80.5, oldest, DUE_DAY).tolist() == [0, 0, 60, 0]
    assert days_past_due(81.0, oldest, DUE_DAY).tolist() == [0, 1, 61, 0]
    assert days_past_due(200.75, oldest, DUE_DAY).tolist() == [0, 120, 180, 90]
    assert days_past_due(81, oldest, DUE_DAY).dtype == np.int64


def test_a_bill_is_past_due_from_the_day_after_its_due_date() -> None:
    oldest = np.array([-1, 2, 2])
    assert past_due(80, oldest, DUE_DAY).tolist() == [False, False, False]
    assert past_due(81, oldest, DUE_DAY).tolist() == [False, True, True]
    due = np.array([80, 81, 20])
    assert is_late(81, due).tolist() == [True, False, True]
    assert days_late(81, due).tolist() == [1, 0, 61]  # late ones: 1 and 61 days past due
    assert days_late(81, 80) == 1 and not is_late(81, 81)


def test_buckets_by_hand() -> None:
    dpd = np.array([0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 150, 151, 180, 181, 400])
    names = [BUCKETS[b] for b in bucket_of(dpd)]
    assert names == ["current", "dpd_1_30", "dpd_1_30", "dpd_31_60", "dpd_31_60", "dpd_61_90",
                     "dpd_61_90", "dpd_91_120", "dpd_91_120", "dpd_121_150", "dpd_121_150",
                     "dpd_151_180", "dpd_151_180", "dpd_181_plus", "dpd_181_plus"]


def test_a_cure_counts_in_the_bucket_it_left() -> None:
    dpd = np.array([1, 30, 31, 95, 181, 400])
    assert [DELINQUENT_BUCKETS[b] for b in delinquent_bucket(dpd)] == [
        "dpd_1_30", "dpd_1_30", "dpd_31_60", "dpd_91_120", "dpd_181_plus", "dpd_181_plus"]
    assert delinquent_bucket(61) == 2


def test_months_behind_by_hand() -> None:
    # month 5's due date: nothing unpaid, this month's bill only, bills of months 4 and 1
    oldest = np.array([-1, 5, 4, 1])
    assert months_behind(5, oldest).tolist() == [0, 0, 1, 4]
    assert [months_behind(5, int(o)) for o in oldest] == [0, 0, 1, 4]


def test_contractual_days_past_due_by_hand() -> None:
    # reported current (0 dpd) after a re-age that cancelled the bill of month 1 (due day
    # 50): 150 days on day 200 while the plan is unpaid, the reported ones once it is repaid
    # or when nothing was cancelled; never below the reported days past due
    dpd = np.array([0, 0, 0, 170])
    contract = np.array([1, 1, -1, 1])
    left = np.array([5_000, 0, 5_000, 10])
    assert contractual_days_past_due(200, dpd, contract, left, DUE_DAY).tolist() == [
        150, 0, 0, 170]
    assert repaying_reage(left).tolist() == [True, False, True, True]
    assert contractual_days_past_due(200.5, 0, 1, 1, DUE_DAY) == 150


def test_a_reage_keeps_the_oldest_contractually_unpaid_bill() -> None:
    # an earlier re-age's bill (month 2) is kept while its plan is unpaid and older than
    # the oldest bill cancelled now; otherwise the bill cancelled now (-1: none)
    contract = np.array([2, 2, 2, -1, 5, 2])
    left = np.array([100, 0, 100, 100, 100, 100])
    oldest = np.array([4, 4, -1, 3, 4, 1])
    assert contract_oldest_after_reage(contract, left, oldest).tolist() == [2, 4, 2, 3, 4, 1]
    assert [contract_oldest_after_reage(int(c), int(v), int(o))
            for c, v, o in zip(contract, left, oldest, strict=True)] == [2, 4, 2, 3, 4, 1]


def test_roll_states_by_hand() -> None:
    open_ = np.array([True, True, True, True, False, False])
    bucket = np.array([0, 0, 2, 1, 0, 3])
    contractual = np.array([0, 45, 45, 5, 0, 90])
    names = [ROLL_STATES[s] for s in roll_state(open_, bucket, contractual)]
    assert names == ["current", "re_aged", "dpd_31_60", "dpd_1_30", "charged_off",
                     "charged_off"]
    assert [ROLL_STATES[roll_state(bool(o), int(b), int(c))]
            for o, b, c in zip(open_, bucket, contractual, strict=True)] == names


def test_redefaults_and_charge_offs_by_hand() -> None:
    open_ = np.array([True, True, True, False])
    dpd = np.array([30, 31, 61, 0])
    assert redefaulted(open_, dpd, OVER_30).tolist() == [False, True, True, True]
    assert redefaulted(open_, dpd, OVER_60).tolist() == [False, False, True, True]
    assert charge_off_due(np.array([179, 180, 181]), 180).tolist() == [False, True, True]
    # due day 20, charge-off at 180 days: a bill of month m is charged off on day 20 of
    # month m + 6 (day 200 = 6 * 30 + 20 after the month's start)
    assert (charge_off_months(20, 180), charge_off_day(20, 180)) == (6, 20)
    assert (charge_off_months(25, 10), charge_off_day(25, 10)) == (1, 5)
    assert due_time(0, 20) + 180 == charge_off_months(20, 180) * DAYS_PER_MONTH + 20


@given(st.lists(st.integers(0, 10_000), max_size=50))
def test_bucket_of_is_digitize(dpd: list[int]) -> None:
    values = np.array(dpd, dtype=np.int64)
    assert np.array_equal(bucket_of(values), np.digitize(values, BUCKET_EDGES))


def test_cures() -> None:
    # at a due date: past due before and nothing left unpaid (today's bill too)
    was = np.array([True, True, False])
    missed = np.array([False, True, False])
    assert cured_at_due_date(was, missed).tolist() == [True, False, False]
    # a collection payment on day 81: every bill due before day 81 paid
    oldest_after = np.array([-1, 2, 1, 3])  # due days -, 80, 50, 110
    assert cured_after_payment(81, oldest_after, DUE_DAY).tolist() == [True, False, False, True]
    assert cured_after_payment(80, oldest_after, DUE_DAY).tolist() == [True, True, False, True]


@given(st.lists(st.integers(-1, 40), min_size=1, max_size=40), st.integers(0, 1300))
def test_past_due_means_one_or_more_days_past_due(oldest: list[int], day: int) -> None:
    months = np.array(oldest, dtype=np.int64)
    assert np.array_equal(past_due(day, months, DUE_DAY), days_past_due(day, months, DUE_DAY) >= 1)


@given(st.lists(st.integers(-1, 40), min_size=1, max_size=20), st.floats(0, 1300),
       st.booleans())
def test_one_account_reads_the_rules_as_the_arrays_do(oldest: list[int], day: float,
                                                      missed: bool) -> None:
    """The reference engine calls the rules on one account (Python ints and bools): each
    gives, element by element, what it gives on the array of all accounts."""
    months = np.array(oldest, dtype=np.int64)
    whole = int(day)
    dpd = days_past_due(day, months, DUE_DAY)
    for i, m in enumerate(oldest):
        assert int(days_past_due(day, m, DUE_DAY)) == dpd[i]
        assert bool(past_due(whole, m, DUE_DAY)) == past_due(whole, months, DUE_DAY)[i]
        assert bool(cured_after_payment(whole, m, DUE_DAY)) == \
            cured_after_payment(whole, months, DUE_DAY)[i]
        assert int(bucket_of(int(dpd[i]))) == bucket_of(dpd)[i]
        was = bool(past_due(whole, m, DUE_DAY))
        assert bool(cured_at_due_date(was, missed)) == (was and not missed)


def test_the_rules_are_written_in_one_module() -> None:
    """No other module of ``sim`` restates the month's length, the buckets' edges or the
    buckets (the analytic oracles of ``sim.validation`` state their own, on purpose)."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1] / "sim"
    restated = re.compile(r"^\s*(DAYS_PER_MONTH|BUCKET_EDGES|BUCKETS)\s*=|\(1, 31, 61\b"
                          r"|\"dpd_31_60\", \"dpd_61_90\"", re.M)
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "delinquency.py" and "validation" not in p.parts
                 and restated.search(p.read_text())]
    assert offenders == []
