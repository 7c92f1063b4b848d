"""Borrowers as vectors: one numpy array per trait or state variable, one slot per borrower.

Each borrower has a persistent reason to be late, a type drawn once: reliable (late only
when a shock leaves no cash), disorganised (forgets unless reminded or on autopay),
liquidity-constrained (hand-to-mouth: pays when cash comes in), unwilling (keeps paying
while current, but once late pays only after escalation) or a first-payment defaulter
(draws the line and never pays). Each earns a permanent income times a transitory
shock, loses jobs with a hazard tied to the macro unemployment rate and finds them with
a hazard that falls with the spell's length and with the macro rate; benefits end;
essential spending is cut while unemployed; re-employment may pay less. Borrowers meet
sudden expenses, keep a savings buffer, buy on the credit line and pick a repayment
plan, and pay bills as far as cash (ability), willingness and attention allow.
All borrowers of a pool are stepped together; every step draws a full-length random
array from its own stream, so a borrower's draws never depend on what the platform did
to anyone else (common random numbers across policies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.agents.willingness import (  # noqa: F401 - the trait's names, kept importable here
    PINV_ERROR_POINTS,
    PINV_MIN_DRAWS,
    PINV_PDF_CALLS,
    WILLINGNESS_U_RESOLUTION,
    WOBBLE_U_MIN,
    beta_inverse,
    willingness,
    wobble_matters_below,
)
from sim.config import (
    BORROWER_TYPES,
    CHANNELS,
    PLAN_TERMS,
    IncomeConfig,
    NudgeConfig,
    RepaymentConfig,
    RunConfig,
    ScoreConfig,
    SpendingConfig,
)
from sim.kernels.layout import BillArrays, no_bills
from sim.streams import pcg64, row_streams, skip

SCORE_MIN, SCORE_MAX = 300.0, 900.0
RELIABLE, DISORGANISED, CONSTRAINED, UNWILLING, FIRST_PAYMENT_DEFAULT = range(len(BORROWER_TYPES))
BUST_OUT_CENTS = 10**12  # a first-payment defaulter wants all the line can give
PaymentRules = tuple[float, float, float, float, float, float, float, bool, bool, int, int, int,
                     int, bool, bool]
"""The ``rules`` of :func:`sim.kernels.payments.pay_one`."""
PaymentInputs = tuple[PaymentRules, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                      np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                      np.ndarray]
"""What :meth:`BorrowerPool.payment_inputs` returns: the rules, then 12 arrays."""
WishInputs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                   tuple[float, float, float, float], int, int, tuple[float, ...],
                   tuple[float, ...], np.ndarray]
"""What :meth:`BorrowerPool.wish_inputs` returns: six arrays, the rules, the bust-out type
and cents, the calm and stressed plan shares and the plan terms."""


@dataclass(frozen=True)
class BorrowerRules:
    """The parts of a run's config that decide how borrowers behave.

    Attributes:
        income: income, jobs, expenses and savings.
        repayment: borrower types, willingness, attention and the repayment model.
        spending: purchases on the line and the choice of plan.
        score: the behaviour score's start and moves.
        nudges: how education changes forgetting and over-borrowing, and how it fades.
        unemployment_base: the macro unemployment rate at which job hazards are at their
            base values (a share, e.g. 0.05).
        reminder_effect: share by which an early-warning reminder cuts forgetting.
        arrangement_stretch: months of permanent income an arrangement moves up the payment
            hierarchy, by collection channel (:meth:`CollectionsConfig.stretch_by_channel`;
            empty: no channel makes arrangements).
    """

    income: IncomeConfig
    repayment: RepaymentConfig
    spending: SpendingConfig
    score: ScoreConfig
    nudges: NudgeConfig
    unemployment_base: float
    reminder_effect: float
    arrangement_stretch: tuple[float, ...] = ()

    @classmethod
    def of(cls, config: RunConfig) -> BorrowerRules:
        """The borrower rules of a whole run's config."""
        return cls(config.income, config.repayment, config.spending, config.score,
                   config.nudges, config.macro.unemployment_base,
                   config.early_warning.reminder_effect,
                   config.collections.stretch_by_channel())


