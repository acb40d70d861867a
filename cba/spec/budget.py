"""The budget language: a neighbourhood board's pooled envelope, its agencies' contribution
limits and the candidate schemes it may fund (docs/allocation.md).

A budget file names schemes by reference to scenario files (relative to the budget file) and
an option in each; the scenario supplies every figure. Checks that need only this file are
here (:func:`reference_problems`); checks that need the scenario files are made by
``cba.io.budget_file``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from cba.spec.base import (
    AT,
    MAX_MONEY_PER_YEAR,
    CalendarYear,
    Identifier,
    ShortText,
    Source,
    StrictModel,
    Text,
    as_mapping,
    closest,
    discriminator,
    tag,
)

BUDGET_LANGUAGE_VERSION = "1.0"
"""Version of the budget language this cba reads."""

Money = Annotated[float, Field(ge=0.0, le=MAX_MONEY_PER_YEAR, allow_inf_nan=False)]
"""A non-negative amount [GBP, real terms at the budget's price base year], at most 1e12."""

SignedMoney = Annotated[
    float, Field(ge=-MAX_MONEY_PER_YEAR, le=MAX_MONEY_PER_YEAR, allow_inf_nan=False)
]
"""An amount that may be negative [GBP, present value]."""

Scale = Annotated[float, Field(gt=0.0, le=1e9, allow_inf_nan=False)]
"""A value of an option's scale driver (participants, volunteers ...) [driver units]."""


class Limit(StrictModel):
    """A most that may be spent: in total over the appraisal years, by year, or both."""

    total: Money | None = None
    """Most over all years [GBP, undiscounted]."""
    by_year: dict[CalendarYear, Money] | None = None
    """Most in each named calendar year [GBP]; years not named are limited only by ``total``."""

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.total is None and not self.by_year:
            raise PydanticCustomError(
                "empty_limit", "give total:, by_year: {YEAR: amount, ...}, or both", {}
            )
        return self


class BudgetPeriod(StrictModel):
    """The years the pooled budget covers (calendar years, as the schemes' scenarios count
    them)."""

    first_year: CalendarYear
    """First year of the budget."""
    last_year: CalendarYear
    """Last year of the budget (inclusive)."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.last_year < self.first_year:
            raise PydanticCustomError(
                "period_order",
                "last_year {last} is before first_year {first}",
                {"last": self.last_year, "first": self.first_year},
            )
        return self


class AgencyLimit(Limit):
    """One contributing agency's limit: how much of the schemes' costs it will pay."""

    id: Identifier
    """The agency's id, as in the schemes' scenario files."""


class Scheme(StrictModel):
    """A candidate scheme: an option of a scenario file, funded whole or at a chosen scale."""

    id: Identifier
    """Short id that exclusive groups, dependencies and interactions use for the scheme."""
    name: ShortText | None = None
    """Defaults to the option's name."""
    scenario: Annotated[str, Field(min_length=1, max_length=1000)]
    """Scenario file, relative to the budget file."""
    option: Identifier
    """The option in that scenario; appraised against the scenario's counterfactual."""
    divisible: bool = False
    """False: all or nothing, at the scale the scenario describes. True: any scale from
    ``min_scale`` to ``max_scale`` along the option's scale driver (its ``scale:`` block)."""
    min_scale: Scale | None = None
    """Smallest scale if funded [driver units]; default the option's sweep start (divisible)."""
    max_scale: Scale | None = None
    """Largest scale [driver units]; default the option's sweep stop (divisible)."""
    breakpoints: Annotated[int, Field(ge=2, le=200)] = 17
    """Points on the scale curve between min and max scale, evenly spaced (divisible)."""
    required: bool = False
    """The board has committed to fund this scheme."""

    @model_validator(mode="after")
    def _scales(self) -> Self:
        if not self.divisible:
            for name in ("min_scale", "max_scale"):
                if getattr(self, name) is not None:
                    raise PydanticCustomError(
                        "not_divisible",
                        "{name} applies only to a divisible scheme; add divisible: true or "
                        "remove it",
                        {"name": name, AT: (name,)},
                    )
        if (
            self.min_scale is not None
            and self.max_scale is not None
            and self.max_scale <= self.min_scale
        ):
            raise PydanticCustomError(
                "scale_range",
                "must be greater than min_scale ({low:g}); got {high:g}",
                {"low": self.min_scale, "high": self.max_scale, AT: ("max_scale",)},
            )
        return self


class ExclusiveGroup(StrictModel):
    """Schemes of which at most one may be funded (alternatives for the same need)."""

    id: Identifier
    """Id of the group (named in messages and outputs)."""
    schemes: Annotated[list[Identifier], Field(min_length=2)]
    """Ids of the schemes, at most one of which is funded."""
    why: Text | None = None
    """Why they exclude each other (optional)."""


class Dependency(StrictModel):
    """A scheme that may be funded only if another is."""

    scheme: Identifier
    """Id of the scheme that depends on another."""
    needs: Identifier
    """Id of the scheme it needs."""
    why: Text | None = None
    """Why it needs it (optional)."""


class Interaction(StrictModel):
    """An NPSV adjustment when two schemes both run: synergy positive, overlap negative."""

    schemes: Annotated[list[Identifier], Field(min_length=2, max_length=2)]
    """Ids of the two schemes."""
    npsv: SignedMoney
    """Added to the portfolio's NPSV when both are funded [GBP, present value]. It counts as
    stated in the money objectives (``public_value``, ``weighted_npsv`` at weight 1)."""
    outcomes: Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)] = 0.0
    """Added to the outcomes objective when both are funded [discounted outcomes] (negative
    for outcomes both would claim). Default: 0."""
    source: Source
    """Where the estimate comes from."""


