"""Tests of sim.abs.metrics against independent computations and closed forms."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import brentq

from sim.abs import (
    IDEALISED_EL,
    IDEALISED_EL_5Y,
    implied_rating,
    irr_annual,
    irr_solve,
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


def test_irr_of_a_total_loss_is_minus_one_and_of_receipts_only_nan():
    out = irr_annual(np.array([[-100.0, 0.0, 0.0], [0.0, 1.0, 1.0]]))
    assert out[0] == -1.0 and np.isnan(out[1])
    assert irr_solve(np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]])).status.tolist() == [
        "no_root", "no_cash_flow"]


def test_irr_of_a_loan_seen_by_the_borrower_is_the_lender_rate():
    # 100 lent for two months at 10 % a month: interest 10, then 110; either way round
    lender, borrower = irr_annual(np.array([[-100.0, 10.0, 110.0], [100.0, -10.0, -110.0]]))
    assert lender == pytest.approx(1.1**12 - 1, rel=1e-12)
    assert borrower == pytest.approx(lender, rel=1e-12)


def test_two_sign_changes_with_two_rates_are_reported_and_refused():
    # -100 + 230 v - 132 v**2 = 0 at 1 + r = 1.1 and 1.2 (monthly): two rates
    sol = irr_solve(np.array([-100.0, 230.0, -132.0]))
    assert sol.status.tolist() == ["multiple_roots"] and np.isnan(sol.rate[0])
    assert sol.roots[0] == pytest.approx((1.1**12 - 1, 1.2**12 - 1), rel=1e-9)
    with pytest.raises(ValueError, match="row 0 has no single IRR: multiple_roots"):
        irr_annual(np.array([[-100.0, 230.0, -132.0]]), strict=True)


def test_three_sign_changes_with_one_rate_give_that_rate():
    # a residual holder pays 100, receives 50, tops up 10, receives 80: the NPV cubic has one
    # real root (the other two are complex), found here by brentq on a hand-made bracket
    cf = np.array([-100.0, 50.0, -10.0, 80.0])
    got = irr_solve(cf)
    monthly = brentq(lambda r: sum(c / (1 + r) ** t for t, c in enumerate(cf)), 0.0, 1.0,
                     xtol=1e-15)
    assert got.status[0] == "ok"
    assert got.rate[0] == pytest.approx((1 + monthly) ** 12 - 1, rel=1e-9)


def test_a_second_rate_near_minus_100_percent_is_still_reported():
    # -100 + 130 v - 10 v**2 has roots v = 0.821 (+21.8 % a month) and v = 12.18 (-91.8 %)
    sol = irr_solve(np.array([-100.0, 130.0, -10.0]))
    assert sol.status[0] == "multiple_roots" and len(sol.roots[0]) == 2


def reference_rates(row):
    """Annual rates from every real positive root v of sum_t cf[t] v**t (numpy companion
    matrix eigenvalues), kept inside the range irr_solve searches."""
    roots = np.polynomial.Polynomial(row).roots()
    real = roots[np.abs(roots.imag) < 1e-9].real
    v = np.sort(real[(real > 1.0 / 1001.0 * 1.01) & (real < 1e4 / 1.01)])
    return v, roots


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(float, st.integers(3, 14),
                  elements=st.integers(-200, 200).map(float)))
def test_irr_agrees_with_a_polynomial_root_finder_on_rows_of_any_sign(row):
    from hypothesis import assume

    assume(np.count_nonzero(row) >= 2 and row[-1] != 0)
    v, roots = reference_rates(row)
    # leave out rows the reference itself cannot settle: near-double or near-real roots
    assume(np.all(np.abs(roots.imag[np.abs(roots.imag) >= 1e-9]) > 1e-3))
    assume(v.size < 2 or np.min(np.diff(np.log(v))) > 0.02)
    sol = irr_solve(row)
    rates = np.sort(v**-12.0 - 1.0)
    if v.size == 0:
        assert sol.status[0] in ("no_root", "total_loss", "no_cash_flow")
    elif v.size == 1:
        assert sol.status[0] == "ok"
        assert sol.rate[0] == pytest.approx(rates[0], rel=1e-6, abs=1e-9)
    else:
        assert sol.status[0] == "multiple_roots" and np.isnan(sol.rate[0])
        assert np.array(sol.roots[0]) == pytest.approx(rates, rel=1e-6, abs=1e-9)


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
    #   = 20.7917, paid in cents as 21 − 0.07 − 0.13 = 20.80 → A (30 → 9.20). P3: nothing
    #   collected; A loses 9.20, B all 20.
    assert m.loc[(0, "A"), "loss_pct"] == 0.0 and m.loc[(0, "B"), "loss_pct"] == 0.0
    assert m.loc[(1, "B"), "writedown"] == pytest.approx(20.0)
    assert m.loc[(1, "B"), "loss_pct"] == pytest.approx(1.0)
    a_loss = 30 - (21 - 0.07 - 0.13)  # interest rounded down to the cent
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
    assert s["implied_rating"] == implied_rating(losses.mean(), 1.5)
    assert s["paths"] == 100
    # Wilson interval of 10 / 100 (hand: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n))
    z = 1.959963984540054
    centre = (0.1 + z**2 / 200) / (1 + z**2 / 100)
    half = z * np.sqrt(0.1 * 0.9 / 100 + z**2 / 40000) / (1 + z**2 / 100)
    assert s["prob_loss_low"] == pytest.approx(centre - half, rel=1e-9)
    assert s["prob_loss_high"] == pytest.approx(centre + half, rel=1e-9)
    assert s["el_low"] < losses.mean() < s["el_high"]


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
    # the collections 99.995 are paid as 99.99 (rounded down to the cent, the half cent
    # released to the residual holder, docs/WATERFALL.md §5.11): one cent written down
    assert m["writedown"].iloc[0] == 0.01
    assert not m["any_loss"].iloc[0]
    assert m["loss_pct"].iloc[0] == 0.0  # no loss that P(loss) does not count either
    coll["principal"] = [99.98]  # two cents short: a loss, as a share of the note
    m = note_metrics(run_waterfall(deal, coll))
    assert m["any_loss"].iloc[0] and m["loss_pct"].iloc[0] == pytest.approx(0.0002)


def test_implied_rating_uses_the_idealised_table_boundaries():
    assert implied_rating(0.0) == "Aaa"
    assert implied_rating(IDEALISED_EL_5Y["Aaa"]) == "Aaa"
    assert implied_rating(IDEALISED_EL_5Y["Aaa"] * 1.01) == "Aa1"
    assert implied_rating(0.005) == "Baa1"
    assert implied_rating(0.2) == "below B3"
    values = list(IDEALISED_EL_5Y.values())
    assert values == sorted(values)
    assert [implied_rating(v) for v in values] == list(IDEALISED_EL_5Y)


def test_the_idealised_table_rises_with_horizon_and_falls_with_rating():
    table = np.array(list(IDEALISED_EL.values()))
    assert np.all(np.diff(table, axis=1) > 0) and np.all(np.diff(table, axis=0) > 0)
    # published anchors: Aaa 0.0016 % and Baa3 1.6775 % at 5 years, A2 0.528 % at 10
    assert IDEALISED_EL["Aaa"][4] == pytest.approx(0.000016)
    assert IDEALISED_EL["Baa3"][4] == pytest.approx(0.016775)
    assert IDEALISED_EL["A2"][9] == pytest.approx(0.00528)


def test_rating_reads_the_table_at_the_wal_interpolating_between_years():
    from sim.abs.ratings import idealised_el

    # Baa1 at 2.5 years: halfway between 0.154 % (2 y) and 0.297 % (3 y) = 0.2255 %
    assert idealised_el("Baa1", 2.5) == pytest.approx(0.002255)
    assert idealised_el("Baa1", 0.4) == pytest.approx(0.000495)  # below 1 y: the 1-year rate
    assert idealised_el("Baa1", 12.0) == pytest.approx(0.01342)  # above 10 y: the 10-year rate
    # 0.21 % is Baa1 for a 2.5-year note (A3 allows 0.122 % there) but A3 for a 5-year one
    # (A2 allows 0.2027 %, A3 0.3396 %)
    assert implied_rating(0.0021, 2.5) == "Baa1"
    assert implied_rating(0.0021, 5.0) == "A3"
    with pytest.raises(ValueError, match="unknown rating 'AAA'"):
        idealised_el("AAA", 1.0)


def test_a_small_run_without_losses_cannot_claim_aaa():
    from sim.abs.ratings import rating_assessment

    r = rating_assessment(np.zeros(50), np.zeros(50, bool), wal_years=2.0)
    z2 = 1.959963984540054**2
    # no path lost: P(loss) < z²/(N + z²) = 7.1 % at 95 %, and a loss could be the whole note
    assert r.prob_high == pytest.approx(z2 / (50 + z2))
    assert r.resolution == pytest.approx(z2 / (50 + z2))
    assert r.rating == "Aaa" and not r.resolved
    # Aaa at 2 years is 0.00011 %: K = ceil(z² (1 / 1.1e-6 - 1)) paths
    assert r.paths_needed == int(np.ceil(z2 * (1 / 1.1e-6 - 1)))
    assert r.label.startswith(f"n/a: needs >= {r.paths_needed:,} paths (Aaa to ")
    assert r.worst == implied_rating(r.el_high, 2.0)


def test_a_run_large_enough_gives_the_rating_and_its_range():
    from sim.abs.ratings import rating_assessment

    loss = np.r_[np.zeros(900), np.full(100, 0.3)]  # EL 3 %: B1 band at 2 years
    r = rating_assessment(loss, loss > 0, wal_years=2.0)
    assert r.resolved and r.paths_needed == 0
    assert r.rating == implied_rating(0.03, 2.0) == "Ba3"
    assert r.label == f"Ba3 ({r.best} to {r.worst})" or r.label == "Ba3"
    assert r.el_low < 0.03 < r.el_high


def test_residual_holder_return_counts_the_residual():
    # one note of 100 at 0 %, repaid in period 1 from 110 of collections: residual 10
    deal = {"notes": [{"name": "Z", "balance": 100, "coupon": 0.0}]}
    coll = pd.DataFrame({"period": [1], "pool_balance_begin": [100.0], "interest": [10.0],
                         "principal": [100.0], "recoveries": 0.0, "defaults": 0.0})
    m = note_metrics(run_waterfall(deal, coll)).iloc[0]
    assert m["irr_annual"] == pytest.approx(0.0, abs=1e-12)
    assert m["residual_paid"] == pytest.approx(10.0)
    assert m["holder_irr_annual"] == pytest.approx(1.1**12 - 1, rel=1e-9)


def test_only_the_most_junior_row_carries_the_holder_return():
    deal, coll = two_path_run()
    m = note_metrics(waterfall_arrays(deal, coll))
    assert m.loc[m.note == "A", "holder_irr_annual"].isna().all()
    assert m.loc[m.note == "B", "residual_paid"].notna().all()


def test_the_residual_holder_funds_the_reserve_at_closing():
    """One note of 100 at 0 %, a reserve of 10 funded at closing, 110 of collections in
    period 1: the note is repaid, the reserve (no longer needed) is released, and the
    residual is 10 of interest plus the reserve's 10. The holder paid 100 for the note and
    10 for the reserve: its month returns 120 / 110, not 120 / 100."""
    deal = {"notes": [{"name": "Z", "balance": 100, "coupon": 0.0}],
            "reserve": {"initial_pct": 0.1, "target_pct": 0.1}}
    coll = pd.DataFrame({"period": [1], "pool_balance_begin": [100.0], "interest": [10.0],
                         "principal": [100.0], "recoveries": 0.0, "defaults": 0.0})
    for result in (waterfall_arrays(deal, coll), run_waterfall(deal, coll)):
        m = note_metrics(result).iloc[0]
        assert m["reserve_funded"] == pytest.approx(10.0)
        assert m["residual_paid"] == pytest.approx(20.0)
        assert m["holder_irr_annual"] == pytest.approx((120 / 110) ** 12 - 1, rel=1e-9)
    stored_before = run_waterfall(deal, coll).drop(columns=["reserve_draw", "closing_oc"])
    m = note_metrics(stored_before).iloc[0]  # a run stored before the column: no outlay known
    assert np.isnan(m["reserve_funded"]) and np.isnan(m["holder_irr_annual"])
    assert m["residual_paid"] == pytest.approx(20.0)


def test_the_residual_holder_keeps_the_overcollateralisation():
    """A 80 and B 10 at 0 % on a pool of 100: the originator sold 100 of receivables for 90
    of notes, so it keeps 10 of OC. The pool pays 50 then 50 of principal and 1 of interest
    each period: the notes are paid down to the pool less the OC kept (A 30 then 0, B 10
    then 0) and the residual gets 1, then 1 and the OC's 10. The holder (B) paid 10 for B and
    10 of OC: 20 out, 0 + 1 in period 1, 10 + 11 in period 2."""
    deal = {"notes": [{"name": "A", "balance": 80, "coupon": 0.0},
                      {"name": "B", "balance": 10, "coupon": 0.0}]}
    coll = pd.DataFrame({"period": [1, 2], "pool_balance_begin": [100.0, 50.0],
                         "interest": [1.0, 1.0], "principal": [50.0, 50.0],
                         "recoveries": 0.0, "defaults": 0.0, })
    for result in (waterfall_arrays({**deal, "legal_final_period": 2}, coll),
                   run_waterfall({**deal, "legal_final_period": 2}, coll)):
        m = note_metrics(result).set_index("note").loc["B"]
        assert m["oc_funded"] == pytest.approx(10.0) and m["reserve_funded"] == 0.0
        assert m["residual_paid"] == pytest.approx(12.0)
        v = 1 / (1 + m["holder_irr_annual"]) ** (1 / 12)
        assert -20 + 1 * v + 21 * v**2 == pytest.approx(0.0, abs=1e-9)


def test_losses_the_horizon_makes_are_told_apart_from_the_deals_own():
    """One note of 100 at 0 %: the pool pays 10 of principal and 1 of interest a period for 3
    periods. With no legal final period of its own the deal ends at its collections' last
    period: the 11 collected there pay the note, and the 69 it still owes is written off, a
    loss of the horizon while 70 of receivables are left. A deal that sets its legal final
    there chose it; one whose notes are repaid before the end has none."""
    from sim.abs.metrics import horizon_writedowns

    coll = pd.DataFrame({"period": [1, 2, 3], "pool_balance_begin": [100.0, 90.0, 80.0],
                         "interest": 1.0, "principal": 10.0, "recoveries": 0.0,
                         "defaults": 0.0})
    note = [{"name": "A", "balance": 100, "coupon": 0.0}]
    notes = run_waterfall({"notes": note}, coll)
    pool = pd.DataFrame({"path": 0, "period": [3], "sold": [70.0]})
    found = horizon_writedowns(notes, pool, {"notes": note})
    assert found == {"paths": 1, "of": 1, "period": 3, "written_down": pytest.approx(69.0),
                     "pool_left": 70.0, "notes": {"A": pytest.approx(0.69)}}
    assert horizon_writedowns(notes, pool, {"notes": note, "legal_final_period": 3}) is None
    quick = coll.assign(pool_balance_begin=[100.0, 50.0, 0.0], principal=[50.0, 50.0, 0.0])
    paid = run_waterfall({"notes": note}, quick)
    assert horizon_writedowns(paid, None, {}) is None  # repaid by period 2: nothing lost


def test_what_the_holder_adds_to_a_call_at_par_is_its_outlay():
    """A 150 and B 50 at 0 %, call at 10 % of a pool of 200 at par. Period 1 repays A and
    loses 20; period 2 collects 5, loses 5 and is called with 20 of pool left, while B is
    owed 50: the holder pays 50 for the pool, 30 above its balance, which comes back to it
    as the 5 collected in the residual. Its flows: -50 (B) at t = 0, then 0, then B's 50 and
    the residual's 5 less the 30 it added."""
    deal = {"notes": [{"name": "A", "balance": 150.0, "coupon": 0.0},
                      {"name": "B", "balance": 50.0, "coupon": 0.0}],
            "clean_up_call": {"call_pct": 0.1, "price": "notes_at_par"},
            "overcollateralisation": {"target_pct": 0.0}, "legal_final_period": 4}
    coll = pd.DataFrame({"period": [1, 2, 3], "pool_balance_begin": [200.0, 30.0, 20.0],
                         "interest": 0.0, "principal": [150.0, 5.0, 5.0],
                         "recoveries": 0.0, "defaults": [20.0, 5.0, 0.0]})
    for result in (waterfall_arrays(deal, coll), run_waterfall(deal, coll)):
        m = note_metrics(result).set_index("note").loc["B"]
        assert m["call_topped_up"] == pytest.approx(30.0)
        assert m["residual_paid"] == pytest.approx(5.0)
        assert m["irr_annual"] == pytest.approx(0.0, abs=1e-12)  # B repaid at par
        v = 1 / (1 + m["holder_irr_annual"]) ** (1 / 12)
        assert -50 + 0 * v + (50 + 5 - 30) * v**2 == pytest.approx(0.0, abs=1e-9)


