"""Validated run configuration.

A run is described by one YAML file in ``configs/``. It is loaded into the pydantic
models below, which reject unknown keys, wrong types and out-of-range values with a
message naming the key path, the value given and what is allowed. A file may name a
``base`` file and override only a few keys: scenarios are overrides, never copies.

Units: money is in currency units (the engine books it in integer cents), rates are
fractions (0.05 = 5 %), hazards and probabilities are per month unless the field
says otherwise, durations are in months or days as named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.abs.deal import CleanUpCall, Deal, Swap, Trigger

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
PLAN_TERMS = (0, 3, 6, 12)  # 0 = pay in full at the next statement


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says what and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class BookConfig(_Model):
    """Size and growth of the book of borrowers."""

    initial_borrowers: int = Field(
        20_000, ge=1, le=5_000_000, description="Borrowers onboarded at month 0 (count)."
    )
    new_borrowers_per_month: int = Field(
        500, ge=0, le=1_000_000, description="Borrowers onboarded at the start of each later month."
    )
    horizon_months: int = Field(60, ge=1, le=240, description="Months simulated per path.")


class ShockConfig(_Model):
    """A deterministic hump added to the unemployment rate: ramp up, hold, recover."""

    start_month: int = Field(0, ge=0, description="Month the rise begins.")
    peak_increase: float = Field(
        0.0, ge=-0.2, le=0.5, description="Rise of the unemployment rate at the peak (fraction)."
    )
    ramp_months: int = Field(6, ge=1, description="Months from start to peak (linear).")
    hold_months: int = Field(6, ge=0, description="Months held at the peak.")
    recovery_months: int = Field(18, ge=1, description="Months from peak back to base (linear).")


class BaseRateConfig(_Model):
    """Per-path base rate (annual, e.g. 1-month SHIBOR or SOFR): an AR(1) around a mean that
    the central bank lowers when unemployment rises above its long-run level."""

    initial: float = Field(0.025, ge=-0.05, le=0.3, description="Rate in month 0 (annual).")
    mean: float = Field(0.025, ge=-0.05, le=0.3, description="Long-run mean rate (annual).")
    persistence: float = Field(
        0.97, ge=0.0, lt=1.0, description="Monthly AR(1) coefficient of the deviation from mean."
    )
    shock_sd: float = Field(
        0.001, ge=0.0, le=0.05, description="Monthly s.d. of the deviation's innovation (annual)."
    )
    unemployment_beta: float = Field(
        0.5, ge=0.0, le=5.0,
        description="Rate cut per unit of unemployment above its base (0.5: -0.5 pp per +1 pp).",
    )
    floor: float = Field(0.0, ge=-0.05, le=0.3, description="Lowest rate allowed (annual).")


class MacroConfig(_Model):
    """Per-path unemployment: the scenario's deterministic path plus an AR(1) deviation."""

    scenario: str = Field(
        "baseline", description="Named scenario in sim/scenarios (sets the deterministic shock)."
    )
    unemployment_base: float = Field(
        0.05, gt=0.0, lt=0.5, description="Long-run unemployment rate (fraction of labour force)."
    )
    shock: ShockConfig | None = Field(
        None, description="Deterministic shock; when absent the named scenario's shock is used."
    )
    ar_persistence: float = Field(
        0.9, ge=0.0, lt=1.0, description="Monthly AR(1) coefficient of the stochastic deviation."
    )
    shock_sd: float = Field(
        0.002, ge=0.0, le=0.05, description="Monthly s.d. of the deviation's innovation (fraction)."
    )
    floor: float = Field(0.01, gt=0.0, lt=0.5, description="Lowest unemployment rate allowed.")
    base_rate: BaseRateConfig = Field(
        default_factory=lambda: BaseRateConfig(),
        description="Short-term base rate that floating-rate notes pay a margin over.",
    )


