"""The monthly handlers' kernels against the statements they replace.

Each kernel of :mod:`sim.kernels.statement`, :mod:`sim.kernels.month_end`,
:mod:`sim.kernels.spending` and :mod:`sim.kernels.limits` is checked bit for bit against
an oracle: the plain-Python reference accounts (:mod:`sim.reference.account`) for the books,
and the vectorised numpy statements the kernels replaced (written out below) for the records,
the purchases and the limit review.
"""

from __future__ import annotations

import numpy as np
from helpers_engine import small_config
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sim.agents.borrowers import FIRST_PAYMENT_DEFAULT, BorrowerPool, BorrowerRules
from sim.agents.platform import LIMIT_STEP_CENTS, RECENT_DECAY, Platform
from sim.agents.recoveries import Recoveries
from sim.config import PLAN_TERMS
from sim.delinquency import (
    BUCKET_EDGES,
    BUCKETS,
    CHARGED_OFF,
    NOT_ON_BOOK,
    RE_AGED,
    bucket_of,
    days_past_due,
)
from sim.kernels.layout import BillArrays
from sim.kernels.limits import review
from sim.kernels.month_end import close_month, redefault_windows
from sim.kernels.month_layout import (
    ACCOUNTS,
    BALANCE,
    CONTRACT_ACCOUNTS,
    CONTRACT_BALANCE,
    LIMITS,
    OPEN,
    REAGED_ACCOUNTS,
    REAGED_BALANCE,
    RECEIVABLES,
    UNEMPLOYED,
)
from sim.ledger import Ledger
from sim.reference.account import Account

FEES = {3: 0.005, 6: 0.006, 12: 0.006}
K_ROLL = len(BUCKETS) + 3  # the roll states and "not on the book"


ACCOUNT_STEP = st.tuples(st.integers(0, 300_000), st.sampled_from((0, 3, 6, 12)),
                         st.sampled_from((0.0, 0.0, 0.5, 1.0)), st.integers(0, 9))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(ACCOUNT_STEP, min_size=4, max_size=4), min_size=1, max_size=20))
def test_the_fused_statement_and_charge_off_keep_the_reference_books(months):
    """Four accounts month by month: the one-pass statement (with acceleration at 40 days)
    and charge-off (at 90 days) give the books of four reference accounts taken through
    ``bill``, ``accelerate`` and ``write_off`` one at a time."""
    k = 4
    ledger, accts = Ledger(k, 90, 20), [Account(due_day=20) for _ in range(k)]
    open_, accelerated = np.ones(k, dtype=bool), np.zeros(k, dtype=bool)
    for m, steps in enumerate(months):
        want = accelerated.copy()
        principal, fee = ledger.statement(m, k, 0.015, 40, open_, accelerated)
        for i, acct in enumerate(accts):
            assert (principal[i], fee[i]) == acct.bill(m, 0.015)
            if open_[i] and not want[i] and acct.days_past_due(m * 30) >= 40:
                assert acct.accelerate(m) >= 0
                want[i] = True
                event("accelerated")
        assert np.array_equal(accelerated, want)
        day = m * 30 + 20.25
        gone = [i for i, a in enumerate(accts) if open_[i] and a.days_past_due(day) >= 90]
        idx, p, f = ledger.charge_off(day, k, 90, open_)
        assert idx.tolist() == gone
        assert list(zip(p.tolist(), f.tolist(), strict=True)) == \
            [accts[i].write_off() for i in gone]
        open_[idx] = False
        for i, (buy, term, pay, _) in enumerate(steps):
            amount = int(accts[i].unpaid * pay)
            paid = np.zeros(k, dtype=np.int64)
            paid[i] = amount
            ledger.pay(m, paid)
            accts[i].pay(amount)
            if open_[i]:
                ledger.book_purchase(m, np.eye(k, dtype=np.int64)[i] * buy,
                                     np.full(k, term), FEES)
                accts[i].book_purchase(m, buy, term, FEES)
        for i, acct in enumerate(accts):
            assert (ledger.outstanding[i], ledger.unpaid[i], ledger.oldest[i]) == \
                (acct.outstanding, acct.unpaid, acct.oldest)
            assert ledger.unbilled_principal(m, k)[i] == acct.unbilled_principal(m)


