"""Allocating a neighbourhood budget: each scheme's figures from its scenario, the programme,
the BCR ranking for comparison, and the marginal value of each limit (docs/allocation.md).

Wiring only: the figures come from the compiled model through ``cba.run`` (all-or-nothing
schemes) and ``cba.scale_sweep`` (divisible schemes, at their breakpoints); the optimisation
is ``cba.engine.allocation`` on plain arrays.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cba.allocation_results import (
    OBJECTIVE_LABELS,
    AgencyContribution,
    Allocation,
    AllocationUncertainty,
    LimitUse,
    ObjectiveUsed,
    Portfolio,
    SchemeChoice,
    SchemeUnderUncertainty,
)
from cba.distribution import weighted_npsv_at
from cba.engine import allocation as engine
from cba.io.budget_file import LoadedBudget, load_budget
from cba.model.evaluation import CompiledScenario
from cba.pipeline import run
from cba.scale_sweep import (
    DEFAULT_SPAN,
    discounted_outcomes,
    npsv_by_draw,
    public_costs_by_agency,
    sweep_option,
)
from cba.spec.budget import Budget, Objective, Scheme
from cba.spec.scenario import Scenario
from cba.spec.uncertainty import MonteCarlo
from cba.uncertainty import drawn_inputs

FloatArray = NDArray[np.float64]

MARGINAL_STEP = 1.0
"""Each limit is raised by this much to measure its marginal value [GBP]."""
FINE_STEPS = 8
"""Points evaluated within each segment to measure the piecewise-linear error."""
BINDING_SLACK = 1.0
"""A limit with less than this unused is binding [GBP]."""
DEFAULT_DRAWS = 200
"""Uncertainty draws re-solved by default (``cba allocate --draws``): each is a solve of the
programme, so fewer than ``cba run``'s 10,000."""
DRAW_WORKERS = os.cpu_count() or 1
"""Draws re-solved side by side (threads; the results do not depend on it)."""
STILL_OPTIMAL = 1.0
"""The central portfolio is still optimal at a draw when its NPSV there is within this of the
draw's optimum [GBP]."""


def scheme_npsv_draws(
    scheme: Scheme, scenario: Scenario, figures: SchemeFigures, draws: int
) -> tuple[FloatArray, int] | None:
    """(D, K) NPSV of a scheme at its breakpoints at each of ``draws`` draws of its scenario's
    uncertain inputs (its own seed), and the seed; None when it declares no uncertainty.

    One vectorised evaluation of the compiled model over the draws (and the breakpoints).
    """
    if not scenario.declares_uncertainty:
        return None
    compiled = CompiledScenario(scenario)
    seed = (scenario.monte_carlo or MonteCarlo()).seed
    drawn = drawn_inputs(compiled, draws, seed)
    if not drawn:
        return None
    values = {d.parameter.path: d.values for d in drawn}
    at = None if figures.points is None else figures.points.tolist()
    return npsv_by_draw(compiled, scheme.option, values, at), seed


def allocation_uncertainty(
    loaded: LoadedBudget,
    figures: list[SchemeFigures],
    problem: engine.AllocationProblem,
    central: engine.Allocation,
    draws: int,
) -> AllocationUncertainty | None:
    """The allocation re-solved at each draw; None when no scheme declares uncertainty.

    Each uncertain scheme's NPSV is drawn from its own scenario with that scenario's seed:
    draws of different scenarios are independent. Schemes without uncertainty, the
    interactions and every scheme's use of the limits keep their central values (the limits
    are on the costs as proposed), so only the programme's objective changes from draw to
    draw.
    """
    if draws < 1:
        return None
    found = [
        scheme_npsv_draws(scheme, scenario, fig, draws)
        for scheme, scenario, fig in zip(
            loaded.budget.schemes, loaded.scenarios, figures, strict=True
        )
    ]
    if all(f is None for f in found):
        return None
    values = tuple(
        np.broadcast_to(fig.npsv, (draws, fig.npsv.size)) if f is None else f[0]
        for f, fig in zip(found, figures, strict=True)
    )
    solved = engine.allocate_draws(problem, values, central, workers=DRAW_WORKERS)
    schemes = []
    for i, (scheme, fig, f) in enumerate(zip(loaded.budget.schemes, figures, found, strict=True)):
        funded = solved.funded[:, i]
        mean_scale = None
        if fig.points is not None and funded.any():
            mean_scale = float(np.mean(solved.weights[i][funded] @ fig.points))
        schemes.append(
            SchemeUnderUncertainty(
                scheme_id=scheme.id,
                uncertain=f is not None,
                seed=None if f is None else f[1],
                funded_probability=float(np.mean(funded)),
                mean_scale=mean_scale,
            )
        )
    p5, p50, p95 = (float(x) for x in np.percentile(solved.value, [5, 50, 95]))
    return AllocationUncertainty(
        draws=draws,
        schemes=tuple(schemes),
        npsv_mean=float(np.mean(solved.value)),
        npsv_p5=p5,
        npsv_p50=p50,
        npsv_p95=p95,
        central_npsv_mean=float(np.mean(solved.given_value)),
        central_optimal_probability=float(
            np.mean(solved.given_value >= solved.value - STILL_OPTIMAL)
        ),
        seconds_per_draw=solved.seconds / draws,
    )


