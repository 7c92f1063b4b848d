"""Hand-worked examples: one per rule a–g of the waterfall, then one per optional structure.

Each example is small enough to compute on paper; the arithmetic is written out in the comments
and the test asserts the waterfall's output period by period. Coupons and fee rates are chosen
so that a month's amount is a round share of the balance (12 % a year = 1 % a month). The
rules are documented in docs/WATERFALL.md.

Unless a test is about the end of the deal, its legal final period is after the collections
given (`ongoing`), so that the rule at hand is seen without the legal final's wind-up; the
notes are then outstanding at the end and the horizon warning is expected.
"""

import numpy as np
import pandas as pd
import pytest

from sim.abs import run_waterfall, waterfall_arrays

COLS = ["pool_balance_begin", "interest", "principal", "recoveries", "defaults"]
pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")


def ongoing(deal: dict, n_periods: int) -> dict:
    """`deal` with its legal final period after the `n_periods` given, unless it names one."""
    return {"legal_final_period": n_periods + 1, **deal}


def run(deal: dict, rows: list[tuple[float, ...]], final: bool = False) -> pd.DataFrame:
    """Run one path; `rows` are (pool_balance_begin, interest, principal, recoveries, defaults).

    `final`: the last row is the legal final period; otherwise the deal goes on after it.
    """
    coll = pd.DataFrame(rows, columns=COLS)
    coll.insert(0, "period", range(1, len(rows) + 1))
    return run_waterfall(deal if final else ongoing(deal, len(rows)), coll)


def wa(deal: dict, coll: dict, final: bool = False):
    """`waterfall_arrays` on one path; `final` as for `run`."""
    n = len(coll["interest"])
    return waterfall_arrays(deal if final else ongoing(deal, n), coll)


def note_col(df: pd.DataFrame, column: str, note: str) -> list[float]:
    """One note's column, period by period."""
    return df.loc[df["note"] == note, column].tolist()


def deal_col(df: pd.DataFrame, column: str) -> list:
    """A deal-level column (repeated on every note's row), period by period."""
    return df.groupby("period", sort=True)[column].first().tolist()


def approx(values):
    """Compare (nested) lists of floats to within 1e-9."""
    return pytest.approx(np.ravel(values).tolist(), abs=1e-9)


def test_a_available_funds_are_collections_plus_the_whole_reserve():
    # One note of 100 at 0 %, no fee, reserve starts at 10 with target 10 % × 100 = 10.
    # The pool (150) exceeds the notes and the deal requires no OC (target 0: the OC is
    # released), so the principal target stays 0 and all cash flows through the reserve
    # account to the residual holder.
    deal = {
        "notes": [{"name": "A", "balance": 100, "coupon": 0.0}],
        "reserve": {"initial_pct": 0.10, "target_pct": 0.10},
        "overcollateralisation": {"target_pct": 0.0},
    }
    rows = [
        # pool, interest, principal, recoveries, defaults
        (150, 2.0, 4.0, 1.0, 0.0),  # available = 2 + 4 + 1 + reserve 10 = 17
        (146, 1.0, 3.0, 0.5, 2.0),  # available = 1 + 3 + 0.5 + reserve 10 = 14.5
        (141, 0.5, 0.0, 0.0, 0.0),  # available = 0.5 + 0 + 0 + reserve 10 = 10.5
    ]
    df = run(deal, rows)
    assert deal_col(df, "available") == approx([17.0, 14.5, 10.5])
    # Principal targets: max(0, 100 − (150 − 4 − 0)) = 0, max(0, 100 − (146 − 3 − 2)) = 0,
    # max(0, 100 − 141) = 0. Reserve refilled to 10 each time; residual = available − 10.
    assert deal_col(df, "principal_target") == approx([0.0, 0.0, 0.0])
    assert deal_col(df, "reserve_balance") == approx([10.0, 10.0, 10.0])
    assert deal_col(df, "residual") == approx([7.0, 4.5, 0.5])


def test_b_senior_fees_are_paid_first_and_unpaid_fees_carry_forward():
    # Fee 12 % a year = 1 % a month of pool_balance_begin. One note of 100 at 0 %; the pool
    # stays above it and no OC is required, so no principal is due.
    deal = {"notes": [{"name": "A", "balance": 100, "coupon": 0.0}], "senior_fee_rate": 0.12,
            "overcollateralisation": {"target_pct": 0.0}}
    rows = [
        (200, 1.0, 0, 0, 0),  # due 1 % × 200 = 2;           available 1   → paid 1,   unpaid 1
        (200, 2.5, 0, 0, 0),  # due 2 + 1 carried = 3;        available 2.5 → paid 2.5, unpaid 0.5
        (100, 5.0, 0, 0, 0),  # due 1 % × 100 + 0.5 = 1.5;    available 5   → paid 1.5, residual 3.5
    ]
    df = run(deal, rows)
    assert deal_col(df, "fees_due") == approx([2.0, 3.0, 1.5])
    assert deal_col(df, "fees_paid") == approx([1.0, 2.5, 1.5])
    assert deal_col(df, "residual") == approx([0.0, 0.0, 3.5])


def test_c_interest_in_seniority_order_with_shortfalls_carried_without_interest():
    # A: 100 at 12 % → 1 a month. B: 50 at 24 % → 1 a month. No fee; pool 300 → no principal.
    deal = {
        "notes": [
            {"name": "A", "balance": 100, "coupon": 0.12},
            {"name": "B", "balance": 50, "coupon": 0.24},
        ]
    }
    rows = [
        (300, 1.5, 0, 0, 0),  # A due 1 paid 1; B due 1 paid 0.5, shortfall 0.5
        (300, 0.8, 0, 0, 0),  # A due 1 paid 0.8, shortfall 0.2; B due 1 + 0.5 = 1.5 paid 0
        (300, 5.0, 0, 0, 0),  # A due 1 + 0.2 = 1.2 paid; B due 1 + 1.5 = 2.5 paid; residual 1.3
    ]
    df = run(deal, rows)
    assert note_col(df, "interest_due", "A") == approx([1.0, 1.0, 1.2])
    assert note_col(df, "interest_paid", "A") == approx([1.0, 0.8, 1.2])
    assert note_col(df, "interest_shortfall", "A") == approx([0.0, 0.2, 0.0])
    assert note_col(df, "interest_due", "B") == approx([1.0, 1.5, 2.5])
    assert note_col(df, "interest_paid", "B") == approx([0.5, 0.0, 2.5])
    assert note_col(df, "interest_shortfall", "B") == approx([0.5, 1.5, 0.0])
    assert deal_col(df, "residual") == approx([0.0, 0.0, 1.3])


