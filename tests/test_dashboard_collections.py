"""Collections aggregates and figures, on a small run with synthetic collection columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import CHANNELS

from dashboard.aggregate import collections as agg
from dashboard.aggregate.portfolio import portfolio_fans
from dashboard.figures import collections as figs
from sim.engine import BUCKETS


def test_channels_are_found_from_column_names(collections_portfolio):
    assert set(CHANNELS) <= set(agg.channels(collections_portfolio))
    plain = collections_portfolio.drop(columns=[c for c in collections_portfolio
                                                if c.startswith(("actions_", "cost_"))])
    assert not agg.has_collections(plain)


def test_channel_monthly_is_the_mean_across_paths(collections_portfolio):
    actions = agg.channel_monthly(collections_portfolio, "actions_")
    expected = collections_portfolio.groupby("month")["actions_sms"].mean()
    np.testing.assert_allclose(actions["sms"], expected)


def test_cure_rates_pool_cures_over_last_months_accounts():
    p = pd.DataFrame({"path": [0, 0, 1, 1], "month": [0, 1, 0, 1],
                      "accounts_dpd_1_30": [10, 4, 30, 8], "cures_dpd_1_30": [0, 5, 0, 6]})
    cures = agg.cure_rates(p)
    row = cures.set_index("bucket").loc["dpd_1_30"]
    assert row["rate"] == pytest.approx(11 / 40)
    assert row["p5"] == pytest.approx(0.2 + 0.05 * (0.5 - 0.2))
    assert row["p95"] == pytest.approx(0.2 + 0.95 * (0.5 - 0.2))


def test_cure_rates_cover_buckets_of_the_run(collections_portfolio):
    cures = agg.cure_rates(collections_portfolio)
    assert set(cures["bucket"]) <= set(BUCKETS[1:])
    assert ((cures["rate"] >= 0) & (cures["rate"] <= 1)).all()


def test_net_recovery_is_money_back_minus_cost(collections_portfolio):
    net = agg.net_recovery(collections_portfolio).set_index("channel")
    totals = collections_portfolio.groupby("path")[["recoveries_human", "cost_human"]].sum()
    back = totals["recoveries_human"]
    if "collected_human" in collections_portfolio:
        back = back + collections_portfolio.groupby("path")["collected_human"].sum()
    assert net.loc["human", "net"] == pytest.approx((back - totals["cost_human"]).mean())
    assert net.loc["human", "has_recoveries"]


def test_net_recovery_of_a_channel_without_money_back():
    p = pd.DataFrame({"path": [0, 1], "month": [0, 0], "cost_email": [2.0, 4.0]})
    row = agg.net_recovery(p).iloc[0]
    assert row["net"] == -3.0 and not row["has_recoveries"]


def test_collections_figures(collections_portfolio):
    actions = figs.actions_by_channel(agg.channel_monthly(collections_portfolio, "actions_"))
    assert {t.stackgroup for t in actions.data} == {"channels"}
    assert "auto call" in {t.name for t in actions.data}
    assert actions.layout.yaxis.title.text == "actions per month (count)"
    cost = figs.cost_by_channel(agg.channel_monthly(collections_portfolio, "cost_"))
    assert cost.layout.yaxis.title.text == "cost per month (currency units)"
    cures = figs.cure_rate_bars(agg.cure_rates(collections_portfolio))
    assert cures.data[0].type == "bar" and cures.layout.yaxis.tickformat.endswith("%")
    capacity = figs.capacity_fans(portfolio_fans(collections_portfolio))
    assert {"utilisation: median", "wait: median"} <= {t.name for t in capacity.data}
    net = figs.net_recovery_bars(agg.net_recovery(collections_portfolio))
    assert len(net.data[0].x) == len(agg.channels(collections_portfolio))


def test_collections_figures_without_data_say_so():
    assert figs.cure_rate_bars(pd.DataFrame(columns=["bucket", "rate", "p5", "p95"])
                               ).layout.annotations
    assert figs.capacity_fans(pd.DataFrame({"series": ["receivables_balance"]})
                              ).layout.annotations
    assert figs.channel_area(pd.DataFrame(), title="t", yaxis="y", unit="count"
                             ).layout.annotations
