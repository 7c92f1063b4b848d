"""creditsim: a Monte Carlo simulator of an instalment-credit platform and its ABS funding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.config import ConfigError, RunConfig, load_config

if TYPE_CHECKING:
    from sim.api import run
    from sim.store import Run, load_run

__all__ = ["ConfigError", "Run", "RunConfig", "load_config", "load_run", "run"]

_LAZY = {"run": "sim.api", "Run": "sim.store", "load_run": "sim.store"}
"""Names loaded on first use (PEP 562): a path worker imports ``sim`` without pandas."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
