"""Breakevens: the smallest stress at which each note first loses principal (or, by choice, in
present value).

Rating agencies size a note's protection by the multiple of the pool's base-case defaults it
survives (an Aaa note typically 4 to 5 times, a Baa note about 2 times), applied as a scaled
cumulative default curve (timing vector times base-case cumulative defaults) on the original
pool balance. Two stresses are searched here, each on common random numbers (the same seed,
so on every path the same borrowers meet the same shocks and the loss moves with the stress,
not with the draws):

- **Default multiple** k: the run's own pool collections are replayed through the waterfall
  with each period's defaults k times the base pool's defaults of that period, an amount (a
  share of the cut-off pool: the base case's default curve by months since the cut-off),
  capped at the pool left. The defaulted balance stops paying; the rest (the survivors) pays
  principal and interest at the base survivors' rates of the same stage of the deal (a pool
  replenished last period, or m periods into its run-off), recoveries grow with the defaults
  (same recovery rate and lag), the delinquent balance is k times the base's, and the
  revolving period buys what the stressed waterfall reinvests. Defaults are not scaled per
  unit of the current pool: a run-off pool's late defaults come from receivables that were
  delinquent when it stopped revolving, so per unit of a small run-off pool they are large
  (7 to 60 % a month in the severe recession) and mean nothing for a pool of another size.
  The base run is the config's run without its clean-up call (`uncalled`), so the pool's
  collections are known after the base case's call date; the replay applies the call itself,
  and k = 1 reproduces the run's waterfall exactly. Only the waterfall is re-run, so the
  search is fast and exact in its common random numbers, but borrowers do not react to the
  stress (collections do not change their ladder, limits are not cut). A multiple is of one
  scenario's default curve; the cumulative defaults at the breakeven (`Search.defaults`) are
  the unit in which one deal's breakevens compare across scenarios.
- **Unemployment shock**: the engine is re-run with the peak rise of the unemployment rate
  (``macro.shock.peak_increase``, the config's own shock shape) set to s, so borrowers lose
  jobs, run down savings and miss bills as the model says they would. A config without a
  rise of its own (the steady economy) is stressed with the severe recession's shape starting
  at the deal's cut-off month (`STRESS_SHAPE`).

The multiple is multiplicative: no stress is 1x (the base case, the run itself; 0x is a pool
with no defaults at all). The shock is additive: no stress is +0 points (no rise in
unemployment; the search sets the peak rise, so the config's own shock, if it has one, is
replaced, not added to).

A note loses, by the loss measure searched (`LOSS_MEASURES`), when its principal written down
is above one cent (``principal``, the default), or when its present-value loss is
(``pv``: the interest and principal it was promised and did not receive, discounted at its
promised rate, `sim.abs.loss`; unpaid or late interest counts): exactly where the run's
``loss_pct`` or ``pv_loss_pct`` (`sim.abs.note_metrics`) would be above 0
(`sim.abs.metrics.loss_amounts`). At any stress a note that loses principal loses in present
value too, so its PV breakeven is at most its principal breakeven (to the search's
tolerance), and smaller where interest falls short, or comes late, before any writedown.

For each path and note the stress is scanned on a coarse grid (which always holds the
unstressed point) and the first bracket in which the note starts to lose (its loss above one
cent) is narrowed down by a bracketing root finder on the note's loss minus one cent:
`scipy.optimize.elementwise.find_root` (Chandrupatla's method, vectorised over paths and
notes) for the multiple, `scipy.optimize.brentq` for the shock. The result per path is a
breakeven (0: the note loses even at 0; infinite: no loss up to the largest stress searched),
whether the note loses unstressed, and whether its loss is monotone on the grid: on a finite
number of paths a trigger, the clean-up call's date or the revolving period can move with the
stress so that a note loses at one grid stress and not at a larger one. There the breakeven is
the first loss the scan finds, not a threshold above which the note always loses, and the
tables say so. Across paths: the median breakeven (the stress at which half the paths lose)
with a distribution-free 95 % interval from order statistics, the 10th and 90th percentiles,
and the counts of paths losing unstressed, never losing and losing non-monotonically.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import brentq
from scipy.optimize.elementwise import find_root
from threadpoolctl import threadpool_limits

from sim import exports
from sim.abs import Deal, Waterfall, WaterfallResult
from sim.abs.metrics import LOSS_EPSILON, LOSS_MEASURES, check_loss_measure, loss_amounts
from sim.config import SCENARIOS, RunConfig, with_overrides
from sim.engine import PathResult, simulate_path
from sim.exports import Column, Export
from sim.metrics import resolvable
from sim.montecarlo import run_paths
from sim.pool import WorkerDied, WorkerPool
from sim.scenarios import apply_scenario

__all__ = [
    "LOSS_MEASURES",
    "MULTIPLE_GRID",
    "SHOCK_GRID",
    "UNSTRESSED",
    "EXPORT_COLUMNS",
    "BreakevenResult",
    "Search",
    "breakeven",
    "multiple_breakevens",
    "replay_stressed",
    "shock_breakevens",
    "summarise_breakevens",
    "uncalled",
    "workers_lost",
]

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
SCALE = 1e9
"""Every path's cut-off pool is rescaled to this many currency units for the replay, so that
one deal sized on it serves all paths (the terms are shares and rates, so the waterfall is
scale-free); losses are scaled back to each path's own pool. The waterfall pays whole cents
(docs/WATERFALL.md §5.11), so the scale is large: a cent of the replay is pool / 1e9 of a
cent of a path's (a thousandth for a pool of a million, a twentieth for the Baitiao deal's
50 million), and the replay at 1x agrees with the run within the run's own rounding to the
cent. At 1e9 currency units a pool is 1e11
cents, far below the 2^53 a float64 holds exactly."""


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


# ----------------------------------------------------------------------------------------------
# The default multiple: the waterfall replayed on stressed collections


def _pool_arrays(results: list[PathResult]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The runs' pool tables as (paths, periods) arrays rescaled to `SCALE`, and each path's
    scale factor (its cut-off pool / `SCALE`).

    Besides the pool's columns the mapping holds ``revolving``, the base waterfall's revolving
    state per period (all False when a result carries no waterfall), which `_base_rates`
    needs to tell a replenishment capacity that was not looked for from one that was zero.
    """
    missing = [r.path for r in results if r.pool is None]
    if missing:
        raise ValueError(f"paths {missing} have no deal (the vehicle never bought a pool)")
    cols = ("pool_balance_begin", "interest", "principal", "recoveries", "defaults",
            "delinquent_balance", "base_rate", "replenishment_capacity")
    pools = [r.pool for r in results if r.pool is not None]
    arrays = {c: np.stack([np.asarray(pool[c], float) for pool in pools]) for c in cols}
    factor = arrays["pool_balance_begin"][:, 0] / SCALE
    if np.any(factor <= 0):
        raise ValueError("a path's cut-off pool is empty; nothing to stress")
    for c in cols:
        if c != "base_rate":
            arrays[c] = arrays[c] / factor[:, None]
    periods = arrays["pool_balance_begin"].shape[1]
    arrays["revolving"] = np.stack([
        np.asarray(r.waterfall.deal["revolving"][0], bool) if r.waterfall is not None
        else np.zeros(periods, bool) for r in results])
    return arrays, factor


