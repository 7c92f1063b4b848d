"""Recoveries after charge-off: lag curves, channels, costs, debt sale."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.recoveries import Recoveries, recovery_flows
from sim.config import load_config
from sim.engine import simulate_path


@settings(max_examples=60, deadline=None)
@given(totals=st.lists(st.integers(0, 10**9), min_size=1, max_size=24),
       curve=st.lists(st.floats(0, 1), min_size=1, max_size=18).filter(lambda c: sum(c) > 0))
def test_each_cohort_recovers_exactly_its_total(totals, curve):
    totals = np.array(totals, dtype=np.int64)
    horizon = len(totals) + len(curve) + 1
    padded = np.concatenate([totals, np.zeros(horizon - len(totals), dtype=np.int64)])
    flows = [recovery_flows(padded[: m + 1], np.array(curve), m) for m in range(horizon)]
    assert sum(flows) == totals.sum()
    assert min(flows) >= 0


@settings(max_examples=40, deadline=None)
@given(totals=st.lists(st.integers(0, 10**9), min_size=1, max_size=24),
       curve=st.lists(st.floats(0, 1), min_size=1, max_size=18).filter(lambda c: sum(c) > 0))
def test_a_book_s_month_flows_are_its_cohorts_flows(totals, curve):
    """month_flows reads the lag shares it took once; what it adds up is recovery_flows'
    of the cohorts, to the cent, in every month (and past the horizon, up to the legal
    channel's delay)."""
    cfg = load_config({"book": {"horizon_months": len(totals)},
                       "recovery": {"lag_curve": curve}})
    book = Recoveries(cfg.recovery, cfg.collections, len(totals))
    book.totals["internal"][:] = totals
    for m in range(len(totals) + cfg.collections.legal.delay_months):
        want = recovery_flows(book.totals["internal"][: m + 1], np.array(curve), m)
        assert book.month_flows(m)["recoveries_internal"] == want


def test_lag_curve_hand_example():
    # one cohort of 1,000.00 charged off in month 0, curve 20 % / 50 % / 30 %
    totals = np.array([100_000, 0, 0, 0])
    curve = np.array([0.2, 0.5, 0.3])
    got = [recovery_flows(totals[: m + 1], curve, m) for m in range(4)]
    assert got == [20_000, 50_000, 30_000, 0]


def _recoveries(**collections) -> Recoveries:
    cfg = load_config({"book": {"horizon_months": 24},
                       "recovery": {"lag_curve": [0.5, 0.5]},
                       "collections": collections})
    return Recoveries(cfg.recovery, cfg.collections, cfg.book.horizon_months)


def test_legal_case_pays_a_lump_after_the_delay_when_won():
    rec = _recoveries(legal={"success_prob": 0.5, "recovery_share": 0.4, "delay_months": 3})
    balance = np.array([10_000, 20_000])
    total = rec.book(2, balance, np.array([True, True]), np.array([False, False]),
                     np.array([True, True]), u=np.array([0.5, 0.5]),
                     u_legal=np.array([0.1, 0.9]))  # the first case is won, the second lost
    assert total.tolist() == [4_000, 0]
    flows = [rec.month_flows(m)["recoveries_legal"] for m in range(8)]
    assert flows == [0, 0, 0, 0, 0, 4_000, 0, 0]


def test_agency_commission_is_booked_on_agency_recoveries():
    rec = _recoveries()
    rate = rec.collections.channels["agency"].commission
    rec.book(0, np.array([50_000, 70_000]), np.array([True, False]), np.array([True, True]),
             np.array([False, False]), u=np.array([0.6, 0.7]), u_legal=np.array([0.0, 0.0]))
    for m in range(3):
        f = rec.month_flows(m)
        assert f["recovery_commission"] == round(f["recoveries_agency"] * rate)
        assert f["recoveries"] == (f["recoveries_internal"] + f["recoveries_agency"]
                                   + f["recoveries_legal"] + f["debt_sale_proceeds"])


def test_debt_sale_sells_what_is_left_and_ends_recoveries():
    rec = _recoveries(debt_sale={"enabled": True, "months_after_chargeoff": 1, "price": 0.1})
    rec.totals["internal"][0] = 10_000  # will recover 100.00 of a 1,000.00 face
    rec.face["internal"][0] = 100_000
    m0, m1, m2 = (rec.month_flows(m) for m in range(3))
    assert m0["recoveries_internal"] == 5_000  # half the curve before the sale
    assert m1["recoveries_internal"] == 0 and m2["recoveries_internal"] == 0
    assert m1["debt_sale_proceeds"] == round(0.1 * (100_000 - 5_000))


def test_net_recovery_is_gross_less_costs_to_the_cent():
    cfg = load_config({"book": {"initial_borrowers": 1500, "new_borrowers_per_month": 30,
                                "horizon_months": 30},
                       "income": {"essential_share": 0.8}})
    m = simulate_path(cfg, 2, 0).monthly
    assert m["recoveries"].sum() > 0 and m["legal_costs"].sum() > 0
    np.testing.assert_array_equal(
        m["net_recoveries"], m["recoveries"] - m["recovery_commission"] - m["legal_costs"])
    rate = cfg.collections.channels["agency"].commission
    np.testing.assert_array_equal(m["recovery_commission"],
                                  np.rint(m["recoveries_agency"] * rate).astype(np.int64))
    np.testing.assert_array_equal(
        m["legal_costs"], m["legal_cases"] * round(cfg.collections.legal.cost * 100))


@pytest.mark.parametrize("channel", ["internal", "agency", "legal"])
def test_channels_have_their_own_cohorts(channel):
    rec = _recoveries()
    flags = {"agency": channel == "agency", "legal": channel == "legal"}
    rec.book(0, np.array([100_000]), np.array([True]), np.array([flags["agency"]]),
             np.array([flags["legal"]]), u=np.array([0.5]), u_legal=np.array([0.0]))
    for other in ("internal", "agency", "legal"):
        assert (rec.face[other][0] > 0) == (other == channel)
