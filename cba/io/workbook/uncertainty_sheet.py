"""The Uncertainty sheet: the probability that each option pays off, the spread of its NPSV and
BCRs over the Monte Carlo draws, an S-curve and a histogram of NPSV, the probability of each
value-for-money category, which inputs drive the NPSV, and the value of better evidence
(Green Book A5.21-A5.23; docs/methods.md §15)."""

from __future__ import annotations

from openpyxl.chart import Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.terminal import money
from cba.io.workbook.cells import SheetCells, wrapped_note
from cba.io.workbook.charts import bar_chart, scatter_lines
from cba.results import Distribution, Results

TITLE = "Uncertainty"

CHART_ROWS = 22
"""Rows a chart takes."""

CURVE_STEP = 5
"""The sheet shows every 5th point of the 101-point S-curve (every 5th percentile)."""

NOTE_COLUMNS = 8


def has_uncertainty(results: Results) -> bool:
    """Whether the results carry a Monte Carlo simulation."""
    return results.uncertainty is not None


def _note(sheet: Worksheet, c: SheetCells, row: int, text: str, style: str = "cba note") -> None:
    """A note across the tables' width, wrapped."""
    wrapped_note(c, row, text, NOTE_COLUMNS, 140, style)


def _amount(x: float | None) -> str:
    return "undefined" if x is None else money(x)


def _interval(pair: tuple[float, float] | None) -> str:
    return "undefined" if pair is None else f"{pair[0]:.2f} to {pair[1]:.2f}"


