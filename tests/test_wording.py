"""Counts in the reports' texts: one path, never "1 paths"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from sim.abs import note_metrics, run_waterfall, tranche_summary
from sim.report_tables import tranche_table
from sim.wording import paths_text


@pytest.mark.parametrize(("n", "text"), [(0, "0 paths"), (1, "1 path"), (2, "2 paths"),
                                         (60, "60 paths")])
def test_one_path_is_singular(n, text):
    assert paths_text(n) == text


def _summary(paths: int) -> pd.DataFrame:
    """Tranche summary of a two-note deal over ``paths`` identical hand-made paths."""
    deal = {"notes": [{"name": "A", "balance": 80, "coupon": 0.03},
                      {"name": "B", "balance": 20, "coupon": 0.08}]}
    pool = pd.DataFrame({"path": np.repeat(np.arange(paths), 3),
                         "period": np.tile([1, 2, 3], paths),
                         "pool_balance_begin": np.tile([100.0, 50.0, 0.0], paths),
                         "interest": np.tile([1.0, 1.0, 0.0], paths),
                         "principal": np.tile([50.0, 50.0, 0.0], paths),
                         "recoveries": 0.0, "defaults": 0.0})
    pool["pool_balance_end"] = pool.pool_balance_begin - pool.principal - pool.defaults
    return tranche_summary(note_metrics(run_waterfall(deal, pool)))


@pytest.mark.parametrize(("paths", "said"), [(1, "what 1 path can tell"),
                                             (3, "what 3 paths can tell")])
def test_the_tranche_tables_count_paths_in_good_english(paths, said):
    console = Console(width=200, record=True)
    for table in tranche_table(_summary(paths), "deal"):
        console.print(table)
    text = console.export_text()
    assert said in text and "1 paths" not in text


@pytest.mark.parametrize(("numbers", "text"), [
    (range(4), "0-3"), ([0], "0"), ([], "none"), ([5, 0, 2, 6, 7, 9, 8], "0, 2, 5-9"),
    (range(0, 14, 2), "0, 2, 4, 6, 8, 10, 12"), (range(0, 30, 2), "0, 2, 4, 6, 8, 10, ..., 28")])
def test_numbers_are_listed_as_runs_of_consecutive_ones(numbers, text):
    from sim.wording import numbers_text

    assert numbers_text(numbers) == text
