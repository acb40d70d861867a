"""The Agencies sheet: who pays and who benefits, option by option against the counterfactual.

Every figure is a formula over the Cash flows sheet's present values: what an agency pays is the
sum of the PVs of the cost lines it pays (times its share), what it gives the PVs of its
community inputs, what it gains the PVs of the benefit components that accrue to it, each in
the option less the same in the counterfactual, so an edited input on Cash flows or the Benefit
chain moves every position and return on investment. The sums run in line order, as the
engine's do.
"""

from __future__ import annotations

from openpyxl.chart import Reference
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cash_flows import CashFlowsLayout, OptionCells
from cba.io.workbook.cells import UNDEFINED, SheetCells, ref
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


def _terms(cells: list[tuple[str, float]]) -> str:
    """``A+B*0.5``: cell references times their shares (a share of 1 left out), or ``0``."""
    return "+".join(cell if share == 1.0 else f"{cell}*{share!r}" for cell, share in cells) or "0"


def _agency_sums(option: OptionCells, agency: str) -> tuple[str, str, str, str, str]:
    """Sums over one option's Cash flows PV cells of what ``agency`` pays, gives, gains in
    fiscal value, of which cashable, and gains in economic and social value."""
    paid = [(cell, shares[agency]) for cell, shares in option.cost_pvs if shares.get(agency)]
    given = [(cell, 1.0) for cell, by in option.input_pvs if by == agency]
    fiscal = [
        (cell, 1.0) for cell, kind, to, _ in option.value_pvs if kind == "fiscal" and to == agency
    ]
    cashable = [
        (cell, 1.0)
        for cell, kind, to, cash in option.value_pvs
        if kind == "fiscal" and to == agency and cash
    ]
    other = [
        (cell, 1.0) for cell, kind, to, _ in option.value_pvs if kind != "fiscal" and to == agency
    ]
    return _terms(paid), _terms(given), _terms(fiscal), _terms(cashable), _terms(other)


def write_agencies(
    sheet: Worksheet, cells: SheetCells, results: Results, layout: CashFlowsLayout
) -> None:
    """One table and one chart per option: incremental positions by agency, as formulas over
    the Cash flows sheet (``layout``)."""
    c = cells
    counterfactual = next(o for o in results.options if o.is_counterfactual)
    base = layout.options[counterfactual.option_id]
    c.text(1, 1, f"Who pays and who benefits: {results.title}", "cba title")
    c.text(
        2,
        1,
        "Present values against the counterfactual, real GBP at "
        f"{results.price_base_year} prices. ROI = PV gained / PV paid (LP2014); transfers "
        "count in the fiscal gain. Net position = gained - paid - community inputs given. "
        "Formulas over the Cash flows sheet: they move when an input there or on the Benefit "
        "chain is changed.",
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
        # four lines: a substitute font wraps 'PV community inputs given [GBP]' so
        sheet.row_dimensions[row].height = 60
        for agency in option.agencies_incremental:
            row += 1
            c.text(row, 1, agency.agency_id)
            c.text(row, 2, agency.name)
            c.text(row, 3, agency.sector.replace("_", " "))
            sums = zip(
                _agency_sums(layout.options[option.option_id], agency.agency_id),
                _agency_sums(base, agency.agency_id),
                strict=True,
            )
            for j, ((with_option, without), value) in enumerate(
                zip(
                    sums,
                    (
                        agency.pv_paid,
                        agency.pv_contributed,
                        agency.pv_fiscal_gain,
                        agency.pv_fiscal_cashable_gain,
                        agency.pv_other_gain,
                    ),
                    strict=True,
                )
            ):
                if with_option == without == "0":  # no line of either option touches it
                    c.value(row, 4 + j, 0, "cba money")
                    continue
                formula = with_option if without == "0" else f"{with_option}-({without})"
                c.formula(row, 4 + j, formula, value, "cba money")
            gained = agency.pv_fiscal_gain + agency.pv_other_gain
            c.formula(row, 9, f"{ref(6, row)}+{ref(8, row)}", gained, "cba money")
            net = f"{ref(9, row)}-{ref(4, row)}-{ref(5, row)}"
            c.formula(row, 10, net, agency.net_position, "cba highlight")
            paid, fiscal, cashable = ref(4, row), ref(6, row), ref(7, row)
            c.formula(
                row,
                11,
                f'IF({paid}>0,{fiscal}/{paid},"{UNDEFINED}")',
                agency.fiscal_roi,
                "cba ratio",
            )
            c.formula(
                row,
                12,
                f'IF({paid}>0,{ref(9, row)}/{paid},"{UNDEFINED}")',
                agency.roi,
                "cba ratio",
            )
            c.formula(
                row,
                13,
                f'IF({fiscal}>0,{cashable}/{fiscal},"{UNDEFINED}")',
                agency.cashable_share,
                "cba percent",
            )
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
    sheet.column_dimensions["B"].width = min(40, max([30, *(len(a.name) + 2 for a in agencies)]))
    sheet.column_dimensions["C"].width = 14
    for letter in "DEFGHIJKLM":
        sheet.column_dimensions[letter].width = 12
    sheet.freeze_panes = "B4"
    finish_sheet(sheet, cells.ledger)