ROWS_D = [
    # pool, interest, principal, recoveries, defaults
    (100, 8.0, 10.0, 0.0, 5.0),  # target = max(0, 100 − (100 − 10 − 5)) = 15; available 18
    (85, 2.0, 50.0, 0.0, 0.0),  # notes 85; target = 85 − (85 − 50) = 50;     available 52
    (35, 1.0, 35.0, 0.0, 0.0),  # notes 35; target = 35 − (35 − 35) = 35;     available 36
]


def test_d_sequential_principal_pays_the_most_senior_note_first():
    deal = {
        "notes": [
            {"name": "A", "balance": 60, "coupon": 0.0},
            {"name": "B", "balance": 40, "coupon": 0.0},
        ],
        "principal": "sequential",
    }
    df = run(deal, ROWS_D)
    assert deal_col(df, "principal_target") == approx([15.0, 50.0, 35.0])
    # P1: A 60 → 45. P2: A takes 45 (→ 0), B the other 5 (→ 35). P3: B takes 35 (→ 0).
    assert note_col(df, "principal_paid", "A") == approx([15.0, 45.0, 0.0])
    assert note_col(df, "principal_paid", "B") == approx([0.0, 5.0, 35.0])
    assert note_col(df, "balance_end", "A") == approx([45.0, 0.0, 0.0])
    assert note_col(df, "balance_end", "B") == approx([40.0, 35.0, 0.0])
    # Residual = available − target: 18 − 15, 52 − 50, 36 − 35.
    assert deal_col(df, "residual") == approx([3.0, 2.0, 1.0])


def test_d_pro_rata_principal_follows_balances_at_the_start_of_the_period():
    deal = {
        "notes": [
            {"name": "A", "balance": 60, "coupon": 0.0},
            {"name": "B", "balance": 40, "coupon": 0.0},
        ],
        "principal": "pro_rata",
    }
    df = run(deal, ROWS_D)
    # P1: 15 split 60:40 → A 9, B 6 (A 51, B 34).
    # P2: 50 split 51:34 → A 50 × 51/85 = 30, B 50 × 34/85 = 20 (A 21, B 14).
    # P3: 35 split 21:14 → A 21, B 14 (both 0).
    assert note_col(df, "principal_paid", "A") == approx([9.0, 30.0, 21.0])
    assert note_col(df, "principal_paid", "B") == approx([6.0, 20.0, 14.0])
    assert note_col(df, "balance_end", "A") == approx([51.0, 21.0, 0.0])
    assert note_col(df, "balance_end", "B") == approx([34.0, 14.0, 0.0])


def test_d_trigger_switches_pro_rata_to_sequential_in_the_period_it_breaches():
    # Cumulative default ratio trigger at 5 % of the first period's pool (100).
    deal = {
        "notes": [
            {"name": "A", "balance": 60, "coupon": 0.0},
            {"name": "B", "balance": 40, "coupon": 0.0},
        ],
        "principal": "pro_rata",
        "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.05}],
    }
    rows = [
        # cumulative defaults 2 → 2 % ≤ 5 %: pro rata. target = 100 − (100 − 10 − 2) = 12,
        # available 15 → A 12 × 0.6 = 7.2, B 4.8 (A 52.8, B 35.2), residual 3.
        (100, 5.0, 10.0, 0.0, 2.0),
        # cumulative 2 + 4 = 6 % > 5 %: breached now → sequential this period.
        # target = 88 − (88 − 10 − 4) = 14, available 15 → A 14 (38.8), B 0, residual 1.
        (88, 5.0, 10.0, 0.0, 4.0),
        # still 6 %, and the trigger never cures: sequential. target = 74 − 64 = 10 → A 10.
        (74, 5.0, 10.0, 0.0, 0.0),
    ]
    df = run(deal, rows)
    assert deal_col(df, "trigger_breached") == [False, True, True]
    assert deal_col(df, "trigger_cumulative_default_ratio") == [False, True, True]
    assert note_col(df, "principal_paid", "A") == approx([7.2, 14.0, 10.0])
    assert note_col(df, "principal_paid", "B") == approx([4.8, 0.0, 0.0])
    assert deal_col(df, "residual") == approx([3.0, 1.0, 5.0])


def test_e_reserve_is_refilled_to_target_from_what_is_left():
    # A: 100 at 12 % → 1 a month. Reserve starts at 2; target 5 % × 100 = 5. Pool 200.
    deal = {
        "notes": [{"name": "A", "balance": 100, "coupon": 0.12}],
        "reserve": {"initial_pct": 0.02, "target_pct": 0.05},
    }
    rows = [
        (200, 2.0, 0, 0, 0),  # available 2 + 2 = 4; interest 1 → 3 left → reserve 3 (< 5)
        (200, 4.0, 0, 0, 0),  # available 4 + 3 = 7; interest 1 → 6 left → reserve 5, residual 1
        (200, 0.5, 0, 0, 0),  # available 0.5 + 5 = 5.5; interest 1 → 4.5 left → reserve 4.5
    ]
    df = run(deal, rows)
    assert deal_col(df, "available") == approx([4.0, 7.0, 5.5])
    assert note_col(df, "interest_paid", "A") == approx([1.0, 1.0, 1.0])
    assert deal_col(df, "reserve_balance") == approx([3.0, 5.0, 4.5])
    assert deal_col(df, "residual") == approx([0.0, 1.0, 0.0])


