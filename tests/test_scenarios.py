"""Macro scenarios: deterministic unemployment paths and each path's AR(1) deviation."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import ConfigError, MacroConfig, ShockConfig, load_config
from sim.scenarios import SCENARIOS, apply_scenario, deterministic_path, simulate_unemployment


def macro(**kwargs) -> MacroConfig:
    return load_config({"macro": kwargs}).macro


def hump(start: int, ramp: int, hold: int, recovery: int, months: int) -> np.ndarray:
    """The shape of a shock, 0 to 1, written out month by month."""
    out = []
    for m in range(months):
        t = m - start
        if t < 0:
            out.append(0.0)
        elif t < ramp:
            out.append(t / ramp)
        elif t < ramp + hold:
            out.append(1.0)
        elif t < ramp + hold + recovery:
            out.append(1.0 - (t - ramp - hold) / recovery)
        else:
            out.append(0.0)
    return np.array(out)


def test_baseline_is_flat_at_the_long_run_rate():
    path = deterministic_path(macro(scenario="baseline", unemployment_base=0.06), 60)
    assert np.array_equal(path, np.full(60, 0.06))


@pytest.mark.parametrize("name", ["recession", "severe_recession"])
def test_named_recessions_ramp_hold_and_recover(name):
    s = SCENARIOS[name]
    months = s.start_month + s.ramp_months + s.hold_months + s.recovery_months + 12
    path = deterministic_path(macro(scenario=name), months)
    expected = 0.05 + s.peak_increase * hump(s.start_month, s.ramp_months, s.hold_months,
                                             s.recovery_months, months)
    assert np.allclose(path, expected, rtol=0, atol=1e-12)
    assert path[: s.start_month + 1].tolist() == [0.05] * (s.start_month + 1)
    peak = s.start_month + s.ramp_months
    assert np.allclose(path[peak: peak + s.hold_months + 1], 0.05 + s.peak_increase)
    assert np.all(np.diff(path[s.start_month: peak + 1]) > 0)
    assert np.all(np.diff(path[peak + s.hold_months: peak + s.hold_months + s.recovery_months
                               + 1]) < 0)
    assert path[-12:].tolist() == pytest.approx([0.05] * 12)


def test_severe_recession_is_deeper_and_longer_than_recession():
    r, s = SCENARIOS["recession"], SCENARIOS["severe_recession"]
    assert s.peak_increase > r.peak_increase
    assert s.ramp_months + s.hold_months + s.recovery_months > \
        r.ramp_months + r.hold_months + r.recovery_months


def test_a_custom_shock_and_the_floor():
    shock = {"start_month": 1, "peak_increase": -0.2, "ramp_months": 2, "hold_months": 1,
             "recovery_months": 2}
    path = deterministic_path(macro(unemployment_base=0.05, floor=0.02, shock=shock), 8)
    # 0.05, 0.05, 0.05 - 0.1, 0.05 - 0.2 (held), ... all cut at the floor
    assert path.tolist() == pytest.approx([0.05, 0.05, 0.02, 0.02, 0.02, 0.02, 0.05, 0.05])


def test_without_noise_the_path_is_the_deterministic_path():
    m = macro(scenario="recession", shock_sd=0.0)
    path = simulate_unemployment(m, 48, np.random.default_rng(0))
    assert np.array_equal(path, deterministic_path(m, 48))


def test_noise_is_an_ar1_around_the_deterministic_path():
    """x[t] = phi x[t-1] + sd eps[t] with the eps drawn from the macro stream."""
    m = macro(scenario="recession", shock_sd=0.003, ar_persistence=0.8)
    path = simulate_unemployment(m, 36, np.random.default_rng(5))
    eps = np.random.default_rng(5).standard_normal(36) * 0.003
    x, dev = 0.0, []
    for e in eps:
        x = 0.8 * x + e
        dev.append(x)
    expected = np.clip(deterministic_path(m, 36) + np.array(dev), m.floor, 0.5)
    assert np.allclose(path, expected, rtol=0, atol=1e-12)


def test_ar1_deviation_has_its_stationary_spread():
    """Across many paths, month 60's deviation has variance sd^2 (1 - phi^120)/(1 - phi^2)."""
    m = macro(shock_sd=0.002, ar_persistence=0.9, unemployment_base=0.1)
    rng = np.random.default_rng(7)
    dev = np.array([simulate_unemployment(m, 60, rng)[-1] - 0.1 for _ in range(4000)])
    var = 0.002**2 * (1 - 0.9**120) / (1 - 0.81)
    assert abs(dev.mean()) < 4 * np.sqrt(var / 4000)
    assert abs(dev.var() / var - 1) < 4 * np.sqrt(2 / 4000)


def test_apply_scenario_fills_the_shock_and_rejects_unknown_names():
    config = load_config({})
    bare = config.model_copy(update={"macro": config.macro.model_copy(
        update={"scenario": "severe_recession", "shock": None})})
    filled = apply_scenario(bare)
    assert filled.macro.shock == SCENARIOS["severe_recession"]
    unknown = config.model_copy(update={"macro": config.macro.model_copy(
        update={"scenario": "boom"})})
    with pytest.raises(ConfigError, match="unknown scenario"):
        apply_scenario(unknown, "x.yaml")


def test_scenarios_are_shock_configs():
    assert {"baseline", "recession", "severe_recession"} <= set(SCENARIOS)
    assert all(isinstance(s, ShockConfig) for s in SCENARIOS.values())
