"""Whether the compiled kernels are cached: cold in an empty cache folder, warm after a path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers_engine import tiny_config

from sim.kernelstate import COLD_SHARE, kernels_cold, uncompiled_share
from sim.montecarlo import run_paths

ROOT = Path(__file__).resolve().parent.parent


def _share_in(env: dict) -> float:
    """``uncompiled_share()`` in a fresh process with ``env`` (nothing is compiled)."""
    done = subprocess.run(
        [sys.executable, "-c", "from sim.kernelstate import uncompiled_share as u; print(u())"],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env}, cwd=ROOT, capture_output=True,
        text=True, timeout=300, check=True)
    return float(done.stdout)


def test_an_empty_cache_folder_is_cold(tmp_path):
    """A fresh machine: no kernel has compiled code, so every one is still to compile."""
    assert _share_in({"NUMBA_CACHE_DIR": str(tmp_path)}) == 1.0


def test_kernels_run_as_python_are_never_cold(tmp_path):
    assert _share_in({"NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_DISABLE_JIT": "1"}) == 0.0


def test_after_a_path_the_cache_is_warm():
    run_paths(tiny_config(), 1, seed=1)  # compiles (once per machine) or loads the kernels
    assert uncompiled_share() < COLD_SHARE
    assert not kernels_cold()
