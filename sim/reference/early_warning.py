"""Early warning in the reference engine: the lender's model of missing the next payment.

The statement of :class:`sim.agents.interventions.EarlyWarning` for a book of
:class:`~sim.reference.borrower.Borrower` objects. The model couples borrowers (it is
fitted on everyone's history), so it is one object of the path, not of a borrower: at
each statement it describes every current borrower with a bill by what a lender sees
(score, utilisation, bill to limit, months on book, recent missed payments, recent
contacts, recent limit cut); for ``early_warning.fit_months`` it only records whether
they then missed; afterwards it fits a standardised logistic regression and, on the
action day (``days_before_due`` before the due date), acts on borrowers whose predicted
probability is above ``threshold``: a reminder, a limit cut, or a hardship offer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sim.config import RunConfig
from sim.crn import uniforms
from sim.reference.borrower import Borrower
from sim.reference.platform import LIMIT_STEP_CENTS


def features(b: Borrower, month: int) -> list[float]:
    """What a lender sees of borrower ``b`` at ``month``'s statement (never income)."""
    limit = float(max(b.limit, 1))
    acct = b.account
    return [b.score, acct.outstanding / limit, acct.unpaid / limit,
            float(month - b.onboard_month), b.recent_missed, b.file.recent_contacts,
            b.recent_cut]


class RiskTeam:
    """The path's early-warning model and its monthly actions."""

    def __init__(self, config: RunConfig, key: int,
                 offer_hardship: Callable[[Borrower, int], None]):
        self.cfg = config.early_warning
        self.key = key
        self.offer_hardship = offer_hardship
        self.action_day = max(config.billing.due_day - self.cfg.days_before_due, 0)
        self.train_x: list[np.ndarray] = []
        self.train_y: list[np.ndarray] = []
        self.test_p: list[np.ndarray] = []
        self.test_y: list[np.ndarray] = []
        self.model: Pipeline | None = None
        self.pending: tuple[list[Borrower], np.ndarray, np.ndarray | None] | None = None
        self.counters = {"ew_flagged": 0, "ew_cost": 0}

    def on_statement(self, borrowers: list[Borrower], month: int) -> None:
        """Describe (and, once fitted, score) each borrower whose bill of ``month`` is due."""
        if not self.cfg.enabled:
            return
        due = [b for b in borrowers if b.active and b.account.oldest == month]
        x = np.array([features(b, month) for b in due]).reshape(len(due), 7)
        prob = None
        if self.model is not None:
            prob = self.model.predict_proba(x)[:, 1] if due else np.zeros(0)
        self.pending = (due, x, prob)

    def act(self, month: int) -> None:
        """On the action day: remind, cut the limit of, or offer hardship to the flagged."""
        if self.pending is None or self.pending[2] is None:
            return
        due, _, prob = self.pending
        assert prob is not None, "checked above"
        flagged = [b for b, p in zip(due, prob.tolist(), strict=True) if p > self.cfg.threshold]
        self.counters["ew_flagged"] += len(flagged)
        for b in flagged:
            if self.cfg.action == "reminder":
                b.reminded = True
                self.counters["ew_cost"] += int(round(self.cfg.reminder_cost * 100))
            elif self.cfg.action == "limit_cut":
                cut = int(b.limit * (1.0 - self.cfg.limit_cut_pct))
                b.limit = cut // LIMIT_STEP_CENTS * LIMIT_STEP_CENTS
                b.recent_cut = 1.0
            else:
                self.offer_hardship(b, month)

    def on_due(self, month: int, missed: dict[int, bool]) -> None:
        """Record who of the described missed (``missed`` by slot); fit when it is time."""
        if self.pending is None:
            return
        due, x, prob = self.pending
        self.pending = None
        y = np.array([missed.get(b.slot, False) for b in due], dtype=bool)
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
            return  # one class only: nothing to learn
        if y.size > self.cfg.max_training_rows:
            keep = np.argsort(uniforms(self.key, np.arange(y.size), 0, 0))
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
