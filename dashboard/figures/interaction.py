"""Compare page, second scenario: the difference in differences of four runs.

Policy A and B run in scenario 1 (A1, B1) and again in scenario 2 (A2, B2). The table and
the chart show each scenario's policy effect B - A and how much it changes, the
interaction ``(B2 - A2) - (B1 - A1)`` of :func:`sim.interaction.interaction_runs`, in the
number format and colours of the two-run comparison (:mod:`dashboard.figures.compare`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.figures.common import empty_figure, title
from dashboard.figures.compare import (
    VERDICT_COLOURS,
    judgement_notes,
    metric_label,
    significant_verdicts,
)
from sim.compare import shorten_keys, significance_text
from sim.interaction import MEANING, Design
from sim.metrics import format_metric, is_rate

COLUMNS = [
    {"id": "metric", "name": "metric"},
    {"id": "effect_1", "name": "B1 - A1"},
    {"id": "effect_2", "name": "B2 - A2"},
    {"id": "interaction", "name": "(B2 - A2) - (B1 - A1)"},
    {"id": "ci", "name": "95 % CI (paired)"},
    {"id": "significant", "name": "significant"},
]
"""The table's columns, those of ``creditsim compare A1 B1 --against A2 B2``."""

VERDICT_NAMES = {
    "better": "B's effect better in scenario 2 (significant)",
    "worse": "B's effect worse in scenario 2 (significant)",
    "neutral": "not significant, or neither better nor worse",
}
"""Legend entries of the interaction's colours: whether policy B fares better or worse
against A in scenario 2 than in scenario 1, by the metric's better direction
(:func:`sim.metrics.verdict` of the interaction)."""
VERDICT_CAPTION = ("green: B's effect better in scenario 2 than in 1, red: worse "
                   "(significant, by each metric's better direction); grey: not "
                   "significant or no better direction")
EFFECT_STYLE = {1: ("B1 - A1 (scenario 1)", "circle-open", theme.NEUTRAL, 0.18),
                2: ("B2 - A2 (scenario 2)", "circle", theme.INK, -0.18)}
"""Each scenario's effect on the chart: legend name, marker, colour and offset from the
metric's row (scenario 1 above, scenario 2 below)."""


def rows(result: pd.DataFrame) -> list[dict]:
    """Rows of the table in the CLI's number format (:func:`sim.metrics.format_metric`);
    ``significant`` is ``n/a`` below the stated path count, as in the command's table."""
    out = []
    for r in result.itertuples(index=False):
        m, n = r.metric, int(r.paths)
        out.append({
            "metric": metric_label(m),
            "effect_1": format_metric(m, r.effect_1, True),
            "effect_2": format_metric(m, r.effect_2, True),
            "interaction": format_metric(m, r.interaction, True),
            "ci": f"[{format_metric(m, r.ci_low, True)}, {format_metric(m, r.ci_high, True)}]",
            "significant": significance_text(r.significant, r.significant_alone, r.p_value, n),
        })
    return out


def caption(result: pd.DataFrame, design: Design) -> str:
    """What the estimate means (:data:`sim.interaction.MEANING`), with n, the pairing and
    how significance is judged."""
    if result.empty:
        return ""
    n = int(result["paths"].iloc[0])
    return " ".join([f"{n} paired paths, {design.headline()}.",
                     f"{MEANING[0].upper()}{MEANING[1:]}.", *judgement_notes(result)])


def changes(design: Design) -> str:
    """The config keys the policy and the scenario change, as the command's note says."""
    return (f"Policy change (A1 to B1): {shorten_keys(design.policy) or 'none'}. Scenario "
            f"change (A1 to A2): {shorten_keys(design.scenario) or 'none'}.")


def chart(result: pd.DataFrame) -> go.Figure:
    """Each scenario's policy effect and the interaction of each rate metric, with 95 %
    confidence intervals (dot and whisker), on two panels sharing the metrics' rows.

    Left: B1 - A1 (hollow) and B2 - A2 (filled), each with its paired interval. Right: the
    difference in differences with its paired interval, green when B's effect is
    significantly better in scenario 2 than in scenario 1 and red when worse, by the
    metric's better direction (:data:`sim.metrics.BETTER`: a fall in a loss rate is
    better), grey when not significant or when the metric has no better direction.
    Every metric the table shows in percentage points is drawn
    (:func:`sim.metrics.is_rate`); amounts (costs) are left to the table, as they do not
    share the axis.

    Args:
        result: :func:`sim.interaction.interaction_estimate` output (fractions).
    """
    df = result.iloc[::-1]
    df = df[[is_rate(m) for m in df["metric"]]].reset_index(drop=True)
    if df.empty:
        return empty_figure("no rate metric to show", "Difference in differences")
    labels = [metric_label(m) for m in df["metric"]]
    y = np.arange(len(df), dtype=float)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05,
                        subplot_titles=("Policy effect B - A in each scenario",
                                        "Difference in differences (B2 - A2) - (B1 - A1)"))
    fig.update_layout(
        template=theme.template(), height=max(380, 150 + 44 * len(df)),
        title=title("Policy effect per scenario and its change, with 95 % confidence "
                    "interval (paired)", VERDICT_CAPTION),
        hovermode="closest", margin={"l": 200})
    for n, (name, symbol, colour, offset) in EFFECT_STYLE.items():
        pp = df[[f"effect_{n}", f"effect_{n}_ci_low", f"effect_{n}_ci_high"]].to_numpy() * 100
        _dots(fig, pp, y + offset, labels, name, {"color": colour, "symbol": symbol}, col=1)
    verdicts = significant_verdicts(df["metric"], df["interaction"], df["significant"])
    pp = df[["interaction", "ci_low", "ci_high"]].to_numpy() * 100
    for name in ("better", "worse", "neutral"):
        at = [i for i, v in enumerate(verdicts) if v == name]
        if at:
            _dots(fig, pp[at], y[at], [labels[i] for i in at], VERDICT_NAMES[name],
                  {"color": VERDICT_COLOURS[name], "symbol": "diamond"}, col=2)
    for col in (1, 2):
        fig.add_vline(x=0, line={"color": theme.MUTED, "dash": "dot"}, row=1, col=col)
    fig.update_xaxes(ticksuffix=" pp", title_text="percentage points")
    fig.update_yaxes(tickvals=y, ticktext=labels, range=[-0.6, len(df) - 0.4],
                     showgrid=False)
    return fig


def _dots(fig: go.Figure, pp: np.ndarray, y: np.ndarray, labels: list[str], name: str,
          marker: dict, col: int) -> None:
    """Estimates (``pp[:, 0]``) with their intervals (``pp[:, 1:]``), in percentage points,
    at rows ``y`` of panel ``col``."""
    fig.add_trace(go.Scatter(
        x=pp[:, 0], y=y, mode="markers", name=name, customdata=labels,
        marker={**marker, "size": 10, "line": {"width": 1.5, "color": marker["color"]}},
        error_x={"type": "data", "symmetric": False, "array": pp[:, 2] - pp[:, 0],
                 "arrayminus": pp[:, 0] - pp[:, 1], "color": marker["color"],
                 "thickness": 1.5},
        hovertemplate=f"%{{customdata}}<br>{name}: %{{x:+.3f}} pp<extra></extra>",
    ), row=1, col=col)
