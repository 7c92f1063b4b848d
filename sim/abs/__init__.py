"""Securitisation: deal terms, the payment waterfall and tranche metrics (pure, no SimPy).

A pool of receivables is sold to a vehicle that funds itself with notes of different seniority;
each month its collections are paid out through a waterfall, and the order of that waterfall
decides which note absorbs the pool's losses. docs/WATERFALL.md is the specification.
"""

from sim.abs.deal import STATES, Deal, PriorityOfPayments, Step, Verb, as_deal, build_steps
from sim.abs.metrics import (
    irr_annual,
    irr_solve,
    note_metrics,
    tranche_summary,
    trigger_metrics,
    wal_years,
)
from sim.abs.ratings import IDEALISED_EL, IDEALISED_EL_5Y, implied_rating, rating_assessment
from sim.abs.tables import result_to_frame, run_waterfall, steps_to_frame, triggers_to_frame
from sim.abs.waterfall import HorizonWarning, Waterfall, WaterfallResult, waterfall_arrays

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
    "implied_rating",
    "irr_annual",
    "irr_solve",
    "note_metrics",
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
