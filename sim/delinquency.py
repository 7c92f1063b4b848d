"""Delinquency rules, written once: due time, days past due, buckets and cure.

A month is :data:`DAYS_PER_MONTH` days; the bill of month ``m`` falls due on day
``m * DAYS_PER_MONTH + due_day`` (its *due time*). An account's days past due at time
``day`` are the whole days since the due time of its oldest unpaid bill (0 when nothing
is unpaid or that bill is not yet due). A bill is *past due* from the first whole day
after its due time: a bill missed on its due date is late from the next day. Accounts
fall into the reporting buckets of :data:`BUCKETS` by days past due (edges
:data:`BUCKET_EDGES`: current, 1-30, 31-60, ..., 151-180, 181+ days, as in the US
Uniform Retail Credit Classification policy's 30-day steps).

A *cure* is a delinquent account brought back to not past due: at a due date, by paying
everything billed (today's instalment too, or it is missed again); on any other day, by
paying every bill whose due date has passed (:func:`cured_after_payment`).

Every rule is written with operators that mean the same on an array and on a Python
scalar, and is used as written by the three places that apply it: the vectorised engine
(arrays of accounts), the compiled kernels (:mod:`sim.kernels.rules` compiles these very
functions) and the per-borrower reference engine (:mod:`sim.reference`, one account's
ints and bools).
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np

DAYS_PER_MONTH = 30
BUCKETS = ("current", "dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_91_120", "dpd_121_150",
           "dpd_151_180", "dpd_181_plus")
BUCKET_EDGES = np.array([1, 31, 61, 91, 121, 151, 181])
"""Lowest days past due of each bucket after ``current`` (bucket ``i`` starts at edge ``i-1``)."""
BUCKET_EDGES.setflags(write=False)
DELINQUENT_BUCKETS = BUCKETS[1:]
"""The buckets an account can be cured from (1 day past due or more)."""
# roll-rate states past the buckets: reported current only because of a re-age (open,
# reported current, contractually past due), charged off, and not yet on the book (never
# recorded as a state)
RE_AGED, CHARGED_OFF, NOT_ON_BOOK = len(BUCKETS), len(BUCKETS) + 1, len(BUCKETS) + 2
ROLL_STATES = (*BUCKETS, "re_aged", "charged_off")
"""States of the month-end roll matrices: the buckets, ``re_aged`` and ``charged_off``."""
BUCKET_LABELS = {
    "current": "current",
    "dpd_1_30": "1-30 dpd",
    "dpd_31_60": "31-60 dpd",
    "dpd_61_90": "61-90 dpd",
    "dpd_91_120": "91-120 dpd",
    "dpd_121_150": "121-150 dpd",
    "dpd_151_180": "151-180 dpd",
    "dpd_181_plus": "181+ dpd",
    "re_aged": "re-aged",
    "charged_off": "charged off",
    "charge_off": "charged off",
}
"""How reports, exports and the dashboard name each state of :data:`ROLL_STATES` (and the
portfolio table's ``charge_off``): ``1-30 dpd`` for the run store's key ``dpd_1_30``."""


@overload
def due_time(due_month: int, due_day: int) -> int: ...
@overload
def due_time(due_month: np.ndarray, due_day: int) -> np.ndarray: ...
def due_time(due_month: np.ndarray | int, due_day: int) -> np.ndarray | int:
    """Day number of the due date of the bill of ``due_month`` (shape of ``due_month``)."""
    return due_month * DAYS_PER_MONTH + due_day


@overload
def days_past_due(day: float, oldest: int, due_day: int) -> int: ...
@overload
def days_past_due(day: float, oldest: np.ndarray, due_day: int) -> np.ndarray: ...
def days_past_due(day: float, oldest: np.ndarray | int, due_day: int) -> np.ndarray | int:
    """Whole days since the due date of each account's oldest unpaid bill, at time ``day``.

    Written so that the same text serves an array of accounts (numpy) and one account
    (``oldest`` an int, in the compiled kernels: :mod:`sim.kernels.rules`).

    Args:
        day: time in days (fractions of a day allowed: the days are floored).
        oldest: due month of each account's oldest unpaid bill, -1 when nothing is unpaid.
        due_day: day of the month bills fall due.

    Returns:
        int64 of the shape of ``oldest``: 0 when nothing is unpaid or the oldest unpaid bill
        is not yet due.
    """
    whole = np.int64(math.floor(day))  # bills fall due on whole days
    return np.maximum(whole - due_time(oldest, due_day), 0) * (oldest >= 0)


@overload
def is_late(day: int, due: int) -> bool: ...
@overload
def is_late(day: int, due: np.ndarray) -> np.ndarray: ...
def is_late(day: int, due: np.ndarray | int) -> np.ndarray | bool:
    """Whether a bill that fell due on day ``due`` (its due time) is past due on whole day
    ``day``: from the day after its due date, not on it. Scalars or arrays."""
    return due < day


@overload
def past_due(day: int, oldest: int, due_day: int) -> bool: ...
@overload
def past_due(day: int, oldest: np.ndarray, due_day: int) -> np.ndarray: ...
def past_due(day: int, oldest: np.ndarray | int, due_day: int) -> np.ndarray | bool:
    """Whether each account has a bill past due on whole day ``day`` (its due time before it).

    ``oldest``: due month of the oldest unpaid bill (-1: none). A bill due on ``day``
    itself is not yet past due; it is from ``day + 1``.
    """
    return (oldest >= 0) & is_late(day, due_time(oldest, due_day))


def late_days(day: int, due_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of the unpaid bills due at ``due_times`` are past due on whole day ``day``, and
    by how many days: ``(mask, day - due_times[mask])``."""
    late = is_late(day, due_times)
    return late, day - due_times[late]


@overload
def bucket_of(dpd: int) -> int: ...
@overload
def bucket_of(dpd: np.ndarray) -> np.ndarray: ...
def bucket_of(dpd: np.ndarray | int) -> np.ndarray | int:
    """Index into :data:`BUCKETS` of each days-past-due value (0: current).

    ``np.digitize(dpd, BUCKET_EDGES)``, written as the search it is (digitize checks on
    every call that the edges are sorted).
    """
    return np.searchsorted(BUCKET_EDGES, dpd, side="right")


@overload
def cured_at_due_date(was_past_due: bool, missed: bool) -> bool: ...
@overload
def cured_at_due_date(was_past_due: np.ndarray, missed: np.ndarray) -> np.ndarray: ...
def cured_at_due_date(was_past_due: np.ndarray | bool, missed: np.ndarray | bool
                      ) -> np.ndarray | bool:
    """Accounts cured at a due date: past due before it and nothing left unpaid after it."""
    return was_past_due & np.logical_not(missed)  # for a Python bool too


@overload
def cured_after_payment(day: int, oldest: int, due_day: int) -> bool: ...
@overload
def cured_after_payment(day: int, oldest: np.ndarray, due_day: int) -> np.ndarray: ...
def cured_after_payment(day: int, oldest: np.ndarray | int, due_day: int
                        ) -> np.ndarray | bool:
    """Whether accounts that paid on whole day ``day`` (their ``oldest`` unpaid due month
    after paying) are no longer past due: every bill due before ``day`` is paid."""
    return np.logical_not(past_due(day, oldest, due_day))  # for a Python bool too
