"""Strategy maps: forward mapping, backwards mapping of each pathway, the least-cost mix with
its shadow prices, and pathways or the mix as options of the appraisal (docs/strategy-maps.md).

Everything evaluates through one compiled map (``cba.model.strategy_map``) and one linear
programme (``cba.engine.strategy_map.solve_flows``). Money is GBP a year at the scenario's
price base year; levels are each node's unit a year.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from cba.engine.strategy_map import FINAL, INPUT, FlowSolution, MapArrays, solve_flows
from cba.map_results import (
    Costs,
    InputUse,
    LimitPrice,
    MapAppraisal,
    MapLinkInfo,
    MapNodeInfo,
    MixResult,
    OutcomeDelivered,
    OverLimit,
    PathwayMapping,
    PathwayUse,
)
from cba.model.strategy_map import CompiledMap, compile_map
from cba.spec.scenario import Scenario

TOLERANCE = 1e-7
"""Relative slack below which a limit counts as binding, and flows below which a link
counts as unused [fraction]."""


def map_arrays(compiled: CompiledMap) -> MapArrays:
    """The arrays the programme reads."""
    curves = []
    for e in range(compiled.rate.size):
        curve = compiled.curve(e)
        curves.append(None if curve is None else (curve.flows, curve.outputs))
    return MapArrays(
        kind=compiled.kind,
        needs_all=compiled.needs_all,
        unit_cost=compiled.unit_cost,
        source=compiled.source,
        destination=compiled.destination,
        rate=compiled.rate,
        curves=tuple(curves),
        limit_weights=compiled.limit_weights,
        limit_max=compiled.limit_max,
    )


def _inputs(compiled: CompiledMap, level: np.ndarray) -> tuple[InputUse, ...]:
    out = []
    for i in np.flatnonzero((compiled.kind == INPUT) & (level > 0)):
        agency = int(compiled.contributor[i])
        out.append(
            InputUse(
                input_id=compiled.node_ids[i],
                name=compiled.node_names[i],
                unit=compiled.node_units[i],
                contributor_id=compiled.agency_ids[agency],
                contributor=compiled.agency_names[agency],
                co_produced=bool(compiled.co_produced[i]),
                public=bool(compiled.public[i]),
                units_per_year=float(level[i]),
                unit_cost=float(compiled.unit_cost[i]),
                value_per_year=float(level[i] * compiled.unit_cost[i]),
            )
        )
    return tuple(out)


def _costs(inputs: tuple[InputUse, ...]) -> Costs:
    by: dict[str, list[Any]] = {}
    for item in inputs:
        entry = by.setdefault(item.contributor_id, [item.contributor, 0.0])
        entry[1] += item.value_per_year
    total = sum(i.value_per_year for i in inputs)
    co_produced = sum(i.value_per_year for i in inputs if i.co_produced)
    return Costs(
        total=total,
        public=sum(i.value_per_year for i in inputs if i.public),
        co_produced=co_produced,
        by_contributor=tuple(
            sorted(((k, v[0], v[1]) for k, v in by.items()), key=lambda t: (-t[2], t[0]))
        ),
        co_produced_share=co_produced / total if total > 0 else float("nan"),
    )


def _approximation(compiled: CompiledMap, solution: FlowSolution) -> float:
    """Largest relative understatement of a curved link's output at the solution."""
    worst = 0.0
    for e, law in enumerate(compiled.returns):
        flow = float(solution.flow[e])
        if law is None or flow <= 0:
            continue
        curve = compiled.curve(e)
        assert curve is not None
        if curve.exact:
            continue
        exact = exact_output(compiled, e, flow)
        approx = float(np.interp(flow, curve.flows, curve.outputs))
        if exact > 0:
            worst = max(worst, (exact - approx) / exact)
    return worst


def exact_output(compiled: CompiledMap, link: int, flow: float) -> float:
    """What a link gives at ``flow`` source units a year, from its law itself [target units a
    year] (the programme uses the piecewise-linear curve)."""
    law = compiled.returns[link]
    rate = float(compiled.rate[link])
    if law is None:
        return rate * flow
    from cba.engine import scale as laws
    from cba.spec.strategy_map import PowerReturns, SaturatingReturns

    shape = law.shape
    if isinstance(shape, PowerReturns):
        return float(rate * law.n0 * laws.power(flow, law.n0, shape.elasticity))
    if isinstance(shape, SaturatingReturns):
        return float(rate * law.n0 * laws.saturating(flow, law.n0, shape.rate))
    xs = np.array([p.n for p in shape.points])
    ys = np.array([p.value for p in shape.points])
    return float(rate * law.n0 * laws.piecewise(flow, law.n0, xs, ys))


