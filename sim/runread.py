"""Reading a stored run back, checked: its manifest, its folder and its tables.

:func:`read_manifest` validates a folder's manifest; :func:`resolve_run` finds a run given
as a folder or an id, refusing a run stopped before it finished (:class:`IncompleteRun`);
:func:`load_run` reads it. Each table read back is checked against the SHA-256 the manifest
recorded (runs stored before it have none) and against the store's contract
(:mod:`sim.tables`) and the manifest: the columns every run has, rows, and the run's paths.
A table changed after the run (copied over another, emptied, taken from another run, even
one of the same shape) is refused as :class:`DamagedRun`, naming the table and the fault;
:func:`check_run` checks the tables a reader does not load.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from sim.manifest import RUN_ID_PATTERN, Manifest, describe_error
from sim.partialrun import incomplete_reason
from sim.runerrors import CorruptRun, DamagedRun, IncompleteRun, RunNotFound
from sim.runfolder import MANIFEST, PROGRESS, Run

if TYPE_CHECKING:  # pandas loads when tables are read, not in every path worker
    import pandas as pd

__all__ = ["MAX_MANIFEST_BYTES", "check_run", "check_table", "load_run", "read_manifest",
           "read_table", "resolve_run"]

MAX_MANIFEST_BYTES = 5_000_000
"""Largest manifest read (bytes): a config and a few hundred overrides fit many times over."""
_ID_OK = re.compile(RUN_ID_PATTERN)


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
