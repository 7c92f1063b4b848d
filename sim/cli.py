"""The ``creditsim`` command: a thin layer over :mod:`sim.api` and the run store.

Bad input (a missing or invalid config, a run folder that is not a run, out-of-range
options) prints one clear message to stderr and exits with status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from functools import partial
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

    if args.from_manifest is not None:
        return _rerun(args)
    if args.config is None:
        raise ValueError("give a CONFIG file to run, or --from-manifest RUN to rerun a stored run")
    result = None
    try:
        result = sim.run(_with_deal(args.config, args.deal), paths=args.paths, seed=args.seed,
                         workers=args.workers, out=args.out, scheduler=args.scheduler,
                         progress=not args.quiet, base=args.config if args.deal else None)
        if not args.quiet:
            _print_summary(result)
        print(result.path)
    except KeyboardInterrupt:
        if result is not None and result.path is not None:
            err_console.print(f"interrupted after the run was stored: {result.path} is complete",
                              highlight=False)
        else:
            err_console.print("interrupted before the run was stored; no run was written",
                              highlight=False)
        return 130
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


def _with_deal(config: str, deal: str | None):  # noqa: ANN202 - a path or a RunConfig
    """The config, with its deal replaced by the deal file ``deal`` ('none' removes it)."""
    if deal is None:
        return config
    from sim.config import load_config, read_yaml, with_overrides

    cfg = load_config(config)
    if deal == "none":
        return cfg.model_copy(update={"deal": None})
    return with_overrides(cfg.model_copy(update={"deal": None}), {"deal": read_yaml(Path(deal))})


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

    result = sim.run(args.config, paths=1, seed=args.seed, out=None,
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
    from sim.metrics import format_metric
    from sim.scenarios.policies import run_policy_set

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
    p.add_argument("config", nargs="?", help="YAML config file, e.g. configs/baseline.yaml")
    p.add_argument("--from-manifest", metavar="RUN",
                   help="rerun a stored run (folder or id under --out) with its recorded "
                        "config, seed and paths, instead of CONFIG")
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
        err_console.print("interrupted; runs already stored are complete, a run in progress "
                          "was not written", highlight=False)
        return 130


if __name__ == "__main__":
    sys.exit(main())
