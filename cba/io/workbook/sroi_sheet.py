"""The SROI sheet: Social Return on Investment on the SROI guide's conventions, beside (never
instead of) the Green Book BCR, worked out with live formulas from the Cash flows sheet.

For each option against the counterfactual, year by year: the benefits counted in PVB (split
by discount schedule when health lines use their own), public costs, other costs and valued
community inputs, all read from the Cash flows sheet; the discount factors under the chosen
convention, built from the Cash flows rates and factors and a 1/0 switch (discount the first
year's benefits or not); the present values, the value of the inputs, and the SROI and net SROI
ratios. A partner who changes a rate or an amount on the Cash flows sheet, or the switch here,
sees every figure move. Text from the scenario file is written as text, never as a formula.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook import cash_flows
from cba.io.workbook.cash_flows import FIRST_YEAR_COLUMN, CashFlowsLayout, OptionCells
from cba.io.workbook.cells import SheetCells, quote_sheet, ref, wrapped_note
from cba.io.workbook.layout import finish_sheet, merge_across, prepare_sheet
from cba.results import Results, SroiFigures

TITLE = "SROI"

RATIO_FORMAT = '0.00" : 1"'
"""An SROI ratio as partners write it: 3.20 : 1."""

COL_PV = 2
"""Column B: each flow's present value, and the convention switch."""
FIRST_YEAR = 3
"""Column C holds the first appraisal year (the Cash flows sheet's column G)."""
NOTE_COLUMNS = 8
"""Notes span columns A to H (the summary table's width)."""
SHIFT = FIRST_YEAR_COLUMN - FIRST_YEAR
"""Columns from a year's cell here to the same year's cell on the Cash flows sheet."""
ROW_SWITCH = 5
ROW_SUMMARY = 7


def has_sroi(results: Results) -> bool:
    """Whether the results carry an SROI view with an option to show."""
    return results.sroi is not None and bool(results.sroi.incremental)


