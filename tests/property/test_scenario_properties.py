"""Properties of whole appraisals on random valid scenarios (house style: assert properties,
not "does not crash")."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import cba
from cba.spec.scenario import Scenario, reference_context
from tests.property.bounds import magnitude, money_tolerance, ratio_tolerance
from tests.property.strategies import scenario_dict


def build(data: dict[str, Any]) -> Scenario:
    return Scenario.model_validate(data, context=reference_context(data))


def scaled(data: dict[str, Any], k: float) -> dict[str, Any]:
    out = copy.deepcopy(data)
    for option in out["options"]:
        for cost in option["costs"]:
            cost["amount_per_year"] *= k
        for item in option["community_inputs"]:
            item["value_per_hour"] *= k
        for line in option["benefits"]:
            for value in line["unit_values"]:
                value["amount"] *= k
    return out


@given(scenario_dict(), st.floats(0.01, 100.0))
def test_scaling_money_scales_npsv_and_keeps_bcr(data: dict[str, Any], k: float) -> None:
    base = cba.run(build(data))
    big = cba.run(build(scaled(data, k)))
    cf = base.option(base.counterfactual)
    for a, b in zip(base.options, big.options, strict=True):
        for basis in ("gross", "incremental"):
            ma, mb = getattr(a, basis), getattr(b, basis)
            gross = magnitude(a, cf, basis)
            # Scaling rounds every input once more: both sides are k x the same sums to within
            # the rounding of the gross terms, scaled by k.
            tolerance = money_tolerance(k * gross)
            assert abs(mb.npsv - k * ma.npsv) <= tolerance
            assert abs(mb.pv_benefits - k * ma.pv_benefits) <= tolerance
            assert abs(mb.pv_public_costs - k * ma.pv_public_costs) <= tolerance
            if ma.bcr_public is not None and mb.bcr_public is not None:
                assert abs(mb.bcr_public - ma.bcr_public) <= ratio_tolerance(
                    gross, ma.bcr_public, ma.pv_public_costs
                )


@given(scenario_dict())
def test_bcr_above_one_iff_npsv_excluding_inputs_positive(data: dict[str, Any]) -> None:
    results = cba.run(build(data))
    cf = results.option(results.counterfactual)
    for option in results.options:
        for basis in ("gross", "incremental"):
            m = getattr(option, basis)
            near_zero = money_tolerance(magnitude(option, cf, basis))
            if m.bcr_public is None or abs(m.npsv_excluding_community_inputs) <= near_zero:
                continue
            assert (m.bcr_public > 1.0) == (m.npsv_excluding_community_inputs > 0.0)


@given(scenario_dict())
def test_zero_rate_gives_plain_sums(data: dict[str, Any]) -> None:
    data = {
        **data,
        "discounting": {
            "schedule": {"constant_rate": 0.0},
            "health_schedule": {"constant_rate": 0.0},
        },
    }
    results = cba.run(build(data))
    for option in results.options:
        costs = sum(sum(line.flows) for line in option.costs)
        gross = magnitude(option, option, "gross")
        pv_costs = option.gross.pv_public_costs + option.gross.pv_non_public_costs
        assert abs(pv_costs - costs) <= money_tolerance(gross)
        assert abs(option.gross.pv_benefits - sum(option.yearly.benefits)) <= money_tolerance(gross)


@given(scenario_dict())
def test_npsv_is_linear_in_the_lines(data: dict[str, Any]) -> None:
    """Duplicating every line of every option doubles every present value."""
    doubled = copy.deepcopy(data)
    for option in doubled["options"]:
        for key in ("costs", "community_inputs", "benefits"):
            option[key] = option[key] + [
                {**line, "id": line["id"] + "_copy"} for line in option[key]
            ]
    base, twice = cba.run(build(data)), cba.run(build(doubled))
    cf = base.option(base.counterfactual)
    for a, b in zip(base.options, twice.options, strict=True):
        for basis in ("gross", "incremental"):
            tolerance = money_tolerance(2.0 * magnitude(a, cf, basis))
            assert abs(getattr(b, basis).npsv - 2.0 * getattr(a, basis).npsv) <= tolerance


@given(scenario_dict())
def test_counterfactual_incremental_is_zero_and_ratios_undefined(data: dict[str, Any]) -> None:
    results = cba.run(build(data))
    cf = results.option(results.counterfactual).incremental
    assert cf.npsv == 0.0 and cf.pv_public_costs == 0.0
    assert cf.bcr_public is None and cf.bcr_public_and_community is None
    assert cf.payback_year is None


@given(scenario_dict())
def test_community_inputs_only_lower_the_second_bcr(data: dict[str, Any]) -> None:
    results = cba.run(build(data))
    cf = results.option(results.counterfactual)
    for option in results.options:
        m = option.gross
        tolerance = money_tolerance(magnitude(option, cf, "gross"))
        assert abs(m.npsv - (m.npsv_excluding_community_inputs - m.pv_community_inputs)) <= (
            tolerance
        )
        if m.bcr_public is None or m.bcr_public_and_community is None:
            continue
        if m.bcr_public >= 0:
            assert m.bcr_public_and_community <= m.bcr_public + ratio_tolerance(
                magnitude(option, cf, "gross"), m.bcr_public, m.pv_public_costs
            )
