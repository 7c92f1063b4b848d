"""Transition rates of the delinquent buckets: every move an account can make, named once.

From a delinquent bucket an account is, at the next month end, cured (current), re-aged,
rolled back to an earlier delinquent bucket, still in the same bucket, or rolled forward
(a later bucket or charged off); the five shares of a row add up to 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_engine import small_config

from sim.delinquency import BUCKETS
from sim.engine import simulate_path
from sim.metrics import roll_table
from sim.rolls import transition_rates

MOVES = ("cure", "re_age", "roll_back", "stay", "roll_forward")  # as sim.rolls.MOVES

# (from, to, accounts, balance) on path 0, month 1: every move out of 31-60 and 1-30
HAND = [("dpd_31_60", "current", 1, 10.0), ("dpd_31_60", "re_aged", 2, 20.0),
        ("dpd_31_60", "dpd_1_30", 3, 30.0), ("dpd_31_60", "dpd_31_60", 4, 40.0),
        ("dpd_31_60", "dpd_61_90", 5, 50.0), ("dpd_31_60", "charged_off", 5, 50.0),
        ("dpd_1_30", "dpd_1_30", 3, 5.0), ("dpd_1_30", "current", 1, 15.0)]


def hand_rolls() -> pd.DataFrame:
    return pd.DataFrame([{"path": 0, "month": 1, "from_state": i, "to_state": j,
                          "accounts": a, "balance": b} for i, j, a, b in HAND])


def test_every_move_out_of_a_bucket_by_hand():
    by_acc = transition_rates(hand_rolls(), "accounts").set_index("bucket")
    by_bal = transition_rates(hand_rolls(), "balance").set_index("bucket")
    assert by_acc.loc["dpd_31_60", list(MOVES)].tolist() == pytest.approx(
        [1 / 20, 2 / 20, 3 / 20, 4 / 20, 10 / 20])
    assert by_bal.loc["dpd_31_60", list(MOVES)].tolist() == pytest.approx(
        [10 / 200, 20 / 200, 30 / 200, 40 / 200, 100 / 200])
    assert by_acc.loc["dpd_1_30", ["cure", "stay", "roll_back"]].tolist() == [0.25, 0.75, 0.0]
    assert by_bal.loc["dpd_1_30", ["cure", "stay"]].tolist() == [0.75, 0.25]


@pytest.mark.parametrize("weight", ["accounts", "balance"])
def test_the_shares_of_each_row_sum_to_one(weight):
    """On a simulated book that cures, stays, rolls back and forward and charges off: each
    delinquent bucket's moves add up to 1, pooled and on every path."""
    # roll-backs need collectors' plans that pay part of a late balance: collectors to 89
    # days, their plans within the month's income (under the shipped policy a terminated
    # balance is wholly due and a plan pays it off, so accounts rarely roll back)
    ladder = [{"channel": "sms", "from_dpd": 1, "to_dpd": 89, "every_days": 3},
              {"channel": "human", "from_dpd": 15, "to_dpd": 89, "every_days": 7},
              {"channel": "agency", "from_dpd": 90, "to_dpd": 360, "every_days": 14}]
    config = small_config({"repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0,
                                         "stretch_within_income": True, "autopay_share": 0.4},
                           "billing": {"chargeoff_dpd": 120},
                           "collections": {"ladder": ladder,
                                           "hardship": {"request_prob": 0.5,
                                                        "income_drop": 0.0}}})
    rolls = roll_table([simulate_path(config, 2, path) for path in range(2)])
    rates = transition_rates(rolls, weight)
    assert set(rates["bucket"]) >= set(BUCKETS[1:4])
    assert (rates[list(MOVES)] > 0).any().all(), "every move happens somewhere"
    np.testing.assert_allclose(rates[list(MOVES)].sum(axis=1), 1.0, rtol=1e-12)
    for move in MOVES:
        assert ((rates[f"{move}_p5"] <= rates[f"{move}_p95"])
                & (rates[f"{move}_p5"] >= 0) & (rates[f"{move}_p95"] <= 1)).all()
    first = rates.set_index("bucket").loc["dpd_1_30"]
    assert first["roll_back"] == 0.0  # nothing is less delinquent than 1-30 but current


# -- charge-offs in the pipeline at the horizon: absorption in the roll-rate chain ---------------
def _chain(path: int, month: int, moves: list[tuple[str, str, float]]) -> list[dict]:
    return [{"path": path, "month": month, "from_state": i, "to_state": j, "accounts": 1,
             "balance": b} for i, j, b in moves]


def test_charge_off_probabilities_by_hand():
    """A chain worked by hand (balance-weighted rates of one month): 1-30 stays 20 %, cures
    40 %, rolls to 31-60 40 %; 31-60 cures 25 %, charges off 75 %; re-aged cures 90 % and
    rolls to 1-30 10 %. Absorption in charged_off: a(31-60) = 0.75;
    a(1-30) = 0.2 a(1-30) + 0.4 a(31-60), so a(1-30) = 0.3 / 0.8 = 0.375;
    a(re-aged) = 0.1 a(1-30) = 0.0375."""
    from sim.rolls import charge_off_probabilities

    rolls = pd.DataFrame(_chain(0, 5, [
        ("dpd_1_30", "dpd_1_30", 20.0), ("dpd_1_30", "current", 40.0),
        ("dpd_1_30", "dpd_31_60", 40.0), ("dpd_31_60", "current", 25.0),
        ("dpd_31_60", "charged_off", 75.0), ("re_aged", "current", 90.0),
        ("re_aged", "dpd_1_30", 10.0)]))
    a = charge_off_probabilities(rolls, pd.Series({0: 5})).loc[0]
    assert a["dpd_31_60"] == pytest.approx(0.75)
    assert a["dpd_1_30"] == pytest.approx(0.375)
    assert a["re_aged"] == pytest.approx(0.0375)
    assert a["dpd_61_90"] == 0.0  # no balance ever left it


