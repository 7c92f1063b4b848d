"""How an exported table is written (:mod:`sim.exports`, :mod:`sim.deal_report`): its
columns, their units and number formats, and its CSV and workbook files.

An :class:`Export` is one table (numbers as numbers) with its :class:`Column` declarations
(key, label, kind of unit, meaning) and the facts of its ``about`` sheet. Its file holds one
header row whose labels say their unit (``label (unit)``), money in currency units to the
cent and rates and shares as fractions to 10 significant digits (:func:`export_frame`); the
workbook adds Excel number formats by unit and the ``about`` sheet. Files are written whole or
not at all (:func:`sim.store.atomic_write`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.outfiles import significant

UNITS = {"money": "currency units", "rate": "fraction a year", "ratio": "fraction",
         "flag": "True/False", "count": "count", "years": "years",
         "multiple": "times the base case", "probability": "probability"}
"""The unit of each kind of column, as the exports' headers state it."""
ROW_UNIT = "row"
"""The kind of a column whose unit is the row's (its ``unit`` column)."""
ROW_UNIT_WORDS = "the row's unit"

FORMATS = {"money": "#,##0.00", "ratio": "0.000%", "rate": "0.000%", "count": "#,##0",
           "years": "0.00", "multiple": '0.00"x"', "probability": "0.0000"}
"""Excel number formats by kind: the screen's precision (three decimals of a percentage)."""
SIGNED = {"money": "+#,##0.00;-#,##0.00;0.00", "ratio": "+0.000%;-0.000%;0.000%",
          "rate": "+0.000%;-0.000%;0.000%"}
"""Excel number formats of a difference: signed, as the screen shows one."""
UNIT_KINDS = {"currency": "money", "fraction": "ratio", "count": "count"}
"""Kinds of the run store's units (:mod:`sim.tables`) as the exports name them."""


@dataclass(frozen=True)
class Column:
    """One exported column.

    Attributes:
        key: Column of :attr:`Export.table`.
        label: Header without its unit.
        kind: A kind of :data:`UNITS` (``money``, ``ratio``, ``count``...),
            ``text`` (no unit), or :data:`ROW_UNIT` (the row's ``unit`` column says).
        meaning: What the column holds, for the ``about`` sheet.
        signed: A difference (Excel shows its sign).
    """

    key: str
    label: str
    kind: str
    meaning: str
    signed: bool = False

    @property
    def header(self) -> str:
        """``label (unit)``, as the deal report's headers; a text column's label alone."""
        if self.kind == "text":
            return self.label
        unit = ROW_UNIT_WORDS if self.kind == ROW_UNIT else UNITS.get(self.kind, self.kind)
        return f"{self.label} ({unit})"

    @property
    def unit(self) -> str:
        return "" if self.kind == "text" else (
            "see unit" if self.kind == ROW_UNIT else UNITS.get(self.kind, self.kind))


@dataclass(frozen=True)
class Export:
    """A table as the exports write it.

    Attributes:
        sheet: The workbook's sheet of the table (``summary``, ``comparison``...).
        table: One row per printed row; the columns' keys, numbers as numbers (money in
            currency units, rates as fractions), NaN or None where the screen shows n/a.
        columns: The exported columns, in order.
        facts: ``(name, value)`` lines of the ``about`` sheet after the columns: runs,
            seeds, paths, folders, command, conventions.
        more: Further tables printed with this one (``report``'s tranche table after its
            summary): each a sheet of the workbook after this one's, and a CSV file of its
            own beside this one's (:func:`csv_files`).
    """

    sheet: str
    table: pd.DataFrame
    columns: tuple[Column, ...]
    facts: tuple[tuple[str, str], ...]
    more: tuple[Export, ...] = ()


def _row_kinds(export: Export) -> list[str]:
    """Each row's kind (by its ``unit``), for the columns in the row's unit."""
    if "unit" not in export.table:
        return ["ratio"] * len(export.table)
    kinds = {words: kind for kind, words in UNITS.items()}
    return [kinds.get(u, "ratio") for u in export.table["unit"]]
# ----------------------------------------------------------------------------------------------
# Writing


