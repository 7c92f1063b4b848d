"""Borrower stories: re-simulating one path reproduces the run's own trace exactly."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import small_config

import sim
from dashboard.story import StoryError, borrower_trace, story_events


def test_replayed_story_equals_the_trace_recorded_in_the_run():
    run = sim.run(small_config(), paths=2, seed=5, out=None, trace_ids=(7,))
    recorded = run.tables["trace"]
    recorded = recorded[recorded["path"] == 1].reset_index(drop=True)
    replay = borrower_trace(run.manifest, path=1, borrower=7)
    cols = [c for c in recorded.columns if c != "dpd"]
    pd.testing.assert_frame_equal(replay[cols], recorded[cols], check_dtype=False)
    assert (replay["dpd"] == recorded["dpd"].clip(lower=0)).all()
    assert (replay["t"] == replay["day"] / 30).all()


def _trace(rows: list[dict]) -> pd.DataFrame:
    base = {"event": "due_date", "income": 1000.0, "employed": True, "limit": 500.0,
            "dpd": 0, "active": True}
    out = pd.DataFrame([{**base, **r} for r in rows])
    out["t"] = out["day"] / 30
    return out


def test_story_events_are_the_turning_points():
    trace = _trace([
        {"day": 0},
        {"day": 30, "employed": False},
        {"day": 60, "dpd": 10, "limit": 300.0, "employed": False},
        {"day": 63, "event": "contact_sms", "dpd": 13, "limit": 300.0, "employed": False},
        {"day": 90, "dpd": 0, "limit": 300.0, "employed": True},
        {"day": 120, "dpd": 40, "limit": 300.0},
        {"day": 300, "dpd": 175, "limit": 300.0},
        {"day": 306, "event": "charge_off", "dpd": 181, "limit": 300.0, "active": False},
    ])
    events = story_events(trace)
    assert list(zip(events["t"] * 30, events["kind"], strict=True)) == [
        (30, "job loss"), (60, "limit cut"), (63, "contact"), (90, "re-employment"),
        (90, "cure"), (306, "charge-off")]
    assert events.loc[events["kind"] == "contact", "label"].item() == "contact sms"
    assert events.loc[events["kind"] == "limit cut", "label"].item() == "limit 500 → 300"


@pytest.mark.parametrize(("path", "borrower", "message"), [
    (10**6, 0, "path 1000000 is not in this run"), (-1, 0, "path -1"),
    (0, 10_000_000, "borrower 10000000 is not in this book")])
def test_out_of_range_requests_say_what_is_allowed(small_run, path, borrower, message):
    with pytest.raises(StoryError, match=message):
        borrower_trace(small_run.manifest, path, borrower)
