"""The month's jobs, income, expenses and saving of every borrower, in one pass.

:func:`step_incomes` is the body of :meth:`sim.agents.borrowers.BorrowerPool.step_income`
(after the onboarding of new borrowers' jobs) in one pass over the borrowers instead of about
thirty array passes: who loses or finds a job, the spell's length, the month's income
(wage with a transitory shock, benefits, then assistance), the cut in essentials while out of
work, a sudden expense, what is affordable, and the savings left within their bounds. The
pass has no branch that depends on the borrower (the rules are written as selects) and
draws nothing, so that the compiler vectorises it.

The random draws are the income stream's, as numpy's ``rng.random((3, n))`` then
``rng.standard_normal(n)`` take them: the uniforms drawn by that very call before the pass
(rows: job loss, job finding, sudden expense), the normals one at a time by
:func:`income_draws` (the numbers of numpy's ``standard_normal(n)``, faster than it). The
two transcendental functions stay numpy's, between the two kernels: the transitory shock's
``np.exp`` (over the whole book) and the expense's ``np.log`` (only for the borrowers a
sudden expense hits); numpy computes them with its own SIMD code, whose results differ in the
last bit from the C library's that compiled code calls on some inputs. Incomes, spells,
savings and the stream afterwards are bit-identical to the numpy statements
(``tests/test_income_payment_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)


@njit(cache=True)
def income_draws(n: int, shocks: bool, sd: float, half_variance: float,
                 normal_stream: np.random.Generator, transitory: np.ndarray) -> None:
    """The month's normals of borrowers 0..n-1, as the transitory shock's log, in place.

    Args:
        n: borrowers.
        shocks: ``income.shocks``; without them the normals are drawn (the stream moves as
            with them) and nothing is written.
        sd, half_variance: the transitory shock's standard deviation and ``0.5 * sd**2``.
        normal_stream: at the start of the normals; ``n`` standard normals are drawn, one at
            a time (numpy's ``standard_normal(n)``, and the stream left where it leaves it).
        transitory: (>= n,) set to the shock's log ``sd x z - half_variance``.
    """
    for i in range(n):
        z = normal_stream.standard_normal()
        if shocks:
            transitory[i] = sd * z - half_variance


@njit(cache=True)
def step_incomes(n: int, shocks: bool, rules: tuple, u_loss: np.ndarray, u_find: np.ndarray,
                 u_expense: np.ndarray, transitory: np.ndarray, expense_size: np.ndarray,
                 employed: np.ndarray, permanent: np.ndarray, spell: np.ndarray,
                 job_risk: np.ndarray, kind: np.ndarray, constrained_kind: int,
                 savings: np.ndarray, savings_caps: np.ndarray, income: np.ndarray,
                 disposable: np.ndarray, aside: np.ndarray) -> None:
    """Move borrowers 0..n-1 through one month (see ``BorrowerPool.step_income``), in place.

    Args:
        n: borrowers stepped.
        shocks: ``income.shocks``; without them jobs, income and expenses stay as they are
            and only the budget below runs.
        rules: (job-loss hazard this month, job finding in a spell's first
            ``long_term_months``, job finding after them (both at most 1), long_term_months,
            reemployment_income_loss, benefit_months, replacement_rate, assistance_rate,
            consumption_cut_benefits, consumption_cut_exhausted, chance of a sudden expense
            (at least 1e-300), expense_shock_months, essential_share,
            constrained_essential_share, other_debt_limit_months).
        u_loss, u_find, u_expense: (>= n,) the job-loss, job-finding and sudden-expense
            uniforms (rows 0, 1 and 2 of ``rng.random((3, n))``; read when ``shocks``).
        transitory: (n,) the wage's transitory factor ``exp(sd z - sd**2 / 2)``.
        expense_size: (>= n,) for a borrower whose expense uniform ``u`` is below the chance,
            ``-log(u / chance)`` (an exponential: given a shock the uniform over the chance
            is uniform); the others' values are not used.
        employed, permanent, spell, savings, income, disposable: (capacity,) state, updated
            (``spell``: months unemployed, 0 while employed; money in currency units).
        job_risk, kind: (capacity,) traits (relative job-loss risk, borrower type);
            ``constrained_kind`` is the type of hand-to-mouth borrowers, whose essentials
            are ``constrained_essential_share`` and whose savings cap is ``savings_caps[1]``.
        savings_caps: (2,) savings caps in months of permanent income: the others'
            (``income.savings_cap_months``), the constrained type's
            (``repayment.constrained_savings_months``).
        aside: (>= n,) money kept aside above the savings cap until the month's due date
            (``repayment.buffer_after_bill``: a current account's bill), added to the cap;
            zeros: none.

    Per borrower: an employed one loses the job when its job-loss uniform is below
    ``min(loss x job_risk, 1)``, an unemployed one finds one when its job-finding uniform is
    below the finding chance of the spell's length, at a permanent income lower by
    ``reemployment_income_loss``; income is the permanent income times the transitory factor
    at work, ``replacement_rate`` for
    ``benefit_months`` of a spell, then ``assistance_rate``; essentials are the type's share
    of permanent income, cut while out of work; disposable is income less essentials (at
    least 0); savings gain income less essentials and any expense (``expense_shock_months``
    of permanent income times the size), within ``-other_debt_limit_months`` and the type's
    savings cap in months of permanent income plus ``aside``.
    """
    (loss, find_short, find_long, long_term, reemployment_loss, benefit_months, replacement,
     assistance, cut_benefits, cut_exhausted, p_shock, expense_months, essential_share,
     constrained_share, other_debt) = rules
    if shocks:
        for i in range(n):
            was = employed[i]
            stays = not u_loss[i] < min(loss * job_risk[i], 1.0)
            finds = u_find[i] < (find_short if spell[i] < long_term else find_long)
            works = stays if was else finds
            perm = permanent[i]
            perm = perm * (1.0 - reemployment_loss) if (not was) & finds else perm
            permanent[i] = perm
            employed[i] = works
            spell[i] = 0 if works else spell[i] + 1
            on_benefit = spell[i] <= benefit_months
            paid = perm * transitory[i] if works else perm * (replacement if on_benefit
                                                              else assistance)
            income[i] = paid
            cut = 0.0 if works else (cut_benefits if on_benefit else cut_exhausted)
            # no expense: -0.0, 0 x perm x months x -log(1), as the array form has it
            expense = (perm * expense_months * expense_size[i] if u_expense[i] < p_shock
                       else -0.0)
            _budget(i, perm, cut, expense, kind, constrained_kind, constrained_share,
                    essential_share, savings_caps, other_debt, savings, income, disposable,
                    aside)
    else:
        for i in range(n):
            _budget(i, permanent[i], 0.0, 0.0, kind, constrained_kind, constrained_share,
                    essential_share, savings_caps, other_debt, savings, income, disposable,
                    aside)


@njit(cache=True, inline="always")
def _budget(i: int, perm: float, cut: float, expense: float, kind: np.ndarray,
            constrained_kind: int, constrained_share: float, essential_share: float,
            savings_caps: np.ndarray, other_debt: float, savings: np.ndarray,
            income: np.ndarray, disposable: np.ndarray, aside: np.ndarray) -> None:
    """Borrower ``i``'s essentials, disposable income and savings (:func:`step_incomes`)."""
    hand_to_mouth = kind[i] == constrained_kind
    share = constrained_share if hand_to_mouth else essential_share
    cap = savings_caps[1] if hand_to_mouth else savings_caps[0]
    essentials = share * perm * (1.0 - cut)
    disposable[i] = _max(income[i] - essentials, 0.0)
    cash = savings[i] + income[i] - essentials - expense
    savings[i] = _min(_max(cash, -other_debt * perm), cap * perm + aside[i])


@njit(cache=True, inline="always")
def _max(a: float, b: float) -> float:
    """``max(a, b)`` as compiled code computes it (``b`` when ``b > a``, else ``a``), written
    out: the builtin's float form stops the compiler from vectorising the loop."""
    return b if b > a else a


@njit(cache=True, inline="always")
def _min(a: float, b: float) -> float:
    """``min(a, b)`` as compiled code computes it (``b`` when ``b < a``, else ``a``); see
    :func:`_max`."""
    return b if b < a else a
