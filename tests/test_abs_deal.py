"""The deal model (sim/abs/deal.py): one model, share-sized notes, the priority of payments as
data validated on load, and a reordered priority of payments run end to end.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from sim.abs import STATES, Deal, Verb, build_steps, waterfall_arrays
from sim.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")  # short examples
DEALS = sorted((ROOT / "configs" / "deals").glob("*.yaml"))
ALLOWED_VERBS = ", ".join(f"'{v.value}'" for v in list(Verb)[:-1]) + f" or '{list(Verb)[-1]}'"


def approx(values, abs=1e-9):  # noqa: A002 - pytest's own keyword
    return pytest.approx(np.ravel(values).tolist(), abs=abs)


THREE = {
    "notes": [{"name": "A", "balance": 80, "coupon": 0.12},
              {"name": "B", "balance": 10, "coupon": 0.12},
              {"name": "C", "balance": 10, "coupon": 0.0}],
    "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.05}],
    "legal_final_period": 3,
}
MEZZ_AFTER_SENIOR_PRINCIPAL = [
    {"verb": "pay_fees"},
    {"verb": "pay_interest", "notes": ["A"]},
    {"verb": "pay_principal", "notes": ["A", "B", "C"], "allocation": "sequential"},
    {"verb": "pay_interest", "notes": ["B"]},
    {"verb": "pay_interest", "notes": ["C"]},
    {"verb": "fund_reserve"},
    {"verb": "pay_residual"},
]


def with_steps(deal: dict, state: str, steps: list[dict]) -> dict:
    return {**deal, "priority_of_payments": {state: steps}}


# -- one model, sized on a pool --------------------------------------------------------------------


@pytest.mark.parametrize("path", DEALS, ids=[p.stem for p in DEALS])
def test_shipped_deals_write_out_the_default_order(path):
    data = yaml.safe_load(path.read_text())
    deal = Deal.model_validate(data)
    written = data["priority_of_payments"]
    for state in STATES:
        assert [s.model_dump(exclude_none=True, exclude_defaults=True) | {"verb": s.verb}
                for s in build_steps(deal, state)] == [
            {**s, "notes": tuple(s["notes"])} if "notes" in s else s for s in written[state]]


def test_share_sized_notes_are_sized_on_the_pool():
    deal = Deal.model_validate({"notes": [{"name": "A", "size": 0.8, "coupon": 0.05},
                                          {"name": "B", "size": 0.15, "coupon": 0.1}],
                                "reserve": {"initial_pct": 0.02}})
    sized = deal.sized(2000.0)
    assert [n.balance for n in sized.notes] == approx([1600, 300])
    assert all(n.size is None for n in sized.notes)
    assert sized.sized(5.0) is sized  # already in currency units
    # the waterfall sizes share-sized notes on each path's first pool balance
    coll = {"pool_balance_begin": [[2000.0], [1000.0]], "interest": [[0.0], [0.0]],
            "principal": [[0.0], [0.0]], "recoveries": [[0.0], [0.0]],
            "defaults": [[0.0], [0.0]]}
    res = waterfall_arrays({**deal.model_dump(), "legal_final_period": 2}, coll)
    assert res.notes["balance_begin"][:, 0, :].tolist() == [[1600, 300], [800, 150]]
    assert res.deal["reserve_balance"].ravel().tolist() == approx([0, 0])  # target 0
    assert res.steps["reserve_draw"].ravel().tolist() == approx([0.02 * 1900, 0.02 * 950])


def test_the_run_config_uses_the_same_model():
    cfg = load_config(ROOT / "configs" / "baseline.yaml")
    data = yaml.safe_load((ROOT / "configs" / "deals" / "baitiao_2015.yaml").read_text())
    from sim.config import validate_config
    with_deal = validate_config({**cfg.model_dump(), "deal": data})
    assert type(with_deal.deal) is Deal
    assert with_deal.deal.senior_fee_rate == 0.01


# -- validation on load ----------------------------------------------------------------------------


BAD = [
    (with_steps(THREE, "amortising", [{"verb": "pay_coupons"}]), ALLOWED_VERBS),
    (with_steps(THREE, "amortising", MEZZ_AFTER_SENIOR_PRINCIPAL[:-1]),
     "pay_residual must appear 1 time(s), found 0"),
    (with_steps(THREE, "amortising",
                [MEZZ_AFTER_SENIOR_PRINCIPAL[-1], *MEZZ_AFTER_SENIOR_PRINCIPAL[:-1]]),
     "pay_residual must be the last step"),
    (with_steps(THREE, "accelerated",
                [s for s in MEZZ_AFTER_SENIOR_PRINCIPAL if s.get("notes") != ["C"]]),
     "note 'C' must have its interest paid exactly once, found 0"),
    (with_steps(THREE, "accelerated", [
        {**s, "notes": ["A", "B"]} if s["verb"] == "pay_principal" else s
        for s in MEZZ_AFTER_SENIOR_PRINCIPAL]),
     "note 'C' has no pay_principal step"),
    (with_steps(THREE, "accelerated", [
        {**s, "notes": ["A", "X"]} if s.get("notes") == ["A"] else s
        for s in MEZZ_AFTER_SENIOR_PRINCIPAL]),
     "unknown note(s) ['X']"),
    (with_steps(THREE, "accelerated", [{"verb": "clear_pdl", "notes": ["A", "B", "C"]},
                                       *MEZZ_AFTER_SENIOR_PRINCIPAL]),
     "clear_pdl for note 'A' must appear 0 time(s) (pdl is False)"),
    (with_steps(THREE, "accelerated", [{"verb": "reinvest"}, *MEZZ_AFTER_SENIOR_PRINCIPAL]),
     "reinvest must appear 0 time(s)"),
    (with_steps(THREE, "accelerated", [{"verb": "pay_fees", "notes": ["A"]}]),
     "pay_fees takes no notes"),
    (with_steps(THREE, "accelerated", [{"verb": "pay_interest"}]), "pay_interest needs notes"),
    (with_steps(THREE, "accelerated", [{"verb": "pay_fees", "allocation": "pro_rata"}]),
     "allocation applies to pay_principal only"),
    (with_steps({**THREE, "pdl": True}, "accelerated", [
        *MEZZ_AFTER_SENIOR_PRINCIPAL[:-2], {"verb": "clear_pdl", "notes": ["A", "B", "C"]},
        *MEZZ_AFTER_SENIOR_PRINCIPAL[-2:]]),
     "clear_pdl must come before the last pay_principal"),
    ({**THREE, "legal_final_period": 3, "revolving_months": 3},
     "legal_final_period = 3 must be after the revolving period"),
    ({**THREE, "cutoff_month": 12, "eligibility": {"min_months_on_book": 13}},
     "min_months_on_book = 13: no receivable is that old at the cut-off"),
    ({**THREE, "notes": [{"name": "A", "size": 0.5, "coupon": 0},
                         {"name": "B", "balance": 5, "coupon": 0}]}, "not a mix"),
    ({**THREE, "notes": [{"name": "A", "size": 0.5, "balance": 5, "coupon": 0}]},
     "exactly one of size"),
    ({**THREE, "reserve": {"step_downs": [{"from_period": 5, "target_pct": 0.01},
                                          {"from_period": 5, "target_pct": 0.0}]}},
     "increasing from_period"),
    ({**THREE, "reserve": {"floor_pct": 1.5}}, "reserve.floor_pct"),
    ({**THREE, "principal_to_interest": "juniors"}, "'most_senior', 'pdl_not_in_debit'"),
    ({**THREE, "triggers": [{"type": "excess_spread", "threshold": 3.0}]}, "triggers.0"),
    ({**THREE, "triggers": [{"type": "delinquency_ratio", "threshold": 1.2}]}, "triggers.0"),
    ({**THREE, "legal_final_period": 5000}, "legal_final_period"),
]


@pytest.mark.parametrize(("bad", "message"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_priorities_of_payments_and_terms_fail_on_load(bad, message):
    with pytest.raises(ValidationError) as err:
        Deal.model_validate(bad)
    assert message in str(err.value)


def test_unknown_verb_in_a_deal_file_is_one_clear_message(tmp_path):
    data = yaml.safe_load((ROOT / "configs" / "deals" / "baitiao_2015.yaml").read_text())
    data["priority_of_payments"]["amortising"][0] = {"verb": "pay_bonus"}
    deal = tmp_path / "bad.yaml"
    deal.write_text(yaml.safe_dump(data))
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"base": str(ROOT / "configs" / "baseline.yaml"),
                                      "deal": "bad.yaml"}))
    with pytest.raises(ConfigError) as err:
        load_config(config)
    text = str(err.value)
    assert "deal.priority_of_payments.amortising.0.verb" in text
    assert ALLOWED_VERBS in text


# -- a reordered priority of payments --------------------------------------------------------------


def test_mezzanine_interest_after_senior_principal_once_a_trigger_breaches():
    # A 80 at 12 %, B 10 at 12 %, C 10 at 0 %; defaults of 10 % of the pool breach the 5 %
    # trigger in period 1, which runs the accelerated list.
    coll = {"pool_balance_begin": [100, 70], "interest": [2, 1], "principal": [10, 10],
            "recoveries": [0, 0], "defaults": [10, 0]}
    default = waterfall_arrays(THREE, coll)
    reordered = waterfall_arrays(
        with_steps(THREE, "accelerated", MEZZ_AFTER_SENIOR_PRINCIPAL), coll)
    # Cash 12; A's interest 0.8 leaves 11.2; the principal amount is 100 − (100 − 10 − 10) = 20.
    # Default order: B's interest 0.1 first, then A receives 11.1.
    # Reordered: A receives all 11.2; B's interest 0.1 is deferred (nothing left).
    assert reordered.deal["accelerated"][0].tolist() == [True, True]
    assert default.notes["interest_paid"][0, 0].tolist() == approx([0.8, 0.1, 0.0])
    assert default.notes["principal_paid"][0, 0].tolist() == approx([11.1, 0, 0])
    assert reordered.notes["interest_paid"][0, 0].tolist() == approx([0.8, 0.0, 0.0])
    assert reordered.notes["interest_shortfall"][0, 0].tolist() == approx([0, 0.1, 0])
    assert reordered.notes["principal_paid"][0, 0].tolist() == approx([11.2, 0, 0])


def test_states_with_different_lists_run_on_their_own_paths():
    # Path 0 breaches (accelerated, reordered list), path 1 does not (amortising, default):
    # each path gives what it gives when run alone.
    deal = with_steps(THREE, "accelerated", MEZZ_AFTER_SENIOR_PRINCIPAL)
    both = {"pool_balance_begin": [[100, 70], [100, 88]], "interest": [[2, 1], [2, 1]],
            "principal": [[10, 10], [10, 10]], "recoveries": [[0, 0], [0, 0]],
            "defaults": [[10, 0], [2, 0]]}
    together = waterfall_arrays(deal, both)
    for p in range(2):
        alone = waterfall_arrays(deal, {k: v[p] for k, v in both.items()})
        for field, value in alone.notes.items():
            np.testing.assert_allclose(together.notes[field][p], value[0], atol=1e-12)
        for field, value in alone.deal.items():
            np.testing.assert_allclose(together.deal[field][p], value[0], atol=1e-12)
    assert together.deal["accelerated"][:, 0].tolist() == [True, False]


TINY = {"name": "tiny-reordered", "seed": 5,
        "book": {"initial_borrowers": 300, "new_borrowers_per_month": 10, "horizon_months": 12}}


def test_a_reordered_deal_file_runs_from_the_command_line(tmp_path):
    data = yaml.safe_load((ROOT / "configs" / "deals" / "baitiao_2015.yaml").read_text())
    names = [n["name"] for n in data["notes"]]
    accelerated = [{"verb": "pay_fees"}, {"verb": "pay_interest", "notes": names[:1]},
                   {"verb": "pay_principal", "notes": names, "allocation": "sequential"},
                   *({"verb": "pay_interest", "notes": [n]} for n in names[1:]),
                   {"verb": "fund_reserve"}, {"verb": "pay_residual"}]
    data["priority_of_payments"]["accelerated"] = accelerated
    data.update(cutoff_month=4, revolving_months=2)
    (tmp_path / "reordered.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", "tiny.yaml", "--deal", "reordered.yaml",
         "--paths", "1", "--seed", "3", "--out", "runs", "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    folder = Path(tmp_path / proc.stdout.strip().splitlines()[-1])
    log = pd.read_parquet(folder / "waterfall.parquet")
    columns = list(log.columns)
    assert {"reserve_requirement", "excess_spread", "excess_spread_gross",
            f"balance_end:{names[0]}", "trigger_excess_spread_3m_value"} <= set(columns)


# -- a deal derived from another -------------------------------------------------------------------


NEW_NOTES = ("notes:\n  - {name: senior, size: 0.8, coupon: 0.05}\n"
             "  - {name: junior, size: 0.2, coupon: 0.0}\n")


def test_a_null_priority_of_payments_is_the_default_order_in_every_state():
    deal = Deal.model_validate({**with_steps(THREE, "accelerated", MEZZ_AFTER_SENIOR_PRINCIPAL),
                                "priority_of_payments": None})
    for state in STATES:
        assert deal.steps(state) == list(build_steps(deal, state))


def test_a_derived_deal_with_new_notes_is_told_where_its_order_comes_from(tmp_path):
    """A deal file over a shipped deal (which writes out its order for its own notes) that
    gives other notes: refused with the fix; ``priority_of_payments: null`` takes the default
    order of the new notes; ``{}`` keeps the base's order and is refused the same way."""
    from sim.config import read_deal_yaml

    derived = tmp_path / "derived.yaml"
    for tail in ("", "priority_of_payments: {}\n"):
        derived.write_text(f"base: baitiao_2015\n{NEW_NOTES}{tail}")
        with pytest.raises(ConfigError) as err:
            read_deal_yaml(derived)
        assert str(err.value) == (
            f"{derived}: priority_of_payments comes from the base deal baitiao_2015.yaml, "
            "written for its notes: it pays mezzanine, subordinated, which this deal does not "
            "have (its notes: senior, junior); write priority_of_payments for these notes, or "
            "give 'priority_of_payments: null' for the default order (fees, each note's "
            "interest from the most senior down, principal, reserve, residual)")
    derived.write_text(f"base: baitiao_2015\n{NEW_NOTES}priority_of_payments: null\n")
    deal = Deal.model_validate(read_deal_yaml(derived))
    assert [n.name for n in deal.notes] == ["senior", "junior"]
    for state in STATES:
        assert deal.steps(state) == list(build_steps(deal, state))
    # a deal read as a base may be completed by the file over it
    over = tmp_path / "over.yaml"
    derived.write_text(f"base: baitiao_2015\n{NEW_NOTES}")
    over.write_text("base: derived.yaml\npriority_of_payments: null\n")
    assert Deal.model_validate(read_deal_yaml(over)).steps("revolving") == \
        list(build_steps(deal, "revolving"))


