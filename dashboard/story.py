"""One borrower's story: re-simulate the path a borrower lived on and read the trace.

A stored run keeps its config and root seed, and every path's random streams are a
function of (seed, path) only, so replaying borrower ``b`` on path ``p`` in the reference
engine (:func:`sim.reference.trace_borrower`: one borrower, the rules written out step by
step, the same draws) reproduces exactly what that borrower lived through in the run:
income and job spells, bills, payments, days past due, limit changes, collection
contacts, and the cure or charge-off at the end; nothing that happened to anyone else.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.ledger import DAYS_PER_MONTH
from sim.reference import stored_run_replay, trace_borrower
from sim.reference.trace import missed_and_cured, notable_borrowers, vehicle_holding
from sim.store import MANIFEST

REAGE_EVENTS = ("hardship", "arrangement_reage")
"""Trace events of a re-age: a hardship plan, and a kept collector's arrangement re-aged."""
CONTACT_PAYMENTS = {"paid_on_contact": "paid on a collection contact",
                    "promise_kept": "paid as promised to a collector"}
"""Trace events of a payment that a collection contact brought (not contacts themselves)."""
ROUTINE_EVENTS = ("statement", "due_date", "purchase", "charge_off", *REAGE_EVENTS,
                  "recovery", "debt_sale", *CONTACT_PAYMENTS)
"""Trace events that are not collection contacts (statement and due date rows come every
month until a charge-off, purchase rows in the months the borrower bought; charge-off and
re-age rows only for the borrower they happen to, recovery and debt-sale rows after their
charge-off); any other event is a collection contact."""


class StoryError(ValueError):
    """A borrower story that cannot be told (bad path or borrower id); says why."""


def _replayed(manifest: dict, path: int) -> tuple:
    """The config and root seed that replay ``path`` of a stored run (its manifest).

    Raises:
        StoryError: when the path is not in the run.
    """
    cfg, seed, paths = stored_run_replay(manifest)
    if not 0 <= int(path) < paths:
        raise StoryError(f"path {path} is not in this run; choose 0 to {paths - 1}")
    return cfg, seed


def _check_borrower(cfg, borrower: int) -> None:  # noqa: ANN001 - a RunConfig
    """Raise :class:`StoryError` when ``borrower`` is not a slot of ``cfg``'s book."""
    if not 0 <= int(borrower) < cfg.capacity:
        raise StoryError(f"borrower {borrower} is not in this book; choose 0 to {cfg.capacity - 1}")


def borrower_trace(manifest: dict, path: int, borrower: int,
                   call_days: frozenset[int] | None = None) -> pd.DataFrame:
    """Re-simulate ``path`` of a stored run with ``borrower`` traced.

    Args:
        manifest: The run's manifest (its ``config`` and ``seed`` are used).
        path: Monte Carlo path, 0 <= path < the run's paths.
        borrower: Borrower slot id, 0 <= borrower < the book's capacity.
        call_days: The collectors' call days of the borrower on the path, when known
            (:func:`sim.reference.trace_borrower`); None finds them.

    Returns:
        The trace rows (see :func:`sim.reference.trace_borrower`) with ``t``, the time in
        months (day / 30), and ``dpd`` clipped at 0 (negative values are days before the
        due date).

    Raises:
        StoryError: when the path or the borrower id is out of range, or the run's config
            cannot be replayed (a field experiment).
    """
    cfg, seed = _replayed(manifest, path)
    _check_borrower(cfg, borrower)
    return _trace(cfg, seed, path, borrower, call_days)


def _trace(cfg, seed: int, path: int, borrower: int,  # noqa: ANN001 - a RunConfig
           call_days: frozenset[int] | None) -> pd.DataFrame:
    """:func:`borrower_trace` of a path and borrower already checked against ``cfg``."""
    try:
        rows = trace_borrower(cfg, seed, int(path), int(borrower), call_days=call_days)
    except ValueError as exc:
        raise StoryError(str(exc)) from exc
    trace = pd.DataFrame(rows)
    if trace.empty:
        raise StoryError(f"borrower {borrower} was never onboarded on path {path}")
    trace["t"] = trace["day"] / DAYS_PER_MONTH
    trace["dpd"] = trace["dpd"].clip(lower=0)
    return trace


