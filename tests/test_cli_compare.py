"""``creditsim compare``, ``run-set`` and ``report``: they say n, what is paired and why not."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sim.cli
from sim.cli import main
from sim.metrics import KEY_METRICS

TINY = """\
name: tiny
seed: 5
book: {{initial_borrowers: {n}, new_borrowers_per_month: 4, horizon_months: 6}}
"""


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(sim.cli.console, "width", 250)
    monkeypatch.setattr(sim.cli.err_console, "width", 250)


def _run(tmp_path: Path, capsys, borrowers: int = 40, paths: int = 2, seed: int = 3,
         name: str = "tiny") -> Path:
    cfg = tmp_path / f"{name}-{borrowers}.yaml"
    cfg.write_text(TINY.format(n=borrowers).replace("name: tiny", f"name: {name}"))
    assert main(["run", str(cfg), "--paths", str(paths), "--seed", str(seed),
                 "--out", str(tmp_path / "runs"), "--quiet"]) == 0
    return Path(capsys.readouterr().out.strip().splitlines()[-1])


def _lines(out: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("│").split("│")]
            for line in out.splitlines() if line.startswith("│")]


def _rows(out: str) -> dict[str, list[str]]:
    return {cells[0]: cells for cells in _lines(out)}


def test_a_run_compared_with_itself_is_refused_in_one_line(tmp_path, capsys):
    run = _run(tmp_path, capsys)
    for b in (str(run), run.name):  # the same folder, or its id under --runs
        assert main(["compare", str(run), b, "--runs", str(tmp_path / "runs")]) == 2
        captured = capsys.readouterr()
        assert captured.err == (f"error: A and B are the same run ({run}): name two different "
                                "runs to compare\n")
        assert captured.out == ""


def test_a_copy_of_a_run_is_warned_of_only_when_its_table_is_the_runs(tmp_path, capsys):
    import shutil

    from conftest import stored_before_digests

    run = _run(tmp_path, capsys)
    copy = tmp_path / "copy"  # the same run under another folder
    shutil.copytree(run, copy)
    assert main(["compare", str(run), str(copy)]) == 0
    captured = capsys.readouterr()
    assert flat(captured.err).startswith(f"warning: A and B are copies of the same run ({run} "
                                         f"and {copy}) ({run.name})")
    assert "B - A" in captured.out  # the table of zeros (tests/test_cli.py): the copy is whole
    # the copy's paths table replaced by another seed's: its digest refuses it
    other = _run(tmp_path, capsys, seed=4)
    shutil.copy(other / "paths.parquet", copy / "paths.parquet")
    assert main(["compare", str(run), str(copy)]) == 2
    err = flat(capsys.readouterr().err)
    assert err.startswith(f"error: {copy}: table 'paths' was changed or replaced after the "
                          "run was written")
    # in copies stored before the digests, the manifests cannot tell which: both refused
    for folder in (run, copy):
        stored_before_digests(folder)
    assert main(["compare", str(run), str(copy)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert flat(captured.err) == (
        f"error: A ({run}) and B ({copy}) are copies of run {run.name} (the same manifest) but "
        "their 'paths' tables differ, so one of them was changed after the run was written "
        "(which one cannot be told: the run was stored before its tables' digests were "
        f"recorded); rerun it with 'creditsim run --from-manifest {run}'")


def test_two_runs_of_the_same_config_seed_and_paths_are_warned_of(tmp_path, capsys):
    a = _run(tmp_path, capsys)
    b = _run(tmp_path, capsys)  # a second run: another id and folder, the same results
    assert a != b
    assert main(["compare", str(a), str(b)]) == 0
    captured = capsys.readouterr()
    assert flat(captured.err).startswith("warning: A and B ran the same config with the same "
                                         "seed and paths on the same code")
    assert "B - A" in captured.out
    other = _run(tmp_path, capsys, seed=4)  # another seed: a comparison, no warning
    assert main(["compare", str(a), str(other)]) == 0
    assert "same config" not in flat(capsys.readouterr().err)


def test_two_runs_of_one_config_are_said_to_be_equal_only_when_their_tables_are(tmp_path,
                                                                              capsys):
    """Runs stored before the digests: B's paths table taken from a run of another seed
    (the same shape) gives differences, which no warning may call 0."""
    import shutil

    from conftest import stored_before_digests

    a, b, other = _run(tmp_path, capsys), _run(tmp_path, capsys), _run(tmp_path, capsys, seed=4)
    for folder in (a, b):
        stored_before_digests(folder)
    shutil.copy(other / "paths.parquet", b / "paths.parquet")
    assert main(["compare", str(a), str(b)]) == 0
    captured = capsys.readouterr()
    assert "every difference is 0" not in flat(captured.err)
    assert any(r[3] not in ("0", "0.000 pp") for r in _lines(captured.out))


def test_compare_of_different_books_is_not_paired_and_names_the_key(tmp_path, capsys):
    """Issue example: books or horizons that differ were paired without a word."""
    a = _run(tmp_path, capsys, borrowers=40)
    b = _run(tmp_path, capsys, borrowers=60)
    assert main(["compare", str(a), str(b)]) == 0
    captured = capsys.readouterr()
    out = flat(captured.out)
    assert "NOT PAIRED" in out and "book.initial_borrowers" in out
    assert "95% CI (UNPAIRED, Welch)" in out and "(paired)" not in out
    assert "book.initial_borrowers" in flat(captured.err)


def test_compare_with_unequal_path_counts_keeps_each_runs_mean(tmp_path, capsys):
    """Issue example: only the first min(nA, nB) paths were paired, so A's mean moved."""
    a = _run(tmp_path, capsys, paths=3)
    b = _run(tmp_path, capsys, paths=2)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "different path sets (A: 3 paths, B: 2 paths, 2 in common)" in flat(out)
    assert main(["report", str(a)]) == 0
    report = _rows(capsys.readouterr().out)
    compare = _rows(out)
    for metric in KEY_METRICS:
        assert compare[metric][1] == report[metric][2], metric  # A's mean == report's mean


