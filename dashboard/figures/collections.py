"""Collections page figures: actions by channel, the parts of the collection cost, cures and
re-ages, capacity, money collected less cost by channel."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.aggregate.collections import NOT_ITEMISED
from dashboard.figures.common import (
    HOVERFORMAT,
    TICKFORMAT,
    add_fan,
    axis_title,
    band_words,
    empty_figure,
    new_figure,
)


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


COST_TITLE = "Collection cost by part (mean across paths)"
COST_SUBTITLE = ("each channel's contacts and commissions, the collectors' pay and legal "
                 "costs:<br>stacked, they make collection_cost, the Portfolio page's "
                 "Collection cost")
_OTHER_PARTS = {"collector_cost": "collector cost", "legal_costs": "legal costs",
                NOT_ITEMISED: "not itemised (run stored before its parts)"}
"""Legend names of the parts of ``collection_cost`` that are not a channel's: their
columns' names, in words."""


def cost_part_label(column: str) -> str:
    """The legend name of a part of ``collection_cost``: the channel of a ``cost_<channel>``
    column (``cost_auto_call`` → ``auto call``), the other parts' column names in words
    (``legal_costs`` → ``legal costs``)."""
    if column.startswith("cost_"):
        return _label(column.removeprefix("cost_"))
    return _OTHER_PARTS.get(column, _label(column))


def cost_by_channel(cost: pd.DataFrame) -> go.Figure:
    """Collection cost per month by part (mean across paths), stacked: every part of
    ``collection_cost``, so that the stack is the run's collection cost (the human
    channel's calls and the collectors' salaried pay are two parts; legal costs one).

    Args:
        cost: Index ``month``, one column per part (currency units), from
            :func:`~dashboard.aggregate.collections.cost_parts`.
    """
    if cost.empty or cost.shape[1] == 0:
        return empty_figure("no collection cost in this run", COST_TITLE)
    fig = new_figure(COST_TITLE, "month of the horizon", "cost per month (currency units)",
                     "money", subtitle=COST_SUBTITLE)
    for i, column in enumerate(cost.columns):
        name = cost_part_label(column)
        fig.add_trace(go.Scatter(
            x=cost.index, y=cost[column], mode="lines", stackgroup="parts", name=name,
            line={"width": 0.5, "color": theme.SERIES[i % len(theme.SERIES)]},
            hovertemplate=f"{name} ({column}): %{{y:,.0f}}<extra></extra>",
        ))
    return fig


_MOVES = (("cure", "cured (to current)", theme.POSITIVE),
          ("re_age", "re-aged (not a cure)", theme.SECONDARY))
_WEIGHT_LABEL = {"accounts": "by accounts", "balance": "by balance"}


def cure_rate_bars(cures: pd.DataFrame) -> go.Figure:
    """Cure and re-age rates of each delinquent bucket, by accounts and by balance.

    Pooled rates with the 5-95 % range of the per-path rates; a re-age is shown beside
    the cures, never in them.

    Args:
        cures: From :func:`~dashboard.aggregate.collections.cure_rates`.
    """
    if cures.empty:
        return empty_figure("this run has no rolls table to take cures from",
                            "Cure and re-age rates by bucket")
    fig = new_figure("Cure and re-age rates by bucket: share in each state at the next "
                     "month end", "bucket at month end", "rate (%)", "rate",
                     subtitle="solid: by accounts; hatched: by balance at the month end "
                              "before")
    for move, label, colour in _MOVES:
        for weight, frame in cures.groupby("weight", sort=False):
            fig.add_trace(go.Bar(
                x=[theme.BUCKET_LABELS.get(b, b) for b in frame["bucket"]], y=frame[move],
                name=f"{label}, {_WEIGHT_LABEL.get(weight, weight)}",
                marker={"color": colour,
                        "pattern": {"shape": "/" if weight == "balance" else ""}},
                error_y={"type": "data", "symmetric": False,
                         "array": frame[f"{move}_p95"] - frame[move],
                         "arrayminus": frame[move] - frame[f"{move}_p5"], "color": theme.INK},
                hovertemplate="%{x}: %{y:.1%}<extra>" + label + ", "
                              + _WEIGHT_LABEL.get(weight, weight) + "</extra>",
            ))
    fig.update_layout(hovermode="closest", barmode="group")
    return fig


def capacity_fans(fans: pd.DataFrame) -> go.Figure:
    """Collector utilisation and queue wait over months, fan charts on two panels."""
    have = set(fans["series"])
    if not {"collector_utilisation", "queue_wait_days"} & have:
        return empty_figure("this run records no collector capacity",
                            "Collector utilisation and queue wait")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("Collector utilisation", "Queue wait for a collector"))
    band = band_words(fans[fans["series"].isin(["collector_utilisation", "queue_wait_days"])])
    fig.update_layout(template=theme.template(), height=460,
                      title={"text": f"Collector utilisation and queue wait (median and {band})"})
    panels = (("collector_utilisation", 1, "utilisation (%)", "rate", theme.PRIMARY),
              ("queue_wait_days", 2, "wait (days)", "days", theme.SECONDARY))
    for series, row, axis, unit, colour in panels:
        frame = fans[fans["series"] == series]
        if not frame.empty:
            add_fan(fig, frame, axis.split(" (")[0], colour, row=row, col=1)
        fig.update_yaxes(title_text=axis_title(axis), tickformat=TICKFORMAT[unit],
                         hoverformat=HOVERFORMAT[unit], rangemode="tozero", row=row,
                         col=1)  # a share and a wait are never negative: no axis below 0
    fig.update_xaxes(title_text="month of the horizon", row=2, col=1)
    return fig


COLLECTED_TITLE = "Money collected after contact, less cost, by channel"


def net_recovery_bars(net: pd.DataFrame) -> go.Figure:
    """Money attributed to each channel less its cost over the horizon, mean and 5-95 %.

    Attribution (see :func:`~dashboard.aggregate.collections.net_recovery`): payments on
    the day of a contact go to the first channel that worked, kept promises to the channel
    that obtained them, recoveries after charge-off to the agency that held the account.
    It is not the channel's incremental value: borrowers who would have paid anyway count.

    Args:
        net: From :func:`~dashboard.aggregate.collections.net_recovery`.
    """
    if net.empty:
        return empty_figure("no channel data in this run", COLLECTED_TITLE)
    partial = not bool(net["has_recoveries"].all())
    sub = ("paid on the day of a contact (first channel that worked) + the agency's "
           "recoveries after charge-off<br>attributed, not caused by the contact")
    if partial:
        sub += "<br>channels with no money attributed show their cost only"
    fig = new_figure(f"{COLLECTED_TITLE} (mean across paths)", "channel",
                     "collected less cost per path (currency units)", "money", subtitle=sub)
    fig.add_trace(go.Bar(
        x=[_label(c) for c in net["channel"]], y=net["net"], name="collected less cost",
        marker_color=[theme.POSITIVE if v >= 0 else theme.NEGATIVE for v in net["net"]],
        error_y={"type": "data", "symmetric": False, "array": net["p95"] - net["net"],
                 "arrayminus": net["net"] - net["p5"], "color": theme.INK},
        customdata=net[["recoveries", "cost"]].to_numpy(),
        hovertemplate="%{x}: collected less cost %{y:,.0f}<br>collected %{customdata[0]:,.0f}"
                      "<br>cost %{customdata[1]:,.0f}<extra></extra>",
    ))
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig
