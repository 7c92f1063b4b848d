"""The ``creditsim`` command: a thin layer over :mod:`sim.api` and the run store.

Bad input (a missing or invalid config, a run folder that is not a run, out-of-range
options) prints one clear message to stderr and exits with status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sim.argtypes import ArgumentParser, Once, parse_number, whole_number
from sim.arguments import MAX_WORKERS
from sim.config import (
    MAX_LAUNCH_BORROWERS,
    MAX_PATHS,
    MAX_SEED,
    ConfigError,
    ConfigWarning,
    config_reference,
)
from sim.pool import WorkerDied
from sim.signals import handled
from sim.store import RunLost, RunNotFound
from sim.wording import paths_text, percents_adding_up

# to a file or a pipe: tables at 132 columns, and a message on one line however long (a log
# is read with grep; a terminal wraps it at its own width)
console = Console(width=None if sys.stdout.isatty() else 132,
                  soft_wrap=not sys.stdout.isatty())
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 132,
                      soft_wrap=not sys.stderr.isatty())
CONFIG_HELP = ("YAML config file, or the name of a shipped config (e.g. baseline, recession, "
               "aggressive)")
"""The help of every command's CONFIG argument: a shipped name works wherever a file does."""
LOSS_MEASURE_CHOICES = ("principal", "pv")
"""``--loss-measure`` of ``breakeven`` and ``deal-report``: the names of
:data:`sim.abs.metrics.LOSS_MEASURES`, written out so that the parser needs no pandas."""


