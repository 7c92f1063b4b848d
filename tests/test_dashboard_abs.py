"""ABS aggregates and figures: on synthetic notes with known properties, and on a simulated run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_notes, synthetic_steps
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.aggregate import abs as agg
from dashboard.data import abs_data
from dashboard.figures import abs as figs
from sim.deal_report import build_deal_report
from tests.test_deal_report import NOTES, POOLS, pool_and_notes


@pytest.fixture(scope="module")
def notes() -> pd.DataFrame:
    return synthetic_notes(paths=40, periods=18)


@pytest.fixture(scope="module")
def metrics(notes) -> pd.DataFrame:
    return agg.note_metrics_per_path(notes)


def test_note_balance_fans_per_note_and_period(notes):
    fans = agg.note_balance_fans(notes)
    assert list(pd.unique(fans["series"])) == ["A", "B", "C"]
    a = notes[notes["note"] == "A"].pivot(index="path", columns="period", values="balance_end")
    got = fans[fans["series"] == "A"]["p50"].to_numpy()
    np.testing.assert_allclose(got, np.median(a.to_numpy(), axis=0))


def test_note_metrics_from_notes_or_from_the_runs_summary(notes, metrics):
    assert {"loss_pct", "any_loss", "wal_years", "irr_annual"} <= set(metrics.columns)
    own = metrics[["path", "note", "loss_pct"]].assign(loss_pct=0.5)
    assert (agg.note_metrics_per_path(notes, own)["loss_pct"] == 0.5).all()
    writedown = notes.groupby(["path", "note"], sort=False)["writedown"].sum().to_numpy()
    original = notes[notes["period"] == 1]["balance_begin"].to_numpy()
    np.testing.assert_allclose(metrics["loss_pct"], writedown / original)


def test_a_summary_stored_without_the_pv_loss_is_recomputed_from_notes_with_coupons(notes):
    # notes that record the coupon give the PV loss; a stored summary without it is set aside
    with_coupon = notes.assign(coupon=notes["note"].map({"A": 0.04, "B": 0.06, "C": 0.09}))
    old = agg.note_metrics_per_path(notes).drop(columns="pv_loss_pct")
    got = agg.note_metrics_per_path(with_coupon, old)
    assert got["pv_loss_pct"].notna().all() and (got["pv_loss_pct"] >= 0).all()
    rows = agg.summary_rows(agg.tranche_table(got))
    table = agg.tranche_table(got).set_index("note")
    assert [r["principal_loss"] for r in rows] == [f"{x:.3%}" for x in table["principal_loss"]]
    assert (table["el_measure"] == "pv").all()
    # notes without coupons (an older run) keep the stored summary: rated on principal
    kept = agg.tranche_table(agg.note_metrics_per_path(notes, old))
    assert (kept["el_measure"] == "principal").all()
    assert np.allclose(kept["expected_loss"], kept["principal_loss"])


def test_loss_distribution_shares_and_exceedance(metrics):
    hist, exceed = agg.loss_distribution(metrics, bins=20)
    for note, h in hist.groupby("note"):
        assert h["share"].sum() == pytest.approx(1.0)
        e = exceed[exceed["note"] == note]
        assert (np.diff(e["prob_exceed"]) <= 0).all()
        loss = metrics.loc[metrics["note"] == note, "loss_pct"]
        assert e["prob_exceed"].iloc[0] == pytest.approx((loss > 0).mean())


def test_tranche_table_orders_seniors_first(metrics):
    table = agg.tranche_table(metrics)
    assert table["note"].tolist() == ["A", "B", "C"]
    assert (np.diff(table["expected_loss"]) >= 0).all()
    assert {"prob_loss", "loss_p95", "loss_p99", "implied_rating", "wal_years",
            "irr_annual"} <= set(table.columns)


def test_trigger_timing_first_and_cumulative(notes):
    timing = agg.trigger_timing(notes)
    assert set(timing["trigger"]) == {"cumulative_default_ratio", "delinquency_ratio"}
    for name, t in timing.groupby("trigger"):
        col = f"trigger_{name}"
        ever = notes.groupby("path")[col].any().mean()
        assert t["cumulative_share"].iloc[-1] == pytest.approx(ever)
        np.testing.assert_allclose(np.cumsum(t["first_share"]), t["cumulative_share"])


def test_trigger_timing_ends_with_the_last_period_a_note_was_outstanding(notes):
    """A run keeps the deal's rows up to its legal final period, all zero once every note
    is paid: the chart stops at the last period some note was owed on some path."""
    last = int(notes["period"].max())
    tail = notes[notes["period"] == last]
    padded = pd.concat([notes] + [tail.assign(period=last + k, balance_begin=0.0)
                                  for k in range(1, 31)], ignore_index=True)
    assert (notes.groupby("period")["balance_begin"].sum() > 0).all()
    timing = agg.trigger_timing(padded)
    assert timing["period"].max() == last
    pd.testing.assert_frame_equal(timing, agg.trigger_timing(notes))


def test_trigger_timing_falls_back_to_any_trigger(notes):
    plain = notes.drop(columns=["trigger_cumulative_default_ratio", "trigger_delinquency_ratio"])
    assert set(agg.trigger_timing(plain)["trigger"]) == {"any trigger"}
    assert agg.trigger_timing(plain.drop(columns=["trigger_breached"])).empty


def test_waterfall_from_the_step_log_balances(notes):
    steps = synthetic_steps(notes)
    links = agg.waterfall_flows_from_steps(steps, path=3, period=5)
    into = links.loc[links["target"] == agg.AVAILABLE, "value"].sum()
    out = links.loc[links["source"] == agg.AVAILABLE, "value"].sum()
    assert into == pytest.approx(out)
    assert {"collections", "reserve brought forward"} <= set(links["source"])
    assert {"interest A", "principal A", "senior fees", "residual"} <= set(links["target"])
    long = steps.melt(id_vars=["path", "period"], var_name="step", value_name="amount")
    pd.testing.assert_frame_equal(agg.waterfall_flows_from_steps(long, 3, 5), links)


def test_waterfall_rebuilt_from_notes_uses_every_note(notes):
    links = agg.waterfall_flows_from_notes(notes, path=0, period=2)
    rows = notes[(notes["path"] == 0) & (notes["period"] == 2)]
    interest = links[links["target"].str.startswith("interest")]["value"].sum()
    assert interest == pytest.approx(rows["interest_paid"].sum())
    assert links["source"].iloc[0] == "collections and reserve"
    assert agg.waterfall_flows_from_notes(notes, path=999, period=2).empty


def test_abs_figures(notes):
    data = abs_data({"notes": notes, "waterfall": synthetic_steps(notes)})
    fig = figs.note_balance_fan(data.balance_fans, data.notes)
    assert [t.name for t in fig.data if t.name.endswith("median")] == [
        "note A: median", "note B: median", "note C: median"]
    assert fig.layout.xaxis.title.text == figs.PERIOD_AXIS == "payment period (a month of the deal)"
    hist = figs.loss_histogram(data.loss_histogram)
    assert len(hist.data) == 3 and len({t.yaxis for t in hist.data}) == 3  # one panel each
    assert "share of paths" in hist.layout.title.text
    exceed = figs.loss_exceedance(data.loss_exceedance)
    assert len(exceed.data) == 3
    trig = figs.trigger_timing(data.triggers)
    assert len(trig.data) == 4
    sankey = figs.waterfall_sankey(data.waterfall(1, 4), 1, 4)
    assert sankey.data[0].type == "sankey"
    assert any(label.startswith("available funds: ") for label in sankey.data[0].node.label)
    assert "path 1, period 4" in sankey.layout.title.text
    rows = agg.summary_rows(data.summary)
    assert [r["note"] for r in rows] == ["A", "B", "C"]
    assert {c["id"] for c in agg.SUMMARY_COLUMNS} == set(rows[0])


def test_abs_figures_without_data_say_so():
    assert figs.trigger_timing(agg.trigger_timing(pd.DataFrame(
        {"path": [0], "period": [1], "note": ["A"]}))).layout.annotations
    empty = pd.DataFrame(columns=["source", "target", "value"])
    assert figs.waterfall_sankey(empty, 0, 1).layout.annotations


def test_loss_figures_say_so_when_no_note_loses_on_any_path():
    # a baseline deal often loses nothing: the panels were empty axes with a hairline at 0
    metrics = pd.DataFrame({"path": [0, 0, 1, 1], "note": ["A", "B"] * 2, "loss_pct": 0.0})
    hist, exceed = agg.loss_distribution(metrics)
    assert not figs.any_loss(exceed)
    for fig in (figs.loss_histogram(hist, figs.any_loss(exceed)), figs.loss_exceedance(exceed)):
        assert not fig.data and fig.layout.annotations[0].text == figs.NO_LOSS
    metrics.loc[3, "loss_pct"] = 0.02
    hist, exceed = agg.loss_distribution(metrics)
    assert figs.any_loss(exceed) and len(figs.loss_exceedance(exceed).data) == 2
    assert len(figs.loss_histogram(hist, figs.any_loss(exceed)).data) == 2


def test_abs_figures_on_a_simulated_run_with_a_deal(demo_run):
    """Every ABS figure from the tables the simulator writes (notes, waterfall, metrics)."""
    data = abs_data(demo_run.tables)
    names = ["senior", "mezzanine", "subordinated"]
    assert data.notes == names
    fan = figs.note_balance_fan(data.balance_fans, data.notes)
    assert all(len(t.y) == data.periods for t in fan.data if t.name.endswith("median"))
    assert len(figs.loss_histogram(data.loss_histogram).data) == 3
    assert len(figs.loss_exceedance(data.loss_exceedance).data) == 3
    assert set(data.triggers["trigger"]) == {"cumulative_default", "excess_spread_3m"}
    links = data.waterfall(0, 2)  # from the stored step log, a revolving period
    into = links.loc[links["target"] == agg.AVAILABLE, "value"].sum()
    out = links.loc[links["source"] == agg.AVAILABLE, "value"].sum()
    assert into == pytest.approx(out) and into > 0
    assert "reinvested" in set(links["target"])
    rows = agg.summary_rows(data.summary)
    assert [r["note"] for r in rows] == names
    data = abs_data(demo_run.tables, demo_run.manifest["config"]["deal"])
    assert data.first_month == 6 and not data.has_pdl  # SMALL_DEAL: cut-off at month 6
    assert set(data.enhancement["series"]) == set(agg.ENHANCEMENT)
    for fig in (figs.excess_spread_fan(data.enhancement, data.first_month),
                figs.reserve_fan(data.enhancement, data.first_month, data.reserve_below),
                figs.overcollateralisation_fan(data.enhancement, data.first_month)):
        assert fig.data and fig.data[0].customdata[0] == 6
    assert figs.pdl_fan(data.enhancement, data.has_pdl).layout.annotations[0].text == (
        figs.NO_PDL)


def _cli_tranche_text(summary: pd.DataFrame) -> str:
    """The tranche table of 'creditsim report' as it prints."""
    from rich.console import Console

    from sim.report_tables import tranche_table

    console = Console(width=240, record=True, file=__import__("io").StringIO())
    for table in tranche_table(summary, "tranches"):
        console.print(table)
    return console.export_text()


@pytest.mark.parametrize("paths", [4, 20, 100])
def test_tranche_loss_quantiles_are_na_where_the_cli_prints_na(paths):
    """Issue example: with 20 paths 'creditsim report' printed 'loss p99 n/a' while the ABS
    page showed '99 % loss 23.63%'; with 4 paths the page showed p95 and p99 too."""
    from sim.abs import tranche_summary
    from sim.metrics import resolvable

    rng = np.random.default_rng(paths)
    loss = rng.uniform(0.05, 0.4, paths)  # every path loses: no quantile is 0
    metrics = pd.DataFrame({"path": np.arange(paths), "note": "C", "loss_pct": loss,
                            "any_loss": True, "wal_years": 2.0, "irr_annual": 0.01})
    summary = tranche_summary(metrics)
    (row,) = agg.summary_rows(summary)
    cli = _cli_tranche_text(summary)
    for q, key, needed in ((0.95, "loss_p95", 20), (0.99, "loss_p99", 100)):
        value = f"{np.quantile(loss, q):.3%}"  # the CLI's three decimals
        if resolvable(q, paths):
            assert row[key] == value and value in cli
        else:
            assert row[key] == f"n/a: needs >= {needed} paths" and value not in cli
    assert (row["loss_p95"].startswith("n/a"), row["loss_p99"].startswith("n/a")) == {
        4: (True, True), 20: (False, True), 100: (False, False)}[paths]
    assert cli.count("n/a") >= sum(row[k].startswith("n/a") for k in ("loss_p95", "loss_p99"))
    assert "too few paths" in agg.SUMMARY_CAPTION and "100 for the 99 %" in agg.SUMMARY_CAPTION


def test_the_rating_is_read_at_the_notes_wal_as_the_page_and_its_doc_say():
    """Issue example: docs/DASHBOARD.md said ratings were read on the 'idealised 5-year'
    scale; the code reads the table at the note's mean WAL, as the CLI says."""
    from pathlib import Path

    from sim.abs import tranche_summary
    from sim.abs.ratings import implied_rating

    # an expected loss of 0.21 % is Baa1 for a 2.5-year note but A3 for a 5-year one
    assert (implied_rating(0.0021, 2.5), implied_rating(0.0021, 5.0)) == ("Baa1", "A3")
    metrics = pd.DataFrame({"path": np.arange(50), "note": "B", "loss_pct": 0.0021,
                            "any_loss": True, "wal_years": 2.5, "irr_annual": 0.03})
    assert tranche_summary(metrics)["implied_rating"].tolist() == ["Baa1"]  # read at the WAL
    doc = (Path(__file__).parents[1] / "docs" / "DASHBOARD.md").read_text()
    abs_section = " ".join(doc.split("### ABS", 1)[1].split("###", 1)[0].split())
    assert "5-year" not in abs_section
    assert "implied rating reads Moody's idealised cumulative expected-loss table at the " \
           "note's mean WAL" in abs_section
    names = {c["id"]: c["name"] for c in agg.SUMMARY_COLUMNS}
    assert names["implied_rating"] == "implied rating (at the WAL)"
    assert "table at the note's mean WAL" in agg.SUMMARY_CAPTION



