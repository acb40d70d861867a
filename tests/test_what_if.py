"""What-ifs from Python (``cba.evaluate``): the compiled model against ``cba run`` and against
editing the scenario file.

The references are independent ways to the same figures: ``cba.run`` of the unchanged scenario,
``cba.run(cba.with_values(...))`` (the changed scenario validated and appraised like a file),
and one scalar evaluation per setting for the leading axis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cba
from cba.model.evaluation import HEADLINE, CompiledScenario, Evaluation, Parameter
from cba.results import Measures, Results
from cba.spec.scenario import Scenario
from cba.what_if import parameters
from tests.conftest import SCENARIOS
from tests.property.bounds import magnitude, money_tolerance, ratio_tolerance

ROOT = Path(__file__).resolve().parent.parent
BASES = ("gross", "incremental")
MONEY = tuple(name for name in HEADLINE if not name.startswith("bcr"))
RATIOS = ("bcr_public", "bcr_public_and_community")
GROSS_TERMS = (
    "pv_fiscal",
    "pv_economic",
    "pv_social",
    "pv_public_costs",
    "pv_non_public_costs",
    "pv_community_inputs",
)
"""The gross present values behind every headline figure (as ``bounds.gross_magnitude``)."""

BALSALL = "balsall_heath_community_safety"
CORRIDOR = "green_corridor_cleanup"
OLDER = "older_people_community_support"
BEFRIENDING = "volunteer_befriending_scale"

BURGLARY = "options.resident_patrols.benefits.burglary_avoided"
ASB = "options.resident_patrols.benefits.asb_avoided"
PATROLS = "options.resident_patrols.community_inputs.street_patrols"
COORDINATOR = "options.resident_patrols.costs.coordinator"
BROOK = "options.friends_of_the_brook"
FLY_TIPPING = f"{BROOK}.benefits.fly_tipping_avoided"
MAINTENANCE = f"{BROOK}.costs.maintenance"
NEIGHBOURS = "options.good_neighbours"
VALUE_OF_TIME = "options.*.community_inputs.*.value_per_hour"


def key_of(path: str) -> str:
    """The named key of a parameter path: its last segment, or the table a year or grade is a
    key of (``series`` for ``...series.2024``, ``corrections`` for ``...corrections.3``)."""
    parts = path.split(".")
    return parts[-2] if parts[-1].isdigit() else parts[-1]


@cache
def scenario(stem: str) -> Scenario:
    """An example scenario by file stem (validated once per test session)."""
    return cba.load_scenario(ROOT / "scenarios" / f"{stem}.yaml")


@cache
def compiled(stem: str) -> CompiledScenario:
    """An example scenario compiled once, with the file's wording for refused values."""
    return cba.compile_scenario(scenario(stem))


def cell(evaluation: Evaluation, option_id: str, basis: str, name: str, index: Any = ()) -> float:
    """One measure of one option at one setting (``index`` into the leading shape)."""
    measures = getattr(evaluation.options[option_id], basis)
    return float(np.asarray(getattr(measures, name))[index])


def gross_size(evaluation: Evaluation, option_id: str, counterfactual: str, index: Any) -> float:
    """Gross magnitude behind an option's incremental figures at one setting [GBP PV]: the
    tolerance base of ``tests.property.bounds``, read from an evaluation."""
    return sum(
        abs(cell(evaluation, owner, "gross", term, index))
        for owner in {option_id, counterfactual}
        for term in GROSS_TERMS
    )


def reported(measures: Measures, name: str) -> float:
    """A figure of ``Results`` as a float; undefined (None) as NaN, as the engine has it."""
    value = getattr(measures, name)
    return math.nan if value is None else float(value)


def same(a: float, b: float) -> bool:
    """Exactly equal, or both undefined."""
    return a == b or (math.isnan(a) and math.isnan(b))


