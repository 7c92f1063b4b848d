"""Damaged run folders: a table copied over another, emptied, cut short or taken from
another run is refused when it is read (:func:`sim.store.read_table`), by the commands
with exit status 2 and one message, and by the dashboard with the same message."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import stored_before_digests

import sim
from dashboard.data import RunStore, clear_cache
from dashboard.launcher import RunGuard
from dashboard.pages.common import AppContext
from dashboard.pages.common import load_run as page_load_run
from sim import tables as contract
from sim.cli import main
from sim.config import deep_merge, read_yaml
from sim.store import DamagedRun, load_run

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TINY_DEAL = {"name": "tiny-deal", "seed": 5,
             "book": {"initial_borrowers": 300, "new_borrowers_per_month": 10,
                      "horizon_months": 12}}


def _config() -> dict:
    cfg = deep_merge(read_yaml(CONFIGS / "baseline.yaml"), TINY_DEAL)
    cfg["deal"] = deep_merge(read_yaml(CONFIGS / "deals" / "baitiao_2015.yaml"),
                             {"cutoff_month": 4, "revolving_months": 2})
    return cfg


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A 4-path run with a deal (every kind of table), a 1-path run of the same config, and
    a 4-path run of it with another seed: tables of the same shape as the first's."""
    root = tmp_path_factory.mktemp("runs")
    four = sim.run(_config(), paths=4, seed=3, out=root / "four")
    one = sim.run(_config(), paths=1, seed=3, out=root / "one")
    other = sim.run(_config(), paths=4, seed=4, out=root / "other")
    assert four.path is not None and one.path is not None and other.path is not None
    return four.path, one.path, other.path


def _copy(runs: tuple[Path, ...], tmp_path: Path, digests: bool = True) -> Path:
    """A copy of the 4-path run in a store of its own; without ``digests``, as a run stored
    before its tables' digests were recorded."""
    folder = tmp_path / "store" / runs[0].name
    shutil.copytree(runs[0], folder)
    if not digests:
        stored_before_digests(folder)
    return folder


def _as_written(folder: Path) -> None:
    """Record the digests of the tables now in ``folder``: as if the run had written them."""
    file = folder / "manifest.json"
    manifest = json.loads(file.read_text())
    manifest["table_sha256"] = {t: hashlib.sha256((folder / f"{t}.parquet").read_bytes())
                                .hexdigest() for t in manifest["tables"]}
    file.write_text(json.dumps(manifest))


def _over(folder: Path, source: str, target: str) -> None:
    shutil.copy(folder / f"{source}.parquet", folder / f"{target}.parquet")


def _empty(folder: Path) -> None:
    for file in folder.glob("*.parquet"):
        pd.read_parquet(file).iloc[:0].to_parquet(file, index=False)


def _from_one_path_run(folder: Path, one: Path) -> None:
    for file in one.glob("*.parquet"):
        shutil.copy(file, folder / file.name)


def _cut_short(folder: Path, table: str) -> None:
    file = folder / f"{table}.parquet"
    file.write_bytes(file.read_bytes()[:200])


EXPECTED = "the manifest says 4 paths (0-3)"
DAMAGE = [  # (how, command, what the message says)
    ("portfolio over paths", "report",
     "table 'paths' lacks columns 'cumulative_charge_off_rate', 'net_loss_rate', "
     "'recovery_rate' and 3 more"),
    ("paths over notes", "deal-report", "table 'notes' lacks columns 'period', 'note', "
                                        "'balance_end'"),
    ("paths over rolls", "rolls", "table 'rolls' lacks columns 'month', 'from_state', "
                                  "'to_state' and 1 more"),
    ("every table empty", "report", f"table 'note_metrics' has no rows but {EXPECTED}"),
    ("every table empty", "deal-report", f"table 'notes' has no rows but {EXPECTED}"),
    ("every table empty", "rolls", f"table 'portfolio' has no rows but {EXPECTED}"),
    ("a 1-path run's tables", "report", f"table 'note_metrics' holds path 0 but {EXPECTED}"),
    ("a 1-path run's tables", "deal-report", f"table 'notes' holds path 0 but {EXPECTED}"),
    ("a 1-path run's tables", "rolls", f"table 'portfolio' holds path 0 but {EXPECTED}"),
    ("a 1-path run's paths table", "report", f"table 'paths' holds path 0 but {EXPECTED}"),
    ("an empty paths table", "report", f"table 'paths' has no rows but {EXPECTED}"),
    ("portfolio cut short", "report", "table 'portfolio' cannot be read ("),
    # compare reads 'paths' alone, and refuses a run damaged in another table all the same
    ("an empty portfolio table", "compare", f"table 'portfolio' has no rows but {EXPECTED}"),
    ("a 1-path run's tables", "compare", f"table 'paths' holds path 0 but {EXPECTED}")]


