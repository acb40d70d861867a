"""Turn pydantic validation errors into located, actionable problems.

Shape: ``file:line:col: dotted.path: what is wrong; got X. how to fix`` (house style, after
OpenFisca's error-message guidelines). Unknown keys get a "did you mean" and the allowed keys;
a fraction that looks like a percentage gets a hint.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cba.io.problems import Problem
from cba.io.yaml_loader import Location, SourceMap
from cba.spec.base import AT, TAG_PREFIX, closest
from cba.spec.scale import LAW_NAMES

_KEY_MARK = "[key]"


def _strip_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return list(typing.get_args(tp))
    return []


def _member_tag(member: Any) -> str | None:
    if typing.get_origin(member) is typing.Annotated:
        for meta in typing.get_args(member)[1:]:
            tag = getattr(meta, "tag", None)
            if isinstance(tag, str):
                return tag
    return None


def _step(tp: Any, part: str | int) -> Any:
    """The type found one step into ``tp`` along ``part`` (None when it cannot be followed)."""
    tp = _strip_annotated(tp)
    members = _union_members(tp)
    if members:
        if isinstance(part, str) and part.startswith(TAG_PREFIX):
            for member in members:
                if _member_tag(member) == part:
                    return member
            return None
        concrete = [m for m in members if _strip_annotated(m) is not type(None)]
        return _step(concrete[0], part) if len(concrete) == 1 else None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(part))
        return field.annotation if field is not None else None
    origin = typing.get_origin(tp)
    if origin is list and isinstance(part, int):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return None


def model_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that the mapping at ``loc`` is validated as, if one can be found."""
    tp: Any = root
    for part in loc:
        if part == _KEY_MARK:
            return None
        tp = _step(tp, part)
        if tp is None:
            return None
    tp = _strip_annotated(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    return None


def _user_location(loc: tuple[str | int, ...], data: Any) -> tuple[Location, str]:
    """The location in the user's data and its dotted rendering, without union tags."""
    parts: list[str | int] = []
    text = ""
    node = data
    for part in loc:
        if isinstance(part, str) and (part.startswith(TAG_PREFIX) or part == _KEY_MARK):
            continue
        if isinstance(node, list) and isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if 0 <= part < len(node) else None
        elif isinstance(node, Mapping):
            key: Any = part
            if key not in node and isinstance(part, str) and part.lstrip("-").isdigit():
                key = int(part)  # pydantic reports int dict keys as strings in some paths
            text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
            node = node.get(key)
            part = key
        else:
            text += f".{part}" if text else str(part)
            node = None
        parts.append(part)
    return tuple(parts), text


CUSTOM_MESSAGES = frozenset(
    {
        "unknown_reference",
        "year_outside_period",
        "unknown_grade",
        "no_deflator",
        "deflator_year_missing",
        "language_version",
        "benefit_beyond_period",
        "end_before_start",
        "first_band",
        "band_order",
        "empty_sweep",
        "n0_outside_sweep",
        "table_order",
        "scaling_without_scale",
        "table_at_n0",
        "unknown_outcome_line",
    }
)
"""Error types raised by cba's own validators: their messages already say what was given."""

DISCRIMINATING_KEYS: dict[str, tuple[str, ...]] = {
    "kind": ("time", "in_kind"),
    "value_type": ("fiscal", "economic", "social"),
    "law": LAW_NAMES,
}
"""Keys that choose the form of a mapping (the callable discriminators in cba.spec), and
their values."""

MONEY_FIELDS = frozenset({"amount", "amount_per_year", "value_per_year", "value_per_hour"})
"""Fields whose negative values get the "enter positive amounts" hint."""
"""Keys that choose the form of a mapping (see the callable discriminators in cba.spec)."""


def _got(value: Any) -> str:
    """The value as the user wrote it in YAML."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null (an empty value)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bound(ctx: dict[str, Any] | None, key: str) -> float | None:
    if ctx is None or key not in ctx:
        return None
    try:
        return float(ctx[key])
    except (TypeError, ValueError):
        return None


def _message(error: ErrorDetails, root: type[BaseModel]) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx")
    loc = error["loc"]
    got = _got(value)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)

    if kind == "missing":
        return f"required field is missing. Add `{loc[-1]}:` here"
    if kind == "extra_forbidden":
        model = model_at(root, tuple(loc[:-1]))
        allowed = sorted(model.model_fields) if model is not None else []
        guess = closest(str(loc[-1]), allowed)
        hint = f"Did you mean '{guess}'? " if guess else ""
        if guess and model is not None and model.model_fields[guess].is_required():
            hint = f"Did you mean '{guess}' (required, and missing)? "
        listing = f"Allowed keys here: {', '.join(allowed)}" if allowed else "Remove it"
        return f"unknown key; got '{loc[-1]}'. {hint}{listing}"
    if kind == "less_than_equal" and numeric:
        le = _bound(ctx, "le")
        if le is not None and le < value <= 100 * le and le in (1.0, 2.0):
            return (
                f"must be a fraction no greater than {le:g}; got {value!r}. This looks like a "
                f"percentage: write {value / 100:g} for {value:g}%"
            )
        return f"must be at most {le:g}; got {value!r}"
    if kind == "greater_than_equal" and numeric:
        ge = _bound(ctx, "ge")
        money_field = bool(loc) and (loc[-1] in MONEY_FIELDS or "series" in loc)
        if ge == 0.0 and money_field:
            return (
                f"must not be negative; got {value!r}. Enter costs, inputs and benefits as "
                "positive amounts: the line's role gives the sign"
            )
        if ge == 0.0:
            return f"must not be negative; got {value!r}"
        return f"must be at least {ge:g}; got {value!r}"
    if kind in ("greater_than", "less_than") and numeric:
        return f"{error['msg'].lower().replace('input should be', 'must be')}; got {value!r}"
    if kind == "finite_number":
        return f"must be a finite number; got {got}. Enter a number (not .nan or .inf)"
    if kind in ("float_type", "int_type", "int_from_float", "bool_type", "string_type"):
        wanted = {
            "float_type": "a number",
            "int_type": "a whole number",
            "int_from_float": "a whole number",
            "bool_type": "true or false",
            "string_type": "text",
        }[kind]
        hint = ""
        if isinstance(value, str) and kind in ("float_type", "int_type"):
            try:
                float(value.replace(",", "").replace("£", ""))
                hint = ". Remove the quotes, currency sign and thousands separators"
            except ValueError:
                pass
        elif kind == "string_type" and numeric:
            hint = '. Put the value in quotes ("1.0")'
        return f"must be {wanted}; got {got}{hint}"
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        wanted = "a list (items starting with '- ')" if kind == "list_type" else "a mapping of keys"
        return f"must be {wanted}; got {got}"
    if kind == "literal_error":
        expected = str((ctx or {}).get("expected", ""))
        options = [part.strip(" '") for part in expected.replace(" or ", ",").split(",")]
        guess = closest(str(value), [o for o in options if o])
        hint = f". Did you mean '{guess}'?" if guess else ""
        return f"must be one of {expected}; got {got}{hint}"
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "cba_scenario":
            return f'must be a version like "1.0" (in quotes); got {got}'
        return f"must be an identifier (a letter, then letters, digits, '_' or '-'); got {got}"
    if kind == "too_short" and tuple(loc) == ("options",):
        count = len(value) if isinstance(value, list) else 0
        return (
            f"a scenario needs at least 2 options, the counterfactual and at least one option "
            f"to compare with it; got {count}. Add the option(s) to appraise"
        )
    if kind == "too_short":
        wanted = (ctx or {}).get("min_length", 1)
        count = len(value) if isinstance(value, list | dict) else 0
        return f"must have at least {wanted} item(s); got {count}"
    if kind == "string_too_short":
        return f"must not be empty; got {got}"
    if kind in ("string_too_long", "too_long"):
        return f"{error['msg'].lower().replace('input should', 'must')}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "no_matching_form":
        if isinstance(value, Mapping):
            for key, choices in DISCRIMINATING_KEYS.items():
                if key in value:
                    guess = closest(str(value[key]), choices)
                    hint = f". Did you mean '{guess}'?" if guess else ""
                    return f"{error['msg']}; got {key}: {_got(value[key])}{hint}"
            return f"{error['msg']}; got a mapping without {' or '.join(DISCRIMINATING_KEYS)}:"
        return f"{error['msg']}; got {got}"
    if kind in CUSTOM_MESSAGES:
        return str(error["msg"])
    message = str(error["msg"])
    return message if "got" in message or value is None else f"{message}; got {got}"


def problems_from_validation(
    exc: ValidationError, file: str, data: Any, source_map: SourceMap, root: type[BaseModel]
) -> list[Problem]:
    """Every pydantic error as a located problem."""
    errors = exc.errors(include_url=False)
    errors = _merge_misspelt_required_keys(errors, root)
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        at = (error.get("ctx") or {}).get(AT)
        if isinstance(at, tuple | list):
            loc = (*loc, *at)
        user_loc, text = _user_location(loc, data)
        line, col = locate(user_loc, source_map)
        message = _message(error, root)
        if (text, message) in seen:
            continue
        seen.add((text, message))
        problems.append(Problem(file, line, col, text, message))
    return problems


def locate(loc: Location, source_map: SourceMap) -> tuple[int, int]:
    """Position of ``loc``, or of its nearest located ancestor (e.g. for a missing key);
    ``(0, 0)`` for the file as a whole."""
    for end in range(len(loc), 0, -1):
        position = source_map.get(loc[:end])
        if position is not None:
            return position
    return (0, 0)


def _merge_misspelt_required_keys(
    errors: list[ErrorDetails], root: type[BaseModel]
) -> list[ErrorDetails]:
    """A misspelt required key gives two errors (unknown key, required key missing); keep one:
    the unknown key, whose message then says the key it should be is required."""
    missing = {
        (tuple(e["loc"][:-1]), e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"]
    }
    merged: list[ErrorDetails] = []
    replaced: set[tuple[tuple[Any, ...], Any]] = set()
    for error in errors:
        if error["type"] == "extra_forbidden" and error["loc"]:
            parent = tuple(error["loc"][:-1])
            model = model_at(root, parent)
            guess = closest(str(error["loc"][-1]), model.model_fields) if model else None
            if guess is not None and (parent, guess) in missing:
                replaced.add((parent, guess))
        merged.append(error)
    return [
        e
        for e in merged
        if not (e["type"] == "missing" and (tuple(e["loc"][:-1]), e["loc"][-1]) in replaced)
    ]
