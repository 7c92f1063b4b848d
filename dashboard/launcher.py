"""Start a small run from the browser: parameters, checks, and one run at a time.

The launcher takes a config from the configs folder, a deal, a few parameters (paths, book
size, unemployment shock and, when the config has them, collector count, collection
policy and tranche sizes) and ``KEY=VALUE`` overrides, and validates the result with the
same rules as a YAML file (:class:`sim.config.ConfigError` on failure); the deal and the
overrides go through the functions of ``creditsim run --deal ... --set ...``
(:mod:`sim.settings`), with their messages. It refuses runs whose borrower-months or
estimated memory exceed the server's :class:`LaunchLimits`, and lets only one run go at
a time per server (a file lock held by the process that runs it; the operating system
releases it when that process ends, however it ends). :mod:`dashboard.jobs` runs the
launch in a spawned process with a time limit.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from sim.config import ConfigError, RunConfig, load_config, validate_config
from sim.configwords import choices, field_at, short_value
from sim.estimate import slot_months
from sim.settings import apply_settings, parse_setting, set_path, with_deal
from sim.shipped import shipped_deals

DEFAULT_MAX_BORROWER_MONTHS = 100_000_000
"""Largest paths × borrower-months a browser may start: about 100 paths of the baseline
book (1.04 M borrower-months a path), one to two minutes at the 0.8-1.9 M borrower-months/s
of one core measured in docs/BENCHMARKS.md."""
DEFAULT_MAX_MEMORY_MB = 2048
"""Largest estimated memory (MB) of a launched run."""
DEFAULT_TIMEOUT_S = 1800.0
"""A launched run still going after this many seconds is stopped and reported as failed."""
BASE_MEMORY_MB = 300.0
"""Memory of a run process before its first path (imports): 210-225 MB measured here."""
KB_PER_BORROWER = 1.0
"""Memory per borrower slot of a path: the peak resident size of one baseline path grew
16, 119 and 161 MB over the imports with 19,400, 155,200 and 310,400 slots (at most
0.8 KB a slot), rounded up."""
KB_PER_PATH_MONTH = 4.0
"""Memory per path-month of the run's tables (about 150 columns of 8 bytes, with the
copies made when they are assembled), rounded up."""

COLLECTORS_KEY = "collections.collectors.count"
PRIORITY_KEY = "collections.collectors.priority"
NOTES_KEY = "deal.notes"
"""The config keys the launcher offers (collectors, queue policy, each note's size)."""
NO_DEAL = "none"
"""The deal name that runs without a deal (as ``--deal none``)."""
MAX_SETTINGS = 50
"""Most ``KEY=VALUE`` overrides of one launch (a variant changes a few of a config's keys)."""
MAX_SETTINGS_CHARS = 5_000
"""Longest overrides of one launch, in characters, all lines together (a whole shipped
config is about 3,000)."""
LOCK_FILE = "active-run.lock"
"""The file lock (in the dashboard cache) that lets one launched run go at a time."""


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
    """What the launcher form sends.

    ``deal`` names a deal of :func:`list_deals` (:data:`NO_DEAL` runs without one; None
    keeps the config's), as ``creditsim run --deal`` does; ``settings`` are ``KEY=VALUE``
    texts, as ``--set`` takes them, applied after everything else.
    """

    config: str
    paths: int
    seed: int | None = None
    initial_borrowers: int | None = None
    horizon_months: int | None = None
    shock: float | None = None
    knobs: dict[str, typing.Any] = field(default_factory=dict)
    deal: str | None = None
    settings: tuple[str, ...] = ()


def list_configs(folder: str | Path) -> dict[str, Path]:
    """``configs/*.yaml`` by file name, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.glob("*.yaml"))}


def list_deals(folder: str | Path) -> dict[str, Path]:
    """Deals a launch may name, by file name without ``.yaml``, sorted: the shipped deals
    and ``<folder>/deals/*.yaml`` (which win over a shipped deal of the same name)."""
    deals = dict(shipped_deals())
    local = Path(folder) / "deals"
    if local.is_dir():
        deals.update({p.stem: p for p in local.glob("*.yaml")})
    return dict(sorted(deals.items()))


def _deal_argument(deal: object, folder: Path) -> str | None:
    """The ``--deal`` argument of a request's deal: None (the config's own), :data:`NO_DEAL`
    or the file of a deal of :func:`list_deals` (never a path from the request)."""
    if deal is None:
        return None
    if deal == NO_DEAL:
        return NO_DEAL
    deals = list_deals(folder)
    if not isinstance(deal, str) or deal not in deals:
        raise ConfigError(f"deal {short_value(deal)}: not a deal offered here; choose one of "
                          f"{', '.join(deals) or '(none)'}, or {NO_DEAL!r} to run without one")
    return str(deals[deal])


def settings_lines(text: object) -> tuple[str, ...]:
    """The text of the overrides box as ``KEY=VALUE`` settings: one a line, blank lines left
    out, spaces around a line stripped.

    Raises:
        LaunchRefused: not text, or more than :data:`MAX_SETTINGS_CHARS` characters (said
            before the text is split).
    """
    if text is None:
        return ()
    if not isinstance(text, str):
        raise LaunchRefused(f"overrides = {short_value(text)}: give text, one KEY=VALUE a line")
    if len(text) > MAX_SETTINGS_CHARS:
        raise LaunchRefused(_too_many_settings(f"{len(text):,} characters"))
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _too_many_settings(what: str) -> str:
    return (f"overrides: {what}; give at most {MAX_SETTINGS} lines and "
            f"{MAX_SETTINGS_CHARS:,} characters, one KEY=VALUE a line, or run 'creditsim run "
            "--set' from a terminal")


def check_settings(settings: object) -> list[str]:
    """The ``KEY=VALUE`` settings of a launch, as :func:`sim.settings.apply_settings` takes
    them: at most :data:`MAX_SETTINGS` texts and :data:`MAX_SETTINGS_CHARS` characters.

    ``deal=NAME`` is refused: on the command line it reads the deal file NAME, and here it
    would read any file the server can; a launch chooses its deal from :func:`list_deals`
    instead. A deal written out as a mapping (``deal={...}``) or removed (``deal=null``)
    reads no file and is taken.

    Raises:
        LaunchRefused: not a sequence of texts, too many or too long, or a deal by name.
        ConfigError: a setting that is not ``KEY=VALUE`` (the command line's message).
    """
    if isinstance(settings, str) or not isinstance(settings, list | tuple) \
            or not all(isinstance(text, str) for text in settings):
        raise LaunchRefused(f"overrides = {short_value(settings)}: give KEY=VALUE texts")
    chars = sum(len(text) for text in settings)
    if len(settings) > MAX_SETTINGS or chars > MAX_SETTINGS_CHARS:
        raise LaunchRefused(_too_many_settings(f"{len(settings):,} line(s), {chars:,} characters"))
    for text in settings:
        parts, value = parse_setting(text)
        if parts == ["deal"] and isinstance(value, str):
            raise LaunchRefused(f"--set {short_value(text)}: a deal is not read from a file "
                                "here; choose it from the list of deals (deal=null runs "
                                "without one)")
    return list(settings)


def _field_choices(path: list[str]) -> tuple[str, ...]:
    """Allowed values of a Literal or Enum config field at ``path``, or ()."""
    found = field_at(RunConfig, tuple(path))
    return choices(found.annotation) if found is not None else ()


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


def build_config(request: LaunchRequest, configs: dict[str, Path]) -> RunConfig:
    """The validated config a launch request asks for.

    The config file with the request's deal (:func:`sim.settings.with_deal`, as ``--deal``),
    then the form's values, then the request's settings (:func:`sim.settings.apply_settings`,
    as ``--set``): a setting wins over a form value of the same key.

    Raises:
        ConfigError: for an unknown config or deal name, a malformed setting, or a key or
            value the config rules refuse (the command line's messages).
        LaunchRefused: settings that are too many, too long or name a deal file.
    """
    if request.config not in configs:
        raise ConfigError(f"{request.config!r}: not a config in the configs folder; "
                          f"choose one of {', '.join(configs) or '(none)'}")
    source = configs[request.config]
    settings = check_settings(request.settings)
    deal = _deal_argument(request.deal, source.parent)
    data = load_config(with_deal(source, deal)).model_dump(mode="json")
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
    return apply_settings(validate_config(data, source.name), settings)


@dataclass(frozen=True)
class LaunchLimits:
    """What a browser may start on this server."""

    max_borrower_months: int = DEFAULT_MAX_BORROWER_MONTHS
    max_memory_mb: int = DEFAULT_MAX_MEMORY_MB
    timeout_s: float = DEFAULT_TIMEOUT_S

    def describe(self) -> str:
        """The limits in words, for the Launch page."""
        return (f"{self.max_borrower_months:,} borrower-months (paths × borrowers × months), "
                f"an estimated {self.max_memory_mb:,} MB of memory, and "
                f"{_duration(self.timeout_s)} of running time")


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


@dataclass(frozen=True)
class LaunchSize:
    """How large a run is: its borrower-months (an upper bound) and estimated memory."""

    paths: int
    borrower_months: int
    memory_mb: float

    def describe(self) -> str:
        return (f"{self.paths} paths × up to {self.borrower_months // self.paths:,} "
                f"borrower-months = {self.borrower_months:,} borrower-months, "
                f"about {self.memory_mb:,.0f} MB")


def estimate(config: RunConfig, paths: int) -> LaunchSize:
    """Borrower-months and memory of ``paths`` paths of ``config``.

    Borrower-months per path are bounded by every borrower staying to the horizon
    (:func:`sim.estimate.slot_months`): ``initial × H + new × H (H - 1) / 2`` for horizon
    ``H`` months (the baseline's
    1,042,500 against 1,016,828 active borrower-months measured). Memory is one path's
    pool (the launcher runs one worker) plus the run's tables: :data:`BASE_MEMORY_MB` +
    :data:`KB_PER_BORROWER` per borrower slot + :data:`KB_PER_PATH_MONTH` per path-month.
    """
    months = config.book.horizon_months
    memory = BASE_MEMORY_MB + (KB_PER_BORROWER * config.capacity
                               + KB_PER_PATH_MONTH * paths * months) / 1024
    return LaunchSize(paths, slot_months(config, int(paths)), memory)


def whole(value: typing.Any, what: str, low: int, high: int | None = None) -> int:
    """``value`` as a whole number in ``[low, high]``, or :class:`LaunchRefused` naming ``what``.

    Accepts an int, or a float with no fractional part (a browser's number input);
    refuses booleans, strings, NaN and infinities. The value is echoed at most 40
    characters long.
    """
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or int(value) != value or value < low or (high is not None and value > high):
        allowed = f"from {low:,} to {high:,}" if high is not None else f">= {low:,}"
        raise LaunchRefused(f"{what} = {str(value)[:40]}: give a whole number {allowed}")
    return int(value)


def check_size(config: RunConfig, paths: int, limits: LaunchLimits) -> LaunchSize:
    """Refuse ``paths`` below 1, or a run over ``limits``; return its size.

    Raises:
        LaunchRefused: with the run's size, the limit and what to change.
    """
    size = estimate(config, whole(paths, "paths", 1))
    if size.borrower_months > limits.max_borrower_months:
        raise LaunchRefused(
            f"{size.describe()}: over this server's limit of {limits.max_borrower_months:,} "
            "borrower-months; use fewer paths, a smaller book or a shorter horizon, or run "
            "'creditsim run' from a terminal")
    if size.memory_mb > limits.max_memory_mb:
        raise LaunchRefused(
            f"{size.describe()}: over this server's memory limit of {limits.max_memory_mb:,} "
            "MB; use a smaller book, or run 'creditsim run' from a terminal")
    return size


class RunGuard:
    """At most one launched run at a time, across the server's processes.

    A :class:`filelock.FileLock` on ``lock_path``, held by the process that runs; the
    operating system releases it when that process ends, so a killed run never leaves
    the lock behind. ``lock_path`` None makes a guard that is never busy and never
    taken (page layouts in tests).
    """

    def __init__(self, lock_path: str | Path | None):
        self.lock_path = None if lock_path is None else Path(lock_path)
        self._lock = None if lock_path is None else FileLock(str(lock_path), is_singleton=False)

    def busy(self) -> bool:
        """True while a process (this one included) holds the lock."""
        if self._lock is None:
            return False
        if self._lock.is_locked:
            return True
        probe = FileLock(str(self.lock_path), is_singleton=False)
        try:
            probe.acquire(timeout=0)
        except Timeout:
            return True
        probe.release()
        return False

    def acquire(self) -> bool:
        """Take the lock for this process; False when another process holds it."""
        if self._lock is None:
            return True
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        if self._lock is not None and self._lock.is_locked:
            self._lock.release()


def prepare(request: LaunchRequest, configs: dict[str, Path],
            limits: LaunchLimits) -> tuple[RunConfig, LaunchSize]:
    """The validated config and size of a request, refused early when it cannot run.

    Raises:
        ConfigError: invalid parameters (the message is the config rules' own).
        LaunchRefused: too large, or a negative seed.
    """
    config = build_config(request, configs)
    size = check_size(config, request.paths, limits)
    if request.seed is not None:
        whole(request.seed, "seed", 0)
    return config, size


def launch(request: LaunchRequest, *, configs: dict[str, Path], runs_root: str | Path,
           guard: RunGuard, limits: LaunchLimits | None = None,
           on_progress: Callable[[int, int], None] | None = None) -> str:
    """Validate and run a launch request into the store, in this process; return the run id.

    The manifest records the config file the run came from and every changed key as
    ``overrides`` (the request's settings included, as for ``creditsim run --set``).

    Raises:
        ConfigError: invalid parameters (the message is the config rules' own).
        LaunchRefused: too large, or another run is in progress.
    """
    import sim

    config, _ = prepare(request, configs, limits or LaunchLimits())
    seed = None if request.seed is None else int(request.seed)
    if not guard.acquire():
        raise LaunchRefused("another run is in progress on this server; wait for it to finish")
    try:
        run = sim.run(config, paths=int(request.paths), seed=seed, workers=1, out=runs_root,
                      on_progress=on_progress, base=configs[request.config])
    finally:
        guard.release()
    return run.run_id
