"""The README's commands run and print what it shows (tables of the same shape), and
its description of the policies matches their configs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from sim.cli import build_parser
from sim.config import load_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import readme_figures  # noqa: E402 - the script that regenerates the README's output

README = (ROOT / "README.md").read_text()


def test_every_command_in_the_commands_block_exists_and_every_command_is_listed():
    block = README.split("## Commands", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    listed = {line.split()[1] for line in block.splitlines()
              if line.startswith("creditsim ") and not line.split()[1].startswith("-")}
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert listed == set(sub.choices), listed ^ set(sub.choices)


def test_readme_sessions_are_found():
    found = readme_figures.sessions(README)
    assert [s.commands[-1].split()[1] for s in found] == ["compare", "run-set", "report",
                                                           "report"]


def test_table_shape_counts_a_wrapped_row_once():
    """A cell wrapped onto a second line (its width depends on the numbers) is one row."""
    text = ("┏━━━┳━━━━━━┓\n┃ a ┃ b    ┃\n┡━━━╇━━━━━━┩\n│ x │ long │\n│   │ tail │\n"
            "│ y │ 1    │\n└───┴──────┘\n")
    assert readme_figures.table_shape(text) == [(("a", "b"), ("x", "y"))]


def test_run_folders_are_shown_as_from_the_project_root(tmp_path):
    """The scratch store a session runs into is shown as ``runs``, the default ``--out``."""
    printed = (f"table\n{tmp_path}/runs/20261201-052451-standard-s20261122\n"
               f"{tmp_path}/runs/20261201-052712-lenient-s20261122\n")
    assert readme_figures.as_from_root(printed, tmp_path) == (
        "table\nruns/20261201-052451-standard-s20261122\n"
        "runs/20261201-052712-lenient-s20261122\n")
    session = readme_figures.sessions(README)[1]  # run-set: prints its runs' folders
    folders = session.output.strip().splitlines()[-4:]
    assert all(re.fullmatch(r"runs/\d{8}-\d{6}-[a-z_]+-s\d+", f) for f in folders), folders


@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 1, 2, 3],
                         ids=["compare", "run-set", "report", "report-20-paths"])
def test_readme_session_prints_tables_of_the_documented_shape(index, tmp_path):
    """Each README session on a tiny book (3 % of the borrowers, 26 months, 2 paths)."""
    session = readme_figures.sessions(README)[index]
    shrink = readme_figures.Shrink(paths=2, book=0.03, horizon=26)
    output = readme_figures.run_session(session, shrink, tmp_path)
    documented = readme_figures.table_shape(session.output)
    printed = readme_figures.table_shape(output)
    assert documented, "the README shows a table"
    assert printed[-len(documented):] == documented


def _ladder_day(config: str, channel: str) -> int:
    cfg = load_config(ROOT / "configs" / config)
    return min(s.from_dpd for s in cfg.collections.ladder if s.channel == channel)


def test_the_aggressive_policy_is_described_as_configured():
    """Issue example: the README said day 5 while configs/aggressive.yaml says 7 (team 2 -> 5)."""
    text = " ".join(README.split())
    m = re.search(r"The aggressive ladder \(daily messages, human collectors from day (\d+) "
                  r"with a team of (\d+) instead of (\d+), the agency from day (\d+)\)", text)
    assert m, "the README describes the aggressive ladder"
    human, team, standard_team, agency = map(int, m.groups())
    assert human == _ladder_day("aggressive.yaml", "human")
    assert agency == _ladder_day("aggressive.yaml", "agency")
    assert team == load_config(ROOT / "configs" / "aggressive.yaml").collections.collectors.count
    assert standard_team == load_config(
        ROOT / "configs" / "standard.yaml").collections.collectors.count
