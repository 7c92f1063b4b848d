"""The deal report's columns (:mod:`sim.deal_report`), declared once, and the report itself.

Each column of a trustee's report is read by name from a run's tables through one mapping
(`DEAL_COLUMNS` for the pool and the deal, `NOTE_COLUMNS` for each note), with its label and
kind (currency units, an annualised rate, a fraction, a flag, a count); the columns computed
from them are in `DERIVED`. A `DealReport` is one path's table, period by period, with what
the run does not record and the conventions that blanked cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

TABLES = ("notes", "waterfall", "triggers", "pool", "note_metrics")
"""Run-store tables the report reads (those a run has)."""


@dataclass(frozen=True)
class Column:
    """One report column read from a run's tables.

    Attributes:
        key: Name in the report, ``<group>.<field>`` (group ``pool`` or ``deal``) or, for a
            note's column, the field alone (the report names it ``note.<note>.<field>``).
        source: Column name in the run's tables.
        label: Header shown to people.
        kind: ``money`` (currency units), ``rate`` (annualised fraction), ``ratio``
            (fraction), ``flag`` (True/False in exports, yes/no on screen) or ``count``.
    """

    key: str
    source: str
    label: str
    kind: str = "money"


DEAL_COLUMNS: tuple[Column, ...] = (
    Column("pool.balance_begin", "pool_balance_begin", "pool balance, start"),
    Column("pool.interest", "interest", "interest collected"),
    Column("pool.principal", "principal", "principal collected"),
    Column("pool.recoveries", "recoveries", "recoveries"),
    Column("pool.defaults", "defaults", "defaults"),
    Column("pool.delinquent", "delinquent_balance", "delinquent balance"),
    Column("pool.purchased", "purchased", "receivables bought"),
    Column("pool.sold", "sold", "pool sold or returned"),
    Column("pool.balance_end", "pool_balance_end", "pool balance, end"),
    Column("deal.collections", "collections", "collections paid in"),
    Column("deal.sale_proceeds", "sale_proceeds", "sale proceeds"),
    Column("deal.swap_receipt", "swap_receipt", "net swap received"),
    Column("deal.reserve_draw", "reserve_draw", "reserve brought forward"),
    Column("deal.fees", "fees_paid", "senior fees paid"),
    Column("deal.swap_paid", "swap_paid", "net swap paid"),
    Column("deal.excess_spread_gross", "excess_spread_gross", "excess spread, gross", "rate"),
    Column("deal.excess_spread_net", "excess_spread", "excess spread, net of losses", "rate"),
    Column("deal.reserve", "reserve_balance", "reserve balance"),
    Column("deal.reserve_requirement", "reserve_requirement", "reserve requirement"),
    Column("deal.residual", "residual", "residual released"),
    Column("deal.principal_target", "principal_target", "principal amount"),
    Column("deal.revolving", "revolving", "revolving", "flag"),
    Column("deal.accelerated", "accelerated", "accelerated (a trigger breached)", "flag"),
    Column("deal.sequential", "sequential", "sequential pay", "flag"),
)
"""Deal-level columns, read from the ``pool``, ``waterfall`` and (deal-level columns of) the
``notes`` tables, the first table holding the column winning.

With them the report reconciles on its own in every period, exactly, to the cent
(docs/REPORTS.md): collections paid in + sale proceeds + net swap received = senior fees + net
swap paid + the notes' interest and principal + receivables bought + residual + (reserve balance
- reserve brought forward). Collections paid in are the interest, principal and recoveries
collected rounded down to the cent with the fraction of a cent brought forward
(docs/WATERFALL.md §5.11): the waterfall pays whole cents. The pool sold is the pool's balance
bought back at a clean-up call (for the sale proceeds) or handed back to the originator at the
legal final period (for nothing); the reserve brought forward is the whole reserve, which every
period's funds include (docs/WATERFALL.md §5.2); the reserve's net change (reserve balance -
reserve brought forward) is negative when the period drew on it and positive when it was topped
up."""

POOL_BALANCES = ("pool.balance_begin", "pool.balance_end")
"""The pool's balances, shown as the waterfall measures the pool against the notes: rounded up
to the cent (:func:`sim.abs.steps.measured_pool`, docs/WATERFALL.md §5.7). The pool holds
fractions of a cent and the notes are paid down to it rounded up, so that pool balance, end -
the notes' balances = the OC (`sim.deal_report._oc_columns`) to the cent in every row, as
the report shows them; a period's start is the period before's end, rounded alike. The
pool's roll-forward holds to within a cent on them (docs/REPORTS.md, "Cents"); the run's
``pool`` table keeps the balances as they are."""

SWAP_COLUMNS = ("deal.swap_receipt", "deal.swap_paid")
"""Left out when the run's deal has no swap (always 0), as the PDL balance without a ledger."""

