"""Plausibility bounds: every numeric input has documented, generous bounds; a value outside
them is refused where it is, with the bound and the reason; and any scenario that validates
computes finite figures, even with every input at its bound (issue 8, class 7)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cba
from cba import ScenarioError
from cba.io.scenario_file import load_scenario, scenario_from_dict
from cba.spec import base
from cba.spec.scale import MAX_DRIVER, MIN_DRIVER

ROOT = Path(__file__).resolve().parent.parent.parent
BASE_TEXT = (ROOT / "tests" / "invalid" / "_base_valid.yaml").read_text(encoding="utf-8")
SCALE_TEXT = (ROOT / "scenarios" / "volunteer_befriending_scale.yaml").read_text(encoding="utf-8")

DEFLATOR = (
    "deflator:\n  vintage: test\n  source: test\n  index: {2023: 90.0, 2024: 100.0}\ndiscounting:"
)


def _edited(old: str, new: str, text: str = BASE_TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _problem(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


OUT_OF_BOUNDS = [
    # (id, where, replacement, path, fragments)
    (
        "amount_per_year",
        "amount_per_year: 3000",
        "amount_per_year: 1e308",
        "options[1].costs[0].amount_per_year",
        ("at most 1e+12", "£1 trillion", "Check the units"),
    ),
    (
        "series",
        "2024: 500",
        "2024: 2e12",
        "options[1].costs[1].series[2024]",
        ("at most 1e+12",),
    ),
    (
        "unit value",
        "amount: 683",
        "amount: 1.7e308",
        "options[1].benefits[0].unit_values[0].amount",
        ("at most 1e+09", "one outcome"),
    ),
    (
        "value_per_hour",
        "value_per_hour: 11.0",
        "value_per_hour: 1e6",
        "options[1].community_inputs[0].value_per_hour",
        ("at most 10000", "an hour"),
    ),
    (
        "hours_per_year",
        "hours_per_year: 2000",
        "hours_per_year: 1e300",
        "options[1].community_inputs[0].hours_per_year",
        ("at most 1e+09", "hours a year"),
    ),
    (
        "hours_per_volunteer",
        "hours_per_year: 2000",
        "volunteers: 10\n        hours_per_volunteer: 9000",
        "options[1].community_inputs[0].hours_per_volunteer",
        ("at most 8784", "leap year"),
    ),
    (
        "volunteers",
        "hours_per_year: 2000",
        "volunteers: 1e9\n        hours_per_volunteer: 10",
        "options[1].community_inputs[0].volunteers",
        ("at most 1e+08", "population of the UK"),
    ),
    (
        "outcomes_per_year",
        "outcomes_per_year: 5",
        "outcomes_per_year: 1e200",
        "options[1].benefits[0].outcomes_per_year",
        ("at most 1e+09",),
    ),
    (
        "cohort",
        "outcomes_per_year: 5",
        "outcomes: {cohort: 1e10}",
        "options[1].benefits[0].outcomes.cohort",
        ("at most 1e+08",),
    ),
    (
        "custom band offset",
        "schedule: green_book_standard",
        "schedule: {name: x, bands: [{from_year_offset: 0, rate: 0.03}, "
        "{from_year_offset: 100000000000000000000, rate: 0.01}]}",
        "discounting.schedule.bands[1].from_year_offset",
        ("at most 500",),
    ),
]


@pytest.mark.parametrize(
    ("where", "replacement", "path", "fragments"),
    [case[1:] for case in OUT_OF_BOUNDS],
    ids=[case[0] for case in OUT_OF_BOUNDS],
)
def test_values_past_a_bound_are_refused_with_the_bound_and_why(
    tmp_path: Path, where: str, replacement: str, path: str, fragments: tuple[str, ...]
) -> None:
    text = _edited(where, replacement)
    problem = _problem(tmp_path, text)
    assert problem.path == path
    for fragment in fragments:
        assert fragment in problem.message, problem.message
    assert problem.line > 0


@pytest.mark.parametrize(
    ("index", "fragment"),
    [("5e-324", "at least 0.001"), ("1e-300", "at least 0.001"), ("1e300", "at most 1e+06")],
)
def test_deflator_indices_that_can_only_be_mistakes_are_refused(
    tmp_path: Path, index: str, fragment: str
) -> None:
    text = _edited("discounting:", DEFLATOR.replace("90.0", index))
    text = _edited("amount_per_year: 3000", "amount_per_year: 3000\n        price_year: 2023", text)
    problem = _problem(tmp_path, text)
    assert problem.path == "deflator.index[2023]"
    assert fragment in problem.message
    assert "deflator index is usually near 100" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "path", "fragment"),
    [
        ("n0: 60", "n0: 5e-324", "options[1].scale.n0", "at least 0.001"),
        ("n0: 60", "n0: 1e300", "options[1].scale.n0", "at most 1e+09"),
        ("start: 5,", "start: 1e-300,", "options[1].scale.sweep.start", "at least 0.001"),
        ("stop: 400,", "stop: 1e300,", "options[1].scale.sweep.stop", "at most 1e+09"),
    ],
)
def test_scale_values_that_can_only_be_mistakes_are_refused(
    tmp_path: Path, old: str, new: str, path: str, fragment: str
) -> None:
    problems = _refused(tmp_path, _edited(old, new, SCALE_TEXT))
    assert any(p.path == path and fragment in p.message for p in problems), "\n".join(
        map(str, problems)
    )


def _refused(tmp_path: Path, text: str) -> list[Any]:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def _with_law(law: str, n0: str = "60") -> str:
    """The scale example with the coordinator's law replaced by ``law``."""
    text = _edited("n0: 60", f"n0: {n0}", SCALE_TEXT)
    return _edited("scaling: {law: fixed}", f"scaling: {law}", text)


