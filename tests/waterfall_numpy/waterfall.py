"""The ABS payment waterfall, vectorised over Monte Carlo paths.

Every month the securitisation vehicle pours all the cash it has (collections plus its reserve
account) into its priority of payments: senior fees, note interest, principal, the reserve
account, and whatever is left to the residual holder. Whoever stands lower in the order absorbs
shortfalls first, which is what makes the senior notes safe. The order is data (one list of
steps per deal state, `Deal.steps`); one dispatcher applies it, one period at a time, to all
paths at once (arrays shaped paths × periods, no loop over paths).

Money is float64 currency units and is not rounded: each step pays ``min(due, cash left)`` and
subtracts exactly what it paid, so cash in equals cash out to floating-point precision.
docs/WATERFALL.md is the specification.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from sim.abs.deal import STATES, Deal, Step, Verb, as_deal, build_steps
from tests.waterfall_numpy.steps import (
    DEAL_FIELDS,
    FLAG_FIELDS,
    HANDLERS,
    NOTE_FIELDS,
    DealState,
    PeriodContext,
    Recorder,
    Terms,
    allocate_sequential,
    carve,
)
from tests.waterfall_numpy.triggers import PeriodObservation, TriggerMonitor

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
    legal_final_period: int = 0

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
    given = {c: _as_path_major(c, arrays[c]) for c in needed}
    shapes = {c: a.shape for c, a in given.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"collections arrays differ in shape: {shapes}")
    if 0 in given["interest"].shape:
        raise ValueError("collections are empty: need at least one path and one period")
    # copied period-major into one block; negative noise reads as zero (but not base rates)
    blocks = carve([given["interest"].shape[::-1]] * len(given), fill=False)
    out = dict(zip(given, blocks, strict=True))
    for c, arr in given.items():
        if c == "base_rate":
            out[c][...] = arr.T
        else:
            np.maximum(arr.T, 0.0, out=out[c])
    return out


# ----------------------------------------------------------------------------------------------
# One period


def _period_inputs(x: dict[str, np.ndarray], t: int, active: np.ndarray) -> dict[str, np.ndarray]:
    """This period's inputs; zero on paths whose deal has ended (call or legal final)."""
    if active.all():
        return {c: a[t] for c, a in x.items()}
    out = {c: np.where(active, a[t], 0.0) for c, a in x.items()}
    if "base_rate" in x:
        out["base_rate"] = x["base_rate"][t]
    return out


def _debit_pdl(state: DealState, amount: np.ndarray) -> np.ndarray:
    """Debit `amount` to the ledgers from the most junior note up; return debits (notes, paths)."""
    room = np.maximum(state.balance - state.pdl, 0.0)
    debit = allocate_sequential(amount, room[::-1])[::-1]
    state.pdl = state.pdl + debit
    return debit


def _amounts_due(t: int, terms: Terms, xt: dict, state: DealState) -> dict[str, np.ndarray]:
    """This period's coupons, interest, fee, net swap and excess spread (§5.2, §4)."""
    base = xt.get("base_rate")
    if terms.floating.any():
        coupon = terms.coupons(base, state.active.shape[0])
        monthly = coupon / 12.0
    else:  # fixed coupons: the same every period (notes, 1), broadcast over paths
        coupon, monthly = terms.fixed_coupon, terms.fixed_monthly
    interest = monthly * state.balance
    due = interest + state.shortfall
    if terms.compounding.any():
        due += terms.compounding * monthly * state.shortfall
    pool = xt["pool_balance_begin"]
    fee = terms.deal.senior_fee_rate / 12.0 * pool
    gross = xt["interest"] - fee
    gross -= interest.sum(axis=0)
    if terms.deal.swap is None:  # no swap: nothing to net (x - 0.0 is x)
        swap_net = np.zeros_like(pool)
    else:
        swap_net = terms.swap_net(t, state.balance, base) * state.active
        gross -= swap_net
    net = gross - (xt["defaults"] - xt["recoveries"])
    has_pool = pool > 0
    return {
        "coupon": coupon,
        "interest_due": due,
        "fee": fee,
        "swap_net": swap_net,
        "excess_spread_gross": _annualised_ratio(gross, pool, has_pool),
        "excess_spread": _annualised_ratio(net, pool, has_pool),
    }


def _annualised_ratio(num: np.ndarray, pool: np.ndarray, has_pool: np.ndarray) -> np.ndarray:
    """``12 * num / pool`` where the pool is positive, else 0 (as `safe_ratio` times 12)."""
    out = np.divide(num, pool, out=np.zeros(num.shape), where=has_pool)
    out *= 12.0
    return out


