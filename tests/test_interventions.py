"""Early warning and borrower education."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.interventions import FEATURES, TrainingSample
from sim.config import load_config
from sim.crn import uniforms
from sim.engine import PathSimulation, simulate_path

BOOK = {"initial_borrowers": 3000, "new_borrowers_per_month": 50, "horizon_months": 24}


def test_early_warning_fits_and_ranks_better_than_chance():
    cfg = load_config({"book": BOOK, "early_warning": {"enabled": True, "fit_months": 8}})
    sim = PathSimulation(cfg, 4, 0)
    result = sim.run()
    auc = result.summary["early_warning_auc"]
    pos, neg = sim.early_warning.scores.positives, sim.early_warning.scores.negatives
    # Hanley & McNeil (1982) standard error of an AUC of 0.5, with these class sizes
    se = np.sqrt((0.25 + (pos - 1) * (0.5 / 1.5 - 0.25) + (neg - 1) * (0.5 / 1.5 - 0.25))
                 / (pos * neg))
    assert auc > 0.5 + 4 * se
    assert sim.early_warning.model is not None
    assert sim.early_warning.model[-1].coef_.shape == (1, len(FEATURES))
    flagged = result.monthly["ew_flagged"]
    assert flagged[:8].sum() == 0 and flagged[8:].sum() > 0  # acts only once fitted
    assert result.monthly["ew_cost"].sum() == flagged.sum() * 5  # 0.05 per reminder


def test_the_compiled_scoring_is_the_fitted_pipelines_probability_bit_for_bit():
    """The scoring of every month after the fit is ``predict_proba`` of the features."""
    cfg = load_config({"book": BOOK, "early_warning": {"enabled": True, "fit_months": 6}})
    sim = PathSimulation(cfg, 4, 0)
    sim.run()
    ew, view = sim.early_warning, sim.lender_view()
    assert ew.model is not None
    n, month = sim.n, sim.months - 1
    idx = np.flatnonzero(view.active[:n])
    idx = np.concatenate([idx, idx[:1], idx[:0]])  # a repeated account is scored twice
    expected = ew.model.predict_proba(ew.features(view, idx, month))[:, 1]
    got = ew._predict(view, idx, month)
    assert got.dtype == np.float64 and got.shape == idx.shape
    assert np.array_equal(got, expected)  # equal floats, not merely close
    assert ew._predict(view, idx[:0], month).shape == (0,)
    # the features themselves, against the numpy statement of their definition
    limit = np.maximum(view.limit[idx], 1).astype(float)
    numpy_features = np.column_stack([
        view.score[idx], view.outstanding[idx] / limit, view.unpaid[idx] / limit,
        month - view.onboard_month[idx], view.recent_missed[idx], view.recent_contacts[idx],
        view.recent_cut[idx]])
    assert np.array_equal(ew.features(view, idx, month), numpy_features)


@pytest.mark.parametrize(("due_day", "days_before", "day"),
                         [(20, 10, 10), (25, 10, 15), (20, 3, 17), (10, 10, 0), (5, 10, 0)])
def test_the_action_comes_days_before_due_before_the_due_date(due_day, days_before, day,
                                                               monkeypatch):
    """Timeline of one path: the action runs at noon ``days_before`` days before the due
    date (at noon on the statement day when the due date comes sooner), every month."""
    cfg = load_config({"book": {"initial_borrowers": 20, "new_borrowers_per_month": 0,
                                "horizon_months": 3},
                       "billing": {"due_day": due_day, "purchase_day": due_day + 1},
                       "early_warning": {"enabled": True, "days_before_due": days_before}})
    times = []
    monkeypatch.setattr(PathSimulation, "on_early_warning",
                        lambda self, m: times.append((m, self.env.now)))
    PathSimulation(cfg, 1, 0).run()
    assert times == [(m, m * 30 + day + 0.5) for m in range(3)]


def test_early_warning_off_reports_no_auc():
    result = simulate_path(load_config({"book": BOOK}), 4, 0)
    assert np.isnan(result.summary["early_warning_auc"])
    assert result.monthly["ew_flagged"].sum() == 0


def test_reminders_reduce_missed_payments_on_the_same_paths():
    on = load_config({"book": BOOK, "repayment": {"forget_prob": 0.15},
                      "early_warning": {"enabled": True, "fit_months": 6, "threshold": 0.05,
                                        "reminder_effect": 1.0}})
    off = load_config({"book": BOOK, "repayment": {"forget_prob": 0.15}})
    missed_on = sum(simulate_path(on, s, 0).monthly["missed_payments"][6:].sum() for s in (1, 2))
    missed_off = sum(simulate_path(off, s, 0).monthly["missed_payments"][6:].sum() for s in (1, 2))
    assert missed_on < missed_off


def test_nudges_reach_the_configured_share_and_cost_per_borrower():
    cfg = load_config({"book": BOOK, "nudges": {"enabled": True, "reach": 0.3,
                                                "cost_per_borrower": 2.0}})
    sim = PathSimulation(cfg, 1, 0)
    sim.run()
    reached = sim.pool.nudged[: sim.n]
    share = reached.mean()
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / sim.n)
    assert sum(sim.series["nudge_cost"]) == reached.sum() * 200


@settings(max_examples=50, deadline=None)
@given(sizes=st.lists(st.integers(0, 60), min_size=1, max_size=10),
       limit=st.integers(1, 80), levels=st.integers(1, 6), key=st.integers(0, 2**32 - 1))
def test_the_training_sample_breaks_ties_of_draws_by_row_as_a_stable_sort(
        sizes, limit, levels, key):
    """Draws rounded to a few levels (many ties): the kept rows, merged month by month,
    are those of a stable sort of every row's draw, in that order."""
    import sim.agents.interventions as ew

    def coarse(key: int, ids: np.ndarray, day: int, purpose: int) -> np.ndarray:
        return np.floor(uniforms(key, ids, day, purpose) * levels) / levels

    rng = np.random.default_rng(key)
    months = [(rng.normal(size=(n, 2)), rng.random(n) < 0.5) for n in sizes]
    sample = TrainingSample(key, limit)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ew, "uniforms", coarse)
        for x, y in months:
            sample.add(x, y)
    rows = sum(sizes)
    keep = np.arange(rows)  # at most limit rows: every row, as they came
    if rows > limit:
        keep = np.argsort(coarse(key, keep, 0, 0), kind="stable")[:limit]
    ids, x, _ = sample.kept()
    assert ids.tolist() == keep.tolist()
    x_all = np.concatenate([x for x, _ in months])
    assert np.array_equal(x, x_all[keep])


@settings(max_examples=50, deadline=None)
@given(sizes=st.lists(st.integers(0, 400), min_size=1, max_size=14),
       limit=st.integers(100, 900), key=st.integers(0, 2**32 - 1))
def test_the_training_sample_kept_as_rows_come_is_the_one_drawn_from_all_rows(sizes, limit,
                                                                              key):
    rng = np.random.default_rng(key)
    months = [(rng.normal(size=(n, 3)), rng.random(n) < 0.3) for n in sizes]
    sample = TrainingSample(key, limit)
    for x, y in months:
        sample.add(x, y)
    x_all = np.concatenate([x for x, _ in months])
    y_all = np.concatenate([y for _, y in months])
    if y_all.size == 0 or y_all.min() == y_all.max():
        assert sample.sample() is None
        return
    if y_all.size > limit:  # the rule of the fit: the limit smallest keyed draws, in order
        keep = np.argsort(uniforms(key, np.arange(y_all.size), 0, 0))[:limit]
        x_all, y_all = x_all[keep], y_all[keep]
    x, y = sample.sample()
    assert np.array_equal(x, x_all) and np.array_equal(y, y_all)
    assert sum(len(p) for p in sample.y) <= limit  # never more rows than the fit uses
