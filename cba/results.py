"""Results: plain, typed, immutable containers of numbers, with their units.

Writers (terminal, JSON, and the Excel workbook) consume these; nothing here computes.
A figure that is undefined is ``None`` with a reason in ``undefined``, never 0 or infinity.
Money is real GBP at the scenario's price base year; ``pv_`` figures are present values at the
first appraisal year (year offset 0, not discounted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from cba.reference.records import ReferenceUse

if TYPE_CHECKING:
    import pandas as pd

    from cba.map_results import MapAppraisal

MEASURE_UNITS: dict[str, str] = {
    "pv_benefits": "GBP, present value",
    "pv_fiscal": "GBP, present value",
    "pv_fiscal_cashable": "GBP, present value",
    "pv_fiscal_non_cashable": "GBP, present value",
    "pv_transfers": "GBP, present value",
    "pv_economic": "GBP, present value",
    "pv_social": "GBP, present value",
    "pv_public_costs": "GBP, present value",
    "pv_non_public_costs": "GBP, present value",
    "pv_community_inputs": "GBP, present value",
    "pv_marginal_excess_tax_burden": "GBP, present value",
    "npsv": "GBP, present value",
    "npsv_excluding_community_inputs": "GBP, present value",
    "bcr_public": "ratio",
    "bcr_public_and_community": "ratio",
    "fiscal_roi": "ratio",
    "economic_roi": "ratio",
    "public_value_roi": "ratio",
    "payback_year": "calendar year",
    "irr": "fraction per year",
    "equivalent_annual_net_benefit": "GBP per year",
    "value_for_money": "DfT category",
}
"""Unit of each field of ``Measures`` (money: real GBP at the price base year)."""

MEASURE_LABELS: dict[str, str] = {
    "pv_benefits": "PV benefits (PVB)",
    "pv_fiscal": "PV fiscal benefits (incl. transfers)",
    "pv_fiscal_cashable": "PV fiscal benefits, cashable",
    "pv_fiscal_non_cashable": "PV fiscal benefits, non-cashable",
    "pv_transfers": "PV transfers (not in PVB)",
    "pv_economic": "PV economic benefits",
    "pv_social": "PV social benefits",
    "pv_public_costs": "PV public costs",
    "pv_non_public_costs": "PV non-public costs",
    "pv_community_inputs": "PV community inputs (valued)",
    "pv_marginal_excess_tax_burden": "PV marginal excess tax burden",
    "npsv": "NPSV (community inputs valued)",
    "npsv_excluding_community_inputs": "NPSV excluding community inputs",
    "bcr_public": "BCR over public costs",
    "bcr_public_and_community": "BCR over public costs + community inputs",
    "fiscal_roi": "Fiscal ROI",
    "economic_roi": "Economic ROI",
    "public_value_roi": "Public value ROI",
    "payback_year": "Payback year",
    "irr": "IRR",
    "equivalent_annual_net_benefit": "Equivalent annual net benefit",
    "value_for_money": "DfT value-for-money category",
}


@dataclass(frozen=True)
class Measures:
    """Headline figures of one basis: an option gross, or incremental to the counterfactual."""

    pv_benefits: float
    pv_fiscal: float
    pv_fiscal_cashable: float
    pv_fiscal_non_cashable: float
    pv_transfers: float
    pv_economic: float
    pv_social: float
    pv_public_costs: float
    pv_non_public_costs: float
    pv_community_inputs: float
    pv_marginal_excess_tax_burden: float
    """Cost of raising the public money beyond the money itself [GBP PV]: 0 unless the
    scenario applies a marginal excess tax burden to the option (docs/methods.md §19)."""
    npsv: float
    npsv_excluding_community_inputs: float
    bcr_public: float | None
    bcr_public_and_community: float | None
    fiscal_roi: float | None
    economic_roi: float | None
    public_value_roi: float | None
    payback_year: int | None
    irr: float | None
    equivalent_annual_net_benefit: float
    value_for_money: str | None
    undefined: dict[str, str] = field(default_factory=dict)
    """Figure name -> why it is undefined."""

    def as_dict(self) -> dict[str, Any]:
        """Figures by name (undefined ones as None)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "undefined"}


