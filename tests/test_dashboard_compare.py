"""The dashboard's Compare table: the CLI's metric set, number format and pairing rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.figures import compare as figs
from dashboard.pages.compare import _warnings
from sim.compare import compare_runs
from sim.metrics import KEY_METRICS, verdict


def _paths(n: int, shift: float = 0.0, cost: float = 671_100.0) -> pd.DataFrame:
    data = {m: [0.01 + shift + 0.001 * i for i in range(n)] for m in KEY_METRICS}
    data["collection_cost"] = [cost + 10.0 * i for i in range(n)]
    data["note_loss_senior"] = [0.0] * n
    data["note_loss_junior"] = [0.02 + shift] * n
    return pd.DataFrame({"path": range(n), **data})


def _manifest(seed: int = 1, borrowers: int = 100) -> dict:
    return {"seed": seed, "config": {"book": {"initial_borrowers": borrowers}}}


def test_table_has_tranche_losses_and_one_number_format():
    """Issue example: '671.1 k', '1.2 M', '+572.0 k' in one row; no tranche losses."""
    a, b = _paths(25), _paths(25, 0.001, cost=1_243_100.0)
    result, pairing = compare_runs(_manifest(), a, _manifest(), b)
    rows = {r["metric"]: r for r in figs.comparison_rows(result)}
    cost = rows[figs.metric_label("collection_cost")]
    assert (cost["A"], cost["B"], cost["difference"]) == ("671,220", "1,243,220", "+572,000")
    assert cost["n"] == "25 / 25"
    junior = rows[figs.metric_label("note_loss_junior")]
    assert (junior["A"], junior["B"], junior["difference"]) == ("2.000%", "2.100%", "+0.100 pp")
    assert pairing.paired and "(paired)" in figs.comparison_columns(pairing)[5]["name"]


def test_the_pv_loss_of_a_note_is_a_row_beside_its_principal_loss():
    a, b = _paths(25), _paths(25, 0.001)
    a["note_pv_loss_junior"], b["note_pv_loss_junior"] = 0.0210, 0.0205
    result, _ = compare_runs(_manifest(), a, _manifest(), b)
    labels = [r["metric"] for r in figs.comparison_rows(result)]
    assert labels[-3:] == ["Note loss senior", "Note loss junior", "Note PV loss junior"]
    pv = figs.comparison_rows(result)[-1]
    assert (pv["A"], pv["B"], pv["difference"]) == ("2.100%", "2.050%", "-0.050 pp")
    assert figs.is_rate("note_pv_loss_junior")
    assert verdict("note_pv_loss_junior", float(result["difference"].iloc[-1])) == "better"


def test_unpaired_runs_say_so_on_the_table():
    a, b = _paths(3), _paths(3)
    result, pairing = compare_runs(_manifest(1, 100), a, _manifest(2, 200), b)
    names = [c["name"] for c in figs.comparison_columns(pairing)]
    assert "95 % CI (UNPAIRED, Welch)" in names
    assert not any("paired" in n and "UNPAIRED" not in n for n in names)
    caption = figs.caption(result, pairing)
    assert caption.startswith("NOT PAIRED") and "book.initial_borrowers" in caption
    warning = _warnings(pairing)
    assert "different seeds (A: 1, B: 2)" in warning and "book.initial_borrowers" in warning
    assert all(r["significant"] == "n/a (n=3)" for r in figs.comparison_rows(result))
    assert "UNPAIRED" in figs.difference_chart(result, pairing.paired).layout.title.text


def test_the_difference_chart_colours_better_and_worse_by_each_metrics_direction():
    """A significant fall in recovery_rate is red (worse), a rise in human_contact_share
    grey (neither), a fall in a loss rate green; the legend names the colours."""
    from dashboard import theme

    rows = [("net_loss_rate", -0.002, True), ("recovery_rate", -0.03, True),
            ("human_contact_share", 0.1, True), ("peak_dpd30_rate", 0.001, False),
            ("borrower_default_rate", 0.01, True)]
    comparison = pd.DataFrame([{"metric": m, "difference": d, "ci_low": d - 0.0005,
                                "ci_high": d + 0.0005, "significant": s}
                               for m, d, s in rows])
    fig = figs.difference_chart(comparison, paired=False)
    colour = {y: t.marker.color for t in fig.data for y in t.y}
    name = {y: t.name for t in fig.data for y in t.y}
    label = figs.metric_label
    assert colour[label("net_loss_rate")] == theme.POSITIVE
    assert colour[label("recovery_rate")] == theme.NEGATIVE
    assert colour[label("borrower_default_rate")] == theme.NEGATIVE
    assert colour[label("human_contact_share")] == theme.NEUTRAL
    assert colour[label("peak_dpd30_rate")] == theme.NEUTRAL  # not significant
    assert name[label("recovery_rate")] == figs.VERDICT_NAMES["worse"] == \
        "B worse (significant)"
    assert {t.name for t in fig.data} == set(figs.VERDICT_NAMES.values())
    assert fig.layout.title.subtitle.text == figs.VERDICT_CAPTION
    # the axis keeps the table's order (first metric at the top) across the traces
    assert list(fig.layout.yaxis.categoryarray) == [label(m) for m, _, _ in rows[::-1]]
    # each point keeps its own interval
    worse = next(t for t in fig.data if t.name == figs.VERDICT_NAMES["worse"])
    assert list(worse.error_x.array) == pytest.approx([0.05, 0.05])


def test_the_table_downloads_as_the_commands_export(tmp_path, capsys):
    """The page's CSV is ``creditsim compare A B --csv``'s file; its workbook has the
    ``about`` sheet, without the server's folders."""
    import base64
    import io
    from types import SimpleNamespace

    import openpyxl
    import yaml
    from helpers_engine import TINY

    from dashboard.data import RunStore
    from dashboard.pages.compare import comparison_download
    from sim.cli import main
    from sim.config import deep_merge

    runs = tmp_path / "runs"
    ids = []
    for name, count in (("a", 10), ("b", 1)):
        cfg = tmp_path / f"{name}.yaml"
        cfg.write_text(yaml.safe_dump(deep_merge(
            TINY, {"name": name, "collections": {"collectors": {"count": count}}})))
        assert main(["run", str(cfg), "--paths", "2", "--out", str(runs), "--quiet"]) == 0
        ids.append(Path(capsys.readouterr().out.strip()).name)
    ctx = SimpleNamespace(store=RunStore(runs))
    csv = comparison_download(ctx, *ids, "csv")
    assert csv["filename"] == f"compare-{ids[0]}-{ids[1]}.csv"
    cli = tmp_path / "cmp.csv"
    assert main(["compare", *ids, "--runs", str(runs), "--csv", str(cli)]) == 0
    assert base64.b64decode(csv["content"]) == cli.read_bytes()
    xlsx = comparison_download(ctx, *ids, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))
    assert book.sheetnames == ["comparison", "about"]
    names = [row[0].value for row in book["about"].iter_rows(min_row=2)]
    assert "run A" in names and "command" in names
    assert not any(str(n).endswith("folder") for n in names)
    assert comparison_download(ctx, ids[0], None, "csv") is None
    assert comparison_download(ctx, ids[0], "../etc", "csv") is None


