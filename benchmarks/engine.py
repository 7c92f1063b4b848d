"""Engine throughput: borrower-months per second of one path of the baseline.

Usage: python benchmarks/engine.py [--sizes 10000 100000] [--repeat 3]

Runs one path (in this process, one core) of configs/baseline.yaml with the book
scaled to each size (new borrowers per month scaled in proportion) and prints the
best of ``--repeat`` timings as borrower-months per second, where borrower-months
are the active accounts summed over the months of the path. BLAS and OpenMP pools are
pinned to one thread (:mod:`threadpoolctl`), as in the run's worker processes: the
vehicle's matrix products would otherwise be split across threads and the figure would
depend on the machine's load. ``creditsim bench`` measures the full model.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from sim.argtypes import whole_number
from sim.config import deep_merge, read_yaml, validate_config
from sim.engine import simulate_path

ROOT = Path(__file__).resolve().parents[1]


def measure(size: int, repeat: int) -> tuple[float, int]:
    base = read_yaml(ROOT / "configs" / "baseline.yaml")
    ratio = base["book"]["new_borrowers_per_month"] / base["book"]["initial_borrowers"]
    book = {"initial_borrowers": size, "new_borrowers_per_month": int(size * ratio)}
    config = validate_config(deep_merge(base, {"book": book}))
    best, months = float("inf"), 0
    with threadpool_limits(limits=1):
        for _ in range(repeat):
            start = time.perf_counter()
            result = simulate_path(config, seed=1, path=0)
            best = min(best, time.perf_counter() - start)
            months = int(result.monthly["active_borrowers"].sum())
    return best, months


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=whole_number(1, "a book size"), nargs="+",
                        default=[10_000, 100_000])
    parser.add_argument("--repeat", type=whole_number(1, "a repeat count"), default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"{'borrowers':>10} {'borrower-months':>16} {'seconds':>8} {'M borrower-months/s':>20}")
    for size in args.sizes:
        seconds, months = measure(size, args.repeat)
        print(f"{size:>10,} {months:>16,} {seconds:>8.2f} {months / seconds / 1e6:>20.2f}")


if __name__ == "__main__":
    main()
