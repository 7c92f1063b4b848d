"""Results on another CPU type: numpy and OpenBLAS pick their loops by the CPU's instruction
set at run time, so a path (the early-warning case of ``scripts/engine_fingerprint.py``,
with its deal) is run twice in fresh processes, as this machine runs it and as a CPU
without AVX-512 would (numpy's AVX-512 loops disabled, ``NPY_DISABLE_CPU_FEATURES``;
OpenBLAS held to its Haswell kernels, ``OPENBLAS_CORETYPE``).

What README.md promises across CPU types: the monthly records, vintages, roll matrices and
the notes' cash (all integer cents or counts) are the same; the floats that are not rounded
to cents (the vehicle's pool balances and the deal's ratios, a traced borrower's income and
savings) may differ in their last bits, because numpy's vectorised ``exp`` and ``log`` and
OpenBLAS's dot product round differently from one instruction set to another (measured on
this project's AMD EPYC: ``np.exp`` differs from the C library's on 4.6 % of inputs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

RUN = """
import json, sys
import numpy as np
sys.path.insert(0, "scripts")
from engine_fingerprint import CASES, SEED, TRACE, _config, _hash
from sim.engine import simulate_path

name, overrides = CASES["early_warning"]  # early warning fitted at month 6, and a deal
r = simulate_path(_config(name, json.loads(json.dumps(overrides))), SEED, 0, TRACE)
print(json.dumps({
    "monthly": _hash(r.monthly), "vintages": _hash(r.vintages), "rolls": _hash(r.rolls),
    "notes": {k: np.asarray(v).tolist() for k, v in r.waterfall.notes.items()},
    "pool": {k: np.asarray(v).tolist() for k, v in r.pool.items()},
    "income": [row.get("income") for row in r.trace],
}))
"""

AVX2 = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
        "OPENBLAS_CORETYPE": "Haswell"}


def _run(extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in AVX2}
    env.update(PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", **extra)
    out = subprocess.run([sys.executable, "-c", RUN], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout)


def test_a_cpu_without_avx512_gives_the_same_cents_and_floats_within_rounding():
    native, avx2 = _run({}), _run(AVX2)
    for record in ("monthly", "vintages", "rolls", "notes"):
        assert native[record] == avx2[record], record
    for column, values in native["pool"].items():
        np.testing.assert_allclose(avx2["pool"][column], values, rtol=1e-13, atol=1e-9,
                                   err_msg=column)
    incomes = [(a, b) for a, b in zip(native["income"], avx2["income"], strict=True)
               if a is not None]
    assert incomes
    np.testing.assert_allclose([b for _, b in incomes], [a for a, _ in incomes], rtol=1e-13)
