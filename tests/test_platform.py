"""The platform's rules: credit lines, freezes, billing, due dates, charge-off, recoveries."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_engine import small_config
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.borrowers import BorrowerPool, BorrowerRules
from sim.agents.platform import Platform, recovery_flows
from sim.agents.recoveries import Recoveries

RNG = np.random.default_rng


def make(overrides: dict | None = None, capacity: int = 4) -> tuple[Platform, BorrowerPool]:
    config = small_config(overrides)
    pool = BorrowerPool(BorrowerRules.of(config), capacity, RNG(0))
    recoveries = Recoveries(config.recovery, config.collections, config.book.horizon_months)
    return Platform(config.credit_line, config.billing, config.repayment, recoveries,
                    capacity), pool


def cents(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


# -- initial limits -------------------------------------------------------------------------------
def test_initial_limit_from_income_and_score():
    """limit = income x income_multiple x max(1 + 0.005 (score - 700), 0.2), rounded down
    to whole hundreds and clipped to [500, 50000]."""
    incomes = [6000.0, 6000.0, 6000.0, 6000.0, 100.0, 90_000.0, 6123.45]
    scores = [700.0, 750.0, 640.0, 300.0, 700.0, 800.0, 700.0]
    platform, pool = make(capacity=len(incomes) + 1)
    pool.permanent_income[:-1] = incomes
    pool.score[:-1] = scores
    platform.onboard(0, len(incomes), 3, pool)
    assert (platform.limit[:-1] // 100).tolist() == [6000, 7500, 4200, 1200, 500, 50_000, 6100]
    assert platform.active.tolist() == [True] * len(incomes) + [False]
    assert platform.onboard_month.tolist() == [3] * len(incomes) + [-1]
    assert platform.limit[-1] == 0


def test_income_multiple_scales_the_initial_limit():
    platform, pool = make({"credit_line": {"income_multiple": 2.5}}, capacity=1)
    pool.permanent_income[:] = 4000.0
    pool.score[:] = 700.0
    platform.onboard(0, 1, 0, pool)
    assert platform.limit.tolist() == [10_000 * 100]


def test_no_initial_limit_below_min_limit():
    platform, pool = make({"credit_line": {"min_limit": 250}}, capacity=1)
    pool.permanent_income[:] = 100.0
    pool.score[:] = 700.0
    platform.onboard(0, 1, 0, pool)
    assert platform.limit[0] >= 250 * 100


def test_bounds_that_are_not_whole_hundreds_are_granted_exactly():
    platform, pool = make({"credit_line": {"min_limit": 250, "max_limit": 7050}}, capacity=3)
    pool.permanent_income[:] = [100.0, 5000.0, 90_000.0]
    pool.score[:] = 700.0
    platform.onboard(0, 3, 0, pool)
    assert platform.limit.tolist() == [25_000, 500_000, 705_000]


# -- limit increases and cuts ---------------------------------------------------------------------
def review(platform: Platform, pool: BorrowerPool, on_time: list[bool], missed: list[bool],
           score_before: list[float] | None = None) -> tuple[int, int]:
    n = len(on_time)
    before = pool.score[:n].copy() if score_before is None else np.array(score_before)
    return platform.review_limits(n, pool, np.array(on_time), np.array(missed), before)


def test_limit_rises_after_each_run_of_on_time_months_up_to_the_income_cap():
    platform, pool = make({"credit_line": {"increase_after_months": 3, "increase_pct": 0.2,
                                           "max_income_multiple": 3.0}}, capacity=1)
    pool.permanent_income[:] = 6000.0
    pool.score[:] = 700.0
    platform.onboard(0, 1, 0, pool)
    limits, increases = [], 0
    for _ in range(24):
        ups, _ = review(platform, pool, [True], [False])
        increases += ups
        limits.append(int(platform.limit[0]) // 100)
    # +20 % every third month, rounded down to hundreds, never above 3 x 6000
    steps = [7200, 8600, 10_300, 12_300, 14_700, 17_600, 18_000, 18_000]
    assert limits == [x for s0 in zip([6000] + steps[:-1], steps, strict=True)
                      for x in (s0[0], s0[0], s0[1])]
    assert increases >= 7


def test_only_limits_that_actually_rise_count_as_increases():
    platform, pool = make({"credit_line": {"increase_after_months": 1}}, capacity=1)
    pool.permanent_income[:] = 6000.0
    pool.score[:] = 700.0
    platform.onboard(0, 1, 0, pool)
    platform.limit[:] = 1_800_000  # 3 months of income: the cap
    assert review(platform, pool, [True], [False]) == (0, 0)
    assert platform.limit.tolist() == [1_800_000]


def test_a_missed_month_restarts_the_on_time_count():
    platform, pool = make({"credit_line": {"increase_after_months": 3}}, capacity=1)
    pool.permanent_income[:] = 6000.0
    pool.score[:] = 700.0
    platform.onboard(0, 1, 0, pool)
    history = [(True, False), (True, False), (False, True), (True, False), (True, False)]
    for on_time, missed in history:
        assert review(platform, pool, [on_time], [missed]) == (0, 0)
    assert review(platform, pool, [True], [False]) == (1, 0)


def test_limit_never_exceeds_max_limit():
    platform, pool = make({"credit_line": {"increase_after_months": 1, "max_limit": 7000,
                                           "increase_pct": 0.5}}, capacity=1)
    pool.permanent_income[:] = 6000.0
    pool.score[:] = 700.0
    platform.onboard(0, 1, 0, pool)
    for _ in range(5):
        review(platform, pool, [True], [False])
    assert platform.limit.tolist() == [700_000]


def test_limit_is_cut_only_when_the_score_crosses_below_cut_score():
    platform, pool = make({"credit_line": {"cut_score": 550, "cut_pct": 0.3}}, capacity=4)
    pool.permanent_income[:] = 6000.0
    pool.score[:] = 700.0
    platform.onboard(0, 4, 0, pool)
    pool.score[:] = [540.0, 530.0, 555.0, 549.0]
    ups, cuts = review(platform, pool, [False] * 4, [True] * 4,
                       score_before=[560.0, 545.0, 600.0, 550.0])
    # crossed: 560 -> 540 and 550 -> 549; already below: 545 -> 530; still above: 555
    assert cuts == 2 and ups == 0
    assert (platform.limit // 100).tolist() == [4200, 6000, 6000, 4200]


def test_closed_accounts_get_no_limit_changes():
    platform, pool = make({"credit_line": {"increase_after_months": 1}}, capacity=2)
    pool.permanent_income[:] = 6000.0
    pool.score[:] = 700.0
    platform.onboard(0, 2, 0, pool)
    platform.active[1] = False
    pool.score[:] = 500.0
    ups, cuts = review(platform, pool, [True, True], [False, False], score_before=[700, 700])
    assert (ups, cuts) == (1, 1)
    assert platform.limit[1] == 600_000


# -- purchases and freezes ------------------------------------------------------------------------
def delinquent_book(freeze_dpd: int) -> tuple[Platform, BorrowerPool]:
    """Three accounts at the purchase time of month 1 (day 55.5): account 0 has nothing
    owed, account 1 missed the bill due on day 50 (5 days past due), account 2 paid it."""
    overrides = {"spending": {"purchase_prob": 1.0, "dispersion": 0.0, "plan_mix": {0: 1.0}},
                 "credit_line": {"freeze_dpd": freeze_dpd}}
    platform, pool = make(overrides, capacity=3)
    pool.permanent_income[:] = 6000.0
    pool.income[:] = 6000.0
    pool.score[:] = 700.0
    platform.onboard(0, 3, 0, pool)
    ledger = platform.ledger
    ledger.book_purchase(0, cents(0, 10_000, 10_000), cents(0, 0, 0), {})
    platform.statement(1, 3)
    ledger.pay(1, cents(0, 0, 10_000))
    return platform, pool


@pytest.mark.parametrize(("freeze_dpd", "frozen"), [(1, [False, True, False]),
                                                    (5, [False, True, False]),
                                                    (6, [False, False, False])])
def test_purchases_are_frozen_while_dpd_is_at_least_freeze_dpd(freeze_dpd, frozen):
    platform, pool = delinquent_book(freeze_dpd)
    amount = platform.purchases(1, 3, 55.5, pool, RNG(1))
    assert (amount == 0).tolist() == frozen
    assert platform.ledger.balance(3).tolist() == [
        amount[0], 10_000 + amount[1], amount[2]]


def test_purchases_stop_at_the_open_limit():
    overrides = {"spending": {"purchase_prob": 1.0, "share_of_income": 2.0, "dispersion": 0.0}}
    platform, pool = make(overrides, capacity=2)
    pool.permanent_income[:] = 6000.0
    pool.income[:] = 6000.0
    pool.score[:] = 700.0
    platform.onboard(0, 2, 0, pool)  # limits 6000.00
    platform.ledger.book_purchase(0, cents(550_000, 0), cents(0, 0), {})
    amount = platform.purchases(0, 2, 25.5, pool, RNG(2))
    assert amount.tolist() == [50_000, 600_000]
    assert platform.purchases(0, 2, 25.6, pool, RNG(3)).tolist() == [0, 0]


def test_closed_accounts_cannot_buy():
    platform, pool = make({"spending": {"purchase_prob": 1.0}}, capacity=2)
    platform.onboard(0, 2, 0, pool)
    platform.active[0] = False
    amount = platform.purchases(0, 2, 25.5, pool, RNG(4))
    assert amount[0] == 0 and amount[1] > 0


# -- statements and due dates -------------------------------------------------------------------
def test_statement_charges_the_monthly_late_fee_on_overdue_principal():
    platform, _ = make({"billing": {"late_fee_daily": 0.001}}, capacity=2)
    platform.ledger.book_purchase(0, cents(10_000, 10_000), cents(0, 0), {})
    platform.statement(1, 2)
    platform.ledger.pay(1, cents(0, 10_000))
    principal, fee = platform.statement(2, 2)
    assert principal.tolist() == [0, 0]
    assert fee.tolist() == [300, 0]  # 30 days x 0.1 % of 10000


def test_due_date_outcome_scores_and_cures():
    """Structural borrowers who always want to pay and never forget; cash decides."""
    overrides = {"repayment": {"willingness_mean": 1.0, "forget_prob": 0.0,
                               "partial_payments": False, "max_cash_share": 1.0},
                 "score": {"on_time_gain": 3, "missed_loss": 40, "cure_gain": 10}}
    platform, pool = make(overrides, capacity=4)
    pool.score[:] = 700.0
    platform.onboard(0, 4, 0, pool)
    ledger = platform.ledger
    ledger.book_purchase(0, cents(10_000, 10_000, 10_000, 0), cents(0, 0, 0, 0), {})
    platform.statement(1, 4)
    ledger.pay(1, cents(10_000, 0, 10_000, 0))  # account 1 missed month 1
    ledger.book_purchase(1, cents(5_000, 5_000, 5_000, 0), cents(0, 0, 0, 0), {})
    platform.statement(2, 4)
    pool.savings[:] = [1_000.0, 1_000.0, 0.0, 1_000.0]  # account 2 cannot pay
    out = platform.due_date(2, 4, pool, RNG(5))
    assert out.owed.tolist() == [5_000, 15_000 + 150, 5_000, 0]
    assert out.paid.tolist() == [5_000, 15_150, 0, 0]
    assert out.missed.tolist() == [False, False, True, False]
    assert out.cured.tolist() == [False, True, False, False]
    assert out.days_past_due.tolist() == [0, 30, 0, 0]
    assert pool.score[:4].tolist() == [703.0, 710.0, 660.0, 700.0]
    assert pool.savings[:2].tolist() == [950.0, 1_000.0 - 151.5]
    assert ledger.owed(4).tolist() == [0, 0, 5_000, 0]


# -- charge-off ----------------------------------------------------------------------------------
def test_charge_off_closes_accounts_at_the_charge_off_dpd():
    platform, pool = make({"billing": {"chargeoff_dpd": 60}}, capacity=3)
    platform.onboard(0, 3, 0, pool)
    ledger = platform.ledger
    ledger.book_purchase(0, cents(30_000, 30_000, 0), cents(3, 3, 0), {3: 0.01})
    for m in (1, 2):
        platform.statement(m, 3)
        ledger.pay(m, cents(0, ledger.owed(3)[1], 0))
    balance = ledger.balance(3)
    none = np.zeros(3, dtype=bool)
    early = platform.charge_off(109.25, 3, 3, pool, RNG(6), none, none)
    assert early.index.size == 0  # 59 days past due
    out = platform.charge_off(110.25, 3, 3, pool, RNG(6), none, none)
    assert out.index.tolist() == [0]
    assert (out.principal + out.fee).tolist() == [balance[0]]
    assert out.principal.tolist() == [30_000]
    assert platform.active.tolist() == [False, True, True]
    assert platform.chargeoff_month.tolist() == [3, -1, -1]
    assert ledger.balance(3).tolist() == [0, balance[1], 0]
    assert 0 <= out.recovery_total[0] <= balance[0]


def test_recovery_share_has_the_configured_mean_by_employment():
    """Beta(m c, (1 - m) c) shares: mean m for the employed and m x unemployed_factor
    for the unemployed, checked within 4 standard errors sqrt(m (1 - m) / (c + 1) / N)."""
    n = 20_000
    rec = {"mean_rate": 0.2, "unemployed_factor": 0.5, "concentration": 4.0}
    platform, pool = make({"recovery": rec, "billing": {"chargeoff_dpd": 30}}, capacity=n)
    platform.onboard(0, n, 0, pool)
    pool.employed[:] = np.arange(n) % 2 == 0
    amount = np.full(n, 100_000, dtype=np.int64)
    platform.ledger.book_purchase(0, amount, np.zeros(n, dtype=np.int64), {})
    platform.statement(1, n)
    platform.ledger.pay(1, np.zeros(n, dtype=np.int64))
    none = np.zeros(n, dtype=bool)
    out = platform.charge_off(80.25, 2, n, pool, RNG(7), none, none)
    assert out.index.size == n
    share = out.recovery_total / (out.principal + out.fee)
    for employed, mean in ((True, 0.2), (False, 0.1)):
        x = share[pool.employed[out.index] == employed]
        se = np.sqrt(mean * (1 - mean) / (rec["concentration"] + 1) / x.size)
        assert abs(x.mean() - mean) < 4 * se


# -- recovery cash flows -----------------------------------------------------------------------
def test_recovery_flows_hand_example():
    totals = cents(1_000, 0, 334)  # cohorts charged off in months 0, 1, 2
    curve = np.array([0.0, 1.0, 1.0])  # nothing at once, half after 1 month, half after 2
    flows = [recovery_flows(totals, curve, m) for m in range(6)]
    # cohort 0: 500 at month 1, 500 at month 2; cohort 2: 167 at months 3 and 4
    assert flows == [0, 500, 500, 167, 167, 0]


def test_recovery_flows_ignore_cohorts_not_yet_charged_off():
    totals = cents(0, 0, 0, 9_999)
    assert [recovery_flows(totals, np.array([1.0]), m) for m in range(3)] == [0, 0, 0]


@settings(max_examples=100, deadline=None)
@given(
    totals=st.lists(st.integers(0, 10**11), min_size=1, max_size=24),
    curve=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20).filter(lambda c: sum(c) > 1e-3),
)
def test_each_cohort_recovers_exactly_its_total_along_the_curve(totals, curve):
    totals_arr = np.array(totals, dtype=np.int64)
    curve_arr = np.array(curve)
    months = len(totals) + len(curve) + 1
    for k, total in enumerate(totals):
        alone = np.zeros_like(totals_arr)
        alone[k] = total
        flows = np.array([recovery_flows(alone, curve_arr, m) for m in range(months)])
        assert flows[:k].sum() == 0
        assert flows.sum() == total
        assert flows.min() >= 0
        expected = total * curve_arr / curve_arr.sum()
        assert np.all(np.abs(flows[k:k + len(curve)] - expected) <= 1.0 + 1e-6)
    combined = [recovery_flows(totals_arr, curve_arr, m) for m in range(months)]
    assert sum(combined) == sum(totals)


def test_lag_curve_is_normalised():
    totals = cents(10_000)
    a = [recovery_flows(totals, np.array([1.0, 3.0]), m) for m in range(3)]
    b = [recovery_flows(totals, np.array([0.25, 0.75]), m) for m in range(3)]
    assert a == b == [2_500, 7_500, 0]
