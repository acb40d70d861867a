"""The Scale sheet: each swept option's curve, its optimum and break-even range, and charts of
NPSV and of average and marginal cost per outcome against the scale driver."""

from __future__ import annotations

from bisect import bisect_right

from openpyxl.chart import Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import SheetCells, merge_row, ref
from cba.io.workbook.charts import scatter_lines
from cba.io.workbook.layout import finish_sheet, merge_across, prepare_sheet, set_apart
from cba.results import Results, ScaleCurve

ENGINE_FIGURES = (
    "The engine's figures at the time of the run (each a re-evaluation of the model),"
    " not formulas: editing an input elsewhere in this workbook does not change them."
)
"""What a partner must know before editing: these figures do not follow an edit."""

TITLE = "Scale"
COLUMNS = (
    "Driver",
    "PV benefits [GBP]",
    "PV public costs [GBP]",
    "PV non-public costs [GBP]",
    "PV community inputs [GBP]",
    "NPSV [GBP]",
    "NPSV excl. community inputs [GBP]",
    "BCR over public costs",
    "BCR over public + community",
    "Discounted outcomes",
    "Average cost per outcome [GBP]",
    "Marginal cost per outcome [GBP]",
    "Marginal BCR",
    "Average cost",
    "Note",
)


LAW_LAST_COLUMN = 8
"""The scaling laws' descriptions span columns C to H."""

ROI_COLUMN_WIDTH = 16
"""Width of each agency's ROI column [characters]."""

MAX_TABLE_POINTS = 1001
"""Most sweep points the curve table shows. A sweep may have up to 100,000; a partner reads a
table of about a thousand, and the JSON results hold every point."""


def table_indexes(curve: ScaleCurve) -> list[int]:
    """Indexes of the sweep points the table shows: all of them, or evenly spaced ones plus
    every point the text refers to (start, n0, highest NPSV, edges of BCR >= 1, end)."""
    n = len(curve.points)
    if n <= MAX_TABLE_POINTS:
        return list(range(n))
    key = {0, n - 1, curve.n0_index, curve.optimum_index}
    key |= {curve.points.index(v) for pair in curve.break_even_ranges for v in pair}
    spread = MAX_TABLE_POINTS - len(key)
    even = {round(k * (n - 1) / (spread - 1)) for k in range(spread)}
    return sorted(key | even)


def regime_at(curve: ScaleCurve, lows: list[float], point: float) -> str:
    """The stretch (economies / diseconomies) a point lies in: ``low <= point < high``, the
    last point belonging to the last stretch."""
    k = bisect_right(lows, point) - 1
    if k < 0:
        return ""
    low, high, label = curve.regimes[k]
    inside = low <= point < high or point == high == curve.points[-1]
    return label if inside else ""


def driver_format(curve: ScaleCurve) -> str:
    """Number format of the driver's values: a count with the driver's unit
    (``#,##0" volunteers"``), with the fewest decimals (up to 3) that show every point."""
    decimals = next(
        (d for d in range(4) if all(abs(p - round(p, d)) < 1e-9 for p in curve.points)), 3
    )
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    unit = curve.driver.replace('"', "")
    return f'{digits}" {unit}"'


def has_scale(results: Results) -> bool:
    """Whether any option was swept."""
    return any(option.scale is not None for option in results.options)


