"""The Cash flows sheet: every line year by year, the discount-rate and factor rows, and live
formulas for present values, totals, NPSV and BCR.

Present values are ``SUMPRODUCT`` over a visible factor row, never ``NPV()``: Excel's NPV
discounts its first value by a period, and a single rate cannot express the Green Book's
declining schedule (docs/excel.md). Factors are chained: ``D_0 = 1``, ``D_t = D_(t-1)/(1+r_t)``,
so a partner who changes a rate cell sees every figure move.

A benefit line's net outcomes per year are the Benefit chain sheet's net outcomes (its first
year) times the line's year profile, a row of factors fixed at the run (start year, duration
and drop-off are not editable here): ``net_t = chain_net x profile_t``, the engine's arithmetic
(``cba.model.compile``), so the yellow fractions on the Benefit chain drive every valued flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cba.engine.profiles import drop_off_profile
from cba.io.workbook.benefit_chain import BenefitChainLayout, chain_layout
from cba.io.workbook.cells import SheetCells, quote_sheet, ref
from cba.io.workbook.input_names import define_range_name
from cba.io.workbook.layout import finish_sheet, merge_across, prepare_sheet
from cba.io.workbook.wording import paid_by_text
from cba.model.compile import first_active
from cba.results import OptionResult, Results, ScheduleUsed
from cba.spec.scenario import Scenario

FloatArray = NDArray[np.float64]

TITLE = "Cash flows"
FIRST_YEAR_COLUMN = 7
"""Column G holds the first appraisal year; A-F hold labels, shares, optimism bias and PV."""
COL_LABEL, COL_KIND, COL_WHO, COL_D, COL_E, COL_PV = 1, 2, 3, 4, 5, 6
ROW_YEARS, ROW_OFFSETS = 5, 6
ROW_STD_RATE, ROW_STD_FACTOR, ROW_HEALTH_RATE, ROW_HEALTH_FACTOR = 7, 8, 9, 10
FIRST_BLOCK_ROW = 12


@dataclass
class OptionCells:
    """Where an option's headline figures sit on the Cash flows sheet (absolute references
    with the sheet name, for formulas on other sheets)."""

    gross: dict[str, str] = field(default_factory=dict)
    incremental: dict[str, str] = field(default_factory=dict)
    discounted_net_row: int = 0
    incremental_rows: tuple[int, int] | None = None
    """(incremental discounted net row, cumulative row), for the chart."""
    cost_pvs: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    """Each cost line's PV cell (after optimism bias) and the shares its payers pay."""
    input_pvs: list[tuple[str, str]] = field(default_factory=list)
    """Each community input's PV cell and the agency (group) that gives it."""
    value_pvs: list[tuple[str, str, str | None, bool]] = field(default_factory=list)
    """Each benefit component's PV cell, value type, agency or beneficiary, and whether it is
    cashable."""
    transfer_pvs: set[str] = field(default_factory=set)
    """The PV cells of benefit components that are transfers (not counted in PVB)."""
    health_pvs: set[str] = field(default_factory=set)
    """The PV cells of benefit components discounted on the health schedule."""
    flow_rows: dict[str, int] = field(default_factory=dict)
    """Rows of the yearly totals (``public_costs``, ``non_public_costs``,
    ``community_inputs``, ``benefits``), for sheets that follow the flows year by year."""
    component_rows: list[tuple[int, bool]] = field(default_factory=list)
    """Each benefit component's row and whether it is on the health schedule (its column E
    holds 1 when it counts in PVB, 0 for a transfer)."""


@dataclass
class CashFlowsLayout:
    """What other sheets need to know about the Cash flows sheet."""

    options: dict[str, OptionCells]
    n_years: int

    def year_range(self, row: int) -> str:
        first = ref(FIRST_YEAR_COLUMN, row, absolute_row=True, absolute_column=True)
        last = ref(
            FIRST_YEAR_COLUMN + self.n_years - 1, row, absolute_row=True, absolute_column=True
        )
        return f"{first}:{last}"


