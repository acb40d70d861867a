"""The Agencies sheet: who pays and who benefits, option by option against the counterfactual."""

from __future__ import annotations

from openpyxl.chart import Reference
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import SheetCells, ref
from cba.io.workbook.charts import bar_chart
from cba.io.workbook.layout import finish_sheet, merge_across
from cba.results import Results

TITLE = "Agencies"
HEADERS = (
    ("Agency", "cba header"),
    ("Name", "cba header"),
    ("Sector", "cba header"),
    ("PV paid [GBP]", "cba header"),
    ("PV community inputs given [GBP]", "cba header"),
    ("PV fiscal gain [GBP]", "cba header"),
    ("of which cashable [GBP]", "cba header"),
    ("PV economic and social gain [GBP]", "cba header"),
    ("PV gained, total [GBP]", "cba header"),
    ("Net position [GBP]", "cba header"),
    ("Fiscal ROI", "cba header"),
    ("ROI", "cba header"),
    ("Cashable share", "cba header"),
)


def write_agencies(sheet: Worksheet, cells: SheetCells, results: Results) -> None:
    """One table and one chart per option: incremental positions by agency."""
    c = cells
    c.text(1, 1, f"Who pays and who benefits: {results.title}", "cba title")
    c.text(
        2,
        1,
        "Present values against the counterfactual, real GBP at "
        f"{results.price_base_year} prices. ROI = PV gained / PV paid (LP2014); transfers "
        "count in the fiscal gain. Net position = gained - paid - community inputs given.",
        "cba note",
    )
    merge_across(sheet, 2, len(HEADERS))
    row = 4
    for option in results.options:
        if option.is_counterfactual:
            continue
        c.text(row, 1, option.name, "cba heading")
        merge_across(sheet, row, len(HEADERS))
        row += 1
        header = row
        for j, (label, style) in enumerate(HEADERS):
            c.text(row, 1 + j, label, style)
        for agency in option.agencies_incremental:
            row += 1
            c.text(row, 1, agency.agency_id)
            c.text(row, 2, agency.name)
            c.text(row, 3, agency.sector.replace("_", " "))
            for j, value in enumerate(
                (
                    agency.pv_paid,
                    agency.pv_contributed,
                    agency.pv_fiscal_gain,
                    agency.pv_fiscal_cashable_gain,
                    agency.pv_other_gain,
                )
            ):
                c.value(row, 4 + j, value, "cba money")
            gained = agency.pv_fiscal_gain + agency.pv_other_gain
            c.formula(row, 9, f"{ref(6, row)}+{ref(8, row)}", gained, "cba money")
            net = f"{ref(9, row)}-{ref(4, row)}-{ref(5, row)}"
            c.formula(row, 10, net, agency.net_position, "cba highlight")
            c.value(row, 11, agency.fiscal_roi, "cba ratio")
            c.value(row, 12, agency.roi, "cba ratio")
            c.value(row, 13, agency.cashable_share, "cba percent")
        chart = bar_chart(
            sheet,
            f"PV paid and gained by agency: {option.name}",
            "GBP, present value",
            Reference(sheet, min_col=1, min_row=header + 1, max_row=row),
            Reference(sheet, min_col=4, max_col=4, min_row=header, max_row=row),
            f"A{row + 2}",
        )
        chart.add_data(
            Reference(sheet, min_col=9, max_col=9, min_row=header, max_row=row),
            titles_from_data=True,
        )
        row += 24
    agencies = [a for o in results.options for a in o.agencies_incremental]
    sheet.column_dimensions["A"].width = max([10, *(len(a.agency_id) + 2 for a in agencies)])
    sheet.column_dimensions["B"].width = min(56, max([40, *(len(a.name) + 2 for a in agencies)]))
    sheet.column_dimensions["C"].width = 14
    for letter in "DEFGHIJKLM":
        sheet.column_dimensions[letter].width = 16
    sheet.freeze_panes = "B4"
    finish_sheet(sheet, cells.ledger)
