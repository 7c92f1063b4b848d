"""Market definitions of the waterfall, each as a hand-worked example (docs/WATERFALL.md).

Excess spread net of losses and its three-month average; legal final maturity; the clean-up
call on the period's end balance; reserve requirements with floors, caps and step-downs;
principal used for interest only by eligible classes; interest on unpaid interest; the horizon
that is not a loss. The arithmetic is in the comments; amounts are currency units.
"""

import warnings

import numpy as np
import pytest

from sim.abs import HorizonWarning, note_metrics, waterfall_arrays

# Deals whose legal final period is after the periods given: the horizon warning is expected
# (and checked where it is the point of the test).
pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")


def approx(values, abs=1e-9):  # noqa: A002 - pytest's own keyword
    """Compare (nested) lists of floats to within `abs`."""
    return pytest.approx(np.ravel(values).tolist(), abs=abs)


def arrays(pool, interest, principal, recoveries=None, defaults=None, **extra):
    """Single-path collections as arrays (zeros where not given)."""
    zeros = [0.0] * len(pool)
    return {"pool_balance_begin": pool, "interest": interest, "principal": principal,
            "recoveries": recoveries or zeros, "defaults": defaults or zeros, **extra}


# -- 1. excess spread net of losses --------------------------------------------------------------


def test_published_card_trust_example_of_excess_spread():
    # Yield 9.74 %, coupon 1.45 %, servicing 0.91 %, net losses 4.65 % (all annual) on a pool
    # and a note of 1,000 million: excess spread 9.74 − 1.45 − 0.91 − 4.65 = 2.73 % (the fee
    # and the coupon paid in whole cents move it by less than 1e-10 on a pool that size).
    deal = {"notes": [{"name": "A", "balance": 1e9, "coupon": 0.0145}],
            "senior_fee_rate": 0.0091, "legal_final_period": 2}
    res = waterfall_arrays(deal, arrays([1e9], [97.4e9 / 12e3], [0], [0], [46.5e9 / 12e3]))
    assert res.deal["excess_spread"][0, 0] == pytest.approx(0.0273, abs=1e-10)
    assert res.deal["excess_spread_gross"][0, 0] == pytest.approx(0.0738, abs=1e-10)


ES_DEAL = {
    "notes": [{"name": "A", "balance": 1000, "coupon": 0.02}],
    "senior_fee_rate": 0.01,
    "revolving_months": 6,
    "triggers": [{"type": "excess_spread", "threshold": 0.0, "months": 3, "name": "es3m"}],
}
# Pool 1,000 every period, yield 12 % a year (10 a month), principal 100 a month, annualised
# net losses 3, 3, 3, 14, 14, 14 %: defaults 2.5, 2.5, 2.5, 11.6667, 11.6667, 11.6667.
ES_COLL = arrays([1000] * 6, [10] * 6, [100] * 6, [0] * 6, [2.5] * 3 + [140 / 12] * 3)


def test_excess_spread_is_net_of_losses_and_its_three_month_average_ends_revolving():
    res = waterfall_arrays(ES_DEAL, ES_COLL)
    d = res.deal
    # Fee 1 % / 12 × 1000 = 0.8333, paid as 0.83; note interest 2 % / 12 × 1000 = 1.6667, paid
    # as 1.66 while the note is whole (rounded down to the cent, docs/WATERFALL.md §5.11).
    # Net: (10 − 0.83 − 1.66 − 2.5) × 12 / 1000 = 6.012 %; with losses of 11.6667: −4.988 %.
    # Period 5 pays the note 107.51 (below), so period 6's interest is ⌊892.49 × 2 % / 12⌋ =
    # 1.48 and its net excess spread (10 − 0.83 − 1.48 − 11.6667) × 12 / 1000 = −4.772 %.
    assert d["excess_spread"][0].tolist() == approx(
        [0.06012, 0.06012, 0.06012, -0.04988, -0.04988, -0.04772])
    # before losses: 9.012 % while the note is whole, (10 − 0.83 − 1.48) × 12 / 1000 = 9.228 %
    # in period 6
    assert d["excess_spread_gross"][0].tolist() == approx([0.09012] * 5 + [0.09228])
    # three-month averages: 6.012 three times, then (6.012 + 6.012 − 4.988) / 3, ...
    averages = [0.06012, 0.06012, 0.06012, 0.07036 / 3, -0.03964 / 3, -0.14748 / 3]
    assert res.trigger_values[0, :, 0].tolist() == approx(averages)
    assert res.triggers[0, :, 0].tolist() == [False] * 4 + [True] * 2  # breach in period 5
    assert d["revolving"][0].tolist() == [True] * 4 + [False] * 2
    assert d["accelerated"][0].tolist() == [False] * 4 + [True] * 2
    # Revolving periods reinvest the principal amount 1000 − (1000 − 100 − 2.5) = 102.5; in
    # period 4 the amount ⌊1000 − (1000 − 100 − 11.6667)⌋ = 111.66 is capped by the cash,
    # 110 − 0.83 − 1.66 = 107.51. Period 5 amortises: the same 107.51 pays the note.
    assert d["reinvested"][0].tolist() == [102.5] * 3 + [107.51, 0, 0]
    assert res.notes["principal_paid"][0, 4, 0] == 107.51