def test_two_paths_say_n_and_do_not_judge_significance(tmp_path, capsys):
    """Issue example: n = 2 marked differences 'significant' and printed p5/p95."""
    a = _run(tmp_path, capsys, paths=2)
    b = _run(tmp_path, capsys, paths=2, name="other")  # the same book: paired, path by path
    assert main(["compare", str(a), str(b)]) == 0
    captured = capsys.readouterr()
    rows = _rows(captured.out)
    assert all(rows[m][-1] == "n/a (n=2)" for m in KEY_METRICS)
    assert "2 paired paths" in flat(captured.out)
    assert "only 2 paths; below 20 paths" in flat(captured.err)
    assert main(["report", str(a)]) == 0
    captured = capsys.readouterr()
    rows = _rows(captured.out)
    assert "n = 2 paths" in captured.out
    for m in KEY_METRICS:
        n, _mean, p5, _p50, p95 = rows[m][1:6]
        assert (n, p5, p95) == ("2", "n/a", "n/a"), m
    assert "only 2 paths" in flat(captured.err)


def test_report_shows_book_horizon_deal_and_overrides(tmp_path, capsys):
    a = _run(tmp_path, capsys, borrowers=40)
    assert main(["report", str(a)]) == 0
    out = flat(capsys.readouterr().out)
    assert "40 borrowers + 4/month" in out and "6 months" in out and "deal none" in out