@dataclass(frozen=True)
class SchemeFigures:
    """One scheme's figures at each of its K breakpoints."""

    points: FloatArray | None
    """(K,) scales [driver units]; None for an all-or-nothing scheme (K = 1)."""
    driver: str | None
    npsv: FloatArray
    """(K,) [GBP, PV]."""
    numerator: FloatArray
    """(K,) PV benefits - PV non-public costs - tax burden: the BCR's numerator [GBP, PV]."""
    pv_public_costs: FloatArray
    """(K,) [GBP, PV]."""
    net_by_agency: dict[str, FloatArray]
    """Agency -> (K,) net position [GBP, PV]."""
    costs: FloatArray
    """(K, A, T) incremental public costs by agency and year [GBP, undiscounted]."""
    agency_ids: tuple[str, ...]
    years: tuple[int, ...]
    """(T,) calendar years."""
    proposed: int
    """Breakpoint at the scale the scenario describes (the ranking funds it there)."""
    bcr_public: float | None
    """At ``proposed`` [ratio]."""
    npsv_error: float
    cost_error: float
    objective: FloatArray | None = None
    """(K,) the budget's objective when it is not the NPSV [objective units]; None: the NPSV."""
    objective_error: float | None = None
    """The objective's piecewise-linear error, as ``npsv_error`` [objective units]."""

    @property
    def value(self) -> FloatArray:
        """(K,) what the programme maximises: the objective, else the NPSV."""
        return self.npsv if self.objective is None else self.objective


def scale_range(scheme: Scheme, scenario: Scenario) -> tuple[float, float, float]:
    """(min, max, n0) of a divisible scheme [driver units]: the budget's, else the option's
    sweep, else n0 x 0.1 to n0 x 5 (as ``cba scale``)."""
    spec = scenario.option(scheme.option).scale
    if spec is None:  # checked when the budget is loaded
        raise ValueError(f"scheme '{scheme.id}': option '{scheme.option}' has no scale: block")
    low = spec.sweep.start if spec.sweep else spec.n0 * DEFAULT_SPAN[0]
    high = spec.sweep.stop if spec.sweep else spec.n0 * DEFAULT_SPAN[1]
    return (scheme.min_scale or low, scheme.max_scale or high, spec.n0)


def objective_at(
    scenario: Scenario,
    option_id: str,
    objective: Objective,
    npsv: FloatArray,
    pv_benefits: FloatArray,
    at: FloatArray | None = None,
) -> FloatArray | None:
    """An option's value of the budget's objective at each driver value (or as written);
    None for the NPSV (the figures' own). ``npsv`` and ``pv_benefits`` are at the same
    points [GBP, PV]."""
    if objective.measure == "npsv":
        return None
    if objective.measure == "public_value":
        return pv_benefits
    where = None if at is None else at.tolist()
    if objective.measure == "weighted_npsv":
        return weighted_npsv_at(scenario, run(scenario).options, option_id, npsv, where)
    return discounted_outcomes(scenario, option_id, objective.outcomes or [], where)


