"""A streaming AUC from binned scores: fixed memory whatever the number of predictions.

The area under the ROC curve is the probability that a randomly chosen positive scores
above a randomly chosen negative, ties counting one half (Hanley & McNeil 1982, eq. 1;
the Mann-Whitney U statistic divided by ``P x N``). Instead of keeping every prediction,
:class:`BinnedAUC` counts positives and negatives in ``bins`` equal-width bins of the
score range ``[low, high]``. Pairs in different bins are ordered exactly; pairs in the
same bin are counted as ties. The binned AUC therefore differs from the exact AUC by at
most half the share of positive-negative pairs that share a bin::

    |AUC_binned - AUC_exact| <= 0.5 * sum_b pos_b * neg_b / (P * N)

(a same-bin pair contributes 1/2 instead of 0, 1/2 or 1). :meth:`BinnedAUC.error_bound`
returns this bound from the counts, so every reported AUC carries its own guarantee.
With 10,000 bins on [0, 1] and probabilities spread over a few hundred bins, the bound is
typically below 0.005; scores that pile up in one bin (a model that barely separates) give
a larger bound, and more bins shrink it.
"""

from __future__ import annotations

import numpy as np

DEFAULT_BINS = 10_000
"""Bins of the early-warning score (a probability): width 1e-4."""


class BinnedAUC:
    """Counts of positives and negatives per score bin, and the AUC they imply.

    Args:
        bins: number of equal-width bins (>= 1).
        low, high: the score range; scores outside it go to the first or last bin.

    Raises:
        ValueError: ``bins < 1`` or ``high <= low``.
    """

    def __init__(self, bins: int = DEFAULT_BINS, low: float = 0.0, high: float = 1.0):
        if bins < 1:
            raise ValueError(f"bins must be at least 1, got {bins}")
        if not high > low:
            raise ValueError(f"the score range needs high > low, got [{low}, {high}]")
        self.bins, self.low, self.high = int(bins), float(low), float(high)
        self.pos = np.zeros(self.bins, dtype=np.int64)
        self.neg = np.zeros(self.bins, dtype=np.int64)

    def add(self, scores: np.ndarray, labels: np.ndarray) -> None:
        """Count predictions: ``scores`` (n,) floats, ``labels`` (n,) bools (True = positive).

        Raises:
            ValueError: the arrays differ in length.
        """
        scores = np.asarray(scores, dtype=np.float64)
        labels = np.asarray(labels, dtype=bool)
        if scores.shape != labels.shape:
            raise ValueError(f"scores {scores.shape} and labels {labels.shape} differ in shape")
        from sim.kernels.scoring import count_bins  # numba loads with the first count

        # bin floor((score - low) * bins / (high - low)), held inside [0, bins - 1]
        count_bins(scores, labels, self.low, self.bins / (self.high - self.low), self.pos,
                   self.neg)

    @property
    def positives(self) -> int:
        return int(self.pos.sum())

    @property
    def negatives(self) -> int:
        return int(self.neg.sum())

    def auc(self) -> float:
        """The binned AUC in [0, 1]; NaN when there are no positives or no negatives."""
        p, n = self.positives, self.negatives
        if p == 0 or n == 0:
            return float("nan")
        below = np.cumsum(self.neg) - self.neg  # negatives in strictly lower bins
        wins = float(np.dot(self.pos.astype(np.float64), below))
        ties = float(np.dot(self.pos.astype(np.float64), self.neg))
        return (wins + 0.5 * ties) / (float(p) * float(n))

    def error_bound(self) -> float:
        """Largest possible ``|binned AUC - exact AUC|`` given these counts (see module)."""
        p, n = self.positives, self.negatives
        if p == 0 or n == 0:
            return float("nan")
        return 0.5 * float(np.dot(self.pos.astype(np.float64), self.neg)) / (float(p) * float(n))