ObjectiveMeasure = Literal["npsv", "public_value", "weighted_npsv", "outcomes"]
"""What the board maximises: ``npsv`` (incremental net present social value, the default),
``public_value`` (incremental PV of benefits: fiscal, economic and social), ``weighted_npsv``
(NPSV with the schemes' distributional weights) or ``outcomes`` (discounted net outcomes of
named benefit lines)."""


class Objective(StrictModel):
    """What the board maximises within the limits (docs/allocation.md, "Objectives")."""

    measure: ObjectiveMeasure = "npsv"
    """``npsv`` (default), ``public_value``, ``weighted_npsv`` or ``outcomes``."""
    outcomes: Annotated[list[Identifier], Field(min_length=1)] | None = None
    """For ``outcomes``: ids of the benefit lines whose net outcomes count, in every scheme
    whose option has them (the lines should count the same thing)."""
    unit: ShortText | None = None
    """For ``outcomes``: what one outcome is, as outputs show it (e.g. "crimes prevented").
    Default: "outcomes"."""
    why: Text | None = None
    """Why the board maximises this (optional; shown in the outputs)."""

    @model_validator(mode="after")
    def _lines(self) -> Self:
        if self.measure == "outcomes" and self.outcomes is None:
            raise PydanticCustomError(
                "objective_outcomes",
                "the outcomes objective needs outcomes: [benefit line ids] to count",
                {},
            )
        if self.measure != "outcomes" and (self.outcomes is not None or self.unit is not None):
            raise PydanticCustomError(
                "objective_outcomes",
                "outcomes and unit belong to measure: outcomes only; got measure {measure}",
                {
                    "measure": self.measure,
                    AT: ("outcomes",) if self.outcomes is not None else ("unit",),
                },
            )
        return self


def _objective_form(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, str):
        return tag("measure")
    if isinstance(value, dict):
        return tag("block")
    return None


ObjectiveForm = Annotated[
    Annotated[ObjectiveMeasure, Tag(tag("measure"))] | Annotated[Objective, Tag(tag("block"))],
    discriminator(
        _objective_form,
        "a measure (npsv, public_value, weighted_npsv, outcomes) or {measure: outcomes, "
        "outcomes: [benefit line ids], unit: ...}",
    ),
]
"""The objective: a measure's name, or a block."""


