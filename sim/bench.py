"""``creditsim bench``: how fast the model runs, how much memory it holds, on this machine.

The workload is the full model: ``configs/early_warning.yaml`` (the baseline book with
income shocks and unemployment spells, instalment plans, the collection ladder with
human collectors, hardship programmes, the securitisation vehicle, plus the early-warning
model). One path of it is timed with the vectorised engine at each book size (new
borrowers per month scaled with the book), and with the per-borrower reference engine
(:func:`sim.reference.simulate_reference`) at a small size, when that engine is there.
Every measurement runs in a fresh process with BLAS/OpenMP pools pinned to one thread
(:mod:`threadpoolctl`), so that its peak resident memory (``getrusage``) is its own and
no library thread runs beside it.

Measures: borrower-months per second (active accounts summed over the path's months,
divided by the path's wall-clock seconds), the vectorised engine's speed-up over the
reference (at the headline size, 100,000 borrowers when measured), bytes of per-borrower
state (every array of a path's simulation whose shape has one axis per borrower slot,
summed and divided by the slots), and the waterfall's path-periods per second on
10,000 paths x 60 periods x 3 notes (:func:`sim.abs.waterfall_arrays`).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sim.kernels.layout import TABLE_FIELDS
from sim.pool import WorkerDied, WorkerPool
from sim.shippedfiles import FULL_MODEL

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
HEADLINE_SIZE = 100_000
SMALL_SIZE = 10_000
REFERENCE_SIZE = 1_000
WATERFALL_SHAPE = (10_000, 60)
CONFIG = FULL_MODEL
"""The shipped config with every part of the model on (see the module docstring)."""
Step = Callable[[], None]

DEAL: dict[str, Any] = {
    "notes": [
        {"name": "A", "balance": 80e6, "coupon": 0.04},
        {"name": "B", "balance": 12e6, "coupon": 0.07},
        {"name": "C", "balance": 8e6, "coupon": 0.11},
    ],
    "senior_fee_rate": 0.01,
    "reserve": {"initial_pct": 0.01, "target_pct": 0.01},
    "principal": "pro_rata",
    "triggers": [
        {"type": "cumulative_default_ratio", "threshold": 0.08},
        {"type": "excess_spread", "threshold": 0.0},
    ],
}
"""Three notes, pro rata, a reserve, senior fees and two triggers: the waterfall workload."""


def make_collections(n_paths: int, n_periods: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Random but plausible pool collections shaped (paths, periods), in currency units.

    A 102 M pool amortises over the horizon with a path-specific monthly default rate
    (log-normal around 0.2 %), monthly shocks, recoveries of 10-40 % of defaults and an
    18 % APR.
    """
    rng = np.random.default_rng(seed)
    pool = np.empty((n_paths, n_periods))
    principal = np.empty_like(pool)
    defaults = np.empty_like(pool)
    monthly_pd = rng.lognormal(np.log(0.002), 0.6, size=(n_paths, 1))
    balance = np.full(n_paths, 102e6)
    for t in range(n_periods):
        pool[:, t] = balance
        shock = rng.lognormal(0.0, 0.3, size=n_paths)
        defaults[:, t] = balance * np.minimum(monthly_pd[:, 0] * shock, 0.2)
        share = np.minimum(rng.uniform(0.8, 1.2, size=n_paths) / (n_periods - t), 1.0)
        principal[:, t] = (balance - defaults[:, t]) * share
        balance = balance - principal[:, t] - defaults[:, t]
    apr = rng.normal(0.18, 0.01, size=(n_paths, 1))
    return {
        "pool_balance_begin": pool,
        "interest": pool * apr / 12.0,
        "principal": principal,
        "recoveries": defaults * rng.uniform(0.1, 0.4, size=pool.shape),
        "defaults": defaults,
    }


@dataclass
class Measure:
    """One timed path: engine, borrowers at launch, borrower-months, wall-clock and CPU
    seconds of the path, peak RSS of its process (MB)."""

    engine: str
    borrowers: int
    borrower_months: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float = float("nan")

    @property
    def rate(self) -> float:
        """Borrower-months per wall-clock second."""
        return self.borrower_months / self.seconds if self.seconds > 0 else float("nan")

    @property
    def cpu_rate(self) -> float:
        """Borrower-months per CPU second (less sensitive to other jobs on the machine)."""
        return (self.borrower_months / self.cpu_seconds if self.cpu_seconds > 0
                else float("nan"))


