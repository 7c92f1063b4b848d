"""The book of free rows shared by the ledger's arrears table and the ladder's table of
worked accounts (:mod:`sim.kernels.rowbook`): its many-row operations are its one-row
operations repeated, growth keeps every row, and a row is free or held, never both."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernels.bills import pop_row as compiled_pop_row
from sim.kernels.rowbook import (
    free_rows,
    grown_book,
    grown_size,
    new_book,
    pop_row,
    pop_rows,
    push_row,
    push_rows,
)


@pytest.mark.parametrize("at", [0, 1])
def test_a_new_book_has_every_row_free_row_0_on_top(at):
    book = new_book(at, 5)
    assert list(free_rows(book, at)) == [4, 3, 2, 1, 0] and (book[:at] == 0).all()
    assert pop_row(book, at) == 0 and pop_row(book, at) == 1 and int(book[at]) == 3


def test_an_empty_book_gives_no_row_and_is_unchanged():
    book = new_book(1, 0)
    assert pop_row(book, 1) == -1 and compiled_pop_row(book, 1) == -1
    assert list(book) == [0, 0]
    with pytest.raises(ValueError, match="1 rows wanted and 0 free"):
        pop_rows(book, 1, 1)


@pytest.mark.parametrize(("size", "free", "need", "capacity", "grown"), [
    (8, 3, 3, 100, 8),     # enough free: as it is
    (8, 3, 4, 100, 16),    # doubles
    (8, 0, 20, 100, 28),   # more than doubling when more are needed
    (8, 0, 20, 12, 12),    # never past a row for every slot
    (12, 0, 5, 12, 12),    # full already
])
def test_growth_doubles_or_takes_what_is_needed_within_the_capacity(size, free, need,
                                                                    capacity, grown):
    assert grown_size(size, free, need, capacity) == grown


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 1), st.integers(1, 12),
       st.lists(st.tuples(st.sampled_from(["pop", "push", "pops", "pushes", "grow"]),
                          st.integers(0, 6)), max_size=40))
def test_a_row_is_free_or_held_never_both_and_the_bulk_operations_repeat_the_single_ones(
        at, size, ops):
    """Random sequences of taking, giving back and growing, each bulk operation checked
    against the single one repeated on a copy."""
    book, held, owner = new_book(at, size), [], np.arange(at) + 7
    book[:at] = owner
    for op, k in ops:
        if op == "pop" and book[at] > 0:
            held.append(pop_row(book, at))
        elif op == "push" and held:
            push_row(book, at, held.pop(k % len(held)))
        elif op == "pops":
            k = min(k, int(book[at]))
            twin = book.copy()
            one_by_one = [pop_row(twin, at) for _ in range(k)]
            got = pop_rows(book, at, k)
            assert list(got) == one_by_one and np.array_equal(book[:at + 1], twin[:at + 1])
            held += got.tolist()
        elif op == "pushes" and held:
            back = np.array(held[:k], dtype=np.int64)
            held = held[k:]
            twin = book.copy()
            for r in back:
                push_row(twin, at, int(r))
            push_rows(book, at, back)
            assert np.array_equal(free_rows(book, at), free_rows(twin, at))
        elif op == "grow":
            grown = grown_size(size, int(book[at]), int(book[at]) + k, 3 * size)
            before = list(free_rows(book, at))
            book = grown_book(book, at, size, grown)
            assert list(free_rows(book, at)) == before + list(range(grown - 1, size - 1, -1))
            size = grown
        free = list(free_rows(book, at))
        assert sorted(free + held) == list(range(size))  # each row free or held, once
        assert book.size == at + 1 + size and (book[:at] == owner).all()
