"""Start a small run from the browser: parameters, checks, and one run at a time.

The launcher takes a config from the configs folder and a few parameters (paths, book
size, unemployment shock and, when the config has them, collector count, collection
policy and tranche sizes), validates the result with the same rules as a YAML file
(:class:`sim.config.ConfigError` on failure), refuses runs larger than a cap on
paths × borrowers, and lets only one run go at a time per server (a lock in the
dashboard's diskcache, held by the process that runs it).
"""

from __future__ import annotations

import os
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import psutil
from pydantic import BaseModel

from sim.config import ConfigError, RunConfig, load_config, validate_config

DEFAULT_MAX_BORROWER_PATHS = 5_000_000
"""Largest paths × borrowers a browser may start (baseline book: about 100 paths)."""

COLLECTORS_KEY = "collections.collectors.count"
PRIORITY_KEY = "collections.collectors.priority"
NOTES_KEY = "deal.notes"
"""The config keys the launcher offers (collectors, queue policy, each note's size)."""
LOCK_KEY = "creditsim-dashboard-active-run"


class LaunchRefused(ValueError):
    """A run the launcher will not start; the message says why and what is allowed."""


@dataclass(frozen=True)
class Knob:
    """A config parameter the launcher offers when the config has it.

    ``key`` is its dotted path in the config (list items by index, e.g.
    ``abs.notes.1.balance``).
    """

    key: str
    label: str
    kind: str  # "int", "float" or "choice"
    value: typing.Any
    low: float = 0.0
    high: float = 0.0
    step: float = 1.0
    options: tuple[str, ...] = ()


@dataclass
class LaunchRequest:
    """What the launcher form sends."""

    config: str
    paths: int
    seed: int | None = None
    initial_borrowers: int | None = None
    horizon_months: int | None = None
    shock: float | None = None
    knobs: dict[str, typing.Any] = field(default_factory=dict)


def list_configs(folder: str | Path) -> dict[str, Path]:
    """``configs/*.yaml`` by file name, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.glob("*.yaml"))}


def _field_choices(path: list[str]) -> tuple[str, ...]:
    """Allowed values of a Literal or Enum config field at ``path``, or ()."""
    model: typing.Any = RunConfig
    ann: typing.Any = None
    for part in path:
        if part.isdigit():
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return ()
        ann = fields[part].annotation
        model = _inner_model(ann)
    for arg in (ann, *typing.get_args(ann)):
        if typing.get_origin(arg) is typing.Literal:
            return tuple(str(a) for a in typing.get_args(arg))
        if isinstance(arg, type) and issubclass(arg, Enum):
            return tuple(str(m.value) for m in arg)
    return ()


def _inner_model(ann: typing.Any) -> typing.Any:
    stack = [ann]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
        stack.extend(typing.get_args(a))
    return None


def _get(data: typing.Any, key: str) -> typing.Any:
    """``data[a][b]`` for ``key = "a.b"``, or None when a part is missing."""
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def knobs_for(config: RunConfig) -> list[Knob]:
    """The launcher's knobs, listed explicitly: the number of human collectors
    (:data:`COLLECTORS_KEY`), the collectors' queue policy (:data:`PRIORITY_KEY`) and, when
    the config has a deal, each note's size (``deal.notes.<i>.size``)."""
    data = config.model_dump(mode="json")
    knobs = []
    count = _get(data, COLLECTORS_KEY)
    if isinstance(count, int) and not isinstance(count, bool):
        knobs.append(Knob(COLLECTORS_KEY, "Human collectors", "int", count, 0,
                          max(4 * count, 20), 1))
    priority = _get(data, PRIORITY_KEY)
    options = _field_choices(PRIORITY_KEY.split("."))
    if isinstance(priority, str) and options:
        knobs.append(Knob(PRIORITY_KEY, "Collection queue policy", "choice", priority,
                          options=options))
    for i, note in enumerate(_get(data, NOTES_KEY) or []):
        if isinstance(note, dict) and isinstance(note.get("size"), int | float):
            knobs.append(Knob(f"{NOTES_KEY}.{i}.size",
                              f"Note {note.get('name', i)} size (share of the pool)", "float",
                              note["size"], 0.01, 1.0, 0.01))
    return knobs


