"""Separable evaluation (``cba.model.separable``; ``CompiledScenario.evaluate(figures=...)``;
docs/methods.md §15).

The reference is the line-by-line evaluation of the same compiled model (``evaluate`` without
``figures``), batched and one setting at a time: the separable form must give the same figures
to the rounding of the sums at every setting, exactly the scenario's at the scenario's own
values, the same bits whatever the number of settings evaluated together, and must not be used
for an input that does not enter its lines linearly.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

import cba
from cba.model.evaluation import CompiledScenario, Evaluation, Parameter
from cba.uncertainty import FIGURES, NAMES, Drawn, evaluate_draws

FloatArray = NDArray[np.float64]

ROOT = Path(__file__).resolve().parent.parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
MONEY = ("npsv", "pv_benefits", "pv_public_costs", "pv_non_public_costs", "pv_community_inputs")
RATIOS = ("bcr_public", "bcr_public_and_community")
ROUNDING = 1e-12
"""Largest difference from the line-by-line figures, relative to the gross terms."""


@cache
def compiled_example(path: Path) -> CompiledScenario:
    return cba.compile_scenario(cba.load_scenario(path))


def linear(parameter: Parameter) -> bool:
    return (
        parameter.linear
        and not parameter.whole
        and not parameter.choices
        and not parameter.path.startswith("discounting.")
        and isinstance(parameter.value, float | int)
    )


@cache
def separable_paths(path: Path) -> tuple[str, ...]:
    """As many linear inputs of the example as can be set together in separable form (taken
    in order, each kept if the set stays separable)."""
    compiled = compiled_example(path)
    chosen: list[str] = []
    for name, parameter in compiled.parameters.items():
        if linear(parameter) and compiled.separable([*chosen, name]) is not None:
            chosen.append(name)
    return tuple(chosen)


def settings_for(
    compiled: CompiledScenario, paths: tuple[str, ...], n: int, seed: int
) -> dict[str, FloatArray]:
    """``n`` settings of every path: the file's value moved by up to 40% either way (a value of
    0 from 0 to 1), kept inside the input's domain."""
    rng = np.random.default_rng(seed)
    out = {}
    for path in paths:
        p = compiled.parameters[path]
        value = float(p.value)  # type: ignore[arg-type]
        spread = abs(value) * 0.4 if value else 1.0
        x = value + spread * rng.uniform(-1.0, 1.0, n)
        if p.low is not None:
            low = np.nextafter(p.low, np.inf) if p.low_open else p.low
            x = np.maximum(x, low)
        if p.high is not None:
            high = np.nextafter(p.high, -np.inf) if p.high_open else p.high
            x = np.minimum(x, high)
        out[path] = x
    return out


def gross_terms(evaluation: Evaluation, option: str) -> FloatArray:
    m = evaluation.options[option].incremental
    g = evaluation.options[option].gross
    scale: FloatArray = (
        np.abs(m.pv_benefits)
        + np.abs(m.pv_public_costs)
        + np.abs(m.pv_non_public_costs)
        + np.abs(m.pv_community_inputs)
        + np.abs(g.pv_benefits)
        + np.abs(g.pv_public_costs)
        + np.abs(g.pv_non_public_costs)
        + np.abs(g.pv_community_inputs)
    )
    return scale


def assert_agree(separable: Evaluation, general: Evaluation) -> None:
    """Every figure a simulation reads agrees to the rounding of the sums; the band and the
    payback year are the same."""
    for option in general.options:
        scale = gross_terms(general, option)
        s_inc, g_inc = separable.options[option].incremental, general.options[option].incremental
        for name in MONEY:
            diff = np.abs(np.asarray(getattr(s_inc, name)) - getattr(g_inc, name))
            assert np.all(diff <= ROUNDING * scale), (option, name, float(np.max(diff / scale)))
        for name in RATIOS:
            a, b = np.asarray(getattr(s_inc, name)), np.asarray(getattr(g_inc, name))
            assert np.array_equal(np.isnan(a), np.isnan(b)), (option, name)
            ok = ~np.isnan(b)
            denominator = np.abs(np.asarray(g_inc.pv_public_costs))[ok]
            assert np.all(np.abs(a - b)[ok] * denominator <= ROUNDING * scale[ok]), (option, name)
        assert np.array_equal(s_inc.value_for_money_band, g_inc.value_for_money_band)
        assert np.array_equal(s_inc.payback_year_offset, g_inc.payback_year_offset, equal_nan=True)
        gross = np.abs(
            np.asarray(separable.options[option].gross.npsv) - general.options[option].gross.npsv
        )
        assert np.all(gross <= ROUNDING * scale), option


# --- which evaluations are separable --------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_example_has_linear_inputs_that_evaluate_in_separable_form(path: Path) -> None:
    assert len(separable_paths(path)) >= 3


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_inputs_that_do_not_enter_linearly_are_never_separable(path: Path) -> None:
    compiled = compiled_example(path)
    some = list(separable_paths(path))[:2]
    for name, parameter in compiled.parameters.items():
        if not linear(parameter):
            assert compiled.separable([name]) is None, name
            assert compiled.separable([*some, name]) is None, name


def test_two_values_read_by_one_line_are_not_separable() -> None:
    compiled = compiled_example(ROOT / "scenarios" / "balsall_heath_community_safety.yaml")
    patrols = "options.resident_patrols"
    volunteers = f"{patrols}.community_inputs.street_patrols.volunteers"
    hours = f"{patrols}.community_inputs.street_patrols.hours_per_volunteer"
    deadweight = f"{patrols}.benefits.burglary_avoided.deadweight"
    count = f"{patrols}.benefits.burglary_avoided.outcomes_per_year"
    assert compiled.separable([volunteers]) is not None
    assert compiled.separable([volunteers, deadweight]) is not None
    assert compiled.separable([volunteers, hours]) is None
    assert compiled.separable([deadweight, count]) is None