class IncomeConfig(_Model):
    """Income, employment, expenses and savings of the borrowers."""

    shocks: bool = Field(
        True, description="Income model on; false freezes income, employment and expenses."
    )
    median_monthly: float = Field(
        6000.0, gt=0, description="Median permanent monthly income (currency units)."
    )
    dispersion: float = Field(
        0.5, ge=0, le=2, description="S.d. of log permanent income across borrowers."
    )
    transitory_sd: float = Field(
        0.10, ge=0, le=1, description="S.d. of the monthly log transitory income shock."
    )
    reemployment_hazard: Prob = Field(
        0.20, description="Monthly probability that an unemployed borrower finds a job."
    )
    job_loss_dispersion: float = Field(
        0.5,
        ge=0,
        le=2,
        description="S.d. of the log relative job-loss risk across borrowers "
        "(higher for low income).",
    )
    replacement_rate: Prob = Field(
        0.35, description="Unemployment benefit as a share of permanent income."
    )
    essential_share: Prob = Field(
        0.70, description="Share of permanent income spent on essentials each month."
    )
    expense_shock_prob: Prob = Field(
        0.03, description="Monthly probability of a sudden expense (repair, medical bill)."
    )
    expense_shock_months: NonNeg = Field(
        1.0, description="Mean size of a sudden expense, in months of permanent income."
    )
    initial_savings_months: NonNeg = Field(
        1.0, description="Mean initial savings buffer, in months of permanent income."
    )
    savings_cap_months: NonNeg = Field(
        3.0, description="Savings above this many months of income are spent, not kept."
    )


class SpendingConfig(_Model):
    """Purchases on the credit line and the choice of repayment plan."""

    share_of_income: NonNeg = Field(
        0.12, le=2, description="Median monthly credit-line spending as a share of income."
    )
    dispersion: float = Field(
        0.6, ge=0, le=3, description="S.d. of log spending (across borrowers and months)."
    )
    purchase_prob: Prob = Field(
        0.7, description="Monthly probability that an eligible borrower buys on the line."
    )
    plan_mix: dict[int, float] = Field(
        default_factory=lambda: {0: 0.55, 3: 0.2, 6: 0.15, 12: 0.10},
        description="Probability of each plan (0 = pay in full; 3/6/12-month instalments).",
    )
    stress_multiplier: NonNeg = Field(
        2.0,
        le=20,
        description="Spending multiplier for borrowers with less than a month of income saved "
        "(the line becomes their liquidity buffer: over-borrowing before default).",
    )
    stress_tilt: NonNeg = Field(
        2.0,
        le=20,
        description="Odds multiplier of instalment plans for borrowers with less than a month "
        "of savings (liquidity-stressed borrowers stretch repayment).",
    )

    @model_validator(mode="after")
    def _check_plans(self) -> SpendingConfig:
        bad = sorted(set(self.plan_mix) - set(PLAN_TERMS))
        if bad:
            raise ValueError(f"plan_mix has terms {bad}; allowed terms are {list(PLAN_TERMS)}")
        if any(p < 0 for p in self.plan_mix.values()) or sum(self.plan_mix.values()) <= 0:
            raise ValueError("plan_mix weights must be >= 0 and not all zero")
        return self


class RepaymentConfig(_Model):
    """How borrowers pay their bills."""

    model: Literal["structural", "bernoulli"] = Field(
        "structural",
        description="'structural': ability (cash) and willingness decide; 'bernoulli': each "
        "borrower with something due misses the whole payment with probability miss_prob, "
        "otherwise pays everything owed (the closed-form benchmark).",
    )
    miss_prob: Prob = Field(0.05, description="Monthly miss probability of the bernoulli model.")
    willingness_mean: Prob = Field(
        0.97, description="Mean of the Beta-distributed willingness to pay (per borrower)."
    )
    willingness_concentration: float = Field(
        40.0, gt=0, description="Concentration (alpha + beta) of the willingness Beta."
    )
    forget_prob: Prob = Field(
        0.04, description="Monthly probability of forgetting the bill without autopay."
    )
    autopay_share: Prob = Field(
        0.4, description="Share of borrowers with autopay (a bound bank card)."
    )
    max_cash_share: Prob = Field(
        0.9, description="Largest share of cash on hand a borrower puts towards the bill."
    )
    partial_payments: bool = Field(
        True, description="Whether borrowers who cannot pay all pay part."
    )


