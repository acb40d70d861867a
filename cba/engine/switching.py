"""Roots of a measure in one input: switching values (docs/methods.md §14).

A switching value is the value of one input, all others at their central values, at which a
measure (incremental NPSV, or PVB - non-public costs - public costs for the BCR of 1) is zero
(Green Book 2026 §5.59-5.61, Box 12). Pure numpy; the measure is given as values at points,
or as a function evaluated for many parameters at once (one leading axis over parameters).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

FLAT = 1e-12
"""Relative change below which a measure counts as not moving with an input: a slope whose
effect over the whole domain is under ``FLAT`` times the measure's gross scale has no root."""


def affine_root(
    x0: ArrayLike, y0: ArrayLike, x1: ArrayLike, y1: ArrayLike, scale: ArrayLike
) -> FloatArray:
    """Where the line through ``(x0, y0)`` and ``(x1, y1)`` crosses zero, elementwise.

    Exact for a measure that is affine in the input (most inputs: each enters one product of
    a line's flows). NaN where the line is flat: ``|y1 - y0|`` at most ``FLAT * scale``
    (``scale`` is the measure's gross size, e.g. PVB + PVC, in the measure's unit).
    """
    x0a, y0a = np.asarray(x0, dtype=np.float64), np.asarray(y0, dtype=np.float64)
    x1a, y1a = np.asarray(x1, dtype=np.float64), np.asarray(y1, dtype=np.float64)
    rise = y1a - y0a
    flat = np.abs(rise) <= FLAT * np.abs(np.asarray(scale, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        root = x0a - y0a * (x1a - x0a) / np.where(flat, 1.0, rise)
    return np.where(flat, np.nan, root)


def nearest_bracket(
    xs: ArrayLike, ys: ArrayLike, x0: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The sign change of ``ys`` along the last axis nearest to ``x0``, per row.

    Parameters
    ----------
    xs, ys : (P, G)
        Each row: ascending input values and the measure there.
    x0 : (P,)
        Central value of each row's input.

    Returns
    -------
    lo, hi, y_lo, y_hi : (P,)
        A bracket ``[lo, hi]`` (adjacent grid points) with ``y_lo * y_hi <= 0`` and one end
        nonzero, or an exact zero at a grid point (``lo == hi``); NaN where the row has no sign
        change.
    """
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    centre = np.asarray(x0, dtype=np.float64)
    sign = np.sign(y)
    crossing = sign[:, :-1] * sign[:, 1:] < 0
    exact = sign == 0
    n_rows, n_points = y.shape
    lo = np.full(n_rows, np.nan)
    hi = np.full(n_rows, np.nan)
    y_lo = np.full(n_rows, np.nan)
    y_hi = np.full(n_rows, np.nan)
    mid = (x[:, :-1] + x[:, 1:]) / 2
    distance_cross = np.where(crossing, np.abs(mid - centre[:, None]), np.inf)
    distance_exact = np.where(exact, np.abs(x - centre[:, None]), np.inf)
    best_cross = np.argmin(distance_cross, axis=1)
    best_exact = np.argmin(distance_exact, axis=1)
    rows = np.arange(n_rows)
    d_cross = distance_cross[rows, best_cross]
    d_exact = distance_exact[rows, best_exact]
    use_exact = np.isfinite(d_exact) & (d_exact <= d_cross)
    use_cross = np.isfinite(d_cross) & ~use_exact
    lo = np.where(use_cross, x[rows, best_cross], lo)
    hi = np.where(use_cross, x[rows, np.minimum(best_cross + 1, n_points - 1)], hi)
    y_lo = np.where(use_cross, y[rows, best_cross], y_lo)
    y_hi = np.where(use_cross, y[rows, np.minimum(best_cross + 1, n_points - 1)], y_hi)
    lo = np.where(use_exact, x[rows, best_exact], lo)
    hi = np.where(use_exact, x[rows, best_exact], hi)
    y_lo = np.where(use_exact, 0.0, y_lo)
    y_hi = np.where(use_exact, 0.0, y_hi)
    return lo, hi, y_lo, y_hi


def bisect(
    measure: Callable[[FloatArray], FloatArray],
    lo: ArrayLike,
    hi: ArrayLike,
    y_lo: ArrayLike,
    iterations: int = 60,
) -> FloatArray:
    """Roots inside brackets, all rows at once: each step is one call of ``measure`` with every
    row's midpoint (a leading axis over rows, not a loop over rows).

    ``measure(x)`` maps ``(P,)`` input values (row p varies only its own input) to the measure
    ``(P,)``; rows without a bracket are passed NaN, for ``measure`` to fill. Rows whose
    bracket is NaN stay NaN; a degenerate bracket (``lo == hi``) returns ``lo``. Sixty halvings
    shrink any bracket below a double's resolution of its ends.
    """
    a = np.asarray(lo, dtype=np.float64).copy()
    b = np.asarray(hi, dtype=np.float64).copy()
    fa = np.asarray(y_lo, dtype=np.float64).copy()
    live = np.isfinite(a) & np.isfinite(b) & (a != b)
    for _ in range(iterations):
        if not live.any():
            break
        mid = np.where(live, (a + b) / 2, a)
        fm = measure(mid)
        hit = live & (fm == 0)
        same = np.sign(fm) == np.sign(fa)
        step_a = live & ~hit & same
        step_b = live & ~hit & ~same
        a = np.where(hit | step_a, mid, a)
        fa = np.where(step_a, fm, fa)
        b = np.where(hit | step_b, mid, b)
        live &= ~hit & (b - a > np.spacing(np.maximum(np.abs(a), np.abs(b))) * 2)
    root = (a + b) / 2
    return np.where(np.isfinite(a) & np.isfinite(b), root, np.nan)


def illinois(
    measure: Callable[[FloatArray], FloatArray],
    lo: ArrayLike,
    hi: ArrayLike,
    y_lo: ArrayLike,
    y_hi: ArrayLike,
    tolerance: ArrayLike,
    iterations: int = 60,
) -> FloatArray:
    """Roots inside brackets by the Illinois variant of regula falsi, all rows at once (one call
    of ``measure`` per step, as in :func:`bisect`); superlinear for smooth measures, never
    leaving the bracket, and bisecting when the same end has moved three steps running.

    A row stops when ``|measure| <= tolerance`` (its own absolute tolerance, e.g. 1e-10 of the
    gross terms) or its bracket is down to a double's resolution. Rows with a NaN bracket stay
    NaN; a degenerate bracket (``lo == hi``) returns ``lo``.
    """
    a = np.asarray(lo, dtype=np.float64).copy()
    b = np.asarray(hi, dtype=np.float64).copy()
    fa = np.asarray(y_lo, dtype=np.float64).copy()
    fb = np.asarray(y_hi, dtype=np.float64).copy()
    tol = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), a.shape)
    best = np.where(np.abs(fa) <= np.abs(fb), a, b)
    live = np.isfinite(a) & np.isfinite(b) & (a != b) & (np.minimum(abs(fa), abs(fb)) > tol)
    side = np.zeros(a.shape, dtype=np.int8)  # which end was replaced last: -1 a, +1 b
    runs = np.zeros(a.shape, dtype=np.int64)  # how many steps running it was the same end
    for _ in range(iterations):
        if not live.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (a * fb - b * fa) / (fb - fa)
        # A step that lands outside the bracket, or a third step in a row moving the same end
        # (a badly skewed bracket), bisects instead: the bracket then at least halves.
        bad = ~np.isfinite(x) | (x <= np.minimum(a, b)) | (x >= np.maximum(a, b)) | (runs >= 3)
        x = np.where(bad, (a + b) / 2, x)
        x = np.where(live, x, a)
        fx = measure(x)
        done = live & (np.abs(fx) <= tol)
        best = np.where(done, x, best)
        same_as_a = np.sign(fx) == np.sign(fa)
        move_a = live & ~done & same_as_a
        move_b = live & ~done & ~same_as_a
        # Illinois: halve the value kept at the end that stays twice running
        fb = np.where(move_a & (side == -1), fb / 2, fb)
        fa = np.where(move_b & (side == 1), fa / 2, fa)
        a = np.where(move_a, x, a)
        fa = np.where(move_a, fx, fa)
        b = np.where(move_b, x, b)
        fb = np.where(move_b, fx, fb)
        new_side = np.where(move_a, -1, np.where(move_b, 1, side)).astype(np.int8)
        runs = np.where(new_side == side, runs + 1, 1)
        runs = np.where(bad, 0, runs)
        side = new_side
        best = np.where(live & ~done, np.where(np.abs(fa) <= np.abs(fb), a, b), best)
        width = np.abs(b - a)
        live &= ~done & (width > 2 * np.spacing(np.maximum(np.abs(a), np.abs(b))))
    ok = np.isfinite(np.asarray(lo, dtype=np.float64)) & np.isfinite(
        np.asarray(hi, dtype=np.float64)
    )
    return np.where(ok, best, np.nan)
