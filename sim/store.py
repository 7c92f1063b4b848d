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
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout
from pydantic import ValidationError

from sim.manifest import MAX_RUN_ID, RUN_ID_PATTERN, Manifest, describe_error, package_version
from sim.pool import WorkerDied
from sim.wording import numbers_text

if TYPE_CHECKING:  # pandas loads when tables are read, not in every path worker
    import pandas as pd

__all__ = ["DASK_MEMORY_HINT", "MANIFEST", "PROGRESS", "CorruptRun", "DamagedRun",
           "DaskWorkerLost", "IncompleteRun", "PartialRun", "Run", "RunInterrupted", "RunLost",
           "RunNotFound", "SchedulerLost", "SkippedFolder", "WorkerLost",
           "atomic_write", "check_run", "check_table", "list_runs", "load_run", "new_run_id",
           "package_version", "read_manifest", "read_table", "remove_stale_temporaries",
           "resolve_run", "scan_runs", "write_run"]

MANIFEST = "manifest.json"
PROGRESS = "progress.json"
"""Written when a run claims its folder: what is being run (config, seed, paths)."""
CHUNKS = "chunks"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
STALE_AFTER_S = 6 * 3600
"""A temporary folder whose writer cannot be checked (another machine) is stale after this."""
MAX_MANIFEST_BYTES = 5_000_000
"""Largest manifest read (bytes): a config and a few hundred overrides fit many times over."""
NAME_IN_ID = 120
_ID_OK = re.compile(RUN_ID_PATTERN)
_TMP_OWNER = re.compile(r"-(\d+)@([A-Za-z0-9.-]*)~\w*$")
_HOST = re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname())[:60]


class RunNotFound(FileNotFoundError):
    """A run folder that does not exist or is not a complete run."""


class CorruptRun(RunNotFound):
    """A run folder whose manifest is unreadable or does not fit :class:`sim.manifest.Manifest`."""


class DamagedRun(CorruptRun, ValueError):
    """A run folder with a table that is not the file the run wrote (its SHA-256 is not the
    manifest's), cannot be read, or does not fit the store's contract (:mod:`sim.tables`)
    and the manifest: it lacks a column every run has, has no rows, or holds other paths
    than the run's. A ``ValueError`` too, as any bad input is."""


class IncompleteRun(RunNotFound):
    """A run folder whose run was stopped before it finished (no manifest yet)."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run simulated into the store; ``folder`` keeps the paths done."""

    def __init__(self, folder: Path, done: int, total: int):
        super().__init__(f"interrupted with {done} of {total} paths stored in {folder}")
        self.folder, self.done, self.total = folder, done, total


DASK_MEMORY_HINT = "give the cluster's workers more memory each, or fewer threads"
"""What :class:`DaskWorkerLost` suggests against a worker killed for its memory (by the
system's out-of-memory killer or its Dask nanny's memory limit)."""


def _kept(folder: object, done: int, total: int, elsewhere: str = "") -> str:
    """The end of a lost run's message: no run was written, and, once known, which folder
    keeps the ``done`` paths of ``total`` and the command that continues them
    (``elsewhere``: what else it may take, after the command)."""
    outcome = "; no run was written"
    if folder is not None and done:
        outcome += (f" ({done} of {total} paths are kept in {folder}: continue with "
                    f"'creditsim run --resume {folder}'{elsewhere})")
    return outcome


class RunLost(RuntimeError):
    """What ran a run's paths was lost before they were done: a local worker process
    (:class:`WorkerLost`), a Dask worker (:class:`DaskWorkerLost`) or the Dask scheduler
    (:class:`SchedulerLost`). The run stops; the paths already stored stay in its folder,
    to continue with ``creditsim run --resume``. The message is one line: what was lost,
    what to do, and what the run kept.

    Attributes:
        folder, done, total: the run's folder and the paths stored in it of ``total``,
            once the run that stored them knows them (:meth:`kept_in`); None before.
    """

    folder: object = None
    done: int = 0
    total: int = 0

    def kept_in(self, folder: object, done: int, total: int) -> RunLost:
        """The same loss, saying where the ``done`` paths of ``total`` are kept."""
        raise NotImplementedError


