"""The collection ladder: reminders, calls, human collectors, agency, legal, hardship.

Every day the platform works its delinquent accounts. Each rung of the ladder (SMS,
app push, e-mail, automated call, human call, agency) acts on accounts whose days
past due fall in its range, at most once per ``every_days``, and never beyond the
compliance caps on contacts per day and per seven days. Human calls need a
collector: the team's daily capacity is refilled at each shift (unused calls do not
carry), accounts queue for it in the policy's priority order, and an account that waits
grows older, so its chance to respond falls. A contacted borrower who can pay may
pay now or promise to pay in a few days; promises are kept or broken.

The day's work runs in the compiled kernels of :mod:`sim.kernels.ladder`, over the
delinquent accounts only; between two of the path's other events the ladder's days run
in one call (:mod:`sim.kernels.span`), each account worked only on the days something can
happen to it. What the ladder remembers of an account (each rung's last action, the
contacts of the last seven days and of the month, the queue, the promise running) is kept
only for the accounts it worked lately, a few per cent of a book (:mod:`sim.kernels.worked`).
Draws are those of :func:`sim.crn.uniforms`, keyed by borrower, day and
purpose, so the same borrower faces the same luck under every policy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.agents.borrowers import UNWILLING
from sim.agents.experiments import FieldExperiment
from sim.agents.platform import RECENT_DECAY
from sim.config import (
    BORROWER_TYPES,
    CHANNELS,
    CollectionsConfig,
    ExperimentConfig,
    RepaymentConfig,
)
from sim.crn import CONTACT_DRAWS, Purpose, uniforms
from sim.delinquency import (
    DAYS_PER_MONTH,
    DELINQUENT_BUCKETS,
    delinquent_bucket,
    due_time,
)
from sim.kernels.layout import (
    EXPECTED_RECOVERY,
    LARGEST_BALANCE,
    OLDEST_DPD,
    PAID,
    SEGMENTS,
    TALLY_KEYS,
    WATCH_CALLS,
    Book,
    Rules,
    dense,
    new_state,
    watch_log,
    with_free_rows,
)
from sim.recorder import COLLECTION_COST_PARTS

if TYPE_CHECKING:
    from sim.agents.borrowers import BorrowerPool
    from sim.ledger import Ledger

PaymentHook = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]
"""Told of the collection payments of a span of days, once: principal and fee cents per
payment (k,), the accounts paying (k,), and where each batch of payments ends (b,) int64
(positions, the last is k; one batch per payment step of the ladder, an account pays at
most once in a batch). The arrays are views of the ladder's buffers, which its next days
overwrite: a hook that keeps them copies them."""
TraceHook = Callable[..., None]
"""Called as ``hook(event, month, only=accounts)`` when accounts are contacted, and as
``hook(event, month, only=accounts, at=time, paid=cents)`` when they pay a collector
(``paid=``: cents per account slot)."""

_CURE_KEYS = tuple(f"cures_{b}" for b in DELINQUENT_BUCKETS)
# fractions of a day: the collectors' shift starts, then the collection run. The capacity
# refilled at the shift is drawn only by the run, so the kernels refill it at the run.
SHIFT_HOUR, WORK_HOUR = 0.3, 0.75
PROMISE_HOUR = 0.74  # promised payments arrive just before the run (taken with the run's work)
_PRIORITY = {"oldest_dpd": OLDEST_DPD, "largest_balance": LARGEST_BALANCE,
             "highest_expected_recovery": EXPECTED_RECOVERY}


def ladder_spans(days: int, events: Sequence[float] | None) -> list[tuple[int, int]] | None:
    """Runs of the ladder's days (first, last) with none of ``events`` between their work
    times, covering days 0..days-1; None when ``events`` is None or an event falls at a
    work time itself (its order against the ladder would then be SimPy's to choose).

    A run starting on day ``a`` is worked at ``a + WORK_HOUR``; an event at time ``t``
    must see the ladder of every day worked before ``t`` and none after, so a run starts
    on the first day worked after each event.
    """
    if events is None:
        return None
    starts = {0}
    for t in events:
        if float(t - WORK_HOUR).is_integer():
            return None
        first = math.floor(t - WORK_HOUR) + 1
        if 0 < first < days:
            starts.add(first)
    ordered = sorted(starts)
    return list(zip(ordered, [b - 1 for b in ordered[1:]] + [days - 1], strict=True))


def ladder_rules(col: Collections, days: int) -> Rules:
    """The kernels' view of ``col``'s policy, for days past due up to ``days`` (and the
    field experiment's contact day)."""
    cfg, steps = col.col, col.steps
    params = [cfg.channels.get(ch) for ch in CHANNELS]

    def per_channel(attr: str, dtype: type = float) -> np.ndarray:
        return np.array([getattr(p, attr) if p else 0 for p in params], dtype=dtype)

    decay = per_channel("decay_days")
    decay[decay == 0] = 1.0
    dpd = np.arange(max(days, col.experiment.cfg.at_dpd if col.experiment else 0) + 1)
    human = cfg.channels.get("human")
    human_decay = human.decay_days if human else 1.0
    # response at 1 DPD by (channel, borrower type); absent channels never respond
    response = np.array([p.response_by_type() if p else np.zeros(len(BORROWER_TYPES))
                         for p in params])
    rep, legal_cfg = col.repayment, cfg.legal
    return Rules(
        key=col.key, days_per_month=DAYS_PER_MONTH, due_day=col.ledger.due_day,
        unwilling=UNWILLING,
        step_from=np.array([s.from_dpd for s in steps], dtype=np.int64),
        step_to=np.array([s.to_dpd for s in steps], dtype=np.int64),
        step_every=np.array([s.every_days for s in steps], dtype=np.int64),
        step_agency=np.array([s.channel == "agency" for s in steps], dtype=bool),
        step_channel=np.array([col.channel_id[s.channel] for s in steps], dtype=np.int64),
        human_step=-1 if col.human_step is None else col.human_step,
        per_day=cfg.caps.per_day, per_week=cfg.caps.per_week, daily_calls=col.daily_calls,
        priority=_PRIORITY[cfg.collectors.priority],
        priority_decay=np.exp(-(dpd - 1) / human_decay),
        priority_response=float(human.response_by_type().mean()) if human else 0.0,
        response=response, decay=np.exp(-(dpd[None, :] - 1) / decay[:, None]),
        escalation=per_channel("escalation", bool), stretch=per_channel("stretch_months"),
        arrangement=per_channel("arrangement_months", np.int64),
        promise_share=per_channel("promise_share"), promise_keep=per_channel("promise_keep"),
        promise_days=per_channel("promise_days", np.int64),
        commission=per_channel("commission"),
        cost_cents=np.array([col.cost_cents[ch] for ch in CHANNELS], dtype=np.int64),
        contact_purpose=int(Purpose.CONTACT), contact_draws=CONTACT_DRAWS,
        legal_on=bool(legal_cfg.enabled), legal_from=legal_cfg.from_dpd,
        legal_min_cents=legal_cfg.min_balance * 100, legal_cost_cents=int(
            round(legal_cfg.cost * 100)),
        max_cash_share=float(rep.max_cash_share), partial=bool(rep.partial_payments),
        other_debt=col.pool.room_months,
        end_at_termination=cfg.arrangements.end_at_termination,
        stretch_within_income=bool(rep.stretch_within_income))


@dataclass(frozen=True)
class Restructured:
    """Accounts re-aged at one event and their principal (cents) before and after: the
    engine passes them on (fees capitalised by the new plan dilute the vehicle's share)."""

    index: np.ndarray
    before: np.ndarray
    after: np.ndarray


NOTHING_RESTRUCTURED = Restructured(*(np.zeros(0, dtype=np.int64),) * 3)


def _no_trace(*_args: Any, **_kwargs: Any) -> None:
    return None


class Collections:
    """State of the collection process for every borrower slot of one path.

    The day's work runs in the compiled kernels of :mod:`sim.kernels.ladder`; this class
    holds their state, builds their inputs and passes their outcomes on (payments to
    ``on_payment``, contacts to ``on_trace``).

    Args:
        col: the collections section of the config.
        repayment: the repayment section (what share of cash a borrower puts to a bill,
            whether partial payments are taken).
        experiment: the field-experiment section.
        capacity: borrower slots.
        key: the path's key for the keyed draws (:class:`sim.crn.Purpose`).
        env: the path's SimPy environment.
        ledger, active, pool: the accounts' bills, whether each account is open, and the
            borrowers; the collection process takes payments into the ledger and moves
            borrowers (escalation, arrangements, savings spent).
        accelerated: whether each account's contract is terminated (the platform's flags;
            read by ``collections.arrangements``); None: never.
        on_payment: told of the payments contacts and promises bring, once a span of days
            (:data:`PaymentHook`).
        on_trace: told of the accounts contacted (for the traced borrowers' stories).
    """

    def __init__(self, col: CollectionsConfig, repayment: RepaymentConfig,
                 experiment: ExperimentConfig, capacity: int, key: int,
                 env: simpy.Environment, *, experiment_key: int, ledger: Ledger,
                 active: np.ndarray,
                 pool: BorrowerPool, on_payment: PaymentHook, on_trace: TraceHook = _no_trace,
                 accelerated: np.ndarray | None = None):
        self.col = col
        self.repayment = repayment
        self.key = key
        self.env = env
        self.ledger, self.active, self.pool = ledger, active, pool
        self.accelerated = (accelerated if accelerated is not None
                            else np.zeros(capacity, dtype=bool))
        self.on_payment, self.on_trace = on_payment, on_trace
        self.steps = self.col.ladder if self.col.enabled else []
        humans = [j for j, s in enumerate(self.steps) if s.channel == "human"]
        self.human_step = humans[0] if humans else None
        self.channel_id = {ch: i for i, ch in enumerate(CHANNELS)}
        self.cost_cents = {ch: int(round(p.cost * 100)) if p else 0
                           for ch, p in ((ch, self.col.channels.get(ch)) for ch in CHANNELS)}
        self.state = new_state(capacity, len(self.steps), len(CHANNELS),
                               len(DELINQUENT_BUCKETS))
        # the flags other parts of the engine read (charge-off, re-ageing)
        self.agency, self.legal = self.state.agency, self.state.legal
        self.human_ever = self.state.human_ever
        self.capacity = capacity
        self.hardship = np.zeros(capacity, dtype=bool)
        self.arrangement_streak = np.zeros(capacity, dtype=np.int16)  # paid due dates in a row
        self.recent_contacts = np.zeros(capacity)  # decayed monthly count, lender-observable
        self.candidates = np.zeros(0, dtype=np.int64)
        self.called_today = np.zeros(0, dtype=np.int64)  # the collectors' latest day's calls
        from numba.typed import List  # numba loads with the first path, not with the engine

        # promises waiting for their day, payments to pass on, batches of payments
        self.bufs = List([np.zeros((2, 64), dtype=np.int64), np.zeros((3, 256), dtype=np.int64),
                          np.zeros((1, 16), dtype=np.int64)])
        self.sizes = np.zeros(3, dtype=np.int64)
        self.experiment = (FieldExperiment(experiment, capacity, experiment_key)
                           if experiment.enabled else None)
        team = self.col.collectors
        # the team works shifts only when there is a ladder to work (an empty ladder has no
        # collectors' capacity, as in the reference engine)
        works = bool(self.col.enabled and self.col.ladder)
        self.daily_calls = team.count * team.calls_per_day if works else 0
        # cents a month, used or not, when a rung calls on the team
        self.team_cost = self.col.collector_cost_cents()
        self.rules = ladder_rules(self, DAYS_PER_MONTH)  # :meth:`daily` sizes it to its days
        self.reset_month()

    # -- monthly counters --------------------------------------------------------------------
    def reset_month(self) -> None:
        """Start the counters of a new month."""
        s = self.state
        for counts in (s.actions, s.cost, s.collected, s.cures, s.tally):
            counts[:] = 0
        self.reage_counts = dict.fromkeys(("hardship_enrolments", "arrangement_reages"), 0)

    @property
    def counters(self) -> Mapping[str, int]:
        """The month's counters so far (cents for money), by name (read only: the kernels
        count into :attr:`state`)."""
        s = self.state
        c: dict[str, int] = {}
        for name, counts in (("actions", s.actions), ("cost", s.cost),
                             ("collected", s.collected)):
            c.update(zip((f"{name}_{ch}" for ch in CHANNELS), counts.tolist(), strict=True))
        c.update(zip(_CURE_KEYS, s.cures.tolist(), strict=True))
        tally = dict(zip(TALLY_KEYS, s.tally.tolist(), strict=True))
        for name in TALLY_KEYS:
            c[name] = tally[name]
            if name == "promises_broken":  # the re-ages follow the promises
                c.update(self.reage_counts)
        return MappingProxyType(c)

    def month_record(self, n: int) -> dict[str, float]:
        """The month's counters plus utilisation, mean wait, the queue at month end and
        the team's cost (``collector_cost``, cents: salaried, booked whether or not its
        calls were used)."""
        c: dict[str, float] = dict(self.counters)
        cap, calls = c["collector_capacity"], c["collector_calls"]
        c["collector_utilisation"] = calls / cap if cap else 0.0
        waited = c.pop("queue_wait_days_total")
        c["queue_wait_days"] = waited / calls if calls else 0.0
        c["queue_length"] = self.queue_length()
        c["collector_cost"] = self.team_cost
        c["collection_cost"] = sum(c[part] for part in COLLECTION_COST_PARTS)
        c["human_contacted_ever"] = int(self.human_ever[:n].sum())
        s = self.state
        # decay * count + 0 is decay * count: only the accounts with a row add contacts
        self.recent_contacts[:n] *= RECENT_DECAY
        held = np.flatnonzero(s.slot_of >= 0)
        self.recent_contacts[s.slot_of[held]] += s.contacts_month[held]
        s.contacts_month[:] = 0
        self.reset_month()
        return c

    def queue_length(self) -> int:
        """Accounts waiting for a collector now."""
        return int((self.state.queued_since >= 0).sum())

    def watch(self, slot: int, days: int) -> None:
        """Log the days on which the collectors call account ``slot`` over ``days`` days
        (:meth:`watched_call_days`), in the compiled span of days as day by day; a second
        call watches another account from then on."""
        self.state = self.state._replace(watch=watch_log(slot, days))

    def watched_call_days(self) -> frozenset[int]:
        """The days on which the collectors called the account of :meth:`watch` so far."""
        log = self.state.watch
        return frozenset(log[2:2 + log[WATCH_CALLS]].tolist())

    def ladder_field(self, name: str, n: int) -> np.ndarray:
        """The ladder's field ``name`` of :class:`sim.kernels.layout.State`'s table
        (``last_action``, ``queued_since``, ``promise_day``...) for accounts 0..n-1, as one
        array with the defaults where an account has no row (a copy)."""
        return dense(self.state, name, n)

    # -- the SimPy process -------------------------------------------------------------------
    def daily(self, days: int, events: Sequence[float] | None = None
              ) -> Generator[simpy.Event, Any, None]:
        """Each day: the collectors' shift, promised payments, then the ladder's actions on
        delinquent accounts. Runs on days 0..days-1, at :data:`WORK_HOUR` of each.

        Collectors call first (a call supersedes a reminder), then the automated rungs
        act in ladder order; the compliance caps are applied in that order. A borrower
        contacted by several rungs in a day pays at most once, credited to the first
        rung that worked.

        Args:
            days: days to run.
            events: the times (days) of every other event of the path, when the caller
                knows them all. The ladder then runs the days between two events in one
                compiled call; results are the same as day by day (nothing else moves the
                accounts in between). None: one day at a time, with the trace and the
                field experiment told of each day's contacts.
        """
        from sim.kernels.span import run_days

        spans = None if self.experiment is not None else ladder_spans(days, events)
        self.rules = ladder_rules(self, days)
        if spans is None:
            spans = [(day, day) for day in range(days)]
        for first, last in spans:
            yield self.env.timeout(first + WORK_HOUR - self.env.now)
            if self.rules.other_debt != self.pool.room_months:  # moves with the month's rate
                self.rules = self.rules._replace(other_debt=self.pool.room_months)
            # a candidate without a row takes at most one of the ladder's table in a span
            need = int(np.count_nonzero(self.state.row[self.candidates] < 0))
            self.state = with_free_rows(self.state, need)
            if events is None or self.experiment is not None:
                self._day(first)
            else:
                self.candidates = run_days(first, last, self.candidates, self.rules,
                                           self.state, self._book(), self.bufs, self.sizes)
            self._pass_payments()

    def _book(self) -> Book:
        """The ledger's and the borrowers' arrays the kernels read and move."""
        ledger, pool = self.ledger, self.pool
        return Book(ledger.oldest, ledger.unpaid, ledger.outstanding, *ledger.bills(),
                    ledger.reaged_left, self.active, pool.kind, pool.escalated,
                    pool.plan_channel, pool.arrangement_until, pool.plan_instalment, pool.savings,
                    pool.permanent_income, pool.disposable, pool.score, self.accelerated)

    def _day(self, day: int) -> None:
        """One day of the ladder, telling the experiment and the trace as it goes."""
        from sim.kernels.ladder import contacts, legal, open_day, respond

        r, s, book, bufs, sizes = self.rules, self.state, self._book(), self.bufs, self.sizes
        mark = int(sizes[PAID])
        self.candidates, idx, dpd = open_day(day, self.candidates, r, s, book, bufs, sizes)
        mark = self._trace_payments("promise_kept", day + PROMISE_HOUR, mark)
        if self.experiment is not None:
            self._experiment(day, idx, dpd)
            mark = self._trace_payments("paid_on_contact", day + WORK_HOUR, mark)
        self.called_today = np.zeros(0, dtype=np.int64)
        if idx.size == 0 or not self.steps:
            return
        pos, rung = contacts(day, idx, dpd, r, s, book)
        if pos.size:
            if self.human_step is not None:
                self.called_today = idx[pos[rung == self.human_step]]
            starts = np.flatnonzero(np.diff(rung, prepend=-1))  # one group per rung
            for a, b in zip(starts.tolist(), [*starts[1:].tolist(), pos.size], strict=True):
                channel = self.steps[int(rung[a])].channel
                self.on_trace(channel, day // DAYS_PER_MONTH, only=idx[pos[a:b]])  # traced only
            respond(day, idx[pos], dpd[pos], r.step_channel[rung], r, s, book, bufs, sizes)
            self._trace_payments("paid_on_contact", day + WORK_HOUR, mark)
        legal(idx, dpd, r, s, book)

    def _trace_payments(self, event: str, at: float, since: int) -> int:
        """Tell ``on_trace`` of the payments booked in ``bufs[PAID]`` from ``since`` on, as
        ``event`` at time ``at`` (days) with the cents each account paid; return the end."""
        end = int(self.sizes[PAID])
        if end > since and self.on_trace is not _no_trace:
            who, principal, fee = self.bufs[PAID][:, since:end]
            paid = np.zeros(self.capacity, dtype=np.int64)
            np.add.at(paid, who, principal + fee)
            self.on_trace(event, int(at) // DAYS_PER_MONTH, only=who, at=at, paid=paid)
        return end

    def _pass_payments(self) -> None:
        """Tell ``on_payment`` of the payments booked since the last call, in one call with
        where each batch ends (a call per batch cost more than most batches' work)."""
        batches = int(self.sizes[SEGMENTS])
        if batches == 0:
            return
        ends = self.bufs[SEGMENTS][0, :batches]
        paid, k = self.bufs[PAID], int(ends[-1])
        self.on_payment(paid[1, :k], paid[2, :k], paid[0, :k], ends)
        self.sizes[PAID] = self.sizes[SEGMENTS] = 0

    def _experiment(self, day: int, idx: np.ndarray,
                    dpd: np.ndarray) -> None:
        """Enrol today's accounts in the field experiment and contact the treated."""
        exp = self.experiment
        assert exp is not None, "called only when the config runs an experiment"
        exp.follow_up(day, self.ledger.oldest, self.ledger.due_day)
        treated = exp.enrol(day, idx, dpd)
        if treated.size == 0:
            return
        channel = exp.cfg.channel
        ch = self.channel_id[channel]
        self.state.actions[ch] += treated.size
        self.state.cost[ch] += self.cost_cents[channel] * treated.size
        self.on_trace(channel, day // DAYS_PER_MONTH, only=treated)
        from sim.kernels.ladder import respond

        respond(day, treated, np.full(treated.size, exp.cfg.at_dpd, dtype=np.int64),
                np.full(treated.size, ch, dtype=np.int64), self.rules, self.state,
                self._book(), self.bufs, self.sizes)

    # -- the ladder --------------------------------------------------------------------------
    def refresh(self, n: int, month: int) -> None:
        """Recompute the delinquent candidates among accounts 0..n-1 in ``month`` (after a
        due date; an account charged off in between stays a candidate until the next, and
        the day's kernels pass it over as closed), and give back the ladder's rows of the
        accounts that are no longer candidates and read as the defaults."""
        oldest = self.ledger.oldest[:n]
        self.candidates = np.flatnonzero(
            (oldest >= 0) & (oldest <= month) & self.active[:n])
        s = self.state
        keep = np.zeros(self.capacity, dtype=bool)
        keep[self.candidates] = True
        held = np.flatnonzero(s.slot_of >= 0)
        s.queued_since[held[~keep[s.slot_of[held]]]] = -1  # the queue is of candidates
        from sim.kernels.worked import idle_rows  # numba loads with the first path

        idle_rows(s, keep, math.floor(self.env.now), self.rules.step_every)

    def count_cures(self, dpd: np.ndarray) -> None:
        """Add cures of accounts that were ``dpd`` days past due to the month's counts."""
        dpd = dpd[dpd >= 1]
        if dpd.size:
            self.state.cures[:] += np.bincount(delinquent_bucket(dpd),
                                               minlength=len(DELINQUENT_BUCKETS))

    # -- re-ageing of arrangements ------------------------------------------------------------
    def reage_arrangements(self, month: int, paid: np.ndarray,
                           missed: np.ndarray) -> Restructured:
        """After the due date: re-age accounts that kept up a collector's arrangement.

        ``paid`` and ``missed`` are the due date's payments (cents) and whether anything
        stayed unpaid, per account 0..n-1. An account under an arrangement that paid at
        least the arrangement's instalment (``plan_instalment``: its balance when agreed
        over its months, the arrangement's minimum payment) at ``reage.after_payments``
        due dates in a row and is still past due is re-aged, unless it was re-aged within
        ``reage.min_months_between`` months (FFIEC: three consecutive minimum monthly
        payments).

        Returns:
            The accounts re-aged, for the engine to pass on.
        """
        rules = self.col.reage
        if not self.col.enabled:
            return NOTHING_RESTRUCTURED
        n = paid.shape[0]
        pool, ledger = self.pool, self.ledger
        under = pool.arrangement_until[:n] >= month
        streak = self.arrangement_streak[:n]
        kept = (paid > 0) & (paid >= pool.plan_instalment[:n])
        streak[:] = np.where(under & kept, streak + 1, 0)
        if not rules.enabled:
            return NOTHING_RESTRUCTURED
        idx = np.flatnonzero((streak >= rules.after_payments) & missed & self.active[:n])
        last = ledger.reaged_month[idx]
        idx = idx[(last < 0) | (month - last >= rules.min_months_between)]
        if idx.size == 0:
            return NOTHING_RESTRUCTURED
        out = self._reage(month, idx, 0)
        self.arrangement_streak[idx] = 0
        pool.arrangement_until[idx] = -1
        self.reage_counts["arrangement_reages"] += idx.size
        return out

    # -- arrangements and termination ----------------------------------------------------------
    def termination_held(self, month: int, n: int) -> np.ndarray | None:
        """Accounts 0..n-1 whose termination a kept arrangement holds off at ``month``'s
        statement (``arrangements.hold_termination_while_kept``): an arrangement runs and its
        last due date paid at least its instalment. None when the policy is off."""
        if not (self.col.enabled and self.col.arrangements.hold_termination_while_kept):
            return None
        return (self.pool.arrangement_until[:n] >= month) & (self.arrangement_streak[:n] >= 1)

    def end_terminated_arrangements(self, n: int) -> None:
        """After a statement: the arrangements of terminated accounts (of 0..n-1) end
        (``arrangements.end_at_termination``)."""
        if self.col.enabled and self.col.arrangements.end_at_termination:
            self.pool.arrangement_until[:n][self.accelerated[:n]] = -1

    def _reage(self, month: int, idx: np.ndarray, grace: int) -> Restructured:
        """Restructure accounts ``idx`` (re-age): a new plan, no queue, no promise."""
        ledger = self.ledger
        before = ledger.principal_of(idx)
        ledger.restructure(month, idx, grace, self.col.hardship.term_months)
        s = self.state
        rows = s.row[idx]
        rows = rows[rows >= 0]
        s.queued_since[rows] = -1
        s.promise_day[rows] = -1
        return Restructured(idx, before, ledger.principal_of(idx))

    # -- hardship --------------------------------------------------------------------------
    def hardship_requests(self, n: int, month: int) -> Restructured:
        """After the due date: borrowers (of 0..n-1) who left a bill unpaid (an older one,
        or only the one due that day, not yet past due) and whose income fell may be
        re-aged. Returns the accounts re-aged."""
        idx = np.flatnonzero((self.ledger.oldest[:n] >= 0) & self.active[:n])
        return self._enrol(month, idx, self.col.hardship.request_prob)

    def offer_hardship(self, month: int, idx: np.ndarray) -> Restructured:
        """Offer the programme to ``idx`` before their due date; those in need accept.
        Returns the accounts re-aged."""
        return self._enrol(month, idx, 1.0)

    def _enrol(self, month: int, idx: np.ndarray, take_up: float) -> Restructured:
        """Re-age the accounts of ``idx`` whose income fell and who take the programme up.

        The ledger records the re-age (month, cancelled bills, restructured balance).
        """
        hs = self.col.hardship
        if not (self.col.enabled and hs.enabled) or idx.size == 0:
            return NOTHING_RESTRUCTURED
        ledger, pool = self.ledger, self.pool
        idx = idx[~self.hardship[idx]]
        idx = idx[pool.income[idx] <= (1.0 - hs.income_drop) * pool.permanent_income[idx]]
        day = due_time(month, ledger.due_day)
        idx = idx[uniforms(self.key, idx, day, Purpose.HARDSHIP_TAKE_UP) < take_up]
        if idx.size == 0:
            return NOTHING_RESTRUCTURED
        out = self._reage(month, idx, hs.grace_months)
        self.hardship[idx] = True
        self.reage_counts["hardship_enrolments"] += idx.size
        return out
