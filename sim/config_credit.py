"""Config of the platform's credit policy: behaviour score, limits, billing, recoveries.

The score moves with each bill paid or missed; it sizes the first limit and triggers
limit cuts (:class:`ScoreConfig`, :class:`CreditLineConfig`); billing sets the due and purchase
days, the plans' fees, late fees, termination and charge-off (:class:`BillingConfig`);
:class:`RecoveryConfig` is what comes back after charge-off, and when.
:func:`largest_episode_balance` bounds the balance these rules let an account reach.
:mod:`sim.config` re-exports every name.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.config_base import MAX_MONEY, FeeTerm, NonNeg, Prob, Weight, _Model
from sim.config_borrowers import BORROWER_TYPES


class ScoreConfig(_Model):
    """Behaviour score on a 300-900 scale."""

    initial_mean: float = Field(
        650.0, ge=300, le=900,
        description="Mean application score. The score is the platform's own (a rule of its "
        "policy, not a bureau score); its values are modelling choices.",
    )
    initial_sd: float = Field(
        60.0, ge=0, le=300, description="S.d. of the application score (modelling choice)."
    )
    on_time_gain: NonNeg = Field(
        3.0, le=600,
        description="Points gained for a bill paid in full on time (modelling choice: a slow "
        "climb, at most 36 points a year of clean payments).",
    )
    missed_loss: NonNeg = Field(
        40.0, le=600,
        description="Points lost for each due date left unpaid. Modelling choice, milder than "
        "a bureau score: FICO's published examples cost one 30-day late payment 60-80 points "
        "from a 680 score and 90-110 from 780 (300-850 scale).",
    )
    cure_gain: NonNeg = Field(
        10.0, le=600,
        description="Points regained when a delinquent account cures (modelling choice).",
    )


class CreditLineConfig(_Model):
    """Credit-line policy: initial limit, increases, cuts and freezes."""

    income_multiple: NonNeg = Field(
        1.0, le=20,
        description="Initial limit at score 700, in months of income. Platform policy, not "
        "behaviour: every credit_line key is the platform's own choice, illustrative here "
        "(no platform discloses its limit rules).",
    )
    score_slope: NonNeg = Field(
        0.005, le=0.1,
        description="Relative change of the initial limit per score point above 700 "
        "(platform policy, illustrative).",
    )
    min_limit: NonNeg = Field(
        500.0, le=MAX_MONEY,
        description="Smallest limit granted (currency units; platform policy, illustrative).",
    )
    max_limit: NonNeg = Field(
        50_000.0, le=MAX_MONEY,
        description="Largest limit ever granted (currency units; platform policy, illustrative).",
    )
    max_income_multiple: NonNeg = Field(
        3.0, le=50,
        description="Limit increases stop at this many months of permanent income (platform "
        "policy, illustrative).",
    )
    increase_after_months: int = Field(
        6, ge=1, le=120,
        description="Consecutive on-time months before a limit increase (platform policy, "
        "illustrative).",
    )
    increase_pct: NonNeg = Field(
        0.2, le=5,
        description="Relative size of a limit increase (platform policy, illustrative; "
        "baseline 0.15).",
    )
    freeze_dpd: int = Field(
        1, ge=1, le=360,
        description="Days past due at which the line is frozen (platform policy; at 1, no "
        "new purchases once a bill is overdue).",
    )
    cut_score: float = Field(
        550.0, ge=300, le=900,
        description="Score below which the limit is cut (platform policy, illustrative).",
    )
    cut_pct: Prob = Field(
        0.3, description="Relative size of a limit cut (platform policy, illustrative)."
    )

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
        20, ge=1, le=28,
        description="Day of the month payments are due (statement on day 0; platform policy).",
    )
    purchase_day: int = Field(
        25, ge=1, le=29,
        description="Day of the month new purchases are booked (after due_day; a modelling "
        "simplification of purchases spread over the month).",
    )
    instalment_fee: dict[FeeTerm, Annotated[float, Field(ge=0.0, le=0.05)]] = Field(
        default_factory=lambda: {3: 0.005, 6: 0.006, 12: 0.006},
        description="Fee per monthly period of each instalment plan, as a share of the amount "
        "financed. Platform pricing, not behaviour: 0.5-0.6 % a period is at the low end of the "
        "0.5-1.2 % a period widely reported for JD Baitiao and below Huabei's standard card "
        "(2.5 %, 4.5 % and 8.8 % in all for 3, 6 and 12 months: 0.83, 0.75 and 0.73 % a "
        "period), as quoted by consumer-finance sites, not from a platform filing.",
    )
    late_fee_daily: float = Field(
        0.0005, ge=0, le=0.01,
        description="Late fee a day on overdue principal (0.0005 = 0.05 %). Platform pricing: "
        "Huabei's overdue fee, 0.05 % of the overdue amount a day, as widely quoted by "
        "consumer-finance sites (not checked against an Ant Group filing).",
    )
    chargeoff_dpd: int = Field(
        180, ge=30, le=360,
        description="Days past due at which an account is charged off. Source: FFIEC Uniform "
        "Retail Credit Classification and Account Management Policy (2000): open-end retail "
        "credit 180 days past due is classified loss and charged off.",
    )
    acceleration_dpd: int | None = Field(
        None, ge=1, le=359,
        description="Days past due (read at the statement) at which the contract is "
        "terminated and the whole balance called due, as one bill dated from the first "
        "missed instalment; null: never. Source: German Civil Code section 498 (a consumer "
        "instalment loan may be terminated after two consecutive missed instalments and a "
        "two-week notice; 40 days at the statement is two missed bills plus the notice), "
        "the acceleration clauses of US retail instalment contracts; Laudenbach, Pirschel "
        "and Siegel (2018) report such terminations as an outcome of delinquency.",
    )

    @model_validator(mode="after")
    def _check(self) -> BillingConfig:
        bad = sorted(set(self.instalment_fee) - {3, 6, 12})
        if bad:
            raise ValueError(f"instalment_fee has terms {bad}; allowed terms are [3, 6, 12]")
        if any(not 0 <= f <= 0.05 for f in self.instalment_fee.values()):
            raise ValueError("instalment_fee rates must be between 0 and 0.05 per period")
        if self.acceleration_dpd is not None and self.acceleration_dpd >= self.chargeoff_dpd:
            raise ValueError(f"acceleration_dpd ({self.acceleration_dpd}) must be below "
                             f"chargeoff_dpd ({self.chargeoff_dpd})")
        if self.purchase_day <= self.due_day:
            raise ValueError(
                f"purchase_day ({self.purchase_day}) must fall after due_day ({self.due_day})"
            )
        return self


class RecoveryConfig(_Model):
    """Recoveries after charge-off: by borrower, channel and the economy when collected.

    An account's expected recovery share is ``mean_rate`` times the factors of its
    employment, type and channel, times the cycle factor averaged along the lag curve:
    the month-k cash is scaled by ``(u_base / u_k) ** cycle_elasticity``, the economy at the
    time it is collected (known on the path's macro path when the account is charged off).
    """

    mean_rate: Prob = Field(
        0.20, description="Mean share of the charged-off balance eventually recovered, "
        "employed borrower, own recovery team, normal economy. Source: card master trusts "
        "report recoveries of 10-20 % of gross charge-offs in normal years (e.g. Citibank "
        "Credit Card Master Trust monthly reports, 2005-2007)."
    )
    unemployed_factor: NonNeg = Field(
        0.5, le=2,
        description="Recovery mean multiplier for borrowers unemployed at charge-off. "
        "Modelling choice: less is recovered from those without a job; no published figure "
        "is used, 0.5 halves the mean.",
    )
    type_factor: dict[str, Annotated[float, Field(ge=0.0, le=5.0)]] = Field(
        default_factory=lambda: {"first_payment_default": 0.2, "unwilling": 0.8},
        description="Recovery mean multiplier by borrower type (others 1): little is "
        "recovered from fraud-like first-payment defaulters (modelling choice).",
    )
    cycle_elasticity: float = Field(
        1.0, ge=0.0, le=5.0,
        description="Elasticity of recoveries to unemployment when collected: cash scales with "
        "(u_base / u) ** elasticity. Source: card-trust recoveries fell from about 10-12 % of "
        "gross charge-offs in 2006-2007 to about 5 % in 2009 while US unemployment doubled "
        "(Citibank Credit Card Master Trust and BA Master Credit Card Trust II reports).",
    )
    concentration: float = Field(
        4.0, gt=0, le=1e4, description="Concentration (alpha + beta) of the Beta-distributed "
        "share of an account's charged-off balance that is recovered (its mean is mean_rate "
        "times the factors). Modelling choice: 4 spreads accounts widely around the mean "
        "(s.d. about 0.18 at a mean of 0.2), most recovering little and a few much, as the "
        "skewed account-level recoveries of charged-off card debt are; no account-level "
        "distribution is published.",
    )
    lag_curve: list[Weight] = Field(max_length=121,
        default_factory=lambda: [0.0, 0.05, 0.10, 0.12, 0.12, 0.10, 0.09, 0.08, 0.07, 0.06,
                                 0.05, 0.04, 0.04, 0.03, 0.02, 0.02, 0.01],
        description="Share of an account's recovery received k months after charge-off "
        "(k = 0, 1, ...); normalised to sum to 1. Modelling choice: recoveries of an in-house "
        "team and its agencies spread over about a year and a half, peaking in months 3-4 "
        "and 92 % in by month 12; no platform publishes its curve.",
    )

    @model_validator(mode="after")
    def _check(self) -> RecoveryConfig:
        if not self.lag_curve or any(w < 0 for w in self.lag_curve) or sum(self.lag_curve) <= 0:
            raise ValueError("lag_curve must be a non-empty list of weights >= 0, not all zero")
        bad = sorted(set(self.type_factor) - set(BORROWER_TYPES))
        if bad:
            raise ValueError(f"type_factor has types {bad}; allowed types are "
                             f"{list(BORROWER_TYPES)}")
        if any(not 0.0 <= f <= 5.0 for f in self.type_factor.values()):
            raise ValueError("type_factor multipliers must be between 0 and 5")
        return self


def largest_episode_balance(credit_line: CreditLineConfig, billing: BillingConfig) -> float:
    """Largest balance (currency units) an account can reach in one delinquency episode.

    Principal stays within the limit (a purchase is capped by the open limit); on top, at
    most ``chargeoff_dpd // 30 + 2`` monthly bills are unpaid before charge-off, each with
    the fees of at most 13 running plans (one bought a month, 12 statements each, every one
    at most the limit) and a late fee of ``30 * late_fee_daily`` on the principal:
    ``max_limit * (1 + bills * (13 * max instalment_fee + 30 * late_fee_daily))``. A re-age
    turns unpaid fees into principal, so repeated re-ages can exceed it; the ledger checks
    every balance as it books (:data:`sim.ledger.MAX_ACCOUNT_CENTS`).
    """
    bills = billing.chargeoff_dpd // 30 + 2
    fee = max(billing.instalment_fee.values(), default=0.0)
    return credit_line.max_limit * (1.0 + bills * (13 * fee + 30 * billing.late_fee_daily))
