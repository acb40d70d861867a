"""Every formula of every workbook agrees with the engine when a real spreadsheet program
(LibreOffice, forced to recalculate) works it out: example scenarios and random ones."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cba
from cba.io.workbook.writer import write_workbook
from cba.spec.scenario import Scenario, reference_context
from tests import libreoffice as lo
from tests.io.workbook.conftest import EXAMPLES
from tests.property.strategies import scenario_dict


@pytest.mark.parametrize("stem", [p.stem for p in EXAMPLES])
def test_example_recalculates_to_engine_values(
    stem: str, recalculated_examples: dict[str, list[str]]
) -> None:
    problems = recalculated_examples[stem]
    assert problems == [], "\n".join(problems[:20])


def test_examples_have_many_live_formulas(example_workbooks: dict[str, Path]) -> None:
    for path in example_workbooks.values():
        formulas = lo.formula_cells(path)
        assert len(formulas) > 100
        text = " ".join(formulas.values())
        assert "SUMPRODUCT(" in text
        assert "NPV(" not in text.upper().replace("SUMPRODUCT", "")


def _rounded(value: Any) -> Any:
    """Amounts a person would write (pence, three-decimal fractions): keeps the comparison
    about the formulas, not about floats far below a penny."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    return value


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(scenario_dict(max_years=12), min_size=3, max_size=3))
def test_random_scenarios_recalculate_to_engine_values(
    batch: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    lo.require_libreoffice()
    folder = tmp_path_factory.mktemp("random")
    paths = []
    for index, data in enumerate(batch):
        data = _rounded({**data, "id": f"random{index}"})
        scenario = Scenario.model_validate(data, context=reference_context(data))
        path = folder / f"random{index}.xlsx"
        write_workbook(cba.run(scenario), scenario, {"command": "test"}, path)
        paths.append(path)
    compared = lo.recalculate_and_compare(paths, folder / "out")
    for path, problems in compared.items():
        assert problems == [], f"{path.name}:\n" + "\n".join(problems[:20])


def test_numbers_visible_without_a_calculation_engine(example_workbooks: dict[str, Path]) -> None:
    """Previews and pandas read cached values: every formula cell has one."""
    import pandas as pd

    path = example_workbooks["balsall_heath_community_safety"]
    results = cba.run(cba.load_scenario(Path("scenarios/balsall_heath_community_safety.yaml")))
    option = results.option("resident_patrols")
    summary = pd.read_excel(path, sheet_name="Summary", header=None)
    numbers = [v for v in summary.to_numpy().ravel() if isinstance(v, float) and not math.isnan(v)]
    assert any(v == pytest.approx(option.incremental.npsv, rel=1e-12) for v in numbers)
    cached = openpyxl.load_workbook(path, data_only=True)
    for (sheet, cell), _ in lo.formula_cells(path).items():
        assert cached[sheet][cell].value is not None, f"{sheet}!{cell} has no cached value"
