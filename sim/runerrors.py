"""The run store's errors: a run that cannot be read, and a run stopped before it was stored.

A folder that is not a complete run is :class:`RunNotFound`: its manifest unreadable
(:class:`CorruptRun`), a table changed after the run was written (:class:`DamagedRun`), or a
run stopped before its manifest was written (:class:`IncompleteRun`). A run simulated into
the store that stops early says so with :class:`RunInterrupted` (Ctrl-C) or :class:`RunLost`
(what ran its paths was lost); the paths it stored stay in its folder, to continue with
``creditsim run --resume``. All of them are importable from :mod:`sim.store`.
"""

from __future__ import annotations

from pathlib import Path

from sim.pool import WorkerDied
from sim.wording import numbers_text

__all__ = ["DASK_MEMORY_HINT", "CorruptRun", "DamagedRun", "DaskWorkerLost", "IncompleteRun",
           "RunInterrupted", "RunLost", "RunNotFound", "SchedulerLost", "WorkerLost"]


class RunNotFound(FileNotFoundError):
    """A run folder that does not exist or is not a complete run."""


class CorruptRun(RunNotFound):
    """A run folder whose manifest is unreadable or does not fit :class:`sim.manifest.Manifest`."""


class DamagedRun(CorruptRun, ValueError):
    """A run folder with a table that is not the file the run wrote (its SHA-256 is not the
    manifest's), cannot be read, or does not fit the store's contract (:mod:`sim.tables`)
    and the manifest: it lacks a column every run has, has no rows, or holds other paths
    than the run's. A ``ValueError`` too, as any bad input is."""


class IncompleteRun(RunNotFound):
    """A run folder whose run was stopped before it finished (no manifest yet)."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run simulated into the store; ``folder`` keeps the paths done."""

    def __init__(self, folder: Path, done: int, total: int):
        super().__init__(f"interrupted with {done} of {total} paths stored in {folder}")
        self.folder, self.done, self.total = folder, done, total


DASK_MEMORY_HINT = "give the cluster's workers more memory each, or fewer threads"
"""What :class:`DaskWorkerLost` suggests against a worker killed for its memory (by the
system's out-of-memory killer or its Dask nanny's memory limit)."""


def _kept(folder: object, done: int, total: int, elsewhere: str = "") -> str:
    """The end of a lost run's message: no run was written, and, once known, which folder
    keeps the ``done`` paths of ``total`` and the command that continues them
    (``elsewhere``: what else it may take, after the command)."""
    outcome = "; no run was written"
    if folder is not None and done:
        outcome += (f" ({done} of {total} paths are kept in {folder}: continue with "
                    f"'creditsim run --resume {folder}'{elsewhere})")
    return outcome


class RunLost(RuntimeError):
    """What ran a run's paths was lost before they were done: a local worker process
    (:class:`WorkerLost`), a Dask worker (:class:`DaskWorkerLost`) or the Dask scheduler
    (:class:`SchedulerLost`). The run stops; the paths already stored stay in its folder,
    to continue with ``creditsim run --resume``. The message is one line: what was lost,
    what to do, and what the run kept.

    Attributes:
        folder, done, total: the run's folder and the paths stored in it of ``total``,
            once the run that stored them knows them (:meth:`kept_in`); None before.
    """

    folder: object = None
    done: int = 0
    total: int = 0

    def kept_in(self, folder: object, done: int, total: int) -> RunLost:
        """The same loss, saying where the ``done`` paths of ``total`` are kept."""
        raise NotImplementedError


class WorkerLost(WorkerDied, RunLost):
    """A local worker process ended before its paths were done: killed (``kill``, the
    system's out-of-memory killer), or stopped by a Ctrl-C that its run ignores (a run
    started in the background by a script). See :class:`RunLost`.

    Attributes:
        endings: how each worker that had ended did (``"signal SIGKILL"``, ``"exit code
            1"``), in the order the pool started them.
    """

    def __init__(self, endings: list[str], folder: object = None, done: int = 0,
                 total: int = 0):
        self.folder, self.done, self.total = folder, done, total
        super().__init__(endings, "its paths were done", outcome=_kept(folder, done, total))

    def kept_in(self, folder: object, done: int, total: int) -> WorkerLost:
        return WorkerLost(self.endings, folder, done, total)


class SchedulerLost(RunLost):
    """The Dask scheduler a run's paths were sent to stopped answering (killed, its machine
    or the network down) and the client could not reconnect in time, or it cancelled the
    run's chunks itself (a restart). See :class:`RunLost`; the paths kept may be continued
    on a cluster again or locally.

    Attributes:
        address: the scheduler's address.
        why: what it did, after its address (``"stopped answering"``).
        detail: said in brackets after it (``"the client could not reconnect ..."``).
    """

    def __init__(self, address: str, why: str = "stopped answering", detail: str = "",
                 folder: object = None, done: int = 0, total: int = 0):
        self.address, self.why, self.detail = address, why, detail
        self.folder, self.done, self.total = folder, done, total
        super().__init__(f"the Dask scheduler at {address} {why} before the paths were done"
                         + (f" ({detail})" if detail else "")
                         + _kept(folder, done, total, f", with --scheduler {address} once "
                                 "the scheduler is back, or without it to run them locally"))

    def kept_in(self, folder: object, done: int, total: int) -> SchedulerLost:
        return SchedulerLost(self.address, self.why, self.detail, folder, done, total)


class DaskWorkerLost(RunLost):
    """The Dask workers that ran a chunk of paths died while running it, as many times as
    Dask allows (``distributed.scheduler.allowed-failures`` retries: Dask's
    ``KilledWorker``), most often killed for their memory. See :class:`RunLost`.

    Attributes:
        address: the scheduler's address.
        paths: the chunk's paths (None: not known).
        tries: how many workers died running it.
        last: the address of the last of them (None: not known).
    """

    def __init__(self, address: str, paths: list[int] | None, tries: int,
                 last: str | None = None, folder: object = None, done: int = 0,
                 total: int = 0):
        self.address, self.paths, self.tries, self.last = address, paths, tries, last
        self.folder, self.done, self.total = folder, done, total
        what = (f"path{'' if len(paths) == 1 else 's'} {numbers_text(paths)}" if paths
                else "the run's paths")
        died = f"a Dask worker died running {what}" + (f", on each of {tries} tries"
                                                       if tries > 1 else "")
        at = f"{'the last ' if tries > 1 else ''}at {last}; " if last else ""
        super().__init__(f"{died} ({at}a worker killed for its memory is the usual cause: "
                         f"{DASK_MEMORY_HINT})"
                         + _kept(folder, done, total, f", on the cluster again with "
                                 f"--scheduler {address} or locally without it"))

    def kept_in(self, folder: object, done: int, total: int) -> DaskWorkerLost:
        return DaskWorkerLost(self.address, self.paths, self.tries, self.last, folder, done,
                              total)
