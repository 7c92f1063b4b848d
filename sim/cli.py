"""The ``creditsim`` command: a thin layer over :mod:`sim.api` and the run store.

Bad input (a missing or invalid config, a run folder that is not a run, out-of-range
options) prints one clear message to stderr and exits with status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sim.arguments import MAX_WORKERS
from sim.config import (
    MAX_BORROWERS,
    MAX_PATHS,
    MAX_SEED,
    ConfigError,
    ConfigWarning,
    config_reference,
)
from sim.store import RunNotFound

console = Console(width=None if sys.stdout.isatty() else 132)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 132)


def whole_number(low: int, what: str = "a number") -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low``, refused with a clear message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is not allowed; give {what} >= {low}")
        return value

    return parse


def bounded_number(name: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, refused with the message of
    :func:`sim.arguments.whole_number` (the Python API's)."""

    def parse(text: str) -> int:
        from sim.arguments import ArgumentError
        from sim.arguments import whole_number as check

        value: object = text
        if len(text) <= 30:  # longer text is no number any key takes
            for kind in (int, float):
                try:
                    value = kind(text)
                    break
                except ValueError:
                    continue
        try:
            return check(name, value, low, high)
        except ArgumentError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


_paths = bounded_number("paths", 1, MAX_PATHS)
_seed = bounded_number("seed", 0, MAX_SEED)
_workers = bounded_number("workers", 1, MAX_WORKERS)
_borrower = bounded_number("borrower", 0, MAX_BORROWERS - 1)


def cmd_run(args: argparse.Namespace) -> int:
    import sim

    result = sim.run(_with_deal(args.config, args.deal), paths=args.paths, seed=args.seed,
                     workers=args.workers, out=args.out, scheduler=args.scheduler,
                     progress=not args.quiet)
    if not args.quiet:
        _print_summary(result)
    print(result.path)
    return 0


def _with_deal(config: str, deal: str | None):  # noqa: ANN202 - a path or a RunConfig
    """The config, with its deal replaced by the deal file ``deal`` ('none' removes it)."""
    if deal is None:
        return config
    from sim.config import load_config, read_deal_yaml, with_overrides

    if not deal.strip():
        raise ConfigError("--deal '': give a deal file, e.g. configs/deals/baitiao_2015.yaml, "
                          "or 'none' to run without a deal")
    cfg = load_config(config)
    if deal == "none":
        return cfg.model_copy(update={"deal": None})
    deal_terms = read_deal_yaml(Path(deal))
    return with_overrides(cfg.model_copy(update={"deal": None}), {"deal": deal_terms})


def cmd_report(args: argparse.Namespace) -> int:
    from sim.store import load_run

    _print_summary(load_run(args.run, args.runs))
    return 0


def _print_tranches(run) -> None:  # noqa: ANN001 - a sim.store.Run
    """Each note's loss distribution across paths, WAL, IRR and implied rating."""
    from sim.abs import tranche_summary

    deal = run.manifest["config"].get("deal") or {}
    summary = tranche_summary(run["note_metrics"])
    table = Table(title=f"deal {deal.get('name', '')}: tranche losses over "
                        f"{int(summary.paths.max())} paths (loss = share of the note's balance)")
    cols = ("note", "expected loss", "P(loss)", "loss p95", "loss p99", "WAL (y)", "IRR",
            "implied rating")
    for c in cols:
        table.add_column(c, justify="left" if c == "note" else "right")
    for r in summary.itertuples(index=False):
        table.add_row(r.note, f"{r.expected_loss:.3%}", f"{r.prob_loss:.1%}",
                      f"{r.loss_p95:.3%}", f"{r.loss_p99:.3%}", f"{r.wal_years:.2f}",
                      f"{r.irr_annual:.2%}", r.implied_rating)
    console.print(table)
    console.print("Implied rating: Moody's idealised cumulative expected-loss rates, 5-year "
                  "horizon (see docs/WATERFALL.md).", style="dim", highlight=False)


