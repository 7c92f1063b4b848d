"""Runs page: every complete run in the store, with its scenario, paths, seed and date."""

from __future__ import annotations

from dash import Input, Output, dcc, html

from dashboard.pages.common import (
    AppContext,
    card,
    note,
    page_header,
    render_table,
    shown,
    table,
)

PATH = "/"
TITLE = "Runs"

COLUMNS = [
    {"id": "name", "name": "scenario"},
    {"id": "paths", "name": "paths"},
    {"id": "seed", "name": "seed"},
    {"id": "created", "name": "created (UTC)"},
    {"id": "abs", "name": "ABS deal"},
    {"id": "description", "name": "description"},
    {"id": "run_id", "name": "run id"},
]


def layout(ctx: AppContext) -> html.Div:
    return html.Div([
        dcc.Store(id="runs-ready", data=True),
        page_header(TITLE, f"Complete runs in {ctx.store.root}. Pick one in 'Run' above to "
                           "drive every page, and a second in 'Compare with' to compare "
                           "them; start a new one on the Launch page or with "
                           "'creditsim run CONFIG'."),
        note(note_id="runs-note"),
        card(table("runs-table"), wide=True),
    ])


def register(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    @app.callback(
        Output("runs-table", "children"), Output("runs-note", "children"),
        Output("runs-note", "style"),
        Input("runs-ready", "data"), Input("runs-version", "data"),
    )
    def update(_ready, _version):
        runs = ctx.store.runs()
        rows = [{"name": r.name, "paths": r.paths, "seed": r.seed,
                 "created": r.created.replace("T", " ")[:19],
                 "abs": "yes" if "notes" in r.tables else "no",
                 "description": r.description, "run_id": r.run_id} for r in runs]
        skipped = skipped_note(ctx.store.skipped())
        if not rows:
            message = (f"No runs in {ctx.store.root} yet: start one on the Launch page or "
                       "with 'creditsim run configs/baseline.yaml'. ")
            return render_table(COLUMNS, rows), message + skipped, shown(True)
        return render_table(COLUMNS, rows), skipped, shown(bool(skipped))


def skipped_note(skipped: list, shown_at_most: int = 5) -> str:
    """One line naming the folders that look like runs but cannot be read, and why."""
    if not skipped:
        return ""
    named = "; ".join(str(s) for s in skipped[:shown_at_most])
    more = f" and {len(skipped) - shown_at_most} more" if len(skipped) > shown_at_most else ""
    return f"Skipped {len(skipped)} unreadable folder(s): {named}{more}."
