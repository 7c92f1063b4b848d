"""The Dash app: page shell, run picker and routing; every page wires its own callbacks.

``create_app`` builds the app for one run store. The header holds the run picker
(run A drives every page; run B is the other side of the Compare page), refreshed
every few seconds and whenever a launched run finishes; ``?a=<run id>&b=<run id>`` in
the address selects runs. Pages live in :mod:`dashboard.pages`; figures in
:mod:`dashboard.figures`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import diskcache
from dash import Dash, DiskcacheManager, Input, Output, State, dcc, html

from dashboard.data import RunStore
from dashboard.launcher import DEFAULT_MAX_BORROWER_PATHS, RunGuard
from dashboard.pages import abs as abs_page
from dashboard.pages import collections, compare, launch, portfolio, runs, story
from dashboard.pages.common import AppContext

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
        html.Main(id="page", className="page"),
    ])


def _query_run(search: str | None, key: str) -> str | None:
    values = parse_qs((search or "").lstrip("?")).get(key)
    return values[0] if values else None


def _register_shell(app: Dash, ctx: AppContext) -> None:
    layouts = {p.PATH: p for p in PAGES}

    @app.callback(Output("page", "children"), Input("url", "pathname"))
    def route(pathname):
        page = layouts.get(pathname or "/")
        if page is None:
            return html.Div([html.H2("Page not found"),
                             html.P([f"There is no page at {pathname}; go to ",
                                     dcc.Link("the run list", href="/"), "."])])
        return page.layout(ctx)

    @app.callback(
        Output("run-a", "options"), Output("run-a", "value"),
        Output("run-b", "options"), Output("run-b", "value"),
        Input("url", "search"), Input("runs-version", "data"), Input("runs-refresh", "n_intervals"),
        State("run-a", "value"), State("run-b", "value"),
    )
    def pick(search, _version, _tick, run_a, run_b):
        listing = ctx.store.runs()
        ids = {r.run_id for r in listing}
        options = [{"label": r.label, "value": r.run_id, "title": r.run_id} for r in listing]
        wanted_a, wanted_b = _query_run(search, "a"), _query_run(search, "b")
        run_a = wanted_a if wanted_a in ids else run_a
        run_b = wanted_b if wanted_b in ids else run_b
        if run_a not in ids:
            run_a = listing[0].run_id if listing else None
        if run_b not in ids:
            run_b = None
        return options, run_a, options, run_b


def create_app(runs_root: str | Path = "runs", *, configs_dir: str | Path = "configs",
               max_borrower_paths: int = DEFAULT_MAX_BORROWER_PATHS,
               cache_dir: str | Path | None = None) -> Dash:
    """Build the dashboard for the run store at ``runs_root``.

    Args:
        runs_root: Run-store folder; created if missing.
        configs_dir: Folder of the YAML configs the Launch page offers.
        max_borrower_paths: Largest paths × borrowers the Launch page starts.
        cache_dir: Folder of the diskcache behind background runs and the one-run lock
            (default: ``<runs_root>/.dashboard-cache``, which the store listing skips).
    """
    root = Path(runs_root)
    root.mkdir(parents=True, exist_ok=True)
    cache = diskcache.Cache(str(cache_dir or root / CACHE_FOLDER))
    ctx = AppContext(store=RunStore(root), configs_dir=Path(configs_dir),
                     guard=RunGuard(cache), max_borrower_paths=int(max_borrower_paths))
    try:
        manager = DiskcacheManager(cache)
    except ImportError:  # dash[diskcache] extras missing: pages work, the launcher says so
        manager = None
        ctx.launch_unavailable = ("Starting runs from the browser needs the 'multiprocess' "
                                  "package (pip install 'dash[diskcache]').")
    app = Dash(
        __name__, title="creditsim dashboard", suppress_callback_exceptions=True,
        background_callback_manager=manager,
        assets_folder=str(Path(__file__).parent / "assets"),
    )
    app.layout = _shell()
    _register_shell(app, ctx)
    for page in PAGES:
        page.register(app, ctx)
    return app
