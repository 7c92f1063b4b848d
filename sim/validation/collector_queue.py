"""Oracle: the collector queue against the discrete-time bulk-service queue.

Delinquent accounts arrive as a Poisson stream (lambda a day) at the human-collector
rung of the real :class:`sim.agents.collections.Collections`; its team (a SimPy
container refilled to c calls each morning) calls waiting accounts in the policy's
priority order, and a called account leaves the queue. With ``Q_t`` the accounts still
waiting at the end of day t and ``A_t`` the day's arrivals,
``Q_{t+1} = max(Q_t + A_{t+1} - c, 0)``: a Markov chain whose stationary law (solved
from its transition matrix, truncated far out) gives the mean queue ``L``; Little's law
gives the mean wait ``W = L / lambda`` in whole days (an account called on its arrival
day waits 0 and is never counted in ``Q``).

The harness below is a minimal stand-in for the path the collection process reads
(the accounts' oldest unpaid bill, activity, cash and score); the queue, capacity and
call order are the engine's own code.
"""

from __future__ import annotations

from collections.abc import Generator
from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.linalg
import simpy
from scipy import stats

from sim.agents.collections import SHIFT_HOUR, WORK_HOUR, Collections
from sim.config import RunConfig, load_config
from sim.crn import draw_key
from sim.engine import path_streams
from sim.ledger import DAYS_PER_MONTH, Ledger
from sim.validation.core import Z_ORACLE, Check, Settings, map_paths, register

ARRIVALS_PER_DAY, CALLS_PER_DAY = 18.0, 20
START, WARM_UP, BATCH, BATCHES = DAYS_PER_MONTH, 60, 60, 10  # days
ARRIVAL_HOUR, LEAVE_HOUR = 0.5, 0.9  # between the shift (0.3) and the work (0.75); after
SOURCE = "bulk-service queue, stationary law"


def queue_config(calls_per_day: int = CALLS_PER_DAY, priority: str = "oldest_dpd") -> RunConfig:
    """Collections with one rung, human calls from 1 to 360 days past due, no reminders.

    The channel's response is 0 (calls change nothing on the books: the harness takes a
    called account out of the queue), caps are the largest allowed, legal and hardship off.
    """
    return load_config({
        "name": "collector-queue",
        "collections": {
            "ladder": [{"channel": "human", "from_dpd": 1, "to_dpd": 360, "every_days": 90}],
            "channels": {"human": {"response": {}}},  # no type responds
            "caps": {"per_day": 20, "per_week": 100},
            "collectors": {"count": 1, "calls_per_day": calls_per_day, "priority": priority},
            "legal": {"enabled": False},
            "hardship": {"enabled": False},
        },
    })


class _CountedCollections(Collections):
    """The engine's collections; ``called_today`` holds the accounts each day's human calls
    reached (set by :meth:`Collections._day`)."""


def _accounts(capacity: int) -> dict[str, Any]:  # a stand-in for the path's accounts
    """The accounts the collection process reads (ledger, activity, borrowers), for
    ``capacity`` accounts."""
    ledger = Ledger(capacity, chargeoff_dpd=180, due_day=0)
    pool = SimpleNamespace(savings=np.zeros(capacity), score=np.full(capacity, 600.0),
                           kind=np.zeros(capacity, dtype=np.int8),
                           escalated=np.zeros(capacity, dtype=bool),
                           plan_channel=np.full(capacity, -1, dtype=np.int8),
                           arrangement_until=np.full(capacity, -1, dtype=np.int16),
                           plan_instalment=np.zeros(capacity, dtype=np.int32),
                           permanent_income=np.zeros(capacity), disposable=np.zeros(capacity),
                           room_months=0.0)
    return {"ledger": ledger, "active": np.ones(capacity, dtype=bool), "pool": pool,
            "on_payment": lambda *a: None}


def simulate_queue(config: RunConfig, seed: int, path: int, lam: float,
                   collections: type[_CountedCollections] = _CountedCollections,
                   ) -> dict[str, np.ndarray]:
    """One replication: daily queue lengths, calls and waits after the warm-up, by batch.

    Arrivals (Poisson(lam) a day, from the path's collections stream) start on day 30 and
    are 30-59 days past due on arrival (their oldest bill is last month's), so the
    ``oldest_dpd`` order serves them first come, first served (ties by slot).
    ``collections`` is the collection process under test (the engine's, by default).

    Returns:
        Per batch of :data:`BATCH` days: ``queue_days`` (sum of end-of-day queues),
        ``calls``, ``wait_days`` (sum of the called accounts' waits), ``arrivals``.
    """
    days = START + WARM_UP + BATCH * BATCHES
    rng = path_streams(seed, path)["collections"]
    key = draw_key(rng)
    counts = rng.poisson(lam, days)
    counts[:START] = 0
    capacity = int(counts.sum()) + 1
    env = simpy.Environment()
    accounts = _accounts(capacity)
    oldest = accounts["ledger"].oldest
    col = collections(config.collections, config.repayment, config.experiment, capacity, key,
                      env, experiment_key=key, **accounts)  # no experiment runs here
    n = 0
    record = np.zeros((4, days))  # queue, calls, waits, arrivals

    def harness() -> Generator[simpy.Event, Any, None]:
        nonlocal n
        for day in range(days):
            yield env.timeout(day + ARRIVAL_HOUR - env.now)
            month = day // DAYS_PER_MONTH
            oldest[n: n + counts[day]] = month - 1
            n += int(counts[day])
            col.refresh(n, month)
            col.called_today = np.zeros(0, dtype=np.int64)
            before = col.counters["queue_wait_days_total"]
            yield env.timeout(day + LEAVE_HOUR - env.now)
            oldest[col.called_today] = -1  # the called leave
            col.refresh(n, month)
            record[:, day] = (col.queue_length(), col.called_today.size,
                              col.counters["queue_wait_days_total"] - before, counts[day])

    assert SHIFT_HOUR < ARRIVAL_HOUR < WORK_HOUR < LEAVE_HOUR
    env.process(col.daily(days))
    env.process(harness())
    env.run(until=days)
    kept = record[:, START + WARM_UP:].reshape(4, BATCHES, BATCH).sum(axis=2)
    return dict(zip(("queue_days", "calls", "wait_days", "arrivals"), kept, strict=True))


