"""Config files: reading YAML with limits, ``base:`` files and deal files (what their errors
say is :mod:`sim.configwords`).

A config file may name a ``base`` file (relative to itself) and override a few of its keys;
the base may name its own base, up to :data:`MAX_BASE_CHAIN` files. How an override meets
its base is decided by the config's models, not by the shape of the YAML:

- a **section** (a mapping of named keys, such as ``book`` or ``collections.legal``) merges:
  keys the override does not give keep the base's values; so do the entries of a mapping of
  sections (``collections.channels``: each channel is a section);
- every other **value** replaces the base's whole value: numbers, strings, lists
  (``collections.ladder``, ``recovery.lag_curve``, ``deal.notes``) and mappings that are one
  value, a distribution over plan terms (``spending.plan_mix``, ``billing.instalment_fee``);
  a base's ``plan_mix`` weights never survive beside an override's, which would change the
  distribution the override wrote. When a replaced mapping drops keys of the base's, a
  :class:`ConfigWarning` says so;
- ``deal:`` given as a file name is a whole deal and replaces the base's deal; ``deal:``
  given as a mapping is a section and merges. A deal that gives new ``notes`` and keeps an
  order its base wrote out for other notes (``priority_of_payments``, as the shipped deals
  write theirs) is refused with the fix: write the order, or ``priority_of_payments: null``
  for the default order.

Every limit (file size, nesting, aliases, the ``base`` chain) is refused with a
:class:`ConfigError` naming the file and what is allowed. Error messages never echo more
than a short excerpt of a value.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from sim.configwords import field_annotation, model_in, short_value
from sim.shippedfiles import shipped_configs, shipped_deals
from sim.yamlsafe import YamlLimitError, load_yaml

__all__ = ["MAX_BASE_CHAIN", "MAX_FILE_BYTES", "ConfigError", "ConfigWarning",
           "deal_file_as_config", "manifest_as_config", "merge_over_base",
           "read_config_file", "section_at"]

MAX_FILE_BYTES = 256 * 1024
"""Largest config or deal file read (a shipped config is about 3 kB)."""
MAX_BASE_CHAIN = 16
"""Most files chained by ``base:`` (and ``deal:``) from one config."""


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says what and why."""


class ConfigWarning(UserWarning):
    """A config that loads but may not say what its author meant (a dropped base value)."""


def _of_the_other_model(data: object, read_as: type[BaseModel], other: type[BaseModel]) -> bool:
    """Whether ``data``, read as model ``read_as``, is a file of model ``other``: every
    top-level key is one of ``other``'s, and some are not ``read_as``'s."""
    if not isinstance(data, dict):
        return False
    keys = {str(k) for k in data}
    return bool(keys - set(read_as.model_fields)) and keys <= set(other.model_fields)


def deal_file_as_config(data: object, schema: type[BaseModel], source: str) -> str | None:
    """The one-line message when ``data``, read as a run config of model ``schema``, is a
    deal (``configs/deals/*.yaml``). None otherwise (the validation errors say what is
    wrong)."""
    deal = _section_of(schema, "deal")
    if not (isinstance(deal, type) and issubclass(deal, BaseModel)):
        return None
    if not _of_the_other_model(data, schema, deal):
        return None
    return (f"{source}: a deal file (the notes and terms of a securitisation), not a run "
            f"config: pass it with --deal to a run config, e.g. 'creditsim run baseline "
            f"--deal {source}'")


def manifest_as_config(data: object, source: str) -> str | None:
    """The one-line message when ``data``, read as a run config, is a stored run's
    ``manifest.json`` (its ``run_id``, ``config`` and ``tables``). None otherwise."""
    if not (isinstance(data, dict) and {"run_id", "config", "tables"} <= set(data)):
        return None
    folder = Path(source).parent
    return (f"{source}: a stored run's manifest, not a config: rerun the run with "
            f"'creditsim run --from-manifest {folder}', or give its config as a file")


