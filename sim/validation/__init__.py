"""``creditsim validate``: the simulator checked against theory, field evidence and facts.

Each check is a function registered in :mod:`sim.validation.core` (marked quick or
full) that returns :class:`Check` rows; :mod:`sim.validation.runner` runs a selection,
prints one table and writes docs/VALIDATION.md. The analytic oracles drive the engine
with benchmark repayment models (:mod:`sim.agents.benchmark_models`) or the real
collection process with synthetic arrivals.
"""

from sim.validation.core import REGISTRY, Check, CheckSpec, Settings, register

__all__ = ["REGISTRY", "Check", "CheckSpec", "Settings", "register"]
