"""The Strategy map sheet: the map's diagram, pathways compared by cost per unit of outcome and
co-produced share (table and chart), backwards mapping of each pathway (inputs by contributor),
the least-cost mix and the shadow prices of its limits (docs/strategy-maps.md).

Values of inputs are live formulas (units a year x GBP per unit), as are the totals, costs per
unit and co-produced shares built on them; the levels themselves are the linear programme's
solution at the time of the run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from openpyxl.chart import Reference
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import SheetCells, ref, wrapped_note
from cba.io.workbook.charts import scatter_points
from cba.io.workbook.layout import count_style, finish_sheet, merge_across, prepare_sheet
from cba.io.workbook.printing import PIXELS_PER_CM, column_cm
from cba.map_results import InputUse, MapAppraisal, PathwayMapping
from cba.results import Results

TITLE = "Strategy map"

LEVELS_NOTE = (
    "Levels (units a year) are the solution of the map's linear programme at the time of the "
    "run, not formulas; values, totals, costs per unit and shares are formulas on them."
)

WIDTHS = (34, 30, 16, 16, 16, 16, 16, 16, 14, 44)
"""Column widths [characters], A to J."""

ROW_PIXELS = 20
"""Height of a row at the default 15 points, in screen pixels."""

CHART_COLUMNS = ("A", "E")
"""Charts go two abreast, from columns A and E."""

CHART_ROWS = 28
"""Rows a chart takes (13 cm at the default row height of 0.5 cm), with a gap."""

SECTOR_NAMES = {
    "public": "public",
    "private": "private",
    "third_sector": "third sector",
    "service_user": "service user",
    "community": "community",
}


def has_strategy_map(results: Results) -> bool:
    """Whether the scenario has a strategy map."""
    return results.strategy_map is not None


def _pathway_table(cells: SheetCells, appraisal: MapAppraisal, row: int) -> tuple[int, int, int]:
    """Pathways ranked within each outcome. Returns (next row, first data row, last data row)."""
    c = cells
    c.text(row, 1, "Pathways compared, each mapped back from its outcome's target", "cba heading")
    merge_across(cells.sheet, row, len(WIDTHS))
    row += 1
    headers = (
        "Pathway",
        "Outcome",
        "Target [units a year]",
        "Value of inputs [GBP a year]",
        "of which public [GBP a year]",
        "of which co-produced [GBP a year]",
        "Cost per unit, all inputs [GBP]",
        "Cost per unit, public [GBP]",
        "Co-produced share",
        "Limits the pathway alone exceeds",
    )
    for j, label in enumerate(headers, 1):
        c.text(row, j, label, "cba header")
    first = row + 1
    for pathway in appraisal.ranked():
        row += 1
        t, v, p, k = (ref(col, row) for col in (3, 4, 5, 6))
        c.text(row, 1, pathway.name)
        c.text(row, 2, f"{pathway.outcome} [{pathway.outcome_unit}]")
        c.value(row, 3, pathway.target, count_style(pathway.target))
        costs = pathway.costs
        c.value(row, 4, costs.total, "cba money")
        c.value(row, 5, costs.public, "cba money")
        c.value(row, 6, costs.co_produced, "cba money")
        c.formula(row, 7, f'IF({t}>0,{v}/{t},"undefined")', pathway.cost_per_unit, "cba money")
        c.formula(
            row, 8, f'IF({t}>0,{p}/{t},"undefined")', pathway.public_cost_per_unit, "cba money"
        )
        c.formula(row, 9, f'IF({v}>0,{k}/{v},"undefined")', costs.co_produced_share, "cba percent")
        over = "; ".join(
            f"{o.name}: needs {_amount(o.needed, o.unit)} of {_amount(o.available, o.unit)}"
            for o in pathway.over_limits
        )
        c.text(row, 10, over or "none", "cba text")
    return row + 2, first, row


def _amount(value: float, unit: str) -> str:
    if unit == "£":
        return f"£{value:,.0f}"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.4g} {unit}"


def _inputs_table(
    cells: SheetCells, row: int, label: str, inputs: Sequence[InputUse]
) -> tuple[int, int | None]:
    """Inputs with their levels and value-per-year formulas. Returns (next row, total row)."""
    c = cells
    headers = (
        label,
        "Given by",
        "Sector",
        "Unit",
        "Units a year",
        "GBP per unit",
        "Value [GBP a year]",
    )
    for j, text in enumerate(headers, 1):
        c.text(row, j, text, "cba header")
    first = row + 1
    for item in inputs:
        row += 1
        c.text(row, 1, item.name)
        c.text(row, 2, item.contributor)
        sector = "co-produced" if item.co_produced else ("public" if item.public else "other")
        c.text(row, 3, sector)
        c.text(row, 4, item.unit)
        c.value(row, 5, item.units_per_year, count_style(item.units_per_year))
        c.value(row, 6, item.unit_cost, "cba money pence")
        c.formula(row, 7, f"{ref(5, row)}*{ref(6, row)}", item.value_per_year, "cba money")
    if not inputs:
        row += 1
        c.text(row, 1, "none")
        return row + 2, None
    row += 1
    c.text(row, 1, "Total", "cba header")
    c.formula(
        row,
        7,
        f"SUM({ref(7, first)}:{ref(7, row - 1)})",
        sum(i.value_per_year for i in inputs),
        "cba total money",
    )
    return row + 2, row


def _backwards(cells: SheetCells, pathways: Sequence[PathwayMapping], row: int) -> int:
    c = cells
    c.text(row, 1, "Backwards mapping: the inputs each pathway needs", "cba heading")
    merge_across(cells.sheet, row, len(WIDTHS))
    row += 1
    for pathway in pathways:
        target = f"{pathway.target:,.6g} {pathway.outcome_unit} a year"
        c.text(row, 1, f"{pathway.name} → {pathway.outcome}, {target}", "cba subtitle")
        merge_across(cells.sheet, row, 7)
        row, _ = _inputs_table(cells, row + 1, "Input", pathway.inputs)
    return row


def _mix(cells: SheetCells, appraisal: MapAppraisal, row: int) -> int:
    c = cells
    mix = appraisal.mix
    c.text(row, 1, "Least-cost mix of pathways", "cba heading")
    merge_across(cells.sheet, row, len(WIDTHS))
    row += 1
    if mix.status != "optimal":
        wrapped_note(cells, row, mix.message[:1].upper() + mix.message[1:] + ".", 10, 180)
        return row + 2
    c.text(row, 1, "Outcome", "cba header")
    c.text(row, 2, "Unit", "cba header")
    c.text(row, 3, "Target [units a year]", "cba header")
    c.text(row, 4, "Delivered [units a year]", "cba header")
    c.text(row, 5, "Cost of one more unit [GBP a year]", "cba header")
    for outcome in mix.outcomes:
        row += 1
        c.text(row, 1, outcome.name)
        c.text(row, 2, outcome.unit)
        if math.isnan(outcome.target):
            c.text(row, 3, "no target", "cba label")
        else:
            c.value(row, 3, outcome.target, count_style(outcome.target))
        c.value(row, 4, outcome.delivered, count_style(round(outcome.delivered, 9)))
        c.value(row, 5, outcome.marginal_cost, "cba money pence")
    row += 2
    row, _ = _inputs_table(cells, row, "Input used by the mix", mix.inputs)
    used = [f"{p.name} ({p.pathway_id}): {p.use}" for p in mix.pathways]
    costs = mix.costs
    text = (
        f"Value of inputs a year: £{costs.total:,.0f}, of which public £{costs.public:,.0f} and "
        f"co-produced £{costs.co_produced:,.0f} ({_share(costs.co_produced_share)}). "
        "Pathways used (all of their links carry flow, part, or none): " + "; ".join(used) + "."
    )
    if mix.approximation > 1e-6:
        text += (
            " Diminishing returns are approximated piecewise-linearly: outputs are at most "
            f"{mix.approximation:.2%} below the curves."
        )
    wrapped_note(cells, row, text, 10, 180)
    return row + 2


def _share(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0%}"


def _shadow_prices(cells: SheetCells, appraisal: MapAppraisal, row: int) -> int:
    c = cells
    mix = appraisal.mix
    if mix.status != "optimal" or not mix.limits:
        return row
    c.text(row, 1, "Shadow prices of the limits", "cba heading")
    merge_across(cells.sheet, row, len(WIDTHS))
    row += 1
    for j, text in enumerate(
        (
            "Limit",
            "Unit",
            "Available a year",
            "Used by the mix",
            "GBP saved per extra unit",
            "Binding",
        ),
        1,
    ):
        c.text(row, j, text, "cba header")
    for limit in mix.limits:
        row += 1
        c.text(row, 1, limit.name)
        c.text(row, 2, limit.unit)
        c.value(row, 3, limit.available, count_style(limit.available))
        c.value(row, 4, limit.used, count_style(round(limit.used, 9)))
        c.value(row, 5, limit.shadow_price, "cba money pence")
        c.text(row, 6, "yes" if limit.binding else "no")
    row += 1
    wrapped_note(
        cells,
        row,
        "A shadow price is what one more unit of the limit saves in the value of inputs a "
        "year, while the same constraints bind; 0 for a limit with room to spare. Binding "
        "constraints: " + ("; ".join(mix.binding) or "none") + ".",
        10,
        180,
    )
    return row + 2


def _place_diagram(sheet: Worksheet, png: bytes, row: int) -> int:
    """The diagram's PNG at ``row``, column A, as wide as the sheet's columns (which print
    fitted to the page's width). Returns the rows it covers."""
    import io

    from openpyxl.drawing.image import Image

    image = Image(io.BytesIO(png))
    width_cm = sum(column_cm(w) for w in WIDTHS)
    scale = width_cm * PIXELS_PER_CM / float(image.width)
    image.width = round(float(image.width) * scale)
    image.height = round(float(image.height) * scale)
    sheet.add_image(image, f"A{row}")
    return math.ceil(float(image.height) / ROW_PIXELS) + 1


def write_strategy_map(
    sheet: Worksheet, cells: SheetCells, results: Results, diagram: bytes | None = None
) -> None:
    """The whole sheet, with the ``diagram`` (a PNG) under the introduction when given."""
    appraisal = results.strategy_map
    assert appraisal is not None
    prepare_sheet(sheet)
    c = cells
    c.text(1, 1, f"Strategy map: {appraisal.title}", "cba title")
    wrapped_note(
        cells,
        2,
        "How inputs from every sector combine into outcomes, and what each pathway to an "
        "outcome costs. Value of inputs in GBP a year at "
        f"{appraisal.price_base_year} prices, co-produced inputs (service users and "
        "communities) valued and shown apart. " + LEVELS_NOTE + " Method: docs/strategy-maps.md.",
        10,
        180,
    )
    row = 4
    if diagram is not None:
        row += _place_diagram(sheet, diagram, row)
    row, first, last = _pathway_table(cells, appraisal, row)
    ranked = appraisal.ranked()
    rows = dict(zip((p.pathway_id for p in ranked), range(first, last + 1), strict=True))
    outcomes = list(dict.fromkeys(p.outcome_id for p in ranked))
    for k, outcome in enumerate(outcomes):
        group = [p for p in ranked if p.outcome_id == outcome]
        scatter_points(
            sheet,
            f"{group[0].outcome}: cost per unit",
            "Co-produced share of the value of inputs",
            f"GBP per {group[0].outcome_unit}",
            [
                (
                    p.name,
                    Reference(sheet, min_col=9, min_row=rows[p.pathway_id]),
                    Reference(sheet, min_col=7, min_row=rows[p.pathway_id]),
                )
                for p in group
            ],
            f"{CHART_COLUMNS[k % 2]}{row}",
        )
        if k % 2 == 1 or k == len(outcomes) - 1:
            row += CHART_ROWS
    row = _backwards(cells, appraisal.pathways, row)
    row = _mix(cells, appraisal, row)
    _shadow_prices(cells, appraisal, row)
    for j, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + j)].width = width
    finish_sheet(sheet, cells.ledger)
