"""scripts/late_balance_by_group.py: who holds each bucket's balance, and where it goes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from sim.config import load_config, with_overrides

ROOT = Path(__file__).resolve().parents[1]
BOOK = {"book": {"initial_borrowers": 1500, "new_borrowers_per_month": 40,
                 "horizon_months": 30}}


def _script():  # noqa: ANN202 - the script's module
    spec = importlib.util.spec_from_file_location(
        "late_balance_by_group", ROOT / "scripts" / "late_balance_by_group.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():  # noqa: ANN201
    return _script()


def _table(script, overrides: dict):  # noqa: ANN001, ANN202
    config = with_overrides(load_config(ROOT / "configs" / "baseline.yaml")
                            .model_copy(update={"deal": None}), BOOK)
    config = with_overrides(config, overrides)
    return script.by_group(script.transitions(config, 7, 0))


def test_shares_add_up_and_rates_are_shares(script) -> None:  # noqa: ANN001
    table = _table(script, {})
    sums = table.groupby("bucket")["balance_share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    for col in ("accounts_rolled", "balance_rolled", "back_current"):
        assert table[col].between(0.0, 1.0).all(), col
    # the last bucket's balance rolls (to charge-off) unless paid; a group may hold only a
    # handful of accounts there, one of which paying off moves its account share a lot
    last = table[table["bucket"] == "dpd_151_180"]
    assert (last["balance_rolled"] >= 0.9).all()


def test_no_arrangement_group_without_arrangements(script) -> None:  # noqa: ANN001
    with_plans = _table(script, {})
    assert "employed_arrangement" in set(with_plans["group"])
    without = _table(script, {"collections": {"channels": {"human": {"arrangement_months": 0}}}})
    assert "employed_arrangement" not in set(without["group"])


def test_main_prints_and_writes_csv(script, tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "groups.csv"
    assert script.main([str(ROOT / "configs" / "baseline.yaml"), "--book", "config", "--set",
                        '{"book": {"initial_borrowers": 600, "new_borrowers_per_month": 20, '
                        '"horizon_months": 20}}', "--csv", str(out)]) == 0
    assert "balance_share" in capsys.readouterr().out
    assert out.read_text().startswith("bucket,group,balance_share")