def _states(t: int, terms: Terms, state: DealState, any_breach: np.ndarray, final: bool):
    """Revolving, amortising and accelerated masks of the period (§3)."""
    revolving = state.active & ~state.ever_breached
    if final or t >= terms.deal.revolving_months:
        revolving = np.zeros_like(revolving)
    accelerated = any_breach & ~revolving
    return {"revolving": revolving, "amortising": ~revolving & ~accelerated,
            "accelerated": accelerated}


def _eligible(terms: Terms, state: DealState) -> np.ndarray | None:
    """Whose interest principal funds may pay, (notes, paths); None without a PDL (§5.4)."""
    if not terms.deal.pdl:
        return None
    rule = terms.deal.principal_to_interest
    if rule == "all":
        return np.ones(state.balance.shape, dtype=bool)
    if rule == "none":
        return np.zeros(state.balance.shape, dtype=bool)
    if rule == "pdl_not_in_debit":
        return state.pdl <= 0.0
    outstanding = (state.balance > 0.0) | (state.shortfall > 0.0)
    first = np.argmax(outstanding, axis=0)
    out = np.zeros(state.balance.shape, dtype=bool)
    out[first, np.arange(first.size)] = outstanding[first, np.arange(first.size)]
    return out


def _sequential(ctx: PeriodContext, terms: Terms) -> np.ndarray:
    """Paths whose principal is allocated sequentially this period (reported flag)."""
    pro_rata = np.zeros_like(ctx.wind_up)
    for _, steps in terms.groups:
        for step in steps:
            for s in step.pro_rata_states:
                pro_rata |= ctx.states[s]
    return ~pro_rata | ctx.wind_up


def _open_period(
    t: int, terms: Terms, x: dict, state: DealState, monitor: TriggerMonitor, out: Recorder
) -> PeriodContext:
    """Amounts due, triggers, state, call, PDL debits and available funds (§5.2)."""
    all_active = bool(state.active.all())
    xt = _period_inputs(x, t, state.active)
    due = _amounts_due(t, terms, xt, state)
    obs = PeriodObservation(xt["defaults"], xt["pool_balance_begin"],
                            xt.get("delinquent_balance"), due["excess_spread"])
    breached = monitor.update(obs)
    any_breach = breached.any(axis=0) & state.active
    state.ever_breached |= any_breach
    final = t == terms.legal_final - 1
    states = _states(t, terms, state, any_breach, final)
    pool_end = np.maximum(xt["pool_balance_begin"] - xt["principal"] - xt["defaults"], 0.0)
    call = np.zeros_like(state.active)
    if terms.call_level is not None:
        call = state.active & ~states["revolving"] & (pool_end <= terms.call_level)
    wind_up = (call | final) & state.active
    total = state.balance.sum(axis=0)
    pa = np.clip(total - pool_end, 0.0, total)
    if wind_up.any():
        pa = np.where(wind_up, total, pa)
    sources = {
        "collections": xt["interest"] + xt["principal"] + xt["recoveries"],
        "swap_receipt": np.maximum(-due["swap_net"], 0.0),
        "sale_proceeds": np.where(call, pool_end, 0.0),
        "reserve_draw": state.reserve,
    }
    available = sources["collections"] + sources["swap_receipt"] + sources["sale_proceeds"]
    available = available + state.reserve
    state.reserve = np.zeros_like(state.reserve)
    pdl = terms.deal.pdl
    debits = _debit_pdl(state, xt["defaults"]) if pdl else None
    use_pa = wind_up | (not pdl)
    ctx = PeriodContext(
        t=t, x=xt, cash=available,
        pf=np.where(use_pa, 0.0, xt["principal"]) if pdl else np.zeros_like(available),
        pa=pa, use_pa=use_pa, principal_used=np.zeros_like(available),
        interest_due=due["interest_due"], eligible=_eligible(terms, state),
        fee_current=due["fee"], swap_net=due["swap_net"], states=states, wind_up=wind_up,
        breached=any_breach, pool_end=pool_end, out=out, pdl=pdl,
    )
    if terms.deal.swap is None:  # the swap's columns stay zero
        del sources["swap_receipt"]
    if terms.call_level is None:  # no sale without a call
        del sources["sale_proceeds"]
    ctx.record(available=available, excess_spread=due["excess_spread"],
               excess_spread_gross=due["excess_spread_gross"],
               principal_target=np.where(use_pa, pa, ctx.pf) if pdl else pa, **sources)
    if terms.deal.swap is not None:
        ctx.record(swap_net=due["swap_net"])
    notes = out.notes
    notes["balance_begin"][t] = state.balance
    notes["coupon"][t] = due["coupon"]
    notes["interest_due"][t] = due["interest_due"]
    if pdl:
        notes["pdl_debit"][t] = debits
    # an ended deal tests nothing: its triggers read 0 and never breach (§5.1)
    out.triggers[t] = breached & state.active
    out.trigger_values[t] = monitor.values if all_active else np.where(
        state.active, monitor.values, 0.0)
    flags = {"revolving": states["revolving"], "accelerated": states["accelerated"],
             "sequential": _sequential(ctx, terms), "trigger_breached": any_breach,
             "call_exercised": call, "legal_final": wind_up & final, "active": state.active}
    for name, value in flags.items():
        out.flags[name][t] = value
    return ctx


