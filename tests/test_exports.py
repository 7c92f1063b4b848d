"""``report``, ``compare``, ``run-set`` and ``rolls`` with ``--csv`` and ``--xlsx``: the numbers
the command prints, as numbers under headers that say their unit, with an ``about`` sheet;
a file that cannot be written refused before any work, and never left half-written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from helpers_engine import TINY

import sim.cli
from sim.cli import main
from sim.compare import compare_runs
from sim.config import deep_merge
from sim.delinquency import BUCKET_LABELS
from sim.exports import (
    COMPARISON_COLUMNS,
    MOVE_LABELS,
    ROLLS_COLUMNS,
    Export,
    export_frame,
    metric_kind,
    rolls_export,
    xlsx_bytes,
)
from sim.metrics import KEY_METRICS, format_metric, summarise
from sim.rolls import WEIGHTS, transition_rates
from sim.store import load_run

PRECISION = 1e-9
"""Exported fractions keep 10 significant digits (the deal report's convention)."""


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(sim.cli.console, "width", 250)
    monkeypatch.setattr(sim.cli.err_console, "width", 250)


@pytest.fixture(scope="module")
def policy_set(tmp_path_factory) -> dict:
    """``creditsim run-set`` of the tiny book and a one-collector variant, 3 paths, with
    ``--csv`` and ``--xlsx``: its printed output, the two runs and the files."""
    root = tmp_path_factory.mktemp("exports")
    configs = []
    for name, change in (("tiny", {}), ("one-collector",
                                        {"collections": {"collectors": {"count": 1}}})):
        configs.append(root / f"{name}.yaml")
        configs[-1].write_text(yaml.safe_dump(deep_merge(TINY, {"name": name, **change})))
    csv, xlsx = root / "set.csv", root / "set.xlsx"
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setattr(sim.cli.console, "width", 250)
        assert main(["run-set", *map(str, configs), "--paths", "3", "--quiet", "--out",
                     str(root / "runs"), "--csv", str(csv), "--xlsx", str(xlsx)]) == 0
    lines = out.getvalue().splitlines()
    runs = [Path(line) for line in lines if line.startswith(str(root / "runs"))]
    assert lines[-2:] == [str(csv), str(xlsx)]
    return {"out": out.getvalue(), "a": runs[0], "b": runs[1], "csv": csv, "xlsx": xlsx,
            "root": root}


def _rows(out: str) -> list[list[str]]:
    """The cells of a printed table's rows."""
    return [[c.strip() for c in line.strip().strip("│").split("│")]
            for line in out.splitlines() if line.startswith("│")]


def _read(file: Path, sheet: str) -> pd.DataFrame:
    """The export read back as an analyst would: no options."""
    return pd.read_excel(file, sheet_name=sheet) if file.suffix == ".xlsx" else pd.read_csv(file)


def _check_headers(frame: pd.DataFrame, units: tuple[str, ...]) -> None:
    """Every numeric column's header says its unit, in brackets."""
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col]) and not frame[col].isna().all():
            assert col.endswith(")") and any(f"({u})" in col for u in units), col


def _same(exported: pd.Series, source: pd.Series, metrics: pd.Series | None = None) -> None:
    """The exported numbers are the source's, blank where it has none; amounts of money
    (the rows of ``metrics`` in currency units) to the cent."""
    expected = source.to_numpy(float).copy()
    if metrics is not None:
        money = np.array([metric_kind(m) == "money" for m in metrics])
        expected[money] = np.round(expected[money], 2)
    np.testing.assert_allclose(exported.to_numpy(float), expected, rtol=PRECISION, atol=1e-12,
                               equal_nan=True)


