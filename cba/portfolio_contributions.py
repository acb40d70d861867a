"""Each agency's contribution to a portfolio year by year, for the Portfolio workbook.

:class:`cba.allocation_results.AgencyContribution` gives what an agency pays over all years;
the board also wants it by year, beside the by-year limits. The figures are worked out as the
allocation counts them (docs/allocation.md): each funded scheme's incremental public costs by
agency and year (:func:`cba.scale_sweep.public_costs_by_agency`), for a divisible scheme
interpolated linearly between the breakpoints on either side of its chosen scale, exactly as
the programme's piecewise-linear curve does. Their sum over years is the agency's
contribution, and their sum over agencies a scheme's spend by year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cba.allocate import scale_range
from cba.allocation_results import Portfolio
from cba.io.budget_file import LoadedBudget
from cba.scale_sweep import public_costs_by_agency


@dataclass(frozen=True)
class AgencyYears:
    """What one agency pays towards a portfolio in each calendar year."""

    agency_id: str
    by_year: dict[int, float]
    """Incremental public costs it pays, by calendar year [GBP, undiscounted, real at the
    budget's price base year]; years in which it pays nothing are left out."""

    @property
    def total(self) -> float:
        """Over all years [GBP, undiscounted]."""
        return float(sum(self.by_year.values()))


def breakpoints(loaded: LoadedBudget, index: int) -> list[float]:
    """The scales [driver units] at which the programme evaluates divisible scheme ``index``:
    ``breakpoints`` evenly spaced from its least to its greatest scale, plus the scale its
    scenario describes when that lies between them (as :func:`cba.allocate.scheme_figures`)."""
    scheme = loaded.budget.schemes[index]
    low, high, n0 = scale_range(scheme, loaded.scenarios[index])
    grid = np.linspace(low, high, scheme.breakpoints)
    if low < n0 < high:
        grid = np.unique(np.append(grid, n0))
    return [float(x) for x in grid]


def contributions_by_year(loaded: LoadedBudget, portfolio: Portfolio) -> tuple[AgencyYears, ...]:
    """Each agency's payments towards ``portfolio`` by year, for the agencies that pay
    anything, in agency id order."""
    paid: dict[str, dict[int, float]] = {}
    for index, (choice, scenario) in enumerate(
        zip(portfolio.schemes, loaded.scenarios, strict=True)
    ):
        if not choice.funded:
            continue
        if choice.scale is None:
            costs, agency_ids = public_costs_by_agency(scenario, choice.option_id)
            at = costs[0]  # (A, T)
        else:
            points = breakpoints(loaded, index)
            costs, agency_ids = public_costs_by_agency(scenario, choice.option_id, points)
            k = int(np.clip(np.searchsorted(points, choice.scale) - 1, 0, len(points) - 2))
            share = (choice.scale - points[k]) / (points[k + 1] - points[k])
            at = (1.0 - share) * costs[k] + share * costs[k + 1]
        for a, agency in enumerate(agency_ids):
            for t in range(at.shape[1]):
                amount = float(at[a, t])
                if amount != 0.0:
                    years = paid.setdefault(agency, {})
                    year = scenario.first_year + t
                    years[year] = years.get(year, 0.0) + amount
    return tuple(
        AgencyYears(agency, dict(sorted(years.items())))
        for agency, years in sorted(paid.items())
        if any(abs(v) > 0.005 for v in years.values())
    )
