"""The Portfolio workbook of ``cba allocate``: the template's Cover, the Portfolio sheet and a
Provenance sheet (the budget file's sha256, each scheme's scenario file and its sha256, the cba
version), formatted for A4 landscape and reproducible: the same inputs give the same bytes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

from cba.allocation_results import Allocation
from cba.io.budget_file import LoadedBudget
from cba.io.provenance import file_sha256, scenario_provenance
from cba.io.workbook import portfolio_sheet, provenance_sheet
from cba.io.workbook.cells import FormulaLedger, SheetCells
from cba.io.workbook.package import ledger_by_member, reproducible_xlsx
from cba.io.workbook.printing import lay_out_for_print
from cba.io.workbook.template import DEFAULT_TEMPLATE, fill_cover, load_template

PORTFOLIO_FORMAT = "1.0"
"""The ``cba_portfolio_format`` document property of a Portfolio workbook; with
``cba_budget_sha256`` and a ``cba allocate`` command it marks a workbook cba wrote, which a
later ``cba allocate`` may replace without ``--force``."""


def budget_provenance(
    loaded: LoadedBudget,
    command: str,
    draws: int = 0,
    objective: str = "",
    outcome_lines: list[str] | None = None,
) -> dict[str, Any]:
    """Where the budget and its schemes' scenarios came from: the budget file's name, path,
    sha256 and git state, each scheme's scenario file and its sha256, the software, the
    command that reproduces the figures and its settings (``draws``; ``objective`` and
    ``outcome_lines`` given on the command line, empty when the file's objective was used),
    which ``cba verify`` reads back. Free of timestamps, so reruns give the same bytes."""
    found = scenario_provenance(loaded.path)
    provenance: dict[str, Any] = {
        key.replace("scenario_", "budget_", 1): value for key, value in found.items()
    }
    provenance["portfolio_format"] = PORTFOLIO_FORMAT
    provenance["command"] = command
    provenance["allocation_draws"] = draws
    provenance["objective_override"] = objective
    provenance["objective_outcome_lines"] = ",".join(outcome_lines or [])
    for scheme in loaded.budget.schemes:
        path = loaded.path.parent / scheme.scenario
        provenance[f"scheme_{scheme.id}_scenario"] = scheme.scenario
        provenance[f"scheme_{scheme.id}_scenario_sha256"] = file_sha256(path)
    return provenance


def _write_finding(cover: Worksheet, cells: SheetCells, allocation: Allocation) -> None:
    """The finding and what the workbook holds, below the template's cover, in the column of
    its title (the board reads the answer on the first page)."""
    from openpyxl.styles import Alignment

    width = cover.column_dimensions["B"].width or 80.0
    row = cover.max_row + 3
    for text, style in (
        (f"For the {allocation.board}. {allocation.statement}", "cba text"),
        (
            "The Portfolio sheet has the chosen schemes and scales, the limits and the value of "
            "one more pound in each, what each agency contributes by year and its net position, "
            "and the BCR ranking beside the optimum; Provenance has the files and versions "
            "behind every figure (docs/allocation.md).",
            "cba note",
        ),
    ):
        cell = cells.text(row, 2, text, style)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        lines = max(1, -(-len(text) // max(20, int(width * 1.1))))
        cover.row_dimensions[row].height = 14 * lines + 4
        row += 1


def build_portfolio_workbook(
    allocation: Allocation,
    provenance: dict[str, Any],
    title: str,
) -> tuple[bytes, FormulaLedger]:
    """The workbook's bytes (reproducible, formulas with cached values) and its formula
    ledger, for a feasible ``allocation``; ``title`` is the budget's name."""
    workbook = load_template(DEFAULT_TEMPLATE)
    cover = fill_cover(
        workbook,
        title,
        f"Allocation of a pooled neighbourhood budget, {allocation.price_base_year} prices "
        f"({allocation.budget_id})",
    )
    ledger = FormulaLedger()
    if cover is not None:
        _write_finding(workbook[cover], SheetCells(workbook[cover], ledger), allocation)
    sheet = workbook.create_sheet(portfolio_sheet.TITLE)
    portfolio_sheet.write_portfolio(sheet, SheetCells(sheet, ledger), allocation, title)
    record = workbook.create_sheet(provenance_sheet.TITLE)
    provenance_cells = SheetCells(record, ledger)
    provenance_sheet.write_provenance(record, provenance_cells, workbook, provenance)
    provenance_cells.text(2, 1, "Rerun the command below to reproduce every figure.", "cba note")
    record.column_dimensions["A"].width = 44
    sha = str(provenance.get("budget_sha256", ""))[:12]
    version = str(provenance.get("cba_version", ""))
    for written in (sheet, record):
        lay_out_for_print(
            written,
            footer_left=f"{allocation.budget_id} ({allocation.price_base_year} prices)",
            footer_right=f"cba {version}" + (f", budget sha256 {sha}" if sha else ""),
        )
    front = cover if cover is not None else portfolio_sheet.TITLE
    workbook.active = workbook.sheetnames.index(front)
    for each in workbook.worksheets:
        each.sheet_view.tabSelected = each.title == front
    workbook.properties.creator = "cba"
    workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    members = ledger_by_member(ledger, workbook.sheetnames)
    return reproducible_xlsx(buffer.getvalue(), members), ledger


def portfolio_target(budget_id: str, given: str | None) -> Path:
    """Where the workbook goes: ``-o PATH``, else ``out/<budget id>.xlsx``."""
    return Path(given) if given is not None else Path("out") / f"{budget_id}.xlsx"