def close(a: float, b: float, tolerance: float) -> bool:
    """Within ``tolerance``, or both undefined."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance


def assert_setting_matches(
    array: Evaluation, index: Any, scalar: Evaluation, counterfactual: str
) -> None:
    """Every headline measure of every option at ``array[index]`` equals the scalar
    evaluation's, to the rounding of the gross terms (``tests.property.bounds``)."""
    for option_id in scalar.options:
        size = gross_size(scalar, option_id, counterfactual, ())
        for basis in BASES:
            for name in MONEY:
                got, want = (
                    cell(array, option_id, basis, name, index),
                    cell(scalar, option_id, basis, name),
                )
                assert close(got, want, money_tolerance(size)), (option_id, basis, name, index)
            denominators = {
                "bcr_public": cell(scalar, option_id, basis, "pv_public_costs"),
                "bcr_public_and_community": cell(scalar, option_id, basis, "pv_public_costs")
                + cell(scalar, option_id, basis, "pv_community_inputs"),
            }
            for name, denominator in denominators.items():
                if abs(denominator) <= money_tolerance(size):
                    continue  # the ratio's sign is rounding there: nothing to compare
                got, want = (
                    cell(array, option_id, basis, name, index),
                    cell(scalar, option_id, basis, name),
                )
                tolerance = ratio_tolerance(
                    size, 0.0 if math.isnan(want) else want, abs(denominator)
                )
                assert close(got, want, tolerance), (option_id, basis, name, index)


def assert_matches_results(
    evaluation: Evaluation, results: Results, index: Any = (), names: tuple[str, ...] = HEADLINE
) -> None:
    """The evaluation at ``index`` gives ``results``' figures (an appraisal of the edited file)
    to the rounding of the gross terms."""
    cf = results.option(results.counterfactual)
    for option in results.options:
        for basis in BASES:
            size = magnitude(option, cf, basis)
            want_m: Measures = getattr(option, basis)
            for name in names:
                got = cell(evaluation, option.option_id, basis, name, index)
                want = reported(want_m, name)
                if name in RATIOS:
                    denominator = want_m.pv_public_costs + (
                        want_m.pv_community_inputs if name == "bcr_public_and_community" else 0.0
                    )
                    if abs(denominator) <= money_tolerance(size):
                        continue
                    tolerance = ratio_tolerance(
                        size, 0.0 if math.isnan(want) else want, abs(denominator)
                    )
                else:
                    tolerance = money_tolerance(size)
                assert close(got, want, tolerance), (
                    option.option_id,
                    basis,
                    name,
                    index,
                    got,
                    want,
                )


# --- 1. no values: exactly cba run -------------------------------------------------------------


def test_no_values_gives_exactly_the_run_figures(scenario_path: Path) -> None:
    loaded = cba.load_scenario(scenario_path)
    evaluation = cba.evaluate(loaded)
    results = cba.run(loaded)
    assert evaluation.shape == ()
    assert evaluation.values == {}
    assert set(evaluation.options) == {o.option_id for o in results.options}
    names = (
        "npsv",
        "bcr_public",
        "bcr_public_and_community",
        "pv_benefits",
        "pv_public_costs",
        "pv_community_inputs",
    )
    for option in results.options:
        for basis in BASES:
            for name in names:
                got = cell(evaluation, option.option_id, basis, name)
                want = reported(getattr(option, basis), name)
                assert same(got, want), (option.option_id, basis, name, got, want)


# --- 2. a leading axis is one scalar evaluation per setting -------------------------------------

AXES: list[tuple[str, str, list[Any]]] = [
    (BALSALL, f"{BURGLARY}.unit_values.0.amount", [0.0, 500.0, 683.0, 5000.0]),
    (BALSALL, f"{BURGLARY}.deadweight", [0.0, 0.3, 0.75, 1.0]),
    (BALSALL, f"{ASB}.drop_off", [0.0, 0.1, 0.5, 1.0]),
    (BALSALL, f"{PATROLS}.volunteers", [0.0, 40.0, 250.0]),
    (BALSALL, "confidence_grades.corrections.3", [0.0, 0.1, 0.6, 1.0]),
    (CORRIDOR, f"{FLY_TIPPING}.start_year", [2024, 2025, 2050, 2083]),
    (CORRIDOR, f"{MAINTENANCE}.start_year", [2083, 2024, 2040]),
    (CORRIDOR, f"{BROOK}.costs.capital_works.optimism_bias.mitigation", [0.0, 0.5, 1.0]),
    (CORRIDOR, f"{BROOK}.community_inputs.clean_up_days.value_per_hour", [0.0, 11.44, 30.0]),
    (OLDER, f"{NEIGHBOURS}.community_inputs.good_neighbour_visits.start_year", [2033, 2024, 2028]),
    (BEFRIENDING, "options.befriending.costs.coordinator.amount_per_year", [0.0, 38000.0, 1e6]),
]


