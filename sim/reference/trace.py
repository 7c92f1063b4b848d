"""One borrower's story from the reference engine."""

from __future__ import annotations

from sim.config import RunConfig
from sim.reference.engine import simulate_reference


def trace_borrower(config: RunConfig, seed: int, path: int, borrower: int) -> list[dict]:
    """The events of ``borrower`` on path ``path`` of root ``seed``, one dict per event.

    Each row holds ``path, borrower, day, month, event, type`` and the borrower's state
    after the event (see :func:`sim.reference.records.trace_row`); rows come only from
    events that happened to this borrower. Empty when the borrower is never onboarded.

    Raises:
        ValueError: ``borrower`` is outside ``0 .. config.capacity - 1``.
    """
    return simulate_reference(config, seed, path, (borrower,)).trace
