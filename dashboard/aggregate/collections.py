"""Collections aggregates: actions, cost and money collected by channel, cures by bucket.

They read portfolio columns that a run with a collection ladder records:
``actions_<channel>`` and ``cost_<channel>`` (per path and month), the money attributed
to each channel (``collected_<channel>`` before charge-off and ``recoveries_<channel>``
after it, when recorded; see :func:`net_recovery`), ``collector_utilisation`` and
``queue_wait_days``; the parts of ``collection_cost`` (:func:`cost_parts`); and the
run's ``rolls`` table for cure and re-age rates (defined
once, in :mod:`sim.rolls`). A run without the channel columns has no collections data,
and :func:`has_collections` says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.recorder import COLLECTION_COST_PARTS
from sim.rolls import WEIGHTS, transition_rates

CHANNEL_PREFIXES = ("actions_", "cost_")
TEAM_COST, TEAM_CHANNEL = "collector_cost", "human"
"""The collectors' monthly cost (salaried, booked whether or not their calls are used) is
the human channel's fixed cost: the dashboard adds it to ``cost_human`` wherever it shows
a channel's cost."""


def channels(portfolio: pd.DataFrame) -> list[str]:
    """Collection channels the run used: an ``actions_<channel>`` or ``cost_<channel>``
    column that is not zero on every path and month (an unused channel, e.g. e-mail when
    the ladder has no e-mail step, takes no legend entry and no zero bar); the human
    channel too when only the collectors' cost (:data:`TEAM_COST`) is not zero."""
    found: dict[str, None] = {}
    for col in portfolio.columns:
        for prefix in CHANNEL_PREFIXES:
            if col.startswith(prefix) and portfolio[col].to_numpy().any():
                found.setdefault(col[len(prefix):], None)
        if col == TEAM_COST and portfolio[col].to_numpy().any():
            found.setdefault(TEAM_CHANNEL, None)
    return list(found)


def channel_costs(portfolio: pd.DataFrame) -> pd.DataFrame:
    """``portfolio``'s ``cost_<channel>`` columns with the collectors' cost added to the
    human channel's (a copy; ``portfolio`` itself when the run recorded no team cost)."""
    if TEAM_COST not in portfolio:
        return portfolio
    out = portfolio.copy()
    human = f"cost_{TEAM_CHANNEL}"
    out[human] = out.get(human, 0.0) + out[TEAM_COST]
    return out


def has_collections(portfolio: pd.DataFrame) -> bool:
    """Whether the run recorded collection actions or costs by channel."""
    return any(c.startswith(CHANNEL_PREFIXES) for c in portfolio.columns)