def _damage(folder: Path, how: str, one: Path) -> None:
    if " over " in how:
        source, target = how.split(" over ")
        _over(folder, source, target)
    elif how == "every table empty":
        _empty(folder)
    elif how == "a 1-path run's tables":
        _from_one_path_run(folder, one)
    elif how == "a 1-path run's paths table":
        shutil.copy(one / "paths.parquet", folder / "paths.parquet")
    elif how.startswith("an empty "):
        file = folder / f"{how.split()[2]}.parquet"
        pd.read_parquet(file).iloc[:0].to_parquet(file, index=False)
    else:
        _cut_short(folder, "portfolio")


def _argv(command: str, folder: Path, runs: tuple[Path, ...]) -> list[str]:
    """``command`` of the damaged run in ``folder``; compare's A is the intact run of
    another seed."""
    return [command, str(runs[2]), str(folder)] if command == "compare" else [command,
                                                                              str(folder)]


@pytest.mark.parametrize(("how", "command", "says"), DAMAGE)
def test_a_damaged_run_exits_2_naming_the_table_and_the_fault(runs, tmp_path, capsys, how,
                                                              command, says):
    """A run stored before the digests: the store's contract names the fault, in one line."""
    folder = _copy(runs, tmp_path, digests=False)
    _damage(folder, how, runs[1])
    assert main(_argv(command, folder, runs)) == 2
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1
    err = " ".join(captured.err.split())
    assert err.startswith(f"error: {folder}: {says}"), err
    assert err.endswith(f"(the run is damaged; rerun it with 'creditsim run --from-manifest "
                        f"{folder}')")
    assert "Traceback" not in err and captured.out == ""


def _another_seeds_portfolio(folder: Path, other: Path) -> None:
    shutil.copy(other / "portfolio.parquet", folder / "portfolio.parquet")


def _changed_message(folder: Path, table: str) -> str:
    return (f"error: {folder}: table {table!r} was changed or replaced after the run was "
            f"written: its file's SHA-256 is not the one the manifest recorded (the run is "
            f"damaged; restore {table}.parquet from a copy of the run, or rerun it with "
            f"'creditsim run --from-manifest {folder}')")


def test_another_runs_table_of_the_same_shape_fits_the_contract_but_not_the_digest(runs,
                                                                                 tmp_path):
    """What the digests are for: the portfolio of a run of another seed has the run's
    columns and paths, and a run stored before the digests takes it without a word."""
    folder = _copy(runs, tmp_path, digests=False)
    _another_seeds_portfolio(folder, runs[2])
    swapped = load_run(folder, tables=("portfolio",)).portfolio
    assert not swapped.equals(load_run(runs[0], tables=("portfolio",)).portfolio)
    with_digests = _copy(runs, tmp_path / "b")
    _another_seeds_portfolio(with_digests, runs[2])
    with pytest.raises(DamagedRun, match="table 'portfolio' was changed or replaced after "
                                         "the run was written"):
        load_run(with_digests, tables=("portfolio",))


REPLACED = [  # (how, command, the table named)
    ("another seed's portfolio", "report", "portfolio"),
    ("another seed's portfolio", "rolls", "portfolio"),
    ("another seed's portfolio", "compare", "portfolio"),  # compare reads 'paths' alone
    ("every table empty", "report", "note_metrics"),
    ("every table empty", "compare", "paths"),
    ("paths over notes", "deal-report", "notes"),
    ("portfolio cut short", "rolls", "portfolio")]


@pytest.mark.parametrize(("how", "command", "table"), REPLACED)
def test_a_table_changed_after_the_run_was_written_is_refused_naming_it(runs, tmp_path, capsys,
                                                                        how, command, table):
    folder = _copy(runs, tmp_path)
    if how == "another seed's portfolio":
        _another_seeds_portfolio(folder, runs[2])
    else:
        _damage(folder, how, runs[1])
    assert main(_argv(command, folder, runs)) == 2
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1
    assert " ".join(captured.err.split()) == _changed_message(folder, table)
    assert "Traceback" not in captured.err and captured.out == ""


def test_the_dashboard_refuses_a_table_changed_after_the_run_was_written(runs, tmp_path):
    folder = _copy(runs, tmp_path)
    _another_seeds_portfolio(folder, runs[2])
    other = folder.parent / runs[2].name
    shutil.copytree(runs[2], other)
    clear_cache()
    store = RunStore(folder.parent)
    said = "table 'portfolio' was changed or replaced after the run was written"
    with pytest.raises(DamagedRun, match=said):
        store.load(folder.name)
    ctx = AppContext(store, configs_dir=CONFIGS, guard=RunGuard(None))
    data, message = page_load_run(ctx, folder.name)
    assert data is None and message.startswith(f"{store.root / folder.name}: {said}")
    with pytest.raises(DamagedRun, match=said):  # the comparison reads 'paths' alone
        store.compare(other.name, folder.name)
    assert store.load(other.name).paths.shape[0] == 4


