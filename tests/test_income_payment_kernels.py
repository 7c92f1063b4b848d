"""The month's income and the due date's payments, compiled, against the statements they replace.

:mod:`sim.kernels.income` and :mod:`sim.kernels.payments` are checked bit for bit against
the vectorised numpy statements of ``BorrowerPool.step_income``, ``BorrowerPool.payments``
and ``Platform.due_date`` that they replaced (written out below): on whole paths, every
month's income step and every due date is run twice from the same state and the same random
stream, once by the engine and once by the numpy statements, and every array either touches
must be equal in every bit, as must the random streams afterwards (the same draws were
taken). The configs cover the branches: partial payments or whole bills, the Bernoulli and
the two benchmark repayment models, no income shocks, no sudden expenses, a recession,
reminders and education, hardship arrangements.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from helpers_engine import small_config
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from sim.agents.benchmark_models import BENCHMARK_MODELS, benchmark_payments
from sim.agents.borrowers import (
    CONSTRAINED,
    DISORGANISED,
    FIRST_PAYMENT_DEFAULT,
    SCORE_MAX,
    SCORE_MIN,
    UNWILLING,
    BorrowerPool,
    BorrowerRules,
    wobble_matters_below,
)
from sim.agents.platform import DueDateOutcome, Platform
from sim.delinquency import cured_at_due_date, days_past_due, due_time, past_due
from sim.engine import simulate_path
from sim.ledger import Ledger


# -- the numpy statements the kernels replaced -----------------------------------------------
def numpy_step_income(pool: BorrowerPool, n: int, unemployment: float,
                      rng: np.random.Generator, unemployment_next: float | None = None,
                      aside: np.ndarray | None = None) -> None:
    """``BorrowerPool.step_income`` before it was compiled."""
    inc = pool.rules.income
    u_base = pool.rules.unemployment_base
    if inc.shocks and n > pool.onboarded:
        pool._onboard_jobs(slice(pool.onboarded, n), unemployment)
    pool.onboarded = max(pool.onboarded, n)
    draws = rng.random((3, n))
    shock = rng.standard_normal(n)
    employed = pool.employed[:n]
    perm = pool.permanent_income[:n]
    spell = pool.months_unemployed[:n]
    cut: np.ndarray | float = 0.0
    if inc.shocks:
        u_next = unemployment if unemployment_next is None else unemployment_next
        loss = inc.job_loss(unemployment, u_next, u_base)
        lose = employed & (draws[0] < np.minimum(loss * pool.job_risk[:n], 1.0))
        find = ~employed & (draws[1] < inc.job_finding(spell, unemployment, u_base))
        employed ^= lose | find
        perm[find] *= 1.0 - inc.reemployment_income_loss
        spell[:] = np.where(employed, 0, spell + 1)
        on_benefit = spell <= inc.benefit_months
        transitory = np.exp(inc.transitory_sd * shock - 0.5 * inc.transitory_sd**2)
        out_of_work = np.where(on_benefit, inc.replacement_rate, inc.assistance_rate)
        pool.income[:n] = perm * np.where(employed, transitory, out_of_work)
        cut = np.where(employed, 0.0, np.where(on_benefit, inc.consumption_cut_benefits,
                                               inc.consumption_cut_exhausted))
        p_shock = max(inc.expense_shock_prob, 1e-300)
        hit = draws[2] < p_shock
        size = -np.log(np.where(hit, draws[2] / p_shock, 1.0))
        expense = hit * perm * inc.expense_shock_months * size
    else:
        expense = 0.0
    share = np.where(pool.kind[:n] == CONSTRAINED,
                     pool.rules.repayment.constrained_essential_share, inc.essential_share)
    essentials = share * perm * (1.0 - cut)
    pool.disposable[:n] = np.maximum(pool.income[:n] - essentials, 0.0)
    cash = pool.savings[:n] + pool.income[:n] - essentials - expense
    kept = 0.0 if aside is None else aside  # repayment.buffer_after_bill
    pool.savings[:n] = np.clip(cash, -inc.other_debt_limit_months * perm,
                               pool.savings_cap[:n] * perm + kept)


def numpy_payments(pool: BorrowerPool, owed: np.ndarray, rng: np.random.Generator,
                   delinquent: np.ndarray | None = None, whole_bills=None) -> np.ndarray:
    """``BorrowerPool.payments`` before it was compiled (``whole_bills`` a callback)."""
    rep = pool.rules.repayment
    n = owed.shape[0]
    draws = rng.random((2, n))
    if rep.model == "bernoulli":
        return np.where(draws[0] < rep.miss_prob, 0, owed)
    kind = pool.kind[:n]
    forget = np.where(kind == DISORGANISED, rep.disorganised_forget_prob, rep.forget_prob)
    forget = forget * (1.0 - pool.rules.nudges.forget_reduction * pool.nudge_effect(n))
    reminded = pool.reminded[:n].copy()
    forget *= np.where(reminded, 1.0 - pool.rules.reminder_effect, 1.0)
    pool.reminded[:n] = False
    forgot = ~pool.autopay[:n] & (draws[0] < forget)
    wobble = rep.willingness_wobble_sd * ndtri(np.clip(draws[1], 1e-12, 1 - 1e-12))
    refuses = pool.willingness[:n] + wobble < 0.5
    if delinquent is not None:
        refuses |= (kind == UNWILLING) & delinquent & ~pool.escalated[:n]
    refuses |= kind == FIRST_PAYMENT_DEFAULT
    plan = np.where(pool.arrangement_until[:n] >= pool.month, pool.stretch[:n], 0.0)
    capacity = pool.cash_for_bill(n, np.where(reminded, 1.0, rep.max_cash_share), plan)
    if rep.current_bill_from_income:  # a current bill from the month's income
        current = np.ones(n, dtype=bool) if delinquent is None else ~delinquent
        current &= pool.arrangement_until[:n] < pool.month
        room = np.maximum(pool.savings[:n] + pool.room_months * pool.permanent_income[:n], 0.0)
        income = np.floor(np.minimum(pool.disposable[:n], room) * 100.0).astype(np.int64)
        capacity = np.where(current, np.maximum(capacity, income), capacity)
    pay = np.minimum(owed, capacity)
    if not rep.partial_payments and whole_bills is not None:
        short = np.flatnonzero(pay < owed)
        pay[short] = whole_bills(short, pay[short])
    elif not rep.partial_payments:
        pay = np.where(capacity >= owed, owed, 0)
    pay = np.where(forgot | refuses, 0, pay)
    pool.spend(slice(0, n), pay, np.where(reminded, 1.0, rep.max_cash_share))
    return pay


def numpy_due_date(platform: Platform, month: int, n: int, pool: BorrowerPool,
                   rng: np.random.Generator) -> DueDateOutcome:
    """``Platform.due_date`` before it was compiled."""
    ledger = platform.ledger
    oldest = ledger.oldest_due_month(n)
    today = due_time(month, ledger.due_day)
    was_delinquent = past_due(today, oldest, ledger.due_day)
    owed = ledger.owed(n)
    if platform.repayment.model in BENCHMARK_MODELS:
        paid, closing = benchmark_payments(platform.repayment, month, oldest,
                                           platform.onboard_month[:n], owed, rng)
        platform.limit[:n][closing] = 0
    else:
        paid = numpy_payments(pool, owed, rng, was_delinquent,
                              lambda idx, cash: ledger.whole_bills(month, idx, cash))
    paid_principal, paid_fee = ledger.pay(month, paid)
    missed = owed - paid > 0
    pool.escalated[:n] &= missed
    platform.accelerated[:n] &= missed
    cured = cured_at_due_date(was_delinquent, missed)
    paid_on_time = (owed > 0) & ~missed
    score_before = pool.score[:n].copy()
    sc = pool.rules.score
    on_time = paid_on_time & ~cured
    delta = sc.on_time_gain * on_time - sc.missed_loss * missed + sc.cure_gain * cured
    pool.score[:n] = np.clip(pool.score[:n] + delta, SCORE_MIN, SCORE_MAX)
    ups, cuts = platform.review_limits(n, pool, paid_on_time | (owed == 0), missed, score_before)
    dpd = days_past_due(today, oldest, ledger.due_day)
    return DueDateOutcome(owed, paid, paid_principal, paid_fee, missed, cured, dpd, ups, cuts)


# -- bit-for-bit comparison ------------------------------------------------------------------
def assert_same_arrays(got: object, want: object, what: str) -> None:
    """Every numpy array attribute of ``got`` equals ``want``'s in dtype and in every bit
    (so -0.0 differs from 0.0)."""
    for name, value in vars(want).items():
        if isinstance(value, np.ndarray):
            other = getattr(got, name)
            assert other.dtype == value.dtype, f"{what}.{name}: dtype"
            assert other.tobytes() == value.tobytes(), f"{what}.{name} differs"


def same_stream(a: np.random.Generator, b: np.random.Generator) -> bool:
    return a.bit_generator.state == b.bit_generator.state


class Checked:
    """Wraps the engine's ``step_income`` and ``due_date``: each call is first replayed on
    deep copies by the numpy statements, then made, and the two compared."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.income_steps = self.due_dates = self.paid = 0
        step_income, due_date = BorrowerPool.step_income, Platform.due_date

        def checked_income(pool, n, unemployment, rng, unemployment_next=None, aside=None):
            twin, twin_rng = copy.deepcopy((pool, rng))
            numpy_step_income(twin, n, unemployment, twin_rng, unemployment_next, aside)
            step_income(pool, n, unemployment, rng, unemployment_next, aside)
            assert_same_arrays(pool, twin, "pool")
            assert same_stream(rng, twin_rng)
            self.income_steps += 1

        def checked_due_date(platform, month, n, pool, rng):
            twins = copy.deepcopy((platform, pool, rng))
            want = numpy_due_date(twins[0], month, n, twins[1], twins[2])
            got = due_date(platform, month, n, pool, rng)
            assert_same_arrays(got, want, "outcome")
            assert (got.limit_increases, got.limit_cuts) == (want.limit_increases,
                                                             want.limit_cuts)
            assert_same_arrays(pool, twins[1], "pool")
            assert_same_arrays(platform, twins[0], "platform")
            assert_same_arrays(platform.ledger, twins[0].ledger, "ledger")
            assert same_stream(rng, twins[2])
            self.due_dates += 1
            self.paid += int((got.paid > 0).sum())
            return got

        monkeypatch.setattr(BorrowerPool, "step_income", checked_income)
        monkeypatch.setattr(Platform, "due_date", checked_due_date)


