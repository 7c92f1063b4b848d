"""Tranche metrics: what each note's investor got, path by path and across paths.

Per path and note: loss as a share of the original balance, weighted-average life and the
investor's internal rate of return; per path and trigger: whether and when it fired. Across
paths: expected loss, probability of any loss, tail losses and the rating that the expected loss
would map to on Moody's idealised expected-loss scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from sim.abs.waterfall import WaterfallResult

__all__ = [
    "IDEALISED_EL_5Y",
    "LOSS_EPSILON",
    "implied_rating",
    "irr_annual",
    "note_metrics",
    "tranche_summary",
    "trigger_metrics",
    "wal_years",
]

LOSS_EPSILON = 0.01
"""A note counts as having a loss when its writedown exceeds one cent (currency units)."""

IDEALISED_EL_5Y: dict[str, float] = {
    "Aaa": 0.000016,
    "Aa1": 0.000171,
    "Aa2": 0.000374,
    "Aa3": 0.000814,
    "A1": 0.001361,
    "A2": 0.002027,
    "A3": 0.003557,
    "Baa1": 0.005600,
    "Baa2": 0.008050,
    "Baa3": 0.014135,
    "Ba1": 0.025700,
    "Ba2": 0.042050,
    "Ba3": 0.060000,
    "B1": 0.081300,
    "B2": 0.101500,
    "B3": 0.133000,
    "Caa1": 0.195000,
}
"""Moody's idealised cumulative expected loss rates, 5-year horizon, as fractions of par.

Source: Moody's Investors Service, idealised cumulative expected loss table used for structured
finance ratings (reproduced in Moody's "Rating Symbols and Definitions" and in its CDO/ABS rating
methodologies, e.g. "Moody's Approach to Rating Multisector CDOs", 2000, appendix). Only the
5-year column is used here, whatever the note's WAL; check the figures against the current
Moody's publication before relying on a rating derived from them.
"""

BELOW_TABLE = "below Caa1"


def wal_years(principal_paid: ArrayLike) -> np.ndarray:
    """Weighted-average life in years of monthly principal payments.

    ``WAL = sum_t principal_paid[t] * t / 12 / sum_t principal_paid[t]`` with t = 1, 2, ...
    the month of payment.

    Args:
        principal_paid: Principal payments, shape (..., periods).

    Returns:
        WAL in years, shape (...); NaN where no principal was paid.
    """
    paid = np.asarray(principal_paid, dtype=float)
    months = np.arange(1, paid.shape[-1] + 1)
    total = paid.sum(axis=-1)
    weighted = (paid * months).sum(axis=-1) / 12.0
    return np.divide(weighted, total, out=np.full(total.shape, np.nan), where=total > 0)


def _npv_and_slope(cashflows: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NPV(v) = sum_t cf[t] v**t and its derivative in v, per row."""
    t = np.arange(cashflows.shape[-1])
    powers = v[:, None] ** t[None, :]
    npv = (cashflows * powers).sum(axis=1)
    slope = (cashflows[:, 1:] * t[1:] * powers[:, :-1]).sum(axis=1)
    return npv, slope


