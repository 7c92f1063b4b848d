"""A signal's handler for the length of a ``with`` block (light: the standard library only)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["handled"]


@contextmanager
def handled(signum: int, handler: Callable[[int, Any], Any] | int) -> Iterator[None]:
    """Handle ``signum`` with ``handler`` (a function, or ``signal.SIG_IGN``) inside the
    block, and put the previous handler back after it. Only the main thread may set a
    handler: in another thread the block runs with the handlers as they are."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)
