"""Strategy maps in the scenario language: inputs by contributor, activities, intermediate and
final outcomes, the links between them with conversion rates, named pathways, and the limits a
least-cost mix must respect (docs/strategy-maps.md; Bovaird & Kenny 2013, "Modelling
Birmingham").

A map describes flows **per year**: an input's level is in its own unit a year (officer hours a
year), a link's rate is units of its target per unit of its source. Inputs and activities are
*rival*: an hour spent on one link is not available to another. Outcomes are *non-rival*: an
intermediate outcome feeds every link out of it in full. Rates are **net additional** effects
(already net of deadweight, displacement and the rest): a final outcome's value is counted
once, at the final outcome.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from cba.spec.agencies import Sector
from cba.spec.base import (
    AT,
    AgencyRef,
    Identifier,
    OneOf,
    Plausible,
    PriceYear,
    ShortText,
    Source,
    StrictModel,
    Text,
    as_mapping,
    closest,
    discriminator,
    tag,
)
from cba.spec.benefits import UnitValue
from cba.spec.scale import TablePoint

InputSector = Literal["public", "private", "third_sector", "service_user", "community"]
"""Sector of the contributor of an input. ``service_user`` and ``community`` inputs are
co-produced: valued, but not paid from a public budget."""

CO_PRODUCED_SECTORS: frozenset[str] = frozenset({"service_user", "community"})
"""Sectors whose inputs count as co-produced by users and communities."""

InputValuation = Literal["cost", "replacement_cost", "shadow_wage", "opportunity_cost"]
"""How a unit of an input is valued: ``cost`` (what the contributor pays for it), or for time
given free, ``replacement_cost``, ``shadow_wage`` or ``opportunity_cost`` (methods.md §6)."""

EvidenceGrade = Literal["strong", "moderate", "limited", "illustrative"]
"""How good the evidence for a rate is: ``strong`` (a robust counterfactual study, Maryland
Scientific Methods Scale level 4-5), ``moderate`` (level 3), ``limited`` (levels 1-2, or
practitioner estimates), ``illustrative`` (an assumption for the example)."""

Needs = Literal["any", "all"]
"""How a node combines its incoming links: ``any`` (substitutes: the contributions add up) or
``all`` (complements: each incoming link is needed in fixed proportion; the node's level is the
smallest contribution)."""

NodeKind = Literal["input", "activity", "intermediate", "final"]
"""Kind of node, in the order links run: inputs, activities, intermediate, final outcomes."""

KIND_ORDER: dict[str, int] = {"input": 0, "activity": 1, "intermediate": 2, "final": 3}

MAP_PROBLEMS: frozenset[str] = frozenset(
    {
        "cycle",
        "double_counting",
        "duplicate_id",
        "duplicate_link",
        "empty_limit",
        "limit_without_input",
        "link_backwards",
        "link_into_input",
        "map_option_lines",
        "mix_without_target",
        "no_strategy_map",
        "pathway_dead_end",
        "pathway_gap",
        "pathway_missing_complement",
        "pathway_two_outcomes",
        "pathway_without_input",
        "rate_unit",
        "returns_not_diminishing",
        "returns_origin",
        "units_do_not_chain",
        "unknown_node",
        "unknown_pathway",
    }
)
"""Kinds of problem the strategy-map checks raise; their messages are complete as they are."""

MAX_UNIT_COST = 1e9
MAX_LEVEL = 1e12
MAX_RATE = 1e9
MIN_RATE = 1e-12

UnitCost = Annotated[
    float,
    Field(ge=0.0, le=MAX_UNIT_COST, allow_inf_nan=False),
    Plausible("a unit of an input (an hour, a place, £1 of grant) costs at most £1 billion"),
]
"""Value of one unit of an input [GBP per unit], 0 to 1e9."""

Level = Annotated[
    float,
    Field(ge=0.0, le=MAX_LEVEL, allow_inf_nan=False),
    Plausible("a level of at most 1e12 units a year covers any service; check the unit"),
]
"""A quantity a year [units of the node per year], 0 to 1e12."""

ConversionRate = Annotated[
    float,
    Field(gt=0.0, le=MAX_RATE, allow_inf_nan=False),
    Plausible(
        "a conversion rate is units of the target per unit of the source: above 0 (a link "
        "that converts nothing is no link) and at most 1e9"
    ),
]
"""Units of a link's target per unit of its source [target units per source unit], > 0."""

