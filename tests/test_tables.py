"""The store's tables and columns are a contract (:mod:`sim.tables`) that the store keeps
and the dashboard reads by."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SMALL_DEAL, small_config

import sim
from sim import tables
from sim.config import deep_merge
from sim.store import load_run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def deal_run(tmp_path_factory):
    cfg = deep_merge(small_config({"book": {"initial_borrowers": 300,
                                            "new_borrowers_per_month": 10,
                                            "horizon_months": 18}}), SMALL_DEAL)
    run = sim.run(cfg, paths=1, seed=2, out=tmp_path_factory.mktemp("runs"), trace_ids=(1,))
    return load_run(run.path)


def test_the_store_writes_exactly_the_declared_tables_and_columns(deal_run):
    assert set(deal_run.tables) == tables.expected_tables(deal=True, traced=True)
    for name, frame in deal_run.tables.items():
        missing = set(tables.TABLES[name].column_names) - set(frame.columns)
        assert not missing, f"{name}: declared but not written: {sorted(missing)}"


def test_units_are_declared():
    assert tables.PORTFOLIO.unit("receivables_balance") == "currency"
    assert tables.PATHS.unit("net_loss_rate") == "fraction"
    assert tables.expected_tables(deal=False) == {"portfolio", "paths", "vintages", "rolls"}
    with pytest.raises(KeyError):
        tables.NOTES.unit("no_such_column")


def test_the_dashboard_reads_no_table_the_store_never_writes():
    """Issue example: reads of note_summary, tranches, waterfall_steps, steps."""
    text = "\n".join(p.read_text() for p in (ROOT / "dashboard").rglob("*.py"))
    for dead in ("note_summary", "tranches", "waterfall_steps", "steps"):
        assert not re.search(rf"[\"']{dead}[\"']", text), dead
    assert "roll_rates_from_counts" not in text and "roll_rate_columns" not in text


def test_the_launcher_names_its_knobs_instead_of_guessing_spellings():
    source = (ROOT / "dashboard" / "launcher.py").read_text()
    for guess in ("headcount", "n_collectors", "human_collectors", "queue_policy"):
        assert guess not in source


def test_every_table_requires_its_path_and_only_declared_columns():
    for table in tables.TABLES.values():
        assert table.required[0] == "path", table.name
        assert set(table.required) <= set(table.column_names), table.name


@pytest.mark.parametrize(("columns", "rows", "held", "says"), [
    (("path", "month"), 8, [0], "table 'paths' lacks columns 'cumulative_charge_off_rate', "
                                "'net_loss_rate', 'recovery_rate' and 3 more"),
    (tables.PATHS.required, 0, [], "table 'paths' has no rows but the manifest says 4 paths "
                                   "(0-3)"),
    (tables.PATHS.required, 1, [0], "table 'paths' holds path 0 but the manifest says 4 "
                                    "paths (0-3)"),
    (tables.PATHS.required, 5, [0, 1, 2, 3, 7], "table 'paths' holds paths 0-3, 7 but"),
    (tables.PATHS.required, 4, [0.0, 1.0, 2.0, 3.5], "a 'path' column that does not hold"),
    (tables.PATHS.required, 4, ["0", "1", "2", "3"], "a 'path' column that does not hold"),
    (tables.PATHS.required, 4, [0, 1, 2, 3], None),
    (tables.PATHS.required + ("extra",), 4, [3.0, 2.0, 1.0, 0.0], None),
])
def test_a_stored_table_is_checked_against_its_run(columns, rows, held, says):
    problem = tables.PATHS.problem(columns, rows, held, 4)
    if says is None:
        assert problem is None
    else:
        assert problem is not None and says in problem


def test_a_table_with_rows_for_some_paths_may_hold_fewer_but_no_others():
    rolls = tables.ROLLS
    assert rolls.problem(rolls.required, 0, [], 4) is None
    assert rolls.problem(rolls.required, 3, [1], 4) is None
    assert rolls.problem(rolls.required, 3, [4], 4) == ("table 'rolls' holds path 4 but the "
                                                        "manifest says 4 paths (0-3)")