def _close_period(ctx: PeriodContext, state: DealState, terms: Terms) -> None:
    """Debit principal used for revenue items, write off and end the deal on a wind-up (§5.7)."""
    notes = ctx.out.notes
    t = ctx.t
    if terms.deal.pdl:
        notes["pdl_debit"][t] += _debit_pdl(state, ctx.principal_used)
    ended = ctx.wind_up
    deal = ctx.out.deal
    pool_end = ctx.pool_end + deal["reinvested"][t] - deal["sale_proceeds"][t]
    deal["pool_balance_end"][t] = pool_end if state.active.all() else np.where(
        state.active, pool_end, 0.0)
    if ended.any():
        writedown = np.where(ended[None, :], state.balance, 0.0)
        state.balance = state.balance - writedown
        notes["writedown"][t] = writedown
    notes["balance_end"][t] = state.balance
    if terms.deal.pdl:
        state.pdl = np.minimum(state.pdl, state.balance)
        notes["pdl_balance"][t] = state.pdl
    if ended.any():
        for arr in (state.shortfall, state.pdl):
            arr[:, ended] = 0.0
        for arr in (state.unpaid_fees, state.unpaid_swap):
            arr[ended] = 0.0
        state.active = state.active & ~ended


def _run_period(
    t: int, terms: Terms, x: dict, state: DealState, monitor: TriggerMonitor, out: Recorder
) -> None:
    ctx = _open_period(t, terms, x, state, monitor, out)
    single = len(terms.groups) == 1
    for states, steps in terms.groups:
        if not single:
            ctx.mask = np.logical_or.reduce([ctx.states[s] for s in states])
            if not ctx.mask.any():
                continue
        for step in steps:
            HANDLERS[step.verb](ctx, state, terms, step)
    _close_period(ctx, state, terms)


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

    def _start(self, x: dict[str, np.ndarray]) -> None:
        first = x["pool_balance_begin"][0]
        self.x = x
        self._terms = Terms.build(self.deal, self.n_periods, first)
        self._monitor = TriggerMonitor(self.deal.triggers, first, self.n_periods)
        self.state = DealState.initial(self._terms)

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
        period = {c: np.broadcast_to(np.asarray(v, dtype=float), (n_paths,))[:, None]
                  for c, v in inputs.items()}
        loaded = _load_inputs(self.deal, period)
        x = self.x or {c: np.zeros((self.n_periods, n_paths)) for c in loaded}
        for c, v in loaded.items():
            x[c][self.t] = v[0]
        if self._terms is None:
            self._start(x)  # the first period's pool sizes the notes, sets call and triggers
        self._advance()
        t = self.t - 1
        return {k: self.out.deal[k][t].copy() for k in DEAL_FIELDS} | {
            k: self.out.flags[k][t].copy() for k in FLAG_FIELDS}

    def _advance(self) -> None:
        assert self._terms is not None and self._monitor is not None, "started by the first period"
        assert self.state is not None, "started by the first period"
        _run_period(self.t, self._terms, self.x, self.state, self._monitor, self.out)
        self.t += 1

    def result(self) -> WaterfallResult:
        """Outputs of every period run so far (the periods not yet run are zero).

        Warns with `HorizonWarning` when every period has run, the legal final period is
        later, and some paths still have notes outstanding (docs/WATERFALL.md §5.10).
        """
        result = _assemble(self.deal, self.out, self._legal_final())
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


def _assemble(deal: Deal, out: Recorder, legal_final: int) -> WaterfallResult:
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
        legal_final_period=legal_final,
    )
