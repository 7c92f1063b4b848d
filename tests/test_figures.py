"""Figure builders of the Portfolio, Compare and Borrower story pages, on small simulated runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import PATHS

from dashboard.aggregate import portfolio as agg
from dashboard.data import RunStore
from dashboard.figures import common, compare, portfolio, story
from dashboard.figures.common import AXIS_TITLE_CHARS
from dashboard.story import borrower_trace, story_events


@pytest.fixture(scope="module")
def data(small_run):
    return RunStore(small_run.path.parent).load(small_run.path.name)


def _title(fig: go.Figure) -> str:
    return fig.layout.title.text or ""


def _has_data(fig: go.Figure) -> bool:
    return len(fig.data) > 0 and all(
        (t.x is not None and len(t.x)) or (t.z is not None and len(t.z)) for t in fig.data)


def test_fan_chart_draws_band_and_median_of_the_fan_table(data):
    fig = common.fan_chart(data.fans, ["receivables_balance"], title="T", yaxis="y (units)",
                           unit="money")
    upper, lower, median = fig.data
    frame = data.fans[data.fans["series"] == "receivables_balance"]
    np.testing.assert_array_equal(median.y, frame["p50"])
    np.testing.assert_array_equal(upper.y, frame["p95"])
    paths = int(frame["paths"].max())  # below 20 the band is the paths' whole range
    band = "5-95 % of paths" if paths >= 20 else f"range of {paths} paths"
    assert lower.fill == "tonexty" and lower.name.endswith(band)
    assert fig.layout.yaxis.title.text == "y (units)"


def _fans(paths: int, series: tuple[str, ...] = ("receivables_balance",)) -> pd.DataFrame:
    """A fan table of ``paths`` paths over three months of each of ``series``."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"path": np.repeat(np.arange(paths), 3),
                          "month": np.tile(np.arange(3), paths)})
    for s in series:
        frame[s] = rng.random(len(frame))
    return agg.fan_table(frame, list(series))


@pytest.mark.parametrize(("paths", "band"), [(4, "range of 4 paths"), (19, "range of 19 paths"),
                                             (20, "5-95 % of paths")])
def test_fan_titles_name_the_band_their_legends_show(paths, band):
    # below 20 paths the band is the paths' whole range, not a 5-95 % band: titles said 5-95 %
    fans = _fans(paths, ("receivables_balance", "dpd30_rate", "dpd90_rate"))
    figs = {"series": portfolio.series_fan(fans, "receivables_balance"),
            "delinquency": portfolio.delinquency_fan(fans),
            "compare": compare.compare_fan(fans, fans, "receivables_balance")}
    for name, fig in figs.items():
        assert _title(fig).endswith(f"(median and {band})"), name
        bands = [t.name for t in fig.data if t.fill == "tonexty"]
        assert bands and all(b.endswith(f": {band}") for b in bands), name
    other = compare.compare_fan(fans, _fans(30), "receivables_balance")
    if paths < 20:
        assert _title(other).endswith(f"(median; A: {band}, B: 5-95 % of paths)")


@pytest.mark.parametrize("series", list(agg.SERIES))
def test_series_fan_titles_and_units(data, series):
    fig = portfolio.series_fan(data.fans, series)
    assert isinstance(fig, go.Figure)
    if series in set(data.fans["series"]):
        assert _has_data(fig)
        assert agg.SERIES[series].title in _title(fig)
        assert fig.layout.yaxis.title.text.replace("<br>", " ") == agg.SERIES[series].axis
        assert all(len(line) <= AXIS_TITLE_CHARS  # upright along a 380-pixel figure
                   for line in fig.layout.yaxis.title.text.split("<br>"))
        assert fig.layout.xaxis.title.text == "month of the horizon"
        if agg.SERIES[series].unit == "rate":
            assert fig.layout.yaxis.tickformat.endswith("%")
    else:
        assert len(fig.data) == 0 and fig.layout.annotations


def test_delinquency_fan_shows_30_and_90_plus(data):
    fig = portfolio.delinquency_fan(data.fans)
    names = [t.name for t in fig.data if t.name]
    assert "30+ dpd: median" in names and "90+ dpd: median" in names