class ScoreConfig(_Model):
    """Behaviour score on a 300-900 scale."""

    initial_mean: float = Field(650.0, ge=300, le=900, description="Mean application score.")
    initial_sd: float = Field(60.0, ge=0, le=300, description="S.d. of the application score.")
    on_time_gain: NonNeg = Field(3.0, description="Points gained for a bill paid in full on time.")
    missed_loss: NonNeg = Field(40.0, description="Points lost for each due date left unpaid.")
    cure_gain: NonNeg = Field(10.0, description="Points regained when a delinquent account cures.")


class CreditLineConfig(_Model):
    """Credit-line policy: initial limit, increases, cuts and freezes."""

    income_multiple: NonNeg = Field(
        1.0, le=20, description="Initial limit at score 700, in months of income."
    )
    score_slope: NonNeg = Field(
        0.005, description="Relative change of the initial limit per score point above 700."
    )
    min_limit: NonNeg = Field(500.0, description="Smallest limit granted (currency units).")
    max_limit: NonNeg = Field(50_000.0, description="Largest limit ever granted (currency units).")
    max_income_multiple: NonNeg = Field(
        3.0, le=50, description="Limit increases stop at this many months of permanent income."
    )
    increase_after_months: int = Field(
        6, ge=1, description="Consecutive on-time months before a limit increase."
    )
    increase_pct: NonNeg = Field(0.2, le=5, description="Relative size of a limit increase.")
    freeze_dpd: int = Field(1, ge=1, description="Days past due at which the line is frozen.")
    cut_score: float = Field(
        550.0, ge=300, le=900, description="Score below which the limit is cut."
    )
    cut_pct: Prob = Field(0.3, description="Relative size of a limit cut.")

    @model_validator(mode="after")
    def _check_limits(self) -> CreditLineConfig:
        if self.min_limit > self.max_limit:
            raise ValueError(
                f"min_limit ({self.min_limit}) must not exceed max_limit ({self.max_limit})"
            )
        return self


class BillingConfig(_Model):
    """Statement and due dates, fees and charge-off."""

    due_day: int = Field(
        20, ge=1, le=28, description="Day of the month payments are due (statement on day 0)."
    )
    purchase_day: int = Field(
        25, ge=1, le=29, description="Day of the month new purchases are booked (after due_day)."
    )
    instalment_fee: dict[int, float] = Field(
        default_factory=lambda: {3: 0.005, 6: 0.006, 12: 0.006},
        description="Fee per monthly period of each instalment plan, "
        "as a share of the amount financed.",
    )
    late_fee_daily: float = Field(
        0.0005, ge=0, le=0.01, description="Late fee a day on overdue principal (0.0005 = 0.05%)."
    )
    chargeoff_dpd: int = Field(
        180, ge=30, le=360, description="Days past due at which an account is charged off."
    )

    @model_validator(mode="after")
    def _check(self) -> BillingConfig:
        bad = sorted(set(self.instalment_fee) - {3, 6, 12})
        if bad:
            raise ValueError(f"instalment_fee has terms {bad}; allowed terms are [3, 6, 12]")
        if any(not 0 <= f <= 0.05 for f in self.instalment_fee.values()):
            raise ValueError("instalment_fee rates must be between 0 and 0.05 per period")
        if self.purchase_day <= self.due_day:
            raise ValueError(
                f"purchase_day ({self.purchase_day}) must fall after due_day ({self.due_day})"
            )
        return self


class RecoveryConfig(_Model):
    """Recoveries after charge-off."""

    mean_rate: Prob = Field(
        0.15, description="Mean share of the charged-off balance eventually recovered."
    )
    unemployed_factor: NonNeg = Field(
        0.5, le=2, description="Recovery mean multiplier for borrowers unemployed at charge-off."
    )
    concentration: float = Field(
        4.0, gt=0, description="Concentration (alpha + beta) of the Beta recovery share."
    )
    lag_curve: list[float] = Field(
        default_factory=lambda: [0.0, 0.05, 0.10, 0.12, 0.12, 0.10, 0.09, 0.08, 0.07, 0.06,
                                 0.05, 0.04, 0.04, 0.03, 0.02, 0.02, 0.01],
        description="Share of an account's recovery received k months after charge-off "
        "(k = 0, 1, ...); normalised to sum to 1.",
    )

    @model_validator(mode="after")
    def _check(self) -> RecoveryConfig:
        if not self.lag_curve or any(w < 0 for w in self.lag_curve) or sum(self.lag_curve) <= 0:
            raise ValueError("lag_curve must be a non-empty list of weights >= 0, not all zero")
        return self


