"""Deal terms of a securitisation vehicle, validated on load.

A deal is the legal document of an ABS in miniature: which notes the vehicle issued (in order of
seniority, sized as shares of the pool), what it pays its senior agents, how much cash it keeps
in reserve, which performance tests (triggers) change the rules, and its priority of payments:
one ordered list of steps, from a closed set of verbs, for each state of the deal (revolving,
amortising, accelerated). Every field carries its unit and finite bounds; a bad deal fails with
the key path, the value and what is allowed. docs/WATERFALL.md is the specification.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.abs.retention import retained_shares
from sim.strict import StrictModel

__all__ = [
    "STATES",
    "CleanUpCall",
    "CumulativeDefaultTrigger",
    "CumulativeNetLossTrigger",
    "Deal",
    "DelinquencyTrigger",
    "Eligibility",
    "ExcessSpreadTrigger",
    "Note",
    "PriorityOfPayments",
    "Reserve",
    "Step",
    "StepDown",
    "Swap",
    "Trigger",
    "Verb",
    "as_deal",
    "build_steps",
]

STATES = ("revolving", "amortising", "accelerated")
"""Deal states, each with its own list of steps (see docs/WATERFALL.md §3)."""

MAX_PERIOD = 1200
"""Largest period number a deal term may name (100 years of monthly periods)."""


class _Strict(StrictModel):
    """Unknown keys refused, numbers finite and not booleans (see :mod:`sim.strict`)."""


# ----------------------------------------------------------------------------------------------
# Notes, reserve, triggers, call, swap


class Note(_Strict):
    """One tranche of notes; the order of `Deal.notes` is the order of seniority."""

    name: str = Field(min_length=1, description="Tranche label, unique within the deal.")
    size: float | None = Field(
        None, gt=0.0, le=1.0, description="Original balance / initial pool balance (a share)."
    )
    balance: float | None = Field(
        None, gt=0.0, le=1e15, description="Original balance, currency units (instead of size)."
    )
    rate_type: Literal["fixed", "floating"] = Field(
        "fixed", description="'fixed' pays coupon; 'floating' pays the base rate + margin."
    )
    coupon: float | None = Field(
        None, ge=0.0, le=1.0, description="Fixed annual coupon (0.05 = 5 %); fixed notes only."
    )
    margin: float = Field(
        0.0, ge=-0.05, le=1.0, description="Annual margin over the base rate; floating notes only."
    )
    interest_on_shortfall: bool = Field(
        False, description="Unpaid interest itself accrues interest at the note's coupon."
    )

    @model_validator(mode="after")
    def _terms(self) -> Note:
        if (self.size is None) == (self.balance is None):
            raise ValueError("give exactly one of size (share of the pool) and balance "
                             "(currency units)")
        if self.rate_type == "fixed" and self.coupon is None:
            raise ValueError("coupon is required for a fixed-rate note (annual rate, 0 to 1)")
        if self.rate_type == "floating" and self.coupon is not None:
            raise ValueError("a floating-rate note takes margin, not coupon")
        if self.rate_type == "fixed" and self.margin != 0.0:
            raise ValueError("margin applies to floating-rate notes only")
        return self


class StepDown(_Strict):
    """From period `from_period` on, the reserve's `target_pct` becomes this one."""

    from_period: int = Field(ge=1, le=MAX_PERIOD, description="First period of the new target.")
    target_pct: float = Field(ge=0.0, le=1.0, description="New target, share of the basis.")


