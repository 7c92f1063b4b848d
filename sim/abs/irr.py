"""The investor's internal rate of return (:mod:`sim.abs.metrics`): the rate that zeroes the
net present value of a note's monthly cash flows.

The net present value is a polynomial in the discount factor ``v = 1 / (1 + r)``. A row of
cash flows whose signs change once has exactly one rate (Descartes' rule of signs), found by
Newton's method safeguarded by bisection, all such rows at once; a row whose signs change more
than once may have several rates or none, and is scanned on a grid and solved by
`scipy.optimize.brentq`. `irr_solve` says for each row what it found (`IRR_STATUSES`);
`irr_annual` gives the annual rate where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.polynomial.polynomial import polyval
from numpy.typing import ArrayLike
from scipy.optimize import brentq

IRR_STATUSES = ("ok", "total_loss", "no_cash_flow", "no_root", "multiple_roots")
"""Outcomes of `irr_solve` per row: one rate (``ok``); everything paid out and nothing back
(``total_loss``, reported as -100 %); an all-zero row (``no_cash_flow``); a row whose net
present value never changes sign, e.g. receipts only (``no_root``); several rates that all
zero the net present value (``multiple_roots``). Only ``ok`` and ``total_loss`` have a rate."""

V_MAX = 1e4
"""Largest discount factor searched, v = 1 / (1 + r): monthly rates down to -99.99 %."""
V_MIN = 1.0 / 1001.0
"""Smallest discount factor searched: monthly rates up to +100,000 %."""
SCAN_POINTS = 4000
"""Grid points (log-spaced in v) on which rows with several sign changes are scanned."""

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


def _solve_single(cf: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """The one positive root v of NPV(v) per row, for rows whose first non-zero flow is
    negative and whose signs change once: Newton's method kept inside a bisection bracket."""
    lo, hi = _bracket(cf, V_MAX)
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


def _scaled_npv(row: np.ndarray, v: np.ndarray) -> np.ndarray:
    """NPV(v) / max(1, v)**T: the same sign and roots as NPV(v), without overflow.

    Horner's rule in v for v <= 1, and in u = 1 / v on the reversed row for v > 1.
    """
    v = np.asarray(v, dtype=float)
    small = polyval(np.minimum(v, 1.0), row)
    large = polyval(1.0 / np.maximum(v, 1.0), row[::-1])
    return np.where(v <= 1.0, small, large)


def _roots_by_scan(row: np.ndarray, xtol: float) -> list[float]:
    """Every discount factor in [V_MIN, V_MAX] where NPV changes sign, by brentq on each
    bracket of a log-spaced grid (`SCAN_POINTS` points)."""
    grid = np.geomspace(V_MIN, V_MAX, SCAN_POINTS)
    values = _scaled_npv(row, grid)
    roots = [float(g) for g, val in zip(grid, values, strict=True) if val == 0.0]
    sign = np.sign(values)
    for i in np.flatnonzero(sign[:-1] * sign[1:] < 0):
        roots.append(brentq(lambda v: float(_scaled_npv(row, v)), grid[i], grid[i + 1],
                            xtol=max(xtol, 1e-15) * grid[i], rtol=4 * np.finfo(float).eps,
                            maxiter=200))
    return sorted(roots)


def _sign_changes(cf: np.ndarray) -> np.ndarray:
    """Number of sign changes of each row's non-zero flows (Descartes' rule of signs bounds
    the number of positive roots of NPV(v) by it, and they have the same parity)."""
    s = np.sign(cf)
    out = np.zeros(cf.shape[0], dtype=int)
    last = np.zeros(cf.shape[0])
    for j in range(cf.shape[1]):
        col = s[:, j]
        flip = (col != 0) & (last != 0) & (col != last)
        out += flip
        last = np.where(col != 0, col, last)
    return out


@dataclass(frozen=True)
class IrrSolution:
    """What `irr_solve` found per row.

    Attributes:
        rate: Annual IRR per row (``(1 + r)**12 - 1`` of the monthly rate r); -1.0 for a
            total loss; NaN where the status is not ``ok`` or ``total_loss``.
        status: One of `IRR_STATUSES` per row (object array).
        roots: Per row, every annual rate found that zeroes the NPV (several for
            ``multiple_roots``), ascending.
    """

    rate: np.ndarray
    status: np.ndarray
    roots: tuple[tuple[float, ...], ...]


