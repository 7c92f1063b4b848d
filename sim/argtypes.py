"""Argument types shared by the command lines (light: no numpy, pandas or pydantic).

Each refuses bad text with one message argparse prints as the error: the value given
and what is allowed. A whole number may be written as a config file or ``--set`` takes it:
``1000``, ``1e3`` or ``1000.0`` (:func:`parse_number`). The commands' parser
(:class:`ArgumentParser`) reads every negative number as a value, so that an option's type
refuses ``--seed -1e3`` with its own message, as it refuses ``--seed=-1e3``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_NUMBER_TEXT = 1000
"""Longest text read as a number (characters); longer text is no number any option takes."""
MAX_DIGITS = 4300
"""Most digits of a whole number written with an exponent that is written out (Python's own
limit on the digits of an integer it reads)."""


def parse_number(text: str) -> int | float | None:
    """The number ``text`` writes: an int when it is exactly a whole number, however written
    (``12``, ``-5``, ``1e3``, ``2.0``, ``1.5E1``); a float when it is a number that is not
    (``1.5``, ``1e-3``, ``nan``, or a whole number too long to write out, ``1e9999``);
    None when it is no number (``abc``, ``1e``, ``''``)."""
    text = text.strip()
    if len(text) > MAX_NUMBER_TEXT:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if number.is_snan():  # Decimal reads 'sNaN', which no float holds
        return None
    if number.is_finite() and (number.is_zero() or number.adjusted() < MAX_DIGITS) \
            and number == number.to_integral_value():
        return int(number)
    return float(number)


def whole_number(low: int, what: str = "a number") -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low`` (written as :func:`parse_number`
    reads it), refused with a clear message."""

    def parse(text: str) -> int:
        value = parse_number(text)
        if not isinstance(value, int):
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is not allowed; give {what} >= {low}")
        return value

    return parse


class _NegativeNumber:
    """Matches the text :func:`parse_number` reads as a negative number (``-5``, ``-1e3``,
    ``-2.5E1``, ``-inf``), in the place of argparse's pattern, which knows only ``-5`` and
    ``-.5``."""

    @staticmethod
    def match(text: str) -> bool:
        return text.startswith("-") and parse_number(text) is not None


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser that reads a negative number after an option as the option's value.

    argparse reads an argument that begins with ``-`` as an option unless it matches its
    pattern of negative numbers (``-5``, ``-.5``): ``--seed -1e3`` was refused with "expected
    one argument" rather than by the seed's own check. Its subcommands' parsers are of this
    class too (argparse makes them of their parent's class). No option of these commands
    looks like a negative number, so none is mistaken for one.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NegativeNumber()  # type: ignore[assignment]


class Once(argparse.Action):
    """An option that may be given once: a second occurrence is refused (argparse would keep
    the last silently, so ``--against A2 B2 --against B1 A1`` would compare other runs than
    the first pair the user wrote)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} is given twice; give it once")
        setattr(namespace, self.dest, values)
