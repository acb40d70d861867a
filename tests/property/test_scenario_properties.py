"""Properties of whole appraisals on random valid scenarios (house style: assert properties,
not "does not crash")."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cba
from cba.spec.scenario import Scenario, reference_context
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
    for a, b in zip(base.options, big.options, strict=True):
        for basis in ("gross", "incremental"):
            ma, mb = getattr(a, basis), getattr(b, basis)
            assert mb.npsv == pytest.approx(k * ma.npsv, rel=1e-9, abs=1e-6)
            assert mb.pv_benefits == pytest.approx(k * ma.pv_benefits, rel=1e-9, abs=1e-6)
            if ma.bcr_public is not None and ma.pv_public_costs > 1.0:
                assert mb.bcr_public == pytest.approx(ma.bcr_public, rel=1e-9)


@given(scenario_dict())
def test_bcr_above_one_iff_npsv_excluding_inputs_positive(data: dict[str, Any]) -> None:
    results = cba.run(build(data))
    for option in results.options:
        for m in (option.gross, option.incremental):
            if m.bcr_public is None or abs(m.npsv_excluding_community_inputs) < 1e-6:
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
        assert option.gross.pv_public_costs + option.gross.pv_non_public_costs == pytest.approx(
            costs, rel=1e-9, abs=1e-6
        )
        assert option.gross.pv_benefits == pytest.approx(
            sum(option.yearly.benefits), rel=1e-9, abs=1e-6
        )


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
    for a, b in zip(base.options, twice.options, strict=True):
        assert b.gross.npsv == pytest.approx(2 * a.gross.npsv, rel=1e-9, abs=1e-6)
        assert b.incremental.npsv == pytest.approx(2 * a.incremental.npsv, rel=1e-9, abs=1e-6)


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
    for option in results.options:
        m = option.gross
        if m.bcr_public is None or m.bcr_public_and_community is None:
            continue
        if m.bcr_public >= 0:
            assert m.bcr_public_and_community <= m.bcr_public + 1e-12
        assert m.npsv == pytest.approx(
            m.npsv_excluding_community_inputs - m.pv_community_inputs, rel=1e-12, abs=1e-6
        )
