"""Risk interventions before delinquency: early warning and borrower education.

Early warning: at each statement the platform describes every current borrower with
a bill by what a lender can see (score, utilisation, the bill against the limit,
months on book, recent missed payments, recent collection contacts, a recent limit
cut; never the hidden income or savings). For the first ``fit_months`` it only
records these and whether the bill was then missed; then it fits a logistic
regression, scores every later statement, and acts on borrowers above the
threshold ``days_before_due`` days before the due date (at the statement when the due
date comes sooner). Out-of-sample predictions give the model's AUC. Borrower
education ("nudges") reaches a share of new borrowers at a one-off cost and makes
them forget less and over-borrow less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sim.config import EarlyWarningConfig, NudgeConfig
from sim.crn import Purpose, uniforms

if TYPE_CHECKING:
    from sim.agents.borrowers import BorrowerPool

FEATURES = ("score", "utilisation", "bill_to_limit", "months_on_book", "recent_missed",
            "recent_contacts", "recent_cut")


@dataclass(frozen=True)
class LenderView:
    """What a lender sees of every account slot (arrays over slots, read, never written).

    ``score`` (points), ``outstanding`` and ``unpaid`` (cents), ``limit`` (cents),
    ``onboard_month``, ``recent_missed`` / ``recent_contacts`` / ``recent_cut`` (decayed
    counts), ``oldest`` (due month of the oldest unpaid bill, -1 when none) and ``active``.
    """

    score: np.ndarray
    outstanding: np.ndarray
    unpaid: np.ndarray
    limit: np.ndarray
    onboard_month: np.ndarray
    recent_missed: np.ndarray
    recent_contacts: np.ndarray
    recent_cut: np.ndarray
    oldest: np.ndarray
    active: np.ndarray


@dataclass(frozen=True)
class Flagged:
    """The early-warning model's action of one month: ``action`` (``reminder``,
    ``limit_cut`` or ``hardship_offer``) on accounts ``index``; ``limit_cut_pct`` is the
    share of the limit a cut takes. The engine carries it out."""

    action: str
    index: np.ndarray
    limit_cut_pct: float


class EarlyWarning:
    """The early-warning model of one path: training data, fitted model, actions.

    Args:
        cfg: the ``early_warning`` section of the config.
        due_day: day of the month bills fall due (the action comes before it).
        key: the path's key for keyed draws (:class:`sim.crn.Purpose`).
    """

    def __init__(self, cfg: EarlyWarningConfig, due_day: int, key: int):
        self.cfg = cfg
        self.key = key
        # day of the month (after the statement on day 0) on which ``act`` runs
        self.action_day = max(due_day - self.cfg.days_before_due, 0)
        self.train_x: list[np.ndarray] = []
        self.train_y: list[np.ndarray] = []
        self.test_p: list[np.ndarray] = []
        self.test_y: list[np.ndarray] = []
        self.model: Pipeline | None = None
        self.pending: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None
        self.counters = {"ew_flagged": 0, "ew_cost": 0}

    @staticmethod
    def features(view: LenderView, idx: np.ndarray, month: int) -> np.ndarray:
        """The lender-observable features of accounts ``idx`` (rows) at a statement."""
        limit = np.maximum(view.limit[idx], 1).astype(float)
        return np.column_stack([
            view.score[idx],
            view.outstanding[idx] / limit,
            view.unpaid[idx] / limit,
            month - view.onboard_month[idx],
            view.recent_missed[idx],
            view.recent_contacts[idx],
            view.recent_cut[idx],
        ])

    def on_statement(self, month: int, n: int, view: LenderView) -> None:
        """Describe (and, once fitted, score) every current borrower (of 0..n-1) with a bill."""
        if not self.cfg.enabled:
            return
        idx = np.flatnonzero((view.oldest[:n] == month) & view.active[:n])
        x = self.features(view, idx, month)
        prob = None
        if self.model is not None:  # a month with no bill scores nobody
            prob = self.model.predict_proba(x)[:, 1] if idx.size else np.zeros(0)
        self.pending = (idx, x, prob)

    def act(self, month: int) -> Flagged | None:
        """On ``action_day``, before the due date: flag borrowers above the threshold.

        Returns:
            The action on the flagged borrowers (the engine carries it out), or None
            before the model is fitted.
        """
        if self.pending is None:
            return None
        idx, _, prob = self.pending
        if prob is None:
            return None
        flagged = idx[prob > self.cfg.threshold]
        self.counters["ew_flagged"] += flagged.size
        if self.cfg.action == "reminder":
            self.counters["ew_cost"] += int(round(self.cfg.reminder_cost * 100)) * flagged.size
        return Flagged(self.cfg.action, flagged, self.cfg.limit_cut_pct)

    def on_due(self, month: int, missed: np.ndarray) -> None:
        """Record whether the described borrowers missed; fit when history suffices."""
        if self.pending is None:
            return
        idx, x, prob = self.pending
        self.pending = None
        y = missed[idx]
        if prob is not None:
            self.test_p.append(prob)
            self.test_y.append(y)
        elif month < self.cfg.fit_months:
            self.train_x.append(x)
            self.train_y.append(y)
        if month == self.cfg.fit_months - 1:
            self._fit()

    def _fit(self) -> None:
        x, y = np.concatenate(self.train_x), np.concatenate(self.train_y)
        if y.min() == y.max():
            return  # one class only: nothing to learn, no action taken
        if y.size > self.cfg.max_training_rows:
            keep = np.argsort(uniforms(self.key, np.arange(y.size), 0, Purpose.EW_TRAINING_SAMPLE))
            keep = keep[: self.cfg.max_training_rows]
            x, y = x[keep], y[keep]
        self.model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        self.model.fit(x, y)

    def auc(self) -> float:
        """AUC of the out-of-sample predictions (NaN when not fitted or one class)."""
        if not self.test_y:
            return float("nan")
        y, p = np.concatenate(self.test_y), np.concatenate(self.test_p)
        return float(roc_auc_score(y, p)) if y.min() != y.max() else float("nan")

    def month_record(self) -> dict[str, int]:
        out = dict(self.counters)
        self.counters = dict.fromkeys(self.counters, 0)
        return out


def educate(nudges: NudgeConfig, key: int, pool: BorrowerPool, lo: int, hi: int,
            month: int = 0) -> int:
    """Reach a share of new borrowers lo..hi-1 with education in ``month``; return its cost
    in cents. The effect then decays (see :class:`sim.config.NudgeConfig`)."""
    if not nudges.enabled or hi <= lo:
        return 0
    reached = uniforms(key, np.arange(lo, hi), 0, Purpose.NUDGE_REACH) < nudges.reach
    pool.nudged_month[lo:hi] = np.where(reached, month, -1)
    return int(round(nudges.cost_per_borrower * 100)) * int(reached.sum())
