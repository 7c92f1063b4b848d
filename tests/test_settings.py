"""``--set KEY=VALUE``: single config values changed on the command line, checked first."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.config import load_config
from sim.configfile import ConfigError
from sim.settings import apply_settings, parse_setting
from sim.store import MANIFEST, PartialRun

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module")
def standard():
    return load_config(CONFIGS / "standard.yaml")


def test_values_are_read_as_yaml():
    assert parse_setting("a.b=20") == (["a", "b"], 20)
    assert parse_setting("a=0.5") == (["a"], 0.5)
    assert parse_setting("a=true") == (["a"], True)
    assert parse_setting("a=[3, 6]") == (["a"], [3, 6])
    assert parse_setting("a={3: 0.5, 6: 0.5}") == (["a"], {3: 0.5, 6: 0.5})
    assert parse_setting(" a.b = x=y") == (["a", "b"], "x=y")  # the first '=' splits


@pytest.mark.parametrize(("raw", "value"), [
    # YAML 1.1 (PyYAML) reads each of these as a string: it wants a dot and a signed exponent
    ("1e3", 1000.0), ("-1E+4", -10000.0), ("1.5e3", 1500.0), (".5e1", 5.0), ("+3e0", 3.0),
    # ... and these as numbers already; they stay what they were
    ("2.5e-2", 0.025), ("1.0e+3", 1000.0), ("20", 20), ("0.5", 0.5), ("0x10", 16),
    # scientific notation inside a list or a mapping too, and only there
    ("[1e3, 2, x]", [1000.0, 2, "x"]), ("{3: 1e-3}", {3: 0.001}),
    # not numbers: quoted text, a bare exponent, a mantissa without one, words
    ('"1e3"', "1e3"), ("e3", "e3"), ("1e", "1e"), ("1e3x", "1e3x"), ("1e3.5", "1e3.5"),
])
def test_scientific_notation_is_a_number(raw, value):
    got = parse_setting(f"a={raw}")[1]
    assert got == value and type(got) is type(value)


def test_scientific_notation_meets_the_configs_own_rules(standard):
    # an integer key takes a whole number written with an exponent, and refuses another
    assert apply_settings(standard, ["collections.collectors.count=2e1"]) \
        .collections.collectors.count == 20
    assert apply_settings(standard, ["macro.shock.peak_increase=8E-2"]).macro.shock \
        .peak_increase == pytest.approx(0.08)
    for bad, says in (("2.55e1", "collections.collectors.count = 25.5: Input should be a "
                                 "valid integer, got a number with a fractional part"),
                      ("1e999", "collections.collectors.count = inf: Input should be a "
                                "finite number")):
        with pytest.raises(ConfigError) as err:
            apply_settings(standard, [f"collections.collectors.count={bad}"])
        assert says in " ".join(str(err.value).split())


def test_a_setting_changes_that_value_and_nothing_else(standard):
    changed = apply_settings(standard, ["collections.collectors.count=20",
                                        "collections.ladder.0.every_days=3"])
    assert changed.collections.collectors.count == 20
    assert changed.collections.ladder[0].every_days == 3
    before, after = standard.model_dump(), changed.model_dump()
    after["collections"]["collectors"]["count"] = before["collections"]["collectors"]["count"]
    after["collections"]["ladder"][0]["every_days"] = before["collections"]["ladder"][0][
        "every_days"]
    assert after == before
    assert standard.collections.collectors.count != 20  # the given config is not changed


def test_the_last_setting_of_a_key_wins(standard):
    changed = apply_settings(standard, ["book.horizon_months=48", "book.horizon_months=72"])
    assert changed.book.horizon_months == 72


def test_a_new_scenario_brings_its_own_shock(standard):
    recession = load_config(CONFIGS / "recession.yaml")
    changed = apply_settings(standard, ["macro.scenario=recession"])
    assert changed.macro.shock == recession.macro.shock
    assert changed.macro.shock != standard.macro.shock


@pytest.mark.parametrize(("setting", "says"), [
    ("nonsense", "write KEY=VALUE"),
    ("=3", "write KEY=VALUE"),
    ("book..horizon_months=3", "has an empty part"),
    ("collections.colectors.count=3", "did you mean collectors?"),
    ("collections.ladder.9.every_days=3", "a list of 5 item(s); give a position 0-4"),
    ("collections.ladder.x.every_days=3", "give a position 0-4, not 'x'"),
    ("book.horizon_months.x=3", "is a single value"),
    ("book.horizon_months=[1", "is not a YAML value"),
    ("book.horizon_months=-3", "book.horizon_months = -3"),
    ("collections.collectors.count=20x", "unable to parse string as an integer"),
    ("book=5", "book = 5: must be a mapping of book's keys (initial_borrowers, "
               "new_borrowers_per_month, horizon_months)"),
    ("deal.reserve=true", "deal.reserve = True: must be a mapping of reserve's keys "
                          "(initial_pct, target_pct, "),
    ("deal.notes.0=5", "deal.notes.0 = 5: must be a mapping of a notes item's keys (name, "),
    ("collections.channels=5", "collections.channels = 5: must be a mapping, not a single value "
                               "or a list: each key a name, each value a mapping with keys cost, "),
    ("spending.plan_mix=[1]", "spending.plan_mix = [1]: must be a mapping, not a single value or "
                              "a list: each key a whole number at least 0 and at most 12, "),
])
def test_bad_settings_say_what_is_wrong(standard, setting, says):
    with pytest.raises(ConfigError) as err:
        apply_settings(standard, [setting])
    assert says in " ".join(str(err.value).split())
    assert "\n" not in str(err.value)  # one line


def test_a_refused_value_names_its_setting_on_one_line(standard):
    with pytest.raises(ConfigError) as err:
        apply_settings(standard, ["book.horizon_months=48", "collections.collectors.count=x",
                                  "book.horizon_months=36"])
    assert str(err.value) == ("--set 'collections.collectors.count=x': "
                              "collections.collectors.count = 'x': Input should be a valid "
                              "integer, unable to parse string as an integer; allowed: at "
                              "least 0 and at most 100,000")
    with pytest.raises(ConfigError) as err:  # two refusals: a line each, as a config file's
        apply_settings(standard, ["collections.collectors.count=x", "book.horizon_months=-3"])
    assert str(err.value).splitlines()[1:] == [
        "  book.horizon_months = -3: Input should be greater than or equal to 1; allowed: "
        "at least 1 and at most 240",
        "  collections.collectors.count = 'x': Input should be a valid integer, unable to "
        "parse string as an integer; allowed: at least 0 and at most 100,000"]


@pytest.mark.parametrize(("setting", "says"), [
    ("macro.unemployment_base=2", "macro.unemployment_base = 2: Input should be less than "
                                  "0.5; allowed: above 0 and below 0.5"),
    ("collections.collectors.count=many", "allowed: at least 0 and at most 100,000"),
    ("book.horizon_months=1.5", "allowed: at least 1 and at most 240"),
])
def test_a_refused_value_is_told_the_whole_range_its_key_allows(standard, setting, says):
    with pytest.raises(ConfigError) as err:
        apply_settings(standard, [setting])
    assert says in str(err.value)


def test_a_bound_of_a_key_with_one_bound_is_not_said_twice():
    """Every bounded key of the config has two bounds; a model with one says it once."""
    from pydantic import BaseModel, Field, ValidationError

    from sim.configwords import format_errors

    class One(BaseModel):
        x: float = Field(0.0, ge=0.0)
        y: int = Field(1, ge=1, le=9)

    with pytest.raises(ValidationError) as err:
        One(x=-1, y="z")
    assert format_errors(err.value, "f", One).splitlines()[1:] == [
        "  x = -1: Input should be greater than or equal to 0",
        "  y = 'z': Input should be a valid integer, unable to parse string as an integer; "
        "allowed: at least 1 and at most 9"]


def test_a_setting_can_make_the_config_fit_the_deal_it_is_given(tmp_path):
    """``--deal`` and ``--set`` are applied before the config is validated, once: a deal
    that revolves to month 36 (card_trust: cut-off 12, 24 revolving months) needs a horizon
    beyond 36, and ``--set book.horizon_months=48`` gives it one; without the setting the
    refusal names the deal and says to lengthen the horizon."""
    from sim.settings import configure

    short = tmp_path / "short.yaml"
    short.write_text("base: baseline\nname: short\nbook: {horizon_months: 30}\n")
    with pytest.raises(ConfigError, match=r"(?s)^--deal card_trust: short: invalid.*"
                                          r"lengthen the horizon"):
        configure(short, "card_trust")
    with pytest.raises(ConfigError, match=r"^--deal card_trust --set 'paths=3': "
                                          r".*lengthen the horizon"):
        configure(short, "card_trust", ["paths=3"])
    fitted = configure(short, "card_trust", ["book.horizon_months=48"])
    assert fitted.book.horizon_months == 48
    assert fitted.deal.name == "card-trust" and fitted.deal.revolving_months == 24
    assert configure(short, None, None) == short  # nothing to change: the file itself


def test_run_with_set_records_the_change_as_an_override(tiny_yaml, tmp_path, capsys):
    rc = main(["run", str(tiny_yaml), "--paths", "1", "--out", str(tmp_path / "runs"),
               "--quiet", "--set", "collections.collectors.count=7"])
    assert rc == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["config"]["collections"]["collectors"]["count"] == 7
    assert manifest["overrides"] == {"collections.collectors.count": 7}
    assert manifest["config_file"] == str(tiny_yaml)


def test_a_bad_setting_stops_the_run_before_any_work(tiny_yaml, tmp_path, capsys):
    rc = main(["run", str(tiny_yaml), "--out", str(tmp_path / "runs"), "--quiet",
               "--set", "collections.collectors.cuont=7"])
    err = " ".join(capsys.readouterr().err.split())
    assert rc == 2
    assert "collections.collectors has no key 'cuont'; did you mean count?" in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("setting", "says"), [
    ("collections.collectors.cuont=7", "collections.collectors has no key 'cuont'"),
    ("book.initial_borrowers=1e10", "book.initial_borrowers = 10,000,000,000: Input should be "
                                    "less than or equal to 5,000,000"),
    ("collections.collectors.count=7.5e0", "collections.collectors.count = 7.5: Input should "
                                           "be a valid integer"),
    ("collections.collectors.count=seven", "collections.collectors.count = 'seven': Input "
                                           "should be a valid integer"),
])
def test_a_bad_key_or_type_exits_2_with_the_key_and_no_traceback(tiny_yaml, tmp_path, capsys,
                                                                  setting, says):
    rc = main(["run", str(tiny_yaml), "--out", str(tmp_path / "runs"), "--quiet",
               "--set", setting])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ") and "Traceback" not in err
    assert says in " ".join(err.split())
    assert not (tmp_path / "runs").exists()


def test_scientific_notation_runs_and_is_recorded_as_the_number(tiny_yaml, tmp_path, capsys):
    rc = main(["run", str(tiny_yaml), "--paths", "1", "--out", str(tmp_path / "runs"),
               "--quiet", "--set", "collections.collectors.count=7e0"])
    assert rc == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["overrides"] == {"collections.collectors.count": 7}


def _stopped(monkeypatch, argv: list[str]) -> Path:
    """Run ``creditsim run`` with ``argv`` and stop it by Ctrl-C once one path is stored."""
    real = PartialRun.save

    def save(self, results):
        real(self, results)
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(PartialRun, "save", save)
        assert main(argv) == 130
    [folder] = [p for p in (Path(argv[argv.index("--out") + 1])).iterdir() if p.is_dir()]
    assert not (folder / MANIFEST).exists()
    return folder


def test_a_run_made_with_set_resumes_with_its_overrides(monkeypatch, tiny_yaml, tmp_path,
                                                         capsys):
    # the overrides are in the stopped run's record: a plain --resume continues with them,
    # to the tables and manifest of the same run never stopped
    args = ["--paths", "2", "--seed", "3", "--quiet", "--set",
            "collections.collectors.count=7", "--set", "book.horizon_months=1.1e1"]
    folder = _stopped(monkeypatch, ["run", str(tiny_yaml), "--out", str(tmp_path / "a"), *args])
    capsys.readouterr()
    assert main(["run", "--resume", str(folder), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(folder)
    assert main(["run", str(tiny_yaml), "--out", str(tmp_path / "b"), *args]) == 0
    whole = Path(capsys.readouterr().out.strip())
    resumed, never = (json.loads((f / MANIFEST).read_text()) for f in (folder, whole))
    assert resumed["overrides"] == never["overrides"] == {
        "collections.collectors.count": 7, "book.horizon_months": 11}
    assert resumed["config"] == never["config"]
    assert resumed["config_file"] == str(tiny_yaml)
    for table in resumed["tables"]:
        pd.testing.assert_frame_equal(pd.read_parquet(folder / f"{table}.parquet"),
                                      pd.read_parquet(whole / f"{table}.parquet"))


def test_set_with_resume_says_the_overrides_are_recorded_in_the_run(monkeypatch, tiny_yaml,
                                                                    tmp_path, capsys):
    folder = _stopped(monkeypatch, ["run", str(tiny_yaml), "--out", str(tmp_path / "runs"),
                                    "--paths", "2", "--quiet", "--set",
                                    "collections.collectors.count=7"])
    capsys.readouterr()
    rc = main(["run", "--resume", str(folder), "--set", "collections.collectors.count=7"])
    err = " ".join(capsys.readouterr().err.split())
    assert rc == 2
    assert (f"{folder} continues with the config it was started with (its overrides "
            "(collections.collectors.count=7) are recorded in the run): continue it with "
            f"'creditsim run --resume {folder}' and no --set") in err
    assert not (folder / MANIFEST).exists()  # nothing was run
    rc = main(["run", "--resume", str(tmp_path / "nothing"), "--set", "book.horizon_months=3"])
    assert rc == 2
    assert "any --set overrides it was started with are recorded in the run" in " ".join(
        capsys.readouterr().err.split())


def test_set_with_from_manifest_says_the_rerun_is_exact(tmp_path, capsys):
    rc = main(["run", "--from-manifest", str(tmp_path), "--set", "book.horizon_months=3"])
    assert rc == 2
    assert "--from-manifest reruns the stored run exactly, with the overrides recorded in its " \
           "manifest" in " ".join(capsys.readouterr().err.split())


def test_a_deal_may_be_set_by_a_shipped_deals_name_or_a_file(standard, tmp_path):
    """``--set deal=card_trust`` is the shipped deal, as ``deal: card_trust`` in a config file
    and ``--deal card_trust`` are; a file name works too, and a wrong name lists the deals."""
    from sim.shipped import shipped_deals

    named = apply_settings(standard, ["deal=card_trust"]).deal
    by_file = apply_settings(standard, [f"deal={shipped_deals()['card_trust']}"]).deal
    assert named is not None and named == by_file != standard.deal
    own = tmp_path / "my_deal.yaml"
    own.write_text("base: card_trust\nname: my_deal\n")
    assert apply_settings(standard, [f"deal={own}"]).deal.name == "my_deal"
    with pytest.raises(ConfigError) as info:
        apply_settings(standard, ["deal=card_trus"])
    message = str(info.value)
    assert message.startswith("--set 'deal=card_trus': ") and "shipped deals: " in message
    assert "card_trust" in message and "\n" not in message
    assert apply_settings(standard, ["deal=null"]).deal is None


def test_a_key_part_names_a_number_key_by_its_digits(standard):
    """``spending.plan_mix.3`` is the plan term 3: the mappings keyed by plan terms have
    numbers as keys, and a dotted key's parts are text."""
    changed = apply_settings(standard, ["spending.plan_mix.3=0.25",
                                        "billing.instalment_fee.3=0.01"])
    assert changed.spending.plan_mix[3] == 0.25
    assert changed.billing.instalment_fee[3] == 0.01
    assert {k: v for k, v in changed.spending.plan_mix.items() if k != 3} == {
        k: v for k, v in standard.spending.plan_mix.items() if k != 3}
    assert set(changed.spending.plan_mix) == set(standard.spending.plan_mix)  # no key '3'
    # text keys as before
    assert apply_settings(standard, ["collections.channels.sms.cost=0.3"]) \
        .collections.channels["sms"].cost == 0.3


