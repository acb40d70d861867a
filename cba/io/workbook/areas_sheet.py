"""The Areas sheet of ``cba batch``'s summary workbook: one template appraised in many areas.

Three printed parts. The answer: the title, what the figures are, and for each option compared
its totals and spread across the areas, beside a chart of every area's NPSV in rank order. How
it is spread and made: the areas per band of BCR beside their histogram, the run's conventions
and the attributes every area kept at the template's value, and the rows of the area table that
could not be evaluated. Then the table, one row per area and option, each option's areas in
order of NPSV, highest first, its header repeated on every printed page.

Money is present values [GBP, real at the template's price base year], each area's figures
incremental against the template's counterfactual in that area; ratios [ratio]; probabilities
[0 to 1]. The totals, the counts of areas that pay and do not, the percentiles across areas,
the BCR of the totals and the counts per BCR band are live formulas over the table, each
recorded with the engine's value (cached in the file; a real spreadsheet program recalculates
them to the same figures). Every other figure is the engine's. Text from the area table and
the template (ids, names, problems) is written as text, never as a formula.

No rows are frozen: the table's header sits some fifty rows down, below the summary and the
charts, and freezing there would fix more rows than a screen shows (the rows above it could
not be scrolled to). Printing repeats the header on every page instead.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from openpyxl.chart import BarChart, Reference, ScatterChart
from openpyxl.styles import Alignment  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from cba.batch_results import AreaOptionResult, BatchResults, OptionAcrossAreas
from cba.io.workbook.cells import SheetCells, merge_row, ref, wrapped_note
from cba.io.workbook.charts import POINT_COLOURS, bar_chart, scatter_lines
from cba.io.workbook.layout import (
    column_width,
    finish_sheet,
    merge_across,
    prepare_sheet,
    required_height,
)
from cba.io.workbook.printing import FONT_MARGIN, MIN_SCALE, column_cm, printable_width_cm

TITLE = "Areas"

MONEY_WIDTH = 12.0
"""The table's columns of money: an area's figures up to -£9,999,999 [characters]."""
SUMMARY_WIDTH = 13.0
"""The summary's columns (one per option, over the table's first columns of money): totals up
to -£99,999,999 in bold [characters]."""
RATIO_WIDTH = 9.0
"""The column of BCRs [characters]."""
PROBABILITY_WIDTH = 12.0
"""The column of P(NPSV > 0): its header on one line [characters]."""
RANK_WIDTH = 6.0
CATEGORY_WIDTH = 10.0
"""The value-for-money category ("very high") [characters]."""
TEXT_WIDTHS = {"id": (10.0, 14.0), "name": (12.0, 28.0), "option": (8.0, 20.0)}
"""Smallest and largest width of the text columns, which otherwise fit their longest entry
[characters]; narrowed towards the smallest when the table would otherwise print below
``MIN_SCALE`` (their text then wraps)."""
SHRINKING = (2, 3, 1)
"""The text columns narrowed first when the table is too wide to print (0-based: name, option,
id)."""

BAND_WIDTH = 0.25
"""Width of a band of BCR in the distribution [ratio]."""
BAND_CAP_STEP = 0.5
"""The last band's lower edge is the largest BCR rounded up to a multiple of this [ratio]."""
BAND_CAP_LIMITS = (1.0, 5.0)
"""The last band's lower edge is kept within these [ratio]: DfT's 'very high' starts at 4."""

CHART_HEIGHT_CM = 9
"""Height of each chart [cm]."""
CHART_ROWS = 19
"""Rows of the default height a chart covers (9 cm at 0.53 cm a row, and a row spare)."""
CHART_WIDTH_CM = (15.0, 26.0)
"""Smallest and largest chart width [cm]: a chart fills the columns beside the summary."""
CATEGORY_LABELS = 10
"""The NPSV chart labels each rank for up to three times this many areas; beyond, only the
first and the last."""


@dataclass(frozen=True)
class Column:
    """One column of the area table."""

    header: str
    width: float


