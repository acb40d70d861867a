"""Shared building blocks of the scenario language: the strict base model, constrained types,
validation context for cross-references, and tagged unions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError


@dataclass(frozen=True)
class OneOf:
    """Alternative forms of a model: exactly one must be given, and all of its keys.

    Checked twice with the same message: on the raw file before validation (so the problem is
    reported even when another field of the same mapping is also wrong) and by the model.
    """

    forms: tuple[tuple[str, ...], ...]

    def problem(self, given: Iterable[str]) -> str | None:
        """What is wrong with the keys ``given``, or None."""
        present = set(given)
        used = [form for form in self.forms if present & set(form)]
        names = " or ".join(" and ".join(form) for form in self.forms)
        if len(used) != 1:
            return f"give exactly one of {names}; got " + ("both" if used else "neither")
        missing = [key for key in used[0] if key not in present]
        if missing:
            return f"give {' and '.join(used[0])} together; {', '.join(missing)} is missing"
        return None


class StrictModel(BaseModel):
    """Base of every scenario model: unknown keys are errors, instances are immutable, and
    values are not coerced (``"3000"`` is not a number; ``true`` is not 1)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        # Field docstrings become schema descriptions only when the schema is generated
        # (cba.io.schema.field_docstrings): reading every model's source at each start costs
        # tens of milliseconds on every command.
        use_attribute_docstrings=False,
        validate_default=False,
        # Validators are built on first use, once for the whole Scenario, not once per model
        # at import: commands that import the spec without validating start faster.
        defer_build=True,
    )

    one_of: ClassVar[OneOf | None] = None
    """Alternative forms of this mapping, if it has any."""

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; changing values this way is refused, since it would skip validation (a
        deadweight of 30 would run silently). Use ``cba.with_values(scenario, {path: value})``."""
        if update:
            raise TypeError(
                f"{type(self).__name__}.model_copy(update=...) is not supported: it skips "
                "validation. Use cba.with_values(scenario, {parameter path: value}), which "
                "validates the changed scenario like a file"
            )
        return super().model_copy(deep=deep)

    @classmethod
    def model_construct(  # type: ignore[override]  # the pydantic plugin rewrites it
        cls, _fields_set: set[str] | None = None, **values: Any
    ) -> Self:
        """Not supported: it builds a model without validating it."""
        raise TypeError(
            f"{cls.__name__}.model_construct is not supported: it skips validation. Use "
            "cba.scenario_from_dict(data) or cba.with_values(scenario, {path: value})"
        )

    @model_validator(mode="after")
    def _check_one_of(self) -> Self:
        if self.one_of is not None:
            given = [name for name in type(self).model_fields if getattr(self, name) is not None]
            problem = self.one_of.problem(given)
            if problem is not None:
                raise ValueError(problem)
        return self


@dataclass(frozen=True)
class ReferenceContext:
    """What the whole file declares, gathered before validation so that every reference can be
    checked in the same pass as every field (all problems reported at once)."""

    agency_ids: frozenset[str] = frozenset()
    option_ids: frozenset[str] = frozenset()
    first_year: int | None = None
    last_year: int | None = None
    confidence_grades: frozenset[int] = frozenset()
    deflator_years: frozenset[int] | None = None
    price_base_year: int | None = None
    income_groups: frozenset[str] = frozenset()
    """Ids of the ``distributional_weights`` block's income groups."""


def _context(info: ValidationInfo) -> ReferenceContext | None:
    ctx = info.context
    if isinstance(ctx, ReferenceContext):
        return ctx
    return None


