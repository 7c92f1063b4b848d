"""creditsim dashboard refuses a port it cannot serve on before announcing an address."""

from __future__ import annotations

import socket

import pytest

from dashboard.cli import check_port
from sim.cli import main


@pytest.fixture
def busy_port():
    """A port another server listens on (127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_a_port_in_use_is_refused_with_one_line(busy_port, capsys, monkeypatch):
    import dashboard.app

    with pytest.raises(ValueError, match=f"--port {busy_port}: already in use on 127.0.0.1"):
        check_port("127.0.0.1", busy_port)
    monkeypatch.setattr(dashboard.app, "create_app", lambda *a, **k: pytest.fail("served"))
    assert main(["dashboard", "--port", str(busy_port)]) == 2
    captured = capsys.readouterr()
    assert "creditsim dashboard on" not in captured.out  # no address announced
    assert "stop it or give another --port" in " ".join(captured.err.split())


def test_a_free_port_passes_and_stays_free():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check_port("127.0.0.1", port)
    check_port("127.0.0.1", port)  # the check's own socket is closed


def test_an_unknown_host_is_refused():
    with pytest.raises(ValueError, match="--host nosuchhost.invalid: not an address"):
        check_port("nosuchhost.invalid", 8050)
