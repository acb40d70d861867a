"""Reading an area table (``cba batch``): one row per area, from CSV or Parquet.

A table is untrusted input: it is read whole (at most :data:`MAX_TABLE_BYTES`), every cell
kept as text (CSV) or as the value Parquet stores, and nothing is interpreted here beyond
the header. What each column means (an area attribute of the template, or a parameter path)
and whether each cell is valid is decided by ``cba.batch``, which locates every problem by
row and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cba.io.file_kinds import UnreadableFileError, read_regular_file

MAX_TABLE_BYTES = 256 * 1024 * 1024
"""Largest area table read [bytes] (a million areas of a dozen columns is about 100 MB)."""
MAX_AREAS = 1_000_000
"""Most areas (rows) in one table."""
ID_COLUMN = "area_id"
"""The column naming each area (required, unique)."""
NAME_COLUMN = "name"
"""An optional column with each area's name, as outputs show it."""

Cell = str | float | int | bool | None


class AreaTableError(ValueError):
    """A table that cannot be read at all (missing, unreadable, no header, no ``area_id``)."""


@dataclass(frozen=True)
class AreaTable:
    """The cells of an area table, by column, in the file's row order."""

    path: str
    """As the user named it."""
    columns: tuple[str, ...]
    """Header, in the file's order."""
    rows: tuple[tuple[Cell, ...], ...]
    """One tuple per area, aligned with ``columns`` (None for a cell the row lacks)."""
    first_row: int
    """The file's line (CSV) or row number (Parquet) of ``rows[0]``: row n of the table is
    reported as ``first_row + n`` (1-based, the header being row 1 in a CSV file), unless
    ``lines`` says otherwise."""
    lines: tuple[int, ...] | None = None
    """Each row's line in the file, where rows are not consecutive lines (a CSV file with
    blank lines, which are skipped, or a quoted cell running over several lines)."""

    def column(self, name: str) -> list[Cell]:
        """The cells of one column."""
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def row_number(self, index: int) -> int:
        """The row as the file numbers it (CSV: its line; the header is line 1)."""
        if self.lines is not None:
            return self.lines[index]
        return self.first_row + index


def read_area_table(path: str | Path) -> AreaTable:
    """Read a ``.csv`` (UTF-8, comma-separated, header row) or ``.parquet`` area table.

    Raises
    ------
    AreaTableError
        For a file that cannot be read as a table: missing or unreadable, too large, an
        unknown extension, no header, a repeated column, no ``area_id`` column, too many rows,
        or Parquet without pyarrow installed.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise AreaTableError(f"{path}: an area table is a .csv or .parquet file; got '{suffix}'")
    try:
        data = read_regular_file(file, MAX_TABLE_BYTES)
    except UnreadableFileError as exc:
        raise AreaTableError(f"{path}: {exc}") from None
    if suffix == ".parquet":
        return _parquet(str(path), data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AreaTableError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the table as UTF-8 CSV"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise AreaTableError(f"{path}: empty; the first line names the columns") from None
    except csv.Error as exc:
        raise AreaTableError(f"{path}:1: {exc}") from None
    columns = tuple(name.strip() for name in header)
    _check_header(str(path), columns)
    rows: list[tuple[Cell, ...]] = []
    lines: list[int] = []
    try:
        for line, record in _records(reader):
            if not record or all(not cell.strip() for cell in record):
                continue  # a blank line, as spreadsheet programs and pandas skip it
            lines.append(line)
            cells: list[Cell] = [cell.strip() or None for cell in record[: len(columns)]]
            cells += [None] * (len(columns) - len(cells))
            if len(record) > len(columns) and any(c.strip() for c in record[len(columns) :]):
                cells.append("\x00extra")  # more cells than columns: reported by cba.batch
            rows.append(tuple(cells))
            if len(rows) > MAX_AREAS:
                raise AreaTableError(f"{path}: more than {MAX_AREAS:,} areas")
    except csv.Error as exc:
        raise AreaTableError(f"{path}:{reader.line_num}: {exc}") from None
    _check_rows(str(path), len(rows))
    consecutive = lines == list(range(2, 2 + len(lines)))
    return AreaTable(
        str(path), columns, tuple(rows), first_row=2, lines=None if consecutive else tuple(lines)
    )


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted cell may run over several lines)."""
    line = reader.line_num + 1
    for record in reader:
        yield line, record
        line = reader.line_num + 1


def _check_rows(path: str, count: int) -> None:
    if count == 0:
        raise AreaTableError(
            f"{path}: the table has no areas (a header and no rows); nothing was written"
        )


def _check_header(path: str, columns: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(columns, start=1):
        if not name:
            raise AreaTableError(f"{path}:1: column {index} has no name")
        if name in seen:
            raise AreaTableError(f"{path}:1: column '{name}' appears twice")
        seen.add(name)
    if ID_COLUMN not in columns:
        for separator, name in ((";", "semicolons"), ("\t", "tabs")):
            if len(columns) == 1 and separator in columns[0]:
                raise AreaTableError(
                    f"{path}:1: the header is one column separated by {name}; cba reads "
                    "comma-separated CSV (in a spreadsheet program: save as 'CSV UTF-8, "
                    "comma-delimited')"
                )
        raise AreaTableError(
            f"{path}:1: no '{ID_COLUMN}' column; the table needs one naming each area "
            f"(columns: {', '.join(columns)})"
        )


def _parquet(path: str, data: bytes) -> AreaTable:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        raise AreaTableError(
            f"{path}: reading Parquet needs pyarrow (pip install 'cba[parquet]'); or save the "
            "table as CSV"
        ) from None
    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises its own errors for a damaged file
        kind = type(exc).__name__
        raise AreaTableError(f"{path}: not a readable Parquet file ({kind})") from None
    columns = tuple(str(name) for name in table.column_names)
    _check_header(path, columns)
    if table.num_rows > MAX_AREAS:
        raise AreaTableError(f"{path}: more than {MAX_AREAS:,} areas")
    _check_rows(path, table.num_rows)
    values = [table.column(name).to_pylist() for name in columns]
    rows = tuple(
        tuple(_parquet_cell(column[i]) for column in values) for i in range(table.num_rows)
    )
    return AreaTable(path, columns, rows, first_row=1)


def _parquet_cell(value: object) -> Cell:
    if value is None or isinstance(value, str | float | int | bool):
        return value
    return str(value)
