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