CHANNELS = ("sms", "app_push", "email", "auto_call", "human", "agency")


class ChannelConfig(_Model):
    """One collection channel: what an action costs and how borrowers respond to it.

    A contacted borrower who can pay responds with probability
    ``response * exp(-(dpd - 1) / decay_days)``: contact works best early. A response
    is a payment now (all that is owed, as cash allows) or, with probability
    ``promise_share``, a promise to pay in ``promise_days`` days, kept with
    probability ``promise_keep``.
    """

    cost: NonNeg = Field(0.0, description="Cost per action (currency units).")
    commission: Prob = Field(
        0.0, description="Share of the amount collected paid to the channel (agencies)."
    )
    response: Prob = Field(0.1, description="Response probability at 1 day past due.")
    decay_days: float = Field(
        60.0, gt=0, description="Days past due over which the response falls by a factor e."
    )
    promise_share: Prob = Field(0.3, description="Share of responses that are promises to pay.")
    promise_keep: Prob = Field(0.6, description="Probability that a promise to pay is kept.")
    promise_days: int = Field(7, ge=1, le=30, description="Days until the promised payment.")


class LadderStep(_Model):
    """A rung of the collection ladder: a channel used from one DPD to another."""

    channel: Literal["sms", "app_push", "email", "auto_call", "human", "agency"] = Field(
        description="Channel used."
    )
    from_dpd: int = Field(ge=1, le=360, description="First day past due the step acts on.")
    to_dpd: int = Field(360, ge=1, le=360, description="Last day past due the step acts on.")
    every_days: int = Field(
        7, ge=1, le=90, description="Days between repeats of the step on one account."
    )

    @model_validator(mode="after")
    def _check(self) -> LadderStep:
        if self.to_dpd < self.from_dpd:
            raise ValueError(f"to_dpd ({self.to_dpd}) must not be below from_dpd ({self.from_dpd})")
        return self


class CapsConfig(_Model):
    """Compliance limits on contacts per borrower (all channels but the agency's letters)."""

    per_day: int = Field(2, ge=0, le=20, description="Most contacts of one borrower in a day.")
    per_week: int = Field(
        7, ge=0, le=100, description="Most contacts of one borrower in any 7 consecutive days."
    )


class CollectorsConfig(_Model):
    """The human collection team: a daily capacity of calls and a queue."""

    count: int = Field(10, ge=0, le=100_000, description="Collectors on the team.")
    calls_per_day: int = Field(60, ge=0, le=1000, description="Calls one collector makes a day.")
    priority: Literal["oldest_dpd", "largest_balance", "highest_expected_recovery"] = Field(
        "oldest_dpd", description="Which waiting account is called first."
    )


class LegalConfig(_Model):
    """Legal action: a fixed cost, a delay, and a share of the balance if it succeeds."""

    enabled: bool = Field(True, description="Whether legal action is taken.")
    from_dpd: int = Field(150, ge=30, le=360, description="Days past due at which a case is filed.")
    min_balance: NonNeg = Field(
        2000.0, description="Smallest balance worth a case (currency units)."
    )
    cost: NonNeg = Field(300.0, description="Cost of a case (currency units), booked at filing.")
    success_prob: Prob = Field(0.5, description="Probability that the case recovers anything.")
    recovery_share: Prob = Field(
        0.5, description="Share of the charged-off balance a successful case recovers."
    )
    delay_months: int = Field(
        6, ge=0, le=36, description="Months from charge-off to the court-ordered payment."
    )


