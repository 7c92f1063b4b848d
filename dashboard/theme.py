"""Colours, fonts and number formats shared by every figure and page.

One place for the look of the dashboard: a plotly template registered under the name
``creditsim``, a colour for each delinquency bucket, note and comparison side, and
helpers that turn a fraction or an amount into the text shown in tables.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import plotly.io as pio

from sim.delinquency import BUCKET_LABELS  # noqa: F401 - the states' names, one list

FONT = "Inter, 'Segoe UI', Helvetica, Arial, sans-serif"
INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
PAPER = "#ffffff"

PRIMARY = "#1f5fa8"
SECONDARY = "#c2410c"
POSITIVE = "#2f855a"
NEGATIVE = "#b91c1c"
NEUTRAL = "#7b8794"

RUN_COLOURS = {"A": PRIMARY, "B": SECONDARY}
"""Run A and run B on the compare page."""

SERIES = (
    "#1f5fa8", "#c2410c", "#2f855a", "#7c3aed", "#b7791f", "#0e7490", "#be185d", "#4a5568",
)
"""Categorical colours, in order of use (notes, channels, triggers)."""

BUCKET_COLOURS = {
    "current": "#9fb3c8",
    "dpd_1_30": "#fde68a",
    "dpd_31_60": "#f6ad2b",
    "dpd_61_90": "#e8590c",
    "dpd_91_120": "#c92a2a",
    "dpd_121_150": "#8c1c4b",
    "dpd_151_180": "#5c1a63",
    "dpd_181_plus": "#2b1140",
}
"""A yellow-orange-red-purple ramp: neighbouring buckets differ by at least 20 in CIE
L*a*b* (tests/test_figures_readability.py)."""

COHORT_COLOURS = (
    "#c2410c", "#1f5fa8", "#2f855a", "#7c3aed", "#b7791f", "#0e7490", "#be185d", "#4a5568",
    "#84cc16", "#0f172a", "#f472b6", "#38bdf8",
)
"""Vintage cohorts (launch book first): twelve colours, every pair at least 20 apart in
CIE L*a*b* (tests/test_figures_readability.py)."""

SEQUENTIAL = "Blues"
HEATMAP = "YlOrRd"

TEMPLATE_NAME = "creditsim"
MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}
"""Figure margins (pixels); the top one fits a one-line title."""


def _template() -> go.layout.Template:
    axis = {
        "gridcolor": GRID, "zerolinecolor": GRID, "linecolor": "#9aa5b1", "ticks": "outside",
        "tickcolor": "#9aa5b1", "title": {"standoff": 8}, "automargin": True,
    }
    return go.layout.Template(
        layout={
            "font": {"family": FONT, "size": 13, "color": INK},
            "title": {"font": {"size": 15}, "x": 0.0, "xanchor": "left", "y": 0.97},
            "paper_bgcolor": PAPER,
            "plot_bgcolor": PAPER,
            "colorway": list(SERIES),
            "xaxis": axis,
            "yaxis": axis,
            # the legend at the figure's foot: plotly grows the bottom margin to hold it
            # below the x-axis title however many rows it wraps into (placed a share of the
            # plot's height below the plot, a wrapping legend shrank the plot and climbed
            # into the title); a figure that puts its legend elsewhere sets yref "paper"
            "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0,
                       "x": 0.0, "bgcolor": "rgba(0,0,0,0)"},
            "margin": MARGIN,
            "hovermode": "x unified",
        }
    )


def template() -> str:
    """Register the ``creditsim`` plotly template (idempotent) and return its name."""
    if TEMPLATE_NAME not in pio.templates:
        pio.templates[TEMPLATE_NAME] = _template()
    return TEMPLATE_NAME


def rgba(hex_colour: str, alpha: float) -> str:
    """``#rrggbb`` as an ``rgba(...)`` string with opacity ``alpha``."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def pct(x: float | None, digits: int = 2) -> str:
    """A fraction as a percentage (``0.0123`` → ``1.23 %``); blank for missing values."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x * 100:.{digits}f} %"


def signed_pct(x: float | None, digits: int = 3) -> str:
    """A difference of fractions in percentage points with its sign (``+0.120 pp``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x * 100:+.{digits}f} pp"


def money(x: float | None) -> str:
    """An amount in currency units, abbreviated (``1.2 M``, ``35.0 k``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= size:
            return f"{x / size:,.1f}{suffix}"
    return f"{x:,.0f}"
