"""The collection ladder's agenda: which delinquent accounts can be worked on a day, and
which of the collectors' queue are called, for :func:`sim.kernels.span.run_days`.

Most delinquent accounts can do nothing on most days: each rung waits ``every_days``
since its last action and acts only inside its window of days past due, and court comes
once, past a threshold. Between two of the path's other events an account changes only
when the ladder itself works it (a contact, a payment, a placement, a court claim) or when
a promised payment falls due, so the first day anything can happen to it is known when its
day's work is done (:func:`next_day`, from the rungs' last actions after the day's
contacts; an account that pays, on a contact or a promise, is worked again the next day).
The batched ladder keeps its candidates in an :class:`Agenda` (a table in slot order, with
the ladder's own fields of each account) and each day works only the accounts whose day
has come; the rules applied to them are the day-by-day kernels'
(:func:`sim.kernels.ladder.rung_ready`, :func:`sim.kernels.ladder.priority_keys`), so the
results are bit-identical.

The collectors' queue is rebuilt each day from the accounts the collectors' rung may call:
an account waiting for a collector stays ready for it, so it is worked every day until it
is called, and the day's capacity and priority order are exact (:func:`top_priority` picks
the first ``k`` of the order a stable sort gives). Keeping the waiting accounts in the
collectors' order between days, to work only the day's callers, would save little: the
automated rungs contact most waiting accounts on most days anyway (one 100,000-borrower
path of the bench config: 717,043 of 2,097,929 waiting account-days without a contact, 16 %
of its 4.5 M account-days worked; docs/BENCHMARKS.md, 3 December 2026, sixth session).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.ladder import priority_keys
from sim.kernels.layout import NEVER_ACTED, Book, Rules, State
from sim.kernels.rules import is_late
from sim.kernels.worked import take

NEVER = 2**62
"""A day no span reaches: the account cannot be worked again before the next event."""


class Agenda(NamedTuple):
    """The candidates of a span of days (rows, ascending slots) and the day's work buffers.

    Rows of the table: ``slot`` (the account), ``wake`` (the first day it may be worked;
    :data:`NEVER` once it no longer owes), ``due`` (due day of its oldest unpaid bill when
    last worked), ``alive`` (still a candidate), and the ladder's own fields of the account,
    copied in from :class:`State` for the span and back at its end so that the day's
    passes read them in table order: ``last`` (each rung's last action, as
    ``State.last_action``), ``placed`` (``State.agency``), ``ring`` and ``week`` (the
    contacts of the last seven days, ``State.week`` and ``State.week_total``) and
    ``contacts`` (``State.contacts_month``). Three fields spare the day's passes a read of
    the book's per-slot arrays (a cache miss each at 100,000 borrowers): ``row``, the
    account's row of the ladder's table, kept equal to ``State.row`` over the span (a row
    is only taken in a span, by a call or a promise, never given back); ``court``, the day
    it can go to court (:func:`court_day`) as of ``moved``'s last reading; and ``moved``,
    set when the book may have moved the account since it was last read (the span's first
    day, a payment, a court claim), when its oldest bill, status, balance and court flag
    are read again. The day's buffers hold the
    accounts past due worked today, by position ``m``: ``act`` (row), ``aw`` (slot),
    ``dpd`` and ``today`` (contacts today); ``waiting`` (positions the collectors may
    call); the day's contacts: ``pos`` (position ``m``) and ``rung``, calls first, then
    rung by rung, with the automated ones first gathered in account order in
    ``auto_pos``/``auto_rung``; and ``who``, ``cdpd`` and ``ch``, the contacts' accounts,
    days past due and channels.
    """

    slot: np.ndarray  # (n,) int64
    wake: np.ndarray  # (n,) int64 day
    due: np.ndarray  # (n,) int64 day
    alive: np.ndarray  # (n,) bool
    last: np.ndarray  # (n, rungs) day, dtype of State.last_action
    placed: np.ndarray  # (n,) bool
    ring: np.ndarray  # (7, n) dtype of State.week
    week: np.ndarray  # (n,) dtype of State.week_total
    contacts: np.ndarray  # (n,) dtype of State.contacts_month
    row: np.ndarray  # (n,) int64 row of the ladder's table, -1 none (as State.row)
    court: np.ndarray  # (n,) int64 day (court_day)
    moved: np.ndarray  # (n,) bool
    act: np.ndarray  # (n,) int64 row
    aw: np.ndarray  # (n,) int64 slot
    dpd: np.ndarray  # (n,) int64
    today: np.ndarray  # (n,) int64
    waiting: np.ndarray  # (n,) int64 position
    pos: np.ndarray  # (wide,) int64 position; wide = n x min(rungs, per_day)
    rung: np.ndarray  # (wide,) int64
    auto_pos: np.ndarray  # (wide,) int64
    auto_rung: np.ndarray  # (wide,) int64
    who: np.ndarray  # (wide,) int64 slot
    cdpd: np.ndarray  # (wide,) int64
    ch: np.ndarray  # (wide,) int64 channel


@njit(cache=True)
def new_agenda(cand: np.ndarray, first: int, per_day: int, s: State) -> Agenda:
    """The agenda of candidates ``cand`` (ascending slots), all to be worked on ``first``,
    with their ladder fields copied from ``s`` (:func:`close_agenda` copies them back).
    An account has at most ``per_day`` contacts a day (the cap), one per rung."""
    rungs = s.last_action.shape[1]
    n = cand.shape[0]
    wide = n * max(min(rungs, per_day), 1)
    last = np.empty((n, rungs), dtype=s.last_action.dtype)
    placed = np.empty(n, dtype=np.bool_)
    ring = np.empty((7, n), dtype=s.week.dtype)
    week = np.empty(n, dtype=s.week_total.dtype)
    contacts = np.empty(n, dtype=s.contacts_month.dtype)
    rows = np.empty(n, dtype=np.int64)
    for i in range(n):  # element by element: a row's slice would cost a view each
        w = cand[i]
        q = s.row[w]
        rows[i] = q
        placed[i] = s.agency[w]
        if q >= 0:
            for j in range(rungs):
                last[i, j] = s.last_action[q, j]
            week[i], contacts[i] = s.week_total[q], s.contacts_month[q]
            for d in range(7):  # the ring sums to its total: none read when that is 0
                ring[d, i] = s.week[d, q] if week[i] != 0 else 0
        else:  # the defaults (sim.kernels.worked)
            for j in range(rungs):
                last[i, j] = NEVER_ACTED
            for d in range(7):
                ring[d, i] = 0
            week[i], contacts[i] = 0, 0
    return Agenda(cand.copy(), np.full(n, first, dtype=np.int64), np.zeros(n, dtype=np.int64),
                  np.ones(n, dtype=np.bool_), last, placed, ring, week, contacts, rows,
                  np.full(n, NEVER, dtype=np.int64), np.ones(n, dtype=np.bool_),
                  np.empty(n, dtype=np.int64),
                  np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
                  np.zeros(n, dtype=np.int64), np.empty(n, dtype=np.int64),
                  np.empty(wide, dtype=np.int64), np.empty(wide, dtype=np.int64),
                  np.empty(wide, dtype=np.int64), np.empty(wide, dtype=np.int64),
                  np.empty(wide, dtype=np.int64), np.empty(wide, dtype=np.int64),
                  np.empty(wide, dtype=np.int64))


@njit(cache=True)
def close_agenda(a: Agenda, s: State) -> None:
    """Copy the agenda's ladder fields back to ``s`` (every candidate of the span; an
    account without a row takes one when a field is no longer its default)."""
    for i in range(a.slot.shape[0]):
        w = a.slot[i]
        s.agency[w] = a.placed[i]
        q = a.row[i]
        if q < 0:
            acted = a.week[i] != 0 or a.contacts[i] != 0  # the ring is 0 with its total
            for j in range(a.last.shape[1]):
                acted = acted or a.last[i, j] != NEVER_ACTED
            if not acted:
                continue
            q = take(s.row, s.rows, s.slot_of, w)
        for j in range(a.last.shape[1]):  # element by element, as new_agenda
            s.last_action[q, j] = a.last[i, j]
        if a.week[i] != 0 or s.week_total[q] != 0:  # else both rings are 0 (their totals)
            for d in range(7):
                s.week[d, q] = a.ring[d, i]
        s.week_total[q], s.contacts_month[q] = a.week[i], a.contacts[i]


@njit(cache=True)
def turn_ring(day: int, a: Agenda) -> None:
    """Move the agenda's contact ring on a day (as :func:`sim.kernels.ladder.turn_week`
    moves the book's)."""
    slot = day % 7
    week = a.week
    week -= a.ring[slot]
    a.ring[slot] = 0


