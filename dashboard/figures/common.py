"""Building blocks of every figure: fan charts, axes by unit, the empty-state figure."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from sim.metrics import SEASONED_MONTH, resolvable

TICKFORMAT = {"rate": ".3~%", "money": ",.3~s", "count": ",.3~s", "days": ",.1f"}
HOVERFORMAT = {"rate": ".2%", "money": ",.0f", "count": ",.0f", "days": ",.2f"}


SUBTITLE_LINE = 16
"""Extra top margin per subtitle line (pixels: a 12-13 px line and its spacing)."""
SUBTITLE_FONT = 12
"""Size of a subtitle's text (pixels)."""


def title(text: str, subtitle: str = "") -> dict:
    """A figure's ``layout.title``: ``text`` and, under it in smaller muted type, plotly's
    own ``subtitle`` (lines joined by ``<br>``). A subtitle written as ``<br><sup>`` lines
    of the title was spaced by the title's font and left a gap between its lines."""
    if not subtitle:
        return {"text": text}
    return {"text": text, "subtitle": {"text": subtitle, "font": {
        "size": SUBTITLE_FONT, "color": theme.MUTED}}}


def title_lines(fig: go.Figure) -> tuple[int, int]:
    """How many lines ``fig``'s title and its subtitle take (``<br>``-separated)."""
    head = fig.layout.title.text
    sub = fig.layout.title.subtitle.text
    return ((head.count("<br>") + 1) if head else 0, (sub.count("<br>") + 1) if sub else 0)


def new_figure(text: str, xaxis: str, yaxis: str, unit: str = "money",
               height: int = 380, subtitle: str = "") -> go.Figure:
    """An empty figure in the dashboard's style with titled axes.

    The subtitle, lines joined by ``<br>``, is set under the title (:func:`title`); the top
    margin grows with its lines, so that a long subtitle never runs into the plot.
    """
    fig = go.Figure()
    fig.update_layout(template=theme.template(), title=title(text, subtitle), height=height)
    head, sub = title_lines(fig)
    extra = max(head - 1, 0) + sub
    if extra:
        fig.update_layout(margin={"t": theme.MARGIN["t"] + SUBTITLE_LINE * extra})
    fig.update_xaxes(title_text=xaxis)
    fig.update_yaxes(title_text=axis_title(yaxis), tickformat=TICKFORMAT.get(unit, ""),
                     hoverformat=HOVERFORMAT.get(unit, ""))
    return fig


AXIS_TITLE_CHARS = 24
"""Longest line of a y-axis title (characters). Written upright along the axis, a longer
one outgrew a 380-pixel figure's plot and ran into the chart's title above it
("charge-offs / opening receivables (%)")."""


def axis_title(text: str) -> str:
    """A y-axis title broken into lines of at most :data:`AXIS_TITLE_CHARS` characters at
    spaces (``textwrap.wrap``), joined by ``<br>``, a closing unit in brackets kept whole on
    a line (``cost per month<br>(currency units)``); the margin grows to hold them."""
    if len(text) <= AXIS_TITLE_CHARS:
        return text
    head, bracket, unit = text.rpartition(" (")
    if not (bracket and text.endswith(")") and len(unit) < AXIS_TITLE_CHARS):
        return "<br>".join(textwrap.wrap(text, AXIS_TITLE_CHARS))
    lines = textwrap.wrap(head, AXIS_TITLE_CHARS)
    unit = f"({unit}"
    if len(lines[-1]) + 1 + len(unit) <= AXIS_TITLE_CHARS:
        lines[-1] = f"{lines[-1]} {unit}"
    else:
        lines.append(unit)
    return "<br>".join(lines)