def test_f_what_is_left_goes_to_the_residual_holder():
    # Fee 6 % a year = 0.5 % a month of the pool. A: 100 at 12 % → 1 a month.
    # Reserve starts at 1, target 1 % × 100 = 1. Pool ≥ notes, so the principal target is 0.
    deal = {
        "notes": [{"name": "A", "balance": 100, "coupon": 0.12}],
        "senior_fee_rate": 0.06,
        "reserve": {"initial_pct": 0.01, "target_pct": 0.01},
        "overcollateralisation": {"target_pct": 0.0},  # the pool's excess is not held
    }
    rows = [
        # available 5 + 1 = 6; fee 1 → 5; interest 1 → 4; reserve 1 → residual 3
        (200, 5.0, 0.0, 0.0, 0.0),
        # available 3 + 10 + 1 + 1 = 15; target max(0, 100 − 190) = 0;
        # fee 1 → 14; interest 1 → 13; reserve 1 → residual 12
        (200, 3.0, 10.0, 1.0, 0.0),
        # available 0.5 + 1 = 1.5; fee 0.5 % × 190 = 0.95 → 0.55; interest due 1, paid 0.55;
        # nothing for the reserve or the residual
        (190, 0.5, 0.0, 0.0, 0.0),
    ]
    df = run(deal, rows)
    assert deal_col(df, "fees_paid") == approx([1.0, 1.0, 0.95])
    assert note_col(df, "interest_paid", "A") == approx([1.0, 1.0, 0.55])
    assert deal_col(df, "reserve_balance") == approx([1.0, 1.0, 0.0])
    assert deal_col(df, "residual") == approx([3.0, 12.0, 0.0])


def test_g_what_is_left_of_a_note_at_the_legal_final_period_is_written_off():
    # A 50, B 50 at 0 %, sequential, no fee. The pool loses 30 to defaults.
    deal = {
        "notes": [
            {"name": "A", "balance": 50, "coupon": 0.0},
            {"name": "B", "balance": 50, "coupon": 0.0},
        ]
    }
    rows = [
        # target = 100 − (100 − 20 − 10) = 30 but only 20 available → A 20 (→ 30).
        (100, 0.0, 20.0, 0.0, 10.0),
        # notes 80; target = 80 − (70 − 20) = 30; available 20 → A 20 (→ 10).
        (70, 0.0, 20.0, 0.0, 0.0),
        # notes 60; target = 60 − (50 − 30 − 20) = 60; available 30 + 5 = 35 →
        # A 10 (→ 0), B 25 (→ 25); the legal final period: B's remaining 25 is written off.
        (50, 0.0, 30.0, 5.0, 20.0),
    ]
    df = run(deal, rows, final=True)
    assert note_col(df, "principal_paid", "A") == approx([20.0, 20.0, 10.0])
    assert note_col(df, "principal_paid", "B") == approx([0.0, 0.0, 25.0])
    # No writedown before the legal final period, although the notes exceed the pool after P1.
    assert note_col(df, "writedown", "A") == approx([0.0, 0.0, 0.0])
    assert note_col(df, "writedown", "B") == approx([0.0, 0.0, 25.0])
    assert note_col(df, "balance_end", "B") == approx([50.0, 50.0, 0.0])


# ==============================================================================================
# Optional structures (each off by default)


def arrays(pool, interest, principal, recoveries=None, defaults=None, **extra):
    """Single-path collections as arrays (zeros where not given)."""
    zeros = [0.0] * len(pool)
    return {
        "pool_balance_begin": pool,
        "interest": interest,
        "principal": principal,
        "recoveries": recoveries or zeros,
        "defaults": defaults or zeros,
        **extra,
    }


def two_notes(a=60.0, b=40.0, coupon_a=0.0, coupon_b=0.0, **terms):
    return {
        "notes": [
            {"name": "A", "balance": a, "coupon": coupon_a},
            {"name": "B", "balance": b, "coupon": coupon_b},
        ],
        **terms,
    }


# ----------------------------------------------------------------------------------------------
# Triggers


DLQ_ROWS = arrays(
    # P1 5 % delinquent: pro rata. target 100 − 90 = 10 → A 6, B 4 (54, 36).
    # P2 12/90 = 13.3 % > 10 %: sequential. target 90 − 81 = 9 → A 9 (45, 36).
    # P3 4/81 = 4.9 %: a non-sticky trigger cures → pro rata: 8.1 × 45/81 = 4.5, × 36/81 = 3.6.
    pool=[100, 90, 81],
    interest=[0, 0, 0],
    principal=[10, 9, 8.1],
    delinquent_balance=[5, 12, 4],
)


@pytest.mark.parametrize(
    ("sticky", "a_paid", "b_paid", "state"),
    [
        (False, [6.0, 9.0, 4.5], [4.0, 0.0, 3.6], [False, True, False]),
        (True, [6.0, 9.0, 8.1], [4.0, 0.0, 0.0], [False, True, True]),
    ],
)
def test_delinquency_trigger_sticky_or_curing(sticky, a_paid, b_paid, state):
    deal = two_notes(
        principal="pro_rata",
        triggers=[{"type": "delinquency_ratio", "threshold": 0.10, "sticky": sticky}],
    )
    res = wa(deal, DLQ_ROWS)
    assert res.notes["principal_paid"][0, :, 0].tolist() == approx(a_paid)
    assert res.notes["principal_paid"][0, :, 1].tolist() == approx(b_paid)
    assert res.triggers[0, :, 0].tolist() == state


def test_delinquency_trigger_needs_the_delinquent_balance_column():
    deal = two_notes(triggers=[{"type": "delinquency_ratio", "threshold": 0.1}])
    with pytest.raises(ValueError, match="delinquent_balance"):
        wa(deal, arrays([100], [0], [0]))


