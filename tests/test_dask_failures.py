"""A run on a Dask scheduler that fails part-way: the scheduler gone, or a worker that dies
running the same paths as often as the scheduler retries them. Each ends in one line naming
what happened and where the paths already done are kept, never distributed's tracebacks,
and the run continues from its folder to the tables of a run never stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import dask
import pandas as pd
import psutil
import pytest
from helpers_engine import TINY

import sim
from sim.cli import main
from sim.config import load_config
from sim.resume import resume
from sim.store import DASK_MEMORY_HINT, MANIFEST, DaskWorkerLost, PartialRun, load_run

WAIT_S = 120.0
"""Upper bound on waiting for the cluster to start (a liveness bound, not a timing)."""
SEED = 3
PATHS = 8

CLUSTER = """
import time
from distributed import LocalCluster
if __name__ == "__main__":
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    print(cluster.scheduler_address, flush=True)
    while True:
        time.sleep(1)
"""


@pytest.fixture
def cluster_process(tmp_path):
    """A Dask cluster in a process group of its own (to be killed whole): (process, address)."""
    script = tmp_path / "cluster.py"
    script.write_text(CLUSTER)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        address = proc.stdout.readline().strip()
        assert address.startswith("tcp://"), "the cluster did not start"
        yield proc, address
    finally:
        _kill_group(proc)


def _kill_group(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=WAIT_S)


def _kill_on_first_save(monkeypatch, kill) -> None:
    real = PartialRun.save

    def save(self, results):
        real(self, results)
        kill()

    monkeypatch.setattr(PartialRun, "save", save)


def test_a_lost_scheduler_ends_in_one_line_and_the_run_resumes_locally(
        cluster_process, tiny_yaml, tmp_path, monkeypatch, capfd):
    import distributed  # noqa: F401 - its defaults in dask's config before a key is set

    proc, address = cluster_process
    runs = tmp_path / "runs"
    _kill_on_first_save(monkeypatch, lambda: _kill_group(proc))
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code = main(["run", str(tiny_yaml), "--paths", str(PATHS), "--seed", str(SEED),
                     "--scheduler", address, "--out", str(runs), "--quiet"])
    monkeypatch.undo()
    err = capfd.readouterr().err
    assert code == 1
    assert "Traceback" not in err and "distributed" not in err
    said = " ".join(err.split())
    [folder] = [p for p in runs.iterdir() if p.is_dir()]
    assert said.startswith(f"error: the Dask scheduler at {address} stopped answering")
    assert f"continue with 'creditsim run --resume {folder}'" in said
    assert not (folder / MANIFEST).exists()

    resumed = resume(folder)  # locally: the backend may change, the tables may not
    whole = sim.run(load_config(TINY), paths=PATHS, seed=SEED, out=tmp_path / "whole")
    for table in load_run(whole.path, tables=()).manifest["tables"]:
        pd.testing.assert_frame_equal(pd.read_parquet(resumed.path / f"{table}.parquet"),
                                      pd.read_parquet(whole.path / f"{table}.parquet"),
                                      check_exact=True)


def test_a_worker_killed_running_paths_ends_the_run_with_the_paths_kept(tmp_path,
                                                                       monkeypatch):
    from distributed import LocalCluster

    def kill_workers():  # the worker processes (their nannies run here and start new ones)
        for child in psutil.Process().children():
            if any("spawn_main" in part for part in child.cmdline()):
                child.kill()

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster:
        _kill_on_first_save(monkeypatch, kill_workers)  # at every save, until one is running
        deadline = time.monotonic() + WAIT_S
        with pytest.raises(DaskWorkerLost) as info:
            sim.run(load_config(TINY), paths=PATHS, seed=SEED, out=tmp_path / "runs",
                    scheduler=cluster.scheduler_address)
        assert time.monotonic() < deadline
    message = str(info.value)
    assert message.startswith("a Dask worker died running paths ")
    assert DASK_MEMORY_HINT in message
    assert 0 < info.value.done < PATHS
    assert not set(info.value.paths) & set(PartialRun.open(info.value.folder).load())
    assert f"continue with 'creditsim run --resume {info.value.folder}'" in message
