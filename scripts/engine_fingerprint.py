"""Fingerprint the engine's records on a set of small configs, to prove a refactor changes nothing.

Each case is a shipped config on a small book (a few hundred borrowers, 1-2 paths); every
record of each path (monthly series, vintages, roll matrices, summary, trace, the vehicle's
waterfall and pool, field-experiment outcomes) is hashed bit for bit, and the per-path sums
of the monthly columns are kept beside the hashes so that a difference can be read.

    python scripts/engine_fingerprint.py --write before.json     # on the old code
    python scripts/engine_fingerprint.py --check before.json     # on the new code

``--check`` exits 1 and names every case, path and record that differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from sim.config import Deal, RunConfig, deep_merge, load_config
from sim.configfile import read_config_file
from sim.engine import simulate_path

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
SMALL = {"book": {"initial_borrowers": 300, "new_borrowers_per_month": 20,
                  "horizon_months": 30}}
SMALL_DEAL = {"cutoff_month": 8, "revolving_months": 6}
CASES: dict[str, tuple[str, dict]] = {
    "baseline": ("baseline.yaml", {}),
    "card_trust": ("baseline.yaml", {"deal": "card_trust"}),
    "early_warning": ("early_warning.yaml", {"early_warning": {"fit_months": 6}}),
    "ew_limit_cut": ("early_warning.yaml", {"early_warning": {"fit_months": 6,
                                                              "action": "limit_cut"}}),
    "ew_hardship": ("early_warning.yaml", {"early_warning": {"fit_months": 6,
                                                             "action": "hardship_offer"}}),
    "hardship_reage": ("baseline.yaml", {"collections": {
        "hardship": {"request_prob": 0.9},
        "reage": {"enabled": True, "after_payments": 2, "min_months_between": 6}}}),
    "largest_balance": ("baseline.yaml", {"collections": {"collectors": {
        "priority": "largest_balance", "count": 1, "calls_per_day": 3}}}),
    "expected_recovery": ("baseline.yaml", {"collections": {"collectors": {
        "priority": "highest_expected_recovery", "count": 1, "calls_per_day": 3}}}),
    "experiment": ("baseline.yaml", {"experiment": {"enabled": True, "channel": "human",
                                                    "at_dpd": 5}}),
    "whole_bills": ("baseline.yaml", {"repayment": {"partial_payments": False}}),
    "nudges": ("nudges.yaml", {}),
    "no_collections": ("no_collections.yaml", {}),
    "recession": ("severe_recession.yaml", {}),
}
TRACE = (0, 3, 17, 42, 150)
PATHS = (0, 1)
SEED = 20261130


def _config(name: str, overrides: dict):  # noqa: ANN202
    """The shipped config ``name`` on the small book, with ``overrides`` (``deal``: a deal
    file's stem) and the deal's cut-off moved into the short horizon."""
    data = read_config_file(CONFIGS / name, RunConfig)
    deal = overrides.pop("deal", None)
    if deal is not None:
        data["deal"] = read_config_file(CONFIGS / "deals" / f"{deal}.yaml", Deal)
    if data.get("deal"):
        data["deal"] = deep_merge(data["deal"], SMALL_DEAL)
    return load_config(deep_merge(deep_merge(data, SMALL), overrides))


def _digest(value: object, h: hashlib._Hash) -> None:
    """Feed ``value`` (arrays, mappings, sequences, dataclasses, scalars) into ``h``."""
    if isinstance(value, np.ndarray):
        h.update(f"a{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            h.update(f.name.encode())
            _digest(getattr(value, f.name), h)
    elif isinstance(value, dict):
        for k in sorted(value, key=str):
            h.update(f"k{k!r}".encode())
            _digest(value[k], h)
    elif isinstance(value, list | tuple):
        h.update(f"l{len(value)}".encode())
        for v in value:
            _digest(v, h)
    else:
        h.update(repr(value).encode())


def _hash(value: object) -> str:
    h = hashlib.sha256()
    _digest(value, h)
    return h.hexdigest()


def fingerprint() -> dict:
    """{case: {path: {record: sha256, "sums": {column: per-path sum}}}}."""
    out: dict = {}
    for case, (name, overrides) in CASES.items():
        config = _config(name, json.loads(json.dumps(overrides)))
        out[case] = {}
        for path in PATHS:
            r = simulate_path(config, SEED, path, TRACE)
            rec = {f.name: _hash(getattr(r, f.name)) for f in dataclasses.fields(r)}
            rec["monthly_columns"] = sorted(r.monthly)
            rec["sums"] = {k: float(np.sum(v)) for k, v in sorted(r.monthly.items())}
            out[case][str(path)] = rec
        print(f"{case}: done", file=sys.stderr)
    return out


def compare(before: dict, after: dict) -> list[str]:
    """Every (case, path, record) whose fingerprint differs, as readable lines."""
    diffs = []
    for case, paths in before.items():
        for path, rec in paths.items():
            now = after.get(case, {}).get(path)
            if now is None:
                diffs.append(f"{case} path {path}: missing")
                continue
            for key, value in rec.items():
                if key != "sums" and now.get(key) != value:
                    diffs.append(f"{case} path {path}: {key} differs")
            for col, total in rec["sums"].items():
                if now["sums"].get(col) != total:
                    diffs.append(f"{case} path {path}: sum of {col} {total} -> "
                                 f"{now['sums'].get(col)}")
    return diffs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="write the fingerprint to this JSON file")
    group.add_argument("--check", type=Path, help="compare with the fingerprint in this file")
    args = parser.parse_args()
    now = fingerprint()
    if args.write:
        args.write.write_text(json.dumps(now, indent=1, sort_keys=True))
        return 0
    diffs = compare(json.loads(args.check.read_text()), now)
    for line in diffs:
        print(line)
    cases = sum(len(p) for p in now.values())
    print(f"{cases} case-paths compared: {'identical' if not diffs else f'{len(diffs)} differ'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
