"""The securitisation vehicle (sim/agents/spv.py) and its run-store tables (sim/securitisation.py).

Small books (2,000 borrowers, 24 months, cut-off at month 6) and a few paths. The checks are
invariants that must hold on every path and period: cash is conserved, the vehicle never gets
more than the platform, the steppable and the vectorised waterfall agree, eligibility and the
concentration limit hold, revolving keeps the pool level, a clean-up call ends the deal, losses
hit the junior notes first; then config errors and the deal's command-line report.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SMALL_DEAL, small_config
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
import sim.cli
from sim.abs import (
    note_metrics,
    result_to_frame,
    steps_to_frame,
    triggers_to_frame,
    waterfall_arrays,
)
from sim.agents.spv import BookAtMonthEnd
from sim.cli import main
from sim.config import ConfigError, RunConfig, deep_merge, load_config
from sim.engine import PathSimulation
from sim.ledger import DAYS_PER_MONTH
from sim.securitisation import abs_tables, note_loss_columns
from sim.store import Run

SEED = 11
PATHS = 3
HORIZON, CUTOFF = 24, 6  # of the small book and the small deal
TOL = 1e-6  # currency units
CENT = 0.01
"""What the waterfall rounds to: it pays whole cents, rounded down (docs/WATERFALL.md §5.11),
out of a pool the vehicle holds as its share of each account, in fractions of a cent; an
amount paid against a pool amount differs from it by less than a cent."""
LEVEL = 0.05
"""How close a revolving pool stays to its level: each period's purchases are the principal
amount rounded down to the cent, and the sub-cent rest comes back in later periods, so the
pool wanders by a few cents (at most 0.029 on the test runs), never more."""
CENT = 1.0  # cents, inside the engine
FLOWS = ("pool_balance_begin", "interest", "principal", "recoveries", "defaults",
         "delinquent_balance", "replenishment_capacity", "purchased", "sold",
         "pool_balance_end", "accounts")
WATERFALL_INPUTS = ("pool_balance_begin", "interest", "principal", "recoveries", "defaults",
                    "delinquent_balance", "base_rate", "replenishment_capacity")


def deal_config(deal: dict | None = None, overrides: dict | None = None) -> dict:
    """The small book with the small deal, ``deal`` merged into the deal's terms."""
    return small_config(deep_merge(deep_merge(SMALL_DEAL, {"deal": deal or {}}), overrides or {}))


TIGHT = {"pool_share": 1.0, "revolving_months": 9,
         "eligibility": {"max_obligor_share": 0.001}}
"""Every eligible receivable for sale, a concentration limit that keeps the cut-off pool below
that, and a longer revolving period."""
CONFIGS = {"baseline_deal": deal_config(), "tight_deal": deal_config(TIGHT)}


@functools.cache
def run_of(name: str) -> Run:
    """The run of ``CONFIGS[name]`` (PATHS paths, seed SEED), made once per session."""
    return sim.run(CONFIGS[name], paths=PATHS, seed=SEED, out=None)


@pytest.fixture(params=list(CONFIGS))
def deal_run(request) -> Run:
    return run_of(request.param)


def pool_by_month(run: Run) -> pd.DataFrame:
    """The pool table joined to the portfolio: period p is 0-based month cutoff - 1 + p."""
    cutoff = run.manifest["config"]["deal"]["cutoff_month"]
    pool = run["pool"].assign(month=lambda d: cutoff - 1 + d["period"])
    return pool.merge(run.portfolio, on=["path", "month"], how="left", suffixes=("", "_book"),
                      validate="one_to_one", indicator=True)


def deal_rows(tables) -> pd.DataFrame:  # noqa: ANN001 - a Run or a dict of tables
    """Deal-level columns of the notes table (repeated on every note): one row per period."""
    notes = tables["notes"]
    return notes[notes["note"] == notes["note"].iloc[0]].reset_index(drop=True)


# -- 1. cash is conserved --
def test_pool_moves_only_by_collections_defaults_purchases_and_sales(deal_run):
    p = deal_run["pool"]
    assert len(p) == PATHS * (HORIZON - CUTOFF)
    moved = (p.pool_balance_begin - p.principal - p.defaults + p.purchased - p.sold
             - p.pool_balance_end)
    assert moved.abs().max() < TOL
    assert (p[list(FLOWS)] >= -TOL).all().all()