class HardshipConfig(_Model):
    """Hardship programme: grace period and re-ageing of the plan for borrowers in need."""

    enabled: bool = Field(True, description="Whether hardship requests are granted.")
    request_prob: Prob = Field(
        0.3, description="Monthly probability that an eligible delinquent borrower asks."
    )
    income_drop: Prob = Field(
        0.3, description="Eligible when income is this share or more below permanent income."
    )
    grace_months: int = Field(2, ge=0, le=6, description="Months without instalments.")
    term_months: int = Field(
        6, ge=1, le=12, description="Months the restructured balance is repaid over."
    )

    @model_validator(mode="after")
    def _check(self) -> HardshipConfig:
        if self.grace_months + self.term_months > 12:
            raise ValueError("grace_months + term_months must not exceed 12")
        return self


class DebtSaleConfig(_Model):
    """Sale of charged-off debt to a buyer."""

    enabled: bool = Field(False, description="Whether charged-off debt is sold.")
    months_after_chargeoff: int = Field(
        12, ge=0, le=60, description="Months after charge-off the remaining face value is sold."
    )
    price: Prob = Field(0.08, description="Price per unit of remaining face value.")


def _default_channels() -> dict[str, ChannelConfig]:
    return {
        "sms": ChannelConfig(cost=0.05, response=0.25, decay_days=20),
        "app_push": ChannelConfig(cost=0.01, response=0.20, decay_days=20),
        "email": ChannelConfig(cost=0.01, response=0.10, decay_days=20),
        "auto_call": ChannelConfig(cost=0.3, response=0.20, decay_days=30),
        "human": ChannelConfig(cost=4.0, response=0.35, decay_days=90, promise_share=0.5),
        "agency": ChannelConfig(cost=0.0, commission=0.25, response=0.15, decay_days=120),
    }


def _default_ladder() -> list[LadderStep]:
    return [
        LadderStep(channel="sms", from_dpd=1, to_dpd=89, every_days=3),
        LadderStep(channel="app_push", from_dpd=1, to_dpd=89, every_days=3),
        LadderStep(channel="auto_call", from_dpd=3, to_dpd=89, every_days=4),
        LadderStep(channel="human", from_dpd=15, to_dpd=89, every_days=7),
        LadderStep(channel="agency", from_dpd=90, to_dpd=360, every_days=14),
    ]


class CollectionsConfig(_Model):
    """The collection policy: ladder, channels, caps, team, legal, hardship, debt sale."""

    enabled: bool = Field(True, description="Whether any collection action is taken.")
    ladder: list[LadderStep] = Field(default_factory=_default_ladder,
                                     description="Steps of the ladder, in order of action.")
    channels: dict[str, ChannelConfig] = Field(default_factory=_default_channels,
                                               description="Cost and effect of each channel.")
    caps: CapsConfig = CapsConfig()
    collectors: CollectorsConfig = CollectorsConfig()
    legal: LegalConfig = LegalConfig()
    hardship: HardshipConfig = HardshipConfig()
    debt_sale: DebtSaleConfig = DebtSaleConfig()
    agency_recovery_factor: NonNeg = Field(
        1.3, le=5, description="Recovery mean multiplier after charge-off for agency accounts."
    )

    @model_validator(mode="after")
    def _check(self) -> CollectionsConfig:
        bad = sorted(set(self.channels) - set(CHANNELS))
        if bad:
            raise ValueError(f"channels has {bad}; allowed channels are {list(CHANNELS)}")
        missing = sorted({s.channel for s in self.ladder} - set(self.channels))
        if missing:
            raise ValueError(f"ladder uses channels {missing} that have no entry in channels")
        return self


class EarlyWarningConfig(_Model):
    """Early warning: a fitted model of missing the next payment, and what to do about it.

    The model is a logistic regression on what a lender observes (score, utilisation,
    the bill against the limit, months on book, recent missed payments, recent
    contacts, recent limit cuts), fitted on the path's own first ``fit_months``.
    """

    enabled: bool = Field(False, description="Whether current borrowers are scored monthly.")
    fit_months: int = Field(12, ge=2, le=120, description="Months of history before fitting.")
    max_training_rows: int = Field(
        50_000, ge=100, description="Largest training sample (a random subset beyond it)."
    )
    threshold: Prob = Field(
        0.25, description="Predicted probability of a missed payment above which to act."
    )
    action: Literal["reminder", "limit_cut", "hardship_offer"] = Field(
        "reminder", description="Action before the due date for flagged borrowers."
    )
    days_before_due: int = Field(
        10, ge=1, le=28, description="Days before the due date the action is taken (on the "
        "statement day, day 0, when the due date comes sooner)."
    )
    reminder_effect: Prob = Field(
        0.7, description="Share of a reminded borrower's chance of forgetting removed."
    )
    reminder_cost: NonNeg = Field(0.05, description="Cost of a reminder (currency units).")
    limit_cut_pct: Prob = Field(0.3, description="Limit cut for flagged borrowers.")


