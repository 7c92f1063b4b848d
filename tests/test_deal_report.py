"""Tests of sim.deal_report: the period-by-period deal report, its exports and its command."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.abs import note_metrics, run_waterfall, triggers_to_frame, waterfall_arrays
from sim.cli import main
from sim.config import deep_merge, read_yaml
from sim.deal_report import (
    DealReport,
    build_deal_report,
    deal_export,
    export_table,
    header,
    money_columns,
    note_losses,
    path_at_quantile,
    write_csv,
    write_xlsx,
)
from sim.exports import csv_bytes
from sim.report_tables import fmt_value

DEAL = {
    "notes": [{"name": "A", "balance": 80, "coupon": 0.03},
              {"name": "B", "balance": 20, "coupon": 0.08}],
    "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.05, "name": "cdr"}],
}
# path 0 repays everything; path 1 loses 30 of 100 to defaults in period 2
COLL = {
    "pool_balance_begin": [[100, 50, 0], [100, 50, 0]],
    "interest": [[1, 1, 0], [1, 1, 0]],
    "principal": [[50, 50, 0], [50, 20, 0]],
    "recoveries": [[0, 0, 0], [0, 0, 0]],
    "defaults": [[0, 0, 0], [0, 30, 0]],
}


def hand_tables() -> dict[str, pd.DataFrame]:
    """A two-path run's tables, made by the waterfall from hand-written collections."""
    pool = pd.DataFrame({"path": np.repeat([0, 1], 3), "period": np.tile([1, 2, 3], 2),
                         **{k: np.ravel(v).astype(float) for k, v in COLL.items()}})
    pool["pool_balance_end"] = pool.pool_balance_begin - pool.principal - pool.defaults
    notes = run_waterfall(DEAL, pool)
    return {"notes": notes, "pool": pool, "note_metrics": note_metrics(notes),
            "triggers": triggers_to_frame(waterfall_arrays(DEAL, COLL))}


def test_hand_computed_factor_credit_enhancement_and_rates():
    rep = build_deal_report(hand_tables(), path=1, deal={"clean_up_call": {"call_pct": 0.0}})
    t = rep.table
    # period 1: pool 100 -> 50; A paid 50 of principal (80 -> 30), B untouched, no reserve
    assert t.loc[1, "note.A.balance"] == pytest.approx(30.0)
    assert t.loc[1, "note.A.factor"] == pytest.approx(30 / 80)
    assert t.loc[1, "note.A.credit_enhancement"] == pytest.approx((50 - 30) / 50)
    assert t.loc[1, "note.B.credit_enhancement"] == pytest.approx((50 - 30 - 20) / 50)
    assert t.loc[1, "pool.yield"] == pytest.approx(1 * 12 / 100)
    # period 2: defaults 30 on a pool of 50 (annualised 720 %); the pool is gone, so credit
    # enhancement is undefined; A is paid 21 - fees - interest
    assert t.loc[2, "pool.default_rate"] == pytest.approx(30 * 12 / 50)
    assert np.isnan(t.loc[2, "note.A.credit_enhancement"])
    # (fees 0.075 and interest 0.1333, paid as 0.07 and 0.13: whole cents)
    assert t.loc[2, "note.A.principal"] == 21 - 0.07 - 0.13
    # the trigger: cumulative defaults 30 / 100 > 5 % from period 2
    assert t["trigger.cdr.value"].tolist() == pytest.approx([0.0, 0.3, 0.3])
    assert t["trigger.cdr.threshold"].tolist() == [0.05] * 3
    assert t["trigger.cdr.breached"].tolist() == [False, True, True]
    # period 3: B is written down in full, A by what was left
    assert t.loc[3, "note.B.writedown"] == pytest.approx(20.0)
    assert t["note.A.writedown"].sum() + t["note.A.principal"].sum() == pytest.approx(80.0)


def test_credit_enhancement_is_blank_once_the_note_is_paid_off():
    """A paid-off note has no protection to report: blank, not (pool + reserve) / pool."""
    coll = {"pool_balance_begin": [[100, 60, 20]], "interest": [[0, 0, 0]],
            "principal": [[40, 40, 20]], "recoveries": [[0, 0, 0]], "defaults": [[0, 0, 0]]}
    pool = pd.DataFrame({"path": 0, "period": [1, 2, 3],
                         **{k: np.ravel(v).astype(float) for k, v in coll.items()}})
    pool["pool_balance_end"] = pool.pool_balance_begin - pool.principal - pool.defaults
    deal = {"notes": [{"name": "A", "balance": 80, "coupon": 0.0},
                      {"name": "B", "balance": 20, "coupon": 0.0}]}
    t = build_deal_report({"notes": run_waterfall(deal, pool), "pool": pool}, path=0).table
    assert t["note.A.balance"].tolist() == pytest.approx([40.0, 0.0, 0.0])
    assert t.loc[1, "note.A.credit_enhancement"] == pytest.approx(20 / 60)
    assert t["note.A.credit_enhancement"].iloc[1:].isna().all()  # paid off in period 2
    assert t.loc[2, "note.B.credit_enhancement"] == pytest.approx(0.0)  # 20 owed on 20


def test_the_pdl_column_is_left_out_when_the_deal_keeps_no_ledger():
    assert "note.A.pdl" in build_deal_report(hand_tables(), path=1).table  # terms unknown
    assert "note.A.pdl" in build_deal_report(hand_tables(), path=1, deal={"pdl": True}).table
    rep = build_deal_report(hand_tables(), path=1, deal={"pdl": False})
    assert not any(c.endswith(".pdl") for c in rep.table)
    assert not any("PDL" in m for m in rep.missing)  # not a column the run lacks


def test_the_swap_columns_are_left_out_when_the_deal_has_no_swap():
    assert "deal.swap_paid" in build_deal_report(hand_tables(), path=1).table  # terms unknown
    rep = build_deal_report(hand_tables(), path=1, deal={"swap": None})
    assert not any("swap" in c for c in rep.table)
    assert not any("swap" in m for m in rep.missing)  # not a column the run lacks


def test_annualised_pool_rates_are_blank_once_the_pool_is_below_the_clean_up_level():
    """Path 1 loses 30 of a pool of 50 in period 2 and ends at 0: 720 % a year is no rate."""
    rep = build_deal_report(hand_tables(), path=1, deal={"clean_up_call": {"call_pct": 0.1}})
    t = rep.table
    assert t.loc[1, "pool.default_rate"] == 0.0 and t.loc[1, "pool.yield"] == pytest.approx(0.12)
    assert t[["pool.default_rate", "pool.yield"]].loc[2:].isna().all().all()
    assert t.loc[2, "pool.defaults"] == 30.0  # the amount stays
    assert len(rep.remarks) == 1 and "blank from period 2" in rep.remarks[0]
    assert "10% of the cut-off pool" in rep.remarks[0]
    # without the deal's terms, the usual 10 % level
    assert np.isnan(build_deal_report(hand_tables(), path=1).table.loc[2, "pool.default_rate"])


def test_columns_come_in_groups_pool_deal_triggers_then_notes_by_seniority():
    rep = build_deal_report(hand_tables(), path=1)
    assert list(rep.groups()) == ["pool", "deal", "triggers", "note A", "note B"]
    assert rep.table.columns[0] == "pool.balance_begin"
    assert rep.table.index.tolist() == [1, 2, 3]  # period 3: the notes are written down


def test_periods_after_the_deal_has_wound_down_are_left_out():
    rep = build_deal_report(hand_tables(), path=0)  # repaid in period 2, nothing after
    assert rep.table.index.tolist() == [1, 2]
    assert "wound down by period 2" in rep.selection


