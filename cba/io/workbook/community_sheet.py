"""The Community inputs sheet: the un-costed inputs of co-production, valued, and what the BCR
is with and without them."""

from __future__ import annotations

from openpyxl.styles import Alignment  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cash_flows import CashFlowsLayout
from cba.io.workbook.cells import SheetCells
from cba.io.workbook.layout import count_style, finish_sheet, merge_across, prepare_sheet
from cba.results import MEASURE_LABELS, Results

TITLE = "Community inputs"

TABLE_COLUMNS = 7
"""Columns of an option's table before its years (A to G): notes and headings span them."""

NOT_APPLICABLE = "-"
"""What an in-kind input shows for hours and value per hour (it has neither)."""


def write_community(
    sheet: Worksheet, cells: SheetCells, results: Results, layout: CashFlowsLayout
) -> None:
    """Hours and valued contribution by group and year; BCR with and without them."""
    prepare_sheet(sheet)
    c = cells
    c.text(1, 1, f"Community inputs (co-production): {results.title}", "cba title")
    c.text(
        2,
        1,
        "Volunteer and service-user time and in-kind help that no public budget pays "
        "for, valued explicitly (methods: replacement cost, shadow wage or opportunity cost). "
        f"Real GBP at {results.price_base_year} prices, undiscounted by year.",
        "cba note",
    )
    merge_across(sheet, 2, TABLE_COLUMNS)
    row = 4
    first_year_col = 8
    for option in results.options:
        c.text(
            row,
            1,
            option.name + (" (counterfactual)" if option.is_counterfactual else ""),
            "cba heading",
        )
        merge_across(sheet, row, TABLE_COLUMNS)
        row += 1
        for j, label in enumerate(
            (
                "Input",
                "Kind",
                "Given by",
                "Valuation basis",
                "Hours a year",
                "Value per hour [GBP]",
                "PV [GBP]",
            )
        ):
            c.text(row, 1 + j, label, "cba header")
        for i, year in enumerate(results.years):
            c.value(row, first_year_col + i, year, "cba year")
        if not option.community_inputs:
            row += 1
            c.text(row, 1, "No community inputs in this option.", "cba note")
        for item in option.community_inputs:
            row += 1
            c.text(row, 1, item.name)
            c.text(row, 2, item.kind.replace("_", " "))
            c.text(row, 3, item.contributed_by)
            c.text(row, 4, (item.valuation_basis or "value of goods or space").replace("_", " "))
            for column, value, style in (
                (5, item.hours_per_year, count_style(item.hours_per_year)),
                (6, item.value_per_hour, "cba money pence"),
            ):
                if value is None:
                    c.text(row, column, NOT_APPLICABLE).alignment = Alignment(horizontal="right")
                else:
                    c.value(row, column, value, style)
            c.value(row, 7, item.pv, "cba money")
            for i, value in enumerate(item.flows):
                c.value(row, first_year_col + i, value, "cba money")
        row += 1
        if not option.is_counterfactual:
            row += 1
            c.text(row, 1, "Against the counterfactual", "cba header")
            c.text(row, 2, "Value", "cba header")
            cells_of = layout.options[option.option_id].incremental
            for name, style in (
                ("pv_community_inputs", "cba money"),
                ("npsv_excluding_community_inputs", "cba money"),
                ("npsv", "cba highlight"),
                ("bcr_public", "cba ratio"),
                ("bcr_public_and_community", "cba ratio"),
            ):
                row += 1
                c.text(row, 1, MEASURE_LABELS[name])
                c.formula(row, 2, cells_of[name], getattr(option.incremental, name), style)
            row += 1
        row += 1
    sheet.column_dimensions["A"].width = 44
    for letter in "BCDEFG":
        sheet.column_dimensions[letter].width = 16
    largest = max(
        (abs(v) for o in results.options for item in o.community_inputs for v in item.flows),
        default=0.0,
    )
    for i in range(len(results.years)):
        width = max(9.0, len(f"-£{largest:,.0f}") + 2.0)  # no amount shows as ####
        sheet.column_dimensions[get_column_letter(first_year_col + i)].width = width
    finish_sheet(sheet, cells.ledger)
