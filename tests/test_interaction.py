"""Difference in differences of two policies across two scenarios, paired path by path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.interaction import check_design, interaction_estimate


def _table(values, paths=None) -> pd.DataFrame:
    paths = range(len(values)) if paths is None else paths
    return pd.DataFrame({"path": list(paths), "x": np.asarray(values, dtype=float)})


def _manifest(run_id: str, seed: int = 1, scenario: str = "baseline", ladder: int = 1,
              horizon: int = 12) -> dict:
    return {"run_id": run_id, "seed": seed,
            "config": {"name": run_id, "book": {"initial_borrowers": 100,
                                                "horizon_months": horizon},
                       "macro": {"scenario": scenario},
                       "collections": {"ladder": [{"from_dpd": ladder}]}}}


def _four(**changes: dict) -> list[dict]:
    """A1, B1 (ladder 5), A2, B2 (severe recession); ``changes`` by run name."""
    base = {"A1": {}, "B1": {"ladder": 5}, "A2": {"scenario": "severe_recession"},
            "B2": {"ladder": 5, "scenario": "severe_recession"}}
    return [_manifest(f"run-{name}", **{**kw, **changes.get(name, {})})
            for name, kw in base.items()]


def test_hand_worked_difference_in_differences():
    """Four paths. B1 - A1 = 1, 1, 2, 1 and B2 - A2 = 3, 2, 4, 3, so d = 2, 1, 2, 2: mean
    1.75, s.d. sqrt(0.75 / 3) = 0.5, standard error 0.25, t = 7 on 3 degrees of freedom,
    interval 1.75 -+ t(0.975, 3) 0.25 = 1.75 -+ 3.182446305 x 0.25."""
    a1, b1 = _table([1, 2, 3, 4]), _table([2, 3, 5, 5])
    a2, b2 = _table([2, 4, 4, 6]), _table([5, 6, 8, 9])
    r = interaction_estimate([a1, b1, a2, b2], metrics=("x",)).iloc[0]
    assert r["effect_1"] == pytest.approx(1.25) and r["effect_2"] == pytest.approx(3.0)
    assert r["interaction"] == pytest.approx(1.75)
    assert r["std_error"] == pytest.approx(0.25)
    half = 3.182446305 * 0.25
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((1.75 - half, 1.75 + half), rel=1e-8)
    assert r["p_value"] == pytest.approx(2 * stats.t.sf(7.0, 3), rel=1e-10)
    assert (r["mean_a1"], r["mean_b1"], r["mean_a2"], r["mean_b2"]) == pytest.approx(
        (2.5, 3.75, 4.0, 7.0))
    assert r["paths"] == 4 and r["interval"] == "paired"
    assert r["significant"] is None  # 4 paths: not judged
    # each effect's own paired interval, as compare gives it: B1 - A1 = 1, 1, 2, 1
    e1 = stats.ttest_rel([2, 3, 5, 5], [1, 2, 3, 4]).confidence_interval()
    assert (r["effect_1_ci_low"], r["effect_1_ci_high"]) == pytest.approx((e1.low, e1.high))


def test_paths_are_matched_by_id_whatever_the_row_order():
    a1, b1 = _table([1, 2, 3, 4]), _table([2, 3, 5, 5])
    a2, b2 = _table([2, 4, 4, 6]), _table([5, 6, 8, 9])
    shuffled = [t.iloc[[2, 0, 3, 1]] for t in (b1, a2)]
    r = interaction_estimate([a1, shuffled[0], shuffled[1], b2], metrics=("x",)).iloc[0]
    assert r["interaction"] == pytest.approx(1.75) and r["std_error"] == pytest.approx(0.25)


def test_a_difference_every_path_gives_alike_is_exact():
    a = _table([1.0, 2.0, 3.0])
    b1, b2 = a.assign(x=a["x"] + 1), a.assign(x=a["x"] + 3)
    r = interaction_estimate([a, b1, a, b2], metrics=("x",)).iloc[0]
    assert (r["interaction"], r["ci_low"], r["ci_high"], r["p_value"]) == pytest.approx(
        (2.0, 2.0, 2.0, 0.0))


def test_significance_is_judged_over_the_table_with_twenty_paths():
    """A real interaction on m0, none on m1..m9 (noise): m0 stands, the others do not."""
    rng = np.random.default_rng(4)
    n, names = 30, [f"m{i}" for i in range(10)]

    def run(shift: float) -> pd.DataFrame:
        return pd.DataFrame({"path": range(n), **{m: rng.normal(size=n) for m in names}}
                            ).assign(m0=lambda t: t["m0"] + shift)

    out = interaction_estimate([run(0), run(0), run(0), run(3)], metrics=tuple(names))
    assert out["significant"].tolist() == [True] + [False] * 9
    assert out["q_value"].notna().all()


_rows = st.integers(2, 12).flatmap(lambda n: st.lists(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=n, max_size=n),
    min_size=4, max_size=4))


@settings(max_examples=60, deadline=None)
@given(_rows)
def test_swapping_the_scenarios_negates_the_estimate(values):
    """(B1 - A1) - (B2 - A2) = -((B2 - A2) - (B1 - A1)): the estimate and its interval change
    sign, its standard error and p value stay; the effects trade places. The estimate is
    also the difference of the two effects (what two comparison tables give)."""
    a1, b1, a2, b2 = (_table(v) for v in values)
    r = interaction_estimate([a1, b1, a2, b2], metrics=("x",)).iloc[0]
    s = interaction_estimate([a2, b2, a1, b1], metrics=("x",)).iloc[0]
    assert s["interaction"] == pytest.approx(-r["interaction"], abs=1e-9)
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((-r["ci_high"], -r["ci_low"]), abs=1e-9)
    assert s["std_error"] == pytest.approx(r["std_error"], abs=1e-9)
    if r["std_error"] > 1e-6:  # p of an exact (spread-free) difference is 0 or 1
        assert s["p_value"] == pytest.approx(r["p_value"], abs=1e-9)
    assert (s["effect_1"], s["effect_2"]) == pytest.approx((r["effect_2"], r["effect_1"]))
    assert r["interaction"] == pytest.approx(r["effect_2"] - r["effect_1"], abs=1e-9)
    assert r["ci_low"] - 1e-9 <= r["interaction"] <= r["ci_high"] + 1e-9


def test_four_tables_with_different_paths_or_metrics_are_refused():
    a = _table([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"same path ids \(A1: 3, B1: 3, A2: 2, B2: 3 paths"):
        interaction_estimate([a, a, a.iloc[:2], a], metrics=("x",))
    with pytest.raises(ValueError, match="metrics missing from a run: y"):
        interaction_estimate([a, a, a, a], metrics=("x", "y"))
    with pytest.raises(ValueError, match="takes four runs"):
        interaction_estimate([a, a], metrics=("x",))


def test_the_design_names_the_policy_and_the_scenario_change():
    p = _table([0.0, 0.0, 0.0])
    design = check_design(_four(), [p] * 4)
    assert design.policy == ("collections.ladder.0.from_dpd",)
    assert design.scenario == ("macro.scenario",)
    assert design.notes == ()
    assert design.run_ids == ("run-A1", "run-B1", "run-A2", "run-B2")


def test_runs_that_do_not_share_their_draws_are_refused_naming_them():
    p = _table([0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"A2 \(run-A2\) against A1 \(run-A1\): different "
                                         r"seeds \(A1: 1, A2: 2\)") as err:
        check_design(_four(A2={"seed": 2}), [p] * 4)
    assert "B1" not in str(err.value).split(": ", 1)[1].split(";")[0]  # B1 is fine
    with pytest.raises(ValueError, match=r"B2 \(run-B2\) against A1 \(run-A1\): different "
                                         r"book or income: book.horizon_months"):
        check_design(_four(B2={"horizon": 24}), [p] * 4)
    with pytest.raises(ValueError, match=r"B1 \(run-B1\) against A1 \(run-A1\): different "
                                         r"path sets \(A1: 3 paths, B1: 2 paths, 2 in common\)"):
        check_design(_four(), [p, p.iloc[:2], p, p])


def test_a_design_whose_factors_do_not_cross_is_noted():
    """B2 with another ladder than B1's: the policy change differs between the scenarios
    (and so the scenario change between the policies)."""
    p = _table([0.0, 0.0, 0.0])
    notes = check_design(_four(B2={"ladder": 9}), [p] * 4).notes
    assert any(n.startswith("the policy change is not the same in both scenarios (B1 against "
                            "A1, B2 against A2 differ in: collections.ladder.0.from_dpd)")
               for n in notes)
    assert any(n.startswith("the scenario change is not the same for both policies")
               for n in notes)
    same = check_design(_four(A2={"scenario": "baseline"}, B2={"scenario": "baseline"}),
                        [p] * 4).notes
    assert any("scenario 2 is scenario 1" in n for n in same)


def test_a_second_pair_the_wrong_way_round_is_refused():
    """B2 against A2 undoing B1 against A1 exactly: ``--against B2 A2``."""
    p = _table([0.0, 0.0, 0.0])
    a1, b1, a2, b2 = _four()
    with pytest.raises(ValueError, match=r"the second pair is the wrong way round: B2 \(run-A2\) "
                                         r"against A2 \(run-B2\) undoes .*--against run-A2 run-B2"):
        check_design([a1, b1, b2, a2], [p] * 4)
    # a scenario 2 given first is no mistake: it only negates the estimate
    assert check_design([a2, b2, a1, b1], [p] * 4).notes == ()


def test_metrics_some_runs_lack_are_named_as_left_out():
    from sim.interaction import interaction_runs
    from sim.metrics import KEY_METRICS

    rng = np.random.default_rng(1)
    def paths(deal: bool) -> pd.DataFrame:
        table = pd.DataFrame({m: rng.random(4) for m in KEY_METRICS})
        if deal:
            table["note_loss_senior"] = 0.0
        return table.assign(path=range(4))
    tables = [paths(True), paths(True), paths(True), paths(False)]
    result, design = interaction_runs(_four(), tables)
    assert "note_loss_senior" not in set(result["metric"])
    assert design.notes[-1] == ("note_loss_senior left out: not in B2 (a run without a deal "
                                "has no note losses)")


def test_pv_losses_a_run_stored_before_them_lacks_are_named_as_left_out():
    from sim.interaction import interaction_runs
    from sim.metrics import KEY_METRICS

    rng = np.random.default_rng(1)
    def paths(pv: bool) -> pd.DataFrame:
        table = pd.DataFrame({m: rng.random(4) for m in KEY_METRICS})
        table["note_loss_senior"] = 0.0
        if pv:
            table["note_pv_loss_senior"] = 0.0
        return table.assign(path=range(4))
    tables = [paths(False), paths(True), paths(True), paths(True)]
    result, design = interaction_runs(_four(), tables)
    assert "note_loss_senior" in set(result["metric"])
    assert "note_pv_loss_senior" not in set(result["metric"])
    assert design.notes[-1] == ("note_pv_loss_senior left out: not in A1 (a run stored before "
                                "the PV loss was recorded has only the principal losses)")