@dataclass(frozen=True)
class AgencyPosition:
    """Who pays and who benefits: one agency's present values [GBP PV] and returns [ratio]."""

    agency_id: str
    name: str
    sector: str
    pv_paid: float
    pv_contributed: float
    pv_fiscal_gain: float
    pv_fiscal_cashable_gain: float
    pv_other_gain: float
    net_position: float
    fiscal_roi: float | None
    roi: float | None
    cashable_share: float | None


@dataclass(frozen=True)
class CostLineResult:
    """One cost line, traced to its assumptions."""

    line_id: str
    name: str
    category: str
    paid_by: dict[str, float]
    optimism_bias: float
    """Uplift applied [fraction of cost]."""
    optimism_bias_basis: str
    rebase_factor: float
    """Price rebasing factor to the price base year [dimensionless]."""
    schedule: str
    flows_before_optimism_bias: tuple[float, ...]
    """[GBP per year], undiscounted, at the price base year."""
    flows: tuple[float, ...]
    """After optimism bias [GBP per year], undiscounted."""
    pv: float
    source: str
    income_group: str | None = None
    """Income group that pays (``distributional_weights``); None: weight 1."""


@dataclass(frozen=True)
class CommunityInputResult:
    """One community input (co-production), valued."""

    line_id: str
    name: str
    kind: str
    contributed_by: str
    hours_per_year: float | None
    value_per_hour: float | None
    valuation_basis: str | None
    rebase_factor: float
    schedule: str
    flows: tuple[float, ...]
    """Valued input [GBP per year], undiscounted."""
    pv: float
    source: str


@dataclass(frozen=True)
class ValueComponentResult:
    """One unit value of a benefit line (fiscal/economic/social)."""

    value_type: str
    amount_per_outcome: float
    """[GBP per outcome], at the price base year (after rebasing); for a value by year, the
    value in the line's first year with outcomes."""
    agency: str | None
    cashable: bool
    transfer: bool
    flows: tuple[float, ...]
    """[GBP per year], undiscounted."""
    pv: float
    source: str
    amounts_by_year: tuple[float, ...] | None = None
    """For a unit value given by year (``amount_series``): the value per outcome in each year
    [GBP per outcome, price base year], 0 in years it does not give; None for one amount.
    ``amount_per_outcome`` is then the value in the line's first year with outcomes (with no
    outcomes in any year, in the first year the series gives a value)."""
    income_group: str | None = None
    """Income group that gains the value: its own ``income_group`` or its line's; None: weight
    1 (``distributional_weights``)."""


@dataclass(frozen=True)
class ChainStep:
    """One step of the net-value chain of a benefit line."""

    step: str
    factor: float
    """What this step keeps of the previous one [fraction]; 1 for the gross step."""
    outcomes_first_year: float
    """Outcomes in the line's first year after this step [outcomes per year] (for
    ``outcomes_series``, its first year with outcomes)."""
    outcomes_total: float
    """Outcomes over the appraisal period after this step [outcomes], undiscounted."""
    pv: float
    """PV of the line's value after this step [GBP PV] (transfers excluded)."""


@dataclass(frozen=True)
class BenefitLineResult:
    """One benefit line: its chain from gross to net, and its valued components."""

    line_id: str
    name: str
    health: bool
    schedule: str
    optimism_bias: float
    optimism_bias_basis: str
    rebase_factor: float
    chain: tuple[ChainStep, ...]
    net_outcomes: tuple[float, ...]
    """Net outcomes per year [outcomes per year]."""
    components: tuple[ValueComponentResult, ...]
    pv: float
    """PV counted in PVB [GBP PV] (transfers excluded)."""
    source: str
    income_group: str | None = None
    """Income group that gains (``distributional_weights``); None: weight 1."""


