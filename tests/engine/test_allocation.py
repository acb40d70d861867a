"""The allocation programme against brute-force enumeration, the BCR ranking, conflicts and
marginal values."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from cba.engine.allocation import (
    AllocationProblem,
    allocate,
    allocate_draws,
    conflicting_constraints,
    interpolation_error,
    marginal_values,
    rank_by_bcr,
)


def _problem(
    values: list[list[float]],
    uses: list[list[list[float]]],
    limits: list[float],
    required: list[bool] | None = None,
    exclusive: tuple[tuple[int, ...], ...] = (),
    dependencies: tuple[tuple[int, int], ...] = (),
    interactions: tuple[tuple[int, int, float], ...] = (),
) -> AllocationProblem:
    return AllocationProblem(
        tuple(np.array(v, dtype=float) for v in values),
        tuple(
            np.array(u, dtype=float).reshape(len(v), len(limits))
            for u, v in zip(uses, values, strict=True)
        ),
        np.array(limits, dtype=float),
        np.array(required or [False] * len(values)),
        exclusive,
        dependencies,
        interactions,
    )


def brute_force(problem: AllocationProblem) -> float | None:
    """Best total NPSV by enumerating every funded set and, for divisible schemes, every
    segment; the weights within the chosen segments by a linear programme. None if infeasible."""
    choices = []
    for v in problem.values:
        options: list[tuple[int, ...] | None] = [None]
        if v.size == 1:
            options.append((0,))
        else:
            options.extend((s, s + 1) for s in range(v.size - 1))
        choices.append(options)
    best: float | None = None
    for combo in itertools.product(*choices):
        funded = np.array([c is not None for c in combo])
        if np.any(problem.required & ~funded):
            continue
        if any(funded[list(g)].sum() > 1 for g in problem.exclusive_groups):
            continue
        if any(funded[a] and not funded[b] for a, b in problem.dependencies):
            continue
        extra = sum(x for a, b, x in problem.interactions if funded[a] and funded[b])
        picked = [(i, k) for i, c in enumerate(combo) if c is not None for k in c]
        if not picked:
            total = 0.0
            if np.all(problem.limits >= -1e-9):
                best = total if best is None else max(best, total)
            continue
        c = -np.array([problem.values[i][k] for i, k in picked])
        a_ub = np.array([problem.uses[i][k] for i, k in picked]).T
        a_eq = np.array(
            [[1.0 if i == s else 0.0 for i, _ in picked] for s in np.flatnonzero(funded)]
        )
        result = linprog(
            c, A_ub=a_ub, b_ub=problem.limits, A_eq=a_eq, b_eq=np.ones(len(a_eq)), bounds=(0, 1)
        )
        if result.status == 0:
            total = -result.fun + extra
            best = total if best is None else max(best, total)
    return best


money = st.integers(min_value=0, max_value=100).map(float)


@st.composite
def problems(draw: st.DrawFn, divisible: bool) -> AllocationProblem:
    s = draw(st.integers(min_value=1, max_value=4))
    j = draw(st.integers(min_value=1, max_value=2))
    values, uses = [], []
    for _ in range(s):
        k = draw(st.integers(min_value=2, max_value=3)) if divisible and draw(st.booleans()) else 1
        values.append([draw(st.integers(-20, 100).map(float)) for _ in range(k)])
        uses.append([[draw(money) for _ in range(j)] for _ in range(k)])
    limits = [draw(st.integers(0, 200).map(float)) for _ in range(j)]
    exclusive: tuple[tuple[int, ...], ...] = ()
    dependencies: tuple[tuple[int, int], ...] = ()
    interactions: tuple[tuple[int, int, float], ...] = ()
    if s >= 2:
        if draw(st.booleans()):
            exclusive = ((0, 1),)
        if s >= 3 and draw(st.booleans()):
            dependencies = ((2, s - 1 if s - 1 != 2 else 0),)
        if draw(st.booleans()):
            interactions = ((s - 2, s - 1, draw(st.integers(-30, 30).map(float))),)
    required = [False] * s
    if draw(st.booleans()):
        required[draw(st.integers(0, s - 1))] = True
    return _problem(values, uses, limits, required, exclusive, dependencies, interactions)


@settings(max_examples=60)
@given(problems(divisible=False))
def test_all_or_nothing_matches_enumeration(problem: AllocationProblem) -> None:
    expected = brute_force(problem)
    found = allocate(problem)
    if expected is None:
        assert not found.feasible
        assert conflicting_constraints(problem)
    else:
        assert found.feasible
        assert found.value == pytest.approx(expected, abs=1e-6)
        assert np.all(found.used <= problem.limits + 1e-6)


@settings(max_examples=40)
@given(problems(divisible=True))
def test_divisible_matches_enumeration(problem: AllocationProblem) -> None:
    expected = brute_force(problem)
    found = allocate(problem)
    if expected is None:
        assert not found.feasible
    else:
        assert found.feasible
        assert found.value == pytest.approx(expected, abs=1e-6)
        for w, funded in zip(found.weights, found.funded, strict=True):
            assert w.sum() == pytest.approx(1.0 if funded else 0.0)
            assert np.count_nonzero(w > 1e-9) <= 2
            nonzero = np.flatnonzero(w > 1e-9)
            if nonzero.size == 2:
                assert nonzero[1] - nonzero[0] == 1  # neighbouring breakpoints only


def test_ranking_by_bcr_is_beaten_by_a_large_lower_bcr_scheme() -> None:
    # Budget 100. A: cost 10, NPSV 20 (BCR 3); B: cost 95, NPSV 95 (BCR 2).
    # The ranking funds A, then B no longer fits: NPSV 20. Funding B alone gives 95.
    problem = _problem([[20.0], [95.0]], [[[10.0]], [[95.0]]], [100.0])
    best = allocate(problem)
    assert best.funded.tolist() == [False, True]
    assert best.value == pytest.approx(95.0)
    ranked = rank_by_bcr(problem, np.array([0, 0]), np.array([3.0, 2.0]))
    assert ranked.funded.tolist() == [True, False]
    assert ranked.value == pytest.approx(20.0)


def test_ranking_skips_what_does_not_fit_and_carries_on() -> None:
    problem = _problem([[30.0], [50.0], [5.0]], [[[60.0]], [[50.0]], [[30.0]]], [100.0])
    ranked = rank_by_bcr(problem, np.array([0, 0, 0]), np.array([1.5, 2.0, 1.2]))
    # B (BCR 2, 50) then A (60) does not fit, then C (30) does.
    assert ranked.funded.tolist() == [False, True, True]
    assert ranked.value == pytest.approx(55.0)


def test_divisible_scheme_scales_to_the_limit() -> None:
    # Breakpoints at cost 0/50/100 with NPSV 0/80/120; limit 75: halfway up the second
    # segment, NPSV 80 + 0.5 x 40 = 100.
    problem = _problem([[0.0, 80.0, 120.0]], [[[0.0], [50.0], [100.0]]], [75.0])
    found = allocate(problem)
    assert found.value == pytest.approx(100.0)
    assert found.weights[0] == pytest.approx([0.0, 0.5, 0.5])


def test_marginal_value_by_resolving_one_more_pound() -> None:
    problem = _problem([[0.0, 80.0, 120.0]], [[[0.0], [50.0], [100.0]]], [75.0])
    base = allocate(problem)
    # Slope of the second segment: 40 / 50 = 0.8 per GBP.
    assert marginal_values(problem, base.value, 1.0) == pytest.approx([0.8], abs=1e-6)
    more = allocate(problem.with_limits(np.array([76.0])))
    assert more.value - base.value == pytest.approx(0.8, abs=1e-6)


def test_marginal_value_is_zero_for_a_slack_limit() -> None:
    problem = _problem([[10.0]], [[[5.0, 5.0]]], [100.0, 5.0])
    base = allocate(problem)
    assert marginal_values(problem, base.value, 1.0) == pytest.approx([0.0, 0.0])


def test_exclusivity_dependency_and_synergy() -> None:
    # A and B exclusive; C needs B; B and C have a synergy of 50.
    problem = _problem(
        [[40.0], [30.0], [10.0]],
        [[[10.0]], [[10.0]], [[10.0]]],
        [100.0],
        exclusive=((0, 1),),
        dependencies=((2, 1),),
        interactions=((1, 2, 50.0),),
    )
    found = allocate(problem)
    assert found.funded.tolist() == [False, True, True]
    assert found.value == pytest.approx(90.0)
    assert found.interaction_value == pytest.approx(50.0)


def test_infeasible_names_the_conflict() -> None:
    # A required (cost 80) and B required (cost 50) against a limit of 100; C is irrelevant.
    problem = _problem(
        [[10.0], [10.0], [1.0]],
        [[[80.0, 0.0]], [[50.0, 0.0]], [[1.0, 1.0]]],
        [100.0, 10.0],
        required=[True, True, False],
    )
    found = allocate(problem)
    assert not found.feasible
    assert conflicting_constraints(problem) == [("limit", 0), ("required", 0), ("required", 1)]


def test_required_scheme_in_an_exclusive_pair_with_another_required() -> None:
    problem = _problem(
        [[1.0], [1.0]], [[[0.0]], [[0.0]]], [10.0], required=[True, True], exclusive=((0, 1),)
    )
    assert conflicting_constraints(problem) == [("exclusive", 0), ("required", 0), ("required", 1)]


def test_interpolation_error_of_a_parabola_meets_the_bound() -> None:
    # f(n) = n^2 on breakpoints 0, 1, 2: the chord error is h^2 max|f''| / 8 = 1 * 2 / 8.
    points = np.array([0.0, 1.0, 2.0])
    fine = np.linspace(0.0, 2.0, 2001)
    error = interpolation_error(points, points**2, fine, fine**2)
    assert error == pytest.approx(0.25, abs=1e-6)


@given(st.integers(min_value=2, max_value=40))
def test_interpolation_error_shrinks_as_h_squared(k: int) -> None:
    points = np.linspace(0.0, 1.0, k)
    fine = np.linspace(0.0, 1.0, 4001)
    error = interpolation_error(points, np.sin(3 * points), fine, np.sin(3 * fine))
    h = 1.0 / (k - 1)
    assert error <= 9.0 * h**2 / 8.0 + 1e-12  # max |f''| = 9


def test_ranking_comes_back_to_a_scheme_waiting_for_its_prerequisite() -> None:
    # C (BCR 5) needs A (BCR 2); B (BCR 3) is independent. Order C, B, A: C waits, B and A
    # are funded, then C.
    problem = _problem(
        [[10.0], [10.0], [10.0]],
        [[[1.0]], [[1.0]], [[1.0]]],
        [10.0],
        dependencies=((2, 0),),
    )
    ranked = rank_by_bcr(problem, np.array([0, 0, 0]), np.array([2.0, 3.0, 5.0]))
    assert ranked.funded.tolist() == [True, True, True]


def test_draws_solved_side_by_side_match_one_at_a_time() -> None:
    """Threads change the wall-clock time only: every draw's choice and value is the same."""
    rng = np.random.default_rng(7)
    problem = AllocationProblem(
        values=(np.array([0.0, 30.0, 45.0]), np.array([20.0]), np.array([25.0]), np.array([5.0])),
        uses=(
            np.array([[0.0], [40.0], [80.0]]),
            np.array([[30.0]]),
            np.array([[35.0]]),
            np.array([[10.0]]),
        ),
        limits=np.array([100.0]),
        required=np.zeros(4, dtype=bool),
        interactions=((1, 2, -5.0),),
    )
    central = allocate(problem)
    values = tuple(v[np.newaxis, :] * rng.lognormal(0.0, 0.5, (12, 1)) for v in problem.values)
    serial = allocate_draws(problem, values, central, workers=1)
    threaded = allocate_draws(problem, values, central, workers=2)
    np.testing.assert_array_equal(serial.funded, threaded.funded)
    np.testing.assert_array_equal(serial.value, threaded.value)
    np.testing.assert_array_equal(serial.given_value, threaded.given_value)
    for a, b in zip(serial.weights, threaded.weights, strict=True):
        np.testing.assert_array_equal(a, b)
