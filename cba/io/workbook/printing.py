"""How each sheet prints: A4 landscape at a scale that keeps text readable, with header rows and
label columns repeated on every page of a long or wide table, and footers that say what and
where a page is (docs/workbook.md, Printing).

Spreadsheet programs size a page from column widths: a column of width w (characters of the
default font) is about 7w + 5 pixels at 96 pixels an inch. A sheet prints at the scale that
fits its width on one page, but never below ``MIN_SCALE``: a wider sheet (sixty years of cash
flows) runs on to further pages across, each repeating its label columns and header rows, so
no figure is ever printed smaller than ``MIN_SCALE`` % of its size on screen.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

MIN_SCALE = 55
"""Smallest print scale [%]: below it a 10-point font prints under 5.5 points."""

FONT_MARGIN = 1.15
"""Widths are planned 15% wider than Calibri's: a spreadsheet program without Calibri (or a
metric twin such as Carlito) draws columns and text in a wider substitute font (DejaVu Sans
is about 15% wider), and a page planned to the centimetre would then spill onto a second
page across."""

A4_LANDSCAPE_WIDTH_CM = 29.7
DEFAULT_WIDTH = 8.43
"""Width of a column the sheet does not size [characters]."""


def column_cm(width: float) -> float:
    """Printed width of a column of ``width`` characters at 100% [cm], in Calibri."""
    return (7 * width + 5) / 96 * 2.54


def used_width_cm(sheet: Worksheet) -> float:
    """Width of the sheet's used columns, and of its charts where they reach further [cm]."""
    columns = max(1, sheet.max_column)
    widths = [
        float(sheet.column_dimensions[get_column_letter(j)].width or DEFAULT_WIDTH)
        for j in range(1, columns + 1)
    ]
    total = sum(column_cm(w) for w in widths)
    for chart in getattr(sheet, "_charts", []):
        anchor = getattr(chart.anchor, "_from", None)
        start = 0.0 if anchor is None else sum(column_cm(w) for w in widths[: anchor.col])
        total = max(total, start + float(chart.width))
    return total


def printable_width_cm(sheet: Worksheet) -> float:
    """The page's width inside its margins, A4 landscape [cm]."""
    margins = sheet.page_margins
    return A4_LANDSCAPE_WIDTH_CM - (float(margins.left) + float(margins.right)) * 2.54


def lay_out_for_print(
    sheet: Worksheet,
    *,
    title_rows: tuple[int, int] | None = None,
    title_columns: tuple[int, int] | None = None,
    footer_left: str = "",
    footer_right: str = "",
) -> int:
    """A4 landscape at the scale that fits the sheet's width on one page, at least
    ``MIN_SCALE``; ``title_rows`` (first, last) and ``title_columns`` repeat on every page.
    Returns the scale [%]."""
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    fits = 100.0 * printable_width_cm(sheet) / max(FONT_MARGIN * used_width_cm(sheet), 1.0)
    scale = int(max(MIN_SCALE, min(100.0, fits)))
    setup.scale = scale
    setup.fitToWidth = None
    setup.fitToHeight = None
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)
    sheet.print_options.gridLines = False
    if title_rows is not None:
        sheet.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    if title_columns is not None:
        first, last = (get_column_letter(c) for c in title_columns)
        sheet.print_title_cols = f"{first}:{last}"
    footer = sheet.oddFooter
    if footer is not None:
        footer.left.text = footer_left.replace("&", "&&")
        footer.center.text = "&A, page &P of &N"
        footer.right.text = footer_right.replace("&", "&&")
    return scale
