"""The month's jobs, income, expenses and saving of every borrower, one borrower at a time.

:func:`step_incomes` is the body of :meth:`sim.agents.borrowers.BorrowerPool.step_income`
(after the onboarding of new borrowers' jobs) in one pass over the borrowers instead of about
thirty array passes: who loses or finds a job, the spell's length, the month's income
(wage with a transitory shock, benefits, then assistance), the cut in essentials while out of
work, a sudden expense, what is affordable, and the savings left within their bounds.

The random draws are the income stream's, as numpy's ``rng.random((3, n))`` then
``rng.standard_normal(n)`` take them, but drawn inside the kernels from numpy Generators
positioned on the stream (:func:`sim.streams.row_streams`): one double of
``Generator.random`` takes one 64-bit output of the PCG64 stream, so row ``r``'s uniforms
start ``r x n`` outputs on, and the normals (a variable number of outputs each) are drawn
last from the stream itself.
:func:`income_draws` takes the normals and the expense uniforms, :func:`step_incomes` the
job uniforms, so that no (3, n) array of draws is made. The two transcendental functions stay
numpy's, between the two kernels: the transitory shock's ``np.exp`` (over the whole book) and
the expense's ``np.log`` (only for the borrowers a sudden expense hits); numpy computes them
with its own SIMD code, whose results differ in the last bit from the C library's that
compiled code calls on some inputs. Incomes, spells, savings and the stream afterwards are
bit-identical to the numpy statements (``tests/test_income_payment_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)


@njit(cache=True)
def income_draws(n: int, shocks: bool, sd: float, half_variance: float, chance: float,
                 expense_stream: np.random.Generator, normal_stream: np.random.Generator,
                 transitory: np.ndarray, hit: np.ndarray, ratio: np.ndarray) -> int:
    """The month's normals and sudden-expense uniforms of borrowers 0..n-1, in place.

    Args:
        n: borrowers.
        shocks: ``income.shocks``; without them the normals are drawn (the stream moves as
            with them) and nothing is written.
        sd, half_variance: the transitory shock's standard deviation and ``0.5 * sd**2``.
        chance: the chance of a sudden expense (at least 1e-300).
        expense_stream: at the start of the expense uniforms (row 2 of
            :func:`sim.streams.row_streams`); ``n`` doubles are drawn when ``shocks``.
        normal_stream: at the start of the normals; ``n`` standard normals are drawn.
        transitory: (>= n,) set to the shock's log ``sd x z - half_variance``.
        hit, ratio: (>= n,) set, for each borrower whose expense uniform ``u`` is below the
            chance, in order, to the borrower and ``u / chance``.

    Returns:
        How many borrowers a sudden expense hits (the rows of ``hit`` and ``ratio`` set).
    """
    k = 0
    for i in range(n):
        z = normal_stream.standard_normal()
        if shocks:
            transitory[i] = sd * z - half_variance
            u = expense_stream.random()
            if u < chance:
                hit[k] = i
                ratio[k] = u / chance
                k += 1
    return k


@njit(cache=True)
def step_incomes(n: int, shocks: bool, rules: tuple, loss_stream: np.random.Generator,
                 finding_stream: np.random.Generator, transitory: np.ndarray,
                 hit: np.ndarray, expense_size: np.ndarray, employed: np.ndarray,
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
        loss_stream, finding_stream: at the start of the job-loss and the job-finding
            uniforms (rows 0 and 1 of :func:`sim.streams.row_streams`); ``n`` doubles are drawn from
            each when ``shocks``, one a borrower whichever is used.
        transitory: (n,) the wage's transitory factor ``exp(sd z - sd**2 / 2)``.
        hit: the borrowers a sudden expense hits, increasing (:func:`income_draws`).
        expense_size: for each of ``hit``, ``-log(u / chance)`` of its expense uniform ``u``
            (an exponential: given a shock the uniform over the chance is uniform).
        employed, permanent, spell, savings, income, disposable: (capacity,) state, updated
            (``spell``: months unemployed, 0 while employed; money in currency units).
        job_risk, kind: (capacity,) traits (relative job-loss risk, borrower type);
            ``constrained_kind`` is the type of hand-to-mouth borrowers, whose essentials
            are ``constrained_essential_share`` and whose savings cap is ``savings_caps[1]``.
        savings_caps: (2,) savings caps in months of permanent income: the others'
            (``income.savings_cap_months``), the constrained type's
            (``repayment.constrained_savings_months``).
        aside: (>= n,) money kept aside above the savings cap until the month's due date
            (``repayment.buffer_after_bill``: a current account's bill); empty: none.

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
    hits, n_hit, keep = 0, hit.shape[0], aside.shape[0] > 0
    for i in range(n):
        perm = permanent[i]
        cut = 0.0
        expense = 0.0
        if shocks:
            u_loss = loss_stream.random()
            u_find = finding_stream.random()
            if employed[i]:
                works = not u_loss < min(loss * job_risk[i], 1.0)
            else:
                works = u_find < (find_short if spell[i] < long_term else find_long)
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
            if hits < n_hit and hit[hits] == i:
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
        kept = aside[i] if keep else 0.0
        savings[i] = min(max(cash, -other_debt * perm), cap * perm + kept)
