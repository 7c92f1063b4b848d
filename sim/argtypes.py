"""Argument types shared by the command lines (light: no numpy, pandas or pydantic).

Each refuses bad text with one message argparse prints as the error: the value given
and what is allowed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def whole_number(low: int, what: str = "a number") -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low``, refused with a clear message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is not allowed; give {what} >= {low}")
        return value

    return parse
