"""Small pieces of wording shared by the command line's and the reports' texts.

No numpy, no pandas: the command's parser and the dashboard import it cheaply.
"""

from __future__ import annotations

__all__ = ["paths_text"]


def paths_text(n: int) -> str:
    """``n`` and the noun, singular for one: ``'1 path'``, ``'0 paths'``, ``'60 paths'``
    ("what 1 path can tell", never "what 1 paths can tell")."""
    return f"{n} path{'' if n == 1 else 's'}"
