"""The vectorised waterfall agrees with the plain-Python oracle written from docs/WATERFALL.md.

`tests/waterfall_oracle.py` re-implements the specification with one loop over paths, periods
and steps, its money in Python integers of cents; these tests draw random deals and collections
and compare every note's interest, principal, balance and writedown, the reserve and what it
paid for, the residual and each trigger, and check the oracle itself on the worked examples
of the specification.
Money both pay in whole cents must agree exactly (the same float, cents / 100); the pool's
balance and the collections' fraction of a cent carried (fractions of a cent, from the inputs)
and the rates agree to 1e-9.
"""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.abs import Deal, trigger_metrics, waterfall_arrays
from tests.waterfall_oracle import run_oracle

pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")

TOL = 1e-9
NOTE_CHECKS = ("interest_paid", "principal_paid", "balance_end", "writedown",
               "interest_shortfall", "balance_begin", "interest_due")
DEAL_CHECKS = ("reserve_balance", "reserve_requirement", "residual", "available", "fees_paid",
               "reinvested", "excess_spread", "fees_due", "excess_spread_gross",
               "principal_target", "sale_proceeds", "pool_balance_end", "call_top_up",
               "rounding_carried")
INEXACT = ("excess_spread", "excess_spread_gross", "pool_balance_end", "rounding_carried")
"""Rates and the amounts in fractions of a cent: compared to `TOL`; all other money exactly."""
LOG_CHECKS = ("collections", "reserve_draw")
FLAG_CHECKS = ("revolving", "accelerated", "trigger_breached", "call_exercised", "legal_final",
               "active")
PDL_CHECKS = ("pdl_balance", "pdl_debit", "pdl_credit")
# Disagreements between docs/WATERFALL.md and sim.abs still open (none: the one this oracle
# found, triggers tested after a deal ended, is fixed and kept as a test below).
KNOWN: tuple[str, ...] = ()

rate = st.one_of(st.floats(0.0, 0.2, allow_nan=False), st.sampled_from([0.0, 0.5, 1.0]))
pct = st.floats(0.0, 0.2, allow_nan=False)


@st.composite
def triggers(draw):
    out = []
    for j in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["cumulative_default_ratio", "delinquency_ratio",
                                     "excess_spread", "cumulative_net_loss_ratio"]))
        trig = {"type": kind, "name": f"t{j}", "sticky": draw(st.booleans())}
        if kind == "excess_spread":
            trig["threshold"] = draw(st.floats(-0.1, 0.1))
            trig["months"] = draw(st.integers(1, 4))
        elif kind == "cumulative_default_ratio":
            trig["threshold"] = draw(st.floats(0.0, 0.2))
        else:
            trig["threshold"] = draw(st.floats(0.0, 0.2))
        out.append(trig)
    return out


@st.composite
def priority_list(draw, names, pdl, state):
    """A valid random reordering of the steps of `state` (rules of §3)."""
    body = [{"verb": "pay_fees"}, {"verb": "fund_reserve"}]
    # interest: each note exactly once, possibly several notes per step
    order = draw(st.permutations(names))
    cut = draw(st.integers(1, len(order)))
    groups = [order[:cut], order[cut:]] if draw(st.booleans()) else [[n] for n in order]
    body += [{"verb": "pay_interest", "notes": list(g)} for g in groups if g]
    early_principal = []
    if draw(st.booleans()):
        early = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names),
                              unique=True))
        early_principal.append({"verb": "pay_principal", "notes": early,
                                "allocation": draw(st.sampled_from([None, "sequential",
                                                                    "pro_rata"]))})
    pdl_steps = [{"verb": "clear_pdl", "notes": [n]} for n in names] if pdl else []
    items = draw(st.permutations(body + early_principal + pdl_steps))
    last = {"verb": "pay_principal", "notes": list(draw(st.permutations(names))),
            "allocation": draw(st.sampled_from([None, "sequential", "pro_rata"])),
            "turbo": draw(st.booleans())}
    # the last pay_principal comes after every clear_pdl
    after = max([k + 1 for k, s in enumerate(items) if s["verb"] == "clear_pdl"], default=0)
    pos = draw(st.integers(after, len(items)))
    items.insert(pos, last)
    if state == "revolving":
        first = min(k for k, s in enumerate(items) if s["verb"] == "pay_principal")
        items.insert(draw(st.integers(0, first)), {"verb": "reinvest"})
    items.append({"verb": "pay_residual"})
    return [{k: v for k, v in s.items() if v is not None} for s in items]


