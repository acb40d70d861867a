"""Every numeric input of a validated scenario, with its parameter path, unit, valid domain and
source: what ``cba params`` lists and what what-ifs, sensitivity tests and switching values vary.

The domain of an input is the range the scenario language accepts for it (the field's bounds,
e.g. a share is in [0, 1], an amount a year in [0, 1e12]); a value outside it is refused, so no
analysis ever reports a figure there.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, replace
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.spec.parameters import key_of, matching_paths
from cba.spec.sensitivity import SensitivityRange
from cba.spec.uncertainty import Beta, Choice, LogNormal, Normal, Uncertainty

if typing.TYPE_CHECKING:
    from cba.spec.scenario import Scenario

UNITS: dict[str, str] = {
    "amount_per_year": "GBP per year",
    "series": "GBP per year",
    "value_per_year": "GBP per year",
    "amount": "GBP per outcome",
    "amount_series": "GBP per outcome",
    "outcomes_series": "outcomes per year",
    "value_per_hour": "GBP per hour",
    "hours_per_year": "hours per year",
    "volunteers": "people",
    "hours_per_volunteer": "hours per person per year",
    "cohort": "people per year",
    "outcomes_per_year": "outcomes per year",
    "engagement_rate": "fraction",
    "success_rate": "fraction",
    "deadweight": "fraction",
    "displacement": "fraction",
    "leakage": "fraction",
    "substitution": "fraction",
    "attribution": "fraction",
    "drop_off": "fraction per year",
    "multiplier": "dimensionless",
    "optimism_bias": "fraction",
    "mitigation": "fraction",
    "upper_bound": "fraction",
    "corrections": "fraction",
    "paid_by": "fraction",
    "fixed_share": "fraction",
    "delta": "fraction",
    "constant_rate": "fraction per year",
    "rate": "fraction per year",
    "index": "index",
    "start_year": "calendar year",
    "end_year": "calendar year",
    "price_year": "calendar year",
    "price_base_year": "calendar year",
    "first_year": "calendar year",
    "appraisal_period_years": "years",
    "duration_years": "years",
    "from_year_offset": "years",
    "n0": "driver units",
    "start": "driver units",
    "stop": "driver units",
    "per": "driver units",
    "n": "driver units",
    "points": "points",
    "elasticity": "dimensionless",
    "exponent": "dimensionless",
    "b": "dimensionless",
    "value": "relative amount",
    "schedule": "named schedule",
    "confidence_grade": "grade",
    "health_schedule": "named schedule",
    "uplift": "fraction of net public cost",
    "reference_income": "GBP per household per year",
    "income": "GBP per household per year",
}
"""Unit of an input by its key (the last named segment of its path)."""


EVALUABLE_KEYS = frozenset(
    {
        "amount_per_year",
        "series",
        "optimism_bias",
        "mitigation",
        "upper_bound",
        "corrections",
        "value_per_year",
        "hours_per_year",
        "volunteers",
        "hours_per_volunteer",
        "value_per_hour",
        "outcomes_per_year",
        "outcomes_series",
        "amount_series",
        "cohort",
        "engagement_rate",
        "success_rate",
        "amount",
        "deadweight",
        "displacement",
        "leakage",
        "substitution",
        "attribution",
        "multiplier",
        "drop_off",
        "duration_years",
        "start_year",
        "end_year",
        "constant_rate",
        "rate",
        "uplift",
    }
)
"""Keys of the inputs a compiled scenario varies without re-validating it (amounts, counts,
shares, timings, rates). Every other input (who pays what share, the appraisal period, price
years, deflators, scale laws) changes the scenario's structure: vary it with ``cba run --set``
or ``cba.with_values``, which validate a new scenario."""


@dataclass(frozen=True)
class NumericInput:
    """One numeric (or discrete-choice) input of a scenario."""

    path: str
    """Parameter path from ids, e.g. ``options.resident_patrols.costs.coordinator.
    amount_per_year``."""
    value: float | str
    """Current value: the file's, or the default the file leaves unsaid."""
    unit: str
    low: float | None
    """Lowest valid value (None: unbounded)."""
    high: float | None
    low_open: bool
    """True when ``low`` itself is not valid (a strict bound)."""
    high_open: bool
    whole: bool
    """True for whole numbers (years, counts of points)."""
    choices: tuple[str, ...]
    """For a discrete choice (a named schedule): the names it may take; else empty."""
    source: str
    """The source the scenario gives next to the input (its line's ``source``)."""
    given: bool
    """True when the file states the value; False for a default."""


