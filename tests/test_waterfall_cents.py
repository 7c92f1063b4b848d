"""The waterfall pays whole cents and conserves cash exactly (docs/WATERFALL.md §5.11).

A small deal worked by hand, to the cent, and a property over random deals: in every period
the sources of cash equal its uses exactly in cents, every amount paid, kept or carried is a
whole number of cents, and the collections' fractions of a cent are carried, never lost.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sim.abs import Deal, waterfall_arrays
from sim.abs.steps import ceil_cents, floor_cents, measured_pool, oc_after_period
from sim.abs.waterfall import NOTE_FIELDS
from tests.test_waterfall_oracle import cases, one_path, run_vectorised
from tests.waterfall_oracle import run_oracle

pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")

NOT_WHOLE_CENTS = ("excess_spread", "excess_spread_gross", "pool_balance_end",
                   "rounding_carried")
"""Deal fields that are not whole cents: rates, the pool's balance (the receivables, from the
inputs) and the collections' fraction of a cent carried."""
SOURCES = ("collections", "swap_receipt", "sale_proceeds", "reserve_draw")


def cents(x: np.ndarray) -> np.ndarray:
    """Currency units as integer cents, refusing anything that is not a whole cent (the
    nearest float to a whole number of cents / 100)."""
    c = np.round(np.asarray(x, dtype=float) * 100.0)
    assert np.array_equal(c / 100.0, x), "an amount that is not a whole number of cents"
    return c.astype(np.int64)


def uses(result, names) -> list[str]:  # noqa: ANN001
    """The step log's uses of cash (every step but clear_pdl, a transfer)."""
    return [k for k in result.steps if k not in SOURCES + ("available",)
            and not k.startswith("clear_pdl:")]


# ----------------------------------------------------------------------------------------------
# A deal worked by hand

HAND_DEAL = {
    "notes": [{"name": "A", "balance": 60.0, "coupon": 0.05},
              {"name": "B", "balance": 40.0, "coupon": 0.10}],
    "senior_fee_rate": 0.01, "principal": "pro_rata",
}
HAND_PATH = one_path([
    # pool at start, interest, principal, recoveries, defaults
    (100.00, 1.005, 10.01, 0.0, 0.0),
    (89.99, 0.905, 20.00, 0.0, 0.0),
    (69.99, 0.705, 60.00, 0.5, 9.99),  # the legal final period (the last one given)
])


@pytest.mark.parametrize("implementation", ["sim.abs", "oracle"])
def test_a_small_deal_worked_by_hand_to_the_cent(implementation: str) -> None:
    # Period 1. Collections 1.005 + 10.01 = 11.015: 11.01 is available, 0.005 carried.
    #   fee 1 % / 12 x 100.00 = 0.0833 -> 0.08; interest A 5 % / 12 x 60 = 0.25,
    #   B 10 % / 12 x 40 = 0.3333 -> 0.33. Cash left 11.01 - 0.08 - 0.25 - 0.33 = 10.35.
    #   Principal amount 100 - (100 - 10.01) = 10.01, pro rata: A 60 % = 6.006 -> 6.00,
    #   B 40 % = 4.004 -> 4.00; the odd cent goes to the first listed note: A 6.01, B 4.00.
    #   Residual 10.35 - 10.01 = 0.34. Balances A 53.99, B 36.00.
    # Period 2. Collections 0.905 + 20.00 + 0.005 brought forward = 20.91, nothing carried.
    #   fee 0.01 / 12 x 89.99 = 0.07499 -> 0.07; interest A 0.05 / 12 x 53.99 = 0.22496 ->
    #   0.22, B 0.1 / 12 x 36 = 0.30. Cash left 20.91 - 0.59 = 20.32. Principal amount 20.00:
    #   A 53.99 / 89.99 x 20 = 11.9991 -> 11.99, B 36 / 89.99 x 20 = 8.0009 -> 8.00, the odd
    #   cent to A: A 12.00, B 8.00. Residual 0.32. Balances A 41.99, B 28.00.
    # Period 3, the legal final. Collections 0.705 + 60.00 + 0.50 = 61.205: 61.20 available,
    #   0.005 released to the residual holder (the deal ends). fee 0.01 / 12 x 69.99 =
    #   0.0583 -> 0.05; interest A 0.05 / 12 x 41.99 = 0.17496 -> 0.17, B 0.2333 -> 0.23.
    #   Cash left 61.20 - 0.45 = 60.75 pays the notes sequentially: A 41.99, B 18.76; B's
    #   28.00 - 18.76 = 9.24 is written off.
    deal = Deal.model_validate(HAND_DEAL)
    if implementation == "oracle":
        out = run_oracle(deal, [HAND_PATH])[0]

        def note(f, t, k):  # noqa: ANN001, ANN202
            return out[t]["notes"]["AB"[k]][f]

        def dl(f, t):  # noqa: ANN001, ANN202
            return out[t][f]
    else:
        result = run_vectorised(deal, [HAND_PATH])

        def note(f, t, k):  # noqa: ANN001, ANN202
            return float(result.notes[f][0, t, k])

        def dl(f, t):  # noqa: ANN001, ANN202
            return float(result.deal[f][0, t])
    assert [dl("available", t) for t in range(3)] == [11.01, 20.91, 61.20]
    assert [dl("rounding_carried", t) for t in range(3)] == pytest.approx(
        [0.005, 0.0, 0.005], abs=1e-9)
    assert [dl("fees_paid", t) for t in range(3)] == [0.08, 0.07, 0.05]
    assert [note("interest_paid", t, 0) for t in range(3)] == [0.25, 0.22, 0.17]
    assert [note("interest_paid", t, 1) for t in range(3)] == [0.33, 0.30, 0.23]
    assert [dl("principal_target", t) for t in range(3)] == [10.01, 20.00, 69.99]
    assert [note("principal_paid", t, 0) for t in range(3)] == [6.01, 12.00, 41.99]
    assert [note("principal_paid", t, 1) for t in range(3)] == [4.00, 8.00, 18.76]
    assert [dl("residual", t) for t in range(3)] == [0.34, 0.32, 0.0]
    assert [note("writedown", 2, k) for k in range(2)] == [0.0, 9.24]


