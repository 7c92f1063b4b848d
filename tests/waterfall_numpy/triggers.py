"""Performance triggers of a securitisation, evaluated for all Monte Carlo paths at once.

A trigger is a test on the pool's performance written into the deal: when cumulative defaults,
delinquencies or the excess spread cross a threshold, the deal protects its senior notes by
paying principal sequentially and ending any revolving period (early amortisation). Sticky
triggers never cure; non-sticky ones are re-tested every period.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from sim.abs.deal import (
    CumulativeDefaultTrigger,
    DelinquencyTrigger,
    ExcessSpreadTrigger,
)

__all__ = ["PeriodObservation", "TriggerMonitor", "safe_ratio"]

AnyTrigger = CumulativeDefaultTrigger | DelinquencyTrigger | ExcessSpreadTrigger


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Element-wise `num / den`, with 0 where `den` is not positive."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    if num.shape != den.shape:
        num, den = np.broadcast_arrays(num, den)
    return np.divide(num, den, out=np.zeros(num.shape), where=den > 0)


class PeriodObservation:
    """What the triggers see in one period (each array is shaped (paths,))."""

    __slots__ = ("defaults", "pool_balance_begin", "delinquent_balance", "excess_spread")

    def __init__(
        self,
        defaults: np.ndarray,
        pool_balance_begin: np.ndarray,
        delinquent_balance: np.ndarray | None,
        excess_spread: np.ndarray,
    ) -> None:
        self.defaults = defaults
        self.pool_balance_begin = pool_balance_begin
        self.delinquent_balance = delinquent_balance
        self.excess_spread = excess_spread


class TriggerMonitor:
    """Breach state of each trigger, updated once a period.

    Args:
        triggers: Trigger terms from the deal, in deal order.
        initial_pool: First period's `pool_balance_begin` per path, shape (paths,).
        n_periods: Number of periods that will be observed.
    """

    def __init__(
        self, triggers: Sequence[AnyTrigger], initial_pool: np.ndarray, n_periods: int
    ) -> None:
        self.triggers = tuple(triggers)
        n_paths = initial_pool.shape[0]
        self._initial_pool = np.asarray(initial_pool, float)
        self._cum_defaults = np.zeros(n_paths)
        self._es_history = np.zeros((n_periods, n_paths))
        self._t = 0
        self.state = np.zeros((len(self.triggers), n_paths), dtype=bool)
        self.values = np.zeros((len(self.triggers), n_paths))
        """Each trigger's tested value in the latest period (ratio or annualised spread)."""

    def update(self, obs: PeriodObservation) -> np.ndarray:
        """Observe the next period and return the breach state, shape (triggers, paths).

        A trigger is breached when its tested value exceeds its threshold (an excess-spread
        trigger: when the value falls below it); `values` keeps this period's tested values.
        """
        self._cum_defaults += obs.defaults
        self._es_history[self._t] = obs.excess_spread
        self._t += 1
        for k, trig in enumerate(self.triggers):
            value = _VALUES[trig.type](self, trig, obs)
            below = trig.type == "excess_spread"
            cond = value < trig.threshold if below else value > trig.threshold
            self.values[k] = value
            self.state[k] = (self.state[k] | cond) if trig.sticky else cond
        return self.state.copy()

    def _cumulative_default(self, trig: CumulativeDefaultTrigger, obs: PeriodObservation):
        return safe_ratio(self._cum_defaults, self._initial_pool)

    def _delinquency(self, trig: DelinquencyTrigger, obs: PeriodObservation):
        assert obs.delinquent_balance is not None, "a delinquency trigger needs the column"
        return safe_ratio(obs.delinquent_balance, obs.pool_balance_begin)

    def _excess_spread(self, trig: ExcessSpreadTrigger, obs: PeriodObservation):
        start = max(0, self._t - trig.months)
        return self._es_history[start : self._t].mean(axis=0)


_VALUES: dict[str, Callable[..., np.ndarray]] = {
    "cumulative_default_ratio": TriggerMonitor._cumulative_default,
    "delinquency_ratio": TriggerMonitor._delinquency,
    "excess_spread": TriggerMonitor._excess_spread,
}