def test_quantile_picks_a_real_path_by_the_notes_loss():
    losses = pd.Series([0.0, 0.5, 0.1, 0.0], index=[0, 1, 2, 3])
    # ordered: (0, p0), (0, p3), (0.1, p2), (0.5, p1)
    assert path_at_quantile(losses, 0.0) == 0
    assert path_at_quantile(losses, 0.5) == 3
    assert path_at_quantile(losses, 0.75) == 2
    assert path_at_quantile(losses, 0.76) == 1
    assert path_at_quantile(losses, 1.0) == 1
    with pytest.raises(ValueError, match="between 0 and 1"):
        path_at_quantile(losses, 1.5)
    rep = build_deal_report(hand_tables(), quantile=1.0, note="B")
    assert rep.path == 1 and "1 quantile of B's principal loss" in rep.selection
    assert build_deal_report(hand_tables(), quantile=1.0).path == 1  # default: most junior


LATE_DEAL = {"notes": [{"name": "A", "balance": 9000, "coupon": 0.0},
                       {"name": "B", "balance": 1000, "coupon": 0.12}]}
"""B pays 1 % a month (10 on its 1,000), A nothing: B's interest is all the pool owes."""
LATE_COLL = {
    "pool_balance_begin": [[10000, 10000], [10000, 5000], [10000, 5000]],
    "interest": [[0, 20], [10, 10], [10, 10]],
    "principal": [[0, 10000], [5000, 5000], [5000, 4999.95]],
    "recoveries": [[0, 0]] * 3,
    "defaults": [[0, 0], [0, 0], [0, 0.05]],
}
"""Path 0: nothing comes in in period 1, everything in period 2 (B's interest a month late);
path 1: paid on time; path 2: on time, but 5 cents of the pool default in period 2."""


def late_tables() -> dict[str, pd.DataFrame]:
    """Three paths on which the principal and the PV loss rank B's paths differently."""
    pool = pd.DataFrame({"path": np.repeat([0, 1, 2], 2), "period": np.tile([1, 2], 3),
                         **{k: np.ravel(v).astype(float) for k, v in LATE_COLL.items()}})
    pool["pool_balance_end"] = pool.pool_balance_begin - pool.principal - pool.defaults
    notes = run_waterfall(LATE_DEAL, pool)
    return {"notes": notes, "pool": pool, "note_metrics": note_metrics(notes)}


def test_the_pv_loss_ranks_paths_where_interest_came_late_and_the_principal_loss_does_not():
    # B, 1,000 at 1 % a month for two months. Path 0 gets its 10 of period 1 in period 2,
    # with no interest on it: nothing written down, but in present value it received
    # (20 + 1,000) / 1.01^2 for 10 / 1.01 + 1,010 / 1.01^2, a PV loss of
    # 1 - 1,020 / 1.01^2 / 1,000 = 1 / 10,201 (0.0098 %). Path 2 is paid on time and written
    # down 0.05 in period 2: principal loss 0.05 / 1,000 = 0.005 %, PV loss 0.05 / 1.01^2 /
    # 1,000 = 0.0049 %. Path 1 loses nothing either way.
    tables = late_tables()
    principal = build_deal_report(tables, quantile=1.0)
    pv = build_deal_report(tables, quantile=1.0, measure="pv")
    assert (principal.path, pv.path) == (2, 0)
    assert principal.selection.startswith(
        "path 2: the 1 quantile of B's principal loss over 3 paths (its principal loss "
        "0.0050%)")
    assert pv.selection.startswith(
        "path 0: the 1 quantile of B's PV loss over 3 paths (its PV loss 0.0098%)")
    assert note_losses(tables, "B", "pv").tolist() == pytest.approx(
        [1 / 10_201, 0.0, 0.05 / 1.01**2 / 1000], rel=1e-9)
    assert note_losses(tables, "B").tolist() == pytest.approx([0.0, 0.0, 0.05 / 1000])
    # the median: principal (0, p0) (0, p1) (0.005 %, p2); PV (0, p1) (0.0049 %, p2) (0.0098 %, p0)
    assert build_deal_report(tables, quantile=0.5).path == 1
    assert build_deal_report(tables, quantile=0.5, measure="pv").path == 2
    # the default is the principal loss, as before the choice existed
    assert build_deal_report(tables, quantile=1.0, measure="principal").table.equals(
        principal.table)


def test_an_unknown_loss_measure_is_refused_with_the_allowed_ones():
    for kwargs in ({"quantile": 1.0}, {"path": 0}):
        with pytest.raises(ValueError, match=r"^unknown loss measure 'nominal'; allowed: "
                                             r"principal, pv$"):
            build_deal_report(late_tables(), measure="nominal", **kwargs)
    with pytest.raises(ValueError, match="unknown loss measure 'PV'"):
        note_losses(late_tables(), "B", "PV")
    with pytest.raises(ValueError, match=r"unknown loss measure \['pv'\]"):  # not a name
        note_losses(late_tables(), "B", ["pv"])  # type: ignore[arg-type]


def test_a_run_stored_before_the_pv_loss_is_ranked_by_the_principal_loss_only():
    tables = late_tables()
    old = tables | {"note_metrics": tables["note_metrics"].drop(columns="pv_loss_pct")}
    assert build_deal_report(old, quantile=1.0).path == 2  # the principal loss as before
    without = {k: v for k, v in tables.items() if k != "note_metrics"}
    assert build_deal_report(without, quantile=1.0).path == 2  # from the notes table
    no_coupon = tables | {"note_metrics": tables["note_metrics"].assign(pv_loss_pct=np.nan)}
    for run in (old, without, no_coupon):
        with pytest.raises(ValueError, match=r"^this run was stored before the PV loss was "
                                             r"recorded: its paths rank by the principal loss "
                                             r"only$"):
            build_deal_report(run, quantile=1.0, measure="pv")
    with pytest.raises(ValueError, match="no note 'C' in this run"):  # the note first
        build_deal_report(without, quantile=1.0, note="C", measure="pv")


def test_bad_choices_are_refused_with_what_is_allowed():
    with pytest.raises(ValueError, match="no note 'C' in this run; its notes are A, B"):
        build_deal_report(hand_tables(), quantile=0.5, note="C")
    with pytest.raises(ValueError, match="path 7 is not in this run; it has paths 0 to 1"):
        build_deal_report(hand_tables(), path=7)
    with pytest.raises(ValueError, match="no 'notes' table"):
        build_deal_report({"pool": hand_tables()["pool"]})


def test_a_quantile_the_paths_cannot_resolve_is_refused_with_the_paths_it_needs():
    """Two paths resolve quantiles 0.5 only; 0.75 would silently be the worst path, so it is
    refused, by the rule of the tranche tables (`sim.metrics.resolvable`). The extremes 0 and
    1 ask for the best and worst path themselves and stay allowed."""
    with pytest.raises(ValueError, match=r"the 0.75 quantile needs >= 4 paths; this run has 2, "
                                         r"which give 0 \(the best path\), 0.5 and 1"):
        build_deal_report(hand_tables(), quantile=0.75)
    with pytest.raises(ValueError, match=r"needs >= 100 paths"):
        build_deal_report(hand_tables(), quantile=0.01)
    assert build_deal_report(hand_tables(), quantile=0.5).path == 0
    assert build_deal_report(hand_tables(), quantile=0.0).path == 0


