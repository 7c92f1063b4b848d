"""``--set KEY=VALUE``: change single config values on the command line.

A strategy analyst comparing policies changes one or two values at a time (twenty collectors
instead of twelve; reminders every three days). Writing a YAML file for each is friction, and
a file per variant is easy to lose track of. ``creditsim run configs/standard.yaml --set
collections.collectors.count=20`` runs the config with that one value changed; the run's
manifest records the change as an override of the config file (``creditsim compare`` lists it
among the keys that differ), so the run can be reproduced with ``--from-manifest``.

A key is the dotted path of a config value as ``creditsim config-reference`` (docs/CONFIG.md)
lists it, with list items by position: ``collections.ladder.0.every_days``. A value is read
as YAML: ``20``, ``0.5``, ``true``, ``null``, ``[3, 6, 12]``, ``{3: 0.5, 6: 0.5}``. Every
key is checked against the config before anything runs, and the changed config is validated
as a whole, as a config file is.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

from sim.config import RunConfig, validate_config
from sim.configfile import ConfigError
from sim.yamlsafe import load_yaml

EXAMPLE = "collections.collectors.count=20"


def parse_setting(text: str) -> tuple[list[str], Any]:
    """Split ``KEY=VALUE`` into the key's parts and the value read as YAML.

    Raises:
        ConfigError: no ``=``, an empty key or key part, or a value that is not YAML.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text!r}: write KEY=VALUE, e.g. --set {EXAMPLE}")
    parts = key.split(".")
    if any(not p.strip() for p in parts):
        raise ConfigError(f"--set {text!r}: the key {key!r} has an empty part; keys are "
                          f"dotted paths such as {EXAMPLE.partition('=')[0]}")
    try:
        value = load_yaml(raw) if raw.strip() else ""
    except Exception as exc:  # noqa: BLE001 - yaml's errors and the limits' alike
        raise ConfigError(f"--set {text!r}: the value {raw!r} is not a YAML value "
                          f"({str(exc).splitlines()[0]})") from None
    return [p.strip() for p in parts], value


def _child(node: Any, part: str, done: list[str], text: str) -> Any:
    """The item ``part`` of a mapping or list of the config, or a ConfigError naming what
    is there instead."""
    where = ".".join(done) or "the config"
    if isinstance(node, dict):
        if part in node:
            return node[part]
        keys = sorted(str(k) for k in node)
        close = difflib.get_close_matches(part, keys, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ConfigError(f"--set {text!r}: {where} has no key {part!r}; {hint}its keys are: "
                          f"{', '.join(keys)}")
    if isinstance(node, list):
        if part.isdigit() and int(part) < len(node):
            return node[int(part)]
        raise ConfigError(f"--set {text!r}: {where} is a list of {len(node)} item(s); give "
                          f"a position 0-{len(node) - 1}, not {part!r}")
    raise ConfigError(f"--set {text!r}: {where} is a single value ({node!r}); it has no "
                      f"part {part!r}")


def _assign(data: dict, parts: list[str], value: Any, text: str) -> None:
    """Set ``value`` at the key path ``parts`` of the JSON-form config ``data``."""
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        node = _child(node, part, parts[:i], text)
        if node is None:  # an optional section left out: it starts empty
            raise ConfigError(f"--set {text!r}: {'.'.join(parts[:i + 1])} is not set in this "
                              "config; set the whole section in a config file instead")
    last = parts[-1]
    _child(node, last, parts[:-1], text)  # the key must exist
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def apply_settings(config: RunConfig, settings: list[str] | None) -> RunConfig:
    """``config`` with every ``KEY=VALUE`` of ``settings`` applied, validated as a whole.

    Later settings of the same key win. Setting ``macro.scenario`` without a
    ``macro.shock...`` setting drops the old scenario's shock, so that the new scenario's
    applies (as when a config file names a scenario and no shock).

    Raises:
        ConfigError: a malformed setting, a key the config does not have, or a value the
            config's rules refuse (the message names the key and what is allowed).
    """
    if not settings:
        return config
    data = copy.deepcopy(config.model_dump(mode="python"))
    parsed = [(text, *parse_setting(text)) for text in settings]
    for text, parts, value in parsed:
        _assign(data, parts, value, text)
    keys = {".".join(parts) for _, parts, _ in parsed}
    if "macro.scenario" in keys and not any(k.startswith("macro.shock") for k in keys):
        data["macro"]["shock"] = None
    return validate_config(data, f"{config.name} with --set {' --set '.join(settings)}")
