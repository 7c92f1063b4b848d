"""The run store: atomic writes, round trips, listing and resolving runs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers_engine import tiny_config
from pandas.testing import assert_frame_equal

import sim
from sim.store import MANIFEST, Run, RunNotFound, list_runs, load_run, resolve_run, write_run


@pytest.fixture(scope="module")
def tiny_run() -> Run:
    return sim.run(tiny_config(), paths=2, seed=3, out=None)


def fresh(run: Run, run_id: str) -> Run:
    return Run(dict(run.manifest, run_id=run_id), dict(run.tables))


def test_write_then_load_round_trips_every_table(tiny_run, tmp_path):
    folder = write_run(fresh(tiny_run, "r1"), tmp_path)
    assert folder == tmp_path / "r1"
    loaded = load_run("r1", tmp_path)
    assert loaded.path == folder
    assert loaded.run_id == "r1"
    assert set(loaded.tables) == set(tiny_run.tables)
    for name, df in tiny_run.tables.items():
        assert_frame_equal(loaded[name], df, check_dtype=True)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["tables"] == sorted(tiny_run.tables)
    assert manifest["seed"] == 3 and manifest["paths"] == 2


def test_load_only_the_named_tables(tiny_run, tmp_path):
    write_run(fresh(tiny_run, "r1"), tmp_path)
    loaded = load_run(tmp_path / "r1", tables=("paths",))
    assert list(loaded.tables) == ["paths"]
    with pytest.raises(RunNotFound, match="missing"):
        load_run(tmp_path / "r1", tables=("nonexistent",))


def test_write_leaves_no_temporary_folder(tiny_run, tmp_path):
    write_run(fresh(tiny_run, "r1"), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["r1"]


def test_a_failure_mid_write_leaves_no_run_folder(tiny_run, tmp_path, monkeypatch):
    calls = []

    def fail_on_second(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, *args, **kwargs)

    original = pd.DataFrame.to_parquet
    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        write_run(fresh(tiny_run, "r1"), tmp_path)
    assert len(calls) == 2  # one table was already written when the failure came
    assert list(tmp_path.iterdir()) == []
    assert list_runs(tmp_path) == []


def test_an_existing_run_is_never_overwritten(tiny_run, tmp_path):
    write_run(fresh(tiny_run, "r1"), tmp_path)
    with pytest.raises(FileExistsError):
        write_run(fresh(tiny_run, "r1"), tmp_path)


def test_sim_run_writes_into_the_store(tmp_path):
    run = sim.run(tiny_config(), paths=1, seed=4, out=tmp_path)
    assert run.path is not None and run.path.parent == tmp_path
    assert (run.path / MANIFEST).is_file()
    assert "tiny" in run.run_id and "s4" in run.run_id
    assert [m["run_id"] for m in list_runs(tmp_path)] == [run.run_id]


def test_list_runs_skips_incomplete_and_hidden_folders(tiny_run, tmp_path):
    write_run(fresh(tiny_run, "good"), tmp_path)
    (tmp_path / "no-manifest").mkdir()
    (tmp_path / "no-manifest" / "paths.parquet").write_bytes(b"")
    (tmp_path / ".tmp-half-written-1").mkdir()
    (tmp_path / ".tmp-half-written-1" / MANIFEST).write_text("{}")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / MANIFEST).write_text("{not json")
    (tmp_path / "stray.txt").write_text("x")
    assert [m["run_id"] for m in list_runs(tmp_path)] == ["good"]
    assert list_runs(tmp_path / "absent") == []


def test_list_runs_newest_first(tiny_run, tmp_path):
    for run_id, created in (("old", "2026-01-01T00:00:00+00:00"),
                            ("new", "2026-06-01T00:00:00+00:00")):
        write_run(Run(dict(tiny_run.manifest, run_id=run_id, created=created),
                      {"paths": tiny_run.paths}), tmp_path)
    assert [m["run_id"] for m in list_runs(tmp_path)] == ["new", "old"]


def test_resolve_run_by_id_or_folder(tiny_run, tmp_path):
    folder = write_run(fresh(tiny_run, "r1"), tmp_path / "runs")
    assert resolve_run("r1", tmp_path / "runs") == folder
    assert resolve_run(folder, "elsewhere") == folder


@pytest.mark.parametrize("name", ["../outside", "..", "r1/../../outside", "/", "", "nothing"])
def test_resolve_run_rejects_paths_outside_the_store_and_non_runs(tiny_run, tmp_path,
                                                                  monkeypatch, name):
    root = tmp_path / "runs"
    write_run(fresh(tiny_run, "r1"), root)
    write_run(fresh(tiny_run, "outside"), tmp_path)  # a run, but outside the store
    (root / "nothing").mkdir()
    work = tmp_path / "work" / "sub"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)  # no run is reachable from here by these names
    with pytest.raises(RunNotFound):
        resolve_run(name, root)


def test_run_not_found_is_a_file_not_found_error():
    assert issubclass(RunNotFound, FileNotFoundError)


def test_list_runs_skips_runs_missing_a_table_and_names_their_folder(tiny_run, tmp_path):
    write_run(Run(dict(tiny_run.manifest, run_id="whole"), dict(tiny_run.tables)), tmp_path)
    broken = Run(dict(tiny_run.manifest, run_id="broken"), dict(tiny_run.tables))
    folder = write_run(broken, tmp_path)
    (folder / "paths.parquet").unlink()
    listed = list_runs(tmp_path)
    assert [(m["run_id"], m["folder"]) for m in listed] == [("whole", "whole")]
