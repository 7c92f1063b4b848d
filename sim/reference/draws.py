"""Keyed uniforms for one borrower, in plain Python integers.

The statement of :func:`sim.crn.uniforms` for a single (key, borrower, day, purpose):
SplitMix64's finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014) applied to the borrower's slot, then mixed with a counter of
(day, purpose); the top 53 bits make a uniform on [0, 1). Arithmetic is modulo 2**64,
so the result is bit for bit the vectorised engine's.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def keyed_uniform(key: int, slot: int, day: int, purpose: int) -> float:
    """Uniform(0, 1) fixed by (path key, borrower slot, whole day, purpose 0..255)."""
    counter = ((day & 0xFFFFFFFF) << 8) | (purpose & 0xFF)
    z = (slot * _GOLDEN + key) & _MASK
    z = _mix(_mix(z) ^ ((counter * _M2 + _GOLDEN) & _MASK))
    return (z >> 11) * (1.0 / 9007199254740992.0)
