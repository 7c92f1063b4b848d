"""Checks, their registry and the settings they run with.

A check compares one simulated quantity with a target: an exact result of theory (an
*oracle*), a published treatment effect that a simulated field experiment should
reproduce (*experiment*), or a published fact about real books (*fact*). Each result
is a :class:`Check` row; a check function registered with :func:`register` returns
one or more rows, so a single simulation can feed several comparisons.

Adding a check: in a module of this package, write ``func(settings, paths) -> list[Check]``
(derive its seed with ``settings.seed_for(name)``, run engine paths with
:func:`sim.montecarlo.run_paths` or :func:`map_paths`), decorate it with
``@register(name, group, quick=..., paths=(quick, full))`` and list the module in
``sim.validation.runner.CHECK_MODULES``. A simulated field experiment returns an
"experiment" row (effect and its interval against the published effect, tolerance the
published uncertainty combined with the simulation's); a stylised fact returns a "fact"
row, usually ``comparison="at_least"`` or ``"at_most"`` against the published bound.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats
from threadpoolctl import threadpool_limits

from sim.pool import WorkerDied, WorkerPool
from sim.validation.options import DEFAULT_SEED

Group = Literal["oracle", "experiment", "fact"]
GROUPS: tuple[Group, ...] = ("oracle", "experiment", "fact")
Comparison = Literal["within", "at_least", "at_most"]
Z_ORACLE = 4.0
"""Standard errors an oracle's simulated value may stray from the exact one: a false
alarm has probability 6e-5 per row (two-sided normal tail), a wrong rule shifts the
value by many standard errors."""


@dataclass(frozen=True)
class Check:
    """One comparison of a simulated value with its target.

    Attributes:
        name: dotted identifier, ``<registered check>.<quantity>``.
        group: "oracle", "experiment" or "fact".
        source: where the target comes from (formula or citation).
        simulated: the simulated value (unit of ``fmt``).
        low, high: its Monte Carlo interval (about 95 %).
        target: the value it is compared with.
        tolerance: allowed distance from ``target`` (for "within"), or margin beyond it
            (for "at_least" / "at_most", usually 0); a share of ``|target|`` when
            ``relative``.
        comparison: "within" (two-sided), "at_least" or "at_most".
        relative: the tolerance is relative to the target.
        note: how the tolerance was derived and how engine events map onto theory.
        fmt: format spec of the values, e.g. ".2%" or ".3f".
    """

    name: str
    group: Group
    source: str
    simulated: float
    low: float
    high: float
    target: float
    tolerance: float
    comparison: Comparison = "within"
    relative: bool = False
    note: str = ""
    fmt: str = ".4f"

    @property
    def allowed(self) -> float:
        """The tolerance in the unit of the values."""
        return self.tolerance * abs(self.target) if self.relative else self.tolerance

    @property
    def passed(self) -> bool:
        """Whether the simulated value meets the target (NaN never passes)."""
        x, t, a = self.simulated, self.target, self.allowed
        if not math.isfinite(x):
            return False
        if self.comparison == "at_least":
            return x >= t - a
        if self.comparison == "at_most":
            return x <= t + a
        return abs(x - t) <= a

    def to_dict(self) -> dict[str, Any]:
        """The row's fields plus its verdict, for tables and JSON."""
        return {**asdict(self), "passed": self.passed}

    def value_text(self) -> str:
        """The simulated value with its interval, e.g. ``0.3612 [0.3570, 0.3655]``."""
        f = self.fmt
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return format(self.simulated, f)
        return f"{self.simulated:{f}} [{self.low:{f}}, {self.high:{f}}]"

    def target_text(self) -> str:
        """The target and tolerance, e.g. ``0.3616 ± 0.0110`` or ``>= 0.80``."""
        f = self.fmt
        unsigned = f.removeprefix("+")  # a signed effect's tolerance is a width: "± 0.100"
        tol = (f"{self.tolerance:.1%} rel." if self.relative else format(self.allowed, unsigned))
        if self.comparison == "at_least":
            return f">= {self.target - self.allowed:{f}}"
        if self.comparison == "at_most":
            return f"<= {self.target + self.allowed:{f}}"
        return f"{self.target:{f}} ± {tol}"


