"""Counts in the reports' texts: one path, never "1 paths"."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from sim.abs import note_metrics, run_waterfall, tranche_summary
from sim.report_tables import tranche_table
from sim.wording import paths_text, percents_adding_up


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


@pytest.mark.parametrize(("shares", "shown"), [
    ([1 / 3] * 3, [33.4, 33.3, 33.3]),  # each on its own: 33.3 three times, 99.9
    # each on its own: 0.5, 1.5 and 98.1, 100.1; the 0.6 left of 0.46 is the smallest
    ([0.0046, 0.01465, 0.0, 0.0, 0.98075], [0.4, 1.5, 0.0, 0.0, 98.1]),
    ([0.5, 0.5], [50.0, 50.0]),
    ([0.0, 0.0, 1.0], [0.0, 0.0, 100.0]),
    ([0.0, 0.0], [0.0, 0.0]),  # no whole: nothing to add up
])
def test_percents_of_a_row_add_up_to_100_by_largest_remainder(shares, shown):
    assert percents_adding_up(shares) == shown


def test_percents_with_a_nan_are_rounded_each_on_its_own():
    got = percents_adding_up([float("nan"), 0.12345])
    assert math.isnan(got[0]) and got[1] == 12.3


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
       st.integers(0, 2))
def test_percents_add_up_and_none_is_a_unit_from_its_exact_value(weights, decimals):
    shares = [w / sum(weights) for w in weights]
    got = percents_adding_up(shares, decimals)
    unit = 10.0 ** -decimals
    assert round(sum(got) / unit) == 100 / unit
    assert all(abs(g - 100 * s) < unit + 1e-9 for g, s in zip(got, shares, strict=True))
