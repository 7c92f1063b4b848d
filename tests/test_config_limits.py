"""Config input that would cost too much or crash: refused early, cheaply, with the key named.

Each case is an input that once hung, exhausted memory, ended in a traceback or was silently
accepted; see sim/yamlsafe.py, sim/configfile.py and sim/strict.py for the rules.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel

from sim.abs.deal import CleanUpCall, Swap
from sim.agents.spv import check_cutoff_pool
from sim.config import (
    ConfigError,
    ConfigWarning,
    RunConfig,
    load_config,
    read_yaml,
    validate_config,
    with_overrides,
)
from sim.configfile import MAX_BASE_CHAIN, MAX_FILE_BYTES
from sim.configwords import short_value
from sim.strict import unbounded_numbers

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
TINY = "book: {initial_borrowers: 40, new_borrowers_per_month: 4, horizon_months: 6}\n"


def refused(tmp_path: Path, text: str, name: str = "bad.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def error_of(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config(data, "test.yaml")
    return str(info.value)


# -- 1. expanding input --------------------------------------------------------------------------
def alias_bomb(levels: int = 10, fanout: int = 10) -> str:
    """Anchors ``l0`` .. ``l9``, each a list of ``fanout`` references to the one before:
    a few hundred bytes that expand to ``fanout ** levels`` values."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * fanout)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fanout)}]")
    return "\n".join(lines) + "\n"


MEASURE = """\
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))   # a regression stops here...
resource.setrlimit(resource.RLIMIT_CPU, (300, 300))         # ...or here, not the machine
sys.argv = ["creditsim", *sys.argv[1:]]
try:
    runpy.run_module("sim.cli", run_name="__main__")
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # ru_maxrss keeps the parent's size at fork across exec (a large pytest process would
    # count); VmHWM is this program's own peak
    try:
        peak = next(int(line.split()[1]) for line in open("/proc/self/status")
                    if line.startswith("VmHWM"))
    except (OSError, StopIteration):
        peak = usage.ru_maxrss
    print(f"PEAK_KB={peak} CPU_S={usage.ru_utime + usage.ru_stime:.2f}", file=sys.stderr)
"""