def _curve(
    sheet: Worksheet, cells: SheetCells, curve: ScaleCurve, name: str, row: int
) -> tuple[int, int]:
    """One option's block from ``row``: returns the row after it and the curve table's
    header row."""
    c = cells
    span = len(COLUMNS) + len(curve.roi_by_agency)
    c.text(row, 1, f"{name}: by {curve.driver} (against the counterfactual)", "cba heading")
    merge_across(sheet, row, span)
    row += 1
    c.text(row, 1, curve.statement, "cba note")
    merge_across(sheet, row, span)
    shown = table_indexes(curve)
    if len(shown) < len(curve.points):
        row += 1
        c.text(
            row,
            1,
            f"The sweep has {len(curve.points):,} points; the table shows {len(shown):,} of them, "
            "evenly spaced, with the start, n0, the highest NPSV and the edges of BCR >= 1. The "
            "JSON results hold every point.",
            "cba note",
        )
        merge_across(sheet, row, span)
    row += 2
    c.text(row, 1, "Line", "cba header")
    c.text(row, 2, "Kind", "cba header")
    c.text(row, 3, "How it varies with scale", "cba header")
    merge_row(sheet, row, 3, LAW_LAST_COLUMN)
    for law in curve.laws:
        row += 1
        c.text(row, 1, law.line_id)
        c.text(row, 2, law.kind)
        c.text(row, 3, law.law)
        merge_row(sheet, row, 3, LAW_LAST_COLUMN)
    row += 2
    header = row
    for j, label in enumerate(COLUMNS):
        cell = c.text(row, 1 + j, label.replace("Driver", curve.driver.capitalize()), "cba header")
        if label == "Average cost":
            set_apart(cell)
    agencies = list(curve.roi_by_agency)
    for j, agency in enumerate(agencies):
        c.text(row, len(COLUMNS) + 1 + j, f"ROI, {agency}", "cba header")
    lows = [low for low, _, _ in curve.regimes]
    counted = driver_format(curve)
    edges = {curve.points.index(v) for pair in curve.break_even_ranges for v in pair}
    for i in shown:
        n = curve.points[i]
        row += 1
        b, p, o, k = (ref(col, row) for col in (2, 3, 4, 5))
        optimum = i == curve.optimum_index
        c.value(row, 1, n, "cba highlight" if optimum else "cba integer").number_format = counted
        c.value(row, 2, curve.pv_benefits[i], "cba money")
        c.value(row, 3, curve.pv_public_costs[i], "cba money")
        c.value(row, 4, curve.pv_non_public_costs[i], "cba money")
        c.value(row, 5, curve.pv_community_inputs[i], "cba money")
        c.formula(
            row, 6, f"{b}-{p}-{o}-{k}", curve.npsv[i], "cba highlight" if optimum else "cba money"
        )
        c.formula(row, 7, f"{b}-{p}-{o}", curve.npsv_excluding_community_inputs[i], "cba money")
        c.formula(row, 8, f'IF({p}>0,({b}-{o})/{p},"undefined")', curve.bcr_public[i], "cba ratio")
        c.formula(
            row,
            9,
            f'IF({p}+{k}>0,({b}-{o})/({p}+{k}),"undefined")',
            curve.bcr_public_and_community[i],
            "cba ratio",
        )
        c.value(row, 10, curve.outcomes[i], "cba count")
        c.formula(
            row,
            11,
            f'IF({ref(10, row)}>0,({p}+{o})/{ref(10, row)},"undefined")',
            curve.average_cost_per_outcome[i],
            "cba money",
        )
        c.value(row, 12, curve.marginal_cost_per_outcome[i], "cba money")
        c.value(row, 13, curve.marginal_bcr[i], "cba ratio")
        set_apart(c.text(row, 14, regime_at(curve, lows, n)))
        notes = []
        if i == curve.n0_index:
            notes.append("as described (n0)")
        if optimum:
            notes.append("highest NPSV" + (" (end of range)" if curve.optimum_at_edge else ""))
        if i in edges:
            notes.append("edge of BCR >= 1")
        c.text(row, 15, "; ".join(notes), "cba highlight" if notes else "cba label")
        for j, agency in enumerate(agencies):
            c.value(row, len(COLUMNS) + 1 + j, curve.roi_by_agency[agency][i], "cba ratio")
    last = row
    chart_column = get_column_letter(len(COLUMNS) + len(agencies) + 2)
    x = Reference(sheet, min_col=1, min_row=header + 1, max_row=last)
    scatter_lines(
        sheet,
        f"NPSV by {curve.driver}: {name}",
        curve.driver,
        "GBP, present value",
        x,
        [
            ("NPSV", Reference(sheet, min_col=6, min_row=header + 1, max_row=last)),
            (
                "NPSV excl. community inputs",
                Reference(sheet, min_col=7, min_row=header + 1, max_row=last),
            ),
        ],
        f"{chart_column}{header}",
    )
    scatter_lines(
        sheet,
        f"Cost per outcome by {curve.driver}: {name}",
        curve.driver,
        "GBP per outcome",
        x,
        [
            ("Average", Reference(sheet, min_col=11, min_row=header + 1, max_row=last)),
            ("Marginal", Reference(sheet, min_col=12, min_row=header + 1, max_row=last)),
        ],
        f"{chart_column}{header + 24}",
    )
    return max(last, header + 48) + 3, header


def write_scale(sheet: Worksheet, cells: SheetCells, results: Results) -> int | None:
    """One block per swept option. Returns the curve table's header row when there is one
    curve (it repeats on every printed page down), else None."""
    prepare_sheet(sheet)
    cells.text(1, 1, f"Economies and diseconomies of scale: {results.title}", "cba title")
    cells.text(
        2,
        1,
        "Each option swept over its scale driver; the counterfactual is not scaled. "
        "Average cost per outcome = (PV public + non-public costs) / discounted outcomes; "
        "marginal figures are slopes between neighbouring points. Real GBP at "
        f"{results.price_base_year} prices. " + ENGINE_FIGURES,
        "cba note",
    )
    merge_across(sheet, 2, len(COLUMNS))
    row = 4
    headers = []
    for option in results.options:
        if option.scale is not None:
            row, header = _curve(sheet, cells, option.scale, option.name, row)
            headers.append(header)
    sheet.column_dimensions["A"].width = 20
    for letter in "BCDEFGHIJKLMN":
        sheet.column_dimensions[letter].width = 16
    sheet.column_dimensions["O"].width = 28
    agencies = max((len(o.scale.roi_by_agency) for o in results.options if o.scale), default=0)
    for j in range(agencies):
        sheet.column_dimensions[get_column_letter(len(COLUMNS) + 1 + j)].width = ROI_COLUMN_WIDTH
    finish_sheet(sheet, cells.ledger)
    return headers[0] if len(headers) == 1 else None