def test_the_tranche_table_fits_its_card_and_says_what_each_column_means_on_hover():
    """The page's tranche table: every column but the note's has its meaning in its header's
    tooltip; a header wraps between words, never inside a bracket or between a number and
    its %; a loss the run cannot resolve shows 'n/a' with the paths it needs under it (so
    the column is as narrow as its numbers) and keeps the CLI's words."""
    from dashboard.pages.common import NBSP, render_table

    row = {"note": "C", "loss_p99": "n/a: needs >= 100 paths", "implied_rating": "Ba3"}
    table = render_table(agg.SUMMARY_COLUMNS, [row], fit=True)
    head, body = table.children
    headers = {c["id"]: th for c, th in zip(agg.SUMMARY_COLUMNS, head.children.children,
                                             strict=True)}
    assert table.className == "data-table fit"
    assert all(th.title for key, th in headers.items() if key != "note")
    assert "Wilson" in headers["prob_loss"].title and "WAL" in headers["implied_rating"].title
    assert headers["implied_rating"].children == f"implied rating (at{NBSP}the{NBSP}WAL)"
    assert headers["expected_loss"].children == f"expected loss, PV [95{NBSP}%{NBSP}CI]"
    assert headers["loss_p95"].children == f"95{NBSP}% loss"
    cells = dict(zip(headers, body.children[0].children, strict=True))
    assert cells["implied_rating"].children == "Ba3"
    na, why = cells["loss_p99"].children
    assert (na, why.children, why.className) == ("n/a", "needs >= 100 paths", "why")