def _deal(config: RunConfig) -> Deal:
    if config.deal is None:
        raise ValueError("the config has no deal: breakevens need notes (give --deal FILE)")
    return config.deal


def uncalled(config: RunConfig) -> RunConfig:
    """``config`` with its deal's clean-up call removed: the base run the multiple replays.

    A called pool is sold back, so the run records no collections after the call; a stressed
    replay whose pool stays above the call threshold longer (fewer defaults, or revolving on
    because a trigger the base case breached holds) needs them. The vehicle only listens to
    the accounts, so without the call the run is the same up to the call and the pool's own
    collections after it; the replay applies the deal's call itself, so at k = 1 it is still
    the run with the call.
    """
    deal = _deal(config)
    if deal.clean_up_call is None:
        return config
    return config.model_copy(update={"deal": deal.model_copy(update={"clean_up_call": None})})


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


def _rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _carry(values: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(paths, periods) ``values`` with every unseen period given the last seen period's value
    (the first period counts as seen)."""
    cols = np.arange(values.shape[1])
    last = np.maximum.accumulate(np.where(seen | (cols == 0), cols, 0), axis=1)
    return np.take_along_axis(values, last, axis=1)


def _base_rates(pool: dict[str, np.ndarray], revolving_months: int) -> dict[str, np.ndarray]:
    """The base case's default curve and its survivors' collections, (paths, periods).

    ``D`` defaults and ``Q`` the delinquent balance are amounts (the pool's own, at `SCALE`:
    shares of the cut-off pool), ``d`` and ``q`` the same per unit of the pool at the start of
    the period; ``p`` principal and ``y`` interest collections are per unit of the balance
    that did not default in the period (the survivors); ``r`` recoveries over the cumulative
    defaults to date (``rec`` the recoveries themselves where nothing has defaulted yet);
    ``capacity`` what the vehicle could buy; ``seen`` whether the base pool was observed.

    A run observes its pool only while its deal lives: once the deal has ended (all notes
    repaid, or the legal final) the pool table holds zeros, which are not collections of
    zero. A stressed pool may outlive the base deal, so periods with no base pool take the
    per-unit rates of the base pool's last period. Likewise the vehicle stops looking for
    receivables to buy once a trigger ends its revolving period; within the deal's revolving
    months those periods take the last capacity it saw.
    """
    base_b = pool["pool_balance_begin"]
    seen = base_b > 0
    cum_base = np.cumsum(pool["defaults"], axis=1)
    survivors = base_b - pool["defaults"]
    rates = {"d": _rate(pool["defaults"], base_b), "q": _rate(pool["delinquent_balance"], base_b),
             "p": _rate(pool["principal"], survivors), "y": _rate(pool["interest"], survivors),
             "r": _rate(pool["recoveries"], cum_base)}
    out = {k: _carry(v, seen) for k, v in rates.items()}
    out.update(D=pool["defaults"], Q=pool["delinquent_balance"], seen=seen,
               rec=np.where(cum_base > 0, 0.0, pool["recoveries"]))
    periods = base_b.shape[1]
    looked = np.ones_like(seen)
    looked[:, 1:] = pool["revolving"][:, :-1] | (np.arange(1, periods) >= revolving_months)
    out["capacity"] = _carry(pool["replenishment_capacity"], looked)
    return out


def _first_amortising(revolving: np.ndarray) -> np.ndarray:
    """Per row of (rows, periods) revolving flags, the first period that does not revolve
    (``periods`` if every period does)."""
    return np.where(revolving.all(axis=1), revolving.shape[1], np.argmin(revolving, axis=1))


def _same_stage(t: int, base_amortising: np.ndarray, amortising: np.ndarray,
                periods: int) -> np.ndarray:
    """The base period whose pool is at the stage the stressed pool is at in period ``t``.

    A pool bought or replenished at the end of the last period (``t`` up to and including the
    first period that does not revolve) is at the base's stage of the same period, or of the
    base's first amortising period if the base had stopped revolving by then; m periods after
    the stressed pool's first amortising period it is at the base's m periods after its own
    (clipped to the last period, whose rates `_base_rates` carries). ``amortising`` is -1 on
    rows still revolving before ``t``."""
    fresh = np.minimum(t, base_amortising)
    run_off = np.minimum(base_amortising + t - amortising, periods - 1)
    return np.where(amortising < 0, fresh, run_off)


def _replay(config: RunConfig, pool: dict[str, np.ndarray],
            k: np.ndarray) -> tuple[WaterfallResult, np.ndarray]:
    """`replay_stressed`, with the stressed cumulative defaults per path over the periods the
    deal ran, as a share of the cut-off pool."""
    base_b = pool["pool_balance_begin"]
    rows, periods = base_b.shape
    terms = _deal(config)
    wf = Waterfall(terms.sized(float(base_b[0, 0])), periods, rows)
    base = _base_rates(pool, terms.revolving_months)
    base_amortising = _first_amortising(pool["revolving"])
    amortising = np.full(rows, -1)
    balance, cum, row = base_b[:, 0].copy(), np.zeros(rows), np.arange(rows)
    for t in range(periods):
        stage = _same_stage(t, base_amortising, amortising, periods)
        seen = base["seen"][:, t]
        defaults = np.minimum(k * np.where(seen, base["D"][:, t], base["d"][:, t] * balance),
                              balance)
        survivors = balance - defaults
        principal = base["p"][row, stage] * survivors
        cum += defaults
        out = wf.run_period({
            "pool_balance_begin": balance, "interest": base["y"][row, stage] * survivors,
            "principal": principal,
            "recoveries": base["r"][:, t] * cum + base["rec"][:, t] * k,
            "defaults": defaults,
            "delinquent_balance": np.minimum(
                k * np.where(seen, base["Q"][:, t], base["q"][:, t] * balance), balance),
            "base_rate": pool["base_rate"][:, t],
            "replenishment_capacity": base["capacity"][:, t],
        })
        amortising = np.where((amortising < 0) & ~out["revolving"], t, amortising)
        ended = out["call_exercised"] | ~out["active"]
        balance = np.where(ended, 0.0,
                           np.maximum(balance - principal - defaults + out["reinvested"], 0.0))
    return wf.result(), cum / base_b[:, 0]


def replay_stressed(config: RunConfig, pool: dict[str, np.ndarray],
                    k: np.ndarray) -> WaterfallResult:
    """Replay the deal's waterfall on pool collections whose defaults are ``k`` times the base
    case's.

    Per path and period, with B' the stressed pool balance at the start and the base case of
    `_base_rates`: defaults ``D' = min(k D, B')``, k times the base pool's defaults of the
    period (as a share of the cut-off pool: the base case's default curve by months since the
    cut-off, scaled, on the original pool); the survivors ``B' - D'`` pay principal and
    interest at the base survivors' rates; the delinquent balance is ``min(k Q, B')``;
    recoveries are the base recoveries per unit of cumulative default times the stressed
    cumulative defaults (same recovery rate, same lag); the next period's pool is
    ``B' - principal' - D' + reinvested'`` (zero once the deal has ended), what the vehicle
    does when it runs the waterfall. Where the base pool was no longer observed (its deal had
    ended) defaults and delinquency are k times its last per-unit rates on B'.

    Args:
        config: The run's config (its ``deal`` gives the terms).
        pool: Base collections as `_pool_arrays` gives them: (paths, periods) arrays keyed as
            the run's ``pool`` table, every path's first pool balance equal (see `SCALE`).
        k: Default multiple per path, shape (paths,), >= 0.

    Returns:
        The stressed `WaterfallResult`.
    """
    return _replay(config, pool, k)[0]


def note_losses(result: WaterfallResult, measure: str = "principal") -> np.ndarray:
    """Each note's loss by ``measure`` (`LOSS_MEASURES`), per path, (paths, notes), currency
    units: the principal written down, or what the present-value loss counts
    (`sim.abs.metrics.loss_amounts`); the note loses where it is above `LOSS_EPSILON`."""
    if measure == "principal":
        return result.notes["writedown"].sum(axis=1)
    return loss_amounts(result)[measure]


def multiple_breakevens(config: RunConfig, results: list[PathResult],
                        grid: tuple[float, ...] = MULTIPLE_GRID,
                        tol: float = MULTIPLE_TOL, measure: str = "principal") -> Search:
    """Per path and note, the smallest default multiple at which the note loses (principal, or
    in present value: ``measure``, `LOSS_MEASURES`).

    Every path is replayed once per note (rows = paths × notes) so each row can be searched
    on its own; the scan over `grid` (with 1x added) finds the first multiple at which the
    note loses, and `first_loss` narrows the bracket below it to ``tol``.

    Args:
        config: The run's config.
        results: The run's path results (each with its pool).
        grid: Increasing multiples, the first 0.
        tol: Final bracket width.
        measure: ``principal`` or ``pv`` (`LOSS_MEASURES`).

    Returns:
        A `Search` of shape (paths, notes): breakevens as multiples (0 where the note loses
        with no defaults at all, ``inf`` where it does not lose at the last multiple of the
        grid), whether the note loses at 1x, whether its loss is monotone on the grid, the
        cumulative defaults at the breakeven and those of the base case.

    Raises:
        ValueError: a path without a pool, or a grid not starting at 0.
    """
    grid = search_grid(grid, "multiple")
    pool, factor = _pool_arrays(results)
    n_paths, n_notes = len(results), len(_deal(config).notes)
    rep = {c: np.repeat(v, n_notes, axis=0) for c, v in pool.items()}
    fac = np.repeat(factor, n_notes)
    note = np.tile(np.arange(n_notes), n_paths)
    rows = np.arange(n_paths * n_notes)

    def excess(k: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Rows ``at``'s note's loss at the path's own scale, less a cent."""
        replay = replay_stressed(config, {c: v[at] for c, v in rep.items()}, k)
        loss = note_losses(replay, measure)[np.arange(at.size), note[at]]
        return loss * fac[at] - LOSS_EPSILON

    scan = np.stack([excess(np.full(rows.size, g), rows) > 0 for g in grid], axis=1)
    first, unstressed, monotone = scan_flags(scan, grid, UNSTRESSED["multiple"])
    out = np.where(first == 0, 0.0, np.inf)
    todo = np.flatnonzero((first > 0) & (first < len(grid)))
    if todo.size:
        points = np.asarray(grid)
        out[todo] = first_loss(excess, points[first[todo] - 1], points[first[todo]], todo, tol)
    finite = np.isfinite(out)
    defaults = np.where(finite, _replay(config, rep, np.where(finite, out, 0.0))[1], np.inf)
    base = _replay(config, {c: v[::n_notes] for c, v in rep.items()}, np.ones(n_paths))[1]
    shape = (n_paths, n_notes)
    return Search(out.reshape(shape), unstressed.reshape(shape), monotone.reshape(shape),
                  defaults.reshape(shape), base)


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


