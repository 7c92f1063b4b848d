"""The counter-based uniform of :mod:`sim.crn`, one draw at a time, for compiled kernels.

:func:`uniform` returns exactly ``sim.crn.uniforms_at(key, [who], day, [purpose])[0]``:
the SplitMix64 finaliser applied to the same counter, in unsigned 64-bit arithmetic that
wraps (``tests/test_kernels.py`` compares the bits on many inputs).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_DAY_MASK = np.uint64(0xFFFFFFFF)
_PURPOSE_MASK = np.uint64(0xFF)
_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True)
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def uniform(key: int, who: int, day: int, purpose: int) -> float:
    """Uniform(0, 1) draw of borrower ``who`` on ``day`` for ``purpose`` under path ``key``.

    Args:
        key: the path's key (0 .. 2**63 - 1).
        who: borrower slot (>= 0).
        day: whole day number (its low 32 bits count).
        purpose: the purpose value (its low 8 bits count; see :class:`sim.crn.Purpose`).

    Returns:
        A float64 in [0, 1), a multiple of 2**-53.
    """
    counter = (np.uint64(day) & _DAY_MASK) << np.uint64(8)
    counter = counter | (np.uint64(purpose) & _PURPOSE_MASK)
    z = np.uint64(who) * _GOLDEN + np.uint64(key)
    z = _mix(_mix(z) ^ (counter * _M2 + _GOLDEN))
    return np.float64(z >> np.uint64(11)) * _UNIT