def config_file_as_deal(data: object, config_schema: type[BaseModel], deal_schema: type[BaseModel],
                        source: str) -> str | None:
    """The one-line message when ``data``, read as a deal (model ``deal_schema``), is a run
    config (model ``config_schema``). None otherwise (the validation errors say what is
    wrong)."""
    if not _of_the_other_model(data, deal_schema, config_schema):
        return None
    return (f"{source}: a run config, not a deal file: give it as the config (e.g. "
            f"'creditsim run {source}'), and to --deal a deal file such as "
            f"configs/deals/baitiao_2015.yaml")


# -- merging an override over its base ---------------------------------------------------------
def _section_of(schema: Any, key: object) -> Any:
    """The schema of ``key``'s value when it is a section (merges), else None (replaces).

    ``schema`` is a model class, or ``("items", Model)`` for a mapping of sections.
    """
    if isinstance(schema, tuple):
        return schema[1]
    ann = field_annotation(schema, key)
    if ann is None:
        return None
    if get_origin(ann) is dict:
        item = model_in(get_args(ann)[1])
        return ("items", item) if item is not None else None
    if get_origin(ann) is list:
        return None
    return model_in(ann)


def section_at(schema: Any, parts: Sequence[object]) -> Any:
    """The schema of the value at key path ``parts`` below ``schema`` when it is a section
    (it merges over a base): a model class, or ``("items", Model)`` for a mapping or list of
    sections (``collections.channels``, ``collections.ladder``), whose items are sections;
    None for every other value (it replaces) and for a path the schema does not have."""
    for part in parts:
        if schema is None:
            return None
        schema = _section_of(schema, part) or _list_of_sections(schema, part)
    return schema


def _list_of_sections(schema: Any, key: object) -> Any:
    """``("items", Model)`` when ``key`` of the model ``schema`` is a list of sections (its
    items merge when addressed by position, ``collections.ladder.0``), else None."""
    ann = field_annotation(schema, key)
    item = model_in(ann) if get_origin(ann) is list else None
    return ("items", item) if item is not None else None


def merge_over_base(base: dict, override: dict, schema: Any, *, where: str = "",
                    source: str = "config", warn: bool = True, over: str = "the base's") -> dict:
    """``base`` with ``override`` applied: sections merge, every other value replaces.

    Args:
        base: the base file's mapping (not changed).
        override: the overriding file's mapping.
        schema: the model class both describe (``RunConfig`` or the deal's model).
        where: key path prefix of these mappings, for warnings.
        source: the overriding file, for warnings.
        warn: whether to warn (:class:`ConfigWarning`) when a replaced mapping drops keys.
        over: whose values ``base`` holds, for warnings ("the base's"; ``--set`` changes
            "the config's").
    """
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        sub = _section_of(schema, key)
        if isinstance(value, dict) and isinstance(old, dict) and sub is not None:
            out[key] = merge_over_base(old, value, sub, where=f"{where}{key}.", source=source,
                                       warn=warn, over=over)
            continue
        if warn and isinstance(value, dict) and isinstance(old, dict) and set(old) - set(value):
            dropped = ", ".join(short_value(k, 20) for k in sorted(set(old) - set(value), key=str))
            warnings.warn(
                f"{source}: {where}{key} replaces {over} value as a whole (it is one value, "
                f"not a section): {over} entries {dropped} are dropped; list every entry "
                f"you mean to keep", ConfigWarning, stacklevel=2)
        out[key] = value
    return out


def inherited_order(override: object, merged: object, model: Any) -> list[str]:
    """The notes that a deal mapping ``merged`` pays in the priority of payments it inherits
    from its base (the states that ``override``, the deal over the base, does not write)
    and that its notes, which ``override`` changed, do not name; [] otherwise, and when the
    deal has another fault (validation by ``model``, the deal's, says that one first)."""
    from sim.abs.deal import STATES, notes_unknown_to_order

    if not (isinstance(override, dict) and "notes" in override):
        return []
    own = override.get("priority_of_payments", {})
    if not isinstance(own, dict):  # null (the default order), or a value validation refuses
        return []
    unknown = notes_unknown_to_order(merged, tuple(s for s in STATES if s not in own))
    return unknown if unknown and valid_with_default_order(model, merged) else []