EXPORT_COLUMNS = (
    Column("stress", "stress", "text", "'multiple': each period's defaults scaled, the "
           "waterfall replayed; 'shock': the engine re-run with a peak rise of unemployment"),
    Column("path", "path", "count", "the Monte Carlo path"),
    Column("note", "note", "text", "the note, in order of seniority"),
    Column("multiple", "breakeven multiple", "multiple", "the smallest multiple of the base "
           "case's defaults at which the note first loses (by the loss measure: principal, "
           "or in present value); blank on the shock's rows and where it does not lose at the "
           "largest multiple searched"),
    Column("shock", "breakeven unemployment rise", "ratio", "the smallest peak rise of the "
           "unemployment rate at which the note first loses (by the loss measure) (0.0425 = "
           "4.25 percentage points); blank on the multiple's rows and where it does not lose "
           "at the largest rise searched"),
    Column("no_loss_at_max", "no loss at the largest stress", "flag", "True: the note does "
           "not lose at the largest stress searched (the tables' 'none')"),
    Column("loses_unstressed", "loses unstressed", "flag", "True: the note loses with no "
           "stress (at 1x, or a rise of 0)"),
    Column("monotone", "monotone", "flag", "False: the note loses at a stress searched and "
           "not at a larger one (the breakeven is then the first loss, not a threshold)"),
    Column("defaults", "cumulative defaults at the breakeven", "ratio", "the deal's cumulative "
           "defaults at the breakeven multiple, a share of the cut-off pool (multiple's rows)"),
    Column("base_defaults", "cumulative defaults at 1x", "ratio", "the same at 1x, the run "
           "itself (multiple's rows)"),
)
"""``creditsim breakeven --csv/--xlsx``: one row per (stress, path, note)."""


