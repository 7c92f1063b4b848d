"""The due date's credit-line review, one account at a time: the body of
:meth:`sim.agents.platform.Platform.review_limits` in one pass instead of a dozen array
passes, with the same operations in the same order (bit-identical limits, streaks and
memories; ``tests/test_monthly_kernels.py``)."""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)


@njit(cache=True)
def review(n: int, rules: tuple, open_: np.ndarray, paid_on_time: np.ndarray,
           missed: np.ndarray, score_before: np.ndarray, score_after: np.ndarray,
           permanent: np.ndarray, limit: np.ndarray, streak: np.ndarray,
           recent_missed: np.ndarray, recent_cut: np.ndarray) -> tuple[int, int]:
    """Review the limits of accounts 0..n-1 after a due date (see ``Platform.review_limits``).

    ``rules``: (increase_after_months, max_limit, max_income_multiple, increase_pct,
    cut_score, cut_pct, limit step in cents, monthly decay of the memories). Per account:
    the on-time streak restarts on a miss, else grows by ``paid_on_time``; an open account
    whose streak reaches ``increase_after_months`` has its limit raised by ``increase_pct``,
    at most to ``min(max_limit, max_income_multiple x permanent income)``, down to whole
    steps, and its streak restarts; an open account whose score crossed below ``cut_score``
    has its limit cut by ``cut_pct`` (after any raise); the memories of misses and cuts
    decay and add this month's.

    Returns:
        (limits raised, limits cut).
    """
    after, max_limit, max_multiple, increase_pct, cut_score, cut_pct, step, decay = rules
    rises, cuts = 0, 0
    for i in range(n):
        s = 0 if missed[i] else streak[i] + paid_on_time[i]
        # bitwise on the bools, not short-circuit: the branches cost more than the tests
        if open_[i] & (s >= after):
            cap = min(max_limit, max_multiple * permanent[i]) * 100.0
            raised = min(limit[i] * (1.0 + increase_pct), cap)
            raised = np.int64(raised // step) * step
            if raised > limit[i]:
                limit[i] = raised
                rises += 1
            s = 0
        streak[i] = s
        cut = open_[i] & (score_before[i] >= cut_score) & (score_after[i] < cut_score)
        recent_missed[i] = decay * recent_missed[i] + missed[i]
        recent_cut[i] = decay * recent_cut[i] + cut
        if cut:
            limit[i] = np.int64(limit[i] * (1.0 - cut_pct))
            cuts += 1
    return rises, cuts
