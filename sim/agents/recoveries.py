"""Recoveries after charge-off, by channel, with lag curves and an optional debt sale.

Each charged-off account is worked by one channel: a legal case if one was filed
(a lump payment ``delay_months`` after charge-off if the case succeeds), the external
agency if the account was placed with it (a larger expected recovery, less the
agency's commission), or the platform's own recovery team. Recovery amounts are drawn
per account at charge-off; each month's cash comes from charge-off cohorts along the
lag curve, in whole cents, so every cohort's recoveries add up exactly to its total.
A debt sale sells what is left of internal and agency cohorts at a price per unit of
face value and ends their recoveries.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaincinv

from sim.config import BORROWER_TYPES, CollectionsConfig, RecoveryConfig

RECOVERY_CHANNELS = ("internal", "agency", "legal")


def recovery_flows(totals: np.ndarray, curve: np.ndarray, month: int) -> int:
    """Cents recovered in ``month`` from charge-off cohorts ``totals[k]`` (month k).

    Cohort k has recovered ``round(totals[k] * cumsum(curve)[j])`` by ``j`` months after
    its charge-off, so every cohort's recoveries add up exactly to its total.
    """
    return int(_cohort_flows(totals, curve, month).sum())


def _cumulative(totals: np.ndarray, curve: np.ndarray, lag: np.ndarray) -> np.ndarray:
    cum = np.concatenate([[0.0], np.cumsum(curve) / np.sum(curve)])
    return np.rint(totals * cum[np.clip(lag, 0, len(cum) - 1)])


def _cohort_flows(totals: np.ndarray, curve: np.ndarray, month: int) -> np.ndarray:
    lag = month - np.arange(totals.shape[0])
    flows = _cumulative(totals, curve, lag + 1) - _cumulative(totals, curve, lag)
    return np.where(lag >= 0, flows, 0.0)


def recovery_channel(agency: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """Index into :data:`RECOVERY_CHANNELS` of each account: legal, else agency, else internal."""
    return np.where(legal, 2, np.where(agency, 1, 0))


class Recoveries:
    """Charge-off cohorts by channel and the cash they bring in each month."""

    def __init__(self, recovery: RecoveryConfig, collections: CollectionsConfig,
                 horizon_months: int):
        """Empty cohorts for charge-offs in months 0..``horizon_months``-1.

        Args:
            recovery: recovery rates, lag curve and cycle sensitivity.
            collections: the agency's recovery factor and commission, the legal
                channel's odds and delay, and the debt sale.
            horizon_months: months in the path (one cohort per month).
        """
        self.recovery = recovery
        self.collections = collections
        self.totals = {c: np.zeros(horizon_months, dtype=np.int64) for c in RECOVERY_CHANNELS}
        self.face = {c: np.zeros(horizon_months, dtype=np.int64) for c in RECOVERY_CHANNELS}
        self.curve = np.asarray(recovery.lag_curve, dtype=float)
        # the share of a cohort recovered by the start (``_lag_share``) and by the end
        # (``_next_share``) of its month ``lag``, for lags horizon-1 down to 0: month m's
        # cohorts 0..m read the last m+1 (what :func:`_cohort_flows` indexes, computed once)
        cum = np.concatenate([[0.0], np.cumsum(self.curve) / np.sum(self.curve)])
        lags = np.arange(horizon_months - 1, -1, -1)
        self._lag_share = cum[np.clip(lags, 0, len(cum) - 1)]
        self._next_share = cum[np.clip(lags + 1, 0, len(cum) - 1)]
        self.cycle = np.ones(horizon_months)  # expected cycle factor of a charge-off in each month
        self.type_factor = np.array([recovery.type_factor.get(t, 1.0) for t in BORROWER_TYPES])

    def set_cycle(self, unemployment: np.ndarray, u_base: float) -> None:
        """Scale recoveries by the economy when they are collected.

        Month k's cash is worth ``(u_base / u_k) ** cycle_elasticity`` of its normal
        amount; an account charged off in month m expects the lag curve's average of that
        factor over months m, m+1, ... (the path's macro path is known in advance; months
        past the horizon take the last month's rate).
        """
        months = unemployment.shape[0]
        factor = (u_base / np.asarray(unemployment, dtype=float)) ** \
            self.recovery.cycle_elasticity
        weights = self.curve / self.curve.sum()
        lag = np.minimum(np.arange(months)[:, None] + np.arange(weights.shape[0]), months - 1)
        self.cycle = factor[lag] @ weights

    def book(self, month: int, balance: np.ndarray, employed: np.ndarray, agency: np.ndarray,
             legal: np.ndarray, u: np.ndarray, u_legal: np.ndarray,
             kind: np.ndarray | None = None) -> np.ndarray:
        """Draw the recovery of accounts charged off in ``month`` and add them to cohorts.

        Args:
            balance: charged-off cents per account.
            employed, agency, legal: flags per account.
            u, u_legal: uniforms deciding the recovery share and the case's success.
            kind: borrower type per account (index into BORROWER_TYPES); None: reliable.

        Returns:
            Cents each account will eventually recover (before costs).
        """
        rec = self.recovery
        col = self.collections
        mean = rec.mean_rate * np.where(employed, 1.0, rec.unemployed_factor)
        if kind is not None:
            mean = mean * self.type_factor[kind]
        mean = mean * self.cycle[month]
        mean = np.clip(mean * np.where(agency, col.agency_recovery_factor, 1.0), 1e-6, 1 - 1e-6)
        court = min(col.legal.recovery_share * self.cycle[month], 1.0)
        share = np.where(u_legal < col.legal.success_prob, court, 0.0)  # a case won or lost
        # the Beta draw (an inverse CDF, about 1 us a value) only where no case decides
        worked = np.flatnonzero(np.logical_not(legal))
        mean = mean[worked]
        share[worked] = betaincinv(mean * rec.concentration, (1 - mean) * rec.concentration,
                                   u[worked])
        total = np.rint(balance * share).astype(np.int64)
        self.add(month, total, balance, recovery_channel(agency, legal))
        return total

    def add(self, month: int, total: np.ndarray, face: np.ndarray, channel: np.ndarray) -> None:
        """Add accounts charged off in ``month`` to the cohorts of their channels.

        Args:
            total: cents each account will recover (before costs).
            face: cents charged off per account.
            channel: index into :data:`RECOVERY_CHANNELS` per account.
        """
        totals = np.bincount(channel, weights=total, minlength=len(RECOVERY_CHANNELS))
        faces = np.bincount(channel, weights=face, minlength=len(RECOVERY_CHANNELS))
        for i, name in enumerate(RECOVERY_CHANNELS):
            self.totals[name][month] += int(np.rint(totals[i]))
            self.face[name][month] += int(np.rint(faces[i]))

    def one_account(self, month: int, total: int, face: int, channel: int) -> Recoveries:
        """Empty cohorts under these rules holding one account charged off in ``month``
        (``total`` cents to recover, ``face`` cents charged off, ``channel`` an index into
        :data:`RECOVERY_CHANNELS`): the account's own recoveries, for its story."""
        own = Recoveries(self.recovery, self.collections, self.totals["internal"].shape[0])
        own.add(month, np.array([total]), np.array([face]), np.array([channel]))
        return own

    def story_events(self, month: int) -> list[tuple[str, dict[str, int]]]:
        """What these cohorts (one account's, :meth:`one_account`) bring in ``month``, as
        story events: ``("recovery", {"recovered": cents})`` when the recovery pays (gross
        of the agency's commission) and ``("debt_sale", {"sale_proceeds": cents})`` when
        what is left is sold; the account's own cents by the book's rules (the book rounds
        each month's cohort as a whole, so the two may differ by a cent)."""
        flows = self.month_flows(month)
        sale = flows["debt_sale_proceeds"]
        events = []
        if flows["recoveries"] - sale:
            events.append(("recovery", {"recovered": flows["recoveries"] - sale}))
        if sale:
            events.append(("debt_sale", {"sale_proceeds": sale}))
        return events

    def month_flows(self, month: int) -> dict[str, int]:
        """Cents received in ``month`` by channel, debt-sale proceeds and commissions.

        Each cohort's cents are :func:`_cohort_flows`' (the cumulative shares by lag are
        taken once, in ``__init__``); the sums are of whole cents, exact in float64."""
        col = self.collections
        sale = col.debt_sale
        out = {}
        proceeds = 0
        first = self._lag_share.shape[0] - 1 - month  # cohort 0's lag is ``month``
        if first >= 0:
            lag_share, next_share = self._lag_share[first:], self._next_share[first:]
        else:  # past the horizon: every cohort, older than the table's lags
            cum = np.concatenate([[0.0], np.cumsum(self.curve) / np.sum(self.curve)])
            lag = month - np.arange(self._lag_share.shape[0])
            lag_share = cum[np.clip(lag, 0, len(cum) - 1)]
            next_share = cum[np.clip(lag + 1, 0, len(cum) - 1)]
        for name in ("internal", "agency"):
            totals = self.totals[name][: month + 1]
            before = np.rint(totals * lag_share)
            flows = np.rint(totals * next_share) - before
            if sale.enabled:
                lag = month - np.arange(totals.shape[0])
                remaining = self.face[name][: month + 1] - before
                proceeds += int(np.rint(sale.price * remaining[lag == sale.months_after_chargeoff])
                                .sum())
                flows = np.where(lag < sale.months_after_chargeoff, flows, 0.0)
            out[f"recoveries_{name}"] = int(flows.sum())
        delay = col.legal.delay_months
        out["recoveries_legal"] = int(self.totals["legal"][month - delay]) if month >= delay else 0
        out["debt_sale_proceeds"] = proceeds
        out["recovery_commission"] = int(np.rint(out["recoveries_agency"] *
                                                 col.channels["agency"].commission)
                                         ) if "agency" in col.channels else 0
        out["recoveries"] = (out["recoveries_internal"] + out["recoveries_agency"]
                             + out["recoveries_legal"] + proceeds)
        return out
