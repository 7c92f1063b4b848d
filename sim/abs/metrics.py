"""Tranche metrics: what each note's investor got, path by path and across paths.

Per path and note: loss as a share of the original balance, both the nominal principal
writedown and the present-value loss rating agencies measure (`sim.abs.loss`), weighted-average
life and the investor's internal rate of return; per path and trigger: whether and when it
fired. Across paths: expected (present-value) loss, probability of any loss, tail losses and
the rating that the expected loss would map to on Moody's idealised expected-loss scale, with
the range a finite run allows (`sim.abs.ratings`). The internal rate of return is solved in
`sim.abs.irr`, each of its names importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from sim.abs.irr import IRR_STATUSES, IrrSolution, irr_annual, irr_solve
from sim.abs.irr import SCAN_POINTS as SCAN_POINTS
from sim.abs.irr import V_MAX as V_MAX
from sim.abs.irr import V_MIN as V_MIN
from sim.abs.irr import _bracket as _bracket
from sim.abs.irr import _npv_and_slope as _npv_and_slope
from sim.abs.irr import _roots_by_scan as _roots_by_scan
from sim.abs.irr import _scaled_npv as _scaled_npv
from sim.abs.irr import _sign_changes as _sign_changes
from sim.abs.irr import _solve_single as _solve_single
from sim.abs.loss import charged_rates, pv_loss
from sim.abs.ratings import rating_assessment
from sim.abs.retention import originator_cashflows, retained_shares
from sim.abs.waterfall import WaterfallResult

__all__ = [
    "IRR_STATUSES",
    "LOSS_EPSILON",
    "LOSS_MEASURES",
    "IrrSolution",
    "check_loss_measure",
    "horizon_writedowns",
    "irr_annual",
    "irr_solve",
    "loss_amounts",
    "note_metrics",
    "records",
    "tranche_summary",
    "trigger_metrics",
    "wal_years",
]

LOSS_EPSILON = 0.01
"""A note counts as having a loss when its writedown, or the interest left unpaid when the deal
ended, exceeds one cent (currency units)."""

LOSS_MEASURES = {"principal": "loss_pct", "pv": "pv_loss_pct"}
"""A note's two losses per path, by the name options take (``creditsim breakeven
--loss-measure``, the dashboard's loss charts), and the `note_metrics` column of each: the
principal written down (nominal), and the interest and principal promised and not received,
in present value at the note's promised rate (`sim.abs.loss`). Both are shares of the note's
original balance."""



def check_loss_measure(measure: object) -> None:
    """Refuse a loss measure that is not one of `LOSS_MEASURES` (``creditsim breakeven`` and
    ``deal-report``'s ``--loss-measure``, the dashboard's deal report).

    Raises:
        ValueError: Naming the measure and the allowed ones.
    """
    if not isinstance(measure, str) or measure not in LOSS_MEASURES:
        raise ValueError(f"unknown loss measure {measure!r}; allowed: "
                         f"{', '.join(LOSS_MEASURES)}")


def records(metrics: pd.DataFrame, column: str) -> bool:
    """Whether per-path note metrics (`note_metrics`) record ``column``: present, with a value
    on some row (a run stored before the PV loss has no ``pv_loss_pct``; one whose notes
    table has no coupon has it NaN on every row)."""
    return column in metrics and bool(metrics[column].notna().any())


def wal_years(principal_paid: ArrayLike) -> np.ndarray:
    """Weighted-average life in years of monthly principal payments.

    ``WAL = sum_t principal_paid[t] * t / 12 / sum_t principal_paid[t]`` with t = 1, 2, ...
    the month of payment.

    Args:
        principal_paid: Principal payments, shape (..., periods).

    Returns:
        WAL in years, shape (...); NaN where no principal was paid.
    """
    paid = np.asarray(principal_paid, dtype=float)
    months = np.arange(1, paid.shape[-1] + 1)
    total = paid.sum(axis=-1)
    weighted = (paid * months).sum(axis=-1) / 12.0
    return np.divide(weighted, total, out=np.full(total.shape, np.nan), where=total > 0)


# ----------------------------------------------------------------------------------------------
# Arrays from either a WaterfallResult or the long table of run_waterfall


def _cubes_from_frame(df: pd.DataFrame, fields: list[str]):
    """(paths, periods, notes) arrays of `fields` from a run_waterfall table."""
    notes = pd.unique(df["note"])
    order = {n: i for i, n in enumerate(notes)}
    df = df.assign(_rank=df["note"].map(order)).sort_values(["path", "period", "_rank"])
    paths = pd.unique(df["path"])
    shape = (len(paths), len(df) // (len(paths) * len(notes)), len(notes))
    cubes = {f: df[f].to_numpy(dtype=float).reshape(shape) for f in fields}
    return cubes, paths, tuple(notes)


def _note_arrays(result: WaterfallResult | pd.DataFrame):
    """Per-note cubes (paths, periods, notes), with ``coupon`` and ``active`` where the input
    has them; the residual and what the holder added to a
    call at par beyond the pool's balance, each (paths, periods) (None without a residual;
    the top-up zeros for a table without it); what it funded at closing ((reserve, OC), each
    (paths,); None when the input does not say); the path labels and the note names."""
    fields = ["balance_begin", "interest_paid", "principal_paid", "writedown", "interest_shortfall",
              "balance_end"]
    if isinstance(result, WaterfallResult):
        paths = np.arange(result.shape[0])
        residual = result.deal.get("residual")
        top_up = result.deal["call_top_up"]
        funded = None
        if result.shape[1]:
            reserve = result.steps["reserve_draw"][:, 0]
            oc = np.zeros_like(reserve) if result.closing_oc is None else result.closing_oc
            funded = (reserve, oc)
        cubes = {f: result.notes[f] for f in (*fields, "coupon")}
        cubes["active"] = np.repeat(result.deal["active"][:, :, None], len(result.note_names),
                                    axis=2)
        return cubes, residual, top_up, funded, paths, result.note_names
    # tables stored before a field was recorded lack it: coupon (no PV loss), active
    optional = [c for c in ("coupon", "active") if c in result.columns]
    extra = [c for c in ("residual", "call_top_up", "reserve_draw", "closing_oc")
             if c in result.columns]
    cubes, paths, notes = _cubes_from_frame(result, fields + optional + extra)
    residual = cubes.pop("residual")[:, :, 0] if "residual" in extra else None
    top_up = (cubes.pop("call_top_up")[:, :, 0] if "call_top_up" in extra
              else np.zeros(cubes["balance_begin"].shape[:2]))
    funded = None
    if "reserve_draw" in extra:
        reserve = cubes.pop("reserve_draw")[:, 0, 0]
        kept = (cubes.pop("closing_oc")[:, 0, 0] if "closing_oc" in extra
                else np.zeros_like(reserve))
        funded = (reserve, kept)
    return cubes, residual, top_up, funded, paths, notes


def note_metrics(result: WaterfallResult | pd.DataFrame,
                 retained: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per path and note: principal loss, WAL, investor IRR, and the originator's return.

    The investor buys the note at par at t = 0 (pays its original balance) and receives
    ``interest_paid + principal_paid`` each month; see `irr_solve` for the convention. The
    originator is the residual holder: it funds the reserve at closing, keeps the
    overcollateralisation (the pool it sold beyond the notes), receives the residual and
    calls the deal; of the notes it keeps the shares ``retained`` gives
    (`sim.abs.retention`; by default the most junior note whole, as in the shipped deals).
    Its cash flows (`sim.abs.retention.originator_cashflows`) are, at t = 0, its shares of
    the notes' price, the reserve's opening balance (``reserve_funded``) and the OC at
    closing (``oc_funded``), then its shares of the notes' payments plus the residual the
    waterfall releases each month (which includes the reserve and the OC as they are
    released), less what it adds to a clean-up call at par beyond the pool's balance
    (``call_topped_up``); its IRR and the residual's figures are reported on the most
    junior note's row (the residual stands below every note). A table without
    ``reserve_draw`` (runs stored before it was recorded) cannot say what the originator
    paid: its IRR is NaN.

    Args:
        result: A `WaterfallResult`, or the table returned by `run_waterfall`.
        retained: Note name to the share of it the originator keeps (0 to 1; notes not
            named: 0); None: the most junior note whole (the deal's ``retained`` key).

    Returns:
        One row per (path, note): ``original_balance``, ``interest_paid``, ``principal_paid``,
        ``writedown``, ``interest_unpaid`` (interest shortfall left when the deal ended; for a
        deal still running at the horizon, the shortfall it carries, owed later: counted at
        par in the PV loss, as the balance is, and not in ``any_loss``),
        ``loss_pct`` (the nominal principal loss: writedown / original balance, a fraction;
        0 when the writedown is a cent or less, so that no path shows a loss of 1e-16 that
        P(loss) does not count), ``pv_loss_pct`` (the loss as rating agencies measure it:
        one less the present value of the interest and principal received, discounted at
        the note's promised rate, over the original balance, `sim.abs.loss.pv_loss`; it
        counts unpaid interest, and a late writedown less than an early one; 0 when the
        note was paid all it was promised or fell short by a cent or less in present value,
        never negative; NaN for a table without the ``coupon`` column), ``any_loss`` (a
        writedown above one cent or interest above one cent left unpaid; a path can have a
        small ``pv_loss_pct`` without it: interest paid late without interest on it),
        ``wal_years``, ``irr_annual`` (NaN where the cash flows have no single rate),
        ``retained`` (the share of the note the originator keeps), ``residual_paid``,
        ``reserve_funded``, ``oc_funded``, ``call_topped_up`` and ``holder_irr_annual``
        (the originator's total residual, the reserve and the OC it funded at closing, what
        it added to a call at par and the annual IRR of everything it keeps, on the most
        junior note's row; NaN on the other rows and when the input has no residual).

    Raises:
        ValueError: ``retained`` names a note the deal does not have, or a share outside
            [0, 1] (`sim.abs.retention.retained_shares`).
    """
    a, residual, top_up, funded, paths, notes = _note_arrays(result)
    shares = retained_shares(notes, retained)
    n_paths, n_periods, n_notes = a["balance_begin"].shape
    original = a["balance_begin"][:, 0, :]
    writedown, unpaid, running, raw_pv = _losses(a)
    written_down = writedown > LOSS_EPSILON  # a cent or less: rounding to the cent, not a loss
    lost = written_down | ((unpaid > LOSS_EPSILON) & ~running)
    pv = _pv_loss_pct(raw_pv, original, lost)
    inflows = np.moveaxis(a["interest_paid"] + a["principal_paid"], 1, 2)
    cashflows = np.concatenate([-original[:, :, None], inflows], axis=2)
    holder = np.full((n_paths, n_notes), np.nan)
    residual_paid = np.full((n_paths, n_notes), np.nan)
    reserve_funded = np.full((n_paths, n_notes), np.nan)
    oc_funded = np.full((n_paths, n_notes), np.nan)
    topped_up = np.full((n_paths, n_notes), np.nan)
    if residual is not None:
        topped_up[:, -1] = top_up.sum(axis=1)
        residual_paid[:, -1] = residual.sum(axis=1)
    if residual is not None and funded is not None:
        reserve_funded[:, -1], oc_funded[:, -1] = funded
        flows = originator_cashflows(cashflows, shares, residual, top_up,
                                     reserve_funded[:, -1] + oc_funded[:, -1])
        holder[:, -1] = irr_annual(flows)
    return pd.DataFrame(
        {
            "path": np.repeat(paths, n_notes),
            "note": np.tile(np.asarray(notes, dtype=object), n_paths),
            "original_balance": original.ravel(),
            "interest_paid": a["interest_paid"].sum(axis=1).ravel(),
            "principal_paid": a["principal_paid"].sum(axis=1).ravel(),
            "writedown": writedown.ravel(),
            "interest_unpaid": unpaid.ravel(),
            "loss_pct": np.where(written_down, writedown / original, 0.0).ravel(),
            "pv_loss_pct": pv.ravel(),
            "any_loss": lost.ravel(),
            "wal_years": wal_years(np.moveaxis(a["principal_paid"], 1, 2)).ravel(),
            "irr_annual": irr_annual(cashflows.reshape(n_paths * n_notes, -1)),
            "retained": np.tile(np.asarray(shares, dtype=float), n_paths),
            "residual_paid": residual_paid.ravel(),
            "reserve_funded": reserve_funded.ravel(),
            "oc_funded": oc_funded.ravel(),
            "call_topped_up": topped_up.ravel(),
            "holder_irr_annual": holder.ravel(),
        }
    )


