"""Performance triggers of a securitisation, evaluated for all Monte Carlo paths at once.

A trigger is a test on the pool's performance written into the deal: when cumulative defaults,
delinquencies or the excess spread cross a threshold, the deal protects its senior notes by
paying principal sequentially and ending any revolving period (early amortisation). Sticky
triggers never cure; non-sticky ones are re-tested every period.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.abs.deal import (
    CumulativeDefaultTrigger,
    CumulativeNetLossTrigger,
    DelinquencyTrigger,
    ExcessSpreadTrigger,
)
from sim.kernels.waterfall_layout import TRIGGER_TYPES

__all__ = ["TriggerMonitor", "safe_ratio"]

AnyTrigger = (CumulativeDefaultTrigger | CumulativeNetLossTrigger | DelinquencyTrigger
              | ExcessSpreadTrigger)


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Element-wise `num / den`, with 0 where `den` is not positive."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    if num.shape != den.shape:
        num, den = np.broadcast_arrays(num, den)
    return np.divide(num, den, out=np.zeros(num.shape), where=den > 0)


class TriggerMonitor:
    """Breach state of each trigger, updated once a period by the compiled period
    (:func:`sim.kernels.waterfall.run_period`).

    Each period, per path: the cumulative default ratio is the defaults so far over the first
    period's pool balance, the cumulative net loss ratio the defaults less recoveries so far
    over it; the delinquency ratio is the period's delinquent balance over its
    pool balance (both 0 where the denominator is not positive); the excess spread is the
    mean of the annualised excess spread over the last ``months`` periods (fewer at the
    start). A trigger is breached when its value exceeds its threshold (an excess-spread
    trigger: when the value falls below it); a sticky trigger stays breached. docs/WATERFALL.md
    §4.

    Args:
        triggers: Trigger terms from the deal, in deal order.
        initial_pool: First period's `pool_balance_begin` per path, shape (paths,).
        n_periods: Number of periods that will be observed.

    Attributes:
        terms: Type code (``TRIGGER_TYPES`` of :mod:`sim.kernels.waterfall_layout`),
            threshold, sticky (1.0 or 0.0) and months of each trigger, (4, triggers).
        state: Breach state, (triggers, paths), bool.
        values: Each trigger's tested value in the latest period, (triggers, paths).
        es_history: Annualised excess spread by period, (periods, paths).
        cum_defaults: Defaults so far, (paths,).
        cum_net_losses: Defaults less recoveries so far, (paths,).
    """

    def __init__(
        self, triggers: Sequence[AnyTrigger], initial_pool: np.ndarray, n_periods: int
    ) -> None:
        self.triggers = tuple(triggers)
        n_paths = initial_pool.shape[0]
        self.terms = np.array(
            [[TRIGGER_TYPES.index(t.type) for t in self.triggers],
             [t.threshold for t in self.triggers],
             [float(t.sticky) for t in self.triggers],
             [getattr(t, "months", 0) for t in self.triggers]], dtype=float,
        ).reshape(4, len(self.triggers))
        self.state = np.zeros((len(self.triggers), n_paths), dtype=bool)
        self.values = np.zeros((len(self.triggers), n_paths))
        self.es_history = np.zeros((n_periods, n_paths))
        self.cum_defaults = np.zeros(n_paths)
        self.cum_net_losses = np.zeros(n_paths)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(terms, state, values, es_history, cum_defaults, cum_net_losses), as the compiled
        period takes them."""
        return (self.terms, self.state, self.values, self.es_history, self.cum_defaults,
                self.cum_net_losses)