@dataclass
class BreakevenResult:
    """Breakevens of one config's notes.

    Attributes:
        per_path: One row per (stress, path, note): ``breakeven`` (a multiple, or a peak rise
            of the unemployment rate as a fraction), ``loses_unstressed`` (at 1x, or +0
            points), ``monotone`` (False: the note loses at a stress of the grid and not
            at a larger one), and for the multiple ``defaults`` and ``base_defaults`` (the
            cumulative defaults at the breakeven and at 1x, shares of the cut-off pool).
            `export` is what ``--csv`` and ``--xlsx`` write.
        summary: `summarise_breakevens` rows of both stresses.
        shock_shape: The unemployment shock's start, ramp, hold and recovery (months).
        paths, seed: The paths and root seed searched.
        shape_source: Where the shock's shape comes from, in words (the config's own shock,
            or the `STRESS_SHAPE` scenario's from the deal's cut-off when it has no rise).
        measure: The loss measure searched (`LOSS_MEASURES`): ``principal`` or ``pv``.
    """

    per_path: pd.DataFrame
    summary: pd.DataFrame
    shock_shape: dict = field(default_factory=dict)
    paths: int = 0
    seed: int = 0
    shape_source: str = ""
    measure: str = "principal"

    TITLES = {"multiple": "Default multiple: the smallest multiple of the base case's "
                          "defaults (its default curve on the cut-off pool) at which the note "
                          "first loses principal",
              "shock": "Unemployment shock: the smallest peak rise of the unemployment rate "
                       "at which the note first loses principal"}
    """Table titles of each stress searched with the principal loss (`title`)."""

    LOSS_TEXTS = {"principal": "principal (a writedown above one cent)",
                  "pv": "pv (a present-value loss above one cent: interest or principal the "
                        "note was promised and did not receive, discounted at its promised "
                        "rate, as report's EL (PV))"}
    """The loss measure searched, in words (the export's ``about`` sheet, the footnote)."""

    def title(self, stress: str) -> str:
        """The table title of ``stress``, with the loss measure searched."""
        text = self.TITLES[stress]
        if self.measure == "pv":
            text = text.replace("loses principal", "loses in present value")
        return text

    UNSTRESSED_HEADS = {"multiple": "losing at 1x", "shock": "losing at +0 pts"}
    """Column head of the paths losing with no stress (`UNSTRESSED`)."""

    def export_table(self) -> pd.DataFrame:
        """`per_path` with one column per unit, as ``--csv`` and ``--xlsx`` write it:
        ``multiple`` (times the base case) on the multiple's rows, ``shock`` (the peak rise
        of the unemployment rate, a fraction: 0.025 is 2.5 points) on the shock's,
        ``defaults`` and ``base_defaults`` (shares of the cut-off pool) on the multiple's;
        a cell is empty where it does not apply and where the note has no breakeven (it does
        not lose at the largest stress searched: ``no_loss_at_max``, the tables' 'none')."""
        df = self.per_path
        value = df["breakeven"].where(np.isfinite(df["breakeven"]))
        multiple = df["stress"] == "multiple"
        return pd.DataFrame({
            "stress": df["stress"], "path": df["path"], "note": df["note"],
            "multiple": value.where(multiple), "shock": value.where(~multiple),
            "no_loss_at_max": np.isinf(df["breakeven"]),
            "loses_unstressed": df["loses_unstressed"], "monotone": df["monotone"],
            "defaults": df["defaults"].where(np.isfinite(df["defaults"])),
            "base_defaults": df["base_defaults"]})

    def export(self, config: str, command: str) -> Export:
        """Every path's breakevens as :mod:`sim.exports` writes them (sheet ``breakevens``,
        :data:`EXPORT_COLUMNS`), with the ``about`` facts: the config (``config``, its name),
        seed, paths, the shock's shape and the command."""
        searched = list(pd.unique(self.per_path["stress"]))
        facts = [("config", config), ("seed", str(self.seed)), ("paths", str(self.paths)),
                 ("stresses", ", ".join(searched)),
                 ("loss measure", self.LOSS_TEXTS[self.measure])]
        if "shock" in searched:
            facts.append(("shock shape", f"months: {self.shape_text} ({self.shape_source})"))
        facts += [("command", command), exports.UNITS_FACT,
                  ("definitions", "docs/REPORTS.md, 'Breakevens'")]
        return Export("breakevens", self.export_table(), EXPORT_COLUMNS, tuple(facts))

    @property
    def shape_text(self) -> str:
        """The shock's shape in words, ``start 6, ramp 9, hold 6, recovery 24`` (months)."""
        return ", ".join(f"{k.removesuffix('_months').replace('_', ' ')} {v}"
                         for k, v in self.shock_shape.items())

    def stresses(self) -> list[str]:
        return list(pd.unique(self.summary["stress"]))

    @staticmethod
    def formatter(stress: str) -> Callable[[float], str]:
        """How a breakeven of ``stress`` is written: ``2.35x`` or ``+4.25 pts``."""
        def fmt(v: float) -> str:
            if v != v:
                return "n/a"
            if math.isinf(v):
                return "none"
            return f"{v:.2f}x" if stress == "multiple" else f"+{v * 100:.2f} pts"
        return fmt


