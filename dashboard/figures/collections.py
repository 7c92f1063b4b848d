"""Collections page figures: actions and cost by channel, cures, capacity, net recovery."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.figures.common import HOVERFORMAT, TICKFORMAT, add_fan, empty_figure, new_figure


def _label(channel: str) -> str:
    return channel.replace("_", " ")


def channel_area(monthly: pd.DataFrame, *, title: str, yaxis: str, unit: str) -> go.Figure:
    """Stacked area over months of one measure per collection channel.

    Args:
        monthly: Index ``month``, one column per channel (means across paths), from
            :func:`~dashboard.aggregate.collections.channel_monthly`.
    """
    if monthly.empty or monthly.shape[1] == 0:
        return empty_figure("no channel data in this run", title)
    fig = new_figure(title, "month of the horizon", yaxis, unit)
    for i, ch in enumerate(monthly.columns):
        fig.add_trace(go.Scatter(
            x=monthly.index, y=monthly[ch], mode="lines", stackgroup="channels",
            name=_label(ch), line={"width": 0.5, "color": theme.SERIES[i % len(theme.SERIES)]},
        ))
    return fig


def actions_by_channel(actions: pd.DataFrame) -> go.Figure:
    """Collection actions per month by channel (mean across paths), stacked."""
    return channel_area(actions, title="Collection actions by channel (mean across paths)",
                        yaxis="actions per month (count)", unit="count")


def cost_by_channel(cost: pd.DataFrame) -> go.Figure:
    """Collection cost per month by channel (mean across paths), stacked."""
    return channel_area(cost, title="Collection cost by channel (mean across paths)",
                        yaxis="cost per month (currency units)", unit="money")


def cure_rate_bars(cures: pd.DataFrame) -> go.Figure:
    """Cure rate of each delinquency bucket, pooled, with the 5-95 % range across paths.

    Args:
        cures: From :func:`~dashboard.aggregate.collections.cure_rates`.
    """
    if cures.empty:
        return empty_figure("this run records no cures by bucket", "Cure rate by bucket")
    fig = new_figure("Cure rate by bucket: share of accounts back to current within a month",
                     "bucket at month end", "cure rate (%)", "rate")
    fig.add_trace(go.Bar(
        x=[theme.BUCKET_LABELS.get(b, b) for b in cures["bucket"]], y=cures["rate"],
        marker_color=[theme.BUCKET_COLOURS.get(b, theme.NEUTRAL) for b in cures["bucket"]],
        name="pooled cure rate",
        error_y={"type": "data", "symmetric": False, "array": cures["p95"] - cures["rate"],
                 "arrayminus": cures["rate"] - cures["p5"], "color": theme.INK},
        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
    ))
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def capacity_fans(fans: pd.DataFrame) -> go.Figure:
    """Collector utilisation and queue wait over months, fan charts on two panels."""
    have = set(fans["series"])
    if not {"collector_utilisation", "queue_wait_days"} & have:
        return empty_figure("this run records no collector capacity",
                            "Collector utilisation and queue wait")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("Collector utilisation", "Queue wait for a collector"))
    fig.update_layout(template=theme.template(), height=460,
                      title={"text": "Collector utilisation and queue wait "
                                     "(median and 5-95 % of paths)"})
    panels = (("collector_utilisation", 1, "utilisation (%)", "rate", theme.PRIMARY),
              ("queue_wait_days", 2, "wait (days)", "days", theme.SECONDARY))
    for series, row, axis, unit, colour in panels:
        frame = fans[fans["series"] == series]
        if not frame.empty:
            add_fan(fig, frame, axis.split(" (")[0], colour, row=row, col=1)
        fig.update_yaxes(title_text=axis, tickformat=TICKFORMAT[unit],
                         hoverformat=HOVERFORMAT[unit], row=row, col=1)
    fig.update_xaxes(title_text="month of the horizon", row=2, col=1)
    return fig


def net_recovery_bars(net: pd.DataFrame) -> go.Figure:
    """Recoveries minus cost per channel over the horizon: mean and 5-95 % across paths.

    Args:
        net: From :func:`~dashboard.aggregate.collections.net_recovery`.
    """
    if net.empty:
        return empty_figure("no channel data in this run", "Net recovery by channel")
    partial = not bool(net["has_recoveries"].all())
    title = "Net recovery by channel over the horizon (recoveries - cost, mean across paths)"
    if partial:
        title += "<br><sup>channels without attributed recoveries show their cost only</sup>"
    fig = new_figure(title, "channel", "net recovery per path (currency units)", "money")
    fig.add_trace(go.Bar(
        x=[_label(c) for c in net["channel"]], y=net["net"], name="net recovery",
        marker_color=[theme.POSITIVE if v >= 0 else theme.NEGATIVE for v in net["net"]],
        error_y={"type": "data", "symmetric": False, "array": net["p95"] - net["net"],
                 "arrayminus": net["net"] - net["p5"], "color": theme.INK},
        customdata=net[["recoveries", "cost"]].to_numpy(),
        hovertemplate="%{x}: net %{y:,.0f}<br>recoveries %{customdata[0]:,.0f}"
                      "<br>cost %{customdata[1]:,.0f}<extra></extra>",
    ))
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig
