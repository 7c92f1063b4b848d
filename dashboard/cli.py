"""``creditsim dashboard``: serve the dashboard over a run store.

Binds 127.0.0.1 unless ``--host`` says otherwise: the dashboard can start runs, so
it is not exposed to the network by default. Requests must name the served address in
their Host header (``--allow-host`` adds names, e.g. a reverse proxy's); ``--debug``
(the Werkzeug debugger runs code sent to it) is refused with a non-local ``--host``.
``--server waitress`` serves with the production WSGI server instead of Flask's
development server.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys
from pathlib import Path
from typing import Any

from dashboard.launcher import (
    DEFAULT_MAX_BORROWER_MONTHS,
    DEFAULT_MAX_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    LaunchLimits,
    list_configs,
)
from dashboard.security import is_loopback
from sim.argtypes import parse_number, whole_number

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
FIRST_UNPRIVILEGED_PORT = 1024
"""Ports below this are privileged (only root's processes may bind them, on most systems)
and well-known (assigned to system services): served only with a warning."""
DEFAULT_RUNS = "runs"
DEFAULT_THREADS = 8
DEFAULT_CONFIGS = "configs"


def _port(text: str) -> int:
    value = parse_number(text)
    if not isinstance(value, int):
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number")
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port; give 1 to 65535")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``dashboard`` command to the ``creditsim`` sub-commands."""
    p = sub.add_parser("dashboard", help="serve the dashboard over the run store")
    p.add_argument("--runs", metavar="FOLDER",
                   help="the run store to serve: a FOLDER given here must already exist; "
                        f"without --runs, ./{DEFAULT_RUNS} is served and created if missing")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT,
                   help=f"port, 1 to 65535 (default: {DEFAULT_PORT}); one below "
                        f"{FIRST_UNPRIVILEGED_PORT} is served with a warning")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to bind (default: {DEFAULT_HOST}, this machine only)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="another host name requests may use (a reverse proxy's public name); "
                        "repeatable")
    p.add_argument("--configs",
                   help="folder of the configs the Launch page offers, an existing one with "
                        "*.yaml configs (default: configs, else the shipped configs)")
    p.add_argument("--max-borrower-months", type=whole_number(1),
                   default=DEFAULT_MAX_BORROWER_MONTHS,
                   help="largest paths × borrower-months the Launch page starts "
                        f"(default: {DEFAULT_MAX_BORROWER_MONTHS:,})")
    p.add_argument("--max-memory-mb", type=whole_number(1), default=DEFAULT_MAX_MEMORY_MB,
                   help="largest estimated memory of a launched run, MB "
                        f"(default: {DEFAULT_MAX_MEMORY_MB:,})")
    p.add_argument("--launch-timeout", type=whole_number(1), default=int(DEFAULT_TIMEOUT_S),
                   metavar="SECONDS", help="stop a launched run after this long "
                                           f"(default: {int(DEFAULT_TIMEOUT_S)})")
    p.add_argument("--server", choices=("development", "waitress"), default="development",
                   help="'waitress' serves with the production WSGI server (threads); "
                        "default: Flask's development server")
    p.add_argument("--threads", type=whole_number(1), default=DEFAULT_THREADS,
                   help=f"waitress worker threads (default: {DEFAULT_THREADS})")
    p.add_argument("--debug", action="store_true",
                   help="Dash debug mode (development only; refused with a non-local --host)")
    p.set_defaults(func=run_dashboard)


def check_args(args: argparse.Namespace) -> None:
    """Refuse option combinations that are unsafe or meaningless.

    Raises:
        ValueError: ``--debug`` with a host that is not this machine (the Werkzeug
            debugger executes code sent to it), or with ``--server waitress``.
    """
    if args.debug and not is_loopback(args.host):
        raise ValueError(f"--debug with --host {args.host} would let anyone who can reach "
                         "this address run code on this machine (the debugger's console); "
                         "use --debug only with --host 127.0.0.1")
    if args.debug and args.server == "waitress":
        raise ValueError("--debug works with the development server only; drop --server "
                         "waitress to debug")