@pytest.mark.parametrize(
    ("sticky", "state"),
    [
        (True, [False, False, True, True]),
        (False, [False, False, True, False]),
    ],
)
def test_excess_spread_trigger_on_the_three_month_average(sticky, state):
    # Notes pay 1 a month in total (A 50 and B 50 at 12 %); pool 100; no fee.
    # Excess spread, annualised: (interest − 1) / 100 × 12:
    #   P1 (2 − 1) → +0.12; P2 (0.5 − 1) → −0.06; P3 (0 − 1) → −0.12; P4 (3 − 1) → +0.24.
    # Averages over up to 3 months: 0.12, 0.03, −0.02 (< 0: breach), +0.02 (cures if allowed).
    deal = two_notes(50, 50, 0.12, 0.12, triggers=[{"type": "excess_spread", "sticky": sticky}])
    res = wa(deal, arrays([100] * 4, [2, 0.5, 0, 3], [0] * 4))
    assert res.deal["excess_spread"][0].tolist() == approx([0.12, -0.06, -0.12, 0.24])
    assert res.triggers[0, :, 0].tolist() == state


# ----------------------------------------------------------------------------------------------
# Principal deficiency ledger


def test_pdl_is_debited_junior_first_and_cleared_senior_first_from_revenue():
    # A 80 and B 20 at 12 % (1 % a month), sequential, PDL on. Principal funds are principal
    # collections plus PDL credits; revenue (interest, recoveries, reserve) clears the PDL.
    # Principal funds may pay any class's interest (principal_to_interest: all).
    deal = two_notes(80, 20, 0.12, 0.12, pdl=True, principal_to_interest="all")
    coll = arrays(
        pool=[100, 85, 45], interest=[2, 10, 30], principal=[10, 10, 40], defaults=[5, 30, 0]
    )
    res = wa(deal, coll)
    n = {k: v[0] for k, v in res.notes.items()}
    # P1: defaults 5 → B's ledger (junior first). Revenue 2: A interest 0.8, A PDL 0,
    #     B interest 0.2, B PDL cleared by the remaining 1 → B PDL 4.
    #     Principal funds 10 + 1 = 11 → A (80 → 69).
    # P2: defaults 30 → B's ledger is full at 20 (+16), the other 14 go to A.
    #     Revenue 10: A interest 0.69, clear A PDL by 9.31 (→ 4.69); B interest 0.2 is paid
    #     from principal collections, which is debited to the PDL: +0.2 on A (B is full).
    #     Principal funds 10 + 9.31 − 0.2 = 19.11 → A (69 → 49.89).
    # P3: revenue 30: A interest 0.4989 → 0.49 (rounded down to the cent), clear A PDL 4.89,
    #     B interest 0.2, clear B PDL 20; residual 30 − 0.49 − 4.89 − 0.2 − 20 = 4.42.
    #     Principal funds 40 + 24.89 = 64.89:
    #     A 49.89, B 15; B's last 5 is still outstanding (the deal goes on after P3).
    assert n["pdl_debit"].ravel().tolist() == approx([[0, 5], [14.2, 16], [0, 0]])
    assert n["pdl_credit"].ravel().tolist() == approx([[0, 1], [9.31, 0], [4.89, 20]])
    assert n["pdl_balance"][:2].ravel().tolist() == approx([[0, 4], [4.89, 20]])
    assert n["principal_paid"].ravel().tolist() == approx([[11, 0], [19.11, 0], [49.89, 15]])
    assert n["writedown"].sum() == 0.0
    assert n["balance_end"][-1].tolist() == approx([0, 5])
    assert res.deal["residual"][0].tolist() == approx([0, 0, 4.42])


def test_without_pdl_the_same_collections_follow_the_canonical_target():
    deal = two_notes(80, 20, 0.12, 0.12)
    coll = arrays(
        pool=[100, 85, 45], interest=[2, 10, 30], principal=[10, 10, 40], defaults=[5, 30, 0]
    )
    res = wa(deal, coll)
    # P1 target = 100 − (100 − 10 − 5) = 15 but only 12 − 1 = 11 left after interest.
    assert res.deal["principal_target"][0, 0] == pytest.approx(15.0)
    assert res.notes["pdl_balance"].max() == 0.0


# ----------------------------------------------------------------------------------------------
# Clean-up call


def test_clean_up_call_repays_the_notes_from_collections_and_the_sale_of_the_pool():
    # A 80, B 20 at 12 %; call when the pool at the end of a period is at or below 20 % of 100.
    # Reserve 5 % × 100 = 5, target 5 %.
    deal = two_notes(
        80,
        20,
        0.12,
        0.12,
        clean_up_call={"call_pct": 0.2},
        reserve={"initial_pct": 0.05, "target_pct": 0.05},
    )
    coll = arrays(
        pool=[100, 50, 15, 9],
        interest=[3, 2, 1, 0.5],
        principal=[50, 35, 5, 2],
        defaults=[0, 0, 1, 0],
    )
    res = wa(deal, coll)
    # P1: end pool 100 − 50 = 50 > 20. available 58; interest 0.8 + 0.2; principal 50 → A 30;
    #     reserve 5; residual 2.
    # P2: end pool 50 − 35 = 15 <= 20 → call on this payment date, at the pool's balance 15.
    #     available 2 + 35 + 15 + reserve 5 = 57; interest 0.3 + 0.2; principal due is the
    #     whole balance 50 → A 30, B 20; reserve requirement 0 → residual 57 − 0.5 − 50 = 6.5.
    # P3, P4: the deal has ended: nothing is collected or paid.
    assert res.deal["call_exercised"][0].tolist() == [False, True, False, False]
    assert res.deal["sale_proceeds"][0].tolist() == approx([0, 15, 0, 0])
    assert res.deal["available"][0].tolist() == approx([58, 57, 0, 0])
    paid = res.notes["principal_paid"][0]
    assert paid.ravel().tolist() == approx([[50, 0], [30, 20], [0, 0], [0, 0]])
    assert res.deal["residual"][0].tolist() == approx([2, 6.5, 0, 0])
    assert res.deal["reserve_balance"][0].tolist() == approx([5, 0, 0, 0])
    assert res.deal["reserve_requirement"][0].tolist() == approx([5, 0, 0, 0])
    assert res.notes["balance_end"][0, 1:].sum() == 0.0
    assert res.notes["writedown"][0].sum() == 0.0
    assert res.deal["active"][0].tolist() == [True, True, False, False]


