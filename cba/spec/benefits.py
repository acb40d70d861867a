"""Benefit lines in the local-partnership form (LP2014): outcomes x unit values, net of
deadweight, displacement, leakage, substitution and attribution, with drop-off over time."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, Tag, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from cba.spec.base import (
    AT,
    AgencyRef,
    Fraction,
    Identifier,
    IncomeGroupRef,
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


class AmountPerOutcome(StrictModel):
    """The value of one outcome: one amount, or an amount by calendar year."""

    amount: MoneyPerOutcome | None = None
    """Value per outcome [GBP per outcome], at most 1e9 (£1 billion). Give this or
    ``amount_series``."""
    amount_series: dict[PeriodYear, MoneyPerOutcome] | None = None
    """Value per outcome by calendar year [GBP per outcome, each at most 1e9] (a carbon price
    path, a QALY value uprated by year). Every year the line has outcomes must be given; years
    outside them are not used. Give this or ``amount``."""

    one_of: ClassVar[OneOf | None] = OneOf((("amount",), ("amount_series",)))

    def amount_in(self, year: int) -> float:
        """The value per outcome in calendar ``year`` [GBP per outcome] (0 for a year a series
        does not give)."""
        if self.amount_series is not None:
            return float(self.amount_series.get(year, 0.0))
        return float(self.amount or 0.0)


class FiscalValue(AmountPerOutcome):
    """A saving to a public agency's budget per outcome."""

    value_type: Literal["fiscal"]
    """``fiscal``: a change in a public budget."""
    agency: AgencyRef
    """The agency whose budget saves the money (or bears the avoided cost)."""
    cashable: bool = False
    """True if the saving can be taken out of a budget as cash; false if it frees capacity."""
    transfer: bool = False
    """True for a transfer (e.g. benefit payments): counted in the agency's fiscal view, not in
    public value, PVB or NPSV (LP2014)."""
    source: Source
    """Where the unit value comes from."""
    income_group: IncomeGroupRef | None = None
    """The income group that gains this value (``distributional_weights``). Default: the
    line's ``income_group`` (a line that mixes agencies' savings and residents' gains names
    the residents' group here, on their values)."""


class EconomicValue(AmountPerOutcome):
    """A gain in economic output per outcome (earnings, productivity)."""

    value_type: Literal["economic"]
    """``economic``."""
    beneficiary: AgencyRef | None = None
    """Who gains, if it is one of the agencies (optional)."""
    source: Source
    """Where the unit value comes from."""
    income_group: IncomeGroupRef | None = None
    """The income group that gains this value (``distributional_weights``). Default: the
    line's ``income_group`` (a line that mixes agencies' savings and residents' gains names
    the residents' group here, on their values)."""


class SocialValue(AmountPerOutcome):
    """A gain in wellbeing or other social value per outcome (public value, LP2014)."""

    value_type: Literal["social"]
    """``social``."""
    beneficiary: AgencyRef | None = None
    """Who gains, if it is one of the agencies (optional)."""
    source: Source
    """Where the unit value comes from."""
    income_group: IncomeGroupRef | None = None
    """The income group that gains this value (``distributional_weights``). Default: the
    line's ``income_group`` (a line that mixes agencies' savings and residents' gains names
    the residents' group here, on their values)."""


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
    """Gross outcomes from a cohort. Give this, outcomes_per_year or outcomes_series."""
    outcomes_per_year: OutcomesPerYear | None = None
    """Gross outcomes each active year [outcomes per year], given directly; at most 1e9."""
    outcomes_series: dict[PeriodYear, OutcomesPerYear] | None = None
    """Gross outcomes by calendar year [outcomes per year, each at most 1e9] (a ramp-up);
    years not listed have none. The series' years say when: not with start_year,
    duration_years or a drop_off above 0."""
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
    income_group: IncomeGroupRef | None = None
    """The income group (``distributional_weights.groups``) that gains or pays, for the
    weighted figures. Default: none (weight 1)."""
    scaling: ScalingLaw | None = None
    """How the outcomes vary with the option's scale driver. Default: in proportion."""
    uncertain: UncertainValues = Field(default_factory=dict)
    """Distributions of this line's inputs, by key (``amount_per_year: {distribution: ...,
    why: ...}``): the same as entries of the ``uncertainty:`` block. Default: none."""

    one_of: ClassVar[OneOf | None] = OneOf(
        (("outcomes",), ("outcomes_per_year",), ("outcomes_series",))
    )

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

    @model_validator(mode="after")
    def _series_says_when(self) -> Self:
        if self.outcomes_series is None:
            return self
        given = [
            key
            for key, used in (
                ("start_year", self.start_year is not None),
                ("duration_years", self.duration_years is not None),
                ("drop_off", self.drop_off != 0.0),
            )
            if used
        ]
        if given:
            raise PydanticCustomError(
                "series_says_when",
                "{keys} {verb} not apply to outcomes_series: the series gives the outcomes of "
                "each year (a ramp-up, a fade), and years it does not list have none. Remove "
                "{keys}, or write the timing and any fade into the series",
                {
                    "keys": " and ".join(given),
                    "verb": "do" if len(given) > 1 else "does",
                    AT: (given[0],),
                },
            )
        return self

    @model_validator(mode="after")
    def _unit_values_cover_active_years(self, info: ValidationInfo) -> Self:
        ctx = info.context
        active = self.active_years(
            ctx.first_year if isinstance(ctx, ReferenceContext) else None,
            ctx.last_year if isinstance(ctx, ReferenceContext) else None,
        )
        if active is None:
            return self
        for k, value in enumerate(self.unit_values):
            if value.amount_series is None:
                continue
            missing = [year for year in active if year not in value.amount_series]
            if missing:
                raise PydanticCustomError(
                    "amount_series_missing_years",
                    "amount_series has no value for {missing}, where the line has outcomes "
                    "({first}-{last}). Give a value for every year the line has outcomes",
                    {
                        "missing": year_list(missing),
                        "first": active[0],
                        "last": active[-1],
                        AT: ("unit_values", k, "amount_series"),
                    },
                )
        return self

    def active_years(self, first_year: int | None, last_year: int | None) -> list[int] | None:
        """Calendar years the line has outcomes in: the years its ``outcomes_series`` lists, or
        ``start_year`` (default ``first_year``) for ``duration_years`` (default to
        ``last_year``); None when the appraisal period is not known."""
        if self.outcomes_series is not None:
            return sorted(self.outcomes_series)
        if first_year is None or last_year is None:
            return None
        start = self.start_year or first_year
        end = last_year if self.duration_years is None else start + self.duration_years - 1
        return list(range(start, min(end, last_year) + 1))

    @property
    def gross_outcomes_per_year(self) -> tuple[float, float, float]:
        """(cohort, engagement rate, success rate); a direct count is (count, 1, 1)."""
        if self.outcomes is not None:
            o = self.outcomes
            return (o.cohort, o.engagement_rate, o.success_rate)
        return (float(self.outcomes_per_year or 0.0), 1.0, 1.0)


def year_list(years: list[int]) -> str:
    """Years as text, runs joined (``2025, 2027-2030``)."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