def benefit_profile(scenario: Scenario, option_id: str, line_id: str, n_years: int) -> FloatArray:
    """A benefit line's year profile [share of its first year's outcomes], shape (T,), as the
    engine builds it (``cba.model.compile``: start year, duration and drop-off; for
    ``outcomes_series``, each year's gross outcomes over those of its first year with
    outcomes)."""
    option = next(o for o in scenario.options if o.id == option_id)
    line = next(b for b in option.benefits if b.id == line_id)
    if line.outcomes_series is not None:
        # The series over its first year with outcomes: the Benefit chain sheet's first-year
        # figures times this row give each year's outcomes.
        gross = np.zeros(n_years)
        for year, count in line.outcomes_series.items():
            gross[year - scenario.first_year] = count
        years = sorted(line.outcomes_series)
        span = drop_off_profile(
            years[0] - scenario.first_year, years[-1] - scenario.first_year, line.drop_off, n_years
        )
        first = gross[first_active(gross)]
        return gross * span / first if first > 0 else np.zeros(n_years)
    start = 0 if line.start_year is None else line.start_year - scenario.first_year
    end = n_years - 1 if line.duration_years is None else start + line.duration_years - 1
    return drop_off_profile(start, end, line.drop_off, n_years)


class _Writer:
    def __init__(
        self, sheet: Worksheet, cells: SheetCells, results: Results, scenario: Scenario
    ) -> None:
        self.sheet = sheet
        self.cells = cells
        self.results = results
        self.scenario = scenario
        self.chain: BenefitChainLayout = chain_layout(results)
        self.n = len(results.years)
        self.last_col = FIRST_YEAR_COLUMN + self.n - 1

    def years(self, row: int) -> str:
        """Relative-column range of the year cells of ``row`` (for SUMPRODUCT)."""
        return f"{ref(FIRST_YEAR_COLUMN, row)}:{ref(self.last_col, row)}"

    @staticmethod
    def absolute(column: int, row: int) -> str:
        """``'Cash flows'!$F$12``: a cell as other sheets refer to it."""
        return quote_sheet(TITLE) + ref(column, row, True, True)

    @staticmethod
    def factor_row(health: bool) -> int:
        return ROW_HEALTH_FACTOR if health else ROW_STD_FACTOR

    @staticmethod
    def column_range(column: int, first: int, last: int) -> str:
        """``$E12:$E14``: one column over rows ``first``..``last``."""
        return (
            f"{ref(column, first, absolute_column=True)}:{ref(column, last, absolute_column=True)}"
        )

    def factors(self, health: bool) -> str:
        row = self.factor_row(health)
        return (
            f"{ref(FIRST_YEAR_COLUMN, row, absolute_row=True, absolute_column=True)}:"
            f"{ref(self.last_col, row, absolute_row=True, absolute_column=True)}"
        )

    def pv(self, row: int, health: bool = False, times: str = "") -> str:
        return f"SUMPRODUCT({self.years(row)},{self.factors(health)}){times}"

    def amount_series(self, option_id: str, line_id: str, index: int) -> set[int]:
        """The years a unit value's ``amount_series`` gives (its input cells)."""
        option = next(o for o in self.scenario.options if o.id == option_id)
        line = next(b for b in option.benefits if b.id == line_id)
        return set(line.unit_values[index].amount_series or {})

    # --- the top rows -------------------------------------------------------------------------
    def header(self) -> None:
        r = self.results
        c = self.cells
        c.text(1, 1, f"Cash flows: {r.title}", "cba title")
        c.text(
            2,
            1,
            f"Real GBP at {r.price_base_year} prices; flows undiscounted unless named "
            "discounted; present values at the first appraisal year. Yellow cells are inputs: "
            "change one and every total, PV, NPSV and BCR recalculates. A cost line's public "
            "share follows from who pays it.",
            "cba note",
        )
        merge_across(self.sheet, 2, COL_PV)
        for column, label in (
            (COL_LABEL, "Line"),
            (COL_KIND, "Type"),
            (COL_WHO, "Paid by / agency"),
            (COL_D, "Public share / value [GBP per outcome or year]"),
            (COL_E, "Optimism bias / counted in PVB"),
            (COL_PV, "Present value [GBP]"),
        ):
            c.text(4, column, label, "cba header")
        for i, year in enumerate(r.years):
            col = FIRST_YEAR_COLUMN + i
            c.text(4, col, "Year", "cba header")
            c.value(ROW_YEARS, col, year, "cba year")
            c.value(ROW_OFFSETS, col, i, "cba integer")
        c.text(ROW_YEARS, 1, "Calendar year", "cba label")
        c.text(ROW_OFFSETS, 1, "Year offset t (t = 0 is not discounted)", "cba label")
        by_label = {s.label: s for s in r.schedules}
        for rate_row, factor_row, label in (
            (ROW_STD_RATE, ROW_STD_FACTOR, r.standard_schedule),
            (ROW_HEALTH_RATE, ROW_HEALTH_FACTOR, r.health_schedule),
        ):
            schedule = by_label[label]
            kind = "standard" if rate_row == ROW_STD_RATE else "health"
            c.text(
                rate_row, 1, f"Discount rate r_t, {kind} ({label}) [fraction per year]", "cba label"
            )
            c.text(factor_row, 1, f"Discount factor D_t, {kind} = D_(t-1) / (1 + r_t)", "cba label")
            key = "schedule" if rate_row == ROW_STD_RATE else "health_schedule"
            used = key == "schedule" or any(b.health for o in r.options for b in o.benefits)
            if not used:
                c.text(
                    rate_row,
                    1,
                    f"Discount rate r_t, health ({label}) [fraction per year]: no line uses it",
                    "cba label",
                )
            for i in range(self.n):
                col = FIRST_YEAR_COLUMN + i
                if i == 0 or not used:  # D_0 = 1 whatever r_0 is; unused rates move nothing
                    c.value(rate_row, col, schedule.rates[i], "cba percent")
                else:
                    c.input(
                        rate_row,
                        col,
                        schedule.rates[i],
                        "cba input percent",
                        f"discounting.{key}",
                        f"rate in {r.years[i]} (t = {i})",
                    )
                if i == 0:
                    c.formula(factor_row, col, "1", schedule.factors[0], "cba factor")
                else:
                    formula = f"{ref(col - 1, factor_row)}/(1+{ref(col, rate_row)})"
                    c.formula(factor_row, col, formula, schedule.factors[i], "cba factor")
            if used:
                self.name_bands(rate_row, schedule, "" if key == "schedule" else "health_")

    def name_bands(self, rate_row: int, schedule: ScheduleUsed, prefix: str) -> None:
        """Name each band's input rates ``discount_rate_band_<k>`` (``health_`` before it for
        the health schedule; k from 1 in the schedule's order): the year cells from the band's
        first year offset (1 at the earliest: year 0 is not discounted) to the day before the
        next band's, within the appraisal period. A band wholly outside it is not named."""
        workbook = self.sheet.parent
        if workbook is None:
            return
        starts = [first for first, _ in schedule.bands]
        for k, first in enumerate(starts, start=1):
            end = starts[k] - 1 if k < len(starts) else self.n - 1
            offsets = range(max(first, 1), min(end, self.n - 1) + 1)
            define_range_name(
                workbook,
                f"{prefix}discount_rate_band_{k}",
                self.sheet.title,
                [(rate_row, FIRST_YEAR_COLUMN + i) for i in offsets],
            )

    # --- one option ---------------------------------------------------------------------------
    def option_block(
        self, option: OptionResult, start: int, counterfactual: OptionCells | None
    ) -> tuple[int, OptionCells]:
        c = self.cells
        public = {a.agency_id for a in option.agencies_gross if a.sector == "public"}
        role = " (counterfactual)" if option.is_counterfactual else ""
        c.text(start, 1, f"{option.name} [{option.option_id}]{role}", "cba heading")
        row = start + 1
        out = OptionCells()

        def section(label: str) -> None:
            nonlocal row
            c.text(row, 1, label, "cba header")
            row += 1

        # costs
        section("Costs [GBP per year, before optimism bias]")
        cost_rows = []
        spec = next(o for o in self.scenario.options if o.id == option.option_id)
        for line in option.costs:
            share = sum(v for k, v in line.paid_by.items() if k in public)
            payers = paid_by_text(line.paid_by)
            path = f"options.{option.option_id}.costs.{line.line_id}"
            by_series = next(x for x in spec.costs if x.id == line.line_id).series is not None
            c.text(row, COL_LABEL, f"{line.name} [{line.line_id}]")
            c.text(row, COL_KIND, line.category)
            c.text(row, COL_WHO, payers)
            c.value(row, COL_D, share, "cba percent")
            c.input(row, COL_E, line.optimism_bias, "cba input percent", f"{path}.optimism_bias")
            c.formula(
                row, COL_PV, self.pv(row, times=f"*(1+{ref(COL_E, row)})"), line.pv, "cba money"
            )
            for i, amount in enumerate(line.flows_before_optimism_bias):
                year = self.results.years[i]
                if by_series:
                    where, detail = f"{path}.series.{year}", ""
                else:
                    where, detail = f"{path}.amount_per_year", f"in {year}"
                c.input(row, FIRST_YEAR_COLUMN + i, amount, "cba input money", where, detail)
            cost_rows.append(row)
            out.cost_pvs.append((self.absolute(COL_PV, row), dict(line.paid_by)))
            row += 1
        public_row = row
        non_public_row = row + 1
        for total_row, label, values, pv, share_expr in (
            (
                public_row,
                "Public costs, after optimism bias",
                option.yearly.public_costs,
                option.gross.pv_public_costs,
                "{d}",
            ),
            (
                non_public_row,
                "Non-public costs, after optimism bias",
                option.yearly.non_public_costs,
                option.gross.pv_non_public_costs,
                "(1-{d})",
            ),
        ):
            c.text(total_row, COL_LABEL, label, "cba label")
            for i in range(self.n):
                col = FIRST_YEAR_COLUMN + i
                if cost_rows:
                    first, last = cost_rows[0], cost_rows[-1]
                    block = f"{ref(col, first)}:{ref(col, last)}"
                    ob = self.column_range(COL_E, first, last)
                    d = self.column_range(COL_D, first, last)
                    formula = f"SUMPRODUCT({block},1+{ob},{share_expr.format(d=d)})"
                else:
                    formula = "0"
                c.formula(total_row, col, formula, values[i], "cba money")
            c.formula(total_row, COL_PV, self.pv(total_row), pv, "cba total money")
        row = non_public_row + 1

        # community inputs
        section("Community inputs, valued [GBP per year]")
        input_rows = []
        for item in option.community_inputs:
            c.text(row, COL_LABEL, f"{item.name} [{item.line_id}]")
            c.text(row, COL_KIND, item.kind.replace("_", " "))
            c.text(row, COL_WHO, item.contributed_by)
            c.formula(row, COL_PV, self.pv(row), item.pv, "cba money")
            # one input, the value per year; each year is that value while the input runs
            per_year = max(item.flows, key=abs, default=0.0)
            path = f"options.{option.option_id}.community_inputs.{item.line_id}"
            if item.kind == "time":
                c.input(row, COL_D, per_year, "cba input money", path, "value per year")
            else:
                c.input(row, COL_D, per_year, "cba input money", f"{path}.value_per_year")
            per_year_cell = ref(COL_D, row, absolute_column=True)
            for i, amount in enumerate(item.flows):
                col = FIRST_YEAR_COLUMN + i
                if amount == 0.0:
                    c.value(row, col, 0.0, "cba money")
                elif amount == per_year:
                    c.formula(row, col, per_year_cell, amount, "cba money")
                else:
                    c.formula(
                        row, col, f"{per_year_cell}*{amount / per_year!r}", amount, "cba money"
                    )
            input_rows.append(row)
            out.input_pvs.append((self.absolute(COL_PV, row), item.contributed_by))
            row += 1
        community_row = row
        c.text(community_row, COL_LABEL, "Community inputs, valued (total)", "cba label")
        for i in range(self.n):
            col = FIRST_YEAR_COLUMN + i
            formula = (
                f"SUM({ref(col, input_rows[0])}:{ref(col, input_rows[-1])})" if input_rows else "0"
            )
            c.formula(community_row, col, formula, option.yearly.community_inputs[i], "cba money")
        c.formula(
            community_row,
            COL_PV,
            self.pv(community_row),
            option.gross.pv_community_inputs,
            "cba total money",
        )
        row += 1

        # benefits
        section("Benefits [net outcomes per year; value GBP per year]")
        components: list[tuple[int, bool]] = []  # (row, health)
        cashable_rows: list[tuple[int, bool]] = []  # (row, health) of cashable fiscal values
        for benefit in option.benefits:
            profile_row, outcome_row = row, row + 1
            kind = "health schedule" if benefit.health else "standard schedule"
            c.text(
                profile_row,
                COL_LABEL,
                f"{benefit.name} [{benefit.line_id}]: year profile (share of the first year's "
                "outcomes; timing and drop-off fixed at the run)",
            )
            profile = benefit_profile(self.scenario, option.option_id, benefit.line_id, self.n)
            for i, share in enumerate(profile):
                c.value(profile_row, FIRST_YEAR_COLUMN + i, float(share), "cba factor")
            net = self.chain.net_outcomes(option.option_id, benefit.line_id, len(benefit.chain))
            c.text(
                outcome_row,
                COL_LABEL,
                f"{benefit.name} [{benefit.line_id}]: net outcomes (Benefit chain x profile)",
            )
            c.text(outcome_row, COL_KIND, kind)
            for i, outcomes in enumerate(benefit.net_outcomes):
                col = FIRST_YEAR_COLUMN + i
                c.formula(outcome_row, col, f"{net}*{ref(col, profile_row)}", outcomes, "cba count")
            row = outcome_row + 1
            for index, component in enumerate(benefit.components):
                flags = []
                if component.value_type == "fiscal":
                    flags.append("cashable" if component.cashable else "non-cashable")
                if component.transfer:
                    flags.append("transfer")
                label = f"  {component.value_type} value" + (
                    f" ({', '.join(flags)})" if flags else ""
                )
                value_path = (
                    f"options.{option.option_id}.benefits.{benefit.line_id}.unit_values.{index}"
                )
                by_year = component.amounts_by_year
                if by_year is not None:
                    # A value by year: one input per year on its own row, above the value's row.
                    c.text(row, COL_LABEL, f"  {component.value_type} value per outcome, by year")
                    c.text(row, COL_KIND, "GBP per outcome")
                    given = self.amount_series(option.option_id, benefit.line_id, index)
                    for i, amount in enumerate(by_year):
                        year = self.results.years[i]
                        if year in given:
                            c.input(
                                row,
                                FIRST_YEAR_COLUMN + i,
                                amount,
                                "cba input money",
                                f"{value_path}.amount_series.{year}",
                            )
                        else:
                            c.value(row, FIRST_YEAR_COLUMN + i, amount, "cba money")
                    amounts_row: int | None = row
                    row += 1
                else:
                    amounts_row = None
                c.text(row, COL_LABEL, label)
                c.text(row, COL_KIND, component.value_type)
                c.text(row, COL_WHO, component.agency or "")
                if amounts_row is None:
                    c.input(
                        row,
                        COL_D,
                        component.amount_per_outcome,
                        "cba input money",
                        f"{value_path}.amount",
                    )
                else:
                    c.text(row, COL_D, "by year")
                c.value(row, COL_E, 0 if component.transfer else 1, "cba integer")
                c.formula(
                    row, COL_PV, self.pv(row, health=benefit.health), component.pv, "cba money"
                )
                for i, value in enumerate(component.flows):
                    col = FIRST_YEAR_COLUMN + i
                    amount_cell = (
                        ref(COL_D, row, absolute_column=True)
                        if amounts_row is None
                        else ref(col, amounts_row)
                    )
                    c.formula(
                        row, col, f"{ref(col, outcome_row)}*{amount_cell}", value, "cba money"
                    )
                components.append((row, benefit.health))
                if component.value_type == "fiscal" and component.cashable:
                    cashable_rows.append((row, benefit.health))
                out.value_pvs.append(
                    (
                        self.absolute(COL_PV, row),
                        component.value_type,
                        component.agency,
                        component.cashable,
                    )
                )
                if component.transfer:
                    out.transfer_pvs.add(self.absolute(COL_PV, row))
                if benefit.health:
                    out.health_pvs.add(self.absolute(COL_PV, row))
                row += 1
        benefits_row = row
        discounted_benefits_row = row + 1
        out.component_rows = list(components)
        out.flow_rows = {
            "public_costs": public_row,
            "non_public_costs": non_public_row,
            "community_inputs": community_row,
            "benefits": benefits_row,
        }
        c.text(benefits_row, COL_LABEL, "Benefits counted in PVB (transfers excluded)")
        c.text(discounted_benefits_row, COL_LABEL, "Benefits counted in PVB, discounted")
        for i in range(self.n):
            col = FIRST_YEAR_COLUMN + i
            counted = (
                "+".join(
                    f"{ref(col, rr)}*{ref(COL_E, rr, absolute_column=True)}" for rr, _ in components
                )
                or "0"
            )
            discounted = (
                "+".join(
                    f"{ref(col, rr)}*{ref(COL_E, rr, absolute_column=True)}*"
                    f"{ref(col, self.factor_row(health), absolute_row=True)}"
                    for rr, health in components
                )
                or "0"
            )
            c.formula(benefits_row, col, counted, option.yearly.benefits[i], "cba money")
            c.formula(
                discounted_benefits_row,
                col,
                discounted,
                option.yearly.discounted_benefits[i],
                "cba money",
            )
        pvb = "+".join(f"{ref(COL_PV, rr)}*{ref(COL_E, rr)}" for rr, _ in components) or "0"
        c.formula(benefits_row, COL_PV, pvb, option.gross.pv_benefits, "cba total money")
        c.formula(
            discounted_benefits_row,
            COL_PV,
            f"SUM({self.years(discounted_benefits_row)})",
            option.gross.pv_benefits,
            "cba money",
        )
        row = discounted_benefits_row + 1
        burden = self.results.tax_burden
        burden_rows: tuple[int, int] | None = None
        if burden is not None:
            burden_rows = self.tax_burden_rows(row, option, public_row, cashable_rows)
            row += 2

        # net
        net_row, d_net_row, cum_row = row, row + 1, row + 2
        c.text(
            net_row,
            COL_LABEL,
            "Net social benefit (benefits - costs - community inputs"
            + (" - tax burden)" if burden_rows else ")"),
        )
        c.text(d_net_row, COL_LABEL, "Net social benefit, discounted")
        c.text(cum_row, COL_LABEL, "Cumulative discounted net social benefit")
        for i in range(self.n):
            col = FIRST_YEAR_COLUMN + i
            costs = f"{ref(col, public_row)}+{ref(col, non_public_row)}+{ref(col, community_row)}"
            burden_now = burden_then = ""
            if burden_rows is not None:
                burden_now = f"-{ref(col, burden_rows[0])}"
                burden_then = f"-{ref(col, burden_rows[1])}"
            c.formula(
                net_row,
                col,
                f"{ref(col, benefits_row)}-({costs}){burden_now}",
                option.yearly.net[i],
                "cba money",
            )
            c.formula(
                d_net_row,
                col,
                f"{ref(col, discounted_benefits_row)}-({costs})*"
                f"{ref(col, ROW_STD_FACTOR, absolute_row=True)}{burden_then}",
                option.yearly.discounted_net[i],
                "cba money",
            )
            cumulative = (
                ref(col, d_net_row) if i == 0 else f"{ref(col - 1, cum_row)}+{ref(col, d_net_row)}"
            )
            c.formula(
                cum_row, col, cumulative, option.yearly.cumulative_discounted_net[i], "cba money"
            )
        out.discounted_net_row = d_net_row
        row = cum_row + 2

        # headline figures, gross
        pv_cells = {
            "pv_benefits": ref(COL_PV, benefits_row),
            "pv_public_costs": ref(COL_PV, public_row),
            "pv_non_public_costs": ref(COL_PV, non_public_row),
            "pv_community_inputs": ref(COL_PV, community_row),
        }
        if burden_rows is not None:
            pv_cells["pv_marginal_excess_tax_burden"] = ref(COL_PV, burden_rows[0])
        row = self.headline(
            row, "Headline figures, this option alone (gross)", pv_cells, option, "gross", out.gross
        )
        if counterfactual is not None:
            inc = {
                name: f"{cell}-{counterfactual.gross[name].split('!')[1]}"
                for name, cell in pv_cells.items()
            }
            row = self.headline(
                row,
                "Against the counterfactual (incremental)",
                inc,
                option,
                "incremental",
                out.incremental,
                differences=True,
            )
            inc_row, inc_cum_row = row, row + 1
            c.text(inc_row, COL_LABEL, "Incremental net social benefit, discounted")
            c.text(inc_cum_row, COL_LABEL, "Cumulative incremental discounted net benefit")
            cf_row = counterfactual.discounted_net_row
            for i in range(self.n):
                col = FIRST_YEAR_COLUMN + i
                c.formula(
                    inc_row,
                    col,
                    f"{ref(col, d_net_row)}-{ref(col, cf_row)}",
                    option.yearly_incremental.discounted_net[i],
                    "cba money",
                )
                cumulative = (
                    ref(col, inc_row)
                    if i == 0
                    else f"{ref(col - 1, inc_cum_row)}+{ref(col, inc_row)}"
                )
                c.formula(
                    inc_cum_row,
                    col,
                    cumulative,
                    option.yearly_incremental.cumulative_discounted_net[i],
                    "cba money",
                )
            out.incremental_rows = (inc_row, inc_cum_row)
            row = inc_cum_row + 1
        return row + 1, out

    def tax_burden_rows(
        self,
        row: int,
        option: OptionResult,
        public_row: int,
        cashable_rows: list[tuple[int, bool]],
    ) -> tuple[int, int]:
        """Two rows: the marginal excess tax burden each year, uplift (column D) x (public
        costs - cashable fiscal savings), and the same discounted, each flow on its own
        schedule (docs/methods.md §19). Returns (row, discounted row)."""
        c = self.cells
        burden = self.results.tax_burden
        assert burden is not None
        applied = option.option_id in burden.options
        d_row = row + 1
        c.text(
            row,
            COL_LABEL,
            "Marginal excess tax burden = uplift x (public costs - cashable fiscal savings)"
            if applied
            else "Marginal excess tax burden: not applied to this option",
        )
        c.text(row, COL_KIND, "tax burden")
        if applied:
            c.input(
                row, COL_D, burden.uplift, "cba input percent", "marginal_excess_tax_burden.uplift"
            )
        else:
            c.value(row, COL_D, 0.0, "cba percent")
        c.text(d_row, COL_LABEL, "Marginal excess tax burden, discounted")
        uplift = ref(COL_D, row, absolute_column=True)
        for i in range(self.n):
            col = FIRST_YEAR_COLUMN + i
            std = ref(col, ROW_STD_FACTOR, absolute_row=True)
            savings = "".join(f"-{ref(col, r)}" for r, _ in cashable_rows)
            d_savings = "".join(
                f"-{ref(col, r)}*{ref(col, self.factor_row(h), absolute_row=True)}"
                for r, h in cashable_rows
            )
            value = option.yearly.marginal_excess_tax_burden[i]
            c.formula(row, col, f"{uplift}*({ref(col, public_row)}{savings})", value, "cba money")
            discounted = option.yearly.discounted_marginal_excess_tax_burden[i]
            c.formula(
                d_row,
                col,
                f"{uplift}*({ref(col, public_row)}*{std}{d_savings})",
                discounted,
                "cba money",
            )
        pv = option.gross.pv_marginal_excess_tax_burden
        pv_savings = "".join(f"-{ref(COL_PV, r)}" for r, _ in cashable_rows)
        c.formula(
            row, COL_PV, f"{uplift}*({ref(COL_PV, public_row)}{pv_savings})", pv, "cba total money"
        )
        c.formula(d_row, COL_PV, f"SUM({self.years(d_row)})", pv, "cba money")
        return row, d_row

    def headline(
        self,
        row: int,
        title: str,
        pv: dict[str, str],
        option: OptionResult,
        basis: str,
        into: dict[str, str],
        differences: bool = False,
    ) -> int:
        c = self.cells
        m = getattr(option, basis)
        c.text(row, COL_LABEL, title, "cba header")
        row += 1
        cells: dict[str, str] = {}

        def put(name: str, label: str, formula: str, expected: float | None, style: str) -> None:
            nonlocal row
            c.text(row, COL_LABEL, label)
            c.formula(row, COL_PV, formula, expected, style)
            cells[name] = ref(COL_PV, row)
            into[name] = quote_sheet(TITLE) + ref(COL_PV, row, True, True)
            row += 1

        for name, label in (
            ("pv_benefits", "PV benefits (PVB)"),
            ("pv_public_costs", "PV public costs"),
            ("pv_non_public_costs", "PV non-public costs"),
            ("pv_community_inputs", "PV community inputs (valued)"),
        ):
            put(name, label, pv[name], getattr(m, name), "cba money")
        b, p, o, k = (
            cells["pv_benefits"],
            cells["pv_public_costs"],
            cells["pv_non_public_costs"],
            cells["pv_community_inputs"],
        )
        t = ""  # the marginal excess tax burden, where one is applied: netted like other costs
        if "pv_marginal_excess_tax_burden" in pv:
            name = "pv_marginal_excess_tax_burden"
            put(name, "PV marginal excess tax burden", pv[name], getattr(m, name), "cba money")
            t = f"-{cells[name]}"
        put(
            "npsv", "NPSV (community inputs valued)", f"{b}-{p}-{o}-{k}{t}", m.npsv, "cba highlight"
        )
        put(
            "npsv_excluding_community_inputs",
            "NPSV excluding community inputs",
            f"{b}-{p}-{o}{t}",
            m.npsv_excluding_community_inputs,
            "cba money",
        )
        put(
            "bcr_public",
            "BCR over public costs = (PVB - non-public costs"
            + (" - tax burden" if t else "")
            + ") / public costs",
            f'IF({p}>0,({b}-{o}{t})/{p},"undefined")',
            m.bcr_public,
            "cba ratio",
        )
        put(
            "bcr_public_and_community",
            "BCR over public costs + community inputs",
            f'IF({p}+{k}>0,({b}-{o}{t})/({p}+{k}),"undefined")',
            m.bcr_public_and_community,
            "cba ratio",
        )
        del differences
        return row


