"""Where numba keeps the compiled kernels: a folder named after the kernels' own sources.

Numba invalidates a cached function when its own file changes, not when a function it calls
from another file (or a constant it reads from one) changes: after an edit of
:mod:`sim.kernels.accounts`, the cached ladder would still run the old payment rule. So the
cache lives in a folder keyed by a digest of every source in ``sim/kernels`` and of the
rules the kernels compile from elsewhere (:data:`RULES`: ``sim/delinquency.py``): any edit
there starts a fresh folder, and the kernels compile again once (about 40 s).

Folders of other sources (an older version of the kernels) that no process has used for
:data:`STALE_DAYS` days are removed when a folder is chosen, so that upgrades do not pile up
compiled code (15-25 MB a version); so are those beyond the :data:`KEEP_RECENT` most
recently used, once unused for :data:`IDLE_DAYS` (a developer's edits make a version each:
40 versions, 833 MB, were seen within a month on one machine). The folder in use is touched
each time it is chosen.

The folder is ``<base>/<digest>``, where ``<base>`` is ``NUMBA_CACHE_DIR`` when set, else the
user's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``creditsim/numba``), else the
system's temporary folder when that is not writable; it works the same from a checkout and
from an installed package. Import this module before any ``@njit(cache=True)`` runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from numba.core import config

SOURCES = Path(__file__).resolve().parent
RULES = (SOURCES.parent / "delinquency.py",)
"""Sources outside ``sim/kernels`` whose functions the kernels compile (``due_time``)."""
STALE_DAYS = 30
"""Days after which another version's folder, unused, is removed."""
KEEP_RECENT = 8
"""Other versions' folders kept however many there are: the most recently used."""
IDLE_DAYS = 1.0
"""Days unused after which a folder beyond the :data:`KEEP_RECENT` most recent is removed (a
day: longer than any run or test session that may still be reading it)."""


def sources_digest() -> str:
    """The first 16 hex digits of the SHA-256 of every ``sim/kernels/*.py`` and of
    :data:`RULES` (name and text)."""
    h = hashlib.sha256()
    for path in [*sorted(SOURCES.glob("*.py")), *RULES]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def prune(base: Path, keep: str, now: float | None = None) -> list[Path]:
    """Remove the folders in ``base`` other than ``keep`` whose last use (modification time)
    is more than :data:`STALE_DAYS` days before ``now`` (default: the current time), and
    those beyond the :data:`KEEP_RECENT` most recently used whose last use is more than
    :data:`IDLE_DAYS` before ``now``.

    Only folders named like a digest (16 hex digits) are considered; errors (a folder
    removed by another process meanwhile, no permission) are ignored. Returns those removed,
    the least recently used first.
    """
    now = time.time() if now is None else now
    used: list[tuple[float, Path]] = []
    for folder in base.iterdir():
        name = folder.name
        if name == keep or len(name) != 16 or not all(c in "0123456789abcdef" for c in name):
            continue
        try:
            if folder.is_dir():
                used.append((folder.stat().st_mtime, folder))
        except OSError:
            continue
    used.sort(reverse=True)  # the most recently used first
    removed = []
    for rank, (last, folder) in enumerate(used):
        idle = (now - last) / 86400
        if idle > STALE_DAYS or (rank >= KEEP_RECENT and idle > IDLE_DAYS):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed[::-1]


def cache_folder() -> Path:
    """The folder the kernels are cached in (created); see the module docstring."""
    digest = sources_digest()
    given = os.environ.get("NUMBA_CACHE_DIR")
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "creditsim"
    bases = [Path(given)] if given else []
    bases += [user / "numba", Path(tempfile.gettempdir()) / "creditsim-numba"]
    for base in bases:
        if _writable(base / digest):
            os.utime(base / digest)  # in use: not stale for another STALE_DAYS
            prune(base, keep=digest)
            return base / digest
    raise OSError(f"no writable folder for the compiled kernels (tried {user} and the "
                  f"temporary folder); set NUMBA_CACHE_DIR to one")


config.CACHE_DIR = str(cache_folder())  # type: ignore[attr-defined]
