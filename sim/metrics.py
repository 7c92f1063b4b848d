"""Run tables and summary statistics: from path records to the tables users read.

``portfolio`` has one row per (path, month) in currency units; ``paths`` one row per
path with the loss measures defined below; ``summarise`` gives each metric's mean,
percentiles and a 95 % confidence interval of the mean across paths.

Per-path measures (sums over the horizon):

* ``cumulative_charge_off_rate`` = charge-offs / new purchases (gross loss per unit lent)
* ``net_loss_rate`` = (charge-offs - recoveries) / new purchases
* ``recovery_rate`` = recoveries / charge-offs (recoveries received within the horizon;
  0 when nothing was charged off)
* ``annualised_charge_off_rate`` = charge-offs / mean receivables * 12 / months
* ``charge_off_rate_with_pipeline`` = (charge-offs + the charge-offs in the pipeline at
  the horizon) / new purchases; ``pipeline_charge_offs`` = the balances past due or
  re-aged at the last month end times the probability that each is charged off before it
  cures, by the path's roll rates of its last 12 months (currency units;
  :func:`sim.rolls.pipeline_charge_offs`): a policy that delays charge-offs beyond the
  horizon does not look better for it
* ``borrower_default_rate`` = accounts charged off / borrowers onboarded
* ``peak_dpd30_rate`` = the highest month-end share of receivables 30+ days past due,
  from month :data:`SEASONED_MONTH` on (over every month when the horizon ends sooner):
  the book is launched at once, so its first bills fall due together and the launch
  cohort's early misses make a spike in months 2-4 that is not a stress of the economy
  or of the policy
* ``collection_cost`` = cost of every collection action, agency commissions on what
  agencies collected before charge-off, the collectors' monthly cost (salaried: paid
  whether or not their calls are used) and legal filing costs (currency units)
* ``net_recovery`` = recoveries after charge-off (all channels and any debt sale) less
  the agency's commission on them and legal costs (currency units)
* ``human_contact_share`` = borrowers ever called by a collector / borrowers onboarded
* ``intervention_cost`` = early-warning reminders and borrower education (currency units)
* ``loss_after_costs_rate`` = (charge-offs - recoveries + the agency's commission on them +
  collection cost + intervention cost) / new purchases: each cost counted once (legal costs
  are in the collection cost, so the loss does not take the net recovery, which deducts them
  too)
* ``early_warning_auc`` = out-of-sample AUC of the early-warning model (NaN when off)
* ``reaged_redefault_rate_30`` / ``_60`` = share of re-aged accounts 31+ / 61+ days past
  due or charged off within 12 months of their re-age, among those whose 12 months ended
  within the horizon (NaN when none did; :func:`sim.rolls.redefault_rates`)

A run with a deal adds two losses per note, each a fraction of the note's original balance
(:func:`sim.securitisation.note_loss_columns`):

* ``note_loss_<note>`` = principal written down / original balance (nominal)
* ``note_pv_loss_<note>`` = the interest and principal the note was promised and did not
  receive, in present value at its promised rate, / original balance (the loss rating
  agencies measure, :func:`sim.abs.loss.pv_loss`): it counts interest left unpaid and
  interest paid late, and a late writedown less than an early one
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.delinquency import BUCKETS, ROLL_STATES
from sim.engine import PathResult
from sim.recorder import MONTHLY, ROLLS, VINTAGES, money_columns, to_currency
from sim.rolls import pipeline_charge_offs, redefault_rates, roll_matrix, vintage_rates
from sim.securitisation import NOTE_LOSS_COLUMNS
from sim.tables import PATHS
from sim.wording import paths_text

MONEY_COLUMNS = money_columns(MONTHLY)
"""The monthly columns in currency units (declared in cents in :mod:`sim.recorder`)."""
KEY_METRICS = (
    "cumulative_charge_off_rate", "charge_off_rate_with_pipeline", "net_loss_rate",
    "recovery_rate",
    "annualised_charge_off_rate", "borrower_default_rate", "peak_dpd30_rate",
    "collection_cost", "net_recovery", "human_contact_share", "loss_after_costs_rate",
)
BETTER: dict[str, int] = {
    "cumulative_charge_off_rate": -1, "charge_off_rate_with_pipeline": -1,
    "net_loss_rate": -1, "annualised_charge_off_rate": -1, "borrower_default_rate": -1,
    "peak_dpd30_rate": -1, "loss_after_costs_rate": -1, "collection_cost": -1,
    "intervention_cost": -1, "pipeline_charge_offs": -1,
    "reaged_redefault_rate_30": -1, "reaged_redefault_rate_60": -1,
    "recovery_rate": 1, "net_recovery": 1, "promise_kept_rate": 1, "early_warning_auc": 1,
    "human_contact_share": 0, "hardship_enrolments": 0,
}
"""Which way each per-path measure is better for the lender: -1 lower is better (losses,
costs, re-defaults), +1 higher is better (recoveries, kept promises, the early-warning
model's AUC), 0 neither (a share of borrowers called or enrolled describes the policy; it
is not good or bad in itself). Tranche losses (``note_loss_<note>``, ``note_pv_loss_<note>``:
:data:`NOTE_LOSS_PREFIXES`) are lower-better; a measure not listed has no direction
(:func:`better_direction`)."""
NOTE_LOSS_PREFIXES = tuple(NOTE_LOSS_COLUMNS.values())
"""Prefixes of the per-path note losses of a run with a deal: the principal loss
(``note_loss_``) and the present-value loss (``note_pv_loss_``), each followed by the note's
name; both are fractions of the note's original balance, lower-better."""
AMOUNT_METRICS = frozenset(c for c, unit in PATHS.columns if unit == "currency")
"""The per-path measures in currency units, as the run store declares the ``paths`` table
(:data:`sim.tables.PATHS`)."""
COUNT_METRICS = frozenset(c for c, unit in PATHS.columns if unit == "count")
"""The per-path measures that are counts (``hardship_enrolments``: accounts), as the run
store declares the ``paths`` table; every measure neither an amount nor a count is a rate or
share (:func:`is_rate`)."""


