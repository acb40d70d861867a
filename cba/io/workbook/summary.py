"""The Summary sheet: headline figures against the counterfactual, in numbers and in words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from openpyxl.chart import Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.terminal import money
from cba.io.workbook import cash_flows
from cba.io.workbook.cash_flows import CashFlowsLayout, OptionCells
from cba.io.workbook.cells import UNDEFINED, SheetCells, merge_row, quote_sheet, ref, wrapped_note
from cba.io.workbook.charts import bar_chart
from cba.io.workbook.layout import BODY_FONT_SIZE, line_height, required_height
from cba.io.workbook.styles import TITLE_FONT_SIZE
from cba.results import MEASURE_LABELS, MEASURE_UNITS, OptionResult, Results

TITLE = "Summary"

SUMMARY_WIDTHS = (48, 26)
"""Widths of the label and unit columns [characters]."""
OPTION_WIDTH = 22
"""Width of each option's column [characters]."""
WATERFALL_WIDTH = 13
"""Width of the waterfall table's further columns [characters]."""

LIVE = (
    "npsv",
    "npsv_excluding_community_inputs",
    "bcr_public",
    "bcr_public_and_community",
    "pv_benefits",
    "pv_public_costs",
    "pv_non_public_costs",
    "pv_community_inputs",
    "pv_marginal_excess_tax_burden",
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


RETURNS = (
    "fiscal_roi",
    "economic_roi",
    "public_value_roi",
    "pv_fiscal_cashable",
    "pv_fiscal_non_cashable",
    "equivalent_annual_net_benefit",
)
"""Figures that are formulas over the Cash flows sheet's benefit component PVs and the
headline cells above them (each option less the counterfactual)."""


def _component_sum(cells: OptionCells, keep: Callable[[str, str, bool, bool], bool]) -> str:
    """``A+B+...`` over an option's benefit component PV cells that ``keep(cell, value type,
    cashable, transfer)`` selects, or ``0``."""
    chosen = [
        cell
        for cell, kind, _, cashable in cells.value_pvs
        if keep(cell, kind, cashable, cell in cells.transfer_pvs)
    ]
    return "+".join(chosen) or "0"


def return_formula(
    name: str,
    option: OptionCells,
    cf: OptionCells,
    rows_of: dict[str, int],
    column: int,
    factors: tuple[str, str],
) -> str:
    """The formula of a return on investment or fiscal PV in the Summary's ``column``, as the
    engine computes it (cba.engine.appraisal): fiscal PVs by cashability; fiscal ROI = all
    fiscal value / PV public costs; economic ROI = (fiscal value counted in PVB + economic
    value) / PV public costs; public value ROI = PVB / PV public costs; a ratio is
    ``undefined`` unless PV public costs > 0; the equivalent annual net benefit is each part
    of the NPSV over the annuity factor of its schedule (the sum of the discount factors in
    ``factors``: standard, health ranges on the Cash flows sheet)."""
    selectors: dict[str, Callable[[str, str, bool, bool], bool]] = {
        "pv_fiscal_cashable": lambda _, kind, cash, __: kind == "fiscal" and cash,
        "pv_fiscal_non_cashable": lambda _, kind, cash, __: kind == "fiscal" and not cash,
        "economic_roi": lambda _, kind, __, transfer: (
            (kind == "fiscal" and not transfer) or kind == "economic"
        ),
    }
    public = ref(column, rows_of["pv_public_costs"])
    if name == "equivalent_annual_net_benefit":
        # EANB = (NPSV - PVB_health) / A_s + PVB_health / A_h, A = the sum of the factor row
        def health(cell: str, _: str, __: bool, transfer: bool) -> bool:
            return (cell in option.health_pvs or cell in cf.health_pvs) and not transfer

        pvb_health = f"(({_component_sum(option, health)})-({_component_sum(cf, health)}))"
        npsv = ref(column, rows_of["npsv"])
        return f"({npsv}-{pvb_health})/SUM({factors[0]})+{pvb_health}/SUM({factors[1]})"
    if name in ("pv_fiscal_cashable", "pv_fiscal_non_cashable"):
        keep = selectors[name]
        return f"({_component_sum(option, keep)})-({_component_sum(cf, keep)})"
    if name == "fiscal_roi":
        top = f"{ref(column, rows_of['pv_fiscal_cashable'])}+"
        top += ref(column, rows_of["pv_fiscal_non_cashable"])
    elif name == "economic_roi":
        keep = selectors[name]
        top = f"({_component_sum(option, keep)})-({_component_sum(cf, keep)})"
    else:
        top = ref(column, rows_of["pv_benefits"])
    return f'IF({public}>0,({top})/{public},"{UNDEFINED}")'


WATERFALL_HEADERS = (
    "Step",
    "PV [GBP]",
    "From [GBP]",
    "To [GBP]",
    "Chart: base",
    "Chart: adds value",
    "Chart: costs",
    "Chart: net value",
    "Chart: base below 0",
    "Chart: adds below 0",
    "Chart: costs below 0",
)
"""Columns of the table behind the front page's waterfall (A to K)."""

WATERFALL_STEPS = (
    ("Benefits", "pv_benefits", 1.0),
    ("Public costs", "pv_public_costs", -1.0),
    ("Other costs", "pv_non_public_costs", -1.0),
    ("Net, before community inputs", "npsv_excluding_community_inputs", 0.0),
    ("Community inputs", "pv_community_inputs", -1.0),
    ("NPSV", "npsv", 0.0),
)
"""(label, headline figure, sign): a step adds sign x the figure; sign 0 is a net value
standing on zero."""


def headline_rows(results: Results) -> tuple[tuple[str, str], ...]:
    """The Summary's headline figures: ``ROWS``, with the marginal excess tax burden after the
    costs where the scenario applies one."""
    if results.tax_burden is None:
        return ROWS
    at = [name for name, _ in ROWS].index("pv_non_public_costs") + 1
    return (*ROWS[:at], ("pv_marginal_excess_tax_burden", "cba money"), *ROWS[at:])


def waterfall_steps(results: Results) -> tuple[tuple[str, str, float], ...]:
    """The waterfall's steps: ``WATERFALL_STEPS``, with a step for the marginal excess tax
    burden after the other costs where the scenario applies one."""
    if results.tax_burden is None:
        return WATERFALL_STEPS
    at = [name for _, name, _ in WATERFALL_STEPS].index("pv_non_public_costs") + 1
    step = ("Tax burden (METB)", "pv_marginal_excess_tax_burden", -1.0)
    return (*WATERFALL_STEPS[:at], step, *WATERFALL_STEPS[at:])


def _setting(value: str) -> str:
    """A variant's value as a reader wants it: at most 10 significant figures (the exact
    value is in the provenance, which recomputes it)."""
    try:
        number = float(value)
    except ValueError:
        return value
    shown = f"{number:.10g}"
    return value if len(value) <= len(shown) + 2 else shown


def variant_banner(results: Results) -> str:
    """The line that says a workbook is a variant, and of what."""
    settings = "; ".join(f"{path} = {_setting(value)}" for path, value in results.variant)
    return f"VARIANT, not the scenario as filed: inputs set over the scenario file: {settings}."


@dataclass(frozen=True)
class WaterfallRows:
    """Where an option's waterfall table sits on the Summary: step rows (inclusive)."""

    first_row: int
    last_row: int


@dataclass
class SummaryCells:
    """What other sheets need from the Summary: each option's headline cells (absolute
    references with the sheet name) and its waterfall table."""

    headline: dict[str, dict[str, str]] = field(default_factory=dict)
    waterfall: dict[str, WaterfallRows] = field(default_factory=dict)


def _waterfall(
    c: SheetCells,
    row: int,
    option: OptionResult,
    headline: dict[str, int],
    column: int,
    steps: tuple[tuple[str, str, float], ...] = WATERFALL_STEPS,
) -> int:
    """The steps from the benefits through each cost to the NPSV, as live formulas on the
    headline cells (``headline``: figure -> row, in the option's ``column``), with
    the series a stacked column chart needs to draw them as a waterfall. Returns the last
    step's row."""
    for j, label in enumerate(WATERFALL_HEADERS):
        c.text(row, 1 + j, label, "cba header")
    start = 0.0
    first = row + 1
    for k, (label, name, sign) in enumerate(steps):
        r = first + k
        c.text(r, 1, label)
        figure = getattr(option.incremental, name)
        source = ref(column, headline[name])
        if sign == 0:
            value, formula = figure, source
            frm, to = 0.0, figure
            c.value(r, 3, 0.0, "cba money")
            c.formula(r, 4, ref(2, r), to, "cba money")
        else:
            value = figure if sign > 0 else -figure
            formula = source if sign > 0 else f"-{source}"
            frm, to = start, start + value
            if k == 0:
                c.value(r, 3, 0.0, "cba money")
            else:
                c.formula(r, 3, ref(4, r - 1), frm, "cba money")
            c.formula(r, 4, f"{ref(3, r)}+{ref(2, r)}", to, "cba money")
        c.formula(r, 2, formula, value, "cba money")
        start = to
        a, b = ref(3, r), ref(4, r)
        if sign == 0:
            for j in (5, 6, 7, 9, 10, 11):
                c.value(r, j, 0.0, "cba money")
            c.formula(r, 8, b, to, "cba money")
            continue
        rising = to >= frm
        base = max(min(frm, to), 0.0)
        span = max(max(frm, to), 0.0) - base
        base_below = min(max(frm, to), 0.0)
        span_below = min(min(frm, to), 0.0) - base_below
        c.formula(r, 5, f"MAX(MIN({a},{b}),0)", base, "cba money")
        c.formula(
            r,
            6,
            f"IF({b}>={a},MAX(MAX({a},{b}),0)-{ref(5, r)},0)",
            span if rising else 0.0,
            "cba money",
        )
        c.formula(
            r,
            7,
            f"IF({b}<{a},MAX(MAX({a},{b}),0)-{ref(5, r)},0)",
            0.0 if rising else span,
            "cba money",
        )
        c.value(r, 8, 0.0, "cba money")
        c.formula(r, 9, f"MIN(MAX({a},{b}),0)", base_below, "cba money")
        c.formula(
            r,
            10,
            f"IF({b}>={a},MIN(MIN({a},{b}),0)-{ref(9, r)},0)",
            span_below if rising else 0.0,
            "cba money",
        )
        c.formula(
            r,
            11,
            f"IF({b}<{a},MIN(MIN({a},{b}),0)-{ref(9, r)},0)",
            0.0 if rising else span_below,
            "cba money",
        )
    return first + len(steps) - 1


NAMED = {
    "npsv": "NPSV",
    "npsv_excluding_community_inputs": "NPSV_without_community_inputs",
    "bcr_public": "BCR_public",
    "bcr_public_and_community": "BCR_with_community_inputs",
    "value_for_money": "DfT_category",
    "pv_benefits": "PVB",
    "pv_public_costs": "PV_public_costs",
    "pv_non_public_costs": "PV_other_costs",
    "pv_community_inputs": "PV_community_inputs",
    "pv_marginal_excess_tax_burden": "PV_tax_burden",
    "fiscal_roi": "Fiscal_ROI",
    "economic_roi": "Economic_ROI",
    "public_value_roi": "Public_value_ROI",
    "equivalent_annual_net_benefit": "EANB",
}
"""Headline figures given workbook names (``NPSV_<option id>``), so formulas that use them
read as words."""


def _name_headline(sheet: Worksheet, option_id: str, cells: dict[str, str]) -> dict[str, str]:
    """Define ``<figure>_<option id>`` for each named headline cell; return figure -> name.
    A name that would clash (ids differing only by '-' and '_') is left out."""
    from openpyxl.workbook.defined_name import DefinedName

    workbook = sheet.parent
    out: dict[str, str] = {}
    if workbook is None:
        return out
    for figure, label in NAMED.items():
        name = f"{label}_{option_id.replace('-', '_')}"
        if name in workbook.defined_names or figure not in cells:
            continue
        workbook.defined_names[name] = DefinedName(name, attr_text=cells[figure])
        out[figure] = name
    return out


def category_formula(bcr: str, results: Results) -> str:
    """The DfT value-for-money category of the BCR in cell ``bcr``, as a formula over the
    bands in ``results`` (their names are cba's reference table, never scenario text)."""
    bands = results.value_for_money_bands
    formula = f'"{bands[-1].name}"'
    for band in reversed(bands[:-1]):
        assert band.upper is not None
        below = "<=" if band.upper_inclusive else "<"
        formula = f'IF({bcr}{below}{band.upper:g},"{band.name}",{formula})'
    return f'IF(ISNUMBER({bcr}),{formula},"undefined")'


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
    parts.append(
        "(This paragraph gives the engine's figures at the time of the run and does not change "
        "when the workbook is edited. In the table below the NPSVs, PVs, BCRs, DfT category, "
        "ROIs and equivalent annual net benefit follow an edited input, as does the front page's "
        "verdict; the payback year and IRR are the engine's figures.)"
    )
    return " ".join(parts)


def last_printed_column(results: Results) -> int:
    """The Summary's last printed column: the headline table's option columns and the
    waterfall table's step, PV, from and to (A to D); the chart series to their right are the
    front page chart's working columns, on screen but not on the printed page."""
    options = sum(1 for o in results.options if not o.is_counterfactual)
    return max(4, 2 + options)


def write_summary(
    sheet: Worksheet, cells: SheetCells, results: Results, layout: CashFlowsLayout
) -> SummaryCells:
    """Fill the Summary sheet; say where its headline figures and waterfall tables are."""
    found = SummaryCells()
    c = cells
    options = [o for o in results.options if not o.is_counterfactual]
    cf = results.option(results.counterfactual)
    width = SUMMARY_WIDTHS[0] + SUMMARY_WIDTHS[1] + OPTION_WIDTH * len(options)
    title = c.text(1, 1, results.title, "cba title")
    # a long title (one area's workbook from cba batch) wraps rather than run off the page;
    # a title's characters are wider than the body font's that column widths count
    needed = required_height(
        results.title, width * BODY_FONT_SIZE / TITLE_FONT_SIZE, TITLE_FONT_SIZE, bold=True
    )
    if needed > line_height(TITLE_FONT_SIZE):
        title.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        merge_row(sheet, 1, 1, 2 + len(options))
        sheet.row_dimensions[1].height = needed
    subtitle = (
        f"{results.scenario_id}: real GBP at {results.price_base_year} prices; "
        f"{len(results.years)} years from {results.first_year}; discounting "
        f"{', '.join(s.label for s in results.schedules)}; each option against the "
        f"counterfactual '{cf.name}'."
    )
    cell = c.text(2, 1, subtitle, "cba subtitle")
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    merge_row(sheet, 2, 1, 2 + len(options))
    sheet.row_dimensions[2].height = 14 * -(-len(subtitle) // int(width * 1.1)) + 2
    row = 4
    width = SUMMARY_WIDTHS[0] + SUMMARY_WIDTHS[1] + OPTION_WIDTH * len(options)
    if results.variant:
        banner = variant_banner(results)
        cell = c.text(3, 1, banner, "cba heading")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        merge_row(sheet, 3, 1, 2 + len(options))
        sheet.row_dimensions[3].height = required_height(banner, width)
    for option in options:
        c.text(row, 1, option.name, "cba heading")
        text = paragraph(results, option)
        c.text(row + 1, 1, text, "cba text")
        merge_row(sheet, row + 1, 1, 2 + len(options))
        # tall enough for the wrapped paragraph, every line whole
        sheet.row_dimensions[row + 1].height = required_height(text, width)
        row += 3

    c.text(row, 1, "Headline figures against the counterfactual (incremental)", "cba heading")
    row += 1
    c.text(row, 1, "Figure", "cba header")
    c.text(row, 2, "Unit", "cba header")
    for j, option in enumerate(options):
        c.text(row, 3 + j, option.name, "cba header")
    row += 1
    shown = headline_rows(results)
    rows_of = {name: row + i for i, (name, _) in enumerate(shown)}
    cf_cells = layout.options[cf.option_id]
    factors = (
        quote_sheet(cash_flows.TITLE) + layout.year_range(cash_flows.ROW_STD_FACTOR),
        quote_sheet(cash_flows.TITLE) + layout.year_range(cash_flows.ROW_HEALTH_FACTOR),
    )
    for name, style in shown:
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
            elif name == "value_for_money":
                bcr = ref(3 + j, rows_of["bcr_public"])
                c.formula(row, 3 + j, category_formula(bcr, results), value, style)
            elif name in RETURNS:
                formula = return_formula(
                    name, layout.options[option.option_id], cf_cells, rows_of, 3 + j, factors
                )
                c.formula(row, 3 + j, formula, value, style)
            else:
                c.value(row, 3 + j, value, style)
        row += 1
    row += 1
    for j, option in enumerate(options):
        found.headline[option.option_id] = {
            name: quote_sheet(sheet.title) + ref(3 + j, r, absolute_row=True, absolute_column=True)
            for name, r in rows_of.items()
        }
        found.headline[option.option_id].update(
            _name_headline(sheet, option.option_id, found.headline[option.option_id])
        )
        c.text(row, 1, f"From costs to net value: {option.name}", "cba heading")
        wrapped_note(
            c,
            row + 1,
            "Against the counterfactual, GBP present value; the chart columns draw the front "
            "page's waterfall.",
            len(WATERFALL_HEADERS),
            200,
        )
        last = _waterfall(c, row + 2, option, rows_of, 3 + j, waterfall_steps(results))
        for k in range(len(WATERFALL_HEADERS)):
            heading_cell = sheet.cell(row + 2, 1 + k)
            heading_cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[row + 2].height = 30
        found.waterfall[option.option_id] = WaterfallRows(row + 3, last)
        row = last + 2

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
        "Each option on its own (gross, not against the counterfactual)",
        "GBP, present value",
        Reference(sheet, min_col=1, min_row=header + 1, max_row=row),
        Reference(sheet, min_col=2, max_col=4, min_row=header, max_row=row),
        f"A{row + 2}",
    )
    row += 2 + 23  # below the chart (11 cm)

    c.text(row, 1, "DfT value-for-money categories (BCR over public costs)", "cba heading")
    row += 1
    for j, label in enumerate(("Category", "BCR over public costs")):
        c.text(row, 1 + j, label, "cba header")
    for band in results.value_for_money_bands:
        row += 1
        c.text(row, 1, band.name)
        c.text(row, 2, band.rule)
    row += 1
    wrapped_note(c, row, results.value_for_money_source, 2 + len(options), int(width * 1.1))
    row += 2
    c.text(row, 1, "Caveats", "cba heading")
    span = 2 + len(options)
    for caveat in results.caveats:
        row += 1
        wrapped_note(c, row, caveat, span, int(width * 1.1))
    sheet.column_dimensions["A"].width = SUMMARY_WIDTHS[0]
    sheet.column_dimensions["B"].width = SUMMARY_WIDTHS[1]
    for j in range(len(options) + 2):
        sheet.column_dimensions[get_column_letter(3 + j)].width = OPTION_WIDTH
    for j in range(len(options) + 2, len(WATERFALL_HEADERS) - 2):  # the waterfall's columns
        sheet.column_dimensions[get_column_letter(3 + j)].width = WATERFALL_WIDTH
    sheet.sheet_view.showGridLines = False
    return found
