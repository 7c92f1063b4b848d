"""The creditsim command: runs, reports, comparisons, traces and clear errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sim.cli import build_parser, main
from sim.metrics import KEY_METRICS
from sim.shippedfiles import shipped_configs

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


def test_a_nameless_config_runs_under_its_file_name_and_reruns_so(tmp_path, capsys):
    """No ``name:``: the run id, the manifest and a rerun all say the file's name."""
    import json

    path = tmp_path / "policy_b.yaml"
    path.write_text(TINY_YAML.replace("name: tiny\n", ""))
    runs = tmp_path / "runs"
    assert main(["run", str(path), "--paths", "1", "--out", str(runs), "--quiet"]) == 0
    first = Path(capsys.readouterr().out.strip())
    assert first.name.endswith("-policy_b-s5")
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["name"] == manifest["config"]["name"] == manifest["config_name"] == "policy_b"
    assert manifest["overrides"] == {}
    assert main(["run", "--from-manifest", str(first), "--out", str(runs), "--quiet"]) == 0
    again = Path(capsys.readouterr().out.strip())
    assert again != first and "-policy_b-s5" in again.name  # "-2" within the same second
    assert json.loads((again / "manifest.json").read_text())["name"] == "policy_b"


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


def test_compare_of_a_copy_of_a_run_shows_zero_differences(stored_run, tmp_path, capsys):
    import shutil

    copy = shutil.copytree(stored_run, tmp_path / "copy")  # the run itself: one line instead
    assert main(["compare", str(stored_run), str(copy)]) == 0
    captured = capsys.readouterr()
    assert "not paired" not in captured.err
    rows = {line.split()[1]: line for line in captured.out.splitlines()
            if line.startswith("│") and line.split()[1] in KEY_METRICS}
    assert set(rows) == set(KEY_METRICS)
    for metric, line in rows.items():
        cells = [c.strip() for c in line.strip("│").split("│")]
        assert cells[3] in ("0.000 pp", "0"), metric  # a zero difference has no sign
        assert cells[4] in ("[0.000 pp, 0.000 pp]", "[0, 0]"), metric
        assert cells[5] == "n/a (n=2)", metric  # two paths: significance not judged
        assert cells[1] == cells[2], metric
    assert "collection_cost, net_recovery: currency units, each path's total over the " \
        "horizon" in " ".join(captured.out.split())


def test_compare_warns_when_seeds_differ(stored_run, tiny_yaml, tmp_path, capsys):
    main(["run", str(tiny_yaml), "--paths", "2", "--seed", "4", "--out", str(tmp_path / "b"),
          "--quiet"])
    other = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["compare", str(stored_run), str(other)]) == 0
    assert "different seeds" in flat(capsys.readouterr().err)


