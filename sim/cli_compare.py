"""``creditsim compare``: two runs compared path by path, or, with ``--against``, the
difference in differences of two policies across two scenarios (:mod:`sim.interaction`).

Two runs that are one (the same folder) are refused; copies of one run, or runs of one
config, seed and paths, are warned of before the table (every difference is 0).
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from pathlib import Path

from sim.cli_common import (
    _check_exports,
    _command,
    _export,
    _export_files,
    _warn,
    console,
    err_console,
)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import compare_runs
    from sim.exports import comparison_export
    from sim.metrics import small_sample_warning
    from sim.report import comparison_paths, comparison_table

    _check_exports(args)
    if args.against:
        return _interaction(args)
    # nothing to compare: said, not shown
    folders = _different_runs((args.run_a, args.run_b), ("A", "B"), args.runs,
                              "name two different runs to compare")
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


def _different_runs(given: Sequence[str], names: Sequence[str], root: str,
                    advice: str) -> list[Path]:
    """The folders of the runs ``given`` (folders or run ids under ``root``), refused when
    two are the same folder: ``ValueError`` naming the two (by ``names``) and the folder,
    then ``advice``."""
    from sim.store import resolve_run

    folders = [resolve_run(run, root) for run in given]
    for i, j in itertools.combinations(range(len(folders)), 2):
        if folders[i].resolve() == folders[j].resolve():
            raise ValueError(f"{names[i]} and {names[j]} are the same run ({folders[i]}): "
                             f"{advice}")
    return folders


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

    # a run named twice makes an effect or a scenario change of nothing
    folders = _different_runs((args.run_a, args.run_b, *args.against), ("A1", "B1", "A2", "B2"),
                              args.runs, "name four different runs (A and B in two scenarios)")
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
