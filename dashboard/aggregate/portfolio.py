"""Portfolio aggregates: fan-chart percentiles, delinquency mix, roll rates, vintages.

Rates are computed per path and month first and only then summarised across paths, so
the median of the 30+ rate is the median path's rate, not the rate of the median
balances. Roll rates come from the run's ``rolls`` table (exact month-end transitions, by
accounts and by balance, defined in :mod:`sim.rolls`; the table's columns in
:mod:`sim.tables`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.delinquency import BUCKETS
from sim.metrics import resolvable
from sim.rolls import pooled_counts, vintage_rates

QUANTILES = (5.0, 50.0, 95.0)
DELINQUENT = BUCKETS[1:]
DPD30 = BUCKETS[2:]   # 31+ days past due, as sim.metrics' peak_dpd30_rate
DPD90 = BUCKETS[4:]   # 91+ days past due


@dataclass(frozen=True)
class Series:
    """How one monthly series is titled and measured."""

    title: str
    axis: str
    unit: str  # "money", "rate", "count" or "days"


SERIES: dict[str, Series] = {
    "receivables_balance": Series("Receivables", "receivables (currency units)", "money"),
    "dpd30_rate": Series("30+ days past due", "share of receivables (%)", "rate"),
    "dpd90_rate": Series("90+ days past due", "share of receivables (%)", "rate"),
    "charge_off_rate": Series("Monthly charge-off rate",
                              "charge-offs / opening receivables (%)", "rate"),
    "cumulative_charge_off_rate": Series("Cumulative charge-off rate",
                                         "charge-offs / purchases to date (%)", "rate"),
    "recoveries": Series("Recoveries", "recoveries per month (currency units)", "money"),
    "unemployment_rate": Series("Unemployment rate", "unemployment rate (%)", "rate"),
    "active_borrowers": Series("Active borrowers", "borrowers (count)", "count"),
    "collector_utilisation": Series("Collector utilisation", "share of capacity used (%)",
                                    "rate"),
    "queue_wait_days": Series("Queue wait", "mean wait for a collector (days)", "days"),
}
"""Series shown as fan charts, by the column name of :func:`monthly_series`."""


def _ratio(num: np.ndarray | pd.Series, den: np.ndarray | pd.Series) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def monthly_series(portfolio: pd.DataFrame) -> pd.DataFrame:
    """Per (path, month): the columns of :data:`SERIES` that the run can give.

    Rates are fractions; a rate whose denominator is zero (the charge-off rate in the
    first month, with no opening balance) is NaN and left out of the percentiles.
    """
    p = portfolio.sort_values(["path", "month"], kind="stable")
    out = pd.DataFrame({"path": p["path"].to_numpy(), "month": p["month"].to_numpy()})
    receivables = p["receivables_balance"].to_numpy(float)
    out["receivables_balance"] = receivables
    out["dpd30_rate"] = _ratio(p[[f"balance_{b}" for b in DPD30]].sum(axis=1), receivables)
    out["dpd90_rate"] = _ratio(p[[f"balance_{b}" for b in DPD90]].sum(axis=1), receivables)
    out["charge_off_rate"] = _ratio(p["charge_offs"], p["opening_balance"])
    grouped = p.groupby("path", sort=False)
    out["cumulative_charge_off_rate"] = _ratio(grouped["charge_offs"].cumsum(),
                                               grouped["new_purchases"].cumsum())
    for col in ("recoveries", "unemployment_rate", "active_borrowers",
                "collector_utilisation", "queue_wait_days"):
        if col in p:
            out[col] = p[col].to_numpy(float)
    return out


def fan_table(frame: pd.DataFrame, columns: list[str], key: str = "month") -> pd.DataFrame:
    """5th, 50th and 95th percentiles and the mean across paths of each column per ``key``.

    Where fewer paths than resolve the 5th and 95th percentiles have a value (20,
    :func:`sim.metrics.resolvable`), ``p5`` and ``p95`` are the smallest and largest value
    (the band is then the paths' whole range, and says so: :func:`dashboard.figures.common.
    add_fan`), as the cards beside the charts give no 90 % range below 20 paths.

    Args:
        frame: One row per (path, ``key``).
        columns: Numeric columns to summarise.
        key: The time column (``month`` for the portfolio, ``period`` for notes).

    Returns:
        Long table with columns ``series, <key>, p5, p50, p95, mean, paths`` (paths =
        how many paths had a value).
    """
    paths, path_idx = np.unique(frame["path"].to_numpy(), return_inverse=True)
    periods, period_idx = np.unique(frame[key].to_numpy(), return_inverse=True)
    cube = np.full((len(paths), len(periods), len(columns)), np.nan)
    cube[path_idx, period_idx] = frame[columns].to_numpy(dtype=float)
    count = np.isfinite(cube).sum(axis=0)
    empty = count == 0  # e.g. the charge-off rate of month 0: stays NaN
    filled = np.where(empty[None], 0.0, cube)
    q = np.nanpercentile(filled, QUANTILES, axis=0)
    q[:, empty] = np.nan
    few = ~empty & ~resolvable(0.05, count)  # elementwise over the counts
    if few.any():
        finite = np.isfinite(cube)
        q[0][few] = np.where(finite, cube, np.inf).min(axis=0)[few]
        q[2][few] = np.where(finite, cube, -np.inf).max(axis=0)[few]
    mean = np.where(empty, np.nan, np.nansum(filled, axis=0) / np.maximum(count, 1))
    n_periods = len(periods)
    return pd.DataFrame({
        "series": np.repeat(np.asarray(columns, dtype=object), n_periods),
        key: np.tile(periods, len(columns)),
        "p5": q[0].T.ravel(), "p50": q[1].T.ravel(), "p95": q[2].T.ravel(),
        "mean": mean.T.ravel(), "paths": count.T.ravel(),
    })


def portfolio_fans(portfolio: pd.DataFrame) -> pd.DataFrame:
    """:func:`fan_table` of every :data:`SERIES` column the run has."""
    monthly = monthly_series(portfolio)
    cols = [c for c in SERIES if c in monthly]
    return fan_table(monthly, cols)


def bucket_mix(portfolio: pd.DataFrame) -> pd.DataFrame:
    """Mean delinquent balance per bucket as a share of mean receivables, per month.

    Returns:
        Index ``month``; one column per delinquent bucket (fractions of receivables).
    """
    cols = [f"balance_{b}" for b in DELINQUENT]
    means = portfolio.groupby("month")[cols + ["receivables_balance"]].mean()
    den = means["receivables_balance"].where(means["receivables_balance"] > 0)
    out = means[cols].div(den, axis=0).fillna(0.0)
    out.columns = list(DELINQUENT)
    # the 181+ bucket is empty unless charge-off comes later than 180 days
    return out.loc[:, (out != 0).any(axis=0) | (out.columns != "dpd_181_plus")]


def roll_rate_matrix_from_rolls(rolls: pd.DataFrame, weight: str = "accounts") -> pd.DataFrame:
    """From-state × to-state roll rates from the run's ``rolls`` table (exact transitions).

    :func:`sim.rolls.roll_matrix` by ``weight`` (``"accounts"`` or ``"balance"``): moves
    pooled over paths and months, each row divided by its total. States no account was in
    are left out as sources, states no account moved to as destinations; ``re_aged`` is
    its own state (a re-age is not a cure).
    """
    counts = pooled_counts(rolls, weight)
    counts = counts.loc[counts.sum(axis=1) > 0, (counts != 0).any(axis=0)]
    matrix = counts.div(counts.sum(axis=1), axis=0)
    matrix.index = [_bucket(b) for b in matrix.index]
    matrix.columns = [_bucket("charge_off" if b == "charged_off" else b) for b in matrix.columns]
    return matrix


def _bucket(name: str) -> str:
    from sim.delinquency import BUCKET_LABELS

    return BUCKET_LABELS.get(name, name)


def vintage_curves(vintages: pd.DataFrame, max_lines: int = 12) -> pd.DataFrame:
    """Cumulative charge-off rates by months on book, per onboarding cohort group.

    Cohort 0 (the launch book) keeps its own line. Later monthly cohorts are grouped
    into quarters (months 1-3, 4-6, ...), half-years or years of onboarding, the
    finest that gives at most ``max_lines`` lines. A group's rates at months on book t
    pool its cohorts and paths (definitions of :func:`sim.rolls.vintage_rates`): by
    accounts, accounts charged off by t / accounts onboarded (``default_rate``); by
    balance, charge-offs to t / purchases to t (``loss_rate``). A rate is shown only
    for the t that every cohort of the group has reached, so a line never mixes ages.

    Returns:
        Columns ``group, order, months_on_book, default_rate, loss_rate, borrowers``.
    """
    if "cumulative_charge_offs" not in vintages:  # a table without balance vintages
        if {"path", "month", "purchases", "charge_offs"} <= set(vintages.columns):
            vintages = vintage_rates(vintages)
        else:
            vintages = vintages.assign(cumulative_charge_offs=np.nan,
                                       cumulative_purchases=np.nan)
    v = vintages[["cohort", "months_on_book", "cohort_size", "cumulative_charged_off_accounts",
                  "cumulative_charge_offs", "cumulative_purchases"]]
    later = int(v["cohort"].max())
    size = next((k for k in (1, 3, 6, 12) if -(-later // k) < max_lines), 12)
    group = np.where(v["cohort"] == 0, 0, (v["cohort"] - 1) // size + 1)
    v = v.assign(order=group)
    agg = v.groupby(["order", "months_on_book"], sort=True).agg(
        charged=("cumulative_charged_off_accounts", "sum"),
        borrowers=("cohort_size", "sum"),
        charge_offs=("cumulative_charge_offs", "sum"),
        purchases=("cumulative_purchases", "sum"),
        cohorts=("cohort", "nunique"),
    ).reset_index()
    full = v.groupby("order")["cohort"].nunique()
    agg = agg[agg["cohorts"] == agg["order"].map(full)]
    agg = agg[agg["borrowers"] > 0]
    agg["default_rate"] = agg["charged"] / agg["borrowers"]
    agg["loss_rate"] = _ratio(agg["charge_offs"], agg["purchases"])
    spans = v.groupby("order")["cohort"].agg(["min", "max"])
    agg["group"] = agg["order"].map(
        lambda g: _cohort_label(int(spans.at[g, "min"]), int(spans.at[g, "max"]))
    )
    cols = ["group", "order", "months_on_book", "default_rate", "loss_rate", "borrowers"]
    return agg[cols].reset_index(drop=True)


def _cohort_label(first: int, last: int) -> str:
    if first == last == 0:
        return "launch book (month 0)"
    if first == last:
        return f"onboarded month {first}"
    return f"onboarded months {first}-{last}"