class _Writer:
    def __init__(
        self, sheet: Worksheet, cells: SheetCells, results: Results, layout: CashFlowsLayout
    ) -> None:
        self.sheet = sheet
        self.c = cells
        self.results = results
        self.layout = layout
        self.n = len(results.years)
        self.last_col = FIRST_YEAR + self.n - 1
        if results.sroi is None:
            raise ValueError("the results carry no SROI view (see has_sroi)")
        self.view = results.sroi
        self.health = any(b.health for option in results.options for b in option.benefits)

    def years(self, row: int) -> str:
        return f"{ref(FIRST_YEAR, row)}:{ref(self.last_col, row)}"

    def fixed_years(self, row: int) -> str:
        first = ref(FIRST_YEAR, row, absolute_row=True, absolute_column=True)
        last = ref(self.last_col, row, absolute_row=True, absolute_column=True)
        return f"{first}:{last}"

    @staticmethod
    def flows(col: int, row: int) -> str:
        """The Cash flows sheet's cell of the year in column ``col`` here, on ``row``."""
        return quote_sheet(cash_flows.TITLE) + ref(col + SHIFT, row)

    def benefit_sum(self, col: int, cells: OptionCells, health: bool | None) -> str:
        """An option's benefits counted in PVB in one year, from the Cash flows sheet: the
        total row, or the components on one schedule (column E: 1 counted, 0 a transfer)."""
        if health is None:
            return self.flows(col, cells.flow_rows["benefits"])
        terms = [
            f"{self.flows(col, row)}*{quote_sheet(cash_flows.TITLE)}"
            f"{ref(cash_flows.COL_E, row, True, True)}"
            for row, on_health in cells.component_rows
            if on_health == health
        ]
        return "(" + "+".join(terms) + ")" if terms else "0"

    def write(self) -> None:
        c, view, results = self.c, self.view, self.results
        cf = results.option(results.counterfactual)
        wrapped_note(c, 1, f"SROI view: {results.title}", NOTE_COLUMNS, 90, "cba title")
        wrapped_note(
            c,
            2,
            "A different convention from the Green Book BCR (Summary sheet), shown beside it, "
            "never instead of it. SROI ratio = PV of the benefits / value of the inputs; the "
            "inputs are every contributor's costs plus the valued community inputs (volunteer "
            "time, in-kind help), which SROI counts as investment; the benefits are PVB's net "
            "impact (after deadweight, displacement, attribution, drop-off and optimism bias; "
            f"transfers excluded). Each option against the counterfactual ({cf.name}), year by "
            f"year; real GBP at {results.price_base_year} prices.",
            NOTE_COLUMNS,
            160,
        )
        wrapped_note(
            c,
            3,
            f"Convention: {view.convention} The switch below: 1 discounts the first year's "
            "benefits (the SROI guide's worked example), 0 does not (as the Green Book). Rates "
            f"and Green Book factors are read from the Cash flows sheet. Source: {view.source}",
            NOTE_COLUMNS,
            160,
        )
        c.text(
            ROW_SWITCH,
            1,
            "Switch: discount year 1's benefits (1 = yes, 0 = no)",
            "cba header",
        )
        c.value(ROW_SWITCH, COL_PV, 1 if view.discount_first_year else 0, "cba integer")
        switch = ref(COL_PV, ROW_SWITCH, True, True)

        options = list(view.incremental)
        row = ROW_SUMMARY
        c.text(row, 1, "Each option against the counterfactual", "cba header")
        heads = (
            "PV benefits [GBP]",
            "Public costs [GBP]",
            "Other costs [GBP]",
            "Community inputs [GBP]",
            "Value of inputs [GBP]",
            "SROI ratio",
            "Net SROI ratio",
        )
        for j, label in enumerate(heads):
            c.text(row, 2 + j, label, "cba header")
        summary_rows = {item.option_id: ROW_SUMMARY + 1 + k for k, item in enumerate(options)}
        row = ROW_SUMMARY + len(options) + 2

        # years, rates and factors
        years_row, offsets_row = row, row + 1
        c.text(years_row, 1, "Calendar year")
        c.text(offsets_row, 1, "Year offset t")
        for i, year in enumerate(results.years):
            col = FIRST_YEAR + i
            c.value(years_row, col, year, "cba year")
            c.value(offsets_row, col, i, "cba integer")
        row = offsets_row + 1
        factor_rows: dict[str, int] = {}
        schedules = [("standard", cash_flows.ROW_STD_RATE, cash_flows.ROW_STD_FACTOR)]
        if self.health:
            schedules.append(("health", cash_flows.ROW_HEALTH_RATE, cash_flows.ROW_HEALTH_FACTOR))
        for kind, rate_row, green_book_row in schedules:
            label = view.standard_schedule if kind == "standard" else view.health_schedule
            c.text(
                row,
                1,
                f"Rate of the next year r_(t+1), {kind} ({label})",
            )
            c.text(row + 1, 1, f"Green Book factor D_t, {kind} (start of year)")
            c.text(row + 2, 1, f"Factor for benefits, {kind}: D_t / (1 + r_(t+1)) ^ switch")
            expected = (
                view.benefit_factors_standard if kind == "standard" else view.benefit_factors_health
            )
            rates = view.next_rates_standard if kind == "standard" else view.next_rates_health
            schedule = next(
                s
                for s in results.schedules
                if s.label
                == (view.standard_schedule if kind == "standard" else view.health_schedule)
            )
            for i in range(self.n):
                col = FIRST_YEAR + i
                if i + 1 < self.n:
                    c.formula(row, col, self.flows(col + 1, rate_row), rates[i], "cba percent")
                else:  # the year after the period: its band's rate, from the schedule
                    c.value(row, col, rates[i], "cba percent")
                c.formula(
                    row + 1, col, self.flows(col, green_book_row), schedule.factors[i], "cba factor"
                )
                c.formula(
                    row + 2,
                    col,
                    f"{ref(col, row + 1)}/(1+{ref(col, row)})^{switch}",
                    expected[i],
                    "cba factor",
                )
            factor_rows[kind] = row + 2
            if kind == "standard":
                factor_rows["inputs"] = row + 1
            row += 3
        row += 1
        block_cells: dict[str, dict[str, str]] = {}
        for item in options:
            row, block_cells[item.option_id] = self.option_block(row, item, factor_rows)
            row += 1

        for item in options:
            r = summary_rows[item.option_id]
            cells_of = block_cells[item.option_id]
            c.text(r, 1, item.name)
            for j, (name, style) in enumerate(
                (
                    ("pv_benefits", "cba money"),
                    ("pv_public_costs", "cba money"),
                    ("pv_non_public_costs", "cba money"),
                    ("pv_community_inputs", "cba money"),
                    ("value_of_inputs", "cba money"),
                    ("ratio", "cba ratio"),
                    ("net_ratio", "cba ratio"),
                )
            ):
                cell = c.formula(r, 2 + j, cells_of[name], getattr(item, name), style)
                if name == "ratio":
                    cell.number_format = RATIO_FORMAT
        self.years_rows = (years_row, offsets_row)

    def option_block(
        self, row: int, item: SroiFigures, factor_rows: dict[str, int]
    ) -> tuple[int, dict[str, str]]:
        c = self.c
        cf = self.results.option(self.results.counterfactual)
        own = self.layout.options[item.option_id]
        base = self.layout.options[cf.option_id]
        c.text(row, 1, f"{item.name} against the counterfactual ({cf.name})", "cba heading")
        merge_across(self.sheet, row, max(NOTE_COLUMNS, self.last_col))
        row += 1
        c.text(row, 1, "Flow [GBP per year, option minus counterfactual]", "cba header")
        c.text(row, COL_PV, "PV [GBP]", "cba header")
        row += 1

        health_pv = sum(
            f * d
            for f, d in zip(item.benefits_health, self.view.benefit_factors_health, strict=True)
        )
        # (label, key, flows by year, present value, factor row): benefits first, then inputs
        lines: list[tuple[str, str, tuple[float, ...], float, str]] = []
        if self.health:
            lines += [
                (
                    "Benefits counted in PVB, standard schedule",
                    "standard",
                    item.benefits_standard,
                    item.pv_benefits - health_pv,
                    "standard",
                ),
                (
                    "Benefits counted in PVB, health schedule",
                    "health",
                    item.benefits_health,
                    health_pv,
                    "health",
                ),
            ]
        else:
            both = zip(item.benefits_standard, item.benefits_health, strict=True)
            lines.append(
                (
                    "Benefits counted in PVB (transfers excluded)",
                    "benefits",
                    tuple(a + b for a, b in both),
                    item.pv_benefits,
                    "standard",
                )
            )
        lines += [
            (
                "Public costs, after optimism bias",
                "public_costs",
                item.public_costs,
                item.pv_public_costs,
                "inputs",
            ),
            (
                "Other costs (non-public), after optimism bias",
                "non_public_costs",
                item.non_public_costs,
                item.pv_non_public_costs,
                "inputs",
            ),
            (
                "Community inputs, valued (volunteer time, in-kind)",
                "community_inputs",
                item.community_inputs,
                item.pv_community_inputs,
                "inputs",
            ),
        ]
        benefit_pvs: list[str] = []
        input_pvs: list[str] = []
        pv_rows: dict[str, int] = {}
        for label, key, values, pv, factor_key in lines:
            c.text(row, 1, label)
            for year, value in enumerate(values):
                col = FIRST_YEAR + year
                if key in ("benefits", "standard", "health"):
                    on = None if key == "benefits" else key == "health"
                    formula = f"{self.benefit_sum(col, own, on)}-{self.benefit_sum(col, base, on)}"
                else:
                    mine, theirs = own.flow_rows[key], base.flow_rows[key]
                    formula = f"{self.flows(col, mine)}-{self.flows(col, theirs)}"
                c.formula(row, col, formula, value, "cba money")
            c.formula(
                row,
                COL_PV,
                f"SUMPRODUCT({self.years(row)},{self.fixed_years(factor_rows[factor_key])})",
                pv,
                "cba money",
            )
            (input_pvs if factor_key == "inputs" else benefit_pvs).append(ref(COL_PV, row))
            pv_rows[key] = row
            row += 1

        out: dict[str, str] = {}

        def put(name: str, label: str, formula: str, expected: float | None, style: str) -> str:
            nonlocal row
            c.text(row, 1, label)
            cell = c.formula(row, COL_PV, formula, expected, style)
            if name == "ratio":
                cell.number_format = RATIO_FORMAT
            here = ref(COL_PV, row)
            out[name] = ref(COL_PV, row, True, True)
            row += 1
            return here

        for key in ("public_costs", "non_public_costs", "community_inputs"):
            out[f"pv_{key}"] = ref(COL_PV, pv_rows[key], True, True)
        b = put(
            "pv_benefits",
            "PV benefits",
            "+".join(benefit_pvs),
            item.pv_benefits,
            "cba total money",
        )
        v = put(
            "value_of_inputs",
            "Value of inputs (all costs + community inputs)",
            "+".join(input_pvs),
            item.value_of_inputs,
            "cba total money",
        )
        put(
            "net_present_value",
            "Net present value = PV benefits - value of inputs",
            f"{b}-{v}",
            item.net_present_value,
            "cba money",
        )
        put(
            "ratio",
            "SROI ratio = PV benefits / value of inputs",
            f'IF({v}>0,{b}/{v},"undefined")',
            item.ratio,
            "cba highlight",
        )
        put(
            "net_ratio",
            "Net SROI ratio = net present value / value of inputs",
            f'IF({v}>0,({b}-{v})/{v},"undefined")',
            item.net_ratio,
            "cba ratio",
        )
        for name, reason in item.undefined.items():
            c.text(
                row,
                1,
                f"{'SROI ratio' if name == 'ratio' else 'Net SROI ratio'} undefined: {reason}",
                "cba note",
            )
            row += 1
        return row, out


def write_sroi(
    sheet: Worksheet, cells: SheetCells, results: Results, layout: CashFlowsLayout
) -> tuple[int, int]:
    """Fill the SROI sheet; returns its (calendar year, year offset) rows, to repeat on every
    printed page."""
    prepare_sheet(sheet)
    writer = _Writer(sheet, cells, results, layout)
    writer.write()
    sheet.column_dimensions["A"].width = 52
    sheet.column_dimensions["B"].width = 14
    view = writer.view
    largest = max(
        (
            abs(amount)
            for item in view.incremental
            for flows in (
                item.benefits_standard,
                item.benefits_health,
                item.public_costs,
                item.non_public_costs,
                item.community_inputs,
                (item.value_of_inputs, item.pv_benefits),
            )
            for amount in flows
        ),
        default=0.0,
    )
    width = max(12.0, len(f"-£{largest:,.0f}") + 2.0)  # no amount shows as ####
    for i in range(max(len(results.years), NOTE_COLUMNS - FIRST_YEAR + 1)):
        sheet.column_dimensions[get_column_letter(FIRST_YEAR + i)].width = width
    finish_sheet(sheet, cells.ledger)
    return writer.years_rows