# -- credit enhancement over time: hand-made frames whose figures are worked out by hand -------


def _deal_rows(path: int, period: int, *, es: float, reserve: float, required: float,
               balances: tuple[float, float], pdl: tuple[float, float], pool_end: float,
               active: bool = True) -> list[dict]:
    """The two notes' rows (A, B) of one path and period, deal fields repeated on each."""
    deal = {"path": path, "period": period, "excess_spread": es, "reserve_balance": reserve,
            "reserve_requirement": required, "pool_balance_end": pool_end, "active": active}
    return [deal | {"note": n, "balance_end": b, "pdl_balance": p}
            for n, b, p in zip("AB", balances, pdl, strict=True)]


@pytest.fixture()
def tiny_deal() -> pd.DataFrame:
    """Three paths, two notes, three periods; path 2's deal ends in period 2 (called)."""
    rows = []
    for path, (es1, es2) in enumerate([(0.06, 0.02), (0.04, -0.01), (0.05, 0.03)]):
        rows += _deal_rows(path, 1, es=es1, reserve=10.0, required=10.0, balances=(80.0, 10.0),
                           pdl=(0.0, 0.0), pool_end=100.0)
        rows += _deal_rows(path, 2, es=es2, reserve=[10.0, 6.0, 0.0][path],
                           required=[10.0, 10.0, 0.0][path],
                           balances=[(60.0, 10.0), (60.0, 8.0), (0.0, 0.0)][path],
                           pdl=[(0.0, 0.0), (1.0, 2.0), (0.0, 0.0)][path],
                           pool_end=[80.0, 68.0, 0.0][path])
        rows += _deal_rows(path, 3, es=[0.01, 0.0, 0.0][path], reserve=[10.0, 9.996, 0.0][path],
                           required=[10.0, 10.0, 0.0][path],
                           balances=[(50.0, 10.0), (50.0, 8.0), (0.0, 0.0)][path],
                           pdl=(0.0, 0.0), pool_end=[70.0, 58.0, 0.0][path],
                           active=path != 2)
    return pd.DataFrame(rows)


