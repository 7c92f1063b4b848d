"""Worker processes killed at the moments a pool of them is least ready for.

A chunk's results (about 200 kB for the tiny book) fill the pipe to the run several
times over, so a worker killed from outside at a random moment may well be killed while
sending them. :func:`chunk_then_killed_sending` makes that moment certain: a run whose
``sim.montecarlo._simulate_chunk`` is replaced by it (in the run's process; the workers
import this module to unpickle it) simulates its chunks as ever, but the worker given
the chunk of path :data:`KILLED_AT` writes half of that chunk's results to the pipe and
then sends itself SIGKILL. :func:`killed_at_shutdown` kills the worker that holds the lock
of the queue of chunks once every result is in, as the pool stops.

The other commands with workers get the same kill: :func:`shock_path_then_killed_sending`
for ``sim.breakeven_shock._shock_path`` and :func:`call_then_killed_sending` for
``sim.validation.core._call`` kill the worker sending the result of path
:data:`KILLED_CALL`; :func:`time_path_killed` for ``sim.bench._time_path`` kills the
measuring process outright.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import connection
from pathlib import Path

from sim.config import RunConfig
from sim.engine import PathResult
from sim.montecarlo import _simulate_chunk

KILLED_AT = 40
"""The path whose chunk the worker is killed sending (chunks before it are stored)."""


def _killed_mid_message() -> None:
    """From now on in this process, the first message longer than a pipe's buffer is
    half written, then the process is killed."""
    def send(self: connection.Connection, buf: bytes) -> None:
        if len(buf) > 65536:
            os.write(self.fileno(), bytes(buf[:len(buf) // 2]))
            os.kill(os.getpid(), signal.SIGKILL)
        real(self, buf)

    real = connection.Connection._send
    connection.Connection._send = send


def chunk_then_killed_sending(config: RunConfig, seed: int, paths: list[int],
                              trace_ids: tuple[int, ...]) -> list[PathResult]:
    """``sim.montecarlo._simulate_chunk``, whose worker is killed sending the results of
    the chunk of :data:`KILLED_AT`."""
    results = _simulate_chunk(config, seed, paths, trace_ids)
    if KILLED_AT in paths:
        _killed_mid_message()
    return results


def _reading(pid: int) -> bool:
    """Whether process ``pid`` waits reading a pipe (Linux: its wait channel)."""
    try:
        return "pipe" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def _lock_holder(workers: list, wait_s: float = 10.0):  # noqa: ANN202 - a Process
    """The worker that waits for the next chunk reading the queue's pipe, holding the lock
    the other workers wait for; the first if none is seen reading within ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        for worker in workers:
            if _reading(worker.pid):
                return worker
        time.sleep(0.01)
    return workers[0]


def killed_at_shutdown(pool: ProcessPoolExecutor, *args: object, **kwargs: object) -> None:
    """``ProcessPoolExecutor.shutdown`` that first kills a worker of the pool: every result
    is in and the workers wait for the next chunk, one of them reading the queue's pipe
    and holding its lock. That one is killed: the others then wait for the lock forever
    and never read the sentinel that tells them to stop."""
    workers = list((pool._processes or {}).values())
    if workers:
        os.kill(_lock_holder(workers).pid, signal.SIGKILL)
    _SHUTDOWN(pool, *args, **kwargs)


_SHUTDOWN = ProcessPoolExecutor.shutdown


KILLED_CALL = 1
"""The path whose worker is killed sending its result, in a breakeven search or a check."""


def _half_sent() -> bytes:
    """A result four times a pipe's buffer, of which this process sends half before it is
    killed."""
    _killed_mid_message()
    return bytes(4 * 65536)


def shock_path_then_killed_sending(config: RunConfig, seed: int, path: int,
                                   *search: object) -> object:
    """``sim.breakeven_shock._shock_path``, whose worker is killed sending the result of path
    :data:`KILLED_CALL`."""
    from sim.breakeven import _shock_path

    if path == KILLED_CALL:
        return _half_sent()
    return _shock_path(config, seed, path, *search)


def call_then_killed_sending(fn: Callable, args: tuple) -> object:
    """``sim.validation.core._call``, whose worker is killed sending the result of the call
    of path :data:`KILLED_CALL` (the path is a check's third argument)."""
    from sim.validation.core import _call

    if args[2] == KILLED_CALL:
        return _half_sent()
    return _call(fn, args)


def time_path_killed(*_: object) -> None:
    """``sim.bench._time_path``, whose process is killed before it measures anything (as
    the out-of-memory killer would)."""
    os.kill(os.getpid(), signal.SIGKILL)
