"""Every numeric input of a validated scenario, with its parameter path, unit, valid domain and
source: what ``cba params`` lists and what what-ifs, sensitivity tests and switching values vary.

The domain of an input is the range the scenario language accepts for it (the field's bounds,
e.g. a share is in [0, 1], an amount a year in [0, 1e12]); a value outside it is refused, so no
analysis ever reports a figure there.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.spec.scenario import Scenario

UNITS: dict[str, str] = {
    "amount_per_year": "GBP per year",
    "series": "GBP per year",
    "value_per_year": "GBP per year",
    "amount": "GBP per outcome",
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
}
"""Unit of an input by its key (the last named segment of its path)."""


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
