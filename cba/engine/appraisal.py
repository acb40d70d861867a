"""Aggregate line flows into yearly totals, and totals into the headline measures.

Every measure is a function of yearly totals, so the incremental results of an option against
the counterfactual are the same functions applied to the difference of the two options' totals.

Shapes: ``(..., L, T)`` for L lines over T year offsets, ``(L, A)`` for line-to-agency shares;
leading axes broadcast (scale points, Monte Carlo draws). All money is real GBP at the price
base year; ``d_`` fields are discounted (present value per year).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from cba.engine.discounting import annuity_factor
from cba.engine.metrics import (
    band_index,
    equivalent_annual_value,
    internal_rate_of_return,
    net_present_social_value,
    payback_year_offset,
    ratio_over_positive,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

FISCAL, ECONOMIC, SOCIAL = 0, 1, 2
"""Value-type codes of benefit components."""


def _to_agencies(line_values: FloatArray, shares: FloatArray) -> FloatArray:
    """Share line values ``(..., L)`` out to agencies ``(..., A)`` with shares ``(L, A)``.

    Elementwise products and sums, not a matrix product: BLAS kernels differ in their last
    bits between CPUs (docs/excel.md), and auditors must get identical numbers.
    """
    result: FloatArray = np.sum(line_values[..., :, np.newaxis] * shares, axis=-2)
    return result


def _select_lines(values: FloatArray, mask: BoolArray) -> FloatArray:
    """Sum line values ``(..., L) -> (...)`` over the lines where ``mask`` (L,) is true."""
    result: FloatArray = np.sum(values[..., np.flatnonzero(mask)], axis=-1)
    return result


def _weighted(flows: FloatArray, weights: FloatArray) -> FloatArray:
    """Sum over lines ``(..., L, T) -> (..., T)`` with a weight (L,) per line."""
    result: FloatArray = np.sum(flows * weights[:, np.newaxis], axis=-2)
    return result


def _select(flows: FloatArray, mask: BoolArray) -> FloatArray:
    """Sum over lines ``(..., L, T) -> (..., T)`` of the lines where ``mask`` (L,) is true.

    Takes only the selected lines (not a masked copy of all of them): a scale sweep sums large
    ``(S, L, T)`` arrays several times.
    """
    chosen = flows[..., np.flatnonzero(mask), :]
    result: FloatArray = np.sum(chosen, axis=-2)
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
    tax_burden: FloatArray
    """Marginal excess tax burden: uplift x (public costs - cashable fiscal savings)."""
    d_public_costs: FloatArray
    d_non_public_costs: FloatArray
    d_community_inputs: FloatArray
    d_fiscal_cashable: FloatArray
    d_fiscal_non_cashable: FloatArray
    d_fiscal_transfers: FloatArray
    d_fiscal_in_pvb: FloatArray
    d_economic: FloatArray
    d_social: FloatArray
    d_tax_burden: FloatArray
    pv: dict[str, FloatArray]
    """Present values [GBP PV] of public_costs, non_public_costs, community_inputs,
    fiscal_cashable, fiscal_non_cashable, fiscal_transfers, fiscal_in_pvb, economic, social,
    tax_burden and benefits_health (the part of PVB discounted on the health schedule), each (...,):
    summed from each line's PV, in the same order whatever the leading axes (so a scale sweep
    at ``n_0`` reproduces a single run exactly)."""
    pv_paid_by_agency: FloatArray
    """(..., A) PV of the costs each agency pays [GBP PV]."""
    pv_contributed_by_agency: FloatArray
    """(..., A) PV of the community inputs each agency (group) gives [GBP PV]."""
    pv_fiscal_by_agency: FloatArray
    """(..., A) PV of fiscal benefit to each agency, transfers included [GBP PV]."""
    pv_fiscal_cashable_by_agency: FloatArray
    pv_other_by_agency: FloatArray
    """(..., A) PV of economic and social benefit to named beneficiaries [GBP PV]."""

    def __add__(self, other: YearlyTotals) -> YearlyTotals:
        values: dict[str, Any] = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self)
            if f.name != "pv"
        }
        values["pv"] = {k: v + other.pv[k] for k, v in self.pv.items()}
        return YearlyTotals(**values)

    def __sub__(self, other: YearlyTotals) -> YearlyTotals:
        values: dict[str, Any] = {
            f.name: getattr(self, f.name) - getattr(other, f.name)
            for f in fields(self)
            if f.name != "pv"
        }
        values["pv"] = {k: v - other.pv[k] for k, v in self.pv.items()}
        return YearlyTotals(**values)

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
        """Net social benefit per year [GBP per year]: benefits less all costs and inputs (and
        the marginal excess tax burden, where one is applied)."""
        return (
            self.social_benefits
            - self.public_costs
            - self.non_public_costs
            - (self.community_inputs)
            - self.tax_burden
        )

    @property
    def d_net_social(self) -> FloatArray:
        """Discounted net social benefit per year [GBP PV per year]."""
        return (
            self.d_social_benefits
            - self.d_public_costs
            - self.d_non_public_costs
            - (self.d_community_inputs)
            - self.d_tax_burden
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
    value_health: BoolArray | None = None,
    tax_burden_uplift: float | FloatArray = 0.0,
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
    value_health : (C,), optional
        True for components discounted on the health schedule (default: none are).
    tax_burden_uplift : float or (...), optional
        Marginal excess tax burden per pound of net public cost [fraction] (default 0: none).
        Each year's burden is ``uplift x (public costs - cashable fiscal savings)``, each flow
        discounted on its own schedule (docs/methods.md §19).
    """
    public_share = np.sum(np.where(public_agencies, cost_shares, 0.0), axis=-1)  # (Lc,)
    d_cost_lines = cost_flows * cost_factors
    d_inputs = input_flows * input_factors
    d_values = value_flows * value_factors
    fiscal = value_types == FISCAL
    fiscal_cash = fiscal & value_cashable
    fiscal_non_cash = fiscal & ~value_cashable
    transfers = fiscal & value_transfer
    counted = fiscal & ~value_transfer
    economic = value_types == ECONOMIC
    social = value_types == SOCIAL
    health = (
        np.zeros(value_types.shape, dtype=bool)
        if value_health is None
        else np.asarray(value_health, dtype=bool)
    )
    # Present values by agency only need each line's PV: sum over years first, then share
    # the (..., L) line PVs out to agencies, never a (..., L, A, T) array.
    pv_costs = np.sum(d_cost_lines, axis=-1)
    pv_inputs = np.sum(d_inputs, axis=-1)
    pv_values = np.sum(d_values, axis=-1)
    fiscal_to = np.where(fiscal[:, np.newaxis], value_agencies, 0.0)
    pv = {
        "public_costs": np.sum(pv_costs * public_share, axis=-1),
        "non_public_costs": np.sum(pv_costs * (1.0 - public_share), axis=-1),
        "community_inputs": np.sum(pv_inputs, axis=-1),
        "fiscal_cashable": _select_lines(pv_values, fiscal_cash),
        "fiscal_non_cashable": _select_lines(pv_values, fiscal_non_cash),
        "fiscal_transfers": _select_lines(pv_values, transfers),
        "fiscal_in_pvb": _select_lines(pv_values, counted),
        "economic": _select_lines(pv_values, economic),
        "social": _select_lines(pv_values, social),
        "benefits_health": _select_lines(pv_values, health & ~transfers),
    }
    uplift = np.asarray(tax_burden_uplift, dtype=np.float64)
    public_costs = _weighted(cost_flows, public_share)
    d_public_costs = _weighted(d_cost_lines, public_share)
    fiscal_cashable = _select(value_flows, fiscal_cash)
    d_fiscal_cashable = _select(d_values, fiscal_cash)
    pv["tax_burden"] = uplift * (pv["public_costs"] - pv["fiscal_cashable"])
    return YearlyTotals(
        pv=pv,
        public_costs=public_costs,
        non_public_costs=_weighted(cost_flows, 1.0 - public_share),
        community_inputs=np.sum(input_flows, axis=-2),
        fiscal_cashable=fiscal_cashable,
        fiscal_non_cashable=_select(value_flows, fiscal_non_cash),
        fiscal_transfers=_select(value_flows, transfers),
        fiscal_in_pvb=_select(value_flows, counted),
        economic=_select(value_flows, economic),
        social=_select(value_flows, social),
        tax_burden=uplift[..., np.newaxis] * (public_costs - fiscal_cashable),
        d_public_costs=d_public_costs,
        d_non_public_costs=_weighted(d_cost_lines, 1.0 - public_share),
        d_community_inputs=np.sum(d_inputs, axis=-2),
        d_fiscal_cashable=d_fiscal_cashable,
        d_fiscal_non_cashable=_select(d_values, fiscal_non_cash),
        d_fiscal_transfers=_select(d_values, transfers),
        d_fiscal_in_pvb=_select(d_values, counted),
        d_economic=_select(d_values, economic),
        d_social=_select(d_values, social),
        d_tax_burden=uplift[..., np.newaxis] * (d_public_costs - d_fiscal_cashable),
        pv_paid_by_agency=_to_agencies(pv_costs, cost_shares),
        pv_contributed_by_agency=_to_agencies(pv_inputs, input_contributors),
        pv_fiscal_by_agency=_to_agencies(pv_values, fiscal_to),
        pv_fiscal_cashable_by_agency=_to_agencies(
            pv_values, np.where(fiscal_cash[:, np.newaxis], value_agencies, 0.0)
        ),
        pv_other_by_agency=_to_agencies(
            pv_values, np.where(~fiscal[:, np.newaxis], value_agencies, 0.0)
        ),
    )


