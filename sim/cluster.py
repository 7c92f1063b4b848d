"""Chunks of paths on a Dask cluster, whose lost scheduler or workers end a run in one line.

:class:`Cluster` connects to a Dask scheduler and yields each chunk's results as it
completes, as :class:`sim.pool.WorkerPool` does with local processes. What goes wrong with
the cluster becomes the project's errors (:mod:`sim.store`), never a traceback:

- the scheduler stops answering (killed, its machine or the network down): the client
  cancels every chunk at once and tries to reconnect for
  ``distributed.comm.timeouts.connect`` (30 s unless set otherwise, for instance by
  ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s``). A scheduler back within that time (a
  network blip) is sent the chunks not done again; otherwise :class:`SchedulerLost`.
- the workers running a chunk die as many times as Dask allows
  (``distributed.scheduler.allowed-failures``, Dask's ``KilledWorker``):
  :class:`DaskWorkerLost`, naming the chunk's paths.

distributed's loggers are quiet meanwhile: each of these failures has them print
tracebacks of their own before the command's message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sim.store import DaskWorkerLost, SchedulerLost
from sim.wording import paths_text

if TYPE_CHECKING:  # distributed loads when a run goes to a cluster
    from distributed import Client, Future

__all__ = ["Cluster", "quiet_dask_logs", "reconnect_wait"]

T = TypeVar("T")

CONNECTION_LOST = "scheduler-connection-lost"
"""The reason with which the client cancels its futures when it loses the scheduler."""
POLL_S = 0.1
"""How often the client's state is read while it reconnects (seconds)."""
SPARE_S = 10.0
"""Wait beyond the client's own reconnection time before giving up on it (seconds)."""
LOST_ROUNDS = 3
"""Connections lost in a row, with no chunk completed between them, before giving up."""


def reconnect_wait() -> float:
    """How long the client tries to reconnect to a lost scheduler (seconds): Dask's
    ``distributed.comm.timeouts.connect``."""
    import dask
    from dask.utils import parse_timedelta

    return float(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s"))


@contextmanager
def quiet_dask_logs() -> Iterator[None]:
    """distributed's loggers say nothing below CRITICAL inside the block; their levels are
    put back after it. Loggers created meanwhile take the quiet level of ``distributed``."""
    names = ["distributed", *(name for name, logger in logging.root.manager.loggerDict.items()
                              if name.startswith("distributed.")
                              and isinstance(logger, logging.Logger))]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Cluster:
    """A client of the Dask scheduler at ``address``, used as a context manager that always
    closes it, with distributed's loggers quiet (:func:`quiet_dask_logs`) until then.

    ``with Cluster(address) as cluster: for results in cluster.completed(fn, chunks): ...``
    runs ``fn(chunk)`` on the cluster for every chunk of paths.

    Args:
        address: the scheduler's address (one that answered
            :func:`sim.arguments.check_scheduler`).
        say: called with a line when the connection is lost and when it is back (the
            progress display's console); None says nothing.

    Raises:
        SchedulerLost: the scheduler does not answer the client.
    """

    def __init__(self, address: str, say: Callable[[str], None] | None = None) -> None:
        self.address = address
        self._say = say or (lambda _text: None)
        self._stack = ExitStack()
        self._client: Client | None = None

    def __enter__(self) -> Cluster:
        from distributed import Client

        with ExitStack() as stack:
            stack.enter_context(quiet_dask_logs())
            try:
                self._client = Client(self.address)
            except OSError as exc:  # gone since it was checked: "Timed out trying to connect"
                raise SchedulerLost(self.address, detail=str(exc)) from None
            stack.callback(self._close)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    def _close(self) -> None:
        assert self._client is not None
        try:
            self._client.close()
        except (OSError, RuntimeError):  # a client that lost its scheduler: nothing to close
            pass

    def completed(self, fn: Callable[[list[int]], T], chunks: list[list[int]]) -> Iterator[T]:
        """Submit ``fn(chunk)`` for every chunk and yield each result as it completes (not
        in order). ``fn`` must pickle (a module-level function or a partial of one). Call
        it once per ``with`` block.

        Raises:
            SchedulerLost: the scheduler stopped answering and the client did not reconnect
                within :func:`reconnect_wait` (chunks yielded until then stay yielded), or
                it cancelled the chunks itself.
            DaskWorkerLost: the workers running a chunk died as often as Dask allows.
            Exception: what ``fn`` raised on a worker, as Dask hands it on.
        """
        assert self._client is not None, "use Cluster in a with block"
        pending = dict(enumerate(chunks))
        lost = 0
        while pending:
            futures = {self._client.submit(fn, chunk, pure=False): i
                       for i, chunk in pending.items()}
            for i, result in self._outcomes(futures, pending):
                lost = 0
                del pending[i]
                yield result
            if pending:  # the connection was lost: the client cancelled every chunk
                lost += 1
                self._reconnect(lost, sum(map(len, pending.values())))

    def _outcomes(self, futures: dict[Future, int], chunks: dict[int, list[int]]
                  ) -> Iterator[tuple[int, Any]]:
        """``(i, result)`` for each of ``futures`` (of the chunk ``chunks[i]``) as it
        completes, until the connection to the scheduler is lost."""
        from distributed import as_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        assert self._client is not None
        # its client's loop, not the default client's: another client of this process (a
        # notebook's own) may be the default, and its loop cannot wait on these futures
        for fut in as_completed(futures, loop=self._client.loop):
            try:
                result = fut.result()
            except KilledWorker as exc:
                raise self._killed(exc, chunks[futures[fut]]) from None
            except FutureCancelledError as exc:
                if exc.reason != CONNECTION_LOST:
                    raise SchedulerLost(self.address, "cancelled the run's chunks",
                                        f"reason: {exc.reason}") from None
                return
            except OSError:
                if fut.status == "error":  # fn's own error, raised on a worker
                    raise
                return  # the result could not be fetched: the scheduler is gone
            yield futures[fut], result

    def _killed(self, exc: Exception, paths: list[int]) -> DaskWorkerLost:
        """:class:`DaskWorkerLost` for Dask's ``KilledWorker`` raised by the chunk of
        ``paths``."""
        last = getattr(getattr(exc, "last_worker", None), "address", None)
        tries = int(getattr(exc, "allowed_failures", 0)) + 1
        return DaskWorkerLost(self.address, paths, tries, last)

    def _reconnect(self, lost: int, paths: int) -> None:
        """Wait while the client reconnects, the connection lost ``lost`` times in a row;
        return once it is back, to send the ``paths`` not done again.

        Raises:
            SchedulerLost: the client gave up (:func:`reconnect_wait`), or the connection
                was lost :data:`LOST_ROUNDS` times in a row without a chunk completing.
        """
        assert self._client is not None
        wait = reconnect_wait()
        if lost >= LOST_ROUNDS:
            raise SchedulerLost(self.address, detail=f"the connection was lost {lost} times "
                                "in a row")
        self._say(f"lost the connection to the Dask scheduler at {self.address}; "
                  f"reconnecting (for up to {wait:g} s)")
        deadline = time.monotonic() + wait + SPARE_S
        while self._client.status == "connecting" and time.monotonic() < deadline:
            time.sleep(POLL_S)
        if self._client.status != "running":
            raise SchedulerLost(self.address, detail=f"the client could not reconnect within "
                                f"{wait:g} s")
        self._say(f"reconnected to the Dask scheduler at {self.address}; sending the "
                  f"{paths_text(paths)} not done again")
