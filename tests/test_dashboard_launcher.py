"""The launcher: parameters, refusals with the config's own message, one run at a time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import diskcache
import pytest
from conftest import BASELINE, small_config

from dashboard.data import scan_store
from dashboard.launcher import (
    LaunchRefused,
    LaunchRequest,
    RunGuard,
    build_config,
    check_size,
    knobs_for,
    launch,
    list_configs,
    set_path,
)
from sim.config import ConfigError, load_config


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
    with diskcache.Cache(str(tmp_path / "cache")) as cache:
        yield RunGuard(cache)


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


def test_size_cap(configs):
    cfg = build_config(LaunchRequest(config="small.yaml", paths=1), configs)
    check_size(cfg, 10, cap=10 * cfg.capacity)
    with pytest.raises(LaunchRefused, match="over this server's cap"):
        check_size(cfg, 11, cap=10 * cfg.capacity)
    with pytest.raises(LaunchRefused, match=">= 1"):
        check_size(cfg, 0, cap=10**9)


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


def test_guard_allows_one_holder_and_takes_over_dead_ones(guard):
    assert not guard.busy()
    assert guard.acquire()
    assert guard.busy() and guard.acquire()  # same process: re-entrant
    guard.release()
    assert not guard.busy()
    guard.cache.set("creditsim-dashboard-active-run", os.getppid())  # a live other process
    assert not guard.acquire()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    guard.cache.set("creditsim-dashboard-active-run", int(dead.stdout))
    assert guard.acquire()


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
    guard.cache.set("creditsim-dashboard-active-run", os.getppid())
    with pytest.raises(LaunchRefused, match="another run is in progress"):
        launch(LaunchRequest(config="small.yaml", paths=1), configs=configs,
               runs_root=tmp_path / "runs", guard=guard)
    with pytest.raises(LaunchRefused, match="seed"):
        launch(LaunchRequest(config="small.yaml", paths=1, seed=-1), configs=configs,
               runs_root=tmp_path / "runs", guard=guard)
    assert not (tmp_path / "runs").exists()
