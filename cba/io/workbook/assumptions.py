"""The Assumptions sheet: every input with its unit, source and confidence, and the tables
(discount schedules, optimism bias, confidence grades, value-for-money bands) behind them."""

from __future__ import annotations

from openpyxl.styles import Alignment  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import CellValue, SheetCells
from cba.io.workbook.layout import (
    count_style,
    finish_sheet,
    merge_across,
    prepare_sheet,
    set_apart,
)
from cba.io.workbook.wording import (
    benefit_optimism_fraction,
    benefit_optimism_text,
    cost_optimism_fraction,
    cost_optimism_text,
    paid_by_text,
)
from cba.reference.optimism_bias import MM2002_SOURCE, mott_macdonald_2002
from cba.reference.records import ReferenceUse
from cba.results import Results
from cba.spec.benefits import FiscalValue
from cba.spec.community import TimeInput
from cba.spec.scenario import Scenario
from cba.spec.tax_burden import GREEN_BOOK_2026_ADVICE

TITLE = "Assumptions"
COLUMNS = ("Option", "Line", "Assumption", "Value", "Unit", "Source / basis")
WIDTHS = {"A": 22, "B": 24, "C": 36, "D": 22, "E": 24, "F": 56}
"""Column widths [characters]; long text wraps within them and its row is made taller."""
AS_ABOVE = "as above"
"""The source of a table row that shares the first row's source (each source is shown once)."""
OPTIMISM_GUIDANCE = "GB §5.43-5.46"


class _Table:
    def __init__(self, cells: SheetCells, row: int) -> None:
        self.c = cells
        self.row = row

    def heading(self, text: str) -> None:
        self.row += 1
        self.c.text(self.row, 1, text, "cba heading")
        merge_across(self.c.sheet, self.row, len(COLUMNS))
        self.row += 1
        for j, label in enumerate(COLUMNS):
            cell = self.c.text(self.row, 1 + j, label, "cba header")
            if label == "Unit":
                set_apart(cell)  # the values end on the right edge of the column before

    def add(
        self,
        option: str,
        line: str,
        what: str,
        value: CellValue,
        unit: str,
        source: str = "",
        style: str = "cba number",
    ) -> None:
        self.row += 1
        c = self.c
        c.text(self.row, 1, option)
        c.text(self.row, 2, line)
        c.text(self.row, 3, what)
        shown = c.value(self.row, 4, value, style)
        if isinstance(value, str):
            shown.alignment = Alignment(horizontal="right")  # on the figures' edge
        c.text(self.row, 5, unit).alignment = Alignment(indent=1)  # apart from the value
        c.text(self.row, 6, source, "cba text")