def write_uncertainty(sheet: Worksheet, cells: SheetCells, results: Results) -> None:
    """Fill the Uncertainty sheet."""
    u = results.uncertainty
    assert u is not None
    c = cells
    cf = results.option(results.counterfactual)
    c.text(1, 1, "Uncertainty: how likely is the scheme to pay off?", "cba title")
    _note(
        sheet,
        c,
        2,
        f"Monte Carlo simulation: {u.draws:,} draws, seed {u.seed}; each option against the "
        f"counterfactual '{cf.name}'. Money: GBP present value, {results.price_base_year} prices. "
        "Each uncertain input draws from its own random stream (seed and parameter path), so "
        "the same seed gives the same figures everywhere. The deterministic figures elsewhere in "
        "this workbook use the values written in the scenario. These are the engine's figures "
        "at the time of the run, not formulas: editing an input does not change them.",
        "cba subtitle",
    )
    _note(sheet, c, 3, u.convergence + ".")
    row = 5
    c.text(row, 1, "Uncertain inputs", "cba heading")
    row += 1
    for j, label in enumerate(
        ("Input", "Distribution", "Unit", "File's value", "Mean of draws", "EVPPI [GBP]", "Why")
    ):
        c.text(row, 1 + j, label, "cba header")
    for p in u.parameters:
        row += 1
        c.text(row, 1, p.parameter)
        c.text(row, 2, p.distribution)
        c.text(row, 3, p.unit)
        c.value(row, 4, p.central, "cba number")
        c.value(row, 5, p.draws_mean, "cba number")
        c.value(row, 6, p.evppi, "cba money")
        why = c.text(row, 7, p.why, "cba text")
        why.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[row].height = 14 * max(1, -(-len(p.why) // 38)) + 2
        for column in range(1, 7):  # the row's other cells at the top, beside the reason
            cell = sheet.cell(row, column)
            was = cell.alignment
            cell.alignment = Alignment(
                horizontal=was.horizontal, vertical="top", wrap_text=was.wrap_text
            )
    if u.correlations:
        row += 2
        c.text(row, 1, "Rank correlations", "cba heading")
        row += 1
        for j, label in enumerate(("Input", "Input", "Target", "Achieved")):
            c.text(row, 1 + j, label, "cba header")
        for a, b, target, achieved in u.correlations:
            row += 1
            c.text(row, 1, a)
            c.text(row, 2, b)
            c.value(row, 3, target, "cba ratio")
            c.value(row, 4, achieved, "cba ratio")
    row += 2
    c.text(
        row, 1, "Expected value of perfect information (the choice between options)", "cba label"
    )
    c.value(row, 2, u.evpi, "cba money")
    if u.groups:
        row += 2
        c.text(row, 1, "Value of better evidence on groups of inputs (EVPPI)", "cba heading")
        row += 1
        for column, label in ((1, "Group"), (2, "Inputs"), (6, "EVPPI [GBP]"), (7, "Why")):
            c.text(row, column, label, "cba header")
        for group in u.groups:
            row += 1
            name = c.text(row, 1, group.name, "cba text")
            name.alignment = Alignment(wrap_text=True, vertical="top")
            # each input on its own line, without the shared 'options.' prefix
            names = [p.removeprefix("options.") for p in group.parameters]
            inputs = c.text(row, 2, "\n".join(names), "cba text")
            inputs.alignment = Alignment(wrap_text=True, vertical="top")
            worth = c.value(row, 6, group.evppi, "cba money")
            worth.alignment = Alignment(vertical="top")
            why = c.text(row, 7, group.why, "cba text")
            why.alignment = Alignment(wrap_text=True, vertical="top")
            lines = max(
                sum(-(-len(n) // 34) for n in names),  # column B: about 34 characters a line
                -(-len(group.why) // 38),  # column G: about 38
                1,
            )
            sheet.row_dimensions[row].height = 14 * lines + 2
    row += 1
    _note(
        sheet,
        c,
        row,
        "EVPI: how much the board should be willing to pay to remove all uncertainty before "
        "choosing; EVPPI: the same for one input alone (inputs table) or for a group of inputs "
        "together. A small value means better evidence would rarely change the choice.",
    )
    for option in u.options:
        row = _option(sheet, c, results, option.option_id, row + 2)
    for j, width in enumerate((58, 34, 18, 16, 16, 16, 40, 16)):
        sheet.column_dimensions[get_column_letter(1 + j)].width = width
    sheet.sheet_view.showGridLines = False


def _option(sheet: Worksheet, c: SheetCells, results: Results, oid: str, row: int) -> int:
    u = results.uncertainty
    assert u is not None
    found = u.option(oid)
    name = results.option(oid).name
    c.text(row, 1, name, "cba heading")
    row += 1
    _note(
        sheet,
        c,
        row,
        f"Probability that it pays off (NPSV > 0): {found.probability_npsv_positive:.1%} "
        f"(standard error {found.probability_standard_error:.2%}); probability that it is the "
        f"best option: {found.probability_best:.1%}; NPSV 5th to 95th percentile "
        f"{_amount(found.npsv.p5)} to {_amount(found.npsv.p95)}.",
    )
    row += 2
    headers = ("Figure", "Mean", "Median", "SD", "5th pct", "25th pct", "75th pct", "95th pct")
    for j, label in enumerate(headers):
        c.text(row, 1 + j, label, "cba header")
    rows: tuple[tuple[str, Distribution, str], ...] = (
        ("NPSV (incremental) [GBP]", found.npsv, "cba money"),
        ("PV benefits (incremental) [GBP]", found.pv_benefits, "cba money"),
        ("PV costs, public and other (incremental) [GBP]", found.pv_costs, "cba money"),
        ("PV community inputs (incremental) [GBP]", found.pv_community_inputs, "cba money"),
        ("BCR over public costs", found.bcr_public, "cba ratio"),
        ("BCR over public costs + community inputs", found.bcr_public_and_community, "cba ratio"),
        ("NPSV of the option alone (gross) [GBP]", found.gross_npsv, "cba money"),
    )
    for label, d, style in rows:
        row += 1
        c.text(row, 1, label)
        for j, value in enumerate((d.mean, d.median, d.sd, d.p5, d.p25, d.p75, d.p95)):
            c.value(row, 2 + j, value, style)
    row += 2
    c.text(row, 1, "DfT value-for-money category", "cba header")
    c.text(row, 2, "Probability", "cba header")
    for band, p in found.value_for_money.items():
        row += 1
        c.text(row, 1, band)
        c.value(row, 2, p, "cba percent")
    row += 2
    c.text(row, 1, "Payback year", "cba header")
    c.text(row, 2, "Probability", "cba header")
    for year, p in found.payback_year.items():
        row += 1
        c.text(row, 1, year)
        c.value(row, 2, p, "cba percent")
    influences = sorted(
        (i for i in u.influences if i.option_id == oid and i.rank_correlation is not None),
        key=lambda i: -abs(i.rank_correlation or 0.0),
    )
    if influences:
        row += 2
        influence_headers = (
            "Input",
            "Rank correlation with NPSV",
            "Sobol first order",
            "95% interval",
            "Sobol total",
            "95% interval",
        )
        for j, label in enumerate(influence_headers):
            c.text(row, 1 + j, label, "cba header")
        for item in influences:
            row += 1
            c.text(row, 1, item.parameter)
            c.value(row, 2, item.rank_correlation, "cba ratio")
            c.value(row, 3, item.sobol_first, "cba ratio")
            c.text(row, 4, _interval(item.sobol_first_interval))
            c.value(row, 5, item.sobol_total, "cba ratio")
            c.text(row, 6, _interval(item.sobol_total_interval))
        row += 1
        _note(sheet, c, row, u.sobol_note + ".")

    # The charts, then the tables behind them (every 5th percentile; 30 bins)
    row += 2
    charts_at = row
    sheet.row_breaks.append(Break(id=charts_at - 1))  # the charts start a page, never split
    row += CHART_ROWS
    c.text(row, 1, "NPSV [GBP] at or below which", "cba header")
    c.text(row, 2, "Probability", "cba header")
    c.text(row, 4, "NPSV bin (middle) [GBP]", "cba header")
    c.text(row, 5, "Draws", "cba header")
    top = row
    curve = [point for k, point in enumerate(found.npsv_curve) if k % CURVE_STEP == 0]
    for k, (value, p) in enumerate(curve):
        c.value(top + 1 + k, 1, value, "cba money")
        c.value(top + 1 + k, 2, p, "cba percent")
    for k, (low, high, count) in enumerate(found.npsv_histogram):
        c.value(top + 1 + k, 4, (low + high) / 2, "cba money")
        c.value(top + 1 + k, 5, count, "cba count").number_format = "#,##0"
    curve_end = top + len(curve)
    bins_end = top + len(found.npsv_histogram)
    s_curve = scatter_lines(
        sheet,
        f"{name}: probability that the NPSV is at most x",
        "NPSV, GBP present value",
        "Cumulative probability",
        Reference(sheet, min_col=1, min_row=top + 1, max_row=curve_end),
        [
            (
                "Cumulative probability",
                Reference(sheet, min_col=2, min_row=top + 1, max_row=curve_end),
            )
        ],
        f"A{charts_at}",
    )
    s_curve.y_axis.scaling.min = 0.0
    s_curve.y_axis.scaling.max = 1.0
    s_curve.y_axis.number_format = "0%"
    s_curve.y_axis.crosses = "min"  # the probability axis at the left edge, not at NPSV 0
    s_curve.legend = None
    s_curve.width, s_curve.height = 16, 10
    chart = bar_chart(
        sheet,
        f"{name}: draws by NPSV",
        "Draws",
        Reference(sheet, min_col=4, min_row=top + 1, max_row=bins_end),
        Reference(sheet, min_col=5, min_row=top + 1, max_row=bins_end),
        f"C{charts_at}",
        titles_from_data=False,
    )
    chart.gapWidth = 10
    chart.legend = None
    chart.y_axis.scaling.min = 0.0
    chart.x_axis.number_format = '"£"#,##0,"k"'
    chart.width, chart.height = 16, 10
    return max(curve_end, bins_end)
