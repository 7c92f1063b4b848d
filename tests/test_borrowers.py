"""Borrowers as vectors: traits, jobs and income, spending, plan choice, paying, score."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_engine import small_config
from hypothesis import event, given, settings
from hypothesis import strategies as st
from scipy.special import betainc, betaincinv

from sim.agents.borrowers import (
    PINV_MIN_DRAWS,
    SCORE_MAX,
    SCORE_MIN,
    WILLINGNESS_U_RESOLUTION,
    BorrowerPool,
    BorrowerRules,
    beta_inverse,
    willingness,
)
from sim.config import PLAN_TERMS, load_config

RNG = np.random.default_rng


def pool_for(overrides: dict | None = None, capacity: int = 1000, seed: int = 0) -> BorrowerPool:
    return BorrowerPool(BorrowerRules.of(small_config(overrides)), capacity, RNG(seed))


# -- traits --------------------------------------------------------------------------------------
def test_traits_are_reproducible_from_the_traits_stream():
    a, b = pool_for(seed=3), pool_for(seed=3)
    for name in ("permanent_income", "job_risk", "willingness", "autopay", "spend_trait",
                 "score", "savings"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(a.permanent_income, pool_for(seed=4).permanent_income)


def test_the_onboarding_draws_are_the_streams_last_draws_read_again():
    """The pool keeps no onboarding uniforms: it reads the slots' draws again from the traits
    stream, which it left where drawing them all would have left it."""
    rng = RNG(7)
    pool = BorrowerPool(BorrowerRules.of(small_config(None)), 50, rng)
    full = pool.jobless_draws(slice(0, 50))
    stream = np.random.PCG64()
    stream.state = pool._jobless_stream
    drawn = np.random.Generator(stream).random(51)
    assert np.array_equal(full, drawn[:50])
    assert rng.random() == drawn[50]  # the stream moved on by exactly the 50 draws
    assert np.array_equal(pool.jobless_draws(slice(13, 29)), full[13:29])
    assert pool.jobless_draws(slice(50, 50)).shape == (0,)
    assert not hasattr(pool, "jobless_draw")
    with pytest.raises(TypeError, match="PCG64"):
        BorrowerPool(BorrowerRules.of(small_config(None)), 5,
                     np.random.Generator(np.random.MT19937(1)))


def test_new_pool_is_employed_at_permanent_income_with_scores_in_range():
    pool = pool_for(capacity=5000)
    assert pool.employed.all()
    assert np.array_equal(pool.income, pool.permanent_income)
    assert pool.score.min() >= SCORE_MIN and pool.score.max() <= SCORE_MAX
    limit = pool.rules.income.other_debt_limit_months
    assert (pool.savings >= -limit * pool.permanent_income).all()


def test_a_share_of_applicants_arrive_in_arrears_elsewhere():
    """initial_arrears_share of new borrowers start with debts elsewhere, uniform down to
    the limit (CFPB 2023: 18 % of BNPL borrowers are delinquent on another account); with
    a share of 0 nobody does, and the other traits are drawn unchanged."""
    n = 40_000
    pool = pool_for({"income": {"initial_arrears_share": 0.18}}, capacity=n)
    depth = -pool.savings / pool.permanent_income
    arrears = depth > 0
    se = np.sqrt(0.18 * 0.82 / n)
    assert abs(arrears.mean() - 0.18) < 4 * se
    limit = pool.rules.income.other_debt_limit_months
    assert abs(depth[arrears].mean() - limit / 2) < 0.03
    none = pool_for({"income": {"initial_arrears_share": 0.0}}, capacity=n)
    assert (none.savings >= 0).all()
    assert np.array_equal(none.kind, pool.kind)
    assert np.array_equal(none.savings[~arrears], pool.savings[~arrears])


def test_job_risk_has_mean_one_and_falls_with_income():
    """log risk = s (-0.5 z_income + sqrt(0.75) z) - s^2 / 2: mean 1, variance e^{s^2} - 1,
    and correlation -0.5 between log risk and log income."""
    n, s = 200_000, 0.5
    pool = pool_for({"income": {"job_loss_dispersion": s}}, capacity=n)
    var = np.exp(s * s) - 1
    assert abs(pool.job_risk.mean() - 1.0) < 4 * np.sqrt(var / n)
    rho = np.corrcoef(np.log(pool.job_risk), np.log(pool.permanent_income))[0, 1]
    assert abs(rho + 0.5) < 4 * (1 - 0.25) / np.sqrt(n)


def test_permanent_income_is_lognormal_around_the_median():
    n = 100_000
    pool = pool_for({"income": {"median_monthly": 4000.0, "dispersion": 0.4}}, capacity=n)
    log_income = np.log(pool.permanent_income)
    assert abs(log_income.mean() - np.log(4000.0)) < 4 * 0.4 / np.sqrt(n)
    assert abs(log_income.std() - 0.4) < 4 * 0.4 / np.sqrt(2 * n)


@pytest.mark.parametrize("change", [{"willingness_mean": 0.9},
                                    {"willingness_concentration": 10.0},
                                    {"willingness_mean": 1.0}])
def test_a_willingness_change_keeps_every_other_trait(change):
    a = pool_for({"repayment": {"willingness_mean": 0.97, "willingness_concentration": 4.0}})
    b = pool_for({"repayment": {"willingness_mean": 0.97, "willingness_concentration": 4.0,
                                **change}})
    for name in ("permanent_income", "job_risk", "autopay", "spend_trait", "savings"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@pytest.mark.parametrize(("mean", "concentration"), [(0.97, 40.0), (0.9, 4.0), (0.5, 2.0)])
def test_willingness_is_beta_with_the_configured_mean_and_concentration(mean, concentration):
    """Beta(m k, (1 - m) k) has mean m and variance m (1 - m) / (k + 1); the sample mean and
    variance are within 4 standard errors (the variance's from the fourth central moment)."""
    n = 100_000
    w = pool_for({"repayment": {"willingness_mean": mean,
                                "willingness_concentration": concentration}},
                 capacity=n).willingness
    var = mean * (1 - mean) / (concentration + 1)
    assert abs(w.mean() - mean) < 4 * np.sqrt(var / n)
    m4 = np.mean((w - mean) ** 4)
    assert abs(w.var() - var) < 4 * np.sqrt((m4 - var**2) / n)


@pytest.mark.parametrize(("concentration", "means", "numerical"),
                         [(4.0, (0.8, 0.9), False), (40.0, (0.94, 0.97), True)])
def test_a_higher_willingness_mean_lowers_nobodys_willingness(concentration, means, numerical):
    """Exactly where both Betas are inverted by betaincinv (a small book; concentration 4: a
    pole), and on these uniforms too where both are inverted numerically (concentration 40 on
    a path's worth of slots)."""
    for mean in means:
        uses = beta_inverse(mean * concentration, (1 - mean) * concentration) is not None
        assert uses == numerical, mean
    rep = {"willingness_concentration": concentration}
    low = pool_for({"repayment": {**rep, "willingness_mean": means[0]}}).willingness
    high = pool_for({"repayment": {**rep, "willingness_mean": means[1]}}).willingness
    assert np.all(high >= low) and np.any(high > low)
    u = willingness_uniforms(PINV_MIN_DRAWS, seed=5)
    low, high = (willingness(m, concentration, u) for m in means)
    assert np.all(high >= low) and np.any(high > low)
    assert np.all(pool_for({"repayment": {"willingness_mean": 1.0}}).willingness == 1.0)
    assert np.all(pool_for({"repayment": {"willingness_mean": 0.0}}).willingness == 0.0)


def test_willingness_inverts_numerically_only_from_pinv_min_draws_uniforms():
    """Below :data:`PINV_MIN_DRAWS` uniforms the trait is betaincinv's to the bit; from there on
    it is the numerical inverse's (which differs from it: the test can tell them apart)."""
    a, b = 0.97 * 40.0, (1.0 - 0.97) * 40.0  # as willingness computes them (b 1.2 + 1e-15)
    u = RNG(3).random(PINV_MIN_DRAWS)
    inverse = beta_inverse(a, b)
    assert inverse is not None
    assert np.array_equal(willingness(0.97, 40.0, u[:-1]), betaincinv(a, b, u[:-1]))
    w = willingness(0.97, 40.0, u)
    assert np.array_equal(w, inverse(u))
    assert not np.array_equal(w, betaincinv(a, b, u))


U_BOUND = 1.2 * WILLINGNESS_U_RESOLUTION
"""The u-error allowed the numerical inverse off the points of its own estimate (the setup
is kept only where that estimate is within the resolution); measured at most 1.1e-14."""


def willingness_uniforms(n: int, seed: int) -> np.ndarray:
    """``n`` uniforms as the traits stream draws them (multiples of 2^-53 in [0, 1)), then
    both tails: 0, 2^-53 and on up to 0.1, 1 - 2^-53 and on down to 0.9."""
    steps = np.unique(np.round(np.logspace(0, 15.5, 300))) * 2.0**-53
    return np.concatenate([RNG(seed).random(n), [0.0], steps, 1.0 - steps])


def assert_willingness_within_the_resolution(mean: float, concentration: float,
                                             u: np.ndarray) -> bool:
    """The willingness of ``u`` (and, for the numerical inverse, of ``u`` padded to
    :data:`PINV_MIN_DRAWS` uniforms) is finite, in [0, 1] and either betaincinv's own values or
    within :data:`U_BOUND` of ``u`` in u; True when it is the numerical inverse's."""
    a, b = mean * concentration, (1.0 - mean) * concentration
    if u.size < PINV_MIN_DRAWS:  # as many uniforms as a large book's slots
        u = np.concatenate([u, np.resize(u, PINV_MIN_DRAWS - u.size)])
    w = willingness(mean, concentration, u)
    assert w.shape == u.shape and np.all(np.isfinite(w))
    assert np.all((w >= 0.0) & (w <= 1.0))
    if a <= 0.0 or b <= 0.0:
        assert np.all(w == (1.0 if b <= 0.0 else 0.0))
        return False
    if beta_inverse(a, b) is None:
        assert np.array_equal(w, betaincinv(a, b, u))
        return False
    error = np.abs(betainc(a, b, w) - u)
    assert error.max() <= U_BOUND, (mean, concentration, error.max())
    return True


# pairs (mean, concentration) of which the numerical inverse is set up to the resolution
# (the shipped one first; 0.9, 68.1292 has the largest u-error measured, 1.1e-14), then pairs
# that fall back: poles, an error estimate above the resolution (0.97, 100; 0.02, 3162.2777),
# setups that would run on (0.97, 68.1292; 0.97, 10000)
INVERTED = [(0.97, 40.0), (0.5, 2.0), (0.94, 40.0), (0.86, 40.0), (0.56, 40.0), (0.9, 68.1292),
            (0.4, 681.2921), (0.001, 1000.0), (0.5, 10.0), (0.76, 4.6416)]
FALLING_BACK = [(0.97, 4.0), (0.5, 1.0), (0.03, 10.0), (0.97, 100.0), (0.02, 3162.2777),
                (0.97, 68.1292), (0.97, 10000.0)]


@pytest.mark.parametrize(("mean", "concentration"), INVERTED + FALLING_BACK)
def test_willingness_is_within_the_resolution_in_u_or_betaincinvs(mean, concentration):
    u = willingness_uniforms(PINV_MIN_DRAWS, seed=21)
    numerical = assert_willingness_within_the_resolution(mean, concentration, u)
    assert numerical == ((mean, concentration) in INVERTED)


@settings(max_examples=40, deadline=None)
@given(mean=st.floats(0.0, 1.0),
       concentration=st.one_of(st.floats(0.0, 1e4, exclude_min=True),
                               st.floats(0.0, 4.0).map(lambda e: 10.0**e)),
       seed=st.integers(0, 2**32 - 1))
def test_willingness_over_the_allowed_parameters(mean, concentration, seed):
    """Over the config's ranges (mean in [0, 1], concentration in (0, 1e4], also drawn
    log-uniform from [1, 1e4] so that the numerical inverse is met)."""
    numerical = assert_willingness_within_the_resolution(mean, concentration,
                                                         willingness_uniforms(2_000, seed))
    event("numerical inverse" if numerical else "betaincinv or degenerate")


def test_repayment_knobs_other_than_willingness_keep_the_traits():
    a = pool_for({"repayment": {"forget_prob": 0.01, "max_cash_share": 0.9}})
    b = pool_for({"repayment": {"forget_prob": 0.2, "max_cash_share": 0.5,
                                "partial_payments": False, "miss_prob": 0.4}})
    for name in ("permanent_income", "job_risk", "willingness", "autopay", "spend_trait",
                 "score", "savings"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


# -- jobs and income -------------------------------------------------------------------------------
def unemployment_path(pool: BorrowerPool, u: float, months: int, seed: int) -> np.ndarray:
    rng = RNG(seed)
    shares = []
    for _ in range(months):
        pool.step_income(pool.capacity, u, rng)
        shares.append(1.0 - pool.employed.mean())
    return np.array(shares)


def equal_hazards(h: float) -> dict:
    """Income keys for a job-finding hazard h whatever the spell's length or the macro rate,
    the borrowers' unemployment rate the macro rate (cyclical sensitivity 1), and every
    borrower employed at onboarding."""
    return {"job_finding_short": h, "job_finding_long": h, "job_finding_elasticity": 0.0,
            "cyclical_sensitivity": 1.0, "applicant_unemployment_ratio": 0.0}


def expected_path(job_risk: np.ndarray, u: float, h: float, months: int) -> np.ndarray:
    """Mean over borrowers of P(unemployed after month t), each a two-state chain."""
    lam = np.minimum(h * u / (1 - u) * job_risk, 1.0)
    pi = np.zeros_like(job_risk)
    out = []
    for _ in range(months):
        pi = pi * (1 - h) + (1 - pi) * lam
        out.append(pi.mean())
    return np.array(out)


@pytest.mark.parametrize("u", [0.05, 0.12])
def test_unemployment_settles_at_the_macro_rate_with_equal_hazards(u):
    """Job loss h u / (1 - u), job finding h: the share unemployed converges to u along
    u (1 - (1 - h / (1 - u))^t), within 4 binomial standard errors every month."""
    n, months, h = 50_000, 48, 0.2
    pool = pool_for({"income": {"job_loss_dispersion": 0.0, **equal_hazards(h)}},
                    capacity=n)
    share = unemployment_path(pool, u, months, seed=1)
    t = np.arange(1, months + 1)
    expected = u * (1 - (1 - h / (1 - u)) ** t)
    assert np.allclose(expected, expected_path(np.ones(1), u, h, months))
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(share - expected) < 4 * se)
    assert abs(share[-12:].mean() - u) < 4 * np.sqrt(u * (1 - u) / n)


def test_unemployment_with_unequal_job_risk_follows_each_borrowers_hazard():
    n, months, u, h = 50_000, 36, 0.08, 0.2
    pool = pool_for({"income": {"job_loss_dispersion": 0.8, **equal_hazards(h)}},
                    capacity=n)
    expected = expected_path(pool.job_risk, u, h, months)
    share = unemployment_path(pool, u, months, seed=2)
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(share - expected) < 4 * se)
    # unequal risks settle a little below u (the hazard is concave in the risk), not far
    assert u - 0.01 < expected[-1] < u


