"""Optimism-bias tables: Mott MacDonald (2002) bounds and confidence-grade corrections."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProjectCategory:
    """One Mott MacDonald project category with its capital-expenditure uplift bounds."""

    name: str
    upper_bound: float
    """Uplift before any mitigation [fraction of cost]."""
    lower_bound: float
    """Uplift once all risks are mitigated [fraction of cost]."""
    applies_to: str


MM2002_SOURCE = (
    "Mott MacDonald (2002), Review of Large Public Procurement in the UK, for HM Treasury; "
    "reproduced in the Green Book supplementary guidance on optimism bias (capital expenditure "
    "bounds; outsourcing on operating expenditure)"
)

MOTT_MACDONALD_2002: dict[str, ProjectCategory] = {
    c.name: c
    for c in (
        ProjectCategory("standard_buildings", 0.24, 0.02, "capital expenditure"),
        ProjectCategory("non_standard_buildings", 0.51, 0.04, "capital expenditure"),
        ProjectCategory("standard_civil_engineering", 0.44, 0.03, "capital expenditure"),
        ProjectCategory("non_standard_civil_engineering", 0.66, 0.06, "capital expenditure"),
        ProjectCategory("equipment_development", 2.00, 0.10, "capital expenditure"),
        ProjectCategory("outsourcing", 0.41, 0.00, "operating expenditure"),
    )
}
"""Mott MacDonald categories by name. Uplift = upper bound x (1 - mitigation) (GB §5.43-5.46)."""


LP2014_GRADE_SOURCE = (
    "HM Treasury, PSTN and New Economy (2014), Supporting public service transformation: cost "
    "benefit analysis guidance for local partnerships, optimism bias correction by confidence "
    "grade (recalled table: VERIFY against the published guidance before relying on it)"
)

LP2014_CONFIDENCE_GRADES: dict[int, float] = {1: 0.0, 2: 0.05, 3: 0.10, 4: 0.15, 5: 0.25, 6: 0.40}
"""Correction [fraction] by evidence confidence grade (1 = best evidence). Flagged VERIFY."""
