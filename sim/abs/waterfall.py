"""The ABS payment waterfall, vectorised over Monte Carlo paths.

Every month the securitisation vehicle pours all the cash it has (collections plus its reserve
account) into a fixed order of priority: senior fees, then each note's interest from the most
senior down, then note principal, then the reserve account, and whatever is left goes to the
residual holder. Whoever stands lower in the order absorbs shortfalls first, which is what makes
the senior notes safe. The order is data (`build_steps`); one dispatcher applies it, one period
at a time, to all paths at once (arrays shaped paths × periods, no loop over paths).

Money is float64 currency units and is not rounded: each step pays ``min(due, cash left)`` and
subtracts exactly what it paid, so cash in equals cash out to floating-point precision (far below
a cent), including the pro-rata split, which never pays out more than it was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from sim.abs.deal import Deal, as_deal
from sim.abs.steps import (
    DEAL_FIELDS,
    FLAG_FIELDS,
    HANDLERS,
    NOTE_FIELDS,
    DealState,
    PeriodContext,
    Recorder,
    Step,
    Terms,
    Verb,
    allocate_sequential,
    build_steps,
)
from sim.abs.triggers import PeriodObservation, TriggerMonitor, safe_ratio

__all__ = [
    "DEAL_FIELDS",
    "FLAG_FIELDS",
    "NOTE_FIELDS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "Step",
    "Verb",
    "Waterfall",
    "WaterfallResult",
    "build_steps",
    "result_to_frame",
    "run_waterfall",
    "steps_to_frame",
    "triggers_to_frame",
    "waterfall_arrays",
]

REQUIRED_COLUMNS = ("pool_balance_begin", "interest", "principal", "recoveries", "defaults")
OPTIONAL_COLUMNS = ("delinquent_balance", "base_rate", "replenishment_capacity")
"""``replenishment_capacity``: face value of eligible receivables the vehicle can buy in the
period; during the revolving period it caps what principal reinvests, and principal it cannot
reinvest pays the notes. Without it, reinvestment is not capped."""


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
        steps: Step log: the amount of every waterfall step, shaped (paths, periods), in payment
            order. Sources of cash: ``collections``, ``swap_receipt``, ``sale_proceeds``,
            ``reserve_draw`` (they sum to ``available``); uses of cash: ``pay_fees``,
            ``pay_swap``, ``pay_interest:<note>``, ``clear_pdl:<note>``,
            ``pay_principal:<note>``, ``reinvest``, ``fund_reserve``, ``pay_residual`` (they sum
            to ``available`` too; ``clear_pdl`` amounts are not uses but transfers of revenue
            to the principal funds, which the principal step then pays out).
    """

    note_names: tuple[str, ...]
    trigger_names: tuple[str, ...]
    notes: dict[str, np.ndarray]
    deal: dict[str, np.ndarray]
    triggers: np.ndarray
    steps: dict[str, np.ndarray] = field(repr=False)
    trigger_values: np.ndarray | None = field(default=None, repr=False)
    trigger_thresholds: tuple[float, ...] = ()

    @property
    def shape(self) -> tuple[int, int, int]:
        """(paths, periods, notes)."""
        return self.notes["balance_begin"].shape  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------------
# Inputs and fixed terms


NOISE = 0.005
"""Negative amounts down to minus half a cent are rounding noise and read as zero."""


def _as_path_major(name: str, value: ArrayLike) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"collections[{name!r}] must be shaped (paths, periods), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"collections[{name!r}] contains NaN or infinite values")
    if name == "base_rate":
        return arr
    if arr.min(initial=0.0) < -NOISE:
        raise ValueError(f"collections[{name!r}] must be >= 0, got {arr.min()}")
    return np.maximum(arr, 0.0)


