"""Scale laws against hand-worked values, and the curve analysis."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cba.engine import scale

N0 = 40.0


@pytest.mark.parametrize(
    ("law", "n", "expected"),
    [
        (lambda n: scale.proportional(n, N0), 80.0, 2.0),
        (lambda n: scale.fixed(n, N0), 80.0, 1.0),
        # (80/40)^0.5 = sqrt(2)
        (lambda n: scale.power(n, N0, 0.5), 80.0, math.sqrt(2.0)),
        # F = 0.25 of 40 units: 1 + 0.75 * (80/40 - 1) = 1.75
        (lambda n: scale.fixed_plus_variable(n, N0, 0.25), 80.0, 1.75),
        # ceil(60/25) / ceil(40/25) = 3 / 2
        (lambda n: scale.step(n, N0, 25.0), 60.0, 1.5),
        # 80 * 79 / (40 * 39) = 6320 / 1560
        (lambda n: scale.pairwise(n, N0), 80.0, 6320.0 / 1560.0),
        # (1 - e^-0.8) / (1 - e^-0.4)
        (
            lambda n: scale.saturating(n, N0, 0.01),
            80.0,
            (1 - math.exp(-0.8)) / (1 - math.exp(-0.4)),
        ),
        # (80/40)^(1 - 0.3)
        (lambda n: scale.participation(n, N0, 0.3), 80.0, 2.0**0.7),
        # (80/40)^(1 - 0.2)
        (lambda n: scale.learning(n, N0, 0.2), 80.0, 2.0**0.8),
        # interpolation: value 30 at 80 between (50, 20) and (100, 40) = 32; at 40: 16 -> 2.0
        (lambda n: scale.piecewise(n, N0, [0, 50, 100], [0, 20, 40]), 80.0, 2.0),
    ],
    ids=[
        "proportional",
        "fixed",
        "power",
        "fixed_plus_variable",
        "step",
        "pairwise",
        "saturating",
        "participation",
        "learning",
        "table",
    ],
)
def test_law_hand_worked(law, n: float, expected: float) -> None:
    assert float(law(np.array(n))) == pytest.approx(expected, rel=1e-14)
    assert float(law(np.array(N0))) == 1.0  # exactly the scenario's amount at n0


@given(st.floats(0.5, 1e4), st.floats(0.0, 1.0), st.floats(0.01, 100.0), st.floats(1e-4, 1.0))
def test_every_law_is_exactly_one_at_n0(n0: float, share: float, per: float, rate: float) -> None:
    n = np.array([n0])
    for value in (
        scale.proportional(n, n0),
        scale.fixed(n, n0),
        scale.power(n, n0, 1.7),
        scale.fixed_plus_variable(n, n0, share),
        scale.step(n, n0, per),
        scale.saturating(n, n0, rate),
        scale.participation(n, n0, share),
        scale.learning(n, n0, min(share, 0.99)),
        scale.piecewise(n, n0, [0, 2 * n0], [1, 5]),
    ):
        assert value[0] == 1.0
    if n0 > 1:
        assert scale.pairwise(n, n0)[0] == 1.0


def test_laws_broadcast_points_against_lines() -> None:
    n = np.array([10.0, 20.0, 40.0])[:, np.newaxis]
    elasticities = np.array([0.5, 1.0, 2.0])
    out = scale.power(n, 20.0, elasticities)
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out[:, 1], [0.5, 1.0, 2.0])


def test_sweep_points_include_n0_and_are_sorted() -> None:
    points = scale.sweep_points(1.0, 100.0, 10, False, 37.0)
    assert 37.0 in points
    assert np.all(np.diff(points) > 0)
    log_points = scale.sweep_points(1.0, 1000.0, 4, True, 10.0)
    np.testing.assert_allclose(log_points, [1.0, 10.0, 100.0, 1000.0])


def test_regimes_label_falling_and_rising_average_cost() -> None:
    cost = np.array([10.0, 8.0, 7.0, 7.0, 9.0, 12.0])
    assert scale.regimes(cost) == [(0, 2, "economies"), (2, 3, "constant"), (3, 5, "diseconomies")]


def test_stretches_and_ratio_of_changes() -> None:
    assert scale.stretches([False, True, True, False, True]) == [(1, 2), (4, 4)]
    assert scale.stretches([]) == []
    ratio = scale.ratio_of_changes([0.0, 10.0, 30.0], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(ratio, [10.0, 15.0, 20.0])
    assert np.isnan(scale.ratio_of_changes([1.0, 2.0], [3.0, 3.0])).all()


def _stretches_by_loop(flags: list[bool]) -> list[tuple[int, int]]:
    """The definition, one point at a time (the engine computes it without a Python loop)."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        if not flag and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(flags) - 1))
    return out


def _regimes_by_loop(labels: list[str]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for i, label in enumerate(labels):
        if out and out[-1][2] == label:
            out[-1] = (out[-1][0], i + 1, label)
        else:
            out.append((i, i + 1, label))
    return out


@given(st.lists(st.booleans(), max_size=60))
def test_stretches_equal_the_point_by_point_definition(flags: list[bool]) -> None:
    assert scale.stretches(flags) == _stretches_by_loop(flags)


@given(
    st.lists(
        st.one_of(st.sampled_from([1.0, 2.0, 3.0]), st.just(float("nan"))), min_size=0, max_size=40
    )
)
def test_regimes_equal_the_step_by_step_definition(costs: list[float]) -> None:
    cost = np.array(costs, dtype=float)
    if cost.size < 2:
        assert scale.regimes(cost) == []
        return
    diff = np.diff(cost)
    labels = [
        "undefined"
        if math.isnan(d)
        else "economies"
        if d < 0
        else "diseconomies"
        if d > 0
        else "constant"
        for d in diff
    ]
    assert scale.regimes(cost) == _regimes_by_loop(labels)


def test_curve_analysis_of_a_maximum_sweep_is_vectorised() -> None:
    """100,000 points (the most a sweep may have) in well under a second: no Python loop over
    points (measured: about 0.01 s each)."""
    import time

    rng = np.random.default_rng(8)
    cost = rng.random(100_000)
    started = time.perf_counter()
    regimes = scale.regimes(cost)
    stretches = scale.stretches(cost > 0.5)
    assert time.perf_counter() - started < 1.0
    assert regimes[0][0] == 0 and regimes[-1][1] == cost.size - 1
    assert all(a[1] == b[0] for a, b in itertools.pairwise(regimes))
    assert stretches == _stretches_by_loop((cost > 0.5).tolist())
