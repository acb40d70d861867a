"""The Strategy map sheet: present exactly when the scenario has a map, its pathway table and
backwards mapping agree with the results, its figures are live where it says so, and text
from the scenario file never becomes a formula."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import cba
from cba.io.provenance import scenario_provenance
from cba.io.workbook.strategy_map_sheet import TITLE
from cba.io.workbook.writer import build_workbook
from cba.io.yaml_loader import load_yaml

ROOT = Path(__file__).resolve().parents[3]
SAFETY = ROOT / "scenarios" / "community_safety_strategy_map.yaml"


def test_only_scenarios_with_a_map_get_the_sheet(example_workbooks: dict[str, Path]) -> None:
    for stem, path in example_workbooks.items():
        book = openpyxl.load_workbook(path, read_only=True)
        has_map = cba.load_scenario(ROOT / "scenarios" / f"{stem}.yaml").strategy_map is not None
        assert (TITLE in book.sheetnames) == has_map, stem


def test_pathway_rows_match_the_backwards_mapping(example_workbooks: dict[str, Path]) -> None:
    results = cba.run(cba.load_scenario(SAFETY), sensitivity=False, uncertainty=False)
    appraisal = results.strategy_map
    assert appraisal is not None
    sheet = openpyxl.load_workbook(example_workbooks[SAFETY.stem])[TITLE]
    rows = {
        (row[0].value, row[1].value): row
        for row in sheet.iter_rows(min_row=1, max_col=10)
        if isinstance(row[3].value, float | int)
    }
    for pathway in appraisal.pathways:
        row = rows[(pathway.name, f"{pathway.outcome} [{pathway.outcome_unit}]")]
        assert row[2].value == pytest.approx(pathway.target)
        assert row[3].value == pytest.approx(pathway.costs.total)
        assert row[5].value == pytest.approx(pathway.costs.co_produced)
        # cost per unit and co-produced share are formulas on those cells
        assert str(row[6].value).startswith("=IF(")
        assert str(row[8].value).startswith("=IF(")


def test_names_from_the_file_stay_text(tmp_path: Path) -> None:
    data, _ = load_yaml(SAFETY)
    data["strategy_map"]["pathways"][0]["name"] = '=HYPERLINK("http://example.com","x")'
    data["strategy_map"]["inputs"][0]["name"] = "+1+1"
    scenario = cba.scenario_from_dict(data)
    results = cba.run(scenario, sensitivity=False, uncertainty=False)
    raw, _ = build_workbook(results, scenario, scenario_provenance(SAFETY))
    target = tmp_path / "book.xlsx"
    target.write_bytes(raw)
    sheet = openpyxl.load_workbook(target)[TITLE]
    found = [
        cell
        for row in sheet.iter_rows()
        for cell in row
        if cell.value in ('=HYPERLINK("http://example.com","x")', "+1+1")
    ]
    assert {c.value for c in found} == {'=HYPERLINK("http://example.com","x")', "+1+1"}
    assert all(c.data_type == "s" for c in found)


def test_the_sheet_is_the_same_bytes_every_time() -> None:
    scenario = cba.load_scenario(SAFETY)
    results = cba.run(scenario, sensitivity=False, uncertainty=False)
    provenance = scenario_provenance(SAFETY)
    first, _ = build_workbook(results, scenario, provenance)
    again, _ = build_workbook(
        cba.run(scenario, sensitivity=False, uncertainty=False), scenario, provenance
    )
    assert first == again
