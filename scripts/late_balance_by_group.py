"""Who holds each delinquency bucket's balance, and what it does by the next month end.

One path of a config is run with a snapshot of every account at each month end (reported
days past due as :mod:`sim.delinquency` defines them, balance, open or closed) and of its
borrower (employed, savings below zero, a collector's arrangement running). Accounts are
grouped by their borrower's state at the month end:

- ``unemployed``;
- ``employed_arrangement``: employed, under a collector's repayment arrangement;
- ``employed_in_debt``: employed, no arrangement, savings below zero (debts elsewhere);
- ``employed``: employed, no arrangement, savings of zero or more.

For each bucket from 1-30 days on and each group, the table gives the group's share of the
bucket's balance, the share of its accounts and of its balance that rolled on (to a later
bucket or to charge-off) by the next month end, the share of the rolled balance still owed
there ("kept"; charge-off keeps all of it), and the share of its accounts back to current
(cured or re-aged). Months before :data:`sim.metrics.SEASONED_MONTH` are left out.

Usage::

    python scripts/late_balance_by_group.py [CONFIG] [--book quick|full|config] [--path 0]
        [--seed 20261122] [--set '{"spending": {"stress_multiplier": 1.0}}'] [--csv FILE]

``--book quick`` (the default) and ``full`` are the validation books of
:mod:`sim.validation.facts`; ``config`` keeps the config's own book.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.config import RunConfig, load_config, with_overrides  # noqa: E402
from sim.delinquency import BUCKETS, DAYS_PER_MONTH, bucket_of  # noqa: E402
from sim.engine import PathSimulation  # noqa: E402
from sim.metrics import SEASONED_MONTH  # noqa: E402

GROUPS = ("unemployed", "employed_arrangement", "employed_in_debt", "employed")
CHARGED_OFF = len(BUCKETS)  # the state code of an account closed by charge-off


class _Snapshots(PathSimulation):
    """A path that keeps one row per onboarded account at every month end."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.rows: list[pd.DataFrame] = []

    def on_month_end(self, m: int) -> None:
        super().on_month_end(m)
        n, ledger, pool = self.n, self.platform.ledger, self.pool
        dpd = ledger.days_past_due((m + 1) * DAYS_PER_MONTH, n)
        employed = pool.employed[:n]
        arrangement = pool.arrangement_until[:n] >= m
        in_debt = pool.savings[:n] < 0
        group = np.select([~employed, arrangement, in_debt], [0, 1, 2], default=3)
        self.rows.append(pd.DataFrame({
            "month": m, "account": np.arange(n), "bucket": bucket_of(dpd),
            "balance": ledger.outstanding[:n] / 100.0, "open": self.platform.active[:n].copy(),
            "group": group}))


def transitions(config: RunConfig, seed: int, path: int) -> pd.DataFrame:
    """Each open delinquent account's month end joined to its state a month later.

    Returns:
        One row per account and month (months from ``SEASONED_MONTH`` on, the last month
        left out): ``bucket`` and ``bucket_next`` (index into :data:`sim.delinquency.BUCKETS`;
        ``bucket_next`` is ``len(BUCKETS)`` once charged off), ``balance`` and
        ``balance_next`` (currency units; the charged-off balance is kept), ``group`` (index
        into :data:`GROUPS`).
    """
    sim = _Snapshots(config, seed, path)
    sim.run()
    snaps = pd.concat(sim.rows, ignore_index=True)
    nxt = snaps[["month", "account", "bucket", "balance", "open"]].copy()
    nxt["month"] -= 1
    joined = snaps.merge(nxt, on=["month", "account"], suffixes=("", "_next"))
    joined = joined[(joined["month"] >= SEASONED_MONTH) & joined["open"]
                    & (joined["bucket"] >= 1)].copy()
    gone = ~joined["open_next"].astype(bool)
    joined.loc[gone, "bucket_next"] = CHARGED_OFF
    joined.loc[gone, "balance_next"] = joined.loc[gone, "balance"]
    return joined.drop(columns=["open", "open_next"])


def by_group(moves: pd.DataFrame) -> pd.DataFrame:
    """The table of the module docstring from :func:`transitions`' rows.

    Returns:
        One row per bucket (1-30 days on) and group present, columns ``bucket``, ``group``,
        ``balance_share``, ``accounts_rolled``, ``balance_rolled``, ``kept``, ``back_current``
        (shares between 0 and 1; ``kept`` is NaN when nothing rolled).
    """
    out = []
    for b, in_bucket in moves.groupby("bucket"):
        total = in_bucket["balance"].sum()
        for g, x in in_bucket.groupby("group"):
            rolled = x["bucket_next"] > x["bucket"]
            balance = x["balance"].sum()
            out.append({
                "bucket": BUCKETS[int(b)], "group": GROUPS[int(g)],
                "balance_share": balance / total if total > 0 else np.nan,
                "accounts_rolled": float(rolled.mean()),
                "balance_rolled": x.loc[rolled, "balance"].sum() / balance if balance > 0
                else np.nan,
                "kept": (x.loc[rolled, "balance_next"].sum() / x.loc[rolled, "balance"].sum()
                         if x.loc[rolled, "balance"].sum() > 0 else np.nan),
                "back_current": float((x["bucket_next"] == 0).mean())})
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config", nargs="?", type=Path,
                        default=Path(__file__).resolve().parents[1] / "configs" / "baseline.yaml")
    parser.add_argument("--book", choices=("quick", "full", "config"), default="quick")
    parser.add_argument("--path", type=int, default=0)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--set", default="{}", help="JSON overrides, merged over the config")
    parser.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    args = parser.parse_args(argv)
    from sim.configfile import ConfigError
    from sim.validation.facts import BOOK

    try:
        overrides = json.loads(args.set)
        config = load_config(args.config).model_copy(update={"deal": None})
        if args.book != "config":
            config = with_overrides(config, {"book": BOOK[args.book]})
        config = with_overrides(config, overrides)
    except json.JSONDecodeError as exc:
        parser.error(f"--set must be a JSON object of config sections: {exc}")
    except (ConfigError, OSError) as exc:
        parser.error(str(exc))
    table = by_group(transitions(config, args.seed, args.path))
    if args.csv:
        table.to_csv(args.csv, index=False)
    with pd.option_context("display.width", 120, "display.float_format", "{:.2f}".format):
        text = table.to_string(index=False)
    try:
        print(text, flush=True)
    except BrokenPipeError:  # the reader stopped early (| head): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