# -- the difference in differences: a second pair of runs -------------------------------------

DID_OUTPUTS = ["compare-did-table.children", "compare-did-runs.children",
               "compare-did-caption.children", "compare-did-changes.children",
               "compare-did-chart.figure", "compare-did-content.style",
               "compare-did-warning.children", "compare-did-warning.style"]
TWO_RUN_OUTPUTS = ["compare-difference.figure", "compare-receivables.figure",
                   "compare-dpd30.figure", "compare-cumulative-charge-off.figure",
                   "compare-unemployment.figure", "compare-table.children",
                   "compare-caption.children", "compare-note.children", "compare-note.style",
                   "compare-warning.children", "compare-warning.style",
                   "compare-content.style"]


@pytest.fixture(scope="module")
def four_runs(tmp_path_factory):
    """A1, B1, A2, B2 of three paths each (policy: one collector instead of ten; scenario:
    a severe recession), and a fifth run like B2 with another seed, which cannot pair."""
    from helpers_engine import TINY

    import sim
    from sim.config import deep_merge

    root = tmp_path_factory.mktemp("runs")
    policy = {"collections": {"collectors": {"count": 1}}}
    scenario = {"macro": {"scenario": "severe_recession"}}
    designs = {"a1": {}, "b1": policy, "a2": scenario, "b2": deep_merge(scenario, policy)}
    ids = {name: sim.run(deep_merge(TINY, {"name": name, **over}), paths=3, seed=11,
                         out=root).path.name for name, over in designs.items()}
    ids["other"] = sim.run(deep_merge(TINY, {"name": "other", **designs["b2"]}), paths=3,
                           seed=12, out=root).path.name
    return root, ids


def _key(outputs: list[str]) -> str:
    """Dash's name of a callback of several outputs."""
    return ".." + "...".join(outputs) + ".."


