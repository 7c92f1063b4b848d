"""Why borrowers are late: types, escalation, arrangements, termination, education decay,
cyclical recoveries and the field-experiment hook."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from helpers_engine import small_config

from sim.agents.borrowers import (
    CONSTRAINED,
    DISORGANISED,
    FIRST_PAYMENT_DEFAULT,
    RELIABLE,
    UNWILLING,
    BorrowerPool,
    BorrowerRules,
)
from sim.agents.recoveries import Recoveries
from sim.config import BORROWER_TYPES, ConfigError, load_config
from sim.engine import PathSimulation, simulate_path
from sim.ledger import Ledger

RNG = np.random.default_rng
KEEN = {"willingness_mean": 1.0, "forget_prob": 0.0, "disorganised_forget_prob": 0.0}


def only(**shares: float) -> dict:
    """Type shares with every type not named at 0 (the rest reliable)."""
    return {t: shares.get(t, 0.0) for t in BORROWER_TYPES if t != "reliable"}


def pool_for(overrides: dict | None = None, capacity: int = 1000, seed: int = 0) -> BorrowerPool:
    return BorrowerPool(BorrowerRules.of(small_config(overrides)), capacity, RNG(seed))


# -- types -----------------------------------------------------------------------------------
def test_type_shares_follow_the_config_within_four_standard_errors():
    shares = {"disorganised": 0.1, "constrained": 0.3, "unwilling": 0.05,
              "first_payment_default": 0.02}
    n = 100_000
    pool = pool_for({"repayment": {"types": shares}}, capacity=n)
    counts = np.bincount(pool.kind, minlength=len(BORROWER_TYPES)) / n
    expected = [1 - sum(shares.values()), *shares.values()]
    se = np.sqrt(np.array(expected) * (1 - np.array(expected)) / n)
    assert np.all(np.abs(counts - expected) < 4 * se)


def test_type_shares_above_one_are_refused_naming_the_key():
    with pytest.raises(ConfigError, match="repayment.types"):
        load_config({"repayment": {"types": {"constrained": 0.8, "unwilling": 0.3}}})


def test_constrained_borrowers_hold_at_most_their_buffer():
    pool = pool_for({"repayment": {"constrained_savings_months": 0.5}}, capacity=20_000)
    c = pool.kind == CONSTRAINED
    assert c.any() and (~c).any()
    assert np.all(pool.savings[c] <= 0.5 * pool.permanent_income[c] + 1e-9)
    assert np.all(pool.savings_cap[c] == 0.5)


def test_first_payment_defaulters_never_pay_and_want_the_whole_line():
    pool = pool_for({"repayment": {**KEEN, "types": only(first_payment_default=1.0)}},
                    capacity=50)
    assert (pool.kind == FIRST_PAYMENT_DEFAULT).all()
    pool.savings[:] = 1e6
    assert (pool.payments(np.full(50, 1_000, dtype=np.int64), RNG(1)) == 0).all()
    assert (pool.desired_purchases(50, RNG(2)) >= 10**12).all()


def test_unwilling_pay_while_current_and_only_after_escalation_once_late():
    pool = pool_for({"repayment": {**KEEN, "types": only(unwilling=1.0)}}, capacity=6)
    pool.savings[:] = 1e6
    owed = np.full(6, 1_000, dtype=np.int64)
    late = np.array([False, False, True, True, True, True])
    pool.escalated[[4, 5]] = True
    paid = pool.payments(owed, RNG(3), late)
    assert paid.tolist() == [1_000, 1_000, 0, 0, 1_000, 1_000]


def test_willingness_is_a_trait_not_a_monthly_coin():
    """With no wobble a borrower's decision never changes from month to month."""
    pool = pool_for({"repayment": {"willingness_mean": 0.6, "willingness_concentration": 2.0,
                                   "willingness_wobble_sd": 0.0, "forget_prob": 0.0,
                                   "types": only()}},
                    capacity=2000)
    pool.savings[:] = 1e6
    owed = np.full(2000, 100, dtype=np.int64)
    first = pool.payments(owed, RNG(4)) > 0
    for month in range(5):
        pool.savings[:] = 1e6
        assert np.array_equal(pool.payments(owed, RNG(10 + month)) > 0, first)
    assert np.array_equal(first, pool.willingness >= 0.5)


def test_disorganised_forget_more_and_autopay_removes_it():
    rep = {"willingness_mean": 1.0, "forget_prob": 0.0, "disorganised_forget_prob": 1.0,
           "types": only(disorganised=0.5)}
    pool = pool_for({"repayment": rep}, capacity=4000)
    pool.savings[:] = 1e6
    paid = pool.payments(np.full(4000, 100, dtype=np.int64), RNG(5)) > 0
    dis = pool.kind == DISORGANISED
    assert np.array_equal(paid[dis], pool.autopay[dis])
    assert paid[pool.kind == RELIABLE].all()


