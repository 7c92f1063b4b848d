"""The configs and deals shipped with the package, found by name from any folder.

The repository keeps them in the top-level ``configs/`` folder; the wheel installs
that folder as ``sim/configs`` (``[tool.setuptools.package-dir]`` in pyproject.toml).
``creditsim run baseline`` therefore works wherever it is started: a name that is not
a file is looked up among the shipped configs.
"""

from __future__ import annotations

from pathlib import Path

from sim.config import ConfigError
from sim.shippedfiles import FULL_MODEL, configs_dir, shipped_configs, shipped_deals

__all__ = ["FULL_MODEL", "configs_dir", "resolve_config", "resolve_deal", "shipped_configs",
           "shipped_deals"]


def resolve_config(config: str | Path) -> str | Path:
    """A config argument as a file: an existing path as given, else a shipped config's
    file (``baseline`` or ``baseline.yaml``).

    Raises:
        ConfigError: when ``config`` is neither a file nor a shipped config's name (or is
            empty); the message lists the shipped names.
    """
    shipped = shipped_configs()
    if not str(config).strip():  # Path('') is the current folder
        raise ConfigError(f"an empty config name was given ({str(config)!r}); give a YAML file "
                          f"(e.g. configs/baseline.yaml) or a shipped config: "
                          f"{', '.join(shipped) or '(none)'}")
    path = Path(config)
    if path.is_file():
        return config
    name = path.name[:-5] if path.name.endswith(".yaml") else path.name
    if path.parent in (Path("."), Path("configs")) and name in shipped:
        return shipped[name]
    if path.parent in (Path("."), Path("configs"), Path("configs/deals")) \
            and name in shipped_deals():
        raise ConfigError(f"{config}: a shipped deal, not a run config: pass it with --deal "
                          f"to a run config, e.g. 'creditsim run baseline --deal {name}'")
    if path.is_dir():
        raise ConfigError(f"{config}: is a folder, not a config file; give a YAML file (e.g. "
                          f"{path / 'baseline.yaml'}) or a shipped config: "
                          f"{', '.join(shipped) or '(none)'}")
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
    if path.is_dir():
        raise ConfigError(f"{deal}: is a folder, not a deal file; give a YAML file or a "
                          f"shipped deal: {', '.join(deals) or '(none)'}")
    raise ConfigError(f"{deal}: no such config file, and not a shipped deal; "
                      f"shipped deals: {', '.join(deals) or '(none)'}")
