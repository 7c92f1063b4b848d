"""The Dash app: page shell, run picker and routing; every page wires its own callbacks.

``create_app`` builds the app for one run store. The header holds the run picker
(run A drives every page; run B is the other side of the Compare page), refreshed
every few seconds and whenever a launched run finishes; ``?a=<run id>&b=<run id>`` in
the address selects runs. Pages live in :mod:`dashboard.pages`; figures in
:mod:`dashboard.figures`. Every request's Host and Origin are checked against the served
address (:mod:`dashboard.security`); launched runs are jobs (:mod:`dashboard.jobs`).
A read-only store is served for reading only: nothing is written into it, and the Launch
page says why it cannot start runs there.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, dcc, html

from dashboard.data import RunStore
from dashboard.inputs import run_id_input
from dashboard.jobs import JobBoard
from dashboard.launcher import LOCK_FILE, LaunchLimits, RunGuard
from dashboard.pages import abs as abs_page
from dashboard.pages import collections, compare, launch, portfolio, runs, story
from dashboard.pages.common import AppContext, note, run_options
from dashboard.security import HostPolicy, protect
from sim.configwords import short_value
from sim.manifest import MAX_RUN_ID

PAGES = (runs, portfolio, collections, abs_page, compare, story, launch)
REFRESH_MS = 10_000
CACHE_FOLDER = ".dashboard-cache"


def _header() -> html.Header:
    nav = html.Nav([dcc.Link(p.TITLE, href=p.PATH, className="nav-link",
                             id=f"nav-{p.__name__.rsplit('.', 1)[-1]}") for p in PAGES],
                   className="nav")
    picker = html.Div([
        html.Label(["Run", dcc.Dropdown(id="run-a", placeholder="choose a run",
                                        clearable=False, optionHeight=40)],
                   className="picker"),
        html.Label(["Compare with", dcc.Dropdown(id="run-b", placeholder="(optional) run B",
                                                 optionHeight=40)],
                   className="picker"),
    ], className="pickers")
    return html.Header([html.Div([html.H1("creditsim"), nav], className="brand"), picker],
                       className="header")


def _shell() -> html.Div:
    return html.Div([
        dcc.Location(id="url"),
        dcc.Store(id="runs-version"),
        dcc.Interval(id="runs-refresh", interval=REFRESH_MS),
        _header(),
        html.Div(id="run-notice"),
        html.Main(id="page", className="page"),
    ])


def _query_values(search: str | None) -> dict[str, list[str]]:
    """The address's query (``?a=RUN&path=2``) as ``parse_qs`` reads it; none from a query
    that is not text or longer than 2,000 characters."""
    if not isinstance(search, str) or len(search) > 2000:
        return {}
    return parse_qs(search.lstrip("?"))


def _query_run(search: str | None, key: str) -> str | None:
    values = _query_values(search).get(key)
    return run_id_input(values[0]) if values else None


def _query(search: str | None, keys: tuple[str, ...]) -> dict[str, str]:
    """The first value of each of ``keys`` in the address's query (``?path=2&borrower=100``),
    cut to the length of the longest run id (a run id, as ``a2=``, is never cut short); a long
    or odd query gives none (the page checks the values)."""
    values = _query_values(search)
    return {k: values[k][0][:MAX_RUN_ID] for k in keys if values.get(k)}


def _register_shell(app: Dash, ctx: AppContext) -> None:
    layouts = {p.PATH: p for p in PAGES}

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def route(pathname, search):
        page = layouts.get(pathname or "/")
        if page is None:
            return html.Div([html.H2("Page not found"),
                             html.P([f"There is no page at {pathname}; go to ",
                                     dcc.Link("the run list", href="/"), "."])])
        if hasattr(page, "QUERY"):  # a page that opens on what its link says
            return page.layout(ctx, _query(search, page.QUERY))
        return page.layout(ctx)

    @app.callback(
        Output("run-a", "options"), Output("run-a", "value"),
        Output("run-b", "options"), Output("run-b", "value"), Output("run-notice", "children"),
        Input("url", "search"), Input("runs-version", "data"), Input("runs-refresh", "n_intervals"),
        State("run-a", "value"), State("run-b", "value"),
    )
    def pick(search, _version, _tick, run_a, run_b):
        options = run_options(ctx)
        ids = {o["value"] for o in options}
        wanted_a, wanted_b = _query_run(search, "a"), _query_run(search, "b")
        run_a, run_b = run_id_input(run_a), run_id_input(run_b)  # browser state: any shape
        run_a = wanted_a if wanted_a in ids else run_a
        run_b = wanted_b if wanted_b in ids else run_b
        if run_a not in ids:
            run_a = options[0]["value"] if options else None
        if run_b not in ids:
            run_b = None
        notice = _missing_notice(wanted_a, wanted_b, ids, ctx.store.root)
        return options, run_a, options, run_b, notice


def _missing_notice(wanted_a: str | None, wanted_b: str | None, ids: set[str],
                    root: Path) -> html.Div | None:
    """A notice when the address names a run (``?a=RUN``, ``?b=RUN``) the store does not
    hold: a shared link to a run deleted or renamed would otherwise show another run's
    numbers without a word."""
    missing = [f"{key} = {short_value(w)}" for key, w in (("a", wanted_a), ("b", wanted_b))
               if w is not None and w not in ids]
    if not missing:
        return None
    return note(f"The address asks for run {' and run '.join(missing)}, which is not in the "
                f"run store {root}; the pickers show another run instead (the newest for "
                "run A). Pick a run above, or check the link.", kind="warning")


def store_writable(root: Path) -> bool:
    """Whether this process may create files in the run store ``root`` (new runs, and the
    launch cache by default). False on a read-only file system or without write permission."""
    return os.access(root, os.W_OK | os.X_OK)


def read_only_reason(root: Path) -> str:
    """Why the Launch page cannot start runs into the read-only store ``root``."""
    return (f"The run store {root} is read-only, so this dashboard shows its runs but cannot "
            "start new ones (a run is written into the store). To launch runs, serve a store "
            "you can write to (--runs FOLDER, or CREDITSIM_RUNS), or run 'creditsim run --out "
            "FOLDER' from a terminal.")


def _open_store(root: Path) -> None:
    """Create the store folder when missing; a clear error when that is not possible."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"run store {root}: does not exist and cannot be created "
                         f"({exc.strerror or exc}); give an existing folder") from None


