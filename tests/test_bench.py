"""``creditsim bench``: what it measures, on tiny books (no assertion on any time)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rich.console import Console

from sim import bench
from sim.bench import BenchResult, Measure, bench_tables, make_collections, state_bytes
from sim.cli import main
from sim.engine import PathSimulation, simulate_path

TINY = ["--sizes", "200", "300", "--months", "30", "--reference-size", "40",
        "--waterfall-paths", "50", "--quiet"]


def test_bench_json_reports_every_key_from_real_paths(capsys):
    assert main(["bench", "--json", *TINY]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("borrower_months_per_s", "borrower_months_per_s_10k",
                "reference_borrower_months_per_s", "speedup", "bytes_per_borrower",
                "waterfall_path_periods_per_s"):
        assert key in out
    assert out["borrower_months_per_s_size"] == 300  # no 100k book: the largest measured
    assert out["borrower_months_per_s_10k"] is None  # not measured, not made up
    engine = {m["borrowers"]: m for m in out["engine"]}
    assert sorted(engine) == [200, 300]
    for size, m in engine.items():  # the counted borrower-months are the path's own
        path = simulate_path(bench.bench_config(size, 30), 1, 0)
        assert m["borrower_months"] == int(path.monthly["active_borrowers"].sum())
        assert m["borrower_months_per_s"] == pytest.approx(m["borrower_months"] / m["seconds"])
        assert m["borrower_months_per_cpu_s"] == pytest.approx(m["borrower_months"]
                                                               / m["cpu_seconds"])
        assert m["peak_rss_mb"] > 0
    assert out["borrower_months_per_s"] == engine[300]["borrower_months_per_s"]
    if out["reference"] is None:
        assert out["speedup"] is None and "reference engine" in out["reference_note"]
    else:
        assert out["speedup"] == pytest.approx(out["borrower_months_per_s"]
                                               / out["reference_borrower_months_per_s"])
    assert out["bytes_per_borrower"] == pytest.approx(
        sum(out["state_bytes_per_borrower_by_part"].values()))
    assert out["waterfall_shape"] == [50, 60, 3]
    assert out["waterfall_path_periods_per_s"] > 0
    assert out["machine"]["cores"] >= 1


def test_headline_speedup_and_keys_from_hand_made_measures():
    result = BenchResult(config="c", months=12, engine=[
        Measure("vectorised", 10_000, 1_000, 2.0, 1.0),   # 500 borrower-months/s
        Measure("vectorised", 100_000, 10_000, 2.0, 1.0),  # 5,000
        Measure("vectorised", 1_000_000, 90_000, 30.0, 1.0),  # 3,000
    ], reference=Measure("reference", 100, 100, 1.0, 1.0),  # 100
        bytes_per_borrower=300.0, waterfall_seconds=0.5, waterfall_shape=(100, 60, 3))
    out = result.as_json()
    assert out["borrower_months_per_s"] == 5_000  # at 100k, not the largest book
    assert out["borrower_months_per_s_10k"] == 500
    assert out["reference_borrower_months_per_s"] == 100
    assert out["speedup"] == 50
    assert out["waterfall_path_periods_per_s"] == 12_000  # 100 x 60 / 0.5


def test_the_table_names_a_missing_reference_instead_of_a_ratio():
    result = BenchResult(config="c", months=12,
                         engine=[Measure("vectorised", 100, 1_200, 1.0, 50.0)],
                         reference_note="the reference engine is not available",
                         bytes_per_borrower=611.0, state_by_part={"pool": 611.0},
                         waterfall_seconds=0.1, waterfall_shape=(10, 60, 3),
                         machine={"cores": 2, "load_average": [1.0, 1.0, 1.0]})
    console = Console(record=True, width=200)
    for table in bench_tables(result):
        console.print(table)
    text = console.export_text()
    assert "speed-up over the reference engine" in text and "n/a" in text
    assert "611" in text and "0.001" in text  # 1,200 borrower-months in 1 s = 0.0012 M/s


def test_state_bytes_count_every_array_with_a_slot_axis():
    cfg = bench.bench_config(200, 30)
    total, parts = state_bytes(200, 30)
    sim = PathSimulation(cfg, 1, 0)
    pool = sum(v.nbytes for v in vars(sim.pool).values()
               if isinstance(v, np.ndarray) and cfg.capacity in v.shape)
    assert parts["pool"] == pytest.approx(pool / cfg.capacity)
    ledger = sum(v.nbytes for v in vars(sim.platform.ledger).values()
                 if isinstance(v, np.ndarray) and cfg.capacity in v.shape)
    assert parts["platform"] >= ledger / cfg.capacity > 0  # the ledger is the platform's
    assert total == pytest.approx(sum(parts.values()))
    assert not any(name.startswith("_") for name in parts)  # the engine's own records named
    rolls = sum(getattr(sim, a).nbytes for a in ("_last_bucket", "_last_balance"))
    assert parts["roll-rate records"] == pytest.approx(rolls / cfg.capacity)
    ladder = sim.collections.state  # its table of worked accounts has a row axis: counted
    table = sum(getattr(ladder, name).nbytes for name in bench.LADDER_TABLE)
    flags = sum(getattr(ladder, name).nbytes for name in ("row", "agency", "legal", "human_ever"))
    assert parts["collections"] >= (table + flags) / cfg.capacity


def test_the_waterfall_workload_is_a_plausible_amortising_pool():
    arrays = make_collections(20, 60)
    assert {a.shape for a in arrays.values()} == {(20, 60)}
    assert np.all(np.diff(arrays["pool_balance_begin"], axis=1) <= 0)  # amortises
    assert np.all(arrays["recoveries"] <= 0.4 * arrays["defaults"] + 1e-9)


@pytest.mark.parametrize(("args", "message"), [
    (["--sizes", "0"], "sizes"),
    (["--months", "0"], "--months 0"),
    (["--sizes", "200", "--months", "12"], "at --sizes 200 and --months 12: "),  # the deal
    (["--sizes", "200", "--months", "12"], "horizon"),  # needs a longer horizon
    (["--config", "no_such_config"], "no_such_config"),
])
def test_bad_input_is_one_message_and_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(["bench", "--quiet", *args]))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("args", [["--config", "nosuch"], ["--sizes", "200", "--months", "12"]])
def test_bad_input_is_refused_before_the_progress_bar(args, monkeypatch, capsys):
    """No empty bar drawn above the error: the config is checked before the bar is made."""
    def no_bar(*_a, **_k):
        raise AssertionError("the progress bar was made before the input was checked")
    monkeypatch.setattr("rich.progress.Progress", no_bar)
    assert main(["bench", *args]) == 2
    assert capsys.readouterr().err.startswith("error: ")
