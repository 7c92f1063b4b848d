"""Who may talk to the dashboard: Host and Origin checks against the served address.

The dashboard can start runs, so a web page the user happens to visit must not reach it.
DNS rebinding makes ``evil.example`` resolve to 127.0.0.1 after the page has loaded: the
browser then sends the page's requests to the dashboard with ``Host: evil.example``. So
every request's ``Host`` must name the dashboard itself, and a request that carries an
``Origin`` (every cross-site fetch does) must come from the same host and port.

Allowed hosts: ``localhost``, ``127.0.0.1`` and ``::1`` when the server binds a
loopback or wildcard address; the bound address itself; for a wildcard bind
(``0.0.0.0``, ``::``), any IP address literal and this machine's host names (an IP
literal cannot be rebound); plus names given with ``--allow-host`` (a reverse proxy's
public name).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, request

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
MAX_REQUEST_BYTES = 1_000_000
"""Largest request body (bytes): a callback's inputs are a few kilobytes."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_name(netloc: str) -> str:
    """The host of ``host[:port]`` or ``[v6][:port]``, lower-case, without brackets."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1:].split("]", 1)[0]
    if netloc.count(":") > 1:  # a bare IPv6 address
        return netloc
    return netloc.rsplit(":", 1)[0] if ":" in netloc else netloc


class HostPolicy:
    """The host names a dashboard bound to ``bind`` answers to.

    Args:
        bind: The address the server listens on (``127.0.0.1``, ``0.0.0.0``, a name...).
        extra: More host names to accept (a reverse proxy's public name).
    """

    def __init__(self, bind: str, extra: Iterable[str] = ()):
        self.bind = host_name(bind) if bind not in WILDCARDS else bind
        names = {host_name(h) for h in extra if h}
        if self.bind in WILDCARDS or is_loopback(self.bind):
            names |= LOOPBACK_NAMES
        if self.bind not in WILDCARDS:
            names.add(self.bind)
        else:
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        self.names = frozenset(names)

    def allows_host(self, netloc: str) -> bool:
        """Whether a ``Host`` header names this dashboard."""
        name = host_name(netloc)
        if not name:
            return False
        return name in self.names or (self.bind in WILDCARDS and _is_ip(name))

    def refusal(self, host: str | None, origin: str | None) -> str | None:
        """Why a request with these headers is refused, or None to serve it."""
        if host is None or not self.allows_host(host):
            return (f"Host {host!r:.80} is not an address this dashboard serves (DNS "
                    "rebinding protection); open it by its own address, or start it with "
                    "--allow-host NAME")
        if origin is not None:
            parts = urlsplit(origin)
            if origin == "null" or parts.netloc.lower() != host.strip().lower():
                return (f"Origin {origin!r:.80} is not this dashboard ({host:.80}); "
                        "cross-site requests are refused")
        return None


def protect(server: Flask, policy: HostPolicy) -> None:
    """Refuse (403) requests whose Host or Origin is not the dashboard, and large bodies."""
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES

    @server.before_request
    def _check_host_and_origin():  # noqa: ANN202 - a Flask hook
        reason = policy.refusal(request.headers.get("Host"), request.headers.get("Origin"))
        if reason is not None:
            return Response(reason + "\n", status=403, mimetype="text/plain")
        return None
