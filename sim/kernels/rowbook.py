"""The book of free rows of a sparse table: one mechanism behind the ledger's arrears table
(:mod:`sim.kernels.bills`) and the collection ladder's table of worked accounts
(:mod:`sim.kernels.worked`).

Both tables hold a row only for the accounts that need one (a few per cent of a book), the
account's row in ``row`` (one per slot, -1: none). Their book is an int64 array: at position
``at`` the count of free rows, and from ``at + 1`` on a stack of them, the last on top (the
positions before ``at`` are the owner's: the ledger keeps its current slot there). A kernel
takes a free row for an account with :func:`pop_row` and gives it back with
:func:`push_row`; the owner gives back or takes many at once (:func:`push_rows`,
:func:`pop_rows`) and, before a kernel that may need more rows than are free, grows the
table (:func:`grown_size`, :func:`grown_book`): to twice its rows, never past a row for
every slot, since each account holds at most one.

Without numba, so that the code that builds the tables imports none: the kernels use
:func:`pop_row` and :func:`push_row` compiled and inlined (:data:`sim.kernels.bills.pop_row`,
:data:`sim.kernels.bills.push_row`).
"""

from __future__ import annotations

import numpy as np


def new_book(at: int, rows: int) -> np.ndarray:
    """The book of a table of ``rows`` rows, every one free, row 0 on top of the stack;
    ``at`` positions before the count (zeros, the owner's)."""
    book = np.zeros(at + 1 + rows, dtype=np.int64)
    book[at] = rows
    book[at + 1:] = np.arange(rows - 1, -1, -1)
    return book


def pop_row(book: np.ndarray, at: int) -> int:
    """Take the free row on top of the stack of ``book`` (count at ``at``); -1 when none is
    free (the book unchanged)."""
    k = book[at]
    if k == 0:
        return -1
    k -= 1
    book[at] = k
    return book[at + 1 + k]


def push_row(book: np.ndarray, at: int, r: int) -> None:
    """Give row ``r`` back: it goes on top of the stack."""
    book[at + 1 + book[at]] = r
    book[at] += 1


def free_rows(book: np.ndarray, at: int) -> np.ndarray:
    """The free rows, bottom of the stack first (a view)."""
    return book[at + 1: at + 1 + int(book[at])]


def push_rows(book: np.ndarray, at: int, rows: np.ndarray) -> None:
    """Give back ``rows``, in that order (the last ends on top), as :func:`push_row` one
    by one."""
    free = int(book[at])
    book[at + 1 + free: at + 1 + free + rows.size] = rows
    book[at] = free + rows.size


def pop_rows(book: np.ndarray, at: int, k: int) -> np.ndarray:
    """Take ``k`` free rows, in the order :func:`pop_row` one by one takes them.

    Raises:
        ValueError: fewer than ``k`` rows are free.
    """
    free = int(book[at])
    if k > free:
        raise ValueError(f"{k} rows wanted and {free} free")
    taken = book[at + 1 + free - k: at + 1 + free][::-1].copy()
    book[at] = free - k
    return taken


def grown_size(size: int, free: int, need: int, capacity: int) -> int:
    """Rows of a table of ``size`` rows, ``free`` of them free, grown so that ``need`` are
    free: twice its rows or the rows needed if more, never past ``capacity`` (a row for
    every slot; then every account without a row finds a free one). ``size`` when enough
    are free already."""
    if need <= free or size >= capacity:
        return size
    return min(capacity, max(2 * size, size - free + need))


def grown_book(book: np.ndarray, at: int, size: int, grown: int) -> np.ndarray:
    """The book of the table grown from ``size`` to ``grown`` rows: the new rows pushed
    on the free ones, the lowest on top; the positions before ``at`` kept."""
    free = int(book[at])
    out = np.zeros(at + 1 + grown, dtype=np.int64)  # a stack as long as the table
    out[:at + 1 + free] = book[:at + 1 + free]
    out[at + 1 + free: at + 1 + free + grown - size] = np.arange(grown - 1, size - 1, -1)
    out[at] = free + grown - size
    return out
