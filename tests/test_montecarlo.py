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
        def run(*args, **_options):  # say=...: what a Dask run says when it waits
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
    printed = capsys.readouterr()  # no terminal here: plain progress lines on stderr
    out = " ".join((printed.out + printed.err).split())
    if progress:  # said before the progress, which starts after
        assert out.index(COMPILING) < out.index(COMPILED.split("{")[0]) < out.index("1 of 2 path")
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


def test_the_warm_up_also_compiles_the_parts_of_the_model_the_config_leaves_off(monkeypatch):
    """A cold cache is warmed for every config, not only the run's: a later run with the
    vehicle or early warning on must not compile during its paths, nor say again that it
    compiles (:func:`sim.kernelstate.kernels_cold` counts every kernel)."""
    import sim.montecarlo as mc
    from sim.montecarlo import WARM_UP_BORROWERS, full_model_warm_up, warm_kernels

    ran = []
    monkeypatch.setattr(mc, "simulate_path", lambda config, seed, path: ran.append(config))
    monkeypatch.setattr("sim.kernelstate.kernels_cold", lambda: True)  # still cold after
    warm_kernels(tiny_config())
    full = full_model_warm_up()
    assert ran == [tiny_config(), full]
    ran.clear()  # a config with every part on: warm after its own path, no second one
    monkeypatch.setattr("sim.kernelstate.kernels_cold", lambda: False)
    warm_kernels(full)
    assert ran == [full]
    assert full.book.initial_borrowers == WARM_UP_BORROWERS
    assert full.deal is not None and full.early_warning.enabled
    assert full.collections.collectors.count > 0 and full.collections.hardship.enabled


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain(clock: Clock):  # noqa: ANN201 - (PlainProgress, its output)
    import io

    from rich.console import Console

    from sim.montecarlo import PlainProgress

    file = io.StringIO()
    return PlainProgress(Console(file=file, width=200), clock=clock, every_s=60), file


def test_plain_progress_says_each_tenth_with_an_eta_and_the_end():
    clock = Clock()
    bar, file = plain(clock)
    with bar:
        task = bar.add_task("baseline", total=100)
        for done in range(1, 101):
            clock.now += 3.0  # 3 s a path: never a minute between two tenths
            bar.update(task, completed=done)
    lines = file.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[0] == "baseline: 1 of 100 paths (1%), 0:00:03 elapsed, ETA 0:04:57"
    assert lines[1] == "baseline: 10 of 100 paths (10%), 0:00:30 elapsed, ETA 0:04:30"
    assert lines[-1] == "baseline: 100 of 100 paths (100%), 0:05:00 elapsed"


def test_plain_progress_speaks_at_least_once_a_minute_then_less_often():
    clock = Clock()
    bar, file = plain(clock)
    task = bar.add_task("long", total=10_000, completed=2_000)  # a resumed run: 2,000 kept
    for done in range(2_001, 2_041):  # 40 paths at 20 s a path: no tenth crossed
        clock.now += 20.0
        bar.update(task, completed=done)
    lines = file.getvalue().splitlines()
    # the first path, then a line when a minute has passed, then when a tenth of the time
    # elapsed has: 60 s, 120, 180, ... until elapsed / 10 exceeds a minute (after 600 s)
    assert lines[0] == "long: 2,001 of 10,000 paths (20%), 0:00:20 elapsed, ETA 44:26:20"
    assert lines[1] == "long: 2,004 of 10,000 paths (20%), 0:01:20 elapsed, ETA 44:25:20"
    elapsed = [sum(int(x) * 60 ** i for i, x in enumerate(reversed(
        line.split(", ")[1].split()[0].split(":")))) for line in lines]
    gaps = [b - a for a, b in zip(elapsed[1:], elapsed[2:], strict=False)]
    assert gaps[:8] == [60] * 8  # once a minute for the first ten minutes
    assert gaps[-1] == 80 and len(lines) == 13  # then a tenth of the time elapsed


def test_progress_into_a_file_is_plain_lines_and_a_terminal_keeps_the_bar():
    import io

    from rich.console import Console
    from rich.progress import Progress

    from sim.montecarlo import PlainProgress, progress_bar

    assert isinstance(progress_bar(Console(file=io.StringIO())), PlainProgress)
    assert isinstance(progress_bar(Console(file=io.StringIO(), force_terminal=True)), Progress)
    assert isinstance(progress_bar(Console(file=io.StringIO()), disable=True), Progress)


def test_a_run_without_a_terminal_prints_progress_lines_before_the_end(capsys):
    lines = []
    run_paths(tiny_config(), 3, seed=1, progress=True,
              on_progress=lambda done, total: lines.append(capsys.readouterr().err))
    said = "".join(lines)
    assert "1 of 3 paths (33%)" in said and "2 of 3 paths (67%)" in said  # as they finish
    assert "3 of 3 paths (100%)" in said


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


def test_a_run_with_a_deal_is_the_same_on_one_or_two_workers_and_on_dask(tiny_deal_config):
    """Every table of a run with the vehicle and its waterfall (notes, waterfall, pool and
    the rest), exactly, whatever runs the paths."""
    from distributed import LocalCluster

    one = sim.run(tiny_deal_config, paths=3, seed=21, workers=1, out=None)
    two = sim.run(tiny_deal_config, paths=3, seed=21, workers=2, out=None)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        dask = sim.run(tiny_deal_config, paths=3, seed=21, scheduler=cluster.scheduler_address,
                       out=None)
    assert {"notes", "waterfall", "pool", "note_metrics"} <= set(one.tables)
    assert one["notes"]["principal_paid"].sum() > 0
    for other in (two, dask):
        assert set(other.tables) == set(one.tables)
        for name in one.tables:
            assert_frame_equal(one[name], other[name], check_exact=True)


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
