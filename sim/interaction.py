"""Difference in differences: does a policy's effect change with the scenario?

A credit team asks whether a policy B (a lenient ladder, hardship terms) changes the answer
in a recession. With A and B each run in scenario 1 (the baseline economy) and scenario 2 (a
severe recession), the policy effect in each scenario is B - A, and the answer is how much
that effect changes: the difference in differences ``(B2 - A2) - (B1 - A1)``, the policy x
scenario interaction of a two-factor experiment. Four runs with the same seed, book and
income settings and path ids meet the same borrowers with the same draws on each path
(:mod:`sim.compare`): a macro scenario moves the unemployment the draws act on, not the
draws (every stream stands where it would, month by month: ``tests/test_engine.py``). So
the estimate is taken path by path, ``d_k = (B2_k - A2_k) - (B1_k - A1_k)``, with the paired
t interval of its mean.

The interval rests on the paths alone: each path has its own seed sequence, so ``d_1 ..
d_n`` are independent draws of one distribution whatever the correlation of the four runs
within a path. Common random numbers make that correlation strong, so the noise the four
runs share cancels in ``d_k`` and the interval is narrow. Were a scenario to change the
draws a path sees, the mean would still be unbiased and the interval still valid, only
wider. Two comparison tables cannot give it: the interval of a difference of two effects
needs their covariance, which only the paths hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd
from scipy import stats

from sim.compare import (
    check_pairing,
    config_changes,
    config_differences,
    control_false_discoveries,
    left_out_note,
    paired_comparison,
    paired_test,
    shorten_keys,
)
from sim.metrics import KEY_METRICS

RUNS = ("A1", "B1", "A2", "B2")
"""The four runs' names: policy A and B in scenario 1, then in scenario 2."""

MEANING = ("interaction: the policy effect in scenario 2 minus the policy effect in scenario 1, "
           "(B2 - A2) - (B1 - A1), path by path; positive when B raises the metric more "
           "(or lowers it less) in scenario 2 than in scenario 1")
"""What the estimate means, as the table's caption and the export's ``about`` sheet say."""


@dataclass(frozen=True)
class Design:
    """What the four runs change: the policy (A to B) and the scenario (1 to 2).

    Attributes:
        run_ids: The runs' ids, in the order of :data:`RUNS`.
        policy: Config keys that differ between A1 and B1 (the policy change).
        scenario: Config keys that differ between A1 and A2 (the scenario change).
        notes: Warnings on the design: a policy change that is not the same in both
            scenarios, a scenario change that is not the same for both policies, a
            factor that changes nothing.
    """

    run_ids: tuple[str, ...]
    policy: tuple[str, ...]
    scenario: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def headline(self) -> str:
        """One line for a table title: what is paired."""
        return "paired path by path (same seed, book and path ids in all four runs)"


def _unequal(first: dict, second: dict) -> list[str]:
    """Keys whose change differs between two :func:`sim.compare.config_changes`."""
    return sorted(k for k in set(first) | set(second) if first.get(k) != second.get(k))


def _design_notes(configs: Sequence[dict], policy: list[str], scenario: list[str]) -> list[str]:
    a1, b1, a2, b2 = configs
    notes = []
    if not policy:
        notes.append("A1 and B1 differ in no config key: the policy effect in scenario 1 is "
                     "0 on every path")
    if not scenario:
        notes.append("A1 and A2 differ in no config key: scenario 2 is scenario 1, so the "
                     "difference in differences is 0 on every path")
    policy_off = _unequal(config_changes(a1, b1), config_changes(a2, b2))
    if policy_off:
        notes.append("the policy change is not the same in both scenarios (B1 against A1, B2 "
                     f"against A2 differ in: {shorten_keys(policy_off)}): the difference "
                     "in differences mixes it in")
    scenario_off = _unequal(config_changes(a1, a2), config_changes(b1, b2))
    if scenario_off:
        notes.append("the scenario change is not the same for both policies (A2 against A1, "
                     f"B2 against B1 differ in: {shorten_keys(scenario_off)}): the "
                     "difference in differences mixes it in")
    return notes


