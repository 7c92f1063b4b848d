"""The verbs of the waterfall: what each step of the priority of payments does.

A deal's priority of payments is one ordered list of `Step`s per deal state (`Deal.steps`);
each verb has one handler that pays from the period's cash for all Monte Carlo paths at once and
records what it paid. States whose lists differ only by their principal allocation (and by the
revolving state's reinvestment) run as one list with per-path allocation, so the common case
costs one pass; lists that differ in order run one after the other, each on its own paths.
Arithmetic: docs/WATERFALL.md §5.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from sim.abs.deal import STATES, Deal, Step, Verb, build_steps
from tests.waterfall_numpy.triggers import safe_ratio

__all__ = [
    "DEAL_FIELDS",
    "FLAG_FIELDS",
    "HANDLERS",
    "NOTE_FIELDS",
    "SOURCE_FIELDS",
    "CompiledStep",
    "DealState",
    "PeriodContext",
    "Recorder",
    "Step",
    "Terms",
    "Verb",
    "allocate_pro_rata",
    "allocate_sequential",
    "build_steps",
    "carve",
]


class CompiledStep(NamedTuple):
    """A step as the dispatcher runs it.

    Attributes:
        verb: What the step does.
        notes: Indices of its notes, in listed order.
        pro_rata_states: States in which its principal allocation is pro rata.
        last_principal: Whether it is the list's last pay_principal step.
    """

    verb: Verb
    notes: tuple[int, ...]
    pro_rata_states: frozenset[str]
    last_principal: bool


def _skeleton(steps: list[Step]) -> tuple:
    return tuple((s.verb, s.notes) for s in steps if s.verb != Verb.REINVEST)


def _compile_groups(deal: Deal) -> tuple[tuple[tuple[str, ...], tuple[CompiledStep, ...]], ...]:
    """Group the states whose lists run as one, and compile each group's list."""
    index = {n.name: i for i, n in enumerate(deal.notes)}
    lists = {s: deal.steps(s) for s in STATES}
    groups: dict[tuple, list[str]] = {}
    for s in STATES:
        groups.setdefault(_skeleton(lists[s]), []).append(s)
    out = []
    for states in groups.values():
        base = lists["revolving"] if "revolving" in states else lists[states[0]]
        principal_k = [k for k, st in enumerate(base) if st.verb == Verb.PAY_PRINCIPAL]
        per_state = {s: [st for st in lists[s] if st.verb == Verb.PAY_PRINCIPAL] for s in states}
        compiled = []
        for k, st in enumerate(base):
            pro_rata: frozenset[str] = frozenset()
            if st.verb == Verb.PAY_PRINCIPAL:
                j = principal_k.index(k)
                pro_rata = frozenset(
                    s for s in states
                    if (per_state[s][j].allocation or deal.principal) == "pro_rata")
            compiled.append(CompiledStep(st.verb, tuple(index[n] for n in st.notes), pro_rata,
                                         bool(principal_k) and k == principal_k[-1]))
        out.append((tuple(states), tuple(compiled)))
    return tuple(out)


