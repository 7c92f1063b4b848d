"""Re-aged accounts as their own state: contractual delinquency, rolls, cures, re-defaults.

Hand-worked examples on a ledger of one account and on a book of identical accounts,
the roll accounting of a five-account month by hand, and invariants of the month-end
records on random books.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_engine import bernoulli_config, small_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.delinquency import BUCKETS, ROLL_STATES
from sim.engine import PathResult, PathSimulation, simulate_path
from sim.kernels.rules import roll_state
from sim.ledger import DAYS_PER_MONTH, Ledger
from sim.metrics import path_table, portfolio_table, roll_table
from sim.rolls import redefault_rates, roll_matrix, transition_rates, vintage_rates

S = {name: i for i, name in enumerate(ROLL_STATES)}


# -- the ledger: contractual days past due ------------------------------------------------------
def test_contractual_dpd_ages_from_the_cancelled_bill_until_the_plan_is_repaid():
    """300.00 bought in month 0, pay in full, due day 10: billed at month 1's statement,
    due on day 40. Unpaid through month 3's due date (day 100: 60 days past due), then
    re-aged into three instalments of 100.00 from month 4."""
    ledger = Ledger(1, chargeoff_dpd=180, due_day=10)
    ledger.book_purchase(0, np.array([30_000]), np.array([0]), {})
    for month in (1, 2, 3):
        ledger.bill(month, 1, 0.0)
    assert ledger.days_past_due(100.5, 1).tolist() == [60]
    ledger.restructure(3, np.array([0]), grace=0, term=3)
    assert ledger.days_past_due(115.0, 1).tolist() == [0]  # reported current
    assert ledger.contractual_days_past_due(115.0, 1).tolist() == [75]  # 115 - 40
    assert (ledger.reaged_month[0], ledger.contract_oldest[0], ledger.reaged_left[0]) == \
        (3, 1, 30_000)
    ledger.bill(4, 1, 0.0)
    ledger.pay(4, np.array([10_000]))  # the first instalment, on its due date (day 130)
    assert ledger.reaged_left[0] == 20_000
    assert ledger.contractual_days_past_due(145.0, 1).tolist() == [105]  # still 145 - 40
    ledger.bill(5, 1, 0.0)  # the second instalment is missed: reported 1-30 days
    assert ledger.days_past_due(165.0, 1).tolist() == [5]
    assert ledger.contractual_days_past_due(165.0, 1).tolist() == [125]
    ledger.pay(5, np.array([0]))
    ledger.bill(6, 1, 0.0)
    ledger.pay(6, np.array([20_000]))  # both instalments: the plan is repaid
    assert ledger.reaged_left[0] == 0 and ledger.balance(1).tolist() == [0]
    assert ledger.contractual_days_past_due(200.0, 1).tolist() == [0]


def test_contractual_dpd_equals_reported_without_a_re_age_and_clears_at_write_off():
    ledger = Ledger(3, chargeoff_dpd=90, due_day=5)
    ledger.book_purchase(0, np.array([1_000, 2_000, 0]), np.array([0, 3, 0]), {3: 0.01})
    ledger.bill(1, 3, 0.0)
    reported = ledger.days_past_due(70.0, 3)
    assert ledger.contractual_days_past_due(70.0, 3).tolist() == reported.tolist() == [35, 35, 0]
    ledger.restructure(1, np.array([1]), grace=1, term=2)
    assert ledger.contractual_days_past_due(70.0, 3).tolist() == [35, 35, 0]
    ledger.write_off(np.array([False, True, False]))
    assert ledger.contractual_days_past_due(70.0, 3).tolist() == [35, 0, 0]
    assert ledger.reaged_left[1] == 0 and ledger.contract_oldest[1] == -1


# -- a book of identical accounts, month by month -----------------------------------------------
def never_paying_book(horizon: int = 14):
    """Four accounts that buy every month and never pay; every one asks for hardship at
    its first missed due date (month 1) and gets one month of grace and two instalments."""
    overrides = {
        "collections": {"ladder": [], "legal": {"enabled": False},
                        "hardship": {"request_prob": 1.0, "income_drop": 0.0,
                                     "grace_months": 1, "term_months": 2}},
        "billing": {"due_day": 10, "purchase_day": 20, "late_fee_daily": 0.0},
    }
    return bernoulli_config(1.0, overrides, initial_borrowers=4, new_borrowers_per_month=0,
                            horizon_months=horizon)


def test_a_re_aged_book_moves_to_re_aged_never_to_a_cure_and_re_defaults():
    """Month 1: the bill due on day 40 is missed and re-aged the same day, so at month
    end (day 60) the accounts are reported current, 20 days past due contractually:
    ``current -> re_aged``. A re-aged account is a workout closed to new purchases, and
    month 2 is the plan's grace month: nothing is billed, ``re_aged -> re_aged`` (50 days
    contractually). Month 3 bills the plan's first instalment (due day 100) and it is
    missed: ``re_aged -> 1-30``, 80 days contractually. Then one bucket a month until the
    charge-off batch of month 9 (day 280, 180 days after day 100); the window of the
    month-1 re-age closes at month end 13 with all four accounts re-defaulted."""
    result = simulate_path(never_paying_book(), 1, 0)
    m = result.monthly
    moves = [[(ROLL_STATES[i], ROLL_STATES[j], int(result.rolls[k, i, j]))
              for i, j in np.argwhere(result.rolls[k])] for k in range(10)]
    assert moves == [
        [], [("current", "re_aged", 4)], [("re_aged", "re_aged", 4)],
        [("re_aged", "dpd_1_30", 4)],
        [("dpd_1_30", "dpd_31_60", 4)], [("dpd_31_60", "dpd_61_90", 4)],
        [("dpd_61_90", "dpd_91_120", 4)], [("dpd_91_120", "dpd_121_150", 4)],
        [("dpd_121_150", "dpd_151_180", 4)], [("dpd_151_180", "charged_off", 4)],
    ]
    # balance-weighted: the balance at the month end before
    for k, (i, j) in ((1, ("current", "re_aged")), (3, ("re_aged", "dpd_1_30")),
                      (9, ("dpd_151_180", "charged_off"))):
        assert result.roll_balance[k, S[i], S[j]] == m["receivables_balance"][k - 1]
    assert m["hardship_enrolments"].tolist()[:3] == [0, 4, 0]
    assert m["accounts_re_aged"].tolist()[:4] == [0, 4, 4, 0]
    assert m["accounts_current"][1] == m["accounts_current"][2] == 4  # reported current ...
    assert m["accounts_contractual_dpd_1_30"][1] == 4  # ... contractually 20 days
    assert m["accounts_contractual_dpd_31_60"][2] == 4  # ... then 50
    assert m["accounts_dpd_1_30"][3] == m["accounts_contractual_dpd_61_90"][3] == 4
    assert m["accounts_contractual_dpd_151_180"][6] == 4  # reported 91-120 that month
    assert m["reaged_window_closed"].tolist() == [0] * 13 + [4]
    assert m["reaged_redefaulted_30"].tolist() == m["reaged_redefaulted_60"].tolist() \
        == [0] * 13 + [4]
    assert sum(m[f"cures_{b}"].sum() for b in BUCKETS[1:7]) == 0
    rates = transition_rates(roll_table([result]))
    assert (rates["cure"] == 0).all() and (rates["re_age"] == 0).all()
    table = path_table(portfolio_table([result]))
    assert table["reaged_redefault_rate_30"].tolist() == [1.0]
    short = path_table(portfolio_table([simulate_path(never_paying_book(12), 1, 0)]))
    assert np.isnan(short["reaged_redefault_rate_30"].item())  # no window closed


# -- roll accounting by hand ------------------------------------------------------------------
def test_roll_accounting_of_one_month_by_hand():
    """Five accounts from one month end (balances 1..5.00) to the next: account 0 pays
    its 1-30 arrears (a cure), account 1 is re-aged (reported current, 45 days
    contractually), account 2 stays 31-60, account 3 slips to 1-30, account 4 is charged
    off."""
    sim_ = PathSimulation(small_config(), 1, 0)
    before = np.array([S["dpd_1_30"], S["dpd_1_30"], S["dpd_31_60"], S["current"],
                       S["dpd_61_90"]])
    sim_._record_rolls(before, np.array([100, 200, 300, 400, 500]))
    state = np.array([roll_state(*account) for account in (
        (True, 0, 0), (True, 0, 45), (True, 2, 45), (True, 1, 5), (False, 0, 0))])
    assert [ROLL_STATES[s] for s in state] == ["current", "re_aged", "dpd_31_60", "dpd_1_30",
                                               "charged_off"]
    sim_._record_rolls(state, np.array([0, 200, 300, 450, 0]))
    assert not sim_.roll_counts[0].any()  # from "not yet on the book": not a roll
    result = PathResult(0, {}, {}, rolls=np.stack(sim_.roll_counts),
                        roll_balance=np.stack(sim_.roll_balances))
    rolls = roll_table([result])
    got = {(r.from_state, r.to_state): (r.accounts, r.balance)
           for r in rolls.itertuples(index=False)}
    assert got == {("dpd_1_30", "current"): (1, 1.0), ("dpd_1_30", "re_aged"): (1, 2.0),
                   ("dpd_31_60", "dpd_31_60"): (1, 3.0), ("current", "dpd_1_30"): (1, 4.0),
                   ("dpd_61_90", "charged_off"): (1, 5.0)}
    by_acc = transition_rates(rolls, "accounts").set_index("bucket")
    by_bal = transition_rates(rolls, "balance").set_index("bucket")
    assert (by_acc.loc["dpd_1_30", "cure"], by_acc.loc["dpd_1_30", "re_age"]) == (0.5, 0.5)
    assert by_bal.loc["dpd_1_30", "cure"] == pytest.approx(1 / 3)
    assert by_bal.loc["dpd_1_30", "re_age"] == pytest.approx(2 / 3)
    assert by_acc.loc["dpd_61_90", "roll_forward"] == 1.0
    matrix = roll_matrix(rolls, "balance")
    assert matrix.loc["current", "dpd_1_30"] == 1.0 and matrix.loc["re_aged"].isna().all()


def test_rates_reject_an_unknown_weighting():
    rolls = pd.DataFrame({"path": [0], "month": [1], "from_state": ["current"],
                          "to_state": ["current"], "accounts": [1]})
    with pytest.raises(ValueError, match="weight must be one of accounts, balance"):
        roll_matrix(rolls, "dollars")
    with pytest.raises(ValueError, match="no 'balance' column"):
        roll_matrix(rolls, "balance")
    with pytest.raises(ValueError, match="level must be one of"):
        redefault_rates(pd.DataFrame({"path": [0]}), 90)


def test_vintage_rates_by_accounts_and_by_balance():
    v = pd.DataFrame({"path": 0, "cohort": 0, "month": [0, 1, 2], "cohort_size": 10,
                      "purchases": [100.0, 50.0, 50.0], "charge_offs": [0.0, 10.0, 30.0],
                      "charged_off_accounts": [0, 1, 2]})
    out = vintage_rates(v)
    assert out["cumulative_default_rate"].tolist() == pytest.approx([0.0, 0.1, 0.3])
    assert out["cumulative_loss_rate"].tolist() == pytest.approx([0.0, 10 / 150, 40 / 200])


# -- the trace: charge-off and hardship rows only for the borrower concerned ----------------------
RISKY = {"name": "risky", "seed": 5,
         "book": {"initial_borrowers": 60, "new_borrowers_per_month": 0, "horizon_months": 10},
         "repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0},
         "billing": {"chargeoff_dpd": 60},
         "collections": {"hardship": {"request_prob": 0.5, "income_drop": 0.0}}}


def test_charge_off_and_hardship_rows_only_for_the_borrower_they_happen_to():
    run = sim.run(RISKY, paths=1, seed=1, out=None, trace_ids=tuple(range(60)))
    trace = run.tables["trace"]
    charged = trace.groupby("borrower")["active"].last().pipe(lambda a: set(a.index[~a]))
    rows = trace[trace["event"] == "charge_off"]
    assert charged and len(charged) < 60  # some charged off, some not: the test can fail
    assert sorted(rows["borrower"]) == sorted(charged)  # one row each, nobody else
    assert not rows["active"].any()
    hardship = trace[trace["event"] == "hardship"]
    assert 0 < hardship["borrower"].nunique() == len(hardship) < 60
    for r in hardship.itertuples(index=False):
        before = trace[(trace["borrower"] == r.borrower) & (trace["day"] < r.day)]
        assert not before["re_aged"].any() and r.re_aged and r.dpd == 0


def test_tracing_one_borrower_as_the_cli_does_shows_only_its_own_charge_off():
    """``creditsim trace CONFIG --borrower B`` runs one path with B traced."""
    everyone = sim.run(RISKY, paths=1, seed=1, out=None, trace_ids=tuple(range(60)))
    charged = everyone.tables["trace"].query("event == 'charge_off'")["borrower"].tolist()
    spared = next(b for b in range(60) if b not in charged)
    for borrower, expected in ((charged[0], 1), (spared, 0)):
        one = sim.run(RISKY, paths=1, seed=1, out=None, trace_ids=(borrower,)).tables["trace"]
        assert set(one["borrower"]) == {borrower}
        assert (one["event"] == "charge_off").sum() == expected


# -- invariants on random books ------------------------------------------------------------------
@st.composite
def risky_books(draw):
    due_day = draw(st.integers(1, 27))
    overrides = {
        "book": {"initial_borrowers": draw(st.integers(20, 200)),
                 "new_borrowers_per_month": draw(st.integers(0, 15)),
                 "horizon_months": draw(st.integers(6, 16))},
        "repayment": {"forget_prob": draw(st.floats(0.0, 0.4)),
                      "willingness_concentration": draw(st.floats(1.0, 20.0))},
        "billing": {"due_day": due_day, "purchase_day": draw(st.integers(due_day + 1, 29)),
                    "chargeoff_dpd": draw(st.integers(30, 200))},
        "collections": {"hardship": {"request_prob": draw(st.floats(0.0, 1.0)),
                                     "income_drop": draw(st.floats(0.0, 0.5)),
                                     "grace_months": draw(st.integers(0, 3)),
                                     "term_months": draw(st.integers(1, 9))}},
    }
    return small_config(overrides), draw(st.integers(0, 2**32 - 1))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(risky_books())
def test_rolls_from_each_state_sum_to_the_accounts_and_balance_in_it(case):
    config, seed = case
    r = simulate_path(config, seed, 0)
    m = r.monthly
    acc, bal = r.rolls.sum(axis=2), r.roll_balance.sum(axis=2)  # (month, from state)
    for b in BUCKETS[1:]:
        assert acc[1:, S[b]].tolist() == m[f"accounts_{b}"][:-1].tolist(), b
        assert bal[1:, S[b]].tolist() == m[f"balance_{b}"][:-1].tolist(), b
    assert acc[1:, S["re_aged"]].tolist() == m["accounts_re_aged"][:-1].tolist()
    assert bal[1:, S["re_aged"]].tolist() == m["balance_re_aged"][:-1].tolist()
    assert acc[1:, S["current"]].tolist() == \
        (m["accounts_current"] - m["accounts_re_aged"])[:-1].tolist()
    assert bal[1:, S["current"]].tolist() == \
        (m["balance_current"] - m["balance_re_aged"])[:-1].tolist()
    charged = np.cumsum(m["charged_off_accounts"])
    assert acc[1:, S["charged_off"]].tolist() == charged[:-1].tolist()
    assert r.rolls[:, S["charged_off"], S["charged_off"]].tolist() == [0, *charged[:-1]]
    # contractual and reported views cover the same accounts and money
    for kind, total in (("accounts", m["active_borrowers"]),
                        ("balance", m["receivables_balance"])):
        assert sum(m[f"{kind}_{b}"] for b in BUCKETS).tolist() == total.tolist()
        assert sum(m[f"{kind}_contractual_{b}"] for b in BUCKETS).tolist() == total.tolist()
    assert (m["accounts_re_aged"] <= m["accounts_current"]).all()
    assert (m["reaged_redefaulted_60"] <= m["reaged_redefaulted_30"]).all()
    assert (m["reaged_redefaulted_30"] <= m["reaged_window_closed"]).all()
    closing = m["opening_balance"] + m["new_purchases"] + m["fees_billed"] - m["payments"] \
        - m["charge_offs"]
    assert closing.tolist() == m["receivables_balance"].tolist()


def test_every_re_aged_account_is_in_re_aged_at_the_month_end_of_its_re_age():
    """Without early-warning offers, a re-age cancels an overdue (or just missed) bill and
    bills nothing before the next statement, so at that month end the account is
    reported current and contractually past due: in ``re_aged``, and it came from
    another state."""
    config = small_config({"repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0},
                           "collections": {"hardship": {"request_prob": 0.5,
                                                        "income_drop": 0.0}}},
                          initial_borrowers=300, horizon_months=12)
    run = PathSimulation(config, 13, 0)
    seen: list[int] = []

    def check(sim_: PathSimulation):
        for month in range(sim_.months):
            yield sim_.env.timeout(month * DAYS_PER_MONTH + DAYS_PER_MONTH - 0.005
                                   - sim_.env.now)
            now = np.flatnonzero(sim_.platform.ledger.reaged_month[: sim_.n] == month)
            assert (sim_._last_bucket[now] == S["re_aged"]).all(), month
            seen.append(now.size)

    run.extra_processes.append(check)
    result = run.run()
    reages = result.monthly["hardship_enrolments"] + result.monthly["arrangement_reages"]
    assert seen == reages.tolist() and sum(seen) > 0
    entries = result.rolls[:, :, S["re_aged"]].sum(axis=1) \
        - result.rolls[:, S["re_aged"], S["re_aged"]]
    assert (entries >= np.array(seen)).all()


def test_the_rolls_command_prints_cures_apart_from_re_ages(tmp_path, capsys, monkeypatch):
    import sim.cli
    from sim.cli import main

    monkeypatch.setattr(sim.cli.console, "width", 200)
    sim.run(RISKY, paths=2, seed=1, out=tmp_path)
    run_id = next(p.name for p in tmp_path.iterdir())
    assert main(["rolls", run_id, "--runs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "by accounts" in out and "by balance" in out
    assert "re-age (not a cure)" in out and "1-30 dpd" in out
    assert "roll back" in out and "stay" in out and "roll forward" in out
    assert "n/a (no 12-month window closed)" in out  # a 10-month horizon
    assert "[n/a]" in out and "%, " not in out  # 2 paths cannot give a 5-95 % range
    # why 'roll back' and 'stay' are empty from 31 days on, and what the weights count
    flat = " ".join(out.split())
    assert "'roll back' and 'stay' are near 0" in flat and "account-months" in flat


def test_the_rolls_command_on_a_run_without_balance_rolls_exits_2(tmp_path, capsys):
    from conftest import stored_before_digests

    from sim.cli import main

    sim.run(RISKY, paths=1, seed=1, out=tmp_path)
    folder = next(tmp_path.iterdir())
    rolls = pd.read_parquet(folder / "rolls.parquet").drop(columns="balance")
    rolls.to_parquet(folder / "rolls.parquet", index=False)
    stored_before_digests(folder)  # as the runs of those versions were
    assert main(["rolls", str(folder)]) == 2
    assert "no 'balance' column" in capsys.readouterr().err


def test_the_rolls_command_on_a_run_without_re_default_columns_prints_its_tables(tmp_path,
                                                                                 capsys):
    """A run stored before the re-default columns stopped with 'rerun it' before its roll
    tables; the tables are whole without them, so they print, and a note says how to get
    the re-default rates, which the export leaves blank."""
    from conftest import stored_before_digests

    from sim.cli import main

    sim.run(RISKY, paths=1, seed=1, out=tmp_path)
    folder = next(tmp_path.iterdir())
    portfolio = pd.read_parquet(folder / "portfolio.parquet")
    gone = [c for c in portfolio if c.startswith("reaged_redefaulted_")]
    portfolio.drop(columns=[*gone, "reaged_window_closed"]).to_parquet(
        folder / "portfolio.parquet", index=False)
    stored_before_digests(folder)
    csv = tmp_path / "rolls.csv"
    assert main(["rolls", str(folder), "--csv", str(csv)]) == 0
    out, err = capsys.readouterr()
    assert "by accounts" in out and "by balance" in out and "re-aged accounts" not in out
    assert "was stored before the re-default rates were recorded" in " ".join(err.split())
    table = pd.read_csv(csv)
    redefault = [c for c in table if c.startswith("re-aged, ")]
    assert len(redefault) == 2 and table[redefault].isna().all().all()
