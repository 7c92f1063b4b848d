"""Where the shipped configs and deals are, by name (no other sim module imported).

:mod:`sim.shipped` resolves command-line arguments with these; :mod:`sim.configfile` resolves
``base:`` and ``deal:`` names with them, which is why they live apart from both.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

FULL_MODEL = "early_warning"
"""The shipped config with every part of the model on: income shocks, instalments, the
collection ladder with collectors, hardship, early warning and the vehicle. ``creditsim
bench`` times it, and a cold kernel cache is warmed with a small path of it."""


def configs_dir() -> Path | None:
    """The folder of the shipped configs: ``sim/configs`` when installed from a wheel,
    the repository's ``configs/`` in a source checkout; None when neither exists."""
    for candidate in (_PACKAGE / "configs", _PACKAGE.parent / "configs"):
        if (candidate / "baseline.yaml").is_file():
            return candidate
    return None


def shipped_configs() -> dict[str, Path]:
    """Shipped run configs by name (the file name without ``.yaml``), sorted."""
    folder = configs_dir()
    if folder is None:
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def shipped_deals() -> dict[str, Path]:
    """Shipped deal files by name (``baitiao_2015``, ...), sorted."""
    folder = configs_dir()
    if folder is None or not (folder / "deals").is_dir():
        return {}
    return {p.stem: p for p in sorted((folder / "deals").glob("*.yaml"))}
