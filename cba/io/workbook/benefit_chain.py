"""The Benefit chain sheet: for every benefit line, what each assumption removed."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import SheetCells, ref
from cba.io.workbook.layout import finish_sheet, merge_across
from cba.io.workbook.wording import applied_optimism_text
from cba.results import Results

TITLE = "Benefit chain"
COLUMNS = 6
"""Columns of a chain table (A to F): notes and headings span them."""
STEP_LABELS = {
    "gross": "Gross outcomes (cohort x engagement x success)",
    "after_deadweight": "after deadweight (would have happened anyway)",
    "after_displacement": "after displacement (moved from elsewhere)",
    "after_leakage": "after leakage (benefits outside the area or group)",
    "after_substitution": "after substitution",
    "after_attribution": "after attribution (due to others)",
    "after_multiplier": "after the local multiplier",
    "net": "net, after optimism bias",
}


def write_benefit_chain(sheet: Worksheet, cells: SheetCells, results: Results) -> None:
    """Step-by-step chains; each step is the previous one times what the step keeps."""
    c = cells
    c.text(1, 1, f"Benefit chain: {results.title}", "cba title")
    c.text(
        2,
        1,
        "Each row keeps a fraction of the row above (LP2014 benefit chain; HCA "
        "Additionality Guide; SROI guide). PV is of the line's value counted in PVB, "
        f"real GBP at {results.price_base_year} prices.",
        "cba note",
    )
    merge_across(sheet, 2, COLUMNS)
    row = 4
    for option in results.options:
        if not option.benefits:
            continue
        c.text(row, 1, option.name, "cba heading")
        merge_across(sheet, row, COLUMNS)
        row += 1
        for line in option.benefits:
            c.text(row, 1, f"{line.name} [{line.line_id}]", "cba header")
            for j, label in enumerate(
                (
                    "Fraction kept",
                    "Outcomes, first year",
                    "Outcomes, whole period",
                    "PV [GBP]",
                    "Removed by this step, PV [GBP]",
                )
            ):
                c.text(row, 2 + j, label, "cba header")
            previous = 0
            for step in line.chain:
                row += 1
                c.text(row, 1, STEP_LABELS[step.step])
                if step.step == "gross":
                    c.value(row, 2, 1.0, "cba percent")
                    c.value(row, 3, step.outcomes_first_year, "cba count")
                    c.value(row, 4, step.outcomes_total, "cba count")
                    c.value(row, 5, step.pv, "cba money")
                    c.value(row, 6, 0.0, "cba money")
                else:
                    style = (
                        "cba input number"
                        if step.step == "after_multiplier"
                        else ("cba input percent")
                    )
                    c.value(row, 2, step.factor, style)
                    keep = ref(2, row)
                    c.formula(
                        row, 3, f"{ref(3, previous)}*{keep}", step.outcomes_first_year, "cba count"
                    )
                    c.formula(
                        row, 4, f"{ref(4, previous)}*{keep}", step.outcomes_total, "cba count"
                    )
                    c.formula(row, 5, f"{ref(5, previous)}*{keep}", step.pv, "cba money")
                    removed = [s.pv for s in line.chain]
                    k = [s.step for s in line.chain].index(step.step)
                    c.formula(
                        row,
                        6,
                        f"{ref(5, previous)}-{ref(5, row)}",
                        removed[k - 1] - removed[k],
                        "cba money",
                    )
                previous = row
            row += 1
            optimism = applied_optimism_text(
                line.optimism_bias, line.optimism_bias_basis, "reduction"
            )
            c.text(
                row,
                1,
                f"Optimism bias: {optimism}. Discounting: {line.schedule}. Source: {line.source}",
                "cba note",
            )
            merge_across(sheet, row, COLUMNS)
            row += 2
    sheet.column_dimensions["A"].width = 52
    for letter in "BCDEF":
        sheet.column_dimensions[letter].width = 18
    finish_sheet(sheet, cells.ledger)
