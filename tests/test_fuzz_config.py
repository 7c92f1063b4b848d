"""Hostile configs: every mutation of a shipped config (and deal) either runs or is refused.

Each example takes a shipped config, optionally with a shipped deal inlined, shrinks its book
so one path takes a moment, and applies one mutation: a wrong type, an out-of-range, huge,
non-finite or boolean number, an empty list, an unknown or a duplicate key at any depth,
deeply nested YAML, a broken character, a ``base:`` cycle or a missing base. ``creditsim run``
must then either run one path whose books balance, with no NaN and no negative money, or
exit with status 2 and one message that names the key (or the file, for a file that is not
YAML), never a traceback. A CPU-time budget per example stops a run that would not end.

``make test`` runs 60 examples (about half a minute); ``CREDITSIM_FUZZ_LONG=1 pytest -m slow``
runs 2,000 more, drawn afresh each time.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.config import read_deal_yaml, read_yaml
from sim.metrics import MONEY_COLUMNS
from sim.store import load_run

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SHIPPED = sorted(CONFIGS.glob("*.yaml"))
DEALS = sorted((CONFIGS / "deals").glob("*.yaml"))
CPU_BUDGET_S = 120  # a refused file takes well under a second, a tiny path a few seconds
TOL = 0.005  # currency units: one half-cent of rounding per identity

HOSTILE_VALUES = [
    "abc", "", "1e3", [], {}, None, True, False, 0, -1, -1e9, 1e9, 10**20, 2**63, 1e-9, 0.5,
    1.5, 7, 600, math.inf, -math.inf, math.nan, [1, 2, 3], {"x": 1}, "x" * 3000,
]


# -- YAML text that can hold duplicate keys and non-finite numbers -------------------------------
def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))  # a double-quoted YAML string


def _flow(value: object, dup: tuple | None, path: tuple) -> str:
    if isinstance(value, dict):
        items = [f"{_scalar(k)}: {_flow(v, dup, (*path, k))}" for k, v in value.items()]
        if dup == path and value:
            items.append(items[0])
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, dup, (*path, i)) for i, v in enumerate(value)) + "]"
    return _scalar(value)


def to_yaml(data: dict, dup: tuple | None = None, path: tuple = (), indent: int = 0) -> str:
    """``data`` as block YAML (lists and nested list items in flow style); the first key of
    the mapping at key path ``dup`` is written twice."""
    pad = "  " * indent
    lines = []
    items = list(data.items())
    if dup == path and items:
        items.append(items[0])
    for key, value in items:
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{_scalar(key)}:\n" + to_yaml(value, dup, (*path, key), indent + 1))
        else:
            lines.append(f"{pad}{_scalar(key)}: {_flow(value, dup, (*path, key))}\n")
    return "".join(lines)


# -- mutations -----------------------------------------------------------------------------------
def key_paths(data: object, path: tuple = ()) -> Iterator[tuple]:
    """Every key path below ``data`` (mapping keys and list indices)."""
    items = data.items() if isinstance(data, dict) else (
        enumerate(data) if isinstance(data, list) else ())
    for key, value in items:
        yield (*path, key)
        yield from key_paths(value, (*path, key))


def mapping_paths(data: object, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(data, dict):
        yield path
    items = data.items() if isinstance(data, dict) else (
        enumerate(data) if isinstance(data, list) else ())
    for key, value in items:
        yield from mapping_paths(value, (*path, key))


def get_at(data: object, path: tuple) -> object:
    for part in path:
        data = data[part]  # type: ignore[index]
    return data


def set_at(data: object, path: tuple, value: object) -> None:
    get_at(data, path[:-1])[path[-1]] = value  # type: ignore[index]


def tiny_book(data: dict) -> None:
    """One path of a 40-borrower book, long enough for the deal's cut-off and revolving."""
    deal = data.get("deal") if isinstance(data.get("deal"), dict) else {}
    cut, rev = deal.get("cutoff_month", 0), deal.get("revolving_months", 0)
    months = (cut + rev + 4) if isinstance(cut, int) and isinstance(rev, int) else 14
    data["book"] = {"initial_borrowers": 40, "new_borrowers_per_month": 2,
                    "horizon_months": max(8, min(months, 40))}


def nested(depth: int, as_list: bool) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value] if as_list else {"k": value}
    return value


