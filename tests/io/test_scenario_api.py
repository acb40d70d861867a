"""Building and changing scenarios from Python: validated exactly like a file, or refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

import cba
from cba.io.scenario_file import scenario_from_dict, with_values
from cba.spec.scenario import Scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios/balsall_heath_community_safety.yaml"
PATROL_DEADWEIGHT = "options.resident_patrols.benefits.burglary_avoided.deadweight"


def _raw() -> dict:
    data: dict = YAML(typ="safe", pure=True).load(EXAMPLE.read_text(encoding="utf-8"))
    return data


def test_scenario_from_dict_equals_the_file() -> None:
    assert scenario_from_dict(_raw()) == cba.load_scenario(EXAMPLE)


def test_to_data_round_trips_every_example(scenario_path: Path) -> None:
    scenario = cba.load_scenario(scenario_path)
    if not any(o.from_strategy_map for o in scenario.options):
        # Options built from a strategy map are built again by scenario_from_dict (it solves
        # the map); Scenario.model_validate only validates.
        assert Scenario.model_validate(scenario.to_data()) == scenario
    assert scenario_from_dict(scenario.to_data()) == scenario


def test_scenario_from_dict_checks_cross_references_and_reports_all() -> None:
    data = _raw()
    data["options"][1]["costs"][0]["paid_by"] = "polise"
    data["options"][0]["id"] = data["options"][1]["id"]
    with pytest.raises(cba.ScenarioError) as caught:
        scenario_from_dict(data, source="my-dict")
    text = str(caught.value)
    assert "my-dict: options[1].costs[0].paid_by: unknown agency; got 'polise'" in text
    assert "Did you mean 'police'?" in text
    assert "duplicate option id" in text


def test_plain_model_validate_checks_cross_references() -> None:
    """Before: ``Scenario.model_validate(dict)`` skipped them and failed later with KeyError."""
    data = _raw()
    data["options"][1]["costs"][0]["paid_by"] = "nobody"
    with pytest.raises(ValidationError, match="unknown agency"):
        Scenario.model_validate(data)
    data = _raw()
    data["counterfactual"] = "nothing_like_it"
    with pytest.raises(ValidationError, match="unknown option"):
        Scenario.model_validate(data)


def test_plain_model_validate_and_constructor_refuse_duplicate_ids() -> None:
    data = _raw()
    costs = data["options"][1]["costs"]
    costs[1]["id"] = costs[0]["id"]
    with pytest.raises(ValidationError, match="duplicate line id"):
        Scenario.model_validate(data)
    with pytest.raises(ValidationError, match="duplicate line id"):
        Scenario(**data)


def test_constructor_checks_cross_references() -> None:
    data = _raw()
    data["options"][1]["benefits"][0]["unit_values"][0]["agency"] = "nobody"
    with pytest.raises(ValidationError, match="unknown agency"):
        Scenario(**data)
    assert Scenario(**_raw()) == cba.load_scenario(EXAMPLE)


def test_json_and_string_validation_are_refused() -> None:
    with pytest.raises(TypeError, match="scenario_from_dict"):
        Scenario.model_validate_json("{}")
    with pytest.raises(TypeError, match="scenario_from_dict"):
        Scenario.model_validate_strings({})


def test_with_values_equals_editing_the_file(tmp_path: Path) -> None:
    base = cba.load_scenario(EXAMPLE)
    changed = with_values(base, {PATROL_DEADWEIGHT: 0.5})
    text = EXAMPLE.read_text(encoding="utf-8")
    edited_file = tmp_path / "edited.yaml"
    lines = text.splitlines(keepends=True)
    burglary = next(i for i, line in enumerate(lines) if "id: burglary_avoided" in line)
    at = next(i for i in range(burglary, len(lines)) if lines[i].strip().startswith("deadweight:"))
    assert lines[at].strip() == "deadweight: 0.3"  # the burglary line's deadweight
    lines[at] = lines[at].replace("0.3", "0.5")
    edited_file.write_text("".join(lines), encoding="utf-8")
    assert changed == cba.load_scenario(edited_file)
    assert base.option("resident_patrols").benefits[0].deadweight == 0.3  # unchanged
    npsv = cba.run(changed).option("resident_patrols").incremental.npsv
    assert (
        npsv == cba.run(cba.load_scenario(edited_file)).option("resident_patrols").incremental.npsv
    )
    assert npsv < cba.run(base).option("resident_patrols").incremental.npsv


def test_with_values_sets_an_input_left_at_its_default() -> None:
    base = cba.load_scenario(EXAMPLE)
    path = "options.resident_patrols.benefits.burglary_avoided.leakage"
    assert "leakage" not in base.to_data()["options"][1]["benefits"][0]
    assert with_values(base, {path: 0.1}).option("resident_patrols").benefits[0].leakage == 0.1


def test_with_values_refuses_a_value_the_file_could_not_hold() -> None:
    """Before: ``model_copy(update={"deadweight": 30})`` ran silently (NPSV -GBP 64m)."""
    base = cba.load_scenario(EXAMPLE)
    with pytest.raises(cba.ScenarioError) as caught:
        with_values(base, {PATROL_DEADWEIGHT: 30})
    text = str(caught.value)
    assert f"<with_values>: {PATROL_DEADWEIGHT}: must be a fraction" in text  # named by path
    assert "write 0.3 for 30%" in text


@pytest.mark.parametrize(
    ("path", "fragments"),
    [
        (
            "options.resident_patrol.benefits.burglary_avoided.deadweight",
            ["no id 'resident_patrol' under 'options'", "Did you mean 'resident_patrols'?"],
        ),
        (
            "options.resident_patrols.benefit.burglary_avoided.deadweight",
            ["no key 'benefit' under 'options.resident_patrols'", "Did you mean 'benefits'?"],
        ),
        ("title.words", ["'title' is a single value"]),
        ("", ["ids and keys joined by dots"]),
    ],
)
def test_with_values_refuses_paths_that_lead_nowhere(path: str, fragments: list[str]) -> None:
    with pytest.raises(cba.ScenarioError) as caught:
        with_values(cba.load_scenario(EXAMPLE), {path: 1.0})
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_a_misspelt_last_key_is_refused_with_a_hint() -> None:
    path = "options.resident_patrols.benefits.burglary_avoided.deadwieght"
    with pytest.raises(cba.ScenarioError, match="deadweight"):
        with_values(cba.load_scenario(EXAMPLE), {path: 0.1})


def test_changing_values_without_validation_is_refused() -> None:
    """Before: ``line.model_copy(update={"deadweight": 30})`` ran silently (NPSV -GBP 64m)."""
    scenario = cba.load_scenario(EXAMPLE)
    line = scenario.option("resident_patrols").benefits[0]
    with pytest.raises(TypeError, match="with_values"):
        line.model_copy(update={"deadweight": 30})
    with pytest.raises(TypeError, match="with_values"):
        scenario.model_copy(update={"title": "x"})
    with pytest.raises(TypeError, match="skips validation"):
        type(line).model_construct(deadweight=30)
    assert scenario.model_copy() == scenario
    assert scenario.model_copy(deep=True) == scenario


def test_public_api_exports_the_validated_builders() -> None:
    assert cba.scenario_from_dict is scenario_from_dict
    assert cba.with_values is with_values


@pytest.mark.parametrize("data", [[1, 2], "text", None, 3.5])
def test_scenario_from_dict_refuses_what_is_not_a_mapping(data: object) -> None:
    with pytest.raises(cba.ScenarioError, match="a scenario is a mapping"):
        scenario_from_dict(data)  # type: ignore[arg-type]


def test_scenario_from_dict_refuses_keys_that_are_not_names() -> None:
    with pytest.raises(cba.ScenarioError, match="a key must be a name"):
        scenario_from_dict({**_raw(), 2024: "x"})
