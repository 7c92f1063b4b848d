"""Terminal tables of the treasury reports: tranches with their rating range, the deal's
cash-flow report split to fit the screen, and breakevens (rich tables, built, not printed)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich import box
from rich.markup import escape
from rich.table import Table

from sim.deal_report import DealReport
from sim.metrics import resolvable
from sim.richtables import WholeTable
from sim.wording import paths_text

__all__ = [
    "breakeven_tables",
    "deal_report_tables",
    "fmt_value",
    "horizon_note",
    "rating_compare_table",
    "rating_footnote",
    "tranche_table",
]

RATING_NOTE = ("Implied rating: the expected loss against Moody's idealised cumulative "
               "expected-loss rates read at the note's mean WAL; the ratings consistent with "
               "the run are those of the 95 % interval of the expected loss, shown in "
               "brackets beside a rating when they are several; 'n/a' when the run has too "
               "few paths to resolve the rating (a run of N paths cannot tell losses rarer "
               "than about 1/N from none; see docs/REPORTS.md).")


def fmt_value(value: Any, kind: str) -> str:  # noqa: ANN401 - any cell of a report table
    """A report cell: money with thousands separators and cents, rates and ratios as per
    cent, flags yes/no, blank when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "flag":
        return "yes" if bool(value) else "no"
    if kind in ("rate", "ratio"):
        return f"{float(value):.2%}"
    if kind == "count":
        return f"{int(value):,}"
    return f"{float(value):,.2f}"


def _pct(x: float, digits: int = 3) -> str:
    return "" if x != x else f"{x:.{digits}%}"


def _quantile(x: float, q: float, paths: int) -> str:
    """A loss quantile, 'n/a' when ``paths`` paths cannot resolve it (`resolvable`)."""
    return _pct(x) if resolvable(q, paths) else "n/a"


def _short_rating(r) -> str:  # noqa: ANN001 - a tranche_summary row
    """The implied rating, with the ratings the run allows beside it when they are several
    (``Ba1 (Baa2 to Ba2)``: 6 paths place a point rating and the range around it), or
    'n/a' with the paths needed when the run cannot resolve it."""
    if not r.rating_resolved:
        return f"n/a: needs >= {int(r.paths_needed):,} paths"
    if r.rating_best == r.rating_worst:
        return r.implied_rating
    return f"{r.implied_rating} ({_span(r)})"


def _span(r) -> str:  # noqa: ANN001 - a tranche_summary row
    return r.rating_best if r.rating_best == r.rating_worst else (
        f"{r.rating_best} to {r.rating_worst}")


def tranche_table(summary: pd.DataFrame, title: str) -> list[Table]:
    """Two tables from `sim.abs.tranche_summary` output: each note's expected (present-value)
    loss ('EL (PV)') and nominal principal loss ('nominal loss'), P(loss), loss percentiles
    (of the expected loss's measure), WAL, IRR and implied rating ('n/a' with the paths it
    needs when the run cannot resolve it; loss percentiles 'n/a' when the paths cannot
    resolve them, `sim.metrics.resolvable`); then
    what the run's paths can tell: the 95 % intervals of the expected loss and of P(loss)
    (Wilson) and the range of ratings they allow."""
    main = WholeTable(title=title)
    for c in ("note", "EL (PV)", "nominal loss", "P(loss)", "loss p95", "loss p99", "WAL (y)",
              "IRR", "implied rating"):  # short headers: nine columns fit 80 characters
        main.add_column(c, justify="left" if c in ("note", "implied rating") else "right")
    sure = WholeTable(title=f"what {paths_text(int(summary.paths.max()))} can tell "
                            "(95 % intervals)", box=box.SIMPLE_HEAD)
    for c in ("note", "expected loss (PV)", "P(loss), Wilson", "ratings consistent",
              "read at WAL (y)"):
        sure.add_column(c, justify="left" if c in ("note", "ratings consistent") else "right")
    for r in summary.itertuples(index=False):
        wal = "" if r.wal_years != r.wal_years else f"{r.wal_years:.2f}"
        paths = int(r.paths)
        main.add_row(r.note, _pct(r.expected_loss), _pct(r.principal_loss),
                     _pct(r.prob_loss, 1), _quantile(r.loss_p95, 0.95, paths),
                     _quantile(r.loss_p99, 0.99, paths), wal,
                     _pct(r.irr_annual, 2), _short_rating(r))
        sure.add_row(r.note, escape(f"[{_pct(r.el_low)}, {_pct(r.el_high)}]"),
                     escape(f"[{_pct(r.prob_loss_low, 1)}, {_pct(r.prob_loss_high, 1)}]"), _span(r),
                     wal or "10 (no principal paid)")
    return [main, sure]


