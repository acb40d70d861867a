"""The Benefit chain sheet: for every benefit line, what each assumption removed.

The yellow "fraction kept" cells are inputs: each step's outcomes are the previous step's times
the fraction kept, and the Cash flows sheet's net outcomes per year are the last step's
outcomes times the line's year profile, so a changed fraction moves every value, PV, NPSV and
BCR built on them. References run one way: Cash flows reads this sheet, never the reverse, and
finds its cells through :func:`chain_layout` before either sheet is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import SheetCells, quote_sheet, ref
from cba.io.workbook.layout import finish_sheet, merge_across
from cba.io.workbook.wording import applied_optimism_text
from cba.results import BenefitLineResult, Results

TITLE = "Benefit chain"
COLUMNS = 6
"""Columns of a chain table (A to F): notes and headings span them."""
FIRST_ROW = 4
"""Row of the first option's heading."""
COL_KEEP, COL_FIRST_YEAR = 2, 3
"""Column B holds each step's fraction kept, column C its outcomes in the line's first year."""
STEP_LABELS = {
    "gross": "Gross outcomes (cohort x engagement x success)",
    "after_deadweight": "after deadweight (would have happened anyway)",
    "after_displacement": "after displacement (moved from elsewhere)",
    "after_leakage": "after leakage (benefits outside the area or group)",
    "after_substitution": "after substitution",
    "after_attribution": "after attribution (due to others)",
    "after_multiplier": "after the local multiplier",
    "net": "net, after optimism bias",
}
GRADED_NOTE = (
    " The optimism-bias fraction is the confidence grade's correction, shared by every line of "
    "that grade: the engine's figure, fixed at the run (change the grade or the table in the "
    "scenario)."
)
"""Said of a line whose optimism bias comes from the confidence-grade table: its cell is a
value, not an input, since editing one line's copy would not be the scenario's change."""


@dataclass(frozen=True)
class BenefitChainLayout:
    """Where each benefit line's chain sits on the Benefit chain sheet."""

    headings: dict[str, int]
    """Row of each option's heading, by option id (options with benefits only)."""
    headers: dict[tuple[str, str], int]
    """Row of each line's header, by (option id, line id); its steps follow, one a row."""

    def net_outcomes(self, option_id: str, line_id: str, steps: int) -> str:
        """Absolute reference, with the sheet name, of a line's net outcomes in its first year
        (the last of its ``steps`` chain steps)."""
        row = self.headers[(option_id, line_id)] + steps
        return quote_sheet(TITLE) + ref(COL_FIRST_YEAR, row, True, True)


def chain_layout(results: Results) -> BenefitChainLayout:
    """The rows :func:`write_benefit_chain` writes each option and line at."""
    headings: dict[str, int] = {}
    headers: dict[tuple[str, str], int] = {}
    row = FIRST_ROW
    for option in results.options:
        if not option.benefits:
            continue
        headings[option.option_id] = row
        row += 1
        for line in option.benefits:
            headers[(option.option_id, line.line_id)] = row
            row += len(line.chain) + 3  # the steps, the note, a blank row
    return BenefitChainLayout(headings=headings, headers=headers)


def graded_optimism_bias(line: BenefitLineResult) -> bool:
    """Whether a line's optimism bias is a confidence grade's correction (a shared table entry)
    rather than a reduction given for the line."""
    return line.optimism_bias_basis != "reduction given in the scenario"