def _bounds(items: list[Any], out: dict[str, Any]) -> None:
    for item in items:
        if isinstance(item, annotated_types.Ge):
            out["low"] = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            out["low"], out["low_open"] = float(item.gt), True  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            out["high"] = float(item.le)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Lt):
            out["high"], out["high_open"] = float(item.lt), True  # type: ignore[arg-type]
        elif isinstance(item, FieldInfo):
            _bounds(list(item.metadata), out)


def _annotation_bounds(annotation: Any, out: dict[str, Any]) -> None:
    """Bounds of a (possibly Annotated, optional) numeric type."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        args = typing.get_args(annotation)
        _annotation_bounds(args[0], out)
        _bounds(list(args[1:]), out)
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                _annotation_bounds(arg, out)


def _dict_value_type(annotation: Any) -> Any:
    """The value type of a (possibly Annotated, optional) ``dict[K, V]`` annotation."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _dict_value_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _dict_value_type(arg)
            if found is not None:
                return found
        return None
    if origin is dict:
        return typing.get_args(annotation)[1]
    return None


def _leaf(
    path: str,
    key: str,
    value: float,
    bounds: dict[str, Any],
    source: str,
    given: bool,
) -> NumericInput:
    return NumericInput(
        path=path,
        value=value,
        unit=UNITS.get(key, ""),
        low=bounds.get("low"),
        high=bounds.get("high"),
        low_open=bool(bounds.get("low_open")),
        high_open=bool(bounds.get("high_open")),
        whole=isinstance(value, int),
        choices=(),
        source=source,
        given=given,
    )


def _walk(model: BaseModel, prefix: str, source: str, out: list[NumericInput]) -> None:
    own = getattr(model, "source", None)
    if isinstance(own, str) and own:
        source = own
    given_keys = model.model_fields_set
    for name, field in type(model).model_fields.items():
        if not prefix and name in ("sensitivity", "uncertainty", "monte_carlo"):
            continue  # ranges, distributions and draws for testing inputs, not inputs
        value = getattr(model, name)
        path = f"{prefix}.{name}" if prefix else name
        given = name in given_keys
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, BaseModel):
            _walk(value, path, source, out)
        elif isinstance(value, list):
            ids = [getattr(item, "id", None) for item in value]
            keyed = all(isinstance(i, str) for i in ids)
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _walk(item, f"{path}.{ids[index] if keyed else index}", source, out)
        elif isinstance(value, dict):
            bounds: dict[str, Any] = {}
            _annotation_bounds(_dict_value_type(field.annotation), bounds)
            for key, item in value.items():
                if isinstance(item, int | float) and not isinstance(item, bool):
                    out.append(_leaf(f"{path}.{key}", name, item, bounds, source, given))
        elif isinstance(value, int | float):
            bounds = {}
            _bounds(list(field.metadata), bounds)
            _annotation_bounds(field.annotation, bounds)
            out.append(_leaf(path, name, value, bounds, source, given))
        elif isinstance(value, str) and name in ("schedule", "health_schedule"):
            out.append(
                NumericInput(
                    path=path,
                    value=value,
                    unit=UNITS[name],
                    low=None,
                    high=None,
                    low_open=False,
                    high_open=False,
                    whole=False,
                    choices=tuple(NAMED_SCHEDULES),
                    source=NAMED_SCHEDULES[value].source,
                    given=given,
                )
            )


def numeric_inputs(scenario: Scenario) -> list[NumericInput]:
    """Every numeric input of ``scenario`` (and each discount-schedule choice), in file order,
    defaults included (``deadweight: 0`` when the file says nothing)."""
    out: list[NumericInput] = []
    _walk(scenario, "", scenario.source or "scenario file", out)
    return out


def _within(value: float, item: NumericInput) -> bool:
    if item.low is not None and (value <= item.low if item.low_open else value < item.low):
        return False
    return item.high is None or (value < item.high if item.high_open else value <= item.high)


def _domain(item: NumericInput) -> str:
    low = "-inf" if item.low is None else f"{item.low:g}"
    high = "inf" if item.high is None else f"{item.high:g}"
    return f"{'(' if item.low_open else '['}{low}, {high}{')' if item.high_open else ']'}"


