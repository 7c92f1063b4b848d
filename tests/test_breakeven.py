"""Tests of sim.breakeven: the stressed replay, both searches and the command."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers_engine import TINY_DEAL as TINY
from rich.console import Console

import sim.breakeven
import sim.breakeven_multiple
import sim.breakeven_shock
import sim.cli
from sim.abs import note_metrics
from sim.breakeven import (
    SCALE,
    STRESS_SHAPE,
    BreakevenResult,
    Search,
    _median_interval,
    _path_losses,
    _pool_arrays,
    _replay,
    _same_stage,
    _shock_path,
    multiple_breakevens,
    replay_stressed,
    search_grid,
    shock_breakevens,
    shocked_config,
    summarise_breakevens,
    uncalled,
)
from sim.cli import main
from sim.config import SCENARIOS, deep_merge, read_yaml, validate_config, with_overrides
from sim.engine import PathResult, simulate_path
from sim.exports import write_csv, write_xlsx
from sim.montecarlo import run_paths
from sim.report_tables import breakeven_tables
from sim.scenarios import apply_scenario, deterministic_path

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def tiny_config(deal: dict | None = None):
    data = deep_merge(read_yaml(CONFIGS / "baseline.yaml"), TINY)
    base = deep_merge(read_yaml(CONFIGS / "deals" / "baitiao_2015.yaml"),
                      {"cutoff_month": 4, "revolving_months": 2})
    if deal and "notes" in deal:  # the file's written-out order names its own notes
        base.pop("priority_of_payments", None)
    data["deal"] = deep_merge(base, deal or {})
    return validate_config(data)


# -- the default multiple, by hand ------------------------------------------------------------

HAND_DEAL = {"notes": [{"name": "A", "size": 0.9, "coupon": 0.0},
                       {"name": "B", "size": 0.1, "coupon": 0.0}],
             "senior_fee_rate": 0.0, "reserve": {"initial_pct": 0.0, "target_pct": 0.0},
             "triggers": [], "revolving_months": 0, "clean_up_call": None, "swap": None,
             "cutoff_month": 10}


def hand_result(path: int, pool: float) -> PathResult:
    """One period: pool `pool`, 5 % defaults, the rest repaid, interest 2 % of the pool."""
    flows = {"pool_balance_begin": [pool], "interest": [0.02 * pool],
             "principal": [0.95 * pool], "recoveries": [0.0], "defaults": [0.05 * pool],
             "delinquent_balance": [0.0], "base_rate": [0.02], "replenishment_capacity": [0.0]}
    return PathResult(path, {}, {}, pool={k: np.asarray(v) for k, v in flows.items()})


def test_hand_computed_multiples_one_period_deal():
    # Under k: defaults 5k; survivors repay 95 and pay 2 scaled by (1 - 0.05k) / 0.95, so the
    # notes get (1 - 0.05k) * (100 + 2 / 0.95) of cash against a principal target of 100.
    # B (10) first loses when that is below 100, A (90) when it is below 90 - by more than a
    # cent at the path's own size P (pool P instead of 100: scale the cent by 100 / P).
    cash = 100 + 2 / 0.95
    config = tiny_config(HAND_DEAL).model_copy(
        update={"book": tiny_config().book.model_copy(update={"horizon_months": 11})})
    sizes = (100.0, 12345.0)
    search = multiple_breakevens(config, [hand_result(i, p) for i, p in enumerate(sizes)],
                                 tol=1e-4)
    got = search.breakeven
    for row, size in zip(got, sizes, strict=True):
        cent = 0.01 * 100 / size
        k_b = (1 - (100 - cent) / cash) / 0.05  # 0.4124 at any size above a few thousand
        k_a = (1 - (90 - cent) / cash) / 0.05  # 2.3713
        assert k_b <= row[1] <= k_b + 1e-4
        assert k_a <= row[0] <= k_a + 1e-4
    assert got[1, 1] == pytest.approx(0.41237, abs=2e-4)
    # no stress is 1x, the run itself: B (0.41x) loses there on both paths, A (2.37x) does
    # not; neither loses with no defaults at all (0x), and more defaults never help either
    assert search.unstressed.tolist() == [[False, True], [False, True]]
    assert search.monotone.all()
    summary = summarise_breakevens(search, ["A", "B"], "multiple").set_index("note")
    assert summary["loses_unstressed"].to_dict() == {"A": 0, "B": 2}
    assert summary["loses_at_zero"].to_dict() == {"A": 0, "B": 0}


def test_no_defaults_to_scale_means_no_breakeven_and_zero_means_it_loses_anyway():
    config = tiny_config(HAND_DEAL).model_copy(
        update={"book": tiny_config().book.model_copy(update={"horizon_months": 11})})
    safe = hand_result(0, 100.0)
    safe.pool["defaults"] = np.zeros(1)
    safe.pool["principal"] = np.array([100.0])
    broke = hand_result(1, 100.0)
    broke.pool["principal"] = np.array([50.0])  # half the pool outstanding at the horizon
    broke.pool["defaults"] = np.zeros(1)
    got = multiple_breakevens(config, [safe, broke])
    assert np.isinf(got.breakeven[0]).all()
    assert got.breakeven[1].tolist() == [0.0, 0.0]
    assert got.unstressed.tolist() == [[False, False], [True, True]]


LATE_DEAL = HAND_DEAL | {"notes": [{"name": "A", "size": 0.9, "coupon": 0.0},
                                   {"name": "B", "size": 0.1, "coupon": 0.12}]}
"""The hand deal with B paying 12 % (1 % a month)."""


def late_result(size: float = 10_000.0) -> PathResult:
    """Two periods of a pool of ``size``: nothing comes in in period 1; in period 2, 5 % of the
    pool defaults and the rest repays in full with 2 % interest."""
    flows = {"pool_balance_begin": [100.0, 100.0], "interest": [0.0, 1.9],
             "principal": [0.0, 95.0], "recoveries": [0.0] * 2, "defaults": [0.0, 5.0],
             "delinquent_balance": [0.0] * 2, "base_rate": [0.02] * 2,
             "replenishment_capacity": [0.0] * 2}
    return PathResult(0, {}, {}, pool={k: size / 100 * np.asarray(v) for k, v in flows.items()})


def test_interest_paid_late_makes_the_pv_breakeven_zero_and_the_principal_one_later():
    # Per 100 of pool (a pool of 10,000: a cent is 1e-4 of it): B (10 at 1 % a month) gets
    # nothing in period 1, so its 0.1 of interest is paid late, with period 2's 0.1 and
    # without interest on it. Under k the survivors 100 - 5k repay in full with 2 %: the
    # notes get 1.02 (100 - 5k), of which B's 0.2 of interest first, then A's 90, then B's
    # 10. B is written down 100.2 - 1.02 (100 - 5k), above a cent from
    # k = (100 - (100.2 - 1e-4) / 1.02) / 5 = 0.35296 on; A (no coupon) loses what falls
    # short of 90.2, from k = (100 - (90.2 - 1e-4) / 1.02) / 5 = 2.31374 on.
    # In present value at 1 % a month B loses even with no defaults at all: it received
    # 10.2 in month 2 for the 0.1 in month 1 and 10.1 in month 2 it was promised,
    # 1 - 10.2 / 1.01^2 / 10 = 1 / 10,201 of its balance, 0.098 at this size (above a cent).
    # A, at a coupon of 0, loses the same in either measure.
    config = tiny_config(LATE_DEAL)
    config = config.model_copy(
        update={"book": config.book.model_copy(update={"horizon_months": 12})})
    principal = multiple_breakevens(config, [late_result()], tol=1e-5)
    pv = multiple_breakevens(config, [late_result()], tol=1e-5, measure="pv")
    k_b, k_a = (100 - (100.2 - 1e-4) / 1.02) / 5, (100 - (90.2 - 1e-4) / 1.02) / 5
    assert k_b <= principal.breakeven[0, 1] <= k_b + 1e-5
    assert pv.breakeven[0, 1] == 0.0  # it loses at 0x
    assert k_a <= principal.breakeven[0, 0] <= k_a + 1e-5
    assert pv.breakeven[0, 0] == pytest.approx(principal.breakeven[0, 0], abs=1e-9)
    assert principal.unstressed.tolist() == pv.unstressed.tolist() == [[False, True]]
    # as the run's own per-path losses measure it, at a multiple between the two breakevens
    pool, _ = _pool_arrays([late_result()])
    metrics = note_metrics(replay_stressed(config, pool, np.full(1, 0.2))).set_index("note")
    assert metrics.loc["B", "loss_pct"] == 0.0
    assert metrics.loc["B", "pv_loss_pct"] == pytest.approx(1 / 10_201, rel=1e-9)
    assert metrics.loc["A", "pv_loss_pct"] == 0.0


def test_a_pv_breakeven_is_never_above_the_principal_one(engine_run):
    config, results = engine_run
    principal = multiple_breakevens(config, results, tol=1e-3)
    pv = multiple_breakevens(config, results, tol=1e-3, measure="pv")
    assert (pv.breakeven <= principal.breakeven + 1e-3).all()
    assert (pv.unstressed >= principal.unstressed).all()


def amortising_result(defaults: list[float], size: float = 100.0) -> PathResult:
    """A pool of ``size`` amortising over four periods with the given defaults (amounts, per
    100 of cut-off pool): 40 % of what did not default is repaid in each of the first three
    periods and the rest in the fourth, and it pays interest of 2 % of it."""
    scale = size / 100.0
    rows: dict[str, list[float]] = {c: [] for c in (
        "pool_balance_begin", "interest", "principal", "recoveries", "defaults",
        "delinquent_balance", "base_rate", "replenishment_capacity")}
    balance = 100.0
    for t, d in enumerate(defaults):
        survivors = balance - d
        repaid = survivors * (1.0 if t == len(defaults) - 1 else 0.4)
        for c, v in (("pool_balance_begin", balance), ("interest", 0.02 * survivors),
                     ("principal", repaid), ("recoveries", 0.0), ("defaults", d),
                     ("delinquent_balance", 0.0), ("replenishment_capacity", 0.0)):
            rows[c].append(v * scale)
        rows["base_rate"].append(0.02)
        balance = survivors - repaid
    return PathResult(0, {}, {}, pool={k: np.asarray(v) for k, v in rows.items()})


def four_period_config():
    config = tiny_config(HAND_DEAL)
    return config.model_copy(update={"book": config.book.model_copy(
        update={"horizon_months": 14})})


def test_hand_computed_multiples_scale_the_default_curve_on_the_cut_off_pool():
    # A 90 / B 10, no coupons, fees, reserve, triggers or call; a pool of 100 defaulting 4 in
    # each of its first three periods (the base case's default curve: 12 % cumulative). Under
    # k the defaults are 4k a period whatever the pool left, and the survivors repay 40 %
    # (all in period 4) and pay 2 % interest:
    #   S1 = 100 - 4k, S2 = 0.6 S1 - 4k = 60 - 6.4k, S3 = 0.6 S2 - 4k = 36 - 7.84k,
    #   S4 = 0.6 S3 = 21.6 - 4.704k.
    # The notes' uncovered loss after period t is G_t = max(0, G_(t-1) + D_t - 0.02 S_t)
    # (interest left after covering it is released), and B loses G_4, A what exceeds 10.
    # For 0.1732 < k < 0.2907 only period 3 is short: G_4 = 4.25088k - 1.152, above a cent
    # at a pool of 10,000 (1e-4 per 100) from k = 1.1521 / 4.25088 = 0.27102 on. For
    # k > 0.49 every period is: G_4 = 12.45888k - 4.352, above 10 from k = 14.3521 /
    # 12.45888 = 1.15196 on. Scaling the defaults per unit of the pool the stress leaves
    # (4 / 60 and 4 / 36 of the base pool) instead gives other multiples.
    config = four_period_config()
    got = multiple_breakevens(config, [amortising_result([4.0, 4.0, 4.0, 0.0], 10_000.0)],
                              tol=1e-5)
    k_b, k_a = (1.152 + 1e-4) / 4.25088, (14.352 + 1e-4) / 12.45888
    assert k_b <= got.breakeven[0, 1] <= k_b + 1e-5
    assert k_a <= got.breakeven[0, 0] <= k_a + 1e-5
    assert got.unstressed.tolist() == [[False, True]]
    # the cumulative defaults at the breakeven are k times the curve's 12 %; at 1x, 12 %
    np.testing.assert_allclose(got.defaults[0], 0.12 * got.breakeven[0], rtol=1e-12)
    assert got.base_defaults.tolist() == pytest.approx([0.12])


def test_a_scenario_with_three_times_the_defaults_gives_a_third_of_the_multiple():
    # Two "scenarios" of one pool: the second's defaults are three times the first's in every
    # period and its survivors pay as the first's do, so its pool runs down faster (by
    # period 4 it is 15 % smaller) and its defaults per unit of pool rise more than three
    # times. The multiple is of the scenario's defaults: replaying the second at 1/3 is the
    # first, each note's breakeven against the second is a third of that against the first,
    # and the cumulative defaults at which a note first loses are the same against either.
    config = four_period_config()
    mild, severe = ([c * d for d in (1.0, 1.5, 2.0, 0.0)] for c in (1.0, 3.0))
    mild_pool, factor = _pool_arrays([amortising_result(mild, 10_000.0)])
    severe_pool, _ = _pool_arrays([amortising_result(severe, 10_000.0)])
    for field in ("writedown", "principal_paid", "interest_paid"):
        np.testing.assert_allclose(
            replay_stressed(config, severe_pool, np.full(1, 1 / 3)).notes[field],
            replay_stressed(config, mild_pool, np.ones(1)).notes[field], rtol=1e-9, atol=1e-6)
    a = multiple_breakevens(config, [amortising_result(mild, 10_000.0)], tol=1e-6)
    b = multiple_breakevens(config, [amortising_result(severe, 10_000.0)], tol=1e-6)
    assert np.isfinite(a.breakeven).all() and (b.breakeven < 1).any()
    np.testing.assert_allclose(a.breakeven, 3 * b.breakeven, atol=4e-6)
    np.testing.assert_allclose(a.defaults, b.defaults, atol=1e-6)
    np.testing.assert_allclose(3 * a.base_defaults, b.base_defaults)
    assert factor[0] == pytest.approx(10_000.0 / SCALE)


def test_a_pool_that_revolves_longer_than_the_base_case_meets_k_times_its_defaults():
    # The base case stopped revolving at once (a trigger), so its pool ran off: 100, 49, 22.5,
    # 8.25, while 2, 4, 4 and 4 defaulted (receivables already late when it stopped), 4 to 48 %
    # a period per unit of what was left. Stressed at 0.5x the trigger holds and the pool
    # revolves for its two months, so it is far larger when those late defaults come; they
    # are still half the base case's, 7 % of the cut-off pool in all; half the base's late
    # rates per unit of pool, on the larger pool, would be 23 %.
    flows = {"pool_balance_begin": [100.0, 49.0, 22.5, 8.25], "defaults": [2.0, 4.0, 4.0, 4.0],
             "principal": [49.0, 22.5, 10.25, 4.25], "interest": [1.0, 0.5, 0.2, 0.1],
             "recoveries": [0.0] * 4, "delinquent_balance": [0.0] * 4, "base_rate": [0.02] * 4,
             "replenishment_capacity": [1000.0] * 4}
    base = PathResult(0, {}, {}, pool={k: np.asarray(v) for k, v in flows.items()},
                      waterfall=SimpleNamespace(deal={"revolving": np.zeros((1, 4), bool)}))
    config = tiny_config(HAND_DEAL | {"revolving_months": 2, "cutoff_month": 8})  # 4 periods
    pool, _ = _pool_arrays([base])
    replay, cum = _replay(config, pool, np.full(1, 0.5))
    assert replay.deal["revolving"][0].tolist() == [True, True, False, False]
    assert cum.tolist() == pytest.approx([0.07])
    assert _replay(config, pool, np.ones(1))[1].tolist() == pytest.approx([0.14])


def test_survivors_pay_as_the_base_pool_did_at_the_same_stage():
    # The base pool stops revolving in period index 3 (its last replenishment at the end of
    # period 2). A stressed pool that revolves on to period 5 pays, while it is replenished,
    # at the base's rates of a replenished pool (up to period 3), then as the base pool did
    # one, two... periods into its run-off (4, 5...); one that stops in period 1 runs off
    # from period 2 as the base pool did from period 4.
    late = [_same_stage(t, np.array([3]), np.array([5 if t > 5 else -1]), 12)[0]
            for t in range(8)]
    assert late == [0, 1, 2, 3, 3, 3, 4, 5]
    early = [_same_stage(t, np.array([3]), np.array([1 if t > 1 else -1]), 12)[0]
             for t in range(5)]
    assert early == [0, 1, 4, 5, 6]
    assert _same_stage(11, np.array([3]), np.array([1]), 12)[0] == 11  # the last, carried


def called_result(defaults_2: float) -> PathResult:
    """Three periods of a pool of 100 as a called run records them: 50 repaid and 5 defaulted
    in period 1, 32 repaid and ``defaults_2`` defaulted in period 2, then nothing: the pool
    was sold at the clean-up call and the vehicle holds none of it."""
    flows = {"pool_balance_begin": [100.0, 45.0, 0.0], "interest": [0.0] * 3,
             "principal": [50.0, 32.0, 0.0], "recoveries": [0.0] * 3,
             "defaults": [5.0, defaults_2, 0.0], "delinquent_balance": [0.0] * 3,
             "base_rate": [0.02] * 3, "replenishment_capacity": [0.0] * 3}
    return PathResult(0, {}, {}, pool={k: np.asarray(v) for k, v in flows.items()})


def test_a_stressed_pool_that_outlives_the_called_base_deal_keeps_paying():
    # A 90 / B 10, no coupons or fees, call at 10 % of the pool. Base case: 45 left after
    # period 1, 45 - 32 - 4 = 9 <= 10 after period 2: called at 9, so A (90) gets 50 + 40 and
    # B gets 1 of 10 and loses 9. With no defaults (k = 0) survivors repay 50 / 0.95 = 52.63
    # and then 32 / 41 of 47.37 = 36.97, leaving 10.40 > 10: no call in period 2. The run saw
    # nothing after its call, which is not a pool that stopped paying: period 3 repays at the
    # base pool's last rate, 32 / 41 of 10.40 = 8.12, leaving 2.28 <= 10, called. Every unit
    # of the pool comes back (no defaults), so both notes are repaid in full; reading the
    # empty period as collections of zero left 10.40 unpaid at the legal final and wrote A
    # down by 0.40 and B by 10.
    config = tiny_config(HAND_DEAL | {"clean_up_call": {"call_pct": 0.10}})
    config = config.model_copy(
        update={"book": config.book.model_copy(update={"horizon_months": 13})})
    pool, factor = _pool_arrays([called_result(4.0)])
    base = replay_stressed(config, pool, np.ones(1))
    np.testing.assert_allclose(base.notes["writedown"].sum(axis=1)[0] * factor[0], [0.0, 9.0],
                               atol=1e-9)
    assert base.deal["call_exercised"][0].tolist() == [False, True, False]
    none = replay_stressed(config, pool, np.zeros(1))
    assert none.deal["call_exercised"][0].tolist() == [False, False, True]
    np.testing.assert_allclose(none.notes["principal_paid"][0] * factor[0],
                               [[52.6316, 0.0], [36.9705, 0.0], [0.3979, 10.0]], atol=1e-4)
    # the replay rounds to cents at SCALE: a cent left there is a ten-millionth here
    np.testing.assert_allclose(none.notes["writedown"][0] * factor[0], 0.0, atol=1e-6)
    assert multiple_breakevens(config, [called_result(4.0)]).breakeven[0, 0] > 1.0


# -- the replay against the engine ------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_run():
    config = tiny_config()
    return config, run_paths(config, 2, 3)


def test_replay_at_one_times_reproduces_the_runs_waterfall(engine_run):
    config, results = engine_run
    pool, factor = _pool_arrays(results)
    replay = replay_stressed(config, pool, np.ones(len(results)))
    for i, r in enumerate(results):
        for field in ("balance_end", "writedown", "interest_paid", "principal_paid"):
            # the run pays whole cents; the replay, at SCALE, rounds to cents a path's
            # thousandth of a cent: the two agree within the run's rounding, a cent for the
            # period's amount and one for the collections it was paid from
            np.testing.assert_allclose(replay.notes[field][i] * factor[i],
                                       r.waterfall.notes[field][0], rtol=0, atol=0.02)


def test_the_uncalled_base_run_replays_the_called_run_to_the_cent():
    # The multiple's base run drops the clean-up call so the pool's collections after it are
    # recorded; the replay applies the call itself, so at k = 1 it is the run with the call,
    # path by path, within the run's rounding to the cent (the tiny deal is called in period
    # 6 on both paths).
    config = tiny_config()
    called = run_paths(config, 2, 3)
    base = run_paths(uncalled(config), 2, 3)
    assert all(r.waterfall.deal["call_exercised"][0].any() for r in called)
    assert uncalled(config).deal.clean_up_call is None and config.deal.clean_up_call
    pool, factor = _pool_arrays(base)
    assert (pool["pool_balance_begin"] > 0).all()  # observed to the horizon, after the call
    replay = replay_stressed(config, pool, np.ones(2))
    for i, r in enumerate(called):
        for field in ("writedown", "principal_paid", "interest_paid", "balance_end"):
            np.testing.assert_allclose(replay.notes[field][i] * factor[i],
                                       r.waterfall.notes[field][0], atol=0.02)
        # the residual takes what every rounding of the period left (the run's fees,
        # coupons and principal each rounded down): a few cents
        np.testing.assert_allclose(replay.deal["residual"][i] * factor[i],
                                   r.waterfall.deal["residual"][0], atol=0.05)
    # with no defaults at all no note loses, whether the pool after the call was observed
    # (the uncalled run) or carried forward from the called run's last period
    for results in (base, called):
        assert (multiple_breakevens(config, results).breakeven > 0).all()


def test_more_defaults_never_help_a_note(engine_run):
    config, results = engine_run
    pool, factor = _pool_arrays(results)
    losses = [replay_stressed(config, pool, np.full(2, k)).notes["writedown"].sum(axis=1)
              for k in (0.5, 1.0, 2.0, 4.0, 8.0)]
    assert all(np.all(b >= a - 1e-6) for a, b in zip(losses, losses[1:], strict=False))
    be = multiple_breakevens(config, results).breakeven
    # each finite breakeven loses and a hair below it does not
    for i in range(2):
        for j in np.flatnonzero(np.isfinite(be[i]) & (be[i] > 0)):
            k = np.full(2, be[i, j])
            at = replay_stressed(config, pool, k).notes["writedown"].sum(axis=1)[i, j]
            below = replay_stressed(config, pool, k - 0.005).notes["writedown"].sum(axis=1)
            assert at * factor[i] > 0.01 >= below[i, j] * factor[i]


# -- a loss that is not monotone in the stress ------------------------------------------------


def stub_replay(losing: list[tuple[float, float]]):
    """A stand-in for the replay: note j writes down 10 % of the scaled pool (far above a cent)
    exactly when ``losing[j][0] <= k < losing[j][1]``, and nothing otherwise."""
    calls: list[np.ndarray] = []

    def replay(config, pool, k):
        calls.append(np.asarray(k, float).copy())
        hit = np.stack([(lo <= k) & (k < hi) for lo, hi in losing], axis=1)
        return SimpleNamespace(notes={"writedown": 0.1 * sim.breakeven.SCALE * hit[:, None, :]})

    return replay, calls


def call_sensitive_result() -> PathResult:
    """Two periods of a pool of 100: in period 1, 5 defaulted, 75.24 repaid and 6 of interest
    came in; in period 2 half of what was left defaulted and half was repaid, with no
    interest."""
    flows = {"pool_balance_begin": [100.0, 19.76], "interest": [6.0, 0.0],
             "principal": [75.24, 9.88], "recoveries": [0.0] * 2, "defaults": [5.0, 9.88],
             "delinquent_balance": [0.0] * 2, "base_rate": [0.02] * 2,
             "replenishment_capacity": [0.0] * 2}
    return PathResult(0, {}, {}, pool={k: np.asarray(v) for k, v in flows.items()})


def test_a_note_losing_below_the_base_case_but_not_at_it_is_flagged():
    # A 90 / B 10, no coupons, fees or reserve, clean-up call at 20 % of the pool. Under k,
    # period 1 has 5k of defaults, 75.24 (1 - 0.05k) / 0.95 of principal and 6 (1 - 0.05k) /
    # 0.95 of interest, which covers the defaults (the rest goes to the residual); the pool
    # left is 20.8 - 1.04k.
    # - k >= 0.7692: that is at most 20, the call sells it at par and repays both notes; B
    #   loses only the defaults the interest did not cover, 5k - 6.3158 (1 - 0.05k), which is
    #   positive from k = 1.1881 on: no loss at 1x, 1.658 at 1.5x.
    # - k < 0.7692: no call; in period 2, k times the base case's 9.88 of defaults with no
    #   interest to cover them: B loses 9.88k, 4.94 at 0.5x, more than a cent from
    #   k = 0.01 / 9.88 = 0.001012 on.
    # So B first loses at 0.001x and loses at 0.5x, but not at 1x: its first loss lies below
    # the base case, in which it does not lose, and its loss is not monotone in the stress.
    config = tiny_config(HAND_DEAL | {"clean_up_call": {"call_pct": 0.20}})
    config = config.model_copy(
        update={"book": config.book.model_copy(update={"horizon_months": 12})})
    pool, factor = _pool_arrays([call_sensitive_result()])
    loss = {k: replay_stressed(config, pool, np.full(1, k)).notes["writedown"].sum(axis=1)[0, 1]
            * factor[0] for k in (0.5, 1.0, 1.5)}
    assert loss == pytest.approx({0.5: 4.94, 1.0: 0.0, 1.5: 1.65789}, abs=1e-4)
    got = multiple_breakevens(config, [call_sensitive_result()], tol=1e-5)
    # (the replay's cents, at SCALE, move the bound by less than 1e-9)
    assert 0.01 / 9.88 - 1e-9 <= got.breakeven[0, 1] <= 0.01 / 9.88 + 1e-5
    assert got.unstressed.tolist() == [[False, False]]  # neither note loses at 1x
    assert got.monotone.tolist() == [[True, False]]
    summary = summarise_breakevens(got, ["A", "B"], "multiple")
    assert summary[["loses_unstressed", "not_monotone"]].values.tolist() == [[0, 0], [0, 1]]
    table = _render(BreakevenResult(pd.DataFrame(), summary, paths=1, seed=0))
    assert "losing at 1x" in table and "not monotone" in table
    row_b = next(line for line in table.splitlines() if line.startswith("│ B"))
    assert [c.strip() for c in row_b.strip("│").split("│")][-3:] == ["0", "0", "1"]


def test_the_base_case_is_scanned_even_when_the_grid_leaves_it_out(monkeypatch):
    # a note losing only between 0.9x and 1.1x: a grid without 1x never sees it lose
    replay, calls = stub_replay([(0.9, 1.1), (np.inf, np.inf)])
    monkeypatch.setattr(sim.breakeven_multiple, "replay_stressed", replay)
    got = multiple_breakevens(tiny_config(HAND_DEAL), [hand_result(0, 100.0)],
                              grid=(0.0, 0.5, 2.0), tol=1e-3)
    assert 0.9 <= got.breakeven[0, 0] <= 0.9 + 1e-3 and np.isinf(got.breakeven[0, 1])
    assert got.unstressed.tolist() == [[True, False]]
    assert got.monotone.tolist() == [[False, True]]  # lost at 1x, not at 2x
    assert search_grid((0.0, 0.5, 2.0), "multiple") == (0.0, 0.5, 1.0, 2.0)
    assert search_grid((0.2, 0.1), "shock") == (0.0, 0.1, 0.2)  # +0 points: no stress
    with pytest.raises(ValueError, match="a multiple grid starts at 0, not 0.5"):
        search_grid((0.5, 2.0), "multiple")


def test_the_shock_is_additive_no_stress_is_no_rise(monkeypatch):
    # Note 0 loses from a 5-point rise on; note 1 loses with no rise and at 30 points but not
    # in between. No stress for the shock is +0 points: note 1 loses there (breakeven 0) and
    # its loss is not monotone; note 0 does not lose unstressed.
    def writedowns(config, seed, path, measure):
        s = config.macro.shock.peak_increase
        return np.array([1.0 if s >= 0.05 else 0.0, 1.0 if s in (0.0, 0.3) else 0.0])

    monkeypatch.setattr(sim.breakeven_shock, "_path_losses", writedowns)
    got = shock_breakevens(tiny_config(), 2, 3, grid=(0.0, 0.1, 0.2, 0.3), tol=1e-3)
    assert np.allclose(got.breakeven[:, 0], 0.05, atol=1e-3) and (got.breakeven[:, 0] >= 0.05).all()
    assert (got.breakeven[:, 1] == 0.0).all()
    assert got.unstressed.tolist() == [[False, True]] * 2
    assert got.monotone.tolist() == [[True, False]] * 2
    heads = BreakevenResult.UNSTRESSED_HEADS
    assert (heads["multiple"], heads["shock"]) == ("losing at 1x", "losing at +0 pts")


def _render(result: BreakevenResult) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    for table in breakeven_tables(result):
        console.print(table)
    return console.export_text()


# -- the unemployment shock ---------------------------------------------------------------------


def test_shock_override_changes_only_the_peak():
    config = tiny_config()
    shocked = shocked_config(config, 0.07)
    assert shocked.macro.shock.peak_increase == 0.07
    assert shocked.book == config.book and shocked.deal == config.deal


def test_a_steady_economy_is_stressed_from_the_deals_cut_off():
    # the baseline's own shock has no rise and starts in month 0: scaled as it is, it would
    # pass before the vehicle buys its pool. The search uses the severe recession's shape
    # from the deal's cut-off month instead, so no unemployment rises before the cut-off.
    config = tiny_config()
    assert config.macro.scenario == "baseline"
    shocked = shocked_config(config, 0.05)
    shape = SCENARIOS[STRESS_SHAPE]
    assert shocked.macro.shock.start_month == config.deal.cutoff_month == 4
    assert (shocked.macro.shock.ramp_months, shocked.macro.shock.hold_months,
            shocked.macro.shock.recovery_months) == (shape.ramp_months, shape.hold_months,
                                                     shape.recovery_months)
    rise = deterministic_path(shocked.macro, 40) - deterministic_path(config.macro, 40)
    assert np.all(rise[:5] == 0.0) and rise[5] > 0.0
    assert rise.max() == pytest.approx(0.05)


def test_a_recession_keeps_its_own_shock_shape():
    config = with_overrides(tiny_config(), {"macro": {"scenario": "recession", "shock": None}})
    config = apply_scenario(config)
    shocked = shocked_config(config, 0.02)
    assert shocked.macro.shock == config.macro.shock.model_copy(update={"peak_increase": 0.02})


def test_every_shock_level_meets_the_same_random_numbers():
    # common random numbers: the path's unemployment differs between two shocks by the
    # difference of their deterministic paths alone (the AR(1) deviation is the same draws)
    config = tiny_config()
    low, high = (shocked_config(config, s) for s in (0.0, 0.1))
    u_low, u_high = (simulate_path(c, 3, 1).monthly["unemployment_rate"] for c in (low, high))
    months = u_low.size
    want = deterministic_path(high.macro, months) - deterministic_path(low.macro, months)
    assert want.max() > 0.05  # the shock rises far within the horizon
    np.testing.assert_allclose(u_high - u_low, want, atol=1e-12)


def test_shock_breakeven_brackets_the_first_loss_on_a_path():
    # a very thin junior note, high fees and no reserve: on path 0 the defaults a shock brings
    # into the pool before the clean-up call wipe out the junior note and reach the senior
    # (path 0: on path 1 the notes of this thin deal already lose unshocked).
    # Each note's breakeven lies in the first grid bracket in which it loses (0 if it loses
    # unshocked, inf if not even at the largest shock); inside it, it loses at the breakeven
    # and not a tolerance below.
    config = tiny_config({"notes": [{"name": "senior", "size": 0.996, "coupon": 0.03},
                                    {"name": "junior", "size": 0.004, "coupon": 0.08}],
                          "senior_fee_rate": 0.03,
                          "reserve": {"initial_pct": 0.0, "target_pct": 0.0}})
    # the config's own shock shape from month 0 (its rise, replaced by the search, is not 0)
    config = with_overrides(config, {"macro": {"shock": {
        "start_month": 0, "peak_increase": 0.01, "ramp_months": 6, "hold_months": 6,
        "recovery_months": 18}}})
    grid, tol = (0.0, 0.1, 0.3), 0.02
    got, unstressed, monotone = _shock_path(config, 3, 0, grid, tol)
    scan = np.stack([_path_losses(shocked_config(config, s), 3, 0) > 0.01 for s in grid])
    assert not scan[0].any() and scan[-1].all()  # the path searched has brackets to narrow
    assert not unstressed.any()
    assert monotone.tolist() == (scan == np.logical_or.accumulate(scan)).all(axis=0).tolist()
    for j, s in enumerate(got):
        first = int(np.argmax(scan[:, j]))
        assert grid[first - 1] < s <= grid[first]
        assert _path_losses(shocked_config(config, s), 3, 0)[j] > 0.01
        assert _path_losses(shocked_config(config, s - tol), 3, 0)[j] <= 0.01
    assert got[1] <= got[0]  # the junior note loses first


# -- across paths -------------------------------------------------------------------------------


def _search(values) -> Search:
    """Breakevens of notes whose loss is monotone: each loses at 1x iff its breakeven <= 1."""
    values = np.asarray(values, float)
    return Search(values, values <= 1.0, np.ones(values.shape, bool))


def test_median_interval_from_order_statistics():
    x = np.arange(1.0, 11.0)  # n = 10: the classic 97.9 % interval is x(2) to x(9)
    assert _median_interval(x) == (2.0, 9.0)
    assert all(np.isnan(_median_interval(np.arange(5.0))))  # 5 paths cannot give one
    lo, hi = _median_interval(np.arange(6.0))
    assert (lo, hi) == (0.0, 5.0)
    s = summarise_breakevens(_search([[0.0], [1.0], [2.0], [np.inf]]), ["B"], "multiple")
    row = s.iloc[0]
    assert (row.loses_at_zero, row.never, row.paths) == (1, 1, 4)
    assert (row.loses_unstressed, row.not_monotone) == (2, 0)
    assert row["median"] == 1.0 and row["mean"] == pytest.approx(1.0)


# -- the command --------------------------------------------------------------------------------


def test_breakeven_command_prints_each_notes_multiple(tiny_deal_config, tmp_path, capsys):
    config = tiny_deal_config
    csv = tmp_path / "be.csv"
    assert main(["breakeven", str(config), "--paths", "2", "--seed", "3", "--only", "multiple",
                 "--quiet", "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "Default multiple" in out and "(2 paths, seed 3)" in out
    assert "Multiple: the waterfall replayed" in out
    assert "Shock:" not in out  # --only multiple: no word on a search that did not run
    said = " ".join(out.split())
    assert "(1x: the run itself; see docs/REPORTS.md)" in said
    assert "'not monotone': paths on which the note loses at a stress searched and not at a " \
           "larger one" in said
    for note in ("senior", "mezzanine", "subordinated"):
        assert note in out
    assert "Cumulative defaults over the deal's life" in said and "at 1x: median" in said
    assert out.splitlines()[-1] == str(csv)
    lines = csv.read_text().splitlines()
    assert len(lines) == 1 + 2 * 3
    assert lines[0] == HEADER
    assert "inf" not in csv.read_text()


HEADER = ("stress,path (count),note,breakeven multiple (times the base case),breakeven "
          "unemployment rise (fraction),no loss at the largest stress (True/False),loses "
          "unstressed (True/False),monotone (True/False),cumulative defaults at the breakeven "
          "(fraction),cumulative defaults at 1x (fraction)")
"""The CSV's header: each column's unit, as every export's (sim.exports)."""


