"""Sensitivity analysis (``cba.sensitivity.analyse``, ``cba sensitivity``, ``cba params``,
``cba run --set``): switching values, tornado, one-way tables and discount-rate tests.

References are independent of the code under test: switching values worked by hand from the
discount factors of a three-year appraisal (docs/methods.md §14), reported roots plugged back
into ``cba.evaluate`` one at a time, and ``cba.run`` of the scenario (or of
``cba.with_values``, the changed scenario validated as a file).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

import cba
from cba.cli import main
from cba.io.terminal import money
from cba.model.evaluation import CompiledScenario, Evaluation
from cba.results import SensitivityResults, SwitchingValue
from cba.sensitivity import analyse, default_range
from cba.spec.scenario import Scenario
from cba.spec.sensitivity import SensitivityRange
from cba.what_if import parameters
from tests.conftest import SCENARIOS
from tests.property.bounds import magnitude, money_tolerance

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "cases").glob("*.yaml"))
BALSALL = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
CORRIDOR = ROOT / "scenarios" / "green_corridor_cleanup.yaml"
DEADWEIGHT = "options.resident_patrols.benefits.burglary_avoided.deadweight"

D1, D2 = 1 / 1.035, 1 / 1.035**2
S = 1 + D1 + D2
"""Sum of the Green Book 3.5% discount factors of years 0, 1 and 2 (2.899694...)."""

CLOSED, SCAN = "closed form (linear)", "whole-number scan"
BRACKETED = ("bracketing", "bisection")
"""Method names of the grid-and-refine search for inputs that enter non-linearly ('bisection'
until the refinement became regula falsi)."""
ROOT_RESIDUAL = 1e-9
"""A reported root leaves |measure| within this fraction of the gross terms (docs/methods.md
§14: a closed-form root with a larger residual is sent to the bracketing search)."""
GROSS_TERMS = ("pv_benefits", "pv_public_costs", "pv_non_public_costs", "pv_community_inputs")

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A wide console (rich does not fold long paths) and a private working folder."""
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.chdir(tmp_path)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run ``cba ARGS`` in-process; return (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@cache
def compiled(path: Path) -> CompiledScenario:
    """An example scenario compiled once per session."""
    return cba.compile_scenario(cba.load_scenario(path))


@cache
def analysed(path: Path) -> SensitivityResults:
    """The scenario's own sensitivity analysis (its block and the default set)."""
    return analyse(compiled(path))


def cost(
    line_id: str,
    amount: float,
    payer: str = "council",
    start: int | None = 2024,
    end: int | None = 2024,
) -> dict[str, Any]:
    """A cost line, by default in the first year only."""
    line: dict[str, Any] = {
        "id": line_id,
        "name": line_id,
        "category": "capital",
        "amount_per_year": amount,
        "paid_by": payer,
        "source": "hand-worked test",
    }
    if start is not None:
        line["start_year"] = start
    if end is not None:
        line["end_year"] = end
    return line


def benefit(line_id: str, outcomes: float, unit_value: float, **extra: Any) -> dict[str, Any]:
    """A benefit line of ``outcomes`` a year, one social unit value, no reductions."""
    return {
        "id": line_id,
        "name": line_id,
        "outcomes_per_year": outcomes,
        "unit_values": [{"value_type": "social", "amount": unit_value, "source": "test"}],
        "source": "hand-worked test",
        **extra,
    }


def hours(line_id: str, per_year: float, per_hour: float) -> dict[str, Any]:
    """Volunteer time given by residents."""
    return {
        "kind": "time",
        "id": line_id,
        "name": line_id,
        "contributed_by": "residents",
        "hours_per_year": per_year,
        "value_per_hour": per_hour,
        "valuation_basis": "shadow_wage",
        "source": "hand-worked test",
    }


def scheme_dict(
    costs: list[dict[str, Any]],
    benefits: list[dict[str, Any]],
    *,
    community: list[dict[str, Any]] | None = None,
    counterfactual_costs: list[dict[str, Any]] | None = None,
    years: int = 3,
    schedule: Any = "green_book_standard",
) -> dict[str, Any]:
    """A scenario of one option, ``scheme``, against ``nothing`` (no lines unless given), as
    the file would hold it."""
    option: dict[str, Any] = {"id": "scheme", "name": "Scheme", "costs": costs}
    if benefits:
        option["benefits"] = benefits
    if community:
        option["community_inputs"] = community
    nothing: dict[str, Any] = {"id": "nothing", "name": "Do nothing"}
    if counterfactual_costs:
        nothing["costs"] = counterfactual_costs
    return {
        "cba_scenario": "1.0",
        "id": "hand_worked_switching",
        "title": "Switching values worked by hand",
        "price_base_year": 2024,
        "first_year": 2024,
        "appraisal_period_years": years,
        "discounting": {"schedule": schedule},
        "agencies": [
            {"id": "council", "name": "Council", "sector": "public"},
            {"id": "sponsor", "name": "Sponsor", "sector": "private"},
            {"id": "residents", "name": "Residents", "sector": "community"},
        ],
        "counterfactual": "nothing",
        "options": [nothing, option],
    }


def scheme(costs: list[dict[str, Any]], benefits: list[dict[str, Any]], **kw: Any) -> Scenario:
    """``scheme_dict`` validated."""
    return cba.scenario_from_dict(scheme_dict(costs, benefits, **kw))


def sensitivity_of(scenario: Scenario, *paths: str) -> SensitivityResults:
    """``analyse`` of the scheme: the listed paths only, or the default set when none."""
    entries = [SensitivityRange(parameter=p, why="hand-worked test") for p in paths]
    return analyse(cba.compile_scenario(scenario), entries=entries, default_switching=not paths)


def switching(found: SensitivityResults, path: str, option: str = "scheme") -> SwitchingValue:
    (one,) = [s for s in found.switching_values if s.option_id == option and s.parameter == path]
    return one


def measure(evaluation: Evaluation, option: str, name: str) -> float:
    return float(np.asarray(getattr(evaluation.options[option].incremental, name)))


def gross_terms(evaluation: Evaluation, option: str, counterfactual: str) -> float:
    """Sum of |PVB|, |PV costs| and |PV community inputs| of the option and the
    counterfactual: the size a residual of an incremental measure is judged against."""
    return sum(
        abs(float(np.asarray(getattr(evaluation.options[owner].gross, name))))
        for owner in {option, counterfactual}
        for name in GROSS_TERMS
    )


# --------------------------------------------------------------------------------------------
# B. Switching values worked by hand (three years, Green Book 3.5%)
# --------------------------------------------------------------------------------------------

UNIT_VALUE = "options.scheme.benefits.outcome.unit_values.0.amount"


def test_unit_value_switching_value_by_hand() -> None:
    u = 50.0
    scenario = scheme([cost("setup", 1000)], [benefit("outcome", 10, u)])
    # NPSV = 10 u S - 1000: zero at u* = 1000 / (10 S) = 34.4864...
    expected = 1000 / (10 * S)
    assert cba.run(scenario).option("scheme").incremental.npsv == pytest.approx(
        10 * u * S - 1000, rel=1e-12
    )
    found = switching(sensitivity_of(scenario), UNIT_VALUE)
    assert found.method == CLOSED
    assert found.central == u
    assert found.npsv_zero == pytest.approx(expected, rel=1e-9)
    assert found.npsv_zero_change == pytest.approx((expected - u) / u, rel=1e-9)
    # No non-public costs and no community inputs: BCR = 1 where NPSV = 0.
    assert found.bcr_one == pytest.approx(expected, rel=1e-9)
    assert found.domain_low == 0.0
    assert found.statement == "NPSV is zero at 34.49 GBP per outcome (-31% from 50)"
    assert not found.listed


def test_deadweight_switching_value_by_hand() -> None:
    scenario = scheme([cost("setup", 2000)], [benefit("outcome", 10, 100.0)])
    # NPSV = 1000 (1 - dw) S - 2000: zero at 1 - dw* = 2000 / (1000 S).
    expected = 1 - 2000 / (1000 * S)
    found = switching(sensitivity_of(scenario), "options.scheme.benefits.outcome.deadweight")
    assert found.method == CLOSED
    assert found.npsv_zero == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(0.310272, abs=1e-6)  # the figure in docs/methods.md §14
    assert found.central == 0.0
    assert found.npsv_zero_change is None  # no percentage change from 0
    assert (found.domain_low, found.domain_high) == (0.0, 1.0)
    assert found.statement.startswith("NPSV is zero at 0.3103 fraction")


def test_input_that_cannot_switch_says_none() -> None:
    # A second line of 10 x 100 a year keeps NPSV >= 1000 S - 2000 > 0 at any deadweight of
    # the first.
    scenario = scheme(
        [cost("setup", 2000)], [benefit("outcome", 10, 100.0), benefit("other", 10, 100.0)]
    )
    assert 1000 * S - 2000 > 0
    found = switching(sensitivity_of(scenario), "options.scheme.benefits.outcome.deadweight")
    assert found.npsv_zero is None
    assert found.npsv_zero_change is None
    assert found.statement == "none: NPSV stays positive over [0, 1]"
    assert found.bcr_one is None
    assert found.bcr_statement.startswith("none:")
    # Nor can the first line's unit value: 10 u S + 1000 S = 2000 needs u = -31.0, outside
    # [0, ...); a root outside the domain is never reported.
    assert (2000 - 1000 * S) / (10 * S) < 0
    value = switching(sensitivity_of(scenario), UNIT_VALUE)
    assert value.npsv_zero is None
    assert value.statement.startswith("none: NPSV stays positive over [0, ")
    # The cost, though, switches it at 2000 S.
    setup = switching(sensitivity_of(scenario), "options.scheme.costs.setup.amount_per_year")
    assert setup.npsv_zero == pytest.approx(2000 * S, rel=1e-9)


def test_cost_amount_bcr_one_and_npsv_zero_by_hand() -> None:
    # Public cost C (2024), a sponsor's (non-public) 300 in 2024, 5 volunteer hours a year at
    # GBP 10, and 10 outcomes a year at GBP 50: PVB = 500 S, community inputs 50 S.
    # BCR over public costs = (PVB - non-public costs) / public costs = (500 S - 300) / C.
    scenario = scheme(
        [cost("setup", 1000), cost("sponsor_share", 300, payer="sponsor")],
        [benefit("outcome", 10, 50.0)],
        community=[hours("volunteers", 5, 10.0)],
    )
    result = cba.run(scenario).option("scheme").incremental
    assert result.bcr_public == pytest.approx((500 * S - 300) / 1000, rel=1e-12)
    found = switching(sensitivity_of(scenario), "options.scheme.costs.setup.amount_per_year")
    npsv_zero = 500 * S - 300 - 50 * S  # PVB - non-public - community inputs
    bcr_one = 500 * S - 300  # PVB - non-public
    assert found.npsv_zero == pytest.approx(npsv_zero, rel=1e-9)
    assert found.bcr_one == pytest.approx(bcr_one, rel=1e-9)
    assert found.npsv_zero_change == pytest.approx((npsv_zero - 1000) / 1000, rel=1e-9)
    assert found.bcr_one_change == pytest.approx((bcr_one - 1000) / 1000, rel=1e-9)
    assert found.bcr_statement.startswith("BCR is 1 at 1,150 GBP per year (+15% from 1,000)")
    # The sponsor's cost: BCR = 1 where 500 S - N = 1000, NPSV = 0 where 450 S - N = 1000.
    sponsor = switching(
        sensitivity_of(scenario), "options.scheme.costs.sponsor_share.amount_per_year"
    )
    assert sponsor.npsv_zero == pytest.approx(450 * S - 1000, rel=1e-9)
    assert sponsor.bcr_one == pytest.approx(500 * S - 1000, rel=1e-9)
    # Volunteer time is not in the BCR over public costs.
    time = switching(
        sensitivity_of(scenario), "options.scheme.community_inputs.volunteers.value_per_hour"
    )
    # 500 S - 1000 - 300 - 5 W S = 0
    assert time.npsv_zero == pytest.approx((500 * S - 1300) / (5 * S), rel=1e-9)
    assert time.bcr_one is None
    assert time.bcr_statement == "none: BCR does not change with this input"


def switching_cases() -> Iterator[Any]:
    yaml = YAML(typ="safe", pure=True)
    for path in CASES:
        case = yaml.load(path.read_text(encoding="utf-8"))
        if "switching_values" in case:
            yield pytest.param(case, id=path.stem)


@pytest.mark.parametrize("case", list(switching_cases()))
def test_case_file_switching_values(case: dict[str, Any]) -> None:
    """The switching values worked by hand in tests/cases/*.yaml (``switching_values:``)."""
    scenario = cba.scenario_from_dict(case["scenario"])
    tolerance = float(case.get("tolerance", 1e-9))
    found = analyse(cba.compile_scenario(scenario))
    for block in case["switching_values"]:
        option = block["option"]
        for short, expected in block["values"].items():
            one = switching(found, f"options.{option}.{short}", option)
            for name in ("npsv_zero", "bcr_one"):
                want, got = expected[name], getattr(one, name)
                if want is None:
                    assert got is None, (short, name, got)
                    continue
                assert got == pytest.approx(want, rel=tolerance), (short, name)
                change = getattr(one, f"{name}_change")
                if one.central != 0:
                    assert change == pytest.approx((want - one.central) / one.central, rel=1e-6)


def test_discount_rate_switching_value_is_the_irr_by_hand() -> None:
    # A constant rate r: NPSV = -1000 + 600 v + 600 v^2 with v = 1 / (1 + r); zero at
    # v = (-600 + sqrt(600^2 + 4 x 1000 x 600)) / (2 x 600). The rate enters non-linearly.
    scenario = scheme(
        [cost("setup", 1000)],
        [benefit("outcome", 10, 60.0, start_year=2025)],
        schedule={"constant_rate": 0.05},
    )
    v = (-600 + math.sqrt(600**2 + 4 * 1000 * 600)) / (2 * 600)
    expected = 1 / v - 1  # 0.1307
    # A root is good to a residual of 1e-9 of the gross terms (1000 + PVB = 2000 there), so to
    # that over the slope: d NPSV / dr = -(600 v^2 + 1200 v^3).
    tolerance = ROOT_RESIDUAL * 2000 / (600 * v**2 + 1200 * v**3)
    found = switching(
        sensitivity_of(scenario, "discounting.schedule.constant_rate"),
        "discounting.schedule.constant_rate",
    )
    assert found.method in BRACKETED
    assert found.npsv_zero == pytest.approx(expected, abs=tolerance)
    assert found.bcr_one == pytest.approx(expected, abs=tolerance)
    assert (found.domain_low, found.domain_high) == (0.0, 0.5)
    assert found.listed


def test_drop_off_switching_value_by_hand() -> None:
    # At 5%: NPSV = -1000 + 600 / 1.05 + 600 (1 - d) / 1.05^2, zero at
    # 1 - d = (1000 x 1.05^2 - 600 x 1.05) / 600.
    scenario = scheme(
        [cost("setup", 1000)],
        [benefit("outcome", 10, 60.0, start_year=2025)],
        schedule={"constant_rate": 0.05},
    )
    path = "options.scheme.benefits.outcome.drop_off"
    expected = 1 - (1000 * 1.05**2 - 600 * 1.05) / 600  # 0.2125
    # Residual 1e-9 of the gross terms (2000 at the root) over the slope 600 / 1.05^2.
    tolerance = ROOT_RESIDUAL * 2000 / (600 / 1.05**2)
    found = switching(sensitivity_of(scenario, path), path)
    assert found.method in BRACKETED
    assert found.npsv_zero == pytest.approx(expected, abs=tolerance)
    assert found.bcr_one == pytest.approx(expected, abs=tolerance)


def test_start_year_switching_value_is_a_whole_year_by_hand() -> None:
    # Five years at 3.5%: 1000 in 2024, then 10 x 50 a year from the start year to 2028.
    scenario = scheme(
        [cost("setup", 1000)], [benefit("outcome", 10, 50.0, start_year=2024)], years=5
    )
    factors = [1.035**-t for t in range(5)]

    def npsv(start: int) -> float:
        return 500 * sum(factors[start - 2024 :]) - 1000

    assert npsv(2026) > 0 > npsv(2027)  # so the first negative year is 2027
    path = "options.scheme.benefits.outcome.start_year"
    found = switching(sensitivity_of(scenario, path), path)
    assert found.method == SCAN
    assert found.npsv_zero == 2027
    assert found.npsv_zero_change is None  # a year has no percentage change
    assert found.statement == "NPSV turns negative at 2027 (+3 from 2024)"
    assert found.bcr_one == 2027
    assert found.bcr_statement == "BCR turns below 1 at 2027 (+3 from 2024)"
    assert (found.domain_low, found.domain_high) == (2024.0, 2028.0)


def test_bcr_statement_agrees_with_bcr_one_when_the_central_bcr_is_undefined() -> None:
    scenario = scheme(
        [cost("setup", 1000)],
        [benefit("outcome", 10, 60.0)],
        counterfactual_costs=[cost("existing", 1000)],
    )
    found = switching(sensitivity_of(scenario), "options.scheme.costs.setup.amount_per_year")
    # PVB = 600 S: BCR = 600 S / (C - 1000) is 1 at C = 1000 + 600 S, where NPSV = 0 too.
    assert found.npsv_zero == pytest.approx(1000 + 600 * S, rel=1e-9)
    assert (found.bcr_one is None) == found.bcr_statement.startswith("none:")


def test_root_at_the_end_of_the_domain_is_reported() -> None:
    # Same public cost with and without the scheme: NPSV = 600 S x (outcomes / 10), zero at 0.
    scenario = scheme(
        [cost("setup", 1000)],
        [benefit("outcome", 10, 60.0)],
        counterfactual_costs=[cost("existing", 1000)],
    )
    found = sensitivity_of(scenario)
    assert switching(found, UNIT_VALUE).npsv_zero == pytest.approx(0.0, abs=1e-9)
    outcomes = switching(found, "options.scheme.benefits.outcome.outcomes_per_year")
    assert outcomes.npsv_zero == pytest.approx(0.0, abs=1e-9)


# --------------------------------------------------------------------------------------------
# C. Every reported root, plugged back in, is a root (property over the example scenarios)
# --------------------------------------------------------------------------------------------


@cache
def candidates(path: Path, option: str) -> list[str]:
    """Inputs ``analyse`` can test for ``option``: its own, the counterfactual's and the
    scenario-wide ones, except named schedules."""
    model = compiled(path)
    cf = model.scenario.counterfactual
    return [
        p
        for p, parameter in model.parameters.items()
        if not parameter.choices and parameter.option_id in (None, option, cf)
    ]


Search = tuple[Path, str, list[str], dict[str, float]]
"""A scenario file, an option, the inputs to test, and values set over the file's."""


@st.composite
def root_searches(draw: st.DrawFn) -> Search:
    """An example scenario, an option and some of its inputs; sometimes with one of the
    option's costs scaled, so that the central NPSV may be negative or near zero."""
    path = draw(st.sampled_from(SCENARIOS))
    model = compiled(path)
    scenario = model.scenario
    option = draw(
        st.sampled_from([o.id for o in scenario.options if o.id != scenario.counterfactual])
    )
    paths = draw(st.lists(st.sampled_from(candidates(path, option)), min_size=1, max_size=4))
    costs = [
        p
        for p, parameter in model.parameters.items()
        if parameter.option_id == option and parameter.kind == "cost amount"
    ]
    setting: dict[str, float] = {}
    if draw(st.booleans()):
        scaled = draw(st.sampled_from(costs))
        factor = draw(st.sampled_from([0.25, 0.5, 2.0, 4.0, 8.0]))
        setting[scaled] = float(model.parameters[scaled].value) * factor
    return path, option, list(dict.fromkeys(paths)), setting


def sign(x: float) -> float:
    return float(np.sign(x))


def check_root(
    model: CompiledScenario, option: str, found: SwitchingValue, name: str, root: float
) -> None:
    """``root`` of measure ``name`` (NPSV, or PVB - non-public - public costs) is a root."""
    cf = model.scenario.counterfactual
    where = (found.parameter, name, root, found.method)
    if found.domain_low is not None:
        assert root >= found.domain_low, where
    if found.domain_high is not None:
        assert root <= found.domain_high, where
    at = cba.evaluate(model, {found.parameter: root})
    if name == "npsv_excluding_community_inputs":
        assert measure(at, option, "pv_public_costs") > 0, where  # the BCR is defined there
    if found.method == SCAN:
        assert root == round(root), where
        central = sign(measure(model.evaluate(), option, name))
        assert sign(measure(at, option, name)) != central, where  # other sign, or zero
        step = -1.0 if root > found.central else 1.0
        before = cba.evaluate(model, {found.parameter: root + step})
        assert sign(measure(before, option, name)) == central != 0, where
        return
    residual = abs(measure(at, option, name))
    assert residual <= ROOT_RESIDUAL * gross_terms(at, option, cf) + 1e-6, (*where, residual)
    if found.method in BRACKETED:
        # A sign change (or a zero) right at the root: one part in 1e6 of the domain each side
        # (a refinement stopped at a residual of 1e-10 of the gross terms is far closer).
        low = found.domain_low if found.domain_low is not None else -math.inf
        high = found.domain_high if found.domain_high is not None else math.inf
        delta = 1e-6 * (high - low) if math.isfinite(high - low) else 1e-6 * max(1, abs(root))
        left = cba.evaluate(model, {found.parameter: max(low, root - delta)})
        right = cba.evaluate(model, {found.parameter: min(high, root + delta)})
        signs = (sign(measure(left, option, name)), sign(measure(right, option, name)))
        assert signs[0] * signs[1] <= 0, (*where, signs)


CORRIDOR_PATHS = [
    "options.friends_of_the_brook.benefits.green_space_amenity.start_year",
    "options.friends_of_the_brook.benefits.green_space_amenity.drop_off",
    "options.friends_of_the_brook.costs.maintenance.amount_per_year",
]


@settings(max_examples=max(10, settings().max_examples // 4))
@example((CORRIDOR, "friends_of_the_brook", CORRIDOR_PATHS, {}))
@example(
    (
        CORRIDOR,
        "friends_of_the_brook",
        CORRIDOR_PATHS,
        {"options.friends_of_the_brook.costs.maintenance.amount_per_year": 48000.0},
    )
)
@given(root_searches())
def test_every_reported_root_is_a_root(search: Search) -> None:
    path, option, paths, setting = search
    model = compiled(path)
    if setting:
        model = cba.compile_scenario(cba.with_values(model.scenario, setting))
    bcr_defined = math.isfinite(measure(model.evaluate(), option, "bcr_public"))
    found = analyse(
        model,
        options=[option],
        entries=[SensitivityRange(parameter=p, why="property test") for p in paths],
        default_switching=False,
    )
    assert [s.parameter for s in found.switching_values] == paths
    for one in found.switching_values:
        parameter = model.parameters[one.parameter]
        expected_method = SCAN if parameter.whole else None
        if expected_method is not None:
            assert one.method == expected_method
        else:
            assert one.method in (CLOSED, *BRACKETED)
        assert one.listed
        assert (one.npsv_zero is None) == one.statement.startswith("none:"), one
        if bcr_defined:  # else see test_bcr_statement_agrees_with_bcr_one_when_...
            assert (one.bcr_one is None) == one.bcr_statement.startswith("none:"), one
        for name, root in (
            ("npsv", one.npsv_zero),
            ("npsv_excluding_community_inputs", one.bcr_one),
        ):
            if root is not None:
                check_root(model, option, one, name, root)


# --------------------------------------------------------------------------------------------
# D. Tornado, one-way tables, discount-rate tests
# --------------------------------------------------------------------------------------------


def test_tornado_bars_are_evaluations_at_the_ends_sorted_by_swing(scenario_path: Path) -> None:
    model = compiled(scenario_path)
    found = analysed(scenario_path)
    options = {b.option_id for b in found.tornado}
    assert options == {o.id for o in model.scenario.options} - {model.scenario.counterfactual}
    for option in options:
        bars = [b for b in found.tornado if b.option_id == option]
        swings = [b.npsv_swing for b in bars]
        assert swings == sorted(swings, reverse=True)
        for bar in bars:
            assert bar.low <= bar.central <= bar.high or bar.range_basis == "scenario"
            low = cba.evaluate(model, {bar.parameter: bar.low})
            high = cba.evaluate(model, {bar.parameter: bar.high})
            # One batch of every bar's ends and one evaluation per end add the same line
            # totals in a different grouping: equal to rounding of the gross terms.
            cf = model.scenario.counterfactual
            for end, one in ((bar.npsv_low, low), (bar.npsv_high, high)):
                tolerance = 1e-12 * gross_terms(one, option, cf)
                assert abs(end - measure(one, option, "npsv")) <= tolerance, bar.parameter
            assert bar.npsv_swing == abs(bar.npsv_high - bar.npsv_low)


def test_one_way_tables_hold_the_central_value_and_its_npsv(scenario_path: Path) -> None:
    model = compiled(scenario_path)
    found = analysed(scenario_path)
    results = cba.run(model.scenario)
    counterfactual = results.option(results.counterfactual)
    assert found.one_way
    for table in found.one_way:
        option = results.option(table.option_id)
        assert list(table.values) == sorted(set(table.values))
        assert table.central in table.values
        central_npsv = table.npsv[table.values.index(table.central)]
        tolerance = money_tolerance(magnitude(option, counterfactual, "incremental"))
        assert abs(central_npsv - option.incremental.npsv) <= tolerance, table.parameter
        assert len(table.npsv) == len(table.values) == len(table.bcr_public)


def test_one_way_table_spans_the_listed_range() -> None:
    found = analysed(BALSALL)
    path = "options.resident_patrols.community_inputs.street_patrols.hours_per_volunteer"
    (table,) = [t for t in found.one_way if t.parameter == path]
    # The block gives 50 to 150 and the default 5 points: 50, 75, 100, 125, 150.
    assert table.values == (50.0, 75.0, 100.0, 125.0, 150.0)
    assert table.why.startswith("What if volunteers give half the hours")
    # The victims' social cost of a burglary (GMCA UCD v1.4 CR8.7, GBP 803 at 2010 prices, the
    # line's own price year), scaled by the block's factors 0.5 and 2.0.
    factor = "options.resident_patrols.benefits.burglary_avoided.unit_values.6.amount"
    (scaled,) = [t for t in found.one_way if t.parameter == factor]
    assert (scaled.values[0], scaled.values[-1]) == (0.5 * 803, 2.0 * 803)


def test_rate_tests_hold_the_runs_npsv_and_the_lower_rate(scenario_path: Path) -> None:
    model = compiled(scenario_path)
    found = analysed(scenario_path)
    results = cba.run(model.scenario)
    counterfactual = results.option(results.counterfactual)
    for option in results.options:
        if option.is_counterfactual:
            continue
        rows = [t for t in found.rate_tests if t.option_id == option.option_id]
        (own,) = [t for t in rows if t.is_scenario_schedule]
        tolerance = money_tolerance(magnitude(option, counterfactual, "incremental"))
        assert abs(own.npsv - option.incremental.npsv) <= tolerance
        assert any(t.schedule.startswith("green_book_2026_lower_rate") for t in rows)
        assert any(t.schedule.startswith("green_book_standard") for t in rows)
    years = model.scenario.appraisal_period_years
    required = [n for n in found.notes if "requires the lower-rate" in n]
    if years > 50:
        assert required and f"{years} years" in required[0]
    else:
        assert not required
        assert any("required only for horizons over 50 years" in n for n in found.notes)


def test_rate_tests_by_hand() -> None:
    # 1000 now, 600 in each of years 1 and 2, scenario rate 5%: the Green Book standard test
    # discounts at 3.5% and the 2026 lower-rate test at 3.0% over these years.
    scenario = scheme(
        [cost("setup", 1000)],
        [benefit("outcome", 10, 60.0, start_year=2025)],
        schedule={"constant_rate": 0.05},
    )
    rows = {t.schedule: t for t in sensitivity_of(scenario).rate_tests}
    (own,) = [t for t in rows.values() if t.is_scenario_schedule]
    assert own.npsv == pytest.approx(-1000 + 600 / 1.05 + 600 / 1.05**2, rel=1e-12)
    (standard,) = [t for name, t in rows.items() if name.startswith("green_book_standard")]
    assert standard.npsv == pytest.approx(-1000 + 600 * D1 + 600 * D2, rel=1e-12)
    (lower,) = [t for name, t in rows.items() if name.startswith("green_book_2026_lower_rate")]
    assert lower.npsv == pytest.approx(-1000 + 600 / 1.03 + 600 / 1.03**2, rel=1e-12)
    assert lower.bcr_public == pytest.approx((600 / 1.03 + 600 / 1.03**2) / 1000, rel=1e-12)


def test_default_ranges_follow_the_documented_rules() -> None:
    model = compiled(BALSALL)
    params = model.parameters
    # a fraction of 0.3: +/- 0.1; of 0.1: +/- half of it; of 0: 0 to 0.1
    assert default_range(params[DEADWEIGHT]) == (0.2, 0.4)
    displacement = "options.resident_patrols.benefits.burglary_avoided.displacement"
    assert default_range(params[displacement]) == (0.05, 0.15)
    leakage = "options.resident_patrols.benefits.burglary_avoided.leakage"
    assert default_range(params[leakage]) == (0.0, 0.1)
    # anything else: +/- 20%
    coordinator = "options.resident_patrols.costs.coordinator.amount_per_year"
    assert default_range(params[coordinator]) == (16000.0, 24000.0)
    # a year: +/- 2, inside the line's valid years
    corridor = compiled(CORRIDOR).parameters
    start = "options.friends_of_the_brook.benefits.green_space_amenity.start_year"
    assert default_range(corridor[start]) == (2024.0, 2027.0)  # 2023 is before the first year


def test_default_range_of_a_zero_drop_off_is_not_a_single_point() -> None:
    path = "options.resident_patrols.benefits.burglary_avoided.drop_off"
    low, high = default_range(compiled(BALSALL).parameters[path])
    assert low < high


# --------------------------------------------------------------------------------------------
# E. The sensitivity: block is checked when the file is read
# --------------------------------------------------------------------------------------------

LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): (?P<msg>.+)$")


def with_block(tmp_path: Path, entry: str, name: str = "scenario.yaml") -> tuple[Path, int]:
    """Balsall Heath with its sensitivity block replaced by one flow-style ``entry``; the file
    and the entry's line number."""
    text = BALSALL.read_text(encoding="utf-8")
    head = text[: text.index("\nsensitivity:\n") + 1]
    block = f"sensitivity:\n  parameters:\n    - {entry}\n"
    path = tmp_path / name
    path.write_text(head + block, encoding="utf-8")
    return path, head.count("\n") + 3


@pytest.mark.parametrize(
    ("entry", "key", "fragment"),
    [
        pytest.param(
            "{parameter: options.resident_patrols.benefits.burglary_avoided.deadwieght, why: x}",
            "parameter",
            f"Did you mean '{DEADWEIGHT}'?",
            id="unknown-path",
        ),
        pytest.param(
            f"{{parameter: {DEADWEIGHT}, low: 0.1, high: 1.5, why: x}}",
            "high",
            "outside its valid range [0, 1]",
            id="outside-domain",
        ),
        pytest.param(
            f"{{parameter: {DEADWEIGHT}, factor_low: 0.5, factor_high: 4, why: x}}",
            "factor_high",
            "outside its valid range [0, 1]",
            id="factor-outside-domain",
        ),
        pytest.param(
            f"{{parameter: {DEADWEIGHT}, low: 0.5, high: 0.2, why: x}}",
            "low",
            "low (0.5) must be below high (0.2)",
            id="low-above-high",
        ),
        pytest.param(
            f"{{parameter: {DEADWEIGHT}, low: 0.3, high: 0.3, why: x}}",
            "low",
            "must be below high",
            id="low-equals-high",
        ),
        pytest.param(
            f"{{parameter: {DEADWEIGHT}, low: 0.1, why: x}}",
            "high",
            "high is missing",
            id="low-without-high",
        ),
        pytest.param(
            f"{{parameter: {DEADWEIGHT}, low: 0.1, high: 0.5, factor_low: 0.5, factor_high: 2,"
            " why: x}",
            "factor_low",
            "not both",
            id="values-and-factors",
        ),
        pytest.param(
            "{parameter: price_base_year, why: x}",
            "parameter",
            "cba run --set",
            id="structural",
        ),
        pytest.param(
            "{parameter: discounting.schedule, why: x}",
            "parameter",
            "'discounting.schedule'",
            id="named-schedule",
        ),
        pytest.param(
            "{parameter: 'options.*.benefits.*.deadwieght', why: x}",
            "parameter",
            "names no input",
            id="wildcard-matching-nothing",
        ),
    ],
)
def test_bad_sensitivity_entry_is_refused_with_a_located_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, entry: str, key: str, fragment: str
) -> None:
    path, line = with_block(tmp_path, entry)
    code, out, err = cli(capsys, "validate", path)
    assert code == 2, out + err
    assert "Traceback" not in err
    located = [m for m in map(LOCATED.match, err.splitlines()) if m]
    assert len(located) == 1, err
    (match,) = located
    assert match["file"] == str(path)
    assert match["path"] == f"sensitivity.parameters[0].{key}"
    assert int(match["line"]) == line
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    at = text[int(match["col"]) - 1 :]
    assert at.startswith((key, "{")), at  # the key, or the entry when the key is missing
    assert fragment in match["msg"]


def test_the_example_sensitivity_block_is_valid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    entry = f"{{parameter: {DEADWEIGHT}, low: 0.1, high: 0.5, why: x}}"
    path, _ = with_block(tmp_path, entry)
    assert cli(capsys, "validate", path)[0] == 0
    assert cli(capsys, "validate", BALSALL)[0] == 0


def test_named_schedule_entry_says_the_rate_tests_cover_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, _ = with_block(tmp_path, "{parameter: discounting.schedule, why: x}")
    code, _, err = cli(capsys, "validate", path)
    assert code == 2
    assert "discount-rate tests" in err


START = "options.scheme.costs.setup.start_year"


def year_range_file(tmp_path: Path) -> Path:
    """A cost of 2024 only, with a sensitivity range for its start year of 2024 to 2026."""
    data = scheme_dict([cost("setup", 1000)], [benefit("outcome", 10, 20.0)])
    data["sensitivity"] = {
        "parameters": [{"parameter": START, "low": 2024, "high": 2026, "why": "x"}]
    }
    path = tmp_path / "year_range.yaml"  # JSON is YAML
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_start_year_range_past_the_end_year_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = year_range_file(tmp_path)
    code, _, err = cli(capsys, "validate", path)
    assert code == 2
    assert "sensitivity.parameters[0].high" in err


def test_run_with_a_start_year_range_past_the_end_year_is_not_an_internal_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = year_range_file(tmp_path)
    code, _, err = cli(capsys, "run", path, "-o", tmp_path / "out", "-q")
    assert "internal error" not in err
    # Either it runs, or the range is refused as a problem of the file.
    assert code == 0 or (code == 2 and "sensitivity.parameters[0]" in err), err


# --------------------------------------------------------------------------------------------
# F. The commands
# --------------------------------------------------------------------------------------------


def test_sensitivity_command_prints_every_section(
    capsys: pytest.CaptureFixture[str], scenario_path: Path
) -> None:
    code, out, err = cli(capsys, "sensitivity", scenario_path)
    assert code == 0, err
    for heading in ("Switching values", "Tornado", "Discount-rate tests"):
        assert heading in out
    found = analysed(scenario_path)
    lines = {line.strip() for line in out.splitlines()}
    for one in found.switching_values:
        assert one.statement in lines, one.parameter
        assert one.bcr_statement in lines, one.parameter


def test_sensitivity_at_80_columns_cuts_no_figure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli(capsys, "sensitivity", CORRIDOR)
    assert code == 0, err
    assert "…" not in out
    found = analysed(CORRIDOR)
    lines = [line.strip() for line in out.splitlines()]
    for one in found.switching_values:
        assert one.statement in lines, one.statement  # on one line, whole
    tokens = set(re.split(r"[\s,]+(?=[-£])|\s+", out))
    for bar in found.tornado[:10]:
        for figure in (money(bar.npsv_low), money(bar.npsv_high), money(bar.npsv_swing)):
            assert any(figure in token for token in tokens), figure


def test_sensitivity_param_and_range(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys, "sensitivity", BALSALL, "--param", DEADWEIGHT, "--range", "0.1:0.5"
    )
    assert code == 0, err
    assert "benefits.burglary_avoided.deadweight [listed]" in out
    assert "0.1 to 0.5 fraction (scenario range)" in out
    code, out, err = cli(
        capsys,
        "sensitivity",
        BALSALL,
        "--param",
        DEADWEIGHT,
        "--range",
        "0.1:0.5",
        "--only-listed",
        "--json",
    )
    assert code == 0, err
    doc = json.loads(out)["sensitivity"]
    assert [s["parameter"] for s in doc["switching_values"]] == [DEADWEIGHT]
    (bar,) = doc["tornado"]
    assert (bar["low"], bar["high"], bar["range_basis"]) == (0.1, 0.5, "scenario")
    low = cba.evaluate(compiled(BALSALL), {DEADWEIGHT: 0.1})
    assert bar["npsv_low"] == measure(low, "resident_patrols", "npsv")


def test_sensitivity_unknown_param_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "sensitivity", BALSALL, "--param", "nonsense")
    assert code == 2
    assert out == ""
    assert "nonsense" in err
    assert "Traceback" not in err


