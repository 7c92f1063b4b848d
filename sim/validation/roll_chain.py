"""Oracle: the engine's delinquency under a roll-rate chain against the chain's algebra.

The engine runs the benchmark book with ``repayment.model: roll_chain``: at each due
date an account k due dates behind misses again with a per-bucket probability, else
pays everything (and closes its line with ``close_prob``). Read at month ends, the
account's bucket is then an absorbing Markov chain (see :mod:`sim.validation.markov`),
and three of its exact results are compared with the simulation: the probability of
ending in charge-off rather than a closed line, the expected months to charge-off, and
the bucket shares of a book fed a steady stream of new accounts.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.config import RunConfig
from sim.delinquency import BUCKETS, CHARGED_OFF, bucket_of
from sim.engine import PathSimulation
from sim.ledger import DAYS_PER_MONTH
from sim.validation.books import benchmark_config
from sim.validation.core import Z_ORACLE, Check, Settings, map_paths, normal_interval, register
from sim.validation.markov import (
    absorption_probabilities,
    absorption_time_pmf,
    conditional_time,
    occupancy,
    roll_chain_matrix,
    stationary_shares,
)

FIRST_MISS, FORWARD, CLOSE_PROB = 0.12, (0.45, 0.80, 0.88, 0.92, 0.95), 0.15
CHAIN: dict[str, object] = {"first_miss": FIRST_MISS, "forward": list(FORWARD),
                            "close_prob": CLOSE_PROB}
"""Forward rolls as in the issue (late rolls of card trusts); first miss and closing fast
enough that almost every account is absorbed within the horizon."""
BOOK = {"quick": (3000, 100, 60), "full": (20_000, 500, 72)}  # first cohort, inflow, months
SOURCE = "absorbing chain (Kemeny & Snell 1960)"
MAPPING = ("Chain step = month end; state k = due dates missed in a row = bucket "
           "(current, 1-30, ..., 151-180: month-end DPD 30k - 20). A k-behind account misses "
           "month m+1's due date (day 20) with the k-th roll; the 151-180 account reaches "
           "180 DPD at day 20's 06:00 charge-off batch, before its payment, so charge-off "
           "month = absorption step.")


def roll_chain_book(mode: str, overrides: dict | None = None) -> RunConfig:
    """The benchmark book under the roll chain :data:`CHAIN` (``mode``: quick or full)."""
    n0, inflow, months = BOOK[mode]
    book = {"initial_borrowers": n0, "new_borrowers_per_month": inflow,
            "horizon_months": months}
    return benchmark_config({"model": "roll_chain", "roll_chain": CHAIN}, book, overrides)


def simulate_states(config: RunConfig, seed: int, path: int) -> dict[str, np.ndarray]:
    """One path: charge-off months of the first cohort and the final month-end states.

    Returns:
        ``chargeoff_steps``: month of charge-off of each first-cohort account that was
        charged off; ``final``: counts of the accounts by month-end state 0..K (buckets),
        K + 1 (closed line), K + 2 (charged off) and K + 3 (open past the charge-off age,
        which the chain forbids) at the last month end; ``rolls``:
        the engine's own roll counts (from bucket, to bucket or charged off), all months.
    """
    sim = PathSimulation(config, seed, path)
    result = sim.run()
    p, n = sim.platform, sim.n
    n0 = config.book.initial_borrowers
    charged = ~p.active[:n0]
    k_max = config.billing.chargeoff_dpd // DAYS_PER_MONTH
    dpd = p.ledger.days_past_due(config.book.horizon_months * DAYS_PER_MONTH, n)
    bucket = bucket_of(dpd)
    state = np.where(bucket > k_max, k_max + 3, bucket)  # past charge-off age: its own bin
    closed = p.active[:n] & (p.limit[:n] == 0) & (p.ledger.balance(n) == 0)
    state = np.where(closed, k_max + 1, state)
    state = np.where(p.active[:n], state, k_max + 2)
    return {"chargeoff_steps": p.chargeoff_month[:n0][charged].astype(np.int64),
            "final": np.bincount(state, minlength=k_max + 4),
            "rolls": np.asarray(result.rolls).sum(axis=0)}


def _share_covariance(P: np.ndarray, transient: int, n0: int, inflow: int,
                      months: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected final month-end shares of the transient states and their covariance, one path.

    Cohort c (n0 accounts at c = 0, ``inflow`` after) is at step months-1-c; its states
    are multinomial with ``P^s[0]``; the ratio's covariance is the delta method's.
    """
    occ = occupancy(P, 0, months)[::-1]  # row c: cohort c's distribution at the last month end
    sizes = np.full(months, float(inflow))
    sizes[0] = n0
    p = occ[:, :transient]
    mean = sizes @ p
    cov = np.diag(mean) - (p * sizes[:, None]).T @ p
    total = mean.sum()
    share = mean / total
    grad = (np.eye(transient) - share[:, None]) / total  # d share_j / d count_k
    return share, grad @ cov @ grad.T


def roll_chain_rows(settings: Settings, paths: int, overrides: dict | None = None,
                    name: str = "roll_chain") -> list[Check]:
    """Compare the engine under the roll chain with the chain's exact results.

    ``overrides`` change the simulated book only (the exact side keeps :data:`CHAIN`
    and 180 days): a test breaks one rule this way and the matching row must fail.
    """
    mode = "quick" if settings.quick else "full"
    config = roll_chain_book(mode, overrides)
    n0, inflow, months = BOOK[mode]
    seed = settings.seed_for(name)
    out = map_paths(simulate_states, [(config, seed, i) for i in range(paths)], settings.workers)
    P = roll_chain_matrix(FIRST_MISS, FORWARD, CLOSE_PROB, 180)
    transient = P.shape[0] - 2
    charged = transient + 1
    rows = [_absorption_row(out, P, transient, charged, n0 * paths, months, name),
            _time_row(out, P, transient, charged, n0 * paths, months, name)]
    rows.append(_roll_rate_row(out, P, transient, name))
    rows += _share_rows(out, P, transient, n0, inflow, months, name)
    return rows


