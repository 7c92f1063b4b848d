"""The ledger's unpaid bills, kept densely for this month and sparsely for arrears.

Every account billed this month holds this month's bill until its due date, but only the
accounts in arrears hold bills of earlier months (a few per cent of a book). So the bill of
the latest statement is kept in two (capacity,) arrays, and the earlier due months' bills in
an arrears table of ``ages`` slots by rows, a row for each account that has one
(:class:`sim.kernels.layout.Bills`): 8 bytes a slot and 56 bytes an account in arrears,
instead of 56 bytes a slot.

The slot of due month ``m`` is ``m % ages`` as before; the current slot (``meta[0]``) is
the latest statement's. Reading a cell of slot ``s`` of account ``w`` (:func:`principal_at`,
:func:`fee_at`) gives this month's bill when ``s`` is the current slot, else the account's
arrears row's cell, 0 when it has none: the same numbers a dense ``(ages, capacity)`` array
held, so every rule reads them as before and results are bit-identical.

A statement (:func:`roll`) moves each account's unpaid bill of the previous month into its
arrears row, taking a free row when it has none, and gives back the rows left empty
(:func:`release`). The ledger keeps enough free rows before a statement
(:meth:`sim.ledger.Ledger.statement`); nothing else writes a non-zero cell of an earlier
month without a row (paying, writing off and restructuring only lower or clear cells; an
acceleration writes its bill into the oldest unpaid bill's cell, which is this month's or
in the account's row).
"""

from __future__ import annotations

from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.layout import Bills

CURRENT, FREE = 0, 1
"""Positions in ``Bills.meta``: the current slot, the count of free rows."""


@njit(cache=True, inline="always")
def ages(b: Bills) -> int:
    """Due-month slots of the bills (``Ledger.ages``)."""
    return b.arrears_principal.shape[0]


@njit(cache=True, inline="always")
def principal_at(b: Bills, s: int, w: int) -> int:
    """Cents of principal billed and unpaid of account ``w`` in due-month slot ``s``."""
    if s == b.meta[CURRENT]:
        return int(b.current_principal[w])
    r = b.row[w]
    return int(b.arrears_principal[s, r]) if r >= 0 else 0


@njit(cache=True, inline="always")
def fee_at(b: Bills, s: int, w: int) -> int:
    """Cents of fees billed and unpaid of account ``w`` in due-month slot ``s``."""
    if s == b.meta[CURRENT]:
        return int(b.current_fee[w])
    r = b.row[w]
    return int(b.arrears_fee[s, r]) if r >= 0 else 0


@njit(cache=True, inline="always")
def set_principal(b: Bills, s: int, w: int, value: int) -> None:
    """Set account ``w``'s unpaid principal of slot ``s`` (a cell of an earlier month only in
    the account's arrears row; raises when a non-zero amount has no row)."""
    if s == b.meta[CURRENT]:
        b.current_principal[w] = value
        return
    r = b.row[w]
    if r >= 0:
        b.arrears_principal[s, r] = value
    elif value != 0:
        raise ValueError("a bill of an earlier month has no arrears row")


@njit(cache=True, inline="always")
def set_fee(b: Bills, s: int, w: int, value: int) -> None:
    """Set account ``w``'s unpaid fees of slot ``s`` (as :func:`set_principal`)."""
    if s == b.meta[CURRENT]:
        b.current_fee[w] = value
        return
    r = b.row[w]
    if r >= 0:
        b.arrears_fee[s, r] = value
    elif value != 0:
        raise ValueError("a bill of an earlier month has no arrears row")


@njit(cache=True, inline="always")
def clear(b: Bills, w: int) -> tuple[int, int]:
    """Set every bill of account ``w`` to 0; return the (principal, fees) they held."""
    p, f = int(b.current_principal[w]), int(b.current_fee[w])
    b.current_principal[w] = 0
    b.current_fee[w] = 0
    r = b.row[w]
    if r >= 0:
        for s in range(b.arrears_principal.shape[0]):
            p += b.arrears_principal[s, r]
            f += b.arrears_fee[s, r]
            b.arrears_principal[s, r] = 0
            b.arrears_fee[s, r] = 0
    return p, f


@njit(cache=True, inline="always")
def roll(b: Bills, w: int, previous: int) -> bool:
    """Move account ``w``'s bill of slot ``previous`` (the last statement's, still in the
    current arrays) into its arrears row, taking a free row when it has none; False when a
    row was needed and none was free (nothing moved)."""
    p, f = b.current_principal[w], b.current_fee[w]
    if p == 0 and f == 0:
        return True
    r = b.row[w]
    if r < 0:
        k = b.meta[FREE]
        if k == 0:
            return False
        k -= 1
        r = b.free[k]
        b.meta[FREE] = k
        b.row[w] = r
    b.arrears_principal[previous, r] = p
    b.arrears_fee[previous, r] = f
    b.current_principal[w] = 0
    b.current_fee[w] = 0
    return True


@njit(cache=True, inline="always")
def release(b: Bills, w: int) -> None:
    """Give account ``w``'s arrears row back when every cell of it is 0."""
    r = b.row[w]
    if r < 0:
        return
    for s in range(b.arrears_principal.shape[0]):
        if b.arrears_principal[s, r] != 0 or b.arrears_fee[s, r] != 0:
            return
    b.free[b.meta[FREE]] = r
    b.meta[FREE] += 1
    b.row[w] = -1


@njit(cache=True)
def rows_needed(b: Bills, n: int) -> int:
    """Accounts among 0..n-1 whose current bill is unpaid and that hold no arrears row: the
    most rows the next statement can take."""
    k = 0
    for w in range(n):
        if b.row[w] < 0 and (b.current_principal[w] != 0 or b.current_fee[w] != 0):
            k += 1
    return k
