"""The SROI view of an appraisal: the same ledger as the Green Book figures, on the SROI guide's
conventions (Cabinet Office / SROI Network, *A guide to Social Return on Investment*, 2012,
stage 5; docs/sroi.md).

Wiring only: yearly flows come from the compiled scenario (``CompiledScenario.base_totals``
and each option's engine inputs), every number from ``cba.engine.sroi``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba.engine import sroi as engine
from cba.engine.discounting import rates_by_year
from cba.model.compile import as_tuple, none_if_nan
from cba.model.evaluation import CompiledScenario
from cba.results import SroiFigures, SroiView

FloatArray = NDArray[np.float64]

END_OF_YEAR = (
    "SROI guide convention: each year's benefits are discounted as at the end of the year, "
    "with the factor of the year after (the first year by one year, value / (1 + r)); inputs "
    "are valued at the start of each year (the first year's not discounted)."
)
START_OF_YEAR = (
    "Green Book timing: each year's benefits and inputs are discounted as at the start of the "
    "year (the first year's not discounted)."
)


def _benefits_by_schedule(engine_inputs: dict[str, Any]) -> tuple[FloatArray, FloatArray]:
    """Benefits counted in PVB by year [GBP per year], on the standard and on the health
    schedule: every value component that is not a transfer."""
    flows = np.asarray(engine_inputs["value_flows"], dtype=np.float64)
    counted = ~np.asarray(engine_inputs["value_transfer"], dtype=bool)
    health = np.asarray(engine_inputs["value_health"], dtype=bool)
    standard = np.sum(flows[..., np.flatnonzero(counted & ~health), :], axis=-2)
    on_health = np.sum(flows[..., np.flatnonzero(counted & health), :], axis=-2)
    return standard, on_health


def next_rates(bands: tuple[tuple[int, float], ...], n_years: int) -> FloatArray:
    """``r_(t+1)`` for t = 0 .. T-1 [fraction per year]: each year's following year's rate,
    the last from the band the year after the appraisal period falls in."""
    rates = rates_by_year([b[0] for b in bands], [b[1] for b in bands], n_years + 1)
    return np.asarray(rates[1:], dtype=np.float64)


def _reason(value_of_inputs: float) -> str:
    if value_of_inputs == 0.0:
        return "the value of the inputs is zero, so the ratio is undefined"
    return (
        "the value of the inputs is negative (the option uses fewer resources than the "
        "counterfactual), so the ratio is not meaningful; judge the option by its net present "
        "value"
    )


def sroi_view(compiled: CompiledScenario) -> SroiView:
    """Every option's SROI ratio and net SROI ratio, gross and against the counterfactual.

    Parameters
    ----------
    compiled : CompiledScenario
        The scenario compiled once (``cba.run`` passes its own).

    Returns
    -------
    SroiView
        Money in real GBP at the price base year, present values at year offset 0; ratios.
    """
    scenario = compiled.scenario
    settings = scenario.sroi
    standard, health = compiled.schedules.standard, compiled.schedules.health
    n_years = scenario.appraisal_period_years
    d_standard, r_standard = np.array(standard.factors), next_rates(standard.bands, n_years)
    d_health, r_health = np.array(health.factors), next_rates(health.bands, n_years)
    first = settings.discount_first_year
    totals = compiled.base_totals()

    flows: dict[str, tuple[FloatArray, ...]] = {}
    for option in scenario.options:
        own = totals[option.id]
        on_standard, on_health = _benefits_by_schedule(compiled.base_parts[option.id].engine_inputs)
        flows[option.id] = (
            on_standard,
            on_health,
            np.asarray(own.public_costs),
            np.asarray(own.non_public_costs),
            np.asarray(own.community_inputs),
        )

    def figures(option_id: str, name: str, basis: str) -> SroiFigures:
        if basis == "incremental":
            cf = flows[scenario.counterfactual]
            parts = tuple(a - b for a, b in zip(flows[option_id], cf, strict=True))
        else:
            parts = flows[option_id]
        found = engine.sroi_figures(
            benefits_standard=parts[0],
            benefits_health=parts[1],
            public_costs=parts[2],
            non_public_costs=parts[3],
            community_inputs=parts[4],
            standard_factors=d_standard,
            standard_next_rates=r_standard,
            health_factors=d_health,
            health_next_rates=r_health,
            discount_first_year=first,
        )
        inputs = float(found.value_of_inputs)
        undefined = {}
        for key in ("ratio", "net_ratio"):
            if np.isnan(getattr(found, key)):
                undefined[key] = _reason(inputs)
        return SroiFigures(
            option_id=option_id,
            name=name,
            basis=basis,
            pv_benefits=float(found.pv_benefits),
            pv_public_costs=float(found.pv_public_costs),
            pv_non_public_costs=float(found.pv_non_public_costs),
            pv_community_inputs=float(found.pv_community_inputs),
            value_of_inputs=inputs,
            net_present_value=float(found.net_present_value),
            ratio=none_if_nan(float(found.ratio)),
            net_ratio=none_if_nan(float(found.net_ratio)),
            benefits_standard=as_tuple(parts[0]),
            benefits_health=as_tuple(parts[1]),
            public_costs=as_tuple(parts[2]),
            non_public_costs=as_tuple(parts[3]),
            community_inputs=as_tuple(parts[4]),
            undefined=undefined,
        )

    return SroiView(
        discount_first_year=first,
        convention=END_OF_YEAR if first else START_OF_YEAR,
        source=settings.source,
        standard_schedule=standard.label,
        health_schedule=health.label,
        benefit_factors_standard=as_tuple(engine.benefit_factors(d_standard, r_standard, first)),
        next_rates_standard=as_tuple(r_standard),
        next_rates_health=as_tuple(r_health),
        benefit_factors_health=as_tuple(engine.benefit_factors(d_health, r_health, first)),
        input_factors=as_tuple(d_standard),
        incremental=tuple(
            figures(o.id, o.name, "incremental")
            for o in scenario.options
            if o.id != scenario.counterfactual
        ),
        gross=tuple(figures(o.id, o.name, "gross") for o in scenario.options),
    )
