"""A run on a Dask scheduler that fails part-way (:mod:`sim.cluster`): the scheduler gone, or
a worker that dies running the same paths as often as the scheduler retries them. Each ends
in one line naming what happened and where the paths already done are kept, never
distributed's tracebacks, and the run continues from its folder to the tables of a run
never stopped. A scheduler back while the client reconnects gets the paths not done again.

The clusters run in processes of their own (killed whole, by process group) except where a
test kills a worker, whose nanny runs in the test's process; every process started is
killed when the test ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import dask
import distributed  # noqa: F401 - its defaults in dask's config before a test sets a key
import pandas as pd
import psutil
import pytest
from helpers_engine import TINY
from helpers_engine import cli_command as _cli

import sim
from sim.cli import main
from sim.config import load_config
from sim.store import (
    CHUNKS,
    DASK_MEMORY_HINT,
    MANIFEST,
    PartialRun,
    RunInterrupted,
    SchedulerLost,
    load_run,
)

WAIT_S = 120.0
"""Upper bound on waiting for a cluster, a chunk or a process (a liveness bound, not a timing)."""
SEED = 3
PATHS = 8
"""A run of four chunks of two paths on a one-worker cluster."""
LONGER = 24
"""A run of four chunks of six paths: time to kill its scheduler between two chunks."""
RECONNECT = "2s"
"""How long the client tries to reconnect in the tests of a scheduler that stays gone."""

CLUSTER = """
import sys, time
from distributed import LocalCluster
if __name__ == "__main__":
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                           dashboard_address=":0", scheduler_port=int(sys.argv[1]))
    print(cluster.scheduler_address, flush=True)
    while True:
        time.sleep(1)
"""


@pytest.fixture
def clusters(tmp_path):
    """Start a Dask cluster in a process group of its own with ``start(port=0)`` (0: any
    free port), which returns (process, scheduler address); all are killed at the end."""
    script = tmp_path / "cluster.py"
    script.write_text(CLUSTER)
    started: list[subprocess.Popen] = []

    def start(port: int = 0) -> tuple[subprocess.Popen, str]:
        proc = subprocess.Popen([sys.executable, str(script), str(port)],
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
        started.append(proc)
        address = proc.stdout.readline().strip()
        assert address.startswith("tcp://"), "the cluster did not start"
        return proc, address

    try:
        yield start
    finally:
        for proc in started:
            _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=WAIT_S)


def _on_save(monkeypatch, act) -> None:
    """Call ``act(saves so far)`` after each chunk a run stores."""
    real, count = PartialRun.save, [0]

    def save(self, results):
        real(self, results)
        count[0] += 1
        act(count[0])

    monkeypatch.setattr(PartialRun, "save", save)


def _stored(folder) -> int:
    """Paths stored in a run folder's chunks (their files' names say how many)."""
    return sum(int(f.name.split("-n")[1].split(".")[0]) for f in (folder / CHUNKS).iterdir()
               if f.name.startswith("chunk-"))


def _same_tables(a, b) -> None:
    """Every table of two run folders, read back with pandas, equal bit for bit."""
    tables = load_run(a, tables=()).manifest["tables"]
    assert tables == load_run(b, tables=()).manifest["tables"]
    for table in tables:
        pd.testing.assert_frame_equal(pd.read_parquet(a / f"{table}.parquet"),
                                      pd.read_parquet(b / f"{table}.parquet"), check_exact=True)


def _error_line(err: str) -> str:
    """The command's one ``error:`` line (the console does not wrap it)."""
    [line] = [line for line in err.splitlines() if line.startswith("error:")]
    return line


