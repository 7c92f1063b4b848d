"""Generators positioned on a PCG64 stream draw numpy's block draws (sim.streams)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from numba import njit

from sim.streams import positioned, row_streams, skip


@njit
def _one_at_a_time(rng: np.random.Generator, n: int) -> np.ndarray:
    out = np.empty(n)
    for i in range(n):
        out[i] = rng.random()
    return out


def _buffered(seed: int) -> np.random.Generator:
    """A stream with its 32-bit half buffered (a uint32 draw leaves one)."""
    rng = np.random.default_rng(seed)
    rng.integers(0, 10, dtype=np.uint32)
    assert rng.bit_generator.state["has_uint32"]
    return rng


@pytest.mark.parametrize("n", [0, 1, 5, 1000])
@pytest.mark.parametrize("rows", [1, 2, 3])
@pytest.mark.parametrize("buffered", [False, True])
def test_rows_are_numpys_rows_and_the_stream_ends_where_numpy_leaves_it(n, rows, buffered):
    rng = _buffered(3) if buffered else np.random.default_rng(3)
    twin = copy.deepcopy(rng)
    streams = row_streams(rng, n, rows)
    want = twin.random((rows, n))
    for r, stream in enumerate(streams):
        assert _one_at_a_time(stream, n).tobytes() == want[r].tobytes()  # compiled draws
    assert rng.bit_generator.state == twin.bit_generator.state
    assert rng.standard_normal(9).tobytes() == twin.standard_normal(9).tobytes()
    assert rng.integers(0, 2**32, dtype=np.uint32) == twin.integers(0, 2**32, dtype=np.uint32)


def test_generators_kept_by_the_caller_are_reused_and_the_stream_is_not_moved_by_positioned():
    rng, twin = np.random.default_rng(8), np.random.default_rng(8)
    spares = [np.random.Generator(np.random.PCG64(0)) for _ in range(2)]
    out = row_streams(rng, 4, 2, spares)
    assert out[0] is spares[0] and out[1] is spares[1]
    want = twin.random((2, 4))
    assert out[1].random(4).tobytes() == want[1].tobytes()
    before = rng.bit_generator.state
    assert positioned(rng, 3).random() == twin.random(4)[3]
    assert rng.bit_generator.state == before


def test_a_skip_keeps_the_buffered_half_that_advance_alone_clears():
    rng, twin, plain = _buffered(5), _buffered(5), _buffered(5)
    skip(rng, 7)
    twin.random(7)
    plain.bit_generator.advance(7)
    assert rng.bit_generator.state == twin.bit_generator.state
    assert plain.bit_generator.state != twin.bit_generator.state  # what skip puts back


def test_a_stream_that_is_not_pcg64_is_refused_naming_what_it_is():
    with pytest.raises(TypeError, match="must be PCG64.*MT19937"):
        row_streams(np.random.Generator(np.random.MT19937(1)), 3, 2)