CASES = {
    "baseline": {},
    "whole_bills": {"repayment": {"partial_payments": False}},
    "bernoulli": {"repayment": {"model": "bernoulli", "miss_prob": 0.2}},
    "roll_chain": {"repayment": {"model": "roll_chain"}},
    "one_factor": {"repayment": {"model": "one_factor"}},
    "no_shocks": {"income": {"shocks": False}},
    "no_expenses": {"income": {"expense_shock_prob": 0.0}},
    "recession": {"macro": {"scenario": "severe_recession"},
                  "repayment": {"willingness_concentration": 4.0}},
    "reminders_nudges": {"early_warning": {"enabled": True, "fit_months": 4,
                                           "action": "reminder"},
                         "nudges": {"enabled": True, "reach": 0.5}},
    "hardship": {"collections": {"hardship": {"request_prob": 0.9}}},
    "budget_rules_off": {"repayment": {"buffer_after_bill": False,
                                       "current_bill_from_income": False}},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_income_and_due_dates_are_the_numpy_statements_on_whole_paths(case, monkeypatch):
    config = small_config(CASES[case], initial_borrowers=300, new_borrowers_per_month=10,
                          horizon_months=14)
    checked = Checked(monkeypatch)
    simulate_path(config, seed=2026, path=1)
    assert checked.income_steps == checked.due_dates == 14
    assert checked.paid > 0  # payments were made, not only misses


def test_the_check_fails_when_a_rule_changes(monkeypatch):
    """(So the comparisons above can fail.) Borrowers who put a hair less of their cash
    (1 % less) towards the bill in the compiled payments only are caught."""
    config = small_config(CASES["reminders_nudges"], initial_borrowers=300,
                          new_borrowers_per_month=10, horizon_months=14)
    Checked(monkeypatch)
    inputs = BorrowerPool.payment_inputs

    def changed(pool, n, by_whole_bills):
        rules, *rest = inputs(pool, n, by_whole_bills)
        return (rules[:5] + (rules[5] * 0.99,) + rules[6:], *rest)

    monkeypatch.setattr(BorrowerPool, "payment_inputs", changed)
    with pytest.raises(AssertionError, match="differs"):
        simulate_path(config, seed=2026, path=1)


# -- the payment decision alone --------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.booleans(), st.booleans(),
       st.sampled_from([0.0, 0.01, 0.05, 0.3]))
