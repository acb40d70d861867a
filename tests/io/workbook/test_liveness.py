"""A cell styled as an input drives the figures that depend on it (issue 11).

For the Balsall Heath example, every input cell of the Benefit chain sheet (found by its style,
``cba input ...``) is edited in a copy of the workbook, which LibreOffice recalculates; the
Summary's NPSV, both BCRs and DfT category, and each agency's fiscal ROI and ROI on the Agencies
sheet, must then be the engine's for the scenario with the same input changed
(``cba.with_values``). An input whose edit moves nothing fails, as does an
input cell the test cannot name a parameter for.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

import cba
from cba.io.workbook import benefit_chain
from cba.io.workbook.writer import write_workbook
from cba.results import Results
from tests import libreoffice as lo
from tests.io.workbook.conftest import ROOT

AGENCIES = "Agencies"
SCENARIO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
REL = 1e-9
STEP_PARAMETERS = benefit_chain.STEP_KEYS
"""The scenario key behind each step's fraction kept (the workbook's own record)."""
MEASURES = {
    "NPSV": "npsv",
    "BCR_public": "bcr_public",
    "BCR_with_community_inputs": "bcr_public_and_community",
    "DfT_category": "value_for_money",
    "Fiscal_ROI": "fiscal_roi",
    "Economic_ROI": "economic_roi",
    "Public_value_ROI": "public_value_roi",
    "EANB": "equivalent_annual_net_benefit",
}
FIGURES = tuple(MEASURES)


@dataclass(frozen=True)
class InputCell:
    coordinate: str
    path: str
    """The parameter path the cell stands for."""
    kept: float
    edited: float
    """The fraction written into the edited copy."""

    @property
    def value(self) -> float:
        """The parameter's value that the edited fraction means."""
        key = self.path.rsplit(".", 1)[1]
        return self.edited if key == "multiplier" else 1.0 - self.edited


def _chain_inputs(book: Path, results: Results) -> tuple[list[InputCell], list[str]]:
    """Every input-styled cell of the Benefit chain sheet with its parameter path, and the
    cells that could not be given one."""
    by_name = {o.name: o.option_id for o in results.options}
    steps = {label: step for step, label in benefit_chain.STEP_LABELS.items()}
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[benefit_chain.TITLE]
    found: list[InputCell] = []
    unnamed: list[str] = []
    option_id = line_id = None
    for row in sheet.iter_rows():
        first = row[0]
        if first.style == "cba heading":
            option_id = by_name.get(str(first.value))
        elif first.style == "cba header":
            match = re.search(r"\[([^\]]+)\]$", str(first.value))
            line_id = match.group(1) if match else None
        for cell in row:
            if not cell.style.startswith("cba input"):
                continue
            step = steps.get(str(first.value))
            if option_id is None or line_id is None or step not in STEP_PARAMETERS:
                unnamed.append(f"{cell.coordinate} ({first.value!r})")
                continue
            kept = float(cell.value)
            if step == "after_multiplier":
                edited = kept + 0.05
            else:
                edited = kept + 0.05 if kept + 0.05 <= 1.0 else kept - 0.05
            path = f"options.{option_id}.benefits.{line_id}.{STEP_PARAMETERS[step]}"
            found.append(InputCell(cell.coordinate, path, kept, edited))
    workbook.close()
    return found, unnamed


def _figures(book: Path, options: list[str]) -> dict[str, object]:
    """The Summary's named figures of each option, read through the workbook's names."""
    workbook = openpyxl.load_workbook(book, data_only=True)
    try:
        out: dict[str, object] = {}
        for option_id in options:
            for figure in FIGURES:
                name = f"{figure}_{option_id}"
                sheet_title, cell = next(workbook.defined_names[name].destinations)
                out[name] = workbook[sheet_title][cell.replace("$", "")].value
        return out
    finally:
        workbook.close()


def _agency_returns(book: Path, results: Results) -> dict[str, object]:
    """Each agency's fiscal ROI and ROI on the Agencies sheet, by ``<option>.<agency>.<roi>``."""
    by_name = {o.name: o.option_id for o in results.options}
    agencies = {a.agency_id for o in results.options for a in o.agencies_gross}
    workbook = openpyxl.load_workbook(book, data_only=True)
    try:
        out: dict[str, object] = {}
        option_id = None
        for row in workbook[AGENCIES].iter_rows(min_col=1, max_col=12):
            first = row[0].value
            if first in by_name:
                option_id = by_name[str(first)]
            elif first in agencies and option_id is not None:
                out[f"{option_id}.{first}.fiscal_roi"] = row[10].value
                out[f"{option_id}.{first}.roi"] = row[11].value
        return out
    finally:
        workbook.close()


def _engine_figures(results: Results) -> dict[str, object]:
    out: dict[str, object] = {}
    for option in results.options:
        if option.is_counterfactual:
            continue
        for figure, measure in MEASURES.items():
            value = getattr(option.incremental, measure)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                value = "undefined"
            out[f"{figure}_{option.option_id}"] = value
        for agency in option.agencies_incremental:
            for measure in ("fiscal_roi", "roi"):
                value = getattr(agency, measure)
                key = f"{option.option_id}.{agency.agency_id}.{measure}"
                out[key] = "undefined" if value is None else value
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=REL, abs_tol=1e-9)
    return a == b


