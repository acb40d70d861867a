"""A strategy map compiled once into typed arrays, its inputs addressed by parameter paths.

Nodes are numbered in file order (inputs, activities, intermediate outcomes, final outcomes),
links in file order. Diminishing returns are compiled to the breakpoints of a concave
piecewise-linear curve (docs/strategy-maps.md §3), so that the least-cost mix stays a linear
programme. ``with_values`` sets parameters by path (``strategy_map.links.<id>.rate``) and
returns a new compiled map: every analysis of the map evaluates through the same arrays.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cba.engine import scale as laws
from cba.spec.scenario import Scenario
from cba.spec.strategy_map import (
    CO_PRODUCED_SECTORS,
    KIND_ORDER,
    PowerReturns,
    Returns,
    SaturatingReturns,
    StrategyMap,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

RETURNS_SPAN = (1e-4, 1e3)
"""Breakpoints of a power or saturating curve run from ``1e-4 n0`` to ``1e3 n0`` [source units
a year]: flows beyond ``1e3 n0`` are not allowed (reported when a solution reaches them)."""
RETURNS_POINTS = 64
"""Breakpoints of a power or saturating curve, spaced geometrically (plus the origin)."""


@dataclass(frozen=True)
class ReturnsCurve:
    """A link's diminishing returns as a concave piecewise-linear curve through the origin:
    output [target units a year] at each flow [source units a year] in ``flows``."""

    flows: FloatArray
    outputs: FloatArray
    exact: bool
    """True when the curve is the law itself (a table); false for an approximation."""


@dataclass(frozen=True)
class CompiledMap:
    """A strategy map as arrays (N nodes, E links, P pathways, L limits, A agencies)."""

    node_ids: tuple[str, ...]
    node_names: tuple[str, ...]
    node_units: tuple[str, ...]
    kind: IntArray
    """(N,) 0 input, 1 activity, 2 intermediate outcome, 3 final outcome."""
    needs_all: BoolArray
    """(N,) incoming links are complements."""
    unit_cost: FloatArray
    """(N,) value of one unit of an input [GBP per unit]; 0 for other nodes."""
    contributor: IntArray
    """(N,) index into ``agency_ids`` of an input's contributor; -1 for other nodes."""
    co_produced: BoolArray
    """(N,) input from service users or communities."""
    public: BoolArray
    """(N,) input from a public-sector contributor."""
    target: FloatArray
    """(N,) target of a final outcome [units a year]; NaN where none."""
    link_ids: tuple[str, ...]
    source: IntArray
    """(E,) source node of each link."""
    destination: IntArray
    """(E,) target node of each link."""
    rate: FloatArray
    """(E,) units of the target per unit of the source (average rate at n0 where the link has
    diminishing returns)."""
    returns: tuple[Returns | None, ...]
    """(E,) the diminishing-returns law of each link, or None."""
    pathway_ids: tuple[str, ...]
    pathway_names: tuple[str, ...]
    pathway_outcome: IntArray
    """(P,) final-outcome node of each pathway."""
    pathway_links: BoolArray
    """(P, E) links of each pathway."""
    pathway_nodes: BoolArray
    """(P, N) nodes of each pathway (its outcome included)."""
    mix_pathways: BoolArray
    """(P,) pathways the least-cost mix may use."""
    limit_ids: tuple[str, ...]
    limit_names: tuple[str, ...]
    limit_units: tuple[str, ...]
    limit_weights: FloatArray
    """(L, N) how much one unit of each node counts against each limit (1 for an input of an
    input limit; its unit cost for an agency's budget)."""
    limit_max: FloatArray
    """(L,) the most there is a year."""
    limit_agency: IntArray
    """(L,) index into ``agency_ids`` of a budget limit's agency; -1 for a limit on inputs."""
    agency_ids: tuple[str, ...]
    agency_names: tuple[str, ...]

    @property
    def parameters(self) -> dict[str, float]:
        """Every numeric input of the map, by parameter path."""
        out: dict[str, float] = {}
        for i in np.flatnonzero(self.kind == 0):
            out[f"strategy_map.inputs.{self.node_ids[i]}.unit_cost"] = float(self.unit_cost[i])
        for i in np.flatnonzero(~np.isnan(self.target)):
            out[f"strategy_map.final_outcomes.{self.node_ids[i]}.target"] = float(self.target[i])
        for e, link in enumerate(self.link_ids):
            out[f"strategy_map.links.{link}.rate"] = float(self.rate[e])
        for k, limit in enumerate(self.limit_ids):
            out[f"strategy_map.limits.{limit}.max"] = float(self.limit_max[k])
        return out

    def curve(self, link: int) -> ReturnsCurve | None:
        """The piecewise-linear output curve of a link with diminishing returns, or None."""
        law = self.returns[link]
        if law is None:
            return None
        return returns_curve(law, float(self.rate[link]))


