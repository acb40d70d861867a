"""When a line happens: years of activity and annual series, shared by costs and inputs."""

from __future__ import annotations

from pydantic import model_validator

from cba.spec.base import Money, PeriodYear, PriceYear, StrictModel


class Timing(StrictModel):
    """Years a flow is active in (inclusive calendar years)."""

    start_year: PeriodYear | None = None
    """First calendar year of the flow. Default: the first appraisal year."""
    end_year: PeriodYear | None = None
    """Last calendar year of the flow, inclusive. Default: the last appraisal year."""
    price_year: PriceYear | None = None
    """Price year of the amounts. Default: the scenario's price_base_year. A different year is
    rebased with the scenario's deflator (HM Treasury GDP deflator)."""

    @model_validator(mode="after")
    def _ordered(self) -> Timing:
        start, end = self.start_year, self.end_year
        if start is not None and end is not None and end < start:
            raise ValueError(
                f"end_year {end} is before start_year {start}. Swap them or correct one"
            )
        return self


class AnnualAmount(Timing):
    """An amount each year, or a year-by-year series."""

    amount_per_year: Money | None = None
    """Amount in each active year [GBP per year]. Give this or ``series``."""
    series: dict[PeriodYear, Money] | None = None
    """Amount by calendar year [GBP per year]; years not listed are 0. Give this or
    ``amount_per_year`` (not with start_year/end_year)."""

    @model_validator(mode="after")
    def _one_form(self) -> AnnualAmount:
        if (self.amount_per_year is None) == (self.series is None):
            raise ValueError(
                "give exactly one of amount_per_year or series"
                + ("; got both" if self.series is not None else "; got neither")
            )
        if self.series is not None and (self.start_year is not None or self.end_year is not None):
            raise ValueError(
                "start_year/end_year do not apply to a series: the series' years say when. "
                "Remove start_year/end_year"
            )
        return self