def _timing_domain(
    path: str, item: NumericInput, by_path: dict[str, NumericInput], years: tuple[int, int]
) -> NumericInput:
    """A start year, end year or duration's valid range with its line's other timing inputs
    as the file gives them: a start no later than the end (and than the last start at which a
    duration still fits), an end no earlier than the start, a duration that ends by the last
    year."""
    first, last = years
    key = key_of(path)
    line = path[: -len(key)]

    def sibling(name: str) -> int | None:
        found = by_path.get(line + name)
        return None if found is None or isinstance(found.value, str) else int(found.value)

    start, end, duration = sibling("start_year"), sibling("end_year"), sibling("duration_years")
    low, high = float(first), float(last)
    if key == "start_year":
        if end is not None:
            high = min(high, float(end))
        if duration is not None:
            high = min(high, float(last - duration + 1))
    elif key == "end_year":
        low = max(low, float(start if start is not None else first))
    else:
        low, high = 1.0, float(last - (start if start is not None else first) + 1)
    return replace(item, low=low, high=high)


def sensitivity_problem(
    entry: SensitivityRange, inputs: list[NumericInput], years: tuple[int, int]
) -> tuple[str, str] | None:
    """What is wrong with a ``sensitivity:`` entry (the key it is about, and a message), or
    None: its path must name inputs of the scenario that an evaluation can vary (not a
    discrete choice, not a structural input), and its range must lie in every named input's
    valid domain (``years``, the first and last appraisal years, for a start or end year)."""
    by_path = {item.path: item for item in inputs}
    named = [p for p in matching_paths(entry.parameter, list(by_path)) if p in by_path]
    if not named:
        import difflib

        guess = difflib.get_close_matches(entry.parameter, list(by_path), n=1, cutoff=0.6)
        hint = f" Did you mean '{guess[0]}'?" if guess else ""
        what = "names no input" if "*" in entry.parameter else "is not an input"
        return (
            "parameter",
            f"'{entry.parameter}' {what} of this scenario.{hint} "
            "(cba params SCENARIO lists every input's path)",
        )
    for path in named:
        if by_path[path].choices:
            return (
                "parameter",
                f"'{path}' is a choice of named schedule, not a number: the discount-rate "
                "tests already compare every named schedule; remove this entry",
            )
    structural = [p for p in named if key_of(p) not in EVALUABLE_KEYS]
    if structural and len(structural) == len(named):
        return (
            "parameter",
            f"'{structural[0]}' changes the structure of the scenario (its shares, years, price "
            "bases or scale laws), so a sensitivity test cannot vary it; compare variants with "
            "cba run --set PATH=VALUE instead",
        )
    for path in named:
        if path in structural:
            continue
        item = by_path[path]
        if key_of(path) in ("start_year", "end_year", "duration_years"):
            item = _timing_domain(path, item, by_path, years)
        assert isinstance(item.value, int | float)
        ends: list[tuple[str, float]] = []
        if entry.low is not None and entry.high is not None:
            ends = [("low", entry.low), ("high", entry.high)]
        elif entry.factor_low is not None and entry.factor_high is not None:
            ends = [
                ("factor_low", entry.factor_low * item.value),
                ("factor_high", entry.factor_high * item.value),
            ]
        for key, value in ends:
            if item.whole and value != round(value) and key in ("low", "high"):
                return (key, f"'{path}' takes whole numbers ({item.unit}); got {value:g}")
            if not _within(value, item):
                return (
                    key,
                    f"gives {value:g} {item.unit} for '{path}', outside its valid range "
                    f"{_domain(item)}. Give a range inside it",
                )
    return None


def _support(distribution: Any) -> tuple[float | None, float | None]:
    """The lowest and highest values a distribution can draw (None: unbounded)."""
    if isinstance(distribution, Normal):
        return distribution.low, distribution.high
    if isinstance(distribution, LogNormal):
        import math

        # one draw in a billion is above median x exp(6 sigma): treated as the upper end
        return 0.0, distribution.centre * math.exp(6.0 * distribution.spread)
    if isinstance(distribution, Beta):
        return distribution.low, distribution.high
    return distribution.low, distribution.high


