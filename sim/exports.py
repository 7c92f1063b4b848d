"""The policy tables as files: what ``report``, ``compare`` (of two runs, or of four with
``--against``), ``run-set`` and ``rolls`` print, written by ``--csv`` and ``--xlsx`` in the
deal report's convention.

An analyst who takes a comparison of two collection ladders into a spreadsheet needs the
numbers, not the screen's text (``0.303%``, ``+1,275``): here each printed table is a frame
of numbers under one header row whose labels say their unit (``n, paths (count)``,
``balance at the month ends before (currency units)``), money in currency units to the cent,
rates and shares as fractions to 10 significant digits, as the deal report's exports
(:func:`sim.deal_report.export_table`). Where a column mixes measures (a summary's ``mean``
holds a charge-off rate on one row and a collection cost on the next) a ``unit`` column
says each row's unit and the header says so (``mean (the row's unit)``). Each row names the
run it came from (``run``, ``run_a``...): the CSV stays one table that ``pd.read_csv`` reads
with no options. The workbook adds an ``about`` sheet, as the deal report's: every column's
header, key, unit and meaning, then the runs, their seeds, paths and folders and the command.
Files are written whole or not at all (:func:`sim.store.atomic_write`).

What every export shares (:class:`Column`, :class:`Export`, the units and number formats,
and the writing of the CSV and workbook files) is in :mod:`sim.export_format`, each name
importable from here; this module declares each command's tables and builds their exports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from sim.export_format import FORMATS as FORMATS
from sim.export_format import (
    ROW_UNIT,
    UNIT_KINDS,
    UNITS,
    Column,
    Export,
    about_frame,
    csv_bytes,
    csv_files,
    export_frame,
    write_csv,
    write_xlsx,
    xlsx_bytes,
)
from sim.export_format import ROW_UNIT_WORDS as ROW_UNIT_WORDS
from sim.export_format import SIGNED as SIGNED
from sim.export_format import _format_sheet as _format_sheet
from sim.export_format import _row_kinds as _row_kinds
from sim.export_format import _whole as _whole
from sim.rolls import REDEFAULT_LEVELS

__all__ = ["TRANCHE_COLUMNS", "UNITS", "Column", "Export", "about_frame", "comparison_export",
           "csv_bytes", "csv_files", "export_frame", "interaction_export", "metric_kind",
           "rolls_export", "run_set_export", "summary_export", "tranche_export", "write_csv",
           "write_xlsx", "xlsx_bytes"]


# ----------------------------------------------------------------------------------------------
# Units of the per-path measures


def metric_kind(metric: str) -> str:
    """The kind of a per-path measure's values: as the run store declares its ``paths``
    table (:data:`sim.tables.PATHS`, whence :data:`sim.metrics.AMOUNT_METRICS`); a note's
    losses (principal and present value), and any measure the table does not declare, are
    fractions."""
    from sim.tables import PATHS

    try:
        return UNIT_KINDS[PATHS.unit(metric)]
    except KeyError:  # note_loss_<note>, note_pv_loss_<note>: shares of the note's balance
        return "ratio"


def _with_units(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (a ``metric`` column) with each row's ``unit`` after ``metric``."""
    out = table.copy()
    out.insert(int(out.columns.get_loc("metric")) + 1, "unit",
               [UNITS[metric_kind(m)] for m in out["metric"]])
    return out


# ----------------------------------------------------------------------------------------------
# The tables

METRIC = Column("metric", "metric", "text", "the per-path measure (definitions: docs/MODEL.md "
                "and sim.metrics)")
UNIT = Column("unit", "unit", "text", "the unit of this row's values: fraction (a rate or "
              "share, 0.01 = 1 %) or currency units")

