"""The commands that print a run's or a deal's tables: ``report``, ``rolls``,
``deal-report`` and ``breakeven``.

``report``, ``rolls`` and ``deal-report`` read a stored run (the summary, roll rates, a
path's deal cash flows); ``breakeven`` searches the stresses at which each note of a
config's deal first loses. Each can also write its numbers to ``--csv`` and ``--xlsx``
(:mod:`sim.exports`).
"""

from __future__ import annotations

import argparse

from rich.table import Table

from sim.cli_common import (
    _book_share,
    _check_exports,
    _command,
    _export,
    _export_files,
    _print_summary,
    _warn,
    console,
    err_console,
)
from sim.wording import paths_text, percents_adding_up


def cmd_report(args: argparse.Namespace) -> int:
    from sim.exports import summary_export
    from sim.metrics import summarise
    from sim.report import complete_paths
    from sim.store import load_run

    _check_exports(args)
    run = load_run(args.run, args.runs)
    note = complete_paths(run)
    if note:
        err_console.print(f"note: {note}", highlight=False)
    tranches = None
    if "note_metrics" in run.tables:
        from sim.abs import tranche_summary

        tranches = tranche_summary(run["note_metrics"])
    summary = summarise(run.paths)
    export = summary_export(run, summary, _command(args), tranches)
    written = _export(export, _export_files(args))
    _print_summary(run, summary, tranches)
    for file in written:
        print(file)
    return 0


def cmd_rolls(args: argparse.Namespace) -> int:
    import numpy as np

    from sim.delinquency import BUCKET_LABELS
    from sim.exports import rolls_export
    from sim.metrics import resolvable
    from sim.richtables import WholeTable
    from sim.rolls import MOVES, REDEFAULT_LEVELS, WEIGHTS, redefault_rates, transition_rates
    from sim.store import load_run

    _check_exports(args)
    run = load_run(args.run, args.runs, tables=("portfolio", "rolls"))
    # the 5th and 95th percentiles need 20 paths, as in `report`: n/a below
    spread = resolvable(0.05, int(run["rolls"]["path"].nunique()))
    by_weight = [transition_rates(run["rolls"], weight) for weight in WEIGHTS]
    # a run stored before the re-default columns still has its roll tables
    recorded = "reaged_window_closed" in run.portfolio
    redefaults = ({level: redefault_rates(run.portfolio, level) for level in REDEFAULT_LEVELS}
                  if recorded else {})
    written = _export(rolls_export(run, by_weight, spread, _command(args), redefaults),
                      _export_files(args))
    for weight, rates in zip(WEIGHTS, by_weight, strict=True):
        table = WholeTable(title=f"{run.run_id}: moves by the next month end, by {weight} "
                                 "(pooled; 5-95 % of paths; a row adds up to 100 %)")
        for c in ("bucket", weight, "cure", "re-age (not a cure)", "roll back", "stay",
                  "roll forward (incl. charge-off)"):
            table.add_column(c, justify="left" if c == "bucket" else "right")
        for r in rates.itertuples(index=False):
            shown = percents_adding_up([getattr(r, k) for k in MOVES])  # a row: 100.0 %
            cells = [f"{pct:.1f}% " + (f"[{getattr(r, k + '_p5'):.1%}, "
                                       f"{getattr(r, k + '_p95'):.1%}]" if spread
                                       else "\\[n/a]")
                     for k, pct in zip(MOVES, shown, strict=True)]
            table.add_row(BUCKET_LABELS[r.bucket], f"{r.base:,.0f}", *cells)
        console.print(table)
    if not recorded:
        _warn(f"note: run {run.run_id} was stored before the re-default rates were recorded: "
              "rerun it with 'creditsim run --from-manifest RUN' to get them (the tables "
              "above are complete; the exports leave the re-default columns blank)")
    for level, rate in redefaults.items():
        text = (f"{np.nanmean(rate):.1%}" if rate.notna().any()
                else "n/a (no 12-month window closed)")
        # reaged_redefaulted_30 counts 31+ days past due: the 31-60 bucket and beyond
        console.print(f"re-aged accounts {level + 1}+ days past due or charged off within 12 "
                      "months: "
                      f"{text} (mean of {paths_text(int(rate.notna().sum()))})", highlight=False)
    console.print("The accounts and balance columns are what a row's rates are shares of: "
                  "the bucket's account-months (an account in the bucket at three month ends "
                  "counts three times) and their balances at those month ends, in currency "
                  "units, each added up over every month end followed by another and every "
                  "path: a total over month ends, not the bucket's balance at any one time. "
                  "The rates shown are rounded to 0.1 % so that a row adds up to 100.0 % (the "
                  "largest remainder method: none is more than 0.1 point from its exact value); "
                  "--csv and --xlsx keep them in full precision. A move is from one month end "
                  "to the next, 30 days, the width of a bucket: "
                  "an account stays in its bucket or rolls back only by paying bills off, and "
                  "once its whole balance is called due (billing.acceleration_dpd) only paying "
                  "all of it (a cure) or a re-age stops it rolling: with the shipped terms "
                  "(the balance called due at 40 days) 'roll back' and 'stay' are near 0 from "
                  "31 days on. Definitions: docs/MODEL.md, 'Definitions: roll "
                  "rates, cures, re-ageing, vintages'.", style="dim", highlight=False)
    for file in written:
        print(file)
    return 0


