"""The run store: one folder per run under ``runs/``, written whole or not at all.

A run folder holds ``manifest.json`` (config, seed, paths, package version, timings)
and Parquet tables (``portfolio``, ``paths``, ``vintages`` and, when borrowers were
traced, ``trace``). It is written into a hidden temporary folder beside its final
place and renamed when complete, so a crash never leaves a half-written run.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from sim.manifest import MAX_RUN_ID, RUN_ID_PATTERN, Manifest, describe_error, package_version

__all__ = ["MANIFEST", "CorruptRun", "Run", "RunNotFound", "SkippedFolder", "list_runs",
           "load_run", "new_run_id", "package_version", "read_manifest", "remove_stale_temporaries",
           "resolve_run", "scan_runs", "write_run"]

MANIFEST = "manifest.json"
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
    manifest = dict(run.manifest, tables=sorted(run.tables))
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
    try:
        for name, df in run.tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        _write_manifest(tmp, manifest)
        final = _claim(tmp, root, manifest, unique)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    run.manifest["run_id"] = manifest["run_id"]
    run.path = final
    return final


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
    """The folder of a run given as a folder path or as a run id under ``root``."""
    candidate = Path(run)
    if not (candidate / MANIFEST).is_file():
        name = str(run)
        if _ID_OK.match(name):
            candidate = Path(root) / name
    if not (candidate / MANIFEST).is_file():
        raise RunNotFound(
            f"{run}: not a run folder (expected {MANIFEST} in it); list runs with 'ls {root}'"
        )
    return candidate


def load_run(run: str | Path, root: str | Path = "runs",
             tables: tuple[str, ...] | None = None) -> Run:
    """Read a run back from the store (all tables unless ``tables`` names some).

    Raises:
        RunNotFound: not a run folder, or a table is missing.
        CorruptRun: the manifest is unreadable or does not fit the schema.
    """
    folder = resolve_run(run, root)
    manifest = read_manifest(folder).model_dump(mode="json")
    names = tables if tables is not None else tuple(manifest["tables"])
    loaded = {}
    for name in names:
        file = folder / f"{name}.parquet"
        if not re.fullmatch(r"[A-Za-z0-9_]+", name) or not file.is_file():
            raise RunNotFound(f"{folder}: table {name!r} is missing")
        loaded[name] = pd.read_parquet(file)
    return Run(manifest, loaded, folder)


def _check_folder(folder: Path) -> dict:
    manifest = read_manifest(folder).model_dump(mode="json")
    missing = [t for t in manifest["tables"] if not (folder / f"{t}.parquet").is_file()]
    if missing:
        raise CorruptRun(f"table {missing[0]!r} is missing")
    return dict(manifest, folder=folder.name)


def scan_runs(root: str | Path = "runs") -> tuple[list[dict], list[SkippedFolder]]:
    """Complete runs under ``root`` (newest first) and the folders skipped, with reasons.

    A run is complete when its folder holds a manifest that fits the schema and every
    table it names. Folders without a manifest that are not runs (hidden folders, files)
    are ignored silently; a folder with a corrupt manifest or a missing table is skipped
    and named, so that one bad folder never hides the others. Stale temporary folders
    of killed writes are removed. Each manifest gets a ``folder`` key: the folder's name
    under ``root`` (what ``load_run`` takes as an id).
    """
    root = Path(root)
    if not root.is_dir():
        return [], []
    remove_stale_temporaries(root)
    good, skipped = [], []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not (folder / MANIFEST).is_file():
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