def test_a_configs_deal_with_new_notes_is_told_its_order_comes_from_the_base(tmp_path):
    config = tmp_path / "run.yaml"
    indented = NEW_NOTES.replace("\n  ", "\n    ").replace("notes:", "  notes:")
    config.write_text(f"base: baseline\ndeal:\n{indented}")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert str(err.value).startswith(
        f"{config}: deal.priority_of_payments comes from the deal of the base config "
        "baseline.yaml, written for its notes: it pays mezzanine, subordinated")
    assert "give 'priority_of_payments: null' in deal: for the default order" in str(err.value)
    config.write_text(f"base: baseline\ndeal:\n{indented}  priority_of_payments: null\n")
    assert [n.name for n in load_config(config).deal.notes] == ["senior", "junior"]


def test_a_derived_deal_with_another_fault_is_told_that_one_first(tmp_path):
    """The order's advice only when the order is the deal's one fault: notes whose sizes
    add up to more than the pool are told so (and the order's advice comes once they fit)."""
    from sim.config import read_deal_yaml

    derived = tmp_path / "derived.yaml"
    derived.write_text(f"base: baitiao_2015\n{NEW_NOTES.replace('0.8', '0.9')}")
    with pytest.raises(ValidationError, match="note sizes add up to 1.1000"):
        Deal.model_validate(read_deal_yaml(derived))
