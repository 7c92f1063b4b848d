"""Roll rates, cures, re-ageing and vintage curves: one definition each, by accounts and balance.

A credit book is read through the moves of its accounts between month-end states: the
delinquency buckets by reported days past due (``current``, ``dpd_1_30``, ...), ``re_aged``
(reported current only because a hardship re-age cancelled its overdue bills, see
:meth:`sim.engine.PathSimulation._roll_state`) and ``charged_off``. The engine counts those
moves once, in the run's ``rolls`` table: ``accounts`` that were in ``from_state`` at the end
of month m-1 and in ``to_state`` at the end of month m, and their ``balance`` at the end of
month m-1 (currency units). Every view here divides those counts; the CLI, the tables and
the dashboard call these functions and nothing else (definitions in docs/MODEL.md,
"Definitions: roll rates, cures, re-ageing, vintages").

* Roll rate i -> j, weighted by accounts (balance): accounts (balance) moving from i to j,
  pooled over paths and months, over all accounts (balance) in i at the previous month end.
* Cure rate of a delinquent bucket: the roll rate from it to ``current``. A move to
  ``re_aged`` is a re-age, never a cure; a re-aged account that later repays its
  restructured balance moves ``re_aged -> current`` and is counted there, not as a cure of
  its old bucket.
* Roll-back rate of a delinquent bucket: the roll rate to an earlier delinquent bucket
  (more bills paid than fell due, some arrears left; none from ``dpd_1_30``).
* Stay rate of a delinquent bucket: the roll rate to the same bucket (as many bills paid
  as fell due).
* Roll-forward rate of a delinquent bucket: the roll rate to any later bucket or to
  ``charged_off``.
* Cure, re-age, roll back, stay and roll forward are every move a delinquent account can
  make by the next month end (a paid-off account is current, a closed line stays in its
  bucket until paid or charged off): the five rates of a bucket add up to 1.
* Re-default rate of re-aged accounts: of the accounts re-aged in month r whose 12-month
  window has closed within the horizon, the share that were 31+ (or 61+) days past due as
  reported at a month end r..r+12, or charged off by then.
* Vintage curves: by accounts, accounts of a cohort charged off by months on book t over
  the accounts onboarded; by balance, the cohort's charge-offs to t over its purchases
  to t (gross loss per unit lent, as ``cumulative_charge_off_rate`` of ``sim.metrics``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.delinquency import BUCKETS, ROLL_STATES

WEIGHTS = ("accounts", "balance")
SOURCE_STATES = (*BUCKETS, "re_aged")  # states an account can roll from (not charged off)
DELINQUENT = BUCKETS[1:]
REDEFAULT_LEVELS = (30, 60)
MOVES = ("cure", "re_age", "roll_back", "stay", "roll_forward")
"""Where a delinquent bucket's accounts are at the next month end (shares add up to 1)."""


def _check_weight(weight: str) -> None:
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {', '.join(WEIGHTS)}; got {weight!r}")


def _require(rolls: pd.DataFrame, weight: str, purpose: str) -> None:
    """Raise ValueError, saying that a rerun gives ``purpose``, for a ``rolls`` table without
    the column of ``weight`` (runs recorded before balance-weighted rolls have only
    ``accounts``)."""
    if weight not in rolls:
        raise ValueError(f"this run's rolls table has no {weight!r} column; rerun it to get "
                         f"{purpose}")


