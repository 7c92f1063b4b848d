"""The registry of recorded columns: every column declared, money converted from its unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.engine import simulate_path
from sim.metrics import portfolio_table, roll_table, vintage_table
from sim.recorder import (
    MONTHLY,
    POOL,
    ROLLS,
    TRACE,
    VINTAGES,
    Column,
    Over,
    Recorder,
    TraceRecorder,
    Unit,
    money_columns,
    over_months,
    row_to_currency,
    to_currency,
)
from sim.reference import simulate_reference
from tests.helpers_engine import risky_config, small_config, tiny_config

STORIES = risky_config({"name": "stories", "collections": {
    "debt_sale": {"enabled": True, "months_after_chargeoff": 2}}})
"""A risky small book, every borrower traced: statements with sudden expenses, due dates,
purchases, collection payments, charge-offs, recoveries and debt sales."""


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


@pytest.fixture(scope="module", params=[simulate_path, simulate_reference],
                ids=["vectorised", "reference"])
def recorded_trace(request):
    """One engine's path of :data:`STORIES` with every borrower traced: the rows as the
    engine recorded them (cents) and as they left it (the path's ``trace``)."""
    recorded: list[dict] = []
    real = TraceRecorder.record

    def keep(self, row):  # noqa: ANN001, ANN202
        recorded.append(dict(row))
        real(self, row)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TraceRecorder, "record", keep)
        result = request.param(STORIES, 1, 0, tuple(range(STORIES.capacity)))
    return recorded, result.trace


def test_every_trace_column_is_declared_and_every_declared_column_recorded(recorded_trace):
    _, trace = recorded_trace
    assert set().union(*trace) == set(TRACE)


def test_an_undeclared_trace_column_is_refused():
    rec = TraceRecorder()
    rec.record({"borrower": 3, "balance": 12_345})
    with pytest.raises(KeyError, match="penalty_interest"):
        rec.record({"borrower": 3, "balance": 12_345, "penalty_interest": 700})
    with pytest.raises(KeyError, match="penalty_interest"):
        row_to_currency({"balance": 12_345, "penalty_interest": 700})
    assert rec.rows() == [{"borrower": 3, "balance": 123.45}]


def test_trace_money_is_recorded_in_cents_and_leaves_the_engine_divided_by_100(recorded_trace):
    """Each row leaves the engine with its columns in the order recorded, the money declared
    in cents divided by 100 once and everything else (income and savings, already currency
    units; days; flags) as recorded."""
    recorded, trace = recorded_trace
    assert len(trace) == len(recorded) > 0
    for cents, row in zip(recorded, trace, strict=True):
        assert list(row) == list(cents)
        for name, value in row.items():
            if TRACE[name].unit is Unit.CENTS:
                assert value == cents[name] / 100.0, (name, cents)
            else:
                assert value == cents[name], (name, cents)
    whole = [c[name] for c in recorded for name in c
             if TRACE[name].unit is Unit.CENTS and name != "expense"]  # a float times 100
    assert all(float(v).is_integer() for v in whole)
    assert {TRACE[c].unit for c in ("income", "savings")} == {Unit.CURRENCY}


def test_row_to_currency_divides_only_the_money_declared_in_cents():
    row = {"path": 0, "borrower": 7, "income": 2_500.5, "savings": -40.25, "limit": 300_000,
           "balance": 12_345, "dpd": 31, "paid": 7, "expense": 1_234.5, "re_aged": False}
    out = row_to_currency(row)
    assert out == {"path": 0, "borrower": 7, "income": 2_500.5, "savings": -40.25,
                   "limit": 3_000.0, "balance": 123.45, "dpd": 31, "paid": 0.07,
                   "expense": 12.345, "re_aged": False}
    assert list(out) == list(row) and row["balance"] == 12_345  # a new row, same order


def test_the_stored_trace_contract_agrees_with_the_declared_units():
    """sim.tables lists the trace columns readers rely on; each is declared, in its unit."""
    from sim.tables import TRACE as STORED

    readers = {Unit.ID: {"id"}, Unit.DAYS: {"days"}, Unit.TEXT: {"text"}}
    for name, unit in STORED.columns:
        assert name in TRACE, name
        assert unit in readers[TRACE[name].unit], (name, unit)


@pytest.mark.parametrize("engine", ["vectorised", "reference"])
def test_the_vehicles_pool_is_recorded_in_cents_and_leaves_it_divided_by_100(engine):
    """The pool table holds every column declared in :data:`POOL`, in its order, each money
    column the vehicle's recorded cents divided by 100 once, the others as recorded."""
    from conftest import SMALL_DEAL

    from sim.engine import PathSimulation
    from sim.reference import ReferencePath

    config = small_config(SMALL_DEAL, horizon_months=16)  # a few months to amortise
    if engine == "vectorised":
        simulation = PathSimulation(config, 1, 0)
        result, vehicle = simulation.run(), simulation.spv
    else:
        reference = ReferencePath(config, 1, 0)
        result, vehicle = reference.run(), reference.vehicle
    cents = vehicle.rows.series()
    assert list(result.pool) == [*POOL, "period"]
    assert set(cents) == set(POOL) and cents["interest"].size > 0
    np.testing.assert_array_equal(result.pool["period"], np.arange(1, cents["interest"].size + 1))
    assert cents["pool_balance_begin"][0] == vehicle.cutoff_pool  # the cut-off's cents
    for name, column in POOL.items():
        want = cents[name] / 100.0 if column.unit is Unit.CENTS else cents[name]
        np.testing.assert_array_equal(result.pool[name], want, err_msg=name)
    with pytest.raises(KeyError, match="servicing_fee"):
        Recorder(POOL).record({"interest": 1.0, "servicing_fee": 2.0})
