"""Borrower story figure: one borrower's income, debts and delinquency on one time axis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme

MARKERS = {
    "contact": ("circle", theme.PRIMARY),
    "limit increase": ("triangle-up", theme.POSITIVE),
    "limit cut": ("triangle-down", theme.NEGATIVE),
    "missed payment": ("circle-x", theme.NEGATIVE),
    "payment to collections": ("circle-open", theme.POSITIVE),
    "cure": ("star", theme.POSITIVE),
    "hardship": ("square", theme.SECONDARY),
    "arrangement re-age": ("square-x", theme.SECONDARY),
    "hardship plan repaid": ("square-open", theme.POSITIVE),
    "charge-off": ("x", theme.NEGATIVE),
    "deal cut-off": ("diamond-tall", theme.MUTED),
    "loss to the deal": ("x-thin-open", theme.NEGATIVE),
    "job loss": ("diamond", theme.NEGATIVE),
    "sudden expense": ("hexagram", theme.NEGATIVE),
    "re-employment": ("diamond", theme.POSITIVE),
}


def _spans(t: np.ndarray, flag: np.ndarray) -> list[tuple[float, float]]:
    """Time intervals where ``flag`` is True (from one row's time to the next)."""
    spans, start = [], None
    for i, f in enumerate(flag):
        if f and start is None:
            start = t[i]
        if not f and start is not None:
            spans.append((start, t[i]))
            start = None
    if start is not None:
        spans.append((start, t[-1]))
    return spans


PAYMENT_EVENTS = ("due_date", "paid_on_contact", "promise_kept")
"""Trace events whose ``paid`` is a payment: at the due date, on a collector's or a
reminder's contact, and a promise to pay kept."""


def _event_rows(trace: pd.DataFrame, events: tuple[str, ...], column: str) -> pd.DataFrame:
    if column not in trace:
        return trace.iloc[0:0]
    rows = trace[trace["event"].isin(events) & trace[column].notna()]
    return rows[rows[column] > 0]


def borrower_timeline(trace: pd.DataFrame, events: pd.DataFrame, *, borrower: int,
                      path: int) -> go.Figure:
    """Timeline of one borrower: money on two panels, days past due and events on a third.

    Args:
        trace: From :func:`dashboard.story.borrower_trace` (``t`` in months).
        events: From :func:`dashboard.story.story_events`.
        borrower: Borrower id (for the title).
        path: Path (for the title).
    """
    fig = make_subplots(
        rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07,
        row_heights=[0.3, 0.38, 0.32],
        subplot_titles=("Income and savings", "Credit line: balance, limit, bills and payments",
                        "Days past due and what happened"),
    )
    fig.update_layout(template=theme.template(), height=780, hovermode="x unified",
                      title={"text": f"Borrower {borrower} on path {path}"},
                      legend={"orientation": "v", "x": 1.02, "y": 1.0, "xanchor": "left",
                              "yanchor": "top", "yref": "paper"})
    t = trace["t"].to_numpy()
    fig.add_trace(go.Scatter(x=t, y=trace["income"], name="monthly income", mode="lines",
                             line={"shape": "hv", "color": theme.PRIMARY}), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=trace["savings"], name="savings (below 0: debts elsewhere)",
                             mode="lines",
                             line={"color": theme.POSITIVE}), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=trace["balance"], name="balance owed", mode="lines",
                             line={"color": theme.SECONDARY, "width": 2.2}), row=2, col=1)
    fig.add_trace(go.Scatter(x=t, y=trace["limit"], name="credit limit", mode="lines",
                             line={"shape": "hv", "color": theme.MUTED, "dash": "dash"}),
                  row=2, col=1)
    for events_, column, name, colour in (
            (("statement",), "bill", "bill", theme.NEUTRAL),
            (PAYMENT_EVENTS, "paid", "payment", theme.POSITIVE),
            (("purchase",), "purchase", "purchase", theme.PRIMARY),
            (("recovery",), "recovered", "recovery after charge-off", theme.SERIES[3]),
            (("debt_sale",), "sale_proceeds", "debt sold: proceeds", theme.SERIES[4])):
        rows = _event_rows(trace, events_, column)
        if rows.empty and column in ("recovered", "sale_proceeds"):
            continue  # a legend entry only for a borrower who was charged off
        fig.add_trace(go.Bar(x=rows["t"], y=rows[column], name=name, marker_color=colour,
                             width=0.25, opacity=0.8), row=2, col=1)
    fig.add_trace(go.Scatter(x=t, y=trace["dpd"], name="days past due", mode="lines",
                             line={"color": theme.NEGATIVE, "width": 2}), row=3, col=1)
    if "contractual_dpd" in trace and (trace["contractual_dpd"] != trace["dpd"]).any():
        fig.add_trace(go.Scatter(x=t, y=trace["contractual_dpd"], mode="lines",
                                 name="contractual days past due (as if not re-aged)",
                                 line={"color": theme.NEGATIVE, "width": 1.5, "dash": "dot"}),
                      row=3, col=1)
    for kind, group in events.groupby("kind", sort=False):
        symbol, colour = MARKERS.get(kind, ("circle", theme.NEUTRAL))
        fig.add_trace(go.Scatter(
            x=group["t"], y=group["dpd"], mode="markers", name=kind, text=group["label"],
            marker={"symbol": symbol, "size": 11, "color": colour,
                    "line": {"width": 1, "color": theme.INK}},
            hovertemplate="%{text}<extra>" + kind + "</extra>"), row=3, col=1)
    fig.update_yaxes(title_text="currency units", tickformat=",.3~s", row=1, col=1)
    fig.update_yaxes(title_text="currency units", tickformat=",.3~s", row=2, col=1)
    fig.update_yaxes(title_text="days past due", rangemode="tozero", row=3, col=1)
    late = trace["dpd"].max()
    if "contractual_dpd" in trace:
        late = max(late, trace["contractual_dpd"].max())
    if not late > 0:  # never late: a flat 0 on whole days, not an axis of 0.2-day steps
        fig.update_yaxes(range=[0, 30], dtick=10, row=3, col=1)
    # shaded after the traces: plotly leaves out subplots that are still empty
    for span in _spans(t, ~trace["employed"].to_numpy(bool)):
        fig.add_vrect(x0=span[0], x1=span[1], fillcolor=theme.rgba(theme.NEGATIVE, 0.08),
                      line_width=0, row="all", col=1)
    fig.update_xaxes(title_text="month (shaded: unemployed)", row=3, col=1)
    fig.update_layout(barmode="group")
    return fig
