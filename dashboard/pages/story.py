"""Borrower story page: one borrower's path through the run, event by event."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlencode

from dash import Input, Output, State, dcc, html

from dashboard.figures.common import empty_figure
from dashboard.figures.story import borrower_timeline
from dashboard.inputs import InputError, whole_input
from dashboard.pages.common import AppContext, card, graph, load_run, note, page_header, shown
from dashboard.story import StoryError, stored_examples, stored_story
from sim.config import ConfigError

PATH = "/story"
TITLE = "Borrower story"
QUERY = ("path", "borrower")
"""What a link to the page may set: ``/story?a=RUN&path=2&borrower=100`` opens on that
borrower's story (the run by ``a``, as every page)."""
log = logging.getLogger("dashboard")


def story_link(run_id: str, path: int, borrower: int) -> str:
    """The address of a borrower's story (a teacher can hand it out)."""
    return f"{PATH}?{urlencode({'a': run_id, 'path': path, 'borrower': borrower})}"


def _whole(text: str | None) -> int:
    """A query's whole number from 0, or 0 (the page's default) when it is not one."""
    return int(text) if text is not None and text.isdigit() and len(text) < 19 else 0


def layout(ctx: AppContext, query: Mapping[str, str] | None = None) -> html.Div:
    query = query or {}
    controls = html.Div([
        html.Label(["Path", dcc.Input(id="story-path", type="number", min=0, step=1,
                                      value=_whole(query.get("path")))]),
        html.Label(["Borrower id", dcc.Input(id="story-borrower", type="number", min=0, step=1,
                                             value=_whole(query.get("borrower")))]),
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
    """The story's events as text in time order, a month's collection contacts on one line
    from the first (``month 12.7: 9 collection contacts from then to month 13 ...``)."""
    lines: list[tuple[float, str]] = []
    contacts = events[events["kind"] == "contact"]
    for r in events[events["kind"] != "contact"].itertuples(index=False):
        lines.append((r.t, f"month {r.t:.1f}: {r.kind}" + (f" ({r.label})" if r.label else "")))
    for month, group in contacts.groupby(contacts["t"].astype(int)):
        counts = group["label"].value_counts()
        detail = ", ".join(f"{label} {n}" for label, n in counts.items())
        many = "contact" if len(group) == 1 else "contacts"
        first = float(group["t"].min())  # after the missed payment, before what they brought
        lines.append((first, f"month {first:.1f}: {len(group)} collection {many} from then "
                             f"to month {month + 1} ({detail})"))
    lines.sort(key=lambda x: x[0])
    return [text for _, text in lines]


def example_items(found: dict[str, list[int]], path: int, run_id: str) -> list:
    """The borrowers of each outcome on ``path`` of run ``run_id``, a line each
    (``charged off: 1, 4, 6``), each id a link to its story (:func:`story_link`)."""
    items = []
    for outcome, ids in found.items():
        links: list = []
        for who in ids:
            links += [", "] if links else []
            links.append(dcc.Link(str(who), href=story_link(run_id, path, who),
                                  className="story-example"))
        items.append(html.Li([f"{outcome}: ", *(links or ["none on this path"])]))
    items.append(html.Li(f"Path {path}: click an id, or give it as the borrower and tell the "
                         "story."))
    return items


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
        return html.Ul(example_items(found, path, run_id))

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
