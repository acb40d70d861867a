"""The compiled model of a scenario: each option's line arrays, ready for the engine.

A scenario compiles here into typed arrays (cost, community-input and benefit-component flows by
line and year, line-to-agency shares, discount factors) that the engine functions in
``cba.engine`` evaluate. The single run (``cba.pipeline``) and the scale sweep
(``cba.scale_sweep``) both build on this module and on nothing private of each other.

Shapes: ``(L, T)`` for L lines over T year offsets; money in real GBP at the price base year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba.engine import appraisal
from cba.engine.additionality import CHAIN_STEPS, benefit_chain, gross_outcomes
from cba.engine.discounting import discount_factors, present_value, rates_by_year
from cba.engine.profiles import active_years, drop_off_profile
from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.reference.optimism_bias import MOTT_MACDONALD_2002
from cba.results import (
    BenefitLineResult,
    ChainStep,
    CommunityInputResult,
    CostLineResult,
    ScheduleUsed,
    ValueComponentResult,
)
from cba.spec.benefits import BenefitLine, FiscalValue
from cba.spec.community import TimeInput
from cba.spec.costs import CostLine
from cba.spec.discounting import ConstantRate, CustomBands, Schedule
from cba.spec.optimism import GradedCorrection, MottMacDonaldUplift
from cba.spec.scenario import Option, Scenario

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class LineArrays:
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
class Schedules:
    standard: ScheduleUsed
    health: ScheduleUsed


def schedule_used(spec: Schedule, n_years: int) -> ScheduleUsed:
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


def as_tuple(values: FloatArray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def none_if_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


class OptionModel:
    """The engine inputs of one option, and what is needed to label them."""

    def __init__(self, scenario: Scenario, option: Option, schedules: Schedules) -> None:
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
    def build(self) -> tuple[appraisal.YearlyTotals, LineArrays]:
        """The option's yearly totals and the arrays behind them."""
        parts = self.parts()
        return appraisal.yearly_totals(**parts.engine_inputs), parts

    def parts(self) -> LineArrays:
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
        return LineArrays(
            cost_base, uplifts, cost_flows, input_flows, chains, value_rows, value_lines, inputs
        )

    # --- labelling --------------------------------------------------------------------------
    def cost_results(self, parts: LineArrays) -> tuple[CostLineResult, ...]:
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
                flows_before_optimism_bias=as_tuple(cost_base[i]),
                flows=as_tuple(cost_flows[i]),
                pv=float(present_value(cost_flows[i], self.standard)),
                source=line.source,
            )
            for i, line in enumerate(self.option.costs)
        )

    def input_results(self, parts: LineArrays) -> tuple[CommunityInputResult, ...]:
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
                    flows=as_tuple(flows[i]),
                    pv=float(present_value(flows[i], self.standard)),
                    source=item.source,
                )
            )
        return tuple(out)

    def benefit_results(self, parts: LineArrays) -> tuple[BenefitLineResult, ...]:
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
                        flows=as_tuple(flows),
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
                    net_outcomes=as_tuple(net),
                    components=tuple(components),
                    pv=steps[-1].pv,
                    source=line.source,
                )
            )
        return tuple(out)


def compile_schedules(scenario: Scenario) -> Schedules:
    """The standard and health schedules of a scenario over its appraisal period."""
    n_years = scenario.appraisal_period_years
    return Schedules(
        standard=schedule_used(scenario.discounting.schedule, n_years),
        health=schedule_used(scenario.discounting.health_schedule, n_years),
    )
