"""The summary workbook of ``cba batch``: the template's Cover with the finding in words, the
Areas sheet (totals and distribution across the areas, charts, the rows not evaluated, one
row per area and option) and a Provenance sheet (the template's and the area table's files
and sha256, the command, the cba version), formatted for A4 landscape and reproducible: the
same results and provenance give the same bytes.

Money: present values [GBP, real at the template's price base year], incremental against the
template's counterfactual in each area.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.worksheet import Worksheet

from cba.batch_results import BatchResults
from cba.io.workbook import areas_sheet, provenance_sheet
from cba.io.workbook.cells import FormulaLedger, SheetCells
from cba.io.workbook.layout import (
    BODY_FONT_SIZE,
    DEFAULT_COLUMN_WIDTH,
    line_height,
    required_height,
)
from cba.io.workbook.package import ledger_by_member, reproducible_xlsx
from cba.io.workbook.printing import lay_out_for_print
from cba.io.workbook.template import DEFAULT_TEMPLATE, fill_cover, load_template


def _fit_cover_title(workbook: Any) -> None:
    """Wrap the Cover's title when it is longer than its cell (a template's title is one
    line; a template scenario's title often runs past the page), keeping the template's other
    alignment settings, and make its row tall enough."""
    from openpyxl.styles import Alignment

    defined = workbook.defined_names.get("cba_cover_title")
    if defined is None:
        return
    for sheet_title, coordinate in defined.destinations:
        sheet = workbook[sheet_title]
        cell = sheet[coordinate.replace("$", "")]
        if not isinstance(cell.value, str):
            continue
        width = float(sheet.column_dimensions[cell.column_letter].width or DEFAULT_COLUMN_WIDTH)
        size = float(cell.font.sz or BODY_FONT_SIZE)
        # a title's characters are wider than the body font's that column widths count
        needed = required_height(cell.value, width * BODY_FONT_SIZE / size, size, True)
        if needed <= (sheet.row_dimensions[cell.row].height or line_height(size)):
            continue
        a = cell.alignment
        cell.alignment = Alignment(
            horizontal=a.horizontal, vertical="top", wrap_text=True, indent=a.indent
        )
        sheet.row_dimensions[cell.row].height = needed


def _drop_input_legend(cover: Worksheet) -> None:
    """Clear the template's legend of input cells ('Input' in the input style, its note to
    the right): this workbook has no inputs (every figure is a result or a formula over
    them), so the legend would point at nothing."""
    for row in cover.iter_rows(max_row=20):
        for cell in row:
            if cell.value == "Input" and cell.style == "cba input number":
                cell.value = None
                cell.style = "Normal"
                note = cover.cell(cell.row, cell.column + 1)
                if isinstance(note, Cell) and isinstance(note.value, str) and "input" in note.value:
                    note.value = None
                    note.style = "Normal"
                return


def _write_finding(cover: Worksheet, cells: SheetCells, results: BatchResults) -> None:
    """The finding and what the workbook holds, below the template's cover, in the column of
    its title (the board reads the answer on the first page)."""
    from openpyxl.styles import Alignment

    width = cover.column_dimensions["B"].width or 80.0
    row = cover.max_row + 3
    for text, style in (
        (areas_sheet.finding(results), "cba text"),
        (
            "The Areas sheet has each option's totals and spread across the areas, a chart of "
            "every area's NPSV in rank order, the areas per band of BCR, any rows of the area "
            "table that could not be evaluated, and one row per area and option; Provenance has "
            "the files and versions behind every figure (docs/batch.md).",
            "cba note",
        ),
    ):
        cell = cells.text(row, 2, text, style)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        lines = max(1, -(-len(text) // max(20, int(width * 1.1))))
        cover.row_dimensions[row].height = 14 * lines + 4
        row += 1


def build_areas_workbook(
    results: BatchResults,
    provenance: dict[str, Any],
    title: str,
) -> tuple[bytes, FormulaLedger]:
    """The workbook's bytes (reproducible, formulas with cached values) and its formula
    ledger, for a batch run's ``results``; ``provenance`` is written on the Provenance sheet
    and as document properties; ``title`` is the template's title."""
    workbook = load_template(DEFAULT_TEMPLATE)
    areas = results.evaluated
    cover = fill_cover(
        workbook,
        title,
        f"Appraised in {areas:,} area{'s' if areas != 1 else ''}, "
        f"{results.price_base_year} prices ({results.template_id})",
    )
    ledger = FormulaLedger()
    if cover is not None:
        _fit_cover_title(workbook)
        _drop_input_legend(workbook[cover])
        _write_finding(workbook[cover], SheetCells(workbook[cover], ledger), results)
    sheet = workbook.create_sheet(areas_sheet.TITLE)
    header = areas_sheet.write_areas(sheet, SheetCells(sheet, ledger), results)
    record = workbook.create_sheet(provenance_sheet.TITLE)
    provenance_cells = SheetCells(record, ledger)
    provenance_sheet.write_provenance(record, provenance_cells, workbook, provenance)
    provenance_cells.text(2, 1, "Rerun the command below to reproduce every figure.", "cba note")
    record.column_dimensions["A"].width = 44
    sha = str(provenance.get("scenario_sha256", ""))[:12]
    version = str(provenance.get("cba_version", ""))
    footer_left = f"{results.template_id} ({results.price_base_year} prices)"
    footer_right = f"cba {version}" + (f", template sha256 {sha}" if sha else "")
    lay_out_for_print(
        sheet,
        title_rows=(header, header),
        footer_left=footer_left,
        footer_right=footer_right,
    )
    # the sheet's own breaks (before its sections) and those keeping blocks whole, once each
    breaks = sorted({b.id for b in sheet.row_breaks.brk})
    sheet.row_breaks = RowBreak()
    for row in breaks:
        sheet.row_breaks.append(Break(id=row))
    lay_out_for_print(record, footer_left=footer_left, footer_right=footer_right)
    front = cover if cover is not None else areas_sheet.TITLE
    workbook.active = workbook.sheetnames.index(front)
    for each in workbook.worksheets:
        each.sheet_view.tabSelected = each.title == front
    workbook.properties.creator = "cba"
    workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    members = ledger_by_member(ledger, workbook.sheetnames)
    return reproducible_xlsx(buffer.getvalue(), members), ledger