SUMMARY_COLUMNS = (
    Column("run", "run", "text", "the run's id"),
    METRIC, UNIT,
    Column("n", "n, paths", "count", "Monte Carlo paths behind the row"),
    Column("mean", "mean", ROW_UNIT, "mean over paths"),
    Column("p5", "5th percentile", ROW_UNIT, "5th percentile of the paths' values; blank "
           "(n/a) when the paths cannot resolve it (fewer than 20)"),
    Column("p50", "median", ROW_UNIT, "50th percentile of the paths' values"),
    Column("p95", "95th percentile", ROW_UNIT, "95th percentile of the paths' values; blank "
           "(n/a) when the paths cannot resolve it (fewer than 20)"),
    Column("ci_low", "95% CI of mean, low", ROW_UNIT, "lower end of the Student-t 95 % "
           "confidence interval of the mean, cut to the values the measure can take; blank "
           "for one path"),
    Column("ci_high", "95% CI of mean, high", ROW_UNIT, "upper end of that interval"),
)
"""``creditsim report``'s summary (:func:`sim.metrics.summarise`)."""

SIGNIFICANT = ("True when the difference stands with the false discovery rate held at 5 % over "
               "every difference of the table (Benjamini-Hochberg: q value at most 0.05); "
               "blank (n/a) when a run has fewer than 20 paths, too few to judge")
SIGNIFICANT_ALONE = ("True when the difference's own 95 % interval excludes 0 (p below 0.05), "
                     "judged alone, as if it were the table's only difference; blank (n/a) "
                     "below 20 paths")
P_VALUE = ("two-sided p value of the difference's own test (the interval's: paired t or "
           "Welch); 0 when every path gives the same non-zero difference, 1 when none differs")
Q_VALUE = ("the p value adjusted for the number of differences in the table (Benjamini-Hochberg, "
           "scipy.stats.false_discovery_control); blank (n/a) below 20 paths")
INTERVAL = ("'paired' (a paired t interval, the runs share their random numbers path by "
            "path) or 'unpaired' (Welch's interval for independent samples)")


def _difference_columns(a: str, b: str) -> tuple[Column, ...]:
    """The columns a comparison and a run set share, A and B named ``a`` and ``b``."""
    return (
        Column("n_a", f"n {a}, paths", "count", f"paths of {a}"),
        Column("n_b", f"n {b}, paths", "count", f"paths of {b}"),
        Column("mean_a", f"mean {a}", ROW_UNIT, f"mean over the paths of {a}"),
        Column("mean_b", f"mean {b}", ROW_UNIT, f"mean over the paths of {b}"),
        Column("difference", f"{b} - {a}", ROW_UNIT, f"mean difference {b} - {a} (path by "
               "path when paired); of two rates, a fraction of the whole (0.0004 = 0.04 "
               "percentage points)", signed=True),
        Column("ci_low", f"95% CI of {b} - {a}, low", ROW_UNIT, "lower end of the difference's "
               "95 % confidence interval (of the kind the interval column says)", signed=True),
        Column("ci_high", f"95% CI of {b} - {a}, high", ROW_UNIT, "upper end of that interval",
               signed=True),
        Column("interval", "interval", "text", INTERVAL),
        Column("p_value", "p value", "probability", P_VALUE),
        Column("q_value", "q value", "probability", Q_VALUE),
        Column("significant_alone", "significant alone", "flag", SIGNIFICANT_ALONE),
        Column("significant", "significant", "flag", SIGNIFICANT),
    )


COMPARISON_COLUMNS = (
    Column("run_a", "run A", "text", "run A's id"),
    Column("run_b", "run B", "text", "run B's id"),
    METRIC, UNIT, *_difference_columns("A", "B"),
    Column("paths", "paired paths", "count", "paths compared pair by pair (0: unpaired)"),
    Column("unpaired_ci_low", "unpaired 95% CI of B - A, low", ROW_UNIT, "Welch's interval, "
           "which ignores the pairing (for contrast: what common random numbers buy)",
           signed=True),
    Column("unpaired_ci_high", "unpaired 95% CI of B - A, high", ROW_UNIT, "its upper end",
           signed=True),
)
"""``creditsim compare``'s table (:func:`sim.compare.compare_runs`)."""