def test_pool_payments_are_the_numpy_statements(seed, partial, with_bills, with_late, wobble):
    """Random borrowers' states (reminded, educated, in an arrangement, escalated, savings
    either side of zero) and bills, some accounts owing nothing; willingness spread wide
    (concentration 3), so that the wobble's normal, taken only where it can decide
    (``wobble_matters_below``), decides for some borrowers and not for others."""
    config = small_config({"repayment": {"partial_payments": partial,
                                         "willingness_concentration": 3.0,
                                         "willingness_wobble_sd": wobble},
                           "nudges": {"forget_reduction": 0.4}})
    n, months = 400, 6
    rng = np.random.default_rng(seed)
    pool = BorrowerPool(BorrowerRules.of(config), n, np.random.default_rng(seed + 1))
    pool.month = 4
    pool.reminded[:] = rng.random(n) < 0.3
    pool.nudged_month[:] = np.where(rng.random(n) < 0.4, rng.integers(0, 5, n), -1)
    pool.arrangement_until[:] = np.where(rng.random(n) < 0.3, rng.integers(2, 7, n), -1)
    pool.channel_stretch[:] = rng.random(pool.channel_stretch.size)
    pool.plan_channel[:] = rng.integers(0, pool.channel_stretch.size, n)
    pool.escalated[:] = rng.random(n) < 0.5
    pool.savings[:] = pool.permanent_income * rng.uniform(-2.5, 2.0, n)
    pool.savings[::10] = 10 * pool.permanent_income[::10]  # some who can pay everything
    pool.disposable[:] = pool.permanent_income * rng.uniform(0, 0.3, n)
    ledger = Ledger(n, 180, 20)
    for m in range(months):
        ledger.statement(m, n, 0.015)
        buy = np.where(rng.random(n) < 0.6, rng.integers(0, 200_000, n), 0)
        ledger.book_purchase(m, buy, rng.choice([0, 3, 6, 12], n), {3: 0.005, 6: 0.006,
                                                                   12: 0.006})
        if m < months - 1:
            ledger.pay(m, (ledger.owed(n) * rng.random(n) * (rng.random(n) < 0.7))
                       .astype(np.int64))
    ledger.pay(months - 1, np.where(np.arange(n) % 7 == 0, ledger.owed(n), 0))  # owe nothing
    owed = ledger.owed(n)
    late = (rng.random(n) < 0.4) if with_late else None
    twin = copy.deepcopy(pool)
    month = months - 1
    want = numpy_payments(twin, owed, np.random.default_rng(seed + 2), late,
                          (lambda idx, cash: ledger.whole_bills(month, idx, cash))
                          if with_bills else None)
    bills = (month, ledger.bills()) if with_bills else None
    got = pool.payments(owed, np.random.default_rng(seed + 2), late, bills)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert_same_arrays(pool, twin, "pool")
    assert (owed == 0).any() and (got > 0).any()


