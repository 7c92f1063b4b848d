"""One borrower's story from the reference engine, replayed on its own.

A borrower's life depends on the rest of the book in two places: which of the day's
queued borrowers the collectors reach, under the team's capacity and the priority rule;
and the early-warning model, fitted on everyone's first ``early_warning.fit_months``.
Replay simulates the whole book until the model is fitted (not at all without early
warning), then the traced borrower alone, with every draw the whole path makes (the same
arrays, the borrower reading its own elements) and with the days the collectors called it
taken from the vectorised engine's run of the same path; the equivalence tests check that
both engines call the same borrowers on the same days and that a replayed story equals the
story in a whole-book reference run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import RunConfig
from sim.delinquency import DAYS_PER_MONTH
from sim.reference.engine import ReferencePath, simulate_reference

if TYPE_CHECKING:
    import pandas as pd


def collector_call_days(config: RunConfig, seed: int, path: int, borrower: int
                        ) -> frozenset[int]:
    """Days on which the collectors called ``borrower`` on path ``path`` (whole book).

    Taken from one path of the vectorised engine (:class:`sim.engine.PathSimulation`,
    without the vehicle, which never changes a borrower's life) watching the borrower's
    calls (:meth:`sim.engine.PathSimulation.watch_calls`): the days of the ``human`` events
    a trace of the borrower would show, with the ladder's days still in compiled spans.
    Empty when the ladder has no human rung.
    """
    if not config.collections.employs_collectors():
        return frozenset()
    from sim.engine import PathSimulation

    simulation = PathSimulation(config.model_copy(update={"deal": None}), seed, path)
    simulation.watch_calls(borrower)
    simulation.run()
    days = simulation.call_days()
    simulation.release()
    return days


OUTCOMES = ("charged off", "re-aged, not charged off", "called by a collector, never re-aged "
            "or charged off", "never called by a collector")
"""The outcomes :func:`notable_borrowers` finds borrowers of, in the order it lists them."""


def notable_borrowers(config: RunConfig, seed: int, path: int, each: int = 5
                      ) -> dict[str, list[int]]:
    """Borrowers worth a story on path ``path``: up to ``each`` of the lowest ids of each
    outcome of :data:`OUTCOMES` by the horizon's end (charged off; re-aged by a hardship
    plan or an arrangement and not charged off; called by a human collector, never re-aged
    or charged off; never called). A teacher looking for a default does not try ids one by
    one.

    One path of the vectorised engine on ``config`` without its deal (the vehicle never
    changes a borrower's life): seconds on a large book. An outcome no borrower had maps to
    an empty list.
    """
    import numpy as np

    from sim.engine import PathSimulation

    simulation = PathSimulation(config.model_copy(update={"deal": None}), seed, path)
    simulation.run()
    n = simulation.n
    charged = simulation.platform.chargeoff_month[:n] >= 0
    reaged = (simulation.platform.ledger.reaged_month[:n] >= 0) & ~charged
    called = simulation.collections.human_ever[:n] & ~charged & ~reaged
    never = ~(charged | reaged | called)
    simulation.release()
    return {name: np.flatnonzero(mask)[:each].tolist()
            for name, mask in zip(OUTCOMES, (charged, reaged, called, never), strict=True)}


def trace_borrower(config: RunConfig, seed: int, path: int, borrower: int, *,
                   replay: bool = True, call_days: frozenset[int] | None = None
                   ) -> list[dict]:
    """The events of ``borrower`` on path ``path`` of root ``seed``, one dict per event.

    Each row holds ``path, borrower, day, month, event, type`` and the borrower's state
    after the event (see :func:`sim.reference.records.trace_row`); rows come only from
    events that happened to this borrower: a statement (with the bill, ``bill``, the
    fees it added to the balance, ``fee``, and the month's sudden expense taken from
    savings, ``expense``, 0 when none) and due date (what was due, ``owed``: every
    unpaid bill, this month's too, and what was paid, ``paid``) every month from onboarding
    until a charge-off, a purchase in the months they bought something (never
    one of 0), a row per collection contact, a ``paid_on_contact`` row when a contact brings
    a payment and a ``promise_kept`` row when a promised payment arrives, a ``hardship`` row
    per hardship plan and an ``arrangement_reage`` row per kept arrangement re-aged (each
    after the due date's row when it follows a due date) and a ``charge_off``
    row when the account is charged off (what it wrote off, ``written_off``, and the days
    past due it was charged off at, ``dpd_at_charge_off``: the row's own ``dpd`` is the
    closed account's, 0); after it, the
    account being closed, only a ``recovery`` row at the end of each month its recovery pays
    (``recovered``) and a ``debt_sale`` row if what is left is sold (``sale_proceeds``).
    ``paid`` (due date and collection payments) is what paid the balance down: between two
    rows the balance moves only by the later row's ``purchase``, ``paid``, ``fee`` and
    ``written_off``.
    Empty when the borrower is never onboarded.

    Args:
        replay: simulate the borrower alone (seconds on any book; with early warning, the
            whole book until its model is fitted); False simulates the whole book in the
            reference engine (minutes on a large book).
        call_days: the replay's collector call days when already known (the
            ``call_days`` of :func:`vehicle_holding`, from the same path); None finds them
            (:func:`collector_call_days`, a path of the vectorised engine).

    Raises:
        ValueError: ``borrower`` is outside ``0 .. config.capacity - 1``, or the config
            runs a field experiment.
    """
    if not 0 <= borrower < config.capacity:
        raise ValueError(f"borrower {borrower} is not in this book; choose 0 to "
                         f"{config.capacity - 1}")
    if not replay:
        return simulate_reference(config, seed, path, (borrower,)).trace
    if call_days is None:
        call_days = collector_call_days(config, seed, path, borrower)
    calls = {borrower: call_days}
    ew = config.early_warning
    return ReferencePath(config, seed, path, (borrower,), calls=calls,
                         focus_from=ew.fit_months if ew.enabled else 0).replay()


def stored_run_replay(manifest: dict) -> tuple[RunConfig, int, int]:
    """What replaying a stored run's paths needs, from its manifest: the run's config (its
    overrides and deal included), its root seed and its number of paths."""
    from sim.config import load_config

    return load_config(manifest["config"]), int(manifest["seed"]), int(manifest.get("paths", 1))


def missed_and_cured(trace: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of one borrower's trace (in time order) are a missed payment, which a cure.

    Missed: a due date at which something stayed unpaid, ``paid`` below ``owed`` (a
    payment in part is a miss too, as the platform counts it; none in a trace without
    ``owed``). Cured: the row's payment left nothing past due on an account that was
    (``dpd`` from above 0 to 0), open and contractually current too (a re-age reports an
    account current without collecting what is due: never a cure).

    Returns:
        Two boolean arrays of the trace's length.
    """
    n = len(trace)
    missed = np.zeros(n, dtype=bool)
    if "owed" in trace:
        due = (trace["event"] == "due_date").to_numpy()
        owed = np.nan_to_num(trace["owed"].to_numpy(float))
        paid = np.nan_to_num(trace["paid"].to_numpy(float)) if "paid" in trace else 0.0
        missed = due & (owed > paid)
    dpd = trace["dpd"].to_numpy(float)
    contractual = (trace["contractual_dpd"].to_numpy(float) if "contractual_dpd" in trace
                   else dpd)
    cured = np.zeros(n, dtype=bool)
    cured[1:] = ((dpd[1:] == 0) & (dpd[:-1] > 0) & trace["active"].to_numpy(bool)[1:]
                 & (contractual[1:] == 0))
    return missed, cured


def vehicle_holding(config: RunConfig, seed: int, path: int, borrower: int) -> dict | None:
    """What the securitisation vehicle held of ``borrower``'s account on path ``path``: None
    without a deal.

    One path of the vectorised engine with the deal (the replay has no vehicle: which
    accounts it buys depends on the whole book). Returns ``cutoff_month`` (the month whose
    end is the cut-off), ``cutoff_share`` (the fraction of the account's principal bought
    then, 0 when none; None when the borrower was not yet onboarded), ``charge_off`` (None,
    or ``(month, share, principal)``: the month of the charge-off, the vehicle's fraction
    then and the principal written off, currency units) and ``ended_period`` (the deal
    period in which it was called or reached its legal final, None when it ran to the
    horizon). Period ``p`` is paid at the end of month ``cutoff_month + p - 1`` (months from
    0, as the trace's ``month``). The path watches the borrower's collector calls, so
    ``call_days`` holds the days :func:`trace_borrower` needs (the vehicle never changes a
    borrower's life: the days :func:`collector_call_days` finds), and a story needs one
    path of the vectorised engine, not two; its ladder runs in compiled spans (a trace
    would run it day by day, several times slower).
    """
    if config.deal is None:
        return None
    from sim.engine import PathSimulation

    simulation = PathSimulation(config, seed, path)
    simulation.watch_calls(borrower)
    cutoff = config.deal.cutoff_month
    facts: dict = {"cutoff_month": cutoff, "cutoff_share": None, "charge_off": None,
                   "ended_period": None}

    def at_cutoff(sim: PathSimulation) -> None:
        if borrower < sim.n and sim.spv is not None:
            facts["cutoff_share"] = float(sim.spv.share[borrower])

    class Watcher:
        """Reads the vehicle's fraction of the account as it is charged off."""

        def on_charge_offs(self, month: int, out) -> None:  # noqa: ANN001
            spv = simulation.spv
            hit = np.flatnonzero(out.index == borrower)
            if hit.size and spv is not None:
                facts["charge_off"] = (month, float(spv.share[borrower]),
                                       float(out.principal[hit[0]]) / 100.0)

        def on_payments(self, *_args) -> None: ...  # noqa: ANN002
        def on_purchases(self, *_args) -> None: ...  # noqa: ANN002
        def on_restructure(self, *_args) -> None: ...  # noqa: ANN002

    simulation.listeners.insert(0, Watcher())  # before the vehicle zeroes its fraction
    simulation.probes.append((cutoff * DAYS_PER_MONTH + 0.001, at_cutoff))  # after its month end
    result = simulation.run()
    facts["call_days"] = simulation.call_days()
    simulation.release()
    if result.waterfall is not None:
        facts["ended_period"] = _ended_period(result.waterfall.deal)
    return facts


def _ended_period(deal: dict[str, np.ndarray]) -> int | None:
    """The period (from 1) in which path 0's deal wound up, by the waterfall's own flags:
    its clean-up call or its legal final period, the flags that end it (``active`` false
    from the next period); None when it was still running at the horizon."""
    wound_up = np.flatnonzero(deal["call_exercised"][0] | deal["legal_final"][0])
    return int(wound_up[0]) + 1 if wound_up.size else None
