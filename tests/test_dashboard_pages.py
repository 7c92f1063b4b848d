"""Launch and Runs pages: shipped configs from any folder, horizon bounds in plain words,
run rows that say what the run is and open it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.data import RunInfo, RunStore
from dashboard.launcher import MAX_SETTINGS_CHARS, RunGuard
from dashboard.pages import launch, runs
from dashboard.pages.common import AppContext
from sim.config import load_config
from sim.shipped import shipped_configs, shipped_deals


def _ctx(tmp_path: Path, configs: Path) -> AppContext:
    return AppContext(RunStore(tmp_path / "runs"), configs_dir=configs,
                      guard=RunGuard(None))


def _find(component, component_id: str):  # noqa: ANN001, ANN202 - Dash components
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def test_launch_page_lists_the_shipped_configs_from_another_folder(tmp_path, monkeypatch):
    """Issue example: started outside the repository the Launch page offered nothing."""
    monkeypatch.chdir(tmp_path)
    page = launch.layout(_ctx(tmp_path, Path("configs")))
    options = _find(page, "launch-config").options
    assert {f"{n}.yaml" for n in shipped_configs()} == set(options)
    assert "baseline.yaml" in options and _find(page, "launch-config").value == "baseline.yaml"


def test_horizon_bounds_follow_the_deal_in_plain_words():
    """Issue example: a 24-month horizon was refused in pydantic's words."""
    cfg = load_config(shipped_configs()["baseline"])
    low, high, text = launch.horizon_bounds(cfg)
    deal = cfg.deal
    assert low == deal.cutoff_month + deal.revolving_months + 1 and high == 240
    assert f"from month {low}" in text and "revolving" not in text.lower()
    no_deal = cfg.model_copy(update={"deal": None})
    assert launch.horizon_bounds(no_deal)[:2] == (1, 240)


def test_a_short_horizon_is_refused_with_the_bounds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx = _ctx(tmp_path, Path("configs"))
    with pytest.raises(launch.LaunchRefused) as err:
        launch._form_request(ctx, "baseline.yaml", 2, 10, 24, 0.0, None, [], [])
    message = str(err.value)
    assert message.startswith("Horizon = 24 months is not allowed. Months to simulate, 25 to")
    assert "pydantic" not in message and "Input should" not in message


def test_a_shock_over_the_config_rules_is_refused_in_points(tmp_path, monkeypatch):
    """Issue example: a shock of 99 (the field is in points) was refused as
    'peak_increase = 0.99 ... <= 0.5', in the config's fractions."""
    monkeypatch.chdir(tmp_path)
    ctx = _ctx(tmp_path, Path("configs"))
    with pytest.raises(launch.LaunchRefused) as err:
        launch._form_request(ctx, "baseline.yaml", 2, 10, 36, 99, None, [], [])
    message = str(err.value)
    assert message.startswith("Unemployment shock = 99 percentage points: give at most 50 "
                              "points (and at least -20)")
    assert "0.99" not in message and "0.5" not in message and "peak_increase" not in message
    assert launch.shock_bounds() == (-20, 50)


def test_the_shock_slider_spans_what_the_config_rules_allow(tmp_path, monkeypatch):
    """The slider stopped at 15 points: a 20-point shock typed into its box became 15
    without a word, though the rules allow -20 to 50."""
    monkeypatch.chdir(tmp_path)
    slider = _find(launch.layout(_ctx(tmp_path, Path("configs"))), "launch-shock")
    assert (slider.min, slider.max) == launch.shock_bounds() == (-20, 50)
    assert slider.value == 0 and 0 in slider.marks


@pytest.mark.parametrize(("points", "fraction"), [(50, 0.5), (4.5, 0.045), (0, 0.0),
                                                  (-20, -0.2)])
def test_the_shock_in_points_reaches_the_config_as_a_fraction(tmp_path, monkeypatch, points,
                                                               fraction):
    monkeypatch.chdir(tmp_path)
    ctx = _ctx(tmp_path, Path("configs"))
    request = launch._form_request(ctx, "baseline.yaml", 2, 10, 36, points, None, [], [])
    cfg = launch.build_config(request, launch._configs(ctx.configs_dir))
    assert cfg.macro.shock.peak_increase == pytest.approx(fraction)


