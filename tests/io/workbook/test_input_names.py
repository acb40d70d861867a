"""Workbook names for input cells (cba.io.workbook.input_names): every input cell is named by
its parameter path, each band of a discount schedule is named, and a spreadsheet program
resolves the names in a formula."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from cba.io.workbook.cash_flows import ROW_OFFSETS
from cba.io.workbook.input_names import excel_name
from tests import libreoffice as lo


def _destinations(book: openpyxl.Workbook, name: str) -> tuple[str, list[str]]:
    """The sheet and cell references a workbook name points at."""
    ((sheet, area),) = list(book.defined_names[name].destinations)
    min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    cells = [
        book[sheet].cell(row, column).coordinate
        for row in range(min_row, max_row + 1)
        for column in range(min_col, max_col + 1)
    ]
    return sheet, cells


def test_every_input_cell_is_named_by_its_parameter_path(
    example_workbooks: dict[str, Path],
) -> None:
    for stem, path in example_workbooks.items():
        book = openpyxl.load_workbook(path)
        inputs = {
            (sheet.title, cell.coordinate)
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if str(cell.style).startswith("cba input") and not isinstance(cell.value, str)
        }  # the template's legend cell ('Input') shows the style and stands for nothing
        assert inputs, stem
        covered: set[tuple[str, str]] = set()
        for name in book.defined_names:
            if not name.startswith(("options_", "discounting_")):
                continue
            sheet, cells = _destinations(book, name)
            for cell in cells:
                # a name stands for input cells only, and the name is a parameter path
                assert (sheet, cell) in inputs, (stem, name, cell)
                covered.add((sheet, cell))
        assert covered == inputs, (stem, sorted(inputs - covered)[:5])


def test_cost_paths_and_series_have_names() -> None:
    assert excel_name("options.resident-patrols.costs.set_up.series.2026") == (
        "options_resident_patrols_costs_set_up_series_2026"
    )


def test_discount_bands_are_named_within_the_appraisal_period(
    example_workbooks: dict[str, Path],
) -> None:
    """The 60-year green corridor example crosses the Green Book's band boundary at year 31
    (3.5% to year 30, then 3.0%): band 1 is years 1-30 (year 0 is not discounted), band 2
    years 31-59, on the standard and the health schedule's rate rows."""
    book = openpyxl.load_workbook(example_workbooks["green_corridor_cleanup"])
    flows = book["Cash flows"]
    for prefix in ("", "health_"):
        found = {}
        for band in (1, 2, 3):
            name = f"{prefix}discount_rate_band_{band}"
            if name in book.defined_names:
                sheet, cells = _destinations(book, name)
                assert sheet == "Cash flows"
                found[band] = cells
        assert set(found) == {1, 2}, prefix
        offsets = {
            band: [flows.cell(ROW_OFFSETS, flows[c].column).value for c in cells]
            for band, cells in found.items()
        }
        assert offsets[1] == list(range(1, 31))
        assert offsets[2] == list(range(31, 60))
        rates = {band: {flows[c].value for c in cells} for band, cells in found.items()}
        assert len(rates[1]) == 1 and len(rates[2]) == 1
        assert rates[1] != rates[2]


def test_a_spreadsheet_program_resolves_the_names(
    example_workbooks: dict[str, Path], tmp_path: Path
) -> None:
    """Formulas written with the names give the named cells' values after LibreOffice
    recalculates."""
    lo.require_libreoffice()
    source = example_workbooks["balsall_heath_community_safety"]
    book = openpyxl.load_workbook(source)
    names = [n for n in book.defined_names if n.startswith(("options_", "discount"))]
    probe = book.create_sheet("Probe")
    expected = {}
    for row, name in enumerate(names, start=1):
        sheet, cells = _destinations(book, name)
        probe.cell(row, 1, name)
        probe.cell(row, 2, f"=SUM({name})")
        expected[f"B{row}"] = sum(float(book[sheet][c].value) for c in cells)
    edited = tmp_path / "probe.xlsx"
    book.save(edited)
    recalculated = lo.recalculate([edited], tmp_path / "out")[edited]
    got = openpyxl.load_workbook(recalculated, data_only=True)["Probe"]
    for reference, value in expected.items():
        assert got[reference].value == pytest.approx(value, rel=1e-12), reference