def _load_inputs(deal: Deal, arrays: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """Validate input arrays and return them period-major, shaped (periods, paths)."""
    needed = list(REQUIRED_COLUMNS)
    if deal.needs_delinquency:
        needed.append("delinquent_balance")
    if deal.needs_base_rate:
        needed.append("base_rate")
    if "replenishment_capacity" in arrays:
        needed.append("replenishment_capacity")
    missing = [c for c in needed if c not in arrays]
    if missing:
        raise ValueError(f"collections lack column(s) {missing}; this deal needs {needed}")
    out = {c: _as_path_major(c, arrays[c]) for c in needed}
    shapes = {c: a.shape for c, a in out.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"collections arrays differ in shape: {shapes}")
    if 0 in out["interest"].shape:
        raise ValueError("collections are empty: need at least one path and one period")
    return {c: np.ascontiguousarray(a.T) for c, a in out.items()}


# ----------------------------------------------------------------------------------------------
# One period


def _period_inputs(x: dict[str, np.ndarray], t: int, active: np.ndarray) -> dict[str, np.ndarray]:
    """This period's inputs; zero on paths whose deal has ended (after a clean-up call)."""
    out = {c: np.where(active, a[t], 0.0) for c, a in x.items()}
    if "base_rate" in x:
        out["base_rate"] = x["base_rate"][t]
    return out


def _debit_pdl(state: DealState, defaults: np.ndarray) -> np.ndarray:
    """Debit defaults to the ledgers from the most junior note up; return debits (notes, paths)."""
    room = np.maximum(state.balance - state.pdl, 0.0)
    debit = allocate_sequential(defaults, room[::-1])[::-1]
    state.pdl = state.pdl + debit
    return debit


def _amounts_due(t: int, terms: Terms, xt: dict, state: DealState) -> dict[str, np.ndarray]:
    """This period's coupons, current fee and interest, net swap and excess spread."""
    base = xt.get("base_rate")
    coupon = terms.coupons(base, state.active.shape[0])
    interest = coupon / 12.0 * state.balance
    fee = terms.deal.senior_fee_rate / 12.0 * xt["pool_balance_begin"]
    swap_net = terms.swap_net(t, state.balance, base) * state.active
    spread = xt["interest"] - fee - interest.sum(axis=0) - swap_net
    excess_spread = safe_ratio(spread, xt["pool_balance_begin"]) * 12.0
    return {
        "coupon": coupon,
        "interest": interest,
        "fee": fee,
        "swap_net": swap_net,
        "excess_spread": excess_spread,
    }


def _sources_of_cash(xt: dict, state: DealState, swap_net: np.ndarray, call: np.ndarray) -> dict:
    """Step a: collections, swap receipt, sale proceeds (call) and the whole reserve."""
    pool_end = xt["pool_balance_begin"] - xt["principal"] - xt["defaults"]
    sources = {
        "collections": xt["interest"] + xt["principal"] + xt["recoveries"],
        "swap_receipt": np.maximum(-swap_net, 0.0),
        "sale_proceeds": np.where(call, np.maximum(pool_end, 0.0), 0.0),
        "reserve_draw": state.reserve,
    }
    return {"available": sum(sources.values()), **sources}


def _test_triggers(xt: dict, due: dict, state: DealState, monitor: TriggerMonitor):
    """Breach state per trigger (triggers, paths) and whether any is breached (paths,)."""
    obs = PeriodObservation(
        xt["defaults"], xt["pool_balance_begin"], xt.get("delinquent_balance"), due["excess_spread"]
    )
    breached = monitor.update(obs)
    any_breach = breached.any(axis=0) & state.active
    state.amortising |= any_breach
    return breached, any_breach


def _open_period(
    t: int, terms: Terms, x: dict, state: DealState, monitor: TriggerMonitor, out: Recorder
) -> PeriodContext:
    """Compute amounts due, test triggers and the call, and gather the available funds."""
    xt = _period_inputs(x, t, state.active)
    due = _amounts_due(t, terms, xt, state)
    breached, any_breach = _test_triggers(xt, due, state, monitor)
    call = np.zeros_like(state.active)
    if terms.call_level is not None:
        call = state.active & (xt["pool_balance_begin"] < terms.call_level)
    sources = _sources_of_cash(xt, state, due["swap_net"], call)
    pdl = terms.deal.pdl
    ctx = PeriodContext(
        t=t,
        x=xt,
        cash=sources["available"],
        principal_cash=xt["principal"].copy() if pdl else np.zeros(call.shape),
        principal_used=np.zeros(call.shape),
        coupon=due["coupon"],
        interest_current=due["interest"],
        fee_current=due["fee"],
        swap_net=due["swap_net"],
        sequential=any_breach | call | (terms.deal.principal == "sequential"),
        revolving=(t < terms.deal.revolving_periods) & ~state.amortising & ~call & state.active,
        call=call,
        out=out,
    )
    ctx.record(swap_net=due["swap_net"], excess_spread=due["excess_spread"], **sources)
    ctx.record_note(slice(None), balance_begin=state.balance, coupon=due["coupon"])
    if pdl:
        ctx.record_note(slice(None), pdl_debit=_debit_pdl(state, xt["defaults"]))
    out.triggers[t] = breached
    flags = {
        "trigger_breached": any_breach,
        "call_exercised": call,
        "active": state.active,
        "sequential": ctx.sequential,
        "revolving": ctx.revolving,
    }
    for name, value in flags.items():
        out.flags[name][t] = value
    return ctx


def _close_period(ctx: PeriodContext, state: DealState, terms: Terms) -> None:
    """Debit principal used for revenue items to the PDL, write off what is left at the end."""
    notes = ctx.out.notes
    if terms.deal.pdl:
        notes["pdl_debit"][ctx.t] += _debit_pdl(state, ctx.principal_used)
    final = ctx.call | (ctx.t == terms.n_periods - 1)
    writedown = np.where(final[None, :], state.balance, 0.0)
    state.balance = state.balance - writedown
    state.pdl = np.minimum(state.pdl, state.balance)
    ended = ctx.call
    for arr in (state.shortfall, state.pdl):
        arr[:, ended] = 0.0
    for arr in (state.unpaid_fees, state.unpaid_swap):
        arr[ended] = 0.0
    state.active = state.active & ~ended
    ctx.record_note(
        slice(None), writedown=writedown, balance_end=state.balance, pdl_balance=state.pdl
    )


def _run_period(
    t: int, terms: Terms, x: dict, state: DealState, monitor: TriggerMonitor, out: Recorder
) -> None:
    ctx = _open_period(t, terms, x, state, monitor, out)
    out.trigger_values[t] = monitor.values
    for step in terms.steps:
        HANDLERS[step.verb](ctx, state, terms, step.note)
    _close_period(ctx, state, terms)


class Waterfall:
    """The waterfall run one period at a time, for agents that decide as the months close.

    The SPV agent feeds it each month's collections and reads back what the period paid,
    in particular how much principal it may reinvest in new receivables; `waterfall_arrays`
    runs the same code over all periods at once. Both give identical results.

    Args:
        deal: Deal terms (`Deal` or a mapping validated into one).
        n_periods: Number of periods the deal will run.
        n_paths: Number of paths stepped together.
    """

    def __init__(self, deal: Deal | dict, n_periods: int, n_paths: int = 1) -> None:
        self.deal = as_deal(deal)
        self.n_periods = n_periods
        self.t = 0
        self.x: dict[str, np.ndarray] = {}
        self.state = DealState.initial(self.deal, n_paths)
        self.out = Recorder(n_periods, len(self.deal.notes), n_paths, len(self.deal.triggers))
        self._terms: Terms | None = None
        self._monitor: TriggerMonitor | None = None

    def _start(self, x: dict[str, np.ndarray]) -> None:
        first = x["pool_balance_begin"][0]
        self.x = x
        self._terms = Terms.build(self.deal, self.n_periods, first)
        self._monitor = TriggerMonitor(self.deal.triggers, first, self.n_periods)

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
        n_paths = self.state.reserve.shape[0]
        period = {c: np.broadcast_to(np.asarray(v, dtype=float), (n_paths,))[:, None]
                  for c, v in inputs.items()}
        loaded = _load_inputs(self.deal, period)
        x = self.x or {c: np.zeros((self.n_periods, n_paths)) for c in loaded}
        for c, v in loaded.items():
            x[c][self.t] = v[0]
        if self._terms is None:
            self._start(x)  # the first period's pool sets the call level and trigger base
        self._advance()
        t = self.t - 1
        return {k: self.out.deal[k][t].copy() for k in DEAL_FIELDS} | {
            k: self.out.flags[k][t].copy() for k in FLAG_FIELDS}

    def _advance(self) -> None:
        assert self._terms is not None and self._monitor is not None, "started by the first period"
        _run_period(self.t, self._terms, self.x, self.state, self._monitor, self.out)
        self.t += 1

    def result(self) -> WaterfallResult:
        """Outputs of every period run so far (the periods not yet run are zero)."""
        return _assemble(self.deal, self.out)


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
    return run.result()


_DEAL_STEP_FIELDS = {
    Verb.PAY_FEES: "fees_paid",
    Verb.PAY_SWAP: "swap_paid",
    Verb.FUND_RESERVE: "reserve_balance",
    Verb.PAY_RESIDUAL: "residual",
}
_NOTE_STEP_FIELDS = {Verb.PAY_INTEREST: "interest_paid", Verb.CLEAR_PDL: "pdl_credit"}


def _step_log(deal: Deal, notes: dict, dl: dict) -> dict[str, np.ndarray]:
    """Amount of every step in payment order, as views of the result arrays."""
    names = [n.name for n in deal.notes]
    sources = ("available", "collections", "swap_receipt", "sale_proceeds", "reserve_draw")
    log = {k: dl[k] for k in sources}
    for step in build_steps(deal):
        if step.verb in _NOTE_STEP_FIELDS:
            assert step.note is not None, "note steps name their note"
            field_ = _NOTE_STEP_FIELDS[step.verb]
            log[f"{step.verb}:{names[step.note]}"] = notes[field_][:, :, step.note]
        elif step.verb == Verb.PAY_PRINCIPAL:
            for i, name in enumerate(names):
                log[f"pay_principal:{name}"] = notes["principal_paid"][:, :, i]
            log["reinvest"] = dl["reinvested"]
        else:
            log[str(step.verb)] = dl[_DEAL_STEP_FIELDS[step.verb]]
    return log


def _assemble(deal: Deal, out: Recorder) -> WaterfallResult:
    """Expose the period-major buffers as path-major views."""
    notes = {k: np.moveaxis(v, -1, 0) for k, v in out.notes.items()}
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
    )