UnitName = Annotated[str, Field(min_length=1, max_length=80), Plausible("")]
"""The unit a node is counted in, singular, e.g. ``officer hour``, ``burglary avoided``."""


class MapInput(StrictModel):
    """What a contributor provides, in its own unit, and what a unit is worth."""

    id: Identifier
    """Id of the node, unique in the map."""
    name: ShortText
    """What is provided, in words."""
    unit: UnitName
    """The unit, singular (``officer hour``, ``volunteer hour``, ``£ of grant``, ``place``)."""
    contributed_by: AgencyRef
    """The agency or group that provides it (pays for it, or gives it)."""
    sector: InputSector | None = None
    """public, private, third_sector, service_user or community. Default: the contributing
    agency's sector. service_user and community inputs are co-produced."""
    unit_cost: UnitCost
    """Value of one unit [GBP per unit], in the scenario's price base year."""
    valuation_basis: InputValuation = "cost"
    """cost, replacement_cost, shadow_wage or opportunity_cost. Default: cost."""
    source: Source
    """Where the unit cost or valuation comes from."""


class MapNode(StrictModel):
    """An activity or an intermediate outcome: a step between inputs and final outcomes."""

    id: Identifier
    """Id of the node, unique in the map."""
    name: ShortText
    """What is done or achieved, in words."""
    unit: UnitName
    """The unit it is counted in, singular (``patrol hour``, ``home secured``)."""
    needs: Needs = "any"
    """any (incoming links are substitutes; contributions add up) or all (complements: every
    incoming link is needed, in the proportions the rates give). Default: any."""
    description: Text = ""
    """Optional note."""


class FinalOutcome(StrictModel):
    """An outcome the map is for: what is wanted, its target and what a unit is worth."""

    id: Identifier
    """Id of the node, unique in the map."""
    name: ShortText
    """The outcome, in words."""
    unit: UnitName
    """The unit it is counted in, singular (``burglary avoided``)."""
    needs: Needs = "any"
    """any (substitutes) or all (complements), as for activities. Default: any."""
    target: Annotated[float, Field(gt=0.0, le=MAX_LEVEL, allow_inf_nan=False)] | None = None
    """Level wanted [units per year], above 0. Backwards mapping and the least-cost mix aim
    for it; without one, pathways are compared per unit of outcome."""
    unit_values: list[UnitValue] = Field(default_factory=list)
    """Value of one unit, split by value type (fiscal by agency, economic, social), as on
    benefit lines. Used when a pathway or the mix becomes an option."""
    health: bool = False
    """True for health and life effects (discounted with the health schedule)."""
    price_year: PriceYear | None = None
    """Price year of the unit values. Default: the scenario's price_base_year."""
    source: Source | None = None
    """Where the target and the unit values come from."""


class PowerReturns(StrictModel):
    """``out(x) = rate n0 (x / n0)^e``: each extra unit of the source converts less."""

    law: Literal["power"]
    """``power``."""
    elasticity: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)]
    """e [dimensionless], above 0 and at most 1 (1: constant returns)."""


class SaturatingReturns(StrictModel):
    """``out(x) = rate n0 (1 - exp(-lambda x)) / (1 - exp(-lambda n0))``: approaches a
    ceiling."""

    law: Literal["saturating"]
    """``saturating``."""
    rate: Annotated[float, Field(gt=0.0, le=1e3, allow_inf_nan=False)]
    """lambda [per source unit]: how fast the ceiling is approached."""