def test_a_gross_excess_spread_trigger_would_have_stayed_quiet():
    # The same deal and losses: the gross figure never falls below 9 %, so only the market
    # (net) definition sees the losses.
    res = waterfall_arrays(ES_DEAL, ES_COLL)
    assert (res.deal["excess_spread_gross"] > 0.09 - 1e-12).all()
    assert res.triggers.any()


# -- 2. legal final maturity and the horizon -----------------------------------------------------


LF_DEAL = {
    "notes": [{"name": "A", "balance": 90, "coupon": 0.05},
              {"name": "B", "balance": 10, "coupon": 0.09}],
    "reserve": {"initial_pct": 0.03, "target_pct": 0.03},
}
LF_COLL = arrays([100, 60, 30], [1.5, 1.0, 0.6], [40, 30, 15])


def test_legal_final_period_makes_the_whole_balance_due_and_releases_the_reserve():
    res = waterfall_arrays(LF_DEAL, LF_COLL)  # period 3, the last given, is the legal final
    n, d = res.notes, res.deal
    # Interest is rounded down to the cent (docs/WATERFALL.md §5.11).
    # P1: available 1.5 + 40 + 3 = 44.5; interest 90 × 5 % / 12 = 0.375 → 0.37 and
    #     10 × 9 % / 12 = 0.075 → 0.07; principal 100 − 60 = 40 → A 50; reserve 3 % × 100 = 3;
    #     residual 44.5 − 0.44 − 40 − 3 = 1.06.
    # P2: available 34; interest 0.2083 → 0.20 and 0.07; principal 60 − 30 = 30 → A 20;
    #     reserve 3; residual 0.73.
    # P3: available 0.6 + 15 + 3 = 18.6; interest 0.0833 → 0.08 and 0.07; the whole balance 30
    #     is due; the notes receive 18.45: A is left with 1.55 and B with 10.00, written off.
    assert n["principal_paid"][0].sum(axis=1).tolist() == [40, 30, 18.45]
    assert n["writedown"][0, 2].tolist() == [1.55, 10.0]
    assert d["reserve_balance"][0].tolist() == approx([3, 3, 0])
    assert d["reserve_requirement"][0].tolist() == approx([3, 3, 0])
    assert d["residual"][0].tolist() == [1.06, 0.73, 0.0]
    assert d["legal_final"][0].tolist() == [False, False, True]
    assert (res.outstanding == 0).all()


def test_an_earlier_legal_final_period_ends_the_deal_there():
    res = waterfall_arrays({**LF_DEAL, "legal_final_period": 2}, LF_COLL)
    # P2 is the legal final: available 34; interest 0.20 + 0.07 (rounded down to the cent); the
    # whole 60 is due, 33.73 paid (A 50 → 16.27 left; B 10): the reserve is released, nothing
    # to the residual.
    assert res.notes["writedown"][0, 1].tolist() == [16.27, 10.0]
    assert res.deal["residual"][0, 1] == pytest.approx(0.0)
    assert res.deal["active"][0].tolist() == [True, True, False]
    assert res.deal["available"][0, 2] == 0.0  # period 3's collections are not the deal's


def test_a_horizon_before_the_legal_final_period_reports_outstanding_notes_not_losses():
    deal = {**LF_DEAL, "legal_final_period": 12}
    with pytest.warns(HorizonWarning, match=r"1 of 1 path\(s\) have notes outstanding"):
        res = waterfall_arrays(deal, LF_COLL)
    # P3 is an ordinary period: principal 30 − 15 = 15 → A 5; reserve refilled; no writedown.
    assert res.notes["writedown"].sum() == 0.0
    assert res.outstanding[0].tolist() == approx([5.0, 10.0])
    assert res.deal["pool_balance_end"][0, -1] == pytest.approx(15.0)  # the pool behind them
    assert res.deal["reserve_balance"][0, -1] == pytest.approx(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HorizonWarning)
        assert (note_metrics(res)["loss_pct"] == 0).all()


