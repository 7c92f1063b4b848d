"""Portfolio aggregates of the dashboard, on a small simulated run and on hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.aggregate import portfolio as agg
from sim.delinquency import BUCKETS


def test_fan_table_matches_numpy_percentiles(small_run):
    p = small_run.portfolio
    fans = agg.fan_table(p, ["receivables_balance"])
    wide = p.pivot(index="path", columns="month", values="receivables_balance").to_numpy()
    assert wide.shape[0] < 20  # too few paths for a 5th or 95th: the band is their range
    np.testing.assert_allclose(fans["p5"], wide.min(axis=0))
    np.testing.assert_allclose(fans["p50"], np.percentile(wide, 50, axis=0))
    np.testing.assert_allclose(fans["p95"], wide.max(axis=0))
    np.testing.assert_allclose(fans["mean"], wide.mean(axis=0))
    assert (fans["paths"] == small_run.manifest["paths"]).all()


def test_fan_table_matches_numpy_percentiles_from_20_paths():
    rng = np.random.default_rng(3)
    wide = rng.normal(size=(20, 4))
    frame = pd.DataFrame({"path": np.repeat(np.arange(20), 4), "month": np.tile(range(4), 20),
                          "x": wide.ravel()})
    fans = agg.fan_table(frame, ["x"])
    expected = np.percentile(wide, [5, 50, 95], axis=0)
    for q, col in enumerate(("p5", "p50", "p95")):
        np.testing.assert_allclose(fans[col], expected[q])


def test_fan_table_leaves_months_without_values_empty():
    frame = pd.DataFrame({"path": [0, 0, 1, 1], "month": [0, 1, 0, 1],
                          "x": [np.nan, 1.0, np.nan, 3.0]})
    fans = agg.fan_table(frame, ["x"]).set_index("month")
    assert np.isnan(fans.loc[0, ["p5", "p50", "p95", "mean"]].astype(float)).all()
    assert fans.loc[1, "p50"] == 2.0 and fans.loc[1, "paths"] == 2


def test_monthly_series_agree_with_the_run_summary(small_run):
    monthly = agg.monthly_series(small_run.portfolio)
    paths = small_run.paths.set_index("path")
    last = monthly.sort_values("month").groupby("path").last()
    np.testing.assert_allclose(last["cumulative_charge_off_rate"],
                               paths.loc[last.index, "cumulative_charge_off_rate"])
    from sim.metrics import SEASONED_MONTH

    last_month = monthly.groupby("path")["month"].transform("max")
    seasoned = monthly[(monthly["month"] >= SEASONED_MONTH) | (last_month < SEASONED_MONTH)]
    peak = seasoned.groupby("path")["dpd30_rate"].max()
    np.testing.assert_allclose(peak, paths.loc[peak.index, "peak_dpd30_rate"])
    assert (monthly["dpd90_rate"] <= monthly["dpd30_rate"] + 1e-12).all()
    assert monthly.loc[monthly["month"] == 0, "charge_off_rate"].isna().all()


def test_portfolio_fans_cover_every_series_the_run_has(small_run):
    fans = agg.portfolio_fans(small_run.portfolio)
    for s in ("receivables_balance", "dpd30_rate", "dpd90_rate", "charge_off_rate",
              "cumulative_charge_off_rate", "recoveries", "unemployment_rate"):
        assert s in set(fans["series"])
    months = small_run.portfolio["month"].nunique()
    assert len(fans) == months * fans["series"].nunique()


def test_bucket_mix_is_the_delinquent_share_of_mean_receivables(small_run):
    p = small_run.portfolio
    mix = agg.bucket_mix(p)
    means = p.groupby("month").mean(numeric_only=True)
    delinquent = means[[f"balance_{b}" for b in BUCKETS[1:]]].sum(axis=1)
    expected = (delinquent / means["receivables_balance"]).fillna(0)
    np.testing.assert_allclose(mix.sum(axis=1), expected)
    assert "current" not in mix.columns


def test_vintage_curves_group_cohorts_and_never_mix_ages(small_run):
    v = small_run.tables["vintages"]
    curves = agg.vintage_curves(v)
    assert curves["group"].iloc[0] == "launch book (month 0)"
    assert curves["order"].nunique() <= 12
    for _, g in curves.groupby("order"):
        rate = g.sort_values("months_on_book")["default_rate"].to_numpy()
        assert (np.diff(rate) >= -1e-12).all()  # cumulative
        assert (g["borrowers"] == g["borrowers"].iloc[0]).all()  # same cohorts at every age
    launch = curves[curves["order"] == 0]
    cohort0 = v[v["cohort"] == 0].groupby("months_on_book")[
        ["cumulative_charged_off_accounts", "cohort_size"]].sum()
    np.testing.assert_allclose(launch["default_rate"].to_numpy(),
                               (cohort0.iloc[:, 0] / cohort0.iloc[:, 1]).to_numpy())


def test_vintage_labels_name_the_months_grouped():
    v = pd.DataFrame({"cohort": [0, 1, 2, 3, 4], "months_on_book": 0, "cohort_size": 10,
                      "cumulative_charged_off_accounts": 0})
    labels = agg.vintage_curves(v, max_lines=3)["group"].tolist()
    assert labels == ["launch book (month 0)", "onboarded months 1-3", "onboarded month 4"]


def test_roll_matrix_from_the_rolls_table_is_row_stochastic_and_exact(small_run):
    from dashboard.aggregate.portfolio import roll_rate_matrix_from_rolls

    rolls = small_run["rolls"]
    matrix = roll_rate_matrix_from_rolls(rolls)
    assert np.allclose(matrix.sum(axis=1), 1.0)
    pooled = rolls.groupby(["from_state", "to_state"], observed=True)["accounts"].sum()
    current = pooled.loc["current"]
    want = current.get("dpd_1_30", 0) / current.sum()
    assert matrix.iloc[0, 1] == pytest.approx(want)