def test_each_period_starts_where_the_last_one_ended(deal_run):
    p = deal_run["pool"].sort_values(["path", "period"])
    for _, g in p.groupby("path"):
        assert np.array_equal(g.period, np.arange(1, HORIZON - CUTOFF + 1))
        gap = g.pool_balance_begin.to_numpy()[1:] - g.pool_balance_end.to_numpy()[:-1]
        assert np.abs(gap).max() < TOL


# -- 2. the vehicle never receives more than the platform --
def test_period_p_is_month_cutoff_minus_1_plus_p(deal_run):
    m = pool_by_month(deal_run)
    assert (m["_merge"] == "both").all()
    assert m.groupby("path").month.agg(["min", "max"]).eq([CUTOFF, HORIZON - 1]).all().all()
    assert np.array_equal(m.base_rate, m.base_rate_book)  # the same month's macro draw


def test_vehicle_never_receives_more_than_the_platform(deal_run):
    m = pool_by_month(deal_run)
    assert (m.principal <= m.payments_principal + TOL).all()
    assert (m.interest <= m.payments_fees + TOL).all()
    assert (m.principal + m.interest <= m.payments + TOL).all()
    assert (m.defaults <= m.charge_offs_principal + TOL).all()
    assert (m.pool_balance_end <= m.receivables_balance + TOL).all()
    assert (m.pool_balance_begin <= m.opening_balance + TOL).all()
    # its recoveries are its part of the platform's, net of commission (whole cents per
    # charge-off cohort and channel)
    slack = 0.01 * (2 * HORIZON + 2)
    assert (m.recoveries <= m.recoveries_book - m.recovery_commission + slack).all()
    assert m.principal.sum() > 0 and m.interest.sum() > 0 and m.defaults.sum() > 0


# -- 3. the steppable waterfall and the vectorised one agree --
def test_stored_tables_are_what_waterfall_arrays_gives_on_the_pool(deal_run):
    config = RunConfig.model_validate(deal_run.manifest["config"])
    pool = deal_run["pool"].sort_values(["path", "period"])
    tables: dict[str, list[pd.DataFrame]] = {"notes": [], "waterfall": [], "triggers": []}
    for path, g in pool.groupby("path"):
        deal = config.deal.sized(float(g.pool_balance_begin.iloc[0]))  # this path's cut-off
        result = waterfall_arrays(deal, {c: g[c].to_numpy()[None, :] for c in WATERFALL_INPUTS})
        tables["notes"].append(result_to_frame(result, [path]))
        tables["waterfall"].append(steps_to_frame(result, [path]))
        tables["triggers"].append(triggers_to_frame(result, [path]))
    for name, frames in tables.items():
        pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), deal_run[name],
                                      check_exact=False, rtol=0, atol=1e-9, obj=name)


