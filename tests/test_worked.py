"""The collection ladder's table of worked accounts (sim.kernels.worked, sim.kernels.layout).

An account without a row reads the fields' defaults; the table's book of rows is always
consistent; rows are given back only when giving them back changes nothing; and the size
the table starts at never changes a result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.kernels.layout as layout
import sim.kernels.worked as worked
from sim.config import load_config
from sim.engine import simulate_path
from sim.kernels.layout import (
    FREE_ROWS,
    NEVER_ACTED,
    State,
    dense,
    new_state,
    with_free_rows,
)
from sim.kernels.worked import idle_rows, take

RUNGS, CHANNELS, BUCKETS = 3, 6, 6
DEFAULTS = {"last_action": NEVER_ACTED, "week": 0, "week_total": 0, "queued_since": -1,
            "contacts_month": 0, "promise_day": -1, "promise_kept": False,
            "promise_channel": 0}


def assert_table(s: State) -> None:
    """Every row is held by one account or free, never both; a held row names the account
    that points at it; free rows hold the defaults."""
    size = s.slot_of.shape[0]
    free = s.rows[FREE_ROWS + 1: FREE_ROWS + 1 + int(s.rows[FREE_ROWS])]
    held_slots = np.flatnonzero(s.row >= 0)
    held = s.row[held_slots]
    assert np.unique(held).size == held.size and np.unique(free).size == free.size
    assert held.size + free.size == size and not np.isin(free, held).any()
    assert np.array_equal(s.slot_of[held], held_slots)
    assert (s.slot_of[free] == -1).all()
    for name, blank in DEFAULTS.items():
        table = getattr(s, name)
        values = table[:, free] if name == "week" else table[free]
        assert (values == blank).all(), name


def _hold(s: State, slot: int, **fields: int) -> int:
    q = take(s.row, s.rows, s.slot_of, slot)
    for name, value in fields.items():
        getattr(s, name)[q] = value
    return q


def test_an_account_without_a_row_reads_the_defaults():
    s = new_state(200, RUNGS, CHANNELS, BUCKETS)
    assert s.slot_of.size == 64 and int(s.rows[FREE_ROWS]) == 64  # at least 64 rows
    assert new_state(64 * 1000, RUNGS, CHANNELS, BUCKETS).slot_of.size == 1000
    _hold(s, 7, queued_since=12, promise_day=40, contacts_month=3)
    for name, blank in DEFAULTS.items():
        column = dense(s, name, 10)
        others = np.delete(column, 7, axis=1 if name == "week" else 0)
        assert (others == blank).all(), name
    assert dense(s, "queued_since", 10)[7] == 12 and dense(s, "promise_day", 10)[7] == 40
    assert_table(s)


def test_taking_a_row_twice_gives_the_same_row_and_an_empty_table_refuses():
    s = new_state(100, RUNGS, CHANNELS, BUCKETS)
    q = _hold(s, 3)
    assert take(s.row, s.rows, s.slot_of, 3) == q and int(s.rows[FREE_ROWS]) == 63
    for slot in range(4, 67):
        _hold(s, slot)
    assert int(s.rows[FREE_ROWS]) == 0
    with pytest.raises(ValueError, match="no free row"):
        take(s.row, s.rows, s.slot_of, 90)


def test_growth_keeps_every_row_and_stops_at_a_row_for_every_slot():
    s = new_state(100, RUNGS, CHANNELS, BUCKETS)
    for slot in range(0, 100, 2):  # 50 accounts hold rows, 14 free
        _hold(s, slot, queued_since=slot, contacts_month=1)
    before = {name: dense(s, name, 100) for name in DEFAULTS}
    assert with_free_rows(s, 14) is s  # enough already: no copy
    grown = with_free_rows(s, 30)
    assert grown.slot_of.size == 100  # 2 x 64 rows would pass the 100 slots
    for name, column in before.items():
        assert np.array_equal(dense(grown, name, 100), column), name
    assert_table(grown)
    assert with_free_rows(grown, 100) is grown  # a row for every slot: never more


def test_idle_rows_gives_back_only_rows_that_read_as_the_defaults_from_that_day():
    every = np.array([3, 10, 30])
    s = new_state(100, RUNGS, CHANNELS, BUCKETS)
    day = 100
    _hold(s, 0, last_action=[90, 80, 60])  # every wait over by day 100: idle
    _hold(s, 1, last_action=[95, NEVER_ACTED, NEVER_ACTED])  # rung 0 waits until 98: idle
    _hold(s, 2, last_action=[NEVER_ACTED, 91, NEVER_ACTED])  # rung 1 waits until 101: kept
    _hold(s, 3, queued_since=99)  # queued: kept
    _hold(s, 4, promise_day=105)  # a promise running: kept
    _hold(s, 5, contacts_month=2)  # contacts this month count towards the record: kept
    q = _hold(s, 6, week_total=1)  # contacted in the last seven days: kept
    s.week[day % 7, q] = 1
    _hold(s, 7)  # a candidate: kept, whatever its fields
    keep = np.zeros(100, dtype=bool)
    keep[7] = True
    assert idle_rows(s, keep, day, every) == 2
    assert (s.row[:2] == -1).all() and (s.row[2:8] >= 0).all()
    assert_table(s)


def _idle_rows_by_arrays(s: State, keep: np.ndarray, day: int, every: np.ndarray) -> int:
    """The rule of :func:`idle_rows` as whole-table array statements: the held rows in
    increasing order, the idle among them back to the defaults and onto the free stack in
    reverse (the lowest on top)."""
    held = np.flatnonzero(s.slot_of >= 0)
    slot = s.slot_of[held]
    idle = ((~keep[slot]) & (s.week_total[held] == 0) & (s.contacts_month[held] == 0)
            & (s.queued_since[held] < 0) & (s.promise_day[held] < 0)
            & (s.week[:, held] == 0).all(axis=0)
            & (s.last_action[held] <= day - every).all(axis=1))
    gone = held[idle]
    s.row[s.slot_of[gone]] = -1
    for name, blank in DEFAULTS.items():
        if name == "week":
            s.week[:, gone] = blank
        else:
            getattr(s, name)[gone] = blank
    s.slot_of[gone] = -1
    free = int(s.rows[FREE_ROWS])
    s.rows[FREE_ROWS + 1 + free: FREE_ROWS + 1 + free + gone.size] = gone[::-1]
    s.rows[FREE_ROWS] = free + gone.size
    return int(gone.size)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60))
def test_idle_rows_gives_back_what_the_array_statement_gives_back(seed, day):
    rng = np.random.default_rng(seed)
    s = new_state(640, RUNGS, CHANNELS, BUCKETS)
    for slot in rng.choice(640, 10, replace=False):  # rows for a few accounts
        q = _hold(s, int(slot), queued_since=rng.choice([-3, -1, -1, 5]),
                  promise_day=rng.choice([-2, -1, -1, 40]), contacts_month=rng.choice([0, 0, 1]),
                  promise_kept=rng.random() < 0.5, promise_channel=rng.integers(0, 3),
                  last_action=rng.choice([NEVER_ACTED, 0, 20, 55], RUNGS))
        if rng.random() < 0.2:
            s.week[rng.integers(0, 7), q] = 1
            s.week_total[q] = 1
        elif rng.random() < 0.1:
            s.week[rng.integers(0, 7), q] = 1  # a ring's day without its total
    keep = rng.random(640) < 0.3
    every = np.array([3, 10, 30])
    want = State(*(np.array(a, copy=True) for a in s))
    assert idle_rows(s, keep, day, every) == _idle_rows_by_arrays(want, keep, day, every)
    for name, got, expected in zip(State._fields, s, want, strict=True):
        assert np.array_equal(got, expected), name
    assert_table(s)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["take", "grow", "idle", "clear"]),
                          st.integers(0, 299), st.integers(0, 400)), max_size=80))
def test_the_book_of_rows_stays_consistent_whatever_the_order(ops):
    s = new_state(300, RUNGS, CHANNELS, BUCKETS)
    every = np.array([1, 5, 20])
    for op, slot, arg in ops:
        if op == "take" and (s.row[slot] >= 0 or s.rows[FREE_ROWS] > 0):
            _hold(s, slot, queued_since=arg % 3 - 1, last_action=[arg, -1, NEVER_ACTED])
        elif op == "grow":
            s = with_free_rows(s, arg % 120)
        elif op == "idle":
            keep = np.zeros(300, dtype=bool)
            keep[slot:slot + arg % 50] = True
            idle_rows(s, keep, arg, every)
        elif op == "clear" and s.row[slot] >= 0:
            s.queued_since[s.row[slot]] = -1
        assert_table(s)


# -- results do not depend on the table's size ---------------------------------------------
STRESSED = {
    "book": {"initial_borrowers": 1200, "new_borrowers_per_month": 30, "horizon_months": 16},
    "income": {"essential_share": 0.8, "job_finding_short": 0.1, "job_finding_long": 0.1},
    "repayment": {"forget_prob": 0.1},
    "collections": {
        "collectors": {"count": 1, "calls_per_day": 5},  # a queue every day
        # waits longer than the month from a cure to the next missed due date: a row given
        # back too early would let a rung act on the next delinquency before its wait ends
        "ladder": [{"channel": "sms", "from_dpd": 1, "to_dpd": 60, "every_days": 45},
                   {"channel": "human", "from_dpd": 5, "to_dpd": 90, "every_days": 60},
                   {"channel": "agency", "from_dpd": 91, "to_dpd": 360, "every_days": 14}],
    },
}


def _monthly(monkeypatch, rows_min: int, divisor: int, give_back: bool = True) -> pd.DataFrame:
    monkeypatch.setattr(layout, "TABLE_ROWS_MIN", rows_min)
    monkeypatch.setattr(layout, "TABLE_ROWS_DIVISOR", divisor)
    if not give_back:
        monkeypatch.setattr(worked, "idle_rows", lambda *_: 0)
    return pd.DataFrame(simulate_path(load_config(STRESSED), 4, 0).monthly)


def test_a_table_that_starts_with_one_row_or_never_gives_rows_back_gives_the_same_path(
        monkeypatch):
    """One row at first (grown span after span), and a row for every slot that is never
    given back (the dense arrays of old: every account keeps its fields), give the same
    records as the usual table, to the cent."""
    usual = _monthly(monkeypatch, 64, 64)
    assert usual["queue_length"].max() > 0 and usual["actions_human"].sum() > 0
    pd.testing.assert_frame_equal(_monthly(monkeypatch, 1, 10**9), usual)
    pd.testing.assert_frame_equal(_monthly(monkeypatch, 1, 1, give_back=False), usual)