def scheme_figures(
    scheme: Scheme, scenario: Scenario, objective: Objective | None = None
) -> SchemeFigures:
    """A scheme's NPSV, objective, costs and agency positions at its breakpoints, from its
    scenario."""
    objective = objective or Objective()
    years = tuple(range(scenario.first_year, scenario.last_year + 1))
    if not scheme.divisible:
        result = run(scenario).option(scheme.option)
        m = result.incremental
        costs, agency_ids = public_costs_by_agency(scenario, scheme.option)
        npsv = np.array([m.npsv])
        return SchemeFigures(
            points=None,
            driver=None,
            npsv=npsv,
            numerator=np.array(
                [m.pv_benefits - m.pv_non_public_costs - m.pv_marginal_excess_tax_burden]
            ),
            pv_public_costs=np.array([m.pv_public_costs]),
            net_by_agency={
                a.agency_id: np.array([a.net_position]) for a in result.agencies_incremental
            },
            costs=costs,
            agency_ids=agency_ids,
            years=years,
            proposed=0,
            bcr_public=m.bcr_public,
            npsv_error=0.0,
            cost_error=0.0,
            objective=objective_at(
                scenario, scheme.option, objective, npsv, np.array([m.pv_benefits])
            ),
            objective_error=None if objective.measure == "npsv" else 0.0,
        )
    low, high, n0 = scale_range(scheme, scenario)
    grid = np.linspace(low, high, scheme.breakpoints)
    if low < n0 < high:
        grid = np.unique(np.append(grid, n0))
    fine = np.unique(
        np.concatenate([np.linspace(a, b, FINE_STEPS + 1) for a, b in itertools.pairwise(grid)])
    )
    curve = sweep_option(scenario, scheme.option, at=np.concatenate([grid, fine]).tolist())
    n = np.array(curve.points)

    def at(values: tuple[float, ...] | tuple[float | None, ...], where: FloatArray) -> FloatArray:
        index = np.searchsorted(n, where)
        return np.array([np.nan if values[i] is None else values[i] for i in index], dtype=float)

    npsv = at(curve.npsv, grid)
    # The BCR's numerator, PVB - non-public costs - METB, is NPSV + public costs + community
    # inputs (the curve does not carry the METB on its own).
    numerator = npsv + at(curve.pv_public_costs, grid) + at(curve.pv_community_inputs, grid)
    value = objective_at(
        scenario, scheme.option, objective, np.array(curve.npsv), np.array(curve.pv_benefits), n
    )
    costs, agency_ids = public_costs_by_agency(scenario, scheme.option, grid.tolist())
    fine_costs, _ = public_costs_by_agency(scenario, scheme.option, fine.tolist())
    proposed = int(np.argmin(np.abs(grid - min(max(n0, low), high))))
    bcr = curve.bcr_public[int(np.searchsorted(n, grid[proposed]))]
    return SchemeFigures(
        points=grid,
        driver=curve.driver,
        npsv=npsv,
        numerator=numerator,
        pv_public_costs=at(curve.pv_public_costs, grid),
        net_by_agency={a: at(v, grid) for a, v in curve.net_by_agency.items()},
        costs=costs,
        agency_ids=agency_ids,
        years=years,
        proposed=proposed,
        bcr_public=bcr,
        npsv_error=engine.interpolation_error(grid, npsv, fine, at(curve.npsv, fine)),
        objective=None if value is None else at(tuple(value.tolist()), grid),
        objective_error=None
        if value is None
        else engine.interpolation_error(
            grid, at(tuple(value.tolist()), grid), fine, at(tuple(value.tolist()), fine)
        ),
        cost_error=engine.interpolation_error(
            grid, costs.sum(axis=(1, 2)), fine, fine_costs.sum(axis=(1, 2))
        ),
    )


@dataclass(frozen=True)
class LimitRow:
    """One row of the programme's limits: whose, which year (None: all years), how much."""

    label: str
    agency_id: str | None
    year: int | None
    limit: float
    period: tuple[int, int] | None = None
    """For a total: the years it counts (the budget period); None: every year."""


