"""Roots of a measure in one input (``cba.engine.switching``): the closed form for an affine
measure, the bracket nearest the central value on a grid, and vectorised bisection and regula
falsi (Illinois).

Every expected root is known by construction (a line through a chosen root, a cube root), never
read from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.typing import NDArray

from cba.engine.switching import affine_root, bisect, illinois, nearest_bracket

FloatArray = NDArray[np.float64]
EPS = float(np.finfo(np.float64).eps)

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
slope = st.one_of(st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))

# --------------------------------------------------------------------------------------------
# affine_root
# --------------------------------------------------------------------------------------------


def test_affine_root_of_exact_lines_is_the_chosen_root() -> None:
    # Lines y = b (x - r) with every product and quotient exact in binary floating point.
    roots = np.array([3.0, -2.5, 0.0, 1024.0, 0.125])
    slopes = np.array([2.0, -4.0, 0.5, -0.25, 8.0])
    x0 = np.array([0.0, 1.0, -2.0, 1000.0, 0.0])
    x1 = np.array([1.0, 3.0, 2.0, 1008.0, 1.0])
    y0, y1 = slopes * (x0 - roots), slopes * (x1 - roots)
    scale = np.abs(y0) + np.abs(y1)
    found = affine_root(x0, y0, x1, y1, scale)
    assert found.shape == (5,)
    np.testing.assert_array_equal(found, roots)


def test_affine_root_when_a_point_is_the_root() -> None:
    # y0 = 0: the root is x0 itself, whichever way the line slopes.
    assert float(affine_root(5.0, 0.0, 7.0, 3.0, 3.0)) == 5.0
    assert float(affine_root(5.0, 0.0, 7.0, -3.0, 3.0)) == 5.0
    # y1 = 0: the root is x1.
    assert float(affine_root(5.0, 4.0, 7.0, 0.0, 4.0)) == 7.0


def test_affine_root_extrapolates_beyond_the_two_points() -> None:
    # y = x - 10 sampled at 0 and 1: the root lies outside [x0, x1]; the caller judges it.
    assert float(affine_root(0.0, -10.0, 1.0, -9.0, 19.0)) == 10.0
    assert float(affine_root(1.0, -9.0, 0.0, -10.0, 19.0)) == 10.0


def test_affine_root_of_a_flat_line_is_nan() -> None:
    found = affine_root([0.0, 0.0, 0.0], [5.0, 0.0, -3.0], [1.0, 1.0, 1.0], [5.0, 0.0, -3.0], 10.0)
    assert np.isnan(found).all()


def test_affine_root_counts_a_rise_below_the_flat_threshold_as_flat() -> None:
    # docs/methods.md §14: a slope whose effect is below 1e-12 of the gross terms is flat.
    scale = 1e6
    just_flat = affine_root(0.0, 100.0, 1.0, 100.0 + 1e-13 * scale, scale)
    not_flat = affine_root(0.0, 100.0, 1.0, 100.0 + 1e-10 * scale, scale)
    assert np.isnan(just_flat)
    assert np.isfinite(not_flat)
    assert float(not_flat) == pytest.approx(-100.0 / (1e-10 * scale), rel=1e-9)


@given(a=finite, b=slope, x0=finite, step=st.floats(1e-3, 1e6))
def test_affine_root_of_any_line_is_minus_a_over_b(
    a: float, b: float, x0: float, step: float
) -> None:
    x1 = x0 + step
    assume(x1 != x0)
    y0, y1 = a + b * x0, a + b * x1
    assume(y1 != y0)
    root = -a / b
    h = x1 - x0
    # y0 and y1 are each within eps(|a| + |b x|) of the line, so their difference (the rise, b h)
    # is within 2 eps (|y0| + |y1|) (+ the rounding of a + b x) of exact; the root moves by
    # |x0 - root| times that relative error of the rise, plus the rounding of x0 - ....
    rise_error = 4 * EPS * (abs(a) + abs(b) * (abs(x0) + abs(x1))) / abs(b * h)
    tolerance = abs(x0 - root) * rise_error + 8 * EPS * (abs(x0) + abs(root)) + 1e-300
    assume(rise_error < 1e-3)  # a rise lost in rounding is the flat case, tested above
    found = float(affine_root(x0, y0, x1, y1, 0.0))
    assert abs(found - root) <= tolerance, (found, root, tolerance)


# --------------------------------------------------------------------------------------------
# nearest_bracket
# --------------------------------------------------------------------------------------------


def test_nearest_bracket_picks_the_crossing_nearest_the_central_value() -> None:
    xs = np.tile(np.arange(7.0), (3, 1))
    ys = np.array(
        [
            [1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0],  # one crossing, between 1 and 2
            [-1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0],  # crossings at 0-1 and 5-6; centre 4.5
            [-1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0],  # the same row, centre 2
        ]
    )
    lo, hi, y_lo, y_hi = nearest_bracket(xs, ys, np.array([5.0, 4.5, 2.0]))
    np.testing.assert_array_equal(lo, [1.0, 5.0, 0.0])
    np.testing.assert_array_equal(hi, [2.0, 6.0, 1.0])
    np.testing.assert_array_equal(y_lo, [1.0, 1.0, -1.0])
    np.testing.assert_array_equal(y_hi, [-1.0, -1.0, 1.0])


def test_nearest_bracket_returns_an_exact_zero_as_a_point() -> None:
    xs = np.tile(np.linspace(0.0, 1.0, 5), (2, 1))
    ys = np.array(
        [
            [-2.0, -1.0, 0.0, 1.0, 2.0],  # zero at x = 0.5, no strict sign change
            [3.0, 0.0, 3.0, 3.0, -3.0],  # zero at 0.25 (touching), crossing 0.75-1
        ]
    )
    lo, hi, y_lo, y_hi = nearest_bracket(xs, ys, np.array([0.9, 0.2]))
    np.testing.assert_array_equal(lo, [0.5, 0.25])
    np.testing.assert_array_equal(hi, [0.5, 0.25])
    np.testing.assert_array_equal(y_lo, [0.0, 0.0])
    np.testing.assert_array_equal(y_hi, [0.0, 0.0])


def test_nearest_bracket_prefers_a_nearer_crossing_to_a_farther_zero() -> None:
    xs = np.arange(6.0)[None, :]
    ys = np.array([[0.0, 1.0, 1.0, 1.0, 1.0, -1.0]])  # zero at 0, crossing 4-5; centre 4
    lo, hi, _, _ = nearest_bracket(xs, ys, np.array([4.0]))
    assert (float(lo[0]), float(hi[0])) == (4.0, 5.0)


def test_nearest_bracket_without_a_sign_change_is_nan() -> None:
    xs = np.tile(np.arange(4.0), (2, 1))
    ys = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, -5.0, -0.5, -2.0]])
    for part in nearest_bracket(xs, ys, np.array([1.0, 1.0])):
        assert np.isnan(part).all()


@given(
    rows=st.lists(
        st.lists(st.sampled_from([-2.0, -1.0, 0.0, 1.0, 3.0]), min_size=2, max_size=9),
        min_size=1,
        max_size=6,
    ),
    centre=st.floats(-2.0, 10.0),
)
def test_nearest_bracket_is_a_sign_change_no_other_is_nearer(
    rows: list[list[float]], centre: float
) -> None:
    width = min(len(r) for r in rows)
    ys = np.array([r[:width] for r in rows])
    xs = np.tile(np.arange(float(width)), (len(rows), 1))
    lo, hi, y_lo, y_hi = nearest_bracket(xs, ys, np.full(len(rows), centre))
    for p, y in enumerate(ys):
        zeros = [float(i) for i in range(width) if y[i] == 0]
        crossings = [i for i in range(width - 1) if y[i] * y[i + 1] < 0]
        if not zeros and not crossings:
            assert math.isnan(lo[p]) and math.isnan(hi[p])
            continue
        best = min([abs(z - centre) for z in zeros] + [abs(i + 0.5 - centre) for i in crossings])
        if lo[p] == hi[p]:
            assert lo[p] in zeros and y_lo[p] == 0 and y_hi[p] == 0
            assert abs(lo[p] - centre) == best
        else:
            i = int(lo[p])
            assert hi[p] == i + 1 and i in crossings
            assert (y_lo[p], y_hi[p]) == (y[i], y[i + 1])
            assert abs(i + 0.5 - centre) == best


# --------------------------------------------------------------------------------------------
# bisect
# --------------------------------------------------------------------------------------------


class Counted:
    """``x**3 - c`` per row (``sign`` flips a row to ``c - x**3``), counting calls; NaN inputs
    (rows without a bracket) are filled with 0, as the docstring asks of a measure."""

    def __init__(self, c: FloatArray, sign: FloatArray) -> None:
        self.c, self.sign = c, sign
        self.calls = 0
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, x: FloatArray) -> FloatArray:
        self.calls += 1
        self.shapes.append(x.shape)
        x = np.where(np.isfinite(x), x, 0.0)
        return np.asarray(self.sign * (x**3 - self.c), dtype=np.float64)


def test_bisect_finds_cube_roots_row_by_row_in_one_call_per_step() -> None:
    c = np.array([2.0, 20.0, 0.5, 1000.0])
    sign = np.array([1.0, -1.0, 1.0, 1.0])
    lo = np.array([1.0, 0.0, 0.0, 3.0])
    hi = np.array([2.0, 3.0, 1.0, 40.0])
    measure = Counted(c, sign)
    found = bisect(measure, lo, hi, measure(lo))
    expected = np.cbrt(c)
    np.testing.assert_allclose(found, expected, rtol=1e-12, atol=0)
    assert measure.calls <= 61  # the y_lo call, then at most 60 halvings
    assert set(measure.shapes) == {(4,)}  # every row in every call


def test_bisect_leaves_rows_without_a_bracket_nan() -> None:
    c = np.array([2.0, 2.0, 2.0])
    measure = Counted(c, np.ones(3))
    lo = np.array([1.0, np.nan, 1.0])
    hi = np.array([2.0, np.nan, np.nan])
    y_lo = np.array([-1.0, np.nan, -1.0])
    found = bisect(measure, lo, hi, y_lo)
    assert float(found[0]) == pytest.approx(2.0 ** (1 / 3), rel=1e-12)
    assert np.isnan(found[1]) and np.isnan(found[2])


def test_bisect_degenerate_bracket_is_its_point() -> None:
    measure = Counted(np.array([8.0, 2.0]), np.ones(2))
    found = bisect(measure, np.array([2.0, 1.0]), np.array([2.0, 2.0]), np.array([0.0, -1.0]))
    assert float(found[0]) == 2.0  # an exact zero found on the grid
    assert float(found[1]) == pytest.approx(2.0 ** (1 / 3), rel=1e-12)


def test_bisect_stops_at_an_exact_hit_on_a_midpoint() -> None:
    calls: list[FloatArray] = []

    def line(x: FloatArray) -> FloatArray:
        calls.append(x.copy())
        return np.asarray(x - 1.0, dtype=np.float64)

    found = bisect(line, np.array([0.0]), np.array([2.0]), np.array([-1.0]))
    assert float(found[0]) == 1.0
    assert len(calls) == 1  # the first midpoint is the root: no further step


def test_bisect_decreasing_measure() -> None:
    # 2 - x**3 on [0, 3]: positive at lo, so the steps go the other way.
    measure = Counted(np.array([2.0]), np.array([-1.0]))
    found = bisect(measure, np.array([0.0]), np.array([3.0]), np.array([2.0]))
    assert float(found[0]) == pytest.approx(2.0 ** (1 / 3), rel=1e-12)


@given(
    lo=st.floats(-1e6, 1e6),
    width=st.floats(1e-6, 1e6),
    where=st.floats(0.0, 1.0),
    rising=st.booleans(),
)
def test_bisect_finds_the_root_of_a_line_to_a_few_ulps(
    lo: float, width: float, where: float, rising: bool
) -> None:
    hi = lo + width
    root = lo + where * (hi - lo)
    assume(lo < hi)
    direction = 1.0 if rising else -1.0

    def line(x: FloatArray) -> FloatArray:
        return np.asarray(direction * (x - root), dtype=np.float64)

    y_lo = line(np.array([lo]))
    assume(float(y_lo[0]) != 0.0)
    found = float(bisect(line, np.array([lo]), np.array([hi]), y_lo)[0])
    assert lo <= found <= hi
    assert abs(found - root) <= 4 * float(np.spacing(max(abs(lo), abs(hi))))


# --------------------------------------------------------------------------------------------
# illinois (regula falsi, Illinois variant)
# --------------------------------------------------------------------------------------------


def test_illinois_finds_cube_roots_row_by_row_in_one_call_per_step() -> None:
    c = np.array([2.0, 20.0, 0.5, 1000.0])
    sign = np.array([1.0, -1.0, 1.0, 1.0])
    lo = np.array([1.0, 0.0, 0.0, 3.0])
    hi = np.array([2.0, 3.0, 1.0, 40.0])
    measure = Counted(c, sign)
    y_lo, y_hi = measure(lo), measure(hi)
    found = illinois(measure, lo, hi, y_lo, y_hi, 0.0)
    np.testing.assert_allclose(found, np.cbrt(c), rtol=1e-12, atol=0)
    assert measure.calls <= 2 + 60
    assert set(measure.shapes) == {(4,)}


def test_illinois_stops_within_each_rows_tolerance() -> None:
    c = np.array([2.0, 20.0, 1000.0])
    measure = Counted(c, np.ones(3))
    lo, hi = np.array([1.0, 0.0, 3.0]), np.array([2.0, 3.0, 40.0])
    tolerance = np.array([1e-3, 1e-6, 1e-9])
    found = illinois(measure, lo, hi, measure(lo), measure(hi), tolerance)
    assert ((lo <= found) & (found <= hi)).all()
    assert (np.abs(found**3 - c) <= tolerance).all()


def test_illinois_nan_and_degenerate_brackets() -> None:
    measure = Counted(np.array([2.0, 2.0, 8.0]), np.ones(3))
    lo = np.array([np.nan, 1.0, 2.0])
    hi = np.array([np.nan, np.nan, 2.0])
    nan = np.array([np.nan, np.nan, 0.0])
    found = illinois(measure, lo, hi, nan, nan, 0.0)
    assert np.isnan(found[0]) and np.isnan(found[1])
    assert float(found[2]) == 2.0


def test_illinois_returns_an_end_that_is_already_a_root() -> None:
    def line(x: FloatArray) -> FloatArray:
        raise AssertionError("no step needed")

    found = illinois(line, np.array([1.0, 0.0]), np.array([3.0, 5.0]), [0.0, -2.0], [2.0, 0.0], 0)
    np.testing.assert_array_equal(found, [1.0, 5.0])


@given(
    root=st.floats(-100.0, 100.0),
    below=st.floats(1e-3, 50.0),
    above=st.floats(1e-3, 50.0),
    rising=st.booleans(),
)
def test_illinois_finds_the_root_of_a_cubic_inside_its_bracket(
    root: float, below: float, above: float, rising: bool
) -> None:
    lo, hi = root - below, root + above
    assume(lo < root < hi)
    direction = 1.0 if rising else -1.0

    def cubic(x: FloatArray) -> FloatArray:
        return np.asarray(direction * ((x - root) ** 3 + (x - root)), dtype=np.float64)

    ends = np.array([lo, hi])
    y = cubic(ends)
    found = float(illinois(cubic, ends[:1], ends[1:], y[:1], y[1:], 0.0)[0])
    assert lo <= found <= hi
    # f'(root) = 1, so the root is good to the rounding of f near it (a few ulps of x).
    assert abs(found - root) <= 1e-12 * max(1.0, abs(lo), abs(hi))


def test_illinois_converges_on_a_strongly_convex_measure() -> None:
    def convex(x: FloatArray) -> FloatArray:
        return np.asarray(np.exp(50.0 * x) - 2.0, dtype=np.float64)

    lo, hi = np.array([0.0]), np.array([1.0])
    root = math.log(2.0) / 50.0
    assert float(bisect(convex, lo, hi, convex(lo))[0]) == pytest.approx(root, rel=1e-12)
    found = illinois(convex, lo, hi, convex(lo), convex(hi), 0.0)
    assert float(found[0]) == pytest.approx(root, rel=1e-12)
