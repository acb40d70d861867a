"""Writing cells safely and keeping a record of every formula and the value it must give.

- Text from a scenario file is always written as text, never as a formula: a string that
  starts with a formula trigger (``=``, ``+``, ``-``, ``@``, tab, carriage return: the OWASP
  CSV-injection list) is stored as a string with Excel's quote prefix.
- Every formula cell is recorded with the engine's value for it. The packager writes those
  values into the file as cached values, so a reader without a calculation engine (file
  previews, ``pandas.read_excel``) sees the numbers, and the tests compare them with a real
  spreadsheet program's recalculation.
- An undefined figure is the text ``undefined`` (with the reason in a note column), never an
  empty cell, 0 or an error value.
"""

from __future__ import annotations

import math
from copy import copy
from dataclasses import dataclass, field
from typing import Any

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""Leading characters that make a spreadsheet program read text as a formula (OWASP's CSV
injection list, plus a line break: scenario text may hold one, and a program that strips
leading white space would then see what follows)."""

UNDEFINED = "undefined"
"""What an undefined figure looks like in a workbook."""

CellValue = float | int | str | bool | None


@dataclass(frozen=True)
class InputCell:
    """What an input-styled cell stands for in the scenario."""

    path: str
    """The parameter path (``cba params``) the cell holds, or the line's path when the cell
    stands for a product of the line's inputs (a community input's value per year)."""
    detail: str = ""
    """Which part, when the path alone does not say (``in 2026``, ``value per year``)."""

    def __str__(self) -> str:
        return f"{self.path}, {self.detail}" if self.detail else self.path


@dataclass
class FormulaLedger:
    """Every formula written, by sheet title and cell reference, with its expected value."""

    expected: dict[str, dict[str, float | str]] = field(default_factory=dict)
    inputs: dict[str, dict[str, InputCell]] = field(default_factory=dict)
    """Cells written in an input style ("inputs you may change"), by sheet title and cell
    reference, with what each stands for in the scenario."""
    compared_from: dict[str, int] = field(default_factory=dict)
    """Sheets compared by ``cba verify`` only from a row on (the front page below the
    template's branding), by title."""

    def record(self, sheet: str, ref: str, value: float | str) -> None:
        self.expected.setdefault(sheet, {})[ref] = value


def ref(column: int, row: int, absolute_row: bool = False, absolute_column: bool = False) -> str:
    """A1-style reference of 1-based ``column`` and ``row``."""
    col = ("$" if absolute_column else "") + get_column_letter(column)
    return f"{col}{'$' if absolute_row else ''}{row}"


def quote_sheet(title: str) -> str:
    """A sheet title as it appears in a formula (``'Cash flows'!``)."""
    return "'" + title.replace("'", "''") + "'!"


class SheetCells:
    """Writes values, text and formulas into one worksheet with named styles."""

    def __init__(self, sheet: Worksheet, ledger: FormulaLedger) -> None:
        self.sheet = sheet
        self.ledger = ledger
        self._styles: dict[str, Any] = {}
        """Each named style's style array, once looked up (see :meth:`_style`)."""

    def _style(self, cell: Cell, style: str) -> None:
        """``cell.style = style``, as openpyxl does it (the named style's array of format ids,
        copied), with the lookup done once per style: openpyxl searches the workbook's list of
        named styles by name on every assignment, a tenth of the time of writing a sheet."""
        known = self._styles.get(style)
        if known is None:
            cell.style = style
            self._styles[style] = copy(cell._style)  # type: ignore[attr-defined]
        else:
            cell._style = copy(known)  # type: ignore[attr-defined]

    def _cell(self, row: int, column: int) -> Cell:
        cell = self.sheet.cell(row=row, column=column)
        if not isinstance(cell, Cell):  # a merged cell: writing there would be lost
            raise ValueError(f"{self.sheet.title}: cell row {row} column {column} is merged")
        return cell

    def text(self, row: int, column: int, value: str, style: str = "cba label") -> Cell:
        """Write text that must stay text, whatever it starts with."""
        cell = self._cell(row, column)
        cell.value = value
        cell.data_type = "s"
        self._style(cell, style)
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
        return cell

    def value(self, row: int, column: int, value: CellValue, style: str) -> Cell:
        """Write a number (or text, safely). NaN and None become ``undefined``.

        An input style is refused here: an input cell says what it stands for (``input``)."""
        if style.startswith("cba input"):
            raise ValueError(f"{self.sheet.title}: write input cells with SheetCells.input")
        return self._value(row, column, value, style)

    def _value(self, row: int, column: int, value: CellValue, style: str) -> Cell:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.text(row, column, UNDEFINED, style)
        if isinstance(value, str):
            return self.text(row, column, value, style)
        cell = self._cell(row, column)
        cell.value = value
        self._style(cell, style)
        return cell

    def input(
        self, row: int, column: int, value: float, style: str, path: str, detail: str = ""
    ) -> Cell:
        """Write an input a partner may change (``style`` one of the ``cba input`` styles),
        recording the parameter ``path`` it stands for (``cba verify`` names it)."""
        if not style.startswith("cba input"):
            raise ValueError(f"{style!r} is not an input style")
        cell = self._value(row, column, value, style)
        self.ledger.inputs.setdefault(self.sheet.title, {})[cell.coordinate] = InputCell(
            path, detail
        )
        return cell

    def formula(
        self, row: int, column: int, formula: str, expected: float | str | None, style: str
    ) -> Cell:
        """Write a live formula (without the leading ``=``) and record the value it must give.

        ``expected`` None or NaN means the formula must give the text ``undefined``.
        """
        cell = self._cell(row, column)
        cell.value = "=" + formula
        self._style(cell, style)
        if expected is None or (isinstance(expected, float) and math.isnan(expected)):
            expected = UNDEFINED
        self.ledger.record(self.sheet.title, cell.coordinate, expected)
        return cell


def merge_row(sheet: Worksheet, row: int, first_column: int, last_column: int) -> None:
    """Merge ``row``'s cells from ``first_column`` to ``last_column`` (1-based, inclusive).

    What openpyxl's ``merge_cells`` does, at a fraction of its cost (it styles every covered
    cell one by one, about a millisecond a range, and a workbook has dozens): a placeholder in
    each covered cell, carrying the first cell's top and bottom borders (and its right border
    on the last) and its protection. Where something was written in the covered cells,
    ``merge_cells`` does it (it also clears them)."""
    from openpyxl.styles.borders import Border
    from openpyxl.worksheet.merge import MergedCellRange

    if last_column <= first_column:
        return
    if any((row, c) in sheet._cells for c in range(first_column + 1, last_column + 1)):
        sheet.merge_cells(
            start_row=row, start_column=first_column, end_row=row, end_column=last_column
        )
        return
    area = f"{get_column_letter(first_column)}{row}:{get_column_letter(last_column)}{row}"
    merged = MergedCellRange(sheet, area)  # creates the first cell if it is missing
    sheet.merged_cells.add(merged)
    start = sheet._cells[(row, first_column)]
    edge = start.border
    prototype = MergedCell(sheet, row=row, column=first_column + 1)
    prototype.border = Border(top=copy(edge.top), bottom=copy(edge.bottom))
    prototype.protection = copy(start.protection)  # type: ignore[assignment]
    for column in range(first_column + 1, last_column + 1):
        cell = MergedCell(sheet, row=row, column=column)
        cell._style = copy(prototype._style)  # type: ignore[attr-defined]
        sheet._cells[(row, column)] = cell
    last = sheet._cells[(row, last_column)]
    last.border = Border(top=copy(edge.top), bottom=copy(edge.bottom), right=copy(edge.right))


def wrapped_note(
    cells: SheetCells,
    row: int,
    text: str,
    columns: int,
    characters_per_line: int,
    style: str = "cba note",
) -> None:
    """A note merged across ``columns`` columns from column A, wrapped, and its row made tall
    enough for the text (about ``characters_per_line`` characters a line, 14 points a line)."""
    from openpyxl.styles import Alignment

    cell = cells.text(row, 1, text, style)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet = cells.sheet
    merge_row(sheet, row, 1, columns)
    lines = max(1, -(-len(text) // characters_per_line))
    sheet.row_dimensions[row].height = 14 * lines + 2
