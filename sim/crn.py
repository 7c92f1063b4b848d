"""Counter-based uniforms for common random numbers in sparse events.

Collection events touch a few accounts a day, and which ones depends on the policy.
Drawing from a shared stream would shift every later draw when the policy changes;
drawing full-length arrays every day would cost more than the events themselves.
Instead each draw is a pure function of (path key, borrower, day, purpose), hashed
with the SplitMix64 finaliser, so a borrower's draw on a given day for a given purpose
is the same whatever the policy and whoever else was contacted.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def uniforms(key: int, ids: np.ndarray, day: int, purpose: int, k: int | None = None) -> np.ndarray:
    """Uniform(0, 1) draws, one per id, fixed by (key, id, day, purpose).

    Args:
        key: the path's key (drawn once from its collections stream).
        ids: borrower slots, any integer array.
        day: whole day number of the event.
        purpose: a small integer naming what the draw decides.
        k: when given, return ``k`` independent rows (purposes ``purpose .. purpose+k-1``).
    """
    rows = 1 if k is None else k
    purposes = np.arange(purpose, purpose + rows, dtype=np.uint64)[:, None]
    u = uniforms_at(key, ids, day, purposes)
    return u[0] if k is None else u


def uniforms_at(key: int, ids: np.ndarray, day: int, purposes: np.ndarray) -> np.ndarray:
    """The draws of :func:`uniforms` for each (id, purpose) pair, ``purposes`` broadcast to ``ids``.

    ``uniforms_at(key, ids, day, p)[i] == uniforms(key, ids, day, p[i])[i]``: a caller that
    needs one purpose per id (e.g. one per contact channel) hashes only those pairs.
    """
    purposes = np.asarray(purposes, dtype=np.uint64)
    with np.errstate(over="ignore"):
        counter = np.uint64((day & 0xFFFFFFFF) << 8) | (purposes & np.uint64(0xFF))
        z = np.asarray(ids, dtype=np.uint64) * _GOLDEN + np.uint64(key)
        z = _mix(_mix(z) ^ (counter * _M2 + _GOLDEN))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