def test_the_form_offers_the_deals_and_a_box_of_overrides(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    page = launch.layout(_ctx(tmp_path, Path("configs")))
    deals = [o["value"] for o in _find(page, "launch-deal").options]
    assert deals == ["none", *shipped_deals()]
    assert getattr(_find(page, "launch-deal"), "value", None) is None  # the config's own deal
    assert _find(page, "launch-settings").maxLength == MAX_SETTINGS_CHARS


def test_the_form_sends_the_deal_and_one_setting_a_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx = _ctx(tmp_path, Path("configs"))
    text = " collections.collectors.count=7 \n\n\tbook.initial_borrowers=40\r\n"
    # 6 months: too short for the baseline's deal (paid down from month 25), not without it
    with pytest.raises(launch.LaunchRefused, match="Months to simulate, 25 to 240"):
        launch._form_request(ctx, "baseline.yaml", 2, 10, 6, 0.0, None, [], [], None, text)
    request = launch._form_request(ctx, "baseline.yaml", 2, 10, 6, 0.0, None, [], [], "none",
                                   text)
    assert (request.deal, request.horizon_months) == ("none", 6)
    assert request.settings == ("collections.collectors.count=7", "book.initial_borrowers=40")
    cfg = launch.build_config(request, launch._configs(ctx.configs_dir))
    assert cfg.deal is None and cfg.book.initial_borrowers == 40  # the override, not 10 %


def test_slider_tooltips_do_not_stay_over_the_labels(tmp_path):
    page = launch.layout(_ctx(tmp_path, Path("configs")))
    for slider_id in ("launch-scale", "launch-shock"):
        assert _find(page, slider_id).tooltip["always_visible"] is False


def test_a_knob_slider_marks_the_configs_value_only_clear_of_its_ends():
    """The shipped baseline's 2 collectors on a 0-20 slider, or a 0.13 note on 0.01-1, would
    print their mark on the end's ('0 2', '0.010.13'); the help under the slider says it."""
    assert launch._knob_marks(0, 2, 20) == (0, 20)
    assert launch._knob_marks(0.01, 0.13, 1) == (0.01, 1)
    assert launch._knob_marks(0.01, 0.75, 1) == (0.01, 0.75, 1)
    assert launch._knob_marks(3, 3, 3) == (3, 3)


def _manifest(**extra) -> dict:
    config = load_config(shipped_configs()["baseline"]).model_dump(mode="json")
    config["book"]["initial_borrowers"] = 200
    config["book"]["horizon_months"] = 36
    return {"run_id": "r1", "name": "baseline", "paths": 2, "seed": 5, "config": config,
            "created": "2026-11-30T20:00:00", "description": "the baseline", **extra}


def test_run_rows_name_book_horizon_deal_overrides_and_open_the_run():
    """Issue example: a 2 % book, 36-month run listed as 'baseline · 2 paths · seed 5'."""
    info = RunInfo.from_manifest("r1", _manifest())
    row = runs.run_row(info)
    assert row["book"].startswith("200 borrowers") and row["horizon"] == "36 months"
    assert row["deal"] == "baitiao-2015"
    assert "book.initial_borrowers=200" in row["overrides"]
    assert "book.horizon_months=36" in row["overrides"]
    assert row["run_id"].href == "/portfolio?a=r1"
    assert "200 borrowers" in info.label and "36 months" in info.label


def test_recorded_overrides_are_shown_as_recorded():
    manifest = _manifest(overrides={"book.horizon_months": 36}, config_name="baseline")
    row = runs.run_row(RunInfo.from_manifest("r1", manifest))
    assert row["overrides"] == "book.horizon_months=36"


def test_a_changed_runs_description_names_the_changes():
    """Issue example: the runs page showed 'team of 3' for a run whose --set changed the
    team."""
    manifest = _manifest(overrides={"collections.collectors.count": 10},
                         config_name="baseline", description="standard ladder (team of 3)")
    row = runs.run_row(RunInfo.from_manifest("r1", manifest))
    assert row["description"] == ("standard ladder (team of 3) (the config's file; this run "
                                  "changed collections.collectors.count=10)")
    ids = [c["id"] for c in runs.COLUMNS]
    assert ids.index("overrides") == ids.index("description") + 1  # side by side
    plain = runs.run_row(RunInfo.from_manifest("r1", _manifest(overrides={},
                                                               config_name="baseline")))
    assert plain["description"] == "the baseline"


def test_an_old_manifest_without_config_still_lists(tmp_path):
    info = RunInfo.from_manifest("old", json.loads('{"name": "x", "paths": 3, "seed": 1}'))
    row = runs.run_row(info)
    assert row["book"] == "book ?" and row["deal"] == "none"


def test_a_smaller_book_gets_a_team_whose_day_shrinks_with_it(tmp_path, monkeypatch):
    """Baseline: 2 collectors x 50 calls a day at 5,060 a month each for 10,000 borrowers.
    At 10 % of the book: 2 x 5 calls a day at 506 each, the same calls and cost per
    borrower; a setting for the team still wins."""
    monkeypatch.chdir(tmp_path)
    ctx = _ctx(tmp_path, Path("configs"))
    configs = launch._configs(ctx.configs_dir)
    full = launch.build_config(
        launch._form_request(ctx, "baseline.yaml", 2, 100, 36, 0.0, None, [], []), configs)
    tenth = launch.build_config(
        launch._form_request(ctx, "baseline.yaml", 2, 10, 36, 0.0, None, [], []), configs)
    team, small = full.collections.collectors, tenth.collections.collectors
    assert (team.count, team.calls_per_day) == (2, 50)
    assert (small.count, small.calls_per_day) == (2, 5)
    assert small.monthly_cost == pytest.approx(team.monthly_cost / 10)
    assert tenth.book.initial_borrowers * 10 == full.book.initial_borrowers
    chosen = launch.build_config(
        launch._form_request(ctx, "baseline.yaml", 2, 10, 36, 0.0, None, [], [], None,
                             "collections.collectors.calls_per_day=50"), configs)
    assert chosen.collections.collectors.calls_per_day == 50
    # the command line's --book-share runs the same rule (sim.config.scaled_book)
    from sim.config import scaled_book

    request = launch._form_request(ctx, "baseline.yaml", 2, 10, 36, 0.0, None, [], [])
    scaled = scaled_book(load_config(configs["baseline.yaml"]), 0.1)
    assert request.initial_borrowers == scaled.pop("book.initial_borrowers")
    assert scaled.items() <= request.knobs.items()


@pytest.mark.parametrize(("typed", "seed"), [("7", 7), (" 12 ", 12), ("", None), (None, None)])
def test_the_seed_field_sends_what_was_typed(tmp_path, monkeypatch, typed, seed):
    """The seed is a text field: a number field's browser sends nothing for a value out of
    its bounds (-1), which would have started a run on the config's seed."""
    monkeypatch.chdir(tmp_path)
    ctx = _ctx(tmp_path, Path("configs"))
    request = launch._form_request(ctx, "baseline.yaml", 2, 10, 36, 0.0, typed, [], [])
    assert request.seed == seed


@pytest.mark.parametrize("typed", ["seven", "1.5", "1e3"])
def test_a_seed_that_is_not_a_whole_number_is_refused(tmp_path, monkeypatch, typed):
    """Not a number: refused by the page ("-1", a number below 0, is refused with the launch's
    other numbers: tests/test_dashboard_security.py)."""
    monkeypatch.chdir(tmp_path)
    ctx = _ctx(tmp_path, Path("configs"))
    with pytest.raises(launch.LaunchRefused, match="Seed = .*give a whole number from 0"):
        launch._form_request(ctx, "baseline.yaml", 2, 10, 36, 0.0, typed, [], [])


@pytest.mark.parametrize(("typed", "paths"), [("20", 20), (" 1 ", 1), ("200", 200), (7, 7)])
def test_the_paths_field_sends_what_was_typed(tmp_path, monkeypatch, typed, paths):
    monkeypatch.chdir(tmp_path)
    ctx = _ctx(tmp_path, Path("configs"))
    request = launch._form_request(ctx, "baseline.yaml", typed, 10, 36, 0.0, None, [], [])
    assert request.paths == paths


@pytest.mark.parametrize("typed", ["0", "500", "201", "-3", "", "2.5", "twenty", 0, 500])
def test_paths_out_of_range_are_refused_naming_the_range(tmp_path, monkeypatch, typed):
    """The paths field is text: as a slider's box the browser moved 0 to 1 and 500 to 200,
    and the run started on a number of paths the user did not type."""
    monkeypatch.chdir(tmp_path)
    ctx = _ctx(tmp_path, Path("configs"))
    with pytest.raises(launch.LaunchRefused,
                       match="Monte Carlo paths = .*: give a whole number from 1 to 200"):
        launch._form_request(ctx, "baseline.yaml", typed, 10, 36, 0.0, None, [], [])


def test_the_overrides_placeholder_reads_as_an_example(tmp_path):
    """In the box's own colour and type it read as two overrides already filled in."""
    box = _find(launch.layout(_ctx(tmp_path, Path("configs"))), "launch-settings")
    assert box.placeholder.startswith("e.g. ") and "settings" in box.className
    css = (Path(launch.__file__).parents[1] / "assets" / "style.css").read_text()
    rule = css.split("textarea.settings::placeholder", 1)[1].split("}", 1)[0]
    assert "color: #616e7c" in rule and "italic" in rule  # theme.MUTED