def pooled_counts(rolls: pd.DataFrame, weight: str = "accounts",
                  by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Accounts (or balance) moving between states, summed over paths and months.

    Args:
        rolls: The run's ``rolls`` table (``path, month, from_state, to_state, accounts,
            balance``).
        weight: ``"accounts"`` or ``"balance"``.
        by: Columns kept apart (e.g. ``("path",)``) instead of summed over.

    Returns:
        Index ``(*by, from_state)`` over :data:`SOURCE_STATES`, columns :data:`ROLL_STATES`;
        counts, or currency units for balance.

    Raises:
        ValueError: for an unknown weight, or a ``rolls`` table without the weight's column
            (runs recorded before balance-weighted rolls have only ``accounts``).
    """
    _check_weight(weight)
    _require(rolls, weight, f"roll rates by {weight}")
    frame = rolls.assign(from_state=rolls["from_state"].astype(str),
                         to_state=rolls["to_state"].astype(str))
    frame = frame[frame["from_state"].isin(SOURCE_STATES)]
    table = frame.pivot_table(index=[*by, "from_state"], columns="to_state", values=weight,
                              aggfunc="sum", fill_value=0)
    table = table.reindex(columns=list(ROLL_STATES), fill_value=0)
    if not by:
        table = table.reindex(list(SOURCE_STATES), fill_value=0)
    table.columns.name = "to_state"
    return table.astype(float)


def _shares(counts: pd.DataFrame) -> pd.DataFrame:
    total = counts.sum(axis=1)
    return counts.div(total.where(total > 0), axis=0)


def roll_matrix(rolls: pd.DataFrame, weight: str = "accounts") -> pd.DataFrame:
    """From-state x to-state roll rates, pooled over paths and months.

    Returns:
        Index :data:`SOURCE_STATES`, columns :data:`ROLL_STATES`; each row sums to 1
        (NaN for a state no account was in). See the module docstring for the definition.
    """
    return _shares(pooled_counts(rolls, weight))


def _moves(shares: pd.DataFrame, bucket: str) -> dict[str, pd.Series | float]:
    """The :data:`MOVES` out of delinquent ``bucket`` from its row(s) of roll rates."""
    i = BUCKETS.index(bucket)
    better = list(BUCKETS[1:i])
    worse = [*BUCKETS[i + 1:], "charged_off"]
    return {"cure": shares["current"], "re_age": shares["re_aged"],
            "roll_back": shares[better].sum(axis=1), "stay": shares[bucket],
            "roll_forward": shares[worse].sum(axis=1)}


def transition_rates(rolls: pd.DataFrame, weight: str = "accounts") -> pd.DataFrame:
    """Cure, re-age, roll-back, stay and roll-forward rates of each delinquent bucket.

    The five rates of a bucket add up to 1 (see the module docstring). Rates pool paths
    and months; ``cure_p5`` / ``cure_p95`` (and the same for the others) are the 5th and
    95th percentiles of the per-path pooled rates.

    Returns:
        One row per delinquent bucket that held accounts: columns ``bucket, weight, base``
        (accounts or currency units in the bucket at the month ends before), the
        :data:`MOVES` ``cure, re_age, roll_back, stay, roll_forward`` and their ``_p5`` /
        ``_p95``.
    """
    pooled = pooled_counts(rolls, weight)
    per_path = pooled_counts(rolls, weight, by=("path",))
    rows = []
    for b in DELINQUENT:
        base = float(pooled.loc[b].sum())
        if base <= 0:
            continue
        row: dict[str, object] = {"bucket": b, "weight": weight, "base": base}
        row.update({k: float(pd.Series(v).iloc[0]) for k, v in
                    _moves(_shares(pooled.loc[[b]]), b).items()})
        paths = per_path.xs(b, level="from_state")
        paths = _shares(paths[paths.sum(axis=1) > 0])
        for k, v in _moves(paths, b).items():
            row[f"{k}_p5"], row[f"{k}_p95"] = np.percentile(pd.Series(v).to_numpy(), [5, 95])
        rows.append(row)
    cols = ["bucket", "weight", "base", *MOVES]
    cols += [f"{k}_{q}" for k in MOVES for q in ("p5", "p95")]
    return pd.DataFrame(rows, columns=cols)


PIPELINE_MONTHS = 12
"""Months of roll rates behind the pipeline's charge-off probabilities: the last year of the
horizon (:func:`charge_off_probabilities`). A modelling choice: a year's moves hold enough
accounts in every bucket of a 10,000-borrower book, and are the book's recent behaviour,
which a roll-rate loss forecast projects (the 'net flow' method of retail credit)."""
TRANSIENT = (*DELINQUENT, "re_aged")
"""States a balance at the horizon can still leave by a cure or a charge-off."""


def _balance_counts(rolls: pd.DataFrame, paths: np.ndarray, start: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(paths, from, to) balance moving between :data:`ROLL_STATES` in ``rolls``, for the
    path ids ``paths`` in order: in each path's window, the months from its ``start`` on,
    and over the whole horizon."""
    window = np.zeros((paths.size, len(ROLL_STATES), len(ROLL_STATES)))
    whole = np.zeros_like(window)
    if rolls.empty:
        return window, whole
    p = np.searchsorted(paths, rolls["path"].to_numpy())
    codes = {s: k for k, s in enumerate(ROLL_STATES)}
    i = rolls["from_state"].astype(str).map(codes).to_numpy()
    j = rolls["to_state"].astype(str).map(codes).to_numpy()
    balance = rolls["balance"].to_numpy(float)
    recent = rolls["month"].to_numpy() >= start[p]
    np.add.at(window, (p[recent], i[recent], j[recent]), balance[recent])
    np.add.at(whole, (p, i, j), balance)
    return window, whole