def _callback(client, outputs: list[str], inputs: dict) -> dict:
    """One callback's response, posted as the browser posts it (``inputs``: ``id.prop``
    to value)."""
    ins = [{"id": k.split(".")[0], "property": k.split(".")[1], "value": v}
           for k, v in inputs.items()]
    outs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in outputs]
    body = {"output": _key(outputs), "outputs": outs,
            "inputs": ins, "state": [], "changedPropIds": list(inputs)[:1]}
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"]


def _did(client, ids: dict, a2: str | None, b2: str | None) -> dict:
    return _callback(client, DID_OUTPUTS, {
        "run-a.value": ids["a1"], "run-b.value": ids["b1"], "compare-did-a2.value": a2,
        "compare-did-b2.value": b2, "compare-ready.data": True})


def _cells(table: dict) -> list[list[str]]:
    """The rendered table's body rows, as text cells."""
    body = table["props"]["children"][1]["props"]["children"]
    return [[td["props"]["children"] for td in tr["props"]["children"]] for tr in body]


def test_the_difference_in_differences_table_is_sim_interactions(four_runs):
    """The page's table gives sim.interaction's numbers for the four picked runs, in the
    command's format; the caption says what the number means; the chart has both effects
    and the interaction."""
    from dashboard.app import create_app
    from sim.interaction import MEANING, interaction_runs
    from sim.metrics import format_metric
    from sim.store import load_run

    root, ids = four_runs
    client = create_app(root).server.test_client()
    got = _did(client, ids, ids["a2"], ids["b2"])
    runs = [load_run(root / ids[n], tables=("paths",)) for n in ("a1", "b1", "a2", "b2")]
    expected, design = interaction_runs([r.manifest for r in runs], [r.paths for r in runs])
    cells = _cells(got["compare-did-table"]["children"])
    assert len(cells) == len(expected) > 5
    for row, r in zip(cells, expected.itertuples(index=False), strict=True):
        m = r.metric
        assert row[0] == figs.metric_label(m)
        assert row[1:5] == [format_metric(m, r.effect_1, True),
                            format_metric(m, r.effect_2, True),
                            format_metric(m, r.interaction, True),
                            f"[{format_metric(m, r.ci_low, True)}, "
                            f"{format_metric(m, r.ci_high, True)}]"]
        assert row[5] == "n/a (n=3)"
    net_loss = expected.set_index("metric").loc["net_loss_rate"]
    assert net_loss["interaction"] == pytest.approx(
        (runs[3].paths["net_loss_rate"] - runs[2].paths["net_loss_rate"]
         - runs[1].paths["net_loss_rate"] + runs[0].paths["net_loss_rate"]).mean())
    assert got["compare-did-content"]["style"] == {}
    assert MEANING[1:] in got["compare-did-caption"]["children"]
    assert "3 paired paths" in got["compare-did-caption"]["children"]
    changes = got["compare-did-changes"]["children"]
    assert "collections.collectors.count" in changes and "macro.scenario" in changes
    assert design.policy and design.scenario and not design.notes
    scenarios = got["compare-did-runs"]["children"]
    assert scenarios[0].startswith("Scenario 1: A1 = a1") and "; B1 = b1" in scenarios[0]
    assert scenarios[2].startswith("Scenario 2: A2 = a2") and "; B2 = b2" in scenarios[2]
    warning = got["compare-did-warning"]
    assert "only 3 paths" in warning["children"] and warning["style"] == {}
    names = {t["name"] for t in got["compare-did-chart"]["figure"]["data"]}
    assert {"B1 - A1 (scenario 1)", "B2 - A2 (scenario 2)"} <= names
    assert names - {"B1 - A1 (scenario 1)", "B2 - A2 (scenario 2)"}  # the interaction


def test_runs_that_cannot_pair_give_the_commands_error(four_runs, capsys):
    """A2 of another seed: the page's warning is the command's one-line error; the card is
    hidden. One run of the pair missing, or a run id that is not one, says so."""
    from dashboard.app import create_app
    from sim.cli import main

    root, ids = four_runs
    client = create_app(root).server.test_client()
    got = _did(client, ids, ids["other"], ids["b2"])
    assert main(["compare", ids["a1"], ids["b1"], "--runs", str(root), "--against",
                 ids["other"], ids["b2"]]) == 2
    cli = " ".join(capsys.readouterr().err.split())
    shown_error = got["compare-did-warning"]["children"]
    assert cli == f"error: {shown_error}"
    assert "different seeds" in shown_error and "A2" in shown_error
    assert got["compare-did-warning"]["style"] == {}
    assert got["compare-did-content"]["style"] == {"display": "none"}
    half = _did(client, ids, ids["a2"], None)
    assert "Pick both runs of the second scenario" in half["compare-did-warning"]["children"]
    odd = _did(client, ids, "../etc", ids["b2"])
    assert odd["compare-did-warning"]["children"] == "A2 = '../etc' is not a run id."
    assert odd["compare-did-content"]["style"] == {"display": "none"}


