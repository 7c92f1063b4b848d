"""ABS page figures: note balances, the deal's credit enhancement over time (excess spread,
reserve, principal deficiency ledger, overcollateralisation), tranche-loss distributions,
triggers, one waterfall."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.figures.common import add_fan, band_words, empty_figure, new_figure


def _colour(i: int) -> str:
    return theme.SERIES[i % len(theme.SERIES)]


# ----------------------------------------------------------------------------------------------
# Periods and months: the deal's period p is paid at the end of one month of the horizon


PERIOD_AXIS = "payment period (a month of the deal)"


def period_axis(first_month: int | None) -> str:
    """The x-axis title of a chart by payment period: what a period is and, when the run
    says, which month of the horizon (the other pages' x axis) period 1 is."""
    if first_month is None:
        return PERIOD_AXIS
    return f"payment period (a month; period 1 = month {first_month} of the horizon)"


def month_of_period(period: int, first_month: int | None) -> int | None:
    """The horizon month (0-based) whose end is ``period``'s payment date, or None."""
    return None if first_month is None else first_month + int(period) - 1


def add_period_hover(fig: go.Figure, periods: pd.Series, y: pd.Series,
                     first_month: int | None) -> None:
    """Make the unified hover of a chart by period name the period and its month of the
    horizon: its title reads ``payment period p`` and, when ``first_month`` is known, a
    first, invisible trace along ``y`` adds the line ``paid at the end of month m of the
    horizon`` (plotly's hover title cannot compute the month from the period)."""
    fig.update_xaxes(unifiedhovertitle={"text": "payment period %{x}"})
    if first_month is None or not len(periods):
        return
    months = [month_of_period(p, first_month) for p in periods]
    fig.add_trace(go.Scatter(
        x=periods, y=y, customdata=months, mode="lines", showlegend=False,
        line={"width": 0, "color": "rgba(0,0,0,0)"}, name="month of the horizon",
        hovertemplate="paid at the end of month %{customdata} of the horizon<extra></extra>"))


def note_balance_fan(balance_fans: pd.DataFrame, notes: list[str],
                     first_month: int | None = None) -> go.Figure:
    """Each note's end-of-period balance: median and 5-95 % band across paths.

    Args:
        balance_fans: From :func:`~dashboard.aggregate.abs.note_balance_fans`.
        notes: Note names, most senior first.
        first_month: Horizon month of period 1's payment date (axis and hover), or None.
    """
    band = band_words(balance_fans[balance_fans["series"].isin(notes)])
    fig = new_figure(f"Note balances (median and {band})", period_axis(first_month),
                     "balance (currency units)", "money")
    if notes:
        first = balance_fans[balance_fans["series"] == notes[0]]
        add_period_hover(fig, first["period"], first["p50"], first_month)
    for i, note in enumerate(notes):
        add_fan(fig, balance_fans[balance_fans["series"] == note], f"note {note}", _colour(i),
                key="period")
    end = repaid_by(balance_fans)
    if end is not None:
        fig.update_xaxes(range=[balance_fans["period"].min() - 0.5, end + 0.5])
    return fig


def repaid_by(balance_fans: pd.DataFrame, margin: int = 2) -> int | None:
    """The period by which every note is repaid on 95 % of paths, plus ``margin`` periods
    (so the axis ends where the story does); None when some note is never repaid."""
    if balance_fans.empty:
        return None
    outstanding = balance_fans[balance_fans["p95"] > 0.005]
    last = int(balance_fans["period"].max())
    if outstanding.empty:
        return min(int(balance_fans["period"].min()) + margin, last)
    end = int(outstanding["period"].max()) + 1
    return None if end >= last else min(end + margin, last)


NO_LOSS = "no note lost principal on any path of this run"
LOSS_WORDS = {
    "principal": {"no_loss": NO_LOSS, "name": "principal losses",
                  "axis": "principal written down", "exceedance": "Principal loss"},
    "pv": {"no_loss": "no note lost in present value on any path of this run",
           "name": "losses in present value", "axis": "loss in present value",
           "exceedance": "Present-value loss"},
}
"""How the loss charts name each loss measure (:data:`sim.abs.metrics.LOSS_MEASURES`)."""
NOT_RECORDED = ("this run does not record the loss in present value (stored before it was "
                "measured, without the notes' coupons): choose the principal loss")


def any_loss(exceedance: pd.DataFrame) -> bool:
    """Whether some note loses on some path, from the exceedance curve (``prob_exceed`` at a
    loss of 0 is the share of paths losing more than nothing)."""
    return bool(len(exceedance)) and float(exceedance["prob_exceed"].max()) > 0.0


def loss_histogram(histogram: pd.DataFrame, lost: bool = True,
                   measure: str = "principal") -> go.Figure:
    """Distribution across paths of each note's loss (share of its original balance) by
    ``measure``: ``principal``, the principal written down (nominal), or ``pv``, the interest
    and principal promised and not received, in present value at the note's promised rate;
    one panel per note on a shared loss axis, so that no note hides another.

    Args:
        histogram: ``note, left, right, share`` from
            :func:`~dashboard.aggregate.abs.loss_distribution` (empty: the run does not
            record the measure).
        lost: False when no note loses on any path (:func:`any_loss`): the figure says so
            rather than drawing empty panels.
        measure: ``principal`` or ``pv``.
    """
    words = LOSS_WORDS[measure]
    title = "Distribution of note losses"
    notes = list(pd.unique(histogram["note"]))
    if not notes:
        return empty_figure(NOT_RECORDED if measure == "pv" else "no notes in this run", title)
    if not lost:
        return empty_figure(words["no_loss"], title)
    fig = make_subplots(rows=len(notes), cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=[f"note {n}" for n in notes])
    for i, note in enumerate(notes):
        h = histogram[histogram["note"] == note]
        fig.add_trace(go.Bar(
            x=(h["left"] + h["right"]) / 2, y=h["share"], width=h["right"] - h["left"],
            name=f"note {note}", marker_color=_colour(i),
            hovertemplate="loss %{x:.2%}: %{y:.1%} of paths<extra></extra>",
        ), row=i + 1, col=1)
        fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=i + 1, col=1)
    fig.update_layout(template=theme.template(), height=430,
                      title={"text": f"Distribution of note {words['name']} across paths "
                                     "(share of paths at each loss)"},
                      hovermode="closest", showlegend=False)
    fig.update_xaxes(tickformat=".1%", range=_loss_range(histogram["right"]))
    fig.update_xaxes(title_text=f"{words['axis']} (% of original balance)",
                     row=len(notes), col=1)
    for annotation in fig.layout.annotations:
        annotation.update(x=0, xanchor="left", font={"size": 12})
    return fig