@st.composite
def deals(draw, n_periods):  # noqa: C901 - one draw per deal term
    n_notes = draw(st.integers(1, 4))
    names = [f"N{k}" for k in range(n_notes)]
    notes = [{"name": n, "balance": draw(st.floats(1.0, 600.0)), "coupon": draw(rate),
              "interest_on_shortfall": draw(st.booleans())} for n in names]
    if draw(st.booleans()):  # share-sized: sized on each path's first pool balance (§2.1)
        for note in notes:
            note["size"] = note.pop("balance") / 2400.0
    pdl = draw(st.booleans())
    deal = {"notes": notes, "senior_fee_rate": draw(st.sampled_from([0.0, 0.01, 0.2])),
            "principal": draw(st.sampled_from(["sequential", "pro_rata"])),
            "pdl": pdl, "triggers": draw(triggers())}
    if pdl:
        deal["principal_to_interest"] = draw(st.sampled_from(
            ["most_senior", "pdl_not_in_debit", "all", "none"]))
    elif draw(st.booleans()):  # an OC target (without one, the OC at closing is kept)
        deal["overcollateralisation"] = {"target_pct": draw(pct),
                                         "floor_pct": draw(st.sampled_from([0.0, 0.02, 0.1]))}
    if draw(st.booleans()):
        reserve = {"initial_pct": draw(pct), "target_pct": draw(pct),
                   "basis": draw(st.sampled_from(["initial_notes", "current_pool",
                                                  "initial_pool"])),
                   "floor_pct": draw(st.sampled_from([0.0, 0.01, 0.03])),
                   "step_down_needs_no_breach": draw(st.booleans())}
        if draw(st.booleans()):
            starts = sorted(draw(st.sets(st.integers(1, 14), min_size=1, max_size=2)))
            reserve["step_downs"] = [{"from_period": s, "target_pct": draw(pct)} for s in starts]
        deal["reserve"] = reserve
    if draw(st.booleans()):
        deal["clean_up_call"] = {"call_pct": draw(st.floats(0.05, 0.9)),
                                 "price": draw(st.sampled_from(["pool_balance",
                                                                "notes_at_par"]))}
    revolving = draw(st.integers(0, 4))
    if revolving:
        deal["revolving_months"] = revolving
    if draw(st.booleans()):
        latest = max(revolving + 1, n_periods + 2)
        deal["legal_final_period"] = draw(st.integers(revolving + 1, latest))
    elif revolving >= n_periods:
        deal["legal_final_period"] = n_periods + 1
    pop = {}
    for state in ("revolving", "amortising", "accelerated"):
        if draw(st.booleans()):
            pop[state] = draw(priority_list(names, pdl, state))
    if pop:
        deal["priority_of_payments"] = pop
    return deal


@st.composite
def collections(draw, n_periods, n_paths, scale=1.0):
    paths = []
    for _ in range(n_paths):
        pool = draw(st.floats(200.0, 2000.0)) * scale
        cols = {c: [] for c in ("pool_balance_begin", "interest", "principal", "recoveries",
                                "defaults", "delinquent_balance", "replenishment_capacity")}
        for _t in range(n_periods):
            prin = pool * draw(st.floats(0.0, 0.3))
            dflt = pool * draw(st.sampled_from([0.0, 0.005, 0.02, 0.08])) * draw(
                st.floats(0.0, 1.0))
            cols["pool_balance_begin"].append(pool)
            # §5.1: negative amounts down to -0.005 are rounding noise read as 0
            cols["interest"].append(draw(st.sampled_from([pool, pool, pool, -0.1]))
                                    * draw(st.floats(0.0, 0.02)))
            cols["principal"].append(prin)
            cols["defaults"].append(dflt)
            cols["recoveries"].append(draw(st.floats(0.0, 5.0)) * scale)
            cols["delinquent_balance"].append(pool * draw(st.floats(0.0, 0.15)))
            cols["replenishment_capacity"].append(draw(st.floats(0.0, 300.0)) * scale)
            # the next period's pool: what is left, sometimes topped up (revolving purchases)
            pool = max(pool - prin - dflt, 0.0) + draw(st.sampled_from([0.0, 0.0, 50.0]))
            pool = draw(st.sampled_from([max(pool, 1.0)] * 9 + [0.0]))  # sometimes exhausted
        paths.append(cols)
    if not draw(st.booleans()):
        for p in paths:
            del p["replenishment_capacity"]
    return paths