def test_without_a_second_pair_the_page_is_the_two_run_comparison(four_runs):
    """No A2 or B2: the second pair's card and warning stay hidden and empty; the two-run
    comparison is the callback it was (run A, run B, nothing of the second pair) and
    shows compare_runs' table."""
    from dashboard.app import create_app
    from sim.store import load_run

    root, ids = four_runs
    app = create_app(root)
    client = app.server.test_client()
    got = _did(client, ids, None, None)
    assert got["compare-did-content"]["style"] == {"display": "none"}
    assert got["compare-did-warning"] == {"children": "", "style": {"display": "none"}}
    assert got["compare-did-table"]["children"] == []
    two_run = app.callback_map[_key(TWO_RUN_OUTPUTS)]  # its outputs, as they were
    assert [f"{i['id']}.{i['property']}" for i in two_run["inputs"]] == [
        "run-a.value", "run-b.value", "compare-ready.data"]
    shown = _callback(client, TWO_RUN_OUTPUTS, {"run-a.value": ids["a1"],
                                                "run-b.value": ids["b1"],
                                                "compare-ready.data": True})
    a, b = (load_run(root / ids[n], tables=("paths",)) for n in ("a1", "b1"))
    result, pairing = compare_runs(a.manifest, a.paths, b.manifest, b.paths)
    assert _cells(shown["compare-table"]["children"]) == [
        [r[c["id"]] for c in figs.comparison_columns(pairing)]
        for r in figs.comparison_rows(result)]
    assert shown["compare-content"]["style"] == {} and shown["compare-note"]["children"] == ""


def test_a_run_compared_with_itself_is_refused_as_the_command_refuses_it(four_runs):
    """The same run in both pickers: a note saying so, no table of zeros, no download."""
    from types import SimpleNamespace

    from dashboard.app import create_app
    from dashboard.data import RunStore
    from dashboard.pages.compare import SAME_RUN, comparison_download

    root, ids = four_runs
    client = create_app(root).server.test_client()
    shown = _callback(client, TWO_RUN_OUTPUTS, {"run-a.value": ids["a1"],
                                                "run-b.value": ids["a1"],
                                                "compare-ready.data": True})
    assert shown["compare-note"] == {"children": SAME_RUN, "style": {}}
    assert shown["compare-table"]["children"] == []
    assert shown["compare-content"]["style"] == {"display": "none"}
    ctx = SimpleNamespace(store=RunStore(root))
    assert comparison_download(ctx, ids["a1"], ids["a1"], "csv") is None
    assert comparison_download(ctx, ids["a1"], ids["b1"], "csv") is not None


def test_the_difference_in_differences_downloads_as_the_commands_export(four_runs, tmp_path):
    """The second pair's CSV is ``creditsim compare A1 B1 --against A2 B2 --csv``'s file;
    its workbook has the ``about`` sheet with the estimate's meaning, without folders;
    nothing to download without a second pair or for runs that cannot pair."""
    import base64
    import io
    from types import SimpleNamespace

    import openpyxl

    from dashboard.data import RunStore
    from dashboard.pages.compare import interaction_download
    from sim.cli import main

    root, ids = four_runs
    ctx = SimpleNamespace(store=RunStore(root))
    four = tuple(ids[n] for n in ("a1", "b1", "a2", "b2"))
    csv = interaction_download(ctx, four, "csv")
    cli = tmp_path / "did.csv"
    assert main(["compare", four[0], four[1], "--runs", str(root), "--against", *four[2:],
                 "--csv", str(cli)]) == 0
    assert base64.b64decode(csv["content"]) == cli.read_bytes()
    assert csv["filename"] == f"interaction-{'-'.join(four)}.csv"
    xlsx = interaction_download(ctx, four, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))
    about = {row[0].value: row[3].value for row in book["about"].iter_rows(min_row=2)}
    assert "run A2" in about and about["estimate"].startswith("interaction: ")
    assert not any(str(n).endswith("folder") for n in about)
    assert interaction_download(ctx, (*four[:2], None, None), "csv") is None
    assert interaction_download(ctx, (*four[:2], ids["other"], four[3]), "csv") is None


