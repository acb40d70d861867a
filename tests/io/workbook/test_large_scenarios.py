"""Any scenario that validates writes a workbook, however many options, lines and agencies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

import cba
from cba.io.scenario_file import scenario_from_dict
from cba.io.workbook.writer import write_workbook


def _many_options(n_options: int, lines_per_option: int, n_years: int) -> dict[str, Any]:
    agencies = [{"id": f"agency{i}", "name": f"Agency {i}", "sector": "public"} for i in range(8)]
    options: list[dict[str, Any]] = [{"id": "nothing", "name": "Do nothing"}]
    for o in range(1, n_options):
        costs = [
            {
                "id": f"cost{k}",
                "name": f"Cost {k}",
                "category": "revenue",
                "amount_per_year": 1000.0 + o + k,
                "paid_by": f"agency{k % 8}",
                "source": "test",
            }
            for k in range(lines_per_option // 2)
        ]
        benefits = [
            {
                "id": f"benefit{k}",
                "name": f"Benefit {k}",
                "outcomes_per_year": 10.0 + k,
                "unit_values": [
                    {
                        "value_type": "fiscal",
                        "amount": 150.0 + o,
                        "agency": f"agency{k % 8}",
                        "source": "test",
                    }
                ],
                "source": "test",
            }
            for k in range(lines_per_option - lines_per_option // 2)
        ]
        options.append(
            {"id": f"option{o}", "name": f"Option {o}", "costs": costs, "benefits": benefits}
        )
    return {
        "cba_scenario": "1.0",
        "id": "many_options",
        "title": "Thirty options",
        "price_base_year": 2024,
        "first_year": 2024,
        "appraisal_period_years": n_years,
        "agencies": agencies,
        "options": options,
        "counterfactual": "nothing",
    }


def test_thirty_options_and_three_hundred_lines_write_a_workbook(tmp_path: Path) -> None:
    """Before: 24 or more options crashed the Summary sheet (a column letter past Z)."""
    scenario = scenario_from_dict(_many_options(31, 10, 12))
    assert sum(len(o.costs) + len(o.benefits) for o in scenario.options) == 300
    results = cba.run(scenario)
    path = tmp_path / "many.xlsx"
    write_workbook(results, scenario, {"command": "test"}, path)
    book = openpyxl.load_workbook(path)
    summary = book["Summary"]
    names = {c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)}
    assert "Option 30" in names
    assert summary.column_dimensions["AG"].width == 22