# -- 4. eligibility and concentration, at the cut-off and when replenishing --
def watch_path(config: dict, horizon: int | None = None) -> tuple[RunConfig, list[dict], dict]:
    """Run path 0, recording at every month end the vehicle's shares before and after its
    month-end step, the accounts' principal and which were eligible; and, for every dilution
    of accounts the vehicle holds, how much its balance in them moved."""
    if horizon is not None:  # a short horizon leaves no room for revolving
        config = deep_merge(config, {"book": {"horizon_months": horizon},
                                     "deal": {"revolving_months": 0}})
    cfg = load_config(config)
    el = cfg.deal.eligibility
    path = PathSimulation(cfg, SEED, 0)
    spv = path.spv
    step, dilute, on_purchases = spv.on_month_end, spv.on_restructure, spv.on_purchases
    log: list[dict] = []
    diluted = {"purchase": 0, "hardship": 0, "moved": 0.0, "buying": False}

    def on_month_end(m: int, book: BookAtMonthEnd) -> None:
        n, p = path.n, path.platform
        dpd = p.ledger.days_past_due((m + 1) * DAYS_PER_MONTH, n)
        eligible = (p.active[:n] & (dpd <= el.max_days_past_due)
                    & (path.pool.score[:n] >= el.min_score)
                    & (m + 1 - p.onboard_month[:n] >= el.min_months_on_book))
        before = spv.share[:n].copy()
        step(m, book)
        log.append({"m": m, "before": before, "after": spv.share[:n].copy(),
                    "principal": p.ledger.principal(n).astype(float), "eligible": eligible,
                    "active": p.active[:n].copy(), "cutoff_pool": spv.cutoff_pool,
                    "started": spv.started})

    def watched_dilute(idx: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
        held = spv.share[idx] * before
        dilute(idx, before, after)
        grew = (held > 0) & (after > before)
        diluted["purchase" if diluted["buying"] else "hardship"] += int(grew.sum())
        moved = np.abs(spv.share[idx] * after - held)[grew]
        diluted["moved"] = max(diluted["moved"], float(moved.max(initial=0.0)))

    def watched_purchases(amount: np.ndarray, ledger) -> None:  # noqa: ANN001
        diluted["buying"] = True
        on_purchases(amount, ledger)
        diluted["buying"] = False

    spv.on_month_end, spv.on_restructure, spv.on_purchases = on_month_end, watched_dilute, \
        watched_purchases
    path.run()
    return cfg, log, diluted


@pytest.fixture(scope="module", params=["limit_slack", "limit_binds"])
def cut_off(request) -> tuple[RunConfig, dict]:
    """Path 0's state right after the cut-off purchase (the horizon ends a month later)."""
    config = CONFIGS["baseline_deal" if request.param == "limit_slack" else "tight_deal"]
    cfg, log, _ = watch_path(config, horizon=CUTOFF + 1)
    return cfg, next(r for r in log if r["m"] == CUTOFF - 1)


def test_cut_off_buys_only_eligible_accounts(cut_off):
    _, s = cut_off
    held = s["after"] > 0
    assert held.sum() > 100
    assert s["eligible"][held].all()
    assert (s["before"] == 0).all() and (s["after"] <= 1.0).all()
    assert s["cutoff_pool"] == pytest.approx(float(s["after"] @ s["principal"]), abs=CENT)


def test_no_obligor_above_the_concentration_limit_of_the_cut_off_pool(cut_off):
    cfg, s = cut_off
    limit = cfg.deal.eligibility.max_obligor_share * s["cutoff_pool"]
    assert (s["after"] * s["principal"] <= limit + CENT).all()


def test_cut_off_pool_is_the_pool_share_of_eligible_principal_or_what_the_limit_allows(cut_off):
    cfg, s = cut_off
    el = cfg.deal.eligibility
    eligible = np.where(s["eligible"], s["principal"], 0.0)
    target = cfg.deal.pool_share * eligible.sum()
    pool = s["cutoff_pool"]
    slack = np.minimum(eligible, el.max_obligor_share * target).sum() >= target
    assert slack == (cfg.deal.pool_share < 1)  # both cases are tested
    if slack:
        assert pool == pytest.approx(target, abs=CENT)
    else:  # the limit binds: every eligible account is bought whole or up to the limit
        assert pool < target - 100 * CENT
        held = s["after"] * s["principal"]
        assert ((held >= eligible - CENT) | (held >= el.max_obligor_share * pool - CENT)).all()


def test_the_notes_are_sized_on_the_cut_off_pool(cut_off):
    cfg, s = cut_off
    deal = cfg.deal.sized(s["cutoff_pool"] / 100.0)
    for note, terms in zip(deal.notes, cfg.deal.notes, strict=True):
        assert note.balance == pytest.approx(terms.size * s["cutoff_pool"] / 100.0, rel=1e-12)


def test_a_book_too_small_for_the_limit_keeps_it_as_a_share_of_the_target_pool():
    """Fewer eligible borrowers than 1 / max_obligor_share cannot make any pool that meets the
    limit; small teaching runs (the dashboard's) still get a deal, capped on the target."""
    cfg, log, _ = watch_path(deal_config({"eligibility": {"max_obligor_share": 0.0005}}),
                             horizon=CUTOFF + 1)
    s = log[CUTOFF - 1]
    assert 0 < s["eligible"].sum() < 1 / cfg.deal.eligibility.max_obligor_share
    target = cfg.deal.pool_share * s["principal"][s["eligible"]].sum()
    held = s["after"] * s["principal"]
    assert s["cutoff_pool"] > 0.1 * target
    assert (held <= cfg.deal.eligibility.max_obligor_share * target + CENT).all()


# seasoning beyond the cut-off (min_months_on_book > cutoff_month) is refused when the config
# is read (tests/test_abs_deal.py); a score no account reaches is found only at the cut-off
@pytest.mark.parametrize("eligibility", [{"min_score": 850}])
def test_nothing_eligible_at_the_cut_off_is_a_clear_error(eligibility):
    config = deal_config({"eligibility": eligibility, "revolving_months": 0},
                         {"book": {"horizon_months": CUTOFF + 1}})
    with pytest.raises(ValueError, match=r"deal 'baitiao-2015': no eligible receivables at the "
                                         r"cut-off \(end of month 6\); see deal.eligibility"):
        sim.run(config, paths=1, seed=SEED, out=None)


@pytest.fixture(scope="module")
def watched() -> tuple[RunConfig, list[dict], dict]:
    """Path 0 of the tight deal, whose replenishment runs into the concentration limit."""
    return watch_path(CONFIGS["tight_deal"])


def test_replenishment_buys_only_eligible_accounts_within_the_limit(watched):
    cfg, log, _ = watched
    el = cfg.deal.eligibility
    bought = 0
    for r in log:
        grew = r["after"] > r["before"] * (1 + 1e-12) + 1e-15  # only purchases raise a share
        assert r["eligible"][grew].all(), r["m"]
        bought += int(grew.sum()) if r["m"] >= CUTOFF else 0
        if r["started"]:
            held = r["after"] * r["principal"]
            assert (held <= el.max_obligor_share * r["cutoff_pool"] + CENT).all(), r["m"]
    assert bought > 100


def test_charged_off_accounts_leave_the_pool_and_shares_stay_fractions(watched):
    _, log, _ = watched
    for r in log:
        assert ((r["after"] >= 0) & (r["after"] <= 1.0 + 1e-12)).all()
        assert (r["after"][~r["active"]] == 0).all()
    bought = log[CUTOFF - 1]["after"] > 0
    assert (~log[-1]["active"][: bought.size] & bought).any()  # some did charge off


def test_purchases_and_hardship_plans_dilute_without_moving_the_vehicle_balance(watched):
    _, _, diluted = watched
    assert diluted["purchase"] > 100 and diluted["hardship"] > 0
    assert diluted["moved"] < 1e-6  # cents


# -- 5. revolving and early amortisation --
def test_revolving_keeps_the_pool_level_while_capacity_and_cash_suffice(deal_run):
    p = deal_run["pool"].reset_index(drop=True)
    w = deal_run["waterfall"].reset_index(drop=True)
    flags = deal_rows(deal_run)
    interest = w.filter(like="pay_interest:").sum(axis=1)
    cash_for_principal = w.available - w.pay_fees - interest
    needed = p.principal + p.defaults
    level = (flags.revolving & (p.replenishment_capacity >= needed)
             & (cash_for_principal >= needed))
    assert level.groupby(p.path).sum().min() >= 3
    assert (p.purchased[level] - needed[level]).abs().max() < LEVEL
    assert (p.pool_balance_end[level] - p.pool_balance_begin[level]).abs().max() < LEVEL


def test_a_well_supplied_revolving_pool_stays_at_its_cut_off_balance():
    run = run_of("baseline_deal")  # half the eligible book sold: plenty left to buy
    p = run["pool"].reset_index(drop=True)
    revolving = deal_rows(run).revolving
    assert revolving.groupby(p.path).sum().eq(SMALL_DEAL["deal"]["revolving_months"]).all()
    assert (p.replenishment_capacity > p.principal + p.defaults)[revolving].all()
    cut_off_pool = p.groupby("path").pool_balance_begin.transform("first")
    assert (p.pool_balance_end[revolving] - cut_off_pool[revolving]).abs().max() < LEVEL


def test_purchases_are_the_reinvested_principal_within_capacity(deal_run):
    p = deal_run["pool"].reset_index(drop=True)
    flags = deal_rows(deal_run)
    assert (p.purchased <= p.replenishment_capacity + TOL).all()
    assert (p.purchased - flags.reinvested).abs().max() < TOL
    assert (p.purchased[~flags.revolving] == 0).all()


def test_no_purchases_after_the_revolving_period(deal_run):
    revolving = deal_run.manifest["config"]["deal"]["revolving_months"]
    p = deal_run["pool"].reset_index(drop=True)
    flags = deal_rows(deal_run)
    after = p.period > revolving
    assert after.any()
    assert (p.purchased[after] == 0).all()
    assert (p.replenishment_capacity[after] == 0).all()
    assert not flags.revolving[after].any()
    assert p[p.period == revolving].purchased.gt(0).all()  # it did revolve until then


@pytest.fixture(scope="module")
def scarce() -> dict[str, pd.DataFrame]:
    """Path 0 of the baseline deal with only 10 % of the eligible receivables on offer when
    the vehicle replenishes: its capacity falls short of the principal it collects."""
    path = PathSimulation(load_config(CONFIGS["baseline_deal"]), SEED, 0)
    spv, holdings = path.spv, path.spv._holdings  # the room and the late holdings

    def scarce_room(m: int, book: BookAtMonthEnd, with_room: bool,
                    cap: bool = True) -> tuple[np.ndarray, np.ndarray]:
        room, late = holdings(m, book, with_room, cap)
        return room * (0.1 if spv.started else 1.0), late

    spv._holdings = scarce_room
    return abs_tables([path.run()])


def test_principal_the_pool_cannot_reinvest_pays_the_notes(scarce):
    p, w, flags = scarce["pool"], scarce["waterfall"], deal_rows(scarce)
    needed = p.principal + p.defaults
    short = flags.revolving & (p.replenishment_capacity < needed)
    assert short.sum() >= 3
    np.testing.assert_allclose(p.purchased[short], p.replenishment_capacity[short],
                               rtol=0, atol=CENT)
    to_notes = w.filter(like="pay_principal:").sum(axis=1)
    np.testing.assert_allclose(to_notes[short], needed[short] - p.purchased[short],
                               rtol=0, atol=LEVEL)
    assert (p.pool_balance_end[short] < p.pool_balance_begin[short]).all()
    moved = (p.pool_balance_begin - p.principal - p.defaults + p.purchased - p.sold
             - p.pool_balance_end)
    assert moved.abs().max() < TOL


@pytest.fixture(scope="module")
def breached_run() -> Run:
    """An excess-spread trigger at 100 % a year: breached in period 1 on every path."""
    trigger = {"type": "excess_spread", "threshold": 1.0, "months": 1, "name": "always"}
    return sim.run(deal_config({"triggers": [trigger]}), paths=2, seed=SEED, out=None)


def test_a_trigger_breached_in_period_one_stops_revolving_at_once(breached_run):
    p = breached_run["pool"].reset_index(drop=True)
    notes, flags = breached_run["notes"], deal_rows(breached_run)
    assert flags[flags.period == 1].trigger_breached.all()
    assert (p.purchased == 0).all()
    assert not flags.revolving.any()
    assert (p.replenishment_capacity[p.period > 1] == 0).all()
    first = p[p.period == 1].set_index("path")
    paid = notes[notes.period == 1].groupby("path").principal_paid.sum()
    assert (paid > 0).all()
    np.testing.assert_allclose(paid, first.principal + first.defaults, rtol=0, atol=CENT)
    senior = notes[(notes.period == 1) & (notes.note == "senior")].set_index("path")
    np.testing.assert_allclose(senior.principal_paid, paid, rtol=0, atol=TOL)  # sequential


# -- 6. clean-up call --
def deal_flags(notes: pd.DataFrame, path: int) -> pd.DataFrame:
    """Path ``path``'s deal-level columns, indexed by period."""
    return notes[notes.path == path].drop_duplicates("period").set_index("period")


def check_call(path: int, g: pd.DataFrame, notes: pd.DataFrame, steps: pd.DataFrame,
               call_pct: float) -> None:
    """Path ``path``'s pool ``g`` (indexed by period) was called: check the call's period.

    The call is tested on the pool's balance at the end of the period (before purchases),
    with ``<=``, in periods after the revolving period (docs/WATERFALL.md §5.9)."""
    flags = deal_flags(notes, path)
    c = flags.index[flags.call_exercised][0]
    level = call_pct * g.pool_balance_begin.iloc[0]
    end = g.pool_balance_begin - g.principal - g.defaults
    assert end[c] <= level + TOL
    before = flags.index[(flags.index < c) & ~flags.revolving]
    assert (end[before] > level).all()
    row = g.loc[c]
    assert row.sold == pytest.approx(row.pool_balance_begin - row.principal - row.defaults,
                                     abs=TOL)
    assert row.purchased == 0 and row.pool_balance_end == 0 and row.accounts == 0
    sale = steps[(steps.path == path) & (steps.period == c)].sale_proceeds.iloc[0]
    assert sale == pytest.approx(row.sold, abs=CENT)  # the pool's balance, rounded down
    assert (g.loc[c + 1:, list(FLOWS)] == 0).all().all()
    at_call = notes[(notes.path == path) & (notes.period == c)]
    assert at_call.call_exercised.all()
    assert (at_call.balance_end == 0).all()
    np.testing.assert_allclose(at_call.principal_paid + at_call.writedown,
                               at_call.balance_begin, rtol=0, atol=TOL)
    later = notes[(notes.path == path) & (notes.period > c)]
    assert not later.active.any()
    money = ["balance_begin", "interest_paid", "principal_paid", "writedown", "residual"]
    assert (later[money] == 0).all().all()


def test_clean_up_call_sells_the_pool_and_ends_the_deal(deal_run):
    call_pct = deal_run.manifest["config"]["deal"]["clean_up_call"]["call_pct"]
    called = 0
    for path, g in deal_run["pool"].groupby("path"):
        g = g.set_index("period")
        flags = deal_flags(deal_run["notes"], path)
        if flags.call_exercised.any():
            check_call(path, g, deal_run["notes"], deal_run["waterfall"], call_pct)
            called += 1
        else:  # never called: the end pool never fell to the call level after revolving
            end = (g.pool_balance_begin - g.principal - g.defaults)[~flags.revolving]
            assert (end > call_pct * g.pool_balance_begin.iloc[0]).all()
    assert called >= 1


# -- 7. determinism --
@pytest.mark.parametrize("workers", [1, 2])
def test_same_seed_gives_the_same_deal_tables_whatever_the_workers(workers):
    first = run_of("baseline_deal")
    again = sim.run(CONFIGS["baseline_deal"], paths=PATHS, seed=SEED, workers=workers, out=None)
    for name in ("notes", "pool", "waterfall", "triggers", "note_metrics", "trigger_metrics"):
        assert not first[name].empty
        pd.testing.assert_frame_equal(again[name], first[name], check_exact=True, obj=name)


# -- 8. losses hit the junior notes first --
THIN = {"revolving_months": 6, "clean_up_call": None, "triggers": [], "senior_fee_rate": 0.05,
        "reserve": {"initial_pct": 0.0, "target_pct": 0.0},
        "notes": [{"name": "senior", "size": 0.96, "coupon": 0.08},
                  {"name": "mezzanine", "size": 0.03, "coupon": 0.08},
                  {"name": "junior", "size": 0.01, "coupon": 0.0}],
        # new note names: the default order replaces the base deal file's written-out lists
        "priority_of_payments": {"revolving": [], "amortising": [], "accelerated": []}}
"""Thin subordination, heavy fees and coupons: the excess spread is negative, so defaults and
interest paid out of principal leave the notes short of the pool."""


def test_senior_writedowns_come_only_after_the_junior_notes_are_wiped_out():
    stressed = deal_config(THIN, {"macro": {"scenario": "severe_recession"}})
    run = sim.run(stressed, paths=PATHS, seed=SEED, out=None)
    notes, metrics = run["notes"], run["note_metrics"]
    senior_hit = notes[(notes.note == "senior") & (notes.writedown > 0)]
    assert len(senior_hit) >= 1  # the stress bites
    juniors = notes[notes.note != "senior"].set_index(["path", "period", "note"])
    for r in senior_hit.itertuples():
        for note in ("mezzanine", "junior"):
            assert juniors.loc[(r.path, r.period, note), "balance_end"] == 0
    loss = metrics.pivot(index="path", columns="note", values="loss_pct")
    hit = loss.senior > 0
    assert (loss.loc[hit, ["mezzanine", "junior"]] == 1.0).all().all()  # sequential: no principal
    assert (loss.senior <= loss.mezzanine).all() and (loss.mezzanine <= loss.junior).all()


LATE = {"notes": [{"name": "A", "balance": 90_000.0, "coupon": 0.0},
                  {"name": "B", "balance": 10_000.0, "coupon": 0.12}],
        "legal_final_period": 2}
"""A junior note at 12 % (100.00 a month on 10,000) over two periods."""


def test_interest_paid_a_month_late_is_a_pv_loss_and_no_principal_loss():
    # Period 1 collects nothing, so B's 100.00 of interest goes unpaid; period 2 collects
    # everything and pays it with period 2's, without interest on the late 100.00. B gets
    # 10,200 in month 2 for the 100 in month 1 and 10,100 in month 2 it was promised: at
    # 1 % a month its PV loss is 1 - 10,200 / 1.01^2 / 10,000 = 1 / 10,201; nothing is
    # written down. A (no coupon) is repaid on time.
    coll = {"pool_balance_begin": [[100_000.0, 100_000.0]], "interest": [[0.0, 2_000.0]],
            "principal": [[0.0, 100_000.0]], "recoveries": [[0.0, 0.0]],
            "defaults": [[0.0, 0.0]]}
    metrics = note_metrics(waterfall_arrays(LATE, coll))
    wide = note_loss_columns(metrics)
    assert list(wide.columns) == ["path", "note_loss_A", "note_loss_B", "note_pv_loss_A",
                                  "note_pv_loss_B"]
    row = wide.iloc[0]
    assert row["note_loss_A"] == row["note_loss_B"] == row["note_pv_loss_A"] == 0.0
    assert row["note_pv_loss_B"] == pytest.approx(1 / 10_201, rel=1e-9)
    # a note summary stored before the PV loss (or without coupons) gives the principal loss
    old = note_loss_columns(metrics.drop(columns="pv_loss_pct"))
    assert list(old.columns) == ["path", "note_loss_A", "note_loss_B"]
    nan = note_loss_columns(metrics.assign(pv_loss_pct=np.nan))
    assert list(nan.columns) == ["path", "note_loss_A", "note_loss_B"]


def test_the_paths_table_carries_both_losses_of_every_note(deal_run):
    metrics = deal_run["note_metrics"]
    paths = deal_run.paths.set_index("path")
    for note in pd.unique(metrics["note"]):
        mine = metrics[metrics["note"] == note].set_index("path")
        assert paths[f"note_loss_{note}"].equals(mine["loss_pct"].rename(f"note_loss_{note}"))
        assert paths[f"note_pv_loss_{note}"].equals(
            mine["pv_loss_pct"].rename(f"note_pv_loss_{note}"))


# -- 9. config errors --
BAD_DEALS = [
    ("sizes_above_one", {"deal": {"notes": [{"name": "a", "size": 0.8, "coupon": 0.05},
                                            {"name": "b", "size": 0.3, "coupon": 0.05}]}},
     ["deal: note sizes add up to 1.1000", "must not exceed 1"]),
    ("cutoff_at_horizon", {"deal": {"cutoff_month": HORIZON}},
     [f"deal.cutoff_month = {HORIZON}", f"book.horizon_months = {HORIZON}"]),
    ("unknown_eligibility_key", {"deal": {"eligibility": {"min_scor": 600}}},
     ["deal.eligibility.min_scor: unknown key", "allowed keys here", "min_score"]),
]


@pytest.mark.parametrize(("name", "override", "needles"), BAD_DEALS, ids=[b[0] for b in BAD_DEALS])
def test_bad_deal_config_names_the_key(name, override, needles):
    with pytest.raises(ConfigError) as info:
        load_config(small_config(deep_merge(SMALL_DEAL, override)))
    for needle in needles:
        assert needle in str(info.value)


TINY = {"name": "tiny-deal", "seed": 5,
        "book": {"initial_borrowers": 300, "new_borrowers_per_month": 10, "horizon_months": 12}}


def test_run_with_a_missing_deal_file_exits_2_without_a_traceback(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(config), "--deal", "missing.yaml",
         "--out", str(tmp_path / "runs"), "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 2
    err = " ".join(proc.stderr.split())
    assert err.startswith("error:") and "missing.yaml: no such config file" in err
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "runs").exists()


# -- 10. the tranche table --
def test_report_of_a_run_with_a_deal_prints_the_tranche_table(tmp_path, capsys, monkeypatch):
    config, deal = tmp_path / "tiny.yaml", tmp_path / "deal.yaml"
    config.write_text(yaml.safe_dump(TINY))
    deal.write_text(yaml.safe_dump(deep_merge(SMALL_DEAL["deal"],
                                              {"cutoff_month": 4, "revolving_months": 2})))
    assert main(["run", str(config), "--deal", str(deal), "--paths", "2", "--seed", "3",
                 "--out", str(tmp_path / "runs"), "--quiet"]) == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    monkeypatch.setattr(sim.cli.console, "width", 250)  # room for every column
    assert main(["report", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "deal baitiao-2015: tranche losses over 2 paths" in out
    for column in ("EL (PV)", "nominal loss", "P(loss)", "loss p95", "loss p99",
                   "WAL (y)", "IRR", "implied rating"):
        assert column in out
    run = sim.load_run(folder)
    notes, metrics = run["notes"], run["note_metrics"].set_index(["path", "note"])
    original = notes[notes.period == 1].set_index(["path", "note"]).balance_begin
    written_down = notes.groupby(["path", "note"]).writedown.sum()
    # interest left unpaid when each path's deal ended (its last active period)
    ended = notes[notes.active.astype(bool)].groupby(["path", "note"]).tail(1)
    unpaid = ended.set_index(["path", "note"]).interest_shortfall
    rows = {cells[0]: cells for cells in
            ([c.strip() for c in line.strip().strip("│").split("│")]
             for line in out.splitlines() if line.startswith("│"))}
    for note in ("senior", "mezzanine", "subordinated"):
        loss = (written_down / original).xs(note, level="note")
        cells = rows[note]
        assert len(cells) == 9
        assert cells[1] == f"{metrics.pv_loss_pct.xs(note, level='note').mean():.3%}"
        assert cells[2] == f"{loss.mean():.3%}"  # the principal loss, nominal
        lost = (written_down.xs(note, level="note") > 0.01) | (unpaid.xs(note, level="note")
                                                              > 0.01)
        assert cells[3] == f"{lost.mean():.1%}"
        assert cells[4] == cells[5] == "n/a"  # two paths cannot resolve the 95th percentile
        # nor carry a rating: the table says how many paths it would take
        needs = cells[8].removeprefix("n/a: needs >= ").removesuffix(" paths")
        assert needs != cells[8] and int(needs.replace(",", "")) > 2


def _buy_by_sorting_all(u, room, principal, share, amount):  # noqa: ANN001, ANN202
    """The vehicle's purchase as it was written first: the accounts with room sorted by
    their draws, every one of them, and each share grown by what is bought."""
    idx = np.flatnonzero(room > 0)
    order = idx[np.argsort(u[idx], kind="stable")]
    running = np.cumsum(room[order])
    take = np.diff(np.minimum(running, amount), prepend=0.0)
    last = int(np.searchsorted(running, amount, side="left")) + 1
    bought = order[:last]
    share[bought] = np.minimum(share[bought] + take[:last] / principal[bought], 1.0)
    return take


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 400), st.integers(0, 2**32 - 1), st.sampled_from([2, 7, 1000, 2**53]),
       st.floats(0.0, 1.5), st.booleans(), st.floats(0.0, 0.9), st.integers(0, 50))
def test_the_purchase_order_is_a_sort_of_every_account_bit_for_bit(n, seed, values, share,
                                                                   huge, without, more):
    """Draws with ties (few distinct values), rooms from a cent to huge, some accounts
    without room, slots not yet onboarded, and amounts from a few cents to more than all
    the room: every slot ranked once (:func:`draw_order`) and bought from in that order
    (:func:`buy_in_order`) buys the same amounts from the same accounts, to the same shares
    and total, as sorting the accounts with room."""
    from sim.agents.spv import draw_order
    from sim.kernels.vehicle import buy_in_order

    rng = np.random.default_rng(seed)
    u = rng.integers(0, values, n + more) / values  # slots n.. are not onboarded
    room = np.where(rng.random(n) < 0.1, 1e12 if huge else 1.0, rng.random(n) * 1e5 + 1.0)
    room[rng.random(n) < without] = 0.0
    principal = (room * rng.uniform(1.0, 3.0, n)).astype(np.int64) + 1
    held = rng.random(n + more) * (rng.random(n + more) < 0.5)
    amount = share * room.sum()
    want_share = held.copy()
    want_take = _buy_by_sorting_all(u[:n], room, principal, want_share, amount)
    got_share, take = held.copy(), np.zeros(np.count_nonzero(room > 0))
    last = buy_in_order(draw_order(u).astype(np.int32), room, principal, got_share, amount,
                        take) if take.size else 0
    assert np.array_equal(take[:last], want_take[:last])  # what each gets, in order
    assert (take[last:] == 0).all() and (want_take[last:] == 0).all()
    assert take.sum() == want_take.sum()
    assert np.array_equal(got_share, want_share)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 400), st.booleans(), st.booleans())
