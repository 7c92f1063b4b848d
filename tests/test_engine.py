"""One Monte Carlo path: event timing, charge-off, buckets, books, seeds, common randomness."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_engine import CheckedSimulation, bernoulli_config, small_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.engine
from sim.config import deep_merge
from sim.delinquency import BUCKETS
from sim.engine import CONCERNS, PathSimulation, path_streams, simulate_path
from sim.ledger import DAYS_PER_MONTH
from sim.metrics import portfolio_table

NO_COLLECTIONS = {"collections": {"enabled": False}}


def always_missing(overrides: dict | None = None, **book: int):
    """Borrowers who buy 720.00 in their first month and never pay; no collections."""
    base = deep_merge(NO_COLLECTIONS, {"spending": {"stress_multiplier": 1.0}})
    return bernoulli_config(1.0, deep_merge(base, overrides or {}), **book)


# -- seeds ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 20261122, 2**40 + 3])
def test_path_streams_are_children_of_the_spawned_path_sequence(seed):
    n_paths = 5
    for i, path_seq in enumerate(np.random.SeedSequence(seed).spawn(n_paths)):
        streams = path_streams(seed, i)
        assert list(streams) == list(CONCERNS)
        for name, child in zip(CONCERNS, path_seq.spawn(len(CONCERNS)), strict=True):
            expected = np.random.default_rng(child).random(4)
            assert np.array_equal(streams[name].random(4), expected), (i, name)


def test_paths_draw_from_their_own_path_streams(monkeypatch):
    calls = []

    def spy(seed: int, path: int):
        calls.append((seed, path))
        return path_streams(seed, path)

    monkeypatch.setattr(sim.engine, "path_streams", spy)
    PathSimulation(small_config(), 99, 3)
    assert calls == [(99, 3)]


def test_same_seed_and_path_give_identical_records():
    config = small_config(initial_borrowers=150, new_borrowers_per_month=5)
    a, b = simulate_path(config, 11, 2), simulate_path(config, 11, 2)
    assert a.monthly.keys() == b.monthly.keys()
    for k in a.monthly:
        assert np.array_equal(a.monthly[k], b.monthly[k]), k
    other = simulate_path(config, 11, 3)
    assert not np.array_equal(a.monthly["new_purchases"], other.monthly["new_purchases"])


# -- one borrower's timeline ----------------------------------------------------------------------
def test_a_path_frees_its_arrays_when_it_returns_without_the_garbage_collector(monkeypatch):
    """The agents refer back to the simulation (a cycle): simulate_path must drop them, so
    that a worker's next path is not built beside the last one's arrays."""
    import gc
    import weakref

    seen = []
    run = PathSimulation.run

    def spy(self: PathSimulation):
        seen.append((weakref.ref(self.platform.ledger), weakref.ref(self.collections)))
        return run(self)

    monkeypatch.setattr(PathSimulation, "run", spy)
    config = small_config(initial_borrowers=150, new_borrowers_per_month=5)
    gc.disable()
    try:
        result = simulate_path(config, 11, 2)
        alive = [ref() is not None for ref in seen[0]]
    finally:
        gc.enable()
    assert alive == [False, False]
    assert result.monthly["active_borrowers"].sum() > 0


def test_six_missed_due_dates_charge_off_at_the_next_batch_before_payments():
    """Bought on day 25, billed in month 1, due on day 50; misses the due dates of months
    1..6 and is charged off at 06:00 on month 7's due day (DPD 180), before 12:00."""
    config = always_missing(initial_borrowers=1, horizon_months=9)
    result = simulate_path(config, 1, 0, trace_ids=(0,))
    log = [(r["day"], r["event"], r["dpd"], r["active"]) for r in result.trace]
    expected = [(0.0, "statement", 0, True), (20.5, "due_date", 0, True),
                (25.5, "purchase", 0, True)]
    for m in range(1, 7):  # frozen from the first miss on: no purchase, so no purchase row
        start, due = m * 30, m * 30 + 20  # the bill of month 1 is due on day 50
        expected += [(float(start), "statement", max(start - 50, 0), True),
                     (due + 0.5, "due_date", due - 50, True)]
    # closed by the charge-off: no statement or due date of its own after it, only what it
    # brings in (the first month of its recovery, at the month's end)
    expected += [(210.0, "statement", 160, True), (230.25, "charge_off", 0, False),
                 (269.99, "recovery", 0, False)]
    assert log == expected
    purchases = [r["purchase"] for r in result.trace if r["event"] == "purchase"]
    assert purchases == [720.0]
    assert result.monthly["charged_off_accounts"].tolist() == [0] * 7 + [1, 0]
    assert result.monthly["missed_payments"].tolist() == [0] + [1] * 6 + [0, 0]