def test_trace_prints_one_borrowers_events(tiny_yaml, capsys):
    assert main(["trace", str(tiny_yaml), "--borrower", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out  # into a file or pipe every cell is whole, whatever the width
    assert "contractual" in out and "purchase" in out
    assert "borrower 2, repayment type '" in out and "(repayment.types), path 0, seed 1" in out
    assert "fee" in out  # the statement's fees: the balance's steps add up
    for event in ("statement", "due_date", "purchase"):
        assert event in out


def test_trace_examples_lists_borrowers_by_outcome_and_needs_no_borrower(tiny_yaml, capsys):
    from sim.reference.trace import OUTCOMES

    assert main(["trace", str(tiny_yaml), "--examples", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "borrowers worth a story, path 0, seed 1" in out
    assert all(o in " ".join(out.split()) for o in OUTCOMES)
    with pytest.raises(SystemExit):  # one or the other
        main(["trace", str(tiny_yaml), "--examples", "--borrower", "2"])
    with pytest.raises(SystemExit):
        main(["trace", str(tiny_yaml)])


def test_trace_of_a_stored_run_uses_its_config_and_seed_on_any_path(stored_run, capsys):
    from sim.config import load_config
    from sim.reference import trace_borrower
    from sim.store import load_run

    assert main(["trace", str(stored_run), "--borrower", "2", "--path", "1"]) == 0
    out = capsys.readouterr().out
    assert "), path 1, seed 3" in out  # the run's seed, not the config file's
    manifest = load_run(stored_run, tables=()).manifest
    rows = trace_borrower(load_config(manifest["config"]), 3, 1, 2)
    assert out.count("due_date") == sum(r["event"] == "due_date" for r in rows) > 0
    assert main(["trace", str(stored_run), "--borrower", "2", "--path", "2"]) == 2
    err = flat(capsys.readouterr().err)
    assert "--path 2: run " in err and "has paths 0 to 1" in err


def test_trace_takes_set_as_run_does(tiny_yaml, tmp_path, capsys):
    """``--set`` changes the traced config as a changed file would (the same story, event
    by event); a bad key is refused as run refuses it."""
    changed = tmp_path / "capped.yaml"
    changed.write_text(TINY_YAML + "credit_line: {max_limit: 1000}\n")
    assert main(["trace", str(changed), "--borrower", "2"]) == 0
    from_file = capsys.readouterr().out
    assert main(["trace", str(tiny_yaml), "--borrower", "2", "--set",
                 "credit_line.max_limit=1000"]) == 0
    assert capsys.readouterr().out == from_file
    assert main(["trace", str(tiny_yaml), "--borrower", "2"]) == 0
    assert capsys.readouterr().out != from_file
    assert main(["trace", str(tiny_yaml), "--borrower", "2", "--set", "book.nokey=3"]) == 2
    err = flat(capsys.readouterr().err)
    assert err.startswith("error: --set 'book.nokey=3': book has no key 'nokey'")


def test_trace_of_a_stored_run_refuses_set(stored_run, capsys):
    """A run folder is traced with the config it was run with: --set is refused, before
    any simulation, saying what to do instead."""
    assert main(["trace", str(stored_run), "--borrower", "2", "--set",
                 "credit_line.max_limit=1000"]) == 2
    captured = capsys.readouterr()
    err = flat(captured.err)
    assert err == (f"error: --set changes a config; {stored_run} is a stored run, traced with "
                   "the config it was run with (which had no overrides): trace it without "
                   "--set, or trace a config file with --set")
    assert captured.out == ""


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
     ["repayment.model = 'logit'", "'structural', 'bernoulli'"]),
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


def test_a_folder_given_as_config_is_named_a_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    for argv in (["run", "adir", "--quiet"], ["run", str(tmp_path / "adir"), "--quiet"],
                 ["run", "baseline", "--deal", "adir", "--quiet"]):
        assert main(argv) == 2
        err = flat(capsys.readouterr().err)
        assert "adir: is a folder, not a" in err and "no such config file" not in err


def test_a_run_store_that_does_not_exist_is_named(tmp_path, capsys):
    assert main(["report", "x", "--runs", str(tmp_path / "nowhere")]) == 2
    err = flat(capsys.readouterr().err)
    assert f"the run store {tmp_path / 'nowhere'} does not exist" in err
    assert "ls " not in err


def test_the_python_api_takes_a_shipped_configs_name(monkeypatch):
    import sim

    seen = []
    monkeypatch.setattr("sim.api.check_store", lambda *a: seen.append(a))  # stop before work
    monkeypatch.setattr("sim.api.PartialRun.create", lambda *a: (_ for _ in ()).throw(
        KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        sim.run("baseline", paths=1)
    assert seen and seen[0][1] == "baseline"


def test_worker_options_show_their_default(capsys):
    for command in ("run", "run-set", "breakeven", "validate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "local worker processes (default: 1)" in flat(capsys.readouterr().out), command


def test_report_help_says_what_each_export_file_holds(capsys):
    """--csv and --xlsx had one sentence between them, each naming the other's files."""
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = flat(capsys.readouterr().out)
    csv, xlsx = out.rsplit("--csv FILE", 1)[1].split("--xlsx FILE", 1)
    assert "CSV file" in csv and "summary-tranches.csv" in csv and "sheet" not in csv
    assert "Excel workbook" in xlsx and "'tranches' sheet" in xlsx and "'about' sheet" in xlsx
    assert "CSV file" not in xlsx


@pytest.mark.parametrize(("command", "rows"), [
    ("rolls", "a row per weight and bucket"), ("run-set", "a row per policy and metric"),
    ("compare", "a row per metric"), ("breakeven", "a row per stress, path and note")])
def test_each_exports_help_gives_its_own_rows_and_columns(command, rows, capsys):
    """The shared --csv help said "the run ids as columns" of tables whose run ids are
    columns of their own beside rows of metrics, buckets or breakevens."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = flat(capsys.readouterr().out)
    csv = out.rsplit("--csv FILE", 1)[1].split("--xlsx FILE", 1)[0]
    assert rows in csv and "run ids as columns" not in csv


def test_report_of_a_folder_that_is_not_a_run(tmp_path, capsys):
    rc = main(["report", str(tmp_path)])
    err = flat(capsys.readouterr().err)
    assert rc == 2
    assert "this folder holds no run" in err and "Traceback" not in err


EMPTY_RUN = ("an empty run name was given (''); give a run folder (e.g. runs/<run_id>) or a run "
             "id (list them with 'ls runs')")


@pytest.mark.parametrize(("args", "says"), [
    (["report", ""], EMPTY_RUN), (["rolls", ""], EMPTY_RUN), (["deal-report", ""], EMPTY_RUN),
    (["compare", "", ""], EMPTY_RUN), (["compare", "STORED", ""], EMPTY_RUN),
    (["rolls", " "], EMPTY_RUN.replace("('')", "(' ')")),
    (["run", "--from-manifest", ""], EMPTY_RUN),
    (["run", "--resume", ""], "an empty run folder name was given (''); give the folder of a "
                              "stopped run"),
    (["trace", "", "--borrower", "1"], "an empty name was given for CONFIG (''); give a "
                                       "config file, a shipped config (e.g. baseline) or a "
                                       "stored run's folder"),
    (["run", ""], "an empty config name was given (''); give a YAML file"),
])
def test_an_empty_run_name_is_named_as_such(stored_run, tmp_path, monkeypatch, capsys, args,
                                            says):
    """'' would name the current folder ('this folder holds no run'): say what was given."""
    monkeypatch.chdir(tmp_path)  # where 'runs' holds the stored run
    assert main([str(stored_run) if a == "STORED" else a for a in args]) == 2
    err = flat(capsys.readouterr().err)
    assert err.startswith(f"error: {says}"), err
    assert "this folder holds no run" not in err and "Traceback" not in err


def test_trace_of_a_borrower_outside_the_book(tiny_yaml, capsys):
    rc = main(["trace", str(tiny_yaml), "--borrower", "1000"])
    assert rc == 2
    assert "--borrower 1000: this config's book has borrower slots 0 to 59" in flat(
        capsys.readouterr().err)


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


# -- arguments checked before any work -------------------------------------------------------------
@pytest.mark.parametrize(("args", "needle"), [
    (["--paths", "1000000000"], "paths = 1000000000: must be a whole number from 1 to 100,000"),
    (["--paths", "1.7"], "paths = 1.7: must be a whole number from 1 to 100,000"),
    (["--paths", "1e10"], "paths = 1e10: must be a whole number from 1 to 100,000"),
    (["--paths", "1.5"], "paths = 1.5: must be a whole number from 1 to 100,000"),
    (["--paths", "1e-3"], "paths = 1e-3: must be a whole number from 1 to 100,000"),
    # a fraction too small for a float to keep: refused as written, never shown as 1
    (["--paths", "1.0000000000000001"], "paths = 1.0000000000000001: must be a whole number"),
    (["--paths", "ten"], "paths = 'ten': must be a whole number from 1 to 100,000"),
    (["--seed", "-5"], "seed = -5: must be a whole number from 0 to"),
    (["--seed", "2.5e0"], "seed = 2.5e0: must be a whole number from 0 to"),
    (["--workers", "100000"], "workers = 100000: must be a whole number from 1 to 256"),
])
def test_counts_beyond_the_configs_limits_are_refused(tiny_yaml, args, needle, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", str(tiny_yaml), *args])
    err = flat(capsys.readouterr().err)
    assert info.value.code == 2
    assert needle in err and "Traceback" not in err


@pytest.mark.parametrize(("option", "value", "needle"), [
    ("--seed", "-1e3", "argument --seed: seed = -1e3: must be a whole number from 0 to "),
    ("--seed", "-2.5E1", "argument --seed: seed = -2.5E1: must be a whole number from 0 to "),
    ("--seed", "-inf", "argument --seed: seed = -inf: must be a whole number from 0 to "),
    ("--paths", "-5", "argument --paths: paths = -5: must be a whole number from 1 to 100,000"),
    ("--paths", "-1e0", "argument --paths: paths = -1e0: must be a whole number from 1 to "),
    ("--workers", "-.5", "argument --workers: workers = -.5: must be a whole number from 1 to"),
])
@pytest.mark.parametrize("joined", [False, True], ids=["spaced", "with_equals"])
def test_a_negative_number_is_the_options_value_and_its_check_refuses_it(
        tiny_yaml, option, value, needle, joined, capsys):
    """``--seed -1e3`` is refused as ``--seed=-1e3`` is, by the seed's check, not read as an
    unknown option ("expected one argument")."""
    args = [f"{option}={value}"] if joined else [option, value]
    with pytest.raises(SystemExit) as info:
        main(["run", str(tiny_yaml), *args])
    err = flat(capsys.readouterr().err)
    assert info.value.code == 2
    assert needle in err
    assert "expected one argument" not in err and "Traceback" not in err


@pytest.mark.parametrize(("args", "key", "value"), [
    (["run", "CONFIG", "--paths", "1e0"], "paths", 1),
    (["run", "CONFIG", "--paths", "2.0"], "paths", 2),
    (["run", "CONFIG", "--paths", "1E5"], "paths", 100_000),
    (["run", "CONFIG", "--seed", "1e3"], "seed", 1000),
    (["run", "CONFIG", "--workers", "4.0"], "workers", 4),
    (["trace", "CONFIG", "--borrower", "1e3"], "borrower", 1000),
    (["trace", "CONFIG", "--borrower", "0", "--path", "1e1"], "path", 10),
    (["deal-report", "RUN", "--path", "3.0"], "path", 3),
])
def test_whole_numbers_written_with_an_exponent_or_a_trailing_0_are_taken(args, key, value):
    """As a config file and --set take 1e3 (README): the whole number it writes."""
    got = getattr(build_parser().parse_args(args), key)
    assert got == value and type(got) is int


@pytest.mark.parametrize("borrower", ["-1", "60", "123456789012345678901234"])
def test_a_borrower_outside_the_book_is_refused_with_the_books_slots(tiny_yaml, borrower,
                                                                     capsys, monkeypatch):
    """The tiny book has 40 borrowers at launch and 4 a month over 6 months: 40 + 4 x 5 = 60
    slots, 0 to 59. Below 0, past 59 or past any int64, the one line names those, not the
    cap of every config (0 to 243,999,999), before the reference engine simulates."""
    def boom(*_a, **_k):
        raise AssertionError("the borrower's path was simulated before the check")
    monkeypatch.setattr("sim.reference.trace_borrower", boom)
    assert main(["trace", str(tiny_yaml), "--borrower", borrower]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert flat(err) == (f"error: --borrower {borrower}: this config's book has borrower "
                         "slots 0 to 59 (book.initial_borrowers + book.new_borrowers_per_month "
                         "x (book.horizon_months - 1))")


@pytest.mark.parametrize("text", ["abc", "1.5"])
def test_a_borrower_that_is_no_whole_number_is_refused_by_the_parser(tiny_yaml, text, capsys):
    with pytest.raises(SystemExit) as info:
        main(["trace", str(tiny_yaml), "--borrower", text])
    err = flat(capsys.readouterr().err)
    assert info.value.code == 2
    assert "must be a whole number, a borrower slot of the config's book" in err
    assert "243,999,999" not in err


@pytest.mark.parametrize(("deal_arg", "needle"), [
    ("", "--deal '': give a deal file"),
    ("absent.yaml", "absent.yaml: no such config file"),
])
def test_empty_or_missing_deal_file(tiny_yaml, deal_arg, needle, capsys):
    assert main(["run", str(tiny_yaml), "--deal", deal_arg, "--quiet"]) == 2
    assert needle in flat(capsys.readouterr().err)


@pytest.mark.parametrize("text", ["", "# comments only\n", "null\n"])
def test_an_empty_config_file_exits_2_before_any_work(tmp_path, text, capsys, monkeypatch):
    _forbid_simulation(monkeypatch)
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    assert main(["run", str(path), "--paths", "1", "--out", str(tmp_path / "runs")]) == 2
    captured = capsys.readouterr()
    err = flat(captured.err)
    assert err.startswith(f"error: {path}: the file is empty (no keys)")
    assert "creditsim config-reference" in err and captured.out == ""
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("given", ["configs/deals/card_trust.yaml", "card_trust"])
def test_a_deal_file_as_the_run_config_is_one_line_and_exit_2(given, tmp_path, capsys,
                                                              monkeypatch):
    _forbid_simulation(monkeypatch)
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    assert main(["run", given, "--paths", "1", "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "unknown key" not in err and len(err.strip().splitlines()) <= 2  # one line, wrapped
    assert flat(err).startswith(f"error: {given}: a ") and "not a run config: pass it with --deal" \
        in flat(err)


@pytest.mark.parametrize(("command", "given"), [("run", "configs/baseline.yaml"),
                                              ("breakeven", "configs/severe_recession.yaml")])
def test_a_run_config_as_the_deal_is_one_line_and_exit_2(command, given, tmp_path, capsys,
                                                         monkeypatch):
    # it was an AttributeError traceback; the severe recession's base merge warned first
    _forbid_simulation(monkeypatch)
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    assert main([command, "baseline", "--deal", given, "--paths", "1",
                 *(["--out", str(tmp_path / "runs")] if command == "run" else [])]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) <= 2 and "warning" not in err  # one line, wrapped
    assert flat(err).startswith(f"error: {given}: a run config, not a deal file")
    assert not (tmp_path / "runs").exists()


def test_an_invalid_deal_file_is_named_in_the_error(tmp_path, capsys, monkeypatch):
    _forbid_simulation(monkeypatch)
    deals = Path(__file__).resolve().parent.parent / "configs" / "deals"
    bad = tmp_path / "deal_a.yaml"
    bad.write_text(f"base: {deals / 'baitiao_2015.yaml'}\nnotes:\n"
                   "  - {name: a, size: 0.7, coupon: 0.03}\n"
                   "  - {name: b, size: 0.5, coupon: 0.05}\n")
    assert main(["run", "baseline", "--deal", str(bad), "--paths", "1",
                 "--out", str(tmp_path / "runs")]) == 2
    err = flat(capsys.readouterr().err)
    assert err.startswith(f"error: --deal {bad}: ") and "note sizes add up to 1.2000" in err


def test_a_runs_manifest_as_the_config_points_to_from_manifest(stored_run, tmp_path, capsys,
                                                              monkeypatch):
    _forbid_simulation(monkeypatch)
    manifest = stored_run / "manifest.json"
    assert main(["run", str(manifest), "--paths", "1", "--out", str(tmp_path / "again")]) == 2
    err = flat(capsys.readouterr().err)
    assert "unknown key" not in err
    assert err.startswith(f"error: {manifest}: a stored run's manifest, not a config")
    assert f"'creditsim run --from-manifest {stored_run}'" in err


@pytest.mark.parametrize("command", ["run", "trace", "breakeven"])
def test_every_config_argument_says_a_shipped_name_works(command, capsys):
    """`trace baseline` works as `run baseline` does: the help says so alike everywhere."""
    from sim.cli import CONFIG_HELP

    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert flat(CONFIG_HELP) in flat(capsys.readouterr().out)


def test_an_empty_deal_key_names_the_key(tmp_path, capsys):
    path = tmp_path / "d.yaml"
    path.write_text(TINY_YAML + "deal: ''\n")
    assert main(["run", str(path), "--quiet"]) == 2
    assert "d.yaml: deal = '': must be a file name" in flat(capsys.readouterr().err)


def _forbid_simulation(monkeypatch):
    """Make any simulation fail loudly: the checks must come first."""
    def boom(*_a, **_k):
        raise AssertionError("the simulation ran before the arguments were checked")
    monkeypatch.setattr("sim.api.run_paths", boom)


@pytest.mark.parametrize(("out", "needle"), [
    ("afile", "is a file; give a folder for the run store"),
    ("afile/runs", "which is a file; give a folder"),
    ("/proc/creditsim-runs", "cannot write in /proc"),
])
def test_a_bad_run_store_is_refused_before_the_run(tiny_yaml, tmp_path, out, needle, capsys,
                                                   monkeypatch):
    _forbid_simulation(monkeypatch)
    (tmp_path / "afile").write_text("x")
    target = out if out.startswith("/") else str(tmp_path / out)
    assert main(["run", str(tiny_yaml), "--out", target, "--quiet"]) == 2
    err = flat(capsys.readouterr().err)
    assert needle in err and "Traceback" not in err
    assert err.count("error:") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_an_unwritable_store_is_refused_before_the_run(tiny_yaml, tmp_path, capsys,
                                                       monkeypatch):
    _forbid_simulation(monkeypatch)
    store = tmp_path / "locked"
    store.mkdir(mode=0o500)
    assert main(["run", str(tiny_yaml), "--out", str(store), "--quiet"]) == 2
    assert "cannot write in" in flat(capsys.readouterr().err)


def test_a_name_too_long_for_a_folder_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    """Names are capped at 100 characters by the config; a long base name was once refused
    by the file system only after the run ('File name too long')."""
    _forbid_simulation(monkeypatch)
    path = tmp_path / "long.yaml"
    path.write_text(TINY_YAML.replace("name: tiny", "name: " + "n" * 230))
    assert main(["run", str(path), "--out", str(tmp_path / "runs"), "--quiet"]) == 2
    assert "name = 'nnn" in flat(capsys.readouterr().err)
    assert not (tmp_path / "runs").exists()


def _server(greeting: bytes | None) -> tuple[socket.socket, int]:
    """A local TCP server that accepts one connection and sends ``greeting`` (None: nothing)."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        if greeting:
            conn.sendall(greeting)
        time.sleep(2)  # hold the connection open past the client's read
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


@pytest.mark.parametrize("greeting", [None, b"HTTP/1.1 400 Bad Request\r\n\r\n" * 3])
def test_a_scheduler_that_is_not_one_is_refused_quickly(tiny_yaml, greeting, capsys,
                                                        monkeypatch):
    """Something that accepts TCP but is not a Dask scheduler once made the client read its
    reply as a frame length (an attempt to allocate 3 EiB) after waiting 30 s."""
    _forbid_simulation(monkeypatch)
    monkeypatch.setattr("sim.arguments.check_scheduler.__defaults__", (0.5,))
    server, port = _server(greeting)
    with server:
        rc = main(["run", str(tiny_yaml), "--scheduler", f"tcp://127.0.0.1:{port}", "--quiet"])
    assert rc == 2
    assert "did not greet as a Dask scheduler does" in flat(capsys.readouterr().err)


def test_an_unreachable_scheduler_is_refused(tiny_yaml, capsys, monkeypatch):
    _forbid_simulation(monkeypatch)
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]  # a port nobody listens on once closed
    assert main(["run", str(tiny_yaml), "--scheduler", f"127.0.0.1:{port}", "--quiet"]) == 2
    err = flat(capsys.readouterr().err)
    assert f"cannot connect to 127.0.0.1:{port}" in err


def test_a_dask_greeting_passes_the_scheduler_check():
    from sim.arguments import check_scheduler

    frame = b"msgpack: compression, python, pickle-protocol"
    server, port = _server(len(frame).to_bytes(8, "little") + frame + b"\x00" * 32)
    with server:
        assert check_scheduler(f"tcp://127.0.0.1:{port}", timeout=5) == f"tcp://127.0.0.1:{port}"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"paths": 1.7}, "paths = 1.7: must be a whole number from 1 to 100,000"),
    ({"paths": True}, "paths = True: must be a whole number from 1 to 100,000"),
    ({"seed": -5}, "seed = -5: must be a whole number from 0 to 9,223,372,036,854,775,807"),
    ({"workers": 0}, "workers = 0: must be a whole number from 1 to 256"),
    ({"trace_ids": (10**24,)}, "borrower = 1000000000000000000000000: must be a whole number "
                               "from 0 to 59"),
    ({"scheduler": "nonsense://x"}, "scheduler = 'nonsense://x': must be an address such as "
                                    "tcp://127.0.0.1:8786 (tcp:// or tls://, a host and a port)"),
])
def test_the_python_api_checks_its_arguments_with_the_same_messages(tiny_yaml, tmp_path, kwargs,
                                                                    message, monkeypatch):
    import sim
    from sim.arguments import ArgumentError

    _forbid_simulation(monkeypatch)
    with pytest.raises(ArgumentError) as info:
        sim.run(tiny_yaml, out=tmp_path / "runs", **kwargs)
    assert str(info.value) == message


def test_cli_and_api_messages_agree(tiny_yaml, capsys):
    import sim
    from sim.arguments import ArgumentError

    with pytest.raises(SystemExit):
        main(["run", str(tiny_yaml), "--paths", "1.7"])
    cli = flat(capsys.readouterr().err)
    with pytest.raises(ArgumentError) as info:
        sim.run(tiny_yaml, paths=1.7, out=None)
    assert str(info.value) in cli


def test_the_store_check_leaves_nothing_behind(tmp_path):
    from sim.arguments import check_store

    check_store(tmp_path / "new" / "runs", "tiny", 5)
    assert list(tmp_path.iterdir()) == []


def test_run_and_run_set_take_runs_for_the_store_as_the_reading_commands_do():
    """``--runs`` names the run store in ``report``, ``compare`` and ``deal-report``: ``run``
    (which finds ``--from-manifest RUN`` there) and ``run-set`` take it as ``--out``."""
    from sim.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["run", "--from-manifest", "r1", "--runs", "store"]).out == "store"
    assert parser.parse_args(["run-set", "a", "b", "--runs", "store"]).out == "store"
    assert parser.parse_args(["run", "baseline"]).out == "runs"