def test_a_note_losing_on_a_few_paths_is_not_consistent_with_aaa():
    """12 paths, 2 losing 0.8 % and 2.03 % (a treasury trial's junior note), WAL 1.4 years:
    the t interval of the mean reaches below 0, and cut there allowed Aaa. The lower end is
    at least the Wilson lower bound of P(loss) (2 of 12: 0.0470) times the smallest loss
    (0.8 %), 0.0376 %: A3, so the run allows A3 to Ba1 around its Baa3."""
    from scipy import stats

    from sim.abs.ratings import rating_assessment

    loss = np.r_[np.zeros(10), 0.008, 0.0203]
    r = rating_assessment(loss, loss > 0, wal_years=1.4)
    low = stats.binomtest(2, 12).proportion_ci(method="wilson").low
    assert r.el_low == pytest.approx(low * 0.008) and low == pytest.approx(0.0470, abs=1e-4)
    assert (r.rating, r.best, r.worst) == ("Baa3", "A3", "Ba1")
    assert r.label == "Baa3 (A3 to Ba1)"
    none = rating_assessment(np.zeros(12), np.zeros(12, bool), wal_years=1.4)
    assert none.el_low == 0.0 and none.best == "Aaa"  # no loss seen: nothing rules Aaa out


def test_interest_unpaid_at_a_legal_final_before_the_horizon_counts():
    # 100 at 12 % (1.00 a month), legal final in period 2 of 3: period 2 collects 0.40 of
    # interest and nothing else, so 0.60 of interest is unpaid and 100 written down when the
    # deal ends; period 3, after it, records nothing (docs/WATERFALL.md §5.7).
    deal = {"notes": [{"name": "A", "balance": 100, "coupon": 0.12}], "legal_final_period": 2}
    coll = {"pool_balance_begin": [[100, 100, 100]], "interest": [[1, 0.4, 0]],
            "principal": [[0, 0, 50]], "recoveries": [[0, 0, 0]], "defaults": [[0, 0, 0]]}
    row = note_metrics(waterfall_arrays(deal, coll)).iloc[0]
    assert row["interest_unpaid"] == pytest.approx(0.6) and row["any_loss"]
    # received 1.00 in month 1 and 0.40 in month 2, discounted at 1 % a month
    assert row["pv_loss_pct"] == pytest.approx(1 - (1 / 1.01 + 0.4 / 1.01**2) / 100, rel=1e-12)
    assert row["loss_pct"] == pytest.approx(1.0)


def test_unpaid_interest_alone_is_a_loss_for_p_loss():
    # no writedown, but 0.60 of interest left unpaid: a loss (PV: 0.60 two months on)
    frame = pd.DataFrame({
        "path": 0, "period": [1, 2], "note": "A", "balance_begin": [100.0, 100.0],
        "coupon": 0.12, "interest_paid": [1.0, 0.4], "principal_paid": [0.0, 100.0],
        "writedown": 0.0, "interest_shortfall": [0.0, 0.6], "balance_end": [100.0, 0.0],
        "active": True})
    row = note_metrics(frame).iloc[0]
    assert row["loss_pct"] == 0.0 and row["any_loss"]
    assert row["pv_loss_pct"] == pytest.approx(0.6 / 1.01**2 / 100, rel=1e-9)
