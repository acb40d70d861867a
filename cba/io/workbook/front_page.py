"""The front page: the story of the appraisal on the first printed page, under the template's
branding (the template's cover sheet, or a sheet of its own when the template has none).

For each option against the counterfactual: a verdict in words whose figures are live formulas
on the Summary's headline cells (they follow any edit that changes those), the Monte Carlo
result where there is one (the engine's figures at the time of the run, and said to be), who
pays and who gains by agency, and a waterfall from the benefits through each cost to the net
present social value, with and without the community's own inputs.

Text from the scenario (option and agency names) is written as text cells; the verdict's
formulas join only cba's own words and references to cells, never scenario text.
"""

from __future__ import annotations

from openpyxl.chart import Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.terminal import money
from cba.io.workbook.cells import SheetCells, merge_row, ref
from cba.io.workbook.charts import waterfall_chart
from cba.io.workbook.summary import SummaryCells, variant_banner
from cba.results import OptionResult, Results

OWN_TITLE = "Overview"
"""The front page's sheet when the template has no cover sheet."""

STORY_NAME = "cba_front_page"
"""Defined name of the story's first cell (what ``cba verify`` compares from)."""

COLUMNS = 6
"""The story spans columns A to F."""

NUMBER_WIDTH = 16
"""Width of the table's number columns C to F [characters], where the template sets none."""

MONEY_FORMAT = '"£#,##0;-£#,##0"'
"""TEXT() format of money in the verdict (as ``cba.io.terminal.money`` writes it)."""


def _money_text(cell: str) -> str:
    """Money in words, rounded first so that a value that rounds to nothing reads £0 (as
    :func:`_money_words`)."""
    return f"TEXT(ROUND({cell},0),{MONEY_FORMAT})"


def _rounded(value: float, places: int) -> float:
    """``value`` rounded as a spreadsheet's ROUND does: on its shortest decimal form, halves
    away from zero (2.675 -> 2.68, 2.5 -> 3), and never -0."""
    from decimal import ROUND_HALF_UP, Decimal

    step = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP)) + 0.0


def _money_words(value: float) -> str:
    return money(_rounded(value, 0))


def _ratio_text(cell: str, prefix: str = "") -> str:
    """A ratio to 2 decimals in words, or 'undefined' (as :func:`_ratio_words`)."""
    shown = f'TEXT(ROUND({cell},2),"{prefix}0.00;-{prefix}0.00")'
    return f'IF(ISNUMBER({cell}),{shown},"undefined")'


def _ratio_words(value: float | None, prefix: str = "") -> str:
    if value is None:
        return "undefined"
    rounded = _rounded(value, 2)
    return ("-" if rounded < 0 else "") + f"{prefix}{abs(rounded):.2f}"


def verdict(results: Results, option: OptionResult, headline: dict[str, str]) -> tuple[str, str]:
    """The verdict as a formula on the Summary's headline cells, and the text it gives."""
    m = option.incremental
    n, prices = len(results.years), results.price_base_year
    net_of = "other costs" if results.tax_burden is None else "other costs and the tax burden"
    years = "1 year" if n == 1 else f"{n} years"
    pieces: list[tuple[str, str]] = [
        (
            f'"Against the counterfactual, over {years} in {prices} prices, the net '
            'present social value (NPSV) is "',
            f"Against the counterfactual, over {years} in {prices} prices, the net "
            "present social value (NPSV) is ",
        ),
        (_money_text(headline["npsv"]), _money_words(m.npsv)),
        (
            '", or "',
            ", or ",
        ),
        (
            _money_text(headline["npsv_excluding_community_inputs"]),
            _money_words(m.npsv_excluding_community_inputs),
        ),
        (
            "\" if the community's own inputs (volunteer time, in-kind help) are not counted. "
            'Each £1 of extra public cost brings "',
            " if the community's own inputs (volunteer time, in-kind help) are not counted. "
            "Each £1 of extra public cost brings ",
        ),
        (
            _ratio_text(headline["bcr_public"], "£"),
            _ratio_words(m.bcr_public, "£"),
        ),
        (
            f'" of benefits net of {net_of} (the BCR over public costs; DfT value-for-money '
            "category '\"",
            f" of benefits net of {net_of} (the BCR over public costs; DfT value-for-money "
            "category '",
        ),
        (headline["value_for_money"], m.value_for_money or "undefined"),
        (
            "\"'); counting the community's inputs as a cost, the BCR is \"",
            "'); counting the community's inputs as a cost, the BCR is ",
        ),
        (
            _ratio_text(headline["bcr_public_and_community"]),
            _ratio_words(m.bcr_public_and_community),
        ),
        ('"."', "."),
    ]
    return "&".join(f for f, _ in pieces), "".join(t for _, t in pieces)