def test_credit_enhancement_per_path_and_period(tiny_deal):
    per = agg.credit_enhancement(tiny_deal).set_index(["path", "period"])
    assert per.loc[(0, 1), "excess_spread"] == 0.06  # the deal field once, not summed
    assert per.loc[(1, 2), "pdl_balance"] == 3.0  # the notes' ledgers summed: 1 + 2
    assert per.loc[(1, 2), "oc"] == 68.0 - 68.0 and per.loc[(0, 2), "oc"] == 80.0 - 70.0
    assert per.loc[(0, 2), "pool_balance_end"] == 80.0  # the pool the OC is a share of
    assert per.loc[(0, 2), "oc_share"] == pytest.approx(10.0 / 80.0)
    assert per.loc[(0, 1), "oc_share"] == pytest.approx(10.0 / 100.0)
    assert np.isnan(per.loc[(2, 2), "oc_share"])  # called: the pool is empty, no share of it
    assert per.loc[(2, 2), "excess_spread"] == 0.03  # the call period itself still counts
    assert per.loc[(2, 3)].isna().all()  # the deal ended: out of the percentiles
    # the period it ended in: its balances are the wind-up (reserve released, ledgers closed)
    assert per.loc[(2, 2), ["reserve_balance", "reserve_requirement", "pdl_balance",
                            "pool_balance_end", "oc"]].isna().all()
    assert per.loc[(1, 3), ["reserve_balance", "pdl_balance"]].notna().all()  # still running