def test_the_window_is_the_last_months_and_empty_states_fall_back():
    """Path 1's last month is 20: with a window of 12 months its month-3 moves of 1-30
    (all charged off) are left out for its month-15 ones (all cured); its 31-60 state, seen
    only in month 3, falls back to the whole horizon. Path 2 never saw 31-60 leave, and
    takes the run's rates (path 1's month-3 move, all charged off)."""
    from sim.rolls import charge_off_probabilities

    rolls = pd.DataFrame(
        _chain(1, 3, [("dpd_1_30", "charged_off", 10.0), ("dpd_31_60", "charged_off", 5.0)])
        + _chain(1, 15, [("dpd_1_30", "current", 10.0)])
        + _chain(2, 15, [("dpd_1_30", "dpd_31_60", 10.0)]))
    a = charge_off_probabilities(rolls, pd.Series({1: 20, 2: 20}), months=12)
    assert a.loc[1, "dpd_1_30"] == 0.0 and a.loc[1, "dpd_31_60"] == 1.0
    assert a.loc[2, "dpd_31_60"] == 1.0 and a.loc[2, "dpd_1_30"] == 1.0


def test_pipeline_is_each_balance_times_its_probability():
    from sim.rolls import pipeline_charge_offs

    rolls = pd.DataFrame(_chain(0, 5, [
        ("dpd_1_30", "current", 60.0), ("dpd_1_30", "charged_off", 40.0),
        ("re_aged", "current", 1.0)]))
    portfolio = pd.DataFrame({"path": [0, 0], "month": [4, 5],
                              "balance_dpd_1_30": [999.0, 200.0],
                              "balance_re_aged": [0.0, 50.0],
                              "balance_current": [0.0, 1000.0]})
    assert pipeline_charge_offs(rolls, portfolio).loc[0] == pytest.approx(200.0 * 0.4)


def test_pipeline_on_a_simulated_book():
    """Every probability within [0, 1]; the pipeline at most the balance past due or
    re-aged at the horizon; charge_off_rate_with_pipeline at least the horizon's rate."""
    from sim.metrics import path_table, portfolio_table
    from sim.rolls import TRANSIENT, charge_off_probabilities

    results = [simulate_path(small_config({"repayment": {"forget_prob": 0.2}}), 4, p)
               for p in range(2)]
    portfolio, rolls = portfolio_table(results), roll_table(results)
    paths = path_table(portfolio, results, rolls).set_index("path")
    last = portfolio[portfolio["month"] == portfolio["month"].max()].set_index("path")
    owed = last[[f"balance_{s}" for s in TRANSIENT if f"balance_{s}" in last]].sum(axis=1)
    a = charge_off_probabilities(rolls, last["month"])
    assert ((a >= 0) & (a <= 1)).all().all() and (a["dpd_151_180"] > 0.9).all()
    assert a.loc[0, "dpd_31_60"] > a.loc[0, "dpd_1_30"] > 0
    # path 1 of this 12-month book saw no balance past due reach a charge-off in its window
    assert (paths["pipeline_charge_offs"] >= 0).all() and paths.loc[0, "pipeline_charge_offs"] > 0
    assert (paths["pipeline_charge_offs"] <= owed + 1e-9).all()
    assert (paths["charge_off_rate_with_pipeline"]
            >= paths["cumulative_charge_off_rate"]).all()


def test_a_state_that_is_never_absorbed_has_probability_zero():
    """1-30 goes half to charged_off and half to 31-60, which only stays: 31-60 is never
    charged off (0) and 1-30 is with probability 0.5 (least squares had given 0.4)."""
    from sim.rolls import charge_off_probabilities

    rolls = pd.DataFrame(_chain(0, 5, [
        ("dpd_1_30", "charged_off", 50.0), ("dpd_1_30", "dpd_31_60", 50.0),
        ("dpd_31_60", "dpd_31_60", 30.0)]))
    a = charge_off_probabilities(rolls, pd.Series({0: 5})).loc[0]
    assert a["dpd_1_30"] == pytest.approx(0.5) and a["dpd_31_60"] == 0.0


def test_a_rolls_table_without_balance_says_what_a_rerun_gives():
    """Runs recorded before balance-weighted rolls: balance roll rates and the pipeline each
    say what rerunning the run would give."""
    from sim.rolls import charge_off_probabilities, pooled_counts

    rolls = pd.DataFrame(_chain(0, 5, [("dpd_1_30", "current", 1.0)])).drop(columns="balance")
    with pytest.raises(ValueError, match="no 'balance' column; rerun it to get roll rates by "
                                         "balance"):
        pooled_counts(rolls, "balance")
    with pytest.raises(ValueError, match="no 'balance' column; rerun it to get the charge-offs "
                                         "in the pipeline"):
        charge_off_probabilities(rolls, pd.Series({0: 5}))
    assert pooled_counts(rolls).loc["dpd_1_30", "current"] == 1.0
