"""creditsim dashboard's start: one line says where it is served and how to stop it, no
server banner (Flask's, Dash's, Werkzeug's) and no line per request."""

from __future__ import annotations

import logging
import socket
import threading
import urllib.request

import pytest
from werkzeug.serving import BaseWSGIServer

from dashboard.cli import served_at
from sim.cli import main

BANNER = ("development server", "Serving Flask app", "Debug mode", "Dash is running",
          "Running on", "CTRL+C to quit", '"GET / HTTP/1.1" 200')


@pytest.fixture(autouse=True)
def werkzeug_log_level(monkeypatch):
    """The servers set the level of Werkzeug's logger: put it back after each test."""
    log = logging.getLogger("werkzeug")
    monkeypatch.setattr(log, "level", log.level)


@pytest.fixture
def port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def one_request(monkeypatch):
    """The development server answers one request for the front page, then stops (as on
    Ctrl+C): its start and its request go through the real code paths."""
    serve = BaseWSGIServer.serve_forever
    answers: list[int] = []

    def once(self, poll_interval: float = 0.5) -> None:
        def visit() -> None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=60) as r:
                    answers.append(r.status)
            finally:
                self.shutdown()

        threading.Thread(target=visit, daemon=True).start()
        serve(self, poll_interval=0.05)

    monkeypatch.setattr(BaseWSGIServer, "serve_forever", once)
    return answers


def _said(capsys, caplog) -> str:
    captured = capsys.readouterr()
    return "\n".join([captured.out, captured.err, *(r.getMessage() for r in caplog.records)])


def test_the_development_server_starts_with_one_line_and_no_banner(tmp_path, port, one_request,
                                                                   capsys, caplog):
    caplog.set_level(logging.INFO)  # whatever the servers log at INFO or above is seen
    assert main(["dashboard", "--runs", str(tmp_path), "--port", str(port)]) == 0
    assert one_request == [200]
    said = _said(capsys, caplog)
    line = served_at("127.0.0.1", port, str(tmp_path), "development")
    assert said.count(line) == 1 and "press Ctrl+C to stop" in line
    assert said.count(f"127.0.0.1:{port}") == 1  # the address is given once
    assert [b for b in BANNER if b in said] == []


def test_debug_mode_serves_dash_dev_tools_without_the_banners(tmp_path, port, monkeypatch,
                                                              capsys, caplog):
    """``--debug`` runs Werkzeug's reloader (not in a test): what it is handed is checked."""
    import werkzeug.serving

    served = {}
    monkeypatch.setattr(werkzeug.serving, "run_simple",
                        lambda host, port, app, **options: served.update(app=app, **options))
    caplog.set_level(logging.INFO)
    assert main(["dashboard", "--runs", str(tmp_path), "--port", str(port), "--debug"]) == 0
    assert served["use_reloader"] and served["use_debugger"] and served["app"].debug
    said = _said(capsys, caplog)
    assert said.count(served_at("127.0.0.1", port, str(tmp_path), "development")) == 1
    assert [b for b in BANNER if b in said] == []


def test_the_reloaders_serving_process_neither_checks_the_port_nor_announces_it(
        tmp_path, monkeypatch, capsys):
    """With ``--debug`` the reloader starts a second process while the first holds the
    port: that one must not refuse the port as taken, nor print the address again."""
    import werkzeug.serving

    import dashboard.cli

    with socket.socket() as held:  # the first process's socket, handed on to the second
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
        monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *a, **k: None)
        monkeypatch.setattr(dashboard.cli, "check_port", lambda *a: pytest.fail("checked"))
        assert main(["dashboard", "--runs", str(tmp_path), "--port", str(taken),
                     "--debug"]) == 0
    assert "creditsim dashboard on" not in capsys.readouterr().out


def test_an_ipv6_address_is_written_in_brackets():
    assert served_at("::1", 8050, "runs", "development").startswith(
        "creditsim dashboard on http://[::1]:8050/ ")