@dataclass
class BenchResult:
    """Everything ``creditsim bench`` measured."""

    config: str
    months: int
    engine: list[Measure] = field(default_factory=list)
    reference: Measure | None = None
    reference_note: str = ""
    bytes_per_borrower: float = float("nan")
    state_by_part: dict[str, float] = field(default_factory=dict)
    waterfall_seconds: float = float("nan")
    waterfall_shape: tuple[int, int, int] = (0, 0, 0)
    machine: dict[str, Any] = field(default_factory=dict)

    def rate_at(self, size: int) -> float | None:
        """The vectorised engine's borrower-months per second at ``size``, if measured."""
        return next((m.rate for m in self.engine if m.borrowers == size), None)

    @property
    def headline(self) -> Measure | None:
        """The measure at 100,000 borrowers, else at the largest size measured."""
        exact = [m for m in self.engine if m.borrowers == HEADLINE_SIZE]
        return exact[0] if exact else max(self.engine, key=lambda m: m.borrowers, default=None)

    @property
    def speedup(self) -> float | None:
        """Headline vectorised rate over the reference engine's rate (None without one)."""
        if self.reference is None or self.headline is None:
            return None
        return self.headline.rate / self.reference.rate

    @property
    def waterfall_rate(self) -> float:
        """Path-periods per second of the waterfall."""
        paths, periods, _ = self.waterfall_shape
        return paths * periods / self.waterfall_seconds

    def as_json(self) -> dict[str, Any]:
        """The JSON object of ``creditsim bench --json`` (keys in the module docstring)."""
        head = self.headline
        return {
            "borrower_months_per_s": head.rate if head else None,
            "borrower_months_per_s_size": head.borrowers if head else None,
            "borrower_months_per_s_10k": self.rate_at(SMALL_SIZE),
            "reference_borrower_months_per_s": self.reference.rate if self.reference else None,
            "reference_size": self.reference.borrowers if self.reference else None,
            "reference_note": self.reference_note,
            "speedup": self.speedup,
            "bytes_per_borrower": self.bytes_per_borrower,
            "state_bytes_per_borrower_by_part": self.state_by_part,
            "waterfall_path_periods_per_s": self.waterfall_rate,
            "waterfall_shape": list(self.waterfall_shape),
            "engine": [_measure_json(m) for m in self.engine],
            "reference": _measure_json(self.reference) if self.reference else None,
            "config": self.config, "months": self.months, "machine": self.machine,
        }


def _measure_json(m: Measure) -> dict[str, Any]:
    return dict(asdict(m), borrower_months_per_s=m.rate, borrower_months_per_cpu_s=m.cpu_rate)


def bench_config(size: int, months: int | None = None, config: str = CONFIG):  # noqa: ANN201
    """The bench config with ``size`` borrowers at launch (a validated RunConfig).

    New borrowers per month keep the config's ratio to the launch book; ``months``
    replaces the horizon when given.

    Raises:
        ConfigError: the sizes or months do not make a valid config (the message names
            the key).
    """
    from sim.config import load_config, with_book_size
    from sim.shipped import resolve_config

    return with_book_size(load_config(resolve_config(config)), size, months)


def _peak_rss_mb() -> float:
    """This process's peak resident memory (MB).

    On Linux, ``VmHWM`` of /proc/self/status: ``ru_maxrss`` keeps the parent's resident
    size at the fork across the exec of a fresh worker, so it would count the parent too.
    """
    import resource

    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status
                        if line.startswith("VmHWM")) / 1024.0
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1024.0 if platform.system() != "Darwin" else peak / 2**20