def test_a_lost_scheduler_ends_in_one_line_and_the_run_resumes_locally(clusters, tiny_yaml,
                                                                       tmp_path):
    """The reproduction: ``creditsim run --scheduler`` whose cluster is killed mid-run; quiet,
    it still says on stderr that it waits for the scheduler (a silent wait looks hung)."""
    cluster, address = clusters()
    runs = tmp_path / "runs"
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": RECONNECT}
    proc = subprocess.Popen(_cli("run", str(tiny_yaml), "--paths", str(LONGER), "--seed",
                                 str(SEED), "--scheduler", address, "--out", str(runs),
                                 "--quiet"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + WAIT_S
        while not list(runs.glob(f"*/{CHUNKS}/chunk-*")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "gave up waiting for a chunk on disk"
            time.sleep(0.02)
        _kill_group(cluster)
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 1, err
    assert "Traceback" not in out + err and "distributed" not in err, err
    [folder] = [p for p in runs.iterdir() if p.is_dir()]
    stored = _stored(folder)
    assert 0 < stored < LONGER and not (folder / MANIFEST).exists()
    assert f"lost the connection to the Dask scheduler at {address}; reconnecting (for up " \
           f"to 2 s)" in err
    assert _error_line(err) == (
        f"error: the Dask scheduler at {address} stopped answering before the paths were "
        f"done (the client could not reconnect within 2 s); no run was written ({stored} of "
        f"{LONGER} paths are kept in {folder}: continue with 'creditsim run --resume "
        f"{folder}', with --scheduler {address} once the scheduler is back, or without it "
        f"to run them locally)")

    assert main(["run", "--resume", str(folder), "--quiet"]) == 0  # locally
    whole = sim.run(load_config(TINY), paths=LONGER, seed=SEED, out=tmp_path / "whole")
    _same_tables(folder, whole.path)


def test_a_scheduler_back_within_the_wait_gets_the_paths_not_done_again(
        clusters, tmp_path, monkeypatch, capsys):
    """A scheduler killed and started again at its address while the client reconnects (a
    network blip): the chunks cancelled with the connection are sent again, and the run
    ends as a run never stopped."""
    cluster, address = clusters()
    port = int(address.rsplit(":", 1)[1])

    def restart(saves: int) -> None:
        if saves == 1:
            _kill_group(cluster)
            clusters(port)

    _on_save(monkeypatch, restart)
    with dask.config.set({"distributed.comm.timeouts.connect": f"{WAIT_S:g}s"}):
        resent = sim.run(load_config(TINY), paths=LONGER, seed=SEED, out=tmp_path / "runs",
                         scheduler=address, progress=True)
    monkeypatch.undo()
    err = " ".join(capsys.readouterr().err.split())
    assert f"lost the connection to the Dask scheduler at {address}; reconnecting" in err
    assert f"reconnected to the Dask scheduler at {address}; sending the " in err
    assert resent.manifest["backend"] == "dask"
    whole = sim.run(load_config(TINY), paths=LONGER, seed=SEED, out=tmp_path / "whole")
    _same_tables(resent.path, whole.path)


def test_ctrl_c_while_the_client_reconnects_keeps_the_paths_done(clusters, tmp_path,
                                                                  monkeypatch):
    """Ctrl-C while the run waits for its lost scheduler: as Ctrl-C at any other time, the
    folder keeps the chunks stored and the error names it."""
    cluster, address = clusters()

    def ctrl_c() -> float:
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.cluster.reconnect_wait", ctrl_c)  # as the wait begins
    _on_save(monkeypatch, lambda saves: _kill_group(cluster) if saves == 1 else None)
    with pytest.raises(RunInterrupted) as info:
        sim.run(load_config(TINY), paths=LONGER, seed=SEED, out=tmp_path / "runs",
                scheduler=address)
    assert info.value.done == _stored(info.value.folder) > 0


def test_a_worker_killed_running_paths_ends_the_run_with_the_paths_kept(tiny_yaml, tmp_path,
                                                                       monkeypatch, capfd):
    """Dask's KilledWorker (here after one death: ``allowed-failures`` 0) ends the command
    in the project's one line naming the paths, what to do, and the folder to resume."""
    from distributed import LocalCluster

    def kill_workers(_saves: int) -> None:  # the worker processes (their nannies run here)
        for child in psutil.Process().children():
            if any("spawn_main" in part for part in child.cmdline()):
                child.kill()

    runs = tmp_path / "runs"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                         dashboard_address=":0") as cluster:
        address = cluster.scheduler_address
        _on_save(monkeypatch, kill_workers)  # at every save, until one is running a chunk
        code = main(["run", str(tiny_yaml), "--paths", str(PATHS), "--seed", str(SEED),
                     "--scheduler", address, "--out", str(runs), "--quiet"])
        monkeypatch.undo()
    err = capfd.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err and "KilledWorker" not in err
    [folder] = [p for p in runs.iterdir() if p.is_dir()]
    kept = PartialRun.open(folder).load()
    line = _error_line(err)
    assert line.startswith("error: a Dask worker died running paths ")
    lost = line.removeprefix("error: a Dask worker died running paths ").split(" ")[0]
    first, last = (int(p) for p in lost.split("-"))
    assert not set(range(first, last + 1)) & set(kept), "named paths that were stored"
    assert f"a worker killed for its memory is the usual cause: {DASK_MEMORY_HINT}" in line
    assert line.endswith(f"; no run was written ({len(kept)} of {PATHS} paths are kept in "
                         f"{folder}: continue with 'creditsim run --resume {folder}', on the "
                         f"cluster again with --scheduler {address} or locally without it)")


def test_a_scheduler_gone_before_the_client_connects_is_one_error(monkeypatch):
    """The scheduler answered the address check, then went before the run's client
    connected: the same one-line error, not the client's timeout traceback."""
    from sim.cluster import Cluster

    def refused(*_args, **_kwargs):
        raise OSError("Timed out trying to connect to tcp://127.0.0.1:1 after 2 s")

    monkeypatch.setattr("distributed.Client", refused)
    with pytest.raises(SchedulerLost, match=r"^the Dask scheduler at tcp://127.0.0.1:1 "
                                            r"stopped answering before the paths were done "
                                            r"\(Timed out trying to connect"), \
            Cluster("tcp://127.0.0.1:1"):
        pass
