"""The recorded columns of a run, declared once with their unit and how they aggregate.

In the spirit of Mesa's DataCollector, every column the engine records each month (and
each column of the vintage and roll tables) is declared here, once: its unit (:class:`Unit`) and
how a path's months combine into one figure (:class:`Over`: a flow is summed, a stock
is read at the last month end, a level is averaged, a peak is the maximum). The engine
records rows through :class:`Recorder`, which refuses a column that is not declared;
money is recorded in integer cents and converted to currency units here only, from the
declared unit (:func:`to_currency` for a table, :func:`row_to_currency` for a record), so a
new money column cannot slip through in cents. The traced borrowers' stories are declared
the same way (:data:`TRACE`): both engines record their rows through
:class:`TraceRecorder`, in cents, and the rows leave the engine in currency units; so are
the securitisation vehicle's pool records (:data:`POOL`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.config import CHANNELS
from sim.delinquency import BUCKETS, DELINQUENT_BUCKETS

if TYPE_CHECKING:  # pandas is imported by the tables, not by the engine's workers
    import pandas as pd


class Unit(StrEnum):
    """What a column's numbers are."""

    CENTS = "cents"  # money, integer cents in the engine, currency units in the tables
    COUNT = "count"  # accounts, borrowers, actions, calls
    RATIO = "ratio"  # a share, a utilisation or an annual rate (0.05 = 5 %)
    DAYS = "days"
    POINTS = "points"  # behaviour-score points
    CURRENCY = "currency"  # money the engine keeps in currency units (floats): never converted
    FLAG = "flag"  # yes or no
    TEXT = "text"  # a name: an event, a repayment type
    ID = "id"  # a key: a path, a borrower slot


class Over(StrEnum):
    """How a column's monthly values combine over a path's months."""

    SUM = "sum"  # a flow during the month
    LAST = "last"  # a stock at the month end
    FIRST = "first"  # a stock at the start of the first month (the vehicle's opening pool)
    MEAN = "mean"  # a level or rate
    MAX = "max"  # a peak within the month


@dataclass(frozen=True)
class Column:
    """One recorded column: its name, unit, aggregation over months and meaning."""

    name: str
    unit: Unit
    over: Over
    description: str


def _declare(*columns: Column) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for c in columns:
        if c.name in out:
            raise ValueError(f"column {c.name!r} declared twice")
        out[c.name] = c
    return out


def _family(pattern: str, names: Iterable[str], unit: Unit, over: Over,
            description: str) -> list[Column]:
    return [Column(pattern.format(n), unit, over, description.format(n)) for n in names]


C, N, R = Unit.CENTS, Unit.COUNT, Unit.RATIO
FLOW, STOCK = Over.SUM, Over.LAST