def _bracket(cashflows: np.ndarray, v_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Discount factors lo < root <= hi per row: NPV(lo) < 0 <= NPV(hi) (hi capped at v_max)."""
    hi = np.ones(cashflows.shape[0])
    for _ in range(64):
        npv, _ = _npv_and_slope(cashflows, hi)
        low = (npv < 0) & (hi < v_max)
        if not low.any():
            break
        hi = np.where(low, np.minimum(hi * 2.0, v_max), hi)
    lo = np.where(hi > 1.0, hi / 2.0, 0.0)
    return lo, hi


def _solve_discount_factor(cf: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Root v of NPV(v) = sum_t cf[t] v**t per row: Newton's method kept inside a bracket."""
    v_max = 1e4
    lo, hi = _bracket(cf, v_max)
    v = np.minimum(1.0, hi)
    todo = np.arange(cf.shape[0])
    for _ in range(max_iter):
        npv, slope = _npv_and_slope(cf[todo], v[todo])
        lo[todo] = np.where(npv < 0, v[todo], lo[todo])
        hi[todo] = np.where(npv >= 0, v[todo], hi[todo])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = v[todo] - npv / slope
        inside = (newton > lo[todo]) & (newton < hi[todo])
        new = np.where(inside, newton, 0.5 * (lo[todo] + hi[todo]))
        done = np.abs(new - v[todo]) <= tol * np.maximum(new, 1.0)
        v[todo] = new
        todo = todo[~done]
        if todo.size == 0:
            break
    return v


def irr_annual(cashflows: ArrayLike, tol: float = 1e-15, max_iter: int = 200) -> np.ndarray:
    """Annual internal rate of return of monthly cash flows, vectorised over rows.

    The monthly rate r solves ``sum_t cf[t] / (1 + r)**t = 0`` (t = 0, 1, ... in months) and is
    converted to an effective annual rate by monthly compounding: ``(1 + r)**12 - 1``. So a
    bond bought at par that pays a coupon c monthly (c / 12 a month) has IRR
    ``(1 + c / 12)**12 - 1``. Rows must be an investment (cf[0] < 0) followed by receipts
    (cf[t] >= 0); then NPV is increasing in the discount factor v = 1 / (1 + r) and has one
    root, found by Newton's method safeguarded by bisection (monthly rates below -99.99 %, i.e.
    IRRs within 1e-48 of -100 %, are reported at that floor).

    Args:
        cashflows: Shape (rows, months + 1) or (months + 1,); column 0 is the price paid.
        tol: Relative tolerance on the discount factor.
        max_iter: Iteration limit.

    Returns:
        Annual IRR per row (a scalar array for 1-D input); -1.0 (total loss) where nothing
        was received, NaN where cf[0] >= 0.
    """
    cf = np.atleast_2d(np.asarray(cashflows, dtype=float))
    ok = (cf[:, 0] < 0) & (cf[:, 1:].sum(axis=1) > 0)
    out = np.where(cf[:, 0] < 0, -1.0, np.nan)
    out[ok] = np.power(_solve_discount_factor(cf[ok], tol, max_iter), -12.0) - 1.0
    return out if np.ndim(cashflows) > 1 else out[0]


def implied_rating(expected_loss: float) -> str:
    """Best rating whose 5-year idealised expected loss is at least `expected_loss`.

    Args:
        expected_loss: Expected loss as a fraction of the original balance (0.001 = 0.1 %).

    Returns:
        A Moody's-style symbol from `IDEALISED_EL_5Y`, or ``"below Caa1"``.
    """
    for rating, limit in IDEALISED_EL_5Y.items():
        if expected_loss <= limit:
            return rating
    return BELOW_TABLE


# ----------------------------------------------------------------------------------------------
# Arrays from either a WaterfallResult or the long table of run_waterfall


def _cubes_from_frame(df: pd.DataFrame, fields: list[str]):
    """(paths, periods, notes) arrays of `fields` from a run_waterfall table."""
    notes = pd.unique(df["note"])
    order = {n: i for i, n in enumerate(notes)}
    df = df.assign(_rank=df["note"].map(order)).sort_values(["path", "period", "_rank"])
    paths = pd.unique(df["path"])
    shape = (len(paths), len(df) // (len(paths) * len(notes)), len(notes))
    cubes = {f: df[f].to_numpy(dtype=float).reshape(shape) for f in fields}
    return cubes, paths, tuple(notes)


def _note_arrays(result: WaterfallResult | pd.DataFrame):
    fields = ["balance_begin", "interest_paid", "principal_paid", "writedown", "interest_shortfall"]
    if isinstance(result, WaterfallResult):
        paths = np.arange(result.shape[0])
        return {f: result.notes[f] for f in fields}, paths, result.note_names
    cubes, paths, notes = _cubes_from_frame(result, fields)
    return cubes, paths, notes


def note_metrics(result: WaterfallResult | pd.DataFrame) -> pd.DataFrame:
    """Per path and note: principal loss, WAL and investor IRR.

    The investor buys the note at par at t = 0 (pays its original balance) and receives
    ``interest_paid + principal_paid`` each month; see `irr_annual` for the convention.

    Args:
        result: A `WaterfallResult`, or the table returned by `run_waterfall`.

    Returns:
        One row per (path, note): ``original_balance``, ``interest_paid``, ``principal_paid``,
        ``writedown``, ``interest_unpaid`` (interest shortfall left at the end), ``loss_pct``
        (writedown / original balance, a fraction), ``any_loss`` (writedown > 1 cent),
        ``wal_years`` and ``irr_annual``.
    """
    a, paths, notes = _note_arrays(result)
    n_paths, _, n_notes = a["balance_begin"].shape
    original = a["balance_begin"][:, 0, :]
    writedown = a["writedown"].sum(axis=1)
    inflows = np.moveaxis(a["interest_paid"] + a["principal_paid"], 1, 2)
    cashflows = np.concatenate([-original[:, :, None], inflows], axis=2)
    return pd.DataFrame(
        {
            "path": np.repeat(paths, n_notes),
            "note": np.tile(np.asarray(notes, dtype=object), n_paths),
            "original_balance": original.ravel(),
            "interest_paid": a["interest_paid"].sum(axis=1).ravel(),
            "principal_paid": a["principal_paid"].sum(axis=1).ravel(),
            "writedown": writedown.ravel(),
            "interest_unpaid": a["interest_shortfall"][:, -1, :].ravel(),
            "loss_pct": (writedown / original).ravel(),
            "any_loss": (writedown > LOSS_EPSILON).ravel(),
            "wal_years": wal_years(np.moveaxis(a["principal_paid"], 1, 2)).ravel(),
            "irr_annual": irr_annual(cashflows.reshape(n_paths * n_notes, -1)),
        }
    )


def _trigger_arrays(result: WaterfallResult | pd.DataFrame):
    if isinstance(result, WaterfallResult):
        return result.triggers, np.arange(result.shape[0]), result.trigger_names
    cols = [c for c in result.columns if c.startswith("trigger_") and c != "trigger_breached"]
    cubes, paths, _ = _cubes_from_frame(result, cols)
    flags = np.zeros((len(paths), int(result["period"].max()), len(cols)), dtype=bool)
    for j, col in enumerate(cols):
        flags[:, :, j] = cubes[col][:, :, 0] > 0
    return flags, paths, tuple(c.removeprefix("trigger_") for c in cols)


def trigger_metrics(result: WaterfallResult | pd.DataFrame) -> pd.DataFrame:
    """Per path and trigger: whether it was ever in breach and the first period it was.

    Args:
        result: A `WaterfallResult`, or the table returned by `run_waterfall`.

    Returns:
        Columns ``path, trigger, fired, first_period`` (nullable integer, period numbers start
        at 1; missing when the trigger never fired).
    """
    flags, paths, names = _trigger_arrays(result)
    n_paths, _, n_trig = flags.shape
    fired = flags.any(axis=1).ravel()
    first = pd.array(flags.argmax(axis=1).ravel() + 1, dtype="Int64")
    first[~fired] = pd.NA
    return pd.DataFrame(
        {
            "path": np.repeat(paths, n_trig),
            "trigger": np.tile(np.asarray(names, dtype=object), n_paths),
            "fired": fired,
            "first_period": first,
        }
    )


def tranche_summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """Across paths, per note: loss distribution, WAL, IRR and implied rating.

    Args:
        metrics: Output of `note_metrics`.

    Returns:
        One row per note, in seniority order: ``expected_loss`` (mean loss_pct),
        ``prob_loss`` (share of paths with a writedown above one cent), ``loss_p95`` and
        ``loss_p99`` (quantiles of loss_pct, linear interpolation), ``wal_years`` and
        ``irr_annual`` (means over paths), ``paths`` and ``implied_rating`` (from
        `implied_rating` on the expected loss).
    """
    grouped = metrics.groupby("note", sort=False)
    out = grouped.agg(
        expected_loss=("loss_pct", "mean"),
        prob_loss=("any_loss", "mean"),
        loss_p95=("loss_pct", lambda s: float(np.quantile(s, 0.95))),
        loss_p99=("loss_pct", lambda s: float(np.quantile(s, 0.99))),
        wal_years=("wal_years", "mean"),
        irr_annual=("irr_annual", "mean"),
        paths=("path", "size"),
    )
    out["implied_rating"] = [implied_rating(el) for el in out["expected_loss"]]
    return out.reset_index()
