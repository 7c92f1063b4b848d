"""Config loading: validation messages, base files, overrides, scenario resolution."""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Union, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from sim.config import (
    PLAN_TERMS,
    ConfigError,
    RunConfig,
    deep_merge,
    load_config,
    read_yaml,
    validate_config,
    with_overrides,
)
from sim.configwords import short_value

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def error_of(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config(data, "test.yaml")
    return str(info.value)


# -- valid configs ------------------------------------------------------------------------------
def test_defaults_are_valid_and_resolve_the_baseline_scenario():
    config = load_config({})
    assert isinstance(config, RunConfig)
    assert config.macro.scenario == "baseline"
    assert config.macro.shock is not None and config.macro.shock.peak_increase == 0.0
    assert config.billing.chargeoff_dpd == 180
    assert set(config.spending.plan_mix) <= set(PLAN_TERMS)


@pytest.mark.parametrize("name", ["baseline", "recession", "severe_recession"])
def test_shipped_configs_load(name):
    config = load_config(CONFIGS / f"{name}.yaml")
    assert config.name == name
    assert config.macro.scenario == name


def test_scenario_files_override_only_a_few_keys_of_their_base():
    base = load_config(CONFIGS / "baseline.yaml")
    recession = load_config(CONFIGS / "recession.yaml")
    assert recession.macro.shock.peak_increase > 0
    same = {k for k in RunConfig.model_fields if getattr(base, k) == getattr(recession, k)}
    assert {"book", "income", "spending", "repayment", "credit_line", "billing"} <= same


def test_load_config_accepts_a_model_a_mapping_or_a_path(tmp_path):
    config = load_config({"name": "x"})
    assert load_config(config) is config
    path = tmp_path / "x.yaml"
    path.write_text("name: x\n")
    assert load_config(path) == config
    assert load_config(str(path)) == config


def test_capacity_counts_every_borrower_slot_of_the_horizon():
    config = load_config({"book": {"initial_borrowers": 100, "new_borrowers_per_month": 7,
                                   "horizon_months": 12}})
    assert config.capacity == 100 + 7 * 11


def test_the_collection_team_is_paid_only_when_a_rung_calls_on_it():
    team = {"count": 3, "monthly_cost": 1234.56}
    col = load_config({"collections": {"collectors": team}}).collections
    assert col.employs_collectors()
    assert col.collector_cost_cents() == 3 * 123456
    off = load_config({"collections": {"enabled": False, "collectors": team}}).collections
    assert off.collector_cost_cents() == 0
    sms = [{"channel": "sms", "from_dpd": 1, "to_dpd": 60, "every_days": 3}]
    no_rung = load_config({"collections": {"ladder": sms, "collectors": team}}).collections
    assert no_rung.collector_cost_cents() == 0


def test_models_are_frozen():
    config = load_config({})
    with pytest.raises(ValidationError):
        config.book.horizon_months = 3


# -- base files and overrides ---------------------------------------------------------------------
def test_base_files_chain_and_override_recursively(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\nbook: {initial_borrowers: 10, horizon_months: 5}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text("base: ../a.yaml\nbook: {horizon_months: 7}\n")
    (tmp_path / "sub" / "c.yaml").write_text("base: b.yaml\nname: c\n")
    config = load_config(tmp_path / "sub" / "c.yaml")
    assert (config.name, config.book.initial_borrowers, config.book.horizon_months) == (
        "c", 10, 7)


def test_base_cycle_is_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        read_yaml(tmp_path / "a.yaml")


def test_deep_merge_merges_mappings_and_replaces_everything_else():
    base = {"a": {"x": 1, "y": {"z": 2}}, "b": [1, 2], "c": 3}
    out = deep_merge(base, {"a": {"y": {"w": 4}}, "b": [9], "d": 5})
    assert out == {"a": {"x": 1, "y": {"z": 2, "w": 4}}, "b": [9], "c": 3, "d": 5}
    assert base == {"a": {"x": 1, "y": {"z": 2}}, "b": [1, 2], "c": 3}


def test_with_overrides_validates_the_result():
    config = load_config({})
    changed = with_overrides(config, {"repayment": {"forget_prob": 0.08}})
    assert changed.repayment.forget_prob == 0.08
    assert changed.repayment.autopay_share == config.repayment.autopay_share
    with pytest.raises(ConfigError, match="repayment.forget_prob"):
        with_overrides(config, {"repayment": {"forget_prob": 2.0}})


def test_an_explicit_shock_wins_over_the_named_scenario():
    shock = {"start_month": 2, "peak_increase": 0.01}
    config = load_config({"macro": {"scenario": "recession", "shock": shock}})
    assert config.macro.shock.start_month == 2
    assert config.macro.shock.peak_increase == 0.01


# -- bad configs -------------------------------------------------------------------------------
def test_unknown_key_names_the_path_and_the_allowed_keys():
    msg = error_of({"book": {"initial_borrower": 5}})
    assert msg.startswith("test.yaml: invalid configuration")
    assert "book.initial_borrower: unknown key" in msg
    assert "horizon_months, initial_borrowers, new_borrowers_per_month" in msg


def test_unknown_top_level_key_lists_the_sections():
    msg = error_of({"bokk": {}})
    assert "bokk: unknown key" in msg
    for section in ("billing", "book", "credit_line", "macro", "repayment"):
        assert section in msg


@pytest.mark.parametrize(("data", "allowed"), [
    ({"collections": {"ladder": [{"channel": "sms", "from_dpd": 1, "to": 5}]}}, "to_dpd"),
    ({"collections": {"channels": {"sms": {"costs": 1.0}}}}, "cost"),
])
def test_unknown_key_in_nested_entries_lists_the_allowed_keys(data, allowed):
    msg = error_of(data)
    assert "unknown key" in msg
    assert "allowed keys here" in msg and allowed in msg


@pytest.mark.parametrize(("data", "path", "shown", "allowed"), [
    ({"book": {"initial_borrowers": "many"}}, "book.initial_borrowers", "'many'",
     "valid integer"),
    ({"book": {"initial_borrowers": 1.5}}, "book.initial_borrowers", "1.5", "valid integer"),
    ({"income": {"shocks": "maybe"}}, "income.shocks", "'maybe'", "valid boolean"),
    ({"billing": {"chargeoff_dpd": 10}}, "billing.chargeoff_dpd", "10",
     "greater than or equal to 30"),
    ({"repayment": {"miss_prob": 1.5}}, "repayment.miss_prob", "1.5",
     "less than or equal to 1"),
    ({"repayment": {"model": "logit"}}, "repayment.model", "'logit'",
     "'structural', 'bernoulli'"),
    ({"book": {"horizon_months": 0}}, "book.horizon_months", "0", "greater than or equal to 1"),
])
def test_bad_value_names_the_path_the_value_and_what_is_allowed(data, path, shown, allowed):
    msg = error_of(data)
    assert f"{path} = {shown}:" in msg
    assert allowed in msg


@pytest.mark.parametrize(("data", "says"), [
    ({"book": 5}, "book = 5: must be a mapping of book's keys (initial_borrowers, "
                  "new_borrowers_per_month, horizon_months)"),
    ({"macro": {"shock": [1]}}, "macro.shock = [1]: must be a mapping of shock's keys "
                                "(start_month, peak_increase, ramp_months, hold_months, "
                                "recovery_months)"),
    ({"collections": {"ladder": [5]}}, "collections.ladder.0 = 5: must be a mapping of a "
                                       "ladder item's keys (channel, from_dpd, to_dpd, "
                                       "every_days)"),
    ({"collections": {"channels": {"sms": "x"}}}, "collections.channels.sms = 'x': must be a "
                                                  "mapping of a channels item's keys (cost, "),
    ({"deal": True}, "deal = True: must be a mapping of deal's keys (name, source, notes, "),
    ({"deal": {"notes": [{"name": "A", "size": 1, "coupon": 0}], "triggers": [5]}},
     "deal.triggers.0 = 5: must be a mapping of keys, not a single value or a list"),
])
def test_a_section_given_a_value_says_it_wants_a_mapping_of_its_keys(data, says):
    """Not pydantic's "a valid dictionary or instance of BookConfig": the keys, not a class."""
    msg = " ".join(error_of(data).split())
    assert says in msg
    assert "instance of" not in msg and "Config" not in msg


def _mapping_fields(model: type[BaseModel], path: tuple[str, ...] = ()):
    """Key paths of every field below ``model`` whose value is a mapping (an item of a
    mapping of sections is reached by a key of the field's default)."""
    for name, field in model.model_fields.items():
        whole = field.annotation
        for ann in get_args(whole) if get_origin(whole) in (Union, UnionType) else (whole,):
            if get_origin(ann) is dict:
                yield (*path, name)
                item = get_args(ann)[1]
                if isinstance(item, type) and issubclass(item, BaseModel):
                    key = next(iter(field.get_default(call_default_factory=True)))
                    yield from _mapping_fields(item, (*path, name, key))
            elif isinstance(ann, type) and issubclass(ann, BaseModel):
                yield from _mapping_fields(ann, (*path, name))


MAPPING_FIELDS = sorted(set(_mapping_fields(RunConfig)))


def test_the_mapping_fields_are_found():
    assert {("spending", "plan_mix"), ("collections", "channels"),
            ("collections", "channels", "sms", "response")} <= set(MAPPING_FIELDS)


@pytest.mark.parametrize("path", MAPPING_FIELDS, ids=".".join)
@pytest.mark.parametrize("given", [5, "x", [1, 2]])
def test_a_mapping_field_given_a_value_says_what_its_keys_and_values_are(path, given):
    """Not pydantic's "Input should be a valid dictionary": the value given, that a mapping
    is expected, and what its keys and values are."""
    data: dict = given
    for part in reversed(path):
        data = {part: data}
    msg = " ".join(error_of(data).split())
    assert f"{'.'.join(path)} = {short_value(given)}: must be a mapping, not a single value " \
           "or a list: each key " in msg
    assert "each value " in msg and "valid dictionary" not in msg


@pytest.mark.parametrize(("data", "says"), [
    ({"spending": {"plan_mix": 5}}, "spending.plan_mix = 5: must be a mapping, not a single "
     "value or a list: each key a whole number at least 0 and at most 12, each value a number "
     "at least 0 and at most 1,000; default: {0: 0.55, 3: 0.2, 6: 0.15, 12: 0.1}"),
    ({"collections": {"channels": 5}}, "collections.channels = 5: must be a mapping, not a "
     "single value or a list: each key a name, each value a mapping with keys cost, "
     "commission, response, "),
    ({"collections": {"channels": 5}}, "; the default's keys: sms, app_push, email, "),
    ({"recovery": {"type_factor": "x"}}, "each key a name, each value a number at least 0 and "
     "at most 5; default: {first_payment_default: 0.2, unwilling: 0.8}"),
])
def test_a_mapping_fields_message_names_its_keys_values_and_default(data, says):
    assert says in " ".join(error_of(data).split())


@pytest.mark.parametrize(("data", "needle"), [
    ({"spending": {"plan_mix": {0: 0.5, 5: 0.5}}}, "allowed terms are [0, 3, 6, 12]"),
    ({"spending": {"plan_mix": {0: 0.0, 3: 0.0}}}, "not all zero"),
    ({"billing": {"purchase_day": 10}}, "purchase_day (10) must fall after due_day (20)"),
    ({"billing": {"instalment_fee": {3: 0.5}}},
     "billing.instalment_fee.3 = 0.5: Input should be less than or equal to 0.05"),
    ({"credit_line": {"min_limit": 900, "max_limit": 800}}, "must not exceed max_limit"),
    ({"recovery": {"lag_curve": []}}, "lag_curve must be a non-empty list"),
])
def test_cross_field_rules_explain_themselves(data, needle):
    assert needle in error_of(data)


def test_every_error_is_listed():
    msg = error_of({"book": {"initial_borrowers": 0, "horizon_months": 0}, "seed": -1})
    assert "book.initial_borrowers = 0" in msg
    assert "book.horizon_months = 0" in msg
    assert "seed = -1" in msg


def test_a_ladder_with_two_human_steps_is_refused_naming_them():
    """The collectors have one queue, fed by one rung; a second human rung would bypass it
    in one engine and never act in the other."""
    ladder = [{"channel": "sms", "from_dpd": 1}, {"channel": "human", "from_dpd": 5,
                                                  "to_dpd": 20},
              {"channel": "human", "from_dpd": 21, "to_dpd": 40}]
    msg = error_of({"collections": {"ladder": ladder}})
    assert "ladder has 2 steps on the human channel (steps 2, 3)" in msg
    assert "at most one step may use the collectors" in msg
    validate_config({"collections": {"ladder": ladder[:2]}}, "test.yaml")  # one is fine


def test_unknown_scenario_lists_the_named_scenarios():
    msg = error_of({"macro": {"scenario": "depression"}})
    assert "macro.scenario = 'depression': unknown scenario" in msg
    assert "baseline, recession, severe_recession" in msg


@pytest.mark.parametrize(("text", "needle"), [
    ("book: [1, 2\n", "not valid YAML"),
    ("- 1\n- 2\n", "the top level must be a mapping"),
    ("base: 5\n", "must be a file name"),
    ("base: nowhere.yaml\n", "no such config file"),
])
def test_bad_files_name_the_file(tmp_path, text, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert needle in str(info.value)
    assert "bad.yaml" in str(info.value) or "nowhere.yaml" in str(info.value)
    assert "<unicode string>" not in str(info.value)  # a syntax error's place is in the file


def test_base_and_deal_may_name_shipped_files_from_any_folder(tmp_path):
    """``base: baseline`` in a user's own folder means the shipped baseline, as
    ``creditsim run baseline`` does; a file next to the config still comes first."""
    from sim.shipped import shipped_configs, shipped_deals

    path = tmp_path / "small.yaml"
    path.write_text("base: baseline\nname: small\ndeal: card_trust\n"
                    "book:\n  initial_borrowers: 500\n")
    config = load_config(path)
    shipped = load_config(shipped_configs()["baseline"])
    assert config.book.initial_borrowers == 500
    assert config.book.horizon_months == shipped.book.horizon_months
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text(f"deal: {shipped_deals()['card_trust']}\n")
    assert config.deal == load_config(explicit).deal != shipped.deal
    (tmp_path / "baseline.yaml").write_text("book:\n  horizon_months: 36\n")
    path.write_text("base: baseline.yaml\n")
    assert load_config(path).book.horizon_months == 36


def test_a_deal_files_base_may_name_a_shipped_deal(tmp_path):
    """A treasury user varying a shipped deal writes ``base: baitiao_2015`` in a deal file:
    a deal's base is a deal, looked up among the shipped deals as ``deal:`` is."""
    from sim.shipped import shipped_configs, shipped_deals

    deal = tmp_path / "wider_reserve.yaml"
    deal.write_text("base: baitiao_2015\nname: wider_reserve\n")
    config = tmp_path / "run.yaml"
    config.write_text(f"base: baseline\ndeal: {deal.name}\n")
    shipped = tmp_path / "shipped.yaml"
    shipped.write_text(f"base: baseline\ndeal: {shipped_deals()['baitiao_2015']}\n")
    got, want = load_config(config).deal, load_config(shipped).deal
    assert got.name == "wider_reserve" and got.model_dump(exclude={"name"}) \
        == want.model_dump(exclude={"name"})
    deal.write_text("base: baselin\n")
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert "not a shipped deal; shipped deals: " in str(info.value)
    assert "baitiao_2015" in str(info.value) and "baseline" not in shipped_deals()
    assert "baseline" in shipped_configs()


def test_missing_base_names_the_file_and_the_shipped_configs(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text("base: baselin\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: base: ") and "baselin: no such config file" in message
    assert "shipped configs: " in message and "recession" in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")


@pytest.mark.parametrize("text", ["", "\n\n", "# a comment only\n  # and another\n", "null\n",
                                  "~\n", "---\n"])
def test_a_file_without_keys_is_refused(tmp_path, text):
    """An empty file (or only comments, or null) is a mistake, never the built-in defaults."""
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: the file is empty (no keys)")
    assert "base: baseline" in message and "creditsim config-reference" in message
    assert "\n" not in message


def test_an_empty_base_file_is_refused(tmp_path):
    (tmp_path / "parent.yaml").write_text("# nothing yet\n")
    path = tmp_path / "child.yaml"
    path.write_text("base: parent.yaml\nname: child\n")
    with pytest.raises(ConfigError, match=r"parent\.yaml: the file is empty"):
        load_config(path)


def test_an_empty_deal_file_is_refused(tmp_path):
    from sim.config import read_deal_yaml

    path = tmp_path / "deal.yaml"
    path.write_text("null\n")
    with pytest.raises(ConfigError) as info:
        read_deal_yaml(path)
    assert str(info.value).startswith(f"{path}: the deal file is empty (no keys)")
    assert "configs/deals/baitiao_2015.yaml" in str(info.value)


def test_a_config_file_without_a_name_is_named_by_its_file(tmp_path):
    """Two different books written without ``name:`` must not both be called 'baseline'."""
    path = tmp_path / "policy_b.yaml"
    path.write_text("seed: 5\n")
    assert load_config(path).name == "policy_b"


def test_a_nameless_file_over_a_base_takes_its_own_name_not_the_bases(tmp_path):
    path = tmp_path / "tighter.yaml"
    path.write_text("base: baseline\ncredit_line: {increase_pct: 0.05}\n")
    assert load_config(path).name == "tighter"  # the shipped base says 'name: baseline'
    named = tmp_path / "named.yaml"
    named.write_text("base: baseline\nname: my-book\n")
    assert load_config(named).name == "my-book"


def test_a_config_built_in_python_without_a_name_is_not_called_baseline():
    """A recession or a policy variant built in Python must not be reported as the baseline."""
    assert RunConfig().name == "unnamed"
    assert load_config({"collections": {"collectors": {"count": 3}}}).name == "unnamed"
    assert load_config({"macro": {"scenario": "recession"}}).name == "unnamed-recession"
    assert RunConfig(macro={"scenario": "severe_recession"}).name == "unnamed-severe_recession"
    assert load_config({"name": "mine", "macro": {"scenario": "recession"}}).name == "mine"


def test_an_unnamed_config_is_named_again_after_an_override_of_its_scenario():
    recession = with_overrides(RunConfig(), {"macro": {"scenario": "recession"}})
    assert recession.name == "unnamed-recession"
    assert with_overrides(recession, {"macro": {"scenario": "baseline"}}).name == "unnamed"
    named = load_config({"name": "mine"})
    assert with_overrides(named, {"macro": {"scenario": "recession"}}).name == "mine"


def test_the_default_name_makes_a_run_folder_name():
    from sim.arguments import check_store
    from sim.store import new_run_id

    name = load_config({"macro": {"scenario": "severe_recession"}}).name
    assert check_store(Path.cwd(), name, 5) == Path.cwd()
    assert "-unnamed-severe_recession-s5" in new_run_id(name, 5, Path("/nonexistent"))


def test_a_too_long_file_name_is_cut_to_the_longest_name(tmp_path):
    path = tmp_path / ("b" * 150 + ".yaml")
    path.write_text("seed: 5\n")
    assert load_config(path).name == "b" * 100


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_configs_keep_their_written_names(path):
    written = yaml.safe_load(path.read_text())["name"]
    assert load_config(path).name == written


def test_a_deal_file_without_a_name_is_named_by_its_file(tmp_path):
    from sim.config import read_deal_yaml

    text = (CONFIGS / "deals" / "baitiao_2015.yaml").read_text()
    path = tmp_path / "my_deal.yaml"
    path.write_text("\n".join(line for line in text.splitlines()
                              if not line.startswith("name:")) + "\n")
    assert read_deal_yaml(path)["name"] == "my_deal"
    config = tmp_path / "c.yaml"
    config.write_text("base: baseline\ndeal: my_deal.yaml\n")
    assert load_config(config).deal.name == "my_deal"


@pytest.mark.parametrize("deal", ["card_trust", "baitiao_2015"])
def test_a_deal_file_given_as_a_run_config_is_named_as_such(deal):
    path = CONFIGS / "deals" / f"{deal}.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message == (f"{path}: a deal file (the notes and terms of a securitisation), not a "
                       f"run config: pass it with --deal to a run config, e.g. 'creditsim run "
                       f"baseline --deal {path}'")


def test_a_run_config_with_a_misplaced_deal_key_gets_the_key_errors():
    """Deal keys beside run-config keys: a config with a mistake, not a deal file."""
    message = error_of({"book": {"initial_borrowers": 50}, "cutoff_month": 12})
    assert "a deal file" not in message
    assert "cutoff_month: unknown key; allowed keys here: billing, book" in message


def test_an_empty_mapping_is_the_default_config(tmp_path):
    """``{}`` says "no changes" in so many words: the defaults, as a mapping gives them."""
    path = tmp_path / "defaults.yaml"
    path.write_text("{}\n")
    assert load_config(path).model_dump(exclude={"name"}) == load_config({}).model_dump(
        exclude={"name"})


# -- messages of rules across keys, scientific notation -------------------------------------------
def test_a_rule_across_keys_says_its_sentence_without_pydantics_wrapping(tmp_path):
    """A model validator's error is the project's sentence: no '(top level) = {...}' and no
    'Value error,'; the deal that does not fit the horizon says how to run without it."""
    path = tmp_path / "short.yaml"
    path.write_text(f"base: {CONFIGS / 'baseline.yaml'}\nbook: {{horizon_months: 3}}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    msg = " ".join(str(info.value).split())
    assert "(top level)" not in msg and "Value error" not in msg and "{...}" not in msg
    assert "deal.cutoff_month = 12 must be before the end of the horizon " \
           "(book.horizon_months = 3)" in msg
    assert "--deal none" in msg


def test_a_sections_rule_names_the_section_not_its_contents():
    msg = error_of({"deal": {"notes": [{"name": "A", "balance": 100}], "cutoff_month": 1}})
    assert "{...}" not in msg and "Value error" not in msg
    assert "deal.notes.0: coupon is required for a fixed-rate note" in " ".join(msg.split())


def test_scientific_notation_in_a_file_is_a_number_as_with_set(tmp_path):
    """`initial_borrowers: 1e3` in a file is read as `--set book.initial_borrowers=1e3` is:
    a whole number is taken, a fraction refused with the same message."""
    from sim.settings import apply_settings

    base = load_config(CONFIGS / "baseline.yaml")
    path = tmp_path / "sci.yaml"
    path.write_text(f"base: {CONFIGS / 'baseline.yaml'}\nbook: {{initial_borrowers: 1e3}}\n")
    assert load_config(path).book.initial_borrowers == 1000
    assert apply_settings(base, ["book.initial_borrowers=1e3"]).book.initial_borrowers == 1000
    path.write_text(f"base: {CONFIGS / 'baseline.yaml'}\nbook: {{initial_borrowers: 1.55e1}}\n")
    says = ("book.initial_borrowers = 15.5: Input should be a valid integer, got a number "
            "with a fractional part")
    with pytest.raises(ConfigError) as from_file:
        load_config(path)
    with pytest.raises(ConfigError) as from_set:
        apply_settings(base, ["book.initial_borrowers=1.55e1"])
    assert says in " ".join(str(from_file.value).split())
    assert says in " ".join(str(from_set.value).split())
    path.write_text(f"base: {CONFIGS / 'baseline.yaml'}\nname: '1e3'\n")  # quoted: text
    assert load_config(path).name == "1e3"


def test_the_config_reference_lists_the_values_a_choice_allows():
    """A student looking up the ladder found 'Channel used.' and no channel names."""
    from sim.config import config_reference

    rows = {line.split("|")[1].strip(" `"): line for line in config_reference().splitlines()[2:]}
    assert rows["collections.ladder[].channel"].endswith(
        "[one of: sms, app_push, email, auto_call, human, agency] |")
    assert "one of: oldest_dpd, largest_balance, highest_expected_recovery" in \
        rows["collections.collectors.priority"]
    assert "one of" not in rows["book.initial_borrowers"]


def _list_fields(model: type[BaseModel], path: tuple[str, ...] = ()):
    """Key paths of every list field below ``model``'s sections (a list or an optional list:
    a union with other kinds, such as ``deal.swap.notional``, is told by its branches)."""
    for name, field in model.model_fields.items():
        whole = field.annotation
        kinds = get_args(whole) if get_origin(whole) in (Union, UnionType) else (whole,)
        kinds = tuple(k for k in kinds if k is not type(None))
        for ann in kinds:
            if get_origin(ann) is list and len(kinds) == 1:
                yield (*path, name)
            elif isinstance(ann, type) and issubclass(ann, BaseModel):
                yield from _list_fields(ann, (*path, name))


LIST_FIELDS = sorted(set(_list_fields(RunConfig)))


@pytest.mark.parametrize("path", LIST_FIELDS, ids=".".join)
@pytest.mark.parametrize("given", [5, "x", {"a": 1}])
def test_a_list_field_given_a_value_says_what_its_items_are(path, given):
    """Not pydantic's "Input should be a valid list": that a list is expected and what
    each item is."""
    data: dict = given
    for part in reversed(path):
        data = {part: data}
    msg = " ".join(error_of(data).split())
    assert f"{'.'.join(path)}" in msg and ": must be a list, not a single value or a " \
           "mapping: each item " in msg, msg
    assert "valid list" not in msg


def test_the_list_fields_are_found_and_say_their_items():
    assert {("collections", "ladder"), ("recovery", "lag_curve")} <= set(LIST_FIELDS)
    msg = " ".join(error_of({"collections": {"ladder": 5}}).split())
    assert "collections.ladder = 5: must be a list, not a single value or a mapping: each " \
           "item a mapping with keys channel, from_dpd, to_dpd, every_days; the default has " \
           "5 items" in msg


@pytest.mark.parametrize(("calls", "share", "kept"), [(50, 0.1, 5), (50, 0.5, 25), (50, 0.01, 1),
                                                      (60, 0.25, 15), (7, 0.3, 2)])
def test_a_smaller_book_keeps_its_teams_calls_and_cost_per_borrower(calls, share, kept):
    from sim.config import CollectorsConfig, scaled_collectors

    team = CollectorsConfig(count=3, calls_per_day=calls, monthly_cost=5000.0)
    out = scaled_collectors(team, share)
    assert out["calls_per_day"] == kept  # the nearest whole call, at least one
    assert out["monthly_cost"] == pytest.approx(5000.0 * kept / calls)  # a call costs the same


@pytest.mark.parametrize("team", [{"count": 0}, {"calls_per_day": 0}])
def test_a_team_that_makes_no_calls_is_left_as_it_is(team):
    from sim.config import CollectorsConfig, scaled_collectors

    assert scaled_collectors(CollectorsConfig(**team), 0.1) == {}
    assert scaled_collectors(CollectorsConfig(), 1.0) == {}


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5, float("nan")])
def test_a_book_share_outside_zero_to_one_is_refused(share):
    from sim.config import CollectorsConfig, scaled_collectors

    with pytest.raises(ValueError, match="share"):
        scaled_collectors(CollectorsConfig(), share)


def test_a_book_share_scales_the_borrowers_and_the_teams_day_together():
    """The baseline's 10,000 borrowers at launch and 250 a month, 2 collectors x 50 calls a
    day at 5,060 a month: at 3 %, 300 and round(7.5) = 8 borrowers, and 2 x 2 calls a day
    (round(1.5) = 2) at 5,060 x 2/50 = 202.40 each."""
    from sim.config import load_config, scaled_book

    base = load_config("configs/baseline.yaml")
    assert scaled_book(base, 0.03) == {
        "book.initial_borrowers": 300, "book.new_borrowers_per_month": 8,
        "collections.collectors.calls_per_day": 2,
        "collections.collectors.monthly_cost": pytest.approx(202.4)}
    assert scaled_book(base, 1e-6)["book.initial_borrowers"] == 1  # at least one borrower
    assert scaled_book(base, 1.0) == {"book.initial_borrowers": 10_000,
                                      "book.new_borrowers_per_month": 250}
    with pytest.raises(ValueError, match="share"):
        scaled_book(base, 1.5)