class WorkerLost(WorkerDied, RunLost):
    """A local worker process ended before its paths were done: killed (``kill``, the
    system's out-of-memory killer), or stopped by a Ctrl-C that its run ignores (a run
    started in the background by a script). See :class:`RunLost`.

    Attributes:
        endings: how each worker that had ended did (``"signal SIGKILL"``, ``"exit code
            1"``), in the order the pool started them.
    """

    def __init__(self, endings: list[str], folder: object = None, done: int = 0,
                 total: int = 0):
        self.folder, self.done, self.total = folder, done, total
        super().__init__(endings, "its paths were done", outcome=_kept(folder, done, total))

    def kept_in(self, folder: object, done: int, total: int) -> WorkerLost:
        return WorkerLost(self.endings, folder, done, total)


class SchedulerLost(RunLost):
    """The Dask scheduler a run's paths were sent to stopped answering (killed, its machine
    or the network down) and the client could not reconnect in time, or it cancelled the
    run's chunks itself (a restart). See :class:`RunLost`; the paths kept may be continued
    on a cluster again or locally.

    Attributes:
        address: the scheduler's address.
        why: what it did, after its address (``"stopped answering"``).
        detail: said in brackets after it (``"the client could not reconnect ..."``).
    """

    def __init__(self, address: str, why: str = "stopped answering", detail: str = "",
                 folder: object = None, done: int = 0, total: int = 0):
        self.address, self.why, self.detail = address, why, detail
        self.folder, self.done, self.total = folder, done, total
        super().__init__(f"the Dask scheduler at {address} {why} before the paths were done"
                         + (f" ({detail})" if detail else "")
                         + _kept(folder, done, total, f", with --scheduler {address} once "
                                 "the scheduler is back, or without it to run them locally"))

    def kept_in(self, folder: object, done: int, total: int) -> SchedulerLost:
        return SchedulerLost(self.address, self.why, self.detail, folder, done, total)


class DaskWorkerLost(RunLost):
    """The Dask workers that ran a chunk of paths died while running it, as many times as
    Dask allows (``distributed.scheduler.allowed-failures`` retries: Dask's
    ``KilledWorker``), most often killed for their memory. See :class:`RunLost`.

    Attributes:
        address: the scheduler's address.
        paths: the chunk's paths (None: not known).
        tries: how many workers died running it.
        last: the address of the last of them (None: not known).
    """

    def __init__(self, address: str, paths: list[int] | None, tries: int,
                 last: str | None = None, folder: object = None, done: int = 0,
                 total: int = 0):
        self.address, self.paths, self.tries, self.last = address, paths, tries, last
        self.folder, self.done, self.total = folder, done, total
        what = (f"path{'' if len(paths) == 1 else 's'} {numbers_text(paths)}" if paths
                else "the run's paths")
        died = f"a Dask worker died running {what}" + (f", on each of {tries} tries"
                                                       if tries > 1 else "")
        at = f"{'the last ' if tries > 1 else ''}at {last}; " if last else ""
        super().__init__(f"{died} ({at}a worker killed for its memory is the usual cause: "
                         f"{DASK_MEMORY_HINT})"
                         + _kept(folder, done, total, f", on the cluster again with "
                                 f"--scheduler {address} or locally without it"))

    def kept_in(self, folder: object, done: int, total: int) -> DaskWorkerLost:
        return DaskWorkerLost(self.address, self.paths, self.tries, self.last, folder, done,
                              total)


@dataclass(frozen=True)
class SkippedFolder:
    """A folder of the store that is not a readable run, and why (one line, bounded)."""

    folder: str
    reason: str

    def __str__(self) -> str:
        return f"{self.folder}: {self.reason}"


@dataclass
class Run:
    """A finished run: its manifest and its tables as DataFrames."""

    manifest: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    path: Path | None = None

    @property
    def portfolio(self) -> pd.DataFrame:
        """One row per (path, month): balances, flows, buckets, macro."""
        return self.tables["portfolio"]

    @property
    def paths(self) -> pd.DataFrame:
        """One row per path: loss rates and totals."""
        return self.tables["paths"]

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]


