"""Small pieces of wording shared by the command line's and the reports' texts.

No numpy, no pandas: the command's parser and the dashboard import it cheaply.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["numbers_text", "paths_text"]

MAX_RUNS_SHOWN = 6
"""Most runs of consecutive numbers :func:`numbers_text` lists before the last one."""


def paths_text(n: int) -> str:
    """``n`` and the noun, singular for one: ``'1 path'``, ``'0 paths'``, ``'60 paths'``
    ("what 1 path can tell", never "what 1 paths can tell")."""
    return f"{n} path{'' if n == 1 else 's'}"


def numbers_text(numbers: Iterable[int]) -> str:
    """Whole numbers as runs of consecutive ones, the way a person lists pages: ``'0-3'``,
    ``'0, 2, 5-9'``; ``'none'`` for none; past :data:`MAX_RUNS_SHOWN` runs, the first ones
    and the last (``'0, 2, 4, 6, 8, 10, ..., 20'``)."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    if not runs:
        return "none"
    texts = [str(a) if a == b else f"{a}-{b}" for a, b in runs]
    if len(texts) > MAX_RUNS_SHOWN + 1:
        texts = [*texts[:MAX_RUNS_SHOWN], "...", texts[-1]]
    return ", ".join(texts)
