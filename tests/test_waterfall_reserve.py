"""What the reserve paid for (docs/WATERFALL.md §5.3): the reserve drawn into each period's
funds is the last revenue any step spends, so each use of cash before ``fund_reserve`` is
credited with the part of it the other funds could not pay.

A deal worked by hand, to the cent, in both implementations; and a property over random deals:
the compiled waterfall and the oracle agree on every use to the cent, the uses add up to the
reserve used exactly, and the reserve used is no more than the reserve drawn.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from sim.abs import Deal
from tests.test_waterfall_cents import cents
from tests.test_waterfall_kernel import floating_case
from tests.test_waterfall_oracle import (
    cases,
    oc_build_cases,
    one_path,
    reserve_disagreements,
    run_vectorised,
)
from tests.waterfall_oracle import run_oracle

pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")

HAND_DEAL = {
    "notes": [{"name": "A", "balance": 800.0, "coupon": 0.06},
              {"name": "B", "balance": 200.0, "coupon": 0.12}],
    "senior_fee_rate": 0.012, "principal": "sequential",
    "reserve": {"initial_pct": 0.02, "target_pct": 0.02},
    "legal_final_period": 12,
}
HAND_PATH = one_path([
    # pool at start, interest, principal, recoveries, defaults
    (1000.0, 3.50, 0.0, 0.0, 0.0),
    (1000.0, 10.00, 0.0, 0.0, 0.0),
])
USES = ("reserve_used:pay_fees", "reserve_used:pay_interest:A",
        "reserve_used:pay_interest:B", "reserve_used:pay_principal")


@pytest.mark.parametrize("implementation", ["sim.abs", "oracle"])
def test_a_shortfall_of_senior_interest_is_paid_by_the_reserve(implementation: str) -> None:
    # The reserve at closing is 2 % of the notes' 1,000: 20.00. Each period the fee is
    # 1.2 % / 12 x 1,000 = 1.00, A's interest 6 % / 12 x 800 = 4.00, B's 12 % / 12 x 200 =
    # 2.00; no principal is due (the pool does not amortise).
    # Period 1: 3.50 collected, 23.50 available with the reserve. The fee takes 1.00 of the
    #   collections, A's interest the 2.50 left and 1.50 of the reserve, B's interest 2.00 of
    #   the reserve: the reserve used 3.50 (A 1.50, B 2.00), and is refilled with the 16.50
    #   left (its requirement is 20.00).
    # Period 2: 10.00 collected pay the 7.00 due: the reserve pays nothing and is refilled
    #   to 16.50 + 3.00 = 19.50.
    deal = Deal.model_validate(HAND_DEAL)
    if implementation == "oracle":
        out = run_oracle(deal, [HAND_PATH])[0]
        used = {f: [rec["reserve_for"].get(f.removeprefix("reserve_used:"), 0.0)
                    for rec in out] for f in USES}
        used["reserve_used"] = [rec["reserve_used"] for rec in out]
        balance = [rec["reserve_balance"] for rec in out]
    else:
        result = run_vectorised(deal, [HAND_PATH])
        assert set(result.reserve) == {"reserve_used", *USES}
        used = {f: result.reserve[f][0].tolist() for f in result.reserve}
        balance = result.deal["reserve_balance"][0].tolist()
    assert used["reserve_used:pay_interest:A"] == [1.50, 0.0]
    assert used["reserve_used:pay_interest:B"] == [2.00, 0.0]
    assert used["reserve_used:pay_fees"] == [0.0, 0.0]
    assert used["reserve_used:pay_principal"] == [0.0, 0.0]
    assert used["reserve_used"] == [3.50, 0.0]
    assert balance == [16.50, 19.50]


def test_uses_after_fund_reserve_have_no_column() -> None:
    # a list that pays B's interest after the reserve: the reserve never pays it. Period 1:
    # the fee 1.00 and A's 4.00 take the 3.50 collected and 1.50 of the reserve, which is
    # refilled with the 18.50 left; B is paid nothing. Period 2: of 10.00 + 18.50, the fee
    # and A take 5.00, the reserve 20.00, and B the 3.50 left of the 4.00 it is owed.
    steps = [{"verb": "pay_fees"}, {"verb": "pay_interest", "notes": ["A"]},
             {"verb": "pay_principal", "notes": ["A", "B"]}, {"verb": "fund_reserve"},
             {"verb": "pay_interest", "notes": ["B"]}, {"verb": "pay_residual"}]
    deal = Deal.model_validate({**HAND_DEAL, "priority_of_payments": {
        "amortising": steps, "accelerated": steps}})
    result = run_vectorised(deal, [HAND_PATH])
    assert "reserve_used:pay_interest:B" not in result.reserve
    assert result.reserve["reserve_used:pay_interest:A"][0].tolist() == [1.50, 0.0]
    assert result.notes["interest_paid"][0, :, 1].tolist() == [0.0, 3.50]


def check_reserve(result) -> None:  # noqa: ANN001
    """The uses add up to the reserve used exactly (cents); none is negative; the reserve used
    is no more than the reserve drawn."""
    used = cents(result.reserve["reserve_used"])
    uses = [cents(v) for k, v in result.reserve.items() if k != "reserve_used"]
    assert np.array_equal(sum(uses, np.zeros_like(used)), used)  # no uses: none used
    assert all((u >= 0).all() for u in uses)
    assert (used <= cents(result.steps["reserve_draw"])).all()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_the_uses_add_up_and_both_implementations_agree(case) -> None:  # noqa: ANN001
    deal, paths = case
    result = run_vectorised(deal, paths)
    check_reserve(result)
    oracle = run_oracle(deal, paths)
    diffs = [d for p, periods in enumerate(oracle) for t, rec in enumerate(periods)
             for d in reserve_disagreements(p, t, rec, result)]
    assert not diffs, diffs[:10]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(oc_build_cases())
def test_the_uses_add_up_on_deals_building_their_oc(case) -> None:  # noqa: ANN001
    deal, paths = case
    result = run_vectorised(deal, paths)
    check_reserve(result)
    oracle = run_oracle(deal, paths)
    assert not [d for p, periods in enumerate(oracle) for t, rec in enumerate(periods)
                for d in reserve_disagreements(p, t, rec, result)]


def test_the_uses_add_up_with_a_swap_and_a_pdl() -> None:
    # floating notes, a swap, a PDL, a call: outside the oracle; the reserve pays the net
    # swap, interest and PDL credits on some paths
    result = floating_case("floating_notes")
    check_reserve(result)
    assert {"reserve_used:pay_swap", "reserve_used:clear_pdl:A"} <= set(result.reserve)
    assert result.reserve["reserve_used"].any()


def test_the_comparison_sees_a_cent_moved_between_uses() -> None:
    deal = Deal.model_validate(HAND_DEAL)
    result = run_vectorised(deal, [HAND_PATH])
    rec = run_oracle(deal, [HAND_PATH])[0][0]
    assert reserve_disagreements(0, 0, rec, result) == []
    result.reserve["reserve_used:pay_interest:A"][0, 0] -= 0.01
    result.reserve["reserve_used:pay_interest:B"][0, 0] += 0.01
    assert [d[2] for d in reserve_disagreements(0, 0, rec, result)] == [
        "reserve_used:pay_interest:A", "reserve_used:pay_interest:B"]
