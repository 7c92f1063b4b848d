"""Compare page: two runs on the same axes and their paired differences path by path."""

from __future__ import annotations

from collections.abc import Mapping

from dash import Input, Output, State, dcc, html, no_update

from dashboard.data import Interaction, RunInfo
from dashboard.figures import compare as figs
from dashboard.figures import interaction as did_figs
from dashboard.figures.common import below_modebar, empty_figure
from dashboard.inputs import echo, run_id_input
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
    run_options,
    shown,
    table,
)
from sim.config import ConfigError
from sim.interaction import RUNS
from sim.metrics import small_sample_warning
from sim.store import RunNotFound

PATH = "/compare"
TITLE = "Compare"
QUERY = ("a2", "b2")
"""What a link to the page may set besides ``a`` and ``b`` (A1 and B1): the second pair,
``/compare?a=A1&b=B1&a2=A2&b2=B2`` opens on the difference in differences."""

SERIES = {
    "compare-receivables": "receivables_balance",
    "compare-dpd30": "dpd30_rate",
    "compare-cumulative-charge-off": "cumulative_charge_off_rate",
    "compare-unemployment": "unemployment_rate",
}
NEED_B = "Pick a second run in 'Compare with' above to compare it with the first."
SAME_RUN = ("Run and Compare with are the same run: pick another run in 'Compare with' above "
            "to compare it with the first.")
"""As ``creditsim compare R R`` refuses a run compared with itself: every difference is 0."""
DID = "compare-did"
"""Id prefix of the difference in differences' components."""
NEED_PAIR = ("Pick both runs of the second scenario (A2 and B2), and Run (A1) and Compare "
             "with (B1) above, for the difference in differences.")


def layout(ctx: AppContext, query: Mapping[str, str] | None = None) -> html.Div:
    query = query or {}
    return html.Div([
        dcc.Store(id="compare-ready", data=True),
        page_header(TITLE, "Run A (solid) against run B (dashed). Runs with the same seed "
                           "share their random draws path by path, so the difference of "
                           "each metric is taken path by path and its interval is narrow."),
        _second_pair(ctx, query),
        note(note_id="compare-note"),
        note(note_id="compare-warning", kind="warning"),
        note(note_id=f"{DID}-warning", kind="warning"),
        _interaction_card(),
        html.Div([
            card(html.H3("Difference B - A of the key metrics and tranche losses"),
                 html.Div(download_buttons("compare-table"), className="controls"),
                 table("compare-table"),
                 html.P(id="compare-caption", className="caption"), wide=True),
            grid(
                # a run with a deal has 15 rates (9 key, two losses of 3 notes): 24 px each
                card(graph("compare-difference", height=560), wide=True),
                *(card(graph(g)) for g in SERIES),
            ),
        ], id="compare-content"),
    ])


def _second_pair(ctx: AppContext, query: Mapping[str, str]) -> html.Div:
    """The optional second pair of runs, A2 and B2: policy A and B in a second scenario
    (``Run`` and ``Compare with`` above are A1 and B1)."""
    options = run_options(ctx)
    pickers = [html.Label([f"In a second scenario: {side}", dcc.Dropdown(
        id=f"{DID}-{side.lower()}", options=options, value=run_id_input(query.get(key)),
        placeholder=f"(optional) run {side}: policy {side[0]} in scenario 2", optionHeight=40)],
        className="picker") for side, key in (("A2", "a2"), ("B2", "b2"))]
    return html.Div([html.Div(pickers, className="pickers"), html.P(
        "Does the policy effect change with the scenario? With Run = A1 and Compare with = "
        "B1 (policy A and B in scenario 1), pick the same two policies run in a second "
        "scenario: the table below gives (B2 - A2) - (B1 - A1), path by path.",
        className="caption")], className="second-pair")


def _interaction_card() -> html.Div:
    """The difference in differences, shown when A2 and B2 are picked."""
    return html.Div(card(
        html.H3("Difference in differences: the policy effect in scenario 2 minus that in "
                "scenario 1"),
        html.P(id=f"{DID}-runs", className="caption"),
        html.Div(download_buttons(f"{DID}-table"), className="controls"),
        table(f"{DID}-table"), html.P(id=f"{DID}-caption", className="caption"),
        html.P(id=f"{DID}-changes", className="caption"),
        graph(f"{DID}-chart", height=520), wide=True), id=f"{DID}-content",
        style=shown(False))


def _warnings(pairing) -> str:  # noqa: ANN001 - a sim.compare.Pairing
    """What breaks the pairing, and other differences, in words (empty when none)."""
    notes = []
    if not pairing.paired:
        notes.append("Not paired path by path: " + "; ".join(pairing.reasons) + ". The "
                     "table shows Welch's interval for independent samples.")
    notes += [text[0].upper() + text[1:] + "." for text in pairing.notes]
    return " ".join(notes)


def _no_comparison(message: str) -> list:
    """The two-run comparison's outputs when there is none: ``message`` in each chart and
    in the note, the table and the content hidden."""
    blank = [empty_figure(message)] * (len(SERIES) + 1)
    return blank + [[], "", message, shown(True), "", shown(False), shown(False)]


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
        if run_a and run_a == run_b:
            return _no_comparison(SAME_RUN)
        a, message = load_run(ctx, run_a)
        b, message_b = load_run(ctx, run_b) if run_b else (None, NEED_B)
        if a is None or b is None:
            return _no_comparison(message or message_b)
        try:
            comparison, pairing = ctx.store.compare(run_a, run_b)
        except ValueError as exc:
            return _no_comparison(str(exc))
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

    _register_interaction(app, ctx)


