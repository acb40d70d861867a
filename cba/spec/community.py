"""Community inputs (co-production): volunteer and service-user time, in-kind goods and space.

These are real resources that public budgets do not pay for (Bovaird and Loeffler: co-production
is not resource-free). They are valued explicitly and results are reported with and without
them. The wellbeing volunteers gain is a benefit line, not part of the input's value.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, Tag

from cba.spec.base import (
    AgencyRef,
    HoursPerPerson,
    HoursPerYear,
    Identifier,
    MoneyPerHour,
    MoneyPerYear,
    OneOf,
    People,
    ShortText,
    Source,
    as_mapping,
    discriminator,
    tag,
)
from cba.spec.scale import ScalingLaw
from cba.spec.timing import Timing
from cba.spec.uncertainty import UncertainValues

ValuationBasis = Literal["replacement_cost", "shadow_wage", "opportunity_cost"]
"""How an hour is valued: replacement_cost (wage of the paid role it replaces),
shadow_wage (a general wage for the activity), opportunity_cost (earnings or leisure forgone)."""


class TimeInput(Timing):
    """Hours given by volunteers or service users, valued per hour."""

    kind: Literal["time"]
    """``time``."""
    id: Identifier
    """Id of the line, unique within the option."""
    name: ShortText
    """What the time is spent on."""
    contributed_by: AgencyRef
    """The group that gives the time (usually a community or third-sector agency)."""
    hours_per_year: HoursPerYear | None = None
    """Total hours a year [hours per year], at most 1e9. Or give volunteers and
    hours_per_volunteer."""
    volunteers: People | None = None
    """Number of people giving time [people], at most 1e8 (more than the UK population)."""
    hours_per_volunteer: HoursPerPerson | None = None
    """Hours each person gives a year [hours per person per year], at most 8,784 (a leap
    year)."""
    value_per_hour: MoneyPerHour
    """Value of an hour [GBP per hour] on the stated basis, at most 1e4 (£10,000)."""
    valuation_basis: ValuationBasis
    """replacement_cost, shadow_wage or opportunity_cost (methods.md §6)."""
    source: Source
    """Where the hours and the value per hour come from."""
    scaling: ScalingLaw | None = None
    """How the input varies with the option's scale driver. Default: in proportion."""
    uncertain: UncertainValues = Field(default_factory=dict)
    """Distributions of this line's inputs, by key (``amount_per_year: {distribution: ...,
    why: ...}``): the same as entries of the ``uncertainty:`` block. Default: none."""

    one_of: ClassVar[OneOf | None] = OneOf(
        (("hours_per_year",), ("volunteers", "hours_per_volunteer"))
    )

    @property
    def hours(self) -> float:
        """Hours a year [hours per year]."""
        if self.hours_per_year is not None:
            return self.hours_per_year
        return float(self.volunteers or 0.0) * float(self.hours_per_volunteer or 0.0)


class InKindInput(Timing):
    """Goods, equipment or space given without charge, valued at what it would cost to buy."""

    kind: Literal["in_kind"]
    """``in_kind``."""
    id: Identifier
    """Id of the line, unique within the option."""
    name: ShortText
    """What is given."""
    contributed_by: AgencyRef
    """Who gives it."""
    value_per_year: MoneyPerYear
    """Value in each active year [GBP per year], at most 1e12 (£1 trillion)."""
    source: Source
    """Where the value comes from."""
    scaling: ScalingLaw | None = None
    """How the input varies with the option's scale driver. Default: in proportion."""
    uncertain: UncertainValues = Field(default_factory=dict)
    """Distributions of this line's inputs, by key (``amount_per_year: {distribution: ...,
    why: ...}``): the same as entries of the ``uncertainty:`` block. Default: none."""


def _input_form(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, dict) and value.get("kind") in ("time", "in_kind"):
        return tag(str(value["kind"]))
    return None


CommunityInput = Annotated[
    Annotated[TimeInput, Tag(tag("time"))] | Annotated[InKindInput, Tag(tag("in_kind"))],
    discriminator(_input_form, "a mapping with kind: time or kind: in_kind"),
    Field(description="A community input: kind: time (hours valued per hour) or kind: in_kind."),
]
