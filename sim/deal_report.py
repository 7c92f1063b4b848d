"""The deal's cash-flow report: one path of a run, period by period, as a trustee reports it.

A trustee (or servicer) report lists, for each payment date, what the pool did (balance,
collections by type, defaults, delinquency, purchases, the pool sold at a clean-up call,
yield), the deal's other cash (sale proceeds, swap, reserve brought forward and its net
change, fees, residual: with the notes' payments, each period's cash in and out reconcile),
the deal's tests (excess spread, each trigger's value against its threshold, the reserve
against its requirement) and what each note received (interest, principal), what it still
owes (balance, factor), what it lost (writedown) and how much protection it has left (credit
enhancement). This module builds that table from a stored run, once, as a pandas DataFrame;
the command line prints and exports it and the dashboard shows and offers it for download.

Every column is read by name through one mapping (`DEAL_COLUMNS`, `NOTE_COLUMNS`): a column a
run does not have (an older run) is left out of the report with a note saying so.

The columns, their labels and units, and the report's dataclass are declared in
:mod:`sim.deal_columns`, each name importable from here; this module chooses the path, builds
the table and exports it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from sim import exports
from sim.abs.metrics import LOSS_MEASURES, check_loss_measure, records
from sim.abs.steps import floor_cents, measured_pool, oc_after_period
from sim.deal_columns import (
    ANNUALISED_POOL,
    DEAL_COLUMNS,
    DERIVED,
    LEGACY_NET,
    NOTE_COLUMNS,
    PDL_KEYS,
    POOL_BALANCES,
    SMALL_POOL,
    SWAP_COLUMNS,
    Column,
    DealReport,
)
from sim.deal_columns import TABLES as TABLES
from sim.exports import Export, export_frame
from sim.metrics import paths_to_resolve, resolvable
from sim.reserve_uses import TOTAL as RESERVE_USED
from sim.reserve_uses import reserve_columns
from sim.wording import paths_text

__all__ = [
    "DEAL_COLUMNS",
    "LOSS_NAMES",
    "NOTE_COLUMNS",
    "Column",
    "DealReport",
    "build_deal_report",
    "check_quantile",
    "export_table",
    "header",
    "money_columns",
    "note_losses",
    "path_at_quantile",
    "write_csv",
    "write_xlsx",
]


# ----------------------------------------------------------------------------------------------
# Choosing the path


LOSS_NAMES = {"principal": "principal loss", "pv": "PV loss"}
"""How the report's header names the loss measure that ranked the paths (`LOSS_MEASURES`)."""

NO_PV_LOSS = ("this run was stored before the PV loss was recorded: its paths rank by the "
              "principal loss only")
"""The refusal of ``pv`` on a run whose ``note_metrics`` has no ``pv_loss_pct`` (or none at
all): one line, as the command prints it."""


def note_losses(tables: Mapping[str, pd.DataFrame], note: str,
                measure: str = "principal") -> pd.Series:
    """Each path's loss on ``note`` by ``measure``, as a share of its original balance.

    The measures are those of `LOSS_MEASURES` (``creditsim breakeven --loss-measure``):
    ``principal``, the principal written down (``loss_pct``), or ``pv``, the interest and
    principal promised and not received, in present value at the note's promised rate
    (``pv_loss_pct``, `sim.abs.loss`). From ``note_metrics`` when the run has it; otherwise
    the principal loss from the ``notes`` table.

    Raises:
        ValueError: If ``measure`` is unknown, the run has no such note (the message lists
            the notes it has), or it does not record the PV loss asked for (`NO_PV_LOSS`).
    """
    check_loss_measure(measure)
    column = LOSS_MEASURES[measure]
    metrics = tables.get("note_metrics")
    if metrics is not None and records(metrics, column):
        rows = metrics[metrics["note"] == note]
        names = list(pd.unique(metrics["note"]))
        if rows.empty:
            raise ValueError(f"no note {note!r} in this run; its notes are {', '.join(names)}")
        return rows.set_index("path")[column].sort_index()
    notes = _require(tables, "notes")
    rows = notes[notes["note"] == note]
    if rows.empty:
        raise ValueError(f"no note {note!r} in this run; its notes are "
                         f"{', '.join(pd.unique(notes['note']))}")
    if measure == "pv":  # a run stored before it: a note_metrics without it, or none at all
        raise ValueError(NO_PV_LOSS)
    g = rows.sort_values("period").groupby("path")
    return (g["writedown"].sum() / g["balance_begin"].first()).sort_index()