def limit_rows(budget: Budget) -> list[LimitRow]:
    """The envelope's and each agency's limits, in total then by year."""
    rows: list[LimitRow] = []
    for who, limit in [(None, budget.envelope), *((a.id, a) for a in budget.agencies)]:
        name = who or "envelope"
        if limit.total is not None:
            rows.append(LimitRow(f"{name}, total", who, None, limit.total, period_of(budget)))
        for year, amount in sorted((limit.by_year or {}).items()):
            rows.append(LimitRow(f"{name}, {year}", who, year, amount))
    return rows


def period_of(budget: Budget) -> tuple[int, int] | None:
    """(first, last) year of the budget period; None when the budget gives none."""
    period = budget.period
    return None if period is None else (period.first_year, period.last_year)


def in_period(year: int, period: tuple[int, int] | None) -> bool:
    """Whether a calendar year counts against a total (every year without a period)."""
    return period is None or period[0] <= year <= period[1]


def resource_use(figures: SchemeFigures, rows: list[LimitRow]) -> FloatArray:
    """(K, J) use of each limit at each breakpoint [GBP, undiscounted]."""
    use = np.zeros((figures.npsv.size, len(rows)))
    for j, row in enumerate(rows):
        agencies = [
            a for a, agency in enumerate(figures.agency_ids) if row.agency_id in (None, agency)
        ]
        years = [
            t
            for t, year in enumerate(figures.years)
            if row.year == year or (row.year is None and in_period(year, row.period))
        ]
        if agencies and years:
            use[:, j] = figures.costs[:, agencies][:, :, years].sum(axis=(1, 2))
    return use


def _portfolio(
    budget: Budget, figures: list[SchemeFigures], chosen: engine.Allocation
) -> Portfolio:
    schemes: list[SchemeChoice] = []
    agencies: dict[str, list[float]] = {}
    paid_by_year: dict[str, dict[int, float]] = {}
    period = period_of(budget)
    after = 0.0
    index = budget.scheme_index()
    interaction_npsv = float(
        sum(
            p.npsv
            for p in budget.interactions
            if chosen.funded[index[p.schemes[0]]] and chosen.funded[index[p.schemes[1]]]
        )
    )
    numerator = interaction_npsv
    pv_public = 0.0
    for scheme, fig, w, funded in zip(
        budget.schemes, figures, chosen.weights, chosen.funded, strict=True
    ):
        by_year: dict[int, float] = {}
        if funded:
            paid = np.tensordot(w, fig.costs, axes=1)  # (A, T)
            by_year = {y: float(paid[:, t].sum()) for t, y in enumerate(fig.years)}
            within = np.array([in_period(y, period) for y in fig.years], dtype=bool)
            after += float(paid[:, ~within].sum())
            for a, agency in enumerate(fig.agency_ids):
                entry = agencies.setdefault(agency, [0.0, 0.0])
                entry[0] += float(paid[a, within].sum())
                years = paid_by_year.setdefault(agency, {})
                for t, year in enumerate(fig.years):
                    if paid[a, t] != 0.0:
                        years[year] = years.get(year, 0.0) + float(paid[a, t])
                entry[1] += float(w @ fig.net_by_agency[agency])
            numerator += float(w @ fig.numerator)
            pv_public += float(w @ fig.pv_public_costs)
        schemes.append(
            SchemeChoice(
                scheme_id=scheme.id,
                name=scheme.name or scheme.option,
                scenario=scheme.scenario,
                option_id=scheme.option,
                divisible=scheme.divisible,
                driver=fig.driver,
                funded=bool(funded),
                scale=float(w @ fig.points) if funded and fig.points is not None else None,
                npsv=float(w @ fig.npsv),
                pv_public_costs=float(w @ fig.pv_public_costs),
                costs_by_year=by_year,
                bcr_public=fig.bcr_public,
                npsv_approximation_error=fig.npsv_error,
                cost_approximation_error=fig.cost_error,
                spent=float(sum(a for y, a in by_year.items() if in_period(y, period))),
                objective_value=float(w @ fig.value),
                objective_approximation_error=fig.npsv_error
                if fig.objective_error is None
                else fig.objective_error,
            )
        )
    return Portfolio(
        schemes=tuple(schemes),
        npsv=float(sum(s.npsv for s in schemes)) + interaction_npsv,
        interaction_npsv=interaction_npsv,
        objective_value=chosen.value,
        interaction_objective=chosen.interaction_value,
        pv_public_costs=pv_public,
        bcr_public=numerator / pv_public if pv_public > 0 else None,
        spent=float(sum(s.spent for s in schemes)),
        committed_after_period=after,
        agencies=tuple(
            AgencyContribution(agency, paid, net, dict(sorted(paid_by_year[agency].items())))
            for agency, (paid, net) in sorted(agencies.items())
            if paid != 0.0 or net != 0.0
        ),
    )