# ----------------------------------------------------------------------------------------------
# Revolving period


def test_revolving_period_reinvests_principal_then_amortises():
    # A 100 at 0 %; the pool is kept at 100 by the reinvestment (the engine buys receivables).
    # Targets: 100 − (100 − 10 − 2) = 12, then 100 − 90 = 10, 10. Available 13, 11, 11.
    res = wa(
        {"notes": [{"name": "A", "balance": 100, "coupon": 0}], "revolving_months": 2},
        arrays(
            pool=[100, 100, 100], interest=[3, 1, 1], principal=[10, 10, 10], defaults=[2, 0, 0]
        ),
    )
    assert res.deal["reinvested"][0].tolist() == approx([12, 10, 0])
    assert res.notes["principal_paid"][0, :, 0].tolist() == approx([0, 0, 10])
    assert res.deal["revolving"][0].tolist() == [True, True, False]
    assert res.deal["residual"][0].tolist() == approx([1, 1, 1])


def test_a_trigger_ends_the_revolving_period_early():
    # Cumulative defaults 2 % > 1 % in P1: early amortisation from P1, nothing reinvested.
    # Targets 12 (A 100 → 88), 88 − 78 = 10 (→ 78), 78 − 68 = 10 (→ 68).
    res = wa(
        {
            "notes": [{"name": "A", "balance": 100, "coupon": 0}],
            "revolving_months": 2,
            "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.01}],
        },
        arrays(pool=[100, 88, 78], interest=[3, 1, 1], principal=[10, 10, 10], defaults=[2, 0, 0]),
    )
    assert res.deal["reinvested"][0].tolist() == approx([0, 0, 0])
    assert res.deal["revolving"][0].tolist() == [False, False, False]
    assert res.notes["principal_paid"][0, :, 0].tolist() == approx([12, 10, 10])


# ----------------------------------------------------------------------------------------------
# Floating-rate notes and the swap


def test_floating_coupon_is_base_rate_plus_margin_floored_at_zero():
    deal = {
        "notes": [
            {"name": "A", "balance": 100, "rate_type": "floating", "margin": 0.01},
            {"name": "B", "balance": 100, "coupon": 0.06},
        ]
    }
    coll = arrays([400] * 3, [10] * 3, [0] * 3, base_rate=[0.05, 0.11, -0.03])
    res = wa(deal, coll)
    assert res.notes["coupon"][0, :, 0].tolist() == approx([0.06, 0.12, 0.0])
    assert res.notes["interest_due"][0, :, 0].tolist() == approx([0.5, 1.0, 0.0])
    assert res.notes["interest_due"][0, :, 1].tolist() == approx([0.5, 0.5, 0.5])


def test_floating_note_needs_a_base_rate():
    deal = {"notes": [{"name": "A", "balance": 100, "rate_type": "floating", "margin": 0.01}]}
    with pytest.raises(ValueError, match="base_rate"):
        wa(deal, arrays([100], [1], [0]))


SWAP_DEAL = {
    "notes": [{"name": "A", "balance": 100, "rate_type": "floating", "margin": 0.0}],
    "swap": {"fixed_rate": 0.06},
}
SWAP_COLL = arrays([200] * 3, [1.0] * 3, [0] * 3, base_rate=[0.03, 0.09, 0.06])


def test_swap_pays_fixed_and_receives_floating_on_the_floating_notes():
    res = wa(SWAP_DEAL, SWAP_COLL)
    # net = 100 × (6 % − base) / 12: P1 pays 0.25; P2 receives 0.25; P3 nothing.
    assert res.deal["swap_net"][0].tolist() == approx([0.25, -0.25, 0.0])
    assert res.deal["swap_paid"][0].tolist() == approx([0.25, 0.0, 0.0])
    assert res.deal["available"][0].tolist() == approx([1.0, 1.25, 1.0])
    # Interest 0.25, 0.75, 0.5: with the swap the residual is hedged at 0.5 a month.
    assert res.notes["interest_paid"][0, :, 0].tolist() == approx([0.25, 0.75, 0.5])
    assert res.deal["residual"][0].tolist() == approx([0.5, 0.5, 0.5])


def test_swap_is_paid_right_after_fees_and_shortfalls_carry():
    deal = {**SWAP_DEAL, "senior_fee_rate": 0.012}  # 0.1 % a month of 200 = 0.2
    coll = arrays([200] * 2, [0.3, 2.0], [0] * 2, base_rate=[0.0, 0.06])
    res = wa(deal, coll)
    # P1: 0.3 available; fee 0.2; swap due 0.5 → paid 0.1, 0.4 carried; no note interest.
    # P2: 2.0 available; fee 0.2; swap due 0 + 0.4 → paid; interest 0.5; residual 0.9.
    assert res.deal["swap_paid"][0].tolist() == approx([0.1, 0.4])
    assert res.notes["interest_paid"][0, :, 0].tolist() == approx([0.0, 0.5])
    assert res.deal["residual"][0].tolist() == approx([0.0, 0.9])


def test_swap_notional_schedule():
    deal = {**SWAP_DEAL, "swap": {"fixed_rate": 0.06, "notional": [50, 50]}}
    res = wa(deal, SWAP_COLL)
    # 50 × (6 % − base) / 12 = ±0.125, rounded to the cent towards zero (WATERFALL.md §5.11)
    assert res.deal["swap_net"][0].tolist() == approx([0.12, -0.12, 0.0])


