"""Small pieces of wording shared by the command line's and the reports' texts.

No numpy, no pandas: the command's parser and the dashboard import it cheaply.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = ["numbers_text", "paths_text", "percents_adding_up"]

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


def percents_adding_up(shares: Sequence[float], decimals: int = 1) -> list[float]:
    """``shares`` of one whole (adding up to 1) as percentages with ``decimals`` places that
    add up to the whole, 100 (the rounded sum of the shares, for shares that do not add up
    to 1), where rounding each on its own can give 100.1 or 99.9: the largest remainder
    method. Each is rounded down to a unit of the last place and the units left over go,
    one each, to the shares with the largest remainders (the first of equal ones), so that
    none is shown more than one unit from its exact value.

    Shares with a NaN (a row with no accounts) are rounded each on its own.
    """
    scale = 10 ** (decimals + 2)
    units = [share * scale for share in shares]
    if any(math.isnan(u) or math.isinf(u) for u in units):
        return [round(share * 100, decimals) for share in shares]
    down = [math.floor(u) for u in units]
    left = round(sum(units)) - sum(down)
    by_remainder = sorted(range(len(units)), key=lambda i: down[i] - units[i])  # stable
    for i in by_remainder[:max(left, 0)]:
        down[i] += 1
    return [d / 10 ** decimals for d in down]