def build_problem(
    budget: Budget, figures: list[SchemeFigures], rows: list[LimitRow]
) -> engine.AllocationProblem:
    """The programme's arrays from the budget and the schemes' figures."""
    index = budget.scheme_index()
    by_outcomes = budget.chosen_objective().measure == "outcomes"
    tiebreak = all(f.objective is None for f in figures)
    return engine.AllocationProblem(
        values=tuple(f.value for f in figures),
        uses=tuple(resource_use(f, rows) for f in figures),
        limits=np.array([r.limit for r in rows], dtype=float),
        required=np.array([s.required for s in budget.schemes]),
        exclusive_groups=tuple(tuple(index[s] for s in g.schemes) for g in budget.exclusive),
        dependencies=tuple((index[d.scheme], index[d.needs]) for d in budget.dependencies),
        interactions=tuple(
            (index[p.schemes[0]], index[p.schemes[1]], p.outcomes if by_outcomes else p.npsv)
            for p in budget.interactions
        ),
        # Another objective than the NPSV: among its optima, the portfolio with most NPSV.
        tiebreak=None if tiebreak else tuple(f.npsv for f in figures),
        tiebreak_interactions=tuple(p.npsv for p in budget.interactions),
    )


def describe_conflict(budget: Budget, rows: list[LimitRow], group: tuple[str, int]) -> str:
    """A constraint group of the programme in the budget's words."""
    kind, i = group
    if kind == "limit":
        return f"limit {rows[i].label} (£{rows[i].limit:,.0f})"
    if kind == "exclusive":
        g = budget.exclusive[i]
        return f"exclusive group {g.id} (at most one of {', '.join(g.schemes)})"
    if kind == "dependency":
        d = budget.dependencies[i]
        return f"dependency: {d.scheme} needs {d.needs}"
    return f"required scheme {budget.schemes[i].id}"


def allocate_budget(
    loaded: LoadedBudget, marginal_step: float = MARGINAL_STEP, draws: int = DEFAULT_DRAWS
) -> Allocation:
    """The optimal allocation of a loaded budget, the BCR ranking's, each limit's use and
    marginal value, and (``draws`` > 0, some scheme uncertain) the allocation over the
    uncertainty draws."""
    budget = loaded.budget
    objective = budget.chosen_objective()
    used = objective_used(objective)
    figures = [
        scheme_figures(scheme, scenario, objective)
        for scheme, scenario in zip(budget.schemes, loaded.scenarios, strict=True)
    ]
    rows = limit_rows(budget)
    problem = build_problem(budget, figures, rows)
    best = engine.allocate(problem)
    ranked = engine.rank_by_bcr(
        problem,
        np.array([f.proposed for f in figures]),
        np.array([np.nan if f.bcr_public is None else f.bcr_public for f in figures]),
    )
    ranking = _portfolio(budget, figures, ranked)
    if not best.feasible:
        conflicts = tuple(
            describe_conflict(budget, rows, g) for g in engine.conflicting_constraints(problem)
        )
        return Allocation(
            budget_id=budget.id,
            board=budget.board,
            price_base_year=budget.price_base_year,
            period=period_of(budget),
            feasible=False,
            conflicts=conflicts,
            optimal=_portfolio(budget, figures, best),
            ranking=ranking,
            left_on_table=0.0,
            limits=(),
            marginal_step=marginal_step,
            statement="No choice of schemes meets every constraint; these cannot all hold: "
            + "; ".join(conflicts)
            + ".",
            objective=used,
        )
    optimal = _portfolio(budget, figures, best)
    marginal = engine.marginal_values(problem, best.value, marginal_step)
    limits = tuple(
        LimitUse(
            label=row.label,
            agency_id=row.agency_id,
            year=row.year,
            limit=row.limit,
            used=float(best.used[j]),
            unused=row.limit - float(best.used[j]),
            binding=row.limit - float(best.used[j]) < BINDING_SLACK,
            marginal_value=None if np.isnan(marginal[j]) else float(marginal[j]),
        )
        for j, row in enumerate(rows)
    )
    left = optimal.objective_value - ranking.objective_value
    funded = [s.name for s in optimal.schemes if s.funded]
    if used.money:
        found = f"the highest total {used.label}, {used.amount(optimal.objective_value)}"
        theirs = used.amount(ranking.objective_value)
        lost = used.amount(left) + (" of NPSV" if used.measure == "npsv" else "")
    else:
        found = f"the most {used.label}, {optimal.objective_value:,.1f} (discounted)"
        theirs, lost = f"{ranking.objective_value:,.1f}", f"{left:,.1f}"
    statement = (
        f"Funding {join_names(funded) or 'no scheme'} gives {found}. Funding in order of BCR "
        f"while it fits gives {theirs}"
        + (
            f", leaving {lost} on the table."
            if left > (0.5 if used.money else 0.05)
            else ", the same."
        )
    )
    skipped = None
    if objective.measure != "npsv" and any(s.declares_uncertainty for s in loaded.scenarios):
        skipped = (
            "The allocation is re-solved over the uncertainty draws for the NPSV objective "
            f"only; with the {used.label} objective the draws are not run."
        )
    return Allocation(
        budget_id=budget.id,
        board=budget.board,
        price_base_year=budget.price_base_year,
        feasible=True,
        conflicts=(),
        optimal=optimal,
        ranking=ranking,
        left_on_table=left,
        limits=limits,
        marginal_step=marginal_step,
        statement=statement,
        uncertainty=None
        if skipped
        else allocation_uncertainty(loaded, figures, problem, best, draws),
        period=period_of(budget),
        objective=used,
        uncertainty_skipped=skipped if draws > 0 else None,
    )


