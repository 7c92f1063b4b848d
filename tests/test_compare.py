"""Paired comparison of two runs path by path on common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_engine import small_config
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.compare import check_pairing, config_differences, paired_comparison
from sim.config import deep_merge

BOOK = {"repayment": {"willingness_concentration": 4.0, "forget_prob": 0.04},
        "collections": {"enabled": False}}
LOSS_METRICS = ("cumulative_charge_off_rate", "net_loss_rate", "borrower_default_rate",
                "peak_dpd30_rate")


@pytest.fixture(scope="module")
def policy_pair():
    """The same borrowers, seed and paths; only forget_prob differs (0.04 vs 0.08)."""
    book = {"initial_borrowers": 300, "horizon_months": 18}
    a = sim.run(small_config(BOOK, **book), paths=10, seed=31, out=None)
    b = sim.run(small_config(deep_merge(BOOK, {"repayment": {"forget_prob": 0.08}}), **book),
                paths=10, seed=31, out=None)
    return a, b


def test_a_run_compared_with_itself_shows_no_difference(policy_pair):
    a, _ = policy_pair
    result = paired_comparison(a.paths, a.paths)
    assert (result["difference"] == 0).all()
    assert (result["ci_low"] == 0).all() and (result["ci_high"] == 0).all()
    assert not result["significant"].any()
    assert (result["mean_a"] == result["mean_b"]).all()
    assert (result["paths"] == 10).all()


def test_paired_interval_is_narrower_than_the_unpaired_one(policy_pair):
    a, b = policy_pair
    result = paired_comparison(a.paths, b.paths).set_index("metric")
    for m in LOSS_METRICS:
        r = result.loc[m]
        assert r.ci_high - r.ci_low < r.unpaired_ci_high - r.unpaired_ci_low, m
    # more forgetting, more losses: the paired interval sees it
    assert result.loc["borrower_default_rate", "difference"] > 0


def test_difference_is_the_mean_of_path_differences(policy_pair):
    a, b = policy_pair
    result = paired_comparison(a.paths, b.paths).set_index("metric")
    for m in LOSS_METRICS:
        d = b.paths[m].to_numpy() - a.paths[m].to_numpy()
        assert result.loc[m, "difference"] == pytest.approx(d.mean(), abs=1e-15)
        assert result.loc[m, "mean_a"] == pytest.approx(a.paths[m].mean())


def test_paths_are_matched_on_the_path_column():
    """Pairs are made by path id, whatever the row order."""
    a = pd.DataFrame({"path": [0, 1, 2, 3], "x": [1.0, 2.0, 3.0, 4.0]})
    b = pd.DataFrame({"path": [3, 2, 1, 0], "x": [14.0, 13.0, 12.0, 11.0]})
    result = paired_comparison(a, b, metrics=("x",)).iloc[0]
    assert result["paths"] == 4 and result["interval"] == "paired"
    assert result["difference"] == pytest.approx(10.0)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((10.0, 10.0))
    assert result["significant"] is None  # 4 paths: not judged


def test_t_interval_of_the_paired_differences():
    a = pd.DataFrame({"path": range(5), "x": np.zeros(5)})
    b = pd.DataFrame({"path": range(5), "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    r = paired_comparison(a, b, metrics=("x",), level=0.9).iloc[0]
    half = 2.131846786 * np.std([1, 2, 3, 4, 5], ddof=1) / np.sqrt(5)  # t(0.95, 4 df)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((3 - half, 3 + half), rel=1e-8)


def test_runs_without_common_paths_or_metrics_are_rejected():
    a = pd.DataFrame({"path": [0, 1], "x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="no path in common"):
        paired_comparison(a, a.assign(path=[5, 6]), metrics=("x",))
    with pytest.raises(ValueError, match="missing"):
        paired_comparison(a, a, metrics=("x", "y"))


# -- scipy's intervals, pairing rules and small samples (issue: honest comparisons) ---------------
def test_paired_interval_is_scipys_ttest_rel():
    from scipy import stats

    rng = np.random.default_rng(3)
    a = pd.DataFrame({"path": range(25), "x": rng.normal(size=25)})
    b = a.assign(x=a["x"] + rng.normal(0.3, 0.2, size=25))
    r = paired_comparison(a, b, metrics=("x",)).iloc[0]
    ci = stats.ttest_rel(b["x"], a["x"]).confidence_interval()
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert r["interval"] == "paired" and r["paths"] == 25 and r["significant"]


def test_unpaired_interval_is_welchs_by_hand():
    """Welch-Satterthwaite by hand: a = 0..4 (var 2.5), b = 10, 12, 14 (var 4)."""
    from scipy import stats

    a = pd.DataFrame({"path": range(5), "x": [0.0, 1.0, 2.0, 3.0, 4.0]})
    b = pd.DataFrame({"path": range(3), "x": [10.0, 12.0, 14.0]})
    r = paired_comparison(a, b, metrics=("x",), paired=False).iloc[0]
    va, vb = 2.5 / 5, 4.0 / 3
    df = (va + vb) ** 2 / (va**2 / 4 + vb**2 / 2)
    half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
    assert r["difference"] == pytest.approx(10.0)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((10 - half, 10 + half), rel=1e-10)
    assert r["interval"] == "unpaired" and r["paths"] == 0


def test_means_are_each_runs_own_when_the_path_sets_differ():
    """Issue example: A has 3 paths, B 2; A's mean must be its own report's mean."""
    a = pd.DataFrame({"path": [0, 1, 2], "x": [1.0, 2.0, 6.0]})
    b = pd.DataFrame({"path": [0, 1], "x": [1.0, 2.0]})
    r = paired_comparison(a, b, metrics=("x",)).iloc[0]
    assert r["mean_a"] == pytest.approx(3.0) and r["mean_b"] == pytest.approx(1.5)
    assert r["difference"] == pytest.approx(-1.5)
    assert r["interval"] == "unpaired" and (r["n_a"], r["n_b"]) == (3, 2)


def test_significance_is_not_judged_from_two_paths():
    """Issue example: n = 2 gave '[-0.084 %, -0.083 %] significant'."""
    a = pd.DataFrame({"path": [0, 1], "x": [0.01, 0.02]})
    b = a.assign(x=[0.01 - 0.00084, 0.02 - 0.00083])
    r = paired_comparison(a, b, metrics=("x",)).iloc[0]
    assert r["significant"] is None


def _manifest(seed=1, **book):
    return {"seed": seed, "config": {"name": "x", "book": {"initial_borrowers": 100, **book},
                                     "collections": {"collectors": {"count": 2}}}}


def test_pairing_names_exactly_what_differs():
    p = pd.DataFrame({"path": [0, 1, 2]})
    assert check_pairing(_manifest(), _manifest(), p, p).paired
    seeds = check_pairing(_manifest(1), _manifest(2), p, p)
    assert not seeds.paired and seeds.reasons == ("different seeds (A: 1, B: 2)",)
    book = check_pairing(_manifest(), _manifest(initial_borrowers=200), p, p)
    assert book.reasons == ("different book or income: book.initial_borrowers",)
    recession = _manifest()
    recession["config"]["macro"] = {"scenario": "recession"}
    scenario = check_pairing(_manifest(), recession, p, p)  # each concern has its own stream
    assert scenario.paired and scenario.notes[0].startswith(
        "a scenario comparison: the macro settings differ (macro.scenario)")
    paths = check_pairing(_manifest(), _manifest(), p, p.iloc[:2])
    assert paths.reasons == ("different path sets (A: 3 paths, B: 2 paths, 2 in common)",)
    policy = _manifest()
    policy["config"]["collections"]["collectors"]["count"] = 5
    pol = check_pairing(_manifest(), policy, p, p)
    assert pol.paired and "config keys that differ: collections.collectors.count" in pol.notes


def test_config_differences_are_dotted_keys():
    a = {"name": "a", "book": {"n": 1, "m": 2}, "ladder": [{"d": 1}, {"d": 2}]}
    b = {"name": "b", "book": {"n": 1, "m": 3}, "ladder": [{"d": 1}], "deal": None}
    assert config_differences(a, b) == ["book.m", "deal", "ladder.1.d"]
    with_deal = dict(a, deal={"name": "x", "notes": [{"size": 0.8}]})
    assert config_differences(with_deal, b) == ["book.m", "deal", "ladder.1.d"]


# -- invariants ---------------------------------------------------------------------------------

_values = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30)


@settings(max_examples=60, deadline=None)
@given(_values, st.data())
def test_means_are_each_runs_own_and_the_difference_is_theirs(a_values, data):
    """Paired or not, mean_a and mean_b are the runs' own means and B - A their difference;
    the interval holds the difference."""
    n = len(a_values)
    b_values = data.draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n,
                                  max_size=n))
    a = pd.DataFrame({"path": range(n), "x": a_values})
    b = pd.DataFrame({"path": range(n)[::-1], "x": b_values})
    for paired in (True, False):
        r = paired_comparison(a, b, metrics=("x",), paired=paired).iloc[0]
        assert r["mean_a"] == pytest.approx(np.mean(a_values), abs=1e-6)
        assert r["difference"] == pytest.approx(np.mean(b_values) - np.mean(a_values), abs=1e-6)
        assert r["ci_low"] <= r["difference"] + 1e-6 <= r["ci_high"] + 2e-6


@given(st.dictionaries(st.sampled_from("abc"), st.integers(0, 3)),
       st.dictionaries(st.sampled_from("abc"), st.integers(0, 3)))
def test_config_differences_are_symmetric_and_empty_for_equal_configs(x, y):
    assert config_differences(x, x) == []
    assert config_differences(x, y) == config_differences(y, x)


# -- many differences at once: the false discovery rate -------------------------------------------
def _tested(p_values, n=20):
    """A comparison table of len(p_values) metrics whose own intervals exclude 0 exactly
    when p < 0.05, as the t test's interval and p value agree."""
    p = np.asarray(p_values, dtype=float)
    return pd.DataFrame({"metric": [f"m{i}" for i in range(p.size)], "p_value": p,
                         "ci_low": np.where(p < 0.05, 0.1, -0.1), "ci_high": 1.0,
                         "n_a": n, "n_b": n})


