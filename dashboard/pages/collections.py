"""Collections page: what the collection ladder did, what it cost and what it brought back."""

from __future__ import annotations

from dash import Input, Output, dcc, html

from dashboard.figures import collections as figs
from dashboard.figures.common import below_modebar, empty_figure
from dashboard.pages.common import AppContext, card, graph, grid, load_run, note, page_header, shown

PATH = "/collections"
TITLE = "Collections"

GRAPHS = {
    "collections-actions": lambda d: figs.actions_by_channel(d.collections.actions),
    "collections-cost": lambda d: figs.cost_by_channel(d.collections.cost),
    "collections-cures": lambda d: figs.cure_rate_bars(d.collections.cures),
    "collections-capacity": lambda d: figs.capacity_fans(d.fans),
    "collections-net-recovery": lambda d: figs.net_recovery_bars(d.collections.net),
}

NO_COLLECTIONS = (
    "This run has no collections data: its portfolio table has no actions_<channel> or "
    "cost_<channel> columns. Runs of a config with a collection ladder record them."
)


def layout(ctx: AppContext) -> html.Div:
    return html.Div([
        dcc.Store(id="collections-ready", data=True),
        page_header(TITLE, "Contacts by channel, the collection cost by part (channels, "
                           "collectors' pay, legal costs), cures and re-ages by "
                           "delinquency bucket (a re-age is not a cure), collector capacity "
                           "and the money collected after each channel's contacts less its "
                           "cost (attributed to the channel, not caused by it)."),
        note(note_id="collections-note"),
        html.Div(grid(
            card(graph("collections-actions")),
            card(graph("collections-cost")),
            card(graph("collections-cures")),
            card(graph("collections-net-recovery")),
            card(graph("collections-capacity", height=500), wide=True),
        ), id="collections-content"),
    ])


def register(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    @app.callback(
        [Output(g, "figure") for g in GRAPHS]
        + [Output("collections-note", "children"), Output("collections-note", "style"),
           Output("collections-content", "style")],
        Input("run-a", "value"), Input("collections-ready", "data"),
    )
    def update(run_id, _ready):
        data, message = load_run(ctx, run_id)
        if data is not None and data.collections is None:
            message = NO_COLLECTIONS
        if data is None or data.collections is None:
            return [empty_figure(message)] * len(GRAPHS) + [message, shown(True), shown(False)]
        figures = [below_modebar(build(data)) for build in GRAPHS.values()]
        return figures + ["", shown(False), shown(True)]
