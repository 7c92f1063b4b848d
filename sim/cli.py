"""The ``creditsim`` command: a thin layer over :mod:`sim.api` and the run store.

Bad input (a missing or invalid config, a run folder that is not a run, out-of-range
options) prints one clear message to stderr and exits with status 2, never a
traceback.

This module holds the parser (:func:`build_parser`, with the options' types and help),
:func:`main`, and ``bench`` and ``validate``; the other commands live in
:mod:`sim.cli_run` (``run``, ``run-set``), :mod:`sim.cli_reports` (``report``, ``rolls``,
``deal-report``, ``breakeven``), :mod:`sim.cli_compare` (``compare``) and
:mod:`sim.cli_trace` (``trace``), and what they share in :mod:`sim.cli_common`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext

from sim.argtypes import ArgumentParser, Once, parse_number, whole_number
from sim.arguments import MAX_WORKERS
from sim.cli_common import _shown, _warn, console, err_console
from sim.cli_compare import cmd_compare
from sim.cli_reports import cmd_breakeven, cmd_deal_report, cmd_report, cmd_rolls
from sim.cli_run import _interrupted as _interrupted
from sim.cli_run import cmd_run, cmd_run_set
from sim.cli_trace import TRACE_CAPTION as TRACE_CAPTION
from sim.cli_trace import _borrower, cmd_trace
from sim.cli_trace import _fmt as _fmt
from sim.cli_trace import trace_caption as trace_caption
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


BOOK_SHARE_HELP = ("run a smaller book: FRACTION (above 0, at most 1) of the config's "
                   "borrowers at launch and each month, with each human collector's calls a "
                   "day and monthly cost scaled alike, so the team's calls and cost per "
                   "borrower stay the config's (as the dashboard's Launch page sizes a book); "
                   "the manifest records the changed keys as overrides; --set wins over it")
"""``--book-share``'s help (``run``, ``run-set``, ``breakeven`` and ``trace``)."""

_paths = bounded_number("paths", 1, MAX_PATHS)
_seed = bounded_number("seed", 0, MAX_SEED)
_workers = bounded_number("workers", 1, MAX_WORKERS)
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