def test_the_month_end_holdings_are_the_array_statements(seed, n, with_room, capped):
    """:func:`month_end_holdings` gives the room and the late holdings of the array
    statements it replaced (``SPV._room``, ``held[dpd >= delinquency_dpd]``) value for value,
    so that their numpy sums are the same bits."""
    from sim.kernels.vehicle import month_end_holdings

    rng = np.random.default_rng(seed)
    share = np.where(rng.random(n) < 0.4, rng.random(n), 0.0)
    principal = np.where(rng.random(n) < 0.1, 0, rng.integers(0, 10**6, n))
    dpd = rng.choice([0, 0, 0, 5, 20, 31, 95], n)
    active = rng.random(n) < 0.9
    score = rng.normal(650, 60, n)
    onboard = rng.integers(0, 20, n).astype(np.int16)
    m, cap = 20, float(rng.choice([1e5, 5e5]))
    held = share * principal
    ok = active & (dpd <= 5) & (score >= 600.0) & (m + 1 - onboard >= 3)
    want = np.where(ok, principal - held, 0.0)
    if capped:
        want = np.minimum(want, cap - held)
    want = np.maximum(want, 0.0)
    room, late = month_end_holdings(share, principal, dpd, 30, with_room, active, score,
                                    onboard, m + 1, 5, 600.0, 3, capped, cap)
    assert np.array_equal(late, held[dpd >= 30]) and late.sum() == held[dpd >= 30].sum()
    if with_room:
        assert np.array_equal(room, want) and room.sum() == want.sum()
    else:
        assert room.size == 0