def _check_not_swapped(configs: Sequence[dict], ids: Sequence[str]) -> None:
    """Raise when B2 against A2 undoes B1 against A1: the second pair given the wrong way
    round (``--against B2 A2``), which would read every policy effect in scenario 2 with its
    sign reversed and make a large, "significant" difference in differences of it."""
    a1, b1, a2, b2 = configs
    first = config_changes(a1, b1)
    second = config_changes(a2, b2)
    if first and second == {k: (y, x) for k, (x, y) in first.items()}:
        raise ValueError(
            f"the second pair is the wrong way round: B2 ({ids[3]}) against A2 ({ids[2]}) "
            f"undoes the policy change of B1 against A1 ({shorten_keys(list(first))}); "
            f"give A2 first, the run of policy A: A2 = {ids[3]}, B2 = {ids[2]} (on the "
            f"command line, --against {ids[3]} {ids[2]})")


def check_design(manifests: Sequence[dict], paths: Sequence[pd.DataFrame]) -> Design:
    """Check that four runs can give a difference in differences path by path.

    Args:
        manifests: The manifests of A1, B1, A2 and B2 (:data:`RUNS`; ``run_id``, ``seed``
            and ``config`` are read with ``.get``).
        paths: Their per-path tables (the ``path`` column), in the same order.

    Returns:
        The :class:`Design`: the config keys of the policy and of the scenario change, and
        notes on what makes the estimate hard to read.

    Raises:
        ValueError: When not given four runs, or when a run does not share its random
            numbers path by path with A1 (seed, book or income settings, horizon, path
            ids: :func:`sim.compare.check_pairing`), naming each such run and what
            differs. Equality is transitive, so A1 against each other run covers all pairs.
            Also when the second pair is given the wrong way round (B2 against A2 exactly
            undoes B1 against A1).
    """
    if len(manifests) != len(RUNS) or len(paths) != len(RUNS):
        raise ValueError(f"a difference in differences takes four runs ({', '.join(RUNS)}); "
                         f"got {len(manifests)}")
    ids = tuple(str(m.get("run_id", "")) for m in manifests)
    problems = []
    for name, run_id, manifest, table in zip(RUNS[1:], ids[1:], manifests[1:], paths[1:],
                                             strict=True):
        pairing = check_pairing(manifests[0], manifest, paths[0], table, labels=("A1", name))
        if not pairing.paired:
            problems.append(f"{name} ({run_id}) against A1 ({ids[0]}): "
                            + ", ".join(pairing.reasons))
    if problems:
        raise ValueError("the four runs must share their random numbers path by path (the "
                         "same seed, book and income settings, horizon and path ids): "
                         + "; ".join(problems))
    configs = [m.get("config") or {} for m in manifests]
    _check_not_swapped(configs, ids)
    policy = config_differences(configs[0], configs[1])
    scenario = config_differences(configs[0], configs[2])
    return Design(ids, tuple(policy), tuple(scenario),
                  tuple(_design_notes(configs, policy, scenario)))


def _joined(paths: Sequence[pd.DataFrame], metrics: Sequence[str]) -> pd.DataFrame:
    """The four tables' ``metrics`` side by side, one row per path (columns ``m_A1``...)."""
    frames = [t.set_index("path")[list(metrics)].add_suffix(f"_{name}")
              for name, t in zip(RUNS, paths, strict=True)]
    return pd.concat(frames, axis=1, join="inner").sort_index()


def _effect(paths_a: pd.DataFrame, paths_b: pd.DataFrame, metrics: Sequence[str],
            level: float, n: int) -> pd.DataFrame:
    """B - A in one scenario: :func:`sim.compare.paired_comparison`'s means, difference and
    interval, by metric, under this module's names (``_{n}``: the scenario)."""
    effect = paired_comparison(paths_a, paths_b, tuple(metrics), level=level).set_index("metric")
    return pd.DataFrame({f"mean_a{n}": effect["mean_a"], f"mean_b{n}": effect["mean_b"],
                         f"effect_{n}": effect["difference"],
                         f"effect_{n}_ci_low": effect["ci_low"],
                         f"effect_{n}_ci_high": effect["ci_high"]})


