"""Compiled kernels of the engine's hot paths (numba, ``nopython`` mode).

The vectorised engine spends most of a path in short numpy calls: the collection ladder
runs once per calendar day over the delinquent accounts, a handful of array operations a
day, so per-call overhead dominates. The kernels here do the same work in loops compiled
to machine code, on plain arrays and scalars, with the same rules and the same draws
(:mod:`sim.kernels.draws` is the counter-based hash of :mod:`sim.crn`), so that results
are bit-identical to the numpy statements they replace.

Compiled code is cached on disk (``cache=True``) in a folder keyed by these sources
(:mod:`sim.kernels.cache`): the first path after a fresh checkout or an edit here compiles
(about 40 s, once), later processes load the machine code. The kernels modules import numba;
:mod:`sim.kernels.layout` does not, so numba loads with the first path, not with the engine.
Setting ``NUMBA_DISABLE_JIT=1`` runs the same kernels as plain Python (slowly), which
the tests use to check that compiled and interpreted kernels agree.
"""