def test_principal_never_funds_the_reserve_without_a_pdl_either():
    """A deal (no PDL, one pot of cash) whose list fills the reserve before the principal:
    one note of 100 at 0 %, reserve target 5 % of the notes (5), none at closing; each period
    the pool pays 1 of interest and 10 of principal. The principal amount (notes down to the
    pool, 10) is kept for the note: the reserve takes only the 1 of interest in period 1, and
    that 1 plus the 1 drawn back in period 2, so the note stays at the pool (90, then 80)."""
    order = [{"verb": "pay_fees"}, {"verb": "pay_interest", "notes": ["A"]},
             {"verb": "fund_reserve"}, {"verb": "pay_principal", "notes": ["A"]},
             {"verb": "pay_residual"}]
    deal = {"notes": [{"name": "A", "balance": 100.0, "coupon": 0.0}],
            "reserve": {"initial_pct": 0.0, "target_pct": 0.05},
            "priority_of_payments": {"amortising": order, "accelerated": order}}
    df = run(deal, [(100.0, 1.0, 10.0, 0.0, 0.0), (90.0, 1.0, 10.0, 0.0, 0.0)])
    assert note_col(df, "principal_paid", "A") == approx([10.0, 10.0])
    assert note_col(df, "balance_end", "A") == approx([90.0, 80.0])
    assert deal_col(df, "reserve_balance") == approx([1.0, 2.0])
    assert deal_col(df, "residual") == approx([0.0, 0.0])
    # with a PDL the principal funds are kept back the same way
    pdl = {**deal, "pdl": True, "priority_of_payments": {
        state: [*order[:2], {"verb": "clear_pdl", "notes": ["A"]}, *order[2:]]
        for state in ("amortising", "accelerated")}}
    df = run(pdl, [(100.0, 1.0, 10.0, 0.0, 0.0), (90.0, 1.0, 10.0, 0.0, 0.0)])
    assert note_col(df, "balance_end", "A") == approx([90.0, 80.0])
    assert deal_col(df, "reserve_balance") == approx([1.0, 2.0])


def test_overcollateralisation_is_kept_unless_the_deal_sets_a_target():
    """A 85 and B 10 at 0 %, sequential, on a pool of 100 (5 of OC at closing), no PDL; the
    pool pays 1 of interest and 10 of principal a period, no defaults.

    - No target: the 5 of OC at closing is kept; the notes are paid down to the pool less 5,
      so all 10 of principal pays A (75, then 65) and the residual gets the interest (1, 1).
    - Target 4 % of the pool: required 3.6 then 3.2; the notes are paid down to 86.4 then
      76.8, so 8.6 then 9.6 of principal pays A (76.4, 66.8) and 2.4 then 1.4 is released.
    - Target 4 % floored at 5 % of the initial pool (5): as with no target.
    - Target 0: the OC is released at once: 5 of principal pays A (80), 6 goes to the
      residual; then 10 (A 70)."""
    notes = [{"name": "A", "balance": 85.0, "coupon": 0.0},
             {"name": "B", "balance": 10.0, "coupon": 0.0}]
    rows = [(100.0, 1.0, 10.0, 0.0, 0.0), (90.0, 1.0, 10.0, 0.0, 0.0)]
    cases = {None: ([75.0, 65.0], [1.0, 1.0]),
             (0.04, 0.0): ([76.4, 66.8], [2.4, 1.4]),
             (0.04, 0.05): ([75.0, 65.0], [1.0, 1.0]),
             (0.0, 0.0): ([80.0, 70.0], [6.0, 1.0])}
    for oc, (balance, residual) in cases.items():
        deal = {"notes": notes} if oc is None else {
            "notes": notes, "overcollateralisation": {"target_pct": oc[0], "floor_pct": oc[1]}}
        df = run(deal, rows)
        assert note_col(df, "balance_end", "A") == approx(balance), oc
        assert note_col(df, "balance_end", "B") == approx([10.0, 10.0]), oc
        assert deal_col(df, "residual") == approx(residual), oc
        arrays = {c: np.array([[r[i] for r in rows]]) for i, c in enumerate(COLS)}
        kernel = waterfall_arrays(ongoing(deal, len(rows)), arrays)  # arrays in, arrays out
        assert kernel.notes["balance_end"][0, :, 0] == approx(balance)


def test_an_oc_target_needs_a_deal_without_a_pdl():
    from sim.abs import Deal

    with pytest.raises(ValueError, match="overcollateralisation applies to a deal without a "
                                         "PDL"):
        Deal.model_validate({"notes": [{"name": "A", "balance": 90.0, "coupon": 0.0}],
                             "pdl": True, "overcollateralisation": {"target_pct": 0.05}})


def test_the_cumulative_net_loss_trigger_counts_defaults_less_recoveries():
    """A pool of 100 defaults 4 in period 1 (2 recovered) and 3 in period 2 (none): net
    losses of 2 % then 5 % of the first pool, defaults of 4 % then 7 %. At 3 %, the net loss
    trigger breaches in period 2; the default trigger already in period 1."""
    rows = [(100.0, 1.0, 5.0, 2.0, 4.0), (91.0, 1.0, 5.0, 0.0, 3.0)]
    note = [{"name": "A", "balance": 100.0, "coupon": 0.0}]
    for kind, breached in (("cumulative_net_loss_ratio", [False, True]),
                           ("cumulative_default_ratio", [True, True])):
        df = run({"notes": note, "triggers": [{"type": kind, "threshold": 0.03}]}, rows)
        assert deal_col(df, "trigger_breached") == breached, kind
        assert deal_col(df, "accelerated") == breached, kind
    values = wa({"notes": note, "triggers": [{"type": "cumulative_net_loss_ratio",
                                              "threshold": 0.03}]},
                {c: np.array([[r[i] for r in rows]]) for i, c in enumerate(COLS)})
    assert values.trigger_values[0, :, 0] == approx([0.02, 0.05])


def test_a_turbo_principal_step_pays_the_notes_all_the_cash_left():
    """One note of 100 at 0 %, a cumulative default trigger at 0 (breached by the period's
    default of 1): the accelerated list's principal step is turbo. The pool pays 5 of
    interest and 10 of principal; the principal amount is 100 - (100 - 10 - 1) = 11. A
    plain step pays 11 and leaves 4 to the residual; a turbo step pays all 15 (a cash trap:
    the excess spread amortises the note)."""
    rows = [(100.0, 5.0, 10.0, 0.0, 1.0), (89.0, 5.0, 10.0, 0.0, 0.0)]
    for turbo, paid, residual in ((False, [11.0, 10.0], [4.0, 5.0]),
                                  (True, [15.0, 15.0], [0.0, 0.0])):
        order = [{"verb": "pay_fees"}, {"verb": "pay_interest", "notes": ["A"]},
                 {"verb": "fund_reserve"},
                 {"verb": "pay_principal", "notes": ["A"], "turbo": turbo},
                 {"verb": "pay_residual"}]
        deal = {"notes": [{"name": "A", "balance": 100.0, "coupon": 0.0}],
                "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.0}],
                "priority_of_payments": {"accelerated": order}}
        df = run(deal, rows)
        assert deal_col(df, "accelerated") == [True, True]
        assert note_col(df, "principal_paid", "A") == approx(paid), turbo
        assert deal_col(df, "residual") == approx(residual), turbo
    with pytest.raises(ValueError, match="turbo applies to pay_principal only"):
        from sim.abs import Step

        Step.model_validate({"verb": "fund_reserve", "turbo": True})


