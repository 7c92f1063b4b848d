"""The waterfall's terms, state and outputs, and its priority of payments as a program.

A deal's priority of payments is one ordered list of `Step`s per deal state (`Deal.steps`);
the lists are compiled here into a program of verb codes that the compiled period
(:func:`sim.kernels.waterfall.run_period`) runs for every path: what each verb pays, records
and carries forward is written there (``sim/kernels/waterfall_steps.py``). States whose lists
differ only by their principal allocation (and by the revolving state's reinvestment) run as
one list with per-path allocation, so the common case costs one pass; lists that differ in
order run one after the other, each on its own paths. Arithmetic: docs/WATERFALL.md §5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from sim.abs.deal import STATES, Deal, Step, Verb, build_steps
from sim.abs.triggers import safe_ratio
from sim.kernels import waterfall_layout as lay
from sim.kernels.waterfall_layout import (
    DEAL_FIELDS,
    FLAG_FIELDS,
    NOTE_FIELDS,
    NOTE_RESERVE_FIELDS,
    RESERVE_FIELDS,
    SOURCE_FIELDS,
)

__all__ = [
    "DEAL_FIELDS",
    "FLAG_FIELDS",
    "NOTE_FIELDS",
    "NOTE_RESERVE_FIELDS",
    "RESERVE_FIELDS",
    "SOURCE_FIELDS",
    "CompiledStep",
    "DealState",
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
        turbo_states: States in which it pays the notes all the cash left (``turbo``).
    """

    verb: Verb
    notes: tuple[int, ...]
    pro_rata_states: frozenset[str]
    last_principal: bool
    turbo_states: frozenset[str] = frozenset()


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
            turbo: frozenset[str] = frozenset()
            if st.verb == Verb.PAY_PRINCIPAL:
                j = principal_k.index(k)
                pro_rata = frozenset(
                    s for s in states
                    if (per_state[s][j].allocation or deal.principal) == "pro_rata")
                turbo = frozenset(s for s in states if per_state[s][j].turbo)
            compiled.append(CompiledStep(st.verb, tuple(index[n] for n in st.notes), pro_rata,
                                         bool(principal_k) and k == principal_k[-1], turbo))
        out.append((tuple(states), tuple(compiled)))
    return tuple(out)


OC_NOISE = 0.5
"""Half a cent, in cents: an overcollateralisation at closing below it is the float rounding
of note sizes that add up to the pool, not a term of the deal."""


def floor_cents(x: ArrayLike) -> np.ndarray:
    """Amounts in cents rounded down to whole cents, an amount within
    ``CENT_TOLERANCE`` of a cent below it counting as that cent (docs/WATERFALL.md §5.11)."""
    return np.floor(np.asarray(x, dtype=float) + lay.CENT_TOLERANCE)


def ceil_cents(x: ArrayLike) -> np.ndarray:
    """Amounts in cents rounded up to whole cents, an amount within ``CENT_TOLERANCE`` of a
    cent above it counting as that cent: the mirror of :func:`floor_cents`. The principal
    amount is rounded down (``PA = ⌊ΣN − (E − OC)⌋``, docs/WATERFALL.md §5.2, 8.), so the
    notes are paid down to ``⌈E − OC⌉``: a pool ``E`` holding a fraction of a cent is, to
    the notes, this. 0 is 0, never -0 (``+ 0.0``), which would print as -0.00."""
    return np.ceil(np.asarray(x, dtype=float) - lay.CENT_TOLERANCE) + 0.0