def write_benefit_chain(sheet: Worksheet, cells: SheetCells, results: Results) -> None:
    """Step-by-step chains; each step is the previous one times what the step keeps."""
    c = cells
    c.text(1, 1, f"Benefit chain: {results.title}", "cba title")
    c.text(
        2,
        1,
        "Each row keeps a fraction of the row above (LP2014 benefit chain; HCA "
        "Additionality Guide; SROI guide). PV is of the line's value counted in PVB, "
        f"real GBP at {results.price_base_year} prices. Yellow fractions are inputs: the net "
        "outcomes drive the Cash flows sheet, so changing one moves every PV, NPSV and BCR.",
        "cba note",
    )
    merge_across(sheet, 2, COLUMNS)
    layout = chain_layout(results)
    for option in results.options:
        if not option.benefits:
            continue
        heading = layout.headings[option.option_id]
        c.text(heading, 1, option.name, "cba heading")
        merge_across(sheet, heading, COLUMNS)
        for line in option.benefits:
            row = layout.headers[(option.option_id, line.line_id)]
            note_row = _write_line(
                c, line, row, f"options.{option.option_id}.benefits.{line.line_id}"
            )
            optimism = applied_optimism_text(
                line.optimism_bias, line.optimism_bias_basis, "reduction"
            )
            c.text(
                note_row,
                1,
                f"Optimism bias: {optimism}. Discounting: {line.schedule}. Source: {line.source}"
                + (GRADED_NOTE if graded_optimism_bias(line) else ""),
                "cba note",
            )
            merge_across(sheet, note_row, COLUMNS)
    sheet.column_dimensions["A"].width = 52
    for letter in "BCDEF":
        sheet.column_dimensions[letter].width = 18
    finish_sheet(sheet, cells.ledger)


STEP_KEYS = {
    "after_deadweight": "deadweight",
    "after_displacement": "displacement",
    "after_leakage": "leakage",
    "after_substitution": "substitution",
    "after_attribution": "attribution",
    "after_multiplier": "multiplier",
    "net": "optimism_bias",
}
"""The scenario key behind each step's fraction kept (``1 - key``; the multiplier is itself)."""


def _write_line(c: SheetCells, line: BenefitLineResult, row: int, path: str) -> int:
    """One line's header and steps from ``row``; returns the row of its note. ``path`` is the
    line's parameter path (``options.<option>.benefits.<line>``)."""
    c.text(row, 1, f"{line.name} [{line.line_id}]", "cba header")
    for j, label in enumerate(
        (
            "Fraction kept",
            "Outcomes, first year",
            "Outcomes, whole period",
            "PV [GBP]",
            "Removed by this step, PV [GBP]",
        )
    ):
        c.text(row, 2 + j, label, "cba header")
    previous = 0
    for k, step in enumerate(line.chain):
        row += 1
        c.text(row, 1, STEP_LABELS[step.step])
        if step.step == "gross":
            c.value(row, COL_KEEP, 1.0, "cba percent")
            c.value(row, COL_FIRST_YEAR, step.outcomes_first_year, "cba count")
            c.value(row, 4, step.outcomes_total, "cba count")
            c.value(row, 5, step.pv, "cba money")
            c.value(row, 6, 0.0, "cba money")
        else:
            key = STEP_KEYS[step.step]
            if step.step == "after_multiplier":
                c.input(row, COL_KEEP, step.factor, "cba input number", f"{path}.{key}")
            elif step.step == "net" and graded_optimism_bias(line):
                c.value(row, COL_KEEP, step.factor, "cba percent")
            else:
                c.input(
                    row,
                    COL_KEEP,
                    step.factor,
                    "cba input percent",
                    f"{path}.{key}",
                    f"fraction kept = 1 - {key.replace('_', ' ')}",
                )
            keep = ref(COL_KEEP, row)
            c.formula(
                row,
                COL_FIRST_YEAR,
                f"{ref(COL_FIRST_YEAR, previous)}*{keep}",
                step.outcomes_first_year,
                "cba count",
            )
            c.formula(row, 4, f"{ref(4, previous)}*{keep}", step.outcomes_total, "cba count")
            c.formula(row, 5, f"{ref(5, previous)}*{keep}", step.pv, "cba money")
            c.formula(
                row,
                6,
                f"{ref(5, previous)}-{ref(5, row)}",
                line.chain[k - 1].pv - step.pv,
                "cba money",
            )
        previous = row
    return row + 1
