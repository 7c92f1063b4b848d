"""The dashboard's view of the run store: which runs exist, and their aggregates.

Tables and columns are those of the store's contract, :mod:`sim.tables`; nothing else
is read. Runs are listed from the store folder (complete runs only: a readable manifest and
every table it names). A run id that comes from the browser is only ever looked up in
that listing, so no path outside the store is read. Loading a run reads its Parquet
tables once, aggregates them across paths (:mod:`dashboard.aggregate`) and keeps the
result in an LRU cache keyed by the run's folder and the size and modification time of
every file in it (:func:`files_stamp`), so that a table changed, replaced or damaged after
loading is read again, and refused, instead of served from the cache; the raw per-path
tables are never sent to the browser.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.aggregate import abs as abs_agg
from dashboard.aggregate import collections as coll_agg
from dashboard.aggregate import portfolio as port_agg
from dashboard.inputs import echo
from sim import tables as contract
from sim.abs.metrics import LOSS_MEASURES
from sim.compare import Pairing
from sim.interaction import Design
from sim.runinfo import RunSummary, summarise_run
from sim.store import RunNotFound, SkippedFolder, load_run, read_table, scan_runs
from sim.wording import paths_text

CACHE_SIZE = 16
MAX_SHOWN = 300
"""Longest name or description the pages show (characters); a manifest may hold more."""


@dataclass(frozen=True)
class RunInfo:
    """What the run picker shows about one stored run."""

    run_id: str
    name: str
    paths: int
    seed: int
    created: str
    description: str = ""
    tables: tuple[str, ...] = ()

    summary: RunSummary | None = None

    @property
    def label(self) -> str:
        """``name · book · horizon · deal · overrides · N paths · seed S · date``."""
        what = self.summary.label() if self.summary else self.name
        return f"{what} · {self.facts}"

    @property
    def headline(self) -> str:
        """``name · overrides``, or the name alone for a run as configured: with
        :attr:`facts`, what a picked run shows in its picker. The book, horizon and deal of
        the full label follow from the config's name and its overrides."""
        changed = self.summary.overrides_text() if self.summary else ""
        return " · ".join([self.name, changed] if changed and changed != "as configured"
                          else [self.name])

    @property
    def facts(self) -> str:
        """``N paths · seed S · date``, the end of the full label."""
        date = self.created.replace("T", " ")[:16]
        return f"{paths_text(self.paths)} · seed {self.seed} · {date}"

    @classmethod
    def from_manifest(cls, run_id: str, manifest: dict) -> RunInfo:
        """The listing entry of a manifest (keys read with ``.get``: any version)."""
        return cls(
            run_id=run_id, name=_short(str(manifest.get("name", run_id))),
            paths=int(manifest.get("paths", 0)), seed=int(manifest.get("seed", 0)),
            created=str(manifest.get("created", ""))[:40],
            description=_short(str(manifest.get("description", ""))),
            tables=tuple(manifest.get("tables", ())),
            summary=summarise_run(manifest),
        )


@dataclass
class CollectionsData:
    """Aggregates of a run's collection ladder."""

    channels: list[str]
    actions: pd.DataFrame
    cost: pd.DataFrame  # the parts of collection_cost by month (coll_agg.cost_parts)
    cures: pd.DataFrame
    net: pd.DataFrame


@dataclass
class AbsData:
    """Aggregates of a run's notes, and its one-period waterfall lookups."""

    notes: list[str]
    balance_fans: pd.DataFrame
    losses: dict[str, tuple[pd.DataFrame, pd.DataFrame]]
    """Histogram and exceedance curve of each note's loss across paths (:func:`~dashboard.
    aggregate.abs.loss_distribution`) by loss measure (:data:`sim.abs.metrics.LOSS_MEASURES`:
    ``principal``, ``pv``); both empty for a measure the run does not record."""
    summary: pd.DataFrame
    triggers: pd.DataFrame
    periods: int
    paths: int
    enhancement: pd.DataFrame
    """Fans of the credit enhancement by period (:func:`~dashboard.aggregate.abs.
    enhancement_fans`): excess spread, reserve and requirement, PDL, OC share."""
    reserve_below: tuple[int, int]
    """Paths whose reserve ended some period below its requirement, and the run's paths."""
    has_pdl: bool
    first_month: int | None
    """Horizon month (0-based) whose end is period 1's payment date; None if unknown."""
    _notes_table: pd.DataFrame = field(repr=False)
    _steps_table: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def loss_histogram(self) -> pd.DataFrame:
        """The principal loss's histogram (``losses["principal"]``)."""
        return self.losses["principal"][0]

    @property
    def loss_exceedance(self) -> pd.DataFrame:
        """The principal loss's exceedance curve (``losses["principal"]``)."""
        return self.losses["principal"][1]

    def waterfall(self, path: int, period: int) -> pd.DataFrame:
        """Sankey links of one path's waterfall in one period (step log or notes)."""
        if self._steps_table is not None:
            return abs_agg.waterfall_flows_from_steps(self._steps_table, path, period)
        return abs_agg.waterfall_flows_from_notes(self._notes_table, path, period)