def test_columns_a_run_lacks_are_left_out_with_a_note_and_new_ones_show_up():
    tables = hand_tables()
    # a run from before the net excess spread and the reserve requirement were recorded: its
    # excess_spread is the gross figure
    legacy = tables["notes"].drop(columns=["excess_spread_gross", "reserve_requirement"])
    legacy["excess_spread"] = tables["notes"]["excess_spread_gross"]
    rep = build_deal_report(dict(tables, notes=legacy), path=0)
    assert "deal.excess_spread_gross" in rep.table and "deal.excess_spread_net" not in rep.table
    gross = legacy.query("path == 0").drop_duplicates("period").set_index("period")
    assert rep.table["deal.excess_spread_gross"].tolist() == gross.loc[
        rep.table.index, "excess_spread"].tolist()
    assert any("net of losses" in m for m in rep.missing)
    assert any("reserve requirement" in m for m in rep.missing)
    # a run that records both, and the reserve requirement, shows them under their names
    notes = tables["notes"].assign(excess_spread_gross=0.07, reserve_requirement=1.5)
    rep = build_deal_report(dict(tables, notes=notes), path=0)
    assert rep.table["deal.excess_spread_gross"].tolist() == [0.07] * 3
    assert rep.table["deal.excess_spread_net"].tolist() == notes.drop_duplicates(
        ["path", "period"]).query("path == 0")["excess_spread"].tolist()
    assert rep.table["deal.reserve_requirement"].tolist() == [1.5] * 3
    assert not any("reserve requirement" in m for m in rep.missing)
    # an older run without a triggers table or a pool table (nor the pool balance and reserve
    # in its notes table) still reports what it has
    old = {"notes": tables["notes"].drop(columns=["reserve_balance", "pool_balance_end"])}
    rep = build_deal_report(old, path=1)
    assert rep.table["trigger.cdr.breached"].tolist() == [False, True, True]
    assert "trigger.cdr.value" not in rep.table
    assert any("credit enhancement" in m for m in rep.missing)
    assert any("reserve balance" in m for m in rep.missing)
    # nor the pool sold (no 'sold' in its pool table) nor the waterfall log's sources (nor
    # the reserve brought forward in its notes table)
    before = dict(tables, notes=tables["notes"].drop(columns="reserve_draw"))
    rep = build_deal_report(before, path=1)
    assert "pool.sold" not in rep.table and "deal.reserve_draw" not in rep.table
    assert any("pool sold or returned: not recorded in this run ('sold')" == m
               for m in rep.missing)
    assert any(m.startswith("reserve brought forward") for m in rep.missing)
    assert rep.table["deal.sale_proceeds"].tolist() == [0.0] * 3  # in its notes table
    # a run whose notes table records the reserve brought forward shows it without the log
    shown = build_deal_report(tables, path=1).table["deal.reserve_draw"]
    assert shown.tolist() == tables["notes"].query("path == 1").drop_duplicates("period")[
        "reserve_draw"].tolist()


def test_csv_and_xlsx_read_back_to_the_same_numbers(tmp_path):
    rep = build_deal_report(hand_tables(), path=1, run_id="hand")
    back = pd.read_csv(write_csv(rep, tmp_path / "r.csv"), index_col="period")
    assert (back.pop("run") == "hand").all() and (back.pop("path") == 1).all()  # its source
    pd.testing.assert_frame_equal(back, export_table(rep), check_dtype=False)
    money = money_columns(rep)  # to the cent; everything else to 10 significant digits
    assert "note.A.principal" in money and "note.A.factor" not in money
    back.columns = rep.table.columns  # one header each, in the report's order
    assert (back[money] - rep.table[money]).abs().max().max() <= 0.005 + 1e-9
    others = [c for c in rep.table.columns if c not in money]
    pd.testing.assert_frame_equal(back[others], rep.table[others], check_dtype=False,
                                  rtol=1e-10)
    book = openpyxl.load_workbook(write_xlsx(rep, tmp_path / "r.xlsx"))
    assert book.sheetnames == ["report", "about"]
    sheet = book["report"]
    names = [c.value for c in sheet[1]]
    assert names[:3] == ["run", "path", "period"]
    assert names[3:] == list(export_table(rep).columns)
    col = names.index("A balance, end (currency units)") + 1
    assert [sheet.cell(row=r, column=col).value for r in (2, 3, 4)] == pytest.approx(
        rep.table["note.A.balance"].round(2).tolist())  # to the cent
    assert sheet.cell(row=2, column=names.index("A factor (fraction)") + 1
                      ).number_format == "0.000%"
    about = pd.read_excel(tmp_path / "r.xlsx", sheet_name="about")
    keys = about.dropna(subset=["key"]).set_index("name")
    assert keys.loc["A balance, end (currency units)", "key"] == "note.A.balance"
    assert keys.loc["A factor (fraction)", "unit"] == "fraction"
    assert list(keys["key"]) == ["run", "path", "period", *rep.table.columns]
    facts = about[about["key"].isna()].set_index("name")["value"]
    assert facts["run"] == "hand" and str(facts["path"]) == "1"


def test_exports_read_back_by_pandas_as_numeric_columns_under_one_header(tmp_path):
    """What an analyst does first: read_excel / read_csv, no header or dtype options."""
    rep = build_deal_report(hand_tables(), path=1, run_id="hand")
    for back in (pd.read_excel(write_xlsx(rep, tmp_path / "r.xlsx"), sheet_name="report"),
                 pd.read_csv(write_csv(rep, tmp_path / "r.csv"))):
        assert list(back.columns) == ["run", "path", "period", *export_table(rep).columns]
        assert not any("Unnamed" in str(c) for c in back.columns)
        assert back["period"].tolist() == [1, 2, 3]  # no row of machine keys
        numbers = back.columns.drop("run")  # the run's id is its name
        assert all(pd.api.types.is_numeric_dtype(back[c]) for c in numbers), back.dtypes
        assert "A balance, end (currency units)" in back
        assert "default rate, annual (fraction a year)" in back
        assert "cdr breached (True/False)" in back


def test_exports_round_money_to_cents_and_rates_to_10_significant_digits(tmp_path):
    """Money is booked in cents: an export shows 9593391.21, never 9593391.214999998; a rate
    or ratio keeps 10 significant digits: 0.2600000000000002 is 0.26, and an excess spread
    of 0.0123456789 is not 0.01."""
    table = pd.DataFrame({"pool.balance_begin": [9593391.214999998, 100.005000001],
                          "deal.excess_spread_net": [0.0123456789, -0.000123456789],
                          "note.A.factor": [0.987654321, 0.2600000000000002]},
                         index=pd.Index([1, 2], name="period"))
    labels = {"pool.balance_begin": ("pool balance, start", "money"),
              "deal.excess_spread_net": ("excess spread", "rate"),
              "note.A.factor": ("A factor", "ratio")}
    rep = DealReport(table, 0, "path 0", ["A"], [], labels=labels, run_id="r1")
    text = write_csv(rep, tmp_path / "r.csv").read_text()
    assert text.splitlines() == [
        'run,path,period,"pool balance, start (currency units)",excess spread (fraction a '
        "year),A factor (fraction)",
        "r1,0,1,9593391.21,0.0123456789,0.987654321",
        "r1,0,2,100.01,-0.000123456789,0.26"]
    sheet = openpyxl.load_workbook(write_xlsx(rep, tmp_path / "r.xlsx"))["report"]
    assert [sheet.cell(row=r, column=4).value for r in (2, 3)] == [9593391.21, 100.01]
    assert sheet.cell(row=2, column=5).value == 0.0123456789
    assert sheet.cell(row=3, column=6).value == 0.26
    assert rep.table.loc[1, "pool.balance_begin"] == 9593391.214999998  # the report unchanged


CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TINY = {"name": "tiny-deal", "seed": 5,
        "book": {"initial_borrowers": 300, "new_borrowers_per_month": 10, "horizon_months": 12}}


@pytest.fixture(scope="module")
def deal_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("dealruns")
    base = read_yaml(CONFIGS / "baseline.yaml")
    deal = read_yaml(CONFIGS / "deals" / "baitiao_2015.yaml")
    cfg = deep_merge(base, TINY)
    cfg["deal"] = deep_merge(deal, {"cutoff_month": 4, "revolving_months": 2})
    return sim.run(cfg, paths=2, seed=3, out=root)


SWAP_DEAL = {"cutoff_month": 4, "revolving_months": 2, "clean_up_call": {"call_pct": 0.1},
             "eligibility": {"min_months_on_book": 3}}
"""The card trust on the tiny book: seasoning and call level it can meet (its own 6 months
on book and 5 % are more than a 4-month-old book and 8 periods give)."""


@pytest.fixture(scope="module")
def swap_run(tmp_path_factory):
    """Floating notes hedged by a swap: on both paths the vehicle pays the swap in some
    periods and receives it in others, and the pool is called in period 6."""
    root = tmp_path_factory.mktemp("swapruns")
    cfg = deep_merge(read_yaml(CONFIGS / "baseline.yaml"), TINY)
    cfg["deal"] = deep_merge(read_yaml(CONFIGS / "deals" / "card_trust.yaml"), SWAP_DEAL)
    return sim.run(cfg, paths=2, seed=3, out=root)


def cash_in_minus_cash_out(rep: DealReport) -> pd.Series:
    """What came into the vehicle minus what went out, per period, from the report's columns.

    cash in  = collections paid in (interest, principal and recoveries collected, rounded
               down to the cent with the fraction brought forward) + sale proceeds
               + net swap received
    cash out = senior fees paid + net swap paid + every note's interest paid and principal
               paid + receivables bought + residual released + change in reserve
    change in reserve = reserve balance (at the period's end) - reserve brought forward (the
               waterfall draws the whole reserve into each period's funds and refills it after the
               notes)
    A deal without a swap has no swap columns: they count as 0.
    """
    t = rep.table
    swap = "deal.swap_paid" in t
    cash_in = (t["deal.collections"] + t["deal.sale_proceeds"]
               + (t["deal.swap_receipt"] if swap else 0.0))
    notes = sum(t[f"note.{n}.interest"] + t[f"note.{n}.principal"] for n in rep.notes)
    cash_out = (t["deal.fees"] + (t["deal.swap_paid"] if swap else 0.0) + notes
                + t["pool.purchased"] + t["deal.residual"]
                + (t["deal.reserve"] - t["deal.reserve_draw"]))
    return cash_in - cash_out


@pytest.mark.parametrize("name", ["deal_run", "swap_run"])
def test_cash_in_equals_cash_out_in_every_period_the_call_and_the_swap_included(name, request):
    """The report reconciles on its own, to the cent, in every period of every path
    (`cash_in_minus_cash_out`), the period of the clean-up call (the pool sold for the notes'
    repayment) and a swap's payments and receipts included."""
    run = request.getfixturevalue(name)
    deal = run.manifest["config"]["deal"]
    for path in (0, 1):
        rep = build_deal_report(run.tables, path, deal=deal)
        t = rep.table
        assert t.index[-1] == 6  # the call's period, the report's last
        sale = t["deal.sale_proceeds"]  # the pool left, sold at the call
        assert (sale.loc[:5] == 0).all() and sale.loc[6] > 0
        assert sale.loc[6] == pytest.approx(t.loc[6, "pool.sold"], abs=0.005)
        assert t["deal.reserve_draw"].iloc[1:].tolist() == t["deal.reserve"].iloc[:-1].tolist()
        assert ("deal.swap_paid" in t) == ("deal.swap_receipt" in t) == (deal["swap"] is not None)
        if deal["swap"] is not None:  # both ways, within the report
            assert (t["deal.swap_paid"] > 0).any() and (t["deal.swap_receipt"] > 0).any()
        gap = cash_in_minus_cash_out(rep)
        assert gap.abs().max() < 0.005, gap  # half a cent: equal to the cent


@pytest.mark.parametrize("name", ["deal_run", "swap_run"])
def test_every_period_of_the_exported_report_ties_out_to_exactly_zero(name, request):
    """The exported report (money rounded to the cent, as the CSV holds it) reconciles to
    exactly 0.00 in every period: the waterfall pays whole cents (docs/WATERFALL.md §5.11),
    so nothing is lost to rounding each amount on its own (docs/REPORTS.md, "Cents")."""
    run = request.getfixturevalue(name)
    deal = run.manifest["config"]["deal"]
    assert deal["pool_share"] < 1  # the vehicle's collections hold fractions of a cent
    for path in (0, 1):
        rep = build_deal_report(run.tables, path, deal=deal)
        exported = export_table(rep)
        cents = {key: np.round(exported[header(rep, key)].to_numpy(float) * 100).astype(np.int64)
                 for key in money_columns(rep)}
        for key, c in cents.items():  # what was exported is the cents, nothing else
            np.testing.assert_array_equal(c / 100, exported[header(rep, key)].to_numpy(float))
        cash_in = (cents["deal.collections"] + cents["deal.sale_proceeds"]
                   + cents.get("deal.swap_receipt", 0))
        notes = sum(cents[f"note.{n}.interest"] + cents[f"note.{n}.principal"]
                    for n in rep.notes)
        cash_out = (cents["deal.fees"] + cents.get("deal.swap_paid", 0) + notes
                    + cents["pool.purchased"]
                    + cents["deal.residual"] + cents["deal.reserve"] - cents["deal.reserve_draw"])
        assert (cash_in - cash_out).tolist() == [0] * len(exported), (name, path)
        # the pool's collections, in fractions of a cent, differ from the cash paid in by the
        # fraction carried: less than a cent a period
        collected = rep.table[["pool.interest", "pool.principal", "pool.recoveries"]].sum(axis=1)
        assert (collected - rep.table["deal.collections"]).abs().max() < 0.01 + 1e-9


def test_the_reserve_is_brought_forward_whole_and_its_net_change_shows_a_draw(deal_run):
    """The waterfall draws the whole reserve into every period's funds: the column is the
    reserve brought forward (the last period's balance), not a draw; the net change
    (balance - brought forward) is the draw (negative) or the top-up (positive)."""
    rep = build_deal_report(deal_run.tables, 0)
    t = rep.table
    assert rep.labels["deal.reserve_draw"] == ("reserve brought forward", "money")
    assert rep.labels["deal.reserve_change"] == ("reserve, net change", "money")
    assert (t["deal.reserve_change"] == t["deal.reserve"] - t["deal.reserve_draw"]).all()
    assert t["deal.reserve_draw"].iloc[1:].tolist() == t["deal.reserve"].iloc[:-1].tolist()
    assert "reserve, net change (currency units)" in export_table(rep).columns


def test_the_pool_rolls_forward_from_its_start_to_its_end_in_every_period(deal_run):
    """pool balance, start - principal collected - defaults + receivables bought - pool sold
    or returned = pool balance, end; at the call the pool sold is all that was left. The
    report shows the pool's balances rounded up to the cent (as the waterfall measures the
    pool against the notes), each less than a cent above the run's, so its roll-forward
    holds to within a cent; on the run's pool table, as it is, to 1e-9."""
    for path in (0, 1):
        t = build_deal_report(deal_run.tables, path).table
        rolled = (t["pool.balance_begin"] - t["pool.principal"] - t["pool.defaults"]
                  + t["pool.purchased"] - t["pool.sold"])
        assert (rolled - t["pool.balance_end"]).abs().max() < 0.01
        assert (t["pool.balance_begin"].iloc[1:].to_numpy()
                == t["pool.balance_end"].iloc[:-1].to_numpy()).all()  # end is next start
        pool = deal_run.tables["pool"].query("path == @path").set_index("period")
        above = (t["pool.balance_end"] - pool["pool_balance_end"].loc[t.index]) * 100
        assert ((above >= 0) & (above < 1)).all()
        assert ((t["pool.balance_end"] * 100).round(6) % 1 == 0).all()  # whole cents
        rolled = (pool["pool_balance_begin"] - pool["principal"] - pool["defaults"]
                  + pool["purchased"] - pool["sold"])
        assert (rolled - pool["pool_balance_end"]).abs().max() < 1e-9
    assert t.loc[6, "pool.sold"] > 0 and t.loc[6, "pool.balance_end"] == 0.0
    assert (t.loc[:5, "pool.sold"] == 0).all()


def test_deal_report_command_prints_and_exports(deal_run, tmp_path, capsys):
    csv, xlsx = tmp_path / "r.csv", tmp_path / "r.xlsx"
    assert main(["deal-report", str(deal_run.path), "--quantile", "1", "--csv", str(csv),
                 "--xlsx", str(xlsx)]) == 0
    out = capsys.readouterr().out
    notes = list(pd.unique(deal_run["notes"]["note"]))
    for group in ("pool", "deal", "triggers", *[f"note {n}" for n in notes]):
        assert group in out
    assert "quantile of" in out and notes[-1] in out
    table = pd.read_csv(csv, index_col="period")
    assert table.index.tolist() == list(range(1, len(table) + 1))
    assert openpyxl.load_workbook(xlsx)["report"].max_row == len(table) + 1
    assert not any("PDL" in c for c in table.columns)  # the shipped deal keeps no ledger


def test_exports_are_written_before_the_tables_are_printed(deal_run, tmp_path, monkeypatch):
    # `creditsim deal-report RUN --csv F | head -2`: the pipe closes while the tables print;
    # the files asked for must be there all the same (they were written after the tables)
    def closed_pipe(*_a, **_k):
        raise BrokenPipeError
    monkeypatch.setattr("sim.cli.console.print", closed_pipe)
    csv, xlsx = tmp_path / "r.csv", tmp_path / "r.xlsx"
    with pytest.raises(BrokenPipeError):
        main(["deal-report", str(deal_run.path), "--csv", str(csv), "--xlsx", str(xlsx)])
    assert len(pd.read_csv(csv)) > 0 and openpyxl.load_workbook(xlsx)["report"].max_row > 1


def test_deal_report_command_refuses_bad_input_with_exit_2(deal_run, capsys, tmp_path):
    assert main(["deal-report", str(deal_run.path), "--path", "9"]) == 2
    assert "path 9 is not in this run" in capsys.readouterr().err
    assert main(["deal-report", str(deal_run.path), "--path", "0", "--quantile", "0.5"]) == 2
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["deal-report", str(deal_run.path), "--quantile", "2"])
    assert exc.value.code == 2
    assert "give a quantile from 0 to 1" in capsys.readouterr().err
    assert main(["deal-report", str(tmp_path)]) == 2


def test_deal_report_command_ranks_paths_by_the_loss_measure_asked_for(deal_run, capsys):
    run = str(deal_run.path)
    outputs = {}
    for extra in ([], ["--loss-measure", "principal"], ["--loss-measure", "pv"]):
        assert main(["deal-report", run, "--quantile", "1", *extra]) == 0
        outputs[" ".join(extra)] = capsys.readouterr().out
    # the default is the principal loss, as before the option existed
    assert outputs[""] == outputs["--loss-measure principal"]
    metrics = deal_run["note_metrics"]
    for measure, column, name in (("principal", "loss_pct", "principal loss"),
                                  ("pv", "pv_loss_pct", "PV loss")):
        losses = metrics[metrics["note"] == "subordinated"].set_index("path")[column]
        path = path_at_quantile(losses, 1.0)
        head = " ".join(outputs[f"--loss-measure {measure}"].split())  # as wrapped
        assert head.startswith(f"Deal report of run {deal_run.run_id}, path {path}: the 1 "
                               f"quantile of subordinated's {name} over 2 paths (its {name} "
                               f"{losses[path]:.4%})"), head[:300]


def test_deal_report_command_on_a_run_stored_before_the_pv_loss(deal_run, capsys, tmp_path):
    import shutil

    from conftest import stored_before_digests

    old = Path(shutil.copytree(deal_run.path, tmp_path / deal_run.path.name))
    metrics = pd.read_parquet(old / "note_metrics.parquet").drop(columns="pv_loss_pct")
    metrics.to_parquet(old / "note_metrics.parquet")
    stored_before_digests(old)  # as the runs of those versions were
    assert main(["deal-report", str(old), "--quantile", "1", "--loss-measure", "pv"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: this run was stored before the PV loss was recorded")
    assert main(["deal-report", str(old), "--quantile", "1"]) == 0
    assert "principal loss" in capsys.readouterr().out


def test_deal_report_command_refuses_a_loss_measure_before_reading_the_run(
        deal_run, capsys, monkeypatch):
    import sim.store
    from sim.abs.metrics import LOSS_MEASURES

    # the command's choices are the measures the builder knows, as breakeven's
    sub = next(a for a in sim.cli.build_parser()._actions if a.dest == "command")
    option = next(a for a in sub.choices["deal-report"]._actions if a.dest == "loss_measure")
    assert tuple(option.choices) == tuple(LOSS_MEASURES)
    assert option.default is None  # not given: the principal loss; given alone: refused
    read = []
    monkeypatch.setattr(sim.store, "load_run", lambda *a, **k: read.append(a))
    with pytest.raises(SystemExit) as exc:
        main(["deal-report", str(deal_run.path), "--quantile", "1", "--loss-measure", "npv"])
    assert exc.value.code == 2
    assert "invalid choice: 'npv' (choose from 'principal', 'pv')" in capsys.readouterr().err
    assert main(["deal-report", str(deal_run.path), "--loss-measure", "pv"]) == 2
    err = capsys.readouterr().err
    assert "--loss-measure chooses the loss --quantile ranks paths by; give --quantile" in err
    assert read == []


def test_deal_report_command_refuses_an_unresolvable_quantile_before_reading_tables(
        deal_run, capsys, monkeypatch):
    import sim.store

    read = []
    real = sim.store.load_run

    def load_run(run, root="runs", tables=None):  # noqa: ANN001, ANN202
        read.append(tables)
        return real(run, root, tables)

    monkeypatch.setattr(sim.store, "load_run", load_run)
    assert main(["deal-report", str(deal_run.path), "--quantile", "0.99"]) == 2
    err = capsys.readouterr().err
    assert "the 0.99 quantile" in err and "needs >= 100 paths" in err
    assert "this run has 2, which give" in err and len(err.strip().splitlines()) == 1
    assert read == [()]  # the manifest only: no table was read


def test_report_and_compare_show_the_rating_range(deal_run, capsys, monkeypatch, tmp_path):
    import shutil

    monkeypatch.setattr(sim.cli.console, "width", 250)
    assert main(["report", str(deal_run.path)]) == 0
    out = capsys.readouterr().out
    assert "what 2 paths can tell" in out and "n/a: needs >=" in out  # 2 paths resolve nothing
    # the originator keeps the most junior note (deal.retained's default) and the residual
    assert "Originator (keeping subordinated whole and the residual, per deal.retained" in " ".join(
        out.split()), out
    copy = shutil.copytree(deal_run.path, tmp_path / "copy")  # another run folder, same paths
    assert main(["compare", str(deal_run.path), str(copy)]) == 0
    out = capsys.readouterr().out
    assert "implied ratings with the uncertainty of each run" in out



# -- the dashboard's ABS page: the same builder, its table and its download --------------------


def test_dashboard_report_table_and_download_use_the_same_builder(tmp_path):
    import base64
    import io

    from dashboard.aggregate import abs as agg
    from dashboard.pages.abs import report_download

    rep = build_deal_report(hand_tables(), path=1, run_id="hand")
    columns, rows = agg.report_table(rep, "note A")
    assert [c["id"] for c in columns] == ["period", *rep.groups()["note A"]]
    assert rows[0]["note.A.factor"] == "37.50%" and rows[0]["note.A.balance"] == "30.00"
    columns, rows = agg.report_table(rep)
    assert len(columns) == 1 + len(rep.table.columns) and len(rows) == 3
    csv = report_download(rep, "csv")
    assert csv["filename"] == "deal-report-hand-path1.csv"
    text = base64.b64decode(csv["content"]).decode()
    assert text == csv_bytes(deal_export(rep)).decode()  # the command's export, to the cent
    xlsx = report_download(rep, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))
    assert book["report"].cell(row=1, column=4).value == export_table(rep).columns[0]


def test_dashboard_summary_rows_carry_the_rating_uncertainty():
    from dashboard.aggregate import abs as agg
    from sim.abs import tranche_summary

    summary = tranche_summary(hand_tables()["note_metrics"])
    rows = agg.summary_rows(summary)
    assert [r["note"] for r in rows] == ["A", "B"]
    assert {c["id"] for c in agg.SUMMARY_COLUMNS} == set(rows[0])
    # two paths cannot resolve A (no loss seen); B lost all of it on one path: below the table
    assert rows[0]["implied_rating"].startswith("n/a: needs >= ")
    assert rows[1]["implied_rating"] == "below B3"
    assert "[" in rows[1]["prob_loss"]
    # the note's own IRR: the originator's return is a line of its own, under the table
    assert rows[1]["irr_annual"] == f"{summary['irr_annual'].iloc[1]:.2%}"


def test_abs_page_report_callback_over_http(deal_run):
    from dashboard.app import create_app

    app = create_app(deal_run.path.parent, configs_dir="configs")
    client = app.server.test_client()
    outputs = [("abs-report", "children"), ("abs-report-caption", "children"),
               ("abs-report-note", "options"), ("abs-report-group", "options")]
    inputs = {"run-a": deal_run.run_id, "abs-report-path": None, "abs-report-quantile": 1,
              "abs-report-note": None, "abs-report-measure": "pv",
              "abs-report-group": "note subordinated"}
    props = dict.fromkeys(inputs, "value")
    body = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": k, "property": props[k], "value": v} for k, v in inputs.items()],
        "changedPropIds": ["abs-report-quantile.value"], "state": [],
    }
    res = client.post("/_dash-update-component", json=body)
    assert res.status_code == 200
    out = res.get_json()["response"]
    assert "quantile of subordinated's PV loss" in out["abs-report-caption"]["children"]
    assert out["abs-report-note"]["options"] == ["senior", "mezzanine", "subordinated"]
    assert "note subordinated" in [o["value"] for o in out["abs-report-group"]["options"]]
    table = str(out["abs-report"]["children"])
    assert "subordinated credit enhancement" in table and "pool balance, start" not in table


def test_a_run_keeping_a_vertical_slice_reports_the_originators_return_on_it(
        deal_run, tmp_path, capsys, monkeypatch):
    """The same tiny run keeping 5 % of every note: the deal's cash flows are the same (what
    the originator keeps changes no payment), its return is that of the slice and the
    residual, and `report` says so."""
    monkeypatch.setattr(sim.cli.console, "width", 250)
    slice_ = dict.fromkeys(("senior", "mezzanine", "subordinated"), 0.05)
    cfg = deep_merge(deep_merge(read_yaml(CONFIGS / "baseline.yaml"), TINY),
                     {"deal": deep_merge(read_yaml(CONFIGS / "deals" / "baitiao_2015.yaml"),
                                         {"cutoff_month": 4, "revolving_months": 2,
                                          "retained": slice_})})
    run = sim.run(cfg, paths=2, seed=3, out=tmp_path)
    pd.testing.assert_frame_equal(run.tables["notes"], deal_run.tables["notes"])
    kept = run.tables["note_metrics"]
    assert kept["retained"].tolist() == [0.05] * 6
    pd.testing.assert_frame_equal(kept, note_metrics(deal_run.tables["notes"], slice_))
    whole = deal_run.tables["note_metrics"]
    assert not np.allclose(kept["holder_irr_annual"].dropna(), whole["holder_irr_annual"].dropna())
    assert main(["report", str(run.path)]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert ("Originator (keeping 5 % of every note (senior, mezzanine, subordinated) and the "
            "residual, per deal.retained") in said


def test_abs_page_says_what_the_originator_keeps_over_http(deal_run):
    """The ABS page's line under the tranche summary: the originator's return on what it
    keeps, in the words and figures of `creditsim report`'s footnote."""
    from dashboard.app import create_app
    from sim.abs import tranche_summary
    from sim.abs.retention import originator_line

    app = create_app(deal_run.path.parent, configs_dir="configs")
    key = next(k for k in app.callback_map if "abs-originator.children" in k)
    outputs = [tuple(part.rsplit(".", 1)) for part in key.strip(".").split("...")]
    body = {"output": key, "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": "run-a", "property": "value", "value": deal_run.run_id},
                       {"id": "abs-ready", "property": "data", "value": True}],
            "changedPropIds": ["run-a.value"], "state": []}
    res = app.server.test_client().post("/_dash-update-component", json=body)
    assert res.status_code == 200
    shown = res.get_json()["response"]["abs-originator"]["children"]
    assert shown == originator_line(tranche_summary(deal_run.tables["note_metrics"]))
    assert shown.startswith("Originator (keeping subordinated whole and the residual, per "
                            "deal.retained, having funded the reserve (")