def path_at_quantile(losses: pd.Series, q: float) -> int:
    """The path whose loss is the ``q`` quantile of the losses (inverted empirical CDF).

    Paths are ordered by loss, ties by path number; the path at position
    ``ceil(q * N) - 1`` (at least 0) is chosen, so the result is always a path of the run:
    the smallest loss L with at least a share q of paths losing L or less.

    Args:
        losses: Loss per path, indexed by path.
        q: Quantile, 0 <= q <= 1 (0: the best path, 1: the worst).

    Raises:
        ValueError: If q is outside [0, 1] or there are no paths.
    """
    if not (0.0 <= q <= 1.0) or math.isnan(q):
        raise ValueError(f"quantile must be between 0 and 1, got {q}")
    if losses.empty:
        raise ValueError("the run has no paths")
    order = sorted(zip(losses.to_numpy(float), losses.index, strict=True))
    return int(order[max(math.ceil(q * len(order)) - 1, 0)][1])


def check_quantile(q: float, paths: int) -> None:
    """Refuse a quantile that a run of ``paths`` paths cannot resolve (the rule of the
    tranche tables, :func:`sim.metrics.resolvable`): over fewer paths `path_at_quantile`
    would quietly return the best or the worst path. The extremes 0 and 1 ask for the best
    and the worst path themselves and are always allowed.

    Raises:
        ValueError: Naming the quantile, the paths it needs, the paths the run has and the
            quantiles they give.
    """
    if 0.0 < q < 1.0 and not resolvable(q, paths):
        need = f"the {q:g} quantile needs >= {paths_to_resolve(q):,} paths"
        if paths < 2:
            raise ValueError(f"{need}; this run has {paths_text(paths)}: give 0 or 1 (its one "
                             "path)")
        low = 1.0 / paths  # resolved from 1/n to 1 - 1/n; the ends offered are rounded inward
        first, last = math.ceil(low * 1e4) / 1e4, math.floor((1.0 - low) * 1e4) / 1e4
        middle = f"{first:g}" if first == last else f"{first:g} to {last:g}"
        raise ValueError(f"{need}; this run has {paths:,}, which give 0 (the best path), "
                         f"{middle} and 1 (the worst)")


# ----------------------------------------------------------------------------------------------
# Building the table


