"""The binned AUC: exact when no positive shares a bin with a negative, and otherwise
within the bound it reports, against scikit-learn's exact AUC."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from sim.auc import BinnedAUC


def test_hand_example():
    """Negatives score 0.1, 0.35, 0.35, 0.8; positives 0.32, 0.35, 0.9; 10 bins of 0.1.

    Exact, over the 3 x 4 = 12 pairs: 0.32 beats 0.1 and loses to the rest (1); 0.35
    beats 0.1, ties both 0.35s and loses to 0.8 (1 + 2 x 0.5 = 2); 0.9 beats all four
    (4): AUC = 7 / 12. Binned: the pairs in different bins come out the same (0.32 and
    0.35 beat 0.1, lose to 0.8; 0.9 beats all: 6), and the 2 x 2 pairs in bin 3
    (0.32, 0.35 against 0.35, 0.35) all count as ties (2): AUC = 8 / 12. The bound is
    half the share of same-bin pairs, 0.5 x 4 / 12 = 1/6; the error 1/12 is within it.
    """
    neg = [0.1, 0.35, 0.35, 0.8]
    pos = [0.32, 0.35, 0.9]
    auc = BinnedAUC(bins=10)
    auc.add(np.array(neg + pos), np.array([False] * 4 + [True] * 3))
    assert auc.auc() == pytest.approx(8 / 12)
    assert auc.error_bound() == pytest.approx(1 / 6)
    exact = roc_auc_score([0] * 4 + [1] * 3, neg + pos)
    assert exact == pytest.approx(7 / 12)
    assert abs(auc.auc() - exact) <= auc.error_bound()


def test_fine_bins_give_the_exact_auc_when_no_pair_shares_a_bin():
    auc = BinnedAUC(bins=100)
    scores = np.array([0.005, 0.215, 0.425, 0.635, 0.845])
    labels = np.array([False, True, False, True, True])
    auc.add(scores, labels)
    assert auc.error_bound() == 0
    assert auc.auc() == pytest.approx(roc_auc_score(labels, scores))  # 5/6


def test_counts_accumulate_over_batches_and_out_of_range_scores_clip():
    auc = BinnedAUC(bins=4)
    auc.add(np.array([-0.5, 0.1]), np.array([True, False]))
    auc.add(np.array([1.5]), np.array([True]))
    assert auc.positives == 2 and auc.negatives == 1
    assert auc.pos.tolist() == [1, 0, 0, 1] and auc.neg.tolist() == [1, 0, 0, 0]
    assert auc.auc() == pytest.approx(0.75)  # one tie (bin 0), one win


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-2, 3, allow_nan=False), max_size=60), st.integers(1, 50),
       st.integers(0, 2**32 - 1))
def test_the_compiled_count_is_the_numpy_binning(scores, bins, seed):
    """Each score lands in bin clip(floor((score - low) * bins / (high - low)), 0, bins - 1)."""
    s = np.array(scores, dtype=float)
    labels = np.random.default_rng(seed).random(s.size) < 0.4
    auc = BinnedAUC(bins=bins, low=-0.5, high=1.5)
    auc.add(s, labels)
    at = np.clip(np.floor((s + 0.5) * (bins / 2.0)), 0, bins - 1).astype(np.intp)
    assert auc.pos.tolist() == np.bincount(at[labels], minlength=bins).tolist()
    assert auc.neg.tolist() == np.bincount(at[~labels], minlength=bins).tolist()


def test_one_class_or_nothing_is_nan_and_bad_input_is_refused():
    auc = BinnedAUC()
    assert np.isnan(auc.auc()) and np.isnan(auc.error_bound())
    auc.add(np.array([0.2, 0.3]), np.array([True, True]))
    assert np.isnan(auc.auc())
    with pytest.raises(ValueError, match="differ in shape"):
        auc.add(np.array([0.2]), np.array([True, False]))
    with pytest.raises(ValueError, match="at least 1"):
        BinnedAUC(bins=0)
    with pytest.raises(ValueError, match="high > low"):
        BinnedAUC(low=1.0, high=1.0)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 3000), bins=st.sampled_from([1, 10, 1000, 10_000]),
       seed=st.integers(0, 2**32 - 1), separation=st.floats(0.0, 3.0))
def test_within_the_reported_bound_of_sklearn(n, bins, seed, separation):
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.2
    labels[0], labels[1] = True, False  # both classes present
    scores = 1.0 / (1.0 + np.exp(-(rng.normal(size=n) + separation * labels - 2.0)))
    scores = np.round(scores, int(rng.integers(2, 8)))  # exact ties too
    auc = BinnedAUC(bins=bins)
    half = n // 2
    auc.add(scores[:half], labels[:half])
    auc.add(scores[half:], labels[half:])
    exact = roc_auc_score(labels, scores)
    assert abs(auc.auc() - exact) <= auc.error_bound() + 1e-12
    assert 0.0 <= auc.auc() <= 1.0


def test_ten_thousand_bins_are_within_half_a_point_on_a_realistic_model():
    """Probabilities of a model with AUC ~0.8 on a 5 % event rate, a million predictions."""
    rng = np.random.default_rng(7)
    labels = rng.random(1_000_000) < 0.05
    scores = 1.0 / (1.0 + np.exp(-(rng.normal(size=labels.size) + 1.2 * labels - 3.0)))
    auc = BinnedAUC()
    auc.add(scores, labels)
    assert auc.error_bound() < 0.005
    assert abs(auc.auc() - roc_auc_score(labels, scores)) <= auc.error_bound()
