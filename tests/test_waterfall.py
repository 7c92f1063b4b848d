"""Tests of sim.abs.waterfall: invariants on random deals, the API, deal validation, the docs.

The rules (steps a–g and each optional structure) are worked by hand in
test_waterfall_rules.py. Here: hypothesis checks that cash is conserved and that priorities
hold on random deals (1–4 notes, every optional structure) and random collections; the
pro-rata split; the table layout; validation errors; and the example in docs/WATERFALL.md.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pydantic import ValidationError

from sim.abs import Deal, Step, Verb, Waterfall, build_steps, run_waterfall, waterfall_arrays
from sim.abs.steps import allocate_pro_rata, allocate_sequential, carve
from sim.abs.waterfall import DEAL_FIELDS, FLAG_FIELDS, NOTE_FIELDS

CENT = 0.005
TINY = 1e-7
pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")  # random deals


def approx(values):
    """Compare (nested) lists of floats to within 1e-9."""
    return pytest.approx(np.ravel(values).tolist(), abs=1e-9)


def two_notes(a=60.0, b=40.0, coupon_a=0.0, coupon_b=0.0, **terms):
    return {
        "notes": [
            {"name": "A", "balance": a, "coupon": coupon_a},
            {"name": "B", "balance": b, "coupon": coupon_b},
        ],
        **terms,
    }


# ----------------------------------------------------------------------------------------------
# Random deals and collections


def _reordered(deal: dict, names: list[str], split: bool) -> list[dict]:
    """A valid non-default list: junior interest after senior principal (and, with `split`,
    principal in two steps: the senior note, then the rest)."""
    steps = [{"verb": "pay_fees"}]
    if "swap" in deal:
        steps.append({"verb": "pay_swap"})
    steps.append({"verb": "pay_interest", "notes": names[:1]})
    if deal["pdl"]:
        steps.append({"verb": "clear_pdl", "notes": names})
    if split and len(names) > 1:
        steps += [{"verb": "pay_principal", "notes": names[:1]},
                  {"verb": "pay_principal", "notes": names[1:]}]
    else:
        steps.append({"verb": "pay_principal", "notes": names})
    steps += [{"verb": "pay_interest", "notes": [n]} for n in names[1:]]
    return steps + [{"verb": "fund_reserve"}, {"verb": "pay_residual"}]


def _reserve(draw) -> dict:
    reserve = {"initial_pct": draw(st.floats(0.0, 0.1)), "target_pct": draw(st.floats(0.0, 0.1)),
               "basis": draw(st.sampled_from(["initial_notes", "current_pool", "initial_pool"])),
               "floor_pct": draw(st.sampled_from([0.0, 0.005, 0.02]))}
    if draw(st.booleans()):
        start = draw(st.integers(1, 6))
        reserve["step_downs"] = [{"from_period": start, "target_pct": draw(st.floats(0, 0.05))},
                                 {"from_period": start + 2, "target_pct": 0.0}]
        reserve["step_down_needs_no_breach"] = draw(st.booleans())
    return reserve


def _triggers(draw) -> list[dict]:
    triggers = []
    if draw(st.booleans()):
        triggers.append({"type": "cumulative_default_ratio", "threshold": draw(st.floats(0, 0.3))})
    if draw(st.booleans()):
        triggers.append(
            {
                "type": "delinquency_ratio",
                "threshold": draw(st.floats(0, 0.3)),
                "sticky": draw(st.booleans()),
            }
        )
    if draw(st.booleans()):
        triggers.append(
            {
                "type": "excess_spread",
                "threshold": draw(st.floats(-0.05, 0.05)),
                "months": draw(st.integers(1, 4)),
                "sticky": draw(st.booleans()),
            }
        )
    return triggers


@st.composite
def deals(draw, reorder: bool = True):
    """Random valid deals: 1–4 notes (balances or shares of the pool), every optional term,
    the legal final period before, at or after the end of the collections, and sometimes a
    reordered priority of payments."""
    n_notes = draw(st.integers(1, 4))
    share_sized = draw(st.booleans())
    notes = []
    floating_any = False
    for i in range(n_notes):
        note = {"name": f"N{i}", "interest_on_shortfall": draw(st.booleans())}
        if share_sized:
            note["size"] = draw(st.floats(0.05, 0.25))
        else:
            note["balance"] = draw(st.floats(1.0, 1e6))
        if draw(st.booleans()):
            note.update(rate_type="floating", margin=draw(st.floats(-0.01, 0.05)))
            floating_any = True
        else:
            note["coupon"] = draw(st.floats(0.0, 0.25))
        notes.append(note)
    deal = {
        "notes": notes,
        "senior_fee_rate": draw(st.floats(0.0, 0.05)),
        "reserve": _reserve(draw),
        "principal": draw(st.sampled_from(["sequential", "pro_rata"])),
        "principal_to_interest": draw(
            st.sampled_from(["most_senior", "pdl_not_in_debit", "all", "none"])),
        "triggers": _triggers(draw),
        "pdl": draw(st.booleans()),
        "revolving_months": draw(st.integers(0, 4)),
    }
    if draw(st.booleans()):  # before, at or after the end of the collections
        deal["legal_final_period"] = deal["revolving_months"] + draw(st.integers(1, 12))
    if draw(st.booleans()):
        deal["clean_up_call"] = {"call_pct": draw(st.floats(0.01, 0.5))}
    if floating_any and draw(st.booleans()):
        deal["swap"] = {"fixed_rate": draw(st.floats(0.0, 0.1))}
    if reorder and draw(st.booleans()):
        names = [n["name"] for n in notes]
        state = draw(st.sampled_from(["amortising", "accelerated"]))
        deal["priority_of_payments"] = {state: _reordered(deal, names, draw(st.booleans()))}
    return deal


@st.composite
def collections(draw, max_paths=3, max_periods=10):
    """Random pools whose balance runs down by principal and defaults (sometimes to zero)."""
    n_paths = draw(st.integers(1, max_paths))
    n_periods = draw(st.integers(1, max_periods))
    shape = (n_paths, n_periods)
    unit = hnp.arrays(float, shape, elements=st.floats(0.0, 1.0))
    pay, dflt, yld, rec, dlq = (draw(unit) for _ in range(5))
    base = draw(hnp.arrays(float, shape, elements=st.floats(-0.01, 0.12)))
    pool0 = draw(st.one_of(st.just(0.0), st.floats(1.0, 2e6)))
    pool = np.empty(shape)
    pool[:, 0] = pool0
    principal = np.zeros(shape)
    defaults = np.zeros(shape)
    for t in range(n_periods):
        if t:
            pool[:, t] = pool[:, t - 1] - principal[:, t - 1] - defaults[:, t - 1]
        defaults[:, t] = pool[:, t] * dflt[:, t] * 0.2
        # sometimes the rest of the pool is repaid at once
        principal[:, t] = (pool[:, t] - defaults[:, t]) * np.minimum(pay[:, t] * 1.2, 1.0)
    return {
        "pool_balance_begin": pool,
        "interest": pool * yld * 0.03,
        "principal": principal,
        "recoveries": defaults * rec * 0.5,
        "defaults": defaults,
        "delinquent_balance": pool * dlq * 0.3,
        "base_rate": base,
    }


def reserve_begin(deal, res):
    """Reserve balance at the start of each period, (paths, periods)."""
    end = res.deal["reserve_balance"]
    start = np.empty_like(end)
    initial_notes = res.notes["balance_begin"][:, 0, :].sum(axis=1)
    # rounded down to the cent (docs/WATERFALL.md §5.11)
    start[:, 0] = np.floor(Deal.model_validate(deal).reserve.initial_pct * initial_notes * 100
                           + 1e-6) / 100
    start[:, 1:] = end[:, :-1]
    return start


def cash_in_and_out(deal, coll, res):
    d, n = res.deal, res.notes
    active = d["active"]
    # the collections' fraction of a cent brought forward, less the fraction carried on (or
    # released at the deal's end) (docs/WATERFALL.md §5.11)
    carried = d["rounding_carried"]
    brought = np.concatenate([np.zeros_like(carried[:, :1]), carried[:, :-1]], axis=1)
    cash_in = (coll["interest"] + coll["principal"] + coll["recoveries"] + brought) * active
    cash_in = cash_in - carried
    cash_in = cash_in + np.maximum(-d["swap_net"], 0.0) + d["sale_proceeds"]
    cash_out = (
        d["fees_paid"]
        + d["swap_paid"]
        + n["interest_paid"].sum(axis=2)
        + n["principal_paid"].sum(axis=2)
        + d["reinvested"]
        + d["residual"]
        + d["reserve_balance"]
        - reserve_begin(deal, res)
    )
    return cash_in, cash_out


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(deal=deals(), coll=collections())
def test_cash_is_conserved_every_period_on_every_path(deal, coll):
    res = waterfall_arrays(deal, coll)
    cash_in, cash_out = cash_in_and_out(deal, coll, res)
    np.testing.assert_allclose(cash_out, cash_in, rtol=0, atol=CENT)
    for k in ("fees_paid", "swap_paid", "reinvested", "residual", "reserve_balance"):
        assert (res.deal[k] >= 0).all(), k


@PROPERTY
@given(deal=deals(), coll=collections())
def test_step_log_uses_add_up_to_available_funds(deal, coll):
    res = waterfall_arrays(deal, coll)
    steps = res.steps
    sources = sum(
        steps[k] for k in ("collections", "swap_receipt", "sale_proceeds", "reserve_draw")
    )
    np.testing.assert_allclose(sources, steps["available"], atol=CENT)
    uses = sum(
        v
        for k, v in steps.items()
        if k.split(":")[0] in {v.value for v in Verb} - {"clear_pdl"} or k == "reinvest"
    )
    np.testing.assert_allclose(uses, steps["available"], atol=CENT)


@PROPERTY
@given(deal=deals(), coll=collections())
def test_balances_never_go_negative_and_only_fall(deal, coll):
    res = waterfall_arrays(deal, coll)
    n = res.notes
    assert (n["balance_end"] >= 0).all()
    assert (n["balance_end"] <= n["balance_begin"] + TINY).all()
    assert (n["principal_paid"] >= 0).all() and (n["writedown"] >= 0).all()
    assert (n["interest_paid"] <= n["interest_due"] + TINY).all()
    rebuilt = n["balance_begin"] - n["principal_paid"] - n["writedown"]
    np.testing.assert_allclose(n["balance_end"], rebuilt, atol=TINY)
    assert (n["pdl_balance"] <= n["balance_end"] + TINY).all()


@PROPERTY
@given(deal=deals(), coll=collections())
def test_writedowns_only_when_the_deal_ends(deal, coll):
    res = waterfall_arrays(deal, coll)
    wd = res.notes["writedown"]
    ends = res.deal["call_exercised"] | res.deal["legal_final"]
    assert (wd[~ends] == 0).all()
    # every note is settled when the deal ends by the horizon; otherwise what is left is
    # reported as outstanding at the horizon, not as a loss
    np.testing.assert_allclose(res.notes["balance_end"][:, -1], res.outstanding, atol=0)
    if res.legal_final_period <= res.shape[1]:
        assert (res.outstanding == 0).all()
        assert np.allclose(res.notes["balance_end"][:, -1], 0.0)


@PROPERTY
@given(deal=deals(), coll=collections())
def test_nothing_reaches_the_residual_while_a_note_is_written_down(deal, coll):
    res = waterfall_arrays(deal, coll)
    written_down = res.notes["writedown"].sum(axis=2) > CENT
    assert (res.deal["residual"][written_down] <= CENT).all()
    assert (res.deal["reserve_balance"][written_down] == 0).all()


@PROPERTY
@given(deal=deals(), coll=collections())
def test_the_reserve_never_exceeds_its_requirement(deal, coll):
    res = waterfall_arrays(deal, coll)
    d = res.deal
    assert (d["reserve_balance"] <= d["reserve_requirement"] + TINY).all()
    notes_left = res.notes["balance_end"].sum(axis=2) + res.notes["writedown"].sum(axis=2)
    assert (d["reserve_requirement"] <= notes_left + TINY).all()  # capped at the notes


@PROPERTY
@given(deal=deals(), coll=collections())
def test_interest_is_paid_senior_first(deal, coll):
    # (with pdl_not_in_debit a junior class may use principal funds that a senior class in
    # debit may not: there seniority of interest is the deal's choice, not an invariant)
    if deal["pdl"] and deal["principal_to_interest"] == "pdl_not_in_debit":
        deal = {**deal, "principal_to_interest": "most_senior"}
    res = waterfall_arrays(deal, coll)
    short = res.notes["interest_shortfall"] > TINY
    paid = res.notes["interest_paid"] > TINY
    n_notes = short.shape[2]
    for i in range(n_notes):
        for j in range(i + 1, n_notes):
            # note i short this period ⇒ junior note j received nothing this period
            assert not (short[:, :, i] & paid[:, :, j]).any()


@PROPERTY
@given(deal=deals(), coll=collections())
def test_sequential_principal_goes_to_a_junior_note_only_once_seniors_are_repaid(deal, coll):
    res = waterfall_arrays(deal, coll)
    seq = res.deal["sequential"]
    paid = res.notes["principal_paid"] > TINY
    left = res.notes["balance_end"] > TINY
    n_notes = paid.shape[2]
    for j in range(1, n_notes):
        senior_left = left[:, :, :j].any(axis=2)
        assert not (seq & paid[:, :, j] & senior_left).any()


@PROPERTY
@given(deal=deals(), coll=collections())
def test_losses_hit_the_most_junior_note_first_in_sequential_deals(deal, coll):
    deal = {**deal, "principal": "sequential"}
    res = waterfall_arrays(deal, coll)
    original = res.notes["balance_begin"][:, 0, :]
    loss = res.notes["writedown"].sum(axis=1)
    n_notes = loss.shape[1]
    for i in range(n_notes):
        hit = loss[:, i] > CENT
        for j in range(i + 1, n_notes):
            # a senior note loses money only if every junior note lost everything
            np.testing.assert_allclose(loss[hit, j], original[hit, j], rtol=1e-9)


@PROPERTY
@given(closing=st.integers(0, 2000), build=st.integers(1, 3000), reserve=st.integers(1, 1000),
       revolving=st.integers(0, 6), floor=st.sampled_from([0.0, 0.05]),
       flows=st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 2000)), min_size=1,
                      max_size=12))
def test_an_oc_target_is_built_from_the_collections_never_from_the_reserve(
        closing, build, reserve, revolving, floor, flows):
    """One note at 0 % leaving `closing` basis points of a pool of 10,000 as OC at closing, a
    target `build` basis points above it, a reserve of `reserve` basis points of the notes; no
    fee, no default, and each period's pool is the last one's end (purchases included, as the
    vehicle feeds it). The collections then always cover the principal that keeps the OC at
    its closing ratio, so the reserve is never drawn on, however little interest there is to
    build the OC with: it ends every period at its requirement (docs/WATERFALL.md §5.3).
    `flows`:
    (interest in cents, principal in basis points of the pool) per period."""
    deal = {"notes": [{"name": "A", "size": 1 - closing / 10_000, "coupon": 0.0}],
            "overcollateralisation": {"target_pct": (closing + build) / 10_000,
                                      "floor_pct": floor},
            "reserve": {"initial_pct": reserve / 10_000, "target_pct": reserve / 10_000},
            "revolving_months": revolving,
            "legal_final_period": max(len(flows), revolving) + 1}
    run = Waterfall(deal, len(flows))
    pool = 1_000_000  # cents
    for interest, share in flows:
        out = run.run_period({"pool_balance_begin": pool / 100, "interest": interest / 100,
                              "principal": pool * share // 10_000 / 100, "recoveries": 0.0,
                              "defaults": 0.0})
        assert out["reserve_balance"][0] == out["reserve_requirement"][0] > 0
        pool = round(out["pool_balance_end"][0] * 100)


# ----------------------------------------------------------------------------------------------
# Pro-rata split


@given(
    hnp.arrays(float, (3, 5), elements=st.integers(0, 10**9).map(float)),
    hnp.arrays(float, 5, elements=st.floats(0, 1.2)),
)
def test_pro_rata_split_neither_creates_nor_destroys_cash(balance, share):
    amount = np.floor(balance.sum(axis=0) * share)  # whole cents
    pays = allocate_pro_rata(amount, balance)
    assert (pays >= 0).all() and (pays <= balance).all()
    assert (pays == np.round(pays)).all()  # whole cents
    # exactly the amount, or every note repaid
    assert (pays.sum(axis=0) == np.minimum(amount, balance.sum(axis=0))).all()
    # each note within a cent of its exact pro-rata share
    exact = balance * np.where(balance.sum(axis=0) > 0, np.minimum(
        amount / np.where(balance.sum(axis=0) > 0, balance.sum(axis=0), 1.0), 1.0), 0.0)
    assert (np.abs(pays - exact) <= 1.0 + 1e-6 * exact).all()


def test_pro_rata_and_sequential_splits_of_one_amount():
    balance = np.array([[1000.0], [5000.0], [4000.0]])  # cents
    assert allocate_pro_rata(np.array([5000.0]), balance)[:, 0].tolist() == [500, 2500, 2000]
    assert allocate_pro_rata(np.array([10000.0]), balance)[:, 0].tolist() == [1000, 5000, 4000]
    assert allocate_sequential(np.array([5500.0]), balance)[:, 0].tolist() == [1000, 4500, 0]
    # 100 cents over three equal notes: 33 each and the odd cent to the first listed
    equal = np.array([[300.0], [300.0], [300.0]])
    assert allocate_pro_rata(np.array([100.0]), equal)[:, 0].tolist() == [34, 33, 33]
    # two cents left by the rounding: one to each of the first two notes, not both to one
    assert allocate_pro_rata(np.array([200.0]), np.array([[300.0], [300.0], [300.0]]))[
        :, 0].tolist() == [67, 67, 66]


# ----------------------------------------------------------------------------------------------
# API, validation, inputs


def test_build_steps_lists_the_priority_of_payments():
    deal = two_notes(pdl=True, swap=None, principal="pro_rata")
    common = [
        Step(verb=Verb.PAY_FEES),
        Step(verb=Verb.PAY_INTEREST, notes=("A",)),
        Step(verb=Verb.CLEAR_PDL, notes=("A",)),
        Step(verb=Verb.PAY_INTEREST, notes=("B",)),
        Step(verb=Verb.CLEAR_PDL, notes=("B",)),
    ]
    tail = [Step(verb=Verb.FUND_RESERVE), Step(verb=Verb.PAY_RESIDUAL)]
    principal = Step(verb=Verb.PAY_PRINCIPAL, notes=("A", "B"), allocation="pro_rata")
    assert build_steps(deal) == (*common, principal, *tail)
    assert build_steps(deal, "revolving") == (*common, Step(verb=Verb.REINVEST), principal, *tail)
    sequential = principal.model_copy(update={"allocation": "sequential"})
    assert build_steps(deal, "accelerated") == (*common, sequential, *tail)


def test_run_waterfall_returns_one_row_per_path_period_note_and_keeps_path_labels():
    deal = two_notes(
        triggers=[{"type": "cumulative_default_ratio", "threshold": 0.1, "name": "cdr10"}]
    )
    coll = pd.DataFrame(
        {
            "path": ["x", "x", "y", "y"],
            "period": [2, 1, 1, 2],
            "pool_balance_begin": [90, 100, 100, 80],
            "interest": [1, 1, 1, 1],
            "principal": [10, 10, 20, 20],
            "recoveries": 0.0,
            "defaults": [0, 0, 0, 5],
        }
    )
    df = run_waterfall(deal, coll)
    assert len(df) == 2 * 2 * 2
    assert df["path"].tolist() == ["x"] * 4 + ["y"] * 4
    assert df["period"].tolist() == [1, 1, 2, 2] * 2
    assert df["note"].tolist() == ["A", "B"] * 4
    expected = ["path", "period", "note", *NOTE_FIELDS, *DEAL_FIELDS, *FLAG_FIELDS, "reserve_draw",
                "closing_oc", "trigger_cdr10"]
    assert list(df.columns) == expected
    arr = waterfall_arrays(
        deal,
        {
            c: coll.sort_values(["path", "period"])[c].to_numpy().reshape(2, 2)
            for c in coll.columns[2:]
        },
    )
    np.testing.assert_array_equal(
        df["principal_paid"].to_numpy(), arr.notes["principal_paid"].ravel()
    )
    # deal-level columns repeat on each note's row
    assert (df.groupby(["path", "period"])["residual"].nunique() == 1).all()


def test_run_waterfall_rejects_ragged_periods_and_missing_columns():
    deal = two_notes()
    good = pd.DataFrame(
        {
            "period": [1, 2],
            "pool_balance_begin": [1, 1],
            "interest": 0.0,
            "principal": 0.0,
            "recoveries": 0.0,
            "defaults": 0.0,
        }
    )
    with pytest.raises(ValueError, match="periods 1..T"):
        run_waterfall(deal, good.assign(period=[1, 3]))
    with pytest.raises(ValueError, match="recoveries"):
        run_waterfall(deal, good.drop(columns="recoveries"))
    with pytest.raises(ValueError, match="NaN"):
        run_waterfall(deal, good.assign(interest=[0.0, np.nan]))
    with pytest.raises(ValueError, match=">= 0"):
        run_waterfall(deal, good.assign(principal=[0.0, -0.01]))
    with pytest.raises(ValueError, match="empty"):
        run_waterfall(deal, good.iloc[:0])
    noise = run_waterfall(deal, good.assign(principal=[0.0, -1e-12]))
    assert (noise["principal_paid"] == 0).all()


@pytest.mark.parametrize(
    ("bad", "where", "message"),
    [
        (
            {"notes": [{"name": "A", "balance": 1, "coupon": -0.01}]},
            "notes.0.coupon",
            "greater than or equal to 0",
        ),
        (
            {"notes": [{"name": "A", "balance": 0, "coupon": 0.01}]},
            "notes.0.balance",
            "greater than 0",
        ),
        (
            {"notes": [{"name": "A", "balance": 1, "coupon": 0}], "principal": "turbo"},
            "principal",
            "'sequential' or 'pro_rata'",
        ),
        (
            {"notes": [{"name": "A", "balance": 1, "coupon": 0}], "fees": 0.1},
            "fees",
            "Extra inputs are not permitted",
        ),
        (
            {
                "notes": [{"name": "A", "balance": 1, "coupon": 0}],
                "triggers": [{"type": "vibes", "threshold": 1}],
            },
            "triggers.0",
            "'cumulative_default_ratio', 'cumulative_net_loss_ratio', 'delinquency_ratio', "
            "'excess_spread'",
        ),
        ({"notes": [{"name": "A", "balance": 1}]}, "notes.0", "coupon is required"),
        (
            {
                "notes": [
                    {"name": "A", "balance": 1, "coupon": 0},
                    {"name": "A", "balance": 1, "coupon": 0},
                ]
            },
            "",
            "note names must be unique",
        ),
        (
            {"notes": [{"name": "A", "balance": 1, "coupon": 0}], "swap": {"fixed_rate": 0.01}},
            "",
            "at least one floating note",
        ),
        (
            {
                "notes": [{"name": "A", "balance": 1, "coupon": 0}],
                "clean_up_call": {"call_pct": 1.5},
            },
            "clean_up_call.call_pct",
            "less than 1",
        ),
        ({"notes": []}, "notes", "at least 1 item"),
    ],
)
def test_bad_deals_fail_with_the_key_path_and_what_is_allowed(bad, where, message):
    with pytest.raises(ValidationError) as err:
        Deal.model_validate(bad)
    text = str(err.value)
    assert message in text
    if where:
        assert where in text


def test_the_documented_example_runs_and_prints_what_the_docs_show(capsys):
    doc = (Path(__file__).resolve().parents[1] / "docs" / "WATERFALL.md").read_text()
    section = doc.split("Example\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    expected = section.split("```text\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "docs/WATERFALL.md", "exec"), {})
    assert capsys.readouterr().out == expected


def test_carved_buffers_are_separate_zeroed_c_contiguous_arrays():
    shapes = [(4, 3, 5), (4, 5), (1,), (4, 2, 5)]
    bufs = carve(shapes)
    assert [b.shape for b in bufs] == shapes
    assert all(b.flags.c_contiguous and b.dtype == np.float64 and not b.any() for b in bufs)
    for i, b in enumerate(bufs):  # writing one leaves every other untouched
        b[...] = i + 1
    assert [float(b.min()) for b in bufs] == [float(b.max()) for b in bufs] == [1, 2, 3, 4]
    flags = carve([(2, 3)] * 2, dtype=bool)
    assert all(f.dtype == bool and not f.any() for f in flags)
    assert carve([(2, 2)], fill=False)[0].shape == (2, 2)
