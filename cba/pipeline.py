"""The only orchestrator: validated scenario -> engine arrays -> Results.

Wiring only: every number is computed by a function in ``cba.engine``. This module resolves
names (schedules, agencies, grade tables) into arrays, calls the engine, and labels the output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba import __version__
from cba.engine import appraisal
from cba.engine.additionality import CHAIN_STEPS, benefit_chain, gross_outcomes
from cba.engine.discounting import discount_factors, present_value, rates_by_year
from cba.engine.metrics import sign_changes
from cba.engine.profiles import active_years, drop_off_profile
from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.reference.optimism_bias import MOTT_MACDONALD_2002
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY, VFM_SOURCE
from cba.results import (
    AgencyPosition,
    Band,
    BenefitLineResult,
    ChainStep,
    CommunityInputResult,
    CostLineResult,
    Measures,
    OptionResult,
    Results,
    ScheduleUsed,
    ValueComponentResult,
    YearlyFlows,
)
from cba.spec.benefits import BenefitLine, FiscalValue
from cba.spec.community import TimeInput
from cba.spec.costs import CostLine
from cba.spec.discounting import ConstantRate, CustomBands, Schedule
from cba.spec.optimism import GradedCorrection, MottMacDonaldUplift
from cba.spec.scenario import Option, Scenario

FloatArray = NDArray[np.float64]

CONVENTIONS: tuple[str, ...] = (
    "Year offset 0 is the first appraisal year and is not discounted; D_t = D_(t-1)/(1+r_t) "
    "with r_t the rate of the band year t falls in (HM Treasury Green Book 2022, Annex A6).",
    "Money is in real terms at the price base year [GBP]; costs and benefits are entered as "
    "positive amounts.",
    "NPSV = PVB - PV public costs - PV non-public costs - PV valued community inputs "
    "(Green Book §5.54).",
    "BCR over public costs = (PVB - PV non-public costs) / PV public costs; the second BCR adds "
    "valued community inputs to the denominator (DfT TAG convention: other costs net from "
    "benefits). An undefined ratio is reported as undefined, never 0 or infinity.",
    "Fiscal ROI = PV fiscal benefits / PV public costs; economic ROI = (fiscal less transfers "
    "+ economic) / PV public costs; public value ROI = PVB / PV public costs (LP2014).",
    "Transfers count in an agency's fiscal view but not in PVB or public value (LP2014).",
    "Incremental figures are the option minus the counterfactual, year by year.",
    "Payback year: the first year from which cumulative discounted net social benefit stays "
    "non-negative to the end of the period, counted from the first year with a flow (LP2014; "
    "docs/methods.md). IRR on undiscounted net social flows (numpy-financial).",
    "Equivalent annual net benefit: each stream's PV over the annuity factor (sum of discount "
    "factors, years 0 to T-1) of the schedule it is discounted on; a flat stream gives its "
    "annual amount on either schedule.",
    "DfT value-for-money category: very poor BCR <= 0; poor 0 < BCR < 1; low 1 to < 1.5; "
    "medium 1.5 to < 2; high 2 to < 4; very high >= 4.",
)


@dataclass(frozen=True)
class _Parts:
    """Intermediate arrays of one option, kept to label line-level results."""

    cost_base: list[FloatArray]
    uplifts: list[tuple[float, str]]
    cost_flows: FloatArray
    input_flows: FloatArray
    chains: list[tuple[FloatArray, FloatArray]]
    value_rows: list[FloatArray]
    value_lines: list[int]
    """Index of the benefit line each value row belongs to."""
    engine_inputs: dict[str, Any]
    """The keyword arguments given to ``appraisal.yearly_totals`` (for scale sweeps)."""


@dataclass(frozen=True)
class _Schedules:
    standard: ScheduleUsed
    health: ScheduleUsed


def _schedule_used(spec: Schedule, n_years: int) -> ScheduleUsed:
    if isinstance(spec, str):
        named = NAMED_SCHEDULES[spec]
        label, description, source = named.label, named.description, named.source
        bands = tuple((b.from_year_offset, b.rate) for b in named.bands)
    elif isinstance(spec, ConstantRate):
        label = f"constant_{spec.constant_rate:g}"
        description = f"Constant rate of {spec.constant_rate:.4%} a year."
        source = spec.source or "Scenario file"
        bands = ((0, spec.constant_rate),)
    else:
        assert isinstance(spec, CustomBands)
        label = f"{spec.name}@custom"
        description = "Custom bands given in the scenario file."
        source = spec.source or "Scenario file"
        bands = tuple((b.from_year_offset, b.rate) for b in spec.bands)
    rates = rates_by_year([b[0] for b in bands], [b[1] for b in bands], n_years)
    return ScheduleUsed(
        label=label,
        description=description,
        source=source,
        bands=bands,
        rates=tuple(float(r) for r in rates),
        factors=tuple(float(f) for f in discount_factors(rates)),
    )


def _tuple(values: FloatArray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _none_if_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


class _OptionArrays:
    """The engine inputs of one option, and what is needed to label them."""

    def __init__(self, scenario: Scenario, option: Option, schedules: _Schedules) -> None:
        self.scenario = scenario
        self.option = option
        self.n_years = scenario.appraisal_period_years
        self.agency_ids = [a.id for a in scenario.agencies]
        self.agency_index = {a: i for i, a in enumerate(self.agency_ids)}
        self.standard = np.array(schedules.standard.factors)
        self.health = np.array(schedules.health.factors)
        self.schedules = schedules

    # --- shared -----------------------------------------------------------------------------
    def offset(self, year: int | None, default: int) -> int:
        return default if year is None else year - self.scenario.first_year

    def rebase(self, price_year: int | None) -> float:
        scenario = self.scenario
        if price_year is None or price_year == scenario.price_base_year:
            return 1.0
        deflator = scenario.deflator
        if deflator is None:  # refused at validation; kept for programmatic construction
            raise ValueError(f"price_year {price_year} needs a deflator")
        return deflator.index[scenario.price_base_year] / deflator.index[price_year]

    def one_hot(self, agency: str | None) -> FloatArray:
        row = np.zeros(len(self.agency_ids))
        if agency is not None:
            row[self.agency_index[agency]] = 1.0
        return row

    def graded(self, ob: GradedCorrection) -> tuple[float, str]:
        """Correction read from the scenario's confidence-grade table, and its basis."""
        table = self.scenario.confidence_grades
        return table.corrections[ob.confidence_grade], (
            f"confidence grade {ob.confidence_grade} ({table.name} table)"
        )

    # --- costs ------------------------------------------------------------------------------
    def cost_uplift(self, line: CostLine) -> tuple[float, str]:
        ob = line.optimism_bias
        if isinstance(ob, MottMacDonaldUplift):
            category = MOTT_MACDONALD_2002[ob.category]
            uplift = category.upper_bound * (1.0 - ob.mitigation)
            return uplift, (
                f"Mott MacDonald (2002) {ob.category}: upper bound {category.upper_bound:g} x "
                f"(1 - mitigation {ob.mitigation:g})"
            )
        if isinstance(ob, GradedCorrection):
            return self.graded(ob)
        return float(ob), "uplift given in the scenario"

    def cost_base_flows(self, line: CostLine) -> FloatArray:
        flows = np.zeros(self.n_years)
        if line.series is not None:
            for year, amount in line.series.items():
                flows[year - self.scenario.first_year] = amount
        else:
            start = self.offset(line.start_year, 0)
            end = self.offset(line.end_year, self.n_years - 1)
            flows = float(line.amount_per_year or 0.0) * active_years(start, end, self.n_years)
        return flows * self.rebase(line.price_year)

    def shares(self, line: CostLine) -> dict[str, float]:
        return {line.paid_by: 1.0} if isinstance(line.paid_by, str) else dict(line.paid_by)

    # --- benefits ---------------------------------------------------------------------------
    def benefit_reduction(self, line: BenefitLine) -> tuple[float, str]:
        ob = line.optimism_bias
        if isinstance(ob, GradedCorrection):
            return self.graded(ob)
        return float(ob), "reduction given in the scenario"

    def benefit_profile(self, line: BenefitLine) -> FloatArray:
        start = self.offset(line.start_year, 0)
        end = self.n_years - 1 if line.duration_years is None else start + line.duration_years - 1
        return drop_off_profile(start, end, line.drop_off, self.n_years)

    # --- assembly ---------------------------------------------------------------------------
    def build(self) -> tuple[appraisal.YearlyTotals, _Parts]:
        """The option's yearly totals and the arrays behind them."""
        parts = self.parts()
        return appraisal.yearly_totals(**parts.engine_inputs), parts

    def parts(self) -> _Parts:
        """The option's line arrays, ready for the engine (no totals computed)."""
        option = self.option
        n_agencies = len(self.agency_ids)
        public = np.array([a.sector == "public" for a in self.scenario.agencies])

        cost_base = [self.cost_base_flows(c) for c in option.costs]
        uplifts = [self.cost_uplift(c) for c in option.costs]
        cost_flows = np.array([b * (1.0 + u[0]) for b, u in zip(cost_base, uplifts, strict=True)])
        cost_flows = cost_flows.reshape(len(option.costs), self.n_years)
        shares = np.zeros((len(option.costs), n_agencies))
        for i, line in enumerate(option.costs):
            for agency, share in self.shares(line).items():
                shares[i, self.agency_index[agency]] = share

        input_rows = []
        contributors = np.zeros((len(option.community_inputs), n_agencies))
        for i, item in enumerate(option.community_inputs):
            start = self.offset(item.start_year, 0)
            end = self.offset(item.end_year, self.n_years - 1)
            per_year = (
                item.hours * item.value_per_hour
                if isinstance(item, TimeInput)
                else item.value_per_year
            )
            input_rows.append(
                per_year * self.rebase(item.price_year) * active_years(start, end, self.n_years)
            )
            contributors[i] = self.one_hot(item.contributed_by)
        input_flows = np.array(input_rows).reshape(len(option.community_inputs), self.n_years)

        chains: list[tuple[FloatArray, FloatArray]] = []
        value_rows: list[FloatArray] = []
        value_factor_rows: list[FloatArray] = []
        types: list[int] = []
        agencies: list[FloatArray] = []
        cashable: list[bool] = []
        transfer: list[bool] = []
        health: list[bool] = []
        value_lines: list[int] = []
        for line_index, benefit in enumerate(option.benefits):
            reduction, _ = self.benefit_reduction(benefit)
            chain = benefit_chain(
                gross_outcomes(*benefit.gross_outcomes_per_year),
                benefit.deadweight,
                benefit.displacement,
                benefit.leakage,
                benefit.substitution,
                benefit.attribution,
                benefit.multiplier,
                reduction,
            )
            net = chain[-1] * self.benefit_profile(benefit)
            chains.append((chain, net))
            rebase = self.rebase(benefit.price_year)
            factors = self.health if benefit.health else self.standard
            for value in benefit.unit_values:
                value_rows.append(net * value.amount * rebase)
                value_lines.append(line_index)
                value_factor_rows.append(factors)
                types.append(
                    {
                        "fiscal": appraisal.FISCAL,
                        "economic": appraisal.ECONOMIC,
                        "social": appraisal.SOCIAL,
                    }[value.value_type]
                )
                who = value.agency if isinstance(value, FiscalValue) else value.beneficiary
                agencies.append(self.one_hot(who))
                cashable.append(isinstance(value, FiscalValue) and value.cashable)
                transfer.append(isinstance(value, FiscalValue) and value.transfer)
                health.append(benefit.health)
        n_values = len(value_rows)
        inputs: dict[str, Any] = {
            "cost_flows": cost_flows,
            "cost_factors": np.broadcast_to(self.standard, cost_flows.shape),
            "cost_shares": shares,
            "public_agencies": public,
            "input_flows": input_flows,
            "input_factors": np.broadcast_to(self.standard, input_flows.shape),
            "input_contributors": contributors,
            "value_flows": np.array(value_rows).reshape(n_values, self.n_years),
            "value_factors": np.array(value_factor_rows).reshape(n_values, self.n_years),
            "value_types": np.array(types, dtype=np.int64),
            "value_agencies": np.array(agencies).reshape(n_values, n_agencies),
            "value_cashable": np.array(cashable, dtype=bool),
            "value_transfer": np.array(transfer, dtype=bool),
            "value_health": np.array(health, dtype=bool),
        }
        return _Parts(
            cost_base, uplifts, cost_flows, input_flows, chains, value_rows, value_lines, inputs
        )

    # --- labelling --------------------------------------------------------------------------
    def cost_results(self, parts: _Parts) -> tuple[CostLineResult, ...]:
        cost_base, uplifts, cost_flows = parts.cost_base, parts.uplifts, parts.cost_flows
        return tuple(
            CostLineResult(
                line_id=line.id,
                name=line.name,
                category=line.category,
                paid_by=self.shares(line),
                optimism_bias=uplifts[i][0],
                optimism_bias_basis=uplifts[i][1],
                rebase_factor=self.rebase(line.price_year),
                schedule=self.schedules.standard.label,
                flows_before_optimism_bias=_tuple(cost_base[i]),
                flows=_tuple(cost_flows[i]),
                pv=float(present_value(cost_flows[i], self.standard)),
                source=line.source,
            )
            for i, line in enumerate(self.option.costs)
        )

    def input_results(self, parts: _Parts) -> tuple[CommunityInputResult, ...]:
        flows = parts.input_flows
        out = []
        for i, item in enumerate(self.option.community_inputs):
            out.append(
                CommunityInputResult(
                    line_id=item.id,
                    name=item.name,
                    kind=item.kind,
                    contributed_by=item.contributed_by,
                    hours_per_year=item.hours if isinstance(item, TimeInput) else None,
                    value_per_hour=item.value_per_hour if isinstance(item, TimeInput) else None,
                    valuation_basis=item.valuation_basis if isinstance(item, TimeInput) else None,
                    rebase_factor=self.rebase(item.price_year),
                    schedule=self.schedules.standard.label,
                    flows=_tuple(flows[i]),
                    pv=float(present_value(flows[i], self.standard)),
                    source=item.source,
                )
            )
        return tuple(out)

    def benefit_results(self, parts: _Parts) -> tuple[BenefitLineResult, ...]:
        chains, value_rows = parts.chains, parts.value_rows
        out = []
        row = 0
        for line, (chain, net) in zip(self.option.benefits, chains, strict=True):
            factors = self.health if line.health else self.standard
            schedule = self.schedules.health if line.health else self.schedules.standard
            rebase = self.rebase(line.price_year)
            profile = self.benefit_profile(line)
            counted = (
                sum(
                    v.amount
                    for v in line.unit_values
                    if not (isinstance(v, FiscalValue) and v.transfer)
                )
                * rebase
            )
            reduction, basis = self.benefit_reduction(line)
            keep = (
                1.0,
                1 - line.deadweight,
                1 - line.displacement,
                1 - line.leakage,
                1 - line.substitution,
                1 - line.attribution,
                line.multiplier,
                1 - reduction,
            )
            steps = tuple(
                ChainStep(
                    step=name,
                    factor=float(keep[k]),
                    outcomes_first_year=float(chain[k]),
                    outcomes_total=float(np.sum(chain[k] * profile)),
                    pv=float(present_value(chain[k] * profile * counted, factors)),
                )
                for k, name in enumerate(CHAIN_STEPS)
            )
            components = []
            for value in line.unit_values:
                flows = value_rows[row]
                row += 1
                components.append(
                    ValueComponentResult(
                        value_type=value.value_type,
                        amount_per_outcome=value.amount * rebase,
                        agency=value.agency
                        if isinstance(value, FiscalValue)
                        else value.beneficiary,
                        cashable=value.cashable if isinstance(value, FiscalValue) else False,
                        transfer=value.transfer if isinstance(value, FiscalValue) else False,
                        flows=_tuple(flows),
                        pv=float(present_value(flows, factors)),
                        source=value.source,
                    )
                )
            out.append(
                BenefitLineResult(
                    line_id=line.id,
                    name=line.name,
                    health=line.health,
                    schedule=schedule.label,
                    optimism_bias=reduction,
                    optimism_bias_basis=basis,
                    rebase_factor=rebase,
                    chain=steps,
                    net_outcomes=_tuple(net),
                    components=tuple(components),
                    pv=steps[-1].pv,
                    source=line.source,
                )
            )
        return tuple(out)