def _uncertainty_sentence(results: Results, option: OptionResult) -> str | None:
    u = results.uncertainty
    if u is None or option.option_id not in {o.option_id for o in u.options}:
        return None
    found = u.option(option.option_id)
    d = found.npsv
    spread = (
        f"; in 90% of draws the NPSV lies between {money(d.p5)} and {money(d.p95)}"
        if d.p5 is not None and d.p95 is not None
        else ""
    )
    return (
        f"Uncertainty: the probability that it pays off (NPSV above zero) is "
        f"{found.probability_npsv_positive:.0%}{spread} ({u.draws:,} Monte Carlo draws, seed "
        f"{u.seed}; the engine's figures at the time of the run, see the Uncertainty sheet)."
    )


def _row_height(text: str, characters_per_line: int) -> float:
    """Points for ``text`` wrapped at about ``characters_per_line`` (14 a line)."""
    return 14.0 * max(1, -(-len(text) // characters_per_line)) + 4


def _width(sheet: Worksheet, column: int, default: float) -> float:
    found = sheet.column_dimensions[get_column_letter(column)].width
    return float(found) if found else default


def write_front_page(
    sheet: Worksheet,
    cells: SheetCells,
    results: Results,
    summary_sheet: Worksheet,
    summary: SummaryCells,
) -> int:
    """Write the story below the template's branding; return its first row."""
    c = cells
    for column in range(3, COLUMNS + 1):
        if not sheet.column_dimensions[get_column_letter(column)].width:
            sheet.column_dimensions[get_column_letter(column)].width = NUMBER_WIDTH
    span = sum(_width(sheet, j, 9.0) for j in range(1, COLUMNS + 1))
    first = max(sheet.max_row, 1) + 2
    row = first
    if results.variant:
        words = variant_banner(results)
        cell = c.text(row, 1, words, "cba heading")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        merge_row(sheet, row, 1, COLUMNS)
        sheet.row_dimensions[row].height = _row_height(words, int(span * 0.95))
        row += 2
    cf = results.option(results.counterfactual)
    options = [o for o in results.options if not o.is_counterfactual]
    for index, option in enumerate(options):
        if index:
            sheet.row_breaks.append(Break(id=row - 1))
        c.text(row, 1, f"{option.name}, against the counterfactual: {cf.name}", "cba heading")
        merge_row(sheet, row, 1, COLUMNS)
        row += 1
        formula, text = verdict(results, option, summary.headline[option.option_id])
        cell = c.formula(row, 1, formula, text, "cba text")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        merge_row(sheet, row, 1, COLUMNS)
        sheet.row_dimensions[row].height = _row_height(text, int(span * 1.05))
        row += 1
        sentence = _uncertainty_sentence(results, option)
        if sentence is not None:
            cell = c.text(row, 1, sentence, "cba note")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            merge_row(sheet, row, 1, COLUMNS)
            sheet.row_dimensions[row].height = _row_height(sentence, int(span * 1.15))
            row += 1
        row = _who_pays(c, row + 1, option, results) + 1
        waterfall = summary.waterfall[option.option_id]
        waterfall_chart(
            sheet,
            "From benefits to net value (GBP, present value)",
            None,
            Reference(
                summary_sheet, min_col=1, min_row=waterfall.first_row, max_row=waterfall.last_row
            ),
            [
                Reference(
                    summary_sheet,
                    min_col=column,
                    min_row=waterfall.first_row,
                    max_row=waterfall.last_row,
                )
                for column in range(5, 12)
            ],
            f"A{row + 1}",
        )
        row += 20
    return first


def _who_pays(c: SheetCells, row: int, option: OptionResult, results: Results | None = None) -> int:
    """Who pays and who gains, by agency (the engine's figures; the Agencies sheet has more).
    Returns the last row written."""
    c.text(
        row,
        1,
        "Who pays and who gains (GBP, present value, against the counterfactual)",
        "cba heading",
    )
    merge_row(c.sheet, row, 1, COLUMNS)
    row += 1
    headers = ("Agency or group", "", "Pays", "Gives in time and kind", "Gains", "Net position")
    for j, label in enumerate(headers, start=1):
        if label:
            cell = c.text(row, j, label, "cba header")
            cell.alignment = Alignment(
                wrap_text=True, vertical="top", horizontal="left" if j < 3 else "right"
            )
    merge_row(c.sheet, row, 1, 2)
    c.sheet.row_dimensions[row].height = 30
    top = row + 1
    for agency in option.agencies_incremental:
        gained = agency.pv_fiscal_gain + agency.pv_other_gain
        if not any((agency.pv_paid, agency.pv_contributed, gained, agency.net_position)):
            continue
        row += 1
        c.text(row, 1, agency.name)
        merge_row(c.sheet, row, 1, 2)
        c.value(row, 3, agency.pv_paid, "cba money")
        c.value(row, 4, agency.pv_contributed, "cba money")
        c.value(row, 5, gained, "cba money")
        c.formula(
            row, 6, f"{ref(5, row)}-{ref(3, row)}-{ref(4, row)}", agency.net_position, "cba money"
        )
    row += 1
    c.text(row, 1, "All agencies and groups", "cba label")
    merge_row(c.sheet, row, 1, 2)
    totals = [0.0, 0.0, 0.0]
    for agency in option.agencies_incremental:
        gained = agency.pv_fiscal_gain + agency.pv_other_gain
        for k, v in enumerate((agency.pv_paid, agency.pv_contributed, gained)):
            totals[k] += v
    if top <= row - 1:
        for j, expected in zip(range(3, 7), (*totals[:3], _net_total(option)), strict=True):
            c.formula(row, j, f"SUM({ref(j, top)}:{ref(j, row - 1)})", expected, "cba total money")
    row += 1
    note = (
        "Pays: public and other costs borne; gives: volunteer time and in-kind help, valued; "
        "gains: fiscal, economic and social benefits received. The engine's figures at the "
        "time of the run; the Agencies sheet has the returns on investment."
    )
    burden = option.incremental.pv_marginal_excess_tax_burden
    if results is not None and results.tax_burden is not None and burden != 0.0:
        note += (
            f" The marginal excess tax burden ({money(burden)}) is a cost to the economy that no "
            "agency pays: the net positions add up to the NPSV before it."
        )
    cell = c.text(row, 1, note, "cba note")
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    merge_row(c.sheet, row, 1, COLUMNS)
    c.sheet.row_dimensions[row].height = 32 if len(note) < 260 else 44
    return row


def _net_total(option: OptionResult) -> float:
    total = 0.0
    for agency in option.agencies_incremental:
        gained = agency.pv_fiscal_gain + agency.pv_other_gain
        if not any((agency.pv_paid, agency.pv_contributed, gained, agency.net_position)):
            continue
        total += (gained - agency.pv_paid) - agency.pv_contributed
    return total
