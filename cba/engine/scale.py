"""Economies and diseconomies of scale: scale laws as multipliers, and curve analysis.

Every law returns a **multiplier** ``m(n)`` of the amount the scenario gives for ``n_0``, with
``m(n_0) = 1`` exactly, so that a swept scenario at ``n = n_0`` reproduces the unswept results
bit for bit. Shapes broadcast: ``n`` is typically ``(S, 1)`` for S sweep points against
parameters of shape ``(L,)`` for L lines.

References
----------
docs/methods.md §7: fixed + variable cost; power law; coordination ``k n^beta`` or pairwise
``k n (n-1) / 2`` (Musso, Young & Thom 2019); step costs ``ceil(n / m) c``; saturation
``V_max (1 - exp(-lambda n))`` (as in WHO HEAT); participation ``p_0 (n / n_0)^-delta``;
learning ``c_1 n^-b``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def proportional(n: ArrayLike, n0: ArrayLike) -> FloatArray:
    """``n / n_0``: the amount grows in proportion to the driver."""
    return _f(n) / _f(n0)


def fixed(n: ArrayLike, n0: ArrayLike) -> FloatArray:
    """``1``: the amount does not change with scale."""
    return np.ones(np.broadcast_shapes(np.shape(n), np.shape(n0)))


def power(n: ArrayLike, n0: ArrayLike, elasticity: ArrayLike) -> FloatArray:
    """``(n / n_0)^e``: e < 1 economies, e > 1 diseconomies of scale."""
    return np.power(_f(n) / _f(n0), _f(elasticity))


def fixed_plus_variable(n: ArrayLike, n0: ArrayLike, fixed_share: ArrayLike) -> FloatArray:
    """``C(n) = F + c n`` with ``F`` the share ``f`` of the amount at ``n_0``:
    ``1 + (1 - f) (n / n_0 - 1)``, written so that it is exactly 1 at ``n_0``."""
    return 1.0 + (1.0 - _f(fixed_share)) * (_f(n) / _f(n0) - 1.0)


def step(n: ArrayLike, n0: ArrayLike, per: ArrayLike) -> FloatArray:
    """``ceil(n / m) / ceil(n_0 / m)``: one more unit (a coordinator) per ``m`` of the driver."""
    m = _f(per)
    return np.ceil(_f(n) / m) / np.ceil(_f(n0) / m)


def pairwise(n: ArrayLike, n0: ArrayLike) -> FloatArray:
    """``n (n - 1) / (n_0 (n_0 - 1))``: one unit of coordination per pair of members."""
    a, b = _f(n), _f(n0)
    return (a * (a - 1.0)) / (b * (b - 1.0))


def saturating(n: ArrayLike, n0: ArrayLike, rate: ArrayLike) -> FloatArray:
    """``(1 - exp(-lambda n)) / (1 - exp(-lambda n_0))``: the effect approaches a ceiling."""
    lam = _f(rate)
    return -np.expm1(-lam * _f(n)) / -np.expm1(-lam * _f(n0))


def participation(n: ArrayLike, n0: ArrayLike, delta: ArrayLike) -> FloatArray:
    """Outcomes ``n p(n)`` with ``p(n) = p_0 (n / n_0)^-delta``: ``(n / n_0)^(1 - delta)``."""
    return np.power(_f(n) / _f(n0), 1.0 - _f(delta))


def learning(n: ArrayLike, n0: ArrayLike, b: ArrayLike) -> FloatArray:
    """Total cost ``n c(n)`` with unit cost ``c(n) = c_1 n^-b``: ``(n / n_0)^(1 - b)``."""
    return np.power(_f(n) / _f(n0), 1.0 - _f(b))


def piecewise(n: ArrayLike, n0: float, xs: ArrayLike, ys: ArrayLike) -> FloatArray:
    """Linear interpolation through the points ``(xs, ys)``, flat beyond the ends, divided by
    its value at ``n_0``."""
    x, y = _f(xs), _f(ys)
    return np.interp(_f(n), x, y) / np.interp(n0, x, y)


def sweep_points(start: float, stop: float, count: int, logarithmic: bool, n0: float) -> FloatArray:
    """Sweep values of the driver, ascending, always including ``n_0`` exactly."""
    spaced = np.geomspace if logarithmic else np.linspace
    points = spaced(start, stop, count)
    return np.unique(np.append(points, n0))


def marginal(values: ArrayLike, driver: ArrayLike) -> FloatArray:
    """Slope between neighbouring sweep points ``d values / d driver`` at each point
    (``np.gradient``: central differences inside, one-sided at the ends). Shape (..., S)."""
    return np.gradient(_f(values), _f(driver), axis=-1)


def ratio_of_changes(numerator: ArrayLike, denominator: ArrayLike) -> FloatArray:
    """``d numerator / d denominator`` along the sweep (e.g. marginal cost per outcome,
    marginal BCR); NaN where the denominator does not change."""
    with np.errstate(all="ignore"):
        dn = np.gradient(_f(numerator), axis=-1)
        dd = np.gradient(_f(denominator), axis=-1)
        out = dn / dd
    return np.where((dd != 0.0) & np.isfinite(out), out, np.nan)


def stretches(mask: ArrayLike) -> list[tuple[int, int]]:
    """Index ranges ``[first, last]`` (inclusive) where a boolean sweep mask is true."""
    flags = np.asarray(mask, dtype=bool).ravel()
    edges = np.diff(np.concatenate(([0], flags.view(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def regimes(average_cost: ArrayLike) -> list[tuple[int, int, str]]:
    """Stretches of the sweep labelled by how average cost per outcome moves between
    neighbouring points: ``economies`` (falling), ``diseconomies`` (rising), ``constant``.
    Each stretch ``(first, last, label)`` covers points ``first..last``; neighbouring stretches
    share their boundary point."""
    cost = _f(average_cost)
    if cost.size < 2:
        return []
    diff = np.diff(cost)
    scale = np.nanmax(np.abs(cost[np.isfinite(cost)])) if np.isfinite(cost).any() else 1.0
    tolerance = 1e-12 * max(scale, 1.0)
    labels = np.where(
        diff < -tolerance, "economies", np.where(diff > tolerance, "diseconomies", "constant")
    )
    labels = np.where(np.isnan(diff), "undefined", labels)
    # A stretch starts where the label changes; it ends on the point after its last step,
    # which is also the first point of the next stretch.
    starts = np.flatnonzero(np.concatenate(([True], labels[1:] != labels[:-1])))
    ends = np.append(starts[1:], labels.size)
    return [
        (first, last, str(labels[first]))
        for first, last in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