def valid_with_default_order(model: Any, deal: object) -> bool:
    """Whether the deal mapping ``deal`` is a valid ``model`` (the deal's) once given the
    default order (``priority_of_payments: null``): the order is then its only fault."""
    if not (isinstance(deal, dict) and isinstance(model, type) and issubclass(model, BaseModel)):
        return False
    try:
        model.model_validate({**deal, "priority_of_payments": None})
    except ValidationError:
        return False
    return True


def inherited_order_refusal(where: str, unknown: list[str], merged: dict, origin: str,
                            null: str) -> str:
    """The message for a deal whose new notes leave an inherited priority of payments
    (from ``origin``) paying the notes ``unknown``: write the order, or (``null``, how to
    say it) take the default order."""
    names = [n.get("name") for n in merged.get("notes", []) if isinstance(n, dict)]
    return (f"{where}priority_of_payments comes from {origin}, written for its notes: it "
            f"pays {', '.join(unknown)}, which this deal does not have (its notes: "
            f"{', '.join(map(str, names))}); write priority_of_payments for these notes, or "
            f"{null} for the default order (fees, each note's interest from the most senior "
            f"down, principal, reserve, residual)")


def _check_inherited_order(path: Path, base_file: Path, override: dict, merged: dict,
                           schema: Any, of_deal: bool) -> None:
    """Refuse a deal file (``of_deal``), or a config's ``deal:`` mapping, that gives new
    notes and keeps its base's written-out order for other notes."""
    given, deal = (override, merged) if of_deal else (override.get("deal"), merged.get("deal"))
    unknown = inherited_order(given, deal, schema if of_deal else _section_of(schema, "deal"))
    if unknown and isinstance(deal, dict):
        origin, where, null = ((f"the base deal {base_file.name}", "",
                                "give 'priority_of_payments: null'") if of_deal else
                               (f"the deal of the base config {base_file.name}", "deal.",
                                "give 'priority_of_payments: null' in deal:"))
        raise ConfigError(f"{path}: "
                          + inherited_order_refusal(where, unknown, deal, origin, null))


# -- reading files -----------------------------------------------------------------------------
def _read_text(path: Path) -> str:
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a config file; give a YAML file")
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if max(size, len(raw)) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: the file has {max(size, len(raw)):,} bytes; a config file "
                          f"may have at most {MAX_FILE_BYTES:,} (a shipped config has about 3 kB)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a YAML config: it must be UTF-8 text") from None


def _file_name(path: Path, key: str, value: object, of_deal: bool = False) -> Path:
    """The file a ``key`` (``base`` or ``deal``) of the file ``path`` names: relative to
    it, else a shipped one (:func:`_shipped_file`); ``of_deal``: ``path`` is a deal file,
    whose ``base`` is a deal."""
    deal = key == "deal" or of_deal
    if not isinstance(value, str) or not value.strip():
        example = "deals/baitiao_2015.yaml" if deal else "baseline.yaml"
        raise ConfigError(f"{path}: {key} = {short_value(value)}: must be a file name "
                          f"(relative to {path.name}), e.g. {example}")
    target = path.parent / value
    if target.exists():
        return target
    return _shipped_file(path, key, value, target, deal)


def _shipped_file(path: Path, key: str, value: str, target: Path, deal: bool) -> Path:
    """The shipped deal (``deal: card_trust``, or the ``base`` of a deal file, ``deal``
    True) or config (the ``base`` of a run config) that ``value`` names, when no file
    ``target`` sits next to ``path``: ``base: baseline`` works from any folder, as
    ``creditsim run baseline`` does.

    Raises:
        ConfigError: when ``value`` names no shipped file either; the message lists them.
    """
    kind, folder = ("deal", "deals") if deal else ("config", "configs")
    shipped = shipped_deals() if deal else shipped_configs()
    named = Path(value)
    name = named.name.removesuffix(".yaml")
    if named.parent in (Path("."), Path(folder)) and name in shipped:
        return shipped[name]
    raise ConfigError(f"{path}: {key}: {target}: no such config file, and not a shipped "
                      f"{kind}; shipped {kind}s: {', '.join(shipped) or '(none)'}")


