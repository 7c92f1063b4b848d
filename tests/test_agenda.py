"""The batched ladder's agenda: the next day an account can be worked, the collectors' pick
of the day, and the batched days against the day-by-day kernels.

``scripts/engine_fingerprint.py`` compares every record with the engine before the agenda;
here the rules it adds are checked by hand and against the kernels they stand in for.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.collections import Collections, ladder_rules
from sim.config import load_config
from sim.engine import PathSimulation
from sim.kernels.agenda import NEVER, court_day, next_day, rung_table, top_priority
from sim.kernels.ladder import priority
from sim.kernels.layout import DAY, NEVER_ACTED

# a ladder worked by hand below: sms and app push 1-89 DPD every 3 days, automated call 3-89
# every 4, collectors 15-89 every 7, agency 90-360 every 14
LADDER = [{"channel": "sms", "from_dpd": 1, "to_dpd": 89, "every_days": 3},
          {"channel": "app_push", "from_dpd": 1, "to_dpd": 89, "every_days": 3},
          {"channel": "auto_call", "from_dpd": 3, "to_dpd": 89, "every_days": 4},
          {"channel": "human", "from_dpd": 15, "to_dpd": 89, "every_days": 7},
          {"channel": "agency", "from_dpd": 90, "to_dpd": 360, "every_days": 14}]


@pytest.fixture(scope="module")
def ladder() -> tuple:
    sim = PathSimulation(load_config({"book": {"initial_borrowers": 50,
                                               "new_borrowers_per_month": 0,
                                               "horizon_months": 2},
                                      "collections": {"ladder": LADDER}}), 1, 0)
    col = sim.collections
    return ladder_rules(col, 400), col._book()


# -- the next day ------------------------------------------------------------------------------
def _next(r, day: int, due: int, last: list[int], placed: bool = False,
          court: int = NEVER) -> int:
    return next_day(day, 0, due, rung_table(r), np.array([placed]),
                    np.array([last], dtype=DAY), court)


def test_next_day_is_the_first_rung_ready_inside_its_window(ladder):
    r, _ = ladder
    # bill due on day 100, worked on day 110 (10 DPD): sms and push acted on 110, the call on
    # 109; all three are ready again on 113, the collectors' window opens on 115
    assert _next(r, 110, 100, [110, 110, 109, NEVER_ACTED, NEVER_ACTED]) == 113
    # the collectors' rung alone is ready earlier than its window: it waits for 115
    assert _next(r, 110, 100, [112, 112, 112, NEVER_ACTED, NEVER_ACTED]) == 115
    # worked on day 188 (88 DPD): no early rung is ready again by 89 DPD (day 189), so the
    # agency's window is next: 90 DPD is day 190
    assert _next(r, 188, 100, [188, 188, 188, 188, NEVER_ACTED]) == 190
    # placed with the agency: only its rung, 14 days after its last action
    assert _next(r, 200, 100, [110, 110, 110, 110, 200], placed=True) == 214
    # nothing left to do (past the agency's 360 DPD): never, unless court comes first
    assert _next(r, 461, 100, [0] * 5, placed=True) == NEVER
    assert _next(r, 461, 100, [0] * 5, placed=True, court=480) == 480


def test_a_ready_rung_or_a_past_court_day_means_the_next_day(ladder):
    r, _ = ladder
    # sms ready since day 103 and still in its window: the account is worked tomorrow
    assert _next(r, 110, 100, [100, 110, 110, 110, NEVER_ACTED]) == 111
    assert _next(r, 461, 100, [0] * 5, placed=True, court=250) == 462


def test_court_day_is_the_legal_threshold_for_large_balances_not_yet_in_court():
    # 150 days past due is day 250 for a bill due on day 100; smallest claim 2,000 cents
    assert court_day(100, True, 150, 2000.0, False, 5000) == 250
    assert court_day(100, True, 150, 2000.0, True, 5000) == NEVER  # in court
    assert court_day(100, True, 150, 2000.0, False, 100) == NEVER  # too small
    assert court_day(100, True, 150, 2000.0, False, 2000) == 250  # the smallest claim itself
    assert court_day(100, False, 150, 2000.0, False, 5000) == NEVER  # no court


# -- the collectors' pick ------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(rule=st.sampled_from([0, 1, 2]),
       values=st.lists(st.tuples(st.integers(1, 60), st.integers(0, 4), st.integers(300, 900)),
                       min_size=1, max_size=60),
       k=st.integers(1, 70))
def test_top_priority_is_the_head_of_the_stable_priority_order(ladder, rule, values, k):
    """Few distinct days past due, balances and scores: many ties, broken by position."""
    r, b = ladder
    r = r._replace(priority=rule)
    n = len(values)
    who = np.arange(n, dtype=np.int64)
    dpd = np.array([v[0] for v in values], dtype=np.int64)
    b.outstanding[:n] = [v[1] * 1000 for v in values]
    b.score[:n] = [float(v[2]) for v in values]
    k = min(k, n)
    assert top_priority(who, dpd, k, r, b).tolist() == priority(who, dpd, r, b)[:k].tolist()


# -- batched against day by day --------------------------------------------------------------------
class _DayByDay(Collections):
    def daily(self, days, events=None):
        return super().daily(days)


def _digest(monthly: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(monthly):
        h.update(name.encode() + np.ascontiguousarray(monthly[name]).tobytes())
    return h.hexdigest()


def _run(overrides: dict, day_by_day: bool) -> dict[str, np.ndarray]:
    sim = PathSimulation(load_config(overrides), 3, 0)
    if day_by_day:
        sim.collections = sim.build_collections(_DayByDay)
    return sim.run().monthly


BOOK = {"initial_borrowers": 300, "new_borrowers_per_month": 15, "horizon_months": 12}
CASES = {
    # two calls a day for hundreds waiting: the pick is a small head of a long queue
    "expected_recovery": {"collectors": {"count": 1, "calls_per_day": 2,
                                         "priority": "highest_expected_recovery"}},
    "largest_balance": {"collectors": {"count": 1, "calls_per_day": 2,
                                       "priority": "largest_balance"}},
    # a tight weekly cap and early court: accounts held back by the cap, court days planned
    "tight_caps": {"caps": {"per_day": 1, "per_week": 2},
                   "legal": {"enabled": True, "from_dpd": 40, "min_balance": 10}},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_agenda_gives_the_day_by_day_records(case):
    overrides = {"book": BOOK, "repayment": {"forget_prob": 0.15},
                 "collections": CASES[case]}
    batched, daily = _run(overrides, False), _run(overrides, True)
    assert sum(batched["collector_calls"]) > 0 and sum(batched["payments"]) > 0
    assert _digest(batched) == _digest(daily)


@pytest.mark.slow
def test_an_account_paid_on_a_contact_is_worked_again_the_next_day():
    """Past 30 DPD only a call acts, every 20 days. A call paid with the oldest bill of two
    brings the account back under 30 DPD, where the reminders' window opens again the next
    day; the agenda must not wait for the next call. (Few accounts pay exactly one bill of
    two on a call: the book is larger than the cases above so that some do.)"""
    ladder = [{"channel": "sms", "from_dpd": 1, "to_dpd": 30, "every_days": 3},
              {"channel": "human", "from_dpd": 31, "to_dpd": 120, "every_days": 20}]
    overrides = {"book": {"initial_borrowers": 3000, "new_borrowers_per_month": 150,
                          "horizon_months": 24},
                 "repayment": {"forget_prob": 0.15}, "collections": {"ladder": ladder}}
    batched, daily = _run(overrides, False), _run(overrides, True)
    assert sum(batched["collector_calls"]) > 0 and sum(batched["actions_sms"]) > 0
    assert _digest(batched) == _digest(daily)
