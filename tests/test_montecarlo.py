"""The Monte Carlo runner: path order, progress, and results independent of the workers."""

from __future__ import annotations

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


@pytest.mark.parametrize(("cold", "progress", "said"),
                         [(True, True, True), (False, True, False), (True, False, False)])
def test_a_cold_kernel_cache_is_announced_before_the_bar(cold, progress, said, monkeypatch,
                                                         capsys):
    """The first run on a machine compiles for a minute or two: one line says so, unless
    the run is quiet; a warm cache says nothing."""
    from sim.montecarlo import COMPILING

    monkeypatch.setattr("sim.kernelstate.kernels_cold", lambda: cold)
    run_paths(tiny_config(), 1, seed=1, progress=progress)
    out = " ".join(capsys.readouterr().out.split())
    assert (COMPILING in out) is said
    if said:
        assert out.index(COMPILING) < out.index("paths")  # before the bar, not after


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
