"""Charts read as a person reads them: titles clear of axes, axes cut to the story, empty
states said in words, no series hidden behind another, colours told apart."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_notes

from dashboard import theme
from dashboard.aggregate import collections as coll_agg
from dashboard.data import abs_data
from dashboard.figures import abs as figs
from dashboard.figures import portfolio


def lab(hex_colour: str) -> np.ndarray:
    """sRGB ``#rrggbb`` to CIE L*a*b* (D65), the textbook conversion."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                  [0.0193, 0.1192, 0.9505]])
    xyz = m @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str) -> float:
    return float(np.linalg.norm(lab(a) - lab(b)))


def test_lab_conversion_of_known_colours():
    assert lab("#ffffff") == pytest.approx([100, 0, 0], abs=0.1)
    assert lab("#ff0000") == pytest.approx([53.24, 80.09, 67.20], abs=0.1)


def test_neighbouring_delinquency_buckets_are_told_apart():
    """Issue example: the 31-60 and 61-90 yellows were hard to tell apart."""
    colours = list(theme.BUCKET_COLOURS.values())
    for a, b in itertools.pairwise(colours):
        assert delta_e(a, b) >= 20, (a, b)
    assert delta_e(theme.BUCKET_COLOURS["dpd_31_60"], theme.BUCKET_COLOURS["dpd_61_90"]) >= 25


def test_vintage_cohorts_use_distinguishable_colours(small_run):
    """Issue example: ten cohorts in near-identical blues."""
    for a, b in itertools.combinations(theme.COHORT_COLOURS, 2):
        assert delta_e(a, b) >= 20, (a, b)
    from dashboard.aggregate.portfolio import vintage_curves

    fig = portfolio.vintage_curves(vintage_curves(small_run.tables["vintages"]))
    shown = [t for t in fig.data if t.visible is not False]  # one view: one line per cohort
    colours = [t.line.color for t in shown]
    assert len(colours) >= 2 and len(set(colours)) == len(colours)
    by_cohort = {t.name: t.line.color for t in shown}
    for trace in fig.data:  # the other view (by balance) keeps each cohort's colour
        assert trace.line.color == by_cohort[trace.name], trace.name
    for a, b in itertools.combinations(colours, 2):
        assert delta_e(a, b) >= 15, (a, b)


def _fans(repaid: dict[str, int], periods: int = 48) -> pd.DataFrame:
    rows = []
    for note, last in repaid.items():
        for t in range(1, periods + 1):
            value = 100.0 * max(last - t, 0)
            rows.append({"series": note, "period": t, "p5": value, "p50": value, "p95": value})
    return pd.DataFrame(rows)


def test_note_balance_axis_ends_where_the_notes_are_repaid():
    """Issue example: the x-axis ran to period 48 while every note was repaid by ~20."""
    fans = _fans({"A": 12, "B": 20})
    fig = figs.note_balance_fan(fans, ["A", "B"])
    assert fig.layout.xaxis.range == pytest.approx((0.5, 22.5))  # repaid at 20, +2
    never = _fans({"A": 60})
    assert figs.note_balance_fan(never, ["A"]).layout.xaxis.range is None


def test_note_balance_axis_title_is_short_enough_to_clear_the_title():
    """Issue example: the y-axis title ran into the chart title."""
    fig = figs.note_balance_fan(_fans({"A": 5}), ["A"])
    assert all(len(line) <= 26 for line in fig.layout.yaxis.title.text.split("<br>"))


def test_long_axis_titles_are_broken_into_lines_that_fit_beside_the_plot():
    """Issue example: "charge-offs / opening receivables (%)" written upright outgrew the
    plot and ran into the chart's title; "(currency units)" was cut to "(currency unit"."""
    from dashboard.figures.common import AXIS_TITLE_CHARS, axis_title, new_figure

    assert axis_title("charge-offs / opening receivables (%)") == \
        "charge-offs / opening<br>receivables (%)"
    assert axis_title("wait (days)") == "wait (days)"
    assert axis_title("cost per month (currency units)") == "cost per month<br>(currency units)"
    fig = new_figure("t", "x", "recoveries after charge-off (currency units)")
    lines = fig.layout.yaxis.title.text.split("<br>")
    assert len(lines) == 2 and max(map(len, lines)) <= AXIS_TITLE_CHARS


def test_a_trigger_chart_where_nothing_fired_says_so():
    quiet = pd.DataFrame({"trigger": ["cumulative_default"] * 3, "period": [1, 2, 3],
                          "first_share": [0.0] * 3, "cumulative_share": [0.0] * 3})
    fig = figs.trigger_timing(quiet)
    assert not fig.data
    assert "no trigger fired on any path (cumulative default)" in fig.layout.annotations[0].text


def test_loss_histograms_give_each_note_its_own_panel():
    """Issue example: overlaid histograms hid the senior note."""
    data = abs_data({"notes": synthetic_notes(paths=30, periods=12)})
    fig = figs.loss_histogram(data.loss_histogram)
    axes = [t.yaxis for t in fig.data]
    assert len(set(axes)) == len(data.notes) == len(fig.data)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == [f"note {n}" for n in data.notes]


def test_sankey_shows_amounts_on_the_nodes():
    links = pd.DataFrame({"source": ["collections", "available funds", "available funds"],
                          "target": ["available funds", "interest A", "residual"],
                          "value": [1500.0, 1200.0, 300.0]})
    labels = list(figs.waterfall_sankey(links, 0, 1).data[0].node.label)
    assert labels == ["collections: 1,500", "available funds: 1,500", "interest A: 1,200",
                      "residual: 300"]


def test_unused_collection_channels_are_dropped():
    """Issue example: e-mail, never used, took a legend entry and a zero bar."""
    p = pd.DataFrame({"path": [0, 0], "month": [0, 1], "actions_sms": [3, 4],
                      "cost_sms": [1.0, 2.0], "actions_email": [0, 0], "cost_email": [0.0, 0.0]})
    assert coll_agg.channels(p) == ["sms"]
    assert list(coll_agg.channel_monthly(p, "actions_").columns) == ["sms"]
    assert coll_agg.has_collections(p.assign(actions_sms=0, cost_sms=0.0))


def test_tranche_summary_says_n_and_no_rating_from_few_paths():
    """Issue example: 'Aaa' from two paths."""
    from dashboard.aggregate import abs as abs_agg
    from sim.abs import tranche_summary

    metrics = pd.DataFrame({"path": [0, 1], "note": "A", "loss_pct": 0.0, "any_loss": False,
                            "wal_years": 1.0, "irr_annual": 0.05})
    (row,) = abs_agg.summary_rows(tranche_summary(metrics))
    assert row["implied_rating"].startswith("n/a: needs >= ") and row["paths"] == 2
    assert (row["loss_p95"], row["loss_p99"]) == ("n/a: needs >= 20 paths",
                                                  "n/a: needs >= 100 paths")
    wide = abs_agg.summary_rows(tranche_summary(pd.concat(
        [metrics.assign(path=metrics["path"] + 2 * k) for k in range(50)])))[0]
    assert wide["paths"] == 100 and wide["loss_p99"] == "0.000%"