class NudgeConfig(_Model):
    """Borrower education: fewer forgotten payments and less over-borrowing, at a cost."""

    enabled: bool = Field(False, description="Whether new borrowers are offered education.")
    reach: Prob = Field(0.5, description="Share of new borrowers the programme reaches.")
    cost_per_borrower: NonNeg = Field(
        2.0, description="One-off cost per borrower reached (currency units)."
    )
    forget_reduction: Prob = Field(
        0.5, description="Share of a reached borrower's chance of forgetting removed."
    )
    overborrow_reduction: Prob = Field(
        0.5, description="Share of a reached borrower's extra spending under stress removed."
    )


class EligibilityConfig(_Model):
    """Which receivables the vehicle may buy, at the cut-off and when it replenishes."""

    min_score: float = Field(
        600.0, ge=300, le=850, description="Lowest behaviour score of an eligible borrower."
    )
    max_days_past_due: int = Field(
        0, ge=0, le=29, description="Most days past due of an eligible account (0: current only)."
    )
    min_months_on_book: int = Field(
        3, ge=0, le=120, description="Seasoning: whole months since the borrower was onboarded."
    )
    max_obligor_share: float = Field(
        0.002, gt=0.0, le=1.0,
        description="Concentration limit: most of one borrower's receivables the vehicle holds, "
        "as a share of the cut-off pool balance.",
    )


class DealNoteConfig(_Model):
    """One tranche, sized as a share of the pool bought at the cut-off."""

    name: str = Field(min_length=1, description="Tranche label, e.g. 'senior'.")
    size: float = Field(gt=0.0, le=1.0, description="Original balance / cut-off pool balance.")
    rate_type: Literal["fixed", "floating"] = Field(
        "fixed", description="'fixed' pays coupon; 'floating' pays macro.base_rate + margin."
    )
    coupon: float | None = Field(None, ge=0.0, le=1.0, description="Fixed annual coupon.")
    margin: float = Field(0.0, ge=-0.05, le=1.0, description="Annual margin of a floating note.")


class DealReserveConfig(_Model):
    """Cash reserve, as shares of the initial total note balance."""

    initial_pct: float = Field(0.0, ge=0.0, le=1.0, description="Balance at closing.")
    target_pct: float = Field(0.0, ge=0.0, le=1.0, description="Balance refilled every period.")


