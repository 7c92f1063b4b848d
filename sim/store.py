"""The run store: one folder per run under ``runs/``; complete when, and only when, it
holds ``manifest.json``.

A run folder holds ``manifest.json`` (config, seed, paths, package version, timings)
and Parquet tables (``portfolio``, ``paths``, ``vintages`` and, when borrowers were
traced, ``trace``). :func:`write_run` writes a finished run into a hidden temporary
folder beside its final place and renames it when complete. A run simulated into the
store (:class:`PartialRun`) claims its folder first, with ``progress.json`` (config,
seed, paths) and a ``chunks/`` file per completed chunk of paths; when every path is
done its tables are written, then the manifest, last, each file atomically (temporary
file, fsync, rename). A killed run therefore leaves a folder without a manifest that
readers refuse (:class:`IncompleteRun`) and ``creditsim run --resume`` continues.

The manifest records a SHA-256 of each table's file as written. Each table read back is
checked against it (runs stored before it have none) and against the store's contract
(:mod:`sim.tables`) and the manifest: the columns every run has, rows, and the run's paths.
A folder whose files were changed after the run (a table copied over another, emptied,
taken from another run, even one of the same shape) is refused as :class:`DamagedRun`,
naming the table and the fault, never read into a report; :func:`check_run` checks the
tables a reader does not load (a comparison reads ``paths`` alone).

The store's parts live in their own modules, each name importable from here:
:mod:`sim.runfolder` (a run folder's files, :class:`Run`, :func:`write_run`),
:mod:`sim.runread` (reading a run back, checked), :mod:`sim.partialrun` (a run simulated
into the store, resumable) and :mod:`sim.runerrors` (the errors). This module lists the
runs of a store (:func:`scan_runs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.manifest import MAX_RUN_ID, package_version
from sim.partialrun import PartialRun
from sim.partialrun import incomplete_reason as incomplete_reason
from sim.runerrors import (
    DASK_MEMORY_HINT,
    CorruptRun,
    DamagedRun,
    DaskWorkerLost,
    IncompleteRun,
    RunInterrupted,
    RunLost,
    RunNotFound,
    SchedulerLost,
    WorkerLost,
)
from sim.runfolder import _HOST as _HOST
from sim.runfolder import CHUNKS as CHUNKS
from sim.runfolder import (
    MANIFEST,
    PROGRESS,
    Run,
    atomic_write,
    new_run_id,
    remove_stale_temporaries,
    write_run,
)
from sim.runfolder import STALE_AFTER_S as STALE_AFTER_S
from sim.runread import check_run, check_table, load_run, read_manifest, read_table, resolve_run

__all__ = ["DASK_MEMORY_HINT", "MANIFEST", "PROGRESS", "CorruptRun", "DamagedRun",
           "DaskWorkerLost", "IncompleteRun", "PartialRun", "Run", "RunInterrupted", "RunLost",
           "RunNotFound", "SchedulerLost", "SkippedFolder", "WorkerLost",
           "atomic_write", "check_run", "check_table", "list_runs", "load_run", "new_run_id",
           "package_version", "read_manifest", "read_table", "remove_stale_temporaries",
           "resolve_run", "scan_runs", "write_run"]


@dataclass(frozen=True)
class SkippedFolder:
    """A folder of the store that is not a readable run, and why (one line, bounded)."""

    folder: str
    reason: str

    def __str__(self) -> str:
        return f"{self.folder}: {self.reason}"


def _check_folder(folder: Path) -> dict:
    manifest = read_manifest(folder).model_dump(mode="json")
    missing = [t for t in manifest["tables"] if not (folder / f"{t}.parquet").is_file()]
    if missing:
        raise CorruptRun(f"table {missing[0]!r} is missing")
    return dict(manifest, folder=folder.name)


def scan_runs(root: str | Path = "runs") -> tuple[list[dict], list[SkippedFolder]]:
    """Complete runs under ``root`` (newest first) and the folders skipped, with reasons.

    A run is complete when its folder holds a manifest that fits the schema and every
    table it names. A run that was stopped before it finished (``progress.json`` and
    no manifest) is skipped with the reason and how to continue it. Folders without a
    manifest that are not runs (hidden folders, files) are ignored silently; a folder
    with a corrupt manifest or a missing table is skipped and named, so that one bad
    folder never hides the others. Stale temporary folders
    of killed writes are removed. Each manifest gets a ``folder`` key: the folder's name
    under ``root`` (what ``load_run`` takes as an id).
    """
    root = Path(root)
    if not root.is_dir():
        return [], []
    remove_stale_temporaries(root)
    good, skipped = [], []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith("."):
            continue
        if not (folder / MANIFEST).is_file():
            if (folder / PROGRESS).is_file():
                skipped.append(SkippedFolder(folder.name[:MAX_RUN_ID],
                                             incomplete_reason(folder, named=False)))
            continue
        try:
            good.append(_check_folder(folder))
        except RunNotFound as exc:
            reason = str(exc).removeprefix(f"{folder / MANIFEST}: ")
            skipped.append(SkippedFolder(folder.name[:MAX_RUN_ID], reason))
    return sorted(good, key=lambda m: m["created"], reverse=True), skipped


def list_runs(root: str | Path = "runs") -> list[dict]:
    """Manifests of every complete run under ``root``, newest first (see :func:`scan_runs`)."""
    return scan_runs(root)[0]
