"""The dashboard's Compare table: the CLI's metric set, number format and pairing rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.figures import compare as figs
from dashboard.pages.compare import _warnings
from sim.compare import compare_runs
from sim.metrics import KEY_METRICS


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
    assert figs.VERDICT_CAPTION in fig.layout.title.text
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