def _time_path(engine: str, size: int, months: int | None, config: str,
               repeat: int) -> Measure:
    """Worker: best of ``repeat`` timings of one path (runs in a fresh process).

    The vectorised engine first runs a warm-up path of
    :data:`sim.montecarlo.WARM_UP_BORROWERS` borrowers over the same months, untimed: it loads
    the compiled kernels from their cache (about 0.8 s CPU once per process, 35-40 s the first
    time after a change to ``sim/kernels``), a one-off cost like an import, not the engine's
    work per borrower-month.
    """
    from threadpoolctl import threadpool_limits

    from sim.montecarlo import WARM_UP_BORROWERS

    cfg = bench_config(size, months, config)
    if cfg.early_warning.enabled:  # the path loads scikit-learn when it fits its model: a
        import sklearn.linear_model  # noqa: F401 - one-off import, not the engine's work
    if engine == "reference":
        from sim.reference import simulate_reference as simulate
    else:
        from sim.engine import simulate_path as simulate
    best, best_cpu, months_done = float("inf"), float("inf"), 0
    with threadpool_limits(limits=1):
        if engine != "reference":
            simulate(bench_config(WARM_UP_BORROWERS, months, config), 1, 0)
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            result = simulate(cfg, 1, 0)
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - cpu)
            months_done = int(np.asarray(result.monthly["active_borrowers"]).sum())
    return Measure(engine, size, months_done, best, _peak_rss_mb(), best_cpu)


def state_bytes(size: int, months: int | None = None, config: str = CONFIG
                ) -> tuple[float, dict[str, float]]:
    """Bytes of per-borrower state: arrays of a path's simulation with a borrower-slot axis.

    Builds and runs the simulation of one path (its arrays are allocated for every slot the
    book can reach; the ledger's arrears table and the ladder's table of worked accounts
    grow with the accounts in arrears and worked, so they are counted at the end of the
    path, at their largest) and sums ``nbytes`` of every array reachable from it (but the
    event outcomes of :data:`OUTCOMES`), through attributes, dicts and lists, whose shape
    has an axis of length ``capacity``, plus the arrears table and the ladder's table
    (:data:`LADDER_TABLE`); divides by ``capacity``. Returns the total and the share of
    each top-level part (``pool``, ``platform``, ``collections``...), in bytes per slot.
    """
    from threadpoolctl import threadpool_limits

    from sim.engine import PathSimulation

    cfg = bench_config(size, months, config)
    sim = PathSimulation(cfg, 1, 0)
    with threadpool_limits(limits=1):
        sim.run()
    slots, seen = cfg.capacity, set[int]()
    ledger = sim.platform.ledger
    _, _, table, book = ledger.bills()
    seen.update((id(table), id(book)))  # counted here, whatever their length
    arrears = table.nbytes + book.nbytes
    ladder = sim.collections.state  # the table of worked accounts and its book of rows
    worked = [getattr(ladder, name) for name in LADDER_TABLE]
    seen.update(map(id, worked))
    ladder_bytes = sum(a.nbytes for a in worked)
    parts: dict[str, float] = {}
    for name, value in vars(sim).items():
        if name in OUTCOMES:
            continue
        total = _array_bytes(value, slots, seen, depth=0)
        if total:
            label = STATE_LABELS.get(name, name)
            parts[label] = parts.get(label, 0.0) + total / slots
    parts["platform"] = parts.get("platform", 0.0) + arrears / slots
    parts["collections"] = parts.get("collections", 0.0) + ladder_bytes / slots
    return sum(parts.values()), dict(sorted(parts.items(), key=lambda kv: -kv[1]))


LADDER_TABLE = ("rows", *TABLE_FIELDS)
"""The fields of :class:`sim.kernels.layout.State` with a row axis (the ladder's table of
worked accounts, grown as needed) rather than a slot axis: :func:`state_bytes` counts them
at the end of the path, at their largest."""

OUTCOMES = frozenset({"last_due", "last_purchases"})
"""The engine's records of the last event's outcomes, handed to observers (the due date's
owed, paid and days past due; the month's purchases): results of an event, replaced by the
next, not state a borrower carries, so :func:`state_bytes` does not count them."""

STATE_LABELS = {
    "_last_bucket": "roll-rate records",
    "_last_balance": "roll-rate records",
    "_redefault": "re-default records",
}
"""Readable names of the engine's own per-slot bookkeeping in the state breakdown (the
agents keep their names: pool, platform, collections, listeners)."""