class Reserve(_Strict):
    """Cash reserve account: drawn in full into available funds each period, then refilled."""

    initial_pct: float = Field(
        0.0, ge=0.0, le=1.0, description="Balance at closing, share of the initial note balance."
    )
    target_pct: float = Field(0.0, ge=0.0, le=1.0, description="Requirement, share of basis.")
    basis: Literal["initial_notes", "current_pool", "initial_pool"] = Field(
        "initial_notes", description="What target_pct applies to: the initial note balance, "
        "the pool at the end of the period, or the initial pool.",
    )
    floor_pct: float = Field(
        0.0, ge=0.0, le=1.0, description="Floor of the requirement, share of the initial pool."
    )
    step_downs: list[StepDown] = Field(
        default_factory=list, description="Later targets, by increasing from_period."
    )
    step_down_needs_no_breach: bool = Field(
        True, description="A step-down applies only in periods with no trigger in breach."
    )

    @model_validator(mode="after")
    def _increasing(self) -> Reserve:
        starts = [s.from_period for s in self.step_downs]
        if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
            raise ValueError(f"step_downs must have increasing from_period, got {starts}")
        return self


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
    """Breached when cumulative defaults / the initial pool balance exceed `threshold`."""

    type: Literal["cumulative_default_ratio"]
    threshold: float = Field(ge=0.0, le=1.0, description="Ratio, e.g. 0.05 = 5 % of the pool.")


class CumulativeNetLossTrigger(_TriggerBase):
    """Breached when cumulative net losses (defaults less recoveries) / the initial pool
    balance exceed `threshold`."""

    type: Literal["cumulative_net_loss_ratio"]
    threshold: float = Field(ge=0.0, le=1.0, description="Ratio, e.g. 0.03 = 3 % of the pool.")


class DelinquencyTrigger(_TriggerBase):
    """Breached when `delinquent_balance` / `pool_balance_begin` exceeds `threshold`."""

    type: Literal["delinquency_ratio"]
    threshold: float = Field(ge=0.0, le=1.0, description="Ratio of the period's pool balance.")


class ExcessSpreadTrigger(_TriggerBase):
    """Breached when the rolling average of the net excess spread falls below `threshold`."""

    type: Literal["excess_spread"]
    threshold: float = Field(
        0.0, ge=-1.0, le=1.0, description="Annualised rate, e.g. 0.0 or 0.02 = 2 % a year."
    )
    months: int = Field(3, ge=1, le=24, description="Length of the rolling average, in periods.")


Trigger = Annotated[
    CumulativeDefaultTrigger | CumulativeNetLossTrigger | DelinquencyTrigger
    | ExcessSpreadTrigger,
    Field(discriminator="type"),
]


class Overcollateralisation(_Strict):
    """Required overcollateralisation (OC): the pool the notes are paid down to is the pool
    at the end of the period less this (docs/WATERFALL.md §5.2); deals without a PDL only."""

    target_pct: float = Field(
        ge=0.0, le=1.0, description="Required OC, share of the pool at the end of the period."
    )
    floor_pct: float = Field(
        0.0, ge=0.0, le=1.0, description="Floor of the required OC, share of the initial pool."
    )


class CleanUpCall(_Strict):
    """Optional redemption of all notes once the pool has amortised to a share of its start."""

    call_pct: float = Field(
        gt=0.0, lt=1.0,
        description="Exercised when the period's end pool balance <= call_pct × initial pool.",
    )
    price: Literal["pool_balance", "notes_at_par"] = Field(
        "pool_balance", description="What the originator pays for the pool: its balance "
        "(the notes bear any gap between it and what they are owed), or at least the notes' "
        "balance and the interest due on them (notes_at_par: the call crystallises no loss).",
    )


class Swap(_Strict):
    """Interest-rate swap: the vehicle pays `fixed_rate` and receives the base rate."""

    fixed_rate: float = Field(
        ge=-0.05, le=0.5, description="Annual fixed rate paid by the vehicle, e.g. 0.03."
    )
    notional: Literal["floating_notes"] | list[Annotated[float, Field(ge=0, le=1e15)]] = Field(
        "floating_notes",
        description="'floating_notes': the floating notes' balance at the start of each period; "
        "or a schedule of notionals for periods 1, 2, ... (zero after its end), currency units.",
    )