IRR_NOTE = ("IRR: the annual effective rate, (1 + monthly IRR)^12 - 1, of buying the note at par "
            "and receiving its interest and principal: a note repaid in full yields a little "
            "more than its coupon (e.g. 5.22 % for a 5.1 % coupon paid monthly; "
            "docs/REPORTS.md).")

LOSS_NOTE = ("EL (PV), the expected loss: the mean over paths of the interest and principal the "
             "note was promised and did not receive, in present value at its promised rate, as "
             "a share of its original balance (Moody's measure, to which its idealised table "
             "is calibrated: unpaid interest counts, a late writedown less than an early one); "
             "its percentiles and interval are of the same measure. Nominal loss: the "
             "principal loss, the mean principal written down, not discounted. P(loss): paths "
             "with a writedown or interest left unpaid above one cent.")
LOSS_NOTE_PRINCIPAL = ("Expected loss: this run was stored before the present-value loss was "
                       "recorded, so its expected loss, percentiles and rating are of the "
                       "principal written down (nominal), and P(loss) counts writedowns "
                       "only; run it again for the present-value measure.")


def rating_footnote(summary: pd.DataFrame) -> str:
    """The loss measures' note, the rating note, the IRR's convention, and the originator's
    return on what it keeps when the run records it
    (`sim.abs.retention.originator_line`)."""
    from sim.abs.retention import originator_line

    principal = "el_measure" in summary and (summary["el_measure"] == "principal").any()
    lines = [LOSS_NOTE_PRINCIPAL if principal else LOSS_NOTE, RATING_NOTE, IRR_NOTE,
             originator_line(summary)]
    return "\n".join(line for line in lines if line)


def horizon_note(tables: dict, deal: dict | None) -> str | None:
    """The warning that a run's tranche losses come from its horizon, not from defaults
    (:func:`sim.abs.metrics.horizon_writedowns` of its ``notes`` and ``pool`` tables), or
    None when they do not."""
    from sim.abs.metrics import horizon_writedowns

    if "notes" not in tables:
        return None
    found = horizon_writedowns(tables["notes"], tables.get("pool"), deal)
    if found is None:
        return None
    shares = ", ".join(f"{n} {v:.2%}" for n, v in found["notes"].items() if v > 0)
    left = ("" if found["pool_left"] != found["pool_left"] else
            f", while {found['pool_left']:,.2f} of receivables were still in the pool")
    return (f"Warning: deal.legal_final_period is not set, so the horizon's last month (period "
            f"{found['period']}) is the deal's legal final maturity. On "
            f"{found['paths']} of {paths_text(found['of'])} the notes still owed "
            f"{found['written_down']:,.2f} there (mean) and were written down{left}: "
            f"{shares} of the notes' balances. These losses come from the end of the "
            "simulation, not from defaults: lengthen book.horizon_months, or make the deal's "
            "end one of its terms (deal.legal_final_period or deal.clean_up_call).")