def test_sensitivity_misspelt_param_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    typo = DEADWEIGHT.replace("deadweight", "deadwieght")
    code, _, err = cli(capsys, "sensitivity", BALSALL, "--param", typo)
    assert code == 2
    assert typo in err
    assert f"Did you mean '{DEADWEIGHT}'" in err


@pytest.mark.parametrize("given", ["5:1", "0.5:0.5", "abc", "0.1"])
def test_sensitivity_bad_range_exits_2(capsys: pytest.CaptureFixture[str], given: str) -> None:
    code, out, err = cli(capsys, "sensitivity", BALSALL, "--param", DEADWEIGHT, "--range", given)
    assert code == 2
    assert out == ""
    assert f"--range {given}" in err
    assert "LOW:HIGH" in err


def test_sensitivity_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "sensitivity", BALSALL, "--json")
    assert code == 0, err
    doc = json.loads(out, parse_constant=pytest.fail)  # strict JSON: no NaN or Infinity
    assert doc["scenario"] == "balsall_heath_community_safety"
    section = doc["sensitivity"]
    assert {"switching_values", "tornado", "one_way", "rate_tests"} <= set(section)
    found = analysed(BALSALL)
    assert [s["parameter"] for s in section["switching_values"]] == [
        s.parameter for s in found.switching_values
    ]
    assert [s["npsv_zero"] for s in section["switching_values"]] == [
        s.npsv_zero for s in found.switching_values
    ]
    assert [b["npsv_swing"] for b in section["tornado"]] == [b.npsv_swing for b in found.tornado]


