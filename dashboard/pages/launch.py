"""Launch page: start a small run in the background and watch its progress.

The run is a job of :class:`dashboard.jobs.JobBoard` (a spawned process with a time
limit); the page polls its status while the button is disabled, and the lock in
:class:`dashboard.launcher.RunGuard` keeps it to one run per server even across
browser tabs. A deal and ``KEY=VALUE`` overrides (one a line) go through the functions of
``creditsim run --deal ... --set ...``, before the run starts. Bad parameters come back as
the config rules' message (an override's as the command line's); a failed, stopped or
refused run comes back as a message too.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from dash import ALL, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.inputs import InputError, echo, whole_input
from dashboard.launcher import (
    MAX_SETTINGS,
    MAX_SETTINGS_CHARS,
    NO_DEAL,
    Knob,
    LaunchRefused,
    LaunchRequest,
    build_config,
    estimate,
    knobs_for,
    list_configs,
    list_deals,
    settings_lines,
)
from dashboard.pages.common import AppContext, card, note, page_header
from sim.config import ConfigError, RunConfig, ShockConfig, load_config, scaled_book
from sim.shipped import configs_dir

PATH = "/launch"
TITLE = "Launch"
POLL_MS = 500
MAX_MESSAGE = 800
log = logging.getLogger("dashboard")


HORIZON_MAX = 240
"""The config rules' longest horizon (``book.horizon_months``, months)."""
PATHS_MAX = 200
"""Most Monte Carlo paths the page starts (more: ``creditsim run`` from a terminal)."""
PATHS_DEFAULT = 20
"""The paths field's value when the page opens: the fewest that resolve the 5th and 95th
percentiles."""

TOOLTIP = {"placement": "top", "always_visible": False}
"""Slider tooltips show while dragging only, so they never cover the next label."""

HELP = {
    "paths": f"How many independent futures to simulate, 1 to {PATHS_MAX}. More paths give "
             "narrower intervals; 20 or more are needed for 5th/95th percentiles.",
    "scale": "Shrinks the config's book (borrowers at launch and added each month) to run "
             "faster; rates stay comparable, amounts scale down. The human collectors' day "
             "shrinks with it: each makes that share of their calls a day (at least one) "
             "and costs that share of a month's pay, so the queue for a call and the "
             "collection cost per account stay those of the full book.",
    "shock": "How far unemployment rises above its usual level at the worst month of the "
             "recession, in percentage points (0 = no recession; below 0, a fall), in half "
             "points from -20 to 50, what the config rules allow.",
    "seed": "Runs with the same seed draw the same borrowers and shocks, so they can be "
            "compared path by path. Leave empty for the config's seed.",
    "deal": "The securitisation the receivables are sold to, as 'creditsim run --deal': "
            "leave empty for the config's own deal.",
    "settings": "Any other config value, one KEY=VALUE a line as 'creditsim run --set' takes "
                "them (keys as in 'creditsim config-reference', list items by position: "
                f"deal.notes.1.size=0.1); at most {MAX_SETTINGS} lines. Applied after the "
                "fields above, so a line wins over a field; checked before the run starts.",
}
SETTINGS_EXAMPLE = ("e.g. collections.collectors.count=20\n"
                    "     collections.ladder.0.every_days=3")
"""The Overrides box's placeholder: "e.g." and the muted italic of ``textarea.settings::
placeholder`` (dashboard/assets/style.css) mark it as an example, not a value filled in."""


def _configs(folder) -> dict:  # noqa: ANN001 - a folder path
    """Configs the page offers: those of the ``--configs`` folder, else the shipped ones."""
    found = list_configs(folder)
    if found:
        return found
    shipped = configs_dir()
    return list_configs(shipped) if shipped is not None else {}


def _deals(ctx: AppContext) -> dict:
    """Deals the page offers: those beside the offered configs and the shipped ones."""
    configs = _configs(ctx.configs_dir)
    return list_deals(next(iter(configs.values())).parent if configs else ctx.configs_dir)


def _deal_placeholder(config: RunConfig) -> str:
    return f"the config's: {config.deal.name}" if config.deal else "the config's: no deal"


