"""How each sheet prints: A4 landscape at a scale that keeps text readable, with header rows and
label columns repeated on every page of a long or wide table, and footers that say what and
where a page is (docs/workbook.md, Printing).

Spreadsheet programs size a page from column widths: a column of width w (characters of the
default font) is about 7w + 5 pixels at 96 pixels an inch. A sheet whose width fits one page at
``MIN_SCALE`` % or more is set to fit its width on one page (any number of pages down): the
program computes the scale with the fonts it really has, so a column never spills onto a page
of its own. A wider sheet (sixty years of cash flows) prints at ``MIN_SCALE`` % and runs on to
further pages across, each repeating its label columns and header rows, so no figure is ever
printed smaller than ``MIN_SCALE`` % of its size on screen.
"""

from __future__ import annotations

from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.layout import BODY_FONT_SIZE, column_width, required_height

MIN_SCALE = 55
"""Smallest print scale [%]: below it a 10-point font prints under 5.5 points."""

FONT_MARGIN = 1.3
"""Widths are planned 30% wider than Calibri's: a spreadsheet program without Calibri (or a
metric twin such as Carlito) draws columns and text in a wider substitute font. Measured with
LibreOffice 7 and DejaVu Sans: the Benefit chain, 27.1 cm of columns in Calibri, spilt a column
onto a second page across at 83% and fitted at 70%, so the substitute needs between 1.15 and
1.37 times the width."""

A4_LANDSCAPE_WIDTH_CM = 29.7
A4_LANDSCAPE_HEIGHT_CM = 21.0
POINTS_PER_CM = 72 / 2.54
DEFAULT_ROW_POINTS = 15.0
"""Height of a row the sheet does not size [points] (Calibri 11)."""
PAGE_FILL = 0.9
"""Share of a page's height planned to be used: the program's own row heights and scale may
differ a little from the plan, and a block must not then spill a row onto the next page."""
DEFAULT_WIDTH = 8.43
"""Width of a column the sheet does not size [characters]."""


def column_cm(width: float) -> float:
    """Printed width of a column of ``width`` characters at 100% [cm], in Calibri."""
    return (7 * width + 5) / 96 * 2.54


def used_width_cm(sheet: Worksheet, last_column: int | None = None) -> float:
    """Width of the sheet's used columns (up to ``last_column`` when given), and of its charts
    where they reach further [cm]."""
    columns = max(1, last_column or sheet.max_column)
    widths = [
        float(sheet.column_dimensions[get_column_letter(j)].width or DEFAULT_WIDTH)
        for j in range(1, columns + 1)
    ]
    total = sum(column_cm(w) for w in widths)
    for chart in getattr(sheet, "_charts", []):
        anchor = chart_anchor(chart)
        start = 0.0 if anchor is None else sum(column_cm(w) for w in widths[: anchor[1]])
        total = max(total, start + float(chart.width))
    return total


PIXELS_PER_CM = 96 / 2.54
"""Screen pixels per centimetre: openpyxl sizes an image in pixels at 96 per inch."""


def chart_anchor(chart: Any) -> tuple[int, int] | None:
    """(row, column), both 0-based, of a chart's (or an image's) top-left cell: its anchor is a
    cell reference (``"A30"``, as ``add_chart`` and ``add_image`` leave it until the file is
    written) or an anchor object."""
    anchor = chart.anchor
    if isinstance(anchor, str):
        from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

        letters, row = coordinate_from_string(anchor)
        return row - 1, column_index_from_string(letters) - 1
    start = getattr(anchor, "_from", None)
    return None if start is None else (int(start.row), int(start.col))


def fitting_scale(sheet: Worksheet, last_column: int | None = None) -> float:
    """The scale [%] at which the sheet's width (to ``last_column``) fits one page across,
    planned with ``FONT_MARGIN``; may be below ``MIN_SCALE`` or above 100."""
    return (
        100.0
        * printable_width_cm(sheet)
        / max(FONT_MARGIN * used_width_cm(sheet, last_column), 1.0)
    )


def printable_width_cm(sheet: Worksheet) -> float:
    """The page's width inside its margins, A4 landscape [cm]."""
    margins = sheet.page_margins
    return A4_LANDSCAPE_WIDTH_CM - (float(margins.left) + float(margins.right)) * 2.54


def printable_height_cm(sheet: Worksheet) -> float:
    """The page's height inside its margins, A4 landscape [cm]."""
    margins = sheet.page_margins
    return A4_LANDSCAPE_HEIGHT_CM - (float(margins.top) + float(margins.bottom)) * 2.54


def _row_cm(sheet: Worksheet, row: int) -> float:
    dimension = sheet.row_dimensions.get(row) if row in sheet.row_dimensions else None
    points = dimension.height if dimension is not None and dimension.height else None
    return float(points or DEFAULT_ROW_POINTS) / POINTS_PER_CM


def _occupied_rows(sheet: Worksheet) -> set[int]:
    """Rows holding a value, and the rows a chart or an image covers (from its anchor down by
    its height)."""
    rows = {r for (r, _), cell in sheet._cells.items() if cell.value is not None}
    drawings = [(chart, float(chart.height)) for chart in getattr(sheet, "_charts", [])]
    drawings += [
        (image, float(image.height) / PIXELS_PER_CM) for image in getattr(sheet, "_images", [])
    ]
    for drawing, height in drawings:
        anchor = chart_anchor(drawing)
        if anchor is None:
            continue
        row, covered = anchor[0] + 1, 0.0
        while covered < height:
            rows.add(row)
            covered += _row_cm(sheet, row)
            row += 1
    return rows


