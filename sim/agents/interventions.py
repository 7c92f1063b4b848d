"""Risk interventions before delinquency: early warning and borrower education.

Early warning: at each statement the platform describes every current borrower with
a bill by what a lender can see (score, utilisation, the bill against the limit,
months on book, recent missed payments, recent collection contacts, a recent limit
cut; never the hidden income or savings). For the first ``fit_months`` it only
records these and whether the bill was then missed; then it fits a logistic
regression, scores every later statement, and acts on borrowers above the
threshold ``days_before_due`` days before the due date (at the statement when the due
date comes sooner). Out-of-sample predictions give the model's AUC, counted in fixed
score bins as they come (:class:`sim.auc.BinnedAUC`: memory does not grow with the
book). Borrower education ("nudges") reaches a share of new borrowers at a one-off
cost and makes them forget less and over-borrow less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.auc import BinnedAUC
from sim.config import EarlyWarningConfig, NudgeConfig
from sim.crn import Purpose, uniforms

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

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


class TrainingSample:
    """The early-warning model's training rows, held to at most ``limit`` as they come.

    The model is fitted on every row when there are at most ``limit``, else on the
    ``limit`` rows whose keyed uniform draws (one per row number, fixed by the path's key)
    are smallest, in increasing order of those draws (a tie: the earlier row first). Rows
    arrive month by month; as soon as there are more than ``limit``, only the ``limit``
    smallest so far are kept: a row outside them can never be among the ``limit`` smallest
    of a larger set, so the sample is the one drawn from all rows at the end, with memory
    for ``limit`` rows and a month instead of every row of the training months.

    Once ``limit`` rows are kept (their draws in ``drawn``), a month's rows enter only when
    drawn below the largest kept draw (a row drawn equal to it comes later, its row number
    being larger); each takes the place of a kept row that is no longer among the ``limit``
    smallest, so the kept rows are not moved, and they are put in draw order once, by
    :meth:`kept`.
    """

    def __init__(self, key: int, limit: int):
        self.key, self.limit = key, limit
        self.rows = 0
        self.x: list[np.ndarray] = []
        self.y: list[np.ndarray] = []
        self.ids: list[np.ndarray] = []
        self.labels: set = set()  # the distinct outcomes seen, until there are two
        self.drawn: np.ndarray | None = None  # the kept rows' draws, once ``limit`` are kept

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append rows ``x`` (n, features) with outcomes ``y`` (n,)."""
        ids = np.arange(self.rows, self.rows + y.size)
        self.rows += y.size
        if len(self.labels) < 2:  # two outcomes are all the fit needs to know of
            self.labels.update(np.unique(y).tolist())
        if self.drawn is not None:
            self._exchange(self.drawn, x, y, ids)
            return
        self.x.append(x)
        self.y.append(y)
        self.ids.append(ids)
        if self.rows > self.limit:
            x_all, y_all, ids = (np.concatenate(p) for p in (self.x, self.y, self.ids))
            u = uniforms(self.key, ids, 0, Purpose.EW_TRAINING_SAMPLE)
            keep = np.flatnonzero(smallest(u, ids, self.limit))
            self.x, self.y, self.ids = [x_all[keep]], [y_all[keep]], [ids[keep]]
            self.drawn = u[keep]

    def _exchange(self, drawn: np.ndarray, x: np.ndarray, y: np.ndarray,
                  ids: np.ndarray) -> None:
        """Let rows ``ids`` (numbered after every kept row) take the places of the kept rows
        (their draws ``drawn``, (limit,)) that are no longer among the ``limit`` smallest by
        (draw, row number): what a stable sort of the draws of both would keep."""
        u = uniforms(self.key, ids, 0, Purpose.EW_TRAINING_SAMPLE)
        enter = np.flatnonzero(u < drawn.max())
        if enter.size == 0:
            return
        keep = smallest(np.concatenate([drawn, u[enter]]),
                        np.concatenate([self.ids[0], ids[enter]]), self.limit)
        places = np.flatnonzero(~keep[: self.limit])  # kept rows that leave
        coming = enter[np.flatnonzero(keep[self.limit:])]  # in row order, as many
        self.x[0][places] = x[coming]
        self.y[0][places] = y[coming]
        self.ids[0][places] = ids[coming]
        drawn[places] = u[coming]

    def kept(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The kept rows' numbers, features and outcomes, in increasing order of their draws
        (a tie: the earlier row first); every row as it came while there are at most
        ``limit``."""
        if self.drawn is None:
            ids, x, y = (np.concatenate(p) for p in (self.ids, self.x, self.y))
            return ids, x, y
        # (draw, row number) orders the rows strictly, so any sort by draw is that order when
        # no two draws are equal (53-bit draws: almost always); a plain argsort takes about
        # a third of the time of a lexsort (50,000 rows: 2.3 against 7.5 ms)
        drawn, ids = self.drawn, self.ids[0]
        order = np.argsort(drawn)
        ranked = drawn[order]
        if np.any(ranked[1:] == ranked[:-1]):
            order = np.lexsort((ids, drawn))
        return ids[order], self.x[0][order], self.y[0][order]

    def sample(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The training rows and outcomes; None when fewer than two outcomes were seen."""
        if len(self.labels) < 2:
            return None
        _, x, y = self.kept()
        return x, y


def smallest(u: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Which of the rows numbered ``ids`` (n,), drawn ``u`` (n,), are the ``k`` (< n) first
    of a sort by draw, ties by row number: a (n,) mask of ``k`` True. A partition finds the
    ``k``-th smallest draw; of the rows drawn equal to it, the lowest numbered are kept."""
    edge = np.partition(u, k - 1)[k - 1]
    keep = u < edge
    tied = np.flatnonzero(u == edge)
    keep[tied[np.argsort(ids[tied])[: k - np.count_nonzero(keep)]]] = True
    return keep


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
        self.training = TrainingSample(key, self.cfg.max_training_rows)
        self.scores = BinnedAUC()  # out-of-sample predictions, binned
        self.model: Pipeline | None = None
        # the described accounts, then their features (training months) or the model's
        # probabilities (once fitted)
        self.pending: tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None = None
        self.counters = {"ew_flagged": 0, "ew_cost": 0}

    @staticmethod
    def features(view: LenderView, idx: np.ndarray, month: int,
                 mean: np.ndarray | None = None, scale: np.ndarray | None = None) -> np.ndarray:
        """The lender-observable features of accounts ``idx`` (rows, in :data:`FEATURES`'
        order) at a statement, as (k, 7) float64; less ``mean`` and over ``scale`` when given
        (a fitted ``StandardScaler``'s), in the same pass
        (:func:`sim.kernels.scoring.standardised_features`: ``x - 0`` and ``x / 1`` are
        ``x``)."""
        from sim.kernels.scoring import N_FEATURES, standardised_features

        return standardised_features(
            idx, month, view.score, view.outstanding, view.unpaid, view.limit,
            view.onboard_month, view.recent_missed, view.recent_contacts, view.recent_cut,
            np.zeros(N_FEATURES) if mean is None else mean,
            np.ones(N_FEATURES) if scale is None else scale)

    def on_statement(self, month: int, n: int, view: LenderView) -> None:
        """Describe (and, once fitted, score) every current borrower (of 0..n-1) with a bill."""
        if not self.cfg.enabled:
            return
        idx = np.flatnonzero((view.oldest[:n] == month) & view.active[:n])
        if self.model is None:  # training months: the rows are kept
            self.pending = (idx, self.features(view, idx, month), None)
        else:  # a month with no bill scores nobody
            self.pending = (idx, None, self._predict(view, idx, month))

    def _predict(self, view: LenderView, idx: np.ndarray, month: int) -> np.ndarray:
        """The fitted model's probability of a miss for accounts ``idx``: what
        ``self.model.predict_proba(self.features(view, idx, month))[:, 1]`` gives, bit for
        bit (the standardisation in one compiled pass, then the same matrix product and
        logistic function as scikit-learn's ``LogisticRegression``)."""
        from scipy.special import expit

        assert self.model is not None
        scaler, logit = self.model[0], self.model[-1]
        xs = self.features(view, idx, month, scaler.mean_, scaler.scale_)
        z = (xs @ logit.coef_.T + logit.intercept_).reshape(-1)
        return expit(z, out=z)

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
            self.scores.add(prob, y)
        elif month < self.cfg.fit_months and x is not None:
            self.training.add(x, y)
        if month == self.cfg.fit_months - 1:
            self._fit()

    def _fit(self) -> None:
        sample = self.training.sample()
        if sample is None:
            return  # one class only: nothing to learn, no action taken
        x, y = sample
        # scikit-learn loads in a worker only when a path fits a model (a second of imports)
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        self.model.fit(x, y)

    def auc(self) -> float:
        """AUC of the out-of-sample predictions (NaN when not fitted or one class).

        Binned: within :meth:`sim.auc.BinnedAUC.error_bound` of the exact AUC.
        """
        return self.scores.auc()

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