@pytest.mark.parametrize(("setting", "says"), [
    ("billing.instalment_fee.9=0.01",
     "billing.instalment_fee has no key '9'; its keys are: 3, 6, 12 (to give it other keys, "
     "set the whole mapping: --set 'billing.instalment_fee={3: ..., 6: ...}')"),
    ("spending.plan_mix.x=0.1", "spending.plan_mix has no key 'x'; its keys are: 0, 3, 6, 12"),
])
def test_a_number_key_that_is_not_there_is_not_suggested_back(standard, setting, says):
    with pytest.raises(ConfigError) as err:
        apply_settings(standard, [setting])
    message = str(err.value)
    assert says in message and "\n" not in message
    assert "did you mean" not in message


def test_a_mapping_given_to_a_section_merges_into_it_as_a_files_section(standard, tmp_path):
    """``--set 'book={initial_borrowers: 200}'`` keeps the book's other keys, as a config
    file with ``base:`` that gives the same mapping does, and a later setting of another
    key of the section finds it."""
    changed = apply_settings(standard, ["book={initial_borrowers: 200}"])
    assert changed.book.initial_borrowers == 200
    assert changed.book.horizon_months == standard.book.horizon_months
    assert changed.book.new_borrowers_per_month == standard.book.new_borrowers_per_month
    derived = tmp_path / "derived.yaml"
    derived.write_text(f"base: {CONFIGS / 'standard.yaml'}\nname: standard\n"
                       "book: {initial_borrowers: 200}\n")
    assert changed == load_config(derived)
    later = apply_settings(standard, ["book={initial_borrowers: 200}", "book.horizon_months=72"])
    assert (later.book.initial_borrowers, later.book.horizon_months) == (200, 72)