def keep_blocks_together(sheet: Worksheet, scale: int, title_rows: tuple[int, int] | None) -> int:
    """Page breaks so that a block (a run of rows with content between empty rows: a table, a
    paragraph, a chart) that fits on a page is not split across two: a break goes before a
    block that would cross the bottom of the page. Heights are planned at ``scale`` % with
    ``PAGE_FILL`` of the page used; repeated ``title_rows`` take their room on every page.
    Returns the number of breaks set."""
    occupied = _occupied_rows(sheet)
    if not occupied:
        return 0
    page = printable_height_cm(sheet) * 100.0 / scale * PAGE_FILL
    if title_rows is not None:
        page -= sum(_row_cm(sheet, r) for r in range(title_rows[0], title_rows[1] + 1))
    blocks: list[tuple[int, int]] = []
    for row in sorted(occupied):
        if blocks and row == blocks[-1][1] + 1:
            blocks[-1] = (blocks[-1][0], row)
        else:
            blocks.append((row, row))
    used, previous, breaks = 0.0, 0, 0
    for first, last in blocks:
        gap = sum(_row_cm(sheet, r) for r in range(previous + 1, first))
        height = sum(_row_cm(sheet, r) for r in range(first, last + 1))
        if used > 0 and used + gap + height > page and height <= page:
            sheet.row_breaks.append(Break(id=first - 1))
            breaks += 1
            used = height
        else:
            used += gap
            for r in range(first, last + 1):  # a block taller than a page breaks where it must
                row_cm = _row_cm(sheet, r)
                used = row_cm if used + row_cm > page else used + row_cm
        previous = last
    return breaks


def lay_out_for_print(
    sheet: Worksheet,
    *,
    title_rows: tuple[int, int] | None = None,
    title_columns: tuple[int, int] | None = None,
    last_column: int | None = None,
    footer_left: str = "",
    footer_right: str = "",
) -> int:
    """A4 landscape: fitted to one page across when that is at least ``MIN_SCALE`` %, else at
    ``MIN_SCALE`` % with ``title_columns`` (default: column A) repeated on every page across;
    ``title_rows`` (first, last) repeat on every page down. With ``last_column``, the columns
    after it are left out of the printed page (a chart's working columns). Returns the scale
    [%] planned (a program fitting the width may choose a little less with its own fonts).
    A sheet one page wide gets page breaks that keep its tables, paragraphs and charts whole
    (:func:`keep_blocks_together`)."""
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    fits = fitting_scale(sheet, last_column)
    across = fits >= MIN_SCALE  # one page across
    scale = int(min(100.0, fits)) if across else MIN_SCALE
    setup.scale = scale
    setup.fitToWidth = 1 if across else None
    setup.fitToHeight = 0 if across else None  # 0: as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=across)
    sheet.print_options.gridLines = False
    if last_column is not None:
        sheet.print_area = f"A1:{get_column_letter(last_column)}{max(1, sheet.max_row)}"
    if title_rows is not None:
        sheet.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    if not across and title_columns is None:
        title_columns = (1, 1)
    if title_columns is not None:
        first, last = (get_column_letter(c) for c in title_columns)
        sheet.print_title_cols = f"{first}:{last}"
    if across:  # a sheet many pages wide breaks where it must (each break costs a page row)
        keep_blocks_together(sheet, scale, title_rows)
    else:
        keep_notes_on_the_first_page(sheet, scale)
    footer = sheet.oddFooter
    if footer is not None:
        footer.left.text = footer_left.replace("&", "&&")
        footer.center.text = "&A, page &P of &N"
        footer.right.text = footer_right.replace("&", "&&")
    return scale


def first_page_columns(sheet: Worksheet, scale: int) -> int:
    """How many columns from A print on the first page across at ``scale`` [%] (planned with
    ``FONT_MARGIN``; at least 1)."""
    room = printable_width_cm(sheet) * 100.0 / scale / FONT_MARGIN
    total, last = 0.0, 0
    for column in range(1, max(1, sheet.max_column) + 1):
        total += column_cm(column_width(sheet, column))
        if total > room:
            break
        last = column
    return max(1, last)


def keep_notes_on_the_first_page(sheet: Worksheet, scale: int) -> int:
    """On a sheet that runs across pages, narrow each one-row merged range from column A
    (a note, a heading) that reaches past the first page to end on it, wrapping its text there
    and making its row tall enough: a page boundary would otherwise cut the text, as the
    continuation page repeats only the label column. Returns the number narrowed."""
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.merge import MergedCellRange

    last = first_page_columns(sheet, scale)
    narrowed = 0
    for merged in list(sheet.merged_cells.ranges):
        if merged.min_row != merged.max_row or merged.min_col != 1 or merged.max_col <= last:
            continue
        row = merged.min_row
        sheet.merged_cells.remove(merged)
        for column in range(last + 1, merged.max_col + 1):
            sheet._cells.pop((row, column), None)  # the placeholders past the new end
        if last > 1:
            area = f"A{row}:{get_column_letter(last)}{row}"
            sheet.merged_cells.add(MergedCellRange(sheet, area))
        first = sheet.cell(row, 1)
        if isinstance(first.value, str) and first.value:
            a = first.alignment
            first.alignment = Alignment(
                horizontal=a.horizontal, vertical="top", wrap_text=True, indent=a.indent
            )
            width = sum(column_width(sheet, c) for c in range(1, last + 1))
            size = float(first.font.sz or BODY_FONT_SIZE)
            needed = required_height(first.value, width / FONT_MARGIN, size, bool(first.font.b))
            current = sheet.row_dimensions[row].height or DEFAULT_ROW_POINTS
            if needed > current:
                sheet.row_dimensions[row].height = needed
        narrowed += 1
    return narrowed