def _relative(a: object, b: object) -> float:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) / max(abs(float(b)), 1e-300)
    return 0.0


def _save_edits(book: Path, title: str, edits: list[tuple[str, float]], out: Path) -> list[Path]:
    """A copy of ``book`` per (cell, value) edit of sheet ``title``, in ``out``."""
    out.mkdir(exist_ok=True)
    paths = []
    for i, (coordinate, value) in enumerate(edits):
        workbook = openpyxl.load_workbook(book)
        workbook[title][coordinate].value = value
        target = out / f"edit_{i:03d}.xlsx"
        workbook.save(target)
        workbook.close()
        paths.append(target)
    return paths


def _compare(
    where: str, expected: dict[str, object], got: dict[str, object], problems: list[str]
) -> float:
    """Add to ``problems`` each figure the workbook has wrong; return the largest relative
    difference."""
    largest = 0.0
    for name, value in expected.items():
        if name not in got:
            problems.append(f"{where}: {name} not found in the workbook")
            continue
        largest = max(largest, _relative(got[name], value))
        if not _same(got[name], value):
            problems.append(f"{where}: {name} is {got[name]!r}, the engine gives {value!r}")
    return largest


def test_benefit_chain_inputs_drive_the_summary(tmp_path: Path) -> None:
    lo.require_libreoffice()
    scenario = cba.load_scenario(SCENARIO)
    base = cba.run(scenario, sensitivity=False, uncertainty=False)
    book = write_workbook(base, scenario, {}, tmp_path / "base.xlsx").path
    assert book is not None
    inputs, unnamed = _chain_inputs(book, base)
    assert unnamed == [], f"input cells with no parameter behind them: {unnamed}"
    assert inputs, "the Benefit chain has no input cells"
    options = [o.option_id for o in base.options if not o.is_counterfactual]
    before = _engine_figures(base)

    edited_books = _save_edits(
        book,
        benefit_chain.TITLE,
        [(item.coordinate, item.edited) for item in inputs],
        tmp_path / "edited",
    )
    recalculated = lo.recalculate(edited_books, tmp_path / "recalculated")

    problems: list[str] = []
    largest = 0.0
    for item, edited in zip(inputs, edited_books, strict=True):
        changed = cba.with_values(scenario, {item.path: item.value})
        expected = _engine_figures(cba.run(changed, sensitivity=False, uncertainty=False))
        got = _figures(recalculated[edited], options) | _agency_returns(recalculated[edited], base)
        where = f"{benefit_chain.TITLE}!{item.coordinate} ({item.path} = {item.value:g})"
        if expected[f"NPSV_{options[0]}"] == before[f"NPSV_{options[0]}"]:
            problems.append(f"{where}: the engine's NPSV does not move; choose another edit")
        largest = max(largest, _compare(where, expected, got, problems))
        if got[f"NPSV_{options[0]}"] == pytest.approx(before[f"NPSV_{options[0]}"], rel=1e-12):
            problems.append(f"{where}: editing it leaves the NPSV where it was")
    print(f"{len(inputs)} input cells checked; largest relative difference {largest:.3g}")
    assert problems == [], "\n".join(problems)


# --- the Cash flows sheet ---------------------------------------------------------------------


def _without_analyses(data: dict[str, object]) -> dict[str, object]:
    """The scenario's data without its uncertainty and sensitivity blocks and inline
    distributions (they may name inputs an edit replaces; the figures compared are central)."""
    data = {k: v for k, v in data.items() if k not in ("uncertainty", "sensitivity")}
    for option in data.get("options", []):  # type: ignore[attr-defined]
        for group in ("costs", "community_inputs", "benefits"):
            for line in option.get(group, []):
                line.pop("uncertain", None)
    return data


def _line(data: dict[str, object], path: str) -> dict[str, object]:
    """The data of the line ``options.<option>.<group>.<line>...``."""
    _, option_id, group, line_id = path.split(".")[:4]
    option = next(o for o in data["options"] if o["id"] == option_id)  # type: ignore[attr-defined]
    return next(x for x in option[group] if x["id"] == line_id)  # type: ignore[no-any-return]


