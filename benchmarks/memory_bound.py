"""Benchmark: is a monthly kernel bound by arithmetic or by memory traffic?

Times the purchase kernel (:func:`sim.kernels.spending.wishes`: 15 arrays read, two written,
a few multiplications an account) per account on books of several sizes, with BLAS pinned
to one thread. When the time an account is the same at every size, the kernel is bound by
its arithmetic; when it grows once the arrays no longer fit the core's cache, by memory
traffic, and what speeds it up is fewer passes over the book, not fewer operations.

Usage:
    python benchmarks/memory_bound.py [--sizes 15000 150000 1500000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np
from threadpoolctl import threadpool_limits

from sim.argtypes import whole_number
from sim.kernels.spending import wishes


def kernel_inputs(n: int, seed: int = 1) -> tuple:
    """Plausible inputs of :func:`wishes` for ``n`` accounts (a 30 % chance of buying, the
    shipped plan mix's shape, incomes in currency units)."""
    rng = np.random.default_rng(seed)
    return (rng.random(n), np.exp(0.5 * rng.standard_normal(n)), rng.random(n), np.zeros(n),
            rng.random(n) * 3000, rng.random(n) * 2000 + 1000, rng.random(n) * 2000,
            np.exp(0.3 * rng.standard_normal(n)), rng.integers(0, 5, n).astype(np.int8),
            (0.3, 1.5, 0.2, 0.1), 4, 10**12, np.array([0.4, 0.6, 0.8, 1.0]),
            np.array([0.3, 0.5, 0.7, 1.0]), np.array([0, 3, 6, 12]))


def ns_per_account(n: int, repeats: int) -> float:
    """Best time of :func:`wishes` on ``n`` accounts, in nanoseconds an account."""
    args = kernel_inputs(n)
    wishes(*args)  # compiled or loaded from the cache, untimed
    number = max(1, 3_000_000 // n)
    best = min(timeit.repeat(lambda: wishes(*args), number=number, repeat=repeats))
    return best / number / n * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=whole_number(1, "a size"), nargs="+",
                        default=[15_000, 150_000, 1_500_000])
    parser.add_argument("--repeats", type=whole_number(1, "a count"), default=5)
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        print(f"{'accounts':>10}  {'MB of arrays':>12}  {'ns an account':>13}")
        for n in args.sizes:
            mb = sum(a.nbytes for a in kernel_inputs(n) if isinstance(a, np.ndarray)) / 1e6
            print(f"{n:>10,}  {mb:>12.1f}  {ns_per_account(n, args.repeats):>13.2f}")


if __name__ == "__main__":
    main()