@dataclass(frozen=True)
class YearlyFlows:
    """Annual totals of one option [GBP per year], undiscounted unless named ``discounted``."""

    public_costs: tuple[float, ...]
    non_public_costs: tuple[float, ...]
    community_inputs: tuple[float, ...]
    marginal_excess_tax_burden: tuple[float, ...]
    """uplift x (public costs - cashable fiscal savings); all 0 without one."""
    discounted_marginal_excess_tax_burden: tuple[float, ...]
    """The same, each flow discounted on its own schedule [GBP PV per year]."""
    benefits: tuple[float, ...]
    """Counted in PVB (transfers excluded)."""
    discounted_benefits: tuple[float, ...]
    """Benefits counted in PVB, discounted [GBP PV per year]."""
    net: tuple[float, ...]
    discounted_net: tuple[float, ...]
    cumulative_discounted_net: tuple[float, ...]


@dataclass(frozen=True)
class TaxBurdenUsed:
    """The marginal excess tax burden a scenario applies (docs/methods.md §19)."""

    uplift: float
    """Excess burden per pound of net public cost [fraction of net public cost]."""
    options: tuple[str, ...]
    """Ids of the options it is added to."""
    why: str
    """Why the appraisal departs from the Green Book's advice not to include it."""
    source: str


@dataclass(frozen=True)
class OptionResult:
    """Everything computed for one option."""

    option_id: str
    name: str
    description: str
    is_counterfactual: bool
    gross: Measures
    incremental: Measures
    """Option minus counterfactual."""
    agencies_gross: tuple[AgencyPosition, ...]
    agencies_incremental: tuple[AgencyPosition, ...]
    costs: tuple[CostLineResult, ...]
    community_inputs: tuple[CommunityInputResult, ...]
    benefits: tuple[BenefitLineResult, ...]
    yearly: YearlyFlows
    yearly_incremental: YearlyFlows
    non_monetised_impacts: tuple[str, ...]
    scale: ScaleCurve | None = None
    """The scale sweep, when the option declares one."""


@dataclass(frozen=True)
class ScheduleUsed:
    """A discount schedule as applied: its bands and its factors."""

    label: str
    """``name@version``."""
    description: str
    source: str
    bands: tuple[tuple[int, float], ...]
    """(first year offset, rate [fraction per year])."""
    rates: tuple[float, ...]
    factors: tuple[float, ...]


@dataclass(frozen=True)
class Band:
    """A value-for-money category: ``lower <= BCR < upper``, or ``lower < BCR`` when the lower
    bound is exclusive (a BCR equal to it is in the band below)."""

    name: str
    lower: float | None
    """Lower BCR bound [ratio]; None for the lowest band."""
    upper: float | None
    """Upper BCR bound [ratio]; None for the highest band."""
    lower_inclusive: bool = True
    """Whether a BCR equal to ``lower`` is in this band."""
    upper_inclusive: bool = False
    """Whether a BCR equal to ``upper`` is in this band."""

    @property
    def rule(self) -> str:
        """The band as a condition on the BCR, e.g. ``"0 < BCR < 1"`` or ``"BCR <= 0"``."""
        if self.lower is None and self.upper is None:
            return "any BCR"
        if self.upper is None:
            return f"BCR {'>=' if self.lower_inclusive else '>'} {self.lower:g}"
        high = f"BCR {'<=' if self.upper_inclusive else '<'} {self.upper:g}"
        if self.lower is None:
            return high
        return f"{self.lower:g} {'<=' if self.lower_inclusive else '<'} {high}"


@dataclass(frozen=True)
class SwitchingValue:
    """The value of one input, all others central, at which an option stops (or starts)
    paying: incremental NPSV = 0, and BCR over public costs = 1 (GB 2026 §5.59-5.61)."""

    option_id: str
    parameter: str
    """Parameter path."""
    kind: str
    """cost amount, unit value, outcome count, additionality share, hours, ..."""
    unit: str
    central: float
    """The scenario's value [unit]."""
    npsv_zero: float | None
    """Value at which incremental NPSV is zero [unit]; None when there is none in the domain."""
    npsv_zero_change: float | None
    """(npsv_zero - central) / |central| [fraction]; None when central is 0 or no value."""
    bcr_one: float | None
    """Value at which the incremental BCR over public costs is 1 [unit]; None if none."""
    bcr_one_change: float | None
    domain_low: float | None
    domain_high: float | None
    """The input's valid range, searched [unit]; None for an unbounded end."""
    method: str
    """closed form (linear), bisection, or whole-number scan."""
    statement: str
    """The NPSV result in words, e.g. 'NPSV is zero at 412 GBP per outcome (-40% from 683)'
    or 'none: NPSV stays positive over [0, 1]'."""
    bcr_statement: str
    """The BCR result in words, e.g. 'none: BCR stays above 1 over [0, 1]'."""
    listed: bool
    """True when the scenario's sensitivity block lists the input."""
    source: str


