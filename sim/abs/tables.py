"""The waterfall's results as tables: one row per (path, period, note), the waterfall log
(one row per path and period, one column per step and per reported figure), one row per
(path, period, trigger); and the long-table entry point `run_waterfall`.

Tables are built once, from the `WaterfallResult` arrays (never inside the period loop).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from sim.abs.deal import Deal
from sim.abs.steps import DEAL_FIELDS, FLAG_FIELDS, NOTE_FIELDS
from sim.abs.waterfall import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    WaterfallResult,
    waterfall_arrays,
)

__all__ = [
    "LOG_DEAL_FIELDS",
    "LOG_NOTE_FIELDS",
    "result_to_frame",
    "run_waterfall",
    "steps_to_frame",
    "triggers_to_frame",
]


def _frame_to_arrays(collections: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Reshape a long collections table into (paths, periods) arrays and the path labels."""
    df = collections
    if "path" not in df.columns:
        df = df.assign(path=0)
    df = df.sort_values(["path", "period"], kind="stable")
    paths = df["path"].unique()
    n_paths = len(paths)
    n_periods = len(df) // max(n_paths, 1)
    periods = df["period"].to_numpy()
    expected = np.tile(np.arange(1, n_periods + 1), n_paths)
    if n_paths * n_periods != len(df) or not np.array_equal(periods, expected):
        raise ValueError("collections must have periods 1..T for every path, once each")
    cols = [c for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in df.columns]
    arrays = {c: df[c].to_numpy(dtype=float).reshape(n_paths, n_periods) for c in cols}
    return arrays, paths


def result_to_frame(result: WaterfallResult, paths: ArrayLike | None = None) -> pd.DataFrame:
    """One row per (path, period, note); deal-level columns are repeated on each note's row.

    Args:
        result: Output of `waterfall_arrays`.
        paths: Path labels in result order; defaults to 0..paths-1.

    Returns:
        Columns ``path, period, note``, then `NOTE_FIELDS`, then `DEAL_FIELDS`, `FLAG_FIELDS`,
        ``reserve_draw`` (the reserve brought into the period's funds; in period 1 the
        reserve funded at closing), ``closing_oc`` (the overcollateralisation at closing,
        the same on every row of a path) and one boolean ``trigger_<name>`` column per
        trigger.
        Columns may share memory with `result` (no copy is made where a reshape suffices).
    """
    n_paths, n_periods, n_notes = result.shape
    labels = np.arange(n_paths) if paths is None else np.asarray(paths)
    cols: dict[str, np.ndarray] = {
        "path": np.repeat(labels, n_periods * n_notes),
        "period": np.tile(np.repeat(np.arange(1, n_periods + 1), n_notes), n_paths),
        "note": np.tile(np.asarray(result.note_names, dtype=object), n_paths * n_periods),
    }
    for k in NOTE_FIELDS:
        cols[k] = result.notes[k].reshape(-1)
    for k in DEAL_FIELDS + FLAG_FIELDS:
        cols[k] = np.repeat(result.deal[k].reshape(-1), n_notes)
    # the reserve brought into each period (its opening balance in period 1: the reserve
    # funded at closing, which the residual holder's return counts, sim.abs.note_metrics)
    cols["reserve_draw"] = np.repeat(result.steps["reserve_draw"].reshape(-1), n_notes)
    if result.closing_oc is not None:  # the originator's part of the pool, on every row
        cols["closing_oc"] = np.repeat(result.closing_oc, n_periods * n_notes)
    for j, name in enumerate(result.trigger_names):
        cols[f"trigger_{name}"] = np.repeat(result.triggers[:, :, j].reshape(-1), n_notes)
    return pd.DataFrame(cols, copy=False)


LOG_DEAL_FIELDS = ("reserve_requirement", "reserve_balance", "excess_spread",
                   "excess_spread_gross", "pool_balance_end", "rounding_carried")
"""Deal-level figures the waterfall log carries after the steps (docs/WATERFALL.md §6)."""
LOG_NOTE_FIELDS = ("interest_paid", "principal_paid", "balance_end", "writedown",
                   "interest_shortfall")
"""Per-note figures the waterfall log carries, as ``<field>:<note>`` columns."""


