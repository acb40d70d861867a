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
    """Year offset from which cumulative discounted net benefit stays non-negative.

    Parameters
    ----------
    discounted_net_flows : array_like, shape (..., T)
        Discounted net benefit in each year [GBP, PV].

    Returns
    -------
    ndarray, shape (...)
        The payback year offset [years since the first appraisal year] as float:

        - if the cumulative discounted net benefit is negative in some year, the year after
          the **last** year in which it is negative (so a later dip, such as a renewal cost,
          moves payback after it); NaN if it is still negative in the final year;
        - if it is never negative, the first year with a non-zero flow (the scheme pays its
          way from its first flow);
        - NaN where every flow is zero (nothing to pay back).

        A cumulative value within ``1e-12`` of the sum of the absolute flows counts as zero,
        so rounding in the last bits cannot move the payback year.

    Notes
    -----
    Years with no flow before a scheme starts are not "paid back": costs ``[0, 100, 0, 0, 0]``
    and benefits ``[0, 0, 60, 60, 60]`` at a zero rate give cumulative net
    ``0, -100, -40, 20, 80`` and payback at offset 3.

    References
    ----------
    HM Treasury/New Economy (2014), LP2014 CBA guidance: payback period (the point at which
    cumulative discounted net benefit turns non-negative); convention for later dips: cba.
    """
    flows = np.asarray(discounted_net_flows, dtype=np.float64)
    n_years = flows.shape[-1]
    tolerance = 1e-12 * np.sum(np.abs(flows), axis=-1, keepdims=True)
    negative = np.cumsum(flows, axis=-1) < -tolerance
    # the last negative year: the first true counted from the end (no (..., T) index array)
    last_negative = np.where(
        negative.any(axis=-1), n_years - 1 - np.argmax(negative[..., ::-1], axis=-1), -1
    )
    nonzero = flows != 0.0
    first_flow = np.argmax(nonzero, axis=-1)
    payback = np.where(last_negative >= 0, last_negative + 1, first_flow)
    defined = nonzero.any(axis=-1) & (payback < n_years)
    return np.where(defined, payback.astype(np.float64), np.nan)


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


def band_index(
    values: ArrayLike, lower_bounds: ArrayLike, lower_inclusive: ArrayLike | None = None
) -> NDArray[np.int64]:
    """Index of the band each value falls in; -1 for NaN.

    Parameters
    ----------
    values : array_like, shape (...)
        The values to classify (e.g. BCRs [ratio]).
    lower_bounds : array_like, shape (B,)
        Ascending lower bounds of bands that tile the line (the first is ``-inf``).
    lower_inclusive : array_like of bool, shape (B,), optional
        Whether a value equal to band i's lower bound is in band i (True, the default) or in
        band i - 1 (False).
    """
    v = np.asarray(values, dtype=np.float64)
    lower = np.asarray(lower_bounds, dtype=np.float64)
    inclusive = (
        np.ones(lower.shape, dtype=bool)
        if lower_inclusive is None
        else np.asarray(lower_inclusive, dtype=bool)
    )
    idx = np.searchsorted(lower, v, side="right") - 1
    safe = np.clip(idx, 0, lower.size - 1)
    on_exclusive_bound = (v == lower[safe]) & ~inclusive[safe] & (idx > 0)
    idx = np.where(on_exclusive_bound, idx - 1, idx)
    return np.where(np.isnan(v), -1, idx).astype(np.int64)