def measured_pool(pool_balance: ArrayLike) -> np.ndarray:
    """The pool's balance as the waterfall measures it against the notes: rounded up to the
    cent (:func:`ceil_cents`; docs/WATERFALL.md §5.2, 8.).

    The pool holds fractions of a cent (a vehicle holding part of an account); the principal
    amount ``PA = ⌊ΣN − (E − OC)⌋`` is rounded down, so the notes are paid down to
    ``⌈E − OC⌉ = ⌈E⌉ − OC`` (``OC`` whole cents): ``⌈E⌉`` is the pool they are measured
    against.

    Args:
        pool_balance: Pool balances in currency units, any shape; may hold fractions of a
            cent; NaN stays NaN.

    Returns:
        Currency units, whole cents (cents / 100, the nearest float to the decimal amount),
        the shape of ``pool_balance``.
    """
    return ceil_cents(np.asarray(pool_balance, dtype=float) * 100.0) / 100.0


def oc_after_period(pool_end: ArrayLike, notes_end: ArrayLike) -> np.ndarray:
    """The overcollateralisation (OC) after a period's waterfall, in whole cents, as the
    waterfall measures it (docs/WATERFALL.md §5.7, from §5.2, 8.): the pool balance at the
    period's end rounded up to the cent (:func:`measured_pool`) less the notes' balances at
    its end.

    The principal amount pays the notes down to ``⌈E − OC_t⌉ = ⌈E⌉ − OC_t``, so this is
    exactly the required OC ``OC_t`` when the period paid its principal amount in full and
    it was part of the notes (more when it was 0, the notes already below the pool less
    ``OC_t``; ``⌈E⌉`` when it was all of them); measured on the pool as it is (``E − ΣN``)
    it would read up to a cent below (−0.01 for 0). It is below ``OC_t`` when the period
    could not pay (or reinvest) its whole principal amount, and negative when the notes are
    above the pool. The one definition the deal report (`sim.deal_report`) and the
    dashboard's ABS page both show.

    Args:
        pool_end: Pool balance at the period's end (``pool_balance_end``), currency units,
            any shape; may hold fractions of a cent.
        notes_end: The notes' total balance at the period's end (Σ ``balance_end``),
            currency units, whole cents (a float sum of whole cents is read to the nearest
            cent), broadcastable to ``pool_end``.

    Returns:
        Currency units, whole cents (cents / 100), the broadcast shape; NaN where either
        input is NaN.
    """
    pool = ceil_cents(np.asarray(pool_end, dtype=float) * 100.0)
    notes = np.rint(np.asarray(notes_end, dtype=float) * 100.0)
    return (pool - notes) / 100.0


def closing_oc(initial_pool: np.ndarray, initial_notes: np.ndarray) -> np.ndarray:
    """The overcollateralisation at closing in cents, ``B₁ - N⁰`` rounded down to the cent
    where it is at least half a cent (:data:`OC_NOISE`), else 0 (notes at or above the pool
    have none), (paths,). ``initial_notes`` is the notes' total before rounding, so that
    rounding each note down to the cent is not taken for overcollateralisation."""
    gap = initial_pool - initial_notes
    return np.where(gap >= OC_NOISE, floor_cents(gap), 0.0)


