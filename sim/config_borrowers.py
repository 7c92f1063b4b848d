"""Config of how borrowers use the line: what they buy, why they are late, how they pay.

Each borrower has one persistent type (:data:`BORROWER_TYPES`), the reason they may be
late. :class:`RepaymentConfig` picks the repayment model: the structural one (cash,
willingness and attention decide, by type) or an analytic benchmark, the roll-rate chain
(:class:`RollChainConfig`) or the one-factor Gaussian model (:class:`OneFactorConfig`).
:mod:`sim.config` re-exports every model.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from sim.config_base import PLAN_TERMS, NonNeg, PlanTerm, Prob, Weight, _Model


class SpendingConfig(_Model):
    """Purchases on the credit line and the choice of repayment plan."""

    share_of_income: NonNeg = Field(
        0.12, le=2,
        description="Median monthly credit-line spending of a buyer as a share of income "
        "(baseline 0.20). Modelling choice for a general-purpose line used like a card (as "
        "Huabei and Baitiao are), not a checkout pay-in-4 loan: US pay-in-4 users spent $848 "
        "a year per lender in 2023 (CFPB data spotlight on Pay in 4 loans, 2025), about 1 % "
        "of the median household's monthly income. With purchase_prob 0.7 the baseline puts "
        "about 15 % of income on the line in an average month.",
    )
    dispersion: float = Field(
        0.6, ge=0, le=3,
        description="Spread of log spending: a persistent borrower trait and a monthly shock, "
        "each with s.d. dispersion / 2 (together dispersion / sqrt 2, 0.42). Modelling choice.",
    )
    purchase_prob: Prob = Field(
        0.7,
        description="Monthly probability that an eligible borrower buys on the line. "
        "Modelling choice: US BNPL borrowers took 9.5 loans a year on average in 2022 (CFPB, "
        "January 2025 report on BNPL use and credit records), a purchase in about 55 % of "
        "months if loans come at random; 0.7 assumes a line used for everyday payments.",
    )
    plan_mix: dict[PlanTerm, Weight] = Field(
        default_factory=lambda: {0: 0.55, 3: 0.2, 6: 0.15, 12: 0.10},
        description="Relative weight of each plan (0 = pay in full at the next statement; "
        "3/6/12-month instalments). Modelling choice: no platform discloses its mix; most "
        "purchases are paid within the interest-free period, shorter plans are more common.",
    )
    stress_multiplier: NonNeg = Field(
        1.0,
        le=20,
        description="Spending multiplier for borrowers with less than a month of income saved "
        "(the line becomes their liquidity buffer: over-borrowing before default). Modelling "
        "choice: BNPL borrowers are more often highly indebted and revolving than others (CFPB "
        "2023, Making Ends Meet survey), but no published figure sizes a rise within a "
        "borrower, so the default is none (1). On the calm baseline (full validation book) 1 "
        "gives a 30+ DPD share of 1.2 % of receivables, charge-offs of 2.5 % a year and a "
        "yearly miss incidence of 25 %; 1.5 gives 2.1 %, 3.9 % and 37 %; 2 gives 2.9 %, "
        "5.4 % and 45 %, above the published incidence (docs/VALIDATION.md).",
    )
    stress_tilt: NonNeg = Field(
        2.0,
        le=20,
        description="Odds multiplier of instalment plans for borrowers with less than a month "
        "of savings (liquidity-stressed borrowers stretch repayment). Modelling choice: no "
        "published figure; 2 doubles the odds of each instalment plan against paying in full.",
    )

    @model_validator(mode="after")
    def _check_plans(self) -> SpendingConfig:
        bad = sorted(set(self.plan_mix) - set(PLAN_TERMS))
        if bad:
            raise ValueError(f"plan_mix has terms {bad}; allowed terms are {list(PLAN_TERMS)}")
        if any(p < 0 for p in self.plan_mix.values()) or sum(self.plan_mix.values()) <= 0:
            raise ValueError("plan_mix weights must be >= 0 and not all zero")
        return self


BORROWER_TYPES = ("reliable", "disorganised", "constrained", "unwilling",
                  "first_payment_default")


class BorrowerTypesConfig(_Model):
    """Why a borrower is late: each borrower has one persistent type, drawn at onboarding.

    ``reliable`` borrowers (the remainder) are late only when a shock leaves them without
    cash; the other types add a reason of their own. Shares are of all borrowers.
    """

    disorganised: Prob = Field(
        0.12,
        description="Share who often forget a bill unless on autopay or reminded (inattention). "
        "Source: Medina (2021), 'Side effects of nudging', Review of Financial Studies, and "
        "Gathergood et al. (2019, 'How do consumers avoid penalty fees?'): a large share of late "
        "payments on cards are avoidable lapses by borrowers with funds; 12 % is a modelling "
        "choice within that evidence.",
    )
    constrained: Prob = Field(
        0.37,
        description="Share who are liquidity-constrained (hand-to-mouth: almost no savings "
        "buffer), who pay when cash comes in. Source: Federal Reserve, Economic Well-Being of "
        "U.S. Households in 2023 (SHED): 37 % would not cover a $400 emergency expense with cash "
        "or its equivalent; Kaplan, Violante and Weidner (2014, Brookings Papers): about one "
        "third of households are hand-to-mouth.",
    )
    unwilling: Prob = Field(
        0.04,
        description="Share who keep paying while current (to keep the line) but, once late, "
        "will not pay without escalation (a collector, the agency, legal action). Modelling "
        "choice: collection practice separates 'can't pay' from 'won't pay'; Guiso, Sapienza "
        "and Zingales (2013, Journal of Finance) find a minority willing to default "
        "strategically; 4 % keeps this type a minority of the delinquent.",
    )
    first_payment_default: Prob = Field(
        0.005,
        description="Share of first-payment defaulters (fraud-like: draw the line and never "
        "pay). Source: industry first-party-fraud estimates put first-payment default at "
        "0.3-1 % of new unsecured accounts (modelling choice within that range).",
    )

    @model_validator(mode="after")
    def _check(self) -> BorrowerTypesConfig:
        total = self.disorganised + self.constrained + self.unwilling + self.first_payment_default
        if total > 1.0 + 1e-12:
            raise ValueError(f"type shares add up to {total:.4f}; they must not exceed 1 "
                             "(the remainder are reliable)")
        return self

    def shares(self) -> np.ndarray:
        """Shares in the order of :data:`BORROWER_TYPES` (reliable first, the remainder)."""
        rest = [self.disorganised, self.constrained, self.unwilling, self.first_payment_default]
        return np.array([max(1.0 - sum(rest), 0.0), *rest])


class RepaymentConfig(_Model):
    """How borrowers pay their bills."""

    model: Literal["structural", "bernoulli", "roll_chain", "one_factor"] = Field(
        "structural",
        description="'structural': ability (cash), willingness and attention decide, by "
        "borrower type; 'bernoulli': each borrower with something due misses the whole payment "
        "with probability miss_prob, otherwise pays everything owed (the closed-form "
        "benchmark); 'roll_chain' and 'one_factor': the analytic benchmarks of "
        "sim.agents.benchmark_models (see roll_chain and one_factor).",
    )
    miss_prob: Prob = Field(0.05, description="Monthly miss probability of the bernoulli model.")
    roll_chain: RollChainConfig = Field(
        default_factory=lambda: RollChainConfig(),
        description="Per-bucket miss probabilities of the 'roll_chain' model.",
    )
    one_factor: OneFactorConfig = Field(
        default_factory=lambda: OneFactorConfig(),
        description="Default probability and asset correlation of the 'one_factor' model.",
    )
    types: BorrowerTypesConfig = Field(
        default_factory=lambda: BorrowerTypesConfig(),
        description="Shares of the borrower types (why a borrower is late).",
    )
    willingness_mean: Prob = Field(
        0.97, description="Mean of the Beta-distributed willingness trait of all types but "
        "'unwilling' and first-payment defaulters; a borrower pays only when the trait plus "
        "the month's wobble is at least 0.5. Modelling choice: a trait that rarely fails, so "
        "that unwillingness is a type (repayment.types.unwilling), not a monthly coin."
    )
    willingness_concentration: float = Field(
        40.0, gt=0, le=1e4,
        description="Concentration (alpha + beta) of the willingness Beta. Modelling choice: "
        "with mean 0.97, almost every trait lies well above the 0.5 at which a bill is refused.",
    )
    willingness_wobble_sd: float = Field(
        0.05, ge=0.0, le=1.0,
        description="S.d. of the monthly wobble added to the willingness trait (modelling "
        "choice: willingness persists; a wobble of 0.05 rarely flips a trait of 0.9).",
    )
    forget_prob: Prob = Field(
        0.01, description="Monthly probability of forgetting the bill without autopay, for "
        "every type but 'disorganised' (modelling choice: a rare lapse, one bill in a "
        "hundred; inattention as a trait is the disorganised type's, whose lapses Medina "
        "(2021) and Gathergood et al. (2019) describe)."
    )
    disorganised_forget_prob: Prob = Field(
        0.30, description="Monthly probability that a disorganised borrower without autopay "
        "forgets the bill (modelling choice: the type forgets one bill in three; reminders and "
        "autopay remove most of it)."
    )
    constrained_savings_months: NonNeg = Field(
        0.5, le=12,
        description="Largest savings buffer of a liquidity-constrained borrower, in months of "
        "permanent income. Source: the hand-to-mouth line of Kaplan, Violante and Weidner "
        "(2014), Brookings Papers on Economic Activity: liquid wealth below half a month of "
        "income.",
    )
    constrained_essential_share: Prob = Field(
        0.75,
        description="Share of permanent income a liquidity-constrained borrower spends on "
        "essentials and other consumption each month (the others: income.essential_share). "
        "Default: the same share as the others. Kaplan, Violante and Weidner (2014) define "
        "hand-to-mouth households by their liquid wealth, not by a higher average "
        "consumption share; their high marginal propensity to consume is the savings cap "
        "(constrained_savings_months: income above the buffer is spent). A higher share "
        "here would count that propensity twice and make the constrained insolvent in "
        "every economy, so that losses no longer follow the cycle.",
    )
    autopay_share: Prob = Field(
        0.89,
        description="Share of borrowers with autopay (a bound bank account or card the "
        "platform debits at the due date), who never forget a bill; autopay still fails when "
        "the borrower has no cash. Source: CFPB (2022), 'Buy Now, Pay Later: market trends "
        "and consumer impacts': 89 % of pay-in-4 repayments were made by debit card, taken "
        "from the card on file at each due date; the line's platform debits its bound "
        "account the same way.",
    )
    max_cash_share: Prob = Field(
        0.9,
        description="Largest share of cash on hand a borrower puts towards the bill. Modelling "
        "choice: a borrower keeps some cash back for other needs.",
    )
    stretch_within_income: bool = Field(
        False,
        description="Whether the cash a collector's contact or a running arrangement finds "
        "beyond savings (collections.channels.*.stretch_months of permanent income) is capped "
        "at the month's income less essentials (true: an affordable arrangement, FCA CONC 7.3 "
        "and the Standard Financial Statement) or found wherever the borrower can, borrowing "
        "from family or running up debts elsewhere, still within "
        "income.other_debt_limit_months (false, the shipped value). Modelling choice: a "
        "borrower who agrees a plan with a collector pays it from wherever they can, as the "
        "collector's call in Laudenbach, Pirschel and Siegel (2018) cut default by about 24 "
        "points among borrowers who were already late; capped, the call's effect on default "
        "falls to about -0.13. docs/MODEL.md ('Calibration and sources') measures both.",
    )
    buffer_after_bill: bool = Field(
        True,
        description="Whether a savings cap (constrained_savings_months, "
        "income.savings_cap_months) holds after the month's bill rather than before it: the "
        "statement comes before the month's income, and a current account's bill (nothing "
        "overdue before the statement) is kept aside above the cap until its due date. "
        "Kaplan, Violante and Weidner (2014) classify hand-to-mouth households by the liquid "
        "wealth they hold over a pay period in which they are paid and pay their bills; "
        "with false, income above the buffer is spent at the month's start, before a bill "
        "the statement has already stated, and a hand-to-mouth borrower whose bill is above "
        "the buffer misses it every month (docs/MODEL.md, 'Calibration and sources').",
    )
    current_bill_from_income: bool = Field(
        True,
        description="Whether a current account's bill (no bill overdue before the due date, "
        "no collector's arrangement running) can be paid from the month's income less "
        "essentials before debts elsewhere are repaid, within the room those debts leave "
        "(the larger of that and max_cash_share of positive savings). Modelling choice: the "
        "month's income pays the month's bills; the payment hierarchy, in which the line is "
        "paid only from positive savings and a collector moves it up (Andersson et al. "
        "2013), governs arrears. With false, a borrower with any debts elsewhere pays "
        "nothing towards a current bill until they are repaid.",
    )
    partial_payments: bool = Field(
        True,
        description="Whether borrowers who cannot pay all pay any part (modelling choice, true "
        "in every shipped config); false: whole bills only, oldest first (an instalment is paid "
        "whole or not at all, as on instalment platforms such as Afterpay, Klarna's Pay in 4 "
        "and Huabei's instalment plans).",
    )


class RollChainConfig(_Model):
    """The roll-rate chain benchmark (``repayment.model: roll_chain``).

    At each due date an account that has missed its last k due dates in a row misses
    again, paying nothing, with probability ``first_miss`` (k = 0) or ``forward[k - 1]``
    (k >= 1); otherwise it pays everything it owes and is current again. Delinquency is
    then an absorbing Markov chain on the 30-day buckets, solved by its fundamental
    matrix in ``sim.validation``.
    """

    first_miss: Prob = Field(
        0.08, description="Probability that a current account misses its whole bill at a due "
        "date (per due date): the roll from current to 1-30 days past due."
    )
    forward: list[Prob] = Field(
        default_factory=lambda: [0.45, 0.80, 0.88, 0.92, 0.95], min_length=1, max_length=11,
        description="Probability, per due date, that an account k = 1, 2, ... due dates behind "
        "misses again (rolls 1-30 -> 31-60, 31-60 -> 61-90, ...); further behind than the "
        "list, its last entry applies (1 to 11 entries, each 0-1). Defaults: late rolls of "
        "80-95 % as in card-trust filings (Citibank Credit Card Master Trust, BA Master "
        "Credit Card Trust II).",
    )
    close_prob: Prob = Field(
        0.0, description="Probability that an account that pays its bill in full closes its "
        "line (limit set to 0: it pays off and buys no more), per due date: a second "
        "absorbing state beside charge-off."
    )


class OneFactorConfig(_Model):
    """The one-factor Gaussian (Vasicek) default benchmark (``repayment.model: one_factor``).

    At each due date the path draws one standard normal factor Z; each borrower at its
    first due date defaults with probability
    ``Phi((Phi^-1(pd) - sqrt(rho) Z) / sqrt(1 - rho))`` and then never pays (charged off
    at ``billing.chargeoff_dpd``); every other borrower pays all it owes. Source: Vasicek,
    "The distribution of loan portfolio value", Risk 15(12), 2002.
    """

    pd: float = Field(
        0.05, gt=0.0, lt=1.0,
        description="Unconditional probability that a borrower defaults at its first due "
        "date (fraction of borrowers).",
    )
    rho: float = Field(
        0.15, ge=0.0, lt=1.0,
        description="Asset correlation: share of the variance of a borrower's latent credit "
        "variable that comes from the systematic factor (Basel retail: 0.03-0.16).",
    )
