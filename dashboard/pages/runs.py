"""Runs page: every complete run in the store, with what it is (config, book, horizon,
deal, overrides), its paths, seed and date; each row opens the run."""

from __future__ import annotations

from dash import Input, Output, dcc, html

from dashboard.data import RunInfo
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
    {"id": "name", "name": "config"},
    {"id": "book", "name": "book"},
    {"id": "horizon", "name": "horizon"},
    {"id": "deal", "name": "ABS deal"},
    {"id": "description", "name": "config's description"},
    {"id": "overrides", "name": "changed from the config"},
    {"id": "paths", "name": "paths"},
    {"id": "seed", "name": "seed"},
    {"id": "created", "name": "created (UTC)"},
    {"id": "run_id", "name": "run id (opens the run)"},
]


def run_row(r: RunInfo) -> dict:
    """One row of the run list; the run id links to the run's Portfolio page.

    The config's description is its file's ("team of 3"); when ``--set`` or ``--deal``
    changed the config, the description says so and names the changes, which the next
    column lists too, so that it is not read as what the run ran."""
    s = r.summary
    overrides = s.overrides_text(limit=8) if s else ""
    changed = overrides.removeprefix("overrides: ")
    description = r.description
    if s and s.overrides:
        description = (f"{description} (the config's file; this run changed {changed})"
                       if description else f"changed: {changed}")
    return {
        "name": r.name, "book": s.book if s else "", "horizon": s.horizon if s else "",
        "deal": s.deal if s else "", "overrides": changed,
        "paths": r.paths, "seed": r.seed, "created": r.created.replace("T", " ")[:19],
        "description": description,
        "run_id": dcc.Link(r.run_id, href=f"/portfolio?a={r.run_id}", className="run-link"),
    }


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
        rows = [run_row(r) for r in runs]
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