# --- the figures --------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_separable_figures_agree_with_the_line_by_line_evaluation(path: Path) -> None:
    compiled = compiled_example(path)
    paths = separable_paths(path)
    values = settings_for(compiled, paths, 500, seed=3)
    assert_agree(compiled.evaluate(values, figures=FIGURES), compiled.evaluate(values))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_separable_figures_agree_with_settings_evaluated_one_at_a_time(path: Path) -> None:
    compiled = compiled_example(path)
    paths = separable_paths(path)
    values = settings_for(compiled, paths, 6, seed=11)
    batched = compiled.evaluate(values, figures=FIGURES)
    for k in range(6):
        one = compiled.evaluate({p: float(v[k]) for p, v in values.items()})
        for option in one.options:
            scale = float(gross_terms(one, option))
            got, want = batched.options[option].incremental, one.options[option].incremental
            for name in MONEY:
                assert abs(float(getattr(got, name)[k]) - float(getattr(want, name))) <= (
                    ROUNDING * scale
                ), (option, name, k)
            assert int(got.value_for_money_band[k]) == int(want.value_for_money_band)
            assert np.array_equal(got.payback_year_offset[k], want.payback_year_offset, True)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_at_the_files_values_the_separable_figures_are_the_deterministic_ones_exactly(
    path: Path,
) -> None:
    compiled = compiled_example(path)
    paths = separable_paths(path)
    n = 7
    values = {p: np.full(n, float(compiled.parameters[p].value)) for p in paths}  # type: ignore[arg-type]
    separable = compiled.evaluate(values, figures=FIGURES)
    deterministic = compiled.evaluate()
    for option in deterministic.options:
        for name in NAMES:
            want = getattr(deterministic.options[option].incremental, name)
            got = getattr(separable.options[option].incremental, name)
            assert np.array_equal(got, np.full(n, want), equal_nan=True), (option, name)
        want_gross = deterministic.options[option].gross.npsv
        assert np.array_equal(separable.options[option].gross.npsv, np.full(n, want_gross))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_separable_figures_do_not_depend_on_how_many_settings_are_evaluated_together(
    path: Path,
) -> None:
    compiled = compiled_example(path)
    paths = separable_paths(path)
    n = 1_000
    values = settings_for(compiled, paths, n, seed=5)
    drawn = [Drawn(compiled.parameters[p], "uniform", "", "", values[p]) for p in paths]
    whole = evaluate_draws(compiled, drawn, n, chunk=n)
    for chunk in (1, 7, 333):
        part = evaluate_draws(compiled, drawn, n, chunk=chunk)
        for option, by_name in whole.incremental.items():
            for name, expected in by_name.items():
                assert np.array_equal(part.incremental[option][name], expected, equal_nan=True)
            assert np.array_equal(part.gross_npsv[option], whole.gross_npsv[option])


def test_totals_of_a_separable_evaluation_are_the_line_by_line_totals() -> None:
    path = ROOT / "scenarios" / "green_corridor_cleanup.yaml"
    compiled = compiled_example(path)
    values = settings_for(compiled, separable_paths(path), 50, seed=8)
    separable = compiled.evaluate(values, figures=FIGURES)
    general = compiled.evaluate(values)
    for option in general.options:
        got, want = separable.options[option].totals, general.options[option].totals
        for name in ("d_net_social", "net_social", "public_costs", "d_social"):
            a, b = np.asarray(getattr(got, name)), np.asarray(getattr(want, name))
            assert a.shape == b.shape
            scale = np.sum(np.abs(b), axis=-1, keepdims=True) + 1.0
            assert np.all(np.abs(a - b) <= ROUNDING * scale), (option, name)
        for key, pv in want.pv.items():
            assert np.allclose(got.pv[key], pv, rtol=1e-12, atol=1e-6), (option, key)


def test_inputs_that_do_not_enter_linearly_still_evaluate_through_the_general_path() -> None:
    path = ROOT / "scenarios" / "green_corridor_cleanup.yaml"
    compiled = compiled_example(path)
    nonlinear = [
        name
        for name, p in compiled.parameters.items()
        if not p.choices and not linear(p) and not name.startswith("discounting.")
    ]
    assert nonlinear
    for name in nonlinear[:6]:
        p = compiled.parameters[name]
        value: Any = p.value
        low = p.low if p.low is not None else value
        values = {name: np.array([value, low])}
        with_figures = compiled.evaluate(values, figures=FIGURES)
        general = compiled.evaluate(values)
        for option in general.options:
            for figure in NAMES:
                assert np.array_equal(
                    getattr(with_figures.options[option].incremental, figure),
                    getattr(general.options[option].incremental, figure),
                    equal_nan=True,
                ), (name, option, figure)


@given(data=st.data())
def test_separable_and_line_by_line_agree_for_any_subset_and_values(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(SCENARIOS))
    compiled = compiled_example(path)
    paths = separable_paths(path)
    chosen = data.draw(
        st.lists(st.sampled_from(paths), min_size=1, max_size=len(paths), unique=True)
    )
    seed = data.draw(st.integers(0, 2**32 - 1))
    values = settings_for(compiled, tuple(chosen), 20, seed)
    assert_agree(compiled.evaluate(values, figures=FIGURES), compiled.evaluate(values))
