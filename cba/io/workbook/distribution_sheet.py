"""The Distributional weights sheet (Green Book Annex A3): the income groups, their incomes and
weights as live formulas ``(reference income / income) ^ elasticity``, and each option's
weighted PV benefits, PV costs and NPSV beside the unweighted ones, built from the Cash flows
sheet's line PVs. Lines without a group, and community inputs, have weight 1."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cash_flows import CashFlowsLayout
from cba.io.workbook.cells import SheetCells, merge_row, ref
from cba.io.workbook.layout import (
    finish_sheet,
    merge_across,
    prepare_sheet,
    set_apart,
)
from cba.results import Results, WeightedMeasures

TITLE = "Distributional weights"
COLUMNS = 8
FIGURES = (
    ("pv_benefits", "PV benefits"),
    ("weighted_pv_benefits", "Weighted PV benefits"),
    ("pv_costs", "PV costs"),
    ("weighted_pv_costs", "Weighted PV costs"),
    ("pv_community_inputs", "PV community inputs (weight 1)"),
    ("npsv", "NPSV"),
    ("weighted_npsv", "Weighted NPSV"),
)


def has_distribution(results: Results) -> bool:
    """Whether the results carry distributional weights."""
    return results.distributional is not None


def write_distribution(
    sheet: Worksheet, cells: SheetCells, results: Results, layout: CashFlowsLayout
) -> None:
    """Groups and weights, then each option's figures, gross and against the counterfactual."""
    view = results.distributional
    if view is None:
        return
    prepare_sheet(sheet)
    c = cells
    c.text(1, 1, f"Distributional weights: {results.title}", "cba title")
    c.text(
        2,
        1,
        "Green Book (2022) Annex A3: a group's weight is (reference income / its income) ^ "
        "elasticity. Each benefit and cost line's PV (Cash flows) times its group's weight; "
        "lines without a group and community inputs have weight 1. Weighted figures are shown "
        f"beside the unweighted ones, never instead. Real GBP at {results.price_base_year} "
        f"prices. Source: {view.source}",
        "cba note",
    )
    merge_across(sheet, 2, COLUMNS)
    c.text(4, 1, "Elasticity of the marginal utility of income")
    c.value(4, 2, view.elasticity, "cba ratio")
    c.text(5, 1, "Reference income [GBP per household per year]")
    c.value(5, 2, view.reference_income, "cba money")
    elasticity, reference = ref(2, 4, True, True), ref(2, 5, True, True)
    row = 7
    for col, label in enumerate(
        ("Income group", "Name", "Income [GBP per year]", "Weight", "Source"), start=1
    ):
        header = c.text(row, col, label, "cba header")
    set_apart(header)  # the Source header, apart from the weights' right edge
    merge_row(sheet, row, 5, COLUMNS)
    weight_cell: dict[str | None, str] = {}
    for group in view.groups:
        row += 1
        c.text(row, 1, group.group_id)
        c.text(row, 2, group.name)
        c.value(row, 3, group.income, "cba money")
        c.formula(row, 4, f"({reference}/{ref(3, row)})^{elasticity}", group.weight, "cba ratio")
        set_apart(c.text(row, 5, group.source, "cba text"))
        merge_row(sheet, row, 5, COLUMNS)
        weight_cell[group.group_id] = ref(4, row, True, True)
    row += 1
    c.text(row, 1, "(no group)")
    c.text(row, 2, "Lines without an income group")
    c.value(row, 4, 1.0, "cba ratio")
    weight_cell[None] = ref(4, row, True, True)
    for group in view.groups:  # which values each group's weight multiplies
        row += 1
        text = f"Weighted as {group.group_id}: {_weighted_lines(results, group.group_id)}."
        c.text(row, 1, text, "cba note")
        merge_row(sheet, row, 1, COLUMNS)

    row += 2
    c.text(row, 1, "Option", "cba header")
    for col, (_, label) in enumerate(FIGURES, start=2):
        c.text(row, col, label + " [GBP PV]", "cba header")
    gross_rows: dict[str, int] = {}
    by_id = {o.option_id: o for o in results.options}
    for weighted in view.options:
        row += 1
        option = by_id[weighted.option_id]
        cf = layout.options[weighted.option_id].gross
        values = layout.options[weighted.option_id].value_pvs
        transfers = layout.options[weighted.option_id].transfer_pvs
        benefit_terms, k = [], 0
        for line in option.benefits:
            for component in line.components:
                cell = values[k][0]
                k += 1
                if cell not in transfers:
                    benefit_terms.append(f"{cell}*{weight_cell[component.income_group]}")
        cost_terms = [
            f"{pv}*{weight_cell[line.income_group]}"
            for (pv, _), line in zip(
                layout.options[weighted.option_id].cost_pvs, option.costs, strict=True
            )
        ]
        burden = cf.get("pv_marginal_excess_tax_burden")
        less_burden = f"-{burden}" if burden else ""  # weight 1 (docs/methods.md §19)
        formulas = {
            "pv_benefits": cf["pv_benefits"],
            "weighted_pv_benefits": "+".join(benefit_terms) or "0",
            "pv_costs": f"{cf['pv_public_costs']}+{cf['pv_non_public_costs']}",
            "weighted_pv_costs": "+".join(cost_terms) or "0",
            "pv_community_inputs": cf["pv_community_inputs"],
            "npsv": f"{ref(2, row)}-{ref(4, row)}-{ref(6, row)}{less_burden}",
            "weighted_npsv": f"{ref(3, row)}-{ref(5, row)}-{ref(6, row)}{less_burden}",
        }
        _figures(c, row, f"{weighted.name}, gross", formulas, weighted.gross)
        gross_rows[weighted.option_id] = row
    base = gross_rows[results.counterfactual]
    row += 1
    for weighted in view.options:
        if weighted.option_id == results.counterfactual:
            continue
        row += 1
        own = gross_rows[weighted.option_id]
        formulas = {
            name: f"{ref(col, own)}-{ref(col, base)}"
            for col, (name, _) in enumerate(FIGURES, start=2)
        }
        _figures(
            c, row, f"{weighted.name}, against the counterfactual", formulas, weighted.incremental
        )
    sheet.column_dimensions["A"].width = 44
    for letter in "BCDEFGH":
        sheet.column_dimensions[letter].width = 18
    finish_sheet(sheet, cells.ledger)


def _figures(
    c: SheetCells, row: int, label: str, formulas: dict[str, str], m: WeightedMeasures
) -> None:
    c.text(row, 1, label)
    for col, (name, _) in enumerate(FIGURES, start=2):
        c.formula(row, col, formulas[name], float(getattr(m, name)), "cba money")


def _weighted_lines(results: Results, group_id: str) -> str:
    """The benefit values and cost lines of every option that carry ``group_id``, in words."""
    parts = []
    for option in results.options:
        named = [
            f"{line.line_id} ({component.value_type})"
            for line in option.benefits
            for component in line.components
            if component.income_group == group_id
        ] + [f"{line.line_id} (cost)" for line in option.costs if line.income_group == group_id]
        if named:
            parts.append(f"{option.option_id}: {', '.join(named)}")
    return "; ".join(parts) or "no line"
