"""The compiled waterfall period gives exactly the numbers of the array form it replaced.

`sim.kernels.waterfall.run_period` runs a period one path at a time; `tests/waterfall_numpy`
keeps the numpy statements over all paths that the waterfall ran before. Every output array
of `WaterfallResult` (notes, deal, flags, step log, triggers and their values) must be equal
bit for bit (zeros with their signs), not approximately: on the `creditsim bench` deal, on
every shipped deal in ``configs/deals`` with random pool cash flows, and on random deals drawn
like those of the oracle test (every verb, PDL, swaps, floating notes, calls, several lists).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from sim.abs import Deal, Waterfall, waterfall_arrays
from sim.bench import DEAL as BENCH_DEAL
from sim.bench import make_collections
from sim.config import read_deal_yaml
from tests.test_waterfall_oracle import cases
from tests.waterfall_numpy.waterfall import waterfall_arrays as numpy_waterfall_arrays

pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")

DEALS = sorted((Path(__file__).resolve().parents[1] / "configs" / "deals").glob("*.yaml"))


def differences(new, old) -> list[str]:
    """Names of the outputs that differ (shape, dtype or any element) between two results."""
    out = [name for name in ("note_names", "trigger_names", "trigger_thresholds",
                             "legal_final_period") if getattr(new, name) != getattr(old, name)]
    pairs = [("triggers", new.triggers, old.triggers),
             ("trigger_values", new.trigger_values, old.trigger_values)]
    for group in ("notes", "deal", "steps"):
        a, b = getattr(new, group), getattr(old, group)
        if list(a) != list(b):
            out.append(f"{group} keys")
        pairs += [(f"{group}[{k}]", a[k], b[k]) for k in a if k in b]
    for name, a, b in pairs:
        if a.shape != b.shape or a.dtype != b.dtype or not np.array_equal(bits(a), bits(b)):
            out.append(name)
    return out


def bits(a: np.ndarray) -> np.ndarray:
    """The array's bit patterns (so that 0.0 and -0.0 differ), booleans as they are."""
    return a.view(np.uint64) if a.dtype == np.float64 else a


def both(deal, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return waterfall_arrays(deal, arrays), numpy_waterfall_arrays(deal, arrays)


def random_collections(rng: np.random.Generator, n_paths: int, n_periods: int,
                       pool: float) -> dict[str, np.ndarray]:
    """Pool cash flows with every optional column: an amortising pool with random defaults,
    delinquencies, base rates and replenishment capacity, some rounding noise below zero."""
    arrays = make_collections(n_paths, n_periods, seed=int(rng.integers(1 << 30)))
    arrays = {k: v * (pool / 102e6) for k, v in arrays.items()}
    arrays["interest"][rng.random(arrays["interest"].shape) < 0.01] = -0.001
    arrays["delinquent_balance"] = arrays["pool_balance_begin"] * rng.uniform(
        0.0, 0.12, arrays["pool_balance_begin"].shape)
    arrays["base_rate"] = rng.uniform(-0.01, 0.06, (n_paths, n_periods))
    arrays["replenishment_capacity"] = arrays["pool_balance_begin"] * rng.uniform(
        0.0, 0.1, (n_paths, n_periods))
    return arrays


def test_identical_on_the_bench_deal():
    new, old = both(BENCH_DEAL, make_collections(400, 60, seed=3))
    assert differences(new, old) == []
    assert new.deal["accelerated"].any() and not new.deal["accelerated"].all()


@pytest.mark.parametrize("path", DEALS, ids=[p.stem for p in DEALS])
@pytest.mark.parametrize("capacity", [True, False])
def test_identical_on_every_shipped_deal(path, capacity):
    deal = Deal.model_validate(read_deal_yaml(path))
    rng = np.random.default_rng(sum(map(ord, path.stem)) + capacity)
    arrays = random_collections(rng, 300, deal.legal_final_period or 72, 50e6)
    if not capacity:
        del arrays["replenishment_capacity"]
    new, old = both(deal, arrays)
    assert differences(new, old) == []
    # the flows reach the parts of the deal that differ between states
    assert new.deal["revolving"].any() or deal.revolving_months == 0
    assert new.deal["trigger_breached"].any()


def test_identical_when_stepped_one_period_at_a_time():
    deal = Deal.model_validate(read_deal_yaml(DEALS[0]))
    arrays = random_collections(np.random.default_rng(5), 50, 40, 50e6)
    run = Waterfall(deal, 40, 50)
    for t in range(40):
        run.run_period({k: v[:, t] for k, v in arrays.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = run.result()
    _, old = both(deal, arrays)
    assert differences(new, old) == []


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_identical_on_random_deals(case):
    deal, paths = case
    arrays = {c: np.array([p[c] for p in paths]) for c in paths[0]}
    if not deal.needs_delinquency:
        arrays.pop("delinquent_balance")
    if deal.needs_base_rate:
        arrays["base_rate"] = np.linspace(-0.01, 0.05, arrays["interest"].size).reshape(
            arrays["interest"].shape)
    new, old = both(deal, arrays)
    assert differences(new, old) == []


def test_the_check_sees_a_one_ulp_change_and_a_signed_zero():
    new, old = both(BENCH_DEAL, make_collections(20, 12, seed=4))
    new.notes["principal_paid"][3, 5, 1] = np.nextafter(new.notes["principal_paid"][3, 5, 1],
                                                        np.inf)
    assert differences(new, old) == ["notes[principal_paid]", "steps[pay_principal:B]"]
    new, old = both(BENCH_DEAL, make_collections(20, 12, seed=4))
    assert new.notes["writedown"][0, 0, 0] == 0.0
    new.notes["writedown"][0, 0, 0] = -0.0
    assert differences(new, old) == ["notes[writedown]"]


@pytest.mark.parametrize("notional", ["floating_notes", [9e6, 8e6, 6e6, 3e6, 1e6, 0.0]])
def test_identical_with_floating_notes_a_swap_a_pdl_and_a_call(notional):
    deal = {
        "notes": [{"name": "A", "size": 0.8, "rate_type": "floating", "margin": 0.004},
                  {"name": "B", "size": 0.1, "coupon": 0.06, "interest_on_shortfall": True},
                  {"name": "C", "size": 0.05, "rate_type": "floating", "margin": -0.002}],
        "senior_fee_rate": 0.01, "principal": "pro_rata", "pdl": True,
        "principal_to_interest": "pdl_not_in_debit",
        "reserve": {"initial_pct": 0.01, "target_pct": 0.02, "basis": "current_pool",
                    "floor_pct": 0.005, "step_downs": [{"from_period": 6, "target_pct": 0.01}]},
        "swap": {"fixed_rate": 0.03, "notional": notional},
        "clean_up_call": {"call_pct": 0.2}, "revolving_months": 3,
        "triggers": [{"type": "cumulative_default_ratio", "threshold": 0.01, "sticky": False},
                     {"type": "excess_spread", "threshold": 0.02, "months": 2}],
    }
    arrays = random_collections(np.random.default_rng(11), 200, 24, 10e6)
    arrays["defaults"] *= 8.0
    new, old = both(deal, arrays)
    assert differences(new, old) == []
    assert new.deal["call_exercised"].any() and new.notes["pdl_debit"].any()
