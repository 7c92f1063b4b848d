"""The month's jobs, income, expenses and saving of every borrower, one borrower at a time.

:func:`step_incomes` is the body of :meth:`sim.agents.borrowers.BorrowerPool.step_income`
(after the onboarding of new borrowers' jobs) in one pass over the borrowers instead of about
thirty array passes: who loses or finds a job, the spell's length, the month's income
(wage with a transitory shock, benefits, then assistance), the cut in essentials while out of
work, a sudden expense, what is affordable, and the savings left within their bounds.

The random draws stay numpy draws from the borrower's income stream, in the same order, and
so do the two transcendental functions: the transitory shock's ``np.exp`` (over the whole
book) and the expense's ``np.log`` (only for the borrowers a sudden expense hits); the kernel
takes their results and does the rest with the same operations in the same order, so that
incomes, spells and savings are bit-identical (``tests/test_income_payment_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)


@njit(cache=True)
def step_incomes(n: int, shocks: bool, rules: tuple, draws: np.ndarray,
                 transitory: np.ndarray, expense_size: np.ndarray, employed: np.ndarray,
                 permanent: np.ndarray, spell: np.ndarray, job_risk: np.ndarray,
                 kind: np.ndarray, constrained_kind: int, savings: np.ndarray,
                 savings_caps: np.ndarray, income: np.ndarray, disposable: np.ndarray,
                 aside: np.ndarray) -> None:
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
        draws: (3, >= n) uniforms: job loss, job finding, sudden expense.
        transitory: (n,) the wage's transitory factor ``exp(sd z - sd**2 / 2)``.
        expense_size: for each borrower whose expense uniform ``draws[2]`` is below the
            chance, in order, ``-log(draws[2] / chance)`` (an exponential: given a shock the
            uniform over the chance is uniform).
        employed, permanent, spell, savings, income, disposable: (capacity,) state, updated
            (``spell``: months unemployed, 0 while employed; money in currency units).
        job_risk, kind: (capacity,) traits (relative job-loss risk, borrower type);
            ``constrained_kind`` is the type of hand-to-mouth borrowers, whose essentials
            are ``constrained_essential_share`` and whose savings cap is ``savings_caps[1]``.
        savings_caps: (2,) savings caps in months of permanent income: the others'
            (``income.savings_cap_months``), the constrained type's
            (``repayment.constrained_savings_months``).
        aside: (>= n,) money kept aside above the savings cap until the month's due date
            (``repayment.buffer_after_bill``: a current account's bill; else zeros).

    Per borrower: an employed one loses the job when ``draws[0] < min(loss x job_risk, 1)``,
    an unemployed one finds one when ``draws[1]`` is below the finding chance of the spell's
    length, at a permanent income lower by ``reemployment_income_loss``; income is the
    permanent income times the transitory factor at work, ``replacement_rate`` for
    ``benefit_months`` of a spell, then ``assistance_rate``; essentials are the type's share
    of permanent income, cut while out of work; disposable is income less essentials (at
    least 0); savings gain income less essentials and any expense (``expense_shock_months``
    of permanent income times the size), within ``-other_debt_limit_months`` and the type's
    savings cap in months of permanent income plus ``aside``.
    """
    (loss, find_short, find_long, long_term, reemployment_loss, benefit_months, replacement,
     assistance, cut_benefits, cut_exhausted, p_shock, expense_months, essential_share,
     constrained_share, other_debt) = rules
    hits = 0
    for i in range(n):
        perm = permanent[i]
        cut = 0.0
        expense = 0.0
        if shocks:
            was = employed[i]
            if was:
                works = not draws[0, i] < min(loss * job_risk[i], 1.0)
            else:
                works = draws[1, i] < (find_short if spell[i] < long_term else find_long)
                if works:
                    perm = perm * (1.0 - reemployment_loss)
                    permanent[i] = perm
            employed[i] = works
            spell[i] = 0 if works else spell[i] + 1
            on_benefit = spell[i] <= benefit_months
            if works:
                income[i] = perm * transitory[i]
            else:
                income[i] = perm * (replacement if on_benefit else assistance)
                cut = cut_benefits if on_benefit else cut_exhausted
            if draws[2, i] < p_shock:
                expense = perm * expense_months * expense_size[hits]
                hits += 1
            else:
                expense = -0.0  # 0 x perm x months x -log(1), as the array form has it
        hand_to_mouth = kind[i] == constrained_kind
        share = constrained_share if hand_to_mouth else essential_share
        cap = savings_caps[1] if hand_to_mouth else savings_caps[0]
        essentials = share * perm * (1.0 - cut)
        disposable[i] = max(income[i] - essentials, 0.0)
        cash = savings[i] + income[i] - essentials - expense
        savings[i] = min(max(cash, -other_debt * perm), cap * perm + aside[i])
