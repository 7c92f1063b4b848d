"""The month-end books of the reference engine: buckets, roll states, re-defaults, traces.

Each borrower is classified by itself (its bucket, its roll state); the books add them
up. Columns and units are those of :class:`sim.engine.PathSimulation`'s records.
"""

from __future__ import annotations

from sim import delinquency
from sim.delinquency import (
    BUCKETS,
    DAYS_PER_MONTH,
    NOT_ON_BOOK,
    OVER_30,
    OVER_60,
    RE_AGED,
    ROLL_STATES,
)
from sim.reference.borrower import Borrower

REDEFAULT_WINDOW = 12  # months after a re-age in which a relapse counts as a re-default


class MonthEnd:
    """One borrower's month-end facts: balance, days past due, bucket, state."""

    __slots__ = ("b", "balance", "dpd", "bucket", "contractual", "state")

    def __init__(self, b: Borrower, month: int):
        day = (month + 1) * DAYS_PER_MONTH
        self.b = b
        self.balance = b.account.outstanding
        self.dpd = b.account.days_past_due(day)
        self.bucket = int(delinquency.bucket_of(self.dpd))
        self.contractual = b.account.contractual_days_past_due(day)
        self.state = int(delinquency.roll_state(b.active, self.bucket, self.contractual))


def bucket_columns(rows: list[MonthEnd]) -> dict[str, int]:
    """Balances (cents) and open accounts by reported and contractual bucket, and re-aged."""
    out: dict[str, int] = {}
    for prefix, which in (("", "bucket"), ("contractual_", "contractual")):
        money = [0] * len(BUCKETS)
        count = [0] * len(BUCKETS)
        for r in rows:
            k = r.bucket if which == "bucket" else int(delinquency.bucket_of(r.contractual))
            money[k] += r.balance
            count[k] += r.b.active
        for i, name in enumerate(BUCKETS):
            out[f"balance_{prefix}{name}"] = money[i]
            out[f"accounts_{prefix}{name}"] = count[i]
    reaged = [r for r in rows if r.state == RE_AGED]
    out["balance_re_aged"] = sum(r.balance for r in reaged)
    out["accounts_re_aged"] = len(reaged)
    return out


def redefaults(rows: list[MonthEnd], month: int) -> dict[str, int]:
    """Re-defaults of re-aged accounts, counted when their 12-month window closes.

    Re-aged in month r: re-defaults at 30+ (60+) if at a month end r..r+12 it is 31+
    (61+) days past due as reported, or charged off (:func:`sim.delinquency.redefaulted`);
    counted at month end r+12.
    """
    closed = red30 = red60 = 0
    for r in rows:
        b, reaged = r.b, r.b.account.reaged_month
        if reaged < max(month - REDEFAULT_WINDOW, 0):
            continue
        flags = b.extra.setdefault("redefault", [False, False])
        if reaged == month:  # a new re-age starts a new window
            flags[0] = flags[1] = False
        flags[0] = flags[0] or bool(delinquency.redefaulted(b.active, r.dpd, OVER_30))
        flags[1] = flags[1] or bool(delinquency.redefaulted(b.active, r.dpd, OVER_60))
        if reaged == month - REDEFAULT_WINDOW:
            closed += 1
            red30 += flags[0]
            red60 += flags[1]
    return {"reaged_window_closed": closed, "reaged_redefaulted_30": red30,
            "reaged_redefaulted_60": red60}


def roll_matrices(rows: list[MonthEnd]) -> tuple[list[list[int]], list[list[int]]]:
    """Accounts, and their last month-end balance, by (last state, state now).

    Reads and then updates each borrower's remembered state and balance.
    """
    k = len(ROLL_STATES)
    counts = [[0] * k for _ in range(k)]
    money = [[0] * k for _ in range(k)]
    for r in rows:
        before = r.b.extra.get("state", NOT_ON_BOOK)
        if before < k:
            counts[before][r.state] += 1
            money[before][r.state] += r.b.extra.get("balance", 0)
        r.b.extra["state"], r.b.extra["balance"] = r.state, r.balance
    return counts, money


def trace_row(path: int, b: Borrower, day: float, month: int, event: str,
              days: dict[str, int] | None = None, **cents: float) -> dict:
    """One row of a borrower's story: the state after ``event``, with the event's amounts
    given in ``cents`` (``bill``, ``fee``, ``paid``, ``expense``...) and its numbers of days
    given in ``days`` (``dpd_at_charge_off``). Money in cents, as the vectorised engine
    records it; the columns are declared in :data:`sim.recorder.TRACE`."""
    acct = b.account
    row = {"path": path, "borrower": b.slot, "day": day, "month": month, "event": event,
           "type": b.type_name, "income": b.income, "employed": b.employed,
           "savings": b.savings, "score": b.score, "limit": b.limit,
           "balance": acct.outstanding, "dpd": acct.days_past_due(day),
           "contractual_dpd": acct.contractual_days_past_due(day),
           "re_aged": acct.reaged_month >= 0, "active": b.active,
           "months_unemployed": b.months_unemployed}
    row.update(cents)
    row.update(days or {})
    return row
