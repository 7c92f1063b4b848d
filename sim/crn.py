"""Counter-based uniforms for common random numbers in sparse events.

Collection events touch a few accounts a day, and which ones depends on the policy.
Drawing from a shared stream would shift every later draw when the policy changes;
drawing full-length arrays every day would cost more than the events themselves.
Instead each draw is a pure function of (path key, borrower, day, purpose), hashed
with the SplitMix64 finaliser, so a borrower's draw on a given day for a given purpose
is the same whatever the policy and whoever else was contacted.

The purpose is 8 bits of the counter: every purpose is declared in :class:`Purpose`,
with the number of consecutive values it uses in :data:`PURPOSE_ROWS` and the key it is
drawn with in :data:`PURPOSE_KEY`; two purposes drawn with the same key never share a
value (``tests/test_crn.py`` checks it), so no two concerns ever see the same draw.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from sim.config import CHANNELS


class Purpose(IntEnum):
    """What a keyed draw decides: the ``purpose`` argument of :func:`uniforms`."""

    EW_TRAINING_SAMPLE = 0
    """Early warning: the order in which training rows are kept when there are too many."""
    HARDSHIP_TAKE_UP = 1
    """Collections: whether a delinquent borrower whose income fell takes hardship up."""
    NUDGE_REACH = 3
    """Education: whether a new borrower is reached."""
    EXPERIMENT_ARM = 4
    """Field experiment: the arm an enrolled account is assigned to."""
    CONTACT = 10
    """Collections: three rows per contact channel ``ch`` (in :data:`sim.config.CHANNELS`
    order): response ``CONTACT + 3 * ch``, promise rather than pay ``+ 1``, promise kept
    ``+ 2``."""
    VEHICLE_ORDER = 200
    """The vehicle: the order in which eligible accounts are bought."""


CONTACT_DRAWS = 3
"""Rows of :attr:`Purpose.CONTACT` per channel: response, promise or pay, promise kept."""
PURPOSE_ROWS: dict[Purpose, int] = {p: 1 for p in Purpose} | {
    Purpose.CONTACT: CONTACT_DRAWS * len(CHANNELS)}
"""Consecutive purpose values each purpose uses (``purpose .. purpose + rows - 1``)."""
PURPOSE_KEY: dict[Purpose, str] = {
    Purpose.EW_TRAINING_SAMPLE: "early_warning",
    Purpose.HARDSHIP_TAKE_UP: "collections",
    Purpose.NUDGE_REACH: "education",
    Purpose.EXPERIMENT_ARM: "experiment",
    Purpose.CONTACT: "collections",
    Purpose.VEHICLE_ORDER: "spv",
}
"""The path stream (:data:`sim.engine.CONCERNS`) whose first draw is the purpose's key: one
key per concern, so that a concern's draws stay the same whatever another concern draws."""


def draw_key(stream: np.random.Generator) -> int:
    """A concern's key for keyed draws: the first draw of its path stream (63 bits)."""
    return int(stream.integers(2**63))


def path_keys(streams: dict[str, np.random.Generator]) -> dict[str, int]:
    """The key of every concern that makes keyed draws (the values of :data:`PURPOSE_KEY`),
    each the first draw of that concern's path stream (``streams``, by concern name)."""
    return {concern: draw_key(streams[concern]) for concern in dict.fromkeys(PURPOSE_KEY.values())}
PURPOSE_BITS = 8
"""Bits of the counter that hold the purpose (values 0..255)."""

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
        purpose: what the draw decides (a :class:`Purpose`, or a value inside one's rows).
        k: when given, return ``k`` independent rows (purposes ``purpose .. purpose+k-1``).

    Raises:
        ValueError: when the purposes fall outside 0..255 (the counter's 8 bits).
    """
    rows = 1 if k is None else k
    if purpose < 0 or purpose + rows > 1 << PURPOSE_BITS:
        raise ValueError(f"purposes {purpose}..{purpose + rows - 1} do not fit in "
                         f"{PURPOSE_BITS} bits (0..{(1 << PURPOSE_BITS) - 1})")
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
