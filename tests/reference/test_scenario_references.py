"""``{ref: table@vintage:entry.field}`` in a scenario: resolved to the same number as typing the
value and its rebasing by hand, recorded in the results, the JSON, the workbook and the
provenance, and kept through what-ifs only where the what-if leaves it alone."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cba
from cba.io.yaml_loader import load_yaml
from cba.reference import library as library_module
from cba.reference.library import ReferenceLibrary, ShippedTable, reference_library
from cba.reference.table import ReferenceTable

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "invalid" / "_base_valid.yaml"
DEFLATOR_2026 = reference_library().table("gdp_deflator_fy", "2026-03").table.series()


def base() -> dict[str, Any]:
    data, _ = load_yaml(BASE)
    return copy.deepcopy(data)


def unit_value(data: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = data["options"][1]["benefits"][0]["unit_values"][0]
    return value


def npsv(scenario: cba.Scenario) -> float:
    results = cba.run(scenario, sensitivity=False, uncertainty=False)
    found = results.option("patrols").incremental.npsv
    assert found is not None
    return found


def test_a_reference_is_the_same_as_typing_the_value_and_its_rebasing() -> None:
    # GMCA UCD v1.4 CR1.0: GBP 500 in 2002-03 prices. The scenario's prices are 2024-25.
    referenced = base()
    referenced["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    unit_value(referenced)["amount"] = {"ref": "gmca_unit_costs@1.4:cr1_0.fiscal"}
    typed = base()
    typed["deflator"] = {
        "vintage": "HM Treasury, March 2026",
        "source": "Typed by hand from the same release.",
        "index": {2002: 56.6, 2024: 100.0},
    }
    typed["options"][1]["benefits"][0]["price_year"] = 2002
    unit_value(typed)["amount"] = 500
    with_ref = cba.scenario_from_dict(referenced)
    assert npsv(with_ref) == pytest.approx(npsv(cba.scenario_from_dict(typed)), rel=1e-12)

    (deflator, use) = with_ref.references
    assert deflator.path == "deflator" and deflator.table == "gdp_deflator_fy@2026-03"
    assert use.path == "options.patrols.benefits.burglary_avoided.unit_values.0.amount"
    assert (use.original, use.from_price_year, use.to_price_year) == (500.0, 2002, 2024)
    assert use.deflator_factor == pytest.approx(100.0 / 56.6, rel=1e-15)
    assert use.value == pytest.approx(500 * 100.0 / 56.6, rel=1e-15)
    assert use.table_sha256 == reference_library().table("gmca_unit_costs", "1.4").sha256
    assert use.grade == "R" and use.read == "READ-PRIMARY-COPY"


def test_a_reference_in_a_line_with_a_price_year_is_brought_to_that_year() -> None:
    # CR8.7.1 is in 2010-11 prices; the line says its values are in 2010 prices, so the
    # reference is used as published and the line's own rebasing applies afterwards.
    data = base()
    data["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    data["options"][1]["benefits"][0]["price_year"] = 2010
    unit_value(data)["amount"] = {"ref": "gmca_unit_costs@1.4:cr8_7_1.fiscal"}
    scenario = cba.scenario_from_dict(data)
    use = scenario.references[1]
    assert (use.from_price_year, use.to_price_year, use.deflator_factor) == (2010, 2010, 1.0)
    assert scenario.options[1].benefits[0].unit_values[0].amount == 683.0
    results = cba.run(scenario, sensitivity=False, uncertainty=False)
    (line,) = results.option("patrols").benefits
    assert line.rebase_factor == pytest.approx(DEFLATOR_2026[2024] / DEFLATOR_2026[2010])


def test_a_share_takes_part_of_the_value_and_the_source_is_filled_in() -> None:
    data = base()
    del unit_value(data)["source"]
    unit_value(data)["amount"] = {"ref": "green_book_qaly@2022:qaly.value", "share": 0.25}
    data["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    scenario = cba.scenario_from_dict(data)
    amount = scenario.options[1].benefits[0].unit_values[0]
    factor = DEFLATOR_2026[2024] / DEFLATOR_2026[2020]
    assert amount.amount == pytest.approx(70000 * factor * 0.25, rel=1e-15)
    assert "green_book_qaly@2022" in amount.source and "2020 prices" in amount.source
    kept = base()
    unit_value(kept)["amount"] = {"ref": "green_book_qaly@2022:qaly.value"}
    kept["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    assert cba.scenario_from_dict(kept).options[1].benefits[0].unit_values[0].source == (
        "Illustrative assumption."
    )


def test_one_year_of_a_series_and_a_note_when_year_bases_differ() -> None:
    data = base()
    data["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    unit_value(data)["amount"] = {
        "ref": "desnz_carbon_values@2023-11:central.per_tonne",
        "year": 2030,
    }
    use = cba.scenario_from_dict(data).references[1]
    assert use.original == 294.50 and use.from_price_year == 2022
    assert use.value == pytest.approx(294.50 * DEFLATOR_2026[2024] / DEFLATOR_2026[2022])
    assert "calendar year 2022 prices read as the deflator's financial year 2022" in use.note


def test_a_series_where_a_series_goes_keeps_the_years_of_the_period() -> None:
    # A cost series from the carbon values, as a mechanical check (an emissions cost of one
    # tonne a year): years 2024-2028 of 2020-2050 are kept, each rebased.
    data = base()
    data["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    radios = data["options"][1]["costs"][1]
    radios["series"] = {"ref": "desnz_carbon_values@2023-11:central.per_tonne"}
    scenario = cba.scenario_from_dict(data)
    series = scenario.options[1].costs[1].series
    assert series is not None and sorted(series) == [2024, 2025, 2026, 2027, 2028]
    factor = DEFLATOR_2026[2024] / DEFLATOR_2026[2022]
    assert series[2030 - 4] == pytest.approx(277.22 * factor)
    use = scenario.references[1]
    assert use.path == "options.patrols.costs.radios.series"
    assert "years outside the appraisal period not used (26 of 31)" in use.note


def test_values_that_grow_with_real_incomes_are_uprated_by_their_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A hand-worked case: a value of 1,000 at 2020 prices, deflator 80 -> 100 (x 1.25), real
    # GDP per head 30,000 -> 33,000 (x 1.1) with elasticity 1.3: 1000 x 1.25 x 1.1 ** 1.3.
    def table(data: dict[str, Any]) -> ShippedTable:
        return ShippedTable(ReferenceTable.model_validate(data), "0" * 64, Path("x.yaml"))

    meta = {
        "title": "T",
        "publisher": "P",
        "edition": "E",
        "published": "2020",
        "url": "u",
        "licence": "l",
        "copy_read": "c",
        "read": "READ-PRIMARY",
        "year_basis": "financial",
    }
    income = table(
        {
            **meta,
            "name": "real_income",
            "vintage": "1",
            "kind": "real_income",
            "fields": {
                "gdp_per_head": {"unit": "chained volume, GBP per person", "description": "d"}
            },
            "entries": {
                "uk": {
                    "label": "UK",
                    "values": {"gdp_per_head": {2020: 30000.0, 2024: 33000.0}},
                    "source": "s",
                }
            },
        }
    )
    wellbeing = table(
        {
            **meta,
            "name": "wellbeing",
            "vintage": "1",
            "price_year": 2020,
            "uprating": {
                "method": "gdp_deflator_and_real_income",
                "income_elasticity": 1.3,
                "real_income": "real_income@1",
            },
            "fields": {"value": {"unit": "GBP per WELLBY", "description": "d"}},
            "entries": {"w": {"label": "W", "values": {"value": 1000.0}, "source": "s"}},
        }
    )
    shipped = [*reference_library().tables, income, wellbeing]
    monkeypatch.setattr(library_module, "reference_library", lambda: ReferenceLibrary(shipped))
    data = base()
    data["deflator"] = {"vintage": "v", "source": "s", "index": {2020: 80.0, 2024: 100.0}}
    unit_value(data)["amount"] = {"ref": "wellbeing@1:w.value"}
    (use,) = cba.scenario_from_dict(data).references
    assert use.deflator_factor == 1.25
    assert use.real_income_factor == pytest.approx(1.1**1.3, rel=1e-15)
    assert use.value == pytest.approx(1000 * 1.25 * 1.1**1.3, rel=1e-15)


def test_a_what_if_on_a_referenced_input_drops_its_record_only() -> None:
    data = base()
    data["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    unit_value(data)["amount"] = {"ref": "gmca_unit_costs@1.4:cr1_0.fiscal"}
    data["options"][1]["community_inputs"][0]["value_per_hour"] = {
        "ref": "volunteer_time_values@2026-12:national_living_wage_2025"
    }
    data["options"][1]["community_inputs"][0]["price_year"] = 2025
    scenario = cba.scenario_from_dict(data)
    assert [u.path.split(".")[-1] for u in scenario.references] == [
        "deflator",
        "value_per_hour",
        "amount",
    ]
    changed = cba.with_values(
        scenario, {"options.patrols.benefits.burglary_avoided.unit_values.0.amount": 450}
    )
    assert [u.path.split(".")[-1] for u in changed.references] == ["deflator", "value_per_hour"]
    untouched = cba.with_values(scenario, {"options.patrols.costs.coordinator.amount_per_year": 1})
    assert untouched.references == scenario.references


def test_results_json_workbook_and_provenance_record_each_reference(tmp_path: Path) -> None:
    data = base()
    data["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    unit_value(data)["amount"] = {"ref": "gmca_unit_costs@1.4:cr1_0.fiscal", "share": 0.5}
    from ruamel.yaml import YAML

    path = tmp_path / "referenced.yaml"
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(data, handle)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "cba", "run", str(path), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    saved = json.loads((out / "minimal.json").read_text(encoding="utf-8"))
    (use,) = [u for u in saved["references"] if u["path"] != "deflator"]
    assert use["reference"] == "gmca_unit_costs@1.4:cr1_0.fiscal"
    assert (use["original"], use["share"], use["from_price_year"]) == (500.0, 0.5, 2002)
    assert use["value"] == pytest.approx(500 * 100.0 / 56.6 * 0.5, rel=1e-15)
    assert saved["provenance"]["reference_tables"] == {
        "gdp_deflator_fy@2026-03": reference_library().table("gdp_deflator_fy", "2026-03").sha256,
        "gmca_unit_costs@1.4": reference_library().table("gmca_unit_costs", "1.4").sha256,
    }
    assert any("grades red" in caveat for caveat in saved["caveats"])

    import openpyxl

    book = openpyxl.load_workbook(out / "minimal.xlsx")
    rows = [
        list(row)
        for row in book["Assumptions"].iter_rows(values_only=True)
        if any(isinstance(c, str) and "gmca_unit_costs@1.4:cr1_0.fiscal" in c for c in row)
    ]
    (row,) = rows
    assert row[0] == "patrols" and row[1] == "burglary_avoided"
    assert row[3] == pytest.approx(500 * 100.0 / 56.6 * 0.5)
    assert "published 500.00 GBP per incident at 2002 prices x 1.766784" in row[5]
    assert "x share 0.5" in row[5] and "publisher's grade R" in row[5]
    provenance = {r[0]: r[1] for r in book["Provenance"].iter_rows(values_only=True) if r[0]}
    assert provenance["reference_tables_gmca_unit_costs@1.4"] == use["table_sha256"]
