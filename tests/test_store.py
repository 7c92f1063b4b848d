"""The run store: atomic writes, round trips, listing and resolving runs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import helpers_engine
import numpy as np
import pandas as pd
import pytest
import scipy
import yaml
from helpers_engine import tiny_config
from pandas.testing import assert_frame_equal

import sim
from sim.config import load_config, with_overrides
from sim.manifest import MAX_RUN_ID, Manifest, code_version, config_overrides
from sim.store import (
    MANIFEST,
    STALE_AFTER_S,
    CorruptRun,
    Run,
    RunNotFound,
    list_runs,
    load_run,
    new_run_id,
    remove_stale_temporaries,
    resolve_run,
    scan_runs,
    write_run,
)


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


# -- corrupt run folders: skipped and named, never a traceback -----------------------------------

CORRUPT = {
    "a JSON list": (lambda m: json.dumps([m]), "must be a JSON object, got list"),
    "invalid JSON": (lambda m: "{not json", "not a readable JSON manifest"),
    "no tables key": (lambda m: json.dumps({k: v for k, v in m.items() if k != "tables"}),
                      "tables: missing"),
    "paths = 'many'": (lambda m: json.dumps(dict(m, paths="many")), "paths = 'many'"),
    "seed = null": (lambda m: json.dumps(dict(m, seed=None)), "seed = None"),
    "numeric created": (lambda m: json.dumps(dict(m, created=20260101)), "created = 20260101"),
    "a table outside the folder": (lambda m: json.dumps(dict(m, tables=["../../x"])),
                                   "table names"),
    "a table without its digest": (
        lambda m: json.dumps(dict(m, table_sha256={k: v for k, v in m["table_sha256"].items()
                                                   if k != "paths"})),
        "no digest of table 'paths'"),
    "a digest of no table": (
        lambda m: json.dumps(dict(m, table_sha256=dict(m["table_sha256"], x="0" * 64))),
        "names 'x', which is not one of the tables"),
    "a digest that is not SHA-256": (
        lambda m: json.dumps(dict(m, table_sha256=dict(m["table_sha256"], paths="abc"))),
        "table_sha256.paths = 'abc'"),
}


def _corrupt(folder, how):
    text = (folder / MANIFEST).read_text()
    (folder / MANIFEST).write_text(CORRUPT[how][0](json.loads(text)))


@pytest.mark.parametrize("how", list(CORRUPT))
def test_a_corrupt_manifest_is_skipped_and_named_and_the_others_still_list(tiny_run, tmp_path,
                                                                           how):
    write_run(fresh(tiny_run, "good"), tmp_path)
    _corrupt(write_run(fresh(tiny_run, "bad"), tmp_path), how)
    good, skipped = scan_runs(tmp_path)
    assert [m["run_id"] for m in good] == ["good"]
    assert [s.folder for s in skipped] == ["bad"]
    assert CORRUPT[how][1] in skipped[0].reason


@pytest.mark.parametrize("how", list(CORRUPT))
def test_loading_a_corrupt_run_names_the_manifest_file(tiny_run, tmp_path, how):
    folder = write_run(fresh(tiny_run, "bad"), tmp_path)
    _corrupt(folder, how)
    with pytest.raises(CorruptRun) as exc:
        load_run("bad", tmp_path)
    assert str(folder / MANIFEST) in str(exc.value)
    assert CORRUPT[how][1] in str(exc.value)


@pytest.mark.parametrize("how", ["a JSON list", "invalid JSON", "seed = null", "no tables key"])
def test_report_of_a_corrupt_run_exits_2_naming_the_file(tiny_run, tmp_path, how):
    folder = write_run(fresh(tiny_run, "bad"), tmp_path)
    _corrupt(folder, how)
    done = subprocess.run([sys.executable, "-m", "sim.cli", "report", "bad", "--runs",
                           str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "manifest.json" in done.stderr and "bad" in done.stderr


def test_a_huge_manifest_is_refused_without_reading_it(tiny_run, tmp_path, monkeypatch):
    import sim.runread

    folder = write_run(fresh(tiny_run, "big"), tmp_path)
    monkeypatch.setattr(sim.runread, "MAX_MANIFEST_BYTES", 100)
    good, skipped = scan_runs(tmp_path)
    assert good == [] and "larger than a manifest can be" in skipped[0].reason
    assert folder.name == skipped[0].folder


def test_a_run_cannot_be_written_with_a_manifest_that_breaks_the_schema(tiny_run, tmp_path):
    with pytest.raises(ValueError, match="seed"):
        write_run(Run(dict(tiny_run.manifest, run_id="r", seed=None), {}), tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- leftovers of killed writes, and ids that two runs compute at once ---------------------------

def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_temporary_folders_of_dead_writers_are_removed_on_the_next_listing(tiny_run, tmp_path):
    from sim.store import _HOST

    write_run(fresh(tiny_run, "good"), tmp_path)
    dead = tmp_path / f".tmp-r2-{_dead_pid()}@{_HOST}~x1"
    live = tmp_path / f".tmp-r3-{os.getppid()}@{_HOST}~x1"  # a live writer: kept
    elsewhere = tmp_path / f".tmp-r4-{_dead_pid()}@another-host~x1"  # cannot check: kept
    for folder in (dead, live, elsewhere):
        folder.mkdir()
        (folder / "paths.parquet").write_bytes(b"half")
    (tmp_path / ".dashboard-cache").mkdir()
    assert [m["run_id"] for m in list_runs(tmp_path)] == ["good"]
    assert not dead.exists() and live.exists() and elsewhere.exists()
    assert (tmp_path / ".dashboard-cache").exists()
    old = time.time() - STALE_AFTER_S - 60
    os.utime(elsewhere, (old, old))
    assert remove_stale_temporaries(tmp_path) == [elsewhere.name]


def test_temporary_folders_of_dead_writers_are_removed_on_the_next_write(tiny_run, tmp_path):
    from sim.store import _HOST

    dead = tmp_path / f".tmp-r2-{_dead_pid()}@{_HOST}~x1"
    dead.mkdir()
    write_run(fresh(tiny_run, "r1"), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r1"]


def test_two_runs_with_the_same_id_are_both_stored(tiny_run, tmp_path, monkeypatch):
    first, second = fresh(tiny_run, "same-id"), fresh(tiny_run, "same-id")
    write_run(first, tmp_path, unique=True)
    folder = write_run(second, tmp_path, unique=True)
    assert folder.name == "same-id-2" == second.run_id
    assert json.loads((folder / MANIFEST).read_text())["run_id"] == "same-id-2"
    assert {m["run_id"] for m in list_runs(tmp_path)} == {"same-id", "same-id-2"}


def test_a_name_taken_between_check_and_rename_goes_to_the_next_id(tiny_run, tmp_path,
                                                                   monkeypatch):
    import sim.runfolder as runfolder

    real_rename = os.rename
    rivals = []

    def rival_first(src, dst):  # another writer stores the same id just before us
        if Path(dst).name == "race" and not rivals:
            rivals.append(dst)
            write_run(fresh(tiny_run, "race"), tmp_path)
        return real_rename(src, dst)

    monkeypatch.setattr(runfolder.os, "rename", rival_first)
    run = fresh(tiny_run, "race")
    assert write_run(run, tmp_path, unique=True).name == "race-2"
    monkeypatch.setattr(runfolder.os, "rename", real_rename)
    assert {m["run_id"] for m in list_runs(tmp_path)} == {"race", "race-2"}


def test_sim_runs_computing_the_same_id_in_the_same_second_are_both_stored(tmp_path,
                                                                           monkeypatch):
    import sim.api as api

    monkeypatch.setattr(api, "new_run_id", lambda name, seed, root: f"fixed-{name}-s{seed}")
    a = sim.run(tiny_config(), paths=1, seed=4, out=tmp_path)
    b = sim.run(tiny_config(), paths=1, seed=4, out=tmp_path)
    assert (a.run_id, b.run_id) == ("fixed-tiny-s4", "fixed-tiny-s4-2")
    assert b.manifest["run_id"] == b.path.name


def test_a_very_long_config_name_still_gives_a_storable_id(tmp_path):
    run_id = new_run_id("x" * 5000, 1, tmp_path)
    assert len(run_id) < MAX_RUN_ID


# -- what the manifest records -------------------------------------------------------------------

def test_the_manifest_writes_only_keys_the_schema_declares(tiny_run):
    manifest = Manifest.model_validate(tiny_run.manifest)
    assert manifest.model_extra == {}
    assert set(tiny_run.manifest) <= set(Manifest.model_fields)


def test_the_manifest_records_the_sha256_of_each_table_as_written(tiny_run, tmp_path):
    """Both writers: :func:`write_run` and a run simulated into the store; the run returned
    holds the manifest stored, and a run read back is written anew with its own digests."""
    written = write_run(fresh(tiny_run, "r1"), tmp_path)
    simulated = sim.run(tiny_config(), paths=2, seed=3, out=tmp_path / "simulated")
    rewritten = write_run(fresh(load_run(written), "r2"), tmp_path)
    for folder in (written, simulated.path, rewritten):
        manifest = json.loads((folder / MANIFEST).read_text())
        assert manifest["table_sha256"] == {
            t: hashlib.sha256((folder / f"{t}.parquet").read_bytes()).hexdigest()
            for t in manifest["tables"]}
    assert simulated.manifest == load_run(simulated.path, tables=()).manifest


def test_the_manifest_pins_the_code_and_the_libraries(tiny_run):
    m = tiny_run.manifest
    assert set(m["packages"]) == {"numpy", "scipy", "pandas", "pyarrow", "simpy", "pydantic"}
    assert m["packages"]["numpy"] == np.__version__
    assert m["packages"]["scipy"] == scipy.__version__
    assert m["code"]["version"] == m["version"]
    head = subprocess.run(["git", "-C", str(Path(sim.__file__).parent), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=False)
    if head.returncode == 0:  # a git checkout: commit and dirty flag are recorded
        assert m["code"]["commit"] == head.stdout.strip()
        assert isinstance(m["code"]["dirty"], bool)


def test_code_version_outside_git_has_no_commit(tmp_path):
    code = code_version(tmp_path)
    assert code.commit is None and code.dirty is None


def test_code_version_sees_uncommitted_changes(tmp_path):
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "f.py").write_text("a = 1\n")
    subprocess.run([*git, "add", "f.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    clean = code_version(tmp_path)
    assert clean.commit and len(clean.commit) == 40 and clean.dirty is False
    (tmp_path / "f.py").write_text("a = 2\n")
    assert code_version(tmp_path).dirty is True


def test_overrides_are_the_differences_from_the_named_config(tmp_path):
    base = tmp_path / "tinyfile.yaml"
    base.write_text(yaml.safe_dump(helpers_engine.TINY))
    changed = with_overrides(load_config(base), {"book": {"initial_borrowers": 70,
                                                          "horizon_months": 6}})
    run = sim.run(changed, paths=1, seed=2, out=None, base=base)
    m = run.manifest
    assert m["overrides"] == {"book.initial_borrowers": 70, "book.horizon_months": 6}
    assert (m["config_name"], m["config_file"]) == ("tinyfile", str(base))
    plain = sim.run(base, paths=1, seed=5, out=None)  # paths and seed are not overrides
    assert plain.manifest["overrides"] == {}
    assert plain.manifest["config_name"] == "tinyfile"
    in_memory = sim.run(tiny_config(), paths=1, seed=2, out=None)
    assert in_memory.manifest["config_name"] is None and in_memory.manifest["overrides"] == {}


def test_config_overrides_walks_mappings_and_lists():
    base = {"a": {"b": 1, "c": [1, 2]}, "notes": [{"size": 0.8}, {"size": 0.2}], "gone": 1}
    final = {"a": {"b": 1, "c": [1, 2, 3]}, "notes": [{"size": 0.7}, {"size": 0.2}],
             "new": {"x": 1}}
    assert config_overrides(base, final) == {"a.c": [1, 2, 3], "notes.0.size": 0.7,
                                             "gone": None, "new": {"x": 1}}
    assert config_overrides(base, base) == {}


def test_from_manifest_reruns_a_stored_run_exactly(tmp_path):
    base = tmp_path / "tinyfile.yaml"
    base.write_text(yaml.safe_dump(helpers_engine.TINY))
    original = sim.run(with_overrides(load_config(base), {"book": {"initial_borrowers": 50}}),
                       paths=2, seed=6, workers=1, out=tmp_path / "runs", base=base)
    base.write_text(yaml.safe_dump(dict(helpers_engine.TINY, seed=1)))  # the file moved on
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", "--from-manifest",
                           original.run_id, "--out", str(tmp_path / "runs"), "--quiet",
                           "--workers", "2"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    again = load_run(done.stdout.strip().splitlines()[-1])
    assert again.run_id != original.run_id
    assert again.manifest["rerun_of"] == original.run_id
    assert again.manifest["overrides"] == original.manifest["overrides"]
    assert again.manifest["config"] == original.manifest["config"]
    assert set(again.tables) == set(original.tables)
    for name in original.tables:
        assert_frame_equal(again[name], original[name], check_exact=True)


@pytest.mark.parametrize("extra", [["configs/baseline.yaml"], ["--seed", "3"]])
def test_from_manifest_refuses_a_config_or_seed_beside_it(tiny_run, tmp_path, extra):
    write_run(fresh(tiny_run, "r1"), tmp_path)
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", "--from-manifest", "r1",
                           "--out", str(tmp_path), *extra],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--from-manifest reruns a stored run exactly" in done.stderr


def test_from_manifest_warns_when_the_code_differs(tiny_run, tmp_path):
    manifest = dict(tiny_run.manifest, run_id="old",
                    code={"version": "0.0.1", "commit": "0" * 40, "dirty": False},
                    packages=dict(tiny_run.manifest["packages"], scipy="1.0.0"))
    write_run(Run(manifest, dict(tiny_run.tables)), tmp_path)
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", "--from-manifest", "old",
                           "--out", str(tmp_path), "--quiet"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "scipy 1.0.0 then" in done.stderr and "commit 0000" in done.stderr
