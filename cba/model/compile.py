"""The compiled model of a scenario: each option's line arrays, ready for the engine.

A scenario compiles here into typed arrays (cost, community-input and benefit-component flows by
line and year, line-to-agency shares, discount factors) that the engine functions in
``cba.engine`` evaluate. The single run (``cba.pipeline``) and the scale sweep
(``cba.scale_sweep``) both build on this module and on nothing private of each other.

Shapes: ``(L, T)`` for L lines over T year offsets; money in real GBP at the price base year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba.engine import appraisal
from cba.engine.additionality import CHAIN_STEPS, benefit_chain, gross_outcomes
from cba.engine.discounting import discount_factors, present_value, rates_by_year
from cba.engine.profiles import active_years, drop_off_profile
from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.reference.optimism_bias import mott_macdonald_2002
from cba.results import (
    BenefitLineResult,
    ChainStep,
    CommunityInputResult,
    CostLineResult,
    ScheduleUsed,
    ValueComponentResult,
)
from cba.spec.benefits import BenefitLine, FiscalValue
from cba.spec.community import InKindInput, TimeInput
from cba.spec.costs import CostLine
from cba.spec.discounting import ConstantRate, CustomBands, Schedule
from cba.spec.optimism import GradedCorrection, MottMacDonaldUplift, UpperBoundUplift
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
    varying: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] = ((), (), ())
    """With ``parts(only_varying=True)``: the cost lines, community inputs and benefit values
    (indices) that read a value the evaluation sets; ``engine_inputs`` then holds only those."""


ROW_AXIS_KEYS = (
    "cost_flows",
    "cost_factors",
    "input_flows",
    "input_factors",
    "value_flows",
    "value_factors",
)
"""Engine inputs whose line axis is the second to last (``(..., L, T)``); the others that are
per line have it first."""

PER_LINE = {
    "cost_flows": 0,
    "cost_factors": 0,
    "cost_shares": 0,
    "input_flows": 1,
    "input_factors": 1,
    "input_contributors": 1,
    "value_flows": 2,
    "value_factors": 2,
    "value_types": 2,
    "value_agencies": 2,
    "value_cashable": 2,
    "value_transfer": 2,
    "value_health": 2,
}
"""Per-line engine inputs and which kind of line they index (0 costs, 1 inputs, 2 values)."""


def select_lines(
    engine_inputs: dict[str, Any], varying: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]
) -> dict[str, Any]:
    """The engine inputs of some lines only (``varying``: cost, input and value indices)."""
    out: dict[str, Any] = {}
    for key, array in engine_inputs.items():
        kind = PER_LINE.get(key)
        if kind is None:
            out[key] = array
            continue
        index = np.array(varying[kind], dtype=np.int64)
        axis = -2 if key in ROW_AXIS_KEYS else 0
        out[key] = np.take(array, index, axis=axis)
    return out


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


def stack_rows(rows: list[Any], n_years: int, lead: tuple[int, ...]) -> FloatArray:
    """Line rows, each ``(T,)`` or ``(*lead, T)``, stacked to ``(*lead, L, T)``."""
    if not rows:
        return np.zeros((*lead, 0, n_years))
    return np.stack([np.broadcast_to(row, (*lead, n_years)) for row in rows], axis=-2)


def column(value: Any) -> Any:
    """A value of shape ``lead`` (or a number) with a trailing axis, to multiply ``(T,)``
    year rows; a number stays a number."""
    return value[..., np.newaxis] if isinstance(value, np.ndarray) else value


class OptionModel:
    """The engine inputs of one option, and what is needed to label them.

    Every number the engine inputs are built from is read through ``value(path, default)``:
    with ``values`` (parameter path -> array of shape ``lead``), the option's line arrays get
    the leading axes ``lead``, one evaluation per index; without, they are exactly the single
    run's. ``paths_read`` records every parameter path read, in order (the inputs an
    evaluation can vary).
    """

    def __init__(
        self,
        scenario: Scenario,
        option: Option,
        schedules: Schedules,
        values: Mapping[str, Any] | None = None,
        lead: tuple[int, ...] = (),
        factors: tuple[FloatArray, FloatArray] | None = None,
    ) -> None:
        self.scenario = scenario
        self.option = option
        self.n_years = scenario.appraisal_period_years
        self.agency_ids = [a.id for a in scenario.agencies]
        self.agency_index = {a: i for i, a in enumerate(self.agency_ids)}
        if factors is None:
            self.standard = np.array(schedules.standard.factors)
            self.health = np.array(schedules.health.factors)
        else:
            self.standard, self.health = factors
        self.schedules = schedules
        self.values: Mapping[str, Any] = values or {}
        self.lead = lead
        self.paths_read: dict[str, None] = {}
        self.prefix = f"options.{option.id}"
        self.touched = False
        """Set when a value the evaluation sets is read (``parts`` tracks it line by line)."""

    def value(self, path: str, default: Any) -> Any:
        """The value of the input at ``path``: the evaluation's array, or ``default``."""
        self.paths_read[path] = None
        if path in self.values:
            self.touched = True
            return self.values[path]
        return default

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

    def graded(self, ob: GradedCorrection) -> tuple[Any, str]:
        """Correction read from the scenario's confidence-grade table, and its basis."""
        table = self.scenario.confidence_grades
        grade = ob.confidence_grade
        correction = self.value(f"confidence_grades.corrections.{grade}", table.corrections[grade])
        return correction, (f"confidence grade {ob.confidence_grade} ({table.name} table)")

    # --- costs ------------------------------------------------------------------------------
    def cost_uplift(self, line: CostLine) -> tuple[Any, str]:
        ob = line.optimism_bias
        path = f"{self.prefix}.costs.{line.id}.optimism_bias"
        if isinstance(ob, MottMacDonaldUplift):
            category = mott_macdonald_2002()[ob.category]
            mitigation = self.value(f"{path}.mitigation", ob.mitigation)
            uplift = category.upper_bound * (1.0 - mitigation)
            return uplift, (
                f"Mott MacDonald (2002) {ob.category}: upper bound {category.upper_bound:g} x "
                f"(1 - mitigation {ob.mitigation:g})"
            )
        if isinstance(ob, UpperBoundUplift):
            bound = self.value(f"{path}.upper_bound", ob.upper_bound)
            mitigation = self.value(f"{path}.mitigation", ob.mitigation)
            return bound * (1.0 - mitigation), (
                f"upper bound {ob.upper_bound:g} given in the scenario x "
                f"(1 - mitigation {ob.mitigation:g})"
            )
        if isinstance(ob, GradedCorrection):
            return self.graded(ob)
        return self.value(path, float(ob)), "uplift given in the scenario"

    def years(self, path: str, start: int | None, end: int | None) -> tuple[Any, Any]:
        """First and last active year offsets of a line (start_year and end_year at ``path``)."""
        first = self.scenario.first_year
        start_year = start if start is None else self.value(f"{path}.start_year", start)
        end_year = end if end is None else self.value(f"{path}.end_year", end)
        return (
            0 if start_year is None else start_year - first,
            self.n_years - 1 if end_year is None else end_year - first,
        )

    def cost_base_flows(self, line: CostLine) -> FloatArray:
        path = f"{self.prefix}.costs.{line.id}"
        if line.series is not None:
            flows = np.zeros((*self.lead, self.n_years))
            for year, amount in line.series.items():
                flows[..., year - self.scenario.first_year] = self.value(
                    f"{path}.series.{year}", amount
                )
        else:
            start, end = self.years(path, line.start_year, line.end_year)
            amount = self.value(f"{path}.amount_per_year", float(line.amount_per_year or 0.0))
            flows = column(amount) * active_years(start, end, self.n_years)
        return flows * self.rebase(line.price_year)

    def shares(self, line: CostLine) -> dict[str, float]:
        return {line.paid_by: 1.0} if isinstance(line.paid_by, str) else dict(line.paid_by)

    # --- benefits ---------------------------------------------------------------------------
    def benefit_reduction(self, line: BenefitLine) -> tuple[Any, str]:
        ob = line.optimism_bias
        if isinstance(ob, GradedCorrection):
            return self.graded(ob)
        path = f"{self.prefix}.benefits.{line.id}.optimism_bias"
        return self.value(path, float(ob)), "reduction given in the scenario"

    def benefit_profile(self, line: BenefitLine) -> FloatArray:
        """Share of the line's gross outcomes a year that remains in each year (drop-off and
        timing), shape ``(*lead, T)``. With ``outcomes_series`` the gross outcomes are already
        by year, so the profile is 1 from the series' first to its last year (times the
        drop-off, which validation holds at 0 for a series)."""
        path = f"{self.prefix}.benefits.{line.id}"
        drop_off = self.value(f"{path}.drop_off", line.drop_off)
        if line.outcomes_series is not None:
            years = sorted(line.outcomes_series)
            first = self.scenario.first_year
            return drop_off_profile(years[0] - first, years[-1] - first, drop_off, self.n_years)
        start, _ = self.years(path, line.start_year, None)
        duration = (
            None
            if line.duration_years is None
            else self.value(f"{path}.duration_years", line.duration_years)
        )
        end = self.n_years - 1 if duration is None else start + duration - 1
        return drop_off_profile(start, end, drop_off, self.n_years)

    def gross(self, line: BenefitLine) -> FloatArray:
        """Gross outcomes a year [outcomes per year]: shape ``lead``, or ``(*lead, T)`` by year
        for a line with ``outcomes_series`` (years it does not list have none)."""
        path = f"{self.prefix}.benefits.{line.id}"
        if line.outcomes_series is not None:
            by_year = np.zeros((*self.lead, self.n_years))
            for year, count in line.outcomes_series.items():
                by_year[..., year - self.scenario.first_year] = self.value(
                    f"{path}.outcomes_series.{year}", count
                )
            return by_year
        if line.outcomes is not None:
            o = line.outcomes
            return gross_outcomes(
                self.value(f"{path}.outcomes.cohort", o.cohort),
                self.value(f"{path}.outcomes.engagement_rate", o.engagement_rate),
                self.value(f"{path}.outcomes.success_rate", o.success_rate),
            )
        count = self.value(f"{path}.outcomes_per_year", float(line.outcomes_per_year or 0.0))
        return gross_outcomes(count, 1.0, 1.0)

    def unit_amount(self, line: BenefitLine, k: int) -> Any:
        """Value of one outcome of the line's ``k``-th unit value [GBP per outcome, its price
        year]: shape ``lead`` with a trailing axis for one amount, ``(*lead, T)`` for
        ``amount_series`` (years it does not give are 0; validation requires every year the
        line has outcomes)."""
        value = line.unit_values[k]
        path = f"{self.prefix}.benefits.{line.id}.unit_values.{k}"
        if value.amount_series is not None:
            by_year = np.zeros((*self.lead, self.n_years))
            first, last = self.scenario.first_year, self.scenario.last_year
            for year, amount in value.amount_series.items():
                if first <= year <= last:
                    by_year[..., year - first] = self.value(f"{path}.amount_series.{year}", amount)
            return by_year
        return column(self.value(f"{path}.amount", float(value.amount or 0.0)))

    def net_outcomes(self, line: BenefitLine, chain: FloatArray) -> FloatArray:
        """Net outcomes by year [outcomes per year], shape ``(*lead, T)``: the chain's last
        step times the line's year profile."""
        last = chain[-1] if line.outcomes_series is not None else column(chain[-1])
        return np.asarray(last * self.benefit_profile(line), dtype=np.float64)

    def chain(self, line: BenefitLine) -> FloatArray:
        """The line's benefit chain ``(8, *lead)`` (``CHAIN_STEPS``); ``(8, *lead, T)`` by year
        for a line with ``outcomes_series``."""
        path = f"{self.prefix}.benefits.{line.id}"
        reduction, _ = self.benefit_reduction(line)
        share = {
            name: self.value(f"{path}.{name}", getattr(line, name))
            for name in (
                "deadweight",
                "displacement",
                "leakage",
                "substitution",
                "attribution",
                "multiplier",
            )
        }
        # By year, each fraction (shape ``lead``) meets the year axis as a column.
        by_year = column if line.outcomes_series is not None else (lambda x: x)
        return benefit_chain(
            self.gross(line),
            by_year(share["deadweight"]),
            by_year(share["displacement"]),
            by_year(share["leakage"]),
            by_year(share["substitution"]),
            by_year(share["attribution"]),
            by_year(share["multiplier"]),
            by_year(reduction),
        )

    def per_year(self, item: TimeInput | InKindInput) -> Any:
        """Value of a community input in each active year [GBP per year] (shape ``lead``)."""
        path = f"{self.prefix}.community_inputs.{item.id}"
        if isinstance(item, InKindInput):
            return self.value(f"{path}.value_per_year", item.value_per_year)
        if item.hours_per_year is not None:
            hours = self.value(f"{path}.hours_per_year", item.hours_per_year)
        else:
            hours = self.value(f"{path}.volunteers", float(item.volunteers or 0.0)) * self.value(
                f"{path}.hours_per_volunteer", float(item.hours_per_volunteer or 0.0)
            )
        return hours * self.value(f"{path}.value_per_hour", item.value_per_hour)

    def tax_burden_uplift(self) -> Any:
        """The marginal excess tax burden on this option [fraction of net public cost]: the
        scenario's uplift where it names the option, else 0 (docs/methods.md §19)."""
        burden = self.scenario.marginal_excess_tax_burden
        if burden is None or not burden.applies_to(self.option.id):
            return 0.0
        return self.value("marginal_excess_tax_burden.uplift", burden.uplift)

    # --- assembly ---------------------------------------------------------------------------
    def build(self) -> tuple[appraisal.YearlyTotals, LineArrays]:
        """The option's yearly totals and the arrays behind them."""
        parts = self.parts()
        return appraisal.yearly_totals(**parts.engine_inputs), parts

    def parts(self, only_varying: bool = False) -> LineArrays:
        """The option's line arrays, ready for the engine (no totals computed).

        With ``only_varying``, ``engine_inputs`` holds only the lines that read a value the
        evaluation sets (``LineArrays.varying`` says which): the others are the same at every
        setting, so an evaluation takes their totals from the base run instead of copying them
        to every setting.
        """
        option = self.option
        n_agencies = len(self.agency_ids)
        public = np.array([a.sector == "public" for a in self.scenario.agencies])

        lead, n_years = self.lead, self.n_years
        cost_base: list[FloatArray] = []
        uplifts: list[tuple[Any, str]] = []
        cost_touched: list[bool] = []
        for line in option.costs:
            self.touched = False
            cost_base.append(self.cost_base_flows(line))
            uplifts.append(self.cost_uplift(line))
            cost_touched.append(self.touched)
        cost_rows = [b * (1.0 + column(u[0])) for b, u in zip(cost_base, uplifts, strict=True)]
        shares = np.zeros((len(option.costs), n_agencies))
        for i, line in enumerate(option.costs):
            for agency, share in self.shares(line).items():
                shares[i, self.agency_index[agency]] = share

        input_rows = []
        input_touched: list[bool] = []
        contributors = np.zeros((len(option.community_inputs), n_agencies))
        for i, item in enumerate(option.community_inputs):
            self.touched = False
            path = f"{self.prefix}.community_inputs.{item.id}"
            start, end = self.years(path, item.start_year, item.end_year)
            input_rows.append(
                column(self.per_year(item) * self.rebase(item.price_year))
                * active_years(start, end, n_years)
            )
            input_touched.append(self.touched)
            contributors[i] = self.one_hot(item.contributed_by)

        chains: list[tuple[FloatArray, FloatArray]] = []
        value_rows: list[FloatArray] = []
        value_factor_rows: list[FloatArray] = []
        value_touched: list[bool] = []
        types: list[int] = []
        agencies: list[FloatArray] = []
        cashable: list[bool] = []
        transfer: list[bool] = []
        health: list[bool] = []
        value_lines: list[int] = []
        for line_index, benefit in enumerate(option.benefits):
            self.touched = False
            chain = self.chain(benefit)
            net = self.net_outcomes(benefit, chain)
            line_touched = self.touched
            chains.append((chain, net))
            rebase = self.rebase(benefit.price_year)
            factors = self.health if benefit.health else self.standard
            for k, value in enumerate(benefit.unit_values):
                self.touched = False
                value_rows.append(net * self.unit_amount(benefit, k) * rebase)
                value_touched.append(line_touched or self.touched)
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

        def kept(flags: list[bool]) -> tuple[int, ...]:
            return tuple(i for i, f in enumerate(flags) if f or not only_varying)

        varying = (kept(cost_touched), kept(input_touched), kept(value_touched))
        costs_kept, inputs_kept, values_kept = (list(v) for v in varying)
        cost_flows = stack_rows([cost_rows[i] for i in costs_kept], n_years, lead)
        input_flows = stack_rows([input_rows[i] for i in inputs_kept], n_years, lead)
        n_values = len(values_kept)
        factor_lead = np.broadcast_shapes(self.standard.shape[:-1], self.health.shape[:-1])
        inputs: dict[str, Any] = {
            "cost_flows": cost_flows,
            "cost_factors": np.broadcast_to(
                self.standard[..., np.newaxis, :],
                (*self.standard.shape[:-1], len(costs_kept), n_years),
            ),
            "cost_shares": shares[costs_kept],
            "public_agencies": public,
            "input_flows": input_flows,
            "input_factors": np.broadcast_to(
                self.standard[..., np.newaxis, :],
                (*self.standard.shape[:-1], len(inputs_kept), n_years),
            ),
            "input_contributors": contributors[inputs_kept],
            "value_flows": stack_rows([value_rows[i] for i in values_kept], n_years, lead),
            "value_factors": stack_rows(
                [value_factor_rows[i] for i in values_kept], n_years, factor_lead
            ),
            "value_types": np.array([types[i] for i in values_kept], dtype=np.int64),
            "value_agencies": np.array([agencies[i] for i in values_kept]).reshape(
                n_values, n_agencies
            ),
            "value_cashable": np.array([cashable[i] for i in values_kept], dtype=bool),
            "value_transfer": np.array([transfer[i] for i in values_kept], dtype=bool),
            "value_health": np.array([health[i] for i in values_kept], dtype=bool),
            "tax_burden_uplift": self.tax_burden_uplift(),
        }
        return LineArrays(
            cost_base,
            uplifts,
            cost_flows,
            input_flows,
            chains,
            value_rows,
            value_lines,
            inputs,
            varying if only_varying else ((), (), ()),
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
                income_group=line.income_group,
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
            counted_values = [
                k
                for k, v in enumerate(line.unit_values)
                if not (isinstance(v, FiscalValue) and v.transfer)
            ]
            counted: Any
            if any(v.amount_series is not None for v in line.unit_values):
                counted = (
                    sum((self.unit_amount(line, k) for k in counted_values), np.zeros(self.n_years))
                    * rebase
                )
            else:
                counted = sum(float(line.unit_values[k].amount or 0.0) for k in counted_values)
                counted = counted * rebase
            by_year = line.outcomes_series is not None
            first = first_active(chain[0] * profile) if by_year else 0
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
                    outcomes_first_year=float(chain[k][first] if by_year else chain[k]),
                    outcomes_total=float(np.sum(chain[k] * profile)),
                    pv=float(present_value(chain[k] * profile * counted, factors)),
                )
                for k, name in enumerate(CHAIN_STEPS)
            )
            components = []
            for k, value in enumerate(line.unit_values):
                flows = value_rows[row]
                row += 1
                by_year_amounts = None
                if value.amount_series is not None:
                    by_year_amounts = as_tuple(self.unit_amount(line, k) * rebase)
                    start = int(np.argmax(profile > 0)) if np.any(profile > 0) else 0
                    at = first if by_year else start
                    if by_year and not np.any(chain[0] * profile > 0):
                        # No year has outcomes: the value in the first year the series gives.
                        given = np.flatnonzero(np.asarray(by_year_amounts) != 0.0)
                        at = int(given[0]) if given.size else 0
                    amount = by_year_amounts[at]
                else:
                    amount = float(value.amount or 0.0) * rebase
                components.append(
                    ValueComponentResult(
                        value_type=value.value_type,
                        amount_per_outcome=amount,
                        amounts_by_year=by_year_amounts,
                        agency=value.agency
                        if isinstance(value, FiscalValue)
                        else value.beneficiary,
                        cashable=value.cashable if isinstance(value, FiscalValue) else False,
                        transfer=value.transfer if isinstance(value, FiscalValue) else False,
                        flows=as_tuple(flows),
                        pv=float(present_value(flows, factors)),
                        source=value.source,
                        income_group=value.income_group or line.income_group,
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
                    income_group=line.income_group,
                )
            )
        return tuple(out)


def first_active(gross_by_year: FloatArray) -> int:
    """Year offset of a line's first year with outcomes (the first with gross outcomes above 0;
    0 when there are none), shape ``(T,)`` in."""
    positive = np.flatnonzero(gross_by_year > 0)
    return int(positive[0]) if positive.size else 0


def compile_schedules(scenario: Scenario) -> Schedules:
    """The standard and health schedules of a scenario over its appraisal period."""
    n_years = scenario.appraisal_period_years
    return Schedules(
        standard=schedule_used(scenario.discounting.schedule, n_years),
        health=schedule_used(scenario.discounting.health_schedule, n_years),
    )