@dataclass(frozen=True)
class Band:
    """A band of BCR: ``lower <= BCR < upper`` (None: unbounded on that side) [ratio]."""

    label: str
    lower: float | None
    upper: float | None

    def holds(self, bcr: float) -> bool:
        """Whether ``bcr`` falls in the band (as the band's COUNTIFS counts it)."""
        return (self.lower is None or bcr >= self.lower) and (
            self.upper is None or bcr < self.upper
        )

    def criteria(self, span: str) -> str:
        """The COUNTIFS arguments that count the band over ``span``. Each bound is a number
        in the formula joined to its operator (``">="&0.25``), so a spreadsheet program in
        any locale reads it as the number."""
        parts = []
        if self.lower is not None:
            parts.append(f'{span},">="&{self.lower:g}')
        if self.upper is not None:
            parts.append(f'{span},"<"&{self.upper:g}')
        return ",".join(parts)


def bcr_bands(results: BatchResults) -> list[Band]:
    """Bands of :data:`BAND_WIDTH` from below the first edge up to a cap (the largest BCR
    rounded up to :data:`BAND_CAP_STEP`, within :data:`BAND_CAP_LIMITS`), then one band for
    the cap and over [ratio]."""
    bcrs = [r.bcr_public for r in results.results if r.bcr_public is not None]
    top = max(bcrs, default=BAND_CAP_LIMITS[0])
    cap = math.ceil(top / BAND_CAP_STEP) * BAND_CAP_STEP if top > 0 else BAND_CAP_LIMITS[0]
    cap = min(max(cap, BAND_CAP_LIMITS[0]), BAND_CAP_LIMITS[1])
    steps = round(cap / BAND_WIDTH)
    edges = [k * BAND_WIDTH for k in range(1, steps + 1)]
    bands = [Band(f"< {edges[0]:.2f}", None, edges[0])]
    bands += [Band(f"{a:.2f}–{b:.2f}", a, b) for a, b in itertools.pairwise(edges)]
    bands.append(Band(f"≥ {cap:.2f}", cap, None))
    return bands


def money(amount: float) -> str:
    """An amount as the sheet shows it: ``£1,234`` or ``-£1,234`` [GBP]."""
    return ("-" if amount < 0 else "") + f"£{abs(amount):,.0f}"


def finding(results: BatchResults) -> str:
    """The answer in words: for each option, what it adds up to across the areas and in how
    many it pays."""
    parts = [
        f"{results.template_title}, appraised in {results.evaluated:,} "
        f"area{'s' if results.evaluated != 1 else ''} of {results.table}"
        + (
            f" ({len(results.problems):,} row problem"
            f"{'s' if len(results.problems) != 1 else ''}: see the Areas sheet)"
            if results.problems
            else ""
        )
        + "."
    ]
    for s in results.summaries:
        bcr = "undefined" if s.bcr_public_of_totals is None else f"{s.bcr_public_of_totals:.2f}"
        text = (
            f"{s.name}: total NPSV {money(s.total_npsv)} across the areas with the community's "
            f"inputs valued, {money(s.total_npsv_excluding_community_inputs)} without them "
            f"(present value, {results.price_base_year} prices), BCR of the totals {bcr}; it "
            f"pays (NPSV > 0) in {len(s.areas_paying):,} of {s.areas:,} areas "
            f"({len(s.areas_paying_excluding_community_inputs):,} without the community's "
            f"inputs); the median area's NPSV is {money(s.npsv_percentiles[2])}"
        )
        if s.mean_probability_npsv_positive is not None:
            text += (
                f"; over {results.draws:,} draws per area, the mean chance that NPSV > 0 is "
                f"{s.mean_probability_npsv_positive:.1%}"
            )
        parts.append(text + ".")
    if not results.summaries:
        parts.append("No area could be evaluated.")
    return " ".join(parts)


def _fitted(values: list[str], header: str, limits: tuple[float, float]) -> float:
    """A text column's width: its longest entry or header word, within ``limits``."""
    longest = max([len(v) for v in values] + [len(w) for w in header.split()] + [0])
    return min(max(float(longest + 1), limits[0]), limits[1])


