"""Portfolio page figures: fan charts of the book, delinquency mix, roll rates, vintages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.aggregate.portfolio import SERIES
from dashboard.figures.common import (
    LAUNCH_TOGETHER,
    axis_title,
    band_words,
    empty_figure,
    fan_chart,
    mark_launch,
    new_figure,
)


def series_fan(fans: pd.DataFrame, series: str) -> go.Figure:
    """Fan chart of one monthly series of :data:`~dashboard.aggregate.portfolio.SERIES`.

    Args:
        fans: Fan table of a run (:func:`~dashboard.aggregate.portfolio.portfolio_fans`).
        series: Column name, e.g. ``receivables_balance`` or ``unemployment_rate``.
    """
    meta = SERIES[series]
    if series not in set(fans["series"]):
        return empty_figure(f"this run has no {meta.title.lower()} series", meta.title)
    band = band_words(fans[fans["series"] == series])
    fig = fan_chart(fans, [series], title=f"{meta.title} (median and {band})",
                    yaxis=meta.axis, unit=meta.unit, names=[meta.title])
    if series in LAUNCH_SPIKES:  # the launch cohort's first charge-offs come together
        fig = mark_launch(fig, float(fans["month"].max()) if len(fans) else 0.0,
                          LAUNCH_TOGETHER)
    return fig


LAUNCH_SPIKES = ("charge_off_rate",)
"""Series whose launch months spike (the launch book's first charge-offs fall in one month)
and which the headline rates count: shaded, saying why."""


def delinquency_fan(fans: pd.DataFrame) -> go.Figure:
    """30+ and 90+ days-past-due balances as shares of receivables, fan charts, with the
    launch months shaded (:func:`~dashboard.figures.common.mark_launch`)."""
    shown = ["dpd30_rate", "dpd90_rate"]
    band = band_words(fans[fans["series"].isin(shown)])
    fig = fan_chart(fans, shown,
                    title=f"Delinquent balance, 30+ and 90+ days past due (median and {band})",
                    yaxis="share of receivables (%)", unit="rate",
                    names=["30+ dpd", "90+ dpd"])
    return mark_launch(fig, float(fans["month"].max()) if len(fans) else 0.0)


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
    return mark_launch(fig, float(buckets.index.max()) if len(buckets) else 0.0)


def _weight_buttons(traces_per_view: int, views: int = 2, axes: tuple[str, ...] = (),
                    **place: float | str) -> list[dict]:
    """Buttons that show one view (by accounts, by balance) of a figure's traces.

    ``axes``: the y-axis title of each view, when the views measure different things (a
    share of borrowers, a share of money). ``place`` overrides the position (paper
    coordinates; default above the plot's right corner).
    """
    buttons = []
    for v, label in enumerate(("by accounts", "by balance")[:views]):
        visible = [i // traces_per_view == v for i in range(traces_per_view * views)]
        if axes:
            buttons.append({"label": label, "method": "update",
                            "args": [{"visible": visible},
                                     {"yaxis.title.text": axis_title(axes[v])}]})
            continue
        buttons.append({"label": label, "method": "restyle", "args": [{"visible": visible}]})
    return [{"type": "buttons", "direction": "right", "buttons": buttons, "showactive": True,
             "x": 1.0, "xanchor": "right", "y": 1.0, "yanchor": "bottom", "pad": {"b": 6},
             "font": {"size": 11}, **place}]


def roll_rate_heatmap(roll: pd.DataFrame,
                      roll_balance: pd.DataFrame | None = None) -> go.Figure:
    """Heatmap of roll rates: from-state × to-state shares a month later.

    Args:
        roll: :func:`~dashboard.aggregate.portfolio.roll_rate_matrix_from_rolls` by accounts
            (empty when the run has no ``rolls`` table).
        roll_balance: The same matrix weighted by balance, when the run has it; the
            figure then gets buttons to switch between the two weightings.
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
    if roll_balance is not None and not roll_balance.empty:
        zb = roll_balance.to_numpy(dtype=float)
        fig.add_trace(go.Heatmap(
            z=zb, x=[str(c) for c in roll_balance.columns],
            y=[str(i) for i in roll_balance.index], colorscale=theme.HEATMAP, zmin=0,
            zmax=float(np.nanmax(zb)) if np.isfinite(zb).any() else 1.0, visible=False,
            colorbar={"title": {"text": "roll rate"}, "tickformat": ".0%"},
            text=np.where(np.isfinite(zb), np.char.mod("%.0f%%", np.nan_to_num(zb) * 100), ""),
            texttemplate="%{text}",
            hovertemplate="%{y}<br>%{x}: %{z:.1%} of balance<extra></extra>",
        ))
        fig.update_layout(updatemenus=_weight_buttons(1))
    fig.update_yaxes(autorange="reversed", tickformat="")
    fig.update_layout(title={"font": {"size": 13}})
    return fig


VINTAGE_AXES = {"default_rate": "borrowers charged off / onboarded (%)",
                "loss_rate": "charge-offs / purchases to date (%)"}
"""The vintage curves' y-axis title of each view: a share of borrowers is not the charge-off
rate of the cards (a share of the money lent), so each view names its own."""


def vintage_curves(vintages: pd.DataFrame | None) -> go.Figure:
    """Cumulative charge-off rate by months on book, one line per onboarding cohort group.

    Buttons switch between the rate by accounts (borrowers charged off / onboarded) and by
    balance (charge-offs / purchases to date), when the aggregate has ``loss_rate``.

    Args:
        vintages: From :func:`~dashboard.aggregate.portfolio.vintage_curves`.
    """
    if vintages is None or vintages.empty:
        return empty_figure("this run has no vintage table", "Vintage curves")
    groups = vintages.drop_duplicates("order").sort_values("order")
    views = [c for c in ("default_rate", "loss_rate")
             if c in vintages and vintages[c].notna().any()]
    axes = tuple(VINTAGE_AXES[c] for c in views)
    fig = new_figure("Vintage curves: cumulative charge-offs by months on book",
                     "months on book", axes[0] if axes else "", "rate", height=420,
                     subtitle="pooled across paths<br>by accounts: charged off / onboarded"
                              "<br>by balance: charge-offs / purchases to date")
    for view, column in enumerate(views):
        for i, (order, label) in enumerate(groups[["order", "group"]].itertuples(index=False)):
            g = vintages[vintages["order"] == order]
            launch = order == 0
            colour = theme.COHORT_COLOURS[i % len(theme.COHORT_COLOURS)]
            fig.add_trace(go.Scatter(
                x=g["months_on_book"], y=g[column], mode="lines", name=label,
                visible=view == 0, legendgroup=label, showlegend=view == 0,
                line={"color": colour, "width": 2.6 if launch else 1.6},
            ))
    if len(views) == 2:
        # above the plot's right corner: under the legend they hid its last cohorts
        fig.update_layout(updatemenus=_weight_buttons(len(groups), axes=axes))
    # one legend group per cohort (the two views' lines share an entry): without a gap between
    # groups, twelve cohorts fit beside the plot instead of in a scrolled legend
    fig.update_layout(legend={"orientation": "v", "y": 1, "x": 1.02, "xanchor": "left",
                              "yanchor": "top", "yref": "paper", "tracegroupgap": 0},
                      hovermode="closest")
    return fig