@dataclass(frozen=True)
class TornadoBar:
    """An option's incremental NPSV and BCR with one input at its low and at its high end, the
    others central."""

    option_id: str
    parameter: str
    kind: str
    unit: str
    central: float
    low: float
    high: float
    range_basis: str
    """'scenario' (its sensitivity block) or 'default' (docs/methods.md §14)."""
    why: str
    npsv_low: float
    npsv_high: float
    bcr_public_low: float | None
    bcr_public_high: float | None
    npsv_swing: float
    """|npsv_high - npsv_low| [GBP PV]."""
    bcr_swing: float | None


@dataclass(frozen=True)
class OneWayTable:
    """An option's incremental measures at a grid of values of one input."""

    option_id: str
    parameter: str
    unit: str
    central: float
    why: str
    values: tuple[float, ...]
    npsv: tuple[float, ...]
    bcr_public: tuple[float | None, ...]
    bcr_public_and_community: tuple[float | None, ...]
    value_for_money: tuple[str | None, ...]


@dataclass(frozen=True)
class RateTest:
    """An option's incremental measures under one discount schedule (the others as set)."""

    option_id: str
    schedule: str
    """Named schedule, or the scenario's own schedule's label."""
    is_scenario_schedule: bool
    npsv: float
    bcr_public: float | None
    bcr_public_and_community: float | None
    value_for_money: str | None


@dataclass(frozen=True)
class SensitivityResults:
    """Switching values, tornado, one-way tables and discount-rate tests for every option
    other than the counterfactual, all against the counterfactual (incremental).

    Money [GBP, present value, price base year]; ratios [ratio]; inputs in their own units.
    """

    switching_values: tuple[SwitchingValue, ...]
    tornado: tuple[TornadoBar, ...]
    """Per option, sorted by NPSV swing, largest first."""
    one_way: tuple[OneWayTable, ...]
    rate_tests: tuple[RateTest, ...]
    notes: tuple[str, ...]
    evaluations: int
    """Model evaluations used (settings evaluated, over all leading axes)."""

    def most_sensitive(self, option_id: str) -> TornadoBar | None:
        """The option's input with the largest NPSV swing, or None."""
        bars = [b for b in self.tornado if b.option_id == option_id]
        return bars[0] if bars else None

    def sentence(self, option_id: str, prefix: str = "") -> str | None:
        """One sentence naming the input the option's NPSV is most sensitive to, its tested
        range and its switching value; ``prefix`` (``options.<id>.``) is left off the path."""
        bar = self.most_sensitive(option_id)
        if bar is None:
            return None
        name = bar.parameter.removeprefix(prefix)
        found = self.switching(option_id, bar.parameter)

        def number(x: float) -> str:
            return f"{x:,.0f}" if x == round(x) and bar.unit != "calendar year" else f"{x:g}"

        def pounds(x: float) -> str:
            return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"

        text = (
            f"The NPSV is most sensitive to {name}: from {number(bar.low)} to "
            f"{number(bar.high)} {bar.unit} ({bar.range_basis} range) it moves from "
            f"{pounds(bar.npsv_low)} to {pounds(bar.npsv_high)}"
        )
        if found is not None:
            text += f"; switching value: {found.statement}"
        return text + "."

    def switching(self, option_id: str, parameter: str) -> SwitchingValue | None:
        """The option's switching value for one input, or None if not computed."""
        for item in self.switching_values:
            if item.option_id == option_id and item.parameter == parameter:
                return item
        return None


@dataclass(frozen=True)
class Distribution:
    """Summary of one figure over the Monte Carlo draws (undefined draws left out)."""

    mean: float | None
    median: float | None
    sd: float | None
    p5: float | None
    p25: float | None
    p75: float | None
    p95: float | None
    undefined_share: float
    """Share of draws where the figure is undefined (e.g. a BCR with no public cost)."""
    mean_standard_error: float | None
    """Monte Carlo standard error of the mean: sd / sqrt(draws)."""