def test_acceleration_flags_only_open_accounts_not_yet_accelerated():
    ledger = Ledger(3, 90, 20)
    ledger.book_purchase(0, np.array([1200, 1200, 1200]), np.array([12, 12, 12]), FEES)
    open_, accelerated = np.array([True, False, True]), np.array([False, False, True])
    for m in (1, 2, 3):
        ledger.statement(m, 3, 0.0, 40, open_, accelerated)
    # all three are 40+ days late at month 3; account 1 is closed, account 2 was called already
    assert accelerated.tolist() == [True, False, True]
    assert ledger.due_principal[:, 0].sum() == 1200  # the whole principal is billed
    assert ledger.due_principal[:, 1].sum() == 300  # three instalments of 100
    assert ledger.due_principal[:, 2].sum() == 300


# -- the month-end books ------------------------------------------------------------------
def bills_of(month: int, due_fee: np.ndarray) -> BillArrays:
    """The ledger's bills holding the fees ``due_fee`` ((5, k) by due-month slot, ``month``
    the latest statement's) and no principal."""
    ledger = Ledger(capacity=due_fee.shape[1], chargeoff_dpd=120, due_day=20)
    assert ledger.ages == due_fee.shape[0]
    ledger.set_bills(month, np.zeros_like(due_fee), due_fee)
    return ledger.bills()


def numpy_month_end(day, n, due_day, any_reaged, active, oldest, contract_oldest, reaged_left,
                    outstanding, due_fee, limit, employed, last_state, last_balance):
    """The month-end statements of the engine before they were compiled (the oracle)."""
    active = active[:n]
    balance = outstanding[:n].copy()
    dpd = days_past_due(day, oldest[:n], due_day)
    bucket = bucket_of(dpd)
    contractual = dpd.copy()
    if any_reaged:
        contract = np.where(reaged_left[:n] > 0, contract_oldest[:n], -1)
        contractual = np.maximum(dpd, days_past_due(day, contract, due_day))
    state = np.where(active, bucket, CHARGED_OFF)
    state[active & (bucket == 0) & (contractual >= 1)] = RE_AGED
    k = len(BUCKETS)
    table = np.zeros((4, k), dtype=np.int64)
    for row, b in ((BALANCE, bucket), (CONTRACT_BALANCE, bucket_of(contractual))):
        table[row] = np.bincount(b, weights=balance, minlength=k).astype(np.int64)
        table[row + 1] = np.bincount(b[active], minlength=k)
    reaged = state == RE_AGED
    totals = [int(balance.sum()), int(active.sum()), int(limit[:n][active].sum()),
              int((~employed[:n] & active).sum()), int(balance[reaged].sum()), int(reaged.sum())]
    pair = last_state[:n].astype(np.int64) * K_ROLL + state
    counts = np.bincount(pair, minlength=K_ROLL**2).reshape(K_ROLL, K_ROLL)
    money = np.bincount(pair, weights=last_balance[:n], minlength=K_ROLL**2)
    money = np.rint(money).astype(np.int64).reshape(K_ROLL, K_ROLL)
    principal = outstanding[:n] - due_fee[:, :n].sum(axis=0)
    return dpd, principal, table, np.array(totals), counts, money, state, balance


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 300), st.booleans(), st.integers(5, 80),
       st.floats(0, 30))