def test_credit_enhancement_takes_the_pool_from_the_pool_table(tiny_deal):
    pool = tiny_deal.drop_duplicates(["path", "period"])[["path", "period"]].assign(
        pool_balance_end=200.0)
    per = agg.credit_enhancement(tiny_deal, pool).set_index(["path", "period"])
    assert per.loc[(0, 1), "oc"] == 200.0 - 90.0
    noise = tiny_deal.assign(pool_balance_end=tiny_deal["pool_balance_end"] + 1e-9)
    per = agg.credit_enhancement(noise).set_index(["path", "period"])
    assert per.loc[(1, 2), "oc"] == 0.0  # the float noise of a pool of whole cents: no cent
    # a few cents of OC on a pool of millions are OC (they were taken for rounding, below a
    # millionth of the pool, and shown as 0 where the deal report showed them)
    big = tiny_deal.assign(pool_balance_end=tiny_deal["pool_balance_end"] * 1e5 + 0.03,
                           balance_end=tiny_deal["balance_end"] * 1e5)
    per = agg.credit_enhancement(big).set_index(["path", "period"])
    assert per.loc[(1, 2), "oc"] == 0.03 and per.loc[(0, 2), "oc"] == 1e6 + 0.03


def test_a_real_oc_of_3_cents_on_a_pool_of_10_million_is_charted_not_zeroed():
    """Notes A 9,000,000.00 and B 1,000,000.00 behind a pool of 10,000,000.03 (period 1) and
    10,000,000.024 (period 2, rounded up to the cent as the notes were paid down to it): an
    OC of 0.03 both times, a share of 3e-9 of the pool, as the deal report shows it."""
    tables = pool_and_notes([1e7 + 0.03, 1e7 + 0.024], [(9e6, 1e6), (9e6, 1e6)])
    per = agg.credit_enhancement(tables["notes"], tables["pool"]).set_index("period")
    assert per["oc"].tolist() == [0.03, 0.03]
    assert per["pool_balance_end"].tolist() == [1e7 + 0.03, 1e7 + 0.03]
    assert per["oc_share"].tolist() == pytest.approx([0.03 / (1e7 + 0.03)] * 2, rel=1e-12)
    assert build_deal_report(tables, 0).table["deal.oc"].tolist() == per["oc"].tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(POOLS, NOTES, NOTES), min_size=1, max_size=4))
def test_the_pool_less_the_notes_is_the_oc_and_the_deal_reports(rows):
    """For any pool (fractions of a cent) and notes (whole cents): the aggregate's pool less
    the notes is its OC, to the cent, in every period, and that OC is the deal report's, so
    the page and the report read side by side agree."""
    tables = pool_and_notes([p for p, _, _ in rows], [(a, b) for _, a, b in rows])
    per = agg.credit_enhancement(tables["notes"], tables["pool"]).set_index("period")
    cents = {k: np.round(per[k].to_numpy() * 100).astype(np.int64)
             for k in ("pool_balance_end", "oc")}
    owed = np.array([round(a * 100) + round(b * 100) for _, a, b in rows])
    assert (cents["pool_balance_end"] - owed == cents["oc"]).all()
    assert (per["oc"].to_numpy() == cents["oc"] / 100).all()  # whole cents (cents / 100)
    report = build_deal_report(tables, 0).table["deal.oc"]
    assert report.tolist() == per["oc"].loc[report.index].tolist()


