"""Shared fixtures for workbook tests: example workbooks written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

import cba
from cba.io.provenance import scenario_provenance
from cba.io.workbook.writer import WrittenWorkbook, write_workbook
from tests import libreoffice as lo

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


def write_example(path: Path, out_dir: Path) -> WrittenWorkbook:
    scenario = cba.load_scenario(path)
    provenance = scenario_provenance(path)
    provenance["command"] = "cba run (test)"
    return write_workbook(cba.run(scenario), scenario, provenance, out_dir / f"{path.stem}.xlsx")


@pytest.fixture(scope="session")
def example_workbooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example scenario's workbook, by scenario file stem."""
    out = tmp_path_factory.mktemp("workbooks")
    return {p.stem: write_example(p, out).path or out for p in EXAMPLES}


@pytest.fixture(scope="session")
def recalculated_examples(
    example_workbooks: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[str]]:
    """LibreOffice's recalculation of every example workbook compared with the cached values
    (one soffice call for all of them)."""
    lo.require_libreoffice()
    out = tmp_path_factory.mktemp("recalculated")
    compared = lo.recalculate_and_compare(list(example_workbooks.values()), out)
    return {path.stem: problems for path, problems in compared.items()}
