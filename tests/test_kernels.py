"""The compiled kernels: same draws, same arithmetic and same days as the numpy rules.

The engine's records are checked bit for bit against the numpy engine by
``scripts/engine_fingerprint.py``; here each kernel is checked against the rule it
replaces on many inputs, the collectors' capacity on a hand-worked case, the batched
ladder against the day-by-day ladder, and compiled against interpreted kernels.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.borrowers import BorrowerPool, BorrowerRules
from sim.agents.collections import Collections, ladder_rules, ladder_spans
from sim.config import CHANNELS, load_config
from sim.crn import uniforms_at
from sim.engine import PathSimulation
from sim.kernels.accounts import cash_for_bill, pay_account, spend, whole_bills
from sim.kernels.draws import uniform
from sim.kernels.ladder import CALLS, CAPACITY, WAITED, contacts, first_occurrences, open_day
from sim.ledger import Ledger
from sim.validation.collector_queue import queue_config

ROOT = Path(__file__).resolve().parent.parent


# -- draws ------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(key=st.integers(0, 2**63 - 1), who=st.lists(st.integers(0, 2**40), min_size=1,
                                                   max_size=20),
       day=st.integers(0, 2**34), purpose=st.integers(0, 255))
def test_uniform_has_the_bits_of_the_numpy_draw(key, who, day, purpose):
    ids = np.array(who, dtype=np.int64)
    want = uniforms_at(key, ids, day, np.full(ids.size, purpose))
    got = np.array([uniform(key, w, day, purpose) for w in who])
    assert got.tobytes() == want.tobytes()


# -- the ledger's and the borrower's arithmetic -------------------------------------------------
# The rules are stated once, per account, in sim.kernels.accounts; these are independent
# statements of them over arrays of accounts (the numpy engine's, before the kernels), the
# oracles the kernels are checked against.
def numpy_whole_bills(ledger: Ledger, month: int, idx: np.ndarray, cash: np.ndarray
                      ) -> np.ndarray:
    order = ledger.age_order(month)
    principal = np.take(ledger.due_principal, idx, axis=1)[order].astype(np.int64)
    fees = np.take(ledger.due_fee, idx, axis=1).sum(axis=0, dtype=np.int64)
    cleared = np.cumsum(principal, axis=0)
    running = fees[None, :] + cleared
    clears = (cleared > 0) | (principal.sum(axis=0) == 0)[None, :]
    fits = (running <= cash[None, :]) & (running > 0) & clears
    return np.where(fits, running, 0).max(axis=0, initial=0)


def numpy_pay_accounts(ledger: Ledger, month: int, idx: np.ndarray, amount: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Fees oldest first, then principal oldest first; each bucket filled in turn."""
    k, order = ledger.ages, ledger.age_order(month)
    owed = np.concatenate([np.take(ledger.due_fee, idx, axis=1)[order],
                           np.take(ledger.due_principal, idx, axis=1)[order]]).astype(np.int64)
    ahead = np.cumsum(owed, axis=0) - owed  # owed in the buckets ahead of each
    paid = np.minimum(np.maximum(amount[None, :] - ahead, 0), owed)
    left = owed - paid
    by_slot = np.argsort(order)
    ledger.due_fee[:, idx] = left[:k][by_slot]
    ledger.due_principal[:, idx] = left[k:][by_slot]
    unpaid = (left[:k] + left[k:]) > 0
    ledger.oldest[idx] = np.where(unpaid.any(axis=0),
                                  month - k + 1 + unpaid.argmax(axis=0), -1)
    ledger.unpaid[idx] -= amount
    ledger.outstanding[idx] -= amount
    principal = paid[k:].sum(axis=0)
    left_reaged = ledger.reaged_left[idx].astype(np.int64)
    ledger.reaged_left[idx] = left_reaged - np.minimum(left_reaged, principal)
    return principal, paid[:k].sum(axis=0)