def test_a_configs_warning_is_said_once_per_command(tmp_path, capsys):
    """The run reads its config file for the estimate and again for the run: a warning of
    the file (here, a distribution replacing the base's) is said once, each command."""
    config = tmp_path / "one_plan.yaml"
    config.write_text("base: baseline\ndeal: null\nspending: {plan_mix: {12: 1.0}}\n"
                      "book: {initial_borrowers: 40, new_borrowers_per_month: 4, "
                      "horizon_months: 6}\n")
    for _ in range(2):
        assert main(["run", str(config), "--paths", "1", "--out", str(tmp_path / "runs")]) == 0
        assert flat(capsys.readouterr().err).count("spending.plan_mix replaces") == 1


@pytest.mark.parametrize("policies", [[], ["other-income.yaml"]])
def test_a_refused_run_set_prints_only_its_error(policies, tmp_path, monkeypatch, capsys):
    """One config, or two whose income models differ: refused before the collectors' note
    on the smaller book, which came first and read as if the runs were going ahead."""
    _forbid_simulation(monkeypatch)
    (tmp_path / "other-income.yaml").write_text(
        f"base: {shipped_configs()['baseline']}\nname: other-income\n"
        "income: {long_term_months: 9}\n")
    monkeypatch.chdir(tmp_path)
    rc = main(["run-set", "baseline", *policies, "--set", "book.initial_borrowers=300",
               "--quiet", "--out", str(tmp_path / "runs")])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: ") and "note" not in err, err
    said = "at least two configs" if not policies else "differ in 'income'"
    assert said in flat(err)


