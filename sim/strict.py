"""The base of every configuration model: rules that hold for a kind of value, not for one key.

Each config key declares its own range, but some rules hold for every key of a kind, and a rule
left to each key is forgotten on the next one added:

- numbers are finite: infinity and NaN are refused (an infinite cost overflows the integer
  ledger; NaN compares false with everything, so ``NaN >= 0`` checks pass and the value
  silently changes the model);
- a boolean is not a number (pydantic's lax mode reads ``true`` as 1 for a number key);
- strings are short (a name becomes a folder name; a description is stored in every run's
  manifest and shown in the dashboard).

:func:`unbounded_numbers` lists the numeric keys of a model tree without both a lower and an
upper bound; the tests require it to be empty, so that a new key cannot be added unbounded.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = ["MAX_STR", "StrictModel", "unbounded_numbers"]

MAX_STR = 2000
"""Most characters of any string value (a description of a few paragraphs)."""

_UNIONS = (Union, types.UnionType)


def _strip(ann: Any) -> Any:
    """The annotation without ``Annotated[...]`` metadata."""
    while get_origin(ann) is Annotated:
        ann = get_args(ann)[0]
    return ann


def _is_number(ann: Any) -> bool:
    """Whether ``ann`` takes a number (int or float) and not a boolean."""
    ann = _strip(ann)
    if get_origin(ann) in _UNIONS:
        args = [_strip(a) for a in get_args(ann)]
        return bool not in args and any(a in (int, float) for a in args)
    return ann in (int, float)


def _bool_for_number(ann: Any, value: Any) -> tuple | None:
    """Where ``value`` puts a boolean in a number slot of ``ann``: a key path below the value
    (``()`` for the value itself, ``(3,)`` for item 3), or None."""
    if isinstance(value, bool):
        return () if _is_number(ann) else None
    ann = _strip(ann)
    origin = get_origin(ann)
    if origin in _UNIONS:
        return next((w for a in get_args(ann) if (w := _bool_for_number(a, value)) is not None),
                    None)
    if origin is list and isinstance(value, list) and get_args(ann):
        item = get_args(ann)[0]
        return next(((i, *w) for i, v in enumerate(value)
                     if (w := _bool_for_number(item, v)) is not None), None)
    if origin is dict and isinstance(value, dict) and get_args(ann):
        key_ann, item = get_args(ann)
        for k, v in value.items():
            if _bool_for_number(key_ann, k) is not None:
                return (k,)
            if (w := _bool_for_number(item, v)) is not None:
                return (k, *w)
    return None


class StrictModel(BaseModel):
    """Unknown keys refused, values frozen, numbers finite and not booleans, strings short."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              str_max_length=MAX_STR)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, data: Any) -> Any:
        # A model-level check (a field validator on every field would clash with the
        # discriminator fields of tagged unions); the errors carry each key's own path.
        if not isinstance(data, dict):
            return data
        errors = []
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            where = None if field is None else _bool_for_number(field.annotation, value)
            if where is not None:
                errors.append(InitErrorDetails(type=_BOOL_ERROR, loc=(name, *where),
                                               input=_value_at(value, where)))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data


_BOOL_ERROR = PydanticCustomError("bool_for_number",
                                  "a boolean is not a number here; give a number")


def _value_at(value: Any, where: tuple) -> Any:
    for part in where:
        value = value[part] if not isinstance(value, dict) or part in value else True
    return value


def _bounds(metadata: list) -> tuple[bool, bool]:
    low = any(getattr(m, k, None) is not None for m in metadata for k in ("ge", "gt"))
    high = any(getattr(m, k, None) is not None for m in metadata for k in ("le", "lt"))
    for m in metadata:  # a FieldInfo inside Annotated[...] carries its own metadata
        inner = getattr(m, "metadata", None)
        if isinstance(inner, list) and inner:
            lo, hi = _bounds(inner)
            low, high = low or lo, high or hi
    return low, high


def _walk(ann: Any, metadata: list, path: str, seen: set, out: list[str]) -> None:
    extra = []
    while get_origin(ann) is Annotated:
        ann, *more = get_args(ann)
        extra += more
    origin = get_origin(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        if ann not in seen:
            seen.add(ann)
            for name, field in ann.model_fields.items():
                _walk(field.annotation, list(field.metadata), f"{path}.{name}", seen, out)
            seen.discard(ann)
    elif origin in _UNIONS:
        for arg in get_args(ann):
            _walk(arg, metadata + extra, path, seen, out)
    elif origin is list:
        _walk(get_args(ann)[0], [], f"{path}[]", seen, out)
    elif origin is dict:
        key, item = get_args(ann)
        _walk(key, [], f"{path}{{key}}", seen, out)
        _walk(item, [], f"{path}{{}}", seen, out)
    elif ann in (int, float) and origin is not Literal:
        low, high = _bounds(metadata + extra)
        if not (low and high):
            out.append(path.lstrip("."))


def unbounded_numbers(model: type[BaseModel]) -> list[str]:
    """Key paths of ``model``'s tree whose numbers lack a lower or an upper bound.

    Walks sub-models, lists and mappings (``notes[]``, ``plan_mix{}``) and unions. Mapping
    keys that must come from a closed set (plan terms) are checked by their model's rules and
    are reported here only when they are numbers without bounds.
    """
    out: list[str] = []
    _walk(model, [], "", set(), out)
    return out