def returns_curve(law: Returns, rate: float) -> ReturnsCurve:
    """Breakpoints of ``out(x) = rate n0 m(x)``, ``m`` the law's multiplier with ``m(n0) =
    1`` (cba.engine.scale), concave and through the origin."""
    n0 = law.n0
    shape = law.shape
    if isinstance(shape, PowerReturns | SaturatingReturns):
        flows = np.concatenate(([0.0], n0 * np.geomspace(*RETURNS_SPAN, RETURNS_POINTS)))
        if isinstance(shape, PowerReturns):
            multiplier = laws.power(flows, n0, shape.elasticity)
        else:
            multiplier = laws.saturating(flows, n0, shape.rate)
        return ReturnsCurve(flows, rate * n0 * multiplier, exact=False)
    xs = np.array([p.n for p in shape.points])
    ys = np.array([p.value for p in shape.points])
    # Flat beyond the last point, as scale tables are: one more breakpoint far out.
    flows = np.append(xs, max(xs[-1] * 1e6, 1e12))
    return ReturnsCurve(flows, rate * n0 * laws.piecewise(flows, n0, xs, ys), exact=True)


def compile_map(scenario: Scenario) -> CompiledMap:
    """The scenario's strategy map as arrays. Raises ValueError if it has none."""
    smap = scenario.strategy_map
    if smap is None:
        raise ValueError(f"scenario '{scenario.id}' has no strategy_map: section")
    return _compile(smap, scenario)


