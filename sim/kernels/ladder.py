"""The collection ladder's day, compiled: promises due, eligibility, collectors, contacts,
responses, payments and legal referrals over the delinquent accounts.

:class:`sim.agents.collections.Collections` holds the state and calls these kernels; the
rules are the ones its docstrings state, applied in the same order with the same draws,
so results are bit-identical to the numpy statements they replace. Everything is plain
arrays and scalars, grouped in three named tuples of :mod:`sim.kernels.layout`: ``Rules``
(the policy, built once a path), ``State`` (the ladder's own per-account fields, kept in
a table of the accounts it worked lately (:mod:`sim.kernels.worked`), and the month's
counters) and ``Book`` (the ledger's and the borrowers' arrays it reads and moves).

Outputs that grow (promises waiting for their day, payments the engine must pass on)
live in ``bufs``, a typed list of three int64 matrices, with their fill in ``sizes``:

- ``bufs[PENDING]`` (2, k): due day and account of each promise, in the order made;
- ``bufs[PAID]`` (3, k): account, principal and fee cents of each payment;
- ``bufs[SEGMENTS]`` (1, k): where each batch of payments ends (one batch per payment
  step, which the engine passes on as one call, as the numpy code did).

A day runs in this order: the contact ring moves on a day and the collectors' capacity is
refilled (:func:`open_day`, which also takes the promised payments due and finds the
accounts past due), collectors call, automated rungs act (:func:`contacts`), contacted
borrowers respond (:func:`respond`), large balances go to court (:func:`legal`).
:func:`sim.kernels.span.run_days` runs whole days back to back when nothing else happens in
between, working each account only on the days something can happen to it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.accounts import cash_for_bill, paid_into, spend, whole_bills
from sim.kernels.draws import uniform
from sim.kernels.layout import (
    BROKEN,
    CALLS,
    CAPACITY,
    CASES,
    KEPT,
    LARGEST_BALANCE,
    LEGAL_COSTS,
    MADE,
    MAX_DAY,
    MAX_WEEK,
    OLDEST_DPD,
    PAID,
    PENDING,
    SEGMENTS,
    WAITED,
    Book,
    Rules,
    State,
)
from sim.kernels.rules import (
    cured_after_payment,
    days_late,
    days_past_due,
    delinquent_bucket,
    due_time,
    is_late,
    past_due,
)
from sim.kernels.worked import day_of, last_of, log_call, take, unqueue, week_of


# -- growing buffers ----------------------------------------------------------------------
@njit(cache=True)
def _reserve(bufs, sizes, which: int, extra: int) -> None:  # noqa: ANN001
    """Make room for ``extra`` more columns in ``bufs[which]`` (doubling when full)."""
    buf = bufs[which]
    need = sizes[which] + extra
    if need <= buf.shape[1]:
        return
    grown = np.zeros((buf.shape[0], max(need, 2 * buf.shape[1])), dtype=np.int64)
    grown[:, : sizes[which]] = buf[:, : sizes[which]]
    bufs[which] = grown


@njit(cache=True)
def _push(buf: np.ndarray, sizes: np.ndarray, which: int, a: int, b: int, c: int) -> None:
    """Append a column to ``buf``, the buffer ``bufs[which]`` (rows beyond its height are
    ignored); room was reserved. The caller takes ``buf`` out of the typed list once per
    call, not once per column: a typed list's item costs 150-180 ns to take."""
    k = sizes[which]
    buf[0, k] = a
    if buf.shape[0] > 1:
        buf[1, k] = b
    if buf.shape[0] > 2:
        buf[2, k] = c
    sizes[which] = k + 1


@njit(cache=True)
def first_occurrences(values: np.ndarray, by_value: bool) -> np.ndarray:
    """Positions of the first occurrence of each distinct value of ``values``.

    In position order, or (``by_value``) in order of the values, as
    ``np.unique(values, return_index=True)[1]`` gives them.
    """
    order = np.argsort(values, kind="mergesort")  # stable: a value's first position leads
    keep = np.zeros(values.shape[0], dtype=np.bool_)
    for j in range(values.shape[0]):
        if j == 0 or values[order[j]] != values[order[j - 1]]:
            keep[order[j]] = True
    if by_value:
        return order[keep[order]]
    return np.flatnonzero(keep)


