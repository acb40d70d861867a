"""The ``sensitivity:`` block: which inputs to test, over what plausible range, and why.

Each entry names a parameter path (as ``cba params`` lists them; ``*`` stands for any one
segment, e.g. ``options.*.community_inputs.*.value_per_hour``) and its plausible range, either
as values (``low``/``high``, in the input's own unit) or as multiples of the scenario's value
(``factor_low``/``factor_high``). Without a range the default is used (docs/methods.md §14:
a fraction +/- 0.1 or +/- half its value when less, a year +/- 2, anything else +/- 20%,
clipped to the input's valid domain).
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from cba.spec.base import AT, Source, StrictModel, Text

ParameterPattern = Annotated[
    str,
    StringConstraints(
        pattern=r"^(\*|[A-Za-z0-9_\-]+)(\.(\*|[A-Za-z0-9_\-]+))*$", min_length=1, max_length=500
    ),
]
"""A parameter path, keys and ids joined by dots; ``*`` stands for any one segment."""

RangeValue = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
"""An end of a plausible range, in the input's own unit."""

Factor = Annotated[float, Field(allow_inf_nan=False, ge=0.0, le=1000.0)]
"""A multiple of the scenario's value [dimensionless]: 0.5 is half, 1.5 is half as much again."""


class SensitivityRange(StrictModel):
    """One input (or a group, by wildcard) to test, with its plausible range and why."""

    parameter: ParameterPattern
    """Parameter path, e.g. ``options.resident_patrols.benefits.burglary_avoided.amount``;
    ``*`` for any one segment. ``cba params SCENARIO`` lists the paths."""
    low: RangeValue | None = None
    """Lowest plausible value, in the input's unit (give with ``high``)."""
    high: RangeValue | None = None
    """Highest plausible value, in the input's unit (give with ``low``)."""
    factor_low: Factor | None = None
    """Lowest plausible value as a multiple of the scenario's value (give with
    ``factor_high``)."""
    factor_high: Factor | None = None
    """Highest plausible value as a multiple of the scenario's value."""
    why: Text
    """Why this range is plausible: the evidence, or the doubt (shown next to the results)."""
    source: Source | None = None
    """Where the range comes from, if published."""

    @model_validator(mode="after")
    def _one_range(self) -> Self:
        values = (self.low, self.high)
        factors = (self.factor_low, self.factor_high)
        if any(v is not None for v in values) and any(f is not None for f in factors):
            raise PydanticCustomError(
                "two_ranges",
                "give low and high, or factor_low and factor_high, not both",
                {AT: ("factor_low",)},
            )
        for pair, names in ((values, ("low", "high")), (factors, ("factor_low", "factor_high"))):
            if (pair[0] is None) != (pair[1] is None):
                missing = names[1] if pair[1] is None else names[0]
                raise PydanticCustomError(
                    "half_a_range",
                    "give {a} and {b} together; {missing} is missing",
                    {"a": names[0], "b": names[1], "missing": missing, AT: (missing,)},
                )
            if pair[0] is not None and pair[1] is not None and not pair[0] < pair[1]:
                raise PydanticCustomError(
                    "range_order",
                    "{a} ({lo}) must be below {b} ({hi})",
                    {
                        "a": names[0],
                        "b": names[1],
                        "lo": f"{pair[0]:g}",
                        "hi": f"{pair[1]:g}",
                        AT: (names[0],),
                    },
                )
        return self


class Sensitivity(StrictModel):
    """Sensitivity tests run with the appraisal (``cba run`` and ``cba sensitivity``)."""

    parameters: list[SensitivityRange] = Field(default_factory=list)
    """Inputs to test, with plausible ranges and why. Each gets a one-way table, a bar on the
    tornado and a switching value."""
    default_switching: bool = True
    """Also find switching values for every cost amount, unit value, outcome count,
    additionality share and hours figure of each option (Green Book 2026 §5.61)."""
    points: Annotated[int, Field(ge=3, le=101)] = 5
    """Values in each one-way table, evenly spaced from low to high (3 to 101)."""
