"""What a shipped reference table file holds, validated (pydantic models of the YAML files in
``cba/reference/tables/``).

A table is one edition of one publication's figures: ``name@vintage``. Its metadata says who
published it, when, where it can be read, its licence, its price year and units, and how
confidently cba's copy was read. Each entry holds one or more named values (fields); a value
is a number or a series by year. Fields have units; a field whose unit is in GBP is money and
is rebased to a scenario's price base when used.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
"""A table, entry or field name: lower case, digits and underscores."""

Vintage = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]*$", max_length=32)]
"""An edition label, e.g. ``2026-03`` or ``1.4``."""

Year = Annotated[int, Field(ge=1900, le=2200)]

Confidence = Literal[
    "READ-PRIMARY", "READ-PRIMARY-COPY", "READ-SECONDARY", "DERIVED", "RECALLED/VERIFY"
]
"""How cba's copy of a figure was read (docs/research/published-figures.md):
READ-PRIMARY (in the publisher's own document), READ-PRIMARY-COPY (the publisher's original
file, held by a third party), READ-SECONDARY (quoted by someone else), DERIVED (computed by cba's
maintainers from read figures, with the working stated), RECALLED/VERIFY (not read)."""

YearBasis = Literal["financial", "calendar"]
"""How a year label is read: ``financial`` (year n is the financial year n/n+1, April to March)
or ``calendar``."""

Value = float | dict[Year, float]
"""A number, or a series by year."""

MONEY_UNIT = re.compile(r"^GBP\b")
"""Units that are money, and so are rebased between price years."""


class _TableModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FieldSpec(_TableModel):
    """One named value of the table's entries."""

    unit: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    """Unit of the value, e.g. ``GBP per incident`` or ``index (2024-25 = 100)``."""
    description: Annotated[str, StringConstraints(min_length=1, max_length=600)]
    """What the value is."""
    borne_by: str | None = None
    """Who bears the cost (or receives the value) this field measures, where the publication
    says or its construction implies (e.g. ``police``)."""

    @property
    def is_money(self) -> bool:
        """True when the unit is GBP: such values are rebased between price years."""
        return bool(MONEY_UNIT.match(self.unit))


class Entry(_TableModel):
    """One row of the publication."""

    label: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    """The row as the publication names it."""
    values: Annotated[dict[Name, Value], Field(min_length=1)]
    """Values by field name; a series is a mapping of year to value."""
    per: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    """What one unit of the entry is, appended to its fields' units (``per incident``)."""
    bears: Annotated[str, StringConstraints(max_length=300)] | None = None
    """Who bears the cost or makes the saving, as the publication names them."""
    price_year: Year | None = None
    """Price year of this entry's money values, when it differs from the table's."""
    field_price_years: dict[Name, Year] = Field(default_factory=dict)
    """Price years of single fields, where the publication gives one field another year."""
    grade: str | None = None
    """The publisher's own confidence or RAG grade of the figure, as given."""
    read: Confidence | None = None
    """How cba's copy of this entry was read, when it differs from the table's."""
    source: Annotated[str, StringConstraints(min_length=1, max_length=1200)]
    """Where in the publication the figures are (sheet, table, row, page) and the original
    source it cites."""
    note: str = ""
    """Anything a user must know (a split that is a convention, a figure derived by cba)."""


class Uprating(_TableModel):
    """How the table's money values are brought to another price year."""

    method: Literal["gdp_deflator", "gdp_deflator_and_real_income"] = "gdp_deflator"
    """``gdp_deflator``: value x deflator[to] / deflator[from] (Green Book: real terms at a
    stated price base). ``gdp_deflator_and_real_income``: also x (real GDP per head[to] / real
    GDP per head[from]) ** income_elasticity (values that grow with real incomes)."""
    income_elasticity: float | None = None
    """Elasticity of the value to real GDP per head, for gdp_deflator_and_real_income."""
    real_income: str | None = None
    """The real GDP per head table (``name@vintage``) for gdp_deflator_and_real_income."""
    rule_source: str = ""
    """Where the uprating rule is stated."""
    caveat: str = ""
    """What a user must know when the publisher's rule cannot be applied in full (reported
    as a caveat with every result that uses the table's values across price years)."""

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.method == "gdp_deflator_and_real_income" and (
            self.income_elasticity is None or self.real_income is None
        ):
            raise ValueError("gdp_deflator_and_real_income needs income_elasticity and real_income")
        return self


