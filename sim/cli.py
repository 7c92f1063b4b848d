"""The ``creditsim`` command: a thin layer over :mod:`sim.api` and the run store.

Bad input (a missing or invalid config, a run folder that is not a run, out-of-range
options) prints one clear message to stderr and exits with status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sim.config import ConfigError, config_reference
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


_positive = whole_number(1)
_seed = whole_number(0, "a seed")


def cmd_run(args: argparse.Namespace) -> int:
    import sim
    from sim.shipped import resolve_config

    config = resolve_config(args.config)
    result = sim.run(_with_deal(config, args.deal), paths=args.paths, seed=args.seed,
                     workers=args.workers, out=args.out, scheduler=args.scheduler,
                     progress=not args.quiet)
    if not args.quiet:
        _print_summary(result)
    print(result.path)
    return 0


def _with_deal(config: str | Path, deal: str | None):  # noqa: ANN202 - a path or a RunConfig
    """The config, with its deal replaced by the deal file ``deal`` ('none' removes it)."""
    if deal is None:
        return config
    from sim.config import load_config, read_yaml, with_overrides
    from sim.shipped import resolve_deal

    cfg = load_config(config)
    if deal == "none":
        return cfg.model_copy(update={"deal": None})
    deal_data = read_yaml(Path(resolve_deal(deal)))
    return with_overrides(cfg.model_copy(update={"deal": None}), {"deal": deal_data})


def cmd_report(args: argparse.Namespace) -> int:
    from sim.store import load_run

    _print_summary(load_run(args.run, args.runs))
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    import sim
    from sim.shipped import resolve_config

    result = sim.run(resolve_config(args.config), paths=1, seed=args.seed, out=None,
                     trace_ids=(args.borrower,))
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
    from sim.metrics import small_sample_warning
    from sim.report import run_set_table
    from sim.scenarios.policies import run_policy_set_checked
    from sim.shipped import resolve_config

    configs = [resolve_config(c) for c in args.configs]
    runs, table, pairings = run_policy_set_checked(
        configs, paths=args.paths, seed=args.seed, workers=args.workers, out=args.out,
        progress=not args.quiet)
    ref = runs[0].manifest
    console.print(run_set_table(table, ref["name"], pairings, int(ref["paths"]), ref["seed"]))
    _warn(small_sample_warning(int(ref["paths"])))
    for r in runs:
        print(r.path)
    return 0


def _warn(text: str) -> None:
    if text:
        err_console.print(text, highlight=False)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import compare_runs
    from sim.metrics import small_sample_warning
    from sim.report import comparison_table
    from sim.store import load_run

    a = load_run(args.run_a, args.runs, tables=("paths",))
    b = load_run(args.run_b, args.runs, tables=("paths",))
    result, pairing = compare_runs(a.manifest, a.paths, b.manifest, b.paths)
    title = f"A = {a.run_id}\nB = {b.run_id}"
    console.print(comparison_table(result, pairing, title))
    if not pairing.paired:
        _warn("warning: the runs are not paired path by path: " + "; ".join(pairing.reasons)
              + ". The interval is Welch's for independent samples.")
    for text in pairing.notes:
        _warn(f"note: {text}")
    _warn(small_sample_warning(min(len(a.paths), len(b.paths))))
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
    from sim.metrics import small_sample_warning
    from sim.report import summary_table, tranche_table

    console.print(summary_table(run))
    if "note_metrics" in run.tables:
        console.print(tranche_table(run))
        console.print("Implied rating: Moody's idealised cumulative expected-loss rates, "
                      "5-year horizon (see docs/WATERFALL.md).", style="dim", highlight=False)
    _warn(small_sample_warning(len(run.paths)))


def _version_text() -> str:
    from sim.store import package_version

    return f"creditsim {package_version()}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="creditsim",
        description="Monte Carlo simulator of an instalment-credit platform and its ABS funding.",
    )
    parser.add_argument("--version", action="version", version=_version_text())
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run a config's Monte Carlo into the run store")
    p.add_argument("config", help="YAML config file, or the name of a shipped config "
                   "(e.g. baseline, recession, aggressive)")
    p.add_argument("--paths", type=_positive, help="Monte Carlo paths (default: the config's)")
    p.add_argument("--seed", type=_seed, help="root seed (default: the config's)")
    p.add_argument("--workers", type=_positive, default=1, help="local worker processes")
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
    p.add_argument("--borrower", type=int, required=True, help="borrower slot id (0-based)")
    p.add_argument("--seed", type=_seed, help="root seed (default: the config's)")
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser("run-set", help="run several policies on common random numbers")
    p.add_argument("configs", nargs="+", help="YAML configs; the first is the reference")
    p.add_argument("--paths", type=_positive, help="Monte Carlo paths (default: the first's)")
    p.add_argument("--seed", type=_seed, help="root seed shared by all (default: the first's)")
    p.add_argument("--workers", type=_positive, default=1, help="local worker processes")
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
        return handler(args)
    except (ConfigError, RunNotFound, FileExistsError, ValueError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; no run was written")
        return 130


if __name__ == "__main__":
    sys.exit(main())
