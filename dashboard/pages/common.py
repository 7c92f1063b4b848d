"""Pieces shared by the pages: the app context, cards, notes and safe run loading."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from dash import callback_context, dcc, html

from dashboard.data import RunData, RunInfo, RunStore
from dashboard.inputs import echo, run_id_input
from dashboard.jobs import JobBoard
from dashboard.launcher import LaunchLimits, RunGuard
from sim.config import ConfigError
from sim.store import RunNotFound

log = logging.getLogger("dashboard")

NO_RUN = "No run selected: pick one in the run picker above, or start one on the Launch page."


@dataclass
class AppContext:
    """What the pages' callbacks need: the store, the configs folder, launch limits."""

    store: RunStore
    configs_dir: Path
    guard: RunGuard
    limits: LaunchLimits = field(default_factory=LaunchLimits)
    jobs: JobBoard | None = None  # None: runs cannot be started here
    launch_unavailable: str = ""  # why runs cannot be started here, if they cannot


def graph(graph_id: str, height: int = 430) -> dcc.Graph:
    """A plotly graph with the dashboard's settings, ``height`` pixels high."""
    return dcc.Graph(id=graph_id, config={"displaylogo": False, "responsive": True},
                     style={"height": f"{height}px"})


def card(*children, wide: bool = False) -> html.Div:
    """A white panel in the page grid (``wide`` spans both columns)."""
    return html.Div(list(children), className="card wide" if wide else "card")


def grid(*cards) -> html.Div:
    return html.Div(list(cards), className="grid")


def note(text: str = "", note_id: str | None = None, kind: str = "info") -> html.Div:
    """A one-paragraph message (``info``, ``warning`` or ``error``)."""
    if note_id:
        return html.Div(text, className=f"note note-{kind}", id=note_id)
    return html.Div(text, className=f"note note-{kind}")


def page_header(title: str, intro: str) -> html.Div:
    return html.Div([html.H2(title), html.P(intro, className="intro")], className="page-header")


def table(table_id: str) -> html.Div:
    """The place of a read-only table; a callback fills it with :func:`render_table`."""
    return html.Div(id=table_id, className="table-box")


NOT_RESOLVED = "n/a: "
"""How a cell the run cannot resolve begins (``n/a: needs >= 100 paths``)."""


def _cell(value: str | int | float | None) -> html.Td:
    """A table cell; an ``n/a: <why>`` cell shows ``n/a`` with its reason in small type
    under it, so that it keeps its column as narrow as the numbers above and below it."""
    if isinstance(value, str) and value.startswith(NOT_RESOLVED):
        return html.Td(["n/a", html.Div(value.removeprefix(NOT_RESOLVED), className="why")])
    return html.Td(value)


_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
NBSP = "\u00a0"


def header_text(name: str) -> str:
    """A column header that wraps only between its words: a bracketed part, ``(at the WAL)``
    or ``[95 % CI]``, and a number and its ``%`` stay on one line."""
    name = _BRACKETED.sub(lambda m: m.group(0).replace(" ", NBSP), name)
    return name.replace(" %", NBSP + "%")


def render_table(columns: list[dict], rows: list[dict], fit: bool = False) -> html.Table:
    """An HTML table of ``rows`` (dicts keyed by each column's ``id``, already formatted).

    A column's ``title``, when it has one, is its header's tooltip (the full meaning of a
    short header). ``fit``: headers wrap and cells keep to one line, so that a table of many
    columns fits its card rather than scrolling sideways.
    """
    head = html.Thead(html.Tr([html.Th(header_text(c["name"]), title=c.get("title"))
                               for c in columns]))
    body = html.Tbody([html.Tr([_cell(row.get(c["id"], "")) for c in columns])
                       for row in rows])
    return html.Table([head, body], className="data-table fit" if fit else "data-table")


def load_run(ctx: AppContext, run_id: str | None) -> tuple[RunData | None, str]:
    """A run's aggregates, or None and the message to show instead (never a traceback)."""
    if not run_id:
        return None, NO_RUN
    if run_id_input(run_id) is None:
        return None, f"{echo(run_id)} is not a run id; pick a run in the run picker above."
    try:
        return ctx.store.load(run_id), ""
    except RunNotFound as exc:
        return None, str(exc)
    except (OSError, ValueError, KeyError, ConfigError) as exc:
        log.exception("could not load run %s", run_id)  # run_id is a checked, short id
        return None, f"Run {run_id} could not be read: {exc}"


def run_options(ctx: AppContext) -> list[dict]:
    """The run pickers' options: every complete run of the store, newest first."""
    return [{"label": run_label(r), "value": r.run_id, "search": r.label, "title": r.run_id}
            for r in ctx.store.runs()]


def run_label(run: RunInfo) -> html.Span:
    """A run picker's option: the full label in the open list; once picked, the run's
    name and overrides over its paths, seed and date, each line cut short with an ellipsis
    rather than wrapped (the stylesheet shows one of the two); the full label in the
    tooltip."""
    return html.Span([html.Span([html.Span(run.headline, className="run-headline"),
                                 html.Span(run.facts, className="run-facts")],
                                className="run-short"),
                      html.Span(run.label, className="run-full")],
                     title=run.label, className="run-label")


def shown(visible: bool) -> dict:
    """Style that shows or hides a block."""
    return {} if visible else {"display": "none"}


def ctx_triggered() -> str:
    """The id of the component whose change fired the running callback (which of a page's
    download buttons was pressed)."""
    return callback_context.triggered_id or ""


def download_buttons(prefix: str) -> list:
    """``Download CSV`` and ``Download Excel`` buttons (ids ``<prefix>-csv``, ``<prefix>-xlsx``)
    and the ``dcc.Download`` (``<prefix>-download``) their callback fills."""
    return [html.Button("Download CSV", id=f"{prefix}-csv"),
            html.Button("Download Excel", id=f"{prefix}-xlsx"),
            dcc.Download(id=f"{prefix}-download")]