def _written_off(trace: pd.DataFrame, i: int) -> str:
    """What row ``i``'s charge-off wrote off, for its label: its ``written_off``, else (a
    trace without the amount) the balance before it; '' when the trace has neither."""
    if "written_off" in trace and pd.notna(trace["written_off"].iloc[i]):
        return f": balance {trace['written_off'].iloc[i]:,.0f} written off"
    if "balance" in trace:
        return f": balance {trace['balance'].iloc[i - 1]:,.0f} written off"
    return ""


def _charged_off_dpd(trace: pd.DataFrame, i: int) -> float | None:
    """Days past due of row ``i``'s charge-off, as the account was written off: the row's
    ``dpd_at_charge_off`` (its own ``dpd`` is the closed account's, 0); None for a trace
    without it (the previous row's days past due are those of an earlier day)."""
    if "dpd_at_charge_off" in trace and pd.notna(trace["dpd_at_charge_off"].iloc[i]):
        return float(trace["dpd_at_charge_off"].iloc[i])
    return None


def _expense_events(trace: pd.DataFrame, t: np.ndarray,
                    dpd: np.ndarray) -> list[tuple[float, str, str, float]]:
    """A ``sudden expense`` event for each statement row with an ``expense`` above 0 (none
    for a trace without the column)."""
    if "expense" not in trace:
        return []
    expense = np.nan_to_num(trace["expense"].to_numpy(float))
    return [(t[i], "sudden expense", f"{expense[i]:,.0f} out of savings", dpd[i])
            for i in np.flatnonzero(expense > 0)]


def _money(amount: float) -> str:
    """An amount in currency units, whole, but in cents below 1 (0.04 paid is not 0)."""
    return f"{amount:,.2f}" if 0 < abs(amount) < 1 else f"{amount:,.0f}"


def _payment_events(trace: pd.DataFrame, t: np.ndarray, dpd: np.ndarray, missed: np.ndarray,
                    cured: np.ndarray) -> list[tuple[float, str, str, float]]:
    """A ``missed payment`` event at each due date that left something unpaid (what was
    due, what was paid, and the days past due after it: a bill unpaid on its due date is
    late from the next day), and a ``cure`` at each payment that left nothing overdue
    (``missed``, ``cured``: :func:`sim.reference.trace.missed_and_cured`)."""
    paid = (np.nan_to_num(trace["paid"].to_numpy(float)) if "paid" in trace
            else np.zeros(len(trace)))
    rows = []
    for i in np.flatnonzero(missed):
        late = (f"{dpd[i]:.0f} days past due" if dpd[i] > 0
                else "past due from the next day")
        rows.append((t[i], "missed payment",
                     f"{_money(trace['owed'].iloc[i])} due, {_money(paid[i])} paid; {late}",
                     dpd[i]))
    to_collections = trace["event"].isin(list(CONTACT_PAYMENTS)).to_numpy() & ~cured
    for i in np.flatnonzero(to_collections):  # a payment that cures is told as the cure
        rows.append((t[i], "payment to collections",
                     f"{CONTACT_PAYMENTS[trace['event'].iloc[i]]}: {_money(paid[i])}", dpd[i]))
    for i in np.flatnonzero(cured):
        rows.append((t[i], "cure", f"paid {_money(paid[i])}, nothing left overdue, after "
                     f"{dpd[i - 1]:.0f} days past due", 0.0))
    return rows


def _reage_why(trace: pd.DataFrame, i: int, dpd: np.ndarray, missed: np.ndarray) -> str:
    """How re-age row ``i`` came about, in a student's words: the days past due before it,
    or a bill missed that very due date (a re-age at a due date follows its row), or, for a
    hardship plan away from a due date, the early-warning team's offer."""
    event = trace["event"].iloc[i]
    after_miss = i > 0 and trace["day"].iloc[i - 1] == trace["day"].iloc[i] and missed[i - 1]
    before = dpd[i - 1] if i else 0.0
    if event == "arrangement_reage":
        why = "re-aged after keeping up a collector's payment arrangement"
        if before > 0:
            return f"{why}, at {before:.0f} days past due"
        return f"{why}, on the day a bill fell due and was not paid in full"
    if before > 0:
        return f"asked for hardship at {before:.0f} days past due"
    if after_miss:
        return "asked for hardship on the day the bill fell due and could not be paid"
    return "offered a hardship plan before the due date (early warning) and took it"