@dataclass(frozen=True)
class Terms:
    """A deal's terms as arrays, fixed for a whole run (paths share them unless noted).

    Attributes:
        deal: The validated deal.
        groups: (states, compiled steps) that run as one list.
        initial_balance: Original note balances, whole cents, (notes, paths).
        initial_notes: Initial total note balance N⁰, cents, (paths,).
        initial_pool: First period's pool balance B₁, cents, (paths,).
        initial_oc: Overcollateralisation at closing, ``B₁ - N⁰`` rounded down to the cent
            (0 below half a cent: the rounding of sizes that add up to 1, not a term), cents,
            (paths,).
        fixed_coupon: Annual coupon of fixed-rate notes, (notes, 1); 0 for floating notes.
        floating: Which notes are floating-rate, (notes,).
        margin: Annual margin of floating-rate notes, (notes, 1).
        compounding: 1.0 for notes whose unpaid interest accrues interest, (notes, 1).
        reserve_pct: The reserve's target share per period after step-downs, (periods,).
        call_level: Pool balance at or below which the call is exercised, cents, (paths,) or
            None.
        swap_schedule: Swap notional per period when given as a schedule, cents, else None.
        n_periods: Number of periods in the run.
        legal_final: Legal final period, 1-based (may be after the last period run).
    """

    deal: Deal
    groups: tuple
    initial_balance: np.ndarray
    initial_notes: np.ndarray
    initial_pool: np.ndarray
    initial_oc: np.ndarray
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
        """Terms for a run of `n_periods` whose first `pool_balance_begin` is `first_pool`
        (cents): money in cents, the notes' original balances rounded down to the cent.

        Share-sized notes are sized on each path's `first_pool`.
        """
        notes = deal.notes
        first_pool = np.asarray(first_pool, dtype=float)
        if deal.share_sized:
            exact = np.array([n.size for n in notes])[:, None] * first_pool[None, :]
        else:
            exact = np.repeat(np.array(deal.note_balances())[:, None] * 100.0, first_pool.size,
                              axis=1)
        balance = floor_cents(exact)
        schedule = None
        if deal.swap is not None and not isinstance(deal.swap.notional, str):
            schedule = np.zeros(n_periods)
            sched = np.asarray(deal.swap.notional[:n_periods], dtype=float) * 100.0
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
            initial_oc=closing_oc(first_pool, exact.sum(axis=0)),
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


@dataclass
class DealState:
    """What the vehicle carries from one period to the next; arrays end in the paths axis.
    Money in cents: whole cents, but for the fractions of a cent carried.

    The compiled period updates three blocks in place; the attributes are views of them.

    Attributes:
        notes: Balance, shortfall and PDL, (3, notes, paths).
        paths: Unpaid fees, unpaid swap, reserve, and the fractions of a cent carried
            forward of the collections, the principal funds and the defaults, rows
            ``lay.Z_FEES`` to ``lay.Z_DEFAULT_CARRY``, (``lay.N_PATH_STATE``, paths).
        flags: Active and ever breached, (2, paths), bool.
        balance: Note principal outstanding, (notes, paths).
        shortfall: Unpaid note interest carried forward, (notes, paths).
        pdl: Principal deficiency ledger balance per note, (notes, paths).
        unpaid_fees: Senior fees carried forward, (paths,).
        unpaid_swap: Swap payments owed by the vehicle carried forward, (paths,).
        reserve: Reserve account balance, (paths,).
        active: False once a clean-up call or the legal final period has ended the deal.
        ever_breached: True once any trigger has breached (ends the revolving period).
    """

    notes: np.ndarray
    paths: np.ndarray
    flags: np.ndarray

    @classmethod
    def initial(cls, terms: Terms) -> DealState:
        """State at closing: notes at their original balance, reserve at its opening amount
        (rounded down to the cent)."""
        n_notes, n_paths = terms.initial_balance.shape
        notes = np.zeros((3, n_notes, n_paths))
        notes[0] = terms.initial_balance
        paths = np.zeros((lay.N_PATH_STATE, n_paths))
        paths[lay.Z_RESERVE] = floor_cents(terms.deal.reserve.initial_pct * terms.initial_notes)
        flags = np.zeros((2, n_paths), dtype=bool)
        flags[0] = True
        return cls(notes=notes, paths=paths, flags=flags)

    balance = property(lambda self: self.notes[0])
    shortfall = property(lambda self: self.notes[1])
    pdl = property(lambda self: self.notes[2])
    unpaid_fees = property(lambda self: self.paths[lay.Z_FEES])
    unpaid_swap = property(lambda self: self.paths[lay.Z_SWAP])
    reserve = property(lambda self: self.paths[lay.Z_RESERVE])
    active = property(lambda self: self.flags[0])
    ever_breached = property(lambda self: self.flags[1])