def stationary_queue(lam: float, c: int, states: int = 600) -> np.ndarray:
    """Stationary law of ``Q' = max(Q + A - c, 0)``, A ~ Poisson(lam), on 0..states-1.

    The transition matrix is truncated at ``states`` (the last column absorbs the tail);
    ``pi (P - I) = 0`` with ``sum(pi) = 1`` is solved directly.

    Raises:
        ValueError: ``lam >= c`` (no stationary law).
    """
    if lam >= c:
        raise ValueError(f"arrivals ({lam}/day) must be below the capacity ({c}/day)")
    j = np.arange(states)
    P = stats.poisson.pmf(j[None, :] - j[:, None] + c, lam)
    P[:, 0] = stats.poisson.cdf(c - j, lam)
    P[:, -1] += 1.0 - P.sum(axis=1)
    A = P.T - np.eye(states)
    A[-1] = 1.0  # one balance equation is redundant: replace it by sum(pi) = 1
    b = np.zeros(states)
    b[-1] = 1.0
    return scipy.linalg.solve(A, b)


def _batch_row(name: str, values: np.ndarray, target: float, note: str, fmt: str,
               source: str = SOURCE) -> Check:
    """A row from batch means: mean, t interval, tolerance ``t_(1 - alpha/2) * SE``."""
    k = values.size
    est = float(values.mean())
    se = float(values.std(ddof=1) / np.sqrt(k))
    alpha = 2 * stats.norm.sf(Z_ORACLE)
    t = stats.t.ppf(1 - alpha / 2, k - 1)
    half = stats.t.ppf(0.975, k - 1) * se
    return Check(name, "oracle", source, est, est - half, est + half, target, t * se,
                 note=note + f" SE from {k} batch means of {BATCH} days; tolerance "
                             f"t_{k - 1} quantile ({t:.2f}) x SE, the 4-SE false-alarm rate.",
                 fmt=fmt)


def queue_rows(settings: Settings, paths: int, calls_per_day: int = CALLS_PER_DAY,
               name: str = "collector_queue",
               collections: type[_CountedCollections] = _CountedCollections) -> list[Check]:
    """Simulate the team with ``calls_per_day`` and compare with the law for 20 calls.

    ``calls_per_day`` and ``collections`` change the simulated side only: a test breaks
    one rule this way and the matching row must fail.
    """
    lam, c = ARRIVALS_PER_DAY, CALLS_PER_DAY
    config = queue_config(calls_per_day)
    seed = settings.seed_for(name)
    out = map_paths(simulate_queue, [(config, seed, i, lam, collections)
                                   for i in range(paths)],
                    settings.workers)
    batch = {k: np.concatenate([o[k] for o in out]) for k in out[0]}
    pi = stationary_queue(lam, c)
    L = float(pi @ np.arange(pi.size))
    setup = (f"Poisson {lam:g} arrivals/day, {c} calls/day (utilisation {lam / c:.0%}), "
             f"{paths} replications after a {WARM_UP}-day warm-up.")
    return [
        _batch_row(f"{name}.mean_queue", batch["queue_days"] / BATCH, L,
                   "Accounts waiting at the end of a day vs E[Q] of the stationary law. "
                   + setup, ".3f"),
        _batch_row(f"{name}.mean_wait_days", batch["wait_days"] / batch["calls"], L / lam,
                   "Days from joining the queue to the call, per call (the engine's "
                   "queue_wait_days) vs E[Q] / lambda.", ".3f"),
        _batch_row(f"{name}.littles_law", batch["wait_days"] / batch["queue_days"], 1.0,
                   "Total waits over total end-of-day queue (lambda W / L measured on the "
                   "same batches): Little's law makes it 1.", ".3f",
                   source="Little's law, L = lambda W"),
    ]


@register("collector_queue", "oracle", quick=True, paths=(4, 16))
def collector_queue_check(settings: Settings, paths: int) -> list[Check]:
    """Collector queue: mean queue and wait vs the bulk-service queue; Little's law."""
    return queue_rows(settings, paths)
