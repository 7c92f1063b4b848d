"""Securitisation: deal terms, the payment waterfall and tranche metrics (pure, no SimPy).

A pool of receivables is sold to a vehicle that funds itself with notes of different seniority;
each month its collections are paid out through a waterfall, and the order of that waterfall
decides which note absorbs the pool's losses. docs/WATERFALL.md is the specification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.abs.deal import STATES, Deal, PriorityOfPayments, Step, Verb, as_deal, build_steps
from sim.abs.waterfall import HorizonWarning, Waterfall, WaterfallResult, waterfall_arrays
from sim.lazy import lazy_attributes

if TYPE_CHECKING:
    from sim.abs.loss import charged_rates, pv_loss
    from sim.abs.metrics import (
        irr_annual,
        irr_solve,
        note_metrics,
        tranche_summary,
        trigger_metrics,
        wal_years,
    )
    from sim.abs.ratings import (
        IDEALISED_EL,
        IDEALISED_EL_5Y,
        implied_rating,
        rating_assessment,
    )
    from sim.abs.tables import (
        result_to_frame,
        run_waterfall,
        steps_to_frame,
        triggers_to_frame,
    )

_LAZY = {
    **dict.fromkeys(("charged_rates", "pv_loss"), "sim.abs.loss"),
    **dict.fromkeys(("irr_annual", "irr_solve", "note_metrics", "tranche_summary",
                     "trigger_metrics", "wal_years"), "sim.abs.metrics"),
    **dict.fromkeys(("IDEALISED_EL", "IDEALISED_EL_5Y", "implied_rating",
                     "rating_assessment"), "sim.abs.ratings"),
    **dict.fromkeys(("result_to_frame", "run_waterfall", "steps_to_frame",
                     "triggers_to_frame"), "sim.abs.tables"),
}
"""Names loaded on first use (PEP 562): the metrics and tables need pandas and scipy.stats,
which a path worker (deal terms and the waterfall only) does not."""

__getattr__ = lazy_attributes(__name__, _LAZY, globals())


__all__ = [
    "IDEALISED_EL",
    "IDEALISED_EL_5Y",
    "STATES",
    "Deal",
    "HorizonWarning",
    "PriorityOfPayments",
    "Step",
    "Verb",
    "Waterfall",
    "WaterfallResult",
    "as_deal",
    "build_steps",
    "charged_rates",
    "implied_rating",
    "irr_annual",
    "irr_solve",
    "note_metrics",
    "pv_loss",
    "rating_assessment",
    "result_to_frame",
    "run_waterfall",
    "steps_to_frame",
    "tranche_summary",
    "trigger_metrics",
    "triggers_to_frame",
    "wal_years",
    "waterfall_arrays",
]