def is_rate(metric: str) -> bool:
    """Whether a per-path measure is a rate or share (a fraction: shown in %, a difference
    of it in percentage points) rather than an amount in currency units or a count.

    Decided by the unit the run store declares for the ``paths`` table
    (:data:`AMOUNT_METRICS`, :data:`COUNT_METRICS`), never by the name:
    ``charge_off_rate_with_pipeline`` and a note's loss are rates, ``hardship_enrolments``
    is a count. The one test of :func:`format_metric`, and so of every table, and of the
    dashboard's difference charts, which draw the rates on one axis in points.
    """
    return metric not in AMOUNT_METRICS and metric not in COUNT_METRICS


AMOUNT_UNIT = "currency units, each path's total over the horizon"
"""What an amount's figure is (:data:`AMOUNT_METRICS`): the CLI's caption under its tables
(:func:`amounts_note`) and the dashboard's headline cards say it in these words."""
RATE_UNIT = "%, each path over its horizon"
"""What a rate's figure is, unless its :class:`Definition` says otherwise."""
COUNT_UNIT = "count, each path's total over the horizon"
"""What a count's figure is (:data:`COUNT_METRICS`)."""


@dataclass(frozen=True)
class Definition:
    """What a per-path measure is, in the words of README's table of ``paths.parquet``.

    Attributes:
        formula: What it is, short enough for a headline card under the measure's name.
        aside: The rest of README's definition (a qualification or why), or "".
        unit: What its figure is when not :data:`RATE_UNIT` or :data:`AMOUNT_UNIT`
            (:func:`unit_text`), or "".
    """

    formula: str
    aside: str = ""
    unit: str = ""

    @property
    def text(self) -> str:
        """The whole definition, as README's table gives it (without its unit)."""
        return self.formula + self.aside


