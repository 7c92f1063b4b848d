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

A *re-age* reports an account current while, under the original contract, the oldest bill it
cancelled stays unpaid until the restructured amount is repaid: its contractual days past due
(:func:`contractual_days_past_due`) run on, and at a month end it is in the roll state
``re_aged`` (:func:`roll_state`). An open account is charged off at ``billing.chargeoff_dpd``
days past due (:func:`charge_off_due`), on the day of the month of :func:`charge_off_day`.

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
def days_late(day: int | np.int64, due: int) -> int | np.int64: ...
@overload
def days_late(day: int | np.int64, due: np.ndarray) -> np.ndarray: ...
def days_late(day: int | np.int64, due: np.ndarray | int) -> np.ndarray | int | np.int64:
    """Whole days from the due time ``due`` of a bill to whole day ``day`` (an int, or an
    int64 as :func:`days_past_due` gives it; shape of ``due``): the bill's days past due
    when it is late (:func:`is_late`: 1 or more), 0 or less before. Scalars or arrays."""
    return day - due


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
    return np.maximum(days_late(whole, due_time(oldest, due_day)), 0) * (oldest >= 0)


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
def delinquent_bucket(dpd: int) -> int: ...
@overload
def delinquent_bucket(dpd: np.ndarray) -> np.ndarray: ...
def delinquent_bucket(dpd: np.ndarray | int) -> np.ndarray | int:
    """Index into :data:`DELINQUENT_BUCKETS` of each days-past-due value of 1 or more (the
    bucket a cure is counted in): its :func:`bucket_of` less the ``current`` bucket."""
    return bucket_of(dpd) - 1


@overload
def months_behind(month: int, oldest: int) -> int: ...
@overload
def months_behind(month: int, oldest: np.ndarray) -> np.ndarray: ...
def months_behind(month: int, oldest: np.ndarray | int) -> np.ndarray | int:
    """Due dates missed in a row before ``month``'s: ``month - oldest`` for accounts whose
    oldest unpaid bill (due month ``oldest``, -1: none) is older than this month's, else 0
    (shape of ``oldest``)."""
    return (month - oldest) * ((oldest >= 0) & (oldest < month))


@overload
def repaying_reage(reaged_left: int) -> bool: ...
@overload
def repaying_reage(reaged_left: np.ndarray) -> np.ndarray: ...
def repaying_reage(reaged_left: np.ndarray | int) -> np.ndarray | bool:
    """Whether accounts are repaying the plan of a re-age: cents of the restructured amount
    still unpaid (``reaged_left``, never negative; 0 when never re-aged). While they are,
    the oldest bill the re-age cancelled is contractually unpaid
    (:func:`contractual_days_past_due`). Scalars or arrays."""
    return reaged_left > 0


@overload
def contractual_days_past_due(day: float, dpd: int, contract_oldest: int, reaged_left: int,
                              due_day: int) -> int: ...
@overload
def contractual_days_past_due(day: float, dpd: np.ndarray, contract_oldest: np.ndarray,
                              reaged_left: np.ndarray, due_day: int) -> np.ndarray: ...
def contractual_days_past_due(day: float, dpd: np.ndarray | int,
                              contract_oldest: np.ndarray | int, reaged_left: np.ndarray | int,
                              due_day: int) -> np.ndarray | int:
    """Days past due at time ``day`` as if the accounts had never been re-aged.

    A re-age cancels the unpaid bills and reports the account current; under the original
    contract the oldest cancelled bill stays unpaid. So while the restructured amount is not
    repaid (:func:`repaying_reage`), the contractual delinquency is the larger of the
    reported days past due and the whole days since the due date of the oldest bill the
    re-age cancelled ("past due ... cumulative days from the contractual due date", FFIEC
    Uniform Retail Credit Classification and Account Management Policy, 65 FR 36903, 2000);
    otherwise it is the reported days past due.

    Args:
        day: time in days.
        dpd: reported days past due at ``day`` (:func:`days_past_due`).
        contract_oldest: due month of the oldest bill a re-age cancelled, -1 when none.
        reaged_left: cents of the restructured amount not yet repaid.
        due_day: day of the month bills fall due.

    Returns:
        int64 whole days, of the shape of ``dpd``; never below ``dpd``.
    """
    cancelled = days_past_due(day, contract_oldest, due_day) * repaying_reage(reaged_left)
    return np.maximum(dpd, cancelled)


