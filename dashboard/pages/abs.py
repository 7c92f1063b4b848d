"""ABS page: the notes of the securitisation across paths, and one period's waterfall."""

from __future__ import annotations

import logging

from dash import Input, Output, State, dcc, html, no_update

from dashboard.aggregate import abs as agg
from dashboard.figures import abs as figs
from dashboard.figures.common import below_modebar, empty_figure
from dashboard.inputs import InputError, clamped_input
from dashboard.pages.common import (
    AppContext,
    card,
    ctx_triggered,
    download_buttons,
    graph,
    grid,
    load_run,
    note,
    page_header,
    render_table,
    shown,
    table,
)
from sim.abs.metrics import LOSS_MEASURES
from sim.abs.retention import originator_line

PATH = "/abs"
TITLE = "ABS"
log = logging.getLogger("dashboard")

GRAPHS = {
    "abs-balances": lambda a: figs.note_balance_fan(a.balance_fans, a.notes, a.first_month),
    "abs-triggers": lambda a: figs.trigger_timing(a.triggers, a.first_month),
    "abs-excess-spread": lambda a: figs.excess_spread_fan(a.enhancement, a.first_month),
    "abs-reserve": lambda a: figs.reserve_fan(a.enhancement, a.first_month, a.reserve_below),
    "abs-pdl": lambda a: figs.pdl_fan(a.enhancement, a.has_pdl, a.first_month),
    "abs-oc": lambda a: figs.overcollateralisation_fan(a.enhancement, a.first_month),
}

LOSS_GRAPHS = ("abs-loss-histogram", "abs-loss-exceedance")
"""The loss charts, drawn by the loss measure chosen (:func:`loss_figures`)."""
LOSS_OPTIONS = [
    {"label": "principal written down", "value": "principal"},
    {"label": "in present value (as ratings measure it)", "value": "pv"},
]
"""The loss measures the loss charts offer (:data:`sim.abs.metrics.LOSS_MEASURES`)."""
LOSS_CAPTION = (
    "Each note's loss on each path, as a share of its original balance: the principal "
    "written down (nominal), or the interest and principal it was promised and did not "
    "receive, in present value at its promised rate (the tranche summary's expected loss is "
    "its mean; unpaid or late interest counts, a late writedown less than an early one).")

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
                                                              "always_visible": False})],
                   className="slider-label"),
    ], className="controls")
    return html.Div([
        dcc.Store(id="abs-ready", data=True),
        page_header(TITLE, "How the notes funded by the receivables fare across paths: "
                           "balances, each note's loss (in present value, as ratings "
                           "measure it, and the principal written down), when triggers "
                           "fire, and where one month's cash went."),
        note(note_id="abs-note"),
        html.Div([
            card(html.H3("Tranche summary across paths"), table("abs-summary"),
                 html.P(id="abs-originator"),
                 html.P(agg.SUMMARY_CAPTION, className="caption"), wide=True),
            grid(
                card(graph("abs-balances")),
                card(graph("abs-triggers")),
                card(html.H3("Credit enhancement over time"),
                     html.P(id="abs-enhancement-caption", className="caption"), wide=True),
                card(graph("abs-excess-spread")),
                card(graph("abs-reserve")),
                card(graph("abs-pdl")),
                card(graph("abs-oc")),
                card(html.H3("Note losses across paths"),
                     html.Div(html.Label(["Loss", dcc.Dropdown(
                         id="abs-loss-measure", options=LOSS_OPTIONS, value="principal",
                         clearable=False, searchable=False)], className="wide-choice"),
                              className="controls"),
                     html.P(LOSS_CAPTION, className="caption"), wide=True),
                card(graph("abs-loss-histogram")),
                card(graph("abs-loss-exceedance")),
                card(controls, graph("abs-sankey", height=450), wide=True),
            ),
            report_card(),
        ], id="abs-content"),
    ])