def test_an_implied_rating_is_shown_only_when_the_paths_resolve_it():
    """Issue example: 2-3 paths printed 'Aaa'. The rule (README, docs/REPORTS.md): a rating is
    n/a when the run cannot tell its expected loss from zero, whatever the count of paths;
    a note losing most of its balance on every path is resolved by a handful."""
    from rich.console import Console

    from sim.abs import tranche_summary
    from sim.report_tables import tranche_table

    metrics = pd.DataFrame({"path": [0, 1, 2, 3] * 2, "note": ["A"] * 4 + ["B"] * 4,
                            "loss_pct": [0.0] * 4 + [0.6, 0.7, 0.65, 0.8],
                            "any_loss": [0] * 4 + [1] * 4,
                            "wal_years": [1.0] * 8, "irr_annual": [0.05] * 8})
    console = Console(width=250, record=True)
    for table in tranche_table(tranche_summary(metrics), "deal d"):
        console.print(table)
    rows = _rows(console.export_text())
    assert rows["A"][-1].startswith("n/a: needs >= ")  # no loss on 4 paths: not Aaa
    assert rows["A"][4:6] == ["n/a", "n/a"]  # loss p95, p99 from 4 paths (after the
    # expected loss, the principal loss and P(loss))
    assert rows["B"][-1] == "below B3"  # 69 % expected loss: resolved by 4 paths


def test_a_point_rating_shows_the_ratings_its_run_allows_beside_it():
    """6 paths, half of them losing 2-3 %: the expected loss (1.25 %) reads Ba1 at a WAL of
    3 years; its 95 % interval runs from the Wilson lower bound of P(loss) (0.188) times the
    smallest loss (2 %), 0.375 %, Baa2, to Ba2, so the rating's cell says 'Ba1 (Baa2 to Ba2)',
    not 'Ba1' alone (nor, as the t interval cut at 0 had it, 'Aaa to Ba2')."""
    from rich.console import Console

    from sim.abs import tranche_summary
    from sim.report_tables import tranche_table

    metrics = pd.DataFrame({"path": range(6), "note": "C",
                            "loss_pct": [0.02, 0.0, 0.03, 0.0, 0.025, 0.0],
                            "any_loss": [1, 0, 1, 0, 1, 0], "wal_years": 3.0,
                            "irr_annual": 0.01})
    console = Console(width=250, record=True)
    for table in tranche_table(tranche_summary(metrics), "deal d"):
        console.print(table)
    assert _rows(console.export_text())["C"][-1] == "Ba1 (Baa2 to Ba2)"


def test_run_set_says_n_and_not_significant_from_two_paths(tmp_path, capsys):
    cfg = tmp_path / "a.yaml"
    cfg.write_text(TINY.format(n=40))
    other = tmp_path / "b.yaml"
    other.write_text(TINY.format(n=40).replace("name: tiny", "name: other")
                     + "collections: {collectors: {count: 5}}\n")
    assert main(["run-set", str(cfg), str(other), "--paths", "2", "--quiet",
                 "--out", str(tmp_path / "runs")]) == 0
    captured = capsys.readouterr()
    assert "n = 2 paired paths" in flat(captured.out)
    rows = [r for r in _lines(captured.out) if r[0] == "other"]
    assert rows and all(r[-1] == "n/a (n=2)" and r[-2] == "paired" for r in rows)
    assert "only 2 paths" in flat(captured.err)


def test_run_set_warns_before_running_one_config_twice(tmp_path, capsys, monkeypatch):
    """As compare warns of two runs of one config: every difference would be 0."""
    import sim.scenarios.policies as policies

    cfg = tmp_path / "a.yaml"
    cfg.write_text(TINY.format(n=40))
    real, said_first = policies.run_policy_set_checked, []

    def checked(*args, **kwargs):  # what was said before the runs
        said_first.append(flat(capsys.readouterr().err))
        return real(*args, **kwargs)

    monkeypatch.setattr(policies, "run_policy_set_checked", checked)
    assert main(["run-set", str(cfg), str(cfg), "--paths", "1", "--quiet",
                 "--out", str(tmp_path / "runs")]) == 0
    assert said_first == [f"warning: {cfg} is given 2 times: run with the same seed and "
                          "paths, their results are the same, so every difference between "
                          "them is 0 (give configs that differ to compare)"]


