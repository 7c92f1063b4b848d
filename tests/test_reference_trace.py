"""One borrower's story from the reference engine: replayed alone, only their own events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim.cli
import sim.reference
from dashboard.story import StoryError, borrower_trace
from sim.cli import main
from sim.config import deep_merge, load_config, with_overrides
from sim.engine import simulate_path
from sim.reference import simulate_reference, trace_borrower
from sim.shipped import resolve_config
from tests.helpers_engine import risky_config

RISKY = risky_config()
EVERYONE = tuple(range(80))


@pytest.fixture(scope="module")
def book_run():
    return simulate_reference(RISKY, 1, 0, EVERYONE)


@pytest.fixture(scope="module")
def book_trace(book_run) -> pd.DataFrame:
    return pd.DataFrame(book_run.trace)


def test_a_replayed_borrower_lives_the_life_they_live_in_the_whole_book(book_run, book_trace):
    # the team's capacity binds (borrowers wait for a call): replay must get the calls right
    assert (book_run.monthly["queue_wait_days"] > 0).any()
    called = set(book_trace.loc[book_trace["event"] == "human", "borrower"])
    for borrower in [*sorted(called)[:4], 1, 2, 3]:
        alone = pd.DataFrame(trace_borrower(RISKY, 1, 0, borrower))
        whole = book_trace[book_trace["borrower"] == borrower].reset_index(drop=True)
        assert whole.drop(columns=alone.columns).isna().all().all()  # others' amounts
        pd.testing.assert_frame_equal(alone, whole[alone.columns])


def test_a_storys_balance_moves_only_by_what_its_rows_say(book_trace):
    """Between two rows of a borrower the balance moves by the later row's purchase, fees
    (a statement's ``fee``), payment (``paid``) and charge-off (``written_off``), nothing
    else: a teacher's class can add the story up (a 1,374 purchase stood at 1,382 at the
    next statement with no fee shown)."""
    amounts = book_trace.reindex(columns=[*book_trace.columns, "written_off"])
    amounts = amounts.loc[:, ~amounts.columns.duplicated()]
    for col in ("purchase", "fee", "paid", "written_off"):
        amounts[col] = amounts[col].fillna(0.0)
    checked = charged_off = 0
    for _, story in amounts.groupby("borrower"):
        before = story["balance"].shift()
        moved = story["purchase"] + story["fee"] - story["paid"] - story["written_off"]
        gap = (story["balance"] - before - moved).iloc[1:]
        assert gap.abs().max() < 0.005, story.loc[gap.abs().idxmax()]
        checked += gap.size
        charge_off = story[story["event"] == "charge_off"]
        charged_off += len(charge_off)
        assert (charge_off["written_off"] > 0).all() and (charge_off["balance"] == 0).all()
    assert checked > 2_000 and charged_off >= 3
    assert (amounts.loc[amounts["event"] == "statement", "fee"] > 0).any()


def test_a_due_dates_row_says_what_was_due_and_a_missed_one_is_marked(book_trace):
    """What is due at a due date (``owed``) is the statement's bill less what collections
    took since; a due date paying less is a missed payment, and past due from the next day
    (so reported at 0 days past due on the day when the bill was the only one unpaid)."""
    from sim.reference.trace import missed_and_cured

    checked = missed_seen = late_from_tomorrow = 0
    for _, story in book_trace.groupby("borrower"):
        story = story.reset_index(drop=True)
        missed, cured = missed_and_cured(story)
        for i in story.index[story["event"] == "due_date"]:
            statement = story.loc[: i - 1][story.loc[: i - 1, "event"] == "statement"]
            if statement.empty:
                continue
            j = statement.index[-1]
            since = story.loc[j + 1: i - 1, "paid"].fillna(0.0).sum() if "paid" in story else 0
            assert story.loc[i, "owed"] == pytest.approx(story.loc[j, "bill"] - since, abs=0.005)
            checked += 1
            assert missed[i] == (story.loc[i, "paid"] < story.loc[i, "owed"])
            missed_seen += missed[i]
            late_from_tomorrow += missed[i] and story.loc[i, "dpd"] == 0
        assert not (missed & (story["event"] != "due_date").to_numpy()).any()
        assert (story.loc[cured, "dpd"] == 0).all()
        assert story.loc[cured, "event"].isin(["due_date", "paid_on_contact",
                                               "promise_kept"]).all()
    assert checked > 500 and missed_seen > 20 and late_from_tomorrow > 10


def test_the_borrowers_worth_a_story_are_what_their_stories_show(book_trace):
    """trace --examples lists borrowers by outcome from the vectorised engine; each one's
    story (the reference engine's) shows that outcome, and every borrower has one."""
    from sim.reference.trace import OUTCOMES, notable_borrowers

    found = notable_borrowers(RISKY, 1, 0, each=len(EVERYONE))
    story = book_trace.groupby("borrower")
    charged = {b for b, t in story if (t["event"] == "charge_off").any()}
    reaged = {b for b, t in story if t["re_aged"].any()} - charged
    called = {b for b, t in story if (t["event"] == "human").any()} - charged - reaged
    onboarded = set(book_trace["borrower"])
    expected = (charged, reaged, called, onboarded - charged - reaged - called)
    assert list(found) == list(OUTCOMES)
    for outcome, ids in zip(OUTCOMES, expected, strict=True):
        assert set(found[outcome]) & set(EVERYONE) == ids, outcome  # those traced
    assert all(found.values())  # the risky book has all four
    assert notable_borrowers(RISKY, 1, 0, each=2)["charged off"] == sorted(charged)[:2]


def test_charge_off_and_hardship_rows_only_for_the_borrower_they_happen_to(book_trace):
    t = book_trace
    charged = set(t.groupby("borrower")["active"].last().pipe(lambda a: a.index[~a]))
    rows = t[t["event"] == "charge_off"]
    assert charged and len(charged) < 80
    assert sorted(rows["borrower"]) == sorted(charged) and not rows["active"].any()
    hardship = t[t["event"] == "hardship"]
    assert 0 < hardship["borrower"].nunique() == len(hardship) < 80
    for r in hardship.itertuples(index=False):
        before = t[(t["borrower"] == r.borrower) & (t["day"] < r.day)]
        assert not before["re_aged"].any() and r.re_aged and r.dpd == 0


def test_a_purchase_row_only_when_the_borrower_bought_something(book_trace):
    """A trace shows what happened: no purchase of 0 (a month without buying has no row)."""
    t = book_trace
    bought = t[t["event"] == "purchase"]
    assert len(bought) > 0 and (bought["purchase"] > 0).all()
    months = t[t["event"] == "statement"].groupby("borrower").size()
    assert bought.groupby("borrower").size().reindex(months.index, fill_value=0).lt(months).any()


def test_contacts_only_while_the_borrower_is_past_due(book_trace):
    routine = {"statement", "due_date", "purchase", "charge_off", "hardship",
               "arrangement_reage",
               "paid_on_contact", "promise_kept", "recovery", "debt_sale"}
    contacts = book_trace[~book_trace["event"].isin(routine)]
    assert len(contacts) > 0
    assert (contacts["dpd"] >= 1).all() and contacts["active"].all()
    assert (contacts["day"] % 1 == 0.75).all()  # the day's collection run


def test_one_borrower_traced_alone_shows_only_their_own_charge_off(book_trace):
    charged = book_trace.query("event == 'charge_off'")["borrower"].tolist()
    spared = next(b for b in EVERYONE if b not in charged)
    for borrower, expected in ((charged[0], 1), (spared, 0)):
        one = pd.DataFrame(trace_borrower(RISKY, 1, 0, borrower))
        assert set(one["borrower"]) == {borrower}
        assert (one["event"] == "charge_off").sum() == expected
        open_months = one[one["active"]]  # one statement a month while the account is open
        assert (open_months.groupby("month")["event"].apply(lambda e: (e == "statement").sum())
                == 1).all()


AFTER_CHARGE_OFF = {"recovery", "debt_sale"}


def test_after_charge_off_a_story_shows_only_what_the_closed_account_brings_in(book_trace):
    """The account is closed: no statement, due date or contact after the charge-off, only
    its recoveries (cash from the borrower, by the lag curve)."""
    t = book_trace
    seen = 0
    for borrower, day in t.loc[t["event"] == "charge_off", ["borrower", "day"]].itertuples(
            index=False):
        after = t[(t["borrower"] == borrower) & (t["day"] > day)]
        assert set(after["event"]) <= AFTER_CHARGE_OFF, set(after["event"])
        assert not after["active"].any() and (after["balance"] == 0).all()
        seen += len(after)
    assert seen > 0 and (t.loc[t["event"] == "recovery", "recovered"] > 0).all()


def test_the_recoveries_in_the_stories_add_up_to_the_books():
    """Every borrower traced: each month's recovery rows add up to the book's recoveries,
    to a cent per account charged off (the book rounds each month's cohort as a whole)."""
    run = simulate_reference(RISKY, 1, 0, tuple(range(RISKY.capacity)))
    t = pd.DataFrame(run.trace)
    told = t.groupby("month")["recovered"].sum().reindex(range(12), fill_value=0.0)
    booked = run.monthly["recoveries"] / 100.0
    charged = (t[t["event"] == "charge_off"].groupby("month").size()
               .reindex(range(12), fill_value=0).cumsum().to_numpy())
    assert booked.sum() > 0 and charged[-1] > 1
    assert (abs(told.to_numpy() - booked) <= 0.01 * (charged + 1) + 1e-9).all()


def test_a_sold_debt_ends_the_story_with_its_sale():
    config = RISKY.model_copy(update={"collections": RISKY.collections.model_copy(update={
        "debt_sale": RISKY.collections.debt_sale.model_copy(update={
            "enabled": True, "months_after_chargeoff": 2})})})
    t = pd.DataFrame(simulate_reference(config, 1, 0, EVERYONE).trace)
    sold = t[t["event"] == "debt_sale"]
    assert len(sold) > 0 and (sold["sale_proceeds"] > 0).all()
    for r in sold.itertuples(index=False):
        later = t[(t["borrower"] == r.borrower) & (t["day"] > r.day)]
        assert later.empty  # sold: the platform recovers nothing more from this borrower
        off = t[(t["borrower"] == r.borrower) & (t["event"] == "charge_off")]
        assert r.month - off["month"].iloc[0] == 2


def test_the_trace_command_tells_the_reference_engines_story(tmp_path, monkeypatch, capsys):
    path = tmp_path / "risky.yaml"
    path.write_text(
        "name: risky\nseed: 5\nbook: {initial_borrowers: 80, new_borrowers_per_month: 2, "
        "horizon_months: 12}\nrepayment: {forget_prob: 0.3, willingness_concentration: 2.0}\n"
        "billing: {chargeoff_dpd: 60}\n")
    asked = []
    real = sim.reference.trace_borrower

    def spy(config, seed, path, borrower, **kw):
        asked.append((seed, path, borrower))
        return real(config, seed, path, borrower, **kw)

    monkeypatch.setattr(sim.reference, "trace_borrower", spy)
    monkeypatch.setattr(sim.cli.console, "width", 250)  # room for every column
    assert main(["trace", str(path), "--borrower", "4", "--seed", "9"]) == 0
    out = capsys.readouterr().out
    assert asked == [(9, 0, 4)]
    assert "borrower 4" in out and "statement" in out and "due_date" in out


def test_the_trace_table_shows_cents_of_small_amounts_and_says_what_its_columns_are():
    """A recovery of 0.04 printed as 'recovered 0' looked like nothing recovered; the
    columns' meaning (negative savings are debts elsewhere) is under the table."""
    from sim.cli import TRACE_CAPTION, _fmt

    assert [_fmt(v, "recovered") for v in (0.04, 0.0, 12.4, -0.5)] == ["0.04", "0", "12",
                                                                      "-0.50"]
    assert _fmt(20.5, "day") == "20.50"
    assert "savings below 0: debts elsewhere" in TRACE_CAPTION


def test_the_trace_legend_names_only_the_columns_the_table_has():
    """It named a 'sale proceeds' column on every trace, which has one only when the debt
    was sold."""
    from sim.cli import trace_caption

    kept = ["day", "event", "bill", "fee", "owed", "paid", "written_off", "dpd_at_charge_off",
            "recovered"]
    assert "recovered: what the closed account brought in." in trace_caption(kept)
    assert "sale proceeds" not in trace_caption(kept)
    sold = trace_caption([*kept, "sale_proceeds"])
    assert "recovered, sale proceeds: what the closed account brought in." in sold
    young = trace_caption(["day", "event", "bill", "fee", "owed", "paid"])
    assert "written off" not in young and "recovered" not in young and "owed, paid" in young


def test_the_trace_command_prints_no_statement_after_the_charge_off(tmp_path, monkeypatch,
                                                                   capsys):
    path = tmp_path / "risky.yaml"
    path.write_text(
        "name: risky\nseed: 5\nbook: {initial_borrowers: 80, new_borrowers_per_month: 2, "
        "horizon_months: 12}\nrepayment: {forget_prob: 0.3, willingness_concentration: 2.0}\n"
        "billing: {chargeoff_dpd: 60}\n")
    whole = pd.DataFrame(simulate_reference(load_config(str(path)), 5, 0, EVERYONE).trace)
    borrower = int(whole.loc[whole["event"] == "charge_off", "borrower"].iloc[0])
    monkeypatch.setattr(sim.cli.console, "width", 250)
    assert main(["trace", str(path), "--borrower", str(borrower)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if " charge_off " in line)
    after = [line.split("│")[2].strip() for line in lines[at + 1:] if line.startswith("│")]
    assert "recovery" in after and set(after) <= AFTER_CHARGE_OFF
    assert "recovered" in "".join(lines[:at])  # the column's header
    assert "debts elsewhere" in "".join(lines[at:])  # the legend under the table
    legend = " ".join(line.strip() for line in lines[at:])
    assert ("sale proceeds" in legend) == ("sale" in "".join(lines[:at]))  # as its columns


def test_the_dashboard_story_is_the_reference_engines_trace():
    manifest = {"config": RISKY.model_dump(mode="json"), "seed": 1, "paths": 2}
    story = borrower_trace(manifest, path=1, borrower=5)
    own = pd.DataFrame(trace_borrower(RISKY, 1, 1, 5))
    assert story["day"].tolist() == own["day"].tolist()
    assert story["balance"].tolist() == own["balance"].tolist()
    assert (story["t"] == story["day"] / 30).all()


def test_a_run_with_a_field_experiment_cannot_be_replayed_and_says_why():
    raw = RISKY.model_dump(mode="json")
    raw["experiment"] = {"enabled": True}
    manifest = {"config": raw, "seed": 1, "paths": 1}
    with pytest.raises(StoryError, match="experiment.enabled"):
        borrower_trace(manifest, path=0, borrower=1)


def test_a_borrower_outside_the_book_is_refused():
    with pytest.raises(ValueError, match="choose 0 to 101"):
        trace_borrower(RISKY, 1, 0, 102)


def test_with_early_warning_replay_follows_the_whole_book_until_the_model_is_fitted():
    config = load_config({
        "name": "warned", "seed": 5,
        "book": {"initial_borrowers": 200, "new_borrowers_per_month": 4, "horizon_months": 10},
        "early_warning": {"enabled": True, "fit_months": 4, "threshold": 0.03,
                          "action": "limit_cut"},
        "collections": {"collectors": {"count": 1, "calls_per_day": 3}}})
    ids = tuple(range(0, 200, 20))
    whole = simulate_reference(config, 2, 0, ids)
    assert whole.monthly["ew_flagged"][4:].sum() > 0  # the model acts after its fit
    book = pd.DataFrame(whole.trace)
    cut = set()
    for borrower in ids:
        alone = pd.DataFrame(trace_borrower(config, 2, 0, borrower))
        own = book[book["borrower"] == borrower].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone, own)
        if (alone["month"] >= 4).any() and alone["limit"].diff().lt(0).any():
            cut.add(borrower)
    assert cut  # some replayed borrowers had their limit cut after the fit


# -- every payment is in the trace ------------------------------------------------------------
def shipped(base: str, **override: dict) -> object:
    """A shipped config on a small book (no vehicle), with ``override`` merged in."""
    raw = load_config(resolve_config(f"configs/{base}.yaml")).model_dump(mode="json")
    small = {"book": {"initial_borrowers": 240, "new_borrowers_per_month": 6,
                      "horizon_months": 12}, "deal": None}
    return load_config(deep_merge(deep_merge(raw, small), override))


PAYING = {
    "risky": RISKY,
    "baseline": shipped("baseline"),
    "early_human": shipped("early_human"),
    "whole_bills_only_in_recession": shipped("recession", repayment={"partial_payments": False}),
}


def unexplained_balance_moves(trace: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``trace`` whose balance moved by more or less than the row says.

    Between one row of a borrower and the next the balance moves only by what the later row
    records: up by its ``purchase``, down by its ``paid``; statements add fees (never less),
    a charge-off writes the balance off (to 0). Money in cents, so the test is exact.
    """
    t = trace.copy()
    cents = (t["balance"] * 100).round().astype(np.int64)
    moved = cents - cents.groupby(t["borrower"]).shift(fill_value=0)
    said = sum(((t[c] if c in t else 0.0) * 100).fillna(0.0).round().astype(np.int64) * sign
               for c, sign in (("purchase", 1), ("paid", -1)))
    event = t["event"]
    wrong = np.where(event == "statement", (moved < 0) | (said != 0),
                     np.where(event == "charge_off", cents != 0, moved != said))
    return t.assign(moved=moved / 100, said=said / 100)[wrong]


@pytest.mark.parametrize("name", list(PAYING))
@pytest.mark.parametrize("engine", [simulate_path, simulate_reference],
                         ids=["vectorised", "reference"])
def test_every_payment_a_traced_borrower_makes_is_in_their_trace(name, engine):
    """The ``paid`` of the rows add up to everything that paid the balance down: at due
    dates, on a collection contact, on a kept promise."""
    config = PAYING[name]
    ids = tuple(range(0, config.book.initial_borrowers, 2))
    trace = pd.DataFrame(engine(config, 3, 0, ids).trace)
    assert trace["borrower"].nunique() == len(ids)
    wrong = unexplained_balance_moves(trace)
    cols = ["borrower", "day", "event", "balance", "moved", "said"]
    assert wrong.empty, wrong[cols].head(10).to_string()
    collected = trace[trace["event"].isin(["paid_on_contact", "promise_kept"])]
    assert set(collected["event"]) == {"paid_on_contact", "promise_kept"}
    assert (collected["paid"] > 0).all() and (collected["day"] % 1 > 0.7).all()


def test_traces_stored_with_a_run_tell_a_closed_accounts_recoveries_as_the_tracer_does():
    """The vectorised engine's traces (``trace_ids`` of a run) give a charged-off account the
    same recovery and debt-sale rows, with the same cents, as the reference engine."""
    for config in (RISKY, with_overrides(RISKY, {"collections": {"debt_sale": {
            "enabled": True, "months_after_chargeoff": 2}}})):
        ids = tuple(range(config.capacity))
        v = pd.DataFrame(simulate_path(config, 1, 0, ids).trace)
        r = pd.DataFrame(simulate_reference(config, 1, 0, ids).trace)
        events = ["recovery", "debt_sale"]
        mine, theirs = (t[t["event"].isin(events)].reset_index(drop=True) for t in (v, r))
        assert len(theirs) > 0 and (theirs["event"] == events[0]).any()
        pd.testing.assert_frame_equal(mine[theirs.columns], theirs, check_dtype=False)
    assert (theirs["event"] == "debt_sale").any()


def test_a_sudden_expense_is_on_its_months_statement_in_both_engines_and_in_the_story():
    """The month's sudden expense (``income.expense_shock_prob``) is on its statement's row,
    the same in both engines; the story marks it. Without income shocks there is none."""
    from dashboard.story import story_events

    ids = tuple(range(RISKY.capacity))
    v = pd.DataFrame(simulate_path(RISKY, 1, 0, ids).trace)
    r = pd.DataFrame(simulate_reference(RISKY, 1, 0, ids).trace)
    statements = [t[t["event"] == "statement"].reset_index(drop=True) for t in (v, r)]
    pd.testing.assert_frame_equal(statements[0][["borrower", "day", "expense"]],
                                  statements[1][["borrower", "day", "expense"]])
    hit = statements[1]["expense"] > 0
    share = RISKY.income.expense_shock_prob
    assert hit.sum() > 0 and abs(hit.mean() - share) < 4 * np.sqrt(share / hit.size)
    assert r.loc[r["event"] != "statement", "expense"].isna().all()  # only a statement's
    who = int(statements[1].loc[hit.idxmax(), "borrower"])
    mine = r[r["borrower"] == who].reset_index(drop=True)
    events = story_events(mine.assign(t=mine["day"] / 30))
    expense = statements[1].loc[hit & (statements[1]["borrower"] == who), "expense"]
    assert [label for label in events.loc[events["kind"] == "sudden expense", "label"]] == [
        f"{x:,.0f} out of savings" for x in expense]
    calm = with_overrides(RISKY, {"income": {"shocks": False}})
    quiet = pd.DataFrame(simulate_reference(calm, 1, 0, ids).trace)
    assert (quiet.loc[quiet["event"] == "statement", "expense"] == 0).all()


@pytest.mark.parametrize("call", [True, False])
def test_the_deal_ends_in_the_period_its_waterfall_winds_it_up(call):
    """``vehicle_holding``'s ``ended_period`` is the period of the waterfall's clean-up call
    or legal final period (from 1): active in it, not after it. Without a call the deal
    runs to its legal final period, the horizon's last."""
    from conftest import SMALL_DEAL

    from sim.reference.trace import vehicle_holding

    deal = {**SMALL_DEAL["deal"], **({} if call else {"clean_up_call": None})}
    config = load_config(deep_merge(RISKY.model_dump(mode="json"), {
        "book": {"initial_borrowers": 300, "new_borrowers_per_month": 10,
                 "horizon_months": 30}, "deal": deal}))
    flags = simulate_path(config, 5, 0).waterfall.deal
    ended = vehicle_holding(config, 5, 0, 0)["ended_period"]
    active = flags["active"][0].astype(bool)
    assert ended is not None and active[ended - 1] and not active[ended:].any()
    assert flags["call_exercised" if call else "legal_final"][0][ended - 1]
    if not call:
        assert ended == len(active) == 30 - deal["cutoff_month"]


def test_a_watched_borrowers_call_days_are_those_a_day_by_day_trace_shows():
    """The collectors' call days logged while the ladder runs in compiled spans are the
    days of the ``human`` rows of a trace, which runs the ladder day by day; the queue binds
    (RISKY's one collector makes three calls a day), so a call day depends on the book."""
    from sim.engine import PathSimulation
    from sim.reference.trace import collector_call_days

    book = PathSimulation(RISKY, 1, 0)
    result = book.run()
    assert (result.monthly["queue_wait_days"] > 0).any()
    called = np.flatnonzero(book.collections.human_ever[:book.n]).tolist()
    book.release()
    assert len(called) >= 5
    for who in called[:5] + [79]:
        traced = simulate_path(RISKY, 1, 0, (who,)).trace
        days = frozenset(int(r["day"]) for r in traced if r["event"] == "human")
        assert collector_call_days(RISKY, 1, 0, who) == days
        assert days or who == 79