@pytest.mark.parametrize(
    ("stem", "path", "values"),
    AXES,
    ids=[f"{s}:{p.split('.')[-2]}.{key_of(p)}" for s, p, _ in AXES],
)
def test_leading_axis_equals_one_scalar_evaluation_per_setting(
    stem: str, path: str, values: list[Any]
) -> None:
    model = compiled(stem)
    assert path in model.parameters
    array = cba.evaluate(model, {path: values})
    assert array.shape == (len(values),)
    for k, value in enumerate(values):
        scalar = cba.evaluate(model, {path: value})
        assert scalar.shape == ()
        assert_setting_matches(array, (k,), scalar, model.scenario.counterfactual)


@pytest.mark.parametrize(
    "which",
    [
        "schedule",
        "health_schedule",
    ],
)
def test_schedule_axis_equals_editing_the_file(which: str) -> None:
    """Each setting of a named schedule is compared with the file edited to that schedule."""
    path = f"discounting.{which}"
    choices = list(compiled(CORRIDOR).parameters[path].choices)
    assert len(choices) >= 2
    array = cba.evaluate(compiled(CORRIDOR), {path: choices})
    assert array.shape == (len(choices),)
    for k, name in enumerate(choices):
        assert_matches_results(
            array, cba.run(cba.with_values(scenario(CORRIDOR), {path: name})), (k,)
        )


def test_scalar_schedule_name_equals_editing_the_file() -> None:
    path = "discounting.schedule"
    evaluation = cba.evaluate(compiled(CORRIDOR), {path: "green_book_health"})
    edited = cba.with_values(scenario(CORRIDOR), {path: "green_book_health"})
    assert_matches_results(evaluation, cba.run(edited))


RATE_FORMS: list[tuple[dict[str, Any], str, list[float]]] = [
    ({"constant_rate": 0.035}, "discounting.schedule.constant_rate", [0.0, 0.035, 0.1, 0.5]),
    (
        {
            "name": "two_bands",
            "bands": [
                {"from_year_offset": 0, "rate": 0.035},
                {"from_year_offset": 2, "rate": 0.03},
            ],
        },
        "discounting.schedule.bands.1.rate",
        [0.0, 0.03, 0.2],
    ),
]


@pytest.mark.parametrize(("schedule", "path", "values"), RATE_FORMS, ids=["constant", "bands"])
def test_rate_axis_equals_one_scalar_evaluation_per_setting(
    schedule: dict[str, Any], path: str, values: list[float]
) -> None:
    model = cba.compile_scenario(
        cba.with_values(scenario(BALSALL), {"discounting.schedule": schedule})
    )
    assert path in model.parameters
    array = cba.evaluate(model, {path: values})
    for k, value in enumerate(values):
        scalar = cba.evaluate(model, {path: value})
        assert_setting_matches(array, (k,), scalar, model.scenario.counterfactual)
        edited = cba.with_values(model.scenario, {path: value})
        assert_matches_results(array, cba.run(edited), (k,))


def test_two_axes_broadcast_to_a_grid_of_scalar_evaluations() -> None:
    model = compiled(BALSALL)
    deadweights = np.array([[0.0], [0.3], [0.9]])
    amounts = np.array([[0.0, 100.0, 683.0, 9000.0]])
    grid = cba.evaluate(
        model, {f"{BURGLARY}.deadweight": deadweights, f"{BURGLARY}.unit_values.0.amount": amounts}
    )
    assert grid.shape == (3, 4)
    for option in grid.options.values():
        assert np.shape(option.incremental.npsv) == (3, 4)
        assert np.shape(option.gross.bcr_public) == (3, 4)
    for i in range(3):
        for j in range(4):
            scalar = cba.evaluate(
                model,
                {
                    f"{BURGLARY}.deadweight": float(deadweights[i, 0]),
                    f"{BURGLARY}.unit_values.0.amount": float(amounts[0, j]),
                },
            )
            assert_setting_matches(grid, (i, j), scalar, model.scenario.counterfactual)


