"""Finishing a written sheet so that nothing overlaps and every figure sits under its header.

openpyxl does not measure text, and a spreadsheet program does not grow a row whose height is
set, nor a merged row at all: text that needs more lines than its row holds is drawn over the
rows below. So once a sheet's cells and column widths are written, :func:`finish_sheet`

- gives every header over a column of figures the right-aligned header style, so headers and
  figures line up on the same edge;
- shows an undefined figure (the text ``undefined``) in its own style, italic grey and
  right-aligned, so it never reads as part of the number beside it;
- wraps a label that would be cut off by the cell to its right, and makes every row with
  wrapped text tall enough for it.

Text is measured as the spreadsheet programs size columns: a column width is a number of
characters of the body font, and a line of body text is about 15 points high (11 pt Calibri).
The measure is deliberately generous: Calibri's average character is narrower than the digit
that defines the width unit, which leaves room for words that do not fill a line.
"""

from __future__ import annotations

import bisect
import functools
import math

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import UNDEFINED, FormulaLedger, merge_row
from cba.io.workbook.styles import GREY, add_optional_styles

DEFAULT_COLUMN_WIDTH = 8.43
"""Width of a column with no width set [characters] (the spreadsheet programs' default)."""

DEFAULT_ROW_HEIGHT = 15.0
"""Height of a row with no height set [pt]: one line of 11 pt text."""

BODY_FONT_SIZE = 11.0
"""Font size assumed for a cell whose font gives none [pt]."""

OVERFLOWING_STYLES = frozenset({"cba title", "cba subtitle", "cba heading"})
"""Styles whose text may run on over the empty cells to its right (a sheet's title, a section
heading): never wrapped by :func:`fit_rows`."""

HEADER_LOOKAHEAD = 12
"""Rows below a header searched for the first figure of its column."""

REGULAR_CHARACTERS_PER_WIDTH = 1.15
"""Characters of regular (or italic) body text a unit of column width holds on one line.
A width unit is one digit of the body font; average text is narrower (about 1.3 in
LibreOffice's rendering of Calibri), and the rest is margin for the words that do not fill
a line."""

BOLD_CHARACTERS_PER_WIDTH = 1.0
"""As :data:`REGULAR_CHARACTERS_PER_WIDTH`, for bold text (table headers)."""


def line_height(font_size: float) -> float:
    """Height of one line of text [pt] for a font of ``font_size`` [pt]: 15 pt for 11 pt."""
    return float(math.ceil(font_size * 15.0 / 11.0))


