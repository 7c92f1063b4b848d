"""The reference engine: one SimPy process per borrower, the same rules, plain Python.

A path's clock is in days; a month is 30 days. The path draws, once per event, the same
full-length arrays from the same per-concern streams as the vectorised engine
(:func:`sim.engine.path_streams`) and each borrower reads its own element; sparse
collection events use the keyed draws of :mod:`sim.crn`. So a borrower lives exactly
the life it lives in the vectorised engine, and can be replayed and traced.

One borrower's month, in the order of the day's hours (see :meth:`ReferencePath.life`):

1. day 0, 00:00 — month start: the statement bills the month's instalments and a
   late fee; from ``billing.acceleration_dpd`` days past due the whole balance is due;
   then a month of job, income, expenses and saving (:meth:`Borrower.step_income`), a
   current account's bill kept aside above the savings cap.
2. day ``(due_day + chargeoff_dpd) % 30``, 06:00 — charge-off at ``billing.chargeoff_dpd``
   days past due, with the recovery drawn then.
3. (early warning, ``days_before_due`` before the due date: a reminder, limit cut or
   hardship offer for the flagged.)
4. day ``billing.due_day``, 12:00 — the due date: pay, score, limit review; a kept
   arrangement may be re-aged; a late borrower may ask for hardship; a borrower still
   owing starts (or keeps) a collection ladder that works the account every day at 18:00
   (:class:`sim.reference.ladder.CollectionsDesk`).
5. day ``billing.purchase_day``, 12:00 — purchases on a 0/3/6/12-month plan.
6. month end — the books close (buckets, rolls, recoveries by lag curve).

The securitisation vehicle (``deal``) listens to payments, charge-offs and purchases and
runs its waterfall at each month end (:mod:`sim.reference.vehicle`). Not simulated here:
field experiments (``experiment.enabled``).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

import sim.reference.platform as rules
from sim.agents.recoveries import Recoveries
from sim.config import RunConfig
from sim.crn import Purpose, path_keys
from sim.delinquency import DAYS_PER_MONTH, charge_off_day, charge_off_due
from sim.engine import PathResult, path_streams
from sim.recorder import TraceRecorder
from sim.reference.account import Account
from sim.reference.borrower import Borrower, Population
from sim.reference.draws import keyed_uniform
from sim.reference.early_warning import RiskTeam
from sim.reference.ladder import CollectionsDesk
from sim.reference.records import (
    MonthEnd,
    bucket_columns,
    redefaults,
    roll_matrices,
    trace_row,
)
from sim.reference.vehicle import Vehicle
from sim.scenarios import simulate_base_rate, simulate_unemployment

CHARGEOFF_HOUR, PAYMENT_HOUR, MONTH_END = 0.25, 0.5, DAYS_PER_MONTH - 0.01
FLOWS = ("new_purchases", "fees_billed", "payments", "payments_principal", "payments_fees",
         "charge_offs", "charge_offs_principal", "charge_offs_fees", "charged_off_accounts",
         "limit_increases", "limit_cuts", "missed_payments", "cures", "bills_due")
BORROWER_PHASES = ("month_start", "charge_off", "due_date", "purchases")


class ReferencePath:
    """One Monte Carlo path of the reference engine.

    Args:
        config: the run's config.
        seed, path: root seed and path number (the streams of :func:`path_streams`).
        trace_ids: borrower slots whose events are recorded in ``PathResult.trace``.
        calls: replay mode: from month ``focus_from`` on only the borrowers of
            ``trace_ids`` are simulated, and the collectors call borrower ``i`` on the days
            ``calls[i]`` (which borrowers the day's calls reach depends on the whole book's
            queue). See :meth:`replay`.
        focus_from: in replay mode, the month from which the rest of the book is dropped
            (the early-warning model needs everyone's history until it is fitted).

    Raises:
        ValueError: a trace id outside the book, or a config with a field experiment.
    """

    def __init__(self, config: RunConfig, seed: int, path: int,
                 trace_ids: tuple[int, ...] = (),
                 calls: dict[int, frozenset[int]] | None = None, focus_from: int = 0):
        if config.experiment.enabled:
            raise ValueError("the reference engine does not run field experiments "
                             "(experiment.enabled must be false)")
        if any(not 0 <= i < config.capacity for i in trace_ids):
            raise ValueError(f"trace ids must be between 0 and {config.capacity - 1}")
        self.config, self.path = config, path
        self.months = config.book.horizon_months
        self.streams = path_streams(seed, path)
        self.population = Population(config, config.capacity, self.streams["traits"])
        macro = config.macro
        self.unemployment = simulate_unemployment(macro, self.months, self.streams["macro"])
        self.base_rate = simulate_base_rate(macro, self.unemployment, self.streams["macro"])
        self.recovery = Recoveries(config.recovery, config.collections, self.months)
        self.recovery.set_cycle(self.unemployment, macro.unemployment_base)
        self.keys = path_keys(self.streams)  # one key per concern, as the vectorised engine
        self.key = self.keys["collections"]
        self.env = simpy.Environment()
        self.replaying = calls is not None
        self.focus_from = focus_from
        self.solo = False  # replay has dropped every borrower not traced
        self.vehicle: Vehicle | None = None
        if config.deal is not None and not self.replaying:
            self.vehicle = Vehicle(config, self.keys["spv"], self.base_rate)
        self.desk = CollectionsDesk(config, self.key, self.env, self._paid, self._trace_event,
                                    calls, self.vehicle.dilute if self.vehicle else None)
        self.n = 0  # borrower slots onboarded so far
        self.risk = RiskTeam(config, self.keys["early_warning"],
                             lambda b, m: self.desk.enrol(b, m, 1.0))
        self.traced = frozenset(trace_ids)
        self.borrowers: list[Borrower] = []
        self.signals: dict[tuple[str, int], simpy.Event] = {}
        self.draws: dict[str, Any] = {}
        self.flows = dict.fromkeys(FLOWS, 0)
        self.missed: dict[int, bool] = {}
        self.nudge_cost = 0
        self.opening: float = 0  # cents (a whole number)
        self.series: dict[str, list] = {}
        self.vintage_rows: dict[str, list] = {}
        self.cohort_purchases = [0] * self.months
        self.cohort_chargeoffs = [0] * self.months
        self.cohort_chargeoff_count = [0] * self.months
        self.roll_counts: list[list[list[int]]] = []
        self.roll_balances: list[list[list[int]]] = []
        self.trace = TraceRecorder()  # the traced borrowers' rows, money in cents
        self.closed: dict[int, tuple[Borrower, Recoveries]] = {}  # traced and charged off
        self.fees_billed: dict[int, int] = {}  # a traced borrower's fees at the statement
        bill = config.billing
        phases = [(0.0, "month_start"),
                  (charge_off_day(bill.due_day, bill.chargeoff_dpd) + CHARGEOFF_HOUR,
                   "charge_off")]
        if config.early_warning.enabled:
            phases.append((self.risk.action_day + PAYMENT_HOUR, "warning"))
        phases += [(bill.due_day + PAYMENT_HOUR, "due_date"),
                   (bill.purchase_day + PAYMENT_HOUR, "purchases"), (MONTH_END, "month_end")]
        order = {name: i for i, (_, name) in enumerate(phases)}
        self.phases = sorted(phases, key=lambda p: (p[0], order[p[1]]))

    # -- the clock and the borrowers' lives ---------------------------------------------------
    def signal(self, name: str, month: int) -> simpy.Event:
        """The event on which every borrower waits for phase ``name`` of ``month``."""
        key = (name, month)
        if key not in self.signals:
            self.signals[key] = self.env.event()
        return self.signals[key]

    def _to_horizon(self) -> None:
        """Start the clock and the collectors' processes and run them to the horizon."""
        days = self.months * DAYS_PER_MONTH
        self.env.process(self.clock())
        if self.desk.steps:
            self.env.process(self.desk.shifts(days))
            self.env.process(self.desk.collectors(days))
        self.env.run(until=days)

    def run(self) -> PathResult:
        """Run the path to the horizon and return its records."""
        self._to_horizon()
        k = len(self.roll_counts[0])
        result = PathResult(
            self.path, {k: np.asarray(v) for k, v in self.series.items()},
            {k: np.concatenate(v) for k, v in self.vintage_rows.items()}, self.trace.rows(),
            np.array(self.roll_counts, dtype=np.int64).reshape(self.months, k, k),
            np.array(self.roll_balances, dtype=np.int64).reshape(self.months, k, k),
            {"early_warning_auc": self.risk.auc()})
        deal = self.vehicle.result() if self.vehicle is not None else None
        if deal is not None:  # the deal started
            result.waterfall, result.pool = deal
        return result

    def replay(self) -> list[dict]:
        """Run the path in replay mode (``calls`` given) and return the trace rows (money in
        currency units, as :meth:`run`'s)."""
        self._to_horizon()
        return self.trace.rows()

    def clock(self) -> Generator[simpy.Event, Any, None]:
        """The platform's calendar: each phase draws its arrays, then every borrower acts."""
        for m in range(self.months):
            for offset, name in self.phases:
                yield self.env.timeout(m * DAYS_PER_MONTH + offset - self.env.now)
                getattr(self, f"_before_{name}")(m)
                self.signal(name, m).succeed()
                yield self.env.timeout(0)  # every borrower's step of this phase runs first
                getattr(self, f"_after_{name}", lambda _m: None)(m)

    def life(self, b: Borrower) -> Generator[simpy.Event, Any, None]:
        """One borrower's life: every month, each phase in the order of the day's hours."""
        steps = [name for _, name in self.phases if name in BORROWER_PHASES]
        for m in range(b.onboard_month, self.months):
            for name in steps:
                yield self.signal(name, m)
                if self.solo and b.slot not in self.traced:
                    return  # replay has dropped the rest of the book
                getattr(self, f"_{name}")(b, m)

    # -- month start ------------------------------------------------------------------------
    def _before_month_start(self, m: int) -> None:
        """Onboard the month's borrowers (``book.*``), draw the month's income shocks."""
        book = self.config.book
        if self.replaying and not self.solo and m >= self.focus_from:
            self.solo = True  # from now on only the traced borrowers' lives are followed
            self.borrowers = [b for b in self.borrowers if b.slot in self.traced]
            self.desk.focus(self.traced, m * DAYS_PER_MONTH)
        self.signals = {k: v for k, v in self.signals.items() if k[1] >= m}
        new = book.initial_borrowers if m == 0 else book.new_borrowers_per_month
        for i in range(self.n, self.n + new):
            if not self.solo or i in self.traced:
                self.onboard(i, m)
        self.n = n = self.n + new
        rng = self.streams["income"]
        self.draws["income"] = (rng.random((3, n)), rng.standard_normal(n))
        inc, u = self.config.income, float(self.unemployment[m])
        u_base = self.config.macro.unemployment_base
        u_next = float(self.unemployment[min(m + 1, len(self.unemployment) - 1)])
        self.draws["loss"] = inc.job_loss(u, u_next, u_base)

    def onboard(self, i: int, m: int) -> None:
        """Open borrower ``i``'s line (limit from income and score), maybe educate them."""
        b = Borrower.from_population(self.config, self.population, i,
                                     Account(self.config.billing.due_day))
        b.file = self.desk.new_file()
        b.limit = rules.initial_limit(self.config, b)
        b.onboard_month = m
        nudges = self.config.nudges
        reach = keyed_uniform(self.keys["education"], i, 0, Purpose.NUDGE_REACH)
        if nudges.enabled and reach < nudges.reach:
            b.nudged_month = m
            self.nudge_cost += int(round(nudges.cost_per_borrower * 100))
        self.borrowers.append(b)
        self.env.process(self.life(b))

    def _month_start(self, b: Borrower, m: int) -> None:
        """The statement, then the month's income: a current account's bill is kept aside
        above the savings cap until the due date (``repayment.buffer_after_bill``)."""
        draws, shock = self.draws["income"]
        i = b.slot
        keep_bill = self.config.repayment.buffer_after_bill and b.account.unpaid == 0
        fee = rules.statement(self.config, b, m)
        self.flows["fees_billed"] += fee
        if i in self.traced:  # the statement's fees, for the story
            self.fees_billed[i] = fee
        aside = b.account.unpaid / 100.0 if keep_bill else 0.0
        b.step_income(self.config, float(self.unemployment[m]),
                      self.config.macro.unemployment_base, self.draws["loss"],
                      float(draws[0, i]), float(draws[1, i]), float(draws[2, i]),
                      float(shock[i]), aside)

    def _after_month_start(self, m: int) -> None:
        self.risk.on_statement(self.borrowers, m)
        for b in self.borrowers:
            if b.slot in self.traced and b.active:  # a charged-off account gets no statement
                self.trace.record(trace_row(self.path, b, self.env.now, m, "statement",
                                            bill=b.account.unpaid,
                                            fee=self.fees_billed.get(b.slot, 0),
                                            expense=b.expense * 100.0))

    # -- charge-off -------------------------------------------------------------------------
    def _before_charge_off(self, m: int) -> None:
        self.draws["recovery"] = self.streams["recovery"].random((2, self.n))
        self.cohort_chargeoffs = [0] * self.months
        self.cohort_chargeoff_count = [0] * self.months

    def _charge_off(self, b: Borrower, m: int) -> None:
        """Charge off at ``billing.chargeoff_dpd`` days past due; draw the recovery."""
        dpd = b.account.days_past_due(self.env.now) if b.active else 0
        if not (b.active and charge_off_due(dpd, self.config.billing.chargeoff_dpd)):
            return
        u = self.draws["recovery"][:, b.slot]
        f = b.file
        share = rules.recovery_share(
            self.config, b, float(self.recovery.cycle[m]),
            float(self.recovery.type_factor[b.kind]), f.agency, f.legal, float(u[0]),
            float(u[1]))
        out = rules.charge_off(self.config, b, m, share, f.legal, f.agency)
        self.recovery.add(m, np.array([out.recovery]), np.array([out.principal + out.fee]),
                          np.array([out.channel]))
        self.flows["charge_offs_principal"] += out.principal
        self.flows["charge_offs_fees"] += out.fee
        self.flows["charge_offs"] += out.principal + out.fee
        self.flows["charged_off_accounts"] += 1
        self.cohort_chargeoffs[b.onboard_month] += out.principal + out.fee
        self.cohort_chargeoff_count[b.onboard_month] += 1
        if self.vehicle is not None:
            self.vehicle.on_charge_off(b, m, out)
        self._trace_event(b, "charge_off", m, {"dpd_at_charge_off": dpd},
                          written_off=out.principal + out.fee)
        if b.slot in self.traced:  # the account's own recoveries, for its story
            self.closed[b.slot] = (b, self.recovery.one_account(
                m, out.recovery, out.principal + out.fee, out.channel))

    # -- early warning ----------------------------------------------------------------------
    def _before_warning(self, m: int) -> None:
        self.risk.act(m)

    # -- due date ---------------------------------------------------------------------------
    def _before_due_date(self, m: int) -> None:
        rng, n = self.streams["repayment"], self.n
        if self.config.repayment.model == "one_factor":
            z = float(rng.standard_normal())
            self.draws["repayment"] = (rng.random(n)[None, :].repeat(2, axis=0), z)
        else:
            self.draws["repayment"] = (rng.random((2, n)), 0.0)
        self.missed = {}

    def _due_date(self, b: Borrower, m: int) -> None:
        """Pay, then re-age or enrol in hardship, then start the ladder if still owing."""
        u, z = self.draws["repayment"]
        out = rules.due_date(self.config, b, m, (float(u[0, b.slot]), float(u[1, b.slot])), z)
        self._paid(b, out.principal, out.fee)
        fl = self.flows
        fl["missed_payments"] += out.missed
        fl["cures"] += out.cured
        fl["bills_due"] += out.owed > 0
        fl["limit_increases"] += out.limit_up
        fl["limit_cuts"] += out.limit_cut
        self.missed[b.slot] = out.missed
        if out.cured:
            self.desk.count_cure(out.dpd)
        if b.active:  # a charged-off account has no due date
            # before a re-age it may bring; what was due, to tell a missed payment
            self._trace_event(b, "due_date", m, paid=out.paid, owed=out.owed)
        self.desk.after_due_date(b, m, out.paid, out.missed)

    def _after_due_date(self, m: int) -> None:
        self.risk.on_due(m, self.missed)

    def _paid(self, b: Borrower, principal: int, fee: int) -> None:
        """Book a payment of borrower ``b`` in the month's flows (and the vehicle's)."""
        if self.vehicle is not None:
            self.vehicle.on_payment(b, principal, fee)
        self.flows["payments"] += principal + fee
        self.flows["payments_principal"] += principal
        self.flows["payments_fees"] += fee

    # -- purchases --------------------------------------------------------------------------
    def _before_purchases(self, m: int) -> None:
        rng, n = self.streams["spending"], self.n
        buy, noise = rng.random(n), rng.standard_normal(n)
        self.draws["spending"] = (buy, noise, rng.random(n))
        self.cohort_purchases = [0] * self.months

    def _purchases(self, b: Borrower, m: int) -> None:
        """Buy on the line (``spending.*``), within the open limit (``credit_line.*``)."""
        buy, noise, plan = self.draws["spending"]
        i = b.slot
        desired = b.desired_purchase(self.config, m, float(buy[i]), float(noise[i]))
        term = b.choose_plan(self.config, float(plan[i]))
        amount = rules.purchase(self.config, b, m, self.env.now, desired, term)
        if self.vehicle is not None and amount > 0:  # the platform's: dilutes the vehicle
            after = b.account.principal()
            self.vehicle.dilute(b, after - amount, after)
        self.flows["new_purchases"] += amount
        self.cohort_purchases[b.onboard_month] += amount
        if b.slot in self.traced and amount > 0:  # a story shows only what happened
            self.trace.record(trace_row(self.path, b, self.env.now, m, "purchase",
                                        purchase=amount))

    # -- month end --------------------------------------------------------------------------
    def _before_month_end(self, m: int) -> None:
        """Close the month's books into the records."""
        self._trace_recoveries(m)
        if self.solo:  # replay: no books, only the story (and what the lender remembers)
            self.desk.day_stats.clear()
            self.desk.remember_contacts(self.borrowers)
            return
        rows = [MonthEnd(b, m) for b in self.borrowers]
        row: dict[str, float] = dict(self.flows)
        row.update(self.recovery.month_flows(m))
        row.update(self.desk.month_record(self.borrowers, m))
        row.update(self.risk.month_record())
        row["nudge_cost"], self.nudge_cost = self.nudge_cost, 0
        row["net_recoveries"] = (row["recoveries"] - row["recovery_commission"]
                                 - row["legal_costs"])
        row["opening_balance"] = self.opening
        row["receivables_balance"] = sum(r.balance for r in rows)
        row.update(bucket_columns(rows))
        row.update(redefaults(rows, m))
        active = [b for b in self.borrowers if b.active]
        row["active_borrowers"] = len(active)
        row["onboarded_borrowers"] = len(self.borrowers)
        row["credit_limit_total"] = sum(b.limit for b in active)
        row["unemployed_borrowers"] = sum(not b.employed for b in active)
        row["mean_score"] = float(np.mean([b.score for b in active])) if active else 0.0
        row["unemployment_rate"] = float(self.unemployment[m])
        row["base_rate"] = float(self.base_rate[m])
        for k, v in row.items():
            self.series.setdefault(k, []).append(v)
        self._record_vintages(m)
        counts, money = roll_matrices(rows)
        self.roll_counts.append(counts)
        self.roll_balances.append(money)
        self.opening = row["receivables_balance"]
        self.flows = dict.fromkeys(FLOWS, 0)
        if self.vehicle is not None:
            self.vehicle.on_month_end(self.borrowers, m, [r.dpd for r in rows])

    def _record_vintages(self, m: int) -> None:
        sizes = [0] * (m + 1)
        for b in self.borrowers:
            sizes[b.onboard_month] += 1
        cols = {"cohort": np.arange(m + 1), "month": np.full(m + 1, m),
                "cohort_size": np.array(sizes, dtype=np.int64),
                "purchases": np.array(self.cohort_purchases[: m + 1], dtype=np.int64),
                "charge_offs": np.array(self.cohort_chargeoffs[: m + 1], dtype=np.int64),
                "charged_off_accounts": np.array(self.cohort_chargeoff_count[: m + 1],
                                                 dtype=np.int64)}
        for k, v in cols.items():
            self.vintage_rows.setdefault(k, []).append(v)

    # -- the story --------------------------------------------------------------------------
    def _trace_recoveries(self, m: int) -> None:
        """What a traced charged-off account brings in month ``m``: a row per event of
        :meth:`Recoveries.story_events` on the account's own cohorts."""
        for slot in sorted(self.closed):
            b, own = self.closed[slot]
            for event, cents in own.story_events(m):
                self._trace_event(b, event, m, None, **cents)

    def _trace_event(self, b: Borrower, event: str, month: int,
                     days: dict[str, int] | None = None, **cents: int) -> None:
        """Append ``b``'s state after ``event`` when ``b`` is traced (``cents``: amounts of
        the event, e.g. ``paid``; ``days``: its numbers of days, e.g. ``dpd_at_charge_off``)."""
        if b.slot in self.traced:
            self.trace.record(trace_row(self.path, b, self.env.now, month, event, days,
                                        **cents))


def simulate_reference(config: RunConfig, seed: int, path: int,
                       trace_ids: tuple[int, ...] = ()) -> PathResult:
    """Simulate path ``path`` of root ``seed`` with the reference engine.

    Returns the same :class:`sim.engine.PathResult` as :func:`sim.engine.simulate_path`
    (monthly series, vintages, roll matrices, the early-warning AUC, the trace of
    ``trace_ids`` and, with a deal, the vehicle's waterfall and pool tables).

    Raises:
        ValueError: a trace id outside ``0 .. config.capacity - 1``, or a config with a
            field experiment.
    """
    return ReferencePath(config, seed, path, trace_ids).run()
