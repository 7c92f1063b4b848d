"""creditsim: a Monte Carlo simulator of an instalment-credit platform and its ABS funding."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.config import ConfigError, RunConfig, load_config
from sim.lazy import lazy_attributes

if TYPE_CHECKING:
    from sim.api import run
    from sim.store import Run, load_run

__all__ = ["ConfigError", "Run", "RunConfig", "load_config", "load_run", "run"]

_LAZY = {"run": "sim.api", "Run": "sim.store", "load_run": "sim.store"}
"""Names loaded on first use (PEP 562): a path worker imports ``sim`` without pandas."""

__getattr__ = lazy_attributes(__name__, _LAZY, globals())