def enhancement_caption(first_month: int | None) -> str:
    """What the credit-enhancement charts show, and how their periods meet the months the
    other pages chart."""
    when = ("Period p is paid at the end of month "
            f"{first_month} + p - 1 of the horizon (period 1: month {first_month}, the month "
            f"after the cut-off), on that month's collections; the other pages count the same "
            "months from 0 at launch." if first_month is not None else
            "The run does not record its cut-off month, so periods are not matched to months.")
    return ("By payment period (a month of the deal), across paths: median and 5-95 % band "
            "(the paths' whole range below 20 paths), counting only the paths whose deal is "
            "still running (it ends at a clean-up call or its legal final period). Excess "
            "spread is net of losses and annualised, as a share of the pool balance at the "
            "period's start; the reserve and PDL are balances at the period's end; "
            "overcollateralisation is the pool balance (rounded up to the cent, as the "
            "waterfall measures it) less the notes' balance, as a share of the pool: the deal "
            f"report's OC. {when}")


def _horizon_warning(ctx: AppContext, run_id: str) -> str | None:
    """:func:`sim.report_tables.horizon_note` of the run: its losses come from its horizon."""
    from sim.report_tables import horizon_note

    try:
        tables = agg.report_tables(str(ctx.store.folder(run_id)))
        return horizon_note(tables, ctx.store.manifest(run_id).get("config", {}).get("deal"))
    except (ValueError, OSError, KeyError) as exc:
        log.warning("run %s: horizon check failed: %s", run_id, exc)
        return None


def loss_figures(a, measure: str) -> list:  # noqa: ANN001 - a dashboard.data.AbsData
    """The loss histogram and exceedance curve of a run's notes by ``measure`` (``principal``
    or ``pv``; anything else, as a crafted request may send, is the principal loss)."""
    measure = measure if isinstance(measure, str) and measure in LOSS_MEASURES else "principal"
    histogram, exceedance = a.losses[measure]
    return [below_modebar(figs.loss_histogram(histogram, figs.any_loss(exceedance), measure)),
            below_modebar(figs.loss_exceedance(exceedance, measure))]