# -- 3. clean-up call ----------------------------------------------------------------------------


def test_clean_up_call_on_the_end_balance_at_or_below_the_threshold():
    # One note of 200 at 0 %, call at 10 % of the initial pool of 200 = 20. Pool end balances
    # 30, 20, 14, 8: the call is exercisable in period 2 (20 <= 20), at a price of 20.
    deal = {"notes": [{"name": "A", "balance": 200, "coupon": 0.0}],
            "clean_up_call": {"call_pct": 0.10}, "legal_final_period": 10}
    res = waterfall_arrays(deal, arrays([200, 30, 20, 14], [0] * 4, [170, 10, 6, 6]))
    d = res.deal
    assert d["call_exercised"][0].tolist() == [False, True, False, False]
    assert d["sale_proceeds"][0].tolist() == approx([0, 20, 0, 0])
    # P1: principal 200 − 30 = 170. P2: collections 10 + sale 20 repay the last 30.
    assert res.notes["principal_paid"][0, :, 0].tolist() == approx([170, 30, 0, 0])
    assert res.notes["writedown"].sum() == 0.0
    assert d["active"][0].tolist() == [True, True, False, False]


def test_no_call_while_revolving():
    deal = {"notes": [{"name": "A", "balance": 200, "coupon": 0.0}],
            "clean_up_call": {"call_pct": 0.10}, "revolving_months": 2,
            "legal_final_period": 10}
    # The end balance before purchases is 0 in the revolving periods; the call waits for
    # the first amortising period whose end balance is at or below 20: 50, then 15.
    coll = arrays([200, 200, 200, 50], [0] * 4, [200, 200, 150, 35])
    res = waterfall_arrays(deal, coll)
    assert res.deal["call_exercised"][0].tolist() == [False, False, False, True]


# -- 4. reserve requirements ---------------------------------------------------------------------


def test_reserve_of_the_current_pool_with_a_floor_capped_at_the_notes():
    # "The greater of 4 % of the current pool and 1.5 % of the initial pool (100), never more
    # than the notes outstanding". One note of 100 at 0 %, interest 1 a month, no defaults.
    deal = {"notes": [{"name": "A", "balance": 100, "coupon": 0.0}],
            "reserve": {"initial_pct": 0.04, "target_pct": 0.04, "basis": "current_pool",
                        "floor_pct": 0.015},
            "legal_final_period": 6}
    coll = arrays([100, 70, 40, 20, 1], [1] * 5, [30, 30, 20, 19, 1])
    res = waterfall_arrays(deal, coll)
    # P1: end pool 70 → max(2.8, 1.5) = 2.8; notes 70 after principal 30. Cash 35 → residual 2.2.
    # P2: end pool 40 → 1.6. Cash 1 + 30 + 2.8 = 33.8; principal 30 → residual 2.2.
    # P3: end pool 20 → 0.8, floored at 1.5. Cash 22.6; principal 20 → residual 1.1.
    # P4: end pool 1 → floor 1.5, capped at the 1 of notes left after principal 19.
    #     Cash 1 + 19 + 1.5 = 21.5 → residual 1.5.
    # P5: notes repaid → requirement 0, the reserve is released: cash 1 + 1 + 1 = 3,
    #     principal 1, residual 2.
    assert res.deal["reserve_requirement"][0].tolist() == approx([2.8, 1.6, 1.5, 1.0, 0.0])
    assert res.deal["reserve_balance"][0].tolist() == approx([2.8, 1.6, 1.5, 1.0, 0.0])
    assert res.deal["residual"][0].tolist() == approx([2.2, 2.2, 1.1, 1.5, 2.0])