@pytest.mark.parametrize(
    ("chargeoff_dpd", "month", "misses"),
    [(30, 2, 1), (45, 3, 2), (100, 5, 4), (180, 7, 6), (200, 8, 7), (209, 8, 7), (240, 9, 8)],
)
def test_charge_off_happens_exactly_at_the_configured_dpd(chargeoff_dpd, month, misses):
    """The first missed bill is due on day 50; the account is charged off at the first
    batch where it is ``chargeoff_dpd`` days past due, i.e. on day 50 + chargeoff_dpd."""
    config = always_missing({"billing": {"chargeoff_dpd": chargeoff_dpd}},
                            initial_borrowers=3, horizon_months=11)
    check = CheckedSimulation(config, 5, 0, [])
    result = check.run()
    charged = result.monthly["charged_off_accounts"]
    assert charged.tolist() == [3 if m == month else 0 for m in range(11)]
    assert int((50 + chargeoff_dpd) // DAYS_PER_MONTH) == month
    assert [d.tolist() for d in check.chargeoff_dpd if d.size] == [[chargeoff_dpd] * 3]
    assert int(result.monthly["missed_payments"].sum()) == 3 * misses


@pytest.mark.parametrize("due_day", [1, 20, 28])
def test_month_end_buckets_follow_a_missed_bill_through_each_30_day_band(due_day):
    """A bill first due on day 30 + due_day is, at the ends of months 1..6, 30 - due_day,
    60 - due_day, ... days past due: one 30-day band further each month, until the
    charge-off in month 7."""
    config = always_missing({"billing": {"due_day": due_day, "purchase_day": due_day + 1}},
                            initial_borrowers=40, horizon_months=9)
    m = simulate_path(config, 2, 0).monthly
    band = {1: "dpd_1_30", 2: "dpd_31_60", 3: "dpd_61_90", 4: "dpd_91_120",
            5: "dpd_121_150", 6: "dpd_151_180"}
    for month in range(9):
        expected = {b: 0 for b in BUCKETS}
        if month == 0:
            expected["current"] = 40
        elif month in band:
            expected[band[month]] = 40
        assert {b: int(m[f"accounts_{b}"][month]) for b in BUCKETS} == expected, month
        if month in band:
            assert int(m[f"balance_{band[month]}"][month]) == int(m["receivables_balance"][month])
        bucket_total = sum(int(m[f"balance_{b}"][month]) for b in BUCKETS)
        assert bucket_total == int(m["receivables_balance"][month])
    assert m["active_borrowers"].tolist() == [40] * 7 + [0, 0]
    assert m["charged_off_accounts"].tolist() == [0] * 7 + [40, 0]


# -- onboarding -----------------------------------------------------------------------------------
def test_new_borrowers_are_onboarded_at_each_month_start():
    config = small_config(NO_COLLECTIONS, initial_borrowers=50, new_borrowers_per_month=7,
                          horizon_months=6)
    result = simulate_path(config, 4, 0)
    assert result.monthly["onboarded_borrowers"].tolist() == [50 + 7 * m for m in range(6)]
    v = result.vintages
    for cohort, size in ((0, 50), *((c, 7) for c in range(1, 6))):
        rows = v["cohort"] == cohort
        assert set(v["cohort_size"][rows].tolist()) == {size}
        assert v["month"][rows].tolist() == list(range(cohort, 6))
    for month in range(6):
        rows = v["month"] == month
        assert v["purchases"][rows].sum() == result.monthly["new_purchases"][month]
        assert v["charged_off_accounts"][rows].sum() == result.monthly["charged_off_accounts"][
            month]
        assert v["charge_offs"][rows].sum() == result.monthly["charge_offs"][month]


# -- recoveries -------------------------------------------------------------------------------
@pytest.mark.parametrize("curve", [[0.0, 0.0, 1.0], [1.0, 1.0]])
def test_recoveries_follow_the_lag_curve_of_each_charge_off_cohort(curve):
    config = always_missing(
        {"recovery": {"lag_curve": curve}},
        initial_borrowers=30, new_borrowers_per_month=10, horizon_months=14,
    )
    run = PathSimulation(config, 8, 0)
    cohort = np.zeros(14, dtype=np.int64)  # recoveries to come of each month's charge-offs
    charge_off = run.platform.charge_off

    def counted(day, month, *args):  # noqa: ANN001, ANN002, ANN202
        out = charge_off(day, month, *args)
        cohort[month] += int(out.recovery_total.sum())
        return out

    run.platform.charge_off = counted
    result = run.run()
    assert cohort[7:].min() > 0  # every month from 7 on charges off a cohort
    if curve == [0.0, 0.0, 1.0]:
        expected = np.concatenate([[0, 0], cohort[:-2]])
    else:
        half = np.rint(cohort * 0.5).astype(np.int64)
        expected = half + np.concatenate([[0], (cohort - half)[:-1]])
    assert result.monthly["recoveries"].tolist() == expected.tolist()


# -- the books ---------------------------------------------------------------------------------
@st.composite
def engine_configs(draw):
    due_day = draw(st.integers(1, 27))
    weights = draw(st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(
        lambda w: sum(w) > 0.05))
    overrides = {
        "book": {"initial_borrowers": draw(st.integers(20, 300)),
                 "new_borrowers_per_month": draw(st.integers(0, 20)),
                 "horizon_months": draw(st.integers(12, 24))},
        "macro": {"scenario": draw(st.sampled_from(["baseline", "recession"]))},
        "income": {"shocks": draw(st.booleans()),
                   "initial_savings_months": draw(st.floats(0.0, 2.0))},
        "spending": {"purchase_prob": draw(st.floats(0.2, 1.0)),
                     "plan_mix": dict(zip((0, 3, 6, 12), weights, strict=True)),
                     "stress_multiplier": draw(st.floats(1.0, 3.0))},
        "repayment": {"model": draw(st.sampled_from(["structural", "bernoulli"])),
                      "miss_prob": draw(st.floats(0.0, 0.5)),
                      "forget_prob": draw(st.floats(0.0, 0.3)),
                      "willingness_concentration": draw(st.floats(1.0, 40.0)),
                      "partial_payments": draw(st.booleans())},
        "credit_line": {"freeze_dpd": draw(st.integers(1, 60)),
                        "cut_score": draw(st.floats(450, 650))},
        "billing": {"due_day": due_day,
                    "purchase_day": draw(st.integers(due_day + 1, 29)),
                    "chargeoff_dpd": draw(st.integers(30, 240)),
                    "late_fee_daily": draw(st.sampled_from([0.0, 0.0005, 0.004]))},
        "collections": {"enabled": draw(st.booleans()),
                        "hardship": {"request_prob": draw(st.floats(0.0, 1.0))},
                        "debt_sale": {"enabled": draw(st.booleans())}},
        "early_warning": {"enabled": draw(st.booleans()), "fit_months": 4, "threshold": 0.1,
                          "action": draw(st.sampled_from(["reminder", "limit_cut",
                                                          "hardship_offer"]))},
        "nudges": {"enabled": draw(st.booleans())},
    }
    return small_config(overrides), draw(st.integers(0, 2**32 - 1))


ENGINE_SETTINGS = settings(max_examples=30, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow])


