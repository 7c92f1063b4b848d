"""The dashboard as a WSGI application, for a production server (waitress, gunicorn).

``create_wsgi_app`` reads its settings from environment variables, so a server can
build it with no arguments::

    CREDITSIM_RUNS=/srv/creditsim/runs CREDITSIM_ALLOW_HOSTS=creditsim.example.com \\
        waitress-serve --host 0.0.0.0 --port 8050 --call dashboard.wsgi:create_wsgi_app

Variables: ``CREDITSIM_RUNS`` (run store, default ``runs``), ``CREDITSIM_CONFIGS``
(configs folder, default ``configs``), ``CREDITSIM_BIND`` (the address the server
listens on, default ``0.0.0.0``), ``CREDITSIM_ALLOW_HOSTS`` (comma-separated host names
requests may use besides the bound address), ``CREDITSIM_MAX_BORROWER_MONTHS``,
``CREDITSIM_MAX_MEMORY_MB``, ``CREDITSIM_LAUNCH_TIMEOUT`` (seconds), ``CREDITSIM_CACHE``
(folder of launched runs' status files, default ``<runs>/.dashboard-cache``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from dashboard.launcher import LaunchLimits


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}={text[:40]!r}: give a positive number") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name}={text[:40]!r}: give a positive number")
    return value


def create_wsgi_app(env: Mapping[str, str] | None = None):  # noqa: ANN201 - a Flask app
    """The Flask (WSGI) application of the dashboard, configured from ``env``.

    Raises:
        ValueError: a limit variable that is not a positive number.
    """
    from dashboard.app import create_app

    env = os.environ if env is None else env
    defaults = LaunchLimits()
    limits = LaunchLimits(
        max_borrower_months=int(_positive(env, "CREDITSIM_MAX_BORROWER_MONTHS",
                                          defaults.max_borrower_months)),
        max_memory_mb=int(_positive(env, "CREDITSIM_MAX_MEMORY_MB", defaults.max_memory_mb)),
        timeout_s=_positive(env, "CREDITSIM_LAUNCH_TIMEOUT", defaults.timeout_s))
    hosts = [h.strip() for h in env.get("CREDITSIM_ALLOW_HOSTS", "").split(",") if h.strip()]
    app = create_app(env.get("CREDITSIM_RUNS", "runs"),
                     configs_dir=env.get("CREDITSIM_CONFIGS", "configs"), limits=limits,
                     bind=env.get("CREDITSIM_BIND", "0.0.0.0"), allow_hosts=hosts,
                     cache_dir=env.get("CREDITSIM_CACHE") or None)
    return app.server