AT = "at"
"""Context key of a custom error giving the location, below the validated model, that the
problem is about (e.g. ``("end_year",)``); the error formatter points there."""


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word`` (for "did you mean" hints), or None."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def escaped(text: str) -> str:
    """``text`` with every character that does not print written as its escape (``\\x1b``), for
    messages that quote a value (pydantic cannot carry a lone surrogate in a message)."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def _unknown(kind: str, value: str, known: frozenset[str]) -> PydanticCustomError:
    guess = closest(value, known)
    hint = f" Did you mean '{guess}'?" if guess else ""
    listed = ", ".join(sorted(known)) or "none declared"
    return PydanticCustomError(
        "unknown_reference",
        "unknown {kind}; got '{value}'.{hint} Declared {kind} ids: {listed}",
        {"kind": kind, "value": escaped(value), "hint": hint, "listed": listed},
    )


def _check_agency(value: str, info: ValidationInfo) -> str:
    ctx = _context(info)
    if ctx is not None and value not in ctx.agency_ids:
        raise _unknown("agency", value, ctx.agency_ids)
    return value


def _check_income_group(value: str, info: ValidationInfo) -> str:
    ctx = _context(info)
    if ctx is not None and value not in ctx.income_groups:
        raise _unknown("income group", value, ctx.income_groups)
    return value


def _check_option(value: str, info: ValidationInfo) -> str:
    ctx = _context(info)
    if ctx is not None and value not in ctx.option_ids:
        raise _unknown("option", value, ctx.option_ids)
    return value


def _check_in_period(value: int, info: ValidationInfo) -> int:
    ctx = _context(info)
    if ctx is None or ctx.first_year is None or ctx.last_year is None:
        return value
    if not ctx.first_year <= value <= ctx.last_year:
        raise PydanticCustomError(
            "year_outside_period",
            "year {value} is outside the appraisal period {first}-{last}. Use a year in the "
            "period, or change first_year / appraisal_period_years",
            {"value": value, "first": ctx.first_year, "last": ctx.last_year},
        )
    return value


def _check_grade(value: int, info: ValidationInfo) -> int:
    ctx = _context(info)
    if ctx is not None and ctx.confidence_grades and value not in ctx.confidence_grades:
        listed = ", ".join(str(g) for g in sorted(ctx.confidence_grades))
        raise PydanticCustomError(
            "unknown_grade",
            "confidence grade {value} is not in the scenario's grade table (grades: {listed}). "
            "Use one of those grades, or add {value} to confidence_grades.corrections",
            {"value": value, "listed": listed},
        )
    return value


def _check_price_year(value: int, info: ValidationInfo) -> int:
    ctx = _context(info)
    if ctx is None or value == ctx.price_base_year:
        return value
    if ctx.deflator_years is None:
        raise PydanticCustomError(
            "no_deflator",
            "price_year {value} differs from price_base_year {base} but the scenario has no "
            "deflator. Add a `deflator:` with an index for both years (HM Treasury GDP "
            "deflator), or give amounts in {base} prices",
            {"value": value, "base": ctx.price_base_year},
        )
    missing = [
        y for y in (value, ctx.price_base_year) if y is not None and y not in ctx.deflator_years
    ]
    if missing:
        raise PydanticCustomError(
            "deflator_year_missing",
            "the deflator index has no value for {missing}. Add it to deflator.index",
            {"missing": ", ".join(str(y) for y in missing)},
        )
    return value


Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", min_length=1, max_length=64),
]
"""A short id used to refer to a thing elsewhere in the file."""

_NOT_TEXT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
"""Characters refused in text: control characters other than tab and line feed (ESC, NUL, CR,
DEL, C1), lone surrogates, the noncharacters U+FFFE and U+FFFF, and the bidirectional-text
overrides and isolates (they reorder what a reader sees in a terminal or a spreadsheet)."""


def _character_kind(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "a lone surrogate (half of a UTF-16 pair)"
    if code in (0xFFFE, 0xFFFF):
        return "a Unicode noncharacter"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return "a bidirectional-text control"
    return "a control character"


def _check_text(value: str) -> str:
    found = _NOT_TEXT.search(value)
    if found is None:
        return value
    char = found.group()
    count = len(_NOT_TEXT.findall(value))
    raise PydanticCustomError(
        "text_character",
        "contains {kind} (U+{code}) at character {index}{more}; text may not contain control "
        "characters (tab and line break are allowed). Remove it: it would garble the terminal "
        "and the workbook",
        {
            "kind": _character_kind(char),
            "code": f"{ord(char):04X}",
            "index": found.start() + 1,
            "more": f" and {count - 1} more" if count > 1 else "",
        },
    )


Text = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_check_text)]
"""Free text, up to 4,000 characters; tabs and line breaks allowed, other control characters
refused."""
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_check_text)
]
"""A name or a title: 1 to 200 characters, no control characters."""
Source = Annotated[
    str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_check_text)
]
"""Where a number comes from: a publication with table/page, or 'Illustrative assumption: ...'
(1 to 2,000 characters, no control characters)."""
ImpactText = Annotated[str, StringConstraints(max_length=500), AfterValidator(_check_text)]
"""An impact described in words, up to 500 characters, no control characters."""


@dataclass(frozen=True)
class Plausible:
    """Why a number has the bounds it has: said in the message when a value is outside them.

    Bounds are generous (no real scenario comes near them); they catch units mistakes and keep
    every figure computed from a valid scenario a finite number.
    """

    why: str


Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A share or rate as a fraction in [0, 1] (0.035, not 3.5)."""

MAX_MONEY_PER_YEAR = 1e12
MAX_MONEY_PER_OUTCOME = 1e9
MAX_MONEY_PER_HOUR = 1e4
MAX_PEOPLE = 1e8
MAX_OUTCOMES_PER_YEAR = 1e9
MAX_HOURS_PER_YEAR = 1e9
HOURS_IN_A_YEAR = 8784.0
"""Hours in a leap year: no one gives more time than that."""

