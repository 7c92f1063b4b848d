"""Tests of sim.abs.metrics against independent computations and closed forms."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import brentq

from sim.abs import (
    IDEALISED_EL_5Y,
    implied_rating,
    irr_annual,
    note_metrics,
    run_waterfall,
    tranche_summary,
    trigger_metrics,
    wal_years,
    waterfall_arrays,
)


def wal_loop(principal):
    """WAL by hand: sum of payment × time in years over total payments."""
    num = den = 0.0
    for month, paid in enumerate(principal, start=1):
        num += paid * month / 12.0
        den += paid
    return num / den


def irr_brentq(cashflows):
    """Monthly IRR by root bracketing on one row, compounded to an annual rate."""

    def npv(r):
        return sum(cf / (1.0 + r) ** t for t, cf in enumerate(cashflows))

    monthly = brentq(npv, -0.99, 10.0, xtol=1e-15, rtol=1e-15, maxiter=500)
    return (1.0 + monthly) ** 12 - 1.0


CENTS = st.integers(0, 10**8).map(lambda c: c / 100)  # principal payments are whole cents


@given(hnp.arrays(float, st.integers(1, 60), elements=CENTS))
def test_wal_matches_a_plain_loop(principal):
    got = wal_years(principal)
    if principal.sum() == 0:
        assert np.isnan(got)
    else:
        assert got == pytest.approx(wal_loop(principal), rel=1e-12)


def test_wal_of_a_bullet_is_its_maturity_and_of_a_level_schedule_its_midpoint():
    assert wal_years(np.r_[np.zeros(59), 100.0]) == pytest.approx(5.0)
    assert wal_years(np.full(12, 10.0)) == pytest.approx(6.5 / 12)


@pytest.mark.parametrize("coupon", [0.0, 0.01, 0.05, 0.12, 0.3])
@pytest.mark.parametrize("months", [1, 12, 60])
def test_irr_of_a_bullet_bought_at_par_is_the_coupon_compounded_monthly(coupon, months):
    cf = np.full(months + 1, 100.0 * coupon / 12)
    cf[0] = -100.0
    cf[-1] += 100.0
    assert irr_annual(cf) == pytest.approx((1 + coupon / 12) ** 12 - 1, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.floats(0.05, 2.0), st.integers(0, 2**32 - 1))
def test_irr_matches_root_bracketing_on_each_path(months, recovered, seed):
    rng = np.random.default_rng(seed)
    rows = np.zeros((4, months + 1))
    rows[:, 0] = -100.0
    receipts = rng.random((4, months)) * (rng.random((4, months)) < 0.7)
    receipts[:, -1] += 1e-3
    rows[:, 1:] = receipts / receipts.sum(axis=1, keepdims=True) * 100.0 * recovered
    got = irr_annual(rows)
    for row, value in zip(rows, got, strict=True):
        assert value == pytest.approx(irr_brentq(row), rel=1e-8, abs=1e-10)


def test_irr_of_a_total_loss_is_minus_one_and_of_a_non_investment_nan():
    out = irr_annual(np.array([[-100.0, 0.0, 0.0], [0.0, 1.0, 1.0]]))
    assert out[0] == -1.0 and np.isnan(out[1])


# ----------------------------------------------------------------------------------------------
# From waterfall output


BULLET = {"notes": [{"name": "A", "balance": 1000, "coupon": 0.06}]}


def bullet_collections(months=24):
    # The pool pays exactly the note's interest each month and its principal at the end.
    principal = np.zeros(months)
    principal[-1] = 1000.0
    return pd.DataFrame(
        {
            "period": np.arange(1, months + 1),
            "pool_balance_begin": 1000.0,
            "interest": 5.0,
            "principal": principal,
            "recoveries": 0.0,
            "defaults": 0.0,
        }
    )


def test_a_bullet_note_paid_in_full_earns_its_coupon():
    m = note_metrics(run_waterfall(BULLET, bullet_collections()))
    row = m.iloc[0]
    assert row["loss_pct"] == 0.0 and not row["any_loss"]
    assert row["wal_years"] == pytest.approx(2.0)
    assert row["irr_annual"] == pytest.approx(1.005**12 - 1, abs=1e-12)


def two_path_run():
    deal = {
        "notes": [
            {"name": "A", "balance": 80, "coupon": 0.03},
            {"name": "B", "balance": 20, "coupon": 0.08},
        ],
        "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.05}],
    }
    # path 0 repays everything; path 1 loses 30 of 100 to defaults in period 2
    coll = {
        "pool_balance_begin": [[100, 50, 0], [100, 50, 0]],
        "interest": [[1, 1, 0], [1, 1, 0]],
        "principal": [[50, 50, 0], [50, 20, 0]],
        "recoveries": [[0, 0, 0], [0, 0, 0]],
        "defaults": [[0, 0, 0], [0, 30, 0]],
    }
    return deal, coll


def test_note_metrics_are_the_same_from_arrays_and_from_the_table():
    deal, coll = two_path_run()
    res = waterfall_arrays(deal, coll)
    frame = run_waterfall(
        deal,
        pd.DataFrame(
            {
                "path": np.repeat([0, 1], 3),
                "period": np.tile([1, 2, 3], 2),
                **{k: np.ravel(v) for k, v in coll.items()},
            }
        ),
    )
    pd.testing.assert_frame_equal(note_metrics(res), note_metrics(frame), check_dtype=False)
    pd.testing.assert_frame_equal(trigger_metrics(res), trigger_metrics(frame), check_dtype=False)


def test_losses_fall_on_the_junior_note_and_trigger_timing_is_reported():
    deal, coll = two_path_run()
    res = waterfall_arrays(deal, coll)
    m = note_metrics(res).set_index(["path", "note"])
    # Interest a month: A 80 × 3 % / 12 = 0.2 at first, B 20 × 8 % / 12 = 0.1333.
    # Both paths, P1: target 100 − 50 = 50 → A 80 → 30.
    # Path 0, P2: target 50, available 51 − 0.075 − 0.1333 → A 30, B 20: no loss.
    # Path 1, P2: defaults 30 (30 % > 5 %: trigger fires); available 21 − 0.075 − 0.1333
    #   = 20.7917 → A (30 → 9.2083). P3: nothing collected; A loses 9.2083, B all 20.
    assert m.loc[(0, "A"), "loss_pct"] == 0.0 and m.loc[(0, "B"), "loss_pct"] == 0.0
    assert m.loc[(1, "B"), "writedown"] == pytest.approx(20.0)
    assert m.loc[(1, "B"), "loss_pct"] == pytest.approx(1.0)
    a_loss = 30 - (21 - 30 * 0.03 / 12 - 20 * 0.08 / 12)
    assert m.loc[(1, "A"), "writedown"] == pytest.approx(a_loss)
    assert m.loc[(1, "A"), "loss_pct"] == pytest.approx(a_loss / 80)
    assert m["any_loss"].tolist() == [False, False, True, True]
    t = trigger_metrics(res)
    assert t["fired"].tolist() == [False, True]
    assert t["first_period"].isna().tolist() == [True, False]
    assert t["first_period"].iloc[1] == 2


def test_tranche_summary_matches_numpy_on_a_known_loss_sample():
    losses = np.r_[np.zeros(90), np.linspace(0.01, 0.5, 10)]
    metrics = pd.DataFrame(
        {
            "path": np.arange(100),
            "note": "B",
            "loss_pct": losses,
            "any_loss": losses * 20 > 0.01,
            "wal_years": 1.5,
            "irr_annual": 0.05,
        }
    )
    s = tranche_summary(metrics).iloc[0]
    assert s["expected_loss"] == pytest.approx(losses.mean())
    assert s["prob_loss"] == pytest.approx(0.10)
    assert s["loss_p95"] == pytest.approx(np.quantile(losses, 0.95))
    assert s["loss_p99"] == pytest.approx(np.quantile(losses, 0.99))
    assert s["implied_rating"] == implied_rating(losses.mean())
    assert s["paths"] == 100


def test_any_loss_means_more_than_a_cent():
    deal = {"notes": [{"name": "A", "balance": 100, "coupon": 0.0}]}
    coll = pd.DataFrame(
        {
            "period": [1],
            "pool_balance_begin": [100.0],
            "interest": 0.0,
            "principal": [99.995],
            "recoveries": 0.0,
            "defaults": 0.0,
        }
    )
    m = note_metrics(run_waterfall(deal, coll))
    assert m["writedown"].iloc[0] == pytest.approx(0.005)
    assert not m["any_loss"].iloc[0]


def test_implied_rating_uses_the_idealised_table_boundaries():
    assert implied_rating(0.0) == "Aaa"
    assert implied_rating(IDEALISED_EL_5Y["Aaa"]) == "Aaa"
    assert implied_rating(IDEALISED_EL_5Y["Aaa"] * 1.01) == "Aa1"
    assert implied_rating(0.005) == "Baa1"
    assert implied_rating(0.2) == "below Caa1"
    values = list(IDEALISED_EL_5Y.values())
    assert values == sorted(values)
    assert [implied_rating(v) for v in values] == list(IDEALISED_EL_5Y)