def steps_to_frame(result: WaterfallResult, paths: ArrayLike | None = None) -> pd.DataFrame:
    """The waterfall log: one row per (path, period), the steps, then the period's figures.

    Columns are named as in `WaterfallResult.steps`: sources of cash (``collections``,
    ``swap_receipt``, ``sale_proceeds``, ``reserve_draw``, summing to ``available``), then
    every use in the order it is paid (``pay_fees``, ``pay_interest:<note>``, ...); then
    `LOG_DEAL_FIELDS`, per trigger ``trigger_<name>_value``, ``trigger_<name>_threshold`` and
    ``trigger_<name>_breached``, per note ``<field>:<note>`` for `LOG_NOTE_FIELDS`, and what
    the reserve paid for, as `WaterfallResult.reserve` names it (``reserve_used``, then
    ``reserve_used:<use>``).
    """
    n_paths, n_periods, _ = result.shape
    labels = np.arange(n_paths) if paths is None else np.asarray(paths)
    cols: dict[str, np.ndarray] = {
        "path": np.repeat(labels, n_periods),
        "period": np.tile(np.arange(1, n_periods + 1), n_paths),
    }
    cols.update({k: np.asarray(v, dtype=float).reshape(-1) for k, v in result.steps.items()})
    cols.update({k: result.deal[k].reshape(-1) for k in LOG_DEAL_FIELDS})
    values = (result.trigger_values if result.trigger_values is not None
              else np.full(result.triggers.shape, np.nan))
    for j, name in enumerate(result.trigger_names):
        cols[f"trigger_{name}_value"] = values[:, :, j].reshape(-1)
        cols[f"trigger_{name}_threshold"] = np.full(n_paths * n_periods,
                                                    result.trigger_thresholds[j])
        cols[f"trigger_{name}_breached"] = result.triggers[:, :, j].reshape(-1)
    for field_ in LOG_NOTE_FIELDS:
        for i, note in enumerate(result.note_names):
            cols[f"{field_}:{note}"] = result.notes[field_][:, :, i].reshape(-1)
    cols.update({k: v.reshape(-1) for k, v in result.reserve.items()})
    return pd.DataFrame(cols)


def triggers_to_frame(result: WaterfallResult, paths: ArrayLike | None = None) -> pd.DataFrame:
    """One row per (path, period, trigger): the tested ``value``, ``threshold`` and ``breached``.

    ``value`` is the cumulative default ratio, the delinquency ratio or the rolling average
    annualised excess spread; ``breached`` is the (sticky unless the deal says otherwise)
    breach state, which forces sequential principal and ends the revolving period.
    """
    n_paths, n_periods, _ = result.shape
    n_trig = len(result.trigger_names)
    labels = np.arange(n_paths) if paths is None else np.asarray(paths)
    values = (result.trigger_values if result.trigger_values is not None
              else np.full(result.triggers.shape, np.nan))
    return pd.DataFrame({
        "path": np.repeat(labels, n_periods * n_trig),
        "period": np.tile(np.repeat(np.arange(1, n_periods + 1), n_trig), n_paths),
        "trigger": np.tile(np.asarray(result.trigger_names, dtype=object), n_paths * n_periods),
        "value": values.reshape(-1),
        "threshold": np.tile(np.asarray(result.trigger_thresholds, dtype=float),
                             n_paths * n_periods),
        "breached": result.triggers.reshape(-1),
    })


def run_waterfall(deal: Deal | dict, collections: pd.DataFrame) -> pd.DataFrame:
    """Run the waterfall on a long collections table.

    Args:
        deal: Deal terms (`Deal` or a mapping validated into one).
        collections: One row per (path, period); ``path`` may be absent for a single path.
            Columns ``period`` (1..T), ``pool_balance_begin``, ``interest``, ``principal``,
            ``recoveries``, ``defaults``, and where the deal needs them ``delinquent_balance``
            and ``base_rate`` (annual).

    Returns:
        One row per (path, period, note); see `result_to_frame` and docs/WATERFALL.md.
    """
    arrays, paths = _frame_to_arrays(collections)
    return result_to_frame(waterfall_arrays(deal, arrays), paths)
