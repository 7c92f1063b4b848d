"""Files a command writes besides the run store (``--csv``, ``--xlsx``, validate's ``--out``),
checked before work.

A breakeven search runs for minutes and a deal report reads a whole run: a file that cannot be
written should be refused before, in one line, not after, with a traceback.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd


def check_output_file(path: str | Path | None, option: str, suffix: str | None = None, *,
                      make_folder: bool = False) -> None:
    """Refuse an output file that cannot be written: its folder missing or not writable, the
    path itself a folder, or (with ``suffix``) a name that says another format. ``None``
    (the option not given) passes.

    Args:
        path: the file the user named.
        option: the option that named it, for the message (``--csv``).
        suffix: the extension the file must have (``.xlsx``; any case), or None for any:
            Excel written under ``x.csv`` is opened as text by whoever gets it.
        make_folder: the writer makes a missing folder (a default such as validate's
            ``docs/VALIDATION.md``): then the nearest folder that exists must be writable.

    Raises:
        ValueError: what is wrong, naming the option, the file and what to give instead.
    """
    if path is None:
        return
    file = Path(path)
    folder = file.parent if str(file.parent) else Path(".")
    if file.is_dir():
        example = file / f"report{suffix or '.' + option.lstrip('-')}"
        raise ValueError(f"{option} {file}: is a folder; give a file name, e.g. {example}")
    if suffix is not None and file.suffix.lower() != suffix:
        raise ValueError(f"{option} {file}: the file name must end in {suffix} (the file is "
                         f"written in that format), e.g. {file.with_suffix(suffix).name}")
    if make_folder:
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # the folder the writer will make its folders in
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{option} {file}: {folder} is a file, not a folder; give a file in "
                         "an existing folder")
    if not folder.is_dir():
        raise ValueError(f"{option} {file}: no folder {folder}; create it or give a file in an "
                         "existing folder")
    if not os.access(folder, os.W_OK) or (file.exists() and not os.access(file, os.W_OK)):
        raise ValueError(f"{option} {file}: cannot write there; give a file in a folder you "
                         "can write to")


def write_failed(option: str, path: str | Path, exc: OSError) -> ValueError:
    """The one-line error of a write that failed after the check (a full disk, a race)."""
    return ValueError(f"{option} {path}: cannot be written: {exc.strerror or exc}")


def significant(values: pd.Series, digits: int = 10) -> pd.Series:
    """``values`` rounded to ``digits`` significant digits (NaN and infinities stay): a ratio
    computed as ``0.2600000000000002`` is exported as ``0.26``, and 0.0123456789 keeps every
    digit."""
    out = [float(f"{v:.{digits}g}") if math.isfinite(v) else v for v in values.to_numpy(float)]
    return pd.Series(out, index=values.index, name=values.name)


def for_export(frame: pd.DataFrame, digits: int = 10) -> pd.DataFrame:
    """``frame`` as the exports write it (the convention of the deal report's): floats to
    ``digits`` significant digits (``0.26``, not ``0.2600000000000002``), text, flags and
    whole numbers as they are; its columns should name their units."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = significant(out[col], digits)
    return out
