"""``creditsim dashboard``: serve the dashboard over a run store.

Binds 127.0.0.1 unless ``--host`` says otherwise: the dashboard can start runs, so
it is not exposed to the network by default.
"""

from __future__ import annotations

import argparse

from dashboard.launcher import DEFAULT_MAX_BORROWER_PATHS
from sim.cli import whole_number

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port; give 1 to 65535")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``dashboard`` command to the ``creditsim`` sub-commands."""
    p = sub.add_parser("dashboard", help="serve the dashboard over the run store")
    p.add_argument("--runs", default="runs", help="run-store folder (default: runs)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT,
                   help=f"port (default: {DEFAULT_PORT})")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to bind (default: {DEFAULT_HOST}, this machine only)")
    p.add_argument("--configs", default="configs",
                   help="folder of the configs the Launch page offers (default: configs)")
    p.add_argument("--max-borrower-paths", type=whole_number(1), default=DEFAULT_MAX_BORROWER_PATHS,
                   help="largest paths × borrowers the Launch page starts "
                        f"(default: {DEFAULT_MAX_BORROWER_PATHS:,})")
    p.add_argument("--debug", action="store_true", help="Dash debug mode (development only)")
    p.set_defaults(func=run_dashboard)


def run_dashboard(args: argparse.Namespace) -> int:
    from dashboard.app import create_app

    app = create_app(args.runs, configs_dir=args.configs,
                     max_borrower_paths=args.max_borrower_paths)
    print(f"creditsim dashboard on http://{args.host}:{args.port}/ (runs: {args.runs})",
          flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0