def test_the_interaction_chart_colours_by_each_metrics_better_direction():
    """A significant fall of the net loss rate's effect in scenario 2 is green (B better
    there), a significant fall of recovery_rate's red, an unjudged one grey; amounts are
    left to the table; both effects keep their own intervals."""
    from dashboard import theme
    from dashboard.figures import interaction as did

    rows = [("net_loss_rate", -0.002, True), ("recovery_rate", -0.03, True),
            ("peak_dpd30_rate", 0.001, None), ("collection_cost", 50.0, True)]
    result = pd.DataFrame([{"metric": m, "interaction": d, "ci_low": d - 0.001,
                            "ci_high": d + 0.001, "significant": s, "effect_1": 0.01,
                            "effect_1_ci_low": 0.0, "effect_1_ci_high": 0.03,
                            "effect_2": 0.01 + d, "effect_2_ci_low": 0.005 + d,
                            "effect_2_ci_high": 0.015 + d} for m, d, s in rows])
    fig = did.chart(result)
    ticks = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    diamonds = {ticks[y]: t.marker.color for t in fig.data if t.marker.symbol == "diamond"
                for y in t.y}
    label = figs.metric_label
    assert diamonds == {label("net_loss_rate"): theme.POSITIVE,
                        label("recovery_rate"): theme.NEGATIVE,
                        label("peak_dpd30_rate"): theme.NEUTRAL}
    first = next(t for t in fig.data if t.name == "B1 - A1 (scenario 1)")
    assert list(first.error_x.array) == pytest.approx([2.0] * 3)  # ci_high - effect, in pp
    assert list(first.error_x.arrayminus) == pytest.approx([1.0] * 3)


def test_a_link_picks_the_second_pair_whatever_the_length_of_its_run_ids():
    """A run id is a timestamp, the config's name and the seed: ``tighter-limits-recession``
    makes one of 43 characters, which the link's query must hand to the page whole (cut at
    40, B2 was left unpicked and the page showed no difference in differences)."""
    from dashboard.app import _query
    from dashboard.pages.compare import QUERY
    from sim.manifest import MAX_RUN_ID

    a2, b2 = "20261204-152523-baseline-recession-s1", "20261204-152527-tighter-limits-recession-s1"
    assert _query(f"?a=A1&b=B1&a2={a2}&b2={b2}", QUERY) == {"a2": a2, "b2": b2}
    assert _query("?b2=" + "x" * 500, QUERY) == {"b2": "x" * MAX_RUN_ID}


def _every_comparison_metric(n: int, shift: float = 0.0) -> pd.DataFrame:
    """A paths table with every metric a comparison shows (:func:`comparison_metrics`),
    ``charge_off_rate_with_pipeline`` and both losses of a note among them."""
    paths = _paths(n, shift)
    paths["charge_off_rate_with_pipeline"] = [0.012 + shift + 0.002 * i for i in range(n)]
    paths["note_pv_loss_junior"] = [0.021 + shift] * n
    return paths


def _in_points(rows: list[dict], column: str) -> list[str]:
    """The metrics of a table's rows whose ``column`` is a difference in percentage points."""
    return [r["metric"] for r in rows if r[column].endswith(" pp")]


def test_every_metric_the_table_gives_in_points_is_on_the_difference_chart():
    """Issue example: 'Charge-off rate with the pipeline' was a +/- pp row of the table but
    missing from the chart, whose filter knew rates only by a name ending in _rate."""
    from sim.metrics import comparison_metrics

    a, b = _every_comparison_metric(25), _every_comparison_metric(25, 0.001)
    result, pairing = compare_runs(_manifest(), a, _manifest(), b)
    assert list(result["metric"]) == list(comparison_metrics(a, b))
    in_points = _in_points(figs.comparison_rows(result), "difference")
    assert figs.metric_label("charge_off_rate_with_pipeline") in in_points
    fig = figs.difference_chart(result, pairing.paired)
    charted = [y for t in fig.data if t.name in figs.VERDICT_NAMES.values() for y in t.y]
    assert sorted(charted) == sorted(in_points)
    # and each row is named: left to itself plotly labelled every other row of 15
    assert fig.layout.yaxis.tickmode == "array"
    assert sorted(fig.layout.yaxis.tickvals) == sorted(in_points)


def test_every_metric_the_interaction_table_gives_in_points_is_on_its_chart():
    from dashboard.figures import interaction as did
    from sim.interaction import interaction_estimate
    from sim.metrics import comparison_metrics

    tables = [_every_comparison_metric(25, s) for s in (0.0, 0.001, 0.002, 0.004)]
    result = interaction_estimate(tables, comparison_metrics(*tables))
    in_points = _in_points(did.rows(result), "interaction")
    assert figs.metric_label("charge_off_rate_with_pipeline") in in_points
    assert sorted(did.chart(result).layout.yaxis.ticktext) == sorted(in_points)