class Eligibility(_Strict):
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
        0.002, ge=0.0001, le=1.0,
        description="Concentration limit: most of one borrower's receivables the vehicle holds, "
        "as a share of the cut-off pool balance.",
    )


# ----------------------------------------------------------------------------------------------
# The priority of payments


class Verb(StrEnum):
    """The closed set of things a waterfall step can do (docs/WATERFALL.md §3)."""

    PAY_FEES = "pay_fees"
    PAY_SWAP = "pay_swap"
    PAY_INTEREST = "pay_interest"
    CLEAR_PDL = "clear_pdl"
    REINVEST = "reinvest"
    PAY_PRINCIPAL = "pay_principal"
    FUND_RESERVE = "fund_reserve"
    PAY_RESIDUAL = "pay_residual"


NOTE_VERBS = frozenset({Verb.PAY_INTEREST, Verb.CLEAR_PDL, Verb.PAY_PRINCIPAL})


class Step(_Strict):
    """One line of the priority of payments: a verb and, for note verbs, the notes it pays."""

    verb: Verb = Field(description="What the step does: one of the verbs of sim.abs.Verb.")
    notes: tuple[str, ...] = Field(
        (), description="Notes the step pays, by name (pay_interest, clear_pdl, pay_principal)."
    )
    allocation: Literal["sequential", "pro_rata"] | None = Field(
        None, description="pay_principal only: how principal is shared between its notes "
        "(default: the deal's principal rule in its default order)."
    )
    turbo: bool = Field(
        False, description="pay_principal only: pay the notes all the cash left, not only "
        "the principal amount (a cash trap or turbo amortisation, usually in the "
        "accelerated list)."
    )

    @model_validator(mode="after")
    def _shape(self) -> Step:
        if self.verb in NOTE_VERBS and not self.notes:
            raise ValueError(f"{self.verb} needs notes: the names of the notes it pays")
        if self.verb not in NOTE_VERBS and self.notes:
            raise ValueError(f"{self.verb} takes no notes")
        if len(set(self.notes)) != len(self.notes):
            raise ValueError(f"a note is named twice in {self.verb}: {list(self.notes)}")
        if self.allocation is not None and self.verb != Verb.PAY_PRINCIPAL:
            raise ValueError("allocation applies to pay_principal only")
        if self.turbo and self.verb != Verb.PAY_PRINCIPAL:
            raise ValueError("turbo applies to pay_principal only")
        return self

    def __str__(self) -> str:
        notes = f" {list(self.notes)}" if self.notes else ""
        alloc = f" ({self.allocation})" if self.allocation else ""
        turbo = " (turbo)" if self.turbo else ""
        return f"{self.verb}{notes}{alloc}{turbo}"


class PriorityOfPayments(_Strict):
    """One ordered list of steps per deal state; an empty list means the default order."""

    revolving: list[Step] = Field(
        default_factory=list, description="Steps while revolving (principal buys receivables)."
    )
    amortising: list[Step] = Field(
        default_factory=list, description="Steps after the revolving period, no trigger breached."
    )
    accelerated: list[Step] = Field(
        default_factory=list, description="Steps in periods with a trigger in breach."
    )