def _over_limits(compiled: CompiledMap, use: np.ndarray) -> tuple[OverLimit, ...]:
    """The limits ``use`` (L,) [each limit's unit] exceeds."""
    return tuple(
        OverLimit(
            limit,
            compiled.limit_names[k],
            compiled.limit_units[k],
            float(use[k]),
            float(compiled.limit_max[k]),
        )
        for k, limit in enumerate(compiled.limit_ids)
        if use[k] > compiled.limit_max[k] * (1 + TOLERANCE)
    )


def backwards(compiled: CompiledMap, pathway: int, target: float | None = None) -> PathwayMapping:
    """What pathway ``pathway`` needs to reach ``target`` units a year of its outcome (default:
    the outcome's target, or 1 unit without one), with no limits applied."""
    outcome = int(compiled.pathway_outcome[pathway])
    given = compiled.target[outcome]
    has_target = target is not None or bool(np.isfinite(given))
    level_wanted = float(target if target is not None else (given if has_target else 1.0))
    targets = np.full(compiled.kind.size, np.nan)
    targets[outcome] = level_wanted
    solution = solve_flows(map_arrays(compiled), compiled.pathway_links[pathway], targets=targets)
    inputs = _inputs(compiled, solution.level)
    costs = _costs(inputs)
    over = _over_limits(compiled, solution.limit_use) if solution.status == "optimal" else ()
    nodes = compiled.pathway_nodes[pathway]
    return PathwayMapping(
        pathway_id=compiled.pathway_ids[pathway],
        name=compiled.pathway_names[pathway],
        outcome_id=compiled.node_ids[outcome],
        outcome=compiled.node_names[outcome],
        outcome_unit=compiled.node_units[outcome],
        target=level_wanted,
        has_target=has_target,
        status=solution.status,
        message=solution.message,
        inputs=inputs,
        levels={compiled.node_ids[i]: float(solution.level[i]) for i in np.flatnonzero(nodes)},
        link_flows={
            compiled.link_ids[e]: float(solution.flow[e])
            for e in np.flatnonzero(compiled.pathway_links[pathway])
        },
        costs=costs,
        cost_per_unit=costs.total / level_wanted if solution.status == "optimal" else np.nan,
        public_cost_per_unit=costs.public / level_wanted
        if solution.status == "optimal"
        else np.nan,
        over_limits=over,
        approximation=_approximation(compiled, solution),
    )


def forward(
    compiled: CompiledMap, pathway: int, input_levels: dict[str, float]
) -> dict[str, float]:
    """The most of its outcome pathway ``pathway`` delivers from the given input levels
    [input units a year] (inputs not given: none), and the level of every node on the way
    [units a year]."""
    index = {node: i for i, node in enumerate(compiled.node_ids)}
    caps = np.zeros(compiled.kind.size)
    for node, value in input_levels.items():
        if node not in index or compiled.kind[index[node]] != INPUT:
            raise KeyError(node)
        caps[index[node]] = value
    weights = np.zeros(compiled.kind.size)
    weights[compiled.pathway_outcome[pathway]] = 1.0
    solution = solve_flows(
        map_arrays(compiled),
        compiled.pathway_links[pathway],
        input_caps=caps,
        maximise=weights,
    )
    if solution.status != "optimal":
        raise RuntimeError(f"forward mapping failed: {solution.message}")
    nodes = compiled.pathway_nodes[pathway]
    return {compiled.node_ids[i]: float(solution.level[i]) for i in np.flatnonzero(nodes)}


def _amount(value: float, unit: str) -> str:
    return f"£{value:,.0f}" if unit == "£" else f"{value:,.0f} {unit}"


def _mix_links(compiled: CompiledMap) -> np.ndarray:
    links: np.ndarray = np.any(compiled.pathway_links[compiled.mix_pathways], axis=0)
    return links


