"""Optimism-bias tables: Mott MacDonald (2002) bounds and confidence-grade corrections."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class ProjectCategory:
    """One Mott MacDonald project category with its uplift bounds."""

    name: str
    upper_bound: float
    """Uplift before any mitigation [fraction of cost]."""
    lower_bound: float
    """Uplift once all risks are mitigated [fraction of cost]."""
    applies_to: str
    duration_upper: float | None
    """Works duration uplift before mitigation [fraction of duration]; None where not given."""
    duration_lower: float | None
    """Works duration uplift once all risks are mitigated [fraction of duration]."""


MM2002_SOURCE = (
    "Mott MacDonald (2002), Review of Large Public Procurement in the UK, for HM Treasury, "
    "Table 2; reproduced in the Green Book supplementary guidance on optimism bias (capital "
    "expenditure bounds; outsourcing on operating expenditure). Shipped reference table "
    "mott_macdonald_optimism_bias@2002"
)
MM2002_TABLE = ("mott_macdonald_optimism_bias", "2002")
"""The shipped table the bounds are read from (name, vintage)."""


@cache
def mott_macdonald_2002() -> dict[str, ProjectCategory]:
    """Mott MacDonald categories by name, read from the shipped table. Uplift = upper bound x
    (1 - mitigation) (GB §5.43-5.46)."""
    from cba.reference.library import reference_library

    table = reference_library().table(*MM2002_TABLE).table
    categories = {}
    for name, entry in table.entries.items():
        values = {k: float(v) for k, v in entry.values.items() if not isinstance(v, dict)}
        categories[name] = ProjectCategory(
            name,
            values["capex_upper"],
            values["capex_lower"],
            "operating expenditure" if name == "outsourcing" else "capital expenditure",
            values.get("duration_upper"),
            values.get("duration_lower"),
        )
    return categories


LP2014_GRADE_SOURCE = (
    "HM Treasury, PSTN and New Economy (2014), Supporting public service transformation: cost "
    "benefit analysis guidance for local partnerships, optimism bias correction by confidence "
    "grade (recalled table: VERIFY against the published guidance before relying on it)"
)

LP2014_CONFIDENCE_GRADES: dict[int, float] = {1: 0.0, 2: 0.05, 3: 0.10, 4: 0.15, 5: 0.25, 6: 0.40}
"""Correction [fraction] by evidence confidence grade (1 = best evidence). Flagged VERIFY."""
