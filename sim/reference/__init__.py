"""The reference engine: one SimPy process per borrower, plain Python, the same rules.

It is the specification of the model, the oracle the vectorised engine
(:mod:`sim.engine`) is tested against, and the tracer that tells one borrower's story.
Start reading at :mod:`sim.reference.engine` (one borrower's month), then
:mod:`~sim.reference.borrower`, :mod:`~sim.reference.account`,
:mod:`~sim.reference.platform` and :mod:`~sim.reference.ladder`.
"""

from sim.reference.engine import ReferencePath, simulate_reference
from sim.reference.trace import stored_run_replay, trace_borrower

__all__ = ["ReferencePath", "simulate_reference", "stored_run_replay", "trace_borrower"]
