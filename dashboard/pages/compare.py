"""Compare page: two runs on the same axes and their paired differences path by path."""

from __future__ import annotations

from dash import Input, Output, dcc, html

from dashboard.figures import compare as figs
from dashboard.figures.common import below_modebar, empty_figure
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
from sim.metrics import small_sample_warning

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
