"""How the book's events reach whoever follows the accounts (the securitisation vehicle).

The engine is the only caller: after each event it tells every registered listener what
happened to the accounts, as the outcomes the agents returned. A listener reads these
and writes only its own state; it never reaches into the platform or the borrowers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from sim.agents.platform import ChargeOffOutcome
    from sim.ledger import Ledger


class BookListener(Protocol):
    """What a follower of the book is told, as it happens (all amounts in cents)."""

    def on_payments(self, principal: np.ndarray, fee: np.ndarray,
                    idx: np.ndarray | None = None, ends: np.ndarray | None = None) -> None:
        """Payments split into principal and fee (k,) per account ``idx`` (k,) (None:
        accounts 0..k-1).

        ``ends`` (b,): where each batch of the payments ends (positions, the last is k),
        when the collection ladder passes a span of days' payments in one call; an account
        pays at most once in a batch. A listener that adds floats adds a batch at a time,
        in this order, so its sums do not depend on how the batches are grouped into calls.
        None: one batch. The arrays may be views of buffers the engine reuses: a listener
        that keeps them copies them."""

    def on_charge_offs(self, month: int, out: ChargeOffOutcome) -> None:
        """Accounts charged off in ``month``, with their principal, fees and recoveries."""

    def on_purchases(self, amount: np.ndarray, ledger: Ledger) -> None:
        """New purchases per account 0..n-1, booked on ``ledger`` (read only)."""

    def on_restructure(self, idx: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
        """Accounts ``idx`` re-aged: their principal went from ``before`` to ``after``."""