@dataclass(frozen=True)
class OptionUncertainty:
    """One option's figures over the draws, against the counterfactual (incremental) and
    gross. Money [GBP PV]; ratios [ratio]; probabilities [fraction]."""

    option_id: str
    npsv: Distribution
    pv_benefits: Distribution
    pv_costs: Distribution
    """Public and non-public costs."""
    pv_community_inputs: Distribution
    bcr_public: Distribution
    bcr_public_and_community: Distribution
    gross_npsv: Distribution
    probability_npsv_positive: float
    """P(incremental NPSV > 0): the probability that the scheme pays off."""
    probability_standard_error: float
    """sqrt(p (1 - p) / draws)."""
    value_for_money: dict[str, float]
    """Probability of each DfT category (and 'undefined')."""
    payback_year: dict[str, float]
    """Probability of each payback year ('none': no payback in the period)."""
    probability_best: float
    """Probability that this option has the highest NPSV of all options (the counterfactual
    counting as 0)."""
    npsv_curve: tuple[tuple[float, float], ...]
    """(NPSV, cumulative probability) at 101 quantiles, for the S-curve."""
    npsv_histogram: tuple[tuple[float, float, int], ...]
    """(from, to, draws) in 30 equal bins of incremental NPSV."""


@dataclass(frozen=True)
class InputInfluence:
    """How much one uncertain input drives an option's NPSV."""

    option_id: str
    parameter: str
    rank_correlation: float | None
    """Spearman correlation of the input's draws with the incremental NPSV (None for a
    choice of names, or an input that does not vary)."""
    sobol_first: float | None = None
    """Sobol first-order index of the incremental NPSV [fraction of its variance]: the share
    of the variance the input explains alone."""
    sobol_first_interval: tuple[float, float] | None = None
    """95% bootstrap interval of the first-order index."""
    sobol_total: float | None = None
    """Sobol total index [fraction of variance]: the input's share including its interactions
    with the others."""
    sobol_total_interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class UncertainParameter:
    """An input drawn in the simulation."""

    parameter: str
    family: str
    distribution: str
    """The distribution in words, e.g. 'triangular 50 / 100 / 150'."""
    unit: str
    central: float | str
    """The file's value (what deterministic runs use)."""
    draws_mean: float | None
    evppi: float
    """Expected value of perfect information on this input for the choice between options
    [GBP PV]: each option's NPSV regressed on the input (means within up to 100 equal-count
    bins of its draws, or within each value of a choice), E[max of those] - max E[NPSV]
    (``cba.engine.information``)."""
    why: str
    origin: str = "block"
    """Where the distribution is given: ``block`` (the ``uncertainty:`` block), ``inline`` (the
    line's ``uncertain:`` mapping) or ``grade`` (a default spread from a confidence grade)."""


@dataclass(frozen=True)
class GroupInformation:
    """The value of perfect information about a group of inputs together (EVPPI) [GBP PV]."""

    name: str
    parameters: tuple[str, ...]
    evppi: float
    """Each option's NPSV regressed on the group's draws (bins of each input plus pairwise
    products; ``cba.engine.information``), E[max of those] - max E[NPSV]."""
    why: str


@dataclass(frozen=True)
class UncertaintyResults:
    """A Monte Carlo simulation of a scenario (Green Book A5.21-A5.23; docs/methods.md §15)."""

    draws: int
    seed: int
    chunk: int
    """Draws evaluated together (results do not depend on it)."""
    parameters: tuple[UncertainParameter, ...]
    correlations: tuple[tuple[str, str, float, float | None], ...]
    """(input, input, target rank correlation, achieved)."""
    options: tuple[OptionUncertainty, ...]
    groups: tuple[GroupInformation, ...]
    """Each group of the ``uncertainty:`` block with its EVPPI."""
    influences: tuple[InputInfluence, ...]
    evpi: float
    """Expected value of perfect information for the choice between options [GBP PV]:
    E[max NPSV] - max E[NPSV], the counterfactual counting as 0."""
    evpi_standard_error: float
    convergence: str
    """Whether the draws are enough for the stated precision, in words."""
    sobol_rows: int = 0
    """Rows N of the Saltelli design behind the Sobol indices (N (k + 2) evaluations)."""
    sobol_note: str = ""
    """How the Sobol indices were estimated, and their caveats."""

    def option(self, option_id: str) -> OptionUncertainty:
        """One option's distribution."""
        for item in self.options:
            if item.option_id == option_id:
                return item
        raise KeyError(option_id)