@pytest.mark.parametrize("width", [80, 132])
def test_printed_report_fits_the_terminal_and_keeps_every_digit(deal_run, width):
    from rich.console import Console

    from sim.report_tables import deal_report_tables

    rep = build_deal_report(deal_run.tables, quantile=0.5)
    console = Console(width=width, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    for table in deal_report_tables(rep, width):
        console.print(table)
    text = console.export_text()
    assert "…" not in text
    lines = text.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= width
    # every table is closed on the right: the console cropped nothing
    assert all(line.rstrip()[-1] in "┓┃┩│┘" for line in lines if line[:1] in "┏┃┡│└")
    balance = rep.table["pool.balance_begin"].iloc[0]
    assert f"{balance:,.2f}" in text


def test_abs_page_report_knows_the_runs_deal_terms(deal_run):
    """The page passes the run's deal to the builder, as the command does: the shipped deal
    keeps no principal deficiency ledger, so its report has no PDL column there either."""
    from types import SimpleNamespace

    from dashboard.data import RunStore
    from dashboard.pages.abs import _report

    ctx = SimpleNamespace(store=RunStore(deal_run.path.parent))
    rep, message = _report(ctx, deal_run.run_id, 0, None, None)
    assert message == "" and rep is not None
    assert not any(c.endswith(".pdl") for c in rep.table)


def test_abs_page_report_ranks_by_the_loss_chosen_as_the_command_does(deal_run, tmp_path):
    """The page's loss choice goes through the same builder: its report downloads as the
    command writes it with the same ``--loss-measure``; a measure a crafted request sends
    is refused with the builder's message."""
    from types import SimpleNamespace

    from dashboard.data import RunStore
    from dashboard.pages.abs import LOSS_OPTIONS, _report
    from sim.abs.metrics import LOSS_MEASURES

    assert [o["value"] for o in LOSS_OPTIONS] == list(LOSS_MEASURES)
    ctx = SimpleNamespace(store=RunStore(deal_run.path.parent))
    for measure in LOSS_MEASURES:
        rep, message = _report(ctx, deal_run.run_id, None, 1, None, measure)
        csv = tmp_path / f"{measure}.csv"
        assert main(["deal-report", str(deal_run.path), "--quantile", "1", "--loss-measure",
                     measure, "--csv", str(csv), "--quiet"]) == 0
        assert message == "" and csv_bytes(deal_export(rep)) == csv.read_bytes()
    rep, message = _report(ctx, deal_run.run_id, None, 1, None, "npv")
    assert rep is None and message == "unknown loss measure 'npv'; allowed: principal, pv"


def test_abs_page_report_shows_why_an_unresolvable_quantile_has_no_path(deal_run):
    """The page's quantile box goes through the same builder: 0.99 over 2 paths is refused
    with the command's message, shown instead of the worst path's table."""
    from types import SimpleNamespace

    from dashboard.data import RunStore
    from dashboard.pages.abs import _report

    ctx = SimpleNamespace(store=RunStore(deal_run.path.parent))
    rep, message = _report(ctx, deal_run.run_id, None, 0.99, None)
    assert rep is None
    assert message.startswith("the 0.99 quantile needs >= 100 paths; this run has 2, which give")


@pytest.mark.parametrize("paths", [1, 2, 3, 4, 7, 20, 101, 3000])
def test_a_refused_quantile_says_which_quantiles_the_run_can_give(paths):
    """The message offers 0, 1 and the range the run resolves, and every quantile it offers
    is accepted (its ends rounded inward)."""
    import re

    from sim.deal_report import check_quantile

    with pytest.raises(ValueError) as info:
        check_quantile(1e-6, paths)
    text = str(info.value)
    if paths < 2:
        assert text.endswith("give 0 or 1 (its one path)")
        return
    offered = re.findall(r"which give 0 \(the best path\), ([0-9.]+)(?: to ([0-9.]+))? and 1 "
                         r"\(the worst\)$", text)
    assert offered, text
    for q in (float(v) for v in offered[0] if v):
        check_quantile(q, paths)  # accepted


def test_interest_due_and_the_ledgers_moves_tie_out_period_by_period():
    """Interest due less interest paid is the shortfall carried; with a PDL, the ledger's
    balance moves by its debits less its credits (capped at the note's balance, which these
    periods do not reach before the legal final period); a deal without one shows no
    ledger columns."""
    rep = build_deal_report(hand_tables(), path=1, deal={**DEAL, "pdl": False})
    t = rep.table
    for note in ("A", "B"):
        short = t[f"note.{note}.interest_due"] - t[f"note.{note}.interest"]
        assert short.tolist() == pytest.approx(t[f"note.{note}.interest_shortfall"].tolist())
    assert not any(c.endswith(("pdl", "pdl_debit", "pdl_credit")) for c in t.columns)
    pdl = {**DEAL, "pdl": True}
    pool = hand_tables()["pool"]
    rep = build_deal_report({"notes": run_waterfall(pdl, pool), "pool": pool}, path=1, deal=pdl)
    t = rep.table
    for note in ("A", "B"):
        moved = (t[f"note.{note}.pdl_debit"] - t[f"note.{note}.pdl_credit"]).cumsum()
        assert t[f"note.{note}.pdl"].iloc[:2].tolist() == pytest.approx(moved.iloc[:2].tolist())
    assert t["note.B.pdl_debit"].iloc[1] == pytest.approx(20.0)  # 30 of defaults: B's 20 first


OC_DEAL = {"notes": [{"name": "A", "balance": 85, "coupon": 0.0},
                     {"name": "B", "balance": 10, "coupon": 0.0}],
           "overcollateralisation": {"target_pct": 0.1, "floor_pct": 0.04}}
OC_POOL = pd.DataFrame({"path": 0, "period": [1, 2, 3], "pool_balance_begin": [100.0, 60, 30],
                        "interest": [1.0, 1, 0.5], "principal": [40.0, 20, 30],
                        "recoveries": 0.0, "defaults": [0.0, 10, 0]})
OC_POOL["pool_balance_end"] = OC_POOL.pool_balance_begin - OC_POOL.principal - OC_POOL.defaults


@pytest.mark.parametrize("target", [True, False])
def test_the_oc_columns_hand_worked(target):
    """A 85 and B 10 at 0 % on a pool of 100 (OC 5 at closing), no fee, no reserve; with an
    OC target of 10 % floored at 4 % of the first pool, or without (the OC at closing kept).

    Target. 1. E 60: required max(6, 4) = 6, PA 95 − 54 = 41, paid from 41 collected (A 44):
    OC 60 − 54 = 6, 10 %. 2. E 30 (defaults 10): required max(3, 4) = 4, PA 28, cash 21 (A
    23): OC 30 − 33 = −3, −10 %. 3. The legal final period, E 0: required 0; 30.50 pays A
    23 and B 7.50, B's 2.50 left is written down: OC 0, its share blank (no pool).
    No target. Required: the OC at closing, 5, no more than the pool: 5, 5, 0; PA 35 + 5 =
    40 in period 1 (A 45, OC 5, 8.33 %, residual 1), then PA 55 − 25 = 30 of which the 21
    collected is paid (A 24: OC 30 − 34 = −4, −13.33 %), then the legal final (OC 0)."""
    deal = OC_DEAL if target else {"notes": OC_DEAL["notes"]}
    notes = run_waterfall(deal, OC_POOL)
    rep = build_deal_report({"notes": notes, "pool": OC_POOL}, path=0, deal={
        "overcollateralisation": deal.get("overcollateralisation")})
    t = rep.table
    if target:
        assert t["deal.oc_required"].tolist() == [6.0, 4.0, 0.0]
        assert t["deal.oc"].tolist() == pytest.approx([6.0, -3.0, 0.0], abs=1e-9)
        assert t["deal.oc_pct"].tolist()[:2] == pytest.approx([0.1, -0.1])
    else:
        assert t["deal.oc_required"].tolist() == [5.0, 5.0, 0.0]
        assert t["deal.oc"].tolist() == pytest.approx([5.0, -4.0, 0.0], abs=1e-9)
        assert t["deal.oc_pct"].tolist()[:2] == pytest.approx([5 / 60, -4 / 30])
    assert np.isnan(t.loc[3, "deal.oc_pct"])
    assert rep.labels["deal.oc_pct"] == ("OC, share of the pool", "ratio")
    assert "OC required (currency units)" in export_table(rep).columns


def test_a_pool_holding_fractions_of_a_cent_shows_no_phantom_oc():
    """A 60 and B 40 at 0 % fund the whole pool of 100 (no OC to keep); the vehicle holds part
    of an account, so the pool repays 30.006 and then 20.001. 1. Collected ⌊3,000.6⌋ = 3,000
    cents (0.6 carried); E = 69.994 and PA = ⌊10,000 − 6,999.4⌋ = 3,000: the notes are 70.00,
    as the waterfall pays them, and the OC is ⌈6,999.4⌉ − 7,000 = 0 cents, where the pool as
    it is less the notes is −0.006 (−0.01 when shown to the cent). The report shows the pool
    as the waterfall measures it, 70.00, so its row reads pool 70.00, notes 70.00, OC 0.00
    (it read pool 69.99, notes 70.00, OC 0.00). 2. Collected ⌊2,000.1 + 0.6⌋ = 2,000; E =
    49.993, PA = ⌊7,000 − 4,999.3⌋ = 2,000: notes 50.00, pool shown 50.00, OC 0 (was
    −0.007). A real shortfall stays: 3. defaults of 10 in the legal final period leave B
    written down, and before that nothing is hidden (a pool 10 below the notes shows
    −10.00)."""
    pool = pd.DataFrame({"path": 0, "period": [1, 2, 3],
                         "pool_balance_begin": [100.0, 69.994, 49.993],
                         "interest": 0.0, "principal": [30.006, 20.001, 39.993],
                         "recoveries": 0.0, "defaults": [0.0, 0.0, 10.0]})
    pool["pool_balance_end"] = pool.pool_balance_begin - pool.principal - pool.defaults
    deal = {"notes": [{"name": "A", "balance": 60, "coupon": 0.0},
                      {"name": "B", "balance": 40, "coupon": 0.0}]}
    notes = run_waterfall(deal, pool)
    rep = build_deal_report({"notes": notes, "pool": pool}, path=0, deal=deal)
    t = rep.table
    owed = t["note.A.balance"] + t["note.B.balance"]
    assert owed.tolist()[:2] == pytest.approx([70.0, 50.0], abs=1e-9)
    assert (pool["pool_balance_end"].to_numpy() - owed.to_numpy()).tolist()[:2] == \
        pytest.approx([-0.006, -0.007])
    assert t["pool.balance_end"].tolist()[:2] == [70.0, 50.0]  # as the notes were paid down
    assert t["pool.balance_begin"].tolist()[1:] == [70.0, 50.0]  # the next period's start
    assert t["deal.oc"].tolist()[:2] == [0.0, 0.0]
    assert t["deal.oc_required"].tolist()[:2] == [0.0, 0.0]
    for key, cents in (("pool.balance_end", [7000, 5000]), ("note.A.balance", [3000, 1000]),
                       ("note.B.balance", [4000, 4000]), ("deal.oc", [0, 0])):
        assert [c[:2] for c in shown_cents(rep, key)] == [cents, cents], key
    # the same notes against a pool 10 below them: the whole shortfall, to the cent
    short = pool.assign(pool_balance_end=pool["pool_balance_end"] - 10.0)
    t = build_deal_report({"notes": notes, "pool": short}, path=0, deal=deal).table
    assert t["deal.oc"].tolist()[:2] == [-10.0, -10.0]


def pool_and_notes(pool_end: list[float], notes_end: list[tuple[float, float]]
                   ) -> dict[str, pd.DataFrame]:
    """A one-path run's ``pool`` and ``notes`` tables made by hand: the pool ends period t at
    ``pool_end[t]`` (it may hold fractions of a cent; each period starts where the one before
    ended, period 1 at its own end) and notes A and B end it at ``notes_end[t]`` (whole
    cents)."""
    periods = np.arange(1, len(pool_end) + 1)
    pool = pd.DataFrame({"path": 0, "period": periods,
                         "pool_balance_begin": [pool_end[0], *pool_end[:-1]],
                         "pool_balance_end": pool_end})
    notes = []
    for k, name in enumerate("AB"):
        ends = [float(b[k]) for b in notes_end]
        notes.append(pd.DataFrame({"path": 0, "period": periods, "note": name,
                                   "balance_begin": [ends[0], *ends[:-1]],
                                   "balance_end": ends}))
    return {"pool": pool, "notes": pd.concat(notes, ignore_index=True)}


def shown_cents(rep: DealReport, key: str) -> tuple[list[int], list[int]]:
    """A column of the report in cents as a reader sees it: on screen (`fmt_value`, as the
    command and the dashboard print it) and in the files (`export_table`, what the CSV and
    the workbook hold)."""
    kind = rep.labels[key][1]
    screen = [int(Decimal(fmt_value(v, kind).replace(",", "")) * 100) for v in rep.table[key]]
    files = np.round(export_table(rep)[header(rep, key)].to_numpy(float) * 100)
    return screen, files.astype(np.int64).tolist()


def test_the_rows_add_up_as_shown_hand_worked(tmp_path):
    """Period 1: a pool of 1,000.004 behind notes A 700.00 and B 200.00: the notes are paid
    down to the pool rounded up to the cent, so the pool is shown as 1,000.01 and the OC as
    100.01 (shown to the nearest cent the pool read 1,000.00 beside an OC of 100.01).
    Period 2: 69.994 behind A 60.00 and B 10.00: pool 70.00, OC 0.00 (it read 69.99 beside
    notes of 70.00 and an OC of 0.00). On screen, in the CSV and in the workbook alike; the
    run's own pool table keeps the fractions."""
    tables = pool_and_notes([1000.004, 69.994], [(700.0, 200.0), (60.0, 10.0)])
    rep = build_deal_report(tables, 0, run_id="hand")
    t = rep.table
    assert t["pool.balance_end"].tolist() == [1000.01, 70.0]
    assert t["pool.balance_begin"].tolist() == [1000.01, 1000.01]
    assert t["deal.oc"].tolist() == [100.01, 0.0]
    assert t["deal.oc_pct"].tolist() == pytest.approx([100.01 / 1000.01, 0.0])
    assert [fmt_value(v, "money") for v in t["pool.balance_end"]] == ["1,000.01", "70.00"]
    assert [fmt_value(v, "money") for v in t["deal.oc"]] == ["100.01", "0.00"]
    assert tables["pool"]["pool_balance_end"].tolist() == [1000.004, 69.994]
    csv = pd.read_csv(write_csv(rep, tmp_path / "r.csv"), index_col="period")
    sheet = openpyxl.load_workbook(write_xlsx(rep, tmp_path / "r.xlsx"))["report"]
    names = [c.value for c in sheet[1]]
    for key, shown in (("pool.balance_end", [1000.01, 70.0]), ("note.A.balance", [700.0, 60.0]),
                       ("note.B.balance", [200.0, 10.0]), ("deal.oc", [100.01, 0.0])):
        assert csv[header(rep, key)].tolist() == shown, key
        col = names.index(header(rep, key)) + 1
        assert [sheet.cell(row=r, column=col).value for r in (2, 3)] == shown, key
    about = pd.read_excel(tmp_path / "r.xlsx", sheet_name="about")
    rounding = about.set_index("name").loc["rounding", "value"]
    assert "balances (start and end) are rounded up to the cent" in rounding


POOLS = st.one_of(st.integers(0, 10**13).map(lambda p: p / 10_000),  # fractions of a cent
                  st.floats(0.0, 1e9, allow_nan=False))
NOTES = st.integers(0, 10**11).map(lambda c: c / 100)  # whole cents


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(POOLS, NOTES, NOTES), min_size=1, max_size=4))
def test_the_shown_pool_less_the_shown_notes_is_the_shown_oc(rows):
    """For any pool (fractions of a cent) and notes (whole cents): in every row, pool
    balance, end − the notes' balances = OC, to the cent, as shown on screen and in the
    files; and the OC is the one definition (`oc_after_period`)."""
    from sim.abs.steps import oc_after_period

    pool_end = [p for p, _, _ in rows]
    tables = pool_and_notes(pool_end, [(a, b) for _, a, b in rows])
    rep = build_deal_report(tables, 0)
    n = len(rep.table)
    pool, oc = shown_cents(rep, "pool.balance_end"), shown_cents(rep, "deal.oc")
    notes = [shown_cents(rep, f"note.{k}.balance") for k in "AB"]
    for view in (0, 1):  # the screen, the files
        for t in range(n):
            assert pool[view][t] - notes[0][view][t] - notes[1][view][t] == oc[view][t]
    expected = oc_after_period(pool_end[:n], [a + b for _, a, b in rows[:n]])
    assert rep.table["deal.oc"].tolist() == expected.tolist()


def test_without_the_deals_terms_the_required_oc_is_left_out_with_a_note():
    rep = build_deal_report({"notes": run_waterfall(OC_DEAL, OC_POOL), "pool": OC_POOL}, 0)
    assert "deal.oc" in rep.table and "deal.oc_required" not in rep.table
    assert "OC required: the run's deal terms are not given" in rep.missing


@pytest.mark.parametrize("name", ["deal_run", "swap_run"])
def test_the_exported_oc_ties_to_the_pool_less_the_notes_to_the_cent(name, request):
    """OC = pool balance at the end, rounded up to the cent (the pool holds fractions of a
    cent; the notes are paid down to it rounded up), − Σ notes' balances at the end, to the
    cent in the exported report; OC share = OC / pool balance at the end; the required OC of
    these deals (no target; notes the whole pool) is the OC at closing, 0, which the OC is
    whenever the period could pay its principal amount."""
    run = request.getfixturevalue(name)
    deal = run.manifest["config"]["deal"]
    for path in (0, 1):
        rep = build_deal_report(run.tables, path, deal=deal)
        exported = export_table(rep)

        def cents(key, rep=rep, exported=exported):
            return np.round(exported[header(rep, key)].to_numpy(float) * 100).astype(np.int64)

        owed = sum(cents(f"note.{n}.balance") for n in rep.notes)
        pool = np.ceil(run.tables["pool"].query("path == @path")["pool_balance_end"]
                       .to_numpy(float)[: len(exported)] * 100 - 1e-6)
        assert (cents("pool.balance_end") == pool).all(), (name, path)  # shown rounded up
        assert (cents("deal.oc") == pool - owed).all(), (name, path)
        assert (cents("deal.oc") >= 0).all(), (name, path)  # no -0.01 for the notes' rounding
        t = rep.table
        live = t["pool.balance_end"] > 0
        np.testing.assert_allclose(t.loc[live, "deal.oc_pct"],
                                   t.loc[live, "deal.oc"] / t.loc[live, "pool.balance_end"],
                                   rtol=1e-12)
        assert t.loc[~live, "deal.oc_pct"].isna().all()
        assert (t["deal.oc_required"] == 0.0).all()
