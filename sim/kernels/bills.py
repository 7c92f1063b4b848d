"""The ledger's unpaid bills, kept densely for this month and sparsely for arrears.

Every account billed this month holds this month's bill until its due date, but only the
accounts in arrears hold bills of earlier months (a few per cent of a book). So the bill of
the latest statement is kept in ``current`` ((2, capacity): principal, fees), and the
earlier due months' bills in an arrears table ``arrears`` ((2, ages, rows)) with a row for
each account that has one (``row``, (capacity,), -1 when none): 12 bytes a slot and 56 an
account in arrears, instead of 56 bytes a slot. ``rows`` (int64, (2 + table rows,)) holds
the current slot (``rows[CURRENT]``, -1 before the first statement), then the book of free
rows, its count at ``rows[FREE]`` (:mod:`sim.kernels.rowbook`). The kernels take these
four arrays (:meth:`sim.ledger.Ledger.bills`) as four arguments: arrays dispatch fast, and
the helpers below, inlined, take arrays rather than a tuple of them (a tuple passed into an
inlined helper costs a reference count per member and call).

The slot of due month ``m`` is ``m % ages`` as before. Reading a cell of slot ``s`` of
account ``w`` (:func:`cell`) gives this month's bill when ``s`` is the current slot, else
the account's arrears row's cell, 0 when it has none: the same numbers a dense ``(ages,
capacity)`` array held, so every rule reads them as before and results are bit-identical.

A statement (:func:`roll`) moves each account's unpaid bill of the previous month into its
arrears row, taking a free row when it has none, and gives back the rows left empty
(:func:`release`). The ledger keeps enough free rows before a statement
(:meth:`sim.ledger.Ledger.statement`, :func:`rows_needed`); nothing else writes a non-zero
cell of an earlier month without a row (paying, writing off and restructuring only lower or
clear cells; an acceleration writes its bill into the oldest unpaid bill's cell, which is
this month's or in the account's row).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels import rowbook
from sim.kernels.layout import FREE  # the position of the free rows' count in ``rows``

PRINCIPAL, FEE = 0, 1
"""Rows of ``current`` and first index of ``arrears``."""

pop_row = njit(cache=True, inline="always")(rowbook.pop_row)
""":func:`sim.kernels.rowbook.pop_row`, compiled (the ladder's table uses it too)."""
push_row = njit(cache=True, inline="always")(rowbook.push_row)
""":func:`sim.kernels.rowbook.push_row`, compiled."""


@njit(cache=True, inline="always")
def cell(current: np.ndarray, row: np.ndarray, arrears: np.ndarray, cs: int, k: int, s: int,
         w: int) -> int:
    """Cents unpaid of kind ``k`` (:data:`PRINCIPAL`, :data:`FEE`) of account ``w`` in
    due-month slot ``s``, the current slot being ``cs``."""
    if s == cs:
        return int(current[k, w])
    r = row[w]
    return int(arrears[k, s, r]) if r >= 0 else 0


@njit(cache=True, inline="always")
def set_cell(current: np.ndarray, row: np.ndarray, arrears: np.ndarray, cs: int, k: int,
             s: int, w: int, value: int) -> None:
    """Set account ``w``'s unpaid cents of kind ``k`` in slot ``s`` (a cell of an earlier month
    only in the account's arrears row; raises when a non-zero amount has no row)."""
    if s == cs:
        current[k, w] = value
        return
    r = row[w]
    if r >= 0:
        arrears[k, s, r] = value
    elif value != 0:
        raise ValueError("a bill of an earlier month has no arrears row")


@njit(cache=True, inline="always")
def clear(current: np.ndarray, row: np.ndarray, arrears: np.ndarray,
          w: int) -> tuple[int, int]:
    """Set every bill of account ``w`` to 0; return the (principal, fees) they held."""
    p, f = int(current[PRINCIPAL, w]), int(current[FEE, w])
    current[PRINCIPAL, w] = 0
    current[FEE, w] = 0
    r = row[w]
    if r >= 0:
        for s in range(arrears.shape[1]):
            p += arrears[PRINCIPAL, s, r]
            f += arrears[FEE, s, r]
            arrears[PRINCIPAL, s, r] = 0
            arrears[FEE, s, r] = 0
    return p, f


@njit(cache=True, inline="always")
def roll(current: np.ndarray, row: np.ndarray, arrears: np.ndarray, rows: np.ndarray, w: int,
         previous: int) -> bool:
    """Move account ``w``'s bill of slot ``previous`` (the last statement's, still in
    ``current``) into its arrears row, taking a free row when it has none; False when a row
    was needed and none was free (nothing moved)."""
    p, f = current[PRINCIPAL, w], current[FEE, w]
    if p == 0 and f == 0:
        return True
    r = row[w]
    if r < 0:
        r = pop_row(rows, FREE)
        if r < 0:
            return False
        row[w] = r
    arrears[PRINCIPAL, previous, r] = p
    arrears[FEE, previous, r] = f
    current[PRINCIPAL, w] = 0
    current[FEE, w] = 0
    return True


@njit(cache=True, inline="always")
def release(row: np.ndarray, arrears: np.ndarray, rows: np.ndarray, w: int) -> None:
    """Give account ``w``'s arrears row back when every cell of it is 0."""
    r = row[w]
    if r < 0:
        return
    for s in range(arrears.shape[1]):
        if arrears[PRINCIPAL, s, r] != 0 or arrears[FEE, s, r] != 0:
            return
    push_row(rows, FREE, r)
    row[w] = -1


@njit(cache=True)
def rows_needed(current: np.ndarray, row: np.ndarray, n: int) -> int:
    """Accounts among 0..n-1 whose current bill is unpaid and that hold no arrears row: the
    most rows the next statement can take."""
    k = 0
    for w in range(n):
        if row[w] < 0 and (current[PRINCIPAL, w] != 0 or current[FEE, w] != 0):
            k += 1
    return k
