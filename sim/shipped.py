"""The configs and deals shipped with the package, found by name from any folder.

The repository keeps them in the top-level ``configs/`` folder; the wheel installs
that folder as ``sim/configs`` (``[tool.setuptools.package-dir]`` in pyproject.toml).
``creditsim run baseline`` therefore works wherever it is started: a name that is not
a file is looked up among the shipped configs.
"""

from __future__ import annotations

from pathlib import Path

from sim.config import ConfigError

_PACKAGE = Path(__file__).resolve().parent


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


def resolve_config(config: str | Path) -> str | Path:
    """A config argument as a file: an existing path as given, else a shipped config's
    file (``baseline`` or ``baseline.yaml``).

    Raises:
        ConfigError: when ``config`` is neither a file nor a shipped config's name; the
            message lists the shipped names.
    """
    path = Path(config)
    if path.is_file():
        return config
    name = path.name[:-5] if path.name.endswith(".yaml") else path.name
    shipped = shipped_configs()
    if path.parent in (Path("."), Path("configs")) and name in shipped:
        return shipped[name]
    raise ConfigError(f"{config}: no such config file, and not a shipped config; "
                      f"shipped configs: {', '.join(shipped) or '(none)'}")


def resolve_deal(deal: str) -> str | Path:
    """A ``--deal`` argument as a file: an existing path, else a shipped deal's file.

    Raises:
        ConfigError: when ``deal`` is neither; the message lists the shipped deals.
    """
    path = Path(deal)
    if path.is_file():
        return deal
    name = path.name[:-5] if path.name.endswith(".yaml") else path.name
    deals = shipped_deals()
    if name in deals:
        return deals[name]
    raise ConfigError(f"{deal}: no such config file, and not a shipped deal; "
                      f"shipped deals: {', '.join(deals) or '(none)'}")
