"""Benchmark: does a monthly pass run faster with a slot's fields together?

One compiled pass in the shape of the month's purchases (seven float64 fields, four int64,
two flags read a slot; an amount written and a balance moved) over a book whose fields are
either separate arrays, one per field (how the engine keeps its state), or one record array
(a slot's 96 bytes together, ``numpy`` structured dtype, aligned). Prints the best time a
slot of each, with BLAS pinned to one thread.

Usage:
    python benchmarks/field_layout.py [--sizes 15000 150000 250000] [--repeats 30]
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np
from numba import njit
from threadpoolctl import threadpool_limits

from sim.argtypes import whole_number

FLOATS, INTS, FLAGS = 7, 4, 2
RECORD = np.dtype([(f"f{k}", "f8") for k in range(FLOATS)]
                  + [(f"i{k}", "i8") for k in range(INTS)]
                  + [(f"b{k}", "?") for k in range(FLAGS)], align=True)


@njit
def separate(f0, f1, f2, f3, f4, f5, f6, i0, i1, i2, i3, b0, b1, out):  # noqa: ANN001, ANN201
    """The pass over fields kept as separate arrays; returns the largest balance."""
    top = 0
    for i in range(f0.shape[0]):
        wish = f0[i] * f1[i] + f2[i] * f3[i] - f4[i] + f5[i] * f6[i]
        a = 0
        if b0[i] and b1[i] and i3[i] < 500:
            a = min(np.int64(wish * 1000), max(i0[i] - i1[i], 0))
        out[i] = a
        i2[i] += a
        top = max(top, i2[i])
    return top


@njit
def together(r, out):  # noqa: ANN001, ANN201
    """The same pass over one record array (a slot's fields together)."""
    top = 0
    for i in range(r.shape[0]):
        x = r[i]
        wish = x.f0 * x.f1 + x.f2 * x.f3 - x.f4 + x.f5 * x.f6
        a = 0
        if x.b0 and x.b1 and x.i3 < 500:
            a = min(np.int64(wish * 1000), max(x.i0 - x.i1, 0))
        out[i] = a
        r[i].i2 += a
        top = max(top, r[i].i2)
    return top


def books(n: int, seed: int = 0) -> tuple[tuple, np.ndarray]:
    """The same ``n`` slots as separate arrays (with the output) and as one record array."""
    rng = np.random.default_rng(seed)
    fields = ([rng.random(n) for _ in range(FLOATS)]
              + [rng.integers(0, 1000, n) for _ in range(INTS)]
              + [rng.random(n) < 0.9 for _ in range(FLAGS)])
    record = np.empty(n, dtype=RECORD)
    for name, values in zip(RECORD.names, fields, strict=True):
        record[name] = values
    return (*fields, np.zeros(n, dtype=np.int64)), record


def ns_per_slot(n: int, repeats: int) -> tuple[float, float]:
    """Best time a slot (nanoseconds) of the pass over separate arrays and over records."""
    arrays, record = books(n)
    out = arrays[-1]
    separate(*arrays)  # compiled, untimed
    together(record, out)
    best = [min(timeit.repeat(call, number=1, repeat=repeats)) / n * 1e9
            for call in (lambda: separate(*arrays), lambda: together(record, out))]
    return best[0], best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=whole_number(1, "a size"), nargs="+",
                        default=[15_000, 150_000, 250_000])
    parser.add_argument("--repeats", type=whole_number(1, "a count"), default=30)
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        print(f"{'slots':>10}  {'MB':>6}  {'separate ns':>11}  {'together ns':>11}")
        for n in args.sizes:
            apart, joined = ns_per_slot(n, args.repeats)
            print(f"{n:>10,}  {n * RECORD.itemsize / 1e6:>6.1f}  {apart:>11.2f}  {joined:>11.2f}")


if __name__ == "__main__":
    main()
