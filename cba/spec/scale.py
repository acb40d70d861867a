"""Scale in the scenario language: what grows (the driver), the scale the amounts describe
(``n_0``), the sweep, and how each line varies with scale (methods.md §7).

A line with no ``scaling:`` scales in proportion to the driver. Every law is calibrated so that
at ``n = n_0`` the line is exactly the amount the scenario gives.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from cba.spec.base import (
    AT,
    Identifier,
    Plausible,
    StrictModel,
    as_mapping,
    discriminator,
    tag,
)

Driver = Literal["participants", "volunteers", "households", "neighbourhoods", "people", "groups"]
"""What grows as the scheme grows."""

MIN_DRIVER = 0.001
MAX_DRIVER = 1e9

DriverValue = Annotated[
    float,
    Field(ge=MIN_DRIVER, le=MAX_DRIVER, allow_inf_nan=False),
    Plausible(
        "a scale driver counts participants, volunteers, households, neighbourhoods, people or "
        "groups: from 0.001 (a fraction of one) to 1 billion. Check the value"
    ),
]
"""A value of the scale driver [driver units], from 0.001 to 1e9."""

Rate = Annotated[
    float,
    Field(ge=1e-9, le=1e3, allow_inf_nan=False),
    Plausible(
        "a rate outside 1e-9 to 1,000 per driver unit makes the curve a flat line or a step at "
        "any plausible scale. Check the units (per participant, per volunteer, ...)"
    ),
]
"""A rate per driver unit [per driver unit], from 1e-9 to 1e3."""


class Sweep(StrictModel):
    """The range of scale to evaluate."""

    start: DriverValue
    """Smallest value of the driver [driver units], 0.001 to 1e9."""
    stop: DriverValue
    """Largest value of the driver [driver units], 0.001 to 1e9."""
    points: Annotated[int, Field(ge=2, le=100_000)] = 50
    """Number of points (``n_0`` is always added if it is not one of them)."""
    spacing: Literal["linear", "logarithmic"] = "linear"
    """``linear`` or ``logarithmic`` spacing between start and stop."""

    @model_validator(mode="after")
    def _ordered(self) -> Sweep:
        if self.stop <= self.start:
            raise PydanticCustomError(
                "empty_sweep",
                "the sweep is empty: stop {stop} is not above start {start}. Give start < stop",
                {"stop": self.stop, "start": self.start, AT: ("stop",)},
            )
        return self


class Scale(StrictModel):
    """How an option's scale is described and swept."""

    driver: Driver
    """What grows: participants, volunteers, households, neighbourhoods, people or groups."""
    n0: DriverValue
    """The scale the option's amounts describe [driver units], 0.001 to 1e9."""
    sweep: Sweep | None = None
    """The range to evaluate; `cba scale` can sweep on demand without it."""
    outcome: Identifier | None = None
    """Benefit line whose net outcomes count in cost per outcome. Default: all benefit lines'
    net outcomes added together."""

    @model_validator(mode="after")
    def _n0_in_sweep(self) -> Scale:
        sweep = self.sweep
        if (
            sweep is not None
            and sweep.start < sweep.stop
            and not sweep.start <= self.n0 <= (sweep.stop)
        ):
            raise PydanticCustomError(
                "n0_outside_sweep",
                "n0 = {n0} is outside the sweep {start} to {stop}. Widen the sweep to include "
                "the scale the amounts describe",
                {"n0": self.n0, "start": sweep.start, "stop": sweep.stop, AT: ("n0",)},
            )
        return self


class Proportional(StrictModel):
    """``X(n) = X(n_0) n / n_0`` (the default)."""

    law: Literal["proportional"]
    """``proportional``."""


class Fixed(StrictModel):
    """``X(n) = X(n_0)``: does not change with scale (e.g. a coordinator's salary)."""

    law: Literal["fixed"]
    """``fixed``."""


class PowerLaw(StrictModel):
    """``X(n) = X(n_0) (n / n_0)^e``: e < 1 economies, e > 1 diseconomies of scale."""

    law: Literal["power"]
    """``power``."""
    elasticity: Annotated[float, Field(ge=0.0, le=5.0, allow_inf_nan=False)]
    """Elasticity e [dimensionless, 0-5]; 0 is fixed, 1 proportional."""


class FixedPlusVariable(StrictModel):
    """``C(n) = F + c n`` with ``F`` a share of the amount at ``n_0``: average cost falls."""

    law: Literal["fixed_plus_variable"]
    """``fixed_plus_variable``."""
    fixed_share: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
    """Share of the amount at ``n_0`` that is fixed [fraction]."""


class Step(StrictModel):
    """``ceil(n / m) / ceil(n_0 / m)``: one more unit of cost per ``m`` of the driver."""

    law: Literal["step"]
    """``step``."""
    per: DriverValue
    """``m``: driver units each unit of cost serves (e.g. 25 volunteers per supervisor),
    0.001 to 1e9."""


