"""Collections aggregates: actions, cost and recoveries by channel, cures by bucket.

They read portfolio columns that a run with a collection ladder records:
``actions_<channel>`` and ``cost_<channel>`` (per path and month), the money each
channel brought back (``collected_<channel>`` before charge-off and
``recoveries_<channel>`` after it, when recorded),
``cures_<bucket>`` (accounts in a delinquency bucket that paid back to current in the
month), ``collector_utilisation`` and ``queue_wait_days``. A run without them has no
collections data, and :func:`has_collections` says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine import BUCKETS

CHANNEL_PREFIXES = ("actions_", "cost_")


def channels(portfolio: pd.DataFrame) -> list[str]:
    """Collection channels the run used: an ``actions_<channel>`` or ``cost_<channel>``
    column that is not zero on every path and month (an unused channel, e.g. e-mail when
    the ladder has no e-mail step, takes no legend entry and no zero bar)."""
    found: dict[str, None] = {}
    for col in portfolio.columns:
        for prefix in CHANNEL_PREFIXES:
            if col.startswith(prefix) and portfolio[col].to_numpy().any():
                found.setdefault(col[len(prefix):], None)
    return list(found)


def has_collections(portfolio: pd.DataFrame) -> bool:
    """Whether the run recorded collection actions or costs by channel."""
    return any(c.startswith(CHANNEL_PREFIXES) for c in portfolio.columns)


def channel_monthly(portfolio: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Mean across paths per month of ``<prefix><channel>`` for every channel.

    Returns:
        Index ``month``; one column per channel that has a ``prefix`` column.
    """
    cols = [f"{prefix}{c}" for c in channels(portfolio) if f"{prefix}{c}" in portfolio]
    out = portfolio.groupby("month")[cols].mean()
    out.columns = [c[len(prefix):] for c in cols]
    return out


def cure_rates(portfolio: pd.DataFrame) -> pd.DataFrame:
    """Share of accounts in each bucket at a month end that cure during the next month.

    ``cures_<bucket>(m) / accounts_<bucket>(m-1)``, pooled over paths and months; the
    5th-95th percentile range is that of the per-path pooled rates.

    Returns:
        Columns ``bucket, rate, p5, p95`` in bucket order (only buckets with cures).
    """
    rows = []
    p = portfolio.sort_values(["path", "month"], kind="stable")
    for b in BUCKETS[1:]:
        if f"cures_{b}" not in p or f"accounts_{b}" not in p:
            continue
        prev = p.groupby("path", sort=False)[f"accounts_{b}"].shift(1)
        ok = prev.notna()
        frame = pd.DataFrame({"path": p["path"][ok], "cures": p[f"cures_{b}"][ok],
                              "base": prev[ok]})
        per_path = frame.groupby("path")[["cures", "base"]].sum()
        per_path = per_path[per_path["base"] > 0]
        if per_path.empty:
            continue
        rates = per_path["cures"] / per_path["base"]
        rows.append({"bucket": b, "rate": frame["cures"].sum() / frame["base"].sum(),
                     "p5": float(np.percentile(rates, 5)),
                     "p95": float(np.percentile(rates, 95))})
    return pd.DataFrame(rows, columns=["bucket", "rate", "p5", "p95"])


RECOVERED_PREFIXES = ("collected_", "recoveries_")


def net_recovery(portfolio: pd.DataFrame) -> pd.DataFrame:
    """Per channel: money it brought back minus its cost, over the horizon.

    Money brought back is ``collected_<channel> + recoveries_<channel>`` (whichever the
    run has). Sums per path, then the mean and 5th-95th percentiles across paths. A
    channel with neither column counts its cost only (``has_recoveries`` is False).

    Returns:
        Columns ``channel, recoveries, cost, net, p5, p95, has_recoveries``.
    """
    rows = []
    totals = portfolio.groupby("path").sum(numeric_only=True)
    zero = pd.Series(0.0, index=totals.index)
    for ch in channels(portfolio):
        got = [f"{p}{ch}" for p in RECOVERED_PREFIXES if f"{p}{ch}" in totals]
        rec = totals[got].sum(axis=1) if got else zero
        cost = totals.get(f"cost_{ch}", zero)
        net = rec - cost
        rows.append({
            "channel": ch, "recoveries": float(rec.mean()), "cost": float(cost.mean()),
            "net": float(net.mean()), "p5": float(np.percentile(net, 5)),
            "p95": float(np.percentile(net, 95)),
            "has_recoveries": bool(got),
        })
    return pd.DataFrame(rows, columns=["channel", "recoveries", "cost", "net", "p5", "p95",
                                       "has_recoveries"])