def test_mappings_merge_into_list_items_and_mappings_of_sections(standard):
    changed = apply_settings(standard, ["collections.ladder.0={every_days: 3}",
                                        "collections.channels={sms: {cost: 0.3}}"])
    step, was = changed.collections.ladder[0], standard.collections.ladder[0]
    assert step.every_days == 3 and step.model_copy(update={"every_days": was.every_days}) == was
    assert changed.collections.channels["sms"].cost == 0.3
    assert changed.collections.channels["email"] == standard.collections.channels["email"]
    assert changed.collections.channels["sms"].model_copy(
        update={"cost": standard.collections.channels["sms"].cost}) == \
        standard.collections.channels["sms"]


def test_a_mapping_that_is_one_value_replaces_with_the_files_warning(standard):
    from sim.configfile import ConfigWarning

    with pytest.warns(ConfigWarning) as said:
        changed = apply_settings(standard, ["spending={plan_mix: {12: 1.0}}"])
    assert changed.spending.plan_mix == {12: 1.0}
    assert changed.spending.purchase_prob == standard.spending.purchase_prob
    assert [str(w.message) for w in said] == [
        "--set 'spending={plan_mix: {12: 1.0}}': spending.plan_mix replaces the config's value "
        "as a whole (it is one value, not a section): the config's entries 0, 3, 6 are "
        "dropped; list every entry you mean to keep"]