class ReferenceTable(_TableModel):
    """One shipped table file: one edition of one publication."""

    name: Name
    vintage: Vintage
    kind: Literal["values", "deflator", "real_income"] = "values"
    """``values`` (unit costs and values), ``deflator`` (a price index by year, one entry) or
    ``real_income`` (real GDP per head by year, one entry)."""
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    publisher: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    edition: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    """The edition or release as the publisher names it."""
    published: Annotated[str, StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")]
    """Publication date (year, year-month or full date)."""
    url: Annotated[str, StringConstraints(min_length=1, max_length=400)]
    licence: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    copy_read: Annotated[str, StringConstraints(min_length=1, max_length=800)]
    """Where cba's figures were read (the publisher's file, or the copy that holds it)."""
    read: Confidence
    """How cba's copy was read, for every entry that does not say otherwise."""
    price_year: Year | None = None
    """Price year of the money values (entries may override)."""
    year_basis: YearBasis
    """How this table's years (price years and series years) are labelled."""
    grade_scale: str | None = None
    """What the publisher's grades mean, when entries carry them."""
    uprating: Uprating = Field(default_factory=Uprating)
    fields: Annotated[dict[Name, FieldSpec], Field(min_length=1)]
    entries: Annotated[dict[Name, Entry], Field(min_length=1)]
    notes: str = ""

    @property
    def label(self) -> str:
        """``name@vintage``."""
        return f"{self.name}@{self.vintage}"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for entry_name, entry in self.entries.items():
            unknown = sorted(set(entry.values) - set(self.fields))
            if unknown:
                raise ValueError(
                    f"entry {entry_name} has values for undeclared fields {unknown}; "
                    f"declared: {sorted(self.fields)}"
                )
            has_money = any(self.fields[f].is_money for f in entry.values)
            if has_money and entry.price_year is None and self.price_year is None:
                raise ValueError(f"entry {entry_name} has money values but no price year")
            for field_name, value in entry.values.items():
                series = value if isinstance(value, dict) else {0: value}
                for year, number in series.items():
                    if number != number or number in (float("inf"), float("-inf")):
                        raise ValueError(f"{entry_name}.{field_name} {year}: not a number")
                if isinstance(value, dict) and not value:
                    raise ValueError(f"{entry_name}.{field_name}: an empty series")
        if self.kind in ("deflator", "real_income"):
            rows = list(self.entries.values())
            if len(rows) != 1 or len(rows[0].values) != 1:
                raise ValueError(f"a {self.kind} table has one entry with one series")
            (only,) = rows[0].values.values()
            if not isinstance(only, dict) or any(v <= 0 for v in only.values()):
                raise ValueError(f"a {self.kind} table's series is positive values by year")
        return self

    def price_year_of(self, entry: str, field: str) -> int | None:
        """The price year of one money value of an entry."""
        row = self.entries[entry]
        if field in row.field_price_years:
            return row.field_price_years[field]
        return row.price_year if row.price_year is not None else self.price_year

    def unit_of(self, entry: str, field: str) -> str:
        """The unit of one value: the field's unit and the entry's ``per``."""
        per = self.entries[entry].per
        return f"{self.fields[field].unit} {per}" if per else self.fields[field].unit

    def read_of(self, entry: str) -> str:
        """How cba's copy of an entry was read."""
        return self.entries[entry].read or self.read

    def series(self) -> dict[int, float]:
        """The one series of a deflator or real-income table."""
        (entry,) = self.entries.values()
        (values,) = entry.values.values()
        assert isinstance(values, dict)
        return dict(values)
