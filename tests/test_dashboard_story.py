"""Borrower stories: re-simulating one path reproduces the run's own trace exactly."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import small_config

import sim
from dashboard.story import StoryError, borrower_trace, story_events
from sim.config import load_config
from sim.reference.trace import notable_borrowers


def test_replayed_story_equals_the_trace_recorded_in_the_run():
    run = sim.run(small_config(), paths=2, seed=5, out=None, trace_ids=(7,))
    recorded = run.tables["trace"]
    recorded = recorded[recorded["path"] == 1].reset_index(drop=True)
    replay = borrower_trace(run.manifest, path=1, borrower=7)
    cols = [c for c in recorded.columns if c != "dpd"]
    pd.testing.assert_frame_equal(replay[cols], recorded[cols], check_dtype=False)
    assert (replay["dpd"] == recorded["dpd"].clip(lower=0)).all()
    assert (replay["t"] == replay["day"] / 30).all()


def _trace(rows: list[dict]) -> pd.DataFrame:
    base = {"event": "due_date", "income": 1000.0, "employed": True, "limit": 500.0,
            "dpd": 0, "active": True}
    out = pd.DataFrame([{**base, **r} for r in rows])
    out["t"] = out["day"] / 30
    return out


def test_story_events_are_the_turning_points():
    trace = _trace([
        {"day": 0},
        {"day": 30, "employed": False},
        {"day": 60, "dpd": 10, "limit": 300.0, "employed": False},
        {"day": 63, "event": "contact_sms", "dpd": 13, "limit": 300.0, "employed": False},
        {"day": 90, "dpd": 0, "limit": 300.0, "employed": True},
        {"day": 120, "dpd": 40, "limit": 300.0},
        {"day": 300, "dpd": 175, "limit": 300.0},
        {"day": 306, "event": "charge_off", "dpd": 0, "limit": 300.0, "active": False,
         "dpd_at_charge_off": 186},
    ])
    events = story_events(trace)
    assert list(zip(events["t"] * 30, events["kind"], strict=True)) == [
        (30, "job loss"), (60, "limit cut"), (63, "contact"), (90, "re-employment"),
        (90, "cure"), (306, "charge-off")]
    assert events.loc[events["kind"] == "contact", "label"].item() == "contact sms"
    assert events.loc[events["kind"] == "limit cut", "label"].item() == "limit 500 → 300"
    with_balance = trace.assign(balance=[0, 0, 300, 300, 0, 300, 312.5, 0])
    assert (story_events(with_balance).loc[lambda e: e["kind"] == "charge-off", "label"].item()
            == "charged off at 186 dpd: balance 312 written off")
    without = with_balance.drop(columns="dpd_at_charge_off")  # never the previous row's dpd
    assert (story_events(without).loc[lambda e: e["kind"] == "charge-off", "label"].item()
            == "charged off: balance 312 written off")


RISKY = {"name": "risky", "seed": 5,
         "book": {"initial_borrowers": 80, "new_borrowers_per_month": 2, "horizon_months": 12},
         "repayment": {"forget_prob": 0.3, "willingness_concentration": 2.0},
         "billing": {"chargeoff_dpd": 60}}


def test_a_charged_off_borrowers_story_gives_the_days_past_due_at_the_charge_off():
    """Not the days past due of the row before (the last contact, days earlier): the days
    from the oldest unpaid bill's due date to the charge-off's day."""
    manifest = {"config": RISKY, "seed": 1, "paths": 1}
    found = notable_borrowers(load_config(RISKY), 1, 0)
    who = found["charged off"][0]
    trace = borrower_trace(manifest, 0, who)
    i = trace.index[trace["event"] == "charge_off"].item()
    before = trace.loc[: i - 1]
    late = before[before["dpd"] > 0].iloc[-1]  # the oldest bill, due int(day) - dpd
    due = int(late["day"]) - int(late["dpd"])
    assert trace.loc[i, "dpd_at_charge_off"] == int(trace.loc[i, "day"]) - due >= 60
    assert before["dpd"].iloc[-1] < trace.loc[i, "dpd_at_charge_off"]  # not the last row's
    (label,) = story_events(trace).loc[lambda e: e["kind"] == "charge-off", "label"]
    assert label.startswith(f"charged off at {int(trace.loc[i, 'dpd_at_charge_off'])} dpd: ")


def test_a_missed_payment_and_its_cure_are_in_the_story():
    """A due date paying 0 of a 319 bill is a missed payment (late from the next day); a
    month later 638 is due and 0 paid (30 days past due); a payment on a collector's call
    clears both: a cure."""
    trace = _trace([
        {"day": 0, "event": "statement", "bill": 319.0},
        {"day": 20.5, "owed": 319.0, "paid": 0.0},
        {"day": 30, "event": "statement", "dpd": 10, "bill": 638.0},
        {"day": 50.5, "owed": 638.0, "paid": 0.0, "dpd": 30},
        {"day": 55.75, "event": "paid_on_contact", "paid": 638.0, "dpd": 0},
        {"day": 80.5, "owed": 319.0, "paid": 319.0},
    ])
    events = story_events(trace).query("kind != 'contact'")
    assert list(zip(events["t"] * 30, events["kind"], events["label"], strict=True)) == [
        (20.5, "missed payment", "319 due, 0 paid; past due from the next day"),
        (50.5, "missed payment", "638 due, 0 paid; 30 days past due"),
        (55.75, "cure", "paid 638, nothing left overdue, after 30 days past due")]


def test_hardship_asked_for_on_the_due_date_is_told_as_it_happened():
    """Enrolled right after missing the bill due that day (0 days past due: late only from
    the next day), the borrower asked for hardship on the day the bill fell due and could
    not pay it; not 'a plan agreed while current'. Away from a due date (the early-warning
    team's offer) the plan was offered before the due date."""
    trace = _trace([
        {"day": 0, "event": "statement", "contractual_dpd": 0, "balance": 600.0},
        {"day": 20.5, "owed": 319.0, "paid": 0.0, "contractual_dpd": 0, "balance": 600.0},
        {"day": 20.5, "event": "hardship", "contractual_dpd": 0, "balance": 600.0},
    ])
    (label,) = story_events(trace).loc[lambda e: e["kind"] == "hardship", "label"]
    assert label == ("asked for hardship on the day the bill fell due and could not be paid: "
                     "balance 600 restructured into a new plan, reported current; "
                     "contractually 0 days past due")
    offered = _trace([{"day": 0, "event": "statement", "balance": 600.0},
                      {"day": 15.5, "event": "hardship", "balance": 600.0}])
    (label,) = story_events(offered).loc[lambda e: e["kind"] == "hardship", "label"]
    assert label.startswith("offered a hardship plan before the due date (early warning)")
    kept = trace.assign(event=[*trace["event"].iloc[:2], "arrangement_reage"])
    (label,) = story_events(kept).loc[lambda e: e["kind"] == "arrangement re-age", "label"]
    assert label.startswith("re-aged after keeping up a collector's payment arrangement, on "
                            "the day a bill fell due and was not paid in full: ")


def test_a_re_age_is_a_hardship_event_never_a_cure():
    trace = _trace([
        {"day": 0, "contractual_dpd": 0},
        {"day": 70, "dpd": 60, "contractual_dpd": 60},
        {"day": 70.5, "event": "hardship", "dpd": 0, "contractual_dpd": 60, "balance": 450.0},
        {"day": 100, "dpd": 0, "contractual_dpd": 90, "balance": 300.0},
        {"day": 130, "dpd": 20, "contractual_dpd": 120, "balance": 300.0},
        {"day": 160, "dpd": 0, "contractual_dpd": 150, "balance": 150.0},
        {"day": 190, "dpd": 0, "contractual_dpd": 0, "balance": 0.0},
    ])
    events = story_events(trace)
    assert list(zip(events["t"] * 30, events["kind"], strict=True)) == [
        (70.5, "hardship"), (190, "hardship plan repaid")]
    assert events["label"].iloc[0] == ("asked for hardship at 60 days past due: balance 450 "
                                       "restructured into a new plan, reported current; "
                                       "contractually 60 days past due")


def test_a_re_aged_borrowers_story_shows_the_hardship_event():
    config = small_config({"collections": {"hardship": {"request_prob": 1.0,
                                                        "income_drop": 0.0}}})
    run = sim.run(config, paths=1, seed=5, out=None, trace_ids=tuple(range(300)))
    trace = run.tables["trace"]
    who = int(trace.loc[trace["event"] == "hardship", "borrower"].iloc[0])
    story = borrower_trace(run.manifest, path=0, borrower=who)
    events = story_events(story)
    row = story.index[story["event"] == "hardship"].item()
    when = story.loc[row, "t"]
    assert (events["kind"] == "hardship").sum() == 1
    assert not ((events["kind"] == "cure") & (events["t"] == when)).any()
    after = story.loc[row:]  # the re-age and on (a due date's row comes before its re-age)
    assert after["dpd"].iloc[0] == 0  # reported current at the re-age ...
    assert (after["contractual_dpd"] > after["dpd"]).any()  # ... not contractually
    assert after["re_aged"].all() and not story.loc[: row - 1, "re_aged"].any()
    assert (story["contractual_dpd"] >= story["dpd"]).all()


@pytest.mark.parametrize(("path", "borrower", "message"), [
    (10**6, 0, "path 1000000 is not in this run"), (-1, 0, "path -1"),
    (0, 10_000_000, "borrower 10000000 is not in this book")])
def test_out_of_range_requests_say_what_is_allowed(small_run, path, borrower, message):
    with pytest.raises(StoryError, match=message):
        borrower_trace(small_run.manifest, path, borrower)


def test_the_story_page_finds_borrowers_to_follow_by_outcome(small_run):
    """A teacher asked for a default got borrower 0, who is never late, and tried ids one
    by one: the page lists the lowest ids of each outcome on the path."""
    from dashboard.pages.story import example_items, story_link
    from dashboard.story import stored_examples
    from sim.reference.trace import OUTCOMES

    found = stored_examples(str(small_run.path), 0)
    assert list(found) == list(OUTCOMES) and any(found.values())
    items = example_items(found, 0, "RUN")
    assert _text(items[0]).startswith("charged off: ") and _text(items[-1]).startswith("Path 0:")
    ids = [who for ids in found.values() for who in ids]
    links = [c for item in items for c in item.children if hasattr(c, "href")]
    assert [(c.children, c.href) for c in links] == [
        (str(who), f"/story?a=RUN&path=0&borrower={who}") for who in ids]
    assert story_link("20261203-1 x", 2, 100) == "/story?a=20261203-1+x&path=2&borrower=100"
    assert _text(example_items({"charged off": []}, 3, "RUN")[0]) == (
        "charged off: none on this path")
    with pytest.raises(StoryError, match="path 99 is not in this run"):
        stored_examples(str(small_run.path), 99)


def _text(item) -> str:  # noqa: ANN001 - a dash html component
    """A component's text, its children's joined."""
    children = item.children if isinstance(item.children, list) else [item.children]
    return "".join(c if isinstance(c, str) else _text(c) for c in children)


def test_a_story_link_opens_on_its_borrower():
    """``/story?path=2&borrower=100`` fills the page's inputs (the story is then told as the
    page opens); anything that is not a whole number from 0 leaves the default, 0."""
    from dashboard.app import _query
    from dashboard.pages.story import QUERY, layout

    def inputs(search: str) -> tuple:
        page = layout(None, _query(search, QUERY))
        found = {}

        def walk(node) -> None:  # noqa: ANN001
            if getattr(node, "id", None) in ("story-path", "story-borrower"):
                found[node.id] = node.value
            children = getattr(node, "children", None)
            for child in children if isinstance(children, list) else [children]:
                if child is not None and not isinstance(child, str):
                    walk(child)

        walk(page)
        return found["story-path"], found["story-borrower"]

    assert inputs("?a=RUN&path=2&borrower=100") == (2, 100)
    assert inputs("") == inputs("?path=-1&borrower=1e9") == inputs("?borrower=" + "9" * 40) == (
        0, 0)
    assert inputs("?borrower=7&borrower=8") == (0, 7)


def test_the_story_lines_are_in_time_order_with_contacts_counted_in_words():
    """One contact is 'a collection contact'; a payment a contact brought is a payment, not
    a contact; a month's contacts come after the missed payment that started them."""
    from dashboard.pages.story import event_lines

    trace = _trace([
        {"day": 0, "event": "statement", "bill": 319.0},
        {"day": 20.5, "owed": 319.0, "paid": 0.0},
        {"day": 21.75, "event": "sms", "dpd": 1},
        {"day": 22.75, "event": "paid_on_contact", "paid": 0.04, "dpd": 2},
        {"day": 23.75, "event": "human", "dpd": 3},
        {"day": 30, "event": "statement", "dpd": 10, "bill": 638.0},
        {"day": 40.75, "event": "sms", "dpd": 20},
    ])
    assert event_lines(story_events(trace)) == [
        "month 0.7: missed payment (319 due, 0 paid; past due from the next day)",
        "month 0.7: 2 collection contacts from then to month 1 (sms 1, human 1)",
        "month 0.8: payment to collections (paid on a collection contact: 0.04)",
        "month 1.4: 1 collection contact from then to month 2 (sms 1)"]



def test_a_stored_story_is_the_replayed_trace_and_its_events_in_time_order(small_run):
    """A run without a deal: the trace :func:`borrower_trace` replays and the story's own
    events, with their float times; a borrower outside the book is refused."""
    from dashboard.story import stored_story

    trace, events = stored_story(str(small_run.path), 1, 3)
    pd.testing.assert_frame_equal(trace, borrower_trace(small_run.manifest, path=1, borrower=3))
    pd.testing.assert_frame_equal(events, story_events(trace))
    assert events["t"].dtype == float and events["t"].is_monotonic_increasing
    with pytest.raises(StoryError, match="not in this book"):
        stored_story(str(small_run.path), 1, 10**7)


def test_the_story_says_what_the_deal_held_of_the_account_and_when_its_loss_hit_the_pool():
    from dashboard.story import deal_events

    trace = _trace([{"day": 0}, {"day": 700}])
    held = {"cutoff_month": 12, "cutoff_share": 0.62, "ended_period": None,
            "charge_off": (25, 0.5, 1000.0)}
    events = deal_events(held, trace)
    assert list(zip(events["t"], events["kind"], events["label"], strict=True)) == [
        (12.0, "deal cut-off", "62% of this account's principal sold to the securitisation "
                               "vehicle"),
        (26.0, "loss to the deal", "the vehicle's 50% of the principal written off (500) is "
                                   "in the pool's defaults of deal period 14, paid at the end "
                                   "of month 25")]
    ended = deal_events({**held, "ended_period": 10}, trace)
    assert ended["label"].iloc[1].startswith("the deal ended in period 10 (paid at the end of "
                                             "month 21): this loss no longer touches the notes")
    assert deal_events({**held, "charge_off": (8, 0.0, 10.0)}, trace)["kind"].tolist() == [
        "deal cut-off"]  # charged off before the cut-off: no part of the deal
    assert deal_events(None, trace).empty


def test_the_vehicles_share_of_a_charge_off_is_in_its_periods_defaults():
    """A charged-off account the vehicle held: its share of the principal written off is in
    the pool's defaults of period month + 1 - cutoff_month (paid at that month's end)."""
    from conftest import SMALL_DEAL

    from sim.engine import simulate_path
    from sim.reference.trace import collector_call_days, vehicle_holding

    config = load_config(small_config(SMALL_DEAL))
    pool = simulate_path(config, 5, 0).pool
    for who in notable_borrowers(config, 5, 0, each=40)["charged off"]:
        held = vehicle_holding(config, 5, 0, who)
        assert held is not None and 0 <= (held["cutoff_share"] or 0) <= 1
        # the same path gives the replay's call days: the vehicle changes no borrower's life
        assert held["call_days"] == collector_call_days(config, 5, 0, who)
        month, share, principal = held["charge_off"]
        if share > 0 and month + 1 - held["cutoff_month"] >= 1:
            period = month + 1 - held["cutoff_month"]
            defaults = pool["defaults"][pool["period"] == period].item()
            assert defaults >= share * principal - 0.01
            return
    pytest.skip("no charged-off account held by the vehicle among those looked at")


def test_the_vehicles_share_at_the_cutoff_is_read_as_a_process_at_that_time_reads_it():
    """The probe at the cut-off (the ladder kept in compiled spans) reads the fraction a
    SimPy process reading at the same time reads (the ladder then runs day by day)."""
    from conftest import SMALL_DEAL

    from sim.engine import PathSimulation
    from sim.ledger import DAYS_PER_MONTH
    from sim.reference.trace import vehicle_holding

    config = load_config(small_config(SMALL_DEAL))
    at = config.deal.cutoff_month * DAYS_PER_MONTH + 0.001
    read: list[float] = []
    for who in (0, 3, 7):
        simulation = PathSimulation(config, 5, 0)

        def process(sim, who=who):  # noqa: ANN001, ANN202 - a SimPy process
            yield sim.env.timeout(at)
            read.append(float(sim.spv.share[who]))

        simulation.extra_processes.append(process)
        simulation.run()
        assert vehicle_holding(config, 5, 0, who)["cutoff_share"] == read[-1]
    assert max(read) > 0  # the vehicle bought some of them
