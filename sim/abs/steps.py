"""The verbs of the waterfall: what each step of the priority of payments does.

A deal's priority of payments is an ordered tuple of `Step`s (a `Verb` and, for note steps, the
note) built by `build_steps`; each verb has one handler that pays from the period's cash for all
Monte Carlo paths at once and reports what it paid. Principal is shared between notes
sequentially (most senior first) or pro rata (in proportion to their balances).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from sim.abs.deal import Deal, as_deal
from sim.abs.triggers import safe_ratio

__all__ = [
    "DEAL_FIELDS",
    "FLAG_FIELDS",
    "HANDLERS",
    "NOTE_FIELDS",
    "SOURCE_FIELDS",
    "DealState",
    "PeriodContext",
    "Recorder",
    "Step",
    "Terms",
    "Verb",
    "allocate_pro_rata",
    "allocate_sequential",
    "build_steps",
]


class Verb(StrEnum):
    """The closed set of things a waterfall step can do."""

    PAY_FEES = "pay_fees"
    PAY_SWAP = "pay_swap"
    PAY_INTEREST = "pay_interest"
    CLEAR_PDL = "clear_pdl"
    PAY_PRINCIPAL = "pay_principal"
    FUND_RESERVE = "fund_reserve"
    PAY_RESIDUAL = "pay_residual"


class Step(NamedTuple):
    """One line of the priority of payments: a verb, and the note it applies to if any."""

    verb: Verb
    note: int | None = None


def build_steps(deal: Deal | dict) -> tuple[Step, ...]:
    """Return the deal's priority of payments as an ordered tuple of steps.

    Args:
        deal: Deal terms.

    Returns:
        Steps in payment order: fees, swap (if any), for each note its interest and, with a PDL,
        the clearing of its ledger, then principal, reserve and residual.
    """
    deal = as_deal(deal)
    steps = [Step(Verb.PAY_FEES)]
    if deal.swap is not None:
        steps.append(Step(Verb.PAY_SWAP))
    for i in range(len(deal.notes)):
        steps.append(Step(Verb.PAY_INTEREST, i))
        if deal.pdl:
            steps.append(Step(Verb.CLEAR_PDL, i))
    steps += [Step(Verb.PAY_PRINCIPAL), Step(Verb.FUND_RESERVE), Step(Verb.PAY_RESIDUAL)]
    return tuple(steps)


@dataclass(frozen=True)
class Terms:
    """A deal's terms as arrays, fixed for a whole run.

    Attributes:
        deal: The validated deal.
        steps: Priority of payments (`build_steps`).
        fixed_coupon: Annual coupon of fixed-rate notes, shape (notes, 1); 0 for floating notes.
        floating: Which notes are floating-rate, shape (notes,).
        margin: Annual margin of floating-rate notes, shape (notes, 1).
        reserve_target: Reserve target, currency units.
        call_level: Pool balance below which the clean-up call is exercised, per path.
        swap_schedule: Swap notional per period when given as a schedule, else None.
        n_periods: Number of periods in the run.
    """

    deal: Deal
    steps: tuple[Step, ...]
    fixed_coupon: np.ndarray
    floating: np.ndarray
    margin: np.ndarray
    reserve_target: float
    call_level: np.ndarray | None
    swap_schedule: np.ndarray | None
    n_periods: int

    @classmethod
    def build(cls, deal: Deal, n_periods: int, first_pool: np.ndarray) -> Terms:
        """Terms for a run of `n_periods` whose first `pool_balance_begin` is `first_pool`."""
        notes = deal.notes
        call = deal.clean_up_call
        schedule = None
        if deal.swap is not None and not isinstance(deal.swap.notional, str):
            schedule = np.zeros(n_periods)
            sched = np.asarray(deal.swap.notional[:n_periods], dtype=float)
            schedule[: sched.size] = sched
        return cls(
            deal=deal,
            steps=build_steps(deal),
            fixed_coupon=np.array([n.coupon or 0.0 for n in notes])[:, None],
            floating=np.array([n.rate_type == "floating" for n in notes]),
            margin=np.array([n.margin for n in notes])[:, None],
            reserve_target=deal.reserve.target_pct * deal.initial_note_balance,
            call_level=None if call is None else call.call_pct * first_pool,
            swap_schedule=schedule,
            n_periods=n_periods,
        )

    def coupons(self, base: np.ndarray | None, n_paths: int) -> np.ndarray:
        """Annual coupon per note and path, shape (notes, paths); floating floored at zero."""
        out = np.broadcast_to(self.fixed_coupon, (len(self.floating), n_paths)).copy()
        if self.floating.any():
            assert base is not None, "floating notes need the base rate"
            out[self.floating] = np.maximum(base[None, :] + self.margin[self.floating], 0.0)
        return out

    def swap_net(self, t: int, balance: np.ndarray, base: np.ndarray | None) -> np.ndarray:
        """Net swap amount, positive when the vehicle pays, shape (paths,)."""
        swap = self.deal.swap
        if swap is None:
            return np.zeros(balance.shape[1])
        if self.swap_schedule is None:
            notional = balance[self.floating].sum(axis=0)
        else:
            notional = np.full(balance.shape[1], self.swap_schedule[t])
        assert base is not None, "a swap needs the base rate"
        return notional * (swap.fixed_rate - base) / 12.0


@dataclass
class DealState:
    """What the vehicle carries from one period to the next; arrays end in the paths axis.

    Attributes:
        balance: Note principal outstanding, (notes, paths).
        shortfall: Unpaid note interest carried forward (no interest on it), (notes, paths).
        pdl: Principal deficiency ledger balance per note, (notes, paths).
        unpaid_fees: Senior fees carried forward, (paths,).
        unpaid_swap: Swap payments owed by the vehicle carried forward, (paths,).
        reserve: Reserve account balance, (paths,).
        active: False once a clean-up call has ended the deal, (paths,).
        amortising: True once any trigger has breached (ends the revolving period), (paths,).
    """

    balance: np.ndarray
    shortfall: np.ndarray
    pdl: np.ndarray
    unpaid_fees: np.ndarray
    unpaid_swap: np.ndarray
    reserve: np.ndarray
    active: np.ndarray
    amortising: np.ndarray

    @classmethod
    def initial(cls, deal: Deal, n_paths: int) -> DealState:
        """State at closing: notes at their original balance, reserve at its initial amount."""
        n_notes = len(deal.notes)
        balances = np.array([n.balance for n in deal.notes], dtype=float)
        return cls(
            balance=np.repeat(balances[:, None], n_paths, axis=1),
            shortfall=np.zeros((n_notes, n_paths)),
            pdl=np.zeros((n_notes, n_paths)),
            unpaid_fees=np.zeros(n_paths),
            unpaid_swap=np.zeros(n_paths),
            reserve=np.full(n_paths, deal.reserve.initial),
            active=np.ones(n_paths, dtype=bool),
            amortising=np.zeros(n_paths, dtype=bool),
        )


NOTE_FIELDS = (
    "balance_begin",
    "coupon",
    "interest_due",
    "interest_paid",
    "interest_shortfall",
    "principal_paid",
    "writedown",
    "balance_end",
    "pdl_debit",
    "pdl_credit",
    "pdl_balance",
)
DEAL_FIELDS = (
    "available",
    "fees_due",
    "fees_paid",
    "swap_net",
    "swap_paid",
    "sale_proceeds",
    "principal_target",
    "reinvested",
    "reserve_balance",
    "residual",
    "excess_spread",
)
FLAG_FIELDS = ("sequential", "revolving", "trigger_breached", "call_exercised", "active")
SOURCE_FIELDS = ("collections", "swap_receipt", "reserve_draw")


class Recorder:
    """Output buffers filled period by period, period-major.

    Attributes:
        notes: `NOTE_FIELDS` arrays shaped (periods, notes, paths).
        deal: `DEAL_FIELDS` and `SOURCE_FIELDS` arrays shaped (periods, paths).
        flags: `FLAG_FIELDS` boolean arrays shaped (periods, paths).
        triggers: Breach state, bool, shaped (periods, triggers, paths).
        trigger_values: Each trigger's tested value, shaped (periods, triggers, paths).
    """

    def __init__(self, n_periods: int, n_notes: int, n_paths: int, n_triggers: int) -> None:
        self.notes = {k: np.zeros((n_periods, n_notes, n_paths)) for k in NOTE_FIELDS}
        self.deal = {k: np.zeros((n_periods, n_paths)) for k in DEAL_FIELDS + SOURCE_FIELDS}
        self.flags = {k: np.zeros((n_periods, n_paths), dtype=bool) for k in FLAG_FIELDS}
        self.triggers = np.zeros((n_periods, n_triggers, n_paths), dtype=bool)
        self.trigger_values = np.zeros((n_periods, n_triggers, n_paths))


@dataclass
class PeriodContext:
    """One period of one waterfall run, for all paths.

    `cash` is what is left to pay out. With a PDL, `principal_cash` is the part of `cash` kept
    for the principal step (principal collections plus PDL credits): other steps spend revenue
    first and touch it only when revenue has run out, and `principal_used` records how much
    they took (debited to the PDL at the end of the period). Without a PDL both stay zero.
    The amounts due this period (`coupon`, `interest_current`, `fee_current`, `swap_net`) and
    the allocation modes (`sequential`, `revolving`, `call`) are fixed before the first step;
    `out` receives the period's outputs.
    """

    t: int
    x: dict[str, np.ndarray]
    cash: np.ndarray
    principal_cash: np.ndarray
    principal_used: np.ndarray
    coupon: np.ndarray
    interest_current: np.ndarray
    fee_current: np.ndarray
    swap_net: np.ndarray
    sequential: np.ndarray
    revolving: np.ndarray
    call: np.ndarray
    out: Recorder

    def record(self, **values: np.ndarray) -> None:
        """Store deal-level outputs of this period."""
        for name, value in values.items():
            self.out.deal[name][self.t] = value

    def record_note(self, note: int | slice, **values: np.ndarray) -> None:
        """Store outputs of one note for this period."""
        for name, value in values.items():
            self.out.notes[name][self.t, note] = value

    def pay(self, due: np.ndarray) -> np.ndarray:
        """Pay `due` from the cash left, as far as it goes; return the amount paid."""
        paid = np.clip(due, 0.0, self.cash)
        from_principal = np.maximum(paid - (self.cash - self.principal_cash), 0.0)
        self.principal_cash = self.principal_cash - from_principal
        self.principal_used = self.principal_used + from_principal
        self.cash = self.cash - paid
        return paid

    def revenue(self) -> np.ndarray:
        """Cash left that is not kept for principal."""
        return np.maximum(self.cash - self.principal_cash, 0.0)


# ----------------------------------------------------------------------------------------------
# Principal allocation


def allocate_sequential(amount: np.ndarray, balance: np.ndarray) -> np.ndarray:
    """Split `amount` (paths,) over notes, most senior first, capped at `balance` (notes, paths)."""
    pays = np.empty_like(balance)
    rem = amount.copy()
    for i in range(balance.shape[0]):
        pays[i] = np.minimum(balance[i], rem)
        rem = np.maximum(rem - pays[i], 0.0)
    return pays


def allocate_pro_rata(amount: np.ndarray, balance: np.ndarray) -> np.ndarray:
    """Split `amount` over notes in proportion to `balance`, capped at each balance.

    Any excess over a note's cap goes to the remaining notes in seniority order. Shares are
    taken senior-first from what remains, so the notes never receive more than `amount`.
    """
    frac = safe_ratio(amount, balance.sum(axis=0))
    pays = np.minimum(balance * frac, balance)
    rem = amount.copy()
    for i in range(balance.shape[0]):
        pays[i] = np.minimum(pays[i], rem)
        rem = np.maximum(rem - pays[i], 0.0)
    return pays + allocate_sequential(rem, balance - pays)


# ----------------------------------------------------------------------------------------------
# Step handlers: each pays from ctx.cash and records what it paid


def _pay_fees(ctx: PeriodContext, state: DealState, terms: Terms, note: int | None) -> None:
    due = ctx.fee_current + state.unpaid_fees
    paid = ctx.pay(due)
    state.unpaid_fees = due - paid
    ctx.record(fees_due=due, fees_paid=paid)


def _pay_swap(ctx: PeriodContext, state: DealState, terms: Terms, note: int | None) -> None:
    due = np.maximum(ctx.swap_net, 0.0) + state.unpaid_swap
    paid = ctx.pay(due)
    state.unpaid_swap = due - paid
    ctx.record(swap_paid=paid)


def _pay_interest(ctx: PeriodContext, state: DealState, terms: Terms, note: int | None) -> None:
    assert note is not None, "interest is paid per note"
    due = ctx.interest_current[note] + state.shortfall[note]
    paid = ctx.pay(due)
    state.shortfall[note] = due - paid
    ctx.record_note(note, interest_due=due, interest_paid=paid, interest_shortfall=due - paid)


def _clear_pdl(ctx: PeriodContext, state: DealState, terms: Terms, note: int | None) -> None:
    assert note is not None, "a principal deficiency ledger is cleared per note"
    credit = np.minimum(state.pdl[note], ctx.revenue())
    state.pdl[note] -= credit
    ctx.principal_cash = ctx.principal_cash + credit
    ctx.record_note(note, pdl_credit=credit)


def _principal_target(ctx: PeriodContext, state: DealState, terms: Terms) -> np.ndarray:
    total = state.balance.sum(axis=0)
    x = ctx.x
    if terms.deal.pdl:
        target = ctx.principal_cash
    else:
        pool_end = x["pool_balance_begin"] - x["principal"] - x["defaults"]
        target = total - pool_end
    target = np.where(ctx.call, total, target)
    return np.clip(target, 0.0, total)


def _pay_principal(ctx: PeriodContext, state: DealState, terms: Terms, note: int | None) -> None:
    target = _principal_target(ctx, state, terms)
    amount = np.minimum(target, ctx.cash)
    reinvest = np.where(ctx.revolving, amount, 0.0)
    if "replenishment_capacity" in ctx.x:  # what the pool can buy; the rest pays the notes
        reinvest = np.minimum(reinvest, ctx.x["replenishment_capacity"])
    to_notes = amount - reinvest
    pays = allocate_sequential(to_notes, state.balance)
    if terms.deal.principal == "pro_rata":
        pro_rata = allocate_pro_rata(to_notes, state.balance)
        pays = np.where(ctx.sequential[None, :], pays, pro_rata)
    state.balance = state.balance - pays
    ctx.cash = np.maximum(ctx.cash - reinvest - pays.sum(axis=0), 0.0)
    ctx.principal_cash = np.zeros_like(ctx.cash)
    ctx.record(principal_target=target, reinvested=reinvest)
    ctx.out.notes["principal_paid"][ctx.t] = pays


def _fund_reserve(ctx: PeriodContext, state: DealState, terms: Terms, note: int | None) -> None:
    target = np.where(ctx.call | ~state.active, 0.0, terms.reserve_target)
    state.reserve = ctx.pay(target)
    ctx.record(reserve_balance=state.reserve)


def _pay_residual(ctx: PeriodContext, state: DealState, terms: Terms, note: int | None) -> None:
    ctx.record(residual=ctx.cash)
    ctx.cash = np.zeros_like(ctx.cash)


HANDLERS: dict[Verb, Callable[[PeriodContext, DealState, Terms, int | None], None]] = {
    Verb.PAY_FEES: _pay_fees,
    Verb.PAY_SWAP: _pay_swap,
    Verb.PAY_INTEREST: _pay_interest,
    Verb.CLEAR_PDL: _clear_pdl,
    Verb.PAY_PRINCIPAL: _pay_principal,
    Verb.FUND_RESERVE: _fund_reserve,
    Verb.PAY_RESIDUAL: _pay_residual,
}
