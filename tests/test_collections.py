"""The collection ladder: caps, the collector queue, channels, hardship, policies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.agents.collections import Collections, ladder_rules
from sim.config import CHANNELS, load_config
from sim.engine import PathSimulation, simulate_path
from sim.kernels.ladder import priority
from sim.recorder import COLLECTION_COST_PARTS

BOOK = {"initial_borrowers": 1500, "new_borrowers_per_month": 30, "horizon_months": 18}
STRESSED = {  # a book with plenty of delinquency, so every rung has work
    "income": {"essential_share": 0.8, "job_finding_short": 0.1, "job_finding_long": 0.1},
    "repayment": {"forget_prob": 0.1},
}


def config(collections: dict | None = None, **extra: dict):
    data = {"book": BOOK, **STRESSED, **extra}
    if collections is not None:
        data["collections"] = collections
    return load_config(data)


class LoggedCollections(Collections):
    """Collections that log every contact as (borrower, day), running day by day so that
    every day's contacts reach the trace hook."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.log: list[tuple[np.ndarray, int]] = []
        traced = self.on_trace

        def on_trace(event, month, only=None, **arrays):
            if event in CHANNELS:
                self.log.append((only.copy(), int(self.env.now)))
            traced(event, month, only=only, **arrays)

        self.on_trace = on_trace

    def daily(self, days, events=None):
        return super().daily(days)


def logged_run(cfg, seed: int = 3) -> tuple[PathSimulation, LoggedCollections]:
    sim = PathSimulation(cfg, seed, 0)
    col = sim.build_collections(LoggedCollections)
    sim.collections = col
    sim.run()
    return sim, col


def contacts_per_day(log: list[tuple[np.ndarray, int]], capacity: int, days: int) -> np.ndarray:
    counts = np.zeros((days, capacity), dtype=np.int64)
    for who, day in log:
        np.add.at(counts[day], who, 1)
    return counts


steps = st.builds(
    dict,
    channel=st.sampled_from(["sms", "app_push", "email", "auto_call", "human"]),
    from_dpd=st.integers(1, 40),
    to_dpd=st.integers(41, 180),
    every_days=st.integers(1, 5),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ladder=st.lists(steps, min_size=1, max_size=5).filter(  # one queue: one human rung
           lambda ladder: sum(s["channel"] == "human" for s in ladder) <= 1),
       per_day=st.integers(0, 3),
       per_week=st.integers(0, 9), seed=st.integers(0, 1000))
def test_contact_caps_are_never_exceeded(ladder, per_day, per_week, seed):
    cfg = config({"ladder": ladder, "caps": {"per_day": per_day, "per_week": per_week},
                  "collectors": {"count": 3, "calls_per_day": 40}},
                 book={**BOOK, "horizon_months": 8, "initial_borrowers": 800})
    sim, col = logged_run(cfg, seed)
    days = cfg.book.horizon_months * 30
    counts = contacts_per_day(col.log, cfg.capacity, days)
    assert counts.max(initial=0) <= per_day
    window = np.cumsum(counts, axis=0)
    weekly = window[6:] - np.vstack([np.zeros((1, cfg.capacity), np.int64), window[:-7]])
    assert weekly.max(initial=0) <= per_week
    # the engine's own compliance record agrees
    assert sim.series["max_contacts_day"] and max(sim.series["max_contacts_day"]) <= per_day
    assert max(sim.series["max_contacts_week"]) <= per_week


def test_contacts_happen_and_respect_the_ladder_ranges():
    cfg = config()
    sim, col = logged_run(cfg)
    assert sum(who.size for who, _ in col.log) > 1000
    monthly = sim.series
    for ch in ("sms", "app_push", "auto_call", "human"):
        assert sum(monthly[f"actions_{ch}"]) > 0, ch


def test_zero_collectors_means_no_human_contact_or_cure():
    cfg = config({"collectors": {"count": 0}})
    result = simulate_path(cfg, 5, 0)
    assert result.monthly["actions_human"].sum() == 0
    assert result.monthly["collected_human"].sum() == 0
    assert result.monthly["collector_calls"].sum() == 0
    assert result.monthly["human_contacted_ever"].max() == 0


def _team(count: int):
    return config({"collectors": {"count": count, "calls_per_day": 10}})


