"""A cost line's optimism bias as an upper bound with mitigation (issue 14):
``{upper_bound: 0.2, mitigation: 0.5, source: ...}`` uplifts by 0.2 x (1 - 0.5), is a
parameter by path, is said in words, and is refused on benefit lines with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

import cba
from cba.io.workbook.wording import cost_optimism_fraction, cost_optimism_text
from cba.io.yaml_loader import load_yaml

ROOT = Path(__file__).resolve().parent.parent
BALSALL = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
LINE = "options.resident_patrols.costs.coordinator"


def with_coordinator_bias(bias: object) -> cba.Scenario:
    data, _ = load_yaml(BALSALL)
    option = next(o for o in data["options"] if o["id"] == "resident_patrols")
    line = next(c for c in option["costs"] if c["id"] == "coordinator")
    line["optimism_bias"] = bias
    return cba.scenario_from_dict(data)


def coordinator_pv(scenario: cba.Scenario) -> float:
    results = cba.run(scenario, sensitivity=False, uncertainty=False)
    (line,) = [c for c in results.option("resident_patrols").costs if c.line_id == "coordinator"]
    return line.pv


def test_upper_bound_with_mitigation_is_the_same_as_its_uplift() -> None:
    bounded = with_coordinator_bias(
        {"upper_bound": 0.2, "mitigation": 0.5, "source": "Illustrative assumption."}
    )
    plain = with_coordinator_bias(0.1)
    assert coordinator_pv(bounded) == pytest.approx(coordinator_pv(plain), rel=1e-12)
    ob = bounded.option("resident_patrols").costs[1].optimism_bias
    assert cost_optimism_fraction(ob, bounded.confidence_grades) == pytest.approx(0.1)
    assert cost_optimism_text(ob, bounded.confidence_grades).startswith(
        "20% upper bound given in the scenario, 50% mitigated (10% uplift"
    )


def test_upper_bound_and_mitigation_are_parameters() -> None:
    bounded = with_coordinator_bias(
        {"upper_bound": 0.2, "mitigation": 0.5, "source": "Illustrative assumption."}
    )
    compiled = cba.compile_scenario(bounded)
    for key in ("upper_bound", "mitigation"):
        assert f"{LINE}.optimism_bias.{key}" in compiled.parameters
    changed = cba.with_values(bounded, {f"{LINE}.optimism_bias.upper_bound": 0.4})
    assert coordinator_pv(changed) == pytest.approx(
        coordinator_pv(with_coordinator_bias(0.2)), rel=1e-12
    )
    evaluated = cba.evaluate(compiled, {f"{LINE}.optimism_bias.upper_bound": 0.4})
    rerun = cba.run(changed, sensitivity=False, uncertainty=False)
    assert float(evaluated.options["resident_patrols"].incremental.npsv) == pytest.approx(
        rerun.option("resident_patrols").incremental.npsv, rel=1e-12
    )


@pytest.mark.parametrize(
    ("bias", "fragment"),
    [
        ({"upper_bound": 2.5, "mitigation": 0.5, "source": "x"}, "no greater than 2"),
        ({"upper_bound": 0.2, "mitigation": 1.5, "source": "x"}, "mitigation"),
        ({"upper_bound": 0.2, "mitigation": 0.5}, "source"),
    ],
)
def test_bad_upper_bounds_are_located(bias: object, fragment: str) -> None:
    with pytest.raises(cba.ScenarioError) as caught:
        with_coordinator_bias(bias)
    text = str(caught.value)
    assert "optimism_bias" in text and fragment in text