@st.composite
def hostile_configs(draw: st.DrawFn) -> tuple[dict[str, str], str, tuple]:
    """Files to write (name -> text), the one to run, and the mutated key path (or a tag)."""
    data = read_yaml(draw(st.sampled_from(SHIPPED)))
    if draw(st.booleans()):
        data["deal"] = read_deal_yaml(draw(st.sampled_from(DEALS)))
    data["paths"] = 1
    kind = draw(st.sampled_from(["value", "value", "value", "unknown", "duplicate", "deep",
                                 "empty_list", "malformed", "base_cycle", "base_missing"]))
    targets = [p for p in key_paths(data) if p[0] not in ("book", "paths")]
    path: tuple = ()
    dup = None
    if kind == "value":
        path = draw(st.sampled_from(targets))
        set_at(data, path, draw(st.sampled_from(HOSTILE_VALUES)))
    elif kind == "empty_list":
        lists = [p for p in targets if isinstance(get_at(data, p), list)]
        path = draw(st.sampled_from(lists))
        set_at(data, path, [])
    elif kind == "deep":
        path = draw(st.sampled_from(targets))
        set_at(data, path, nested(draw(st.integers(2, 200)), draw(st.booleans())))
    elif kind == "unknown":
        where = draw(st.sampled_from(list(mapping_paths(data))))
        get_at(data, where)["zz_unknown"] = 1
        path = (*where, "zz_unknown")
    elif kind == "duplicate":
        dup = draw(st.sampled_from([p for p in mapping_paths(data) if get_at(data, p)]))
        path = (*dup, next(iter(get_at(data, dup))))
    event(kind)
    tiny_book(data)
    text = to_yaml(data, dup)
    files = {"config.yaml": text}
    if kind == "malformed":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(list(":[]{}\t&*!%@`|>'\"#-?,"))) + text[at:]
        files["config.yaml"] = text
        path = ("(file)",)
    elif kind == "base_cycle":
        files = {"config.yaml": "base: other.yaml\n" + text, "other.yaml": "base: config.yaml\n"}
        path = ("(cycle)",)
    elif kind == "base_missing":
        files["config.yaml"] = "base: nowhere.yaml\n" + text
        path = ("(missing)",)
    return files, "config.yaml", path


# -- the property --------------------------------------------------------------------------------
class _OverBudget(Exception):
    pass


@contextlib.contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`_OverBudget` once this process has used ``seconds`` of CPU time."""
    def stop(*_args: object) -> None:
        raise _OverBudget(f"more than {seconds} CPU seconds")

    old = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def _names(path: tuple) -> list[str]:
    return [str(p) for p in path if isinstance(p, str)][-2:]


def check_run(folder: Path) -> None:
    """One path's books balance; money is finite and never negative."""
    run = load_run(folder)
    p = run.portfolio
    gap = (p.opening_balance + p.new_purchases + p.fees_billed - p.payments - p.charge_offs
           - p.receivables_balance)
    assert gap.abs().max() < TOL
    # net_recoveries is recoveries less commission and legal costs: negative in a month of
    # filings; every other money column is an amount or a balance
    money = p[[c for c in MONEY_COLUMNS if c in p.columns and c != "net_recoveries"]]
    assert np.isfinite(money.to_numpy(dtype=float)).all()
    assert (money >= -TOL).all().all(), money.columns[(money < -TOL).any()].tolist()
    if "pool" in run.tables:
        pool = run["pool"]
        cols = ["pool_balance_begin", "interest", "principal", "recoveries", "defaults",
                "purchased", "sold", "pool_balance_end"]
        values = pool[cols].to_numpy(dtype=float)
        assert np.isfinite(values).all() and (values >= -TOL).all()
        moved = (pool.pool_balance_begin - pool.principal - pool.defaults + pool.purchased
                 - pool.sold - pool.pool_balance_end)
        assert moved.abs().max() < TOL * max(1.0, float(pool.pool_balance_begin.max()) * 1e-9)
    if "notes" in run.tables:
        notes = run["notes"].select_dtypes("number")
        cash = notes[[c for c in notes.columns if "paid" in c or "balance" in c]].to_numpy(float)
        assert np.isfinite(cash).all() and (cash >= -TOL).all()


def run_case(files: dict[str, str], target: str, path: tuple) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_text(text)
        out, err = io.StringIO(), io.StringIO()
        with cpu_budget(CPU_BUDGET_S), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            rc = main(["run", str(folder / target), "--out", str(folder / "runs"), "--quiet"])
        message = " ".join(err.getvalue().split())
        event("ran one path" if rc == 0 else "refused")
        assert "Traceback" not in message
        if rc == 0:
            check_run(Path(out.getvalue().strip().splitlines()[-1]))
            return
        assert rc == 2, message
        assert message.startswith("error:"), message
        assert len(message) < 5000
        if path[0] == "(file)":
            assert "config.yaml" in message, message
        elif path[0] == "(cycle)":
            assert "cycle" in message
        elif path[0] == "(missing)":
            assert "nowhere.yaml: no such config file" in message
        else:
            names = _names(path)
            assert not names or any(n in message for n in names), (path, message)


FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(hostile_configs())
def test_a_hostile_config_runs_or_is_refused_naming_the_key(case):
    run_case(*case)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("CREDITSIM_FUZZ_LONG"),
                    reason="2,000 examples (about ten minutes): set CREDITSIM_FUZZ_LONG=1")
@settings(FUZZ, max_examples=2000, derandomize=False)
@given(hostile_configs())
def test_many_hostile_configs(case):
    run_case(*case)


def test_the_writer_writes_what_the_loader_reads(tmp_path):
    data = read_yaml(CONFIGS / "baseline.yaml")
    data["deal"] = read_deal_yaml(DEALS[0])
    (tmp_path / "c.yaml").write_text(to_yaml(data))
    assert read_yaml(tmp_path / "c.yaml") == data


def test_the_writer_can_repeat_a_key(tmp_path):
    (tmp_path / "c.yaml").write_text(to_yaml({"a": {"b": 1, "c": [1, {"d": 2}]}},
                                             dup=("a", "c", 1)))
    assert '"d": 2, "d": 2' in (tmp_path / "c.yaml").read_text()