def join_names(names: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def objective_used(objective: Objective) -> ObjectiveUsed:
    """The budget's objective as results report it."""
    if objective.measure == "outcomes":
        return ObjectiveUsed(
            "outcomes",
            objective.unit or "outcomes",
            False,
            tuple(objective.outcomes or ()),
            objective.why,
        )
    return ObjectiveUsed(
        objective.measure, OBJECTIVE_LABELS[objective.measure], True, (), objective.why
    )


class ObjectiveError(ValueError):
    """An objective the budget's schemes cannot give, or options that do not fit together."""


def with_objective(loaded: LoadedBudget, measure: str | None, lines: list[str]) -> LoadedBudget:
    """The loaded budget with another objective in place of its file's (``cba allocate
    --objective MEASURE --outcome LINE ...``): ``measure`` None keeps the file's measure,
    ``lines`` (for ``outcomes``) replace the file's.

    Raises ``ObjectiveError`` when they do not fit together or the schemes cannot give it.
    """
    from cba.io.budget_file import objective_problems

    budget = loaded.budget
    given = budget.chosen_objective()
    measure = measure or given.measure
    if lines and measure != "outcomes":
        raise ObjectiveError("--outcome goes with --objective outcomes")
    if measure == "outcomes":
        counted = lines or given.outcomes
        if not counted:
            raise ObjectiveError(
                "--objective outcomes needs the benefit lines to count: give --outcome LINE "
                "(repeat for more), or an objective: block with outcomes: in the budget file"
            )
        objective: dict[str, object] = {"measure": "outcomes", "outcomes": counted}
        if given.unit is not None:
            objective["unit"] = given.unit
    else:
        objective = {"measure": measure}
    changed = Budget.model_validate(
        {**budget.model_dump(exclude_unset=True), "objective": objective}
    )
    problems = objective_problems(changed, loaded.scenarios)
    if problems:
        raise ObjectiveError(f"--objective {measure}: " + "; ".join(m for _, m in problems))
    return LoadedBudget(loaded.path, changed, loaded.scenarios)


def allocate_file(path: str | Path, draws: int = DEFAULT_DRAWS) -> Allocation:
    """Load a budget file and allocate it (raises ``ScenarioError`` for a bad file)."""
    return allocate_budget(load_budget(path), draws=draws)