def test_enhancement_fans_quantiles_by_hand(tiny_deal):
    """Three paths: the median is the middle path, the band the paths' range (below the 20
    paths that resolve the 5th and 95th percentiles); period 3 has two live paths."""
    fans = agg.enhancement_fans(agg.credit_enhancement(tiny_deal))
    es = fans[fans["series"] == "excess_spread"].set_index("period")
    assert es.loc[1, ["p5", "p50", "p95"]].tolist() == pytest.approx([0.04, 0.05, 0.06])
    assert es.loc[2, ["p5", "p50", "p95"]].tolist() == pytest.approx([-0.01, 0.02, 0.03])
    assert es.loc[3, ["p5", "p50", "p95", "paths"]].tolist() == pytest.approx(
        [0.0, 0.005, 0.01, 2])
    reserve = fans[fans["series"] == "reserve_balance"].set_index("period")
    # path 2's deal ends in period 2 (called): its released reserve is the wind-up, left out
    assert reserve.loc[2, ["p5", "p50", "p95", "paths"]].tolist() == pytest.approx(
        [6.0, 8.0, 10.0, 2])
    oc = fans[fans["series"] == "oc_share"].set_index("period")
    assert oc.loc[2, ["p50", "paths"]].tolist() == pytest.approx([0.0625, 2])  # (0.125+0)/2
    assert set(fans["series"]) == set(agg.ENHANCEMENT)


def test_enhancement_fans_interpolate_the_5th_and_95th_percentiles_from_20_paths():
    """20 paths with excess spread 0, 1, ..., 19 %: numpy's linear rule puts the 5th
    percentile at rank 0.05 × 19 = 0.95 (0.95 %), the median at 9.5 %, the 95th at 18.05 %;
    the deal is over on every path after period 1, so the fans stop there."""
    rows = []
    for path in range(20):
        for period, active in ((1, True), (2, False)):
            rows += _deal_rows(path, period, es=path / 100, reserve=1.0, required=1.0,
                               balances=(1.0, 1.0), pdl=(0.0, 0.0), pool_end=2.0,
                               active=active)
    fans = agg.enhancement_fans(agg.credit_enhancement(pd.DataFrame(rows)))
    assert fans["period"].unique().tolist() == [1]
    es = fans[fans["series"] == "excess_spread"].iloc[0]
    assert [es["p5"], es["p50"], es["p95"]] == pytest.approx([0.0095, 0.095, 0.1805])


def test_reserve_below_requirement_counts_paths_not_float_noise(tiny_deal):
    """Path 1 ends period 2 with 6 of a 10 requirement; its 9.996 in period 3 and path 2's
    released reserve (requirement 0) are not draws below the requirement."""
    per = agg.credit_enhancement(tiny_deal)
    assert agg.reserve_below_requirement(per) == (1, 3)
    assert agg.reserve_below_requirement(per.drop(columns="reserve_requirement")) == (0, 3)


def test_a_run_older_than_the_enhancement_columns_has_no_fans(tiny_deal):
    old = tiny_deal[["path", "period", "note", "balance_end"]]
    per = agg.credit_enhancement(old)
    assert list(per.columns) == ["path", "period"]
    assert agg.enhancement_fans(per).empty


def test_pdl_and_first_month_come_from_the_deal_terms(tiny_deal):
    per = agg.credit_enhancement(tiny_deal)
    assert agg.deal_has_pdl({"pdl": True}, per.assign(pdl_balance=0.0))
    assert not agg.deal_has_pdl({"pdl": False}, per)
    assert agg.deal_has_pdl(None, per)  # without the terms: a ledger held a balance
    assert not agg.deal_has_pdl(None, per.assign(pdl_balance=0.0))
    assert agg.first_payment_month({"cutoff_month": 12}) == 12
    assert agg.first_payment_month(None) is None and agg.first_payment_month({}) is None


