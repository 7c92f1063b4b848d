"""The breakeven search common to both stresses (`sim.breakeven`), and its summary across paths.

A stress is scanned on a coarse grid that always holds the unstressed point (1x for the
default multiple, +0 points for the unemployment shock); the first bracket in which a note
starts to lose (its loss, by the measure searched, above one cent) is narrowed by a bracketing
root finder. Per path and note a `Search` holds the breakeven, whether the note loses
unstressed and whether its loss is monotone on the grid; across paths
`summarise_breakevens` gives the median breakeven with a distribution-free interval from order
statistics, the 10th and 90th percentiles and the counts of paths losing unstressed, never
losing and losing non-monotonically.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize.elementwise import find_root

from sim.abs import WaterfallResult
from sim.abs.metrics import loss_amounts
from sim.metrics import resolvable

MULTIPLE_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 25.0, 50.0)
"""Default multiples scanned before the root search; the last is the largest searched."""
MULTIPLE_TOL = 0.005
"""Width to which the multiple's bracket is narrowed."""
UNSTRESSED = {"multiple": 1.0, "shock": 0.0}
"""No stress: the default multiple scales the base case (1x is the run itself); the shock adds
points of unemployment (+0 is no rise)."""
SHOCK_GRID = (0.0, 0.02, 0.04, 0.08, 0.16, 0.30)
"""Peak rises of the unemployment rate (fractions: 0.02 = 2 points) scanned before brentq."""
SHOCK_TOL = 0.0025
"""Width to which the shock's bracket is narrowed (a quarter of a point)."""


# ----------------------------------------------------------------------------------------------
# The search, common to both stresses


@dataclass(frozen=True)
class Search:
    """One stress searched on every path and note; each array has shape (paths, notes).

    Attributes:
        breakeven: The smallest stress at which the note first loses (by the loss measure
            searched: principal, or in present value; the first
            grid bracket in which it loses, narrowed to the search's tolerance; the losing
            end is reported): 0 where it loses at the grid's first point (0), ``inf`` where it
            loses at no point of the grid.
        unstressed: Whether the note loses with no stress (`UNSTRESSED`: 1x, +0 points).
        monotone: False where the note loses at a stress of the grid and not at a larger one:
            its breakeven is then the first loss found, not a threshold.
        defaults: The default multiple only: the pool's cumulative defaults over the stressed
            deal's life at the breakeven, as a share of the cut-off pool (``inf`` where the
            breakeven is), the loss the note bears in the unit that compares across
            scenarios.
        base_defaults: The default multiple only: the base case's (1x) cumulative defaults
            over the deal's life per path, shape (paths,), a share of the cut-off pool.
    """

    breakeven: np.ndarray
    unstressed: np.ndarray
    monotone: np.ndarray
    defaults: np.ndarray | None = None
    base_defaults: np.ndarray | None = None


def search_grid(grid: tuple[float, ...], stress: str) -> tuple[float, ...]:
    """``grid`` sorted, with the unstressed point of ``stress`` added if missing.

    Raises:
        ValueError: a grid that does not start at 0 (the first bracket's lower end).
    """
    points = tuple(sorted({float(g) for g in grid} | {UNSTRESSED[stress]}))
    if points[0] != 0.0:
        raise ValueError(f"a {stress} grid starts at 0, not {points[0]}")
    return points


