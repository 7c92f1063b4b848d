"""What the originator keeps of its own securitisation, and the cash flows of what it keeps.

An originator sells its receivables to the vehicle but rarely walks away: risk-retention
rules make it keep a net economic interest of at least 5 % (Regulation (EU) 2017/2402, the
Securitisation Regulation, Art. 6(3): a vertical slice of 5 % of every tranche sold, a
seller's share, randomly selected exposures, or the first-loss tranche; US Regulation RR,
12 CFR Part 244, §244.4: an eligible vertical interest of 5 % of every class, an eligible
horizontal residual interest, or a mix of the two). Here it keeps a share of each note
(``deal.retained``; by default the most junior note whole, as the shipped deals' originators
do) and, in every case, the residual: it funds the reserve at closing, keeps the
overcollateralisation and receives what the waterfall releases, and it is the one that
calls the deal (docs/REPORTS.md, 'IRR and the originator's return').
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["originator_cashflows", "originator_line", "retained_shares", "retained_text"]


def retained_shares(notes: Sequence[str],
                    retained: Mapping[str, float] | None = None) -> tuple[float, ...]:
    """The share of each note the originator keeps, in the order of ``notes``.

    Args:
        notes: The deal's note names, most senior first (at least one).
        retained: Note name to the share of it kept (a fraction, 0 to 1; 0.05 for a 5 %
            vertical slice); notes not named are sold whole (share 0). None: the most
            junior note whole, every other note sold.

    Returns:
        One share per note, each in [0, 1].

    Raises:
        ValueError: A name that is not one of ``notes``, or a share that is not a number
            from 0 to 1; the message names ``retained``, the value and what is allowed.
    """
    names = list(notes)
    if not names:
        raise ValueError("retained: the deal has no notes to keep a share of")
    if retained is None:
        return tuple(float(i == len(names) - 1) for i in range(len(names)))
    unknown = [n for n in retained if n not in names]
    if unknown:
        raise ValueError(f"retained names note(s) {unknown} that the deal does not issue; its "
                         f"notes are {names}: give the share kept (0 to 1) of any of them")
    for name, share in retained.items():
        ok = isinstance(share, int | float) and not isinstance(share, bool)
        if not ok or not 0.0 <= float(share) <= 1.0:
            raise ValueError(f"retained.{name} = {share!r}: the share of note {name!r} the "
                             "originator keeps must be a number from 0 to 1 (0.05: 5 %)")
    return tuple(float(retained.get(n, 0.0)) for n in names)


def originator_cashflows(note_flows: np.ndarray, shares: Sequence[float], residual: np.ndarray,
                         top_up: np.ndarray, funded: np.ndarray) -> np.ndarray:
    """Monthly cash flows of the originator: its shares of the notes, and the residual.

    ``cf[p, 0] = sum_k s_k note_flows[p, k, 0] - funded[p]`` (the notes' price it pays, the
    reserve and the overcollateralisation it funds at closing) and, for t >= 1,
    ``cf[p, t] = sum_k s_k note_flows[p, k, t] + (residual[p, t-1] - top_up[p, t-1])``: its
    notes' interest and principal, the residual the waterfall releases (the reserve and the
    OC included as they are released), less what it adds to a clean-up call at par beyond
    the pool's balance.

    Args:
        note_flows: Each note's investor cash flows, shape (paths, notes, periods + 1):
            minus the original balance at t = 0, then interest plus principal paid
            (currency units).
        shares: The share kept of each note (`retained_shares`), length notes.
        residual: The residual paid each period, shape (paths, periods).
        top_up: What the originator added to a call at par, shape (paths, periods).
        funded: What it funded at closing (reserve plus OC), shape (paths,).

    Returns:
        Shape (paths, periods + 1), currency units; column 0 is at closing.
    """
    weights = np.asarray(shares, dtype=float)
    flows = np.einsum("pkt,k->pt", note_flows, weights)
    flows[:, 1:] += residual - top_up
    flows[:, 0] -= funded
    return flows


def _share_text(share: float) -> str:
    return f"{100 * share:.4g} %"


def retained_text(notes: Sequence[str], shares: Sequence[float]) -> str:
    """What the originator keeps, in words: ``'subordinated whole and the residual'``,
    ``'5 % of every note (senior, mezzanine, subordinated) and the residual'``,
    ``'mezzanine 50 %, subordinated whole and the residual'``, ``'the residual and no
    note'`` (every note sold)."""
    kept = [(n, float(s)) for n, s in zip(notes, shares, strict=True) if s > 0]
    if not kept:
        return "the residual and no note"
    if len(kept) == len(notes) > 1 and len({s for _, s in kept}) == 1 and kept[0][1] < 1:
        return (f"{_share_text(kept[0][1])} of every note ({', '.join(notes)}) "
                "and the residual")
    parts = [f"{n} whole" if s >= 1 else f"{n} {_share_text(s)}" for n, s in kept]
    return f"{', '.join(parts)} and the residual"


def originator_line(summary: pd.DataFrame) -> str | None:
    """The originator's return on what it keeps (``deal.retained``: its shares of the notes,
    and the residual), from `sim.abs.tranche_summary` output, in words that say what it
    holds; None when the run does not record it."""
    if "holder_irr_annual" not in summary or summary["holder_irr_annual"].isna().all():
        return None
    r = summary.dropna(subset=["holder_irr_annual"]).iloc[-1]
    shares = (summary["retained"] if "retained" in summary
              else (summary["note"] == summary["note"].iloc[-1]).astype(float))
    parts = [f"the {what} ({amount:,.2f})" for what, amount in (
        ("reserve", r.get("reserve_funded", float("nan"))),
        ("overcollateralisation", r.get("oc_funded", float("nan")))) if amount > 0]
    outlay = f", having funded {' and '.join(parts)} at closing" if parts else ""
    topped = r.get("call_topped_up", float("nan"))
    if topped > 0:
        outlay += f", and added {topped:,.2f} to buy the pool back at par"
    held = retained_text(list(summary["note"]), [float(s) for s in shares])
    return (f"Originator (keeping {held}, per deal.retained{outlay}; amounts are means a path): "
            f"IRR {r.holder_irr_annual:.2%} on what it keeps (mean over paths); residual "
            f"received {r.residual_paid:,.2f} a path on average.")