def check_port(host: str, port: int) -> None:
    """Refuse a port this machine cannot serve on (another server has it, it is privileged
    and this process may not bind it, or ``host`` is not one of its addresses) before the
    app is built and its address announced.

    Binds and closes a socket with ``SO_REUSEADDR``, as the servers do, so a port left in
    TIME_WAIT by an earlier run passes.

    Raises:
        ValueError: the host, the port and why (the system's reason and its errno name),
            with what to give instead.
    """
    try:
        _probe(host, port)
    except socket.gaierror as exc:
        raise ValueError(f"--host {host}: not an address or a known name ({exc.strerror}); "
                         f"give an address of this machine, e.g. {DEFAULT_HOST}") from None
    except OSError as exc:
        raise ValueError(_bind_refusal(host, port, exc)) from None


def _probe(host: str, port: int) -> None:
    """Bind and close a socket on ``host``:``port`` with ``SO_REUSEADDR``, as the servers
    bind theirs; raises ``socket.gaierror`` for an unknown host, ``OSError`` when the bind
    is refused."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)


def _bind_refusal(host: str, port: int, exc: OSError) -> str:
    """Why ``host``:``port`` cannot be served, from the bind's error, and what to give."""
    reason = f"{exc.strerror or exc}, {errno.errorcode.get(exc.errno or 0, 'errno')}"
    if exc.errno == errno.EADDRINUSE:
        free = _free_port(host, port)
        instead = f"another port, e.g. --port {free} (free now)" if free else "another --port"
        return (f"--port {port}: already in use on {host} ({reason}; another dashboard or "
                f"server); stop it or give {instead}")
    if exc.errno in (errno.EACCES, errno.EPERM) and port < FIRST_UNPRIVILEGED_PORT:
        return (f"--port {port}: not allowed ({reason}): ports below "
                f"{FIRST_UNPRIVILEGED_PORT} are privileged, served only with root's rights; "
                f"give a port from {FIRST_UNPRIVILEGED_PORT} to 65535, e.g. the default "
                f"--port {DEFAULT_PORT}")
    return (f"--host {host} --port {port}: cannot serve there ({reason}); give an address "
            f"of this machine, e.g. {DEFAULT_HOST}, and a port from "
            f"{FIRST_UNPRIVILEGED_PORT}, e.g. the default --port {DEFAULT_PORT}")


def _free_port(host: str, taken: int) -> int | None:
    """A port near the default that ``host`` can serve on now (the default itself first),
    other than ``taken``; None when none of the few tried is."""
    for port in range(DEFAULT_PORT, DEFAULT_PORT + 20):
        if port == taken:
            continue
        try:
            _probe(host, port)
        except OSError:
            continue
        return port
    return None


def privileged_port_warning(port: int) -> str | None:
    """The warning for a port below :data:`FIRST_UNPRIVILEGED_PORT` (a well-known port,
    named by its service when the system knows it: 22 is ssh's), None for any other."""
    if port >= FIRST_UNPRIVILEGED_PORT:
        return None
    try:
        service = f", {socket.getservbyport(port, 'tcp')}'s"
    except OSError:
        service = ""
    return (f"warning: --port {port} is a privileged, well-known port (below "
            f"{FIRST_UNPRIVILEGED_PORT}{service}): serving there needs root's rights, and a "
            f"system service may expect it; the dashboard's default is --port "
            f"{DEFAULT_PORT}")


def check_runs(runs: str | None) -> str:
    """The run store to serve: ``runs`` when given, which must be an existing folder (a
    mistyped name would otherwise be served as a new, empty store), else ``runs``.

    Raises:
        ValueError: ``runs`` given and empty, one run's folder, or not a folder (with the
            run stores nearby, if any).
    """
    if runs is None:
        return DEFAULT_RUNS
    if not runs.strip():
        raise ValueError(f"--runs '': give the run-store folder (default {DEFAULT_RUNS})")
    path = Path(runs)
    if (path / "manifest.json").is_file():
        raise ValueError(f"--runs {runs}: this is one run, not a run store; give the folder "
                         f"that holds runs, here {path.parent}")
    if path.is_dir():
        return runs
    what = "is a file, not a folder" if path.exists() else "does not exist"
    parent = path.parent if path.parent.is_dir() else Path(".")
    stores = sorted(str(p) for p in parent.iterdir()
                    if p.is_dir() and any(p.glob("*/manifest.json")))
    hint = f"; run stores here: {', '.join(stores)}" if stores else ""
    raise ValueError(f"--runs {runs}: {what}; give the folder 'creditsim run --out' wrote to "
                     f"(default {DEFAULT_RUNS}), or create the folder first to start an empty "
                     f"store{hint}")


