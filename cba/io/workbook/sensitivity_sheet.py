"""The Sensitivity sheet: for each option against the counterfactual, the switching values
(with % change from the central value), a tornado of NPSV and of BCR swings with charts, the
one-way tables and the discount-rate tests (Green Book 2026 §5.59-5.61, Box 12)."""

from __future__ import annotations

from openpyxl.chart import Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.terminal import money
from cba.io.workbook.cells import SheetCells, wrapped_note
from cba.io.workbook.charts import horizontal_bars
from cba.io.workbook.layout import finish_sheet, prepare_sheet, set_apart
from cba.io.workbook.wording import range_text
from cba.results import Results, SensitivityResults

TITLE = "Sensitivity"

RIGHT = Alignment(horizontal="right")

CHART_BARS = 12
"""Inputs drawn on each tornado chart (the largest swings); the tables list every one."""

CHART_ROWS = 24
"""Rows a tornado chart takes."""


def has_sensitivity(results: Results) -> bool:
    """Whether the results carry a sensitivity analysis with anything to show."""
    s = results.sensitivity
    return s is not None and bool(s.switching_values or s.tornado or s.rate_tests)


NOTE_COLUMNS = 9
"""Columns a note spans (merged), A to I."""

NOTE_CHARACTERS_PER_LINE = 150
"""About how many characters of note text fit on one line across ``NOTE_COLUMNS``."""


def _note(sheet: Worksheet, c: SheetCells, row: int, text: str, style: str = "cba note") -> None:
    """A note across the tables' width, wrapped."""
    wrapped_note(c, row, text, NOTE_COLUMNS, NOTE_CHARACTERS_PER_LINE, style)


FRACTION_FORMAT = "0.00%"
"""Fractions (shares, rates) as percentages to two decimals (29.34%), so a switching value
keeps four significant digits."""


def _input_cell(c: SheetCells, row: int, column: int, value: float | str, unit: str) -> None:
    """An input's value in its unit: money with pence, a year as a year, a fraction as a
    percentage to two decimals, a whole number as a plain integer, anything else to two
    decimals."""
    style = _number_style(unit)
    if style == "cba number" and isinstance(value, float | int) and value == round(value):
        style = "cba integer"
    cell = c.value(row, column, value, style)
    if unit.startswith("fraction") and not isinstance(value, str):
        cell.number_format = FRACTION_FORMAT


TEXT_AFTER_FIGURES = frozenset({"Method", "Range", "DfT category"})
"""Headers of text columns that follow a column of figures: set apart from it."""


def _header(c: SheetCells, row: int, column: int, label: str) -> None:
    """A table header; a text column's header after a column of figures is set apart."""
    cell = c.text(row, column, label, "cba header")
    if label in TEXT_AFTER_FIGURES:
        set_apart(cell)


def _short(path: str, option_id: str) -> str:
    return path.removeprefix(f"options.{option_id}.")


def _number_style(unit: str) -> str:
    if unit.startswith("GBP"):
        return "cba money pence"
    if unit == "calendar year":
        return "cba year"
    if unit.startswith("fraction"):
        return "cba factor"
    return "cba number"


def write_sensitivity(sheet: Worksheet, cells: SheetCells, results: Results) -> None:
    """Fill the Sensitivity sheet."""
    sensitivity = results.sensitivity
    assert sensitivity is not None
    prepare_sheet(sheet)
    c = cells
    cf = results.option(results.counterfactual)
    c.text(1, 1, "Sensitivity: what would change the answer", "cba title")
    _note(
        sheet,
        c,
        2,
        f"Each option against the counterfactual '{cf.name}'; one input at a time, every other "
        f"input at its central (scenario) value. Money: GBP present value, "
        f"{results.price_base_year} prices. Input values are in each input's own unit. "
        "The engine's figures at the time of the run (each a re-evaluation of the model), not "
        "formulas: editing an input elsewhere in this workbook does not change them.",
        "cba subtitle",
    )
    row = 3
    _note(
        sheet,
        c,
        row,
        "Switching value: the value of an input at which the incremental NPSV is zero (and at "
        "which the BCR over public costs is 1), searched only inside the input's valid range; "
        "'none' when the NPSV keeps its sign over that whole range. Ranges not given in the "
        "scenario's sensitivity block are the defaults: a fraction +/- 0.1 (or +/- half its "
        "value when less), a year +/- 2, anything else +/- 20%.",
    )
    row += 2
    option_ids = list(dict.fromkeys(t.option_id for t in sensitivity.rate_tests))
    for oid in option_ids:
        row = _option(sheet, c, results, sensitivity, oid, row)
    c.text(row, 1, "Notes", "cba heading")
    for note in sensitivity.notes:
        row += 1
        _note(sheet, c, row, note)
    row += 1
    c.text(row, 1, f"{sensitivity.evaluations:,} model evaluations.", "cba note")
    widths = (56, 22, 15, 15, 14, 15, 12, 22, 24, 60)
    for j, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(1 + j)].width = width
    sheet.sheet_view.showGridLines = False
    finish_sheet(sheet, cells.ledger)