def test_reserve_steps_down_unless_a_trigger_is_breached():
    # 5 % of the initial notes (100), stepping down to 2 % from period 3 unless a trigger is
    # in breach; a non-sticky delinquency trigger breaches in period 4 only. The pool (200)
    # covers the notes, so no principal is due; interest 10 a month, note at 0 %.
    deal = {"notes": [{"name": "A", "balance": 100, "coupon": 0.0}],
            "reserve": {"initial_pct": 0.05, "target_pct": 0.05,
                        "step_downs": [{"from_period": 3, "target_pct": 0.02}]},
            "triggers": [{"type": "delinquency_ratio", "threshold": 0.1, "sticky": False}],
            "legal_final_period": 6}
    coll = arrays([200] * 5, [10] * 5, [0] * 5, delinquent_balance=[0, 0, 0, 50, 0])
    with pytest.warns(HorizonWarning):
        res = waterfall_arrays(deal, coll)
    assert res.deal["reserve_requirement"][0].tolist() == approx([5, 5, 2, 5, 2])
    # P3 releases 3 to the residual (15 − 2 = 13); P4 refills to 5 from 10 + 2 (residual 7).
    assert res.deal["reserve_balance"][0].tolist() == approx([5, 5, 2, 5, 2])
    assert res.deal["residual"][0].tolist() == approx([10, 10, 13, 7, 13])


# -- 5. principal used to pay interest -----------------------------------------------------------


THREE = {
    "notes": [{"name": "A", "balance": 60, "coupon": 0.12},
              {"name": "B", "balance": 20, "coupon": 0.12},
              {"name": "C", "balance": 20, "coupon": 0.12}],
    "pdl": True,
    "legal_final_period": 3,
}


def three_note_period(defaults: float, rule: str):
    """Period 1 of the three-note deal: pool 100, interest 0.5, principal 10."""
    deal = {**THREE, "principal_to_interest": rule}
    res = waterfall_arrays(deal, arrays([100, 80], [0.5, 0], [10, 0], [0, 0], [defaults, 0]))
    return {k: v[0, 0] for k, v in res.notes.items()}


def test_principal_pays_only_the_most_senior_class_interest_by_default():
    # Defaults 25: C's ledger 20 (full), B's 5. Revenue 0.5 pays A's 0.6 in part; A is the
    # most senior class, so 0.1 comes from principal funds (10 → 9.9). B and C defer their
    # 0.2 each. Principal funds 9.9 pay A. The 0.1 used is debited to B (C is full).
    n = three_note_period(25, "most_senior")
    assert n["interest_paid"].tolist() == approx([0.6, 0.0, 0.0])
    assert n["interest_shortfall"].tolist() == approx([0.0, 0.2, 0.2])
    assert n["principal_paid"].tolist() == approx([9.9, 0.0, 0.0])
    assert n["pdl_balance"].tolist() == approx([0.0, 5.1, 20.0])


def test_paying_every_class_from_principal_takes_principal_from_the_senior_note():
    n = three_note_period(25, "all")
    assert n["interest_paid"].tolist() == approx([0.6, 0.2, 0.2])
    assert n["principal_paid"].tolist() == approx([9.5, 0.0, 0.0])  # 10 − 0.1 − 0.2 − 0.2
    assert n["pdl_balance"].tolist() == approx([0.0, 5.5, 20.0])


def test_classes_whose_ledger_is_not_in_debit_may_use_principal():
    # Defaults 15 all land on C's ledger: A and B are not in debit, C is.
    n = three_note_period(15, "pdl_not_in_debit")
    assert n["interest_paid"].tolist() == approx([0.6, 0.2, 0.0])
    assert n["principal_paid"].tolist() == approx([9.7, 0.0, 0.0])
    assert three_note_period(15, "most_senior")["interest_paid"].tolist() == approx([0.6, 0, 0])


def test_no_principal_for_interest_at_all():
    n = three_note_period(25, "none")
    assert n["interest_paid"].tolist() == approx([0.5, 0.0, 0.0])
    assert n["interest_shortfall"].tolist() == approx([0.1, 0.2, 0.2])
    assert n["principal_paid"].tolist() == approx([10.0, 0.0, 0.0])


# -- 6. interest on unpaid interest --------------------------------------------------------------


@pytest.mark.parametrize(("compounding", "due"), [(False, 2.0), (True, 2.01)])
def test_interest_on_unpaid_interest_is_a_per_note_option(compounding, due):
    # 100 at 12 %: 1 a month. Nothing collected in P1 → 1 unpaid. P2 owes 1 + 1, plus 1 % of
    # the unpaid 1 when the note accrues interest on its shortfall.
    deal = {"notes": [{"name": "A", "balance": 100, "coupon": 0.12,
                       "interest_on_shortfall": compounding}], "legal_final_period": 3}
    res = waterfall_arrays(deal, arrays([300, 300], [0, 5], [0, 0]))
    assert res.notes["interest_due"][0, :, 0].tolist() == approx([1.0, due])
    assert res.notes["interest_paid"][0, 1, 0] == pytest.approx(due)