DEFINITIONS: dict[str, Definition] = {
    "cumulative_charge_off_rate": Definition("charge-offs / new purchases"),
    "charge_off_rate_with_pipeline": Definition(
        "(charge-offs + pipeline_charge_offs) / new purchases",
        ": the horizon's charge-offs and those its late balances still hold"),
    "pipeline_charge_offs": Definition(
        "balances past due or re-aged at the horizon times the probability each is charged "
        "off before it cures", ", by the path's roll rates of its last 12 months (Markov "
        "absorption; docs/MODEL.md)", unit="currency units, each path's pipeline at its horizon"),
    "net_loss_rate": Definition("(charge-offs - recoveries) / new purchases"),
    "recovery_rate": Definition("recoveries / charge-offs",
                                " (recoveries received within the horizon)"),
    "annualised_charge_off_rate": Definition(
        "charge-offs / mean receivables x 12 / months", unit="% a year, over each path's "
                                                             "horizon"),
    "borrower_default_rate": Definition("accounts charged off / borrowers onboarded"),
    "peak_dpd30_rate": Definition(
        "highest month-end share of receivables 30+ days past due, from month 12 on",
        " (the launch cohort's first bills make a spike in months 2-4)",
        unit="%, each path's highest month end"),
    "collection_cost": Definition("every collection action, agency commissions, the "
                                  "collectors' monthly cost and legal costs"),
    "net_recovery": Definition("recoveries less the agency's commission and legal costs"),
    "human_contact_share": Definition("borrowers ever called by a collector / borrowers "
                                      "onboarded"),
    "intervention_cost": Definition("early-warning reminders and education"),
    "loss_after_costs_rate": Definition(
        "(charge-offs - recoveries + the agency's commission on them + collection cost + "
        "intervention cost) / new purchases", ": each cost once (legal costs are in the "
        "collection cost, not deducted from recoveries again)"),
    "early_warning_auc": Definition("out-of-sample AUC of the early-warning model",
                                    " (NaN when off)"),
}
"""Each per-path measure of README's table of ``paths.parquet``, in its words (a test holds
the two equal; the module docstring gives the same measures in full). The Portfolio page's
headline cards show each key metric's ``formula`` and unit (:func:`unit_text`)."""


def metric_definition(metric: str) -> Definition:
    """What ``metric`` is (:data:`DEFINITIONS`); a measure not defined there has an empty
    definition."""
    return DEFINITIONS.get(metric, Definition(""))


def unit_text(metric: str) -> str:
    """What a figure of ``metric`` is: its :class:`Definition`'s unit when it has one, else
    :data:`AMOUNT_UNIT` for an amount, :data:`COUNT_UNIT` for a count and :data:`RATE_UNIT`
    for a rate (:func:`is_rate`)."""
    unit = metric_definition(metric).unit
    if unit:
        return unit
    if metric in COUNT_METRICS:
        return COUNT_UNIT
    return RATE_UNIT if is_rate(metric) else AMOUNT_UNIT


OPTIONAL_METRICS = frozenset({"charge_off_rate_with_pipeline"})
"""Key metrics a run stored before they were measured lacks: left out of its summary and of
its comparisons, rather than refused."""


SEASONED_MONTH = 12
"""First month of the seasoned book (months are 0-based): before it the launch cohort,
the whole book at month 0, still dominates delinquency. Peak measures and the stylised
facts of :mod:`sim.validation.facts` look from here on. A modelling convention: the
launch cohort's 30+ share peaks in months 2-4 and its early-life defaults reach charge-off
at month 6-7; a year leaves both behind."""
METRIC_RANGES: dict[str, tuple[float, float]] = {
    "cumulative_charge_off_rate": (0.0, np.inf),
    "charge_off_rate_with_pipeline": (0.0, np.inf),
    "recovery_rate": (0.0, np.inf),
    "annualised_charge_off_rate": (0.0, np.inf),
    "borrower_default_rate": (0.0, 1.0),
    "peak_dpd30_rate": (0.0, 1.0),
    "collection_cost": (0.0, np.inf),
    "human_contact_share": (0.0, 1.0),
    "intervention_cost": (0.0, np.inf),
    "early_warning_auc": (0.0, 1.0),
    "reaged_redefault_rate_30": (0.0, 1.0),
    "reaged_redefault_rate_60": (0.0, 1.0),
}
"""The values a per-path measure can take, by its definition (module docstring): shares
lie in [0, 1]; charge-offs, recoveries and costs are never negative, and their rates have
no upper bound that holds for every book (fees charged off and recoveries of earlier
charge-offs can pass 1). Measures not listed (net loss, net recovery, loss after costs)
may be negative. :func:`summarise` cuts the confidence interval of a mean to its range."""
MIN_PATHS = 20
"""Fewest paths for which the CLI and dashboard judge significance without a warning.

Below it a t interval rests on the normality of a handful of draws, and the 5th and
95th percentiles cannot be told apart from the extremes (see :func:`resolvable`)."""


def resolvable(q: float, n: int) -> bool:
    """Whether ``n`` paths resolve the ``q`` quantile (0 < q < 1).

    A quantile is resolved when at least one path lies beyond it on each side:
    ``n * min(q, 1 - q) >= 1`` (the 5th percentile needs 20 paths, the 99th 100).
    """
    return n * min(q, 1.0 - q) >= 1.0 - 1e-12


