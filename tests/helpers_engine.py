"""Shared helpers for the engine tests: small configs and an independent bill book.

``BillBook`` keeps every account's bills by due month in plain full-length arrays (no
ring buffer) and applies the documented rules with simple loops: payments go to fees,
oldest first, then to principal, oldest first; an account's days past due are the
whole days since the due date of its oldest unpaid bill. The tests compare the
engine's ledger with it.

``CheckedSimulation`` is a :class:`sim.engine.PathSimulation` that replays on a
``BillBook`` every call the path makes to the ledger's public methods (bills,
payments, restructurings, write-offs) and checks the ledger against it at given times
during the run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from sim.config import RunConfig, deep_merge, load_config
from sim.engine import PathSimulation
from sim.ledger import DAYS_PER_MONTH, Ledger

TINY_DEAL = {"name": "tiny-deal", "seed": 5,
             "book": {"initial_borrowers": 300, "new_borrowers_per_month": 10,
                      "horizon_months": 12}}
"""The book of the breakeven tests, which give it the Baitiao deal (``tiny_deal_config``)."""

SMALL = {
    "name": "small",
    "paths": 2,
    "seed": 7,
    "book": {"initial_borrowers": 200, "new_borrowers_per_month": 0, "horizon_months": 12},
}
TINY = {
    "name": "tiny",
    "paths": 3,
    "seed": 11,
    "book": {"initial_borrowers": 60, "new_borrowers_per_month": 5, "horizon_months": 8},
    "repayment": {"willingness_concentration": 4.0},
}


RISKY = {
    "name": "risky", "seed": 5,
    "book": {"initial_borrowers": 80, "new_borrowers_per_month": 2, "horizon_months": 12},
    "repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0},
    "billing": {"chargeoff_dpd": 60},
    "collections": {"hardship": {"request_prob": 0.5, "income_drop": 0.0},
                    "collectors": {"count": 1, "calls_per_day": 3}}}
"""A risky book of 80 borrowers over 12 months, charged off at 60 days past due: every kind
of event happens to someone (the borrowers' stories' tests)."""


def risky_config(overrides: dict | None = None) -> RunConfig:
    """:data:`RISKY`, validated, with ``overrides`` merged in."""
    return load_config(deep_merge(RISKY, overrides or {}))


def tiny_config(overrides: dict | None = None) -> RunConfig:
    """A config that runs a path in a fraction of a second."""
    return load_config(deep_merge(TINY, overrides or {}))


def small_config(overrides: dict | None = None, **book: int) -> RunConfig:
    """A validated config with a small book; ``book`` keys override the book section."""
    data = deep_merge(SMALL, {"book": book}) if book else dict(SMALL)
    return load_config(deep_merge(data, overrides or {}))


def bernoulli_config(miss_prob: float, overrides: dict | None = None, **book: int) -> RunConfig:
    """Every borrower buys the same amount every month, pays in full, and misses a bill
    entirely with probability ``miss_prob`` (no income shocks, a limit that never binds)."""
    base = {
        "income": {"shocks": False, "dispersion": 0.0},
        "spending": {"purchase_prob": 1.0, "plan_mix": {0: 1.0}, "dispersion": 0.0},
        "repayment": {"model": "bernoulli", "miss_prob": miss_prob},
        "credit_line": {"min_limit": 50_000, "max_limit": 50_000},
    }
    return small_config(deep_merge(base, overrides or {}), **book)


AMOUNT_ARRAYS = ("due_principal", "due_fee", "instalment_principal", "instalment_fee")


def negative_amounts(ledger: Ledger, month: int, n: int) -> list[str]:
    """Names of the ledger's amounts that hold a negative number of cents.

    Checked: the balance, the amount owed and the principal still to be billed (public
    methods), and the arrays of unpaid bills and running instalments that the
    :class:`~sim.ledger.Ledger` docstring documents as cents.
    """
    amounts = {
        "balance": ledger.balance(n),
        "owed": ledger.owed(n),
        "unbilled_principal": ledger.unbilled_principal(month, n),
    }
    amounts.update({name: getattr(ledger, name)[..., :n] for name in AMOUNT_ARRAYS})
    return [name for name, arr in amounts.items() if arr.size and arr.min() < 0]


class BillBook:
    """Unpaid bills of ``capacity`` accounts by due month, in cents."""

    def __init__(self, capacity: int, months: int, due_day: int):
        self.due_day = due_day
        self.months = months
        self.principal = np.zeros((months, capacity), dtype=np.int64)
        self.fee = np.zeros((months, capacity), dtype=np.int64)

    def bill(self, month: int, principal: np.ndarray, fee: np.ndarray) -> None:
        n = principal.shape[0]
        self.principal[month, :n] += principal
        self.fee[month, :n] += fee

    def owed(self, n: int) -> np.ndarray:
        return self.principal[:, :n].sum(axis=0) + self.fee[:, :n].sum(axis=0)

    def overdue_principal(self, n: int) -> np.ndarray:
        return self.principal[:, :n].sum(axis=0)

    def pay(self, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fees oldest first, then principal oldest first; returns (principal, fees) paid."""
        n = amount.shape[0]
        left = amount.astype(np.int64).copy()
        paid = []
        for rows in (self.fee, self.principal):
            total = np.zeros(n, dtype=np.int64)
            for m in range(self.months):
                take = np.minimum(left, rows[m, :n])
                rows[m, :n] -= take
                left -= take
                total += take
            paid.append(total)
        if np.any(left != 0):
            raise AssertionError("a payment exceeded what the account owed")
        return paid[1], paid[0]

    def write_off(self, index: np.ndarray) -> None:
        self.principal[:, index] = 0
        self.fee[:, index] = 0

    def due_time(self, month: int | np.ndarray) -> np.ndarray:
        return np.asarray(month) * DAYS_PER_MONTH + self.due_day

    def dpd(self, t: float, n: int) -> np.ndarray:
        """Whole days since the due date of the oldest bill that is due by ``t`` and unpaid."""
        due = self.due_time(np.arange(self.months))
        unpaid = ((self.principal[:, :n] + self.fee[:, :n]) > 0) & (due <= t)[:, None]
        has = unpaid.any(axis=0)
        oldest = unpaid.argmax(axis=0)
        return np.where(has, np.floor(t - due[oldest]).astype(np.int64), 0)


