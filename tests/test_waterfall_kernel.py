"""The compiled waterfall gives, bit for bit, the numbers of the array form it replaced.

`sim.kernels.waterfall.run_period` runs a period one path at a time. Before it replaced the
numpy statements over all paths, both were run on the cases below and every output array of
`WaterfallResult` (notes, deal, flags, step log, triggers and their values) was equal bit for
bit (zeros with their signs), on these cases and on 680 random deals drawn like those of the
oracle test. The digests of those outputs are kept in ``tests/waterfall_digests.json``: the
`creditsim bench` deal, every shipped deal in ``configs/deals`` with random pool cash flows
(with and without replenishment capacity), the waterfall stepped one period at a time, and a
deal with floating notes, a swap, a PDL and a call; with them, since, those of what the
reserve paid for (``WaterfallResult.reserve``), whose recording left every other digest as it
was. A change of any output, by one ulp or a
zero's sign, fails here; a deliberate change of the waterfall's arithmetic rewrites them with
``python -m tests.test_waterfall_kernel --write`` (and says why in its commit). Agreement
with an independent implementation, to rounding, is `tests/test_waterfall_oracle.py`'s.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.abs import Deal, Waterfall, WaterfallResult, waterfall_arrays
from sim.bench import DEAL as BENCH_DEAL
from sim.bench import make_collections
from sim.config import read_deal_yaml

pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")

ROOT = Path(__file__).resolve().parents[1]
DEALS = sorted((ROOT / "configs" / "deals").glob("*.yaml"))
DIGESTS = Path(__file__).with_name("waterfall_digests.json")


def digests(result: WaterfallResult) -> dict[str, str]:
    """SHA-256 of every output of ``result`` (shape, dtype and bit patterns, so that 0.0 and
    -0.0 differ), and its names, thresholds and legal final period, by output name."""
    out = {name: repr(getattr(result, name)) for name in
           ("note_names", "trigger_names", "trigger_thresholds", "legal_final_period")}
    arrays = {"triggers": result.triggers, "trigger_values": result.trigger_values}
    for group in ("notes", "deal", "steps", "reserve"):
        arrays.update({f"{group}[{k}]": v for k, v in getattr(result, group).items()})
    for name, a in arrays.items():
        h = hashlib.sha256(f"{a.shape}{a.dtype}".encode())
        h.update(np.ascontiguousarray(bits(a)).tobytes())
        out[name] = h.hexdigest()
    return out


def bits(a: np.ndarray) -> np.ndarray:
    """The array's bit patterns (so that 0.0 and -0.0 differ), booleans as they are."""
    return a.view(np.uint64) if a.dtype == np.float64 else a


def quietly(deal, arrays) -> WaterfallResult:  # noqa: ANN001
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return waterfall_arrays(deal, arrays)


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


def bench_case() -> WaterfallResult:
    result = quietly(BENCH_DEAL, make_collections(400, 60, seed=3))
    assert result.deal["accelerated"].any() and not result.deal["accelerated"].all()
    return result


def shipped_case(path: Path, capacity: bool) -> WaterfallResult:
    deal = Deal.model_validate(read_deal_yaml(path))
    rng = np.random.default_rng(sum(map(ord, path.stem)) + capacity)
    arrays = random_collections(rng, 300, deal.legal_final_period or 72, 50e6)
    if not capacity:
        del arrays["replenishment_capacity"]
    result = quietly(deal, arrays)
    # the flows reach the parts of the deal that differ between states
    assert result.deal["revolving"].any() or deal.revolving_months == 0
    assert result.deal["trigger_breached"].any()
    return result


def stepped_case() -> WaterfallResult:
    deal = Deal.model_validate(read_deal_yaml(DEALS[0]))
    arrays = random_collections(np.random.default_rng(5), 50, 40, 50e6)
    run = Waterfall(deal, 40, 50)
    for t in range(40):
        run.run_period({k: v[:, t] for k, v in arrays.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run.result()
    assert digests(result) == digests(quietly(deal, arrays))  # stepping changes nothing
    return result


def floating_case(notional: str | list[float]) -> WaterfallResult:
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
    result = quietly(deal, arrays)
    assert result.deal["call_exercised"].any() and result.notes["pdl_debit"].any()
    return result


CASES: dict[str, Callable[[], WaterfallResult]] = {
    "bench": bench_case,
    **{f"{p.stem}, capacity {c}": (lambda p=p, c=c: shipped_case(p, c))
       for p in DEALS for c in (True, False)},
    "stepped": stepped_case,
    "floating notes, floating-note notional": lambda: floating_case("floating_notes"),
    "floating notes, scheduled notional": lambda: floating_case(
        [9e6, 8e6, 6e6, 3e6, 1e6, 0.0]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_outputs_are_bit_for_bit_the_recorded_ones(name: str) -> None:
    want = json.loads(DIGESTS.read_text())[name]
    got = digests(CASES[name]())
    assert [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)] == []


def test_the_check_sees_a_one_ulp_change_and_a_signed_zero() -> None:
    result = quietly(BENCH_DEAL, make_collections(20, 12, seed=4))
    before = digests(result)
    result.notes["principal_paid"][3, 5, 1] = np.nextafter(
        result.notes["principal_paid"][3, 5, 1], np.inf)
    # the step log's principal of note B is the same payment
    assert [k for k, v in digests(result).items() if before[k] != v] == [
        "notes[principal_paid]", "steps[pay_principal:B]"]
    result = quietly(BENCH_DEAL, make_collections(20, 12, seed=4))
    assert result.notes["writedown"][0, 0, 0] == 0.0
    result.notes["writedown"][0, 0, 0] = -0.0
    assert [k for k, v in digests(result).items() if before[k] != v] == ["notes[writedown]"]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    DIGESTS.write_text(json.dumps({name: digests(case()) for name, case in CASES.items()},
                                  indent=1, sort_keys=True) + "\n")
    print(f"wrote {DIGESTS}")