def test_a_scenario_given_inside_a_mapping_brings_its_shock(standard):
    recession = load_config(CONFIGS / "recession.yaml")
    changed = apply_settings(standard, ["macro={scenario: recession}"])
    assert changed.macro.shock == recession.macro.shock


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_a_files_warning_is_said_once_per_run(tiny_yaml, tmp_path, capsys, quiet):
    """The config file is read for the estimate, the run and the manifest's overrides; its
    warning (a plan_mix that drops the base's entries) is said once."""
    base = tmp_path / "base.yaml"
    base.write_text(f"base: {tiny_yaml.name}\nspending: {{plan_mix: {{0: 0.5, 3: 0.5}}}}\n")
    derived = tmp_path / "derived.yaml"
    derived.write_text("base: base.yaml\nspending: {plan_mix: {0: 1.0}}\n")
    for extra in ([], ["--set", "collections.collectors.count=7"]):
        rc = main(["run", str(derived), "--paths", "1", "--out", str(tmp_path / "runs"),
                   *quiet, *extra])
        assert rc == 0
        err = " ".join(capsys.readouterr().err.split())
        assert err.count("spending.plan_mix replaces the base's value as a whole") == 1, err


def test_new_notes_set_on_a_written_out_order_are_told_how_to_take_the_default(standard):
    notes = "deal.notes=[{name: a, size: 1.0, coupon: 0.05}]"
    with pytest.raises(ConfigError) as err:
        apply_settings(standard, [notes])
    assert str(err.value) == (
        f"--set '{notes}': deal.priority_of_payments comes from the config's deal "
        "(baitiao-2015), written for its notes: it pays senior, mezzanine, subordinated, which "
        "this deal does not have (its notes: a); write priority_of_payments for these notes, "
        "or add --set deal.priority_of_payments=null for the default order (fees, each note's "
        "interest from the most senior down, principal, reserve, residual)")
    deal = apply_settings(standard, [notes, "deal.priority_of_payments=null"]).deal
    assert [str(s) for s in deal.steps("amortising")] == [
        "pay_fees", "pay_interest ['a']", "pay_principal ['a'] (sequential)", "fund_reserve",
        "pay_residual"]


