"""Optimism bias in the scenario language (GB §5.43-5.46; MM2002; LP2014 confidence grades)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, Tag

from cba.reference.optimism_bias import LP2014_CONFIDENCE_GRADES, LP2014_GRADE_SOURCE
from cba.spec.base import (
    ConfidenceGrade,
    Fraction,
    Identifier,
    Source,
    StrictModel,
    as_mapping,
    discriminator,
    tag,
)

ProjectCategoryName = Literal[
    "standard_buildings",
    "non_standard_buildings",
    "standard_civil_engineering",
    "non_standard_civil_engineering",
    "equipment_development",
    "outsourcing",
]
"""A Mott MacDonald (2002) project category."""


class MottMacDonaldUplift(StrictModel):
    """Cost uplift from a Mott MacDonald category: upper bound x (1 - mitigation)."""

    category: ProjectCategoryName
    """Project category; its upper bound is the uplift before mitigation (MM2002)."""
    mitigation: Fraction = 0.0
    """Share of the upper bound removed by evidenced risk mitigation [fraction] (GB §5.46)."""


class UpperBoundUplift(StrictModel):
    """Cost uplift from an upper bound the scenario gives, with mitigation: upper bound x
    (1 - mitigation) (GB §5.43-5.46: start from the upper bound for the project type, reduce it
    as risks are mitigated). For an upper bound from a source other than Mott MacDonald (2002):
    a department's own data or a later study."""

    upper_bound: CostUplift
    """Uplift before mitigation [fraction of cost], up to 2.0 (200%)."""
    mitigation: Fraction = 0.0
    """Share of the upper bound removed by evidenced risk mitigation [fraction] (GB §5.46)."""
    source: Source
    """Where the upper bound (and the mitigation claimed) come from."""


class GradedCorrection(StrictModel):
    """Correction read from the scenario's confidence-grade table (LP2014)."""

    confidence_grade: ConfidenceGrade
    """Grade of the evidence behind the number (1 = strongest)."""


CostUplift = Annotated[float, Field(ge=0.0, le=2.0, allow_inf_nan=False)]
"""A cost uplift [fraction of cost], up to 2.0 (the MM2002 equipment/development bound, 200%)."""


def _cost_form(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return tag("uplift")
    if isinstance(value, dict):
        if "category" in value:
            return tag("mott_macdonald")
        if "upper_bound" in value:
            return tag("upper_bound")
        if "confidence_grade" in value:
            return tag("grade")
    return None


def _benefit_form(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return tag("reduction")
    if isinstance(value, dict) and "confidence_grade" in value:
        return tag("grade")
    return None


CostOptimismBias = Annotated[
    Annotated[CostUplift, Tag(tag("uplift"))]
    | Annotated[MottMacDonaldUplift, Tag(tag("mott_macdonald"))]
    | Annotated[UpperBoundUplift, Tag(tag("upper_bound"))]
    | Annotated[GradedCorrection, Tag(tag("grade"))],
    discriminator(
        _cost_form,
        "an uplift fraction (0.24), {category: standard_buildings, mitigation: 0.5}, "
        "{upper_bound: 0.2, mitigation: 0.5, source: ...} or {confidence_grade: 3}",
    ),
]
"""Cost optimism bias: an uplift fraction, a Mott MacDonald category with mitigation, an upper
bound with mitigation, or a confidence grade."""

BenefitOptimismBias = Annotated[
    Annotated[Fraction, Tag(tag("reduction"))] | Annotated[GradedCorrection, Tag(tag("grade"))],
    discriminator(_benefit_form, "a reduction fraction (0.1) or {confidence_grade: 3}"),
]
"""Benefit optimism bias: a reduction fraction or a confidence grade."""


class ConfidenceGradeTable(StrictModel):
    """Optimism-bias correction by evidence confidence grade, editable per scenario."""

    name: Identifier = "lp2014"
    """Name of the table, recorded in results."""
    corrections: Annotated[
        dict[Annotated[int, Field(ge=1, le=9)], Fraction], Field(min_length=1)
    ] = Field(default_factory=lambda: dict(LP2014_CONFIDENCE_GRADES))
    """Correction [fraction] by grade: costs are uplifted by it, benefits reduced by it.
    Default (LP2014, recalled; VERIFY): 1: 0.0, 2: 0.05, 3: 0.10, 4: 0.15, 5: 0.25, 6: 0.40."""
    source: Source = LP2014_GRADE_SOURCE
    """Where the table comes from."""
    verified: bool = False
    """Set true once the table has been checked against the published guidance."""