def bounded_number(name: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, written as a config file
    takes it (``1000``, ``1e3``, ``1000.0``: :func:`sim.argtypes.parse_number`), refused with
    the message of :func:`sim.arguments.whole_number` (the Python API's) naming the value as
    it was written (``paths = 1.5: must be a whole number from 1 to 100,000``)."""

    def parse(text: str) -> int:
        from sim.arguments import ArgumentError, whole_number_refusal
        from sim.arguments import whole_number as check

        number = parse_number(text)
        if isinstance(number, int) and low <= number <= high:
            return number
        if number is None:  # no number: the text, quoted and cut short
            try:
                return check(name, text, low, high)
            except ArgumentError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
        raise argparse.ArgumentTypeError(whole_number_refusal(name, _shown(text), low, high))

    return parse


def _book_share(text: str | None) -> float | None:
    """``--book-share FRACTION`` as a number above 0 and at most 1 (None when not given),
    checked by the command rather than the parser, so that a refusal is one error line."""
    if text is None:
        return None
    share = parse_number(text)
    if share is None or not 0 < share <= 1:  # NaN and infinities too
        raise ValueError(f"--book-share {_shown(text)}: give the book's size as a share of the "
                         "config's, above 0 and at most 1 (0.1: a tenth of its borrowers)")
    return float(share)


def _shown(text: str) -> str:
    """A refused argument as an error names it: stripped, cut to 40 characters."""
    return text.strip() if len(text.strip()) <= 40 else f"{text.strip()[:37]}..."


BOOK_SHARE_HELP = ("run a smaller book: FRACTION (above 0, at most 1) of the config's "
                   "borrowers at launch and each month, with each human collector's calls a "
                   "day and monthly cost scaled alike, so the team's calls and cost per "
                   "borrower stay the config's (as the dashboard's Launch page sizes a book); "
                   "the manifest records the changed keys as overrides; --set wins over it")
"""``--book-share``'s help (``run``, ``run-set``, ``breakeven`` and ``trace``)."""

_paths = bounded_number("paths", 1, MAX_PATHS)
_seed = bounded_number("seed", 0, MAX_SEED)
_workers = bounded_number("workers", 1, MAX_WORKERS)
SLOTS_RULE = ("book.initial_borrowers + book.new_borrowers_per_month x "
              "(book.horizon_months - 1)")
"""How many borrower slots a config's book has (:attr:`sim.config.RunConfig.capacity`), as
``trace``'s refusals say it."""


def _borrower(text: str) -> int:
    """An argparse type: a whole number, written as :func:`bounded_number` takes one. Its
    range is the traced config's book (``0`` to ``capacity - 1``), which the parser does not
    know: :func:`cmd_trace` checks it once the config is loaded, before any simulation."""
    number = parse_number(text)
    if isinstance(number, int):
        return number
    shown = _shown(text)
    raise argparse.ArgumentTypeError(
        f"borrower = {shown if number is not None else repr(shown)}: must be a whole number, "
        f"a borrower slot of the config's book (0 up to {SLOTS_RULE}, less 1)")


_launch_book = bounded_number("sizes", 1, MAX_LAUNCH_BORROWERS)  # book.initial_borrowers


def _quantile(text: str) -> float:
    """An argparse type: a number between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; give a quantile from 0 to 1")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    import sim
    from sim.config import load_config
    from sim.settings import configure
    from sim.shipped import resolve_config

    share = _book_share(args.book_share)
    if args.set and (args.resume is not None or args.from_manifest is not None):
        from sim.settings import stored_run_refusal

        raise ValueError(stored_run_refusal(args.resume))
    if share is not None and (args.resume is not None or args.from_manifest is not None):
        raise ValueError("--book-share scales the book of a new run; a stored run keeps the "
                         "book it was started with (recorded in its manifest): give no "
                         "--book-share")
    if args.resume is not None:
        return _resume(args)
    if args.from_manifest is not None:
        return _rerun(args)
    if args.config is None:
        raise ValueError("give a CONFIG file to run, or --from-manifest RUN to rerun a stored run")
    config = resolve_config(args.config)
    # read once (a file's warnings are said once), --deal and --set validated after both;
    # the manifest records what they changed from the file
    read = load_config(config)
    given = load_config(configure(read, args.deal, args.set, share))
    if args.set:
        from sim.settings import unscaled_collectors

        _warn(unscaled_collectors(read, given, args.set))
    if not args.quiet:
        _say_estimate(given, args)
    result = None
    try:
        result = sim.run(given, paths=args.paths, seed=args.seed,
                         workers=args.workers, out=args.out, scheduler=args.scheduler,
                         progress=not args.quiet, base=config)
        if not args.quiet:
            _print_summary(result)
        print(result.path)
    except KeyboardInterrupt as exc:
        if result is not None and result.path is not None:
            err_console.print(f"interrupted after the run was stored: {result.path} is complete",
                              highlight=False)
        else:
            _interrupted(exc)
        return 130
    return 0


def _say_estimate(cfg, args: argparse.Namespace) -> None:  # noqa: ANN001 - a RunConfig
    """Before a large run, its estimated time and disk (:mod:`sim.estimate`), on stderr."""
    from sim.estimate import estimate_run

    estimate = estimate_run(cfg, cfg.paths if args.paths is None else args.paths,
                            args.workers, None if args.scheduler else args.out)
    if estimate is not None:
        err_console.print(estimate.text(), highlight=False)


def _interrupted(exc: KeyboardInterrupt) -> None:
    """Ctrl-C before a run was stored: say so, and where the paths done so far are kept."""
    from sim.store import RunInterrupted

    text = "interrupted before the run was stored; no run was written"
    if isinstance(exc, RunInterrupted) and exc.done:
        text += (f" ({exc.done} of {exc.total} paths are kept in {exc.folder}: continue with "
                 f"'creditsim run --resume {exc.folder}')")
    elif isinstance(exc, RunInterrupted):  # the folder stays, with the run's settings only
        text += (f" (no path had finished; {exc.folder} holds only the run's settings: "
                 f"'creditsim run --resume {exc.folder}' starts it again, or delete it)")
    err_console.print(text, highlight=False, soft_wrap=True)  # a path to copy, unbroken


def _resume(args: argparse.Namespace) -> int:
    """``creditsim run [CONFIG] --resume RUN_DIR``: continue a stopped run (see sim.resume)."""
    from sim.config import load_config
    from sim.resume import resume
    from sim.settings import with_deal
    from sim.shipped import resolve_config

    if args.from_manifest is not None:
        raise ValueError("give either --resume or --from-manifest, not both")
    config = None
    if args.config is not None:
        config = load_config(with_deal(resolve_config(args.config), args.deal))
    try:
        result = resume(args.resume, config, seed=args.seed, paths=args.paths,
                        workers=args.workers, scheduler=args.scheduler, progress=not args.quiet)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
        return 130
    if not args.quiet:
        _print_summary(result)
    print(result.path)
    return 0


def _rerun(args: argparse.Namespace) -> int:
    """``creditsim run --from-manifest RUN``: the stored run's config, seed and paths."""
    from sim.rerun import rerun

    given = [f"--{k}" for k in ("paths", "seed", "deal") if getattr(args, k) is not None]
    if args.config is not None or given:
        raise ValueError("--from-manifest reruns a stored run exactly: give no CONFIG"
                         + (f" and no {', '.join(given)}" if given else ""))
    result, changed = rerun(args.from_manifest, args.out, out=args.out, workers=args.workers,
                            scheduler=args.scheduler, progress=not args.quiet)
    for line in changed:
        err_console.print(f"warning: the code differs from the stored run's: {line}; "
                          "results may differ", highlight=False)
    if not args.quiet:
        _print_summary(result)
    print(result.path)
    return 0


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


def _check_exports(args: argparse.Namespace) -> None:
    """Refuse ``--csv`` and ``--xlsx`` files that cannot be written, before any work."""
    from sim.outfiles import check_output_file

    check_output_file(args.csv, "--csv", ".csv")
    check_output_file(args.xlsx, "--xlsx", ".xlsx")


def _export_files(args: argparse.Namespace) -> tuple:
    """The ``(option, path, writer)`` of ``--csv`` and ``--xlsx`` for :func:`_export`, with
    the policy tables' writers (:mod:`sim.exports`)."""
    from sim.exports import write_csv, write_xlsx

    return (("--csv", args.csv, write_csv), ("--xlsx", args.xlsx, write_xlsx))


def _command(args: argparse.Namespace) -> str:
    """The command line that was given, for an export's ``about`` sheet."""
    import shlex

    return shlex.join(["creditsim", *getattr(args, "argv", [args.command])])


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


def _print_tranches(run, summary=None) -> None:  # noqa: ANN001 - a sim.store.Run, its tranches
    """Each note's loss distribution across paths, WAL, IRR and implied rating with its range
    (``summary``: the run's :func:`sim.abs.tranche_summary`, computed when not given)."""
    from sim.abs import tranche_summary
    from sim.report_tables import horizon_note, rating_footnote, tranche_table

    deal = run.manifest["config"].get("deal") or {}
    if summary is None:
        summary = tranche_summary(run["note_metrics"])
    for table in tranche_table(summary, f"deal {deal.get('name', '')}: tranche losses over "
                                        f"{paths_text(int(summary.paths.max()))} (loss = share "
                                        "of the note's balance)"):
        console.print(table)
    console.print(rating_footnote(summary), style="dim", highlight=False)
    warning = horizon_note(run.tables, deal)
    if warning:
        err_console.print(warning, style="bold", highlight=False)


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


def _export(export, files) -> list:  # noqa: ANN001 - a sim.exports.Export, (option, path, writer)s
    """Write ``export`` with each ``(option, path, writer)`` whose path is given; the paths
    written, in order. A failed write is an error naming the option. The files a CSV
    writes beside the given one (its further tables, :func:`sim.exports.csv_files`) are
    checked before any file is written."""
    from sim.exports import csv_files
    from sim.outfiles import check_output_file, write_failed

    for option, file, _ in files:
        if file and option == "--csv":
            for beside, _part in csv_files(export, file)[1:]:
                check_output_file(beside, option)
    written = []
    for option, file, write in files:
        try:
            if file:
                written += write(export, file)
        except OSError as exc:
            raise write_failed(option, file, exc) from None
    return written


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


def _refuse_changes_of_a_stored_run(args: argparse.Namespace, scaled: bool) -> None:
    """``trace RUN_DIR`` with ``--set`` or ``--book-share`` (``scaled``): a stored run is
    traced with the config and book it was run with, so a change is refused."""
    from sim.settings import traced_run_refusal
    from sim.store import MANIFEST, PROGRESS

    given = Path(args.config)
    if not (given.is_dir() and ((given / MANIFEST).is_file() or (given / PROGRESS).is_file())):
        return
    if args.set:
        raise ValueError(traced_run_refusal(args.config))
    if scaled:
        raise ValueError(f"--book-share scales a config's book; {args.config} is a stored run, "
                         "traced with the book it was run with: trace it without --book-share, "
                         "or trace a config file with --book-share")


def cmd_trace(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from sim.config import load_config
    from sim.reference import stored_run_replay, trace_borrower
    from sim.reference.trace import missed_and_cured
    from sim.settings import configure
    from sim.shipped import resolve_config
    from sim.store import MANIFEST, PROGRESS, load_run, resolve_run

    if not args.config.strip():  # Path('') is the current folder: neither a config nor a run
        raise ValueError(f"an empty name was given for CONFIG ({args.config!r}); give a config "
                         "file, a shipped config (e.g. baseline) or a stored run's folder (e.g. "
                         "runs/<run_id>)")
    share = _book_share(args.book_share)
    given = Path(args.config)
    _refuse_changes_of_a_stored_run(args, share is not None)
    if given.is_dir() and (given / PROGRESS).is_file() and not (given / MANIFEST).is_file():
        resolve_run(given)  # a stopped run: says so, and how to continue it
    if given.is_dir() and (given / MANIFEST).is_file():  # a stored run: its config and seed
        run = load_run(given, tables=())
        config, config_seed, paths = stored_run_replay(run.manifest)
        if args.path >= paths:
            raise ValueError(f"--path {args.path}: run {run.run_id} has paths 0 to {paths - 1}")
    else:  # --set as run's: applied to the file, validated once (sim.settings.configure)
        config = load_config(configure(resolve_config(args.config), None, args.set, share))
        config_seed = config.seed
    seed = config_seed if args.seed is None else args.seed
    if args.examples:
        return _trace_examples(config, seed, args.path)
    if not 0 <= args.borrower < config.capacity:
        raise ValueError(f"--borrower {args.borrower}: this config's book has borrower slots "
                         f"0 to {config.capacity - 1:,} ({SLOTS_RULE})")
    # the reference engine re-simulates the whole book's path: seconds on a large book
    with err_console.status(f"simulating path {args.path} of {config.name} for borrower "
                            f"{args.borrower}"):
        rows = trace_borrower(config, seed, args.path, args.borrower)
    if not rows:
        raise ValueError(f"borrower {args.borrower} was never onboarded in this run")
    trace = pd.DataFrame(rows)
    cols = ["day", "event", "employed", "income", "savings", "score", "limit", "balance",
            "dpd", "contractual_dpd", "re_aged", "active"]
    cols += [c for c in ("bill", "fee", "expense", "owed", "paid", "purchase", "written_off",
                         "dpd_at_charge_off", "recovered", "sale_proceeds")
             if c in trace.columns]
    missed, cured = missed_and_cured(trace)  # said in the event's cell
    trace["event"] = (trace["event"] + np.where(missed, ": missed", "")
                      + np.where(cured, ": cured", ""))
    kind = trace["type"].iloc[0] if "type" in trace.columns else "unknown"
    table = Table(title=f"borrower {args.borrower}, repayment type '{kind}' "
                        f"(repayment.types), path {args.path}, seed {seed}",
                  caption=trace_caption(cols))
    for c in cols:  # "contractual_dpd" over two lines: narrower columns, nothing cut
        table.add_column(c.replace("_", "\n"), justify="left" if c == "event" else "right",
                         no_wrap=True)
    for row in trace[cols].itertuples(index=False):
        table.add_row(*[_fmt(v, c) for v, c in zip(row, cols, strict=True)])
    # Into a file or a pipe, the whole table: a cut cell ("4,1…") would lose the number.
    whole = Console(width=1000).measure(table).maximum
    (console if console.is_terminal else Console(width=whole)).print(table)
    return 0


TRACE_CAPTION = (
    "Each row: the borrower's state after the event. day: days since the book opened (30 a "
    "month). Money in currency units. savings below 0: debts elsewhere (overdraft, arrears, "
    "family; docs/MODEL.md). dpd: days past due as reported; contractual dpd: as if never "
    "re-aged.")
"""The legend under ``creditsim trace``'s table, of the columns every trace has."""
TRACE_NOTES = (
    ("bill", "bill, fee: the statement's bill (all unpaid) and fees added."),
    ("owed", "owed, paid: what was due and paid at a due date ('missed': less than owed; a "
             "bill is past due from the next day); paid also on a collection contact."),
    ("written_off", "written off, dpd at charge off: the balance written off and its days "
                    "past due then."),
)
"""The legend's words on a column a trace may lack, by that column."""


def trace_caption(columns: list[str]) -> str:
    """The legend under ``creditsim trace``'s table: :data:`TRACE_CAPTION` and the notes of
    :data:`TRACE_NOTES` on the ``columns`` it has, naming only those (``sale_proceeds``
    only when the closed account's debt was sold)."""
    words = [TRACE_CAPTION, *(text for column, text in TRACE_NOTES if column in columns)]
    closed = [c.replace("_", " ") for c in ("recovered", "sale_proceeds") if c in columns]
    if closed:
        words.append(f"{', '.join(closed)}: what the closed account brought in.")
    return " ".join(words)


def _trace_examples(config, seed: int, path: int) -> int:  # noqa: ANN001 - a RunConfig
    """``trace --examples``: borrowers of each outcome on the path, to pick a story from."""
    from sim.reference.trace import notable_borrowers

    with err_console.status(f"simulating path {path} of {config.name} to find borrowers"):
        found = notable_borrowers(config, seed, path)
    table = Table(title=f"borrowers worth a story, path {path}, seed {seed} (the lowest ids "
                        "of each outcome by the horizon's end)")
    table.add_column("outcome")
    table.add_column("borrowers")
    for outcome, ids in found.items():
        table.add_row(outcome, ", ".join(map(str, ids)) or "none on this path")
    console.print(table)
    console.print(f"then: creditsim trace ... --borrower ID --path {path}", style="dim",
                  highlight=False)
    return 0


def cmd_run_set(args: argparse.Namespace) -> int:
    from rich.markup import escape

    from sim.arguments import check_store
    from sim.config import load_config
    from sim.exports import run_set_export
    from sim.metrics import small_sample_warning
    from sim.report import run_set_table
    from sim.runinfo import set_overrides_text
    from sim.scenarios.policies import (
        check_policy_set,
        repeated_policies,
        run_policy_set_checked,
    )
    from sim.settings import configure
    from sim.shipped import resolve_config

    check_store(args.out, "", 0)  # each run checks its own folder name before its work
    _check_exports(args)
    share = _book_share(args.book_share)
    files = [resolve_config(c) for c in args.configs]
    # the same deal and changes for every policy (a smaller book, a longer horizon...); each
    # read once, and its manifest records what they changed from its file
    read = [load_config(f) for f in files]
    configs = [load_config(configure(r, args.deal, args.set, share)) for r in read]
    check_policy_set(configs, args.configs)  # a refused set says only why: no note before
    if args.set:  # said once, of the first config, as every policy is changed alike
        from sim.settings import unscaled_collectors

        _warn(unscaled_collectors(read[0], configs[0], args.set))
    repeated = repeated_policies(configs, args.configs)
    if repeated:  # as compare warns of two runs of one config, before the runs
        err_console.print("[bold yellow]warning:[/] " + escape(repeated), highlight=False)
    runs, table, pairings = run_policy_set_checked(
        configs, paths=args.paths, seed=args.seed, workers=args.workers, out=args.out,
        progress=not args.quiet, bases=files)
    try:  # before the table: a reader that stops reading it (| head) keeps the files
        written = _export(run_set_export(table, runs, pairings, _command(args)),
                          _export_files(args))
    except ValueError as exc:  # the runs are stored all the same: say where
        raise ValueError(f"{exc}; the runs are stored: "
                         + ", ".join(str(r.path) for r in runs)) from None
    ref = runs[0].manifest
    console.print(run_set_table(table, ref["name"], pairings, int(ref["paths"]), ref["seed"],
                                set_overrides_text([r.manifest for r in runs])))  # --set, --deal
    _warn(small_sample_warning(int(ref["paths"])))
    for r in runs:
        print(r.path)
    for file in written:
        print(file)
    return 0


def _warn(text: str) -> None:
    if text:
        err_console.print(text, highlight=False)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import compare_runs
    from sim.exports import comparison_export
    from sim.metrics import small_sample_warning
    from sim.report import comparison_paths, comparison_table
    from sim.store import resolve_run

    _check_exports(args)
    if args.against:
        return _interaction(args)
    folders = (resolve_run(args.run_a, args.runs), resolve_run(args.run_b, args.runs))
    if folders[0].resolve() == folders[1].resolve():  # nothing to compare: said, not shown
        raise ValueError(f"A and B are the same run ({folders[0]}): name two different runs "
                         "to compare")
    a, b = (comparison_paths(folder, args.runs) for folder in folders)
    _warn_of_equal_runs(a, b)
    result, pairing = compare_runs(a.manifest, a.paths, b.manifest, b.paths)
    written = _export(comparison_export(result, pairing, (a.manifest, b.manifest),
                                        (a.path, b.path), _command(args)), _export_files(args))
    title = f"A = {a.run_id}\nB = {b.run_id}"
    console.print(comparison_table(result, pairing, title))
    if not pairing.paired:
        _warn("warning: the runs are not paired path by path: " + "; ".join(pairing.reasons)
              + ". The interval is Welch's for independent samples.")
    for text in pairing.notes:
        _warn(f"note: {text}")
    _warn(small_sample_warning(min(len(a.paths), len(b.paths))))
    _print_rating_comparison(args, a, b)
    for file in written:
        print(file)
    return 0


def _warn_of_equal_runs(a, b) -> None:  # noqa: ANN001 - sim.store.Runs
    """Warn, before the table, of two runs whose differences are all 0: copies of one run,
    or two runs of one config, seed and paths on the same code. Said only when their
    ``paths`` tables are equal, never beside a difference that is not 0; copies of one run
    whose tables differ are refused (:func:`sim.compare.equal_runs`)."""
    from rich.markup import escape

    from sim.compare import equal_runs

    equal = equal_runs(a, b)
    if equal == "copies":
        err_console.print("[bold yellow]warning:[/] " + escape(
            f"A and B are copies of the same run ({a.path} and {b.path}) ({a.run_id}): "
            "every difference is 0; give two runs to compare"), highlight=False)
    elif equal == "same results":
        err_console.print("[bold yellow]warning:[/] A and B ran the same config with the same "
                          "seed and paths on the same code: their results are the same, so "
                          "every difference is 0 (change the config or --seed to compare)",
                          highlight=False)


def _interaction(args: argparse.Namespace) -> int:
    """``compare A1 B1 --against A2 B2``: the difference in differences of the four runs
    (:mod:`sim.interaction`), printed and exported as a comparison is."""
    from sim.exports import interaction_export
    from sim.interaction import interaction_runs
    from sim.metrics import small_sample_warning
    from sim.report import comparison_paths, interaction_table
    from sim.store import resolve_run

    names = ("A1", "B1", "A2", "B2")
    folders = [resolve_run(r, args.runs) for r in (args.run_a, args.run_b, *args.against)]
    for i, j in itertools.combinations(range(4), 2):
        if folders[i].resolve() == folders[j].resolve():  # an effect or a scenario of 0
            raise ValueError(f"{names[i]} and {names[j]} are the same run ({folders[i]}): "
                             "name four different runs (A and B in two scenarios)")
    runs = [comparison_paths(folder, args.runs) for folder in folders]
    manifests = [r.manifest for r in runs]
    result, design = interaction_runs(manifests, [r.paths for r in runs])
    written = _export(interaction_export(result, design, manifests, [r.path for r in runs],
                                         _command(args)), _export_files(args))
    console.print(interaction_table(result, design))
    _warn(small_sample_warning(len(runs[0].paths)))
    for file in written:
        print(file)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """``creditsim bench``: the measurements of :mod:`sim.bench`, as tables or one JSON object."""
    import json

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sim.bench import bench_tables, check_bench, run_bench

    if args.months is not None and args.months < 1:
        raise ValueError(f"--months {args.months}: give a horizon of at least 1 month")
    check_bench(tuple(args.sizes), args.months, args.reference_size, args.config)  # before the bar
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err_console, disable=args.quiet)
    with bar:
        task = bar.add_task("bench", total=None)
        result = run_bench(tuple(args.sizes), months=args.months,
                           reference_size=args.reference_size, repeat=args.repeat,
                           waterfall=(args.waterfall_paths, 60), config=args.config,
                           on_step=lambda label, done, total: bar.update(
                               task, description=label, completed=done, total=total))
    if args.json:
        print(json.dumps(result.as_json()))
        return 0
    for table in bench_tables(result):
        console.print(table)
    if result.reference_note:
        _warn(f"note: {result.reference_note}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.validation.runner import validate

    return validate(args, console)


def _print_rating_comparison(args: argparse.Namespace, a, b) -> None:  # noqa: ANN001 - Runs
    """The two runs' notes with their P(loss) intervals and rating ranges, when both have one."""
    from sim.abs import tranche_summary
    from sim.report_tables import RATING_NOTE, rating_compare_table
    from sim.store import load_run

    if not all("note_metrics" in r.manifest.get("tables", ()) for r in (a, b)):
        return
    metrics = [load_run(r.path, args.runs, tables=("note_metrics",))["note_metrics"]
               for r in (a, b)]
    console.print(rating_compare_table(*[tranche_summary(m) for m in metrics]))
    console.print(RATING_NOTE, style="dim", highlight=False)


def _fmt(value: object, column: str = "") -> str:
    """A trace cell: the day to two decimals, other numbers whole (currency units, score)
    but amounts below 1 in cents (0.04, not 0), flags as yes/no, blank when the event does
    not set the column."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return ""
        if column == "day" or 0 < abs(value) < 1:  # cents: 0.04 recovered is not 0
            return f"{value:,.2f}"
        return f"{value:,.0f}"
    return str(value)


def _print_summary(run, summary=None, tranches=None) -> None:  # noqa: ANN001 - a Run, frames
    """The run's summary table and, with a deal, its tranche tables (``summary`` and
    ``tranches``: its :func:`sim.metrics.summarise` and :func:`sim.abs.tranche_summary`,
    computed when not given)."""
    from sim.metrics import small_sample_warning
    from sim.report import summary_table

    console.print(summary_table(run, summary))
    if "note_metrics" in run.tables:
        _print_tranches(run, tranches)
    _warn(small_sample_warning(len(run.paths)))


def _version_text() -> str:
    from sim.store import package_version

    return f"creditsim {package_version()}"


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="creditsim",
        description="Monte Carlo simulator of an instalment-credit platform and its ABS funding.",
    )
    parser.add_argument("--version", action="version", version=_version_text())
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run a config's Monte Carlo into the run store")
    p.add_argument("config", nargs="?", help=CONFIG_HELP)
    p.add_argument("--from-manifest", metavar="RUN",
                   help="rerun a stored run (folder or id under --out) with its recorded "
                        "config, seed and paths, instead of CONFIG")
    p.add_argument("--resume", metavar="RUN_DIR",
                   help="continue a stopped run in RUN_DIR (CONFIG, --seed and --paths, if "
                        "given, must match the run's)")
    p.add_argument("--paths", type=_paths, help="Monte Carlo paths (default: the config's)")
    p.add_argument("--seed", type=_seed, help="root seed (default: the config's)")
    p.add_argument("--workers", type=_workers, default=1,
                   help="local worker processes (default: 1)")
    p.add_argument("--scheduler", help="Dask scheduler address (instead of local processes)")
    p.add_argument("--out", "--runs", dest="out", default="runs",
                   help="run-store folder to write to, and to find --from-manifest RUN in "
                        "(default: runs; --runs, as the reading commands call it, is the "
                        "same)")
    p.add_argument("--deal", help="deal file replacing the config's deal, e.g. "
                   "configs/deals/baitiao_2015.yaml; 'none' runs without one")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="change one config value, e.g. --set collections.collectors.count=20 "
                        "(repeatable; keys as in docs/CONFIG.md, list items by position, plan "
                        "terms by number: spending.plan_mix.3); a mapping given to a section, "
                        "--set 'book={initial_borrowers: 200}', merges into it as a config "
                        "file's section merges with its base's: the keys it does not give "
                        "keep their values")
    p.add_argument("--book-share", metavar="FRACTION", help=BOOK_SHARE_HELP)
    p.add_argument("--quiet", action="store_true",
                   help="print only the run folder (on stdout; errors, and a Dask run's lost "
                        "and regained scheduler, still on stderr)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="summary table of a stored run")
    p.add_argument("run", help="run folder or run id")
    p.add_argument("--runs", default="runs", help="run-store folder (default: runs)")
    p.add_argument("--csv", metavar="FILE", help="also write the summary table to this CSV "
                   "file: one row per metric (the run id, the metric, its unit, then the "
                   "paths, mean, percentiles and confidence interval in that unit); for a run "
                   "with a deal, the tranche table (one row per note) goes to a second file "
                   "beside it, FILE's name with '-tranches' added (summary.csv: "
                   "summary-tranches.csv)")
    p.add_argument("--xlsx", metavar="FILE", help="also write an Excel workbook to this file: "
                   "a 'summary' sheet (the CSV's rows), for a run with a deal a 'tranches' "
                   "sheet (one row per note), and an 'about' sheet (the run, its seed and "
                   "paths, the command, and each column's unit and meaning)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("rolls", help="cure, re-age and roll-forward rates of a stored run, "
                                     "by accounts and by balance")
    p.add_argument("run", help="run folder or run id")
    p.add_argument("--runs", default="runs", help="run-store folder (default: runs)")
    _export_options(p, "the roll-rate tables", "a row per weight and bucket, a column per "
                    "move and its 5th and 95th percentiles, then the re-default rates")
    p.set_defaults(func=cmd_rolls)

    p = sub.add_parser("trace", help="one borrower's story, event by event, from the "
                                     "reference engine")
    p.add_argument("config", help=CONFIG_HELP + "; or a stored run's folder (its config and "
                   "seed, overrides included)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--borrower", type=_borrower, help="borrower slot id (0-based)")
    who.add_argument("--examples", action="store_true",
                     help="list borrowers worth a story on the path, by outcome (charged "
                          "off, re-aged, called by a collector, never called)")
    p.add_argument("--path", type=whole_number(0, "a path number"), default=0,
                   help="the Monte Carlo path (default: 0)")
    p.add_argument("--seed", type=_seed, help="root seed (default: the config's or the run's)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="change one value of CONFIG, e.g. --set repayment.miss_prob=0.2 "
                        "(repeatable; keys as for run --set; not with a run folder, which is "
                        "traced with its own config)")
    p.add_argument("--book-share", metavar="FRACTION", help=BOOK_SHARE_HELP + "; not with a "
                   "run folder")
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser("run-set", help="run several policies on common random numbers")
    p.add_argument("configs", nargs="+", help="YAML config files, or names of shipped configs "
                   "(e.g. baseline early_human); the first is the reference")
    p.add_argument("--paths", type=_paths, help="Monte Carlo paths (default: the first's)")
    p.add_argument("--seed", type=_seed, help="root seed shared by all (default: the first's)")
    p.add_argument("--workers", type=_workers, default=1,
                   help="local worker processes (default: 1)")
    p.add_argument("--out", "--runs", dest="out", default="runs",
                   help="run-store folder (default: runs; --runs is the same)")
    p.add_argument("--deal", help="deal file or shipped deal replacing every config's deal; "
                   "'none' runs them without one")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="change one value of every config alike, e.g. --set "
                        "book.initial_borrowers=2000 (repeatable; keys as for run --set)")
    p.add_argument("--book-share", metavar="FRACTION", help=BOOK_SHARE_HELP + "; each "
                   "policy's own team is scaled")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    _export_options(p, "the table of every policy against the reference", "a row per policy "
                    "and metric, columns: the two run ids, the two means, the difference and "
                    "its interval")
    p.set_defaults(func=cmd_run_set)

    p = sub.add_parser("compare", help="paired comparison of two runs, path by path; with "
                       "--against, the difference in differences of two policies across two "
                       "scenarios")
    p.add_argument("run_a", help="run folder or run id (A; A1 with --against)")
    p.add_argument("run_b", help="run folder or run id (B; B1 with --against)")
    p.add_argument("--against", nargs=2, metavar=("RUN_A2", "RUN_B2"), action=Once,
                   help="the same two policies in a second scenario (e.g. a recession): "
                        "print the policy effect in it minus that in the first, (B2 - A2) - "
                        "(B1 - A1), path by path, beside both effects; the four runs must "
                        "share seed, book, horizon and paths")
    p.add_argument("--runs", default="runs", help="run-store folder (default: runs)")
    _export_options(p, "the comparison table (with --against, the difference in "
                       "differences)", "a row per metric, columns: the run ids, each run's "
                       "mean, the difference and its intervals")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("validate", help="check the simulator against theory, experiments and "
                       "facts (the full run writes docs/VALIDATION.md); exits 1 if a "
                       "check fails")
    from sim.validation.options import add_options as validate_options

    validate_options(p, _paths, _seed)
    p.set_defaults(func=cmd_validate)


    p = sub.add_parser("deal-report", help="a run's deal cash flows, period by period, "
                       "for one path (print, CSV, XLSX)")
    p.add_argument("run", help="run folder or run id (a run with a deal)")
    p.add_argument("--path", type=whole_number(0, "a path number"),
                   help="the path to report (default: path 0)")
    p.add_argument("--quantile", type=_quantile,
                   help="instead, the path at this quantile of a note's loss (0 to 1; "
                        "see --note and --loss-measure)")
    p.add_argument("--note", help="the note whose loss --quantile ranks paths by "
                   "(default: the most junior)")
    p.add_argument("--loss-measure", choices=LOSS_MEASURE_CHOICES,
                   help="the loss --quantile ranks paths by: 'principal', the principal "
                        "written down (default), or 'pv', the interest and principal promised "
                        "and not received, in present value at the note's promised rate (as "
                        "report's EL (PV) and breakeven --loss-measure pv)")
    p.add_argument("--csv", help="also write the table to this CSV file")
    p.add_argument("--xlsx", help="also write it to this Excel file")
    p.add_argument("--quiet", action="store_true", help="do not print the tables")
    p.add_argument("--runs", default="runs", help="run-store folder (default: runs)")
    p.set_defaults(func=cmd_deal_report)

    p = sub.add_parser("breakeven", help="each note's smallest default multiple and "
                       "unemployment shock at which it first loses principal")
    p.add_argument("config", help=f"{CONFIG_HELP}, with a deal (or give --deal)")
    p.add_argument("--deal", help="deal file replacing the config's deal")
    p.add_argument("--book-share", metavar="FRACTION", help=BOOK_SHARE_HELP)
    p.add_argument("--paths", type=_paths, help="Monte Carlo paths (default: the config's)")
    p.add_argument("--seed", type=_seed, help="root seed (default: the config's)")
    p.add_argument("--workers", type=_workers, default=1,
                   help="local worker processes (default: 1)")
    p.add_argument("--only", choices=("multiple", "shock"), help="search one stress only")
    p.add_argument("--loss-measure", choices=LOSS_MEASURE_CHOICES, default="principal",
                   help="what counts as the note losing: 'principal', a writedown above one "
                        "cent (default), or 'pv', a present-value loss above one cent (unpaid "
                        "or late interest counts, as in report's EL (PV))")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="change one config value, e.g. --set book.initial_borrowers=2000 "
                        "(repeatable; keys as for run --set)")
    _export_options(p, "every path's breakevens", "a row per stress, path and note")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=cmd_breakeven)

    p = sub.add_parser("bench", help="speed and memory of the full model on this machine")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sizes", type=_launch_book, nargs="+", default=[10_000, 100_000, 1_000_000],
                   help="books (borrowers at launch) to time (default: 10000 100000 1000000)")
    p.add_argument("--months", type=int, help="horizon in months (default: the config's)")
    p.add_argument("--reference-size", type=_launch_book, default=1_000,
                   help="borrowers for the reference engine's path (default: 1000)")
    p.add_argument("--repeat", type=bounded_number("repeat", 1, 20), default=1,
                   help="timings per engine size; the best is kept (default: 1)")
    p.add_argument("--waterfall-paths", type=_paths, default=10_000,
                   help="paths of the waterfall workload (60 periods, 3 notes)")
    p.add_argument("--config", default="early_warning",
                   help="config to time: YAML config file, or the name of a shipped config "
                   "(default: early_warning, every part of the model on)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("config-reference", help="print every config key as a Markdown table")
    p.set_defaults(func=lambda _args: print(config_reference(), end="") or 0)
    _register_dashboard(sub)
    return parser


def _export_options(p: argparse.ArgumentParser, what: str, layout: str) -> None:
    """``--csv FILE`` and ``--xlsx FILE``: ``what`` as numbers, with units in the headers
    (:mod:`sim.exports`), laid out as ``layout`` says (rows and columns, as the command's
    export has them); the files are checked before any work."""
    p.add_argument("--csv", metavar="FILE", help=f"also write {what} to this CSV file "
                   f"(numbers, one header row with units; {layout})")
    p.add_argument("--xlsx", metavar="FILE", help=f"also write {what} to this Excel file "
                   "(with an 'about' sheet: runs, seeds, paths, command, columns)")


def _register_dashboard(sub: argparse._SubParsersAction) -> None:
    """Add ``creditsim dashboard`` when the dashboard package is installed."""
    try:
        from dashboard.cli import register
    except ImportError:
        return
    register(sub)


STORING = (cmd_run, cmd_run_set)
"""The commands that simulate into the run store: a ``kill`` (SIGTERM) stops them as Ctrl-C
does, saying what was kept and how to continue, instead of ending them without a word."""


def _sigterm_as_ctrl_c(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    given = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(given)
    args.argv = given  # the command line, as an export's 'about' sheet names it
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        stops = (handled(signal.SIGTERM, _sigterm_as_ctrl_c) if handler in STORING
                 else nullcontext())
        with warnings.catch_warnings(), stops:
            # once each: a command may read a config file more than once (run-set's configs
            # and their bases), and the "default" filter's memory of what it said is cleared
            # whenever a library changes the filters (pandas does, computing a summary)
            warnings.simplefilter("always", ConfigWarning)
            warnings.showwarning = _once_each(_show_warning)
            return handler(args)
    except (ConfigError, RunNotFound, FileExistsError, ValueError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2
    except (WorkerDied, RunLost) as exc:  # a worker or scheduler lost: what is stored stays
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 1
    except (KeyboardInterrupt, SystemError) as exc:
        from sim.api import interrupted

        if not interrupted(exc):  # a SystemError of its own: a bug to show in full
            raise
        err_console.print("interrupted; runs already stored are complete, a run in progress "
                          "was not written", highlight=False)
        return 130


def _once_each(show: Callable[..., None]) -> Callable[..., None]:
    """``show``, called once for each config warning's text (every other warning as given)."""
    said: set[str] = set()

    def shown(message, category, *args, **kwargs) -> None:  # noqa: ANN001
        if issubclass(category, ConfigWarning):
            if str(message) in said:
                return
            said.add(str(message))
        show(message, category, *args, **kwargs)

    return shown


def _show_warning(message, category, *_args, **_kwargs) -> None:  # noqa: ANN001
    """Config warnings as one line each on stderr; others as Python prints them."""
    if issubclass(category, ConfigWarning):
        err_console.print(f"[bold yellow]warning:[/] {message}", highlight=False)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, *_args[:2]))


if __name__ == "__main__":
    sys.exit(main())