def _register_interaction(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    """The second pair's callbacks: its pickers' options, the difference in differences
    and its download."""
    @app.callback(Output(f"{DID}-a2", "options"), Output(f"{DID}-b2", "options"),
                  Input("run-a", "options"))
    def options(listing):
        return listing or [], listing or []

    @app.callback(
        Output(f"{DID}-table", "children"), Output(f"{DID}-runs", "children"),
        Output(f"{DID}-caption", "children"), Output(f"{DID}-changes", "children"),
        Output(f"{DID}-chart", "figure"), Output(f"{DID}-content", "style"),
        Output(f"{DID}-warning", "children"), Output(f"{DID}-warning", "style"),
        Input("run-a", "value"), Input("run-b", "value"), Input(f"{DID}-a2", "value"),
        Input(f"{DID}-b2", "value"), Input("compare-ready", "data"),
    )
    def update(run_a, run_b, run_a2, run_b2, _ready):
        return interaction_view(ctx, (run_a, run_b, run_a2, run_b2))

    @app.callback(
        Output(f"{DID}-table-download", "data"),
        Input(f"{DID}-table-csv", "n_clicks"), Input(f"{DID}-table-xlsx", "n_clicks"),
        State("run-a", "value"), State("run-b", "value"), State(f"{DID}-a2", "value"),
        State(f"{DID}-b2", "value"),
        prevent_initial_call=True,
    )
    def download(_csv, _xlsx, run_a, run_b, run_a2, run_b2):
        kind = "xlsx" if ctx_triggered() == f"{DID}-table-xlsx" else "csv"
        return interaction_download(ctx, (run_a, run_b, run_a2, run_b2), kind) or no_update


def _interaction(ctx: AppContext,
                 picked: tuple) -> tuple[tuple[tuple[str, ...], Interaction] | None, str]:
    """The four picked runs' ids and their :meth:`RunStore.interaction`, or None and what
    to say instead: nothing when the second pair is not picked (the page is the two-run
    comparison), else which run is missing or the command's one-line error."""
    if not any(picked[2:]):
        return None, ""
    checked = [run_id_input(r) for r in picked]
    ids = tuple(i for i in checked if i)
    if len(ids) < len(RUNS):
        odd = [f"{name} = {echo(r)} is not a run id" for name, r, i
               in zip(RUNS, picked, checked, strict=True) if r and not i]
        return None, "; ".join(odd) + "." if odd else NEED_PAIR
    try:
        return (ids, ctx.store.interaction(ids)), ""
    except (OSError, ValueError, KeyError, ConfigError) as exc:  # RunNotFound: an OSError
        return None, str(exc)


def interaction_view(ctx: AppContext, picked: tuple) -> list:
    """The outputs of the difference in differences for the picked runs ``(A1, B1, A2,
    B2)``: table, runs line, caption, config changes, chart, the card's style, the
    warning and its style. Hidden, with no warning, without a second pair; hidden, with
    the reason as the warning, when the four runs cannot give one."""
    found, message = _interaction(ctx, picked)
    if found is None:
        return [[], "", "", "", empty_figure(message or NEED_PAIR), shown(False), message,
                shown(bool(message))]
    ids, did = found
    result, design = did.result, did.design
    label = {name: f"{name} = {RunInfo.from_manifest(r, m).label}"
             for name, r, m in zip(RUNS, ids, did.manifests, strict=True)}
    labels = [f"Scenario 1: {label['A1']}; {label['B1']}", html.Br(),
              f"Scenario 2: {label['A2']}; {label['B2']}"]
    warning = " ".join([*(f"Warning: {n}." for n in design.notes),
                        small_sample_warning(int(result["paths"].iloc[0]))]).strip()
    return [render_table(did_figs.COLUMNS, did_figs.rows(result)), labels,
            did_figs.caption(result, design), did_figs.changes(design),
            below_modebar(did_figs.chart(result)), shown(True), warning, shown(bool(warning))]


def interaction_download(ctx: AppContext, picked: tuple, kind: str) -> dict | None:
    """The ``dcc.Download`` payload of the difference in differences (CSV or an Excel
    workbook): ``creditsim compare A1 B1 --against A2 B2 --csv / --xlsx``'s file, from
    the same estimate the page shows; None when there is none."""
    from sim.exports import csv_bytes, interaction_export, xlsx_bytes

    found, _ = _interaction(ctx, picked)
    if found is None:
        return None
    ids, did = found
    command = (f"dashboard, Compare page (the table of creditsim compare {ids[0]} {ids[1]} "
               f"--against {ids[2]} {ids[3]})")
    export = interaction_export(did.result, did.design, did.manifests, [None] * len(ids),
                                command)
    name = f"interaction-{'-'.join(ids)}.{kind}"
    return dcc.send_bytes(xlsx_bytes(export) if kind == "xlsx" else csv_bytes(export), name)


def comparison_download(ctx: AppContext, run_a: str | None, run_b: str | None,
                        kind: str) -> dict | None:
    """The ``dcc.Download`` payload of the comparison table (CSV or an Excel workbook):
    ``creditsim compare A B --csv / --xlsx``'s file (:mod:`sim.exports`), from the same
    comparison the page shows; None when there is nothing to compare."""
    from sim.exports import comparison_export, csv_bytes, xlsx_bytes

    if (not run_a or not run_b or run_a == run_b or run_id_input(run_a) is None
            or run_id_input(run_b) is None):
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