class _Writer:
    def __init__(self, sheet: Worksheet, cells: SheetCells, results: BatchResults) -> None:
        self.sheet = sheet
        self.c = cells
        self.results = results
        self.draws = results.draws > 0
        self.by_key: dict[tuple[str, str], AreaOptionResult] = {
            (r.option_id, r.area_id): r for r in results.results
        }
        results_list = results.results
        self.columns = [
            Column("Rank", RANK_WIDTH),
            Column(
                "Area id", _fitted([r.area_id for r in results_list], "Area id", TEXT_WIDTHS["id"])
            ),
            Column(
                "Area name",
                _fitted([r.name for r in results_list], "Area name", TEXT_WIDTHS["name"]),
            ),
            Column("Option", _fitted(list(results.options), "Option", TEXT_WIDTHS["option"])),
            Column("NPSV [GBP, PV]", MONEY_WIDTH),
            Column("NPSV without community inputs", MONEY_WIDTH),
            Column("PV benefits [GBP]", MONEY_WIDTH),
            Column("PV public costs [GBP]", MONEY_WIDTH),
            Column("PV community inputs [GBP]", MONEY_WIDTH),
            Column("BCR (public)", RATIO_WIDTH),
            Column("Value for money", CATEGORY_WIDTH),
        ]
        if self.draws:
            self.columns += [
                Column("Mean NPSV over the draws", MONEY_WIDTH),
                Column("NPSV, 5th percentile", MONEY_WIDTH),
                Column("NPSV, 95th percentile", MONEY_WIDTH),
                Column("P(NPSV > 0)", PROBABILITY_WIDTH),
            ]
        for k in range(min(max(1, len(results.summaries)), len(self.columns) - 4)):
            each = self.columns[4 + k]
            self.columns[4 + k] = Column(each.header, max(each.width, SUMMARY_WIDTH))
        self.fit_to_page()
        self.last = len(self.columns)
        """The table's last column: notes and headings span the sheet to it."""
        self.value_column = 5
        """The summary's figures start here, one column per option (under the table's NPSV)."""
        self.summary_last = self.value_column + max(1, len(results.summaries)) - 1
        self.first_area_row: dict[str, int] = {}
        """Each option's first row in the table."""

    def fit_to_page(self) -> None:
        """Narrow the text columns (:data:`SHRINKING`, each to its smallest width at most) until
        the table fits one page across at more than ``MIN_SCALE`` (so that printing fits its
        width, and never runs it across pages)."""
        budget = printable_width_cm(self.sheet) * 100.0 / ((MIN_SCALE + 1) * FONT_MARGIN)
        per_character = column_cm(1.0) - column_cm(0.0)
        for index in SHRINKING:
            excess = sum(column_cm(c.width) for c in self.columns) - budget
            if excess <= 0:
                return
            each = self.columns[index]
            smallest = TEXT_WIDTHS[("id", "name", "option")[index - 1]][0]
            narrower = max(smallest, each.width - math.ceil(excess / per_character))
            self.columns[index] = Column(each.header, narrower)

    # --- the table's columns, 1-based ---------------------------------------------------------
    NPSV, WITHOUT, BENEFITS, PUBLIC, COMMUNITY, BCR, CATEGORY = 5, 6, 7, 8, 9, 10, 11
    MEAN, P5, P95, PROBABILITY = 12, 13, 14, 15

    def span(self, option_id: str, column: int) -> str:
        """An option's block of a table column, absolute (``$E$60:$E$359``)."""
        first = self.first_area_row[option_id]
        last = first + self.results.evaluated - 1
        letter = get_column_letter(column)
        return f"${letter}${first}:${letter}${last}"

    def tall_enough(self, row: int) -> None:
        """Make a header row tall enough for its wrapped headers in a font as much as
        ``FONT_MARGIN`` wider than Calibri (a program without it draws bold headers wider,
        and needs a line more than :func:`~cba.io.workbook.layout.fit_rows` plans)."""
        needed = 0.0
        ends = {
            m.min_col: m.max_col
            for m in self.sheet.merged_cells.ranges
            if m.min_row == m.max_row == row
        }
        for column in range(1, max(self.last, self.summary_last) + 1):
            cell = self.sheet._cells.get((row, column))
            if cell is None or not isinstance(cell.value, str):
                continue
            spanned = range(column, ends.get(column, column) + 1)
            width = sum(column_width(self.sheet, j) for j in spanned)
            needed = max(needed, required_height(cell.value, width / FONT_MARGIN, bold=True))
        self.sheet.row_dimensions[row].height = needed

    def indent_header(self, row: int) -> None:
        """Indent column B's header (area ids), clear of the right-aligned figures' header in
        column A before it."""
        self.sheet.cell(row, 2).alignment = Alignment(
            horizontal="left", vertical="bottom", wrap_text=True, indent=1
        )

    def heading(self, row: int, text: str, last_column: int | None = None) -> None:
        self.c.text(row, 1, text, "cba heading")
        merge_across(self.sheet, row, last_column or self.last)

    def label(self, row: int, text: str, style: str = "cba label") -> None:
        """A row label across the table's four text columns (A to D)."""
        self.c.text(row, 1, text, style)
        merge_row(self.sheet, row, 1, self.value_column - 1)

    def write(self) -> None:
        results, c, sheet = self.results, self.c, self.sheet
        for column, each in enumerate(self.columns, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = each.width
        for column in range(self.last + 1, self.summary_last + 1):  # more options than columns
            sheet.column_dimensions[get_column_letter(column)].width = SUMMARY_WIDTH
        c.text(1, 1, f"Areas: {results.template_title}", "cba title")
        characters = int(sum(col.width for col in self.columns) * 1.1)
        draws = (
            f" With uncertainty: {results.draws:,} Monte Carlo draws per area, seed "
            f"{results.seed}; mean, 5th and 95th percentile of NPSV and P(NPSV > 0) are over "
            "each area's own draws."
            if self.draws
            else " Without draws: central figures only."
        )
        wrapped_note(
            c,
            2,
            f"The template {results.template_id} appraised in each area of {results.table} "
            f"({results.evaluated:,} of {results.rows:,} rows evaluated). Each figure is "
            "incremental: the option against the template's counterfactual "
            f"({results.counterfactual}) in the same area. Money is present value, real GBP at "
            f"{results.price_base_year} prices; BCR (public) is the benefit-cost ratio over "
            "public costs, its value-for-money category DfT's." + draws + " How the figures were "
            "made: below the BCR bands.",
            self.last,
            characters,
        )
        # The rows are numbered first (the table's position fixes every formula), then filled.
        summary_row = 4
        summary_end = summary_row + 2 + self.summary_rows()
        bands = bcr_bands(results)
        undefined = any(r.bcr_public is None for r in results.results)
        band_row = max(summary_end + 2, summary_row + 1 + CHART_ROWS + 1)
        band_end = band_row + 2 + len(bands) + int(undefined)
        conventions_row = max(band_end + 2, band_row + 1 + CHART_ROWS + 1)
        problem_row = conventions_row + len(results.conventions) + 4
        table_row = problem_row + (len(results.problems) + 3 if results.problems else 0)
        first = table_row + 2
        for k, option in enumerate(results.summaries):
            self.first_area_row[option.option_id] = first + k * results.evaluated
        self.header_row = table_row + 1
        # Three printed parts: the answer (the notes, the summary and its chart), how it is
        # spread and made (the BCR bands, the conventions, the problems), then the table. A
        # page fitted to the table's width holds one part, and the two charts would not fit
        # on one page with the summary.
        sheet.row_breaks.append(Break(id=band_row - 1))
        sheet.row_breaks.append(Break(id=table_row - 1))
        self.summary(summary_row)
        self.band_counts(band_row, bands, undefined)
        self.conventions(conventions_row, characters)
        if results.problems:
            self.problems(problem_row)
        self.table(table_row)
        self.charts(summary_row, band_row, len(bands))

    def conventions(self, row: int, characters: int) -> None:
        """The run's conventions as a list, and the attributes every area kept at the
        template's value."""
        c, results = self.c, self.results
        self.heading(row, "How the figures were made")
        r = row
        for r, convention in enumerate(results.conventions, start=row + 1):
            wrapped_note(c, r, f"• {convention}", self.last, characters, "cba text")
        if results.attributes_from_template:
            kept = "; ".join(
                f"{name} = {value:,.6g}" for name, value in results.attributes_from_template.items()
            )
            text = (
                "• The attributes kept at the template's value in every area (the table has no "
                f"column for them): {kept}."
            )
        else:
            text = (
                "• In this run every attribute of the template's area block came from the "
                "table, so no area kept a template value."
            )
        wrapped_note(c, r + 1, text, self.last, characters, "cba text")

    # --- the summary ----------------------------------------------------------------------------

    def summary_rows(self) -> int:
        """Rows of figures in the summary, below its heading and header."""
        return len(_SUMMARY_LINES) + int(self.draws)

    def summary(self, row: int) -> None:
        """Each option's totals and distribution across the areas, a column per option."""
        c, results = self.c, self.results
        self.heading(row, self.across("Across the areas"), self.summary_last)
        self.option_headers(row + 1, "Figure [unit]", "All areas")
        r = row + 1
        rows: dict[str, int] = {}
        lines = list(_SUMMARY_LINES)
        if self.draws:
            lines.append(("Mean over the areas of P(NPSV > 0) [probability]", "probability"))
        for label, key in lines:
            r += 1
            rows[key] = r
            self.label(r, label.strip())
            if label.startswith(" "):
                c.sheet.cell(r, 1).alignment = Alignment(horizontal="left", indent=2)
        for k, s in enumerate(results.summaries):
            self.option_totals(self.value_column + k, s, rows)
        wrapped_note(
            c,
            r + 1,
            "Live formulas over the table below. BCR of the totals: (total NPSV + total PV "
            "public costs + total PV community inputs) / total PV public costs. Percentiles "
            "interpolate between areas; the BCR's are over the areas with one."
            + self.option_names(),
            self.summary_last,
            int(sum(col.width for col in self.columns[: self.summary_last]) * 1.1),
        )

    def option_headers(self, row: int, label: str, single: str) -> None:
        """A header row over a column per option: with one option, its name over the labels
        and ``single`` over its figures (a name in a column of figures would wrap to many
        lines); with several, ``label`` and each option's name."""
        summaries = self.results.summaries
        if len(summaries) == 1:
            self.label(row, summaries[0].name, "cba header")
            self.c.text(row, self.value_column, single, "cba header")
        else:
            self.label(row, label, "cba header")
            for k, s in enumerate(summaries):
                self.c.text(row, self.value_column + k, s.name, "cba header")
        self.tall_enough(row)

    def across(self, text: str) -> str:
        """A section's heading: ``, by option`` when several are compared."""
        return text if len(self.results.summaries) == 1 else f"{text}, by option"

    def option_names(self) -> str:
        """With several options, which id (the table's Option column) each name stands for."""
        summaries = self.results.summaries
        if len(summaries) < 2:
            return ""
        return (
            " The table's Option column gives each option's id: "
            + "; ".join(f"{s.option_id} is {s.name}" for s in summaries)
            + "."
        )

    def option_totals(self, column: int, s: OptionAcrossAreas, rows: dict[str, int]) -> None:
        """One option's column of the summary: live formulas over its block of the table."""
        c = self.c
        npsv = self.span(s.option_id, self.NPSV)
        c.formula(rows["areas"], column, f"COUNT({npsv})", float(s.areas), "cba integer")
        for key, source, expected in (
            ("npsv", self.NPSV, s.total_npsv),
            ("without", self.WITHOUT, s.total_npsv_excluding_community_inputs),
            ("benefits", self.BENEFITS, s.total_pv_benefits),
            ("public", self.PUBLIC, s.total_pv_public_costs),
            ("community", self.COMMUNITY, s.total_pv_community_inputs),
        ):
            style = "cba highlight" if key == "npsv" else "cba money"
            span = self.span(s.option_id, source)
            c.formula(rows[key], column, f"SUM({span})", expected, style)
        total, public, community = (ref(column, rows[k]) for k in ("npsv", "public", "community"))
        c.formula(
            rows["bcr"],
            column,
            f'IF({public}>0,({total}+{public}+{community})/{public},"undefined")',
            s.bcr_public_of_totals,
            "cba ratio",
        )
        paying = float(len(s.areas_paying))
        c.formula(rows["paying"], column, f'COUNTIF({npsv},">0")', paying, "cba integer")
        not_paying = float(len(s.areas_not_paying))
        c.formula(rows["not paying"], column, f'COUNTIF({npsv},"<=0")', not_paying, "cba integer")
        without = self.span(s.option_id, self.WITHOUT)
        c.formula(
            rows["paying without"],
            column,
            f'COUNTIF({without},">0")',
            float(len(s.areas_paying_excluding_community_inputs)),
            "cba integer",
        )
        for k, expected in enumerate(s.npsv_percentiles):
            c.formula(rows[f"npsv {k}"], column, _percentile(npsv, k), expected, "cba money")
        bcr = self.span(s.option_id, self.BCR)
        for k in range(5):
            if s.bcr_percentiles is None:  # no area has a BCR: the formula would be an error
                c.value(rows[f"bcr {k}"], column, None, "cba ratio")
            else:
                expected = s.bcr_percentiles[k]
                c.formula(rows[f"bcr {k}"], column, _percentile(bcr, k), expected, "cba ratio")
        if "probability" in rows:
            c.formula(
                rows["probability"],
                column,
                f"AVERAGE({self.span(s.option_id, self.PROBABILITY)})",
                s.mean_probability_npsv_positive,
                "cba percent",
            )

    # --- the BCR distribution -------------------------------------------------------------------

    def band_counts(self, row: int, bands: list[Band], undefined: bool) -> None:
        """Areas per band of BCR, a column per option: live COUNTIFS over the table."""
        c, results = self.c, self.results
        self.heading(row, self.across("Areas per band of BCR (public)"), self.summary_last)
        self.option_headers(row + 1, "BCR (public) band", "Areas")
        r = row + 1
        for r, band in enumerate(bands, start=row + 2):
            self.label(r, band.label)
            for k, s in enumerate(results.summaries):
                span = self.span(s.option_id, self.BCR)
                count = sum(
                    1
                    for area in s.ranking
                    if (bcr := self.by_key[(s.option_id, area)].bcr_public) is not None
                    and band.holds(bcr)
                )
                c.formula(
                    r,
                    self.value_column + k,
                    f"COUNTIFS({band.criteria(span)})",
                    float(count),
                    "cba integer",
                )
        if undefined:
            r += 1
            self.label(r, "no BCR (no public cost)")
            for k, s in enumerate(results.summaries):
                span = self.span(s.option_id, self.BCR)
                count = sum(
                    1 for a in s.ranking if self.by_key[(s.option_id, a)].bcr_public is None
                )
                c.formula(
                    r,
                    self.value_column + k,
                    f'COUNTIF({span},"undefined")',
                    float(count),
                    "cba integer",
                )
        wrapped_note(
            c,
            r + 1,
            "A band a–b counts the areas with a ≤ BCR < b. DfT's value-for-money "
            "categories: very poor up to 0, poor 0 to 1, low 1 to 1.5, medium 1.5 to 2, high 2 "
            "to 4, very high 4 and over.",
            self.summary_last,
            int(sum(col.width for col in self.columns[: self.summary_last]) * 1.1),
        )

    # --- the problems ---------------------------------------------------------------------------

    def problems(self, row: int) -> None:
        """Each row of the area table that could not be evaluated: where, and why."""
        c, problems = self.c, self.results.problems
        self.heading(
            row,
            f"Rows of the area table not evaluated ({self.results.rows_not_evaluated:,}"
            + (
                f"; {len(problems):,} problems"
                if len(problems) != self.results.rows_not_evaluated
                else ""
            )
            + "); their areas are left out of every figure on this sheet",
        )
        for column, label in enumerate(("Row", "Area id", "Column", "Problem"), start=1):
            c.text(row + 1, column, label, "cba header")
        merge_row(self.sheet, row + 1, 4, self.last)
        self.indent_header(row + 1)
        for r, problem in enumerate(problems, start=row + 2):
            c.value(r, 1, problem.row, "cba integer")
            if problem.area_id:  # a row without an id leaves the cell empty
                c.text(r, 2, problem.area_id).alignment = _INDENTED
            c.text(r, 3, problem.column or "(the whole row)", "cba text")
            c.text(r, 4, problem.message, "cba text")
            merge_row(self.sheet, r, 4, self.last)

    # --- the table ------------------------------------------------------------------------------

    def table(self, row: int) -> None:
        """One row per area and option: each option's areas by NPSV, highest first."""
        c, results = self.c, self.results
        self.heading(
            row,
            "Each area, by NPSV (highest first): money in GBP, present value"
            + ("" if len(results.summaries) < 2 else ", option by option"),
        )
        for column, each in enumerate(self.columns, start=1):
            c.text(self.header_row, column, each.header, "cba header")
        self.tall_enough(self.header_row)
        self.indent_header(self.header_row)
        for s in results.summaries:
            first = self.first_area_row[s.option_id]
            for rank, area_id in enumerate(s.ranking, start=1):
                self.area_row(first + rank - 1, rank, self.by_key[(s.option_id, area_id)])

    def area_row(self, r: int, rank: int, result: AreaOptionResult) -> None:
        c = self.c
        c.value(r, 1, rank, "cba integer")
        c.text(r, 2, result.area_id).alignment = _INDENTED
        c.text(r, 3, result.name)
        c.text(r, 4, result.option_id)
        c.value(r, self.NPSV, result.npsv, "cba money")
        c.value(r, self.WITHOUT, result.npsv_excluding_community_inputs, "cba money")
        c.value(r, self.BENEFITS, result.pv_benefits, "cba money")
        c.value(r, self.PUBLIC, result.pv_public_costs, "cba money")
        c.value(r, self.COMMUNITY, result.pv_community_inputs, "cba money")
        c.value(r, self.BCR, result.bcr_public, "cba ratio")
        category = c.value(r, self.CATEGORY, result.value_for_money, "cba label")
        category.alignment = Alignment(horizontal="right")
        if self.draws:
            c.value(r, self.MEAN, result.npsv_mean, "cba money")
            c.value(r, self.P5, result.npsv_p5, "cba money")
            c.value(r, self.P95, result.npsv_p95, "cba money")
            c.value(r, self.PROBABILITY, result.probability_npsv_positive, "cba percent")

    # --- the charts -----------------------------------------------------------------------------

    def charts(self, summary_row: int, band_row: int, bands: int) -> None:
        """NPSV by area beside the summary, the BCR histogram beside its counts: both right of
        the summary's columns, above the table."""
        if not self.results.summaries:
            return
        sheet = self.sheet
        column = self.summary_last + 1
        room = sum(column_cm(self.columns[j - 1].width) for j in range(column, self.last + 1))
        width = min(max(room - 0.3, CHART_WIDTH_CM[0]), CHART_WIDTH_CM[1])
        letter = get_column_letter(column)
        self.npsv_chart(f"{letter}{summary_row + 1}", width)
        counts = bar_chart(
            sheet,
            "Areas per band of BCR (public)",
            "areas",
            Reference(sheet, min_col=1, min_row=band_row + 2, max_row=band_row + 1 + bands),
            Reference(
                sheet,
                min_col=self.value_column,
                max_col=self.summary_last,
                min_row=band_row + 1,
                max_row=band_row + 1 + bands,
            ),
            f"{letter}{band_row + 1}",
        )
        counts.x_axis.title = "BCR (public)"
        counts.x_axis.tickLblPos = "low"
        counts.y_axis.number_format = "0"
        counts.y_axis.scaling.min = 0
        counts.gapWidth = 15
        self._size(counts, width)

    def npsv_chart(self, anchor: str, width: float) -> None:
        """Every area's NPSV in rank order: bars for one option; for several, a line per
        option over the rank (bars of different areas side by side would not read)."""
        sheet, results = self.sheet, self.results
        n = results.evaluated
        first = self.first_area_row[results.summaries[0].option_id]
        ranks = Reference(sheet, min_col=1, min_row=first, max_row=first + n - 1)
        series = [
            (
                s.name,
                Reference(
                    sheet,
                    min_col=self.NPSV,
                    min_row=self.first_area_row[s.option_id],
                    max_row=self.first_area_row[s.option_id] + n - 1,
                ),
            )
            for s in results.summaries
        ]
        chart: BarChart | ScatterChart
        if len(series) > 1:
            chart = scatter_lines(
                sheet,
                "NPSV by area",
                f"{n:,} areas, each option's ranked by its NPSV (1 = highest)",
                "GBP, present value",
                ranks,
                series,
                anchor,
            )
            chart.x_axis.scaling.min = 0
            chart.x_axis.scaling.max = n
            for k, line in enumerate(chart.series):  # colours apart, in print as on screen
                line.graphicalProperties.line.solidFill = POINT_COLOURS[k % len(POINT_COLOURS)]
                line.graphicalProperties.line.width = 19050  # 1.5 pt [EMU]
            chart.x_axis.number_format = "0"
            chart.x_axis.tickLblPos = "low"
        else:
            chart = bar_chart(
                sheet, "NPSV by area", "GBP, present value", ranks, series[0][1], anchor, False
            )
            chart.x_axis.title = "areas, ranked by NPSV (1 = highest)"
            chart.x_axis.tickLblPos = "low"  # the ranks below the plot, clear of negative bars
            if n > CATEGORY_LABELS * 3:
                # LibreOffice ignores a label step (tickLblSkip) and crowds the axis with
                # ranks; a format that shows only the first and last rank leaves the bars to
                # read as the distribution they are
                chart.x_axis.number_format = f'[=1]0;[={n}]0;""'
                chart.x_axis.title = f"{n:,} areas, ranked by NPSV: the highest on the left"
            chart.gapWidth = 0 if n > 60 else 40
        chart.y_axis.number_format = "£#,##0;-£#,##0"
        self._size(chart, width)

    def _size(self, chart: BarChart | ScatterChart, width: float) -> None:
        """Whole centimetres wide (rounded down, so it stays within the columns) [cm]; the
        legend below the plot, or none for one option (the title says what it is)."""
        chart.width, chart.height = math.floor(width), CHART_HEIGHT_CM
        if len(self.results.summaries) == 1:
            chart.legend = None
        elif chart.legend is not None:
            chart.legend.position = "b"


_INDENTED = Alignment(horizontal="left", indent=1)
"""An area id, clear of the right-aligned rank beside it."""

_SUMMARY_LINES: tuple[tuple[str, str], ...] = (
    ("Areas evaluated", "areas"),
    ("Total NPSV, community inputs valued [GBP, PV]", "npsv"),
    ("Total NPSV excluding community inputs [GBP, PV]", "without"),
    ("Total PV benefits [GBP]", "benefits"),
    ("Total PV public costs [GBP]", "public"),
    ("Total PV community inputs [GBP]", "community"),
    ("BCR (public) of the totals [ratio]", "bcr"),
    ("Areas where it pays (NPSV > 0)", "paying"),
    ("Areas where it does not (NPSV ≤ 0)", "not paying"),
    ("Areas where it pays excluding community inputs", "paying without"),
    ("NPSV across the areas [GBP, PV]: minimum", "npsv 0"),
    ("  25th percentile", "npsv 1"),
    ("  median", "npsv 2"),
    ("  75th percentile", "npsv 3"),
    ("  maximum", "npsv 4"),
    ("BCR (public) across the areas [ratio]: minimum", "bcr 0"),
    ("  25th percentile", "bcr 1"),
    ("  median", "bcr 2"),
    ("  75th percentile", "bcr 3"),
    ("  maximum", "bcr 4"),
)
"""The summary's rows: label (indented: a percentile of the line above it) and key."""

_PERCENTILE_FUNCTIONS = (
    "MIN({})",
    "PERCENTILE({},0.25)",
    "MEDIAN({})",
    "PERCENTILE({},0.75)",
    "MAX({})",
)
"""Minimum, 25th percentile, median, 75th percentile, maximum of a span: as numpy's default
(linear) percentiles, which the engine uses."""


def _percentile(span: str, k: int) -> str:
    """The formula of the ``k``-th of :data:`_PERCENTILE_FUNCTIONS` over ``span``."""
    return _PERCENTILE_FUNCTIONS[k].format(span)


def write_areas(sheet: Worksheet, cells: SheetCells, results: BatchResults) -> int:
    """Write the Areas sheet of a batch run (see the module's description); the row of the
    table's header, which printing repeats on every page."""
    prepare_sheet(sheet)
    writer = _Writer(sheet, cells, results)
    writer.write()
    finish_sheet(sheet, cells.ledger)
    return writer.header_row
