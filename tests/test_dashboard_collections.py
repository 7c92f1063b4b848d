"""Collections aggregates and figures, on a small run with synthetic collection columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import CHANNELS, PATHS

from dashboard.aggregate import collections as agg
from dashboard.aggregate.portfolio import portfolio_fans
from dashboard.figures import collections as figs
from sim.delinquency import BUCKETS


def test_channels_are_found_from_column_names(collections_portfolio):
    assert set(CHANNELS) <= set(agg.channels(collections_portfolio))
    plain = collections_portfolio.drop(columns=[c for c in collections_portfolio
                                                if c.startswith(("actions_", "cost_"))])
    assert not agg.has_collections(plain)


def test_channel_monthly_is_the_mean_across_paths(collections_portfolio):
    actions = agg.channel_monthly(collections_portfolio, "actions_")
    expected = collections_portfolio.groupby("month")["actions_sms"].mean()
    np.testing.assert_allclose(actions["sms"], expected)


def hand_rolls() -> pd.DataFrame:
    """Two paths, one month: where the 1-30 dpd accounts of the month end before went."""
    rows = [  # path, from, to, accounts, balance at the month end before
        (0, "dpd_1_30", "current", 3, 300.0),
        (0, "dpd_1_30", "re_aged", 1, 200.0),
        (0, "dpd_1_30", "dpd_31_60", 4, 100.0),
        (1, "dpd_1_30", "current", 1, 50.0),
        (1, "dpd_1_30", "dpd_31_60", 1, 50.0),
        (1, "current", "current", 9, 900.0),
    ]
    frame = pd.DataFrame(rows, columns=["path", "from_state", "to_state", "accounts",
                                        "balance"])
    return frame.assign(month=1)


def test_cure_rates_count_re_ages_apart_from_cures_by_accounts_and_balance():
    cures = agg.cure_rates(hand_rolls()).set_index(["weight", "bucket"])
    acc, bal = cures.loc[("accounts", "dpd_1_30")], cures.loc[("balance", "dpd_1_30")]
    # accounts: 10 in 1-30 dpd; 4 cured, 1 re-aged (not a cure), 5 rolled forward
    assert (acc["base"], acc["cure"], acc["re_age"], acc["roll_forward"]) == \
        pytest.approx((10, 0.4, 0.1, 0.5))
    # balance: 700 in 1-30 dpd; 350 cured, 200 re-aged, 150 rolled forward
    assert (bal["base"], bal["cure"], bal["re_age"], bal["roll_forward"]) == \
        pytest.approx((700, 0.5, 2 / 7, 1.5 / 7))
    # per path by accounts: 3/8 and 1/2; numpy's linear percentiles
    assert acc["cure_p5"] == pytest.approx(3 / 8 + 0.05 * (1 / 2 - 3 / 8))
    assert acc["cure_p95"] == pytest.approx(3 / 8 + 0.95 * (1 / 2 - 3 / 8))
    assert set(cures.index.get_level_values("bucket")) == {"dpd_1_30"}


def test_cure_rates_of_a_run(small_run):
    cures = agg.cure_rates(small_run["rolls"])
    assert set(cures["weight"]) == {"accounts", "balance"}
    assert set(cures["bucket"]) <= set(BUCKETS[1:])
    rates = cures[["cure", "re_age", "roll_forward"]]
    assert ((rates >= 0) & (rates <= 1)).all().all()
    assert (rates.sum(axis=1) <= 1 + 1e-12).all()
    assert agg.cure_rates(None).empty


def test_net_recovery_is_money_back_minus_cost(collections_portfolio):
    net = agg.net_recovery(collections_portfolio).set_index("channel")
    totals = collections_portfolio.groupby("path")[["recoveries_human", "cost_human",
                                                    "collector_cost"]].sum()
    back = totals["recoveries_human"]
    if "collected_human" in collections_portfolio:
        back = back + collections_portfolio.groupby("path")["collected_human"].sum()
    cost = totals["cost_human"] + totals["collector_cost"]  # the team is the channel's cost
    assert net.loc["human", "net"] == pytest.approx((back - cost).mean())
    assert net.loc["human", "has_recoveries"]


def test_agency_money_after_charge_off_is_net_of_its_commission():
    p = pd.DataFrame({"path": [0, 0], "month": [0, 1], "cost_agency": [10.0, 0.0],
                      "collected_agency": [30.0, 0.0], "recoveries_agency": [0.0, 100.0],
                      "recovery_commission": [0.0, 25.0]})
    row = agg.net_recovery(p).set_index("channel").loc["agency"]
    assert (row["recoveries"], row["cost"], row["net"]) == (130.0, 35.0, 95.0)


def test_the_collectors_cost_is_the_human_channels_whether_or_not_they_call():
    p = pd.DataFrame({"path": [0, 0, 1, 1], "month": [0, 1, 0, 1],
                      "cost_human": [1.0, 0.0, 3.0, 0.0], "collected_human": [50.0] * 4,
                      "collector_cost": [100.0] * 4})
    row = agg.net_recovery(p).set_index("channel").loc["human"]
    assert (row["recoveries"], row["cost"], row["net"]) == (100.0, 202.0, -102.0)
    cost = agg.channel_monthly(p, "cost_")
    assert cost["human"].tolist() == [102.0, 100.0]
    assert "collector_cost" in p and p["cost_human"].sum() == 4.0  # the input is untouched
    idle = p.assign(cost_human=0.0, collected_human=0.0)
    assert agg.channels(idle) == ["human"]


def test_net_recovery_of_a_channel_without_money_back():
    p = pd.DataFrame({"path": [0, 1], "month": [0, 0], "cost_email": [2.0, 4.0]})
    row = agg.net_recovery(p).iloc[0]
    assert row["net"] == -3.0 and not row["has_recoveries"]


def test_collections_figures(collections_portfolio, small_run):
    actions = figs.actions_by_channel(agg.channel_monthly(collections_portfolio, "actions_"))
    assert {t.stackgroup for t in actions.data} == {"channels"}
    assert "auto call" in {t.name for t in actions.data}
    assert actions.layout.yaxis.title.text == "actions per month<br>(count)"
    cost = figs.cost_by_channel(agg.channel_monthly(collections_portfolio, "cost_"))
    assert cost.layout.yaxis.title.text == "cost per month<br>(currency units)"
    cures = figs.cure_rate_bars(agg.cure_rates(small_run["rolls"]))
    assert cures.data[0].type == "bar" and cures.layout.yaxis.tickformat.endswith("%")
    names = {t.name for t in cures.data}
    assert {"cured (to current), by accounts", "re-aged (not a cure), by balance"} <= names
    capacity = figs.capacity_fans(portfolio_fans(collections_portfolio))
    assert {"utilisation: median", "wait: median"} <= {t.name for t in capacity.data}
    band = f"range of {PATHS} paths" if PATHS < 20 else "5-95 % of paths"
    assert capacity.layout.title.text.endswith(f"(median and {band})")
    net = figs.net_recovery_bars(agg.net_recovery(collections_portfolio))
    assert len(net.data[0].x) == len(agg.channels(collections_portfolio))
    assert "Money collected after contact, less cost" in net.layout.title.text
    assert "attributed, not caused" in net.layout.title.subtitle.text


def test_collections_figures_without_data_say_so():
    assert figs.cure_rate_bars(agg.cure_rates(None)).layout.annotations
    assert figs.capacity_fans(pd.DataFrame({"series": ["receivables_balance"]})
                              ).layout.annotations
    assert figs.channel_area(pd.DataFrame(), title="t", yaxis="y", unit="count"
                             ).layout.annotations


def test_the_cost_chart_adds_up_to_the_collection_cost_of_the_headline(run_store):
    """Issue example: the stack drew the channels' costs only, about 720k over 60 months
    against the headline's 904,886 a path; legal costs (22 %) were missing. Summed over
    months, the chart's parts are the mean collection cost of a path, to the cent."""
    from dashboard.data import RunStore
    from sim.metrics import summarise

    store = RunStore(run_store)
    data = store.load(next(r.run_id for r in store.runs() if r.name == "baseline"))
    fig = figs.cost_by_channel(data.collections.cost)
    drawn = sum(float(np.sum(t.y)) for t in fig.data)
    headline = summarise(data.paths, ("collection_cost",))["mean"].iloc[0]
    assert abs(drawn - headline) < 0.005
    names = [t.name for t in fig.data]
    assert {"legal costs", "collector cost", "human"} <= set(names)
    assert all(t.stackgroup == "parts" for t in fig.data)
    legal = data.collections.cost["legal_costs"].sum()
    assert legal > 0.01 * headline  # the part that was missing is no rounding error


def test_cost_parts_are_the_columns_of_collection_cost_and_its_unrecorded_rest():
    p = pd.DataFrame({"path": [0, 0, 1, 1], "month": [0, 1, 0, 1],
                      "cost_sms": [1.0, 2.0, 3.0, 4.0], "cost_email": [0.0] * 4,
                      "collector_cost": [100.0] * 4, "legal_costs": [0.0, 50.0, 0.0, 70.0]})
    p["collection_cost"] = p[["cost_sms", "collector_cost", "legal_costs"]].sum(axis=1)
    parts = agg.cost_parts(p)
    assert list(parts.columns) == ["cost_sms", "collector_cost", "legal_costs"]
    assert parts.loc[1].tolist() == [3.0, 100.0, 60.0]  # means across the two paths
    assert [figs.cost_part_label(c) for c in parts.columns] == [
        "sms", "collector cost", "legal costs"]
    older = p.drop(columns="legal_costs")  # a run stored before legal costs were recorded
    rest = agg.cost_parts(older)[agg.NOT_ITEMISED]
    assert rest.tolist() == [0.0, 60.0]
    assert agg.cost_parts(older).to_numpy().sum() == p["collection_cost"].sum() / 2
