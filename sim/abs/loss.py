"""A note's loss as rating agencies measure it: the present value of what it did not receive.

A note promises its coupon on its balance every month and its principal back. Discounted at
that coupon, the promised cash flows are worth exactly the note's original balance, whenever
the principal comes, so the share of that balance by which the present value of what the
investor did receive falls short is what the investor lost: principal written down, interest
never paid, and interest paid late without interest on it; a writedown in year five costs
less than one in year one. Moody's defines a structured note's expected loss this way (the
probability-weighted reduction in the present value of its promised interest and principal,
discounted at its promised coupon, as a share of its initial balance), and its idealised
expected-loss table (`sim.abs.ratings`) is calibrated to it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from sim.abs.steps import floor_cents

__all__ = ["charged_rates", "pv_loss"]


def charged_rates(coupon: ArrayLike, balance_begin: ArrayLike) -> np.ndarray:
    """The monthly rate the waterfall charged a note in each period: its promised rate.

    The waterfall accrues ``i_t = floor(c_t / 12 * N_{t-1})`` in whole cents, with ``c_t``
    the period's annual coupon (the fixed coupon, or ``max(0, base_t + margin)`` for a
    floating note) and ``N_{t-1}`` the balance at the period's start (docs/WATERFALL.md
    §5.2). The rate charged is ``i_t / N_{t-1}``: ``c_t / 12`` less under a cent over the
    balance. Discounting at it, a note paid every cent it was promised has a present value
    of exactly its original balance; discounting at ``c_t / 12`` would count the cents that
    rounding keeps from the note, up to a cent a month, as a loss. Where the balance is 0
    (the note repaid, interest still owed) the rate is ``c_t / 12``.

    Args:
        coupon: Annual coupon per period as the waterfall records it (the notes table's
            ``coupon``, a fraction), shape (..., periods).
        balance_begin: The note's balance at each period's start, currency units, same
            shape.

    Returns:
        Monthly rates, same shape.

    Raises:
        ValueError: If the shapes differ.
    """
    c = np.asarray(coupon, dtype=float)
    cents = np.round(np.asarray(balance_begin, dtype=float) * 100.0)  # exact whole cents
    if c.shape != cents.shape:
        raise ValueError(f"coupon and balance_begin must have one shape, got {c.shape} and "
                         f"{cents.shape}")
    monthly = c / 12.0
    accrual = floor_cents(monthly * cents)  # as the waterfall computes it, bit for bit
    return np.divide(accrual, cents, out=monthly.copy(), where=cents > 0)


def pv_loss(received: ArrayLike, monthly_rate: ArrayLike, original: ArrayLike,
            outstanding: ArrayLike = 0.0) -> np.ndarray:
    """One less the present value of a note's receipts over its original balance.

    ``PV = sum_t received_t * D_t + outstanding * D_T`` with ``D_t = prod_{s <= t} 1 /
    (1 + r_s)``, t = 1 .. T the months after closing, and the loss is ``1 - PV / original``
    (Moody's expected loss of a tranche, per scenario: the reduction in the present value
    of its interest and principal, discounted at its promised coupon, as a share of its
    initial balance; see the module docstring). A balance still ``outstanding`` after
    month T (a run whose horizon ends before the deal does) is counted as received at par
    then: it is not lost, as the nominal principal loss does not count it either.

    Args:
        received: Interest plus principal the note received in months 1 .. T, currency
            units, shape (..., T).
        monthly_rate: The promised monthly rate of each month (`charged_rates`), shape
            (..., T).
        original: Original balance, currency units, shape (...).
        outstanding: Balance left after month T, currency units, shape (...) (0: the deal
            ended).

    Returns:
        The loss, a fraction of ``original``, shape (...), not clipped: a note paid all it
        was promised gives 0 to float rounding (about 1e-16), a note that received nothing
        gives 1; NaN where ``original`` is 0.

    Raises:
        ValueError: If ``received`` and ``monthly_rate`` differ in shape.
    """
    cash = np.asarray(received, dtype=float)
    rate = np.asarray(monthly_rate, dtype=float)
    if cash.shape != rate.shape:
        raise ValueError(f"received and monthly_rate must have one shape, got {cash.shape} "
                         f"and {rate.shape}")
    discount = np.cumprod(1.0 / (1.0 + rate), axis=-1)
    end = discount[..., -1] if cash.shape[-1] else np.ones(cash.shape[:-1])
    pv = (cash * discount).sum(axis=-1) + np.asarray(outstanding, dtype=float) * end
    base = np.asarray(original, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base > 0, 1.0 - pv / np.where(base > 0, base, 1.0), np.nan)
