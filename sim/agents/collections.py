"""The collection ladder: reminders, calls, human collectors, agency, legal, hardship.

Every day the platform works its delinquent accounts. Each rung of the ladder (SMS,
app push, e-mail, automated call, human call, agency) acts on accounts whose days
past due fall in its range, at most once per ``every_days``, and never beyond the
compliance caps on contacts per day and per seven days. Human calls need a
collector: the team's daily capacity is a SimPy container refilled at each shift,
accounts queue for it in the policy's priority order, and an account that waits
grows older, so its chance to respond falls. A contacted borrower who can pay may
pay now or promise to pay in a few days; promises are kept or broken.

Draws come from :func:`sim.crn.uniforms`, keyed by borrower, day and purpose, so the
same borrower faces the same luck under every policy.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
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
from sim.crn import CONTACT_DRAWS, Purpose, uniforms, uniforms_at
from sim.delinquency import (
    DAYS_PER_MONTH,
    DELINQUENT_BUCKETS,
    bucket_of,
    cured_after_payment,
    due_time,
    late_days,
    past_due,
)

if TYPE_CHECKING:
    from sim.agents.borrowers import BorrowerPool
    from sim.ledger import Ledger

PaymentHook = Callable[[np.ndarray, np.ndarray, np.ndarray], None]
"""Told of each collection payment: principal and fee cents per account, and the accounts."""
TraceHook = Callable[..., None]
"""Called as ``hook(event, month, only=accounts)`` when accounts are contacted."""

_CURE_KEYS = tuple(f"cures_{b}" for b in DELINQUENT_BUCKETS)
SHIFT_HOUR, WORK_HOUR = 0.3, 0.75  # fractions of a day: shift start, collection run
_PROMISE_DRAWS = np.arange(1, CONTACT_DRAWS)[:, None]  # promise or pay, kept: rows 1, 2


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

    Args:
        col: the collections section of the config.
        repayment: the repayment section (what share of cash a borrower puts to a bill,
            whether partial payments are taken).
        experiment: the field-experiment section.
        capacity: borrower slots.
        key: the path's key for the keyed draws (:class:`sim.crn.Purpose`).
        env: the path's SimPy environment (the collectors' capacity is a container in it).
        ledger, active, pool: the accounts' bills, whether each account is open, and the
            borrowers; the collection process takes payments into the ledger and moves
            borrowers (escalation, arrangements, savings spent).
        on_payment: told of every payment a contact brings (principal, fee, accounts).
        on_trace: told of the accounts contacted (for the traced borrowers' stories).
    """

    def __init__(self, col: CollectionsConfig, repayment: RepaymentConfig,
                 experiment: ExperimentConfig, capacity: int, key: int,
                 env: simpy.Environment, *, experiment_key: int, ledger: Ledger,
                 active: np.ndarray,
                 pool: BorrowerPool, on_payment: PaymentHook, on_trace: TraceHook = _no_trace):
        self.col = col
        self.repayment = repayment
        self.key = key
        self.env = env
        self.ledger, self.active, self.pool = ledger, active, pool
        self.on_payment, self.on_trace = on_payment, on_trace
        steps = self.col.ladder if self.col.enabled else []
        self.steps = steps
        self.auto_steps = [j for j, s in enumerate(steps) if s.channel != "human"]
        humans = [j for j, s in enumerate(steps) if s.channel == "human"]
        self.human_step = humans[0] if humans else None
        self.channel_id = {ch: i for i, ch in enumerate(CHANNELS)}
        # the rungs as columns of arrays, so that one day's eligibility is one array operation
        self.step_channel = np.array([self.channel_id[s.channel] for s in steps], dtype=np.int64)
        self.step_from = np.array([s.from_dpd for s in steps], dtype=np.int64)[:, None]
        self.step_to = np.array([s.to_dpd for s in steps], dtype=np.int64)[:, None]
        self.step_every = np.array([s.every_days for s in steps], dtype=np.int64)[:, None]
        self.step_agency = np.array([s.channel == "agency" for s in steps], dtype=bool)[:, None]
        params = [self.col.channels.get(ch) for ch in CHANNELS]

        def per_channel(attr: str, dtype: type = float) -> np.ndarray:
            return np.array([getattr(p, attr) if p else 0 for p in params], dtype=dtype)

        # response at 1 DPD by (channel, borrower type); absent channels never respond
        self.response = np.array([p.response_by_type() if p else np.zeros(len(BORROWER_TYPES))
                                  for p in params])
        self.decay = per_channel("decay_days")
        self.decay[self.decay == 0] = 1.0
        self.escalation = per_channel("escalation", bool)
        self.stretch = per_channel("stretch_months")
        self.arrangement = per_channel("arrangement_months", np.int64)
        self.promise_share, self.promise_keep = per_channel("promise_share"), per_channel(
            "promise_keep")
        self.promise_days = per_channel("promise_days", np.int64)
        self.commission = per_channel("commission")
        self.cost_cents = {ch: int(round(p.cost * 100)) if p else 0
                           for ch, p in zip(CHANNELS, params, strict=True)}
        self.last_action = np.full((len(steps), capacity), -(10**6), dtype=np.int64)
        self.week = np.zeros((7, capacity), dtype=np.int16)  # contacts per day, 7-day ring
        self.week_total = np.zeros(capacity, dtype=np.int16)  # contacts in the last 7 days
        self.promises: dict[int, list[np.ndarray]] = {}  # day -> accounts promising then
        self.queued_since = np.full(capacity, -1, dtype=np.int64)
        self.agency = np.zeros(capacity, dtype=bool)
        self.legal = np.zeros(capacity, dtype=bool)
        self.hardship = np.zeros(capacity, dtype=bool)
        self.human_ever = np.zeros(capacity, dtype=bool)
        self.arrangement_streak = np.zeros(capacity, dtype=np.int16)  # paid due dates in a row
        self.contacts_month = np.zeros(capacity, dtype=np.int32)
        self.recent_contacts = np.zeros(capacity)  # decayed monthly count, lender-observable
        self.promise_day = np.full(capacity, -1, dtype=np.int64)
        self.promise_kept = np.zeros(capacity, dtype=bool)
        self.promise_channel = np.zeros(capacity, dtype=np.int8)
        self.candidates = np.zeros(0, dtype=np.int64)
        self.experiment = (FieldExperiment(experiment, capacity, experiment_key)
                           if experiment.enabled else None)
        team = self.col.collectors
        self.daily_calls = team.count * team.calls_per_day if self.col.enabled else 0
        self.team = simpy.Container(env, capacity=max(self.daily_calls, 1), init=0)
        self.reset_month()

    # -- monthly counters --------------------------------------------------------------------
    def reset_month(self) -> None:
        """Start the counters of a new month (cents for money)."""
        c: dict[str, float] = {f"actions_{ch}": 0 for ch in CHANNELS}
        c.update({f"cost_{ch}": 0 for ch in CHANNELS})
        c.update({f"collected_{ch}": 0 for ch in CHANNELS})
        c.update(dict.fromkeys(_CURE_KEYS, 0))
        c.update(collector_capacity=0, collector_calls=0, queue_wait_days_total=0,
                 promises_made=0, promises_kept=0, promises_broken=0, hardship_enrolments=0,
                 arrangement_reages=0, legal_cases=0, legal_costs=0, max_contacts_day=0,
                 max_contacts_week=0)
        self.counters = c

    def month_record(self, n: int) -> dict[str, float]:
        """The month's counters plus utilisation, mean wait and the queue at month end."""
        c = dict(self.counters)
        cap, calls = c["collector_capacity"], c["collector_calls"]
        c["collector_utilisation"] = calls / cap if cap else 0.0
        waited = c.pop("queue_wait_days_total")
        c["queue_wait_days"] = waited / calls if calls else 0.0
        c["queue_length"] = int((self.queued_since[:n] >= 0).sum())
        c["collection_cost"] = sum(c[f"cost_{ch}"] for ch in CHANNELS) + c["legal_costs"]
        c["human_contacted_ever"] = int(self.human_ever[:n].sum())
        self.recent_contacts[:n] = RECENT_DECAY * self.recent_contacts[:n] + self.contacts_month[:n]
        self.contacts_month[:n] = 0
        self.reset_month()
        return c

    # -- SimPy processes ---------------------------------------------------------------------
    def shifts(self, days: int) -> Generator[simpy.Event, Any, None]:
        """Each morning of days 0..days-1 the team's call capacity is refilled (unused calls
        do not carry)."""
        for day in range(days):
            yield self.env.timeout(day + SHIFT_HOUR - self.env.now)
            if self.team.level:
                yield self.team.get(self.team.level)
            if self.daily_calls:
                yield self.team.put(self.daily_calls)
                self.counters["collector_capacity"] += self.daily_calls

    def daily(self, days: int) -> Generator[simpy.Event, Any, None]:
        """Each day: promised payments, then the ladder's actions on delinquent accounts.

        Collectors call first (a call supersedes a reminder), then the automated rungs
        act in ladder order; the compliance caps are applied in that order. A borrower
        contacted by several rungs in a day pays at most once, credited to the first
        rung that worked. Runs on days 0..days-1.
        """
        for day in range(days):
            yield self.env.timeout(day + WORK_HOUR - self.env.now)
            self.week_total -= self.week[day % 7]
            self.week[day % 7] = 0
            self._promises_due(day)
            idx, dpd = self._delinquent(day)
            if self.experiment is not None:
                self._experiment(day, idx, dpd)
            if idx.size == 0 or not self.steps:
                continue
            today = np.zeros(idx.size, dtype=np.int64)
            eligible = self._eligible(day, idx, dpd)
            week_left = self.col.caps.per_week - self.week_total[idx]
            groups = []
            if self.human_step is not None:
                called = yield from self._human_step(day, idx, dpd, eligible, week_left,
                                                     today)
                if called.size:
                    groups.append((self.human_step, called))
            groups += self._automated(idx, eligible, week_left, today)
            if groups:
                self._contact(day, idx, dpd, groups, today)
            self._legal(day, idx, dpd)

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
        ch = np.full(treated.size, self.channel_id[channel], dtype=np.int64)
        self.counters[f"actions_{channel}"] += treated.size
        self.counters[f"cost_{channel}"] += self.cost_cents[channel] * treated.size
        self.on_trace(channel, day // DAYS_PER_MONTH, only=treated)
        self._respond(day, treated, np.full(treated.size, exp.cfg.at_dpd), ch)

    # -- the ladder --------------------------------------------------------------------------
    def refresh(self, n: int, month: int) -> None:
        """Recompute the delinquent candidates among accounts 0..n-1 in ``month`` (after a
        due date or a charge-off batch)."""
        oldest = self.ledger.oldest[:n]
        was_queued = self.queued_since[:n] >= 0
        self.candidates = np.flatnonzero(
            (oldest >= 0) & (oldest <= month) & self.active[:n])
        keep = np.zeros(n, dtype=bool)
        keep[self.candidates] = True
        self.queued_since[:n][was_queued & ~keep] = -1

    def _delinquent(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self.candidates
        ledger = self.ledger
        oldest = ledger.oldest[idx]
        owing = (oldest >= 0) & self.active[idx]
        self.queued_since[idx[~owing]] = -1
        self.candidates = idx = idx[owing]  # a bill missed today is late from tomorrow
        late, dpd = late_days(day, due_time(oldest[owing], ledger.due_day))
        return idx[late], dpd

    def _room(self, week_left: np.ndarray, today: np.ndarray) -> np.ndarray:
        """Contacts each account may still receive today under both caps.

        ``week_left`` is the weekly cap less the last seven days' contacts before
        today's, which are in ``today`` until :meth:`_contact` books them.
        """
        return np.minimum(self.col.caps.per_day - today, week_left - today)

    def _eligible(self, day: int, idx: np.ndarray, dpd: np.ndarray) -> np.ndarray:
        """Whether each rung (rows) may act on each account of ``idx`` today, caps aside.

        A rung acts within its days-past-due range, at most once per ``every_days``, and,
        except the agency itself, not on accounts placed with the agency.
        """
        ok = (dpd >= self.step_from) & (dpd <= self.step_to)
        ok &= self.last_action.take(idx, axis=1) <= day - self.step_every  # rung's wait is over
        ok &= self.step_agency | ~self.agency[idx]
        return ok

    def _automated(self, idx: np.ndarray, eligible: np.ndarray, week_left: np.ndarray,
                   today: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Positions (into ``idx``) each automated rung contacts today, caps applied."""
        if not self.auto_steps:
            return []
        wanted = eligible[self.auto_steps]
        allowed = wanted & (np.cumsum(wanted, axis=0) <= self._room(week_left, today))
        today += allowed.sum(axis=0)
        groups = []
        for row, j in enumerate(self.auto_steps):
            pos = np.flatnonzero(allowed[row])
            if pos.size:
                if self.steps[j].channel == "agency":
                    self.agency[idx[pos]] = True
                groups.append((j, pos))
        return groups

    def _human_step(self, day: int, idx: np.ndarray, dpd: np.ndarray,
                    eligible: np.ndarray, week_left: np.ndarray, today: np.ndarray
                    ) -> Generator[simpy.Event, Any, np.ndarray]:
        """Queue eligible accounts for a collector and call as many as capacity allows."""
        ok = eligible[self.human_step] & (self._room(week_left, today) > 0)
        pos = np.flatnonzero(ok)
        waiting = idx[pos]
        self.queued_since[waiting[self.queued_since[waiting] < 0]] = day
        k = min(pos.size, int(self.team.level))
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        yield self.team.get(k)
        called = pos[self._priority(waiting, dpd[pos])[:k]]
        who = idx[called]
        today[called] += 1
        self.counters["collector_calls"] += k
        self.counters["queue_wait_days_total"] += int((day - self.queued_since[who]).sum())
        self.queued_since[who] = -1
        self.human_ever[who] = True
        return called

    def _priority(self, who: np.ndarray, dpd: np.ndarray) -> np.ndarray:
        """Order of the waiting accounts ``who``: the policy's rule, ties by slot."""
        rule = self.col.collectors.priority
        if rule == "oldest_dpd":
            key = dpd.astype(float)
        elif rule == "largest_balance":
            key = self.ledger.outstanding[who].astype(float)
        else:
            human = self.col.channels["human"]
            balance = self.ledger.outstanding[who].astype(float)
            score = (self.pool.score[who] - 300.0) / 600.0
            # the lender does not see types: the mean response across them
            response = float(human.response_by_type().mean())
            key = balance * response * np.exp(-(dpd - 1) / human.decay_days) * score
        return np.lexsort((who, -key))

    def _contact(self, day: int, idx: np.ndarray, dpd: np.ndarray,
                 groups: list[tuple[int, np.ndarray]], today: np.ndarray) -> None:
        """Book today's contacts (rung, positions into ``idx``) and draw the responses."""
        c = self.counters
        for j, pos in groups:
            step = self.steps[j]
            contacted = idx[pos]
            self.last_action[j][contacted] = day
            c[f"actions_{step.channel}"] += pos.size
            c[f"cost_{step.channel}"] += self.cost_cents[step.channel] * pos.size
            self.on_trace(step.channel, day // DAYS_PER_MONTH, only=contacted)  # traced only
        pos = np.concatenate([p for _, p in groups])
        ch = np.repeat(self.step_channel[[j for j, _ in groups]], [p.size for _, p in groups])
        who, d = idx[pos], dpd[pos]
        today = today.astype(np.int16)
        self.week[day % 7][idx] = today  # today's contacts of every worked account
        self.week_total[idx] += today
        self.contacts_month[idx] += today
        c["max_contacts_day"] = max(c["max_contacts_day"], int(today.max()))
        c["max_contacts_week"] = max(c["max_contacts_week"], int(self.week_total[idx].max()))
        self._respond(day, who, d, ch)

    def _respond(self, day: int, who: np.ndarray, d: np.ndarray,
                 ch: np.ndarray) -> None:
        """Draw the responses of contacts (borrower ``who`` at ``d`` DPD through channel
        ``ch``, one entry per contact) and book the payments and promises they bring."""
        # three draws of the contact's channel: response (row 0 of the channel's block of
        # Purpose.CONTACT), then, only for those who respond, promise or pay (row 1) and
        # promise kept (row 2)
        u = uniforms_at(self.key, who, day, Purpose.CONTACT + CONTACT_DRAWS * ch)
        kind = self.pool.kind[who]
        chance = self.response[ch, kind] * np.exp(-(d - 1) / self.decay[ch])
        responded = np.flatnonzero(u < chance)
        who_r, ch_r = who[responded], ch[responded]
        moved = self.escalation[ch_r] & (kind[responded] == UNWILLING)
        self.pool.escalated[who_r[moved]] = True
        # a response to a channel that negotiates (a collector, the agency) starts a
        # repayment arrangement: the line moves up the borrower's payment hierarchy
        plan = self.arrangement[ch_r] > 0
        if plan.any():
            pool, month = self.pool, day // DAYS_PER_MONTH
            who_p, ch_p = who_r[plan], ch_r[plan]
            pool.stretch[who_p] = self.stretch[ch_p]
            pool.arrangement_until[who_p] = month + self.arrangement[ch_p]
            pool.plan_instalment[who_p] = -(-self.ledger.outstanding[who_p]
                                            // self.arrangement[ch_p])
        u = uniforms_at(self.key, who_r, day,
                        Purpose.CONTACT + CONTACT_DRAWS * ch_r + _PROMISE_DRAWS)
        promise = u[0] < self.promise_share[ch_r]
        promised = promise & (self.promise_day[who_r] < 0)  # among the responses
        first = np.zeros(who_r.size, dtype=bool)
        first[np.unique(who_r[promised], return_index=True)[1]] = True
        promised_at = np.flatnonzero(promised)[first[: promised.sum()]]
        self._promise(day, who_r[promised_at], ch_r[promised_at], u[1][promised_at])
        paying = responded[~promise]
        _, first_pay = np.unique(who[paying], return_index=True)
        paying = paying[first_pay]
        self._pay(day, who[paying], d[paying], ch[paying])

    def _promise(self, day: int, who: np.ndarray, ch: np.ndarray, u_keep: np.ndarray) -> None:
        if who.size == 0:
            return
        due = day + self.promise_days[ch]
        self.promise_day[who] = due
        self.promise_kept[who] = u_keep < self.promise_keep[ch]
        self.promise_channel[who] = ch
        for d in np.unique(due):
            self.promises.setdefault(int(d), []).append(who[due == d])
        self.counters["promises_made"] += who.size

    def _pay(self, day: int, who: np.ndarray, dpd: np.ndarray,
             ch: np.ndarray) -> None:
        """Borrowers ``who`` pay what they owe, as far as cash allows (one entry each)."""
        if who.size == 0:
            return
        ledger, pool = self.ledger, self.pool
        # cash on hand plus what the contact moves up the borrower's payment hierarchy
        cash = pool.cash_for_bill(who, self.repayment.max_cash_share, self.stretch[ch])
        amount = np.minimum(ledger.unpaid[who], cash)
        if not self.repayment.partial_payments:
            amount = ledger.whole_bills(day // DAYS_PER_MONTH, who, amount)
        paying = amount > 0
        who, amount, dpd, ch = who[paying], amount[paying], dpd[paying], ch[paying]
        if who.size == 0:
            return
        principal, fee = ledger.pay_accounts(day // DAYS_PER_MONTH, who, amount)
        pool.spend(who, amount, self.repayment.max_cash_share)
        self.on_payment(principal, fee, who)
        collected = np.bincount(ch, weights=amount, minlength=len(CHANNELS))
        commission = np.bincount(ch, weights=np.rint(amount * self.commission[ch]),
                                 minlength=len(CHANNELS))
        c = self.counters
        for ch_name, got, paid in zip(CHANNELS, collected.tolist(), commission.tolist(),
                                      strict=True):
            if got:
                c[f"collected_{ch_name}"] += int(got)
                c[f"cost_{ch_name}"] += int(paid)
        self.count_cures(dpd[cured_after_payment(day, ledger.oldest[who], ledger.due_day)])

    def count_cures(self, dpd: np.ndarray) -> None:
        """Add cures of accounts that were ``dpd`` days past due to the month's counts."""
        dpd = dpd[dpd >= 1]
        if dpd.size == 0:
            return
        counts = np.bincount(bucket_of(dpd) - 1, minlength=len(DELINQUENT_BUCKETS))
        for key, count in zip(_CURE_KEYS, counts.tolist(), strict=True):
            if count:
                self.counters[key] += count

    def _promises_due(self, day: int) -> None:
        batches = self.promises.pop(day, [])
        if not batches:
            return
        idx = np.concatenate(batches)
        idx = idx[self.promise_day[idx] == day]  # promises cancelled since do not count
        kept = self.promise_kept[idx]
        self.promise_day[idx] = -1
        self.counters["promises_kept"] += int(kept.sum())
        self.counters["promises_broken"] += int((~kept).sum())
        ledger = self.ledger
        oldest = ledger.oldest[idx]
        live = kept & past_due(day, oldest, ledger.due_day) & self.active[idx]
        dpd = day - due_time(oldest[live], ledger.due_day)
        self._pay(day, idx[live], dpd, self.promise_channel[idx[live]].astype(np.int64))

    def _legal(self, day: int, idx: np.ndarray, dpd: np.ndarray) -> None:
        legal = self.col.legal
        if not legal.enabled:
            return
        idx = idx[dpd >= legal.from_dpd]
        balance = self.ledger.outstanding[idx]
        cases = idx[~self.legal[idx] & (balance >= legal.min_balance * 100)]
        self.legal[cases] = True
        self.pool.escalated[cases] = True  # a court claim moves the unwilling to pay
        self.counters["legal_cases"] += cases.size
        self.counters["legal_costs"] += int(round(legal.cost * 100)) * cases.size

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
        if not (self.col.enabled and rules.enabled):
            return NOTHING_RESTRUCTURED
        n = paid.shape[0]
        pool, ledger = self.pool, self.ledger
        under = pool.arrangement_until[:n] >= month
        streak = self.arrangement_streak[:n]
        kept = (paid > 0) & (paid >= pool.plan_instalment[:n])
        streak[:] = np.where(under & kept, streak + 1, 0)
        idx = np.flatnonzero((streak >= rules.after_payments) & missed & self.active[:n])
        last = ledger.reaged_month[idx]
        idx = idx[(last < 0) | (month - last >= rules.min_months_between)]
        if idx.size == 0:
            return NOTHING_RESTRUCTURED
        out = self._reage(month, idx, 0)
        self.arrangement_streak[idx] = 0
        pool.arrangement_until[idx] = -1
        self.counters["arrangement_reages"] += idx.size
        return out

    def _reage(self, month: int, idx: np.ndarray, grace: int) -> Restructured:
        """Restructure accounts ``idx`` (re-age): a new plan, no queue, no promise."""
        ledger = self.ledger
        before = ledger.principal_of(idx)
        ledger.restructure(month, idx, grace, self.col.hardship.term_months)
        self.queued_since[idx] = -1
        self.promise_day[idx] = -1
        return Restructured(idx, before, ledger.principal_of(idx))

    # -- hardship --------------------------------------------------------------------------
    def hardship_requests(self, n: int, month: int) -> Restructured:
        """After the due date: delinquent borrowers (of 0..n-1) whose income fell may be
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
        self.counters["hardship_enrolments"] += idx.size
        return out