def _require(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    if name not in tables:
        raise ValueError(f"the run has no {name!r} table: it was run without a deal, so it has "
                         "no deal report")
    return tables[name]


def _deal_frame(tables: Mapping[str, pd.DataFrame], path: int) -> pd.DataFrame:
    """Deal-level columns of one path, one row per period, from every table that has some."""
    frames = []
    for name in ("pool", "waterfall", "notes"):
        t = tables.get(name)
        if t is None:
            continue
        rows = t[t["path"] == path]
        if name == "notes":
            rows = rows.drop_duplicates("period")
        frames.append(rows.set_index("period").drop(columns=["path", "note"], errors="ignore"))
    out = frames[0]
    for f in frames[1:]:
        out = out.join(f[[c for c in f.columns if c not in out.columns]], how="outer")
    return out.sort_index()


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return num.where(den > 0) / den.where(den > 0)


def _measured(pool: pd.Series) -> pd.Series:
    """A pool balance as the report shows it (`POOL_BALANCES`): rounded up to the cent
    (:func:`sim.abs.steps.measured_pool`)."""
    return pd.Series(measured_pool(pool.to_numpy(dtype=float)), pool.index, name=pool.name)


def _deal_columns(frame: pd.DataFrame, report: DealReport,
                  swap: bool = True) -> dict[str, pd.Series]:
    cols: dict[str, pd.Series] = {}
    legacy = "excess_spread_gross" not in frame and "excess_spread" in frame
    for c in DEAL_COLUMNS:
        if not swap and c.key in SWAP_COLUMNS:  # the deal has no swap: no column
            continue
        source = c.source
        if legacy and c.key == "deal.excess_spread_gross":
            source = "excess_spread"
        elif legacy and c.key == "deal.excess_spread_net":
            report.missing.append(f"{c.label}: {LEGACY_NET}")
            continue
        if source not in frame:
            report.missing.append(f"{c.label}: not recorded in this run ('{source}')")
            continue
        cols[c.key] = _measured(frame[source]) if c.key in POOL_BALANCES else frame[source]
        report.labels[c.key] = (c.label, c.kind)
    pool = frame.get("pool_balance_begin")
    if pool is not None:
        for key, source, scale in (("pool.yield", "interest", 12.0),
                                   ("pool.default_rate", "defaults", 12.0),
                                   ("pool.delinquency_ratio", "delinquent_balance", 1.0)):
            if source in frame:
                cols[key] = _ratio(frame[source], pool) * scale
                report.labels[key] = DERIVED[key]
    if "deal.reserve" in cols and "deal.reserve_draw" in cols:
        cols["deal.reserve_change"] = cols["deal.reserve"] - cols["deal.reserve_draw"]
        report.labels["deal.reserve_change"] = DERIVED["deal.reserve_change"]
    return cols


def _reserve_columns(frame: pd.DataFrame, report: DealReport) -> dict[str, pd.Series]:
    """The ``reserve`` group (:func:`sim.reserve_uses.reserve_columns`): what the reserve paid
    for, use by use, in all, and what it was then topped up by; a run recorded before it was
    has none, and `DealReport.missing` says so."""
    cols, labels = reserve_columns(frame)
    if not cols and "reserve_draw" in frame:
        report.missing.append(f"what the reserve paid for: not recorded in this run "
                              f"('{RESERVE_USED}')")
    report.labels.update({k: (label, "money") for k, label in labels.items()})
    return cols


def _oc_columns(tables: Mapping[str, pd.DataFrame], path: int, frame: pd.DataFrame,
                deal: Mapping | None, report: DealReport) -> dict[str, pd.Series]:
    """The overcollateralisation (OC) after the period's waterfall (docs/WATERFALL.md §5.7):
    ``deal.oc`` = :func:`sim.abs.steps.oc_after_period`, the pool balance at the end rounded
    up to the cent (as the report shows it, `POOL_BALANCES`) - the notes' balances at the
    end (currency units, whole cents; negative when the notes are above the pool): the OC
    the notes are paid down to keep, so that pool balance, end - the notes' balances = OC to
    the cent in every row. ``deal.oc_pct`` = OC / pool balance at the end as shown (blank
    once the pool is gone) and ``deal.oc_required``, the OC the notes are paid down to keep:
    with an ``overcollateralisation`` target, ``⌊max(target_pct × pool at the end,
    floor_pct × first pool)⌋`` (the first pool: period 1's pool balance at the start, as the
    waterfall reads it), else the OC at closing (``closing_oc``), either no more than the
    pool at the end as shown. A run without the pool's end balance has no OC column; without
    its deal's terms (``deal`` None) or, for a deal without a target, without
    ``closing_oc``, no required OC; each is said in `DealReport.missing`."""
    if "pool_balance_end" not in frame:
        report.missing.append("overcollateralisation: the run has no pool balance at the end "
                              "('pool_balance_end')")
        return {}
    notes = tables["notes"]
    pool_end = frame["pool_balance_end"]
    shown = _measured(pool_end)
    owed = notes[notes["path"] == path].groupby("period")["balance_end"].sum()
    cols = {"deal.oc": pd.Series(oc_after_period(pool_end, owed.reindex(pool_end.index)),
                                 pool_end.index)}
    cols["deal.oc_pct"] = _ratio(cols["deal.oc"], shown)
    terms = None if deal is None else deal.get("overcollateralisation")
    if terms is not None and "pool_balance_begin" in frame:
        first = float(frame["pool_balance_begin"].iloc[0]) * 100.0  # cents, as the waterfall
        target = floor_cents(np.maximum(float(terms["target_pct"]) * pool_end * 100.0,
                                        float(terms.get("floor_pct", 0.0)) * first)) / 100.0
        cols["deal.oc_required"] = np.minimum(pd.Series(target, pool_end.index), shown)
    elif deal is not None and terms is None and "closing_oc" in frame:
        cols["deal.oc_required"] = np.minimum(frame["closing_oc"], shown)
    else:
        why = ("the run's deal terms are not given" if deal is None else
               "not recorded in this run ('closing_oc')")
        report.missing.append(f"{DERIVED['deal.oc_required'][0]}: {why}")
    for key in cols:
        report.labels[key] = DERIVED[key]
    return cols


def _trigger_columns(tables: Mapping[str, pd.DataFrame], path: int,
                     report: DealReport) -> dict[str, pd.Series]:
    cols: dict[str, pd.Series] = {}
    trig = tables.get("triggers")
    if trig is not None and not trig.empty:
        rows = trig[trig["path"] == path]
        for name in pd.unique(trig["trigger"]):
            one = rows[rows["trigger"] == name].set_index("period")
            report.triggers.append(str(name))
            for part, kind in (("value", "ratio"), ("threshold", "ratio"), ("breached", "flag")):
                if part in one:
                    key = f"trigger.{name}.{part}"
                    cols[key] = one[part]
                    report.labels[key] = (f"{name} {part}", kind)
        return cols
    notes = tables["notes"]
    flags = [c for c in notes.columns if c.startswith("trigger_") and c != "trigger_breached"]
    if flags:
        report.missing.append("trigger values and thresholds: not recorded in this run "
                              "(no 'triggers' table); only breach states shown")
    rows = notes[notes["path"] == path].drop_duplicates("period").set_index("period")
    for c in flags:
        name = c.removeprefix("trigger_")
        report.triggers.append(name)
        cols[f"trigger.{name}.breached"] = rows[c]
        report.labels[f"trigger.{name}.breached"] = (f"{name} breached", "flag")
    return cols


def _note_columns(tables: Mapping[str, pd.DataFrame], path: int, deal: pd.DataFrame,
                  report: DealReport, pdl: bool = True) -> dict[str, pd.Series]:
    notes = tables["notes"]
    rows = notes[notes["path"] == path]
    cols: dict[str, pd.Series] = {}
    absent = [c for c in NOTE_COLUMNS if c.source not in notes]
    unkept = [] if pdl else [c for c in NOTE_COLUMNS if c.key in PDL_KEYS]  # no ledger
    report.missing += [f"note {c.label}: not recorded in this run ('{c.source}')"
                       for c in absent]
    senior_balance = 0.0
    pool_end = deal.get("pool_balance_end")
    if pool_end is not None:
        pool_end = _measured(pool_end)  # as the report shows it (`POOL_BALANCES`)
    reserve = deal["reserve_balance"] if "reserve_balance" in deal else 0.0
    for name in report.notes:
        one = rows[rows["note"] == name].set_index("period").sort_index()
        for c in NOTE_COLUMNS:
            if c in absent or c in unkept:
                continue
            key = f"note.{name}.{c.key}"
            cols[key] = one[c.source]
            report.labels[key] = (f"{name} {c.label}", c.kind)
        original = float(one["balance_begin"].iloc[0])
        key = f"note.{name}.factor"
        cols[key] = one["balance_end"] / original if original > 0 else one["balance_end"] * np.nan
        report.labels[key] = (f"{name} {DERIVED['factor'][0]}", "ratio")
        senior_balance = senior_balance + one["balance_end"]
        if pool_end is not None:
            key = f"note.{name}.credit_enhancement"
            backed = _ratio(pool_end + reserve - senior_balance, pool_end)
            cols[key] = backed.where(one["balance_end"] > 0)  # paid off (or gone): n/a
            report.labels[key] = (f"{name} {DERIVED['credit_enhancement'][0]}", "ratio")
    if pool_end is None:
        report.missing.append("credit enhancement: the run has no pool table "
                              "('pool_balance_end')")
    return cols


def build_deal_report(tables: Mapping[str, pd.DataFrame], path: int | None = None, *,
                      quantile: float | None = None, note: str | None = None,
                      measure: str = "principal", run_id: str = "",
                      deal: Mapping | None = None) -> DealReport:
    """Build one path's deal report from a run's tables.

    Credit enhancement of a note = (pool balance at the period's end + reserve balance - the
    end balances of this note and every note senior to it) / pool balance at the end (the
    pool's balances as the report shows them, rounded up to the cent: `POOL_BALANCES`): the
    share of the pool that can be lost before this note loses (negative: the note is not fully
    backed); blank (n/a) once the note is paid off or the pool is gone. Factor = note balance
    at the period's end / its original balance. The annualised pool rates (yield, default
    rate) are blank from the period in which the pool ends below the clean-up level
    (`SMALL_POOL`), and `DealReport.remarks` says so.

    Args:
        tables: The run's tables by name (`TABLES`; ``notes`` is required).
        path: The path to show (default: path 0, unless ``quantile`` is given).
        quantile: Show instead the path at this quantile of ``note``'s loss by ``measure``
            (`path_at_quantile`); 0, 1, or one the run's paths resolve (`check_quantile`).
            The selection names the measure and the path's loss by it.
        note: The note whose loss ``quantile`` ranks paths by (default: the most junior).
        measure: The loss ``quantile`` ranks paths by (`note_losses`, `LOSS_MEASURES`):
            ``principal`` (the principal written down) or ``pv`` (the loss in present
            value); checked whether or not a quantile is given.
        run_id: Shown in exports.
        deal: The run's deal terms (the manifest's ``config.deal``), when known: a deal
            without a principal deficiency ledger (``pdl`` false) has no PDL column, one
            without a swap (``swap`` None) no swap columns (`SWAP_COLUMNS`), and its
            clean-up call sets the small-pool level. Without them, the PDL and swap columns
            are shown and the level is `SMALL_POOL`.

    Returns:
        A `DealReport`.

    Raises:
        ValueError: If ``measure`` is unknown (`check_loss_measure`), the run has no deal,
            the path is not in the run, both ``path`` and ``quantile`` are given, the run's
            paths cannot resolve ``quantile`` (`check_quantile`), ``note`` is not one of the
            run's notes, or the run does not record the loss ``measure`` names
            (`note_losses`).
    """
    check_loss_measure(measure)
    notes = _require(tables, "notes")
    names = [str(n) for n in pd.unique(notes["note"])]
    paths = sorted(int(p) for p in pd.unique(notes["path"]))
    if path is not None and quantile is not None:
        raise ValueError("give either a path or a quantile, not both")
    if quantile is not None:
        check_quantile(quantile, len(paths))
        note = names[-1] if note is None else note
        losses = note_losses(tables, note, measure)
        path = path_at_quantile(losses, quantile)
        what = LOSS_NAMES[measure]
        selection = (f"path {path}: the {quantile:g} quantile of {note}'s {what} over "
                     f"{paths_text(len(paths))} (its {what} {float(losses.loc[path]):.4%})")
    else:
        path = paths[0] if path is None else int(path)
        if path not in paths:
            raise ValueError(f"path {path} is not in this run; it has paths "
                             f"{paths[0]} to {paths[-1]}")
        selection = f"path {path} of {len(paths)}"
    report = DealReport(pd.DataFrame(), path, selection, names, [], run_id=run_id)
    frame = _deal_frame(tables, path)
    swap = deal is None or "swap" not in deal or deal["swap"] is not None
    cols = _deal_columns(frame, report, swap=swap)
    cols.update(_reserve_columns(frame, report))
    cols.update(_oc_columns(tables, path, frame, deal, report))
    cols.update(_trigger_columns(tables, path, report))
    cols.update(_note_columns(tables, path, frame, report,
                              pdl=deal is None or bool(deal.get("pdl", True))))
    _blank_small_pool(cols, frame, _small_pool_share(deal), report)
    table = pd.DataFrame(cols)
    table.index.name = "period"
    order = sorted(table.columns, key=lambda c: _order(c, report))
    report.table = _until_wound_down(table[order], report)
    return report


def _small_pool_share(deal: Mapping | None) -> float:
    """The clean-up level as a share of the cut-off pool: the deal's call, else `SMALL_POOL`."""
    call = (deal or {}).get("clean_up_call") or {}
    return float(call.get("call_pct", SMALL_POOL))


def _blank_small_pool(cols: dict[str, pd.Series], frame: pd.DataFrame, share: float,
                      report: DealReport) -> None:
    """Blank the annualised pool rates from the period in which the pool ends below ``share``
    of the cut-off pool (its balance at the start of period 1), and say so."""
    if "pool_balance_end" not in frame or "pool_balance_begin" not in frame or frame.empty:
        return
    level = share * float(frame["pool_balance_begin"].iloc[0])
    small = (frame["pool_balance_end"] < level).cummax()
    rates = [k for k in ANNUALISED_POOL if k in cols]
    if not small.any() or not rates:
        return
    for key in rates:
        cols[key] = cols[key].where(~small)
    first = small.idxmax()
    labels = " and ".join(report.labels[k][0] for k in rates)
    report.remarks.append(
        f"{labels}: blank from period {first}, the period at whose end the pool is below the "
        f"clean-up level ({share:.0%} of the cut-off pool; a clean-up call ends it at 0): in a "
        "pool's last periods a few defaults annualise to figures that describe no rate (the "
        "amounts are in the money columns; excess spread and the triggers are shown as the "
        "waterfall computed them)")


def _until_wound_down(table: pd.DataFrame, report: DealReport) -> pd.DataFrame:
    """The periods up to the last one in which any amount moved: a deal ended by a clean-up
    call (or fully repaid) has nothing more to report, as a trustee's reports stop then."""
    money = [c for c in table.columns if report.labels.get(c, ("", ""))[1] == "money"]
    moved = (table[money].abs().sum(axis=1) > 0).to_numpy()
    if not moved.any() or moved[-1]:
        return table
    last = int(np.flatnonzero(moved)[-1])
    report.selection += (f"; the deal had wound down by period {table.index[last]}, later "
                         f"periods are left out")
    return table.iloc[: last + 1]


def _order(column: str, report: DealReport) -> tuple:
    """Report order: pool, deal, triggers (deal order), notes (seniority); within a group
    the mapping's order, derived columns after their sources."""
    keys = [c.key for c in DEAL_COLUMNS]
    head = column.split(".")
    if head[0] in ("pool", "deal"):
        pos = keys.index(column) if column in keys else len(keys)
        return (0 if head[0] == "pool" else 1, pos, column)
    if head[0] == "reserve":  # the uses in payment order (the insertion order), then totals
        last = ("reserve.used", "reserve.topped_up")
        pos = last.index(column) + 1 if column in last else 0
        return (2, pos, list(report.labels).index(column), column)
    if head[0] == "trigger":
        return (3, report.triggers.index(head[1]), ("value", "threshold", "breached").index(
            head[2]) if head[2] in ("value", "threshold", "breached") else 9, column)
    fields = [c.key for c in NOTE_COLUMNS] + ["factor", "credit_enhancement"]
    return (4, report.notes.index(head[1]), fields.index(head[2]), column)


# ----------------------------------------------------------------------------------------------
# Exports


def header(report: DealReport, column: str) -> str:
    """The column's header in the exports: its label and unit, e.g. ``senior balance, end
    (currency units)`` (the machine key, ``note.senior.balance``, is in the ``about`` sheet)."""
    return _columns(report)[column].header


def _columns(report: DealReport) -> dict[str, exports.Column]:
    """The exported column of each of the report's columns (:class:`sim.exports.Column`):
    its label, kind and the key the ``about`` sheet gives; two labels alike get their keys
    (``... [note.A.balance]``), so that no header is written twice."""
    labels = {c: report.labels.get(c, (c, "money")) for c in report.table.columns}
    names = [label for label, _ in labels.values()]
    return {c: exports.Column(c, label if names.count(label) == 1 else f"{label} [{c}]", kind,
                              "") for c, (label, kind) in labels.items()}


def deal_export(report: DealReport) -> Export:
    """The report as :mod:`sim.exports` writes it: sheet ``report``, the run's id, the path
    and the period first, then each column's label with its unit, and the ``about`` facts
    (the run, the path, how it was chosen, the conventions applied and what the run does not
    record)."""
    table = report.table.reset_index()
    table = table.rename(columns={table.columns[0]: "period"})
    table.insert(0, "path", report.path)
    table.insert(0, "run", report.run_id)  # a CSV says where it came from, as sim.exports'
    columns = (exports.Column("run", "run", "text", "the run's id"),
               exports.Column("path", "path", "text", "the path shown (see selection below)"),
               exports.Column("period", "period", "text", "the payment period (month)"),
               *_columns(report).values())
    facts = [("run", report.run_id), ("path", str(report.path)),
             ("selection", report.selection),
             ("units", "money in currency units (to the cent); rates annualised and ratios as "
                       "fractions (to 10 significant digits), shown as percentages; blank: n/a"),
             ("rounding", ROUNDING)]
    facts += [("note", m) for m in report.remarks]
    facts += [("not in this run", m) for m in report.missing]
    return Export("report", table, columns, tuple(facts))


ROUNDING = ("the waterfall pays whole cents, so its amounts (collections paid in, fees, the "
            "notes' interest and principal, reserve, residual, receivables bought) are exact "
            "and each period's cash in equals its cash out to 0.00; the pool is the "
            "vehicle's share of each account, in fractions of a cent: its balances (start and "
            "end) are rounded up to the cent, as the waterfall measures the pool against the "
            "notes, so that pool balance, end - the notes' balances = the OC, and its "
            "collections and defaults are each rounded to the cent on their own (the fraction "
            "of a cent left by rounding the collections down is carried to the next period's "
            "collections)")
"""The ``about`` sheet's note on rounding (docs/REPORTS.md, "Cents")."""


def money_columns(report: DealReport) -> list[str]:
    """The report's columns of kind ``money`` (currency units), as :data:`DEAL_COLUMNS`,
    :data:`NOTE_COLUMNS` and :data:`DERIVED` declare them (``report.labels``)."""
    return [c for c in report.table.columns if report.labels.get(c, (c, "money"))[1] == "money"]


def export_table(report: DealReport) -> pd.DataFrame:
    """The table as it is exported (:func:`sim.exports.export_frame`), without the run and
    path columns the files start with: one header row of labels with units
    (:func:`header`), the period as index; money rounded to cents (see
    :data:`ROUNDING`), rates and ratios to 10 significant digits, flags and counts as they
    are."""
    return export_frame(deal_export(report)).drop(columns=["run", "path"]).set_index("period")


def write_csv(report: DealReport, file: str | Path) -> Path:
    """Write the report's table as CSV, whole or not at all: one header row (``run``,
    ``path``, ``period``, then each column's label and unit), one row per period
    (:func:`export_table`)."""
    return exports.write_csv(deal_export(report), file)[0]  # one table: one file


def write_xlsx(report: DealReport, file: str | Path) -> Path:
    """Write the report as an Excel workbook, whole or not at all: sheet ``report`` holds the
    table under one header row (as the CSV: ``pd.read_excel(file, sheet_name="report")``
    reads numeric columns), rates and ratios formatted as percentages; sheet ``about`` maps
    each header to its machine key and unit and says what was chosen, the conventions
    applied and what the run does not record (:func:`sim.exports.write_xlsx`)."""
    return exports.write_xlsx(deal_export(report), file)[0]
