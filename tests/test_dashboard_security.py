"""The dashboard as a server: crafted requests, Host and Origin checks, debug, production serving.

Callback requests are built the way the browser builds them (``/_dash-update-component``
with the callback's outputs, inputs and state), but with values a page never sends.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from dashboard.app import create_app
from dashboard.inputs import MAX_ECHO, echo, run_id_input, whole_input
from dashboard.security import HostPolicy
from sim.cli import main

HOST = "127.0.0.1:8050"
WAIT_S = 120.0
"""Upper bound on waiting for a server to start (a liveness bound, not a timing)."""


@pytest.fixture(scope="module")
def app(run_store, tmp_path_factory):
    return create_app(run_store, configs_dir="configs",
                      cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def run_id(run_store):
    return sorted(p.name for p in run_store.iterdir() if not p.name.startswith("."))[0]


def _parse_outputs(spec: str) -> list[dict]:
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    out = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        out.append({"id": ident, "property": prop})
    return out


def _callback(client, output_start: str, values: dict) -> tuple[int, bytes]:
    """POST a callback whose output spec starts with ``output_start``, inputs from ``values``."""
    deps = client.get("/_dash-dependencies", headers={"Host": HOST}).get_json()
    dep = next(d for d in deps if d["output"].lstrip(".").startswith(output_start))
    outputs = _parse_outputs(dep["output"])

    def items(kind):
        return [{"id": i["id"], "property": i["property"],
                 "value": values.get(f"{i['id']}.{i['property']}")} for i in dep[kind]]

    body = {"output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": items("inputs"), "state": items("state"),
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]]}
    resp = client.post("/_dash-update-component", data=json.dumps(body),
                       content_type="application/json", headers={"Host": HOST})
    return resp.status_code, resp.data


CRAFTED = ["abc", float("inf"), float("nan"), -1, 1.5, {"a": 1}, [1, 2], True, 10**30, "1e400"]


@pytest.mark.parametrize("value", CRAFTED, ids=repr)
def test_story_inputs_that_are_not_whole_numbers_are_answered_not_crashed(client, run_id, value):
    for key in ("story-path.value", "story-borrower.value"):
        values = {"run-a.value": run_id, "story-button.n_clicks": 1, "story-ready.data": True,
                  "story-path.value": 0, "story-borrower.value": 0, key: value}
        status, data = _callback(client, "story-timeline", values)
        assert status == 200, data[:300]
        assert b"give a whole number" in data or b"not in this" in data


@pytest.mark.parametrize("value", CRAFTED, ids=repr)
def test_sankey_inputs_that_are_not_whole_numbers_are_answered_not_crashed(client, run_id,
                                                                            value):
    for key in ("abs-path.value", "abs-period.value"):
        values = {"run-a.value": run_id, "abs-path.value": 0, "abs-period.value": 1, key: value}
        status, data = _callback(client, "abs-sankey", values)
        assert status == 200, data[:300]


@pytest.mark.parametrize("state", [{"a": 1}, ["x"], 5, "x" * 5000, "../../etc"], ids=repr)
def test_run_picker_state_of_any_shape_is_replaced_by_a_run(client, run_id, state):
    values = {"url.search": "", "run-a.value": state, "run-b.value": state}
    status, data = _callback(client, "run-a.options", values)
    assert status == 200, data[:300]
    response = json.loads(data)["response"]
    assert response["run-b"]["value"] is None
    assert response["run-a"]["value"] != state


@pytest.mark.parametrize("output", ["portfolio-receivables", "collections-actions",
                                    "abs-balances", "compare-difference", "story-timeline"])
def test_a_huge_run_id_is_not_echoed(client, output):
    huge = "r" * 400_000  # two stay under the request cap: the callback must not echo it
    values = {"run-a.value": huge, "run-b.value": huge, "story-button.n_clicks": 1,
              "story-path.value": 0, "story-borrower.value": 0}
    status, data = _callback(client, output, values)
    assert status == 200
    assert len(data) < 50_000
    assert b"r" * (MAX_ECHO + 1) not in data


def test_a_request_larger_than_the_cap_is_refused(client):
    status, _ = _callback(client, "portfolio-receivables", {"run-a.value": "r" * 2_000_000})
    assert status == 413


@pytest.mark.parametrize(("key", "value"), [
    ("launch-paths.value", "abc"), ("launch-paths.value", float("inf")),
    ("launch-paths.value", {"a": 1}), ("launch-paths.value", "0"), ("launch-paths.value", "500"),
    ("launch-paths.value", 500), ("launch-scale.value", float("nan")),
    ("launch-scale.value", "x"), ("launch-horizon.value", [1]), ("launch-seed.value", "s"),
    ("launch-seed.value", -3), ("launch-seed.value", "-1"), ("launch-seed.value", " 1.5 "),
    ("launch-shock.value", float("inf")),
    ("launch-config.value", {"x": 1}), ("launch-config.value", "../../etc/passwd"),
])
def test_crafted_launch_form_values_are_refused_with_a_message(client, key, value):
    values = {"launch-button.n_clicks": 1, "launch-config.value": "baseline.yaml",
              "launch-paths.value": 1, "launch-scale.value": 1, "launch-horizon.value": 24,
              "launch-shock.value": 0, "launch-seed.value": 1, key: value}
    status, data = _callback(client, "launch-job", values)
    assert status == 200, data[:300]
    message = json.dumps(json.loads(data)["response"]["launch-message"])
    assert "note-error" in message


# -- the Launch page's deal and overrides: the command line's checks, before any run ----------

KNOBS = '{"key":["ALL"],"type":"launch-knob"}'
"""The id of the knob controls' pattern (the form's state of every knob), as Dash sends it."""
FORM = {"launch-button.n_clicks": 1, "launch-config.value": "baseline.yaml",
        "launch-paths.value": 1, "launch-scale.value": 1, "launch-horizon.value": 12,
        "launch-shock.value": 0, "launch-seed.value": 3, "launch-deal.value": "none",
        f"{KNOBS}.value": [], f"{KNOBS}.id": []}
"""A launch of one path of the baseline at 1 % of its book (100 borrowers at launch, 2 a
month) over 12 months without its deal."""


@pytest.fixture(scope="module")
def launcher(tmp_path_factory):
    """A dashboard over an empty store that starts runs of the shipped configs: its test
    client, run store and jobs folder."""
    root = tmp_path_factory.mktemp("launcher")
    app = create_app(root / "runs", configs_dir="configs", cache_dir=root / "cache")
    return app.server.test_client(), root / "runs", root / "cache" / "jobs"


def _start(client, **changes) -> dict:
    values = dict(FORM, **{f"launch-{k}.value": v for k, v in changes.items()})
    status, data = _callback(client, "launch-job", values)
    assert status == 200, data[:300]
    return json.loads(data)["response"]


def _said(response: dict) -> str:
    """The text of the page's message after a press of Start."""
    return response["launch-message"]["children"]["props"]["children"]