# -- payments -------------------------------------------------------------------------------
@njit(cache=True)
def _cure(day: int, w: int, dpd: int, r: Rules, s: State, b: Book) -> None:
    """Count a cure of account ``w`` (``dpd`` days past due before paying) when nothing is
    past due after its payment (``sim.delinquency.cured_after_payment``)."""
    o = b.oldest[w]
    if dpd >= 1 and cured_after_payment(day, o, r.due_day):
        s.cures[delinquent_bucket(dpd)] += 1


@njit(cache=True)
def pay(day: int, who: np.ndarray, dpd: np.ndarray, ch: np.ndarray, r: Rules, s: State,
        b: Book, bufs, sizes) -> None:  # noqa: ANN001
    """Borrowers ``who`` (distinct) pay what they owe, as far as cash allows.

    Cash is savings plus what the contact's channel moves up the payment hierarchy; without
    partial payments only whole bills are paid. Each payment is booked in the ledger, taken
    from savings, credited to its channel (less the channel's commission) and appended to
    ``bufs[PAID]``; the call's payments form one batch in ``bufs[SEGMENTS]``.
    """
    month = day // r.days_per_month
    start = sizes[PAID]
    _reserve(bufs, sizes, PAID, who.shape[0])
    paid = bufs[PAID]
    # the arrays taken out of their tuples once (see sim.kernels.accounts.paid_into)
    current, row, arrears, rows = b.current, b.row, b.arrears, b.rows
    oldest, unpaid, outstanding, reaged_left = b.oldest, b.unpaid, b.outstanding, b.reaged_left
    savings, permanent, disposable = b.savings, b.permanent_income, b.disposable
    for i in range(who.shape[0]):
        w, c = who[i], ch[i]
        cash = cash_for_bill(r.max_cash_share, r.stretch[c], savings[w], permanent[w],
                             disposable[w], r.other_debt, r.stretch_within_income)
        amount = min(unpaid[w], cash)
        if not r.partial:
            amount = whole_bills(month, w, amount, current, row, arrears, rows)
        if amount <= 0:
            continue
        principal, fee = paid_into(month, w, amount, current, row, arrears, rows, oldest,
                                   unpaid, outstanding, reaged_left)
        savings[w], disposable[w] = spend(amount, r.max_cash_share, savings[w], disposable[w])
        _push(paid, sizes, PAID, w, principal, fee)
        s.collected[c] += amount
        s.cost[c] += np.int64(np.rint(amount * r.commission[c]))
        _cure(day, w, dpd[i], r, s, b)
    if sizes[PAID] > start:
        _reserve(bufs, sizes, SEGMENTS, 1)
        _push(bufs[SEGMENTS], sizes, SEGMENTS, sizes[PAID], 0, 0)


@njit(cache=True)
def promises_due(day: int, r: Rules, s: State, b: Book, bufs, sizes) -> None:  # noqa: ANN001
    """Promises falling due today: count kept and broken, and take the kept ones' payments
    from accounts still past due and open (promises cancelled since do not count, and an
    account's promise counts once)."""
    pending, k = bufs[PENDING], sizes[PENDING]
    n = 0
    for j in range(k):
        n += pending[0, j] == day
    if n == 0:  # most days of a small book: no allocation
        return
    # the promises due taken out in the order made, the others moved up in place
    idx = np.empty(n, dtype=np.int64)
    n = rest = 0
    for j in range(k):
        if pending[0, j] == day:
            idx[n] = pending[1, j]
            n += 1
        else:
            pending[0, rest], pending[1, rest] = pending[0, j], pending[1, j]
            rest += 1
    sizes[PENDING] = rest
    kept = 0
    row = s.row
    running = np.zeros(idx.shape[0], dtype=np.bool_)
    for j in range(idx.shape[0]):
        running[j] = day_of(row, s.promise_day, idx[j]) == day
    idx = idx[running]
    # a promise cancelled by a re-age leaves its entry: when a new one falls due the same
    # day, the account has two entries for one promise (counted and paid once)
    idx = idx[first_occurrences(idx, False)]
    live = np.zeros(idx.shape[0], dtype=np.bool_)
    for j in range(idx.shape[0]):
        w = idx[j]
        promised = s.promise_kept[row[w]]
        kept += promised
        o = b.oldest[w]
        live[j] = (promised and past_due(day, o, r.due_day)
                   and b.active[w])
    for j in range(idx.shape[0]):
        s.promise_day[row[idx[j]]] = -1
    s.tally[KEPT] += kept
    s.tally[BROKEN] += idx.shape[0] - kept
    who = idx[live]
    dpd = days_past_due(day, b.oldest[who], r.due_day)
    ch = np.empty(who.shape[0], dtype=np.int64)
    for j in range(who.shape[0]):
        ch[j] = s.promise_channel[row[who[j]]]
    pay(day, who, dpd, ch, r, s, b, bufs, sizes)