@dataclass(frozen=True)
class Settings:
    """How a validation run is made.

    Attributes:
        seed: root seed; each check derives its own from it and its name, so a check
            gives the same numbers whether it runs alone or with the others.
        quick: run the small versions (for the test suite).
        paths: Monte Carlo paths (or replications) per check; None uses each check's
            default for the mode.
        workers: local worker processes for checks that run many engine paths.
        overrides: ``KEY=VALUE`` settings (:func:`sim.settings.apply_settings`) applied to
            every shipped config the experiments and facts load.
    """

    seed: int = DEFAULT_SEED
    quick: bool = False
    paths: int | None = None
    workers: int = 1
    overrides: tuple[str, ...] = ()

    def seed_for(self, name: str) -> int:
        """The root seed of check ``name``: ``SeedSequence([seed, crc32(name)])``'s first word."""
        seq = np.random.SeedSequence([self.seed, zlib.crc32(name.encode())])
        return int(seq.generate_state(1, dtype=np.uint32)[0])


@dataclass(frozen=True)
class CheckSpec:
    """A registered check function and its defaults."""

    name: str
    group: Group
    func: Callable[[Settings, int], list[Check]]
    quick: bool
    paths: tuple[int, int]  # default paths (quick, full)
    description: str = field(default="")

    def paths_for(self, settings: Settings) -> int:
        """Paths this check runs with under ``settings``."""
        if settings.paths is not None:
            return settings.paths
        return self.paths[0] if settings.quick else self.paths[1]


REGISTRY: dict[str, CheckSpec] = {}


def register(name: str, group: Group, *, quick: bool,
             paths: tuple[int, int]) -> Callable[[Callable], Callable]:
    """Decorator: add ``func(settings, paths) -> list[Check]`` to the registry as ``name``.

    Args:
        name: unique identifier, used by ``creditsim validate --only``.
        group: "oracle", "experiment" or "fact".
        quick: whether the check belongs to the ``--quick`` subset.
        paths: default paths (or replications) in quick and in full mode.

    Raises:
        ValueError: the name is taken or the group unknown.
    """
    if group not in GROUPS:
        raise ValueError(f"group {group!r} is not one of {GROUPS}")

    def add(func: Callable) -> Callable:
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"a check named {name!r} is already registered")
        doc = (func.__doc__ or "").strip().splitlines()
        REGISTRY[name] = CheckSpec(name, group, func, quick, paths, doc[0] if doc else "")
        return func

    return add


def normal_interval(mean: float, se: float, level: float = 0.95) -> tuple[float, float]:
    """The normal ``level`` interval ``mean ± z se``."""
    z = stats.norm.ppf(0.5 + level / 2)
    return mean - z * se, mean + z * se


def _call(fn: Callable, args: tuple) -> Any:
    with threadpool_limits(limits=1):
        return fn(*args)


def map_paths(fn: Callable, args: Iterable[tuple], workers: int) -> list[Any]:
    """``[fn(*a) for a in args]``, in order, on ``workers`` local processes.

    Each call is one independent path with its own seed, so the results do not depend
    on the number of workers. ``fn`` must be a module-level function.

    Raises:
        WorkerDied: a worker process ended before its paths were done (killed); one line
            saying how and what to do, the validation stopped without its report.
    """
    args = list(args)
    if workers <= 1 or len(args) <= 1:
        return [_call(fn, a) for a in args]
    out: dict[int, Any] = {}
    with WorkerPool(min(workers, len(args)), lost=workers_lost) as pool:
        for i, result in pool.completed(_call, [(fn, a) for a in args]):
            out[i] = result
    return [out[i] for i in range(len(args))]


def workers_lost(endings: list[str]) -> WorkerDied:
    """The error of a check whose worker process ended before its paths were done
    (``endings``: how the workers ended, as :class:`sim.pool.WorkerDied` has them)."""
    return WorkerDied(endings, "its paths were done",
                      outcome="; the validation stopped and wrote no report")
