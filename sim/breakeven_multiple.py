"""The default-multiple breakeven (`sim.breakeven`): the waterfall replayed on stressed
collections.

The run's own pool collections (of the config run without its clean-up call, `uncalled`) are
replayed through the deal's waterfall with each period's defaults k times the base pool's
defaults of that period (`replay_stressed`), every path's cut-off pool rescaled to `SCALE`;
the survivors pay at the base survivors' rates of the same stage of the deal, recoveries grow
with the defaults, and k = 1 reproduces the run's waterfall. `multiple_breakevens` searches,
per path and note, the smallest k at which the note loses.
"""

from __future__ import annotations

import numpy as np

from sim.abs import Deal, Waterfall, WaterfallResult
from sim.abs.metrics import LOSS_EPSILON
from sim.breakeven_search import (
    MULTIPLE_GRID,
    MULTIPLE_TOL,
    UNSTRESSED,
    Search,
    first_loss,
    note_losses,
    scan_flags,
    search_grid,
)
from sim.config import RunConfig
from sim.engine import PathResult

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
