"""Discount rates and factors (HM Treasury Green Book, Annex A6).

Conventions
-----------
Year offset ``t = 0`` is the first appraisal year and is **not discounted** (GB §5.55).
The factor is chained band by band: ``D_0 = 1`` and ``D_t = D_{t-1} / (1 + r_t)``, where
``r_t`` is the rate of the band that year ``t`` falls in. A band's rate therefore applies only
to the years inside it, never back to year 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def rates_by_year(band_starts: ArrayLike, band_rates: ArrayLike, n_years: int) -> FloatArray:
    """Annual discount rate for each year offset from a banded schedule.

    Parameters
    ----------
    band_starts : array_like of int, shape (B,)
        First year offset of each band, strictly increasing, the first one 0.
    band_rates : array_like of float, shape (..., B)
        Rate of each band [fraction per year]. Leading axes broadcast (e.g. sampled rates).
    n_years : int
        Number of year offsets ``T``.

    Returns
    -------
    ndarray, shape (..., T)
        ``r_t`` [fraction per year]: the rate of the band containing ``t``. ``r_0`` is returned
        for completeness; it is never applied because year 0 is not discounted.
    """
    starts = np.asarray(band_starts, dtype=np.int64)
    rates = np.asarray(band_rates, dtype=np.float64)
    band_index = np.searchsorted(starts, np.arange(n_years), side="right") - 1
    return np.take(rates, band_index, axis=-1)


def discount_factors(rates: ArrayLike) -> FloatArray:
    """Chained discount factors from annual rates.

    Parameters
    ----------
    rates : array_like, shape (..., T)
        ``r_t`` [fraction per year] for each year offset; ``r_0`` is ignored.

    Returns
    -------
    ndarray, shape (..., T)
        ``D_t`` [dimensionless]: ``D_0 = 1``, ``D_t = D_{t-1} / (1 + r_t)``.

    Notes
    -----
    Built by repeated division (``np.divide.accumulate``), the exact recurrence of the Green
    Book, which keeps the last bits of the factors identical across CPUs (see
    ``docs/excel.md``: ``**`` and BLAS products are not bit-stable).

    References
    ----------
    HM Treasury, The Green Book (2022), Annex A6, Table 8.
    """
    r = np.asarray(rates, dtype=np.float64)
    growth = 1.0 + r
    growth[..., 0] = 1.0
    return np.divide.accumulate(growth, axis=-1, dtype=np.float64) if r.shape[-1] else growth


def present_value(flows: ArrayLike, factors: ArrayLike) -> FloatArray:
    """Present value of annual flows.

    Parameters
    ----------
    flows : array_like, shape (..., T)
        Undiscounted real flows [GBP per year, price base year].
    factors : array_like, shape (..., T)
        Discount factors ``D_t`` [dimensionless], broadcast against ``flows``.

    Returns
    -------
    ndarray, shape (...)
        ``sum_t flows_t * D_t`` [GBP, present value at year offset 0].
    """
    f = np.asarray(flows, dtype=np.float64)
    d = np.asarray(factors, dtype=np.float64)
    result: FloatArray = np.sum(f * d, axis=-1)
    return result


def annuity_factor(factors: ArrayLike) -> FloatArray:
    """Sum of the discount factors over the appraisal years [years]: the PV of 1 GBP a year."""
    result: FloatArray = np.sum(np.asarray(factors, dtype=np.float64), axis=-1)
    return result
