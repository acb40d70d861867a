"""The Assumptions sheet: every input with its unit, source and confidence, and the tables
(discount schedules, optimism bias, confidence grades, value-for-money bands) behind them."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import CellValue, SheetCells
from cba.reference.optimism_bias import MM2002_SOURCE, MOTT_MACDONALD_2002
from cba.results import Results
from cba.spec.benefits import FiscalValue
from cba.spec.community import TimeInput
from cba.spec.scenario import Scenario

TITLE = "Assumptions"
COLUMNS = ("Option", "Line", "Assumption", "Value", "Unit", "Source / basis")


class _Table:
    def __init__(self, cells: SheetCells, row: int) -> None:
        self.c = cells
        self.row = row

    def heading(self, text: str) -> None:
        self.row += 1
        self.c.text(self.row, 1, text, "cba heading")
        self.row += 1
        for j, label in enumerate(COLUMNS):
            self.c.text(self.row, 1 + j, label, "cba header")

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
        c.value(self.row, 4, value, style)
        c.text(self.row, 5, unit)
        c.text(self.row, 6, source, "cba text")


def write_assumptions(
    sheet: Worksheet, cells: SheetCells, results: Results, scenario: Scenario
) -> None:
    """List every input of the scenario and every table used."""
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
    t = _Table(cells, 3)
    t.heading("Scenario")
    t.add("", "", "Price base year", scenario.price_base_year, "calendar year", style="cba year")
    t.add("", "", "First appraisal year", scenario.first_year, "calendar year", style="cba year")
    t.add("", "", "Appraisal period", scenario.appraisal_period_years, "years", style="cba year")
    t.add(
        "",
        "",
        "Counterfactual",
        scenario.counterfactual,
        "option id",
        scenario.option(scenario.counterfactual).description,
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
            ob = line.optimism_bias
            t.add(
                option.id,
                line.id,
                "Optimism bias",
                str(ob) if not isinstance(ob, float | int) else ob,
                "fraction or rule",
                "GB §5.43-5.46",
                "cba percent" if isinstance(ob, float | int) else "cba label",
            )
            t.add(option.id, line.id, "Paid by", str(line.paid_by), "agency / shares")
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
                    "cba count",
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
                    "cba count",
                )
                t.add(option.id, b.id, "Engagement rate", engagement, "fraction", "", "cba percent")
                t.add(option.id, b.id, "Success rate", success, "fraction", "", "cba percent")
            else:
                t.add(
                    option.id,
                    b.id,
                    f"{b.name}: outcomes per year",
                    cohort,
                    "outcomes per year",
                    b.source,
                    "cba count",
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
            t.add(option.id, b.id, "Multiplier", b.multiplier, "dimensionless")
            t.add(option.id, b.id, "Optimism bias", str(b.optimism_bias), "fraction or grade")
            t.add(
                option.id,
                b.id,
                "Health (health discount schedule)",
                "yes" if b.health else "no",
                "",
            )
            for value in b.unit_values:
                who = value.agency if isinstance(value, FiscalValue) else (value.beneficiary or "")
                flags = ""
                if isinstance(value, FiscalValue):
                    flags = (", cashable" if value.cashable else ", non-cashable") + (
                        ", transfer" if value.transfer else ""
                    )
                t.add(
                    option.id,
                    b.id,
                    f"Unit value: {value.value_type} {who}{flags}",
                    value.amount,
                    f"GBP per outcome, {b.price_year or scenario.price_base_year} prices",
                    value.source,
                    "cba money pence",
                )

    t.heading("Discount schedules")
    for schedule in results.schedules:
        for start, rate in schedule.bands:
            t.add(
                "",
                schedule.label,
                f"Rate from year offset {start}",
                rate,
                "fraction per year",
                schedule.source,
                "cba percent",
            )
    t.heading("Optimism bias: Mott MacDonald (2002) upper bounds")
    for category in MOTT_MACDONALD_2002.values():
        t.add(
            "",
            category.name,
            f"Upper bound ({category.applies_to})",
            category.upper_bound,
            "fraction",
            MM2002_SOURCE,
            "cba percent",
        )
    t.heading(
        f"Confidence grades: table '{scenario.confidence_grades.name}'"
        + ("" if scenario.confidence_grades.verified else " (VERIFY)")
    )
    for grade, correction in sorted(scenario.confidence_grades.corrections.items()):
        t.add(
            "",
            f"grade {grade}",
            "Correction",
            correction,
            "fraction",
            scenario.confidence_grades.source,
            "cba percent",
        )
    if scenario.deflator is not None:
        t.heading(f"GDP deflator: {scenario.deflator.vintage}")
        for year, index in sorted(scenario.deflator.index.items()):
            t.add("", str(year), "Index", index, "index", scenario.deflator.source)
    t.heading("DfT value-for-money categories")
    for band in results.value_for_money_bands:
        t.add(
            "",
            band.name,
            "BCR over public costs",
            band.rule,
            "ratio",
            results.value_for_money_source,
            "cba text",
        )
    widths = {"A": 22, "B": 24, "C": 44, "D": 14, "E": 26, "F": 90}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"