def _check_list(deal: Deal, state: str, steps: list[Step]) -> None:
    """Raise ValueError when `steps` breaks a rule of docs/WATERFALL.md §3."""
    where = f"priority_of_payments.{state}"
    names = [n.name for n in deal.notes]
    for k, step in enumerate(steps):
        unknown = [n for n in step.notes if n not in names]
        if unknown:
            raise ValueError(f"{where}.{k} ({step}): unknown note(s) {unknown}; the deal's notes "
                             f"are {names}: write the order for these notes, or give "
                             "priority_of_payments: null for the default order")
    verbs = Counter(s.verb for s in steps)
    exactly = {Verb.PAY_FEES: 1, Verb.FUND_RESERVE: 1, Verb.PAY_RESIDUAL: 1,
               Verb.PAY_SWAP: int(deal.swap is not None),
               Verb.REINVEST: int(state == "revolving")}
    for verb, count in exactly.items():
        if verbs[verb] != count:
            raise ValueError(f"{where}: {verb} must appear {count} time(s), found {verbs[verb]}")
    if steps[-1].verb != Verb.PAY_RESIDUAL:
        raise ValueError(f"{where}: pay_residual must be the last step, found {steps[-1]}")
    _check_notes(deal, where, steps)
    order = [s.verb for s in steps]
    last_principal = len(order) - 1 - order[::-1].index(Verb.PAY_PRINCIPAL)
    if state == "revolving" and order.index(Verb.REINVEST) > order.index(Verb.PAY_PRINCIPAL):
        raise ValueError(f"{where}: reinvest must come before the first pay_principal")
    if Verb.CLEAR_PDL in order[last_principal:]:
        raise ValueError(f"{where}: clear_pdl must come before the last pay_principal (what it "
                         f"credits is paid out by the principal steps)")
    turbo = [k for k, step in enumerate(steps) if step.turbo]
    if turbo and Verb.CLEAR_PDL in order[turbo[0]:]:
        raise ValueError(f"{where}: a turbo pay_principal must come after every clear_pdl (it "
                         f"pays the notes all the cash left, so revenue paid first would be "
                         f"taken again to clear the ledgers)")


def _check_notes(deal: Deal, where: str, steps: list[Step]) -> None:
    """Each note's interest paid once, principal at least once, ledger cleared with a PDL."""
    names = [n.name for n in deal.notes]
    per_note = {v: Counter(n for s in steps if s.verb == v for n in s.notes) for v in NOTE_VERBS}
    for name in names:
        if per_note[Verb.PAY_INTEREST][name] != 1:
            raise ValueError(f"{where}: note {name!r} must have its interest paid exactly once, "
                             f"found {per_note[Verb.PAY_INTEREST][name]}")
        if per_note[Verb.PAY_PRINCIPAL][name] < 1:
            raise ValueError(f"{where}: note {name!r} has no pay_principal step")
        wanted = int(deal.pdl)
        if per_note[Verb.CLEAR_PDL][name] != wanted:
            raise ValueError(f"{where}: clear_pdl for note {name!r} must appear {wanted} time(s) "
                             f"(pdl is {deal.pdl}), found {per_note[Verb.CLEAR_PDL][name]}")


def notes_unknown_to_order(deal: object, states: tuple[str, ...] = STATES) -> list[str]:
    """The notes that the steps of ``states`` in the priority of payments of the deal
    mapping ``deal`` (as read from a file, not validated) pay and its ``notes`` do not name,
    in the order first paid; [] when there are none or the mapping is not of that shape, a
    note without a name included (validation then says what is wrong)."""
    if not isinstance(deal, dict):
        return []
    notes, order = deal.get("notes"), deal.get("priority_of_payments")
    if not isinstance(notes, list) or not all(isinstance(n, dict)
                                              and isinstance(n.get("name"), str) for n in notes):
        return []
    names = {n["name"] for n in notes}
    paid = [n for state in states if isinstance(order, dict)
            and isinstance(order.get(state), list)
            for step in order[state] if isinstance(step, dict)
            and isinstance(step.get("notes"), list | tuple)
            for n in step["notes"] if isinstance(n, str)]
    return list(dict.fromkeys(n for n in paid if n not in names))


