"""Borrowers as vectors: one numpy array per trait or state variable, one slot per borrower.

Each borrower earns a permanent income times a transitory shock, loses and finds jobs
with hazards tied to the macro unemployment rate, meets sudden expenses, keeps a
savings buffer, buys on the credit line and picks a repayment plan, and pays bills as
far as cash (ability) and character (willingness, forgetfulness unless on autopay)
allow. All borrowers of a pool are stepped together; every step draws a full-length
random array from its own stream, so a borrower's draws never depend on what the
platform did to anyone else (common random numbers across policies).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import beta

from sim.config import PLAN_TERMS, RunConfig

SCORE_MIN, SCORE_MAX = 300.0, 900.0


def willingness(mean: float, concentration: float, u: np.ndarray) -> np.ndarray:
    """Beta(mean * concentration, (1 - mean) * concentration) willingness, by inverse CDF.

    Taking one uniform ``u`` per borrower whatever the parameters (even when the Beta
    degenerates to a point at mean 0 or 1) keeps the traits drawn after willingness the
    same when the willingness parameters change. With the same uniforms a higher mean
    never lowers anyone's willingness: the Beta grows stochastically with its mean.
    """
    a, b = mean * concentration, (1.0 - mean) * concentration
    if b <= 0.0:
        return np.ones_like(u)
    if a <= 0.0:
        return np.zeros_like(u)
    return beta.ppf(u, a, b)


class BorrowerPool:
    """Traits and state of ``capacity`` borrower slots; slots are onboarded in order.

    Traits are drawn for every slot at creation from the ``traits`` stream, so a given
    borrower is the same person whatever the policy or the onboarding pace.
    """

    def __init__(self, config: RunConfig, capacity: int, rng: np.random.Generator):
        inc, rep = config.income, config.repayment
        self.config = config
        self.capacity = capacity
        z_income = rng.standard_normal(capacity)
        z_risk = -0.5 * z_income + np.sqrt(0.75) * rng.standard_normal(capacity)
        self.permanent_income = inc.median_monthly * np.exp(inc.dispersion * z_income)
        s = inc.job_loss_dispersion
        self.job_risk = np.exp(s * z_risk - 0.5 * s * s)  # mean 1, higher for low income
        self.willingness = willingness(rep.willingness_mean, rep.willingness_concentration,
                                       rng.random(capacity))
        self.autopay = rng.random(capacity) < rep.autopay_share
        self.spend_trait = np.exp(0.5 * config.spending.dispersion * rng.standard_normal(capacity))
        sc = config.score
        w_z = (self.willingness - self.willingness.mean()) / max(self.willingness.std(), 1e-12)
        noise = rng.standard_normal(capacity)
        self.score = np.clip(
            sc.initial_mean + sc.initial_sd * (0.5 * w_z + 0.3 * z_income + 0.81 * noise),
            SCORE_MIN,
            SCORE_MAX,
        )
        self.savings = self.permanent_income * rng.exponential(
            max(inc.initial_savings_months, 1e-12), capacity
        )
        self.employed = np.ones(capacity, dtype=bool)
        self.nudged = np.zeros(capacity, dtype=bool)  # reached by borrower education
        self.reminded = np.zeros(capacity, dtype=bool)  # reminded before this due date
        self.income = self.permanent_income.copy()

    # -- income, employment, expenses -----------------------------------------------------
    def step_income(self, n: int, unemployment: float, rng: np.random.Generator) -> None:
        """Move borrowers 0..n-1 through one month of jobs, income, expenses and saving.

        The monthly job-loss hazard is ``reemployment_hazard * u / (1 - u)`` times the
        borrower's relative risk: with equal hazards the borrowers' unemployment rate
        settles at the macro rate ``u``.
        """
        inc = self.config.income
        draws = rng.random((3, n))
        shock = rng.standard_normal(n)
        employed = self.employed[:n]
        perm = self.permanent_income[:n]
        if inc.shocks:
            hazard = np.minimum(
                inc.reemployment_hazard * unemployment / (1.0 - unemployment) * self.job_risk[:n],
                1.0,
            )
            lose = employed & (draws[0] < hazard)
            find = ~employed & (draws[1] < inc.reemployment_hazard)
            employed ^= lose | find
            transitory = np.exp(inc.transitory_sd * shock - 0.5 * inc.transitory_sd**2)
            self.income[:n] = np.where(employed, perm * transitory, perm * inc.replacement_rate)
            # given a shock, draws[2] / p is uniform: its -log is the exponential size
            p_shock = max(inc.expense_shock_prob, 1e-300)
            hit = draws[2] < p_shock
            size = -np.log(np.where(hit, draws[2] / p_shock, 1.0))
            expense = hit * perm * inc.expense_shock_months * size
        else:
            expense = 0.0
        cash = self.savings[:n] + self.income[:n] - inc.essential_share * perm - expense
        self.savings[:n] = np.clip(cash, 0.0, inc.savings_cap_months * perm)

    # -- spending --------------------------------------------------------------------------
    def desired_purchases(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Cents each borrower 0..n-1 wants to put on the line this month (before limits).

        Borrowers with less than a month of income saved spend ``stress_multiplier``
        times more on the line: it has become their liquidity buffer.
        """
        sp = self.config.spending
        buy = rng.random(n) < sp.purchase_prob
        noise = np.exp(0.5 * sp.dispersion * rng.standard_normal(n))
        stressed = self.savings[:n] < self.permanent_income[:n]
        extra = (sp.stress_multiplier - 1.0) * np.where(
            self.nudged[:n], 1.0 - self.config.nudges.overborrow_reduction, 1.0)
        boost = np.where(stressed, 1.0 + extra, 1.0)
        amount = sp.share_of_income * self.income[:n] * self.spend_trait[:n] * noise * boost
        return np.where(buy, np.floor(amount * 100.0), 0).astype(np.int64)

    def choose_plan(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Plan term (0 = pay in full, or 3/6/12 months) chosen by borrowers 0..n-1.

        Borrowers with less than a month of income saved tilt towards instalments by the
        odds multiplier ``spending.stress_tilt``.
        """
        sp = self.config.spending
        u = rng.random(n)
        terms = np.array(PLAN_TERMS)
        weights = np.array([sp.plan_mix.get(t, 0.0) for t in PLAN_TERMS])
        tilted = weights * np.where(terms > 0, sp.stress_tilt, 1.0)
        stressed = self.savings[:n] < self.permanent_income[:n]
        last = len(terms) - 1
        # the plan is the number of cumulative shares at or below u, as
        # np.searchsorted(cdf, u, side="right") counts them, by one comparison per plan
        cdf_calm = np.cumsum(weights) / weights.sum()
        cdf_stressed = np.cumsum(tilted) / tilted.sum()
        pick = np.zeros(n, dtype=np.int64)
        for calm, tense in zip(cdf_calm, cdf_stressed, strict=True):
            pick += u >= np.where(stressed, tense, calm)
        return terms[np.minimum(pick, last)]

    # -- paying ----------------------------------------------------------------------------
    def payments(self, owed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Cents each borrower 0..len(owed)-1 pays against ``owed`` at the due date.

        Structural model: a borrower who forgets (unless on autopay; less often when
        educated or reminded before the due date) or is unwilling
        pays nothing; otherwise pays what is owed, or, short of cash, the share
        ``max_cash_share`` of cash on hand when partial payments are allowed. Bernoulli
        model: all or nothing, missing with probability ``miss_prob``.
        """
        rep = self.config.repayment
        n = owed.shape[0]
        draws = rng.random((2, n))
        if rep.model == "bernoulli":
            return np.where(draws[0] < rep.miss_prob, 0, owed)
        forget = rep.forget_prob * np.where(
            self.nudged[:n], 1.0 - self.config.nudges.forget_reduction, 1.0)
        forget *= np.where(self.reminded[:n],
                           1.0 - self.config.early_warning.reminder_effect, 1.0)
        self.reminded[:n] = False
        forgot = ~self.autopay[:n] & (draws[0] < forget)
        unwilling = draws[1] >= self.willingness[:n]
        capacity = np.floor(self.savings[:n] * rep.max_cash_share * 100.0).astype(np.int64)
        pay = np.minimum(owed, capacity)
        if not rep.partial_payments:
            pay = np.where(capacity >= owed, owed, 0)
        pay = np.where(forgot | unwilling, 0, pay)
        self.savings[:n] -= pay / 100.0
        return pay

    def update_score(self, paid_on_time: np.ndarray, missed: np.ndarray, cured: np.ndarray) -> None:
        """Move the behaviour score of borrowers 0..len(missed)-1 with this due date's outcome."""
        sc = self.config.score
        n = missed.shape[0]
        delta = sc.on_time_gain * paid_on_time - sc.missed_loss * missed + sc.cure_gain * cured
        self.score[:n] = np.clip(self.score[:n] + delta, SCORE_MIN, SCORE_MAX)