def _frame_to_arrays(collections: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Reshape a long collections table into (paths, periods) arrays and the path labels."""
    df = collections
    if "path" not in df.columns:
        df = df.assign(path=0)
    df = df.sort_values(["path", "period"], kind="stable")
    paths = df["path"].unique()
    n_paths = len(paths)
    n_periods = len(df) // max(n_paths, 1)
    periods = df["period"].to_numpy()
    expected = np.tile(np.arange(1, n_periods + 1), n_paths)
    if n_paths * n_periods != len(df) or not np.array_equal(periods, expected):
        raise ValueError("collections must have periods 1..T for every path, once each")
    cols = [c for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in df.columns]
    arrays = {c: df[c].to_numpy(dtype=float).reshape(n_paths, n_periods) for c in cols}
    return arrays, paths


def result_to_frame(result: WaterfallResult, paths: ArrayLike | None = None) -> pd.DataFrame:
    """One row per (path, period, note); deal-level columns are repeated on each note's row.

    Args:
        result: Output of `waterfall_arrays`.
        paths: Path labels in result order; defaults to 0..paths-1.

    Returns:
        Columns ``path, period, note``, then `NOTE_FIELDS`, then `DEAL_FIELDS`, `FLAG_FIELDS`
        and one boolean ``trigger_<name>`` column per trigger. Columns may share memory with
        `result` (no copy is made where a reshape suffices).
    """
    n_paths, n_periods, n_notes = result.shape
    labels = np.arange(n_paths) if paths is None else np.asarray(paths)
    cols: dict[str, np.ndarray] = {
        "path": np.repeat(labels, n_periods * n_notes),
        "period": np.tile(np.repeat(np.arange(1, n_periods + 1), n_notes), n_paths),
        "note": np.tile(np.asarray(result.note_names, dtype=object), n_paths * n_periods),
    }
    for k in NOTE_FIELDS:
        cols[k] = result.notes[k].reshape(-1)
    for k in DEAL_FIELDS + FLAG_FIELDS:
        cols[k] = np.repeat(result.deal[k].reshape(-1), n_notes)
    for j, name in enumerate(result.trigger_names):
        cols[f"trigger_{name}"] = np.repeat(result.triggers[:, :, j].reshape(-1), n_notes)
    return pd.DataFrame(cols, copy=False)


def steps_to_frame(result: WaterfallResult, paths: ArrayLike | None = None) -> pd.DataFrame:
    """The waterfall log: one row per (path, period), one column per step in payment order.

    Columns are named as in `WaterfallResult.steps`: sources of cash (``collections``,
    ``swap_receipt``, ``sale_proceeds``, ``reserve_draw``, summing to ``available``), then
    every use in the order it is paid (``pay_fees``, ``pay_interest:<note>``, ...).
    """
    n_paths, n_periods, _ = result.shape
    labels = np.arange(n_paths) if paths is None else np.asarray(paths)
    cols: dict[str, np.ndarray] = {
        "path": np.repeat(labels, n_periods),
        "period": np.tile(np.arange(1, n_periods + 1), n_paths),
    }
    cols.update({k: np.asarray(v, dtype=float).reshape(-1) for k, v in result.steps.items()})
    return pd.DataFrame(cols)


def triggers_to_frame(result: WaterfallResult, paths: ArrayLike | None = None) -> pd.DataFrame:
    """One row per (path, period, trigger): the tested ``value``, ``threshold`` and ``breached``.

    ``value`` is the cumulative default ratio, the delinquency ratio or the rolling average
    annualised excess spread; ``breached`` is the (sticky unless the deal says otherwise)
    breach state, which forces sequential principal and ends the revolving period.
    """
    n_paths, n_periods, _ = result.shape
    n_trig = len(result.trigger_names)
    labels = np.arange(n_paths) if paths is None else np.asarray(paths)
    values = (result.trigger_values if result.trigger_values is not None
              else np.full(result.triggers.shape, np.nan))
    return pd.DataFrame({
        "path": np.repeat(labels, n_periods * n_trig),
        "period": np.tile(np.repeat(np.arange(1, n_periods + 1), n_trig), n_paths),
        "trigger": np.tile(np.asarray(result.trigger_names, dtype=object), n_paths * n_periods),
        "value": values.reshape(-1),
        "threshold": np.tile(np.asarray(result.trigger_thresholds, dtype=float),
                             n_paths * n_periods),
        "breached": result.triggers.reshape(-1),
    })


def run_waterfall(deal: Deal | dict, collections: pd.DataFrame) -> pd.DataFrame:
    """Run the waterfall on a long collections table.

    Args:
        deal: Deal terms (`Deal` or a mapping validated into one).
        collections: One row per (path, period); ``path`` may be absent for a single path.
            Columns ``period`` (1..T), ``pool_balance_begin``, ``interest``, ``principal``,
            ``recoveries``, ``defaults``, and where the deal needs them ``delinquent_balance``
            and ``base_rate`` (annual).

    Returns:
        One row per (path, period, note); see `result_to_frame` and docs/WATERFALL.md.
    """
    arrays, paths = _frame_to_arrays(collections)
    return result_to_frame(waterfall_arrays(deal, arrays), paths)