def export_frame(export: Export) -> pd.DataFrame:
    """The table as the files hold it: one header row (:attr:`Column.header`), money to the
    cent, fractions to 10 significant digits (:func:`sim.outfiles.significant`), counts,
    flags and text as they are."""
    table = export.table[[c.key for c in export.columns]].copy()
    kinds = _row_kinds(export)
    money = pd.Series([k == "money" for k in kinds], index=table.index)
    for c in export.columns:
        if c.kind == "count":
            table[c.key] = _whole(table[c.key])
        elif c.kind == "money":
            table[c.key] = table[c.key].astype(float).round(2)
        elif c.kind in ("ratio", "rate", "years", "multiple", "probability"):
            table[c.key] = significant(table[c.key].astype(float))
        elif c.kind == ROW_UNIT:
            values = table[c.key].astype(float)
            table[c.key] = values.round(2).where(money, significant(values))
    return table.rename(columns={c.key: c.header for c in export.columns})


def _whole(values: pd.Series) -> pd.Series:
    """Counts as whole numbers (``1234``, not ``1234.0``), blank where there is none."""
    numbers = pd.to_numeric(values, errors="coerce")
    if (numbers.dropna() % 1 == 0).all():
        return numbers.astype("Int64")
    return numbers


def about_frame(export: Export) -> pd.DataFrame:
    """The ``about`` sheet, as the deal report's: each column's header (``name``), its key,
    unit and meaning, then the facts (runs, seeds, paths, folders, command, units)."""
    rows = [(c.header, c.key, c.unit, c.meaning) for c in export.columns]
    rows += [(name, "", "", value) for name, value in export.facts]
    for part in export.more:  # each further table's columns, named by its sheet
        rows += [(f"{part.sheet}: {c.header}", c.key, c.unit, c.meaning) for c in part.columns]
        rows += [(f"{part.sheet}: {name}", "", "", value) for name, value in part.facts]
    return pd.DataFrame(rows, columns=["name", "key", "unit", "value"])


def csv_bytes(export: Export) -> bytes:
    """The CSV: one header row, one row per printed row; ``pd.read_csv`` reads it as is."""
    return export_frame(export).to_csv(index=False).encode()


def xlsx_bytes(export: Export) -> bytes:
    """The workbook: the table's sheet (as the CSV, with Excel number formats by unit, the
    header row and text columns frozen), a sheet of each further table
    (:attr:`Export.more`), then the ``about`` sheet."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as xl:
        for part in (export, *export.more):
            export_frame(part).to_excel(xl, sheet_name=part.sheet, index=False)
            _format_sheet(xl.sheets[part.sheet], part)
        about_frame(export).to_excel(xl, sheet_name="about", index=False)
        about = xl.sheets["about"]
        about.column_dimensions["A"].width = 40
        about.column_dimensions["D"].width = 80
    return buffer.getvalue()


def _format_sheet(sheet, export: Export) -> None:  # noqa: ANN001 - an openpyxl worksheet
    """Column widths, Excel number formats by each cell's unit, and the header row and the
    leading text columns frozen."""
    from openpyxl.utils import get_column_letter

    kinds = _row_kinds(export)
    for j, col in enumerate(export.columns, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = max(10, min(len(col.header), 30))
        for i, row_kind in enumerate(kinds, start=2):
            kind = row_kind if col.kind == ROW_UNIT else col.kind
            fmt = (SIGNED if col.signed else FORMATS).get(kind)
            if fmt:
                sheet.cell(row=i, column=j).number_format = fmt
    text = next((j for j, c in enumerate(export.columns) if c.kind != "text"), 0)
    sheet.freeze_panes = f"{get_column_letter(text + 1)}2"


def csv_files(export: Export, file: str | Path) -> list[tuple[Path, Export]]:
    """The CSV files ``--csv FILE`` writes and their tables: ``FILE`` holds the table, and
    each further table (:attr:`Export.more`) a file beside it named after its sheet
    (``summary.csv`` and ``summary-tranches.csv``): a CSV holds one table."""
    file = Path(file)
    return [(file, export)] + [(file.with_name(f"{file.stem}-{part.sheet}{file.suffix}"), part)
                               for part in export.more]


def write_csv(export: Export, file: str | Path) -> list[Path]:
    """Write :func:`csv_bytes` to ``file``, and each further table to its own file
    (:func:`csv_files`), each whole or not at all; returns the files written."""
    from sim.store import atomic_write

    written = []
    for path, part in csv_files(export, file):
        atomic_write(path, csv_bytes(part))
        written.append(path)
    return written


def write_xlsx(export: Export, file: str | Path) -> list[Path]:
    """Write :func:`xlsx_bytes` to ``file``, whole or not at all; returns ``[file]``."""
    from sim.store import atomic_write

    atomic_write(Path(file), xlsx_bytes(export))
    return [Path(file)]
