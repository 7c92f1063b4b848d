"""creditsim dashboard refuses a port it cannot serve on before announcing an address, and
warns before serving on a privileged one."""

from __future__ import annotations

import errno
import socket

import pytest

import dashboard.cli
from dashboard.cli import DEFAULT_PORT, check_port
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

    with pytest.raises(ValueError, match=f"--port {busy_port}: already in use on 127.0.0.1 "
                                         r"\(Address already in use, EADDRINUSE; "):
        check_port("127.0.0.1", busy_port)
    monkeypatch.setattr(dashboard.app, "create_app", lambda *a, **k: pytest.fail("served"))
    assert main(["dashboard", "--port", str(busy_port)]) == 2
    captured = capsys.readouterr()
    assert "creditsim dashboard on" not in captured.out  # no address announced
    assert "stop it or give another port, e.g. --port " in " ".join(captured.err.split())
    assert "Traceback" not in captured.err


def test_a_port_in_use_suggests_one_that_is_free(busy_port):
    with pytest.raises(ValueError) as err:
        check_port("127.0.0.1", busy_port)
    suggested = int(str(err.value).split("e.g. --port ")[1].split()[0])
    assert suggested != busy_port and DEFAULT_PORT <= suggested < DEFAULT_PORT + 20
    check_port("127.0.0.1", suggested)  # free indeed


class _Refused(socket.socket):
    """A socket whose bind is refused as a process without root's rights is refused a port
    below 1024 (this test may run as root, who is not)."""

    def bind(self, address: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")


def test_a_privileged_port_refused_by_the_system_says_why_and_what_to_give(monkeypatch,
                                                                           capsys):
    monkeypatch.setattr(dashboard.cli.socket, "socket", _Refused)
    with pytest.raises(ValueError) as err:
        check_port("127.0.0.1", 22)
    assert str(err.value) == (
        "--port 22: not allowed (Permission denied, EACCES): ports below 1024 are privileged, "
        "served only with root's rights; give a port from 1024 to 65535, e.g. the default "
        f"--port {DEFAULT_PORT}")
    assert main(["dashboard", "--port", "22"]) == 2
    captured = capsys.readouterr()
    assert "creditsim dashboard on" not in captured.out and "Traceback" not in captured.err


def test_a_privileged_port_is_served_with_a_warning(monkeypatch, capsys):
    import dashboard.app

    monkeypatch.setattr(dashboard.cli, "check_port", lambda *a: None)  # as root may bind it

    def built(*_a: object, **_k: object) -> None:
        raise ValueError("not served in a test")

    monkeypatch.setattr(dashboard.app, "create_app", built)
    assert main(["dashboard", "--port", "22"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "warning: --port 22 is a privileged, well-known port (below 1024" in err
    assert f"the dashboard's default is --port {DEFAULT_PORT}" in err


@pytest.mark.parametrize("port", [1024, DEFAULT_PORT, 65535])
def test_an_unprivileged_port_has_no_warning(port):
    assert dashboard.cli.privileged_port_warning(port) is None


@pytest.mark.parametrize(("port", "says"), [
    ("0", "argument --port: 0 is not a port; give 1 to 65535"),
    ("65536", "argument --port: 65536 is not a port; give 1 to 65535"),
    ("-22", "argument --port: -22 is not a port; give 1 to 65535"),
    ("-1e3", "argument --port: -1000 is not a port; give 1 to 65535"),
])
def test_a_port_out_of_range_is_refused_before_anything(port, says, capsys):
    with pytest.raises(SystemExit) as info:
        main(["dashboard", "--port", port])
    err = " ".join(capsys.readouterr().err.split())
    assert info.value.code == 2 and says in err and "Traceback" not in err


def test_a_free_port_passes_and_stays_free():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check_port("127.0.0.1", port)
    check_port("127.0.0.1", port)  # the check's own socket is closed


def test_an_unknown_host_is_refused():
    with pytest.raises(ValueError, match="--host nosuchhost.invalid: not an address"):
        check_port("nosuchhost.invalid", 8050)
