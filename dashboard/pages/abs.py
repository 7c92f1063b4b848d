"""ABS page: the notes of the securitisation across paths, and one period's waterfall."""

from __future__ import annotations

from dash import Input, Output, dcc, html

from dashboard.figures import abs as figs
from dashboard.figures.common import empty_figure
from dashboard.inputs import InputError, clamped_input
from dashboard.pages.common import (
    AppContext,
    card,
    graph,
    grid,
    load_run,
    note,
    page_header,
    render_table,
    shown,
    table,
)

PATH = "/abs"
TITLE = "ABS"

GRAPHS = {
    "abs-balances": lambda a: figs.note_balance_fan(a.balance_fans, a.notes),
    "abs-loss-histogram": lambda a: figs.loss_histogram(a.loss_histogram),
    "abs-loss-exceedance": lambda a: figs.loss_exceedance(a.loss_exceedance),
    "abs-triggers": lambda a: figs.trigger_timing(a.triggers),
}

NO_DEAL = (
    "This run has no ABS deal: it has no notes table. Runs of a config with a "
    "securitisation record one row per path, period and note."
)


def layout(ctx: AppContext) -> html.Div:
    controls = html.Div([
        html.Label(["Path", dcc.Input(id="abs-path", type="number", min=0, step=1, value=0,
                                      debounce=True)]),
        html.Label(["Period", dcc.Slider(id="abs-period", min=1, max=2, step=1, value=1,
                                         marks=None, tooltip={"placement": "bottom",
                                                              "always_visible": True})],
                   className="slider-label"),
    ], className="controls")
    return html.Div([
        dcc.Store(id="abs-ready", data=True),
        page_header(TITLE, "How the notes funded by the receivables fare across paths: "
                           "balances, the distribution of each note's loss, when triggers "
                           "fire, and where one month's cash went."),
        note(note_id="abs-note"),
        html.Div([
            card(html.H3("Tranche summary across paths"), table("abs-summary"),
                 html.P("Expected loss = mean loss as a share of the note's original balance; "
                        "implied rating maps it to the idealised 5-year expected-loss scale; "
                        "WAL and IRR are means over paths.", className="caption"),
                 wide=True),
            grid(
                card(graph("abs-balances")),
                card(graph("abs-triggers")),
                card(graph("abs-loss-histogram")),
                card(graph("abs-loss-exceedance")),
                card(controls, graph("abs-sankey", height=450), wide=True),
            ),
        ], id="abs-content"),
    ])


def register(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    @app.callback(
        [Output(g, "figure") for g in GRAPHS]
        + [Output("abs-summary", "children"), Output("abs-period", "max"),
           Output("abs-path", "max"), Output("abs-note", "children"),
           Output("abs-note", "style"), Output("abs-content", "style")],
        Input("run-a", "value"), Input("abs-ready", "data"),
    )
    def update(run_id, _ready):
        data, message = load_run(ctx, run_id)
        if data is not None and data.abs is None:
            message = NO_DEAL
        if data is None or data.abs is None:
            blank = [empty_figure(message)] * len(GRAPHS)
            return blank + [[], 2, 0, message, shown(True), shown(False)]
        a = data.abs
        figures = [build(a) for build in GRAPHS.values()]
        summary = render_table(figs.SUMMARY_COLUMNS, figs.summary_rows(a.summary))
        return figures + [summary, a.periods, a.paths - 1, "", shown(False), shown(True)]

    @app.callback(Output("abs-sankey", "figure"),
                  Input("run-a", "value"), Input("abs-path", "value"),
                  Input("abs-period", "value"))
    def sankey(run_id, path, period):
        data, message = load_run(ctx, run_id)
        if data is None or data.abs is None:
            return empty_figure(message or NO_DEAL)
        a = data.abs
        try:
            path = clamped_input(0 if path is None else path, "path", 0, a.paths - 1)
            period = clamped_input(1 if period is None else period, "period", 1, a.periods)
        except InputError as exc:
            return empty_figure(str(exc))
        return figs.waterfall_sankey(a.waterfall(path, period), path, period)
