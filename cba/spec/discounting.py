"""Discounting in the scenario language: a named Green Book schedule, a constant rate, or
custom bands (HM Treasury Green Book, Annex A6)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.spec.base import AT, Identifier, Source, StrictModel, as_mapping, discriminator, tag

ScheduleName = Literal["green_book_standard", "green_book_health", "green_book_2026_lower_rate"]
"""A built-in schedule (see ``cba.reference.discount_schedules``)."""


class ConstantRate(StrictModel):
    """One rate for every year (a sensitivity test; not Green Book central practice)."""

    constant_rate: Annotated[float, Field(ge=0.0, le=0.5, allow_inf_nan=False)]
    """Annual discount rate [fraction per year], e.g. 0.035."""
    source: Source | None = None
    """Why this rate is used."""


class CustomBand(StrictModel):
    """One band of a custom schedule."""

    from_year_offset: Annotated[int, Field(ge=0, le=500)]
    """First year offset [years after the first appraisal year] the rate applies to, 0 to 500
    (an appraisal lasts at most 500 years)."""
    rate: Annotated[float, Field(ge=0.0, le=0.5, allow_inf_nan=False)]
    """Annual discount rate [fraction per year] inside the band."""


class CustomBands(StrictModel):
    """A declining (or any) schedule given band by band."""

    name: Identifier
    """A name for the schedule, recorded in results."""
    bands: Annotated[list[CustomBand], Field(min_length=1, max_length=50)]
    """Bands in increasing order of ``from_year_offset``; the first starts at 0."""
    source: Source | None = None
    """Where the rates come from."""

    @model_validator(mode="after")
    def _bands_ordered(self) -> CustomBands:
        starts = [b.from_year_offset for b in self.bands]
        if starts[0] != 0:
            raise PydanticCustomError(
                "first_band",
                "the first band must start at year offset 0; got {first}. Add a band with "
                "from_year_offset: 0",
                {"first": starts[0], AT: ("bands", 0, "from_year_offset")},
            )
        for index in range(1, len(starts)):
            if starts[index] <= starts[index - 1]:
                raise PydanticCustomError(
                    "band_order",
                    "bands must be in strictly increasing order of from_year_offset; got "
                    "{this} after {previous}",
                    {
                        "this": starts[index],
                        "previous": starts[index - 1],
                        AT: ("bands", index, "from_year_offset"),
                    },
                )
        return self


def _schedule_form(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, str):
        return tag("named")
    if isinstance(value, dict):
        if "constant_rate" in value:
            return tag("constant")
        if "bands" in value:
            return tag("bands")
    return None


Schedule = Annotated[
    Annotated[ScheduleName, Tag(tag("named"))]
    | Annotated[ConstantRate, Tag(tag("constant"))]
    | Annotated[CustomBands, Tag(tag("bands"))],
    discriminator(
        _schedule_form,
        "a schedule name (" + ", ".join(NAMED_SCHEDULES) + "), "
        "{constant_rate: 0.035}, or {name: ..., bands: [{from_year_offset: 0, rate: ...}, ...]}",
    ),
]
"""A discount schedule: a built-in name, a constant rate, or custom bands."""


class Discounting(StrictModel):
    """Which schedules discount which flows."""

    schedule: Schedule = "green_book_standard"
    """Schedule for costs, community inputs and non-health benefits.
    Default: Green Book STPR, 3.5% declining from year 31 (GB 2022 Annex A6)."""
    health_schedule: Schedule = "green_book_health"
    """Schedule for benefit lines flagged ``health: true`` (health and life effects).
    Default: Green Book health rate, 1.5% declining from year 31 (GB 2022 Annex A6)."""