def test_credit_enhancement_figures_traces_titles_and_units(tiny_deal):
    fans = agg.enhancement_fans(agg.credit_enhancement(tiny_deal))
    axis = "payment period (a month; period 1 = month 12 of the horizon)"
    es = figs.excess_spread_fan(fans, first_month=12)
    assert [t.name for t in es.data] == ["month of the horizon", "excess spread 95th pct",
                                         "excess spread: range of 2-3 paths a period",
                                         "excess spread: median"]
    assert es.layout.title.text.endswith("(median and range of 2-3 paths a period)")
    assert es.layout.yaxis.title.text == "excess spread<br>(% of pool, annualised)"
    assert es.layout.yaxis.tickformat.endswith("%") and es.layout.xaxis.title.text == axis
    hover = es.data[0]  # the hover's line naming each period's month of the horizon
    assert list(hover.customdata) == [12, 13, 14] and not hover.showlegend
    assert "month %{customdata} of the horizon" in hover.hovertemplate
    assert es.layout.xaxis.unifiedhovertitle.text == "payment period %{x}"
    reserve = figs.reserve_fan(fans, 12, below=(1, 3))
    names = [t.name for t in reserve.data]
    assert "reserve balance: median" in names and "requirement: median" in names
    assert reserve.data[names.index("requirement: median")].line.dash == "dash"
    assert "on 1 of 3 paths" in reserve.layout.title.subtitle.text
    assert reserve.layout.yaxis.title.text == "reserve (currency units)"
    oc = figs.overcollateralisation_fan(fans, 12)
    assert oc.layout.yaxis.title.text == "OC (% of pool balance)"
    assert oc.data[-1].y[0] == pytest.approx(0.1) and not oc.layout.title.subtitle.text
    pdl = figs.pdl_fan(fans, has_pdl=True, first_month=12)
    assert pdl.data[-1].name == "PDL balance: median"
    # period 2: paths 0 (no ledger in debit) and 1 (1 + 2); path 2's deal ended in it
    assert list(pdl.data[-1].y) == pytest.approx([0.0, 1.5, 0.0])
    assert pdl.layout.yaxis.title.text == "PDL balance<br>(currency units)"


def test_credit_enhancement_figures_say_what_is_not_there(tiny_deal):
    fans = agg.enhancement_fans(agg.credit_enhancement(tiny_deal))
    no_pdl = figs.pdl_fan(fans, has_pdl=False)
    assert not no_pdl.data and no_pdl.layout.annotations[0].text == figs.NO_PDL
    flat = agg.enhancement_fans(agg.credit_enhancement(
        tiny_deal.assign(pool_balance_end=tiny_deal.groupby(["path", "period"])[
            "balance_end"].transform("sum") + 1e-9)))
    oc = figs.overcollateralisation_fan(flat)
    assert "0 on every path: the notes fund the whole pool" in oc.layout.title.subtitle.text
    assert list(oc.layout.yaxis.range) == [-0.01, 0.05]  # not plotly's -1 to 1 around 0
    assert oc.layout.xaxis.title.text == figs.PERIOD_AXIS
    assert "month of the horizon" not in [t.name for t in oc.data]  # no month to name
    old = agg.enhancement_fans(agg.credit_enhancement(
        tiny_deal[["path", "period", "note", "balance_end"]]))
    for fig in (figs.excess_spread_fan(old), figs.reserve_fan(old),
                figs.overcollateralisation_fan(old), figs.pdl_fan(old, has_pdl=True)):
        assert not fig.data and fig.layout.annotations[0].text == figs.NOT_RECORDED


def test_every_period_chart_names_the_month_of_its_periods(notes):
    data = abs_data({"notes": notes}, deal={"cutoff_month": 6, "pdl": False})
    assert data.first_month == 6 and not data.has_pdl
    for fig in (figs.note_balance_fan(data.balance_fans, data.notes, 6),
                figs.trigger_timing(data.triggers, 6)):
        assert fig.layout.xaxis.title.text.endswith("period 1 = month 6 of the horizon)")
        assert fig.data[0].customdata[0] == 6
    sankey = figs.waterfall_sankey(data.waterfall(0, 3), 0, 3, first_month=6)
    assert "period 3 = month 8 of the horizon" in sankey.layout.title.text


# -- the loss charts by loss measure --------------------------------------------------------------

LATE_DEAL = {"notes": [{"name": "A", "balance": 90_000.0, "coupon": 0.0},
                       {"name": "B", "balance": 10_000.0, "coupon": 0.12}],
             "legal_final_period": 2}
LATE_COLLECTIONS = pd.DataFrame({
    "path": [0, 0, 1, 1], "period": [1, 2, 1, 2], "pool_balance_begin": 100_000.0,
    "interest": [100.0, 100.0, 0.0, 200.0], "principal": [0.0, 100_000.0, 0.0, 100_000.0],
    "recoveries": 0.0, "defaults": 0.0})
"""Two paths of a pool of 100,000 repaid in full in period 2 with just enough interest for B
(100.00 a month: 1 % on 10,000): on path 0 it comes each month, on path 1 all in period 2, so
B's first 100.00 is paid a month late, without interest on it."""