def test_a_call_at_par_repays_the_notes_a_call_at_the_pools_balance_writes_them_down():
    """A 150 and B 50 at 0 %, sequential, clean-up call at 10 % of the pool of 200. Period 1
    collects 150 of principal and loses 20: A is repaid, B still owed 50 with 30 of pool
    behind it. Period 2 collects 5 and loses 5: the pool ends at 20 (10 %), the call. At the
    pool's balance the 20 and the 5 collected pay B 25 and it loses 25; at par the price is
    the 50 B is owed, B is repaid and the 5 collected go to the residual."""
    notes = [{"name": "A", "balance": 150.0, "coupon": 0.0},
             {"name": "B", "balance": 50.0, "coupon": 0.0}]
    rows = [(200.0, 0.0, 150.0, 0.0, 20.0), (30.0, 0.0, 5.0, 0.0, 5.0),
            (20.0, 0.0, 5.0, 0.0, 0.0)]
    for price, proceeds, lost, residual in (("pool_balance", 20.0, 25.0, 0.0),
                                            ("notes_at_par", 50.0, 0.0, 5.0)):
        deal = {"notes": notes, "clean_up_call": {"call_pct": 0.1, "price": price},
                "overcollateralisation": {"target_pct": 0.0}}
        df = run(deal, rows)
        assert deal_col(df, "call_exercised")[:2] == [False, True]
        assert deal_col(df, "sale_proceeds")[1] == pytest.approx(proceeds), price
        assert note_col(df, "writedown", "B")[1] == pytest.approx(lost), price
        assert deal_col(df, "residual")[1] == pytest.approx(residual), price
        assert deal_col(df, "pool_balance_end")[1] == pytest.approx(0.0)  # the pool is sold


def test_an_oc_target_holds_on_the_pool_after_a_revolving_periods_purchases():
    """A note of 90 on a pool of 100, OC target 10 %, six revolving months, 10 % of the pool
    repaid each month: the principal amount buys the pool back to 90 / 0.9 = 100 every
    month, so the OC stays at 10 % of the pool after the purchases (not 9 %)."""
    deal = {"notes": [{"name": "A", "balance": 90.0, "coupon": 0.0}],
            "overcollateralisation": {"target_pct": 0.1}, "revolving_months": 6}
    rows, pool = [], 100.0
    for _ in range(6):
        rows.append((pool, 1.0, 0.1 * pool, 0.0, 0.0))
        pool = 100.0  # bought back to the target each month
    df = run(deal, rows)
    assert deal_col(df, "reinvested") == approx([10.0] * 6)
    end = np.array(deal_col(df, "pool_balance_end"))
    assert end.tolist() == approx([100.0] * 6)
    assert ((end - 90.0) / end).tolist() == approx([0.1] * 6)


def test_a_turbo_step_comes_after_every_clear_pdl():
    from sim.abs import Deal

    order = [{"verb": "pay_fees"}, {"verb": "pay_interest", "notes": ["A"]},
             {"verb": "pay_principal", "notes": ["A"], "turbo": True},
             {"verb": "clear_pdl", "notes": ["A"]},
             {"verb": "pay_principal", "notes": ["A"]},
             {"verb": "fund_reserve"}, {"verb": "pay_residual"}]
    with pytest.raises(ValueError, match="a turbo pay_principal must come after every "
                                         "clear_pdl"):
        Deal.model_validate({"notes": [{"name": "A", "balance": 90.0, "coupon": 0.0}],
                             "pdl": True, "priority_of_payments": {"accelerated": order}})


def test_an_oc_target_above_the_oc_at_closing_is_built_from_the_collections_not_the_reserve():
    """A 900 at 6 % (0.5 % a month) on a pool of 1,000 (100 of OC at closing), no fee, OC
    target 20 %, two revolving months, reserve 2 % of the notes (18, at closing too). The
    reserve covers fees, interest and the principal that keeps the OC at its closing ratio,
    10 % (the principal amount of a 10 % target: `keep`), never the OC built above it (§5.3).

    1. Revolving; pool 1,000, interest 10, principal 100: E 900. Cash 110 + 18; interest
       4.50, leaving 105.50 of collections. PA = 900 / 0.8 − 900 = 225; keep = 900 / 0.9 −
       900 = 100. Reinvested: 105.50 (collections only, at least keep); reserve 18.
    2. Revolving; pool 1,005.50, principal 100, defaults 20: E 885.50; keep 1,000 − 885.50 =
       114.50 is more than the 105.50 of collections left, so the reserve pays 9 of it:
       reinvested 114.50 (the pool back to 1,000, the closing ratio kept), reserve 9.
    3. Amortising; pool 1,000, interest 10, principal 100: E 900, target 180, PA 180, keep
       900 − (900 − 90) = 90. Cash 110 + 9; interest 4.50; principal 105.50 (A 794.50);
       reserve 9.
    4. Amortising; pool 900, interest 9, principal 90: E 810, A's interest ⌊3.9725⌋ = 3.97,
       target 162, PA 794.50 − 648 = 146.50, keep 794.50 − (810 − 81) = 65.50. Principal 99
       − 3.97 = 95.03 (A 699.47); reserve 9.
    Before this rule the reserve paid for the build: reinvested 123.50 in period 1 and the
    reserve 0 from then on."""
    deal = {"notes": [{"name": "A", "balance": 900.0, "coupon": 0.06}],
            "overcollateralisation": {"target_pct": 0.2},
            "reserve": {"initial_pct": 0.02, "target_pct": 0.02}, "revolving_months": 2}
    rows = [(1000.0, 10.0, 100.0, 0.0, 0.0), (1005.5, 10.0, 100.0, 0.0, 20.0),
            (1000.0, 10.0, 100.0, 0.0, 0.0), (900.0, 9.0, 90.0, 0.0, 0.0)]
    res = wa(deal, {c: np.array([r[i] for r in rows]) for i, c in enumerate(COLS)})
    d, log = res.deal, res.steps
    assert d["revolving"][0].tolist() == [True, True, False, False]
    assert log["reserve_draw"][0].tolist() == [18.0, 18.0, 9.0, 9.0]
    assert log["available"][0].tolist() == [128.0, 128.0, 119.0, 108.0]
    assert res.notes["interest_paid"][0, :, 0].tolist() == [4.5, 4.5, 4.5, 3.97]
    assert d["principal_target"][0].tolist() == [225.0, 239.5, 180.0, 146.5]
    assert d["reinvested"][0].tolist() == [105.5, 114.5, 0.0, 0.0]
    assert res.notes["principal_paid"][0, :, 0].tolist() == [0.0, 0.0, 105.5, 95.03]
    assert res.notes["balance_end"][0, :, 0].tolist() == [900.0, 900.0, 794.5, 699.47]
    assert d["reserve_balance"][0].tolist() == [18.0, 9.0, 9.0, 9.0]
    assert d["residual"][0].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert d["pool_balance_end"][0, :2] == approx([1005.5, 1000.0])


