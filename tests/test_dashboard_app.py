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
