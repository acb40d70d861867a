"""Named, versioned discount-rate schedules (HM Treasury Green Book, Annex A6).

Each schedule is a list of bands ``(first year offset, annual rate)``: the rate of the band
that year offset ``t`` falls in discounts year ``t`` relative to year ``t - 1``. Year offset 0
is the first appraisal year and is not discounted (GB §5.55, Annex A6).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    """One band of a declining schedule."""

    from_year_offset: int
    """First year offset [years since the first appraisal year] the rate applies to."""
    rate: float
    """Annual discount rate [fraction per year]."""


@dataclass(frozen=True)
class DiscountSchedule:
    """A named, versioned set of discount-rate bands."""

    name: str
    version: str
    description: str
    source: str
    bands: tuple[Band, ...]

    @property
    def label(self) -> str:
        """``name@version``, the form recorded in results."""
        return f"{self.name}@{self.version}"


_BAND_STARTS = (0, 31, 76, 126, 201, 301)
_GB = (
    "HM Treasury, The Green Book (2022), Annex A6, Table 8 (long-term discount rates); "
    "rates unchanged in the February 2026 edition"
)


def _bands(rates: tuple[float, ...]) -> tuple[Band, ...]:
    return tuple(Band(start, rate) for start, rate in zip(_BAND_STARTS, rates, strict=True))


GREEN_BOOK_STANDARD = DiscountSchedule(
    name="green_book_standard",
    version="2022",
    description=(
        "Social time preference rate: 3.5% for years 0-30, declining to 1.0% from year 301 "
        "(0.5% pure time preference + 1% catastrophe risk + 1 x 2% growth)."
    ),
    source=_GB,
    bands=_bands((0.035, 0.030, 0.025, 0.020, 0.015, 0.010)),
)

GREEN_BOOK_HEALTH = DiscountSchedule(
    name="green_book_health",
    version="2022",
    description=(
        "Health and risk-to-life rate: 1.5% for years 0-30, declining to 0.43% from year 301 "
        "(the standard rate without the growth term)."
    ),
    source=_GB,
    bands=_bands((0.0150, 0.0129, 0.0107, 0.0086, 0.0064, 0.0043)),
)

GREEN_BOOK_2026_LOWER_RATE = DiscountSchedule(
    name="green_book_2026_lower_rate",
    version="2026",
    description=(
        "Lower-rate sensitivity test for horizons over 50 years: 3.0% for years 0-30, "
        "declining to 0.86% from year 301. A sensitivity test, not the central case."
    ),
    source=(
        "HM Treasury, The Green Book (February 2026), Annex A6 lower-rate sensitivity test "
        "(rates as recorded in docs/methods.md §2; verify against the published table)"
    ),
    bands=_bands((0.0300, 0.0257, 0.0214, 0.0171, 0.0129, 0.0086)),
)

NAMED_SCHEDULES: dict[str, DiscountSchedule] = {
    s.name: s for s in (GREEN_BOOK_STANDARD, GREEN_BOOK_HEALTH, GREEN_BOOK_2026_LOWER_RATE)
}
"""Built-in schedules by name, as a scenario refers to them."""
