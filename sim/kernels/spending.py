"""The month's purchases, one borrower at a time: what each wants to buy, on which plan, and
what the platform lets them put on the line.

- :func:`desired_one` / :func:`desired_amounts`: the arithmetic of
  :meth:`sim.agents.borrowers.BorrowerPool.desired_purchases`;
- :func:`plan_index`, :func:`plan_one` / :func:`plan_terms`:
  :meth:`sim.agents.borrowers.BorrowerPool.choose_plan`;
- :func:`wishes`: both in one pass, on given draws (``benchmarks/memory_bound.py`` times it);
- :func:`buy`: :meth:`sim.agents.platform.Platform.purchases`: the wishes, the purchase
  rule (open, below the freeze, not in a re-aged workout, at most the open limit), the
  booking (:func:`sim.kernels.book.book_one`) and the sums by cohort, in three passes: the
  amounts and plans of every account without a branch (a loop the compiler vectorises), the
  buyers listed, then the buyers' bookings.

The draws are made before :func:`buy`, in numpy's blocks and numpy's order
(:meth:`sim.agents.borrowers.BorrowerPool.purchase_draws`): numpy's ``random(n)`` for the
uniforms, so that the pass reads arrays and does not call a generator for each account (a
call the compiler cannot vectorise); the normals one at a time (:func:`standard_normals`,
the numbers of numpy's ``standard_normal(n)``, faster than it), their exponential numpy's
(``np.exp``, whose SIMD loop rounds differently from the compiled ``exp`` on some values; the
kernels take the noise factor). The kernels do the rest of the arithmetic with the same
operations in the same order, so that the amounts, plans and books are bit-identical
(``tests/test_monthly_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.book import book_one
from sim.kernels.rules import days_past_due


@njit(cache=True)
def desired_one(u_buy: float, noise: float, effect: float, savings: float, permanent: float,
                income: float, spend_trait: float, kind: int, rules: tuple,
                bust_kind: int, bust_cents: int) -> np.int64:
    """Cents one borrower wants to put on the line: ``floor(100 x share_of_income x income x
    spend_trait x noise x boost)`` when ``u_buy < purchase_prob`` (else 0), where ``boost`` is
    ``1 + (stress_multiplier - 1)(1 - overborrow_reduction x effect)`` for a borrower with
    less than a month of income saved (``savings < permanent``; else 1); ``bust_cents`` for
    a borrower of ``bust_kind``. ``rules``: (purchase_prob, stress_multiplier,
    overborrow_reduction, share_of_income).
    """
    purchase_prob, stress_multiplier, overborrow_reduction, share_of_income = rules
    # selects rather than early returns, so that a loop of calls vectorises (:func:`buy`)
    extra = (stress_multiplier - 1.0) * (1.0 - overborrow_reduction * effect)
    boost = 1.0 + extra if savings < permanent else 1.0
    amount = share_of_income * income * spend_trait * noise * boost
    cents = np.int64(np.floor(amount * 100.0)) if u_buy < purchase_prob else np.int64(0)
    return np.int64(bust_cents) if kind == bust_kind else cents


@njit(cache=True)
def plan_index(u: float, stressed: bool, cdf_calm: np.ndarray | tuple,
               cdf_stressed: np.ndarray | tuple) -> int:
    """The plan of a borrower drawing ``u``, as an index of the plan terms: the number of
    cumulative shares at or below ``u`` (``np.searchsorted(cdf, u, side="right")``), of the
    stressed or the calm mix, at most the last. The shares are arrays, or tuples of floats
    (a fixed length: the compiler unrolls the loop, and a loop of calls vectorises)."""
    pick = 0
    for j in range(len(cdf_calm)):
        pick += u >= (cdf_stressed[j] if stressed else cdf_calm[j])
    return min(pick, len(cdf_calm) - 1)


@njit(cache=True)
def plan_one(u: float, stressed: bool, cdf_calm: np.ndarray, cdf_stressed: np.ndarray,
             terms: np.ndarray) -> int:
    """The plan term (months) of a borrower drawing ``u``: ``terms`` at
    :func:`plan_index` (``terms`` as long as the shares)."""
    return terms[plan_index(u, stressed, cdf_calm, cdf_stressed)]


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
def standard_normals(rng: np.random.Generator, n: int) -> np.ndarray:
    """``rng.standard_normal(n)``, drawn one at a time (the same numbers, and ``rng`` left
    where numpy leaves it)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = rng.standard_normal()
    return out


