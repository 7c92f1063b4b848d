"""ABS page figures: note balances, tranche-loss distributions, triggers, one waterfall."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.figures.common import add_fan, empty_figure, new_figure


def _colour(i: int) -> str:
    return theme.SERIES[i % len(theme.SERIES)]


def note_balance_fan(balance_fans: pd.DataFrame, notes: list[str]) -> go.Figure:
    """Each note's end-of-period balance: median and 5-95 % band across paths.

    Args:
        balance_fans: From :func:`~dashboard.aggregate.abs.note_balance_fans`.
        notes: Note names, most senior first.
    """
    fig = new_figure("Note balances (median and 5-95 % of paths)", "payment period (month)",
                     "balance (currency units)", "money")
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


def any_loss(exceedance: pd.DataFrame) -> bool:
    """Whether some note loses principal on some path, from the exceedance curve
    (``prob_exceed`` at a loss of 0 is the share of paths losing more than nothing)."""
    return bool(len(exceedance)) and float(exceedance["prob_exceed"].max()) > 0.0


def loss_histogram(histogram: pd.DataFrame, lost: bool = True) -> go.Figure:
    """Distribution across paths of each note's loss (share of its original balance), one
    panel per note on a shared loss axis, so that no note hides another.

    Args:
        histogram: ``note, left, right, share`` from
            :func:`~dashboard.aggregate.abs.loss_distribution`.
        lost: False when no note loses on any path (:func:`any_loss`): the figure says so
            rather than drawing empty panels.
    """
    notes = list(pd.unique(histogram["note"]))
    if not notes:
        return empty_figure("no notes in this run", "Distribution of note losses")
    if not lost:
        return empty_figure(NO_LOSS, "Distribution of note losses")
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
                      title={"text": "Distribution of note losses across paths "
                                     "(share of paths at each loss)"},
                      hovermode="closest", showlegend=False)
    fig.update_xaxes(tickformat=".1%", range=_loss_range(histogram["right"]))
    fig.update_xaxes(title_text="loss (% of original balance)", row=len(notes), col=1)
    for annotation in fig.layout.annotations:
        annotation.update(x=0, xanchor="left", font={"size": 12})
    return fig


def _loss_range(losses: pd.Series) -> list[float]:
    """x range of a loss axis: from 0, and at least to 1 % so that no-loss runs read as 0."""
    top = float(losses.max()) if len(losses) else 0.0
    return [0.0, max(top * 1.05, 0.01)]


def loss_exceedance(exceedance: pd.DataFrame) -> go.Figure:
    """Exceedance curve of each note's loss: share of paths that lose more than x.

    Args:
        exceedance: ``note, loss, prob_exceed`` from
            :func:`~dashboard.aggregate.abs.loss_distribution`.
    """
    title = "Loss exceedance: probability that a note loses more than x"
    if len(exceedance) and not any_loss(exceedance):
        return empty_figure(NO_LOSS, title)
    fig = new_figure(title, "loss x (% of original balance)", "probability of a larger loss (%)",
                     "rate")
    for i, note in enumerate(pd.unique(exceedance["note"])):
        e = exceedance[exceedance["note"] == note]
        fig.add_trace(go.Scatter(x=e["loss"], y=e["prob_exceed"], mode="lines",
                                 line={"shape": "hv", "color": _colour(i), "width": 2},
                                 name=f"note {note}"))
    fig.update_xaxes(tickformat=".1%", range=_loss_range(exceedance["loss"]))
    fig.update_yaxes(range=[0, 1.02])
    fig.update_layout(hovermode="closest")
    return fig


def trigger_timing(triggers: pd.DataFrame) -> go.Figure:
    """When triggers fire: share of paths first in breach each period, and by then.

    Args:
        triggers: ``trigger, period, first_share, cumulative_share`` from
            :func:`~dashboard.aggregate.abs.trigger_timing`.
    """
    if triggers.empty:
        return empty_figure("this deal has no triggers", "Trigger timing")
    if not (triggers["cumulative_share"] > 0).any():
        names = ", ".join(n.replace("_", " ") for n in pd.unique(triggers["trigger"]))
        return empty_figure(f"no trigger fired on any path ({names})", "Trigger timing")
    fig = new_figure("Trigger timing: share of paths in breach by each period "
                     "(bars: first breach in that period)", "payment period (month)",
                     "share of paths (%)", "rate")
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


def waterfall_sankey(links: pd.DataFrame, path: int, period: int) -> go.Figure:
    """Sankey of one period's waterfall on one path: sources of cash and where it went.

    Args:
        links: ``source, target, value`` from :meth:`dashboard.data.AbsData.waterfall`.
        path: The path shown (for the title).
        period: The period shown (for the title).
    """
    title = f"Waterfall of path {path}, period {period} (currency units)"
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
