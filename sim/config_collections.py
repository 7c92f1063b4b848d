"""Config of the collection policy and of the platform's other interventions.

:class:`CollectionsConfig` is the ladder of contact channels (:data:`CHANNELS`) by days
past due, each channel's cost and calibrated response by borrower type, the contact caps,
the collectors' team, legal action, hardship, re-ageing, arrangements and debt sale.
:class:`EarlyWarningConfig`, :class:`NudgeConfig` and :class:`ExperimentConfig` are the
early-warning model, borrower education and a randomised field experiment.
:mod:`sim.config` re-exports every name.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from sim.config_base import MAX_MONEY, NonNeg, Prob, _Model
from sim.config_borrowers import BORROWER_TYPES

CHANNELS = ("sms", "app_push", "email", "auto_call", "human", "agency")


class ChannelConfig(_Model):
    """One collection channel: what an action costs and how each type of borrower responds.

    A contacted borrower of type ``k`` at ``dpd`` days past due responds with probability
    ``response[k] * exp(-(dpd - 1) / decay_days)``: contact works best early, and each
    channel works on a different reason for being late (reminders on the disorganised, a
    collector on the willing-but-constrained and some of the unwilling, the agency on the
    unwilling). A response is a payment now, as far as cash on hand plus ``stretch_months``
    of income found elsewhere allows, or, with probability ``promise_share``, a promise to
    pay in ``promise_days`` days, kept with probability ``promise_keep``. An unwilling
    borrower responds only to an ``escalation`` channel, and from then on pays as others do.
    The default responses are calibrated so that the simulated field experiments of
    ``creditsim validate`` reproduce the published effects (docs/VALIDATION.md).
    """

    cost: NonNeg = Field(0.0, le=10_000, description="Cost per action (currency units): "
                         "the variable cost only. Platform's cost, illustrative: a message a few "
                         "cents (SMS 0.05, push and e-mail 0.01), an automated call 0.3, a "
                         "collector's call 0.3 (modelling choice: the line and dialler of a "
                         "call, as an automated call's; the collector's paid time is the team's "
                         "fixed cost, collections.collectors.monthly_cost, not counted again "
                         "per call); the agency is paid by commission.")
    commission: Prob = Field(
        0.0, description="Share of the amount collected paid to the channel (agencies). "
        "Platform pricing, illustrative: 0.25 for the agency, paid only on what it collects."
    )
    response: dict[str, Prob] = Field(
        default_factory=dict,
        description="Response probability at 1 day past due, by borrower type (a type left "
        "out does not respond); see repayment.types. The collector's (human) responses are "
        "calibrated, with its stretch_months and arrangement_months, so that the simulated "
        "field experiment of creditsim validate reproduces Laudenbach, Pirschel and Siegel "
        "(2018), CESifo WP 7295 (docs/VALIDATION.md); the reminders' (mostly the "
        "disorganised) and the agency's (mostly the unwilling) are modelling choices.",
    )
    decay_days: float = Field(
        60.0, gt=0, le=3650,
        description="Days past due over which the response falls by a factor e. Modelling "
        "choice: contact works best early; reminders fade over 30-40 days, a collector's "
        "call over 45, the agency, which works charged-off balances, over 240.",
    )
    escalation: bool = Field(
        False, description="Whether a response moves an unwilling borrower to pay."
    )
    stretch_months: NonNeg = Field(
        0.0, le=3,
        description="Cash a responding borrower finds beyond savings (cutting other spending, "
        "family, debts elsewhere), in months of permanent income, within the room debts "
        "elsewhere leave (income.other_debt_limit_months, other_debt_supply_elasticity) and, "
        "when repayment.stretch_within_income, at most the month's income less essentials "
        "(an affordable arrangement: FCA CONC 7.3; the Standard Financial Statement). The "
        "collector's 0.5 is part of its calibration to Laudenbach, Pirschel and Siegel "
        "(2018); see response.",
    )
    arrangement_months: int = Field(
        0, ge=0, le=24,
        description="Months a response's repayment arrangement lasts: at every due date in "
        "that time the borrower pays stretch_months of income (capped as stretch_months "
        "says) before other creditors (0: the contact's payment only). The collector's 12 "
        "months is part of the calibration to Laudenbach, Pirschel and Siegel (2018); see "
        "response.",
    )
    promise_share: Prob = Field(0.3, description="Share of responses that are promises to "
                                "pay (modelling choice; the collector's: 0.5).")
    promise_keep: Prob = Field(0.6, description="Probability that a promise to pay is kept "
                               "(modelling choice; the collector's: 0.7).")
    promise_days: int = Field(7, ge=1, le=30, description="Days until the promised payment "
                              "(modelling choice: a week).")

    @model_validator(mode="after")
    def _check(self) -> ChannelConfig:
        bad = sorted(set(self.response) - set(BORROWER_TYPES))
        if bad:
            raise ValueError(f"response has types {bad}; allowed types are "
                             f"{list(BORROWER_TYPES)}")
        if any(not 0.0 <= p <= 1.0 for p in self.response.values()):
            raise ValueError("response probabilities must be between 0 and 1")
        return self

    def response_by_type(self) -> np.ndarray:
        """Response at 1 day past due in the order of :data:`BORROWER_TYPES`."""
        return np.array([self.response.get(t, 0.0) for t in BORROWER_TYPES])


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
    """Compliance limits on contacts per borrower, counted over every rung of the ladder
    (the agency's contacts included)."""

    per_day: int = Field(
        2, ge=0, le=20,
        description="Most contacts of one borrower in a day (platform policy, illustrative).",
    )
    per_week: int = Field(
        7, ge=0, le=100,
        description="Most contacts of one borrower in any 7 consecutive days. Platform "
        "policy: 7 follows the US Regulation F call-frequency presumption (12 CFR "
        "1006.14(b)(2): more than seven calls in seven days about one debt is presumed "
        "harassment), applied here to every channel.",
    )


class CollectorsConfig(_Model):
    """The human collection team: a daily capacity of calls, a queue and a monthly cost."""

    count: int = Field(
        10, ge=0, le=100_000,
        description="Collectors on the team (platform policy: its staffing choice).",
    )
    calls_per_day: int = Field(
        60, ge=0, le=1000,
        description="Calls one collector makes a day (platform policy, illustrative).",
    )
    priority: Literal["oldest_dpd", "largest_balance", "highest_expected_recovery"] = Field(
        "oldest_dpd", description="Which waiting account is called first (platform policy)."
    )
    monthly_cost: NonNeg = Field(
        5060.0, le=1e6,
        description="Cost of one collector a month (currency units; US dollars at the "
        "model's money scale, income.median_monthly), wages and the employer's other costs "
        "(benefits, payroll taxes), booked at every month end of a path whose ladder calls "
        "on the team (collections.enabled with a human rung on the ladder), whether or not "
        "the calls are used: a salaried team is a fixed cost (the portfolio's "
        "collector_cost, part of collection_cost). "
        "Source: BLS Occupational Employment and Wage Statistics, May 2022, 43-3011 Bill "
        "and Account Collectors: mean annual wage $42,820 (median $39,470); BLS Employer "
        "Costs for Employee Compensation, June 2022: wages and salaries are 70.5 % of "
        "private industry's compensation costs. 42,820 / 0.705 / 12 = 5,061, rounded.",
    )


class LegalConfig(_Model):
    """Legal action: a fixed cost, a delay, and a share of the balance if it succeeds."""

    enabled: bool = Field(True, description="Whether legal action is taken.")
    from_dpd: int = Field(
        150, ge=30, le=360,
        description="Days past due at which a case is filed (platform policy, illustrative).",
    )
    min_balance: NonNeg = Field(
        2000.0, le=MAX_MONEY,
        description="Smallest balance worth a case (currency units; platform policy, "
        "illustrative: a third of the median month's income at the baseline).",
    )
    cost: NonNeg = Field(
        300.0, le=1e6,
        description="Cost of a case (currency units), booked at filing (platform's cost, "
        "illustrative).",
    )
    success_prob: Prob = Field(
        0.5, description="Probability that the case recovers anything (modelling choice: "
        "most debt-collection suits end in a default judgment, but a judgment is collected "
        "only from borrowers with wages or assets to garnish)."
    )
    recovery_share: Prob = Field(
        0.5, description="Share of the charged-off balance a successful case recovers "
        "(modelling choice)."
    )
    delay_months: int = Field(
        6, ge=0, le=36, description="Months from charge-off to the court-ordered payment. "
        "Modelling choice: a collection suit filed at legal.from_dpd and decided, mostly by "
        "default judgment, within months, then enforced (wage garnishment); the case's "
        "length is an illustrative figure, not one court's statistics.",
    )


class HardshipConfig(_Model):
    """Hardship programme: grace period and re-ageing of the plan for borrowers in need."""

    enabled: bool = Field(True, description="Whether hardship requests are granted.")
    request_prob: Prob = Field(
        0.3,
        description="Monthly probability that an eligible borrower asks, right after a due "
        "date that left a bill unpaid (an older one, or only that day's: before the account "
        "is counted past due). Modelling choice (behaviour, no published figure): 0.3 a "
        "month means most eligible borrowers ask within a few months of the income drop.",
    )
    income_drop: Prob = Field(
        0.3, description="Eligible when income is this share or more below permanent income "
        "(platform policy, illustrative)."
    )
    grace_months: int = Field(
        2, ge=0, le=6,
        description="Months without instalments (platform policy: the programme's terms, "
        "illustrative).",
    )
    term_months: int = Field(
        6, ge=1, le=12,
        description="Months the restructured balance is repaid over (platform policy, "
        "illustrative; grace and term together at most 12 months, a short-term plan).",
    )

    @model_validator(mode="after")
    def _check(self) -> HardshipConfig:
        if self.grace_months + self.term_months > 12:
            raise ValueError("grace_months + term_months must not exceed 12")
        return self


class ReageConfig(_Model):
    """Re-ageing of accounts that keep up a collector's repayment arrangement.

    An account still past due that has paid at least the arrangement's instalment (its
    balance when agreed, spread over ``channels.<name>.arrangement_months``: the
    arrangement's minimum payment) at ``after_payments`` consecutive due dates under an
    arrangement is re-aged:
    its balance becomes a fee-free plan over ``hardship.term_months`` and it is reported
    current, as its own ``re_aged`` state (never a cure). Source: FFIEC Uniform Retail
    Credit Classification and Account Management Policy (65 FR 36903, 2000): an open-end
    account may be re-aged after at least three consecutive minimum monthly payments, no
    more than once in twelve months.
    """

    enabled: bool = Field(True, description="Whether arrangements lead to a re-age.")
    after_payments: int = Field(
        3, ge=1, le=12, description="Consecutive due dates with a payment before a re-age "
        "(FFIEC: three)."
    )
    min_months_between: int = Field(
        12, ge=0, le=60, description="Months that must pass between two re-ages of one "
        "account (FFIEC: once in twelve months)."
    )


class ArrangementsConfig(_Model):
    """What a collector's repayment arrangement does to the termination of the contract
    (``billing.acceleration_dpd``). Platform policy; both switches are off by default.

    With both on, an arrangement is forbearance on a live contract: kept, it holds
    termination off; broken (a due date under it that did not pay its instalment) while
    the account is ``acceleration_dpd`` days past due, the contract is terminated and the
    arrangement ends with it, so that a terminated balance is left to recovery (the agency,
    legal action). docs/MODEL.md ("Calibration and sources") gives what this does to the
    depth of delinquency, the collector's effect and the cycle.
    """

    hold_termination_while_kept: bool = Field(
        True, description="Whether the contract of an account under a running arrangement "
        "whose last due date under it paid at least the arrangement's instalment is not "
        "terminated at billing.acceleration_dpd (platform policy: a lender's right to "
        "terminate, e.g. BGB s. 498, is not an obligation).")
    end_at_termination: bool = Field(
        True, description="Whether a running arrangement ends when the contract is "
        "terminated, and a terminated account is not offered a new one (platform policy: a "
        "terminated balance is in recovery).")


class DebtSaleConfig(_Model):
    """Sale of charged-off debt to a buyer."""

    enabled: bool = Field(False, description="Whether charged-off debt is sold.")
    months_after_chargeoff: int = Field(
        12, ge=0, le=60, description="Months after charge-off the remaining face value is sold "
        "(platform policy: after a year of its own and its agencies' recovery efforts)."
    )
    price: Prob = Field(
        0.08, description="Price per unit of remaining face value. Source: debt sold some "
        "time after charge-off fetches 8-9 cents on the dollar (debt buyers' own average "
        "purchase prices in 2016: Encore Capital Group 9.2 %, PRA Group 8.6 %; CFPB's 2014 "
        "survey of card issuers: about 16 cents for fresh debt, 9 for resold debt; FTC "
        "(2013), The Structure and Practices of the Debt Buying Industry: 4 cents on average "
        "over portfolios of all ages bought in 2006-2009).")


def _default_channels() -> dict[str, ChannelConfig]:
    """Channel costs and calibrated responses (types: reliable, disorganised, constrained,
    unwilling; first-payment defaulters never respond)."""
    reminder = {"reliable": 0.10, "disorganised": 0.45, "constrained": 0.04}
    return {
        "sms": ChannelConfig(cost=0.05, response=reminder, decay_days=30),
        "app_push": ChannelConfig(
            cost=0.01, decay_days=30,
            response={"reliable": 0.08, "disorganised": 0.35, "constrained": 0.03}),
        "email": ChannelConfig(
            cost=0.01, decay_days=30,
            response={"reliable": 0.05, "disorganised": 0.20, "constrained": 0.02}),
        "auto_call": ChannelConfig(
            cost=0.3, decay_days=40,
            response={"reliable": 0.12, "disorganised": 0.45, "constrained": 0.06}),
        "human": ChannelConfig(
            cost=0.3, decay_days=45, escalation=True, stretch_months=0.5, arrangement_months=12,
            promise_share=0.5, promise_keep=0.7,
            response={"reliable": 0.6, "disorganised": 0.6, "constrained": 0.6,
                      "unwilling": 0.3}),
        "agency": ChannelConfig(
            cost=0.0, commission=0.25, decay_days=240, escalation=True,
            response={"reliable": 0.08, "disorganised": 0.08, "constrained": 0.08,
                      "unwilling": 0.25}),
    }


def _default_ladder() -> list[LadderStep]:
    return [
        LadderStep(channel="sms", from_dpd=1, to_dpd=40, every_days=3),
        LadderStep(channel="app_push", from_dpd=1, to_dpd=40, every_days=3),
        LadderStep(channel="auto_call", from_dpd=3, to_dpd=40, every_days=4),
        LadderStep(channel="human", from_dpd=5, to_dpd=40, every_days=7),
        LadderStep(channel="agency", from_dpd=41, to_dpd=360, every_days=14),
    ]


class CollectionsConfig(_Model):
    """The collection policy: ladder, channels, caps, team, legal, hardship, debt sale."""

    enabled: bool = Field(True, description="Whether any collection action is taken.")
    ladder: list[LadderStep] = Field(default_factory=_default_ladder, max_length=50,
                                     description="Steps of the ladder, in order of action "
                                     "(platform policy); at most one step on the human "
                                     "channel, which feeds the collectors' queue.")
    channels: dict[str, ChannelConfig] = Field(default_factory=_default_channels,
                                               description="Cost and effect of each channel.")
    caps: CapsConfig = CapsConfig()
    collectors: CollectorsConfig = CollectorsConfig()
    legal: LegalConfig = LegalConfig()
    hardship: HardshipConfig = HardshipConfig()
    reage: ReageConfig = ReageConfig()
    arrangements: ArrangementsConfig = ArrangementsConfig()
    debt_sale: DebtSaleConfig = DebtSaleConfig()
    agency_recovery_factor: NonNeg = Field(
        1.3, le=5, description="Recovery mean multiplier after charge-off for accounts placed "
        "with the agency (its commission, channels.agency.commission, is paid out of what it "
        "collects). Modelling choice: an agency works an account more than the in-house team "
        "after charge-off and is paid only on results, so it collects more gross and less "
        "net; 1.3 with a 25 % commission leaves the lender about what its own team would "
        "recover (1.3 x 0.75 = 0.98).",
    )

    @model_validator(mode="after")
    def _check(self) -> CollectionsConfig:
        bad = sorted(set(self.channels) - set(CHANNELS))
        if bad:
            raise ValueError(f"channels has {bad}; allowed channels are {list(CHANNELS)}")
        missing = sorted({s.channel for s in self.ladder} - set(self.channels))
        if missing:
            raise ValueError(f"ladder uses channels {missing} that have no entry in channels")
        human = [i for i, s in enumerate(self.ladder) if s.channel == "human"]
        if len(human) > 1:  # one queue for the collectors: one rung feeds it
            raise ValueError(
                f"ladder has {len(human)} steps on the human channel (steps "
                f"{', '.join(str(i + 1) for i in human)}); at most one step may use the "
                "collectors: give it one from_dpd-to_dpd window (and every_days)")
        return self

    def employs_collectors(self) -> bool:
        """Whether the platform pays a collection team: collections on and a human rung on
        the ladder. A ladder without one never calls on the collectors, so it pays none
        whatever ``collectors.count`` says."""
        return self.enabled and any(step.channel == "human" for step in self.ladder)

    def collector_cost_cents(self) -> int:
        """The collection team's cost for one month in integer cents: ``collectors.count x
        collectors.monthly_cost`` when the platform employs one
        (:meth:`employs_collectors`), else 0."""
        if not self.employs_collectors():
            return 0
        return self.collectors.count * int(round(self.collectors.monthly_cost * 100))

    def stretch_by_channel(self) -> tuple[float, ...]:
        """``stretch_months`` of each channel of :data:`CHANNELS`, in that order (0 for a
        channel the policy does not use): months of permanent income an arrangement made
        on that channel moves up the borrower's payment hierarchy."""
        return tuple(float(self.channels[ch].stretch_months) if ch in self.channels else 0.0
                     for ch in CHANNELS)


class EarlyWarningConfig(_Model):
    """Early warning: a fitted model of missing the next payment, and what to do about it.

    The model is a logistic regression on what a lender observes (score, utilisation,
    the bill against the limit, months on book, recent missed payments, recent
    contacts, recent limit cuts), fitted on the path's own first ``fit_months``.
    """

    enabled: bool = Field(False, description="Whether current borrowers are scored monthly.")
    fit_months: int = Field(12, ge=2, le=120, description="Months of history before fitting.")
    max_training_rows: int = Field(
        50_000, ge=100, le=10_000_000,
        description="Largest training sample (a random subset beyond it)."
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
        0.7, description="Share of a reminded borrower's chance of forgetting removed; a "
        "reminded borrower also sets all cash on hand aside for the bill (max_cash_share "
        "becomes 1). Modelling choice sized by the 2022 fintech reminder field study (Journal "
        "of Banking and Finance): reminders mostly help the inattentive."
    )
    reminder_cost: NonNeg = Field(0.05, le=1e3, description="Cost of a reminder (currency units).")
    limit_cut_pct: Prob = Field(0.3, description="Limit cut for flagged borrowers.")


class NudgeConfig(_Model):
    """Borrower education: fewer forgotten payments and less over-borrowing, decaying.

    A reached borrower's reductions are ``forget_reduction`` and ``overborrow_reduction``
    at onboarding, shrinking by a factor e every ``decay_months``. Source: Fernandes, Lynch
    and Netemeyer (2014), 'Financial literacy, financial education, and downstream
    financial behaviors', Management Science: interventions explain about 0.1 % of the
    variance of financial behaviours, and the effects decay to nothing within about 20
    months of the intervention.
    """

    enabled: bool = Field(False, description="Whether new borrowers are offered education.")
    reach: Prob = Field(0.5, description="Share of new borrowers the programme reaches "
                        "(platform policy: the programme's scale, the user's scenario).")
    cost_per_borrower: NonNeg = Field(
        2.0, le=10_000, description="One-off cost per borrower reached (currency units; "
        "platform policy, illustrative: an in-app course costs little per borrower)."
    )
    forget_reduction: Prob = Field(
        0.10, description="Share of a reached borrower's chance of forgetting removed at first "
        "(small: Fernandes et al. 2014)."
    )
    overborrow_reduction: Prob = Field(
        0.05, description="Share of a reached borrower's extra spending under stress removed at "
        "first (small: Fernandes et al. 2014)."
    )
    decay_months: float = Field(
        7.0, gt=0, le=120,
        description="Months over which the effects fall by a factor e (7: about 6 % is left "
        "after 20 months, Fernandes et al. 2014).",
    )


class ExperimentConfig(_Model):
    """A randomised field experiment run inside the book (see sim/agents/experiments.py).

    Accounts reaching ``at_dpd`` days past due are assigned to treatment with probability
    ``share``; the treated get one contact through ``channel`` that day, outside the caps
    and the collectors' capacity. Used by ``creditsim validate`` to reproduce published
    experiments; off in every shipped policy.
    """

    enabled: bool = Field(False, description="Whether the experiment runs.")
    channel: Literal["sms", "app_push", "email", "auto_call", "human", "agency"] = Field(
        "human", description="Channel of the treatment contact."
    )
    at_dpd: int = Field(
        30, ge=1, le=170, description="Days past due at which accounts are enrolled."
    )
    share: Prob = Field(0.5, description="Probability of assignment to the treatment arm.")
    follow_days: int = Field(
        30, ge=1, le=120, description="Days after enrolment at which repayment is measured."
    )
    default_months: int = Field(
        12, ge=7, le=60,
        description="Months after enrolment within which a charge-off counts as default of "
        "the enrolled delinquency (long enough for it to reach charge-off).",
    )
