"""The Summary sheet: headline figures against the counterfactual, in numbers and in words."""

from __future__ import annotations

from openpyxl.chart import Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.terminal import money
from cba.io.workbook.cash_flows import CashFlowsLayout
from cba.io.workbook.cells import SheetCells
from cba.io.workbook.charts import bar_chart
from cba.results import MEASURE_LABELS, MEASURE_UNITS, OptionResult, Results

TITLE = "Summary"

SUMMARY_WIDTHS = (48, 26)
"""Widths of the label and unit columns [characters]."""
OPTION_WIDTH = 22
"""Width of each option's column [characters]."""

LIVE = (
    "npsv",
    "npsv_excluding_community_inputs",
    "bcr_public",
    "bcr_public_and_community",
    "pv_benefits",
    "pv_public_costs",
    "pv_non_public_costs",
    "pv_community_inputs",
)
"""Figures that are formulas referring to the Cash flows sheet."""

ROWS: tuple[tuple[str, str], ...] = (
    ("npsv", "cba highlight"),
    ("npsv_excluding_community_inputs", "cba money"),
    ("bcr_public", "cba ratio"),
    ("bcr_public_and_community", "cba ratio"),
    ("value_for_money", "cba label"),
    ("pv_benefits", "cba money"),
    ("pv_public_costs", "cba money"),
    ("pv_non_public_costs", "cba money"),
    ("pv_community_inputs", "cba money"),
    ("fiscal_roi", "cba ratio"),
    ("economic_roi", "cba ratio"),
    ("public_value_roi", "cba ratio"),
    ("pv_fiscal_cashable", "cba money"),
    ("pv_fiscal_non_cashable", "cba money"),
    ("payback_year", "cba year"),
    ("irr", "cba percent"),
    ("equivalent_annual_net_benefit", "cba money"),
)


def _ratio_words(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.2f}"


def paragraph(results: Results, option: OptionResult) -> str:
    """What the numbers mean, in words, for one option against the counterfactual."""
    cf = results.option(results.counterfactual)
    m = option.incremental
    parts = [
        f"Compared with the counterfactual, '{cf.name}'"
        + (f" ({cf.description.rstrip('.')})" if cf.description else "")
        + f", '{option.name}' has a net present social value of {money(m.npsv)} in "
        f"{results.price_base_year} prices over {len(results.years)} years "
        f"({money(m.npsv_excluding_community_inputs)} if the community's own inputs are not "
        "counted).",
    ]
    if m.bcr_public is not None:
        parts.append(
            f"Each £1 of extra public cost brings £{m.bcr_public:.2f} of benefits net of other "
            f"costs (BCR over public costs, DfT category '{m.value_for_money}')."
        )
    else:
        parts.append(f"The BCR over public costs is undefined: {m.undefined['bcr_public']}.")
    if m.pv_community_inputs > 0:
        parts.append(
            f"The option relies on volunteer time and in-kind help worth "
            f"{money(m.pv_community_inputs)}; counting it as a cost, the BCR is "
            f"{_ratio_words(m.bcr_public_and_community)}."
        )
    parts.append(
        f"Cumulative discounted net benefit is non-negative from {m.payback_year} to the end of "
        "the appraisal period (payback year)."
        if m.payback_year is not None
        else f"There is no payback year: {m.undefined['payback_year']}."
    )
    if option.scale is not None:
        parts.append(
            f"Scale ({option.scale.driver}; amounts describe {option.scale.n0:,.4g}): "
            + option.scale.statement
            + " See the Scale sheet."
        )
    u = results.uncertainty
    if u is not None and option.option_id in {o.option_id for o in u.options}:
        found = u.option(option.option_id)
        parts.append(
            f"Probability that the scheme pays off (NPSV above zero): "
            f"{found.probability_npsv_positive:.0%} ({u.draws:,} draws, seed {u.seed}; see the "
            "Uncertainty sheet)."
        )
    if results.sensitivity is not None:
        sentence = results.sensitivity.sentence(option.option_id, f"options.{option.option_id}.")
        if sentence:
            parts.append(sentence.rstrip(".") + " (see the Sensitivity sheet).")
    if option.non_monetised_impacts:
        parts.append("Not valued in money: " + "; ".join(option.non_monetised_impacts))
    parts.append(
        "The BCR is not a pass/fail test: read it beside the NPSV and the impacts not "
        "valued (Green Book 2026)."
    )
    return " ".join(parts)