def register(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    @app.callback(
        [Output(g, "figure") for g in GRAPHS]
        + [Output("abs-summary", "children"), Output("abs-originator", "children"),
           Output("abs-enhancement-caption", "children"),
           Output("abs-period", "max"),
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
            return blank + [[], "", "", 2, 0, message, shown(True), shown(False)]
        a = data.abs
        figures = [below_modebar(build(a)) for build in GRAPHS.values()]
        summary = render_table(agg.SUMMARY_COLUMNS, agg.summary_rows(a.summary), fit=True)
        originator = originator_line(a.summary) or ""
        warning = _horizon_warning(ctx, run_id)
        return figures + [summary, originator, enhancement_caption(a.first_month), a.periods,
                          a.paths - 1, warning or "", shown(bool(warning)), shown(True)]

    @app.callback([Output(g, "figure") for g in LOSS_GRAPHS],
                  Input("run-a", "value"), Input("abs-ready", "data"),
                  Input("abs-loss-measure", "value"))
    def losses(run_id, _ready, measure):
        data, message = load_run(ctx, run_id)
        if data is None or data.abs is None:
            return [empty_figure(message or NO_DEAL)] * len(LOSS_GRAPHS)
        return loss_figures(data.abs, measure)

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
        return figs.waterfall_sankey(a.waterfall(path, period), path, period, a.first_month)

    register_report(app, ctx)


# ----------------------------------------------------------------------------------------------
# The deal cash-flow report: one path, period by period, with its download


def report_card() -> html.Div:
    """Controls (path, or the path at a quantile of a note's loss, principal or in present
    value; column group), the table and CSV / Excel downloads of
    `sim.deal_report.build_deal_report`."""
    controls = html.Div([
        html.Label(["Path", dcc.Input(id="abs-report-path", type="number", min=0, step=1,
                                      value=0, debounce=True)]),
        html.Label(["or quantile of loss",
                    dcc.Input(id="abs-report-quantile", type="number", min=0, max=1, step=0.01,
                              debounce=True, placeholder="e.g. 0.95")]),
        html.Label(["of note", dcc.Dropdown(id="abs-report-note", clearable=True,
                                            placeholder="most junior")]),
        html.Label(["loss", dcc.Dropdown(id="abs-report-measure", options=LOSS_OPTIONS,
                                         value="principal", clearable=False,
                                         searchable=False)], className="wide-choice"),
        html.Label(["Columns", dcc.Dropdown(id="abs-report-group", value=agg.REPORT_GROUP_ALL,
                                            options=[agg.REPORT_GROUP_ALL], clearable=False)]),
        *download_buttons("abs-report"),
    ], className="controls")
    return card(html.H3("Deal cash-flow report"), controls,
                html.P(id="abs-report-caption", className="caption"),
                table("abs-report"), wide=True)


def _report(ctx: AppContext, run_id, path, quantile, note,  # noqa: ANN001, ANN202
            measure: object = "principal"):
    """The deal report of the chosen path, or None and the message to show instead. The
    path at a quantile is ranked by ``measure``'s loss; a measure that is not one of
    :data:`sim.abs.metrics.LOSS_MEASURES`, as a crafted request may send, gets the
    builder's refusal."""
    from sim.deal_report import build_deal_report

    try:
        tables = agg.report_tables(str(ctx.store.folder(run_id)))
        deal = ctx.store.manifest(run_id).get("config", {}).get("deal")  # as the CLI's
        if quantile is not None:
            return build_deal_report(tables, quantile=float(quantile), note=note or None,
                                     measure=str(measure or "principal"), run_id=run_id,
                                     deal=deal), ""
        return build_deal_report(tables, int(path or 0), run_id=run_id, deal=deal), ""
    except (ValueError, OSError, KeyError) as exc:
        return None, str(exc)


def register_report(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    @app.callback(
        Output("abs-report", "children"), Output("abs-report-caption", "children"),
        Output("abs-report-note", "options"), Output("abs-report-group", "options"),
        Input("run-a", "value"), Input("abs-report-path", "value"),
        Input("abs-report-quantile", "value"), Input("abs-report-note", "value"),
        Input("abs-report-measure", "value"), Input("abs-report-group", "value"),
    )
    def report(run_id, path, quantile, note_name, measure, group):
        if not run_id:
            return [], "", [], [agg.REPORT_GROUP_ALL]
        rep, message = _report(ctx, run_id, path, quantile, note_name, measure)
        if rep is None:
            return [], message, [], [agg.REPORT_GROUP_ALL]
        groups = [agg.REPORT_GROUP_ALL, *rep.groups()]
        group = group if group in groups else agg.REPORT_GROUP_ALL
        columns, rows = agg.report_table(rep, group)
        caption = f"{rep.selection}. Money in currency units, rates annualised."
        if rep.missing:
            caption += " Not recorded in this run: " + "; ".join(rep.missing) + "."
        return (render_table(columns, rows), caption, rep.notes,
                [{"label": g, "value": g} for g in groups])

    @app.callback(
        Output("abs-report-download", "data"),
        Input("abs-report-csv", "n_clicks"), Input("abs-report-xlsx", "n_clicks"),
        State("run-a", "value"), State("abs-report-path", "value"),
        State("abs-report-quantile", "value"), State("abs-report-note", "value"),
        State("abs-report-measure", "value"),
        prevent_initial_call=True,
    )
    def download(_csv, _xlsx, run_id, path, quantile, note_name, measure):
        rep, _ = _report(ctx, run_id, path, quantile, note_name, measure)
        if rep is None:
            return no_update
        return report_download(rep, "xlsx" if ctx_triggered() == "abs-report-xlsx" else "csv")


def report_download(rep, kind: str) -> dict:  # noqa: ANN001 - a DealReport
    """The ``dcc.Download`` payload of a report: CSV text or an Excel workbook, the bytes
    ``creditsim deal-report --csv / --xlsx`` writes (:func:`sim.deal_report.deal_export`)."""
    from sim.deal_report import deal_export
    from sim.exports import csv_bytes, xlsx_bytes

    export = deal_export(rep)
    name = f"deal-report-{rep.run_id}-path{rep.path}.{kind}"
    return dcc.send_bytes(xlsx_bytes(export) if kind == "xlsx" else csv_bytes(export), name)