def charge_off_probabilities(rolls: pd.DataFrame, last_month: pd.Series,
                             months: int = PIPELINE_MONTHS) -> pd.DataFrame:
    """Per path, the probability that a balance in each state of :data:`TRANSIENT` at the
    path's last month end is charged off before it is current again.

    The path's balance-weighted roll rates over its last ``months`` month ends are read as a
    Markov chain with two absorbing states, ``current`` (a cure, or a re-aged balance
    repaid) and ``charged_off``; the probability of absorption in ``charged_off`` from
    each transient state s is ``a = (I - Q)^-1 r`` (Q: the rates among transient states, r:
    the rates to ``charged_off``; Kemeny and Snell 1960, *Finite Markov Chains*, ch. III).
    A state the window saw no balance leave takes the path's rates over its whole horizon,
    then the run's over the window, then over the whole horizon; a state no balance ever
    left has probability 0 (no balance can be in it at the end: an account enters a state
    at a month end and leaves it at a later one).

    Args:
        rolls: The run's ``rolls`` table with its ``balance`` column.
        last_month: Index path, the path's last month (0-based).
        months: Month ends in the window (at least 1).

    Returns:
        Index path (``last_month``'s order), columns :data:`TRANSIENT`; probabilities in
        [0, 1].

    Raises:
        ValueError: for a ``rolls`` table without ``balance``, or ``months`` below 1.
    """
    if months < 1:
        raise ValueError(f"months must be at least 1; got {months!r}")
    _require(rolls, "balance", "the charge-offs in the pipeline")
    paths = np.asarray(last_month.index, dtype=np.int64)
    order = np.argsort(paths)
    paths = paths[order]
    window, whole = _balance_counts(rolls, paths, last_month.to_numpy()[order] - months + 1)
    counts = window.copy()
    for fallback in (whole, window.sum(axis=0, keepdims=True), whole.sum(axis=0, keepdims=True)):
        empty = counts.sum(axis=2) <= 0
        counts = np.where(empty[:, :, None], np.broadcast_to(fallback, counts.shape), counts)
    total = counts.sum(axis=2, keepdims=True)
    rates = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    t = [ROLL_STATES.index(s) for s in TRANSIENT]
    q = rates[:, t][:, :, t]
    r = rates[:, t, ROLL_STATES.index("charged_off")]
    # states from which no balance ever leaves for current or charged_off (a class that only
    # moves among itself) are never absorbed: probability 0, and out of the system, which is
    # then regular (every other state reaches an absorbing one)
    leaves = rates[:, t][:, :, [ROLL_STATES.index("current"), ROLL_STATES.index("charged_off")]]
    reach = leaves.sum(axis=2) > 0
    for _ in range(len(t)):
        reach = reach | ((q > 0) & reach[:, None, :]).any(axis=2)
    q = np.where(reach[:, :, None], q, 0.0)
    r = np.where(reach, r, 0.0)
    a = np.linalg.solve(np.eye(len(t)) - q, r[:, :, None])[:, :, 0]
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return pd.DataFrame(np.clip(a, 0.0, 1.0)[back], index=last_month.index,
                        columns=list(TRANSIENT))


