"""One borrower: traits drawn once, a month of income and spending, and paying a bill.

Plain Python, one borrower at a time: the readable statement of the rules that
:class:`sim.agents.borrowers.BorrowerPool` applies to every borrower at once. Each
borrower reads its own element of the arrays the path draws for every event (see
:mod:`sim.reference.draws`), so its luck is the one it has in the vectorised engine.
Transcendental functions are taken from numpy on scalars, the same routines the
vectorised engine applies elementwise, so both engines compute the same bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtri

from sim.agents.willingness import willingness
from sim.config import BORROWER_TYPES, PLAN_TERMS, RunConfig
from sim.reference.account import Account

SCORE_MIN, SCORE_MAX = 300.0, 900.0
RELIABLE, DISORGANISED, CONSTRAINED, UNWILLING, FIRST_PAYMENT_DEFAULT = range(len(BORROWER_TYPES))
BUST_OUT_CENTS = 10**12  # a first-payment defaulter wants all the line can give


class Population:
    """The traits of every borrower slot of a path, drawn once from the ``traits`` stream.

    The draws are whole arrays, in this order: income z, risk noise, willingness
    uniform, autopay uniform, spending-trait z, score z, savings uniform, type
    uniform, arrears uniform, jobless-at-onboarding uniform. One statistic couples
    borrowers: the score's willingness term is the willingness standardised over all slots
    (mean and s.d. of the population).
    """

    def __init__(self, config: RunConfig, capacity: int, rng: np.random.Generator):
        rep = config.repayment
        self.z_income = rng.standard_normal(capacity)
        self.z_other = rng.standard_normal(capacity)
        self.u_willing = rng.random(capacity)
        self.u_autopay = rng.random(capacity)
        self.z_spend = rng.standard_normal(capacity)
        self.z_score = rng.standard_normal(capacity)
        self.u_savings = rng.random(capacity)
        self.u_type = rng.random(capacity)
        self.u_arrears = rng.random(capacity)
        self.u_jobless = rng.random(capacity)
        # Beta(mean x concentration, (1 - mean) x concentration) by inverse CDF: the vectorised
        # engine's function (a numerical inverse to u-error 1e-14 where it can be set up,
        # else betaincinv), so that both engines give every borrower the same trait
        self.willingness = willingness(rep.willingness_mean, rep.willingness_concentration,
                                       self.u_willing)
        self.w_mean = self.willingness.mean()
        self.w_sd = max(self.willingness.std(), 1e-12)


_PLAN_CDFS: dict[int, tuple] = {}


def plan_cdfs(config: RunConfig) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Cumulative plan shares (calm, stressed) in the order of :data:`PLAN_TERMS`."""
    sp = config.spending
    cached = _PLAN_CDFS.get(id(sp))
    if cached is not None and cached[0] is sp:
        return cached[1]
    terms = np.array(PLAN_TERMS)
    weights = np.array([sp.plan_mix.get(t, 0.0) for t in PLAN_TERMS])
    tilted = weights * np.where(terms > 0, sp.stress_tilt, 1.0)
    cdfs = (tuple((np.cumsum(weights) / weights.sum()).tolist()),
            tuple((np.cumsum(tilted) / tilted.sum()).tolist()))
    _PLAN_CDFS[id(sp)] = (sp, cdfs)
    return cdfs


