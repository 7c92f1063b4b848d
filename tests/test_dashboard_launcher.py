"""The launcher: parameters, refusals with the config's own message, one run at a time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from conftest import BASELINE, small_config

from dashboard import jobs
from dashboard.data import scan_store
from dashboard.jobs import JobBoard
from dashboard.launcher import (
    MAX_SETTINGS,
    MAX_SETTINGS_CHARS,
    LaunchLimits,
    LaunchRefused,
    LaunchRequest,
    RunGuard,
    build_config,
    check_size,
    estimate,
    knobs_for,
    launch,
    list_configs,
    list_deals,
    set_path,
    settings_lines,
)
from sim.config import ConfigError, load_config

WAIT_S = 300.0
"""Upper bound on waiting for a job (a liveness bound, not a timing)."""


@pytest.fixture()
def configs(tmp_path):
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "baseline.yaml").write_text(BASELINE.read_text())
    shutil.copytree(BASELINE.parent / "deals", folder / "deals")
    (folder / "small.yaml").write_text(
        "base: baseline.yaml\nname: small\nbook: {initial_borrowers: 300, "
        "new_borrowers_per_month: 10, horizon_months: 30}\n")
    return list_configs(folder)


@pytest.fixture()
def guard(tmp_path):
    return RunGuard(tmp_path / "active-run.lock")


def test_list_configs_finds_yaml_files(configs):
    assert list(configs) == ["baseline.yaml", "small.yaml"]


def test_shock_and_book_reach_the_config(configs):
    req = LaunchRequest(config="small.yaml", paths=2, shock=0.06, initial_borrowers=100,
                        horizon_months=26)
    cfg = build_config(req, configs)
    assert cfg.macro.shock.peak_increase == 0.06
    assert (cfg.book.initial_borrowers, cfg.book.horizon_months) == (100, 26)
    assert cfg.name == "small"


def test_bad_values_are_refused_with_the_config_message(configs):
    with pytest.raises(ConfigError, match=r"macro\.shock\.peak_increase = 0\.9"):
        build_config(LaunchRequest(config="small.yaml", paths=1, shock=0.9), configs)
    with pytest.raises(ConfigError, match="not a config"):
        build_config(LaunchRequest(config="../etc/passwd", paths=1), configs)
    with pytest.raises(ConfigError, match="not a key"):
        build_config(LaunchRequest(config="small.yaml", paths=1, knobs={"book.nope": 1}),
                     configs)


def test_size_limit_counts_borrower_months(configs):
    cfg = build_config(LaunchRequest(config="small.yaml", paths=1), configs)
    # 300 borrowers at launch, 10 a month, 30 months: 300 * 30 + 10 * 30 * 29 / 2
    assert estimate(cfg, 1).borrower_months == 9_000 + 4_350
    assert estimate(cfg, 4).borrower_months == 4 * 13_350
    check_size(cfg, 10, LaunchLimits(max_borrower_months=133_500))
    with pytest.raises(LaunchRefused, match="over this server's limit of 133,499"):
        check_size(cfg, 10, LaunchLimits(max_borrower_months=133_499))
    with pytest.raises(LaunchRefused, match=">= 1"):
        check_size(cfg, 0, LaunchLimits())


def test_one_path_of_a_huge_long_book_is_refused(configs):
    """The example of the issue: 1 path, 5 million borrowers, 240 months."""
    req = LaunchRequest(config="small.yaml", paths=1, initial_borrowers=5_000_000,
                        horizon_months=240, knobs={"book.new_borrowers_per_month": 0})
    cfg = build_config(req, configs)
    assert 1 * cfg.capacity <= 5_000_000  # the old cap on paths x borrowers let it pass
    with pytest.raises(LaunchRefused, match="1,200,000,000 borrower-months"):
        check_size(cfg, 1, LaunchLimits())


def test_memory_limit(configs):
    req = LaunchRequest(config="small.yaml", paths=1, initial_borrowers=4_000_000,
                        horizon_months=26, knobs={"book.new_borrowers_per_month": 0})
    cfg = build_config(req, configs)
    size = estimate(cfg, 1)
    assert size.borrower_months == 104_000_000
    assert size.memory_mb > 4_000_000 / 1024  # at least 1 KB a borrower slot
    with pytest.raises(LaunchRefused, match="memory limit of 2,048 MB"):
        check_size(cfg, 1, LaunchLimits(max_borrower_months=10**12))


@pytest.mark.parametrize("paths", [1.5, "2", True, float("nan"), float("inf"), None, {"a": 1}])
def test_paths_that_are_not_whole_numbers_are_refused(configs, paths):
    cfg = build_config(LaunchRequest(config="small.yaml", paths=1), configs)
    with pytest.raises(LaunchRefused, match="paths = .*: give a whole number >= 1"):
        check_size(cfg, paths, LaunchLimits())


def test_limits_are_said_in_words():
    text = LaunchLimits(max_borrower_months=1_000, max_memory_mb=64, timeout_s=90).describe()
    assert text == ("1,000 borrower-months (paths × borrowers × months), an estimated 64 MB "
                    "of memory, and 90 seconds of running time")


def test_knobs_are_the_listed_config_keys():
    cfg = load_config(small_config())
    knobs = {k.key: k for k in knobs_for(cfg)}
    assert list(knobs) == ["collections.collectors.count", "collections.collectors.priority"]
    assert knobs["collections.collectors.count"].value == cfg.collections.collectors.count
    policy = knobs["collections.collectors.priority"]
    assert policy.value in policy.options and "largest_balance" in policy.options
    assert not [k for k in knobs.values() if "notes" in k.key]  # no deal in the baseline


def test_knobs_for_tranche_sizes(monkeypatch):
    import dashboard.launcher as launcher

    class FakeConfig:
        def model_dump(self, mode="json"):
            return {"deal": {"notes": [{"name": "A", "size": 0.8},
                                       {"name": "B", "size": 0.2}]}}

    knobs = launcher.knobs_for(FakeConfig())
    assert [k.key for k in knobs] == ["deal.notes.0.size", "deal.notes.1.size"]
    assert knobs[1].label == "Note B size (share of the pool)"
    assert knobs[0].low == 0.01 and knobs[0].high == 1.0


def test_set_path_walks_lists_and_refuses_unknown_keys():
    data = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    set_path(data, "a.b.1.c", 5)
    assert data["a"]["b"][1]["c"] == 5
    with pytest.raises(ConfigError):
        set_path(data, "a.x", 1)


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from dashboard.launcher import RunGuard
    guard = RunGuard(sys.argv[1])
    assert guard.acquire()
    print("HELD", flush=True)
    time.sleep(600)
""")


