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


@njit(cache=True)
def month_end_holdings(share: np.ndarray, principal: np.ndarray, dpd: np.ndarray,
                       late_dpd: int, with_room: bool, active: np.ndarray, score: np.ndarray,
                       onboard_month: np.ndarray, months_done: int, max_dpd: int,
                       min_score: float, min_months: int, capped: bool,
                       cap: float) -> tuple[np.ndarray, np.ndarray]:
    """What the vehicle reads of the book at a month end, in one pass over accounts 0..n-1
    (n: ``principal``'s length; :meth:`sim.agents.spv.SPV.on_month_end`).

    The vehicle holds ``share[i] * principal[i]`` cents of account i (``held``).

    Returns:
        room: (n,) float64 cents of eligible principal it could still buy (empty unless
            ``with_room``): ``principal - held`` of an eligible account (open, at most
            ``max_dpd`` days past due, a score of at least ``min_score``, onboarded at least
            ``min_months`` before ``months_done`` months), else 0; when ``capped``, at most
            ``cap - held`` (the concentration limit, cents); never below 0. The statement
            ``numpy.maximum(numpy.minimum(numpy.where(ok, principal - held, 0.0),
            cap - held), 0.0)``, value for value.
        late: the ``held`` of the accounts ``late_dpd`` or more days past due, in account
            order (``held[dpd >= late_dpd]``, so that numpy sums them as it did).
    """
    n = principal.shape[0]
    room = np.empty(n if with_room else 0)
    late = np.empty(n)
    k = 0
    for i in range(n):
        held = share[i] * principal[i]
        if dpd[i] >= late_dpd:
            late[k] = held
            k += 1
        if with_room:
            ok = (active[i] and dpd[i] <= max_dpd and score[i] >= min_score
                  and months_done - onboard_month[i] >= min_months)
            r = principal[i] - held if ok else 0.0
            if capped:
                c = cap - held
                r = r if r <= c or np.isnan(r) else c  # numpy.minimum
            room[i] = r if r >= 0.0 or np.isnan(r) else 0.0  # numpy.maximum
    return room, late[:k].copy()
