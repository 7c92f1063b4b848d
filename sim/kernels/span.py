"""The collection ladder's days between two of the path's events, in one compiled call.

:func:`run_days` applies the day's steps of :mod:`sim.kernels.ladder` (:func:`open_day`,
:func:`contacts`, :func:`respond`, :func:`legal`, in that order, with the same draws) to
the accounts of an :class:`sim.kernels.agenda.Agenda` whose day has come, instead of
every candidate every day: the collectors' capacity and priority order, the caps and every
counter come out bit-identical to the day-by-day kernels (``tests/test_kernels.py`` and
``scripts/engine_fingerprint.py`` compare the records).

An account's oldest bill, status, balance and court flag are read from the book on the
span's first day and again only after the span moved them (a payment, a court claim), and
its row of the ladder's table is kept beside it (the agenda's ``row``, ``court`` and
``moved``): at 100,000 borrowers each of those reads, on every account worked every day,
was a cache miss.
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.agenda import (
    NEVER,
    Agenda,
    close_agenda,
    court_day,
    new_agenda,
    next_day,
    rung_table,
    top_priority,
    turn_ring,
    week_max,
)
from sim.kernels.ladder import (
    legal,
    may_queue,
    open_day,
    promises_due,
    queue_window,
    respond,
    rung_ready,
    turn_week,
)
from sim.kernels.layout import (
    CALLS,
    MAX_DAY,
    MAX_WEEK,
    PAID,
    PENDING,
    WAITED,
    Book,
    Rules,
    State,
)
from sim.kernels.rules import days_late, due_time, is_late
from sim.kernels.worked import log_call, take


@njit(cache=True)
def _open(day: int, a: Agenda, steps: np.ndarray, r: Rules, s: State,
          b: Book) -> tuple[int, int]:
    """:func:`open_day` and the collectors' part of :func:`_eligible` over the agenda's
    accounts due today: drop those that no longer owe (out of the collectors' queue), take
    out of the queue those the collectors' rung can no longer call (:func:`leave_queue`),
    list those past due, find those the collectors may call, and set the next day of the
    others. The book's arrays are read only for an account it may have moved
    (``a.moved``); the others' oldest bill and court day are those last read.

    Returns:
        (accounts past due worked today, accounts waiting for a collector).
    """
    m = q = 0
    h, per_day, per_week, due_day = r.human_step, r.per_day, r.per_week, r.due_day
    window = queue_window(r)
    # every array the loop reads taken out of its tuple once: an array taken out of a
    # tuple inside the loop costs a reference count each time
    slots, wake, oldest, active = a.slot, a.wake, b.oldest, b.active
    agency, last_action, alive, dues, week = a.placed, a.last, a.alive, a.due, a.week
    act, aw, dpd, today, waiting = a.act, a.aw, a.dpd, a.today, a.waiting
    rows, court, moved = a.row, a.court, a.moved
    queued_since, in_court, outstanding = s.queued_since, s.legal, b.outstanding
    on, threshold, smallest = r.legal_on, r.legal_from, r.legal_min_cents
    for i in range(slots.shape[0]):
        if wake[i] > day:
            continue
        w, row = slots[i], rows[i]
        if moved[i]:
            o = oldest[w]
            if o < 0 or not active[w]:
                if row >= 0:  # out of the collectors' queue (unqueue)
                    queued_since[row] = -1
                alive[i], wake[i] = False, NEVER
                continue
            dues[i] = due_time(o, due_day)
            court[i] = court_day(dues[i], on, threshold, smallest, in_court[w], outstanding[w])
            moved[i] = False
        due = dues[i]
        late, d = is_late(day, due), days_late(day, due)
        if row >= 0 and not may_queue(late, d, agency[i], window):  # leave_queue
            queued_since[row] = -1
        if not late:  # not past due: nothing today
            wake[i] = next_day(day, i, due, steps, agency, last_action, court[i])
            continue
        act[m], aw[m], dpd[m], today[m] = i, w, d, 0
        if (h >= 0 and rung_ready(d, day, not agency[i], last_action[i, h], steps[h, 0],
                                  steps[h, 1], steps[h, 2], steps[h, 3])
                and min(per_day, per_week - int(week[i])) > 0):
            waiting[q] = m
            q += 1
        m += 1
    return m, q


@njit(cache=True)
def _call(day: int, a: Agenda, q: int, r: Rules, s: State, b: Book) -> int:
    """:func:`_human` over the agenda: queue the ``q`` waiting accounts and call as many as
    the day's capacity allows, in priority order (into ``a.pos``); returns the calls."""
    since, rows = s.queued_since, a.row
    for x in a.waiting[:q]:
        i = a.act[x]
        row = rows[i]
        if row < 0:  # a call of take passes four arrays: 20-40 ns, most waiting hold a row
            row = take(s.row, s.rows, s.slot_of, a.aw[x])
            rows[i] = row
        if since[row] < 0:
            since[row] = day
    k = min(q, r.daily_calls)
    if k == 0:
        return 0
    for t in range(q):
        a.who[t], a.cdpd[t] = a.aw[a.waiting[t]], a.dpd[a.waiting[t]]
    order = top_priority(a.who[:q], a.cdpd[:q], k, r, b)
    waited = 0
    for t in range(k):
        x = a.waiting[order[t]]
        w = a.aw[x]
        row = rows[a.act[x]]  # queued above
        a.today[x] += 1
        waited += day - s.queued_since[row]
        s.queued_since[row] = -1
        s.human_ever[w] = True
        log_call(s.watch, w, day)
        a.last[a.act[x], r.human_step] = day
        a.pos[t], a.rung[t] = x, r.human_step
    s.tally[CALLS] += k
    s.tally[WAITED] += waited
    return k


@njit(cache=True)
def _remind(day: int, a: Agenda, m: int, steps: np.ndarray, r: Rules, s: State,
            b: Book) -> np.ndarray:
    """:func:`_automated` over the agenda's ``m`` accounts past due, after the day's calls:
    the automated rungs ready for an account (as :func:`_eligible` found them before the
    calls) contact it in ladder order while it has room under both caps; every worked
    account's contacts today, this week and this month are booked, and its next day set
    (:func:`next_day` after today's contacts; tomorrow while it waits for a collector).

    Returns:
        (contacts of each rung, the largest contacts today, the largest contacts in seven
        days, automated contacts): the contacts are in ``a.auto_pos``/``a.auto_rung`` in
        account order.
    """
    rungs, slot, h = steps.shape[0], day % 7, r.human_step
    agency, last_action, week_total = a.placed, a.last, a.week
    out = np.zeros(rungs + 3, dtype=np.int64)
    rows, queued_since = a.row, s.queued_since
    c = most_day = most_week = 0
    for x in range(m):
        i, d, today = a.act[x], a.dpd[x], a.today[x]
        free = not agency[i]
        room = min(r.per_day - today, r.per_week - np.int64(week_total[i]) - today)
        wanted = 0
        for j in range(rungs):
            if j == h or not rung_ready(d, day, free, last_action[i, j], steps[j, 0],
                                        steps[j, 1], steps[j, 2], steps[j, 3]):
                continue
            wanted += 1
            if wanted <= room:
                a.auto_pos[c], a.auto_rung[c] = x, j
                c += 1
                out[j] += 1
                today += 1
                last_action[i, j] = day
                if steps[j, 3]:
                    agency[i] = True
        if today > 0:
            a.ring[slot, i] = today
            week_total[i] += today
            a.contacts[i] += today
        a.today[x] = today
        most_day = max(most_day, today)
        most_week = max(most_week, int(week_total[i]))
        # worked again tomorrow while waiting for a collector (it may leave the window and
        # the queue, or be called); one that pays on today's contact is woken by run_days
        if rows[i] >= 0 and queued_since[rows[i]] >= 0:  # day_of(...) >= 0
            a.wake[i] = day + 1
        else:  # its court day as _open read it: nothing has moved the book since
            a.wake[i] = next_day(day, i, a.due[i], steps, agency, last_action, a.court[i])
    out[rungs], out[rungs + 1], out[rungs + 2] = most_day, most_week, c
    return out


@njit(cache=True)
def _group(a: Agenda, k: int, counts: np.ndarray, c: int) -> int:
    """Append the ``c`` automated contacts (``a.auto_pos``, account order) to the ``k``
    calls in ``a.pos``/``a.rung``, rung by rung (``counts`` each), each in slot order;
    returns the contacts in all."""
    start = np.empty(counts.shape[0], dtype=np.int64)
    for j in range(counts.shape[0]):
        start[j] = k
        k += counts[j]
    for t in range(c):
        j = a.auto_rung[t]
        a.pos[start[j]], a.rung[start[j]] = a.auto_pos[t], j
        start[j] += 1
    return k


@njit(cache=True)
def _book_contacts(day: int, a: Agenda, k: int, most_day: int, most_week: int, r: Rules,
                   s: State) -> None:
    """The channels' actions and costs of the day's ``k`` contacts and the caps' highs (the
    week's over every account past due, worked today or not, as :func:`_automated`)."""
    for t in range(k):
        c = r.step_channel[a.rung[t]]
        s.actions[c] += 1
        s.cost[c] += r.cost_cents[c]
        a.who[t], a.cdpd[t], a.ch[t] = a.aw[a.pos[t]], a.dpd[a.pos[t]], c
    s.tally[MAX_DAY] = max(s.tally[MAX_DAY], most_day)
    most = max(s.tally[MAX_WEEK], most_week)
    if most < r.per_week:  # a week's contacts never exceed the cap, so it bounds the high
        most = week_max(day, most, a)
    s.tally[MAX_WEEK] = most


@njit(cache=True)
def _wake_payers(when: int, start: int, a: Agenda, bufs, sizes) -> None:  # noqa: ANN001
    """Work on day ``when`` (at the latest) the candidates that paid since ``start`` in
    ``bufs[PAID]`` (a payment moves the oldest bill, the balance, or ends the debt), their
    book read again (``a.moved``)."""
    paid = bufs[PAID]
    for t in range(start, sizes[PAID]):
        i = np.searchsorted(a.slot, paid[0, t])
        if i < a.slot.shape[0] and a.slot[i] == paid[0, t] and a.alive[i]:
            a.wake[i] = min(a.wake[i], when)
            a.moved[i] = True


@njit(cache=True)
def _note_rows(start: int, a: Agenda, s: State, bufs, sizes) -> None:  # noqa: ANN001
    """Keep ``a.row`` equal to ``State.row`` for the candidates that promised since
    ``start`` in ``bufs[PENDING]`` (a promise takes a row of the ladder's table)."""
    pending = bufs[PENDING]
    for t in range(start, sizes[PENDING]):
        w = pending[1, t]
        i = np.searchsorted(a.slot, w)
        if i < a.slot.shape[0] and a.slot[i] == w:
            a.row[i] = s.row[w]


@njit(cache=True)
def _court_read_again(a: Agenda, m: int, r: Rules) -> None:
    """After :func:`legal`: read again the book of the day's accounts old enough for court
    (a claim changes their court day)."""
    if r.legal_on:
        for x in range(m):
            if a.dpd[x] >= r.legal_from:
                a.moved[a.act[x]] = True


@njit(cache=True)
def run_days(first: int, last: int, cand: np.ndarray, r: Rules, s: State, b: Book, bufs,
             sizes) -> np.ndarray:  # noqa: ANN001
    """Run the ladder's days ``first..last`` back to back (nothing else may happen between
    them); returns the candidates still owing, as :func:`open_day` day by day would.

    Each day works only the candidates whose day has come (:mod:`sim.kernels.agenda`): all
    of them on ``first``, then each on the first day a rung or the court can act on it
    (:func:`sim.kernels.agenda.next_day`), the day after a payment, the day a promise it
    made is paid, and every day while it waits for a collector. The day's steps and their
    order are those of :func:`open_day`, :func:`contacts`, :func:`respond` and
    :func:`legal`, so the records are bit-identical.
    """
    if r.step_from.shape[0] == 0:
        for day in range(first, last + 1):
            cand = open_day(day, cand, r, s, b, bufs, sizes)[0]
        return cand
    a, steps = new_agenda(cand, first, r.per_day, s), rung_table(r)
    rungs = steps.shape[0]
    for day in range(first, last + 1):
        turn_week(day, r, s)
        turn_ring(day, a)
        start = sizes[PAID]
        promises_due(day, r, s, b, bufs, sizes)
        _wake_payers(day, start, a, bufs, sizes)
        m, q = _open(day, a, steps, r, s, b)
        if m == 0:
            continue
        k = _call(day, a, q, r, s, b) if r.human_step >= 0 else 0
        out = _remind(day, a, m, steps, r, s, b)
        k = _group(a, k, out[:rungs], out[rungs + 2])
        if k:
            _book_contacts(day, a, k, int(out[rungs]), int(out[rungs + 1]), r, s)
            start, promised = sizes[PAID], sizes[PENDING]
            respond(day, a.who[:k], a.cdpd[:k], a.ch[:k], r, s, b, bufs, sizes)
            _wake_payers(day + 1, start, a, bufs, sizes)  # a payment moves the account
            _note_rows(promised, a, s, bufs, sizes)
        legal(a.aw[:m], a.dpd[:m], r, s, b)
        _court_read_again(a, m, r)
    close_agenda(a, s)
    return a.slot[a.alive]
