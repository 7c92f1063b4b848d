"""Run tables and summary statistics: from path records to the tables users read.

``portfolio`` has one row per (path, month) in currency units; ``paths`` one row per
path with the loss measures defined below; ``summarise`` gives each metric's mean,
percentiles and a 95 % confidence interval of the mean across paths.

Per-path measures (sums over the horizon):

* ``cumulative_charge_off_rate`` = charge-offs / new purchases (gross loss per unit lent)
* ``net_loss_rate`` = (charge-offs - recoveries) / new purchases
* ``recovery_rate`` = recoveries / charge-offs (recoveries received within the horizon;
  0 when nothing was charged off)
* ``annualised_charge_off_rate`` = charge-offs / mean receivables * 12 / months
* ``borrower_default_rate`` = accounts charged off / borrowers onboarded
* ``peak_dpd30_rate`` = the highest month-end share of receivables 30+ days past due
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine import BUCKETS, PathResult

MONEY_COLUMNS = (
    "new_purchases", "fees_billed", "payments", "payments_principal", "payments_fees",
    "charge_offs", "charge_offs_principal", "charge_offs_fees", "recoveries",
    "opening_balance", "receivables_balance", "credit_limit_total",
    *(f"balance_{b}" for b in BUCKETS),
)
KEY_METRICS = (
    "cumulative_charge_off_rate", "net_loss_rate", "recovery_rate",
    "annualised_charge_off_rate", "borrower_default_rate", "peak_dpd30_rate",
)


def portfolio_table(results: list[PathResult]) -> pd.DataFrame:
    """One row per (path, month); money in currency units, counts as integers."""
    frames = []
    for r in results:
        df = pd.DataFrame(r.monthly)
        df.insert(0, "month", np.arange(len(df), dtype=np.int32))
        df.insert(0, "path", np.int32(r.path))
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    for col in MONEY_COLUMNS:
        out[col] = out[col].to_numpy(dtype=np.int64) / 100.0
    return out


def vintage_table(results: list[PathResult]) -> pd.DataFrame:
    """One row per (path, onboarding cohort, month) with cumulative charge-off measures."""
    frames = []
    for r in results:
        df = pd.DataFrame(r.vintages)
        df.insert(0, "path", np.int32(r.path))
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out["months_on_book"] = out["month"] - out["cohort"]
    for col in ("purchases", "charge_offs"):
        out[col] = out[col] / 100.0
    grouped = out.groupby(["path", "cohort"], sort=False)
    out["cumulative_charged_off_accounts"] = grouped["charged_off_accounts"].cumsum()
    out["cumulative_default_rate"] = np.where(
        out["cohort_size"] > 0, out["cumulative_charged_off_accounts"] / out["cohort_size"], 0.0
    )
    return out


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den != 0)).fillna(0.0)


def path_table(portfolio: pd.DataFrame) -> pd.DataFrame:
    """One row per path with the loss measures of the module docstring."""
    g = portfolio.groupby("path", sort=True)
    sums = g[["new_purchases", "charge_offs", "recoveries", "fees_billed", "payments",
              "charged_off_accounts"]].sum()
    months = g["month"].count()
    dpd30 = portfolio[[f"balance_{b}" for b in BUCKETS[2:]]].sum(axis=1)
    share30 = _ratio(dpd30, portfolio["receivables_balance"])
    out = pd.DataFrame(index=sums.index)
    out["cumulative_charge_off_rate"] = _ratio(sums["charge_offs"], sums["new_purchases"])
    out["net_loss_rate"] = _ratio(sums["charge_offs"] - sums["recoveries"], sums["new_purchases"])
    out["recovery_rate"] = _ratio(sums["recoveries"], sums["charge_offs"])
    out["annualised_charge_off_rate"] = _ratio(
        sums["charge_offs"], g["receivables_balance"].mean()
    ) * 12.0 / months
    out["borrower_default_rate"] = _ratio(
        sums["charged_off_accounts"], g["onboarded_borrowers"].last()
    )
    out["peak_dpd30_rate"] = share30.groupby(portfolio["path"]).max()
    out["total_purchases"] = sums["new_purchases"]
    out["total_charge_offs"] = sums["charge_offs"]
    out["total_recoveries"] = sums["recoveries"]
    out["total_fees"] = sums["fees_billed"]
    out["mean_unemployment_rate"] = g["unemployment_rate"].mean()
    out["peak_unemployment_rate"] = g["unemployment_rate"].max()
    return out.reset_index()


def summarise(paths: pd.DataFrame, metrics: tuple[str, ...] = KEY_METRICS) -> pd.DataFrame:
    """Mean, 5/50/95th percentiles and the 95 % confidence interval of the mean per metric.

    The interval is the Student-t interval over paths (paths are independent draws).
    """
    rows = []
    n = len(paths)
    for m in metrics:
        x = paths[m].to_numpy(dtype=float)
        mean = float(x.mean())
        half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        p5, p50, p95 = np.percentile(x, [5, 50, 95])
        rows.append({"metric": m, "mean": mean, "p5": p5, "p50": p50, "p95": p95,
                     "ci_low": mean - half, "ci_high": mean + half})
    return pd.DataFrame(rows)
