"""Where numba keeps the compiled kernels: a folder named after the kernels' own sources.

Numba invalidates a cached function when its own file changes, not when a function it calls
from another file (or a constant it reads from one) changes: after an edit of
:mod:`sim.kernels.accounts`, the cached ladder would still run the old payment rule. So the
cache lives in a folder keyed by a digest of every source in ``sim/kernels`` and of the
rules the kernels compile from elsewhere (:data:`RULES`: ``sim/delinquency.py``): any edit
there starts a fresh folder, and the kernels compile again once (about 40 s).

The folder is ``<base>/<digest>``, where ``<base>`` is ``NUMBA_CACHE_DIR`` when set, else the
user's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``creditsim/numba``), else the
system's temporary folder when that is not writable; it works the same from a checkout and
from an installed package. Import this module before any ``@njit(cache=True)`` runs.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from numba.core import config

SOURCES = Path(__file__).resolve().parent
RULES = (SOURCES.parent / "delinquency.py",)
"""Sources outside ``sim/kernels`` whose functions the kernels compile (``due_time``)."""


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


def cache_folder() -> Path:
    """The folder the kernels are cached in (created); see the module docstring."""
    digest = sources_digest()
    given = os.environ.get("NUMBA_CACHE_DIR")
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "creditsim"
    bases = [Path(given)] if given else []
    bases += [user / "numba", Path(tempfile.gettempdir()) / "creditsim-numba"]
    for base in bases:
        if _writable(base / digest):
            return base / digest
    raise OSError(f"no writable folder for the compiled kernels (tried {user} and the "
                  f"temporary folder); set NUMBA_CACHE_DIR to one")


config.CACHE_DIR = str(cache_folder())  # type: ignore[attr-defined]
