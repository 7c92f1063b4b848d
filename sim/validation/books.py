"""The benchmark book the engine-driven oracles run on.

Every borrower buys the same kind of purchase every month it is not frozen (pay in full,
no instalments, a limit that never binds), income never moves, and there is no
collection ladder, hardship programme, early warning, education or deal: whether a bill
is paid is decided by the benchmark repayment model alone, so the book's delinquency
follows that model's law exactly and everything else (billing, days past due, buckets,
charge-off) is the engine's own.
"""

from __future__ import annotations

from sim.config import RunConfig, deep_merge, load_config

BENCHMARK_BOOK = {
    "name": "benchmark",
    "income": {"shocks": False, "dispersion": 0.0},
    "spending": {"purchase_prob": 1.0, "plan_mix": {0: 1.0}, "dispersion": 0.0},
    "credit_line": {"min_limit": 50_000, "max_limit": 50_000},
    "collections": {"enabled": False},
    "early_warning": {"enabled": False},
    "nudges": {"enabled": False},
    "deal": None,
}


def benchmark_config(repayment: dict, book: dict, overrides: dict | None = None) -> RunConfig:
    """The benchmark book with ``repayment`` and ``book`` sections, then ``overrides``.

    Raises:
        sim.config.ConfigError: the result is not a valid configuration.
    """
    data = deep_merge(BENCHMARK_BOOK, {"repayment": repayment, "book": book})
    return load_config(deep_merge(data, overrides or {}))