def irr_solve(cashflows: ArrayLike, tol: float = 1e-15, max_iter: int = 200) -> IrrSolution:
    """Internal rates of return of monthly cash-flow rows, with what was found for each.

    The monthly rate r solves ``NPV = sum_t cf[t] / (1 + r)**t = 0`` (t = 0, 1, ... in months),
    a polynomial in the discount factor ``v = 1 / (1 + r)``; rates are reported annually,
    ``(1 + r)**12 - 1`` (a par bond paying coupon c monthly has IRR ``(1 + c/12)**12 - 1``).
    By Descartes' rule of signs a row whose non-zero flows change sign once has exactly one
    positive root: it is found by Newton's method safeguarded by bisection, all such rows at
    once. A row whose signs change more than once (a residual holder or a borrower with later
    outflows) may have several roots or none: NPV is scanned on a grid of `SCAN_POINTS`
    discount factors, log-spaced between `V_MIN` and `V_MAX`, and each bracketed sign
    change is solved by `scipy.optimize.brentq`. One root gives the rate; several give the
    status ``multiple_roots`` (rate NaN, every root kept); none gives ``no_root``. Roots closer
    together than the grid step (0.4 % in v) or that touch zero without a sign change
    (a double root) are not found. Rows paying out and receiving nothing (every non-zero flow
    negative) are a total loss, rate -1.0 (the limit as v grows without bound).

    Args:
        cashflows: Shape (rows, months + 1) or (months + 1,); column 0 is at t = 0.
        tol: Relative tolerance on the discount factor.
        max_iter: Iteration limit of the one-sign-change solver.

    Returns:
        An `IrrSolution`; its arrays have one entry per row.
    """
    cf = np.atleast_2d(np.asarray(cashflows, dtype=float))
    n = cf.shape[0]
    rate = np.full(n, np.nan)
    status = np.full(n, "no_root", dtype=object)
    roots: list[tuple[float, ...]] = [()] * n
    changes = _sign_changes(cf)
    has_neg, has_pos = (cf < 0).any(axis=1), (cf > 0).any(axis=1)
    status[~has_neg & ~has_pos] = "no_cash_flow"
    loss = has_neg & ~has_pos
    status[loss], rate[loss] = "total_loss", -1.0
    single = np.flatnonzero(changes == 1)
    if single.size:
        first = cf[single, np.argmax(cf[single] != 0, axis=1)]
        rows = cf[single] * -np.sign(first)[:, None]  # first non-zero flow negative
        annual = np.power(_solve_single(rows, tol, max_iter), -12.0) - 1.0
        rate[single], status[single] = annual, "ok"
        for i, r in zip(single, annual, strict=True):
            roots[i] = (float(r),)
    for i in np.flatnonzero(changes > 1):
        found = tuple(sorted(v ** -12.0 - 1.0 for v in _roots_by_scan(cf[i], tol)))
        roots[i] = found
        if len(found) == 1:
            rate[i], status[i] = found[0], "ok"
        elif found:
            status[i] = "multiple_roots"
    return IrrSolution(rate, status, tuple(roots))


def irr_annual(cashflows: ArrayLike, tol: float = 1e-15, max_iter: int = 200,
               strict: bool = False) -> np.ndarray:
    """Annual internal rate of return of monthly cash flows, vectorised over rows.

    See `irr_solve` for the convention and the method. A row has a rate when exactly one
    discount factor zeroes its NPV (``ok``) or when it is a total loss (-1.0, i.e. -100 %).

    Args:
        cashflows: Shape (rows, months + 1) or (months + 1,); column 0 is at t = 0.
        tol: Relative tolerance on the discount factor.
        max_iter: Iteration limit.
        strict: Raise instead of returning NaN for rows without one rate.

    Returns:
        Annual IRR per row (a scalar array for 1-D input); NaN where there is no rate (no
        root, several roots, or no cash flow at all).

    Raises:
        ValueError: With ``strict``, naming the first row without one rate, its status and
            the roots found.
    """
    sol = irr_solve(cashflows, tol, max_iter)
    if strict:
        bad = np.flatnonzero(~np.isin(sol.status, ("ok", "total_loss")))
        if bad.size:
            i = int(bad[0])
            found = ", ".join(f"{r:.6%}" for r in sol.roots[i]) or "none"
            raise ValueError(f"cash-flow row {i} has no single IRR: {sol.status[i]} "
                             f"(annual rates found: {found}); {bad.size} such row(s)")
    return sol.rate if np.ndim(cashflows) > 1 else sol.rate[0]