def _quantile(values: pd.Series, q: float) -> float:
    """The ``q`` quantile of the defined ``values`` (NaN: a note of no original balance on
    that path); NaN when none is defined."""
    defined = values.dropna()
    return float(np.quantile(defined, q)) if len(defined) else float("nan")


def _interest_unpaid(a: dict[str, np.ndarray]) -> np.ndarray:
    """Interest still unpaid when the deal ended (its last active period; the last period
    when the input does not record ``active``), (paths, notes)."""
    shortfall = a["interest_shortfall"]
    if "active" not in a or not shortfall.shape[1]:
        return shortfall[:, -1, :] if shortfall.shape[1] else np.zeros(
            (shortfall.shape[0], shortfall.shape[2]))
    active = a["active"] > 0
    last = shortfall.shape[1] - 1 - np.argmax(active[:, ::-1, :], axis=1)  # (paths, notes)
    out = np.take_along_axis(shortfall, last[:, None, :], axis=1)[:, 0, :]
    return np.where(active.any(axis=1), out, 0.0)


def _losses(a: dict[str, np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Per path and note, (paths, notes): the principal written down, the interest left unpaid
    when the deal ended (`_interest_unpaid`), whether the deal still runs at the horizon with
    the note owed a balance, and `sim.abs.loss.pv_loss` as it comes (not clipped; None when
    the input does not record the coupon). A note still owed a balance by a deal running at
    the horizon still owes what it carries: not lost (yet); one written down or repaid to 0
    owes nothing more. What it owes after the horizon, its balance and the interest shortfall
    it carries, counts in the PV loss as received at par then, as the balance is."""
    original = a["balance_begin"][:, 0, :]
    n_periods = a["balance_begin"].shape[1]
    writedown = a["writedown"].sum(axis=1)
    unpaid = _interest_unpaid(a)
    running = ((a["active"][:, -1, :] > 0) & (a["balance_end"][:, -1, :] > LOSS_EPSILON)
               if "active" in a and n_periods else np.zeros(original.shape, dtype=bool))
    if "coupon" not in a:
        return writedown, unpaid, running, None
    inflows = np.moveaxis(a["interest_paid"] + a["principal_paid"], 1, 2)
    rates = np.moveaxis(charged_rates(a["coupon"], a["balance_begin"]), 1, 2)
    outstanding = (a["balance_end"][:, -1, :] if n_periods
                   else np.zeros_like(original)) + np.where(running, unpaid, 0.0)
    return writedown, unpaid, running, pv_loss(inflows, rates, original, outstanding)


def _pv_loss_pct(loss: np.ndarray | None, original: np.ndarray,
                 lost: np.ndarray) -> np.ndarray:
    """The PV loss (``loss``, `_losses`'), (paths, notes): 0 where the note neither lost
    (``lost``) nor fell short in present value by more than a cent (float rounding, not a
    loss), never below 0; NaN when the input does not record the coupon (``loss`` None)."""
    if loss is None:
        return np.full(original.shape, np.nan)
    counted = lost | (loss * original > LOSS_EPSILON)
    return np.where(counted, np.clip(loss, 0.0, 1.0), 0.0)


def loss_amounts(result: WaterfallResult) -> dict[str, np.ndarray]:
    """What each loss measure (`LOSS_MEASURES`) counts, per path and note, (paths, notes), in
    currency units: ``principal``, the principal written down; ``pv``, the larger of that, the
    interest left unpaid when the deal ended (a deal still running at the horizon owes it
    later) and the PV shortfall (`sim.abs.loss.pv_loss` times the original balance).

    A note's ``loss_pct`` (``principal``) or ``pv_loss_pct`` (``pv``) in `note_metrics` is
    above 0 exactly where its amount is above `LOSS_EPSILON` (a writedown or unpaid interest
    always lowers the present value too): the breakeven searches (`sim.breakeven`) find the
    stress at which it first is.
    """
    a = _note_arrays(result)[0]
    original = a["balance_begin"][:, 0, :]
    writedown, unpaid, running, loss = _losses(a)
    shortfall = np.where(running, 0.0, unpaid)
    if loss is not None:
        shortfall = np.maximum(shortfall, loss * original)
    return {"principal": writedown, "pv": np.maximum(writedown, shortfall)}


def _trigger_arrays(result: WaterfallResult | pd.DataFrame):
    if isinstance(result, WaterfallResult):
        return result.triggers, np.arange(result.shape[0]), result.trigger_names
    cols = [c for c in result.columns if c.startswith("trigger_") and c != "trigger_breached"]
    cubes, paths, _ = _cubes_from_frame(result, cols)
    flags = np.zeros((len(paths), int(result["period"].max()), len(cols)), dtype=bool)
    for j, col in enumerate(cols):
        flags[:, :, j] = cubes[col][:, :, 0] > 0
    return flags, paths, tuple(c.removeprefix("trigger_") for c in cols)


def trigger_metrics(result: WaterfallResult | pd.DataFrame) -> pd.DataFrame:
    """Per path and trigger: whether it was ever in breach and the first period it was.

    Args:
        result: A `WaterfallResult`, or the table returned by `run_waterfall`.

    Returns:
        Columns ``path, trigger, fired, first_period`` (nullable integer, period numbers start
        at 1; missing when the trigger never fired).
    """
    flags, paths, names = _trigger_arrays(result)
    n_paths, _, n_trig = flags.shape
    fired = flags.any(axis=1).ravel()
    first = pd.array(flags.argmax(axis=1).ravel() + 1, dtype="Int64")
    first[~fired] = pd.NA
    return pd.DataFrame(
        {
            "path": np.repeat(paths, n_trig),
            "trigger": np.tile(np.asarray(names, dtype=object), n_paths),
            "fired": fired,
            "first_period": first,
        }
    )


def tranche_summary(metrics: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Across paths, per note: loss distribution, WAL, IRR and implied rating with its range.

    Args:
        metrics: Output of `note_metrics` (older runs without ``residual_paid``,
            ``reserve_funded``, ``oc_funded``, ``call_topped_up`` or ``holder_irr_annual``
            give NaN in those columns; without ``retained``, which they computed the
            originator's return for, the most junior note whole; without ``pv_loss_pct``,
            their principal loss is the expected loss, and ``el_measure`` says so).
        confidence: Level of the expected-loss and P(loss) intervals.

    Returns:
        One row per note, in seniority order: ``expected_loss`` (mean ``pv_loss_pct``, the
        present-value loss Moody's idealised table is calibrated to) with ``el_low``,
        ``el_high``; ``el_measure`` (``"pv"``, or ``"principal"`` for a run stored without
        the PV loss); ``principal_loss`` (mean ``loss_pct``, the nominal principal
        writedown); ``prob_loss`` (share of paths with a writedown or unpaid interest above
        one cent, ``any_loss``) with its Wilson interval ``prob_loss_low``,
        ``prob_loss_high``; ``loss_p95`` and ``loss_p99`` (quantiles of the expected loss's
        measure, linear interpolation); ``wal_years``,
        ``irr_annual``, ``retained``, ``holder_irr_annual``, ``residual_paid``,
        ``reserve_funded``, ``oc_funded`` and ``call_topped_up`` (means over paths; the IRR
        means skip paths without a single rate, counted in ``irr_undefined``); ``paths``;
        ``implied_rating`` at the mean WAL, ``rating_best``, ``rating_worst`` (the range the
        interval allows), ``rating_resolved``, ``paths_needed`` and ``rating_label`` (see
        `sim.abs.ratings.rating_assessment`).
    """
    metrics = metrics.copy()
    for col in ("residual_paid", "reserve_funded", "oc_funded", "call_topped_up",
                "holder_irr_annual"):
        if col not in metrics:
            metrics[col] = np.nan
    if "retained" not in metrics:  # stored before the key: the most junior note whole
        metrics["retained"] = (metrics["note"] == pd.unique(metrics["note"])[-1]).astype(float)
    pv = records(metrics, "pv_loss_pct")
    measure = "pv_loss_pct" if pv else "loss_pct"  # stored before the PV loss: principal
    grouped = metrics.groupby("note", sort=False)
    out = grouped.agg(
        expected_loss=(measure, "mean"),
        principal_loss=("loss_pct", "mean"),
        prob_loss=("any_loss", "mean"),
        loss_p95=(measure, lambda s: _quantile(s, 0.95)),
        loss_p99=(measure, lambda s: _quantile(s, 0.99)),
        wal_years=("wal_years", "mean"),
        irr_annual=("irr_annual", "mean"),
        irr_undefined=("irr_annual", lambda s: int(s.isna().sum())),
        retained=("retained", "mean"),
        holder_irr_annual=("holder_irr_annual", "mean"),
        residual_paid=("residual_paid", "mean"),
        reserve_funded=("reserve_funded", "mean"),
        oc_funded=("oc_funded", "mean"),
        call_topped_up=("call_topped_up", "mean"),
        paths=("path", "size"),
    )
    rows = []
    for note, group in grouped:
        r = rating_assessment(group[measure], group["any_loss"],
                              float(out.loc[note, "wal_years"]), confidence)
        rows.append({"note": note, "el_low": r.el_low, "el_high": r.el_high,
                     "el_measure": "pv" if pv else "principal",
                     "prob_loss_low": r.prob_low, "prob_loss_high": r.prob_high,
                     "implied_rating": r.rating, "rating_best": r.best,
                     "rating_worst": r.worst, "rating_resolved": r.resolved,
                     "paths_needed": r.paths_needed, "rating_label": r.label})
    return out.reset_index().merge(pd.DataFrame(rows), on="note", how="left")


def horizon_writedowns(notes: pd.DataFrame, pool: pd.DataFrame | None = None,
                       deal: dict | None = None) -> dict | None:
    """The notes written down because the simulation ended, not because of defaults.

    A deal that sets no ``legal_final_period`` takes the last period of its collections (the
    run's horizon) as its legal final maturity (docs/WATERFALL.md §5.10): whatever the notes
    still owe there is written down, while the receivables left in the pool return to the
    originator. A horizon that ends the deal before its pool has paid down therefore makes
    losses that the deal's own terms would not.

    Args:
        notes: The run's ``notes`` table (``result_to_frame``: ``path``, ``period``,
            ``writedown``, ``legal_final``, ``call_exercised``).
        pool: The run's ``pool`` table (``path``, ``period``, ``sold``), or None.
        deal: The run's deal (its manifest's ``config.deal``); a deal that sets
            ``legal_final_period`` chose that maturity, and gets None.

    Returns:
        None when no path's notes were written down in a legal final period that the horizon
        set; else ``paths`` (how many were), ``of`` (paths in all), ``period`` (the legal
        final period), ``written_down`` and ``pool_left`` (currency units, means over those
        paths: the notes' writedown there and the receivables still in the pool) and
        ``notes`` (each note's mean writedown there as a share of its original balance, over
        every path, in seniority order).
    """
    if (deal or {}).get("legal_final_period") is not None or "legal_final" not in notes:
        return None
    final = notes[notes["legal_final"].astype(bool) & ~notes["call_exercised"].astype(bool)]
    lost = final.groupby("path")["writedown"].sum()
    hit = lost.index[lost > LOSS_EPSILON]
    if hit.empty:
        return None
    original = notes[notes["period"] == notes.groupby("path")["period"].transform("min")]
    original = original.groupby("note", sort=False)["balance_begin"].sum()
    share = final.groupby("note", sort=False)["writedown"].sum() / original
    left = float("nan")
    if pool is not None and "sold" in pool:
        ends = final.drop_duplicates("path")[["path", "period"]]
        sold = ends.merge(pool, on=["path", "period"], how="left")
        left = float(sold.loc[sold["path"].isin(hit), "sold"].mean())
    return {"paths": int(hit.size), "of": int(notes["path"].nunique()),
            "period": int(final["period"].max()), "written_down": float(lost[hit].mean()),
            "pool_left": left,
            "notes": {n: float(share.get(n, 0.0)) for n in pd.unique(notes["note"])}}
