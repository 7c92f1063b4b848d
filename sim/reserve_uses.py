"""What the reserve paid for, as the deal report shows it.

Deal documents let the reserve account cover shortfalls in named items of the priority of
payments (senior fees, each class's interest, principal, ...), and investor reports itemise
its use the same way. The waterfall records, per period and path, what each use of cash
spent of the reserve drawn into the period's funds (docs/WATERFALL.md §5.3): the waterfall
log's ``reserve_used`` and ``reserve_used:<use>`` columns. This module names those columns
for people and builds the deal report's ``reserve`` group from them: one column per use, the
reserve used in all, and what the reserve was then topped up by (or released, negative), so
that the reserve brought forward - the reserve used + the top-up = the reserve balance.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["TOTAL", "reserve_columns", "use_label"]

TOTAL = "reserve_used"
"""The waterfall log's column of the reserve used in all; each use's is ``<TOTAL>:<use>``."""

USE_LABELS = {
    "pay_fees": "senior fees",
    "pay_swap": "net swap",
    "pay_interest": "{note} interest",
    "clear_pdl": "{note} PDL credit",
    "reinvest": "receivables bought",
    "pay_principal": "principal",
}
"""What each use is called, by the verb of the step log's name (``{note}``: its note)."""

TOTAL_LABEL = "reserve used, in all"
TOP_UP_LABEL = "reserve topped up (released: -)"


def use_label(use: str) -> str:
    """The header of a use of the reserve, e.g. ``reserve for A interest`` for
    ``pay_interest:A`` (the step log's name of the use)."""
    verb, _, note = use.partition(":")
    return "reserve for " + USE_LABELS.get(verb, verb).format(note=note)


def reserve_columns(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """The deal report's ``reserve`` group of one path, from its deal-level columns.

    Args:
        frame: One path's deal-level columns, one row per period (the waterfall log's
            ``reserve_used`` columns, ``reserve_draw`` and ``reserve_balance``).

    Returns:
        ``(columns, labels)``: ``reserve.<use>`` for each use the log has, in its order,
        ``reserve.used`` and, with the reserve brought forward and its balance,
        ``reserve.topped_up`` (balance - (brought forward - used)); and each column's header.
        Empty when the run does not record what the reserve paid for.
    """
    if TOTAL not in frame:
        return {}, {}
    cols: dict[str, pd.Series] = {}
    labels: dict[str, str] = {}
    prefix = f"{TOTAL}:"
    for c in frame.columns:
        if str(c).startswith(prefix):
            key = f"reserve.{str(c).removeprefix(prefix)}"
            cols[key], labels[key] = frame[c], use_label(str(c).removeprefix(prefix))
    cols["reserve.used"], labels["reserve.used"] = frame[TOTAL], TOTAL_LABEL
    if "reserve_draw" in frame and "reserve_balance" in frame:
        cents = frame["reserve_balance"] * 100.0 - (frame["reserve_draw"] - frame[TOTAL]) * 100.0
        cols["reserve.topped_up"] = cents.round() / 100.0  # whole cents, as the waterfall's
        labels["reserve.topped_up"] = TOP_UP_LABEL
    return cols, labels
