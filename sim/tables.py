"""The run store's tables and their columns: the contract between writers and readers.

Each table a run folder may hold is declared once here, with what one row is, its key
columns and the columns its readers (the CLI, the dashboard) rely on, each with its
unit. Writers (:mod:`sim.api`, :mod:`sim.securitisation`) may add columns; they may not
drop a declared one. Readers use these names and nothing else: a table the store never
writes cannot be read by accident. ``tests/test_tables.py`` runs a small run with a deal
and checks that the store writes exactly these tables with these columns.

Each table also names the columns every stored run has, in this format and every earlier
one (``required``), and whether every path has rows in it (``every_path``): the store
refuses a table read back without them (:meth:`Table.problem`), so that a damaged run
folder (a table copied over another, emptied, or taken from another run) is named as
such instead of failing deep in a reader.

Units: ``currency`` (currency units, booked in integer cents), ``count``, ``fraction``
(0-1), ``rate_annual`` (a fraction a year), ``month`` (0-based month of the horizon),
``period`` (1-based deal period), ``years``, ``days``, ``id``, ``text``, ``flag``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sim.config import CHANNELS
from sim.delinquency import BUCKETS as BUCKET_NAMES
from sim.wording import numbers_text, paths_text

MAX_NAMED = 3
"""Most missing columns :meth:`Table.problem` names."""


@dataclass(frozen=True)
class Table:
    """One table of a run folder (``<name>.parquet``).

    Attributes:
        name: File name without ``.parquet``.
        row: What one row is.
        columns: ``(column, unit)`` pairs readers rely on, keys first.
        when: When the table is written (``always``, ``deal``: runs with an ABS deal,
            ``traced``: runs with traced borrowers).
        required: The columns every stored run's table has (this format's and every
            earlier one's; the other declared columns came later): its keys and what
            readers index without looking first. Always holds ``path``.
        every_path: Whether every path of a run has rows in the table (else only some
            paths may: months with no roll between two states, traced borrowers).
    """

    name: str
    row: str
    columns: tuple[tuple[str, str], ...]
    when: str = "always"
    required: tuple[str, ...] = ("path",)
    every_path: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def unit(self, column: str) -> str:
        """The unit of a declared column.

        Raises:
            KeyError: for a column this table does not declare.
        """
        return dict(self.columns)[column]

    def problem(self, columns: Iterable[str], rows: int, held: Iterable[object],
                paths: int) -> str | None:
        """What is wrong with a stored copy of this table, or None when it fits.

        Args:
            columns: The stored table's column names (extra columns are fine).
            rows: Its number of rows.
            held: The distinct values of its ``path`` column (read only when it has one).
            paths: The paths of the run, as its manifest says (paths ``0 .. paths - 1``).

        Returns:
            One phrase naming the table and the fault: a required column it lacks, no
            rows, or paths other than the run's (for an ``every_path`` table, paths
            other than exactly the run's), e.g. ``"table 'paths' holds path 0 but the
            manifest says 4 paths (0-3)"``.
        """
        have = set(columns)
        lacking = [c for c in self.required if c not in have]
        if lacking:
            noun = "column" if len(lacking) == 1 else "columns"
            named = ", ".join(map(repr, lacking[:MAX_NAMED]))
            more = f" and {len(lacking) - MAX_NAMED} more" if len(lacking) > MAX_NAMED else ""
            return f"table {self.name!r} lacks {noun} {named}{more}"
        expected = f"the manifest says {paths_text(paths)} ({numbers_text(range(paths))})"
        if rows == 0 and self.every_path and paths > 0:
            return f"table {self.name!r} has no rows but {expected}"
        numbers = _path_numbers(held)
        if numbers is None:
            return f"table {self.name!r} has a 'path' column that does not hold path numbers"
        outside = [p for p in numbers if not 0 <= p < paths]
        if outside or (self.every_path and len(numbers) != paths):
            noun = "path" if len(numbers) == 1 else "paths"
            return f"table {self.name!r} holds {noun} {numbers_text(numbers)} but {expected}"
        return None


def _path_numbers(held: Iterable[object]) -> list[int] | None:
    """The distinct path numbers of ``held``, sorted; None when one is not a whole number."""
    out = set()
    for value in held:
        try:
            number = float(value)  # type: ignore[arg-type]  # numpy and Python numbers
        except (TypeError, ValueError):
            return None
        if isinstance(value, bool | str | bytes) or not number.is_integer():
            return None
        out.add(int(number))
    return sorted(out)


def _cols(unit: str, *names: str) -> tuple[tuple[str, str], ...]:
    return tuple((n, unit) for n in names)


PORTFOLIO = Table("portfolio", "(path, month)", (
    *_cols("id", "path"), *_cols("month", "month"),
    *_cols("currency", "opening_balance", "new_purchases", "fees_billed", "payments",
           "charge_offs", "recoveries", "net_recoveries", "recovery_commission", "legal_costs",
           "receivables_balance", "credit_limit_total", "collection_cost", "collector_cost",
           "ew_cost", "nudge_cost"),
    *_cols("currency", *(f"balance_{b}" for b in BUCKET_NAMES[:7])),
    *_cols("count", *(f"accounts_{b}" for b in BUCKET_NAMES[:7])),
    *_cols("count", *(f"actions_{c}" for c in CHANNELS)),
    *_cols("currency", *(f"cost_{c}" for c in CHANNELS)),
    *_cols("currency", *(f"collected_{c}" for c in CHANNELS)),
    *_cols("count", *(f"cures_{b}" for b in BUCKET_NAMES[1:7])),
    *_cols("count", "active_borrowers", "onboarded_borrowers", "charged_off_accounts",
           "collector_capacity", "collector_calls", "queue_length", "human_contacted_ever",
           "promises_made", "promises_kept", "promises_broken", "hardship_enrolments"),
    *_cols("fraction", "collector_utilisation", "unemployment_rate"),
    *_cols("days", "queue_wait_days"),
    *_cols("rate_annual", "base_rate"),
), required=("path", "month", "new_purchases", "charge_offs", "recoveries",
             "receivables_balance"))
PATHS = Table("paths", "path", (
    *_cols("id", "path"),
    *_cols("fraction", "cumulative_charge_off_rate", "charge_off_rate_with_pipeline",
           "net_loss_rate", "recovery_rate",
           "annualised_charge_off_rate", "borrower_default_rate", "peak_dpd30_rate",
           "human_contact_share", "loss_after_costs_rate", "promise_kept_rate",
           "mean_unemployment_rate", "peak_unemployment_rate"),
    *_cols("currency", "collection_cost", "net_recovery", "intervention_cost",
           "pipeline_charge_offs",
           "total_purchases", "total_charge_offs", "total_recoveries", "total_fees"),
    *_cols("count", "hardship_enrolments"),
), required=("path", "cumulative_charge_off_rate", "net_loss_rate", "recovery_rate",
             "annualised_charge_off_rate", "borrower_default_rate", "peak_dpd30_rate"))
"""Runs with a deal add, per note, ``note_loss_<note>`` (the principal written down) and
``note_pv_loss_<note>`` (the interest and principal promised and not received, in present
value at the note's promised rate), each a fraction of the note's original balance
(:func:`sim.securitisation.note_loss_columns`; runs stored before the PV loss lack the
second)."""
VINTAGES = Table("vintages", "(path, cohort, month)", (
    *_cols("id", "path"), *_cols("month", "cohort", "month"), *_cols("count", "cohort_size"),
    *_cols("currency", "purchases", "charge_offs"), *_cols("count", "months_on_book"),
    *_cols("fraction", "cumulative_default_rate"),
), required=("path", "cohort", "month", "cohort_size", "cumulative_default_rate"))
ROLLS = Table("rolls", "(path, month, from_state, to_state)", (
    *_cols("id", "path"), *_cols("month", "month"), *_cols("text", "from_state", "to_state"),
    *_cols("count", "accounts"),
), required=("path", "month", "from_state", "to_state", "accounts"), every_path=False)
TRACE = Table("trace", "(path, borrower, event)", (
    *_cols("id", "path", "borrower"), *_cols("days", "day"), *_cols("text", "event"),
), when="traced", required=("path", "borrower", "day", "event"), every_path=False)
NOTES = Table("notes", "(path, period, note)", (
    *_cols("id", "path"), *_cols("period", "period"), *_cols("text", "note"),
    *_cols("currency", "balance_begin", "interest_due", "interest_paid", "interest_shortfall",
           "principal_paid", "writedown", "balance_end", "pdl_balance", "fees_paid",
           "reserve_balance", "reserve_requirement", "residual", "available", "reserve_draw",
           "closing_oc", "pool_balance_end"),
    *_cols("rate_annual", "coupon", "excess_spread"),
    *_cols("flag", "trigger_breached", "active"),
), when="deal", required=("path", "period", "note", "balance_end"))
"""Deal-level columns repeat on each note's row; ``trigger_<name>`` flags each trigger."""
WATERFALL = Table("waterfall", "(path, period)", (
    *_cols("id", "path"), *_cols("period", "period"),
    *_cols("currency", "available", "collections"),
), when="deal", required=("path", "period"))
"""Then one currency column per step in payment order (``pay_interest:<note>`` ...), and what
the reserve paid for (``reserve_used``, ``reserve_used:<use>``; runs since it was recorded)."""
TRIGGERS = Table("triggers", "(path, period, trigger)", (
    *_cols("id", "path"), *_cols("period", "period"), *_cols("text", "trigger"),
    *_cols("fraction", "value", "threshold"), *_cols("flag", "breached"),
), when="deal", required=("path", "period", "trigger"), every_path=False)
POOL = Table("pool", "(path, period)", (
    *_cols("id", "path"), *_cols("period", "period"),
    *_cols("currency", "pool_balance_begin", "interest", "principal", "recoveries",
           "defaults", "purchased", "sold", "pool_balance_end"),
), when="deal", required=("path", "period"))
NOTE_METRICS = Table("note_metrics", "(path, note)", (
    *_cols("id", "path"), *_cols("text", "note"),
    *_cols("currency", "original_balance", "writedown", "interest_unpaid"),
    *_cols("fraction", "loss_pct", "pv_loss_pct", "irr_annual"), *_cols("flag", "any_loss"),
    *_cols("years", "wal_years"),
), when="deal", required=("path", "note", "loss_pct"))
TRIGGER_METRICS = Table("trigger_metrics", "(path, trigger)", (
    *_cols("id", "path"), *_cols("text", "trigger"), *_cols("flag", "fired"),
    *_cols("period", "first_period"),
), when="deal", required=("path", "trigger"), every_path=False)

TABLES: dict[str, Table] = {t.name: t for t in (
    PORTFOLIO, PATHS, VINTAGES, ROLLS, TRACE, NOTES, WATERFALL, TRIGGERS, POOL, NOTE_METRICS,
    TRIGGER_METRICS)}
"""Every table a run folder may hold, by name."""


def expected_tables(deal: bool, traced: bool = False) -> set[str]:
    """Names of the tables a run writes, given whether it has a deal and traced borrowers."""
    wanted = {"always"} | ({"deal"} if deal else set()) | ({"traced"} if traced else set())
    return {t.name for t in TABLES.values() if t.when in wanted}
