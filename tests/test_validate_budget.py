"""`cba validate` on budget files (docs/allocation.md): a budget is told from a scenario by its
top-level `cba_budget:` key, validated with the scenarios it names, and reported in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from cba.cli import main

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = ROOT / "scenarios" / "budgets"
EXAMPLE = BUDGETS / "ladywood_neighbourhood_budget.yaml"
SCENARIO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"


def test_a_budget_and_a_scenario_are_each_validated_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", str(SCENARIO), str(EXAMPLE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{SCENARIO}: valid", f"{EXAMPLE}: valid (budget, 6 schemes)"]


def test_a_folder_of_budgets_and_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BUDGETS)]) == 0
    out = capsys.readouterr().out
    assert f"{EXAMPLE}: valid (budget, " in out
    assert out.count(": valid") == len(list(BUDGETS.glob("*.yaml")))


def test_a_bad_budget_is_located_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    budget = tmp_path / "budget.yaml"
    budget.write_text(
        'cba_budget: "1.0"\nid: b\nboard: Board\nprice_base_year: 2024\n'
        "envelope: {total: 100000}\nschemes:\n"
        "  - {id: a, scenario: nowhere.yaml, option: resident_patrols}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(budget)]) == 2
    err = capsys.readouterr().err
    assert f"{budget}:7:" in err and "no such scenario file 'nowhere.yaml'" in err