def equivalent_annual_net_benefit(
    npsv: FloatArray,
    pv_benefits_health: FloatArray,
    standard_factors: FloatArray,
    health_factors: FloatArray | None = None,
) -> FloatArray:
    """Equivalent annual net benefit [GBP per year], each part over its own annuity factor.

    Parameters
    ----------
    npsv : (...)
        Net present social value [GBP PV].
    pv_benefits_health : (...)
        The part of PVB discounted on the health schedule [GBP PV]; the rest of the NPSV is on
        the standard schedule.
    standard_factors, health_factors : (T,)
        Discount factors over the appraisal period; ``health_factors`` defaults to the
        standard ones.

    Notes
    -----
    ``EANB = (NPSV - PVB_health) / A_s + PVB_health / A_h`` with ``A = sum_{t=0}^{T-1} D_t``
    (an annuity-due factor: year 0 is included and undiscounted). Green Book practice for
    equivalent annual cost divides a PV by the annuity factor over the years of the stream;
    cba's streams run over the appraisal period. A flat stream of ``x`` a year on either
    schedule gives exactly ``x``.
    """
    health = standard_factors if health_factors is None else health_factors
    rest = npsv - pv_benefits_health
    return equivalent_annual_value(rest, annuity_factor(standard_factors)) + (
        equivalent_annual_value(pv_benefits_health, annuity_factor(health))
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
    pv_marginal_excess_tax_burden: FloatArray
    """PV of the marginal excess tax burden [GBP PV]; 0 where none is applied."""
    npsv: FloatArray
    """PVB - all costs - valued community inputs - METB [GBP PV]."""
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


class TotalsView(Protocol):
    """What ``measures`` reads of an option's totals: the present values, the agency splits and
    the net social flows by year. :class:`YearlyTotals` is one; the compiled model's separable
    evaluation (``cba.model.separable``) gives another that computes each part when read."""

    @property
    def pv(self) -> Mapping[str, FloatArray]: ...

    @property
    def pv_paid_by_agency(self) -> FloatArray: ...

    @property
    def pv_contributed_by_agency(self) -> FloatArray: ...

    @property
    def pv_fiscal_by_agency(self) -> FloatArray: ...

    @property
    def pv_fiscal_cashable_by_agency(self) -> FloatArray: ...

    @property
    def pv_other_by_agency(self) -> FloatArray: ...

    @property
    def net_social(self) -> FloatArray: ...

    @property
    def d_net_social(self) -> FloatArray: ...


MEASURE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Measures))
"""Every field of :class:`Measures`, in order."""

