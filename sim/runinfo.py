"""What a stored run is, in one line: config, book size, horizon, deal and overrides.

A run's manifest holds the full config it ran. Newer manifests also name the config
it started from (``config_name``, ``config_file``) and the keys changed from it
(``overrides``: dotted key path -> value). Every key is read with ``.get`` so that
older manifests still describe themselves: without ``overrides`` the difference is
recomputed from ``manifest["config"]`` against the shipped config of the same name,
when there is one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

OVERRIDES_SHOWN = 4
"""Overrides spelled out in a one-line label; the rest are counted."""


@dataclass(frozen=True)
class RunSummary:
    """The facts a run label shows.

    Attributes:
        name: The config's name (``config_name``, else ``name``).
        initial_borrowers: Borrowers at launch (count; None when the config lacks it).
        new_per_month: Borrowers added each month (count).
        horizon_months: Months simulated.
        deal: The deal's name, or "no deal".
        overrides: ``(dotted key, value)`` pairs changed from the named config, sorted;
            None when unknown (an older manifest of a config that is not shipped).
        paths: Monte Carlo paths; seed: root seed.
    """

    name: str
    initial_borrowers: int | None
    new_per_month: int | None
    horizon_months: int | None
    deal: str
    overrides: tuple[tuple[str, Any], ...] | None
    paths: int
    seed: int | None

    @property
    def book(self) -> str:
        """``10,000 borrowers + 250/month`` (or ``?`` when unknown)."""
        if self.initial_borrowers is None:
            return "book ?"
        extra = f" + {self.new_per_month:,}/month" if self.new_per_month else ""
        return f"{self.initial_borrowers:,} borrowers{extra}"

    @property
    def horizon(self) -> str:
        return f"{self.horizon_months} months" if self.horizon_months else "horizon ?"

    def overrides_text(self, limit: int | None = OVERRIDES_SHOWN) -> str:
        """``book.horizon_months=36, ...`` or ``as configured`` (``unknown`` when None)."""
        if self.overrides is None:
            return "overrides unknown"
        if not self.overrides:
            return "as configured"
        items = [f"{k}={_short(v)}" for k, v in self.overrides]
        if limit is not None and len(items) > limit:
            items = items[:limit] + [f"{len(items) - limit} more"]
        return "overrides: " + ", ".join(items)

    def label(self) -> str:
        """One line: ``name · book · horizon · deal · overrides``."""
        return " · ".join((self.name, self.book, self.horizon, f"deal {self.deal}",
                           self.overrides_text()))


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@functools.lru_cache(maxsize=32)
def _shipped_dump(path: str, mtime: float) -> dict | None:
    """A shipped config as a JSON-like dict (cached per file and modification time)."""
    from sim.config import ConfigError, load_config

    try:
        return load_config(path).model_dump(mode="json")
    except ConfigError:
        return None


def _recomputed_overrides(manifest: dict, name: str) -> tuple[tuple[str, Any], ...] | None:
    """Differences of ``manifest["config"]`` from the shipped config ``name``, or None."""
    from sim.compare import config_differences, flatten
    from sim.shipped import shipped_configs

    config = manifest.get("config")
    path = shipped_configs().get(name)
    if not isinstance(config, dict) or path is None:
        return None
    base = _shipped_dump(str(path), path.stat().st_mtime)
    if base is None:
        return None
    flat = flatten(config)
    keys = config_differences(base, config, ignore=("name", "description"))
    return tuple((k, flat.get(k)) for k in keys)


def summarise_run(manifest: dict) -> RunSummary:
    """The :class:`RunSummary` of a run manifest (any version; missing keys tolerated)."""
    raw_config = manifest.get("config")
    config: dict = raw_config if isinstance(raw_config, dict) else {}
    book = config.get("book") or {}
    deal = config.get("deal")
    deal_name = (str(deal.get("name") or "unnamed") if isinstance(deal, dict)
                 else "none" if deal is None else str(deal))
    name = str(manifest.get("config_name") or manifest.get("name") or config.get("name")
               or manifest.get("run_id", "run"))
    raw = manifest.get("overrides")
    if isinstance(raw, dict):
        overrides: tuple[tuple[str, Any], ...] | None = tuple(sorted(raw.items()))
    else:
        overrides = _recomputed_overrides(manifest, name)
    return RunSummary(
        name=name, initial_borrowers=_int(book.get("initial_borrowers")),
        new_per_month=_int(book.get("new_borrowers_per_month")),
        horizon_months=_int(book.get("horizon_months")), deal=deal_name,
        overrides=overrides, paths=_int(manifest.get("paths")) or 0,
        seed=_int(manifest.get("seed")),
    )


def set_overrides_text(manifests: Sequence[Mapping], limit: int | None = OVERRIDES_SHOWN
                       ) -> str:
    """What ``--set`` and ``--deal`` changed in a set of runs, in one phrase: "" when no
    run changed anything (or there are no runs), the shared
    :meth:`RunSummary.overrides_text` when every run has the same (``overrides:
    book.initial_borrowers=2000``), else each run's, by name (``a: overrides: ...; b: as
    configured``). ``limit``: overrides spelled out per run (None: all)."""
    summaries = [summarise_run(dict(m)) for m in manifests]
    if all(s.overrides == () for s in summaries):
        return ""
    texts = [s.overrides_text(limit) for s in summaries]
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{s.name}: {t}" for s, t in zip(summaries, texts, strict=True))
