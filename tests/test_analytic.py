"""Charge-off timing against its closed form.

Benchmark book: no income shocks, no collections, every borrower buys every month
they are not frozen and pays in full, and each bill is missed entirely with a fixed
probability p (``repayment.model: bernoulli``). A borrower onboarded in month 0 buys on
day 25 of month 0, so a bill is due on the due date of every month from month 1 on:
after a payment the borrower buys again on day 25 and is billed next month; after a
miss the unpaid bill is still owed. The due dates are Bernoulli trials, and with the
default ``chargeoff_dpd`` of 180 the account is charged off at the 06:00 batch of the
due day that follows the sixth consecutive miss.

So the number of consecutive misses is a Markov chain on 0..5 plus an absorbing
charged-off state, stepped once per due date; trial j is the due date of month j and
absorption at trial j means a charge-off in month j + 1. A horizon of T months (0..T-1)
therefore sees charge-offs from trials 1..T-2. The number of trials J until six
misses in a row has mean (1 - p^6) / ((1 - p) p^6).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers_engine import bernoulli_config
from scipy import stats

from sim.engine import simulate_path

RUN = 6  # consecutive missed due dates that lead to a charge-off at chargeoff_dpd 180

pytestmark = pytest.mark.slow


def transition(p: float) -> np.ndarray:
    """States 0..5: misses in a row; state 6: charged off."""
    P = np.zeros((RUN + 1, RUN + 1))
    for k in range(RUN):
        P[k, 0] = 1 - p
        P[k, k + 1] = p
    P[RUN, RUN] = 1.0
    return P


def absorbed_by(p: float, trials: int) -> np.ndarray:
    """c[j] = P(charged off within trials 1..j), j = 0..trials (numpy matrix powers)."""
    P = transition(p)
    return np.array([np.linalg.matrix_power(P, j)[0, RUN] for j in range(trials + 1)])


def benchmark(p: float, borrowers: int, months: int, seed: int) -> np.ndarray:
    """Accounts charged off in each month of one path of the benchmark book."""
    config = bernoulli_config(
        p, {"collections": {"enabled": False}},
        initial_borrowers=borrowers, new_borrowers_per_month=0, horizon_months=months,
    )
    assert config.billing.chargeoff_dpd == 180
    return simulate_path(config, seed, 0).monthly["charged_off_accounts"]


def test_chain_mean_is_the_closed_form_waiting_time():
    for p in (0.3, 0.5, 0.8):
        Q = transition(p)[:RUN, :RUN]
        mean = np.linalg.solve(np.eye(RUN) - Q, np.ones(RUN))[0]
        assert mean == pytest.approx((1 - p**RUN) / ((1 - p) * p**RUN), rel=1e-12)


@pytest.mark.parametrize(("p", "seed"), [(0.3, 1), (0.5, 2)])
def test_share_charged_off_within_the_horizon_matches_the_chain(p, seed):
    n, months = 20_000, 36
    charged = benchmark(p, n, months, seed)
    c = absorbed_by(p, months - 2)
    q = c[-1]
    se = np.sqrt(q * (1 - q) / n)
    assert abs(charged.sum() / n - q) < 4 * se
    # nobody can be charged off before month 7 (six misses at due dates 1..6)
    assert charged[:RUN + 1].sum() == 0
    assert charged[RUN + 1] > 0


@pytest.mark.parametrize(("p", "seed"), [(0.3, 3), (0.5, 4)])
def test_monthly_charge_off_profile_matches_the_chain(p, seed):
    """Charged off by the end of month m ~ Binomial(n, c[m - 1]), every month."""
    n, months = 20_000, 36
    cumulative = np.cumsum(benchmark(p, n, months, seed)) / n
    c = absorbed_by(p, months - 2)
    expected = np.concatenate([[0.0], c])  # month m <- trials up to m - 1
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(cumulative - expected) <= 4 * se)


@pytest.mark.parametrize(("p", "seed"), [(0.3, 5), (0.5, 6)])
def test_monthly_charge_off_counts_fit_the_chain(p, seed):
    """Counts per month 7..35 and never: multinomial with the chain's probabilities."""
    n, months = 20_000, 36
    charged = benchmark(p, n, months, seed)
    c = absorbed_by(p, months - 2)
    probs = np.append(np.diff(c)[RUN - 1:], 1 - c[-1])
    counts = np.append(charged[RUN + 1:], n - charged.sum())
    assert probs.min() * n > 5  # the chi-square approximation holds
    assert stats.chisquare(counts, probs * n).pvalue > 1e-4


def test_mean_time_to_charge_off_is_the_closed_form():
    """With p = 0.8 the mean run length is 14.07 trials; a 240-month horizon leaves a
    5e-11 chance of a borrower not charged off, so every borrower's charge-off month
    J + 1 is seen and the mean of J is compared with the closed form directly. In days
    from onboarding the charge-off comes at 30 (J + 1) + 20.25."""
    p, n, months = 0.8, 10_000, 240
    charged = benchmark(p, n, months, seed=7)
    assert charged.sum() == n
    trials = np.repeat(np.arange(months) - 1, charged)  # J = charge-off month - 1
    mean = (1 - p**RUN) / ((1 - p) * p**RUN)
    c = absorbed_by(p, 600)
    pmf = np.diff(c)
    j = np.arange(1, 601)
    var = (pmf * j**2).sum() - (pmf * j).sum() ** 2
    assert (pmf * j).sum() == pytest.approx(mean, rel=1e-9)
    assert abs(trials.mean() - mean) < 4 * np.sqrt(var / n)
    days = 30 * (trials + 1) + 20.25
    assert abs(days.mean() - (30 * (mean + 1) + 20.25)) < 4 * 30 * np.sqrt(var / n)
    assert trials.min() == RUN
