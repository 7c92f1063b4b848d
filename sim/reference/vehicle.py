"""The securitisation vehicle in the reference engine: participations, one account at a time.

The statement of :class:`sim.agents.spv.SPV` for a book of
:class:`~sim.reference.borrower.Borrower` objects; the waterfall itself is the pure,
independently checked :class:`sim.abs.Waterfall`, fed one period's pool cash flows.

- At the end of month ``deal.cutoff_month`` the vehicle buys ``deal.pool_share`` of the
  eligible principal (``deal.eligibility``: open, at most ``max_days_past_due``, score at
  least ``min_score``, ``min_months_on_book``), no account above ``max_obligor_share`` of
  the pool, accounts in a keyed random order, and issues the deal's notes on it.
- It owns the fraction ``share`` of each account's principal it bought: that fraction of
  every payment (principal and fees), charge-off and recovery is its own; a new purchase
  or a re-age's capitalised fees belong to the platform and dilute the fraction.
- Each month end is a payment date: one waterfall period on the month's cash; while
  revolving (``revolving_months``, until a trigger) the principal reinvested buys new
  eligible receivables; a clean-up call or the legal final ends the deal.

Money is cents here; the waterfall works in currency units. Sums are taken account by
account, so figures agree with the vectorised engine's to rounding (not bit for bit).
"""

from __future__ import annotations

import numpy as np

from sim.abs import Waterfall, WaterfallResult
from sim.agents.recoveries import Recoveries
from sim.agents.spv import capped_pool, check_cutoff_pool, pool_periods
from sim.config import RunConfig
from sim.crn import Purpose
from sim.recorder import POOL, Recorder
from sim.reference.borrower import Borrower
from sim.reference.draws import keyed_uniform
from sim.reference.platform import ChargeOff


