"""The run manifest: what a stored run is, defined once and validated on every read.

``manifest.json`` beside a run's Parquet tables records how the run was made (config,
seed, paths, backend), when, with which code (package version, git commit and whether
the work tree had uncommitted changes, versions of the libraries that decide the
numbers), which config keys were changed from the named config file (``overrides``) and
a SHA-256 of each table's file as written (``table_sha256``), by which the store knows a
table changed or replaced after the run.
:class:`Manifest` is the schema; the store refuses a manifest that does not fit it and
names the folder, so one corrupt folder never hides the other runs.
"""

from __future__ import annotations

import platform
import re
import subprocess
import warnings
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
)

RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
TABLE_PATTERN = r"^[A-Za-z0-9_]+$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
MAX_RUN_ID = 200
"""Longest run id (characters); a folder name must stay under the usual 255-byte limit."""
PINNED_PACKAGES = ("numpy", "scipy", "pandas", "pyarrow", "simpy", "pydantic")
"""Libraries whose version can change a run's numbers (scipy draws recoveries)."""
GIT_TIMEOUT_S = 5.0


class CodeVersion(BaseModel):
    """The code that made a run: package version and, from a git checkout, the commit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: StrictStr = Field(
        description="creditsim package version ('unknown' if not installed).")
    commit: StrictStr | None = Field(
        None, description="git commit hash of the source tree, when run from a git checkout.")
    dirty: StrictBool | None = Field(
        None, description="True when tracked files differed from the commit; None without git.")


class Manifest(BaseModel):
    """Schema of ``manifest.json``: the single definition of a stored run's metadata.

    Keys a run writes are all declared here (a test checks that nothing else is
    written); unknown keys from a newer version are kept when read, never required.
    Fields added after the first stored runs have defaults, so older runs still load.
    """

    model_config = ConfigDict(extra="allow")

    run_id: StrictStr = Field(max_length=MAX_RUN_ID, pattern=RUN_ID_PATTERN,
                              description="Folder name of the run under the store.")
    name: StrictStr = Field(description="The config's name.")
    description: StrictStr = Field("", description="The config's description.")
    seed: StrictInt = Field(ge=0, description="Root seed.")
    paths: StrictInt = Field(ge=1, description="Monte Carlo paths simulated.")
    workers: StrictInt = Field(1, ge=1, description="Local worker processes used.")
    backend: Literal["in-process", "local-processes", "dask"] = Field(
        "in-process", description="Where the paths ran.")
    created: StrictStr = Field(description="UTC time the run finished, ISO 8601.")
    version: StrictStr = Field("unknown", description="creditsim package version.")
    code: CodeVersion | None = Field(None, description="Package version, git commit, dirty flag.")
    python: StrictStr = Field("", description="Python version.")
    packages: dict[str, StrictStr] = Field(
        default_factory=dict, description=f"Versions of {', '.join(PINNED_PACKAGES)}.")
    borrower_months: StrictInt = Field(0, ge=0, description="Active borrower-months, all paths.")
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")
    config: dict[str, Any] = Field(description="The full validated config (JSON form).")
    config_name: StrictStr | None = Field(
        None, description="Name (file stem) of the config file the run came from, if any.")
    config_file: StrictStr | None = Field(
        None, description="Path of the config file the run came from, as given.")
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Config keys that differ from the config file, by dotted key path "
                    "(list items by index); 'paths' and 'seed' are recorded above instead.")
    rerun_of: StrictStr | None = Field(
        None, description="Run id this run was rerun from (creditsim run --from-manifest).")
    tables: list[StrictStr] = Field(description="Parquet tables in the folder (file stems).")
    table_sha256: dict[str, Annotated[StrictStr, Field(pattern=SHA256_PATTERN)]] | None = Field(
        None, description="SHA-256 of each table's file as written (64 lowercase hex digits), "
                          "by table: a file changed or replaced afterwards is refused when "
                          "read. Absent in runs stored before it was recorded.")

    @field_validator("created")
    @classmethod
    def _iso_time(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO 8601 date and time") from None
        return value

    @field_validator("tables")
    @classmethod
    def _table_names(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not re.match(TABLE_PATTERN, t)]
        if bad:
            raise ValueError(f"table names must be letters, digits and '_', got {bad[0][:40]!r}")
        return value

    @field_validator("table_sha256")
    @classmethod
    def _a_digest_per_table(cls, value: dict[str, str] | None,
                            info: ValidationInfo) -> dict[str, str] | None:
        tables = info.data.get("tables")
        if value is None or tables is None:  # no digests, or tables refused already
            return value
        lacking = [t for t in tables if t not in value]
        if lacking:
            raise ValueError(f"no digest of table {lacking[0]!r}")
        extra = [t for t in value if t not in tables]
        if extra:
            raise ValueError(f"names {extra[0][:40]!r}, which is not one of the tables")
        return value


def describe_error(exc: Exception, limit: int = 300) -> str:
    """A one-line account of why a manifest was refused, at most ``limit`` characters."""
    from sim.configwords import plain_message

    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for e in exc.errors():  # type: ignore[attr-defined]
            key = ".".join(str(p) for p in e["loc"]) or "(top level)"
            shown = repr(e.get("input"))
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            msg = plain_message(e["msg"])
            parts.append(f"{key} = {shown}: {msg}" if e["type"] != "missing"
                         else f"{key}: missing")
        text = "; ".join(parts)
    else:
        text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def config_overrides(base: Any, final: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted key paths whose value in ``final`` differs from ``base``, with ``final``'s value.

    Both are JSON-form configs (``RunConfig.model_dump(mode="json")``). Mappings are
    compared key by key; a list of the same length item by item (``deal.notes.1.size``);
    anything else, or a list whose length changed, is one value, and so is a section the
    base lacks or leaves null (a deal added to a config without one is ``{"deal": {...}}``).
    A key that ``final`` lacks is recorded as ``None``. Example: a baseline with 200
    initial borrowers and a 36-month horizon gives
    ``{"book.initial_borrowers": 200, "book.horizon_months": 36}``.
    """
    if isinstance(base, dict) and isinstance(final, dict):
        out: dict[str, Any] = {}
        for key in list(base) + [k for k in final if k not in base]:
            out.update(config_overrides(base.get(key), final.get(key), f"{prefix}{key}."))
        return out
    if isinstance(base, list) and isinstance(final, list) and len(base) == len(final):
        out = {}
        for i, (b, f) in enumerate(zip(base, final, strict=True)):
            out.update(config_overrides(b, f, f"{prefix}{i}."))
        return out
    return {} if base == final else {prefix.rstrip("."): final}


