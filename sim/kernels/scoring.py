"""The early warning's monthly scoring, one account at a time: the lender-observable features
(:meth:`sim.agents.interventions.EarlyWarning.features`, written here once), standardised as
the fitted ``StandardScaler`` does, in one pass over the described accounts instead of a
dozen array passes and scikit-learn's input checks; and the out-of-sample predictions
counted into the bins of :class:`sim.auc.BinnedAUC` in one pass.

Each feature is one IEEE operation on the lender's view (an integer balance over a float
limit of at least one cent; months on book as the integer difference, then a float), and the
standardisation is ``(x - mean) / scale`` as the scaler computes it; with a mean of 0 and a
scale of 1 the features come out as they are, for the training rows. The logistic
regression's linear part stays scikit-learn's matrix product
(:meth:`sim.agents.interventions.EarlyWarning.on_statement`), so the probabilities are
bit-identical to ``Pipeline.predict_proba`` (``tests/test_interventions.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)

N_FEATURES = 7
"""Columns of :data:`sim.agents.interventions.FEATURES`, in that order."""


@njit(cache=True)
def standardised_features(idx: np.ndarray, month: int, score: np.ndarray,
                          outstanding: np.ndarray, unpaid: np.ndarray, limit: np.ndarray,
                          onboard_month: np.ndarray, recent_missed: np.ndarray,
                          recent_contacts: np.ndarray, recent_cut: np.ndarray,
                          mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The features of accounts ``idx`` at ``month``'s statement, less ``mean``, over ``scale``.

    Args:
        idx: (k,) account slots.
        month: the statement's month.
        score .. recent_cut: the lender's view, arrays over slots (points; cents for
            ``outstanding``, ``unpaid`` and ``limit``; months for ``onboard_month``; decayed
            counts for the last three).
        mean, scale: (7,) the fitted scaler's ``mean_`` and ``scale_``.

    Returns:
        (k, 7) float64, C order: score, utilisation, bill against the limit, months on book,
        recent misses, recent contacts, recent cut; each ``(x - mean) / scale``.
    """
    out = np.empty((idx.shape[0], N_FEATURES))
    m0, m1, m2, m3, m4, m5, m6 = mean[0], mean[1], mean[2], mean[3], mean[4], mean[5], mean[6]
    s0, s1, s2, s3, s4, s5, s6 = (scale[0], scale[1], scale[2], scale[3], scale[4], scale[5],
                                  scale[6])
    for t in range(idx.shape[0]):
        i = idx[t]
        lim = float(max(limit[i], 1))
        out[t, 0] = (score[i] - m0) / s0
        out[t, 1] = (outstanding[i] / lim - m1) / s1
        out[t, 2] = (unpaid[i] / lim - m2) / s2
        out[t, 3] = (float(month - onboard_month[i]) - m3) / s3
        out[t, 4] = (recent_missed[i] - m4) / s4
        out[t, 5] = (recent_contacts[i] - m5) / s5
        out[t, 6] = (recent_cut[i] - m6) / s6
    return out


@njit(cache=True)
def count_bins(scores: np.ndarray, labels: np.ndarray, low: float, scale: float,
               pos: np.ndarray, neg: np.ndarray) -> None:
    """Add each score of ``scores`` (n,) to ``pos`` when its label is True, else to ``neg``
    (both (bins,) int64), in bin ``floor((score - low) * scale)`` held inside
    ``[0, bins - 1]`` (:meth:`sim.auc.BinnedAUC.add`)."""
    last = pos.shape[0] - 1
    for t in range(scores.shape[0]):
        b = np.floor((scores[t] - low) * scale)
        k = 0 if b < 0 else (last if b > last else int(b))
        if labels[t]:
            pos[k] += 1
        else:
            neg[k] += 1
