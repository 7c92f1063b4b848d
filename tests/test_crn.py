"""Counter-based uniforms: uniform, independent across keys, days and purposes, and fixed."""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.crn import uniforms, uniforms_at


def test_draws_are_uniform():
    u = uniforms(123, np.arange(200_000), day=17, purpose=3)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert u.min() >= 0.0 and u.max() < 1.0


def test_a_borrowers_draw_does_not_depend_on_who_else_is_drawn():
    ids = np.arange(1000)
    all_ = uniforms(5, ids, 40, 1)
    some = uniforms(5, ids[::7], 40, 1)
    np.testing.assert_array_equal(all_[::7], some)


def test_days_purposes_and_keys_give_uncorrelated_draws():
    ids = np.arange(100_000)
    base = uniforms(5, ids, 40, 1)
    for other in (uniforms(5, ids, 41, 1), uniforms(5, ids, 40, 2), uniforms(6, ids, 40, 1)):
        assert abs(np.corrcoef(base, other)[0, 1]) < 0.02


def test_k_rows_match_single_purposes():
    ids = np.arange(50)
    rows = uniforms(9, ids, 3, 10, k=3)
    for i in range(3):
        np.testing.assert_array_equal(rows[i], uniforms(9, ids, 3, 10 + i))


def test_pairs_match_the_rows_of_their_purposes():
    ids = np.arange(40)
    purposes = 10 + (ids % 6) * 3 + np.arange(3)[:, None]  # three draws of one channel per id
    got = uniforms_at(9, ids, 3, purposes)
    rows = uniforms(9, ids, 3, 10, k=18)
    np.testing.assert_array_equal(got, rows[purposes - 10, ids])