def test_rate_and_timing_axes_broadcast_to_a_grid() -> None:
    """Discount factors with a leading axis meet line arrays with another."""
    model = cba.compile_scenario(
        cba.with_values(scenario(CORRIDOR), {"discounting.schedule": {"constant_rate": 0.035}})
    )
    rates = [[0.0], [0.035], [0.2]]
    starts = [[2024, 2030, 2060, 2083]]
    paths = ("discounting.schedule.constant_rate", f"{FLY_TIPPING}.start_year")
    grid = cba.evaluate(model, dict(zip(paths, (rates, starts), strict=True)))
    assert grid.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            scalar = cba.evaluate(model, dict(zip(paths, (rates[i][0], starts[0][j]), strict=True)))
            assert_setting_matches(grid, (i, j), scalar, model.scenario.counterfactual)


def test_schedule_names_and_timing_broadcast_to_a_grid() -> None:
    model = compiled(CORRIDOR)
    names = np.array([["green_book_standard"], ["green_book_2026_lower_rate"]], dtype=object)
    starts = [[2024, 2040, 2083]]
    values = {"discounting.schedule": names, f"{FLY_TIPPING}.start_year": starts}
    grid = cba.evaluate(model, values)
    assert grid.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            edited = cba.with_values(
                scenario(CORRIDOR),
                {
                    "discounting.schedule": str(names[i, 0]),
                    f"{FLY_TIPPING}.start_year": starts[0][j],
                },
            )
            assert_matches_results(grid, cba.run(edited), (i, j))


# --- 3. an override is the file edited --------------------------------------------------------


def _by_key(stem: str) -> dict[str, list[Parameter]]:
    out: dict[str, list[Parameter]] = {}
    for parameter in compiled(stem).parameters.values():
        key = key_of(parameter.path)
        if not parameter.choices:
            out.setdefault(key, []).append(parameter)
    return out


CANDIDATES: dict[str, dict[str, list[Parameter]]] = {p.stem: _by_key(p.stem) for p in SCENARIOS}
"""Evaluable numeric inputs of each example scenario, by key (drawn key first, so that every
kind of input is drawn about as often, however many lines a scenario has)."""


def value_for(parameter: Parameter, outside: bool) -> st.SearchStrategy[float | int]:
    """A value for ``parameter``: inside its domain (up to about twice its value, a year
    anywhere in the period, edges included), or just outside it."""
    assert parameter.low is not None and parameter.high is not None  # every example input's
    if parameter.whole:
        low, high = int(parameter.low), int(parameter.high)
        if outside:
            return st.sampled_from([low - 2, low - 1, high + 1, high + 2])
        return st.integers(low, high)
    if outside:
        below = st.floats(parameter.low - 1.0, parameter.low, exclude_max=not parameter.low_open)
        above = st.floats(
            parameter.high, parameter.high * 1.5 + 1.0, exclude_min=not parameter.high_open
        )
        return below | above
    current = float(parameter.value)
    top = min(parameter.high, max(2.0 * abs(current), parameter.low + 1.0))
    inside = st.floats(
        parameter.low,
        top,
        exclude_min=parameter.low_open,
        exclude_max=parameter.high_open and top == parameter.high,
    )
    edges = st.sampled_from(
        [v for v in (parameter.low, top) if not parameter.low_open or v > parameter.low]
    )
    return st.one_of(inside, inside, inside, edges)


@st.composite
def overrides(draw: st.DrawFn) -> tuple[str, dict[str, float | int]]:
    """An example scenario and one to five of its evaluable numeric inputs set, in about one
    case in four one of them outside its domain."""
    stem = draw(st.sampled_from(sorted(CANDIDATES)))
    keys = draw(
        st.lists(st.sampled_from(sorted(CANDIDATES[stem])), min_size=1, max_size=5, unique=True)
    )
    bad = draw(st.integers(0, 4 * len(keys) - 1))  # the index of the value set outside, if any
    values: dict[str, float | int] = {}
    for index, key in enumerate(keys):
        parameter = draw(st.sampled_from(CANDIDATES[stem][key]))
        values[parameter.path] = draw(value_for(parameter, outside=index == bad))
    return stem, values


