"""The run store: one folder per run under ``runs/``, written whole or not at all.

A run folder holds ``manifest.json`` (config, seed, paths, package version, timings)
and Parquet tables (``portfolio``, ``paths``, ``vintages`` and, when borrowers were
traced, ``trace``). It is written into a hidden temporary folder beside its final
place and renamed when complete, so a crash never leaves a half-written run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

MANIFEST = "manifest.json"
_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class RunNotFound(FileNotFoundError):
    """A run folder that does not exist or is not a complete run."""


def package_version() -> str:
    try:
        return version("creditsim")
    except PackageNotFoundError:
        return "unknown"


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
    """A readable, unique id: ``<UTC time>-<config name>-s<seed>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "run"
    base = f"{stamp}-{safe}-s{seed}"
    run_id, k = base, 1
    while (root / run_id).exists():
        k += 1
        run_id = f"{base}-{k}"
    return run_id


def write_run(run: Run, root: str | Path) -> Path:
    """Write ``run`` under ``root/<run_id>/`` atomically and return the folder."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / run.run_id
    if final.exists():
        raise FileExistsError(f"run folder {final} already exists")
    tmp = root / f".tmp-{run.run_id}-{os.getpid()}"
    try:
        tmp.mkdir()
        for name, df in run.tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        manifest = dict(run.manifest, tables=sorted(run.tables))
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
        os.rename(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    run.path = final
    return final


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
    """Read a run back from the store (all tables unless ``tables`` names some)."""
    folder = resolve_run(run, root)
    manifest = json.loads((folder / MANIFEST).read_text())
    names = tables if tables is not None else tuple(manifest.get("tables", ()))
    loaded = {}
    for name in names:
        file = folder / f"{name}.parquet"
        if not file.is_file():
            raise RunNotFound(f"{folder}: table {name!r} is missing")
        loaded[name] = pd.read_parquet(file)
    return Run(manifest, loaded, folder)


def list_runs(root: str | Path = "runs") -> list[dict]:
    """Manifests of every complete run under ``root``, newest first.

    A run is complete when its folder holds a readable manifest and every table the
    manifest names; hidden (temporary) folders are skipped. Each manifest gets a
    ``folder`` key: the folder's name under ``root`` (what ``load_run`` takes as an id).
    """
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for folder in root.iterdir():
        man = folder / MANIFEST
        if folder.name.startswith(".") or not man.is_file():
            continue
        try:
            manifest = json.loads(man.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        tables = manifest.get("tables", ()) if isinstance(manifest, dict) else None
        if tables is None or not all((folder / f"{t}.parquet").is_file() for t in tables):
            continue
        out.append(dict(manifest, folder=folder.name))
    return sorted(out, key=lambda m: m.get("created", ""), reverse=True)
