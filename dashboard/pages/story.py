"""Borrower story page: one borrower's path through the run, event by event."""

from __future__ import annotations

import logging

from dash import Input, Output, State, dcc, html

from dashboard.figures.common import empty_figure
from dashboard.figures.story import borrower_timeline
from dashboard.inputs import InputError, whole_input
from dashboard.pages.common import AppContext, card, graph, load_run, note, page_header, shown
from dashboard.story import StoryError, stored_examples, stored_story
from sim.config import ConfigError

PATH = "/story"
TITLE = "Borrower story"
log = logging.getLogger("dashboard")


def layout(ctx: AppContext) -> html.Div:
    controls = html.Div([
        html.Label(["Path", dcc.Input(id="story-path", type="number", min=0, step=1, value=0)]),
        html.Label(["Borrower id", dcc.Input(id="story-borrower", type="number", min=0, step=1,
                                             value=0)]),
        html.Button("Tell the story", id="story-button", n_clicks=0, className="button"),
        html.Button("Find borrowers to follow", id="story-examples-button", n_clicks=0,
                    className="button"),
    ], className="controls")
    return html.Div([
        dcc.Store(id="story-ready", data=True),
        page_header(TITLE, "Re-simulates the chosen path of the selected run with one "
                           "borrower traced: the same seed gives the same life, event by "
                           "event — income, bills, payments, days past due, collection "
                           "contacts, limit changes, and the cure or charge-off."),
        card(controls, dcc.Loading(html.Div(id="story-examples", className="caption"),
                                   type="dot"),
             note(note_id="story-note"),
             dcc.Loading(graph("story-timeline", height=800), type="dot"),
             html.Ul(id="story-events", className="events"), wide=True),
    ])


def _event_items(events) -> list:
    """One line per turning point; a month's collection contacts on one line with counts."""
    return [html.Li(text) for text in event_lines(events)]


def event_lines(events) -> list[str]:  # noqa: ANN001 - story_events' DataFrame
    """The story's events as text, contacts grouped by month (``month 12: 9 contacts ...``)."""
    lines: list[tuple[float, str]] = []
    contacts = events[events["kind"] == "contact"]
    for r in events[events["kind"] != "contact"].itertuples(index=False):
        lines.append((r.t, f"month {r.t:.1f}: {r.kind}" + (f" ({r.label})" if r.label else "")))
    for month, group in contacts.groupby(contacts["t"].astype(int)):
        counts = group["label"].value_counts()
        detail = ", ".join(f"{label} {n}" for label, n in counts.items())
        lines.append((float(month), f"month {month}: {len(group)} collection contacts ({detail})"))
    lines.sort(key=lambda x: x[0])
    return [text for _, text in lines]


def example_lines(found: dict[str, list[int]], path: int) -> list[str]:
    """The borrowers of each outcome on ``path``, a line each (``charged off: 1, 4, 6``)."""
    return [f"{outcome}: {', '.join(map(str, ids)) or 'none on this path'}"
            for outcome, ids in found.items()] + [
        f"Path {path}: give one of these ids as the borrower and tell the story."]


def register(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    @app.callback(
        Output("story-examples", "children"),
        Input("story-examples-button", "n_clicks"), State("run-a", "value"),
        State("story-path", "value"), prevent_initial_call=True,
    )
    def examples(clicks, run_id, path):
        if not clicks:
            return []
        data, message = load_run(ctx, run_id)
        if data is None:
            return message
        try:
            path = whole_input(path if path is not None else 0, "path", 0,
                               data.info.paths - 1)
            found = stored_examples(str(ctx.store.folder(run_id)), path)
        except (StoryError, ConfigError, InputError) as exc:
            return str(exc)
        return html.Ul([html.Li(line) for line in example_lines(found, path)])

    @app.callback(
        Output("story-timeline", "figure"), Output("story-note", "children"),
        Output("story-note", "style"), Output("story-events", "children"),
        Input("story-button", "n_clicks"), Input("run-a", "value"),
        Input("story-ready", "data"),
        State("story-path", "value"), State("story-borrower", "value"),
    )
    def update(_clicks, run_id, _ready, path, borrower):
        data, message = load_run(ctx, run_id)
        if data is None:
            return empty_figure(message), message, shown(True), []
        if path is None or borrower is None:
            message = "Give a path and a borrower id (whole numbers from 0)."
            return empty_figure(message), message, shown(True), []
        try:
            path = whole_input(path, "path", 0, data.info.paths - 1)
            borrower = whole_input(borrower, "borrower id", 0)
            folder = str(ctx.store.folder(run_id))
            trace, events = stored_story(folder, path, borrower)
        except (StoryError, ConfigError, InputError) as exc:
            return empty_figure(str(exc)), str(exc), shown(True), []
        fig = borrower_timeline(trace, events, borrower=int(borrower), path=int(path))
        return fig, "", shown(False), _event_items(events)