def new_run_id(name: str, seed: int, root: Path) -> str:
    """A readable id: ``<UTC time>-<config name>-s<seed>``, not yet taken under ``root``.

    The name is cut to :data:`NAME_IN_ID` characters so that the id fits a folder name.

    Two processes may still compute the same id in the same second; :func:`write_run`
    with ``unique=True`` settles that when it claims the folder.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name)[:NAME_IN_ID].strip("-") or "run"
    base = f"{stamp}-{safe}-s{seed}"
    run_id, k = base, 1
    while (root / run_id).exists():
        k += 1
        run_id = f"{base}-{k}"
    return run_id


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _is_stale(folder: Path, now: float) -> bool:
    try:
        age = now - folder.stat().st_mtime
    except OSError:
        return False
    match = _TMP_OWNER.search(folder.name)
    if match and match.group(2) == _HOST:
        pid = int(match.group(1))
        if pid != os.getpid() and not _pid_alive(pid):
            return True
    return age > STALE_AFTER_S


def remove_stale_temporaries(root: str | Path) -> list[str]:
    """Delete the ``.tmp-<id>-<pid>@<host>~<random>`` folders of writes that never finished.

    A temporary folder is stale when the process that wrote it (the pid in its name, on
    this host) is no longer running, or when it is older than :data:`STALE_AFTER_S` (a
    writer on another machine sharing the store cannot be checked). Returns the names
    removed.
    """
    root = Path(root)
    removed: list[str] = []
    now = time.time()
    try:
        candidates = [p for p in root.iterdir() if p.name.startswith(TMP_PREFIX)]
    except OSError:
        return removed
    for folder in candidates:
        if folder.is_dir() and not folder.is_symlink() and _is_stale(folder, now):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder.name)
    return removed


def _write_manifest(folder: Path, manifest: dict) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))


def _claim(tmp: Path, root: Path, manifest: dict, unique: bool) -> Path:
    """Rename ``tmp`` to its run folder; with ``unique``, take the next free id on a clash."""
    base, k = manifest["run_id"], 1
    while True:
        final = root / manifest["run_id"]
        if not final.exists():
            try:
                os.rename(tmp, final)
                return final
            except OSError as exc:  # another writer took the name between check and rename
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
        if not unique:
            raise FileExistsError(f"run folder {final} already exists")
        k += 1
        manifest["run_id"] = f"{base}-{k}"
        _write_manifest(tmp, manifest)


def write_run(run: Run, root: str | Path, *, unique: bool = False) -> Path:
    """Write ``run`` under ``root/<run_id>/`` atomically and return the folder.

    Tables and manifest go to a hidden ``.tmp-<id>-<pid>@<host>~<random>`` folder that is
    renamed when complete; stale temporary folders of earlier, killed writes are removed
    first.

    Args:
        run: the run; its manifest must fit :class:`sim.manifest.Manifest`.
        root: the store folder (created if missing).
        unique: when the id is taken (another run finished in the same second with the
            same name and seed), store under ``<id>-2``, ``<id>-3``... and update
            ``run.manifest['run_id']``; otherwise raise.

    Raises:
        FileExistsError: the run folder exists and ``unique`` is False.
        ValueError: the manifest does not fit the schema (the message names the keys).
    """
    root = Path(root)
    manifest = dict(run.manifest, tables=sorted(run.tables), table_sha256=None)
    try:
        Manifest.model_validate(manifest)
    except ValidationError as exc:
        raise ValueError(f"not a valid run manifest: {describe_error(exc)}") from None
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(root)
    if not unique and (root / run.run_id).exists():
        raise FileExistsError(f"run folder {root / run.run_id} already exists")
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{run.run_id}-{os.getpid()}@{_HOST}~",
                                dir=root))
    try:  # a file at a time: the folder is renamed into place when complete
        manifest["table_sha256"] = _write_tables(tmp, run.tables, Path.write_bytes)
        _write_manifest(tmp, manifest)
        final = _claim(tmp, root, manifest, unique)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    run.manifest.update(run_id=manifest["run_id"], table_sha256=manifest["table_sha256"])
    run.path = final
    return final


def _write_tables(folder: Path, tables: dict[str, pd.DataFrame],
                  write: Callable[[Path, bytes], object]) -> dict[str, str]:
    """Write each table to ``folder/<name>.parquet`` with ``write`` (path, bytes) and return
    the SHA-256 of each file's bytes (hex), by table name, as the manifest records them."""
    digests = {}
    for name, df in tables.items():
        buffer = io.BytesIO()
        df.to_parquet(buffer, index=False)
        write(folder / f"{name}.parquet", buffer.getvalue())
        digests[name] = hashlib.sha256(buffer.getvalue()).hexdigest()
    return dict(sorted(digests.items()))