def _ratio_reason(denominator: float, what: str) -> str:
    if denominator == 0.0:
        return f"{what} is zero, so the ratio is undefined"
    return (
        f"{what} is negative (the option costs less than the counterfactual), so the ratio is "
        "not meaningful; judge the option by its NPSV"
    )


def _measures(m: appraisal.Measures, first_year: int, totals: appraisal.YearlyTotals) -> Measures:
    undefined: dict[str, str] = {}
    public = float(m.pv_public_costs)
    base = public + float(m.pv_community_inputs)
    for name in ("bcr_public", "fiscal_roi", "economic_roi", "public_value_roi"):
        if np.isnan(getattr(m, name)):
            undefined[name] = _ratio_reason(public, "the PV of public costs")
    if np.isnan(m.bcr_public_and_community):
        undefined["bcr_public_and_community"] = _ratio_reason(
            base, "the PV of public costs plus community inputs"
        )
    if np.isnan(m.payback_year_offset):
        undefined["payback_year"] = (
            "there are no net flows"
            if not np.any(totals.d_net_social)
            else "cumulative discounted net benefit is still negative in the last year of the "
            "appraisal period"
        )
    if np.isnan(m.irr):
        changes = int(sign_changes(totals.net_social))
        undefined["irr"] = (
            "the net flows do not change sign, so there is no internal rate of return"
            if changes == 0
            else f"the net flows change sign {changes} times, so the IRR may not be unique"
            if changes > 1
            else "no real internal rate of return was found"
        )
    band = int(m.value_for_money_band)
    if band < 0:
        undefined["value_for_money"] = "the BCR over public costs is undefined"
    return Measures(
        pv_benefits=float(m.pv_benefits),
        pv_fiscal=float(m.pv_fiscal),
        pv_fiscal_cashable=float(m.pv_fiscal_cashable),
        pv_fiscal_non_cashable=float(m.pv_fiscal_non_cashable),
        pv_transfers=float(m.pv_transfers),
        pv_economic=float(m.pv_economic),
        pv_social=float(m.pv_social),
        pv_public_costs=public,
        pv_non_public_costs=float(m.pv_non_public_costs),
        pv_community_inputs=float(m.pv_community_inputs),
        npsv=float(m.npsv),
        npsv_excluding_community_inputs=float(m.npsv_excluding_community_inputs),
        bcr_public=_none_if_nan(float(m.bcr_public)),
        bcr_public_and_community=_none_if_nan(float(m.bcr_public_and_community)),
        fiscal_roi=_none_if_nan(float(m.fiscal_roi)),
        economic_roi=_none_if_nan(float(m.economic_roi)),
        public_value_roi=_none_if_nan(float(m.public_value_roi)),
        payback_year=None
        if np.isnan(m.payback_year_offset)
        else first_year + int(m.payback_year_offset),
        irr=_none_if_nan(float(m.irr)),
        equivalent_annual_net_benefit=float(m.equivalent_annual_net_benefit),
        value_for_money=DFT_VALUE_FOR_MONEY[band].name if band >= 0 else None,
        undefined=undefined,
    )