def write_summary(
    sheet: Worksheet, cells: SheetCells, results: Results, layout: CashFlowsLayout
) -> None:
    """Fill the Summary sheet."""
    c = cells
    options = [o for o in results.options if not o.is_counterfactual]
    cf = results.option(results.counterfactual)
    c.text(1, 1, results.title, "cba title")
    c.text(
        2,
        1,
        f"{results.scenario_id}: real GBP at {results.price_base_year} prices; "
        f"{len(results.years)} years from {results.first_year}; discounting "
        f"{', '.join(s.label for s in results.schedules)}; each option against the "
        f"counterfactual '{cf.name}'.",
        "cba subtitle",
    )
    row = 4
    if results.variant:
        settings = "; ".join(f"{path} = {value}" for path, value in results.variant)
        c.text(
            3,
            1,
            f"VARIANT, not the scenario as filed: inputs set over the scenario file: {settings}.",
            "cba heading",
        )
    width = SUMMARY_WIDTHS[0] + SUMMARY_WIDTHS[1] + OPTION_WIDTH * len(options)
    for option in options:
        c.text(row, 1, option.name, "cba heading")
        text = paragraph(results, option)
        c.text(row + 1, 1, text, "cba text")
        sheet.merge_cells(
            start_row=row + 1, start_column=1, end_row=row + 1, end_column=2 + len(options)
        )
        # Tall enough for the wrapped paragraph: about one character per unit of column
        # width, 15 points a line, and a spare line for long words.
        wrapped = -(-len(text) // max(40, int(width * 0.95))) + 1
        sheet.row_dimensions[row + 1].height = 15 * wrapped
        row += 3

    c.text(row, 1, "Headline figures against the counterfactual (incremental)", "cba heading")
    row += 1
    c.text(row, 1, "Figure", "cba header")
    c.text(row, 2, "Unit", "cba header")
    for j, option in enumerate(options):
        c.text(row, 3 + j, option.name, "cba header")
    row += 1
    for name, style in ROWS:
        c.text(row, 1, MEASURE_LABELS[name])
        c.text(
            row,
            2,
            MEASURE_UNITS[name]
            + ("" if "GBP" not in MEASURE_UNITS[name] else f", {results.price_base_year} prices"),
        )
        for j, option in enumerate(options):
            value = getattr(option.incremental, name)
            if name in LIVE:
                source = layout.options[option.option_id].incremental[name]
                c.formula(row, 3 + j, source, value, style)
            else:
                c.value(row, 3 + j, value, style)
        row += 1
    row += 1

    c.text(row, 1, "Largest present values (this option alone)", "cba heading")
    row += 1
    for option in options:
        c.text(row, 1, option.name, "cba header")
        c.text(row, 2, "PV [GBP]", "cba header")
        row += 1
        lines = sorted(((line.pv, f"Cost: {line.name}") for line in option.costs), reverse=True)[:3]
        lines += sorted(
            ((line.pv, f"Benefit: {line.name}") for line in option.benefits), reverse=True
        )[:3]
        for pv, label in lines:
            c.text(row, 1, label)
            c.value(row, 2, pv, "cba money")
            row += 1
    row += 1

    c.text(row, 1, "Present values by option (gross)", "cba heading")
    row += 1
    header = row
    for j, label in enumerate(
        ("Option", "PV costs (public and other)", "PV community inputs", "PV benefits")
    ):
        c.text(row, 1 + j, label, "cba header")
    for option in results.options:
        row += 1
        cells_of = layout.options[option.option_id].gross
        c.text(row, 1, option.name)
        m = option.gross
        c.formula(
            row,
            2,
            f"{cells_of['pv_public_costs']}+{cells_of['pv_non_public_costs']}",
            m.pv_public_costs + m.pv_non_public_costs,
            "cba money",
        )
        c.formula(row, 3, cells_of["pv_community_inputs"], m.pv_community_inputs, "cba money")
        c.formula(row, 4, cells_of["pv_benefits"], m.pv_benefits, "cba money")
    bar_chart(
        sheet,
        "Present value of costs and benefits by option",
        "GBP, present value",
        Reference(sheet, min_col=1, min_row=header + 1, max_row=row),
        Reference(sheet, min_col=2, max_col=4, min_row=header, max_row=row),
        f"F{header}",
    )
    row += 2

    c.text(row, 1, "DfT value-for-money categories (BCR over public costs)", "cba heading")
    row += 1
    for j, label in enumerate(("Category", "BCR over public costs")):
        c.text(row, 1 + j, label, "cba header")
    for band in results.value_for_money_bands:
        row += 1
        c.text(row, 1, band.name)
        c.text(row, 2, band.rule)
    row += 1
    c.text(row, 1, results.value_for_money_source, "cba note")
    row += 2
    c.text(row, 1, "Caveats", "cba heading")
    for caveat in results.caveats:
        row += 1
        c.text(row, 1, caveat, "cba note")
    sheet.column_dimensions["A"].width = SUMMARY_WIDTHS[0]
    sheet.column_dimensions["B"].width = SUMMARY_WIDTHS[1]
    for j in range(len(options) + 2):
        sheet.column_dimensions[get_column_letter(3 + j)].width = OPTION_WIDTH
    sheet.sheet_view.showGridLines = False
