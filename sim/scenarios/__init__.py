"""Named macro scenarios: the deterministic unemployment path of each path's macro.

A scenario is a hump added to the long-run unemployment rate (ramp up, hold at the
peak, recover). Each Monte Carlo path adds its own AR(1) deviation around it, the
common factor that moves every borrower's job-loss hazard together. A config picks a
scenario by name (``macro.scenario``) or gives its own ``macro.shock``. The named shocks
(:data:`SCENARIOS`) and :func:`apply_scenario` live in :mod:`sim.config`, which fills them in
when a config is validated; they are re-exported here.
"""

from __future__ import annotations

import numpy as np

from sim.config import SCENARIOS, MacroConfig, apply_scenario  # noqa: F401 - re-exported


def deterministic_path(macro: MacroConfig, months: int) -> np.ndarray:
    """The scenario's unemployment rate for months 0..months-1 (no randomness)."""
    shock = macro.shock or SCENARIOS[macro.scenario]
    t = np.arange(months, dtype=float) - shock.start_month
    up = np.clip(t / shock.ramp_months, 0.0, 1.0)
    down = np.clip(
        (t - shock.ramp_months - shock.hold_months) / shock.recovery_months, 0.0, 1.0
    )
    hump = np.where(t < 0, 0.0, up - down)
    return np.maximum(macro.unemployment_base + shock.peak_increase * hump, macro.floor)


def ar1(eps: np.ndarray, phi: float) -> np.ndarray:
    """``x[m] = phi * x[m-1] + eps[m]`` with ``x[-1] = 0``: an AR(1) filter, (months,) floats.

    The same arithmetic as ``scipy.signal.lfilter([1], [1, -phi], eps)`` (direct form II
    transposed: ``y = 1 * x + z``, ``z = 0 * x + phi * y``), so the results are
    bit-identical; a loop over a path's months spares each worker loading scipy.signal
    (and with it scipy.stats), about a second of imports.
    """
    out = np.empty(len(eps), dtype=np.float64)
    prev = 0.0
    for m, e in enumerate(np.asarray(eps, dtype=np.float64).tolist()):
        prev = e + phi * prev
        out[m] = prev
    return out


def simulate_unemployment(macro: MacroConfig, months: int, rng: np.random.Generator) -> np.ndarray:
    """One path's unemployment rate: the deterministic path plus an AR(1) deviation."""
    eps = rng.standard_normal(months) * macro.shock_sd
    dev = ar1(eps, macro.ar_persistence)  # x[m] = phi x[m-1] + eps[m]
    return np.clip(deterministic_path(macro, months) + dev, macro.floor, 0.5)


def simulate_base_rate(macro: MacroConfig, unemployment: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """One path's base rate (annual) for each month of ``unemployment``.

    ``mean + d[m] - beta * (u[m] - u_base)``, floored, where ``d`` is an AR(1) deviation
    starting at ``initial - mean``: the central bank eases when unemployment rises, which
    is what makes floating-rate notes cheaper in a recession and a fixed-paying swap costly.
    """
    cfg = macro.base_rate
    eps = np.asarray(rng.standard_normal(unemployment.shape[0])) * cfg.shock_sd
    eps[0] += cfg.initial - cfg.mean
    dev = ar1(eps, cfg.persistence)
    easing = cfg.unemployment_beta * (unemployment - macro.unemployment_base)
    return np.maximum(cfg.mean + dev - easing, cfg.floor)
