"""The dashboard's view of the run store: listing, safe lookups, cached aggregates."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import PATHS

from dashboard.data import RunStore, abs_data, clear_cache, scan_store
from sim.store import RunNotFound


@pytest.fixture()
def store_copy(tmp_path, small_run):
    """A store holding a copy of the small run, an incomplete run and a half-written one."""
    root = tmp_path / "runs"
    root.mkdir()
    shutil.copytree(small_run.path, root / small_run.run_id)
    broken = root / "20990101-000000-broken-s1"
    broken.mkdir()
    (broken / "manifest.json").write_text(json.dumps({"run_id": broken.name,
                                                      "tables": ["portfolio"]}))
    (root / f".tmp-{small_run.run_id}-123").mkdir()
    (root / "not-json").mkdir()
    (root / "not-json" / "manifest.json").write_text("{")
    return root


def test_listing_has_complete_runs_only(store_copy, small_run):
    listing = scan_store(store_copy)
    assert list(listing) == [small_run.run_id]
    info = listing[small_run.run_id]
    assert (info.name, info.paths, info.seed) == ("baseline", PATHS, 1)
    assert info.label.startswith("baseline · ")
    assert f" · {PATHS} paths · seed 1 · " in info.label


@pytest.mark.parametrize("bad", ["../runs", "/etc", "20990101-000000-broken-s1", "", None,
                                 "..", "not-json", "x/../../etc/passwd"])
def test_ids_outside_the_listing_are_refused(store_copy, bad):
    store = RunStore(store_copy)
    with pytest.raises(RunNotFound):
        store.load(bad)
    with pytest.raises(RunNotFound):
        store.folder(bad)


def test_load_aggregates_once_and_caches(store_copy, small_run):
    clear_cache()
    store = RunStore(store_copy)
    first = store.load(small_run.run_id)
    assert store.load(small_run.run_id) is first
    assert first.months == 24 and first.info.run_id == small_run.run_id
    assert first.abs is None  # no notes table in a run without a deal
    assert len(first.paths) == PATHS
    assert first.load_seconds > 0


def test_compare_pairs_paths_of_two_listed_runs(run_store):
    store = RunStore(run_store)
    ids = {r.name: r.run_id for r in store.runs()}
    result, pairing = store.compare(ids["baseline"], ids["tighter-limits"])
    assert pairing.paired and (result["paths"] == PATHS).all()
    with pytest.raises(RunNotFound):
        store.compare(ids["baseline"], "../elsewhere")


def test_demo_run_has_abs_and_collections(demo_run, run_store):
    data = RunStore(run_store).load(demo_run.run_id)
    assert data.abs is not None and data.abs.notes == ["senior", "mezzanine", "subordinated"]
    assert data.collections is not None
    assert {"sms", "human"} <= set(data.collections.channels)


def test_abs_data_is_none_without_notes(small_run):
    assert abs_data(small_run.tables) is None