class Recorder:
    """Output buffers filled period by period, period-major, in three blocks the compiled
    period writes (``note_block``, ``deal_block``, ``flag_block``) and two trigger arrays.

    Attributes:
        notes: `NOTE_FIELDS` and `NOTE_RESERVE_FIELDS` arrays shaped (periods, notes, paths),
            views of ``note_block``.
        deal: `DEAL_FIELDS`, `SOURCE_FIELDS` and `RESERVE_FIELDS` arrays shaped (periods,
            paths), views of ``deal_block``.
        flags: `FLAG_FIELDS` boolean arrays shaped (periods, paths), views of ``flag_block``.
        triggers: Breach state, bool, shaped (periods, triggers, paths).
        trigger_values: Each trigger's tested value, shaped (periods, triggers, paths).
    """

    def __init__(self, n_periods: int, n_notes: int, n_paths: int, n_triggers: int) -> None:
        note_fields = NOTE_FIELDS + NOTE_RESERVE_FIELDS
        deal_fields = DEAL_FIELDS + SOURCE_FIELDS + RESERVE_FIELDS
        self.note_block, self.deal_block, self.trigger_values = carve(
            [(len(note_fields), n_periods, n_notes, n_paths),
             (len(deal_fields), n_periods, n_paths), (n_periods, n_triggers, n_paths)])
        self.notes = dict(zip(note_fields, self.note_block, strict=True))
        self.deal = dict(zip(deal_fields, self.deal_block, strict=True))
        self.flag_block, self.triggers = carve(
            [(len(FLAG_FIELDS), n_periods, n_paths), (n_periods, n_triggers, n_paths)],
            dtype=bool)
        self.flags = dict(zip(FLAG_FIELDS, self.flag_block, strict=True))


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



# ----------------------------------------------------------------------------------------------
# The compiled period's arrays (layout: sim.kernels.waterfall_layout)


def kernel_options(terms: Terms, columns: Sequence[str]) -> np.ndarray:
    """The compiled period's int options for a run whose inputs are ``columns``."""
    deal = terms.deal
    opts = np.zeros(lay.N_OPTIONS, dtype=np.int64)
    swap = deal.swap
    opts[lay.O_LEGAL_FINAL] = terms.legal_final
    opts[lay.O_REVOLVING] = deal.revolving_months
    opts[lay.O_PDL] = deal.pdl
    opts[lay.O_SWAP] = 0 if swap is None else 1 if isinstance(swap.notional, str) else 2
    opts[lay.O_CALL] = terms.call_level is not None
    opts[lay.O_BASIS] = lay.BASES.index(deal.reserve.basis)
    opts[lay.O_STEP_DOWN_BREACH] = (deal.reserve.step_down_needs_no_breach
                                    and bool(deal.reserve.step_downs))
    opts[lay.O_P2I] = lay.PRINCIPAL_TO_INTEREST.index(deal.principal_to_interest)
    opts[lay.O_CAPACITY] = "replenishment_capacity" in columns
    opts[lay.O_FLOATING] = bool(terms.floating.any())
    opts[lay.O_COMPOUNDING] = bool(terms.compounding.any())
    opts[lay.O_DELINQUENCY] = "delinquent_balance" in columns
    opts[lay.O_BASE] = "base_rate" in columns
    opts[lay.O_OC] = deal.overcollateralisation is not None
    call = deal.clean_up_call
    opts[lay.O_CALL_PAR] = call is not None and call.price == "notes_at_par"
    return opts