def test_configs_that_differ_only_in_name_are_the_same_policy():
    from helpers_engine import tiny_config

    from sim.scenarios.policies import repeated_policies

    a, renamed = tiny_config(), tiny_config({"name": "copy", "description": "a copy"})
    other = tiny_config({"collections": {"collectors": {"count": 5}}})
    assert repeated_policies([a, other, renamed], ["a.yaml", "b.yaml", "copy.yaml"]) \
        .startswith("a.yaml and copy.yaml are the same config: ")
    assert repeated_policies([a, other, a, other], ["a", "b", "a", "b"]).startswith(
        "a is given 2 times; b is given 2 times: ")
    assert repeated_policies([a, other], ["a", "b"]) == ""


@pytest.mark.slow
def test_run_set_compares_tranche_losses_too(tmp_path):
    """Issue example: tranche losses appeared in compare but not in run-set."""
    import yaml
    from conftest import SMALL_DEAL, small_config

    from sim.config import deep_merge
    from sim.scenarios.policies import run_policy_set

    book = {"book": {"initial_borrowers": 200, "new_borrowers_per_month": 5,
                     "horizon_months": 18}}
    paths = []
    for name, count in (("a", 2), ("b", 4)):
        cfg = deep_merge(small_config(book), SMALL_DEAL)
        cfg = deep_merge(cfg, {"name": name, "collections": {"collectors": {"count": count}}})
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(yaml.safe_dump(cfg))
    _, table = run_policy_set(paths, paths=1, out=None)
    metrics = set(table["metric"])
    assert {"note_loss_senior", "note_loss_mezzanine", "note_loss_subordinated"} <= metrics


def test_run_set_changes_every_policy_alike_with_set_and_deal(tmp_path, capsys):
    """``--set`` and ``--deal`` apply to every config of the set, as ``run`` applies them to
    one; each run's manifest records the change from its own file."""
    from sim.store import load_run

    cfg = tmp_path / "a.yaml"
    cfg.write_text(TINY.format(n=40))
    other = tmp_path / "b.yaml"
    other.write_text(TINY.format(n=40).replace("name: tiny", "name: other")
                     + "collections: {collectors: {count: 5}}\n")
    assert main(["run-set", str(cfg), str(other), "--paths", "1", "--quiet", "--deal", "none",
                 "--set", "book.initial_borrowers=30", "--out", str(tmp_path / "runs")]) == 0
    folders = [line for line in capsys.readouterr().out.splitlines() if "runs" in line][-2:]
    for folder, name in zip(folders, (cfg, other), strict=True):
        manifest = load_run(folder, tables=()).manifest
        assert manifest["config"]["book"]["initial_borrowers"] == 30
        assert manifest["config"]["deal"] is None
        assert manifest["config_file"].endswith(name.name)
        assert manifest["overrides"]["book.initial_borrowers"] == 30


