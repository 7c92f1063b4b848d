"""``--set KEY=VALUE``: single config values changed on the command line, checked first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.config import load_config
from sim.configfile import ConfigError
from sim.settings import apply_settings, parse_setting

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
])
def test_bad_settings_say_what_is_wrong(standard, setting, says):
    with pytest.raises(ConfigError) as err:
        apply_settings(standard, [setting])
    assert says in " ".join(str(err.value).split())


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


def test_set_is_refused_with_resume(tmp_path, capsys):
    rc = main(["run", "--resume", str(tmp_path), "--set", "book.horizon_months=3"])
    assert rc == 2
    assert "a resumed or rerun run keeps its stored config" in capsys.readouterr().err
