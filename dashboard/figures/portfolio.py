"""Portfolio page figures: fan charts of the book, delinquency mix, roll rates, vintages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.aggregate.portfolio import SERIES
from dashboard.figures.common import empty_figure, fan_chart, new_figure


def series_fan(fans: pd.DataFrame, series: str) -> go.Figure:
    """Fan chart of one monthly series of :data:`~dashboard.aggregate.portfolio.SERIES`.

    Args:
        fans: Fan table of a run (:func:`~dashboard.aggregate.portfolio.portfolio_fans`).
        series: Column name, e.g. ``receivables_balance`` or ``unemployment_rate``.
    """
    meta = SERIES[series]
    if series not in set(fans["series"]):
        return empty_figure(f"this run has no {meta.title.lower()} series", meta.title)
    return fan_chart(fans, [series], title=f"{meta.title} (median and 5-95 % of paths)",
                     yaxis=meta.axis, unit=meta.unit, names=[meta.title])


def delinquency_fan(fans: pd.DataFrame) -> go.Figure:
    """30+ and 90+ days-past-due balances as shares of receivables, fan charts."""
    return fan_chart(fans, ["dpd30_rate", "dpd90_rate"],
                     title="Delinquent balance, 30+ and 90+ days past due (median and 5-95 %)",
                     yaxis="share of receivables (%)", unit="rate",
                     names=["30+ dpd", "90+ dpd"])


def bucket_area(buckets: pd.DataFrame) -> go.Figure:
    """Stacked area of delinquent balance by bucket, as a share of receivables.

    Args:
        buckets: Index ``month``, one column per delinquent bucket (fractions), from
            :func:`~dashboard.aggregate.portfolio.bucket_mix`.
    """
    fig = new_figure("Delinquent balance by bucket (mean across paths)",
                     "month of the horizon", "share of receivables (%)", "rate")
    for bucket in buckets.columns:
        fig.add_trace(go.Scatter(
            x=buckets.index, y=buckets[bucket], mode="lines", stackgroup="buckets",
            name=theme.BUCKET_LABELS.get(bucket, bucket),
            line={"width": 0.5, "color": theme.BUCKET_COLOURS.get(bucket, theme.NEUTRAL)},
        ))
    return fig


def roll_rate_heatmap(roll: pd.DataFrame) -> go.Figure:
    """Heatmap of roll rates: from-bucket × to-bucket shares of accounts a month later.

    Args:
        roll: :func:`~dashboard.aggregate.portfolio.roll_rate_matrix_from_rolls` output
            (empty when the run has no ``rolls`` table).
    """
    if roll.empty:
        return empty_figure("this run has no roll counts (rolls table)", "Roll rates")
    z = roll.to_numpy(dtype=float)
    text = np.where(np.isfinite(z), np.char.mod("%.0f%%", np.nan_to_num(z) * 100), "")
    title = "Roll rates: where accounts were a month later (pooled over paths and months)"
    xaxis, yaxis = "bucket a month later", "bucket at month end"
    x = [str(c) for c in roll.columns]
    fig = new_figure(title, xaxis, yaxis, unit="rate", height=400)
    fig.add_trace(go.Heatmap(
        z=z, x=x, y=[str(i) for i in roll.index], colorscale=theme.HEATMAP, zmin=0,
        zmax=float(np.nanmax(z)) if np.isfinite(z).any() else 1.0,
        colorbar={"title": {"text": "roll rate"}, "tickformat": ".0%"},
        text=text, texttemplate="%{text}",
        hovertemplate="%{y}<br>%{x}: %{z:.1%}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", tickformat="")
    fig.update_layout(title={"font": {"size": 13}})
    return fig


def vintage_curves(vintages: pd.DataFrame | None) -> go.Figure:
    """Cumulative default rate by months on book, one line per onboarding cohort group.

    Args:
        vintages: From :func:`~dashboard.aggregate.portfolio.vintage_curves`.
    """
    if vintages is None or vintages.empty:
        return empty_figure("this run has no vintage table", "Vintage curves")
    fig = new_figure("Vintage curves: borrowers charged off by months on book "
                     "(pooled across paths)", "months on book",
                     "cumulative default rate (% of borrowers)", "rate", height=420)
    groups = vintages.drop_duplicates("order").sort_values("order")
    for i, (order, label) in enumerate(groups[["order", "group"]].itertuples(index=False)):
        g = vintages[vintages["order"] == order]
        launch = order == 0
        colour = theme.COHORT_COLOURS[i % len(theme.COHORT_COLOURS)]
        fig.add_trace(go.Scatter(
            x=g["months_on_book"], y=g["default_rate"], mode="lines", name=label,
            line={"color": colour, "width": 2.6 if launch else 1.6},
        ))
    fig.update_layout(legend={"orientation": "v", "y": 1, "x": 1.02, "xanchor": "left",
                              "yanchor": "top"}, hovermode="closest")
    return fig
