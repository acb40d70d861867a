"""The SROI sheet: live formulas that a real spreadsheet program works out to the engine's
SROI figures, under both first-year conventions and with a health schedule; its heading says
it is not the BCR; scenario text stays text."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import cba
from cba.io.workbook import sroi_sheet
from cba.io.workbook.writer import SHEETS, write_workbook
from cba.spec.scenario import Scenario, reference_context
from tests import libreoffice as lo
from tests.test_sroi import hand_worked

CASES = {
    "end_of_year": ({"discount_first_year": True}, False),
    "start_of_year": ({"discount_first_year": False}, False),
    "health_end_of_year": ({"discount_first_year": True}, True),
    "health_start_of_year": ({"discount_first_year": False}, True),
}


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sroi")
    out = {}
    for name, (block, health) in CASES.items():
        data = hand_worked(block, health=health)
        scenario = Scenario.model_validate(data, context=reference_context(data))
        path = folder / f"{name}.xlsx"
        write_workbook(cba.run(scenario), scenario, {"command": "test"}, path)
        out[name] = path
    return out


def test_recalculates_to_engine_values(books: dict[str, Path], tmp_path: Path) -> None:
    lo.require_libreoffice()
    compared = lo.recalculate_and_compare(list(books.values()), tmp_path / "out")
    for path, problems in compared.items():
        assert problems == [], f"{path.name}:\n" + "\n".join(problems[:20])


def _find(sheet: openpyxl.worksheet.worksheet.Worksheet, text: str) -> tuple[int, int]:
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(text):
                return cell.row, cell.column
    raise AssertionError(f"{text!r} not on the sheet")


def test_ratio_is_a_live_formula_with_the_engine_value(books: dict[str, Path]) -> None:
    formulas = openpyxl.load_workbook(books["end_of_year"])[sroi_sheet.TITLE]
    cached = openpyxl.load_workbook(books["end_of_year"], data_only=True)[sroi_sheet.TITLE]
    row, _ = _find(formulas, "SROI ratio = PV benefits / value of inputs")
    cell = formulas.cell(row, sroi_sheet.COL_PV)
    assert str(cell.value).startswith("=IF(")
    assert cell.number_format == sroi_sheet.RATIO_FORMAT
    assert cached.cell(row, sroi_sheet.COL_PV).value == pytest.approx(1.664456, abs=1e-6)
    switch = formulas.cell(sroi_sheet.ROW_SWITCH, sroi_sheet.COL_PV).value
    assert switch == 1
    start = openpyxl.load_workbook(books["start_of_year"])[sroi_sheet.TITLE]
    assert start.cell(sroi_sheet.ROW_SWITCH, sroi_sheet.COL_PV).value == 0
    row, _ = _find(formulas, "Factor for benefits, standard")
    assert f"^$B${sroi_sheet.ROW_SWITCH}" in str(formulas.cell(row, sroi_sheet.FIRST_YEAR).value)


def test_heading_says_it_is_not_the_bcr_and_text_stays_text(books: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(books["health_end_of_year"])
    assert book.sheetnames.index(sroi_sheet.TITLE) == book.sheetnames.index("Community inputs") + 1
    assert SHEETS.index(sroi_sheet.TITLE) == SHEETS.index("Community inputs") + 1
    sheet = book[sroi_sheet.TITLE]
    title = sheet.cell(1, 1)
    assert title.value == "SROI view: =SROI worked by hand"
    note = str(sheet.cell(2, 1).value)
    assert note.startswith("A different convention from the Green Book BCR")
    assert "never instead of it" in note
    assert "Source: Cabinet Office and The SROI Network" in str(sheet.cell(3, 1).value)
    _find(sheet, "Benefits counted in PVB, health schedule")
    _find(sheet, "Factor for benefits, health")