class Coordination(StrictModel):
    """Coordination grows faster than the group: ``k n^beta`` (``X(n_0) (n / n_0)^beta``), or
    ``form: pairwise``, ``k n (n - 1) / 2`` (Musso, Young & Thom 2019)."""

    law: Literal["coordination"]
    """``coordination``."""
    exponent: Annotated[float, Field(gt=0.0, le=5.0, allow_inf_nan=False)] | None = None
    """beta [dimensionless, > 0]; above 1 the cost grows faster than the group."""
    form: Literal["power", "pairwise"] = "power"
    """``power`` (k n^beta) or ``pairwise`` (k n (n-1)/2; no exponent)."""

    @model_validator(mode="after")
    def _form(self) -> Coordination:
        if self.form == "power" and self.exponent is None:
            raise ValueError(
                "give exponent (beta > 0) for coordination of form power, or form: pairwise"
            )
        if self.form == "pairwise" and self.exponent is not None:
            raise ValueError("pairwise coordination has no exponent; remove it")
        return self


class Saturating(StrictModel):
    """``V(n) = V_max (1 - exp(-lambda n))``: the effect approaches a ceiling (WHO HEAT style)."""

    law: Literal["saturating"]
    """``saturating``."""
    rate: Rate
    """lambda [per driver unit]: how fast the ceiling is approached, 1e-9 to 1e3."""


class Participation(StrictModel):
    """Participation falls with group size, ``p(n) = p_0 (n / n_0)^-delta``; the line scales
    with ``n p(n)``."""

    law: Literal["participation"]
    """``participation``."""
    delta: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
    """delta [dimensionless, 0-1]: 0 no fall, 1 participation falls in proportion."""


class Learning(StrictModel):
    """Unit cost falls with experience, ``c(n) = c_1 n^-b``; total cost ``n c(n)``."""

    law: Literal["learning"]
    """``learning``."""
    b: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)]
    """Learning exponent b [dimensionless, 0 <= b < 1]."""


MAX_TABLE_VALUE = 1e12
MIN_TABLE_RATIO = 1e-9
"""Smallest value a table may have at ``n_0``, as a share of its largest value: the law divides
by it, so a smaller one would multiply amounts more than a billion-fold."""


def table_value(points: list[TablePoint], n: float) -> float:
    """The table's value at ``n``: linear between points, flat beyond the ends."""
    if n <= points[0].n:
        return points[0].value
    for low, high in itertools.pairwise(points):
        if n <= high.n:
            return low.value + (high.value - low.value) * (n - low.n) / (high.n - low.n)
    return points[-1].value


class TablePoint(StrictModel):
    """One point of a piecewise-linear law."""

    n: Annotated[
        float,
        Field(ge=0.0, le=MAX_DRIVER, allow_inf_nan=False),
        Plausible("a scale driver is at most 1 billion. Check the value"),
    ]
    """Driver value [driver units], 0 to 1e9."""
    value: Annotated[
        float,
        Field(ge=0.0, le=MAX_TABLE_VALUE, allow_inf_nan=False),
        Plausible("only ratios of table values matter: keep them at most 1e12"),
    ]
    """Relative amount at ``n`` [any unit; only ratios matter], 0 to 1e12."""


class Table(StrictModel):
    """Any other shape: linear interpolation between points, flat beyond the ends, scaled so
    that the value at ``n_0`` is the scenario's amount."""

    law: Literal["table"]
    """``table``."""
    points: Annotated[list[TablePoint], Field(min_length=2, max_length=1000)]
    """Points in strictly increasing order of ``n``."""

    @model_validator(mode="after")
    def _increasing(self) -> Table:
        ns = [p.n for p in self.points]
        for index in range(1, len(ns)):
            if ns[index] <= ns[index - 1]:
                raise PydanticCustomError(
                    "table_order",
                    "points must be in strictly increasing order of n; got {this} after {previous}",
                    {"this": ns[index], "previous": ns[index - 1], AT: ("points", index, "n")},
                )
        return self


LAW_NAMES: tuple[str, ...] = (
    "proportional",
    "fixed",
    "power",
    "fixed_plus_variable",
    "step",
    "coordination",
    "saturating",
    "participation",
    "learning",
    "table",
)
"""The names a ``scaling:`` law may have."""


def _law_form(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, dict) and value.get("law") in LAW_NAMES:
        return tag(str(value["law"]))
    return None


ScalingLaw = Annotated[
    Annotated[Proportional, Tag(tag("proportional"))]
    | Annotated[Fixed, Tag(tag("fixed"))]
    | Annotated[PowerLaw, Tag(tag("power"))]
    | Annotated[FixedPlusVariable, Tag(tag("fixed_plus_variable"))]
    | Annotated[Step, Tag(tag("step"))]
    | Annotated[Coordination, Tag(tag("coordination"))]
    | Annotated[Saturating, Tag(tag("saturating"))]
    | Annotated[Participation, Tag(tag("participation"))]
    | Annotated[Learning, Tag(tag("learning"))]
    | Annotated[Table, Tag(tag("table"))],
    discriminator(
        _law_form,
        "a mapping with law: proportional, fixed, power, fixed_plus_variable, step, "
        "coordination, saturating, participation, learning or table",
    ),
]
"""How a line varies with the option's scale driver."""
