"""The unemployment-shock breakeven (`sim.breakeven`): the engine re-run with a larger rise.

Each path is simulated again with the peak rise of the unemployment rate (the config's own
shock shape, or the `STRESS_SHAPE` scenario's from the deal's cut-off when the config's
economy has no rise of its own) set to a stress s, on the same seed, so borrowers lose jobs
and miss bills as the model says they would; `shock_breakevens` searches, per path and note,
the smallest s at which the note loses, over local worker processes when asked.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq
from threadpoolctl import threadpool_limits

from sim.abs.metrics import LOSS_EPSILON
from sim.breakeven_search import (
    SHOCK_GRID,
    SHOCK_TOL,
    UNSTRESSED,
    Search,
    note_losses,
    scan_flags,
    search_grid,
)
from sim.config import SCENARIOS, RunConfig, with_overrides
from sim.engine import simulate_path
from sim.pool import WorkerDied, WorkerPool
from sim.scenarios import apply_scenario

STRESS_SHAPE = "severe_recession"
"""Named scenario whose shape (ramp, hold and recovery months) the shock search uses for a
config whose own shock has no rise (the steady economy): a shape of zero height has no start
or length that means anything for a stress."""


def _shock(config: RunConfig) -> dict:
    """The shape of the unemployment shock the search scales, as a mapping (``peak_increase``
    included; the search replaces it).

    The config's own shock, or its named scenario's. A shock without a rise (the baseline
    scenario's starts in month 0 and, scaled, would pass before the vehicle holds a pool)
    becomes the :data:`STRESS_SHAPE` scenario's ramp, hold and recovery, starting at the
    deal's cut-off month: the stress hits the pool the vehicle buys, as a stress run from a
    deal's closing does.
    """
    if stressed_from_cutoff(config):
        assert config.deal is not None  # stressed_from_cutoff checks
        return SCENARIOS[STRESS_SHAPE].model_copy(
            update={"start_month": config.deal.cutoff_month, "peak_increase": 0.0}).model_dump()
    shock = apply_scenario(config).macro.shock
    assert shock is not None, "apply_scenario fills in the scenario's shock"
    return shock.model_dump()


def stressed_from_cutoff(config: RunConfig) -> bool:
    """Whether the shock search uses the :data:`STRESS_SHAPE` from the deal's cut-off (the
    config's own shock has no rise) rather than the config's own shock shape."""
    shock = apply_scenario(config).macro.shock
    return shock is not None and shock.peak_increase == 0.0 and config.deal is not None




# ----------------------------------------------------------------------------------------------
# The unemployment shock: the engine re-run


def shocked_config(config: RunConfig, peak_increase: float) -> RunConfig:
    """``config`` with its unemployment shock's peak rise set to ``peak_increase`` (the shape,
    start, ramp, hold and recovery, of the config's own shock or named scenario)."""
    shock = _shock(config)
    return with_overrides(config, {"macro": {"shock": {**shock,
                                                       "peak_increase": float(peak_increase)}}})


def _path_losses(config: RunConfig, seed: int, path: int,
                 measure: str = "principal") -> np.ndarray:
    """Path ``path``'s loss of each note by ``measure`` (`note_losses`), shape (notes,)."""
    result = simulate_path(config, seed, path)
    if result.waterfall is None:
        raise ValueError(f"path {path}: the deal never started (no pool at the cut-off)")
    return note_losses(result.waterfall, measure)[0]


def _shock_path(config: RunConfig, seed: int, path: int, grid: tuple[float, ...],
                tol: float, measure: str = "principal"
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One path's breakeven shock per note, grid scan then brentq in the first bracket, with
    whether each note loses (by ``measure``) at +0 points and whether its loss is monotone on
    the grid (each of shape (notes,); see `Search`)."""
    cache: dict[float, np.ndarray] = {}

    def loss(s: float) -> np.ndarray:
        if s not in cache:
            with threadpool_limits(limits=1):
                cache[s] = _path_losses(shocked_config(config, s), seed, path, measure)
        return cache[s]

    scan = np.stack([loss(s) > LOSS_EPSILON for s in grid], axis=1)  # (notes, grid)
    first, unstressed, monotone = scan_flags(scan, grid, UNSTRESSED["shock"])
    out = np.where(first == 0, 0.0, np.inf)
    for j in np.flatnonzero((first > 0) & (first < len(grid))):
        lo, hi = grid[first[j] - 1], grid[first[j]]
        root = brentq(lambda s, j=j: float(loss(s)[j]) - LOSS_EPSILON, lo, hi, xtol=tol)
        # brentq returns a point within tol of the crossing: report the side that loses
        out[j] = min((s for s in cache if lo < s <= hi and cache[s][j] > LOSS_EPSILON),
                     default=root)
    return out, unstressed, monotone


def workers_lost(endings: list[str]) -> WorkerDied:
    """The error of a breakeven search whose worker process ended before its paths were done
    (``endings``: how the workers ended, as :class:`sim.pool.WorkerDied` has them)."""
    return WorkerDied(endings, "its paths were done", outcome="; no breakeven was computed")


def shock_breakevens(config: RunConfig, paths: int, seed: int, workers: int = 1,
                     grid: tuple[float, ...] = SHOCK_GRID, tol: float = SHOCK_TOL,
                     on_path: Callable[[int, int], None] | None = None,
                     measure: str = "principal") -> Search:
    """Per path and note, the smallest unemployment shock at which the note loses (principal,
    or in present value: ``measure``, `LOSS_MEASURES`).

    Args:
        config: The run's config (with a deal).
        paths: Paths 0..paths-1 of root ``seed``.
        seed: Root seed (the same for every shock: common random numbers).
        workers: Local processes; each runs whole paths.
        grid: Increasing peak rises of the unemployment rate, the first 0.
        tol: brentq's absolute tolerance on the shock.
        on_path: Called with (paths done, paths) as paths finish.
        measure: ``principal`` or ``pv``.

    Returns:
        A `Search` of shape (paths, notes): peak rises as fractions (0.05 = 5 points; 0 where
        the note loses without any shock, ``inf`` where it does not lose at the largest shock
        of the grid), whether the note loses at +0 points, and whether its loss is monotone
        on the grid.

    Raises:
        ValueError: a grid not starting at 0, or a path whose deal never started.
        WorkerDied: a worker process ended before its paths were done (killed); the
            message says how and what to do (:func:`workers_lost`).
    """
    grid = search_grid(grid, "shock")
    out: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    if workers == 1:
        for p in range(paths):
            out[p] = _shock_path(config, seed, p, grid, tol, measure)
            if on_path:
                on_path(len(out), paths)
    else:
        calls = [(config, seed, p, grid, tol, measure) for p in range(paths)]
        with WorkerPool(workers, lost=workers_lost) as pool:
            for p, found in pool.completed(_shock_path, calls):
                out[p] = found
                if on_path:
                    on_path(len(out), paths)
    return Search(*(np.stack([out[p][i] for p in range(paths)]) for i in range(3)))
