"""Tests of sim.abs.loss: a note's present-value loss, by hand and by its properties."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.abs import charged_rates, note_metrics, pv_loss, tranche_summary, waterfall_arrays


def bullet_frame(months, coupon, paid_interest, paid_principal, writedown, shortfall,
                 balance=1000.0):
    """A one-note notes table (as `run_waterfall` returns it) for a note of ``balance`` that
    pays no principal before its last month, built by hand."""
    bal_begin = np.full(months, balance)
    bal_end = bal_begin - paid_principal - writedown
    return pd.DataFrame({
        "path": 0, "period": np.arange(1, months + 1), "note": "A",
        "balance_begin": bal_begin, "coupon": coupon, "interest_paid": paid_interest,
        "principal_paid": paid_principal, "writedown": writedown,
        "interest_shortfall": shortfall, "balance_end": bal_end, "active": True,
    })


def test_a_writedown_at_month_24_and_unpaid_interest_by_hand():
    # 1,000 at 6 % (0.5 % a month, 5.00 of interest a month). Months 1-22 paid in full;
    # month 23 pays 2.00 of the 5.00 due (3.00 carried); month 24 pays 400 of principal, no
    # interest (8.00 unpaid), and the rest, 600, is written down: the deal ends there.
    months = 24
    interest = np.r_[np.full(22, 5.0), 2.0, 0.0]
    principal = np.r_[np.zeros(23), 400.0]
    writedown = np.r_[np.zeros(23), 600.0]
    shortfall = np.r_[np.zeros(22), 3.0, 8.0]
    frame = bullet_frame(months, 0.06, interest, principal, writedown, shortfall)
    row = note_metrics(frame).iloc[0]
    # PV at v = 1 / 1.005: 5 × annuity(22) + 2 v^23 + 400 v^24; from tables, a(22) at 0.5 %
    # = 20.7841, v^23 = 0.89162, v^24 = 0.88719: 103.92 + 1.78 + 354.88 = 460.58, so the PV
    # loss is 53.94 % against a nominal 60 %: the unpaid 8.00 of interest adds to it, the
    # writedown's two-year wait takes more off.
    v = 1 / 1.005
    annuity = (1 - v**22) / 0.005
    pv = 5 * annuity + 2 * v**23 + 400 * v**24
    assert pv == pytest.approx(5 * 20.7841 + 2 * 0.89162 + 400 * 0.88719, abs=5e-3)
    assert row["pv_loss_pct"] == pytest.approx(1 - pv / 1000, rel=1e-12)
    assert row["pv_loss_pct"] == pytest.approx(0.5394, abs=1e-4)
    assert row["loss_pct"] == pytest.approx(0.6)  # nominal: 600 of 1,000
    assert row["interest_unpaid"] == 8.0 and row["any_loss"]


@pytest.mark.parametrize("coupon", [0.0, 0.031, 0.06, 0.15])
def test_a_fixed_note_repaid_in_full_through_the_waterfall_loses_nothing(coupon):
    # A 1,000.37 note amortising with its pool over 30 months; the pool's interest, 20 a
    # month, pays every cent of the note's.
    months = 30
    deal = {"notes": [{"name": "A", "balance": 1000.37, "coupon": coupon}]}
    coll = {"pool_balance_begin": 1000.37 * (1 - np.arange(months) / months),
            "interest": np.full(months, 20.0),
            "principal": np.full(months, 1000.37 / months), "recoveries": np.zeros(months),
            "defaults": np.zeros(months)}
    res = waterfall_arrays(deal, coll)
    row = note_metrics(res).iloc[0]
    assert row["writedown"] == 0.0 and row["interest_unpaid"] == 0.0
    assert row["pv_loss_pct"] == 0.0 and not row["any_loss"]
    # unclipped, to float rounding; at coupon / 12 the cents rounding keeps would show
    assert np.abs(raw_pv_loss(res)).max() < 1e-14


def test_a_floating_note_repaid_in_full_loses_nothing_at_its_period_coupons():
    rng = np.random.default_rng(3)
    months, paths = 36, 5
    deal = {"notes": [{"name": "A", "rate_type": "floating", "balance": 777.77,
                       "margin": 0.013}]}
    base = rng.uniform(-0.02, 0.08, (paths, months))  # negative base rates: coupon floored
    coll = {"pool_balance_begin": np.tile(777.77 * (1 - np.arange(months) / months),
                                          (paths, 1)),
            "interest": np.full((paths, months), 15.0),
            "principal": np.full((paths, months), 777.77 / months),
            "recoveries": np.zeros((paths, months)), "defaults": np.zeros((paths, months)),
            "base_rate": base}
    res = waterfall_arrays(deal, coll)
    m = note_metrics(res)
    assert (m["writedown"] == 0).all() and (m["pv_loss_pct"] == 0.0).all()
    # and unclipped: the present value is the original balance to float rounding
    assert np.abs(raw_pv_loss(res)).max() < 1e-14


def raw_pv_loss(res, coupon_only=False):
    """The first note's PV loss per path, unclipped, at the charged rates (or at c / 12)."""
    n = res.notes
    received = (n["interest_paid"] + n["principal_paid"])[:, :, 0]
    rates = (n["coupon"] / 12 if coupon_only
             else charged_rates(n["coupon"], n["balance_begin"]))[:, :, 0]
    return pv_loss(received, rates, n["balance_begin"][:, 0, 0])