def test_the_month_end_tables_are_the_numpy_reductions(seed, n_extra, any_reaged, month, hour):
    rng = np.random.default_rng(seed)
    cap = n_extra + 20
    n = cap - rng.integers(0, 10)
    oldest = np.where(rng.random(cap) < 0.6, -1, month - rng.integers(0, 9, cap))
    contract_oldest = np.where(rng.random(cap) < 0.5, -1,
                               month - rng.integers(0, 12, cap)).astype(np.int32)
    reaged_left = np.where(rng.random(cap) < 0.5, 0, rng.integers(1, 10**5, cap)).astype(np.int32)
    outstanding = rng.integers(0, 10**7, cap)
    due_fee = rng.integers(0, 500, (5, cap)).astype(np.int32)
    # row r holds the bill of the due month in month-4..month that is r modulo 5; the bills
    # before the oldest unpaid one are paid (all of them when none is unpaid)
    row_month = np.array([next(mo for mo in range(month - 4, month + 1) if mo % 5 == r)
                          for r in range(5)])
    due_fee[(oldest[None, :] < 0) | (row_month[:, None] < oldest[None, :])] = 0
    active = rng.random(cap) < 0.9
    limit = rng.integers(0, 10**7, cap).astype(np.int32)
    employed = rng.random(cap) < 0.9
    last_state = rng.integers(0, K_ROLL, cap).astype(np.int8)
    last_state[rng.random(cap) < 0.1] = NOT_ON_BOOK
    last_balance = rng.integers(0, 10**7, cap).astype(np.int32)
    args = (month * 30 + hour, month, n, 20, any_reaged, active, oldest, contract_oldest,
            reaged_left, outstanding, *bills_of(month, due_fee), limit, employed)
    *want, state, balance = numpy_month_end(args[0], *args[2:10], due_fee, *args[14:],
                                            last_state, last_balance)
    ks, kb = last_state.copy(), last_balance.copy()
    got = close_month(*args, ks, kb, K_ROLL)
    for name, a, b in zip(("dpd", "principal", "buckets", "totals", "counts", "money"),
                          got, want, strict=True):
        assert np.array_equal(a, b), name
    assert np.array_equal(ks[:n], state) and np.array_equal(kb[:n], balance)
    assert np.array_equal(ks[n:], last_state[n:]) and np.array_equal(kb[n:], last_balance[n:])
    bare = close_month(*args, last_state.copy(), last_balance.copy(), K_ROLL, False)
    assert bare[1].size == 0  # no principal asked for: the rest is the same
    assert all(np.array_equal(a, b) for j, (a, b) in enumerate(zip(bare, got, strict=True))
               if j != 1)
    assert (RECEIVABLES, OPEN, LIMITS, UNEMPLOYED, REAGED_BALANCE, REAGED_ACCOUNTS) == tuple(
        range(6)) and (ACCOUNTS, CONTRACT_ACCOUNTS) == (BALANCE + 1, CONTRACT_BALANCE + 1)


def test_month_end_books_of_three_accounts_by_hand():
    """Day 111, bills due on day 20: account 0 was re-aged and the bill it cancelled fell due
    on day 110 (reported current, 1 day past due by contract: ``re_aged``); account 1's oldest
    bill fell due on day 110 (1-30 days); account 2 was charged off."""
    i32 = np.int32
    open_ = np.array([True, True, False])
    oldest = np.array([-1, 3, -1])
    due_fee = np.zeros((5, 3), dtype=i32)
    due_fee[3, 1] = 50
    last_state = np.array([0, 0, 1], dtype=np.int8)
    last_balance = np.array([500, 600, 700], dtype=i32)
    dpd, principal, table, totals, counts, money = close_month(
        111.0, 3, 3, 20, True, open_, oldest, np.array([3, -1, -1], dtype=i32),
        np.array([1000, 0, 0], dtype=i32), np.array([1000, 2000, 0]), *bills_of(3, due_fee),
        np.array([5000, 6000, 7000], dtype=i32), np.array([True, False, False]),
        last_state, last_balance, K_ROLL)
    assert dpd.tolist() == [0, 1, 0] and principal.tolist() == [1000, 1950, 0]
    assert table[:, :3].tolist() == [[1000, 2000, 0], [1, 1, 0], [0, 3000, 0], [0, 2, 0]]
    assert not table[:, 3:].any()
    assert totals.tolist() == [3000, 2, 11_000, 1, 1000, 1]
    assert last_state.tolist() == [RE_AGED, 1, CHARGED_OFF]
    assert last_balance.tolist() == [1000, 2000, 0]
    pairs = zip(*np.nonzero(counts), strict=True)
    assert {(a, b): (counts[a, b], money[a, b]) for a, b in pairs} == {
        (0, RE_AGED): (1, 500), (0, 1): (1, 600), (1, CHARGED_OFF): (1, 700)}


