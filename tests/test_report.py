"""Tests of sim.report: tables of a stored run, and a run stored without its paths table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.metrics import KEY_METRICS
from sim.report import complete_paths
from sim.store import load_run

TINY_YAML = """\
name: tiny
seed: 5
book: {initial_borrowers: 40, new_borrowers_per_month: 4, horizon_months: 6}
"""


@pytest.fixture
def stored_run(tmp_path, capsys) -> Path:
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY_YAML)
    assert main(["run", str(config), "--paths", "2", "--seed", "3",
                 "--out", str(tmp_path / "runs"), "--quiet"]) == 0
    return Path(capsys.readouterr().out.strip().splitlines()[-1])


def drop_tables(run: Path, *names: str) -> None:
    """Take ``names`` out of the run's manifest (as a store written by another version,
    one before the tables' digests were recorded)."""
    file = run / "manifest.json"
    manifest = json.loads(file.read_text())
    manifest["tables"] = [t for t in manifest["tables"] if t not in names]
    manifest.pop("table_sha256", None)
    file.write_text(json.dumps(manifest))


def test_a_run_without_its_paths_table_is_reported_from_its_portfolio(stored_run, capsys):
    stored = load_run(stored_run)
    drop_tables(stored_run, "paths")
    run = load_run(stored_run)
    assert "paths" not in run.tables
    assert "rebuilt from its 'portfolio' table" in complete_paths(run)
    # the rebuilt measures are those the run stored, path by path
    pd.testing.assert_frame_equal(run.paths[["path", *KEY_METRICS]],
                                  stored.paths[["path", *KEY_METRICS]])
    assert complete_paths(run) is None  # now present
    assert main(["report", str(stored_run)]) == 0
    captured = capsys.readouterr()
    assert "stores no 'paths' table" in captured.err and "Traceback" not in captured.err
    for metric in KEY_METRICS:
        assert metric in captured.out


def test_a_run_with_neither_paths_nor_portfolio_exits_2_naming_its_tables(stored_run, capsys):
    drop_tables(stored_run, "paths", "portfolio")
    assert main(["report", str(stored_run)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "neither a 'paths' nor a 'portfolio' table (tables: rolls, vintages)" in err
    assert "Traceback" not in err


def test_a_one_path_run_says_one_path(tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY_YAML)
    assert main(["run", str(config), "--paths", "1", "--out", str(tmp_path / "runs")]) == 0
    captured = capsys.readouterr()
    text = " ".join((captured.out + captured.err).split())
    assert "(n = 1 path, seed 5)" in text and "warning: only 1 path;" in text
    assert not re.search(r"(?<![/\d])1 paths", text)  # the bar's "1/1 paths" is a fraction


def test_the_rating_comparison_shows_both_deals_notes_and_each_range_once():
    """Runs of two deals: A's notes, then B's, each side's missing notes said; a rating cell
    is the assessment's label (``Ba1 (Baa2 to Ba2)``), its range not printed twice."""
    import io

    from rich.console import Console

    from sim.abs import tranche_summary
    from sim.report_tables import rating_compare_table

    def metrics(notes: list[str], loss: float) -> pd.DataFrame:
        rows = [{"path": p, "note": n, "loss_pct": loss if p % 2 else 0.0,
                 "any_loss": bool(loss and p % 2), "wal_years": 3.0, "irr_annual": 0.05}
                for p in range(6) for n in notes]
        return pd.DataFrame(rows)

    a = tranche_summary(metrics(["senior", "subordinated"], 0.025))
    b = tranche_summary(metrics(["class_a"], 0.0))
    out = io.StringIO()
    Console(file=out, width=200).print(rating_compare_table(a, b))
    rows = [[c.strip() for c in line.strip().strip("│").split("│")]
            for line in out.getvalue().splitlines() if line.startswith("│")]
    assert [r[0] for r in rows] == ["senior", "subordinated", "class_a"]
    assert rows[0][4] == "not in B" and rows[2][2] == "not in A"
    assert rows[0][2] == a["rating_label"].iloc[0] and rows[2][4] == b["rating_label"].iloc[0]
    assert all(cell.count("(") <= 1 for r in rows for cell in r)
