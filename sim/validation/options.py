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
    p.add_argument("--workers", type=positive, default=1,
                   help="local worker processes (default: 1)")
    p.add_argument("--out", default=None,
                   help=f"Markdown report to write; '-' for none (default: {DEFAULT_OUT} for "
                   "the full run, none with --quick, --only or --paths, whose partial report "
                   "would replace the committed one)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=None,
                   help="change one value of the shipped configs the experiments and facts "
                   "run (the baseline and its severe recession), e.g. --set "
                   "spending.stress_multiplier=1 (repeatable; keys as in docs/CONFIG.md); the "
                   "oracles do not use them, and no report is written unless --out asks")
    return p


def report_path(args: argparse.Namespace) -> str:
    """Where the report goes: ``--out`` if given, else :data:`DEFAULT_OUT` for the full run
    (no ``--quick``, ``--only``, ``--paths`` or ``--set``) and ``'-'`` (none) for a partial
    or changed one."""
    if args.out is not None:
        return str(args.out)
    partial = args.quick or args.only or args.paths is not None or bool(getattr(args, "set", None))
    return "-" if partial else DEFAULT_OUT
