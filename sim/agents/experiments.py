"""Randomised field experiments inside a simulated book.

A field experiment enrols each account the first time it reaches ``at_dpd`` days past
due, assigns it to the treatment arm with probability ``share`` (a keyed draw per
borrower, so the assignment is the same under every policy), and gives the treated one
contact through ``channel`` on that day, outside the ladder's caps and the collectors'
capacity (the experiment's own calls). It then records, per enrolled account, whether
the bill that was overdue at enrolment was repaid within ``follow_days`` and whether
the account was charged off by the end of the horizon: the outcomes of the published
experiments that ``creditsim validate`` reproduces (a collector's call, an app reminder).
"""

from __future__ import annotations

import numpy as np

from sim.config import ExperimentConfig
from sim.crn import Purpose, uniforms
from sim.delinquency import DAYS_PER_MONTH, due_time


class FieldExperiment:
    """Enrolment, arms and outcomes of one path's experiment."""

    def __init__(self, cfg: ExperimentConfig, capacity: int, key: int):
        self.cfg = cfg
        self.key = key
        self.arm = np.full(capacity, -1, dtype=np.int8)  # -1 not enrolled, 0 control, 1 treated
        self.enrol_day = np.full(capacity, -1, dtype=np.int64)
        self.repaid = np.zeros(capacity, dtype=bool)
        self.follow: dict[int, list[np.ndarray]] = {}

    def enrol(self, day: int, idx: np.ndarray, dpd: np.ndarray) -> np.ndarray:
        """Enrol accounts ``idx`` reaching ``at_dpd`` today; return those treated today."""
        new = idx[(dpd == self.cfg.at_dpd) & (self.arm[idx] < 0)]
        if new.size == 0:
            return new
        treated = uniforms(self.key, new, 0, Purpose.EXPERIMENT_ARM) < self.cfg.share
        self.arm[new] = treated
        self.enrol_day[new] = day
        self.follow.setdefault(day + self.cfg.follow_days, []).append(new)
        return new[treated]

    def follow_up(self, day: int, oldest: np.ndarray, due_day: int) -> None:
        """Record whether the accounts enrolled ``follow_days`` ago repaid the overdue bill.

        ``oldest``: due month of every account's oldest unpaid bill (-1 when none). The
        bill overdue at enrolment is repaid when the oldest unpaid bill now fell due after
        it (a later bill may be unpaid: the outcome is repayment, not a cure).
        """
        batches = self.follow.pop(day, [])
        if not batches:
            return
        idx = np.concatenate(batches)
        overdue_due = self.enrol_day[idx] - self.cfg.at_dpd  # due time of the enrolment bill
        due = due_time(oldest[idx], due_day)
        self.repaid[idx] = (oldest[idx] < 0) | (due > overdue_due)

    def outcomes(self, chargeoff_month: np.ndarray, horizon_days: int) -> dict[str, np.ndarray]:
        """Per enrolled account with a full follow-up: arm, repaid, defaulted, enrol day.

        ``defaulted``: charged off within ``default_months`` of enrolment (a later,
        separate delinquency does not count). Accounts enrolled too close to the horizon
        for both outcomes to be known are left out.
        """
        window = self.cfg.default_months * DAYS_PER_MONTH
        idx = np.flatnonzero((self.arm >= 0) & (self.enrol_day + window < horizon_days))
        co = chargeoff_month[idx]
        defaulted = (co >= 0) & (co * DAYS_PER_MONTH <= self.enrol_day[idx] + window)
        return {"borrower": idx, "treated": self.arm[idx] == 1,
                "enrol_day": self.enrol_day[idx], "repaid": self.repaid[idx],
                "defaulted": defaulted}