@ENGINE_SETTINGS
@given(engine_configs())
def test_books_balance_every_month_to_the_cent(case):
    config, seed = case
    result = simulate_path(config, seed, 0)
    m = result.monthly
    closing = m["opening_balance"] + m["new_purchases"] + m["fees_billed"] - m["payments"] \
        - m["charge_offs"]
    assert closing.tolist() == m["receivables_balance"].tolist()
    assert m["opening_balance"][0] == 0
    assert m["opening_balance"][1:].tolist() == m["receivables_balance"][:-1].tolist()
    assert (m["payments_principal"] + m["payments_fees"]).tolist() == m["payments"].tolist()
    assert (m["charge_offs_principal"] + m["charge_offs_fees"]).tolist() == \
        m["charge_offs"].tolist()
    for k in ("opening_balance", "new_purchases", "fees_billed", "payments", "charge_offs",
              "receivables_balance"):
        assert m[k].dtype.kind == "i", k
    v = result.vintages
    for column, flow in (("purchases", "new_purchases"), ("charge_offs", "charge_offs"),
                         ("charged_off_accounts", "charged_off_accounts")):
        by_month = np.bincount(v["month"], weights=v[column], minlength=len(m[flow]))
        assert by_month.tolist() == m[flow].tolist(), column
    table = portfolio_table([result])
    units = (table["opening_balance"] + table["new_purchases"] + table["fees_billed"]
             - table["payments"] - table["charge_offs"] - table["receivables_balance"])
    assert units.abs().max() < 0.005


