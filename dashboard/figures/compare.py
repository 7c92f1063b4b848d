"""Compare page figures: two runs on the same axes, and their paired differences."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.aggregate.portfolio import SERIES
from dashboard.figures.common import add_fan, empty_figure, new_figure

METRIC_LABELS = {
    "cumulative_charge_off_rate": "Cumulative charge-off rate",
    "net_loss_rate": "Net loss rate",
    "recovery_rate": "Recovery rate",
    "annualised_charge_off_rate": "Annualised charge-off rate",
    "borrower_default_rate": "Borrower default rate",
    "peak_dpd30_rate": "Peak 30+ dpd rate",
}


def metric_label(metric: str) -> str:
    """Display name of a per-path metric (``net_loss_rate`` → ``Net loss rate``)."""
    return METRIC_LABELS.get(metric, metric.replace("_", " ").capitalize())


def is_rate(metric: str) -> bool:
    """Whether a per-path metric is a fraction (shown in %) rather than an amount."""
    return metric.endswith(("_rate", "_share", "_ratio"))


def _fmt(metric: str, value: float, signed: bool = False) -> str:
    if is_rate(metric):
        return theme.signed_pct(value) if signed else theme.pct(value, 3)
    text = theme.money(value)
    return f"+{text}" if signed and value > 0 else text


def compare_fan(fans_a: pd.DataFrame, fans_b: pd.DataFrame, series: str,
                labels: tuple[str, str] = ("A", "B")) -> go.Figure:
    """One series of two runs on the same axes: medians and 5-95 % bands.

    Args:
        fans_a: Fan table of run A.
        fans_b: Fan table of run B.
        series: Column of :data:`~dashboard.aggregate.portfolio.SERIES`.
        labels: Legend names of A and B.
    """
    meta = SERIES[series]
    fig = new_figure(f"{meta.title}: A and B (median and 5-95 % of paths)",
                     "month of the horizon", meta.axis, meta.unit)
    for fans, label, side, dash in ((fans_a, labels[0], "A", None),
                                    (fans_b, labels[1], "B", "dash")):
        frame = fans[fans["series"] == series]
        if not frame.empty:
            add_fan(fig, frame, label, theme.RUN_COLOURS[side], dash=dash)
    return fig


def difference_chart(comparison: pd.DataFrame) -> go.Figure:
    """Paired difference B - A of each rate metric with its 95 % confidence interval.

    Amount metrics (costs) are left to the table, as they do not share the axis.

    Args:
        comparison: :func:`sim.compare.paired_comparison` output (fractions).
    """
    if comparison.empty:
        return empty_figure("nothing to compare", "Paired differences")
    df = comparison.iloc[::-1]
    df = df[[is_rate(m) for m in df["metric"]]]
    labels = [metric_label(m) for m in df["metric"]]
    diff = df["difference"].to_numpy() * 100
    colours = [theme.NEGATIVE if s and d > 0 else theme.POSITIVE if s else theme.NEUTRAL
               for s, d in zip(df["significant"], diff, strict=True)]
    fig = new_figure("Paired difference B - A per metric, with 95 % confidence interval",
                     "B - A (percentage points)", "", unit="", height=360)
    fig.add_trace(go.Scatter(
        x=diff, y=labels, mode="markers", name="paired difference",
        marker={"color": colours, "size": 10},
        error_x={"type": "data", "symmetric": False,
                 "array": df["ci_high"].to_numpy() * 100 - diff,
                 "arrayminus": diff - df["ci_low"].to_numpy() * 100,
                 "color": theme.INK, "thickness": 1.5},
        hovertemplate="%{y}: %{x:+.3f} pp<extra></extra>",
    ))
    if "unpaired_ci_low" in df:
        fig.add_trace(go.Scatter(
            x=diff, y=labels, mode="markers", name="unpaired 95 % CI (for contrast)",
            marker={"color": "rgba(0,0,0,0)", "size": 1},
            error_x={"type": "data", "symmetric": False,
                     "array": df["unpaired_ci_high"].to_numpy() * 100 - diff,
                     "arrayminus": diff - df["unpaired_ci_low"].to_numpy() * 100,
                     "color": theme.rgba(theme.NEUTRAL, 0.5), "thickness": 6, "width": 0},
            hoverinfo="skip",
        ))
    fig.add_vline(x=0, line={"color": theme.MUTED, "dash": "dot"})
    fig.update_xaxes(ticksuffix=" pp")
    fig.update_layout(hovermode="closest", margin={"l": 200})
    return fig


def comparison_rows(comparison: pd.DataFrame) -> list[dict]:
    """Rows of the difference table, formatted for display (rates in %, amounts abbreviated)."""
    rows = []
    for r in comparison.itertuples(index=False):
        m = r.metric
        rows.append({
            "metric": metric_label(m), "A": _fmt(m, r.mean_a), "B": _fmt(m, r.mean_b),
            "difference": _fmt(m, r.difference, True),
            "ci": f"[{_fmt(m, r.ci_low, True)}, {_fmt(m, r.ci_high, True)}]",
            "unpaired_ci": f"[{_fmt(m, r.unpaired_ci_low, True)}, "
                           f"{_fmt(m, r.unpaired_ci_high, True)}]",
            "significant": "yes" if r.significant else "no",
        })
    return rows


COMPARISON_COLUMNS = [
    {"id": "metric", "name": "metric"},
    {"id": "A", "name": "mean A"},
    {"id": "B", "name": "mean B"},
    {"id": "difference", "name": "B - A"},
    {"id": "ci", "name": "95 % CI (paired)"},
    {"id": "unpaired_ci", "name": "95 % CI (unpaired)"},
    {"id": "significant", "name": "significant"},
]
