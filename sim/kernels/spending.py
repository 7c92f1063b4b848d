"""The month's purchases, one borrower at a time: what each wants to buy, on which plan, and
what the platform lets them put on the line.

- :func:`desired_one` / :func:`desired_amounts`: the arithmetic of
  :meth:`sim.agents.borrowers.BorrowerPool.desired_purchases`;
- :func:`plan_one` / :func:`plan_terms`: :meth:`sim.agents.borrowers.BorrowerPool.choose_plan`;
- :func:`wishes`: both in one pass (:meth:`sim.agents.borrowers.BorrowerPool.purchase_wishes`);
- :func:`open_to_buy`: the purchase rule of :meth:`sim.agents.platform.Platform.purchases`
  (open, below the freeze, not in a re-aged workout, at most the open limit).

The random draws stay numpy draws from the borrower's spending stream, in the same order, and
so does the exponential of the purchase-size noise (``np.exp``; the kernels take the noise
factor): the kernels do the rest of the arithmetic with the same operations in the same
order, so that the amounts and plans are bit-identical (``tests/test_monthly_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.rules import days_past_due


@njit(cache=True)
def desired_one(u_buy: float, noise: float, effect: float, savings: float, permanent: float,
                income: float, spend_trait: float, kind: int, rules: tuple,
                bust_kind: int, bust_cents: int) -> int | np.int64:
    """Cents one borrower wants to put on the line: ``floor(100 x share_of_income x income x
    spend_trait x noise x boost)`` when ``u_buy < purchase_prob`` (else 0), where ``boost`` is
    ``1 + (stress_multiplier - 1)(1 - overborrow_reduction x effect)`` for a borrower with
    less than a month of income saved (``savings < permanent``; else 1); ``bust_cents`` for
    a borrower of ``bust_kind``. ``rules``: (purchase_prob, stress_multiplier,
    overborrow_reduction, share_of_income).
    """
    if kind == bust_kind:
        return bust_cents
    purchase_prob, stress_multiplier, overborrow_reduction, share_of_income = rules
    if not u_buy < purchase_prob:
        return 0
    extra = (stress_multiplier - 1.0) * (1.0 - overborrow_reduction * effect)
    boost = 1.0 + extra if savings < permanent else 1.0
    amount = share_of_income * income * spend_trait * noise * boost
    return np.int64(np.floor(amount * 100.0))


@njit(cache=True)
def plan_one(u: float, stressed: bool, cdf_calm: np.ndarray, cdf_stressed: np.ndarray,
             terms: np.ndarray) -> int:
    """The plan of a borrower drawing ``u``: the number of cumulative shares at or below
    ``u`` (``np.searchsorted(cdf, u, side="right")``), of the stressed or the calm mix,
    indexing ``terms`` (at most its last)."""
    pick = 0
    for j in range(cdf_calm.shape[0]):
        pick += u >= (cdf_stressed[j] if stressed else cdf_calm[j])
    return terms[min(pick, terms.shape[0] - 1)]


@njit(cache=True)
def desired_amounts(u_buy: np.ndarray, noise: np.ndarray, effect: np.ndarray,
                    savings: np.ndarray, permanent: np.ndarray, income: np.ndarray,
                    spend_trait: np.ndarray, kind: np.ndarray, rules: tuple,
                    bust_kind: int, bust_cents: int) -> np.ndarray:
    """:func:`desired_one` of borrowers 0..n-1 (n: ``u_buy``'s length), int64 cents."""
    out = np.empty(u_buy.shape[0], dtype=np.int64)
    for i in range(out.shape[0]):
        out[i] = desired_one(u_buy[i], noise[i], effect[i], savings[i], permanent[i],
                             income[i], spend_trait[i], kind[i], rules, bust_kind, bust_cents)
    return out


@njit(cache=True)
def plan_terms(u: np.ndarray, savings: np.ndarray, permanent: np.ndarray,
               cdf_calm: np.ndarray, cdf_stressed: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """:func:`plan_one` of borrowers 0..n-1 (n: ``u``'s length; stressed: savings below
    permanent income), int64 months."""
    out = np.empty(u.shape[0], dtype=np.int64)
    for i in range(out.shape[0]):
        out[i] = plan_one(u[i], savings[i] < permanent[i], cdf_calm, cdf_stressed, terms)
    return out


@njit(cache=True)
def wishes(u_buy: np.ndarray, noise: np.ndarray, u_plan: np.ndarray, effect: np.ndarray,
           savings: np.ndarray, permanent: np.ndarray, income: np.ndarray,
           spend_trait: np.ndarray, kind: np.ndarray, rules: tuple, bust_kind: int,
           bust_cents: int, cdf_calm: np.ndarray, cdf_stressed: np.ndarray,
           terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`desired_amounts` and :func:`plan_terms` in one pass: (cents, months)."""
    n = u_buy.shape[0]
    amount = np.empty(n, dtype=np.int64)
    term = np.empty(n, dtype=np.int64)
    for i in range(n):
        s, p = savings[i], permanent[i]
        amount[i] = desired_one(u_buy[i], noise[i], effect[i], s, p, income[i],
                                spend_trait[i], kind[i], rules, bust_kind, bust_cents)
        term[i] = plan_one(u_plan[i], s < p, cdf_calm, cdf_stressed, terms)
    return amount, term


@njit(cache=True)
def open_to_buy(day: float, due_day: int, freeze_dpd: int, desired: np.ndarray,
                open_: np.ndarray, oldest: np.ndarray, reaged_left: np.ndarray,
                limit: np.ndarray, outstanding: np.ndarray) -> np.ndarray:
    """Cents each account 0..n-1 (n: ``desired``'s length) may buy at ``day``: the smaller of
    ``desired`` and the open limit (``limit - outstanding``, at least 0) when the account is
    open, below ``freeze_dpd`` days past due and has no re-aged amount left to repay; else 0.
    """
    out = np.empty(desired.shape[0], dtype=np.int64)
    for i in range(out.shape[0]):
        if (open_[i] and reaged_left[i] == 0
                and days_past_due(day, oldest[i], due_day) < freeze_dpd):
            out[i] = min(desired[i], max(np.int64(limit[i]) - outstanding[i], 0))
        else:
            out[i] = 0
    return out
