"""The compiled kernels' cache folders: other versions' folders unused for a month go."""

from __future__ import annotations

import os

from sim.kernels import cache

DAY = 86400.0


def test_stale_folders_of_other_versions_are_removed(tmp_path):
    now = 1_000 * DAY
    keep, old, recent = "0123456789abcdef", "fedcba9876543210", "aaaaaaaaaaaaaaaa"
    for name, age in ((keep, 90), (old, cache.STALE_DAYS + 1), (recent, cache.STALE_DAYS - 1)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "kernel.nbi").write_text("x")
        os.utime(folder, (now - age * DAY, now - age * DAY))
    other = tmp_path / "not-a-digest"  # not ours: never touched
    other.mkdir()
    os.utime(other, (0, 0))
    removed = cache.prune(tmp_path, keep=keep, now=now)
    assert removed == [tmp_path / old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([keep, recent, other.name])


def test_choosing_the_folder_marks_it_used(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    folder = tmp_path / cache.sources_digest()
    folder.mkdir()
    os.utime(folder, (0, 0))
    assert cache.cache_folder() == folder
    assert folder.stat().st_mtime > 1e9  # touched now, so never pruned while in use


def test_beyond_the_most_recent_versions_folders_idle_for_a_day_are_removed(tmp_path):
    """A developer's edits make a version a day or more: beyond the KEEP_RECENT most
    recently used, a folder idle for more than IDLE_DAYS goes; one used within the day stays
    (a run or a test session of another checkout may still read it)."""
    now = 1_000 * DAY
    ages = [0.1 * (i + 1) for i in range(3)] + [2.0 + i for i in range(cache.KEEP_RECENT + 3)]
    names = [f"{i:016x}" for i in range(len(ages))]
    for name, age in zip(names, ages, strict=True):
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (now - age * DAY, now - age * DAY))
    keep = "ffffffffffffffff"
    (tmp_path / keep).mkdir()
    os.utime(tmp_path / keep, (0, 0))  # the version in use: kept whatever its age
    removed = cache.prune(tmp_path, keep=keep, now=now)
    assert [p.name for p in removed] == names[cache.KEEP_RECENT:][::-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([keep, *names[:cache.KEEP_RECENT]])


def test_folders_used_within_the_day_stay_however_many(tmp_path):
    now = 1_000 * DAY
    for i in range(cache.KEEP_RECENT + 4):
        (tmp_path / f"{i:016x}").mkdir()
        os.utime(tmp_path / f"{i:016x}", (now - 0.5 * DAY, now - 0.5 * DAY))
    assert cache.prune(tmp_path, keep="ffffffffffffffff", now=now) == []
