"""Config files: reading YAML with limits, ``base:`` files, deal files and error messages.

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
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from sim.shippedfiles import shipped_configs, shipped_deals
from sim.yamlsafe import YamlLimitError, load_yaml

__all__ = ["MAX_BASE_CHAIN", "MAX_FILE_BYTES", "ConfigError", "ConfigWarning",
           "deal_file_as_config", "format_errors", "manifest_as_config", "merge_over_base",
           "read_config_file", "section_at", "short_value"]

MAX_FILE_BYTES = 256 * 1024
"""Largest config or deal file read (a shipped config is about 3 kB)."""
MAX_BASE_CHAIN = 16
"""Most files chained by ``base:`` (and ``deal:``) from one config."""
MAX_ERRORS = 20
"""Most validation errors listed in one message (the rest are counted)."""


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says what and why."""


class ConfigWarning(UserWarning):
    """A config that loads but may not say what its author meant (a dropped base value)."""


# -- showing values in messages ---------------------------------------------------------------
def number_text(x: float, grouped: bool = True) -> str:
    """A number as a reader writes it: thousands separators (unless not ``grouped``, as in
    a list, where they would read as separators of items), no ``.0`` on a whole number,
    every digit kept: ``1e10`` is ``10,000,000,000`` (not ``10000000000.0``), ``0.05`` and
    ``1.0000001`` as they are, ``1e+300``, ``1e-09`` and ``inf`` in Python's short form."""
    sep = "," if grouped else ""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e16:
        return f"{x:{sep}.0f}"
    return format(x, sep)


