"""ABS aggregates: note balances, tranche-loss distributions, trigger timing, one waterfall.

A run with a securitisation has a ``notes`` table (one row per path, period and note:
``balance_begin, interest_due, interest_paid, interest_shortfall, principal_paid,
balance_end, writedown``, deal-level ``fees_paid, reserve_balance, residual`` repeated on
each note's row, ``trigger_breached`` and one ``trigger_<name>`` flag per trigger). It may
also have a per-path note summary (``loss_pct, pv_loss_pct, any_loss, wal_years,
irr_annual``) and a
waterfall step log; when they are missing they are derived from ``notes``.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from dashboard.aggregate.portfolio import fan_table
from sim.abs.metrics import LOSS_MEASURES, records
from sim.abs.steps import measured_pool, oc_after_period
from sim.metrics import paths_to_resolve, resolvable

SOURCES = {"collections": "collections", "swap_receipt": "swap receipt",
           "sale_proceeds": "sale proceeds", "reserve_draw": "reserve brought forward"}
USES = {"pay_fees": "senior fees", "pay_swap": "swap payment", "pay_interest": "interest",
        "pay_principal": "principal", "reinvest": "reinvested",
        "fund_reserve": "reserve carried forward", "pay_residual": "residual"}
AVAILABLE = "available funds"


def note_names(notes: pd.DataFrame) -> list[str]:
    """Note names in order of seniority (order of first appearance)."""
    return list(pd.unique(notes["note"]))


def note_balance_fans(notes: pd.DataFrame) -> pd.DataFrame:
    """Percentiles across paths of each note's end-of-period balance.

    Returns:
        :func:`~dashboard.aggregate.portfolio.fan_table` output with ``series`` = note name
        and ``period`` as the time column.
    """
    wide = notes.pivot_table(index=["path", "period"], columns="note", values="balance_end",
                             sort=False).reset_index()
    names = note_names(notes)
    return fan_table(wide, names, key="period")


def note_metrics_per_path(notes: pd.DataFrame, summary: pd.DataFrame | None = None,
                          retained: dict | None = None) -> pd.DataFrame:
    """Per path and note: ``loss_pct, pv_loss_pct, any_loss, wal_years, irr_annual``.

    Uses the run's own note summary when it has one with the present-value loss, otherwise
    :func:`sim.abs.note_metrics` on the notes table when that records the coupon (a run
    stored before the PV loss), with the originator keeping the notes ``retained`` gives
    (the deal's ``retained`` key; None: the most junior note whole); otherwise the run's
    summary as it is (rated on its principal loss).
    """
    if (summary is not None and {"path", "note", "loss_pct"} <= set(summary.columns)
            and ("pv_loss_pct" in summary or "coupon" not in notes)):
        out = summary.copy()
        if "any_loss" not in out:
            out["any_loss"] = out["loss_pct"] > 0
        return out
    from sim.abs import note_metrics

    return note_metrics(notes, retained)


def loss_distribution(metrics: pd.DataFrame, bins: int = 30,
                      measure: str = "principal") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Histogram and exceedance curve of each note's loss by ``measure`` across paths.

    Args:
        metrics: Per path and note, with ``note`` and the measure's column
            (:data:`sim.abs.metrics.LOSS_MEASURES`: ``loss_pct``, the principal written
            down, nominal; ``pv_loss_pct``, the loss in present value at the note's promised
            rate), each a fraction of the note's original balance.
        bins: Histogram bins, shared by all notes, from 0 to the largest loss.
        measure: ``principal`` or ``pv``.

    Returns:
        ``(histogram, exceedance)``: ``note, left, right, share`` (share of paths whose loss
        falls in [left, right)) and ``note, loss, prob_exceed`` (share of paths losing more
        than ``loss``), on a grid of 101 points; both empty when ``metrics`` does not record
        the measure (the PV loss of a run stored before it, without the notes' coupons).
    """
    column = LOSS_MEASURES[measure]
    if not records(metrics, column):
        return (pd.DataFrame(columns=["note", "left", "right", "share"]),
                pd.DataFrame(columns=["note", "loss", "prob_exceed"]))
    top = max(float(metrics[column].max()), 1e-4)
    edges = np.linspace(0.0, top * 1.0001, bins + 1)
    grid = np.linspace(0.0, top, 101)
    hist, exceed = [], []
    for note in pd.unique(metrics["note"]):
        loss = np.sort(metrics.loc[metrics["note"] == note, column].dropna().to_numpy(float))
        counts, _ = np.histogram(loss, bins=edges)
        hist.append(pd.DataFrame({"note": note, "left": edges[:-1], "right": edges[1:],
                                  "share": counts / max(len(loss), 1)}))
        above = len(loss) - np.searchsorted(loss, grid, side="right")
        exceed.append(pd.DataFrame({"note": note, "loss": grid,
                                    "prob_exceed": above / max(len(loss), 1)}))
    return pd.concat(hist, ignore_index=True), pd.concat(exceed, ignore_index=True)


def tranche_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Expected loss, probability of loss, 95/99 % loss, implied rating, WAL and IRR per note."""
    from sim.abs import tranche_summary

    return tranche_summary(metrics)


def trigger_columns(notes: pd.DataFrame) -> list[str]:
    """The run's per-trigger flag columns, or ``trigger_breached`` when there are none."""
    cols = [c for c in notes.columns if c.startswith("trigger_") and c != "trigger_breached"]
    if not cols and "trigger_breached" in notes:
        cols = ["trigger_breached"]
    return cols


def trigger_timing(notes: pd.DataFrame) -> pd.DataFrame:
    """Per period and trigger: share of paths first in breach then, and in breach by then,
    up to the last period in which some note was outstanding on some path (a run keeps the
    deal's rows, all zero, up to its legal final period).

    Returns:
        Columns ``trigger, period, first_share, cumulative_share`` (fractions of paths).
        Empty when the deal has no trigger flags.
    """
    cols = trigger_columns(notes)
    if not cols:
        return pd.DataFrame(columns=["trigger", "period", "first_share", "cumulative_share"])
    deal = notes.drop_duplicates(["path", "period"])
    periods = np.sort(deal["period"].unique())
    if "balance_begin" in notes:  # the run keeps rows of zeros after the deal's last payment
        owed = notes.groupby("period")["balance_begin"].sum()
        if (owed > 0).any():
            periods = periods[periods <= owed.index[owed > 0].max()]
    n_paths = deal["path"].nunique()
    frames = []
    for col in cols:
        hit = deal.loc[deal[col].astype(bool), ["path", "period"]]
        first = hit.groupby("path")["period"].min()
        counts = first.value_counts().reindex(periods, fill_value=0).to_numpy()
        name = "any trigger" if col == "trigger_breached" else col.removeprefix("trigger_")
        frames.append(pd.DataFrame({"trigger": name, "period": periods,
                                    "first_share": counts / n_paths,
                                    "cumulative_share": np.cumsum(counts) / n_paths}))
    return pd.concat(frames, ignore_index=True)


def _step_label(step: str) -> tuple[str, str]:
    """(kind, label) of a step-log entry: kind is 'source', 'use' or 'skip'."""
    verb, _, note = step.partition(":")
    if verb in SOURCES:
        return "source", SOURCES[verb]
    if verb == "clear_pdl":  # earmarked cash, paid on by the principal step
        return "skip", step
    if verb in USES:
        return "use", f"{USES[verb]} {note}".strip()
    return "skip", step


def waterfall_flows_from_steps(steps: pd.DataFrame, path: int, period: int) -> pd.DataFrame:
    """Sankey links of one period's waterfall from a step log.

    The log is long (``path, period, step, amount``) or wide (``path, period`` and one
    column per step, named as in :attr:`sim.abs.WaterfallResult.steps`).

    Returns:
        Columns ``source, target, value``: sources of cash into ``available funds`` and
        ``available funds`` into each use, zero flows dropped.
    """
    rows = steps[(steps["path"] == path) & (steps["period"] == period)]
    if "step" in rows:
        amounts = rows.groupby("step", sort=False)["amount"].sum()
    else:
        amounts = rows.drop(columns=["path", "period"]).sum()
    links = []
    for step, value in amounts.items():
        kind, label = _step_label(str(step))
        if kind == "source":
            links.append((label, AVAILABLE, float(value)))
        elif kind == "use":
            links.append((AVAILABLE, label, float(value)))
    return _links(links)


def waterfall_flows_from_notes(notes: pd.DataFrame, path: int, period: int) -> pd.DataFrame:
    """Sankey links of one period's waterfall rebuilt from the notes table.

    Uses are senior fees, each note's interest and principal, and the residual; cash
    available but not shown by those (reserve carried forward, reinvestment) is ``other``.
    """
    rows = notes[(notes["path"] == path) & (notes["period"] == period)]
    if rows.empty:
        return _links([])
    first = rows.iloc[0]
    uses = [("senior fees", float(first.get("fees_paid", 0.0)))]
    for r in rows.itertuples(index=False):
        uses.append((f"interest {r.note}", float(r.interest_paid)))
    for r in rows.itertuples(index=False):
        uses.append((f"principal {r.note}", float(r.principal_paid)))
    if "reinvested" in rows:
        uses.append(("reinvested", float(first["reinvested"])))
    uses.append(("residual", float(first.get("residual", 0.0))))
    total = sum(v for _, v in uses)
    available = float(first["available"]) if "available" in rows else total
    if available - total > 1e-6:
        uses.append(("other (reserve, rounding)", available - total))
    links = [("collections and reserve", AVAILABLE, max(available, total))]
    links += [(AVAILABLE, label, value) for label, value in uses]
    return _links(links)


def _links(links: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(links, columns=["source", "target", "value"])
    return frame[frame["value"] > 1e-9].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# The tranche summary with its uncertainty, and the deal cash-flow report


SUMMARY_COLUMNS = [
    {"id": "note", "name": "note"},
    {"id": "expected_loss", "name": "expected loss, PV [95 % CI]",
     "title": "Mean over paths of the interest and principal the note was promised and did not "
              "receive, in present value at its promised rate, as a share of its original "
              "balance; 95 % confidence interval in brackets"},
    {"id": "principal_loss", "name": "principal loss",
     "title": "Mean over paths of the principal written down (nominal), as a share of the "
              "note's original balance"},
    {"id": "prob_loss", "name": "P(any loss) [Wilson 95 %]",
     "title": "Share of paths with a writedown or interest left unpaid above one cent; Wilson "
              "95 % interval in brackets"},
    {"id": "loss_p95", "name": "95 % loss",
     "title": "95th percentile across paths of the present-value loss (n/a below "
              f"{paths_to_resolve(0.95)} paths)"},
    {"id": "loss_p99", "name": "99 % loss",
     "title": "99th percentile across paths of the present-value loss (n/a below "
              f"{paths_to_resolve(0.99)} paths)"},
    {"id": "implied_rating", "name": "implied rating (at the WAL)",
     "title": "Moody's idealised cumulative expected-loss table read at the note's mean WAL "
              "(n/a, with the paths it needs, when the run cannot resolve it)"},
    {"id": "ratings_consistent", "name": "ratings consistent with the run",
     "title": "The ratings the 95 % interval of the expected loss allows, best to worst"},
    {"id": "wal_years", "name": "WAL (years)",
     "title": "Weighted average life in years, mean over paths"},
    {"id": "irr_annual", "name": "IRR (annual)",
     "title": "Internal rate of return, annual effective ((1 + monthly)^12 - 1), mean over paths"},
    {"id": "paths", "name": "paths", "title": "Paths of the run"},
]
"""Columns of the tranche summary table: every tranche number with the uncertainty of the run."""

SUMMARY_CAPTION = (
    "Expected loss (PV) = mean over paths of the interest and principal the note was promised "
    "and did not receive, in present value at its promised rate, as a share of its original "
    "balance (Moody's measure, to which its idealised table is calibrated: unpaid interest "
    "counts, a late writedown less than an early one), with a 95 % interval. Principal loss = "
    "mean principal written down, nominal (the charts below show its distribution). P(any "
    "loss), with its Wilson interval, counts paths with a writedown or interest left unpaid "
    "above one cent. The 95 % and 99 % losses are quantiles of the present-value loss "
    "across paths, 'n/a' when the run has too few paths to resolve them (as in 'creditsim "
    f"report': {paths_to_resolve(0.95)} paths for the 95 % loss, {paths_to_resolve(0.99)} for "
    "the 99 %). The implied rating reads Moody's idealised cumulative expected-loss table at "
    "the note's mean WAL (interpolated between its 1- to 10-year horizons; a note that never "
    "received principal is read at 10 years); a run of N paths cannot tell losses rarer than "
    "about 1/N from none, so the rating is 'n/a' (with the paths it would need) when the run "
    "cannot resolve it, and the ratings consistent with the interval are shown beside it. "
    "WAL and IRR are means over paths; the IRR is annual effective, (1 + monthly)^12 - 1, so "
    "a note repaid at par shows a little more than its coupon. The originator's IRR (the line "
    "under the table) is that of what it keeps, as the deal's 'retained' key says (by default "
    "the most junior note whole): its shares of the notes and the residual, having funded the "
    "reserve at closing."
)


def _pct(x: float, digits: int) -> str:
    return "" if x != x else f"{x:.{digits}%}"


def loss_quantile_cell(x: float, q: float, paths: int) -> str:
    """The ``q`` loss quantile as the CLI prints it (three decimals), or 'n/a' with the paths
    it needs when ``paths`` paths cannot resolve it (:func:`sim.metrics.resolvable`)."""
    if resolvable(q, paths):
        return _pct(x, 3)
    return f"n/a: needs >= {paths_to_resolve(q):,} paths"


def summary_rows(summary: pd.DataFrame) -> list[dict]:
    """Rows of the tranche summary (`sim.abs.tranche_summary` output), formatted, keyed by
    `SUMMARY_COLUMNS` (the originator's return, on what it keeps of several notes, is
    :func:`sim.abs.retention.originator_line`, under the table). Loss quantiles the run's
    paths cannot resolve are 'n/a', as in ``creditsim report``."""
    rows = []
    for r in summary.itertuples(index=False):
        rating = r.implied_rating if r.rating_resolved else (
            f"n/a: needs >= {int(r.paths_needed):,} paths")
        irr = _pct(r.irr_annual, 2)
        paths = int(r.paths)
        rows.append({
            "note": r.note,
            "expected_loss": f"{_pct(r.expected_loss, 3)} [{_pct(r.el_low, 3)}, "
                             f"{_pct(r.el_high, 3)}]",
            "principal_loss": _pct(r.principal_loss, 3),
            "prob_loss": f"{_pct(r.prob_loss, 1)} [{_pct(r.prob_loss_low, 1)}, "
                         f"{_pct(r.prob_loss_high, 1)}]",
            "loss_p95": loss_quantile_cell(r.loss_p95, 0.95, paths),
            "loss_p99": loss_quantile_cell(r.loss_p99, 0.99, paths),
            "implied_rating": rating,
            "ratings_consistent": r.rating_best if r.rating_best == r.rating_worst
            else f"{r.rating_best} to {r.rating_worst}",
            "wal_years": f"{r.wal_years:.2f}" if r.wal_years == r.wal_years else "",
            "irr_annual": irr, "paths": paths,
        })
    return rows


REPORT_GROUP_ALL = "all"


def report_table(report, group: str = REPORT_GROUP_ALL) -> tuple[list[dict], list[dict]]:  # noqa: ANN001
    """Columns and formatted rows of a `sim.deal_report.DealReport` for an HTML table.

    Args:
        report: The report (one path).
        group: One of ``report.groups()`` (``pool``, ``deal``, ``triggers``, ``note <name>``)
            or ``all``.

    Returns:
        ``(columns, rows)`` as `dashboard.pages.common.render_table` takes them.
    """
    from sim.report_tables import fmt_value

    groups = report.groups()
    cols = [c for g, cs in groups.items() if group in (REPORT_GROUP_ALL, g) for c in cs]
    columns = [{"id": "period", "name": "period"}] + [
        {"id": c, "name": report.labels.get(c, (c, ""))[0]} for c in cols]
    kinds = {c: report.labels.get(c, (c, "money"))[1] for c in cols}
    rows = [{"period": int(p), **{c: fmt_value(row[c], kinds[c]) for c in cols}}
            for p, row in report.table[cols].iterrows()]
    return columns, rows


@functools.lru_cache(maxsize=4)
def report_tables(folder: str) -> dict[str, pd.DataFrame]:
    """The tables a deal report reads, from a run folder (cached: a report is rebuilt at
    every change of path or group)."""
    from sim.deal_report import TABLES
    from sim.store import load_run

    manifest = load_run(folder, tables=()).manifest
    names = tuple(t for t in TABLES if t in manifest.get("tables", ()))
    return load_run(folder, tables=names).tables


# ----------------------------------------------------------------------------------------------
# Credit enhancement over time: excess spread, reserve, PDL and overcollateralisation


ENHANCEMENT = ("excess_spread", "reserve_balance", "reserve_requirement", "pdl_balance",
               "oc_share")
"""Series of :func:`credit_enhancement` drawn as fans, in the page's order."""
HALF_CENT = 0.005
"""Currency units below which a difference is float noise, not money: a reserve this close to
its requirement is not below it."""


def credit_enhancement(notes: pd.DataFrame, pool: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per path and period, the deal's protections as investor reports chart them.

    Args:
        notes: The run's ``notes`` table (one row per path, period and note; deal-level
            fields repeated on each note's row, docs/WATERFALL.md §6).
        pool: The run's ``pool`` table (one row per path and period), whose
            ``pool_balance_end`` is the pool behind the notes; without it, the waterfall's
            own ``pool_balance_end`` on the notes' rows is used.

    Returns:
        One row per (path, period), sorted, with the columns the run recorded among:
        ``excess_spread`` (net of losses, annualised, a fraction of the pool balance at the
        period's start: the deal field as it is), ``reserve_balance`` and
        ``reserve_requirement`` (currency units, end of period), ``pdl_balance`` (currency
        units, summed over the notes), ``pool_balance_end`` (the pool balance at the
        period's end as the waterfall measures it against the notes: rounded up to the cent,
        :func:`sim.abs.steps.measured_pool`), ``oc`` (:func:`sim.abs.steps.oc_after_period`:
        that pool less the notes' balance at the period's end, currency units, whole cents,
        as the deal report shows it) and ``oc_share`` (``oc`` / ``pool_balance_end``; NaN
        when the pool is empty).
        Periods after a path's deal ended (a clean-up call or its legal final period:
        ``active`` false) are NaN, so that they leave the percentiles; so are the balances
        (reserve, requirement, PDL, pool, OC) of the period it ended in, which are its wind-up
        (the reserve released, the ledgers closed by writedowns), not protection left.
    """
    keys = ["path", "period"]
    ordered = notes.sort_values(keys, kind="stable")
    deal = ordered.drop_duplicates(keys).set_index(keys)
    sums = ordered.groupby(keys, sort=True)[
        [c for c in ("balance_end", "pdl_balance") if c in notes]].sum()
    out = pd.DataFrame(index=deal.index)
    for col in ("excess_spread", "reserve_balance", "reserve_requirement"):
        if col in deal:
            out[col] = deal[col].astype(float)
    if "pdl_balance" in sums:
        out["pdl_balance"] = sums["pdl_balance"].astype(float)
    if pool is not None and "pool_balance_end" in pool:
        pool_end = pool.set_index(keys)["pool_balance_end"].reindex(out.index)
    else:
        pool_end = deal.get("pool_balance_end")
    if pool_end is not None:
        pool_end = pool_end.astype(float)
        owed = sums["balance_end"].reindex(out.index)
        out["pool_balance_end"] = measured_pool(pool_end)
        out["oc"] = oc_after_period(pool_end, owed)
        out["oc_share"] = out["oc"] / out["pool_balance_end"].where(out["pool_balance_end"] > 0)
    if "active" in deal:
        active = deal["active"].astype(bool)
        out.loc[~active.to_numpy()] = np.nan
        # the period a deal ends in (a call, the legal final period, the notes repaid) closes
        # its reserve, ledgers and pool: those balances at its end are the wind-up, not
        # protection left, and would read as a cure of the PDL; its excess spread stays. It
        # is an active period followed by an inactive one (a path's last period is followed
        # by nothing: a deal still active there has not ended)
        ended = active & ~active.groupby(level="path").shift(-1, fill_value=True)
        balances = [c for c in ("reserve_balance", "reserve_requirement", "pdl_balance",
                                "pool_balance_end", "oc", "oc_share") if c in out]
        out.loc[ended.to_numpy(), balances] = np.nan
    return out.reset_index()


def enhancement_fans(per_period: pd.DataFrame) -> pd.DataFrame:
    """:func:`~dashboard.aggregate.portfolio.fan_table` of the :data:`ENHANCEMENT` columns of
    :func:`credit_enhancement`, by period, up to the last period in which some path's deal
    was still active (a run keeps the deal's rows to the end of its horizon).

    Returns:
        Columns ``series, period, p5, p50, p95, mean, paths``: ``paths`` counts the paths
        whose deal was active in that period.
    """
    cols = [c for c in ENHANCEMENT if c in per_period]
    if not cols:  # a run stored before the deal recorded them
        return pd.DataFrame(columns=["series", "period", "p5", "p50", "p95", "mean", "paths"])
    fans = fan_table(per_period, cols, key="period")
    live = fans.loc[fans["paths"] > 0, "period"]
    if live.empty:
        return fans.iloc[0:0]
    return fans[fans["period"] <= live.max()].reset_index(drop=True)


def reserve_below_requirement(per_period: pd.DataFrame) -> tuple[int, int]:
    """``(paths, of)``: how many paths end some period with the reserve more than
    :data:`HALF_CENT` below its requirement (a draw the waterfall could not refill
    in that period), and the paths of the run. ``(0, of)`` when the run did not record the
    requirement."""
    of = int(per_period["path"].nunique())
    if not {"reserve_balance", "reserve_requirement"} <= set(per_period.columns):
        return 0, of
    below = (per_period["reserve_balance"]
             < per_period["reserve_requirement"] - HALF_CENT)
    return int(below.groupby(per_period["path"]).any().sum()), of


def deal_has_pdl(deal: dict | None, per_period: pd.DataFrame) -> bool:
    """Whether the deal keeps principal deficiency ledgers: its terms' ``pdl`` (the run's
    manifest), or, without the terms, whether some ledger ever held a balance."""
    if isinstance(deal, dict) and "pdl" in deal:
        return bool(deal["pdl"])
    return "pdl_balance" in per_period and bool((per_period["pdl_balance"] > 0).any())


def first_payment_month(deal: dict | None) -> int | None:
    """The month of the horizon (0-based, as the other pages chart months) whose end is the
    payment date of period 1, or None when the run does not say.

    The vehicle buys its pool at the end of month ``cutoff_month`` (counted from 1: the end
    of horizon month ``cutoff_month - 1``) and pays period ``p`` at the end of horizon
    month ``cutoff_month + p - 1`` on the collections of that month
    (:meth:`sim.agents.spv.SPV.on_month_end`).
    """
    if not isinstance(deal, dict):
        return None
    cutoff = deal.get("cutoff_month")
    return int(cutoff) if isinstance(cutoff, int | float) and cutoff >= 1 else None