def _reage_events(trace: pd.DataFrame, t: np.ndarray, dpd: np.ndarray,
                  contractual: np.ndarray, missed: np.ndarray
                  ) -> list[tuple[float, str, str, float]]:
    """A ``hardship`` or ``arrangement re-age`` event at each re-age: why, the balance
    restructured, and the contractual days past due it leaves (``missed``: the rows of a
    missed payment)."""
    rows = []
    for i in np.flatnonzero(trace["event"].isin(REAGE_EVENTS).to_numpy()):
        kind = str(trace["event"].iloc[i]).replace("_reage", " re-age")
        rows.append((t[i], kind, f"{_reage_why(trace, int(i), dpd, missed)}: balance "
                     f"{trace['balance'].iloc[i]:,.0f} restructured into a new plan, reported "
                     f"current; contractually {contractual[i]:.0f} days past due", dpd[i]))
    return rows


def story_events(trace: pd.DataFrame) -> pd.DataFrame:
    """The turning points of a trace, one row each.

    Kinds: ``limit increase`` / ``limit cut`` (the limit changed), ``job loss`` /
    ``re-employment``, ``sudden expense`` (a statement row's ``expense``), ``missed
    payment`` (a due date that left something unpaid), ``contact`` (a
    collection action: any event not in :data:`ROUTINE_EVENTS`), ``hardship`` /
    ``arrangement re-age`` (the account was re-aged: its unpaid bills cancelled and its
    balance restructured), ``cure`` (days
    past due back to 0 from above 0 by payment: contractually current too, so a re-age is
    never a cure),
    ``hardship plan repaid`` (contractual days past due back to 0 after a re-age) and
    ``charge-off`` (the account stops being active).

    Returns:
        Columns ``t, kind, label, dpd`` sorted by time.
    """
    return _events_frame(_story_rows(trace))


def _events_frame(rows: list[tuple[float, str, str, float]]) -> pd.DataFrame:
    """Event rows as a table, columns ``t, kind, label, dpd``, sorted by time (rows at the
    same time in their order in ``rows``)."""
    out = pd.DataFrame(rows, columns=["t", "kind", "label", "dpd"])
    return out.sort_values("t", kind="stable").reset_index(drop=True)


def _story_rows(trace: pd.DataFrame) -> list[tuple[float, str, str, float]]:
    """The rows of :func:`story_events`, in the order they are found."""
    t = trace["t"].to_numpy()
    dpd = trace["dpd"].to_numpy(float)
    rows: list[tuple[float, str, str, float]] = []

    def changed(col: str) -> np.ndarray:
        x = trace[col].to_numpy()
        return np.flatnonzero(x[1:] != x[:-1]) + 1

    limit = trace["limit"].to_numpy(float)
    for i in changed("limit"):
        kind = "limit increase" if limit[i] > limit[i - 1] else "limit cut"
        rows.append((t[i], kind, f"limit {limit[i - 1]:,.0f} → {limit[i]:,.0f}", dpd[i]))
    employed = trace["employed"].to_numpy(bool)
    for i in changed("employed"):
        rows.append((t[i], "re-employment" if employed[i] else "job loss", "", dpd[i]))
    rows += _expense_events(trace, t, dpd)
    active = trace["active"].to_numpy(bool)
    for i in changed("active"):
        if not active[i]:
            at = _charged_off_dpd(trace, i)
            when = f" at {at:.0f} dpd" if at is not None else ""
            rows.append((t[i], "charge-off", f"charged off{when}{_written_off(trace, i)}",
                         at if at is not None else dpd[i - 1]))
    contractual = (trace["contractual_dpd"].to_numpy(float) if "contractual_dpd" in trace
                   else dpd)
    missed, cured = missed_and_cured(trace)
    rows += _payment_events(trace, t, dpd, missed, cured)
    rows += _reage_events(trace, t, dpd, contractual, missed)
    repaid = (contractual[1:] == 0) & (contractual[:-1] > dpd[:-1]) & (dpd[1:] == 0) & active[1:]
    for i in np.flatnonzero(repaid) + 1:
        rows.append((t[i], "hardship plan repaid",
                     f"contractually current again after {contractual[i - 1]:.0f} dpd", 0.0))
    contacts = ~trace["event"].isin(ROUTINE_EVENTS).to_numpy()
    for i in np.flatnonzero(contacts):
        rows.append((t[i], "contact", str(trace["event"].iloc[i]).replace("_", " "), dpd[i]))
    return rows


