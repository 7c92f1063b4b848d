"""The CLI's tables: a run's summary, comparisons of runs and the difference in
differences of four.

Every table says how many paths stand behind its numbers (n), prints ``n/a`` for a
percentile the paths cannot resolve, and says on the table itself whether an interval is
paired or not (the tranche tables, with implied ratings the paths can resolve, are in
:mod:`sim.report_tables`). Numbers use :func:`sim.metrics.format_metric`, the dashboard's format.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from rich.table import Table

from sim.compare import Pairing, false_discovery_note, shorten_keys, significance_text
from sim.interaction import MEANING, Design
from sim.metrics import amounts_note, format_metric, summarise
from sim.richtables import WholeTable
from sim.runinfo import summarise_run
from sim.wording import paths_text

if TYPE_CHECKING:
    from sim.store import Run


def complete_paths(run) -> str | None:  # noqa: ANN001 - a sim.store.Run
    """Make sure ``run`` has its ``paths`` table; rebuild it from ``portfolio`` if it is not
    stored (a manifest that names no ``paths`` table).

    The per-path measures are :func:`sim.metrics.path_table` of the portfolio table, with each
    note's principal and PV losses (:func:`sim.securitisation.note_loss_columns`) when the run
    has a deal, as
    ``creditsim run`` stores them; per-path facts that only the simulation knew (for
    instance the early-warning model's AUC) cannot be rebuilt and are left out.

    Returns:
        None when the table was stored, else a one-line note saying it was rebuilt.

    Raises:
        ValueError: If the run has neither a ``paths`` nor a ``portfolio`` table, naming the
            tables it has.
    """
    if "paths" in run.tables:
        return None
    if "portfolio" not in run.tables:
        have = ", ".join(sorted(run.tables)) or "none"
        raise ValueError(f"run {run.run_id}: its manifest lists neither a 'paths' nor a "
                         f"'portfolio' table (tables: {have}), so there is nothing to report; "
                         "rerun it with 'creditsim run --from-manifest RUN'")
    from sim.metrics import path_table
    from sim.securitisation import note_loss_columns

    paths = path_table(run.tables["portfolio"], rolls=run.tables.get("rolls"))
    if "note_metrics" in run.tables:
        paths = paths.merge(note_loss_columns(run.tables["note_metrics"]), on="path",
                            how="left")
    run.tables["paths"] = paths
    return (f"run {run.run_id} stores no 'paths' table; the per-path measures were rebuilt "
            "from its 'portfolio' table")


def comparison_paths(run: str | Path, root: str | Path = "runs") -> Run:
    """A stored run with its ``paths`` table only (:func:`sim.store.load_run`), as the
    comparisons read it, with each note's PV loss when the run recorded it in its
    ``note_metrics`` table (``pv_loss_pct``) but stored its ``paths`` before
    ``note_pv_loss_<note>`` was a column of it: so that it compares with newer runs on both
    losses (:func:`sim.securitisation.note_loss_columns`, as ``creditsim run`` stores them).
    Its other tables are checked unread (:func:`sim.store.check_run`): a comparison refuses
    a damaged run as a report of it does.

    Raises:
        As :func:`sim.store.load_run` and :func:`sim.store.check_run`.
    """
    from sim.metrics import is_note_loss
    from sim.securitisation import note_loss_columns
    from sim.store import check_run, load_run, read_table

    found = load_run(run, root, tables=("paths",))
    paths = found.paths
    notes = [c for c in paths.columns if is_note_loss(c)]
    if (found.path is None or "note_metrics" not in found.manifest.get("tables", ())
            or not notes or any(c.startswith("note_pv_loss_") for c in notes)):
        check_run(found)
        return found
    metrics = read_table(found.path, "note_metrics", found.manifest)
    check_run(found, skip=("note_metrics",))
    pv = note_loss_columns(metrics).filter(regex="^(path|note_pv_loss_.*)$")
    if pv.shape[1] > 1:
        found.tables["paths"] = paths.merge(pv, on="path", how="left")
    return found


def summary_table(run, summary: pd.DataFrame | None = None) -> Table:  # noqa: ANN001 - a Run
    """Mean, percentiles and 95 % CI of the mean of each key metric, with n (``summary``:
    the run's :func:`sim.metrics.summarise`, computed when not given)."""
    m = run.manifest
    info = summarise_run(m)
    if summary is None:
        summary = summarise(run.paths)
    n = len(run.paths)
    table = WholeTable(title=f"{m['run_id']}  (n = {paths_text(n)}, seed {m['seed']})\n"
                             f"{info.label()}",
                       caption=amounts_note(summary["metric"]) or None, caption_justify="left")
    table.add_column("metric")
    for c in ("n", "mean", "p5", "p50", "p95", "95% CI of mean"):
        table.add_column(c, justify="right")
    for row in summary.itertuples(index=False):
        f = partial(format_metric, row.metric)
        table.add_row(row.metric, str(row.n), f(row.mean), f(row.p5), f(row.p50), f(row.p95),
                      f"[{f(row.ci_low)}, {f(row.ci_high)}]")
    return table


def _caption(result: pd.DataFrame) -> str | None:
    """A comparison's caption: what its money rows are, and how significance is judged."""
    lines = [amounts_note(result["metric"]), false_discovery_note(result)]
    return "\n".join(line for line in lines if line) or None


def comparison_table(result: pd.DataFrame, pairing: Pairing, title: str) -> Table:
    """A comparison of two runs: A, B, B - A, its interval (paired or not, in the column
    name) and significance, with n of each run."""
    n_a, n_b = int(result["n_a"].iloc[0]), int(result["n_b"].iloc[0])
    pairs = int(result["paths"].iloc[0])
    counts = (f"{pairs} paired paths" if pairing.paired
              else f"n = {paths_text(n_a)} in A, {n_b} in B")
    table = WholeTable(title=f"{title}  ({counts})\n{pairing.headline()}",
                       caption=_caption(result), caption_justify="left")
    for c in ("metric", "A", "B", "B - A", pairing.interval_name, "significant"):
        table.add_column(c, justify="left" if c == "metric" else "right")
    n = min(n_a, n_b)
    for r in result.itertuples(index=False):
        f = partial(format_metric, r.metric)
        table.add_row(r.metric, f(r.mean_a), f(r.mean_b), f(r.difference, True),
                      f"[{f(r.ci_low, True)}, {f(r.ci_high, True)}]",
                      significance_text(r.significant, r.significant_alone, r.p_value, n))
    return table


def run_set_table(table: pd.DataFrame, ref: str, pairings: dict[str, Pairing],
                  n: int, seed: int, overrides: str = "") -> Table:
    """Every policy of a set against the reference: one row per (policy, metric).

    ``overrides``: what ``--set`` and ``--deal`` changed in the runs
    (:func:`sim.runinfo.set_overrides_text`), put in the title so that two sets of the
    same configs with different changes do not print the same title ("": left out).
    """
    all_paired = all(p.paired for p in pairings.values())
    kind = "paired paths" if all_paired else "paths, NOT all paired (see the interval column)"
    changed = f"; {overrides}" if overrides else ""
    out = WholeTable(title=f"policies vs {ref} (n = {n} {kind}, seed {seed}{changed})",
                     caption=_caption(table), caption_justify="left")
    for c in ("policy", "metric", ref, "policy value", "difference", "95% CI", "interval",
              "significant"):
        out.add_column(c, justify="left" if c in ("policy", "metric") else "right")
    for r in table.itertuples(index=False):
        f = partial(format_metric, r.metric)
        out.add_row(r.policy, r.metric, f(r.mean_a), f(r.mean_b), f(r.difference, True),
                    f"[{f(r.ci_low, True)}, {f(r.ci_high, True)}]",
                    "paired" if r.interval == "paired" else "UNPAIRED (Welch)",
                    significance_text(r.significant, r.significant_alone, r.p_value,
                                      min(int(r.n_a), int(r.n_b))))
    return out


def interaction_table(result: pd.DataFrame, design: Design) -> Table:
    """A difference in differences of four runs (:func:`sim.interaction.interaction_runs`):
    each scenario's policy effect B - A, then the effect in scenario 2 minus that in
    scenario 1 with its paired interval and significance; the title names the runs and
    the caption says what the number means, what the policy and the scenario change, and
    any warning on the design (so that a saved table keeps them)."""
    n = int(result["paths"].iloc[0])
    a1, b1, a2, b2 = design.run_ids
    title = (f"difference in differences: the policy effect in scenario 2 minus that in "
             f"scenario 1  ({n} paired paths)\nscenario 1: A1 = {a1}, B1 = {b1}\n"
             f"scenario 2: A2 = {a2}, B2 = {b2}\n{design.headline()}")
    changes = (f"the policy change (A1 to B1): {shorten_keys(design.policy) or 'none'}; the "
               f"scenario change (A1 to A2): {shorten_keys(design.scenario) or 'none'}")
    lines = [MEANING, amounts_note(result["metric"]), false_discovery_note(result), changes,
             *(f"warning: {text}" for text in design.notes)]
    table = WholeTable(title=title, caption="\n".join(line for line in lines if line),
                       caption_justify="left")
    for c in ("metric", "B1 - A1", "B2 - A2", "(B2 - A2) - (B1 - A1)", "95% CI (paired)",
              "significant"):
        table.add_column(c, justify="left" if c == "metric" else "right")
    for r in result.itertuples(index=False):
        f = partial(format_metric, r.metric)
        table.add_row(r.metric, f(r.effect_1, True), f(r.effect_2, True),
                      f(r.interaction, True), f"[{f(r.ci_low, True)}, {f(r.ci_high, True)}]",
                      significance_text(r.significant, r.significant_alone, r.p_value, n))
    return table
