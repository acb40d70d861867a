"""The Portfolio sheet of ``cba allocate``'s workbook: what a neighbourhood board decides on.

From the top: the board, the envelope and the finding; the chosen schemes (scale, NPSV, PV
public costs, spend, BCR) with the portfolio's totals; the limits (limit, used, unused,
binding, NPSV per £1 more); each agency's contribution by year and in total, against its
limit, with its net position; funding in order of BCR beside the optimum, scheme by scheme,
with the NPSV it leaves on the table; and a chart of the two portfolios' NPSV by scheme.

Totals, unused amounts, "binding" and the NPSV left on the table are live formulas over the
table cells, each recorded with the engine's value (cached in the file; a real spreadsheet
program recalculates them to the same figures). Every other figure is the engine's. Text from
the budget and scenario files (names, ids) is written as text, never as a formula.
"""

from __future__ import annotations

from openpyxl.cell.cell import Cell
from openpyxl.chart import Reference
from openpyxl.styles import Alignment  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from cba.allocation_results import Allocation, LimitUse, SchemeChoice
from cba.io.workbook.cells import SheetCells, ref, wrapped_note
from cba.io.workbook.charts import bar_chart
from cba.io.workbook.layout import finish_sheet, merge_across, prepare_sheet

TITLE = "Portfolio"

LABEL_WIDTH = 42.0
"""Column A: scheme, limit and agency names [characters]."""
FIGURE_WIDTH = 16.0
"""Every other column: figures up to £99,999,999 and their headers [characters]."""
NOTE_COLUMNS = 8
"""Notes and headings span columns A to H."""
MARGINAL_FORMAT = "#,##0.000"
OUTCOMES_FORMAT = "#,##0.0"
"""Outcomes (the outcomes objective) [discounted outcomes], to one decimal as the terminal
shows them."""
"""NPSV per £1 more in a limit [GBP per GBP], to three decimals as the terminal shows it."""
BINDING_SLACK = 1.0
"""A limit with less than this unused is binding [GBP] (as ``cba.allocate``)."""


CHART_ROWS = 24
"""Rows the comparison chart takes below its anchor (11 cm at the default row height)."""


def scale_text(choice: SchemeChoice) -> str:
    """How a scheme is funded: its scale and driver, ``whole`` (all or nothing) or ``no``."""
    if not choice.funded:
        return "no"
    if choice.scale is None:
        return "whole"
    number = f"{choice.scale:,.4g}"
    return f"{number} {choice.driver}" if choice.driver else number


def _limit_text(allocation: Allocation, agency_id: str | None) -> str:
    """A limit in words: ``£1,300,000 in total; £420,000 in 2024``, or ``no limit``."""
    parts = [
        f"£{limit.limit:,.0f} " + ("in total" if limit.year is None else f"in {limit.year}")
        for limit in allocation.limits
        if limit.agency_id == agency_id
    ]
    return "; ".join(parts) if parts else "no limit of its own (the envelope's apply)"


