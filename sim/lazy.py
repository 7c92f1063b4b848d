"""Package attributes loaded on first use (PEP 562), so that a path worker does not import
pandas, scipy.stats or scikit-learn it never needs."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, names: Mapping[str, str],
                    namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``name`` in ``names`` is imported from the
    module ``names[name]`` on first use and kept in ``namespace`` (the package's globals),
    so later lookups do not come back here.

    Raises (from the returned function):
        AttributeError: ``name`` is not one of ``names``.
    """

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name]), name)
        namespace[name] = value
        return value

    return __getattr__
