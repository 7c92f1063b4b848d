"""The registry of recorded columns: every column declared, money converted from its unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.engine import simulate_path
from sim.metrics import portfolio_table, roll_table, vintage_table
from sim.recorder import (
    MONTHLY,
    ROLLS,
    VINTAGES,
    Column,
    Over,
    Recorder,
    Unit,
    money_columns,
    over_months,
    to_currency,
)
from tests.helpers_engine import tiny_config


@pytest.fixture(scope="module")
def tiny_path():
    return simulate_path(tiny_config(), 3, 0)


def test_every_recorded_column_is_declared_and_every_declared_column_recorded(tiny_path):
    assert set(tiny_path.monthly) == set(MONTHLY)
    assert set(tiny_path.vintages) == set(VINTAGES)


def test_an_undeclared_column_is_refused():
    rec = Recorder(MONTHLY)
    rec.record({"payments": 5})
    with pytest.raises(KeyError, match="payments_in_kind"):
        rec.record({"payments": 5, "payments_in_kind": 1})
    assert rec["payments"] == [5]


def test_a_money_column_declared_in_cents_is_converted():
    declared = {
        "penalty_interest": Column("penalty_interest", Unit.CENTS, Over.SUM, "a new charge"),
        "penalties": Column("penalties", Unit.COUNT, Over.SUM, "how many"),
    }
    frame = pd.DataFrame({"path": [0, 0], "penalty_interest": [12_345, 7], "penalties": [3, 1]})
    out = to_currency(frame, declared)
    assert out["penalty_interest"].tolist() == [123.45, 0.07]
    assert out["penalties"].tolist() == [3, 1]
    assert out["path"].tolist() == [0, 0]
    assert money_columns(declared) == ("penalty_interest",)


def test_the_tables_convert_exactly_the_columns_declared_in_cents(tiny_path):
    table = portfolio_table([tiny_path])
    for name, column in MONTHLY.items():
        raw = np.asarray(tiny_path.monthly[name])
        want = raw / 100.0 if column.unit is Unit.CENTS else raw
        np.testing.assert_array_equal(table[name].to_numpy(), want, err_msg=name)
    assert "balance_dpd_1_30" in money_columns() and "accounts_dpd_1_30" not in money_columns()
    vintages = vintage_table([tiny_path])
    np.testing.assert_array_equal(vintages["purchases"].to_numpy(),
                                  tiny_path.vintages["purchases"] / 100.0)
    rolls = roll_table([tiny_path])
    m, i, j = np.nonzero(tiny_path.rolls)
    assert money_columns(ROLLS) == ("balance",)
    np.testing.assert_array_equal(rolls["balance"].to_numpy(),
                                  tiny_path.roll_balance[m, i, j].astype(np.int64) / 100.0)
    np.testing.assert_array_equal(rolls["accounts"].to_numpy(), tiny_path.rolls[m, i, j])


def test_months_combine_by_the_declared_aggregation():
    monthly = {"payments": np.array([100, 250, 50]), "receivables_balance": np.array([9, 8, 7]),
               "collector_utilisation": np.array([0.5, 1.0, 0.0]),
               "max_contacts_day": np.array([1, 3, 2])}
    assert over_months(monthly) == {"payments": 400.0, "receivables_balance": 7.0,
                                    "collector_utilisation": 0.5, "max_contacts_day": 3.0}
    with pytest.raises(KeyError, match="not declared"):
        over_months({"payments_in_kind": np.array([1])})


def test_money_is_declared_in_cents_and_flows_sum_over_months():
    assert {MONTHLY[c].unit for c in ("payments", "balance_current", "cost_human",
                                      "recoveries", "credit_limit_total")} == {Unit.CENTS}
    assert MONTHLY["payments"].over is Over.SUM
    assert MONTHLY["receivables_balance"].over is Over.LAST


def test_the_store_contract_agrees_with_the_declared_units():
    """sim.tables lists the portfolio columns readers rely on, in the readers' units; each is
    recorded, in the unit the registry declares (cents become currency units)."""
    from sim.tables import PORTFOLIO

    readers = {Unit.CENTS: {"currency"}, Unit.COUNT: {"count"},
               Unit.RATIO: {"fraction", "rate_annual"}, Unit.DAYS: {"days"}}
    for name, unit in PORTFOLIO.columns:
        if name in ("path", "month"):
            continue
        assert name in MONTHLY, name
        assert unit in readers[MONTHLY[name].unit], (name, unit)