@njit(cache=True)
def rung_table(r: Rules) -> np.ndarray:
    """The rungs' ``from_dpd``, ``to_dpd``, ``every_days`` and agency flag, one row each
    ((rungs, 4) int64), so that per-account helpers take one small array."""
    steps = np.empty((r.step_from.shape[0], 4), dtype=np.int64)
    for j in range(steps.shape[0]):
        steps[j, 0], steps[j, 1] = r.step_from[j], r.step_to[j]
        steps[j, 2], steps[j, 3] = r.step_every[j], r.step_agency[j]
    return steps


@njit(cache=True, inline="always")
def next_day(day: int, w: int, due: int, steps: np.ndarray, agency: np.ndarray,
             last_action: np.ndarray, court: int) -> int:
    """The first day after ``day`` on which account ``w`` (a row of ``agency`` and
    ``last_action``; its oldest unpaid bill due on day ``due``) can be worked, its day's
    work done, if only the ladder's own work changes it.

    The earliest of: for each rung (``steps``, see :func:`rung_table`) that may act on it
    (any rung, or the agency alone once placed, ``agency[w]``), the first day both inside
    the rung's window (``due + from_dpd .. due + to_dpd``) and ``every_days`` after the
    rung's last action (``last_action[w]``); and ``court`` (:func:`court_day`).
    :data:`NEVER` when none comes. Caps are not counted: an account a cap holds back is
    ready again, and worked, the next day. A payment changes the account: the caller works
    a payer again the next day (or the same day, for a promise paid before the day's work).
    """
    nxt, free = max(court, day + 1), not agency[w]
    for j in range(steps.shape[0]):
        if steps[j, 3] or free:
            ready = max(due + steps[j, 0], last_action[w, j] + steps[j, 2], day + 1)
            if ready <= due + steps[j, 1]:
                nxt = min(nxt, ready)
                if nxt == day + 1:  # none comes sooner
                    return nxt
    return nxt


