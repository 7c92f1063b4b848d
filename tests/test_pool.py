"""The local worker pool (:mod:`sim.pool`): results as they complete, a lost worker named,
and a stop that never waits without a bound (no assertion on any time: a hang fails)."""

from __future__ import annotations

import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import _ExecutorManagerThread
from types import SimpleNamespace
from typing import Any

import pytest
from helpers_kill import killed_at_shutdown, time_path_killed

from sim.pool import WorkerDied, WorkerPool, _stop

WAIT_S = 120.0
"""Upper bound on a pool's work and stop here (a liveness bound, not a timing)."""


def _in_time(work) -> Any:  # noqa: ANN001 - a callable
    """``work()``'s result, run in a thread; fails the test if it has not ended within
    :data:`WAIT_S` (the thread, a daemon, is then left behind)."""
    out: dict = {}

    def run() -> None:
        try:
            out["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WAIT_S)
    assert not thread.is_alive(), "the pool did not end"
    if "error" in out:
        raise out["error"]
    return out["result"]


def _managers_left() -> list:
    return [t for t in threading.enumerate()
            if isinstance(t, _ExecutorManagerThread) and t.is_alive()]


def _powers(base: int, calls: int) -> tuple:
    """``{k: base ** k}`` for ``k < calls`` from a pool of two workers, and its workers once
    it stopped (in :func:`_in_time`)."""
    def work() -> tuple:
        with WorkerPool(2) as pool:
            got = dict(pool.completed(pow, [(base, k) for k in range(calls)]))
        return got, pool.stop()

    return _in_time(work)


def test_results_come_with_their_call_and_the_workers_are_gone_after():
    got, workers = _powers(2, 6)
    assert got == {k: 2 ** k for k in range(6)}
    assert workers and all(p.exitcode is not None for p in workers)
    assert _managers_left() == []


def test_a_worker_killed_holding_the_queues_lock_as_the_pool_stops_does_not_hang_it(
        monkeypatch):
    """Every result in, the worker reading the queue of calls (holding its lock) is killed
    as the pool stops: a graceful shutdown waited forever for the other worker, which waits
    for that lock (Python 3.11's ``ProcessPoolExecutor``)."""
    monkeypatch.setattr(ProcessPoolExecutor, "shutdown", killed_at_shutdown)
    got, workers = _powers(3, 4)
    assert got == {k: 3 ** k for k in range(4)}
    assert len(workers) == 2 and all(p.exitcode is not None for p in workers)
    assert _managers_left() == []


def test_a_killed_worker_raises_the_error_made_by_lost_naming_its_signal():
    def lost(endings: list[str]) -> WorkerDied:
        return WorkerDied(endings, "its sums were done", hint="fewer sums", outcome="; none")

    def work() -> None:
        with WorkerPool(1, lost=lost) as pool:
            list(pool.completed(time_path_killed, [()]))

    with pytest.raises(WorkerDied) as caught:
        _in_time(work)
    assert caught.value.endings == ["signal SIGKILL"]
    assert str(caught.value) == ("a worker process ended before its sums were done (signal "
                                 "SIGKILL; SIGKILL is what the system's out-of-memory killer "
                                 "sends: fewer sums); none")
    assert _managers_left() == []


def test_without_the_executors_internals_the_stop_is_a_plain_shutdown():
    """Another Python's executor, without the private attributes the bounded stop uses: it
    falls back to the executor's own graceful shutdown, cancelling the calls not started."""
    calls = []
    pool = SimpleNamespace(shutdown=lambda **kwargs: calls.append(kwargs))
    assert _stop(pool, []) == []
    assert calls == [{"wait": True, "cancel_futures": True}]