def _agencies(scenario: Scenario, m: appraisal.Measures) -> tuple[AgencyPosition, ...]:
    out = []
    for i, agency in enumerate(scenario.agencies):
        fiscal = float(m.pv_fiscal_by_agency[i])
        cashable = float(m.pv_fiscal_cashable_by_agency[i])
        out.append(
            AgencyPosition(
                agency_id=agency.id,
                name=agency.name,
                sector=agency.sector,
                pv_paid=float(m.pv_paid_by_agency[i]),
                pv_contributed=float(m.pv_contributed_by_agency[i]),
                pv_fiscal_gain=fiscal,
                pv_fiscal_cashable_gain=cashable,
                pv_other_gain=float(m.pv_other_by_agency[i]),
                net_position=float(m.net_by_agency[i]),
                fiscal_roi=_none_if_nan(float(m.fiscal_roi_by_agency[i])),
                roi=_none_if_nan(float(m.roi_by_agency[i])),
                cashable_share=cashable / fiscal if fiscal > 0 else None,
            )
        )
    return tuple(out)


def _yearly(totals: appraisal.YearlyTotals) -> YearlyFlows:
    return YearlyFlows(
        public_costs=_tuple(totals.public_costs),
        non_public_costs=_tuple(totals.non_public_costs),
        community_inputs=_tuple(totals.community_inputs),
        benefits=_tuple(totals.social_benefits),
        discounted_benefits=_tuple(totals.d_social_benefits),
        net=_tuple(totals.net_social),
        discounted_net=_tuple(totals.d_net_social),
        cumulative_discounted_net=_tuple(np.cumsum(totals.d_net_social)),
    )