@given(overrides())
def test_override_equals_editing_the_file(case: tuple[str, dict[str, float | int]]) -> None:
    """``cba.evaluate(s, values)`` accepts exactly what ``cba.with_values(s, values)`` accepts,
    refuses the rest with the file's messages, and gives the edited file's figures."""
    stem, values = case
    edited: Scenario | None = None
    file_problems: list[tuple[str, str]] = []
    try:
        edited = cba.with_values(scenario(stem), values)
    except cba.ScenarioError as exc:
        file_problems = [(p.path, p.message) for p in exc.problems]
    problems: list[tuple[str, str]] = []
    evaluation: Evaluation | None = None
    try:
        evaluation = cba.evaluate(scenario(stem), values)
    except cba.ParameterValueError as exc:
        problems = exc.problems
    assert (edited is None) == (evaluation is None), (values, file_problems, problems)
    if evaluation is None:
        assert {p for p, _ in file_problems} <= set(values)
        by_path: dict[str, list[str]] = {}
        for path, message in file_problems:
            by_path.setdefault(path, []).append(message)
        assert sorted(problems) == sorted((p, "; ".join(m)) for p, m in by_path.items())
        return
    assert edited is not None
    assert evaluation.shape == ()
    names = ("npsv", "bcr_public", "pv_benefits", "pv_public_costs", "pv_community_inputs")
    assert_matches_results(evaluation, cba.run(edited), names=names)


# --- 4. refused values ------------------------------------------------------------------------