def numpy_redefaults(m: int, window: int, reaged_month: np.ndarray, active: np.ndarray,
                     dpd: np.ndarray, flags_all: np.ndarray) -> tuple[int, int, int]:
    """``PathSimulation._redefaults`` before it was compiled (the oracle)."""
    n = dpd.shape[0]
    reaged_month = reaged_month[:n]
    idx = np.flatnonzero(reaged_month >= max(m - window, 0))
    flags = flags_all[:, idx]
    flags[:, reaged_month[idx] == m] = False  # a new re-age starts a new window
    gone = ~active[idx]
    flags[0] |= gone | (dpd[idx] >= BUCKET_EDGES[1])
    flags[1] |= gone | (dpd[idx] >= BUCKET_EDGES[2])
    flags_all[:, idx] = flags
    closing = reaged_month[idx] == m - window
    return int(closing.sum()), int(flags[0, closing].sum()), int(flags[1, closing].sum())


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 40), st.integers(1, 300))
def test_the_redefault_windows_are_the_numpy_statement(seed, month, n):
    rng = np.random.default_rng(seed)
    cap = n + 5
    reaged_month = np.where(rng.random(cap) < 0.5, -1,
                            rng.integers(0, month + 1, cap)).astype(np.int16)
    active = rng.random(cap) < 0.8
    dpd = rng.choice([0, 5, 31, 45, 61, 100], n)
    flags = rng.random((2, cap)) < 0.3
    want = flags.copy()
    expected = numpy_redefaults(month, 12, reaged_month, active[:n], dpd, want)
    got = redefault_windows(month, 12, reaged_month, active[:n], dpd, flags)
    assert tuple(got) == expected
    assert np.array_equal(flags, want)


# -- purchases ----------------------------------------------------------------------------
def numpy_desired(pool: BorrowerPool, n: int, rng: np.random.Generator) -> np.ndarray:
    """``BorrowerPool.desired_purchases`` before it was compiled (the oracle)."""
    sp = pool.rules.spending
    buy = rng.random(n) < sp.purchase_prob
    noise = np.exp(0.5 * sp.dispersion * rng.standard_normal(n))
    stressed = pool.savings[:n] < pool.permanent_income[:n]
    since = pool.month - pool.nudged_month[:n]
    effect = np.where(pool.nudged_month[:n] >= 0,
                      np.exp(-np.maximum(since, 0) / pool.rules.nudges.decay_months), 0.0)
    extra = (sp.stress_multiplier - 1.0) * (1.0 - pool.rules.nudges.overborrow_reduction * effect)
    boost = np.where(stressed, 1.0 + extra, 1.0)
    amount = sp.share_of_income * pool.income[:n] * pool.spend_trait[:n] * noise * boost
    amount = np.where(buy, np.floor(amount * 100.0), 0).astype(np.int64)
    return np.where(pool.kind[:n] == FIRST_PAYMENT_DEFAULT, 10**12, amount)


def numpy_plan(pool: BorrowerPool, n: int, rng: np.random.Generator) -> np.ndarray:
    """``BorrowerPool.choose_plan`` before it was compiled (the oracle)."""
    sp = pool.rules.spending
    u = rng.random(n)
    terms = np.array(PLAN_TERMS)
    weights = np.array([sp.plan_mix.get(t, 0.0) for t in PLAN_TERMS])
    tilted = weights * np.where(terms > 0, sp.stress_tilt, 1.0)
    stressed = pool.savings[:n] < pool.permanent_income[:n]
    pick = np.zeros(n, dtype=np.int64)
    for calm, tense in zip(np.cumsum(weights) / weights.sum(),
                           np.cumsum(tilted) / tilted.sum(), strict=True):
        pick += u >= np.where(stressed, tense, calm)
    return terms[np.minimum(pick, len(terms) - 1)]