class SecuritisationConfig(_Model):
    """An ABS funded by the platform's receivables: pool, notes and waterfall terms.

    At the end of month ``cutoff_month`` the vehicle buys ``pool_share`` of the eligible
    receivables (principal, at par); the notes are sized as shares of that pool and the
    waterfall runs monthly from the next month to the end of the horizon.
    """

    name: str = Field("deal", min_length=1, description="Name of the deal in reports.")
    source: str = Field("", description="Where the terms come from (documentation only).")
    cutoff_month: int = Field(
        12, ge=1, le=600, description="Month of the cut-off (1 = end of the first month)."
    )
    pool_share: float = Field(
        1.0, gt=0.0, le=1.0, description="Share of the eligible receivables sold at cut-off."
    )
    eligibility: EligibilityConfig = EligibilityConfig()
    revolving_months: int = Field(
        0, ge=0, le=600, description="Periods in which principal collections buy new receivables."
    )
    notes: list[DealNoteConfig] = Field(min_length=1, description="Tranches, most senior first.")
    senior_fee_rate: float = Field(
        0.01, ge=0.0, le=0.2, description="Servicing and trustee fees, annual, on the pool."
    )
    reserve: DealReserveConfig = DealReserveConfig()
    principal: Literal["sequential", "pro_rata"] = Field(
        "sequential", description="Principal allocation while no trigger is breached."
    )
    triggers: list[Trigger] = Field(
        default_factory=list, description="Performance triggers (see docs/WATERFALL.md)."
    )
    pdl: bool = Field(False, description="Keep a principal deficiency ledger per note.")
    clean_up_call: CleanUpCall | None = Field(None, description="Clean-up call terms.")
    swap: Swap | None = Field(None, description="Interest-rate swap paying fixed.")
    delinquency_dpd: int = Field(
        60, ge=1, le=179,
        description="Receivables at least this many days past due count as delinquent.",
    )

    @model_validator(mode="after")
    def _sizes(self) -> SecuritisationConfig:
        total = sum(n.size for n in self.notes)
        if total > 1.0 + 1e-9:
            raise ValueError(f"note sizes add up to {total:.4f}; they must not exceed 1 (the pool)")
        self.to_deal(1.0)  # the deal's own rules (unique names, coupon or margin, swap)
        return self

    def to_deal(self, pool_balance: float) -> Deal:
        """The deal's terms in currency units for a cut-off pool of ``pool_balance``."""
        balances = [n.size * pool_balance for n in self.notes]
        notes = [{"name": n.name, "balance": b, "rate_type": n.rate_type,
                  **({"coupon": n.coupon} if n.rate_type == "fixed" else {"margin": n.margin})}
                 for n, b in zip(self.notes, balances, strict=True)]
        total = sum(balances)
        return Deal.model_validate({
            "notes": notes, "senior_fee_rate": self.senior_fee_rate,
            "reserve": {"initial": self.reserve.initial_pct * total,
                        "target_pct": self.reserve.target_pct},
            "principal": self.principal, "triggers": [t.model_dump() for t in self.triggers],
            "pdl": self.pdl, "revolving_periods": self.revolving_months,
            "clean_up_call": self.clean_up_call and self.clean_up_call.model_dump(),
            "swap": self.swap and self.swap.model_dump(),
        })


class RunConfig(_Model):
    """Everything one run needs."""

    name: str = Field("baseline", min_length=1, description="Name shown in reports.")
    description: str = Field("", description="What this configuration represents.")
    paths: int = Field(100, ge=1, le=100_000, description="Default number of Monte Carlo paths.")
    seed: int = Field(20261122, ge=0, description="Default root seed.")
    book: BookConfig = BookConfig()
    macro: MacroConfig = MacroConfig()
    income: IncomeConfig = IncomeConfig()
    spending: SpendingConfig = SpendingConfig()
    repayment: RepaymentConfig = RepaymentConfig()
    score: ScoreConfig = ScoreConfig()
    credit_line: CreditLineConfig = CreditLineConfig()
    billing: BillingConfig = BillingConfig()
    recovery: RecoveryConfig = RecoveryConfig()
    collections: CollectionsConfig = CollectionsConfig()
    early_warning: EarlyWarningConfig = EarlyWarningConfig()
    nudges: NudgeConfig = NudgeConfig()
    deal: SecuritisationConfig | None = Field(
        None, description="Securitisation of the receivables; a mapping or a YAML file name."
    )

    @model_validator(mode="after")
    def _deal_fits(self) -> RunConfig:
        if self.deal is None:
            return self
        deal, horizon = self.deal, self.book.horizon_months
        if deal.cutoff_month >= horizon:
            raise ValueError(
                f"deal.cutoff_month = {deal.cutoff_month} must be before the end of the "
                f"horizon (book.horizon_months = {horizon})")
        if deal.cutoff_month + deal.revolving_months >= horizon:
            raise ValueError(
                f"deal.revolving_months = {deal.revolving_months} after deal.cutoff_month = "
                f"{deal.cutoff_month} leaves no month to amortise before the end of the horizon "
                f"(book.horizon_months = {horizon}); shorten the revolving period or lengthen "
                f"the horizon")
        return self

    @property
    def capacity(self) -> int:
        """Borrower slots over the whole horizon (initial plus all onboarded later)."""
        return self.book.initial_borrowers + self.book.new_borrowers_per_month * (
            self.book.horizon_months - 1
        )


