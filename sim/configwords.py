"""What config errors say: values shown short, pydantic's errors in the config's own words
(the key path, the value given, what is allowed), and the schema lookups they need.

:func:`format_errors` turns a :class:`pydantic.ValidationError` into lines such as
``book.initial_borrowers = -5: must be at least 1``; a section, a mapping or a list given a
single value says what it must hold (its keys, each key's and value's kind and bounds, its
default). :func:`field_at`, :func:`choices` and :func:`allowed_keys` find a key's field, its
allowed values and its section's keys, for these messages, ``--set`` and the dashboard's
launch form.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

__all__ = ["allowed_keys", "bare", "choices", "field_annotation", "field_at", "format_errors",
           "model_in", "number_text", "plain_message", "short_value"]

MAX_ERRORS = 20
"""Most validation errors listed in one message (the rest are counted)."""


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
        elif e["type"] == "list_type":  # not "a valid list": what its items are
            msg = _not_a_list(model, e["loc"])
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
    section = model_in(field.annotation) if field is not None else None
    if field is None or section is None or not loc:
        return "must be a mapping of keys, not a single value or a list"
    item = get_origin(field.annotation) in (list, dict)  # loc ends at an item's key
    whose = f"a {loc[-2]} item's" if item and len(loc) > 1 else f"{loc[-1]}'s"
    return f"must be a mapping of {whose} keys ({', '.join(section.model_fields)})"


def _container_field(model: type[BaseModel], loc: tuple, origin: type) -> tuple[Any, tuple]:
    """The field at key path ``loc`` below ``model`` and the arguments of its ``origin``
    annotation (``dict``: key and value; ``list``: item), an optional one's too; ``(None,
    ())`` when the field is not found or is not of that kind."""
    parent = model if len(loc) == 1 else model_in(getattr(field_at(model, loc[:-1]),
                                                           "annotation", None))
    field = parent.model_fields.get(str(loc[-1])) if parent is not None and loc else None
    ann = bare(field.annotation) if field is not None else None
    ann = next((a for a in get_args(ann) if get_origin(bare(a)) is origin), ann)  # optional
    if field is None or get_origin(bare(ann)) is not origin:
        return None, ()
    return field, get_args(bare(ann))


def _not_a_mapping(model: type[BaseModel], loc: tuple) -> str:
    """What a mapping field at key path ``loc`` below ``model`` must be: what each key and
    each value is (``spending.plan_mix``: each key a whole number at least 0 and at most 12,
    each value a number ...) and its default, or the default's keys when its values are
    sections (``collections.channels``: sms, app_push, ...)."""
    field, args = _container_field(model, loc, dict)
    if field is None:
        return "must be a mapping of keys to values, not a single value or a list"
    key, value = args
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


def _not_a_list(model: type[BaseModel], loc: tuple) -> str:
    """What a list field at key path ``loc`` below ``model`` must be: what each item is
    (``collections.ladder``: each item a mapping with keys channel, from_dpd, ...) and how
    many items its default has, or its default when short (``repayment.roll_chain.forward``)."""
    field, args = _container_field(model, loc, list)
    if field is None:
        return "must be a list of items (YAML: '- item' lines, or [a, b]), not a single value"
    text = f"must be a list, not a single value or a mapping: each item {_kind_words(args[0])}"
    default = field.get_default(call_default_factory=True)
    if not (isinstance(default, list) and default):
        return text
    if any(isinstance(v, BaseModel) for v in default) or len(default) > 8:
        return f"{text}; the default has {len(default)} items"
    return text + "; default: [" + ", ".join(short_value(v, 30) for v in default) + "]"


def _kind_words(ann: Any) -> str:
    """A key's or a value's annotation in words: "a whole number at least 3 and at most
    12", "a number at least 0 and at most 1", "a name", "one of a, b", "a mapping with keys
    cost, commission, ..."."""
    allowed = choices(ann)
    if allowed:
        return f"one of {', '.join(allowed)}"
    plain = bare(ann)
    if isinstance(plain, type) and issubclass(plain, BaseModel):
        return f"a mapping with keys {', '.join(plain.model_fields)}"
    kind = {bool: "true or false", int: "a whole number", float: "a number", str: "a name"}.get(
        plain, "a value")
    bounds = []
    while get_origin(ann) is Annotated:
        ann, *extra = get_args(ann)
        bounds += [m for x in extra for m in getattr(x, "metadata", [x])]
    words = _bound_words(bounds)
    return f"{kind} {' and '.join(words)}" if words else kind


BOUND_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than",
                          "less_than_equal"})
"""Pydantic's error types that state one bound of a number: a field with one bound says all
of its range in them."""
BOUND_WORDS = (("ge", "at least"), ("gt", "above"), ("le", "at most"), ("lt", "below"))


def _allowed_range(model: type[BaseModel], loc: tuple, error: str) -> str:
    """The numeric range of the field at key path ``loc`` below ``model``, in words ("at
    least 0 and below 0.5"), for a message that does not say all of it already: empty for a
    field without bounds, and for a bound's own error on a field with one bound. A key of a
    mapping (``deal.retained.senior``) has the range of the mapping's values."""
    field = field_at(model, loc)
    if field is not None:
        metadata = list(field.metadata)
    else:  # a mapping's value (``deal.retained.senior``): the bounds of its values
        mapping, args = _container_field(model, loc[:-1], dict) if len(loc) > 1 else (None, ())
        value = args[1] if mapping is not None else None
        metadata = []
        while get_origin(value) is Annotated:
            value, *extra = get_args(value)
            metadata += [m for x in extra for m in getattr(x, "metadata", [x])]
    words = _bound_words(metadata)
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
        current = model_in(field.annotation)
    return None if in_container else field


def choices(annotation: Any) -> tuple[str, ...]:
    """The values a ``Literal`` or ``Enum`` annotation allows (also inside ``Optional`` or
    ``Annotated``), as text; () for any other annotation, and for a union in which a choice
    is one form among others (``Literal["floating_notes"] | list[float]``: a schedule is
    allowed too, so the literal is not the whole of what is allowed)."""
    annotation = bare(annotation)
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
    current = model_in(field.annotation) if field is not None else None
    return sorted(current.model_fields) if current is not None else []


def bare(ann: Any) -> Any:
    """An annotation without its ``Annotated`` wrappers (``Annotated[int, Field(...)]`` is
    ``int``)."""
    while get_origin(ann) is Annotated:
        ann = get_args(ann)[0]
    return ann


def field_annotation(schema: Any, key: object) -> Any:
    """The bare annotation (:func:`bare`) of field ``key`` of the model ``schema``; None
    when ``schema`` is not a model or has no such field."""
    if not (isinstance(schema, type) and issubclass(schema, BaseModel) and isinstance(key, str)
            and key in schema.model_fields):
        return None
    return bare(schema.model_fields[key].annotation)


def model_in(ann: Any) -> type[BaseModel] | None:
    """The one model class an annotation holds (itself, optional, or as list/dict items);
    None when it holds none or several (a tagged union)."""
    ann = bare(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    found = {m for arg in get_args(ann) if (m := model_in(arg)) is not None}
    return found.pop() if len(found) == 1 else None
