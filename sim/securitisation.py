"""Run-store tables of the securitisation vehicle, gathered from every path's SPV.

``notes`` (one row per path, period and note; see :func:`sim.abs.result_to_frame`),
``waterfall`` (the waterfall log: one row per path and period, one column per step in payment
order, then the reserve balance and requirement, the excess spread net and gross, the pool
balance at the period's end, each trigger's ``trigger_<name>_value``, ``_threshold`` and
``_breached``, and each note's ``interest_paid:<note>``, ``principal_paid:<note>``,
``balance_end:<note>``, ``writedown:<note>`` and ``interest_shortfall:<note>``, and what the
reserve paid for, ``reserve_used`` and ``reserve_used:<use>``; see
:func:`sim.abs.steps_to_frame`), ``triggers`` (each trigger's tested value, threshold and
breach state per path and period), ``pool`` (the vehicle's pool per path and period: the
waterfall's inputs and what it bought and sold; see :data:`sim.agents.spv.POOL_COLUMNS`),
``note_metrics`` (per path and note: loss, WAL, IRR; the originator's return on what it
keeps, ``deal.retained``) and ``trigger_metrics`` (per path and
trigger: whether and when it fired).
"""

from __future__ import annotations

import pandas as pd

from sim.abs import (
    Deal,
    note_metrics,
    result_to_frame,
    steps_to_frame,
    trigger_metrics,
    triggers_to_frame,
)
from sim.abs.metrics import records
from sim.engine import PathResult

NOTE_LOSS_COLUMNS = {"loss_pct": "note_loss_", "pv_loss_pct": "note_pv_loss_"}
"""The ``note_metrics`` column behind each per-path note loss of the ``paths`` table, and the
prefix its ``<prefix><note>`` columns take (:func:`note_loss_columns`)."""


def abs_tables(results: list[PathResult], deal: Deal | None = None) -> dict[str, pd.DataFrame]:
    """The vehicle's tables for a run's paths, or an empty dict when the run has no deal.

    ``deal``: the run's deal terms, whose ``retained`` notes the originator's return in
    ``note_metrics`` counts (None: the most junior note whole)."""
    done = [r for r in results if r.waterfall is not None]
    if not done:
        return {}

    def gather(frame) -> pd.DataFrame:
        return pd.concat([frame(r.waterfall, [r.path]) for r in done], ignore_index=True)

    notes = gather(result_to_frame)
    pool = pd.concat([pd.DataFrame({"path": r.path, **(r.pool or {})}) for r in done],
                     ignore_index=True)
    first = ["path", "period"]
    pool = pool[first + [c for c in pool.columns if c not in first]]
    return {
        "notes": notes,
        "waterfall": gather(steps_to_frame),
        "triggers": gather(triggers_to_frame),
        "pool": pool,
        "note_metrics": note_metrics(notes, None if deal is None else deal.retained),
        "trigger_metrics": trigger_metrics(notes),
    }


def note_loss_columns(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per path, each note's two losses as shares of its original balance: ``note_loss_<note>``
    (the principal written down, nominal: ``loss_pct``) for every note, then
    ``note_pv_loss_<note>`` (the interest and principal promised and not received, in present
    value at the note's promised rate: ``pv_loss_pct``, :func:`sim.abs.loss.pv_loss`) for
    every note. The PV columns are left out when ``metrics`` does not record the PV loss (a
    run stored before it, or whose notes table has no coupon: NaN on every row)."""
    order = list(pd.unique(metrics["note"]))
    frames = []
    for column, prefix in NOTE_LOSS_COLUMNS.items():
        if not records(metrics, column):
            continue
        wide = metrics.pivot(index="path", columns="note", values=column)[order]
        wide.columns = [f"{prefix}{c}" for c in wide.columns]
        frames.append(wide)
    return pd.concat(frames, axis=1).reset_index()