# -- responses ------------------------------------------------------------------------------
@njit(cache=True)
def _arrangements(day: int, who: np.ndarray, ch: np.ndarray, responded: np.ndarray,
                  r: Rules, b: Book) -> None:
    """Responses that move the unwilling (escalation), and responses to channels that
    negotiate, which start a repayment arrangement over the channel's months (not on a
    terminated contract when ``r.end_at_termination``)."""
    month = day // r.days_per_month
    for i in responded:
        if r.escalation[ch[i]] and b.kind[who[i]] == r.unwilling:
            b.escalated[who[i]] = True
    for i in responded:
        w, c = who[i], ch[i]
        if r.arrangement[c] > 0 and not (r.end_at_termination and b.accelerated[w]):
            b.plan_channel[w] = c
            b.arrangement_until[w] = month + r.arrangement[c]
            b.plan_instalment[w] = -(-b.outstanding[w] // r.arrangement[c])


@njit(cache=True)
def _promise(day: int, who: np.ndarray, ch: np.ndarray, u_keep: np.ndarray, r: Rules,
             s: State, bufs, sizes) -> None:  # noqa: ANN001
    """Borrowers ``who`` (distinct) promise to pay in their channel's promise days."""
    _reserve(bufs, sizes, PENDING, who.shape[0])
    pending = bufs[PENDING]
    for i in range(who.shape[0]):
        w, c = who[i], ch[i]
        due = day + r.promise_days[c]
        q = take(s.row, s.rows, s.slot_of, w)
        s.promise_day[q] = due
        s.promise_kept[q] = u_keep[i] < r.promise_keep[c]
        s.promise_channel[q] = c
        _push(pending, sizes, PENDING, due, w, 0)
    s.tally[MADE] += who.shape[0]


@njit(cache=True)
def respond(day: int, who: np.ndarray, dpd: np.ndarray, ch: np.ndarray, r: Rules, s: State,
            b: Book, bufs, sizes) -> None:  # noqa: ANN001
    """Draw the responses of contacts and book the payments and promises they bring.

    One entry per contact: borrower ``who`` at ``dpd`` days past due through channel
    ``ch`` (a borrower may appear once per rung). A contact responds with the channel's
    response for the borrower's type, decaying with days past due; a responder promises
    (kept or not) or pays now. A borrower promises at most once (the first promising
    contact, and only without a promise running) and pays at most once (the first paying
    contact); payers are taken in slot order.
    """
    n = who.shape[0]
    hit = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        c = ch[i]
        u = uniform(r.key, who[i], day, r.contact_purpose + r.contact_draws * c)
        hit[i] = u < r.response[c, b.kind[who[i]]] * r.decay[c, dpd[i]]
    responded = np.flatnonzero(hit)
    _arrangements(day, who, ch, responded, r, b)
    k = responded.shape[0]
    promise = np.zeros(k, dtype=np.bool_)
    promised = np.zeros(k, dtype=np.bool_)
    u_keep = np.zeros(k)
    for j in range(k):
        w, c = who[responded[j]], ch[responded[j]]
        base = r.contact_purpose + r.contact_draws * c
        promise[j] = uniform(r.key, w, day, base + 1) < r.promise_share[c]
        u_keep[j] = uniform(r.key, w, day, base + 2)
        promised[j] = promise[j] and day_of(s.row, s.promise_day, w) < 0
    at = np.flatnonzero(promised)
    at = at[first_occurrences(who[responded[at]], False)]
    _promise(day, who[responded[at]], ch[responded[at]], u_keep[at], r, s, bufs, sizes)
    paying = responded[~promise]
    paying = paying[first_occurrences(who[paying], True)]
    pay(day, who[paying], dpd[paying], ch[paying], r, s, b, bufs, sizes)


# -- the day --------------------------------------------------------------------------------
@njit(cache=True)
def turn_week(day: int, r: Rules, s: State) -> None:
    """Move the contact ring on a day (contacts of seven days ago leave the week; every row of
    the table, held or free, a free one holding none) and refill the collectors' capacity."""
    slot = day % 7
    week_total = s.week_total
    week_total -= s.week[slot]
    s.week[slot] = 0
    s.tally[CAPACITY] += r.daily_calls


@njit(cache=True)
def open_day(day: int, cand: np.ndarray, r: Rules, s: State, b: Book, bufs,
             sizes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
    """Start day ``day``: move the contact ring on, refill the collectors' capacity, take
    the promised payments due, find the delinquent accounts, and take out of the
    collectors' queue those the collectors' rung can no longer call (:func:`leave_queue`).

    Args:
        cand: the candidate accounts (ascending slots): those with an unpaid bill at the
            last refresh.

    Returns:
        (candidates still owing, accounts past due today, their days past due); an
        account whose bill was missed today is late only from tomorrow.
    """
    turn_week(day, r, s)
    promises_due(day, r, s, b, bufs, sizes)
    n = cand.shape[0]
    owing = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    dpd = np.empty(n, dtype=np.int64)
    window = queue_window(r)
    k = m = 0
    for i in range(n):
        w = cand[i]
        o = b.oldest[w]
        if o < 0 or not b.active[w]:
            unqueue(s.row, s.queued_since, w)
            continue
        owing[k] = w
        k += 1
        due = due_time(o, r.due_day)
        late, d = is_late(day, due), days_late(day, due)
        leave_queue(s.row, s.queued_since, w, late, d, s.agency[w], window)
        if late:
            idx[m], dpd[m] = w, d
            m += 1
    return owing[:k], idx[:m], dpd[:m]


@njit(cache=True)
def _eligible(day: int, idx: np.ndarray, dpd: np.ndarray, r: Rules,
              s: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether each rung (columns) may act on each account of ``idx`` (rows) today, caps
    aside: within its days-past-due range, its wait since its last action over, and (but
    the agency) not on accounts placed with the agency.

    Returns:
        (that matrix, the contacts each account may still have this week, positions of
        the accounts the collectors' rung may call within the caps).
    """
    rungs, n, h = r.step_from.shape[0], idx.shape[0], r.human_step
    ok = np.empty((n, rungs), dtype=np.bool_)
    week_left = np.empty(n, dtype=np.int64)
    waiting = np.empty(n, dtype=np.int64)
    q = 0
    for i in range(n):
        w, d = idx[i], dpd[i]
        free = not s.agency[w]
        for j in range(rungs):
            ok[i, j] = rung_ready(d, day, free, last_of(s.row, s.last_action, w, j),
                                  r.step_from[j], r.step_to[j], r.step_every[j],
                                  r.step_agency[j])
        week_left[i] = r.per_week - week_of(s.row, s.week_total, w)
        if h >= 0 and ok[i, h] and min(r.per_day, week_left[i]) > 0:
            waiting[q] = i
            q += 1
    return ok, week_left, waiting[:q]


@njit(cache=True)
def rung_ready(dpd: int, day: int, free: bool, last: int, start: int, end: int, every: int,
               agency: bool) -> bool:
    """Whether a rung may act today (caps aside) on an account ``dpd`` days past due whose
    last action by the rung was on day ``last``: within the rung's days-past-due range
    ``start..end``, its wait of ``every`` days since its last action over, and (but the
    agency, ``agency``) the account not placed with the agency (``free``)."""
    return (start <= dpd) & (dpd <= end) & (last <= day - every) & (agency | free)


@njit(cache=True, inline="always")
def leave_queue(row: np.ndarray, queued_since: np.ndarray, w: int, late: bool, dpd: int,
                placed: bool, window: tuple[int, int]) -> None:
    """Take account ``w`` out of the collectors' queue at the start of its day's work when
    the collectors' rung can no longer call it: not past due (``late``), its days past due
    ``dpd`` outside the rung's ``window`` (:func:`queue_window`), or placed with the agency
    (``placed``). The rung's wait and the caps only hold a call back: the account keeps its
    place."""
    if not may_queue(late, dpd, placed, window):
        unqueue(row, queued_since, w)


@njit(cache=True, inline="always")
def may_queue(late: bool, dpd: int, placed: bool, window: tuple[int, int]) -> bool:
    """Whether the collectors' rung can still call an account (:func:`leave_queue`): past
    due (``late``), ``dpd`` days past due inside the rung's ``window``, not ``placed`` with
    the agency."""
    return late and window[0] <= dpd and dpd <= window[1] and not placed


@njit(cache=True)
def queue_window(r: Rules) -> tuple[int, int]:
    """The collectors' rung's days-past-due window (``from_dpd``, ``to_dpd``); an empty one
    without a human rung."""
    h = r.human_step
    if h < 0:
        return 1, 0
    return int(r.step_from[h]), int(r.step_to[h])


@njit(cache=True)
def priority_keys(who: np.ndarray, dpd: np.ndarray, r: Rules, b: Book) -> np.ndarray:
    """The collectors' priority of accounts ``who`` at ``dpd`` days past due (larger
    first): days past due, the balance, or the expected recovery of a call (balance x mean
    response x its decay with days past due x the score scaled from 300-900 to 0-1)."""
    key = np.zeros(who.shape[0])
    for i in range(who.shape[0]):
        w = who[i]
        if r.priority == OLDEST_DPD:
            key[i] = dpd[i]
        elif r.priority == LARGEST_BALANCE:
            key[i] = b.outstanding[w]
        else:
            score = (b.score[w] - 300.0) / 600.0
            key[i] = (b.outstanding[w] * r.priority_response * r.priority_decay[dpd[i]]
                      * score)
    return key


@njit(cache=True)
def priority(who: np.ndarray, dpd: np.ndarray, r: Rules, b: Book) -> np.ndarray:
    """Order of the waiting accounts ``who`` (ascending slots): the policy's rule, ties by
    slot (a stable sort on the descending key)."""
    return np.argsort(-priority_keys(who, dpd, r, b), kind="mergesort")


@njit(cache=True)
def _human(day: int, idx: np.ndarray, dpd: np.ndarray, pos: np.ndarray,
           today: np.ndarray, r: Rules, s: State, b: Book) -> np.ndarray:
    """Queue the accounts ``idx[pos]`` the collectors' rung may call and call as many as
    the day's capacity allows, in priority order; returns their positions in ``idx``."""
    waiting = idx[pos]
    for w in waiting:
        q = take(s.row, s.rows, s.slot_of, w)
        if s.queued_since[q] < 0:
            s.queued_since[q] = day
    k = min(pos.shape[0], r.daily_calls)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    called = pos[priority(waiting, dpd[pos], r, b)[:k]]
    waited = 0
    for i in called:
        w = idx[i]
        q = s.row[w]  # queued above
        today[i] += 1
        waited += day - s.queued_since[q]
        s.queued_since[q] = -1
        s.human_ever[w] = True
        log_call(s.watch, w, day)
        s.last_action[q, r.human_step] = day
    s.tally[CALLS] += k
    s.tally[WAITED] += waited
    return called


@njit(cache=True)
def _automated(day: int, idx: np.ndarray, ok: np.ndarray, week_left: np.ndarray,
               today: np.ndarray, r: Rules, s: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which automated rungs (columns) contact each account (rows) today, in ladder order
    while the account has room under both caps; books every worked account's contacts
    today, this week and this month, and the rungs' last actions.

    Returns:
        (that matrix, the contacts of each rung, the largest contacts today and in seven days
        among the accounts).
    """
    allowed = np.zeros(ok.shape, dtype=np.bool_)
    counts = np.zeros(ok.shape[1], dtype=np.int64)
    slot = day % 7
    most = np.zeros(2, dtype=np.int64)
    for i in range(idx.shape[0]):
        w = idx[i]
        room = min(r.per_day - today[i], week_left[i] - today[i])
        wanted = 0
        for j in range(ok.shape[1]):
            if j == r.human_step or not ok[i, j]:
                continue
            wanted += 1
            if wanted <= room:
                allowed[i, j] = True
                counts[j] += 1
                today[i] += 1
                s.last_action[take(s.row, s.rows, s.slot_of, w), j] = day
                if r.step_agency[j]:
                    s.agency[w] = True
        t = today[i]
        if t > 0:
            q = s.row[w]  # taken by the day's call or contacts
            s.week[slot, q] = t
            s.week_total[q] += t
            s.contacts_month[q] += t
        most[0] = max(most[0], t)
        most[1] = max(most[1], week_of(s.row, s.week_total, w))
    return allowed, counts, most


@njit(cache=True)
def contacts(day: int, idx: np.ndarray, dpd: np.ndarray, r: Rules,
             s: State, b: Book) -> tuple[np.ndarray, np.ndarray]:
    """Today's contacts of the delinquent accounts ``idx`` (at ``dpd`` days past due).

    Collectors call first (a call supersedes a reminder), then the automated rungs act in
    ladder order; the caps (contacts a day, contacts in seven days) apply in that order.
    The contacts are booked: the rungs' last actions, the channels' actions and costs, and
    every worked account's contacts today, this week and this month.

    Returns:
        (positions into ``idx``, rung) of each contact: the calls in priority order, then
        each automated rung's contacts in slot order, rung by rung.
    """
    ok, week_left, waiting = _eligible(day, idx, dpd, r, s)
    today = np.zeros(idx.shape[0], dtype=np.int64)
    called = np.zeros(0, dtype=np.int64)
    if r.human_step >= 0:
        called = _human(day, idx, dpd, waiting, today, r, s, b)
    allowed, counts, most = _automated(day, idx, ok, week_left, today, r, s)
    start = np.empty(counts.shape[0], dtype=np.int64)
    k = called.shape[0]
    for j in range(counts.shape[0]):
        start[j] = k
        k += counts[j]
    pos = np.empty(k, dtype=np.int64)
    rung = np.empty(k, dtype=np.int64)
    pos[: called.shape[0]] = called
    rung[: called.shape[0]] = r.human_step
    if k > called.shape[0]:
        for i in range(allowed.shape[0]):
            for j in range(allowed.shape[1]):
                if allowed[i, j]:
                    pos[start[j]], rung[start[j]] = i, j
                    start[j] += 1
    if k:
        for q in range(k):
            c = r.step_channel[rung[q]]
            s.actions[c] += 1
            s.cost[c] += r.cost_cents[c]
        s.tally[MAX_DAY] = max(s.tally[MAX_DAY], most[0])
        s.tally[MAX_WEEK] = max(s.tally[MAX_WEEK], most[1])
    return pos, rung


@njit(cache=True)
def legal(idx: np.ndarray, dpd: np.ndarray, r: Rules, s: State, b: Book) -> None:
    """Take to court the accounts of ``idx`` past the legal threshold of days past due
    whose balance is large enough (once each); a court claim moves the unwilling."""
    if not r.legal_on:
        return
    cases = 0
    for i in range(idx.shape[0]):
        w = idx[i]
        if dpd[i] >= r.legal_from and not s.legal[w] and b.outstanding[w] >= r.legal_min_cents:
            s.legal[w] = True
            b.escalated[w] = True
            cases += 1
    s.tally[CASES] += cases
    s.tally[LEGAL_COSTS] += r.legal_cost_cents * cases
