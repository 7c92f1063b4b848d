"""One Monte Carlo path: a SimPy environment whose clock is in days.

Each concern is one SimPy process that moves every borrower at once when its event
comes round: the month start (onboarding, macro, statement, income), the charge-off
batch, the due date (payments, scores, limits), purchases, and the month-end books.
A month is 30 days; within a day, events run in the order of their time of day
(statement 00:00, charge-off batch 06:00, payments 12:00), so the rules do not
depend on the order SimPy happens to schedule processes in.

Randomness: the path's seed sequence is split into one stream per concern, so a
change of policy leaves every other concern's draws untouched.

The engine coordinates: each agent gets the arrays it reads (the ledger, the pool, its
config section) and returns what happened (a due date's payments, the accounts charged off,
re-aged or flagged); the engine passes these on, to the month's records and to every
:class:`sim.agents.listener.BookListener` (the vehicle). No agent reaches into another.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim.abs import WaterfallResult
from sim.agents.borrowers import BorrowerPool, BorrowerRules
from sim.agents.collections import Collections, Restructured
from sim.agents.interventions import EarlyWarning, LenderView, educate
from sim.agents.listener import BookListener
from sim.agents.platform import ChargeOffOutcome, DueDateOutcome, Platform
from sim.agents.recoveries import Recoveries
from sim.agents.spv import SPV, BookAtMonthEnd
from sim.config import BORROWER_TYPES, RunConfig
from sim.crn import path_keys
from sim.delinquency import (
    BUCKETS,
    DAYS_PER_MONTH,
    NOT_ON_BOOK,
    ROLL_STATES,
    charge_off_day,
)
from sim.kernels.month_layout import (
    ACCOUNTS,
    BALANCE,
    CONTRACT_ACCOUNTS,
    CONTRACT_BALANCE,
    LIMITS,
    OPEN,
    REAGED_ACCOUNTS,
    REAGED_BALANCE,
    RECEIVABLES,
    UNEMPLOYED,
)
from sim.recorder import MONTHLY, VINTAGES, Recorder, TraceRecorder
from sim.scenarios import simulate_base_rate, simulate_unemployment

CONCERNS = ("macro", "traits", "income", "spending", "repayment", "collections", "recovery", "spv",
            "early_warning", "education", "experiment")
CHARGEOFF_HOUR, PAYMENT_HOUR = 0.25, 0.5  # fractions of a day
REDEFAULT_WINDOW = 12  # months after a re-age in which a relapse counts as a re-default


def path_streams(seed: int, path: int) -> dict[str, np.random.Generator]:
    """Independent generators for each concern of path ``path`` of root ``seed``.

    The path's sequence is ``SeedSequence(seed).spawn(...)[path]``; its children, in
    the order of :data:`CONCERNS`, seed one generator per concern.
    """
    path_seq = np.random.SeedSequence(seed, spawn_key=(path,))
    return {
        name: np.random.default_rng(child)
        for name, child in zip(CONCERNS, path_seq.spawn(len(CONCERNS)), strict=True)
    }


@dataclass
class PathResult:
    """Records of one path: monthly series and vintage table (money in cents), and the
    optional trace, whose rows leave the engine with money in currency units
    (:meth:`sim.recorder.TraceRecorder.rows`)."""

    path: int
    monthly: dict[str, np.ndarray]
    vintages: dict[str, np.ndarray]
    trace: list[dict] = field(default_factory=list)
    rolls: np.ndarray | None = None  # accounts by (month, state at last month end, state now)
    roll_balance: np.ndarray | None = None  # same, weighted by the balance at the last month end
    summary: dict[str, float] = field(default_factory=dict)  # per-path facts, e.g. model AUC
    waterfall: WaterfallResult | None = None  # the vehicle's waterfall, when there is a deal
    pool: dict[str, np.ndarray] | None = None  # the vehicle's pool per period (currency units)
    experiment: dict[str, np.ndarray] | None = None  # field-experiment outcomes, when one ran


class _Month:
    """Flows accumulated during one month, in cents."""

    FLOWS = ("new_purchases", "fees_billed", "payments", "payments_principal", "payments_fees",
             "charge_offs", "charge_offs_principal", "charge_offs_fees", "charged_off_accounts",
             "limit_increases", "limit_cuts", "missed_payments", "cures", "bills_due")

    def __init__(self) -> None:
        self.flows = dict.fromkeys(self.FLOWS, 0)

    def add(self, name: str, value: int | np.integer) -> None:
        self.flows[name] += int(value)


class PathSimulation:
    """Build the agents of one path and run them through the horizon."""

    def __init__(self, config: RunConfig, seed: int, path: int,
                 trace_ids: tuple[int, ...] = ()):
        self.config = config
        self.path = path
        self.months = config.book.horizon_months
        self.streams = path_streams(seed, path)
        self.pool = BorrowerPool(BorrowerRules.of(config), config.capacity,
                                 self.streams["traits"])
        self.platform = Platform(config.credit_line, config.billing, config.repayment,
                                 self.new_recoveries(), config.capacity)
        self.unemployment = simulate_unemployment(config.macro, self.months, self.streams["macro"])
        self.base_rate = simulate_base_rate(config.macro, self.unemployment, self.streams["macro"])
        self.platform.recovery.set_cycle(self.unemployment, config.macro.unemployment_base)
        self.n = 0
        self.env = simpy.Environment()
        self.month = _Month()
        self.opening: float = 0  # cents (a whole number)
        self.series = Recorder(MONTHLY)
        self.vintage_rows = Recorder(VINTAGES)
        self.trace_ids = np.array(sorted(set(trace_ids)), dtype=np.int64)
        if np.any((self.trace_ids < 0) | (self.trace_ids >= config.capacity)):
            raise ValueError(f"trace ids must be between 0 and {config.capacity - 1}")
        self.trace = TraceRecorder()  # the traced borrowers' rows, money in cents
        # traced accounts charged off: each with its own recoveries, for its story
        self._closed: dict[int, Recoveries] = {}
        self.extra_processes: list[Callable[[PathSimulation], Generator]] = []
        # (time in days, callback): read the path at a time of its own, not the handlers';
        # unlike an extra process it keeps the ladder's days in compiled spans
        self.probes: list[tuple[float, Callable[[PathSimulation], None]]] = []
        # the latest event's per-account outcome, for agents that follow the book (the SPV)
        self.last_due: DueDateOutcome | None = None
        self.last_charge_off: ChargeOffOutcome | None = None
        self.last_purchases = np.zeros(0, dtype=np.int64)
        self._co_amount: np.ndarray = np.zeros(self.months)
        self._co_count: np.ndarray = np.zeros(self.months, dtype=np.int64)
        self._purchases_by_cohort: np.ndarray = np.zeros(self.months)
        self._cohort_sizes = np.zeros(self.months, dtype=np.int64)  # slots 0.._sized-1
        self._sized = 0
        self.month_index = 0
        self.keys = path_keys(self.streams)  # one key per concern (sim.crn.PURPOSE_KEY)
        self.listeners: list[BookListener] = []  # told of payments, charge-offs, purchases
        self.collections = self.build_collections()
        self.early_warning = EarlyWarning(config.early_warning, config.billing.due_day,
                                          self.keys["early_warning"])
        self._nudge_cost = 0
        self.roll_counts: list[np.ndarray] = []
        self.roll_balances: list[np.ndarray] = []
        self._last_bucket = np.full(config.capacity, NOT_ON_BOOK, dtype=np.int8)  # state code
        # cents; an account's balance fits int32 (sim.ledger.MAX_ACCOUNT_CENTS)
        self._last_balance = np.zeros(config.capacity, dtype=np.int32)
        # re-aged accounts that relapsed to 30+ / 60+ DPD or charge-off since their re-age
        self._redefault = np.zeros((2, config.capacity), dtype=bool)
        self.spv = None
        if config.deal is not None:
            self.spv = SPV(config.deal, self.months, config.capacity, self.keys["spv"],
                           self.base_rate,
                           self.new_recoveries)
            self.listeners.append(self.spv)

    def release(self) -> None:
        """Drop this object's references to every agent and array of the path, so that
        they are freed now: they refer back to it, a cycle that only the garbage collector's
        full pass would break. What :meth:`run` returned is untouched (no array is changed,
        only references are dropped); the simulation cannot run again."""
        vars(self).clear()

    def new_recoveries(self) -> Recoveries:
        """Empty recovery cohorts for this path's horizon, under the run's recovery rules."""
        return Recoveries(self.config.recovery, self.config.collections, self.months)

    def build_collections(self, kind: type[Collections] = Collections) -> Collections:
        """The path's collection process (of class ``kind``), wired to its accounts: its
        payments go to :meth:`record_payment`, its contacts to :meth:`record_trace`."""
        c = self.config
        return kind(c.collections, c.repayment, c.experiment, c.capacity,
                    self.keys["collections"], self.env, experiment_key=self.keys["experiment"],
                    ledger=self.platform.ledger, active=self.platform.active, pool=self.pool,
                    on_payment=self.record_payment, on_trace=self.record_trace,
                    accelerated=self.platform.accelerated)

    # -- the clock ---------------------------------------------------------------------------
    def _monthly(self, offset: float, handler: Callable[[int], None]
                 ) -> Generator[simpy.Event, Any, None]:
        """A process that calls ``handler(month)`` at ``offset`` days into every month."""
        for m in range(self.months):
            yield self.env.timeout(m * DAYS_PER_MONTH + offset - self.env.now)
            handler(m)

    def _probe(self, at: float, probe: Callable[[PathSimulation], None]
               ) -> Generator[simpy.Event, Any, None]:
        """A process that calls ``probe(self)`` at ``at`` days."""
        yield self.env.timeout(at - self.env.now)
        probe(self)

    def watch_calls(self, borrower: int) -> None:
        """Log the days on which the collectors call ``borrower`` in the run to come (read
        by :meth:`call_days`); the ladder's days still run in compiled spans, unlike a
        trace."""
        self.collections.watch(borrower, self.months * DAYS_PER_MONTH)

    def call_days(self) -> frozenset[int]:
        """The days on which the collectors called the borrower of :meth:`watch_calls`."""
        return self.collections.watched_call_days()

    def run(self) -> PathResult:
        """Run every process to the end of the horizon and return the path's records."""
        bill = self.config.billing
        chargeoff_day = charge_off_day(bill.due_day, bill.chargeoff_dpd)
        schedule = [
            (0.0, self.on_month_start),
            (chargeoff_day + CHARGEOFF_HOUR, self.on_charge_off),
            (self.early_warning.action_day + PAYMENT_HOUR, self.on_early_warning),
            (bill.due_day + PAYMENT_HOUR, self.on_due_date),
            (bill.purchase_day + PAYMENT_HOUR, self.on_purchases),
            (DAYS_PER_MONTH - 0.01, self.on_month_end),
        ]
        for offset, handler in schedule:
            self.env.process(self._monthly(offset, handler))
        days = self.months * DAYS_PER_MONTH
        # the ladder runs the days between two of these events in one call; one day at a
        # time when borrowers are traced or other processes run
        events = [m * DAYS_PER_MONTH + offset for m in range(self.months)
                  for offset, _ in schedule] + [at for at, _ in self.probes]
        batched = self.trace_ids.size == 0 and not self.extra_processes
        self.env.process(self.collections.daily(days, events if batched else None))
        for make in self.extra_processes:
            self.env.process(make(self))
        for at, probe in self.probes:
            self.env.process(self._probe(at, probe))
        self.env.run(until=self.months * DAYS_PER_MONTH)
        monthly = self.series.series()
        vintages = self.vintage_rows.series()
        rolls = np.stack(self.roll_counts)  # (months, from state, to state)
        summary = {"early_warning_auc": self.early_warning.auc()}
        result = PathResult(self.path, monthly, vintages, self.trace.rows(), rolls,
                            np.stack(self.roll_balances), summary)
        if self.collections.experiment is not None:
            result.experiment = self.collections.experiment.outcomes(
                self.platform.chargeoff_month, self.months * DAYS_PER_MONTH)
            who = result.experiment["borrower"]
            result.experiment["kind"] = self.pool.kind[who]
            result.experiment["employed"] = self.pool.employed[who]
        if self.spv is not None and self.spv.waterfall is not None:  # the deal started
            result.waterfall = self.spv.waterfall.result()
            result.pool = self.spv.pool_table()
        return result

    # -- handlers, in time-of-month order -------------------------------------------------------
    def on_month_start(self, m: int) -> None:
        """Onboard the month's borrowers, issue statements, step incomes."""
        book = self.config.book
        self.month_index = m
        new = book.initial_borrowers if m == 0 else book.new_borrowers_per_month
        self.platform.onboard(self.n, self.n + new, m, self.pool)
        self._nudge_cost += educate(self.config.nudges, self.keys["education"], self.pool, self.n,
                                    self.n + new, m)
        self.n += new
        self.pool.month = m
        u_next = self.unemployment[min(m + 1, self.months - 1)]
        # the statement first: a current account's bill is kept aside above the savings cap
        # (repayment.buffer_after_bill); nothing in the statement reads incomes or savings
        ledger, aside = self.platform.ledger, None
        unpaid = ledger.unpaid[:self.n]  # cents billed and unpaid, a view
        current = unpaid == 0 if self.config.repayment.buffer_after_bill else None
        _, fees = self.platform.statement(m, self.n, self.collections.termination_held(m, self.n))
        if current is not None:  # the bill after the statement, in currency units
            aside = np.where(current, unpaid, 0) / 100.0
        self.pool.step_income(self.n, float(self.unemployment[m]), self.streams["income"],
                              float(u_next), aside)
        self.collections.end_terminated_arrangements(self.n)
        self.month.add("fees_billed", fees.sum())
        self.early_warning.on_statement(m, self.n, self.lender_view())
        if self.trace_ids.size:  # the month's sudden expenses, for the story
            self.record_trace("statement", m, open_only=True, bill=ledger.owed(self.n), fee=fees,
                              expense=self.pool.sudden_expenses(self.n) * 100.0)

    def on_charge_off(self, m: int) -> None:
        col = self.collections
        # days past due as the accounts are charged off (the write-off clears them), for the
        # story
        dpd = self.platform.ledger.days_past_due(self.env.now, self.n) if self.trace_ids.size \
            else None
        out = self.platform.charge_off(self.env.now, m, self.n, self.pool,
                                       self.streams["recovery"], col.agency, col.legal)
        self.last_charge_off = out
        for listener in self.listeners:
            listener.on_charge_offs(m, out)
        self.month.add("charge_offs_principal", out.principal.sum())
        self.month.add("charge_offs_fees", out.fee.sum())
        self.month.add("charge_offs", out.principal.sum() + out.fee.sum())
        self.month.add("charged_off_accounts", out.index.size)
        cohort = self.platform.onboard_month[out.index]
        self._co_amount = np.bincount(cohort, weights=out.principal + out.fee,
                                      minlength=self.months)
        self._co_count = np.bincount(cohort, minlength=self.months)
        if self.trace_ids.size:  # what is written off, for the story
            written_off = np.zeros(self.n, dtype=np.int64)
            written_off[out.index] = out.principal + out.fee
            self.record_trace("charge_off", m, only=out.index, days={"dpd_at_charge_off": dpd},
                              written_off=written_off)
        traced = np.isin(out.index, self.trace_ids) if self.trace_ids.size else ()
        for j in np.flatnonzero(traced).tolist():  # the account alone, by the book's rules
            self._closed[int(out.index[j])] = self.platform.recovery.one_account(
                m, int(out.recovery_total[j]), int(out.principal[j] + out.fee[j]),
                int(out.channel[j]))

    def on_due_date(self, m: int) -> None:
        out = self.platform.due_date(m, self.n, self.pool, self.streams["repayment"])
        self.last_due = out
        self.record_payment(out.paid_principal, out.paid_fee)
        # recorded before a re-age the due date may bring (the re-age is its own row)
        self.record_trace("due_date", m, open_only=True, paid=out.paid, owed=out.owed)
        self.month.add("missed_payments", out.missed.sum())
        self.month.add("cures", out.cured.sum())
        self.month.add("bills_due", (out.owed > 0).sum())
        self.month.add("limit_increases", out.limit_increases)
        self.month.add("limit_cuts", out.limit_cuts)
        self.early_warning.on_due(m, out.missed)
        self.collections.count_cures(out.days_past_due[out.cured])
        self.restructured(m, self.collections.reage_arrangements(m, out.paid, out.missed),
                          "arrangement_reage")
        self.restructured(m, self.collections.hardship_requests(self.n, m))
        self.collections.refresh(self.n, m)

    def record_payment(self, principal: np.ndarray, fee: np.ndarray,
                       idx: np.ndarray | None = None, ends: np.ndarray | None = None) -> None:
        """Add payments (cents per account ``idx``, or accounts 0.. when None) to the flows
        and tell the listeners. ``ends``: where each batch of the payments ends (positions,
        the last their number), when they came in batches (the ladder's span of days, one
        call for all its batches); None: one batch."""
        for listener in self.listeners:
            listener.on_payments(principal, fee, idx, ends)
        p, f = int(principal.sum()), int(fee.sum())
        self.month.add("payments", p + f)
        self.month.add("payments_principal", p)
        self.month.add("payments_fees", f)

    def on_purchases(self, m: int) -> None:
        by_cohort = np.zeros(self.months)  # cents bought, by onboarding month
        amount = self.platform.purchases(m, self.n, self.env.now, self.pool,
                                         self.streams["spending"], by_cohort)
        self.last_purchases = amount
        for listener in self.listeners:
            listener.on_purchases(amount, self.platform.ledger)
        self.month.add("new_purchases", amount.sum())
        self._purchases_by_cohort = by_cohort
        if self.trace_ids.size:  # only those who bought: a story shows only what happened
            self.record_trace("purchase", m, only=np.flatnonzero(amount > 0), purchase=amount)

    def on_month_end(self, m: int) -> None:
        """Collect recoveries and close the month's books into the records."""
        from sim.kernels.month_end import close_month, open_values  # numba loads with a path

        self._trace_recoveries(m)
        p, n, ledger = self.platform, self.n, self.platform.ledger
        day = (m + 1) * DAYS_PER_MONTH
        dpd, principal, buckets, totals, counts, money = close_month(
            day, m, n, ledger.due_day, ledger.any_reaged, p.active, ledger.oldest,
            ledger.contract_oldest, ledger.reaged_left, ledger.outstanding, *ledger.bills(),
            p.limit, self.pool.employed, self._last_bucket, self._last_balance,
            len(ROLL_STATES) + 1, self.spv is not None)  # the vehicle reads the principal
        row: dict[str, float] = dict(self.month.flows)
        row.update(p.recovery.month_flows(m))
        row.update(self.collections.month_record(n))
        row.update(self.early_warning.month_record())
        row["nudge_cost"], self._nudge_cost = self._nudge_cost, 0
        row["net_recoveries"] = (row["recoveries"] - row["recovery_commission"]
                                 - row["legal_costs"])
        row["opening_balance"] = self.opening
        row["receivables_balance"] = int(totals[RECEIVABLES])
        active = p.active[:n]
        row.update(self._bucket_columns(buckets, totals))
        row.update(self._redefaults(m, active, dpd))
        row["active_borrowers"] = int(totals[OPEN])
        row["onboarded_borrowers"] = n
        row["credit_limit_total"] = int(totals[LIMITS])
        row["unemployed_borrowers"] = int(totals[UNEMPLOYED])
        scores = open_values(p.active, self.pool.score, n)
        row["mean_score"] = float(scores.mean()) if scores.size else 0.0
        row["unemployment_rate"] = float(self.unemployment[m])
        row["base_rate"] = float(self.base_rate[m])
        self.series.record(row)
        self._record_vintages(m)
        self._keep_rolls(counts, money)
        self.opening = row["receivables_balance"]
        self.month = _Month()
        if self.spv is not None:
            book = BookAtMonthEnd(principal, dpd, active, self.pool.score[:n],
                                  p.onboard_month[:n])
            self.spv.on_month_end(m, book)

    def on_early_warning(self, m: int) -> None:
        """Carry out the early-warning model's action on the borrowers it flags."""
        flagged = self.early_warning.act(m)
        if flagged is None:
            return
        if flagged.action == "reminder":
            self.pool.reminded[flagged.index] = True
        elif flagged.action == "limit_cut":
            self.platform.cut_limits(flagged.index, flagged.limit_cut_pct)
        else:
            self.restructured(m, self.collections.offer_hardship(m, flagged.index))

    def restructured(self, m: int, out: Restructured, event: str = "hardship") -> None:
        """Pass on accounts re-aged in month ``m``: a new plan replaces a terminated
        contract, the listeners hear of the principal's change, the traced see it (as
        ``event``: ``hardship``, or ``arrangement_reage`` for a kept arrangement's)."""
        if out.index.size == 0:
            return
        self.platform.accelerated[out.index] = False
        for listener in self.listeners:
            listener.on_restructure(out.index, out.before, out.after)
        self.record_trace(event, m, only=out.index)

    def lender_view(self) -> LenderView:
        """What the lender sees of every account (the early-warning model's inputs)."""
        p = self.platform
        return LenderView(score=self.pool.score, outstanding=p.ledger.outstanding,
                          unpaid=p.ledger.unpaid, limit=p.limit, onboard_month=p.onboard_month,
                          recent_missed=p.recent_missed,
                          recent_contacts=self.collections.recent_contacts,
                          recent_cut=p.recent_cut, oldest=p.ledger.oldest, active=p.active)

    @staticmethod
    def _bucket_columns(buckets: np.ndarray, totals: np.ndarray) -> dict[str, int]:
        """Balances (cents) and open accounts by reported and by contractual bucket.

        ``balance_<bucket>`` / ``accounts_<bucket>``: by reported days past due (re-aged
        accounts count as current there); ``balance_contractual_<bucket>`` /
        ``accounts_contractual_<bucket>``: by contractual days past due; ``balance_re_aged``
        / ``accounts_re_aged``: accounts in the ``re_aged`` state (part of the reported
        current bucket). ``buckets`` and ``totals`` are those of
        :func:`sim.kernels.month_end.close_month`.
        """
        row = {}
        for prefix, money, count in (("", BALANCE, ACCOUNTS),
                                     ("contractual_", CONTRACT_BALANCE, CONTRACT_ACCOUNTS)):
            for i, name in enumerate(BUCKETS):
                row[f"balance_{prefix}{name}"] = int(buckets[money, i])
                row[f"accounts_{prefix}{name}"] = int(buckets[count, i])
        row["balance_re_aged"] = int(totals[REAGED_BALANCE])
        row["accounts_re_aged"] = int(totals[REAGED_ACCOUNTS])
        return row

    def _redefaults(self, m: int, active: np.ndarray, dpd: np.ndarray) -> dict[str, int]:
        """Re-defaults of re-aged accounts, counted when their 12-month window closes.

        An account re-aged in month r re-defaults at 30+ (60+) if at a month end r..r+12
        it is 31+ (61+) days past due as reported, or charged off
        (:func:`sim.delinquency.redefaulted`); at month end r+12 its
        window closes and it is counted in ``reaged_window_closed`` and, if it re-defaulted,
        in ``reaged_redefaulted_30`` / ``reaged_redefaulted_60``. Counting at the close
        keeps the rate free of censoring: a path's re-default rate is the sum of the
        second over the sum of the first. (One compiled pass:
        :func:`sim.kernels.month_end.redefault_windows`.)
        """
        from sim.kernels.month_end import redefault_windows

        closed, at_30, at_60 = redefault_windows(
            m, REDEFAULT_WINDOW, self.platform.ledger.reaged_month, active, dpd,
            self._redefault)
        return {"reaged_window_closed": int(closed), "reaged_redefaulted_30": int(at_30),
                "reaged_redefaulted_60": int(at_60)}

    def _record_rolls(self, state: np.ndarray, balance: np.ndarray) -> None:
        """Count accounts, and their balance at the last month end, by (last state, state now).

        ``state`` is each account 0..n-1's month-end state (an index into ``ROLL_STATES``);
        ``balance`` is this month end's balance per account (cents); it weights next
        month's transitions. (:meth:`on_month_end` counts them in its one pass.)
        """
        from sim.kernels.month_end import count_rolls

        self._keep_rolls(*count_rolls(state.astype(np.int64), balance.astype(np.int64),
                                      self._last_bucket, self._last_balance,
                                      len(ROLL_STATES) + 1))

    def _keep_rolls(self, counts: np.ndarray, money: np.ndarray) -> None:
        """Keep one month end's roll tables (counts, money: :func:`count_rolls`'s)."""
        k = len(ROLL_STATES)
        self.roll_counts.append(counts[:k, :k])
        self.roll_balances.append(money[:k, :k])

    def _record_vintages(self, m: int) -> None:
        """Record month ``m``'s row of every cohort 0..m: its size, purchases and charge-offs.

        A slot's onboarding month never changes, so the cohorts' sizes are counted over the
        slots onboarded since the last month end only."""
        cohorts = np.arange(m + 1)
        fresh = self.platform.onboard_month[self._sized: self.n]
        self._cohort_sizes += np.bincount(fresh, minlength=self.months)
        self._sized = self.n
        cols = {
            "cohort": cohorts,
            "month": np.full(m + 1, m),
            "cohort_size": self._cohort_sizes[: m + 1].copy(),
            "purchases": self._purchases_by_cohort[: m + 1].astype(np.int64),
            "charge_offs": self._co_amount[: m + 1].astype(np.int64),
            "charged_off_accounts": self._co_count[: m + 1],
        }
        self.vintage_rows.record(cols)

    # -- one borrower's story -------------------------------------------------------------
    def _trace_recoveries(self, m: int) -> None:
        """What each traced charged-off account brings in month ``m``, a row per event of
        :meth:`Recoveries.story_events` (``recovery``, ``debt_sale``), as the reference
        engine tells it."""
        for slot in sorted(self._closed):
            for event, cents in self._closed[slot].story_events(m):
                arrays: dict[str, Any] = {}  # cents per slot, as record_trace reads them
                for name, value in cents.items():
                    arrays[name] = np.zeros(slot + 1, dtype=np.int64)
                    arrays[name][slot] = value
                self.record_trace(event, m, only=np.array([slot]), **arrays)

    def record_trace(self, event: str, m: int, only: np.ndarray | None = None,
                     at: float | None = None, open_only: bool = False,
                     days: dict[str, np.ndarray | None] | None = None,
                     **arrays: np.ndarray) -> None:
        """Append the state of the traced borrowers after ``event`` (no-op when none).

        ``only``: the accounts the event concerns (e.g. those contacted, charged off,
        re-aged or paying a collector); others are skipped. ``at``: the event's time (days)
        when it is not now. ``open_only``: skip accounts that are closed (charged off): a
        statement or a due date is not an event of a closed account. ``arrays``: the
        event's amounts per account (cents), e.g. ``paid``; ``days``: its numbers of days
        per account, e.g. ``dpd_at_charge_off``. Money is recorded in cents, each column
        declared in :data:`sim.recorder.TRACE`. Each row holds the
        reported ``dpd``, the ``contractual_dpd`` (as if never re-aged), ``re_aged`` (ever
        re-aged), the borrower's ``type`` (why they are late, see ``repayment.types``) and
        ``months_unemployed``.
        """
        ids = self.trace_ids
        if ids.size == 0:
            return
        p, pool, n = self.platform, self.pool, self.n
        onboarded = ids < n
        if only is not None:
            onboarded &= np.isin(ids, only)
        if open_only:
            onboarded &= p.active[ids]  # ids are below the capacity (checked)
        if not onboarded.any():
            return
        day = self.env.now if at is None else at
        seen = ids[onboarded]
        dpd = p.ledger.days_past_due(day, n)
        contractual = p.ledger.contractual_days_past_due(day, n, dpd)
        state = {
            "income": pool.income[seen], "employed": pool.employed[seen],
            "savings": pool.savings[seen], "score": pool.score[seen],
            "limit": p.limit[seen], "balance": p.ledger.balance(n)[seen],
            "dpd": dpd[seen], "contractual_dpd": contractual[seen],
            "re_aged": p.ledger.reaged_month[seen] >= 0, "active": p.active[seen],
            "months_unemployed": pool.months_unemployed[seen],
        }
        for name, values in arrays.items():
            state[name] = values[seen]
        for name, whole in (days or {}).items():
            if whole is not None:
                state[name] = whole[seen]
        for j, borrower in enumerate(seen.tolist()):  # traced borrowers only, a handful
            row = {"path": self.path, "borrower": borrower, "day": day, "month": m,
                   "event": event, "type": BORROWER_TYPES[int(pool.kind[borrower])]}
            row.update({k: v[j].item() for k, v in state.items()})
            self.trace.record(row)


def simulate_path(config: RunConfig, seed: int, path: int,
                  trace_ids: tuple[int, ...] = ()) -> PathResult:
    """Simulate path ``path`` of a run with root ``seed``.

    The simulation's arrays are freed as soon as the path's records are taken: its agents
    refer back to it (the ladder pays through :meth:`PathSimulation.record_payment`, the
    vehicle makes recoveries through :meth:`PathSimulation.new_recoveries`), so without
    :meth:`PathSimulation.release` they would wait for the garbage collector's next full
    pass, and a worker's next path would be built beside them. (A path that raises keeps
    them, for the traceback's reader.)
    """
    simulation = PathSimulation(config, seed, path, trace_ids)
    result = simulation.run()
    simulation.release()
    return result