# -- the household budget's rules, by hand ---------------------------------------------------
def _three_reliable_payers(config):  # noqa: ANN001, ANN202
    pool = BorrowerPool(BorrowerRules.of(config), 3, np.random.default_rng(1))
    pool.month = 5
    pool.kind[:] = 0  # reliable
    pool.autopay[:] = True
    pool.willingness[:] = 1.0
    pool.arrangement_until[:] = -1
    pool.permanent_income[:] = 6000.0
    pool.room_months = 2.0
    return pool


def test_a_current_bill_is_paid_from_the_months_income_by_hand():
    """Income less essentials 1,500 this month, debts elsewhere of 1,000 (savings -1,000),
    room down to -12,000: a current bill of 2,000 gets 1,500 (the month's income pays the
    month's bill before older debts); the same bill overdue gets nothing (arrears wait for
    positive savings or a collector); with debts of 11,500 only the 500 of room is left.
    Without the rule a current bill gets nothing either."""
    config = small_config({})
    for rule, want in ((True, [150_000, 0, 50_000]), (False, [0, 0, 0])):
        cfg = config.model_copy(update={"repayment": config.repayment.model_copy(
            update={"current_bill_from_income": rule})})
        pool = _three_reliable_payers(cfg)
        pool.savings[:] = [-1000.0, -1000.0, -11_500.0]
        pool.disposable[:] = 1500.0
        owed = np.full(3, 200_000, dtype=np.int64)
        late = np.array([False, True, False])
        paid = pool.payments(owed, np.random.default_rng(2), late)
        assert paid.tolist() == want
        assert pool.savings.tolist() == pytest.approx([-1000.0 - want[0] / 100, -1000.0,
                                                       -11_500.0 - want[2] / 100])