def text_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped in a cell ``width`` characters wide [lines].

    Words wrap as a spreadsheet program wraps them: a line takes whole words while they fit
    in ``floor(width)`` characters, a longer word is broken, and each paragraph (line break)
    starts a new line. Never fewer than ``ceil(len / floor(width))`` lines a paragraph.
    """
    per_line = max(1, int(width))
    return sum(_paragraph_lines(part, per_line) for part in text.split("\n"))


def _paragraph_lines(paragraph: str, per_line: int) -> int:
    """Lines one paragraph takes, ``per_line`` characters a line: whole words while they fit,
    and never fewer than its length needs."""
    lines, used = 1, 0
    for word in paragraph.split(" "):
        length = len(word)
        if used and used + 1 + length <= per_line:
            used += 1 + length
            continue
        broken = max(0, math.ceil(length / per_line) - 1)  # extra lines of a long word
        lines += broken + (1 if used else 0)
        used = length - per_line * broken
    return max(lines, math.ceil(len(paragraph) / per_line))


def required_height(
    text: str, width: float, font_size: float = BODY_FONT_SIZE, bold: bool = False
) -> float:
    """Row height [pt] that shows ``text`` wrapped in a cell ``width`` wide [width units],
    every line whole."""
    per_width = BOLD_CHARACTERS_PER_WIDTH if bold else REGULAR_CHARACTERS_PER_WIDTH
    return text_lines(text, width * per_width) * line_height(font_size)


def column_width(sheet: Worksheet, column: int) -> float:
    """Width of a 1-based column [characters], the default if none is set."""
    dimension = sheet.column_dimensions.get(get_column_letter(column))
    if dimension is None or not dimension.width:
        return DEFAULT_COLUMN_WIDTH
    return float(dimension.width)


def _peek(sheet: Worksheet, row: int, column: int) -> Cell | MergedCell | None:
    """The cell at ``row``, ``column`` if one was written; unlike ``sheet.cell`` this never
    creates one (an empty created cell would be saved into the file)."""
    cell: Cell | MergedCell | None = sheet._cells.get((row, column))
    return cell


def _rows(sheet: Worksheet) -> list[list[Cell]]:
    """The written cells by row, in row and column order, without the covered parts of merged
    ranges (and without creating empty cells)."""
    rows: dict[int, list[Cell]] = {}
    for (row, _), cell in sorted(sheet._cells.items()):
        if isinstance(cell, Cell):
            rows.setdefault(row, []).append(cell)
    return list(rows.values())


def _spans(sheet: Worksheet) -> dict[tuple[int, int], int]:
    """Last column of each one-row merged range, by its (row, first column)."""
    return {
        (r.min_row, r.min_col): r.max_col
        for r in sheet.merged_cells.ranges
        if r.min_row == r.max_row
    }


def _alignment(
    cell: Cell,
    *,
    horizontal: str | None = None,
    vertical: str | None = None,
    wrap_text: bool | None = None,
    indent: int | None = None,
) -> None:
    """Replace some of a cell's alignment settings (those given), keeping the others.

    Reads and writes the cell's alignment id in the workbook's list of alignments directly
    (what ``cell.alignment`` does, without building a proxy object each time), and leaves a
    cell that already has the settings as it is."""
    alignments = cell.parent.parent._alignments  # type: ignore[union-attr]
    style = cell._style  # type: ignore[attr-defined]
    a = alignments[style.alignmentId]
    new = _aligned(
        a.horizontal if horizontal is None else horizontal,
        a.vertical if vertical is None else vertical,
        a.wrap_text if wrap_text is None else wrap_text,
        a.indent if indent is None else indent,
    )
    if new is a:
        return
    style.alignmentId = alignments.add(new)


@functools.lru_cache(maxsize=256)
def _aligned(
    horizontal: str | None, vertical: str | None, wrap_text: bool | None, indent: float
) -> Alignment:
    """One shared Alignment per combination (openpyxl stores each distinct one once; building
    a new object for every cell costs more than the rest of the tidying)."""
    return Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap_text, indent=indent)


def set_apart(cell: Cell) -> Cell:
    """Indent left-aligned text one step, so it does not run on from the figure that ends at
    the right edge of the cell to its left. Returns the cell."""
    _alignment(cell, indent=1)
    return cell


def _is_figure(cell: Cell | MergedCell) -> bool:
    """Whether a cell holds a figure: a number, a formula, the text ``undefined`` or other
    right-aligned text standing for a figure (``none``, ``-``)."""
    value = cell.value
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and cell.alignment.horizontal == "right":
        return True
    return isinstance(value, int | float) or cell.data_type == "f" or value == UNDEFINED


def align_headers(sheet: Worksheet, rows: list[list[Cell]] | None = None) -> None:
    """Right-align each table header whose column holds figures (the first non-empty cell in
    the rows just below it), so the header's edge is the figures' edge."""
    for row in _rows(sheet) if rows is None else rows:
        for cell in row:
            # a header is text; reading a cell's style name costs more than the test
            if not isinstance(cell.value, str) or cell.style != "cba header":
                continue
            for below in range(cell.row + 1, cell.row + 1 + HEADER_LOOKAHEAD):
                under = _peek(sheet, below, cell.column)
                if under is None or under.value is None or under.style == "cba header":
                    continue
                if _is_figure(under):
                    cell.style = "cba header number"
                break


def style_undefined(
    sheet: Worksheet, ledger: FormulaLedger, rows: list[list[Cell]] | None = None
) -> None:
    """Show every undefined figure apart from the numbers: the text ``undefined`` takes the
    "cba undefined" style; a formula that may give it is right-aligned, and is italic grey
    where it gives it now (its number format kept for when an input change makes it a
    number)."""
    expected = ledger.expected.get(sheet.title, {})
    for row in _rows(sheet) if rows is None else rows:
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                if f'"{UNDEFINED}"' in cell.value:
                    _alignment(cell, horizontal="right")
                if expected.get(cell.coordinate) == UNDEFINED:
                    f = cell.font
                    cell.font = Font(name=f.name, size=f.sz, bold=f.b, italic=True, color=GREY)
            elif cell.value == UNDEFINED:
                cell.style = "cba undefined"


def _room(cell: Cell, last: int, widths: list[float], filled: list[int], max_column: int) -> float:
    """Width [characters] left-aligned text in ``cell`` may use: its own columns and the
    empty cells to their right, up to the first cell with content (``filled``: the sorted
    columns of the row's cells that hold a value) or the sheet's last column. ``widths`` is
    every column's width by 1-based index."""
    room = sum(widths[cell.column : last + 1])
    if cell.alignment.horizontal not in (None, "general", "left"):
        return room
    stop = bisect.bisect_right(filled, last)
    right = filled[stop] if stop < len(filled) else max_column + 1
    # text running on past the last column would widen the printed page
    return room + sum(widths[last + 1 : right])


def fit_rows(sheet: Worksheet, rows: list[list[Cell]] | None = None) -> None:
    """Wrap text cut off by the cell to its right, and make every row holding wrapped text
    tall enough for it (:func:`required_height` over its own, or merged, columns). A row made
    taller has its cells top-aligned, unless it is a header row, which keeps its bottom edge."""
    spans = _spans(sheet)
    max_column = sheet.max_column
    widths = [0.0] + [column_width(sheet, c) for c in range(1, max_column + 2)]
    for row in _rows(sheet) if rows is None else rows:
        needed = 0.0
        filled = [cell.column for cell in row if cell.value is not None]
        for cell in row:
            if not isinstance(cell.value, str) or cell.data_type == "f":
                continue
            last = spans.get((cell.row, cell.column), cell.column)
            width = sum(widths[cell.column : last + 1])
            bold = bool(cell.font.b)
            if not cell.alignment.wrap_text:
                if required_height(cell.value, width, bold=bold) <= DEFAULT_ROW_HEIGHT:
                    continue  # fits its own columns: the room to its right cannot matter
                room = _room(cell, last, widths, filled, max_column)
                fits = required_height(cell.value, room, bold=bold)
                if cell.style in OVERFLOWING_STYLES or fits <= DEFAULT_ROW_HEIGHT:
                    continue
                _alignment(cell, wrap_text=True, vertical="top")
            size = float(cell.font.sz or BODY_FONT_SIZE)
            needed = max(needed, required_height(cell.value, width, size, bold))
        number = row[0].row
        dimension = sheet.row_dimensions.get(number)
        current = dimension.height if dimension is not None and dimension.height else None
        if needed > (current or DEFAULT_ROW_HEIGHT):
            sheet.row_dimensions[number].height = needed
            if any(str(cell.style).startswith("cba header") for cell in row):
                continue  # a header row: everything stays on its bottom edge
            for cell in row:
                if cell.value is not None:
                    _alignment(cell, vertical="top")


def prepare_sheet(sheet: Worksheet) -> None:
    """Make sure the sheet's workbook has the optional styles, before writing cells in them."""
    if sheet.parent is not None:
        add_optional_styles(sheet.parent)


def finish_sheet(sheet: Worksheet, ledger: FormulaLedger) -> None:
    """Align headers, style undefined figures and fit rows (see the module's notes). Call once
    a sheet's cells and column widths are written."""
    prepare_sheet(sheet)
    rows = _rows(sheet)  # the same cells throughout: only their styles and rows change
    align_headers(sheet, rows)
    style_undefined(sheet, ledger, rows)
    fit_rows(sheet, rows)


def merge_across(sheet: Worksheet, row: int, last_column: int) -> None:
    """Merge ``row`` from column A to ``last_column``, so a note wraps, and a heading's fill
    runs, across the table below it. Text that fits on one line across those columns is not
    merged (openpyxl's merge costs about a millisecond): the empty cells to its right take its
    style instead, so its fill still runs across and the text runs on over them."""
    if last_column <= 1:
        return
    first = sheet.cell(row, 1)
    text = first.value if isinstance(first.value, str) else ""
    width = sum(column_width(sheet, c) for c in range(1, last_column + 1))
    size = float(first.font.sz or BODY_FONT_SIZE)
    if required_height(text, width, size, bool(first.font.b)) > DEFAULT_ROW_HEIGHT:
        merge_row(sheet, row, 1, last_column)
        return
    style = first.style
    for column in range(2, last_column + 1):
        right = _peek(sheet, row, column)
        if right is None or right.value is None:
            sheet.cell(row, column).style = style


def count_style(value: float | None) -> str:
    """The style of a count [people, hours, outcomes]: a plain integer when whole, else one
    decimal (a count scaled or spread over years may be fractional)."""
    if value is None or math.isnan(value) or value != round(value):
        return "cba count"
    return "cba integer"
