"""The collection ladder's table of worked accounts, read and written inside the kernels.

The ladder's fields of an account (each rung's last action, the seven-day contact ring,
the month's contacts, the collectors' queue, the promise running) differ from their
defaults only for accounts it worked lately, a few per cent of a book. So they are kept in
a table with a row for each such account (:class:`sim.kernels.layout.State`: ``row`` per
slot, -1 when none; ``rows``, the book of free rows of :mod:`sim.kernels.rowbook`, as the
ledger's arrears table keeps; ``slot_of``, the account of each row). An account without a
row reads the defaults, the same values a dense array held for it, so every rule reads the
numbers it read before and results are bit-identical.

A kernel takes a row (:func:`take`) only when it writes a value other than the default; the
collection process keeps a free row for every candidate without one before a span runs
(:meth:`sim.agents.collections.Collections.daily`), since only candidates are worked, and
gives back the rows of accounts whose fields are back to what the defaults say
(:func:`idle_rows`). The helpers take the arrays, not the named tuple:
an inlined helper taking a tuple pays a reference count per member and call.
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.bills import pop_row, push_row
from sim.kernels.layout import FREE_ROWS, NEVER_ACTED, State


@njit(cache=True)
def take(row: np.ndarray, rows: np.ndarray, slot_of: np.ndarray, w: int) -> int:
    """Account ``w``'s row, taking a free one (its fields at their defaults) when it has
    none; raises when none is free (the collection process keeps enough)."""
    q = row[w]
    if q >= 0:
        return q
    q = pop_row(rows, FREE_ROWS)
    if q < 0:
        raise ValueError("the ladder's table has no free row")
    row[w] = q
    slot_of[q] = w
    return q


@njit(cache=True, inline="always")
def day_of(row: np.ndarray, days: np.ndarray, w: int) -> int:
    """A per-row day (``queued_since``, ``promise_day``) of account ``w``; -1 without a row."""
    q = row[w]
    return int(days[q]) if q >= 0 else -1


@njit(cache=True, inline="always")
def last_of(row: np.ndarray, last_action: np.ndarray, w: int, j: int) -> int:
    """The day of rung ``j``'s last action on account ``w``; :data:`NEVER_ACTED` without a
    row."""
    q = row[w]
    return int(last_action[q, j]) if q >= 0 else NEVER_ACTED


@njit(cache=True, inline="always")
def week_of(row: np.ndarray, week_total: np.ndarray, w: int) -> int:
    """Account ``w``'s contacts in the last seven days; 0 without a row."""
    q = row[w]
    return int(week_total[q]) if q >= 0 else 0


@njit(cache=True, inline="always")
def log_call(watch: np.ndarray, w: int, day: int) -> None:
    """Log a collector's call of account ``w`` on ``day`` in ``watch`` (a
    :func:`sim.kernels.layout.watch_log`) when ``w`` is the watched account."""
    if w == watch[0]:
        k = watch[1]
        if k + 2 < watch.shape[0]:
            watch[k + 2] = day
            watch[1] = k + 1


@njit(cache=True, inline="always")
def unqueue(row: np.ndarray, queued_since: np.ndarray, w: int) -> None:
    """Take account ``w`` out of the collectors' queue."""
    q = row[w]
    if q >= 0:
        queued_since[q] = -1


@njit(cache=True)
def give_back_idle(row: np.ndarray, rows: np.ndarray, slot_of: np.ndarray,
                   last_action: np.ndarray, week: np.ndarray, week_total: np.ndarray,
                   queued_since: np.ndarray, contacts_month: np.ndarray,
                   promise_day: np.ndarray, promise_kept: np.ndarray,
                   promise_channel: np.ndarray, keep: np.ndarray, day: int,
                   every: np.ndarray) -> int:
    """:func:`idle_rows` on the table's arrays, in one pass over its rows.

    A held row (``slot_of >= 0``) whose account is not in ``keep`` ((capacity,) bool) is
    idle when its fields read as the defaults from ``day`` on: no contact in the week's ring,
    its seven-day total or this month, not queued, no promise, and every rung's last action
    at least ``every[j]`` days (int64, per rung) before ``day``. Idle rows go back to their
    defaults and onto the stack of free rows, the highest row first (so the lowest ends on
    top, as ``push_rows`` of the rows in increasing order, reversed). Returns their count.
    """
    rungs, ring = last_action.shape[1], week.shape[0]
    gone = 0
    for r in range(slot_of.shape[0] - 1, -1, -1):
        w = slot_of[r]
        if w < 0 or keep[w] or week_total[r] != 0 or contacts_month[r] != 0 \
                or queued_since[r] >= 0 or promise_day[r] >= 0:
            continue
        busy = False
        for t in range(ring):
            if week[t, r] != 0:
                busy = True
        for j in range(rungs):
            if last_action[r, j] > day - every[j]:
                busy = True
        if busy:
            continue
        row[w] = -1
        slot_of[r] = -1
        for j in range(rungs):
            last_action[r, j] = NEVER_ACTED
        queued_since[r] = -1  # any negative day reads as not queued; the blank is -1
        promise_day[r] = -1
        promise_kept[r] = False
        promise_channel[r] = 0
        push_row(rows, FREE_ROWS, r)
        gone += 1
    return gone


def idle_rows(s: State, keep: np.ndarray, day: int, every: np.ndarray) -> int:
    """Give back the rows of the accounts not in ``keep`` (a bool per slot: the ladder's
    candidates) whose fields say what the defaults say from ``day`` on: no contact in the
    last seven days or this month, not queued, no promise running, and every rung's wait
    (``every``, days) since its last action over (so a rung acts as if it never had).
    Returns the rows given back (in one compiled pass over the table,
    :func:`give_back_idle`)."""
    return int(give_back_idle(s.row, s.rows, s.slot_of, s.last_action, s.week, s.week_total,
                              s.queued_since, s.contacts_month, s.promise_day, s.promise_kept,
                              s.promise_channel, keep, int(day),
                              np.asarray(every, dtype=np.int64)))