def _loss_range(losses: pd.Series) -> list[float]:
    """x range of a loss axis: from 0, and at least to 1 % so that no-loss runs read as 0."""
    top = float(losses.max()) if len(losses) else 0.0
    return [0.0, max(top * 1.05, 0.01)]


def loss_exceedance(exceedance: pd.DataFrame, measure: str = "principal") -> go.Figure:
    """Exceedance curve of each note's loss by ``measure`` (``principal`` or ``pv``, as
    :func:`loss_histogram`): share of paths that lose more than x.

    Args:
        exceedance: ``note, loss, prob_exceed`` from
            :func:`~dashboard.aggregate.abs.loss_distribution` (empty: the run does not
            record the measure).
        measure: ``principal`` or ``pv``.
    """
    words = LOSS_WORDS[measure]
    title = f"{words['exceedance']} exceedance: probability that a note loses more than x"
    if measure == "pv" and not len(exceedance):
        return empty_figure(NOT_RECORDED, title)
    if len(exceedance) and not any_loss(exceedance):
        return empty_figure(words["no_loss"], title)
    fig = new_figure(title, f"{words['axis']} x (% of original balance)",
                     "probability of a larger loss (%)", "rate")
    for i, note in enumerate(pd.unique(exceedance["note"])):
        e = exceedance[exceedance["note"] == note]
        fig.add_trace(go.Scatter(x=e["loss"], y=e["prob_exceed"], mode="lines",
                                 line={"shape": "hv", "color": _colour(i), "width": 2},
                                 name=f"note {note}"))
    fig.update_xaxes(tickformat=".1%", range=_loss_range(exceedance["loss"]))
    fig.update_yaxes(range=[0, 1.02])
    fig.update_layout(hovermode="closest")
    return fig