def write_assumptions(
    sheet: Worksheet, cells: SheetCells, results: Results, scenario: Scenario
) -> None:
    """List every input of the scenario and every table used."""
    prepare_sheet(sheet)
    c = cells
    c.text(1, 1, f"Assumptions: {results.title}", "cba title")
    c.text(
        2,
        1,
        f"Every input of scenario '{scenario.id}' as written in the scenario file "
        f"(money in the price year stated; rebased to {scenario.price_base_year} prices in "
        "the other sheets).",
        "cba note",
    )
    merge_across(sheet, 2, len(COLUMNS))
    t = _Table(cells, 3)
    t.heading("Scenario")
    t.add("", "", "Price base year", scenario.price_base_year, "calendar year", style="cba year")
    t.add("", "", "First appraisal year", scenario.first_year, "calendar year", style="cba year")
    t.add("", "", "Appraisal period", scenario.appraisal_period_years, "years", style="cba integer")
    t.add(
        "",
        "",
        "Counterfactual",
        scenario.counterfactual,
        "option id",
        scenario.option(scenario.counterfactual).description,
        style="cba label",
    )
    money = "GBP per year"
    for option in scenario.options:
        if option.costs:
            t.heading(f"Costs: {option.name}")
        for line in option.costs:
            price = f"GBP per year, {line.price_year or scenario.price_base_year} prices"
            if line.series is not None:
                for year, amount in line.series.items():
                    t.add(
                        option.id,
                        line.id,
                        f"{line.name}: amount in {year}",
                        amount,
                        price,
                        line.source,
                        "cba money",
                    )
            else:
                t.add(
                    option.id,
                    line.id,
                    f"{line.name}: amount per year",
                    line.amount_per_year,
                    price,
                    line.source,
                    "cba money",
                )
            grades = scenario.confidence_grades
            t.add(
                option.id,
                line.id,
                "Optimism bias",
                cost_optimism_fraction(line.optimism_bias, grades),
                "uplift, fraction of cost",
                f"{cost_optimism_text(line.optimism_bias, grades)}; {OPTIMISM_GUIDANCE}",
                "cba percent",
            )
            t.add(
                option.id,
                line.id,
                "Paid by",
                paid_by_text(line.paid_by),
                "agency id (share)",
                style="cba label",
            )
        if option.community_inputs:
            t.heading(f"Community inputs: {option.name}")
        for item in option.community_inputs:
            if isinstance(item, TimeInput):
                t.add(
                    option.id,
                    item.id,
                    f"{item.name}: hours a year",
                    item.hours,
                    "hours per year",
                    item.source,
                    count_style(item.hours),
                )
                t.add(
                    option.id,
                    item.id,
                    "Value per hour",
                    item.value_per_hour,
                    f"GBP per hour, {item.price_year or scenario.price_base_year} prices",
                    item.valuation_basis.replace("_", " "),
                    "cba money pence",
                )
            else:
                t.add(
                    option.id,
                    item.id,
                    f"{item.name}: value per year",
                    item.value_per_year,
                    money,
                    item.source,
                    "cba money",
                )
        if option.benefits:
            t.heading(f"Benefits: {option.name}")
        for b in option.benefits:
            cohort, engagement, success = b.gross_outcomes_per_year
            if b.outcomes is not None:
                t.add(
                    option.id,
                    b.id,
                    f"{b.name}: cohort",
                    cohort,
                    "people per year",
                    b.outcomes.source or b.source,
                    count_style(cohort),
                )
                t.add(option.id, b.id, "Engagement rate", engagement, "fraction", "", "cba percent")
                t.add(option.id, b.id, "Success rate", success, "fraction", "", "cba percent")
            elif b.outcomes_series is not None:
                for year, count in sorted(b.outcomes_series.items()):
                    t.add(
                        option.id,
                        b.id,
                        f"{b.name}: outcomes in {year}",
                        count,
                        "outcomes per year (series; years not listed: none)",
                        b.source,
                        count_style(count),
                    )
            else:
                t.add(
                    option.id,
                    b.id,
                    f"{b.name}: outcomes per year",
                    cohort,
                    "outcomes per year",
                    b.source,
                    count_style(cohort),
                )
            for name in (
                "deadweight",
                "displacement",
                "leakage",
                "substitution",
                "attribution",
                "drop_off",
            ):
                t.add(
                    option.id,
                    b.id,
                    name.replace("_", "-").capitalize(),
                    getattr(b, name),
                    "fraction",
                    "",
                    "cba percent",
                )
            t.add(option.id, b.id, "Multiplier", b.multiplier, "ratio", style="cba ratio")
            grades = scenario.confidence_grades
            t.add(
                option.id,
                b.id,
                "Optimism bias",
                benefit_optimism_fraction(b.optimism_bias, grades),
                "reduction, fraction of benefit",
                f"{benefit_optimism_text(b.optimism_bias, grades)}; {OPTIMISM_GUIDANCE}",
                "cba percent",
            )
            t.add(
                option.id,
                b.id,
                "Health (health discount schedule)",
                "yes" if b.health else "no",
                "",
                style="cba label",
            )
            for value in b.unit_values:
                who = value.agency if isinstance(value, FiscalValue) else (value.beneficiary or "")
                flags = ""
                if isinstance(value, FiscalValue):
                    flags = (", cashable" if value.cashable else ", non-cashable") + (
                        ", transfer" if value.transfer else ""
                    )
                prices = f"GBP per outcome, {b.price_year or scenario.price_base_year} prices"
                if value.amount_series is not None:
                    for year, amount in sorted(value.amount_series.items()):
                        t.add(
                            option.id,
                            b.id,
                            f"Unit value: {value.value_type} {who}{flags}, {year}",
                            amount,
                            prices,
                            value.source,
                            "cba money pence",
                        )
                else:
                    t.add(
                        option.id,
                        b.id,
                        f"Unit value: {value.value_type} {who}{flags}",
                        float(value.amount or 0.0),
                        prices,
                        value.source,
                        "cba money pence",
                    )

    if results.references:
        t.heading("Reference values from shipped tables")
        for use in results.references:
            if use.path == "deflator":
                continue  # the deflator's table is named in its own heading below
            parts = use.path.split(".")
            in_option = parts[0] == "options" and len(parts) > 3
            what = ".".join(parts[4:]) if in_option else use.path
            t.add(
                parts[1] if in_option else "",
                parts[3] if in_option else "",
                f"{what}: {use.reference}",
                use.value if isinstance(use.value, float) else "series by year",
                _price_unit(
                    use.unit if use.times == 1.0 else f"{use.unit} x {use.times:g}",
                    use.to_price_year,
                ),
                _reference_basis(use),
                "cba money pence" if use.from_price_year is not None else "cba number",
            )

    t.heading("Discount schedules")
    for schedule in results.schedules:
        for k, (start, rate) in enumerate(schedule.bands):
            t.add(
                "",
                schedule.label,
                f"Rate from year offset {start}",
                rate,
                "fraction per year",
                schedule.source if k == 0 else AS_ABOVE,
                "cba percent",
            )
    t.heading("Costs of raising public funds (marginal excess tax burden)")
    burden = results.tax_burden
    if burden is None:
        t.add(
            "",
            "all options",
            "Not included (the Green Book's general advice)",
            "none",
            "fraction of net public cost",
            GREEN_BOOK_2026_ADVICE,
            "cba label",
        )
    else:
        t.add(
            "",
            ", ".join(burden.options),
            "Uplift on net public cost (public costs - cashable fiscal savings)",
            burden.uplift,
            "fraction of net public cost",
            f"{burden.source} Why it is included: {burden.why}",
            "cba percent",
        )
    t.heading("Optimism bias: Mott MacDonald (2002) upper and lower bounds")
    for k, category in enumerate(mott_macdonald_2002().values()):
        for j, (bound, uplift) in enumerate(
            (("Upper bound", category.upper_bound), ("Lower bound", category.lower_bound))
        ):
            t.add(
                "",
                category.name.replace("_", " "),
                f"{bound} ({category.applies_to})",
                uplift,
                "fraction",
                MM2002_SOURCE if k == j == 0 else AS_ABOVE,
                "cba percent",
            )
    t.heading(
        f"Confidence grades: table '{scenario.confidence_grades.name}'"
        + ("" if scenario.confidence_grades.verified else " (VERIFY)")
    )
    for k, (grade, correction) in enumerate(sorted(scenario.confidence_grades.corrections.items())):
        t.add(
            "",
            f"grade {grade}",
            "Correction",
            correction,
            "fraction",
            scenario.confidence_grades.source if k == 0 else AS_ABOVE,
            "cba percent",
        )
    if scenario.deflator is not None:
        t.heading(f"GDP deflator: {scenario.deflator.vintage}")
        index = sorted(scenario.deflator.index.items())
        if any(use.path == "deflator" for use in results.references):
            # A shipped series holds decades; the years the scenario rebases between are shown.
            used = _price_years(scenario, results)
            index = [(year, value) for year, value in index if year in used]
        for k, (year, index_value) in enumerate(index):
            source = scenario.deflator.source if k == 0 else AS_ABOVE
            t.add("", str(year), "Index", index_value, "index", source)
    t.heading("DfT value-for-money categories")
    for k, band in enumerate(results.value_for_money_bands):
        t.add(
            "",
            band.name,
            "BCR over public costs",
            band.rule,
            "ratio",
            results.value_for_money_source if k == 0 else AS_ABOVE,
            "cba label",
        )
    for letter, width in WIDTHS.items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"
    finish_sheet(sheet, cells.ledger)