@st.composite
def cases(draw):
    n_periods = draw(st.integers(1, 12))
    n_paths = draw(st.integers(1, 3))
    deal = draw(deals(n_periods))
    scale = draw(st.sampled_from([1.0, 1.0, 500.0]))  # balances up to 1e6 (§5.11)
    for note in deal["notes"]:
        if "balance" in note:
            note["balance"] *= scale
    try:
        deal = Deal.model_validate(deal)
    except ValueError:
        assume(False)
    return deal, draw(collections(n_periods, n_paths, scale))


@st.composite
def oc_build_cases(draw):
    """Deals that build an OC target above their OC at closing (§5.3): share-sized notes
    leaving `closing` of the first pool as OC, a target above it, a reserve at closing, no
    PDL; the rest of the deal and the collections as `cases` draws them."""
    n_periods = draw(st.integers(1, 12))
    n_paths = draw(st.integers(1, 3))
    deal = draw(deals(n_periods))
    assume(not deal["pdl"])
    closing = draw(st.floats(0.0, 0.15))
    weights = [note.pop("balance", None) or note.pop("size") for note in deal["notes"]]
    for note, w in zip(deal["notes"], weights, strict=True):
        note["size"] = (1.0 - closing) * w / sum(weights)
    deal["overcollateralisation"] = {
        "target_pct": closing + draw(st.floats(0.005, 0.3)),
        "floor_pct": draw(st.sampled_from([0.0, 0.02, 0.1]))}
    deal["reserve"] = {**deal.get("reserve", {}), "initial_pct": draw(st.floats(0.005, 0.2))}
    try:
        deal = Deal.model_validate(deal)
    except ValueError:
        assume(False)
    scale = draw(st.sampled_from([1.0, 1.0, 500.0]))
    return deal, draw(collections(n_periods, n_paths, scale))


