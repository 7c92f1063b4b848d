"""Shared fixtures: small runs made by the simulator, a run store, and frames shaped like
the ABS and collections outputs (notes, waterfall step log, collection columns)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.config import deep_merge, read_yaml
from sim.delinquency import BUCKETS
from sim.store import Run, load_run

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "configs" / "baseline.yaml"
SMALL_BOOK = {"book": {"initial_borrowers": 2000, "new_borrowers_per_month": 50,
                       "horizon_months": 24}}
POLICY_B = {"name": "tighter-limits", "credit_line": {"cut_score": 600, "cut_pct": 0.5}}
CHANNELS = ("sms", "auto_call", "human", "agency")
PATHS = int(os.environ.get("CREDITSIM_TEST_PATHS", "4"))
"""Paths of the store's runs (more only to make screenshots with wider bands)."""


def small_config(overrides: dict | None = None) -> dict:
    """The baseline config with a small book (2,000 borrowers, 24 months) and no deal."""
    data = deep_merge(read_yaml(BASELINE), SMALL_BOOK)
    data.pop("deal", None)
    return deep_merge(data, overrides or {})


def stored_before_digests(folder: Path) -> None:
    """Make the run in ``folder`` one stored before its tables' digests were recorded: its
    manifest without ``table_sha256``, as the runs of earlier versions are."""
    file = folder / "manifest.json"
    manifest = json.loads(file.read_text())
    manifest.pop("table_sha256", None)
    file.write_text(json.dumps(manifest, indent=2))


SMALL_DEAL = {"deal": deep_merge(read_yaml(BASELINE.parent / "deals" / "baitiao_2015.yaml"),
                                 {"cutoff_month": 6, "revolving_months": 6})}
"""The baseline deal on the small book: cut-off at month 6, six months revolving."""


@pytest.fixture(scope="session")
def run_store(tmp_path_factory) -> Path:
    """A run store with two small runs of the same seed: baseline (A) and a policy variant (B)."""
    root = tmp_path_factory.mktemp("runs")
    sim.run(small_config(), paths=PATHS, seed=1, out=root)
    sim.run(small_config(POLICY_B), paths=PATHS, seed=1, out=root)
    return root


@pytest.fixture(scope="session")
def small_run(run_store) -> Run:
    """The baseline small run of :func:`run_store` (seed 1), read back from the store."""
    folder = next(p for p in sorted(run_store.iterdir())
                  if p.name.endswith("-baseline-s1") and (p / "manifest.json").is_file())
    return load_run(folder)


# -- frames shaped like the securitisation and collections outputs -------------------------------

NOTE_SPLIT = {"A": (0.75, 0.04), "B": (0.15, 0.07), "C": (0.10, 0.12)}  # share, coupon


def synthetic_notes(paths: int = 50, periods: int = 24, seed: int = 7) -> pd.DataFrame:
    """A notes table: one row per (path, period, note), senior A, mezzanine B, junior C.

    The pool amortises 6 % a month; each path's lifetime default rate is log-normal
    (median 6 %); defaults write notes down from the most junior up; a cumulative
    default trigger at 5 % of the initial pool and a delinquency trigger fire on the
    worse paths.
    """
    rng = np.random.default_rng(seed)
    pool0 = 1_000_000.0
    loss = np.exp(rng.normal(np.log(0.06), 0.6, paths))
    names = list(NOTE_SPLIT)
    balance = np.array([[pool0 * NOTE_SPLIT[n][0] for n in names]] * paths)
    coupons = np.array([NOTE_SPLIT[n][1] for n in names])
    cum_default = np.zeros(paths)
    rows = []
    for t in range(1, periods + 1):
        begin = balance.copy()
        pool = pool0 * 0.94 ** (t - 1)
        defaults = loss * pool0 * (np.exp(-(t - 1) / 8) - np.exp(-t / 8))
        cum_default += defaults
        interest_due = begin * coupons / 12
        stress = np.clip(loss / 0.2, 0, 1)[:, None] * np.array([0, 0, 0.5])
        interest_paid = interest_due * (1 - stress)
        principal = np.minimum(begin, 0.06 * pool * np.ones((paths, 1)) * np.array([1, 0, 0]))
        after = begin - principal
        writedown = np.zeros_like(after)
        left = defaults.copy()
        for j in reversed(range(len(names))):
            w = np.minimum(after[:, j], left)
            writedown[:, j], left = w, left - w
        balance = after - writedown
        fees = np.full(paths, pool * 0.01 / 12)
        residual = np.maximum(pool * 0.015 - interest_paid.sum(axis=1) - fees, 0)
        cdr = cum_default / pool0 > 0.05
        dq = loss * np.exp(-t / 12) > 0.05
        for j, n in enumerate(names):
            rows.append(pd.DataFrame({
                "path": np.arange(paths), "period": t, "note": n,
                "balance_begin": begin[:, j], "interest_due": interest_due[:, j],
                "interest_paid": interest_paid[:, j],
                "interest_shortfall": interest_due[:, j] - interest_paid[:, j],
                "principal_paid": principal[:, j], "writedown": writedown[:, j],
                "balance_end": balance[:, j], "fees_paid": fees, "reserve_balance": 10_000.0,
                "residual": residual,
                "available": fees + interest_paid.sum(axis=1) + principal.sum(axis=1) + residual,
                "trigger_breached": cdr | dq, "trigger_cumulative_default_ratio": cdr,
                "trigger_delinquency_ratio": dq,
            }))
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["path", "period"], kind="stable").reset_index(drop=True)