def test_a_renamed_note_is_told_the_order_names_the_old_name(standard):
    with pytest.raises(ConfigError) as err:
        apply_settings(standard, ["deal.notes.0.name=first"])
    assert str(err.value).startswith(
        "--set 'deal.notes.0.name=first': deal.priority_of_payments comes from the config's "
        "deal (baitiao-2015), written for its notes: it pays senior, which this deal does not "
        "have (its notes: first, mezzanine, subordinated)")


def test_new_notes_with_another_fault_are_told_that_one_first(standard):
    with pytest.raises(ConfigError) as err:
        apply_settings(standard, ["deal.notes=[{name: a, size: 1.5, coupon: 0.05}]"])
    assert "deal.notes.0.size = 1.5: Input should be less than or equal to 1" in str(err.value)


# -- a smaller book with the same collectors -------------------------------------------------------
def test_a_smaller_book_with_the_same_collectors_is_noted():
    """The trial's case: the standard book (10,000 + 250 a month) shrunk to 2,000 + 50 with
    its 2 collectors: a fifth of the book, so the note suggests each collector's day at a
    fifth: 50 calls -> 10 a day, 5,060 -> 1,012.00 a month (one whole collector would still be
    2.5 times the staffing per borrower); none when the team is set too, the book barely
    changes, or no rung calls."""
    from sim.config import load_config
    from sim.settings import configure, unscaled_collectors

    small = ["book.initial_borrowers=2000", "book.new_borrowers_per_month=50"]
    base = load_config("configs/standard.yaml")
    note = unscaled_collectors(base, load_config(configure("configs/standard.yaml", None, small)),
                               small)
    assert note.startswith("note: the book is 0.2 times the size of standard's, with the same "
                           "2 human collectors: the team is less busy")
    assert note.endswith("add --set collections.collectors.calls_per_day=10 "
                         "--set collections.collectors.monthly_cost=1012.00")
    assert "run a share of the config's book with --book-share FRACTION" in note
    shared = configure("configs/standard.yaml", None, ["book.horizon_months=48"], 0.2)
    assert unscaled_collectors(base, load_config(shared), ["book.horizon_months=48"]) == ""
    team = [*small, "collections.collectors.count=2"]
    assert unscaled_collectors(base, load_config(configure("configs/standard.yaml", None, team)),
                               team) == ""
    near = ["book.initial_borrowers=9000"]
    assert unscaled_collectors(base, load_config(configure("configs/standard.yaml", None, near)),
                               near) == ""
    no_human = load_config("configs/no_human.yaml")
    assert unscaled_collectors(no_human, load_config(configure("configs/no_human.yaml", None,
                                                               small)), small) == ""


