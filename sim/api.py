"""The Python API for notebooks: ``sim.run(...)`` and ``sim.load_run(...)``.

>>> import sim
>>> run = sim.run("configs/baseline.yaml", paths=4, seed=1, workers=1)  # doctest: +SKIP
>>> run.paths[["path", "net_loss_rate"]]                               # doctest: +SKIP
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from sim.arguments import (
    check_paths,
    check_scheduler,
    check_seed,
    check_store,
    check_trace_ids,
    check_workers,
)
from sim.config import RunConfig, load_config
from sim.manifest import Manifest, environment, provenance
from sim.metrics import path_table, portfolio_table, roll_table, vintage_table
from sim.montecarlo import ProgressCallback, run_paths
from sim.securitisation import abs_tables, note_loss_columns
from sim.shipped import resolve_config
from sim.store import PartialRun, Run, RunInterrupted, RunLost, new_run_id


def run(
    config: str | Path | dict | RunConfig,
    paths: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    *,
    out: str | Path | None = "runs",
    scheduler: str | None = None,
    trace_ids: tuple[int, ...] = (),
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
    base: str | Path | None = None,
    origin: dict | None = None,
) -> Run:
    """Run the Monte Carlo and return a :class:`~sim.store.Run`.

    Args:
        config: a YAML path, the name of a shipped config (``"baseline"``, as ``creditsim
            run baseline``), a mapping or a validated :class:`~sim.config.RunConfig`.
        paths: Monte Carlo paths (default: the config's ``paths``).
        seed: root seed (default: the config's ``seed``).
        workers: local worker processes; results do not depend on it.
        out: run-store folder to write the run into; ``None`` keeps it in memory only.
            The run claims its folder at once and stores each chunk of paths as it
            completes; a stopped run is continued by :func:`sim.resume.resume`.
        scheduler: Dask scheduler address to run the paths on instead of local processes.
        trace_ids: borrower slots whose every event goes into the ``trace`` table.
        progress: show a terminal progress bar.
        on_progress: called with (paths done, paths total) as paths finish.
        base: the config file ``config`` was derived from, when ``config`` is a mapping
            or a RunConfig; the manifest records the differences as ``overrides``.
        origin: ``config_name``, ``config_file``, ``overrides`` and ``rerun_of`` to record
            as they are (a rerun of a stored run) instead of deriving them.

    Raises:
        ConfigError: the config cannot be used (the message names the key).
        ArgumentError: an argument out of range (``paths=1.7``, ``seed=-5``), a run store that
            cannot be written, or a scheduler that does not answer; checked before any work,
            with the messages of the ``creditsim`` command.
        RunInterrupted: Ctrl-C during a run into ``out``; its folder keeps the paths done.
        RunLost: a local worker process was killed before its paths were done
            (``WorkerLost``), or the Dask scheduler stopped answering (``SchedulerLost``),
            or Dask workers died running a chunk (``DaskWorkerLost``); a run into ``out``
            keeps the paths done in its folder, which the error names.
    """
    paths = None if paths is None else check_paths(paths)
    seed = None if seed is None else check_seed(seed)
    workers = check_workers(workers)
    if isinstance(config, str | Path):  # a shipped config's name, as the command takes it
        config = resolve_config(config)
    cfg = load_config(config)
    paths = cfg.paths if paths is None else paths
    seed = cfg.seed if seed is None else seed
    trace_ids = check_trace_ids(trace_ids, cfg.capacity)
    if out is not None:
        check_store(out, cfg.name, seed)
    if scheduler is not None:
        scheduler = check_scheduler(scheduler)
    cfg_json = cfg.model_dump(mode="json")
    if origin is None:
        origin = provenance(config, cfg_json, base)
    if out is None:
        started = time.perf_counter()
        results = run_paths(cfg, paths, seed, workers, scheduler=scheduler, trace_ids=trace_ids,
                            progress=progress, on_progress=on_progress)
        return _assemble(cfg, results, seed, workers, scheduler, origin, Path("runs"), started)
    part = PartialRun.create(out, new_run_id(cfg.name, seed, Path(out)), {
        "name": cfg.name, "config": cfg_json, "seed": seed, "paths": paths,
        "trace_ids": list(trace_ids), "origin": origin})
    try:
        return simulate_into(part, cfg, workers, scheduler=scheduler, progress=progress,
                             on_progress=on_progress)
    except KeyboardInterrupt:
        raise
    except BaseException:  # an error of the model or the machine, not Ctrl-C
        part.discard_if_empty()  # a new run that stored no path leaves no folder behind
        raise


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is Ctrl-C or was raised while handling it: a compiled kernel that
    Ctrl-C stops mid-call raises ``SystemError`` ("returned a result with an exception
    set") with the ``KeyboardInterrupt`` as its context."""
    seen: BaseException | None = exc
    for _ in range(8):  # a short chain; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def simulate_into(part: PartialRun, cfg: RunConfig, workers: int = 1, *,
                  scheduler: str | None = None, progress: bool = False,
                  on_progress: ProgressCallback | None = None) -> Run:
    """Simulate the paths of ``part`` not stored yet, saving each chunk as it completes,
    then write the run's tables and manifest into its folder.

    A path's result depends only on (config, seed, path), so a run continued from its
    stored chunks has the same tables as a run never stopped.

    Raises:
        RunInterrupted: Ctrl-C; the chunks stored so far stay in ``part.folder``.
        RunLost: a local or Dask worker, or the Dask scheduler, was lost before the paths
            were done; the chunks stored so far stay in ``part.folder``, which the error
            names.
    """
    seed, paths = int(part.progress["seed"]), int(part.progress["paths"])
    trace_ids = tuple(int(i) for i in part.progress.get("trace_ids", ()))
    try:
        done = part.load()
        started = time.perf_counter()
        results = run_paths(cfg, paths, seed, workers, scheduler=scheduler, trace_ids=trace_ids,
                            progress=progress, on_progress=on_progress, done=done,
                            on_chunk=part.save)
        result = _assemble(cfg, results, seed, workers, scheduler, part.progress["origin"],
                           part.folder.parent, started, run_id=part.folder.name)
        part.finish(result)
    except BaseException as exc:
        part.release()
        if interrupted(exc):
            stored = len(part.load())
            raise RunInterrupted(part.folder, stored, paths) from None
        if isinstance(exc, RunLost):
            raise exc.kept_in(part.folder, len(part.load()), paths) from None
        raise
    return result


def _assemble(cfg: RunConfig, results: list, seed: int, workers: int, scheduler: str | None,
              origin: dict, root: Path, started: float, run_id: str | None = None) -> Run:
    """The run's tables and manifest from its path results (in path order)."""
    paths = len(results)
    simulated = time.perf_counter()
    portfolio = portfolio_table(results)
    rolls = roll_table(results)
    tables = {"portfolio": portfolio, "paths": path_table(portfolio, results, rolls),
              "vintages": vintage_table(results), "rolls": rolls}
    deal = abs_tables(results, cfg.deal)
    if deal:
        tables.update(deal)
        tables["paths"] = tables["paths"].merge(note_loss_columns(deal["note_metrics"]),
                                                on="path", how="left")
    traces = [row for r in results for row in r.trace]
    if traces:
        import pandas as pd

        tables["trace"] = pd.DataFrame(traces)
    finished = time.perf_counter()
    manifest = Manifest(
        run_id=run_id or new_run_id(cfg.name, seed, root), name=cfg.name,
        description=cfg.description, seed=seed, paths=paths, workers=workers,
        backend="dask" if scheduler else ("local-processes" if workers > 1 else "in-process"),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        borrower_months=int(portfolio["active_borrowers"].sum()),
        timings={"simulate_s": round(simulated - started, 3),
                 "tables_s": round(finished - simulated, 3)},
        config=cfg.model_dump(mode="json"), tables=sorted(tables), **environment(),
        **origin,
    ).model_dump(mode="json")
    return Run(manifest, tables)
