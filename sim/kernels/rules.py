"""The delinquency rules of :mod:`sim.delinquency`, compiled: one statement of each rule.

The kernels need the rules on single accounts inside compiled loops: when a bill falls due,
whether an account is past due, which bucket its days past due fall in, whether a payment
cured it, its contractual delinquency and month-end state, whether it is charged off. Rather
than restate them in the kernels, each rule of :mod:`sim.delinquency` is
compiled here as written there. A rule that calls another rule (``past_due`` calls
``due_time``) is compiled with that callee replaced by its compiled form (:func:`compiled`):
numba cannot call a plain Python function from compiled code. The rules are written with
operators that mean the same on a scalar and on an array (``&``, ``np.logical_not``), so one
text serves the numpy engine's arrays and the kernels' single accounts.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from numba import njit

import sim.delinquency as delinquency
import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)


def compiled(rule: Callable[..., Any], **callees: Any) -> Any:
    """``njit(cache=True)`` of ``rule`` with the global names in ``callees`` bound to the
    given (compiled) functions instead of the module's own.

    The function compiled is a copy of ``rule`` (same code, name, defaults) whose globals
    are those of its module updated with ``callees``; the module's function is unchanged.
    """
    names = set(callees) - set(rule.__code__.co_names)
    if names:
        raise ValueError(f"{rule.__name__} does not call {sorted(names)}")
    scope = {**rule.__globals__, **callees}
    copy = types.FunctionType(rule.__code__, scope, rule.__name__, rule.__defaults__,
                              rule.__closure__)
    copy.__qualname__, copy.__module__, copy.__doc__ = (rule.__qualname__, rule.__module__,
                                                        rule.__doc__)
    return njit(cache=True)(copy)


due_time: Any = compiled(delinquency.due_time)
""":func:`sim.delinquency.due_time` (a bill's due day), compiled; int or array in."""
days_late: Any = compiled(delinquency.days_late)
""":func:`sim.delinquency.days_late` (days from a bill's due time), compiled."""
bucket_of: Any = compiled(delinquency.bucket_of)
""":func:`sim.delinquency.bucket_of` (the buckets' edges, stated once), compiled."""
delinquent_bucket: Any = compiled(delinquency.delinquent_bucket, bucket_of=bucket_of)
""":func:`sim.delinquency.delinquent_bucket` (the bucket a cure counts in), compiled."""
days_past_due: Any = compiled(delinquency.days_past_due, due_time=due_time, days_late=days_late)
""":func:`sim.delinquency.days_past_due`, compiled: an int (one account) or array ``oldest``."""
months_behind: Any = compiled(delinquency.months_behind)
""":func:`sim.delinquency.months_behind` (due dates missed in a row), compiled."""
repaying_reage: Any = compiled(delinquency.repaying_reage)
""":func:`sim.delinquency.repaying_reage` (a re-aged plan not yet repaid), compiled."""
contractual_days_past_due: Any = compiled(delinquency.contractual_days_past_due,
                                          days_past_due=days_past_due,
                                          repaying_reage=repaying_reage)
""":func:`sim.delinquency.contractual_days_past_due` (as if never re-aged), compiled."""
contract_oldest_after_reage: Any = compiled(delinquency.contract_oldest_after_reage,
                                            repaying_reage=repaying_reage)
""":func:`sim.delinquency.contract_oldest_after_reage` (a re-age's cancelled bill), compiled."""
roll_state: Any = compiled(delinquency.roll_state)
""":func:`sim.delinquency.roll_state` (an account's month-end state), compiled."""
redefaulted: Any = compiled(delinquency.redefaulted)
""":func:`sim.delinquency.redefaulted` (a re-aged account's re-default), compiled."""
charge_off_due: Any = compiled(delinquency.charge_off_due)
""":func:`sim.delinquency.charge_off_due` (days past due that charge an account off), compiled."""
charge_off_day: Any = compiled(delinquency.charge_off_day)
""":func:`sim.delinquency.charge_off_day` (the charge-off's day of the month), compiled."""
charge_off_months: Any = compiled(delinquency.charge_off_months)
""":func:`sim.delinquency.charge_off_months` (a bill's months to charge-off), compiled."""
is_late: Any = compiled(delinquency.is_late)
""":func:`sim.delinquency.is_late` (past due from the day after the due date), compiled."""
past_due: Any = compiled(delinquency.past_due, due_time=due_time, is_late=is_late)
""":func:`sim.delinquency.past_due`, compiled: scalar or array ``oldest``."""
cured_after_payment: Any = compiled(delinquency.cured_after_payment, past_due=past_due)
""":func:`sim.delinquency.cured_after_payment`, compiled: scalar or array ``oldest``."""
cured_at_due_date: Any = compiled(delinquency.cured_at_due_date)
""":func:`sim.delinquency.cured_at_due_date`, compiled: one account or arrays."""