MIN_KEPT = 0.001
"""Least share of a normal that a cut may keep (below it, drawing again would not end)."""


def _kept(distribution: Normal) -> float:
    """The share of a normal inside its cut [fraction]."""
    import math

    mean, sd = distribution.centre, distribution.spread
    if sd == 0:
        low_ok = distribution.low is None or mean >= distribution.low
        high_ok = distribution.high is None or mean <= distribution.high
        return 1.0 if low_ok and high_ok else 0.0

    def below(x: float | None, default: float) -> float:
        return default if x is None else 0.5 * math.erfc(-(x - mean) / (sd * math.sqrt(2)))

    return below(distribution.high, 1.0) - below(distribution.low, 0.0)


def _central_interval(distribution: Any) -> tuple[float, float]:
    """Where the file's value must lie: the range of a bounded family, the central 90%
    interval of a normal or log-normal, mean +/- 1.645 sd of a beta."""
    import math

    from cba.spec.uncertainty import Z_95

    if isinstance(distribution, Normal):
        c, s = distribution.centre, distribution.spread
        return c - Z_95 * s, c + Z_95 * s
    if isinstance(distribution, LogNormal):
        c, s = distribution.centre, distribution.spread
        return c * math.exp(-Z_95 * s), c * math.exp(Z_95 * s)
    if isinstance(distribution, Beta):
        a, b = distribution.shape_parameters
        width = distribution.high - distribution.low
        mean = a / (a + b)
        sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        low = distribution.low + width * max(0.0, mean - Z_95 * sd)
        high = distribution.low + width * min(1.0, mean + Z_95 * sd)
        return low, high
    return distribution.low, distribution.high


@dataclass(frozen=True)
class UncertainEntry:
    """One distribution of the scenario: from the ``uncertainty:`` block, from a line's
    ``uncertain:`` mapping, or a default spread from a confidence grade."""

    pattern: str
    """Parameter path (``*`` for any one segment)."""
    distribution: Any
    """The distribution (None: a confidence grade without a range in the table)."""
    why: str
    source: str | None
    origin: str
    """``block``, ``inline`` or ``grade``."""
    label: str
    """Where it is, in words for messages (``uncertainty.inputs[2]``)."""
    parameter_at: tuple[Any, ...]
    """Location of the path in the file (below the scenario)."""
    distribution_at: tuple[Any, ...]
    """Location of the distribution in the file."""


LINE_KINDS = ("costs", "community_inputs", "benefits")
"""An option's lists of lines, each of which may carry an ``uncertain:`` mapping."""


def uncertain_entries(scenario: Scenario, inputs: list[NumericInput]) -> list[UncertainEntry]:
    """Every distribution the scenario gives, in order: the ``uncertainty:`` block's inputs,
    then each line's ``uncertain:`` entries (file order), then (with
    ``spreads_by_confidence_grade.apply``) a default spread for each graded amount or outcome
    count that has no distribution of its own."""
    u = scenario.uncertainty
    out = [
        UncertainEntry(
            pattern=entry.parameter,
            distribution=entry.distribution,
            why=entry.why,
            source=entry.source,
            origin="block",
            label=f"uncertainty.inputs[{index}]",
            parameter_at=("uncertainty", "inputs", index, "parameter"),
            distribution_at=("uncertainty", "inputs", index, "distribution"),
        )
        for index, entry in enumerate(u.inputs)
    ]
    for oi, option in enumerate(scenario.options):
        for kind in LINE_KINDS:
            for li, line in enumerate(getattr(option, kind)):
                for key, inline in line.uncertain.items():
                    at = ("options", oi, kind, li, "uncertain", key)
                    out.append(
                        UncertainEntry(
                            pattern=f"options.{option.id}.{kind}.{line.id}.{key}",
                            distribution=inline.distribution,
                            why=inline.why,
                            source=inline.source,
                            origin="inline",
                            label=f"options.{option.id}.{kind}.{line.id}.uncertain.{key}",
                            parameter_at=at,
                            distribution_at=(*at, "distribution"),
                        )
                    )
    if not u.spreads_by_confidence_grade.apply:
        return out
    from cba.spec.uncertainty import Triangular

    known = [item.path for item in inputs]
    by_path = {item.path: item for item in inputs}
    claimed = {path for e in out for path in matching_paths(e.pattern, known)}
    table = u.spreads_by_confidence_grade
    for option in scenario.options:
        for kind in ("costs", "benefits"):
            for line in getattr(option, kind):
                grade = getattr(line.optimism_bias, "confidence_grade", None)
                if grade is None:
                    continue
                prefix = f"options.{option.id}.{kind}.{line.id}."
                for key in ("amount_per_year", "outcomes_per_year", "outcomes.cohort"):
                    path = prefix + key
                    item = by_path.get(path)
                    if item is None or path in claimed or isinstance(item.value, str):
                        continue
                    value = float(item.value)
                    ranges_at = ("uncertainty", "spreads_by_confidence_grade", "ranges")
                    r = table.ranges.get(grade)
                    if value == 0 or r == 0:
                        continue
                    distribution = None
                    if r is not None:
                        ends = sorted((value * (1 - r), value * (1 + r)))
                        distribution = Triangular(
                            family="triangular", low=ends[0], mode=value, high=ends[1]
                        )
                    out.append(
                        UncertainEntry(
                            pattern=path,
                            distribution=distribution,
                            why=(
                                f"default spread for confidence grade {grade}: up to "
                                f"{r if r is not None else 0:.0%} either way "
                                "(uncertainty.spreads_by_confidence_grade)"
                            ),
                            source=table.source,
                            origin="grade",
                            label=f"the default spread for grade {grade}",
                            parameter_at=ranges_at,
                            distribution_at=(*ranges_at, grade),
                        )
                    )
    return out