def test_the_books_size_in_the_note_is_taken_over_the_months_both_run():
    """The size compared is the borrowers onboarded by the last month both configs run (the
    first month's book, then new borrowers in each later month). A longer or shorter horizon
    alone keeps the book, and the team's load, the same month by month: no note (it used to
    compare the borrower slots of the whole horizons, 600 against 400, and ask for 15
    collectors for a book the same as the 10's in every month both run). 100 + 300 a month
    over 6 months against 100 + 100 a month over 4 is (100 + 3 x 300) / (100 + 3 x 100) =
    2.5 times, and 25 collectors keep the 10's staffing per borrower."""
    from sim.config import load_config
    from sim.settings import unscaled_collectors

    book = {"initial_borrowers": 100, "new_borrowers_per_month": 100}
    team = {"collectors": {"count": 10}}
    base = load_config({"name": "b", "book": {**book, "horizon_months": 4}, "collections": team})
    for horizon in (2, 6, 36):
        given = load_config({"name": "g", "book": {**book, "horizon_months": horizon},
                             "collections": team})
        assert unscaled_collectors(base, given, [f"book.horizon_months={horizon}"]) == ""
    more = {"initial_borrowers": 100, "new_borrowers_per_month": 300, "horizon_months": 6}
    given = load_config({"name": "g", "book": more, "collections": team})
    note = unscaled_collectors(base, given, ["book.new_borrowers_per_month=300"])
    assert note.startswith("note: the book is 2.5 times the size of b's, with the same 10 ")
    assert note.endswith("add --set collections.collectors.count=25")
