"""``creditsim validate``: the simulator checked against theory, field evidence and facts.

Each check is a function registered in :mod:`sim.validation.core` (marked quick or
full) that returns :class:`Check` rows; :mod:`sim.validation.runner` runs a selection,
prints one table and writes docs/VALIDATION.md. The analytic oracles drive the engine
with benchmark repayment models (:mod:`sim.agents.benchmark_models`) or the real
collection process with synthetic arrivals.

The names below are loaded on first use, so that the command line can build its parser
from :mod:`sim.validation.options` without importing numpy and scipy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["REGISTRY", "Check", "CheckSpec", "Settings", "register"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sim.validation import core

        return getattr(core, name)
    raise AttributeError(f"module 'sim.validation' has no attribute {name!r}")