def horizon_bounds(config: RunConfig) -> tuple[int, int, str]:
    """Shortest and longest horizon (months) the config allows, and why, in plain words.

    A config with an ABS deal needs the deal to be bought (``cutoff_month``), to revolve
    (``revolving_months``) and then to amortise for at least one month.
    """
    deal = config.deal
    if deal is None:
        return 1, HORIZON_MAX, f"Months to simulate, 1 to {HORIZON_MAX}."
    low = deal.cutoff_month + deal.revolving_months + 1
    return low, HORIZON_MAX, (
        f"Months to simulate, {low} to {HORIZON_MAX}. This config's ABS deal buys its "
        f"receivables at month {deal.cutoff_month} and reinvests for {deal.revolving_months} "
        f"months, so the notes start to be repaid only from month {low}.")


def _slider(slider_id: str, low: float, high: float, step: float, value: float,
            suffix: str = "", mid: float | None = None) -> dcc.Slider:
    """A slider over ``low..high`` (what the config rules allow, so that a value typed into
    its box is clamped only where the run would refuse it) with marks at both ends and at
    ``mid`` (default: the middle, to a step)."""
    mid = round((low + high) / 2 / step) * step if mid is None else mid
    marks = {v: f"{v:g}{suffix}" for v in (low, mid, high)}
    return dcc.Slider(id=slider_id, min=low, max=high, step=step, value=value, marks=marks,
                      tooltip=TOOLTIP)


def _field(label: str, control, help_text: str = "", help_id: str | None = None,
           slider: bool = False) -> html.Label:  # noqa: ANN001 - a Dash component
    """A labelled input with a plain-words explanation under it."""
    small = (html.Small(help_text, className="help", id=help_id) if help_id
             else html.Small(help_text, className="help"))
    return html.Label([label, control, small],
                      className="slider-label" if slider else "")


MARK_GAP = 0.15
"""Nearest a slider's mark of the config's value comes to an end's mark (a share of the
range): nearer, the two labels would run into each other, and the help under the slider
gives the value."""


def _knob_marks(low: float, value: float, high: float) -> tuple[float, ...]:
    """A knob slider's marks: its ends, and the config's value when it is clear of both."""
    span = high - low
    clear = span > 0 and min(value - low, high - value) >= MARK_GAP * span
    return (low, value, high) if clear else (low, high)


def _knob_control(knob: Knob) -> html.Label:
    kid = {"type": "launch-knob", "key": knob.key}
    control: dcc.Dropdown | dcc.Slider
    if knob.kind == "choice":
        control = dcc.Dropdown(id=kid, options=list(knob.options), value=knob.value,
                               clearable=False)
    else:
        marks = {v: f"{v:g}" for v in _knob_marks(knob.low, knob.value, knob.high)}
        control = dcc.Slider(id=kid, min=knob.low, max=knob.high, step=knob.step,
                             value=knob.value, marks=marks, tooltip=TOOLTIP)
    return html.Label([knob.label, control,
                       html.Small(f"The config's value is {knob.value}.", className="help")],
                      className="slider-label")