def cmd_trace(args: argparse.Namespace) -> int:
    import sim
    from sim.config import load_config

    config = load_config(args.config)
    if args.borrower >= config.capacity:
        raise ValueError(f"--borrower {args.borrower}: this config's book has borrower slots "
                         f"0 to {config.capacity - 1:,} (book.initial_borrowers + "
                         f"book.new_borrowers_per_month x (book.horizon_months - 1))")
    result = sim.run(config, paths=1, seed=args.seed, out=None, trace_ids=(args.borrower,))
    if "trace" not in result.tables:
        raise ValueError(f"borrower {args.borrower} was never onboarded in this run")
    trace = result.tables["trace"]
    cols = ["day", "event", "employed", "income", "savings", "score", "limit", "balance",
            "dpd", "active"]
    cols += [c for c in ("bill", "paid", "purchase") if c in trace.columns]
    table = Table(title=f"borrower {args.borrower}, path 0, seed {result.manifest['seed']}")
    for c in cols:
        table.add_column(c, justify="left" if c == "event" else "right", no_wrap=True)
    for row in trace[cols].itertuples(index=False):
        table.add_row(*[_fmt(v, c) for v, c in zip(row, cols, strict=True)])
    console.print(table)
    return 0


def cmd_run_set(args: argparse.Namespace) -> int:
    from sim.arguments import check_store
    from sim.metrics import format_metric
    from sim.scenarios.policies import run_policy_set

    check_store(args.out, "", 0)  # each run checks its own folder name before its work

    runs, table = run_policy_set(args.configs, paths=args.paths, seed=args.seed,
                                 workers=args.workers, out=args.out, progress=not args.quiet)
    ref = runs[0].manifest["name"]
    out = Table(title=f"policies vs {ref} ({runs[0].manifest['paths']} paired paths, "
                      f"seed {runs[0].manifest['seed']})")
    for c in ("policy", "metric", ref, "policy value", "difference", "95% CI", "significant"):
        out.add_column(c, justify="left" if c in ("policy", "metric") else "right")
    for r in table.itertuples(index=False):
        f = partial(format_metric, r.metric)
        out.add_row(r.policy, r.metric, f(r.mean_a), f(r.mean_b), f(r.difference, True),
                    f"[{f(r.ci_low, True)}, {f(r.ci_high, True)}]",
                    "yes" if r.significant else "no")
    console.print(out)
    for r in runs:
        print(r.path)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import paired_comparison
    from sim.metrics import KEY_METRICS, format_metric
    from sim.store import load_run

    a = load_run(args.run_a, args.runs, tables=("paths",))
    b = load_run(args.run_b, args.runs, tables=("paths",))
    if a.manifest["seed"] != b.manifest["seed"]:
        err_console.print("warning: the runs have different seeds, so paths are not paired "
                          "draws; the paired interval is not meaningful", highlight=False)
    notes = tuple(c for c in a.paths.columns if c.startswith("note_loss_") and c in b.paths)
    result = paired_comparison(a.paths, b.paths, KEY_METRICS + notes)
    pairs = int(result.paths.iloc[0])
    table = Table(title=f"A = {a.run_id}\nB = {b.run_id}  ({pairs} paired paths)")
    for c in ("metric", "A", "B", "B - A", "95% CI (paired)", "significant"):
        table.add_column(c, justify="left" if c == "metric" else "right")
    for r in result.itertuples(index=False):
        f = partial(format_metric, r.metric)
        table.add_row(r.metric, f(r.mean_a), f(r.mean_b), f(r.difference, True),
                      f"[{f(r.ci_low, True)}, {f(r.ci_high, True)}]",
                      "yes" if r.significant else "no")
    console.print(table)
    return 0


