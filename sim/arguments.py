"""Checks of a run's arguments, made before any work: the same rules and messages for the
``creditsim`` command and for ``sim.run``.

A run that fails after an hour because its output folder is a file, or that allocates 4 GB
for a billion paths before noticing, wastes the user's time; so every argument is checked
first: counts against the config's own limits, the run store (a folder that can be written,
with room for the run's folder name), and the Dask scheduler (reachable within seconds).
Each failure is an :class:`ArgumentError` naming the argument, the value and what is allowed.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterable
from numbers import Integral
from pathlib import Path
from urllib.parse import urlsplit

from sim.config import MAX_PATHS, MAX_SEED
from sim.configwords import short_value

__all__ = ["MAX_WORKERS", "ArgumentError", "check_paths", "check_scheduler", "check_seed",
           "check_store", "check_trace_ids", "check_workers", "whole_number",
           "whole_number_refusal"]

MAX_WORKERS = 256
"""Most local worker processes (each holds a path's arrays, about 200 MB for a large book)."""
SCHEDULER_TIMEOUT_S = 3.0
"""Seconds to wait for a Dask scheduler to accept a connection before giving up."""


class ArgumentError(ValueError):
    """An argument of a run that cannot be used; the message names it and what is allowed."""


def whole_number(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int when it is a whole number in ``[low, high]``.

    Booleans and floats (``1.7``, ``2.0``) are refused: a count is never silently rounded.

    Raises:
        ArgumentError: otherwise, naming ``name``, the value and the range.
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= int(value) <= high:
        raise ArgumentError(whole_number_refusal(name, short_value(value), low, high))
    return int(value)


def whole_number_refusal(name: str, shown: str, low: int, high: int) -> str:
    """The message of :func:`whole_number`: ``"paths = 1.5: must be a whole number from 1 to
    100,000"``, ``shown`` being the value as given."""
    return f"{name} = {shown}: must be a whole number from {low:,} to {high:,}"


def check_paths(paths: object) -> int:
    """Monte Carlo paths: 1 to the config's cap (``RunConfig.paths``)."""
    return whole_number("paths", paths, 1, MAX_PATHS)


def check_seed(seed: object) -> int:
    """Root seed: 0 to 2**63 - 1 (as ``RunConfig.seed``)."""
    return whole_number("seed", seed, 0, MAX_SEED)


def check_workers(workers: object) -> int:
    """Local worker processes: 1 to :data:`MAX_WORKERS`."""
    return whole_number("workers", workers, 1, MAX_WORKERS)


def check_trace_ids(ids: Iterable[object], capacity: int) -> tuple[int, ...]:
    """Borrower slots to trace: each a whole number from 0 to ``capacity - 1``."""
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        raise ArgumentError(f"trace_ids = {short_value(ids)}: must be a sequence of borrower "
                            f"slots (whole numbers from 0 to {capacity - 1:,})")
    return tuple(whole_number("borrower", i, 0, capacity - 1) for i in ids)


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path.cwd()


def check_store(out: object, name: str, seed: int) -> Path:
    """The run-store folder ``out``: a folder (or one that can be made) that can be written,
    whose file system takes the run's folder name.

    Nothing is left behind: the check makes and removes an empty folder in the nearest
    folder that exists.

    Raises:
        ArgumentError: a file, a folder under a file, a folder that cannot be written (such
            as one under ``/proc``), or a config name too long for a folder name here.
    """
    if not isinstance(out, str | os.PathLike) or not str(out).strip():
        raise ArgumentError(f"out = {short_value(out)}: must be a folder path")
    root = Path(out).expanduser()
    base = _nearest_existing(root.absolute())
    if not base.is_dir():
        what = "is a file" if base == root.absolute() else f"is inside {base}, which is a file"
        raise ArgumentError(f"out = {short_value(str(out))}: {what}; give a folder for the run "
                            f"store")
    # The run is first written to '.tmp-<run id>-<pid>': stamp, name, seed, counter and pid.
    longest = len(".tmp-20261130-235959--s-999-4194304") + len(name) + len(str(seed))
    try:
        limit = os.pathconf(base, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if longest > limit:
        raise ArgumentError(f"name = {short_value(name, 40)}: too long for a run folder name "
                            f"in {base} (at most {limit} characters with the time stamp and "
                            f"seed); shorten the config's name")
    try:
        probe = tempfile.mkdtemp(prefix=".creditsim-check-", dir=base)
    except OSError as exc:
        raise ArgumentError(f"out = {short_value(str(out))}: cannot write in {base}: "
                            f"{exc.strerror or exc}; give a folder you can write to") from None
    shutil.rmtree(probe, ignore_errors=True)
    return root


def check_scheduler(address: object, timeout: float = SCHEDULER_TIMEOUT_S) -> str:
    """A Dask scheduler address (``tcp://host:port`` or ``host:port``) that accepts a
    connection within ``timeout`` seconds.

    Raises:
        ArgumentError: an address that is not one, or a scheduler that does not answer.
    """
    if not isinstance(address, str) or not address.strip():
        raise ArgumentError(f"scheduler = {short_value(address)}: must be an address such as "
                            f"tcp://127.0.0.1:8786")
    text = address.strip()
    parts = urlsplit(text if "://" in text else f"tcp://{text}")
    try:
        host, port = parts.hostname, parts.port or 8786
    except ValueError:
        host, port = None, None
    if parts.scheme not in ("tcp", "tls") or not host or port is None:
        raise ArgumentError(f"scheduler = {short_value(address)}: must be an address such as "
                            f"tcp://127.0.0.1:8786 (tcp:// or tls://, a host and a port)")
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            greeting = _read_greeting(sock, timeout) if parts.scheme == "tcp" else b"-"
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ArgumentError(f"scheduler = {short_value(address)}: cannot connect to "
                            f"{host}:{port} within {timeout:g} s ({reason}); start the Dask "
                            f"scheduler or give its address") from None
    if not greeting:
        raise ArgumentError(f"scheduler = {short_value(address)}: {host}:{port} accepts "
                            f"connections but did not greet as a Dask scheduler does; give the "
                            f"scheduler's address (its port is 8786 unless set otherwise)")
    return text


def _read_greeting(sock: socket.socket, timeout: float) -> bytes:
    """The start of the handshake a Dask scheduler sends on every new connection (a frame:
    an 8-byte little-endian length, then msgpack naming the Python version), or b''.

    A plain TCP connection is not enough: a proxy or another service may accept it, and a
    Dask client would then read its reply as a frame length (measured: an attempt to
    allocate 3 EiB)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while len(data) < 64:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    if len(data) < 16:
        return b""
    size = int.from_bytes(data[:8], "little")
    return data if 8 < size < 1 << 20 and b"python" in data else b""