def params_listed(out: str) -> list[str]:
    """The paths ``cba params`` prints: each group's path, a dot and the key of each row."""
    paths: list[str] = []
    group = ""
    started = False
    for line in out.splitlines():
        if not line.strip():
            started = True  # the title and the note come before the first blank line
            continue
        if not started:
            continue
        if not line.startswith(" "):
            group = line.strip()
            continue
        row = re.match(r"^  (\S+)", line)
        if row and not row[1].endswith(":"):  # not the "  source: ..." line
            paths.append(f"{group}.{row[1]}" if group else row[1])
    return paths


def test_params_lists_every_path(capsys: pytest.CaptureFixture[str], scenario_path: Path) -> None:
    code, out, err = cli(capsys, "params", scenario_path)
    assert code == 0, err
    expected = [item.path for item in parameters(scenario_path)]
    # Every path once; the printout groups them by line (a top-level block's inputs, such as
    # distributional_weights.elasticity, print with the other top-level ones).
    assert sorted(params_listed(out)) == sorted(expected)
    assert len(params_listed(out)) == len(expected)
    assert f"{len(expected)} inputs" in out


def test_params_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "params", BALSALL, "--json")
    assert code == 0, err
    doc = json.loads(out)
    items = parameters(BALSALL)
    assert [row["path"] for row in doc["parameters"]] == [i.path for i in items]
    model = compiled(BALSALL)
    for row, item in zip(doc["parameters"], items, strict=True):
        assert row["value"] == item.value
        assert row["varies_in_evaluation"] == (item.path in model.parameters)
    by_path = {row["path"]: row for row in doc["parameters"]}
    assert by_path[DEADWEIGHT]["low"] == 0.0
    assert by_path[DEADWEIGHT]["high"] == 1.0
    assert by_path["price_base_year"]["varies_in_evaluation"] is False