def test_a_late_interest_payment_is_a_pv_loss_the_principal_charts_do_not_show():
    # B loses nothing of its principal on either path; in present value it loses
    # 1 - 10,200 / 1.01^2 / 10,000 = 1 / 10,201 on path 1 and nothing on path 0
    from sim.abs import run_waterfall

    data = abs_data({"notes": run_waterfall(LATE_DEAL, LATE_COLLECTIONS)})
    principal = figs.loss_histogram(data.loss_histogram, figs.any_loss(data.loss_exceedance))
    assert principal.layout.annotations[0].text == figs.NO_LOSS
    hist, exceed = data.losses["pv"]
    b = exceed[exceed["note"] == "B"]
    # one path of two loses more than x up to 1 / 10,201 (the grid runs to 0.01 %)
    below = b["loss"] < 1 / 10_201 - 1e-12
    assert (b.loc[below, "prob_exceed"] == 0.5).all() and (b.loc[~below, "prob_exceed"] == 0).all()
    assert below.sum() == 99  # 1 / 10,201 lies between the grid's 98.03rd and 99th step
    assert (exceed.loc[exceed["note"] == "A", "prob_exceed"] == 0).all()
    fig = figs.loss_histogram(hist, figs.any_loss(exceed), "pv")
    assert fig.layout.title.text.startswith("Distribution of note losses in present value")
    assert fig.layout.xaxis2.title.text == "loss in present value (% of original balance)"
    bars = {t.name: t for t in fig.data}
    assert sum(bars["note B"].y) == pytest.approx(1.0) and bars["note B"].y[-1] == 0.5
    curve = figs.loss_exceedance(exceed, "pv")
    assert curve.layout.title.text.startswith("Present-value loss exceedance")
    assert curve.layout.xaxis.title.text == "loss in present value x (% of original balance)"


def test_a_run_without_the_pv_loss_says_so_on_its_pv_charts(metrics):
    old = metrics.drop(columns="pv_loss_pct")
    hist, exceed = agg.loss_distribution(old, measure="pv")
    assert hist.empty and exceed.empty
    for fig in (figs.loss_histogram(hist, figs.any_loss(exceed), "pv"),
                figs.loss_exceedance(exceed, "pv")):
        assert not fig.data and fig.layout.annotations[0].text == figs.NOT_RECORDED
    principal = agg.loss_distribution(old)
    pd.testing.assert_frame_equal(principal[0], agg.loss_distribution(metrics)[0])


LOSS_OUTPUTS = ["abs-loss-histogram.figure", "abs-loss-exceedance.figure"]


def _loss_charts(client, run_id: str, measure) -> dict:  # noqa: ANN001 - a Flask client
    """The loss charts' callback as the browser posts it when the measure is chosen."""
    body = {"output": ".." + "...".join(LOSS_OUTPUTS) + "..",
            "outputs": [{"id": o.split(".")[0], "property": "figure"} for o in LOSS_OUTPUTS],
            "inputs": [{"id": "run-a", "property": "value", "value": run_id},
                       {"id": "abs-ready", "property": "data", "value": True},
                       {"id": "abs-loss-measure", "property": "value", "value": measure}],
            "state": [], "changedPropIds": ["abs-loss-measure.value"]}
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"]


def test_the_loss_measure_chosen_redraws_the_loss_charts(run_store, demo_run):
    from dashboard.app import create_app
    from dashboard.pages.abs import LOSS_OPTIONS
    from sim.abs.metrics import LOSS_MEASURES

    assert [o["value"] for o in LOSS_OPTIONS] == list(LOSS_MEASURES)
    client = create_app(run_store).server.test_client()
    charts = {m: _loss_charts(client, demo_run.run_id, m) for m in ("principal", "pv", "x" * 50)}
    titles = {m: (c["abs-loss-histogram"]["figure"]["layout"]["title"]["text"],
                  c["abs-loss-exceedance"]["figure"]["layout"]["title"]["text"])
              for m, c in charts.items()}
    assert "principal losses" in titles["principal"][0]
    assert titles["principal"][1].startswith("Principal loss exceedance")
    assert "losses in present value" in titles["pv"][0]
    assert titles["pv"][1].startswith("Present-value loss exceedance")
    assert titles["x" * 50] == titles["principal"]  # a crafted measure: the principal loss
    # the pv chart draws the run's own pv_loss_pct per path and note
    _, exceed = agg.loss_distribution(demo_run["note_metrics"], measure="pv")
    drawn = charts["pv"]["abs-loss-exceedance"]["figure"]["data"]
    assert [t["name"] for t in drawn] == ["note senior", "note mezzanine", "note subordinated"]
    for trace in drawn:
        want = exceed[exceed["note"] == trace["name"].removeprefix("note ")]
        np.testing.assert_allclose(_values(trace["y"]), want["prob_exceed"])
        np.testing.assert_allclose(_values(trace["x"]), want["loss"])


def _values(array) -> np.ndarray:  # noqa: ANN001 - a list, or plotly's typed-array JSON
    """An array as a figure's JSON holds it: a list, or ``{"dtype", "bdata"}`` (base64)."""
    if isinstance(array, dict):
        import base64

        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array, dtype=float)
