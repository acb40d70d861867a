"""Results of allocating a neighbourhood budget (``cba allocate``): plain frozen containers.

Money: NPSV, PV costs and net positions [GBP, present value, real at the budget's price base
year]; contributions, limits and uses [GBP, undiscounted, real]; marginal values [GBP of NPSV
per GBP of limit]. ``None`` where a figure is undefined.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SchemeChoice:
    """One scheme in a portfolio: whether it is funded, at what scale, and its figures there."""

    scheme_id: str
    name: str
    scenario: str
    """The scenario file, as the budget names it."""
    option_id: str
    divisible: bool
    driver: str | None
    """The scale driver (divisible schemes)."""
    funded: bool
    scale: float | None
    """Chosen scale [driver units]; None when not funded or all-or-nothing."""
    npsv: float
    """Incremental NPSV at that scale [GBP, PV]; 0 when not funded."""
    pv_public_costs: float
    """[GBP, PV]; 0 when not funded."""
    costs_by_year: dict[int, float]
    """Incremental public costs by calendar year [GBP, undiscounted]."""
    bcr_public: float | None
    """Incremental BCR over public costs at the scale the scenario describes [ratio] (the
    ranking's key)."""
    npsv_approximation_error: float
    """Largest gap between the scale curve's NPSV and its piecewise-linear approximation,
    over the scheme's scale range [GBP, PV]; 0 for an all-or-nothing scheme."""
    cost_approximation_error: float
    """The same for total public costs over all years [GBP, undiscounted]."""
    spent: float = 0.0
    """Incremental public costs in the budget period (every year without one) [GBP,
    undiscounted]: what it draws from the envelope."""


@dataclass(frozen=True)
class AgencyContribution:
    """What an agency pays across a portfolio and what it gains net."""

    agency_id: str
    contribution: float
    """Public costs it pays in the budget period (every year without one) [GBP,
    undiscounted]."""
    net_position: float
    """Fiscal and other gains minus what it pays and contributes [GBP, PV]."""
    by_year: dict[int, float] = field(default_factory=dict)
    """Public costs it pays in each calendar year, the budget period's and after [GBP,
    undiscounted]: for a divisible scheme interpolated between breakpoints as the programme
    does; years in which it pays nothing are left out."""


@dataclass(frozen=True)
class Portfolio:
    """A choice of schemes: the optimum, or the BCR ranking's."""

    schemes: tuple[SchemeChoice, ...]
    """Every scheme, funded or not, in the budget's order."""
    npsv: float
    """Total incremental NPSV including interactions [GBP, PV]."""
    interaction_npsv: float
    """The interactions' part of ``npsv`` [GBP, PV]."""
    pv_public_costs: float
    """[GBP, PV]."""
    bcr_public: float | None
    """(PV benefits - PV non-public costs + interactions) / PV public costs [ratio]."""
    spent: float
    """Incremental public costs in the budget period (every year without one) [GBP,
    undiscounted]."""
    agencies: tuple[AgencyContribution, ...]
    """Each agency's contribution in the budget period and its whole-life net position."""
    committed_after_period: float = 0.0
    """The funded schemes' incremental public costs after the budget period: commitments
    beyond the budget [GBP, undiscounted]; 0 without a period."""


@dataclass(frozen=True)
class LimitUse:
    """One limit (the envelope's, or an agency's; in total or in a year) and its use by the
    optimal portfolio."""

    label: str
    """``envelope, total``; ``envelope, 2025``; ``council, total`` ..."""
    agency_id: str | None
    """None for the pooled envelope."""
    year: int | None
    """None for a limit over all years."""
    limit: float
    """[GBP, undiscounted]."""
    used: float
    """[GBP, undiscounted]."""
    unused: float
    """limit - used [GBP]."""
    binding: bool
    """Whether the limit is met (unused below £1)."""
    marginal_value: float | None
    """NPSV gained per £ of ``marginal_step`` more in this limit, by re-solving [GBP per GBP]."""


@dataclass(frozen=True)
class Allocation:
    """A budget's optimal allocation, the BCR ranking's, and the constraints' part in them."""

    budget_id: str
    board: str
    price_base_year: int
    feasible: bool
    conflicts: tuple[str, ...]
    """When infeasible: constraints that cannot all hold (dropping any one makes it feasible)."""
    optimal: Portfolio
    ranking: Portfolio
    """Funding in descending BCR, each at the scale its scenario describes, while it fits."""
    left_on_table: float
    """optimal.npsv - ranking.npsv [GBP, PV]."""
    limits: tuple[LimitUse, ...]
    marginal_step: float
    """The increase in a limit used to measure its marginal value [GBP]."""
    statement: str
    uncertainty: AllocationUncertainty | None = None
    """The allocation over the uncertainty draws; None when no scheme's scenario declares
    uncertainty, or with no draws."""
    period: tuple[int, int] | None = None
    """(first, last) calendar year the budget covers; None: every year counts."""


@dataclass(frozen=True)
class SchemeUnderUncertainty:
    """One scheme's part in the optimal portfolios over the uncertainty draws."""

    scheme_id: str
    uncertain: bool
    """Whether its scenario declares uncertainty (else its central values at every draw)."""
    seed: int | None
    """Its scenario's seed (``monte_carlo.seed``); None when not uncertain."""
    funded_probability: float
    """Share of draws whose optimal portfolio funds it [probability]."""
    mean_scale: float | None
    """Mean funded scale over the draws that fund it [driver units]; None when all-or-nothing
    or never funded."""


@dataclass(frozen=True)
class AllocationUncertainty:
    """The allocation re-solved at each Monte Carlo draw of the schemes' NPSV."""

    draws: int
    schemes: tuple[SchemeUnderUncertainty, ...]
    npsv_mean: float
    """Mean over the draws of the optimal portfolio's NPSV [GBP, PV]."""
    npsv_p5: float
    """5th percentile [GBP, PV]."""
    npsv_p50: float
    """Median [GBP, PV]."""
    npsv_p95: float
    """95th percentile [GBP, PV]."""
    central_npsv_mean: float
    """Mean over the draws of the central portfolio's NPSV [GBP, PV]."""
    central_optimal_probability: float
    """Share of draws at which the central portfolio is still optimal (its NPSV within £1 of
    the draw's optimum) [probability]."""
    seconds_per_draw: float
    """Wall-clock time of one re-solve [s] (not in the JSON, which is the same on every
    run)."""
