"""How long the dashboard takes to open a run of 1,000 paths × 60 months.

Builds (or reuses) such a run, then times what opening it costs the server: reading
its Parquet tables and aggregating them across paths (``RunStore.load``), building
every Portfolio-page figure, and the size of the JSON those figures send to the
browser (percentiles per month, never one row per path).

The 1,000-path run is synthesised from a real simulated run, because simulating
1,000 paths of a full book takes minutes: ``--seed-paths`` paths (default 25) of the
baseline config with a 2,000-borrower book over 60 months are simulated; each is then
copied ``paths / seed-paths`` times, and every money, count and rate column of each
copy is scaled by its own log-normal factor (s.d. 5 %), so paths differ. The paths
and vintages tables are rebuilt from the copies the same way.

    python benchmarks/dashboard_load.py [--paths 1000] [--months 60] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io as pio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from dashboard.data import RunStore, clear_cache  # noqa: E402
from dashboard.pages.portfolio import GRAPHS  # noqa: E402
from sim.config import deep_merge, read_yaml  # noqa: E402
from sim.metrics import path_table  # noqa: E402
from sim.store import Run, write_run  # noqa: E402

KEYS = ("path", "month", "cohort", "cohort_size", "onboarded_borrowers", "months_on_book",
        "unemployment_rate", "mean_score")


def _perturb(frame: pd.DataFrame, copies: int, n_paths: int, rng: np.random.Generator,
             factors: np.ndarray) -> pd.DataFrame:
    out = []
    for k in range(copies):
        df = frame.copy()
        df["path"] = df["path"] + k * n_paths
        f = factors[df["path"].to_numpy()]
        for col in df.columns:
            if col in KEYS or not pd.api.types.is_numeric_dtype(df[col]):
                continue
            scaled = df[col].to_numpy(float) * f
            df[col] = np.round(scaled) if pd.api.types.is_integer_dtype(df[col]) else scaled
            if pd.api.types.is_integer_dtype(frame[col]):
                df[col] = df[col].astype(frame[col].dtype)
        out.append(df)
    return pd.concat(out, ignore_index=True)


def build_store(root: Path, paths: int, months: int, seed_paths: int) -> str:
    """Write a synthetic ``paths``-path run into ``root`` and return its id."""
    cfg = deep_merge(read_yaml(ROOT / "configs" / "baseline.yaml"),
                     {"book": {"initial_borrowers": 2000, "new_borrowers_per_month": 50,
                               "horizon_months": months}})
    t = time.perf_counter()
    base = sim.run(cfg, paths=seed_paths, seed=1, workers=2, out=None)
    print(f"simulated {seed_paths} seed paths in {time.perf_counter() - t:.1f} s")
    copies = -(-paths // seed_paths)
    rng = np.random.default_rng(0)
    factors = np.exp(rng.normal(0.0, 0.05, copies * seed_paths))
    portfolio = _perturb(base.portfolio, copies, seed_paths, rng, factors)
    portfolio = portfolio[portfolio["path"] < paths].reset_index(drop=True)
    vintages = _perturb(base.tables["vintages"], copies, seed_paths, rng, factors)
    vintages = vintages[vintages["path"] < paths].reset_index(drop=True)
    tables = {"portfolio": portfolio, "paths": path_table(portfolio), "vintages": vintages}
    manifest = dict(base.manifest, paths=paths, name=f"benchmark-{paths}-paths",
                    run_id=f"benchmark-{paths}x{months}",
                    description=f"{seed_paths} simulated paths, copied and perturbed")
    write_run(Run(manifest, tables), root)
    return manifest["run_id"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--seed-paths", type=int, default=25)
    parser.add_argument("--store", type=Path, help="store to build into or reuse (default: temp)")
    args = parser.parse_args()
    root = args.store or Path(tempfile.mkdtemp(prefix="creditsim-bench-"))
    run_id = f"benchmark-{args.paths}x{args.months}"
    if not (root / run_id / "manifest.json").is_file():
        run_id = build_store(root, args.paths, args.months, args.seed_paths)
    store = RunStore(root)
    folder = root / run_id
    rows = sum(len(pd.read_parquet(f, columns=["path"])) for f in folder.glob("*.parquet"))
    print(f"store {folder}: {rows:,} table rows")
    timings = []
    for _ in range(3):
        clear_cache()
        t = time.perf_counter()
        data = store.load(run_id)
        load = time.perf_counter() - t
        t = time.perf_counter()
        figures = [build(data) for build in GRAPHS.values()]
        build_s = time.perf_counter() - t
        payload = sum(len(pio.to_json(f, validate=False)) for f in figures)
        timings.append((load, build_s))
    load, build_s = min(timings)
    t = time.perf_counter()
    store.load(run_id)
    cached = time.perf_counter() - t
    print(json.dumps({
        "paths": args.paths, "months": args.months,
        "read_and_aggregate_s": round(load, 3),
        "portfolio_figures_s": round(build_s, 3),
        "open_total_s": round(load + build_s, 3),
        "cached_load_s": round(cached, 5),
        "portfolio_figures_json_kb": round(payload / 1024, 1),
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