MoneyPerYear = Annotated[
    float,
    Field(ge=0.0, le=MAX_MONEY_PER_YEAR, allow_inf_nan=False),
    Plausible(
        "£1 trillion a year, about all UK public spending, is the most a neighbourhood scheme's "
        "line can plausibly be. Check the units (pounds a year)"
    ),
]
"""A non-negative amount a year [GBP per year, real terms at the price base year unless
price_year says], at most 1e12 (£1 trillion)."""

MoneyPerOutcome = Annotated[
    float,
    Field(ge=0.0, le=MAX_MONEY_PER_OUTCOME, allow_inf_nan=False),
    Plausible(
        "£1 billion is the most one outcome can plausibly be worth (a prevented fatality is "
        "valued at a few million pounds). Check the units (pounds per outcome)"
    ),
]
"""A non-negative value of one outcome [GBP per outcome], at most 1e9 (£1 billion)."""

MoneyPerHour = Annotated[
    float,
    Field(ge=0.0, le=MAX_MONEY_PER_HOUR, allow_inf_nan=False),
    Plausible(
        "£10,000 is the most an hour of volunteer or service-user time can plausibly be worth. "
        "Check the units (pounds per hour)"
    ),
]
"""A non-negative value of one hour [GBP per hour], at most 1e4 (£10,000)."""

People = Annotated[
    float,
    Field(ge=0.0, le=MAX_PEOPLE, allow_inf_nan=False),
    Plausible("100 million people is more than the population of the UK. Check the value"),
]
"""A non-negative number of people (or households, places) [people], at most 1e8."""

OutcomesPerYear = Annotated[
    float,
    Field(ge=0.0, le=MAX_OUTCOMES_PER_YEAR, allow_inf_nan=False),
    Plausible(
        "a billion outcomes a year is more than a neighbourhood scheme can plausibly achieve. "
        "Check the value"
    ),
]
"""A non-negative number of outcomes a year [outcomes per year], at most 1e9."""

HoursPerYear = Annotated[
    float,
    Field(ge=0.0, le=MAX_HOURS_PER_YEAR, allow_inf_nan=False),
    Plausible(
        "a billion hours a year is the time of about 500,000 people working full time. Check "
        "the units (hours a year)"
    ),
]
"""A non-negative number of hours a year [hours per year], at most 1e9."""

HoursPerPerson = Annotated[
    float,
    Field(ge=0.0, le=HOURS_IN_A_YEAR, allow_inf_nan=False),
    Plausible("a year has at most 8,784 hours (a leap year). Check the units (hours a year)"),
]
"""A non-negative number of hours one person gives a year [hours per person per year], at
most 8,784 (the hours in a leap year)."""

CalendarYear = Annotated[int, Field(ge=1900, le=2500)]
"""A calendar year (e.g. 2025; financial year 2025/26 is written 2025)."""

PeriodYear = Annotated[CalendarYear, AfterValidator(_check_in_period)]
"""A calendar year inside the appraisal period."""

PriceYear = Annotated[CalendarYear, AfterValidator(_check_price_year)]
"""The price year of an amount; rebased to the price base year with the scenario's deflator."""

AgencyRef = Annotated[str, AfterValidator(_check_text), AfterValidator(_check_agency)]
"""The id of an agency declared under ``agencies``."""

IncomeGroupRef = Annotated[str, AfterValidator(_check_text), AfterValidator(_check_income_group)]
"""The id of an income group declared under ``distributional_weights.groups``."""

OptionRef = Annotated[str, AfterValidator(_check_text), AfterValidator(_check_option)]
"""The id of an option declared under ``options``."""

ConfidenceGrade = Annotated[int, Field(ge=1, le=9), AfterValidator(_check_grade)]
"""An evidence confidence grade, a key of the scenario's ``confidence_grades`` table."""

TAG_PREFIX = "~"
"""Tags of callable-discriminated unions start with this, so error paths can drop them."""


def tag(name: str) -> str:
    """The union tag for member ``name`` (appears in pydantic error locations only)."""
    return TAG_PREFIX + name


def as_mapping(value: Any) -> Any:
    """A model instance as a mapping of its fields (discriminators see raw input as dicts and
    model instances when a validated scenario is serialised or revalidated)."""
    return dict(value) if isinstance(value, BaseModel) else value


def discriminator(choose: Callable[[Any], str | None], expected: str) -> Discriminator:
    """A callable discriminator with a readable error when no member fits."""
    return Discriminator(
        choose,
        custom_error_type="no_matching_form",
        custom_error_message=f"not one of the accepted forms: {expected}",
    )