def test_launch_months_are_shaded_where_the_horizon_passes_them(data):
    from sim.metrics import SEASONED_MONTH
    for fig in (portfolio.delinquency_fan(data.fans), portfolio.bucket_area(data.buckets)):
        (band,) = fig.layout.shapes
        assert (band.x0, band.x1) == (0, SEASONED_MONTH)
    short = data.fans[data.fans["month"] < SEASONED_MONTH]
    assert not portfolio.delinquency_fan(short).layout.shapes
    # the charge-off rate's launch spike is shaded too, saying why (its rates count it)
    fig = portfolio.series_fan(data.fans, "charge_off_rate")
    (band,) = fig.layout.shapes
    assert (band.x0, band.x1) == (0, SEASONED_MONTH)
    (words,) = [a.text for a in fig.layout.annotations if a.text.startswith("launch")]
    assert words == f"launch: months 0-{SEASONED_MONTH - 1}, the first bills fall due together"
    assert not portfolio.series_fan(data.fans, "receivables_balance").layout.shapes


def test_the_launch_words_stand_above_the_plot_where_no_data_can_run_under_them(data):
    """Issue example: 'launch: months 0-11, ...' sat inside the plot at its top and ran over
    the launch spike of the delinquency by bucket. The words stand above the plot area
    (paper coordinates, anchored at their foot), and the top margin leaves them room."""
    from dashboard.figures.common import SUBPLOT_TITLE_PX, below_modebar

    for fig in (portfolio.delinquency_fan(data.fans), portfolio.bucket_area(data.buckets),
                portfolio.series_fan(data.fans, "charge_off_rate")):
        (words,) = [a for a in fig.layout.annotations if a.text.startswith("launch")]
        assert (words.yref, words.y, words.yanchor) == ("paper", 1, "bottom")
        assert (words.xref, words.x, words.xanchor) == ("x", 0, "left")
        bare = go.Figure(fig)
        bare.layout.annotations = ()
        room = below_modebar(fig).layout.margin.t - below_modebar(bare).layout.margin.t
        assert room == SUBPLOT_TITLE_PX


def test_bucket_area_stacks_every_delinquent_bucket(data):
    fig = portfolio.bucket_area(data.buckets)
    assert {t.stackgroup for t in fig.data} == {"buckets"}
    assert [t.name for t in fig.data][0] == "1-30 dpd"
    np.testing.assert_allclose(sum(np.asarray(t.y) for t in fig.data),
                               data.buckets.sum(axis=1))


def test_roll_rate_heatmap_of_a_run_uses_its_rolls_table(data):
    fig = portfolio.roll_rate_heatmap(data.roll)
    (heat,) = fig.data
    assert list(heat.y)[:2] == ["current", "1-30 dpd"]
    assert np.allclose(np.nansum(np.asarray(heat.z, dtype=float), axis=1), 1.0)


def test_roll_rate_heatmap_from_a_roll_table():
    import pandas as pd

    matrix = pd.DataFrame([[0.9, 0.1], [0.4, 0.6]], index=["current", "1-30 dpd"],
                          columns=["current", "1-30 dpd"])
    fig = portfolio.roll_rate_heatmap(matrix)
    assert fig.layout.xaxis.title.text == "bucket a month later"
    assert list(fig.data[0].text[0]) == ["90%", "10%"]
    by_balance = matrix.assign(current=[0.8, 0.7])
    both = portfolio.roll_rate_heatmap(matrix, roll_balance=by_balance)
    assert [t.visible for t in both.data] == [None, False]  # accounts first, balance hidden
    assert list(both.data[1].text[1]) == ["70%", "60%"]
    buttons = both.layout.updatemenus[0].buttons
    assert [b.args[0]["visible"] for b in buttons] == [[True, False], [False, True]]


def test_vintage_curves_one_line_per_group(data):
    fig = portfolio.vintage_curves(data.vintages)
    groups = data.vintages["order"].nunique()
    assert len(fig.data) == 2 * groups  # by accounts (shown) and by balance (a button away)
    assert [t.visible for t in fig.data] == [True] * groups + [False] * groups
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["by accounts", "by balance"]
    assert fig.data[0].name == "launch book (month 0)"
    assert fig.layout.xaxis.title.text == "months on book"
    assert portfolio.vintage_curves(None).layout.annotations
    # a share of borrowers is not the cards' charge-off rate (a share of the money lent):
    # each view names its own measure on the axis
    accounts, balance = fig.layout.updatemenus[0].buttons
    plain = [b.args[1]["yaxis.title.text"].replace("<br>", " ") for b in (accounts, balance)]
    assert plain == ["borrowers charged off / onboarded (%)",
                     "charge-offs / purchases to date (%)"]
    assert fig.layout.yaxis.title.text == accounts.args[1]["yaxis.title.text"]


def test_compare_fan_overlays_two_runs(small_run, run_store):
    store = RunStore(run_store)
    ids = [r.run_id for r in store.runs() if r.name in ("baseline", "tighter-limits")]
    a, b = (store.load(i) for i in ids[:2])
    fig = compare.compare_fan(a.fans, b.fans, "cumulative_charge_off_rate", ("A: x", "B: y"))
    medians = [t for t in fig.data if t.name.endswith("median")]
    assert [t.name for t in medians] == ["A: x: median", "B: y: median"]
    assert medians[1].line.dash == "dash"


