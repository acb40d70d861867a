"""When a line happens: years of activity and annual series, shared by costs and inputs."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from cba.spec.base import MoneyPerYear, OneOf, PeriodYear, PriceYear, StrictModel


class Timing(StrictModel):
    """Years a flow is active in (inclusive calendar years)."""

    start_year: PeriodYear | None = None
    """First calendar year of the flow. Default: the first appraisal year."""
    end_year: PeriodYear | None = None
    """Last calendar year of the flow, inclusive. Default: the last appraisal year."""
    price_year: PriceYear | None = None
    """Price year of the amounts. Default: the scenario's price_base_year. A different year is
    rebased with the scenario's deflator (HM Treasury GDP deflator)."""

    @field_validator("end_year")
    @classmethod
    def _after_start(cls, end: int | None, info: ValidationInfo) -> int | None:
        start = info.data.get("start_year")
        if start is not None and end is not None and end < start:
            raise PydanticCustomError(
                "end_before_start",
                "end_year {end} is before start_year {start}. Swap them or correct one",
                {"end": end, "start": start},
            )
        return end


class AnnualAmount(Timing):
    """An amount each year, or a year-by-year series."""

    amount_per_year: MoneyPerYear | None = None
    """Amount in each active year [GBP per year], at most 1e12 (£1 trillion). Give this or
    ``series``."""
    series: dict[PeriodYear, MoneyPerYear] | None = None
    """Amount by calendar year [GBP per year, each at most 1e12]; years not listed are 0. Give
    this or ``amount_per_year`` (not with start_year/end_year)."""

    one_of: ClassVar[OneOf | None] = OneOf((("amount_per_year",), ("series",)))

    @model_validator(mode="after")
    def _series_has_its_own_years(self) -> AnnualAmount:
        if self.series is not None and (self.start_year is not None or self.end_year is not None):
            raise ValueError(
                "start_year/end_year do not apply to a series: the series' years say when. "
                "Remove start_year/end_year"
            )
        return self