@dataclass(frozen=True)
class Terms:
    """A deal's terms as arrays, fixed for a whole run (paths share them unless noted).

    Attributes:
        deal: The validated deal.
        groups: (states, compiled steps) that run as one list.
        initial_balance: Original note balances, (notes, paths).
        initial_notes: Initial total note balance N⁰, (paths,).
        initial_pool: First period's pool balance B₁, (paths,).
        fixed_coupon: Annual coupon of fixed-rate notes, (notes, 1); 0 for floating notes.
        floating: Which notes are floating-rate, (notes,).
        margin: Annual margin of floating-rate notes, (notes, 1).
        compounding: 1.0 for notes whose unpaid interest accrues interest, (notes, 1).
        reserve_pct: The reserve's target share per period after step-downs, (periods,).
        call_level: Pool balance at or below which the call is exercised, (paths,) or None.
        swap_schedule: Swap notional per period when given as a schedule, else None.
        n_periods: Number of periods in the run.
        legal_final: Legal final period, 1-based (may be after the last period run).
    """

    deal: Deal
    groups: tuple
    initial_balance: np.ndarray
    initial_notes: np.ndarray
    initial_pool: np.ndarray
    fixed_coupon: np.ndarray
    floating: np.ndarray
    margin: np.ndarray
    compounding: np.ndarray
    reserve_pct: np.ndarray
    call_level: np.ndarray | None
    swap_schedule: np.ndarray | None
    n_periods: int
    legal_final: int

    @property
    def all_notes(self) -> tuple[int, ...]:
        """Indices of every note, in seniority order."""
        return tuple(range(self.initial_balance.shape[0]))

    @classmethod
    def build(cls, deal: Deal, n_periods: int, first_pool: np.ndarray) -> Terms:
        """Terms for a run of `n_periods` whose first `pool_balance_begin` is `first_pool`.

        Share-sized notes are sized on each path's `first_pool`.
        """
        notes = deal.notes
        first_pool = np.asarray(first_pool, dtype=float)
        if deal.share_sized:
            balance = np.array([n.size for n in notes])[:, None] * first_pool[None, :]
        else:
            balance = np.repeat(np.array(deal.note_balances())[:, None], first_pool.size, axis=1)
        schedule = None
        if deal.swap is not None and not isinstance(deal.swap.notional, str):
            schedule = np.zeros(n_periods)
            sched = np.asarray(deal.swap.notional[:n_periods], dtype=float)
            schedule[: sched.size] = sched
        pct = np.full(n_periods, deal.reserve.target_pct)
        for down in deal.reserve.step_downs:
            pct[down.from_period - 1:] = down.target_pct
        call = deal.clean_up_call
        return cls(
            deal=deal,
            groups=_compile_groups(deal),
            initial_balance=balance,
            initial_notes=balance.sum(axis=0),
            initial_pool=first_pool,
            fixed_coupon=np.array([n.coupon or 0.0 for n in notes])[:, None],
            floating=np.array([n.rate_type == "floating" for n in notes]),
            margin=np.array([n.margin for n in notes])[:, None],
            compounding=np.array([float(n.interest_on_shortfall) for n in notes])[:, None],
            reserve_pct=pct,
            call_level=None if call is None else call.call_pct * first_pool,
            swap_schedule=schedule,
            n_periods=n_periods,
            legal_final=deal.legal_final_period or n_periods,
        )

    @cached_property
    def fixed_monthly(self) -> np.ndarray:
        """Monthly coupon of fixed-rate notes, ``fixed_coupon / 12``, (notes, 1)."""
        return self.fixed_coupon / 12.0

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
        shortfall: Unpaid note interest carried forward, (notes, paths).
        pdl: Principal deficiency ledger balance per note, (notes, paths).
        unpaid_fees: Senior fees carried forward, (paths,).
        unpaid_swap: Swap payments owed by the vehicle carried forward, (paths,).
        reserve: Reserve account balance, (paths,).
        active: False once a clean-up call or the legal final period has ended the deal.
        ever_breached: True once any trigger has breached (ends the revolving period).
    """

    balance: np.ndarray
    shortfall: np.ndarray
    pdl: np.ndarray
    unpaid_fees: np.ndarray
    unpaid_swap: np.ndarray
    reserve: np.ndarray
    active: np.ndarray
    ever_breached: np.ndarray

    @classmethod
    def initial(cls, terms: Terms) -> DealState:
        """State at closing: notes at their original balance, reserve at its opening amount."""
        n_notes, n_paths = terms.initial_balance.shape
        return cls(
            balance=terms.initial_balance.copy(),
            shortfall=np.zeros((n_notes, n_paths)),
            pdl=np.zeros((n_notes, n_paths)),
            unpaid_fees=np.zeros(n_paths),
            unpaid_swap=np.zeros(n_paths),
            reserve=terms.deal.reserve.initial_pct * terms.initial_notes,
            active=np.ones(n_paths, dtype=bool),
            ever_breached=np.zeros(n_paths, dtype=bool),
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
    "reserve_requirement",
    "reserve_balance",
    "residual",
    "excess_spread",
    "excess_spread_gross",
    "pool_balance_end",
)
FLAG_FIELDS = ("revolving", "accelerated", "sequential", "trigger_breached", "call_exercised",
               "legal_final", "active")
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
        by_note, by_path = (n_periods, n_notes, n_paths), (n_periods, n_paths)
        deal_fields = DEAL_FIELDS + SOURCE_FIELDS
        *floats, self.trigger_values = carve(
            [by_note] * len(NOTE_FIELDS) + [by_path] * len(deal_fields)
            + [(n_periods, n_triggers, n_paths)])
        self.notes = dict(zip(NOTE_FIELDS, floats[: len(NOTE_FIELDS)], strict=True))
        self.deal = dict(zip(deal_fields, floats[len(NOTE_FIELDS):], strict=True))
        *flags, self.triggers = carve([by_path] * len(FLAG_FIELDS)
                                      + [(n_periods, n_triggers, n_paths)], dtype=bool)
        self.flags = dict(zip(FLAG_FIELDS, flags, strict=True))


def carve(shapes: Sequence[tuple[int, ...]], dtype: type = float, fill: bool = True
          ) -> list[np.ndarray]:
    """C-contiguous arrays of the given shapes, views of one allocation, zero unless
    ``fill`` is False (then uninitialised).

    One large allocation is backed by huge pages where the system offers them, so writing it
    costs far fewer page faults than a few dozen arrays of some megabytes each (at 10,000
    paths x 60 periods this halves the time spent filling the waterfall's outputs). The
    arrays share the block: it is freed when the last of them is.
    """
    sizes = [math.prod(shape) for shape in shapes]
    block: np.ndarray = (np.zeros if fill else np.empty)(sum(sizes), dtype=dtype)
    out, start = [], 0
    for shape, size in zip(shapes, sizes, strict=True):
        out.append(block[start:start + size].reshape(shape))
        start += size
    return out


@dataclass
class PeriodContext:
    """One period of one waterfall run, for all paths (docs/WATERFALL.md §5.2–5.3).

    `cash` is what is left to pay out; `pf` the part of it that is principal funds (with a PDL,
    outside a wind-up; else 0), so `cash - pf` is revenue; `pa` the principal amount the
    principal steps may still pay where `use_pa` (no PDL, or a call or legal final period).
    `principal_used` is principal spent on fees, swap or interest (debited to the PDL at the
    end). `mask` selects the paths whose state's list is running (None: all paths); steps leave
    the other paths untouched. `out` receives the period's outputs.
    """

    t: int
    x: dict[str, np.ndarray]
    cash: np.ndarray
    pf: np.ndarray
    pa: np.ndarray
    use_pa: np.ndarray
    principal_used: np.ndarray
    interest_due: np.ndarray
    eligible: np.ndarray | None
    fee_current: np.ndarray
    swap_net: np.ndarray
    states: dict[str, np.ndarray]
    wind_up: np.ndarray
    breached: np.ndarray
    pool_end: np.ndarray
    out: Recorder
    pdl: bool
    mask: np.ndarray | None = None

    def keep(self, new: np.ndarray, old: np.ndarray) -> np.ndarray:
        """`new` on the running paths, `old` elsewhere."""
        return new if self.mask is None else np.where(self.mask, new, old)

    def record(self, **values: np.ndarray) -> None:
        """Store deal-level outputs of this period (running paths only)."""
        for name, value in values.items():
            buf = self.out.deal[name]
            buf[self.t] = self.keep(value, buf[self.t])

    def record_note(self, note: int, **values: np.ndarray) -> None:
        """Store outputs of one note for this period (running paths only)."""
        for name, value in values.items():
            buf = self.out.notes[name]
            buf[self.t, note] = self.keep(value, buf[self.t, note])

    def revenue(self) -> np.ndarray:
        """Cash left that is not principal funds (never negative: float rounding)."""
        return np.maximum(self.cash - self.pf, 0.0) if self.pdl else self.cash

    def pay(self, due: np.ndarray, may_use_principal: np.ndarray | bool = True) -> np.ndarray:
        """Pay `due` (>= 0) from the cash left, as far as it goes; return the amount paid.

        Revenue pays first; principal funds pay the rest only where `may_use_principal`.
        """
        if self.mask is not None:
            due = np.where(self.mask, due, 0.0)
        if not self.pdl:
            paid = np.minimum(due, self.cash)
            self.cash = self.cash - paid
            return paid
        revenue = np.maximum(self.cash - self.pf, 0.0)
        limit = np.where(may_use_principal, self.cash, revenue)
        paid = np.minimum(due, limit)
        from_pf = np.maximum(paid - revenue, 0.0)
        self.pf = np.maximum(self.pf - from_pf, 0.0)
        self.principal_used = self.principal_used + from_pf
        self.cash = self.cash - paid
        return paid

    def principal_available(self) -> np.ndarray:
        """What the next reinvest or pay_principal step may spend, before the cash limit."""
        if not self.pdl:
            return np.maximum(self.pa, 0.0)
        return np.maximum(np.where(self.use_pa, self.pa, self.pf), 0.0)

    def spend_principal(self, amount: np.ndarray) -> None:
        """Take `amount` paid by a principal step out of cash and the principal amount.

        The pro-rata split can exceed `amount` by a unit in the last place of a float sum;
        what is left is floored at zero so that no later step sees negative cash.
        """
        self.cash = np.maximum(self.cash - amount, 0.0)
        if not self.pdl:
            self.pa = self.pa - amount
            return
        self.pa = np.where(self.use_pa, self.pa - amount, self.pa)
        self.pf = np.where(self.use_pa, self.pf, np.maximum(self.pf - amount, 0.0))


# ----------------------------------------------------------------------------------------------
# Principal allocation


def allocate_sequential(amount: np.ndarray, balance: np.ndarray) -> np.ndarray:
    """Split `amount` (paths,) over notes in listed order, capped at `balance` (notes, paths)."""
    pays = np.empty_like(balance)
    rem = amount.copy()
    last = balance.shape[0] - 1
    for i in range(balance.shape[0]):
        np.minimum(balance[i], rem, out=pays[i])
        if i < last:  # what the last note leaves is not needed
            np.subtract(rem, pays[i], out=rem)
            np.maximum(rem, 0.0, out=rem)
    return pays


def allocate_pro_rata(amount: np.ndarray, balance: np.ndarray) -> np.ndarray:
    """Split `amount` over notes in proportion to `balance`, capped at each balance.

    Any excess over a note's cap goes to the remaining notes in listed order. Shares are
    taken first-listed-first from what remains, so the notes never receive more than `amount`.
    """
    frac = safe_ratio(amount, balance.sum(axis=0))
    pays = np.multiply(balance, frac)
    np.minimum(pays, balance, out=pays)
    rem = amount.copy()
    for i in range(balance.shape[0]):
        np.minimum(pays[i], rem, out=pays[i])
        np.subtract(rem, pays[i], out=rem)
        np.maximum(rem, 0.0, out=rem)
    # (the sum of a share and the rest of its balance can round above the balance)
    pays += allocate_sequential(rem, balance - pays)
    return np.minimum(pays, balance, out=pays)


# ----------------------------------------------------------------------------------------------
# Step handlers: each pays from ctx.cash and records what it paid


def _pay_fees(ctx: PeriodContext, state: DealState, terms: Terms, step: CompiledStep) -> None:
    due = ctx.fee_current + state.unpaid_fees
    paid = ctx.pay(due)
    state.unpaid_fees = ctx.keep(due - paid, state.unpaid_fees)
    ctx.record(fees_due=due, fees_paid=paid)


def _pay_swap(ctx: PeriodContext, state: DealState, terms: Terms, step: CompiledStep) -> None:
    due = np.maximum(ctx.swap_net, 0.0) + state.unpaid_swap
    paid = ctx.pay(due)
    state.unpaid_swap = ctx.keep(due - paid, state.unpaid_swap)
    ctx.record(swap_paid=paid)


def _pay_interest(ctx: PeriodContext, state: DealState, terms: Terms, step: CompiledStep) -> None:
    for k in step.notes:
        due = ctx.interest_due[k]
        paid = ctx.pay(due, True if ctx.eligible is None else ctx.eligible[k])
        short = due - paid
        state.shortfall[k] = ctx.keep(short, state.shortfall[k])
        ctx.record_note(k, interest_paid=paid, interest_shortfall=short)


def _clear_pdl(ctx: PeriodContext, state: DealState, terms: Terms, step: CompiledStep) -> None:
    for k in step.notes:
        credit = np.where(ctx.use_pa, 0.0, np.minimum(state.pdl[k], ctx.revenue()))
        if ctx.mask is not None:
            credit = np.where(ctx.mask, credit, 0.0)
        state.pdl[k] = state.pdl[k] - credit
        ctx.pf = ctx.pf + credit
        ctx.record_note(k, pdl_credit=credit)


def _reinvest(ctx: PeriodContext, state: DealState, terms: Terms, step: CompiledStep) -> None:
    if not ctx.states["revolving"].any():  # no path revolves this period
        return
    amount = np.minimum(ctx.principal_available(), ctx.cash)
    if "replenishment_capacity" in ctx.x:  # what the pool can buy; the rest pays the notes
        amount = np.minimum(amount, ctx.x["replenishment_capacity"])
    running = ctx.states["revolving"] if ctx.mask is None else ctx.states["revolving"] & ctx.mask
    amount = np.where(running, amount, 0.0)
    ctx.spend_principal(amount)
    ctx.out.deal["reinvested"][ctx.t] += amount


def _pay_principal(ctx: PeriodContext, state: DealState, terms: Terms, step: CompiledStep) -> None:
    amount = np.minimum(ctx.principal_available(), ctx.cash)
    if ctx.mask is not None:
        amount = np.where(ctx.mask, amount, 0.0)
    idx = slice(None) if step.notes == terms.all_notes else list(step.notes)
    balance = state.balance[idx]
    pays = _allocate(ctx, step, amount, balance)
    if isinstance(idx, slice):
        state.balance = balance - pays
    else:
        state.balance[idx] = balance - pays
    ctx.spend_principal(pays.sum(axis=0))
    if step.last_principal and ctx.pdl:  # principal funds left become revenue
        ctx.pf = ctx.keep(np.zeros_like(ctx.pf), ctx.pf)
    ctx.out.notes["principal_paid"][ctx.t, idx] += pays


def _allocate(ctx: PeriodContext, step: CompiledStep, amount: np.ndarray,
              balance: np.ndarray) -> np.ndarray:
    """A principal step's payments per note: pro rata on the paths whose state says so (outside
    a wind-up), sequential elsewhere; each split is computed only if some path uses it."""
    if not step.pro_rata_states:
        return allocate_sequential(amount, balance)
    pro_rata = np.zeros_like(ctx.wind_up)
    for s in step.pro_rata_states:
        pro_rata |= ctx.states[s]
    pro_rata &= ~ctx.wind_up
    if not pro_rata.any():
        return allocate_sequential(amount, balance)
    if pro_rata.all():
        return allocate_pro_rata(amount, balance)
    return np.where(pro_rata[None, :], allocate_pro_rata(amount, balance),
                    allocate_sequential(amount, balance))


def reserve_requirement(ctx: PeriodContext, state: DealState, terms: Terms) -> np.ndarray:
    """The reserve requirement when the fund_reserve step runs (docs/WATERFALL.md §2.2)."""
    res = terms.deal.reserve
    pct = terms.reserve_pct[ctx.t]
    if res.step_down_needs_no_breach and res.step_downs:
        pct = np.where(ctx.breached, res.target_pct, pct)
    if res.basis == "current_pool":
        base = ctx.pool_end + ctx.out.deal["reinvested"][ctx.t]
    else:
        base = terms.initial_notes if res.basis == "initial_notes" else terms.initial_pool
    form = np.maximum(pct * base, res.floor_pct * terms.initial_pool)
    required = np.minimum(form, state.balance.sum(axis=0), out=form)
    none = ctx.wind_up | ~state.active
    return np.where(none, 0.0, required) if none.any() else required


def _fund_reserve(ctx: PeriodContext, state: DealState, terms: Terms, step: CompiledStep) -> None:
    required = reserve_requirement(ctx, state, terms)
    fill = np.minimum(required, ctx.revenue())
    if ctx.mask is not None:
        fill = np.where(ctx.mask, fill, 0.0)
    ctx.cash = ctx.cash - fill
    state.reserve = ctx.keep(fill, state.reserve)
    ctx.record(reserve_requirement=required, reserve_balance=fill)


def _pay_residual(ctx: PeriodContext, state: DealState, terms: Terms, step: CompiledStep) -> None:
    ctx.record(residual=ctx.cash)
    ctx.cash = ctx.keep(np.zeros_like(ctx.cash), ctx.cash)


HANDLERS: dict[Verb, Callable[[PeriodContext, DealState, Terms, CompiledStep], None]] = {
    Verb.PAY_FEES: _pay_fees,
    Verb.PAY_SWAP: _pay_swap,
    Verb.PAY_INTEREST: _pay_interest,
    Verb.CLEAR_PDL: _clear_pdl,
    Verb.REINVEST: _reinvest,
    Verb.PAY_PRINCIPAL: _pay_principal,
    Verb.FUND_RESERVE: _fund_reserve,
    Verb.PAY_RESIDUAL: _pay_residual,
}
