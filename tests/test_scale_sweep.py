"""Scale sweeps end to end: the n = n0 identity, and properties of the curves on random
scenarios (house style: properties, not "does not crash")."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cba
from cba.scale_sweep import ScaleError, sweep_option
from cba.spec.scenario import Scenario, reference_context
from tests.property.strategies import scenario_dict

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "volunteer_befriending_scale.yaml"

LAWS = st.one_of(
    st.none(),
    st.just({"law": "fixed"}),
    st.builds(lambda e: {"law": "power", "elasticity": e}, st.floats(0.0, 2.5)),
    st.builds(lambda f: {"law": "fixed_plus_variable", "fixed_share": f}, st.floats(0.0, 1.0)),
    st.builds(lambda m: {"law": "step", "per": m}, st.floats(1.0, 50.0)),
    st.builds(lambda b: {"law": "coordination", "exponent": b}, st.floats(0.5, 3.0)),
    st.just({"law": "coordination", "form": "pairwise"}),
    st.builds(lambda r: {"law": "saturating", "rate": r}, st.floats(0.001, 0.5)),
    st.builds(lambda d: {"law": "participation", "delta": d}, st.floats(0.0, 1.0)),
    st.builds(lambda b: {"law": "learning", "b": b}, st.floats(0.0, 0.9)),
)


@st.composite
def swept(draw: st.DrawFn, with_laws: bool = True) -> dict[str, Any]:
    data = copy.deepcopy(draw(scenario_dict(max_years=10)))
    cf = data["options"][0]
    cf["costs"], cf["community_inputs"], cf["benefits"] = [], [], []
    option = data["options"][1]
    n0 = draw(st.floats(2.0, 200.0))
    option["scale"] = {
        "driver": "participants",
        "n0": n0,
        "sweep": {
            "start": n0 / 4,
            "stop": n0 * 4,
            "points": 25,
            "spacing": draw(st.sampled_from(["linear", "logarithmic"])),
        },
    }
    for key in ("costs", "community_inputs", "benefits"):
        for line in option[key]:
            law = draw(LAWS) if with_laws else None
            if law is not None:
                line["scaling"] = law
    return data


def build(data: dict[str, Any]) -> Scenario:
    return Scenario.model_validate(data, context=reference_context(data))


@given(swept())
def test_sweep_at_n0_is_exactly_the_unswept_result(data: dict[str, Any]) -> None:
    scenario = build(data)
    curve = sweep_option(scenario, "option1")
    plain = cba.run(scenario).option("option1").incremental
    i = curve.n0_index
    assert curve.points[i] == scenario.option("option1").scale.n0
    assert curve.npsv[i] == plain.npsv
    assert curve.pv_benefits[i] == plain.pv_benefits
    assert curve.pv_public_costs[i] == plain.pv_public_costs
    assert curve.pv_community_inputs[i] == plain.pv_community_inputs
    assert curve.bcr_public[i] == plain.bcr_public


@given(swept(with_laws=False))
def test_proportional_scenario_has_constant_bcr(data: dict[str, Any]) -> None:
    curve = sweep_option(build(data), "option1")
    defined = [b for b in curve.bcr_public if b is not None]
    for value in defined:
        assert value == pytest.approx(defined[0], rel=1e-9, abs=1e-12)


@given(swept())
def test_reported_optimum_is_the_best_swept_point(data: dict[str, Any]) -> None:
    curve = sweep_option(build(data), "option1")
    assert curve.npsv[curve.optimum_index] == max(curve.npsv)
    assert curve.optimum_n == curve.points[curve.optimum_index]
    edge = curve.optimum_index in (0, len(curve.points) - 1)
    assert curve.optimum_at_edge == edge
    assert ("true optimum may lie outside" in curve.statement) == edge


@given(swept())
def test_economies_exactly_where_average_cost_falls(data: dict[str, Any]) -> None:
    curve = sweep_option(build(data), "option1")
    index = {n: i for i, n in enumerate(curve.points)}
    for low, high, label in curve.regimes:
        a, b = index[low], index[high]
        for i in range(a, b):
            left, right = curve.average_cost_per_outcome[i], curve.average_cost_per_outcome[i + 1]
            if label == "economies":
                assert left is not None and right is not None and right < left
            elif label == "diseconomies":
                assert left is not None and right is not None and right > left


@given(swept())
def test_break_even_ranges_are_where_bcr_is_at_least_one(data: dict[str, Any]) -> None:
    curve = sweep_option(build(data), "option1")
    inside = {
        i
        for i, n in enumerate(curve.points)
        for low, high in curve.break_even_ranges
        if low <= n <= high
    }
    for i, bcr in enumerate(curve.bcr_public):
        assert (i in inside) == (bcr is not None and bcr >= 1.0)


def test_example_has_economies_an_interior_optimum_and_diseconomies() -> None:
    scenario = cba.load_scenario(EXAMPLE)
    curve = cba.run(scenario).option("befriending").scale
    assert curve is not None
    assert not curve.optimum_at_edge
    labels = [label for _, _, label in curve.regimes]
    assert labels[0] == "economies"
    assert labels[-1] == "diseconomies"
    assert curve.points[0] < curve.optimum_n < curve.points[-1]
    assert curve.npsv[0] < curve.optimum_npsv > curve.npsv[-1]
    assert all(not math.isnan(v) for v in curve.npsv)


def test_option_without_scale_cannot_be_swept() -> None:
    scenario = cba.load_scenario(ROOT / "scenarios" / "balsall_heath_community_safety.yaml")
    with pytest.raises(ScaleError, match="declares no scale driver"):
        sweep_option(scenario, "resident_patrols")


def test_points_override_and_default_sweep() -> None:
    scenario = cba.load_scenario(EXAMPLE)
    assert len(sweep_option(scenario, "befriending", points=11).points) in (11, 12)
    data = scenario.model_dump(mode="python")
    data["options"][1]["scale"]["sweep"] = None
    curve = sweep_option(build(data), "befriending")
    assert curve.points[0] == pytest.approx(6.0)
    assert curve.points[-1] == pytest.approx(300.0)


def test_cba_scale_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cba.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    assert main(["scale", str(EXAMPLE), "--points", "30"]) == 0
    out = capsys.readouterr().out
    assert "highest NPSV" in out
    assert "as described (n0)" in out
    assert "economies" in out
    assert main(["scale", str(ROOT / "scenarios" / "balsall_heath_community_safety.yaml")]) == 2
    assert "no option declares a `scale:` block" in capsys.readouterr().err
    assert main(["scale", str(EXAMPLE), "--option", "no_programme"]) == 2
    assert "declares no scale driver" in capsys.readouterr().err


@pytest.mark.parametrize("points", [-5, 0, 1, 100_001, 10_000_000])
def test_points_outside_the_documented_range_are_refused(points: int) -> None:
    from cba.scale_sweep import MAX_POINTS

    assert MAX_POINTS == 100_000
    scenario = cba.load_scenario(EXAMPLE)
    with pytest.raises(ScaleError, match="from 2 to 100,000"):
        sweep_option(scenario, "befriending", points=points)


def test_a_maximum_sweep_is_cheap() -> None:
    """The most points a sweep may have, within a bound that catches a Python loop over points
    (measured: about 0.3 s; about 175 MB at the peak, 70 MB of it the results)."""
    import time

    from cba.scale_sweep import MAX_POINTS

    scenario = cba.load_scenario(EXAMPLE)
    started = time.perf_counter()
    curve = sweep_option(scenario, "befriending", points=MAX_POINTS)
    assert time.perf_counter() - started < 10.0
    assert len(curve.points) in (MAX_POINTS, MAX_POINTS + 1)