def _price_unit(unit: str, price_year: int | None) -> str:
    return f"{unit}, {price_year} prices" if price_year is not None else unit


def _reference_basis(use: ReferenceUse) -> str:
    """How a reference value was brought to the scenario's prices, and where it is from, in
    one short paragraph (the table's full citation: ``cba reference show TABLE``)."""
    if isinstance(use.original, float):
        published = f"{use.original:,.2f}"
    else:
        published = f"a series ({len(use.original)} years)"
    steps = [f"{use.entry_label}: published {published} {use.unit}"]
    if use.from_price_year is not None:
        steps[0] += f" at {use.from_price_year} prices"
    if use.deflator_factor != 1.0:
        steps.append(f"x {use.deflator_factor:.6f} (deflator {use.deflator})")
    if use.real_income_factor != 1.0:
        steps.append(f"x {use.real_income_factor:.6f} (real income growth)")
    if use.share != 1.0:
        steps.append(f"x share {use.share:g}")
    if use.times != 1.0:
        steps.append(f"x {use.times:g}")
    grade = f"; publisher's grade {use.grade}" if use.grade else ""
    note = f"; {use.note}" if use.note else ""
    return " ".join(steps) + f". {use.publisher}, {use.title}. Read: {use.read}{grade}{note}."


def _price_years(scenario: Scenario, results: Results) -> set[int]:
    """Every year the scenario's amounts are rebased from or to."""
    years = {scenario.price_base_year}
    for option in scenario.options:
        for lines in (option.costs, option.community_inputs, option.benefits):
            for item in lines:
                if item.price_year is not None:
                    years.add(item.price_year)
    for use in results.references:
        years.update(y for y in (use.from_price_year, use.to_price_year) if y is not None)
    return years