SPENDING = st.fixed_dictionaries({
    "purchase_prob": st.floats(0, 1), "dispersion": st.floats(0, 2),
    "share_of_income": st.floats(0, 1), "stress_multiplier": st.floats(1, 4),
    "stress_tilt": st.floats(0.2, 5)})


@settings(max_examples=30, deadline=None)
@given(SPENDING, st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_the_purchase_kernels_are_the_numpy_statements(spending, reduction, seed):
    config = small_config({"spending": spending, "nudges": {"overborrow_reduction": reduction}})
    n = 500
    pool = BorrowerPool(BorrowerRules.of(config), n + 7, np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    pool.savings[: n // 2] = -1.0  # half stressed
    edge = slice(n // 2, n // 2 + 20)
    pool.savings[edge] = pool.permanent_income[edge]  # a month's income saved: not stressed
    pool.month = 9
    pool.nudged_month[::3] = rng.integers(0, 12, (n + 7 + 2) // 3)  # some after month 9
    want_amount = numpy_desired(pool, n, np.random.default_rng(seed))
    want_term = numpy_plan(pool, n, np.random.default_rng(seed + 2))
    assert np.array_equal(pool.desired_purchases(n, np.random.default_rng(seed)), want_amount)
    assert np.array_equal(pool.choose_plan(n, np.random.default_rng(seed + 2)), want_term)


def numpy_purchases(platform: Platform, pool: BorrowerPool, month: int, n: int, day: float,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, bool]:
    """``Platform.purchases`` before it was one compiled pass (the oracle): the wishes (the
    numpy statements above, their draws in order), the open limit of eligible accounts, the
    booking (:meth:`Ledger.book_purchase`) and the sums by cohort (``np.bincount``); and
    whether the open limit cut a wish."""
    desired = numpy_desired(pool, n, rng)
    term = numpy_plan(pool, n, rng)
    ledger = platform.ledger
    eligible = (platform.active[:n] & (ledger.reaged_left[:n] == 0)
                & (days_past_due(day, ledger.oldest[:n], ledger.due_day)
                   < platform.credit_line.freeze_dpd))
    room = np.maximum(platform.limit[:n].astype(np.int64) - ledger.outstanding[:n], 0)
    amount = np.where(eligible, np.minimum(desired, room), 0)
    ledger.book_purchase(month, amount, term, platform.billing.instalment_fee)
    cohorts = np.bincount(platform.onboard_month[:n], weights=amount, minlength=12)
    return amount, cohorts, bool((eligible & (room < desired)).any())


@settings(max_examples=30, deadline=None)
@given(SPENDING, st.integers(0, 2**32 - 1), st.floats(0, 400, allow_nan=False),
       st.integers(1, 120))
def test_the_purchase_pass_is_the_numpy_statements(spending, seed, day, freeze):
    """The one compiled pass of ``Platform.purchases`` (draws, wishes, open limit, booking,
    sums by cohort) gives the amounts, books, cohort sums and stream state of the numpy
    statements, on accounts open or not, past due or not, re-aged or not, near the limit."""
    config = small_config({"spending": spending, "credit_line": {"freeze_dpd": freeze}})
    n, cap = 400, 407
    made = []
    for _ in range(2):
        pool = BorrowerPool(BorrowerRules.of(config), cap, np.random.default_rng(seed))
        recoveries = Recoveries(config.recovery, config.collections, 12)
        platform = Platform(config.credit_line, config.billing, config.repayment, recoveries,
                            cap)
        rng = np.random.default_rng(seed + 1)
        platform.onboard(0, n // 2, 0, pool)
        platform.onboard(n // 2, n, 3, pool)
        pool.savings[: n // 3] = -1.0  # a third stressed
        pool.month = 4
        ledger = platform.ledger
        ledger.book_purchase(0, rng.integers(0, 600_000, cap), rng.choice([0, 3, 6, 12], cap),
                             FEES)
        platform.active[rng.random(cap) < 0.1] = False
        ledger.oldest[:] = np.where(rng.random(cap) < 0.6, -1, rng.integers(0, 4, cap))
        ledger.reaged_left[rng.random(cap) < 0.1] = 5
        made.append((platform, pool))
    (old, old_pool), (new, new_pool) = made
    month, day = 4, 120.0 + day
    want, want_cohort, capped = numpy_purchases(old, old_pool, month, n, day,
                                        stream := np.random.default_rng(seed + 2))
    by_cohort = np.zeros(12)
    got = new.purchases(month, n, day, new_pool, rng := np.random.default_rng(seed + 2),
                        by_cohort)
    event(f"someone bought: {bool((got > 0).any())}; the open limit cut a wish: {capped}")
    assert np.array_equal(got, want)
    assert np.array_equal(by_cohort, want_cohort)
    for name in ("step_principal", "step_fee", "outstanding"):
        assert np.array_equal(getattr(new.ledger, name), getattr(old.ledger, name)), name
    assert rng.bit_generator.state == stream.bit_generator.state  # left where numpy leaves it


# -- the limit review ----------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.floats(0, 1), st.floats(0, 1))
def test_the_limit_review_is_the_numpy_statements(seed, after, increase, cut_pct):
    rng = np.random.default_rng(seed)
    n = 300
    max_limit, multiple, cut_score = 20_000.0, 3.0, 600.0
    active = rng.random(n) < 0.9
    paid = rng.random(n) < 0.7
    missed = ~paid & (rng.random(n) < 0.5)
    before = rng.uniform(500, 700, n)
    after_score = before + rng.normal(0, 30, n)
    perm = rng.lognormal(7, 0.5, n)
    limit = (rng.integers(1, 100, n) * LIMIT_STEP_CENTS).astype(np.int32)
    streak = rng.integers(0, after + 1, n).astype(np.int16)
    memories = rng.random((2, n))
    # the oracle: Platform.review_limits before it was compiled
    w_limit, w_streak, w_mem = limit.copy(), streak.copy(), memories.copy()
    w_streak[:] = np.where(missed, 0, w_streak + paid)
    up = np.flatnonzero(active & (w_streak >= after))
    cap = np.minimum(max_limit, multiple * perm[up]) * 100.0
    raised = np.minimum(w_limit[up] * (1.0 + increase), cap)
    raised = (raised // LIMIT_STEP_CENTS).astype(np.int64) * LIMIT_STEP_CENTS
    rises = raised > w_limit[up]
    w_limit[up[rises]] = raised[rises]
    w_streak[up] = 0
    cut = active & (before >= cut_score) & (after_score < cut_score)
    w_mem[0] = RECENT_DECAY * w_mem[0] + missed
    w_mem[1] = RECENT_DECAY * w_mem[1] + cut
    cuts = np.flatnonzero(cut)
    w_limit[cuts] = (w_limit[cuts] * (1.0 - cut_pct)).astype(np.int64)
    rules = (after, max_limit, multiple, increase, cut_score, cut_pct, LIMIT_STEP_CENTS,
             RECENT_DECAY)
    got = review(n, rules, active, paid, missed, before, after_score, perm, limit, streak,
                 memories[0], memories[1])
    assert got == (int(rises.sum()), cuts.size)
    assert np.array_equal(limit, w_limit) and np.array_equal(streak, w_streak)
    assert np.array_equal(memories, w_mem)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 300))
def test_the_open_accounts_values_are_the_boolean_index(seed, n):
    from sim.kernels.month_end import open_values

    rng = np.random.default_rng(seed)
    open_, values = rng.random(n + 7) < 0.8, rng.normal(650, 50, n + 7)
    got = open_values(open_, values, n)
    want = values[:n][open_[:n]]
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert got.size == 0 or got.mean() == want.mean()