def layout(ctx: AppContext) -> html.Div:
    configs = list(_configs(ctx.configs_dir))
    default = "baseline.yaml" if "baseline.yaml" in configs else (configs[0] if configs else None)
    form = html.Div([
        html.Label(["Config", dcc.Dropdown(id="launch-config", options=configs, value=default,
                                           clearable=False)]),
        _field("Monte Carlo paths", dcc.Input(id="launch-paths", type="text", inputMode="numeric",
                                              value=str(PATHS_DEFAULT)), HELP["paths"]),
        _field("Book size (% of the config's borrowers)",
               _slider("launch-scale", 1, 100, 1, 10, " %"), HELP["scale"], slider=True),
        _field("Unemployment shock: rise at the peak (percentage points)",
               _slider("launch-shock", *shock_bounds(), 0.5, 0.0, " pp", mid=0.0), HELP["shock"],
               slider=True),
        _field("Horizon (months)",
               dcc.Input(id="launch-horizon", type="number", step=1, min=1, max=HORIZON_MAX),
               help_id="launch-horizon-help"),
        _field("Seed", dcc.Input(id="launch-seed", type="text", inputMode="numeric"),
               HELP["seed"]),
        _field("Deal", dcc.Dropdown(
            id="launch-deal", placeholder="the config's", clearable=True,
            options=[{"label": "no deal", "value": NO_DEAL},
                     *({"label": d, "value": d} for d in _deals(ctx))]), HELP["deal"]),
        html.Div(id="launch-knobs"),
        _field("Overrides", dcc.Textarea(
            id="launch-settings", placeholder=SETTINGS_EXAMPLE, rows=4, spellCheck=False,
            maxLength=MAX_SETTINGS_CHARS, className="settings"), HELP["settings"]),
        html.P(id="launch-size", className="caption"),
        html.Button("Start run", id="launch-button", n_clicks=0, className="button",
                    disabled=bool(ctx.launch_unavailable)),
    ], className="form")
    progress = html.Div([
        dcc.Store(id="launch-job"),
        dcc.Interval(id="launch-poll", interval=POLL_MS, disabled=True),
        html.Progress(id="launch-progress", value="0", max="1"),
        html.Span(id="launch-progress-text", className="caption"),
        note(note_id="launch-message"),
    ], className="progress")
    return html.Div([
        page_header(TITLE, f"Start a run of a config from {_source(ctx)} with a few "
                           "parameters changed. It runs in the background; when it ends it "
                           "appears in the run picker. This server starts runs of at most "
                           f"{ctx.limits.describe()}, one at a time."),
        note(ctx.launch_unavailable, note_id="launch-unavailable", kind="warning")
        if ctx.launch_unavailable else html.Div(id="launch-unavailable"),
        card(form, progress, wide=True),
    ])


def _source(ctx: AppContext) -> str:
    if list_configs(ctx.configs_dir):
        return str(ctx.configs_dir)
    return "the configs shipped with creditsim"


