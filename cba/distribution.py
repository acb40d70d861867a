"""The distributional view: weighted PV benefits, PV costs and NPSV beside the unweighted ones
(Green Book 2022, Annex A3; docs/methods.md §18).

Each benefit and cost line's present value is weighted by its income group's welfare weight
(``cba.engine.distribution``); a line without a group, and every community input, has weight 1.
The incremental figures are the option's less the counterfactual's, as for every measure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from cba.engine.distribution import weighted_total, welfare_weights
from cba.results import (
    DistributionalView,
    IncomeGroupWeight,
    OptionResult,
    WeightedMeasures,
    WeightedOption,
)
from cba.scale_sweep import line_multipliers
from cba.spec.scenario import Scenario

FloatArray = NDArray[np.float64]


def group_weights(scenario: Scenario) -> dict[str, float]:
    """Each income group's welfare weight [dimensionless]; empty without
    ``distributional_weights``."""
    block = scenario.distributional_weights
    if block is None:
        return {}
    ids = list(block.groups)
    incomes = np.array([block.groups[g].income for g in ids])
    weights = welfare_weights(block.reference_income, incomes, block.elasticity)
    return dict(zip(ids, (float(w) for w in weights), strict=True))


def weighted_npsv_at(
    scenario: Scenario,
    options: tuple[OptionResult, ...],
    option_id: str,
    npsv: FloatArray,
    at: Sequence[float] | None = None,
) -> FloatArray:
    """An option's weighted incremental NPSV at each driver value (S,) [GBP, PV].

    The weighting changes NPSV by ``sum (w_g - 1) x PV`` over the benefit values counted in
    PVB less the same over the cost lines (``distributional_view``). A scale law multiplies a
    whole line, so at scale n each line's PV is its PV as written times its multiplier: the
    weighted NPSV at n is ``npsv`` (the unweighted NPSV at each n, as ``sweep_option`` gives
    it) plus the option's adjustment at n less the counterfactual's (unscaled). At the
    option as written (``at`` None) this equals ``distributional_view``'s figure.
    """
    weight_of = group_weights(scenario)

    def weight(group: str | None) -> float:
        return 1.0 if group is None else weight_of[group]

    def adjustment(result: OptionResult, cost_m: FloatArray, benefit_m: FloatArray) -> FloatArray:
        option = scenario.option(result.option_id)
        benefit_index = {b.id: i for i, b in enumerate(option.benefits)}
        cost_index = {c.id: i for i, c in enumerate(option.costs)}
        total = np.zeros(cost_m.shape[0])
        for line in result.benefits:
            extra = sum(
                (weight(c.income_group) - 1.0) * c.pv for c in line.components if not c.transfer
            )
            total = total + extra * benefit_m[:, benefit_index[line.line_id]]
        for cost in result.costs:
            total = (
                total
                - (weight(cost.income_group) - 1.0) * cost.pv * cost_m[:, cost_index[cost.line_id]]
            )
        return total

    by_id = {o.option_id: o for o in options}
    cost_m, benefit_m = line_multipliers(scenario.option(option_id), at)
    cf = scenario.option(scenario.counterfactual)
    base = adjustment(
        by_id[scenario.counterfactual], np.ones((1, len(cf.costs))), np.ones((1, len(cf.benefits)))
    )
    mine = adjustment(by_id[option_id], cost_m, benefit_m)
    return np.asarray(npsv, dtype=np.float64) + mine - base


def distributional_view(
    scenario: Scenario, options: tuple[OptionResult, ...]
) -> DistributionalView | None:
    """The weighted figures of every option, or None without ``distributional_weights``."""
    block = scenario.distributional_weights
    if block is None:
        return None
    weight_of = group_weights(scenario)
    rebase = 1.0
    if block.price_year is not None and block.price_year != scenario.price_base_year:
        deflator = scenario.deflator
        if deflator is None:  # refused at validation; kept for programmatic construction
            raise ValueError(f"price_year {block.price_year} needs a deflator")
        rebase = deflator.index[scenario.price_base_year] / deflator.index[block.price_year]
    ids = list(block.groups)

    def weight(group: str | None) -> float:
        return 1.0 if group is None else weight_of[group]

    def gross(option: OptionResult) -> WeightedMeasures:
        m = option.gross
        # Each value counted in PVB (transfers are not) at its own group's weight.
        counted = [c for line in option.benefits for c in line.components if not c.transfer]
        benefits = [c.pv for c in counted]
        costs = [line.pv for line in option.costs]
        weighted_benefits = float(
            weighted_total(benefits, [weight(c.income_group) for c in counted])
        )
        weighted_costs = float(
            weighted_total(costs, [weight(line.income_group) for line in option.costs])
        )
        return WeightedMeasures(
            pv_benefits=m.pv_benefits,
            weighted_pv_benefits=weighted_benefits,
            pv_costs=m.pv_public_costs + m.pv_non_public_costs,
            weighted_pv_costs=weighted_costs,
            pv_community_inputs=m.pv_community_inputs,
            npsv=m.npsv,
            # The marginal excess tax burden, where applied, falls on taxpayers at large:
            # weight 1, like the community inputs (docs/methods.md §19).
            weighted_npsv=weighted_benefits
            - weighted_costs
            - m.pv_community_inputs
            - m.pv_marginal_excess_tax_burden,
        )

    by_option = {o.option_id: gross(o) for o in options}
    base = by_option[scenario.counterfactual]

    def less(a: WeightedMeasures, option: OptionResult) -> WeightedMeasures:
        m = option.incremental
        return WeightedMeasures(
            pv_benefits=m.pv_benefits,
            weighted_pv_benefits=a.weighted_pv_benefits - base.weighted_pv_benefits,
            pv_costs=m.pv_public_costs + m.pv_non_public_costs,
            weighted_pv_costs=a.weighted_pv_costs - base.weighted_pv_costs,
            pv_community_inputs=m.pv_community_inputs,
            npsv=m.npsv,
            weighted_npsv=a.weighted_npsv - base.weighted_npsv,
        )

    return DistributionalView(
        elasticity=block.elasticity,
        reference_income=block.reference_income * rebase,
        source=block.source,
        groups=tuple(
            IncomeGroupWeight(
                group_id=g,
                name=block.groups[g].name,
                income=block.groups[g].income * rebase,
                weight=weight_of[g],
                source=block.groups[g].source,
            )
            for g in ids
        ),
        options=tuple(
            WeightedOption(
                o.option_id, o.name, by_option[o.option_id], less(by_option[o.option_id], o)
            )
            for o in options
        ),
    )