MONTHLY: dict[str, Column] = _declare(
    # the book's flows (sim.engine)
    Column("new_purchases", C, FLOW, "purchases booked on credit lines"),
    Column("fees_billed", C, FLOW, "instalment and late fees billed at the statement"),
    Column("payments", C, FLOW, "payments received (due dates and collections)"),
    Column("payments_principal", C, FLOW, "the principal part of payments"),
    Column("payments_fees", C, FLOW, "the fee part of payments"),
    Column("charge_offs", C, FLOW, "balances charged off"),
    Column("charge_offs_principal", C, FLOW, "the principal part of charge-offs"),
    Column("charge_offs_fees", C, FLOW, "the fee part of charge-offs"),
    Column("charged_off_accounts", N, FLOW, "accounts charged off"),
    Column("limit_increases", N, FLOW, "credit limits raised"),
    Column("limit_cuts", N, FLOW, "credit limits cut on a score drop"),
    Column("missed_payments", N, FLOW, "due dates that left something unpaid"),
    Column("cures", N, FLOW, "delinquent accounts brought current at the due date"),
    Column("bills_due", N, FLOW, "accounts with a bill at the due date"),
    # recoveries after charge-off (sim.agents.recoveries)
    Column("recoveries", C, FLOW, "recoveries after charge-off, every channel and debt sale"),
    Column("recoveries_internal", C, FLOW, "recoveries by the platform's own collectors"),
    Column("recoveries_agency", C, FLOW, "recoveries by the external agency"),
    Column("recoveries_legal", C, FLOW, "recoveries through the courts"),
    Column("debt_sale_proceeds", C, FLOW, "proceeds of debt sales"),
    Column("recovery_commission", C, FLOW, "the agency's commission on its recoveries"),
    Column("net_recoveries", C, FLOW, "recoveries less agency commission and legal costs"),
    # collections (sim.agents.collections)
    *_family("actions_{}", CHANNELS, N, FLOW, "contacts through {}"),
    *_family("cost_{}", CHANNELS, C, FLOW, "cost of contacts and commission through {}"),
    *_family("collected_{}", CHANNELS, C, FLOW, "payments after a contact through {}"),
    *_family("cures_{}", DELINQUENT_BUCKETS, N, FLOW,
             "accounts cured by a collection payment from {}"),
    Column("collector_capacity", N, FLOW, "calls the collectors could make"),
    Column("collector_calls", N, FLOW, "calls the collectors made"),
    Column("collector_utilisation", R, Over.MEAN, "calls made / calls possible"),
    Column("collector_cost", C, FLOW, "the collectors' pay and employer costs, used or not"),
    Column("queue_wait_days", Unit.DAYS, Over.MEAN, "mean wait of the accounts called"),
    Column("queue_length", N, STOCK, "accounts waiting for a collector at the month end"),
    Column("promises_made", N, FLOW, "promises to pay"),
    Column("promises_kept", N, FLOW, "promises kept on their day"),
    Column("promises_broken", N, FLOW, "promises broken on their day"),
    Column("hardship_enrolments", N, FLOW, "accounts re-aged by the hardship programme"),
    Column("arrangement_reages", N, FLOW, "accounts re-aged after a kept arrangement"),
    Column("legal_cases", N, FLOW, "court claims filed"),
    Column("legal_costs", C, FLOW, "filing costs of court claims"),
    Column("max_contacts_day", N, Over.MAX, "most contacts of one account in a day"),
    Column("max_contacts_week", N, Over.MAX, "most contacts of one account in seven days"),
    Column("collection_cost", C, FLOW, "every channel's cost, the collectors' cost and "
           "legal costs"),
    Column("human_contacted_ever", N, STOCK, "borrowers ever called by a collector"),
    # interventions (sim.agents.interventions)
    Column("ew_flagged", N, FLOW, "borrowers the early-warning model flagged"),
    Column("ew_cost", C, FLOW, "cost of early-warning reminders"),
    Column("nudge_cost", C, FLOW, "cost of borrower education"),
    # the book at the month end (sim.engine)
    Column("opening_balance", C, Over.LAST, "receivables at the last month end"),
    Column("receivables_balance", C, STOCK, "receivables at the month end"),
    *_family("balance_{}", BUCKETS, C, STOCK, "receivables {} (reported days past due)"),
    *_family("accounts_{}", BUCKETS, N, STOCK, "open accounts {} (reported)"),
    *_family("balance_contractual_{}", BUCKETS, C, STOCK,
             "receivables {} by contractual days past due"),
    *_family("accounts_contractual_{}", BUCKETS, N, STOCK,
             "open accounts {} by contractual days past due"),
    Column("balance_re_aged", C, STOCK, "receivables of re-aged accounts still contractually "
           "past due (reported current)"),
    Column("accounts_re_aged", N, STOCK, "re-aged accounts still contractually past due"),
    Column("reaged_window_closed", N, FLOW, "re-aged accounts whose 12-month window closed"),
    Column("reaged_redefaulted_30", N, FLOW, "of those, 31+ days past due or charged off"),
    Column("reaged_redefaulted_60", N, FLOW, "of those, 61+ days past due or charged off"),
    Column("active_borrowers", N, STOCK, "open accounts"),
    Column("onboarded_borrowers", N, STOCK, "borrowers onboarded so far"),
    Column("credit_limit_total", C, STOCK, "credit limits of open accounts"),
    Column("unemployed_borrowers", N, STOCK, "borrowers with an open account out of work"),
    Column("mean_score", Unit.POINTS, STOCK, "mean behaviour score of open accounts"),
    Column("unemployment_rate", R, Over.MEAN, "the path's macro unemployment rate"),
    Column("base_rate", R, Over.MEAN, "the path's base interest rate (annual)"),
)
"""Every column of the monthly series (one row per path and month)."""

COLLECTION_COST_PARTS: tuple[str, ...] = (*(f"cost_{ch}" for ch in CHANNELS),
                                          "collector_cost", "legal_costs")
"""The monthly columns that add up to ``collection_cost``, each month of each path: every
channel's contacts and commissions, the collectors' pay and legal filing costs."""

VINTAGES: dict[str, Column] = _declare(
    Column("cohort", N, STOCK, "onboarding month of the cohort"),
    Column("month", N, STOCK, "month of the row"),
    Column("cohort_size", N, STOCK, "borrowers onboarded in the cohort"),
    Column("purchases", C, FLOW, "the cohort's purchases in the month"),
    Column("charge_offs", C, FLOW, "the cohort's charge-offs in the month"),
    Column("charged_off_accounts", N, FLOW, "the cohort's accounts charged off in the month"),
)
"""Every column of the vintage records (one row per path, cohort and month)."""