def test_the_csv_gives_each_unit_its_own_column_and_no_breakeven_an_empty_cell(tmp_path):
    # one path, two notes, both stresses: the multiple 2.5x and none (no loss at 50x), the
    # shock 0.0425 (4.25 points) and none; the table writes these 2.50x, none, +4.25 pts, none
    per_path = pd.DataFrame({
        "stress": ["multiple", "multiple", "shock", "shock"], "path": [0] * 4,
        "note": ["A", "B"] * 2, "breakeven": [2.5, np.inf, 0.0425, np.inf],
        "loses_unstressed": [False] * 4, "monotone": [True] * 4,
        "defaults": [0.075, np.inf, np.nan, np.nan], "base_defaults": [0.03, 0.03, np.nan, np.nan]})
    result = BreakevenResult(per_path, pd.DataFrame(), paths=1, seed=0)
    path = write_csv(result.export("tiny", "creditsim breakeven tiny"), tmp_path / "be.csv")[0]
    rows = path.read_text().splitlines()
    assert rows == [
        HEADER,
        "multiple,0,A,2.5,,False,False,True,0.075,0.03",
        "multiple,0,B,,,True,False,True,,0.03",
        "shock,0,A,,0.0425,False,False,True,,",
        "shock,0,B,,,True,False,True,,"]
    back = pd.read_csv(path)
    assert all(pd.api.types.is_float_dtype(back.iloc[:, j]) for j in (3, 4))
    book = pd.read_excel(write_xlsx(result.export("tiny", "creditsim breakeven tiny"),
                                    tmp_path / "be.xlsx")[0], sheet_name=None)
    assert list(book) == ["breakevens", "about"]
    pd.testing.assert_frame_equal(book["breakevens"], back)
    facts = dict(zip(book["about"]["name"], book["about"]["value"], strict=True))
    assert facts["config"] == "tiny" and facts["command"] == "creditsim breakeven tiny"
    fmt = BreakevenResult.formatter
    assert (fmt("multiple")(2.5), fmt("multiple")(np.inf), fmt("shock")(0.0425)) == (
        "2.50x", "none", "+4.25 pts")


