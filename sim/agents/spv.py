"""The securitisation vehicle (SPV): it buys receivables and pays its notes from their cash.

At the end of month ``deal.cutoff_month`` the vehicle buys a pool of the platform's
receivables chosen by eligibility criteria (current, score above a floor, seasoned, no
borrower above a concentration limit) and issues notes sized as shares of that pool. From
then on it receives its share of every payment, charge-off and recovery on the accounts it
holds, and on each monthly payment date (the month end) it runs one period of the waterfall
(:class:`sim.abs.Waterfall`). During the revolving period the principal the waterfall
reinvests buys new eligible receivables; a trigger breach ends the revolving period.

Ownership is a participation: the vehicle holds a fraction ``share[i]`` of account ``i``'s
principal, pari passu with the platform's own part. Payments and charge-offs of the account
are split in that proportion; a new purchase on the account belongs to the platform, so it
dilutes the fraction without changing the vehicle's balance. The vehicle's pool balance is
``sum(share * principal)``; from one month end to the next it moves only by principal
collections, defaults, purchases and a clean-up call's sale (see `POOL_COLUMNS`).

Money inside the engine is cents; the waterfall works in currency units (cents / 100), the
inputs of each period converted as they are handed to it. The pool's records are kept in
cents and converted with the recorded columns (:data:`sim.recorder.POOL`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.abs import Waterfall
from sim.agents.recoveries import Recoveries
from sim.crn import Purpose, uniforms
from sim.recorder import POOL, Recorder, row_to_currency

if TYPE_CHECKING:
    from sim.abs.deal import Deal
    from sim.agents.platform import ChargeOffOutcome
    from sim.ledger import Ledger

POOL_COLUMNS = tuple(POOL)
"""Columns of the ``pool`` table (:data:`sim.recorder.POOL`: each one's unit and meaning),
money in currency units: the waterfall's inputs, then what the vehicle bought (revolving),
what it sold (the pool bought back at a clean-up call, or returned to the originator after
the legal final period), its balance at the period's end and the number of accounts it
holds a part of. For every period
``pool_balance_begin - principal - defaults + purchased - sold = pool_balance_end``."""


def pool_periods(rows: Recorder) -> dict[str, np.ndarray]:
    """The ``pool`` table of a vehicle's recorded rows (cents; one a period, none before
    the first): each :data:`POOL_COLUMNS` as floats, money in currency units
    (:func:`sim.recorder.row_to_currency`), then ``period``, from 1."""
    series = rows.series()
    out = row_to_currency({k: np.asarray(series.get(k, ()), dtype=float) for k in POOL}, POOL)
    out["period"] = np.arange(1, len(out["interest"]) + 1)
    return out


def capped_pool(room: np.ndarray, limit: float, target: float) -> float:
    """The largest pool, at most ``target``, that ``room`` fills with no account above
    ``limit`` times the pool.

    With every account capped at ``limit * P``, the accounts hold at most
    ``g(P) = sum(min(room, limit * P))``; the pool is the largest ``P <= target`` with
    ``g(P) >= P``. ``g(P) - P`` is concave, zero at ``P = 0`` and linear between the pools
    ``room / limit`` at which accounts stop being capped, so the answer lies on the segment
    after the last such pool where ``g(P) >= P``.
    """
    r = np.sort(room[room > 0])
    if np.minimum(r, limit * target).sum() >= target:
        return target
    at = r / limit  # the pool at which each account's whole room fits under the limit
    excess = np.cumsum(r) + r * np.arange(r.size - 1, -1, -1) - at  # g(P) - P there
    ok = np.flatnonzero((excess >= 0) & (at < target))
    start, left, capped = (0.0, 0.0, r.size) if ok.size == 0 else (
        at[ok[-1]], excess[ok[-1]], r.size - 1 - ok[-1])
    slope = limit * capped - 1.0  # of g(P) - P after ``start``
    return float(min(start + left / -slope, target)) if slope < 0 else start


MIN_POOL_SHARE = 0.01
"""Smallest cut-off pool, as a share of its target, that the vehicle may issue notes on."""


def check_cutoff_pool(bought: float, target: float, name: str, limit: float) -> None:
    """Refuse a cut-off pool too small to carry the notes.

    The notes are sized as shares of the pool bought, so a pool that the concentration limit
    shrinks to a sliver of its target (``max_obligor_share: 1e-9`` bought a few cents) would
    issue notes of a few cents whose losses mean nothing. Refused when the pool is below
    :data:`MIN_POOL_SHARE` of the target or below one currency unit.

    Args:
        bought: cents bought at the cut-off.
        target: cents the deal meant to buy (``pool_share`` of the eligible receivables).
        name: the deal's name, for the message.
        limit: ``eligibility.max_obligor_share``, for the message.

    Raises:
        ValueError: naming ``deal.eligibility.max_obligor_share`` and what would fit.
    """
    if bought >= max(MIN_POOL_SHARE * target, 100.0):
        return
    share = bought / target if target > 0 else 0.0
    raise ValueError(
        f"deal {name!r}: the cut-off pool is {bought / 100:,.2f} ({share:.2%} of the "
        f"{target / 100:,.2f} of eligible receivables it targets): too small to carry the notes. "
        f"deal.eligibility.max_obligor_share = {limit:g} lets no account fill more than that "
        f"share of the pool; raise it, or onboard at least {min(1 / limit, 1e12):,.0f} eligible "
        f"borrowers")


def draw_order(u: np.ndarray) -> np.ndarray:
    """Positions 0..n-1 in the order of the draws ``u`` (n,): a stable sort's (ties by
    position). The vehicle's draws are fixed by its key and the account, so it ranks every
    slot once a path; the accounts with room keep that order among themselves (a subset of
    a stable order, ties still by position, is the stable order of the subset)."""
    return np.argsort(u, kind="stable")


@dataclass(frozen=True)
class BookAtMonthEnd:
    """The platform's accounts 0..n-1 at a month end, as the vehicle reads them: principal
    (cents), days past due, open or not, behaviour score and onboarding month."""

    principal: np.ndarray
    dpd: np.ndarray
    active: np.ndarray
    score: np.ndarray
    onboard_month: np.ndarray

    @property
    def n(self) -> int:
        return int(self.principal.shape[0])


class SPV:
    """One path's vehicle: the pool it holds, its cash flows and its waterfall.

    It follows the book as a :class:`sim.agents.listener.BookListener`: the engine tells it
    of payments, charge-offs, purchases and restructurings as they happen, and of the book
    at each month end (:meth:`on_month_end`).

    Args:
        terms: the deal (the ``deal`` section of the config).
        horizon_months: months simulated (the deal runs from its cut-off to the horizon).
        capacity: borrower slots.
        key: the vehicle's key for keyed draws (:class:`sim.crn.Purpose`).
        base_rate: the path's base rate by month (annual).
        new_recoveries: makes an empty book of recoveries on the platform's terms (the
            vehicle keeps its share of each charge-off's recoveries in one).
    """

    def __init__(self, terms: Deal, horizon_months: int, capacity: int, key: int,
                 base_rate: np.ndarray, new_recoveries: Callable[[], Recoveries]):
        self.terms = terms
        self.key = key
        self.base_rate = base_rate
        self.share = np.zeros(capacity)
        # False when every share is 0 (before the cut-off, after the pool is sold): the
        # listeners' calls then change nothing and return at once
        self.holds = False
        self.new_recoveries = new_recoveries
        self.recoveries = new_recoveries()
        self.n_periods = horizon_months - self.terms.cutoff_month
        self.waterfall: Waterfall | None = None
        self.cutoff_pool = 0.0  # cents
        self.pool_begin = 0.0  # cents, this period's
        self.flows = dict.fromkeys(("interest", "principal", "defaults"), 0.0)
        self.rows = Recorder(POOL)  # a row a period, money in cents
        self.revolving = False
        self.ranked: np.ndarray | None = None  # slots in the order bought (:meth:`_ranked`)

    @property
    def started(self) -> bool:
        return self.waterfall is not None

    # -- cash from the accounts, as it happens -------------------------------------------------
    def on_payments(self, principal: np.ndarray, fee: np.ndarray,
                    idx: np.ndarray | None = None, ends: np.ndarray | None = None) -> None:
        """The vehicle's part of payments (cents per account; ``idx`` None: accounts 0..),
        added to its flows a batch at a time (``ends``: where each batch ends; None: one)."""
        if not self.holds:  # its part is 0 (adding 0.0 to the flows changes no bit)
            return
        share = self.share[: principal.shape[0]] if idx is None else self.share[idx]
        if ends is None:
            self.flows["principal"] += float(share @ principal)
            self.flows["interest"] += float(share @ fee)
            return
        # the cents as floats once (exact below 2**53): each batch's dot is then the same
        # BLAS dot as ``share @ cents`` without a cast of its own; a float sum's order is
        # the batches'
        flows, start = self.flows, 0
        got, interest = flows["principal"], flows["interest"]
        cents, fees = principal.astype(np.float64), fee.astype(np.float64)
        for end in ends.tolist():
            got += float(share[start:end].dot(cents[start:end]))
            interest += float(share[start:end].dot(fees[start:end]))
            start = end
        flows["principal"], flows["interest"] = got, interest

    def on_charge_offs(self, month: int, out: ChargeOffOutcome) -> None:
        """Book the vehicle's part of charged-off principal and of its future recoveries."""
        if not self.holds or out.index.size == 0:
            return
        share = self.share[out.index]
        self.flows["defaults"] += float(share @ out.principal)
        held = share > 0
        if held.any():
            total = np.rint(share * out.recovery_total)[held]
            face = np.rint(share * (out.principal + out.fee))[held]
            self.recoveries.add(month, total, face, out.channel[held])
        self.share[out.index] = 0.0

    def on_purchases(self, amount: np.ndarray, ledger: Ledger) -> None:
        """New purchases belong to the platform: they dilute the vehicle's fraction."""
        if not self.holds:
            return
        idx = np.flatnonzero((amount > 0) & (self.share[: amount.shape[0]] > 0))
        after = ledger.principal_of(idx)
        self.on_restructure(idx, after - amount[idx], after)

    def on_restructure(self, idx: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
        """Accounts ``idx`` grew from ``before`` to ``after`` cents of principal (a purchase,
        or fees capitalised by a hardship plan); the growth is the platform's, so the
        vehicle's fraction shrinks and its balance stays what it was."""
        if not self.holds or idx.size == 0:
            return
        grew = after > before
        idx, before, after = idx[grew], before[grew], after[grew]
        self.share[idx] *= before / after

    # -- the payment date ------------------------------------------------------------------------
    def on_month_end(self, m: int, book: BookAtMonthEnd) -> None:
        """Buy the pool at the cut-off; afterwards run the period's waterfall and replenish."""
        month = m + 1  # months completed
        if month < self.terms.cutoff_month:
            return
        principal, n = book.principal, book.n
        if month == self.terms.cutoff_month:
            self._cut_off(book)
            return
        period = month - self.terms.cutoff_month  # 1..n_periods
        self.revolving = self.revolving and period <= self.terms.revolving_months
        room, late = self._holdings(m, book, self.revolving)
        capacity = float(room.sum())
        rec = self.recoveries.month_flows(m)
        inputs = {
            "pool_balance_begin": self.pool_begin,
            "interest": self.flows["interest"],
            "principal": self.flows["principal"],
            "recoveries": float(rec["recoveries"] - rec["recovery_commission"]),
            "defaults": self.flows["defaults"],
            "delinquent_balance": float(late.sum()),
            "replenishment_capacity": capacity,
        }
        assert self.waterfall is not None, "the vehicle runs its waterfall once it has bought"
        out = self.waterfall.run_period(
            {k: v / 100.0 for k, v in inputs.items()} | {"base_rate": self.base_rate[m]})
        if out["trigger_breached"][0]:
            self.revolving = False  # early amortisation: the revolving period ends for good
        bought = self._buy(room, principal, out["reinvested"][0] * 100.0)
        pool_end = float(self.share[:n] @ principal)
        sold = 0.0
        if out["call_exercised"][0] or out["legal_final"][0] or not out["active"][0]:
            # clean-up call (the platform buys the pool back) or legal final maturity (what is
            # left of the pool returns to the originator): the deal ends
            sold, pool_end = pool_end, 0.0
            self.share[:] = 0.0
            self.holds = False
            self.recoveries = self.new_recoveries()
        self._record(inputs, m, bought, sold, pool_end)
        self.pool_begin = pool_end
        self.flows = dict.fromkeys(self.flows, 0.0)

    def _cut_off(self, book: BookAtMonthEnd) -> None:
        m, principal = self.terms.cutoff_month - 1, book.principal
        room = self._room(m, book, cap=False)
        target = self.terms.pool_share * float(room.sum())
        # The limit is a share of the pool actually bought, which it may keep below target.
        # A book with too few eligible borrowers to meet it at all (fewer than 1 / limit)
        # keeps the limit as a share of the target, as small teaching runs need a deal.
        limit = self.terms.eligibility.max_obligor_share
        self.cutoff_pool = capped_pool(room, limit, target) or target
        if self.cutoff_pool <= 0:
            raise ValueError(f"deal {self.terms.name!r}: no eligible receivables at the cut-off "
                             f"(end of month {self.terms.cutoff_month}); see deal.eligibility")
        room = self._room(m, book)  # now with the concentration limit
        self._buy(room, principal, self.cutoff_pool)
        self.pool_begin = float(self.share[: book.n] @ principal)
        check_cutoff_pool(self.pool_begin, target, self.terms.name, limit)
        self.cutoff_pool = self.pool_begin
        deal = self.terms.sized(self.pool_begin / 100.0)
        self.waterfall = Waterfall(deal, self.n_periods)
        self.revolving = self.terms.revolving_months > 0

    def _room(self, m: int, book: BookAtMonthEnd, cap: bool = True) -> np.ndarray:
        """Cents of eligible principal the vehicle could still buy from each account 0..n-1."""
        return self._holdings(m, book, True, cap)[0]

    def _holdings(self, m: int, book: BookAtMonthEnd, with_room: bool,
                  cap: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The room of :meth:`_room` (empty unless ``with_room``; within the concentration
        limit when ``cap``) and the vehicle's cents held in the accounts
        ``delinquency_dpd`` or more days past due, in account order, from one pass over
        the book (:func:`sim.kernels.vehicle.month_end_holdings`)."""
        from sim.kernels.vehicle import month_end_holdings  # numba loads with the first path

        el, n = self.terms.eligibility, book.n
        return month_end_holdings(
            self.share[:n], book.principal, book.dpd, int(self.terms.delinquency_dpd),
            with_room, book.active, book.score, book.onboard_month, m + 1,
            int(el.max_days_past_due), float(el.min_score), int(el.min_months_on_book), cap,
            float(el.max_obligor_share * self.cutoff_pool))

    def _buy(self, room: np.ndarray, principal: np.ndarray, amount: float) -> float:
        """Buy ``amount`` cents of principal from ``room``, accounts in a keyed random order.

        Whole accounts' room is bought while it fits; the account where the amount runs out
        is bought in part, so the vehicle buys exactly ``min(amount, room.sum())``. The keyed
        order is the same whatever the policy, so policy runs on common random numbers pick
        the same accounts where they can; it is the same every month (:meth:`_ranked`).
        """
        from sim.kernels.vehicle import buy_in_order  # numba loads with the first path

        if amount <= 0:
            return 0.0
        take = np.zeros(np.count_nonzero(room > 0))  # one entry an account with room
        if take.size:
            buy_in_order(self._ranked(), room, principal, self.share, amount, take)
            self.holds = True
        return float(take.sum())

    def _ranked(self) -> np.ndarray:
        """Every slot, in the order of the vehicle's keyed draws (:func:`draw_order`), ranked
        at the first purchase: (capacity,) int32 (slots are int32 throughout the book)."""
        if self.ranked is None:
            slots = np.arange(self.share.size)
            order = draw_order(uniforms(self.key, slots, 0, Purpose.VEHICLE_ORDER))
            self.ranked = order.astype(np.int32)
        return self.ranked

    def _record(self, inputs: dict, m: int, bought: float, sold: float, pool_end: float) -> None:
        """Record the period's row: the waterfall's inputs and what the vehicle did, cents."""
        self.rows.record(inputs | {
            "base_rate": float(self.base_rate[m]), "purchased": bought, "sold": sold,
            "pool_balance_end": pool_end, "accounts": float(np.count_nonzero(self.share))})

    def pool_table(self) -> dict[str, np.ndarray]:
        """The vehicle's pool per period: what it fed the waterfall and what it bought
        (:func:`pool_periods`)."""
        return pool_periods(self.rows)