def paths_to_resolve(q: float) -> int:
    """Fewest paths that resolve the ``q`` quantile (0 < q < 1) by :func:`resolvable`: 20
    for the 5th or 95th percentile, 100 for the 99th.

    Raises:
        ValueError: If ``q`` is not strictly between 0 and 1 (no number of paths resolves it).
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"no number of paths resolves the {q:g} quantile; give 0 < q < 1")
    n = max(1, int(1.0 / min(q, 1.0 - q)) - 1)  # from just below; resolvable decides
    while not resolvable(q, n):
        n += 1
    return n


def small_sample_warning(n: int) -> str:
    """The warning shown beside numbers from fewer than :data:`MIN_PATHS` paths ("" if
    there are enough)."""
    if n >= MIN_PATHS:
        return ""
    return (f"warning: only {paths_text(n)}; below {MIN_PATHS} paths "
            "intervals are unreliable and significance is not judged (n/a); percentiles "
            "need 1/q paths (20 for p5/p95, 100 for p99)")


def format_metric(name: str, value: float | None, signed: bool = False) -> str:
    """A metric's value as text, the one format of the CLI and the dashboard.

    Currency amounts with thousands separators and no decimals (``1,275,743``), counts
    with thousands separators and one decimal (``1,204.5``: a mean of whole counts across
    paths; :data:`COUNT_METRICS`), rates and shares as percentages with three decimals
    (``0.303%``). ``signed`` marks a difference: ``+`` on positive values, and a difference
    of two rates in percentage points (``-0.041 pp``: 0.303 % less 0.344 %), not in %,
    which would read as a relative change. A value that rounds to zero is shown unsigned
    (``0.000%``, never ``-0.000%``), a difference of rates still in points (``0.000 pp``,
    as the rows beside it). A missing or NaN value is ``n/a``.
    """
    if value is None or value != value:
        return "n/a"
    decimals = 0 if name in AMOUNT_METRICS else 1 if name in COUNT_METRICS else 5
    sign = "+" if signed else ""
    if round(value, decimals) == 0:
        value, sign = 0.0, ""
    if not is_rate(name):
        return f"{value:{sign},.{decimals}f}"
    if signed:
        return f"{value * 100:{sign}.3f} pp"
    return f"{value:.3%}"


def amounts_note(metrics: Iterable[str]) -> str:
    """The caption line saying what the money rows of a table of ``metrics`` are: each
    path's total over the horizon in currency units, the table's figures their mean (or
    percentiles) across paths; "" when no metric is an amount (:data:`AMOUNT_METRICS`)."""
    names = list(dict.fromkeys(m for m in metrics if m in AMOUNT_METRICS))
    if not names:
        return ""
    return f"{', '.join(names)}: {AMOUNT_UNIT} (mean and interval across paths)"


def is_note_loss(metric: str) -> bool:
    """Whether ``metric`` is a note's per-path loss (:data:`NOTE_LOSS_PREFIXES`)."""
    return metric.startswith(NOTE_LOSS_PREFIXES)


def better_direction(metric: str) -> int:
    """-1 when a lower value of ``metric`` is better, +1 when a higher one is, 0 when
    neither (:data:`BETTER`; a note's loss, ``note_loss_<note>`` or ``note_pv_loss_<note>``,
    is -1; an unknown name is 0)."""
    if is_note_loss(metric):
        return -1
    return BETTER.get(metric, 0)


def verdict(metric: str, difference: float) -> str:
    """``"better"``, ``"worse"`` or ``"neutral"``: what a difference B - A of ``metric``
    means by its better direction (:func:`better_direction`). Zero, NaN or a metric with
    no direction is ``"neutral"``; whether the difference is significant is the caller's
    to judge."""
    sign = better_direction(metric) * float(np.sign(difference))
    if sign != sign or sign == 0:
        return "neutral"
    return "better" if sign > 0 else "worse"


def comparison_metrics(paths_a: pd.DataFrame, *others: pd.DataFrame) -> tuple[str, ...]:
    """The metric set of every comparison (CLI ``compare``, ``run-set``, dashboard, the
    difference in differences of four runs): :data:`KEY_METRICS` and each tranche's losses
    (``note_loss_<note>``, then ``note_pv_loss_<note>``, in ``paths_a``'s order) in every run
    given. A run stored before the PV loss was recorded has no ``note_pv_loss_`` columns, so a
    comparison with it leaves them out."""
    tables = (paths_a, *others)
    notes = tuple(c for c in paths_a.columns
                  if is_note_loss(c) and all(c in t for t in tables))
    key = tuple(m for m in KEY_METRICS
                if m not in OPTIONAL_METRICS or all(m in t for t in tables))
    return key + notes