INTEGER_MEASURES = frozenset({"value_for_money_band"})
"""Measures held as integers (-1 where not computed or undefined)."""


def measures(
    totals: TotalsView,
    standard_factors: FloatArray,
    band_lower_bounds: FloatArray,
    with_irr: bool = True,
    *,
    health_factors: FloatArray | None = None,
    band_lower_inclusive: NDArray[np.bool_] | None = None,
    only: Collection[str] | None = None,
) -> Measures:
    """Every headline measure from yearly totals.

    Parameters
    ----------
    totals : YearlyTotals or TotalsView
        Of an option, or the difference of two options (incremental).
    standard_factors : (T,)
        Factors of the standard schedule over the appraisal period, for the equivalent annual
        net benefit.
    band_lower_bounds : (B,)
        Lower BCR bounds of the value-for-money bands, ascending.
    with_irr : bool
        Solve for the IRR (a root-finding per leading index); scale sweeps skip it.
    health_factors : (T,), optional
        Factors of the health schedule (default: the standard factors).
    band_lower_inclusive : (B,) bool, optional
        Whether each band's lower bound is inclusive (default: all are).
    only : collection of str, optional
        Compute only these measures (names of :class:`Measures` fields), and what they are
        built from; every other field is NaN (-1 for the band) of the leading shape, not
        computed. A computed measure has the same value, bit for bit, as with ``only=None``.

    Notes
    -----
    Conventions (GB §5.54-5.56; LP2014; DfT TAG): costs to non-public agencies are netted
    from benefits in the BCR numerator, so the denominator is the public cost base; the
    second BCR adds valued community inputs to that base. A marginal excess tax burden, where
    one is applied, is a cost no agency pays: netted in the numerators like non-public costs.
    Returns on investment are over the public cost base. Transfers count in fiscal returns but
    not in PVB.
    """
    pv = totals.pv
    found: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in found:
            found[name] = formulas[name]()
        return found[name]

    def pvb() -> FloatArray:
        result: FloatArray = pv["fiscal_in_pvb"] + pv["economic"] + pv["social"]
        return result

    def npsv() -> FloatArray:
        public, non_public = get("pv_public_costs"), get("pv_non_public_costs")
        return net_present_social_value(
            get("pv_benefits"),
            public + non_public + get("pv_community_inputs") + get("pv_marginal_excess_tax_burden"),
        )

    def numerator() -> FloatArray:
        """The BCRs' numerator: PVB less the costs that are not public budget costs."""
        result: FloatArray = (
            get("pv_benefits") - get("pv_non_public_costs") - get("pv_marginal_excess_tax_burden")
        )
        return result

    def irr() -> FloatArray:
        if with_irr:
            return internal_rate_of_return(totals.net_social)
        return np.full(np.shape(get("npsv")), np.nan)

    def net_by_agency() -> FloatArray:
        result: FloatArray = (
            get("pv_fiscal_by_agency")
            + get("pv_other_by_agency")
            - get("pv_paid_by_agency")
            - get("pv_contributed_by_agency")
        )
        return result

    formulas: dict[str, Callable[[], Any]] = {
        "pv_benefits": pvb,
        "pv_fiscal": lambda: pv["fiscal_cashable"] + pv["fiscal_non_cashable"],
        "pv_fiscal_cashable": lambda: pv["fiscal_cashable"],
        "pv_fiscal_non_cashable": lambda: pv["fiscal_non_cashable"],
        "pv_transfers": lambda: pv["fiscal_transfers"],
        "pv_economic": lambda: pv["economic"],
        "pv_social": lambda: pv["social"],
        "pv_public_costs": lambda: pv["public_costs"],
        "pv_non_public_costs": lambda: pv["non_public_costs"],
        "pv_community_inputs": lambda: pv["community_inputs"],
        "pv_marginal_excess_tax_burden": lambda: pv["tax_burden"],
        "npsv": npsv,
        "npsv_excluding_community_inputs": lambda: net_present_social_value(
            get("pv_benefits"),
            get("pv_public_costs")
            + get("pv_non_public_costs")
            + get("pv_marginal_excess_tax_burden"),
        ),
        "bcr_public": lambda: ratio_over_positive(numerator(), get("pv_public_costs")),
        "bcr_public_and_community": lambda: ratio_over_positive(
            numerator(), get("pv_public_costs") + get("pv_community_inputs")
        ),
        "fiscal_roi": lambda: ratio_over_positive(get("pv_fiscal"), get("pv_public_costs")),
        "economic_roi": lambda: ratio_over_positive(
            pv["fiscal_in_pvb"] + pv["economic"], get("pv_public_costs")
        ),
        "public_value_roi": lambda: ratio_over_positive(get("pv_benefits"), get("pv_public_costs")),
        "payback_year_offset": lambda: payback_year_offset(totals.d_net_social),
        "irr": irr,
        "equivalent_annual_net_benefit": lambda: equivalent_annual_net_benefit(
            get("npsv"), pv["benefits_health"], standard_factors, health_factors
        ),
        "value_for_money_band": lambda: band_index(
            get("bcr_public"), band_lower_bounds, band_lower_inclusive
        ),
        "pv_paid_by_agency": lambda: totals.pv_paid_by_agency,
        "pv_contributed_by_agency": lambda: totals.pv_contributed_by_agency,
        "pv_fiscal_by_agency": lambda: totals.pv_fiscal_by_agency,
        "pv_fiscal_cashable_by_agency": lambda: totals.pv_fiscal_cashable_by_agency,
        "pv_other_by_agency": lambda: totals.pv_other_by_agency,
        "net_by_agency": net_by_agency,
        "fiscal_roi_by_agency": lambda: ratio_over_positive(
            get("pv_fiscal_by_agency"), get("pv_paid_by_agency")
        ),
        "roi_by_agency": lambda: ratio_over_positive(
            get("pv_fiscal_by_agency") + get("pv_other_by_agency"), get("pv_paid_by_agency")
        ),
    }
    wanted = MEASURE_NAMES if only is None else tuple(only)
    unknown = sorted(set(wanted) - set(MEASURE_NAMES))
    if unknown:
        raise ValueError(f"not a measure: {', '.join(unknown)}")
    for name in wanted:
        get(name)
    if len(found) < len(MEASURE_NAMES):
        shape = np.shape(pv["public_costs"])
        missing = np.broadcast_to(np.float64(np.nan), shape)
        band = np.broadcast_to(np.int64(-1), shape)
        for name in MEASURE_NAMES:
            if name not in found:
                found[name] = band if name in INTEGER_MEASURES else missing
    return Measures(**{name: found[name] for name in MEASURE_NAMES})