@dataclass
class RunData:
    """Everything the pages draw for one run, aggregated across paths."""

    info: RunInfo
    manifest: dict
    fans: pd.DataFrame
    buckets: pd.DataFrame
    roll: pd.DataFrame
    roll_balance: pd.DataFrame | None
    vintages: pd.DataFrame | None
    paths: pd.DataFrame
    months: int
    collections: CollectionsData | None
    abs: AbsData | None
    load_seconds: float = 0.0


def _short(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def scan_store(root: str | Path) -> dict[str, RunInfo]:
    """Complete runs under ``root`` by run id (the folder name), newest first.

    Folders whose manifest does not fit the schema are skipped (see :func:`skipped_folders`).
    """
    found = [RunInfo.from_manifest(m["folder"], m) for m in scan_runs(root)[0]]
    return {r.run_id: r for r in found}


def skipped_folders(root: str | Path) -> list[SkippedFolder]:
    """Folders of ``root`` that look like runs but cannot be read, with the reason."""
    return scan_runs(root)[1]


def _read(folder: Path, name: str, manifest: dict) -> pd.DataFrame:
    """A table of the run in ``folder``, checked against the digest its manifest records,
    the store's contract and the manifest (:func:`sim.store.read_table`: a damaged run is
    refused, naming the table)."""
    return read_table(folder, name, manifest)


def _collections(portfolio: pd.DataFrame,
                 rolls: pd.DataFrame | None = None) -> CollectionsData | None:
    if not coll_agg.has_collections(portfolio):
        return None
    return CollectionsData(
        channels=coll_agg.channels(portfolio),
        actions=coll_agg.channel_monthly(portfolio, "actions_"),
        cost=coll_agg.cost_parts(portfolio),
        cures=coll_agg.cure_rates(rolls),
        net=coll_agg.net_recovery(portfolio),
    )


def abs_data(tables: dict[str, pd.DataFrame], deal: dict | None = None) -> AbsData | None:
    """ABS aggregates from a run's tables, or None when the run has no ``notes`` table.

    Reads the tables of :mod:`sim.tables` only: ``notes``, ``note_metrics``, ``waterfall``
    (the step log behind the Sankey) and ``pool`` (the pool balance behind the notes).
    ``deal`` is the deal's terms as the run's manifest records them (whether it keeps a
    PDL, its cut-off month); without them both are read from the tables where they can be.
    """
    notes = tables.get(contract.NOTES.name)
    if notes is None or notes.empty:
        return None
    summary = tables.get(contract.NOTE_METRICS.name)
    steps = tables.get(contract.WATERFALL.name)
    metrics = abs_agg.note_metrics_per_path(notes, summary, (deal or {}).get("retained"))
    per_period = abs_agg.credit_enhancement(notes, tables.get(contract.POOL.name))
    return AbsData(
        notes=abs_agg.note_names(notes),
        balance_fans=abs_agg.note_balance_fans(notes),
        losses={m: abs_agg.loss_distribution(metrics, measure=m) for m in LOSS_MEASURES},
        summary=abs_agg.tranche_table(metrics),
        triggers=abs_agg.trigger_timing(notes),
        periods=int(notes["period"].max()), paths=int(notes["path"].nunique()),
        enhancement=abs_agg.enhancement_fans(per_period),
        reserve_below=abs_agg.reserve_below_requirement(per_period),
        has_pdl=abs_agg.deal_has_pdl(deal, per_period),
        first_month=abs_agg.first_payment_month(deal),
        _notes_table=notes, _steps_table=steps,
    )


def aggregate_run(info: RunInfo, manifest: dict, tables: dict[str, pd.DataFrame]) -> RunData:
    """Aggregate a run's tables into what the pages draw."""
    portfolio = tables[contract.PORTFOLIO.name]
    rolls = tables.get(contract.ROLLS.name)
    roll, roll_balance = pd.DataFrame(), None
    if rolls is not None and not rolls.empty:
        roll = port_agg.roll_rate_matrix_from_rolls(rolls)
        if "balance" in rolls:
            roll_balance = port_agg.roll_rate_matrix_from_rolls(rolls, "balance")
    vintages = tables.get(contract.VINTAGES.name)
    return RunData(
        info=info, manifest=manifest,
        fans=port_agg.portfolio_fans(portfolio),
        buckets=port_agg.bucket_mix(portfolio),
        roll=roll, roll_balance=roll_balance,
        vintages=port_agg.vintage_curves(vintages) if vintages is not None else None,
        paths=tables[contract.PATHS.name],
        months=int(portfolio["month"].max()) + 1,
        collections=_collections(portfolio, rolls),
        abs=abs_data(tables, (manifest.get("config") or {}).get("deal")),
    )


def files_stamp(folder: str | Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size (bytes) and modification time (ns) of every file of the run ``folder``, in
    name order: part of the cache keys, so that a file changed after loading is read again
    (its digest then checked, :func:`sim.store.read_table`). A stat a file: microseconds."""
    return tuple((f.name, st.st_size, st.st_mtime_ns) for f in sorted(Path(folder).iterdir())
                 if f.is_file() and (st := f.stat()))


@functools.lru_cache(maxsize=CACHE_SIZE)
def _load(folder: str, run_id: str, stamp: tuple) -> RunData:
    """The aggregates of the run in ``folder``; ``stamp`` (:func:`files_stamp`) is part of
    the cache key only."""
    start = time.perf_counter()
    path = Path(folder)
    manifest = load_run(path, tables=()).manifest
    wanted = [t for t in manifest.get("tables", ())
              if t in contract.TABLES and t != contract.TRACE.name]
    tables = {t: _read(path, t, manifest) for t in wanted}
    data = aggregate_run(RunInfo.from_manifest(run_id, manifest), manifest, tables)
    data.load_seconds = time.perf_counter() - start
    return data


class RunStore:
    """The run store folder as the dashboard sees it.

    Args:
        root: The run-store folder (``runs`` by default in the CLI).
    """

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def runs(self) -> list[RunInfo]:
        """Complete runs, newest first."""
        return list(scan_store(self.root).values())

    def skipped(self) -> list[SkippedFolder]:
        """Folders that look like runs but cannot be read, and why."""
        return skipped_folders(self.root)

    def info(self, run_id: str) -> RunInfo:
        """The listing entry of ``run_id``.

        Raises:
            RunNotFound: when ``run_id`` is not a complete run of this store.
        """
        listing = scan_store(self.root)
        if not isinstance(run_id, str) or run_id not in listing:
            raise RunNotFound(f"{echo(run_id)} is not a run in {self.root}")
        return listing[run_id]

    def folder(self, run_id: str) -> Path:
        """The folder of a listed run (never a path built from unchecked input)."""
        self.info(run_id)
        return self.root / run_id

    def load(self, run_id: str) -> RunData:
        """Aggregates of a listed run, cached.

        Raises:
            RunNotFound: ``run_id`` is not a complete run of this store.
            DamagedRun: a table of the run does not fit it (:func:`sim.store.read_table`);
                the message names the table and the fault.
        """
        folder = self.folder(run_id)
        return _load(str(folder), run_id, files_stamp(folder))

    def manifest(self, run_id: str) -> dict:
        """The manifest of a listed run."""
        return self.load(run_id).manifest

    def compare(self, run_a: str, run_b: str) -> tuple[pd.DataFrame, Pairing]:
        """Comparison of two listed runs (B - A) and whether it is paired, cached.

        The same metric set, pairing rules and intervals as ``creditsim compare``
        (:func:`sim.compare.compare_runs`).
        """
        a, b = self.folder(run_a), self.folder(run_b)
        return _compare(str(a), str(b), (files_stamp(a), files_stamp(b)))

    def interaction(self, run_ids: tuple[str, ...]) -> Interaction:
        """Difference in differences of four listed runs (A1, B1, A2, B2), cached.

        The same runs, checks, metric set and intervals as ``creditsim compare A1 B1
        --against A2 B2`` (:func:`sim.interaction.interaction_runs`).

        Raises:
            RunNotFound: a run id is not a complete run of this store.
            ValueError: the four runs do not share their random numbers path by path;
                the message is the command's (:func:`sim.interaction.check_design`).
        """
        folders = tuple(self.folder(r) for r in run_ids)
        return _interaction(tuple(str(f) for f in folders),
                            tuple(files_stamp(f) for f in folders))


@functools.lru_cache(maxsize=CACHE_SIZE)
def _compare(folder_a: str, folder_b: str,
             stamps: tuple) -> tuple[pd.DataFrame, Pairing]:
    """:meth:`RunStore.compare` of two folders; ``stamps`` is part of the cache key only."""
    from sim.compare import compare_runs
    from sim.report import comparison_paths

    a, b = (comparison_paths(Path(folder)) for folder in (folder_a, folder_b))
    return compare_runs(a.manifest, a.paths, b.manifest, b.paths)


@dataclass(frozen=True)
class Interaction:
    """A difference in differences of four stored runs, as the Compare page shows it.

    Attributes:
        result: :func:`sim.interaction.interaction_runs`' table, one row per metric.
        design: What the runs change (the policy, the scenario) and notes on it.
        manifests: The four runs' manifests (A1, B1, A2, B2), as the command reads them.
    """

    result: pd.DataFrame
    design: Design
    manifests: tuple[dict, ...]


@functools.lru_cache(maxsize=CACHE_SIZE)
def _interaction(folders: tuple[str, ...], stamps: tuple) -> Interaction:
    """:meth:`RunStore.interaction` of four folders; ``stamps`` is part of the cache key
    only."""
    from sim.interaction import interaction_runs
    from sim.report import comparison_paths

    runs = [comparison_paths(Path(folder)) for folder in folders]
    manifests = tuple(r.manifest for r in runs)
    result, design = interaction_runs(manifests, [r[contract.PATHS.name] for r in runs])
    return Interaction(result, design, manifests)


def clear_cache() -> None:
    """Forget every cached aggregate (tests, or after deleting runs)."""
    _load.cache_clear()
    _compare.cache_clear()
    _interaction.cache_clear()