VARIANT = re.compile(r"^balsall_heath_community_safety\.variant-[0-9a-f]{8}\.(xlsx|json)$")


def test_run_set_writes_a_variant_beside_the_base_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "results"
    assert cli(capsys, "run", BALSALL, "-o", folder, "-q")[0] == 0
    code, _, err = cli(capsys, "run", BALSALL, "-o", folder, "-q", "--set", f"{DEADWEIGHT}=0.4")
    assert code == 0, err
    names = sorted(p.name for p in folder.iterdir())
    base = ["balsall_heath_community_safety.json", "balsall_heath_community_safety.xlsx"]
    variants = [n for n in names if VARIANT.match(n)]
    assert sorted(set(names) - set(variants)) == base
    assert len(variants) == 2
    assert variants[0].removesuffix(".json") == variants[1].removesuffix(".xlsx")
    base_doc = json.loads((folder / base[0]).read_text(encoding="utf-8"))
    (variant_json,) = [n for n in variants if n.endswith(".json")]
    doc = json.loads((folder / variant_json).read_text(encoding="utf-8"))
    assert doc != base_doc
    assert "variant" not in base_doc["provenance"]
    variant = doc["provenance"]["variant"]
    assert variant["of"] == str(BALSALL)
    assert variant["settings"] == f"{DEADWEIGHT}=0.4"
    variant_book = folder / f"{variant_json.removesuffix('.json')}.xlsx"
    assert (folder / base[1]).read_bytes() != variant_book.read_bytes()
    # The figures are those of the changed scenario validated as a file.
    expected = cba.run(cba.with_values(cba.load_scenario(BALSALL), {DEADWEIGHT: 0.4}))
    for option_doc, option in zip(doc["options"], expected.options, strict=True):
        assert option_doc["option_id"] == option.option_id
        for name, value in option.incremental.as_dict().items():
            want = None if isinstance(value, float) and not math.isfinite(value) else value
            assert option_doc["incremental"][name]["value"] == want, (option.option_id, name)
    # The same setting names the same files again; another value names others.
    assert cli(capsys, "run", BALSALL, "-o", folder, "-q", "--set", f"{DEADWEIGHT}=0.4")[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == names
    assert cli(capsys, "run", BALSALL, "-o", folder, "-q", "--set", f"{DEADWEIGHT}=0.5")[0] == 0
    assert len(list(folder.iterdir())) == 6


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        (f"{DEADWEIGHT.replace('deadweight', 'deadwieght')}=0.4", "deadwieght"),
        (f"{DEADWEIGHT}=1.4", DEADWEIGHT),
        (f"{DEADWEIGHT}=lots", DEADWEIGHT),
    ],
    ids=["unknown-path", "outside-domain", "text-for-a-number"],
)
def test_run_bad_set_exits_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, setting: str, named: str
) -> None:
    folder = tmp_path / "results"
    code, _, err = cli(capsys, "run", BALSALL, "-o", folder, "--set", setting)
    assert code == 2
    assert named in err
    assert "--set" in err
    assert "nothing was written" in err
    assert "Traceback" not in err
    assert not folder.exists() or not any(folder.iterdir())
    assert not (tmp_path / "out").exists()
