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