def set_path(data: dict, key: str, value: typing.Any) -> None:
    """Set ``data[a][b][0][c] = value`` for ``key = "a.b.0.c"``; the key must exist."""
    parts = key.split(".")
    node: typing.Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif last in node:
        node[last] = value
    else:
        raise ConfigError(f"{key}: not a key of this config")


def build_config(request: LaunchRequest, configs: dict[str, Path]) -> RunConfig:
    """The validated config a launch request asks for.

    Raises:
        ConfigError: for an unknown config name or a value the config rules refuse.
    """
    if request.config not in configs:
        raise ConfigError(f"{request.config!r}: not a config in the configs folder; "
                          f"choose one of {', '.join(configs) or '(none)'}")
    source = configs[request.config]
    data = load_config(source).model_dump(mode="json")
    if request.initial_borrowers is not None:
        data["book"]["initial_borrowers"] = request.initial_borrowers
    if request.horizon_months is not None:
        data["book"]["horizon_months"] = request.horizon_months
    if request.shock is not None:
        data["macro"]["shock"]["peak_increase"] = request.shock
    for key, value in request.knobs.items():
        try:
            set_path(data, key, value)
        except (KeyError, IndexError, ValueError, TypeError):
            raise ConfigError(f"{key}: not a key of this config") from None
    return validate_config(data, source.name)


def check_size(config: RunConfig, paths: int, cap: int) -> None:
    """Refuse ``paths`` below 1 or paths × borrowers above ``cap``."""
    if paths is None or int(paths) < 1:
        raise LaunchRefused(f"paths = {paths!r}: give a whole number >= 1")
    size = int(paths) * config.capacity
    if size > cap:
        raise LaunchRefused(
            f"{paths} paths × {config.capacity:,} borrowers = {size:,} borrower-paths is over "
            f"this server's cap of {cap:,}; use fewer paths or a smaller book, or run "
            f"'creditsim run' from a terminal"
        )


class RunGuard:
    """At most one launched run at a time, across the server's processes.

    The lock is a key in a diskcache holding the id of the process that runs; a lock
    whose process has died is taken over.
    """

    def __init__(self, cache):  # noqa: ANN001 - a diskcache.Cache
        self.cache = cache

    def busy(self) -> bool:
        holder = self.cache.get(LOCK_KEY)
        return holder is not None and psutil.pid_exists(int(holder))

    def acquire(self) -> bool:
        """Take the lock for this process; False when another live process holds it."""
        with self.cache.transact():
            if self.busy() and int(self.cache.get(LOCK_KEY)) != os.getpid():
                return False
            self.cache.set(LOCK_KEY, os.getpid())
            return True

    def release(self) -> None:
        with self.cache.transact():
            if self.cache.get(LOCK_KEY) == os.getpid():
                self.cache.delete(LOCK_KEY)


def launch(request: LaunchRequest, *, configs: dict[str, Path], runs_root: str | Path,
           guard: RunGuard, cap: int = DEFAULT_MAX_BORROWER_PATHS,
           on_progress: Callable[[int, int], None] | None = None) -> str:
    """Validate and run a launch request into the store; return the new run id.

    Raises:
        ConfigError: invalid parameters (the message is the config rules' own).
        LaunchRefused: too large, or another run is in progress.
    """
    import sim

    config = build_config(request, configs)
    check_size(config, request.paths, cap)
    seed = None if request.seed is None else int(request.seed)
    if seed is not None and seed < 0:
        raise LaunchRefused(f"seed = {seed}: give a whole number >= 0")
    if not guard.acquire():
        raise LaunchRefused("another run is in progress on this server; wait for it to finish")
    try:
        run = sim.run(config, paths=int(request.paths), seed=seed, workers=1, out=runs_root,
                      on_progress=on_progress)
    finally:
        guard.release()
    return run.run_id