def test_run_set_says_what_set_and_deal_changed_in_its_title_and_csv(tmp_path, capsys):
    """Two sets of the same configs with different ``--set`` print different titles and
    write CSVs that say what changed, not only different run ids."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text(TINY.format(n=40))
    other = tmp_path / "b.yaml"
    other.write_text(TINY.format(n=40).replace("name: tiny", "name: other")
                     + "collections: {collectors: {count: 5}}\n")
    titles, changes = [], []
    for n in (30, 35):
        csv = tmp_path / f"set{n}.csv"
        assert main(["run-set", str(cfg), str(other), "--paths", "1", "--quiet",
                     "--set", f"book.initial_borrowers={n}", "--out", str(tmp_path / "runs"),
                     "--csv", str(csv)]) == 0
        out = flat(capsys.readouterr().out)
        titles.append(out[out.index("policies vs"):out.index(")", out.index("seed"))])
        back = pd.read_csv(csv)
        changes.append((set(back["reference overrides"]), set(back["policy overrides"])))
    assert titles == [f"policies vs tiny (n = 1 paired paths, seed 5; overrides: "
                      f"book.initial_borrowers={n}" for n in (30, 35)]
    assert changes == [({f"overrides: book.initial_borrowers={n}"},) * 2 for n in (30, 35)]


def test_set_overrides_text_names_each_run_when_their_changes_differ():
    from sim.runinfo import set_overrides_text

    same = [{"name": n, "overrides": {"book.horizon_months": 12}} for n in ("a", "b")]
    assert set_overrides_text(same) == "overrides: book.horizon_months=12"
    mixed = [same[0], {"name": "b", "overrides": {}}]
    assert set_overrides_text(mixed) == "a: overrides: book.horizon_months=12; b: as configured"
    many = [{"name": "a", "overrides": {f"k{i}": i for i in range(6)}}]
    assert set_overrides_text(many).endswith("2 more")
    assert set_overrides_text(many, None).endswith("k5=5")


def test_set_overrides_text_is_empty_when_no_run_changed_anything():
    from sim.runinfo import set_overrides_text

    unchanged = [{"name": n, "overrides": {}} for n in ("a", "b")]
    assert set_overrides_text(unchanged) == ""
    assert set_overrides_text([]) == ""
    unknown = [{"name": "a", "overrides": None}]  # an old manifest: not known, so said
    assert set_overrides_text(unknown) == "overrides unknown"


# -- compare A1 B1 --against A2 B2: the difference in differences ---------------------------------
def _config(name: str, policy: bool, recession: bool, horizon: int = 12) -> dict:
    config: dict = {"name": name, "book": {"initial_borrowers": 200,
                                           "new_borrowers_per_month": 5,
                                           "horizon_months": horizon}}
    if policy:
        config["collections"] = {"collectors": {"count": 0}}
    if recession:
        config["macro"] = {"scenario": "severe_recession"}
    return config


@pytest.fixture(scope="module")
def four(tmp_path_factory) -> dict[str, Path]:
    """A1 standard, B1 without collectors, A2 and B2 the same in a severe recession (3 paths,
    seed 3), and A2 again with seed 4 and with a longer horizon."""
    import sim

    out = tmp_path_factory.mktemp("four") / "runs"
    made = {"A1": ((False, False), 3, 12), "B1": ((True, False), 3, 12),
            "A2": ((False, True), 3, 12), "B2": ((True, True), 3, 12),
            "A2 seed 4": ((False, True), 4, 12), "A2 longer": ((False, True), 3, 14)}
    return {name: sim.run(_config(name.split()[0].lower(), *factors, horizon=horizon),
                          paths=3, seed=seed, out=out).path
            for name, (factors, seed, horizon) in made.items()}


def test_compare_against_prints_the_difference_in_differences_beside_both_effects(
        four, tmp_path, capsys):
    from sim.metrics import format_metric
    from sim.store import load_run

    runs = [str(four[n]) for n in ("A1", "B1", "A2", "B2")]
    csv, xlsx = tmp_path / "did.csv", tmp_path / "did.xlsx"
    assert main(["compare", runs[0], runs[1], "--against", runs[2], runs[3],
                 "--csv", str(csv), "--xlsx", str(xlsx)]) == 0
    captured = capsys.readouterr()
    out, err = flat(captured.out), flat(captured.err)
    assert "the policy effect in scenario 2 minus the policy effect in scenario 1" in out
    assert f"scenario 1: A1 = {four['A1'].name}, B1 = {four['B1'].name}" in out
    assert "3 paired paths" in out
    header = next([c.strip() for c in line.strip().strip("┃").split("┃")]
                  for line in captured.out.splitlines() if line.startswith("┃"))
    assert header == ["metric", "B1 - A1", "B2 - A2", "(B2 - A2) - (B1 - A1)",
                      "95% CI (paired)", "significant"]
    # the printed figures are the paths' own: per path (B2 - A2) - (B1 - A1), then the mean
    a1, b1, a2, b2 = (load_run(r, tables=("paths",)).paths.set_index("path") for r in runs)
    rows = _rows(captured.out)
    for m in ("borrower_default_rate", "collection_cost"):
        effect_1, effect_2 = (b1[m] - a1[m]).mean(), (b2[m] - a2[m]).mean()
        d = ((b2[m] - a2[m]) - (b1[m] - a1[m])).mean()
        assert rows[m][1:4] == [format_metric(m, v, True) for v in (effect_1, effect_2, d)], m
        assert rows[m][-1] == "n/a (n=3)"
    # what the four runs change is part of the table, kept when only stdout is saved
    assert "policy change (A1 to B1): collections.collectors.count" in out
    assert "scenario change (A1 to A2): macro.scenario" in out
    assert "only 3 paths" in err
    # the exports: the same numbers, the runs named, an about sheet saying what the estimate is
    table = pd.read_csv(csv)
    assert table["run A2"].unique().tolist() == [four["A2"].name]
    effects = table["B2 - A2 (the row's unit)"] - table["B1 - A1 (the row's unit)"]
    assert (table["(B2 - A2) - (B1 - A1) (the row's unit)"] - effects).abs().max() < 1e-6
    about = pd.read_excel(xlsx, sheet_name="about").set_index("name")["value"]
    assert about["estimate"].startswith("interaction: the policy effect in scenario 2 minus")
    assert about["scenario change (A1 to A2)"].startswith("macro.scenario")
    assert pd.ExcelFile(xlsx).sheet_names == ["interaction", "about"]


@pytest.mark.parametrize(("a2", "says"), [
    ("A2 seed 4", "different seeds (A1: 3, A2: 4)"),
    ("A2 longer", "different book or income: book.horizon_months"),
])
def test_compare_against_refuses_runs_that_do_not_pair_in_one_line(four, a2, says, tmp_path,
                                                                   capsys):
    runs = [str(four[n]) for n in ("A1", "B1", a2, "B2")]
    csv = tmp_path / "did.csv"
    assert main(["compare", runs[0], runs[1], "--against", runs[2], runs[3],
                 "--csv", str(csv)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not csv.exists()
    err = flat(captured.err)
    assert err.startswith("error: the four runs must share their random numbers path by path")
    assert f"A2 ({four[a2].name}) against A1 ({four['A1'].name}): {says}" in err
    assert "Traceback" not in captured.err


def test_compare_against_a_missing_run_is_one_line(four, tmp_path, capsys):
    runs = [str(four[n]) for n in ("A1", "B1", "A2")]
    assert main(["compare", *runs[:2], "--against", runs[2], str(tmp_path / "nowhere")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: ")
    assert "nowhere" in captured.err and "Traceback" not in captured.err


def test_compare_against_refuses_the_second_pair_the_wrong_way_round(four, capsys):
    """``--against B2 A2`` would read scenario 2's effects with their signs reversed."""
    runs = [str(four[n]) for n in ("A1", "B1", "B2", "A2")]
    assert main(["compare", *runs[:2], "--against", *runs[2:]]) == 2
    captured = capsys.readouterr()
    err = flat(captured.err)
    assert captured.out == "" and "Traceback" not in captured.err
    assert err.startswith("error: the second pair is the wrong way round")
    assert f"--against {four['A2'].name} {four['B2'].name}" in err


