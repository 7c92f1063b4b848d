"""The ABS deal's triggers in the compiled waterfall period, for every path.

:func:`update_triggers` is the ``TriggerMonitor`` step of
:func:`sim.kernels.waterfall.run_period`: the cumulative default and net loss ratios, the
delinquency ratio and the rolling mean of excess spread, each trigger's state (sticky or
not) and the breached paths. As in :mod:`sim.kernels.waterfall`, each statement is the
scalar form of the array statement it replaces, with the same operands in the same order, so
the results are bit-identical to the array form (``tests/test_waterfall_kernel.py``).
"""

from __future__ import annotations

from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.waterfall_layout import B_BREACH, D_ES


@njit(cache=True)
def update_triggers(t, xs, terms_p, monitor, flags_p, deal_out, trig_out, trig_values_out,
                    bscratch):
    """Update every trigger on every path (``TriggerMonitor``); mark breached paths."""
    trig, trig_state, trig_values, es_history, cum_defaults, cum_net = monitor
    x_defaults, x_recoveries, act, breach = xs[4], xs[3], flags_p[0], bscratch[B_BREACH]
    es = deal_out[D_ES, t]
    for p in range(act.shape[0]):
        cum_defaults[p] += x_defaults[t, p] if act[p] else 0.0
        cum_net[p] += (x_defaults[t, p] - x_recoveries[t, p]) if act[p] else 0.0
        es_history[t, p] = es[p]
        breach[p] = False
    for j in range(trig.shape[1]):
        values = trig_values[j]
        kind = int(trig[0, j])
        if kind == 0:
            _ratio(cum_defaults, terms_p[1], values)
        elif kind == 3:
            _ratio(cum_net, terms_p[1], values)
        elif kind == 1:
            _delinquency_ratio(t, xs[5], xs[0], act, values)
        else:
            _rolling_mean(es_history, max(0, t + 1 - int(trig[3, j])), t + 1, values)
        threshold, sticky, state = trig[1, j], trig[2, j] != 0.0, trig_state[j]
        out, values_out = trig_out[t, j], trig_values_out[t, j]
        for p in range(act.shape[0]):
            cond = values[p] < threshold if kind == 2 else values[p] > threshold
            hit = (state[p] | cond) if sticky else cond
            state[p] = hit
            breach[p] = breach[p] | hit
            out[p] = hit & act[p]
        for p in range(act.shape[0]):
            values_out[p] = values[p] if act[p] else 0.0
    ever = flags_p[1]
    for p in range(act.shape[0]):
        breach[p] = breach[p] & act[p]
        ever[p] = ever[p] | breach[p]


@njit(cache=True)
def _rolling_mean(history, start, stop, out):
    """Mean of ``history[start:stop]`` over its first axis, summed from ``start`` on."""
    for p in range(out.shape[0]):
        out[p] = 0.0 + history[start, p]
    for i in range(start + 1, stop):
        row = history[i]
        for p in range(out.shape[0]):
            out[p] += row[p]
    n = stop - start
    for p in range(out.shape[0]):
        out[p] = out[p] / n


@njit(cache=True)
def _ratio(num, den, out):
    """``num / den`` where ``den`` is positive, else 0 (``safe_ratio``)."""
    for p in range(out.shape[0]):
        out[p] = num[p] / den[p] if den[p] > 0 else 0.0


@njit(cache=True)
def _delinquency_ratio(t, x_delinquent, x_pool, act, out):
    """Delinquent balance over the period's pool balance (0 on ended deals)."""
    for p in range(out.shape[0]):
        pool = x_pool[t, p] if act[p] else 0.0
        delinquent = x_delinquent[t, p] if act[p] else 0.0
        out[p] = delinquent / pool if pool > 0 else 0.0
