"""Paired comparison of two runs path by path on common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_engine import small_config

import sim
from sim.compare import paired_comparison
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
    a = pd.DataFrame({"path": [0, 1, 2, 3], "x": [1.0, 2.0, 3.0, 4.0]})
    b = pd.DataFrame({"path": [3, 2, 1, 5], "x": [14.0, 13.0, 12.0, 99.0]})
    result = paired_comparison(a, b, metrics=("x",)).iloc[0]
    assert result["paths"] == 3
    assert result["difference"] == pytest.approx(10.0)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((10.0, 10.0))
    assert result["significant"]


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
