"""Positions in the month-end tables of :func:`sim.kernels.month_end.close_month`, without
numba, so that the engine reads them before numba loads."""

from __future__ import annotations

BALANCE, ACCOUNTS, CONTRACT_BALANCE, CONTRACT_ACCOUNTS = range(4)
"""Rows of the bucket table (columns: :data:`sim.delinquency.BUCKETS`): balance of every
account and open accounts by reported bucket, then the same by contractual bucket."""
RECEIVABLES, OPEN, LIMITS, UNEMPLOYED, REAGED_BALANCE, REAGED_ACCOUNTS = range(6)
"""Positions in the totals: the balance, open accounts, their limits, open accounts
unemployed, balance and count of accounts in the ``re_aged`` state."""
