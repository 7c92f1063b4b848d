"""A run simulated into the store: resumable, a chunk of paths at a time.

:meth:`PartialRun.create` claims the run's folder first, with ``progress.json`` (config,
seed, paths) and a lock; each completed chunk of paths is stored as a file of ``chunks/``
(:meth:`PartialRun.save`); when every path is done, :meth:`PartialRun.finish` writes the
tables, then the manifest, last, each file atomically. A killed run therefore leaves a
folder without a manifest that readers refuse (:func:`incomplete_reason` says why) and
``creditsim run --resume`` continues (:meth:`PartialRun.open`).
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pydantic import ValidationError

from sim.manifest import Manifest, describe_error
from sim.runerrors import CorruptRun, RunNotFound
from sim.runfolder import (
    CHUNKS,
    LOCK,
    MANIFEST,
    PROGRESS,
    TMP_PREFIX,
    Run,
    atomic_write,
    remove_stale_temporaries,
    write_tables,
)

__all__ = ["PartialRun", "incomplete_reason"]

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
        manifest["table_sha256"] = write_tables(self.folder, run.tables, atomic_write)
        atomic_write(self.folder / MANIFEST,
                     json.dumps(manifest, indent=2, default=str).encode())
        shutil.rmtree(self.folder / CHUNKS, ignore_errors=True)
        (self.folder / PROGRESS).unlink(missing_ok=True)
        self.release()
        (self.folder / LOCK).unlink(missing_ok=True)
        run.manifest.update(run_id=manifest["run_id"], table_sha256=manifest["table_sha256"])
        run.path = self.folder
        return self.folder