def test_income_while_employed_and_unemployed():
    pool = pool_for({"income": {"transitory_sd": 0.0, "replacement_rate": 0.35,
                                **equal_hazards(0.5)}}, capacity=4000)
    pool.step_income(4000, 0.3, RNG(5))
    employed = pool.employed
    assert 0 < employed.sum() < 4000
    assert np.allclose(pool.income[employed], pool.permanent_income[employed])
    assert np.allclose(pool.income[~employed], 0.35 * pool.permanent_income[~employed])


def test_without_income_shocks_income_and_jobs_are_frozen_and_savings_follow_the_budget():
    inc = {"shocks": False, "essential_share": 0.7, "savings_cap_months": 3.0}
    pool = pool_for({"income": inc, "repayment": {"types": {"constrained": 0.0}}}, capacity=500)
    pool.savings[:250] = 0.0
    for month in range(6):
        before = pool.savings.copy()
        pool.step_income(500, 0.4, RNG(month))
        assert pool.employed.all()
        assert np.array_equal(pool.income, pool.permanent_income)
        budget = before + 0.3 * pool.permanent_income
        assert np.allclose(pool.savings, np.minimum(budget, 3.0 * pool.permanent_income))


def test_step_income_moves_only_onboarded_borrowers():
    pool = pool_for({"income": {"transitory_sd": 0.2}}, capacity=100)
    later = (pool.income[60:].copy(), pool.savings[60:].copy(), pool.employed[60:].copy())
    pool.step_income(60, 0.3, RNG(6))
    assert np.array_equal(pool.income[60:], later[0])
    assert np.array_equal(pool.savings[60:], later[1])
    assert np.array_equal(pool.employed[60:], later[2])
    assert not np.array_equal(pool.income[:60], pool.permanent_income[:60])


