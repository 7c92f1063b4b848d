"""Compare page: two runs on the same axes and their paired differences path by path."""

from __future__ import annotations

from dash import Input, Output, State, dcc, html, no_update

from dashboard.figures import compare as figs
from dashboard.figures.common import below_modebar, empty_figure
from dashboard.inputs import run_id_input
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
from sim.metrics import small_sample_warning
from sim.store import RunNotFound

PATH = "/compare"
TITLE = "Compare"

SERIES = {
    "compare-receivables": "receivables_balance",
    "compare-dpd30": "dpd30_rate",
    "compare-cumulative-charge-off": "cumulative_charge_off_rate",
    "compare-unemployment": "unemployment_rate",
}
NEED_B = "Pick a second run in 'Compare with' above to compare it with the first."


def layout(ctx: AppContext) -> html.Div:
    return html.Div([
        dcc.Store(id="compare-ready", data=True),
        page_header(TITLE, "Run A (solid) against run B (dashed). Runs with the same seed "
                           "share their random draws path by path, so the difference of "
                           "each metric is taken path by path and its interval is narrow."),
        note(note_id="compare-note"),
        note(note_id="compare-warning", kind="warning"),
        html.Div([
            card(html.H3("Difference B - A of the key metrics and tranche losses"),
                 html.Div(download_buttons("compare-table"), className="controls"),
                 table("compare-table"),
                 html.P(id="compare-caption", className="caption"), wide=True),
            grid(
                card(graph("compare-difference"), wide=True),
                *(card(graph(g)) for g in SERIES),
            ),
        ], id="compare-content"),
    ])


def _warnings(pairing) -> str:  # noqa: ANN001 - a sim.compare.Pairing
    """What breaks the pairing, and other differences, in words (empty when none)."""
    notes = []
    if not pairing.paired:
        notes.append("Not paired path by path: " + "; ".join(pairing.reasons) + ". The "
                     "table shows Welch's interval for independent samples.")
    notes += [text[0].upper() + text[1:] + "." for text in pairing.notes]
    return " ".join(notes)


def register(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    @app.callback(
        [Output("compare-difference", "figure")] + [Output(g, "figure") for g in SERIES]
        + [Output("compare-table", "children"), Output("compare-caption", "children"),
           Output("compare-note", "children"), Output("compare-note", "style"),
           Output("compare-warning", "children"), Output("compare-warning", "style"),
           Output("compare-content", "style")],
        Input("run-a", "value"), Input("run-b", "value"), Input("compare-ready", "data"),
    )
    def update(run_a, run_b, _ready):
        a, message = load_run(ctx, run_a)
        b, message_b = load_run(ctx, run_b) if run_b else (None, NEED_B)
        if a is None or b is None:
            message = message or message_b
            blank = [empty_figure(message)] * (len(SERIES) + 1)
            return blank + [[], "", message, shown(True), "", shown(False), shown(False)]
        try:
            comparison, pairing = ctx.store.compare(run_a, run_b)
        except ValueError as exc:
            blank = [empty_figure(str(exc))] * (len(SERIES) + 1)
            return blank + [[], "", str(exc), shown(True), "", shown(False), shown(False)]
        labels = (f"A: {a.info.name}", f"B: {b.info.name}")
        figures = [figs.difference_chart(comparison, pairing.paired)]
        figures += [figs.compare_fan(a.fans, b.fans, s, labels) for s in SERIES.values()]
        figures = [below_modebar(f) for f in figures]
        caption = f"A = {a.info.label}; B = {b.info.label}. {figs.caption(comparison, pairing)}"
        smallest = min(len(a.paths), len(b.paths))
        warning = " ".join(t for t in (_warnings(pairing), small_sample_warning(smallest)) if t)
        rows = render_table(figs.comparison_columns(pairing),
                            figs.comparison_rows(comparison))
        return figures + [rows, caption, "", shown(False), warning, shown(bool(warning)),
                          shown(True)]

    @app.callback(
        Output("compare-table-download", "data"),
        Input("compare-table-csv", "n_clicks"), Input("compare-table-xlsx", "n_clicks"),
        State("run-a", "value"), State("run-b", "value"),
        prevent_initial_call=True,
    )
    def download(_csv, _xlsx, run_a, run_b):
        kind = "xlsx" if ctx_triggered() == "compare-table-xlsx" else "csv"
        return comparison_download(ctx, run_a, run_b, kind) or no_update


def comparison_download(ctx: AppContext, run_a: str | None, run_b: str | None,
                        kind: str) -> dict | None:
    """The ``dcc.Download`` payload of the comparison table (CSV or an Excel workbook):
    ``creditsim compare A B --csv / --xlsx``'s file (:mod:`sim.exports`), from the same
    comparison the page shows; None when there is nothing to compare."""
    from sim.exports import comparison_export, csv_bytes, xlsx_bytes

    if not run_a or not run_b or run_id_input(run_a) is None or run_id_input(run_b) is None:
        return None
    try:
        comparison, pairing = ctx.store.compare(run_a, run_b)
        manifests = (ctx.store.manifest(run_a), ctx.store.manifest(run_b))
    except (ValueError, OSError, KeyError, RunNotFound):
        return None
    # no folders: the server's file system is not the downloader's business
    command = f"dashboard, Compare page (the table of creditsim compare {run_a} {run_b})"
    export = comparison_export(comparison, pairing, manifests, (None, None), command)
    name = f"compare-{run_a}-{run_b}.{kind}"
    return dcc.send_bytes(xlsx_bytes(export) if kind == "xlsx" else csv_bytes(export), name)
