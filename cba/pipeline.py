"""The only orchestrator: validated scenario -> engine arrays -> Results.

Wiring only: every number is computed by a function in ``cba.engine``. This module resolves
names (schedules, agencies, grade tables) into arrays, calls the engine, and labels the output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba import __version__
from cba.distribution import distributional_view
from cba.engine import appraisal
from cba.engine.metrics import sign_changes
from cba.map_results import MapAppraisal
from cba.model.compile import as_tuple, none_if_nan
from cba.model.evaluation import CompiledScenario
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY, VFM_SOURCE
from cba.results import (
    AgencyPosition,
    Band,
    Measures,
    OptionResult,
    Results,
    TaxBurdenUsed,
    YearlyFlows,
)
from cba.scale_sweep import sweep_option
from cba.sensitivity import analyse
from cba.spec.optimism import GradedCorrection
from cba.spec.scenario import Scenario
from cba.sroi import sroi_view
from cba.uncertainty import simulate

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


def _tax_burden_convention(scenario: Scenario) -> str:
    """How the costs of raising public funds are treated in this run (docs/methods.md §19)."""
    burden = scenario.marginal_excess_tax_burden
    if burden is None:
        return (
            "Costs of raising public funds (marginal excess tax burden) are not included, as the "
            "2026 Green Book advises for all but private finance model options (chapter 6)."
        )
    named = (
        "every option"
        if burden.options == "all"
        else "option" + ("s " if len(burden.options) > 1 else " ") + ", ".join(burden.options)
    )
    return (
        f"A marginal excess tax burden of {burden.uplift:.0%} of net public cost (public costs "
        f"less cashable fiscal savings, year by year) is added to {named}: a cost no agency "
        "pays, taken from benefits in the NPSV and in the BCR numerators like non-public "
        "costs, and left out of the SROI view. The 2026 Green Book advises against including "
        f"it for all but private finance model options; the scenario's reason: {burden.why}"
    )


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
        pv_marginal_excess_tax_burden=float(m.pv_marginal_excess_tax_burden),
        npsv=float(m.npsv),
        npsv_excluding_community_inputs=float(m.npsv_excluding_community_inputs),
        bcr_public=none_if_nan(float(m.bcr_public)),
        bcr_public_and_community=none_if_nan(float(m.bcr_public_and_community)),
        fiscal_roi=none_if_nan(float(m.fiscal_roi)),
        economic_roi=none_if_nan(float(m.economic_roi)),
        public_value_roi=none_if_nan(float(m.public_value_roi)),
        payback_year=None
        if np.isnan(m.payback_year_offset)
        else first_year + int(m.payback_year_offset),
        irr=none_if_nan(float(m.irr)),
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
                fiscal_roi=none_if_nan(float(m.fiscal_roi_by_agency[i])),
                roi=none_if_nan(float(m.roi_by_agency[i])),
                cashable_share=cashable / fiscal if fiscal > 0 else None,
            )
        )
    return tuple(out)


def _yearly(totals: appraisal.YearlyTotals) -> YearlyFlows:
    return YearlyFlows(
        public_costs=as_tuple(totals.public_costs),
        non_public_costs=as_tuple(totals.non_public_costs),
        community_inputs=as_tuple(totals.community_inputs),
        marginal_excess_tax_burden=as_tuple(totals.tax_burden),
        discounted_marginal_excess_tax_burden=as_tuple(totals.d_tax_burden),
        benefits=as_tuple(totals.social_benefits),
        discounted_benefits=as_tuple(totals.d_social_benefits),
        net=as_tuple(totals.net_social),
        discounted_net=as_tuple(totals.d_net_social),
        cumulative_discounted_net=as_tuple(np.cumsum(totals.d_net_social)),
    )


def _written(value: Any) -> str:
    """A value as it would be written in the scenario file."""
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return f"{value:.1f}"
    return str(value)


def run(
    scenario: Scenario,
    *,
    variant: Mapping[str, Any] | None = None,
    sensitivity: bool = True,
    uncertainty: bool = True,
    draws: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Results:
    """Appraise every option of a validated scenario, gross and against the counterfactual,
    with its sensitivity analysis (switching values, tornado, one-way and rate tests).

    Parameters
    ----------
    scenario : Scenario
        From ``cba.load_scenario``, or ``cba.with_values`` for a variant.
    variant : mapping of parameter path to value, optional
        The values ``scenario`` was changed by (``cba run --set``), recorded in the results
        so every output says it is a variant; nothing is changed here.
    sensitivity : bool
        Also run the sensitivity analysis (default). False leaves ``Results.sensitivity``
        None: the figures a loop of many runs needs, without the tests of each.
    uncertainty : bool
        Run the Monte Carlo simulation when the scenario declares uncertain inputs (default).
    draws, seed : int, optional
        Override the scenario's ``monte_carlo`` block.
    progress : callable, optional
        Called as ``progress(done, total)`` with the Monte Carlo draws evaluated so far.

    Returns
    -------
    Results
        Plain data: headline measures, positions by agency, line-by-line traces.
    """
    compiled = CompiledScenario(scenario)
    schedules = compiled.schedules
    evaluation = compiled.evaluate(with_irr=True)
    tested = analyse(compiled) if sensitivity else None
    simulated = (
        simulate(compiled, draws=draws, seed=seed, progress=progress) if uncertainty else None
    )
    cf_totals = evaluation.options[scenario.counterfactual].totals

    options = []
    for option in scenario.options:
        arrays = compiled.base_models[option.id]
        parts = compiled.base_parts[option.id]
        evaluated = evaluation.options[option.id]
        totals = evaluated.totals
        incremental = totals - cf_totals
        gross_m, inc_m = evaluated.gross, evaluated.incremental
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
    caveats.extend(_reference_caveats(scenario))
    burden = scenario.marginal_excess_tax_burden
    tax_burden = (
        None
        if burden is None
        else TaxBurdenUsed(
            uplift=burden.uplift,
            options=tuple(o.id for o in scenario.options if burden.applies_to(o.id)),
            why=burden.why,
            source=burden.source,
        )
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
        conventions=(*CONVENTIONS, _tax_burden_convention(scenario)),
        caveats=tuple(caveats),
        options=tuple(options),
        sensitivity=tested,
        uncertainty=simulated,
        variant=tuple((path, _written(value)) for path, value in (variant or {}).items()),
        strategy_map=_strategy_map(scenario),
        references=scenario.references,
        sroi=sroi_view(compiled),
        tax_burden=tax_burden,
        distributional=distributional_view(scenario, tuple(options)),
    )
    where = first_non_finite(results)
    if where is not None:
        raise NonFiniteResultError(
            f"{scenario.id}: the figure {where} is not a finite number: the scenario's amounts, "
            "counts or factors are too large or too small to compute with. Check the units of "
            "the inputs behind it; nothing was written"
        )
    return results


def _reference_caveats(scenario: Scenario) -> list[str]:
    """A caveat for each reference value cba's copy did not read in the publication, that its
    publisher grades red, or whose publisher's uprating rule was not applied in full (one
    caveat per reference, naming every input that uses it)."""
    paths: dict[tuple[str, str], list[str]] = {}
    for use in scenario.references:
        if use.read == "RECALLED/VERIFY":
            why = (
                "a figure not read in the publication (RECALLED/VERIFY): check it before "
                "relying on the result"
            )
        elif use.note and "UPRATING" in use.note:
            why = use.note[use.note.index("UPRATING") :]
        elif use.grade is not None and use.grade.upper() in ("R", "RED"):
            why = "which its publisher grades red (old data or a weak method)"
        else:
            continue
        paths.setdefault((use.reference, why), []).append(use.path)
    caveats = []
    for (reference, why), where in paths.items():
        verb = "uses" if len(where) == 1 else "use"
        caveats.append(f"{' and '.join(where)} {verb} {reference}, {why}.")
    return caveats


def _strategy_map(scenario: Scenario) -> MapAppraisal | None:
    """Backwards mapping and the least-cost mix, when the scenario has a strategy map (scipy
    is imported only then)."""
    if scenario.strategy_map is None:
        return None
    from cba.strategy_map import appraise_map

    return appraise_map(scenario)


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