def _array_bytes(obj: object, slots: int, seen: set[int], depth: int) -> int:
    if id(obj) in seen or depth > 5:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.nbytes if slots in obj.shape else 0
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, list | tuple):
        children = list(obj)
    elif type(obj).__module__.startswith("sim.") and hasattr(obj, "__dict__"):
        children = list(vars(obj).values())
    else:
        return 0
    return sum(_array_bytes(c, slots, seen, depth + 1) for c in children)


def time_waterfall(paths: int, periods: int, repeat: int = 5) -> float:
    """Best of ``repeat`` wall-clock seconds of :func:`sim.abs.waterfall_arrays` on
    :data:`DEAL` and :func:`make_collections` (``paths`` x ``periods``), one BLAS thread."""
    from threadpoolctl import threadpool_limits

    from sim.abs import waterfall_arrays

    arrays = make_collections(paths, periods)
    best = float("inf")
    with threadpool_limits(limits=1):
        for _ in range(repeat):
            start = time.perf_counter()
            waterfall_arrays(DEAL, arrays)
            best = min(best, time.perf_counter() - start)
    return best


def reference_available() -> str:
    """Empty when :mod:`sim.reference` imports; else why the reference engine is left out."""
    try:
        import sim.reference  # noqa: F401
    except ImportError as exc:
        return f"the reference engine is not available ({exc}); no speed-up is reported"
    return ""