def _per_path(stress: str, search: Search, notes: list[str]) -> pd.DataFrame:
    paths = search.breakeven.shape[0]
    nan = np.full(search.breakeven.shape, math.nan)
    base = (np.full(paths, math.nan) if search.base_defaults is None
            else search.base_defaults)
    return pd.DataFrame({
        "stress": stress, "path": np.repeat(np.arange(paths), len(notes)),
        "note": np.tile(notes, paths), "breakeven": search.breakeven.ravel(),
        "loses_unstressed": search.unstressed.ravel(), "monotone": search.monotone.ravel(),
        "defaults": (nan if search.defaults is None else search.defaults).ravel(),
        "base_defaults": np.repeat(base, len(notes))})


def check_breakeven(config: RunConfig, stresses: tuple[str, ...],
                    measure: str = "principal") -> None:
    """Refuse a search that cannot run, before any work: no deal, an unknown stress or loss
    measure, a swap whose notional is a fixed schedule.

    Raises:
        ValueError: what is wrong and what is allowed.
    """
    if config.deal is None:
        raise ValueError("the config has no deal: breakevens need notes (give --deal FILE)")
    unknown = set(stresses) - {"multiple", "shock"}
    if unknown:
        raise ValueError(f"unknown stress {sorted(unknown)}; allowed: multiple, shock")
    check_loss_measure(measure)
    if not isinstance(config.deal.swap and config.deal.swap.notional, str | None):
        raise ValueError("the deal's swap notional is a fixed schedule in currency units: the "
                         "default-multiple replay rescales pools and needs scale-free terms")