def _empty_file(path: Path, schema: Any) -> str:
    """The message for a file with no keys (empty, only comments, or ``null``): one line
    saying what a config (or a deal, by ``schema``) holds and where to start from."""
    if isinstance(schema, type) and "deal" in getattr(schema, "model_fields", {}):
        return (f"{path}: the file is empty (no keys); a config starts from a shipped one, "
                f"e.g. 'base: baseline' and the keys to change (or a copy of "
                f"configs/baseline.yaml); every key: 'creditsim config-reference'")
    return (f"{path}: the deal file is empty (no keys); a deal gives its notes, reserve and "
            f"triggers: start from a copy of a shipped deal (configs/deals/baitiao_2015.yaml); "
            f"every key: 'creditsim config-reference' (the deal.* keys)")


def _parse(path: Path, text: str, schema: Any) -> dict:
    """The mapping a config file's ``text`` holds; ConfigError when it is not YAML, holds
    no keys (empty, only comments, ``null``) or is not a mapping."""
    try:
        data = load_yaml(text)
    except YamlLimitError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:  # its marks name the text "<unicode string>": the file
        text = str(exc).replace('"<unicode string>"', str(path.name))
        raise ConfigError(f"{path}: not valid YAML: {text[:600]}") from None
    if data is None:
        raise ConfigError(_empty_file(path, schema))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, "
                          f"got {type(data).__name__}")
    return data


def _name_from_stem(path: Path, schema: Any, data: dict) -> None:
    """Give ``data`` the file's stem as its ``name`` when the file names none and the model
    has a ``name`` (a config, a deal): ``my_policy.yaml`` runs as ``my_policy``, never as
    the name of its base or the model's default. Cut to the field's ``max_length``."""
    model = model_in(schema)
    field = None if model is None else model.model_fields.get("name")
    if field is None or "name" in data:
        return
    longest = min((m.max_length for m in field.metadata
                   if getattr(m, "max_length", None) is not None), default=None)
    data["name"] = path.stem[:longest]


def read_config_file(path: Path, schema: Any, _seen: tuple[Path, ...] = (),
                     *, _is_base: bool = False) -> dict:
    """Read a YAML config (or deal) file, resolving ``base:`` and ``deal:`` files.

    A file without ``name:`` is named by its stem (``policy_b.yaml``: ``policy_b``); its
    ``base`` file's name never passes to it.

    Args:
        path: the file.
        schema: the model the file describes (decides which keys merge over a base).

    Returns:
        The merged mapping, not yet validated.

    Raises:
        ConfigError: a missing, unreadable, oversized or malformed file, a ``base`` chain
            that is too long or forms a cycle; the message names the file.
    """
    path = Path(path)
    if len(_seen) >= MAX_BASE_CHAIN:
        raise ConfigError(f"{path}: more than {MAX_BASE_CHAIN} files are chained by 'base:' "
                          f"and 'deal:' from {_seen[0].name}; shorten the chain")
    if path.is_file() and path.resolve() in _seen:
        raise ConfigError(f"{path}: 'base' files form a cycle")
    data = _parse(path, _read_text(path), schema)
    if not _is_base:
        _name_from_stem(path, schema, data)
    seen = (*_seen, path.resolve())
    deal_file = None
    if "deal" in data and isinstance(_section_of(schema, "deal"), type):
        if isinstance(data["deal"], str):  # a deal file, relative to this file: a whole deal
            deal_file = read_config_file(_file_name(path, "deal", data.pop("deal")),
                                         _section_of(schema, "deal"), seen)
    if "base" in data:  # a run config's base is a run config; a deal file's, a deal
        model = model_in(schema)
        of_deal = model is not None and "deal" not in model.model_fields
        base_file = _file_name(path, "base", data.pop("base"), of_deal)
        base = read_config_file(base_file, schema, seen, _is_base=True)
        override, data = data, merge_over_base(base, data, schema, source=str(path))
        if not _is_base:  # a file read as a base may be completed by the file over it
            _check_inherited_order(path, base_file, override, data, schema, of_deal)
    if deal_file is not None:
        data["deal"] = deal_file
    return data