# ----------------------------------------------------------------------------------------------
# Every period of random deals


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_every_amount_is_whole_cents_and_cash_is_conserved_exactly(case) -> None:  # noqa: ANN001
    deal, paths = case
    result = run_vectorised(deal, paths)
    for f in NOTE_FIELDS:
        if f != "coupon":
            cents(result.notes[f])
    for f, v in result.deal.items():
        if v.dtype == float and f not in NOT_WHOLE_CENTS:
            cents(v)
    available = cents(result.steps["available"])
    assert np.array_equal(sum(cents(result.steps[k]) for k in SOURCES), available)
    assert np.array_equal(sum(cents(result.steps[k]) for k in uses(result, result.note_names)),
                          available)
    # notes: balance at the start - principal - writedown = balance at the end, exactly
    n = {f: cents(result.notes[f]) for f in ("balance_begin", "principal_paid", "writedown",
                                             "balance_end")}
    assert np.array_equal(n["balance_begin"] - n["principal_paid"] - n["writedown"],
                          n["balance_end"])
    # the collections' fractions of a cent are carried, never lost: what came in (read as 0
    # after the deal ended) plus what was brought forward is what was made available plus
    # what is carried (or, in the deal's last period, released)
    carried = result.deal["rounding_carried"]
    assert ((carried >= 0) & (carried < 0.01)).all()
    active = result.deal["active"]
    raw = sum(np.clip(np.array([p[c] for p in paths]), 0.0, None)
              for c in ("interest", "principal", "recoveries")) * active
    brought = np.concatenate([np.zeros((len(paths), 1)), carried[:, :-1]], axis=1) * active
    np.testing.assert_allclose(raw + brought, result.steps["collections"] + carried,
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize("implementation", ["sim.abs", "oracle"])
def test_a_pdl_deal_repays_its_notes_from_principal_in_fractions_of_a_cent(
        implementation: str) -> None:
    """Notes A 800.07 and B 200.01 (0.8 and 0.2 of a pool of 1,000.0998, each rounded down)
    with a PDL, no defaults: the pool pays 50.00499 a period and the rest in period 20. Each
    period's principal funds are whole cents, and principal's fractions of a cent add up to
    cents of later principal funds, so every note is repaid in full and loses nothing.
    Rounding each period's principal down on its own instead stranded 0.08 on B, written
    down at the end as a loss of a deal with no default."""
    rows, pool = [], 1000.0998
    for t in range(24):
        principal = pool if t == 19 else min(pool, 50.00499)
        rows.append((pool, pool * 0.015, principal, 0.0, 0.0))
        pool = max(pool - principal, 0.0)
    deal = Deal.model_validate({"notes": [{"name": "A", "size": 0.8, "coupon": 0.02},
                                          {"name": "B", "size": 0.2, "coupon": 0.05}],
                                "pdl": True})
    if implementation == "oracle":
        out = run_oracle(deal, [one_path(rows)])[0]
        paid = [sum(p["notes"][n]["principal_paid"] for p in out) for n in "AB"]
        lost = [sum(p["notes"][n]["writedown"] for p in out) for n in "AB"]
        left = [out[-1]["notes"][n]["balance_end"] for n in "AB"]
    else:
        r = run_vectorised(deal, [one_path(rows)])
        paid = r.notes["principal_paid"][0].sum(axis=0).tolist()
        lost = r.notes["writedown"][0].sum(axis=0).tolist()
        left = r.notes["balance_end"][0, -1].tolist()
    assert paid == pytest.approx([800.07, 200.01], abs=1e-9)
    assert lost == [0.0, 0.0] and left == [0.0, 0.0]


def test_a_fraction_of_a_cent_is_carried_until_the_deal_winds_up() -> None:
    """The kernel's floor and carry (collections, principal funds, defaults): whole cents
    paid, the fraction left carried in the path's state, and released (0) on a wind-up; an
    amount within the tolerance below a cent counts as that cent, with nothing carried."""
    from sim.kernels.waterfall import _floor_carry

    state = np.full((2, 3), -1.0)
    assert _floor_carry(1234.75, state, 1, 2, False) == (1234.0, 0.75)
    assert state[1, 2] == 0.75 and (state[0] == -1.0).all()
    assert _floor_carry(1234.75, state, 1, 2, True) == (1234.0, 0.75)
    assert state[1, 2] == 0.0  # released with the deal's end
    assert _floor_carry(99.9999999999, state, 0, 0, False) == (100.0, 0.0)
    assert state[0, 0] == 0.0


# ----------------------------------------------------------------------------------------------
# The overcollateralisation after a period, as the waterfall measures it (§5.2, 8.)


def test_the_oc_after_a_period_is_the_pool_rounded_up_less_the_notes_by_hand() -> None:
    """The pool holds fractions of a cent, the notes whole cents. A pool of 69.994 behind
    notes of 70.00: the notes were paid down to ⌈69.994⌉ = 70.00, so the OC is 0.00 (the pool
    as it is less the notes is −0.006, −0.01 to the cent). 1,000.004 behind 900.00: OC
    100.01. A real 0.03 on a pool of 10 million is 0.03. The float noise of a pool of whole
    cents (68 + 1e-9) is no cent; a float sum of whole cents (0.1 + 0.2) is read to the
    cent; notes above the pool give a negative OC; 0 is 0, not −0 (printed −0.00)."""
    assert measured_pool([69.994, 1000.004, 68 + 1e-9, 1e7 + 0.024]).tolist() == [
        70.0, 1000.01, 68.0, 1e7 + 0.03]
    oc = oc_after_period([69.994, 1000.004, 1e7 + 0.03, 68 + 1e-9, 60.0],
                         [70.0, 900.0, 1e7, 68.0, 70.0])
    assert oc.tolist() == [0.0, 100.01, 0.03, 0.0, -10.0]
    assert oc_after_period(100.0, 0.1 + 0.2 + 99.4) == 0.3
    assert np.isnan(oc_after_period(np.nan, 70.0)) and np.isnan(oc_after_period(70.0, np.nan))
    assert not np.signbit(measured_pool(0.0)) and not np.signbit(oc_after_period(0.0, 0.0))
    assert f"{float(ceil_cents(0.0)):.2f}" == "0.00"


@example(pool=1176200, principal=0, defaults=986210, target=(0.2, 0.05))  # 768.8199999999999
@settings(max_examples=80, deadline=None)
@given(pool=st.integers(900_001, 1_200_000), principal=st.integers(0, 1_200_000),
       defaults=st.integers(0, 1_200_000),
       target=st.sampled_from([None, (0.05, 0.0), (0.1, 0.02), (0.2, 0.05), (0.0, 0.0)]))
def test_the_oc_after_a_period_is_what_the_principal_amount_keeps(
        pool: int, principal: int, defaults: int, target: tuple | None) -> None:
    """Notes A 700 and B 200 at 0 % behind a pool of B₁ (thousandths of a currency unit:
    fractions of a cent) repaying ``principal`` and losing ``defaults`` (thousandths) in
    period 1, with interest enough to pay any principal amount: the OC after the period is
    the required OC to the cent, ``OC_t`` = the OC at closing ⌊B₁ − 900⌋ or ⌊max(target ×
    E, floor × B₁)⌋, whenever the principal amount paid the notes in part; at least it
    when the notes were already below the pool less ``OC_t`` (PA 0); the whole pool
    rounded up when ``OC_t`` is the whole pool (PA the notes)."""
    principal = min(principal, pool)
    defaults = min(defaults, pool - principal)
    b1 = pool / 1000.0
    deal: dict = {"notes": [{"name": "A", "balance": 700.0, "coupon": 0.0},
                            {"name": "B", "balance": 200.0, "coupon": 0.0}]}
    if target is not None:
        deal["overcollateralisation"] = {"target_pct": target[0], "floor_pct": target[1]}
    r = waterfall_arrays(deal, {  # period 2 is the legal final: only period 1 is looked at
        "pool_balance_begin": [b1, (pool - principal - defaults) / 1000.0],
        "interest": [b1, 0.0], "principal": [principal / 1000.0, 0.0],
        "recoveries": [0.0, 0.0], "defaults": [defaults / 1000.0, 0.0]})
    pool_end = r.deal["pool_balance_end"][0, 0]
    notes_end = r.notes["balance_end"][0, 0].sum()
    # paid in full: whole cents, so equal to the cent (700.0 + 68.82 sums to 768.8199999999999)
    assert round(r.deal["principal_target"][0, 0] * 100.0) == round(
        r.notes["principal_paid"][0, 0].sum() * 100.0)
    e = pool_end * 100.0
    if target is None:
        required = floor_cents(b1 * 100.0 - 90_000.0)
    else:
        required = floor_cents(max(target[0] * e, target[1] * b1 * 100.0))
    pool_cents = ceil_cents(e)
    expected = min(max(required, pool_cents - 90_000.0), pool_cents)
    assert round(float(oc_after_period(pool_end, notes_end)) * 100.0) == expected
    assert measured_pool(pool_end) - notes_end == pytest.approx(
        oc_after_period(pool_end, notes_end), abs=1e-6)
