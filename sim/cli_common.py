"""What the ``creditsim`` commands share: the consoles they print to, the exports they
write, the summary of a run they print, and the checks of their common options.

Every command prints its tables to :data:`console` (stdout) and its warnings and errors to
:data:`err_console` (stderr); ``--csv`` and ``--xlsx`` files are checked before any work
(:func:`_check_exports`) and written before the tables are printed (:func:`_export`), so
that a reader that stops reading the tables (``| head``) keeps them.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from sim.argtypes import parse_number
from sim.wording import paths_text

# to a file or a pipe: tables at 132 columns, and a message on one line however long (a log
# is read with grep; a terminal wraps it at its own width)
console = Console(width=None if sys.stdout.isatty() else 132,
                  soft_wrap=not sys.stdout.isatty())
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 132,
                      soft_wrap=not sys.stderr.isatty())


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


def _warn(text: str) -> None:
    if text:
        err_console.print(text, highlight=False)


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
