"""Benchmark: the ABS waterfall on many Monte Carlo paths.

Runs a three-note pro-rata deal with a reserve, senior fees and two triggers on random but
plausible collections (a pool that amortises over the horizon, path-specific default rates
and recoveries) and prints the best of several wall-clock timings for the
array entry point and for the DataFrame entry point.

Usage:
    python benchmarks/waterfall.py [--paths 10000] [--periods 60] [--repeats 5]
    python benchmarks/waterfall.py --against REV [--rounds 3]

``--against REV`` times the waterfall of git revision REV (its own copy of this benchmark, in a
temporary checkout) and of this working tree alternately, ``--rounds`` times each, in separate
processes with BLAS and OpenMP pools limited to one thread, so that both see the same load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.abs import run_waterfall, waterfall_arrays
from sim.argtypes import whole_number
from sim.bench import DEAL, make_collections


def to_frame(arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long table with one row per (path, period)."""
    n_paths, n_periods = arrays["interest"].shape
    return pd.DataFrame(
        {
            "path": np.repeat(np.arange(n_paths), n_periods),
            "period": np.tile(np.arange(1, n_periods + 1), n_paths),
            **{k: v.ravel() for k, v in arrays.items()},
        }
    )


def best_of(repeats: int, func) -> tuple[float, float]:
    """Best wall-clock and best CPU time of `repeats` calls, in seconds.

    The CPU time of this single-threaded code is close to its wall-clock time on an idle
    machine; on a busy one the wall-clock time is larger.
    """
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def _time_tree(root: Path, args: argparse.Namespace) -> str:
    """The array entry point's line of this benchmark run on the code under ``root``."""
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(root)}
    cmd = [sys.executable, str(root / "benchmarks" / "waterfall.py"), "--paths", str(args.paths),
           "--periods", str(args.periods), "--repeats", str(args.repeats)]
    out = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=True)
    return next(line.strip() for line in out.stdout.splitlines() if "waterfall_arrays" in line)


def compare(args: argparse.Namespace) -> None:
    """Time revision ``args.against`` and this tree alternately (see the module docstring)."""
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", args.against, "sim", "benchmarks"],
                                 cwd=here, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        for i in range(args.rounds):
            print(f"round {i + 1}: {args.against}: {_time_tree(Path(tmp), args)}")
            print(f"round {i + 1}: this tree: {_time_tree(here, args)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=whole_number(1, "a path count"), default=10_000)
    parser.add_argument("--periods", type=whole_number(1, "a period count"), default=60)
    parser.add_argument("--repeats", type=whole_number(1, "a repeat count"), default=5)
    parser.add_argument("--against", help="git revision to time alternately with this tree")
    parser.add_argument("--rounds", type=whole_number(1, "a round count"), default=3)
    args = parser.parse_args()
    if args.against:
        compare(args)
        return
    arrays = make_collections(args.paths, args.periods)
    frame = to_frame(arrays)
    size = f"{args.paths} paths x {args.periods} periods x {len(DEAL['notes'])} notes"
    runs = {
        "waterfall_arrays": lambda: waterfall_arrays(DEAL, arrays),
        "run_waterfall (DataFrames in and out)": lambda: run_waterfall(DEAL, frame),
    }
    print(f"{size}, best of {args.repeats}:")
    for name, func in runs.items():
        wall, cpu = best_of(args.repeats, func)
        print(f"  {name}: {wall:.3f} s wall-clock, {cpu:.3f} s CPU")


if __name__ == "__main__":
    main()