def _effect_columns(n: int) -> tuple[Column, ...]:
    """The policy effect B - A in scenario ``n`` and its interval."""
    return (
        Column(f"effect_{n}", f"B{n} - A{n}", ROW_UNIT, f"the policy effect in scenario {n}: "
               f"mean difference B{n} - A{n}, path by path", signed=True),
        Column(f"effect_{n}_ci_low", f"95% CI of B{n} - A{n}, low", ROW_UNIT, "lower end of "
               "its paired 95 % confidence interval (as compare gives it)", signed=True),
        Column(f"effect_{n}_ci_high", f"95% CI of B{n} - A{n}, high", ROW_UNIT, "upper end of "
               "that interval", signed=True),
    )


INTERACTION = "(B2 - A2) - (B1 - A1)"
INTERACTION_COLUMNS = (
    *(Column(f"run_{r.lower()}", f"run {r}", "text", f"run {r}'s id") for r in
      ("A1", "B1", "A2", "B2")),
    METRIC, UNIT,
    Column("paths", "n, paired paths", "count", "paths taken four runs at a time (every run "
           "has these paths)"),
    *(Column(f"mean_{r.lower()}", f"mean {r}", ROW_UNIT, f"mean over the paths of {r}") for r
      in ("A1", "B1", "A2", "B2")),
    *_effect_columns(1), *_effect_columns(2),
    Column("interaction", INTERACTION, ROW_UNIT, "the difference in differences: the policy "
           "effect in scenario 2 minus the policy effect in scenario 1, the mean over paths of "
           "(B2 - A2) - (B1 - A1) taken path by path", signed=True),
    Column("ci_low", f"95% CI of {INTERACTION}, low", ROW_UNIT, "lower end of its paired t "
           "95 % confidence interval (over the paths' differences in differences)",
           signed=True),
    Column("ci_high", f"95% CI of {INTERACTION}, high", ROW_UNIT, "upper end of that interval",
           signed=True),
    Column("std_error", f"standard error of {INTERACTION}", ROW_UNIT, "standard error of the "
           "mean over paths (sample s.d. / sqrt(paths))"),
    Column("interval", "interval", "text", "'paired': the four runs share their random "
           "numbers path by path"),
    Column("p_value", "p value", "probability", "two-sided p value of the paired t test that "
           "the difference in differences is 0; 0 when every path gives the same non-zero "
           "one, 1 when it is 0 on every path"),
    Column("q_value", "q value", "probability", Q_VALUE),
    Column("significant_alone", "significant alone", "flag", SIGNIFICANT_ALONE),
    Column("significant", "significant", "flag", SIGNIFICANT),
)
"""``creditsim compare A1 B1 --against A2 B2``'s table
(:func:`sim.interaction.interaction_runs`)."""

RUN_SET_COLUMNS = (
    Column("reference_run", "reference run", "text", "the reference's run id (the first "
           "config)"),
    Column("policy_run", "policy run", "text", "the policy's run id"),
    Column("policy", "policy", "text", "the policy's config name"),
    METRIC, UNIT, *_difference_columns("reference", "policy"),
    Column("reference_overrides", "reference overrides", "text", "config keys --set and "
           "--deal changed from the reference's file (key=value, or 'as configured')"),
    Column("policy_overrides", "policy overrides", "text", "config keys --set and --deal "
           "changed from the policy's file (key=value, or 'as configured')"),
)
"""``creditsim run-set``'s table: every policy against the reference."""

MOVE_LABELS = {"cure": "cure", "re_age": "re-age, not a cure", "roll_back": "roll back",
               "stay": "stay", "roll_forward": "roll forward, incl. charge-off"}
"""The roll table's moves (:data:`sim.rolls.MOVES`) as ``creditsim rolls`` heads them
(its brackets as commas: the header's brackets hold the unit)."""


