"""Rerun a stored run exactly: the config, seed and path count its manifest recorded.

A manifest keeps the full validated config, the root seed and the number of paths, so
the same code gives the same tables (bit for bit, on any number of workers). When the
code or the libraries that decide the numbers differ from those the manifest records,
:func:`rerun` still runs and returns the differences, so the caller can say why the
tables might not match.
"""

from __future__ import annotations

from pathlib import Path

from sim.config import ConfigError, load_config
from sim.manifest import differences
from sim.store import Run, read_manifest, resolve_run


def rerun(run: str | Path, root: str | Path = "runs", *, out: str | Path | None = "runs",
          workers: int = 1, scheduler: str | None = None,
          progress: bool = False) -> tuple[Run, list[str]]:
    """Run again the stored run ``run`` (a folder, or an id under ``root``).

    Returns:
        The new run (its manifest's ``rerun_of`` names the original) and the lines of
        :func:`sim.manifest.differences` between the original's code and this one.

    Raises:
        RunNotFound: ``run`` is not a run folder.
        CorruptRun: its manifest does not fit the schema.
        ConfigError: its recorded config is not valid for this code (the message names
            the run and the keys).
    """
    import sim

    folder = resolve_run(run, root)
    manifest = read_manifest(folder)
    try:
        config = load_config(manifest.config)
    except ConfigError as exc:
        raise ConfigError(f"{folder}: the recorded config is not valid for this version of "
                          f"creditsim:\n{exc}") from None
    origin = {"config_name": manifest.config_name, "config_file": manifest.config_file,
              "overrides": dict(manifest.overrides), "rerun_of": manifest.run_id}
    result = sim.run(config, paths=manifest.paths, seed=manifest.seed, workers=workers,
                     out=out, scheduler=scheduler, progress=progress, origin=origin)
    return result, differences(manifest)
