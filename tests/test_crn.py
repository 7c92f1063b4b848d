"""Counter-based uniforms: uniform, independent across keys, days and purposes, and fixed."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.config import CHANNELS
from sim.crn import (
    CONTACT_DRAWS,
    PURPOSE_BITS,
    PURPOSE_KEY,
    PURPOSE_ROWS,
    Purpose,
    uniforms,
    uniforms_at,
)
from sim.engine import CONCERNS


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


def test_purposes_drawn_with_one_key_never_share_a_value():
    """Each purpose's rows ``value .. value + rows - 1`` fit in the counter's 8 bits and do
    not overlap another purpose drawn with the same key."""
    assert len({int(p) for p in Purpose}) == len(Purpose)
    assert set(PURPOSE_ROWS) == set(Purpose) == set(PURPOSE_KEY)
    assert set(PURPOSE_KEY.values()) <= set(CONCERNS)
    taken: dict[tuple[str, int], Purpose] = {}
    for purpose in Purpose:
        rows = PURPOSE_ROWS[purpose]
        assert rows >= 1
        assert 0 <= purpose and purpose + rows <= 1 << PURPOSE_BITS, purpose
        for value in range(purpose, purpose + rows):
            slot = (PURPOSE_KEY[purpose], value)
            assert slot not in taken, f"{purpose.name} overlaps {taken[slot].name}"
            taken[slot] = purpose


def test_contact_draws_cover_every_channel():
    assert PURPOSE_ROWS[Purpose.CONTACT] == CONTACT_DRAWS * len(CHANNELS)


def test_purposes_outside_eight_bits_are_refused():
    ids = np.arange(3)
    uniforms(1, ids, 0, 255)
    uniforms(1, ids, 0, 250, k=6)
    for purpose, k in ((256, None), (-1, None), (250, 7)):
        with pytest.raises(ValueError, match="8 bits"):
            uniforms(1, ids, 0, purpose, k)


def test_each_concern_draws_with_its_own_key():
    """Early warning, education, the field experiment, collections and the vehicle each
    have a key: the first draw of the concern's own path stream, distinct from the others."""
    from sim.crn import path_keys
    from sim.engine import path_streams

    keys = path_keys(path_streams(11, 3))
    assert set(keys) == {"collections", "early_warning", "education", "experiment", "spv"}
    assert len(set(keys.values())) == len(keys)
    for concern, key in keys.items():
        assert key == int(path_streams(11, 3)[concern].integers(2**63))
