"""Kills: no process outlives a killed run, and a killed run never looks complete.

``kill -9`` (or the out-of-memory killer) gives a process no chance to clean up: its
worker processes must notice on their own that their parent is gone, and a run killed
while writing its tables must be left without a manifest (an incomplete run that
``creditsim run --resume`` continues; see ``tests/test_resume.py``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from helpers_engine import cli_command as _cli

from sim.store import CHUNKS, list_runs

WAIT_S = 120.0
"""Upper bound on waiting for a process to appear or go (a liveness bound, not a timing)."""



def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _workers(proc: psutil.Process) -> list[psutil.Process]:
    out = []
    for child in proc.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


def _as_in_a_terminal() -> None:
    """In the child before exec: SIGINT as a shell leaves it (default, not blocked), whatever
    the test process had (an ignored or blocked SIGINT is inherited across exec, and Python
    then never installs its Ctrl-C handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _catches_sigint(proc: psutil.Process) -> bool:
    """Whether ``proc`` has a handler for SIGINT installed (Linux: the SigCgt mask of
    /proc/<pid>/status). The run ignores SIGINT while its workers start, and each worker
    ignores it until its initializer runs: a Ctrl-C sent in that window is lost."""
    try:
        if proc.status() == psutil.STATUS_ZOMBIE:
            return True  # gone: nothing left to interrupt
        status = Path(f"/proc/{proc.pid}/status").read_text()
    except (OSError, psutil.Error):
        return False
    caught = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt"))
    return bool(int(caught, 16) & (1 << (signal.SIGINT - 1)))


def test_kill_9_of_a_two_worker_run_leaves_no_process(tiny_yaml, tmp_path):
    runs = tmp_path / "runs"
    proc = subprocess.Popen(_cli("run", str(tiny_yaml), "--paths", "400", "--workers", "2",
                                 "--quiet", "--out", str(runs)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    family: list[psutil.Process] = []
    try:
        _wait_for(lambda: len(_workers(parent)) >= 2, "two worker processes")
        family = parent.children(recursive=True)
        assert len(family) >= 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        gone, alive = psutil.wait_procs(family, timeout=WAIT_S)
        assert alive == [], f"processes left after kill -9 of the run: {alive}"
    finally:  # never leave a process behind, even when the test fails
        for p in [parent, *family]:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
    assert list_runs(runs) == []


KILLED_WRITE = textwrap.dedent("""
    import sys, time
    import pandas as pd
    from sim.cli import main

    real = pd.DataFrame.to_parquet
    written = []

    def slow(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)
        written.append(path)
        if len(written) == 2:  # two tables are in the temporary folder: wait for the kill
            print("WRITING", flush=True)
            time.sleep(600)

    pd.DataFrame.to_parquet = slow
    sys.exit(main(sys.argv[1:]))
""")


def test_a_kill_during_the_write_leaves_an_incomplete_run_and_no_temporary_file(tiny_yaml,
                                                                                 tmp_path):
    runs = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITE, "run", str(tiny_yaml),
                             "--paths", "1", "--quiet", "--out", str(runs)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline().strip() == "WRITING"
        [killed] = list(runs.iterdir())
    finally:
        proc.kill()
        proc.wait()
    assert not (killed / "manifest.json").exists()  # tables are written before the manifest
    assert list_runs(runs) == []  # a folder never looks complete when it is not
    done = subprocess.run(_cli("run", str(tiny_yaml), "--paths", "1", "--quiet", "--out",
                               str(runs)), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    stored = list_runs(runs)
    assert len(stored) == 1 and stored[0]["run_id"] != killed.name
    leftovers = [p for p in runs.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []  # every file was written whole, through a renamed temporary
    resumed = subprocess.run(_cli("run", "--resume", str(killed), "--quiet"),
                             capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr  # the killed run's path was kept
    assert len(list_runs(runs)) == 2


def test_ctrl_c_after_the_run_was_stored_says_it_is_complete(tiny_yaml, tmp_path, monkeypatch,
                                                             capsys):
    import sim.cli
    import sim.cli_run

    def interrupted(_run):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.cli_run, "_print_summary", interrupted)
    runs = tmp_path / "runs"
    assert sim.cli.main(["run", str(tiny_yaml), "--paths", "1", "--out", str(runs)]) == 130
    err = capsys.readouterr().err
    stored = list_runs(runs)
    assert len(stored) == 1
    assert "interrupted after the run was stored" in err and stored[0]["run_id"] in err
    assert "no run was written" not in err


def test_ctrl_c_during_a_two_worker_run_says_no_run_was_written(tiny_yaml, tmp_path):
    runs = tmp_path / "runs"
    proc = subprocess.Popen(_cli("run", str(tiny_yaml), "--paths", "400", "--workers", "2",
                                 "--quiet", "--out", str(runs)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_as_in_a_terminal)
    parent = psutil.Process(proc.pid)
    family: list[psutil.Process] = []
    try:
        _wait_for(lambda: len(_workers(parent)) >= 2, "two worker processes")
        _wait_for(lambda: all(map(_catches_sigint, [parent, *_workers(parent)])),
                  "the run and its workers to handle Ctrl-C")
        family = parent.children(recursive=True)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        _, err = proc.communicate(timeout=WAIT_S)
        gone, alive = psutil.wait_procs(family, timeout=WAIT_S)
    finally:
        for p in [parent, *family]:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
    assert proc.returncode == 130
    assert "interrupted before the run was stored; no run was written" in err
    assert "Traceback" not in err
    assert alive == []
    assert not runs.exists() or list_runs(runs) == []


def test_a_stopped_pool_leaves_no_thread_for_the_interpreters_exit():
    """Interrupted, the local pool's managing thread has finished before the error goes on.

    Left running, it closes its wake-up pipe while the interpreter's exit hook writes to it
    (Python 3.11), and a Ctrl-C'd run ends with an "OSError: Bad file descriptor" traceback
    after its own message; rare, so the test looks at the thread, not at the message.
    """
    from concurrent.futures.process import _ExecutorManagerThread

    from helpers_engine import tiny_config

    from sim.montecarlo import _run_local

    def stop(_results):
        raise KeyboardInterrupt

    config = tiny_config()
    try:
        _run_local(2, config, 1, [[0], [1], [2], [3]], (), stop)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interruption did not reach the caller")
    left = [t for t in threading.enumerate()
            if isinstance(t, _ExecutorManagerThread) and t.is_alive()]
    assert left == []


def test_ctrl_c_before_any_path_finished_names_the_folder_left(capsys):
    """The folder with only progress.json stays; the message says so and how to use it."""
    from sim.cli import _interrupted
    from sim.store import RunInterrupted

    _interrupted(RunInterrupted(Path("runs/r0"), 0, 40))
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("interrupted before the run was stored; no run was written")
    assert "no path had finished; runs/r0 holds only the run's settings" in err
    assert "'creditsim run --resume runs/r0' starts it again, or delete it" in err
    _interrupted(RunInterrupted(Path("runs/r1"), 3, 40))
    err = " ".join(capsys.readouterr().err.split())
    assert "(3 of 40 paths are kept in runs/r1: continue with" in err


def _ignoring_sigint() -> None:
    """In the child before exec: SIGINT ignored, as a script's shell leaves a command it
    starts in the background (``cmd &``) or ``nohup`` does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunk_stored(runs: Path) -> bool:
    """Whether a run in the store ``runs`` has stored a chunk of paths."""
    return any(f.name.startswith("chunk-") for f in runs.glob(f"*/{CHUNKS}/*"))


def _stop_all(procs: list[psutil.Process]) -> None:
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def _stopped_mid_run(tiny_yaml: Path, runs: Path,
                     stop: Callable[[subprocess.Popen, psutil.Process], None],
                     paths: int = 400, preexec: Callable[[], None] = _as_in_a_terminal
                     ) -> tuple:
    """Start a two-worker run of ``paths`` paths into ``runs`` in a session of its own
    (``preexec`` sets its signals), call ``stop(proc, parent)`` once a chunk is on disk, and
    return (exit code, stdout, stderr, processes of the run still alive)."""
    proc = subprocess.Popen(_cli("run", str(tiny_yaml), "--paths", str(paths), "--workers",
                                 "2", "--quiet", "--out", str(runs)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=preexec)
    parent = psutil.Process(proc.pid)
    family: list[psutil.Process] = []
    try:
        _wait_for(lambda: _chunk_stored(runs) or proc.poll() is not None, "a chunk on disk")
        family = parent.children(recursive=True)
        assert proc.poll() is None and list_runs(runs) == [], "ended before it was stopped"
        stop(proc, parent)
        out, err = proc.communicate(timeout=WAIT_S)
        _, alive = psutil.wait_procs(family, timeout=WAIT_S)
    finally:
        _stop_all([parent, *family])
    return proc.returncode, out, err, alive


def test_a_run_that_ignores_ctrl_c_keeps_its_workers_ignoring_it(tiny_yaml, tmp_path):
    """A run started in the background ignores Ctrl-C sent to its process group; its workers
    did not, so the run lost them and ended with a ``BrokenProcessPool`` traceback."""
    runs = tmp_path / "runs"

    def ctrl_c(proc: subprocess.Popen, parent: psutil.Process) -> None:
        workers = _workers(parent)
        assert len(workers) == 2 and not any(map(_catches_sigint, workers))
        os.killpg(proc.pid, signal.SIGINT)

    code, out, err, _ = _stopped_mid_run(tiny_yaml, runs, ctrl_c, paths=60,
                                         preexec=_ignoring_sigint)
    assert code == 0, err
    assert "Traceback" not in err
    [stored] = list_runs(runs)
    assert out.strip().endswith(stored["run_id"])


def test_a_worker_killed_mid_run_is_reported_with_the_folder_to_resume(tiny_yaml, tmp_path):
    """A worker killed from outside (``kill -9``, the out-of-memory killer) ends the run
    with one message, the signal and where the paths done are kept; never a traceback."""
    runs = tmp_path / "runs"
    code, _, err, alive = _stopped_mid_run(
        tiny_yaml, runs, lambda _proc, parent: os.kill(_workers(parent)[0].pid, signal.SIGKILL))
    assert code == 1, err
    assert "a worker process ended before its paths were done (signal SIGKILL" in err
    assert "continue with 'creditsim run --resume" in err and "Traceback" not in err
    assert alive == [] and list_runs(runs) == []


PATCHED_RUN = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})  # the workers take the command's path: they import it too
    import sim.bench, sim.breakeven, sim.montecarlo, sim.validation.core
    from concurrent.futures import ProcessPoolExecutor
    import helpers_kill
    from sim.cli import main

    {patch}
    sys.exit(main(sys.argv[1:]))
""")


def _patched_command(patch: str, argv: list[str], workers: int = 2) -> tuple:
    """``creditsim *argv`` in a process that runs ``patch`` first (``helpers_kill`` and the
    modules with workers imported); returns (exit code, stderr, processes of the command
    still alive). A command that does not end within :data:`WAIT_S` fails the test."""
    script = PATCHED_RUN.format(tests=str(Path(__file__).parent), patch=patch)
    proc = subprocess.Popen([sys.executable, "-c", script, *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    parent = psutil.Process(proc.pid)
    family: list[psutil.Process] = []
    try:
        _wait_for(lambda: len(_workers(parent)) >= workers or proc.poll() is not None,
                  f"{workers} worker process(es)")
        try:
            family = parent.children(recursive=True)
        except psutil.NoSuchProcess:  # it ended already, and its workers before it
            family = []
        _, err = proc.communicate(timeout=WAIT_S)
        _, alive = psutil.wait_procs(family, timeout=WAIT_S)
    finally:
        _stop_all([parent, *family])
    return proc.returncode, err, alive


def _patched_run(patch: str, tiny_yaml: Path, runs: Path, paths: int) -> tuple:
    """A two-worker ``creditsim run`` of ``paths`` paths into ``runs``, patched as
    :func:`_patched_command` does."""
    return _patched_command(patch, ["run", str(tiny_yaml), "--paths", str(paths), "--workers",
                                    "2", "--quiet", "--out", str(runs)])


def test_a_worker_killed_while_sending_its_results_is_reported_with_the_folder_to_resume(
        tiny_yaml, tmp_path):
    """A moment a kill from outside can hit, since a chunk's results fill the pipe to the
    run several times over: the pool's managing thread then waited for the rest of the
    message forever (Python 3.11's ``ProcessPoolExecutor``), and so did the run. It ends
    with its message, and the chunks it stored continue to a complete run."""
    runs = tmp_path / "runs"
    code, err, alive = _patched_run(
        "sim.montecarlo._simulate_chunk = helpers_kill.chunk_then_killed_sending", tiny_yaml,
        runs, 400)
    assert code == 1, err
    assert "a worker process ended before its paths were done (signal SIGKILL" in err
    assert "continue with 'creditsim run --resume" in err and "Traceback" not in err
    assert alive == [] and list_runs(runs) == []
    [folder] = list(runs.iterdir())
    assert [p for p in runs.rglob("*") if p.name.startswith(".tmp-")] == []
    resumed = subprocess.run(_cli("run", "--resume", str(folder), "--quiet"),
                             capture_output=True, text=True, check=False, timeout=WAIT_S)
    assert resumed.returncode == 0, resumed.stderr
    assert [r["run_id"] for r in list_runs(runs)] == [folder.name]


def test_a_worker_killed_as_the_pool_stops_leaves_a_complete_run(tiny_yaml, tmp_path):
    """Every result in, a worker killed as the pool stops, holding the lock of the queue of
    chunks: a graceful shutdown waited forever for the other, which waits for that lock
    (Python 3.11's ``ProcessPoolExecutor``); the run is stored as if nothing happened."""
    runs = tmp_path / "runs"
    code, err, alive = _patched_run(
        "ProcessPoolExecutor.shutdown = helpers_kill.killed_at_shutdown", tiny_yaml, runs, 40)
    assert code == 0, err
    assert "Traceback" not in err
    assert alive == [] and len(list_runs(runs)) == 1


def test_sigterm_stops_a_run_as_ctrl_c_does_saying_where_the_paths_are_kept(tiny_yaml,
                                                                            tmp_path):
    """``kill`` (SIGTERM) of the run: it stops its workers and says what it kept, as after
    Ctrl-C, instead of ending without a word."""
    runs = tmp_path / "runs"
    code, _, err, alive = _stopped_mid_run(tiny_yaml, runs, lambda proc, _parent: proc.terminate())
    assert code == 130, err
    assert "interrupted before the run was stored; no run was written" in err
    assert "continue with 'creditsim run --resume" in err and "Traceback" not in err
    assert alive == [] and list_runs(runs) == []


def _one_clear_line(err: str, lost: str) -> None:
    """``err`` is the command's one error: the worker's signal, what to do, what was lost."""
    said = " ".join(err.split())
    assert "Traceback" not in err, err
    assert said.startswith("error: a worker process ended before its "), err
    assert "(signal SIGKILL; SIGKILL is what the system's out-of-memory killer sends: " in said
    assert said.endswith(lost), err


def test_a_breakeven_worker_killed_while_sending_its_result_ends_with_one_clear_error(
        tiny_deal_config):
    """The shock search's workers: a plain pool waited forever for the rest of the
    killed worker's message, and the command with it."""
    code, err, alive = _patched_command(
        "sim.breakeven_shock._shock_path = helpers_kill.shock_path_then_killed_sending",
        ["breakeven", str(tiny_deal_config), "--only", "shock", "--paths", "3", "--workers",
         "2", "--quiet"])
    assert code == 1, err
    _one_clear_line(err, "fewer --workers need less memory); no breakeven was computed")
    assert alive == []


def test_a_validation_worker_killed_while_sending_its_result_ends_with_one_clear_error(
        tmp_path):
    """A check's paths on workers (``map_paths``): as for breakeven, a plain pool hung."""
    report = tmp_path / "validation.md"
    code, err, alive = _patched_command(
        "sim.validation.core._call = helpers_kill.call_then_killed_sending",
        ["validate", "--only", "collector_queue", "--paths", "3", "--workers", "2",
         "--no-progress", "--out", str(report)])
    assert code == 1, err
    _one_clear_line(err, "; the validation stopped and wrote no report")
    assert alive == [] and not report.exists()


def test_a_bench_process_killed_ends_the_bench_with_one_clear_error():
    """Each measurement's fresh process: a plain pool ended with a ``BrokenProcessPool``
    traceback."""
    code, err, alive = _patched_command(
        "sim.bench._time_path = helpers_kill.time_path_killed",
        ["bench", "--sizes", "200", "--months", "30", "--reference-size", "40",
         "--waterfall-paths", "50", "--quiet"], workers=1)
    assert code == 1, err
    _one_clear_line(err, "smaller --sizes or --reference-size need less memory); the bench "
                         "stopped and reported nothing")
    assert alive == []