class Vehicle:
    """One path's vehicle: the fractions it holds, its cash flows and its waterfall."""

    def __init__(self, config: RunConfig, key: int, base_rate: np.ndarray):
        if config.deal is None:
            raise ValueError("the run's config has no deal")
        self.config, self.terms, self.key = config, config.deal, key
        self.base_rate = base_rate
        self.share: dict[int, float] = {}  # borrower slot -> fraction of its principal
        self.recoveries = self._new_recoveries()
        self.n_periods = config.book.horizon_months - self.terms.cutoff_month
        self.waterfall: Waterfall | None = None
        self.cutoff_pool = 0.0  # cents
        self.pool_begin = 0.0  # cents
        self.flows = dict.fromkeys(("interest", "principal", "defaults"), 0.0)
        self.rows = Recorder(POOL)  # a row a period, money in cents
        self.revolving = False

    def _new_recoveries(self) -> Recoveries:
        """Empty recovery cohorts over the run's horizon, under its recovery rules."""
        c = self.config
        return Recoveries(c.recovery, c.collections, c.book.horizon_months)

    # -- cash from one account, as it happens ------------------------------------------------
    def on_payment(self, b: Borrower, principal: int, fee: int) -> None:
        """The vehicle's fraction of a payment: principal and interest (fees)."""
        share = self.share.get(b.slot, 0.0)
        if self.waterfall is not None and share:
            self.flows["principal"] += share * principal
            self.flows["interest"] += share * fee

    def on_charge_off(self, b: Borrower, month: int, out: ChargeOff) -> None:
        """Its fraction of the charged-off principal, and of the recoveries to come."""
        share = self.share.pop(b.slot, 0.0)
        if self.waterfall is None or not share:
            return
        self.flows["defaults"] += share * out.principal
        self.recoveries.add(month, np.array([round(share * out.recovery)]),
                            np.array([round(share * (out.principal + out.fee))]),
                            np.array([out.channel]))

    def dilute(self, b: Borrower, before: int, after: int) -> None:
        """The account's principal grew from ``before`` to ``after`` cents (a purchase or
        a re-age's capitalised fees): the growth is the platform's."""
        share = self.share.get(b.slot, 0.0)
        if self.waterfall is not None and share and after > before:
            self.share[b.slot] = share * (before / after)

    # -- the payment date --------------------------------------------------------------------
    def on_month_end(self, borrowers: list[Borrower], m: int, dpd: list[int]) -> None:
        """Buy the pool at the cut-off; afterwards run the period's waterfall and replenish.

        ``dpd``: days past due of each borrower at this month end.
        """
        month = m + 1
        if month < self.terms.cutoff_month:
            return
        principal = [b.account.principal() for b in borrowers]
        if month == self.terms.cutoff_month:
            self._cut_off(borrowers, m, principal, dpd)
            return
        period = month - self.terms.cutoff_month
        self.revolving = self.revolving and period <= self.terms.revolving_months
        room = self._room(borrowers, m, principal, dpd) if self.revolving else []
        rec = self.recoveries.month_flows(m)
        late = sum(self.share.get(b.slot, 0.0) * p for b, p, d in zip(borrowers, principal, dpd,
                                                                       strict=True)
                   if d >= self.terms.delinquency_dpd)
        inputs = {"pool_balance_begin": self.pool_begin, "interest": self.flows["interest"],
                  "principal": self.flows["principal"],
                  "recoveries": float(rec["recoveries"] - rec["recovery_commission"]),
                  "defaults": self.flows["defaults"], "delinquent_balance": float(late),
                  "replenishment_capacity": float(sum(room))}
        assert self.waterfall is not None, "the vehicle runs its waterfall once it has bought"
        out = self.waterfall.run_period(
            {k: v / 100.0 for k, v in inputs.items()} | {"base_rate": self.base_rate[m]})
        if out["trigger_breached"][0]:
            self.revolving = False  # early amortisation ends the revolving period for good
        bought = self._buy(borrowers, room, principal, out["reinvested"][0] * 100.0)
        pool_end = self._held(borrowers, principal)
        sold = 0.0
        if out["call_exercised"][0] or out["legal_final"][0] or not out["active"][0]:
            sold, pool_end = pool_end, 0.0  # called, or returned at the legal final: the end
            self.share = {}
            self.recoveries = self._new_recoveries()
        self._record(inputs, m, bought, sold, pool_end)
        self.pool_begin = pool_end
        self.flows = dict.fromkeys(self.flows, 0.0)

    def _held(self, borrowers: list[Borrower], principal: list[int]) -> float:
        return float(sum(self.share.get(b.slot, 0.0) * p
                         for b, p in zip(borrowers, principal, strict=True)))

    def _cut_off(self, borrowers: list[Borrower], m: int, principal: list[int],
                 dpd: list[int]) -> None:
        room = self._room(borrowers, m, principal, dpd, cap=False)
        target = self.terms.pool_share * sum(room)
        limit = self.terms.eligibility.max_obligor_share
        self.cutoff_pool = capped_pool(np.array(room), limit, target) or target
        if self.cutoff_pool <= 0:
            raise ValueError(f"deal {self.terms.name!r}: no eligible receivables at the cut-off "
                             f"(end of month {self.terms.cutoff_month}); see deal.eligibility")
        room = self._room(borrowers, m, principal, dpd)
        self._buy(borrowers, room, principal, self.cutoff_pool)
        self.pool_begin = self._held(borrowers, principal)
        check_cutoff_pool(self.pool_begin, target, self.terms.name, limit)
        self.cutoff_pool = self.pool_begin
        self.waterfall = Waterfall(self.terms.sized(self.pool_begin / 100.0), self.n_periods)
        self.revolving = self.terms.revolving_months > 0

    def _room(self, borrowers: list[Borrower], m: int, principal: list[int], dpd: list[int],
              cap: bool = True) -> list[float]:
        """Cents of eligible principal the vehicle could still buy from each account."""
        el = self.terms.eligibility
        out = []
        for b, p, d in zip(borrowers, principal, dpd, strict=True):
            held = self.share.get(b.slot, 0.0) * p
            ok = (b.active and d <= el.max_days_past_due and b.score >= el.min_score
                  and m + 1 - b.onboard_month >= el.min_months_on_book)
            room = p - held if ok else 0.0
            if cap:
                room = min(room, el.max_obligor_share * self.cutoff_pool - held)
            out.append(max(room, 0.0))
        return out

    def _buy(self, borrowers: list[Borrower], room: list[float], principal: list[int],
             amount: float) -> float:
        """Buy ``amount`` cents from ``room``, accounts in the keyed order, the last in part."""
        if amount <= 0:
            return 0.0
        open_ = [i for i, r in enumerate(room) if r > 0]
        open_.sort(key=lambda i: keyed_uniform(self.key, borrowers[i].slot, 0,
                                                  Purpose.VEHICLE_ORDER))
        bought = 0.0
        for i in open_:
            take = min(bought + room[i], amount) - min(bought, amount)
            bought += room[i]
            slot = borrowers[i].slot
            self.share[slot] = min(self.share.get(slot, 0.0) + take / principal[i], 1.0)
        return min(bought, amount) if open_ else 0.0

    def _record(self, inputs: dict, m: int, bought: float, sold: float, pool_end: float) -> None:
        self.rows.record(inputs | {
            "base_rate": float(self.base_rate[m]), "purchased": bought, "sold": sold,
            "pool_balance_end": pool_end,
            "accounts": float(sum(1 for s in self.share.values() if s))})

    def result(self) -> tuple[WaterfallResult, dict[str, np.ndarray]] | None:
        """The waterfall's result and the pool table, once the deal has started."""
        if self.waterfall is None:
            return None
        return self.waterfall.result(), pool_periods(self.rows)