def _compile(smap: StrategyMap, scenario: Scenario) -> CompiledMap:
    kinds = smap.node_kinds()
    ids = tuple(kinds)
    index = {node: i for i, node in enumerate(ids)}
    n = len(ids)
    agencies = {a.id: a for a in scenario.agencies}
    agency_ids = tuple(agencies)
    agency_index = {a: i for i, a in enumerate(agency_ids)}
    names: list[str] = [""] * n
    units: list[str] = [""] * n
    unit_cost = np.zeros(n)
    contributor = np.full(n, -1, dtype=np.int64)
    co_produced = np.zeros(n, dtype=bool)
    public = np.zeros(n, dtype=bool)
    target = np.full(n, np.nan)
    needs_all = np.zeros(n, dtype=bool)
    for item in smap.inputs:
        i = index[item.id]
        names[i], units[i] = item.name, item.unit
        unit_cost[i] = item.unit_cost
        contributor[i] = agency_index[item.contributed_by]
        sector = item.sector or agencies[item.contributed_by].sector
        co_produced[i] = sector in CO_PRODUCED_SECTORS
        public[i] = sector == "public"
    for step in (*smap.activities, *smap.intermediate_outcomes):
        i = index[step.id]
        names[i], units[i] = step.name, step.unit
        needs_all[i] = step.needs == "all"
    for final in smap.final_outcomes:
        i = index[final.id]
        names[i], units[i] = final.name, final.unit
        needs_all[i] = final.needs == "all"
        if final.target is not None:
            target[i] = final.target
    kind = np.array([KIND_ORDER[kinds[node]] for node in ids], dtype=np.int64)
    source = np.array([index[link.source_node] for link in smap.links], dtype=np.int64)
    destination = np.array([index[link.target_node] for link in smap.links], dtype=np.int64)
    p = len(smap.pathways)
    pathway_links = np.zeros((p, len(smap.links)), dtype=bool)
    pathway_nodes = np.zeros((p, n), dtype=bool)
    for k, pathway in enumerate(smap.pathways):
        pathway_links[k, smap.pathway_links(pathway)] = True
        for node in (*pathway.nodes, pathway.outcome):
            pathway_nodes[k, index[node]] = True
    mix = smap.mix.pathways
    mix_pathways = np.array([mix is None or pw.id in mix for pw in smap.pathways], dtype=bool)
    weights = np.zeros((len(smap.limits), n))
    limit_agency = np.full(len(smap.limits), -1, dtype=np.int64)
    limit_units: list[str] = []
    for k, limit in enumerate(smap.limits):
        if limit.inputs is not None:
            for node in limit.inputs:
                weights[k, index[node]] = 1.0
            limit_units.append(units[index[limit.inputs[0]]])
        else:
            limit_agency[k] = agency_index[str(limit.agency)]
            mask = contributor == limit_agency[k]
            weights[k, mask] = unit_cost[mask]
            limit_units.append("£")
    return CompiledMap(
        node_ids=ids,
        node_names=tuple(names),
        node_units=tuple(units),
        kind=kind,
        needs_all=needs_all,
        unit_cost=unit_cost,
        contributor=contributor,
        co_produced=co_produced,
        public=public,
        target=target,
        link_ids=tuple(link.id for link in smap.links),
        source=source,
        destination=destination,
        rate=np.array([link.rate for link in smap.links]),
        returns=tuple(link.returns for link in smap.links),
        pathway_ids=tuple(pw.id for pw in smap.pathways),
        pathway_names=tuple(pw.name for pw in smap.pathways),
        pathway_outcome=np.array([index[pw.outcome] for pw in smap.pathways], dtype=np.int64),
        pathway_links=pathway_links,
        pathway_nodes=pathway_nodes,
        mix_pathways=mix_pathways,
        limit_ids=tuple(limit.id for limit in smap.limits),
        limit_names=tuple(limit.name for limit in smap.limits),
        limit_units=tuple(limit_units),
        limit_weights=weights,
        limit_max=np.array([limit.max for limit in smap.limits], dtype=np.float64),
        limit_agency=limit_agency,
        agency_ids=agency_ids,
        agency_names=tuple(a.name for a in scenario.agencies),
    )


def with_values(compiled: CompiledMap, values: dict[str, float]) -> CompiledMap:
    """A copy of ``compiled`` with parameters set by path (see ``CompiledMap.parameters``).

    Raises KeyError naming an unknown path and ValueError for a value out of its domain (a
    rate or target at or below 0, a negative unit cost or limit). An agency's budget limit
    keeps the unit costs it was compiled with unless they are set in the same call.
    """
    known = compiled.parameters
    unit_cost = compiled.unit_cost.copy()
    target = compiled.target.copy()
    rate = compiled.rate.copy()
    limit_max = compiled.limit_max.copy()
    node = {node_id: i for i, node_id in enumerate(compiled.node_ids)}
    link = {link_id: e for e, link_id in enumerate(compiled.link_ids)}
    limit = {limit_id: k for k, limit_id in enumerate(compiled.limit_ids)}
    costs_changed = False
    for path, value in values.items():
        if path not in known:
            raise KeyError(path)
        parts = path.split(".")
        section, name, field = parts[1], ".".join(parts[2:-1]), parts[-1]
        value = float(value)
        positive = field in ("rate", "target")
        if not np.isfinite(value) or value < 0 or (positive and value == 0):
            raise ValueError(f"{path} must be {'above' if positive else 'at least'} 0; got {value}")
        if section == "inputs":
            unit_cost[node[name]] = value
            costs_changed = True
        elif section == "final_outcomes":
            target[node[name]] = value
        elif section == "links":
            rate[link[name]] = value
        else:
            limit_max[limit[name]] = value
    weights = compiled.limit_weights
    if costs_changed:
        weights = weights.copy()
        for k in np.flatnonzero(compiled.limit_agency >= 0):
            mask = compiled.contributor == compiled.limit_agency[k]
            weights[k, mask] = unit_cost[mask]
    return dataclasses.replace(
        compiled,
        unit_cost=unit_cost,
        target=target,
        rate=rate,
        limit_max=limit_max,
        limit_weights=weights,
    )
