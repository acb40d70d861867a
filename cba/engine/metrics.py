"""Headline measures: NPSV, BCR, returns on investment, payback, IRR, equivalent annual value.

All functions broadcast over leading axes. A ratio whose denominator is not positive is NaN
(undefined), never 0 or infinity (GB §5.54-5.56); the results layer says why.
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def net_present_social_value(pv_benefits: ArrayLike, pv_costs: ArrayLike) -> FloatArray:
    """NPSV [GBP, PV] = PVB - PVC (GB §5.54)."""
    return np.asarray(pv_benefits, dtype=np.float64) - np.asarray(pv_costs, dtype=np.float64)


def ratio_over_positive(numerator: ArrayLike, denominator: ArrayLike) -> FloatArray:
    """``numerator / denominator`` where the denominator is > 0; NaN (undefined) elsewhere.

    Used for the benefit-cost ratio and every return on investment: a ratio over a zero or
    negative cost base has no meaning as value for money.
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    positive = den > 0.0
    safe = np.where(positive, den, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        ratio = num / safe
    # A ratio that overflows (a cost base of a few pence against millions) is not a number a
    # reader can use: undefined, never infinity.
    return np.where(positive & np.isfinite(ratio), ratio, np.nan)


def benefit_cost_ratio(pv_benefits: ArrayLike, pv_costs: ArrayLike) -> FloatArray:
    """BCR [ratio] = PVB / PVC where PVC > 0, else NaN (GB §5.54-5.56).

    References
    ----------
    HM Treasury, The Green Book (2022), §5.54-5.56.
    """
    return ratio_over_positive(pv_benefits, pv_costs)


def payback_year_offset(discounted_net_flows: ArrayLike) -> FloatArray:
    """First year offset in which cumulative discounted net benefit is non-negative.

    Parameters
    ----------
    discounted_net_flows : array_like, shape (..., T)
        Discounted net benefit in each year [GBP, PV].

    Returns
    -------
    ndarray, shape (...)
        The year offset [years since the first appraisal year] as float; NaN where the
        cumulative value never reaches zero within the appraisal period, or where every
        flow is zero (nothing to pay back).

    References
    ----------
    HM Treasury/New Economy (2014), LP2014 CBA guidance: payback period.
    """
    flows = np.asarray(discounted_net_flows, dtype=np.float64)
    reached = np.cumsum(flows, axis=-1) >= 0.0
    first = np.argmax(reached, axis=-1).astype(np.float64)
    defined = reached.any(axis=-1) & (flows != 0.0).any(axis=-1)
    return np.where(defined, first, np.nan)


def sign_changes(flows: ArrayLike) -> NDArray[np.int64]:
    """Number of sign changes along the last axis, zeros skipped (Descartes' rule of signs)."""
    f = np.asarray(flows, dtype=np.float64)
    signs = np.sign(f)
    # Carry the last non-zero sign forward so that zeros neither break nor add changes.
    index = np.where(signs != 0, np.arange(f.shape[-1]), 0)
    np.maximum.accumulate(index, axis=-1, out=index)
    carried = np.take_along_axis(signs, index, axis=-1)
    changes = (carried[..., 1:] * carried[..., :-1]) < 0
    result: NDArray[np.int64] = np.sum(changes, axis=-1).astype(np.int64)
    return result


def internal_rate_of_return(net_flows: ArrayLike) -> FloatArray:
    """IRR [fraction per year] of undiscounted net flows, NaN where undefined.

    Parameters
    ----------
    net_flows : array_like, shape (..., T)
        Undiscounted net benefit per year [GBP per year].

    Returns
    -------
    ndarray, shape (...)
        The rate at which the flows' NPV is zero (numpy-financial ``irr``, which discounts
        year offset 0 by nothing, as the Green Book does). NaN unless the flows change sign
        exactly once (otherwise there may be no IRR, or several), or where no root was found.

    Notes
    -----
    The IRR is a single constant rate and so cannot be compared directly with a declining
    schedule; it is reported for information only (GB Annex A6).
    """
    flows = np.asarray(net_flows, dtype=np.float64)
    out = np.full(flows.shape[:-1], np.nan)
    defined = sign_changes(flows) == 1
    for index in np.ndindex(out.shape):
        if defined[index]:
            out[index] = _irr_or_nan(flows[index])
    return out


def _irr_or_nan(flows: FloatArray) -> float:
    # numpy-financial solves for the roots of the NPV polynomial; degenerate flows (tiny or
    # huge magnitudes) make its eigenvalue solver fail or overflow: then there is no usable IRR.
    with np.errstate(all="ignore"):
        try:
            rate = float(npf.irr(flows))
        except (np.linalg.LinAlgError, ValueError):
            return float("nan")
    return rate if np.isfinite(rate) else float("nan")


def equivalent_annual_value(present_value: ArrayLike, annuity_factor: ArrayLike) -> FloatArray:
    """Equivalent annual value [GBP per year] = PV / annuity factor over the same years."""
    return ratio_over_positive(present_value, annuity_factor)


def band_index(values: ArrayLike, lower_bounds: ArrayLike) -> NDArray[np.int64]:
    """Index of the band ``lower[i] <= value < lower[i+1]`` for each value; -1 for NaN.

    ``lower_bounds`` are the ascending inclusive lower bounds of bands that tile the line.
    """
    v = np.asarray(values, dtype=np.float64)
    idx = np.searchsorted(np.asarray(lower_bounds, dtype=np.float64), v, side="right") - 1
    return np.where(np.isnan(v), -1, idx).astype(np.int64)
