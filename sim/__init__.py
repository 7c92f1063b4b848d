"""creditsim: a Monte Carlo simulator of an instalment-credit platform and its ABS funding."""

from sim.api import run
from sim.config import ConfigError, RunConfig, load_config
from sim.store import Run, load_run

__all__ = ["ConfigError", "Run", "RunConfig", "load_config", "load_run", "run"]