def _option(
    sheet: Worksheet,
    c: SheetCells,
    results: Results,
    sensitivity: SensitivityResults,
    oid: str,
    row: int,
) -> int:
    option = results.option(oid)
    c.text(row, 1, option.name, "cba heading")
    sentence = sensitivity.sentence(oid, f"options.{oid}.")
    if sentence:
        row += 1
        _note(sheet, c, row, sentence)
    row += 1
    _note(
        sheet,
        c,
        row,
        f"Inputs are parameter paths under options.{oid} unless they begin with options. or "
        "another section (cba params lists them all).",
    )
    row += 2
    bars = [b for b in sensitivity.tornado if b.option_id == oid]
    chart_anchor = row  # the NPSV tornado first: the picture a board reads
    if bars:
        row += CHART_ROWS

    # Switching values
    c.text(row, 1, "Switching values", "cba heading")
    row += 1
    headers = (
        "Input",
        "Unit",
        "Central value",
        "NPSV = 0 at",
        "Change",
        "BCR = 1 at",
        "Change",
        "Method",
        "Range searched",
    )
    for j, label in enumerate(headers):
        if label:
            _header(c, row, 1 + j, label)
    items = [s for s in sensitivity.switching_values if s.option_id == oid]
    items.sort(key=lambda s: (s.npsv_zero_change is None, abs(s.npsv_zero_change or 0)))
    for item in items:
        row += 1
        c.text(row, 1, _short(item.parameter, oid) + (" [listed]" if item.listed else ""))
        c.text(row, 2, item.unit)
        _input_cell(c, row, 3, item.central, item.unit)
        for column, root, change in (
            (4, item.npsv_zero, item.npsv_zero_change),
            (6, item.bcr_one, item.bcr_one_change),
        ):
            if root is None:
                c.text(row, column, "none").alignment = RIGHT
            else:
                _input_cell(c, row, column, root, item.unit)
            if change is not None:
                c.value(row, column + 1, change, "cba percent")
        set_apart(c.text(row, 8, item.method))
        c.text(row, 9, range_text(item.domain_low, item.domain_high, item.unit))
    row += 2

    # Tornado (NPSV), with a live swing
    central_npsv = option.incremental.npsv
    c.text(row, 1, "Tornado: NPSV at each input's low and high value", "cba heading")
    row += 1
    c.text(row, 1, "Central NPSV", "cba label")
    c.value(row, 2, central_npsv, "cba money")
    row += 1
    header = row
    for j, label in enumerate(
        (
            "Input",
            "Low",
            "High",
            "NPSV at low",
            "NPSV at high",
            "Swing",
            "Change at low",
            "Change at high",
            "Range",
            "Why this range",
        )
    ):
        _header(c, row, 1 + j, label)
    for bar in bars:
        row += 1
        c.text(row, 1, _short(bar.parameter, oid))
        _input_cell(c, row, 2, bar.low, bar.unit)
        _input_cell(c, row, 3, bar.high, bar.unit)
        c.value(row, 4, bar.npsv_low, "cba money")
        c.value(row, 5, bar.npsv_high, "cba money")
        # Values, not formulas: each is a small difference of large present values, which a
        # spreadsheet reading 15 significant digits cannot reproduce to the penny.
        c.value(row, 6, bar.npsv_swing, "cba money")
        c.value(row, 7, bar.npsv_low - central_npsv, "cba money")
        c.value(row, 8, bar.npsv_high - central_npsv, "cba money")
        set_apart(c.text(row, 9, bar.range_basis))
        c.text(row, 10, bar.why)
    row += 1
    if bars:
        shown = min(CHART_BARS, len(bars))
        categories = Reference(sheet, min_col=1, min_row=header + 1, max_row=header + shown)
        horizontal_bars(
            sheet,
            f"Tornado: change in NPSV from {money(central_npsv)} (GBP PV)",
            "Change in NPSV, GBP present value",
            categories,
            [
                (
                    "At the low value",
                    Reference(sheet, min_col=7, min_row=header + 1, max_row=header + shown),
                ),
                (
                    "At the high value",
                    Reference(sheet, min_col=8, min_row=header + 1, max_row=header + shown),
                ),
            ],
            f"A{chart_anchor}",
        )

    # Tornado (BCR over public costs), sorted by its own swing
    with_bcr = [b for b in bars if b.bcr_swing is not None]
    central_bcr = option.incremental.bcr_public
    if with_bcr and central_bcr is not None:
        with_bcr.sort(key=lambda b: (-(b.bcr_swing or 0.0), b.parameter))
        row += 1
        c.text(
            row,
            1,
            "Tornado: BCR over public costs at each input's low and high value",
            "cba heading",
        )
        row += 1
        c.text(row, 1, "Central BCR over public costs", "cba label")
        c.value(row, 2, central_bcr, "cba ratio")
        row += 1
        header = row
        for j, label in enumerate(
            (
                "Input",
                "Low",
                "High",
                "BCR at low",
                "BCR at high",
                "Swing",
                "Change at low",
                "Change at high",
            )
        ):
            _header(c, row, 1 + j, label)
        for bar in with_bcr:
            row += 1
            assert bar.bcr_public_low is not None and bar.bcr_public_high is not None
            c.text(row, 1, _short(bar.parameter, oid))
            _input_cell(c, row, 2, bar.low, bar.unit)
            _input_cell(c, row, 3, bar.high, bar.unit)
            c.value(row, 4, bar.bcr_public_low, "cba ratio")
            c.value(row, 5, bar.bcr_public_high, "cba ratio")
            c.value(row, 6, bar.bcr_swing or 0.0, "cba ratio")
            c.value(row, 7, bar.bcr_public_low - central_bcr, "cba ratio")
            c.value(row, 8, bar.bcr_public_high - central_bcr, "cba ratio")
        row += 1
        shown = min(CHART_BARS, len(with_bcr))
        horizontal_bars(
            sheet,
            f"Tornado: change in BCR over public costs from {central_bcr:.2f}",
            "Change in BCR over public costs",
            Reference(sheet, min_col=1, min_row=header + 1, max_row=header + shown),
            [
                (
                    "At the low value",
                    Reference(sheet, min_col=7, min_row=header + 1, max_row=header + shown),
                ),
                (
                    "At the high value",
                    Reference(sheet, min_col=8, min_row=header + 1, max_row=header + shown),
                ),
            ],
            f"A{row + 1}",
        )
        row += CHART_ROWS

    # One-way tables
    tables = [t for t in sensitivity.one_way if t.option_id == oid]
    if tables:
        row += 1
        c.text(row, 1, "One-way sensitivity tables", "cba heading")
        for table in tables:
            row += 1
            why = f": {table.why}" if table.why else ""
            c.text(row, 1, f"{_short(table.parameter, oid)} ({table.unit}){why}", "cba label")
            row += 1
            for j, label in enumerate(
                (
                    "Value",
                    "NPSV",
                    "BCR over public costs",
                    "BCR over public + community",
                    "DfT category",
                )
            ):
                _header(c, row, 1 + j, label)
            for k, value in enumerate(table.values):
                row += 1
                _input_cell(c, row, 1, value, table.unit)
                if value == table.central:
                    c.text(row, 6, "central value", "cba note")
                c.value(row, 2, table.npsv[k], "cba money")
                c.value(row, 3, table.bcr_public[k], "cba ratio")
                c.value(row, 4, table.bcr_public_and_community[k], "cba ratio")
                set_apart(c.text(row, 5, table.value_for_money[k] or "undefined"))
            row += 1

    # Rate tests
    row += 1
    c.text(row, 1, "Discount-rate tests", "cba heading")
    row += 1
    for j, label in enumerate(
        (
            "Schedule (standard flows)",
            "NPSV",
            "BCR over public costs",
            "BCR over public + community",
            "DfT category",
        )
    ):
        _header(c, row, 1 + j, label)
    for test in (t for t in sensitivity.rate_tests if t.option_id == oid):
        row += 1
        c.text(row, 1, test.schedule + (" (the scenario's)" if test.is_scenario_schedule else ""))
        c.value(row, 2, test.npsv, "cba money")
        c.value(row, 3, test.bcr_public, "cba ratio")
        c.value(row, 4, test.bcr_public_and_community, "cba ratio")
        set_apart(c.text(row, 5, test.value_for_money or "undefined"))
    return row + 3
