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