def refused(stem: str, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The problems ``cba.evaluate`` refuses ``values`` with (failing if it accepts them)."""
    with pytest.raises(cba.ParameterValueError) as caught:
        cba.evaluate(scenario(stem), values)
    problems = caught.value.problems
    assert problems
    assert str(caught.value) == "; ".join(f"{p}: {m}" for p, m in problems)
    return problems


def file_message(stem: str, path: str, value: Any) -> str:
    """What the scenario file says about ``path: value`` (failing if it accepts it)."""
    with pytest.raises(cba.ScenarioError) as caught:
        cba.with_values(scenario(stem), {path: value})
    assert [p.path for p in caught.value.problems] == [path]
    return "; ".join(p.message for p in caught.value.problems)


def test_unknown_path_is_refused_with_a_did_you_mean() -> None:
    wrong = f"{BURGLARY}.deadweigth"
    [(path, message)] = refused(BALSALL, {wrong: 0.2})
    assert path == wrong
    assert f"Did you mean '{BURGLARY}.deadweight'?" in message


def test_share_above_one_gets_the_files_message() -> None:
    path = f"{BURGLARY}.deadweight"
    assert refused(BALSALL, {path: 1.5}) == [(path, file_message(BALSALL, path, 1.5))]
    assert refused(BALSALL, {path: [0.1, 1.5, 0.2]}) == [(path, file_message(BALSALL, path, 1.5))]


def test_negative_amount_gets_the_files_message() -> None:
    path = f"{COORDINATOR}.amount_per_year"
    assert refused(BALSALL, {path: -5.0}) == [(path, file_message(BALSALL, path, -5.0))]


def test_every_refused_value_is_listed_at_once() -> None:
    share, amount = f"{BURGLARY}.deadweight", f"{COORDINATOR}.amount_per_year"
    problems = refused(BALSALL, {share: 1.5, amount: -5.0})
    assert sorted(p for p, _ in problems) == sorted([share, amount])


def test_text_for_a_number_is_refused() -> None:
    path = f"{BURGLARY}.deadweight"
    [(where, message)] = refused(BALSALL, {path: "lots"})
    assert where == path
    assert "number" in message


def test_schedule_not_in_choices_is_refused() -> None:
    path = "discounting.schedule"
    [(where, message)] = refused(CORRIDOR, {path: ["green_book_standard", "green_book_lower"]})
    assert where == path
    assert "green_book_lower" in message
    for choice in compiled(CORRIDOR).parameters[path].choices:
        assert choice in message


def test_arrays_that_do_not_broadcast_are_refused() -> None:
    a, b = f"{BURGLARY}.deadweight", f"{BURGLARY}.leakage"
    [(_, message)] = refused(BALSALL, {a: [0.1, 0.2], b: [0.1, 0.2, 0.3]})
    assert a in message
    assert b in message


def test_array_for_a_structural_input_is_refused() -> None:
    assert "price_base_year" not in compiled(BALSALL).parameters
    [(path, message)] = refused(BALSALL, {"price_base_year": [2023, 2024]})
    assert path == "price_base_year"
    assert "one value" in message


# --- 5. wildcards -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [20.0, [0.0, 11.44, 40.0]], ids=["scalar", "array"])
def test_wildcard_equals_setting_each_matching_path(value: Any) -> None:
    model = compiled(CORRIDOR)
    matching = [
        p
        for p in model.parameters
        if p.startswith(f"{BROOK}.community_inputs.") and p.endswith(".value_per_hour")
    ]
    assert len(matching) >= 2
    by_pattern = cba.evaluate(model, {VALUE_OF_TIME: value})
    one_by_one = cba.evaluate(model, dict.fromkeys(matching, value))
    assert set(by_pattern.values) == set(matching)
    assert by_pattern.shape == one_by_one.shape == np.shape(value)
    for option_id, option in by_pattern.options.items():
        for basis in BASES:
            for name in HEADLINE:
                np.testing.assert_array_equal(
                    getattr(getattr(option, basis), name),
                    getattr(getattr(one_by_one.options[option_id], basis), name),
                )
    # the pattern reached the inputs: the valued community inputs moved
    first = (0,) if np.ndim(value) else ()
    before = cell(cba.evaluate(model), "friends_of_the_brook", "gross", "pv_community_inputs")
    assert cell(by_pattern, "friends_of_the_brook", "gross", "pv_community_inputs", first) != before


def test_wildcard_matching_nothing_is_refused() -> None:
    pattern = "options.*.community_inputs.*.no_such_input"
    [(path, message)] = refused(CORRIDOR, {pattern: 1.0})
    assert path == pattern
    assert "no input" in message


# --- 6. structural inputs: re-validated, then evaluated -----------------------------------------


@pytest.mark.parametrize(
    ("stem", "values"),
    [
        (BALSALL, {"appraisal_period_years": 8}),
        (BALSALL, {"appraisal_period_years": np.int64(3)}),
        (
            OLDER,
            {
                f"{NEIGHBOURS}.costs.coordinator.paid_by.council": 0.7,
                f"{NEIGHBOURS}.costs.coordinator.paid_by.nhs": 0.3,
            },
        ),
        (CORRIDOR, {f"{FLY_TIPPING}.price_year": 2020}),
    ],
    ids=["period", "period-numpy", "shares", "price-year"],
)
def test_structural_override_equals_editing_the_file(stem: str, values: dict[str, Any]) -> None:
    model = compiled(stem)
    assert not set(values) & set(model.parameters)
    assert set(values) <= set(model.inputs)
    plain = {p: v.item() if isinstance(v, np.generic) else v for p, v in values.items()}
    edited = cba.with_values(scenario(stem), plain)
    assert_matches_results(cba.evaluate(scenario(stem), values), cba.run(edited))
    assert_matches_results(cba.evaluate(model, values), cba.run(edited))


def test_structural_and_array_values_together() -> None:
    share = f"{BURGLARY}.deadweight"
    shares = [0.0, 0.4, 1.0]
    evaluation = cba.evaluate(scenario(BALSALL), {"appraisal_period_years": 7, share: shares})
    assert evaluation.shape == (3,)
    for k, value in enumerate(shares):
        edited = cba.with_values(scenario(BALSALL), {"appraisal_period_years": 7, share: value})
        assert_matches_results(evaluation, cba.run(edited), (k,))


def test_refused_structural_value_gets_the_files_problems() -> None:
    values = {"appraisal_period_years": 30}  # the refurbishment series runs to 2069
    with pytest.raises(cba.ScenarioError) as file_error:
        cba.with_values(scenario(CORRIDOR), values)
    want = [(p.path, p.message) for p in file_error.value.problems]
    assert refused(CORRIDOR, values) == want
    shares = {f"{NEIGHBOURS}.costs.coordinator.paid_by.council": 0.7}
    with pytest.raises(cba.ScenarioError) as file_error:
        cba.with_values(scenario(OLDER), shares)
    assert refused(OLDER, shares) == [(p.path, p.message) for p in file_error.value.problems]


# --- a line's years, checked together ----------------------------------------------------------


TIMING_CASES: list[tuple[dict[str, Any], str, list[int]]] = [
    ({f"{MAINTENANCE}.end_year": 2030}, f"{MAINTENANCE}.start_year", [2025, 2040]),
    ({f"{MAINTENANCE}.end_year": 2030}, f"{MAINTENANCE}.end_year", [2031, 2024]),
    ({f"{FLY_TIPPING}.duration_years": 10}, f"{FLY_TIPPING}.start_year", [2030, 2080]),
    ({f"{FLY_TIPPING}.duration_years": 10}, f"{FLY_TIPPING}.duration_years", [59, 100]),
]


@pytest.mark.parametrize(
    ("variant", "path", "values"),
    TIMING_CASES,
    ids=["start-after-end", "end-before-start", "late-start", "long-duration"],
)
def test_years_that_do_not_hold_together_are_refused_as_in_the_file(
    variant: dict[str, Any], path: str, values: list[int]
) -> None:
    """A line's years are checked together (an end before its start, outcomes past the last
    year), for every setting of an array, with the file's message; the setting the file
    accepts gives the edited file's figures."""
    changed = cba.with_values(scenario(CORRIDOR), variant)
    good, bad = values
    with pytest.raises(cba.ScenarioError) as file_error:
        cba.with_values(changed, {path: bad})
    line = path.rsplit(".", 1)[0]
    assert all(p.path.startswith(line + ".") for p in file_error.value.problems)
    want = "; ".join(p.message for p in file_error.value.problems)
    for value in (bad, values):
        with pytest.raises(cba.ParameterValueError) as caught:
            cba.evaluate(changed, {path: value})
        [(where, message)] = caught.value.problems
        assert where.startswith(line + ".")
        assert message == want
    edited = cba.with_values(changed, {path: good})
    assert_matches_results(cba.evaluate(changed, {path: good}), cba.run(edited))