ROLLS: dict[str, Column] = _declare(
    Column("accounts", N, FLOW, "accounts in from_state at the previous month end and in "
                                "to_state at this one"),
    Column("balance", C, FLOW, "those accounts' balance at the previous month end"),
)
"""The measured columns of the roll records (one row per path, month and pair of states)."""


TRACE: dict[str, Column] = _declare(
    # the row's keys
    Column("path", Unit.ID, STOCK, "the Monte Carlo path"),
    Column("borrower", Unit.ID, STOCK, "the borrower's slot in the book"),
    Column("day", Unit.DAYS, STOCK, "the event's time, days since the book opened"),
    Column("month", N, STOCK, "the event's month, from 0"),
    Column("event", Unit.TEXT, STOCK, "what happened (statement, due_date, a channel ...)"),
    Column("type", Unit.TEXT, STOCK, "the borrower's repayment type (repayment.types)"),
    # the borrower's state after the event (sim.agents.borrowers, sim.ledger)
    Column("income", Unit.CURRENCY, STOCK, "the month's income (the pool keeps currency units)"),
    Column("employed", Unit.FLAG, STOCK, "in work"),
    Column("savings", Unit.CURRENCY, STOCK, "savings, below 0 debts elsewhere (the pool keeps "
           "currency units)"),
    Column("score", Unit.POINTS, STOCK, "the behaviour score"),
    Column("limit", C, STOCK, "the credit limit"),
    Column("balance", C, STOCK, "the account's balance"),
    Column("dpd", Unit.DAYS, STOCK, "days past due as reported"),
    Column("contractual_dpd", Unit.DAYS, STOCK, "days past due as if never re-aged"),
    Column("re_aged", Unit.FLAG, STOCK, "ever re-aged"),
    Column("active", Unit.FLAG, STOCK, "the account is open (not charged off)"),
    Column("months_unemployed", N, STOCK, "months out of work in a row"),
    # the event's amounts, on the rows of the events that have them
    Column("bill", C, FLOW, "a statement's bill: everything unpaid"),
    Column("fee", C, FLOW, "the fees a statement added to the balance"),
    Column("expense", C, FLOW, "the month's sudden expense taken from savings, on a statement's "
           "row (the pool's currency units times 100: cents, not always whole)"),
    Column("owed", C, FLOW, "what was due at a due date, every unpaid bill"),
    Column("paid", C, FLOW, "what paid the balance down (a due date, a collection contact)"),
    Column("purchase", C, FLOW, "a purchase on the credit line"),
    Column("written_off", C, FLOW, "the balance a charge-off wrote off"),
    Column("dpd_at_charge_off", Unit.DAYS, STOCK, "days past due as the account was charged off"),
    Column("recovered", C, FLOW, "what a closed account's recovery brought in, gross of the "
           "agency's commission (Recoveries.story_events)"),
    Column("sale_proceeds", C, FLOW, "what the sale of a closed account's debt brought in"),
)
"""Every column of a traced borrower's story (one row per event): the row's keys, the
borrower's state after the event (a stock, read at the last row) and the event's amounts (a
flow). Money is recorded in cents, except the borrower's income and savings, which the pool
keeps as floats in currency units (:attr:`Unit.CURRENCY`)."""


POOL: dict[str, Column] = _declare(
    # the waterfall's inputs (sim.abs.Waterfall.run_period takes them in currency units)
    Column("pool_balance_begin", C, Over.FIRST, "the vehicle's pool at the period's start"),
    Column("interest", C, FLOW, "the vehicle's share of the fees paid (the pool's interest)"),
    Column("principal", C, FLOW, "the vehicle's share of principal paid"),
    Column("recoveries", C, FLOW, "recoveries on its charged-off accounts, net of the "
           "agency's commission"),
    Column("defaults", C, FLOW, "the vehicle's share of principal charged off"),
    Column("delinquent_balance", C, STOCK, "its share of accounts past the deal's "
           "delinquency_dpd"),
    Column("base_rate", R, Over.MEAN, "the path's base interest rate (annual)"),
    Column("replenishment_capacity", C, STOCK, "eligible principal it could still buy"),
    # what the vehicle did with them (sim.agents.spv)
    Column("purchased", C, FLOW, "principal bought while revolving"),
    Column("sold", C, FLOW, "the pool bought back at a clean-up call, or returned to the "
           "originator after the legal final period"),
    Column("pool_balance_end", C, STOCK, "the vehicle's pool at the period's end"),
    Column("accounts", N, STOCK, "accounts it holds a part of"),
)
"""Every column of the vehicle's pool records (one row per path and period), in the order of
the ``pool`` table: the waterfall's inputs, then what the vehicle bought and sold, its balance
at the period's end and the number of accounts it holds a part of. For every period
``pool_balance_begin - principal - defaults + purchased - sold = pool_balance_end``. The
vehicle holds fractions of accounts, so its cents are not always whole."""


