"""Evaluator-written cases: YAML files of a scenario and expected figures with a tolerance
(tests/cases/*.yaml), in the spirit of OpenFisca's YAML tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

import cba

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


@pytest.mark.parametrize("case_path", CASES, ids=[p.stem for p in CASES])
def test_case(case_path: Path, tmp_path: Path) -> None:
    yaml = YAML(typ="safe", pure=True)
    case = yaml.load(case_path.read_text(encoding="utf-8"))
    scenario_file = tmp_path / "scenario.yaml"
    with scenario_file.open("w", encoding="utf-8") as stream:
        yaml.dump(case["scenario"], stream)
    results = cba.run(cba.load_scenario(scenario_file))
    tolerance = float(case.get("tolerance", 1e-9))
    for expectation in case["expected"]:
        measures = getattr(results.option(expectation["option"]), expectation["basis"])
        for name, expected in expectation["figures"].items():
            actual = getattr(measures, name)
            if expected is None or isinstance(expected, str):
                assert actual == expected, name
            else:
                assert actual == pytest.approx(expected, rel=tolerance, abs=1e-6), name
