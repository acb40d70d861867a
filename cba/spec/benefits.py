"""Benefit lines in the local-partnership form (LP2014): outcomes x unit values, net of
deadweight, displacement, leakage, substitution and attribution, with drop-off over time."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, Tag, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from cba.spec.base import (
    AgencyRef,
    Fraction,
    Identifier,
    MoneyPerOutcome,
    OneOf,
    OutcomesPerYear,
    People,
    PeriodYear,
    PriceYear,
    ReferenceContext,
    ShortText,
    Source,
    StrictModel,
    as_mapping,
    discriminator,
    tag,
)
from cba.spec.optimism import BenefitOptimismBias
from cba.spec.scale import ScalingLaw
from cba.spec.uncertainty import UncertainValues


class FiscalValue(StrictModel):
    """A saving to a public agency's budget per outcome."""

    value_type: Literal["fiscal"]
    """``fiscal``: a change in a public budget."""
    amount: MoneyPerOutcome
    """Value per outcome [GBP per outcome], at most 1e9 (£1 billion)."""
    agency: AgencyRef
    """The agency whose budget saves the money (or bears the avoided cost)."""
    cashable: bool = False
    """True if the saving can be taken out of a budget as cash; false if it frees capacity."""
    transfer: bool = False
    """True for a transfer (e.g. benefit payments): counted in the agency's fiscal view, not in
    public value, PVB or NPSV (LP2014)."""
    source: Source
    """Where the unit value comes from."""


class EconomicValue(StrictModel):
    """A gain in economic output per outcome (earnings, productivity)."""

    value_type: Literal["economic"]
    """``economic``."""
    amount: MoneyPerOutcome
    """Value per outcome [GBP per outcome], at most 1e9 (£1 billion)."""
    beneficiary: AgencyRef | None = None
    """Who gains, if it is one of the agencies (optional)."""
    source: Source
    """Where the unit value comes from."""


class SocialValue(StrictModel):
    """A gain in wellbeing or other social value per outcome (public value, LP2014)."""

    value_type: Literal["social"]
    """``social``."""
    amount: MoneyPerOutcome
    """Value per outcome [GBP per outcome], at most 1e9 (£1 billion)."""
    beneficiary: AgencyRef | None = None
    """Who gains, if it is one of the agencies (optional)."""
    source: Source
    """Where the unit value comes from."""


def _value_form(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, dict) and value.get("value_type") in ("fiscal", "economic", "social"):
        return tag(str(value["value_type"]))
    return None


UnitValue = Annotated[
    Annotated[FiscalValue, Tag(tag("fiscal"))]
    | Annotated[EconomicValue, Tag(tag("economic"))]
    | Annotated[SocialValue, Tag(tag("social"))],
    discriminator(_value_form, "a mapping with value_type: fiscal, economic or social"),
]


class Cohort(StrictModel):
    """Gross outcomes a year = cohort x engagement rate x success rate (LP2014)."""

    cohort: People
    """People (or households, places) eligible each year [people per year], at most 1e8."""
    engagement_rate: Fraction = 1.0
    """Share of the cohort who take part [fraction]."""
    success_rate: Fraction = 1.0
    """Share of participants for whom the outcome is achieved [fraction]."""
    source: Source | None = None
    """Where the cohort and rates come from."""


class BenefitLine(StrictModel):
    """One outcome of an option and what it is worth."""

    id: Identifier
    """Id of the line, unique within the option."""
    name: ShortText
    """The outcome, in words."""
    outcomes: Cohort | None = None
    """Gross outcomes from a cohort. Give this or outcomes_per_year."""
    outcomes_per_year: OutcomesPerYear | None = None
    """Gross outcomes each active year [outcomes per year], given directly; at most 1e9."""
    unit_values: Annotated[list[UnitValue], Field(min_length=1)]
    """Value of one outcome, split by value type (fiscal by agency, economic, social)."""
    deadweight: Fraction = 0.0
    """Share of outcomes that would have happened anyway [fraction] (LP2014, AG)."""
    displacement: Fraction = 0.0
    """Share of outcomes that displace the same outcomes elsewhere [fraction] (AG)."""
    leakage: Fraction = 0.0
    """Share of outcomes that benefit people outside the target area or group [fraction] (AG)."""
    substitution: Fraction = 0.0
    """Share of outcomes substituted for a similar activity [fraction] (AG)."""
    attribution: Fraction = 0.0
    """Share of outcomes due to other organisations' work [fraction] (SROI)."""
    multiplier: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = 1.0
    """Local multiplier on net outcomes [dimensionless]; 1 means none (AG)."""
    drop_off: Fraction = 0.0
    """Share of the previous year's effect lost each year after the first [fraction] (SROI)."""
    start_year: PeriodYear | None = None
    """First calendar year of outcomes. Default: the first appraisal year."""
    duration_years: Annotated[int, Field(ge=1, le=500)] | None = None
    """Number of years the outcomes last. Default: to the end of the appraisal period."""
    health: bool = False
    """True for health and life effects: discounted with the health schedule (GB Annex A6)."""
    optimism_bias: BenefitOptimismBias = 0.0
    """Reduction for optimism bias: a fraction or a confidence grade (LP2014). Default 0."""
    price_year: PriceYear | None = None
    """Price year of the unit values. Default: the scenario's price_base_year."""
    source: Source
    """Where the outcome numbers come from."""
    scaling: ScalingLaw | None = None
    """How the outcomes vary with the option's scale driver. Default: in proportion."""
    uncertain: UncertainValues = Field(default_factory=dict)
    """Distributions of this line's inputs, by key (``amount_per_year: {distribution: ...,
    why: ...}``): the same as entries of the ``uncertainty:`` block. Default: none."""

    one_of: ClassVar[OneOf | None] = OneOf((("outcomes",), ("outcomes_per_year",)))

    @field_validator("duration_years")
    @classmethod
    def _within_period(cls, duration: int | None, info: ValidationInfo) -> int | None:
        ctx = info.context
        if duration is None or not isinstance(ctx, ReferenceContext):
            return duration
        if ctx.first_year is None or ctx.last_year is None:
            return duration
        start = info.data.get("start_year") or ctx.first_year
        end = start + duration - 1
        if end > ctx.last_year:
            raise PydanticCustomError(
                "benefit_beyond_period",
                "the outcomes run from {start} to {end}, beyond the last appraisal year {last}. "
                "Shorten duration_years to {fit} or lengthen appraisal_period_years",
                {
                    "start": start,
                    "end": end,
                    "last": ctx.last_year,
                    "fit": ctx.last_year - start + 1,
                },
            )
        return duration

    @property
    def gross_outcomes_per_year(self) -> tuple[float, float, float]:
        """(cohort, engagement rate, success rate); a direct count is (count, 1, 1)."""
        if self.outcomes is not None:
            o = self.outcomes
            return (o.cohort, o.engagement_rate, o.success_rate)
        return (float(self.outcomes_per_year or 0.0), 1.0, 1.0)
