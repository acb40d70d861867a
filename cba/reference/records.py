"""What a scenario took from the shipped reference tables: plain records (no validation
library), carried from the scenario to the results, the workbook and the JSON."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReferenceUse:
    """One ``{ref: ...}`` in a scenario, as resolved: where it is, what it names, the published
    value and how it was brought to the scenario's prices.

    ``value = original x deflator_factor x real_income_factor x share x times`` for a number;
    for a series, each year's value likewise.
    """

    path: str
    """Parameter path of the input the reference sets (``options.x.benefits.y.unit_values.0.
    amount``), or ``deflator``."""
    reference: str
    """The reference as written (``gmca_unit_costs@1.4:burglary_dwelling.police``)."""
    table: str
    """``name@vintage`` of the table."""
    table_sha256: str
    """SHA-256 of the shipped table file's bytes (a vintage never changes)."""
    title: str
    publisher: str
    edition: str
    url: str
    licence: str
    entry: str
    entry_label: str
    field: str
    unit: str
    """Unit of the published value (``GBP per incident``)."""
    original: float | tuple[tuple[int, float], ...]
    """The published value: a number, or (year, value) pairs of a series."""
    from_price_year: int | None
    """Price year of the published value (None for values that are not money)."""
    to_price_year: int | None
    """Price year it was brought to: the line's price_year, else the price base year."""
    deflator: str
    """The deflator used (its vintage), or '' when no rebasing was needed."""
    deflator_factor: float
    """deflator[to] / deflator[from] [dimensionless]; 1 when not rebased."""
    real_income_factor: float
    """(real GDP per head[to] / [from]) ** elasticity, for values that grow with real incomes;
    else 1."""
    share: float
    """Share of the published value the scenario uses [fraction]; 1 for all of it."""
    times: float
    """Multiplier from the published unit to the scenario's (52: per week to per year);
    1 for none."""
    value: float | tuple[tuple[int, float], ...]
    """The value the scenario uses, at ``to_price_year`` prices."""
    read: str
    """How cba's copy of the figure was read (READ-PRIMARY, ...)."""
    grade: str | None
    """The publisher's own grade of the figure, where it gives one."""
    source: str
    """Where in the publication the figure is."""
    note: str
    """Conventions applied (year labels read across bases, years outside the period dropped)."""

    @property
    def factor(self) -> float:
        """The whole multiplier from the published value to the value used [dimensionless]."""
        return self.deflator_factor * self.real_income_factor * self.share * self.times

    @property
    def citation(self) -> str:
        """Publisher, title, edition, entry and URL in one line."""
        return (
            f"{self.publisher}, {self.title} ({self.edition}), {self.entry_label}: {self.field}. "
            f"{self.url}"
        )