def portfolio_table(results: list[PathResult]) -> pd.DataFrame:
    """One row per (path, month); money in currency units, counts as integers."""
    frames = []
    for r in results:
        df = pd.DataFrame(r.monthly)
        df.insert(0, "month", np.arange(len(df), dtype=np.int32))
        df.insert(0, "path", np.int32(r.path))
        frames.append(df)
    return to_currency(pd.concat(frames, ignore_index=True), MONTHLY)


def vintage_table(results: list[PathResult]) -> pd.DataFrame:
    """One row per (path, onboarding cohort, month) with cumulative charge-off measures.

    The cumulative rates by accounts and by balance are those of
    :func:`sim.rolls.vintage_rates`.
    """
    frames = []
    for r in results:
        df = pd.DataFrame(r.vintages)
        df.insert(0, "path", np.int32(r.path))
        frames.append(df)
    return vintage_rates(to_currency(pd.concat(frames, ignore_index=True), VINTAGES))


def roll_table(results: list[PathResult]) -> pd.DataFrame:
    """Accounts moving between month-end states, one row per (path, month, from, to).

    States are :data:`sim.delinquency.ROLL_STATES` (the delinquency buckets, ``re_aged`` and
    ``charged_off``); a row counts the ``accounts`` in ``from_state`` at the end of the
    previous month and in ``to_state`` at the end of ``month``, and their ``balance`` at
    the end of the previous month (currency units). Pairs with no account are left out.
    """
    frames = []
    for r in results:
        if r.rolls is None or r.roll_balance is None:
            raise ValueError(f"path {r.path} recorded no roll counts")
        m, i, j = np.nonzero(r.rolls)
        frames.append(pd.DataFrame({
            "path": np.int32(r.path), "month": m.astype(np.int32),
            "from_state": pd.Categorical.from_codes(i, ROLL_STATES),
            "to_state": pd.Categorical.from_codes(j, ROLL_STATES),
            "accounts": r.rolls[m, i, j].astype(np.int64),
            "balance": r.roll_balance[m, i, j].astype(np.int64),
        }))
    return to_currency(pd.concat(frames, ignore_index=True), ROLLS)


def roll_rates(rolls: pd.DataFrame, weight: str = "accounts") -> pd.DataFrame:
    """Mean monthly roll-rate matrix by ``weight``: :func:`sim.rolls.roll_matrix`."""
    return roll_matrix(rolls, weight).fillna(0.0)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den != 0)).fillna(0.0)


def seasoned_dpd30_share(portfolio: pd.DataFrame) -> pd.Series:
    """Month-end share of receivables 30+ days past due, on the rows of the seasoned book.

    Rows of ``portfolio`` from month :data:`SEASONED_MONTH` on, or every row of a path
    whose horizon ends before it. Index: ``portfolio``'s; values: fractions (0 where
    receivables are 0).
    """
    dpd30 = portfolio[[f"balance_{b}" for b in BUCKETS[2:]]].sum(axis=1)
    share = _ratio(dpd30, portfolio["receivables_balance"])
    last = portfolio.groupby("path")["month"].transform("max")
    keep = (portfolio["month"] >= SEASONED_MONTH) | (last < SEASONED_MONTH)
    return share[keep]