def kernel_terms(terms: Terms) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Float parameters, per-note (4, notes), per-period (2, periods) and per-path
    (4, paths) terms of the compiled period (see `sim.kernels.waterfall.run_period`)."""
    deal = terms.deal
    params = np.zeros(lay.N_PARAMS)
    params[lay.P_FEE_MONTHLY] = deal.senior_fee_rate / 12.0
    params[lay.P_SWAP_RATE] = 0.0 if deal.swap is None else deal.swap.fixed_rate
    params[lay.P_TARGET] = deal.reserve.target_pct
    params[lay.P_FLOOR] = deal.reserve.floor_pct
    oc = deal.overcollateralisation
    params[lay.P_OC_TARGET] = 0.0 if oc is None else oc.target_pct
    params[lay.P_OC_FLOOR] = 0.0 if oc is None else oc.floor_pct
    by_note = np.stack([terms.fixed_coupon[:, 0], terms.floating.astype(float),
                        terms.margin[:, 0], terms.compounding[:, 0]])
    schedule = np.zeros(terms.n_periods) if terms.swap_schedule is None else terms.swap_schedule
    by_period = np.stack([terms.reserve_pct, schedule])
    call = np.zeros_like(terms.initial_pool) if terms.call_level is None else terms.call_level
    by_path = np.stack([terms.initial_notes, terms.initial_pool, call, terms.initial_oc])
    return params, by_note, by_period, by_path


def program(terms: Terms) -> tuple:
    """The priority of payments as the compiled period runs it: verb codes (steps,), notes
    (steps, notes + 1: the count, then indices), pro-rata states (steps, 3), last principal
    step (steps,), states of each group (groups, 3), first step of each group and the end
    (groups + 1,), the states in which any step splits principal pro rata (3,), and turbo
    states (steps, 3)."""
    n_notes = terms.initial_balance.shape[0]
    steps = [step for _, group in terms.groups for step in group]
    verbs = np.array([lay.VERBS.index(str(s.verb)) for s in steps], dtype=np.int64)
    notes = np.zeros((len(steps), n_notes + 1), dtype=np.int64)
    pro_rata = np.zeros((len(steps), 3), dtype=bool)
    turbo = np.zeros((len(steps), 3), dtype=bool)
    for k, step in enumerate(steps):
        notes[k, 0] = len(step.notes)
        notes[k, 1:1 + len(step.notes)] = step.notes
        pro_rata[k] = [s in step.pro_rata_states for s in STATES]
        turbo[k] = [s in step.turbo_states for s in STATES]
    last = np.array([s.last_principal for s in steps], dtype=bool)
    group_states = np.array([[s in states for s in STATES] for states, _ in terms.groups])
    starts = np.cumsum([0] + [len(group) for _, group in terms.groups]).astype(np.int64)
    return (verbs, notes, pro_rata, last, group_states, starts, pro_rata.any(axis=0), turbo)

# ----------------------------------------------------------------------------------------------
# Principal allocation (the rules as array statements on whole cents; the compiled period's
# ``_split`` in sim/kernels/waterfall_steps.py is their scalar form)


def allocate_sequential(amount: np.ndarray, balance: np.ndarray) -> np.ndarray:
    """Split `amount` (paths,) over notes in listed order, capped at `balance` (notes, paths)."""
    pays = np.empty_like(balance)
    rem = amount.copy()
    for i in range(balance.shape[0]):
        np.minimum(balance[i], rem, out=pays[i])
        rem -= pays[i]
    return pays


def allocate_pro_rata(amount: np.ndarray, balance: np.ndarray) -> np.ndarray:
    """Split `amount` cents over notes in proportion to `balance` (whole cents), each share
    rounded down to the cent (docs/WATERFALL.md §5.6, §5.11).

    The cents the rounding leaves (fewer than the notes) go one to a note in listed order,
    never beyond a note's balance; anything still left (an amount above the notes' total)
    goes to the notes in listed order, so the notes never receive more than `amount`.
    """
    frac = safe_ratio(amount, balance.sum(axis=0))
    pays = np.minimum(floor_cents(balance * frac), balance)
    rem = amount.copy()
    for i in range(balance.shape[0]):
        np.minimum(pays[i], rem, out=pays[i])
        rem -= pays[i]
    for i in range(balance.shape[0]):  # a cent to each note, in listed order
        extra = np.minimum(np.minimum(balance[i] - pays[i], 1.0), rem)
        pays[i] += extra
        rem -= extra
    return pays + allocate_sequential(rem, balance - pays)