@dataclass
class Borrower:
    """Traits and state of one borrower and their credit line.

    Traits (``income.*``, ``repayment.*``, ``score.*``, ``spending.dispersion``):
    permanent income ``median_monthly * exp(dispersion * z)``, job-loss risk, willingness,
    autopay, spending trait, type (why they are late), savings cap.
    """

    slot: int
    kind: int
    permanent_income: float
    job_risk: float
    willingness: float
    autopay: bool
    spend_trait: float
    score: float
    savings: float
    savings_cap: float
    account: Account
    income: float = 0.0
    employed: bool = True
    months_unemployed: int = 0
    escalated: bool = False
    stretch: float = 0.0
    arrangement_until: int = -1
    plan_instalment: int = 0  # cents a month under an arrangement (its minimum payment)
    disposable: float = 0.0  # this month's income less essentials, at least 0
    room_months: float = 0.0  # debts elsewhere can take for the line (set with the income)
    expense: float = 0.0  # this month's sudden expense (currency units; 0: none)
    jobless_draw: float = 1.0  # out of work at onboarding below the chance of it
    fresh: bool = True  # before the first month of income
    nudged_month: int = -1
    reminded: bool = False
    # the platform's view of the line
    limit: int = 0
    active: bool = True
    onboard_month: int = 0
    chargeoff_month: int = -1
    accelerated: bool = False
    on_time_streak: int = 0
    recent_missed: float = 0.0
    recent_cut: float = 0.0
    extra: dict = field(default_factory=dict)
    file: Any = None  # the collections desk's file on the borrower (CollectionFile)

    @classmethod
    def from_population(cls, config: RunConfig, pop: Population, i: int,
                        account: Account) -> Borrower:
        """Borrower ``i``'s traits from the population's draws (see ``BorrowerPool``)."""
        inc, rep, sc = config.income, config.repayment, config.score
        z = float(pop.z_income[i])
        z_risk = -0.5 * z + np.sqrt(0.75) * float(pop.z_other[i])
        s = inc.job_loss_dispersion
        w_z = (float(pop.willingness[i]) - pop.w_mean) / pop.w_sd
        noise = float(pop.z_score[i])
        score = sc.initial_mean + sc.initial_sd * (0.5 * w_z + 0.3 * z + 0.81 * noise)
        cdf = np.cumsum(rep.types.shares())
        kind = min(int(np.searchsorted(cdf, pop.u_type[i], side="right")), len(BORROWER_TYPES) - 1)
        perm = float(inc.median_monthly * np.exp(inc.dispersion * z))
        u_sav = float(pop.u_savings[i])
        if kind == CONSTRAINED:  # hand-to-mouth: uniform below the constrained buffer
            buffer, cap = u_sav * rep.constrained_savings_months, rep.constrained_savings_months
        else:  # exponential buffer with mean income.initial_savings_months
            buffer = float(-np.log1p(-u_sav)) * max(inc.initial_savings_months, 1e-12)
            cap = inc.savings_cap_months
        u_arr, share = float(pop.u_arrears[i]), inc.initial_arrears_share
        if u_arr < share:  # arrives in arrears elsewhere: debts uniform down to the limit
            buffer = -(u_arr / share) * inc.other_debt_limit_months
        return cls(
            slot=i, kind=kind, permanent_income=perm,
            job_risk=float(np.exp(s * z_risk - 0.5 * s * s)),
            willingness=float(pop.willingness[i]),
            autopay=bool(pop.u_autopay[i] < rep.autopay_share),
            spend_trait=float(np.exp(0.5 * config.spending.dispersion * float(pop.z_spend[i]))),
            score=min(max(score, SCORE_MIN), SCORE_MAX),
            savings=perm * buffer, savings_cap=cap, account=account, income=perm,
            jobless_draw=float(pop.u_jobless[i]), room_months=float(inc.other_debt_limit_months))

    @property
    def type_name(self) -> str:
        return BORROWER_TYPES[self.kind]

    def nudge_effect(self, config: RunConfig, month: int) -> float:
        """Share of the education effect left (``nudges.decay_months``), 0 if never reached."""
        if self.nudged_month < 0:
            return 0.0
        since = max(month - self.nudged_month, 0)
        return float(np.exp(-since / config.nudges.decay_months))

    # -- a month of income -------------------------------------------------------------------
    def step_income(self, config: RunConfig, u: float, u_base: float, loss: float,
                    d_loss: float, d_find: float, d_expense: float, shock: float,
                    aside: float = 0.0) -> None:
        """One month of job, income, expenses and saving.

        In the first month the borrower is out of work, already ``elapsed_spell_months``
        into a spell, when ``jobless_draw`` is below ``onboarding_unemployed_prob``, with
        the savings that spell used up (``spell_cost_months``) gone, down to
        ``-other_debt_limit_months`` (never below the savings they came with).

        Employed: lose the job when ``d_loss < loss * job_risk`` (``loss`` the hazard that
        carries the borrowers' unemployment rate, ``u_base + cyclical_sensitivity * (u -
        u_base)``, along the macro path: ``IncomeConfig.job_loss``).
        Unemployed: find one when ``d_find < income.job_finding(spell, u)``, at ``1 -
        reemployment_income_loss`` of the old permanent income. Income: permanent x a log-
        normal transitory shock (``transitory_sd``) at work; ``replacement_rate`` for
        ``benefit_months`` of a spell, then ``assistance_rate``. Essentials
        ``essential_share`` (constrained: ``repayment.constrained_essential_share``) of
        permanent income, cut by ``consumption_cut_benefits`` /
        ``consumption_cut_exhausted`` while unemployed.
        An expense shock (chance ``expense_shock_prob``) costs an exponential amount with
        mean ``expense_shock_months`` of income. Savings stay between
        ``-other_debt_limit_months`` and the savings cap, in months of permanent income,
        plus ``aside`` (money kept for the month's bill: ``repayment.buffer_after_bill``).
        """
        inc = config.income
        cut, expense = 0.0, 0.0
        if inc.shocks and self.fresh:  # the first month: out of work below the chance
            p = float(inc.onboarding_unemployed_prob(self.job_risk, u, u_base))
            if self.jobless_draw < p:
                self.employed = False
                v = self.jobless_draw / max(p, 1e-300)
                self.months_unemployed = int(inc.elapsed_spell_months(v, u, u_base))
                perm = self.permanent_income
                share = (config.repayment.constrained_essential_share
                         if self.kind == CONSTRAINED else inc.essential_share)
                spent = perm * float(inc.spell_cost_months(self.months_unemployed, share))
                floor = -inc.other_debt_limit_months * perm
                self.savings = max(self.savings - spent, min(self.savings, floor))
        self.fresh = False
        if inc.shocks:
            if self.employed:
                if d_loss < min(loss * self.job_risk, 1.0):
                    self.employed = False
            elif d_find < float(inc.job_finding(self.months_unemployed, u, u_base)):
                self.employed = True
                self.permanent_income *= 1.0 - inc.reemployment_income_loss
            perm = self.permanent_income
            self.months_unemployed = 0 if self.employed else self.months_unemployed + 1
            on_benefit = self.months_unemployed <= inc.benefit_months
            if self.employed:
                sd = inc.transitory_sd
                self.income = perm * float(np.exp(sd * shock - 0.5 * sd**2))
            else:
                self.income = perm * (inc.replacement_rate if on_benefit else inc.assistance_rate)
                cut = inc.consumption_cut_benefits if on_benefit else inc.consumption_cut_exhausted
            p_shock = max(inc.expense_shock_prob, 1e-300)
            if d_expense < p_shock:  # given a shock, d_expense / p is uniform
                size = float(-np.log(d_expense / p_shock))
                expense = perm * inc.expense_shock_months * size
        self.room_months = inc.other_debt_room_months(u, u_base)
        perm = self.permanent_income
        share = (config.repayment.constrained_essential_share if self.kind == CONSTRAINED
                 else inc.essential_share)
        essentials = share * perm * (1.0 - cut)
        self.disposable = max(self.income - essentials, 0.0)
        cash = self.savings + self.income - essentials - expense
        self.expense = expense
        self.savings = min(max(cash, -inc.other_debt_limit_months * perm),
                           self.savings_cap * perm + aside)

    # -- spending ----------------------------------------------------------------------------
    def desired_purchase(self, config: RunConfig, month: int, d_buy: float, z_noise: float) -> int:
        """Cents wanted on the line this month: with chance ``spending.purchase_prob``,
        ``share_of_income`` x income x spending trait x noise, times ``stress_multiplier``
        (less the education effect) when savings are below a month of permanent income.
        A first-payment defaulter wants everything."""
        if self.kind == FIRST_PAYMENT_DEFAULT:
            return BUST_OUT_CENTS
        sp = config.spending
        if not d_buy < sp.purchase_prob:
            return 0
        noise = float(np.exp(0.5 * sp.dispersion * z_noise))
        boost = 1.0
        if self.savings < self.permanent_income:
            boost = 1.0 + (sp.stress_multiplier - 1.0) * (
                1.0 - config.nudges.overborrow_reduction * self.nudge_effect(config, month))
        amount = sp.share_of_income * self.income * self.spend_trait * noise * boost
        return int(math.floor(amount * 100.0))

    def choose_plan(self, config: RunConfig, d_plan: float) -> int:
        """Plan term by ``spending.plan_mix``; instalment odds x ``stress_tilt`` when stressed
        (savings below a month of permanent income): the number of cumulative shares at or
        below ``d_plan``."""
        calm, stressed = plan_cdfs(config)
        cdf = stressed if self.savings < self.permanent_income else calm
        pick = sum(1 for c in cdf if d_plan >= c)
        return PLAN_TERMS[min(pick, len(PLAN_TERMS) - 1)]

    # -- paying ------------------------------------------------------------------------------
    def cash_for_bill(self, config: RunConfig, share: float, stretch: float) -> int:
        """Cents the borrower can put to the line: ``share`` of positive savings plus what an
        arrangement moves up the payment hierarchy (``stretch`` months of permanent income,
        at most what is affordable: the month's income less essentials, unless
        ``repayment.stretch_within_income`` is false), never beyond debts of
        ``room_months`` of permanent income (``other_debt_limit_months`` scaled by the
        month's credit supply, ``IncomeConfig.other_debt_room_months``)."""
        moved = stretch * self.permanent_income
        if config.repayment.stretch_within_income:
            moved = min(moved, self.disposable)
        cash = min(max(self.savings, 0.0) * share + moved, self.debt_room())
        return int(math.floor(cash * 100.0))

    def debt_room(self) -> float:
        """What debts elsewhere can still take: savings down to ``room_months`` of permanent
        income below zero, at least 0 (currency units)."""
        return max(self.savings + self.room_months * self.permanent_income, 0.0)

    def income_for_bill(self) -> int:
        """Cents the month's income less essentials can put towards a current bill before
        debts elsewhere are repaid, within the room those debts leave
        (``repayment.current_bill_from_income``)."""
        return int(math.floor(min(self.disposable, self.debt_room()) * 100.0))

    def decide_payment(self, config: RunConfig, month: int, owed: int, delinquent: bool,
                       d_forget: float, d_wobble: float) -> int:
        """Cents paid at the due date against ``owed`` (structural model).

        Forgets (unless on autopay) with ``forget_prob`` (``disorganised_forget_prob``),
        less by education and by an early-warning reminder; refuses when willingness plus
        a N(0, ``willingness_wobble_sd``) wobble is below 0.5, when unwilling, late and not
        escalated, and always when a first-payment defaulter. Else pays what is owed or,
        short, as much as cash allows (``max_cash_share`` of savings, all when reminded;
        on a current account without an arrangement, the month's income less essentials
        if that is more: :meth:`income_for_bill`);
        without ``partial_payments`` only whole bills. Bernoulli model: misses with
        ``miss_prob``.
        """
        rep = config.repayment
        if rep.model == "bernoulli":
            return 0 if d_forget < rep.miss_prob else owed
        forget = rep.disorganised_forget_prob if self.kind == DISORGANISED else rep.forget_prob
        forget = forget * (1.0 - config.nudges.forget_reduction
                           * self.nudge_effect(config, month))
        reminded, self.reminded = self.reminded, False
        if reminded:
            forget *= 1.0 - config.early_warning.reminder_effect
        forgot = not self.autopay and d_forget < forget
        wobble = rep.willingness_wobble_sd * float(ndtri(min(max(d_wobble, 1e-12), 1 - 1e-12)))
        refuses = (self.willingness + wobble < 0.5
                   or (self.kind == UNWILLING and delinquent and not self.escalated)
                   or self.kind == FIRST_PAYMENT_DEFAULT)
        in_plan = self.arrangement_until >= month
        stretch = self.stretch if in_plan else 0.0
        capacity = self.cash_for_bill(config, 1.0 if reminded else rep.max_cash_share, stretch)
        if rep.current_bill_from_income and not delinquent and not in_plan:
            capacity = max(capacity, self.income_for_bill())
        pay = min(owed, capacity)
        if not rep.partial_payments and pay < owed:
            pay = self.account.whole_bills(pay)
        pay = 0 if forgot or refuses else pay
        self.spend(pay, 1.0 if reminded else rep.max_cash_share)
        return pay

    def spend(self, paid: int, share: float) -> None:
        """Book a payment of ``paid`` cents made with :meth:`cash_for_bill` at ``share``:
        savings fall by it, and what it took beyond that share of savings is used up from
        the month's affordable amount (``disposable`` is a monthly budget, however many
        times the borrower pays in the month)."""
        amount = paid / 100.0
        beyond = max(amount - max(self.savings, 0.0) * share, 0.0)
        self.disposable = max(self.disposable - beyond, 0.0)
        self.savings -= amount

    def update_score(self, config: RunConfig, on_time: bool, missed: bool, cured: bool) -> None:
        """Score + ``on_time_gain`` / - ``missed_loss`` / + ``cure_gain``, within 300..900."""
        sc = config.score
        delta = (sc.on_time_gain if on_time else 0.0) - (sc.missed_loss if missed else 0.0) \
            + (sc.cure_gain if cured else 0.0)
        self.score = min(max(self.score + delta, SCORE_MIN), SCORE_MAX)
