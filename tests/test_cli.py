"""The creditsim command: runs, reports, comparisons, traces and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sim.cli
from sim.cli import main
from sim.metrics import KEY_METRICS

TINY_YAML = """\
name: tiny
seed: 5
book: {initial_borrowers: 40, new_borrowers_per_month: 4, horizon_months: 6}
"""


def flat(text: str) -> str:
    """Text with line wrapping undone (the console wraps long messages)."""
    return " ".join(text.split())


@pytest.fixture
def tiny_yaml(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_YAML)
    return path


@pytest.fixture
def stored_run(tiny_yaml, tmp_path, capsys) -> Path:
    rc = main(["run", str(tiny_yaml), "--paths", "2", "--seed", "3",
               "--out", str(tmp_path / "runs"), "--quiet"])
    assert rc == 0
    return Path(capsys.readouterr().out.strip().splitlines()[-1])


# -- happy paths --------------------------------------------------------------------------------
def test_run_writes_a_run_folder_and_prints_it(stored_run, tmp_path):
    assert stored_run.parent == tmp_path / "runs"
    assert (stored_run / "manifest.json").is_file()
    assert (stored_run / "portfolio.parquet").is_file()
    assert stored_run.name.endswith("-tiny-s3")


def test_run_without_quiet_also_prints_the_summary(tiny_yaml, tmp_path, capsys):
    rc = main(["run", str(tiny_yaml), "--paths", "1", "--out", str(tmp_path / "runs")])
    out = capsys.readouterr().out
    assert rc == 0
    folder = Path(out.strip().splitlines()[-1])
    assert folder.is_dir() and folder.name.endswith("-tiny-s5")  # the config's seed
    assert "borrower_default_rate" in out


def test_report_prints_the_summary_table(stored_run, capsys):
    assert main(["report", str(stored_run)]) == 0
    out = capsys.readouterr().out
    assert stored_run.name in out and "2 paths, seed 3" in out
    for column in ("mean", "p5", "p50", "p95", "95% CI of mean"):
        assert column in out
    for metric in KEY_METRICS:
        assert metric in out


def test_report_by_run_id_under_the_store(stored_run, capsys):
    assert main(["report", stored_run.name, "--runs", str(stored_run.parent)]) == 0
    assert stored_run.name in capsys.readouterr().out


def test_compare_of_a_run_with_itself_shows_zero_differences(stored_run, capsys):
    assert main(["compare", str(stored_run), str(stored_run)]) == 0
    captured = capsys.readouterr()
    assert "not paired" not in captured.err
    rows = {line.split()[1]: line for line in captured.out.splitlines()
            if line.startswith("│") and line.split()[1] in KEY_METRICS}
    assert set(rows) == set(KEY_METRICS)
    for metric, line in rows.items():
        cells = [c.strip() for c in line.strip("│").split("│")]
        assert cells[3] in ("+0.000%", "+0"), metric
        assert cells[4] in ("[+0.000%, +0.000%]", "[+0, +0]"), metric
        assert cells[5] == "n/a (n=2)", metric  # two paths: significance not judged
        assert cells[1] == cells[2], metric


def test_compare_warns_when_seeds_differ(stored_run, tiny_yaml, tmp_path, capsys):
    main(["run", str(tiny_yaml), "--paths", "2", "--seed", "4", "--out", str(tmp_path / "b"),
          "--quiet"])
    other = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["compare", str(stored_run), str(other)]) == 0
    assert "different seeds" in flat(capsys.readouterr().err)


def test_trace_prints_one_borrowers_events(tiny_yaml, capsys, monkeypatch):
    monkeypatch.setattr(sim.cli.console, "width", 250)  # room for every column
    assert main(["trace", str(tiny_yaml), "--borrower", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "borrower 2, path 0, seed 1" in out
    for event in ("statement", "due_date", "purchase"):
        assert event in out


# -- bad input: status 2, one clear message, no traceback ------------------------------------------
BAD_CONFIGS = [
    ("unknown_key", "book:\n  initial_borrower: 5\n",
     ["book.initial_borrower: unknown key", "allowed keys here",
      "horizon_months, initial_borrowers, new_borrowers_per_month"]),
    ("wrong_type", "book:\n  initial_borrowers: many\n",
     ["book.initial_borrowers = 'many'", "valid integer"]),
    ("out_of_range", "billing:\n  chargeoff_dpd: 10\n",
     ["billing.chargeoff_dpd = 10", "greater than or equal to 30"]),
    ("bad_choice", "repayment:\n  model: logit\n",
     ["repayment.model = 'logit'", "'structural' or 'bernoulli'"]),
    ("unknown_scenario", "macro:\n  scenario: depression\n",
     ["macro.scenario = 'depression'", "unknown scenario",
      "allowed: baseline, recession, severe_recession"]),
    ("bad_plan", "spending:\n  plan_mix: {0: 0.5, 5: 0.5}\n",
     ["plan_mix has terms [5]", "allowed terms are [0, 3, 6, 12]"]),
    ("bad_yaml", "book: [1, 2\n", ["not valid YAML"]),
    ("not_a_mapping", "- 1\n- 2\n", ["top level must be a mapping"]),
]


@pytest.mark.parametrize(("name", "text", "needles"), BAD_CONFIGS,
                         ids=[b[0] for b in BAD_CONFIGS])
def test_bad_config_exits_2_with_a_clear_message(name, text, needles, tmp_path, capsys):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    rc = main(["run", str(path), "--out", str(tmp_path / "runs"), "--quiet"])
    captured = capsys.readouterr()
    err = flat(captured.err)
    assert rc == 2
    assert err.startswith("error:")
    assert f"{name}.yaml" in err
    for needle in needles:
        assert needle in err
    assert "Traceback" not in err
    assert captured.out == ""
    assert not (tmp_path / "runs").exists()


def test_missing_config_file(tmp_path, capsys):
    rc = main(["run", str(tmp_path / "absent.yaml"), "--quiet"])
    err = flat(capsys.readouterr().err)
    assert rc == 2
    assert "absent.yaml: no such config file" in err


def test_binary_config_file_names_the_file(tmp_path, capsys):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00book")
    rc = main(["run", str(path), "--quiet"])
    err = flat(capsys.readouterr().err)
    assert rc == 2
    assert "binary.yaml" in err and "must be UTF-8 text" in err
    assert "Traceback" not in err


def test_report_of_a_folder_that_is_not_a_run(tmp_path, capsys):
    rc = main(["report", str(tmp_path)])
    err = flat(capsys.readouterr().err)
    assert rc == 2
    assert "not a run folder" in err and "Traceback" not in err


def test_trace_of_a_borrower_outside_the_book(tiny_yaml, capsys):
    rc = main(["trace", str(tiny_yaml), "--borrower", "1000"])
    assert rc == 2
    assert "trace ids must be between 0 and 59" in flat(capsys.readouterr().err)


@pytest.mark.parametrize("args", [["--paths", "0"], ["--seed", "-1"], ["--workers", "x"]])
def test_bad_options_exit_2(tiny_yaml, args, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", str(tiny_yaml), *args])
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_the_command_exits_2_without_a_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("book:\n  initial_borrower: 5\n")
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(path), "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 2
    assert "book.initial_borrower: unknown key" in flat(proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