def scan_flags(scan: np.ndarray, grid: tuple[float, ...],
               unstressed: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a grid scan says before any root search.

    Args:
        scan: (rows, len(grid)) booleans, whether the note loses at each stress of ``grid``.
        grid: The increasing stresses scanned, holding ``unstressed``.
        unstressed: The stress that means no stress.

    Returns:
        (first, loses_unstressed, monotone), each of shape (rows,): the index of the first
        stress at which the note loses (``len(grid)`` if none), whether it loses at
        ``unstressed``, and whether once losing it loses at every larger stress of the grid.
    """
    first = np.where(scan.any(axis=1), scan.argmax(axis=1), len(grid))
    monotone = (scan == np.logical_or.accumulate(scan, axis=1)).all(axis=1)
    return first, scan[:, grid.index(unstressed)].copy(), monotone


def first_loss(excess: Callable[[np.ndarray, np.ndarray], np.ndarray], lo: np.ndarray,
               hi: np.ndarray, rows: np.ndarray, tol: float) -> np.ndarray:
    """Per row, a stress within ``tol`` above a crossing of ``excess`` in ``(lo, hi]``.

    ``excess(stress, rows)`` is the note's loss minus one cent for those rows (<= 0 at
    ``lo``, > 0 at ``hi``); `scipy.optimize.elementwise.find_root` narrows each bracket to
    ``tol`` and the end of the final bracket at which the note loses is returned (``hi``,
    which loses, on a row the root finder did not converge on).

    Returns:
        Shape (rows,).
    """
    def strict(x: np.ndarray, at: np.ndarray) -> np.ndarray:
        # a loss of exactly one cent does not lose: keep it off zero, where find_root
        # would stop before the bracket is narrowed
        value = excess(x, at)
        return np.where(value > 0, value, np.minimum(value, -1e-12))

    res = find_root(strict, (lo, hi), args=(rows,), tolerances={"xatol": tol, "xrtol": 0.0})
    (xl, xr), (fl, fr) = res.bracket, res.f_bracket
    losing = np.where(fr > 0, xr, np.where(fl > 0, xl, hi))
    return np.where(res.success, losing, hi)

def note_losses(result: WaterfallResult, measure: str = "principal") -> np.ndarray:
    """Each note's loss by ``measure`` (`LOSS_MEASURES`), per path, (paths, notes), currency
    units: the principal written down, or what the present-value loss counts
    (`sim.abs.metrics.loss_amounts`); the note loses where it is above `LOSS_EPSILON`."""
    if measure == "principal":
        return result.notes["writedown"].sum(axis=1)
    return loss_amounts(result)[measure]


# ----------------------------------------------------------------------------------------------
# Across paths


def _median_interval(x: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Distribution-free interval for the median: order statistics x_(r) and x_(n+1-r) with
    r the largest rank such that P(Binomial(n, 1/2) <= r - 1) <= (1 - confidence) / 2.
    NaN ends when n is too small (fewer than 6 paths at 95 %)."""
    n = x.size
    r = int(stats.binom.ppf((1 - confidence) / 2, n, 0.5))
    if r < 1:
        return math.nan, math.nan
    s = np.sort(x)
    return float(s[r - 1]), float(s[n - r])


def summarise_breakevens(search: Search, notes: list[str], stress: str) -> pd.DataFrame:
    """Across paths, per note: paths losing with no stress (1x, +0 points), losing at 0,
    never losing, and losing at a stress of the grid but not at a larger one; the median
    breakeven with its 95 % interval, 10th and 90th percentiles (NaN below 10 paths, which
    cannot resolve them: :func:`sim.metrics.resolvable`) and mean of the finite breakevens;
    for the default multiple, the median cumulative defaults at the breakeven with their
    interval and the base case's median (shares of the cut-off pool).

    Args:
        search: The stress's `Search`, arrays of shape (paths, notes) (breakevens 0 and
            ``inf`` allowed).
        notes: Note names.
        stress: ``multiple`` or ``shock``.
    """
    values = search.breakeven
    rows = []
    for j, note in enumerate(notes):
        x = values[:, j]
        low, high = _median_interval(x)
        finite = x[np.isfinite(x)]
        rows.append({
            "stress": stress, "note": note, "paths": x.size,
            "loses_unstressed": int(search.unstressed[:, j].sum()),
            "loses_at_zero": int((x == 0).sum()), "never": int(np.isinf(x).sum()),
            "not_monotone": int((~search.monotone[:, j]).sum()),
            "median": float(np.quantile(x, 0.5, method="inverted_cdf")),
            "median_low": low, "median_high": high,
            # like report's percentiles: n/a until a path lies beyond each (10 paths)
            "p10": (float(np.quantile(x, 0.1, method="inverted_cdf"))
                    if resolvable(0.1, x.size) else math.nan),
            "p90": (float(np.quantile(x, 0.9, method="inverted_cdf"))
                    if resolvable(0.9, x.size) else math.nan),
            "mean": float(finite.mean()) if finite.size else math.nan,
        } | _defaults_summary(search, j))
    return pd.DataFrame(rows)


def _defaults_summary(search: Search, j: int) -> dict[str, float]:
    """Note ``j``'s cumulative defaults at the breakeven (median with its interval) and the
    base case's (median), shares of the cut-off pool; NaN for a stress without them."""
    if search.defaults is None or search.base_defaults is None:
        return dict.fromkeys(("defaults_median", "defaults_low", "defaults_high",
                              "base_defaults_median"), math.nan)
    x = search.defaults[:, j]
    low, high = _median_interval(x)
    return {"defaults_median": float(np.quantile(x, 0.5, method="inverted_cdf")),
            "defaults_low": low, "defaults_high": high,
            "base_defaults_median": float(np.quantile(search.base_defaults, 0.5,
                                                      method="inverted_cdf"))}