class TableReturns(StrictModel):
    """``out(x) = rate n0 t(x) / t(n0)``, with ``t`` linear between points: it must start at
    (0, 0) and its slopes must not rise (diminishing returns)."""

    law: Literal["table"]
    """``table``."""
    points: Annotated[list[TablePoint], Field(min_length=2, max_length=1000)]
    """Points (n, value) in strictly increasing order of n, the first at n = 0, value 0."""

    @model_validator(mode="after")
    def _concave(self) -> Self:
        points = self.points
        if points[0].n != 0.0 or points[0].value != 0.0:
            raise PydanticCustomError(
                "returns_origin",
                "the table must start at n: 0, value: 0 (no source, no effect); it starts at "
                "({n}, {value})",
                {"n": points[0].n, "value": points[0].value, AT: ("points", 0)},
            )
        slopes: list[float] = []
        for index in range(1, len(points)):
            low, high = points[index - 1], points[index]
            if high.n <= low.n:
                raise PydanticCustomError(
                    "table_order",
                    "points must be in strictly increasing order of n; got {this} after {previous}",
                    {"this": high.n, "previous": low.n, AT: ("points", index, "n")},
                )
            slope = (high.value - low.value) / (high.n - low.n)
            if slopes and slope > slopes[-1] * (1 + 1e-12):
                raise PydanticCustomError(
                    "returns_not_diminishing",
                    "returns must diminish: the slope rises from {before:.6g} to {after:.6g} "
                    "at point {index}. A least-cost mix needs each extra unit to convert no "
                    "more than the one before (a concave table)",
                    {
                        "before": slopes[-1],
                        "after": slope,
                        "index": index,
                        AT: ("points", index),
                    },
                )
            slopes.append(slope)
        return self


def _returns_form(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, dict) and value.get("law") in ("power", "saturating", "table"):
        return tag(str(value["law"]))
    return None


ReturnsLaw = Annotated[
    Annotated[PowerReturns, Tag(tag("power"))]
    | Annotated[SaturatingReturns, Tag(tag("saturating"))]
    | Annotated[TableReturns, Tag(tag("table"))],
    discriminator(_returns_form, "a mapping with law: power, saturating or table"),
]


class Returns(StrictModel):
    """Diminishing returns on a link: the rate is the average rate at ``n0`` units of the
    source a year; more converts less per unit, less converts more (scale laws, methods §7)."""

    n0: Annotated[float, Field(gt=0.0, le=MAX_LEVEL, allow_inf_nan=False)]
    """Source units a year [source units per year] at which ``rate`` is the average rate."""
    shape: ReturnsLaw
    """The law: power (0 < elasticity <= 1), saturating, or a concave table."""
    source: Source | None = None
    """Where the shape comes from."""


class Link(StrictModel):
    """A causal link: each unit of the source gives ``rate`` units of the target."""

    id: Identifier
    """Id of the link, unique among links (parameter paths use it)."""
    source_node: Identifier = Field(alias="from")
    """Id of the node the link starts from (``from:`` in the file)."""
    target_node: Identifier = Field(alias="to")
    """Id of the node the link leads to (``to:`` in the file)."""
    rate: ConversionRate
    """Units of the target per unit of the source [target units per source unit]."""
    unit: Annotated[str, Field(min_length=3, max_length=200)]
    """The rate's unit, ``<target unit> per <source unit>`` (``burglary avoided per patrol
    hour``): checked against the two nodes' units, so that units chain."""
    returns: Returns | None = None
    """Diminishing returns. Default: constant returns (the rate holds at every level)."""
    evidence: EvidenceGrade
    """strong, moderate, limited or illustrative."""
    source: Source
    """Where the rate comes from (or 'Illustrative assumption: ...')."""

    model_config = StrictModel.model_config | {"serialize_by_alias": True}


class Pathway(StrictModel):
    """A named route from inputs to one final outcome: a sub-graph of the map."""

    id: Identifier
    """Id of the pathway."""
    name: ShortText
    """Name shown in outputs (``Resident patrols with priority policing``)."""
    outcome: Identifier
    """Id of the final outcome the pathway delivers."""
    nodes: Annotated[list[Identifier], Field(min_length=1)]
    """Ids of the inputs, activities and intermediate outcomes on the route. Its links are the
    map's links between these nodes and into the outcome."""
    description: Text = ""
    """What the pathway is, in words."""


