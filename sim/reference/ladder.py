"""Collections for one delinquent borrower, day by day, and the collectors they queue for.

Plain Python: the readable statement of :class:`sim.agents.collections.Collections`.

A borrower whose bill is unpaid after the due date gets a ladder process. Every day at
``WORK_HOUR``, while the account owes and is open:

1. once a bill is past its due date (``dpd = day - due time >= 1``), each rung of
   ``collections.ladder`` may act: ``from_dpd <= dpd <= to_dpd``, at least
   ``every_days`` since it last acted, and not once the account is with the agency
   (except the agency rung itself);
2. contacts are capped at ``caps.per_day`` a day and ``caps.per_week`` in seven days;
3. a human call needs a collector: the borrower joins the queue (``queued_since``) and
   the team's ``collectors.count x calls_per_day`` calls of the day go to the queue in
   the order of ``collectors.priority`` (ties by borrower slot); a borrower leaves the
   queue when called, and at the start of a day on which the collectors' rung can no
   longer call them (not past due, days past due outside its window, or placed with the
   agency; its wait and the caps only hold a call back);
4. automated rungs act in ladder order within what the caps leave;
5. each contact gets a response with chance ``response[type] x exp(-(dpd - 1) /
   decay_days)``; an escalating channel moves an unwilling borrower to pay; a
   negotiating channel (``arrangement_months``) starts a repayment arrangement; a
   responder promises (``promise_share``) to pay in ``promise_days`` (kept with
   ``promise_keep``) or pays now, as far as cash allows;
6. legal action from ``legal.from_dpd`` on balances of at least ``legal.min_balance``.

Draws are keyed uniforms (:func:`sim.reference.draws.keyed_uniform`, bit for bit
:func:`sim.crn.uniforms`) fixed by (path key, borrower, day, purpose), as in
the vectorised engine, so a borrower's luck is the same in both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim import delinquency
from sim.config import CHANNELS, ChannelConfig, RunConfig
from sim.crn import CONTACT_DRAWS, Purpose
from sim.delinquency import DAYS_PER_MONTH, DELINQUENT_BUCKETS
from sim.reference.borrower import UNWILLING, Borrower
from sim.reference.draws import keyed_uniform

SHIFT_HOUR, WORK_HOUR = 0.3, 0.75  # fractions of a day: shift start, collection run
PROMISE_HOUR = 0.74  # promised payments arrive just before the day's collection run


@dataclass
class CollectionFile:
    """What collections know and did about one borrower."""

    last_action: list[int]
    contacts: dict[int, int] = field(default_factory=dict)  # day -> contacts that day
    queued_since: int = -1
    agency: bool = False
    legal: bool = False
    hardship: bool = False
    human_ever: bool = False
    arrangement_streak: int = 0
    contacts_month: int = 0
    recent_contacts: float = 0.0
    promise_day: int = -1
    promise_kept: bool = False
    promise_channel: int = 0
    worked: bool = False  # a ladder process is following the account


class CollectionsDesk:
    """The collection policy of one path: rules, counters, the collectors' queue.

    Args:
        config: the run's config (``collections``, ``repayment``).
        key: the path's keyed-draw key (drawn once from the ``collections`` stream).
        env: the path's SimPy environment.
        on_payment: called with (borrower, principal cents, fee cents) for every payment.
        on_trace: called with (borrower, event, month) for every contact and re-age, and
            with (borrower, event, month, paid=cents) for every payment collected
            (``paid_on_contact``, ``promise_kept``).
        calls: replay mode: the days on which the collectors call each borrower slot
            (instead of serving the day's queue by priority and capacity).
        on_reage: called with (borrower, principal before, principal after) at a re-age.
    """

    def __init__(self, config: RunConfig, key: int, env: simpy.Environment,
                 on_payment: Callable[[Borrower, int, int], None],
                 on_trace: Callable[..., None],
                 calls: dict[int, frozenset[int]] | None = None,
                 on_reage: Callable[[Borrower, int, int], None] | None = None):
        self.config = config
        self.col = col = config.collections
        self.key = key
        self.env = env
        self.on_payment, self.on_trace = on_payment, on_trace
        self.steps = col.ladder if col.enabled else []
        self.human_step = next((j for j, s in enumerate(self.steps) if s.channel == "human"),
                               None)
        self.auto_steps = [j for j, s in enumerate(self.steps) if s.channel != "human"]
        self.channel_id = {ch: i for i, ch in enumerate(CHANNELS)}
        # a channel on the ladder without parameters costs nothing and never works
        self.params = [col.channels.get(ch) or ChannelConfig(response={}) for ch in CHANNELS]
        self.response = [p.response_by_type().tolist() for p in self.params]
        self.cost_cents = {ch: int(round(p.cost * 100))
                           for ch, p in zip(CHANNELS, self.params, strict=True)}
        team = col.collectors
        self.daily_calls = team.count * team.calls_per_day if col.enabled else 0
        # the team is paid each month when a rung calls on it, whether or not its calls are
        # used
        self.team_cost = col.collector_cost_cents()
        self.team = simpy.Container(env, capacity=max(self.daily_calls, 1), init=0)
        self.calls = calls
        self.calls_from = math.inf  # replay: the day from which ``calls`` answer the queue
        self.only: frozenset[int] | None = None  # replay: the borrowers still followed
        self.on_reage = on_reage
        self.waiting: list[tuple[float, int, simpy.Event]] = []
        self.day_stats: dict[int, list[int]] = {}  # day -> [contacted?, max today, max week]
        self.reset_month()

    def new_file(self) -> CollectionFile:
        return CollectionFile(last_action=[-(10**6)] * len(self.steps))

    # -- monthly counters --------------------------------------------------------------------
    def reset_month(self) -> None:
        c: dict[str, float] = {f"actions_{ch}": 0 for ch in CHANNELS}
        c.update({f"cost_{ch}": 0 for ch in CHANNELS})
        c.update({f"collected_{ch}": 0 for ch in CHANNELS})
        c.update({f"cures_{b}": 0 for b in DELINQUENT_BUCKETS})
        c.update(collector_capacity=0, collector_calls=0, queue_wait_days_total=0,
                 promises_made=0, promises_kept=0, promises_broken=0, hardship_enrolments=0,
                 arrangement_reages=0, legal_cases=0, legal_costs=0, max_contacts_day=0,
                 max_contacts_week=0)
        self.counters = c

    def month_record(self, borrowers: list[Borrower], month: int) -> dict[str, float]:
        """The month's counters, utilisation, mean wait, the queue at the month end and the
        team's salaried cost (``collector_cost``, cents)."""
        c = self.counters
        for day in [d for d in self.day_stats if d < (month + 1) * DAYS_PER_MONTH]:
            contacted, most_today, most_week = self.day_stats.pop(day)
            if contacted:
                c["max_contacts_day"] = max(c["max_contacts_day"], most_today)
                c["max_contacts_week"] = max(c["max_contacts_week"], most_week)
        c = dict(c)
        cap, calls = c["collector_capacity"], c["collector_calls"]
        c["collector_utilisation"] = calls / cap if cap else 0.0
        waited = c.pop("queue_wait_days_total")
        c["queue_wait_days"] = waited / calls if calls else 0.0
        c["queue_length"] = sum(b.file.queued_since >= 0 for b in borrowers)
        c["collector_cost"] = self.team_cost
        c["collection_cost"] = (sum(c[f"cost_{ch}"] for ch in CHANNELS) + c["legal_costs"]
                                + c["collector_cost"])
        c["human_contacted_ever"] = sum(b.file.human_ever for b in borrowers)
        self.remember_contacts(borrowers)
        self.reset_month()
        return c

    @staticmethod
    def remember_contacts(borrowers: list[Borrower]) -> None:
        """At the month end: the lender's decayed memory of contacts (early warning)."""
        for b in borrowers:
            b.file.recent_contacts = 0.75 * b.file.recent_contacts + b.file.contacts_month
            b.file.contacts_month = 0

    def count_cure(self, dpd: int) -> None:
        """Count a cure of an account ``dpd`` days past due in its bucket (none below 1)."""
        if dpd >= 1:
            bucket = int(delinquency.delinquent_bucket(dpd))
            self.counters[f"cures_{DELINQUENT_BUCKETS[bucket]}"] += 1

    # -- the team ----------------------------------------------------------------------------
    def shifts(self, days: int) -> Generator[simpy.Event, Any, None]:
        """Each morning the team's calls are refilled; unused calls do not carry over."""
        for day in range(days):
            yield self.env.timeout(day + SHIFT_HOUR - self.env.now)
            if self.team.level:
                yield self.team.get(self.team.level)
            if self.daily_calls:
                yield self.team.put(self.daily_calls)
                self.counters["collector_capacity"] += self.daily_calls

    def collectors(self, days: int) -> Generator[simpy.Event, Any, None]:
        """Each day, once every borrower has queued: call the queue in priority order."""
        for day in range(days):
            yield self.env.timeout(day + WORK_HOUR - self.env.now)
            yield self.env.timeout(0)  # after every ladder process of the day has queued
            if not self.waiting:
                continue
            order = sorted(self.waiting, key=lambda w: (-w[0], w[1]))
            self.waiting = []
            if self.calls is not None and day >= self.calls_from:  # replay: the calls the
                # whole book's queue gave
                for _, slot, answer in order:
                    answer.succeed(day in self.calls.get(slot, ()))
                continue
            k = min(len(order), int(self.team.level))
            if k:
                yield self.team.get(k)
            for rank, (_, _, answer) in enumerate(order):
                answer.succeed(rank < k)

    def focus(self, only: frozenset[int], day: int) -> None:
        """Replay: from ``day`` on follow only the borrowers ``only``; calls from ``calls``."""
        self.only, self.calls_from = only, day

    def priority(self, b: Borrower, dpd: int) -> float:
        """The queue's key (larger first): days past due, balance, or expected recovery."""
        rule = self.col.collectors.priority
        if rule == "oldest_dpd":
            return float(dpd)
        balance = float(b.account.outstanding)
        if rule == "largest_balance":
            return balance
        human = self.col.channels["human"]
        response = float(human.response_by_type().mean())  # types are not observed
        score = (b.score - 300.0) / 600.0
        return balance * response * float(np.exp(-(dpd - 1) / human.decay_days)) * score

    # -- one borrower's ladder ---------------------------------------------------------------
    def ladder(self, b: Borrower) -> Generator[simpy.Event, Any, None]:
        """Work the account every day while it owes and is open (the borrower's ladder)."""
        f = b.file
        f.worked = True
        while True:
            day = math.floor(self.env.now)
            day += self.env.now >= day + WORK_HOUR
            yield self.env.timeout(day + WORK_HOUR - self.env.now)
            acct = b.account
            if self.only is not None and b.slot not in self.only:
                return  # replay has dropped the rest of the book
            if acct.oldest < 0 or not b.active:  # paid up or charged off: off the list
                f.queued_since = -1
                f.worked = False
                return
            if not acct.past_due(day):  # a bill missed today is late from tomorrow
                f.queued_since = -1  # and not waiting for a collector
                continue
            yield from self.work_day(b, day, acct.days_past_due(day))

    def work_day(self, b: Borrower, day: int, dpd: int) -> Generator[simpy.Event, Any, None]:
        """One day of the ladder for a borrower ``dpd`` days past due."""
        f, caps = b.file, self.col.caps
        h = self.human_step
        if h is None or not (self.steps[h].from_dpd <= dpd <= self.steps[h].to_dpd
                             and not f.agency):
            f.queued_since = -1  # the collectors' rung can no longer call it
        eligible = [s.from_dpd <= dpd <= s.to_dpd and f.last_action[j] <= day - s.every_days
                    and (s.channel == "agency" or not f.agency)
                    for j, s in enumerate(self.steps)]
        for old in [d for d in f.contacts if d <= day - 7]:
            del f.contacts[old]
        week_left = caps.per_week - sum(f.contacts.values())
        today = 0
        done: list[int] = []  # rungs that contacted the borrower, in order
        if h is not None and eligible[h] and min(caps.per_day, week_left) > 0:
            if f.queued_since < 0:
                f.queued_since = day
            answer = self.env.event()
            self.waiting.append((self.priority(b, dpd), b.slot, answer))
            called = yield answer
            if called:
                today += 1
                self.counters["collector_calls"] += 1
                self.counters["queue_wait_days_total"] += day - f.queued_since
                f.queued_since = -1
                f.human_ever = True
                done.append(h)
        for j in self.auto_steps:
            if eligible[j] and min(caps.per_day - today, week_left - today) > 0:
                today += 1
                done.append(j)
                if self.steps[j].channel == "agency":
                    f.agency = True
        stats = self.day_stats.setdefault(day, [0, 0, 0])
        stats[2] = max(stats[2], caps.per_week - week_left + today)
        if done:
            stats[0], stats[1] = 1, max(stats[1], today)
            self.contact(b, day, dpd, done, today)
        self.legal(b, dpd)

    def contact(self, b: Borrower, day: int, dpd: int, rungs: list[int], today: int) -> None:
        """Book the contacts of the rungs ``rungs`` and draw the borrower's responses."""
        f, c = b.file, self.counters
        for j in rungs:
            ch = self.steps[j].channel
            f.last_action[j] = day
            c[f"actions_{ch}"] += 1
            c[f"cost_{ch}"] += self.cost_cents[ch]
            self.on_trace(b, ch, day // DAYS_PER_MONTH)
        f.contacts[day] = today
        f.contacts_month += today
        self.respond(b, day, dpd, [self.channel_id[self.steps[j].channel] for j in rungs])

    def respond(self, b: Borrower, day: int, dpd: int, channels: list[int]) -> None:
        """Responses to contacts through ``channels`` (in order); promise or pay at most once."""
        u = [keyed_uniform(self.key, b.slot, day, Purpose.CONTACT + CONTACT_DRAWS * ch)
             for ch in channels]
        responded = []
        for ch, draw in zip(channels, u, strict=True):
            p = self.params[ch]
            chance = self.response[ch][b.kind] * float(np.exp(-(dpd - 1) / p.decay_days))
            if draw < chance:
                responded.append(ch)
        if not responded:
            return
        for ch in responded:
            p = self.params[ch]
            if p.escalation and b.kind == UNWILLING:
                b.escalated = True
        ended = self.col.arrangements.end_at_termination and b.accelerated
        for ch in responded:  # a negotiating channel starts a repayment arrangement
            p = self.params[ch]
            if p.arrangement_months > 0 and not ended:
                b.stretch = p.stretch_months
                b.arrangement_until = day // DAYS_PER_MONTH + p.arrangement_months
                b.plan_instalment = -(-b.account.outstanding // p.arrangement_months)
        pu = [[keyed_uniform(self.key, b.slot, day, Purpose.CONTACT + CONTACT_DRAWS * ch + k)
               for ch in responded] for k in (1, 2)]
        promises = [(ch, keep) for ch, draw, keep in zip(responded, pu[0], pu[1], strict=True)
                    if draw < self.params[ch].promise_share]
        if promises and b.file.promise_day < 0:
            self.promise(b, day, *promises[0])
        payers = [ch for ch, draw in zip(responded, pu[0], strict=True)
                  if not draw < self.params[ch].promise_share]
        if payers:
            self.pay(b, day, dpd, payers[0], "paid_on_contact")

    def promise(self, b: Borrower, day: int, ch: int, u_keep: float) -> None:
        """A promise to pay in ``promise_days``, kept with ``promise_keep``."""
        p, f = self.params[ch], b.file
        f.promise_day = due = day + p.promise_days
        f.promise_kept = u_keep < p.promise_keep
        f.promise_channel = ch
        self.counters["promises_made"] += 1
        self.env.process(self.keep_promise(b, due))

    def keep_promise(self, b: Borrower, due: int) -> Generator[simpy.Event, Any, None]:
        """On the promised day: pay if the promise is kept and a bill is still overdue."""
        yield self.env.timeout(due + PROMISE_HOUR - self.env.now)
        f = b.file
        if f.promise_day != due:  # cancelled by a re-age
            return
        f.promise_day = -1
        self.counters["promises_kept" if f.promise_kept else "promises_broken"] += 1
        acct = b.account
        if f.promise_kept and b.active and acct.past_due(due):
            self.pay(b, due, acct.days_past_due(due), f.promise_channel, "promise_kept")

    def pay(self, b: Borrower, day: int, dpd: int, ch: int, event: str) -> None:
        """The borrower pays what is owed, as far as cash (``max_cash_share`` of savings plus
        the channel's ``stretch_months``) allows; the channel earns its ``commission``; the
        story gets an ``event`` row (``paid_on_contact`` or ``promise_kept``) with the amount."""
        rep, p, acct = self.config.repayment, self.params[ch], b.account
        amount = min(acct.unpaid, b.cash_for_bill(self.config, rep.max_cash_share,
                                                  p.stretch_months))
        if not rep.partial_payments:
            amount = acct.whole_bills(amount)
        if amount <= 0:
            return
        principal, fee = acct.pay(amount)
        b.spend(amount, rep.max_cash_share)
        self.on_payment(b, principal, fee)
        name = CHANNELS[ch]
        self.counters[f"collected_{name}"] += amount
        self.counters[f"cost_{name}"] += round(amount * p.commission)
        if delinquency.cured_after_payment(day, acct.oldest, acct.due_day):
            self.count_cure(dpd)
        self.on_trace(b, event, day // DAYS_PER_MONTH, paid=amount)

    def legal(self, b: Borrower, dpd: int) -> None:
        """File a court claim from ``legal.from_dpd`` on balances >= ``legal.min_balance``."""
        legal = self.col.legal
        if (legal.enabled and dpd >= legal.from_dpd and not b.file.legal
                and b.account.outstanding >= legal.min_balance * 100):
            b.file.legal = True
            b.escalated = True  # a court claim moves the unwilling to pay
            self.counters["legal_cases"] += 1
            self.counters["legal_costs"] += int(round(legal.cost * 100))

    # -- after the due date ------------------------------------------------------------------
    def after_due_date(self, b: Borrower, month: int, paid: int, missed: bool) -> None:
        """Re-age a kept arrangement, grant a hardship request, and start the ladder."""
        self.reage_arrangement(b, month, paid, missed)
        if b.account.oldest >= 0 and b.active:
            self.enrol(b, month, self.col.hardship.request_prob)
        owing = b.account.oldest >= 0 and b.active
        if not owing:
            b.file.queued_since = -1
        elif self.steps and not b.file.worked:
            self.env.process(self.ladder(b))

    def reage_arrangement(self, b: Borrower, month: int, paid: int, missed: bool) -> None:
        """Re-age an account that paid at least its arrangement's instalment at
        ``reage.after_payments`` due dates in a row under an arrangement and is still past
        due (not within ``reage.min_months_between`` months of its last re-age)."""
        rules, f = self.col.reage, b.file
        if not self.col.enabled:
            return
        under = b.arrangement_until >= month
        kept = paid > 0 and paid >= b.plan_instalment
        f.arrangement_streak = f.arrangement_streak + 1 if under and kept else 0
        if not rules.enabled:
            return
        last = b.account.reaged_month
        if (f.arrangement_streak >= rules.after_payments and missed and b.active
                and (last < 0 or month - last >= rules.min_months_between)):
            self.reage(b, month, 0, "arrangement_reage")
            f.arrangement_streak = 0
            b.arrangement_until = -1
            self.counters["arrangement_reages"] += 1

    def enrol(self, b: Borrower, month: int, take_up: float) -> None:
        """Hardship: once per borrower, when income fell by ``hardship.income_drop`` and the
        borrower takes it up (chance ``take_up``): re-age after ``grace_months``."""
        hs = self.col.hardship
        if not (self.col.enabled and hs.enabled) or b.file.hardship:
            return
        if b.income > (1.0 - hs.income_drop) * b.permanent_income:
            return
        day = b.account.due_time(month)
        if not keyed_uniform(self.key, b.slot, day, Purpose.HARDSHIP_TAKE_UP) < take_up:
            return
        self.reage(b, month, hs.grace_months)
        b.file.hardship = True
        self.counters["hardship_enrolments"] += 1

    def reage(self, b: Borrower, month: int, grace: int, event: str = "hardship") -> None:
        """Restructure the account (``hardship.term_months``); queue and promises end.
        ``event``: the trace's name of the re-age (``hardship``, ``arrangement_reage``)."""
        before = b.account.principal()
        b.account.restructure(month, grace, self.col.hardship.term_months)
        if self.on_reage is not None:  # billed fees become principal: the vehicle is told
            self.on_reage(b, before, b.account.principal())
        b.accelerated = False  # a new plan replaces the terminated contract
        b.file.queued_since = -1
        b.file.promise_day = -1
        self.on_trace(b, event, month)
