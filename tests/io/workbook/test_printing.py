"""How the workbook prints: every sheet on A4 landscape at a readable scale, long and wide
tables repeating their headings, footers saying what a page is (cba.io.workbook.printing)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from cba.io.workbook import cash_flows
from cba.io.workbook.printing import (
    MIN_SCALE,
    column_cm,
    fitting_scale,
    keep_blocks_together,
    printable_width_cm,
    used_width_cm,
)
from tests import libreoffice as lo

REPR_MARKS = re.compile(r"\{'|': |\bNone\b|\bnan\b|\bTrue\b|\bFalse\b|\[\(|<cba\.")
"""What a Python object's repr leaves in text."""


def test_every_sheet_prints_landscape_at_a_readable_scale(
    example_workbooks: dict[str, Path],
) -> None:
    for stem, book in example_workbooks.items():
        workbook = openpyxl.load_workbook(book)
        for sheet in workbook.worksheets[1:]:  # the front page fits one page per option
            setup = sheet.page_setup
            where = f"{stem}: {sheet.title}"
            assert setup.orientation == "landscape", where
            assert str(setup.paperSize) == sheet.PAPERSIZE_A4, where
            last = None
            if sheet.print_area:
                last = range_boundaries(str(sheet.print_area).split("!")[-1].replace("$", ""))[2]
            fits = fitting_scale(sheet, last)
            if fits >= MIN_SCALE:  # one page across: the program fits the width
                assert sheet.sheet_properties.pageSetUpPr.fitToPage, where
                assert setup.fitToWidth == 1 and setup.fitToHeight == 0, where
                assert int(setup.scale) == int(min(100, fits)), where
            else:  # wider: the floor scale, label columns repeated on every page across
                assert not sheet.sheet_properties.pageSetUpPr.fitToPage, where
                assert int(setup.scale) == MIN_SCALE, where
                assert sheet.print_title_cols, where
            footer = sheet.oddFooter
            assert stem in footer.left.text, where
            assert "&P of &N" in footer.center.text, where
            assert "cba " in footer.right.text and "sha256" in footer.right.text, where


def test_wide_cash_flows_repeat_years_and_labels(example_workbooks: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(example_workbooks["green_corridor_cleanup"])[cash_flows.TITLE]
    assert sheet.print_title_rows == f"${cash_flows.ROW_YEARS}:${cash_flows.ROW_OFFSETS}"
    assert sheet.print_title_cols == "$A:$A"
    assert used_width_cm(sheet) * int(sheet.page_setup.scale) / 100 > printable_width_cm(sheet)
    assert int(sheet.page_setup.scale) == MIN_SCALE  # sixty years run on across pages


def test_no_python_reprs_on_the_front_page_and_summary(
    example_workbooks: dict[str, Path],
) -> None:
    for stem, book in example_workbooks.items():
        workbook = openpyxl.load_workbook(book, data_only=True)
        for sheet in (workbook.worksheets[0], workbook["Summary"]):
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        found = REPR_MARKS.search(cell.value)
                        assert found is None, (stem, sheet.title, cell.coordinate, cell.value)


@pytest.mark.parametrize(("width", "cm"), [(8.43, 1.69), (10, 1.98), (52, 9.76)])
def test_column_widths_convert_as_spreadsheets_print_them(width: float, cm: float) -> None:
    assert column_cm(width) == pytest.approx(cm, abs=0.01)


PAGE_LIMITS = {
    "Summary": 5,  # its chart kept whole on a page of its own
    "Cash flows": 20,
    "Agencies": 2,
    "Community inputs": 8,
    "SROI": 8,  # sixty years across, like Cash flows
    "Scale": 8,
    "Sensitivity": 12,
    "Uncertainty": 8,
    "Benefit chain": 3,
    "Assumptions": 8,
    "Provenance": 3,
}
"""Most printed pages a sheet of an example may take (Cash flows: sixty years across)."""


def test_examples_print_on_a_sensible_number_of_pages(
    example_workbooks: dict[str, Path], tmp_path: Path
) -> None:
    soffice = lo.require_libreoffice()
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    stems = ("green_corridor_cleanup", "volunteer_befriending_scale")
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *(str(example_workbooks[s]) for s in stems),
        ],
        capture_output=True,
        timeout=600,
        check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    footer = re.compile(r"([A-Z][A-Za-z]+(?: [a-z]+)?), page (\d+) of (\d+)")
    for stem in stems:
        pdf = tmp_path / f"{stem}.pdf"
        assert pdf.exists(), stem
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        pages = text.split("\f")[:-1]
        sheets = [m.group(1) if (m := footer.search(page)) else None for page in pages]
        # page 1 is the front page (the template's own footer), every other page says its sheet
        assert sheets[0] is None and sheets[1] == "Summary", (stem, sheets[:3])
        assert all(s is not None for s in sheets[1:]), (stem, sheets)
        counts = {s: sheets.count(s) for s in dict.fromkeys(sheets[1:])}
        for sheet, count in counts.items():
            assert sheet in PAGE_LIMITS, (stem, sheet)
            assert count <= PAGE_LIMITS[sheet], (stem, sheet, count)
        assert len(pages) <= 1 + sum(counts.values())


