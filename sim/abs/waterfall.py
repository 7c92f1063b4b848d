"""The ABS payment waterfall over many Monte Carlo paths.

Every month the securitisation vehicle pours all the cash it has (collections plus its reserve
account) into its priority of payments: senior fees, note interest, principal, the reserve
account, and whatever is left to the residual holder. Whoever stands lower in the order absorbs
shortfalls first, which is what makes the senior notes safe. The order is data (one list of
steps per deal state, `Deal.steps`), compiled into a program (`sim.abs.steps`) that one
compiled kernel runs a period at a time for all paths (`sim.kernels.waterfall.run_period`);
inputs and outputs are arrays shaped paths × periods.

Money is paid in whole cents, as deal documents pay it: the compiled period works in cents
(whole numbers held exactly in float64), rounding each amount it computes down to the cent,
and carries the collections' fraction of a cent into the next period; inputs and outputs are
currency units. Each step pays ``min(due, cash left)`` and subtracts exactly what it paid, so
cash in equals cash out exactly, to the cent. docs/WATERFALL.md is the specification (§5.11).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sim.abs.deal import STATES, Deal, Step, Verb, as_deal, build_steps
from sim.abs.steps import (
    DEAL_FIELDS,
    FLAG_FIELDS,
    NOTE_FIELDS,
    DealState,
    Recorder,
    Terms,
    carve,
    kernel_options,
    kernel_terms,
    program,
)
from sim.abs.triggers import TriggerMonitor
from sim.kernels.waterfall_layout import N_BOOL_SCRATCH, N_SCRATCH

__all__ = [
    "DEAL_FIELDS",
    "FLAG_FIELDS",
    "HorizonWarning",
    "NOTE_FIELDS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "Step",
    "Verb",
    "Waterfall",
    "WaterfallResult",
    "build_steps",
    "waterfall_arrays",
]

REQUIRED_COLUMNS = ("pool_balance_begin", "interest", "principal", "recoveries", "defaults")
OPTIONAL_COLUMNS = ("delinquent_balance", "base_rate", "replenishment_capacity")
"""``replenishment_capacity``: face value of eligible receivables the vehicle can buy in the
period; during the revolving period it caps what principal reinvests, and principal it cannot
reinvest pays the notes. Without it, reinvestment is not capped."""


class HorizonWarning(UserWarning):
    """The collections end before the legal final period with notes still outstanding."""


@dataclass(frozen=True)
class WaterfallResult:
    """Outputs of `waterfall_arrays`.

    Attributes:
        note_names: Tranche names, most senior first.
        trigger_names: Trigger labels, in deal order.
        notes: Per-note arrays shaped (paths, periods, notes), keyed by `NOTE_FIELDS`.
        deal: Deal-level float arrays shaped (paths, periods), keyed by `DEAL_FIELDS`, and
            boolean arrays keyed by `FLAG_FIELDS`.
        triggers: Breach state of each trigger, bool, shaped (paths, periods, triggers).
        trigger_values: Each trigger's tested value, shaped (paths, periods, triggers).
        trigger_thresholds: Each trigger's threshold, in deal order.
        legal_final_period: The deal's legal final period (may be after the last period run).
        closing_oc: The overcollateralisation at closing, the first pool less the notes (0 when
            the notes are the whole pool), (paths,): the originator's part of the pool, which
            the residual holder's return counts as an outlay (`sim.abs.note_metrics`).
        steps: Step log: the amount of every waterfall step, shaped (paths, periods), in payment
            order. Sources of cash: ``collections``, ``swap_receipt``, ``sale_proceeds``,
            ``reserve_draw`` (they sum to ``available``); uses of cash: ``pay_fees``,
            ``pay_swap``, ``pay_interest:<note>``, ``clear_pdl:<note>``,
            ``pay_principal:<note>``, ``reinvest``, ``fund_reserve``, ``pay_residual`` (they sum
            to ``available`` too; ``clear_pdl`` amounts are not uses but transfers of revenue
            to the principal funds, which the principal step then pays out).
        reserve: What the reserve drawn into each period's funds paid, shaped (paths,
            periods) (docs/WATERFALL.md §5.3: the reserve is the last revenue any step
            spends, until ``fund_reserve`` takes back what is left of it):
            ``reserve_used``, in all, and ``reserve_used:<use>`` for each use the deal's
            lists place before ``fund_reserve`` (the uses the reserve may pay), named as in
            ``steps``: ``pay_fees``, ``pay_swap``, ``pay_interest:<note>``,
            ``clear_pdl:<note>`` (revenue credited to the note's PDL, which the principal
            steps pay out), ``reinvest`` and ``pay_principal`` (every principal step, all
            notes). The uses add up to ``reserve_used`` exactly, in cents.
    """

    note_names: tuple[str, ...]
    trigger_names: tuple[str, ...]
    notes: dict[str, np.ndarray]
    deal: dict[str, np.ndarray]
    triggers: np.ndarray
    steps: dict[str, np.ndarray] = field(repr=False)
    trigger_values: np.ndarray | None = field(default=None, repr=False)
    trigger_thresholds: tuple[float, ...] = ()
    legal_final_period: int = 0
    closing_oc: np.ndarray | None = field(default=None, repr=False)
    reserve: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(paths, periods, notes)."""
        return self.notes["balance_begin"].shape  # type: ignore[return-value]

    @property
    def outstanding(self) -> np.ndarray:
        """Note balances outstanding at the horizon, (paths, notes): zero unless the
        collections end before the legal final period and the deal is still running."""
        n_periods = self.shape[1]
        if self.legal_final_period <= n_periods:
            return np.zeros((self.shape[0], self.shape[2]))
        return self.notes["balance_end"][:, -1, :].copy()


