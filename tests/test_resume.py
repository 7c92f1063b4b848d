"""Resumable runs: a killed run continues to the tables of a run never stopped.

A run simulated into the store claims its folder with ``progress.json``, stores each
completed chunk of paths atomically, and writes ``manifest.json`` last. The tests kill a
real ``creditsim run`` process with SIGKILL once a chunk is on disk, continue it with
``creditsim run --resume``, and compare every table with an uninterrupted run.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import time

import pandas as pd
import psutil
import pytest
import yaml
from helpers_engine import TINY
from helpers_engine import cli_command as _cli

import sim
from sim.cli import main
from sim.config import deep_merge, load_config
from sim.resume import resume
from sim.store import (
    CHUNKS,
    MANIFEST,
    PROGRESS,
    IncompleteRun,
    PartialRun,
    RunInterrupted,
    list_runs,
    load_run,
    scan_runs,
)

WAIT_S = 120.0
"""Upper bound on waiting for a chunk or a process (a liveness bound, not a timing)."""
PATHS = 24
SEED = 3



def _chunks(folder) -> list:
    try:
        return [f for f in (folder / CHUNKS).iterdir() if f.name.startswith("chunk-")]
    except OSError:
        return []


def _said(capsys) -> str:
    """Stderr of the last command, with line wrapping undone."""
    return " ".join(capsys.readouterr().err.split())


def _run_folders(runs) -> list:
    return [p for p in runs.iterdir() if p.is_dir()] if runs.exists() else []


def _same_tables(a, b) -> None:
    """Every table of two run folders, read back with pandas, equal bit for bit."""
    ma, mb = (load_run(f, tables=()).manifest for f in (a, b))
    assert ma["tables"] == mb["tables"]
    for table in ma["tables"]:
        left = pd.read_parquet(a / f"{table}.parquet")
        right = pd.read_parquet(b / f"{table}.parquet")
        pd.testing.assert_frame_equal(left, right, check_exact=True)


def _interrupt_after(monkeypatch, chunks: int) -> None:
    """Make a run in this process stop with Ctrl-C once ``chunks`` chunks are stored."""
    real = PartialRun.save
    count = [0]

    def save(self, results):
        real(self, results)
        count[0] += 1
        if count[0] == chunks:
            raise KeyboardInterrupt

    monkeypatch.setattr(PartialRun, "save", save)


def _stopped_run(monkeypatch, runs, config, paths=4, seed=SEED, chunks=1):
    """A run folder stopped by Ctrl-C after ``chunks`` chunks (workers=1: a path a chunk)."""
    with monkeypatch.context() as m:
        _interrupt_after(m, chunks)
        with pytest.raises(RunInterrupted) as info:
            sim.run(config, paths=paths, seed=seed, out=runs)
    assert info.value.done == chunks and info.value.total == paths
    return info.value.folder


def test_a_killed_run_resumes_to_the_tables_of_a_run_never_stopped(tiny_yaml, tmp_path):
    runs = tmp_path / "runs"
    proc = subprocess.Popen(_cli("run", str(tiny_yaml), "--paths", str(PATHS), "--seed",
                                 str(SEED), "--workers", "2", "--quiet", "--out", str(runs)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    family: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + WAIT_S
        while not any(_chunks(f) for f in _run_folders(runs)):
            assert proc.poll() is None, "the run ended before a chunk was stored"
            assert time.monotonic() < deadline, "gave up waiting for a chunk on disk"
            time.sleep(0.02)
        family = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        psutil.wait_procs(family, timeout=WAIT_S)
    finally:
        for p in family:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
    [folder] = _run_folders(runs)
    stored = sum(int(f.name.split("-n")[1].split(".")[0]) for f in _chunks(folder))
    assert 0 < stored < PATHS, "the kill came after the run was complete: nothing to resume"
    assert not (folder / MANIFEST).exists()
    assert list_runs(runs) == []  # never looks complete
    [skipped] = scan_runs(runs)[1]
    assert f"{stored} of {PATHS} paths stored" in skipped.reason
    assert "--resume" in skipped.reason

    done = subprocess.run(_cli("run", "--resume", str(folder), "--quiet"),
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(folder)
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".parquet")) \
        == [MANIFEST]  # progress, chunks and lock are gone

    whole = subprocess.run(_cli("run", str(tiny_yaml), "--paths", str(PATHS), "--seed",
                                str(SEED), "--quiet", "--out", str(tmp_path / "whole")),
                           capture_output=True, text=True, check=False)
    assert whole.returncode == 0, whole.stderr
    [reference] = _run_folders(tmp_path / "whole")
    _same_tables(folder, reference)
    assert load_run(folder).manifest["paths"] == PATHS


def test_resume_refuses_another_config_seed_or_paths(monkeypatch, tmp_path, tiny_yaml,
                                                     capsys):
    runs = tmp_path / "runs"
    folder = _stopped_run(monkeypatch, runs, load_config(TINY))
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(deep_merge(TINY, {"book": {"horizon_months": 9}})))
    cases = [
        ([str(other)], "book.horizon_months differ"),
        ([str(tiny_yaml), "--seed", "4"], f"seed {SEED}, not 4"),
        ([str(tiny_yaml)], f"seed {SEED}, not {TINY['seed']}"),  # the config's own seed
        (["--paths", "5"], "4 paths, not 5"),
    ]
    for args, message in cases:
        assert main(["run", *args, "--resume", str(folder), "--quiet"]) == 2
        err = _said(capsys)
        assert message in err and "Traceback" not in err
    assert not (folder / MANIFEST).exists()  # nothing was run
    assert main(["run", str(tiny_yaml), "--seed", str(SEED), "--paths", "4",
                 "--resume", str(folder), "--quiet"]) == 0
    assert (folder / MANIFEST).is_file()


def test_readers_refuse_an_incomplete_run_and_say_how_to_continue_it(monkeypatch, tmp_path,
                                                                      capsys):
    runs = tmp_path / "runs"
    folder = _stopped_run(monkeypatch, runs, load_config(TINY))
    complete = sim.run(load_config(TINY), paths=2, seed=SEED, out=runs).path
    with pytest.raises(IncompleteRun, match="1 of 4 paths stored"):
        load_run(folder)
    with pytest.raises(IncompleteRun):
        load_run(folder.name, runs)  # by id under the store
    for argv in (["report", str(folder)], ["compare", str(complete), str(folder)],
                 ["rolls", folder.name, "--runs", str(runs)],
                 ["trace", str(folder), "--borrower", "1"]):
        assert main(argv) == 2
        err = _said(capsys)
        assert "incomplete run" in err and "--resume" in err and "Traceback" not in err
    assert [m["folder"] for m in list_runs(runs)] == [complete.name]


def test_ctrl_c_names_the_folder_to_resume(monkeypatch, tmp_path, tiny_yaml, capsys):
    runs = tmp_path / "runs"
    with monkeypatch.context() as m:
        _interrupt_after(m, 2)
        code = main(["run", str(tiny_yaml), "--paths", "3", "--quiet", "--out", str(runs)])
    assert code == 130
    err = _said(capsys)
    [folder] = _run_folders(runs)
    assert f"2 of 3 paths are kept in {folder}" in err
    assert f"'creditsim run --resume {folder}'" in err


def test_a_complete_run_a_running_run_and_a_non_run_are_refused(monkeypatch, tmp_path,
                                                                capsys):
    runs = tmp_path / "runs"
    complete = sim.run(load_config(TINY), paths=1, seed=SEED, out=runs).path
    assert main(["run", "--resume", str(complete)]) == 2
    assert "this run is complete" in _said(capsys)
    assert main(["run", "--resume", str(tmp_path)]) == 2
    assert "not a run that can be resumed" in _said(capsys)
    assert main(["run", "--resume", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such folder; give the folder of a stopped run" in _said(capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty), "--runs", str(runs)]) == 2
    said = _said(capsys)
    assert "empty: this folder holds no run (no manifest.json in it)" in said
    assert f"'ls {runs}'" in said and "does not exist" not in said
    folder = _stopped_run(monkeypatch, runs, load_config(TINY))
    holder = PartialRun.open(folder)  # another process would hold the same lock
    try:
        with pytest.raises(ValueError, match="another process is running this run"):
            PartialRun.open(folder)
        assert "still in progress" in next(s.reason for s in scan_runs(runs)[1])
    finally:
        holder.release()


def test_a_chunk_that_is_not_path_results_is_refused_not_run(monkeypatch, tmp_path, capsys):
    runs = tmp_path / "runs"
    folder = _stopped_run(monkeypatch, runs, load_config(TINY))
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (folder / CHUNKS / "chunk-0000001-n1.pkl").write_bytes(pickle.dumps([Payload()]))
    assert main(["run", "--resume", str(folder), "--quiet"]) == 2
    err = _said(capsys)
    assert "not a readable chunk" in err and "system is not allowed" in err
    assert not marker.exists()


def test_a_run_resumed_on_dask_equals_a_local_run(monkeypatch, tmp_path):
    from distributed import LocalCluster

    config = load_config(deep_merge(TINY, {"early_warning": {"enabled": True,
                                                             "fit_months": 3}}))
    whole = sim.run(config, paths=3, seed=SEED, out=tmp_path / "whole").path
    folder = _stopped_run(monkeypatch, tmp_path / "runs", config, paths=3)
    assert sorted(p.name for p in folder.iterdir()) == [".lock", CHUNKS, PROGRESS]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        resumed = resume(folder, scheduler=cluster.scheduler_address)
    assert resumed.manifest["backend"] == "dask"
    _same_tables(folder, whole)


def test_chunks_are_saved_as_they_complete_on_dask(monkeypatch, tmp_path):
    """Interrupted on the Dask backend, a run keeps the chunks it received."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, monkeypatch.context() as m:
        _interrupt_after(m, 1)
        with pytest.raises(RunInterrupted) as info:
            sim.run(load_config(TINY), paths=8, seed=SEED, out=tmp_path / "runs",
                    scheduler=cluster.scheduler_address)
    folder = info.value.folder
    assert len(_chunks(folder)) == 1
    assert len(PartialRun.open(folder).load()) == info.value.done > 0


def test_a_run_that_fails_before_storing_a_path_leaves_no_folder(tmp_path, capsys):
    # the deal's cut-off pool is too small on a one-borrower book: every path fails alike,
    # so a folder left behind would be 'stopped before it finished' and never resumable
    runs = tmp_path / "runs"
    assert main(["run", "baseline", "--paths", "1", "--workers", "1", "--quiet", "--out",
                 str(runs), "--set", "book.initial_borrowers=1",
                 "--set", "book.new_borrowers_per_month=0"]) == 2
    assert "too small to carry the notes" in _said(capsys)
    assert _run_folders(runs) == []


def test_ctrl_c_inside_a_compiled_kernel_counts_as_an_interrupt():
    """Ctrl-C that stops a compiled call surfaces as a SystemError whose context is the
    KeyboardInterrupt; it is an interrupt (kept chunks, the resume message), not a crash."""
    from sim.api import interrupted

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("CPUDispatcher(...) returned a result with an exception set")  # noqa: B904
    except SystemError as exc:
        assert interrupted(exc)
    assert not interrupted(SystemError("a bug"))
    assert not interrupted(ValueError("bad input"))
