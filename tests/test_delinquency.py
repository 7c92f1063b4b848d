"""The delinquency rules of sim.delinquency, by hand-worked examples and properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.delinquency import (
    BUCKET_EDGES,
    BUCKETS,
    DAYS_PER_MONTH,
    bucket_of,
    cured_after_payment,
    cured_at_due_date,
    days_past_due,
    due_time,
    late_days,
    past_due,
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
    late, dpd = late_days(81, np.array([80, 81, 20]))
    assert late.tolist() == [True, False, True]
    assert dpd.tolist() == [1, 61]


def test_buckets_by_hand() -> None:
    dpd = np.array([0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 150, 151, 180, 181, 400])
    names = [BUCKETS[b] for b in bucket_of(dpd)]
    assert names == ["current", "dpd_1_30", "dpd_1_30", "dpd_31_60", "dpd_31_60", "dpd_61_90",
                     "dpd_61_90", "dpd_91_120", "dpd_91_120", "dpd_121_150", "dpd_121_150",
                     "dpd_151_180", "dpd_151_180", "dpd_181_plus", "dpd_181_plus"]


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
