"""Year profiles: which years a line is active in, and how an effect fades (drop-off)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def active_years(start: ArrayLike, end: ArrayLike, n_years: int) -> FloatArray:
    """Indicator of the year offsets a line is active in.

    Parameters
    ----------
    start, end : array_like of int, shape (...)
        First and last active year offset, inclusive.
    n_years : int
        Number of year offsets ``T``.

    Returns
    -------
    ndarray, shape (..., T)
        1.0 where ``start <= t <= end``, else 0.0 [dimensionless].
    """
    t = np.arange(n_years)
    s = np.asarray(start)[..., np.newaxis]
    e = np.asarray(end)[..., np.newaxis]
    return ((t >= s) & (t <= e)).astype(np.float64)


def drop_off_profile(
    start: ArrayLike, end: ArrayLike, drop_off: ArrayLike, n_years: int
) -> FloatArray:
    """Share of the first year's effect that remains in each active year.

    Parameters
    ----------
    start, end : array_like of int, shape (...)
        First and last year offset of the effect, inclusive.
    drop_off : array_like of float, shape (...)
        Fraction of the previous year's effect lost each year after the first [fraction].
    n_years : int
        Number of year offsets ``T``.

    Returns
    -------
    ndarray, shape (..., T)
        ``(1 - drop_off) ** (t - start)`` inside the active years, 0 outside [dimensionless].

    Notes
    -----
    Each year after the first keeps ``1 - drop_off`` of the previous year's value
    (SROI Network, A Guide to Social Return on Investment, 2012, stage 4). Built by repeated
    multiplication rather than ``**`` so that the bits are the same on every CPU.

    References
    ----------
    Cabinet Office (2012), A Guide to Social Return on Investment, section 4.
    """
    keep = 1.0 - np.asarray(drop_off, dtype=np.float64)[..., np.newaxis]
    after_first = np.arange(n_years) > np.asarray(start)[..., np.newaxis]
    step = np.where(after_first, keep, 1.0)
    return np.multiply.accumulate(step, axis=-1) * active_years(start, end, n_years)