def build_steps(deal: Deal | dict, state: str = "amortising") -> tuple[Step, ...]:
    """The default priority of payments of `deal` in `state` (docs/WATERFALL.md §3).

    Args:
        deal: Deal terms.
        state: One of `STATES`.

    Returns:
        Steps in payment order: fees, swap (if any), each note's interest (and, with a PDL, the
        clearing of its ledger) from the most senior down, reinvestment (revolving only),
        principal to all notes (sequential when accelerated, else the deal's rule), reserve,
        residual.

    Raises:
        ValueError: If `state` is not one of `STATES`.
    """
    deal = as_deal(deal)
    if state not in STATES:
        raise ValueError(f"state must be one of {list(STATES)}, got {state!r}")
    steps = [Step(verb=Verb.PAY_FEES)]
    if deal.swap is not None:
        steps.append(Step(verb=Verb.PAY_SWAP))
    for note in deal.notes:
        steps.append(Step(verb=Verb.PAY_INTEREST, notes=(note.name,)))
        if deal.pdl:
            steps.append(Step(verb=Verb.CLEAR_PDL, notes=(note.name,)))
    if state == "revolving":
        steps.append(Step(verb=Verb.REINVEST))
    allocation = "sequential" if state == "accelerated" else deal.principal
    steps += [
        Step(verb=Verb.PAY_PRINCIPAL, notes=tuple(n.name for n in deal.notes),
             allocation=allocation),
        Step(verb=Verb.FUND_RESERVE),
        Step(verb=Verb.PAY_RESIDUAL),
    ]
    return tuple(steps)


# ----------------------------------------------------------------------------------------------
# The deal