def test_a_table_that_is_zero_at_n0_is_refused(tmp_path: Path) -> None:
    # Before: any positive point passed, and the law divided by the value at n0 (0): inf/NaN.
    law = "{law: table, points: [{n: 0, value: 0}, {n: 100, value: 0}, {n: 200, value: 5}]}"
    problems = _refused(tmp_path, _with_law(law))
    assert any("table must cover n0 = 60" in p.message for p in problems)


def test_a_table_nearly_zero_at_n0_is_refused(tmp_path: Path) -> None:
    points = "[{n: 0, value: 1e-300}, {n: 60, value: 1e-300}, {n: 100, value: 1e12}]"
    law = "{law: table, points: " + points + "}"
    problems = _refused(tmp_path, _with_law(law))
    assert any("a billionth of its largest value" in p.message for p in problems)


def test_pairwise_coordination_needs_n0_above_one(tmp_path: Path) -> None:
    law = "{law: coordination, form: pairwise}"
    text = _with_law(law, n0="1").replace("start: 5", "start: 1")
    problems = _refused(tmp_path, text)
    assert any("needs n0 above 1" in p.message for p in problems), "\n".join(map(str, problems))


def test_the_bounds_are_documented_in_the_generated_reference() -> None:
    doc = (ROOT / "docs" / "scenario-language.md").read_text(encoding="utf-8")
    for words in ("at most 1e12 (£1 trillion)", "8,784", "0.001 to 1e6", "0.001 to 1e9"):
        assert words in doc, words


# --- Any scenario that validates computes finite figures -------------------------------------


