"""Tests of sim.estimate: the cost of a large run, said before it starts."""

from __future__ import annotations

import json

import pytest

from sim.cli import main
from sim.config import load_config
from sim.estimate import LARGE_SLOT_MONTHS, estimate_run, slot_months
from sim.shipped import resolve_config


@pytest.fixture(scope="module")
def baseline():
    return load_config(resolve_config("baseline"))


def test_slot_months_count_each_borrower_from_joining_to_the_horizon(baseline):
    # 10,000 at launch for 60 months, then 250 a month for 59, 58, ..., 1 months
    assert slot_months(baseline, 1) == 10_000 * 60 + 250 * (59 * 60 // 2)
    assert slot_months(baseline, 7) == 7 * slot_months(baseline, 1)


def test_a_small_run_is_not_announced(baseline):
    assert slot_months(baseline, 60) < LARGE_SLOT_MONTHS
    assert estimate_run(baseline, 60) is None


def test_without_stored_runs_the_idle_machines_speed_is_the_basis_and_says_so(baseline,
                                                                             tmp_path):
    est = estimate_run(baseline, 100_000, 1, tmp_path)
    assert est is not None and est.slot_months == 100_000 * slot_months(baseline, 1)
    assert est.seconds == pytest.approx(est.slot_months / 2.5e6)
    assert est.disk_bytes == pytest.approx(2_100 * 100_000 * 60)
    text = " ".join(est.text().split())
    assert "100,000 paths" in text and "with 1 worker, about 366.9 MB of memory a worker" in text
    assert "an idle machine's speed (docs/BENCHMARKS.md); a busy machine is slower" in text
    assert "11.6 h" in text and "at 2.5 M borrower-months/s a worker" in text
    assert "12.6 GB" in text


def test_stored_runs_give_the_speed_and_size_measured_here(baseline, tmp_path):
    run = tmp_path / "20261201-000000-baseline-s1"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({
        "timings": {"simulate_s": 100.0}, "config": {"book": {"horizon_months": 10}},
        "borrower_months": 5_000_000, "paths": 4, "workers": 1}))
    (run / "paths.parquet").write_bytes(b"x" * (4_000 - len((run / "manifest.json")
                                                           .read_bytes())))
    est = estimate_run(baseline, 100_000, 1, tmp_path)
    assert est is not None
    assert est.seconds == pytest.approx(est.slot_months / 50_000)  # 5 M in 100 s
    assert est.disk_bytes == pytest.approx(100 * 100_000 * 60)  # 4,000 bytes / 40 path-months
    assert f"the median of 1 run in {tmp_path}" in " ".join(est.text().split())


def test_the_command_says_the_estimate_before_the_run(monkeypatch, capsys, tmp_path):
    def stop(*_args, **_kwargs):
        raise ValueError("stopped before the run")

    monkeypatch.setattr("sim.run", stop)
    assert main(["run", "baseline", "--paths", "100000", "--out", str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.index("estimate: 100,000 paths") < err.index("stopped before the run")
    assert main(["run", "baseline", "--paths", "100000", "--out", str(tmp_path),
                 "--quiet"]) == 2
    assert "estimate" not in capsys.readouterr().err


def test_memory_grows_with_the_books_slots_and_a_run_too_large_for_the_machine_is_told(
        baseline, tmp_path, monkeypatch):
    """A worker's peak is the fitted 355 MB + 482 bytes a slot (docs/BENCHMARKS.md); the
    workers together are compared with the machine's memory."""
    import sim.estimate

    big = baseline.model_copy(update={"book": baseline.book.model_copy(
        update={"initial_borrowers": 1_000_000, "new_borrowers_per_month": 25_000})})
    monkeypatch.setattr(sim.estimate, "machine_memory", lambda: 24e9)
    est = estimate_run(big, 1_000, 2, tmp_path)
    assert est is not None
    assert est.worker_bytes == pytest.approx(355e6 + 482 * big.capacity)
    text = " ".join(est.text().split())
    assert "about 1.5 GB of memory a worker (3.1 GB in all of this machine's 24.0 GB)" in text
    assert "more than this machine" not in text
    monkeypatch.setattr(sim.estimate, "machine_memory", lambda: 3e9)
    text = " ".join(estimate_run(big, 1_000, 2, tmp_path).text().split())
    assert "more than this machine can hold with room to spare; fewer --workers need less" in text