def _three_tables() -> openpyxl.worksheet.worksheet.Worksheet:
    """Three 20-row tables (rows 1-20, 22-41, 43-62) with an empty row between, 1-inch top and
    bottom margins."""
    sheet = openpyxl.Workbook().active
    assert sheet is not None
    sheet.page_margins.top = sheet.page_margins.bottom = 1.0
    for first in (1, 22, 43):
        for row in range(first, first + 20):
            sheet.cell(row, 1, "x")
    return sheet


def test_a_block_that_would_cross_the_page_starts_a_new_page() -> None:
    """At 100% an A4 landscape page with 1-inch margins holds 15.9 cm x 0.9 = 14.3 cm, 27
    rows of 15 points: each 20-row table would cross the page after the one before it, so
    each starts a page. At 40% the page holds 67 rows: all three fit, no break."""
    sheet = _three_tables()
    assert keep_blocks_together(sheet, 100, None) == 2
    assert [b.id for b in sheet.row_breaks.brk] == [21, 42]
    assert keep_blocks_together(_three_tables(), 40, None) == 0


def test_a_block_taller_than_a_page_is_not_pushed_to_a_new_page() -> None:
    sheet = openpyxl.Workbook().active
    assert sheet is not None
    sheet.page_margins.top = sheet.page_margins.bottom = 1.0
    sheet.cell(1, 1, "heading")
    for row in range(3, 63):  # 60 rows: more than a page at 100%
        sheet.cell(row, 1, "x")
    assert keep_blocks_together(sheet, 100, None) == 0


def test_a_note_past_the_first_page_across_wraps_on_it() -> None:
    """A sheet 20 columns of width 20 wide prints at the floor scale across pages; a note
    merged across all 20 columns is narrowed to the columns of the first page, wrapped, and
    its row made tall enough for the text at that width."""
    from cba.io.workbook.cells import merge_row
    from cba.io.workbook.printing import first_page_columns, keep_notes_on_the_first_page

    sheet = openpyxl.Workbook().active
    assert sheet is not None
    for column in range(1, 21):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = 20
        sheet.cell(3, column, 1.0)
    text = "A note a partner must read whole. " * 12
    sheet.cell(2, 1, text)
    merge_row(sheet, 2, 1, 20)
    last = first_page_columns(sheet, MIN_SCALE)
    assert 1 < last < 20
    assert keep_notes_on_the_first_page(sheet, MIN_SCALE) == 1
    (merged,) = sheet.merged_cells.ranges
    assert (merged.min_col, merged.max_col) == (1, last)
    assert sheet.cell(2, 1).alignment.wrap_text
    assert (sheet.row_dimensions[2].height or 0) > 15
    assert all((2, c) not in sheet._cells for c in range(last + 1, 21))


def test_a_single_scale_curve_repeats_its_headings(example_workbooks: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(example_workbooks["volunteer_befriending_scale"])["Scale"]
    assert sheet.print_title_rows
    row = int(str(sheet.print_title_rows).split(":")[0].strip("$"))
    assert sheet.cell(row, 2).value == "PV benefits [GBP]"
    assert str(sheet.cell(row, 1).style).startswith("cba header")