def _rolls_columns() -> tuple[Column, ...]:
    cols = [Column("run", "run", "text", "the run's id"),
            Column("weight", "weight", "text", "what the rates are shares of: accounts or "
                   "balance"),
            Column("bucket", "bucket", "text", "the delinquency bucket the accounts are in at "
                   "a month end, as printed (1-30 dpd: 1 to 30 days past due)"),
            Column("accounts", "accounts at the month ends before", "count", "account-months "
                   "in the bucket (an account counts at each month end it is in it), added "
                   "up over paths and month ends (rows by accounts)"),
            Column("balance", "balance at the month ends before", "money", "their balances "
                   "at those month ends, added up over paths and month ends: a total over "
                   "month ends, not the bucket's balance at one time (rows by balance)")]
    for move, label in MOVE_LABELS.items():
        cols += [Column(move, label, "ratio", f"share that moves to '{label}' by the next month "
                        "end, pooled over paths and months; a row's five moves add up to 1"),
                 Column(f"{move}_p5", f"{label}, 5th percentile of paths", "ratio",
                        "5th percentile of the per-path pooled rate; blank (n/a) below 20 "
                        "paths"),
                 Column(f"{move}_p95", f"{label}, 95th percentile of paths", "ratio",
                        "95th percentile of the per-path pooled rate; blank (n/a) below 20 "
                        "paths")]
    for level in REDEFAULT_LEVELS:
        cols.append(Column(f"redefault_{level}", f"re-aged, {level + 1}+ dpd or charged off "
                           "within 12 months", "ratio", "share of re-aged accounts "
                           f"{level + 1} or more days past due or charged off within 12 months "
                           "of their re-age, mean over the re-default paths (as printed under "
                           "the tables); the run's, the same on every row; blank when no "
                           "re-age's 12 months closed within the horizon, or the run was "
                           "stored before re-defaults were recorded"))
    cols.append(Column("redefault_paths", "re-default paths", "count", "paths on which a "
                       "re-aged account's 12 months closed within the horizon: those the "
                       "re-default rates are means over"))
    return tuple(cols)


ROLLS_COLUMNS = _rolls_columns()
"""``creditsim rolls``' tables, by accounts then by balance (:func:`sim.rolls.transition_rates`)."""