def breakeven(config: RunConfig, paths: int, seed: int, workers: int = 1, *,
              stresses: tuple[str, ...] = ("multiple", "shock"),
              multiple_grid: tuple[float, ...] = MULTIPLE_GRID,
              shock_grid: tuple[float, ...] = SHOCK_GRID,
              progress: Callable[[str, int, int], None] | None = None,
              measure: str = "principal") -> BreakevenResult:
    """Both breakevens of every note of ``config``'s deal on ``paths`` paths of ``seed``, the
    note losing by ``measure`` (`LOSS_MEASURES`: ``principal``, a writedown above one cent, or
    ``pv``, a present-value loss above one cent).

    Raises:
        ValueError: If the config has no deal, a stress or the loss measure is unknown, or a
            path's deal never started.
        WorkerDied: A worker process ended before its paths were done (killed): one line
            saying how and what to do (:func:`workers_lost`).
    """
    check_breakeven(config, stresses, measure)
    assert config.deal is not None  # checked
    notes = [n.name for n in config.deal.notes]
    found: dict[str, Search] = {}
    if "multiple" in stresses:
        try:
            results = run_paths(uncalled(config), paths, seed, workers,
                                on_progress=(lambda d, n: progress("multiple", d, n))
                                if progress else None)
        except WorkerDied as exc:  # the run's own message speaks of a run not written
            raise workers_lost(exc.endings) from None
        found["multiple"] = multiple_breakevens(config, results, multiple_grid,
                                                measure=measure)
    if "shock" in stresses:
        found["shock"] = shock_breakevens(
            config, paths, seed, workers, shock_grid,
            on_path=(lambda d, n: progress("shock", d, n)) if progress else None,
            measure=measure)
    per_path = pd.concat([_per_path(s, v, notes) for s, v in found.items()], ignore_index=True)
    summary = pd.concat([summarise_breakevens(v, notes, s) for s, v in found.items()],
                        ignore_index=True)
    shape = _shock(config)
    shape.pop("peak_increase", None)
    source = (f"the {STRESS_SHAPE.replace('_', ' ')}'s shape from the deal's cut-off, as the "
              "config's economy has no rise of its own" if stressed_from_cutoff(config)
              else "the config's own shock")
    return BreakevenResult(per_path, summary, shape, paths, seed, source, measure)
