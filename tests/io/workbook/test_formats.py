"""Every example workbook, as a partner reads and prints it: no Python reprs in any cell, no
wrapped text taller than its row, no label cut off by its neighbour, and undefined figures
set apart from the numbers (issue 11, "Formats" and "no overlapping text").

The heights are measured here once, independently of the writer: a column width unit holds
about one character of bold text and 1.15 of regular text (LibreOffice's Calibri holds about
1.3), and a line of 11 pt text is 15 points high.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tests.io.workbook.conftest import EXAMPLES

SHEETS = (
    "Cash flows",
    "Agencies",
    "Community inputs",
    "Scale",
    "Sensitivity",
    "Benefit chain",
    "Assumptions",
)
"""The sheets this file checks (the others have their own owners and tests)."""

DEFAULT_WIDTH = 8.43
"""Width of a column with none set [characters]."""

DEFAULT_HEIGHT = 15.0
"""Height of a row with none set [pt]."""

REPR = re.compile(
    r"\{'|'\}|\[\]|\{\}"  # a dict, list or set shown with its brackets
    r"|\b(?:None|nan|NaN|inf|True|False)\b"  # Python's words for nothing, not-a-number, bools
    r"|\b[a-z_]+=\S"  # a pydantic model's repr: confidence_grade=3, category='outsourcing'
)
"""Text a cell shows only when a Python object was written with str() or repr()."""


def _stems() -> list[str]:
    return [p.stem for p in EXAMPLES]


def _sheets(path: Path) -> Iterator[Worksheet]:
    workbook = openpyxl.load_workbook(path)
    for title in SHEETS:
        if title in workbook.sheetnames:
            yield workbook[title]


def _text_cells(sheet: Worksheet) -> Iterator[Cell]:
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell) or cell.data_type == "f":
                continue
            if isinstance(cell.value, str):
                yield cell


def _width(sheet: Worksheet, first: int, last: int) -> float:
    total = 0.0
    for column in range(first, last + 1):
        dimension = sheet.column_dimensions.get(get_column_letter(column))
        total += (
            float(dimension.width) if dimension is not None and dimension.width else DEFAULT_WIDTH
        )
    return total


def _last_column(sheet: Worksheet, cell: Cell) -> int:
    for merged in sheet.merged_cells.ranges:
        if merged.min_row == cell.row and merged.min_col == cell.column:
            return int(merged.max_col)
    return int(cell.column)


def needed_height(text: str, width: float, bold: bool, size: float) -> float:
    """Points of row height ``text`` needs wrapped in ``width`` units of column width."""
    per_line = width * (1.0 if bold else 1.15)
    lines = sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
    return lines * 15.0 * size / 11.0


def _row_height(sheet: Worksheet, row: int) -> float:
    dimension = sheet.row_dimensions.get(row)
    return float(dimension.height) if dimension is not None and dimension.height else DEFAULT_HEIGHT


@pytest.mark.parametrize("stem", _stems())
def test_no_cell_shows_a_python_repr(stem: str, example_workbooks: dict[str, Path]) -> None:
    found = []
    for sheet in _sheets(example_workbooks[stem]):
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, bool):
                    found.append(f"{sheet.title}!{cell.coordinate}: boolean {cell.value}")
        for cell in _text_cells(sheet):
            if REPR.search(str(cell.value)):
                found.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r}")
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize("stem", _stems())
def test_wrapped_text_fits_its_row(stem: str, example_workbooks: dict[str, Path]) -> None:
    """Every wrapped text cell's row is at least as tall as its text needs."""
    short = []
    for sheet in _sheets(example_workbooks[stem]):
        for cell in _text_cells(sheet):
            if not cell.alignment.wrap_text:
                continue
            width = _width(sheet, cell.column, _last_column(sheet, cell))
            size = float(cell.font.sz or 11)
            needed = needed_height(str(cell.value), width, bool(cell.font.b), size)
            height = _row_height(sheet, cell.row)
            if needed > height + 0.01:
                short.append(
                    f"{sheet.title}!{cell.coordinate}: needs {needed:g} pt, row is {height:g} pt: "
                    f"{str(cell.value)[:60]!r}"
                )
    assert not short, "\n".join(short[:20])


@pytest.mark.parametrize("stem", _stems())
def test_no_label_is_cut_off(stem: str, example_workbooks: dict[str, Path]) -> None:
    """Text that does not wrap fits its cell when the cell to its right has content (a
    spreadsheet program would cut it off there)."""
    cut = []
    running_on = {"cba title", "cba subtitle", "cba heading"}
    for sheet in _sheets(example_workbooks[stem]):
        for cell in _text_cells(sheet):
            if cell.alignment.wrap_text or cell.style in running_on:
                continue
            last = _last_column(sheet, cell)
            right = sheet.cell(row=cell.row, column=last + 1).value
            width = _width(sheet, cell.column, last)
            if right is not None and needed_height(str(cell.value), width, False, 11) > 15:
                cut.append(f"{sheet.title}!{cell.coordinate}: {str(cell.value)[:60]!r}")
    assert not cut, "\n".join(cut[:20])


@pytest.mark.parametrize("stem", _stems())
def test_undefined_figures_are_set_apart(stem: str, example_workbooks: dict[str, Path]) -> None:
    """The text ``undefined`` is right-aligned italic grey, never run on from a number."""
    plain = []
    for sheet in _sheets(example_workbooks[stem]):
        for cell in _text_cells(sheet):
            if cell.value != "undefined":
                continue
            if cell.alignment.horizontal != "right" or not cell.font.i:
                plain.append(f"{sheet.title}!{cell.coordinate} ({cell.style})")
    assert not plain, "\n".join(plain[:20])


@pytest.mark.parametrize("stem", _stems())
def test_headers_line_up_with_their_figures(stem: str, example_workbooks: dict[str, Path]) -> None:
    """A header directly above a number is right-aligned, like the number."""
    misaligned = []
    for sheet in _sheets(example_workbooks[stem]):
        for cell in _text_cells(sheet):
            if not str(cell.style).startswith("cba header"):
                continue
            below = sheet.cell(row=cell.row + 1, column=cell.column)
            number = isinstance(below.value, int | float) and not isinstance(below.value, bool)
            if number and cell.alignment.horizontal != "right":
                misaligned.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r}")
    assert not misaligned, "\n".join(misaligned[:20])
