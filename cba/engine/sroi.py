"""The SROI ratio: present value of the benefits over the value of the inputs, on the SROI
guide's conventions (Cabinet Office / SROI Network, *A guide to Social Return on Investment*,
2012, stage 5; docs/sroi.md).

Pure functions on arrays ``(..., T)``, time last, float64. Money is real GBP at the price base
year; flows are undiscounted amounts per year [GBP per year]; rates are fractions per year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cba.engine.discounting import present_value
from cba.engine.metrics import ratio_over_positive

FloatArray = NDArray[np.float64]


def end_of_year_factors(factors: ArrayLike, next_rates: ArrayLike) -> FloatArray:
    """Discount factors for values counted at the end of each year.

    Parameters
    ----------
    factors : array_like, shape (..., T)
        Green Book factors ``D_t`` [dimensionless], ``D_0 = 1`` (values at the start of year t).
    next_rates : array_like, shape (..., T)
        ``r_(t+1)`` [fraction per year]: the rate of the band the *next* year offset falls in
        (for the last year, the year after the appraisal period).

    Returns
    -------
    ndarray, shape (..., T)
        ``E_t = D_t / (1 + r_(t+1)) = D_(t+1)`` [dimensionless]: the end of year t is the start
        of year t + 1, discounted on the Green Book's chain (``D_t = D_(t-1) / (1 + r_t)``).

    Notes
    -----
    At a constant rate ``r``, ``E_t = (1 + r)^-(t+1)``: the SROI guide's worked example, which
    divides year 1's value by ``(1 + r)`` and year n's by ``(1 + r)^n``. Across a band edge the
    step from year t to t + 1 uses the rate of year t + 1, as the Green Book's chain does.
    """
    d = np.asarray(factors, dtype=np.float64)
    r = np.asarray(next_rates, dtype=np.float64)
    result: FloatArray = d / (1.0 + r)
    return result


def benefit_factors(
    factors: ArrayLike, next_rates: ArrayLike, discount_first_year: bool
) -> FloatArray:
    """The factors the SROI view discounts benefits with [dimensionless], shape (..., T):
    ``E_t`` (end of year) when ``discount_first_year``, else the Green Book ``D_t``."""
    if discount_first_year:
        return end_of_year_factors(factors, next_rates)
    return np.asarray(factors, dtype=np.float64)


@dataclass(frozen=True)
class SroiFigures:
    """The SROI view of one basis (an option gross, or against the counterfactual); arrays of
    the leading shape of the flows. Money [GBP, present value at year offset 0]."""

    pv_benefits: FloatArray
    """Present value of the benefits counted in PVB (impact after the benefit chain)."""
    pv_public_costs: FloatArray
    pv_non_public_costs: FloatArray
    pv_community_inputs: FloatArray
    value_of_inputs: FloatArray
    """Public costs + non-public costs + valued community inputs."""
    net_present_value: FloatArray
    """``pv_benefits - value_of_inputs``."""
    ratio: FloatArray
    """SROI ratio [ratio] = ``pv_benefits / value_of_inputs``; NaN where the inputs are not
    positive."""
    net_ratio: FloatArray
    """Net SROI ratio [ratio] = ``net_present_value / value_of_inputs``; NaN as ``ratio``."""


def sroi_figures(
    *,
    benefits_standard: ArrayLike,
    benefits_health: ArrayLike,
    public_costs: ArrayLike,
    non_public_costs: ArrayLike,
    community_inputs: ArrayLike,
    standard_factors: ArrayLike,
    standard_next_rates: ArrayLike,
    health_factors: ArrayLike,
    health_next_rates: ArrayLike,
    discount_first_year: bool,
) -> SroiFigures:
    """SROI ratio and net SROI ratio from yearly flows.

    Parameters
    ----------
    benefits_standard, benefits_health : array_like, shape (..., T)
        Benefits counted in PVB [GBP per year] on the standard and on the health schedule.
    public_costs, non_public_costs, community_inputs : array_like, shape (..., T)
        The inputs [GBP per year]: costs to public and to other agencies (after optimism
        bias) and valued volunteer time and in-kind help.
    standard_factors, health_factors : array_like, shape (..., T)
        Green Book factors ``D_t`` of the two schedules [dimensionless].
    standard_next_rates, health_next_rates : array_like, shape (..., T)
        Their rates of the following year ``r_(t+1)`` [fraction per year].
    discount_first_year : bool
        Benefits at the end of each year (``E_t = D_t / (1 + r_(t+1))``), or at its start
        (``D_t``).

    Returns
    -------
    SroiFigures

    Notes
    -----
    ``PV = sum_t B_t F_t`` over each schedule, ``F`` from ``benefit_factors``; inputs are
    valued at the start of each year, ``V = sum_t (C_t + K_t) D_t`` on the standard schedule
    (an input paid up front is not discounted). ``SROI = PV / V``; ``net SROI = (PV - V) / V``
    = ``SROI - 1``; both undefined unless ``V > 0``.

    References
    ----------
    Cabinet Office and The SROI Network (2012), A guide to Social Return on Investment, stage 5.
    """
    pv_benefits = present_value(
        benefits_standard,
        benefit_factors(standard_factors, standard_next_rates, discount_first_year),
    ) + present_value(
        benefits_health, benefit_factors(health_factors, health_next_rates, discount_first_year)
    )
    public = present_value(public_costs, standard_factors)
    non_public = present_value(non_public_costs, standard_factors)
    community = present_value(community_inputs, standard_factors)
    inputs = public + non_public + community
    net = pv_benefits - inputs
    return SroiFigures(
        pv_benefits=pv_benefits,
        pv_public_costs=public,
        pv_non_public_costs=non_public,
        pv_community_inputs=community,
        value_of_inputs=inputs,
        net_present_value=net,
        ratio=ratio_over_positive(pv_benefits, inputs),
        net_ratio=ratio_over_positive(net, inputs),
    )