def _launch_context(root: Path, cache_dir: str | Path | None, configs_dir: str | Path,
                    limits: LaunchLimits) -> tuple[RunGuard, JobBoard | None, str]:
    """The one-run lock, the job board and, when runs cannot be started, why.

    A read-only store gets neither a cache nor a job board: nothing is written anywhere.
    """
    if not store_writable(root):
        return RunGuard(None), None, read_only_reason(root)
    cache = Path(cache_dir or root / CACHE_FOLDER)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return RunGuard(None), None, (
            f"The dashboard's cache folder {cache} cannot be created ({exc.strerror or exc}), "
            "so this dashboard cannot start runs; give a folder you can write to "
            "(CREDITSIM_CACHE), or run 'creditsim run' from a terminal.")
    guard = RunGuard(cache / LOCK_FILE)
    return guard, JobBoard(cache / "jobs", runs_root=root, configs_dir=configs_dir,
                           guard=guard, limits=limits), ""


def create_app(runs_root: str | Path = "runs", *, configs_dir: str | Path = "configs",
               limits: LaunchLimits | None = None, cache_dir: str | Path | None = None,
               bind: str = "127.0.0.1", allow_hosts: Iterable[str] = ()) -> Dash:
    """Build the dashboard for the run store at ``runs_root``.

    Args:
        runs_root: Run-store folder; created if missing. A store this process cannot write
            to (a read-only file system, no permission) is served for reading only: no
            cache is made and the Launch page says it cannot start runs.
        configs_dir: Folder of the YAML configs the Launch page offers.
        limits: Size and time limits of runs started from the Launch page.
        cache_dir: Folder of launched runs' status files and the one-run lock
            (default: ``<runs_root>/.dashboard-cache``, which the store listing skips).
        bind: The address the server listens on; requests must name it (or, for a
            loopback or wildcard bind, localhost) in their Host header.
        allow_hosts: More host names to answer to (a reverse proxy's public name).

    Raises:
        ValueError: ``runs_root`` does not exist and cannot be created.
    """
    root = Path(runs_root)
    _open_store(root)
    limits = limits or LaunchLimits()
    guard, jobs, unavailable = _launch_context(root, cache_dir, configs_dir, limits)
    ctx = AppContext(store=RunStore(root), configs_dir=Path(configs_dir), guard=guard,
                     limits=limits, jobs=jobs, launch_unavailable=unavailable)
    app = Dash(
        __name__, title="creditsim dashboard", suppress_callback_exceptions=True,
        assets_folder=str(Path(__file__).parent / "assets"),
    )
    protect(app.server, HostPolicy(bind, allow_hosts))
    app.layout = _shell()
    _register_shell(app, ctx)
    for page in PAGES:
        page.register(app, ctx)
    return app