def _holder(lock):
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "HELD"
    return proc


def test_guard_allows_one_holder_and_is_freed_when_the_holder_dies(guard):
    assert not guard.busy()
    assert guard.acquire()
    assert guard.busy()
    guard.release()
    assert not guard.busy()
    proc = _holder(guard.lock_path)
    try:
        assert guard.busy() and not guard.acquire()
    finally:
        proc.kill()  # as kill -9: no chance to release
        proc.wait()
    assert not guard.busy() and guard.acquire()
    guard.release()


def test_launch_runs_into_the_store(configs, guard, tmp_path):
    seen = []
    req = LaunchRequest(config="small.yaml", paths=2, seed=3, horizon_months=26)
    run_id = launch(req, configs=configs, runs_root=tmp_path / "runs", guard=guard,
                    on_progress=lambda done, total: seen.append((done, total)))
    listing = scan_store(tmp_path / "runs")
    assert run_id in listing and listing[run_id].paths == 2 and listing[run_id].seed == 3
    assert seen[-1] == (2, 2)
    assert not guard.busy()


def test_launch_refuses_while_another_run_goes(configs, guard, tmp_path):
    proc = _holder(guard.lock_path)
    try:
        with pytest.raises(LaunchRefused, match="another run is in progress"):
            launch(LaunchRequest(config="small.yaml", paths=1), configs=configs,
                   runs_root=tmp_path / "runs", guard=guard)
    finally:
        proc.kill()
        proc.wait()
    with pytest.raises(LaunchRefused, match="seed"):
        launch(LaunchRequest(config="small.yaml", paths=1, seed=-1), configs=configs,
               runs_root=tmp_path / "runs", guard=guard)
    assert not (tmp_path / "runs").exists()


def test_a_launched_run_records_its_config_file_and_overrides(configs, guard, tmp_path):
    req = LaunchRequest(config="small.yaml", paths=1, seed=3, initial_borrowers=200,
                        horizon_months=26)
    run_id = launch(req, configs=configs, runs_root=tmp_path / "runs", guard=guard)
    manifest = json.loads((tmp_path / "runs" / run_id / "manifest.json").read_text())
    assert manifest["config_name"] == "small"
    assert manifest["config_file"] == str(configs["small.yaml"])
    assert manifest["overrides"] == {"book.initial_borrowers": 200, "book.horizon_months": 26}


# -- launched runs as jobs: a spawned process, a time limit, failures reported -------------------