@overload
def contract_oldest_after_reage(contract_oldest: int, reaged_left: int, oldest: int) -> int: ...
@overload
def contract_oldest_after_reage(contract_oldest: np.ndarray, reaged_left: np.ndarray,
                                oldest: np.ndarray) -> np.ndarray: ...
def contract_oldest_after_reage(contract_oldest: np.ndarray | int, reaged_left: np.ndarray | int,
                                oldest: np.ndarray | int) -> np.ndarray | int:
    """Due month of the oldest contractually unpaid bill once accounts are re-aged (their
    new ``contract_oldest``): an earlier re-age's (``contract_oldest``) while that plan is
    being repaid (:func:`repaying_reage` of ``reaged_left``) and it is older than the oldest
    bill cancelled now (``oldest``, -1: none), else ``oldest``. -1 when neither is unpaid.
    Scalars or arrays (shape of ``oldest``)."""
    keep = (repaying_reage(reaged_left) & (contract_oldest >= 0)
            & ((oldest < 0) | (contract_oldest < oldest)))
    return oldest + keep * (contract_oldest - oldest)


@overload
def roll_state(open_: bool, bucket: int, contractual: int) -> int: ...
@overload
def roll_state(open_: np.ndarray, bucket: np.ndarray, contractual: np.ndarray) -> np.ndarray: ...
def roll_state(open_: np.ndarray | bool, bucket: np.ndarray | int,
               contractual: np.ndarray | int) -> np.ndarray | int:
    """Month-end state of accounts (an index into :data:`ROLL_STATES`): their reported
    bucket (``bucket``, :func:`bucket_of`), ``re_aged`` or ``charged_off``.

    ``re_aged``: open, reported current, but contractually past due (``contractual`` days,
    :func:`contractual_days_past_due`, 1 or more: its restructured balance is not repaid and
    the bill the re-age cancelled would be overdue). So a re-aged account enters
    ``re_aged``, never ``current``, and leaves it to ``current`` only once its restructured
    balance is repaid. A closed account (not ``open_``) is ``charged_off``. Scalars or
    arrays.
    """
    re_aged = (bucket == 0) & (contractual >= 1)
    state = bucket + re_aged * RE_AGED  # a re-aged account's bucket is 0
    return state * open_ + CHARGED_OFF * np.logical_not(open_)


OVER_30, OVER_60 = BUCKETS.index("dpd_31_60"), BUCKETS.index("dpd_61_90")
"""The buckets of a re-default at 30+ and at 60+ days (:func:`redefaulted`)."""


@overload
def redefaulted(open_: bool, dpd: int, bucket: int) -> bool: ...
@overload
def redefaulted(open_: np.ndarray, dpd: np.ndarray, bucket: int) -> np.ndarray: ...
def redefaulted(open_: np.ndarray | bool, dpd: np.ndarray | int, bucket: int
                ) -> np.ndarray | bool:
    """Whether re-aged accounts re-default into bucket ``bucket`` (an index into
    :data:`BUCKETS`, e.g. :data:`OVER_30`) or a later one: closed (charged off: they were
    open when re-aged) or ``dpd`` days past due at least the bucket's lowest. Scalars or
    arrays."""
    return np.logical_not(open_) | (dpd >= BUCKET_EDGES[bucket - 1])


@overload
def charge_off_due(dpd: int, chargeoff_dpd: int) -> bool: ...
@overload
def charge_off_due(dpd: np.ndarray, chargeoff_dpd: int) -> np.ndarray: ...
def charge_off_due(dpd: np.ndarray | int, chargeoff_dpd: int) -> np.ndarray | bool:
    """Whether open accounts ``dpd`` days past due are charged off: at ``chargeoff_dpd`` days
    past due or more (``billing.chargeoff_dpd``). Scalars or arrays."""
    return dpd >= chargeoff_dpd


def charge_off_day(due_day: int, chargeoff_dpd: int) -> int:
    """Day of the month (0 to :data:`DAYS_PER_MONTH` - 1) on which a bill reaches
    ``chargeoff_dpd`` days past due, whatever its month: the day the charge-off runs."""
    return (due_day + chargeoff_dpd) % DAYS_PER_MONTH


def charge_off_months(due_day: int, chargeoff_dpd: int) -> int:
    """Months from a bill's due month to the month in which it reaches ``chargeoff_dpd``
    days past due (on :func:`charge_off_day`): an unpaid bill of month m is charged off in
    month ``m + charge_off_months``."""
    return (due_day + chargeoff_dpd) // DAYS_PER_MONTH


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