def machine() -> dict[str, Any]:
    """Where the figures come from: CPU, cores, load average, Python and numpy versions."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {"machine": platform.machine(), "processor": platform.processor() or "unknown",
            "cores": os.cpu_count(), "load_average": [round(x, 2) for x in load],
            "python": platform.python_version(), "numpy": np.__version__}


def check_bench(sizes: tuple[int, ...], months: int | None, reference_size: int,
                config: str) -> None:
    """Refuse a config or sizes the bench cannot time, before any work (and before the
    command draws its progress bar).

    Raises:
        ConfigError: ``config`` is neither a file nor a shipped config's name, or a size or
            horizon makes an invalid config (the message names the option).
    """
    from sim.config import ConfigError
    from sim.shipped import resolve_config

    resolve_config(config)  # a missing config: its own message
    for size in (*sizes, reference_size):
        try:
            bench_config(size, months, config)
        except ConfigError as exc:  # say which of the bench's options made the config invalid
            given = f"--sizes {size}" if size in sizes else f"--reference-size {size}"
            given += f" and --months {months}" if months is not None else ""
            raise ConfigError(f"bench of {config} at {given}: {exc}") from None


def run_bench(sizes: tuple[int, ...] = DEFAULT_SIZES, *, months: int | None = None,
              reference_size: int = REFERENCE_SIZE, repeat: int = 1,
              waterfall: tuple[int, int] = WATERFALL_SHAPE, config: str = CONFIG,
              on_step: Callable[[str, int, int], None] | None = None) -> BenchResult:
    """Run every measurement and return them (see the module docstring).

    Args:
        sizes: book sizes (borrowers at launch) for the vectorised engine.
        months: horizon override (default: the config's).
        reference_size: borrowers for the reference engine's path.
        repeat: timings per engine measurement (the best is kept).
        waterfall: (paths, periods) of the waterfall workload (3 notes).
        config: shipped config name or YAML path.
        on_step: called with (description, steps done, steps total) before each step.

    Raises:
        ConfigError: a size or horizon that makes an invalid config.
        WorkerDied: a measuring process ended before its measurement was done (killed):
            one line saying how and what to do (:func:`workers_lost`).
    """
    check_bench(sizes, months, reference_size, config)  # bad input before any timing
    note = reference_available()
    result = BenchResult(config=config, months=bench_config(min(sizes), months, config)
                         .book.horizon_months, reference_note=note, machine=machine())
    steps = _plan(result, sizes, months, reference_size, repeat, waterfall, config)
    for i, (label, step) in enumerate(steps):
        if on_step is not None:
            on_step(label, i, len(steps))
        step()
    if on_step is not None:
        on_step("done", len(steps), len(steps))
    result.machine["load_average_end"] = machine()["load_average"]
    return result


def workers_lost(endings: list[str]) -> WorkerDied:
    """The error of a bench whose measuring process ended before its measurement was done
    (``endings``: how it ended, as :class:`sim.pool.WorkerDied` has them)."""
    return WorkerDied(endings, "its measurement was done",
                      hint="smaller --sizes or --reference-size need less memory",
                      outcome="; the bench stopped and reported nothing")


def _plan(result: BenchResult, sizes: tuple[int, ...], months: int | None,
          reference_size: int, repeat: int, waterfall: tuple[int, int],
          config: str) -> list[tuple[str, Step]]:
    """The measurements of :func:`run_bench`, in order, each filling ``result``."""
    steps: list[tuple[str, Step]] = []

    def in_fresh_process(engine: str, size: int) -> Measure:
        with WorkerPool(1, lost=workers_lost) as pool:
            [(_, measure)] = pool.completed(_time_path,
                                            [(engine, size, months, config, repeat)])
            return measure

    def vectorised(size: int) -> Step:
        return lambda: result.engine.append(in_fresh_process("vectorised", size))

    steps += [(f"vectorised engine, {size:,} borrowers", vectorised(size)) for size in sizes]

    def reference() -> None:
        try:
            result.reference = in_fresh_process("reference", reference_size)
        except WorkerDied:  # killed from outside (out of memory): not the engine's failure
            raise
        except Exception as exc:  # noqa: BLE001 - reported, and left out of the ratio
            result.reference_note = (f"the reference engine failed ({type(exc).__name__}: "
                                     f"{exc}); no speed-up is reported")

    if not result.reference_note:
        steps.append((f"reference engine, {reference_size:,} borrowers", reference))

    def state() -> None:
        result.bytes_per_borrower, result.state_by_part = state_bytes(min(sizes), months, config)

    def water() -> None:
        result.waterfall_seconds = time_waterfall(*waterfall)
        result.waterfall_shape = (*waterfall, len(DEAL["notes"]))

    steps += [("state bytes per borrower", state),
              (f"waterfall, {waterfall[0]:,} paths x {waterfall[1]} periods", water)]
    return steps


def bench_tables(result: BenchResult) -> list:  # noqa: ANN001 - rich renderables
    """The printed report: a table of timed paths and a table of the other figures."""
    from sim.richtables import WholeTable

    timed = WholeTable(title=f"one path of {result.config} ({result.months} months), "
                             "BLAS pinned to one thread, each in a fresh process after an "
                             "untimed warm-up path that loads the compiled kernels")
    for col in ("engine", "borrowers", "borrower-months", "seconds", "M borrower-months/s",
                "CPU s", "M per CPU s", "peak RSS MB"):
        timed.add_column(col, justify="left" if col == "engine" else "right")
    rows = [*result.engine, *([result.reference] if result.reference else [])]
    for m in rows:
        timed.add_row(m.engine, f"{m.borrowers:,}", f"{m.borrower_months:,}",
                      f"{m.seconds:.2f}", f"{m.rate / 1e6:.3f}", f"{m.cpu_seconds:.2f}",
                      f"{m.cpu_rate / 1e6:.3f}", f"{m.peak_rss_mb:,.0f}")
    facts = WholeTable(title="figures", show_header=False)
    facts.add_column("measure")
    facts.add_column("value", justify="right")
    head, ref = result.headline, result.reference
    if result.speedup is not None and head is not None and ref is not None:
        facts.add_row(f"speed-up over the reference engine ({head.borrowers:,} vs "
                      f"{ref.borrowers:,} borrowers)", f"{result.speedup:,.1f} x")
    else:
        facts.add_row("speed-up over the reference engine", "n/a")
    facts.add_row("state bytes per borrower slot", f"{result.bytes_per_borrower:,.0f}")
    for part, size in result.state_by_part.items():
        facts.add_row(f"  of which {part}", f"{size:,.0f}")
    paths, periods, notes = result.waterfall_shape
    facts.add_row(f"waterfall path-periods/s ({paths:,} paths x {periods} periods x {notes} "
                  f"notes: {result.waterfall_seconds:.3f} s)", f"{result.waterfall_rate:,.0f}")
    load = result.machine.get("load_average", [])
    facts.add_row("machine", f"{result.machine.get('cores')} cores "
                  f"{result.machine.get('machine')}, load {load[0] if load else '?'}, "
                  f"python {result.machine.get('python')}, numpy {result.machine.get('numpy')}")
    return [timed, facts]