def test_an_arrangement_moves_the_line_up_the_payment_hierarchy_within_the_debt_room():
    """An arrangement moves up to stretch x income, at most what is affordable (income
    less essentials, when the stretch is kept within income), and never beyond the room
    left for debts elsewhere."""
    pool = pool_for({"repayment": {**KEEN, "stretch_within_income": True},
                     "income": {"other_debt_limit_months": 1.0}},
                    capacity=5)
    pool.permanent_income[:] = 1000.0
    pool.income[:] = 1000.0
    pool.savings[:] = [100.0, -900.0, -1000.0, 100.0, 100.0]  # saved or owed elsewhere
    pool.disposable[:] = [700.0, 700.0, 700.0, 200.0, 0.0]  # the last: benefit < essentials
    cash = pool.cash_for_bill(5, 1.0, np.full(5, 0.5))
    # 100 + 500; only 100 of room left elsewhere; none; 100 + 200 affordable; savings only
    assert cash.tolist() == [60_000, 10_000, 0, 30_000, 10_000]


def test_what_an_arrangement_moves_is_a_monthly_budget_however_many_times_one_pays():
    """Income less essentials is what can be moved in a month: a payment that took 500 of
    it beyond savings leaves 200 for a second payment the same month, then nothing."""
    pool = pool_for({"repayment": {**KEEN, "stretch_within_income": True},
                     "income": {"other_debt_limit_months": 5.0}},
                    capacity=2)
    pool.permanent_income[:] = 1000.0
    pool.savings[:] = [100.0, -500.0]  # saved, or owed elsewhere
    pool.disposable[:] = 700.0
    who = np.array([0, 1])
    first = pool.cash_for_bill(who, 1.0, 0.5)
    assert first.tolist() == [60_000, 50_000]  # 100 saved + 500 moved; 500 moved
    pool.spend(who, first, 1.0)
    assert pool.disposable.tolist() == [200.0, 200.0]
    assert pool.savings.tolist() == [-500.0, -1000.0]
    second = pool.cash_for_bill(who, 1.0, 0.5)
    assert second.tolist() == [20_000, 20_000]
    pool.spend(who, second, 1.0)
    assert pool.cash_for_bill(who, 1.0, 0.5).tolist() == [0, 0]


def test_affordable_income_is_income_less_essentials_after_each_month():
    inc = {"transitory_sd": 0.0, "expense_shock_prob": 0.0, "essential_share": 0.6,
           "replacement_rate": 0.4, "consumption_cut_benefits": 0.0}
    pool = pool_for({"income": inc, "repayment": {"types": {"constrained": 0.0}}}, capacity=4)
    pool.employed[:] = [True, True, False, False]
    pool.months_unemployed[:] = [0, 0, 1, 1]
    no_moves = {"job_finding_short": 0.0, "job_finding_long": 0.0}
    pool.rules = replace(pool.rules, income=pool.rules.income.model_copy(update=no_moves))
    pool.step_income(4, 1e-9, RNG(1))
    perm = pool.permanent_income
    assert np.allclose(pool.disposable, [0.4 * perm[0], 0.4 * perm[1], 0.0, 0.0])


# -- termination (acceleration) and whole bills --------------------------------------------------
def test_acceleration_calls_the_whole_balance_as_one_bill_dated_from_the_first_miss():
    ledger = Ledger(2, 180, 20)
    ledger.book_purchase(0, np.array([12_000, 12_000]), np.array([12, 12]), {12: 0.0})
    ledger.bill(1, 2, 0.0)
    ledger.bill(2, 2, 0.03)
    balance = ledger.balance(2)
    called = ledger.accelerate(2, np.array([0]))
    assert called.tolist() == [10_000]  # ten instalments of 1,000 not yet billed
    assert ledger.balance(2).tolist() == balance.tolist()
    assert ledger.owed(2).tolist() == [balance[0], 2_000 + 30]
    assert ledger.oldest_due_month(2).tolist() == [1, 1]
    ledger.audit(2, 2)
    # the one bill is due 20 days into month 1: days past due run from there
    assert ledger.days_past_due(2 * 30 + 25, 2).tolist() == [35, 35]
    # paying one instalment no longer cures the terminated account
    ledger.pay(2, np.array([1_030, 1_030]))
    # account 1 (not terminated) paid its oldest bill and is one bill behind
    assert ledger.oldest_due_month(2).tolist() == [1, 2]


def test_whole_bills_pays_every_fee_then_the_oldest_bills_whole():
    ledger = Ledger(3, 180, 20)
    ledger.book_purchase(0, np.array([10_000] * 3), np.array([3, 3, 3]), {3: 0.0})
    ledger.bill(1, 3, 0.0)
    ledger.bill(2, 3, 0.01)  # a late fee of 33 on the overdue 3,334
    got = ledger.whole_bills(2, np.arange(3), np.array([3_000, 7_000, 3_400]))
    assert got.tolist() == [0, 6_700, 33 + 3_334]