def test_compare_against_given_twice_is_refused(four, capsys):
    runs = [str(four[n]) for n in ("A1", "B1", "A2", "B2")]
    with pytest.raises(SystemExit) as stop:
        main(["compare", *runs[:2], "--against", *runs[2:], "--against", *runs[:2]])
    assert stop.value.code == 2
    assert "--against is given twice; give it once" in capsys.readouterr().err


@pytest.fixture(scope="module")
def deal_runs(tmp_path_factory):
    """Two stored runs with the small deal (one collector against five, same seed), and a
    copy of the first as a run stored before each note's PV loss was a column of its
    ``paths`` table (its ``note_metrics`` records it)."""
    import shutil

    from conftest import SMALL_DEAL, small_config, stored_before_digests

    import sim
    from sim.config import deep_merge

    root = tmp_path_factory.mktemp("runs")
    book = {"book": {"initial_borrowers": 200, "new_borrowers_per_month": 5,
                     "horizon_months": 18}}
    runs = [sim.run(deep_merge(deep_merge(small_config(book), SMALL_DEAL),
                               {"name": name, "collections": {"collectors": {"count": n}}}),
                    paths=2, seed=3, out=root) for name, n in (("a", 1), ("b", 5))]
    old = root / (runs[0].path.name + "-old")
    shutil.copytree(runs[0].path, old)
    paths = pd.read_parquet(old / "paths.parquet")
    paths.drop(columns=[c for c in paths if c.startswith("note_pv_loss_")]).to_parquet(
        old / "paths.parquet")
    stored_before_digests(old)  # as the runs of those versions were
    return root, runs[0].path, runs[1].path, old


