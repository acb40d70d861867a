"""Results of a strategy map as plain data: backwards mapping of each pathway and the least-cost
mix (cba.strategy_map computes them; writers read them). Money is GBP a year at the scenario's
price base year; levels are each node's unit a year."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class MapNodeInfo:
    """One node of the map, as outputs show it."""

    node_id: str
    name: str
    kind: Literal["input", "activity", "intermediate", "final"]
    unit: str
    sector: str | None
    """Contributor's sector (inputs only)."""
    contributor: str | None
    """Contributor's name (inputs only)."""
    unit_cost: float | None
    """[GBP per unit] (inputs only)"""
    target: float | None
    """[units a year] (final outcomes with a target)"""


@dataclass(frozen=True)
class MapLinkInfo:
    """One link of the map, as outputs show it."""

    link_id: str
    source: str
    target: str
    rate: float
    """[target units per source unit]"""
    unit: str
    evidence: str
    diminishing: bool
    citation: str


@dataclass(frozen=True)
class InputUse:
    """How much of one input a solution uses, and what it is worth."""

    input_id: str
    name: str
    unit: str
    contributor_id: str
    contributor: str
    co_produced: bool
    public: bool
    units_per_year: float
    """[the input's unit a year]"""
    unit_cost: float
    """[GBP per unit]"""
    value_per_year: float
    """[GBP a year]"""


@dataclass(frozen=True)
class Costs:
    """What a solution's inputs are worth [GBP a year], and who gives them."""

    total: float
    public: float
    co_produced: float
    by_contributor: tuple[tuple[str, str, float], ...]
    """(agency id, agency name, GBP a year), largest first."""
    co_produced_share: float
    """Share of the valued inputs given by service users and communities [fraction]; NaN
    when nothing is used."""


@dataclass(frozen=True)
class OverLimit:
    """A limit a solution would exceed: by a pathway alone (backwards mapping), or one of the
    limits in conflict with the targets (an infeasible mix)."""

    limit_id: str
    name: str
    unit: str
    needed: float
    available: float


@dataclass(frozen=True)
class PathwayMapping:
    """Backwards mapping of one pathway: what it needs to reach its outcome's target."""

    pathway_id: str
    name: str
    outcome_id: str
    outcome: str
    outcome_unit: str
    target: float
    """Level mapped back from [units a year]: the outcome's target, or 1 without one."""
    has_target: bool
    status: str
    message: str
    inputs: tuple[InputUse, ...]
    levels: dict[str, float]
    """Level of every node on the pathway [its unit a year]."""
    link_flows: dict[str, float]
    """Source units each link uses a year."""
    costs: Costs
    cost_per_unit: float
    """Value of all inputs per unit of outcome [GBP per unit], co-produced inputs included."""
    public_cost_per_unit: float
    """Public-sector inputs only, per unit of outcome [GBP per unit]."""
    over_limits: tuple[OverLimit, ...]
    approximation: float
    """Largest relative understatement of a diminishing-returns link's output by its
    piecewise-linear curve at the solution [fraction]; 0 for constant returns."""


@dataclass(frozen=True)
class LimitPrice:
    """A limit of the least-cost mix: how much is used and what one more unit is worth."""

    limit_id: str
    name: str
    unit: str
    available: float
    used: float
    shadow_price: float
    """Value of the inputs saved by one more unit of the limit [GBP a year per unit]."""
    binding: bool


@dataclass(frozen=True)
class OutcomeDelivered:
    """A final outcome in the least-cost mix."""

    outcome_id: str
    name: str
    unit: str
    target: float
    """[units a year]; NaN without a target"""
    delivered: float
    """[units a year] the most the mix's inputs deliver"""
    marginal_cost: float
    """What one more unit of target adds to the mix's cost [GBP a year per unit]."""


@dataclass(frozen=True)
class PathwayUse:
    """How much of a pathway the least-cost mix uses."""

    pathway_id: str
    name: str
    use: Literal["all", "part", "none"]
    """all: every link of the pathway carries flow; part: some; none: no link does."""


@dataclass(frozen=True)
class MixResult:
    """The least-cost mix of pathways meeting every target within the limits."""

    status: Literal["optimal", "infeasible", "no_targets"]
    message: str
    pathways: tuple[PathwayUse, ...]
    inputs: tuple[InputUse, ...]
    costs: Costs
    outcomes: tuple[OutcomeDelivered, ...]
    limits: tuple[LimitPrice, ...]
    conflicts: tuple[OverLimit, ...]
    """The limits that must give for the targets to be met (an infeasible mix)."""
    levels: dict[str, float]
    link_flows: dict[str, float]
    approximation: float
    binding: tuple[str, ...]
    """Names of the binding constraints: limits used up or with a shadow price, and targets
    that cost more to raise."""

    @classmethod
    def unsolved(
        cls,
        status: Literal["infeasible", "no_targets"],
        message: str,
        conflicts: tuple[OverLimit, ...] = (),
    ) -> MixResult:
        """A mix with no solution: why, and the limits in conflict if known."""
        empty = Costs(0.0, 0.0, 0.0, (), float("nan"))
        return cls(status, message, (), (), empty, (), (), conflicts, {}, {}, 0.0, ())


@dataclass(frozen=True)
class MapAppraisal:
    """Backwards mapping of every pathway and the least-cost mix."""

    title: str
    price_base_year: int
    nodes: tuple[MapNodeInfo, ...]
    """Every node, in file order (inputs, activities, intermediate, final outcomes)."""
    links: tuple[MapLinkInfo, ...]
    """Every link, in file order."""
    pathways: tuple[PathwayMapping, ...]
    """In file order."""
    mix: MixResult

    def ranked(self) -> tuple[PathwayMapping, ...]:
        """Pathways grouped by outcome (in file order), cheapest per unit first."""
        order = {p.outcome_id: i for i, p in reversed(list(enumerate(self.pathways)))}
        return tuple(
            sorted(
                self.pathways,
                key=lambda p: (
                    order[p.outcome_id],
                    p.cost_per_unit if np.isfinite(p.cost_per_unit) else np.inf,
                ),
            )
        )