def _edited(
    scenario: cba.Scenario,
    base: Results,
    stands_for: str,
    detail: str,
    column: int,
    kept: float,
    edited: float,
) -> cba.Scenario:
    """The scenario changed as editing one Cash flows input cell from ``kept`` to ``edited``
    changes the workbook: worked out here from the scenario's own structure, not the writer's
    formulas."""
    from cba.io.workbook.cash_flows import FIRST_YEAR_COLUMN

    data = _without_analyses(scenario.to_data())
    offset = column - FIRST_YEAR_COLUMN
    if stands_for.startswith("discounting."):
        key = stands_for.split(".")[1]
        label = base.standard_schedule if key == "schedule" else base.health_schedule
        rates = list(next(s for s in base.schedules if s.label == label).rates)
        rates[offset] = edited
        bands = [
            {"from_year_offset": t, "rate": rate}
            for t, rate in enumerate(rates)
            if t == 0 or rate != rates[t - 1]
        ]
        data.setdefault("discounting", {})[key] = {"name": "edited", "bands": bands}  # type: ignore[attr-defined]
    elif ".costs." in stands_for and stands_for.endswith(".optimism_bias"):
        _line(data, stands_for)["optimism_bias"] = edited
    elif ".costs." in stands_for:
        # one year's amount: the line becomes a series at price-base prices, as the sheet has it
        line = _line(data, stands_for)
        option_id, line_id = stands_for.split(".")[1], stands_for.split(".")[3]
        result = next(o for o in base.options if o.option_id == option_id)
        amounts = list(
            next(x for x in result.costs if x.line_id == line_id).flows_before_optimism_bias
        )
        amounts[offset] = edited
        for key in ("amount_per_year", "start_year", "end_year", "price_year", "scaling"):
            line.pop(key, None)
        line["series"] = {year: a for year, a in zip(base.years, amounts, strict=True) if a}
    elif ".unit_values." in stands_for:
        index = int(stands_for.split(".")[5])
        values = _line(data, stands_for)["unit_values"]
        values[index]["amount"] *= edited / kept  # type: ignore[index]
    elif ".community_inputs." in stands_for:
        line = _line(data, stands_for)
        key = "value_per_hour" if "value_per_hour" in line else "value_per_year"
        line[key] *= edited / kept  # type: ignore[operator]
    else:
        raise AssertionError(f"an input cell the test cannot change the scenario for: {stands_for}")
    return cba.scenario_from_dict(data)


LONG = 48
"""Beyond this many input cells, a long period's year cells are sampled: each row's cells in
the first three and the last year (every other input cell is still edited)."""


@pytest.mark.parametrize(
    "name",
    [
        "balsall_heath_community_safety",
        "older_people_community_support",
        "volunteer_befriending_scale",
        "green_corridor_cleanup",
    ],
)
def test_cash_flows_inputs_drive_the_summary(tmp_path: Path, name: str) -> None:
    """Every input cell of the Cash flows sheet, edited in the workbook and recalculated by
    LibreOffice, gives the engine's figures for the scenario changed the same way (the
    examples' discount schedules, cost lines, unit values and community inputs between them
    cover each kind of input cell)."""
    from cba.io.workbook.cash_flows import FIRST_YEAR_COLUMN, TITLE
    from cba.io.workbook.writer import build_workbook

    lo.require_libreoffice()
    scenario = cba.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    base = cba.run(scenario, sensitivity=False, uncertainty=False)
    data, ledger = build_workbook(base, scenario, {}, None)
    book = tmp_path / "base.xlsx"
    book.write_bytes(data)
    inputs = ledger.inputs[TITLE]
    assert inputs, "the Cash flows sheet has no input cells"
    last = FIRST_YEAR_COLUMN + len(base.years) - 1
    if len(inputs) > LONG:
        sampled = {FIRST_YEAR_COLUMN, FIRST_YEAR_COLUMN + 1, FIRST_YEAR_COLUMN + 2, last}
        inputs = {
            k: v
            for k, v in inputs.items()
            if (column := column_index_from_string(coordinate_from_string(k)[0]))
            < FIRST_YEAR_COLUMN
            or column in sampled
        }
    options = [o.option_id for o in base.options if not o.is_counterfactual]
    before = _engine_figures(base)
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[TITLE]
    cases = []
    for coordinate, stands_for in sorted(inputs.items()):
        cell = sheet[coordinate]
        kept = float(cell.value)
        edited = kept + 0.01 if cell.style == "cba input percent" else kept * 1.25 + 100.0
        cases.append((coordinate, stands_for, cell.column, kept, edited))
    workbook.close()
    edited_books = _save_edits(
        book,
        TITLE,
        [(coordinate, edited) for coordinate, _, _, _, edited in cases],
        tmp_path / "edited",
    )
    recalculated = lo.recalculate(edited_books, tmp_path / "recalculated")

    problems: list[str] = []
    largest = 0.0
    for (coordinate, stands_for, column, kept, edited), target in zip(
        cases, edited_books, strict=True
    ):
        changed = _edited(scenario, base, stands_for.path, stands_for.detail, column, kept, edited)
        expected = _engine_figures(cba.run(changed, sensitivity=False, uncertainty=False))
        got = _figures(recalculated[target], options) | _agency_returns(recalculated[target], base)
        where = f"{TITLE}!{coordinate} ({stands_for}: {kept:g} -> {edited:g})"
        if all(expected[f"NPSV_{o}"] == before[f"NPSV_{o}"] for o in options):
            problems.append(f"{where}: the engine's NPSV does not move; choose another edit")
        largest = max(largest, _compare(where, expected, got, problems))
    print(f"{len(cases)} input cells checked; largest relative difference {largest:.3g}")
    assert problems == [], "\n".join(problems)
