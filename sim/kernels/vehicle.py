"""The vehicle's replenishment, one account at a time: the accounts with room taken in the
vehicle's keyed order (:meth:`sim.agents.spv.SPV._buy`), stopping at the account where the
amount runs out instead of passing over every account (``tests/test_spv.py`` holds the
array rule it replaces, and checks the two agree bit for bit)."""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)


@njit(cache=True)
def buy_in_order(ranked: np.ndarray, room: np.ndarray, principal: np.ndarray,
                 share: np.ndarray, amount: float, take: np.ndarray) -> int:
    """Buy ``amount`` cents from the accounts with room, in the order ``ranked``.

    Each account's room is bought while the running total (summed in order, as
    :func:`numpy.cumsum` does) stays within ``amount``, the account where it runs out in
    part; ``take[j] = min(running_j, amount) - min(running_{j-1}, amount)``, and the
    account's share grows to ``min(share + take / principal, 1)``.

    Args:
        ranked: (capacity,) int32 slots in the vehicle's order; slots from ``n`` on, and
            accounts without room (``room <= 0``), are passed over.
        room: (n,) cents the vehicle may buy from accounts 0..n-1.
        principal: (n,) int64 cents of each account's principal (positive where room is).
        share: (capacity,) the vehicle's fraction of each account, updated.
        amount: cents to buy (> 0).
        take: (accounts with room,) zeros; the cents bought, in order, are written at its
            start.

    Returns:
        The number of accounts bought from (the entries of ``take`` written).
    """
    n = room.shape[0]
    running = 0.0
    spent = 0.0  # min(running, amount) after the previous account
    j = 0
    for t in range(ranked.shape[0]):
        i = ranked[t]
        if i >= n or not room[i] > 0:
            continue
        running += room[i]
        now = min(running, amount)
        bought = now - spent
        take[j] = bought
        share[i] = min(share[i] + bought / principal[i], 1.0)
        spent = now
        j += 1
        if running >= amount:
            break
    return j