def pipeline_charge_offs(rolls: pd.DataFrame, portfolio: pd.DataFrame,
                         months: int = PIPELINE_MONTHS) -> pd.Series:
    """Per path, the charge-offs still to come from the balances past due or re-aged at the
    horizon (currency units): each state's balance at the last month end
    (``balance_<bucket>``, ``balance_re_aged``) times its :func:`charge_off_probabilities`.

    Charge-offs counted within a horizon leave out what its last months put on the road to
    one; a policy that delays charge-offs (holding accounts in late buckets, or re-ageing
    them) looks better by that much. Adding the pipeline compares policies on the losses
    their books already hold. Balances current at the horizon are not counted (their
    future losses are not yet delinquencies), and the balance is the one at the month end,
    before the fees a late account would still accrue.

    Returns:
        Index path, currency units (0 where nothing is past due).
    """
    last = portfolio.sort_values(["path", "month"]).groupby("path").tail(1).set_index("path")
    probabilities = charge_off_probabilities(rolls, last["month"], months)
    balances = pd.DataFrame({s: last[f"balance_{s}"] if f"balance_{s}" in last else 0.0
                             for s in TRANSIENT}, index=last.index)
    return (balances * probabilities).sum(axis=1).rename("pipeline_charge_offs")


def redefault_rates(portfolio: pd.DataFrame, level: int = 30) -> pd.Series:
    """Per path: share of re-aged accounts that re-defaulted within 12 months.

    ``sum(reaged_redefaulted_<level>) / sum(reaged_window_closed)`` over the path's
    months: only accounts whose 12-month window closed within the horizon count.

    Args:
        portfolio: The run's ``portfolio`` table.
        level: 30 (31+ days past due or charged off) or 60 (61+ or charged off).

    Returns:
        Index ``path``; NaN for a path with no closed window (too short a horizon, or no
        re-age in its first horizon - 12 months).

    Raises:
        ValueError: for another level, or a run without the re-default columns.
    """
    if level not in REDEFAULT_LEVELS:
        raise ValueError(f"level must be one of {REDEFAULT_LEVELS}; got {level!r}")
    col = f"reaged_redefaulted_{level}"
    if col not in portfolio or "reaged_window_closed" not in portfolio:
        raise ValueError("this run has no re-default columns; rerun it to get them")
    sums = portfolio.groupby("path")[[col, "reaged_window_closed"]].sum()
    den = sums["reaged_window_closed"]
    return (sums[col] / den.where(den > 0)).rename(f"reaged_redefault_rate_{level}")


def vintage_rates(vintages: pd.DataFrame) -> pd.DataFrame:
    """The vintage table with its cumulative charge-off rates by accounts and by balance.

    Args:
        vintages: One row per (path, cohort, month) with ``cohort_size, purchases,
            charge_offs, charged_off_accounts`` (currency units for money).

    Returns:
        The rows with ``months_on_book``, ``cumulative_charged_off_accounts``,
        ``cumulative_charge_offs``, ``cumulative_purchases``, ``cumulative_default_rate``
        (accounts charged off / cohort size) and ``cumulative_loss_rate`` (charge-offs /
        purchases to date); a rate with a zero denominator is 0.
    """
    out = vintages.sort_values(["path", "cohort", "month"], kind="stable").copy()
    out["months_on_book"] = out["month"] - out["cohort"]
    grouped = out.groupby(["path", "cohort"], sort=False)
    out["cumulative_charged_off_accounts"] = grouped["charged_off_accounts"].cumsum()
    out["cumulative_charge_offs"] = grouped["charge_offs"].cumsum()
    out["cumulative_purchases"] = grouped["purchases"].cumsum()
    for rate, num, den in (
        ("cumulative_default_rate", "cumulative_charged_off_accounts", "cohort_size"),
        ("cumulative_loss_rate", "cumulative_charge_offs", "cumulative_purchases"),
    ):
        d = out[den].to_numpy(float)
        out[rate] = np.divide(out[num].to_numpy(float), d, out=np.zeros(len(out)),
                              where=d > 0)
    return out.sort_index()