def test_expense_shocks_hit_with_their_probability():
    n, p = 100_000, 0.1
    inc = {"expense_shock_prob": p, "transitory_sd": 0.0, **equal_hazards(0.0),
           "essential_share": 0.0, "savings_cap_months": 100.0, "expense_shock_months": 1.0}
    pool = pool_for({"income": inc, "repayment": {"types": {"constrained": 0.0}}}, capacity=n)
    before = pool.savings.copy()
    pool.step_income(n, 0.0001, RNG(8))
    employed = pool.employed
    gain = (pool.savings - before)[employed]
    shortfall = (pool.permanent_income[employed] - gain) > 1e-6
    assert abs(shortfall.mean() - p) < 4 * np.sqrt(p * (1 - p) / employed.sum())


# -- spending and plans ---------------------------------------------------------------------------
def test_purchase_probability():
    n, p = 200_000, 0.7
    pool = pool_for({"spending": {"purchase_prob": p}}, capacity=n)
    amount = pool.desired_purchases(n, RNG(9))
    assert amount.dtype == np.int64 and (amount >= 0).all()
    assert abs((amount > 0).mean() - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_desired_spending_is_a_share_of_income_doubled_under_stress():
    sp = {"purchase_prob": 1.0, "dispersion": 0.0, "share_of_income": 0.15,
          "stress_multiplier": 2.0}
    pool = pool_for({"spending": sp}, capacity=4)
    pool.income[:] = [1000.0, 1000.0, 2000.0, 2000.0]
    pool.permanent_income[:] = 1000.0
    pool.savings[:] = [5000.0, 10.0, 5000.0, 999.99]
    amount = pool.desired_purchases(4, RNG(10))
    assert amount.tolist() == [15_000, 30_000, 30_000, 60_000]


def plan_shares(terms: np.ndarray) -> np.ndarray:
    return np.array([(terms == t).mean() for t in PLAN_TERMS])


def assert_mix(terms: np.ndarray, weights: dict[int, float]) -> None:
    w = np.array([weights.get(t, 0.0) for t in PLAN_TERMS])
    p = w / w.sum()
    se = np.sqrt(p * (1 - p) / terms.size)
    assert np.all(np.abs(plan_shares(terms) - p) <= 4 * se + 1e-12), plan_shares(terms)


@pytest.mark.parametrize("mix", [{0: 0.55, 3: 0.2, 6: 0.15, 12: 0.1}, {3: 1.0, 12: 3.0},
                                 {0: 1.0}])
def test_plan_choice_follows_plan_mix(mix):
    n = 200_000
    pool = pool_for({"spending": {"plan_mix": mix, "stress_tilt": 1.0}}, capacity=n)
    terms = pool.choose_plan(n, RNG(11))
    assert set(np.unique(terms).tolist()) <= {t for t, w in mix.items() if w > 0}
    assert_mix(terms, mix)


def test_stressed_borrowers_tilt_towards_instalments():
    n, tilt = 200_000, 3.0
    mix = {0: 0.55, 3: 0.2, 6: 0.15, 12: 0.1}
    pool = pool_for({"spending": {"plan_mix": mix, "stress_tilt": tilt}}, capacity=n)
    stressed = pool.savings < pool.permanent_income
    assert 0.2 < stressed.mean() < 0.9
    terms = pool.choose_plan(n, RNG(12))
    assert_mix(terms[~stressed], mix)
    assert_mix(terms[stressed], {t: w * (tilt if t else 1.0) for t, w in mix.items()})


@pytest.mark.parametrize("mix", [{0: 0.55, 3: 0.2, 6: 0.15, 12: 0.1}, {0: 0.0, 3: 1.0},
                                 {0: 0.5, 12: 0.5}])
def test_plan_choice_is_the_inverse_cdf_of_the_mix(mix):
    """Each borrower's plan is the searchsorted inverse CDF of its own uniform draw."""
    n, tilt = 20_000, 2.0
    pool = pool_for({"spending": {"plan_mix": mix, "stress_tilt": tilt}}, capacity=n)
    terms = pool.choose_plan(n, RNG(15))
    u = RNG(15).random(n)
    weights = np.array([mix.get(t, 0.0) for t in PLAN_TERMS])
    tilted = weights * np.where(np.array(PLAN_TERMS) > 0, tilt, 1.0)
    stressed = pool.savings < pool.permanent_income
    pick = np.where(stressed, np.searchsorted(np.cumsum(tilted) / tilted.sum(), u, side="right"),
                    np.searchsorted(np.cumsum(weights) / weights.sum(), u, side="right"))
    assert terms.tolist() == np.array(PLAN_TERMS)[np.minimum(pick, 3)].tolist()


# -- paying -----------------------------------------------------------------------------------
def test_bernoulli_borrowers_pay_all_or_nothing():
    n, p = 200_000, 0.3
    pool = pool_for({"repayment": {"model": "bernoulli", "miss_prob": p}}, capacity=n)
    owed = RNG(13).integers(0, 100_000, n)
    paid = pool.payments(owed, RNG(14))
    assert np.all((paid == 0) | (paid == owed))
    has_bill = owed > 0
    missed = (paid == 0)[has_bill]
    assert abs(missed.mean() - p) < 4 * np.sqrt(p * (1 - p) / has_bill.sum())


def test_only_borrowers_without_autopay_forget():
    rep = {"willingness_mean": 1.0, "forget_prob": 1.0, "disorganised_forget_prob": 1.0,
           "autopay_share": 0.5,
           "types": {"unwilling": 0.0, "first_payment_default": 0.0}}
    pool = pool_for({"repayment": rep}, capacity=2000)
    pool.savings[:] = 1e6
    owed = np.full(2000, 5_000, dtype=np.int64)
    paid = pool.payments(owed, RNG(15))
    assert np.array_equal(paid > 0, pool.autopay)
    assert (paid[pool.autopay] == 5_000).all()


def test_cash_limits_payment_partially_or_entirely():
    rep = {"willingness_mean": 1.0, "forget_prob": 0.0, "max_cash_share": 0.5}
    owed = np.array([10_000, 10_000, 10_000], dtype=np.int64)
    for partial, expected in ((True, [10_000, 5_000, 0]), (False, [10_000, 0, 0])):
        pool = pool_for({"repayment": {**rep, "partial_payments": partial}}, capacity=3)
        pool.savings[:] = [1_000.0, 100.0, 0.0]
        paid = pool.payments(owed, RNG(16))
        assert paid.tolist() == expected
        assert np.allclose(pool.savings, [1_000.0, 100.0, 0.0] - paid / 100.0)


def test_unwilling_borrowers_pay_nothing():
    pool = pool_for({"repayment": {"forget_prob": 0.0}}, capacity=4)
    pool.willingness[:] = [0.0, 1.0, 0.0, 1.0]
    pool.savings[:] = 1e6
    paid = pool.payments(np.full(4, 100, dtype=np.int64), RNG(17))
    assert paid.tolist() == [0, 100, 0, 100]


def test_score_moves_with_payment_history_and_stays_on_the_scale():
    sc = {"on_time_gain": 3.0, "missed_loss": 40.0, "cure_gain": 10.0}
    pool = pool_for({"score": sc}, capacity=5)
    pool.score[:] = [700.0, 700.0, 700.0, 899.0, 320.0]
    on_time = np.array([True, False, False, True, False])
    missed = np.array([False, True, False, False, True])
    cured = np.array([False, False, True, False, False])
    pool.update_score(on_time, missed, cured)
    assert pool.score.tolist() == [703.0, 660.0, 710.0, SCORE_MAX, SCORE_MIN]


def test_mean_spell_formula_matches_simulated_spells():
    """Spells with hazard hs for L months then hl last (1 - (1-hs)^L)/hs + (1-hs)^L/hl
    months on average; simulated spells agree within 4 standard errors."""
    inc = {"job_finding_short": 0.3, "job_finding_long": 0.1, "long_term_months": 4,
           "job_finding_elasticity": 0.0, "job_loss_dispersion": 0.0}
    cfg = load_config({"income": inc, "macro": {"unemployment_base": 0.05}})
    expected = cfg.income.mean_spell_months(0.05, 0.05)
    assert expected == pytest.approx((1 - 0.7**4) / 0.3 + 0.7**4 / 0.1)
    n = 20_000
    pool = pool_for({"income": inc}, capacity=n)
    pool.employed[:] = False
    rng = RNG(11)
    months = np.zeros(n)
    for _ in range(200):
        still = ~pool.employed
        months += still
        pool.step_income(n, 1e-9, rng)  # (almost) no new job losses
    assert pool.employed.mean() > 0.999
    se = months.std() / np.sqrt(n)
    assert abs(months.mean() - expected) < 4 * se


def test_recessions_lengthen_spells_and_duration_dependence_keeps_the_macro_rate():
    """Hazards scale with (u_base / u): doubling u halves both hazards, which lengthens the
    mean spell to the piecewise-geometric formula's value (more than 1.3 times); with
    duration dependence the job-loss hazard still holds the unemployed share at the
    borrowers' rate g = u_base + cyclical_sensitivity (u - u_base)."""
    cfg = load_config({"macro": {"unemployment_base": 0.05}})
    inc = cfg.income
    hs, hl, k = inc.job_finding_short / 2, inc.job_finding_long / 2, inc.long_term_months
    expected = (1 - (1 - hs) ** k) / hs + (1 - hs) ** k / hl
    assert inc.mean_spell_months(0.10, 0.05) == pytest.approx(expected)
    assert inc.mean_spell_months(0.10, 0.05) > 1.3 * inc.mean_spell_months(0.05, 0.05)
    assert inc.job_finding(10, 0.05, 0.05) < inc.job_finding(0, 0.05, 0.05)
    n, u = 40_000, 0.08
    pool = pool_for({"income": {"job_loss_dispersion": 0.0}}, capacity=n)
    share = unemployment_path(pool, u, 120, seed=3)
    g = pool.rules.income.borrowers_rate(u, pool.rules.unemployment_base)
    assert g == pytest.approx(0.05 + pool.rules.income.cyclical_sensitivity * 0.03)
    assert abs(share[-24:].mean() - g) < 0.006


def test_benefits_end_and_spending_is_cut_while_unemployed():
    inc = {"transitory_sd": 0.0, "replacement_rate": 0.4, "benefit_months": 2,
           "assistance_rate": 0.1, **equal_hazards(0.0), "essential_share": 0.5,
           "consumption_cut_benefits": 0.1, "consumption_cut_exhausted": 0.2,
           "expense_shock_prob": 0.0}
    pool = pool_for({"income": inc, "repayment": {"types": {"constrained": 0.0}}}, capacity=10)
    pool.employed[:] = False
    pool.savings[:] = 0.0
    perm = pool.permanent_income.copy()
    seen = []
    for month in range(4):
        before = pool.savings.copy()
        pool.step_income(10, 0.05, RNG(month))
        seen.append(pool.income / perm)
        cut = 0.1 if month < 2 else 0.2
        assert np.allclose(pool.savings, before + pool.income - 0.5 * perm * (1 - cut))
    assert np.allclose(seen, [[0.4] * 10, [0.4] * 10, [0.1] * 10, [0.1] * 10])


def test_debts_elsewhere_leave_less_room_for_the_line_as_unemployment_rises():
    """The room shrinks by (u_base / u) ** elasticity above the base rate (never beyond
    the limit below it): doubling the rate at elasticity 0.2
    leaves 0.5 ** 0.2 = 87 % of it; the cash an arrangement finds for a borrower deep in
    debt elsewhere shrinks with it, while the savings floor stays at the limit."""
    rules = {"income": {"other_debt_limit_months": 2.0, "other_debt_supply_elasticity": 0.2,
                        "shocks": False, "expense_shock_prob": 0.0}}
    pool = pool_for(rules, capacity=4)
    inc, u_base = pool.rules.income, pool.rules.unemployment_base
    assert inc.other_debt_room_months(u_base, u_base) == 2.0
    assert inc.other_debt_room_months(0.5 * u_base, u_base) == 2.0  # never beyond the limit
    assert inc.other_debt_room_months(2 * u_base, u_base) == pytest.approx(2.0 * 0.5 ** 0.2)
    fixed = pool_for({"income": {"other_debt_supply_elasticity": 0.0}})
    assert fixed.rules.income.other_debt_room_months(2 * u_base, u_base) == 2.0
    pool.savings[:] = -1.9 * pool.permanent_income[:4]
    pool.disposable[:] = pool.permanent_income[:4]
    before = pool.cash_for_bill(4, 1.0, 1.0)
    pool.step_income(4, 2 * u_base, RNG(0))
    assert pool.room_months == pytest.approx(2.0 * 0.5 ** 0.2)
    pool.savings[:] = -1.9 * pool.permanent_income[:4]
    pool.disposable[:] = pool.permanent_income[:4]
    assert (before > 0).all() and (pool.cash_for_bill(4, 1.0, 1.0) == 0).all()
    pool.savings[:] = -5.0 * pool.permanent_income[:4]
    pool.step_income(4, 2 * u_base, RNG(1))
    assert np.allclose(pool.savings[:4], -2.0 * pool.permanent_income[:4])


def test_reemployment_lowers_permanent_income():
    inc = {**equal_hazards(1.0), "reemployment_income_loss": 0.1, "transitory_sd": 0.0}
    pool = pool_for({"income": inc}, capacity=50)
    perm = pool.permanent_income.copy()
    pool.employed[:25] = False
    pool.months_unemployed[:25] = 3
    pool.step_income(50, 1e-9, RNG(0))
    assert pool.employed[:25].all()
    assert np.allclose(pool.permanent_income[:25], 0.9 * perm[:25])
    assert np.array_equal(pool.permanent_income[25:], perm[25:])


def test_job_losses_carry_unemployment_along_a_rising_path():
    """The job-loss hazard solves the flow identity u' = u + s (1 - u) - f u: while the
    macro rate climbs from 5 % to 10 % over 12 months the borrowers' unemployment climbs
    with it, where a steady-state hazard (the rate's own level only) would lag behind."""
    n, h = 60_000, 0.25
    cfg = {"income": {"job_loss_dispersion": 0.0, **equal_hazards(h)}}
    inc = load_config(cfg).income
    assert inc.job_loss(0.05, 0.05, 0.05) == pytest.approx(0.05 * h / 0.95)
    assert inc.job_loss(0.05, 0.06, 0.05) == pytest.approx((0.01 + 0.05 * h) / 0.95)
    assert inc.job_loss(0.10, 0.05, 0.05) == 0.0  # a fall faster than outflows allow
    ramp = np.r_[np.full(36, 0.05), np.linspace(0.05, 0.10, 13)[1:]]
    ends = {}
    for follow in (True, False):
        pool = pool_for(cfg, capacity=n)
        rng = RNG(5)
        for t, u in enumerate(ramp):
            nxt = ramp[min(t + 1, ramp.size - 1)] if follow else None
            pool.step_income(n, float(u), rng, nxt)
        ends[follow] = 1.0 - pool.employed.mean()
    assert abs(ends[True] - 0.10) < 0.006
    assert ends[False] < 0.09


def test_cyclical_sensitivity_scales_the_borrowers_rise_hand_worked():
    """Sensitivity 1.5, u_base 5 %, every spell ending at h = 0.25 a month: the borrowers'
    rate is 5 % + 1.5 (u - 5 %). At rest nothing changes, s = 0.05 h / 0.95; the economy
    moving from 5 % to 6 % moves the borrowers from 5 % to 6.5 %, s = (0.015 + 0.05 h) /
    0.95; held at 7 % (borrowers at 8 %), s = 0.08 h / 0.92; at 2 %, 0.5 %: s = 0.005 h /
    0.995; at 1 % the borrowers' rate would be -1 %: it stops at 0, and so do job losses."""
    h = 0.25
    inc = load_config({"income": {**equal_hazards(h), "cyclical_sensitivity": 1.5}}).income
    assert inc.borrowers_rate(0.07, 0.05) == pytest.approx(0.08)
    assert inc.job_loss(0.05, 0.05, 0.05) == pytest.approx(0.05 * h / 0.95)
    assert inc.job_loss(0.05, 0.06, 0.05) == pytest.approx((0.015 + 0.05 * h) / 0.95)
    assert inc.job_loss(0.07, 0.07, 0.05) == pytest.approx(0.08 * h / 0.92)
    assert inc.job_loss(0.02, 0.02, 0.05) == pytest.approx(0.005 * h / 0.995)
    assert inc.borrowers_rate(0.01, 0.05) == 0.0
    assert inc.job_loss(0.01, 0.01, 0.05) == 0.0
    same = load_config({"income": equal_hazards(h)}).income
    assert same.job_loss(0.05, 0.06, 0.05) == pytest.approx((0.01 + 0.05 * h) / 0.95)


def test_sensitive_borrowers_unemployment_rises_by_the_multiple():
    """With sensitivity 1.5 the economy's climb from 5 % to 10 % takes the borrowers' rate
    from 5 % to 12.5 %; with sensitivity 1 to 10 %."""
    n, h = 60_000, 0.25
    ramp = np.r_[np.full(36, 0.05), np.linspace(0.05, 0.10, 13)[1:]]
    for beta, end in ((1.5, 0.125), (1.0, 0.10)):
        cfg = {"income": {"job_loss_dispersion": 0.0, **equal_hazards(h),
                          "cyclical_sensitivity": beta}}
        pool = pool_for(cfg, capacity=n)
        rng = RNG(5)
        for t, u in enumerate(ramp):
            pool.step_income(n, float(u), rng, float(ramp[min(t + 1, ramp.size - 1)]))
        assert abs((1.0 - pool.employed.mean()) - end) < 0.006, beta


def test_onboarding_unemployment_hand_worked():
    """u = u_base = 5 %, every spell ending at h = 0.25 a month (mean 4 months): the steady
    inflow is s = 0.05 h / 0.95, so x = r s E = r 0.05 / 0.95 and an applicant of risk r is
    out of work with chance x / (1 + x): 0.05 at r = 1, 0.1 / 1.05 at r = 2, half that at
    applicant_unemployment_ratio 0.5. The unemployed stock is geometric in elapsed months,
    P(d) = 0.25 x 0.75^d: CDF 0.25, 0.4375, ...; a uniform of 0.945 is 10 months in."""
    h = 0.25
    inc = load_config({"income": equal_hazards(h) | {"applicant_unemployment_ratio": 1.0}}).income
    p = inc.onboarding_unemployed_prob(np.array([1.0, 2.0]), 0.05, 0.05)
    assert p == pytest.approx([0.05, 0.1 / 1.05])
    half = load_config({"income": equal_hazards(h) | {"applicant_unemployment_ratio": 0.5}})
    assert half.income.onboarding_unemployed_prob(1.0, 0.05, 0.05) == pytest.approx(0.025)
    v = np.array([0.2, 0.25, 0.3, 0.44, 0.8, 0.945])
    assert inc.elapsed_spell_months(v, 0.05, 0.05).tolist() == [0, 1, 1, 2, 5, 10]


def test_new_borrowers_start_at_the_stationary_unemployment_once():
    """With equal risks the first month's onboarding puts 5 % out of work (stationary: the
    month's flows keep it there), spells already under way; slots onboarded earlier are
    not drawn again when the book grows."""
    n, h = 60_000, 0.25
    cfg = {"income": equal_hazards(h) | {"applicant_unemployment_ratio": 1.0,
                                         "job_loss_dispersion": 0.0}}
    pool = pool_for(cfg, capacity=2 * n)
    pool.step_income(n, 0.05, RNG(1))
    share = 1.0 - pool.employed[:n].mean()
    assert abs(share - 0.05) < 4 * np.sqrt(0.05 * 0.95 / n)
    spells = pool.months_unemployed[:n][~pool.employed[:n]]
    assert spells.mean() > 2.0  # elapsed months (geometric, mean 3) plus this month's
    assert np.all(pool.employed[n:])
    before = pool.employed[:n].copy()
    pool.rules = BorrowerRules.of(small_config({"income": {**cfg["income"],
                                                            "job_finding_short": 1.0,
                                                            "job_finding_long": 1.0}}))
    pool.step_income(2 * n, 1e-9, RNG(2))  # everyone out of work finds a job, no losses
    assert np.all(pool.employed[:n][~before])
    assert np.all(pool.employed[n:])  # at u = 1e-9 nobody is out of work at onboarding


def test_an_unemployed_applicant_has_spent_the_spell_so_far_hand_worked():
    """Essentials 0.7 of income, benefit 0.35 for 2 months then 0.1, cuts 0.06 / 0.18: a
    benefit month costs 0.7 x 0.94 - 0.35 = 0.308 months of income, a later one 0.7 x 0.82
    - 0.1 = 0.474; 5 months in: 2 x 0.308 + 3 x 0.474 = 2.038 months."""
    inc = load_config({"income": {"replacement_rate": 0.35, "benefit_months": 2,
                                  "assistance_rate": 0.1, "consumption_cut_benefits": 0.06,
                                  "consumption_cut_exhausted": 0.18}}).income
    got = inc.spell_cost_months(np.array([0, 1, 5]), 0.7)
    assert got == pytest.approx([0.0, 0.308, 2.038])
    assert inc.spell_cost_months(3, 0.2) == 0.0  # benefits above essentials: nothing spent


def test_the_pools_months_and_instalments_fit_their_dtypes_for_every_valid_config():
    from sim.config import BookConfig, ChannelConfig
    from sim.ledger import MAX_ACCOUNT_CENTS

    def largest(model: type, field: str) -> int:
        return next(m.le for m in model.model_fields[field].metadata if hasattr(m, "le"))

    pool = pool_for(capacity=4)
    last_month = largest(BookConfig, "horizon_months") + largest(ChannelConfig,
                                                                   "arrangement_months")
    for months in (pool.arrangement_until, pool.nudged_month):
        assert last_month <= np.iinfo(months.dtype).max
    # an arrangement's instalment is at most the balance, which the ledger keeps below this
    assert MAX_ACCOUNT_CENTS <= np.iinfo(pool.plan_instalment.dtype).max