# -- each command's export: the printed rows, as numbers, units in the headers -------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_report_exports_its_summary(policy_set, tmp_path, capsys, kind):
    file = tmp_path / f"summary.{kind}"
    assert main(["report", str(policy_set["a"]), f"--{kind}", str(file)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == str(file)
    back = _read(file, "summary")
    printed = [r for r in _rows(out) if r[0] in KEY_METRICS]
    assert list(back["metric"]) == [r[0] for r in printed] == list(KEY_METRICS)
    run = load_run(policy_set["a"])
    source = summarise(run.paths)
    assert set(back["run"]) == {run.run_id}
    assert back["n, paths (count)"].tolist() == source["n"].tolist()
    for stat, (label, cell) in {"mean": ("mean", 2), "p5": ("5th percentile", 3),
                                "p50": ("median", 4), "p95": ("95th percentile", 5)}.items():
        column = back[f"{label} (the row's unit)"]
        _same(column, source[stat], source["metric"])
        assert [format_metric(m, v) for m, v in zip(back["metric"], column, strict=True)] == [
            r[cell] for r in printed]
    low, high = (back[f"95% CI of mean, {end} (the row's unit)"] for end in ("low", "high"))
    _same(low, source["ci_low"], source["metric"])
    _same(high, source["ci_high"], source["metric"])
    ci = [f"[{format_metric(m, lo)}, {format_metric(m, hi)}]"
          for m, lo, hi in zip(back["metric"], low, high, strict=True)]
    assert ci == [r[6] for r in printed]
    assert dict(zip(back["metric"], back["unit"], strict=True))["collection_cost"] == \
        "currency units"
    _check_headers(back, ("count", "the row's unit"))


def test_compare_exports_the_comparison(policy_set, tmp_path, capsys):
    csv, xlsx = tmp_path / "cmp.csv", tmp_path / "cmp.xlsx"
    assert main(["compare", str(policy_set["a"]), str(policy_set["b"]), "--csv", str(csv),
                 "--xlsx", str(xlsx)]) == 0
    out = capsys.readouterr().out
    a, b = load_run(policy_set["a"]), load_run(policy_set["b"])
    result, pairing = compare_runs(a.manifest, a.paths, b.manifest, b.paths)
    printed = {r[0]: r for r in _rows(out) if r[0] in set(result["metric"])}
    for back in (pd.read_csv(csv), pd.read_excel(xlsx, sheet_name="comparison")):
        assert list(back["metric"]) == list(result["metric"]) == list(printed)
        assert set(back["run A"]) == {a.run_id} and set(back["run B"]) == {b.run_id}
        for key in ("mean_a", "mean_b", "difference", "ci_low", "ci_high", "unpaired_ci_low"):
            header = next(c.header for c in COMPARISON_COLUMNS if c.key == key)
            _same(back[header], result[key], result["metric"])
        assert set(back["interval"]) == {"paired"} and pairing.paired
        assert back["significant (True/False)"].isna().all()  # 3 paths: not judged, n/a
        for r in back.itertuples(index=False):
            m, row = r.metric, printed[r.metric]
            assert row[1:4] == [format_metric(m, r[6]), format_metric(m, r[7]),
                                format_metric(m, r[8], True)]
        _check_headers(back, ("count", "the row's unit", "probability"))
    about = pd.read_excel(xlsx, sheet_name="about").fillna("")
    facts = dict(zip(about["name"], about["value"], strict=True))
    assert facts["run A"] == a.run_id and facts["run B"] == b.run_id
    assert facts["run A: seed"] == str(a.manifest["seed"]) and facts["run B: paths"] == "3"
    assert facts["run A: folder"] == str(policy_set["a"])
    assert facts["command"].startswith(f"creditsim compare {policy_set['a']} ")
    assert facts["pairing"] == pairing.headline()
    assert {c.header for c in COMPARISON_COLUMNS} <= set(about["name"])


def test_run_set_exports_every_policy_against_the_reference(policy_set):
    printed = [r for r in _rows(policy_set["out"]) if r[0] == "one-collector"]
    a, b = load_run(policy_set["a"]), load_run(policy_set["b"])
    result, _ = compare_runs(a.manifest, a.paths, b.manifest, b.paths)
    for back in (pd.read_csv(policy_set["csv"]),
                 pd.read_excel(policy_set["xlsx"], sheet_name="run set")):
        assert list(back["metric"]) == [r[1] for r in printed] == list(result["metric"])
        assert set(back["reference run"]) == {a.run_id}
        assert set(back["policy run"]) == {b.run_id} and set(back["policy"]) == {"one-collector"}
        _same(back["policy - reference (the row's unit)"], result["difference"],
              result["metric"])
        _same(back["mean reference (the row's unit)"], result["mean_a"], result["metric"])
        for r, row in zip(back.itertuples(index=False), printed, strict=True):
            assert row[2:5] == [format_metric(r.metric, r[7]), format_metric(r.metric, r[8]),
                                format_metric(r.metric, r[9], True)]
        _check_headers(back, ("count", "the row's unit", "probability"))
    book = openpyxl.load_workbook(policy_set["xlsx"])
    assert book.sheetnames == ["run set", "about"]
    about = pd.read_excel(policy_set["xlsx"], sheet_name="about").fillna("")
    facts = dict(zip(about["name"], about["value"], strict=True))
    assert facts["reference"] == a.run_id and facts["policy one-collector"] == b.run_id
    assert facts["command"].startswith("creditsim run-set ")


def test_rolls_exports_both_weights(policy_set, tmp_path, capsys):
    csv = tmp_path / "rolls.csv"
    assert main(["rolls", str(policy_set["a"]), "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    back = pd.read_csv(csv)
    run = load_run(policy_set["a"], tables=("rolls",))
    source = pd.concat([transition_rates(run["rolls"], w) for w in WEIGHTS], ignore_index=True)
    labels = source["bucket"].map(BUCKET_LABELS)  # as printed: 1-30 dpd
    assert list(zip(back["weight"], back["bucket"], strict=True)) == list(
        zip(source["weight"], labels, strict=True))
    printed = [r for r in _rows(out) if r[0] in set(labels)]
    assert [r[0] for r in printed] == list(back["bucket"])
    accounts = back["weight"] == "accounts"
    _same(back.loc[accounts, "accounts at the month ends before (count)"],
          source.loc[accounts, "base"])
    _same(back.loc[~accounts, "balance at the month ends before (currency units)"],
          source.loc[~accounts, "base"].round(2))
    assert back.loc[~accounts, "accounts at the month ends before (count)"].isna().all()
    _same(back["cure (fraction)"], source["cure"])
    _same(back["roll forward, incl. charge-off (fraction)"], source["roll_forward"])
    assert back["cure, 5th percentile of paths (fraction)"].isna().all()  # n/a: 3 paths
    moves = [f"{label} (fraction)" for label in MOVE_LABELS.values()]
    for (_, r), row in zip(back.iterrows(), printed, strict=True):
        shown = [float(cell.split("%")[0]) for cell in row[2:7]]  # "59.3% [n/a]"
        assert round(sum(shown), 1) == 100.0  # a printed row adds up, rounding and all
        for pct, exact in zip(shown, r[moves], strict=True):  # the file keeps every digit
            assert abs(pct - 100 * exact) <= 0.1 + 1e-9
    flat = " ".join(out.split())
    assert "rounded to 0.1 % so that a row adds up to 100.0 %" in flat
    assert "--csv and --xlsx keep them in full precision" in flat
    assert "not the bucket's balance at any one time" in flat
    _check_headers(back, ("count", "currency units", "fraction"))
    said = re.findall(r"re-aged accounts (\d+)\+ days past due or charged off within 12 months: "
                      r"(n/a|[\d.]+%) .*?\(mean of (\d+) paths?\)", flat)
    assert [s[0] for s in said] == ["31", "61"]  # the screen's re-default rates, in the file
    for level, rate, paths in said:
        column = back[f"re-aged, {level}+ dpd or charged off within 12 months (fraction)"]
        assert column.nunique(dropna=False) == 1  # the run's: the same on every row
        if rate == "n/a":
            assert column.isna().all()
        else:
            assert f"{column.iloc[0]:.1%}" == rate
        assert (back["re-default paths (count)"] == int(paths)).all()


def test_rolls_percentiles_are_kept_when_the_paths_resolve_them():
    rates = pd.DataFrame({"bucket": ["dpd_1_30"], "weight": ["accounts"], "base": [12.0],
                          "cure": [0.5], "cure_p5": [0.25], "cure_p95": [0.75]})
    run = type("Run", (), {"run_id": "r", "manifest": {"run_id": "r", "seed": 1},
                           "path": None})()
    redefaults = {30: pd.Series([0.2, 0.4, np.nan]), 60: pd.Series([0.1, 0.2, np.nan])}
    frame = export_frame(rolls_export(run, [rates], True, "creditsim rolls r", redefaults))
    assert frame["cure, 5th percentile of paths (fraction)"].tolist() == [0.25]
    assert frame["accounts at the month ends before (count)"].tolist() == [12]
    # the re-default rates printed under the tables: means over the paths that have one
    assert frame["re-aged, 31+ dpd or charged off within 12 months (fraction)"].tolist() == [0.3]
    assert frame["re-aged, 61+ dpd or charged off within 12 months (fraction)"].tolist() == [
        pytest.approx(0.15)]
    assert frame["re-default paths (count)"].tolist() == [2]
    frame = export_frame(rolls_export(run, [rates], False, "creditsim rolls r", redefaults))
    assert frame["cure, 5th percentile of paths (fraction)"].isna().all()
    assert [c.header for c in ROLLS_COLUMNS][:3] == ["run", "weight", "bucket"]


def test_the_workbook_formats_each_row_by_its_unit():
    """Fractions as percentages and money with thousands, by the row's unit; a difference
    with its sign; counts whole."""
    table = pd.DataFrame({"run_a": ["a", "a"], "run_b": ["b", "b"],
                          "metric": ["net_loss_rate", "collection_cost"],
                          "unit": ["fraction", "currency units"], "n_a": [3, 3], "n_b": [3, 3],
                          "mean_a": [0.0123456789012, 1234.5678], "mean_b": [0.02, 1300.0],
                          "difference": [0.0076543210988, 65.4322], "ci_low": [0.001, 1.0],
                          "ci_high": [0.01, 100.0], "interval": ["paired"] * 2,
                          "significant": [True, None], "paths": [3, 3],
                          "p_value": [0.0012345678912, 0.5], "q_value": [0.0024, None],
                          "significant_alone": [True, None],
                          "unpaired_ci_low": [0.0, 0.0], "unpaired_ci_high": [0.02, 200.0]})
    export = Export("comparison", table, COMPARISON_COLUMNS, (("command", "x"),))
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(export)))
    sheet = book["comparison"]
    headers = [c.value for c in sheet[1]]
    mean_a = headers.index("mean A (the row's unit)") + 1
    diff = headers.index("B - A (the row's unit)") + 1
    n = headers.index("n A, paths (count)") + 1
    assert sheet.cell(2, mean_a).number_format == "0.000%"
    assert sheet.cell(3, mean_a).number_format == "#,##0.00"
    assert sheet.cell(2, diff).number_format.startswith("+0.000%")
    assert sheet.cell(3, diff).number_format.startswith("+#,##0.00")
    assert sheet.cell(2, n).number_format == "#,##0"
    assert sheet.cell(2, mean_a).value == 0.0123456789  # 10 significant digits
    assert sheet.cell(3, mean_a).value == 1234.57  # money to the cent
    assert sheet.cell(2, headers.index("significant (True/False)") + 1).value is True
    assert sheet.cell(3, headers.index("significant (True/False)") + 1).value is None
    p = headers.index("p value (probability)") + 1
    assert sheet.cell(2, p).number_format == "0.0000"
    assert sheet.cell(2, p).value == 0.001234567891  # a probability, not a percentage
    assert sheet.freeze_panes == "E2"  # the run ids, metric and unit stay in view


def test_every_per_path_measure_has_a_unit():
    assert {m: metric_kind(m) for m in ("net_loss_rate", "collection_cost", "net_recovery",
                                        "human_contact_share", "note_loss_senior",
                                        "note_pv_loss_senior")} == {
        "net_loss_rate": "ratio", "collection_cost": "money", "net_recovery": "money",
        "human_contact_share": "ratio", "note_loss_senior": "ratio",
        "note_pv_loss_senior": "ratio"}
    assert {metric_kind(m) for m in KEY_METRICS} == {"ratio", "money"}


# -- files refused before any work, and never left half-written -----------------------------------


BAD_FILES = [("--csv", "{tmp}/missing/t.csv", "no folder"),
             ("--xlsx", "{tmp}", "is a folder; give a file name"),
             ("--xlsx", "{tmp}/t.csv", "the file name must end in .xlsx")]


@pytest.mark.parametrize(("option", "name", "needle"), BAD_FILES)
@pytest.mark.parametrize("command", [["report", "no_such_run"], ["rolls", "no_such_run"],
                                     ["compare", "no_such_run", "no_such_run_b"],
                                     ["run-set", "no_such_config", "no_such_config_b"],
                                     ["breakeven", "no_such_config"]])
def test_a_file_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys, command,
                                                                   option, name, needle):
    """Before the run is read (it does not exist: its error would come first) and, for
    run-set, before any config is read or run."""
    file = name.format(tmp=tmp_path)
    argv = [*command, option, file]
    if command[0] == "run-set":
        argv += ["--out", str(tmp_path / "runs")]
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith(f"error: {option} {file}: ") and needle in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "t.csv").exists() and not (tmp_path / "runs").exists()


