"""Sobol indices (``cba.engine.sobol``) against functions whose indices are known exactly."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from cba.engine.sobol import sobol_indices

FloatArray = np.ndarray


def _design(
    f: Callable[[FloatArray], FloatArray], k: int, n: int, seed: int, low: float, high: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    rng = np.random.default_rng(seed)
    a = rng.uniform(low, high, (n, k))
    b = rng.uniform(low, high, (n, k))
    ab = np.stack([f(np.where(np.arange(k) == i, b, a)) for i in range(k)])
    return f(a), f(b), ab


def test_ishigami_indices_are_recovered() -> None:
    """Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: analytic S = (0.3139, 0.4424, 0) and
    ST = (0.5576, 0.4424, 0.2437) (Saltelli et al. 2008, Global Sensitivity Analysis)."""
    a_, b_ = 7.0, 0.1
    v = a_**2 / 8 + b_ * math.pi**4 / 5 + b_**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b_ * math.pi**4 / 5) ** 2
    v2 = a_**2 / 8
    v13 = b_**2 * math.pi**8 / 18 - b_**2 * math.pi**8 / 50
    first = np.array([v1 / v, v2 / v, 0.0])
    total = np.array([(v1 + v13) / v, v2 / v, v13 / v])

    def ishigami(x: FloatArray) -> FloatArray:
        return np.sin(x[:, 0]) + a_ * np.sin(x[:, 1]) ** 2 + b_ * x[:, 2] ** 4 * np.sin(x[:, 0])

    f_a, f_b, f_ab = _design(ishigami, 3, 40_000, 11, -math.pi, math.pi)
    found = sobol_indices(f_a, f_b, f_ab, np.random.default_rng(5))
    assert found.first == pytest.approx(first, abs=0.03)
    assert found.total == pytest.approx(total, abs=0.03)
    # the 95% intervals are not wildly off: each contains the truth or misses by a hair
    for est_low, est_high, truth in zip(found.total_low, found.total_high, total, strict=True):
        assert est_low - 0.02 <= truth <= est_high + 0.02


def test_additive_linear_model_indices_are_the_variance_shares() -> None:
    """f = 1 x1 + 2 x2 + 3 x3 with independent uniforms: S_i = ST_i = c_i^2 / sum c^2."""
    c = np.array([1.0, 2.0, 3.0])
    f_a, f_b, f_ab = _design(lambda x: x @ c, 3, 40_000, 3, 0.0, 1.0)
    found = sobol_indices(f_a, f_b, f_ab, np.random.default_rng(1))
    shares = c**2 / np.sum(c**2)
    assert found.first == pytest.approx(shares, abs=0.02)
    assert found.total == pytest.approx(shares, abs=0.02)
    assert np.all(found.first_low <= found.first + 1e-12)
    assert np.all(found.first <= found.first_high + 1e-12)


def test_an_output_that_does_not_vary_has_undefined_indices() -> None:
    f_a, f_b, f_ab = _design(lambda x: np.zeros(len(x)), 2, 100, 1, 0.0, 1.0)
    found = sobol_indices(f_a, f_b, f_ab, np.random.default_rng(1))
    assert np.all(np.isnan(found.first)) and np.all(np.isnan(found.total))
