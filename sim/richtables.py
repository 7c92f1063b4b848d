"""Terminal tables that never cut a cell: what every report table of the command line uses.

rich fits a table to the terminal by narrowing its columns and, by default, cuts what no
longer fits with an ellipsis: at 80 columns a metric name became ``cumulativ…`` and a cell
``n/a: needs >= 9,918,… paths``, a number with its last digits gone. A :class:`WholeTable`
instead wraps its cells (``overflow="fold"``) and, when the terminal is too narrow for every
cell on one line, narrows the widest columns first, as rich does, but never below a column's
longest word (a metric name, a number): text breaks between words, and a number stays on
one line. When even the longest words do not fit side by side, the columns with the longest
words (names) are narrowed first and those words fold onto the next line; no character is
ever cut.

The widths are decided in rich's ``Table._calculate_column_widths`` (with its
``_measure_column``), which :class:`WholeTable` extends: rich has no public hook for it
(rich 13 to 15 keep both); ``tests/test_richtables.py`` prints tables at 80 columns.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleOptions
from rich.table import Table

__all__ = ["WholeTable", "share_width", "squeeze_width"]


def share_width(total: int, least: list[int], most: list[int]) -> list[int]:
    """Column widths summing to at most ``total``, each from ``least[i]`` to ``most[i]``: as
    rich narrows a table, the widest columns first, down to a common level, but never below
    a column's least (its longest word); narrower columns keep their whole width.

    ``sum(least) <= total`` is the caller's to ensure. Example: ``share_width(30, [4, 6, 3],
    [20, 12, 5])`` is ``[13, 12, 5]``: the first column alone is narrowed, to 13.
    """
    if sum(most) <= total:
        return list(most)
    level = max(most)
    while level > 0 and sum(max(lo, min(hi, level)) for lo, hi in zip(least, most,
                                                                    strict=True)) > total:
        level -= 1
    widths = [max(lo, min(hi, level)) for lo, hi in zip(least, most, strict=True)]
    for i, hi in enumerate(most):  # what is left, one character at a time to those cut back
        if sum(widths) < total and widths[i] < hi:
            widths[i] += 1
    return widths


def squeeze_width(total: int, least: list[int]) -> list[int]:
    """Column widths summing to ``total`` when the columns' least widths (their longest
    words) do not fit: the widest columns are narrowed to a common level, and the others
    keep their least. Long words are names (``cumulative_charge_off_rate``), short ones are
    numbers: a name folds onto a second line, a number stays whole.

    Example: ``squeeze_width(20, [12, 4, 9])`` is ``[8, 4, 8]``: level 8 (8 + 4 + 8 = 20).
    """
    level = max(least, default=0)
    while level > 1 and sum(min(w, level) for w in least) > total:
        level -= 1
    widths = [min(w, level) for w in least]
    for i in sorted(range(len(least)), key=lambda i: -least[i]):  # what is left: widest first
        if sum(widths) < total and least[i] > widths[i]:
            widths[i] += 1
    return widths


class WholeTable(Table):
    """A :class:`rich.table.Table` that never cuts a cell (see the module docstring): build
    it as a Table; its columns fold instead of ending in an ellipsis."""

    def add_column(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - Table's own
        """As :meth:`rich.table.Table.add_column`, with ``overflow="fold"`` by default."""
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)

    def _calculate_column_widths(self, console: Console, options: ConsoleOptions) -> list[int]:
        widths = super()._calculate_column_widths(console, options)
        ranges = [self._measure_column(console, options, column) for column in self.columns]
        least = [r.minimum for r in ranges]
        if all(w >= lo for w, lo in zip(widths, least, strict=True)):
            return widths  # every word whole already
        if sum(least) > options.max_width:  # some word must fold: the longest ones
            return squeeze_width(options.max_width, least)
        return share_width(options.max_width, least, [r.maximum for r in ranges])