class Limit(StrictModel):
    """A capacity the least-cost mix must respect: units of some inputs, or an agency's
    budget, a year."""

    id: Identifier
    """Id of the limit."""
    name: ShortText
    """Name shown in outputs (``Volunteer hours available``)."""
    inputs: list[Identifier] | None = None
    """Inputs whose units count against the limit (they must share a unit). Give this or
    agency."""
    agency: AgencyRef | None = None
    """Agency whose spending on the map's inputs counts against the limit [GBP a year]."""
    max: Level
    """The most there is a year [the inputs' unit, or GBP for an agency's budget]."""
    source: Source
    """Where the limit comes from."""

    one_of: ClassVar[OneOf | None] = OneOf((("inputs",), ("agency",)))


class MixSettings(StrictModel):
    """Which pathways the least-cost mix may combine."""

    pathways: list[Identifier] | None = None
    """Ids of the pathways the mix may use. Default: all."""


def _split_unit(text: str) -> tuple[str, str] | None:
    parts = re.split(r"\s+per\s+", text.strip(), maxsplit=1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def unit_key(unit: str) -> str:
    """A unit compared loosely: case and spacing ignored, plurals as singulars (``Patrol
    hours`` is ``patrol hour``; ``burglaries`` is ``burglary``)."""
    words = unit.strip().lower().split()
    out = []
    for word in words:
        if len(word) > 3 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return " ".join(out)


class StrategyMap(StrictModel):
    """How inputs from every sector combine, through activities and intermediate outcomes, into
    final outcomes; the pathways compared; and the limits of a least-cost mix."""

    title: ShortText | None = None
    """Title of the map. Default: the scenario's title."""
    inputs: Annotated[list[MapInput], Field(min_length=1)]
    """What contributors provide."""
    activities: list[MapNode] = Field(default_factory=list)
    """What is done with the inputs."""
    intermediate_outcomes: list[MapNode] = Field(default_factory=list)
    """Changes on the way to the final outcomes."""
    final_outcomes: Annotated[list[FinalOutcome], Field(min_length=1)]
    """The outcomes wanted."""
    links: Annotated[list[Link], Field(min_length=1)]
    """Causal links with conversion rates."""
    pathways: Annotated[list[Pathway], Field(min_length=1)]
    """Named routes to compare."""
    limits: list[Limit] = Field(default_factory=list)
    """Capacities the least-cost mix must respect."""
    mix: MixSettings = Field(default_factory=MixSettings)
    """Which pathways the least-cost mix may combine."""

    def node_kinds(self) -> dict[str, str]:
        """Kind of every node, by id, in file order."""
        kinds: dict[str, str] = {}
        for kind, items in (
            ("input", self.inputs),
            ("activity", self.activities),
            ("intermediate", self.intermediate_outcomes),
            ("final", self.final_outcomes),
        ):
            for item in items:
                kinds.setdefault(item.id, kind)
        return kinds

    def node_units(self) -> dict[str, str]:
        """Unit of every node, by id."""
        units: dict[str, str] = {}
        for items in (self.inputs, self.activities, self.intermediate_outcomes):
            for item in items:
                units.setdefault(item.id, item.unit)
        for final in self.final_outcomes:
            units.setdefault(final.id, final.unit)
        return units

    def needs_all(self) -> frozenset[str]:
        """Ids of the nodes whose incoming links are complements."""
        nodes: list[MapNode | FinalOutcome] = [
            *self.activities,
            *self.intermediate_outcomes,
            *self.final_outcomes,
        ]
        return frozenset(n.id for n in nodes if n.needs == "all")

    def pathway_links(self, pathway: Pathway) -> list[int]:
        """Indices of the links of ``pathway``: between its nodes, or into its outcome."""
        members = set(pathway.nodes) | {pathway.outcome}
        return [
            index
            for index, link in enumerate(self.links)
            if link.source_node in members
            and link.target_node in members
            and link.source_node != pathway.outcome
        ]

    @model_validator(mode="after")
    def _graph(self) -> Self:
        problem = graph_problem(self)
        if problem is not None:
            where, kind, message = problem
            raise PydanticCustomError(kind, "{message}", {"message": message, AT: where})
        return self


Where = tuple[str | int, ...]


def _unknown_node(value: str, known: Iterable[str], what: str = "node") -> str:
    guess = closest(value, known)
    hint = f" Did you mean '{guess}'?" if guess else ""
    return f"unknown {what} '{value}'.{hint}"


def _duplicates(smap: StrategyMap) -> tuple[Where, str, str] | None:
    seen: dict[str, str] = {}
    for key in ("inputs", "activities", "intermediate_outcomes", "final_outcomes"):
        for index, item in enumerate(getattr(smap, key)):
            if item.id in seen:
                return (
                    (key, index, "id"),
                    "duplicate_id",
                    f"duplicate node id '{item.id}'; it is also the id of one of the "
                    f"{seen[item.id]}. Give each node of the map its own id",
                )
            seen[item.id] = key.replace("_", " ")
    for key in ("links", "pathways", "limits"):
        ids: set[str] = set()
        for index, item in enumerate(getattr(smap, key)):
            if item.id in ids:
                return (
                    (key, index, "id"),
                    "duplicate_id",
                    f"duplicate {key[:-1]} id '{item.id}'. Give each its own id",
                )
            ids.add(item.id)
    return None


def _link_problem(smap: StrategyMap, kinds: dict[str, str]) -> tuple[Where, str, str] | None:
    units = smap.node_units()
    pairs: dict[tuple[str, str], str] = {}
    for index, link in enumerate(smap.links):
        for field, alias in (("source_node", "from"), ("target_node", "to")):
            node = getattr(link, field)
            if node not in kinds:
                return (
                    ("links", index, alias),
                    "unknown_node",
                    _unknown_node(node, kinds) + " Links join nodes declared in inputs, "
                    "activities, intermediate_outcomes or final_outcomes",
                )
        source, target = link.source_node, link.target_node
        if kinds[target] == "input":
            return (
                ("links", index, "to"),
                "link_into_input",
                f"the link leads into '{target}', an input: inputs are what contributors "
                "provide, so nothing leads into them. Make it an activity, or reverse the link",
            )
        if kinds[source] == "final":
            return (
                ("links", index, "from"),
                "double_counting",
                f"the link starts from '{source}', a final outcome: its value would be counted "
                f"again in '{target}'. A final outcome ends a route; make '{source}' an "
                "intermediate outcome",
            )
        if KIND_ORDER[kinds[target]] < KIND_ORDER[kinds[source]]:
            return (
                ("links", index, "to"),
                "link_backwards",
                f"the link runs backwards, from {kinds[source]} '{source}' to "
                f"{kinds[target]} '{target}'. Links run from inputs through activities and "
                "intermediate outcomes to final outcomes",
            )
        if source == target:
            return (("links", index, "to"), "cycle", f"the link leads from '{source}' to itself")
        if (source, target) in pairs:
            return (
                ("links", index),
                "duplicate_link",
                f"a second link from '{source}' to '{target}' (the first is "
                f"'{pairs[(source, target)]}'). Give one link with the combined rate",
            )
        pairs[(source, target)] = link.id
        split = _split_unit(link.unit)
        want = f"{units[target]} per {units[source]}"
        if split is None:
            return (
                ("links", index, "unit"),
                "rate_unit",
                f"give the rate's unit as '<target unit> per <source unit>', here '{want}'; "
                f"got '{link.unit}'",
            )
        if unit_key(split[0]) != unit_key(units[target]) or unit_key(split[1]) != unit_key(
            units[source]
        ):
            return (
                ("links", index, "unit"),
                "units_do_not_chain",
                f"units do not chain: the rate is in '{link.unit}', but the link runs from "
                f"'{source}' (counted in {units[source]}) to '{target}' (counted in "
                f"{units[target]}). Give the rate in '{want}', or link the right nodes",
            )
    return None


def _cycle(smap: StrategyMap, kinds: dict[str, str]) -> tuple[Where, str, str] | None:
    out: dict[str, list[tuple[str, int]]] = {node: [] for node in kinds}
    for index, link in enumerate(smap.links):
        out[link.source_node].append((link.target_node, index))
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> tuple[Where, str, str] | None:
        state[node] = 1
        stack.append(node)
        for target, index in out[node]:
            if state.get(target) == 1:
                loop = [*stack[stack.index(target) :], target]
                return (
                    ("links", index),
                    "cycle",
                    "the links form a cycle: " + " -> ".join(loop) + ". A strategy map runs "
                    "one way, from inputs to outcomes; remove one of these links",
                )
            if target not in state:
                found = visit(target)
                if found is not None:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in kinds:
        if node not in state:
            found = visit(node)
            if found is not None:
                return found
    return None


def _routes(out: dict[str, list[str]], start: str, end: str, limit: int = 2) -> list[list[str]]:
    """Up to ``limit`` routes from ``start`` to ``end`` (the graph has no cycle)."""
    found: list[list[str]] = []

    def walk(node: str, route: list[str]) -> None:
        if len(found) >= limit:
            return
        if node == end:
            found.append(route)
            return
        for target in out.get(node, []):
            walk(target, [*route, target])

    walk(start, [start])
    return found


def _double_counting(smap: StrategyMap, kinds: dict[str, str]) -> tuple[Where, str, str] | None:
    out: dict[str, list[str]] = {}
    for link in smap.links:
        out.setdefault(link.source_node, []).append(link.target_node)
    finals = [f.id for f in smap.final_outcomes]
    for index, node in enumerate(smap.intermediate_outcomes):
        for final in finals:
            routes = _routes(out, node.id, final)
            if len(routes) > 1:
                return (
                    ("intermediate_outcomes", index, "id"),
                    "double_counting",
                    f"'{node.id}' reaches final outcome '{final}' along two routes ("
                    + " and ".join(" -> ".join(r) for r in routes)
                    + "); an outcome feeds every link out of it in full, so the same effect "
                    "would be counted twice. Keep one route, or split the outcome into two",
                )
    return None


def _pathway_problem(smap: StrategyMap, kinds: dict[str, str]) -> tuple[Where, str, str] | None:
    needs_all = smap.needs_all()
    for p, pathway in enumerate(smap.pathways):
        if pathway.outcome not in kinds or kinds[pathway.outcome] != "final":
            finals = [f.id for f in smap.final_outcomes]
            return (
                ("pathways", p, "outcome"),
                "unknown_node",
                _unknown_node(pathway.outcome, finals, "final outcome")
                + f" Final outcomes: {', '.join(finals)}",
            )
        for n, node in enumerate(pathway.nodes):
            if node not in kinds:
                return (("pathways", p, "nodes", n), "unknown_node", _unknown_node(node, kinds))
            if kinds[node] == "final" and node != pathway.outcome:
                return (
                    ("pathways", p, "nodes", n),
                    "pathway_two_outcomes",
                    f"'{node}' is a final outcome; a pathway leads to one final outcome "
                    f"('{pathway.outcome}'). Make another pathway for '{node}'",
                )
        members = set(pathway.nodes) | {pathway.outcome}
        if not any(kinds[node] == "input" for node in members):
            return (
                ("pathways", p, "nodes"),
                "pathway_without_input",
                "the pathway names no input; a route starts from what contributors provide",
            )
        links = [smap.links[i] for i in smap.pathway_links(pathway)]
        into: dict[str, list[str]] = {}
        out: dict[str, list[str]] = {}
        for link in links:
            into.setdefault(link.target_node, []).append(link.source_node)
            out.setdefault(link.source_node, []).append(link.target_node)
        for n, node in enumerate(pathway.nodes):
            if kinds[node] != "input" and node not in into:
                return (
                    ("pathways", p, "nodes", n),
                    "pathway_gap",
                    f"nothing on the pathway leads into '{node}': add the nodes that link to "
                    "it, or take it off the pathway",
                )
        if pathway.outcome not in into:
            return (
                ("pathways", p, "nodes"),
                "pathway_gap",
                f"no node of the pathway links to its outcome '{pathway.outcome}'",
            )
        reaches = {pathway.outcome}
        changed = True
        while changed:
            changed = False
            for link in links:
                if link.target_node in reaches and link.source_node not in reaches:
                    reaches.add(link.source_node)
                    changed = True
        for n, node in enumerate(pathway.nodes):
            if node not in reaches:
                return (
                    ("pathways", p, "nodes", n),
                    "pathway_dead_end",
                    f"'{node}' does not lead to the pathway's outcome '{pathway.outcome}' "
                    "through the pathway's nodes; take it off the pathway or add the nodes "
                    "between",
                )
        for node in members:
            if node in needs_all:
                missing = [
                    link.source_node
                    for link in smap.links
                    if link.target_node == node and link.source_node not in members
                ]
                if missing:
                    return (
                        ("pathways", p, "nodes"),
                        "pathway_missing_complement",
                        f"'{node}' needs all its inputs together (needs: all), but the "
                        f"pathway leaves out {', '.join(repr(m) for m in missing)}. Add "
                        + ("it" if len(missing) == 1 else "them"),
                    )
    return None


def _limit_problem(smap: StrategyMap, kinds: dict[str, str]) -> tuple[Where, str, str] | None:
    inputs = {i.id: i for i in smap.inputs}
    for index, limit in enumerate(smap.limits):
        if limit.inputs is not None:
            if not limit.inputs:
                return (("limits", index, "inputs"), "empty_limit", "name at least one input")
            units: dict[str, str] = {}
            for n, node in enumerate(limit.inputs):
                if node not in inputs:
                    return (
                        ("limits", index, "inputs", n),
                        "unknown_node",
                        _unknown_node(node, inputs, "input"),
                    )
                units[node] = inputs[node].unit
            if len({unit_key(u) for u in units.values()}) > 1:
                listed = ", ".join(f"{k} ({v})" for k, v in units.items())
                return (
                    ("limits", index, "inputs"),
                    "units_do_not_chain",
                    f"the inputs of one limit must share a unit; got {listed}",
                )
        elif limit.agency is not None and not any(
            i.contributed_by == limit.agency for i in smap.inputs
        ):
            return (
                ("limits", index, "agency"),
                "limit_without_input",
                f"no input of the map is contributed by '{limit.agency}', so its budget limits "
                "nothing",
            )
    pathways = {p.id for p in smap.pathways}
    for index, pathway in enumerate(smap.mix.pathways or []):
        if pathway not in pathways:
            return (
                ("mix", "pathways", index),
                "unknown_pathway",
                _unknown_node(pathway, pathways, "pathway"),
            )
    return None


def graph_problem(smap: StrategyMap) -> tuple[Where, str, str] | None:
    """The first structural problem of the map, as (location, kind, message), or None:
    duplicate ids, unknown nodes, links into inputs or out of final outcomes, units that do not
    chain, cycles, an outcome counted twice along two routes, broken pathways and limits."""
    found = _duplicates(smap)
    if found is not None:
        return found
    kinds = smap.node_kinds()
    for check in (_link_problem, _cycle, _double_counting, _pathway_problem, _limit_problem):
        found = check(smap, kinds)
        if found is not None:
            return found
    return None


class MapOption(StrictModel):
    """An option whose costs, community inputs and benefits come from the strategy map."""

    pathway: Identifier | None = None
    """Id of the pathway: its backwards mapping at the outcome's target becomes the option."""
    mix: Literal[True] | None = None
    """``true``: the least-cost mix becomes the option."""

    one_of: ClassVar[OneOf | None] = OneOf((("pathway",), ("mix",)))


def agency_sector(sector: Sector) -> InputSector:
    """An agency's sector as an input sector (the same names)."""
    return sector