def test_positive_savings_pay_when_they_are_more_than_the_months_income_by_hand():
    """Savings 3,000 and income less essentials 1,000: a current bill of 5,000 gets the larger
    of 0.9 x 3,000 (max_cash_share of savings) and 1,000, that is 2,700."""
    pool = _three_reliable_payers(small_config({}))
    pool.savings[:] = 3000.0
    pool.disposable[:] = 1000.0
    paid = pool.payments(np.full(3, 500_000, dtype=np.int64), np.random.default_rng(2),
                         np.zeros(3, dtype=bool))
    assert paid.tolist() == [270_000] * 3


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
@pytest.mark.parametrize("buffered", [False, True])
def test_the_draws_in_the_kernels_are_numpys_and_leave_the_stream_where_numpy_does(
        n, buffered):
    """After numpy's ``rng.random((3, n))``, :func:`income_draws` takes the normals of
    ``rng.standard_normal(n)``, one at a time, and leaves the stream where numpy's call leaves
    it, a buffered 32-bit half (left by a uint32 draw) included; without shocks it draws them
    and writes nothing."""
    from sim.kernels.income import income_draws

    rng = np.random.default_rng(11)
    if buffered:
        rng.integers(0, 10, dtype=np.uint32)
    twin = copy.deepcopy(rng)
    assert rng.random((3, n)).tobytes() == twin.random((3, n)).tobytes()
    normals = twin.standard_normal(n)
    sd = 0.3
    transitory = np.empty(n)
    income_draws(n, True, sd, 0.5 * sd**2, rng, transitory)
    assert transitory.tobytes() == (sd * normals - 0.5 * sd**2).tobytes()
    assert rng.bit_generator.state == twin.bit_generator.state
    income_draws(n, False, sd, 0.5 * sd**2, rng, np.empty(0))
    twin.standard_normal(n)
    assert rng.bit_generator.state == twin.bit_generator.state
    assert rng.integers(0, 2**32, dtype=np.uint32) == twin.integers(0, 2**32, dtype=np.uint32)