def cmd_deal_report(args: argparse.Namespace) -> int:
    from sim.deal_report import TABLES, build_deal_report, check_quantile, deal_export
    from sim.report_tables import deal_report_tables, horizon_note
    from sim.store import load_run

    _check_exports(args)
    if args.path is not None and args.quantile is not None:
        raise ValueError("give either --path or --quantile, not both")
    if args.note is not None and args.quantile is None:
        raise ValueError("--note chooses the note whose loss --quantile ranks paths by; "
                         "give --quantile too")
    if args.loss_measure is not None and args.quantile is None:
        raise ValueError("--loss-measure chooses the loss --quantile ranks paths by; "
                         "give --quantile too")
    run = load_run(args.run, args.runs, tables=())
    if args.quantile is not None:  # before the tables are read
        check_quantile(args.quantile, int(run.manifest["paths"]))
    names = tuple(t for t in TABLES if t in run.manifest.get("tables", ()))
    run = load_run(args.run, args.runs, tables=names)
    report = build_deal_report(run.tables, args.path, quantile=args.quantile, note=args.note,
                               measure=args.loss_measure or "principal", run_id=run.run_id,
                               deal=run.manifest["config"].get("deal"))
    # exports first: a reader that stops reading the tables (| head) keeps them
    written = _export(deal_export(report), _export_files(args))
    if not args.quiet:
        console.print(f"Deal report of run {run.run_id}, {report.selection}", highlight=False)
        for table in deal_report_tables(report, console.width):
            console.print(table)
        console.print("Money in currency units; yield, default rate and excess spread "
                      "annualised; credit enhancement blank once the note is paid off "
                      "(definitions: docs/REPORTS.md).", style="dim", highlight=False)
        for line in report.remarks:
            console.print(f"Note: {line}.", style="dim", highlight=False)
    warning = horizon_note(run.tables, run.manifest["config"].get("deal"))
    if warning:
        err_console.print(warning, style="bold", highlight=False)
    for line in report.missing:
        err_console.print(f"note: left out: {line}", highlight=False)
    for file in written:
        print(file)
    return 0


def _breakeven_defaults_table(result) -> Table:  # noqa: ANN001 - a sim.breakeven.BreakevenResult
    """Each note's cumulative defaults at its breakeven multiple: the unit in which breakevens
    of one deal compare across scenarios."""
    from rich.markup import escape

    from sim.richtables import WholeTable

    rows = result.summary[result.summary["stress"] == "multiple"]
    t = WholeTable(title="Cumulative defaults over the deal's life, % of the cut-off pool",
                   title_justify="left")
    for c in ("note", "at the breakeven multiple: median [95% CI]", "at 1x: median"):
        t.add_column(c, justify="left" if c == "note" else "right")

    def pct(v: float) -> str:
        return "n/a" if v != v else "none" if v == float("inf") else f"{100 * v:.2f} %"

    for r in rows.itertuples(index=False):
        t.add_row(r.note, escape(f"{pct(r.defaults_median)} [{pct(r.defaults_low)}, "
                                 f"{pct(r.defaults_high)}]"), pct(r.base_defaults_median))
    return t


def cmd_breakeven(args: argparse.Namespace) -> int:
    from sim.breakeven import breakeven, check_breakeven
    from sim.config import load_config
    from sim.report_tables import breakeven_tables
    from sim.settings import configure
    from sim.shipped import resolve_config

    share = _book_share(args.book_share)
    _check_exports(args)  # before minutes of search
    config = load_config(configure(resolve_config(args.config), args.deal, args.set, share))
    paths = config.paths if args.paths is None else args.paths
    seed = config.seed if args.seed is None else args.seed
    stresses = ("multiple", "shock") if args.only is None else (args.only,)
    check_breakeven(config, stresses, args.loss_measure)  # before the progress bar shows

    from sim.montecarlo import progress_bar

    bar = progress_bar(err_console, disable=args.quiet)
    tasks = {s: bar.add_task(f"breakeven ({s})", total=paths) for s in stresses}
    with bar:
        result = breakeven(config, paths, seed, args.workers, stresses=stresses,
                           progress=lambda stress, done, total: bar.update(
                               tasks[stress], completed=done, total=total),
                           measure=args.loss_measure)
    # exports before the tables: a reader that stops reading them (| head) keeps them
    written = _export(result.export(config.name, _command(args)), _export_files(args))
    for stress, table in zip(result.stresses(), breakeven_tables(result), strict=True):
        console.print(table)
        if stress == "multiple":
            console.print(_breakeven_defaults_table(result))
    notes = {"multiple": "Multiple: the waterfall replayed on the run's pool collections with "
                         "each period's defaults (a share of the cut-off pool) scaled (1x: the "
                         "run itself; see docs/REPORTS.md); cumulative defaults at the "
                         "breakeven compare across scenarios, multiples need the same base "
                         "case.",
             "shock": "Shock: the engine re-run with the peak rise of unemployment set "
                      f"(+0 pts: no rise; shape in months: {result.shape_text}: "
                      f"{result.shape_source})."}
    loss = ("" if result.measure == "principal" else
            f" Loss measure: {result.LOSS_TEXTS[result.measure]}.")
    console.print(" ".join(notes[s] for s in stresses) + loss + " 'none': no loss at the largest "
                  "stress searched; 'not monotone': paths on which the note loses at a stress "
                  "searched and not at a larger one (the breakeven is then the first loss, not "
                  "a threshold); CI 'n/a': fewer than 6 paths; p10 and p90 'n/a': fewer than "
                  "10 paths.", style="dim", highlight=False)
    for file in written:
        print(file)
    return 0
