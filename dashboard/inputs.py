"""Values that come from the browser, checked before use and echoed only in short.

Every callback input is whatever a request says it is: a number input can send a string,
``Infinity`` or a mapping, and a run picker's state can be a 100 MB string. These
helpers turn such values into what a callback expects, or into one short message; the
value itself is never rendered longer than :data:`MAX_ECHO` characters.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sim.manifest import MAX_RUN_ID, RUN_ID_PATTERN

MAX_ECHO = 60
"""Longest rendering of a browser value in a message (characters)."""
_RUN_ID = re.compile(RUN_ID_PATTERN)


class InputError(ValueError):
    """A browser value a callback cannot use; the message names it and what is allowed."""


def echo(value: Any) -> str:
    """``repr(value)``, cut to :data:`MAX_ECHO` characters (without rendering a huge value)."""
    if isinstance(value, str | bytes) and len(value) > MAX_ECHO:
        value = value[:MAX_ECHO]
        return repr(value)[:MAX_ECHO] + "..."
    if isinstance(value, dict | list | tuple):
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 3] + "..."


def whole_input(value: Any, what: str, low: int, high: int | None = None) -> int:
    """``value`` as a whole number in ``[low, high]`` (a float with no fraction is accepted).

    Raises:
        InputError: for booleans, strings, mappings, NaN, infinities, fractions and values
            out of range, naming ``what`` and the allowed range.
    """
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and int(value) == value
    ok = ok and low <= value and (high is None or value <= high)
    if not ok:
        allowed = f"from {low} to {high}" if high is not None else f"from {low}"
        raise InputError(f"{what} = {echo(value)}: give a whole number {allowed}")
    return int(value)


def run_id_input(value: Any) -> str | None:
    """``value`` if it can be a run id (a short string of the store's id characters), else None."""
    if isinstance(value, str) and len(value) <= MAX_RUN_ID and _RUN_ID.match(value):
        return value
    return None


def clamped_input(value: Any, what: str, low: int, high: int) -> int:
    """A whole number moved into ``[low, high]`` (a slider or a number box past its end).

    Raises:
        InputError: when ``value`` is not a finite whole number at all.
    """
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or int(value) != value:
        raise InputError(f"{what} = {echo(value)}: give a whole number from {low} to {high}")
    return min(max(int(value), low), high)