def test_a_failed_write_leaves_no_file_and_the_old_one_whole(policy_set, tmp_path, capsys,
                                                             monkeypatch):
    """A disk that fills while the file is written: one line, exit 2, the file that was
    there before unchanged and no temporary file left beside it."""
    import os

    file = tmp_path / "summary.xlsx"
    file.write_bytes(b"the analyst's earlier export")

    def full(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert main(["report", str(policy_set["a"]), "--xlsx", str(file)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err == f"error: --xlsx {file}: cannot be written: No space left on device"
    assert file.read_bytes() == b"the analyst's earlier export"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.xlsx"]
    new = tmp_path / "new.csv"
    assert main(["report", str(policy_set["a"]), "--csv", str(new)]) == 2
    assert list(tmp_path.iterdir()) == [file]


# -- report's tranche table: a sheet of the workbook, a CSV file beside the summary's -----------


@pytest.fixture(scope="module")
def deal_run(tmp_path_factory):
    """The tiny book funded by the shipped deal, 3 paths."""
    import sim
    from sim.config import read_yaml

    configs = Path(__file__).resolve().parents[1] / "configs"
    cfg = deep_merge(read_yaml(configs / "baseline.yaml"), TINY)
    cfg["deal"] = deep_merge(read_yaml(configs / "deals" / "baitiao_2015.yaml"),
                             {"cutoff_month": 4, "revolving_months": 2})
    return sim.run(cfg, paths=3, seed=3, out=tmp_path_factory.mktemp("dealexports"))


def _second_table(out: str, notes: list[str]) -> dict[str, list[str]]:
    """The cells of the printed 'what N paths can tell' table (no vertical rules), by note."""
    import re

    row = re.compile(r"^\s*(\S+)\s+\[(.+?), (.+?)\]\s+\[(.+?), (.+?)\]\s+(.+?)\s{2,}(.+?)\s*$")
    found = {}
    for line in out.splitlines():
        m = row.match(line)
        if m and m.group(1) in notes and not line.lstrip().startswith("│"):
            found[m.group(1)] = list(m.groups())
    return found


def _pct(x: float, digits: int) -> str:
    return f"{x:.{digits}%}"


def _check_tranches_as_printed(back: pd.DataFrame, out: str, source: pd.DataFrame) -> None:
    """Every cell of both printed tranche tables and the originator's line, from the
    exported numbers (the screen's formats: sim.report_tables.tranche_table)."""
    notes = list(source["note"])
    printed = {r[0]: r for r in _rows(out) if r[0] in set(notes)}
    sure = _second_table(out, notes)
    assert list(back["note"]) == notes == list(printed) == list(sure)  # in seniority order
    for header, key in (("n, paths (count)", "paths"),
                        ("expected loss (fraction)", "expected_loss"),
                        ("expected loss, 95% CI low (fraction)", "el_low"),
                        ("expected loss, 95% CI high (fraction)", "el_high"),
                        ("principal loss (fraction)", "principal_loss"),
                        ("P(loss) (fraction)", "prob_loss"),
                        ("P(loss), Wilson 95% CI low (fraction)", "prob_loss_low"),
                        ("P(loss), Wilson 95% CI high (fraction)", "prob_loss_high"),
                        ("WAL (years)", "wal_years"),
                        ("kept by the originator (fraction)", "retained")):
        _same(back[header], source[key])
    np.testing.assert_allclose(back["IRR (fraction a year)"], source["irr_annual"], atol=1e-12)
    np.testing.assert_allclose(back["originator IRR (fraction a year)"],
                               source["holder_irr_annual"], atol=1e-12, equal_nan=True)
    for r in back.to_dict("records"):
        cells, tell = printed[r["note"]], sure[r["note"]]
        wal = r["WAL (years)"]
        assert r["expected loss measure"] == "pv"
        assert cells[1] == _pct(r["expected loss (fraction)"], 3)
        assert cells[2] == _pct(r["principal loss (fraction)"], 3)
        assert cells[3] == _pct(r["P(loss) (fraction)"], 1)
        for cell, header in ((cells[4], "loss p95 (fraction)"), (cells[5], "loss p99 (fraction)")):
            assert cell == ("n/a" if np.isnan(r[header]) else _pct(r[header], 3))
        assert cells[6] == ("" if np.isnan(wal) else f"{wal:.2f}")
        assert cells[7] == _pct(r["IRR (fraction a year)"], 2)
        best, worst = r["ratings consistent, best"], r["ratings consistent, worst"]
        span = best if best == worst else f"{best} to {worst}"
        if isinstance(r["implied rating"], str):  # resolved: no paths needed
            assert np.isnan(r["paths needed (count)"])
            assert cells[8] == (r["implied rating"] if best == worst
                                else f"{r['implied rating']} ({span})")
        else:  # blank, with the paths it needs, as the screen's 'n/a: needs >= N paths'
            assert cells[8] == f"n/a: needs >= {int(r['paths needed (count)']):,} paths"
        assert tell[1:5] == [_pct(r["expected loss, 95% CI low (fraction)"], 3),
                             _pct(r["expected loss, 95% CI high (fraction)"], 3),
                             _pct(r["P(loss), Wilson 95% CI low (fraction)"], 1),
                             _pct(r["P(loss), Wilson 95% CI high (fraction)"], 1)]
        assert tell[5] == span
        assert tell[6] == ("10 (no principal paid)" if np.isnan(wal) else f"{wal:.2f}")
    holder = back.dropna(subset=["originator IRR (fraction a year)"])
    assert list(holder["note"]) == [notes[-1]]  # the row the residual stands under
    row = holder.iloc[0]
    said = " ".join(out.split())
    assert (f"IRR {row['originator IRR (fraction a year)']:.2%} on what it keeps" in said)
    assert f"residual received {row['residual received a path (currency units)']:,.2f}" in said


def test_report_exports_the_tranche_table_it_prints(deal_run, tmp_path, capsys):
    from sim.abs import tranche_summary

    csv, xlsx = tmp_path / "summary.csv", tmp_path / "summary.xlsx"
    assert main(["report", str(deal_run.path), "--csv", str(csv), "--xlsx", str(xlsx)]) == 0
    out, err = capsys.readouterr()
    # 2 months after the revolving period: the horizon, not defaults, writes the notes down
    said = " ".join(err.split())
    assert "Warning: deal.legal_final_period is not set, so the horizon's last month" in said
    assert "These losses come from the end of the simulation, not from defaults" in said
    beside = tmp_path / "summary-tranches.csv"
    assert out.splitlines()[-3:] == [str(csv), str(beside), str(xlsx)]
    run = load_run(deal_run.path)
    source = tranche_summary(run["note_metrics"])
    book = pd.read_excel(xlsx, sheet_name=None)
    assert list(book) == ["summary", "tranches", "about"]
    for back in (pd.read_csv(beside), book["tranches"]):
        assert set(back["run"]) == {run.run_id}
        assert back["n, paths (count)"].tolist() == [3] * len(source)
        # 3 paths resolve no percentile, nor the senior note's rating
        assert back["loss p95 (fraction)"].isna().all() and back["loss p99 (fraction)"].isna().all()
        assert back["implied rating"].isna().any()
        assert back["kept by the originator (fraction)"].tolist() == [0, 0, 1]  # the default
        _check_tranches_as_printed(back, out, source)
    about = book["about"]
    assert "tranches: WAL (years)" in set(about["name"])
    assert about.loc[about["name"] == "tranches: WAL (years)", "unit"].item() == "years"
    line = about.loc[about["name"] == "tranches: originator", "value"].item()
    assert line.startswith("Originator (keeping subordinated whole and the residual")
    assert line in " ".join(out.split())


def test_the_tranche_export_holds_what_the_tables_print_when_the_paths_resolve_them():
    """120 paths: the loss percentiles and the ratings resolve, and the originator keeps a
    5 % vertical slice; the screen's tables and the export agree cell by cell."""
    from types import SimpleNamespace

    from rich.console import Console

    from sim.abs import tranche_summary
    from sim.exports import tranche_export
    from sim.report_tables import rating_footnote, tranche_table

    rng = np.random.default_rng(7)
    notes, n = ["senior", "mezzanine", "junior"], 120
    loss = np.c_[np.zeros(n), np.where(rng.random(n) < 0.1, rng.random(n) * 0.2, 0.0),
                 np.where(rng.random(n) < 0.6, rng.random(n), 0.0)]
    metrics = pd.DataFrame({
        "path": np.repeat(np.arange(n), 3), "note": np.tile(notes, n),
        "loss_pct": loss.ravel(), "pv_loss_pct": loss.ravel() * 0.93,
        "any_loss": loss.ravel() > 0.0001,
        "wal_years": np.tile([0.8, 1.1, 1.3], n) + rng.random(3 * n) * 0.1,
        "irr_annual": 0.05 - loss.ravel(), "retained": 0.05,
        "holder_irr_annual": np.tile([np.nan, np.nan, 1.0], n) * rng.normal(0.2, 0.05, 3 * n),
        "residual_paid": np.tile([np.nan, np.nan, 1.0], n) * 4e5,
        "reserve_funded": np.tile([np.nan, np.nan, 1.0], n) * 1e5,
        "oc_funded": np.tile([np.nan, np.nan, 0.0], n),
        "call_topped_up": np.tile([np.nan, np.nan, 0.0], n)})
    source = tranche_summary(metrics)
    console = Console(width=250, file=io.StringIO(), record=True)
    for table in tranche_table(source, "tranches"):
        console.print(table)
    console.print(rating_footnote(source), highlight=False)
    out = console.export_text()
    run = SimpleNamespace(run_id="r", manifest={"config": {"deal": {"name": "d"}}})
    back = pd.read_csv(io.BytesIO(export_frame(tranche_export(run, source)).to_csv(
        index=False).encode()))
    assert back["loss p95 (fraction)"].notna().all() and back["loss p99 (fraction)"].notna().all()
    assert back["implied rating"].notna().any()
    assert "5 % of every note (senior, mezzanine, junior) and the residual" in " ".join(out.split())
    _check_tranches_as_printed(back, out, source)


def test_a_run_without_a_deal_writes_one_csv(policy_set, tmp_path, capsys):
    csv = tmp_path / "summary.csv"
    assert main(["report", str(policy_set["a"]), "--csv", str(csv)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(csv)
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


def test_the_tranche_file_that_cannot_be_written_is_refused_before_any_file(deal_run, tmp_path,
                                                                          capsys):
    (tmp_path / "summary-tranches.csv").mkdir()
    csv = tmp_path / "summary.csv"
    assert main(["report", str(deal_run.path), "--csv", str(csv)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith(f"error: --csv {tmp_path / 'summary-tranches.csv'}: is a folder"), err
    assert not csv.exists()