def short_value(value: Any, limit: int = 80) -> str:
    """``value`` for an error message, at most about ``limit`` characters.

    Never renders a whole container (a YAML alias can make a small file hold a huge one):
    short lists of plain values are shown, anything else is named by its type and size.
    """
    if isinstance(value, str):
        text = repr(value[:limit])
        return text if len(value) <= limit else f"{text[:-1]}...' ({len(value):,} characters)"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, int):
        return repr(value) if -10**30 < value < 10**30 else (
            f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits")
    if isinstance(value, dict):
        return "{...}" if value else "{}"
    if isinstance(value, list | tuple):
        if len(value) <= 12 and not any(isinstance(v, list | tuple | dict) for v in value):
            text = "[" + ", ".join(number_text(v, grouped=False) if isinstance(v, float)
                                   else short_value(v, 20) for v in value) + "]"
            if len(text) <= limit:
                return text
        return f"[...] ({len(value):,} items)"
    return f"a {type(value).__name__}"


def plain_message(msg: str) -> str:
    """A validation message without pydantic's prefix for a validator's own error
    (``Value error, ``, ``Assertion failed, ``): the message is the project's sentence."""
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def _key_path(loc: tuple) -> str:
    return ".".join(p if isinstance(p, str) and len(p) <= 60 else
                    (short_value(p, 60) if not isinstance(p, str) else p[:57] + "...")
                    for p in (str(x) if isinstance(x, int) else x for x in loc))


def _readable_bound(msg: str, ctx: dict | None) -> str:
    """Pydantic's "less than or equal to 5000000" with the bound as `number_text` writes it
    (``5,000,000``)."""
    head, _, last = msg.rpartition(" ")
    for key in ("gt", "ge", "lt", "le"):
        bound = (ctx or {}).get(key)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            try:
                shown = int(last) if last.lstrip("-").isdigit() else float(last)
            except ValueError:
                return msg
            if shown == bound:
                return f"{head} {number_text(bound)}"
    return msg


def format_errors(err: ValidationError, source: str, model: type[BaseModel]) -> str:
    """One line per validation error: key path, the value (short) and what is allowed."""
    lines = [f"{source}: invalid configuration"]
    errors = err.errors(include_url=False)
    for e in errors[:MAX_ERRORS]:
        path = _key_path(e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbid" or e["type"] == "extra_forbidden":
            allowed = allowed_keys(model, e["loc"][:-1])
            msg = "unknown key" + (f"; allowed keys here: {', '.join(allowed)}" if allowed else "")
            lines.append(f"  {path}: {msg}")
            continue
        if e["type"] in SECTION_TYPE_ERRORS:  # not pydantic's words, which name our classes
            msg = _not_a_section(model, e["loc"])
        elif e["type"] == "dict_type":  # not "a valid dictionary": what its keys and values are
            msg = _not_a_mapping(model, e["loc"])
        msg = _readable_bound(plain_message(msg), e.get("ctx"))
        if len(msg) > 400:
            msg = msg[:400] + "..."
        if not _key_path(e["loc"]):  # a rule across keys: its message names them
            lines.append(f"  {msg}")
        elif isinstance(e.get("input"), dict):  # a section's rule: its keys, not "{...}"
            lines.append(f"  {path}: {msg}")
        else:
            bounds = _allowed_range(model, e["loc"], e["type"])
            lines.append(f"  {path} = {short_value(e.get('input'))}: {msg}"
                         + (f"; allowed: {bounds}" if bounds else ""))
    if len(errors) > MAX_ERRORS:
        lines.append(f"  ... and {len(errors) - MAX_ERRORS} more errors")
    return "\n".join(lines)


SECTION_TYPE_ERRORS = frozenset({"model_type", "model_attributes_type"})
"""Pydantic's error types for a section given a value that is not a mapping; their messages
name the model's class ("a valid dictionary or instance of BookConfig")."""


def _not_a_section(model: type[BaseModel], loc: tuple) -> str:
    """What a section at key path ``loc`` below ``model`` must be: a mapping of its keys,
    in their declared order (``book``: initial_borrowers, new_borrowers_per_month, ...); an
    item of a list or mapping of sections (``collections.ladder.0``) is named as one."""
    field = field_at(model, loc)
    section = _model_in(field.annotation) if field is not None else None
    if field is None or section is None or not loc:
        return "must be a mapping of keys, not a single value or a list"
    item = get_origin(field.annotation) in (list, dict)  # loc ends at an item's key
    whose = f"a {loc[-2]} item's" if item and len(loc) > 1 else f"{loc[-1]}'s"
    return f"must be a mapping of {whose} keys ({', '.join(section.model_fields)})"


def _not_a_mapping(model: type[BaseModel], loc: tuple) -> str:
    """What a mapping field at key path ``loc`` below ``model`` must be: what each key and
    each value is (``spending.plan_mix``: each key a whole number at least 0 and at most 12,
    each value a number ...) and its default, or the default's keys when its values are
    sections (``collections.channels``: sms, app_push, ...)."""
    parent = model if len(loc) == 1 else _model_in(getattr(field_at(model, loc[:-1]),
                                                           "annotation", None))
    field = parent.model_fields.get(str(loc[-1])) if parent is not None and loc else None
    ann = _bare(field.annotation) if field is not None else None
    ann = next((a for a in get_args(ann) if get_origin(_bare(a)) is dict), ann)  # optional
    if field is None or get_origin(_bare(ann)) is not dict:
        return "must be a mapping of keys to values, not a single value or a list"
    key, value = get_args(_bare(ann))
    text = (f"must be a mapping, not a single value or a list: each key {_kind_words(key)}, "
            f"each value {_kind_words(value)}")
    default = field.get_default(call_default_factory=True)
    if not (isinstance(default, dict) and default):
        return text
    if any(isinstance(v, BaseModel) for v in default.values()):
        return f"{text}; the default's keys: {', '.join(str(k) for k in default)}"
    return text + "; default: {" + ", ".join(
        f"{k if isinstance(k, str) else short_value(k)}: {short_value(v, 30)}"
        for k, v in default.items()) + "}"


def _kind_words(ann: Any) -> str:
    """A key's or a value's annotation in words: "a whole number at least 3 and at most
    12", "a number at least 0 and at most 1", "a name", "one of a, b", "a mapping with keys
    cost, commission, ..."."""
    allowed = choices(ann)
    if allowed:
        return f"one of {', '.join(allowed)}"
    bare = _bare(ann)
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return f"a mapping with keys {', '.join(bare.model_fields)}"
    kind = {bool: "true or false", int: "a whole number", float: "a number", str: "a name"}.get(
        bare, "a value")
    bounds = []
    while get_origin(ann) is Annotated:
        ann, *extra = get_args(ann)
        bounds += [m for x in extra for m in getattr(x, "metadata", [x])]
    words = _bound_words(bounds)
    return f"{kind} {' and '.join(words)}" if words else kind


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


BOUND_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than",
                          "less_than_equal"})
"""Pydantic's error types that state one bound of a number: a field with one bound says all
of its range in them."""
BOUND_WORDS = (("ge", "at least"), ("gt", "above"), ("le", "at most"), ("lt", "below"))


def _allowed_range(model: type[BaseModel], loc: tuple, error: str) -> str:
    """The numeric range of the field at key path ``loc`` below ``model``, in words ("at
    least 0 and below 0.5"), for a message that does not say all of it already: empty for a
    field without bounds, and for a bound's own error on a field with one bound."""
    field = field_at(model, loc)
    if field is None:
        return ""
    words = _bound_words(field.metadata)
    if not words or (error in BOUND_ERRORS and len(words) == 1):
        return ""
    return " and ".join(words)


