"""collections.arrangements: a kept arrangement holds termination off; termination ends it."""

from __future__ import annotations

from sim.config import deep_merge, load_config
from sim.delinquency import DAYS_PER_MONTH
from sim.engine import PathSimulation
from sim.shipped import resolve_config

SMALL = {"book": {"initial_borrowers": 1500, "new_borrowers_per_month": 30,
                  "horizon_months": 18}, "deal": None}


def _config(**arrangements: bool):  # noqa: ANN202
    raw = load_config(resolve_config("configs/baseline.yaml")).model_dump(mode="json")
    return load_config(deep_merge(deep_merge(raw, SMALL),
                                  {"collections": {"arrangements": arrangements}}))


class _Watched(PathSimulation):
    """Records, at each statement, the accounts a kept arrangement held and what became of
    them, and the arrangements running on terminated contracts after it."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.held_at_threshold = 0  # held accounts that had reached the threshold
        self.held_terminated = 0  # ... and were terminated all the same
        self.running_on_terminated = 0

    def on_month_start(self, m: int) -> None:
        n0 = self.n
        held = self.collections.termination_held(m, n0)
        before = self.platform.accelerated[:n0].copy()
        super().on_month_start(m)
        ledger = self.platform.ledger
        if held is not None:
            # the statement's day: days past due as the statement counted them
            dpd = ledger.days_past_due(m * DAYS_PER_MONTH, n0)
            due = held & (dpd >= self.config.billing.acceleration_dpd) & ~before
            self.held_at_threshold += int(due.sum())
            self.held_terminated += int((due & self.platform.accelerated[:n0]).sum())

    def on_due_date(self, m: int) -> None:
        # arrangements the collectors agreed since the statement count here too
        n = self.n
        running = self.pool.arrangement_until[:n] >= m
        self.running_on_terminated += int((running & self.platform.accelerated[:n]).sum())
        super().on_due_date(m)


def _watch(**arrangements: bool) -> _Watched:
    sim = _Watched(_config(**arrangements), 11, 0)
    sim.run()
    return sim


def test_a_kept_arrangement_holds_termination_off() -> None:
    held = _watch(hold_termination_while_kept=True)
    assert held.held_at_threshold > 0  # the rule had accounts to act on
    assert held.held_terminated == 0


def test_the_hold_is_on_in_the_shipped_configs_and_can_be_switched_off() -> None:
    assert _Watched(_config(), 11, 0).collections.termination_held(0, 10) is not None
    off = _Watched(_config(hold_termination_while_kept=False), 11, 0)
    assert off.collections.termination_held(0, 10) is None


def test_termination_ends_an_arrangement_and_none_is_offered_after() -> None:
    # without the rule arrangements outlive termination; the shipped configs end them
    assert _watch(end_at_termination=False).running_on_terminated > 0
    assert _watch().running_on_terminated == 0
