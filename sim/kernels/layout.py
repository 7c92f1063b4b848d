"""The kernels' inputs and outputs, without numba: the named tuples the collection ladder's
kernels take (:mod:`sim.kernels.ladder`) and the positions of their counters and buffers.

Kept apart so that code which only builds or reads them (the collection process, the
command line) does not import numba until a path runs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.kernels.rowbook import grown_book, grown_size, new_book

PENDING, PAID, SEGMENTS = 0, 1, 2
"""Rows of ``bufs`` and ``sizes``."""
CAPACITY, CALLS, WAITED, MADE, KEPT, BROKEN, CASES, LEGAL_COSTS, MAX_DAY, MAX_WEEK = range(10)
"""Positions in :attr:`State.tally` of the month's counters that are not per channel."""
TALLY_KEYS = ("collector_capacity", "collector_calls", "queue_wait_days_total",
              "promises_made", "promises_kept", "promises_broken", "legal_cases",
              "legal_costs", "max_contacts_day", "max_contacts_week")
"""The counters of :attr:`State.tally`, in order."""
OLDEST_DPD, LARGEST_BALANCE, EXPECTED_RECOVERY = range(3)
"""Codes of the collectors' priority rules (``collections.collectors.priority``)."""
DAY = np.int16
"""Dtype of the ladder's days (:attr:`State.last_action`, ``queued_since``, ``promise_day``):
a path's days stop before ``book.horizon_months`` (at most 240) x 30 = 7,200, and a promise
falls due at most 30 days later, far inside int16's 32,767."""
NEVER_ACTED = int(np.iinfo(DAY).min)
""":attr:`State.last_action` of a rung that never acted on the account: ``every_days`` (at
most 90) after it is still before day 0, so the rung is ready from the first day."""
CONTACTS = np.int8
"""Dtype of the contacts of a day (:attr:`State.week`) and of seven days (``week_total``):
at most ``caps.per_day`` (20) and ``caps.per_week`` (100)."""


FREE_ROWS = 0
"""Position in :attr:`State.rows` of the count of free rows of the ladder's table; their
stack follows it (:mod:`sim.kernels.worked`)."""
TABLE_ROWS_MIN, TABLE_ROWS_DIVISOR = 64, 64
"""The ladder's table starts with a row for one slot in 64 (at least 64 rows) and doubles
when a span's candidates could need more: the accounts worked lately are a few per cent of
a book."""


class Rules(NamedTuple):
    """The collection policy as arrays (per rung, per channel) and scalars."""

    key: int  # the path's key for keyed draws
    days_per_month: int
    due_day: int
    unwilling: int  # the borrower type an escalation moves
    step_from: np.ndarray  # (rungs,) int64 days past due
    step_to: np.ndarray  # (rungs,) int64
    step_every: np.ndarray  # (rungs,) int64 days between actions
    step_agency: np.ndarray  # (rungs,) bool: the rung is the agency
    step_channel: np.ndarray  # (rungs,) int64 channel index
    human_step: int  # rung of the collectors' calls, -1 when none
    per_day: int  # contact caps
    per_week: int
    daily_calls: int  # the collectors' capacity a day
    priority: int  # OLDEST_DPD, LARGEST_BALANCE or EXPECTED_RECOVERY
    priority_decay: np.ndarray  # (days,) exp(-(dpd - 1) / human decay days) by dpd
    priority_response: float  # mean response to a call across types
    response: np.ndarray  # (channels, types) response at 1 DPD
    decay: np.ndarray  # (channels, days) exp(-(dpd - 1) / decay days) by dpd
    escalation: np.ndarray  # (channels,) bool
    stretch: np.ndarray  # (channels,) months of income an arrangement moves up
    arrangement: np.ndarray  # (channels,) int64 arrangement months
    promise_share: np.ndarray  # (channels,)
    promise_keep: np.ndarray  # (channels,)
    promise_days: np.ndarray  # (channels,) int64
    commission: np.ndarray  # (channels,) share of money collected
    cost_cents: np.ndarray  # (channels,) int64 per action
    contact_purpose: int  # sim.crn.Purpose.CONTACT
    contact_draws: int  # sim.crn.CONTACT_DRAWS
    legal_on: bool
    legal_from: int  # days past due
    legal_min_cents: float  # smallest balance taken to court, cents
    legal_cost_cents: int
    max_cash_share: float
    partial: bool  # partial payments taken
    other_debt: float  # months of income debts elsewhere can take
    stretch_within_income: bool  # a stretch is capped by the month's affordable amount
    end_at_termination: bool  # no arrangement runs on a terminated contract