def test_more_collectors_shorter_waits_more_calls_and_fewer_charge_offs():
    """A bigger team calls more accounts sooner; on the same borrowers and shocks (common
    random numbers) the extra calls start repayment arrangements, so charge-offs fall, over
    four paths (on two, one or two charge-offs in 130 can go either way).
    (Cures alone need not rise: a kept arrangement ends in a re-age, not a cure.)"""
    waits, calls, charged = [], [], []
    for count in (1, 2, 8):
        m = [simulate_path(_team(count), 11, p).monthly for p in range(4)]
        calls.append(sum(r["collector_calls"].sum() for r in m))
        waited = sum((r["queue_wait_days"] * r["collector_calls"]).sum() for r in m)
        waits.append(waited / calls[-1])
        charged.append(sum(r["charged_off_accounts"].sum() for r in m))
    assert waits[0] > waits[1] > waits[2]
    assert calls[0] < calls[1] < calls[2]
    assert charged[0] >= charged[1] >= charged[2]


def test_utilisation_is_calls_over_capacity():
    short = config({"collectors": {"count": 1, "calls_per_day": 2}})
    result = simulate_path(short, 2, 0).monthly
    cap, calls = result["collector_capacity"], result["collector_calls"]
    assert np.all(calls <= cap)
    np.testing.assert_allclose(result["collector_utilisation"],
                               np.where(cap > 0, calls / np.maximum(cap, 1), 0.0))
    assert result["collector_utilisation"].max() == pytest.approx(1.0)  # one collector is short


def test_action_costs_are_actions_times_unit_cost():
    cfg = config()
    m = simulate_path(cfg, 4, 0).monthly
    for ch in ("sms", "app_push", "auto_call", "human"):
        unit = round(cfg.collections.channels[ch].cost * 100)
        np.testing.assert_array_equal(m[f"cost_{ch}"], m[f"actions_{ch}"] * unit)
    # the agency costs nothing per action but a commission on what it collects
    rate = cfg.collections.channels["agency"].commission
    # (rounded to the cent per payment)
    assert m["collected_agency"].sum() > 0
    assert abs(m["cost_agency"].sum() - m["collected_agency"].sum() * rate) <= m[
        "actions_agency"].sum()


def test_priority_rule_orders_the_queue():
    cfg = config({"collectors": {"count": 1, "calls_per_day": 5, "priority": "largest_balance"}})
    sim = PathSimulation(cfg, 1, 0)
    sim.n = 5
    sim.platform.ledger.outstanding[:5] = [500, 100, 900, 100, 300]
    order = _order(sim, np.array([10, 40, 10, 20, 30]))
    assert order.tolist() == [2, 0, 4, 1, 3]  # largest balance first, ties by slot
    cfg = config({"collectors": {"priority": "oldest_dpd"}})
    sim = PathSimulation(cfg, 1, 0)
    order = _order(sim, np.array([10, 40, 10, 20, 30]))
    assert order.tolist() == [1, 4, 3, 0, 2]


def _order(sim: PathSimulation, dpd: np.ndarray) -> np.ndarray:
    """The collectors' order of accounts 0..4 at ``dpd`` days past due."""
    col = sim.collections
    return priority(np.arange(5), dpd, ladder_rules(col, 60), col._book())


def test_hardship_reages_accounts_and_keeps_the_balance():
    cfg = config({"hardship": {"enabled": True, "request_prob": 1.0, "income_drop": 0.0}})
    sim = PathSimulation(cfg, 8, 0)
    seen = []
    original = sim.collections._enrol

    def spy(month, idx, take_up):
        s = sim
        before = s.platform.ledger.outstanding.copy()
        out = original(month, idx, take_up)
        enrolled = np.flatnonzero(s.collections.hardship & ~np.isin(
            np.arange(s.collections.hardship.size), np.concatenate(seen) if seen else []))
        if enrolled.size:
            seen.append(enrolled)
            assert np.array_equal(before[enrolled], s.platform.ledger.outstanding[enrolled])
            assert np.all(s.platform.ledger.oldest[enrolled] == -1)  # reported current
            s.platform.ledger.audit(month, s.n)
        return out

    sim.collections._enrol = spy
    sim.run()
    assert seen, "nobody enrolled in a stressed book with certain take-up"
    assert sum(sim.series["hardship_enrolments"]) == sum(a.size for a in seen)


def test_hardship_off_means_no_enrolment():
    m = simulate_path(config({"hardship": {"enabled": False}}), 8, 0).monthly
    assert m["hardship_enrolments"].sum() == 0


