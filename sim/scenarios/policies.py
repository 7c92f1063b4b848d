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

from sim.compare import COMMON_SECTIONS, Pairing, compare_runs, control_false_discoveries
from sim.config import RunConfig, load_config
from sim.store import Run


def check_same_book(configs: Sequence) -> None:
    """Refuse a set whose configs differ in the book or the income model (their paths would
    not hold the same borrowers); a different macro scenario is compared on common numbers
    (:data:`sim.compare.COMMON_SECTIONS`)."""
    first = configs[0]
    for cfg in configs[1:]:
        for part in COMMON_SECTIONS:
            if getattr(cfg, part) != getattr(first, part):
                raise ValueError(
                    f"{cfg.name} and {first.name} differ in '{part}'; a policy set must "
                    "share the book and the income model"
                )


def check_policy_set(configs: Sequence, given: Sequence[str] | None = None) -> None:
    """Refuse a set of fewer than two configs (``given``: how they were named, for the
    message), or of configs that differ in the book (:func:`check_same_book`)."""
    if len(configs) < 2:
        named = f" (got {len(configs)}: {', '.join(given)})" if given else ""
        raise ValueError(f"a policy set needs at least two configs, the reference and a policy "
                         f"to compare with it{named}; to run one config, use 'creditsim run'")
    check_same_book(configs)


def repeated_policies(configs: Sequence[RunConfig], given: Sequence[str]) -> str:
    """The warning for a set that runs one config more than once (``given``: how each
    config was named, a file or a shipped name); empty when every config differs.

    Configs that differ only in ``name`` and ``description`` are the same: run on the same
    seed and paths, their results are the same (as ``creditsim compare`` warns of two runs
    of the same config), so every difference between them is 0.
    """
    groups: dict[str, list[str]] = {}
    for cfg, text in zip(configs, given, strict=True):
        key = cfg.model_dump_json(exclude={"name", "description"})
        groups.setdefault(key, []).append(text)
    repeated = [names for names in groups.values() if len(names) > 1]
    if not repeated:
        return ""
    said = "; ".join(f"{names[0]} is given {len(names)} times" if len(set(names)) == 1
                     else f"{', '.join(names[:-1])} and {names[-1]} are the same config"
                     for names in repeated)
    return (f"{said}: run with the same seed and paths, their results are the same, so every "
            "difference between them is 0 (give configs that differ to compare)")


def run_policy_set(configs: Sequence[str | Path], paths: int | None = None,
                   seed: int | None = None, workers: int = 1,
                   out: str | Path | None = "runs", progress: bool = False
                   ) -> tuple[list[Run], pd.DataFrame]:
    """Run every config with the same seed; compare each with the first.

    The metric set is :func:`sim.metrics.comparison_metrics` (key metrics and tranche
    losses), as in ``creditsim compare`` and the dashboard.

    Returns:
        The runs, and one row per (policy, metric) with the difference from the
        reference policy and its 95 % interval (the columns of
        :func:`sim.compare.paired_comparison`, with ``policy`` first); ``significant`` is
        judged over every row together (:func:`sim.compare.control_false_discoveries`).

    Raises:
        ValueError: fewer than two configs, or configs that differ in the book, the
            macro or the income model.
    """
    runs, table, _ = run_policy_set_checked(configs, paths, seed, workers, out, progress)
    return runs, table


def run_policy_set_checked(configs: Sequence[str | Path | RunConfig], paths: int | None = None,
                           seed: int | None = None, workers: int = 1,
                           out: str | Path | None = "runs", progress: bool = False,
                           bases: Sequence[str | Path | None] | None = None
                           ) -> tuple[list[Run], pd.DataFrame, dict[str, Pairing]]:
    """:func:`run_policy_set` and, per policy, the :class:`~sim.compare.Pairing` with the
    reference (what makes its interval paired or not).

    ``bases``: per config given as a :class:`RunConfig` derived from a file (``--set``,
    ``--deal``), that file, so that each run's manifest records what was changed from it
    (``overrides``), as ``creditsim run`` does; None where a config is its own file.
    """
    from sim.api import run

    loaded = [load_config(c) for c in configs]
    check_policy_set(loaded)
    seed = loaded[0].seed if seed is None else seed
    paths = loaded[0].paths if paths is None else paths
    bases = [None] * len(loaded) if bases is None else bases
    runs = [run(cfg, paths=paths, seed=seed, workers=workers, out=out, progress=progress,
                base=base)
            for cfg, base in zip(loaded, bases, strict=True)]
    frames, pairings = [], {}
    ref = runs[0]
    for r in runs[1:]:
        table, pairing = compare_runs(ref.manifest, ref.paths, r.manifest, r.paths)
        table.insert(0, "policy", r.manifest["name"])
        frames.append(table)
        pairings[r.manifest["name"]] = pairing
    # every (policy, metric) difference is one test of one family
    return runs, control_false_discoveries(pd.concat(frames, ignore_index=True)), pairings
