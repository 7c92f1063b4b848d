"""Monte Carlo runner: many independent paths of one configuration.

Path ``i`` of root seed ``s`` is seeded from ``SeedSequence(s).spawn(...)[i]`` alone,
so its result does not depend on which worker runs it or how many workers there are:
the same seed and config give bit-identical tables with 1 worker, 8 workers or a Dask
cluster. Paths run in local processes by default, or on an existing Dask scheduler.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from functools import partial

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from threadpoolctl import threadpool_limits

from sim.cluster import Cluster
from sim.config import RunConfig
from sim.engine import PathResult, simulate_path
from sim.pool import WorkerPool
from sim.store import WorkerLost

ProgressCallback = Callable[[int, int], None]
ChunkCallback = Callable[[list[PathResult]], None]


def _simulate_chunk(config: RunConfig, seed: int, paths: list[int],
                    trace_ids: tuple[int, ...]) -> list[PathResult]:
    # One path is one core's work: BLAS/OpenMP thread pools would only spin beside it
    # (measured: +85 % CPU for the same wall time), and oversubscribe the cores when
    # several workers run side by side.
    with threadpool_limits(limits=1):
        return [simulate_path(config, seed, p, trace_ids) for p in paths]


def _chunks(paths: list[int], size: int) -> list[list[int]]:
    return [paths[lo:lo + size] for lo in range(0, len(paths), size)]


PLAIN_EVERY_S = 60.0
"""Least time between two lines of :class:`PlainProgress` (seconds), besides its tenths."""


class PlainProgress:
    """Progress for a log file or a pipe, where a live bar prints only when the work ends.

    One plain line, ``baseline: 10,000 of 100,000 paths (10 %), 0:05:12 elapsed, ETA
    0:46:48``, when the first path is done, at each tenth of the work, otherwise when
    ``max(every_s, elapsed / 10)``
    has passed since the last line (a minute at first, fewer lines as a long run goes on),
    and one at the end. The ETA is the pace of the paths done since the task was added
    (a resumed run's stored paths do not count). The part of :class:`rich.progress.Progress`
    that :func:`run_paths` and the commands use: ``add_task``, ``update``, ``console``, and
    ``with``.
    """

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic,
                 every_s: float = PLAIN_EVERY_S) -> None:
        self.console = console
        self._clock = clock
        self._every = every_s
        self._tasks: list[dict] = []

    def add_task(self, description: str, total: float | None = None, completed: int = 0,
                 **_: object) -> TaskID:
        now = self._clock()
        self._tasks.append({"description": description, "total": total, "done": completed,
                            "start": now, "first": completed, "last": now, "said": completed,
                            "tenth": self._tenth(completed, total)})
        return TaskID(len(self._tasks) - 1)

    @staticmethod
    def _tenth(done: float, total: float | None) -> int:
        return int(10 * done / total) if total else 0

    def update(self, task: TaskID, *, completed: float | None = None, total: float | None = None,
               description: str | None = None, **_: object) -> None:
        t = self._tasks[task]
        for key, value in (("done", completed), ("total", total), ("description", description)):
            if value is not None:
                t[key] = value
        now = self._clock()
        finished = bool(t["total"]) and t["done"] >= t["total"]
        due = max(self._every, (now - t["start"]) / 10)
        first = t["said"] == t["first"]  # the first path done: the first measured ETA
        if t["done"] != t["said"] and (finished or first or now - t["last"] >= due
                                       or self._tenth(t["done"], t["total"]) > t["tenth"]):
            self._say(t, now)

    def _say(self, t: dict, now: float) -> None:
        def clock(seconds: float) -> str:  # hours unbounded: 44:25:40, not "1 day, 20:25:40"
            minutes, sec = divmod(round(seconds), 60)
            return f"{minutes // 60}:{minutes % 60:02d}:{sec:02d}"

        elapsed, done, total = now - t["start"], t["done"], t["total"]
        share = f" ({done / total:.0%})" if total else ""
        text = f"{t['description']}: {done:,.0f}" + (f" of {total:,.0f}" if total else "") + \
            f" path{'' if (total or done) == 1 else 's'}{share}, {clock(elapsed)} elapsed"
        if total and done < total:
            pace = (done - t["first"]) / elapsed if elapsed > 0 else 0.0
            text += f", ETA {clock((total - done) / pace)}" if pace > 0 else ", ETA unknown"
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)
        t.update(last=now, said=done, tenth=self._tenth(done, total))

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def progress_bar(console: Console | None = None,
                 disable: bool = False) -> Progress | PlainProgress:
    """A bar of paths done, elapsed time and ETA, on ``console`` (default: rich's, stdout).

    When ``console`` is no terminal (output to a file or a pipe), a live bar would print only
    at the end: the bar goes to stderr instead if the default console was asked for and
    stderr is a terminal (``creditsim run ... > out.log``), otherwise progress is written as
    plain lines (:class:`PlainProgress`, on stderr for the default console).
    """
    if not disable and (console is None or not console.is_terminal):
        if console is None and Console().is_terminal:
            console = None  # rich's stdout console: the bar as ever
        else:
            err = console or Console(stderr=True, soft_wrap=True)
            if not err.is_terminal:
                return PlainProgress(err)
            console = err
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("paths"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=disable,
    )


def run_paths(
    config: RunConfig,
    paths: int,
    seed: int,
    workers: int = 1,
    *,
    scheduler: str | None = None,
    trace_ids: Iterable[int] = (),
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
    done: Mapping[int, PathResult] | None = None,
    on_chunk: ChunkCallback | None = None,
) -> list[PathResult]:
    """Simulate paths 0..paths-1 and return their results in path order.

    Args:
        config: validated run configuration.
        paths: number of Monte Carlo paths (>= 1).
        seed: root seed.
        workers: local worker processes (1 runs in this process).
        scheduler: address of a Dask scheduler; when given, paths run on that cluster.
        trace_ids: borrower slots whose every event is recorded in each path's trace.
        progress: show a terminal progress bar with paths done and an ETA.
        on_progress: called with (paths done, paths total) after each chunk.
        done: results already computed (a resumed run), by path; those paths are not
            simulated again. A path's result depends only on (config, seed, path), so
            the returned list is the same as without them.
        on_chunk: called in this process with each chunk's results as it completes,
            before the progress callbacks (the run store saves the chunk there).
    """
    if paths < 1:
        raise ValueError(f"paths must be at least 1, got {paths}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    trace = tuple(int(i) for i in trace_ids)
    results: dict[int, PathResult] = {p: r for p, r in (done or {}).items() if 0 <= p < paths}
    todo = [p for p in range(paths) if p not in results]
    size = max(1, min(8, len(todo) // (4 * workers)))
    chunks = _chunks(todo, size if (workers > 1 or scheduler) else 1)
    bar = progress_bar() if progress else None
    if chunks and not scheduler:  # before the bar's clock starts: its ETA is the paths' pace
        warm_if_cold(config, bar.console if bar is not None else None)
    task = bar.add_task(config.name, total=paths, completed=len(results)) if bar else None

    def finished(chunk_results: list[PathResult]) -> None:
        if on_chunk is not None:
            on_chunk(chunk_results)
        for r in chunk_results:
            results[r.path] = r
        if bar is not None and task is not None:
            bar.update(task, completed=len(results))
        if on_progress is not None:
            on_progress(len(results), paths)

    # a Dask run that lost its scheduler says so and waits: above the bar, or on stderr
    # without one (a quiet run would otherwise hang for the reconnection time in silence)
    console = bar.console if bar is not None else Console(stderr=True)
    say = partial(console.print, markup=False, highlight=False, soft_wrap=True)
    with bar if bar is not None else nullcontext():
        _dispatch(config, seed, chunks, trace, workers, scheduler, finished, say)
    return [results[p] for p in range(paths)]


COMPILING = ("compiling the simulation kernels once for this machine (1-2 minutes; later "
             "runs start at once)")
"""Said before the progress bar when the kernels' cache is cold (:mod:`sim.kernelstate`)."""
COMPILED = "compiled the simulation kernels in {seconds:.0f} s"
"""Said when they are compiled, before the bar starts."""
WARM_UP_BORROWERS = 200
"""Borrowers at launch of the path that compiles the kernels before a run (see
:func:`warm_if_cold`; ``creditsim bench`` loads them with one too): enough to reach every
rule of the config, a fraction of a second of simulation once compiled."""


def warm_up_config(config: RunConfig) -> RunConfig | None:
    """``config`` with a book of :data:`WARM_UP_BORROWERS` at launch (new borrowers in the
    config's ratio to the launch book) over the same months, or None when that book makes
    no valid config. Same rules, deal and types: it compiles the kernels the run will call."""
    from sim.config import ConfigError, with_book_size

    if config.book.initial_borrowers <= WARM_UP_BORROWERS:
        return config
    try:
        return with_book_size(config, WARM_UP_BORROWERS)
    except ConfigError:
        return None


def full_model_warm_up() -> RunConfig:
    """The shipped config with every part of the model on
    (:data:`sim.shipped.FULL_MODEL`: the vehicle, early warning, hardship, the collectors)
    with a book of :data:`WARM_UP_BORROWERS` at launch: a path of it calls the kernels a
    config without those parts never reaches."""
    from sim.config import load_config, with_book_size
    from sim.shipped import FULL_MODEL, resolve_config

    return with_book_size(load_config(resolve_config(FULL_MODEL)), WARM_UP_BORROWERS)


def warm_kernels(config: RunConfig) -> None:
    """Compile (or load) the kernels in this process by simulating one small path of
    :func:`warm_up_config`, then, while the cache is still cold, one of
    :func:`full_model_warm_up`; numba writes the machine code to its cache folder, from
    which worker processes load it at once.

    The second path compiles the kernels of the parts of the model ``config`` leaves off
    (about 30 s more the first time), so that the cache is warm for any config afterwards
    (:func:`sim.kernelstate.kernels_cold` counts every kernel): a later run with the
    vehicle or early warning on neither compiles during its paths nor says again that it
    is compiling. A config with every part on leaves the cache warm after its own path, and
    the second is not run. The results are thrown away: a path's result depends only on
    (config, seed, path), so nothing else changes.
    """
    from sim.kernelstate import kernels_cold

    with threadpool_limits(limits=1):
        _warm_path(warm_up_config(config))
        if kernels_cold():  # the run's config left parts of the model off
            _warm_path(full_model_warm_up())


def _warm_path(config: RunConfig | None) -> None:
    """Simulate path 0 of ``config`` (None: nothing), its result and any error dropped: a
    book this small may break a rule the run's book meets; the run's own paths then report
    real errors."""
    if config is None:
        return
    try:
        simulate_path(config, 0, 0)
    except Exception:  # noqa: BLE001, S110 - see the docstring
        pass


def warm_if_cold(config: RunConfig, console: Console | None = None) -> bool:
    """When the kernels' cache is cold, compile them here before any path runs; returns
    whether it was cold.

    Otherwise the first path of each process compiles for 1-2 minutes: the progress bar's
    ETA would extrapolate that over the whole run, and every local worker would compile
    the same code at once. With ``console`` (a run with a progress bar), a spinner says
    :data:`COMPILING` meanwhile (a plain line when the console is not a terminal) and a
    line gives the time it took. Not for a Dask cluster, whose machines keep their own
    caches.
    """
    from sim.kernelstate import kernels_cold

    if not kernels_cold():
        return False
    started = time.perf_counter()
    if console is None:
        warm_kernels(config)
        return True
    if console.is_terminal:
        with console.status(COMPILING):
            warm_kernels(config)
    else:
        console.print(COMPILING, style="dim", highlight=False)
        warm_kernels(config)
    console.print(COMPILED.format(seconds=time.perf_counter() - started), style="dim",
                  highlight=False)
    return True


def _dispatch(config: RunConfig, seed: int, chunks: list[list[int]], trace: tuple[int, ...],
              workers: int, scheduler: str | None,
              finished: Callable[[list[PathResult]], None],
              say: Callable[[str], None] | None = None) -> None:
    """Run ``chunks`` on the chosen backend, handing each chunk's results to ``finished``
    (``say``: where a Dask run says that it lost its scheduler and waits for it)."""
    if not chunks:
        return
    if scheduler:
        _run_dask(scheduler, config, seed, chunks, trace, finished, say=say)
    elif workers == 1:
        for chunk in chunks:
            finished(_simulate_chunk(config, seed, chunk, trace))
    else:
        _run_local(workers, config, seed, chunks, trace, finished)


def _run_local(workers: int, config: RunConfig, seed: int, chunks: list[list[int]],
               trace: tuple[int, ...], done: Callable[[list[PathResult]], None]) -> None:
    """Chunks on a :class:`sim.pool.WorkerPool` of local processes, stopped at once however
    the run ends.

    Ctrl-C or an error in the parent cancels the chunks not started and terminates the
    workers, instead of waiting for the queued work as a plain ``shutdown`` would. A
    worker that ends before its chunks are done (killed) raises :class:`WorkerLost`,
    once the chunks that completed before are handed to ``done``.
    """
    with WorkerPool(workers, lost=WorkerLost) as pool:
        for _, results in pool.completed(_simulate_chunk,
                                         [(config, seed, c, trace) for c in chunks]):
            done(results)


def _run_dask(address: str, config: RunConfig, seed: int, chunks: list[list[int]],
              trace: tuple[int, ...], done: Callable[[list[PathResult]], None],
              say: Callable[[str], None] | None = None) -> None:
    """Chunks on the Dask scheduler at ``address`` (:class:`sim.cluster.Cluster`).

    A scheduler that stops answering raises :class:`~sim.store.SchedulerLost` unless it is
    back within the client's reconnection time, and a chunk whose Dask workers died as
    often as Dask allows raises :class:`~sim.store.DaskWorkerLost`, once the chunks that
    completed before are handed to ``done``.
    """
    with Cluster(address, say) as cluster:
        for results in cluster.completed(partial(_simulate_chunk, config, seed,
                                                 trace_ids=trace), chunks):
            done(results)


def default_workers() -> int:
    """Worker processes used when none is asked for: the machine's cores."""
    return max(1, os.cpu_count() or 1)
