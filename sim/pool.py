"""Local worker processes that a killed worker cannot hang.

:class:`WorkerPool` runs calls of a module-level function on spawned local processes and
yields their results as they complete. A worker that ends before its calls are done
(``kill -9``, the system's out-of-memory killer) raises :class:`WorkerDied` naming how it
ended, instead of hanging the command or ending it with a traceback; however the work
ends, the pool is stopped at once and every wait of that stop is bounded. Its workers
exit with the process that started them (:func:`watch_parent`), and on Ctrl-C without a
traceback.

A plain ``with ProcessPoolExecutor()`` hangs forever in two cases (Python 3.11):

- a worker killed part-way through sending a result bigger than the pipe's buffer leaves
  the pool's managing thread reading the rest of that message: the futures are never
  marked broken. :meth:`WorkerPool.completed` watches the workers' sentinels itself.
- a worker killed while it holds the lock of the queue of calls leaves the others waiting
  for that lock, never reading the sentinel that tells them to stop: a graceful shutdown
  waits for them without a timeout. :meth:`WorkerPool.stop` terminates them instead.

This relies on private attributes of Python 3.11.7's ``concurrent.futures.process``:
``ProcessPoolExecutor._processes`` (the worker processes), ``_executor_manager_thread``
(the thread that manages them) and ``_result_queue._writer`` (this process's end of the
results' pipe). Where one is missing (another Python), the pool falls back to the
executor's plain ``shutdown(wait=True, cancel_futures=True)`` and to the futures' own
notice of a lost worker: the same results, without the guarantees above.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import connection
from typing import TypeVar

from sim.signals import handled

__all__ = ["MEMORY_HINT", "WorkerDied", "WorkerPool", "watch_parent"]

T = TypeVar("T")

PARENT_POLL_S = 0.5
"""How often a worker checks that the process that started it is still there (seconds)."""
STOP_S = 30.0
"""Longest wait (seconds) for each step of stopping a pool: its workers to end once told
to, then its managing thread to finish."""
TERMINATE_S = 5.0
"""How long a worker has to end after SIGTERM before it is killed (seconds)."""
WORKER_POLL_S = 0.5
"""How often the pool checks that its workers are all still there while it waits for
their results (seconds)."""
MEMORY_HINT = "fewer --workers need less memory"
"""What :class:`WorkerDied` suggests by default against the out-of-memory killer."""


class WorkerDied(RuntimeError):
    """A local worker process ended before its work was done: killed (``kill``, the
    system's out-of-memory killer), or stopped by a Ctrl-C that its command ignores (a
    command started in the background by a script). The message is one line: what ended
    and how, what to do, and what the command did not do.

    Attributes:
        endings: how each worker that had ended did (``"signal SIGKILL"``, ``"exit code
            1"``), in the order the pool started them; empty when the pool could not tell.
    """

    def __init__(self, endings: list[str], work: str = "its work was done",
                 hint: str = MEMORY_HINT, outcome: str = "") -> None:
        """``work``: what was not finished (``"its paths were done"``); ``hint``: what to do
        about the out-of-memory killer; ``outcome``: appended after them (``"; no run was
        written"``)."""
        self.endings = endings
        how = ", ".join(endings) or "for a reason the pool did not report"
        super().__init__(f"a worker process ended before {work} ({how}; SIGKILL is what the "
                         f"system's out-of-memory killer sends: {hint}){outcome}")


def _ending(exitcode: int | None) -> str | None:
    """How a process ended, from its exit code (negative: the signal that ended it), as
    ``"signal SIGKILL"`` or ``"exit code 1"``; None while it runs."""
    if exitcode is None:
        return None
    if exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def _endings(processes: list) -> list[str]:
    """How the workers that ended did, each way once (:func:`_ending`), without the SIGTERM
    with which the pool stops the others once one is lost."""
    seen = list(dict.fromkeys(e for e in (_ending(p.exitcode) for p in processes) if e))
    cause = [e for e in seen if e != "signal SIGTERM"]
    return cause or seen


def _exit_when_orphaned(parent: int, poll: float) -> None:
    while os.getppid() == parent:
        time.sleep(poll)
    os._exit(1)  # the parent is gone (killed, out of memory): nobody will read our results


def watch_parent(parent: int | None = None, poll: float = PARENT_POLL_S) -> None:
    """Make this process exit soon after the process ``parent`` (default: its parent) dies.

    Worker processes block on a pipe that their parent feeds; when the parent is killed
    (``kill -9``, the out-of-memory killer) nothing closes it, and they would wait
    forever holding their memory and the caller's output pipes. A daemon thread polls
    :func:`os.getppid` every ``poll`` seconds: a dead parent's children are re-parented,
    so the pid changes, and the thread ends the process with :func:`os._exit`.
    Called by the initializer of :class:`WorkerPool`'s workers.
    """
    parent = os.getppid() if parent is None else parent
    thread = threading.Thread(target=_exit_when_orphaned, args=(parent, poll),
                              name="creditsim-parent-watch", daemon=True)
    thread.start()


def _stop_quietly(_signum: int, _frame: object) -> None:
    os._exit(130)


def _init_worker(parent: int, stops_on_sigint: bool = True) -> None:
    """Initializer of a worker: exit with the parent, and on Ctrl-C without a traceback.

    Ctrl-C reaches every process of the terminal's foreground group; the parent reports
    what happened, so a worker just stops. A command that ignores Ctrl-C (``stops_on_sigint``
    False: started in the background by a script, or under ``nohup``) keeps its workers
    ignoring it too, as they started: a worker stopped by a signal its command ignores
    would leave the command without it.
    """
    watch_parent(parent)
    if stops_on_sigint:
        signal.signal(signal.SIGINT, _stop_quietly)


class WorkerPool:
    """``workers`` spawned local processes, used as a context manager that always stops them.

    ``with WorkerPool(2) as pool: for i, result in pool.completed(fn, calls): ...`` runs
    ``fn(*calls[i])`` on the workers. Leaving the block, by an error, Ctrl-C or normally,
    cancels the calls not started and ends the workers within bounded waits
    (:meth:`stop`), instead of waiting for queued work as a plain shutdown would.

    Args:
        workers: worker processes (>= 1).
        lost: makes the error raised when a worker ends before its calls are done, from
            the workers' endings (default :class:`WorkerDied`; give a subclass, or a
            ``functools.partial`` of it, to say what the command lost).
    """

    def __init__(self, workers: int,
                 lost: Callable[[list[str]], BaseException] = WorkerDied) -> None:
        stops = signal.getsignal(signal.SIGINT) is not signal.SIG_IGN  # as the command does
        self._pool = ProcessPoolExecutor(max_workers=workers,
                                         mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_init_worker,
                                         initargs=(os.getpid(), stops))
        self._lost = lost
        self._processes: list = []
        self._stopped: list | None = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def completed(self, fn: Callable[..., T], calls: Sequence[tuple],
                  poll: float = WORKER_POLL_S) -> Iterator[tuple[int, T]]:
        """Submit ``fn(*calls[i])`` for every ``i`` and yield ``(i, result)`` as each
        completes (not in order). ``fn`` and its arguments must pickle: ``fn`` a
        module-level function. Call it once per pool.

        Raises:
            WorkerDied: (or what ``lost`` makes) a worker ended before every result was in;
                the results completed until then were yielded first, and the pool is
                stopped. The worker's exit code or signal is in the message.
            Exception: what ``fn`` raised in a worker, as the executor hands it on.
        """
        try:
            # workers start deaf to Ctrl-C (a worker interrupted while it imports dies with
            # a "Fatal Python error"), until their initializer installs its own handler
            with handled(signal.SIGINT, signal.SIG_IGN):
                futures = [self._pool.submit(fn, *args) for args in calls]
            self._processes = _processes_of(self._pool)  # a broken pool forgets them
            index = {fut: i for i, fut in enumerate(futures)}
            for fut in _completed(futures, self._processes, poll):
                yield index[fut], fut.result()
        except BrokenProcessPool as exc:
            raise self._lost(_endings(self.stop())) from exc

    def stop(self) -> list:
        """Stop the pool at once (once; later calls return the same): cancel the calls not
        started, terminate the workers, kill any that outlives :data:`TERMINATE_S`, and
        wait for the pool's managing thread; every wait is bounded by :data:`STOP_S`.
        Returns the worker processes, ended, so that their exit codes are in. Without
        the executor's internals (see the module), a plain graceful shutdown."""
        if self._stopped is None:
            self._stopped = _stop(self._pool, self._processes)
        return self._stopped


def _completed(futures: list[Future], processes: list,
               poll: float = WORKER_POLL_S) -> Iterator[Future]:
    """``futures``, each once, as it completes.

    Raises:
        BrokenProcessPool: a worker of ``processes`` ended before every future completed,
            after the futures completed until then.

    The pool's managing thread marks the futures broken when a worker ends, but not when
    the worker was killed part-way through sending a result bigger than the pipe's buffer:
    that thread then waits for the rest of the message forever (Python 3.11). So the
    workers are watched here too, every ``poll`` seconds.
    """
    finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
    for fut in futures:  # one waiter each, once: a wait() per result would be quadratic
        fut.add_done_callback(finished.put)
    sentinels = [p.sentinel for p in processes]
    for _ in futures:
        done = _next_done(finished, sentinels, poll)
        if done is None or isinstance(done.exception(), BrokenProcessPool):
            raise BrokenProcessPool("a worker process ended before its calls were done")
        yield done


def _next_done(finished: queue.SimpleQueue[Future], sentinels: list,
               poll: float) -> Future | None:
    """The next future of ``finished``, or None once a process of ``sentinels`` has ended
    and none is left."""
    while True:
        try:
            return finished.get(timeout=poll)
        except queue.Empty:
            if connection.wait(sentinels, timeout=0):
                try:
                    return finished.get_nowait()
                except queue.Empty:
                    return None


def _processes_of(pool: ProcessPoolExecutor) -> list:
    """The worker processes ``pool`` holds now (the executor has no public way to name
    them; none known without its ``_processes``)."""
    return list((getattr(pool, "_processes", None) or {}).values())


def _running(processes: list, timeout: float) -> list:
    """Those of ``processes`` still running after at most ``timeout`` seconds (their
    sentinels: unlike ``exitcode``, waiting on them does not reap a process that the
    pool's managing thread may be reaping)."""
    deadline = time.monotonic() + timeout
    left = list(processes)
    while left and (remaining := deadline - time.monotonic()) > 0:
        ended = connection.wait([p.sentinel for p in left], timeout=remaining)
        left = [p for p in left if p.sentinel not in ended]
    return left


def _stop(pool: ProcessPoolExecutor, known: list) -> list:
    """Stop ``pool`` at once: cancel the calls not started, terminate its workers (those
    ``known`` and those it holds now), kill any that outlives :data:`TERMINATE_S`, and wait
    for its managing thread; returns the workers, ended, so that their exit codes are in.
    Every wait is bounded, whatever the workers were doing. Without the executor's
    internals it relies on (see the module), a plain graceful shutdown."""
    # Take the processes, the thread that manages them and the results' pipe before
    # shutdown forgets them.
    processes = list(dict.fromkeys([*known, *_processes_of(pool)]))
    manager = getattr(pool, "_executor_manager_thread", None)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if not hasattr(pool, "_processes") or not hasattr(pool, "_executor_manager_thread") \
            or writer is None:
        pool.shutdown(wait=True, cancel_futures=True)  # not the executor this was written for
        return processes
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    for proc in _running(processes, TERMINATE_S):
        proc.kill()
    _running(processes, STOP_S)
    # A worker killed part-way through sending a result leaves the managing thread reading
    # the rest of it: this process holds the pipe's writing end too, so without closing it
    # that read never meets the pipe's end, and the thread, which the interpreter's exit
    # joins without a timeout, never ends. The thread writes nothing to that pipe.
    writer.close()
    # Wait for that thread to see its workers gone and close its pipe, here: left to
    # the interpreter's exit, its closing races the exit hook that wakes it (Python
    # 3.11's concurrent.futures), which then writes to a closed pipe and prints an
    # "OSError: Bad file descriptor" traceback after the command's own message.
    if manager is not None:
        manager.join(timeout=STOP_S)
    return processes