SROI_UNITS: dict[str, str] = {
    "pv_benefits": "GBP, present value",
    "pv_public_costs": "GBP, present value",
    "pv_non_public_costs": "GBP, present value",
    "pv_community_inputs": "GBP, present value",
    "value_of_inputs": "GBP, present value",
    "net_present_value": "GBP, present value",
    "ratio": "ratio (GBP of value per GBP of input)",
    "net_ratio": "ratio (net GBP of value per GBP of input)",
    "benefits_standard": "GBP per year, undiscounted",
    "benefits_health": "GBP per year, undiscounted",
    "public_costs": "GBP per year, undiscounted",
    "non_public_costs": "GBP per year, undiscounted",
    "community_inputs": "GBP per year, undiscounted",
    "benefit_factors_standard": "dimensionless",
    "benefit_factors_health": "dimensionless",
    "input_factors": "dimensionless",
    "next_rates_standard": "fraction per year (the following year's rate)",
    "next_rates_health": "fraction per year (the following year's rate)",
}
"""Unit of each field of ``SroiFigures`` and of the factors of ``SroiView``."""


@dataclass(frozen=True)
class SroiFigures:
    """The SROI view of one option, gross or against the counterfactual (docs/sroi.md).

    Money: real GBP at the price base year, present values at year offset 0 unless named per
    year. The benefits are the same ledger as PVB (after deadweight, displacement, leakage,
    substitution, attribution, drop-off and optimism bias; transfers excluded).
    """

    option_id: str
    name: str
    basis: str
    """``incremental`` (option minus counterfactual, year by year) or ``gross``."""
    pv_benefits: float
    """PV of the benefits under the SROI convention [GBP PV]."""
    pv_public_costs: float
    pv_non_public_costs: float
    pv_community_inputs: float
    """Valued volunteer time and in-kind help, counted as inputs [GBP PV]."""
    value_of_inputs: float
    """Public + non-public costs + community inputs [GBP PV]."""
    net_present_value: float
    """PV benefits - value of inputs [GBP PV]."""
    ratio: float | None
    """SROI ratio = PV benefits / value of inputs [ratio]; None when undefined."""
    net_ratio: float | None
    """Net SROI ratio = net present value / value of inputs [ratio]; None when undefined."""
    benefits_standard: tuple[float, ...]
    """Benefits discounted on the standard schedule [GBP per year], undiscounted."""
    benefits_health: tuple[float, ...]
    """Benefits discounted on the health schedule [GBP per year], undiscounted."""
    public_costs: tuple[float, ...]
    non_public_costs: tuple[float, ...]
    community_inputs: tuple[float, ...]
    """Inputs by year [GBP per year], undiscounted."""
    undefined: dict[str, str] = field(default_factory=dict)
    """Figure name -> why it is undefined."""


@dataclass(frozen=True)
class SroiView:
    """Social Return on Investment, a different convention from the Green Book BCR, computed
    from the same ledger (Cabinet Office / SROI Network guide, 2012; docs/sroi.md)."""

    discount_first_year: bool
    """True: each year's benefits are discounted as at its end (offset 0 by one year)."""
    convention: str
    """The convention in words."""
    source: str
    standard_schedule: str
    health_schedule: str
    benefit_factors_standard: tuple[float, ...]
    """Factors applied to benefits on the standard schedule, by year [dimensionless]."""
    benefit_factors_health: tuple[float, ...]
    input_factors: tuple[float, ...]
    """Factors applied to the inputs (start of year, the Green Book D_t) [dimensionless]."""
    next_rates_standard: tuple[float, ...]
    """The following year's rate r_(t+1) on the standard schedule, by year [fraction]."""
    next_rates_health: tuple[float, ...]
    """The same on the health schedule [fraction]."""
    incremental: tuple[SroiFigures, ...]
    """Each option other than the counterfactual, against it."""
    gross: tuple[SroiFigures, ...]
    """Every option alone."""

    def option(self, option_id: str, basis: str = "incremental") -> SroiFigures:
        """One option's SROI figures on ``basis``."""
        for item in self.incremental if basis == "incremental" else self.gross:
            if item.option_id == option_id:
                return item
        raise KeyError(option_id)