@njit(cache=True, inline="always")
def court_day(due: int, on: bool, threshold: int, smallest: float, in_court: bool,
              balance: int) -> int:
    """The day an account (oldest unpaid bill due on day ``due``) reaches the legal
    ``threshold`` (days past due) when court is ``on``, the account not in court
    (``in_court``, ``State.legal``) and its balance (``balance``, cents outstanding) at least
    ``smallest`` cents (as :func:`legal <sim.kernels.ladder.legal>` decides); :data:`NEVER`
    otherwise.

    Takes the account's values, not the arrays and an index: an inlined helper called with
    arrays in a loop takes and releases a reference to each of them for every account.
    """
    if on and not in_court and balance >= smallest:
        return due + max(threshold, 1)
    return NEVER


@njit(cache=True)
def _before(key: np.ndarray, i: int, j: int) -> bool:
    """Whether position ``i`` comes before ``j`` in the collectors' order (no NaN keys):
    the larger key first, ties by position."""
    return key[i] > key[j] or (key[i] == key[j] and i < j)


@njit(cache=True)
def _sift_down(heap: np.ndarray, size: int, key: np.ndarray) -> None:
    """Restore the heap (the last in the order at the root) after its root changed."""
    at = 0
    while True:
        left, last = 2 * at + 1, at
        if left < size and _before(key, heap[last], heap[left]):
            last = left
        if left + 1 < size and _before(key, heap[last], heap[left + 1]):
            last = left + 1
        if last == at:
            return
        heap[at], heap[last] = heap[last], heap[at]
        at = last


@njit(cache=True)
def _sift_up(heap: np.ndarray, at: int, key: np.ndarray) -> None:
    """Restore the heap after an entry was added at ``at``."""
    while at > 0:
        parent = (at - 1) // 2
        if not _before(key, heap[parent], heap[at]):
            return
        heap[at], heap[parent] = heap[parent], heap[at]
        at = parent


@njit(cache=True)
def top_priority(who: np.ndarray, dpd: np.ndarray, k: int, r: Rules, b: Book) -> np.ndarray:
    """The first ``k`` positions of ``who`` in the collectors' order: exactly
    ``priority(who, dpd, r, b)[:k]`` (a stable sort on the descending key, ties by
    position), found with a heap of ``k`` in one pass when ``k`` is below the queue.

    Args:
        who: the waiting accounts (ascending slots); ``dpd`` their days past due.
        k: how many to call (at most ``who.shape[0]``).
    """
    n = who.shape[0]
    key = priority_keys(who, dpd, r, b)
    if k >= n or np.isnan(key).any():
        return np.argsort(-key, kind="mergesort")[:k]
    heap = np.empty(k, dtype=np.int64)  # the k first so far, the last of them at the root
    for i in range(k):
        heap[i] = i
        _sift_up(heap, i, key)
    for i in range(k, n):
        if _before(key, i, heap[0]):
            heap[0] = i
            _sift_down(heap, k, key)
    chosen = np.sort(heap)
    return chosen[np.argsort(-key[chosen], kind="mergesort")]


@njit(cache=True)
def week_max(day: int, most: int, a: Agenda) -> int:
    """The larger of ``most`` and the contacts in seven days of every candidate past due on
    ``day`` (worked today or not)."""
    for i in range(a.slot.shape[0]):
        if a.alive[i] and is_late(day, a.due[i]):
            most = max(most, int(a.week[i]))
    return most