def test_false_discovery_control_by_hand():
    """Benjamini-Hochberg step-up, m = 4: sorted p 0.01, 0.03, 0.04, 0.20 give
    p * m / rank = 0.04, 0.06, 0.0533, 0.20, and q the running minimum from the top:
    0.04, 0.0533, 0.0533, 0.20. At 5 % only p = 0.01 stands, though three are below 0.05."""
    from sim.compare import control_false_discoveries

    out = control_false_discoveries(_tested([0.01, 0.04, 0.03, 0.2]))
    assert out["q_value"].tolist() == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert out["significant"].tolist() == [True, False, False, False]
    assert out["significant_alone"].tolist() == [True, True, True, False]


def test_false_discovery_control_leaves_unjudged_rows_out():
    """Rows below 20 paths, or without a p value, are not judged and not counted: one
    p of 0.03 among them stands alone (q = p)."""
    from sim.compare import control_false_discoveries

    table = pd.concat([_tested([0.03]), _tested([0.001], n=5), _tested([np.nan])])
    out = control_false_discoveries(table.reset_index(drop=True))
    assert out["q_value"].iloc[0] == pytest.approx(0.03)
    assert out["significant"].tolist() == [True, None, False]
    assert np.isnan(out["q_value"].iloc[1]) and np.isnan(out["q_value"].iloc[2])


