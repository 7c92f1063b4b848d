"""Continue a run that was stopped: the paths not yet stored, then the tables.

A run simulated into the store keeps ``progress.json`` (config, seed, paths) and one
file per completed chunk of paths in its folder (:class:`sim.store.PartialRun`). Since
a path's result depends only on (config, seed, path), continuing the run simulates only
the missing paths and writes tables identical, bit for bit, to those of a run that was
never stopped. Continuing is refused when what is asked differs from what the folder
holds: another config, seed or number of paths would give another run.
"""

from __future__ import annotations

from pathlib import Path

from sim.config import RunConfig, load_config
from sim.manifest import config_overrides
from sim.montecarlo import ProgressCallback
from sim.store import PartialRun, Run

MAX_KEYS_SHOWN = 5


def check_same(progress: dict, folder: Path, config: RunConfig | None, seed: int | None,
               paths: int | None) -> None:
    """Refuse to continue when the asked config, seed or paths differ from the stored run's.

    ``config``: the asked config (None: take the stored one); ``seed`` and ``paths``:
    asked values (None: the asked config's seed, or the stored values without a config).

    Raises:
        ValueError: naming what differs, the stored and the asked value.
    """
    if config is not None:
        diff = config_overrides(progress["config"], config.model_dump(mode="json"))
        diff.pop("seed", None)
        diff.pop("paths", None)
        if diff:
            keys = ", ".join(sorted(diff)[:MAX_KEYS_SHOWN])
            more = len(diff) - MAX_KEYS_SHOWN
            raise ValueError(f"{folder} holds a run of another config: {keys}"
                             + (f" and {more} more keys" if more > 0 else "")
                             + " differ; resume with the run's own config (or give no CONFIG)")
        seed = config.seed if seed is None else seed
    if seed is not None and seed != progress["seed"]:
        raise ValueError(f"{folder} holds a run with seed {progress['seed']}, not {seed}; "
                         f"resume with --seed {progress['seed']} (or without --seed)")
    if paths is not None and paths != progress["paths"]:
        raise ValueError(f"{folder} holds a run of {progress['paths']} paths, not {paths}; "
                         f"resume with --paths {progress['paths']} (or without --paths)")


def resume(folder: str | Path, config: RunConfig | None = None, *, seed: int | None = None,
           paths: int | None = None, workers: int = 1, scheduler: str | None = None,
           progress: bool = False, on_progress: ProgressCallback | None = None) -> Run:
    """Continue the stopped run in ``folder`` and return the complete run.

    Args:
        folder: the run folder (``runs/<run id>``) of a run that was stopped.
        config, seed, paths: what the caller asks for; each must match the stored run
            (see :func:`check_same`); None takes the stored value.
        workers, scheduler: where the remaining paths run; results do not depend on it.
        progress, on_progress: as for :func:`sim.run`.

    Raises:
        ValueError: the run is complete, another process is running it, or the asked
            config, seed or paths differ from the stored ones.
        RunNotFound: ``folder`` is not a run that can be continued.
        CorruptRun: its progress record or a chunk cannot be read.
        RunInterrupted: Ctrl-C again; the folder keeps what was done.
    """
    from sim.api import simulate_into
    from sim.arguments import check_scheduler, check_workers

    workers = check_workers(workers)
    if scheduler is not None:
        scheduler = check_scheduler(scheduler)
    part = PartialRun.open(folder)
    try:
        check_same(part.progress, part.folder, config, seed, paths)
        cfg = load_config(part.progress["config"])
    except BaseException:
        part.release()
        raise
    return simulate_into(part, cfg, workers, scheduler=scheduler, progress=progress,
                         on_progress=on_progress)
