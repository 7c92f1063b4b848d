"""The two engines agree in distribution: key metrics within their Monte Carlo error.

The exact comparisons of ``test_reference_equivalence.py`` hold while both engines share
every draw. This test does not rely on that: it runs the vectorised engine and the
reference engine on independent seeds and checks that each metric's mean over paths
agrees within four standard errors of the difference, ``4 * sqrt(s_v^2 + s_r^2) / sqrt(K)``
(``s`` the standard deviations across the ``K`` paths of each engine). A rule changed in
one engine moves some metric further than that.

``K`` is 16: with 8 paths the standard deviations themselves are too uncertain, and the
vectorised engine against itself on seeds 101 and 202 differed by 5.7 standard errors in
the 31-60 to 61-90 roll rate (8 paths of each at 0.52-0.60 and 0.60-0.69); with 16 paths
every pair of the seeds 101, 202, 303 and 404 agrees.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from sim import delinquency
from sim.config import deep_merge, load_config
from sim.delinquency import DAYS_PER_MONTH
from sim.engine import BUCKETS, ROLL_STATES, PathResult, simulate_path
from sim.reference import simulate_reference
from sim.reference.account import Account
from sim.shipped import resolve_config

PATHS = 16


def book(borrowers: int, calls_per_day: int):  # noqa: ANN201 - a RunConfig
    """The baseline on a book of ``borrowers`` (and a fortieth of that joining each month)
    for 15 months, one collector with ``calls_per_day`` calls: a queue forms (about 24
    accounts waiting, on average, on the larger book)."""
    return load_config(deep_merge(
        load_config(resolve_config("configs/baseline.yaml")).model_dump(mode="json"),
        {"book": {"initial_borrowers": borrowers, "new_borrowers_per_month": borrowers // 40,
                  "horizon_months": 15},
         "deal": None, "collections": {"collectors": {"count": 1,
                                                      "calls_per_day": calls_per_day}}}))


CONFIG = book(400, 6)
"""The small book of the rule-change test: a changed rule shows even here."""
LARGE = book(2000, 8)
"""A book of a few thousand borrowers (2,000 at launch, 2,700 by month 15): the reference
engine takes about 4 s a path on it."""
CHANNELS = ("sms", "app_push", "auto_call", "human", "agency")
Z = 4.0


def metrics(r: PathResult) -> dict[str, float]:
    """The path's charge-off and recovery rates, bucket shares, roll rates, actions and cost
    per account-month by channel, mean collector queue and hardship enrolments."""
    m = r.monthly
    out = {"charge_off_rate": m["charge_offs"].sum() / m["new_purchases"].sum(),
           "recovery_rate": m["recoveries"].sum() / max(m["charge_offs"].sum(), 1),
           "queue_length": m["queue_length"].mean(),
           "hardship_enrolments": m["hardship_enrolments"].sum() / m["onboarded_borrowers"][-1]}
    for month in (4, 9, 14):
        for b in BUCKETS[1:7]:
            out[f"share_{b}_m{month}"] = m[f"balance_{b}"][month] / m["receivables_balance"][month]
    rolls = r.rolls.sum(axis=0)
    for a, b in ((0, 1), (1, 2), (2, 3), (3, 4)):
        out[f"roll_{ROLL_STATES[a]}_to_{ROLL_STATES[b]}"] = rolls[a, b] / rolls[a].sum()
    account_months = m["active_borrowers"].sum()
    for ch in CHANNELS:
        out[f"actions_{ch}"] = m[f"actions_{ch}"].sum() / account_months
        out[f"cost_{ch}"] = m[f"cost_{ch}"].sum() / account_months
    return out


def disagreements(vectorised: list[dict], reference: list[dict]) -> dict[str, float]:
    """Metrics whose means differ by more than ``Z`` standard errors: name -> z-score."""
    out = {}
    for name in vectorised[0]:
        v = np.array([p[name] for p in vectorised])
        r = np.array([p[name] for p in reference])
        se = np.sqrt(v.var(ddof=1) / v.size + r.var(ddof=1) / r.size)
        gap = abs(v.mean() - r.mean())
        if gap > Z * se + 1e-12:
            out[name] = gap / se if se > 0 else np.inf
    return out


@pytest.fixture(scope="module")
def vectorised() -> list[dict]:
    return [metrics(simulate_path(CONFIG, 101, p)) for p in range(PATHS)]


def large_reference_path(path: int) -> dict[str, float]:
    """:func:`metrics` of the reference engine's path ``path`` of :data:`LARGE`, seed 202."""
    return metrics(simulate_reference(LARGE, 202, path))


@pytest.mark.slow
def test_the_engines_agree_within_monte_carlo_error_on_independent_seeds():
    vectorised = [metrics(simulate_path(LARGE, 101, p)) for p in range(PATHS)]
    # the reference engine's paths on both cores: about 6 s each, one at a time
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        reference = list(pool.map(large_reference_path, range(PATHS)))
    assert vectorised[0]["charge_off_rate"] > 0 and vectorised[0]["actions_human"] > 0
    assert min(p["queue_length"] for p in reference) > 0
    assert disagreements(vectorised, reference) == {}


@pytest.mark.slow
def test_counting_days_past_due_from_the_statement_is_caught(vectorised, monkeypatch):
    """One rule changed in the reference engine (days past due from the statement, not
    the due date): the distribution test fails."""
    monkeypatch.setattr(Account, "due_time", lambda self, month: month * DAYS_PER_MONTH)
    monkeypatch.setattr(Account, "days_past_due",  # a due day of 0: the statement's day
                        lambda self, day: int(delinquency.days_past_due(day, self.oldest, 0)))
    monkeypatch.setattr(Account, "past_due",
                        lambda self, day: bool(delinquency.past_due(day, self.oldest, 0)))
    reference = [metrics(simulate_reference(CONFIG, 202, p)) for p in range(PATHS)]
    assert len(disagreements(vectorised, reference)) >= 3