def _fmt(value: object, column: str = "") -> str:
    """A trace cell: the day to two decimals, other numbers whole (currency units, score),
    flags as yes/no, blank when the event does not set the column."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return ""
        return f"{value:.2f}" if column == "day" else f"{value:,.0f}"
    return str(value)


def _print_summary(run) -> None:  # noqa: ANN001 - a sim.store.Run
    from sim.metrics import format_metric, summarise

    m = run.manifest
    summary = summarise(run.paths)
    table = Table(title=f"{m['run_id']}  ({m['paths']} paths, seed {m['seed']})")
    table.add_column("metric")
    for c in ("mean", "p5", "p50", "p95", "95% CI of mean"):
        table.add_column(c, justify="right")
    for row in summary.itertuples(index=False):
        f = partial(format_metric, row.metric)
        table.add_row(row.metric, f(row.mean), f(row.p5), f(row.p50), f(row.p95),
                      f"[{f(row.ci_low)}, {f(row.ci_high)}]")
    console.print(table)
    if "note_metrics" in run.tables:
        _print_tranches(run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="creditsim",
        description="Monte Carlo simulator of an instalment-credit platform and its ABS funding.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run a config's Monte Carlo into the run store")
    p.add_argument("config", help="YAML config file, e.g. configs/baseline.yaml")
    p.add_argument("--paths", type=_paths, help="Monte Carlo paths (default: the config's)")
    p.add_argument("--seed", type=_seed, help="root seed (default: the config's)")
    p.add_argument("--workers", type=_workers, default=1, help="local worker processes")
    p.add_argument("--scheduler", help="Dask scheduler address (instead of local processes)")
    p.add_argument("--out", default="runs", help="run-store folder (default: runs)")
    p.add_argument("--deal", help="deal file replacing the config's deal, e.g. "
                   "configs/deals/baitiao_2015.yaml; 'none' runs without one")
    p.add_argument("--quiet", action="store_true", help="print only the run folder")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="summary table of a stored run")
    p.add_argument("run", help="run folder or run id")
    p.add_argument("--runs", default="runs", help="run-store folder (default: runs)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("trace", help="one borrower's story, event by event (path 0)")
    p.add_argument("config", help="YAML config file")
    p.add_argument("--borrower", type=_borrower, required=True, help="borrower slot id (0-based)")
    p.add_argument("--seed", type=_seed, help="root seed (default: the config's)")
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser("run-set", help="run several policies on common random numbers")
    p.add_argument("configs", nargs="+", help="YAML configs; the first is the reference")
    p.add_argument("--paths", type=_paths, help="Monte Carlo paths (default: the first's)")
    p.add_argument("--seed", type=_seed, help="root seed shared by all (default: the first's)")
    p.add_argument("--workers", type=_workers, default=1, help="local worker processes")
    p.add_argument("--out", default="runs", help="run-store folder (default: runs)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_run_set)

    p = sub.add_parser("compare", help="paired comparison of two runs, path by path")
    p.add_argument("run_a", help="run folder or run id (A)")
    p.add_argument("run_b", help="run folder or run id (B)")
    p.add_argument("--runs", default="runs", help="run-store folder (default: runs)")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("config-reference", help="print every config key as a Markdown table")
    p.set_defaults(func=lambda _args: print(config_reference(), end="") or 0)
    _register_dashboard(sub)
    return parser


def _register_dashboard(sub: argparse._SubParsersAction) -> None:
    """Add ``creditsim dashboard`` when the dashboard package is installed."""
    try:
        from dashboard.cli import register
    except ImportError:
        return
    register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ConfigWarning)
            warnings.showwarning = _show_warning
            return handler(args)
    except (ConfigError, RunNotFound, FileExistsError, ValueError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; no run was written")
        return 130


def _show_warning(message, category, *_args, **_kwargs) -> None:  # noqa: ANN001
    """Config warnings as one line each on stderr; others as Python prints them."""
    if issubclass(category, ConfigWarning):
        err_console.print(f"[bold yellow]warning:[/] {message}", highlight=False)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, *_args[:2]))


if __name__ == "__main__":
    sys.exit(main())