def trigger_timing(triggers: pd.DataFrame, first_month: int | None = None) -> go.Figure:
    """When triggers fire: share of paths first in breach each period, and by then.

    Args:
        triggers: ``trigger, period, first_share, cumulative_share`` from
            :func:`~dashboard.aggregate.abs.trigger_timing`.
        first_month: Horizon month of period 1's payment date (axis and hover), or None.
    """
    if triggers.empty:
        return empty_figure("this deal has no triggers", "Trigger timing")
    if not (triggers["cumulative_share"] > 0).any():
        names = ", ".join(n.replace("_", " ") for n in pd.unique(triggers["trigger"]))
        return empty_figure(f"no trigger fired on any path ({names})", "Trigger timing")
    fig = new_figure("Trigger timing: share of paths in breach by each period "
                     "(bars: first breach in that period)", period_axis(first_month),
                     "share of paths (%)", "rate")
    first = triggers[triggers["trigger"] == triggers["trigger"].iloc[0]]
    add_period_hover(fig, first["period"], first["cumulative_share"], first_month)
    for i, name in enumerate(pd.unique(triggers["trigger"])):
        t = triggers[triggers["trigger"] == name]
        label = name.replace("_", " ")
        fig.add_trace(go.Bar(x=t["period"], y=t["first_share"], name=f"{label}: first breach",
                             marker_color=theme.rgba(_colour(i), 0.45)))
        fig.add_trace(go.Scatter(x=t["period"], y=t["cumulative_share"], mode="lines",
                                 line={"shape": "hv", "color": _colour(i), "width": 2},
                                 name=f"{label}: breached by then"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 1.02])
    return fig


# ----------------------------------------------------------------------------------------------
# Credit enhancement over time


NOT_RECORDED = "not recorded in this run (a run stored before the deal recorded it)"


def _series(fans: pd.DataFrame, name: str) -> pd.DataFrame:
    return fans[fans["series"] == name] if len(fans) else fans


def _enhancement_fan(fans: pd.DataFrame, lines: list[tuple[str, str, bool]], title: str,
                     yaxis: str, unit: str, first_month: int | None,
                     subtitle: str = "") -> go.Figure:
    """A fan chart by period of ``lines`` (series, legend name, with its 5-95 % band; a line
    without a band is the median, dashed), with the period's month in the hover and
    ``subtitle`` under the title."""
    first = _series(fans, lines[0][0])
    if first.empty or first["paths"].max() == 0:
        return empty_figure(NOT_RECORDED, title)
    fig = new_figure(title, period_axis(first_month), yaxis, unit, subtitle=subtitle)
    add_period_hover(fig, first["period"], first["p50"], first_month)
    for i, (series, name, band) in enumerate(lines):
        add_fan(fig, _series(fans, series), name, _colour(i), key="period", band=band,
                dash=None if band else "dash")
    fig.update_layout(hoverlabel={"namelength": -1})  # whole series names in the hover
    return fig


def _zero_line(fig: go.Figure) -> go.Figure:
    if fig.data:
        fig.add_hline(y=0, line={"color": theme.MUTED, "width": 1, "dash": "dot"})
    return fig


def excess_spread_fan(fans: pd.DataFrame, first_month: int | None = None) -> go.Figure:
    """Net excess spread by period: median and 5-95 % band across paths.

    The deal field ``excess_spread`` as it is (docs/WATERFALL.md §4): the period's interest
    collections less senior fees, note interest accruing and the net swap, less net losses
    (defaults less recoveries), times 12 over the pool balance at the period's start: an
    annual rate on the pool, as investor reports show it.

    Args:
        fans: :func:`~dashboard.aggregate.abs.enhancement_fans` output.
        first_month: Horizon month of period 1's payment date (hover and axis), or None.
    """
    return _zero_line(_enhancement_fan(
        fans, [("excess_spread", "excess spread", True)],
        f"Excess spread, net of losses (median and {band_words(_series(fans, 'excess_spread'))})",
        "excess spread (% of pool, annualised)", "rate", first_month))


def reserve_fan(fans: pd.DataFrame, first_month: int | None = None,
                below: tuple[int, int] = (0, 0)) -> go.Figure:
    """Reserve account balance at each period's end (median and 5-95 % band) against its
    requirement (median, dashed).

    Args:
        fans: :func:`~dashboard.aggregate.abs.enhancement_fans` output.
        first_month: Horizon month of period 1's payment date, or None.
        below: ``(paths, of)`` from :func:`~dashboard.aggregate.abs.reserve_below_requirement`,
            said under the title.
    """
    paths, of = below
    sub = f"below its requirement at some period's end on {paths} of {of} paths" if of else ""
    return _enhancement_fan(
        fans, [("reserve_balance", "reserve balance", True),
               ("reserve_requirement", "requirement", False)],
        "Reserve account: balance and requirement",
        "reserve (currency units)", "money", first_month, subtitle=sub)