def test_book_share_runs_a_smaller_book_with_the_teams_day_as_the_launch_page(tiny_yaml,
                                                                              tmp_path, capsys):
    """--book-share 0.5 of 40 borrowers at launch and 4 a month, collectors of 60 calls a day
    at 5,060 a month: 20 and 2 borrowers, 30 calls a day at 2,530 (sim.config.scaled_book,
    the Launch page's rule), recorded as overrides; a --set wins over it."""
    import json

    assert main(["run", str(tiny_yaml), "--book-share", "0.5", "--set",
                 "collections.collectors.count=3", "--paths", "1", "--out",
                 str(tmp_path / "runs"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    manifest = json.loads((Path(out.strip().splitlines()[-1]) / "manifest.json").read_text())
    assert manifest["overrides"] == {
        "book.initial_borrowers": 20, "book.new_borrowers_per_month": 2,
        "collections.collectors.count": 3, "collections.collectors.calls_per_day": 30,
        "collections.collectors.monthly_cost": pytest.approx(2530.0)}
    assert "note" not in err


@pytest.mark.parametrize("share", ["0", "1.5", "-0.1", "nan", "inf", "half", ""])
def test_a_book_share_outside_zero_to_one_is_one_error_line(share, tiny_yaml, tmp_path,
                                                             monkeypatch, capsys):
    _forbid_simulation(monkeypatch)
    for command in (["run", str(tiny_yaml), "--out", str(tmp_path / "r")],
                    ["run-set", str(tiny_yaml), str(tiny_yaml), "--out", str(tmp_path / "r")],
                    ["breakeven", str(tiny_yaml)], ["trace", str(tiny_yaml), "--borrower", "0"]):
        assert main([*command, "--book-share", share]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1, err
        assert err.startswith(f"error: --book-share {share.strip()}: give the book's size as "
                              "a share of the config's, above 0 and at most 1")


def test_book_share_is_refused_for_a_stored_run(stored_run, capsys):
    assert main(["run", "--from-manifest", str(stored_run), "--book-share", "0.5"]) == 2
    assert "a stored run keeps the book it was started with" in flat(capsys.readouterr().err)
    assert main(["trace", str(stored_run), "--borrower", "0", "--book-share", "0.5"]) == 2
    err = flat(capsys.readouterr().err)
    assert err.startswith(f"error: --book-share scales a config's book; {stored_run} is a "
                          "stored run, traced with the book it was run with")


def test_trace_and_breakeven_take_a_book_share(tiny_yaml, monkeypatch, capsys):
    """Half of a book of 40 borrowers at launch and 4 a month over 6 months has 20 and 2 a
    month over the 5 months after launch, 30 slots: slot 40 (of the whole book's 60) is past
    them; breakeven is handed the scaled config."""
    assert main(["trace", str(tiny_yaml), "--borrower", "40", "--book-share", "0.5"]) == 2
    assert "this config's book has borrower slots 0 to 29" in flat(capsys.readouterr().err)
    assert main(["trace", str(tiny_yaml), "--borrower", "40"]) == 0
    capsys.readouterr()
    seen = []

    def stop(config, *args, **kwargs):
        seen.append(config)
        raise ValueError("stopped before the search")

    monkeypatch.setattr("sim.breakeven.check_breakeven", stop)
    assert main(["breakeven", str(tiny_yaml), "--book-share", "0.5"]) == 2
    assert "stopped before the search" in capsys.readouterr().err
    assert seen[0].book.initial_borrowers == 20 and seen[0].book.new_borrowers_per_month == 2


def test_run_set_scales_each_policys_own_team(tiny_yaml, tmp_path, monkeypatch):
    """Each policy keeps its own staffing per borrower: at a tenth of the book, 10 collectors
    of 60 calls a day make 6 each, and 5 of 20 make 2 each."""
    import sim.scenarios.policies

    busy = tmp_path / "busy.yaml"
    busy.write_text(tiny_yaml.read_text().replace("name: tiny", "name: busy") +
                    "collections: {collectors: {count: 5, calls_per_day: 20}}\n")
    seen = []

    def capture(configs, **_kw):  # noqa: ANN001, ANN202
        seen.extend(configs)
        raise _Noted

    monkeypatch.setattr(sim.scenarios.policies, "run_policy_set_checked", capture)
    with pytest.raises(_Noted):
        main(["run-set", str(tiny_yaml), str(busy), "--book-share", "0.1", "--quiet"])
    teams = [(c.book.initial_borrowers, c.collections.collectors.count,
              c.collections.collectors.calls_per_day) for c in seen]
    assert teams == [(4, 10, 6), (4, 5, 2)]


class _Noted(Exception):
    """Raised in place of the collectors' note, to stop a command before its runs."""


@pytest.mark.parametrize("command", ["run", "run-set"])
def test_a_config_file_is_read_once_for_the_run_and_the_collectors_note(command, tiny_yaml,
                                                                        monkeypatch):
    """``--set``: the config read from the file is the one the collectors' note compares
    the changed book with; the file is not read again for it."""
    import sim.config
    import sim.settings

    read = sim.config.load_config
    files: list[str] = []
    noted: list = []

    def reading(source):  # noqa: ANN001, ANN202
        if isinstance(source, str | Path):
            files.append(str(source))
        return read(source)

    def note(base, given, settings):  # noqa: ANN001, ANN202
        noted.append((base, given))
        raise _Noted

    monkeypatch.setattr(sim.config, "load_config", reading)
    monkeypatch.setattr(sim.settings, "unscaled_collectors", note)
    configs = [str(tiny_yaml)] * (2 if command == "run-set" else 1)
    with pytest.raises(_Noted):
        main([command, *configs, "--set", "book.initial_borrowers=30", "--quiet"])
    assert files == configs  # each given file read once
    (base, given), = noted
    assert (base.book.initial_borrowers, given.book.initial_borrowers) == (40, 30)