def test_collections_off_means_no_action_and_no_cost():
    m = simulate_path(config({"enabled": False}), 8, 0).monthly
    for ch in CHANNELS:
        assert m[f"actions_{ch}"].sum() == 0
    assert m["collection_cost"].sum() == 0


def test_the_team_is_paid_every_month_whether_or_not_it_calls():
    """Collectors are salaried: count x monthly_cost a month, in collection_cost, used or
    idle; no team without a working ladder."""
    team = {"count": 4, "calls_per_day": 50, "monthly_cost": 1000.0}
    m = simulate_path(config({"collectors": team}), 8, 0).monthly
    assert np.all(m["collector_cost"] == 4 * 1000 * 100)  # cents, every month
    parts = sum(m[c] for c in COLLECTION_COST_PARTS)  # the parts the dashboard stacks
    np.testing.assert_array_equal(m["collection_cost"], parts)
    idle = simulate_path(config({"collectors": {**team, "calls_per_day": 0}}), 8, 0).monthly
    assert idle["collector_calls"].sum() == 0
    np.testing.assert_array_equal(idle["collector_cost"], m["collector_cost"])
    off = simulate_path(config({"enabled": False, "collectors": team}), 8, 0).monthly
    assert off["collector_cost"].sum() == 0
    no_rung = [{"channel": "sms", "from_dpd": 1, "to_dpd": 60, "every_days": 3}]
    unused = simulate_path(config({"ladder": no_rung, "collectors": team}), 8, 0).monthly
    assert unused["collector_cost"].sum() == 0  # no rung calls on the team: none is employed


def test_books_still_balance_with_collection_payments():
    m = simulate_path(config(), 6, 0).monthly
    closing = m["opening_balance"] + m["new_purchases"] + m["fees_billed"] - m["payments"] \
        - m["charge_offs"]
    np.testing.assert_array_equal(closing, m["receivables_balance"])
    assert sum(m[f"collected_{c}"].sum() for c in CHANNELS) > 0


def test_policy_change_keeps_borrower_draws_common():
    """Income and macro are the same under two policies (common random numbers)."""
    a = PathSimulation(config(), 9, 0)
    b = PathSimulation(config({"collectors": {"count": 0}}), 9, 0)
    a.run()
    b.run()
    np.testing.assert_array_equal(a.unemployment, b.unemployment)
    np.testing.assert_array_equal(a.pool.permanent_income, b.pool.permanent_income)
    assert a.series["new_purchases"][0] == b.series["new_purchases"][0]


# -- the ladder's narrow dtypes -------------------------------------------------------------
def _largest(model: type, field: str) -> int:
    """The largest value config validation lets ``model.field`` take."""
    return next(m.le for m in model.model_fields[field].metadata if hasattr(m, "le"))


def test_the_ladders_days_and_contacts_fit_their_dtypes_for_every_valid_config():
    from sim.config import BookConfig, CapsConfig, ChannelConfig, LadderStep
    from sim.delinquency import DAYS_PER_MONTH
    from sim.kernels.layout import CONTACTS, DAY, NEVER_ACTED

    last_day = _largest(BookConfig, "horizon_months") * DAYS_PER_MONTH
    assert last_day + _largest(ChannelConfig, "promise_days") <= np.iinfo(DAY).max
    # a rung that never acted is ready on day 0 whatever its wait
    assert NEVER_ACTED <= 0 - _largest(LadderStep, "every_days")
    assert _largest(CapsConfig, "per_week") <= np.iinfo(CONTACTS).max
    assert _largest(CapsConfig, "per_day") <= np.iinfo(CONTACTS).max
    month = PathSimulation(config(), 1, 0).collections.state.contacts_month
    assert 31 * _largest(CapsConfig, "per_day") <= np.iinfo(month.dtype).max


def test_a_long_run_keeps_the_ladders_days():
    """Queue and promise days late in a long horizon are stored as they were set."""
    from sim.kernels.worked import take

    sim = PathSimulation(config(book={**BOOK, "horizon_months": 240}), 1, 0)
    col = sim.collections
    late = 240 * 30 - 1
    s = col.state
    for slot in range(3):  # each account takes a row of the ladder's table
        take(s.row, s.rows, s.slot_of, slot)
    s.queued_since[s.row[:3]] = [late, 0, -1]
    s.promise_day[s.row[:3]] = [late + 30, 5, -1]
    assert col.ladder_field("queued_since", 3).tolist() == [late, 0, -1]
    assert col.ladder_field("promise_day", 3).tolist() == [late + 30, 5, -1]