@ENGINE_SETTINGS
@given(engine_configs(), st.lists(st.floats(0.0, 1.0), min_size=30, max_size=30))
def test_no_negative_amounts_and_dpd_matches_the_oldest_unpaid_bill(case, fractions):
    """At random times the ledger holds no negative amount, and every account's DPD is
    the whole days since the due date of its oldest unpaid bill, as reconstructed from
    the bills and payments the ledger reported."""
    config, seed = case
    horizon = config.book.horizon_months * DAYS_PER_MONTH
    # 0.0003 past a thousandth of a day: never the time of a scheduled event
    times = [np.floor(horizon * f * 1000) / 1000 + 0.0003 for f in fractions]
    times = [t for t in times if t < horizon - 0.02]
    run = CheckedSimulation(config, seed, 0, times)
    run.run()
    assert run.negatives == []
    assert run.split_mismatch == []
    assert len(run.checks) == len(times)
    for t, ledger_dpd, book_dpd in run.checks:
        assert ledger_dpd.tolist() == book_dpd.tolist(), t
    assert all((d == config.billing.chargeoff_dpd).all() for d in run.chargeoff_dpd)
    assert all((f >= 0).all() for f in run.period_fees)  # fee billed >= the late fee


def test_the_reconstruction_sees_delinquency_collections_hardship_and_charge_offs():
    """One risky book checked at 200 times: the property above on a path known to go
    through every way the bills change (so the hooks are not vacuous)."""
    config = small_config({
        "repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0},
        "collections": {"hardship": {"request_prob": 0.5, "income_drop": 0.0}},
        "billing": {"chargeoff_dpd": 90},
    }, initial_borrowers=300, new_borrowers_per_month=10, horizon_months=15)
    times = np.random.default_rng(0).uniform(0, 15 * DAYS_PER_MONTH - 1, 200)
    run = CheckedSimulation(config, 13, 0, times)
    m = run.run().monthly
    assert m["hardship_enrolments"].sum() > 0
    assert sum(m[f"collected_{c}"].sum() for c in ("sms", "app_push", "auto_call")) > 0
    assert m["charged_off_accounts"].sum() > 0
    assert run.negatives == [] and run.split_mismatch == []
    assert max(int(d.max()) for _, d, _ in run.checks) >= 60
    for t, ledger_dpd, book_dpd in run.checks:
        assert ledger_dpd.tolist() == book_dpd.tolist(), t


def test_bills_without_instalment_plans_carry_only_the_late_fee():
    config = small_config(deep_merge(NO_COLLECTIONS, {
        "spending": {"plan_mix": {0: 1.0}},
        "repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0},
    }), initial_borrowers=200, horizon_months=12)
    run = CheckedSimulation(config, 3, 0, [])
    result = run.run()
    assert result.monthly["fees_billed"].sum() > 0
    assert all(not f.any() for f in run.period_fees)


# -- common random numbers ---------------------------------------------------------------------
def record_each_month(run: PathSimulation) -> list[dict]:
    """Snapshot, one day into each month, of what the policy must not change."""
    snaps: list[dict] = []

    def snapshot(sim_: PathSimulation):
        for m in range(sim_.months):
            yield sim_.env.timeout(m * DAYS_PER_MONTH + 1.0 - sim_.env.now)
            n = sim_.n
            snaps.append({
                "income": sim_.pool.income[:n].copy(),
                "employed": sim_.pool.employed[:n].copy(),
                "unemployment": float(sim_.unemployment[m]),
                "streams": {k: g.bit_generator.state for k, g in sim_.streams.items()},
            })

    run.extra_processes.append(snapshot)
    return snaps


