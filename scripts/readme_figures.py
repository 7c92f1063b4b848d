"""Re-run the README's console examples and put their output back into README.md.

The README shows ``creditsim`` sessions (``$ command`` lines followed by what it
prints). This script runs every such session in a scratch folder, replacing each
``runs/<...>`` placeholder by the run the session made before it, and prints (or, with
``--write``, stores) the new output in place of the old, run folders written ``runs/<id>``
as from the project root. ``--paths`` and ``--book``
shrink the runs for a quick check; ``tests/test_readme.py`` does exactly that and
compares the shape of every table (its columns and row names) with the README's.

    python scripts/readme_figures.py                   # full size, as documented
    python scripts/readme_figures.py --paths 4 --book 0.03 --horizon 26   # quick look
    python scripts/readme_figures.py --write           # refresh README.md
"""

from __future__ import annotations

import argparse
import io
import re
import shlex
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CONSOLE = re.compile(r"```console\n(.*?)```", re.S)
PLACEHOLDER = re.compile(r"runs/<[^>]+>")


@dataclass
class Session:
    """One ``console`` block: its commands and the output shown after them."""

    text: str
    commands: list[str] = field(default_factory=list)
    output: str = ""

    @classmethod
    def parse(cls, text: str) -> Session:
        lines = text.splitlines()
        commands = [ln[2:] for ln in lines if ln.startswith("$ ")]
        output = "\n".join(ln for ln in lines if not ln.startswith("$ "))
        return cls(text, commands, output)


def sessions(readme: str) -> list[Session]:
    """The README's ``creditsim`` sessions that make runs (bad-input examples left out)."""
    found = [Session.parse(m) for m in CONSOLE.findall(readme)]
    return [s for s in found if any(c.startswith(("creditsim run configs/",
                                                   "creditsim run-set configs/"))
                                    for c in s.commands)]


@dataclass
class Shrink:
    """How to make the README's runs small: paths, book share and horizon (None: as is)."""

    paths: int | None = None
    book: float | None = None
    horizon: int | None = None


def _small_config(config: str, shrink: Shrink, folder: Path) -> str:
    """A config file that is ``config`` with a smaller book (a ``base:`` override)."""
    if shrink.book is None and shrink.horizon is None:
        return str(ROOT / config)
    from sim.config import load_config

    base = load_config(ROOT / config)
    book: dict = {}
    if shrink.book is not None:
        book["initial_borrowers"] = max(1, round(base.book.initial_borrowers * shrink.book))
        book["new_borrowers_per_month"] = round(base.book.new_borrowers_per_month * shrink.book)
    if shrink.horizon is not None:
        book["horizon_months"] = shrink.horizon
    path = folder / Path(config).name
    path.write_text(yaml.safe_dump({"base": str(ROOT / config), "book": book}))
    return str(path)


def _arguments(command: str, shrink: Shrink, folder: Path, made: list[str]) -> list[str]:
    args = shlex.split(PLACEHOLDER.sub("{run}", command))[1:]
    out, queue = [], list(made)
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg == "{run}":
            out.append(queue.pop(0))
        elif arg.startswith("configs/") and arg.endswith(".yaml") and args[i - 1] != "--deal":
            out.append(_small_config(arg, shrink, folder))
        elif arg == "--deal":
            out += [arg, str(ROOT / args[i + 1])]
            skip = True
        elif arg == "--paths" and shrink.paths is not None:
            out += [arg, str(shrink.paths)]
            skip = True
        elif arg == "--workers":
            out += [arg, "1"]
            skip = True
        else:
            out.append(arg)
    if args[0] in ("run", "run-set"):
        out += ["--out", str(folder / "runs")]
    return out


def run_session(session: Session, shrink: Shrink, folder: Path, width: int = 132) -> str:
    """Run a session's commands; return what the last one printed (stdout and stderr)."""
    import sim.cli

    made: list[str] = []
    text = ""
    for command in session.commands:
        args = _arguments(command, shrink, folder, made)
        if args[0] in ("run", "run-set"):
            args.append("--quiet")
        buffer = io.StringIO()
        sim.cli.console.width = width
        sim.cli.err_console.width = width
        with redirect_stdout(buffer), redirect_stderr(buffer):
            code = sim.cli.main(args)
        if code != 0:
            raise RuntimeError(f"{command!r} exited with {code}: {buffer.getvalue()}")
        if args[0] == "run":
            made.append(buffer.getvalue().strip().splitlines()[-1])
        text = as_from_root(buffer.getvalue(), folder)
    return text


def as_from_root(text: str, folder: Path) -> str:
    """``text`` with the scratch run store ``folder/runs`` (each command's ``--out``) written
    ``runs``: the run folders as a user running from the project root sees them, where
    ``--out`` defaults to ``runs`` (``runs/20261201-052451-standard-s20261122``)."""
    return text.replace(f"{folder / 'runs'}/", "runs/")


def table_shape(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each rich table in ``text`` as (column names, first cell of each row).

    A line whose first cell is empty continues the row above (a cell wrapped to fit the
    width, which depends on the numbers printed), so it is not a row of its own.
    """
    shapes, header, rows = [], None, []
    for line in text.splitlines():
        if line.startswith("┃"):
            header = tuple(c.strip() for c in line.strip().strip("┃").split("┃"))
        elif line.startswith("│") and header is not None:
            first = line.strip().strip("│").split("│")[0].strip()
            if first or not rows:
                rows.append(first)
        elif line.startswith("└") and header is not None:
            shapes.append((header, tuple(rows)))
            header, rows = None, []
    return shapes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, help="paths per run (default: as in the README)")
    parser.add_argument("--book", type=float, help="share of each config's book (e.g. 0.03)")
    parser.add_argument("--horizon", type=int, help="months per path (default: the config's)")
    parser.add_argument("--write", action="store_true", help="store the output in README.md")
    args = parser.parse_args(argv)
    import tempfile

    readme = README.read_text()
    shrink = Shrink(args.paths, args.book, args.horizon)
    for session in sessions(readme):
        with tempfile.TemporaryDirectory() as tmp:
            output = run_session(session, shrink, Path(tmp))
        commands = "\n".join(f"$ {c}" for c in session.commands)
        print(commands + "\n" + output)
        if args.write:
            elided = "..." in session.output.splitlines()
            body = "...\n" + _tail(output) if elided else output
            readme = readme.replace(session.text, commands + "\n" + body)
    if args.write:
        README.write_text(readme)
    return 0


def _tail(output: str) -> str:
    """The last table of an output and what follows it (for '...'-elided sessions)."""
    lines = output.splitlines(keepends=True)
    starts = [i for i, ln in enumerate(lines) if ln.startswith("┏")]
    start = starts[-1] if starts else 0
    while start > 0 and lines[start - 1].strip() and not lines[start - 1].startswith("└"):
        start -= 1
    return "".join(lines[start:])


if __name__ == "__main__":
    sys.exit(main())