def write_cash_flows(
    sheet: Worksheet, cells: SheetCells, results: Results, scenario: Scenario
) -> CashFlowsLayout:
    """Fill the Cash flows sheet; the counterfactual's block comes first. ``scenario`` is the
    one ``results`` were computed from (for the benefit lines' year profiles)."""
    prepare_sheet(sheet)
    writer = _Writer(sheet, cells, results, scenario)
    writer.header()
    ordered = sorted(results.options, key=lambda o: not o.is_counterfactual)
    row = FIRST_BLOCK_ROW
    layout: dict[str, OptionCells] = {}
    counterfactual: OptionCells | None = None
    for option in ordered:
        row, cells_of_option = writer.option_block(option, row, counterfactual)
        layout[option.option_id] = cells_of_option
        if option.is_counterfactual:
            counterfactual = cells_of_option
    sheet.freeze_panes = ref(FIRST_YEAR_COLUMN, FIRST_BLOCK_ROW - 1)
    sheet.column_dimensions["A"].width = 56
    for letter, width in (("B", 16), ("C", 22), ("D", 16), ("E", 14), ("F", 16)):
        sheet.column_dimensions[letter].width = width
    year_width = year_column_width(results)
    for i in range(len(results.years)):
        sheet.column_dimensions[get_column_letter(FIRST_YEAR_COLUMN + i)].width = year_width
    finish_sheet(sheet, cells.ledger)
    return CashFlowsLayout(options=layout, n_years=len(results.years))


def year_column_width(results: Results) -> float:
    """Width of the year columns [characters]: at least 12, and wide enough for the largest
    yearly amount with a minus sign and pence (inputs show pence), so none shows as ####."""
    largest = max(
        (
            abs(amount)
            for option in results.options
            for flows in (
                *(line.flows_before_optimism_bias for line in option.costs),
                *(item.flows for item in option.community_inputs),
                *(part.flows for benefit in option.benefits for part in benefit.components),
                option.yearly.net,
                option.yearly.cumulative_discounted_net,
            )
            for amount in flows
        ),
        default=0.0,
    )
    return max(12.0, len(f"-£{largest:,.2f}") + 2.0)
