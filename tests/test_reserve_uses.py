"""Tests of sim.reserve_uses: what the reserve paid for, in the deal report and its exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.abs import Deal, result_to_frame, steps_to_frame, waterfall_arrays
from sim.deal_report import build_deal_report, export_table, write_csv
from sim.reserve_uses import reserve_columns, use_label
from tests.test_waterfall_reserve import HAND_DEAL, HAND_PATH

pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")


def hand_tables(log: bool = True) -> dict[str, pd.DataFrame]:
    """The run tables of the hand-worked deal of tests/test_waterfall_reserve.py: period 1's
    3.50 of collections leave A's interest 1.50 short and B's 2.00, which the reserve pays."""
    result = waterfall_arrays(Deal.model_validate(HAND_DEAL),
                              {k: [v] for k, v in HAND_PATH.items()})
    pool = pd.DataFrame({"path": 0, "period": [1, 2], **HAND_PATH})
    pool["pool_balance_end"] = pool["pool_balance_begin"] - pool["principal"]
    tables = {"notes": result_to_frame(result), "pool": pool}
    if log:
        tables["waterfall"] = steps_to_frame(result)
    return tables


def test_use_labels_name_the_item_and_its_note():
    assert use_label("pay_interest:A") == "reserve for A interest"
    assert use_label("clear_pdl:B") == "reserve for B PDL credit"
    assert use_label("pay_fees") == "reserve for senior fees"
    assert use_label("pay_principal") == "reserve for principal"


def test_the_deal_report_itemises_the_reserve_to_the_cent():
    rep = build_deal_report(hand_tables(), path=0)
    assert rep.groups()["reserve"] == [
        "reserve.pay_fees", "reserve.pay_interest:A", "reserve.pay_interest:B",
        "reserve.pay_principal", "reserve.used", "reserve.topped_up"]
    t = rep.table
    assert t["reserve.pay_interest:A"].tolist() == [1.50, 0.0]
    assert t["reserve.pay_interest:B"].tolist() == [2.00, 0.0]
    assert t["reserve.used"].tolist() == [3.50, 0.0]
    # 20.00 brought forward - 3.50 used + 0.00 = 16.50; then 16.50 - 0 + 3.00 = 19.50
    assert t["reserve.topped_up"].tolist() == [0.0, 3.00]
    assert t["deal.reserve"].tolist() == [16.50, 19.50]
    assert not any("reserve" in m for m in rep.missing)


def test_the_reserve_reconciles_every_period_in_cents():
    t = build_deal_report(hand_tables(), path=0).table
    cents = (t * 100).round().astype("int64")
    uses = [c for c in t if c.startswith("reserve.") and c not in ("reserve.used",
                                                                  "reserve.topped_up")]
    assert (cents[uses].sum(axis=1) == cents["reserve.used"]).all()
    assert (cents["deal.reserve_draw"] - cents["reserve.used"] + cents["reserve.topped_up"]
            == cents["deal.reserve"]).all()


def test_the_exports_carry_the_reserve_columns(tmp_path):
    rep = build_deal_report(hand_tables(), path=0)
    back = pd.read_csv(write_csv(rep, tmp_path / "r.csv"), index_col="period")
    assert back["reserve for A interest (currency units)"].tolist() == [1.5, 0.0]
    assert "reserve used, in all (currency units)" in export_table(rep).columns


def test_a_run_recorded_before_says_it_does_not_record_the_reserve_uses():
    rep = build_deal_report(hand_tables(log=False), path=0)
    assert "reserve" not in rep.groups()
    assert any("what the reserve paid for" in m for m in rep.missing)
    assert reserve_columns(pd.DataFrame({"reserve_draw": [1.0]})) == ({}, {})


def test_the_waterfall_log_carries_what_the_reserve_paid_for():
    result = waterfall_arrays(Deal.model_validate(HAND_DEAL),
                              {k: [v] for k, v in HAND_PATH.items()})
    log = steps_to_frame(result)
    for k, v in result.reserve.items():
        assert np.array_equal(log[k].to_numpy(), v.reshape(-1))


def test_the_dashboard_shows_the_reserve_group():
    from dashboard.aggregate.abs import report_table

    rep = build_deal_report(hand_tables(), path=0)
    columns, rows = report_table(rep, "reserve")
    assert [c["name"] for c in columns][1:3] == ["reserve for senior fees",
                                                 "reserve for A interest"]
    assert rows[0]["reserve.pay_interest:A"] == "1.50"
