"""The options of ``creditsim validate`` (light: the CLI builds its parser without numpy)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sim.argtypes import whole_number

DEFAULT_SEED = 20261122
DEFAULT_OUT = "docs/VALIDATION.md"


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``low`` (:func:`sim.argtypes.whole_number`)."""
    return whole_number(low)


def add_options(parser: argparse.ArgumentParser,
                positive: Callable[[str], int] | None = None,
                seed: Callable[[str], int] | None = None) -> argparse.ArgumentParser:
    """Add the validate options to ``parser``; ``positive`` and ``seed`` parse the numbers
    (default: whole numbers >= 1 and >= 0)."""
    p = parser
    positive, seed = positive or at_least(1), seed or at_least(0)
    p.add_argument("--quick", action="store_true",
                   help="only the quick checks, at their small sizes (the test suite's run)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these checks")
    p.add_argument("--paths", type=positive, help="paths per check (default: each check's)")
    p.add_argument("--seed", type=seed, default=DEFAULT_SEED, help="root seed")
    p.add_argument("--workers", type=positive, default=1, help="local worker processes")
    p.add_argument("--out", default=DEFAULT_OUT,
                   help=f"Markdown report to write (default: {DEFAULT_OUT}); '-' for none")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p