class BorrowerPool:
    """Traits and state of ``capacity`` borrower slots; slots are onboarded in order.

    Traits are drawn for every slot at creation from the ``traits`` stream, so a given
    borrower is the same person whatever the policy or the onboarding pace.

    Attributes (one entry per slot):
        kind: index into :data:`sim.config.BORROWER_TYPES`.
        willingness: the willingness trait (Beta); paid when trait + wobble >= 0.5.
        escalated: an unwilling borrower moved to pay by an escalation contact (cleared
            when the account is current again).
        plan_channel, arrangement_until, plan_instalment: a collector's repayment
            arrangement: the collection channel it was made on (an index into
            :data:`sim.config.CHANNELS`, -1: none), whose ``stretch_months`` of permanent
            income it moves up the borrower's payment hierarchy at each due date (at most
            what is affordable, see :meth:`cash_for_bill`; :attr:`stretch`), the last month
            it lasts (-1: none), and its instalment in cents (the balance when it was
            agreed over its months; paying at least that counts towards a re-age).
        disposable: income less essentials this month (currency units, at least 0).
        months_unemployed: length of the current spell (0 while employed).
        nudged_month: month education reached the borrower (-1: never).
    """

    def __init__(self, rules: BorrowerRules, capacity: int, rng: np.random.Generator):
        """Draw the traits of ``capacity`` slots from ``rng`` (the path's traits stream).

        Args:
            rules: the config sections borrowers follow (:meth:`BorrowerRules.of` picks
                them from a run's config).
            capacity: number of borrower slots.
            rng: the traits stream (PCG64, as ``np.random.default_rng`` makes); it is drawn
                in a fixed order, whatever the rules.
        """
        inc, rep = rules.income, rules.repayment
        self.rules = rules
        self.capacity = capacity
        z_income = rng.standard_normal(capacity)
        z_risk = -0.5 * z_income + np.sqrt(0.75) * rng.standard_normal(capacity)
        self.permanent_income = inc.median_monthly * np.exp(inc.dispersion * z_income)
        s = inc.job_loss_dispersion
        self.job_risk = np.exp(s * z_risk - 0.5 * s * s)  # mean 1, higher for low income
        self.willingness = willingness(rep.willingness_mean, rep.willingness_concentration,
                                       rng.random(capacity))
        self.autopay = rng.random(capacity) < rep.autopay_share
        self.spend_trait = np.exp(0.5 * rules.spending.dispersion * rng.standard_normal(capacity))
        sc = rules.score
        w_z = (self.willingness - self.willingness.mean()) / max(self.willingness.std(), 1e-12)
        noise = rng.standard_normal(capacity)
        self.score = np.clip(
            sc.initial_mean + sc.initial_sd * (0.5 * w_z + 0.3 * z_income + 0.81 * noise),
            SCORE_MIN,
            SCORE_MAX,
        )
        u_savings = rng.random(capacity)
        cdf = np.cumsum(rep.types.shares())
        self.kind = np.minimum(np.searchsorted(cdf, rng.random(capacity), side="right"),
                               len(BORROWER_TYPES) - 1).astype(np.int8)
        constrained = self.kind == CONSTRAINED
        # by inverse CDF: exponential buffer, or uniform below the hand-to-mouth line
        buffer = -np.log1p(-u_savings) * max(inc.initial_savings_months, 1e-12)
        buffer = np.where(constrained, u_savings * rep.constrained_savings_months, buffer)
        # applicants in arrears elsewhere start with debts elsewhere, uniform down to the
        # limit (by inverse CDF of one uniform: below the share, u / share is uniform)
        u_arrears = rng.random(capacity)
        share = inc.initial_arrears_share
        arrears = u_arrears < share
        depth = u_arrears / max(share, 1e-300)  # uniform on (0, 1) where in arrears
        buffer = np.where(arrears, -depth * inc.other_debt_limit_months, buffer)
        self.savings = self.permanent_income * buffer
        # out of work at onboarding below the chance of it (step_income), drawn last so
        # that the traits above keep their draws: one uniform a slot, read again from the
        # stream when the slot is onboarded (:meth:`jobless_draws`) instead of being kept
        stream = rng.bit_generator
        if not isinstance(stream, np.random.PCG64):
            raise TypeError(f"the traits stream must be PCG64 (np.random.default_rng), "
                            f"not {type(stream).__name__}")
        self._jobless_stream = stream.state
        stream.advance(capacity)  # as drawing them all would
        self.onboarded = 0  # slots below have had their first month of income
        self._expenses = (np.zeros(0, dtype=np.int64), np.zeros(0))  # the month's: slots, sizes
        self.employed = np.ones(capacity, dtype=bool)
        self.months_unemployed = np.zeros(capacity, dtype=np.int16)
        self.escalated = np.zeros(capacity, dtype=bool)
        # the channel of a collector's plan; what it moves up is its channel's stretch
        self.plan_channel = np.full(capacity, -1, dtype=np.int8)
        self.channel_stretch = np.zeros(len(CHANNELS))
        self.channel_stretch[:len(rules.arrangement_stretch)] = rules.arrangement_stretch
        # months stop before book.horizon_months (at most 240), a plan's end at most
        # arrangement_months (24) later; an instalment is at most the balance, which the
        # ledger keeps below sim.ledger.MAX_ACCOUNT_CENTS (int32)
        self.arrangement_until = np.full(capacity, -1, dtype=np.int16)  # last month of a plan
        self.plan_instalment = np.zeros(capacity, dtype=np.int32)  # cents due a month in a plan
        self.nudged_month = np.full(capacity, -1, dtype=np.int16)  # reached by education
        self.reminded = np.zeros(capacity, dtype=bool)  # reminded before this due date
        self.income = self.permanent_income.copy()
        self.disposable = np.zeros(capacity)  # income less essentials this month, >= 0
        self.month = 0
        # months of permanent income debts elsewhere can take for the line this month
        # (IncomeConfig.other_debt_room_months; set with each month's income)
        self.room_months = float(rules.income.other_debt_limit_months)
        # generators put where a stream's later blocks of draws start (sim.streams), kept
        # for the path: a new one seeds itself from the system's entropy (about 10 us) only
        # for its state to be replaced
        self._spares = tuple(np.random.Generator(np.random.PCG64(0)) for _ in range(3))

    @property
    def stretch(self) -> np.ndarray:
        """(capacity,) months of permanent income each slot's arrangement moves up (its
        channel's ``stretch_months``; 0 with no arrangement ever made)."""
        return np.where(self.plan_channel >= 0, self.channel_stretch[self.plan_channel], 0.0)

    @property
    def nudged(self) -> np.ndarray:
        """Whether each slot was reached by borrower education."""
        return self.nudged_month >= 0

    def nudge_effect(self, n: int) -> np.ndarray:
        """Share of the education effect left this month for borrowers 0..n-1 (0 if none)."""
        nudged = self.nudged_month[:n]
        effect = np.zeros(n)
        idx = np.flatnonzero(nudged >= 0)  # the exponential only where it is used
        if idx.size:
            since = self.month - nudged[idx]
            effect[idx] = np.exp(-np.maximum(since, 0) / self.rules.nudges.decay_months)
        return effect

    # -- income, employment, expenses -----------------------------------------------------
    @property
    def savings_cap(self) -> np.ndarray:
        """(capacity,) largest savings of each borrower, months of permanent income:
        ``repayment.constrained_savings_months`` for the constrained type,
        ``income.savings_cap_months`` for the others. Read from the type, not stored."""
        others, constrained = self._savings_caps()
        return np.where(self.kind == CONSTRAINED, constrained, others)

    def _savings_caps(self) -> np.ndarray:
        """(2,) the savings caps of :func:`sim.kernels.income.step_incomes`: the others', then
        the constrained type's, in months of permanent income."""
        return np.array([self.rules.income.savings_cap_months,
                         self.rules.repayment.constrained_savings_months], dtype=np.float64)

    def step_income(self, n: int, unemployment: float, rng: np.random.Generator,
                    unemployment_next: float | None = None,
                    aside: np.ndarray | None = None) -> None:
        """Move borrowers 0..n-1 through one month of jobs, income, expenses and saving.

        Job finding falls with the spell's length and the macro rate
        (:meth:`IncomeConfig.job_finding`); the job-loss hazard is
        :meth:`IncomeConfig.job_loss` of this month's rate ``u`` and next month's
        (``unemployment_next``, default ``u``) times the borrower's relative risk: the
        inflow that carries the borrowers' unemployment rate along its path, so that with
        equal hazards it follows ``u_base + income.cyclical_sensitivity * (u - u_base)``,
        rising when the macro rate rises.
        Benefits are paid for ``benefit_months`` of a spell, then ``assistance_rate``;
        essentials are cut while unemployed; a spell ends at a lower permanent income.
        The arithmetic is :func:`sim.kernels.income.step_incomes`.

        ``aside``: (n,) money each borrower keeps above the savings cap until the month's
        due date (``repayment.buffer_after_bill``: the bill of a current account); None:
        nothing.

        Draws from ``rng``: (3, n) uniforms (job loss, job finding, sudden expense), then n
        standard normals (the transitory shock), as ``rng.random((3, n))`` then
        ``rng.standard_normal(n)`` would: the uniforms by that call (without
        ``income.shocks``, which reads none, the stream is moved past them:
        :func:`sim.streams.skip`; ``rng`` must then be on PCG64), the normals one at a time
        (:func:`sim.kernels.income.income_draws`).
        """
        from sim.kernels.income import income_draws, step_incomes  # numba loads

        inc = self.rules.income
        if inc.shocks and n > self.onboarded:
            self._onboard_jobs(slice(self.onboarded, n), unemployment)
        self.onboarded = max(self.onboarded, n)
        p_shock = max(inc.expense_shock_prob, 1e-300)
        sd = inc.transitory_sd
        if inc.shocks:
            u = rng.random((3, n))
        else:
            skip(rng, 3 * n)  # as rng.random((3, n)) would
            u = np.empty((3, 0))
        transitory = np.empty(n if inc.shocks else 0)
        income_draws(n, inc.shocks, sd, 0.5 * sd**2, rng, transitory)
        np.exp(transitory, out=transitory)
        # given a shock, the uniform over the chance is uniform: its -log is the exponential
        hit = np.flatnonzero(u[2] < p_shock)
        size = -np.log(u[2, hit] / p_shock)
        self._expenses = (hit, size)
        expense_size = np.zeros(u.shape[1])  # the kernel uses it only where an expense hits
        expense_size[hit] = size
        u_next = unemployment if unemployment_next is None else unemployment_next
        self.room_months = inc.other_debt_room_months(unemployment,
                                                      self.rules.unemployment_base)
        step_incomes(n, inc.shocks, self._income_rules(unemployment, u_next, p_shock),
                     u[0], u[1], u[2], transitory, expense_size, self.employed,
                     self.permanent_income, self.months_unemployed, self.job_risk, self.kind,
                     CONSTRAINED, self.savings, self._savings_caps(), self.income,
                     self.disposable, np.zeros(n) if aside is None else aside)

    def sudden_expenses(self, n: int) -> np.ndarray:
        """(n,) each borrower's sudden expense of the last :meth:`step_income` (currency
        units; 0: none): ``expense_shock_months`` of permanent income times the shock's
        size, as :func:`sim.kernels.income.step_incomes` took it from savings."""
        hit, size = self._expenses
        out = np.zeros(n)
        out[hit] = self.permanent_income[hit] * self.rules.income.expense_shock_months * size
        return out

    def _income_rules(self, u: float, u_next: float, p_shock: float) -> tuple:
        """The ``rules`` of :func:`sim.kernels.income.step_incomes` at this month's macro
        unemployment rate ``u`` (next month's ``u_next``): the job hazards
        (:meth:`IncomeConfig.job_loss`, :meth:`IncomeConfig.job_finding`; none without
        ``income.shocks``) and the budget's parameters."""
        inc, u_base = self.rules.income, self.rules.unemployment_base
        loss = find_short = find_long = 0.0
        if inc.shocks:
            loss = inc.job_loss(u, u_next, u_base)
            find_short, find_long = (float(inc.job_finding(d, u, u_base))
                                     for d in (0, inc.long_term_months))
        return (float(loss), find_short, find_long, int(inc.long_term_months),
                float(inc.reemployment_income_loss), int(inc.benefit_months),
                float(inc.replacement_rate), float(inc.assistance_rate),
                float(inc.consumption_cut_benefits), float(inc.consumption_cut_exhausted),
                float(p_shock), float(inc.expense_shock_months), float(inc.essential_share),
                float(self.rules.repayment.constrained_essential_share),
                float(inc.other_debt_limit_months))

    def jobless_draws(self, slots: slice) -> np.ndarray:
        """The onboarding-unemployment uniforms of ``slots`` (a slice with a start and a
        stop): what ``rng.random(capacity)[slots]`` drew from the traits stream at the pool's
        creation, bit for bit. A double of ``Generator.random`` takes one 64-bit output of
        the PCG64 stream, so slot ``i``'s draw is the stream at that point advanced by
        ``i`` (``BitGenerator.advance``); 8 bytes a slot are not kept for one read."""
        start, stop = slots.start or 0, slots.stop
        out = self._spares[0]  # its state replaced: the draws are made before it is reused
        stream = pcg64(out)
        stream.state = self._jobless_stream
        stream.advance(start)
        return out.random(max(stop - start, 0))

    def _onboard_jobs(self, new: slice, unemployment: float) -> None:
        """Borrowers ``new``, in their first month, are out of work when their onboarding
        draw is below :meth:`IncomeConfig.onboarding_unemployed_prob`, that far into a
        spell (:meth:`IncomeConfig.elapsed_spell_months` of the draw over the chance:
        below the chance it is uniform), with the savings that spell has used up
        (:meth:`IncomeConfig.spell_cost_months`) gone, down to the limit of debts
        elsewhere (never below the savings they came with)."""
        inc, u_base = self.rules.income, self.rules.unemployment_base
        p = inc.onboarding_unemployed_prob(self.job_risk[new], unemployment, u_base)
        v = self.jobless_draws(new)
        out = v < p
        elapsed = inc.elapsed_spell_months(np.where(out, v / np.maximum(p, 1e-300), 0.0),
                                           unemployment, u_base)
        self.employed[new] &= ~out
        self.months_unemployed[new] = np.where(out, elapsed, self.months_unemployed[new])
        # the spell so far has used up savings, down to the limit of debts elsewhere
        perm = self.permanent_income[new]
        share = np.where(self.kind[new] == CONSTRAINED,
                         self.rules.repayment.constrained_essential_share, inc.essential_share)
        spent = perm * inc.spell_cost_months(elapsed, share)
        floor = -inc.other_debt_limit_months * perm
        savings = self.savings[new]
        self.savings[new] = np.where(out, np.maximum(savings - spent, np.minimum(savings, floor)),
                                     savings)

    # -- spending --------------------------------------------------------------------------
    def desired_purchases(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Cents each borrower 0..n-1 wants to put on the line this month (before limits).

        Borrowers with less than a month of income saved spend ``stress_multiplier``
        times more on the line: it has become their liquidity buffer. First-payment
        defaulters want all the line can give. The arithmetic is
        :func:`sim.kernels.spending.desired_one`.

        Draws from ``rng``: n uniforms (whether to buy), then n standard normals (size).
        """
        from sim.kernels.spending import desired_amounts  # numba loads with the first path

        u_buy, noise = self._purchase_draws(n, rng)
        return desired_amounts(u_buy, noise, *self._desire_inputs(n))

    def choose_plan(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Plan term (0 = pay in full, or 3/6/12 months) chosen by borrowers 0..n-1.

        Borrowers with less than a month of income saved tilt towards instalments by the
        odds multiplier ``spending.stress_tilt`` (:func:`sim.kernels.spending.plan_one`).

        Draws from ``rng``: n uniforms.
        """
        from sim.kernels.spending import plan_terms

        u = rng.random(n)
        return plan_terms(u, self.savings[:n], self.permanent_income[:n], *self._plan_mix())

    def purchase_draws(self, n: int, rng: np.random.Generator
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The month's purchase draws of borrowers 0..n-1, those of :meth:`desired_purchases`
        then :meth:`choose_plan`, in blocks for :func:`sim.kernels.spending.buy`: (n,) each,
        the uniforms deciding who buys (``rng.random(n)``), the size noise factors (the
        normals drawn one at a time by :func:`sim.kernels.spending.standard_normals`, the
        numbers of ``rng.standard_normal(n)``; their exponential stays numpy's), and the
        plan uniforms (``rng.random(n)``).

        ``rng`` is left after the three blocks, where numpy's ``random(n)``,
        ``standard_normal(n)``, ``random(n)`` leave it.
        """
        from sim.kernels.spending import standard_normals

        u_buy = rng.random(n)
        z = standard_normals(rng, n)
        u_plan = rng.random(n)
        noise = np.exp(np.multiply(z, 0.5 * self.rules.spending.dispersion, out=z), out=z)
        return u_buy, noise, u_plan

    def wish_inputs(self, n: int) -> WishInputs:
        """The arrays and rules of borrowers 0..n-1 :func:`sim.kernels.spending.buy` reads
        after the draws (``effect`` .. ``terms``); the cumulative plan shares as tuples of
        floats, whose fixed length lets the compiler unroll the plan's choice."""
        calm, stressed, terms = self._plan_mix()
        return (*self._desire_inputs(n), tuple(calm.tolist()), tuple(stressed.tolist()), terms)

    def _purchase_draws(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Uniforms deciding who buys, and the lognormal size noise, of borrowers 0..n-1."""
        u_buy = rng.random(n)
        return u_buy, np.exp(0.5 * self.rules.spending.dispersion * rng.standard_normal(n))

    def _desire_inputs(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                               np.ndarray, np.ndarray,
                                               tuple[float, float, float, float], int, int]:
        """The arrays and rules :func:`sim.kernels.spending.desired_one` reads after the draws."""
        sp = self.rules.spending
        rules = (float(sp.purchase_prob), float(sp.stress_multiplier),
                 float(self.rules.nudges.overborrow_reduction), float(sp.share_of_income))
        return (self.nudge_effect(n), self.savings[:n], self.permanent_income[:n],
                self.income[:n], self.spend_trait[:n], self.kind[:n], rules,
                FIRST_PAYMENT_DEFAULT, BUST_OUT_CENTS)

    def _plan_mix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The calm and the stressed cumulative plan shares, and the plan terms (months)."""
        sp = self.rules.spending
        terms = np.array(PLAN_TERMS, dtype=np.int64)
        weights = np.array([sp.plan_mix.get(t, 0.0) for t in PLAN_TERMS])
        tilted = weights * np.where(terms > 0, sp.stress_tilt, 1.0)
        return (np.cumsum(weights) / weights.sum(), np.cumsum(tilted) / tilted.sum(), terms)

    # -- paying ----------------------------------------------------------------------------
    def payments(self, owed: np.ndarray, rng: np.random.Generator,
                 delinquent: np.ndarray | None = None,
                 bills: tuple[int, BillArrays] | None = None) -> np.ndarray:
        """Cents each borrower 0..len(owed)-1 pays against ``owed`` at the due date.

        Structural model, by type: a borrower who forgets (unless on autopay; less often
        when educated or reminded before the due date) pays nothing; so does one whose
        willingness trait plus the month's wobble is below 0.5, an unwilling borrower
        with an overdue bill (``delinquent``) who has not been escalated, and a
        first-payment defaulter. Otherwise the borrower pays what is owed or, short of
        cash, the share ``max_cash_share`` of cash on hand (all of it when reminded) when
        partial payments are allowed; when they are not, the most that clears whole bills
        given ``bills`` (the month and the ledger's :meth:`sim.ledger.Ledger.bills`),
        else all or nothing. The arithmetic is :func:`sim.kernels.payments.pay_one`.
        Bernoulli model: all or nothing, missing with probability ``miss_prob``.

        Draws from ``rng``: (2, n) uniforms (forgetting or missing, then the wobble).
        """
        from sim.kernels.payments import decide_payments  # numba loads with the first path

        n = owed.shape[0]
        if self.rules.repayment.model == "bernoulli":
            draws = rng.random((2, n))
            return np.where(draws[0] < self.rules.repayment.miss_prob, 0, owed)
        draws, z = self.payment_draws(owed, rng)
        month, book = bills if bills is not None else (self.month, no_bills())
        late = np.zeros(n, dtype=bool) if delinquent is None else delinquent
        return decide_payments(month, owed.astype(np.int64, copy=False), draws, z, late,
                               *self.payment_inputs(n, bills is not None), *book)

    def payment_draws(self, owed: np.ndarray, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
        """The due date's draws of borrowers 0..len(owed)-1: (2, n) uniforms (forgetting,
        then the willingness wobble's), and the wobble's standard normal, by inverse CDF of
        its uniform clipped to ``[WOBBLE_U_MIN, 1 - WOBBLE_U_MIN]``, of the borrowers that
        owe something (``owed > 0``, in order; for the others it cannot change the payment,
        which is 0).

        The normal is taken only where it can decide the payment: a borrower refuses when
        ``willingness + willingness_wobble_sd * z < 0.5``, and ``z`` is at least
        ``ndtri(WOBBLE_U_MIN)`` (-7.03), so a borrower whose willingness is at least
        :func:`wobble_matters_below` refuses for no draw. Such a borrower gets ``z = +inf``
        (never a refusal, as any of its draws), and the inverse CDF, the costliest step of
        the due date's draws, runs for the few others (0.3 % of slots at the shipped
        willingness, a Beta of mean 0.97 and concentration 40). The uniforms are drawn all
        the same, so every later draw is unmoved.
        """
        draws = rng.random((2, owed.shape[0]))
        owing = np.flatnonzero(owed > 0)
        sd = self.rules.repayment.willingness_wobble_sd
        if sd == 0.0:  # w + 0 * z is w: the normal decides nothing
            return draws, np.zeros(owing.size)
        z = np.full(owing.size, np.inf)
        near = np.flatnonzero(self.willingness[owing] < wobble_matters_below(sd))
        z[near] = self.wobble_normals(draws[1, owing[near]])
        return draws, z

    def due_date_draws(self, n: int, rng: np.random.Generator, draw: bool = True
                       ) -> tuple[np.random.Generator, np.random.Generator, float, float]:
        """The draws of :meth:`payment_draws` of borrowers 0..n-1, for a compiled pass that
        makes them itself (:func:`sim.kernels.payments.due_date_payments`): generators at
        the first forgetting uniform and the first wobble uniform (the rows of numpy's
        ``random((2, n))``), the willingness below which an owing borrower's wobble normal
        is taken (:func:`wobble_matters_below`; ``-inf`` when the wobble's s.d. is 0, which
        needs none) and the normal of the others (``+inf``, never a refusal; 0 when the
        s.d. is 0). ``rng`` (PCG64) is left after the 2n uniforms, where numpy leaves it.
        With ``draw`` false (another repayment model decides) nothing is drawn and the
        generators are returned as they are. The normals taken: :meth:`wobble_normals`.
        """
        if not draw:
            return self._spares[0], self._spares[1], -np.inf, 0.0
        forget, wobble = row_streams(rng, n, 2, self._spares)
        sd = self.rules.repayment.willingness_wobble_sd
        if sd == 0.0:  # w + 0 * z is w: the normal decides nothing
            return forget, wobble, -np.inf, 0.0
        return forget, wobble, wobble_matters_below(sd), np.inf

    @staticmethod
    def wobble_normals(u: np.ndarray) -> np.ndarray:
        """The willingness wobble's standard normals of uniforms ``u``: the inverse normal CDF
        of ``u`` clipped to ``[WOBBLE_U_MIN, 1 - WOBBLE_U_MIN]`` (:meth:`payment_draws`)."""
        return ndtri(np.clip(u, WOBBLE_U_MIN, 1 - WOBBLE_U_MIN))

    def payment_inputs(self, n: int, by_whole_bills: bool) -> PaymentInputs:
        """The ``rules`` and the borrowers' arrays :func:`sim.kernels.payments.pay_one`
        reads after the draws (``rules`` to ``disposable``), for borrowers 0..n-1;
        ``by_whole_bills``: without partial payments, pay the most in whole bills."""
        rep, nudges = self.rules.repayment, self.rules.nudges
        rules = (float(rep.forget_prob), float(rep.disorganised_forget_prob),
                 float(nudges.forget_reduction), float(self.rules.reminder_effect),
                 float(rep.willingness_wobble_sd), float(rep.max_cash_share),
                 self.room_months, bool(rep.partial_payments),
                 by_whole_bills, DISORGANISED, UNWILLING, FIRST_PAYMENT_DEFAULT, int(self.month),
                 bool(rep.stretch_within_income), bool(rep.current_bill_from_income))
        return (rules, self.kind, self.autopay, self.willingness, self.escalated,
                self.reminded, self.nudge_effect(n), self.arrangement_until, self.plan_channel,
                self.channel_stretch, self.savings, self.permanent_income, self.disposable)

    def spend(self, who: slice | np.ndarray, paid: np.ndarray,
              share: np.ndarray | float) -> None:
        """Book payments ``paid`` (cents) of borrowers ``who`` made with
        :meth:`cash_for_bill` at the same ``share``: savings fall by the payment, and
        what it took beyond the share of savings is used up from the month's
        affordable amount (``disposable``), which is a monthly budget: an arrangement
        moves at most the month's income less essentials in the month, however many
        times the borrower pays (FCA CONC 7.3; the Standard Financial Statement is a
        monthly budget). The rule: :func:`sim.kernels.accounts.spend`.
        """
        from sim.kernels.accounts import spend_all

        idx = _slots(who)
        spend_all(idx, np.asarray(paid, dtype=np.int64), _per_slot(share, idx.size),
                  self.savings, self.disposable)

    def cash_for_bill(self, n: int | np.ndarray, share: np.ndarray | float,
                      stretch: np.ndarray | float) -> np.ndarray:
        """Cents borrowers (0..n-1, or the slots ``n``) can put towards the line's bill.

        The share ``share`` of positive savings, plus what a repayment arrangement moves
        up the payment hierarchy: ``stretch`` months of permanent income, at most what is
        affordable, the month's income less essentials (an unemployed borrower whose
        benefit does not cover essentials has nothing to move; without that cap when
        ``repayment.stretch_within_income`` is false), paid by running up debts
        elsewhere, so never beyond what those debts can still take (down to
        ``income.other_debt_limit_months``, scaled this month by
        :meth:`IncomeConfig.other_debt_room_months`: :attr:`room_months`).
        Affordability, when capped: collectors must set arrangements the borrower can
        sustain from income after essential spending (FCA Consumer Credit sourcebook CONC
        7.3.4-7.3.5 and the Standard Financial Statement used by UK collectors and debt
        advisers); the shipped configs lift the cap (docs/MODEL.md). The rule:
        :func:`sim.kernels.accounts.cash_for_bill`.

        Returns:
            int64 cents, one per borrower.
        """
        from sim.kernels.accounts import cash_for_bills

        idx = _slots(slice(0, n) if isinstance(n, int) else n)
        return cash_for_bills(idx, _per_slot(share, idx.size), _per_slot(stretch, idx.size),
                              self.savings, self.permanent_income, self.disposable,
                              self.room_months,
                              bool(self.rules.repayment.stretch_within_income))

    def score_rules(self) -> tuple[float, float, float, float, float]:
        """The ``score_rules`` of :func:`sim.kernels.payments.moved_score`: (on_time_gain,
        missed_loss, cure_gain, lowest and highest score)."""
        sc = self.rules.score
        return (float(sc.on_time_gain), float(sc.missed_loss), float(sc.cure_gain), SCORE_MIN,
                SCORE_MAX)

    def update_score(self, paid_on_time: np.ndarray, missed: np.ndarray, cured: np.ndarray) -> None:
        """Move the behaviour score of borrowers 0..len(missed)-1 with this due date's outcome
        (:func:`sim.kernels.payments.moved_score`; the due date itself moves them in
        :func:`sim.kernels.payments.due_date_outcome`)."""
        from sim.kernels.payments import update_scores

        update_scores(self.score, paid_on_time, missed, cured, self.score_rules())


def _slots(who: slice | np.ndarray) -> np.ndarray:
    """Borrower slots as an int64 array (a slice ``a:b`` as ``arange(a, b)``)."""
    if isinstance(who, slice):
        return np.arange(who.start or 0, who.stop, dtype=np.int64)
    return np.asarray(who, dtype=np.int64)


def _per_slot(value: np.ndarray | float, k: int) -> np.ndarray:
    """``value`` (a number or one per slot) as a contiguous float64 array of ``k``."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=np.float64), (k,)))