def package_version() -> str:
    """The installed creditsim version, or ``'unknown'``."""
    try:
        return version("creditsim")
    except PackageNotFoundError:
        return "unknown"


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version(source: Path | None = None) -> CodeVersion:
    """Package version, and the git commit and dirty flag of the source tree if it is a checkout.

    ``source`` is the folder of the ``sim`` package (default: this module's). Commit and
    dirty are None when git is missing or the package is not inside a git work tree
    (an installed wheel). Dirty means tracked files differ from the commit; untracked
    files are ignored.
    """
    folder = Path(source or Path(__file__).parent).resolve()
    commit = _git(folder, "rev-parse", "--verify", "HEAD")
    if not commit:
        return CodeVersion(version=package_version())
    status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return CodeVersion(version=package_version(), commit=commit,
                       dirty=None if status is None else bool(status))


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`PINNED_PACKAGES` (``'missing'`` for an absent one)."""
    out = {}
    for name in PINNED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


def environment() -> dict[str, Any]:
    """The manifest's code fields for this process: version, code, python, packages."""
    code = code_version()
    return {"version": code.version, "code": code, "python": platform.python_version(),
            "packages": package_versions()}


def differences(manifest: Manifest) -> list[str]:
    """What differs between the code that made ``manifest``'s run and this process's code.

    Returns human-readable lines (empty when commit, dirty flag and package versions all
    match); a dirty work tree on either side is always reported, since its code is unknown.
    """
    now = environment()
    lines = []
    then_code = manifest.code or CodeVersion(version=manifest.version)
    if then_code.version != now["version"]:
        lines.append(f"creditsim {then_code.version} then, {now['version']} now")
    if then_code.commit != now["code"].commit:
        lines.append(f"commit {then_code.commit or 'unknown'} then, "
                     f"{now['code'].commit or 'unknown'} now")
    if then_code.dirty or now["code"].dirty:
        lines.append("uncommitted changes in the source tree "
                     f"({'then' if then_code.dirty else ''}"
                     f"{' and ' if then_code.dirty and now['code'].dirty else ''}"
                     f"{'now' if now['code'].dirty else ''})")
    for name, was in manifest.packages.items():
        if now["packages"].get(name) != was:
            lines.append(f"{name} {was} then, {now['packages'].get(name, 'missing')} now")
    return lines


def provenance(config: Any, final: dict, base: str | Path | None = None) -> dict[str, Any]:
    """``config_name``, ``config_file`` and ``overrides`` of a run.

    Args:
        config: what the run was given (a YAML path, a mapping or a RunConfig).
        final: the run's validated config in JSON form.
        base: the config file ``config`` was derived from, when ``config`` is not a path
            (the dashboard's launcher, ``--deal``); ignored when ``config`` is a path.

    ``overrides`` is :func:`config_overrides` of the file's config and ``final``, without
    ``paths`` and ``seed`` (the manifest records the run's own); all three are empty or
    None when the run did not come from a file.
    """
    from sim.config import ConfigWarning, load_config

    source = config if isinstance(config, str | Path) else base
    if source is None:
        return {"config_name": None, "config_file": None, "overrides": {}}
    with warnings.catch_warnings():  # said when the run's config was read from the file
        warnings.simplefilter("ignore", ConfigWarning)
        named = load_config(Path(source)).model_dump(mode="json")
    overrides = {k: v for k, v in config_overrides(named, final).items()
                 if k not in ("paths", "seed")}
    return {"config_name": Path(source).stem, "config_file": str(source), "overrides": overrides}