def test_the_dashboard_refuses_a_table_changed_after_it_loaded_the_run(runs, tmp_path):
    """The dashboard's cache served a run loaded before its table was replaced; the cache
    keys now hold each file's size and time, so the changed table is read and refused."""
    folder = _copy(runs, tmp_path)
    other = folder.parent / runs[2].name
    shutil.copytree(runs[2], other)
    clear_cache()
    store = RunStore(folder.parent)
    assert store.load(folder.name).paths.shape[0] == 4
    store.compare(other.name, folder.name)
    store.load(folder.name)  # from the cache: nothing changed
    _another_seeds_portfolio(folder, runs[2])
    said = "table 'portfolio' was changed or replaced after the run was written"
    with pytest.raises(DamagedRun, match=said):
        store.load(folder.name)
    with pytest.raises(DamagedRun, match=said):
        store.compare(other.name, folder.name)


def test_a_run_stored_before_the_digests_loads_as_it_did(runs, tmp_path, capsys):
    folder = _copy(runs, tmp_path, digests=False)
    assert load_run(folder).manifest["table_sha256"] is None
    original = load_run(runs[0])
    for name, frame in load_run(folder).tables.items():
        pd.testing.assert_frame_equal(frame, original[name])
    for argv in (["report", str(folder)], ["rolls", str(folder)],
                 ["deal-report", str(folder)], ["compare", str(runs[2]), str(folder)]):
        assert main(argv) == 0, argv
    assert "error" not in capsys.readouterr().err
    clear_cache()
    store = RunStore(folder.parent)
    assert store.load(folder.name).paths.shape[0] == 4


def test_the_damaged_run_is_named_by_its_id_under_runs_too(runs, tmp_path, capsys):
    folder = _copy(runs, tmp_path, digests=False)
    _empty(folder)
    assert main(["report", folder.name, "--runs", str(folder.parent)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"table 'note_metrics' has no rows but {EXPECTED}" in err


def test_the_dashboard_shows_the_message_instead_of_failing(runs, tmp_path):
    folder = _copy(runs, tmp_path, digests=False)
    _empty(folder)
    clear_cache()
    store = RunStore(folder.parent)
    with pytest.raises(DamagedRun, match=re.escape(f"table 'note_metrics' has no rows but "
                                                   f"{EXPECTED}")):
        store.load(folder.name)
    ctx = AppContext(store, configs_dir=CONFIGS, guard=RunGuard(None))
    data, message = page_load_run(ctx, folder.name)
    assert data is None
    assert message.startswith(f"{store.root / folder.name}: table 'note_metrics' has no rows")
    _from_one_path_run(folder, runs[1])
    clear_cache()
    assert "table 'note_metrics' holds path 0 but" in page_load_run(ctx, folder.name)[1]
    _over(folder, "portfolio", "paths")  # the comparison reads the paths table alone
    with pytest.raises(DamagedRun, match="table 'paths' lacks columns"):
        store.compare(folder.name, folder.name)


def test_an_intact_run_loads_in_the_commands_and_the_dashboard(runs, tmp_path, capsys):
    folder = _copy(runs, tmp_path)
    run = load_run(folder)
    assert set(run.tables) == contract.expected_tables(deal=True)
    clear_cache()
    assert RunStore(folder.parent).load(folder.name).paths.shape[0] == 4
    for command in ("report", "deal-report", "rolls"):
        assert main([command, str(folder)]) == 0
    assert "error" not in capsys.readouterr().err


def test_a_run_older_than_the_newer_columns_still_loads(runs, tmp_path):
    """A run stored before columns were added (the net excess spread, the reserve drawn,
    the pool sold, roll balances...) has only the columns every run has, and loads."""
    folder = _copy(runs, tmp_path, digests=False)
    for name, table in contract.TABLES.items():
        file = folder / f"{name}.parquet"
        if file.is_file():
            frame = pd.read_parquet(file)
            newer = [c for c in table.column_names if c not in table.required]
            newer += ["balance"] if name == "rolls" else []  # before roll balances
            frame.drop(columns=[c for c in newer if c in frame]).to_parquet(file, index=False)
    run = load_run(folder)
    assert "reserve_draw" not in run["notes"] and "balance" not in run["rolls"]
    assert sorted(run.paths["path"]) == [0, 1, 2, 3]


def test_tables_with_rows_for_some_paths_only_may_have_none(runs, tmp_path):
    """A deal without triggers records none; a short book may roll no account."""
    folder = _copy(runs, tmp_path)
    for name in ("triggers", "trigger_metrics", "rolls"):
        file = folder / f"{name}.parquet"
        pd.read_parquet(file).iloc[:0].to_parquet(file, index=False)
    _as_written(folder)
    assert load_run(folder, tables=("triggers", "trigger_metrics", "rolls"))["rolls"].empty


def test_the_message_s_advice_works_a_damaged_run_is_rerun_from_its_manifest(runs, tmp_path,
                                                                             capsys):
    folder = _copy(runs, tmp_path)
    _empty(folder)
    out = tmp_path / "again"
    assert main(["run", "--from-manifest", str(folder), "--out", str(out), "--quiet"]) == 0
    again = load_run(capsys.readouterr().out.strip().splitlines()[-1])
    assert sorted(again.paths["path"]) == [0, 1, 2, 3]