def synthetic_steps(notes: pd.DataFrame) -> pd.DataFrame:
    """A wide waterfall step log (one column per step) consistent with ``notes``."""
    deal = notes.drop_duplicates(["path", "period"])[
        ["path", "period", "available", "fees_paid", "residual"]].reset_index(drop=True)
    out = deal[["path", "period"]].copy()
    out["collections"] = deal["available"]
    out["reserve_draw"] = deal["available"] * 0.02
    out["pay_fees"] = deal["fees_paid"]
    for step, col in (("pay_interest", "interest_paid"), ("pay_principal", "principal_paid")):
        wide = notes.pivot_table(index=["path", "period"], columns="note", values=col,
                                 sort=False).reset_index(drop=True)
        for note in wide.columns:
            out[f"{step}:{note}"] = wide[note].to_numpy()
    out["fund_reserve"] = deal["available"] * 0.02
    out["pay_residual"] = deal["residual"]
    return out


def synthetic_collections(portfolio: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """``portfolio`` with collection columns: actions, cost and recoveries by channel,
    cures by bucket, collector utilisation and queue wait."""
    rng = np.random.default_rng(seed)
    out = portfolio.sort_values(["path", "month"]).reset_index(drop=True).copy()
    delinquent = out[[f"accounts_{b}" for b in BUCKETS[1:7]]].sum(axis=1).to_numpy()
    unit_cost = {"sms": 0.05, "auto_call": 0.4, "human": 6.0, "agency": 15.0}
    reach = {"sms": 3.0, "auto_call": 1.5, "human": 0.4, "agency": 0.1}
    for ch in CHANNELS:
        actions = rng.poisson(delinquent * reach[ch])
        out[f"actions_{ch}"] = actions
        out[f"cost_{ch}"] = actions * unit_cost[ch]
        out[f"recoveries_{ch}"] = actions * unit_cost[ch] * rng.uniform(0.5, 3.0, len(out))
    for k, b in enumerate(BUCKETS[1:7]):
        prev = out.groupby("path")[f"accounts_{b}"].shift(1).fillna(0).to_numpy(int)
        out[f"cures_{b}"] = rng.binomial(prev, 0.5 / (k + 1))
    out["collector_utilisation"] = np.clip(0.5 + delinquent / max(delinquent.max(), 1) / 2, 0, 1)
    out["queue_wait_days"] = rng.gamma(2.0, out["collector_utilisation"].to_numpy() * 2)
    return out


@pytest.fixture(scope="session")
def demo_run(run_store) -> Run:
    """The small book with its deal through a severe recession (so junior notes lose on some
    paths), in :func:`run_store`."""
    stress = {"name": "severe-recession-deal", "macro": {"scenario": "severe_recession"}}
    return sim.run(small_config(SMALL_DEAL | stress), paths=PATHS, seed=1, out=run_store)


@pytest.fixture(scope="session")
def notes_frame() -> pd.DataFrame:
    return synthetic_notes()


@pytest.fixture(scope="session")
def collections_portfolio(small_run) -> pd.DataFrame:
    return synthetic_collections(small_run.portfolio)


@pytest.fixture()
def tiny_yaml(tmp_path) -> Path:
    """A config file of the tiny book (``helpers_engine.TINY``), for command-line tests."""
    from helpers_engine import TINY

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


@pytest.fixture()
def tiny_deal_config(tmp_path) -> Path:
    """A config file of the breakeven tests' book (``helpers_engine.TINY_DEAL``) with the
    Baitiao deal cut off at month 4 after 2 revolving months."""
    from helpers_engine import TINY_DEAL

    configs = ROOT / "configs"
    config = tmp_path / "tiny.yaml"
    data = deep_merge(TINY_DEAL, {"deal": deep_merge(
        read_yaml(configs / "deals" / "baitiao_2015.yaml"),
        {"cutoff_month": 4, "revolving_months": 2})})
    data["base"] = str(configs / "baseline.yaml")
    config.write_text(yaml.safe_dump(data))
    return config