def least_cost_mix(compiled: CompiledMap) -> MixResult:
    """The cheapest flows through the mix's pathways that meet every final outcome's target
    within the limits, with shadow prices; or, when none exists, the limits in conflict."""
    arrays = map_arrays(compiled)
    links = _mix_links(compiled)
    targets = np.where(compiled.kind == FINAL, compiled.target, np.nan)
    if not np.any(np.nan_to_num(targets) > 0):
        return MixResult.unsolved(
            "no_targets", "no final outcome has a target, so there is no mix to find"
        )
    reachable = np.zeros(compiled.kind.size, dtype=bool)
    reachable[compiled.destination[links]] = True
    unreachable = [
        compiled.node_names[v]
        for v in np.flatnonzero(np.nan_to_num(targets) > 0)
        if not reachable[v]
    ]
    if unreachable:
        return MixResult.unsolved(
            "infeasible", "no pathway of the mix leads to " + ", ".join(unreachable)
        )
    solution = solve_flows(arrays, links, targets=targets, use_limits=True)
    if solution.status != "optimal":
        elastic = solve_flows(arrays, links, targets=targets, slack_limits=True)
        conflicts = _over_limits(compiled, elastic.limit_use) if elastic.status == "optimal" else ()
        message = (
            "the targets cannot all be met within the limits: "
            + "; ".join(
                f"{c.name} would need {_amount(c.needed, c.unit)} "
                f"(limit {_amount(c.available, c.unit)})"
                for c in conflicts
            )
            if conflicts
            else f"the targets cannot be met: {solution.message}"
        )
        return MixResult.unsolved("infeasible", message, conflicts)
    # Outcomes the mix's inputs deliver: the most, with the inputs fixed at the solution.
    finals = compiled.kind == FINAL
    scale = np.where(np.isfinite(compiled.target) & finals, compiled.target, 1.0)
    delivered = solve_flows(
        arrays,
        links,
        input_caps=np.where(compiled.kind == INPUT, solution.level, 0.0),
        maximise=np.where(finals & reachable, 1.0 / scale, 0.0),
    )
    delivered_level = delivered.level if delivered.status == "optimal" else solution.level
    used = links & (solution.flow > TOLERANCE)
    uses: list[PathwayUse] = []
    for p in np.flatnonzero(compiled.mix_pathways):
        own = compiled.pathway_links[p]
        count = int(np.sum(used & own))
        use: Literal["all", "part", "none"] = (
            "all" if count == int(np.sum(own)) else ("part" if count else "none")
        )
        uses.append(PathwayUse(compiled.pathway_ids[p], compiled.pathway_names[p], use))
    inputs = _inputs(compiled, solution.level)
    limits = tuple(
        LimitPrice(
            limit_id=limit,
            name=compiled.limit_names[k],
            unit=compiled.limit_units[k],
            available=float(compiled.limit_max[k]),
            used=float(solution.limit_use[k]),
            shadow_price=float(solution.limit_marginal[k]),
            binding=bool(
                solution.limit_use[k] >= compiled.limit_max[k] * (1 - TOLERANCE)
                or solution.limit_marginal[k] > 0
            ),
        )
        for k, limit in enumerate(compiled.limit_ids)
    )
    outcomes = tuple(
        OutcomeDelivered(
            outcome_id=compiled.node_ids[v],
            name=compiled.node_names[v],
            unit=compiled.node_units[v],
            target=float(compiled.target[v]),
            delivered=float(delivered_level[v]),
            marginal_cost=float(np.nan_to_num(solution.target_marginal[v])),
        )
        for v in np.flatnonzero(finals & reachable)
    )
    return MixResult(
        status="optimal",
        message=solution.message,
        pathways=tuple(uses),
        inputs=inputs,
        costs=_costs(inputs),
        outcomes=outcomes,
        limits=limits,
        conflicts=(),
        levels={
            compiled.node_ids[i]: float(delivered_level[i])
            for i in np.flatnonzero(delivered_level > 0)
        },
        link_flows={compiled.link_ids[e]: float(solution.flow[e]) for e in np.flatnonzero(used)},
        approximation=_approximation(compiled, solution),
        binding=tuple(
            [limit.name for limit in limits if limit.binding]
            + [f"target: {o.name}" for o in outcomes if o.marginal_cost > 0]
        ),
    )


def appraise_map(scenario: Scenario, compiled: CompiledMap | None = None) -> MapAppraisal:
    """Backwards mapping of every pathway and the least-cost mix of the scenario's map."""
    compiled = compiled if compiled is not None else compile_map(scenario)
    smap = scenario.strategy_map
    assert smap is not None
    kinds = ("input", "activity", "intermediate", "final")
    nodes = []
    for i, node_id in enumerate(compiled.node_ids):
        agency = int(compiled.contributor[i])
        is_input = compiled.kind[i] == INPUT
        sector = None
        if is_input:
            spec = next(item for item in smap.inputs if item.id == node_id)
            sector = spec.sector or scenario.agencies[agency].sector
        nodes.append(
            MapNodeInfo(
                node_id=node_id,
                name=compiled.node_names[i],
                kind=kinds[int(compiled.kind[i])],  # type: ignore[arg-type]
                unit=compiled.node_units[i],
                sector=sector,
                contributor=compiled.agency_names[agency] if is_input else None,
                unit_cost=float(compiled.unit_cost[i]) if is_input else None,
                target=float(compiled.target[i]) if np.isfinite(compiled.target[i]) else None,
            )
        )
    links = tuple(
        MapLinkInfo(
            link_id=link.id,
            source=link.source_node,
            target=link.target_node,
            rate=float(compiled.rate[e]),
            unit=link.unit,
            evidence=link.evidence,
            diminishing=link.returns is not None,
            citation=link.source,
        )
        for e, link in enumerate(smap.links)
    )
    return MapAppraisal(
        title=smap.title or scenario.title,
        price_base_year=scenario.price_base_year,
        nodes=tuple(nodes),
        links=links,
        pathways=tuple(backwards(compiled, p) for p in range(len(compiled.pathway_ids))),
        mix=least_cost_mix(compiled),
    )


