"""Aggregate line flows into yearly totals, and totals into the headline measures.

Every measure is a function of yearly totals, so the incremental results of an option against
the counterfactual are the same functions applied to the difference of the two options' totals.

Shapes: ``(..., L, T)`` for L lines over T year offsets, ``(L, A)`` for line-to-agency shares;
leading axes broadcast (scale points, Monte Carlo draws). All money is real GBP at the price
base year; ``d_`` fields are discounted (present value per year).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from cba.engine.discounting import annuity_factor
from cba.engine.metrics import (
    band_index,
    internal_rate_of_return,
    net_present_social_value,
    payback_year_offset,
    ratio_over_positive,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

FISCAL, ECONOMIC, SOCIAL = 0, 1, 2
"""Value-type codes of benefit components."""


def _by_agency(flows: FloatArray, shares: FloatArray) -> FloatArray:
    """Sum line flows ``(..., L, T)`` into agencies ``(..., A, T)`` with shares ``(L, A)``.

    Elementwise products and sums, not a matrix product: BLAS kernels differ in their last
    bits between CPUs (docs/excel.md), and auditors must get identical numbers.
    """
    result: FloatArray = np.sum(flows[..., :, np.newaxis, :] * shares[:, :, np.newaxis], axis=-3)
    return result


def _select(flows: FloatArray, mask: BoolArray) -> FloatArray:
    """Sum over lines ``(..., L, T) -> (..., T)`` of the lines where ``mask`` (L,) is true."""
    result: FloatArray = np.sum(np.where(mask[:, np.newaxis], flows, 0.0), axis=-2)
    return result


@dataclass(frozen=True)
class YearlyTotals:
    """Annual totals of one option [GBP per year]; plain and discounted (``d_``)."""

    public_costs: FloatArray
    non_public_costs: FloatArray
    community_inputs: FloatArray
    fiscal_cashable: FloatArray
    fiscal_non_cashable: FloatArray
    fiscal_transfers: FloatArray
    fiscal_in_pvb: FloatArray
    """Fiscal benefits that are not transfers, summed directly (not fiscal minus transfers:
    subtracting a large transfer would cancel the digits of a small saving)."""
    economic: FloatArray
    social: FloatArray
    d_public_costs: FloatArray
    d_non_public_costs: FloatArray
    d_community_inputs: FloatArray
    d_fiscal_cashable: FloatArray
    d_fiscal_non_cashable: FloatArray
    d_fiscal_transfers: FloatArray
    d_fiscal_in_pvb: FloatArray
    d_economic: FloatArray
    d_social: FloatArray
    d_paid_by_agency: FloatArray
    """(..., A, T) discounted costs each agency pays."""
    d_contributed_by_agency: FloatArray
    """(..., A, T) discounted community inputs each agency (group) gives."""
    d_fiscal_by_agency: FloatArray
    """(..., A, T) discounted fiscal benefit to each agency, transfers included."""
    d_fiscal_cashable_by_agency: FloatArray
    d_other_by_agency: FloatArray
    """(..., A, T) discounted economic and social benefit to named beneficiaries."""

    def __sub__(self, other: YearlyTotals) -> YearlyTotals:
        return YearlyTotals(
            **{f.name: getattr(self, f.name) - getattr(other, f.name) for f in fields(self)}
        )

    @property
    def social_benefits(self) -> FloatArray:
        """Benefits counted in PVB [GBP per year]: fiscal (not transfers), economic, social."""
        return self.fiscal_in_pvb + self.economic + self.social

    @property
    def d_social_benefits(self) -> FloatArray:
        """Discounted benefits counted in PVB [GBP PV per year]."""
        return self.d_fiscal_in_pvb + self.d_economic + self.d_social

    @property
    def net_social(self) -> FloatArray:
        """Net social benefit per year [GBP per year]: benefits less all costs and inputs."""
        return (
            self.social_benefits
            - self.public_costs
            - self.non_public_costs
            - (self.community_inputs)
        )

    @property
    def d_net_social(self) -> FloatArray:
        """Discounted net social benefit per year [GBP PV per year]."""
        return (
            self.d_social_benefits
            - self.d_public_costs
            - self.d_non_public_costs
            - (self.d_community_inputs)
        )


def yearly_totals(
    *,
    cost_flows: FloatArray,
    cost_factors: FloatArray,
    cost_shares: FloatArray,
    public_agencies: BoolArray,
    input_flows: FloatArray,
    input_factors: FloatArray,
    input_contributors: FloatArray,
    value_flows: FloatArray,
    value_factors: FloatArray,
    value_types: NDArray[np.int64],
    value_agencies: FloatArray,
    value_cashable: BoolArray,
    value_transfer: BoolArray,
) -> YearlyTotals:
    """Yearly totals of one option from its line flows.

    Parameters
    ----------
    cost_flows : (..., Lc, T)
        Cost lines after optimism bias [GBP per year].
    cost_factors : (Lc, T) or (..., Lc, T)
        Discount factor of each cost line's schedule [dimensionless].
    cost_shares : (Lc, A)
        Share of each cost line each agency pays [fraction]; rows sum to 1.
    public_agencies : (A,)
        True for agencies in the public sector.
    input_flows, input_factors : (..., Lk, T)
        Valued community inputs [GBP per year] and their discount factors.
    input_contributors : (Lk, A)
        One-hot: which agency (group) gives each input.
    value_flows, value_factors : (..., C, T)
        Benefit components (net outcomes x unit value) [GBP per year] and factors.
    value_types : (C,)
        FISCAL, ECONOMIC or SOCIAL.
    value_agencies : (C, A)
        One-hot: the agency a fiscal value accrues to, or the named beneficiary (or all 0).
    value_cashable, value_transfer : (C,)
        Cashable and transfer flags (fiscal values only).
    """
    n_agencies = public_agencies.shape[0]
    cost_by_agency = _by_agency(cost_flows, cost_shares)
    d_cost_lines = cost_flows * cost_factors
    d_cost_by_agency = _by_agency(d_cost_lines, cost_shares)
    d_inputs = input_flows * input_factors
    d_values = value_flows * value_factors
    fiscal = value_types == FISCAL
    fiscal_cash = fiscal & value_cashable
    fiscal_non_cash = fiscal & ~value_cashable
    transfers = fiscal & value_transfer
    other = ~fiscal
    zero_a = np.zeros((0, n_agencies))

    def public(x: FloatArray) -> FloatArray:
        return _select(x, public_agencies)

    def non_public(x: FloatArray) -> FloatArray:
        return _select(x, ~public_agencies)

    return YearlyTotals(
        public_costs=public(cost_by_agency),
        non_public_costs=non_public(cost_by_agency),
        community_inputs=np.sum(input_flows, axis=-2),
        fiscal_cashable=_select(value_flows, fiscal_cash),
        fiscal_non_cashable=_select(value_flows, fiscal_non_cash),
        fiscal_transfers=_select(value_flows, transfers),
        fiscal_in_pvb=_select(value_flows, fiscal & ~value_transfer),
        economic=_select(value_flows, value_types == ECONOMIC),
        social=_select(value_flows, value_types == SOCIAL),
        d_public_costs=public(d_cost_by_agency),
        d_non_public_costs=non_public(d_cost_by_agency),
        d_community_inputs=np.sum(d_inputs, axis=-2),
        d_fiscal_cashable=_select(d_values, fiscal_cash),
        d_fiscal_non_cashable=_select(d_values, fiscal_non_cash),
        d_fiscal_transfers=_select(d_values, transfers),
        d_fiscal_in_pvb=_select(d_values, fiscal & ~value_transfer),
        d_economic=_select(d_values, value_types == ECONOMIC),
        d_social=_select(d_values, value_types == SOCIAL),
        d_paid_by_agency=d_cost_by_agency,
        d_contributed_by_agency=_by_agency(d_inputs, input_contributors)
        if input_contributors.size
        else np.zeros((*d_inputs.shape[:-2], n_agencies, d_inputs.shape[-1])),
        d_fiscal_by_agency=_by_agency(
            d_values,
            np.where(fiscal[:, np.newaxis], value_agencies, 0.0) if value_agencies.size else zero_a,
        ),
        d_fiscal_cashable_by_agency=_by_agency(
            d_values,
            np.where(fiscal_cash[:, np.newaxis], value_agencies, 0.0)
            if value_agencies.size
            else zero_a,
        ),
        d_other_by_agency=_by_agency(
            d_values,
            np.where(other[:, np.newaxis], value_agencies, 0.0) if value_agencies.size else zero_a,
        ),
    )


@dataclass(frozen=True)
class Measures:
    """Headline measures of one basis (an option gross, or incremental against the
    counterfactual). Arrays of shape (...); NaN means undefined."""

    pv_benefits: FloatArray
    """PVB [GBP PV]: fiscal (less transfers) + economic + social."""
    pv_fiscal: FloatArray
    """PV of fiscal benefits, transfers included [GBP PV] (agency view)."""
    pv_fiscal_cashable: FloatArray
    pv_fiscal_non_cashable: FloatArray
    pv_transfers: FloatArray
    pv_economic: FloatArray
    pv_social: FloatArray
    pv_public_costs: FloatArray
    pv_non_public_costs: FloatArray
    pv_community_inputs: FloatArray
    npsv: FloatArray
    """PVB - all costs - valued community inputs [GBP PV]."""
    npsv_excluding_community_inputs: FloatArray
    bcr_public: FloatArray
    """(PVB - non-public costs) / public costs [ratio]."""
    bcr_public_and_community: FloatArray
    """(PVB - non-public costs) / (public costs + community inputs) [ratio]."""
    fiscal_roi: FloatArray
    economic_roi: FloatArray
    public_value_roi: FloatArray
    payback_year_offset: FloatArray
    irr: FloatArray
    equivalent_annual_net_benefit: FloatArray
    value_for_money_band: NDArray[np.int64]
    """Index into the band table of ``bcr_public``; -1 when the BCR is undefined."""
    pv_paid_by_agency: FloatArray
    """(..., A) PV of costs each agency pays."""
    pv_contributed_by_agency: FloatArray
    pv_fiscal_by_agency: FloatArray
    pv_fiscal_cashable_by_agency: FloatArray
    pv_other_by_agency: FloatArray
    net_by_agency: FloatArray
    """(..., A) benefits gained - costs paid - inputs given [GBP PV]."""
    fiscal_roi_by_agency: FloatArray
    """(..., A) fiscal benefit gained / costs paid [ratio]."""
    roi_by_agency: FloatArray
    """(..., A) all benefits gained / costs paid [ratio]."""


def measures(
    totals: YearlyTotals,
    standard_factors: FloatArray,
    band_lower_bounds: FloatArray,
    with_irr: bool = True,
) -> Measures:
    """Every headline measure from yearly totals.

    Parameters
    ----------
    totals : YearlyTotals
        Of an option, or the difference of two options (incremental).
    standard_factors : (T,)
        Factors of the standard schedule, for the equivalent annual net benefit.
    band_lower_bounds : (B,)
        Inclusive lower BCR bounds of the value-for-money bands, ascending.
    with_irr : bool
        Solve for the IRR (a root-finding per leading index); scale sweeps skip it.

    Notes
    -----
    Conventions (GB §5.54-5.56; LP2014; DfT TAG): costs to non-public agencies are netted
    from benefits in the BCR numerator, so the denominator is the public cost base; the
    second BCR adds valued community inputs to that base. Returns on investment are over the
    public cost base. Transfers count in fiscal returns but not in PVB.
    """
    pv = {
        f.name: np.sum(getattr(totals, f.name), axis=-1)
        for f in fields(totals)
        if f.name.startswith("d_") and not f.name.endswith("agency")
    }
    pvb = np.sum(totals.d_social_benefits, axis=-1)
    public = pv["d_public_costs"]
    non_public = pv["d_non_public_costs"]
    community = pv["d_community_inputs"]
    fiscal = pv["d_fiscal_cashable"] + pv["d_fiscal_non_cashable"]
    transfers = pv["d_fiscal_transfers"]
    npsv = net_present_social_value(pvb, public + non_public + community)
    bcr_public = ratio_over_positive(pvb - non_public, public)
    paid = np.sum(totals.d_paid_by_agency, axis=-1)
    contributed = np.sum(totals.d_contributed_by_agency, axis=-1)
    fiscal_a = np.sum(totals.d_fiscal_by_agency, axis=-1)
    other_a = np.sum(totals.d_other_by_agency, axis=-1)
    return Measures(
        pv_benefits=pvb,
        pv_fiscal=fiscal,
        pv_fiscal_cashable=pv["d_fiscal_cashable"],
        pv_fiscal_non_cashable=pv["d_fiscal_non_cashable"],
        pv_transfers=transfers,
        pv_economic=pv["d_economic"],
        pv_social=pv["d_social"],
        pv_public_costs=public,
        pv_non_public_costs=non_public,
        pv_community_inputs=community,
        npsv=npsv,
        npsv_excluding_community_inputs=net_present_social_value(pvb, public + non_public),
        bcr_public=bcr_public,
        bcr_public_and_community=ratio_over_positive(pvb - non_public, public + community),
        fiscal_roi=ratio_over_positive(fiscal, public),
        economic_roi=ratio_over_positive(pv["d_fiscal_in_pvb"] + pv["d_economic"], public),
        public_value_roi=ratio_over_positive(pvb, public),
        payback_year_offset=payback_year_offset(totals.d_net_social),
        irr=internal_rate_of_return(totals.net_social) if with_irr else np.full(npsv.shape, np.nan),
        equivalent_annual_net_benefit=npsv / annuity_factor(standard_factors),
        value_for_money_band=band_index(bcr_public, band_lower_bounds),
        pv_paid_by_agency=paid,
        pv_contributed_by_agency=contributed,
        pv_fiscal_by_agency=fiscal_a,
        pv_fiscal_cashable_by_agency=np.sum(totals.d_fiscal_cashable_by_agency, axis=-1),
        pv_other_by_agency=other_a,
        net_by_agency=fiscal_a + other_a - paid - contributed,
        fiscal_roi_by_agency=ratio_over_positive(fiscal_a, paid),
        roi_by_agency=ratio_over_positive(fiscal_a + other_a, paid),
    )
