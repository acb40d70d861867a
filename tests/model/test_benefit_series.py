"""Benefit lines by year: ``outcomes_series`` (gross outcomes by calendar year) and a unit
value's ``amount_series`` (value per outcome by calendar year); docs/methods.md §5.

The hand-worked figures are in tests/cases/hand_worked_benefit_series.yaml; here: a line
written with one number equals the same line written as a constant series, the series' years
are parameters a what-if can set, a reference to a table's values by year resolves into a
series, and the results and the JSON show the values by year.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import cba
from cba.io.json_results import results_to_json
from cba.io.scenario_file import ScenarioError, scenario_from_dict
from cba.what_if import parameters

FIRST_YEAR = 2024


def scenario(benefit: dict[str, Any], years: int = 4) -> dict[str, Any]:
    """A small scenario: one option with a coordinator and the benefit line ``benefit``."""
    return {
        "cba_scenario": "1.0",
        "id": "series_test",
        "title": "Benefit series test",
        "price_base_year": FIRST_YEAR,
        "first_year": FIRST_YEAR,
        "appraisal_period_years": years,
        "agencies": [
            {"id": "council", "name": "Council", "sector": "public"},
            {"id": "police", "name": "Police", "sector": "public"},
        ],
        "counterfactual": "nothing",
        "options": [
            {"id": "nothing", "name": "Do nothing"},
            {
                "id": "scheme",
                "name": "Scheme",
                "costs": [
                    {
                        "id": "coordinator",
                        "name": "Coordinator",
                        "category": "revenue",
                        "amount_per_year": 1000.0,
                        "paid_by": "council",
                        "source": "test",
                    }
                ],
                "benefits": [benefit],
            },
        ],
    }


def line(**keys: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": "outcome",
        "name": "Outcome",
        "unit_values": [
            {"value_type": "fiscal", "agency": "police", "amount": 200.0, "source": "test"},
            {"value_type": "social", "amount": 50.0, "source": "test"},
        ],
        "source": "test",
    }
    out.update(keys)
    return out


fraction = st.floats(0.0, 0.9, allow_nan=False)


@settings(max_examples=25, deadline=None)
# No outcomes in any year: the value per outcome is the series' first value (found by CI).
@example(years=2, start=1, outcomes=0.0, amount=1.0, deadweight=0.0, leakage=0.0, health=False)
@given(
    years=st.integers(1, 8),
    start=st.integers(0, 7),
    outcomes=st.floats(0.0, 1e4, allow_nan=False),
    amount=st.floats(0.0, 1e5, allow_nan=False),
    deadweight=fraction,
    leakage=fraction,
    health=st.booleans(),
)
def test_a_constant_series_is_the_single_number(
    years: int,
    start: int,
    outcomes: float,
    amount: float,
    deadweight: float,
    leakage: float,
    health: bool,
) -> None:
    start = min(start, years - 1)
    active = range(FIRST_YEAR + start, FIRST_YEAR + years)
    common = {"deadweight": deadweight, "leakage": leakage, "health": health}
    scalar = line(outcomes_per_year=outcomes, start_year=FIRST_YEAR + start, **common)
    scalar["unit_values"][0]["amount"] = amount
    by_year = line(outcomes_series=dict.fromkeys(active, outcomes), **common)
    del by_year["unit_values"][0]["amount"]
    by_year["unit_values"][0]["amount_series"] = dict.fromkeys(active, amount)
    one = cba.run(scenario_from_dict(scenario(scalar, years)), sensitivity=False)
    two = cba.run(scenario_from_dict(scenario(by_year, years)), sensitivity=False)
    for name in ("pv_benefits", "npsv", "pv_public_costs"):
        a = getattr(one.option("scheme").incremental, name)
        b = getattr(two.option("scheme").incremental, name)
        assert b == pytest.approx(a, rel=1e-12, abs=1e-9), name
    lines = (one.option("scheme").benefits[0], two.option("scheme").benefits[0])
    np.testing.assert_allclose(lines[1].net_outcomes, lines[0].net_outcomes, rtol=1e-12)
    for a, b in zip(lines[0].chain, lines[1].chain, strict=True):
        assert b.outcomes_first_year == pytest.approx(a.outcomes_first_year, rel=1e-12)
        assert b.pv == pytest.approx(a.pv, rel=1e-12, abs=1e-9)
    assert lines[1].components[0].amount_per_outcome == pytest.approx(amount)


def test_series_values_by_year_in_results_and_json() -> None:
    data = scenario(
        line(
            outcomes_series={2025: 5.0, 2026: 12.0, 2027: 20.0},
            deadweight=0.5,
            unit_values=[
                {
                    "value_type": "social",
                    "amount_series": {2024: 99.0, 2025: 70.0, 2026: 75.0, 2027: 80.0},
                    "source": "test",
                }
            ],
        )
    )
    results = cba.run(scenario_from_dict(data), sensitivity=False)
    benefit = results.option("scheme").benefits[0]
    assert benefit.net_outcomes == (0.0, 2.5, 6.0, 10.0)
    component = benefit.components[0]
    assert component.amounts_by_year == (99.0, 70.0, 75.0, 80.0)  # 2024 has no outcomes
    assert component.flows == (0.0, 175.0, 450.0, 800.0)
    assert component.amount_per_outcome == 70.0  # the first year with outcomes
    gross = benefit.chain[0]
    assert (gross.outcomes_first_year, gross.outcomes_total) == (5.0, 37.0)
    written = json.loads(results_to_json(results))
    text = json.dumps(written)
    assert '"amounts_by_year": [99.0, 70.0, 75.0, 80.0]' in text


def test_series_years_are_parameters_a_what_if_sets() -> None:
    data = scenario(
        line(
            outcomes_series={2024: 10.0, 2025: 20.0},
            unit_values=[
                {"value_type": "social", "amount_series": {2024: 100.0, 2025: 110.0}, "source": "t"}
            ],
        ),
        years=2,
    )
    compiled = cba.compile_scenario(scenario_from_dict(data))
    path = "options.scheme.benefits.outcome"
    paths = {p.path for p in parameters(scenario_from_dict(data))}
    assert {f"{path}.outcomes_series.2025", f"{path}.unit_values.0.amount_series.2025"} <= paths
    settings_ = {
        f"{path}.outcomes_series.2025": np.array([20.0, 20.0]),
        f"{path}.unit_values.0.amount_series.2025": np.array([110.0, 0.0]),
    }
    found = compiled.evaluate(settings_).options["scheme"].gross.pv_benefits
    d1 = 1 / 1.035  # the Green Book factor of year offset 1
    # setting 0: 10 x 100 in 2024, 20 x 110 in 2025; setting 1: the 2025 value set to 0
    np.testing.assert_allclose(found, [10 * 100 + 20 * 110 * d1, 10 * 100], rtol=1e-12)
    changed = cba.with_values(scenario_from_dict(data), {f"{path}.outcomes_series.2025": 40})
    pvb = cba.run(changed, sensitivity=False).option("scheme").gross.pv_benefits
    assert pvb == pytest.approx(10 * 100 + 40 * 110 * d1, rel=1e-12)


def test_a_carbon_value_reference_resolves_into_an_amount_series() -> None:
    data = scenario(
        line(
            outcomes_series={2024: 3.0, 2025: 3.0},
            unit_values=[
                {
                    "value_type": "social",
                    "amount_series": {"ref": "desnz_carbon_values@2023-11:central.per_tonne"},
                }
            ],
        ),
        years=2,
    )
    data["price_base_year"] = 2022
    data["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    loaded = scenario_from_dict(copy.deepcopy(data))
    value = loaded.option("scheme").benefits[0].unit_values[0]
    assert value.amount_series is not None
    assert sorted(value.amount_series) == [2024, 2025]  # trimmed to the appraisal period
    assert value.amount_series[2025] == pytest.approx(273.06)  # 2022 prices, as published
    assert "DESNZ" in value.source
    # A period longer than the table: the years it does not hold are named.
    data["appraisal_period_years"] = 30
    data["options"][1]["benefits"][0]["outcomes_series"] = {2050: 1.0, 2051: 1.0}
    with pytest.raises(ScenarioError, match="amount_series has no value for 2051"):
        scenario_from_dict(data)


def test_json_schema_accepts_series_and_references_to_them() -> None:
    import jsonschema

    from cba.io.schema import scenario_json_schema

    schema = json.loads(scenario_json_schema())
    data = scenario(
        line(
            outcomes_series={"2024": 3.0, "2025": 4.0},
            unit_values=[
                {
                    "value_type": "social",
                    "amount_series": {"ref": "desnz_carbon_values@2023-11:central.per_tonne"},
                },
                {"value_type": "social", "amount_series": {"2024": 1.0}, "source": "t"},
            ],
        ),
        years=2,
    )
    jsonschema.validate(data, schema)
    data["options"][1]["benefits"][0]["unit_values"][1]["amount_series"] = {"2024": -1.0}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
