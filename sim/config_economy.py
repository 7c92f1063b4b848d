"""Config of the economy a path runs through and of the borrowers' income in it.

Each path has its own unemployment rate, the named scenario's deterministic shock plus an
AR(1) deviation (:class:`MacroConfig`), and a base rate that the central bank lowers when
unemployment rises (:class:`BaseRateConfig`). The borrowers' jobs, income, expenses and
savings follow that rate (:class:`IncomeConfig`): job losses carry their own unemployment
rate along the economy's, and recessions lengthen spells. :mod:`sim.config` re-exports
every model.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from sim.config_base import NonNeg, Prob, _Model


class ShockConfig(_Model):
    """A deterministic hump added to the unemployment rate: ramp up, hold, recover."""

    start_month: int = Field(0, ge=0, le=240, description="Month the rise begins.")
    peak_increase: float = Field(
        0.0, ge=-0.2, le=0.5, description=(
            "Rise of the unemployment rate at the peak, as a fraction of the labour force: "
            "0.04 is 4 percentage points (5 % to 9 %), not 4 %. The shipped recession rises "
            "0.04 and the severe recession 0.08 (sim.config.SCENARIOS).")
    )
    ramp_months: int = Field(6, ge=1, le=240, description="Months from start to peak (linear).")
    hold_months: int = Field(6, ge=0, le=240, description="Months held at the peak.")
    recovery_months: int = Field(
        18, ge=1, le=240, description="Months from peak back to base (linear)."
    )


class BaseRateConfig(_Model):
    """Per-path base rate (annual, e.g. 1-month SOFR or SHIBOR): an AR(1) around a mean that
    the central bank lowers when unemployment rises above its long-run level.

    The figures computed from data use FRED's monthly FEDFUNDS (effective federal funds rate,
    Federal Reserve H.15) and UNRATE (BLS) series."""

    initial: float = Field(
        0.025, ge=-0.05, le=0.3,
        description="Rate in month 0 (annual). Modelling choice: the long-run mean, so that a "
        "path's rate departs from it only by the scenario's unemployment and the AR(1) noise; "
        "give the benchmark's fixing at a deal's closing to start a path elsewhere.",
    )
    mean: float = Field(
        0.025, ge=-0.05, le=0.3,
        description="Long-run mean rate (annual), the rate when unemployment is at its base. "
        "Source: the FOMC's longer-run federal funds rate, median of the Summary of Economic "
        "Projections, 2.5 % in every projection from September 2019 to June 2022 (2.8 % in "
        "December 2018; FRED FEDTARMDLR); the card-trust deal's swap fixes at 2.6 % against "
        "it. The effective rate averaged 4.83 % from August 1987 to December 2007, with "
        "higher inflation.",
    )
    persistence: float = Field(
        0.97, ge=0.0, lt=1.0,
        description="Monthly AR(1) coefficient of the deviation from mean (the part of the rate "
        "that unemployment does not explain). Modelling choice within the evidence: the "
        "lagged rate's coefficient in an inertial policy rule is 0.85 in the Atlanta Fed's "
        "Taylor Rule Utility, a quarterly rule (0.95 a month), and is estimated at 0.8 by the "
        "Cleveland Fed (Economic Trends, 4 June 2015; 0.93 a month if quarterly); Rudebusch "
        "(2002, Journal of Monetary Economics 49) argues that this apparent inertia is "
        "persistent deviations from the rule, and the residual of the monthly effective rate "
        "regressed on unemployment, August 1987-December 2007, has an AR(1) coefficient of "
        "0.99. 0.97 is a half-life of 23 months.",
    )
    shock_sd: float = Field(
        0.001, ge=0.0, le=0.05,
        description="Monthly s.d. of the deviation's innovation (annual rate units). Modelling "
        "choice, checked against data: monthly changes of the effective federal funds rate "
        "had an s.d. of 19.9 bp from August 1987 to December 2007. The rate takes the macro "
        "path's month-to-month unemployment noise at once (20 bp a month at "
        "unemployment_beta 1.0), and 0.001 brings the simulated changes to an s.d. of 22.8 bp "
        "(baseline macro); the deviation's stationary s.d. is 0.41 points at persistence 0.97.",
    )
    unemployment_beta: float = Field(
        1.0, ge=0.0, le=5.0,
        description="Rate cut per unit of unemployment above its base (1.0: -1 point of rate "
        "per +1 point of unemployment). Source: the Taylor (1993) rule's 0.5 on the output gap "
        "(Carnegie-Rochester Conference Series on Public Policy 39) times Okun's law, 2 points "
        "of output gap per point of unemployment (the Atlanta Fed's Taylor Rule Utility's "
        "default conversion factor). Larger responses: the Taylor (1999) or balanced-approach "
        "rule's 2.0 (Cleveland Fed, Economic Trends, 4 June 2015), and the Fed's easings, 5.4 "
        "points of rate as unemployment rose 2.6 points in 1990-92 and 5.6 as it rose 2.4 in "
        "2000-03 (FRED), which include the response to falling inflation, not modelled here. "
        "At 2.0 the rate would take twice the unemployment noise and its monthly changes "
        "would have an s.d. of 42 bp, twice the data's (see shock_sd).",
    )
    floor: float = Field(
        0.0, ge=-0.05, le=0.3,
        description="Lowest rate allowed (annual). Source: the effective lower bound. The "
        "Federal Reserve's target range went no lower than 0-0.25 % (December 2008-December "
        "2015 and March 2020-March 2022), when the monthly effective rate was 0.05-0.22 %; "
        "negative policy rates (euro area, Japan) are not modelled.",
    )


class MacroConfig(_Model):
    """Per-path unemployment: the scenario's deterministic path plus an AR(1) deviation."""

    scenario: str = Field(
        "baseline", max_length=40,
        description="Named scenario in sim/scenarios (sets the deterministic shock)."
    )
    unemployment_base: float = Field(
        0.05, gt=0.0, lt=0.5,
        description="Long-run unemployment rate (fraction of the labour force). Modelling "
        "choice: a steady economy around 5 %; the named scenarios add their shocks to it.",
    )
    shock: ShockConfig | None = Field(
        None, description="Deterministic shock; when absent the named scenario's shock is used."
    )
    ar_persistence: float = Field(
        0.9, ge=0.0, lt=1.0,
        description="Monthly AR(1) coefficient of the stochastic deviation. Modelling choice: "
        "0.9 gives a half-life of about 6.6 months and, with shock_sd 0.002, a stationary s.d. "
        "of 0.46 points: unemployment wanders but makes no recession of its own (recessions "
        "are the scenarios' deterministic shocks).",
    )
    shock_sd: float = Field(
        0.002, ge=0.0, le=0.05,
        description="Monthly s.d. of the deviation's innovation (fraction). Modelling choice: "
        "0.2 points a month, about the smallest monthly move in the US rate that the BLS reports "
        "as a change (smaller moves are within the household survey's sampling error).",
    )
    floor: float = Field(0.01, gt=0.0, lt=0.5, description="Lowest unemployment rate allowed.")
    base_rate: BaseRateConfig = Field(
        default_factory=lambda: BaseRateConfig(),
        description="Short-term base rate that floating-rate notes pay a margin over.",
    )


