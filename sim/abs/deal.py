"""Deal terms of a securitisation vehicle, validated on load.

A deal is the legal document of an ABS in miniature: which notes the vehicle issued (in order of
seniority), what it pays its senior agents, how much cash it keeps in reserve, how principal is
shared between the notes and which performance tests (triggers) change those rules. Every field
carries its unit; a bad deal fails with the key path, the value and what is allowed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.strict import StrictModel

__all__ = [
    "CleanUpCall",
    "CumulativeDefaultTrigger",
    "Deal",
    "DelinquencyTrigger",
    "ExcessSpreadTrigger",
    "Note",
    "Reserve",
    "Swap",
    "Trigger",
    "as_deal",
]


class _Strict(StrictModel):
    """Unknown keys refused, numbers finite and not booleans (see :mod:`sim.strict`)."""


class Note(_Strict):
    """One tranche of notes; the order of `Deal.notes` is the order of seniority."""

    name: str = Field(min_length=1, description="Tranche label, unique within the deal, e.g. 'A'.")
    balance: float = Field(gt=0, description="Original principal balance, currency units.")
    rate_type: Literal["fixed", "floating"] = Field(
        "fixed", description="'fixed': pays `coupon`; 'floating': pays base rate + `margin`."
    )
    coupon: float | None = Field(
        None, ge=0, description="Fixed annual coupon rate (0.05 = 5 %); fixed-rate notes only."
    )
    margin: float = Field(
        0.0, description="Annual margin over the base rate (0.01 = 100 bp); floating notes only."
    )

    @model_validator(mode="after")
    def _rate_terms(self) -> Note:
        if self.rate_type == "fixed" and self.coupon is None:
            raise ValueError("coupon is required for a fixed-rate note (annual rate, >= 0)")
        if self.rate_type == "floating" and self.coupon is not None:
            raise ValueError("a floating-rate note takes margin, not coupon")
        if self.rate_type == "fixed" and self.margin != 0.0:
            raise ValueError("margin applies to floating-rate notes only")
        return self


class Reserve(_Strict):
    """Cash reserve account: fully drawn into available funds each period, then refilled."""

    initial: float = Field(0.0, ge=0, description="Balance at closing, currency units.")
    target_pct: float = Field(
        0.0, ge=0, le=1, description="Target balance as a share of the initial total note balance."
    )


class _TriggerBase(_Strict):
    name: str | None = Field(
        None, min_length=1, description="Label used in output columns; defaults to the type."
    )
    sticky: bool = Field(True, description="True: once breached, stays breached (never cures).")

    @property
    def label(self) -> str:
        """Name used in output columns (`trigger_<label>`)."""
        return self.name or self.type  # type: ignore[attr-defined]


class CumulativeDefaultTrigger(_TriggerBase):
    """Breached when cumulative defaults / first period's pool balance exceed `threshold`."""

    type: Literal["cumulative_default_ratio"]
    threshold: float = Field(ge=0, le=1, description="Ratio, e.g. 0.05 = 5 % of the initial pool.")


class DelinquencyTrigger(_TriggerBase):
    """Breached when `delinquent_balance` / `pool_balance_begin` exceeds `threshold`."""

    type: Literal["delinquency_ratio"]
    threshold: float = Field(
        ge=0, le=1, description="Ratio of the period's pool balance, e.g. 0.08."
    )


class ExcessSpreadTrigger(_TriggerBase):
    """Breached when the rolling average annualised excess spread falls below `threshold`."""

    type: Literal["excess_spread"]
    threshold: float = Field(
        0.0, ge=-1, le=1, description="Annualised rate, e.g. 0.0 or 0.02 = 2 % a year."
    )
    months: int = Field(
        3, ge=1, le=24, description="Length of the rolling average, in periods (months)."
    )


Trigger = Annotated[
    CumulativeDefaultTrigger | DelinquencyTrigger | ExcessSpreadTrigger,
    Field(discriminator="type"),
]


class CleanUpCall(_Strict):
    """Optional redemption of all notes once the pool has amortised below a share of its start."""

    call_pct: float = Field(
        gt=0, lt=1, description="Exercised when pool_balance_begin < call_pct × first period's."
    )


class Swap(_Strict):
    """Interest-rate swap: the vehicle pays `fixed_rate` and receives the base rate."""

    fixed_rate: float = Field(
        ge=-0.05, le=0.5, description="Annual fixed rate paid by the vehicle, e.g. 0.03."
    )
    notional: Literal["floating_notes"] | Annotated[
        list[Annotated[float, Field(ge=0, le=1e13)]], Field(max_length=600)
    ] = Field(
        "floating_notes",
        description="'floating_notes': the floating notes' balance at the start of each period; "
        "or a schedule of notionals for periods 1, 2, ... (zero after its end), currency units.",
    )


class Deal(_Strict):
    """All terms of one securitisation; see docs/WATERFALL.md for the order of payments."""

    notes: list[Note] = Field(min_length=1, description="Tranches, most senior first.")
    senior_fee_rate: float = Field(
        0.0, ge=0, description="Annual senior fee rate on pool_balance_begin (0.01 = 1 % a year)."
    )
    reserve: Reserve = Field(default_factory=Reserve, description="Reserve account terms.")
    principal: Literal["sequential", "pro_rata"] = Field(
        "sequential", description="Principal allocation while no trigger is breached."
    )
    triggers: list[Trigger] = Field(
        default_factory=list, description="Performance tests; any breach forces sequential pay."
    )
    pdl: bool = Field(
        False, description="Keep a principal deficiency ledger per note (UK/EU RMBS style)."
    )
    clean_up_call: CleanUpCall | None = Field(None, description="Clean-up call terms, if any.")
    revolving_periods: int = Field(
        0, ge=0, description="Number of initial periods in which principal buys new receivables."
    )
    swap: Swap | None = Field(None, description="Interest-rate swap terms, if any.")

    @model_validator(mode="after")
    def _consistent(self) -> Deal:
        names = [n.name for n in self.notes]
        if len(set(names)) != len(names):
            raise ValueError(f"note names must be unique, got {names}")
        labels = [t.label for t in self.triggers]
        if len(set(labels)) != len(labels):
            raise ValueError(f"trigger names must be unique (set 'name'), got {labels}")
        floating = any(n.rate_type == "floating" for n in self.notes)
        if self.swap is not None and self.swap.notional == "floating_notes" and not floating:
            raise ValueError("swap.notional 'floating_notes' needs at least one floating note")
        return self

    @property
    def initial_note_balance(self) -> float:
        """Sum of the notes' original balances, currency units."""
        return float(sum(n.balance for n in self.notes))

    @property
    def needs_base_rate(self) -> bool:
        """Whether the collections must carry a `base_rate` column."""
        return self.swap is not None or any(n.rate_type == "floating" for n in self.notes)

    @property
    def needs_delinquency(self) -> bool:
        """Whether the collections must carry a `delinquent_balance` column."""
        return any(t.type == "delinquency_ratio" for t in self.triggers)


def as_deal(deal: Deal | dict) -> Deal:
    """Return `deal` as a validated `Deal`.

    Args:
        deal: A `Deal` or a plain mapping with the same keys.

    Returns:
        The validated deal.

    Raises:
        pydantic.ValidationError: If a key is unknown or a value is out of range; the message
            names the key path (e.g. ``notes.0.coupon``) and what is allowed.
    """
    if isinstance(deal, Deal):
        return deal
    return Deal.model_validate(deal)