def test_statement_terminates_accounts_at_the_acceleration_age():
    config = small_config({"billing": {"acceleration_dpd": 40},
                           "repayment": {"model": "bernoulli", "miss_prob": 1.0},
                           "collections": {"enabled": False}},
                          initial_borrowers=50, new_borrowers_per_month=0, horizon_months=9)
    sim = PathSimulation(config, 1, 0)
    sim.run()
    p = sim.platform
    # every account that bought is charged off with its whole balance; none pays anything
    charged = p.chargeoff_month >= 0
    assert charged.any()
    assert not p.active[charged].any()
    assert sim.series["charge_offs"][-1] >= 0


# -- education, recoveries --------------------------------------------------------------------
def test_education_effect_decays_by_e_every_decay_months():
    pool = pool_for({"nudges": {"enabled": True, "decay_months": 5.0}}, capacity=3)
    pool.nudged_month[:] = [0, 0, -1]
    pool.month = 10
    assert pool.nudge_effect(3) == pytest.approx([np.exp(-2.0), np.exp(-2.0), 0.0])


def test_recoveries_follow_the_economy_when_collected():
    config = small_config({"recovery": {"cycle_elasticity": 1.0, "lag_curve": [0.5, 0.5]}},
                          horizon_months=4)
    rec = Recoveries(config.recovery, config.collections, config.book.horizon_months)
    rec.set_cycle(np.array([0.05, 0.10, 0.10, 0.05]), 0.05)
    # month 0: half collected at u = 5 % (x1), half at 10 % (x0.5)
    assert rec.cycle.tolist() == pytest.approx([0.75, 0.5, 0.75, 1.0])


def test_recoveries_by_type_scale_the_mean():
    config = small_config({"recovery": {"type_factor": {"first_payment_default": 0.0},
                                        "cycle_elasticity": 0.0}}, horizon_months=3)
    rec = Recoveries(config.recovery, config.collections, config.book.horizon_months)
    kind = np.array([RELIABLE, FIRST_PAYMENT_DEFAULT])
    total = rec.book(0, np.array([100_000, 100_000]), np.array([True, True]),
                     np.array([False, False]), np.array([False, False]),
                     np.array([0.5, 0.5]), np.array([0.9, 0.9]), kind)
    assert total[0] > 0 and total[1] == 0


# -- losses come from several reasons --------------------------------------------------------
def test_charge_offs_come_from_more_than_one_type():
    config = small_config(initial_borrowers=3000, new_borrowers_per_month=50,
                          horizon_months=30)
    sim = PathSimulation(config, 2, 0)
    sim.run()
    co = sim.platform.chargeoff_month[: sim.n] >= 0
    kinds = set(sim.pool.kind[: sim.n][co].tolist())
    assert len(kinds) >= 3
    assert {CONSTRAINED, UNWILLING} & kinds


# -- the field-experiment hook -----------------------------------------------------------------
def test_experiment_assigns_about_half_and_treats_only_the_treated():
    config = small_config({"experiment": {"enabled": True, "channel": "human", "at_dpd": 5,
                                          "default_months": 7}},
                          initial_borrowers=3000, new_borrowers_per_month=0,
                          horizon_months=12)
    out = simulate_path(config, 3, 0).experiment
    assert out is not None and out["treated"].size > 100
    share = out["treated"].mean()
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / out["treated"].size)
    # the arm depends on the borrower alone: the same under another policy
    other = small_config({"experiment": {"enabled": True, "channel": "human", "at_dpd": 5,
                                         "default_months": 7},
                          "collections": {"caps": {"per_day": 1}}},
                         initial_borrowers=3000, new_borrowers_per_month=0,
                         horizon_months=12)
    out2 = simulate_path(other, 3, 0).experiment
    both, a, b = np.intersect1d(out["borrower"], out2["borrower"], return_indices=True)
    assert both.size > 0
    assert np.array_equal(out["treated"][a], out2["treated"][b])


def test_a_re_age_needs_three_payments_of_at_least_the_arrangements_instalment():
    """FFIEC: three consecutive minimum monthly payments. Under an arrangement whose
    instalment is 10.00, payments of 10.00 at three due dates re-age the account; 9.99
    once in the three, or a missed month, does not."""
    config = small_config({}, initial_borrowers=3)
    sim = PathSimulation(config, 1, 0)
    sim.on_month_start(0)
    sim.platform.ledger.book_purchase(0, np.full(3, 60_000), np.full(3, 12), {12: 0.0})
    sim.pool.arrangement_until[:3] = 12
    sim.pool.plan_instalment[:3] = 1_000
    missed = np.ones(3, dtype=bool)
    months = [np.array([1_000, 999, 1_000]), np.array([1_000, 1_000, 0]),
              np.array([1_000, 1_000, 1_000])]
    for month, paid in enumerate(months, start=1):
        sim.collections.reage_arrangements(month, paid, missed)
    assert sim.collections.counters["arrangement_reages"] == 1
    assert sim.platform.ledger.reaged_month[:3].tolist() == [3, -1, -1]