def run_vectorised(deal, paths):
    arrays = {c: [p[c] for p in paths] for c in paths[0]}
    if not deal.needs_delinquency:
        arrays.pop("delinquent_balance", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return waterfall_arrays(deal, arrays)


def close(a, b, exact=False):
    if exact:
        return float(a) == float(b)
    return math.isclose(float(a), float(b), rel_tol=TOL, abs_tol=TOL)


def disagreements(deal, paths, oracle, result, skip=()):  # noqa: C901
    """Every (path, period, what, oracle, vectorised) on which the two differ.

    `skip` names fields left out; "inactive_triggers" leaves out the triggers of periods after
    the deal ended (see `test_triggers_are_quiet_after_the_deal_ended`).
    """
    names = result.note_names
    out = []
    for p, periods in enumerate(oracle):
        for t, rec in enumerate(periods):
            for k, name in enumerate(names):
                fields = NOTE_CHECKS + (PDL_CHECKS if deal.pdl else ())
                for f in fields:
                    if f in skip:
                        continue
                    want, got = rec["notes"][name][f], result.notes[f][p, t, k]
                    if not close(want, got, exact=True):
                        out.append((p, t + 1, f"{f}:{name}", want, float(got)))
            for f in DEAL_CHECKS:
                if f in skip:
                    continue
                want, got = rec[f], result.deal[f][p, t]
                if not close(want, got, exact=f not in INEXACT):
                    out.append((p, t + 1, f, want, float(got)))
            for f in LOG_CHECKS:
                want, got = rec[f], result.steps[f][p, t]
                if not close(want, got, exact=True):
                    out.append((p, t + 1, f, want, float(got)))
            out += reserve_disagreements(p, t, rec, result)
            for f in FLAG_CHECKS:
                if f in skip:
                    continue
                if bool(rec[f]) != bool(result.deal[f][p, t]):
                    out.append((p, t + 1, f, rec[f], bool(result.deal[f][p, t])))
            for j, trig in enumerate(result.trigger_names):
                if "inactive_triggers" in skip and not rec["active"]:
                    continue
                if bool(rec["triggers"][j]) != bool(result.triggers[p, t, j]):
                    out.append((p, t + 1, f"trigger:{trig}", rec["triggers"][j],
                                bool(result.triggers[p, t, j])))
                if not close(rec["trigger_values"][j], result.trigger_values[p, t, j]):
                    out.append((p, t + 1, f"trigger_value:{trig}", rec["trigger_values"][j],
                                float(result.trigger_values[p, t, j])))
    return out


def reserve_disagreements(p, t, rec, result):
    """Where the two differ on what the reserve paid in period ``t + 1`` of path ``p``: in
    all, and for each use (a use with no column of its own, one after ``fund_reserve`` in
    every list, must have paid nothing)."""
    out = []
    want = {"reserve_used": rec["reserve_used"]} | {
        f"reserve_used:{use}": v for use, v in rec["reserve_for"].items()}
    for f in sorted(set(want) | set(result.reserve)):
        got = float(result.reserve[f][p, t]) if f in result.reserve else 0.0
        if not close(want.get(f, 0.0), got, exact=True):
            out.append((p, t + 1, f, want.get(f, 0.0), got))
    return out


def trigger_ties(deal, oracle):
    """Whether a trigger's value, in the oracle, is its threshold to the rates' precision
    (`TOL`, relative) without being 0: the two compute a ratio from amounts in different units
    (currency units here, cents in the kernel), which can differ in the last bit, and a test
    ``value > threshold`` at such a tie may then go either way. A value of 0 is exact in both.
    """
    return any(value != 0.0 and math.isclose(value, trig.threshold, rel_tol=TOL, abs_tol=0.0)
               for periods in oracle for rec in periods
               for value, trig in zip(rec["trigger_values"], deal.triggers, strict=True))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_oracle_and_vectorised_waterfall_agree(case):
    deal, paths = case
    oracle = run_oracle(deal, paths)
    assume(not trigger_ties(deal, oracle))
    result = run_vectorised(deal, paths)
    diffs = disagreements(deal, paths, oracle, result, skip=KNOWN)
    assert not diffs, diffs[:10]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(oc_build_cases())
def test_oracle_and_vectorised_waterfall_agree_on_deals_building_their_oc(case):
    deal, paths = case
    oracle = run_oracle(deal, paths)
    assume(not trigger_ties(deal, oracle))
    diffs = disagreements(deal, paths, oracle, run_vectorised(deal, paths))
    assert not diffs, diffs[:10]


def test_a_trigger_at_its_threshold_to_the_last_bit_is_a_tie():
    """Found by the comparison above: a delinquency ratio of 1.0014e-263 / 124.0425 with its
    threshold at exactly that quotient breached in the kernel, which divides cents, and not
    in the oracle; such ties are left out of the comparison, not zero ratios."""
    deal = Deal.model_validate({
        "notes": [{"name": "A", "balance": 100.0, "coupon": 0.0}],
        "triggers": [{"type": "delinquency_ratio", "threshold": 1.0014376600487854e-263
                      / 124.04249999999999}]})
    tie = [one_path([(124.04249999999999, 0.0, 0.0, 0.0, 0.0)],
                    delinquent=[1.0014376600487854e-263])]
    none = [one_path([(124.04249999999999, 0.0, 0.0, 0.0, 0.0)], delinquent=[0.0])]
    assert trigger_ties(deal, run_oracle(deal, tie))
    assert not trigger_ties(deal, run_oracle(deal, none))


# ----------------------------------------------------------------------------------------------
# The oracle on the worked examples of docs/WATERFALL.md


def one_path(rows, delinquent=None):
    cols = ("pool_balance_begin", "interest", "principal", "recoveries", "defaults")
    path = {c: [r[j] for r in rows] for j, c in enumerate(cols)}
    if delinquent is not None:
        path["delinquent_balance"] = delinquent
    return path


def test_oracle_excess_spread_example_section_4():
    deal = {"notes": [{"name": "A", "balance": 1000.0, "coupon": 0.02}],
            "senior_fee_rate": 0.01, "revolving_months": 6, "legal_final_period": 7,
            "triggers": [{"type": "excess_spread", "threshold": 0.0}]}
    d = 11.6666666667
    rows = [(1000.0, 10.0, 100.0, 0.0, x) for x in (2.5, 2.5, 2.5, d, d, d)]
    out = run_oracle(deal, [one_path(rows)])[0]
    # fee 0.8333 and interest 1.6667 are paid as 0.83 and 1.66 (rounded down to the cent)
    assert [round(r["excess_spread_gross"], 6) for r in out[:5]] == [0.09012] * 5
    assert [round(r["excess_spread"], 5) for r in out[:5]] == [
        0.06012, 0.06012, 0.06012, -0.04988, -0.04988]
    avg = [round(r["trigger_values"][0], 6) for r in out[:5]]
    assert avg == [0.06012, 0.06012, 0.06012, 0.023453, -0.013213]
    assert [r["accelerated"] for r in out] == [False] * 4 + [True, True]
    assert [r["revolving"] for r in out] == [True] * 4 + [False, False]
    assert out[4]["notes"]["A"]["principal_paid"] == 107.51  # 110 - 0.83 - 1.66
    assert out[5]["notes"]["A"]["interest_paid"] == 1.48  # 892.49 x 2 % / 12 = 1.48748
    assert out[5]["excess_spread"] == pytest.approx(-0.04772, abs=1e-9)
    assert out[5]["trigger_values"][0] == pytest.approx(-0.04916, abs=1e-9)


def test_oracle_principal_to_interest_example_section_5_4():
    deal = {"notes": [{"name": "A", "balance": 60.0, "coupon": 0.12},
                      {"name": "B", "balance": 20.0, "coupon": 0.12},
                      {"name": "C", "balance": 20.0, "coupon": 0.12}],
            "pdl": True, "legal_final_period": 2}
    rows = [(100.0, 0.5, 10.0, 0.0, 25.0), (65.0, 0.0, 0.0, 0.0, 0.0)]
    p1 = run_oracle(deal, [one_path(rows)])[0][0]["notes"]
    assert p1["A"]["interest_paid"] == pytest.approx(0.6)
    assert p1["B"]["interest_shortfall"] == pytest.approx(0.2)
    assert p1["C"]["interest_shortfall"] == pytest.approx(0.2)
    assert p1["A"]["balance_end"] == pytest.approx(50.1)
    assert p1["B"]["pdl_balance"] == pytest.approx(5.1)
    assert p1["C"]["pdl_balance"] == pytest.approx(20.0)
    every = run_oracle({**deal, "principal_to_interest": "all"}, [one_path(rows)])[0][0]["notes"]
    assert every["B"]["interest_paid"] == pytest.approx(0.2)
    assert every["C"]["interest_paid"] == pytest.approx(0.2)
    assert every["A"]["principal_paid"] == pytest.approx(9.5)


def test_oracle_legal_final_example_section_5_10():
    deal = {"notes": [{"name": "A", "balance": 90.0, "coupon": 0.05},
                      {"name": "B", "balance": 10.0, "coupon": 0.09}],
            "reserve": {"initial_pct": 0.03, "target_pct": 0.03}}
    rows = [(100.0, 1.5, 40.0, 0.0, 0.0), (60.0, 1.0, 30.0, 0.0, 0.0),
            (30.0, 0.6, 15.0, 0.0, 0.0)]
    out = run_oracle(deal, [one_path(rows)])[0]
    # interest 0.375, 0.075 (A, B) is paid as 0.37, 0.07; then 0.2083 as 0.20, 0.0833 as 0.08
    assert [r["available"] for r in out] == [44.5, 34.0, 18.6]
    assert [r["residual"] for r in out] == [1.06, 0.73, 0.0]
    assert [r["reserve_balance"] for r in out] == [3.0, 3.0, 0.0]
    assert out[2]["notes"]["A"]["writedown"] == 1.55  # 20 - (18.6 - 0.08 - 0.07)
    assert out[2]["notes"]["B"]["writedown"] == 10.0
    assert out[2]["notes"]["A"]["principal_paid"] == 18.45


def test_oracle_clean_up_call_example_section_5_9():
    deal = {"notes": [{"name": "A", "balance": 200.0, "coupon": 0.0}],
            "clean_up_call": {"call_pct": 0.1}, "legal_final_period": 10}
    ends = [30.0, 20.0, 14.0, 8.0]
    begins = [200.0, 30.0, 20.0, 14.0]
    rows = [(b, 0.0, b - e, 0.0, 0.0) for b, e in zip(begins, ends, strict=True)]
    out = run_oracle(deal, [one_path(rows)])[0]
    assert [r["call_exercised"] for r in out] == [False, True, False, False]
    assert out[1]["sale_proceeds"] == pytest.approx(20.0)
    assert [r["active"] for r in out] == [True, True, False, False]



def test_oracle_example_section_8():
    deal = {"notes": [{"name": "A", "balance": 80.0, "coupon": 0.06},
                      {"name": "B", "balance": 20.0, "coupon": 0.12}],
            "senior_fee_rate": 0.012, "reserve": {"initial_pct": 0.01, "target_pct": 0.01},
            "principal": "pro_rata",
            "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.05}]}
    out = run_oracle(deal, SECTION_8_PATHS)
    table = [(round(r["notes"][n]["interest_paid"], 4), round(r["notes"][n]["principal_paid"], 4),
              round(r["notes"][n]["writedown"], 4), r["trigger_breached"])
             for path in out for r in path for n in "AB"]
    assert table == [
        (0.4, 25.44, 0.0, False), (0.2, 6.36, 0.0, False),
        (0.27, 26.44, 0.0, False), (0.13, 6.6, 0.0, False),
        (0.14, 28.12, 0.0, False), (0.07, 6.64, 0.4, False),
        (0.4, 31.8, 0.0, True), (0.2, 0.0, 0.0, True),
        (0.24, 30.4, 0.0, True), (0.2, 0.0, 0.0, True),
        (0.08, 17.8, 0.0, True), (0.2, 7.29, 12.71, True),
    ]


OC_BUILD_DEAL = {"notes": [{"name": "A", "balance": 900.0, "coupon": 0.06}],
                 "overcollateralisation": {"target_pct": 0.2},
                 "reserve": {"initial_pct": 0.02, "target_pct": 0.02}, "revolving_months": 2,
                 "legal_final_period": 5}
OC_BUILD_PATHS = [one_path([(1000.0, 10.0, 100.0, 0.0, 0.0), (1005.5, 10.0, 100.0, 0.0, 20.0),
                            (1000.0, 10.0, 100.0, 0.0, 0.0), (900.0, 9.0, 90.0, 0.0, 0.0)])]


def test_oracle_oc_built_without_the_reserve_example_section_5_3():
    out = run_oracle(OC_BUILD_DEAL, OC_BUILD_PATHS)[0]
    assert [r["reserve_draw"] for r in out] == [18.0, 18.0, 9.0, 9.0]
    assert [r["reinvested"] for r in out] == [105.5, 114.5, 0.0, 0.0]
    assert [r["notes"]["A"]["principal_paid"] for r in out] == [0.0, 0.0, 105.5, 95.03]
    assert [r["reserve_balance"] for r in out] == [18.0, 9.0, 9.0, 9.0]
    assert [r["residual"] for r in out] == [0.0] * 4


OC_RATIO_DEAL = {"notes": [{"name": "A", "balance": 900.0, "coupon": 0.06}],
                 "overcollateralisation": {"target_pct": 0.2},
                 "reserve": {"initial_pct": 0.02, "target_pct": 0.02}, "legal_final_period": 3}
OC_RATIO_PATHS = [one_path([(1000.0, 10.0, 500.0, 0.0, 0.0), (500.0, 5.0, 165.0, 0.0, 65.0)])]


def test_oracle_the_reserve_keeps_the_closing_ratio_example_section_5_3():
    """Once the pool is below 100 / 20 % = 500, K keeps the closing 10 % of the pool, not
    the closing 100: the other funds 168 cover K 157, so the reserve is not drawn on."""
    out = run_oracle(OC_RATIO_DEAL, OC_RATIO_PATHS)[0]
    assert [r["principal_target"] for r in out] == [500.0, 184.0]
    assert [r["notes"]["A"]["principal_paid"] for r in out] == [500.0, 168.0]
    assert [r["reserve_balance"] for r in out] == [18.0, 18.0]
    assert [r["residual"] for r in out] == [5.5, 0.0]


SECTION_8_PATHS = [
    one_path([(100.0, 1.5, 30.0, 0.0, 2.0), (68.0, 1.0, 32.0, 0.5, 1.0),
              (35.0, 0.5, 34.0, 0.5, 1.0)]),
    one_path([(100.0, 1.5, 30.0, 0.0, 8.0), (62.0, 0.9, 28.0, 2.0, 4.0),
              (30.0, 0.4, 24.0, 1.0, 6.0)]),
]

DOC_EXAMPLES = {
    "section_4_excess_spread": (
        {"notes": [{"name": "A", "balance": 1000.0, "coupon": 0.02}], "senior_fee_rate": 0.01,
         "revolving_months": 6, "legal_final_period": 7,
         "triggers": [{"type": "excess_spread", "threshold": 0.0}]},
        [one_path([(1000.0, 10.0, 100.0, 0.0, x) for x in (2.5, 2.5, 2.5) + (35 / 3,) * 3])]),
    "section_5_4_principal_to_interest": (
        {"notes": [{"name": n, "balance": b, "coupon": 0.12}
                   for n, b in (("A", 60.0), ("B", 20.0), ("C", 20.0))],
         "pdl": True, "legal_final_period": 2},
        [one_path([(100.0, 0.5, 10.0, 0.0, 25.0), (65.0, 0.0, 0.0, 0.0, 0.0)])]),
    "section_5_9_clean_up_call": (
        {"notes": [{"name": "A", "balance": 200.0, "coupon": 0.0}],
         "clean_up_call": {"call_pct": 0.1}, "legal_final_period": 10},
        [one_path([(200.0, 0.0, 170.0, 0.0, 0.0), (30.0, 0.0, 10.0, 0.0, 0.0),
                   (20.0, 0.0, 6.0, 0.0, 0.0), (14.0, 0.0, 6.0, 0.0, 0.0)])]),
    "section_5_10_legal_final": (
        {"notes": [{"name": "A", "balance": 90.0, "coupon": 0.05},
                   {"name": "B", "balance": 10.0, "coupon": 0.09}],
         "reserve": {"initial_pct": 0.03, "target_pct": 0.03}},
        [one_path([(100.0, 1.5, 40.0, 0.0, 0.0), (60.0, 1.0, 30.0, 0.0, 0.0),
                   (30.0, 0.6, 15.0, 0.0, 0.0)])]),
    "section_5_3_oc_built_without_the_reserve": (OC_BUILD_DEAL, OC_BUILD_PATHS),
    "section_5_3_the_closing_ratio": (OC_RATIO_DEAL, OC_RATIO_PATHS),
    "section_8_example": (
        {"notes": [{"name": "A", "balance": 80.0, "coupon": 0.06},
                   {"name": "B", "balance": 20.0, "coupon": 0.12}],
         "senior_fee_rate": 0.012, "reserve": {"initial_pct": 0.01, "target_pct": 0.01},
         "principal": "pro_rata",
         "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.05}]},
        SECTION_8_PATHS),
}


@pytest.mark.parametrize("name", sorted(DOC_EXAMPLES))
def test_vectorised_waterfall_agrees_on_the_doc_examples(name):
    deal, paths = DOC_EXAMPLES[name]
    deal = Deal.model_validate(deal)
    diffs = disagreements(deal, paths, run_oracle(deal, paths), run_vectorised(deal, paths),
                          skip=KNOWN)
    assert not diffs, diffs

# ----------------------------------------------------------------------------------------------
# Disagreements between the specification and sim.abs


def test_triggers_are_quiet_after_the_deal_ended():
    """Found by this oracle: sim.abs used to test triggers in the inactive periods after a
    clean-up call or legal final (docs/WATERFALL.md §5.1: every output 0, every flag false),
    and trigger_metrics then counted such a trigger as fired."""
    # The call is exercised in period 2 (E_2 = 40 <= 0.5 x 100); periods 3-4 are inactive, their
    # inputs count as 0, so the 1-month excess spread is 0 < 1 % and sim.abs reports a breach.
    deal = Deal.model_validate({
        "notes": [{"name": "A", "balance": 100.0, "coupon": 0.02}],
        "clean_up_call": {"call_pct": 0.5}, "legal_final_period": 6,
        "triggers": [{"type": "excess_spread", "threshold": 0.01, "months": 1}]})
    paths = [one_path([(100.0, 1.0, 40.0, 0.0, 0.0), (60.0, 0.6, 20.0, 0.0, 0.0),
                       (40.0, 0.4, 10.0, 0.0, 0.0), (30.0, 0.3, 10.0, 0.0, 0.0)])]
    oracle = run_oracle(deal, paths)
    assert [r["active"] for r in oracle[0]] == [True, True, False, False]
    assert [r["triggers"] for r in oracle[0]] == [[False]] * 4
    result = run_vectorised(deal, paths)
    assert disagreements(deal, paths, oracle, result) == []
    assert not trigger_metrics(result)["fired"].any()


# ----------------------------------------------------------------------------------------------
# Edge cases of the specification, compared the same way

EDGE_CASES = {
    # §4: breached when the value is above the threshold, not at it
    "trigger_at_threshold": (
        {"notes": [{"name": "A", "balance": 100.0, "coupon": 0.0}], "legal_final_period": 4,
         "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.05}]},
        [one_path([(100.0, 0, 10, 0, 5.0), (85.0, 0, 10, 0, 0.0), (75.0, 0, 10, 0, 0.5)])]),
    # §5.9 / §5.10: a call in the legal final period (oracle reading R1)
    "call_in_legal_final": (
        {"notes": [{"name": "A", "balance": 100.0, "coupon": 0.1},
                   {"name": "B", "balance": 50.0, "coupon": 0.1}],
         "clean_up_call": {"call_pct": 0.5}, "legal_final_period": 2,
         "reserve": {"initial_pct": 0.02, "target_pct": 0.02}},
        [one_path([(150.0, 1, 40, 0, 0), (110.0, 1, 50, 0, 0), (60.0, 1, 10, 0, 0)])]),
    # §3: a non-sticky breach ends revolving for good; §2.2 step-down only without a breach
    "nonsticky_cure_in_revolving_period": (
        {"notes": [{"name": "A", "balance": 100.0, "coupon": 0.02}], "revolving_months": 4,
         "legal_final_period": 6,
         "triggers": [{"type": "delinquency_ratio", "threshold": 0.05, "sticky": False}],
         "reserve": {"target_pct": 0.05, "step_downs": [{"from_period": 2, "target_pct": 0.01}]}},
        [one_path([(100.0, 1, 10, 0, 0)] * 5, delinquent=[1, 8, 1, 1, 1])]),
    # §5.4 pdl_not_in_debit
    "pdl_not_in_debit": (
        {"notes": [{"name": n, "balance": b, "coupon": 0.12}
                   for n, b in (("A", 60.0), ("B", 20.0), ("C", 20.0))],
         "pdl": True, "principal_to_interest": "pdl_not_in_debit", "legal_final_period": 4},
        [one_path([(100.0, 0.5, 10, 0, 5.0), (85.0, 0.1, 10, 0, 0.0), (75.0, 3.0, 10, 0, 0.0)])]),
    # §5.4 most_senior: a repaid senior note with unpaid interest is still the most senior
    "most_senior_with_unpaid_interest": (
        {"notes": [{"name": "A", "balance": 10.0, "coupon": 0.12, "interest_on_shortfall": True},
                   {"name": "B", "balance": 90.0, "coupon": 0.12}],
         "pdl": True, "legal_final_period": 5,
         "priority_of_payments": {"amortising": [
             {"verb": "pay_fees"}, {"verb": "clear_pdl", "notes": ["A"]},
             {"verb": "clear_pdl", "notes": ["B"]}, {"verb": "pay_principal", "notes": ["A", "B"]},
             {"verb": "pay_interest", "notes": ["A", "B"]}, {"verb": "fund_reserve"},
             {"verb": "pay_residual"}]}},
        [one_path([(100.0, 0.0, 15, 0, 0), (85.0, 0.0, 10, 0, 0), (75.0, 0.5, 10, 0, 0)])]),
    # §5.6 pro rata once a note is repaid
    "pro_rata_with_a_repaid_note": (
        {"notes": [{"name": "A", "balance": 10.0, "coupon": 0.0},
                   {"name": "B", "balance": 90.0, "coupon": 0.0}],
         "principal": "pro_rata", "legal_final_period": 5},
        [one_path([(100.0, 0, 20, 0, 0), (80.0, 0, 50, 0, 0), (30.0, 0, 20, 0, 0)])]),
    # Notation: ratios with an empty pool count as 0
    "empty_pool": (
        {"notes": [{"name": "A", "balance": 100.0, "coupon": 0.05}], "senior_fee_rate": 0.01,
         "legal_final_period": 5,
         "triggers": [{"type": "excess_spread", "threshold": 0.0},
                      {"type": "delinquency_ratio", "threshold": 0.1}],
         "reserve": {"target_pct": 0.1, "basis": "current_pool", "floor_pct": 0.02}},
        [one_path([(100.0, 1, 100, 0, 0), (0.0, 0, 0, 0, 0), (0.0, 0.5, 0, 0, 0)],
                  delinquent=[0, 0, 0])]),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_vectorised_waterfall_agrees_on_edge_cases(name):
    deal, paths = EDGE_CASES[name]
    deal = Deal.model_validate(deal)
    diffs = disagreements(deal, paths, run_oracle(deal, paths), run_vectorised(deal, paths),
                          skip=KNOWN)
    assert not diffs, diffs
