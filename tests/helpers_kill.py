"""Worker processes killed at the moments a pool of them is least ready for.

A chunk's results (about 200 kB for the tiny book) fill the pipe to the run several
times over, so a worker killed from outside at a random moment may well be killed while
sending them. :func:`chunk_then_killed_sending` makes that moment certain: a run whose
``sim.montecarlo._simulate_chunk`` is replaced by it (in the run's process; the workers
import this module to unpickle it) simulates its chunks as ever, but the worker given
the chunk of path :data:`KILLED_AT` writes half of that chunk's results to the pipe and
then sends itself SIGKILL.
"""

from __future__ import annotations

import os
import signal
from multiprocessing import connection

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