NOTE_COLUMNS: tuple[Column, ...] = (
    Column("interest_due", "interest_due", "interest due"),
    Column("interest", "interest_paid", "interest paid"),
    Column("interest_shortfall", "interest_shortfall", "interest shortfall"),
    Column("principal", "principal_paid", "principal paid"),
    Column("balance", "balance_end", "balance, end"),
    Column("writedown", "writedown", "writedown"),
    Column("pdl_debit", "pdl_debit", "PDL debit"),
    Column("pdl_credit", "pdl_credit", "PDL credit"),
    Column("pdl", "pdl_balance", "PDL balance"),
)
"""Per-note columns, read from the ``notes`` table: interest due (this period's coupon on the
balance at the start plus the shortfall carried, docs/WATERFALL.md §5.2) less interest paid is
the shortfall carried on; the PDL's debits (defaults, and principal used for interest) and
credits (from revenue) move its balance."""

PDL_KEYS = ("pdl_debit", "pdl_credit", "pdl")
"""The ledger's columns, left out of a deal without a PDL."""

DERIVED: dict[str, tuple[str, str]] = {
    "pool.yield": ("yield, annual", "rate"),
    "pool.default_rate": ("default rate, annual", "rate"),
    "pool.delinquency_ratio": ("delinquency ratio", "ratio"),
    "factor": ("factor", "ratio"),
    "credit_enhancement": ("credit enhancement", "ratio"),
    "deal.reserve_change": ("reserve, net change", "money"),
    "deal.oc": ("overcollateralisation (OC)", "money"),
    "deal.oc_pct": ("OC, share of the pool", "ratio"),
    "deal.oc_required": ("OC required", "money"),
}
"""Columns computed from the mapped ones: ``(label, kind)``; note-level ones without group.
Yield = interest collected × 12 / pool balance at the start; default rate = defaults × 12 /
pool balance at the start; delinquency ratio = delinquent balance / pool balance at the start;
reserve, net change = reserve balance - reserve brought forward (negative: the period drew on
the reserve; positive: it was topped up); the OC columns: see
`sim.deal_report._oc_columns`; factor and credit enhancement: see
`sim.deal_report.build_deal_report`."""

SMALL_POOL = 0.10
"""Share of the cut-off pool below which the annualised pool rates are left blank when the
deal has no clean-up call (with one, its ``call_pct``): the usual clean-up level of consumer
ABS. A few defaults on a pool that small annualise to figures (130 % a year) that describe no
rate; the amounts stay in the money columns."""

ANNUALISED_POOL = ("pool.yield", "pool.default_rate")
"""The pool's annualised rates, blank once the pool is small (`SMALL_POOL`)."""


LEGACY_NET = ("runs recorded before excess spread was net of losses: their 'excess_spread' "
              "is the gross figure, shown as gross; the net figure is not in this run")


@dataclass
class DealReport:
    """One path's period-by-period deal report.

    Attributes:
        table: One row per period (index ``period``, 1..T), flat columns named
            ``pool.<field>``, ``deal.<field>``, ``trigger.<name>.<value|threshold|breached>``
            and ``note.<note>.<field>``; money in currency units, rates and ratios as fractions.
        path: The path shown.
        selection: How the path was chosen, in words.
        notes: Note names, most senior first.
        triggers: Trigger names, in deal order.
        missing: What this run does not record, one sentence each (left out of the table).
        labels: Column name -> (header, kind).
        run_id: The run's id ('' when unknown).
        remarks: Conventions that blanked cells of this path, one sentence each (printed
            under the tables and kept in the workbook's ``about`` sheet).
    """

    table: pd.DataFrame
    path: int
    selection: str
    notes: list[str]
    triggers: list[str]
    missing: list[str] = field(default_factory=list)
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    run_id: str = ""
    remarks: list[str] = field(default_factory=list)

    def groups(self) -> dict[str, list[str]]:
        """Columns by group, in report order: ``pool``, ``deal``, ``reserve`` (what the
        reserve paid for), ``triggers``, then one group per note (``note <name>``): the pieces
        a narrow screen shows one by one."""
        out: dict[str, list[str]] = {"pool": [], "deal": [], "reserve": [], "triggers": []}
        for col in self.table.columns:
            head = col.split(".", 1)[0]
            if head == "trigger":
                out["triggers"].append(col)
            elif head == "note":
                out.setdefault(f"note {col.split('.')[1]}", []).append(col)
            else:
                out[head].append(col)
        return {k: v for k, v in out.items() if v}
