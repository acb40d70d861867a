"""The Draws sheet (``cba run --full-draws``): every Monte Carlo draw, one row each, with the
inputs as drawn and each option's figures against the counterfactual (docs/workbook.md).

openpyxl holds every cell of a normal worksheet in memory (hundreds of bytes a cell), too much
for a million draws, and its write-only mode cannot be mixed into a workbook built from a
template. So the sheet is written in two parts: openpyxl writes its head (title, note, column
headings and one row of empty cells carrying each column's number format), and the rows are
then streamed into the sheet's XML as the workbook is packaged (``package.reproducible_xlsx``),
a chunk of draws at a time, in write-only fashion: numbers as ``<v>`` values in the shortest
text that reads back as the same double, text (a drawn discount schedule) as inline strings,
never formulas; an undefined figure is an empty cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import SheetCells, wrapped_note
from cba.io.workbook.package import escape
from cba.results import DrawTable

TITLE = "Draws"

HEADER_ROW = 4
FIRST_ROW = 5
"""The first draw's row."""

MAX_DRAWS = 1_048_576 - FIRST_ROW + 1
"""Most draws a sheet holds (a spreadsheet has 1,048,576 rows)."""


def _style(header: str) -> str | None:
    if header == "Draw":
        return None
    if header.endswith("[GBP PV]"):
        return "cba money"
    if header.endswith("[ratio]"):
        return "cba ratio"
    return "cba number"


def write_draws_head(sheet: Worksheet, cells: SheetCells, table: DrawTable) -> None:
    """The sheet's title, note, headings and a row of formats (the rows are streamed in by
    :func:`draw_rows`)."""
    c = cells
    c.text(1, 1, "Monte Carlo draws", "cba title")
    wrapped_note(
        c,
        2,
        f"{table.draws:,} draws, seed {table.seed}: one row per draw, the uncertain inputs as "
        "drawn (rank correlations imposed) and each option's figures against the "
        "counterfactual at that draw. The Uncertainty sheet summarises these rows. An empty "
        "cell is a figure that is undefined at that draw (a BCR with no costs).",
        min(len(table.headers), 8),
        120,
    )
    for column, header in enumerate(table.headers, start=1):
        cell = c.text(HEADER_ROW, column, header, "cba header")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(column)].width = 8 if column == 1 else 22
        style = _style(header)
        if style is not None:
            sheet.cell(FIRST_ROW, column).style = style
    sheet.row_dimensions[HEADER_ROW].height = 15 * 5
    sheet.freeze_panes = f"B{FIRST_ROW}"


_ROW = re.compile(rb'<row r="' + str(FIRST_ROW).encode() + rb'"[^>]*>(.*?)</row>', re.DOTALL)
_STYLE = re.compile(
    rb'<c r="([A-Z]+)' + str(FIRST_ROW).encode() + rb'"[^>]*?(?: s="(\d+)")?[^>]*/?>'
)
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')


def _number(x: Any) -> str:
    return repr(float(x)) if isinstance(x, float | np.floating) else str(int(x))


def splice(head: bytes, table: DrawTable) -> tuple[bytes, Iterator[bytes], bytes]:
    """The sheet XML openpyxl wrote for the head, cut where the draws go: (the XML before
    them, the rows, the XML after them). The head's row of formats gives each column's style
    and is replaced by the draws."""
    found = _ROW.search(head)
    assert found is not None, "the Draws sheet's row of formats is missing"
    styles = {m.group(1): m.group(2) for m in _STYLE.finditer(found.group(1))}
    columns = len(table.headers)
    last = get_column_letter(columns) + str(FIRST_ROW + table.draws - 1)
    before = _DIMENSION.sub(f'<dimension ref="A1:{last}"/>'.encode(), head[: found.start()])
    after = head[found.end() :]
    letters = [get_column_letter(j + 1) for j in range(columns)]
    attributes = [
        f' s="{styles[letter.encode()].decode()}"' if styles.get(letter.encode()) else ""
        for letter in letters
    ]
    return before, draw_rows(table, letters, attributes), after


def draw_rows(table: DrawTable, letters: list[str], attributes: list[str]) -> Iterator[bytes]:
    """The sheet's ``<row>`` elements, a chunk of draws at a time."""
    row = FIRST_ROW
    for chunk in table.chunks():
        count = len(chunk[0])
        texts: list[list[str]] = []
        for letter, style, values in zip(letters, attributes, chunk, strict=True):
            array = np.asarray(values)
            if array.dtype.kind in "OUS":
                opening = [
                    f'<c r="{letter}{r}"{style} t="inlineStr">' for r in range(row, row + count)
                ]
                texts.append(
                    [
                        f"{o}<is><t>{escape(str(v))}</t></is></c>"
                        for o, v in zip(opening, array.tolist(), strict=True)
                    ]
                )
                continue
            numbers = array.tolist()
            texts.append(
                [
                    ""
                    if isinstance(v, float) and v != v
                    else f'<c r="{letter}{r}"{style}><v>{_number(v)}</v></c>'
                    for r, v in zip(range(row, row + count), numbers, strict=True)
                ]
            )
        parts = []
        for k in range(count):
            parts.append(f'<row r="{row + k}">' + "".join(t[k] for t in texts) + "</row>")
        yield "".join(parts).encode()
        row += count
