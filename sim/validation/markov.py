"""Absorbing Markov chains: the exact answers the roll-rate oracle compares with.

For a chain with transient states T and absorbing states A, written
``P = [[Q, R], [0, I]]``, the fundamental matrix ``N = (I - Q)^-1`` holds the expected
visits to each transient state; ``B = N R`` the probabilities of ending in each
absorbing state; ``N 1`` the expected steps to absorption; and ``N (B[:, a] * 1)`` the
expected steps spent before absorption in ``a``, on the paths that end there (Kemeny
and Snell, *Finite Markov Chains*, 1960, theorems 3.2.4, 3.3.5 and 3.3.7).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg

MONTH_DAYS = 30


def roll_chain_matrix(first_miss: float, forward: Sequence[float], close_prob: float,
                      chargeoff_dpd: int = 180) -> np.ndarray:
    """Month-end to month-end transition matrix of the roll-rate benchmark book.

    States 0..K (K = chargeoff_dpd / 30) are the due dates missed in a row at a month
    end (0 current, 1 the 1-30 bucket, ..., K the bucket just before charge-off); state
    K + 1 is a closed line, K + 2 charged off. From k < K the next due date is missed
    with probability ``first_miss`` (k = 0) or ``forward[k - 1]`` (the last entry beyond
    the list); a payment cures to 0, or closes the line with ``close_prob``. State K
    reaches ``chargeoff_dpd`` before its next due date and is charged off.

    Returns:
        (K + 3, K + 3) row-stochastic matrix.

    Raises:
        ValueError: ``chargeoff_dpd`` is not a positive multiple of 30 days.
    """
    if chargeoff_dpd % MONTH_DAYS or chargeoff_dpd < MONTH_DAYS:
        raise ValueError(f"chargeoff_dpd = {chargeoff_dpd} must be a multiple of 30 days")
    k_max = chargeoff_dpd // MONTH_DAYS
    closed, charged = k_max + 1, k_max + 2
    roll = [first_miss, *forward]
    P = np.zeros((k_max + 3, k_max + 3))
    for k in range(k_max):
        p = roll[min(k, len(forward))]
        P[k, k + 1] = p
        P[k, closed] = (1 - p) * close_prob
        P[k, 0] += (1 - p) * (1 - close_prob)
    P[k_max, charged] = 1.0
    P[closed, closed] = P[charged, charged] = 1.0
    return P


def fundamental(P: np.ndarray, transient: int) -> np.ndarray:
    """``N = (I - Q)^-1`` for the first ``transient`` states of ``P`` (they come first).

    Raises:
        ValueError: the chain is not absorbing (some transient state can never leave the
            transient states, so ``I - Q`` is singular).
    """
    Q = P[:transient, :transient]
    stuck = np.linalg.matrix_power(Q, transient).sum(axis=1)
    if np.any(stuck >= 1.0 - 1e-12):
        raise ValueError("the chain is not absorbing: some transient states never reach "
                         f"an absorbing state (states {np.flatnonzero(stuck >= 1 - 1e-12)})")
    return scipy.linalg.solve(np.eye(transient) - Q, np.eye(transient))


def absorption_probabilities(P: np.ndarray, transient: int) -> np.ndarray:
    """``B = N R``: (transient, absorbing) probabilities of ending in each absorbing state."""
    return fundamental(P, transient) @ P[:transient, transient:]


def conditional_time(P: np.ndarray, transient: int, absorbing: int) -> np.ndarray:
    """Expected steps to absorption given absorption in state ``absorbing``, per start.

    ``E[T | end in a] = (N b)_i / b_i`` with ``b = B[:, a]``: each visit to j counts with
    the probability ``b_j`` of ending in ``a`` from there (Kemeny and Snell 3.3.7).
    """
    N = fundamental(P, transient)
    b = (N @ P[:transient, transient:])[:, absorbing - transient]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (N @ b) / b


def occupancy(P: np.ndarray, start: int, steps: int) -> np.ndarray:
    """Rows ``P^s[start]`` for s = 0..steps-1: the state distribution after s steps."""
    out = np.empty((steps, P.shape[0]))
    row = np.zeros(P.shape[0])
    row[start] = 1.0
    for s in range(steps):
        out[s] = row
        row = row @ P
    return out


def absorption_time_pmf(P: np.ndarray, start: int, absorbing: int, steps: int) -> np.ndarray:
    """``pmf[t] = P(absorbed in state `absorbing` exactly at step t)``, t = 0..steps-1."""
    occ = occupancy(P, start, steps)[:, absorbing]
    return np.diff(occ, prepend=0.0)


def stationary_shares(P: np.ndarray, transient: int, start: int = 0) -> np.ndarray:
    """Shares of the transient states in a book fed a steady stream entering at ``start``.

    With B new accounts a step, the expected stock in state j converges to
    ``B N[start, j]``; the shares are ``N[start] / sum(N[start])``.
    """
    row = fundamental(P, transient)[start]
    return row / row.sum()
