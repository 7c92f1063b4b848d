"""The reference engine against the vectorised engine: the same path, exactly.

Both engines draw the same arrays from the same streams and the same keyed draws, so on
a small book every monthly record, roll matrix, vintage and traced borrower's history
must be identical, under every rule the configs switch on. Changing one rule in one
engine makes these tests fail (see the mutation tests at the end).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.config import RunConfig, deep_merge, load_config
from sim.engine import PathResult, PathSimulation, simulate_path
from sim.ledger import Ledger
from sim.reference import ladder, simulate_reference
from sim.reference.account import Account
from sim.reference.ladder import CollectionsDesk
from sim.shipped import resolve_config

SMALL = {"book": {"initial_borrowers": 300, "new_borrowers_per_month": 8, "horizon_months": 14},
         "deal": None}


def small(base: str = "baseline", **override: dict) -> RunConfig:
    """A shipped config on a small book (no vehicle), with ``override`` merged in."""
    raw = load_config(resolve_config(f"configs/{base}.yaml")).model_dump(mode="json")
    return load_config(deep_merge(deep_merge(raw, SMALL), override))


def assert_same_path(v: PathResult, r: PathResult, auc_bound: float = 1e-4) -> None:
    """Every monthly column, roll matrix, vintage and the early-warning AUC are equal (the
    AUC within ``auc_bound``, the vectorised engine's binning bound)."""
    assert set(r.monthly) == set(v.monthly), set(r.monthly) ^ set(v.monthly)
    for k, want in v.monthly.items():
        got = np.asarray(r.monthly[k])
        same = np.array_equal(np.asarray(want, dtype=float), got.astype(float), equal_nan=True)
        assert same, f"{k}: first differs in month {np.flatnonzero(want != got)[:1]}"
    assert np.array_equal(v.rolls, r.rolls), "roll counts differ"
    assert np.array_equal(v.roll_balance, r.roll_balance), "roll balances differ"
    for k, want in v.vintages.items():
        assert np.array_equal(want, r.vintages[k]), f"vintage {k} differs"
    auc_v, auc_r = v.summary["early_warning_auc"], r.summary["early_warning_auc"]
    # the vectorised engine bins its scores (sim.auc.BinnedAUC, 10,000 bins): its AUC is
    # within the binning bound of the reference engine's exact one
    assert abs(auc_v - auc_r) <= auc_bound or (np.isnan(auc_v) and np.isnan(auc_r))


def vectorised_path(config: RunConfig, seed: int, path: int) -> tuple[PathResult, float]:
    """The vectorised engine's path and the error bound of its binned early-warning AUC
    (:meth:`sim.auc.BinnedAUC.error_bound`; NaN when there is no AUC, as without early
    warning: both engines' AUCs are then NaN)."""
    simulation = PathSimulation(config, seed, path)
    result = simulation.run()
    return result, simulation.early_warning.scores.error_bound()


CASES = {
    "baseline": small(),
    "early_warning": small("early_warning", early_warning={"fit_months": 6}),
    "limit_cut_warning": small(early_warning={"enabled": True, "fit_months": 6,
                                              "action": "limit_cut"}),
    "hardship_offer_warning": small(early_warning={"enabled": True, "fit_months": 6,
                                                   "action": "hardship_offer"}),
    "nudges": small("nudges"),
    "no_collections": small("no_collections"),
    "no_human": small("no_human"),
    "collections_on_with_an_empty_ladder": small(collections={"ladder": []}),  # no shifts
    # accounts wait longer than the human rung's window and leave the queue at its end,
    # or when the agency takes them
    "queue_outlived_by_its_window": small(collections={
        "collectors": {"count": 1, "calls_per_day": 2},
        "ladder": [{"channel": "sms", "from_dpd": 1, "to_dpd": 40, "every_days": 3},
                   {"channel": "human", "from_dpd": 5, "to_dpd": 15, "every_days": 7},
                   {"channel": "agency", "from_dpd": 12, "to_dpd": 360, "every_days": 14}]}),
    "tight_team_by_expected_recovery": small(collections={"collectors": {
        "count": 1, "calls_per_day": 4, "priority": "highest_expected_recovery"}}),
    "largest_balance_first": small(collections={"collectors": {
        "count": 1, "calls_per_day": 4, "priority": "largest_balance"}}),
    "whole_bills_only": small(repayment={"partial_payments": False}),
    "charge_off_at_60_no_acceleration": small(billing={"chargeoff_dpd": 60,
                                                       "acceleration_dpd": None}),
    "everyone_in_hardship_and_debt_sale": small(collections={
        "hardship": {"request_prob": 1.0, "income_drop": 0.0}, "debt_sale": {"enabled": True}}),
    # the shipped configs hold termination while an arrangement is kept, end arrangements
    # at termination and let a stretch run beyond the month's income: each case turns one
    # of these off
    "arrangements_off_stretch_within_income": small(
        repayment={"stretch_within_income": True},
        collections={"arrangements": {"hold_termination_while_kept": False,
                                      "end_at_termination": False}}),
    "arrangements_hold_termination_only": small(collections={"arrangements": {
        "end_at_termination": False}}),
    "arrangements_end_at_termination_no_reage": small(collections={
        "arrangements": {"hold_termination_while_kept": False}, "reage": {"enabled": False}}),
    "stretch_within_income": small(repayment={"stretch_within_income": True}),
    # the household budget's rules (repayment.buffer_after_bill, current_bill_from_income),
    # on in the shipped configs: each case turns one off
    "savings_cap_before_the_bill": small(repayment={"buffer_after_bill": False}),
    "current_bill_from_savings_only": small(repayment={"current_bill_from_income": False}),
    "credit_supply_in_a_recession": small(
        "recession", income={"other_debt_supply_elasticity": 1.0}),
    "roll_chain": small(repayment={"model": "roll_chain"}),
    "one_factor": small(repayment={"model": "one_factor"}),
    "bernoulli_recession": small("recession", repayment={"model": "bernoulli"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_both_engines_keep_the_same_books(name):
    config = CASES[name]
    vectorised, bound = vectorised_path(config, 3, 1)
    assert_same_path(vectorised, simulate_reference(config, 3, 1), bound)


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith(("arrangements_",
                                                                       "stretch_"))])
def test_the_arrangement_policies_change_the_book(name):
    """Each arrangement case above exercises its rule: its books differ from the baseline's."""
    base, changed = simulate_path(CASES["baseline"], 3, 1), simulate_path(CASES[name], 3, 1)
    assert not np.array_equal(base.rolls, changed.rolls)


def test_the_credit_supply_channel_changes_the_book():
    """With the room for debts elsewhere shrinking as unemployment rises, the recession's
    books differ from those of the same config with a fixed room."""
    config = CASES["credit_supply_in_a_recession"]
    fixed = config.model_copy(update={"income": config.income.model_copy(
        update={"other_debt_supply_elasticity": 0.0})})
    assert not np.array_equal(simulate_path(fixed, 3, 1).rolls,
                              simulate_path(config, 3, 1).rolls)


@pytest.mark.parametrize("name", ["savings_cap_before_the_bill",
                                  "current_bill_from_savings_only"])
def test_the_household_budget_rules_change_the_book(name):
    """Each budget case above exercises its rule: its books differ from the baseline's."""
    base, changed = simulate_path(CASES["baseline"], 3, 1), simulate_path(CASES[name], 3, 1)
    assert not np.array_equal(base.rolls, changed.rolls)


def test_every_traced_borrower_lives_the_same_life_in_both_engines():
    config = CASES["baseline"]
    ids = tuple(range(0, 300, 2))
    v = pd.DataFrame(simulate_path(config, 8, 0, ids).trace)
    r = pd.DataFrame(simulate_reference(config, 8, 0, ids).trace)
    assert (r["event"] != "statement").any() and r["event"].isin(["human", "sms"]).any()
    assert r["borrower"].nunique() == len(ids)
    # each borrower's rows in time order (rows of borrowers at the same moment may interleave
    # differently: the vectorised engine records them event by event)
    def by_borrower(t: pd.DataFrame) -> pd.DataFrame:
        return t.sort_values("borrower", kind="stable").reset_index(drop=True)

    # after a charge-off both engines tell only what the closed account brings in (its
    # recoveries, and the proceeds if the rest is sold): no statement or due date
    assert (v["event"] == "charge_off").any()  # some traced account is closed on the way
    closed = ~v["active"] & (v["event"] != "charge_off")
    assert set(v.loc[closed, "event"]) <= {"recovery", "debt_sale"}
    pd.testing.assert_frame_equal(by_borrower(r), by_borrower(v[r.columns]), check_dtype=False)


def test_the_vehicle_buys_the_same_pool_and_pays_the_same_notes():
    """With a deal, the books stay identical and the vehicle's pool and waterfall agree to
    rounding (its sums run account by account here, over arrays there)."""
    raw = load_config(resolve_config("configs/baseline.yaml")).model_dump(mode="json")
    config = load_config(deep_merge(raw, {
        "book": {"initial_borrowers": 400, "new_borrowers_per_month": 10, "horizon_months": 24},
        "deal": {"cutoff_month": 6, "revolving_months": 6}}))
    v, r = simulate_path(config, 3, 0), simulate_reference(config, 3, 0)
    assert_same_path(v, r)
    assert v.pool is not None and r.pool is not None and v.waterfall and r.waterfall
    assert v.pool["purchased"][1:6].sum() > 0  # it revolved
    for k, want in v.pool.items():
        np.testing.assert_allclose(r.pool[k], want, rtol=1e-9, atol=1e-6, err_msg=k)
    for part in ("notes", "deal"):
        for k, want in getattr(v.waterfall, part).items():
            np.testing.assert_allclose(getattr(r.waterfall, part)[k], want, rtol=1e-9,
                                       atol=1e-6, err_msg=f"{part} {k}")
    np.testing.assert_array_equal(r.waterfall.triggers, v.waterfall.triggers)


# -- one rule changed in one engine: the comparison fails -------------------------------------
def _no_late_fee(monkeypatch):
    bill = Account.bill
    monkeypatch.setattr(Account, "bill", lambda self, month, rate: bill(self, month, 0.0))


def _youngest_called_first(monkeypatch):
    monkeypatch.setattr(CollectionsDesk, "priority", lambda self, b, dpd: -float(dpd))


def _promises_after_the_run(monkeypatch):
    monkeypatch.setattr(ladder, "PROMISE_HOUR", 0.8)


def test_changing_one_rule_in_the_vectorised_engine_fails_the_comparison(monkeypatch):
    config = small(collections={"collectors": {"count": 1, "calls_per_day": 4}})
    reference = simulate_reference(config, 3, 1)
    statement = Ledger.statement  # the late fee left out of the vectorised statement
    monkeypatch.setattr(Ledger, "statement",
                        lambda self, month, n, rate, *call: statement(self, month, n, 0.0, *call))
    with pytest.raises(AssertionError, match="first differs"):
        assert_same_path(simulate_path(config, 3, 1), reference)


@pytest.mark.parametrize("mutate", [_no_late_fee, _youngest_called_first,
                                    _promises_after_the_run])
def test_changing_one_rule_in_the_reference_engine_fails_the_comparison(monkeypatch, mutate):
    config = small(collections={"collectors": {"count": 1, "calls_per_day": 4}})
    vectorised = simulate_path(config, 3, 1)
    assert_same_path(vectorised, simulate_reference(config, 3, 1))  # the unchanged rules
    mutate(monkeypatch)
    with pytest.raises(AssertionError):
        assert_same_path(vectorised, simulate_reference(config, 3, 1))


def test_dropping_the_termination_hold_in_one_engine_fails_the_comparison(monkeypatch):
    """The reference engine terminates every account at the threshold again (its hold
    switched off) while the vectorised engine holds kept arrangements: the books differ."""
    from sim.reference import platform

    config = CASES["baseline"]  # seed 4: on this small book a kept arrangement meets the
    vectorised = simulate_path(config, 4, 1)  # threshold on some seeds only (4 and 7 of 1-7)
    assert_same_path(vectorised, simulate_reference(config, 4, 1))
    monkeypatch.setattr(platform, "termination_held", lambda config, b, month: False)
    with pytest.raises(AssertionError):
        assert_same_path(vectorised, simulate_reference(config, 4, 1))


def test_capping_the_stretch_in_one_engine_fails_the_comparison(monkeypatch):
    """The reference engine keeps the affordability cap while the vectorised engine lets a
    stretch run beyond the month's income: the books differ."""
    from sim.reference.borrower import Borrower

    config = CASES["baseline"]
    vectorised = simulate_path(config, 3, 1)
    capped = config.model_copy(update={"repayment": config.repayment.model_copy(
        update={"stretch_within_income": True})})
    cash = Borrower.cash_for_bill
    monkeypatch.setattr(Borrower, "cash_for_bill",
                        lambda self, config, share, stretch: cash(self, capped, share, stretch))
    with pytest.raises(AssertionError):
        assert_same_path(vectorised, simulate_reference(config, 3, 1))


def test_a_fixed_room_in_one_engine_fails_the_comparison(monkeypatch):
    """The reference engine keeps the room for debts elsewhere at its limit while the
    vectorised engine shrinks it with the recession's unemployment: the books differ."""
    from sim.config import IncomeConfig

    config = CASES["credit_supply_in_a_recession"]
    vectorised = simulate_path(config, 3, 1)
    monkeypatch.setattr(IncomeConfig, "other_debt_room_months",
                        lambda self, u, u_base: float(self.other_debt_limit_months))
    with pytest.raises(AssertionError):
        assert_same_path(vectorised, simulate_reference(config, 3, 1))


def test_the_savings_cap_before_the_bill_in_one_engine_fails_the_comparison(monkeypatch):
    """The reference engine caps savings before the month's bill again (nothing kept aside)
    while the vectorised engine keeps a current bill aside: the books differ."""
    from sim.reference.borrower import Borrower

    config = CASES["baseline"]
    vectorised = simulate_path(config, 3, 1)
    step = Borrower.step_income
    monkeypatch.setattr(Borrower, "step_income",
                        lambda self, *args: step(self, *args[:8], 0.0))
    with pytest.raises(AssertionError):
        assert_same_path(vectorised, simulate_reference(config, 3, 1))


def test_a_current_bill_from_savings_only_in_one_engine_fails_the_comparison(monkeypatch):
    """The reference engine pays a current bill only from positive savings again while the
    vectorised engine lets the month's income pay it: the books differ."""
    from sim.reference.borrower import Borrower

    config = CASES["baseline"]
    vectorised = simulate_path(config, 3, 1)
    monkeypatch.setattr(Borrower, "income_for_bill", lambda self: 0)
    with pytest.raises(AssertionError):
        assert_same_path(vectorised, simulate_reference(config, 3, 1))