def numpy_cash_for_bill(pool: BorrowerPool, who: np.ndarray, share: float,
                        stretch: float, within_income: bool = True) -> np.ndarray:
    savings, perm = pool.savings[who], pool.permanent_income[who]
    moved = stretch * perm
    if within_income:
        moved = np.minimum(moved, pool.disposable[who])
    room = np.maximum(savings + pool.rules.income.other_debt_limit_months * perm, 0.0)
    cash = np.minimum(np.maximum(savings, 0.0) * share + moved, room)
    return np.floor(cash * 100.0).astype(np.int64)


def numpy_spend(pool: BorrowerPool, who: np.ndarray, paid: np.ndarray, share: float) -> None:
    amount = paid / 100.0
    savings = pool.savings[who]
    beyond = np.maximum(amount - np.maximum(savings, 0.0) * share, 0.0)
    pool.disposable[who] = np.maximum(pool.disposable[who] - beyond, 0.0)
    pool.savings[who] = savings - amount


def _ledger(rng: np.random.Generator, k: int, month: int) -> SimpleNamespace:
    """``k`` accounts with random unpaid bills (some zero) in every due-month slot, as dense
    (ages, k) arrays: the book the numpy statements read and write."""
    shape = (Ledger(capacity=k, chargeoff_dpd=90, due_day=12).ages, k)
    ledger = SimpleNamespace(
        ages=shape[0], age_order=Ledger(capacity=k, chargeoff_dpd=90, due_day=12).age_order,
        due_principal=(rng.integers(0, 5000, shape) * (rng.random(shape) < 0.6)
                       ).astype(np.int32),
        due_fee=(rng.integers(0, 300, shape) * (rng.random(shape) < 0.5)).astype(np.int32))
    ledger.unpaid = (ledger.due_principal.sum(axis=0) + ledger.due_fee.sum(axis=0)
                     ).astype(np.int32)
    ledger.outstanding = (ledger.unpaid + rng.integers(0, 10_000, k)).astype(np.int32)
    order = ledger.age_order(month)
    owing = (ledger.due_principal[order] + ledger.due_fee[order]) > 0
    ledger.oldest = np.where(owing.any(axis=0),
                             month - ledger.ages + 1 + owing.argmax(axis=0), -1).astype(np.int16)
    ledger.reaged_left = (rng.integers(0, 4000, k) * (rng.random(k) < 0.3)).astype(np.int32)
    return ledger


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), month=st.integers(4, 40))
def test_whole_bills_and_payments_match_the_ledger(seed, month):
    rng = np.random.default_rng(seed)
    numpy_book = _ledger(rng, 30, month)
    kernel_book = Ledger(capacity=30, chargeoff_dpd=90, due_day=12)
    kernel_book.set_bills(month, numpy_book.due_principal, numpy_book.due_fee)
    for name in ("unpaid", "outstanding", "oldest", "reaged_left"):
        getattr(kernel_book, name)[:] = getattr(numpy_book, name)
    kernel_book._any_reaged = True
    idx = np.arange(30)
    cash = (rng.random(30) * 1.3 * np.maximum(numpy_book.unpaid, 1)).astype(np.int64)
    want = numpy_whole_bills(numpy_book, month, idx, cash)
    got = [whole_bills(month, w, int(c), *kernel_book.bills())
           for w, c in zip(idx.tolist(), cash.tolist(), strict=True)]
    assert got == want.tolist()
    assert kernel_book.whole_bills(month, idx, cash).tolist() == want.tolist()
    amount = np.minimum(cash, numpy_book.unpaid).astype(np.int64)
    principal, fee = numpy_pay_accounts(numpy_book, month, idx, amount)
    paid = [pay_account(month, w, int(a), *kernel_book.bills(), kernel_book.oldest,
                        kernel_book.unpaid, kernel_book.outstanding, kernel_book.reaged_left)
            for w, a in zip(idx, amount, strict=True)]
    assert [p for p, _ in paid] == principal.tolist()
    assert [f for _, f in paid] == fee.tolist()
    for name in ("due_principal", "due_fee", "unpaid", "outstanding", "oldest", "reaged_left"):
        np.testing.assert_array_equal(getattr(kernel_book, name), getattr(numpy_book, name),
                                      err_msg=name)