@pytest.mark.parametrize("policy", [
    {"repayment": {"forget_prob": 0.08}},
    {"repayment": {"autopay_share": 0.9, "max_cash_share": 0.5}},
    {"credit_line": {"cut_score": 620, "freeze_dpd": 30, "increase_pct": 0.5}},
    {"collections": {"collectors": {"count": 0}, "legal": {"enabled": False}}},
    {"billing": {"chargeoff_dpd": 120}},
    {"early_warning": {"enabled": True, "fit_months": 4, "threshold": 0.02},
     "nudges": {"enabled": True}},
])
def test_a_policy_change_leaves_income_and_macro_draws_untouched(policy):
    base = small_config({"repayment": {"forget_prob": 0.04}},
                        initial_borrowers=300, new_borrowers_per_month=10, horizon_months=18)
    changed = small_config(deep_merge({"repayment": {"forget_prob": 0.04}}, policy),
                           initial_borrowers=300, new_borrowers_per_month=10, horizon_months=18)
    runs = [PathSimulation(c, 21, 1) for c in (base, changed)]
    snaps = [record_each_month(r) for r in runs]
    results = [r.run() for r in runs]
    assert np.array_equal(runs[0].pool.permanent_income, runs[1].pool.permanent_income)
    assert np.array_equal(runs[0].pool.job_risk, runs[1].pool.job_risk)
    for a, b in zip(*snaps, strict=True):
        assert np.array_equal(a["income"], b["income"])
        assert np.array_equal(a["employed"], b["employed"])
        assert a["unemployment"] == b["unemployment"]
        for concern in ("macro", "traits", "income", "spending", "repayment", "recovery"):
            assert a["streams"][concern] == b["streams"][concern], concern
    # the policy did change something, so the identical draws are not a coincidence
    differs = [not np.array_equal(results[0].monthly[k], results[1].monthly[k])
               for k in ("payments", "receivables_balance", "new_purchases")]
    assert any(differs)


@pytest.mark.parametrize("scenario", ["recession", "severe_recession"])
def test_a_scenario_change_leaves_every_stream_where_it_was(scenario):
    """A recession moves the unemployment the draws act on, not the draws: every concern's
    stream stands at the same state at each month start, so the paths of two scenarios
    pair (``creditsim compare``, and the difference in differences of sim.interaction)."""
    book = {"initial_borrowers": 300, "new_borrowers_per_month": 10, "horizon_months": 18}
    base = small_config({"repayment": {"forget_prob": 0.04}}, **book)
    changed = small_config({"repayment": {"forget_prob": 0.04},
                            "macro": {"scenario": scenario}}, **book)
    runs = [PathSimulation(c, 21, 1) for c in (base, changed)]
    snaps = [record_each_month(r) for r in runs]
    for r in runs:
        r.run()
    for a, b in zip(*snaps, strict=True):
        assert a["streams"] == b["streams"]
    assert snaps[1][-1]["unemployment"] > snaps[0][-1]["unemployment"] + 0.03
    assert not all(np.array_equal(a["employed"], b["employed"]) for a, b in zip(*snaps,
                                                                              strict=True))


# -- employment through the macro path ----------------------------------------------------------
def test_unemployment_of_the_book_follows_the_recession_path():
    """Equal job-loss risk, no noise around the recession path: the share unemployed at
    month end follows pi' = pi (1 - h) + (1 - pi) s, where the job-loss hazard s = max(g'
    - g + h g, 0) / (1 - g) carries the borrowers' rate g = u_base + sensitivity (u -
    u_base) from this month's g to next month's g' (the flow identity; g' = g in the last
    month), from the book onboarded out of work at the stationary share g of month 0."""
    n, months = 20_000, 36
    config = small_config({
        "macro": {"scenario": "recession", "shock_sd": 0.0},
        "income": {"job_loss_dispersion": 0.0, "job_finding_short": 0.2,
                   "job_finding_long": 0.2, "job_finding_elasticity": 0.0},
        "repayment": {"model": "bernoulli", "miss_prob": 0.0},
        "collections": {"enabled": False},
    }, initial_borrowers=n, horizon_months=months)
    m = simulate_path(config, 6, 0).monthly
    inc, h = config.income, config.income.job_finding_short
    base = config.macro.unemployment_base
    rates = m["unemployment_rate"]
    g = np.array([inc.borrowers_rate(float(u), base) for u in rates])
    assert inc.cyclical_sensitivity > 1.0 and g.max() > rates.max()
    pi, expected = g[0], []
    for t in range(g.size):
        g_next = g[min(t + 1, g.size - 1)]
        s = max(g_next - g[t] + h * g[t], 0.0) / (1 - g[t])
        pi = pi * (1 - h) + (1 - pi) * s
        expected.append(pi)
    expected = np.array(expected)
    share = m["unemployed_borrowers"] / m["active_borrowers"]
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(share - expected) < 4 * se + 1e-12)
    assert m["unemployment_rate"].max() == pytest.approx(0.05 + 0.04)