def test_a_current_bill_is_kept_aside_above_the_savings_cap_by_hand():
    """A hand-to-mouth borrower (cap half a month: 3,000 of 6,000) with savings 2,000 earns
    6,000 and spends 4,500 on essentials: 3,500 would be left, capped at 3,000; with a bill
    of 800 kept aside the cap is 3,800, so all 3,500 stays for the bill."""
    from sim.kernels.income import step_incomes

    def step(aside: float) -> float:
        savings = np.array([2000.0])
        rules = (0.0, 0.0, 0.0, 6, 0.0, 6, 0.35, 0.1, 0.0, 0.0, 1e-300, 1.0, 0.75, 0.75, 2.0)
        unused = np.zeros(0)  # no draws without income shocks
        step_incomes(1, False, rules, unused, unused, unused, unused, unused, np.array([True]),
                     np.array([6000.0]), np.zeros(1, dtype=np.int16), np.ones(1),
                     np.array([2], dtype=np.int8), 2, savings, np.array([3.0, 0.5]),
                     np.array([6000.0]), np.zeros(1), np.array([aside]))
        return float(savings[0])

    assert step(0.0) == 3000.0
    assert step(800.0) == 3500.0


class _Draws:
    """A stand-in stream whose ``random((2, n))`` returns the given uniforms."""

    def __init__(self, u: np.ndarray):
        self.u = u

    def random(self, shape: tuple[int, int]) -> np.ndarray:
        assert shape == self.u.shape
        return self.u.copy()


@pytest.mark.parametrize("wobble", [0.0, 0.01, 0.05, 0.3, 1.0])
def test_the_wobble_is_skipped_only_where_no_draw_can_make_a_refusal(wobble):
    """Every willingness on a fine grid (and either side of ``wobble_matters_below``)
    against every uniform, the extremes included: the refusal ``willingness + sd * z < 0.5``
    with the normals :meth:`payment_draws` gives is the one with every normal computed."""
    config = small_config({"repayment": {"willingness_wobble_sd": wobble}})
    grid = np.linspace(0.0, 1.0, 2001)
    if wobble > 0:
        edge = wobble_matters_below(wobble)
        grid = np.concatenate([grid, edge + np.array([-1e-9, -1e-12, 0.0, 1e-12, 1e-9])])
    uniforms = np.array([0.0, 1e-300, 1e-13, 1e-12, 2e-12, 1e-6, 0.02, 0.5, 0.98,
                         1 - 1e-12, 1.0 - 2**-53])
    w = np.repeat(grid, uniforms.size)
    u = np.tile(uniforms, grid.size)
    pool = BorrowerPool(BorrowerRules.of(config), w.size, np.random.default_rng(1))
    pool.willingness[:] = w
    owed = np.where(np.arange(w.size) % 13 == 0, 0, 1_000)  # some owe nothing
    draws = np.vstack([np.zeros_like(u), u])
    got_draws, z = pool.payment_draws(owed, _Draws(draws))
    owing = np.flatnonzero(owed > 0)
    full = ndtri(np.clip(u[owing], 1e-12, 1 - 1e-12))
    assert np.array_equal(got_draws, draws) and z.shape == owing.shape
    assert np.array_equal(w[owing] + wobble * z < 0.5, w[owing] + wobble * full < 0.5)
    if wobble > 0:  # the grid has refusals, and normals both skipped and taken
        assert (w[owing] + wobble * full < 0.5).any()
        assert np.isinf(z).any() and np.isfinite(z).any()
