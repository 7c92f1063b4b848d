"""The Monte Carlo runner: path order, progress, and results independent of the workers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from helpers_engine import tiny_config
from pandas.testing import assert_frame_equal

import sim
from sim.engine import simulate_path
from sim.montecarlo import default_workers, run_paths


def same_result(a, b) -> bool:
    return (a.path == b.path and a.monthly.keys() == b.monthly.keys()
            and all(np.array_equal(a.monthly[k], b.monthly[k]) for k in a.monthly)
            and all(np.array_equal(a.vintages[k], b.vintages[k]) for k in a.vintages))


def test_paths_come_back_in_order_and_equal_single_path_runs():
    config = tiny_config()
    results = run_paths(config, 3, seed=5)
    assert [r.path for r in results] == [0, 1, 2]
    for r in results:
        assert same_result(r, simulate_path(config, 5, r.path))


def test_a_path_does_not_depend_on_how_many_paths_run():
    config = tiny_config()
    few, many = run_paths(config, 2, seed=9), run_paths(config, 4, seed=9)
    assert all(same_result(a, b) for a, b in zip(few, many[:2], strict=True))
    assert not np.array_equal(many[0].monthly["new_purchases"], many[1].monthly["new_purchases"])


def test_progress_is_reported_up_to_the_total():
    seen = []
    run_paths(tiny_config(), 3, seed=1, on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


@pytest.fixture
def steps(monkeypatch):
    """What run_paths does, in order: "cold?" (the cache is asked), "warm" (the kernels are
    compiled here), "path N" (a path runs in this process), "pool" and "dask" (the paths go
    to local workers or a cluster). The cache's state is set through ``steps.cold``."""
    import sim.montecarlo as mc

    log: list[str] = []
    state = {"cold": True}

    def cold() -> bool:
        log.append("cold?")
        return state["cold"]

    def chunk(config, seed, paths, trace):
        log.extend(f"path {p}" for p in paths)
        return [simulate_path(config, seed, p, trace) for p in paths]

    def elsewhere(name):
        def run(*args):
            log.append(name)
            *_, chunks, trace, done = args
            config, seed = args[1], args[2]
            for c in chunks:
                done(chunk(config, seed, c, trace))
        return run

    monkeypatch.setattr("sim.kernelstate.kernels_cold", cold)
    monkeypatch.setattr(mc, "warm_kernels", lambda config: log.append("warm"))
    monkeypatch.setattr(mc, "_simulate_chunk", chunk)
    monkeypatch.setattr(mc, "_run_local", elsewhere("pool"))
    monkeypatch.setattr(mc, "_run_dask", elsewhere("dask"))
    return SimpleNamespace(log=log, set_cold=lambda value: state.update(cold=value))


@pytest.mark.parametrize("progress", [True, False])
def test_a_cold_cache_is_compiled_once_before_the_first_path(steps, progress, capsys):
    """The first path would compile for a minute or two and the bar's ETA would take that
    for the pace of every path: the kernels compile first, once, then the paths run."""
    from sim.montecarlo import COMPILED, COMPILING

    run_paths(tiny_config(), 2, seed=1, progress=progress)
    assert steps.log == ["cold?", "warm", "path 0", "path 1"]
    out = " ".join(capsys.readouterr().out.split())
    if progress:  # said before the bar, which starts after
        assert out.index(COMPILING) < out.index(COMPILED.split("{")[0]) < out.index("paths")
    else:
        assert out == ""


def test_a_warm_cache_is_not_compiled_again_and_nothing_is_said(steps, capsys):
    from sim.montecarlo import COMPILING

    steps.set_cold(False)
    run_paths(tiny_config(), 2, seed=1, progress=True)
    assert steps.log == ["cold?", "path 0", "path 1"]
    assert COMPILING not in " ".join(capsys.readouterr().out.split())


def test_local_workers_find_the_kernels_compiled_by_the_parent(steps):
    run_paths(tiny_config(), 4, seed=1, workers=2)
    assert steps.log[:3] == ["cold?", "warm", "pool"]


def test_a_dask_cluster_compiles_on_its_own_machines(steps, capsys):
    run_paths(tiny_config(), 2, seed=1, scheduler="tcp://127.0.0.1:8786", progress=True)
    assert steps.log == ["dask", "path 0", "path 1"]  # the cache here is not even asked
    assert "compil" not in capsys.readouterr().out


def test_a_resumed_run_with_every_path_done_compiles_nothing(steps):
    config = tiny_config()
    done = {p: simulate_path(config, 1, p) for p in range(2)}
    steps.log.clear()
    run_paths(config, 2, seed=1, done=done)
    assert steps.log == []


def test_the_warm_up_path_keeps_the_rules_and_shrinks_the_book():
    from sim.montecarlo import WARM_UP_BORROWERS, warm_up_config

    config = sim.load_config("configs/baseline.yaml")
    small = warm_up_config(config)
    assert small.book.initial_borrowers == WARM_UP_BORROWERS
    assert small.book.horizon_months == config.book.horizon_months
    assert small.model_dump(exclude={"book"}) == config.model_dump(exclude={"book"})
    tiny = tiny_config()
    assert warm_up_config(tiny) is tiny  # already small: the config itself


@pytest.mark.parametrize(("paths", "workers"), [(0, 1), (2, 0)])
def test_bad_path_or_worker_counts_are_rejected(paths, workers):
    with pytest.raises(ValueError, match="at least 1"):
        run_paths(tiny_config(), paths, seed=1, workers=workers)


def test_traced_borrowers_appear_in_every_path():
    results = run_paths(tiny_config(), 2, seed=2, trace_ids=[3])
    for r in results:
        assert {row["borrower"] for row in r.trace} == {3}
        assert {row["path"] for row in r.trace} == {r.path}


def test_same_seed_gives_identical_tables():
    config = tiny_config()
    a = sim.run(config, paths=2, seed=8, out=None)
    b = sim.run(config, paths=2, seed=8, out=None)
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        assert_frame_equal(a[name], b[name], check_exact=True)
    c = sim.run(config, paths=2, seed=9, out=None)
    assert not c.portfolio["new_purchases"].equals(a.portfolio["new_purchases"])


def test_one_or_two_workers_give_identical_tables():
    config = tiny_config()
    one = sim.run(config, paths=4, seed=12, workers=1, out=None)
    two = sim.run(config, paths=4, seed=12, workers=2, out=None)
    assert two.manifest["backend"] == "local-processes"
    for name in one.tables:
        assert_frame_equal(one[name], two[name], check_exact=True)


def test_default_workers_is_at_least_one():
    assert default_workers() >= 1


def test_a_dask_cluster_gives_the_same_paths_as_one_process():
    from distributed import LocalCluster

    config = tiny_config()
    local = run_paths(config, 3, seed=4)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        remote = run_paths(config, 3, seed=4, scheduler=cluster.scheduler_address)
    assert all(same_result(a, b) for a, b in zip(local, remote, strict=True))
