"""``creditsim trace``: one borrower's story, event by event, from the reference engine.

The borrower is a slot of a config's book (``--borrower``), traced on one path of the
config or of a stored run (its config and seed, never changed by ``--set`` or
``--book-share``); ``--examples`` lists borrowers of each outcome to pick a story from.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sim.argtypes import parse_number
from sim.cli_common import _book_share, _shown, console, err_console

SLOTS_RULE = ("book.initial_borrowers + book.new_borrowers_per_month x "
              "(book.horizon_months - 1)")
"""How many borrower slots a config's book has (:attr:`sim.config.RunConfig.capacity`), as
``trace``'s refusals say it."""


def _borrower(text: str) -> int:
    """An argparse type: a whole number, written as :func:`sim.cli.bounded_number` takes one. Its
    range is the traced config's book (``0`` to ``capacity - 1``), which the parser does not
    know: :func:`cmd_trace` checks it once the config is loaded, before any simulation."""
    number = parse_number(text)
    if isinstance(number, int):
        return number
    shown = _shown(text)
    raise argparse.ArgumentTypeError(
        f"borrower = {shown if number is not None else repr(shown)}: must be a whole number, "
        f"a borrower slot of the config's book (0 up to {SLOTS_RULE}, less 1)")


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
