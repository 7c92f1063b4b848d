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
result says so, naming what differs. A table tests many differences at once, so which of
them are significant is judged with the false discovery rate held at 5 % over the table
(Benjamini-Hochberg, :func:`control_false_discoveries`). Four runs, two policies in two
scenarios, give the difference in differences path by path with the same tests
(:mod:`sim.interaction`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.metrics import KEY_METRICS, MIN_PATHS
from sim.wording import paths_text

if TYPE_CHECKING:
    from sim.store import Run

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


MISSING = object()
"""The value :func:`config_changes` gives a key that one config does not have."""


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


LABEL_KEYS = ("name", "description", "paths", "seed")
"""Top-level config keys that are labels and run defaults, not what a run simulates."""


def config_changes(config_a: dict, config_b: dict,
                   ignore: tuple[str, ...] = LABEL_KEYS) -> dict[str, tuple[Any, Any]]:
    """``{dotted key: (value in a, value in b)}`` of every leaf whose value differs between
    two config dumps, in key order (a key in one config only has :data:`MISSING` on the
    other side); top-level keys in ``ignore`` (labels and run defaults) are skipped."""
    flat_a, flat_b = flatten(config_a or {}), flatten(config_b or {})
    return {k: (flat_a.get(k, MISSING), flat_b.get(k, MISSING))
            for k in sorted(set(flat_a) | set(flat_b))
            if k.split(".")[0] not in ignore and flat_a.get(k, MISSING) != flat_b.get(k, MISSING)}


def config_differences(config_a: dict, config_b: dict,
                       ignore: tuple[str, ...] = LABEL_KEYS) -> list[str]:
    """Dotted keys whose values differ between two config dumps, sorted.

    A key present in one config only counts as different; a section that is a value in
    one config and a mapping in the other (``deal: null``) is one key, not its leaves.
    Top-level keys in ``ignore`` (labels and run defaults) are skipped.
    """
    differ = list(config_changes(config_a, config_b, ignore))
    found = set(differ)  # a section replaced whole (e.g. ``deal: null``) is one key
    return [k for k in differ
            if not any(".".join(k.split(".")[:i]) in found for i in range(1, k.count(".") + 1))]



def shorten_keys(keys: Sequence[str], limit: int = 6) -> str:
    """The first ``limit`` of ``keys``, comma-separated, then ``and N more``."""
    keys = list(keys)
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def left_out_note(metrics: Sequence[str], paths: dict[str, pd.DataFrame]) -> str:
    """What a comparison of the runs' ``paths`` tables (by label) leaves out of their
    metrics (:func:`sim.metrics.comparison_metrics`) because some runs lack it, which runs
    and why; "" when nothing is left out."""
    from sim.metrics import comparison_metrics, is_note_loss

    left_out = [m for m in dict.fromkeys(m for t in paths.values()
                                         for m in comparison_metrics(t)) if m not in metrics]
    if not left_out:
        return ""
    lacking = {name: t for name, t in paths.items() if any(m not in t for m in left_out)}
    if not all(is_note_loss(m) for m in left_out):
        why = "recorded in some runs only"
    elif not any(is_note_loss(c) for t in lacking.values() for c in t.columns):
        why = "a run without a deal has no note losses"
    elif all(m.startswith("note_pv_loss_") for m in left_out):
        why = "a run stored before the PV loss was recorded has only the principal losses"
    else:
        why = "recorded in some runs only"
    return f"{shorten_keys(left_out)} left out: not in {', '.join(lacking)} ({why})"


def check_pairing(manifest_a: dict, manifest_b: dict, paths_a: pd.DataFrame,
                  paths_b: pd.DataFrame, labels: tuple[str, str] = ("A", "B")) -> Pairing:
    """Whether runs A and B share their random numbers path by path.

    Args:
        manifest_a, manifest_b: The runs' manifests (``seed`` and ``config`` are read
            with ``.get``; a missing config counts as no difference).
        paths_a, paths_b: The runs' per-path tables (the ``path`` column).
        labels: What the reasons call the two runs (``different seeds (A: 1, B: 2)``).

    Returns:
        A :class:`Pairing` naming every difference that breaks the pairing.
    """
    reasons, notes = [], []
    la, lb = labels
    seed_a, seed_b = manifest_a.get("seed"), manifest_b.get("seed")
    if seed_a != seed_b:
        reasons.append(f"different seeds ({la}: {seed_a}, {lb}: {seed_b})")
    differing = config_differences(manifest_a.get("config") or {},
                                   manifest_b.get("config") or {})
    common = [k for k in differing if k.split(".")[0] in COMMON_SECTIONS]
    if common:
        reasons.append(f"different book or income: {shorten_keys(common)}")
    macro = [k for k in differing if k.split(".")[0] == "macro"]
    if macro and not common:
        notes.append(f"a scenario comparison: the macro settings differ ({shorten_keys(macro)}), "
                     "the borrowers and their draws are the same path by path")
    ids_a, ids_b = set(paths_a["path"]), set(paths_b["path"])
    if ids_a != ids_b:
        reasons.append(f"different path sets ({la}: {paths_text(len(ids_a))}, {lb}: "
                       f"{paths_text(len(ids_b))}, "
                       f"{len(ids_a & ids_b)} in common)")
    policy = [k for k in differing if k not in common and k not in macro]
    if policy:
        notes.append(f"config keys that differ: {shorten_keys(policy)}")
    return Pairing(tuple(reasons), tuple(notes), tuple(differing))


def paired_test(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, float, float]:
    """The paired t interval of the mean of ``b - a`` and its two-sided p value.

    Args:
        a, b: Paired values, shape ``(n,)`` each (pair ``i`` is ``a[i], b[i]``).
        level: The interval's confidence level (0.95: a 95 % interval).

    Returns:
        ``(low, high, p)``: ``scipy.stats.ttest_rel(b, a)``'s interval and p value; NaN
        below 2 pairs; the difference itself and p 0 (1 when it is 0) when every pair
        differs alike, where scipy's interval is undefined.
    """
    if a.shape[0] < 2:
        return float("nan"), float("nan"), float("nan")
    d = b - a
    if np.all(d == d[0]):  # no spread: scipy's interval is undefined, the difference exact
        return float(d[0]), float(d[0]), _exact_p(float(d[0]))
    with warnings.catch_warnings():  # near-identical differences: scipy warns, rightly exact
        warnings.simplefilter("ignore", RuntimeWarning)
        test = stats.ttest_rel(b, a)
        ci = test.confidence_interval(confidence_level=level)
    return float(ci.low), float(ci.high), float(test.pvalue)


def _welch_test(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, float, float]:
    """Welch's interval of ``mean(b) - mean(a)`` and its two-sided p value."""
    if a.shape[0] < 2 or b.shape[0] < 2:
        return float("nan"), float("nan"), float("nan")
    if a.var() == 0 and b.var() == 0:
        diff = float(b.mean() - a.mean())
        return diff, diff, _exact_p(diff)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        test = stats.ttest_ind(b, a, equal_var=False)
        ci = test.confidence_interval(confidence_level=level)
    return float(ci.low), float(ci.high), float(test.pvalue)


def _exact_p(difference: float) -> float:
    """The p value of a difference every path gives alike: 0 when it is not 0, else 1."""
    return 0.0 if difference != 0 else 1.0


def control_false_discoveries(table: pd.DataFrame, level: float = 0.95,
                              counts: tuple[str, ...] = ("n_a", "n_b")) -> pd.DataFrame:
    """``table`` with ``q_value`` and ``significant`` judged over all its rows together.

    A comparison tests many metrics at once (a run set: every policy on every metric), so
    at 95 % each some differences would be called significant by chance alone. The
    ``p_value`` of every judged row (both runs with at least :data:`sim.metrics.MIN_PATHS`
    paths and a finite p) is adjusted by Benjamini and Hochberg's step-up procedure
    (``scipy.stats.false_discovery_control``; Benjamini and Hochberg 1995, J. R. Stat. Soc.
    B 57(1)), which holds the expected share of false discoveries among the differences
    called significant at ``1 - level`` (5 %) for independent or positively dependent
    tests, as differences of one run's metrics are. ``significant`` is then
    ``q_value <= 1 - level``; ``significant_alone`` keeps the metric's own test (its
    interval excludes 0), which the adjustment can only overrule, never add to.

    Args:
        table: rows with ``p_value``, ``ci_low``, ``ci_high`` and the ``counts`` columns,
            as :func:`paired_comparison` makes them (a run set: those of every policy
            concatenated).
        level: the intervals' confidence level; ``1 - level`` is the false discovery rate.
        counts: the columns of the paths behind each row, the fewest of which decides
            whether it is judged (``n_a`` and ``n_b``: each run's; ``paths``: the paired
            paths of :func:`sim.interaction.interaction_estimate`).

    Returns:
        A copy with ``q_value`` (NaN where not judged), ``significant`` and
        ``significant_alone`` (None where not judged).
    """
    out = table.copy()
    p = out["p_value"].to_numpy(float)
    judged = out[list(counts)].min(axis=1).to_numpy() >= MIN_PATHS
    tested = judged & np.isfinite(p)
    q = np.full(p.shape[0], np.nan)
    if tested.any():
        q[tested] = stats.false_discovery_control(p[tested], method="bh")
    alone = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    out["q_value"] = q
    out["significant_alone"] = [bool(a) if j else None
                                for a, j in zip(alone, judged, strict=True)]
    out["significant"] = [bool(t and qv <= 1 - level) if j else None
                          for t, qv, j in zip(tested, q, judged, strict=True)]
    return out


def significance_text(significant: object, alone: object, p_value: float, n: int) -> str:
    """The table cell of a difference's significance: ``yes``; ``no``; ``no (p 0.031
    alone)`` when its own interval excludes 0 but it does not stand among the metrics
    compared (:func:`control_false_discoveries`); ``n/a (n=2)`` below the paths it needs."""
    if significant is None or (isinstance(significant, float) and significant != significant):
        return f"n/a (n={n})"
    if significant:
        return "yes"
    if alone is True:
        return f"no (p {p_value:.3f} alone)"
    return "no"


def false_discovery_note(table: pd.DataFrame, level: float = 0.95) -> str:
    """One line under a comparison table: what ``significant`` means and over how many
    differences (empty when none is judged)."""
    tested = int(table["q_value"].notna().sum()) if "q_value" in table else 0
    if tested == 0:
        return ""
    rate = f"{(1 - level) * 100:g} %"
    return (f"significant: the difference stands with the false discovery rate held at {rate} "
            f"over the {tested} differences of this table (Benjamini-Hochberg); 'no (p ... "
            f"alone)' marks one whose own {level * 100:g} % interval excludes 0 but which "
            "does not stand among them.")


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

    ``p_value`` is the two-sided p of the same test; ``significant`` is judged over all
    the metrics together (:func:`control_false_discoveries`), so that testing many of them
    does not make chance differences look real.

    Returns:
        One row per metric: ``metric, mean_a, mean_b, difference, ci_low, ci_high,
        p_value, unpaired_ci_low, unpaired_ci_high, interval`` ("paired" or
        "unpaired"), ``paths`` (pairs, or 0 when unpaired), ``n_a``, ``n_b``, ``q_value``,
        ``significant_alone``, ``significant``. ``significant`` is None (not judged) when a
        run has fewer than :data:`sim.metrics.MIN_PATHS` paths.

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
        ulo, uhi, up = _welch_test(all_a, all_b, level)
        if use_pairs:
            a, b = joined[f"{m}_a"].to_numpy(float), joined[f"{m}_b"].to_numpy(float)
            lo, hi, p = paired_test(a, b, level)
            diff = float((b - a).mean())
        else:
            lo, hi, p = ulo, uhi, up
            diff = float(all_b.mean() - all_a.mean())
        rows.append({
            "metric": m, "mean_a": float(all_a.mean()), "mean_b": float(all_b.mean()),
            "difference": diff, "ci_low": lo, "ci_high": hi, "p_value": p,
            "unpaired_ci_low": ulo, "unpaired_ci_high": uhi,
            "interval": "paired" if use_pairs else "unpaired",
            "paths": len(joined) if use_pairs else 0, "n_a": n_a, "n_b": n_b,
        })
    return control_false_discoveries(pd.DataFrame(rows), level)


SAME_RESULTS_KEYS = ("config", "seed", "paths", "code")
"""Manifest keys that, all equal, make two runs' results the same (one config, seed and
paths on the same code)."""


def equal_runs(a: Run, b: Run) -> str | None:
    """Why every difference between stored runs A and B is 0, or None when it need not be.

    ``"copies"``: A and B are copies of one run (the same manifest, run id included) with
    equal ``paths`` tables; ``"same results"``: two runs of the same config, seed and paths
    on the same code (:data:`SAME_RESULTS_KEYS`) whose ``paths`` tables are equal. Only the
    tables decide that the differences are 0; the manifests say why.

    Raises:
        ValueError: A and B have the same manifest but their ``paths`` tables differ: one
            was changed after the run was written. (A run whose manifest records its
            tables' digests is refused when such a table is read; this is a run stored
            before them.)
    """
    equal = a.paths.equals(b.paths)
    if a.manifest == b.manifest:
        if equal:
            return "copies"
        raise ValueError(f"A ({a.path}) and B ({b.path}) are copies of run {a.run_id} (the "
                         "same manifest) but their 'paths' tables differ, so one of them was "
                         "changed after the run was written (which one cannot be told: the "
                         "run was stored before its tables' digests were recorded); rerun it "
                         f"with 'creditsim run --from-manifest {a.path}'")
    if equal and all(a.manifest.get(k) == b.manifest.get(k) for k in SAME_RESULTS_KEYS):
        return "same results"
    return None


def compare_runs(manifest_a: dict, paths_a: pd.DataFrame, manifest_b: dict,
                 paths_b: pd.DataFrame, level: float = 0.95
                 ) -> tuple[pd.DataFrame, Pairing]:
    """:func:`paired_comparison` of two stored runs on :func:`comparison_metrics`,
    paired only when :func:`check_pairing` finds nothing that breaks the pairing; the
    pairing's notes name the metrics one run lacks (:func:`left_out_note`)."""
    from sim.metrics import comparison_metrics

    pairing = check_pairing(manifest_a, manifest_b, paths_a, paths_b)
    metrics = comparison_metrics(paths_a, paths_b)
    note = left_out_note(metrics, {"A": paths_a, "B": paths_b})
    if note:
        pairing = replace(pairing, notes=(*pairing.notes, note))
    table = paired_comparison(paths_a, paths_b, metrics, level=level, paired=pairing.paired)
    return table, pairing