@dataclass(frozen=True)
class IncomeGroupWeight:
    """One income group and its distributional weight (Green Book Annex A3)."""

    group_id: str
    name: str
    income: float
    """Median equivalised household income [GBP per household per year, price base year]."""
    weight: float
    """``(reference income / income) ** elasticity`` [dimensionless]."""
    source: str


@dataclass(frozen=True)
class WeightedMeasures:
    """Unweighted and weighted present values of one option, gross or incremental [GBP PV].

    A line's weight is its income group's; a line without a group, and every community input,
    has weight 1."""

    pv_benefits: float
    weighted_pv_benefits: float
    pv_costs: float
    """PV of public and non-public costs, after optimism bias."""
    weighted_pv_costs: float
    pv_community_inputs: float
    """Valued community inputs (weight 1)."""
    npsv: float
    weighted_npsv: float
    """Weighted PV benefits - weighted PV costs - PV community inputs - PV marginal excess tax
    burden (weight 1; 0 unless the scenario applies one)."""


@dataclass(frozen=True)
class WeightedOption:
    """The weighted figures of one option: gross and against the counterfactual."""

    option_id: str
    name: str
    gross: WeightedMeasures
    incremental: WeightedMeasures


@dataclass(frozen=True)
class DistributionalView:
    """Distributional weights and the weighted figures, beside the unweighted ones (Green Book
    2022, Annex A3: weighted estimates alongside unweighted ones)."""

    elasticity: float
    """Elasticity of the marginal utility of income [dimensionless]."""
    reference_income: float
    """[GBP per household per year, price base year]."""
    source: str
    groups: tuple[IncomeGroupWeight, ...]
    options: tuple[WeightedOption, ...]

    def option(self, option_id: str) -> WeightedOption:
        """The weighted figures of one option."""
        for option in self.options:
            if option.option_id == option_id:
                return option
        raise KeyError(option_id)


@dataclass(frozen=True)
class Results:
    """The appraisal of one scenario."""

    scenario_id: str
    title: str
    description: str
    scenario_language: str
    cba_version: str
    currency: str
    price_base_year: int
    first_year: int
    years: tuple[int, ...]
    """Calendar years of the appraisal period."""
    counterfactual: str
    schedules: tuple[ScheduleUsed, ...]
    standard_schedule: str
    health_schedule: str
    confidence_grades: dict[int, float]
    confidence_grades_source: str
    value_for_money_bands: tuple[Band, ...]
    value_for_money_source: str
    conventions: tuple[str, ...]
    caveats: tuple[str, ...]
    """Things a reader must know before relying on the figures (unverified tables used)."""
    options: tuple[OptionResult, ...]
    sensitivity: SensitivityResults | None = None
    """Switching values, tornado, one-way and rate tests (None when not computed)."""
    uncertainty: UncertaintyResults | None = None
    """Monte Carlo results (None when no input is uncertain)."""
    variant: tuple[tuple[str, str], ...] = ()
    """Inputs set on top of the scenario file (``cba run --set``): (path, value as written);
    empty for the scenario as filed."""
    strategy_map: MapAppraisal | None = None
    """Backwards mapping of each pathway and the least-cost mix (None without a map)."""
    references: tuple[ReferenceUse, ...] = ()
    """Values taken from shipped reference tables (``{ref: ...}``), as resolved: the table and
    vintage, the published value, its price year and the rebasing factor."""
    sroi: SroiView | None = None
    """The SROI view of the same appraisal (SROI guide conventions; None when not computed)."""
    tax_burden: TaxBurdenUsed | None = None
    """The marginal excess tax burden applied, if the scenario applies one (else the figures
    leave it out, as the 2026 Green Book advises: ``conventions`` says so)."""
    distributional: DistributionalView | None = None
    """Weighted figures beside the unweighted ones (Green Book Annex A3); None without a
    ``distributional_weights`` block."""

    def option(self, option_id: str) -> OptionResult:
        """The result of one option."""
        for option in self.options:
            if option.option_id == option_id:
                return option
        raise KeyError(option_id)

    def to_frame(self) -> pd.DataFrame:
        """Headline figures as a DataFrame: one row per (option, basis), one column per figure.

        Basis is ``gross`` (the option alone) or ``incremental`` (against the counterfactual).
        Undefined figures are NaN/None; units are in ``MEASURE_UNITS``.
        """
        import pandas as pd

        rows = []
        for option in self.options:
            for basis, measures in (("gross", option.gross), ("incremental", option.incremental)):
                rows.append({"option": option.option_id, "basis": basis, **measures.as_dict()})
        return pd.DataFrame(rows).set_index(["option", "basis"])


