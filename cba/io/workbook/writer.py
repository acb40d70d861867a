"""Write the partner workbook: Summary, Cash flows, Agencies, Community inputs, SROI, Strategy map,
Scale, Sensitivity, Uncertainty, Benefit chain, Assumptions, Provenance — formatted, charted, live,
reproducible."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl.utils import quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.atomic import write_bytes_atomically
from cba.io.workbook import (
    agencies,
    assumptions,
    benefit_chain,
    cash_flows,
    community_sheet,
    distribution_sheet,
    draws_sheet,
    front_page,
    input_names,
    provenance_sheet,
    scale_sheet,
    sensitivity_sheet,
    sroi_sheet,
    strategy_map_sheet,
    summary,
    uncertainty_sheet,
)
from cba.io.workbook.cells import FormulaLedger, SheetCells
from cba.io.workbook.charts import bar_and_line_chart
from cba.io.workbook.package import (
    content_digest,
    ledger_by_member,
    reproducible_xlsx,
    sheet_member_names,
)
from cba.io.workbook.printing import lay_out_for_print
from cba.io.workbook.template import DEFAULT_TEMPLATE, fill_cover, load_template
from cba.results import DrawTable, Results
from cba.spec.scenario import Scenario

SHEETS = (
    summary.TITLE,
    cash_flows.TITLE,
    agencies.TITLE,
    community_sheet.TITLE,
    sroi_sheet.TITLE,
    distribution_sheet.TITLE,
    strategy_map_sheet.TITLE,
    scale_sheet.TITLE,
    sensitivity_sheet.TITLE,
    uncertainty_sheet.TITLE,
    draws_sheet.TITLE,
    benefit_chain.TITLE,
    assumptions.TITLE,
    provenance_sheet.TITLE,
)
"""Sheets in the order a partner reads them (after the template's Cover, if any)."""


@dataclass(frozen=True)
class WrittenWorkbook:
    """What was written, for the terminal and for audits."""

    path: Path | None
    sha256: str
    content_digest: str
    formulas: int


def _front_sheet(workbook: Workbook, ours: list[str]) -> Worksheet:
    """The sheet the story goes on: the template's cover (the sheet its ``cba_cover_title``
    names, else its first sheet that is not one of cba's), or a new first sheet."""
    named: DefinedName | None = workbook.defined_names.get("cba_cover_title")
    if named is not None:
        for title, _ in named.destinations:
            if title in workbook.sheetnames and title not in ours:
                found = workbook[title]
                if isinstance(found, Worksheet):
                    return found
    for existing in workbook.worksheets:
        if isinstance(existing, Worksheet) and existing.title not in ours:
            return existing
    created: Worksheet = workbook.create_sheet(front_page.OWN_TITLE, 0)
    created.page_setup.orientation = "landscape"
    created.page_setup.paperSize = created.PAPERSIZE_A4
    return created


def build_workbook(
    results: Results,
    scenario: Scenario,
    provenance: dict[str, Any],
    template: Path | None = None,
    draws: DrawTable | None = None,
) -> tuple[bytes, FormulaLedger]:
    """The workbook's bytes (reproducible, with cached values) and its formula ledger; with
    ``draws``, a Draws sheet holding every Monte Carlo draw (``cba run --full-draws``)."""
    workbook = load_template(template or DEFAULT_TEMPLATE)
    fill_cover(
        workbook,
        results.title,
        f"Cost-benefit analysis, {results.price_base_year} prices ({results.scenario_id})",
    )
    ledger = FormulaLedger()
    sheets: dict[str, Worksheet] = {}
    titles = [
        t
        for t in SHEETS
        if (t != scale_sheet.TITLE or scale_sheet.has_scale(results))
        and (t != sensitivity_sheet.TITLE or sensitivity_sheet.has_sensitivity(results))
        and (t != uncertainty_sheet.TITLE or uncertainty_sheet.has_uncertainty(results))
        and (t != draws_sheet.TITLE or draws is not None)
        and (t != strategy_map_sheet.TITLE or strategy_map_sheet.has_strategy_map(results))
        and (t != sroi_sheet.TITLE or sroi_sheet.has_sroi(results))
        and (t != distribution_sheet.TITLE or distribution_sheet.has_distribution(results))
    ]
    for title in titles:
        if title in workbook.sheetnames:
            del workbook[title]
        sheets[title] = workbook.create_sheet(title)
    cells = {title: SheetCells(sheet, ledger) for title, sheet in sheets.items()}

    front = _front_sheet(workbook, titles)
    layout = cash_flows.write_cash_flows(
        sheets[cash_flows.TITLE], cells[cash_flows.TITLE], results, scenario
    )
    _cash_flow_charts(sheets[cash_flows.TITLE], results, layout)
    headline = summary.write_summary(sheets[summary.TITLE], cells[summary.TITLE], results, layout)
    first = front_page.write_front_page(
        front, SheetCells(front, ledger), results, sheets[summary.TITLE], headline
    )
    ledger.compared_from[front.title] = first
    workbook.defined_names[front_page.STORY_NAME] = DefinedName(
        front_page.STORY_NAME, attr_text=f"{quote_sheetname(front.title)}!$A${first}"
    )
    agencies.write_agencies(sheets[agencies.TITLE], cells[agencies.TITLE], results, layout)
    community_sheet.write_community(
        sheets[community_sheet.TITLE], cells[community_sheet.TITLE], results, layout
    )
    sroi_header = None
    if sroi_sheet.TITLE in sheets:
        sroi_header = sroi_sheet.write_sroi(
            sheets[sroi_sheet.TITLE], cells[sroi_sheet.TITLE], results, layout
        )
    if distribution_sheet.TITLE in sheets:
        distribution_sheet.write_distribution(
            sheets[distribution_sheet.TITLE], cells[distribution_sheet.TITLE], results, layout
        )
    if strategy_map_sheet.TITLE in sheets and results.strategy_map is not None:
        from cba.io.strategy_map_figure import rendered  # draws with Graphviz: only for maps

        strategy_map_sheet.write_strategy_map(
            sheets[strategy_map_sheet.TITLE],
            cells[strategy_map_sheet.TITLE],
            results,
            rendered(results.strategy_map).png,
        )
    scale_header = None
    if scale_sheet.TITLE in sheets:
        scale_header = scale_sheet.write_scale(
            sheets[scale_sheet.TITLE], cells[scale_sheet.TITLE], results
        )
    if sensitivity_sheet.TITLE in sheets:
        sensitivity_sheet.write_sensitivity(
            sheets[sensitivity_sheet.TITLE], cells[sensitivity_sheet.TITLE], results
        )
    if uncertainty_sheet.TITLE in sheets:
        uncertainty_sheet.write_uncertainty(
            sheets[uncertainty_sheet.TITLE], cells[uncertainty_sheet.TITLE], results
        )
    if draws is not None:
        draws_sheet.write_draws_head(sheets[draws_sheet.TITLE], cells[draws_sheet.TITLE], draws)
    benefit_chain.write_benefit_chain(
        sheets[benefit_chain.TITLE], cells[benefit_chain.TITLE], results
    )
    assumptions.write_assumptions(
        sheets[assumptions.TITLE], cells[assumptions.TITLE], results, scenario
    )
    provenance_sheet.write_provenance(
        sheets[provenance_sheet.TITLE], cells[provenance_sheet.TITLE], workbook, provenance
    )
    input_names.name_input_cells(workbook, ledger)
    footer_left = f"{results.scenario_id} ({results.price_base_year} prices)"
    sha = str(provenance.get("scenario_sha256", ""))[:12]
    footer_right = f"cba {results.cba_version}" + (f", scenario sha256 {sha}" if sha else "")
    repeated: dict[str, tuple[tuple[int, int] | None, tuple[int, int] | None]] = {
        cash_flows.TITLE: ((cash_flows.ROW_YEARS, cash_flows.ROW_OFFSETS), (1, 1)),
        draws_sheet.TITLE: ((draws_sheet.HEADER_ROW, draws_sheet.HEADER_ROW), (1, 1)),
    }
    repeated[agencies.TITLE] = (None, (1, 2))  # each row's option and agency
    if sroi_header is not None:
        repeated[sroi_sheet.TITLE] = (sroi_header, (1, 1))
    if scale_header is not None:  # one curve: its table's headings on every page down
        repeated[scale_sheet.TITLE] = ((scale_header, scale_header), None)
    last_columns = {summary.TITLE: summary.last_printed_column(results)}
    for title, sheet in sheets.items():
        rows, columns = repeated.get(title, (None, None))
        lay_out_for_print(
            sheet,
            title_rows=rows,
            title_columns=columns,
            last_column=last_columns.get(title),
            footer_left=footer_left,
            footer_right=footer_right,
        )
    # the front page keeps the template's margins and headers; one page per option
    front.page_setup.fitToWidth = 1
    front.page_setup.fitToHeight = max(1, len(results.options) - 1)
    front.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    workbook.active = workbook.sheetnames.index(front.title)
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == front.title
    workbook.properties.creator = "cba"
    workbook.properties.title = results.title
    buffer = io.BytesIO()
    workbook.save(buffer)
    members = ledger_by_member(ledger, workbook.sheetnames)
    splices = {}
    if draws is not None:
        table = draws
        member = sheet_member_names(workbook.sheetnames)[draws_sheet.TITLE]
        bound = table.draws * len(table.headers) * 64  # a cell's XML is under 64 bytes
        splices[member] = (lambda head: draws_sheet.splice(head, table), bound)
    return reproducible_xlsx(buffer.getvalue(), members, splices), ledger


def _cash_flow_charts(
    sheet: Worksheet, results: Results, layout: cash_flows.CashFlowsLayout
) -> None:
    from openpyxl.chart import Reference

    anchor_row = sheet.max_row + 2
    first = cash_flows.FIRST_YEAR_COLUMN
    last = first + len(results.years) - 1
    for option in results.options:
        rows = layout.options[option.option_id].incremental_rows
        if rows is None:
            continue
        bars_row, line_row = rows
        bar_and_line_chart(
            sheet,
            f"Discounted net benefit against the counterfactual: {option.name}",
            "GBP, present value",
            Reference(sheet, min_col=first, max_col=last, min_row=cash_flows.ROW_YEARS),
            (
                "Discounted net benefit",
                Reference(sheet, min_col=first, max_col=last, min_row=bars_row),
            ),
            ("Cumulative", Reference(sheet, min_col=first, max_col=last, min_row=line_row)),
            f"A{anchor_row}",
        )
        anchor_row += 22


def write_workbook(
    results: Results,
    scenario: Scenario,
    provenance: dict[str, Any],
    path: Path,
    template: Path | None = None,
) -> WrittenWorkbook:
    """Build and write atomically (a failed run leaves an existing file untouched)."""
    import hashlib

    data, ledger = build_workbook(results, scenario, provenance, template)
    write_bytes_atomically(path, data)
    return WrittenWorkbook(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        content_digest=content_digest(data),
        formulas=sum(len(v) for v in ledger.expected.values()),
    )
