"""The engine passes every outcome on to the registered book listeners (sim.agents.listener)."""

from __future__ import annotations

import numpy as np

from sim.agents.listener import BookListener
from sim.agents.platform import ChargeOffOutcome
from sim.engine import PathSimulation
from sim.ledger import Ledger
from tests.helpers_engine import small_config


class Tally:
    """A listener that adds up what it is told (cents and accounts)."""

    def __init__(self) -> None:
        self.paid = self.charged = self.bought = self.grew = 0
        self.restructured = 0
        self.payments_by_account = 0
        self.batches = 0

    def on_payments(self, principal: np.ndarray, fee: np.ndarray,
                    idx: np.ndarray | None = None, ends: np.ndarray | None = None) -> None:
        self.paid += int(principal.sum() + fee.sum())
        self.payments_by_account += int(idx is not None)
        if ends is not None:  # batches of a span, closing on the last payment
            self.batches += ends.size
            assert ends[-1] == principal.size == idx.size and np.all(np.diff(ends) > 0)

    def on_charge_offs(self, month: int, out: ChargeOffOutcome) -> None:
        self.charged += int(out.principal.sum() + out.fee.sum())

    def on_purchases(self, amount: np.ndarray, ledger: Ledger) -> None:
        self.bought += int(amount.sum())

    def on_restructure(self, idx: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
        self.restructured += idx.size
        self.grew += int((after - before).sum())


def test_listeners_hear_every_payment_charge_off_purchase_and_re_age():
    config = small_config({
        "repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0},
        "collections": {"hardship": {"request_prob": 0.5, "income_drop": 0.0}},
        "billing": {"chargeoff_dpd": 90},
    }, initial_borrowers=300, new_borrowers_per_month=10, horizon_months=15)
    sim = PathSimulation(config, 13, 0)
    tally: BookListener = Tally()
    sim.listeners.append(tally)
    m = sim.run().monthly
    assert isinstance(tally, Tally)
    assert tally.paid == m["payments"].sum() > 0
    assert tally.payments_by_account > 0  # collection payments, account by account
    assert tally.batches >= tally.payments_by_account  # a span's batches in one call
    assert tally.charged == m["charge_offs"].sum() > 0
    assert tally.bought == m["new_purchases"].sum() > 0
    reaged = m["hardship_enrolments"].sum() + m["arrangement_reages"].sum()
    assert tally.restructured == reaged > 0
    assert tally.grew >= 0  # a re-age capitalises fees: principal never shrinks


def test_a_listener_changes_nothing_on_the_books():
    config = small_config(initial_borrowers=150, horizon_months=8)
    plain = PathSimulation(config, 2, 0).run().monthly
    heard = PathSimulation(config, 2, 0)
    heard.listeners.append(Tally())
    for name, values in heard.run().monthly.items():
        np.testing.assert_array_equal(values, plain[name], err_msg=name)
