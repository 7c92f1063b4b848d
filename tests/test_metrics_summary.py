"""Summaries across paths: n, scipy's interval, percentiles only where resolvable."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.metrics import (
    MIN_PATHS,
    comparison_metrics,
    format_metric,
    paths_to_resolve,
    resolvable,
    summarise,
)


def test_resolvable_quantiles_need_one_path_beyond_each_side():
    assert not resolvable(0.05, 19) and resolvable(0.05, 20)
    assert not resolvable(0.99, 99) and resolvable(0.99, 100)
    assert resolvable(0.5, 2) and not resolvable(0.5, 1)


@pytest.mark.parametrize("q", [0.5, 0.05, 0.95, 0.99, 0.01, 0.999, 0.3, 0.75])
def test_paths_to_resolve_is_the_fewest_that_resolvable_accepts(q):
    n = paths_to_resolve(q)
    assert resolvable(q, n) and not resolvable(q, n - 1)


def test_paths_to_resolve_names_the_usual_counts_and_refuses_the_extremes():
    assert [paths_to_resolve(q) for q in (0.5, 0.95, 0.05, 0.99)] == [2, 20, 20, 100]
    with pytest.raises(ValueError, match="give 0 < q < 1"):
        paths_to_resolve(1.0)


def test_two_paths_give_no_tail_percentiles():
    """Issue example: with 2-3 paths the CLI printed 5th/95th percentiles."""
    paths = pd.DataFrame({"x": [0.01, 0.03]})
    r = summarise(paths, ("x",)).iloc[0]
    assert r["n"] == 2 and math.isnan(r["p5"]) and math.isnan(r["p95"])
    assert r["p50"] == pytest.approx(0.02)
    assert format_metric("net_loss_rate", r["p5"]) == "n/a"


def test_interval_of_the_mean_is_scipys():
    x = np.arange(25, dtype=float) ** 1.5
    r = summarise(pd.DataFrame({"x": x}), ("x",)).iloc[0]
    ci = stats.ttest_1samp(x, 0.0).confidence_interval()
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert r["p5"] == pytest.approx(np.percentile(x, 5))
    assert MIN_PATHS == 20


def test_an_interval_is_cut_to_the_values_its_measure_can_take():
    """Two paths of a charge-off rate, 0.5 % and 2.5 %: the t interval is 1.5 % +- 12.71 %
    (t of 1 degree of freedom, 0.975: 12.706; standard error 1 %), below 0 on the left.
    A rate is never negative, so the interval starts at 0; its right end stays; a share is
    capped at 1; a net loss, which may be negative, keeps the t interval whole."""
    x = [0.005, 0.025]
    half = stats.t.ppf(0.975, 1) * 0.01
    frame = pd.DataFrame({"cumulative_charge_off_rate": x, "net_loss_rate": x,
                          "borrower_default_rate": [0.9, 0.98]})
    r = summarise(frame, tuple(frame)).set_index("metric")
    assert half == pytest.approx(0.12706, rel=1e-4)
    assert r.loc["cumulative_charge_off_rate", ["ci_low", "ci_high"]].tolist() == \
        pytest.approx([0.0, 0.015 + half])
    assert r.loc["net_loss_rate", ["ci_low", "ci_high"]].tolist() == \
        pytest.approx([0.015 - half, 0.015 + half])
    assert r.loc["borrower_default_rate", "ci_high"] == 1.0
    assert r.loc["borrower_default_rate", "ci_low"] == pytest.approx(0.94 - 0.04 * 12.706,
                                                                       rel=1e-4)


def test_one_number_format_for_amounts_rates_and_missing_values():
    assert format_metric("collection_cost", 1275743.4) == "1,275,743"
    assert format_metric("collection_cost", 572000.0, True) == "+572,000"
    assert format_metric("net_loss_rate", 0.00303) == "0.303%"
    assert format_metric("note_loss_senior", -0.0001, True) == "-0.010 pp"  # a difference
    assert format_metric("recovery_rate", 0.0005, True) == "+0.050 pp"
    assert format_metric("note_loss_senior", -1e-16, True) == "0.000 pp"  # no signed zero
    assert format_metric("recovery_rate", 0.0, True) == "0.000 pp"  # points, as other rows
    assert format_metric("note_loss_senior", -1e-16) == "0.000%"
    assert format_metric("collection_cost", -0.4, True) == "0"
    assert format_metric("net_loss_rate", float("nan")) == "n/a"


def test_money_rows_are_said_to_be_path_totals_over_the_horizon():
    from sim.metrics import amounts_note

    note = amounts_note(["net_loss_rate", "collection_cost", "net_recovery",
                         "collection_cost"])
    assert note.startswith("collection_cost, net_recovery: currency units, each path's "
                           "total over the horizon")
    assert amounts_note(["net_loss_rate"]) == ""


def test_every_key_metric_says_which_way_is_better():
    from sim.metrics import BETTER, KEY_METRICS, better_direction, verdict

    assert set(KEY_METRICS) <= set(BETTER)
    assert better_direction("net_loss_rate") == -1 and better_direction("recovery_rate") == 1
    assert better_direction("human_contact_share") == 0
    assert better_direction("note_loss_junior") == -1
    assert better_direction("note_pv_loss_junior") == -1
    assert verdict("note_pv_loss_junior", 0.001) == "worse"
    assert better_direction("no_such_metric") == 0
    assert verdict("loss_after_costs_rate", -0.001) == "better"
    assert verdict("recovery_rate", -0.01) == "worse"  # a fall in recoveries is worse
    assert verdict("net_recovery", 5.0) == "better"
    assert verdict("collection_cost", 5.0) == "worse"
    assert verdict("human_contact_share", 0.1) == "neutral"
    assert verdict("net_loss_rate", 0.0) == "neutral"
    assert verdict("net_loss_rate", float("nan")) == "neutral"


def test_comparison_metrics_add_the_tranche_losses_both_runs_have():
    a = pd.DataFrame(columns=["path", "note_loss_A", "note_loss_B"])
    b = pd.DataFrame(columns=["path", "note_loss_A"])
    metrics = comparison_metrics(a, b)
    assert metrics[-1] == "note_loss_A" and "note_loss_B" not in metrics


def test_comparison_metrics_add_the_pv_losses_after_the_principal_losses():
    columns = ["path", "note_loss_A", "note_loss_B", "note_pv_loss_A", "note_pv_loss_B"]
    a = pd.DataFrame(columns=columns)
    assert comparison_metrics(a, a)[-4:] == tuple(columns[1:])
    # a run stored before the PV loss has only the principal losses: the PV ones are left out
    old = pd.DataFrame(columns=columns[:3])
    assert comparison_metrics(a, old)[-2:] == ("note_loss_A", "note_loss_B")
    assert not any(m.startswith("note_pv_loss_") for m in comparison_metrics(a, old))


def _book(months: int, dpd30: list[float]) -> pd.DataFrame:
    """One path: receivables of 100 and ``dpd30[m]`` of them 30+ days past due in month m."""
    from sim.delinquency import BUCKETS

    frame = pd.DataFrame({"path": 0, "month": np.arange(months), "receivables_balance": 100.0})
    for b in BUCKETS[1:]:
        frame[f"balance_{b}"] = 0.0
    frame["balance_dpd_31_60"] = dpd30
    return frame


def test_peak_delinquency_leaves_the_launch_spike_out():
    from sim.metrics import SEASONED_MONTH, seasoned_dpd30_share

    shares = [0.0, 2.0, 9.0, 8.0] + [3.0] * (SEASONED_MONTH - 4) + [4.0, 5.0, 4.5]
    share = seasoned_dpd30_share(_book(len(shares), shares))
    assert share.max() == pytest.approx(0.05)  # month 13, not the launch's 9 % in month 2
    assert len(share) == len(shares) - SEASONED_MONTH


def test_peak_delinquency_of_a_short_horizon_uses_every_month():
    from sim.metrics import SEASONED_MONTH, seasoned_dpd30_share

    shares = [0.0, 2.0, 9.0, 8.0][: SEASONED_MONTH]
    share = seasoned_dpd30_share(_book(len(shares), shares))
    assert share.max() == pytest.approx(0.09) and len(share) == len(shares)


def _one_path(**totals: float) -> pd.DataFrame:
    """One path of two months: every recorded column 0 but ``totals``, booked in month 0
    (stocks: 100 receivables, 1 borrower onboarded)."""
    from sim.recorder import MONTHLY

    frame = pd.DataFrame({"path": 0, "month": [0, 1]} | {c: 0.0 for c in MONTHLY})
    frame[["receivables_balance", "onboarded_borrowers"]] = [100.0, 1]
    for name, value in totals.items():
        frame.loc[0, name] = value
    return frame


def test_loss_after_costs_counts_each_cost_once():
    """Purchases 10,000; charge-offs 500; recoveries 200, of which the agency collected 100
    for a commission of 20; collection cost 80 = an SMS cost of 10 + the collectors' 40 +
    legal costs of 30; so net recoveries 200 - 20 - 30 = 150; interventions 5 + 5.
    Loss after costs: 500 - 200 + 20 + 80 + 10 = 410, 4.1 % of purchases. Taking the net
    recovery (which deducts the legal costs) and the collection cost (which holds them) would
    count the 30 twice: 500 - 150 + 80 + 10 = 440, 4.4 %."""
    from sim.metrics import path_table
    from sim.recorder import COLLECTION_COST_PARTS

    parts = {"cost_sms": 10.0, "collector_cost": 40.0, "legal_costs": 30.0}
    assert set(parts) <= set(COLLECTION_COST_PARTS)
    book = _one_path(new_purchases=10_000.0, charge_offs=500.0, recoveries=200.0,
                     recoveries_internal=100.0, recoveries_agency=100.0,
                     recovery_commission=20.0, net_recoveries=150.0,
                     collection_cost=sum(parts.values()), ew_cost=5.0, nudge_cost=5.0,
                     **parts)
    row = path_table(book).iloc[0]
    assert row["collection_cost"] == 80.0 and row["net_recovery"] == 150.0
    assert row["intervention_cost"] == 10.0
    assert row["loss_after_costs_rate"] == pytest.approx(0.041)
    assert row["loss_after_costs_rate"] - row["net_loss_rate"] == pytest.approx(0.011)


def test_a_count_is_neither_a_rate_nor_money():
    """``hardship_enrolments`` is accounts re-aged (the run store declares it a count): 12
    enrolments are "12.0", a difference of 3 is "+3.0", never 1,200 % or +300 pp, and the
    difference charts, which draw rates in points, leave it out."""
    from sim.metrics import COUNT_UNIT, amounts_note, is_rate, unit_text

    assert not is_rate("hardship_enrolments")
    assert format_metric("hardship_enrolments", 12.0) == "12.0"
    assert format_metric("hardship_enrolments", 1204.46) == "1,204.5"
    assert format_metric("hardship_enrolments", 3.0, True) == "+3.0"
    assert format_metric("hardship_enrolments", -0.04, True) == "0.0"
    assert unit_text("hardship_enrolments") == COUNT_UNIT
    assert amounts_note(["hardship_enrolments"]) == ""  # not currency units either
    assert is_rate("promise_kept_rate") and format_metric("promise_kept_rate", 0.5) == "50.000%"