def non_finite(value: object, path: str = "results") -> list[str]:
    """Paths of every float in a Results tree that is infinite or NaN."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            found
            for field in dataclasses.fields(value)
            for found in non_finite(getattr(value, field.name), f"{path}.{field.name}")
        ]
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in non_finite(v, f"{path}[{k}]")]
    if isinstance(value, list | tuple):
        return [found for i, v in enumerate(value) for found in non_finite(v, f"{path}[{i}]")]
    return []


EXTREME_AMOUNTS = st.sampled_from(
    [0.0, 5e-324, 1e-300, 1.0, base.MAX_MONEY_PER_YEAR / 3, base.MAX_MONEY_PER_YEAR]
)
LAWS = st.sampled_from(
    [
        None,
        {"law": "proportional"},
        {"law": "fixed"},
        {"law": "power", "elasticity": 5.0},
        {"law": "power", "elasticity": 0.0},
        {"law": "coordination", "exponent": 5.0},
        {"law": "coordination", "form": "pairwise"},
        {"law": "fixed_plus_variable", "fixed_share": 0.0},
        {"law": "step", "per": MIN_DRIVER},
        {"law": "step", "per": MAX_DRIVER},
        {"law": "saturating", "rate": 1e-9},
        {"law": "saturating", "rate": 1e3},
        {"law": "participation", "delta": 1.0},
        {"law": "learning", "b": 0.999999},
        {
            "law": "table",
            "points": [{"n": 0.0, "value": 1e12}, {"n": MAX_DRIVER, "value": 1e3}],
        },
    ]
)
SCHEDULES = st.sampled_from(
    [
        "green_book_standard",
        "green_book_health",
        {"constant_rate": 0.0},
        {"constant_rate": 0.5},
        {"name": "steep", "bands": [{"from_year_offset": 0, "rate": 0.5}]},
    ]
)


@st.composite
def extreme_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Valid scenarios with inputs at (or near) their bounds, over up to 500 years."""
    years = draw(st.sampled_from([1, 2, 60, 500]))
    last = min(2024 + years - 1, 2500)  # calendar years end at 2500
    law = draw(LAWS)
    n0 = draw(st.sampled_from([MIN_DRIVER, 1.5, 40.0, MAX_DRIVER]))
    if law is not None and law.get("form") == "pairwise" and n0 <= 1:
        n0 = 1.5
    unit_values = [
        {
            "value_type": kind,
            "amount": draw(st.sampled_from([0.0, 5e-324, base.MAX_MONEY_PER_OUTCOME])),
            "source": "test",
            **({"agency": "council", "transfer": draw(st.booleans())} if kind == "fiscal" else {}),
        }
        for kind in ("fiscal", "economic", "social")
    ]
    share = draw(st.sampled_from([5e-324, 0.5, 1.0]))
    option = {
        "id": "extreme",
        "name": "Every input at its bound",
        "costs": [
            {
                "id": "running",
                "name": "running",
                "category": "revenue",
                "amount_per_year": draw(EXTREME_AMOUNTS),
                "paid_by": "council",
                "optimism_bias": 2.0,
                "price_year": 2023,
                "source": "test",
            },
            {
                "id": "shared",
                "name": "shared",
                "category": "capital",
                "series": {2024: draw(EXTREME_AMOUNTS), last: base.MAX_MONEY_PER_YEAR},
                "paid_by": {"council": share, "charity": 1.0 - share} if share < 1.0 else "charity",
                "source": "test",
            },
        ],
        "community_inputs": [
            {
                "kind": "time",
                "id": "time",
                "name": "time",
                "contributed_by": "residents",
                "volunteers": base.MAX_PEOPLE,
                "hours_per_volunteer": base.HOURS_IN_A_YEAR,
                "value_per_hour": base.MAX_MONEY_PER_HOUR,
                "valuation_basis": "replacement_cost",
                "source": "test",
            },
            {
                "kind": "in_kind",
                "id": "space",
                "name": "space",
                "contributed_by": "residents",
                "value_per_year": draw(EXTREME_AMOUNTS),
                "source": "test",
            },
        ],
        "benefits": [
            {
                "id": "direct",
                "name": "direct",
                "outcomes_per_year": base.MAX_OUTCOMES_PER_YEAR,
                "unit_values": unit_values,
                "multiplier": 10.0,
                "drop_off": draw(st.sampled_from([0.0, 1.0])),
                "price_year": 2023,
                "source": "test",
            },
            {
                "id": "cohort",
                "name": "cohort",
                "outcomes": {"cohort": base.MAX_PEOPLE},
                "unit_values": unit_values,
                "multiplier": 10.0,
                "health": True,
                "source": "test",
            },
        ],
        "scale": {
            "driver": "people",
            "n0": n0,
            "sweep": {
                "start": MIN_DRIVER,
                "stop": MAX_DRIVER,
                "points": 20,
                "spacing": draw(st.sampled_from(["linear", "logarithmic"])),
            },
        },
    }
    if law is not None:
        for key in ("costs", "community_inputs", "benefits"):
            for line in option[key]:
                line["scaling"] = law
    return {
        "cba_scenario": "1.0",
        "id": "extreme",
        "title": "Extreme but valid",
        "price_base_year": 2024,
        "first_year": 2024,
        "appraisal_period_years": years,
        "discounting": {"schedule": draw(SCHEDULES), "health_schedule": draw(SCHEDULES)},
        "deflator": {
            "vintage": "test",
            "source": "test",
            "index": {2024: 1e6, 2023: 0.001},
        },
        "agencies": [
            {"id": "council", "name": "Council", "sector": "public"},
            {"id": "charity", "name": "Charity", "sector": "third_sector"},
            {"id": "residents", "name": "Residents", "sector": "community"},
        ],
        "options": [{"id": "nothing", "name": "Nothing"}, option],
        "counterfactual": "nothing",
    }


@settings(max_examples=25)
@given(extreme_scenarios())
def test_valid_scenarios_at_their_bounds_compute_finite_figures(data: dict[str, Any]) -> None:
    scenario = scenario_from_dict(data)
    results = cba.run(scenario)
    assert non_finite(results) == []
    curve = results.option("extreme").scale
    assert curve is not None
    assert len(curve.points) >= 20