def read_manifest(folder: str | Path) -> Manifest:
    """The validated manifest of a run folder.

    Raises:
        RunNotFound: the folder has no manifest.
        CorruptRun: the manifest is unreadable, not JSON, too large, or does not fit the
            schema; the message names the file and the first problems.
    """
    file = Path(folder) / MANIFEST
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise RunNotFound(f"{folder}: not a run folder (no {MANIFEST})") from None
    except OSError as exc:
        raise CorruptRun(f"{file}: cannot be read: {exc.strerror or exc}") from None
    if size > MAX_MANIFEST_BYTES:
        raise CorruptRun(f"{file}: {size:,} bytes is larger than a manifest can be "
                         f"({MAX_MANIFEST_BYTES:,})")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CorruptRun(f"{file}: not a readable JSON manifest: "
                         f"{describe_error(exc, 160)}") from None
    if not isinstance(data, dict):
        raise CorruptRun(f"{file}: a manifest must be a JSON object, got {type(data).__name__}")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise CorruptRun(f"{file}: not a valid run manifest: {describe_error(exc)}") from None


def resolve_run(run: str | Path, root: str | Path = "runs") -> Path:
    """The folder of a run given as a folder path or as a run id under ``root``.

    Raises:
        IncompleteRun: the folder holds a run that was stopped (or is still running)
            before it finished; the message says how to continue it.
        RunNotFound: no run folder by that name, or an empty name (which would name the
            current folder).
    """
    if not str(run).strip():
        ids = (f"or a run id (list them with 'ls {root}')" if Path(root).is_dir()
               else "or a run id under --runs, the folder the runs were written to")
        raise RunNotFound(f"an empty run name was given ({str(run)!r}); give a run folder "
                          f"(e.g. runs/<run_id>) {ids}")
    candidate = Path(run)
    if not (candidate / MANIFEST).is_file() and not (candidate / PROGRESS).is_file():
        name = str(run)
        if _ID_OK.match(name):
            candidate = Path(root) / name
    if not (candidate / MANIFEST).is_file():
        if (candidate / PROGRESS).is_file():
            raise IncompleteRun(incomplete_reason(candidate))
        if Path(run).is_dir():  # a folder that is there, but holds no run
            ids = f", or a run id (list them with 'ls {root}')" if Path(root).is_dir() else ""
            raise RunNotFound(f"{run}: this folder holds no run (no {MANIFEST} in it); give "
                              f"the folder of a run that 'creditsim run' wrote (e.g. "
                              f"runs/<run_id>){ids}")
        if not Path(root).is_dir():  # 'ls' of it would only fail too
            where = "is a file, not a folder" if Path(root).exists() else "does not exist"
            raise RunNotFound(f"{run}: not a run folder, and the run store {root} {where}; "
                              "give a run folder, or --runs the folder the runs were written "
                              "to (default: runs)")
        raise RunNotFound(
            f"{run}: not a run folder (expected {MANIFEST} in it); list runs with 'ls {root}'"
        )
    return candidate


def load_run(run: str | Path, root: str | Path = "runs",
             tables: tuple[str, ...] | None = None) -> Run:
    """Read a run back from the store (all tables unless ``tables`` names some), each
    table checked by :func:`read_table`.

    Raises:
        RunNotFound: not a run folder, or a table is missing.
        CorruptRun: the manifest is unreadable or does not fit the schema.
        DamagedRun: a table read was changed after the run was written, cannot be read or
            does not fit the run (see :func:`read_table`).
    """
    folder = resolve_run(run, root)
    manifest = read_manifest(folder).model_dump(mode="json")
    names = tables if tables is not None else tuple(manifest["tables"])
    loaded = {name: read_table(folder, name, manifest) for name in names}
    return Run(manifest, loaded, folder)