def test_a_payment_above_what_is_owed_is_refused():
    ledger = Ledger(capacity=1, chargeoff_dpd=90, due_day=12)
    fee = np.zeros((ledger.ages, 1), dtype=np.int32)
    fee[0, 0] = 50
    ledger.set_bills(0, np.zeros_like(fee), fee)
    ledger.unpaid[0], ledger.oldest[0] = 50, 0
    with pytest.raises(ValueError, match="exceeds what the account owes"):
        pay_account(0, 0, 51, *ledger.bills(), ledger.oldest, ledger.unpaid,
                    ledger.outstanding, ledger.reaged_left)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.0, 1.0), stretch=st.floats(0.0, 3.0),
       within_income=st.booleans())
def test_cash_for_bill_matches_the_borrowers(seed, share, stretch, within_income):
    config = load_config({"repayment": {"stretch_within_income": within_income}})
    pool = BorrowerPool(BorrowerRules.of(config), 50, np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    pool.savings[:] = rng.normal(0, 2000, 50)
    pool.disposable[:] = np.maximum(rng.normal(300, 400, 50), 0)
    want = numpy_cash_for_bill(pool, np.arange(50), share, stretch, within_income)
    debt = config.income.other_debt_limit_months
    got = [cash_for_bill(share, stretch, pool.savings[w], pool.permanent_income[w],
                         pool.disposable[w], debt, within_income) for w in range(50)]
    assert got == want.tolist()
    assert pool.cash_for_bill(50, share, stretch).tolist() == want.tolist()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.0, 1.0), stretch=st.floats(0.0, 3.0))
