"""Variance-based (Sobol) sensitivity indices from a Saltelli design (docs/methods.md §15).

With two independent samples A and B of the k inputs (N rows each) and, for each input i, the
sample AB_i (A with column i taken from B), and a model output f evaluated at every row:

- first-order index S_i = mean(f(B) (f(AB_i) - f(A))) / V (Saltelli et al. 2010, eq. (b));
- total index ST_i = mean((f(A) - f(AB_i))^2) / (2 V) (Jansen 1999);

with V the variance of f over A and B together. Confidence intervals come from resampling the
N rows with replacement (percentile bootstrap). The inputs must be independent.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SobolIndices:
    """Indices per input (arrays of length k) and their 95% bootstrap intervals."""

    first: FloatArray
    first_low: FloatArray
    first_high: FloatArray
    total: FloatArray
    total_low: FloatArray
    total_high: FloatArray


def _indices(f_a: FloatArray, f_b: FloatArray, f_ab: FloatArray) -> tuple[FloatArray, FloatArray]:
    """First-order and total indices; ``f_ab`` is (k, N), rows the AB_i samples. Leading axes
    of all three (resamples) broadcast."""
    both = np.concatenate([f_a, f_b], axis=-1)
    variance = np.var(both, axis=-1, ddof=0)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(f_b[..., None, :] * (f_ab - f_a[..., None, :]), axis=-1) / variance
        total = np.mean((f_a[..., None, :] - f_ab) ** 2, axis=-1) / (2 * variance)
    return first, total


def sobol_indices(
    f_a: FloatArray,
    f_b: FloatArray,
    f_ab: FloatArray,
    rng: np.random.Generator,
    resamples: int = 200,
) -> SobolIndices:
    """Sobol first-order and total indices of one output.

    Parameters
    ----------
    f_a, f_b : (N,)
        The output at the rows of A and of B.
    f_ab : (k, N)
        The output at the rows of AB_i, one row per input.
    rng : Generator
        For the bootstrap (a fixed stream gives the same intervals every time).
    resamples : int
        Bootstrap resamples.

    Returns
    -------
    SobolIndices
        NaN where the output does not vary at all.
    """
    a = np.asarray(f_a, dtype=np.float64)
    b = np.asarray(f_b, dtype=np.float64)
    ab = np.asarray(f_ab, dtype=np.float64)
    first, total = _indices(a, b, ab)
    n = len(a)
    rows = rng.integers(0, n, size=(resamples, n))
    first_boot, total_boot = _indices(a[rows], b[rows], ab[:, rows].transpose(1, 0, 2))
    with warnings.catch_warnings():  # an output that never varies: every resample is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        low_f, high_f = np.nanpercentile(first_boot, [2.5, 97.5], axis=0)
        low_t, high_t = np.nanpercentile(total_boot, [2.5, 97.5], axis=0)
    return SobolIndices(first, low_f, high_f, total, low_t, high_t)