def run(scenario: Scenario) -> Results:
    """Appraise every option of a validated scenario, gross and against the counterfactual.

    Parameters
    ----------
    scenario : Scenario
        From ``cba.load_scenario``.

    Returns
    -------
    Results
        Plain data: headline measures, positions by agency, line-by-line traces.
    """
    n_years = scenario.appraisal_period_years
    schedules = _Schedules(
        standard=_schedule_used(scenario.discounting.schedule, n_years),
        health=_schedule_used(scenario.discounting.health_schedule, n_years),
    )
    band_bounds = np.array([b.lower for b in DFT_VALUE_FOR_MONEY])
    band_inclusive = np.array([b.lower_inclusive for b in DFT_VALUE_FOR_MONEY])
    built = {}
    for option in scenario.options:
        arrays = _OptionArrays(scenario, option, schedules)
        built[option.id] = (arrays, *arrays.build())
    cf_totals = built[scenario.counterfactual][1]
    standard = np.array(schedules.standard.factors)
    health = np.array(schedules.health.factors)

    # The sweep module builds on this one; imported here to keep the import graph acyclic.
    from cba.scale_sweep import sweep_option

    options = []
    for option in scenario.options:
        arrays, totals, parts = built[option.id]
        incremental = totals - cf_totals
        gross_m = appraisal.measures(
            totals,
            standard,
            band_bounds,
            health_factors=health,
            band_lower_inclusive=band_inclusive,
        )
        inc_m = appraisal.measures(
            incremental,
            standard,
            band_bounds,
            health_factors=health,
            band_lower_inclusive=band_inclusive,
        )
        options.append(
            OptionResult(
                option_id=option.id,
                name=option.name,
                description=option.description,
                is_counterfactual=option.id == scenario.counterfactual,
                gross=_measures(gross_m, scenario.first_year, totals),
                incremental=_measures(inc_m, scenario.first_year, incremental),
                agencies_gross=_agencies(scenario, gross_m),
                agencies_incremental=_agencies(scenario, inc_m),
                costs=arrays.cost_results(parts),
                community_inputs=arrays.input_results(parts),
                benefits=arrays.benefit_results(parts),
                yearly=_yearly(totals),
                yearly_incremental=_yearly(incremental),
                non_monetised_impacts=tuple(option.non_monetised_impacts),
                scale=sweep_option(scenario, option.id)
                if option.scale is not None and option.scale.sweep is not None
                else None,
            )
        )

    caveats = ["DfT value-for-money band boundaries are flagged VERIFY (" + VFM_SOURCE + ")."]
    uses_grades = any(
        isinstance(line.optimism_bias, GradedCorrection)
        for option in scenario.options
        for line in option.costs
    ) or any(
        isinstance(line.optimism_bias, GradedCorrection)
        for option in scenario.options
        for line in option.benefits
    )
    if uses_grades and not scenario.confidence_grades.verified:
        caveats.append(
            f"Optimism bias uses the confidence-grade table '{scenario.confidence_grades.name}', "
            "which is not marked verified: " + scenario.confidence_grades.source
        )
    distinct = [schedules.standard]
    if schedules.health.label != schedules.standard.label:
        distinct.append(schedules.health)
    results = Results(
        scenario_id=scenario.id,
        title=scenario.title,
        description=scenario.description,
        scenario_language=scenario.cba_scenario,
        cba_version=__version__,
        currency=scenario.currency,
        price_base_year=scenario.price_base_year,
        first_year=scenario.first_year,
        years=tuple(range(scenario.first_year, scenario.last_year + 1)),
        counterfactual=scenario.counterfactual,
        schedules=tuple(distinct),
        standard_schedule=schedules.standard.label,
        health_schedule=schedules.health.label,
        confidence_grades=dict(scenario.confidence_grades.corrections),
        confidence_grades_source=scenario.confidence_grades.source,
        value_for_money_bands=tuple(
            Band(
                b.name,
                None if np.isinf(b.lower) else b.lower,
                None if np.isinf(b.upper) else b.upper,
                lower_inclusive=b.lower_inclusive,
                upper_inclusive=k + 1 < len(DFT_VALUE_FOR_MONEY)
                and not DFT_VALUE_FOR_MONEY[k + 1].lower_inclusive,
            )
            for k, b in enumerate(DFT_VALUE_FOR_MONEY)
        ),
        value_for_money_source=VFM_SOURCE,
        conventions=CONVENTIONS,
        caveats=tuple(caveats),
        options=tuple(options),
    )
    where = first_non_finite(results)
    if where is not None:
        raise NonFiniteResultError(
            f"{scenario.id}: the figure {where} is not a finite number: the scenario's amounts, "
            "counts or factors are too large or too small to compute with. Check the units of "
            "the inputs behind it; nothing was written"
        )
    return results


class NonFiniteResultError(ValueError):
    """A figure overflowed to infinity or became NaN: never written to any output."""


def first_non_finite(value: object, path: str = "") -> str | None:
    """The path of the first float in ``value`` (a Results tree of dataclasses, tuples and
    dicts) that is infinite or NaN, or None when every float is finite. Undefined figures are
    None, never NaN, so any NaN here is a computation that went wrong."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path or "value"
    if is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            found = first_non_finite(getattr(value, field.name), f"{path}.{field.name}")
            if found is not None:
                return found
        return None
    if isinstance(value, tuple):
        for index, item in enumerate(value):
            label = getattr(item, "option_id", None) or getattr(item, "line_id", None)
            found = first_non_finite(item, f"{path}[{label if label else index}]")
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = first_non_finite(item, f"{path}[{key}]")
            if found is not None:
                return found
    return None