class MapOptionError(ValueError):
    """An option cannot be built from the map (the mix is infeasible, say)."""

    def __init__(self, option_index: int, message: str) -> None:
        super().__init__(message)
        self.option_index = option_index
        self.message = message


def _money(value: float) -> str:
    return f"£{value:,.2f}"


def option_lines(scenario: Scenario) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Cost lines, community inputs and benefit lines, as scenario-file data, of each option
    built from the strategy map (``from_strategy_map``), by option id.

    Inputs from service users and communities become community inputs (time, when the unit is
    an hour and the valuation is not ``cost``; otherwise in kind); other inputs become revenue
    cost lines paid by their contributor; final outcomes become benefit lines with the
    outcome's unit values and no further additionality (a map's rates are net effects). Every
    line runs for the whole appraisal period.
    """
    smap = scenario.strategy_map
    wanted = [o for o in scenario.options if o.from_strategy_map is not None]
    if smap is None or not wanted:
        return {}
    compiled = compile_map(scenario)
    inputs = {i.id: i for i in smap.inputs}
    finals = {f.id: f for f in smap.final_outcomes}
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    mix: MixResult | None = None
    for option_index, option in enumerate(scenario.options):
        source = option.from_strategy_map
        if source is None:
            continue
        if source.pathway is not None:
            p = compiled.pathway_ids.index(source.pathway)
            mapping = backwards(compiled, p)
            if mapping.status != "optimal":
                raise MapOptionError(option_index, f"pathway '{source.pathway}': {mapping.message}")
            used = mapping.inputs
            outcomes = {mapping.outcome_id: mapping.target}
            how = (
                f"strategy map, pathway '{mapping.name}' mapped back from "
                f"{mapping.target:,.6g} {mapping.outcome_unit} a year"
            )
        else:
            mix = mix or least_cost_mix(compiled)
            if mix.status != "optimal":
                raise MapOptionError(option_index, f"least-cost mix: {mix.message}")
            used = mix.inputs
            outcomes = {o.outcome_id: o.delivered for o in mix.outcomes if o.delivered > 0}
            how = "strategy map, least-cost mix of its pathways"
        costs: list[dict[str, Any]] = []
        community: list[dict[str, Any]] = []
        for item in used:
            spec = inputs[item.input_id]
            note = (
                f"{how}: {item.units_per_year:,.6g} {item.unit} a year x "
                f"{_money(item.unit_cost)} per {item.unit}. Unit value: {spec.source}"
            )
            if item.co_produced:
                hourly = "hour" in item.unit.lower() and spec.valuation_basis != "cost"
                if hourly:
                    community.append(
                        {
                            "kind": "time",
                            "id": item.input_id,
                            "name": item.name,
                            "contributed_by": item.contributor_id,
                            "hours_per_year": item.units_per_year,
                            "value_per_hour": item.unit_cost,
                            "valuation_basis": spec.valuation_basis,
                            "source": note,
                        }
                    )
                else:
                    community.append(
                        {
                            "kind": "in_kind",
                            "id": item.input_id,
                            "name": item.name,
                            "contributed_by": item.contributor_id,
                            "value_per_year": item.value_per_year,
                            "source": note,
                        }
                    )
            else:
                costs.append(
                    {
                        "id": item.input_id,
                        "name": item.name,
                        "category": "revenue",
                        "amount_per_year": item.value_per_year,
                        "paid_by": item.contributor_id,
                        "source": note,
                    }
                )
        benefits: list[dict[str, Any]] = []
        for outcome_id, level in outcomes.items():
            final = finals[outcome_id]
            if not final.unit_values:
                continue
            benefits.append(
                {
                    "id": outcome_id,
                    "name": final.name,
                    "outcomes_per_year": level,
                    "unit_values": [
                        value.model_dump(mode="python", exclude_unset=True)
                        for value in final.unit_values
                    ],
                    "health": final.health,
                    **({"price_year": final.price_year} if final.price_year is not None else {}),
                    "source": f"{how}: {level:,.6g} {final.unit} a year. "
                    + (final.source or "Rates: the map's links"),
                }
            )
        out[option.id] = {
            "costs": costs,
            "community_inputs": community,
            "benefits": benefits,
        }
    return out