class Budget(StrictModel):
    """A neighbourhood budget: the board, the pooled envelope and the candidate schemes."""

    cba_budget: Literal["1.0"]
    """Budget language version."""
    id: Identifier
    """Short id of the budget (names the output files)."""
    board: ShortText
    """The board that decides."""
    name: ShortText | None = None
    """The budget's name, as outputs show it. Default: its id."""
    price_base_year: CalendarYear
    """Year whose prices every amount is in; each scheme's scenario must use the same."""
    period: BudgetPeriod | None = None
    """The years the pooled budget covers: totals (the envelope's and each agency's) count the
    schemes' public costs in these years only, and a by-year limit must name one of them. The
    funded schemes' costs after the period are commitments beyond the budget, reported beside
    it. Default: every year of every scheme's appraisal period counts."""
    envelope: Limit
    """The pooled budget [GBP, undiscounted, real]."""
    agencies: list[AgencyLimit] = Field(default_factory=list)
    """Contribution limits of the agencies that pay for the schemes."""
    schemes: Annotated[list[Scheme], Field(min_length=1)]
    """The candidate schemes."""
    exclusive: list[ExclusiveGroup] = Field(default_factory=list)
    """Groups of schemes of which at most one is funded. Default: none."""
    dependencies: list[Dependency] = Field(default_factory=list)
    """Schemes that may be funded only if another is. Default: none."""
    interactions: list[Interaction] = Field(default_factory=list)
    """NPSV adjustments when two schemes both run (synergy or overlap). Default: none."""
    objective: ObjectiveForm = "npsv"
    """What the board maximises: a measure's name, or an ``Objective`` block (needed for
    ``outcomes``). Default: ``npsv``."""

    def chosen_objective(self) -> Objective:
        """The objective as a block (a bare measure name becomes one)."""
        if isinstance(self.objective, Objective):
            return self.objective
        return Objective(measure=self.objective)

    def scheme_index(self) -> dict[str, int]:
        """Scheme id -> position."""
        return {s.id: i for i, s in enumerate(self.schemes)}


def _unknown_scheme(value: str, known: list[str]) -> str:
    guess = closest(value, known)
    hint = f" Did you mean '{guess}'?" if guess else ""
    return f"unknown scheme; got '{value}'.{hint} Declared scheme ids: {', '.join(known)}"


def reference_problems(budget: Budget) -> list[tuple[tuple[str | int, ...], str]]:
    """Every reference within the file that does not resolve, or is repeated, with its
    location: duplicate ids, and exclusivity groups, dependencies and interactions naming
    schemes that are not declared."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    known = [s.id for s in budget.schemes]
    for key, ids in (
        ("schemes", [s.id for s in budget.schemes]),
        ("agencies", [a.id for a in budget.agencies]),
    ):
        seen: set[str] = set()
        for index, item in enumerate(ids):
            if item in seen:
                found.append(((key, index, "id"), f"duplicate id '{item}'; ids must be unique"))
            seen.add(item)
    for g, group in enumerate(budget.exclusive):
        for k, scheme in enumerate(group.schemes):
            if scheme not in known:
                found.append((("exclusive", g, "schemes", k), _unknown_scheme(scheme, known)))
    for d, dependency in enumerate(budget.dependencies):
        for key in ("scheme", "needs"):
            value = getattr(dependency, key)
            if value not in known:
                found.append((("dependencies", d, key), _unknown_scheme(value, known)))
        if dependency.scheme == dependency.needs:
            found.append((("dependencies", d, "needs"), "a scheme cannot depend on itself"))
    for p, interaction in enumerate(budget.interactions):
        for k, scheme in enumerate(interaction.schemes):
            if scheme not in known:
                found.append((("interactions", p, "schemes", k), _unknown_scheme(scheme, known)))
        if interaction.schemes[0] == interaction.schemes[1]:
            found.append((("interactions", p, "schemes", 1), "name two different schemes"))
    period = budget.period
    if period is not None:
        limits: list[tuple[tuple[str | int, ...], Limit]] = [(("envelope",), budget.envelope)]
        limits += [(("agencies", a), agency) for a, agency in enumerate(budget.agencies)]
        for loc, limit in limits:
            for year in sorted(limit.by_year or {}):
                if not period.first_year <= year <= period.last_year:
                    found.append(
                        (
                            (*loc, "by_year", year),
                            f"{year} is outside the budget period {period.first_year}-"
                            f"{period.last_year}; limit a year of the period, or widen it",
                        )
                    )
    return found