def register(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    _register_form(app, ctx)
    if ctx.launch_unavailable or ctx.jobs is None:
        @app.callback(Output("launch-message", "children"), Input("launch-button", "n_clicks"),
                      prevent_initial_call=True)
        def unavailable(_clicks):
            return _message(ctx.launch_unavailable or "This server does not start runs.",
                            "error")
    else:
        _register_start(app, ctx)


def _register_form(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    @app.callback(
        Output("launch-knobs", "children"), Output("launch-horizon", "value"),
        Output("launch-horizon", "min"), Output("launch-horizon", "max"),
        Output("launch-horizon-help", "children"),
        Output("launch-shock", "value"), Output("launch-deal", "placeholder"),
        Output("launch-message", "children", allow_duplicate=True),
        Input("launch-config", "value"), Input("launch-deal", "value"),
        prevent_initial_call="initial_duplicate",
    )
    def choose_config(name, deal):
        configs = _configs(ctx.configs_dir)
        skip = (no_update,) * 5
        if not isinstance(name, str) or name not in configs:
            return [], *skip, no_update, "Choose a config."
        try:
            own = load_config(configs[name])
            cfg = _config_with_deal(ctx, name, deal)
        except (ConfigError, LaunchRefused) as exc:
            return [], *skip, no_update, _message(str(exc)[:MAX_MESSAGE], "error")
        shock = cfg.macro.shock.peak_increase if cfg.macro.shock else 0.0
        low, high, explain = horizon_bounds(cfg)
        return ([_knob_control(k) for k in knobs_for(cfg)], cfg.book.horizon_months, low, high,
                explain, round(shock * 100, 2), _deal_placeholder(own), "")

    @app.callback(
        Output("launch-size", "children"),
        Input("launch-config", "value"), Input("launch-paths", "value"),
        Input("launch-scale", "value"), Input("launch-horizon", "value"),
        Input("launch-deal", "value"), Input("launch-settings", "n_blur"),
        State("launch-settings", "value"),
    )
    def size(name, paths, scale, horizon, deal, _left, text):
        try:
            cfg = _form_config(ctx, name, paths, scale, horizon, None, None, [], [], deal, text)
            run = estimate(cfg, _paths_text(paths))
        except (ConfigError, LaunchRefused, TypeError, ValueError):
            return ""
        limits = ctx.limits
        over = (run.borrower_months > limits.max_borrower_months
                or run.memory_mb > limits.max_memory_mb)
        verdict = "over" if over else "within"
        return (f"{run.describe()}: {verdict} this server's limits of "
                f"{limits.max_borrower_months:,} borrower-months and "
                f"{limits.max_memory_mb:,} MB.")


def _register_start(app, ctx: AppContext) -> None:  # noqa: ANN001 - a dash.Dash
    @app.callback(
        Output("launch-job", "data"), Output("launch-poll", "disabled"),
        Output("launch-button", "disabled"), Output("launch-message", "children"),
        Output("launch-progress", "value"), Output("launch-progress", "max"),
        Output("launch-progress-text", "children"),
        Input("launch-button", "n_clicks"),
        State("launch-config", "value"), State("launch-paths", "value"),
        State("launch-scale", "value"), State("launch-horizon", "value"),
        State("launch-shock", "value"), State("launch-seed", "value"),
        State({"type": "launch-knob", "key": ALL}, "value"),
        State({"type": "launch-knob", "key": ALL}, "id"),
        State("launch-deal", "value"), State("launch-settings", "value"),
        prevent_initial_call=True,
    )
    def start(clicks, name, paths, scale, horizon, shock, seed, values, ids, deal, text):
        if not clicks:  # the button was only drawn, not pressed
            raise PreventUpdate
        try:
            request = _form_request(ctx, name, paths, scale, horizon, shock, seed, values, ids,
                                    deal, text)
            job = ctx.jobs.start(request)
        except (ConfigError, LaunchRefused) as exc:
            return (no_update, True, False, _message(str(exc)[:MAX_MESSAGE], "error"), "0", "1",
                    "not started")
        return job, False, True, "", "0", "1", "starting..."

    @app.callback(
        Output("launch-progress", "value", allow_duplicate=True),
        Output("launch-progress", "max", allow_duplicate=True),
        Output("launch-progress-text", "children", allow_duplicate=True),
        Output("launch-message", "children", allow_duplicate=True),
        Output("runs-version", "data"),
        Output("launch-poll", "disabled", allow_duplicate=True),
        Output("launch-button", "disabled", allow_duplicate=True),
        Input("launch-poll", "n_intervals"), State("launch-job", "data"),
        prevent_initial_call=True,
    )
    def poll(_tick, job):
        status = ctx.jobs.status(job)
        if status is None:
            return "0", "1", "", _message("No run is being started.", "info"), no_update, True, \
                False
        done, total = str(status["done"]), str(max(1, status["total"]))
        state = status["state"]
        if state in ("starting", "running"):
            text = "starting..." if state == "starting" else f"{done} of {total} paths done"
            return done, total, text, no_update, no_update, False, True
        if state == "done":
            seconds = time.time() - status["started"]
            run_id = status["run_id"]
            link = dcc.Link("open it", href=f"/portfolio?a={run_id}")
            message = _message([f"Run {run_id} finished in {seconds:.1f} s and is in the run "
                                "picker; ", link, "."], "info")
            return done, total, f"{done} of {total} paths done", message, run_id, True, False
        words = {"refused": "not started", "timed-out": "stopped", "failed": "failed"}
        prefix = "" if state == "refused" else "The run failed: "
        return ("0", "1", words.get(state, state),
                _message(prefix + status["message"][:MAX_MESSAGE], "error"), no_update, True,
                False)


def _message(children, kind: str) -> html.Div:
    return html.Div(children, className=f"note note-{kind}")


def _config_with_deal(ctx: AppContext, name: Any, deal: Any) -> RunConfig:
    """The config ``name`` with the deal ``deal`` (None: its own), as the launch builds it.

    Raises:
        ConfigError: an unknown config or deal, or a deal the config's rules refuse.
    """
    configs = _configs(ctx.configs_dir)
    if not isinstance(name, str) or name not in configs:
        raise ConfigError(f"{echo(name)}: not a config in {ctx.configs_dir}")
    return build_config(LaunchRequest(config=name, paths=1, deal=deal), configs)


def _form_request(ctx, name, paths, scale, horizon, shock, seed, values, ids, deal=None,
                  text=None) -> LaunchRequest:
    """The launch request of the form.

    ``scale`` is the book size in % of the config's (initial and monthly borrowers),
    ``shock`` the unemployment rise at the peak in percentage points, ``deal`` a deal's name
    (None: the config's own), ``text`` the overrides box (one ``KEY=VALUE`` a line).
    """
    settings = settings_lines(text)
    paths = _paths_text(paths)
    seed = _seed_text(seed)
    base = _config_with_deal(ctx, name, deal)
    try:
        scale = 1.0 if scale is None else whole_input(scale, "book size (%)", 1, 100) / 100
        shock = None if shock is None else _shock_points(shock) / 100  # points -> fraction
    except InputError as exc:
        raise LaunchRefused(str(exc)) from None
    low, high, explain = horizon_bounds(base)
    if horizon is None:  # the browser sends None for a number outside the input's bounds
        raise LaunchRefused(f"Horizon: empty, or outside the months this config allows. "
                            f"{explain}")
    try:
        horizon = whole_input(horizon, "horizon (months)", int(low), int(high))
    except InputError:
        raise LaunchRefused(f"Horizon = {echo(horizon)} months is not allowed. "
                            f"{explain}") from None
    if not isinstance(values, list) or not isinstance(ids, list) or not all(
            isinstance(i, dict) and isinstance(i.get("key"), str) for i in ids):
        raise LaunchRefused("the form's parameters are malformed; reload the page")
    knobs = {i["key"]: v for i, v in zip(ids or [], values or [], strict=False)}
    book = scaled_book(base, scale)  # the borrowers, and the team's day with them
    initial = int(book.pop("book.initial_borrowers"))
    knobs.update(book)
    return LaunchRequest(
        config=name, paths=paths, seed=seed, shock=shock, horizon_months=horizon,
        initial_borrowers=initial, knobs=knobs, deal=deal, settings=settings,
    )


def _seed_text(value):  # noqa: ANN001, ANN202 - a browser value
    """The seed field's text as a number: empty for the config's seed, else a whole number
    (checked with the launch's other numbers). The field is text, not a number input: a
    browser sends nothing for a number input's value out of its bounds (-1), which would
    read as "the config's seed" and start a run with a seed the user did not ask for."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise LaunchRefused(f"Seed = {echo(value)}: give a whole number from 0, or leave it "
                            "empty for the config's seed") from None


def _paths_text(value) -> int:  # noqa: ANN001 - a browser value
    """The paths field's text as a whole number from 1 to :data:`PATHS_MAX`.

    The field is text, so that a number out of range reaches the page and is refused with
    the allowed range: as a slider's box it was moved into range by the browser (0 to 1,
    500 to 200) and the run started on a number the user did not type.

    Raises:
        LaunchRefused: empty, not a whole number, or outside 1 to :data:`PATHS_MAX`.
    """
    number = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = value
    try:
        return whole_input(number, "Monte Carlo paths", 1, PATHS_MAX)
    except InputError:
        raise LaunchRefused(f"Monte Carlo paths = {echo(value)}: give a whole number from 1 "
                            f"to {PATHS_MAX} (more paths: 'creditsim run' from a "
                            "terminal)") from None


def shock_bounds() -> tuple[float, float]:
    """Lowest and highest unemployment shock the config rules allow, in percentage points
    (``macro.shock.peak_increase`` is a fraction: -0.2 to 0.5 is -20 to 50 points)."""
    bounds = {type(m).__name__: m for m in ShockConfig.model_fields["peak_increase"].metadata}
    return round(bounds["Ge"].ge * 100, 6), round(bounds["Le"].le * 100, 6)


def _shock_points(value) -> float:  # noqa: ANN001 - a browser value
    """The shock field's value (percentage points), checked against the config rules in the
    field's own unit."""
    points = _finite(value, "Unemployment shock")
    low, high = shock_bounds()
    if not low <= points <= high:
        raise InputError(f"Unemployment shock = {echo(value)} percentage points: give at most "
                         f"{high:g} points (and at least {low:g}), the rise of the unemployment "
                         "rate at the peak, e.g. 4 for a rise from 5 % to 9 %")
    return points


def _finite(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{what} = {echo(value)}: give a number")
    return float(value)


def _form_config(ctx, name, paths, scale, horizon, shock, seed, values, ids, deal=None,
                 text=None):
    request = _form_request(ctx, name, paths, scale, horizon, shock, seed, values, ids, deal,
                            text)
    return build_config(request, _configs(ctx.configs_dir))