def read_table(folder: Path, name: str, manifest: dict) -> pd.DataFrame:
    """Table ``name`` of the run in ``folder``, whose manifest is ``manifest``, checked.

    The file is read once. When the manifest records its SHA-256 (``table_sha256``; runs
    stored before it have none), the bytes must have it: a table changed or replaced
    after the run was written (emptied, taken from another run of the same shape) is
    refused before it is parsed. A table :mod:`sim.tables` declares must then have the
    columns every stored run has (:attr:`sim.tables.Table.required`; other columns may be
    missing, from a run older than them, or added, by a newer one), rows, and in its
    ``path`` column the run's paths, 0 to ``paths - 1`` (all of them in a table with rows
    for every path). The columns are those of the file; the paths are read from the
    frame loaded, once.

    Raises:
        RunNotFound: the folder has no such table.
        DamagedRun: the file is not the one the run wrote, cannot be read as a table, or
            does not fit (the message names the folder, the table and the fault, and what
            to do).
    """
    import pandas as pd
    import pyarrow as pa

    data = _table_bytes(folder, name, manifest)
    try:
        frame = pd.read_parquet(pa.BufferReader(data))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise _damaged(folder, f"table {name!r} cannot be read ({describe_error(exc, 160)})"
                       ) from None
    held = pd.unique(frame["path"]) if "path" in frame.columns else ()
    _check_contract(folder, name, frame.columns, len(frame), held, int(manifest["paths"]))
    return frame


def check_table(folder: Path, name: str, manifest: dict) -> None:
    """Check table ``name`` of the run in ``folder`` as :func:`read_table` does, without
    loading it: its digest, and its columns, rows and paths from the file's metadata and
    its ``path`` column alone.

    Raises:
        As :func:`read_table`.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    data = _table_bytes(folder, name, manifest)
    try:
        file = pq.ParquetFile(pa.BufferReader(data))
        columns = file.schema_arrow.names
        held = (pc.unique(file.read(columns=["path"]).column(0)).to_pylist()
                if "path" in columns else [])
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise _damaged(folder, f"table {name!r} cannot be read ({describe_error(exc, 160)})"
                       ) from None
    _check_contract(folder, name, columns, file.metadata.num_rows, held,
                    int(manifest["paths"]))


def check_run(run: Run, skip: Iterable[str] = ()) -> None:
    """Check every table ``run``'s manifest names that ``run`` has not loaded (each loaded
    one was checked as it was read) and ``skip`` does not name (read and checked apart), so
    that a reader of some tables refuses a run damaged in another (:func:`check_table`). A
    run in memory only (no folder) has nothing to check.

    Raises:
        RunNotFound: a table is missing.
        DamagedRun: a table was changed after the run was written, cannot be read or does
            not fit the run.
    """
    if run.path is None:
        return
    done = set(run.tables) | set(skip)
    for name in run.manifest["tables"]:
        if name not in done:
            check_table(run.path, name, run.manifest)


def _table_bytes(folder: Path, name: str, manifest: dict) -> bytes:
    """The bytes of table ``name``'s file, whose SHA-256 is the one ``manifest`` records
    (when it records one)."""
    file = folder / f"{name}.parquet"
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or not file.is_file():
        raise RunNotFound(f"{folder}: table {name!r} is missing")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _damaged(folder, f"table {name!r} cannot be read ({describe_error(exc, 160)})"
                       ) from None
    digests = manifest.get("table_sha256")
    if digests is None:  # a run stored before the digests were recorded
        return data
    if name not in digests:
        raise _damaged(folder, f"table {name!r} is not one the run wrote (its manifest "
                               "records no digest of it)")
    if hashlib.sha256(data).hexdigest() != digests[name]:
        raise _damaged(folder, f"table {name!r} was changed or replaced after the run was "
                               "written: its file's SHA-256 is not the one the manifest "
                               "recorded", restore=f"{name}.parquet")
    return data


def _check_contract(folder: Path, name: str, columns: Iterable[str], rows: int,
                    held: Iterable[object], paths: int) -> None:
    from sim.tables import TABLES

    contract = TABLES.get(name)
    problem = contract.problem(columns, rows, held, paths) if contract is not None else None
    if problem:
        raise _damaged(folder, problem)


def _damaged(folder: Path, problem: str, restore: str = "") -> DamagedRun:
    """The error of a damaged run: the folder, the ``problem`` and what to do (``restore``:
    a file to restore from a copy of the run first, when one is known to be changed)."""
    again = f"rerun it with 'creditsim run --from-manifest {folder}'"
    advice = f"restore {restore} from a copy of the run, or {again}" if restore else again
    return DamagedRun(f"{folder}: {problem} (the run is damaged; {advice})")


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


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one.

    The bytes go to a temporary file in the same folder, are flushed to disk
    (``fsync``), and the file is renamed over ``path`` (``os.replace`` is atomic on
    POSIX and Windows); the folder is then synced so that the rename survives a crash.
    """
    # mode 0o666 less the umask, as for any new file (mkstemp would make it private)
    tmp = path.parent / f"{TMP_PREFIX}{path.name}-{os.getpid()}-{os.urandom(4).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # a platform that cannot open folders (Windows): rename is enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_CHUNK = re.compile(r"^chunk-(\d+)-n(\d+)\.pkl$")