def run_measured(tmp_path: Path, *args: str) -> tuple[int, str, int, float]:
    """``creditsim args`` in a subprocess: exit status, stderr, peak memory (kB), CPU seconds."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True,
                          text=True, cwd=tmp_path, timeout=900)
    tail = proc.stderr.rsplit("PEAK_KB=", 1)
    peak, cpu = tail[1].split()
    return proc.returncode, tail[0], int(peak), float(cpu.removeprefix("CPU_S="))


@pytest.mark.parametrize("where", ["config", "deal"])
def test_nested_aliases_are_refused_within_a_small_budget(tmp_path, where):
    """Ten levels of ten references on ``name``: once a hang growing past 1 GB (the error
    formatter expanded the aliases); now refused while parsing. A bare ``creditsim`` that
    fails on its config peaks near 150 MB and takes a few CPU seconds (imports)."""
    bomb = alias_bomb() + "name: *l9\n"
    if where == "deal":
        (tmp_path / "deal.yaml").write_text(bomb)
        (tmp_path / "bad.yaml").write_text("deal: deal.yaml\n")
    else:
        (tmp_path / "bad.yaml").write_text(bomb)
    assert (tmp_path / "bad.yaml").stat().st_size < 1000
    rc, err, peak_kb, cpu_s = run_measured(tmp_path, "run", "bad.yaml", "--quiet")
    assert rc == 2, err
    assert "values once its aliases are expanded" in err
    assert ("deal.yaml" if where == "deal" else "bad.yaml") in err
    assert "Traceback" not in err
    assert peak_kb < 600_000  # a regression exceeds 1 GB
    assert cpu_s < 120  # a regression never ends


def test_a_recursive_alias_is_refused(tmp_path):
    assert "a value that contains it" in refused(tmp_path, "name: &a [*a]\n")


def test_few_aliases_still_work(tmp_path):
    text = (f"base: {with_channels(tmp_path)}\ncollections:\n  channels:\n"
            "    sms: &cheap {cost: 0.02, response: {reliable: 0.1, disorganised: 0.2, "
            "constrained: 0.1}}\n    app_push: *cheap\n")
    config = load_config(_write(tmp_path, text))
    assert config.collections.channels["app_push"].cost == 0.02


def with_channels(tmp_path: Path) -> Path:
    """A base config that names every collection channel (the defaults)."""
    channels = RunConfig().collections.model_dump()["channels"]
    return _write(tmp_path, f"base: {CONFIGS / 'baseline.yaml'}\n"
                            + yaml.safe_dump({"collections": {"channels": channels}}), "base.yaml")


def _write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_error_messages_never_echo_a_huge_value():
    msg = error_of({"name": ["x" * 1000] * 10_000, "description": "d" * 1_000_000,
                    "book": {"initial_borrowers": list(range(100_000))}})
    assert len(msg) < 2000
    assert "name = [...] (10,000 items)" in msg
    assert "description = 'ddd" in msg and "(1,000,000 characters)" in msg
    assert "book.initial_borrowers = [...] (100,000 items)" in msg


@pytest.mark.parametrize(("value", "shown"), [
    ("abc", "'abc'"), (3, "3"), (1.5, "1.5"), (True, "True"), (None, "None"),
    ([1, 2], "[1, 2]"), ({"a": 1}, "{...}"), (10**40, "an integer of about 41 digits"),
    ("x" * 100, "'" + "x" * 80 + "...' (100 characters)"),
    # floats as a reader writes them: no '10000000000.0', nothing rounded away
    (1e10, "10,000,000,000"), (2500.0, "2,500"), (-3.0, "-3"), (1234567.25, "1,234,567.25"),
    (0.05, "0.05"), (1e-9, "1e-09"), (1e300, "1e+300"), (float("inf"), "inf"),
    (1.0000001, "1.0000001"), ([1e10, 0.5], "[10000000000, 0.5]"),
])
def test_short_value_shows_small_values_and_names_big_ones(value, shown):
    assert short_value(value) == shown


# -- 2. size and depth ---------------------------------------------------------------------------
def test_a_file_larger_than_the_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * (50 << 20) + "\nname: big\n")  # a 50 MB comment
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"may have at most {MAX_FILE_BYTES:,}" in str(info.value)
    assert "big.yaml" in str(info.value)


def test_a_long_list_within_the_size_limit_is_refused_by_the_value_budget(tmp_path):
    text = "recovery:\n  lag_curve: [" + ", ".join(["0.1"] * 40_000) + "]\n"
    assert len(text) < MAX_FILE_BYTES
    assert "more than 20,000 values" in refused(tmp_path, text)


def test_a_long_lag_curve_is_refused_by_its_length():
    msg = error_of({"recovery": {"lag_curve": [0.1] * 500}})
    assert "recovery.lag_curve" in msg and "at most 121 items" in msg


@pytest.mark.parametrize(("key", "limit"), [("description", 2000), ("name", 100)])
def test_long_strings_are_refused(key, limit):
    msg = error_of({key: "x" * (limit + 1)})
    assert f"{key} = 'xxx" in msg and f"at most {limit} characters" in msg


def test_deep_nesting_is_refused_without_a_recursion_error(tmp_path):
    msg = refused(tmp_path, "book: " + "[" * 500 + "]" * 500 + "\n")
    assert "nested more than 32 levels" in msg and "bad.yaml" in msg
    msg = refused(tmp_path, "".join(f"{'  ' * i}k{i}:\n" for i in range(500)) + "  " * 500 + "x")
    assert "nested more than 32 levels" in msg


def test_a_long_base_chain_is_refused(tmp_path):
    (tmp_path / "c0.yaml").write_text("name: c0\nseed: 9\n")
    for i in range(1, 1000):
        (tmp_path / f"c{i}.yaml").write_text(f"base: c{i - 1}.yaml\n")
    msg = refused(tmp_path, "base: c999.yaml\n")
    assert f"more than {MAX_BASE_CHAIN} files are chained" in msg
    chain_ok = tmp_path / f"c{MAX_BASE_CHAIN - 2}.yaml"
    loaded = load_config(chain_ok)  # the chain's keys reach it; its name is its own file's
    assert (loaded.seed, loaded.name) == (9, f"c{MAX_BASE_CHAIN - 2}")


# -- 3. numbers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "path"), [
    ({"collections": {"channels": {"sms": {"cost": float("inf")}}}},
     "collections.channels.sms.cost = inf"),
    ({"credit_line": {"max_limit": float("inf")}}, "credit_line.max_limit = inf"),
    ({"recovery": {"concentration": float("inf")}}, "recovery.concentration = inf"),
    ({"spending": {"plan_mix": {0: float("nan"), 3: 1.0}}}, "spending.plan_mix.0 = nan"),
    ({"recovery": {"lag_curve": [0.5, float("nan")]}}, "recovery.lag_curve.1 = nan"),
    ({"income": {"median_monthly": float("inf")}}, "income.median_monthly = inf"),
])
def test_infinite_and_nan_numbers_are_refused_naming_the_key(data, path):
    msg = error_of(data)
    assert path in msg and "finite number" in msg


def test_yaml_infinity_and_nan_are_refused(tmp_path):
    msg = refused(tmp_path, "credit_line: {max_limit: .inf}\nrecovery: {concentration: .nan}\n")
    assert "credit_line.max_limit = inf" in msg
    assert "recovery.concentration = nan" in msg


@pytest.mark.parametrize(("data", "path", "allowed"), [
    ({"credit_line": {"max_limit": 1e300}}, "credit_line.max_limit", "less than or equal to"),
    ({"income": {"median_monthly": 1e12}}, "income.median_monthly", "less than or equal to"),
    ({"seed": 10**25}, "seed", "less than or equal to 9,223,372,036,854,775,807"),
    ({"spending": {"plan_mix": {0: 1e9}}}, "spending.plan_mix.0 = 1,000,000,000",
     "less than or equal to 1,000"),
])
def test_huge_numbers_are_refused(data, path, allowed):
    msg = error_of(data)
    assert path in msg and allowed in msg


def test_every_number_in_the_config_has_both_bounds():
    assert unbounded_numbers(RunConfig) == []
    for model in (Swap, CleanUpCall):
        assert unbounded_numbers(model) == [], model.__name__


def _numeric_paths(model: type[BaseModel], prefix: tuple = ()) -> list[tuple]:
    """Key paths of every plain number key under ``model`` (sections only, no lists)."""
    out = []
    for name, field in model.model_fields.items():
        ann: Any = field.annotation
        args = [a for a in (get_args(ann) or (ann,)) if a is not type(None)]
        sub = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None and get_origin(ann) not in (list, dict):
            out += _numeric_paths(sub, (*prefix, name))
        elif args and all(a in (int, float) for a in args):
            out.append((*prefix, name))
    return out


NUMERIC_PATHS = _numeric_paths(RunConfig)


def _nest(path: tuple, value: object) -> dict:
    data: Any = value
    for part in reversed(path):
        data = {part: data}
    if path[0] == "deal":  # a deal needs its notes
        data["deal"].setdefault("notes", [{"name": "a", "size": 0.9, "coupon": 0.05}])
    return data


def test_the_walk_finds_the_numbers():
    assert len(NUMERIC_PATHS) > 100
    assert ("book", "initial_borrowers") in NUMERIC_PATHS
    assert ("deal", "eligibility", "min_score") in NUMERIC_PATHS


@pytest.mark.parametrize("path", NUMERIC_PATHS, ids=[".".join(p) for p in NUMERIC_PATHS])
def test_a_boolean_is_not_a_number(path):
    msg = error_of(_nest(path, True))
    assert f"{'.'.join(path)} = True: a boolean is not a number here" in msg


def test_booleans_in_lists_and_mappings_are_not_numbers():
    msg = error_of({"spending": {"plan_mix": {0: True, 3: 0.5}},
                    "recovery": {"lag_curve": [0.5, False]}})
    assert "spending.plan_mix.0 = True: a boolean is not a number" in msg
    assert "recovery.lag_curve.1 = False: a boolean is not a number" in msg


def test_boolean_keys_are_still_booleans():
    assert load_config({"income": {"shocks": False}}).income.shocks is False


# -- 4. deal terms -------------------------------------------------------------------------------
DEAL = {"notes": [{"name": "a", "size": 0.8, "coupon": 0.05}, {"name": "b", "size": 0.2,
                                                                "coupon": 0.0}]}


@pytest.mark.parametrize(("terms", "path", "allowed"), [
    ({"triggers": [{"type": "cumulative_default_ratio", "threshold": 1.5}]},
     "deal.triggers.0.cumulative_default_ratio.threshold = 1.5", "less than or equal to 1"),
    ({"triggers": [{"type": "delinquency_ratio", "threshold": float("nan")}]},
     "deal.triggers.0.delinquency_ratio.threshold = nan", "finite number"),
    ({"triggers": [{"type": "excess_spread", "threshold": float("inf")}]},
     "deal.triggers.0.excess_spread.threshold = inf", "finite number"),
    ({"triggers": [{"type": "excess_spread", "months": 10**9}]},
     "deal.triggers.0.excess_spread.months = 1000000000", "less than or equal to 24"),
    ({"swap": {"fixed_rate": 1e9}}, "deal.swap.fixed_rate = 1,000,000,000",
     "less than or equal to 0.5"),
    ({"eligibility": {"max_obligor_share": 1e-9}}, "deal.eligibility.max_obligor_share = 1e-09",
     "greater than or equal to 0.0001"),
])
def test_deal_terms_that_mean_nothing_are_refused(terms, path, allowed):
    msg = error_of({"book": {"horizon_months": 36}, "deal": {**DEAL, **terms}})
    assert path in msg and allowed in msg


def test_a_pool_too_small_to_carry_the_notes_is_refused():
    # 1 % of a target of 1,000,000 cents (10,000.00) is 100.00: 99.99 is refused, 100.00 is not
    check_cutoff_pool(10_000.0, 1_000_000.0, "d", 0.001)
    with pytest.raises(ValueError) as info:
        check_cutoff_pool(9_999.0, 1_000_000.0, "d", 0.0001)
    msg = str(info.value)
    assert "the cut-off pool is 99.99 (1.00% of the 10,000.00" in msg
    assert "deal.eligibility.max_obligor_share = 0.0001" in msg
    assert "at least 10,000 eligible borrowers" in msg
    with pytest.raises(ValueError):  # under one currency unit, whatever the target
        check_cutoff_pool(99.0, 5_000.0, "d", 0.5)


# -- 5. duplicate keys ---------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "key", "lines"), [
    ("book: {initial_borrowers: 10}\nname: x\nbook: {horizon_months: 5}\n", "'book'", (1, 3)),
    ("seed: 1\nseed: 2\n", "'seed'", (1, 2)),
    ("book:\n  horizon_months: 5\n  horizon_months: 6\n", "'horizon_months' in book", (2, 3)),
])
def test_duplicate_keys_are_refused_naming_the_key_and_both_lines(tmp_path, text, key, lines):
    msg = refused(tmp_path, text)
    assert f"duplicate key {key} at line {lines[0]} and line {lines[1]}" in msg
    assert "bad.yaml" in msg


def test_merge_keys_are_not_duplicates(tmp_path):
    text = (f"base: {with_channels(tmp_path)}\ncollections:\n  channels:\n"
            "    sms: &s {cost: 0.02, response: {reliable: 0.1, disorganised: 0.2, "
            "constrained: 0.1}}\n    email: {<<: *s, cost: 0.03}\n")
    assert load_config(_write(tmp_path, text)).collections.channels["email"].cost == 0.03


def test_a_huge_integer_is_refused_without_a_traceback(tmp_path):
    assert "an integer of 5000 digits" in refused(tmp_path, f"seed: {'9' * 5000}\n")


# -- 6. base merges ------------------------------------------------------------------------------
def test_a_distribution_replaces_the_bases_and_says_what_it_dropped(tmp_path):
    path = _write(tmp_path, f"base: {CONFIGS / 'baseline.yaml'}\nspending:\n"
                            f"  plan_mix: {{12: 1.0}}\n")
    with pytest.warns(ConfigWarning, match=r"spending\.plan_mix replaces the base's value as "
                                           r"a whole.*entries 0, 3, 6 are dropped"):
        config = load_config(path)
    assert config.spending.plan_mix == {12: 1.0}
    assert config.spending.purchase_prob == load_config(CONFIGS / "baseline.yaml").spending \
        .purchase_prob  # the section still merges


def test_sections_and_channels_merge_over_the_base(tmp_path):
    base = load_config(with_channels(tmp_path))
    path = _write(tmp_path, f"base: {with_channels(tmp_path)}\n"
                            f"collections: {{channels: {{sms: {{cost: 0.5}}}}}}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config = load_config(path)
    sms = config.collections.channels["sms"]
    assert sms.cost == 0.5 and sms.response == base.collections.channels["sms"].response
    assert config.collections.channels.keys() == base.collections.channels.keys()
    assert config.collections.ladder == base.collections.ladder


def test_a_deal_file_replaces_the_bases_deal(tmp_path):
    (tmp_path / "base.yaml").write_text(
        f"{TINY}deal: {CONFIGS / 'deals' / 'card_trust.yaml'}\n")
    (tmp_path / "over.yaml").write_text(
        f"base: base.yaml\nbook: {{horizon_months: 30}}\n"
        f"deal: {CONFIGS / 'deals' / 'baitiao_2015.yaml'}\n")
    config = load_config(tmp_path / "over.yaml")
    assert config.deal.name == "baitiao-2015"
    assert config.deal.swap is None  # card_trust's swap does not survive


def test_a_deal_mapping_merges_over_the_bases_deal(tmp_path):
    (tmp_path / "base.yaml").write_text(
        f"{TINY}deal: {CONFIGS / 'deals' / 'card_trust.yaml'}\n")
    (tmp_path / "over.yaml").write_text(
        "base: base.yaml\nbook: {horizon_months: 40}\ndeal: {senior_fee_rate: 0.015}\n")
    config = load_config(tmp_path / "over.yaml")
    assert config.deal.senior_fee_rate == 0.015 and config.deal.swap is not None


def test_with_overrides_replaces_a_distribution():
    config = with_overrides(load_config({}), {"spending": {"plan_mix": {12: 1.0}}})
    assert config.spending.plan_mix == {12: 1.0}


@pytest.mark.parametrize(("text", "needle"), [
    ("deal: ''\n", "deal = '': must be a file name"),
    ("base: ''\n", "base = '': must be a file name"),
    ("base: [a]\n", "base = ['a']: must be a file name"),
])
def test_empty_file_names_are_refused(tmp_path, text, needle):
    assert needle in refused(tmp_path, text)


def test_shipped_configs_read_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in CONFIGS.glob("*.yaml"):
            read_yaml(path)


def test_the_bounds_guard_names_an_unbounded_number():
    from pydantic import Field

    from sim.strict import StrictModel

    class Item(StrictModel):
        low_only: float = Field(0.0, ge=0)
        both: int = Field(1, ge=0, le=5)

    class Section(StrictModel):
        items: list[Item] = []
        weights: dict[int, float] = {}
        maybe: float | None = Field(None, le=1)

    assert unbounded_numbers(Section) == ["items[].low_only", "weights{key}", "weights{}",
                                          "maybe"]