NO_PDL = "this deal keeps no principal deficiency ledger (deal.pdl is false)"


def pdl_fan(fans: pd.DataFrame, has_pdl: bool, first_month: int | None = None) -> go.Figure:
    """Principal deficiency ledger balance, summed over the notes, by period (median and
    5-95 % band); a deal without ledgers says so instead.

    Args:
        fans: :func:`~dashboard.aggregate.abs.enhancement_fans` output.
        has_pdl: Whether the deal keeps ledgers (:func:`~dashboard.aggregate.abs.deal_has_pdl`).
        first_month: Horizon month of period 1's payment date, or None.
    """
    title = "Principal deficiency ledger (PDL), all notes"
    if not has_pdl:
        return empty_figure(NO_PDL, title)
    debited = bool(len(fans)) and bool((_series(fans, "pdl_balance")["p95"] > 0).any())
    sub = "" if debited else "no ledger in debit on 95 % of paths in any period"
    return _enhancement_fan(fans, [("pdl_balance", "PDL balance", True)],
                            f"{title} (median and {band_words(_series(fans, 'pdl_balance'))})",
                            "PDL balance (currency units)", "money", first_month,
                            subtitle=sub)


def overcollateralisation_fan(fans: pd.DataFrame, first_month: int | None = None) -> go.Figure:
    """Overcollateralisation by period: the pool balance (rounded up to the cent, as the
    waterfall measures it) less the notes' balance at the period's end, as a share of the
    pool (:func:`sim.abs.steps.oc_after_period`; median and 5-95 % band).

    Args:
        fans: :func:`~dashboard.aggregate.abs.enhancement_fans` output.
        first_month: Horizon month of period 1's payment date, or None.
    """
    oc = _series(fans, "oc_share")
    none = bool(len(oc)) and bool((oc[["p5", "p95"]].fillna(0.0) == 0).all(axis=None))
    sub = "0 on every path: the notes fund the whole pool" if none else ""
    fig = _enhancement_fan(
        fans, [("oc_share", "overcollateralisation", True)],
        f"Overcollateralisation: pool less notes (median and {band_words(oc)})",
        "OC (% of pool balance)", "rate", first_month, subtitle=sub)
    if none and fig.data:
        fig.update_yaxes(range=[-0.01, 0.05])  # not plotly's -100 % to 100 % around a flat 0
    return _zero_line(fig)


def waterfall_sankey(links: pd.DataFrame, path: int, period: int,
                     first_month: int | None = None) -> go.Figure:
    """Sankey of one period's waterfall on one path: sources of cash and where it went.

    Args:
        links: ``source, target, value`` from :meth:`dashboard.data.AbsData.waterfall`.
        path: The path shown (for the title).
        period: The period shown (for the title).
        first_month: Horizon month of period 1's payment date (the title names the
            period's month), or None.
    """
    month = month_of_period(period, first_month)
    when = "" if month is None else f" = month {month} of the horizon"
    title = f"Waterfall of path {path}, period {period}{when} (currency units)"
    if links.empty:
        return empty_figure("no cash moved in this period", title)
    nodes = list(dict.fromkeys([*links["source"], *links["target"]]))
    index = {n: i for i, n in enumerate(nodes)}
    inflow = links.groupby("target")["value"].sum()
    outflow = links.groupby("source")["value"].sum()
    amounts = [max(float(inflow.get(n, 0.0)), float(outflow.get(n, 0.0))) for n in nodes]
    labels = [f"{n}: {a:,.0f}" for n, a in zip(nodes, amounts, strict=True)]
    colours = [theme.PRIMARY if n.startswith(("interest", "principal")) else
               theme.POSITIVE if n.startswith("residual") else
               theme.SECONDARY if n.startswith(("senior fees", "swap")) else theme.NEUTRAL
               for n in nodes]
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat=",.0f",
        node={"label": labels, "color": colours, "pad": 18, "thickness": 16,
              "line": {"width": 0}},
        link={"source": [index[s] for s in links["source"]],
              "target": [index[t] for t in links["target"]],
              "value": links["value"].tolist(), "color": theme.rgba(theme.NEUTRAL, 0.25),
              "customdata": [f"{v:,.0f}" for v in links["value"]],
              "hovertemplate": "%{source.label} → %{target.label}: %{customdata}"
                               "<extra></extra>"},
    ))
    fig.update_layout(template=theme.template(), title={"text": title}, height=420)
    return fig