def test_chance_differences_among_many_metrics_are_not_called_significant():
    """40 metrics none of which B changes (independent noise, paired on 30 paths): at 5 %
    each, about 2 would look significant alone; held at a 5 % false discovery rate, none
    does (with this seed: 3 alone, 0 after)."""
    rng = np.random.default_rng(9)
    a = pd.DataFrame({"path": range(30), **{f"m{i}": rng.normal(size=30) for i in range(40)}})
    b = a.assign(**{f"m{i}": a[f"m{i}"] + rng.normal(size=30) for i in range(40)})
    r = paired_comparison(a, b, metrics=tuple(f"m{i}" for i in range(40)))
    assert r["significant_alone"].sum() == 3
    assert not r["significant"].any()


def test_p_value_is_the_intervals_test_and_the_cell_says_alone():
    from scipy import stats

    from sim.compare import significance_text

    rng = np.random.default_rng(5)
    a = pd.DataFrame({"path": range(25), "x": rng.normal(size=25), "y": rng.normal(size=25)})
    b = a.assign(x=a["x"] + rng.normal(0.3, 0.2, size=25), y=a["y"] + rng.normal(size=25))
    r = paired_comparison(a, b, metrics=("x", "y")).set_index("metric")
    assert r.loc["x", "p_value"] == pytest.approx(stats.ttest_rel(b["x"], a["x"]).pvalue)
    assert significance_text(True, True, 0.001, 25) == "yes"
    assert significance_text(False, True, 0.0312, 25) == "no (p 0.031 alone)"
    assert significance_text(False, False, 0.4, 25) == "no"
    assert significance_text(None, None, 0.01, 2) == "n/a (n=2)"


def test_a_comparison_with_a_run_stored_before_the_pv_loss_says_what_it_leaves_out():
    from sim.compare import compare_runs
    from sim.metrics import KEY_METRICS

    def paths(pv: bool) -> pd.DataFrame:
        table = pd.DataFrame({m: np.linspace(0.01, 0.02, 4) for m in KEY_METRICS})
        table["note_loss_junior"] = 0.01
        if pv:
            table["note_pv_loss_junior"] = 0.012
        return table.assign(path=range(4))

    manifest = {"seed": 1, "config": {}}
    result, pairing = compare_runs(manifest, paths(True), manifest, paths(False))
    assert "note_loss_junior" in set(result["metric"])
    assert "note_pv_loss_junior" not in set(result["metric"])
    assert pairing.notes[-1] == ("note_pv_loss_junior left out: not in B (a run stored before "
                                 "the PV loss was recorded has only the principal losses)")
    _, both = compare_runs(manifest, paths(True), manifest, paths(True))
    assert not any("left out" in n for n in both.notes)