def test_spend_matches_the_borrowers(seed, share, stretch):
    """A payment of what :func:`cash_for_bill` allows leaves the same savings and the same
    affordable amount in the kernel as in ``BorrowerPool.spend``, bit for bit."""
    config = load_config({})
    pool = BorrowerPool(BorrowerRules.of(config), 50, np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    pool.savings[:] = rng.normal(0, 2000, 50)
    pool.disposable[:] = np.maximum(rng.normal(300, 400, 50), 0)
    who = np.arange(50)
    paid = numpy_cash_for_bill(pool, who, share, stretch)
    savings, disposable = pool.savings.copy(), pool.disposable.copy()
    for w in range(50):
        savings[w], disposable[w] = spend(int(paid[w]), share, savings[w], disposable[w])
    kernel_savings, kernel_disposable = pool.savings.copy(), pool.disposable.copy()
    numpy_spend(pool, who, paid, share)
    assert savings.tobytes() == pool.savings.tobytes()
    assert disposable.tobytes() == pool.disposable.tobytes()
    pool.savings[:], pool.disposable[:] = kernel_savings, kernel_disposable
    pool.spend(who, paid, share)  # the pool's method is the kernel's rule
    assert savings.tobytes() == pool.savings.tobytes()
    assert disposable.tobytes() == pool.disposable.tobytes()


@settings(deadline=None)
@given(st.lists(st.integers(0, 6), max_size=30))
def test_first_occurrences_are_numpy_unique_first_indices(values):
    v = np.array(values, dtype=np.int64)
    by_value = np.unique(v, return_index=True)[1]
    assert first_occurrences(v, True).tolist() == by_value.tolist()
    assert first_occurrences(v, False).tolist() == sorted(by_value.tolist())


def test_an_account_leaves_the_queue_when_the_collectors_rung_can_no_longer_call_it():
    """No calls to give, the human rung 5-40 days past due. Day d: accounts 0 and 1 are 40
    days past due, 2 is 10, and all three queue. Day d+1: 0 is 41, out of the window, and
    1 was placed with the agency: both leave; 2 stays. Day d+2: 2 no longer past due (its
    oldest bill paid) leaves too. The rung's wait or the caps would only hold a call back."""
    from sim.config import deep_merge

    base = queue_config(calls_per_day=0).model_dump(mode="json")
    config = load_config(deep_merge(base, {"collections": {"ladder": [
        {"channel": "human", "from_dpd": 5, "to_dpd": 40, "every_days": 1}]}}))
    sim = PathSimulation(config, 1, 0)
    col, ledger = sim.collections, sim.platform.ledger
    ledger.oldest[:3] = [0, 0, 1]
    sim.platform.active[:3] = True
    r, s, book = ladder_rules(col, 400), col.state, col._book()
    day = ledger.due_day + 40
    cand = np.arange(3)
    queued = []
    for d in (day, day + 1, day + 2):
        if d == day + 1:
            col.agency[1] = True
        if d == day + 2:
            ledger.oldest[2] = 5  # a bill due later: not past due
        cand, idx, dpd = open_day(d, cand, r, s, book, col.bufs, col.sizes)
        contacts(d, idx, dpd, r, s, book)
        queued.append(col.ladder_field("queued_since", 3).tolist())
    assert queued == [[day, day, day], [-1, -1, day], [-1, -1, -1]]


# -- promises -----------------------------------------------------------------------------------
def test_a_promise_due_once_counts_once_when_a_cancelled_one_fell_due_the_same_day():
    """A re-age cancels a promise but leaves its entry waiting; a new promise falling due the
    same day adds a second entry for the account. The day counts one promise kept, as in
    the reference engine (where the cancelled promise's process finds its day changed)."""
    from sim.kernels.ladder import _promise, promises_due
    from sim.kernels.layout import KEPT, MADE
    from sim.kernels.worked import take

    sim = PathSimulation(queue_config(calls_per_day=2), 1, 0)
    col = sim.collections
    r, s, book = ladder_rules(col, 400), col.state, col._book()
    bufs, sizes = col.bufs, col.sizes
    human = CHANNELS.index("human")  # the channel that takes promises in this config
    who, ch, keep = np.array([0]), np.array([human]), np.array([0.0])  # 0 < keep share: kept
    _promise(100, who, ch, keep, r, s, bufs, sizes)
    s.promise_day[take(s.row, s.rows, s.slot_of, 0)] = -1  # a re-age cancels it
    _promise(100, who, ch, keep, r, s, bufs, sizes)
    due = 100 + int(r.promise_days[human])
    promises_due(due, r, s, book, bufs, sizes)
    assert s.tally[MADE] == 2 and s.tally[KEPT] == 1
    assert sizes[0] == 0 and col.ladder_field("promise_day", 1)[0] == -1


# -- the collectors' capacity, by hand ------------------------------------------------------------
def test_collectors_call_their_daily_capacity_in_priority_order_and_it_does_not_carry():
    """Two calls a day, oldest first, ties by slot; the rung acts every 90 days.

    Day d: accounts 0, 1, 3 are 65 days past due and 2 is 35: 0 and 1 are called, 2 and 3
    queue. Day d+1: 2 and 3 (waiting one day each) are called. Day d+2: nobody is left to
    call and the two unused calls are lost (capacity counts 2 a day, calls do not carry).
    """
    config = queue_config(calls_per_day=2)
    sim = PathSimulation(config, 1, 0)
    col = sim.collections
    ledger = sim.platform.ledger
    ledger.oldest[:4] = [0, 0, 1, 0]
    sim.platform.active[:4] = True
    r, s, book = ladder_rules(col, 400), col.state, col._book()
    bufs, sizes = col.bufs, col.sizes
    day = 2 * 30 + ledger.due_day + 5
    cand = np.arange(4)
    called = []
    for d in (day, day + 1, day + 2):
        cand, idx, dpd = open_day(d, cand, r, s, book, bufs, sizes)
        pos, _ = contacts(d, idx, dpd, r, s, book)
        called.append(idx[pos].tolist())
        if d == day:
            assert dpd.tolist() == [65, 65, 35, 65]
            assert col.ladder_field("queued_since", 4).tolist() == [-1, -1, day, day]
    assert called == [[0, 1], [3, 2], []]  # day d+1: 3 is older (66 days) than 2 (36)
    assert s.tally[CALLS] == 4 and s.tally[CAPACITY] == 6
    assert s.tally[WAITED] == 2  # 2 and 3 waited one day each
    assert col.ladder_field("queued_since", 4).tolist() == [-1, -1, -1, -1]


# -- spans of days ------------------------------------------------------------------------------
def test_spans_start_on_the_first_day_worked_after_each_event():
    # work at 0.75 of each day: an event at 3.5 comes before day 3's work, at 5.9 after
    # day 5's, so runs start on days 3 and 6
    assert ladder_spans(10, [0.0, 3.5, 5.9, 29.99]) == [(0, 2), (3, 5), (6, 9)]
    assert ladder_spans(10, None) is None
    assert ladder_spans(10, [4.75]) is None  # at a work time: day by day


# -- batched against day by day, compiled against interpreted ------------------------------
SMALL = {"book": {"initial_borrowers": 400, "new_borrowers_per_month": 20,
                  "horizon_months": 10},
         "income": {"essential_share": 0.8}, "repayment": {"forget_prob": 0.1},
         "collections": {"hardship": {"request_prob": 0.5},
                         "reage": {"enabled": True, "after_payments": 2}}}


class _DayByDay(Collections):
    def daily(self, days, events=None):
        return super().daily(days)


def _monthly_digest(monthly: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(monthly):
        h.update(name.encode() + np.ascontiguousarray(monthly[name]).tobytes())
    return h.hexdigest()


def _run(day_by_day: bool, seed: int = 7) -> dict[str, np.ndarray]:
    sim = PathSimulation(load_config(SMALL), seed, 0)
    if day_by_day:
        sim.collections = sim.build_collections(_DayByDay)
    return sim.run().monthly


def test_the_batched_ladder_gives_the_day_by_day_records():
    batched, daily = _run(False), _run(True)
    assert sum(batched["collector_calls"]) > 0 and sum(batched["payments"]) > 0
    assert _monthly_digest(batched) == _monthly_digest(daily)


def test_a_changed_rule_changes_the_digest():
    """(So the comparisons above can fail.)"""
    assert _monthly_digest(_run(False, seed=7)) != _monthly_digest(_run(False, seed=8))


INTERPRETED = """
import json, sys
import numpy as np
sys.path.insert(0, {tests!r})
np.seterr(over="ignore")  # the draws' unsigned products wrap, as compiled
from test_kernels import _monthly_digest, _run
print(json.dumps([_monthly_digest(_run(False)), _monthly_digest(_run(True))]))
"""


@pytest.mark.slow
def test_interpreted_kernels_give_the_compiled_records():
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    out = subprocess.run([sys.executable, "-c", INTERPRETED.format(tests=str(ROOT / "tests"))],
                         env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    interpreted = json.loads(out.stdout.strip().splitlines()[-1])
    compiled = _monthly_digest(_run(False))
    assert interpreted == [compiled, compiled]


def test_kernels_load_from_the_disk_cache():
    """A second process finds the compiled ladder on disk (nothing is compiled again)."""
    code = ("from test_kernels import _run; from sim.kernels.span import run_days; _run(False); "
            "print(sum(run_days.stats.cache_misses.values()), len(run_days.stats.cache_hits))")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, cwd=ROOT)
    misses, hits = map(int, out.stdout.split())
    assert misses == 0 and hits == 1



def test_the_cache_folder_follows_every_kernel_source(tmp_path, monkeypatch):
    """An edit of any kernel file (a callee or a constant, which numba's own check misses)
    moves the cache to a new folder."""
    import shutil

    from sim.kernels import cache

    for path in cache.SOURCES.glob("*.py"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(cache, "SOURCES", tmp_path)
    before = cache.sources_digest()
    accounts = tmp_path / "accounts.py"
    accounts.write_text(accounts.read_text() + "\n")
    assert cache.sources_digest() != before
    rules = tmp_path / "delinquency.py"  # a rule the kernels compile from outside sim/kernels
    rules.write_text(cache.RULES[0].read_text())
    monkeypatch.setattr(cache, "RULES", (rules,))
    before = cache.sources_digest()
    rules.write_text(rules.read_text() + "\n")
    assert cache.sources_digest() != before
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    assert cache.cache_folder() == tmp_path / "cache" / cache.sources_digest()