class _Writer:
    def __init__(
        self,
        sheet: Worksheet,
        cells: SheetCells,
        allocation: Allocation,
        title: str,
    ) -> None:
        self.sheet = sheet
        self.c = cells
        self.allocation = allocation
        contributions = allocation.optimal.agencies
        self.contributions = {a.agency_id: a for a in contributions}
        self.title = title
        years = {y for a in contributions for y in a.by_year}
        years |= {limit.year for limit in allocation.limits if limit.year is not None}
        period = allocation.period
        self.years = sorted(y for y in years if period is None or period[0] <= y <= period[1])
        """The rows of the agencies' table: the budget period's years (every year without
        one); costs after it are shown as commitments, outside the totals."""

    def heading(self, row: int, text: str, last_column: int = NOTE_COLUMNS) -> None:
        self.c.text(row, 1, text, "cba heading")
        merge_across(self.sheet, row, last_column)

    def headers(self, row: int, labels: list[str]) -> None:
        for column, label in enumerate(labels, start=1):
            self.c.text(row, column, label, "cba header")

    def write(self) -> None:
        allocation, c = self.allocation, self.c
        self.sheet.column_dimensions["A"].width = LABEL_WIDTH
        last = max(NOTE_COLUMNS, len(allocation.optimal.agencies) + 2)
        for column in range(2, last + 1):
            self.sheet.column_dimensions[get_column_letter(column)].width = FIGURE_WIDTH
        c.text(1, 1, f"Portfolio: {self.title}", "cba title")
        wrapped_note(
            c,
            2,
            f"For the {allocation.board}. The schemes, and the scale of each, that give the "
            f"most {self.objective_words()} within the pooled envelope and every "
            "agency's limits, chosen by a mixed-integer programme, beside the usual practice "
            "of funding in order of BCR while it fits (docs/allocation.md). NPSV and PV costs "
            "are present values; spend, contributions and limits are incremental public "
            f"costs, undiscounted; all real GBP at {allocation.price_base_year} prices."
            + (
                f" Why this objective: {allocation.objective.why}"
                if allocation.objective.why
                else ""
            ),
            NOTE_COLUMNS,
            130,
        )
        wrapped_note(
            c,
            3,
            f"Envelope: {_limit_text(allocation, None)}"
            + (
                ""
                if allocation.period is None
                else f", for the budget period {allocation.period[0]}-{allocation.period[1]}"
            )
            + ".",
            NOTE_COLUMNS,
            130,
            "cba text",
        )
        wrapped_note(c, 4, allocation.statement, NOTE_COLUMNS, 130, "cba text")
        row = self.chosen(6)
        row = self.limits(row + 2)
        row = self.agencies(row + 2)
        # The ranking (with its chart) and the uncertainty results each start a printed page,
        # so no table is split from its header.
        self.sheet.row_breaks.append(Break(id=row + 1))
        row = self.ranking(row + 2)
        if allocation.uncertainty is not None:
            self.sheet.row_breaks.append(Break(id=row + CHART_ROWS - 1))
            self.under_uncertainty(row + CHART_ROWS)

    @property
    def other_objective(self) -> bool:
        """Whether the objective is not the NPSV (the chosen schemes then show it too)."""
        return self.allocation.objective.measure != "npsv"

    def short_label(self) -> str:
        """The objective's name in a header: NPSV, public value ..., or the outcomes' unit."""
        objective = self.allocation.objective
        label = "NPSV" if objective.measure == "npsv" else objective.label
        return label[0].upper() + label[1:]

    def marginal_per(self) -> int:
        """Marginal values are shown per £1 more, outcomes per £1,000 (fractions of an outcome
        per £ would round to nothing)."""
        return 1 if self.allocation.objective.money else 1000

    def objective_words(self) -> str:
        """The objective in a sentence's words."""
        objective = self.allocation.objective
        if objective.measure == "npsv":
            return "net present social value (NPSV)"
        if objective.money:
            return objective.label
        return (
            f"{objective.label} (discounted net outcomes of {', '.join(objective.outcome_lines)})"
        )

    def objective_header(self, prefix: str = "") -> str:
        """The objective's column header, with its unit."""
        objective = self.allocation.objective
        label = "NPSV" if objective.measure == "npsv" else objective.label
        unit = "GBP, PV" if objective.money else "discounted"
        text = f"{prefix}{label} [{unit}]"
        return text[0].upper() + text[1:]

    def objective_style(self, total: bool = False) -> str:
        """Named style of the objective's cells (money; outcomes then get their own number
        format from :meth:`in_units`)."""
        return "cba total money" if total else "cba money"

    def in_units(self, cell: Cell) -> Cell:
        """An objective's cell in its unit: outcomes to one decimal, not pounds."""
        if not self.allocation.objective.money:
            cell.number_format = OUTCOMES_FORMAT
        return cell

    def chosen(self, row: int) -> int:
        """The optimal portfolio, scheme by scheme, with its totals; the next free row."""
        c, best = self.c, self.allocation.optimal
        self.heading(row, "The chosen schemes (the optimum)")
        self.headers(
            row + 1,
            [
                "Scheme",
                "Funded",
                "NPSV [GBP, PV]",
                "PV public costs [GBP]",
                "Spend [GBP]",
                "BCR as proposed",
                *([self.objective_header()] if self.other_objective else []),
            ],
        )
        first = row + 2
        for r, choice in enumerate(best.schemes, start=first):
            c.text(r, 1, choice.name)
            c.text(r, 2, scale_text(choice), "cba text").alignment = _right()
            c.value(r, 3, choice.npsv, "cba money")
            c.value(r, 4, choice.pv_public_costs, "cba money")
            c.value(r, 5, choice.spent, "cba money")
            c.value(r, 6, choice.bcr_public, "cba ratio")
            if self.other_objective:
                self.in_units(c.value(r, 7, choice.objective_value, self.objective_style()))
        r = first + len(best.schemes)
        c.text(r, 1, "Interactions between funded schemes")
        c.value(r, 3, best.interaction_npsv, "cba money")
        total = r + 1
        c.text(total, 1, "Portfolio", "cba header")
        c.formula(total, 3, f"SUM({ref(3, first)}:{ref(3, r)})", best.npsv, "cba total money")
        for column, expected in ((4, best.pv_public_costs), (5, best.spent)):
            span = f"{ref(column, first)}:{ref(column, r - 1)}"
            c.formula(total, column, f"SUM({span})", expected, "cba total money")
        c.value(total, 6, best.bcr_public, "cba ratio")
        if self.other_objective:
            self.in_units(c.value(r, 7, best.interaction_objective, self.objective_style()))
            self.in_units(
                c.formula(
                    total,
                    7,
                    f"SUM({ref(7, first)}:{ref(7, r)})",
                    best.objective_value,
                    self.objective_style(total=True),
                )
            )
        wrapped_note(
            c,
            total + 1,
            "BCR as proposed: each scheme's BCR over public costs at the scale its scenario "
            "describes (the ranking's key); the portfolio's is (PV benefits - PV non-public "
            "costs + interactions) / PV public costs.",
            NOTE_COLUMNS,
            130,
        )
        return total + 1

    def limits(self, row: int) -> int:
        """The limits, their use by the optimum and their marginal values; the next free row."""
        c = self.c
        self.heading(row, "Limits: the envelope's and each agency's")
        self.headers(
            row + 1,
            [
                "Limit",
                "Limit [GBP]",
                "Used [GBP]",
                "Unused [GBP]",
                "Binding",
                f"{self.short_label()} per £{self.marginal_per():,} more",
            ],
        )
        r = row + 1
        for r, limit in enumerate(self.allocation.limits, start=row + 2):
            self.limit_row(r, limit)
        wrapped_note(
            c,
            r + 1,
            f"Binding: less than £{BINDING_SLACK:,.0f} unused. {self.short_label()} per "
            f"£{self.marginal_per():,} more: found by "
            f"re-solving with £{self.allocation.marginal_step:,.0f} more in that limit alone; "
            "zero for a limit with room to spare.",
            NOTE_COLUMNS,
            130,
        )
        return r + 1

    def limit_row(self, r: int, limit: LimitUse) -> None:
        c = self.c
        c.text(r, 1, limit.label)
        c.value(r, 2, limit.limit, "cba money")
        c.value(r, 3, limit.used, "cba money")
        c.formula(r, 4, f"{ref(2, r)}-{ref(3, r)}", limit.unused, "cba money")
        cell = c.formula(
            r,
            5,
            f'IF({ref(4, r)}<{BINDING_SLACK:g},"yes","no")',
            "yes" if limit.binding else "no",
            "cba text",
        )
        cell.alignment = _right()
        per = self.marginal_per()
        marginal = c.value(
            r, 6, None if limit.marginal_value is None else limit.marginal_value * per, "cba number"
        )
        if limit.marginal_value is not None:
            marginal.number_format = MARGINAL_FORMAT

    def agencies(self, row: int) -> int:
        """Each agency's contribution by year (a column per agency, a row per year) and in
        total, its limit over all years and what is left of it, and its net position; the
        next free row."""
        c, best, limits = self.c, self.allocation.optimal, self.allocation.limits
        agencies = best.agencies
        all_col = 2 + len(agencies)
        last = max(NOTE_COLUMNS, all_col)
        self.heading(row, "What each agency contributes, by year [GBP, undiscounted]", last)
        self.headers(row + 1, ["Year", *(a.agency_id for a in agencies), "All agencies"])
        first = row + 2
        r = row + 1
        for r, year in enumerate(self.years, start=first):
            c.text(r, 1, str(year))
            for k, agency in enumerate(agencies):
                paid = self.contributions.get(agency.agency_id)
                amount = paid.by_year.get(year, 0.0) if paid is not None else 0.0
                c.value(r, 2 + k, amount, "cba money")
            c.formula(
                r,
                all_col,
                f"SUM({ref(2, r)}:{ref(all_col - 1, r)})",
                sum(paid.by_year.get(year, 0.0) for paid in self.contributions.values()),
                "cba money",
            )
        total, limit_row, unused_row, net_row = r + 1, r + 2, r + 3, r + 4
        period = self.allocation.period
        span = "all years" if period is None else f"{period[0]}-{period[1]}"
        c.text(total, 1, f"Total, {span}", "cba header")
        c.text(limit_row, 1, f"Limit over {span}")
        c.text(unused_row, 1, "Unused of that limit")
        c.text(net_row, 1, "Net position [GBP, PV]")
        for k, each in enumerate([*agencies, None]):
            column = 2 + k
            paid = self.contributions.get(each.agency_id) if each is not None else None
            expected = (
                best.spent
                if each is None
                else sum(paid.by_year.get(y, 0.0) for y in self.years)
                if paid is not None
                else 0.0
            )
            c.formula(
                total,
                column,
                f"SUM({ref(column, first)}:{ref(column, total - 1)})",
                expected,
                "cba total money",
            )
            if each is None:
                continue
            own = [x for x in limits if x.agency_id == each.agency_id and x.year is None]
            if own:
                c.value(limit_row, column, own[0].limit, "cba money")
                c.formula(
                    unused_row,
                    column,
                    f"{ref(column, limit_row)}-{ref(column, total)}",
                    own[0].limit - expected,
                    "cba money",
                )
            else:
                c.text(limit_row, column, "none", "cba text").alignment = _right()
            c.value(net_row, column, each.net_position, "cba money")
        wrapped_note(
            c,
            net_row + 1,
            "Contributions: each agency's share of the funded schemes' public costs (the "
            "schemes' paid_by shares) less the counterfactuals'. Net position: the agency's "
            "fiscal and other gains less what it pays and gives, present value; an agency that "
            "pays nothing may still gain or give (volunteers' time)."
            + (
                ""
                if period is None
                else f" The budget covers {period[0]}-{period[1]}: the funded schemes' public "
                f"costs after {period[1]}, £{best.committed_after_period:,.0f}, are "
                "commitments beyond it, not in these totals."
            ),
            last,
            130,
        )
        return net_row + 1

    def under_uncertainty(self, row: int) -> int:
        """Each scheme's probability of being funded over the uncertainty draws, its mean scale
        when funded, and the spread of the optimal portfolio's NPSV; the next free row. Engine
        values (no formula can re-solve the programme); the re-solve time is not written, so
        the workbook is the same on every run."""
        c, found = self.c, self.allocation.uncertainty
        assert found is not None
        drivers = {s.scheme_id: s.driver for s in self.allocation.optimal.schemes}
        names = {s.scheme_id: s.name for s in self.allocation.optimal.schemes}
        self.heading(
            row, f"Under uncertainty: the optimum re-solved at each of {found.draws:,} draws"
        )
        self.headers(row + 1, ["Scheme", "Uncertain", "P(funded)", "Mean scale if funded"])
        r = row + 1
        for r, scheme in enumerate(found.schemes, start=row + 2):
            c.text(r, 1, names.get(scheme.scheme_id, scheme.scheme_id))
            c.text(r, 2, "yes" if scheme.uncertain else "no").alignment = _right()
            c.value(r, 3, scheme.funded_probability, "cba percent")
            driver = drivers.get(scheme.scheme_id)
            shown = (
                "-"
                if scheme.mean_scale is None
                else f"{scheme.mean_scale:,.4g} {driver}"
                if driver
                else f"{scheme.mean_scale:,.4g}"
            )
            c.text(r, 4, shown).alignment = _right()
        r += 1
        for label, value in (
            ("Optimal portfolio's NPSV, mean [GBP, PV]", found.npsv_mean),
            ("5th percentile", found.npsv_p5),
            ("Median", found.npsv_p50),
            ("95th percentile", found.npsv_p95),
            ("The central portfolio's NPSV, mean", found.central_npsv_mean),
        ):
            r += 1
            c.text(r, 1, label)
            c.value(r, 3, value, "cba money")
        r += 1
        c.text(r, 1, "P(the central portfolio is still optimal)")
        c.value(r, 3, found.central_optimal_probability, "cba percent")
        wrapped_note(
            c,
            r + 1,
            "Each uncertain scheme's inputs are drawn from its own scenario with its own seed, so "
            "different scenarios' draws are independent; the other schemes, the interactions and "
            "every use of a limit keep their central values (docs/allocation.md).",
            NOTE_COLUMNS,
            130,
        )
        return r + 2

    def ranking(self, row: int) -> int:
        """Funding in order of BCR beside the optimum, the NPSV left on the table, and the
        chart of the two; the next free row."""
        c, best, ranked = self.c, self.allocation.optimal, self.allocation.ranking
        self.heading(row, "Funding in order of BCR while it fits, beside the optimum")
        self.headers(
            row + 1,
            [
                "Scheme, in order of BCR",
                "BCR as proposed",
                "Optimum: funded",
                "Ranking: funded",
                self.objective_header("optimum: "),
                self.objective_header("ranking: "),
                "Difference",
            ],
        )
        style = self.objective_style()
        order = sorted(
            range(len(best.schemes)),
            key=lambda i: (best.schemes[i].bcr_public is None, -(best.schemes[i].bcr_public or 0)),
        )
        first = row + 2
        for r, i in enumerate(order, start=first):
            mine, theirs = best.schemes[i], ranked.schemes[i]
            c.text(r, 1, mine.name)
            c.value(r, 2, mine.bcr_public, "cba ratio")
            c.text(r, 3, scale_text(mine), "cba text").alignment = _right()
            c.text(r, 4, scale_text(theirs), "cba text").alignment = _right()
            self.in_units(c.value(r, 5, mine.objective_value, style))
            self.in_units(c.value(r, 6, theirs.objective_value, style))
            self.in_units(
                c.formula(
                    r,
                    7,
                    f"{ref(5, r)}-{ref(6, r)}",
                    mine.objective_value - theirs.objective_value,
                    style,
                )
            )
        last_scheme = first + len(order) - 1
        r = last_scheme + 1
        c.text(r, 1, "Interactions between funded schemes")
        self.in_units(c.value(r, 5, best.interaction_objective, style))
        self.in_units(c.value(r, 6, ranked.interaction_objective, style))
        self.in_units(
            c.formula(
                r,
                7,
                f"{ref(5, r)}-{ref(6, r)}",
                best.interaction_objective - ranked.interaction_objective,
                style,
            )
        )
        total = r + 1
        objective = self.allocation.objective
        label = "NPSV" if objective.measure == "npsv" else objective.label
        c.text(total, 1, f"Portfolio {label}", "cba header")
        for column, expected in ((5, best.objective_value), (6, ranked.objective_value)):
            span = f"{ref(column, first)}:{ref(column, r)}"
            self.in_units(
                c.formula(total, column, f"SUM({span})", expected, self.objective_style(total=True))
            )
        self.in_units(
            c.formula(
                total,
                7,
                f"{ref(5, total)}-{ref(6, total)}",
                self.allocation.left_on_table,
                self.objective_style(total=True),
            )
        )
        spend = total + 1
        c.text(spend, 1, "Spend [GBP, undiscounted]")
        c.value(spend, 5, best.spent, "cba money")
        c.value(spend, 6, ranked.spent, "cba money")
        left = spend + 1
        c.text(left, 1, f"{self.short_label()} left on the table by the ranking", "cba header")
        self.in_units(
            c.formula(
                left,
                7,
                f"{ref(5, total)}-{ref(6, total)}",
                self.allocation.left_on_table,
                "cba highlight",
            )
        )
        anchor = left + 2
        bar_chart(
            self.sheet,
            f"{self.short_label()} by scheme: the optimum and funding in order of BCR",
            "GBP, present value" if self.allocation.objective.money else "discounted outcomes",
            Reference(self.sheet, min_col=1, min_row=first, max_row=last_scheme),
            Reference(self.sheet, min_col=5, max_col=6, min_row=row + 1, max_row=last_scheme),
            f"A{anchor}",
        )
        return anchor


def _right() -> Alignment:
    """Right-aligned, as figures are: a scale or "no" in a column of figures."""
    return Alignment(horizontal="right")


def write_portfolio(
    sheet: Worksheet,
    cells: SheetCells,
    allocation: Allocation,
    title: str,
) -> None:
    """Write the Portfolio sheet of a feasible allocation (see the module's description);
    ``title`` is the budget's name."""
    if not allocation.feasible:
        raise ValueError("an infeasible budget has no portfolio to show")
    prepare_sheet(sheet)
    _Writer(sheet, cells, allocation, title).write()
    finish_sheet(sheet, cells.ledger)