def _roll_rate_row(out: list[dict], P: np.ndarray, transient: int, name: str) -> Check:
    """The engine's recorded roll rates out of the delinquent buckets vs the chain's rolls.

    From bucket k >= 1 an account rolls to k + 1 (or, from the last, to charge-off) or
    pays: a Pearson chi-square over the buckets with a forward roll below 1; a certain
    roll that does not happen makes the statistic infinite.
    """
    rolls = np.sum([o["rolls"] for o in out], axis=0)
    stat, df, parts = 0.0, 0, []
    for k in range(1, transient):
        total = rolls[k].sum()
        last = k + 1 == transient
        forward = rolls[k, CHARGED_OFF if last else k + 1]  # the next bucket, or charge-off
        p = P[k, -1] if last else P[k, k + 1]
        parts.append(f"{BUCKETS[k]} {forward / max(total, 1):.3f} (exact {p:.3f})")
        if p >= 1.0:
            stat += 0.0 if forward == total else np.inf
        elif total:
            stat += (forward - total * p) ** 2 / (total * p * (1 - p))
            df += 1
    alpha = 2 * stats.norm.sf(Z_ORACLE)
    critical = float(stats.chi2.ppf(1 - alpha, max(df, 1)))
    return Check(
        f"{name}.roll_rates", "oracle", SOURCE + ": rows of P", stat, float("nan"),
        float("nan"), 0.0, critical, comparison="at_most",
        note=f"Pearson chi-square ({df} d.f.) of the engine's recorded forward rolls (the "
             f"rolls table) against the chain: {'; '.join(parts)}. Fails above the "
             f"critical value at alpha = {alpha:.1e}.",
        fmt=".2f")


def _absorption_row(out: list[dict], P: np.ndarray, transient: int, charged: int,
                    accounts: int, months: int, name: str) -> Check:
    b = absorption_probabilities(P, transient)[0, charged - transient]
    by_horizon = absorption_time_pmf(P, 0, charged, months).sum()
    hits = sum(o["chargeoff_steps"].size for o in out)
    est = hits / accounts
    se = np.sqrt(b * (1 - b) / accounts)
    bias = b - by_horizon
    return Check(
        f"{name}.p_chargeoff", "oracle", SOURCE + ": B = N R", est,
        *normal_interval(est, se), b, Z_ORACLE * se + bias,
        note=f"First cohort ({accounts:,} accounts over the paths): share charged off by the "
             f"horizon vs B[current, charged off]; tolerance {Z_ORACLE:g} binomial SE + the "
             f"exact share still unabsorbed at the horizon ({bias:.1e}). " + MAPPING,
        fmt=".4f")


def _time_row(out: list[dict], P: np.ndarray, transient: int, charged: int,
              accounts: int, months: int, name: str) -> Check:
    target = conditional_time(P, transient, charged)[0]
    pmf = absorption_time_pmf(P, 0, charged, months)
    t = np.arange(months)
    mass = pmf.sum()
    finite_mean = (pmf * t).sum() / mass
    var = (pmf * t**2).sum() / mass - finite_mean**2
    steps = np.concatenate([o["chargeoff_steps"] for o in out])
    est = float(steps.mean()) if steps.size else float("nan")
    se = np.sqrt(var / max(accounts * mass, 1.0))
    bias = abs(target - finite_mean)
    return Check(
        f"{name}.months_to_chargeoff", "oracle", SOURCE + ": (N b) / b", est,
        *normal_interval(est, se), target, Z_ORACLE * se + bias,
        note=f"Mean charge-off month of the charged-off first-cohort accounts vs E[T | "
             f"charged off]; SE from the chain's exact variance of T; plus the horizon's "
             f"truncation of T ({bias:.1e} months).",
        fmt=".3f")


def _share_rows(out: list[dict], P: np.ndarray, transient: int, n0: int, inflow: int,
                months: int, name: str) -> list[Check]:
    target = stationary_shares(P, transient)
    finite, cov = _share_covariance(P, transient, n0, inflow, months)
    counts = np.sum([o["final"][:transient] for o in out], axis=0)
    est = counts / counts.sum()
    se = np.sqrt(np.diag(cov) / len(out))
    rows = []
    for j in range(1, transient):
        bias = abs(finite[j] - target[j])
        rows.append(Check(
            f"{name}.share_{BUCKETS[j]}", "oracle", SOURCE + ": N[current] / sum",
            est[j], *normal_interval(est[j], se[j]), target[j], Z_ORACLE * se[j] + bias,
            note=f"Share of open accounts in {BUCKETS[j]} at the last month end of a book "
                 f"fed {inflow} new accounts a month; SE by the delta method on the "
                 f"cohorts' multinomial counts; plus the distance of the finite book from "
                 f"the steady state ({bias:.1e}).",
            fmt=".4f"))
    return rows


@register("roll_chain", "oracle", quick=True, paths=(2, 8))
def roll_chain_check(settings: Settings, paths: int) -> list[Check]:
    """Roll-rate chain: absorption, months to charge-off and bucket shares vs N = (I - Q)^-1."""
    return roll_chain_rows(settings, paths)