def _format_errors(err: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid configuration"]
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"]) or "(top level)"
        value = e.get("input")
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
            parent = e["loc"][:-1]
            allowed = _allowed_keys(parent)
            if allowed:
                msg += f"; allowed keys here: {', '.join(allowed)}"
            lines.append(f"  {path}: {msg}")
            continue
        shown = repr(value) if not isinstance(value, dict) else "{...}"
        lines.append(f"  {path} = {shown}: {msg}")
    return "\n".join(lines)


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys of the model at key path ``loc`` (empty when it is not a model).

    A list index or a mapping key after a list or mapping of models (``ladder.0``,
    ``channels.sms``) leads to the item model.
    """
    model: Any = RunConfig
    in_container = False
    for part in loc:
        if in_container:  # the index or key of one item: the item's model is next
            in_container = False
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        ann = field.annotation
        in_container = get_origin(ann) in (list, dict)
        candidates = [a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type)]
        model = next((a for a in candidates if issubclass(a, BaseModel)), None)
        if model is None:
            return []
    return [] if in_container else sorted(model.model_fields)


def deep_merge(base: dict, override: dict) -> dict:
    """Return ``base`` with ``override`` merged in, recursively for nested mappings."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_yaml(path: Path, _seen: tuple[Path, ...] = ()) -> dict:
    """Read a YAML config, resolving ``base:`` (relative to the file) recursively."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    if path.resolve() in _seen:
        raise ConfigError(f"{path}: 'base' files form a cycle")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a YAML config: it must be UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{path}: the top level must be a mapping of keys, got {kind}")
    if isinstance(data.get("deal"), str):  # a deal file, relative to this file
        data["deal"] = read_yaml(path.parent / data["deal"], _seen + (path.resolve(),))
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"{path}: base = {base!r}: must be a file name")
    parent = read_yaml(path.parent / base, _seen + (path.resolve(),))
    return deep_merge(parent, data)


def validate_config(data: dict, source: str = "config") -> RunConfig:
    """Validate a mapping into a :class:`RunConfig`, raising :class:`ConfigError`."""
    from sim.scenarios import apply_scenario  # scenarios sit beside the config models

    try:
        config = RunConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_errors(err, source)) from None
    return apply_scenario(config, source)


def load_config(source: str | Path | dict | RunConfig) -> RunConfig:
    """Load a config from a YAML path, a mapping or an existing model."""
    if isinstance(source, RunConfig):
        return source
    if isinstance(source, dict):
        return validate_config(source)
    path = Path(source)
    return validate_config(read_yaml(path), str(path))


def with_overrides(config: RunConfig, overrides: dict) -> RunConfig:
    """A copy of ``config`` with nested ``overrides`` applied and validated."""
    return validate_config(deep_merge(config.model_dump(), overrides), config.name)


def _field_rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = field.annotation
        sub = next((a for a in (getattr(ann, "__args__", None) or (ann,))
                    if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None and not str(ann).startswith(("list", "dict")):
            rows += _field_rows(sub, f"{path}.")
            continue
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        item = next((a for a in getattr(ann, "__args__", ())
                     if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if item is not None:  # a list or mapping of models: document one item's keys
            rows.append((path, "(list)" if isinstance(default, list) else "(mapping)",
                         field.description or ""))
            rows += _field_rows(item, f"{path}[]." if isinstance(default, list)
                                else f"{path}.<name>.")
            continue
        if field.is_required():
            default = "(required)"
        elif isinstance(default, BaseModel):
            default = "(see below)"
        elif isinstance(default, list | dict):
            default = "(list)" if isinstance(default, list) else "(mapping)"
        limits = [f"{k} {getattr(m, k)}" for m in field.metadata
                  for k in ("ge", "gt", "le", "lt") if getattr(m, k, None) is not None]
        text = (field.description or "") + (f" [{', '.join(limits)}]" if limits else "")
        rows.append((path, default if default == "(required)" else repr(default), text))
    return rows


def config_reference() -> str:
    """Every config key with its default, allowed range and meaning, as a Markdown table."""
    lines = ["| key | default | meaning [allowed] |", "|---|---|---|"]
    for path, default, text in _field_rows(RunConfig, ""):
        lines.append(f"| `{path}` | `{default}` | {text.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
