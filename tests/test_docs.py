"""The docs run: the README's Python example works and the config reference is current."""

from __future__ import annotations

import re
from pathlib import Path

from sim.config import config_reference

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "the README has a Python example"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    namespace: dict = {}  # the blocks run in order, like cells of one notebook
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own docs
    assert namespace["again"].manifest["seed"] == 7
    assert (tmp_path / "runs" / namespace["run"].manifest["run_id"] / "manifest.json").is_file()


def test_config_reference_is_current():
    page = (ROOT / "docs" / "CONFIG.md").read_text()
    assert page.endswith(config_reference()), "regenerate with: creditsim config-reference"


def test_readme_lists_every_config():
    readme = (ROOT / "README.md").read_text()
    for path in (ROOT / "configs").glob("*.yaml"):
        assert path.name in readme, path.name


def test_readme_defines_the_per_path_measures_in_the_words_of_the_code():
    """The README's table of ``paths.parquet`` and :data:`sim.metrics.DEFINITIONS` (whose
    words the Portfolio page's cards show) say the same, row for row."""
    from sim.metrics import DEFINITIONS, is_rate

    readme = (ROOT / "README.md").read_text()
    table = readme.split("`paths.parquet` (sums over the horizon, per path):", 1)[1]
    rows = {}
    for line in table.split("\n\n", 2)[1].splitlines()[2:]:
        name, text = (cell.strip() for cell in line.strip("|").split("|", 1))
        rows[name.strip("`")] = text.replace("`", "")
    expected = {m: d.text + ("" if is_rate(m) else " (currency)")
                for m, d in DEFINITIONS.items()}
    assert rows == expected