TRANCHE_COLUMNS = (
    Column("run", "run", "text", "the run's id"),
    Column("note", "note", "text", "the note, in order of seniority"),
    Column("paths", "n, paths", "count", "Monte Carlo paths behind the row"),
    Column("expected_loss", "expected loss", "ratio", "mean over paths of the interest and "
           "principal the note was promised and did not receive, in present value at its "
           "promised rate, as a share of its original balance (Moody's measure, to which the "
           "idealised table is calibrated; 'expected loss measure' says when a run stored "
           "before it gives the principal loss instead)"),
    Column("el_low", "expected loss, 95% CI low", "ratio", "lower end of the expected loss's "
           "95 % confidence interval (what the run's paths can tell)"),
    Column("el_high", "expected loss, 95% CI high", "ratio", "upper end of that interval"),
    Column("el_measure", "expected loss measure", "text", "'pv': the present-value loss; "
           "'principal': the run was stored before it was recorded, and its expected loss, "
           "percentiles and rating are of the principal written down"),
    Column("principal_loss", "principal loss", "ratio", "mean over paths of the note's "
           "principal written down, as a share of its original balance (nominal: not "
           "discounted, no interest)"),
    Column("prob_loss", "P(loss)", "ratio", "share of paths on which the note has more than a "
           "cent of principal written down or of interest left unpaid"),
    Column("prob_loss_low", "P(loss), Wilson 95% CI low", "ratio", "lower end of the Wilson "
           "95 % interval of P(loss)"),
    Column("prob_loss_high", "P(loss), Wilson 95% CI high", "ratio", "upper end of that "
           "interval"),
    Column("loss_p95", "loss p95", "ratio", "95th percentile of the paths' losses (the "
           "expected loss's measure); blank (n/a) when the paths cannot resolve it (fewer "
           "than 20)"),
    Column("loss_p99", "loss p99", "ratio", "99th percentile of the paths' losses (the "
           "expected loss's measure); blank (n/a) when the paths cannot resolve it (fewer "
           "than 100)"),
    Column("wal_years", "WAL", "years", "weighted average life of the note's principal "
           "payments, mean over paths; blank when no principal was paid"),
    Column("irr_annual", "IRR", "rate", "the note holder's internal rate of return, annual "
           "effective ((1 + monthly IRR)^12 - 1: a note repaid at par yields a little more than "
           "its coupon), mean over the paths that have one"),
    Column("implied_rating", "implied rating", "text", "the expected loss against Moody's "
           "idealised cumulative expected-loss rates read at the note's mean WAL; blank when "
           "the run has too few paths to resolve it (paths needed says how many)"),
    Column("rating_best", "ratings consistent, best", "text", "best rating the expected "
           "loss's 95 % interval allows"),
    Column("rating_worst", "ratings consistent, worst", "text", "worst rating it allows"),
    Column("paths_needed", "paths needed", "count", "paths a run needs to resolve the rating "
           "(blank when this run resolves it)"),
    Column("retained", "kept by the originator", "ratio", "the share of the note the "
           "originator keeps (deal.retained; default: the most junior note whole)"),
    Column("holder_irr_annual", "originator IRR", "rate", "return of the originator on what it "
           "keeps: its shares of the notes (kept by the originator) and the residual, having "
           "funded the reserve and the overcollateralisation at closing, annual effective, "
           "mean over paths (on the most junior note's row, under which the residual stands)"),
    Column("residual_paid", "residual received a path", "money", "what the originator "
           "receives as residual holder, mean over paths (the most junior note's row)"),
    Column("reserve_funded", "reserve funded at closing", "money", "the reserve's opening "
           "balance, which the originator funds at closing and its IRR counts as an "
           "outlay, mean over paths (the most junior note's row)"),
    Column("oc_funded", "overcollateralisation at closing", "money", "the pool sold beyond "
           "the notes, the originator's part, which its IRR counts as an outlay, mean over "
           "paths (the most junior note's row)"),
    Column("call_topped_up", "added to a call at par", "money", "what the originator "
           "paid for the pool at a clean-up call at par beyond its balance, which its IRR "
           "counts as an outlay, mean over paths (the most junior note's row)"),
)
"""``creditsim report``'s tranche tables (:func:`sim.abs.tranche_summary`), as printed:
each note's losses, WAL, IRR and implied rating, and what the run's paths can tell."""


def run_facts(label: str, manifest: Mapping, folder: str | Path | None) -> list[tuple[str, str]]:
    """The ``about`` sheet's lines on one run: id, what it ran, every config change from its
    file (``--set``, ``--deal``), seed, paths, and its folder
    when given (None: left out, as the dashboard's downloads leave the server's folders)."""
    from sim.runinfo import summarise_run

    summary = summarise_run(dict(manifest))
    facts = [(label, str(manifest.get("run_id", ""))),
             (f"{label}: config", summary.label()),
             (f"{label}: overrides", summary.overrides_text(None)),
             (f"{label}: seed", str(manifest.get("seed", ""))),
             (f"{label}: paths", str(manifest.get("paths", ""))),
             (f"{label}: created", str(manifest.get("created", ""))),
             (f"{label}: version", str(manifest.get("version", "")))]
    return facts + ([] if folder is None else [(f"{label}: folder", str(folder))])


UNITS_FACT = ("units", "money in currency units (to the cent); rates and shares as fractions "
              "(to 10 significant digits; 0.01 = 1 %), shown as percentages in the workbook; "
              "a difference of two rates is a fraction of the whole (0.0004 = 0.04 percentage "
              "points); blank: n/a")