def _board(tmp_path, configs, **limits):
    folder = next(iter(configs.values())).parent
    return JobBoard(tmp_path / "jobs", runs_root=tmp_path / "runs", configs_dir=folder,
                    guard=RunGuard(tmp_path / "lock"), limits=LaunchLimits(**limits))


def _wait_final(board, job):
    deadline = time.monotonic() + WAIT_S
    while True:
        status = board.status(job)
        if status["state"] in ("done", "failed", "refused", "timed-out"):
            return status
        assert time.monotonic() < deadline, f"job still {status['state']}"
        time.sleep(0.2)


def test_a_job_runs_in_a_spawned_process_even_while_a_server_thread_holds_a_lock(configs,
                                                                                tmp_path):
    """A forked job inherits a lock another thread holds, and waits on it forever."""
    board = _board(tmp_path, configs)
    held, release = threading.Event(), threading.Event()

    def hold_status_lock():  # as a server thread that updates a status when the job starts
        with jobs._UPDATES:
            held.set()
            release.wait(WAIT_S)

    thread = threading.Thread(target=hold_status_lock, daemon=True)
    thread.start()
    held.wait()
    try:
        job = board.start(LaunchRequest(config="small.yaml", paths=2, seed=3))
        status = _wait_final(board, job)
    finally:
        release.set()
        thread.join()
    assert status["state"] == "done", status
    assert (status["done"], status["total"]) == (2, 2)
    assert status["run_id"] in scan_store(tmp_path / "runs")


def test_a_job_over_its_time_limit_is_stopped_and_reported(configs, tmp_path):
    board = _board(tmp_path, configs, timeout_s=0.5)
    job = board.start(LaunchRequest(config="small.yaml", paths=50, seed=3))
    status = _wait_final(board, job)
    assert status["state"] == "timed-out"
    assert "time limit of 0.5 s" in status["message"]
    pid = int((tmp_path / "jobs" / f"{job}.pid").read_text())
    assert not psutil_alive(pid)
    assert scan_store(tmp_path / "runs") == {}
    assert not board.guard.busy()  # the lock died with the process