def test_early_warning_acts_before_an_early_due_date():
    overrides = {"early_warning": {"enabled": True, "fit_months": 4, "threshold": 0.05},
                 "repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0},
                 "billing": {"due_day": 5, "purchase_day": 8}}
    m = simulate_path(small_config(overrides, initial_borrowers=500), 1, 0).monthly
    assert m["ew_flagged"].sum() > 0


def test_trace_ids_outside_the_book_are_rejected():
    with pytest.raises(ValueError, match="trace ids"):
        PathSimulation(small_config(), 1, 0, trace_ids=(200,))


def test_the_trace_records_each_contact_of_a_traced_borrower_and_changes_nothing():
    config = small_config()
    ids = tuple(range(0, config.capacity, 2))
    plain = simulate_path(config, 4, 0)
    traced = simulate_path(config, 4, 0, trace_ids=ids)
    for k in plain.monthly:
        assert np.array_equal(plain.monthly[k], traced.monthly[k]), k
    contacts = [r for r in traced.trace if r["event"] in config.collections.channels]
    assert contacts, "some traced borrower was contacted"
    assert all(r["dpd"] >= 1 and r["borrower"] in ids for r in contacts)
    counted = sum(int(traced.monthly[f"actions_{ch}"].sum()) for ch in config.collections.channels
                  if f"actions_{ch}" in traced.monthly)
    assert len(contacts) <= counted


def test_early_warning_survives_a_month_with_no_bill_to_score():
    """Every account of a tiny book is charged off after its first missed bill; once the
    model is fitted, statements with nobody billed must score nobody, not fail."""
    overrides = {"billing": {"chargeoff_dpd": 30, "due_day": 1, "purchase_day": 2},
                 "collections": {"enabled": False},
                 "early_warning": {"enabled": True, "fit_months": 4, "threshold": 0.1}}
    config = bernoulli_config(0.5, overrides, initial_borrowers=21, new_borrowers_per_month=0,
                              horizon_months=12)
    result = simulate_path(config, 7, 0)
    assert (result.monthly["bills_due"][config.early_warning.fit_months:] == 0).any()


def test_charge_off_and_hardship_trace_rows_are_only_those_of_the_borrower_concerned():
    """Each traced borrower gets one charge_off row, in the month the platform charged it
    off, and one hardship row per re-age, in its month; nobody else gets any."""
    config = small_config({
        "repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0,
                      "types": {"first_payment_default": 0.1, "unwilling": 0.1}},
        "collections": {"hardship": {"request_prob": 0.5, "income_drop": 0.0}},
        "billing": {"chargeoff_dpd": 60},
    }, initial_borrowers=120, new_borrowers_per_month=0, horizon_months=10)
    run = PathSimulation(config, 5, 0, trace_ids=tuple(range(120)))
    result = run.run()
    charged = {int(b): int(run.platform.chargeoff_month[b])
               for b in np.flatnonzero(run.platform.chargeoff_month[:120] >= 0)}
    reaged = {int(b): int(run.platform.ledger.reaged_month[b])
              for b in np.flatnonzero(run.platform.ledger.reaged_month[:120] >= 0)}
    assert 0 < len(charged) < 60 and 0 < len(reaged) < 120
    for events, truth in ((("charge_off",), charged),
                          (("hardship", "arrangement_reage"), reaged)):
        rows = [(r["borrower"], r["month"]) for r in result.trace if r["event"] in events]
        assert sorted(rows) == sorted(truth.items()), events
