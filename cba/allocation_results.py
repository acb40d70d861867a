"""Results of allocating a neighbourhood budget (``cba allocate``): plain frozen containers.

Money: NPSV, PV costs and net positions [GBP, present value, real at the budget's price base
year]; contributions, limits and uses [GBP, undiscounted, real]; marginal values [GBP of NPSV
per GBP of limit]. ``None`` where a figure is undefined.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OBJECTIVE_LABELS = {
    "npsv": "NPSV",
    "public_value": "public value (PV of benefits)",
    "weighted_npsv": "distributionally weighted NPSV",
    "outcomes": "outcomes",
}
"""Each objective measure as outputs name it."""


@dataclass(frozen=True)
class ObjectiveUsed:
    """What the allocation maximised (docs/allocation.md, "Objectives")."""

    measure: str
    """``npsv``, ``public_value``, ``weighted_npsv`` or ``outcomes``."""
    label: str
    """As outputs name it: "NPSV", "public value (PV of benefits)", ... or the outcomes'
    unit."""
    money: bool
    """True for the money measures [GBP, PV]; False for outcomes [discounted outcomes]."""
    outcome_lines: tuple[str, ...] = ()
    """For ``outcomes``: the benefit lines whose net outcomes count."""
    why: str | None = None

    def amount(self, value: float) -> str:
        """A value of the objective in words: £1,234 or 1,234.5 crimes prevented."""
        if self.money:
            sign = "-" if value < 0 else ""
            return f"{sign}£{abs(value):,.0f}"
        return f"{value:,.1f} {self.label}"


NPSV_OBJECTIVE = ObjectiveUsed("npsv", "NPSV", True)
"""The default objective."""


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
    objective_value: float = 0.0
    """The budget's objective at that scale [objective units]; 0 when not funded (the NPSV
    when the objective is the NPSV)."""
    objective_approximation_error: float = 0.0
    """As ``npsv_approximation_error``, for the objective [objective units]."""


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
    objective_value: float = 0.0
    """Total of the budget's objective, interactions included [objective units]."""
    interaction_objective: float = 0.0
    """The interactions' part of ``objective_value``."""


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
    """Objective gained per £ of ``marginal_step`` more in this limit, by re-solving [GBP per
    GBP for the money objectives; discounted outcomes per GBP for outcomes]."""


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
    """optimal.objective_value - ranking.objective_value [objective units: GBP, PV, for the
    NPSV]."""
    limits: tuple[LimitUse, ...]
    marginal_step: float
    """The increase in a limit used to measure its marginal value [GBP]."""
    statement: str
    uncertainty: AllocationUncertainty | None = None
    """The allocation over the uncertainty draws; None when no scheme's scenario declares
    uncertainty, or with no draws."""
    period: tuple[int, int] | None = None
    """(first, last) calendar year the budget covers; None: every year counts."""
    objective: ObjectiveUsed = NPSV_OBJECTIVE
    uncertainty_skipped: str | None = None
    """Why the allocation was not re-solved over the draws although some scheme declares
    uncertainty (an objective other than the NPSV); None otherwise."""


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
    """Wall-clock time of the re-solves over the number of draws, with draws solved side by
    side on the machine's cores [s] (not in the JSON, which is the same on every
    run)."""
