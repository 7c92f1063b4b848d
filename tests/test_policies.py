"""Policy sets on common random numbers."""

from __future__ import annotations

import pytest

from sim.config import load_config
from sim.scenarios.policies import check_same_book, run_policy_set

BOOK = {"initial_borrowers": 1500, "new_borrowers_per_month": 30, "horizon_months": 18}


def test_policy_set_pairs_paths_and_narrows_the_interval():
    standard = {"name": "standard", "book": BOOK}
    aggressive = {"name": "aggressive", "book": BOOK, "collections": {
        "collectors": {"count": 12},  # two more than the default team: costs more
        "ladder": [{"channel": "sms", "from_dpd": 1, "to_dpd": 59, "every_days": 1},
                   {"channel": "human", "from_dpd": 5, "to_dpd": 59, "every_days": 3},
                   {"channel": "agency", "from_dpd": 60, "to_dpd": 360, "every_days": 7}]}}
    runs, table = run_policy_set([standard, aggressive], paths=6, seed=3, out=None)
    assert [r.manifest["seed"] for r in runs] == [3, 3]
    assert set(table["policy"]) == {"aggressive"}
    cost = table.set_index("metric").loc["collection_cost"]
    assert cost["ci_low"] > 0 and cost["difference"] > 0
    assert cost["significant"] is None  # 6 paths: below MIN_PATHS, not judged
    assert cost["interval"] == "paired" and cost["paths"] == 6
    for row in table.itertuples():
        paired = row.ci_high - row.ci_low
        unpaired = row.unpaired_ci_high - row.unpaired_ci_low
        if row.metric in ("net_loss_rate", "cumulative_charge_off_rate"):  # losses: CRN-paired
            assert paired < unpaired, row.metric


def test_a_set_must_share_the_book():
    a = load_config({"name": "a", "book": BOOK})
    b = load_config({"name": "b", "book": {**BOOK, "initial_borrowers": 99}})
    with pytest.raises(ValueError, match="differ in 'book'"):
        check_same_book([a, b])
    with pytest.raises(ValueError, match="at least two"):
        run_policy_set([{"book": BOOK}], out=None)
