"""The app shell and the ``creditsim dashboard`` command, without a browser."""

from __future__ import annotations

import pytest

from dashboard import cli
from dashboard.app import PAGES, _query_run, create_app
from sim.cli import build_parser


@pytest.fixture(scope="module")
def app(run_store):
    return create_app(run_store, configs_dir="configs")


def test_every_page_has_a_layout_and_the_shell_serves(app):
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout").get_json()
    text = str(layout)
    assert "run-a" in text and "run-b" in text and "runs-refresh" in text
    assert len({p.PATH for p in PAGES}) == len(PAGES)


def test_page_layouts_render(app, run_store):
    from dashboard.data import RunStore
    from dashboard.launcher import RunGuard
    from dashboard.pages.common import AppContext

    ctx = AppContext(RunStore(run_store), configs_dir=__import__("pathlib").Path("configs"),
                     guard=RunGuard(None))
    for page in PAGES:
        assert page.layout(ctx) is not None


def test_query_selects_runs():
    assert _query_run("?a=x&b=y", "a") == "x"
    assert _query_run("?a=x", "b") is None
    assert _query_run(None, "a") is None


def test_cli_defaults_bind_localhost():
    args = build_parser().parse_args(["dashboard"])
    assert (args.host, args.port, args.runs) == ("127.0.0.1", 8050, None)  # None: runs
    assert args.func is cli.run_dashboard
    args = build_parser().parse_args(["dashboard", "--runs", "r", "--port", "9000",
                                      "--host", "0.0.0.0", "--max-borrower-months", "5"])
    assert (args.runs, args.port, args.host, args.max_borrower_months) == ("r", 9000, "0.0.0.0",
                                                                           5)


@pytest.mark.parametrize("bad", [["--port", "0"], ["--port", "http"],
                                 ["--max-borrower-months", "-1"]])