def summary_export(run, summary: pd.DataFrame, command: str,  # noqa: ANN001 - Run
                   tranches: pd.DataFrame | None = None) -> Export:
    """``creditsim report``'s summary table of ``run`` (``summary``: its
    :func:`sim.metrics.summarise`), with its tranche table (``tranches``: the
    :func:`sim.abs.tranche_summary` of a run with a deal; None: none) as a second table."""
    table = _with_units(summary)
    table.insert(0, "run", run.run_id)
    facts = [*run_facts("run", run.manifest, run.path), ("command", command), UNITS_FACT]
    more = () if tranches is None else (tranche_export(run, tranches),)
    return Export("summary", table, SUMMARY_COLUMNS, tuple(facts), more)


IRR_DECIMALS = 12
"""Decimals of an exported IRR: :func:`sim.abs.metrics.irr_solve` finds the monthly discount
factor to 1e-15, so digits below 1e-12 a year are the solver's (a zero-coupon note repaid at
par shows 1e-14, not 0)."""


def tranche_export(run, summary: pd.DataFrame) -> Export:  # noqa: ANN001 - a Run
    """The tranche tables of ``run`` as ``creditsim report`` prints them (``summary``:
    :func:`sim.abs.tranche_summary`): the loss percentiles blank where the screen says
    n/a (:func:`sim.metrics.resolvable`), the rating blank with the paths it needs when the
    run cannot resolve it, the share of each note the originator keeps, and its return on
    what it keeps on the most junior note's row."""
    from sim.abs.retention import originator_line
    from sim.metrics import resolvable

    table = summary.copy()
    if "retained" not in table:  # a summary of a run stored before the key
        table["retained"] = (table["note"] == table["note"].iloc[-1]).astype(float)
    paths = table["paths"].astype(int)
    for column, q in (("loss_p95", 0.95), ("loss_p99", 0.99)):
        table[column] = table[column].where([resolvable(q, int(n)) for n in paths])
    resolved = table["rating_resolved"].astype(bool)
    table["implied_rating"] = table["implied_rating"].where(resolved)
    table["paths_needed"] = table["paths_needed"].where(~resolved)
    for column in ("irr_annual", "holder_irr_annual"):  # solved to 1e-15 a month
        table[column] = table[column].round(IRR_DECIMALS)
    table.insert(0, "run", run.run_id)
    deal = (run.manifest.get("config") or {}).get("deal") or {}
    facts = [("tranches", f"deal {deal.get('name', '')}: one row per note, in order of "
                          "seniority; losses are shares of the note's original balance: "
                          "the expected loss in present value at the note's promised rate, "
                          "the principal loss nominal"),
             ("ratings", "Moody's idealised cumulative expected-loss rates read at the note's "
                         "mean WAL (docs/REPORTS.md)")]
    line = originator_line(summary)
    if line:
        facts.append(("originator", line))
    return Export("tranches", table, TRANCHE_COLUMNS, tuple(facts))


def comparison_export(result: pd.DataFrame, pairing, manifests: Sequence[Mapping],  # noqa: ANN001
                      folders: Sequence[str | Path | None], command: str) -> Export:
    """``creditsim compare``'s table: ``result`` and ``pairing`` of
    :func:`sim.compare.compare_runs` of the runs of ``manifests`` (A, B) in ``folders``."""
    table = _with_units(result)
    table.insert(0, "run_b", manifests[1].get("run_id", ""))
    table.insert(0, "run_a", manifests[0].get("run_id", ""))
    facts = [*run_facts("run A", manifests[0], folders[0]),
             *run_facts("run B", manifests[1], folders[1]),
             ("pairing", pairing.headline()), *(("note", n) for n in pairing.notes),
             ("command", command), UNITS_FACT]
    return Export("comparison", table, COMPARISON_COLUMNS, tuple(facts))