class Deal(_Strict):
    """All terms of one securitisation; docs/WATERFALL.md is the specification."""

    name: str = Field("deal", min_length=1, description="Name of the deal in reports.")
    source: str = Field("", description="Where the terms come from (documentation only).")
    notes: list[Note] = Field(min_length=1, description="Tranches, most senior first.")
    senior_fee_rate: float = Field(
        0.0, ge=0.0, le=0.2, description="Servicing and trustee fees, annual, on the pool balance "
        "at the start of the period.",
    )
    reserve: Reserve = Field(default_factory=Reserve, description="Reserve account terms.")
    principal: Literal["sequential", "pro_rata"] = Field(
        "sequential", description="Principal allocation of the default order while no trigger "
        "is breached.",
    )
    principal_to_interest: Literal["most_senior", "pdl_not_in_debit", "all", "none"] = Field(
        "most_senior", description="With a PDL: whose interest principal funds may pay.",
    )
    triggers: list[Trigger] = Field(
        default_factory=list, description="Performance triggers (see docs/WATERFALL.md)."
    )
    pdl: bool = Field(False, description="Keep a principal deficiency ledger per note.")
    overcollateralisation: Overcollateralisation | None = Field(
        None, description="Required OC (deals without a PDL); default: the OC at closing, "
        "the initial pool less the notes, is kept (docs/WATERFALL.md §5.2).",
    )
    clean_up_call: CleanUpCall | None = Field(None, description="Clean-up call terms.")
    revolving_months: int = Field(
        0, ge=0, le=600, description="Periods in which principal collections buy new receivables."
    )
    legal_final_period: int | None = Field(
        None, ge=1, le=MAX_PERIOD, description="Legal final maturity of the notes, in periods "
        "after the cut-off; default: the last period simulated.",
    )
    swap: Swap | None = Field(None, description="Interest-rate swap paying fixed.")
    retained: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] | None = Field(
        None, description="The notes the originator keeps: note name to the share of it "
        "kept (0.05 of every note: a 5 % vertical slice, as risk retention allows); notes not "
        "named are sold. It keeps the residual (and funds the reserve) in every case; {} "
        "keeps the residual alone. Its return is computed on what it keeps "
        "(docs/REPORTS.md). Default: the most junior note whole.",
    )
    priority_of_payments: PriorityOfPayments = Field(
        default_factory=PriorityOfPayments,
        description="Ordered steps per deal state; an empty list takes the default order, "
        "and null the default order in every state (a deal file whose base writes out an "
        "order for other notes gives null to take the default order of its own notes).",
    )
    cutoff_month: int = Field(
        12, ge=1, le=600, description="Vehicle: month of the cut-off (1 = end of the first month)."
    )
    pool_share: float = Field(
        1.0, gt=0.0, le=1.0, description="Vehicle: share of the eligible receivables sold at "
        "cut-off.",
    )
    eligibility: Eligibility = Field(
        default_factory=Eligibility, description="Vehicle: eligibility criteria."
    )
    delinquency_dpd: int = Field(
        60, ge=1, le=179,
        description="Vehicle: receivables at least this many days past due count as delinquent.",
    )

    @field_validator("priority_of_payments", mode="before")
    @classmethod
    def _default_when_null(cls, value: object) -> object:
        # null: the default order in every state, whatever order a base deal wrote out
        return PriorityOfPayments() if value is None else value

    @model_validator(mode="after")
    def _consistent(self) -> Deal:
        names = [n.name for n in self.notes]
        if len(set(names)) != len(names):
            raise ValueError(f"note names must be unique, got {names}")
        sized = {n.size is not None for n in self.notes}
        if len(sized) != 1:
            raise ValueError("give every note a size (share of the pool) or every note a "
                             "balance (currency units), not a mix")
        total = sum(n.size or 0.0 for n in self.notes)
        if total > 1.0 + 1e-9:
            raise ValueError(f"note sizes add up to {total:.4f}; they must not exceed 1 (the pool)")
        labels = [t.label for t in self.triggers]
        if len(set(labels)) != len(labels):
            raise ValueError(f"trigger names must be unique (set 'name'), got {labels}")
        floating = any(n.rate_type == "floating" for n in self.notes)
        if self.swap is not None and self.swap.notional == "floating_notes" and not floating:
            raise ValueError("swap.notional 'floating_notes' needs at least one floating note")
        seasoning = self.eligibility.min_months_on_book
        if seasoning > self.cutoff_month:
            raise ValueError(f"eligibility.min_months_on_book = {seasoning}: no receivable is "
                             f"that old at the cut-off (end of month {self.cutoff_month}, when "
                             f"the oldest accounts have {self.cutoff_month} months on book); "
                             "allowed: at most cutoff_month")
        if self.overcollateralisation is not None and self.pdl:
            raise ValueError("overcollateralisation applies to a deal without a PDL: with "
                             "pdl: true every principal collection pays the notes and the "
                             "ledgers track their collateral; give one or the other")
        final = self.legal_final_period
        if final is not None and final <= self.revolving_months:
            raise ValueError(f"legal_final_period = {final} must be after the revolving period "
                             f"(revolving_months = {self.revolving_months})")
        for state in STATES:
            _check_list(self, state, self.steps(state))
        retained_shares(names, self.retained)
        return self

    def steps(self, state: str) -> list[Step]:
        """The deal's steps in `state`: its own list, or the default order if it gives none."""
        own = getattr(self.priority_of_payments, state)
        return list(own) if own else list(build_steps(self, state))

    @property
    def share_sized(self) -> bool:
        """Whether the notes are sized as shares of the pool (`size`) rather than balances."""
        return self.notes[0].size is not None

    def sized(self, pool_balance: float) -> Deal:
        """The same deal with every note's `balance` set to ``size × pool_balance``.

        Args:
            pool_balance: Initial pool balance, currency units (> 0).

        Returns:
            A balance-sized copy; a balance-sized deal is returned unchanged.

        Raises:
            ValueError: If `pool_balance` is not positive and finite.
        """
        if not self.share_sized:
            return self
        if not 0.0 < pool_balance < float("inf"):
            raise ValueError(f"pool_balance must be positive and finite, got {pool_balance}")
        notes = [n.model_copy(update={"size": None, "balance": (n.size or 0.0) * pool_balance})
                 for n in self.notes]
        return self.model_copy(update={"notes": notes})

    def note_balances(self, pool_balance: float = 1.0) -> list[float]:
        """Original note balances: `balance`, or ``size × pool_balance``."""
        return [n.balance if n.balance is not None else (n.size or 0.0) * pool_balance
                for n in self.notes]

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