def _cli_error(setting: str, out) -> str:  # noqa: ANN001 - a folder
    """What ``creditsim run baseline --set SETTING`` says, on one line, without 'error: '."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["run", "baseline", "--set", setting, "--out", str(out), "--quiet"]) == 2
    return " ".join(err.getvalue().split()).removeprefix("error: ")


def test_an_override_from_the_page_reaches_the_launched_run(launcher):
    from dashboard.jobs import FINAL, read_status

    client, runs, jobs = launcher
    response = _start(client, settings="collections.collectors.count=7\n\n"
                                       "  book.initial_borrowers=40  \n")
    job = response["launch-job"]["data"]
    deadline = time.monotonic() + WAIT_S
    while (status := read_status(jobs / f"{job}.json"))["state"] not in FINAL:
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["state"] == "done", status
    manifest = json.loads((runs / status["run_id"] / "manifest.json").read_text())
    # the form's 1 % of the book (100 and round(2.5) = 2) and 12 months, no deal; the
    # override of the initial book wins over the form's; the team's day at 1 % of the
    # book (sim.config.scaled_collectors): 50 calls -> 1 (at least one), 5,060 x 1/50
    assert manifest["overrides"] == {
        "book.initial_borrowers": 40, "book.new_borrowers_per_month": 2,
        "book.horizon_months": 12, "collections.collectors.count": 7,
        "collections.collectors.calls_per_day": 1,
        "collections.collectors.monthly_cost": pytest.approx(101.2), "deal": None}
    assert manifest["config"]["collections"]["collectors"]["count"] == 7


@pytest.mark.parametrize("setting", ["collections.collectors.cuont=7",
                                     "collections.collectors.count=seven"])
def test_a_bad_override_on_the_page_says_what_the_command_line_says_and_starts_nothing(
        launcher, tmp_path, setting):
    client, runs, jobs = launcher
    before = (sorted(jobs.iterdir()), sorted(runs.iterdir()))
    response = _start(client, settings=f"book.horizon_months=12\n{setting}")
    assert "launch-job" not in response  # no job
    assert response["launch-button"]["disabled"] is False
    assert _said(response) == _cli_error(setting, tmp_path / "cli")
    assert (sorted(jobs.iterdir()), sorted(runs.iterdir())) == before
    assert not (tmp_path / "cli").exists()


HOSTILE = [
    ("settings", "collections.collectors.count=$(touch {marker})",
     "collections.collectors.count = '$(touch"),
    ("settings", "; touch {marker} #=1\n`touch {marker}`=1", "the config has no key '; touch"),
    ("settings", "deal={marker}", "a deal is not read from a file here"),
    ("settings", "description=" + "x" * 899_988, "900,000 characters; give at most 50 lines"),
    ("settings", "collections.collectors.count=7\n" * 51, "51 line(s)"),
    ("settings", {"settings": "x=1"}, "give text"),
    ("settings", ["x=1"], "give text"),
    ("deal", "../../../{marker}", "not a deal offered here"),
    ("deal", {"a": 1}, "not a deal offered here"),
]


@pytest.mark.parametrize(("field", "value", "says"), HOSTILE,
                         ids=[f"{f}-{str(v)[:20]!r}" for f, v, _ in HOSTILE])
def test_hostile_overrides_are_refused_in_short_and_run_nothing(launcher, tmp_path, field,
                                                                 value, says):
    client, runs, jobs = launcher
    marker = tmp_path / "ran"
    if isinstance(value, str):
        value = value.format(marker=marker)
    before = (sorted(jobs.iterdir()), sorted(runs.iterdir()))
    response = _start(client, **{field: value})
    assert "launch-job" not in response
    assert says in _said(response) and len(_said(response)) <= 800
    assert (sorted(jobs.iterdir()), sorted(runs.iterdir())) == before
    status, data = _callback(client, "launch-size", dict(FORM, **{
        f"launch-{field}.value": value, "launch-settings.n_blur": 1}))
    assert status == 200 and len(data) < 2_000  # no estimate, and no echo of the value
    assert not marker.exists()


def test_the_runs_page_names_a_corrupt_folder_and_lists_the_others(tmp_path, run_store):
    import shutil

    store = tmp_path / "runs"
    shutil.copytree(run_store, store)
    bad = store / "bad-run"
    bad.mkdir()
    (bad / "manifest.json").write_text(json.dumps({"run_id": "bad-run", "paths": "many"}))
    client = create_app(store, configs_dir="configs", cache_dir=tmp_path / "c").server \
        .test_client()
    status, data = _callback(client, "runs-table", {"runs-ready.data": True})
    assert status == 200
    text = data.decode()
    assert "Skipped 1 unreadable folder(s): bad-run" in text and "paths = " in text
    good = [p.name for p in run_store.iterdir() if not p.name.startswith(".")]
    assert all(name in text for name in good)
    status, data = _callback(client, "run-a.options", {"url.search": ""})
    assert status == 200 and "bad-run" not in data.decode()


# -- Host and Origin ------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1:8050", "localhost:8050", "[::1]:8050", "LOCALHOST"])
def test_local_names_are_served(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8050", "127.0.0.1.evil.example",
                                  "192.168.1.5:8050", ""])
def test_a_rebound_host_name_is_refused(client, host):
    resp = client.get("/", headers={"Host": host})
    assert resp.status_code == 403
    assert b"DNS" in resp.data
    resp = client.post("/_dash-update-component", data="{}", content_type="application/json",
                       headers={"Host": host})
    assert resp.status_code == 403


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:9999",
                                    "http://localhost:8050"])
def test_a_cross_site_origin_is_refused(client, origin):
    resp = client.post("/_dash-update-component", data="{}", content_type="application/json",
                       headers={"Host": HOST, "Origin": origin})
    assert resp.status_code == 403 and b"Origin" in resp.data


def test_a_same_site_origin_is_served(client):
    status = client.get("/_dash-layout", headers={"Host": HOST,
                                                   "Origin": f"http://{HOST}"}).status_code
    assert status == 200


def test_host_policy_for_a_wildcard_bind():
    policy = HostPolicy("0.0.0.0", ["creditsim.example.com"])
    assert policy.allows_host("10.0.0.7:8050") and policy.allows_host("[fe80::1]:80")
    assert policy.allows_host("creditsim.example.com") and policy.allows_host("localhost")
    assert policy.allows_host(socket.gethostname())
    assert not policy.allows_host("evil.example")
    specific = HostPolicy("10.0.0.7")
    assert specific.allows_host("10.0.0.7:8050") and not specific.allows_host("10.0.0.8")
    assert not specific.allows_host("localhost")  # not bound there


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.7", "example.com", "::"])
def test_debug_with_a_non_local_host_is_refused(host, capsys, monkeypatch):
    import dashboard.app

    monkeypatch.setattr(dashboard.app, "create_app", lambda *a, **k: pytest.fail("served"))
    assert main(["dashboard", "--debug", "--host", host]) == 2
    err = capsys.readouterr().err
    assert "--debug" in err and "127.0.0.1" in err and "Traceback" not in err


def test_inputs_helpers():
    assert whole_input(3.0, "x", 0) == 3
    with pytest.raises(ValueError, match=r"x = True: give a whole number from 0"):
        whole_input(True, "x", 0)
    assert len(echo("y" * 10**6)) <= MAX_ECHO + 5
    assert echo({"a": 1}) == "a dict of 1 items"
    assert run_id_input("20260101-baseline-s1") == "20260101-baseline-s1"
    assert run_id_input("../x") is None and run_id_input("x" * 1000) is None


# -- serving under a production WSGI server -------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, host: str | None = None) -> int:
    req = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_dashboard_serves_under_waitress(run_store, tmp_path):
    port = _free_port()
    env = dict(os.environ, CREDITSIM_RUNS=str(run_store), CREDITSIM_BIND="127.0.0.1",
               CREDITSIM_ALLOW_HOSTS="creditsim.example.com",
               CREDITSIM_CACHE=str(tmp_path / "cache"))
    waitress = os.path.join(os.path.dirname(sys.executable), "waitress-serve")
    proc = subprocess.Popen([waitress, "--host", "127.0.0.1", f"--port={port}",
                             "--call", "dashboard.wsgi:create_wsgi_app"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                status = _get(url + "/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "waitress did not start"
                time.sleep(0.5)
        assert status == 200
        assert _get(url + "/_dash-layout") == 200
        assert _get(url + "/", host="creditsim.example.com") == 200
        assert _get(url + "/", host="evil.example") == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_wsgi_settings_from_the_environment_are_checked(tmp_path):
    from dashboard.wsgi import create_wsgi_app

    with pytest.raises(ValueError, match="CREDITSIM_LAUNCH_TIMEOUT"):
        create_wsgi_app({"CREDITSIM_RUNS": str(tmp_path), "CREDITSIM_LAUNCH_TIMEOUT": "-1"})
    server = create_wsgi_app({"CREDITSIM_RUNS": str(tmp_path), "CREDITSIM_BIND": "127.0.0.1"})
    assert server.test_client().get("/", headers={"Host": "localhost"}).status_code == 200


def test_a_run_named_in_the_address_but_not_in_the_store_is_said(client, run_id):
    """A shared link to a run deleted or renamed (``?a=nosuchrun``) showed the newest run
    without a word; the picker still falls back, and a notice says so."""
    status, data = _callback(client, "run-a.options", {"url.search": "?a=nosuchrun"})
    assert status == 200, data[:300]
    response = json.loads(data)["response"]
    assert response["run-a"]["value"]  # a run of the store, as before
    notice = json.dumps(response["run-notice"]["children"])
    assert "nosuchrun" in notice and "not in the run store" in notice
    status, data = _callback(client, "run-a.options", {"url.search": f"?a={run_id}"})
    assert json.loads(data)["response"]["run-notice"]["children"] is None