def path_table(portfolio: pd.DataFrame, results: list[PathResult] | None = None,
               rolls: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per path with the measures of the module docstring.

    ``results`` adds each path's summary facts (e.g. the early-warning AUC); ``rolls`` (the
    run's ``rolls`` table, with balances) adds the charge-offs in the pipeline at the
    horizon (:func:`sim.rolls.pipeline_charge_offs`) and
    ``charge_off_rate_with_pipeline``.
    """
    g = portfolio.groupby("path", sort=True)
    sums = g[["new_purchases", "charge_offs", "recoveries", "fees_billed", "payments",
              "charged_off_accounts", "collection_cost", "net_recoveries",
              "recovery_commission",
              "promises_kept", "promises_broken", "hardship_enrolments", "ew_cost",
              "nudge_cost"]].sum()
    months = g["month"].count()
    share30 = seasoned_dpd30_share(portfolio)
    out = pd.DataFrame(index=sums.index)
    out["cumulative_charge_off_rate"] = _ratio(sums["charge_offs"], sums["new_purchases"])
    out["net_loss_rate"] = _ratio(sums["charge_offs"] - sums["recoveries"], sums["new_purchases"])
    out["recovery_rate"] = _ratio(sums["recoveries"], sums["charge_offs"])
    out["annualised_charge_off_rate"] = _ratio(
        sums["charge_offs"], g["receivables_balance"].mean()
    ) * 12.0 / months
    out["borrower_default_rate"] = _ratio(
        sums["charged_off_accounts"], g["onboarded_borrowers"].last()
    )
    out["peak_dpd30_rate"] = share30.groupby(portfolio.loc[share30.index, "path"]).max()
    out["collection_cost"] = sums["collection_cost"]
    out["net_recovery"] = sums["net_recoveries"]
    out["human_contact_share"] = _ratio(
        g["human_contacted_ever"].last(), g["onboarded_borrowers"].last()
    )
    out["intervention_cost"] = sums["ew_cost"] + sums["nudge_cost"]
    out["loss_after_costs_rate"] = _ratio(  # legal costs once: in collection_cost only
        sums["charge_offs"] - sums["recoveries"] + sums["recovery_commission"]
        + sums["collection_cost"] + out["intervention_cost"],
        sums["new_purchases"],
    )
    out["promise_kept_rate"] = _ratio(
        sums["promises_kept"], sums["promises_kept"] + sums["promises_broken"]
    )
    out["hardship_enrolments"] = sums["hardship_enrolments"]
    if "reaged_window_closed" in portfolio:
        for level in (30, 60):
            out[f"reaged_redefault_rate_{level}"] = redefault_rates(portfolio, level)
    if rolls is not None and "balance" in rolls:
        pipeline = pipeline_charge_offs(rolls, portfolio)
        out["pipeline_charge_offs"] = pipeline
        out["charge_off_rate_with_pipeline"] = _ratio(sums["charge_offs"] + pipeline,
                                                      sums["new_purchases"])
    out["total_purchases"] = sums["new_purchases"]
    out["total_charge_offs"] = sums["charge_offs"]
    out["total_recoveries"] = sums["recoveries"]
    out["total_fees"] = sums["fees_billed"]
    out["mean_unemployment_rate"] = g["unemployment_rate"].mean()
    out["peak_unemployment_rate"] = g["unemployment_rate"].max()
    for r in results or []:
        for key, value in r.summary.items():
            out.loc[r.path, key] = value
    return out.reset_index()


def summarise(paths: pd.DataFrame, metrics: tuple[str, ...] = KEY_METRICS) -> pd.DataFrame:
    """Mean, 5/50/95th percentiles and the 95 % confidence interval of the mean per metric.

    The interval is the Student-t interval over paths (paths are independent draws),
    from ``scipy.stats.ttest_1samp(x, 0).confidence_interval()``, cut to the range the
    measure can take (:data:`METRIC_RANGES`): with few paths the t interval of a rate near
    0 reaches below 0, and as the mean lies in the range, the cut interval covers it
    whenever the t interval does (the same coverage, without impossible values). A
    percentile the paths cannot resolve (:func:`resolvable`) is NaN, as is the interval
    of one path.

    Returns:
        One row per metric: ``metric, n, mean, p5, p50, p95, ci_low, ci_high``.
    """
    rows = []
    n = len(paths)
    for m in metrics:
        if m not in paths and m in OPTIONAL_METRICS:  # a run stored before it was measured
            continue
        x = paths[m].to_numpy(dtype=float)
        mean = float(x.mean()) if n else float("nan")
        if n < 2:
            lo = hi = float("nan")
        elif np.all(x == x[0]):
            lo = hi = mean
        else:
            with warnings.catch_warnings():  # near-identical values: scipy warns
                warnings.simplefilter("ignore", RuntimeWarning)
                ci = stats.ttest_1samp(x, 0.0).confidence_interval(confidence_level=0.95)
            low, high = METRIC_RANGES.get(m, (-np.inf, np.inf))
            lo, hi = max(float(ci.low), low), min(float(ci.high), high)
        qs = [float(np.percentile(x, q * 100)) if n and resolvable(q, n) else float("nan")
              for q in (0.05, 0.5, 0.95)]
        rows.append({"metric": m, "n": n, "mean": mean, "p5": qs[0], "p50": qs[1],
                     "p95": qs[2], "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)