def interaction_export(result: pd.DataFrame, design, manifests: Sequence[Mapping],  # noqa: ANN001
                       folders: Sequence[str | Path | None], command: str) -> Export:
    """``creditsim compare A1 B1 --against A2 B2``'s table: ``result`` and ``design`` of
    :func:`sim.interaction.interaction_runs` of the runs of ``manifests`` (A1, B1, A2, B2)
    in ``folders``."""
    from sim.interaction import MEANING, RUNS

    table = _with_units(result)
    for name, manifest in reversed(list(zip(RUNS, manifests, strict=True))):
        table.insert(0, f"run_{name.lower()}", manifest.get("run_id", ""))
    facts = [fact for name, manifest, folder in zip(RUNS, manifests, folders, strict=True)
             for fact in run_facts(f"run {name}", manifest, folder)]
    facts += [("estimate", MEANING), ("pairing", design.headline()),
              ("policy change (A1 to B1)", ", ".join(design.policy) or "none"),
              ("scenario change (A1 to A2)", ", ".join(design.scenario) or "none"),
              *(("note", n) for n in design.notes), ("command", command), UNITS_FACT]
    return Export("interaction", table, INTERACTION_COLUMNS, tuple(facts))


def run_set_export(table: pd.DataFrame, runs: Sequence, pairings: Mapping,  # noqa: ANN001
                   command: str) -> Export:
    """``creditsim run-set``'s table: ``table`` and ``pairings`` of
    :func:`sim.scenarios.policies.run_policy_set_checked` of ``runs`` (the reference
    first), with each row's config changes (``reference_overrides``,
    ``policy_overrides``: the manifests' ``overrides``, every one spelled out)."""
    from sim.runinfo import summarise_run

    ids = {r.manifest["name"]: r.run_id for r in runs[1:]}
    changed = {r.manifest["name"]: summarise_run(dict(r.manifest)).overrides_text(None)
               for r in runs}
    out = _with_units(table)
    out.insert(0, "policy_run", [ids[p] for p in out["policy"]])
    out.insert(0, "reference_run", runs[0].run_id)
    out["reference_overrides"] = changed[runs[0].manifest["name"]]
    out["policy_overrides"] = [changed[p] for p in out["policy"]]
    facts = [*run_facts("reference", runs[0].manifest, runs[0].path)]
    for r in runs[1:]:
        facts += run_facts(f"policy {r.manifest['name']}", r.manifest, r.path)
        facts.append((f"policy {r.manifest['name']}: pairing",
                      pairings[r.manifest["name"]].headline()))
    facts += [("command", command), UNITS_FACT]
    return Export("run set", out, RUN_SET_COLUMNS, tuple(facts))


def rolls_export(run, rates: Sequence[pd.DataFrame], spread: bool,  # noqa: ANN001 - a Run
                 command: str, redefaults: Mapping[int, pd.Series]) -> Export:
    """``creditsim rolls``' tables of ``run``: ``rates`` by each weight
    (:func:`sim.rolls.transition_rates`), one row per (weight, bucket); the percentiles
    blank unless ``spread`` (the paths resolve them), as the screen shows them; the
    re-default rates printed under the tables (``redefaults``: each level's
    :func:`sim.rolls.redefault_rates`, per path) as their mean over paths on every row."""
    from sim.delinquency import BUCKET_LABELS

    frames = []
    for one in rates:
        frame = one.rename(columns={"base": str(one["weight"].iloc[0])}) if len(one) else one
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True).reindex(
        columns=[c.key for c in ROLLS_COLUMNS if c.key != "run"])
    if not spread:
        table.loc[:, [c for c in table.columns if c.endswith(("_p5", "_p95"))]] = float("nan")
    table["bucket"] = table["bucket"].map(BUCKET_LABELS)
    for level, rate in redefaults.items():
        table[f"redefault_{level}"] = rate.mean()  # pandas: over the paths that have one
        table["redefault_paths"] = int(rate.notna().sum())
    table.insert(0, "run", run.run_id)
    definitions = ("a move is from one month end to the next; cure, re-age, roll back, stay "
                   "and roll forward are every move a delinquent account can make "
                   "(definitions: docs/MODEL.md, 'Definitions: roll rates, cures, re-ageing, "
                   "vintages')")
    facts = [*run_facts("run", run.manifest, run.path), ("command", command), UNITS_FACT,
             ("definitions", definitions)]
    return Export("rolls", table, ROLLS_COLUMNS, tuple(facts))
