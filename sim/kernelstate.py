"""Whether the compiled kernels of this code are already cached on this machine.

The engine's kernels (:mod:`sim.kernels`) are compiled by numba the first time a process
calls them and cached in a folder keyed by their sources (:mod:`sim.kernels.cache`). On a
fresh machine, a new checkout or after an edit of the kernels, the first path therefore
compiles for 1-2 minutes (108 s measured on a shared 2-core machine) before the progress bar
moves; later processes load the machine code at once. :func:`kernels_cold` tells, before a
run starts, whether that compilation is still to come, so that the run compiles the kernels
first, once, with a spinner, and its progress bar times only the paths
(:func:`sim.montecarlo.warm_if_cold`).

This module lives outside ``sim/kernels`` on purpose: every file there is part of the cache
key, and a change to it would make every machine compile again.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["COLD_SHARE", "kernels_cold", "uncompiled_share"]

COLD_SHARE = 0.5
"""Share of the cached kernels without compiled code at which the cache counts as cold.

Kernels called only from other kernels are compiled into their callers and need no entry of
their own (12 of 63 have none after one path of a tiny book), so a warm cache is not a full
one; a fresh cache folder has no entry at all."""


def _dispatchers() -> list:
    """The numba functions with an on-disk cache in ``sim/kernels`` and the rules they
    compile from elsewhere (:data:`sim.kernels.cache.RULES`)."""
    from numba.core.dispatcher import Dispatcher

    from sim.kernels.cache import RULES, SOURCES

    names = [f"sim.kernels.{m.name}" for m in pkgutil.iter_modules([str(SOURCES)])]
    names += [f"sim.{path.stem}" for path in RULES]
    found = []
    for name in names:
        module = importlib.import_module(name)
        found += [obj for obj in vars(module).values()
                  if isinstance(obj, Dispatcher) and obj.__module__ == name
                  and getattr(obj, "_cache", None) is not None]
    return found


def uncompiled_share() -> float:
    """Share (0 to 1) of the cached kernels with no compiled code in the cache folder of
    this code, as numba decides it when a kernel is first called (an index written by this
    numba version whose source stamp matches the file).

    Returns 0.0 when no kernel is cached (``NUMBA_DISABLE_JIT=1`` runs them as Python) or
    when this numba keeps its cache in another way: then nothing is claimed.
    """
    total = missing = 0
    for dispatcher in _dispatchers():
        cache_file = getattr(dispatcher._cache, "_cache_file", None)
        load_index = getattr(cache_file, "_load_index", None)
        if load_index is None:  # a NullCache, or a numba whose cache works differently
            continue
        total += 1
        missing += not load_index()
    return missing / total if total else 0.0


def kernels_cold() -> bool:
    """Whether the first path of this process will compile the kernels (1-2 minutes): at
    least :data:`COLD_SHARE` of them have no compiled code cached for these sources."""
    return uncompiled_share() >= COLD_SHARE