def deal_events(holding: dict | None, trace: pd.DataFrame) -> pd.DataFrame:
    """The account and the securitisation deal, from
    :func:`sim.reference.trace.vehicle_holding`: at the cut-off whether its principal was in
    the pool sold to the vehicle (and what share); at a charge-off while the deal runs, that
    the vehicle's share of it is in the pool's defaults of deal period ``p`` (paid at the
    end of month ``cutoff + p - 1``, time ``cutoff + p``); after the deal ended, that it no
    longer touches the notes. Empty without a deal.

    Returns:
        Columns ``t, kind, label, dpd`` as :func:`story_events` (in the order found).
    """
    return pd.DataFrame(_deal_rows(holding, trace), columns=["t", "kind", "label", "dpd"])


def _deal_rows(holding: dict | None, trace: pd.DataFrame
               ) -> list[tuple[float, str, str, float]]:
    """The rows of :func:`deal_events`."""
    rows: list[tuple[float, str, str, float]] = []
    if holding is not None:
        cutoff, share = holding["cutoff_month"], holding["cutoff_share"]
        if share is not None and (trace["t"] <= cutoff).any():
            told = (f"{share:.0%} of this account's principal sold to the securitisation "
                    "vehicle" if share > 0 else "this account's balance was not in the pool "
                    "sold to the securitisation vehicle")
            rows.append((float(cutoff), "deal cut-off", told, 0.0))
        rows += _deal_charge_off(holding)
    return rows


def _deal_charge_off(holding: dict) -> list[tuple[float, str, str, float]]:
    """The deal's part of the account's charge-off (none before the cut-off)."""
    if holding["charge_off"] is None:
        return []
    month, share, principal = holding["charge_off"]
    cutoff, ended = holding["cutoff_month"], holding["ended_period"]
    period = month + 1 - cutoff  # the month's flows are deal period p's
    if period < 1:
        return []
    t = month + 1.0  # the period's payment date, the month's end
    # months as the other pages count them (from 0): period p is paid at the end of month
    # cutoff + p - 1
    if ended is not None and period > ended:
        told = (f"the deal ended in period {ended} (paid at the end of month "
                f"{cutoff + ended - 1}): this loss no longer touches the notes")
    elif share > 0:
        told = (f"the vehicle's {share:.0%} of the principal written off "
                f"({share * principal:,.0f}) is in the pool's defaults of deal period "
                f"{period}, paid at the end of month {month}")
    else:
        told = "the vehicle held none of it: the platform's loss alone"
    return [(t, "loss to the deal", told, 0.0)]


@functools.lru_cache(maxsize=32)
def stored_examples(folder: str, path: int) -> dict[str, list[int]]:
    """Borrowers worth a story on ``path`` of the run stored in ``folder``, by outcome
    (:func:`sim.reference.trace.notable_borrowers`), cached.

    Raises:
        StoryError: when the path is out of range.
    """
    cfg, seed = _replayed(json.loads((Path(folder) / MANIFEST).read_text()), path)
    return notable_borrowers(cfg, seed, int(path))


@functools.lru_cache(maxsize=32)
def stored_story(folder: str, path: int, borrower: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trace and events of ``borrower`` on ``path`` of the run stored in ``folder``, cached.

    ``folder`` must come from :meth:`dashboard.data.RunStore.folder` (a listed run).
    """
    manifest = json.loads((Path(folder) / MANIFEST).read_text())
    cfg, seed = _replayed(manifest, path)
    _check_borrower(cfg, borrower)
    # one path of the vectorised engine gives the vehicle's facts and the collectors' call
    # days the replay needs
    holding = vehicle_holding(cfg, seed, int(path), int(borrower))
    trace = _trace(cfg, seed, path, borrower, None if holding is None else holding["call_days"])
    return trace, _events_frame(_story_rows(trace) + _deal_rows(holding, trace))