def interaction_estimate(paths: Sequence[pd.DataFrame],
                         metrics: Sequence[str] = KEY_METRICS,
                         level: float = 0.95) -> pd.DataFrame:
    """The difference in differences ``(B2 - A2) - (B1 - A1)`` of each metric, path by path.

    Per path k, ``d_k = (B2_k - A2_k) - (B1_k - A1_k)``; the estimate is the mean of the
    ``d_k``, with its standard error (``scipy.stats.sem``) and paired t interval and
    two-sided p value (``scipy.stats.ttest_rel`` of the two effects' paths,
    :func:`sim.compare.paired_test`). Beside it, each scenario's own effect B - A with its
    paired interval (:func:`sim.compare.paired_comparison`), so that a reader sees what
    changed. ``significant`` is judged over all the metrics together, with the false
    discovery rate held at ``1 - level`` (:func:`sim.compare.control_false_discoveries`).

    Args:
        paths: The per-path tables of A1, B1, A2 and B2 (:data:`RUNS`), with the same
            ``path`` ids (paths are matched on it, whatever the row order).
        metrics: The measures to compare, columns of every table.
        level: The intervals' confidence level.

    Returns:
        One row per metric: ``metric, paths`` (pairs), ``mean_a1, mean_b1, mean_a2,
        mean_b2``, ``effect_1`` (B1 - A1) with ``effect_1_ci_low, effect_1_ci_high``,
        ``effect_2`` (B2 - A2) with its interval, ``interaction``, ``ci_low, ci_high,
        std_error, p_value, interval`` ("paired"), ``q_value, significant_alone,
        significant`` (None, not judged, below :data:`sim.metrics.MIN_PATHS` paths).
        Metrics in the units of the tables (rates as fractions; a difference of rates a
        fraction of the whole).

    Raises:
        ValueError: When not given four tables, when a metric is missing from one, or when
            their path ids differ.
    """
    if len(paths) != len(RUNS):
        raise ValueError(f"a difference in differences takes four runs ({', '.join(RUNS)}); "
                         f"got {len(paths)}")
    missing = sorted({m for t in paths for m in metrics if m not in t})
    if missing:
        raise ValueError(f"metrics missing from a run: {', '.join(missing)}")
    ids = [set(t["path"]) for t in paths]
    if any(i != ids[0] for i in ids[1:]):
        counts = ", ".join(f"{name}: {len(i)}" for name, i in zip(RUNS, ids, strict=True))
        raise ValueError(f"the four runs must have the same path ids ({counts} paths, "
                         f"{len(set.intersection(*ids))} in common)")
    a1, b1, a2, b2 = paths
    effects = _effect(a1, b1, metrics, level, 1).join(_effect(a2, b2, metrics, level, 2))
    joined = _joined(paths, metrics)
    rows = []
    for m in metrics:
        x = {name: joined[f"{m}_{name}"].to_numpy(float) for name in RUNS}
        e1, e2 = x["B1"] - x["A1"], x["B2"] - x["A2"]
        lo, hi, p = paired_test(e1, e2, level)
        d = e2 - e1
        se = float(stats.sem(d)) if d.size >= 2 else float("nan")
        rows.append({"metric": m, "paths": d.size, **effects.loc[m].to_dict(),
                     "interaction": float(d.mean()), "ci_low": lo, "ci_high": hi,
                     "std_error": se, "p_value": p, "interval": "paired"})
    return control_false_discoveries(pd.DataFrame(rows), level, counts=("paths",))


def interaction_runs(manifests: Sequence[dict], paths: Sequence[pd.DataFrame],
                     level: float = 0.95) -> tuple[pd.DataFrame, Design]:
    """:func:`interaction_estimate` of four stored runs (A1, B1, A2, B2) on
    :func:`sim.metrics.comparison_metrics` of all four, after :func:`check_design`.

    Raises:
        ValueError: As :func:`check_design` (runs that do not share their draws).
    """
    from sim.metrics import comparison_metrics

    design = check_design(manifests, paths)
    metrics = comparison_metrics(*paths)
    note = left_out_note(metrics, dict(zip(RUNS, paths, strict=True)))
    if note:
        design = replace(design, notes=(*design.notes, note))
    table = interaction_estimate(paths, metrics, level=level)
    return table, design