_NUMPY_NAMES = frozenset({"_reconstruct", "scalar", "ndarray", "dtype", "_frombuffer",
                          "frombuffer"})


class _ChunkUnpickler(pickle.Unpickler):
    """Unpickles path results only: numpy arrays and scalars, and creditsim dataclasses.

    A chunk file in a run folder given to ``--resume`` could have been replaced by
    anyone who can write there; refusing every other global keeps a crafted file from
    running code (the pattern of the ``pickle`` documentation, "Restricting Globals").
    """

    def find_class(self, module: str, name: str) -> Any:
        if module.split(".")[0] == "numpy" and name in _NUMPY_NAMES:
            return super().find_class(module, name)
        if module.startswith("sim.") and "." not in name:
            obj = super().find_class(module, name)
            if isinstance(obj, type) and dataclasses.is_dataclass(obj):
                return obj
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a chunk file")


def incomplete_reason(folder: Path, named: bool = True) -> str:
    """Why ``folder`` is not a complete run, and how to continue it (one line)."""
    total: object = "?"
    try:
        total = json.loads((folder / PROGRESS).read_text(encoding="utf-8")).get("paths", "?")
    except (OSError, ValueError, AttributeError):
        pass
    done = sum(int(m.group(2)) for f in _chunk_files(folder) if (m := _CHUNK.match(f.name)))
    prefix = f"{folder}: " if named else ""
    if _lock_held(folder):
        return f"{prefix}a run still in progress ({done} of {total} paths stored)"
    return (f"{prefix}an incomplete run ({done} of {total} paths stored; it was stopped "
            f"before it finished): continue it with 'creditsim run --resume {folder}'")


def _chunk_files(folder: Path) -> list[Path]:
    try:
        return sorted((folder / CHUNKS).iterdir())
    except OSError:
        return []


