"""The originator's retained notes (``deal.retained``) and its return on what it keeps."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pydantic import ValidationError

from sim.abs import Deal, irr_annual, note_metrics, run_waterfall, tranche_summary, waterfall_arrays
from sim.abs.retention import (
    originator_cashflows,
    originator_line,
    retained_shares,
    retained_text,
)
from sim.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]

# A 80 and B 20 at 0 % on a pool of 100, a reserve of 2 funded at closing (2 % of the
# notes, kept at 2), 2 of interest and 50 of principal a period, the deal ending in period
# 2. Period 1: A is paid 50, the residual is the 2 of interest. Period 2: A 30 and B 20, the
# residual is the 2 of interest and the reserve's 2, released as the deal ends.
TWO_PERIODS = {"notes": [{"name": "A", "balance": 80, "coupon": 0.0},
                         {"name": "B", "balance": 20, "coupon": 0.0}],
               "reserve": {"initial_pct": 0.02, "target_pct": 0.02},
               "legal_final_period": 2}
COLLECTIONS = pd.DataFrame({"period": [1, 2], "pool_balance_begin": [100.0, 50.0],
                            "interest": [2.0, 2.0], "principal": [50.0, 50.0],
                            "recoveries": 0.0, "defaults": 0.0})


def _annual(outlay: float, first: float, second: float) -> float:
    """The annual IRR of -outlay, first, second by hand: the positive root v of
    second v^2 + first v - outlay = 0, and (1 / v)^12 - 1."""
    v = (-first + math.sqrt(first**2 + 4 * second * outlay)) / (2 * second)
    return v**-12 - 1


@pytest.mark.parametrize(("retained", "flows"), [
    (None, (20 + 2, 0 + 2, 20 + 4)),  # B whole: its 20 and the reserve's 2 at closing
    ({"B": 1.0}, (20 + 2, 0 + 2, 20 + 4)),
    ({}, (2, 2, 4)),  # the residual alone: the reserve at closing
    ({"A": 0.05, "B": 0.05}, (5 + 2, 2.5 + 2, 2.5 + 4)),  # 5 % of both notes: 5 of 100
    ({"A": 1.0}, (80 + 2, 50 + 2, 30 + 4)),  # the senior note whole, the junior sold
], ids=["default", "B whole", "residual alone", "vertical 5 %", "A whole"])
def test_the_originators_return_by_hand(retained, flows):
    for result in (waterfall_arrays(TWO_PERIODS, COLLECTIONS),
                   run_waterfall(TWO_PERIODS, COLLECTIONS)):
        m = note_metrics(result, retained).set_index("note")
        assert m.loc["B", "residual_paid"] == pytest.approx(6.0)  # 2, then 2 and the reserve
        assert m.loc["B", "reserve_funded"] == pytest.approx(2.0)
        assert m.loc["B", "holder_irr_annual"] == pytest.approx(_annual(*flows), rel=1e-9)
        assert np.isnan(m.loc["A", "holder_irr_annual"])
        kept = retained_shares(["A", "B"], retained)
        assert m["retained"].tolist() == list(kept)


def test_the_default_is_todays_figure_exactly():
    """The most junior note whole, as the originator's return was computed before the key:
    its investor flows, plus the residual less the call's top-up, less the reserve and the
    OC at closing; bit for bit, on paths that lose and paths that do not."""
    deal = {"notes": [{"name": "A", "balance": 80, "coupon": 0.03},
                      {"name": "B", "balance": 20, "coupon": 0.08}],
            "reserve": {"initial_pct": 0.02, "target_pct": 0.02}}
    coll = {"pool_balance_begin": [[100, 50, 0], [100, 50, 0]],
            "interest": [[1.3, 1.1, 0], [1.7, 1.2, 0]],
            "principal": [[50, 50, 0], [50, 20, 0]], "recoveries": [[0, 0, 0], [0, 0, 0]],
            "defaults": [[0, 0, 0], [0, 30, 0]]}
    result = waterfall_arrays(deal, coll)
    junior = np.concatenate([-result.notes["balance_begin"][:, :1, -1],
                             result.notes["interest_paid"][:, :, -1]
                             + result.notes["principal_paid"][:, :, -1]], axis=1)
    junior[:, 1:] += result.deal["residual"] - result.deal["call_top_up"]
    junior[:, 0] -= result.steps["reserve_draw"][:, 0] + result.closing_oc
    before = irr_annual(junior)
    for retained in (None, {"B": 1.0}, {"A": 0.0, "B": 1.0}):
        m = note_metrics(result, retained)
        assert (m.loc[m.note == "B", "holder_irr_annual"].to_numpy() == before).all()
    assert before[1] < 0 < before[0]  # path 1 loses 30 of 100: the junior's 20 and more


def test_a_summary_stored_before_the_key_reads_as_the_default():
    m = note_metrics(waterfall_arrays(TWO_PERIODS, COLLECTIONS))
    old = tranche_summary(m.drop(columns=["retained"]))
    assert old["retained"].tolist() == [0.0, 1.0]
    assert originator_line(old) == originator_line(tranche_summary(m))


@settings(max_examples=60, deadline=None)
@given(share=st.floats(0.0, 1.0),
       interest=hnp.arrays(float, 3, elements=st.floats(0.0, 5.0)),
       defaults=hnp.arrays(float, 3, elements=st.floats(0.0, 30.0)))
def test_a_vertical_slice_scales_the_notes_and_keeps_the_residual(share, interest, defaults):
    """Keeping share s of every note and the residual: the originator's flows are s times
    the notes' flows added up (what a holder of every note whole gets) plus the residual's
    (less the reserve funded at closing), whatever the pool does; s = 0 is the residual
    alone and each note's flows are its investor's."""
    deal = {**TWO_PERIODS, "legal_final_period": 3,
            "notes": [{"name": "A", "balance": 60, "coupon": 0.04},
                      {"name": "M", "balance": 25, "coupon": 0.06},
                      {"name": "B", "balance": 15, "coupon": 0.0}]}
    coll = pd.DataFrame({"period": [1, 2, 3], "pool_balance_begin": [100.0, 60.0, 30.0],
                         "interest": interest, "principal": [40.0, 30.0, 30.0],
                         "recoveries": 0.0, "defaults": np.minimum(defaults, 30.0)})
    frame = run_waterfall(deal, coll)
    wide = frame.pivot(index="period", columns="note")
    notes = ["A", "M", "B"]
    investor = np.stack([np.r_[-wide["balance_begin"][n].iloc[0],
                               (wide["interest_paid"] + wide["principal_paid"])[n]]
                         for n in notes])[None]  # (1 path, notes, periods + 1)
    deal_rows = frame[frame.note == "A"]
    residual = deal_rows["residual"].to_numpy()[None]
    top_up = deal_rows["call_top_up"].to_numpy()[None]
    funded = deal_rows["reserve_draw"].to_numpy()[:1] + deal_rows["closing_oc"].to_numpy()[:1]
    flows = originator_cashflows(investor, [share] * 3, residual, top_up, funded)
    alone = originator_cashflows(investor, [0.0] * 3, residual, top_up, funded)
    assert alone[0].tolist() == [-funded[0], *(residual - top_up)[0]]
    np.testing.assert_allclose(flows - alone, share * investor.sum(axis=1), atol=1e-9)
    m = note_metrics(frame, dict.fromkeys(notes, share))
    got = m.loc[m.note == "B", "holder_irr_annual"].item()
    want = irr_annual(flows)[0]
    assert (np.isnan(got) and np.isnan(want)) or got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("retained", "message"), [
    ({"C": 1.0}, "retained names note(s) ['C'] that the deal does not issue; its notes are "
                 "['A', 'B']"),
    ({"A": 1.5}, "retained.A = 1.5: the share of note 'A' the originator keeps must be a "
                 "number from 0 to 1"),
    ({"A": -0.1}, "retained.A = -0.1"),
    ({"A": True}, "retained.A = True"),
])
def test_a_bad_retained_key_names_what_is_wrong(retained, message):
    with pytest.raises(ValueError, match="retained") as err:
        note_metrics(waterfall_arrays(TWO_PERIODS, COLLECTIONS), retained)
    assert message in str(err.value)


@pytest.mark.parametrize(("retained", "message"), [
    ({"C": 1.0}, "retained names note(s) ['C'] that the deal does not issue"),
    ({"A": 1.5}, "retained.A"),
    ({"A": -0.5}, "retained.A"),
    ({"A": "all"}, "retained.A"),
])
def test_a_deal_with_a_bad_retained_key_fails_on_load(retained, message):
    with pytest.raises(ValidationError) as err:
        Deal.model_validate({**TWO_PERIODS, "retained": retained})
    assert message in str(err.value)


def test_a_config_file_with_an_unknown_retained_note_names_the_key_and_the_notes(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"base": str(ROOT / "configs" / "baseline.yaml"),
                                      "deal": {"retained": {"junior": 1.0}}}))
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert str(err.value).splitlines()[1:] == [
        "  deal: retained names note(s) ['junior'] that the deal does not issue; its notes are "
        "['senior', 'mezzanine', 'subordinated']: give the share kept (0 to 1) of any of them"]


def test_the_deal_keeps_its_retained_notes():
    deal = Deal.model_validate({**TWO_PERIODS, "retained": {"A": 0.05, "B": 0.05}})
    assert deal.retained == {"A": 0.05, "B": 0.05}
    assert Deal.model_validate(TWO_PERIODS).retained is None
    assert retained_shares(["A", "B"], None) == (0.0, 1.0)
    assert retained_shares(["A", "B", "C"], {"B": 0.5}) == (0.0, 0.5, 0.0)


@pytest.mark.parametrize(("shares", "words"), [
    ((0.0, 0.0, 1.0), "C whole and the residual"),
    ((0.05, 0.05, 0.05), "5 % of every note (A, B, C) and the residual"),
    ((0.0, 0.0, 0.0), "the residual and no note"),
    ((0.0, 1.0, 1.0), "B whole, C whole and the residual"),
    ((0.05, 0.05, 1.0), "A 5 %, B 5 %, C whole and the residual"),
    ((1.0, 1.0, 1.0), "A whole, B whole, C whole and the residual"),
])
def test_what_the_originator_keeps_in_words(shares, words):
    assert retained_text(["A", "B", "C"], shares) == words


def test_the_line_says_what_the_originator_keeps():
    result = waterfall_arrays(TWO_PERIODS, COLLECTIONS)
    line = originator_line(tranche_summary(note_metrics(result, {"A": 0.05, "B": 0.05})))
    assert line.startswith("Originator (keeping 5 % of every note (A, B) and the residual, "
                           "per deal.retained, having funded the reserve (2.00) at closing;")
    assert f"IRR {_annual(7, 4.5, 6.5):.2%} on what it keeps" in line
    assert "residual received 6.00 a path" in line
    assert originator_line(tranche_summary(note_metrics(run_waterfall(
        TWO_PERIODS, COLLECTIONS).drop(columns=["reserve_draw"])))) is None


def test_a_share_outside_zero_to_one_in_a_config_file_says_what_is_allowed(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"base": str(ROOT / "configs" / "baseline.yaml"),
                                      "deal": {"retained": {"senior": 1.5}}}))
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert str(err.value).splitlines()[1:] == [
        "  deal.retained.senior = 1.5: Input should be less than or equal to 1; allowed: at "
        "least 0 and at most 1"]
