"""Run the registered checks, print one table, write docs/VALIDATION.md.

``creditsim validate`` and ``python -m sim.validation`` both call :func:`main`. The
exit status is 0 when every check passes, 1 when any fails or a worker process was lost
(killed), 2 on bad input.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim.argtypes import ArgumentParser
from sim.outfiles import check_output_file
from sim.pool import WorkerDied
from sim.validation.core import GROUPS, REGISTRY, Check, CheckSpec, Settings, workers_lost
from sim.validation.options import DEFAULT_OUT, add_options, report_path

CHECK_MODULES = (
    "sim.validation.roll_chain",
    "sim.validation.vasicek",
    "sim.validation.collector_queue",
    "sim.validation.experiments",
    "sim.validation.facts",
)
"""Modules whose import registers checks (simulated experiments and stylised facts add
their modules here)."""

GROUP_TEXT = {
    "oracle": "The engine, driven by a benchmark rule with a closed-form answer, against that "
              "answer. The tolerance is derived from the standard error (4 SE, or the "
              "matching t or Kolmogorov-Smirnov critical value), so a false alarm has a "
              "probability of about 6e-5 per row while a wrong rule fails.",
    "experiment": "Simulated field experiments on common random numbers: the treatment is "
                  "assigned at random to half of the eligible borrowers and its effect is "
                  "compared with the published effect and its reported uncertainty.",
    "fact": "Stylised facts of the shipped baseline, each against a public source and a "
            "stated tolerance.",
}


def load_checks() -> dict[str, CheckSpec]:
    """Import :data:`CHECK_MODULES` and return the registry (name -> spec)."""
    for module in CHECK_MODULES:
        importlib.import_module(module)
    return REGISTRY


def select(names: Sequence[str] | None, quick: bool) -> list[CheckSpec]:
    """The checks to run: ``names`` (all when None), only quick ones when ``quick``.

    Raises:
        ValueError: a name is not registered (the message lists the names).
    """
    registry = load_checks()
    if names:
        unknown = [n for n in names if n not in registry]
        if unknown:
            raise ValueError(f"unknown check {', '.join(map(repr, unknown))}; "
                             f"known checks: {', '.join(sorted(registry))}")
        specs = [registry[n] for n in dict.fromkeys(names)]
    else:
        specs = list(registry.values())
    if quick:
        specs = [s for s in specs if s.quick]
    order = {g: i for i, g in enumerate(GROUPS)}
    return sorted(specs, key=lambda s: order[s.group])


def run_checks(specs: Sequence[CheckSpec], settings: Settings,
               progress: bool = True) -> list[Check]:
    """Run ``specs`` in order with a progress bar; return every row they produce.

    Raises:
        WorkerDied: a worker process ended before a check's paths were done (killed): one
            line saying how and what to do (:func:`sim.validation.core.workers_lost`).
    """
    rows: list[Check] = []
    bar = Progress(TextColumn("[bold]validate"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.description}"), TimeElapsedColumn(),
                   disable=not progress, transient=True)
    with bar:
        task = bar.add_task("", total=len(specs))
        for spec in specs:
            bar.update(task, description=f"{spec.name} ({spec.paths_for(settings)} paths)")
            try:
                rows += spec.func(settings, spec.paths_for(settings))
            except WorkerDied as exc:  # a run's own message speaks of a run not written
                raise workers_lost(exc.endings) from None
            bar.advance(task)
    return rows


def table(rows: Sequence[Check], title: str) -> Table:
    """The results as one rich table (check, source, simulated, target, result)."""
    out = Table(title=title, show_lines=False)
    for col in ("check", "source", "simulated [95% interval]", "target ± tolerance", "result"):
        # a check's name is one token to read whole: it wraps at its dots, never mid-word
        out.add_column(col, justify="right" if col.startswith(("sim", "target")) else "left",
                       overflow="fold", no_wrap=col == "check")
    for r in rows:
        out.add_row(r.name, r.source, r.value_text(), r.target_text(),
                    "[green]pass[/]" if r.passed else "[bold red]FAIL[/]")
    return out


def command_line(specs: Sequence[CheckSpec], settings: Settings, only: bool) -> str:
    """The command that reproduces a validation run (workers do not change results)."""
    parts = ["creditsim validate"]
    if settings.quick:
        parts.append("--quick")
    if only:
        parts.append("--only " + " ".join(s.name for s in specs))
    if settings.paths is not None:
        parts.append(f"--paths {settings.paths}")
    parts.append(f"--seed {settings.seed}")
    parts.extend(f"--set {shlex.quote(s)}" for s in settings.overrides)
    return " ".join(parts)


def markdown(rows: Sequence[Check], specs: Sequence[CheckSpec], settings: Settings,
             command: str) -> str:
    """docs/VALIDATION.md: command, seed, paths, the table and each row's note (no date)."""
    failed = [r for r in rows if not r.passed]
    lines = [
        "# Validation", "",
        f"Generated by `{command}` (seed {settings.seed}); the same command gives the same "
        "numbers on any number of workers. Do not edit by hand.", "",
        f"**{len(rows) - len(failed)} of {len(rows)} checks pass.**", "",
    ]
    for group in GROUPS:
        group_rows = [r for r in rows if r.group == group]
        lines += [f"## {group.capitalize()}s", "", GROUP_TEXT[group], ""]
        if not group_rows:
            lines += ["No check of this group in this run.", ""]
            continue
        paths = ", ".join(f"{s.name}: {s.paths_for(settings)}" for s in specs
                          if s.group == group)
        lines += [f"Paths (or replications): {paths}.", "",
                  "| check | source | simulated [95% interval] | target ± tolerance | result |",
                  "|---|---|---:|---:|---|"]
        for r in group_rows:
            lines.append(f"| `{r.name}` | {r.source} | {r.value_text()} | "
                         f"{r.target_text()} | {'pass' if r.passed else '**FAIL**'} |")
        lines += ["", "Notes:", ""]
        lines += [f"- `{r.name}`: {r.note}" for r in group_rows if r.note]
        lines.append("")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m sim.validation`` (the options of ``creditsim validate``)."""
    parser = ArgumentParser(
        prog="python -m sim.validation",
        description="Check the simulator against theory, field experiments and facts.")
    return add_options(parser)


def checkout_root(start: Path | None = None) -> Path | None:
    """The creditsim checkout holding ``start`` (default: the current folder): the nearest
    folder, ``start`` or above, whose pyproject.toml names the project ``creditsim``."""
    import tomllib

    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        try:
            project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if project.get("project", {}).get("name") == "creditsim":
            return folder
    return None


def default_report(console: Console) -> Path:
    """Where the full run writes its report when no ``--out`` is given, said before the
    checks run: the checkout's ``docs/VALIDATION.md`` (from any of its folders), or, outside
    a checkout, ``docs/VALIDATION.md`` under the current folder."""
    root = checkout_root()
    if root is not None:
        file = root / DEFAULT_OUT
        console.print(f"the report will be written to {file} (--out FILE to write it "
                      "elsewhere, --out - for none)", highlight=False, soft_wrap=True)
        return file
    file = Path.cwd() / DEFAULT_OUT
    console.print(f"note: no creditsim checkout in {Path.cwd()} or above: the report will be "
                  f"written to {file} (--out FILE to write it elsewhere, --out - for none)",
                  highlight=False, soft_wrap=True)
    return file


def validate(args: argparse.Namespace, console: Console | None = None) -> int:
    """Run the checks ``args`` ask for, print the table, write the report; exit status.

    Raises:
        ValueError: an unknown check name, no check left to run, or a report that cannot
            be written.
        WorkerDied: a worker process ended before a check's paths were done (killed).
    """
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    out = report_path(args)
    if args.out is None and out != "-":  # the default: in the checkout, or said where
        out = str(default_report(console))
    if out != "-":  # before minutes of checks, as --csv
        check_output_file(out, "--out", ".md", make_folder=args.out is None)
    settings = Settings(seed=args.seed, quick=args.quick, paths=args.paths,
                        workers=args.workers, overrides=tuple(getattr(args, "set", None) or ()))
    if settings.overrides:  # a bad key or value is refused before minutes of checks
        from sim.validation.facts import shipped_config

        for name in ("baseline", "severe_recession"):
            shipped_config(name, settings.overrides)
    specs = select(args.only, args.quick)
    if not specs:
        raise ValueError(f"no quick check among {', '.join(args.only)}; drop --quick")
    rows = run_checks(specs, settings, progress=not args.no_progress)
    command = command_line(specs, settings, bool(args.only))
    failed = [r for r in rows if not r.passed]
    console.print(table(rows, f"{command}: {len(rows) - len(failed)} of {len(rows)} pass"))
    for line in failure_summary([r.name for r in failed]):
        console.print(line, highlight=False)
    left_out = quick_left_out(args.only, args.quick)
    if left_out:
        console.print(left_out, highlight=False)
    if out != "-":
        file = Path(out)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(markdown(rows, specs, settings, command), encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot write the report {file}: {exc.strerror or exc}") from None
        console.print(f"wrote {file}", highlight=False)
    return 1 if failed else 0


def quick_left_out(names: Sequence[str] | None, quick: bool) -> str:
    """What ``--quick`` left out of a run of every check, in one line ('' otherwise): the
    slower checks by name, and how to run them, so that 'all pass' is not read as all."""
    if not quick or names:
        return ""
    slow = sorted(name for name, spec in load_checks().items() if not spec.quick)
    if not slow:
        return ""
    return (f"--quick left out {len(slow)} slower check{'s' if len(slow) > 1 else ''} "
            f"({', '.join(slow)}); run 'creditsim validate' without --quick for all of them")


def failure_summary(failed: Sequence[str]) -> list[str]:
    """Lines that say, after the table, which checks failed and whether each is a gap of
    the model that docs/MODEL.md documents (:data:`sim.validation.facts.KNOWN_GAPS`) or
    not (then a rule or a setting has broken it). Empty when nothing failed."""
    from sim.validation.facts import KNOWN_GAPS

    known = [n for n in failed if n in KNOWN_GAPS]
    other = [n for n in failed if n not in KNOWN_GAPS]
    lines = []
    if known:
        lines.append(f"failing, a documented gap of the model (docs/MODEL.md, 'Calibration "
                     f"and sources'): {', '.join(known)}")
    if other:
        lines.append(f"failing, NOT a documented gap (a rule or a setting broke it): "
                     f"{', '.join(other)}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.validation``: parse, validate, exit 2 with one message on bad input."""
    args = build_parser().parse_args(argv)
    try:
        return validate(args)
    except ValueError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2
    except WorkerDied as exc:  # killed from outside: as creditsim validate says it
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        return 1