def test_cli_refuses_bad_options(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["dashboard", *bad])
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_an_explicit_configs_folder_must_exist_and_hold_configs(tmp_path, monkeypatch, capsys):
    """--configs given: a mistyped folder is refused; not given: the documented fallback."""
    from dashboard.cli import check_configs
    from sim.cli import main

    monkeypatch.chdir(tmp_path)
    assert check_configs(None) == "configs"  # no such folder here: the page offers the shipped
    (tmp_path / "mine").mkdir()
    with pytest.raises(ValueError, match=r"--configs mine: holds no config \(\*\.yaml\)"):
        check_configs("mine")
    (tmp_path / "mine" / "a.yaml").write_text("name: a\n")
    assert check_configs("mine") == "mine"
    (tmp_path / "afile").write_text("")
    with pytest.raises(ValueError, match="--configs afile: is a file, not a folder"):
        check_configs("afile")
    with pytest.raises(ValueError, match="--configs '': give a folder"):
        check_configs("")
    monkeypatch.setattr(cli, "check_port", lambda *_a: pytest.fail("checked after --configs"))
    assert main(["dashboard", "--configs", "/nonexistent"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err == ("error: --configs /nonexistent: no such folder; give a folder of YAML "
                   "configs, or leave --configs out to offer the shipped configs")


def test_a_missing_runs_folder_is_refused_with_the_stores_nearby(tmp_path, monkeypatch):
    """A mistyped --runs would otherwise be served as a new, empty store."""
    import pytest

    from dashboard.cli import check_runs

    (tmp_path / "runs" / "20260101-000000-x-s1").mkdir(parents=True)
    (tmp_path / "runs" / "20260101-000000-x-s1" / "manifest.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    assert check_runs(None) == "runs"
    assert check_runs("runs") == "runs"
    with pytest.raises(ValueError, match=r"--runs runz: does not exist; .* run stores here: runs"):
        check_runs("runz")
    (tmp_path / "afile").write_text("")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        check_runs("afile")
    with pytest.raises(ValueError, match="give the run-store folder"):
        check_runs("")
    with pytest.raises(ValueError, match="this is one run, not a run store; give the folder "
                                         "that holds runs, here runs"):
        check_runs("runs/20260101-000000-x-s1")


def _post(client, output: str, outputs: list[dict], inputs: list[dict], state=()) -> dict:
    """The response of one callback, posted as the browser does."""
    body = {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": inputs, "state": list(state),
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs]}
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"]


@pytest.fixture()
def read_only_store(run_store, tmp_path, monkeypatch):
    """A copy of the run store that this process cannot write to.

    chmod 0555 makes it read-only for an ordinary user; root writes through permissions,
    so there the store's writability check (``os.access``) is told it is read-only.
    """
    import os
    import shutil
    from pathlib import Path

    store = tmp_path / "ro_store"
    shutil.copytree(run_store, store, ignore=shutil.ignore_patterns(".*"))  # runs only
    store.chmod(0o555)
    if os.access(store, os.W_OK):  # root: simulate the read-only file system
        real = os.access

        def access(path, mode, *args, **kwargs):
            if mode & os.W_OK and Path(path).resolve() == store.resolve():
                return False
            return real(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
    yield store
    store.chmod(0o755)


def test_a_read_only_store_is_served_and_the_launch_page_says_it_cannot_start_runs(
        read_only_store):
    """Issue example: 'creditsim dashboard --runs /ro_store' crashed creating its cache in
    the store (OSError: Read-only file system: '/ro_store/.dashboard-cache')."""
    app = create_app(read_only_store, configs_dir="configs")
    assert not (read_only_store / ".dashboard-cache").exists()  # nothing written in the store
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    picked = _post(client, "..run-a.options...run-a.value...run-b.options...run-b.value..."
                           "run-notice.children..",
                   [{"id": "run-a", "property": "options"}, {"id": "run-a", "property": "value"},
                    {"id": "run-b", "property": "options"}, {"id": "run-b", "property": "value"},
                    {"id": "run-notice", "property": "children"}],
                   [{"id": "url", "property": "search", "value": ""},
                    {"id": "runs-version", "property": "data", "value": None},
                    {"id": "runs-refresh", "property": "n_intervals", "value": None}],
                   [{"id": "run-a", "property": "value", "value": None},
                    {"id": "run-b", "property": "value", "value": None}])
    listed = {o["value"] for o in picked["run-a"]["options"]}
    assert listed == {p.name for p in read_only_store.iterdir() if not p.name.startswith(".")}
    page = str(_post(client, "page.children", [{"id": "page", "property": "children"}],
                     [{"id": "url", "property": "pathname", "value": "/launch"},
                      {"id": "url", "property": "search", "value": ""}]))
    assert f"The run store {read_only_store} is read-only" in page
    assert "'disabled': True" in page  # the Start button
    clicked = str(_post(client, "launch-message.children",
                        [{"id": "launch-message", "property": "children"}],
                        [{"id": "launch-button", "property": "n_clicks", "value": 1}]))
    assert "is read-only, so this dashboard shows its runs but cannot start new ones" in clicked


def test_the_help_of_runs_says_which_folder_must_exist_and_which_is_created(capsys):
    """Issue example: '--runs  run-store folder, an existing one (default: runs, created when
    missing)' read as a contradiction."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["dashboard", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert ("--runs FOLDER the run store to serve: a FOLDER given here must already exist; "
            "without --runs, ./runs is served and created if missing") in text


def test_a_cache_folder_that_cannot_be_made_leaves_the_dashboard_serving_without_launches(
        run_store, tmp_path):
    from dashboard.app import _launch_context
    from dashboard.launcher import LaunchLimits

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    guard, jobs, why = _launch_context(run_store, blocker / "cache", "configs", LaunchLimits())
    assert jobs is None and guard.lock_path is None
    assert why.startswith(f"The dashboard's cache folder {blocker / 'cache'} cannot be created")
    assert create_app(run_store, configs_dir="configs", cache_dir=blocker / "cache").server