def test_the_reserve_keeps_the_oc_at_its_closing_ratio_not_its_closing_amount():
    """A 900 at 6 % on a pool of 1,000: OC 100 at closing, a ratio of 10 %; no fee, OC target
    20 %, reserve 2 % of the notes (18). Once the pool is below 100 / 20 % = 500, the OC at
    closing as an amount (100) is above the target; the reserve may still fund only the
    principal that keeps the closing ratio, 10 % of the pool (§5.3).

    1. Pool 1,000, interest 10, principal 500: E 500, target 100, PA 900 − 400 = 500, K 900 −
       (500 − 50) = 450. Cash 510 + 18; interest 4.50; principal 500 (A 400); reserve 18;
       residual 5.50.
    2. Pool 500, interest 5, principal 165, defaults 65: E 270, target 54, PA 400 − 216 =
       184, K 400 − (270 − 27) = 157. Cash 170 + 18; interest 2; the other funds 168 are
       more than K, so the principal is 168 (A 232, the OC 38, 14.07 % of the pool) and the
       reserve is not drawn: 18, residual 0.
    With K at the closing amount (400 − (270 − 100) = 230, more than PA) the reserve paid 16
    of the build: principal 184 and the reserve 2."""
    deal = {"notes": [{"name": "A", "balance": 900.0, "coupon": 0.06}],
            "overcollateralisation": {"target_pct": 0.2},
            "reserve": {"initial_pct": 0.02, "target_pct": 0.02}}
    rows = [(1000.0, 10.0, 500.0, 0.0, 0.0), (500.0, 5.0, 165.0, 0.0, 65.0)]
    res = wa(deal, {c: np.array([r[i] for r in rows]) for i, c in enumerate(COLS)})
    d, log = res.deal, res.steps
    assert log["available"][0].tolist() == [528.0, 188.0]
    assert res.notes["interest_paid"][0, :, 0].tolist() == [4.5, 2.0]
    assert d["principal_target"][0].tolist() == [500.0, 184.0]
    assert res.notes["principal_paid"][0, :, 0].tolist() == [500.0, 168.0]
    assert res.notes["balance_end"][0, :, 0].tolist() == [400.0, 232.0]
    assert d["reserve_balance"][0].tolist() == [18.0, 18.0]
    assert d["residual"][0].tolist() == [5.5, 0.0]


def test_a_target_at_or_below_the_closing_ratio_lets_the_reserve_fund_its_floor():
    """The same note and reserve, an OC target of 5 % (below the closing 10 %) floored at 8 %
    of the first pool (80, below the OC at closing): the deal never asks for more OC than it
    had at closing, so the reserve funds all of its principal amount (§5.3: each share capped
    at the closing ratio, K = PA).

    1. Pool 1,000, interest 10, principal 500: E 500, required OC max(25, 80) = 80, PA 900 −
       420 = 480. Cash 528; interest 4.50; principal 480 (A 420); reserve 18; residual 25.50.
    2. Pool 500, interest 5, principal 150, defaults 60: E 290, required OC 80, PA 420 − 210
       = 210. Cash 155 + 18; interest 2.10; the other funds 152.90 are below PA, so the
       reserve pays the rest: principal 170.90 (A 249.10), reserve 0. (The closing ratio
       alone, an OC of 29, would give K 159: principal 159 and the reserve 11.90.)"""
    deal = {"notes": [{"name": "A", "balance": 900.0, "coupon": 0.06}],
            "overcollateralisation": {"target_pct": 0.05, "floor_pct": 0.08},
            "reserve": {"initial_pct": 0.02, "target_pct": 0.02}}
    rows = [(1000.0, 10.0, 500.0, 0.0, 0.0), (500.0, 5.0, 150.0, 0.0, 60.0)]
    res = wa(deal, {c: np.array([r[i] for r in rows]) for i, c in enumerate(COLS)})
    d = res.deal
    assert res.notes["interest_paid"][0, :, 0].tolist() == [4.5, 2.1]
    assert d["principal_target"][0].tolist() == [480.0, 210.0]
    assert res.notes["principal_paid"][0, :, 0].tolist() == [480.0, 170.9]
    assert res.notes["balance_end"][0, :, 0].tolist() == [420.0, 249.1]
    assert d["reserve_balance"][0].tolist() == [18.0, 0.0]
    assert d["residual"][0].tolist() == [25.5, 0.0]