class IncomeConfig(_Model):
    """Income, employment, expenses and savings of the borrowers.

    Unemployment spells have duration dependence: the monthly job-finding hazard is
    ``job_finding_short`` for the first ``long_term_months`` months of a spell and
    ``job_finding_long`` after, both scaled by ``(u_base / u) ** job_finding_elasticity``
    so that recessions lengthen spells. The job-loss hazard is set so that, with equal
    hazards, the borrowers' unemployment rate follows ``u_base + cyclical_sensitivity *
    (u - u_base)`` along the macro rate ``u``'s path (:meth:`job_loss`).
    """

    shocks: bool = Field(
        True, description="Income model on; false freezes income, employment and expenses."
    )
    median_monthly: float = Field(
        6000.0, gt=0, le=1e6,
        description="Median permanent monthly income (currency units). It sets the money "
        "scale: behaviour is in months of income, so it matters only against the keys given in "
        "money (limits, contact and legal costs, legal.min_balance). 6000 is close to the US "
        "median household income, $74,580 a year in 2022, $6,215 a month (Census Bureau, "
        "Income in the United States: 2022).",
    )
    dispersion: float = Field(
        0.5, ge=0, le=2,
        description="S.d. of log permanent income across borrowers (log-normal). Modelling "
        "choice: 0.5 (a Gini of 0.28) is narrower than a whole population's (US household "
        "money income: Gini 0.488 in 2022, Census Bureau, a log-normal s.d. of about 0.93) for "
        "the approved applicants of one platform, whose limits stop at credit_line.max_limit.",
    )
    transitory_sd: float = Field(
        0.10, ge=0, le=1,
        description="S.d. of the monthly log transitory income shock (independent each month, "
        "mean one). Modelling choice: 0.10 makes income change by about 11 % from one month to "
        "the next on average, less than the 36 % the JPMorgan Chase Institute measured for the "
        "median family's take-home pay ('Weathering Volatility 2.0', 2019), much of which is "
        "predictable (pay dates, tax refunds; spikes twice as common as dips) and not modelled.",
    )
    job_finding_short: Prob = Field(
        0.30,
        description="Monthly job-finding probability in the first long_term_months of a spell, "
        "at the long-run unemployment rate. Source: BLS Current Population Survey labour-force "
        "flows, 2015-2019: about 25-30 % of the short-term unemployed are employed a month later.",
    )
    job_finding_long: Prob = Field(
        0.12,
        description="Monthly job-finding probability after long_term_months of unemployment. "
        "Source: Krueger, Cramer and Cho (2014), 'Are the long-term unemployed on the margins of "
        "the labor market?', Brookings Papers on Economic Activity: the long-term unemployed "
        "(27+ weeks) find jobs at well under half the rate of the short-term unemployed.",
    )
    long_term_months: int = Field(
        6, ge=1, le=36,
        description="Months after which a spell counts as long-term (BLS: 27 weeks or more).",
    )
    job_finding_elasticity: float = Field(
        1.0, ge=0.0, le=5.0,
        description="Elasticity of the job-finding hazard to the unemployment rate: hazards "
        "scale with (u_base / u) ** elasticity. Source: Shimer (2012), 'Reassessing the ins and "
        "outs of unemployment', Review of Economic Dynamics: the monthly job-finding rate fell "
        "from about 0.45 to 0.2 as unemployment rose from 4.6 % to 9.5 % in 2007-2009 "
        "(elasticity about 1.1); BLS mean spell length doubled, 17 to 39 weeks, 2007-2010.",
    )
    job_loss_dispersion: float = Field(
        0.5,
        ge=0,
        le=2,
        description="S.d. of the log relative job-loss risk across borrowers (a mean-one "
        "log-normal, correlated -0.5 with log permanent income: low-income borrowers lose "
        "jobs more often). Modelling choice sized by the spread of unemployment rates across "
        "groups: 0.5 puts the 90th percentile of risk 3.6 times the 10th, inside the range of "
        "2007's group rates before the recession (college graduates 1.6 %, ages 25-44 3.7 %, "
        "black men 9.1 %; Hoynes, Miller and Schaller 2012, Table 1), which also differ in "
        "how fast jobs are found; no direct estimate of the spread of job-loss risk is used.",
    )
    cyclical_sensitivity: float = Field(
        1.3, ge=0.0, le=3.0,
        description="Points by which the borrowers' unemployment rate moves for each point "
        "of the economy's (macro) rate: theirs is u_base + cyclical_sensitivity x (u - "
        "u_base), and job losses carry it along that path (job_loss); job finding follows "
        "the economy's rate. At rest (u = u_base) it changes nothing. Source: Hoynes, Miller "
        "and Schaller (2012), 'Who suffers during recessions?', Journal of Economic "
        "Perspectives 26(3): from the 2007 recession's peak to its trough (May 2007 to "
        "October 2009), while the aggregate rate rose 5.6 points (4.4 % to 10.0 %, BLS), that "
        "of 16-19 year-olds rose 10.9 points (1.9 times), of 20-24 year-olds 8.8 (1.6 times) "
        "and of white women 3.6 (0.6 times); from 2007 to 2010 that of workers with only a "
        "high-school education rose 8 points (about 1.4 times). BNPL borrowers are younger and "
        "have lower incomes than other consumers (CFPB 2023, Making Ends Meet survey). "
        "Modelling choice within that range: 1.3, between the young and less-educated groups "
        "and the prime-age middle of the book (1.0 makes the "
        "borrowers' rate the economy's).",
    )
    applicant_unemployment_ratio: Prob = Field(
        1.0,
        description="Chance that a new borrower is unemployed when onboarded, as a share of "
        "the stationary chance of a borrower of the same job-loss risk at the month's rate "
        "(onboarding_unemployed_prob); an unemployed applicant is that far into a spell as "
        "the stock of the unemployed is (elapsed_spell_months). 1: approval does not screen "
        "on employment, 0: every new borrower holds a job. Source: pay-in-4 and checkout "
        "credit is approved at the point of sale on a soft credit check and the lender's own "
        "data, without the income and employment verification of a card application (CFPB "
        "(2022), 'Buy Now, Pay Later: market trends and consumer impacts'), so approved "
        "applicants are unemployed about as often as others like them.",
    )
    replacement_rate: Prob = Field(
        0.35,
        description="Unemployment benefit as a share of permanent income while benefits last. "
        "Source: OECD benefit-generosity tables, net replacement rates of 30-60 %, lower for "
        "the platform-worker and informal employment of BNPL borrowers (modelling choice).",
    )
    benefit_months: int = Field(
        6, ge=0, le=36,
        description="Months of a spell for which unemployment benefit is paid. Source: US "
        "state programmes pay up to 26 weeks (US Department of Labor); China's unemployment "
        "insurance pays 12-24 months but few of the unemployed draw it.",
    )
    assistance_rate: Prob = Field(
        0.10,
        description="Income after benefits end, share of permanent income (family support, "
        "social assistance, odd jobs). Modelling choice: a small floor, below any benefit.",
    )
    essential_share: Prob = Field(
        0.70,
        description="Share of permanent income spent each month on essentials and all other "
        "consumption off the line (baseline 0.75). Source: BLS Consumer Expenditure Survey "
        "2022: spending was 88 % of income after taxes ($72,967 of $83,195); housing, "
        "transportation, food and healthcare took 62 % of after-tax income and all spending "
        "but personal insurance and pensions 77 %. With the line's purchases (about 0.15 of "
        "income at the baseline) a borrower's outlays are about 0.9 of income.",
    )
    consumption_cut_benefits: Prob = Field(
        0.06,
        description="Relative cut of essential spending while unemployed and receiving "
        "benefits. Source: Ganong and Noel (2019), 'Consumer spending during unemployment: "
        "positive and normative implications', American Economic Review: spending falls about "
        "6 % at job loss.",
    )
    consumption_cut_exhausted: Prob = Field(
        0.18,
        description="Relative cut of essential spending once benefits have ended. Source: "
        "Ganong and Noel (2019): spending falls a further 12 % at benefit exhaustion.",
    )
    reemployment_income_loss: Prob = Field(
        0.10,
        description="Permanent income lost on re-employment after a spell. Source: Davis and "
        "von Wachter (2011), 'Recessions and the costs of job loss', Brookings Papers on "
        "Economic Activity: lasting earnings losses of 10-20 % after displacement.",
    )
    expense_shock_prob: Prob = Field(
        0.03,
        description="Monthly probability of a sudden expense (repair, medical bill). Source: "
        "Pew Charitable Trusts (2015), 'How do families cope with financial shocks?': 60 % of "
        "households had a financial shock in 12 months (car repair 30 %, home repair 24 %, "
        "hospital visit 24 %, pay cut 24 %, other 10 %); the median household spent half a "
        "month of income on its most expensive one. At 0.03 (31 % of borrowers a year) and a "
        "mean of one month of income the expected cost is 0.36 months of income a year, in "
        "line with Pew's burden, with fewer and larger shocks than Pew counts (income drops "
        "are modelled apart: transitory shocks and job loss).",
    )
    expense_shock_months: NonNeg = Field(
        1.0, le=24,
        description="Mean size of a sudden expense (exponential), in months of permanent "
        "income. Source: Pew (2015), see expense_shock_prob: the median household's most "
        "expensive shock cost $2,000, half a month of income. Modelling choice: a mean of 1 "
        "(median 0.69) pairs fewer shocks than Pew counts with a similar yearly burden.",
    )
    initial_savings_months: NonNeg = Field(
        1.0, le=60,
        description="Mean initial savings buffer (exponential across borrowers, median 0.69), "
        "in months of permanent income, of borrowers neither liquidity-constrained nor in "
        "arrears elsewhere; it then grows with saving up to savings_cap_months. Modelling "
        "choice, thinner than the whole population's (Federal Reserve SHED 2022: 54 % of "
        "adults had emergency savings for three months of expenses): BNPL borrowers are more "
        "often highly indebted, revolving and delinquent elsewhere (CFPB 2023, Making Ends "
        "Meet survey).",
    )
    initial_arrears_share: Prob = Field(
        0.18,
        description="Share of new borrowers who arrive in arrears with other creditors: they "
        "start with debts elsewhere (negative savings), uniform between nothing and "
        "other_debt_limit_months of income. Source: CFPB (2023), 'Consumer use of Buy Now, "
        "Pay Later: insights from the Making Ends Meet survey': 18 % of BNPL borrowers had "
        "at least one reported delinquency on another account, against 7 % of "
        "non-borrowers (the depth within the range is a modelling choice).",
    )
    savings_cap_months: NonNeg = Field(
        3.0, le=120,
        description="Savings above this many months of income are spent, not kept. Modelling "
        "choice: a buffer-stock saver targets a buffer and consumes above it (Carroll 1997, "
        "'Buffer-stock saving and the life cycle/permanent income hypothesis', Quarterly "
        "Journal of Economics); three months is the benchmark of the SHED's emergency-savings "
        "question.",
    )
    other_debt_limit_months: NonNeg = Field(
        2.0, le=24,
        description="Largest shortfall a borrower carries as debts elsewhere (overdraft, "
        "rent and utility arrears, family), in months of permanent income; savings go "
        "negative down to minus this, and the credit line is paid only from positive "
        "savings. Modelling choice: instalment credit sits low in the payment hierarchy "
        "(housing, utilities and cards come first; Andersson, Chomsisengphet, Glennon and Li "
        "(2013), 'The changing pecking order of consumer defaults', Journal of Money, Credit "
        "and Banking), so a shock is repaid elsewhere before the line is.",
    )
    other_debt_supply_elasticity: float = Field(
        0.2, ge=0.0, le=2.0,
        description="Elasticity of the room debts elsewhere leave for paying the line to the "
        "macro unemployment rate: the cash a borrower can find for the line by running up "
        "debts elsewhere stops at other_debt_limit_months x (u_base / u) ** elasticity months "
        "of permanent income below zero savings when the macro rate u is above its base "
        "u_base (at the limit otherwise) (the savings floor itself stays at "
        "other_debt_limit_months); 0 keeps the room fixed. A credit-supply "
        "channel: lenders cut limits and close accounts when unemployment rises, so the "
        "overdraft or card that would have paid the instalment is gone. Source for its size: "
        "the share of borrowers holding a credit card fell from 68 % to 59 % as US "
        "unemployment doubled from 5 % to 10 % in 2007-2010 (Federal Reserve Bank of New "
        "York Consumer Credit Panel, Liberty Street Economics, August 2016): ln(59/68) / "
        "ln(5/10) = 0.20. docs/MODEL.md, 'the credit-supply channel'.",
    )

    def job_finding(self, months_unemployed: np.ndarray | int, u: float,
                    u_base: float) -> np.ndarray:
        """Monthly job-finding probability after ``months_unemployed`` months, at rate ``u``."""
        scale = (u_base / u) ** self.job_finding_elasticity
        h = np.where(np.asarray(months_unemployed) < self.long_term_months,
                     self.job_finding_short, self.job_finding_long)
        return np.minimum(h * scale, 1.0)

    def other_debt_room_months(self, u: float, u_base: float) -> float:
        """Months of permanent income below zero savings that debts elsewhere can take to
        pay the line when the macro rate is ``u``: ``other_debt_limit_months x min(1, (u_base
        / u) ** other_debt_supply_elasticity)``, so never beyond the limit (exactly the limit
        at elasticity 0, where the power is exactly 1, or ``u <= u_base``)."""
        if u <= u_base:
            return float(self.other_debt_limit_months)
        return float(self.other_debt_limit_months
                     * (u_base / u) ** self.other_debt_supply_elasticity)

    def borrowers_rate(self, u: float, u_base: float) -> float:
        """The borrowers' own unemployment rate when the economy's is ``u``.

        ``u_base + cyclical_sensitivity * (u - u_base)``, kept within [0, 0.9]: the
        borrowers' rate moves by ``cyclical_sensitivity`` points for each point of the
        economy's (Hoynes, Miller and Schaller 2012).
        """
        g = u_base + self.cyclical_sensitivity * (u - u_base)
        return min(max(g, 0.0), 0.9)

    def job_loss(self, u: float, u_next: float, u_base: float) -> float:
        """Monthly job-loss hazard that moves the borrowers' unemployment rate along the path
        of the economy's rate from ``u`` to ``u_next``.

        The flow identity of unemployment, ``g_next = g + s (1 - g) - f g``, solved for the
        inflow rate ``s`` with ``f = 1 / mean_spell_months(u)`` (the mean outflow rate at
        the economy's rate) and ``g``, ``g_next`` the borrowers' rates
        (:meth:`borrowers_rate` of ``u`` and ``u_next``): ``s = (g_next - g + f g) / (1 -
        g)``, at least 0. In a steady state it is ``u f / (1 - u)``; while unemployment
        rises, job losses surge, as inflows did at the onset of every post-war US recession
        (Elsby, Michaels and Solon (2009), 'The ins and outs of cyclical unemployment',
        American Economic Journal: Macroeconomics; Fujita and Ramey (2009), International
        Economic Review: separations account for 40-50 % of the rise in unemployment).
        The borrowers' larger rise (``cyclical_sensitivity`` above 1) is carried by job
        losses; job finding follows the economy's rate (:meth:`job_finding`).
        """
        f = 1.0 / self.mean_spell_months(u, u_base)
        g, g_next = self.borrowers_rate(u, u_base), self.borrowers_rate(u_next, u_base)
        return max((g_next - g + f * g) / (1.0 - g), 0.0)

    def onboarding_unemployed_prob(self, job_risk: np.ndarray | float, u: float,
                                   u_base: float) -> np.ndarray:
        """Chance that a borrower of relative job-loss risk ``job_risk`` is unemployed at
        onboarding when the economy's rate is ``u`` (shape of ``job_risk``).

        A renewal process of jobs lasting ``1 / (r s)`` months on average (``s`` the
        steady-state :meth:`job_loss` at ``u``) and spells of ``mean_spell_months(u)``
        ``E`` is out of work a share ``x / (1 + x)`` of the time, ``x = min(r s, 1) E``;
        at ``r = 1`` that is the borrowers' rate :meth:`borrowers_rate`. Times
        ``applicant_unemployment_ratio``.
        """
        s = self.job_loss(u, u, u_base)
        x = np.minimum(np.asarray(job_risk, dtype=np.float64) * s, 1.0) \
            * self.mean_spell_months(u, u_base)
        return self.applicant_unemployment_ratio * x / (1.0 + x)

    def elapsed_spell_months(self, v: np.ndarray | float, u: float, u_base: float) -> np.ndarray:
        """Months already out of work of unemployed applicants, from uniforms ``v`` (shape
        of ``v``, int): the stock of the unemployed at rate ``u``, ``P(d) ~ S(d)``, with
        ``S(d)`` the chance that a spell lasts ``d`` months under :meth:`job_finding`
        (a renewal process seen at a random time: longer spells are met more often), by
        inverse CDF over 0..239 months.
        """
        d = np.arange(240)
        survive = np.cumprod(np.r_[1.0, 1.0 - self.job_finding(d[:-1], u, u_base)])
        cdf = np.cumsum(survive) / survive.sum()
        return np.minimum(np.searchsorted(cdf, v, side="right"), d.size - 1)

    def spell_cost_months(self, elapsed: np.ndarray | int,
                          essential_share: np.ndarray | float) -> np.ndarray:
        """Savings used up (months of permanent income, at least 0) by the first ``elapsed``
        months of a spell: essentials (``essential_share``, cut by
        ``consumption_cut_benefits``) less ``replacement_rate`` for up to ``benefit_months``
        months, then essentials cut by ``consumption_cut_exhausted`` less
        ``assistance_rate``; shapes broadcast. The same monthly budget as
        :meth:`sim.agents.borrowers.BorrowerPool.step_income`, without shocks.
        """
        elapsed = np.asarray(elapsed)
        on_benefit = np.minimum(elapsed, self.benefit_months)
        after = elapsed - on_benefit
        gap_benefit = essential_share * (1.0 - self.consumption_cut_benefits) \
            - self.replacement_rate
        gap_after = essential_share * (1.0 - self.consumption_cut_exhausted) \
            - self.assistance_rate
        return np.maximum(on_benefit * gap_benefit + after * gap_after, 0.0)

    def mean_spell_months(self, u: float, u_base: float) -> float:
        """Expected spell length (months) at rate ``u``: the inverse of the mean finding rate.

        With hazard ``hs`` for the first ``L`` months and ``hl`` after, a spell lasts
        ``(1 - (1 - hs)**L) / hs + (1 - hs)**L / hl`` months on average (geometric pieces).
        """
        hs, hl = (float(self.job_finding(d, u, u_base)) for d in (0, self.long_term_months))
        hs, hl = max(hs, 1e-9), max(hl, 1e-9)
        survive = (1.0 - hs) ** self.long_term_months
        return (1.0 - survive) / hs + survive / hl