def rating_compare_table(a: pd.DataFrame, b: pd.DataFrame) -> Table:
    """Two runs' notes side by side: P(loss) with its Wilson interval and the implied rating
    with the range each run allows (`sim.abs.tranche_summary` outputs' ``rating_label``);
    A's notes first, then those only B has (runs of two deals)."""
    table = WholeTable(title="notes: implied ratings with the uncertainty of each run")
    for c in ("note", "A: P(loss) [Wilson 95%]", "A: implied rating", "B: P(loss) [Wilson 95%]",
              "B: implied rating"):
        table.add_column(c, justify="left" if "rating" in c or c == "note" else "right")
    right = {r.note: r for r in b.itertuples(index=False)}

    def cells(r) -> list[str]:  # noqa: ANN001 - a tranche_summary row
        return [escape(f"{_pct(r.prob_loss, 1)} [{_pct(r.prob_loss_low, 1)}, "
                       f"{_pct(r.prob_loss_high, 1)}]"), escape(r.rating_label)]

    for r in a.itertuples(index=False):
        other = cells(right[r.note]) if r.note in right else ["", "not in B"]
        table.add_row(r.note, *cells(r), *other)
    left = set(a["note"])
    for r in b.itertuples(index=False):  # B's own notes (another deal), after A's
        if r.note not in left:
            table.add_row(r.note, "", "not in A", *cells(r))
    return table


def _header(report: DealReport, col: str, group: str) -> str:
    label, _ = report.labels.get(col, (col, "money"))
    prefix = group.removeprefix("note ") + " "
    return label.removeprefix(prefix) if group.startswith("note ") else label


def _width(report: DealReport, col: str, group: str) -> int:
    kind = report.labels.get(col, (col, "money"))[1]
    cells = [len(fmt_value(v, kind)) for v in report.table[col].to_numpy()]
    words = max((len(w) for w in _header(report, col, group).split()), default=4)
    return max([words, *cells]) + 3


def deal_report_tables(report: DealReport, width: int) -> list[Table]:
    """The report as rich tables no wider than ``width`` characters: one group at a time
    (pool, deal, triggers, each note), a group's columns split over several tables when they
    do not fit; every table starts with the period. Each value keeps all its digits."""
    tables: list[Table] = []
    limit = width - 4  # a margin: rich's own measure of a column can exceed ours by a little
    for group, cols in report.groups().items():
        chunks: list[list[str]] = [[]]
        used = 10  # the period column and the outer borders
        for col in cols:
            w = _width(report, col, group)
            if chunks[-1] and used + w > limit:
                chunks.append([])
                used = 10
            chunks[-1].append(col)
            used += w
        for k, chunk in enumerate(chunks, start=1):
            part = f" ({k}/{len(chunks)})" if len(chunks) > 1 else ""
            t = WholeTable(title=f"{group}{part}", title_justify="left")
            t.add_column("period", justify="right", width=6)
            for col in chunk:  # the widest value and header word: nothing is cut
                t.add_column(_header(report, col, group), justify="right",
                             width=_width(report, col, group) - 3)
            kinds = [report.labels.get(c, (c, "money"))[1] for c in chunk]
            for period, row in zip(report.table.index, report.table[chunk].itertuples(
                    index=False), strict=True):
                t.add_row(str(period), *[fmt_value(v, k) for v, k in zip(row, kinds,
                                                                           strict=True)])
            tables.append(t)
    return tables


def breakeven_tables(result) -> list[Table]:  # noqa: ANN001 - a sim.breakeven.BreakevenResult
    """One table per stress: each note's breakeven across paths (median with its 95 %
    order-statistics interval, 10th and 90th percentiles), and the paths losing with no stress
    (1x, +0 points), not losing at the largest stress searched and losing at a stress of the
    grid but not at a larger one."""
    out: list[Table] = []
    for stress in result.stresses():
        rows = result.summary[result.summary["stress"] == stress]
        t = WholeTable(title=f"{result.title(stress)} ({paths_text(result.paths)}, "
                             f"seed {result.seed})", title_justify="left")
        for c in ("note", "median [95% CI]", "p10", "p90", result.UNSTRESSED_HEADS[stress],
                  "no loss at max", "not monotone"):
            t.add_column(c, justify="left" if c == "note" else "right")
        f = result.formatter(stress)
        for r in rows.itertuples(index=False):
            t.add_row(r.note, escape(f"{f(r.median)} [{f(r.median_low)}, {f(r.median_high)}]"),
                      f(r.p10), f(r.p90), f"{int(r.loses_unstressed)}", f"{int(r.never)}",
                      f"{int(r.not_monotone)}")
        out.append(t)
    return out