def _bound_words(metadata: Sequence[object]) -> list[str]:
    """The bounds among a field's ``metadata`` in words: ``["at least 0", "at most 1"]``."""
    return [f"{word} {number_text(getattr(m, key))}" for key, word in BOUND_WORDS
            for m in metadata if getattr(m, key, None) is not None]


def field_at(model: type[BaseModel], loc: tuple) -> Any:
    """The pydantic ``FieldInfo`` at key path ``loc`` below ``model`` (a list index or a
    mapping key after a list or mapping of models leads to the item model), or None when
    the path leads to no field of a model."""
    current: Any = model
    field = None
    in_container = False
    for part in loc:
        if current is None:
            return None
        if in_container:  # the index or key of one item: the item's model is next
            in_container = False
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        in_container = get_origin(field.annotation) in (list, dict)
        current = _model_in(field.annotation)
    return None if in_container else field


def choices(annotation: Any) -> tuple[str, ...]:
    """The values a ``Literal`` or ``Enum`` annotation allows (also inside ``Optional`` or
    ``Annotated``), as text; () for any other annotation, and for a union in which a choice
    is one form among others (``Literal["floating_notes"] | list[float]``: a schedule is
    allowed too, so the literal is not the whole of what is allowed)."""
    annotation = _bare(annotation)
    forms = [a for a in get_args(annotation) if a is not type(None)] if get_origin(
        annotation) in (Union, UnionType) else [annotation]
    if len(forms) != 1:
        return ()
    (form,) = forms
    if get_origin(form) is Literal:
        return tuple(str(a) for a in get_args(form))
    if isinstance(form, type) and issubclass(form, Enum):
        return tuple(str(m.value) for m in form)
    return ()


def allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys of the model at key path ``loc`` below ``model`` (empty when not a model).

    A list index or a mapping key after a list or mapping of models (``ladder.0``,
    ``channels.sms``) leads to the item model (:func:`field_at`).
    """
    if not loc:
        return sorted(model.model_fields)
    field = field_at(model, loc)
    current = _model_in(field.annotation) if field is not None else None
    return sorted(current.model_fields) if current is not None else []


def _bare(ann: Any) -> Any:
    """An annotation without its ``Annotated`` wrappers (``Annotated[int, Field(...)]`` is
    ``int``)."""
    while get_origin(ann) is Annotated:
        ann = get_args(ann)[0]
    return ann


def _field_annotation(schema: Any, key: object) -> Any:
    """The bare annotation (:func:`_bare`) of field ``key`` of the model ``schema``; None
    when ``schema`` is not a model or has no such field."""
    if not (isinstance(schema, type) and issubclass(schema, BaseModel) and isinstance(key, str)
            and key in schema.model_fields):
        return None
    return _bare(schema.model_fields[key].annotation)


def _model_in(ann: Any) -> type[BaseModel] | None:
    """The one model class an annotation holds (itself, optional, or as list/dict items);
    None when it holds none or several (a tagged union)."""
    ann = _bare(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    found = {m for arg in get_args(ann) if (m := _model_in(arg)) is not None}
    return found.pop() if len(found) == 1 else None


# -- merging an override over its base ---------------------------------------------------------
def _section_of(schema: Any, key: object) -> Any:
    """The schema of ``key``'s value when it is a section (merges), else None (replaces).

    ``schema`` is a model class, or ``("items", Model)`` for a mapping of sections.
    """
    if isinstance(schema, tuple):
        return schema[1]
    ann = _field_annotation(schema, key)
    if ann is None:
        return None
    if get_origin(ann) is dict:
        item = _model_in(get_args(ann)[1])
        return ("items", item) if item is not None else None
    if get_origin(ann) is list:
        return None
    return _model_in(ann)


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
    ann = _field_annotation(schema, key)
    item = _model_in(ann) if get_origin(ann) is list else None
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
    model = _model_in(schema)
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
        model = _model_in(schema)
        of_deal = model is not None and "deal" not in model.model_fields
        base_file = _file_name(path, "base", data.pop("base"), of_deal)
        base = read_config_file(base_file, schema, seen, _is_base=True)
        override, data = data, merge_over_base(base, data, schema, source=str(path))
        if not _is_base:  # a file read as a base may be completed by the file over it
            _check_inherited_order(path, base_file, override, data, schema, of_deal)
    if deal_file is not None:
        data["deal"] = deal_file
    return data
