"""Portfolio page: the book across paths, delinquency, charge-offs, roll rates, vintages."""

from __future__ import annotations

from functools import partial

from dash import Input, Output, dcc, html

from dashboard.figures import portfolio as figs
from dashboard.figures.common import below_modebar, empty_figure
from dashboard.figures.compare import metric_label
from dashboard.pages.common import AppContext, card, graph, grid, load_run, note, page_header, shown
from sim.metrics import (
    KEY_METRICS,
    MIN_PATHS,
    format_metric,
    metric_definition,
    summarise,
    unit_text,
)

PATH = "/portfolio"
TITLE = "Portfolio"

GRAPHS = {
    "portfolio-receivables": lambda d: figs.series_fan(d.fans, "receivables_balance"),
    "portfolio-delinquency": lambda d: figs.delinquency_fan(d.fans),
    "portfolio-charge-off": lambda d: figs.series_fan(d.fans, "charge_off_rate"),
    "portfolio-cumulative-charge-off": lambda d: figs.series_fan(
        d.fans, "cumulative_charge_off_rate"),
    "portfolio-recoveries": lambda d: figs.series_fan(d.fans, "recoveries"),
    "portfolio-unemployment": lambda d: figs.series_fan(d.fans, "unemployment_rate"),
    "portfolio-buckets": lambda d: figs.bucket_area(d.buckets),
    "portfolio-roll-rates": lambda d: figs.roll_rate_heatmap(d.roll, d.roll_balance),
    "portfolio-vintages": lambda d: figs.vintage_curves(d.vintages),
}

ROLL_FROM_TABLE = ("Roll rates come from the run's own roll-rate table, by accounts or by "
                   "balance at the month end before (buttons); re-aged accounts are their own "
                   "state, never a cure (definitions in docs/MODEL.md).")


def layout(ctx: AppContext) -> html.Div:
    return html.Div([
        dcc.Store(id="portfolio-ready", data=True),
        page_header(TITLE, "Monthly state of the book across Monte Carlo paths: lines are the "
                           "median path, bands hold 90 % of paths (5th to 95th percentile)."),
        note(note_id="portfolio-note"),
        html.Div(id="portfolio-summary", className="kpis"),
        html.Div(grid(
            card(graph("portfolio-receivables")),
            card(graph("portfolio-delinquency")),
            card(graph("portfolio-charge-off")),
            card(graph("portfolio-cumulative-charge-off")),
            card(graph("portfolio-recoveries")),
            card(graph("portfolio-unemployment")),
            card(graph("portfolio-buckets")),
            card(graph("portfolio-vintages", height=450)),
            card(graph("portfolio-roll-rates"), html.P(id="portfolio-roll-method",
                                                       className="caption"), wide=True),
        ), id="portfolio-content"),
    ])


def _kpis(data) -> list:
    """One card per key metric: the mean over n paths and the 5-95 % range of paths
    (``n/a`` when fewer than 20 paths cannot resolve it), in the CLI's number format, under
    the metric's name its definition and unit in README's words
    (:func:`sim.metrics.metric_definition`, :func:`sim.metrics.unit_text`); the whole
    definition on hover."""
    summary = summarise(data.paths, tuple(m for m in KEY_METRICS if m in data.paths))
    cards = []
    for r in summary.itertuples(index=False):
        fmt = partial(format_metric, r.metric)
        spread = (f"90 % of paths: {fmt(r.p5)} to {fmt(r.p95)}" if r.p5 == r.p5
                  else f"90 % range: n/a (needs {MIN_PATHS} paths)")
        label, definition = metric_label(r.metric), metric_definition(r.metric)
        cards.append(html.Div([
            html.Div(fmt(r.mean), className="kpi-value"),
            html.Div(label, className="kpi-label"),
            html.Div(definition.formula, className="kpi-def"),
            html.Div(unit_text(r.metric), className="kpi-unit"),
            html.Div(f"mean over n = {r.n} paths; {spread}", className="kpi-range")],
            className="kpi", title=f"{label}: {definition.text} ({unit_text(r.metric)})"))
    return cards


def register(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    outputs = [Output(g, "figure") for g in GRAPHS]

    @app.callback(
        outputs + [Output("portfolio-note", "children"), Output("portfolio-note", "style"),
                   Output("portfolio-content", "style"), Output("portfolio-summary", "children"),
                   Output("portfolio-roll-method", "children")],
        Input("run-a", "value"), Input("portfolio-ready", "data"),
    )
    def update(run_id, _ready):
        data, message = load_run(ctx, run_id)
        if data is None:
            blank = [empty_figure(message)] * len(GRAPHS)
            return blank + [message, shown(True), shown(False), [], ""]
        figures = [below_modebar(build(data)) for build in GRAPHS.values()]
        method = ROLL_FROM_TABLE
        return figures + ["", shown(False), shown(True), _kpis(data), method]