# ----------------------------------------------------------------------------------------------
# Inputs and fixed terms


NOISE = 0.005
"""Negative amounts down to minus half a cent are rounding noise and read as zero."""


def _as_path_major(name: str, value: ArrayLike) -> np.ndarray:
    """One input checked, shaped (paths, periods)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"collections[{name!r}] must be shaped (paths, periods), got {arr.shape}")
    low, high = arr.min(initial=np.inf), arr.max(initial=-np.inf)
    if arr.size and not (np.isfinite(low) and np.isfinite(high)):  # NaN propagates to both
        raise ValueError(f"collections[{name!r}] contains NaN or infinite values")
    if name != "base_rate" and min(low, 0.0) < -NOISE:
        raise ValueError(f"collections[{name!r}] must be >= 0, got {low}")
    return arr


def _needed_columns(deal: Deal, given: Mapping[str, object]) -> list[str]:
    """The collections' columns ``deal`` reads, in load order: the required ones, the
    delinquent balance and the base rate when the deal needs them, and the replenishment
    capacity when ``given`` has it."""
    needed = list(REQUIRED_COLUMNS)
    if deal.needs_delinquency:
        needed.append("delinquent_balance")
    if deal.needs_base_rate:
        needed.append("base_rate")
    if "replenishment_capacity" in given:
        needed.append("replenishment_capacity")
    return needed


def _load_inputs(deal: Deal, arrays: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """Validate input arrays and return them period-major, shaped (periods, paths), money in
    cents (base rates as they are)."""
    needed = _needed_columns(deal, arrays)
    missing = [c for c in needed if c not in arrays]
    if missing:
        raise ValueError(f"collections lack column(s) {missing}; this deal needs {needed}")
    given = {c: _as_path_major(c, arrays[c]) for c in needed}
    shapes = {c: a.shape for c, a in given.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"collections arrays differ in shape: {shapes}")
    if 0 in given["interest"].shape:
        raise ValueError("collections are empty: need at least one path and one period")
    # copied period-major into one block; negative noise reads as zero (but not base rates)
    blocks = carve([given["interest"].shape[::-1]] * len(given), fill=False)
    out = dict(zip(given, blocks, strict=True))
    from sim.kernels.waterfall import period_major

    for c, arr in given.items():
        money = c != "base_rate"
        period_major(np.ascontiguousarray(arr), out[c], money, 100.0 if money else 1.0)
    return out


def _one_path_scalars(deal: Deal, inputs: Mapping[str, ArrayLike]) -> dict[str, float] | None:
    """One path's period of plain numbers (the vehicle's, every month) as :func:`_load_inputs`
    loads it, without its arrays: the needed columns in its order, in cents (base rates as
    they are), a money value ``x`` as ``max(x, 0) * 100`` the way its compiled copy takes it
    (``(x if x > 0.0 else 0.0) * scale``, the same float operations). None when an input is
    not a plain number, a column is missing, or a value is not finite or below the noise:
    then :func:`_load_inputs` takes them (and raises its errors)."""
    for v in inputs.values():
        if not isinstance(v, (float, int, np.floating, np.integer)):
            return None
    needed = _needed_columns(deal, inputs)
    out = {}
    for c in needed:
        if c not in inputs:
            return None
        x = float(inputs[c])  # type: ignore[arg-type]
        if not math.isfinite(x):
            return None
        if c == "base_rate":
            out[c] = x * 1.0
        elif x < -NOISE:
            return None
        else:
            out[c] = (x if x > 0.0 else 0.0) * 100.0
    return out


# ----------------------------------------------------------------------------------------------
# One period

INPUT_ORDER = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
"""The inputs in the order the compiled period takes them."""
_ABSENT = np.zeros((1, 1))


class _Period:
    """The compiled period's arguments for one run (`sim.kernels.waterfall.run_period`):
    inputs, terms, trigger monitor, state, program, output blocks and work space."""

    def __init__(self, terms: Terms, x: dict[str, np.ndarray], state: DealState,
                 monitor: TriggerMonitor, out: Recorder) -> None:
        from sim.kernels.waterfall import run_period

        self.run = run_period
        n_notes, n_paths = terms.initial_balance.shape
        params, by_note, by_period, by_path = kernel_terms(terms)
        self.args = (
            kernel_options(terms, list(x)), params,
            tuple(x.get(c, _ABSENT) for c in INPUT_ORDER), by_note, by_period, by_path,
            monitor.arrays(), state.notes, state.paths, state.flags, program(terms),
            (out.note_block, out.deal_block, out.flag_block, out.triggers, out.trigger_values),
            (np.zeros((N_SCRATCH, n_paths)), np.zeros((N_BOOL_SCRATCH, n_paths), dtype=bool),
             np.zeros((3, n_notes, n_paths))),
        )

    def __call__(self, t: int) -> None:
        self.run(t, *self.args)


class Waterfall:
    """The waterfall run one period at a time, for agents that decide as the months close.

    The SPV agent feeds it each month's collections and reads back what the period paid,
    in particular how much principal it may reinvest in new receivables; `waterfall_arrays`
    runs the same code over all periods at once. Both give identical results.

    Args:
        deal: Deal terms (`Deal` or a mapping validated into one); share-sized notes are sized
            on each path's first `pool_balance_begin`.
        n_periods: Number of periods the run has (the legal final period by default).
        n_paths: Number of paths stepped together.
    """

    def __init__(self, deal: Deal | dict, n_periods: int, n_paths: int = 1) -> None:
        self.deal = as_deal(deal)
        self.n_periods = n_periods
        self.n_paths = n_paths
        self.t = 0
        self.x: dict[str, np.ndarray] = {}
        self.out = Recorder(n_periods, len(self.deal.notes), n_paths, len(self.deal.triggers))
        self.state: DealState | None = None
        self._terms: Terms | None = None
        self._monitor: TriggerMonitor | None = None
        self._period: _Period | None = None

    def _start(self, x: dict[str, np.ndarray]) -> None:
        first = x["pool_balance_begin"][0]
        self.x = x
        self._terms = Terms.build(self.deal, self.n_periods, first)
        self._monitor = TriggerMonitor(self.deal.triggers, first, self.n_periods)
        self.state = DealState.initial(self._terms)
        self._period = _Period(self._terms, x, self.state, self._monitor, self.out)

    def run_period(self, inputs: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
        """Run the next period on ``inputs`` (each a scalar or shaped (paths,)).

        Returns:
            This period's deal-level outputs (`DEAL_FIELDS`, `FLAG_FIELDS`), each (paths,).

        Raises:
            ValueError: If a needed column is missing or a value is negative or not finite.
            RuntimeError: If every period has already run.
        """
        if self.t >= self.n_periods:
            raise RuntimeError(f"the deal has run all its {self.n_periods} periods")
        n_paths = self.n_paths
        loaded: dict[str, Any] | None = _one_path_scalars(self.deal, inputs) \
            if n_paths == 1 else None
        if loaded is None:
            period = {c: np.broadcast_to(np.asarray(v, dtype=float), (n_paths,))[:, None]
                      for c, v in inputs.items()}
            loaded = {c: v[0] for c, v in _load_inputs(self.deal, period).items()}
        x = self.x or {c: np.zeros((self.n_periods, n_paths)) for c in loaded}
        for c, v in loaded.items():
            x[c][self.t] = v
        if self._terms is None:
            self._start(x)  # the first period's pool sizes the notes, sets call and triggers
        self._advance()
        t = self.t - 1
        return {k: self.out.deal[k][t].copy() for k in DEAL_FIELDS} | {
            k: self.out.flags[k][t].copy() for k in FLAG_FIELDS}

    def _advance(self) -> None:
        assert self._period is not None, "started by the first period"
        self._period(self.t)
        self.t += 1

    def result(self) -> WaterfallResult:
        """Outputs of every period run so far (the periods not yet run are zero).

        Warns with `HorizonWarning` when every period has run, the legal final period is
        later, and some paths still have notes outstanding (docs/WATERFALL.md §5.10).
        """
        result = _assemble(self.deal, self.out, self._legal_final(),
                           None if self._terms is None else self._terms.initial_oc / 100.0)
        if self.t == self.n_periods and result.outstanding.sum(axis=1).max(initial=0.0) > NOISE:
            n = int((result.outstanding.sum(axis=1) > NOISE).sum())
            warnings.warn(
                f"the horizon (period {self.n_periods}) ends before the legal final period "
                f"({self._legal_final()}): {n} of {self.n_paths} path(s) have notes outstanding, "
                f"reported as outstanding with the pool behind them, not as losses",
                HorizonWarning, stacklevel=2)
        return result

    def _legal_final(self) -> int:
        return self.deal.legal_final_period or self.n_periods


# ----------------------------------------------------------------------------------------------
# Public entry points


def waterfall_arrays(deal: Deal | dict, arrays: Mapping[str, ArrayLike]) -> WaterfallResult:
    """Run the waterfall on collections given as arrays.

    Args:
        deal: Deal terms (`Deal` or a mapping validated into one).
        arrays: Collections keyed by column name (`REQUIRED_COLUMNS`, plus
            ``delinquent_balance`` and ``base_rate`` when the deal needs them), each shaped
            (paths, periods), or (periods,) for a single path. Period index 0 is period 1.

    Returns:
        A `WaterfallResult` with every note-level and deal-level output and the step log.

    Raises:
        ValueError: If a needed column is missing, shapes differ or a value is not finite.
    """
    deal = as_deal(deal)
    x = _load_inputs(deal, arrays)
    n_periods, n_paths = x["interest"].shape
    run = Waterfall(deal, n_periods, n_paths)
    run._start(x)
    for _ in range(n_periods):
        run._advance()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HorizonWarning)
        result = run.result()
    _warn_horizon(result)
    return result


def _warn_horizon(result: WaterfallResult) -> None:
    """Warn when notes are outstanding at the horizon, before the legal final period."""
    left = result.outstanding.sum(axis=1) > NOISE
    if left.any():
        warnings.warn(
            f"the collections end (period {result.shape[1]}) before the legal final period "
            f"({result.legal_final_period}): {int(left.sum())} of {left.size} path(s) have notes "
            f"outstanding, reported as outstanding with the pool behind them, not as losses",
            HorizonWarning, stacklevel=3)


_DEAL_STEP_FIELDS = {
    Verb.PAY_FEES: "fees_paid",
    Verb.PAY_SWAP: "swap_paid",
    Verb.REINVEST: "reinvested",
    Verb.FUND_RESERVE: "reserve_balance",
    Verb.PAY_RESIDUAL: "residual",
}
_NOTE_STEP_FIELDS = {
    Verb.PAY_INTEREST: "interest_paid",
    Verb.CLEAR_PDL: "pdl_credit",
    Verb.PAY_PRINCIPAL: "principal_paid",
}


def _step_log(deal: Deal, notes: dict, dl: dict) -> dict[str, np.ndarray]:
    """Amount of every step, in the order steps first appear in the deal's lists.

    A note paid by several steps of one kind (principal in two steps) has one column, the
    total; the arrays are views of the result arrays.
    """
    index = {n.name: i for i, n in enumerate(deal.notes)}
    sources = ("available", "collections", "swap_receipt", "sale_proceeds", "reserve_draw")
    log = {k: dl[k] for k in sources}
    for state in STATES:
        for step in deal.steps(state):
            if step.verb in _NOTE_STEP_FIELDS:
                for name in step.notes:
                    column = f"{step.verb}:{name}"
                    if column not in log:
                        log[column] = notes[_NOTE_STEP_FIELDS[step.verb]][:, :, index[name]]
            elif str(step.verb) not in log:
                log[str(step.verb)] = dl[_DEAL_STEP_FIELDS[step.verb]]
    return log


_RESERVE_USES = {
    Verb.PAY_FEES: "reserve_fees",
    Verb.PAY_SWAP: "reserve_swap",
    Verb.PAY_INTEREST: "reserve_interest",
    Verb.CLEAR_PDL: "reserve_pdl",
    Verb.REINVEST: "reserve_reinvest",
    Verb.PAY_PRINCIPAL: "reserve_principal",
}
"""The uses of cash the reserve may pay, and the output that records what it paid of each."""


def _reserve_log(deal: Deal, notes: dict, dl: dict) -> dict[str, np.ndarray]:
    """What the reserve paid: ``reserve_used``, then ``reserve_used:<use>`` for each use that
    comes before ``fund_reserve`` in some list, in the order uses first appear in the lists
    (principal: one column, ``pay_principal``, for every principal step, and always with a
    PDL: §5.3, principal funds above the other funds at the opening); views."""
    index = {n.name: i for i, n in enumerate(deal.notes)}
    log = {"reserve_used": dl["reserve_used"]}
    for state in STATES if deal.revolving_months else STATES[1:]:  # the states it has
        steps = deal.steps(state)
        before = next(k for k, s in enumerate(steps) if s.verb == Verb.FUND_RESERVE)
        for step in steps[:before]:
            field_ = _RESERVE_USES.get(step.verb)
            if field_ in notes:
                for name in step.notes:
                    log.setdefault(f"reserve_used:{step.verb}:{name}",
                                   notes[field_][:, :, index[name]])
            elif field_ is not None:
                log.setdefault(f"reserve_used:{step.verb}", dl[field_])
    if deal.pdl:  # principal funds above the other funds take part of the reserve at once
        log.setdefault(f"reserve_used:{Verb.PAY_PRINCIPAL}", dl["reserve_principal"])
    return log


def _assemble(deal: Deal, out: Recorder, legal_final: int,
              closing_oc: np.ndarray | None = None) -> WaterfallResult:
    """Expose the period-major buffers as path-major views."""
    every = {k: np.moveaxis(v, -1, 0) for k, v in out.notes.items()}
    notes = {k: every[k] for k in NOTE_FIELDS}
    buffers = {**out.deal, **out.flags}
    dl = {k: np.moveaxis(v, -1, 0) for k, v in buffers.items()}
    return WaterfallResult(
        note_names=tuple(n.name for n in deal.notes),
        trigger_names=tuple(t.label for t in deal.triggers),
        notes=notes,
        deal={k: dl[k] for k in DEAL_FIELDS + FLAG_FIELDS},
        triggers=np.moveaxis(out.triggers, -1, 0),
        steps=_step_log(deal, notes, dl),
        trigger_values=np.moveaxis(out.trigger_values, -1, 0),
        trigger_thresholds=tuple(float(t.threshold) for t in deal.triggers),
        legal_final_period=legal_final,
        closing_oc=closing_oc,
        reserve=_reserve_log(deal, every, dl),
    )
