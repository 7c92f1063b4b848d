"""Run a set of policies on common random numbers and compare them with the first.

Every config in the set is run with the same root seed, so path ``i`` of each run
holds the same borrowers, the same macro path and the same income, spending and
repayment draws; only what the policy changes differs. Differences against the
first (reference) policy are therefore paired path by path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.compare import paired_comparison
from sim.config import load_config
from sim.store import Run


def check_same_book(configs: Sequence) -> None:
    """Refuse a set whose configs differ in the book or the macro (no common numbers)."""
    first = configs[0]
    for cfg in configs[1:]:
        for part in ("book", "macro", "income"):
            if getattr(cfg, part) != getattr(first, part):
                raise ValueError(
                    f"{cfg.name} and {first.name} differ in '{part}'; a policy set must "
                    "share the book, the macro and the income model"
                )


def run_policy_set(configs: Sequence[str | Path], paths: int | None = None,
                   seed: int | None = None, workers: int = 1,
                   out: str | Path | None = "runs", progress: bool = False
                   ) -> tuple[list[Run], pd.DataFrame]:
    """Run every config with the same seed; compare each with the first.

    Returns:
        The runs, and one row per (policy, metric) with the paired difference from
        the reference policy and its 95 % interval.
    """
    from sim.api import run

    loaded = [load_config(c) for c in configs]
    if len(loaded) < 2:
        raise ValueError("a policy set needs at least two configs")
    check_same_book(loaded)
    seed = loaded[0].seed if seed is None else seed
    paths = loaded[0].paths if paths is None else paths
    runs = [run(cfg, paths=paths, seed=seed, workers=workers, out=out, progress=progress)
            for cfg in loaded]
    frames = []
    for r in runs[1:]:
        table = paired_comparison(runs[0].paths, r.paths)
        table.insert(0, "policy", r.manifest["name"])
        frames.append(table)
    return runs, pd.concat(frames, ignore_index=True)