def money_columns(declared: Mapping[str, Column] = MONTHLY) -> tuple[str, ...]:
    """The columns declared in cents, in declaration order."""
    return tuple(name for name, c in declared.items() if c.unit is Unit.CENTS)


def to_currency(frame: pd.DataFrame, declared: Mapping[str, Column] = MONTHLY
                ) -> pd.DataFrame:
    """Convert, in place, every column of ``frame`` declared in cents to currency units.

    The engine records money as whole cents (integers); each is divided by 100 once,
    here. Columns of ``frame`` that are not declared (keys such as ``path``) are left.

    Returns:
        ``frame``, for chaining.
    """
    for name in money_columns(declared):
        if name in frame:
            frame[name] = frame[name].to_numpy(dtype=np.int64) / 100.0
    return frame


def row_to_currency(row: Mapping[str, Any], declared: Mapping[str, Column] = TRACE
                    ) -> dict[str, Any]:
    """One record's values (column -> value), each declared in cents divided by 100 once,
    here; the others as they are, in the same order.

    Raises:
        KeyError: naming the columns of ``row`` that are not declared.
    """
    _refuse_undeclared(row.keys(), declared)
    return {k: v / 100.0 if declared[k].unit is Unit.CENTS else v for k, v in row.items()}


def _refuse_undeclared(names: Iterable[str], declared: Mapping[str, Column]) -> None:
    unknown = set(names).difference(declared)
    if unknown:
        raise KeyError(f"columns not declared in sim.recorder: {', '.join(sorted(unknown))}")


def over_months(monthly: Mapping[str, np.ndarray],
                declared: Mapping[str, Column] = MONTHLY) -> dict[str, float]:
    """One path's months combined into one figure per column, by its declared :class:`Over`.

    Args:
        monthly: column -> values by month (as in ``PathResult.monthly``), at least one month.

    Raises:
        KeyError: naming a column of ``monthly`` that is not declared.
    """
    combine: dict[Over, Callable[[np.ndarray], Any]] = {
        Over.SUM: np.sum, Over.MEAN: np.mean, Over.MAX: np.max, Over.LAST: lambda v: v[-1],
        Over.FIRST: lambda v: v[0]}
    out = {}
    for name, values in monthly.items():
        if name not in declared:
            raise KeyError(f"column {name!r} is not declared in sim.recorder")
        out[name] = float(combine[declared[name].over](np.asarray(values)))
    return out


class Recorder:
    """Rows of declared columns, appended month by month, read once as arrays.

    Args:
        declared: the columns a row may hold (:data:`MONTHLY` or :data:`VINTAGES`).
    """

    def __init__(self, declared: Mapping[str, Column] = MONTHLY):
        self.declared = declared
        self._rows: dict[str, list] = {}

    def record(self, row: Mapping[str, float | int | np.ndarray]) -> None:
        """Append one row (column -> value, or an array of values for several rows).

        Raises:
            KeyError: naming the columns of ``row`` that are not declared.
        """
        _refuse_undeclared(row.keys(), self.declared)
        for name, value in row.items():
            self._rows.setdefault(name, []).append(value)

    def __getitem__(self, name: str) -> list:
        """The values of column ``name`` recorded so far (KeyError when none)."""
        return self._rows[name]

    def __contains__(self, name: object) -> bool:
        return name in self._rows

    def series(self) -> dict[str, np.ndarray]:
        """Each column's values in the order recorded (scalars stacked, arrays joined)."""
        return {k: np.concatenate(v) if v and isinstance(v[0], np.ndarray) else np.asarray(v)
                for k, v in self._rows.items()}


class TraceRecorder:
    """The traced borrowers' rows (:data:`TRACE`), money in cents, read in currency units.

    An event's row holds the columns it has (a statement's ``bill``, a due date's ``paid``),
    so rows are kept whole, in the order recorded, rather than as columns.
    """

    def __init__(self, declared: Mapping[str, Column] = TRACE):
        self.declared = declared
        self._rows: list[Mapping[str, Any]] = []

    def record(self, row: Mapping[str, Any]) -> None:
        """Append one row (column -> value, money in cents).

        Raises:
            KeyError: naming the columns of ``row`` that are not declared.
        """
        _refuse_undeclared(row.keys(), self.declared)
        self._rows.append(row)

    def rows(self) -> list[dict[str, Any]]:
        """The rows in the order recorded, money in currency units (:func:`row_to_currency`)."""
        return [row_to_currency(row, self.declared) for row in self._rows]