def channel_monthly(portfolio: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Mean across paths per month of ``<prefix><channel>`` for every channel (for
    ``cost_``, the human channel's includes the collectors' cost: :func:`channel_costs`).

    Returns:
        Index ``month``; one column per channel that has a ``prefix`` column.
    """
    if prefix == "cost_":
        portfolio = channel_costs(portfolio)
    cols = [f"{prefix}{c}" for c in channels(portfolio) if f"{prefix}{c}" in portfolio]
    out = portfolio.groupby("month")[cols].mean()
    out.columns = [c[len(prefix):] for c in cols]
    return out


NOT_ITEMISED = "collection_cost_not_itemised"
"""The cost-parts column of what a run's ``collection_cost`` holds beyond the parts it
recorded (a run stored before one of them was recorded); absent when they add up."""
HALF_CENT = 0.005


def cost_parts(portfolio: pd.DataFrame) -> pd.DataFrame:
    """Mean across paths per month of each part of ``collection_cost``
    (:data:`sim.recorder.COLLECTION_COST_PARTS`), so that the parts stacked add up to it.

    Columns are the portfolio's own, in this order: ``cost_<channel>`` of each channel the
    run used (:func:`channels`, whose order the actions chart keeps), then
    ``collector_cost`` (the collectors' pay, apart from the human channel's calls) and
    ``legal_costs`` when not zero on every path and month. Should the run's
    ``collection_cost`` hold more than the parts it recorded, :data:`NOT_ITEMISED` holds
    the rest, so the stack never falls short of the run's collection cost.

    Returns:
        Index ``month``; one column per part, in currency units.
    """
    used = [f"cost_{c}" for c in channels(portfolio) if f"cost_{c}" in portfolio]
    used += [c for c in COLLECTION_COST_PARTS if not c.startswith("cost_")
             and c in portfolio and portfolio[c].to_numpy().any()]
    parts = portfolio[["path", "month", *used]].copy()
    if "collection_cost" in portfolio:
        rest = portfolio["collection_cost"] - portfolio[used].sum(axis=1)
        if (rest.groupby(portfolio["path"]).sum().abs() >= HALF_CENT).any():
            parts[NOT_ITEMISED] = rest
    return parts.drop(columns="path").groupby("month").mean()


def cure_rates(rolls: pd.DataFrame | None) -> pd.DataFrame:
    """Cure and re-age rates of each delinquent bucket, by accounts and by balance.

    :func:`sim.rolls.transition_rates` for each weighting the ``rolls`` table has: a cure
    is a move to ``current`` by the next month end; a re-age (a move to ``re_aged``) is
    never a cure.

    Returns:
        One row per (weight, bucket): columns of :func:`sim.rolls.transition_rates`
        (``bucket, weight, base, cure, re_age, roll_back, stay, roll_forward`` and their 5th/95th
        percentiles across paths); empty when the run has no rolls table.
    """
    frames = [transition_rates(rolls, w) for w in WEIGHTS
              if rolls is not None and not rolls.empty and w in rolls]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["bucket", "weight", "base", "cure", "re_age",
                                     "roll_forward", "cure_p5", "cure_p95"])
    return pd.concat(frames, ignore_index=True)


RECOVERED_PREFIXES = ("collected_", "recoveries_")


def net_recovery(portfolio: pd.DataFrame) -> pd.DataFrame:
    """Per channel: money collected after its contacts less its cost, over the horizon.

    Money is attributed, not caused. ``collected_<channel>``: payments made before
    charge-off by delinquent borrowers on the day a contact of the channel reached them
    (a borrower reached by several channels that day pays once, credited to the first
    that worked; a kept promise is credited to the channel that obtained it), including
    borrowers who would have paid anyway. ``recoveries_<channel>``: money recovered
    after charge-off on the accounts of that channel (the agency's placements), when
    recorded. Cost: the channel's action costs and commissions (``cost_<channel>``),
    plus, for the human channel, the collectors' monthly cost (:data:`TEAM_COST`), and for
    the agency, its commission on recoveries after charge-off
    (``recovery_commission``). Sums per path, then the mean and 5th-95th percentiles
    across paths. A channel with no attributed money counts its cost only
    (``has_recoveries`` is False).

    Returns:
        Columns ``channel, recoveries, cost, net, p5, p95, has_recoveries``.
    """
    rows = []
    totals = channel_costs(portfolio).groupby("path").sum(numeric_only=True)
    zero = pd.Series(0.0, index=totals.index)
    for ch in channels(portfolio):
        got = [f"{p}{ch}" for p in RECOVERED_PREFIXES if f"{p}{ch}" in totals]
        rec = totals[got].sum(axis=1) if got else zero
        cost = totals.get(f"cost_{ch}", zero)
        if ch == "agency" and "recoveries_agency" in got:
            cost = cost + totals.get("recovery_commission", zero)
        net = rec - cost
        rows.append({
            "channel": ch, "recoveries": float(rec.mean()), "cost": float(cost.mean()),
            "net": float(net.mean()), "p5": float(np.percentile(net, 5)),
            "p95": float(np.percentile(net, 95)),
            "has_recoveries": bool(got),
        })
    return pd.DataFrame(rows, columns=["channel", "recoveries", "cost", "net", "p5", "p95",
                                       "has_recoveries"])