class State(NamedTuple):
    """The ladder's per-account state and the month's counters.

    The ladder's fields of an account are kept in a table with a row for each account it
    worked lately (``row``; :mod:`sim.kernels.worked`): an account without a row reads
    the fields' defaults (:data:`NEVER_ACTED`, no contacts, not queued, no promise). The
    accounts placed, in court or ever called stay flags of every slot.
    """

    row: np.ndarray  # (capacity,) int32 the account's row of the table, -1 none
    rows: np.ndarray  # int64: the count of free rows, then their stack
    slot_of: np.ndarray  # (rows,) int64 the account of each row, -1 free
    last_action: np.ndarray  # (rows, rungs) DAY of each rung's last action
    week: np.ndarray  # (7, rows) CONTACTS per day, 7-day ring
    week_total: np.ndarray  # (rows,) CONTACTS in the last 7 days
    queued_since: np.ndarray  # (rows,) DAY queued for a collector, -1 not queued
    contacts_month: np.ndarray  # (rows,) int16 contacts this month (at most 31 x caps.per_day)
    promise_day: np.ndarray  # (rows,) DAY a promise falls due, -1 none
    promise_kept: np.ndarray  # (rows,) bool the promise will be kept
    promise_channel: np.ndarray  # (rows,) int8 channel the promise was made to
    agency: np.ndarray  # (capacity,) bool placed with the agency
    legal: np.ndarray  # (capacity,) bool taken to court
    human_ever: np.ndarray  # (capacity,) bool ever called by a collector
    actions: np.ndarray  # (channels,) int64 actions this month
    cost: np.ndarray  # (channels,) int64 cents
    collected: np.ndarray  # (channels,) int64 cents
    cures: np.ndarray  # (delinquent buckets,) int64
    tally: np.ndarray  # (10,) int64, see TALLY_KEYS
    watch: np.ndarray  # int64: the watched account, its calls so far, their days (log_call)


CURRENT, FREE = 0, 1
"""Positions in the ledger's ``rows`` (:data:`BillArrays`): the current slot, and the count
of the arrears table's free rows, their stack following it (:mod:`sim.kernels.rowbook`)."""

BillArrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""The ledger's unpaid bills as the kernels take them, four arguments: ``current`` ((2,
capacity) int32: this month's principal and fees), ``row`` ((capacity,) int32: the account's
row of the arrears table, -1 none), ``arrears`` ((2, ages, rows) int32: earlier due months'
bills by slot) and ``rows`` (int64: the current slot, the free rows' count and stack); see
:mod:`sim.kernels.bills` and :meth:`sim.ledger.Ledger.bills`."""


def no_bills() -> BillArrays:
    """Bills of no account (for a payment rule that never reads them)."""
    return (np.zeros((2, 0), dtype=np.int32), np.zeros(0, dtype=np.int32),
            np.zeros((2, 2, 0), dtype=np.int32), np.array([-1, 0], dtype=np.int64))


class Book(NamedTuple):
    """The ledger's and the borrowers' arrays the ladder reads and moves (``capacity``)."""

    oldest: np.ndarray
    unpaid: np.ndarray
    outstanding: np.ndarray
    current: np.ndarray  # the bills (BillArrays)
    row: np.ndarray
    arrears: np.ndarray
    rows: np.ndarray
    reaged_left: np.ndarray
    active: np.ndarray
    kind: np.ndarray
    escalated: np.ndarray
    plan_channel: np.ndarray  # int8 channel of the arrangement (BorrowerPool), -1 none
    arrangement_until: np.ndarray
    plan_instalment: np.ndarray
    savings: np.ndarray
    permanent_income: np.ndarray
    disposable: np.ndarray
    score: np.ndarray
    accelerated: np.ndarray  # bool, the contract is terminated (whole balance due)


# -- the ladder's table of worked accounts (sim.kernels.worked) ------------------------------
def _table(rows: int, rungs: int) -> dict[str, np.ndarray]:
    """The table's ``rows`` rows, every one free and at its defaults."""
    return {"slot_of": np.full(rows, -1, dtype=np.int64),
            "last_action": np.full((rows, rungs), NEVER_ACTED, dtype=DAY),
            "week": np.zeros((7, rows), dtype=CONTACTS),
            "week_total": np.zeros(rows, dtype=CONTACTS),
            "queued_since": np.full(rows, -1, dtype=DAY),
            "contacts_month": np.zeros(rows, dtype=np.int16),
            "promise_day": np.full(rows, -1, dtype=DAY),
            "promise_kept": np.zeros(rows, dtype=bool),
            "promise_channel": np.zeros(rows, dtype=np.int8)}


TABLE_FIELDS = tuple(_table(0, 0))
"""The fields of :class:`State` with a row axis (the ladder's table), besides its book of
free rows (``rows``)."""


def new_state(capacity: int, rungs: int, channels: int, buckets: int) -> State:
    """The ladder's state of ``capacity`` slots with no account worked, and zero counters
    (``channels`` per channel, ``buckets`` cures)."""
    rows = max(TABLE_ROWS_MIN, capacity // TABLE_ROWS_DIVISOR)
    return State(row=np.full(capacity, -1, dtype=np.int32),
                 rows=new_book(FREE_ROWS, rows), **_table(rows, rungs),
                 agency=np.zeros(capacity, dtype=bool), legal=np.zeros(capacity, dtype=bool),
                 human_ever=np.zeros(capacity, dtype=bool),
                 actions=np.zeros(channels, dtype=np.int64),
                 cost=np.zeros(channels, dtype=np.int64),
                 collected=np.zeros(channels, dtype=np.int64),
                 cures=np.zeros(buckets, dtype=np.int64),
                 tally=np.zeros(len(TALLY_KEYS), dtype=np.int64),
                 watch=watch_log(-1, 0))


WATCHED, WATCH_CALLS = 0, 1
"""Positions in :class:`State`'s ``watch``: the watched account (-1 none) and the count of
its collector calls logged so far; the calls' days follow."""


def watch_log(slot: int, days: int) -> np.ndarray:
    """A ``watch`` of :class:`State` for account ``slot`` (-1: none) with room for a
    collector call on each of ``days`` days (a collector calls an account at most once a
    day)."""
    log = np.zeros(2 + max(days, 0), dtype=np.int64)
    log[WATCHED] = slot
    return log


def with_free_rows(s: State, need: int) -> State:
    """``s``, or a copy of it whose table is grown (doubling) to at least ``need`` free rows
    (a span's candidates each take at most one), never past a row for every slot (then
    every account without a row finds a free one)."""
    size = s.slot_of.shape[0]
    grown = grown_size(size, int(s.rows[FREE_ROWS]), need, s.row.shape[0])
    if grown == size:
        return s
    table = _table(grown, s.last_action.shape[1])
    for name, new in table.items():
        old = getattr(s, name)
        if name == "week":
            new[:, :size] = old
        else:
            new[:size] = old
    return s._replace(rows=grown_book(s.rows, FREE_ROWS, size, grown), **table)


def dense(s: State, name: str, n: int) -> np.ndarray:
    """A table field of accounts 0..n-1 as one array (the defaults where an account has no
    row; a copy): for the records and the tests."""
    table = getattr(s, name)
    blank = _table(1, s.last_action.shape[1])[name]
    out = (np.repeat(blank, n, axis=1) if name == "week"
           else np.repeat(blank, n, axis=0))
    held = np.flatnonzero(s.row[:n] >= 0)
    if name == "week":
        out[:, held] = table[:, s.row[held]]
    else:
        out[held] = table[s.row[held]]
    return out