def empty_figure(message: str, title: str = "") -> go.Figure:
    """A figure with no data and ``message`` in its middle (for 'no data' states)."""
    fig = go.Figure()
    fig.update_layout(
        template=theme.template(), title={"text": title}, height=300,
        xaxis={"visible": False}, yaxis={"visible": False},
        annotations=[{"text": message, "showarrow": False, "font": {"color": theme.MUTED},
                      "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}],
    )
    return fig


def band_words(frame: pd.DataFrame) -> str:
    """What the band of a fan table's rows shows, as its legend and its chart's title say:
    ``5-95 % of paths``, or, with fewer than the 20 paths that resolve those percentiles
    (:func:`sim.metrics.resolvable`), the paths' whole range (as
    :func:`dashboard.aggregate.portfolio.fan_table` draws it): ``range of 4 paths``, or
    ``range of 2-3 paths a period`` when the count differs between periods.

    Args:
        frame: Rows of a fan table (column ``paths``: how many paths had a value).
    """
    paths = int(frame["paths"].max()) if "paths" in frame and len(frame) else 0
    if paths == 0 or resolvable(0.05, paths):
        return "5-95 % of paths"
    least = int(frame["paths"][frame["paths"] > 0].min())
    counted = f"{paths} paths" if least == paths else f"{least}-{paths} paths a period"
    return f"range of {counted}"


def add_fan(fig: go.Figure, frame: pd.DataFrame, name: str, colour: str, *,
            key: str = "month", band: bool = True, dash: str | None = None,
            row: int | None = None, col: int | None = None) -> None:
    """Add a median line and a shaded band across paths to ``fig``: 5-95 %, or the paths'
    whole range below 20 paths (:func:`band_words`).

    Args:
        frame: One series of a fan table (columns ``<key>, p5, p50, p95``).
        name: Legend name of the series.
        colour: ``#rrggbb`` line colour; the band is the same colour, translucent.
        key: Time column.
        band: Draw the band (False: median only).
        dash: Line dash style of the median.
    """
    x = frame[key].to_numpy()
    where = {"row": row, "col": col} if row is not None else {}
    if band:
        fig.add_trace(go.Scatter(
            x=x, y=frame["p95"], mode="lines", line={"width": 0}, legendgroup=name,
            showlegend=False, hoverinfo="skip", name=f"{name} 95th pct"), **where)
        fig.add_trace(go.Scatter(
            x=x, y=frame["p5"], mode="lines", line={"width": 0}, fill="tonexty",
            fillcolor=theme.rgba(colour, 0.18), legendgroup=name,
            name=f"{name}: {band_words(frame)}",
            hoverinfo="skip"), **where)
    fig.add_trace(go.Scatter(
        x=x, y=frame["p50"], mode="lines", legendgroup=name, name=f"{name}: median",
        line={"color": colour, "width": 2.2, "dash": dash}), **where)


def fan_chart(fans: pd.DataFrame, series: list[str], *, title: str, yaxis: str, unit: str,
              names: list[str] | None = None, key: str = "month",
              xaxis: str = "month of the horizon") -> go.Figure:
    """Fan chart (median and band across paths, :func:`add_fan`) of one or more series.

    Args:
        fans: A fan table (``series, <key>, p5, p50, p95``), e.g. from
            :func:`dashboard.aggregate.portfolio.portfolio_fans`.
        series: Series to draw, each in its own colour.
        title: Figure title.
        yaxis: Y axis title, with its unit.
        unit: ``rate``, ``money``, ``count`` or ``days`` (tick format).
        names: Legend names (default: the series names).
        key: Time column of ``fans``.
        xaxis: X axis title.
    """
    fig = new_figure(title, xaxis, yaxis, unit)
    names = names or list(series)
    for i, (s, name) in enumerate(zip(series, names, strict=True)):
        frame = fans[fans["series"] == s]
        add_fan(fig, frame, name, theme.SERIES[i % len(theme.SERIES)], key=key)
    return fig


LAUNCH_LEFT_OUT = "left out of headline rates"
"""What the launch shading says on a measure whose headline rates leave the launch out."""
LAUNCH_TOGETHER = "the first bills fall due together"
"""What it says on a measure whose rates count the launch (charge-offs, recoveries): why
the spike is there."""


def mark_launch(fig: go.Figure, last_month: float, why: str = LAUNCH_LEFT_OUT) -> go.Figure:
    """Shade the months before :data:`sim.metrics.SEASONED_MONTH` on ``fig`` (x: month of the
    horizon): the book launched at once is still filling up and its first bills make a
    spike, which the headline rates (peak delinquency, the stylised facts) leave out
    (``why``: the shading's words after the months, :data:`LAUNCH_LEFT_OUT` or
    :data:`LAUNCH_TOGETHER`). Nothing is drawn when the horizon (``last_month``) ends
    before that month.

    The words stand above the plot area, from the shading's left edge: inside it, at its
    top, they ran over the peak the shading explains (the launch spike of the delinquency
    by bucket); :func:`below_modebar` leaves them room under the title.
    """
    if last_month <= SEASONED_MONTH:
        return fig
    fig.add_vrect(x0=0, x1=SEASONED_MONTH, fillcolor=theme.NEUTRAL, opacity=0.08, line_width=0,
                  layer="below")
    fig.add_annotation(text=f"launch: months 0-{SEASONED_MONTH - 1}, {why}", showarrow=False,
                       x=0, xref="x", xanchor="left", y=1, yref="paper", yanchor="bottom",
                       font={"color": theme.MUTED, "size": 11})
    return fig


MODEBAR_PX = 44
"""Space kept free for plotly's modebar at the top of a graph (its buttons end about 28
pixels down; plotly lifts a title of several lines by up to about 10 pixels)."""
SUBPLOT_TITLE_PX = 20
"""Room for a line written over the plot area, under the title: the subplot titles over a
figure's top row, the launch shading's words (:func:`mark_launch`); pixels."""
TITLE_LINE_PX = (22, 15)
"""Height of a title's first line and of each further line or subtitle line, pixels."""


def below_modebar(fig: go.Figure) -> go.Figure:
    """``fig`` with its title set below the modebar band and the plot below its title.

    Titles run across the whole width and some take two to four lines; drawn at the top
    they sit under the modebar's buttons (every page's graphs go through this). The title
    is anchored to the top of the figure with a pad of `MODEBAR_PX`, and the top margin
    makes room for every line of it, and for a line written over the plot area
    (:data:`SUBPLOT_TITLE_PX`).
    """
    head, sub = title_lines(fig)
    height = TITLE_LINE_PX[0] + TITLE_LINE_PX[1] * (max(head - 1, 0) + sub)
    if any(a.yref == "paper" and a.yanchor == "bottom" and (a.y or 0) >= 1
           for a in fig.layout.annotations):
        height += SUBPLOT_TITLE_PX  # subplot titles or the launch's words sit above the plot
    fig.update_layout(title={"y": 1.0, "yref": "container", "yanchor": "top",
                             "pad": {"t": MODEBAR_PX}},
                      margin={"t": MODEBAR_PX + height + 12})
    return fig