def test_discounting_at_the_coupon_itself_would_count_the_rounded_cents():
    months = 30
    deal = {"notes": [{"name": "A", "balance": 1000.37, "coupon": 0.031}]}
    coll = {"pool_balance_begin": 1000.37 * (1 - np.arange(months) / months),
            "interest": np.full(months, 20.0),
            "principal": np.full(months, 1000.37 / months), "recoveries": np.zeros(months),
            "defaults": np.zeros(months)}
    res = waterfall_arrays(deal, coll)
    cents_kept = (res.notes["coupon"] / 12 * res.notes["balance_begin"]
                  - res.notes["interest_due"]).sum()
    assert 0.05 < cents_kept < 0.30  # under a cent a month
    assert raw_pv_loss(res, coupon_only=True)[0] == pytest.approx(cents_kept / 1000.37,
                                                                  rel=0.05)


def test_the_charged_rate_is_the_accrual_rounded_down_to_the_cent():
    # 1,234.56 at 5 % a year: 5.144 a month, charged 5.14
    got = charged_rates(np.array([0.05, 0.05]), np.array([1234.56, 0.0]))
    assert got[0] == pytest.approx(5.14 / 1234.56, rel=1e-15)
    assert got[1] == pytest.approx(0.05 / 12)  # nothing outstanding: the coupon


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="one shape"):
        pv_loss(np.zeros(3), np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="one shape"):
        charged_rates(np.zeros(3), np.zeros(2))


schedules = st.lists(st.integers(0, 10_000), min_size=1, max_size=48)


@settings(max_examples=80, deadline=None)
@given(schedules, st.integers(1, 48))
def test_at_a_zero_rate_the_pv_loss_is_the_nominal_loss(paid_cents, last):
    # with nothing to discount, the PV loss is what was never received: the writedown
    paid = np.asarray(paid_cents[:last], dtype=float) / 100.0
    original = 1_000.0
    paid = paid * min(1.0, original / max(paid.sum(), 1e-9))
    loss = pv_loss(paid, np.zeros_like(paid), original)
    assert loss == pytest.approx((original - paid.sum()) / original, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 60), st.floats(0.0, 0.3), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_pv_loss_rises_with_the_writedown_and_falls_the_later_it_comes(months, coupon, a, b):
    # a note paid its coupon in full every month, then at month `at` repaid less a writedown
    rate = np.full(months, coupon / 12)

    def loss(written, at):
        cash = np.full(months, 100.0 * coupon / 12)
        cash[at:] = 0.0
        cash[at - 1] += 100.0 - written
        return float(pv_loss(cash, rate, 100.0))

    small, large = sorted((a * 100, b * 100))
    assert loss(small, months) <= loss(large, months) + 1e-12
    # the same writedown a month earlier costs at least as much ...
    assert loss(large, months - 1) >= loss(large, months) - 1e-12
    # ... and at most its nominal share: a writedown at month t costs W v^t / 100
    v = 1 / (1 + coupon / 12)
    assert loss(large, months) == pytest.approx(large * v**months / 100, abs=1e-12)
    assert loss(large, months) <= large / 100 + 1e-12


def test_the_rating_reads_the_pv_loss_and_keeps_the_principal_loss_beside_it():
    # 100 paths: 90 lose nothing; 10 have a writedown of 20 % whose PV loss is 10 %
    n = 100
    hit = np.arange(n) >= 90
    metrics = pd.DataFrame({"path": np.arange(n), "note": "B",
                            "loss_pct": np.where(hit, 0.2, 0.0),
                            "pv_loss_pct": np.where(hit, 0.1, 0.0), "any_loss": hit,
                            "wal_years": 3.0, "irr_annual": 0.05})
    s = tranche_summary(metrics).iloc[0]
    assert s["expected_loss"] == pytest.approx(0.01)
    assert s["principal_loss"] == pytest.approx(0.02)
    assert s["loss_p99"] == pytest.approx(0.1) and s["el_measure"] == "pv"
    from sim.abs.ratings import rating_assessment

    r = rating_assessment(metrics["pv_loss_pct"], hit, 3.0)
    assert (s["implied_rating"], s["el_low"], s["el_high"]) == (r.rating, r.el_low, r.el_high)
    # a run stored without the PV loss is rated on its principal loss, and says so
    old = tranche_summary(metrics.drop(columns="pv_loss_pct")).iloc[0]
    assert old["expected_loss"] == pytest.approx(0.02) and old["el_measure"] == "principal"


def test_a_deal_running_at_the_horizon_carries_its_shortfall_like_its_balance():
    """A run cut at month 12 of a note still owed 600 with 3.00 of interest carried: both
    are owed after the horizon, so neither is lost (the run cannot tell); the same shortfall
    on a note written down to 0 at month 12 is lost."""
    months = 12
    interest = np.r_[np.full(11, 5.0), 2.0]
    principal = np.r_[np.zeros(11), 400.0]
    shortfall = np.r_[np.zeros(11), 3.0]
    running = note_metrics(bullet_frame(months, 0.06, interest, principal, np.zeros(months),
                                        shortfall)).iloc[0]
    v = 1 / 1.005
    pv = 5 * (1 - v**11) / 0.005 + 2 * v**12 + 400 * v**12 + (600 + 3) * v**12
    assert running["pv_loss_pct"] == 0.0  # every cent owed is paid or still owed
    assert pv == pytest.approx(1000, abs=1e-9)
    assert running["interest_unpaid"] == 3.0 and not running["any_loss"]
    ended = note_metrics(bullet_frame(months, 0.06, interest, principal,
                                      np.r_[np.zeros(11), 600.0], shortfall)).iloc[0]
    assert ended["any_loss"]
    assert ended["pv_loss_pct"] == pytest.approx(1 - (pv - 603 * v**12) / 1000, rel=1e-12)