# --- Defects found when these tests were written, now fixed ----------------------------------


@pytest.mark.parametrize("value", ["0.5", True], ids=["quoted-number", "boolean"])
def test_non_numbers_the_file_refuses_are_refused(value: Any) -> None:
    path = f"{BURGLARY}.deadweight"
    assert refused(BALSALL, {path: value}) == [(path, file_message(BALSALL, path, value))]


def test_whole_number_out_of_range_gets_the_files_message() -> None:
    path = f"{COORDINATOR}.amount_per_year"
    assert refused(BALSALL, {path: -5}) == [(path, file_message(BALSALL, path, -5))]


def test_every_listed_input_can_be_set_in_the_file(scenario_path: Path) -> None:
    loaded = cba.load_scenario(scenario_path)
    failures = []
    for item in parameters(loaded):
        try:
            cba.with_values(loaded, {item.path: item.value})
        except cba.ScenarioError as exc:
            failures.append(str(exc).splitlines()[0])
    assert failures == []


def test_series_override_equals_editing_the_file() -> None:
    path = f"{BROOK}.costs.capital_works.series.2024"
    evaluation = cba.evaluate(compiled(CORRIDOR), {path: 300000.0})
    assert_matches_results(
        evaluation, cba.run(cba.with_values(scenario(CORRIDOR), {path: 300000.0}))
    )


@pytest.mark.parametrize(
    ("path", "value", "like"),
    [
        (f"{BROOK}.costs.capital_works.series.2024", -1.0, f"{MAINTENANCE}.amount_per_year"),
        ("confidence_grades.corrections.2", 1.5, f"{FLY_TIPPING}.deadweight"),
    ],
    ids=["series", "grade-correction"],
)
def test_refused_table_value_gets_the_message_of_its_kind(
    path: str, value: float, like: str
) -> None:
    """A series amount is refused as any amount a year is, a grade correction as any fraction."""
    [(where, message)] = refused(CORRIDOR, {path: value})
    [(_, expected)] = refused(CORRIDOR, {like: value})
    assert where == path
    assert message == expected


def test_structural_grade_correction_equals_editing_the_file() -> None:
    loaded = scenario(BALSALL)
    path = "confidence_grades.corrections.5"
    assert path in compiled(BALSALL).inputs
    assert path not in compiled(BALSALL).parameters
    data = loaded.to_data()
    data["confidence_grades"] = {"corrections": {**loaded.confidence_grades.corrections, 5: 0.3}}
    edited = cba.scenario_from_dict(data)
    assert_matches_results(cba.evaluate(loaded, {path: 0.3}), cba.run(edited))