def check_configs(configs: str | None) -> str:
    """The folder of configs the Launch page offers: ``configs`` when given, which must be a
    folder holding ``*.yaml`` configs; else ``configs``, where the page falls back to the
    shipped configs when that folder is missing or holds none (so it works from any folder).

    Raises:
        ValueError: ``configs`` given and empty, not a folder, or a folder without configs.
    """
    if configs is None:
        return DEFAULT_CONFIGS
    if not configs.strip():
        raise ValueError("--configs '': give a folder of YAML configs, or leave --configs out "
                         "to offer the shipped configs")
    path = Path(configs)
    if not path.is_dir():
        what = "is a file, not a folder" if path.exists() else "no such folder"
        raise ValueError(f"--configs {configs}: {what}; give a folder of YAML configs, or "
                         "leave --configs out to offer the shipped configs")
    if not list_configs(path):
        raise ValueError(f"--configs {configs}: holds no config (*.yaml); give a folder of "
                         "YAML configs, or leave --configs out to offer the shipped configs")
    return configs


def served_at(host: str, port: int, runs: str, server: str) -> str:
    """The one line that says where the dashboard is served and how to stop it."""
    address = f"[{host}]" if ":" in host else host
    return (f"creditsim dashboard on http://{address}:{port}/ (runs: {runs}, server: "
            f"{server}); press Ctrl+C to stop")


def _in_reloader_child() -> bool:
    """Whether this process is the one ``--debug``'s reloader started to serve: the port is
    already bound (by its parent, which passes the socket on) and the address announced."""
    from werkzeug.serving import is_running_from_reloader

    return is_running_from_reloader()


def serve_development(server: Any, host: str, port: int) -> None:
    """Serve the Flask app ``server`` with Werkzeug's development server, quietly: no
    start-up banner (Flask's, Dash's, Werkzeug's: :func:`served_at` says where it is) and
    no line per request; warnings and errors are still logged. Until Ctrl+C.
    """
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its banner and request lines
    make_server(host, port, server, threaded=True).serve_forever()  # closes on Ctrl+C


def serve_debug(app: Any, host: str, port: int) -> None:
    """Serve the Dash ``app`` in debug mode: Dash's dev tools, the Werkzeug debugger and the
    reloader, as ``app.run(debug=True)`` does, without Flask's and Dash's start-up lines
    (Dash's dev tools already keep Werkzeug's log to errors)."""
    from werkzeug.serving import run_simple

    app.enable_dev_tools(debug=True)
    app.server.debug = True
    run_simple(host, port, app.server, use_reloader=True, use_debugger=True, threaded=True)


def run_dashboard(args: argparse.Namespace) -> int:
    check_args(args)
    args.runs = check_runs(args.runs)
    args.configs = check_configs(args.configs)
    child = args.debug and _in_reloader_child()
    if not child:
        check_port(args.host, args.port)
        warning = privileged_port_warning(args.port)
        if warning:
            print(warning, file=sys.stderr, flush=True)
    from dashboard.app import create_app

    limits = LaunchLimits(max_borrower_months=args.max_borrower_months,
                          max_memory_mb=args.max_memory_mb, timeout_s=float(args.launch_timeout))
    app = create_app(args.runs, configs_dir=args.configs, limits=limits, bind=args.host,
                     allow_hosts=args.allow_host)
    if not child:
        print(served_at(args.host, args.port, args.runs, args.server), flush=True)
    if args.server == "waitress":
        from waitress import serve

        serve(app.server, host=args.host, port=args.port, threads=args.threads)
    elif args.debug:
        serve_debug(app, args.host, args.port)
    else:
        serve_development(app.server, args.host, args.port)
    return 0
