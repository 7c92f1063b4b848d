"""Breakevens: the smallest stress at which each note first loses principal (or, by choice, in
present value).

Rating agencies size a note's protection by the multiple of the pool's base-case defaults it
survives (an Aaa note typically 4 to 5 times, a Baa note about 2 times), applied as a scaled
cumulative default curve (timing vector times base-case cumulative defaults) on the original
pool balance. Two stresses are searched here, each on common random numbers (the same seed,
so on every path the same borrowers meet the same shocks and the loss moves with the stress,
not with the draws):

- **Default multiple** k: the run's own pool collections are replayed through the waterfall
  with each period's defaults k times the base pool's defaults of that period, an amount (a
  share of the cut-off pool: the base case's default curve by months since the cut-off),
  capped at the pool left. The defaulted balance stops paying; the rest (the survivors) pays
  principal and interest at the base survivors' rates of the same stage of the deal (a pool
  replenished last period, or m periods into its run-off), recoveries grow with the defaults
  (same recovery rate and lag), the delinquent balance is k times the base's, and the
  revolving period buys what the stressed waterfall reinvests. Defaults are not scaled per
  unit of the current pool: a run-off pool's late defaults come from receivables that were
  delinquent when it stopped revolving, so per unit of a small run-off pool they are large
  (7 to 60 % a month in the severe recession) and mean nothing for a pool of another size.
  The base run is the config's run without its clean-up call (`uncalled`), so the pool's
  collections are known after the base case's call date; the replay applies the call itself,
  and k = 1 reproduces the run's waterfall exactly. Only the waterfall is re-run, so the
  search is fast and exact in its common random numbers, but borrowers do not react to the
  stress (collections do not change their ladder, limits are not cut). A multiple is of one
  scenario's default curve; the cumulative defaults at the breakeven (`Search.defaults`) are
  the unit in which one deal's breakevens compare across scenarios.
- **Unemployment shock**: the engine is re-run with the peak rise of the unemployment rate
  (``macro.shock.peak_increase``, the config's own shock shape) set to s, so borrowers lose
  jobs, run down savings and miss bills as the model says they would. A config without a
  rise of its own (the steady economy) is stressed with the severe recession's shape starting
  at the deal's cut-off month (`STRESS_SHAPE`).

The multiple is multiplicative: no stress is 1x (the base case, the run itself; 0x is a pool
with no defaults at all). The shock is additive: no stress is +0 points (no rise in
unemployment; the search sets the peak rise, so the config's own shock, if it has one, is
replaced, not added to).

A note loses, by the loss measure searched (`LOSS_MEASURES`), when its principal written down
is above one cent (``principal``, the default), or when its present-value loss is
(``pv``: the interest and principal it was promised and did not receive, discounted at its
promised rate, `sim.abs.loss`; unpaid or late interest counts): exactly where the run's
``loss_pct`` or ``pv_loss_pct`` (`sim.abs.note_metrics`) would be above 0
(`sim.abs.metrics.loss_amounts`). At any stress a note that loses principal loses in present
value too, so its PV breakeven is at most its principal breakeven (to the search's
tolerance), and smaller where interest falls short, or comes late, before any writedown.

For each path and note the stress is scanned on a coarse grid (which always holds the
unstressed point) and the first bracket in which the note starts to lose (its loss above one
cent) is narrowed down by a bracketing root finder on the note's loss minus one cent:
`scipy.optimize.elementwise.find_root` (Chandrupatla's method, vectorised over paths and
notes) for the multiple, `scipy.optimize.brentq` for the shock. The result per path is a
breakeven (0: the note loses even at 0; infinite: no loss up to the largest stress searched),
whether the note loses unstressed, and whether its loss is monotone on the grid: on a finite
number of paths a trigger, the clean-up call's date or the revolving period can move with the
stress so that a note loses at one grid stress and not at a larger one. There the breakeven is
the first loss the scan finds, not a threshold above which the note always loses, and the
tables say so. Across paths: the median breakeven (the stress at which half the paths lose)
with a distribution-free 95 % interval from order statistics, the 10th and 90th percentiles,
and the counts of paths losing unstressed, never losing and losing non-monotonically.

The search's parts live in their own modules, each name importable from here:
:mod:`sim.breakeven_search` (the grid scan and root search common to both stresses, and the
summary across paths), :mod:`sim.breakeven_multiple` (the default multiple: the waterfall
replayed) and :mod:`sim.breakeven_shock` (the unemployment shock: the engine re-run). This
module runs both (:func:`breakeven`) and holds their result and its export.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import exports
from sim.abs.metrics import LOSS_MEASURES, check_loss_measure
from sim.breakeven_multiple import SCALE as SCALE
from sim.breakeven_multiple import _base_rates as _base_rates
from sim.breakeven_multiple import _carry as _carry
from sim.breakeven_multiple import _deal as _deal
from sim.breakeven_multiple import _first_amortising as _first_amortising
from sim.breakeven_multiple import _pool_arrays as _pool_arrays
from sim.breakeven_multiple import _rate as _rate
from sim.breakeven_multiple import _replay as _replay
from sim.breakeven_multiple import _same_stage as _same_stage
from sim.breakeven_multiple import multiple_breakevens, replay_stressed, uncalled
from sim.breakeven_search import (
    MULTIPLE_GRID,
    SHOCK_GRID,
    UNSTRESSED,
    Search,
    summarise_breakevens,
)
from sim.breakeven_search import MULTIPLE_TOL as MULTIPLE_TOL
from sim.breakeven_search import SHOCK_TOL as SHOCK_TOL
from sim.breakeven_search import _defaults_summary as _defaults_summary
from sim.breakeven_search import _median_interval as _median_interval
from sim.breakeven_search import first_loss as first_loss
from sim.breakeven_search import note_losses as note_losses
from sim.breakeven_search import scan_flags as scan_flags
from sim.breakeven_search import search_grid as search_grid
from sim.breakeven_shock import (
    STRESS_SHAPE,
    _shock,
    shock_breakevens,
    stressed_from_cutoff,
    workers_lost,
)
from sim.breakeven_shock import _path_losses as _path_losses
from sim.breakeven_shock import _shock_path as _shock_path
from sim.breakeven_shock import shocked_config as shocked_config
from sim.config import RunConfig
from sim.exports import Column, Export
from sim.montecarlo import run_paths
from sim.pool import WorkerDied

__all__ = [
    "LOSS_MEASURES",
    "MULTIPLE_GRID",
    "SHOCK_GRID",
    "UNSTRESSED",
    "EXPORT_COLUMNS",
    "BreakevenResult",
    "Search",
    "breakeven",
    "multiple_breakevens",
    "replay_stressed",
    "shock_breakevens",
    "summarise_breakevens",
    "uncalled",
    "workers_lost",
]


EXPORT_COLUMNS = (
    Column("stress", "stress", "text", "'multiple': each period's defaults scaled, the "
           "waterfall replayed; 'shock': the engine re-run with a peak rise of unemployment"),
    Column("path", "path", "count", "the Monte Carlo path"),
    Column("note", "note", "text", "the note, in order of seniority"),
    Column("multiple", "breakeven multiple", "multiple", "the smallest multiple of the base "
           "case's defaults at which the note first loses (by the loss measure: principal, "
           "or in present value); blank on the shock's rows and where it does not lose at the "
           "largest multiple searched"),
    Column("shock", "breakeven unemployment rise", "ratio", "the smallest peak rise of the "
           "unemployment rate at which the note first loses (by the loss measure) (0.0425 = "
           "4.25 percentage points); blank on the multiple's rows and where it does not lose "
           "at the largest rise searched"),
    Column("no_loss_at_max", "no loss at the largest stress", "flag", "True: the note does "
           "not lose at the largest stress searched (the tables' 'none')"),
    Column("loses_unstressed", "loses unstressed", "flag", "True: the note loses with no "
           "stress (at 1x, or a rise of 0)"),
    Column("monotone", "monotone", "flag", "False: the note loses at a stress searched and "
           "not at a larger one (the breakeven is then the first loss, not a threshold)"),
    Column("defaults", "cumulative defaults at the breakeven", "ratio", "the deal's cumulative "
           "defaults at the breakeven multiple, a share of the cut-off pool (multiple's rows)"),
    Column("base_defaults", "cumulative defaults at 1x", "ratio", "the same at 1x, the run "
           "itself (multiple's rows)"),
)
"""``creditsim breakeven --csv/--xlsx``: one row per (stress, path, note)."""


@dataclass
class BreakevenResult:
    """Breakevens of one config's notes.

    Attributes:
        per_path: One row per (stress, path, note): ``breakeven`` (a multiple, or a peak rise
            of the unemployment rate as a fraction), ``loses_unstressed`` (at 1x, or +0
            points), ``monotone`` (False: the note loses at a stress of the grid and not
            at a larger one), and for the multiple ``defaults`` and ``base_defaults`` (the
            cumulative defaults at the breakeven and at 1x, shares of the cut-off pool).
            `export` is what ``--csv`` and ``--xlsx`` write.
        summary: `summarise_breakevens` rows of both stresses.
        shock_shape: The unemployment shock's start, ramp, hold and recovery (months).
        paths, seed: The paths and root seed searched.
        shape_source: Where the shock's shape comes from, in words (the config's own shock,
            or the `STRESS_SHAPE` scenario's from the deal's cut-off when it has no rise).
        measure: The loss measure searched (`LOSS_MEASURES`): ``principal`` or ``pv``.
    """

    per_path: pd.DataFrame
    summary: pd.DataFrame
    shock_shape: dict = field(default_factory=dict)
    paths: int = 0
    seed: int = 0
    shape_source: str = ""
    measure: str = "principal"

    TITLES = {"multiple": "Default multiple: the smallest multiple of the base case's "
                          "defaults (its default curve on the cut-off pool) at which the note "
                          "first loses principal",
              "shock": "Unemployment shock: the smallest peak rise of the unemployment rate "
                       "at which the note first loses principal"}
    """Table titles of each stress searched with the principal loss (`title`)."""

    LOSS_TEXTS = {"principal": "principal (a writedown above one cent)",
                  "pv": "pv (a present-value loss above one cent: interest or principal the "
                        "note was promised and did not receive, discounted at its promised "
                        "rate, as report's EL (PV))"}
    """The loss measure searched, in words (the export's ``about`` sheet, the footnote)."""

    def title(self, stress: str) -> str:
        """The table title of ``stress``, with the loss measure searched."""
        text = self.TITLES[stress]
        if self.measure == "pv":
            text = text.replace("loses principal", "loses in present value")
        return text

    UNSTRESSED_HEADS = {"multiple": "losing at 1x", "shock": "losing at +0 pts"}
    """Column head of the paths losing with no stress (`UNSTRESSED`)."""

    def export_table(self) -> pd.DataFrame:
        """`per_path` with one column per unit, as ``--csv`` and ``--xlsx`` write it:
        ``multiple`` (times the base case) on the multiple's rows, ``shock`` (the peak rise
        of the unemployment rate, a fraction: 0.025 is 2.5 points) on the shock's,
        ``defaults`` and ``base_defaults`` (shares of the cut-off pool) on the multiple's;
        a cell is empty where it does not apply and where the note has no breakeven (it does
        not lose at the largest stress searched: ``no_loss_at_max``, the tables' 'none')."""
        df = self.per_path
        value = df["breakeven"].where(np.isfinite(df["breakeven"]))
        multiple = df["stress"] == "multiple"
        return pd.DataFrame({
            "stress": df["stress"], "path": df["path"], "note": df["note"],
            "multiple": value.where(multiple), "shock": value.where(~multiple),
            "no_loss_at_max": np.isinf(df["breakeven"]),
            "loses_unstressed": df["loses_unstressed"], "monotone": df["monotone"],
            "defaults": df["defaults"].where(np.isfinite(df["defaults"])),
            "base_defaults": df["base_defaults"]})

    def export(self, config: str, command: str) -> Export:
        """Every path's breakevens as :mod:`sim.exports` writes them (sheet ``breakevens``,
        :data:`EXPORT_COLUMNS`), with the ``about`` facts: the config (``config``, its name),
        seed, paths, the shock's shape and the command."""
        searched = list(pd.unique(self.per_path["stress"]))
        facts = [("config", config), ("seed", str(self.seed)), ("paths", str(self.paths)),
                 ("stresses", ", ".join(searched)),
                 ("loss measure", self.LOSS_TEXTS[self.measure])]
        if "shock" in searched:
            facts.append(("shock shape", f"months: {self.shape_text} ({self.shape_source})"))
        facts += [("command", command), exports.UNITS_FACT,
                  ("definitions", "docs/REPORTS.md, 'Breakevens'")]
        return Export("breakevens", self.export_table(), EXPORT_COLUMNS, tuple(facts))

    @property
    def shape_text(self) -> str:
        """The shock's shape in words, ``start 6, ramp 9, hold 6, recovery 24`` (months)."""
        return ", ".join(f"{k.removesuffix('_months').replace('_', ' ')} {v}"
                         for k, v in self.shock_shape.items())

    def stresses(self) -> list[str]:
        return list(pd.unique(self.summary["stress"]))

    @staticmethod
    def formatter(stress: str) -> Callable[[float], str]:
        """How a breakeven of ``stress`` is written: ``2.35x`` or ``+4.25 pts``."""
        def fmt(v: float) -> str:
            if v != v:
                return "n/a"
            if math.isinf(v):
                return "none"
            return f"{v:.2f}x" if stress == "multiple" else f"+{v * 100:.2f} pts"
        return fmt


def _per_path(stress: str, search: Search, notes: list[str]) -> pd.DataFrame:
    paths = search.breakeven.shape[0]
    nan = np.full(search.breakeven.shape, math.nan)
    base = (np.full(paths, math.nan) if search.base_defaults is None
            else search.base_defaults)
    return pd.DataFrame({
        "stress": stress, "path": np.repeat(np.arange(paths), len(notes)),
        "note": np.tile(notes, paths), "breakeven": search.breakeven.ravel(),
        "loses_unstressed": search.unstressed.ravel(), "monotone": search.monotone.ravel(),
        "defaults": (nan if search.defaults is None else search.defaults).ravel(),
        "base_defaults": np.repeat(base, len(notes))})


def check_breakeven(config: RunConfig, stresses: tuple[str, ...],
                    measure: str = "principal") -> None:
    """Refuse a search that cannot run, before any work: no deal, an unknown stress or loss
    measure, a swap whose notional is a fixed schedule.

    Raises:
        ValueError: what is wrong and what is allowed.
    """
    if config.deal is None:
        raise ValueError("the config has no deal: breakevens need notes (give --deal FILE)")
    unknown = set(stresses) - {"multiple", "shock"}
    if unknown:
        raise ValueError(f"unknown stress {sorted(unknown)}; allowed: multiple, shock")
    check_loss_measure(measure)
    if not isinstance(config.deal.swap and config.deal.swap.notional, str | None):
        raise ValueError("the deal's swap notional is a fixed schedule in currency units: the "
                         "default-multiple replay rescales pools and needs scale-free terms")


def breakeven(config: RunConfig, paths: int, seed: int, workers: int = 1, *,
              stresses: tuple[str, ...] = ("multiple", "shock"),
              multiple_grid: tuple[float, ...] = MULTIPLE_GRID,
              shock_grid: tuple[float, ...] = SHOCK_GRID,
              progress: Callable[[str, int, int], None] | None = None,
              measure: str = "principal") -> BreakevenResult:
    """Both breakevens of every note of ``config``'s deal on ``paths`` paths of ``seed``, the
    note losing by ``measure`` (`LOSS_MEASURES`: ``principal``, a writedown above one cent, or
    ``pv``, a present-value loss above one cent).

    Raises:
        ValueError: If the config has no deal, a stress or the loss measure is unknown, or a
            path's deal never started.
        WorkerDied: A worker process ended before its paths were done (killed): one line
            saying how and what to do (:func:`workers_lost`).
    """
    check_breakeven(config, stresses, measure)
    assert config.deal is not None  # checked
    notes = [n.name for n in config.deal.notes]
    found: dict[str, Search] = {}
    if "multiple" in stresses:
        try:
            results = run_paths(uncalled(config), paths, seed, workers,
                                on_progress=(lambda d, n: progress("multiple", d, n))
                                if progress else None)
        except WorkerDied as exc:  # the run's own message speaks of a run not written
            raise workers_lost(exc.endings) from None
        found["multiple"] = multiple_breakevens(config, results, multiple_grid,
                                                measure=measure)
    if "shock" in stresses:
        found["shock"] = shock_breakevens(
            config, paths, seed, workers, shock_grid,
            on_path=(lambda d, n: progress("shock", d, n)) if progress else None,
            measure=measure)
    per_path = pd.concat([_per_path(s, v, notes) for s, v in found.items()], ignore_index=True)
    summary = pd.concat([summarise_breakevens(v, notes, s) for s, v in found.items()],
                        ignore_index=True)
    shape = _shock(config)
    shape.pop("peak_increase", None)
    source = (f"the {STRESS_SHAPE.replace('_', ' ')}'s shape from the deal's cut-off, as the "
              "config's economy has no rise of its own" if stressed_from_cutoff(config)
              else "the config's own shock")
    return BreakevenResult(per_path, summary, shape, paths, seed, source, measure)
