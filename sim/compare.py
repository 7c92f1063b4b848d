"""Comparison of two runs: paired path by path when they share their random numbers.

Two runs with the same seed, the same book and income models and the same set of path
ids simulate the same borrowers with the same draws on each path: every concern draws from
its own stream of (seed, path) (:func:`sim.engine.path_streams`), so a different policy
or a different macro scenario (a recession against the baseline) leaves the borrowers'
traits, income shocks, spending and repayment draws where they were. The difference of a
metric is then taken path by path (a paired t interval, ``scipy.stats.ttest_rel``), and
its confidence interval is far narrower than the one from comparing two independent
samples. Runs that do not share their random numbers are compared as independent
samples (Welch's interval, ``scipy.stats.ttest_ind(..., equal_var=False)``) and the
result says so, naming what differs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.metrics import KEY_METRICS, MIN_PATHS
from sim.wording import paths_text

COMMON_SECTIONS = ("book", "income")
"""Config sections two runs must share for their paths to hold the same draws. A different
``macro`` section is a scenario comparison on the same draws: the macro path has its own
stream, and the others read only the unemployment it gives (a note says so)."""


@dataclass(frozen=True)
class Pairing:
    """Whether two runs can be compared path by path, and why not.

    ``reasons`` name what breaks the pairing (seed, config keys of the common sections,
    path ids); ``notes`` name other differences worth knowing (the policy keys that
    differ, small samples). ``paired`` is True when ``reasons`` is empty.
    """

    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    differing_keys: tuple[str, ...] = ()

    @property
    def paired(self) -> bool:
        return not self.reasons

    @property
    def interval_name(self) -> str:
        """What the interval column of a comparison table holds."""
        return "95% CI (paired)" if self.paired else "95% CI (UNPAIRED, Welch)"

    def headline(self) -> str:
        """One line for a table title: paired or not, and why not."""
        if self.paired:
            return "paired path by path (same seed, book and path ids)"
        return "NOT PAIRED: " + "; ".join(self.reasons) + " (Welch's unpaired interval)"


_MISSING = object()


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """A nested mapping as ``{"a.b.0.c": value}`` (list items by index)."""
    if isinstance(data, dict):
        items = [(str(k), v) for k, v in data.items()]
    elif isinstance(data, list):
        items = [(str(i), v) for i, v in enumerate(data)]
    else:
        return {prefix: data}
    out: dict[str, Any] = {}
    if not items and prefix:
        out[prefix] = data
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else key))
    return out


def config_differences(config_a: dict, config_b: dict,
                       ignore: tuple[str, ...] = ("name", "description", "paths", "seed")
                       ) -> list[str]:
    """Dotted keys whose values differ between two config dumps, sorted.

    A key present in one config only counts as different; a section that is a value in
    one config and a mapping in the other (``deal: null``) is one key, not its leaves.
    Top-level keys in ``ignore`` (labels and run defaults) are skipped.
    """
    flat_a, flat_b = flatten(config_a or {}), flatten(config_b or {})
    keys = sorted(set(flat_a) | set(flat_b))
    differ = [k for k in keys if k.split(".")[0] not in ignore
              and flat_a.get(k, _MISSING) != flat_b.get(k, _MISSING)]
    found = set(differ)  # a section replaced whole (e.g. ``deal: null``) is one key
    return [k for k in differ
            if not any(".".join(k.split(".")[:i]) in found for i in range(1, k.count(".") + 1))]



def _shorten(keys: list[str], limit: int = 6) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def check_pairing(manifest_a: dict, manifest_b: dict, paths_a: pd.DataFrame,
                  paths_b: pd.DataFrame) -> Pairing:
    """Whether runs A and B share their random numbers path by path.

    Args:
        manifest_a, manifest_b: The runs' manifests (``seed`` and ``config`` are read
            with ``.get``; a missing config counts as no difference).
        paths_a, paths_b: The runs' per-path tables (the ``path`` column).

    Returns:
        A :class:`Pairing` naming every difference that breaks the pairing.
    """
    reasons, notes = [], []
    seed_a, seed_b = manifest_a.get("seed"), manifest_b.get("seed")
    if seed_a != seed_b:
        reasons.append(f"different seeds (A: {seed_a}, B: {seed_b})")
    differing = config_differences(manifest_a.get("config") or {},
                                   manifest_b.get("config") or {})
    common = [k for k in differing if k.split(".")[0] in COMMON_SECTIONS]
    if common:
        reasons.append(f"different book or income: {_shorten(common)}")
    macro = [k for k in differing if k.split(".")[0] == "macro"]
    if macro and not common:
        notes.append(f"a scenario comparison: the macro settings differ ({_shorten(macro)}), "
                     "the borrowers and their draws are the same path by path")
    ids_a, ids_b = set(paths_a["path"]), set(paths_b["path"])
    if ids_a != ids_b:
        reasons.append(f"different path sets (A: {paths_text(len(ids_a))}, B: "
                       f"{paths_text(len(ids_b))}, "
                       f"{len(ids_a & ids_b)} in common)")
    policy = [k for k in differing if k not in common and k not in macro]
    if policy:
        notes.append(f"config keys that differ: {_shorten(policy)}")
    return Pairing(tuple(reasons), tuple(notes), tuple(differing))


def _paired_interval(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, float]:
    if a.shape[0] < 2:
        return float("nan"), float("nan")
    d = b - a
    if np.all(d == d[0]):  # no spread: scipy's interval is undefined, the difference exact
        return float(d[0]), float(d[0])
    with warnings.catch_warnings():  # near-identical differences: scipy warns, rightly exact
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = stats.ttest_rel(b, a).confidence_interval(confidence_level=level)
    return float(ci.low), float(ci.high)


def _welch_interval(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, float]:
    if a.shape[0] < 2 or b.shape[0] < 2:
        return float("nan"), float("nan")
    if a.var() == 0 and b.var() == 0:
        diff = float(b.mean() - a.mean())
        return diff, diff
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(confidence_level=level)
    return float(ci.low), float(ci.high)


def paired_comparison(paths_a: pd.DataFrame, paths_b: pd.DataFrame,
                      metrics: tuple[str, ...] = KEY_METRICS,
                      level: float = 0.95, paired: bool = True) -> pd.DataFrame:
    """Mean of each metric in A and B, the difference B - A and its interval.

    With ``paired`` (the runs share seed, book and path ids: see :func:`check_pairing`)
    paths are matched on the ``path`` column and the interval is the paired t interval
    (``scipy.stats.ttest_rel(b, a).confidence_interval``). Otherwise, or when the path
    sets differ, the interval is Welch's (``scipy.stats.ttest_ind(b, a,
    equal_var=False)``) over all paths of each run. ``mean_a`` and ``mean_b`` are always
    means over all paths of each run, as in its own report. ``unpaired_ci_*`` always
    holds Welch's interval, to show what common random numbers buy.

    Returns:
        One row per metric: ``metric, mean_a, mean_b, difference, ci_low, ci_high,
        significant, unpaired_ci_low, unpaired_ci_high, interval`` ("paired" or
        "unpaired"), ``paths`` (pairs, or 0 when unpaired), ``n_a``, ``n_b``.
        ``significant`` is None (not judged) when a run has fewer than
        :data:`sim.metrics.MIN_PATHS` paths.

    Raises:
        ValueError: when a metric is missing, or when a paired comparison finds no
            path in common.
    """
    missing = [m for m in metrics if m not in paths_a or m not in paths_b]
    if missing:
        raise ValueError(f"metrics missing from a run: {', '.join(missing)}")
    joined = paths_a.merge(paths_b, on="path", suffixes=("_a", "_b"))
    if paired and joined.empty:
        raise ValueError("the two runs have no path in common")
    same_ids = set(paths_a["path"]) == set(paths_b["path"])
    use_pairs = paired and same_ids
    n_a, n_b = len(paths_a), len(paths_b)
    rows = []
    for m in metrics:
        all_a = paths_a[m].to_numpy(float)
        all_b = paths_b[m].to_numpy(float)
        ulo, uhi = _welch_interval(all_a, all_b, level)
        if use_pairs:
            a, b = joined[f"{m}_a"].to_numpy(float), joined[f"{m}_b"].to_numpy(float)
            lo, hi = _paired_interval(a, b, level)
            diff = float((b - a).mean())
        else:
            lo, hi = ulo, uhi
            diff = float(all_b.mean() - all_a.mean())
        judged = min(n_a, n_b) >= MIN_PATHS
        rows.append({
            "metric": m, "mean_a": float(all_a.mean()), "mean_b": float(all_b.mean()),
            "difference": diff, "ci_low": lo, "ci_high": hi,
            "significant": bool(lo > 0 or hi < 0) if judged else None,
            "unpaired_ci_low": ulo, "unpaired_ci_high": uhi,
            "interval": "paired" if use_pairs else "unpaired",
            "paths": len(joined) if use_pairs else 0, "n_a": n_a, "n_b": n_b,
        })
    return pd.DataFrame(rows)


def compare_runs(manifest_a: dict, paths_a: pd.DataFrame, manifest_b: dict,
                 paths_b: pd.DataFrame, level: float = 0.95
                 ) -> tuple[pd.DataFrame, Pairing]:
    """:func:`paired_comparison` of two stored runs on :func:`comparison_metrics`,
    paired only when :func:`check_pairing` finds nothing that breaks the pairing."""
    from sim.metrics import comparison_metrics

    pairing = check_pairing(manifest_a, manifest_b, paths_a, paths_b)
    table = paired_comparison(paths_a, paths_b, comparison_metrics(paths_a, paths_b),
                              level=level, paired=pairing.paired)
    return table, pairing