def test_difference_chart_and_table_of_a_paired_comparison(run_store):
    store = RunStore(run_store)
    ids = {r.name: r.run_id for r in store.runs()}
    comparison, pairing = store.compare(ids["baseline"], ids["tighter-limits"])
    fig = compare.difference_chart(comparison, pairing.paired)
    rates = comparison[[compare.is_rate(m) for m in comparison["metric"]]]
    points = [x for t in fig.data if t.name in compare.VERDICT_NAMES.values() for x in t.x]
    assert len(points) == len(rates)
    np.testing.assert_allclose(sorted(points), sorted(rates["difference"] * 100))
    assert fig.layout.xaxis.title.text == "B - A (percentage points)"
    rows = compare.comparison_rows(comparison)
    assert len(rows) == len(comparison)
    assert {c["id"] for c in compare.comparison_columns(pairing)} == set(rows[0])
    first = rows[0]
    assert first["A"].endswith("%") and first["difference"].endswith(" pp")
    assert first["significant"] in ("yes", "no", f"n/a (n={PATHS})")


def test_borrower_timeline_draws_every_panel(small_run):
    trace = borrower_trace(small_run.manifest, path=1, borrower=3)
    events = story_events(trace)
    fig = story.borrower_timeline(trace, events, borrower=3, path=1)
    names = {t.name for t in fig.data}
    assert {"monthly income", "savings (below 0: debts elsewhere)", "balance owed",
            "credit limit", "bill", "payment", "days past due"} <= names
    markers = {t.name for t in fig.data if t.type == "scatter" and t.mode == "markers"}
    assert markers == set(events["kind"])
    assert "Borrower 3 on path 1" in _title(fig)
    assert fig.layout.yaxis3.title.text == "days past due"
    current = trace.assign(dpd=0, contractual_dpd=0)  # a borrower never late
    flat = story.borrower_timeline(current, story_events(current), borrower=3, path=1)
    assert tuple(flat.layout.yaxis3.range) == (0, 30) and flat.layout.yaxis3.dtick == 10


def test_borrower_timeline_shows_payments_on_contact_and_kept_promises(small_run):
    trace = borrower_trace(small_run.manifest, path=1, borrower=3).copy()
    extra = trace.iloc[[1, 1]].copy()
    extra["event"] = ["paid_on_contact", "promise_kept"]
    extra["t"] = extra["t"] + [0.3, 0.6]
    extra["paid"] = [12.5, 7.25]
    trace = pd.concat([trace, extra]).sort_values("t", kind="stable").reset_index(drop=True)
    fig = story.borrower_timeline(trace, story_events(trace), borrower=3, path=1)
    bars = next(t for t in fig.data if t.name == "payment")
    shown = dict(zip(np.round(bars.x, 6), bars.y, strict=True))
    for t, paid in zip(extra["t"], extra["paid"], strict=True):
        assert shown[round(t, 6)] == paid


def test_borrower_timeline_shows_recoveries_after_a_charge_off(small_run):
    trace = borrower_trace(small_run.manifest, path=1, borrower=3).copy()
    plain = story.borrower_timeline(trace, story_events(trace), borrower=3, path=1)
    assert "recovery after charge-off" not in {t.name for t in plain.data}
    extra = trace.iloc[[-1, -1, -1]].copy()
    extra["event"] = ["recovery", "recovery", "debt_sale"]
    extra["t"] = extra["t"] + [1.0, 2.0, 3.0]
    extra["recovered"] = [9.09, 18.19, None]
    extra["sale_proceeds"] = [None, None, 40.0]
    trace = pd.concat([trace, extra]).reset_index(drop=True)
    fig = story.borrower_timeline(trace, story_events(trace), borrower=3, path=1)
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert list(bars["recovery after charge-off"].y) == [9.09, 18.19]
    assert list(bars["debt sold: proceeds"].y) == [40.0]


def test_empty_figure_says_why():
    fig = common.empty_figure("nothing here", "Title")
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == "nothing here"


def test_borrower_timeline_shades_each_unemployment_spell_on_every_panel(small_run):
    trace = borrower_trace(small_run.manifest, path=2, borrower=100)
    employed = trace["employed"].to_numpy(bool)
    spells = int((~employed[0]) + np.sum(employed[:-1] & ~employed[1:]))
    assert spells > 0, "this borrower loses a job on this path"
    fig = story.borrower_timeline(trace, story_events(trace), borrower=100, path=2)
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(shaded) == 3 * spells  # one band per panel and spell
