"""Numpy Generators positioned on a PCG64 stream, so that a compiled kernel can make a block of
draws itself, one borrower at a time, and still draw what numpy's block calls would.

A double of ``Generator.random`` takes exactly one 64-bit output of the PCG64 stream, so the
``k``-th uniform of ``rng.random(n)`` is the first uniform of the stream advanced by ``k``
outputs (``PCG64.advance``, which jumps in O(log k) steps). A row of ``rng.random((rows, n))``
therefore starts ``r x n`` outputs on, and the call leaves the stream ``rows x n`` outputs on.
Standard normals take a variable number of outputs (the ziggurat method rejects now and
then), so a block of normals is drawn from the stream itself, in order, after the uniforms
before it are skipped. ``advance`` clears the stream's buffered 32-bit half (left by a 32-bit
integer draw); doubles never touch it, so :func:`skip` puts it back.

Numba draws from a numpy Generator passed into an ``@njit`` function with the same algorithms
and the same bit generator as numpy, so the draws are numpy's to the bit
(``tests/test_streams.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pcg64(rng: np.random.Generator) -> np.random.PCG64:
    """The bit generator of ``rng``.

    Raises:
        TypeError: it is not PCG64 (``np.random.default_rng``'s): draws are positioned by
            counting its 64-bit outputs.
    """
    stream = rng.bit_generator
    if not isinstance(stream, np.random.PCG64):
        raise TypeError(f"the stream must be PCG64 (np.random.default_rng), "
                        f"not {type(stream).__name__}")
    return stream


def skip(rng: np.random.Generator, outputs: int) -> None:
    """Move ``rng`` ``outputs`` 64-bit outputs on, where ``rng.random(outputs)`` would leave
    it, its buffered 32-bit half kept.

    Raises:
        TypeError: ``rng`` is not on PCG64.
    """
    stream = pcg64(rng)
    state = stream.state
    stream.advance(outputs)
    if state["has_uint32"]:
        moved = stream.state
        moved["has_uint32"], moved["uinteger"] = state["has_uint32"], state["uinteger"]
        stream.state = moved


def positioned(rng: np.random.Generator, ahead: int,
               into: np.random.Generator | None = None) -> np.random.Generator:
    """A Generator on a copy of ``rng``'s stream moved ``ahead`` outputs on: its uniforms are
    those ``rng.random`` draws after ``ahead`` uniforms. ``rng`` is not moved.

    ``into``: a Generator on PCG64 to put there (its state is replaced; callers that do this
    every month keep one rather than make a new one); None: a new one.

    Raises:
        TypeError: ``rng`` or ``into`` is not on PCG64.
    """
    out = np.random.Generator(np.random.PCG64()) if into is None else into
    copy = pcg64(out)
    copy.state = pcg64(rng).state
    if ahead:
        copy.advance(ahead)
    return out


def row_streams(rng: np.random.Generator, n: int, rows: int,
                into: Sequence[np.random.Generator] | None = None) -> list[np.random.Generator]:
    """Generators at the start of each row of ``rng.random((rows, n))``, row 0's first, and
    ``rng`` moved past them, where that call would leave it (:func:`skip`).

    Args:
        rng: the stream, on PCG64; it is moved.
        n: draws a row (>= 0).
        rows: rows (>= 1).
        into: ``rows`` Generators on PCG64 to put there (:func:`positioned`); None: new ones.

    Raises:
        TypeError: a stream is not on PCG64.
    """
    spares = [None] * rows if into is None else list(into)
    out = [positioned(rng, r * n, spares[r]) for r in range(rows)]
    skip(rng, rows * n)
    return out
