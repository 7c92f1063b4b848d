"""Launched runs as jobs: a spawned process each, a status file, a time limit.

The dashboard's web server runs callbacks in threads. A run forked from such a process
inherits whatever locks its other threads held at that instant (a SQLite lock, the
logging lock) and can wait on them forever. Each launched run therefore starts in a
fresh interpreter (``multiprocessing`` "spawn" start method) that shares no lock with
the server. The job reports through a small JSON status file that it replaces
atomically (state, paths done, run id or error); the page polls it. A watcher thread in
the server stops a job that outlives :attr:`LaunchLimits.timeout_s`, and reports a job
whose process ended without a word (killed, out of memory) as failed; any server
process that reads the status checks the same two things, so a status never stays
"running" for a process that is gone.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import signal
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from dashboard.launcher import (
    LaunchLimits,
    LaunchRefused,
    LaunchRequest,
    RunGuard,
    launch,
    list_configs,
    prepare,
)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
FINAL = ("done", "failed", "refused", "timed-out")
GRACE_S = 10.0
"""Seconds past the time limit before a job seen from another server process is stopped."""
KEEP_STATUS_S = 7 * 86400.0
"""Status files of jobs that ended longer ago than this are removed when a job starts."""
MESSAGE_CHARS = 600
"""Longest error message a job reports to the page."""
log = logging.getLogger("dashboard")
_UPDATES = threading.Lock()
"""Serialises read-modify-write of status files within a process (watcher and callbacks)."""


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobBoard:
    """Launched runs of one dashboard: their status files under ``folder``.

    Args:
        folder: Where status files live (created if missing).
        runs_root: The run store the jobs write into.
        configs_dir: The folder of configs a request may name.
        guard: The one-run-at-a-time lock (held by the job's process while it runs).
        limits: Size and time limits of a launched run.
    """

    def __init__(self, folder: str | Path, *, runs_root: str | Path, configs_dir: str | Path,
                 guard: RunGuard, limits: LaunchLimits):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.runs_root = Path(runs_root)
        self.configs_dir = Path(configs_dir)
        self.guard = guard
        self.limits = limits

    def _file(self, job_id: str) -> Path:
        if not isinstance(job_id, str) or not JOB_ID.match(job_id):
            raise KeyError("not a job id")
        return self.folder / f"{job_id}.json"

    def start(self, request: LaunchRequest) -> str:
        """Check ``request`` here and now, then start it in a spawned process; return its id.

        Raises:
            ConfigError: invalid parameters.
            LaunchRefused: too large, or another run is in progress.
        """
        configs = list_configs(self.configs_dir)
        _, size = prepare(request, configs, self.limits)
        if self.guard.busy():
            raise LaunchRefused("another run is in progress on this server; wait for it to "
                                "finish")
        self._forget_old()
        job_id = uuid.uuid4().hex
        now = time.time()
        write_status(self._file(job_id), {
            "state": "starting", "done": 0, "total": size.paths, "run_id": None,
            "message": "", "started": now,
            "deadline": now + self.limits.timeout_s})
        ctx = multiprocessing.get_context("spawn")
        proc = ctx.Process(target=run_job, name=f"creditsim-launch-{job_id[:8]}", daemon=True,
                           args=(str(self._file(job_id)), request, configs,
                                 str(self.runs_root), str(self.guard.lock_path or ""),
                                 self.limits, os.getpid()))
        proc.start()
        self._file(job_id).with_suffix(".pid").write_text(str(proc.pid))
        threading.Thread(target=self._watch, args=(job_id, proc), daemon=True,
                         name=f"creditsim-launch-watch-{job_id[:8]}").start()
        return job_id

    def _forget_old(self) -> None:
        cutoff = time.time() - KEEP_STATUS_S
        for file in self.folder.glob("*.json"):
            status = read_status(file)
            try:
                old = file.stat().st_mtime < cutoff
            except OSError:
                continue
            if old and (status is None or status.get("state") in FINAL):
                file.unlink(missing_ok=True)
                file.with_suffix(".pid").unlink(missing_ok=True)

    def _watch(self, job_id: str, proc: multiprocessing.process.BaseProcess) -> None:
        """Wait for the job's process; stop it at the time limit; report a silent end."""
        proc.join(self.limits.timeout_s)
        if proc.is_alive():
            _stop(proc.pid)
            proc.join(5)
            self._finish(job_id, "timed-out", self._timeout_message())
        else:
            self._finish(job_id, "failed", f"the run's process ended unexpectedly "
                                           f"(exit code {proc.exitcode})")
        proc.close()

    def _timeout_message(self) -> str:
        return (f"the run was stopped after this server's time limit of "
                f"{self.limits.timeout_s:g} s; start a smaller run, or run 'creditsim run' "
                "from a terminal")

    def _finish(self, job_id: str, state: str, message: str) -> None:
        """Record a final state unless the job recorded its own."""
        file = self._file(job_id)
        current = read_status(file)
        if current is not None and current["state"] not in FINAL:
            update_status(file, state=state, message=message)

    def status(self, job_id: str) -> dict[str, Any] | None:
        """The job's status (None for an unknown id), with gone or overdue jobs settled."""
        try:
            file = self._file(job_id)
        except KeyError:
            return None
        current = read_status(file)
        if current is None or current["state"] in FINAL:
            return current
        now, pid = time.time(), _job_pid(file)
        if now > current["deadline"] + GRACE_S:
            _stop(pid)
            self._finish(job_id, "timed-out", self._timeout_message())
        elif pid is not None and not _alive(pid):
            self._finish(job_id, "failed", "the run's process ended unexpectedly")
        return read_status(file)


def _job_pid(file: Path) -> int | None:
    try:
        return int(file.with_suffix(".pid").read_text())
    except (OSError, ValueError):
        return None


def _stop(pid: int | None) -> None:
    if pid is not None and _alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def write_status(file: Path, status: dict[str, Any]) -> None:
    """Replace ``file`` with ``status`` as JSON, atomically (readers never see half)."""
    fd, tmp = tempfile.mkstemp(prefix=".status-", dir=file.parent)
    with os.fdopen(fd, "w") as out:
        json.dump(status, out)
    os.replace(tmp, file)


def read_status(file: Path) -> dict[str, Any] | None:
    """The status in ``file``, or None when there is none."""
    try:
        return json.loads(file.read_text())
    except (OSError, ValueError):
        return None


def update_status(file: Path, **fields: Any) -> None:
    """Change some fields of the status in ``file``."""
    with _UPDATES:
        write_status(file, dict(read_status(file) or {}, **fields))


def run_job(status_file: str, request: LaunchRequest, configs: dict[str, Path], runs_root: str,
            lock_path: str, limits: LaunchLimits, server_pid: int) -> None:
    """The spawned process of one launched run: run it and keep its status file current."""
    from sim.config import ConfigError
    from sim.pool import watch_parent

    watch_parent(server_pid)  # the server is gone: nobody will read the result
    file = Path(status_file)
    job_log = logging.getLogger("dashboard.job")
    update_status(file, state="running")

    def progress(done: int, total: int) -> None:
        update_status(file, done=done, total=total)

    try:
        run_id = launch(request, configs=configs, runs_root=runs_root,
                        guard=RunGuard(lock_path or None), limits=limits, on_progress=progress)
    except (ConfigError, LaunchRefused) as exc:
        update_status(file, state="refused", message=str(exc)[:MESSAGE_CHARS])
        return
    except Exception as exc:  # noqa: BLE001 - reported to the page, traced in the log
        job_log.exception("launched run failed")
        update_status(file, state="failed",
                      message=f"{type(exc).__name__}: {exc}"[:MESSAGE_CHARS])
        return
    update_status(file, state="done", run_id=run_id)