def psutil_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_job_whose_process_is_killed_is_reported_as_failed(configs, tmp_path):
    board = _board(tmp_path, configs)
    job = board.start(LaunchRequest(config="small.yaml", paths=200, seed=3))
    pid_file = tmp_path / "jobs" / f"{job}.pid"
    deadline = time.monotonic() + WAIT_S
    while board.status(job)["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    os.kill(int(pid_file.read_text()), 9)
    status = _wait_final(board, job)
    assert status["state"] == "failed"
    assert "ended unexpectedly" in status["message"]


def test_a_job_is_refused_at_once_when_another_run_goes(configs, tmp_path):
    board = _board(tmp_path, configs)
    proc = _holder(tmp_path / "lock")
    try:
        with pytest.raises(LaunchRefused, match="another run is in progress"):
            board.start(LaunchRequest(config="small.yaml", paths=1))
    finally:
        proc.kill()
        proc.wait()
    with pytest.raises(LaunchRefused, match="borrower-months"):
        _board(tmp_path, configs, max_borrower_months=10).start(
            LaunchRequest(config="small.yaml", paths=1))


def test_old_finished_job_files_are_forgotten(configs, tmp_path):
    board = _board(tmp_path, configs)
    folder = tmp_path / "jobs"
    old, running, recent = (folder / f"{c * 32}.json" for c in "abc")
    jobs.write_status(old, {"state": "done"})
    jobs.write_status(running, {"state": "running"})
    jobs.write_status(recent, {"state": "failed"})
    stamp = time.time() - jobs.KEEP_STATUS_S - 60
    for file in (old, running):
        os.utime(file, (stamp, stamp))
    board._forget_old()
    assert not old.exists() and running.exists() and recent.exists()


@pytest.mark.parametrize("job", ["../../etc/passwd", "x" * 10_000, None, {"a": 1}, 5])
def test_status_of_a_job_id_that_is_not_one(configs, tmp_path, job):
    assert _board(tmp_path, configs).status(job) is None


# -- a deal and KEY=VALUE overrides, as 'creditsim run --deal ... --set ...' ---------------------

def _cli_run(config, out, *options):
    """``creditsim run CONFIG --paths 1 --seed 3 OPTIONS`` into ``out``: (exit code, stdout,
    stderr with its line breaks undone)."""
    import contextlib
    import io

    from sim.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        rc = main(["run", str(config), "--paths", "1", "--seed", "3", "--out", str(out),
                   "--quiet", *options])
    return rc, stdout.getvalue().strip(), " ".join(stderr.getvalue().split())


@pytest.fixture()
def longer(configs):
    """The configs with ``longer.yaml``: small.yaml's book over 40 months, long enough for the
    card_trust deal (bought at month 12, 24 months revolving)."""
    folder = configs["small.yaml"].parent
    (folder / "longer.yaml").write_text("base: small.yaml\nname: longer\n"
                                        "book: {horizon_months: 40}\n")
    return list_configs(folder)


def test_an_override_reaches_the_launched_run(configs, guard, tmp_path):
    """small.yaml has the baseline's two collectors and its baitiao_2015 deal; the launch
    asks for seven collectors and no deal, and nothing else."""
    assert load_config(configs["small.yaml"]).collections.collectors.count == 2
    req = LaunchRequest(config="small.yaml", paths=1, seed=3, deal="none",
                        settings=("collections.collectors.count=7",))
    run_id = launch(req, configs=configs, runs_root=tmp_path / "runs", guard=guard)
    manifest = json.loads((tmp_path / "runs" / run_id / "manifest.json").read_text())
    assert manifest["overrides"] == {"deal": None, "collections.collectors.count": 7}
    assert manifest["config"]["collections"]["collectors"]["count"] == 7
    assert manifest["config"]["deal"] is None
    assert manifest["config_file"] == str(configs["small.yaml"])


def test_a_launch_with_a_deal_and_overrides_is_the_command_lines_run(longer, guard, tmp_path):
    """The same config, deal, settings, seed and paths from the launcher and from
    ``creditsim run``: the same stored config, overrides and results."""
    import pandas as pd

    from sim.store import load_run

    settings = ("book.horizon_months=38", "collections.collectors.count=7",
                "deal.notes.1.size=0.06", "deal.notes.2.size=0.065")
    req = LaunchRequest(config="longer.yaml", paths=1, seed=3, deal="card_trust",
                        settings=settings)
    launched = load_run(tmp_path / "runs" / launch(req, configs=longer,
                                                   runs_root=tmp_path / "runs", guard=guard))
    rc, folder, _ = _cli_run(longer["longer.yaml"], tmp_path / "cli", "--deal",
                             str(longer["longer.yaml"].parent / "deals" / "card_trust.yaml"),
                             *(f"--set={s}" for s in settings))
    assert rc == 0
    typed = load_run(folder)
    assert launched.manifest["config"]["deal"]["name"] == "card-trust"
    assert launched.manifest["overrides"]["deal.notes.1.size"] == 0.06
    for key in ("config", "overrides", "config_file", "seed", "paths"):
        assert launched.manifest[key] == typed.manifest[key], key
    pd.testing.assert_frame_equal(launched.portfolio, typed.portfolio)


@pytest.mark.parametrize("setting", [
    "collections.collectors.cuont=7",  # a key the config does not have
    "collections.collectors.count=seven",  # a value its rules refuse
    "book.horizon_months=-3",
    "collections.collectors.count",  # not KEY=VALUE
])
def test_a_bad_override_is_refused_with_the_command_lines_message_and_no_run_starts(
        configs, tmp_path, setting):
    board = _board(tmp_path, configs)
    with pytest.raises(ConfigError) as refused:
        board.start(LaunchRequest(config="small.yaml", paths=1, settings=(setting,)))
    rc, _, said = _cli_run(configs["small.yaml"], tmp_path / "cli", "--set", setting)
    assert rc == 2
    assert said == "error: " + " ".join(str(refused.value).split())
    assert list((tmp_path / "jobs").iterdir()) == []  # no job was started
    assert not (tmp_path / "runs").exists() and not (tmp_path / "cli").exists()
    assert not board.guard.busy()


def test_shell_text_in_an_override_is_a_value_never_a_command(configs, guard, tmp_path):
    marker = tmp_path / "ran"
    command = f"$(touch {marker}); `touch {marker}` | touch {marker} && rm -rf {tmp_path}"
    req = LaunchRequest(config="small.yaml", paths=1, seed=3, deal="none",
                        settings=(f"description={command}", f"name=x;touch {marker}"))
    run_id = launch(req, configs=configs, runs_root=tmp_path / "runs", guard=guard)
    manifest = json.loads((tmp_path / "runs" / run_id / "manifest.json").read_text())
    assert manifest["config"]["description"] == command
    assert manifest["config"]["name"] == f"x;touch {marker}"
    assert run_id.split("-", 2)[2].startswith("x-touch-")  # the folder name keeps safe characters
    with pytest.raises(ConfigError, match=r"collectors\.count = '\$\(touch"):
        build_config(LaunchRequest(config="small.yaml", paths=1,
                                   settings=(f"collections.collectors.count=$(touch {marker})",)),
                     configs)
    with pytest.raises(ConfigError, match="the config has no key"):
        build_config(LaunchRequest(config="small.yaml", paths=1,
                                   settings=(f";touch {marker};x=1",)), configs)
    assert not marker.exists()


@pytest.mark.parametrize("text", [
    "collections.collectors.count=7\n" * 200_000,  # 6.2 million characters
    "book.initial_borrowers=" + "9" * 1_000_000,
    "description=" + "x" * (MAX_SETTINGS_CHARS - 11),  # one character over
])
def test_an_enormous_overrides_text_is_refused_before_it_is_read(text):
    started = time.perf_counter()
    with pytest.raises(LaunchRefused, match=f"give at most {MAX_SETTINGS} lines and "
                                            f"{MAX_SETTINGS_CHARS:,} characters"):
        settings_lines(text)
    assert time.perf_counter() - started < 1.0


def test_too_many_or_too_long_settings_are_refused_however_they_come(configs):
    def refused(settings):
        with pytest.raises(LaunchRefused) as err:
            build_config(LaunchRequest(config="small.yaml", paths=1, settings=settings), configs)
        return str(err.value)

    assert "51 line(s), 306 characters" in refused(("name=x",) * 51)
    assert "1 line(s), 5,001 characters" in refused(("name=" + "x" * 4_996,))
    for crafted in ("name=x", {"name": "x"}, ("name=x", 5), None):
        assert "give KEY=VALUE texts" in refused(crafted)
    assert settings_lines(" name=x \n\n\t\nseed=4\r\n") == ("name=x", "seed=4")
    assert settings_lines(None) == () and settings_lines("") == ()
    with pytest.raises(LaunchRefused, match="give text"):
        settings_lines(["name=x"])


def test_a_deal_is_chosen_from_the_offered_ones_and_never_read_from_a_path(longer, tmp_path):
    configs, folder = longer, longer["small.yaml"].parent
    assert list(list_deals(folder)) == ["baitiao_2015", "card_trust"]
    (folder / "deals" / "mine.yaml").write_text((folder / "deals" / "card_trust.yaml").read_text()
                                                .replace("name: card-trust", "name: mine"))
    req = LaunchRequest(config="longer.yaml", paths=1, deal="mine")
    assert build_config(req, configs).deal.name == "mine"
    elsewhere = tmp_path / "elsewhere.yaml"  # a valid deal file, outside the offered ones
    elsewhere.write_text((folder / "deals" / "card_trust.yaml").read_text())
    for deal in (str(elsewhere), "../../etc/passwd", "/etc/passwd", {"a": 1}):
        with pytest.raises(ConfigError, match="not a deal offered here; choose one of "
                                              "baitiao_2015, card_trust, mine, or 'none'"):
            build_config(LaunchRequest(config="small.yaml", paths=1, deal=deal), configs)
    for setting in (f"deal={elsewhere}", "deal=/etc/passwd", "deal=card_trust"):
        with pytest.raises(LaunchRefused, match="a deal is not read from a file here"):
            build_config(LaunchRequest(config="small.yaml", paths=1, settings=(setting,)),
                         configs)
    assert build_config(LaunchRequest(config="small.yaml", paths=1, settings=("deal=null",)),
                        configs).deal is None


def test_the_deal_is_applied_first_and_the_overrides_last(longer):
    """As ``creditsim run CONFIG --deal D --set ...``: the deal meets the config file's own
    horizon (card_trust revolves 24 months from month 12: small.yaml's 30 are too few, and
    neither the form nor an override lengthens them first); an override wins over the form."""
    for horizon in (None, 44):
        req = LaunchRequest(config="small.yaml", paths=1, deal="card_trust",
                            horizon_months=horizon, settings=("book.horizon_months=44",))
        with pytest.raises(ConfigError, match=r"(?s)^--deal .*card_trust\.yaml: small: invalid .*"
                                              r"horizon \(book\.horizon_months = 30\)"):
            build_config(req, longer)
    req = LaunchRequest(config="longer.yaml", paths=1, deal="card_trust", horizon_months=44,
                        knobs={"collections.collectors.count": 3},
                        settings=("collections.collectors.count=7",))
    cfg = build_config(req, longer)
    assert (cfg.book.horizon_months, cfg.collections.collectors.count) == (44, 7)
    assert cfg.deal.revolving_months == 24