def uncertainty_problems(
    uncertainty: Uncertainty,
    entries: list[UncertainEntry],
    inputs: list[NumericInput],
    years: tuple[int, int],
    central: bool = False,
) -> tuple[tuple[Any, ...], str] | None:
    """The first problem of the scenario's distributions (where it is, below the scenario,
    and a message), or None. Each entry must name inputs an evaluation can vary, once; a
    discrete choice takes ``family: choice`` and a number does not; every value a
    distribution can draw must be valid for the input; and (with ``central``, for a file as
    written, not a what-if that moves a value) the file's value must lie in the
    distribution's range or central 90% interval (deterministic runs use the file's value).
    Correlations and groups must name inputs that have distributions."""
    by_path = {item.path: item for item in inputs}
    claimed: dict[str, str] = {}
    for entry in entries:
        at_parameter, at_distribution = entry.parameter_at, entry.distribution_at
        named = [p for p in matching_paths(entry.pattern, list(by_path)) if p in by_path]
        if not named:
            import difflib

            if entry.origin == "inline":
                line = entry.pattern.rsplit(".", len(entry.parameter_at[-1].split(".")))[0]
                keys = [p[len(line) + 1 :] for p in by_path if p.startswith(line + ".")]
                line_key = str(entry.parameter_at[-1])
                guess = difflib.get_close_matches(line_key, keys, n=1, cutoff=0.6)
                hint = f" Did you mean '{guess[0]}'?" if guess else ""
                return (
                    at_parameter,
                    f"'{line_key}' is not an input of this line.{hint} Its inputs: "
                    + ", ".join(keys),
                )
            guess = difflib.get_close_matches(entry.pattern, list(by_path), n=1, cutoff=0.6)
            hint = f" Did you mean '{guess[0]}'?" if guess else ""
            return (
                at_parameter,
                f"'{entry.pattern}' is not an input of this scenario.{hint} (cba params "
                "SCENARIO lists every input's path)",
            )
        if entry.distribution is None:
            grade = entry.distribution_at[-1]
            return (
                entry.parameter_at,
                f"confidence grade {grade} has no range in "
                "uncertainty.spreads_by_confidence_grade.ranges: give one (a fraction of the "
                "value, e.g. 0.3)",
            )
        dist = entry.distribution
        for path in named:
            item = by_path[path]
            if path in claimed:
                return (
                    at_parameter,
                    f"'{path}' already has a distribution ({claimed[path]}); give each input one",
                )
            claimed[path] = entry.label
            if item.choices:
                if not isinstance(dist, Choice):
                    return (
                        at_distribution,
                        f"'{path}' is a choice of named schedule: give family: choice with "
                        f"values from {', '.join(item.choices)}",
                    )
                bad = [v for v in dist.values if v not in item.choices]
                if bad:
                    return (
                        (*at_distribution, "values"),
                        f"'{bad[0]}' is not a schedule; choose from {', '.join(item.choices)}",
                    )
                continue
            if key_of(path) not in EVALUABLE_KEYS:
                return (
                    at_parameter,
                    f"'{path}' changes the structure of the scenario (its shares, years, price "
                    "bases or scale laws), so it cannot be drawn in a simulation; compare "
                    "variants with cba run --set instead",
                )
            if isinstance(dist, Choice):
                bad_values = [v for v in dist.values if isinstance(v, str)]
                if bad_values:
                    return (
                        (*at_distribution, "values"),
                        f"'{path}' is a number ({item.unit}); the values must be numbers",
                    )
                values = [float(v) for v in dist.values]
                low, high = min(values), max(values)
                inside = [float(v) for v in dist.values]
            else:
                support_low, support_high = _support(dist)
                low = -float("inf") if support_low is None else support_low
                high = float("inf") if support_high is None else support_high
                inside = []
            if isinstance(dist, Normal) and _kept(dist) < MIN_KEPT:
                return (
                    at_distribution,
                    f"the cut normal keeps only {_kept(dist):.2g} of its draws between low and "
                    "high: it cannot be sampled. Move the cut or the mean, or widen the sd",
                )
            if key_of(path) in ("start_year", "end_year", "duration_years"):
                item = _timing_domain(path, item, by_path, years)
            domain = _domain(item)
            if not (_within(low, item) and _within(high, item)):
                if isinstance(dist, Normal):
                    hint = (
                        ". Give low and high to cut the normal to the valid range, or use a "
                        "family that stays inside it (beta for a share, triangular or PERT)"
                    )
                elif isinstance(dist, LogNormal):
                    hint = ". Use a family that stays inside it (beta, triangular or PERT)"
                else:
                    hint = ". Give a distribution inside it"
                return (
                    at_distribution,
                    f"draws for '{path}' could fall outside its valid range {domain}{hint}",
                )
            assert isinstance(item.value, int | float)
            value = float(item.value)
            if not central:
                continue
            if isinstance(dist, Choice):
                if value not in inside:
                    return (
                        (*at_distribution, "values"),
                        f"the file's value of '{path}' ({value:g}) is not one of the values; "
                        "deterministic runs use the file's value, so include it",
                    )
                continue
            c_low, c_high = _central_interval(dist)
            if isinstance(dist, Normal):
                c_low = c_low if dist.low is None else max(c_low, dist.low)
                c_high = c_high if dist.high is None else min(c_high, dist.high)
            if not (c_low - 1e-12 * abs(c_low) <= value <= c_high + 1e-12 * abs(c_high)):
                return (
                    at_distribution,
                    f"the file's value of '{path}' ({value:g}) lies outside the distribution's "
                    f"{'range' if c_low == low and c_high == high else 'central 90% interval'} "
                    f"({c_low:.6g} to {c_high:.6g}): deterministic runs use the file's value, "
                    "so centre the distribution on it or change the value",
                )
    pairs: set[frozenset[str]] = set()
    for index, pair in enumerate(uncertainty.correlations):
        at = ("uncertainty", "correlations", index)
        for k, path in enumerate(pair.between):
            if path in by_path and by_path[path].choices:
                return (
                    (*at, "between", k),
                    f"'{path}' is a choice of names: a rank correlation needs two numbers",
                )
            if path not in claimed:
                return (
                    (*at, "between", k),
                    f"'{path}' has no distribution (name each input by its full path, "
                    "without wildcards)",
                )
        if pair.between[0] == pair.between[1]:
            return ((*at, "between"), "an input is always fully correlated with itself")
        key = frozenset(pair.between)
        if key in pairs:
            return ((*at, "between"), "this pair already has a correlation; give it once")
        pairs.add(key)
    for index, group in enumerate(uncertainty.groups):
        for k, pattern in enumerate(group.inputs):
            if not [p for p in matching_paths(pattern, list(claimed)) if p in claimed]:
                import difflib

                guess = difflib.get_close_matches(pattern, list(claimed), n=1, cutoff=0.6)
                hint = f" Did you mean '{guess[0]}'?" if guess else ""
                return (
                    ("uncertainty", "groups", index, "inputs", k),
                    f"'{pattern}' names no input with a distribution.{hint}",
                )
    return None