class CheckedSimulation(PathSimulation):
    """A path whose ledger is checked against a :class:`BillBook` at ``check_times``.

    Every call that changes the bills (statement, payment at the due date or after a
    collection contact, restructuring, write-off) goes through the ledger's public
    methods, which are wrapped here to replay it on the ``BillBook``. Each check
    appends ``(time, ledger dpd, book dpd)`` to ``checks`` and records in
    ``negatives`` any negative amount on the ledger or in savings. Each payment's split
    that differs from the book's allocation goes to ``split_mismatch``; each
    statement's fees minus the late fee the book expects go to ``period_fees``; each
    charge-off's days past due, as the book sees them, to ``chargeoff_dpd``.
    """

    def __init__(self, config: RunConfig, seed: int, path: int, check_times: Iterable[float]):
        super().__init__(config, seed, path)
        self.book = BillBook(config.capacity, config.book.horizon_months, config.billing.due_day)
        self.check_times = sorted(check_times)
        self.checks: list[tuple[float, np.ndarray, np.ndarray]] = []
        self.negatives: list[tuple[float, str]] = []
        self.split_mismatch: list[float] = []
        self.period_fees: list[np.ndarray] = []
        self.chargeoff_dpd: list[np.ndarray] = []
        self._hook_ledger()
        self.extra_processes.append(CheckedSimulation._checker)

    def _hook_ledger(self) -> None:
        ledger, book = self.platform.ledger, self.book
        statement, pay = ledger.statement, ledger.pay
        restructure, charge_off = ledger.restructure, ledger.charge_off

        def check_split(got: tuple, want: tuple) -> None:
            if any(not np.array_equal(g, w) for g, w in zip(got, want, strict=True)):
                self.split_mismatch.append(self.env.now)

        def on_statement(month: int, n: int, rate: float,
                         *accelerate: Any) -> tuple[np.ndarray, np.ndarray]:
            late = np.rint(book.overdue_principal(n) * rate).astype(np.int64)
            principal, fee = statement(month, n, rate, *accelerate)
            self.period_fees.append(fee - late)
            book.bill(month, principal, fee)
            return principal, fee

        def on_pay(month: int, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            got = pay(month, amount)
            check_split(got, book.pay(amount))
            return got

        collected = self.collections.on_payment

        def on_collection(principal: np.ndarray, fee: np.ndarray, idx: np.ndarray,
                          ends: np.ndarray) -> None:
            # a span's collection payments, booked by the ladder's kernels batch by batch
            # (an account pays at most once in a batch): each batch's split as reported
            start = 0
            for end in ends.tolist():
                who = idx[start:end]
                full = np.zeros(self.n, dtype=np.int64)
                full[who] = principal[start:end] + fee[start:end]
                want = book.pay(full)
                check_split((principal[start:end], fee[start:end]), (want[0][who], want[1][who]))
                start = end
            collected(principal, fee, idx, ends)

        def on_restructure(month: int, idx: np.ndarray, grace: int, term: int) -> None:
            restructure(month, idx, grace, term)
            book.write_off(idx)  # the old bills are cancelled; the new plan is billed later

        def on_charge_off(day: float, n: int, chargeoff_dpd: int,
                          open_: np.ndarray) -> tuple[np.ndarray, ...]:
            index, principal, fee = charge_off(day, n, chargeoff_dpd, open_)
            self.chargeoff_dpd.append(book.dpd(self.env.now, self.n)[index])
            book.write_off(index)
            return index, principal, fee

        ledger.statement, ledger.pay = on_statement, on_pay
        self.collections.on_payment = on_collection
        ledger.restructure, ledger.charge_off = on_restructure, on_charge_off

    def _checker(self) -> Iterator:
        for t in self.check_times:
            # equal times: the clock may stand a rounding error past t after the first
            yield self.env.timeout(max(t - self.env.now, 0.0))
            month, n = int(t // DAYS_PER_MONTH), self.n
            ledger = self.platform.ledger
            self.negatives += [(t, name) for name in negative_amounts(ledger, month, n)]
            # savings go negative only as debts elsewhere, down to their limit
            floor = -self.config.income.other_debt_limit_months * self.pool.permanent_income[:n]
            if np.any(self.pool.savings[:n] < floor - 1e-6):
                self.negatives.append((t, "savings"))
            self.checks.append((t, ledger.days_past_due(t, n), self.book.dpd(t, n)))


def cli_command(*args: str) -> list[str]:
    """The argv that runs ``creditsim ARGS`` in a fresh interpreter (for subprocess tests)."""
    return [sys.executable, "-m", "sim.cli", *args]