@dataclass(frozen=True)
class LineScaling:
    """How one line varies with scale."""

    kind: str
    """cost, community input or benefit."""
    line_id: str
    law: str
    """The law and its parameters, in words."""


@dataclass(frozen=True)
class ScaleCurve:
    """An option swept over its scale driver, against the counterfactual (incremental).

    Money [GBP, present value, price base year]; outcomes are the counted benefit lines' net
    outcomes, discounted like their benefits [discounted outcomes]; ratios [ratio]. ``None``
    where a figure is undefined at that point.
    """

    option_id: str
    driver: str
    n0: float
    points: tuple[float, ...]
    """Values of the driver, ascending; ``n0`` is one of them."""
    n0_index: int
    outcome_lines: tuple[str, ...]
    pv_benefits: tuple[float, ...]
    pv_public_costs: tuple[float, ...]
    pv_non_public_costs: tuple[float, ...]
    pv_community_inputs: tuple[float, ...]
    npsv: tuple[float, ...]
    npsv_excluding_community_inputs: tuple[float, ...]
    bcr_public: tuple[float | None, ...]
    bcr_public_and_community: tuple[float | None, ...]
    outcomes: tuple[float, ...]
    average_cost_per_outcome: tuple[float | None, ...]
    """(PV public + non-public costs) / discounted outcomes [GBP per outcome]."""
    average_resource_cost_per_outcome: tuple[float | None, ...]
    """As above, with valued community inputs added to the costs [GBP per outcome]."""
    marginal_cost_per_outcome: tuple[float | None, ...]
    """d(PV public + non-public costs) / d(discounted outcomes) along the sweep."""
    marginal_bcr: tuple[float | None, ...]
    """d(PVB - PV non-public costs) / d(PV public costs) along the sweep."""
    roi_by_agency: dict[str, tuple[float | None, ...]]
    net_by_agency: dict[str, tuple[float, ...]]
    optimum_index: int
    optimum_n: float
    optimum_npsv: float
    optimum_at_edge: bool
    break_even_ranges: tuple[tuple[float, float], ...]
    """Ranges of the driver where the BCR over public costs is at least 1."""
    regimes: tuple[tuple[float, float, str], ...]
    """(from, to, economies | diseconomies | constant | undefined) by average cost."""
    laws: tuple[LineScaling, ...]
    statement: str
    """The optimum and break-even range in words."""


@dataclass(frozen=True)
class DrawTable:
    """Every Monte Carlo draw, one row each, for a workbook's Draws sheet (``cba run
    --full-draws``): the inputs as drawn and each option's figures against the counterfactual.

    The rows come in chunks from ``chunks()`` (each call evaluates them afresh, a chunk at a
    time, so memory stays bounded whatever the number of draws); every chunk is a tuple with
    one array per column, numbers (NaN where a figure is undefined) or text.
    """

    headers: tuple[str, ...]
    """Column headings, each with its unit in brackets."""
    draws: int
    seed: int
    chunks: Callable[[], Iterator[tuple[Any, ...]]]
