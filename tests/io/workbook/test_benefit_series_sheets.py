"""A benefit line by year on the workbook: the Cash flows sheet's unit value by year (one input
cell a year, at its parameter path), the year profile of an outcomes series, and the Assumptions
sheet's rows by year; every formula recalculates to the engine's figures."""

from __future__ import annotations

from pathlib import Path

import openpyxl

import cba
from cba.io.scenario_file import scenario_from_dict
from cba.io.workbook.writer import build_workbook
from tests import libreoffice as lo
from tests.model.test_benefit_series import line, scenario


def series_scenario() -> dict[str, object]:
    return scenario(
        line(
            outcomes_series={2025: 5.0, 2026: 12.0, 2027: 20.0},
            deadweight=0.25,
            unit_values=[
                {
                    "value_type": "fiscal",
                    "agency": "police",
                    "amount_series": {2025: 70.0, 2026: 75.0, 2027: 80.0},
                    "source": "test",
                },
                {"value_type": "social", "amount": 40.0, "source": "test"},
            ],
        )
    )


def test_series_show_on_the_sheets_and_recalculate(tmp_path: Path) -> None:
    loaded = scenario_from_dict(series_scenario())
    results = cba.run(loaded, sensitivity=False)
    path = tmp_path / "series.xlsx"
    data, ledger = build_workbook(results, loaded, {"command": "test"}, None)
    path.write_bytes(data)
    where = {cell.path for cell in ledger.inputs["Cash flows"].values()}
    base = "options.scheme.benefits.outcome.unit_values"
    assert {f"{base}.0.amount_series.{year}" for year in (2025, 2026, 2027)} <= where
    assert f"{base}.1.amount" in where
    assert f"{base}.0.amount" not in where
    book = openpyxl.load_workbook(path)
    labels = [c.value for c in book["Assumptions"]["C"] if isinstance(c.value, str)]
    assert "Outcome: outcomes in 2026" in labels
    assert any(label.endswith(", 2027") and "Unit value: fiscal" in label for label in labels)
    flows = [str(c.value) for row in book["Cash flows"].iter_rows() for c in row if c.value]
    assert any("value per outcome, by year" in text for text in flows)
    lo.require_libreoffice()
    compared = lo.recalculate_and_compare([path], tmp_path / "out")
    assert compared[path] == []
