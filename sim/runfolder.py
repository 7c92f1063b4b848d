"""A run folder: the names of its files, the :class:`Run` it holds, and how it is written.

:func:`write_run` writes a finished run into a hidden temporary folder beside its final
place (``.tmp-<id>-<pid>@<host>~<random>``) and renames it when complete, so that a reader
never sees half a run; :func:`atomic_write` writes one file alike (temporary file, fsync,
rename). The temporary folders of writes that were killed are removed by
:func:`remove_stale_temporaries`. Each table's SHA-256 is recorded in the manifest
(:func:`write_tables`), for the readers (:mod:`sim.runread`) to check.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from sim.manifest import Manifest, describe_error

if TYPE_CHECKING:  # pandas loads when tables are read, not in every path worker
    import pandas as pd

__all__ = ["CHUNKS", "LOCK", "MANIFEST", "NAME_IN_ID", "PROGRESS", "STALE_AFTER_S",
           "TMP_PREFIX", "Run", "atomic_write", "new_run_id", "remove_stale_temporaries",
           "write_run", "write_tables"]

MANIFEST = "manifest.json"
PROGRESS = "progress.json"
"""Written when a run claims its folder: what is being run (config, seed, paths)."""
CHUNKS = "chunks"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
STALE_AFTER_S = 6 * 3600
"""A temporary folder whose writer cannot be checked (another machine) is stale after this."""
NAME_IN_ID = 120
_TMP_OWNER = re.compile(r"-(\d+)@([A-Za-z0-9.-]*)~\w*$")
_HOST = re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname())[:60]


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
        manifest["table_sha256"] = write_tables(tmp, run.tables, Path.write_bytes)
        _write_manifest(tmp, manifest)
        final = _claim(tmp, root, manifest, unique)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    run.manifest.update(run_id=manifest["run_id"], table_sha256=manifest["table_sha256"])
    run.path = final
    return final


def write_tables(folder: Path, tables: dict[str, pd.DataFrame],
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