@njit(cache=True)
def buy(day: float, month: int, u_buy: np.ndarray, noise: np.ndarray, u_plan: np.ndarray,
        effect: np.ndarray, savings: np.ndarray, permanent: np.ndarray, income: np.ndarray,
        spend_trait: np.ndarray, kind: np.ndarray, rules: tuple, bust_kind: int,
        bust_cents: int, cdf_calm: tuple, cdf_stressed: tuple, terms: np.ndarray,
        due_day: int, freeze_dpd: int, open_: np.ndarray, oldest: np.ndarray,
        reaged_left: np.ndarray, limit: np.ndarray, rate: np.ndarray,
        step_principal: np.ndarray, step_fee: np.ndarray, outstanding: np.ndarray,
        cohort: np.ndarray, by_cohort: np.ndarray) -> tuple[np.ndarray, np.int64]:
    """The month's purchases of borrowers 0..n-1 (n: ``noise``'s length): :func:`wishes`,
    the purchase rule (an account open, below ``freeze_dpd`` days past due at ``day`` and
    with no re-aged amount left buys the smaller of its wish and its open limit,
    ``limit - outstanding``, at least 0; others nothing) and the booking of
    :func:`sim.kernels.book.book_purchases`, account by account.

    Three passes: the amounts and plans (:func:`desired_one`, the rule and
    :func:`plan_index` of every account, without branches, so that the compiler vectorises
    the loop), the buyers' slots (amount not 0) listed in order, and the buyers' bookings
    (:func:`sim.kernels.book.book_one`) and sums by cohort.

    ``u_buy``, ``noise``, ``u_plan``: (n,) the uniforms deciding who buys, the size noise
    factors, the plan uniforms (:meth:`sim.agents.borrowers.BorrowerPool.purchase_draws`).
    ``cdf_calm``, ``cdf_stressed``: the cumulative plan shares as tuples of floats, as long
    as ``terms``. ``rate``: the fee rate a period by plan term (at least ``terms.max() + 1``
    long). The purchase cents are added, as float64 in account order (``np.bincount``'s
    sums), into ``by_cohort[cohort[i]]``.

    Returns:
        (cents bought per account, int64 (n,); the largest balance after booking, int64).
    """
    n = noise.shape[0]
    amount = np.empty(n, dtype=np.int64)
    plan = np.empty(n, dtype=np.int8)  # an index of terms: a byte a slot
    top = np.int64(0)
    for i in range(n):  # desired_one, the rule and the plan, as selects
        s, p = savings[i], permanent[i]
        desired = desired_one(u_buy[i], noise[i], effect[i], s, p, income[i],
                              spend_trait[i], kind[i], rules, bust_kind, bust_cents)
        held = np.int64(outstanding[i])
        room = max(np.int64(limit[i]) - held, np.int64(0))
        ok = (open_[i] & (reaged_left[i] == 0)
              & (days_past_due(day, oldest[i], due_day) < freeze_dpd))
        a = min(desired, room) if ok else np.int64(0)
        amount[i] = a
        plan[i] = plan_index(u_plan[i], s < p, cdf_calm, cdf_stressed)
        top = max(top, held + a)
    buyers = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):  # without a branch: the slot is written, and kept if it buys
        buyers[k] = i
        k += amount[i] != 0
    slots = step_principal.shape[0]
    start, after = (month + 1) % slots, (month + 2) % slots
    for j in range(k):
        i = buyers[j]
        a = amount[i]
        book_one(i, a, terms[plan[i]], month, start, after, rate, step_principal, step_fee,
                 outstanding)
        by_cohort[cohort[i]] += a
    return amount, top
