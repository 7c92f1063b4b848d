"""What a large run will cost, said before it starts: time from borrower-months, memory from
the book's borrower slots, disk from path-months.

A path's work grows with its borrowers and months: the engine's speed is counted in
borrower-months per second (``creditsim bench``). The estimate counts borrower slot-months
(each borrower from the month it joins the book to the horizon: an upper bound of the active
borrower-months the run will record) and divides by a speed measured where possible: the
runs already in the run store (their manifests' ``borrower_months`` and simulation time, on
this machine, at its load then), otherwise the figure of docs/BENCHMARKS.md for an idle
machine. Disk grows with paths and months (the tables hold one row per path and month, or
per path, month and note), estimated from the stored runs' folders, otherwise from a measured
figure. The estimate informs; it never stops a run, and the progress line's ETA, from the
paths actually done, replaces it as soon as paths finish.
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass
from pathlib import Path

from sim.config import RunConfig

__all__ = ["LARGE_SLOT_MONTHS", "Estimate", "estimate_run", "slot_months"]

LARGE_SLOT_MONTHS = 500_000_000
"""Borrower slot-months above which a run is announced with its estimate (at the idle
machine's speed, about 3.3 minutes of one worker)."""

IDLE_RATE = 2.5e6
"""Borrower-months per second of one worker on an idle machine (docs/BENCHMARKS.md, 5 December
2026: ``creditsim bench`` 1.99-2.00 M at 10k borrowers, 2.65-2.80 M at 100k; a run of 1,000
paths of 100k borrowers on 2 workers did 2.65 M active borrower-months a CPU-second)."""

BYTES_PER_PATH_MONTH = 2_100
"""Run-store bytes per path and month, measured on the baseline config with its deal (20
paths of 60 months: 2.45 MB)."""

STORED_RUNS = 20
"""The most recent stored runs whose speed and size are read."""

WORKER_BASE_BYTES = 355e6
PEAK_BYTES_PER_SLOT = 482.0
"""A worker's peak memory: ``WORKER_BASE_BYTES + PEAK_BYTES_PER_SLOT x borrower slots``
(the book's capacity), fitted to the peaks `creditsim bench` measured on its config (early
warning on, 36 months; docs/BENCHMARKS.md, 3 December 2026): 445 MB at 187,500 slots and
1,262 MB at 1,875,000; the fit gives 364 MB at 18,750, where 362-369 MB were measured."""

MEMORY_SHARE = 0.8
"""Share of the machine's memory above which the estimate says the workers may not fit."""


@dataclass(frozen=True)
class Estimate:
    """A run's estimated cost.

    Attributes:
        slot_months: Borrower slot-months of the whole run.
        seconds: Estimated simulation time (seconds) with the run's workers.
        disk_bytes: Estimated size of the stored run.
        basis: Where the speed and size come from, in words.
        paths, workers: The run's.
    """

    slot_months: int
    seconds: float
    disk_bytes: float
    basis: str
    paths: int
    workers: int
    worker_bytes: float = 0.0
    machine_bytes: float | None = None

    def text(self) -> str:
        """One paragraph for the terminal."""
        plural = "s" if self.paths != 1 else ""
        workers = f"{self.workers} worker{'s' if self.workers != 1 else ''}"
        memory = ""
        if self.worker_bytes:
            total = self.worker_bytes * self.workers
            beside = " ".join(part for part in (
                f"{_size(total)} in all" if self.workers > 1 else "",
                f"of this machine's {_size(self.machine_bytes)}" if self.machine_bytes else "",
            ) if part)
            memory = f", about {_size(self.worker_bytes)} of memory a worker" + (
                f" ({beside})" if beside else "")
            if self.machine_bytes and total > MEMORY_SHARE * self.machine_bytes:
                memory += (": more than this machine can hold with room to spare; fewer "
                           "--workers need less")
        return (f"estimate: {self.paths:,} path{plural} of up to {self.slot_months:,} "
                f"borrower-months in all: about {_duration(self.seconds)} with {workers}"
                f"{memory}, and {_size(self.disk_bytes)} on disk ({self.basis}). The run "
                "starts now; the progress line's ETA, from the paths done, replaces this "
                "figure.")


def machine_memory() -> float | None:
    """This machine's physical memory in bytes; None where the system does not say."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def slot_months(config: RunConfig, paths: int) -> int:
    """Borrower slot-months of ``paths`` paths: each borrower from the month they join to the
    horizon (the launch book for every month, each month's newcomers for the months left)."""
    book = config.book
    months = book.horizon_months
    per_path = book.initial_borrowers * months + book.new_borrowers_per_month * (
        months * (months - 1) // 2)
    return per_path * paths


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} bytes"


def _stored(store: Path) -> tuple[list[float], list[float]]:
    """Speeds (borrower-months per second per worker) and sizes (bytes per path-month) of
    the most recent complete runs in ``store``."""
    speeds: list[float] = []
    sizes: list[float] = []
    try:
        folders = sorted((p for p in store.iterdir() if (p / "manifest.json").is_file()),
                         reverse=True)[:STORED_RUNS]  # run ids begin with the date
    except OSError:
        return speeds, sizes
    cores = os.cpu_count() or 1
    for folder in folders:
        try:
            m = json.loads((folder / "manifest.json").read_text())
            seconds = float(m["timings"]["simulate_s"])
            months = int(m["config"]["book"]["horizon_months"])
            bm, paths, workers = int(m["borrower_months"]), int(m["paths"]), int(m["workers"])
            if bm > 0 and seconds > 1.0:
                speeds.append(bm / (seconds * max(1, min(workers, cores))))
            if paths > 0 and months > 0:
                size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
                sizes.append(size / (paths * months))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return speeds, sizes


def estimate_run(config: RunConfig, paths: int, workers: int = 1,
                 store: str | Path | None = None,
                 threshold: int = LARGE_SLOT_MONTHS) -> Estimate | None:
    """The cost of running ``paths`` paths of ``config``, or None below ``threshold``
    borrower slot-months (a run too small to announce).

    Args:
        config: The run's config.
        paths: Its paths.
        workers: Its local worker processes (at most the machine's cores count).
        store: The run store it writes to: its stored runs give the speed and size measured
            on this machine, when it has some.
        threshold: Borrower slot-months from which a run is announced.
    """
    work = slot_months(config, paths)
    if work < threshold:
        return None
    speeds, sizes = _stored(Path(store)) if store is not None else ([], [])
    if speeds:
        rate = statistics.median(speeds)
        basis = (f"at {rate / 1e6:.2f} M borrower-months/s a worker, the median of "
                 f"{len(speeds)} run{'s' if len(speeds) != 1 else ''} in {store}")
    else:
        rate = IDLE_RATE
        basis = (f"at {IDLE_RATE / 1e6:g} M borrower-months/s a worker, an idle machine's speed "
                 "(docs/BENCHMARKS.md); a busy machine is slower")
    per_path_month = statistics.median(sizes) if sizes else BYTES_PER_PATH_MONTH
    basis += ("; disk from the stored runs' size per path-month" if sizes else
              "; disk at 2.1 kB per path-month, the baseline config's")
    used = max(1, min(workers, os.cpu_count() or 1))
    return Estimate(work, work / (rate * used), per_path_month * paths
                    * config.book.horizon_months, basis, paths, workers,
                    WORKER_BASE_BYTES + PEAK_BYTES_PER_SLOT * config.capacity, machine_memory())
