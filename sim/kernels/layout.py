"""The kernels' inputs and outputs, without numba: the named tuples the collection ladder's
kernels take (:mod:`sim.kernels.ladder`) and the positions of their counters and buffers.

Kept apart so that code which only builds or reads them (the collection process, the
command line) does not import numba until a path runs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

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
    """The ladder's per-account arrays (``capacity`` slots) and the month's counters."""

    last_action: np.ndarray  # (capacity, rungs) DAY of each rung's last action
    week: np.ndarray  # (7, capacity) CONTACTS per day, 7-day ring
    week_total: np.ndarray  # CONTACTS in the last 7 days
    queued_since: np.ndarray  # DAY queued for a collector, -1 not queued
    agency: np.ndarray  # bool placed with the agency
    legal: np.ndarray  # bool taken to court
    human_ever: np.ndarray  # bool ever called by a collector
    contacts_month: np.ndarray  # int16 contacts this month (at most 31 x caps.per_day)
    promise_day: np.ndarray  # DAY a promise falls due, -1 none
    promise_kept: np.ndarray  # bool the promise will be kept
    promise_channel: np.ndarray  # int8 channel the promise was made to
    actions: np.ndarray  # (channels,) int64 actions this month
    cost: np.ndarray  # (channels,) int64 cents
    collected: np.ndarray  # (channels,) int64 cents
    cures: np.ndarray  # (delinquent buckets,) int64
    tally: np.ndarray  # (10,) int64, see TALLY_KEYS


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