def _lock_held(folder: Path) -> bool:
    if not (folder / LOCK).exists():
        return False
    lock = FileLock(str(folder / LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:
        return False
    lock.release()
    return False


@dataclass
class PartialRun:
    """A run being simulated into its folder: progress, completed chunks, then the tables.

    Use :meth:`create` for a new run and :meth:`open` to continue a stopped one; both
    hold the folder's lock (:mod:`filelock`) until :meth:`finish` or :meth:`release`,
    so two processes never write one run.

    Attributes:
        folder: the run folder (its name is the run id).
        progress: what is being run: ``config`` (JSON form), ``seed``, ``paths``,
            ``trace_ids``, ``origin`` (provenance for the manifest), ``run_id``.
    """

    folder: Path
    progress: dict
    _lock: FileLock | None = field(default=None, repr=False)

    @classmethod
    def create(cls, root: str | Path, run_id: str, progress: dict) -> PartialRun:
        """Claim ``root/run_id`` (or ``run_id-2``, ``-3``... when taken) for a new run.

        Raises:
            OSError: the store cannot be written.
        """
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(root)
        base, k = run_id, 1
        while True:
            try:
                (root / run_id).mkdir()
                break
            except FileExistsError:
                k += 1
                run_id = f"{base}-{k}"
        part = cls(root / run_id, dict(progress, run_id=run_id))
        part._acquire()
        (part.folder / CHUNKS).mkdir()
        atomic_write(part.folder / PROGRESS,
                     json.dumps(part.progress, indent=2, default=str).encode())
        return part

    @classmethod
    def open(cls, folder: str | Path) -> PartialRun:
        """The stopped run in ``folder``, locked for this process.

        Raises:
            ValueError: the run is complete already, or another process is running it.
            RunNotFound: ``folder`` is not a run folder that can be continued (or is an
                empty name).
            CorruptRun: its ``progress.json`` is unreadable.
        """
        if not str(folder).strip():
            raise RunNotFound(f"an empty run folder name was given ({str(folder)!r}); give the "
                              "folder of a stopped run (the one its message named, e.g. "
                              "runs/<run_id>)")
        folder = Path(folder)
        if (folder / MANIFEST).is_file():
            raise ValueError(f"{folder}: this run is complete; there is nothing to resume")
        if not folder.exists():
            raise RunNotFound(f"{folder}: no such folder; give the folder of a stopped run "
                              f"(the one its message named, e.g. runs/<run_id>)")
        if not folder.is_dir():
            raise RunNotFound(f"{folder}: is a file, not a run folder; give the folder of a "
                              f"stopped run (e.g. runs/<run_id>)")
        file = folder / PROGRESS
        if not file.is_file():
            raise RunNotFound(f"{folder}: not a run that can be resumed (no {PROGRESS}; "
                              "only runs written by 'creditsim run' can be)")
        try:
            progress = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CorruptRun(f"{file}: unreadable: {describe_error(exc, 160)}") from None
        if not isinstance(progress, dict) or not {"config", "seed", "paths"} <= progress.keys():
            raise CorruptRun(f"{file}: not a run's progress record (needs config, seed, paths)")
        part = cls(folder, progress)
        part._acquire()
        for where in (folder, folder / CHUNKS):  # files whose write the kill cut short
            for stale in where.glob(f"{TMP_PREFIX}*"):
                if stale.is_file():
                    stale.unlink(missing_ok=True)
        (folder / CHUNKS).mkdir(exist_ok=True)
        return part

    def _acquire(self) -> None:
        self._lock = FileLock(str(self.folder / LOCK))
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            self._lock = None
            raise ValueError(f"{self.folder}: another process is running this run now; "
                             "wait for it or stop it first") from None

    def release(self) -> None:
        """Let another process continue this run (the folder stays as it is)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def discard_if_empty(self) -> bool:
        """Delete the folder of a run that stored no path (a run that failed before its
        first chunk: resuming it would fail alike), so that it does not stay behind as a
        run to continue. Returns whether it was deleted; a folder holding chunks stays."""
        self.release()
        if any(_chunk_files(self.folder)):
            return False
        shutil.rmtree(self.folder, ignore_errors=True)
        return True

    def save(self, results: list) -> None:
        """Store one completed chunk (a list of :class:`sim.engine.PathResult`) atomically."""
        if not results:
            return
        first = min(r.path for r in results)
        atomic_write(self.folder / CHUNKS / f"chunk-{first:07d}-n{len(results)}.pkl",
                     pickle.dumps(list(results), protocol=pickle.HIGHEST_PROTOCOL))

    def load(self) -> dict[int, Any]:
        """Path results of every stored chunk, by path.

        Raises:
            CorruptRun: a chunk file cannot be read back (the message names it).
        """
        out: dict[int, Any] = {}
        for file in _chunk_files(self.folder):
            if not _CHUNK.match(file.name):
                continue
            try:
                results = _ChunkUnpickler(io.BytesIO(file.read_bytes())).load()
            except Exception as exc:  # noqa: BLE001 - any failure means the same to the user
                raise CorruptRun(f"{file}: not a readable chunk of path results "
                                 f"({describe_error(exc, 160)}); delete it and resume again "
                                 "to simulate its paths anew") from None
            for r in results:
                out[int(r.path)] = r
        return out

    def finish(self, run: Run) -> Path:
        """Write the run's tables, then its manifest (last), then drop the chunks.

        Every file is written atomically; until the manifest is in place the folder is
        an incomplete run to every reader.

        Raises:
            ValueError: the manifest does not fit the schema (the message names the keys).
        """
        manifest = dict(run.manifest, run_id=self.folder.name, tables=sorted(run.tables),
                        table_sha256=None)
        try:
            Manifest.model_validate(manifest)
        except ValidationError as exc:
            raise ValueError(f"not a valid run manifest: {describe_error(exc)}") from None
        manifest["table_sha256"] = _write_tables(self.folder, run.tables, atomic_write)
        atomic_write(self.folder / MANIFEST,
                     json.dumps(manifest, indent=2, default=str).encode())
        shutil.rmtree(self.folder / CHUNKS, ignore_errors=True)
        (self.folder / PROGRESS).unlink(missing_ok=True)
        self.release()
        (self.folder / LOCK).unlink(missing_ok=True)
        run.manifest.update(run_id=manifest["run_id"], table_sha256=manifest["table_sha256"])
        run.path = self.folder
        return self.folder