def test_breakeven_without_a_deal_exits_2(tmp_path, capsys):
    config = tmp_path / "nodeal.yaml"
    config.write_text(yaml.safe_dump(dict(TINY, base=str(CONFIGS / "baseline.yaml"), deal=None)))
    assert main(["breakeven", str(config), "--paths", "1"]) == 2
    err = capsys.readouterr().err
    assert "the config has no deal" in err
    assert "paths" not in err  # refused before any progress bar or work


def test_breakeven_finds_shipped_configs_by_name_like_run(capsys):
    assert main(["breakeven", "no_such_config", "--paths", "1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "no_such_config: no such config file, and not a shipped config" in err
    assert "severe_recession" in err


def test_tenth_and_ninetieth_percentiles_need_ten_paths():
    """As report's percentiles: below 10 paths no path lies beyond the 10th percentile on
    both sides, so p10 and p90 are n/a (NaN); from 10 paths on they are order statistics."""
    six = summarise_breakevens(_search(np.arange(1.0, 7.0)[:, None]), ["junior"], "multiple")
    assert np.isnan(six["p10"].iloc[0]) and np.isnan(six["p90"].iloc[0])
    ten = summarise_breakevens(_search(np.arange(1.0, 11.0)[:, None]), ["junior"],
                               "multiple")
    assert ten["p10"].iloc[0] == 1.0 and ten["p90"].iloc[0] == 9.0


def test_a_shocked_paths_losses_are_where_its_own_note_metrics_put_them():
    # the shock search's losses by either measure are above a cent exactly where the
    # shocked run's loss_pct or pv_loss_pct is above 0, and the PV one is never the smaller
    thin = tiny_config({"notes": [{"name": "senior", "size": 0.996, "coupon": 0.03},
                                  {"name": "junior", "size": 0.004, "coupon": 0.08}],
                        "senior_fee_rate": 0.03,
                        "reserve": {"initial_pct": 0.0, "target_pct": 0.0}})
    thin = with_overrides(thin, {"macro": {"shock": {  # the deal of the test above
        "start_month": 0, "peak_increase": 0.01, "ramp_months": 6, "hold_months": 6,
        "recovery_months": 18}}})
    for rise in (0.0, 0.3):
        config = shocked_config(thin, rise)
        metrics = note_metrics(simulate_path(config, 3, 0).waterfall)
        principal = _path_losses(config, 3, 0)
        pv = _path_losses(config, 3, 0, "pv")
        assert (pv >= principal).all()
        assert ((principal > 0.01) == (metrics["loss_pct"] > 0)).all()
        assert ((pv > 0.01) == (metrics["pv_loss_pct"] > 0)).all()
        if rise:
            assert (metrics["loss_pct"] > 0).all()  # the stress bites


def test_the_loss_measure_reaches_both_searches_and_the_tables(monkeypatch):
    # a stand-in shock search whose note 0 loses principal from a 5-point rise on and in
    # present value from 2 points on: the pv search finds the smaller rise
    def losses(config, seed, path, measure):
        s = config.macro.shock.peak_increase
        return np.array([1.0 if s >= (0.02 if measure == "pv" else 0.05) else 0.0])

    monkeypatch.setattr(sim.breakeven_shock, "_path_losses", losses)
    principal = shock_breakevens(tiny_config(), 1, 3, grid=(0.0, 0.1), tol=1e-4)
    pv = shock_breakevens(tiny_config(), 1, 3, grid=(0.0, 0.1), tol=1e-4, measure="pv")
    assert 0.05 <= principal.breakeven[0, 0] <= 0.05 + 1e-4
    assert 0.02 <= pv.breakeven[0, 0] <= 0.02 + 1e-4
    summary = summarise_breakevens(pv, ["A"], "shock")
    text = _render(BreakevenResult(pd.DataFrame(), summary, paths=1, seed=3, measure="pv"))
    assert "at which the note first loses in present value (1 path, seed 3)" in " ".join(
        text.split())
    assert "loses principal" not in text


def test_an_unknown_loss_measure_is_refused_before_any_work(tiny_deal_config, capsys):
    from sim.breakeven import breakeven, check_breakeven

    with pytest.raises(ValueError, match=r"unknown loss measure 'nominal'; allowed: principal, "
                                         r"pv"):
        check_breakeven(tiny_config(), ("multiple",), "nominal")
    with pytest.raises(ValueError, match="unknown loss measure"):
        breakeven(tiny_config(), 1, 3, stresses=("multiple",), measure="nominal")
    with pytest.raises(SystemExit) as exit_:
        main(["breakeven", str(tiny_deal_config), "--loss-measure", "nominal"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nominal' (choose from 'principal', 'pv')" in err
    assert "breakeven (" not in err  # refused before any progress bar or work
    # the command's choices are the measures the search knows
    sub = next(a for a in sim.cli.build_parser()._actions if a.dest == "command")
    option = next(a for a in sub.choices["breakeven"]._actions if a.dest == "loss_measure")
    assert tuple(option.choices) == tuple(sim.breakeven.LOSS_MEASURES)
    assert option.default == "principal"


def test_breakeven_command_searches_the_pv_loss_when_asked(tiny_deal_config, tmp_path, capsys):
    csv = tmp_path / "be.csv"
    xlsx = tmp_path / "be.xlsx"
    assert main(["breakeven", str(tiny_deal_config), "--paths", "2", "--seed", "3", "--only",
                 "multiple", "--quiet", "--loss-measure", "pv", "--csv", str(csv),
                 "--xlsx", str(xlsx)]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "at which the note first loses in present value (2 paths, seed 3)" in said
    assert "Loss measure: pv (a present-value loss above one cent" in said
    assert csv.read_text().splitlines()[0] == HEADER
    about = pd.read_excel(xlsx, sheet_name="about")
    facts = dict(zip(about["name"], about["value"], strict=True))
    assert facts["loss measure"].startswith("pv (a present-value loss above one cent")


def test_breakeven_command_shows_a_progress_bar_per_stress(tiny_deal_config, capsys):
    config = tiny_deal_config
    assert main(["breakeven", str(config), "--paths", "2", "--seed", "3", "--only",
                 "multiple"]) == 0
    err = capsys.readouterr().err
    # no terminal here: plain progress lines (sim.montecarlo.PlainProgress), not a live bar
    assert "breakeven (multiple): 2 of 2 paths (100%)" in err
    assert "breakeven (shock)" not in err


def test_breakeven_command_takes_set_and_refuses_a_bad_key_before_the_search(
        tiny_deal_config, tmp_path, capsys, monkeypatch):
    """``--set`` changes the config the search runs on, as ``run --set`` does; a bad key is
    refused before any path is searched."""
    import sim.breakeven

    seen = []
    real = sim.breakeven.breakeven
    monkeypatch.setattr(sim.breakeven, "breakeven",
                        lambda config, *a, **k: seen.append(config) or real(config, *a, **k))
    assert main(["breakeven", str(tiny_deal_config), "--paths", "1", "--only", "multiple",
                 "--quiet", "--set", "collections.collectors.count=7"]) == 0
    assert [c.collections.collectors.count for c in seen] == [7]
    assert main(["breakeven", str(tiny_deal_config), "--quiet",
                 "--set", "collections.collectors.cnt=7"]) == 2
    assert "has no key 'cnt'" in capsys.readouterr().err and len(seen) == 1


def test_shock_breakevens_on_two_workers_equal_those_in_this_process():
    """Each path's search runs whole on one worker, seeded by its path alone: the workers
    change nothing."""
    config, grid = tiny_config(), (0.0, 0.1, 0.3)
    one = shock_breakevens(config, 3, 4, workers=1, grid=grid, tol=0.05)
    seen: list[tuple[int, int]] = []
    two = shock_breakevens(config, 3, 4, workers=2, grid=grid, tol=0.05,
                           on_path=lambda done, total: seen.append((done, total)))
    for field in ("breakeven", "unstressed", "monotone"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))
    assert seen == [(1, 3), (2, 3), (3, 3)]
