"""The package works from any folder: shipped configs and deals, --version, python -m sim."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from sim.cli import main
from sim.config import ConfigError
from sim.shipped import configs_dir, resolve_config, resolve_deal, shipped_configs

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for top in ("sim", "dashboard") for p in (ROOT / top).rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert PYPROJECT["tool"]["setuptools"]["package-dir"]["sim.configs"] == "configs"


def test_license_is_an_spdx_string():
    assert PYPROJECT["project"]["license"] == "MIT"


def test_shipped_configs_are_found_by_name_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = set(shipped_configs())
    assert {"baseline", "recession", "aggressive", "standard"} <= names
    assert Path(resolve_config("baseline")) == configs_dir() / "baseline.yaml"
    assert Path(resolve_config("configs/recession.yaml")).name == "recession.yaml"
    assert Path(resolve_deal("card_trust")).name == "card_trust.yaml"
    with pytest.raises(ConfigError, match="shipped configs: aggressive, baseline"):
        resolve_config("basline")


def test_a_missing_config_file_names_the_shipped_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "nothere.yaml", "--paths", "1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "no such config file" in err and "baseline" in err


def test_version_flag_and_python_dash_m(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sim", "--version"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("creditsim ") and out.strip() != "creditsim"
    helped = subprocess.run([sys.executable, "-m", "sim", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, check=True).stdout
    assert "run-set" in helped


@pytest.mark.slow
def test_run_baseline_by_name_from_outside_the_repository(tmp_path):
    """``creditsim run baseline --paths 2`` from an empty folder (the full baseline book)."""
    proc = subprocess.run([sys.executable, "-m", "sim", "run", "baseline", "--paths", "2",
                           "--quiet"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / proc.stdout.strip().splitlines()[-1]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["name"] == "baseline" and manifest["paths"] == 2
    assert manifest["config"]["deal"]["name"]  # the shipped deal file was found too


@pytest.mark.slow
def test_the_wheel_ships_configs_deals_and_assets(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q",
                           "-w", str(tmp_path)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"no wheel could be built here (no build backend): {proc.stderr[-300:]}")
    wheel = next(tmp_path.glob("creditsim-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "configs").rglob("*.yaml"):
        assert f"sim/configs/{path.relative_to(ROOT / 'configs').as_posix()}" in names
    assert "dashboard/assets/style.css" in names
    assert "sim/__main__.py" in names