def test_compare_pairs_both_losses_of_every_note(deal_runs, capsys):
    from sim.compare import compare_runs
    from sim.store import load_run

    root, a, b, _ = deal_runs
    assert main(["compare", str(a), str(b), "--runs", str(root)]) == 0
    rows = [r[0] for r in _lines(capsys.readouterr().out)]
    notes = ("senior", "mezzanine", "subordinated")
    assert [r for r in rows if r.startswith("note_")] == [
        *(f"note_loss_{n}" for n in notes), *(f"note_pv_loss_{n}" for n in notes)]
    # the PV rows are the runs' own per-path pv_loss_pct
    runs = [load_run(p) for p in (a, b)]
    result, _ = compare_runs(runs[0].manifest, runs[0].paths, runs[1].manifest, runs[1].paths)
    for run, column in zip(runs, ("mean_a", "mean_b"), strict=True):
        pv = run["note_metrics"].groupby("note")["pv_loss_pct"].mean()
        got = result.set_index("metric")[column]
        for n in notes:
            assert got[f"note_pv_loss_{n}"] == pytest.approx(pv[n], abs=1e-15)


def test_a_run_stored_before_the_pv_loss_column_compares_on_it_from_its_note_metrics(
        deal_runs, capsys):
    from sim.report import comparison_paths

    root, a, b, old = deal_runs
    assert "note_pv_loss_subordinated" not in pd.read_parquet(old / "paths.parquet")
    pd.testing.assert_frame_equal(comparison_paths(old).paths, comparison_paths(a).paths)
    assert main(["compare", str(old), str(b), "--runs", str(root)]) == 0
    new = capsys.readouterr().out
    assert main(["compare", str(a), str(b), "--runs", str(root)]) == 0
    same = capsys.readouterr().out
    assert _lines(new) == _lines(same) and "note_pv_loss_subordinated" in new
    # a note summary without the PV loss either: the comparison leaves it out and says so
    metrics = pd.read_parquet(old / "note_metrics.parquet")
    metrics.drop(columns="pv_loss_pct").to_parquet(old / "note_metrics.parquet")
    assert main(["compare", str(old), str(b), "--runs", str(root)]) == 0
    captured = capsys.readouterr()
    assert "note_pv_loss_subordinated" not in " ".join(r[0] for r in _lines(captured.out))
    assert ("note_pv_loss_senior, note_pv_loss_mezzanine, note_pv_loss_subordinated left out: not "
            "in A (a run stored before the PV loss was recorded has only the principal "
            "losses)") in flat(captured.err)


@pytest.mark.parametrize(("picks", "pair"), [
    (("A1", "A1", "A1", "A1"), "A1 and B1"), (("A1", "B1", "A1", "B2"), "A1 and A2"),
    (("A1", "B1", "A2", "B1"), "B1 and B2")])
def test_compare_against_refuses_a_run_named_twice(four, picks, pair, capsys):
    """``compare A A --against A A`` exited 0 with every effect 0: a run named twice makes a
    policy effect or a scenario change of nothing."""
    runs = [str(four[n]) for n in picks]
    assert main(["compare", *runs[:2], "--against", *runs[2:]]) == 2
    captured = capsys.readouterr()
    err = flat(captured.err)
    assert captured.out == "" and "Traceback" not in captured.err
    assert err.startswith(f"error: {pair} are the same run")
    assert "name four different runs" in err
