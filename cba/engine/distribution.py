"""Distributional (welfare) weights: a pound to a poorer household counts for more
(Green Book 2022, Annex A3)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def welfare_weights(
    reference_income: ArrayLike, incomes: ArrayLike, elasticity: ArrayLike
) -> FloatArray:
    """Weight of each income group.

    Parameters
    ----------
    reference_income : array_like, shape (...)
        Income the weights are relative to [GBP per household per year], above 0 (the UK
        median equivalised household disposable income).
    incomes : array_like, shape (..., G)
        Each group's median equivalised household income [GBP per household per year], above 0,
        in the same prices as ``reference_income``.
    elasticity : array_like, shape (...)
        Elasticity of the marginal utility of income [dimensionless] (1.3 in the Green Book).

    Returns
    -------
    ndarray, shape (..., G)
        ``(reference_income / income) ** elasticity`` [dimensionless]: above 1 for groups
        poorer than the reference, below 1 for richer ones.

    References
    ----------
    HM Treasury (2022), The Green Book, Annex A3, A3.14 and A3.19-A3.21.
    """
    reference = np.asarray(reference_income, dtype=np.float64)[..., np.newaxis]
    e = np.asarray(elasticity, dtype=np.float64)[..., np.newaxis]
    return np.asarray((reference / np.asarray(incomes, dtype=np.float64)) ** e, dtype=np.float64)


def weighted_total(present_values: ArrayLike, weights: ArrayLike) -> FloatArray:
    """Sum of line present values [GBP PV], each times its weight [dimensionless], over the last
    axis (lines): shape ``(..., L)`` in, ``(...)`` out."""
    pv = np.asarray(present_values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    return np.asarray(np.sum(pv * w, axis=-1), dtype=np.float64)
