"""Report tables at 80 columns: every metric name and every number whole, never cut."""

from __future__ import annotations

import pytest
from rich.console import Console
from test_wording import _summary

from sim.report_tables import tranche_table
from sim.richtables import WholeTable, share_width, squeeze_width


@pytest.mark.parametrize(("total", "least", "most", "widths"), [
    (30, [4, 6, 3], [20, 12, 5], [13, 12, 5]),  # only the widest is narrowed
    (20, [4, 6, 3], [20, 12, 5], [8, 7, 5]),    # both wide ones to 7; the one left to the first
    (13, [4, 6, 3], [20, 12, 5], [4, 6, 3]),    # each at its longest word
    (100, [2, 2], [8, 4], [8, 4]),              # room for all: each its widest
])
def test_the_widest_columns_are_narrowed_first_never_below_their_longest_word(
        total, least, most, widths):
    assert share_width(total, least, most) == widths
    assert sum(widths) <= total


def _text(tables, width: int = 80) -> str:
    console = Console(width=width, record=True)
    for table in tables:
        console.print(table)
    return console.export_text()


def test_a_long_count_in_a_cell_keeps_all_its_digits_at_80_columns():
    text = _text(tranche_table(_summary(3), "deal x: tranche losses over 3 paths (loss = share "
                                               "of the note's balance)"))
    assert "13,719,492" in text and "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


def _summary_like(rows: list[tuple[str, ...]]) -> WholeTable:
    table = WholeTable(title="t")
    for name in ("metric", "n", "mean", "p5", "p50", "p95", "95% CI of mean"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    for row in rows:
        table.add_row(*row)
    return table


def test_long_names_stay_whole_when_the_words_fit_side_by_side():
    table = _summary_like([(name, "3", "0.070%", "n/a", "0.070%", "n/a", "[0.061%, 0.079%]")
                           for name in ("cumulative_charge_off_rate", "loss_after_costs_rate")])
    text = _text([table])
    assert "cumulative_charge_off_rate" in text and "loss_after_costs_rate" in text
    assert "0.061%" in text and "0.079%" in text and "…" not in text


def test_when_words_cannot_sit_side_by_side_names_fold_and_numbers_stay_whole():
    """60 paths at 80 columns: the longest words need 79 of the 72 columns inside the
    borders; the metric names fold, every number keeps its digits on one line."""
    row = ("60", "12.345%", "10.000%", "12.000%", "15.000%", "[11.111%, 13.579%]")
    text = _text([_summary_like([("cumulative_charge_off_rate", *row),
                                 ("annualised_charge_off_rate", *row)])])
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    for number in ("12.345%", "10.000%", "12.000%", "15.000%", "[11.111%,", "13.579%]"):
        assert text.count(number) == 2, number
    assert "│ cumulative_charge_o │" in text and "│ ff_rate             │" in text  # folded


@pytest.mark.parametrize(("total", "least", "widths"), [
    (20, [12, 4, 9], [8, 4, 8]),  # level 8: the two widest narrowed, the number column kept
    (72, [28, 4, 9, 9, 9, 9, 11], [21, 4, 9, 9, 9, 9, 11]),  # the summary above: names fold
])
def test_squeezing_narrows_the_widest_columns_first(total, least, widths):
    assert squeeze_width(total, least) == widths
