"""Turn pydantic validation errors into located, actionable problems.

Shape: ``file:line:col: dotted.path: what is wrong; got X. how to fix`` (house style, after
OpenFisca's error-message guidelines). Unknown keys get a "did you mean" (a key known to be
confused with another, such as ``end_year`` on a benefit line, first; then by spelling) and the
allowed keys; a fraction that looks like a percentage (20 or '20%') gets a hint; a mapping
that fits none of a tagged union's forms is described by the keys it has and the one it lacks.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cba.io.problems import Problem, visible
from cba.io.yaml_loader import Location, SourceMap, quoted_scalar
from cba.spec.base import AT, TAG_PREFIX, Plausible, closest
from cba.spec.optimism import ProjectCategoryName
from cba.spec.strategy_map import MAP_PROBLEMS

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
            if isinstance(key, str):
                text += f".{key}" if text else key
            else:
                text += f"[{key_text(key)}]"
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
        "series_says_when",
        "amount_series_missing_years",
        "first_band",
        "band_order",
        "empty_sweep",
        "n0_outside_sweep",
        "table_order",
        "scaling_without_scale",
        "table_at_n0",
        "unknown_outcome_line",
        "text_character",
        "pairwise_below_two",
        "sweep_too_large",
        "sensitivity_parameter",
        "range_order",
        "half_a_range",
        "two_ranges",
        "distribution_order",
        "beta_mean",
        "beta_spread",
        "weights_length",
        "weights_zero",
        "uncertainty_parameter",
        "correlation_pair",
    }
)
"""Error types raised by cba's own validators: their messages already say what was given."""

MONEY_FIELDS = frozenset({"amount", "amount_per_year", "value_per_year", "value_per_hour"})
"""Fields whose negative values get the "enter positive amounts" hint."""

_END = (
    "end_year",
    "cost lines and community inputs run from `start_year` to `end_year`, inclusive",
)
_DURATION = ("duration_years", "benefit lines last `duration_years` from `start_year`")
_PERIOD = (
    "appraisal_period_years",
    "the appraisal lasts `appraisal_period_years` from `first_year`",
)
_PAID_BY = ("paid_by", "a cost line names who pays with `paid_by`")
_CONTRIBUTED_BY = ("contributed_by", "a community input names who gives it with `contributed_by`")
_AGENCY = ("agency", "a fiscal value names the agency whose budget gains with `agency`")
_BENEFICIARY = ("beneficiary", "an economic or social value names who gains with `beneficiary`")
_AMOUNT_PER_YEAR = ("amount_per_year", "a cost line gives `amount_per_year` (or a `series`)")
_VALUE_PER_YEAR = ("value_per_year", "an in-kind input gives `value_per_year`")
_VALUE_PER_HOUR = ("value_per_hour", "time is valued as hours a year x `value_per_hour`")
_UNIT_VALUES = (
    "unit_values",
    "a benefit line's value per outcome goes in `unit_values` (value_type and amount)",
)
_HOURS = (
    "hours_per_year",
    "time is given as `hours_per_year`, or `volunteers` and `hours_per_volunteer`",
)
_VALUE_TYPE = (
    "value_type",
    "a unit value says what it is with `value_type: fiscal`, `economic` or `social`",
)
_KIND = ("kind", "a community input says what it is with `kind: time` or `kind: in_kind`")
_LAW = ("law", "a scaling law is chosen with `law:`")
_GRADE = (
    "confidence_grade",
    "optimism bias from an evidence grade is written `{confidence_grade: 3}`",
)
_OPTIMISM = (
    "optimism_bias",
    "a confidence grade is given as `optimism_bias: {confidence_grade: 3}`",
)

KNOWN_CONFUSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "end_year": (_DURATION, _PERIOD),
    "last_year": (_END, _DURATION, _PERIOD),
    "final_year": (_END, _DURATION, _PERIOD),
    "duration_years": (_END, _PERIOD),
    "duration": (_END, _DURATION, _PERIOD),
    "years": (_DURATION, _PERIOD),
    "start_year": (("first_year", "the appraisal starts at `first_year` (year offset 0)"),),
    "first_year": (("start_year", "a line starts at `start_year`"),),
    "amount": (_AMOUNT_PER_YEAR, _VALUE_PER_YEAR, _VALUE_PER_HOUR, _UNIT_VALUES),
    "amount_per_year": (_VALUE_PER_YEAR, _VALUE_PER_HOUR, _UNIT_VALUES),
    "value_per_year": (_AMOUNT_PER_YEAR, _VALUE_PER_HOUR, _UNIT_VALUES),
    "value": (_AMOUNT_PER_YEAR, _VALUE_PER_YEAR, _VALUE_PER_HOUR, _UNIT_VALUES),
    "cost": (_AMOUNT_PER_YEAR,),
    "hours": (_HOURS,),
    "hourly_rate": (_VALUE_PER_HOUR,),
    "hourly_value": (_VALUE_PER_HOUR,),
    "agency": (_PAID_BY, _CONTRIBUTED_BY, _BENEFICIARY),
    "paid_by": (_CONTRIBUTED_BY, _AGENCY, _BENEFICIARY),
    "contributed_by": (_PAID_BY, _AGENCY, _BENEFICIARY),
    "beneficiary": (_AGENCY, _PAID_BY, _CONTRIBUTED_BY),
    "type": (_VALUE_TYPE, _KIND, _LAW, ("category", "a cost line has a `category`")),
    "kind": (_VALUE_TYPE, _LAW, ("category", "a cost line has a `category`")),
    "value_type": (_KIND,),
    "form": (_LAW,),
    "grade": (_GRADE, _OPTIMISM),
    "confidence_grade": (_OPTIMISM,),
    "rate": (("constant_rate", "one discount rate for every year is `{constant_rate: 0.035}`"),),
    "discount_rate": (
        (
            "discounting",
            "a constant rate is written `discounting: {schedule: {constant_rate: 0.035}}`",
        ),
    ),
    "title": (("name", "options, agencies and lines have a `name`"),),
    "name": (("title", "a scenario has a `title`"),),
}
"""Keys that are right on a sibling model but wrong here -> the key meant here and why, most
likely first; the first that the model has is suggested (before any similarity guess)."""


MOTT_MACDONALD_CATEGORIES: tuple[str, ...] = typing.get_args(ProjectCategoryName)

FORMS_ELSEWHERE: dict[str, str] = {
    "category": "A Mott MacDonald category ({category: ..., mitigation: ...}) is an uplift on "
    "costs: it is accepted on cost lines only",
    "mitigation": "Mott MacDonald mitigation is an uplift on costs: it is accepted on cost "
    "lines only",
    "upper_bound": "An upper bound with mitigation ({upper_bound: ..., mitigation: ...}) is an "
    "uplift on costs: it is accepted on cost lines only",
}
"""Keys of a form accepted in another place, and what to say when they are given here."""


def suggest_key(key: str, allowed: Iterable[str]) -> tuple[str, str] | None:
    """The key most likely meant by the unknown ``key`` among ``allowed``, and why ('' when
    the guess is by spelling), or None."""
    allowed = list(allowed)
    for right, why in KNOWN_CONFUSIONS.get(key, ()):
        if right in allowed:
            return right, why[0].upper() + why[1:]
    guess = closest(key, allowed)
    if guess is not None:
        return guess, ""
    contains = [
        name for name in allowed if min(len(key), len(name)) >= 4 and (key in name or name in key)
    ]
    return (contains[0], "") if len(contains) == 1 else None


def _got(value: Any) -> str:
    """The value as the user wrote it in YAML (text quoted, with any character that does not
    print written as its escape)."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null (an empty value)"
    if isinstance(value, str | int | float):
        text = repr(value)
    else:  # given from Python (scenario_from_dict), not from a file
        return f"a Python {type(value).__name__} value"
    return text if len(text) <= 60 else text[:57] + "..."


def key_text(key: Any) -> str:
    """A mapping key as YAML writes it: text as is (escaped if it does not print), null,
    true/false, numbers."""
    if isinstance(key, str):
        return visible(key)
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return repr(key)
    return f"a Python {type(key).__name__} value"


def _key_hint(key: Any) -> str:
    if key is None or key == "":
        return ". An empty key: is the name missing before the ':'?"
    if isinstance(key, int) and not isinstance(key, bool):
        return ". A year is a key only inside `series:` and a deflator's `index:`"
    return ". Quote it if it is a name"


def plausibility(root: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """Why the number at ``loc`` has its bounds (see ``cba.spec.base.Plausible``), or ''."""
    for item in _metadata_at(root, loc):
        if isinstance(item, Plausible):
            return item.why
    return ""


def _bound(ctx: dict[str, Any] | None, key: str) -> float | None:
    if ctx is None or key not in ctx:
        return None
    try:
        return float(ctx[key])
    except (TypeError, ValueError):
        return None


_PERCENTAGE = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*%\s*$")
"""Text such as '20%', '20 %' or '3.5%'."""


def _percentage(text: str) -> float:
    """The number in a percentage written as text ('3.5%' -> 3.5)."""
    return float(text.strip().rstrip("%").strip())


YAML11_BOOLEANS: dict[str, bool] = {
    "yes": True,
    "y": True,
    "on": True,
    "no": False,
    "n": False,
    "off": False,
}
"""Words YAML 1.1 read as booleans; YAML 1.2 (used here) reads them as text."""

_NUMBER_WITH_WORDS = re.compile(r"^\s*[£$]?\s*[\d,]*\.?\d+\s*([A-Za-z].*)$")
_FINANCIAL_YEAR = re.compile(r"^\s*(\d{4})\s*[/-]\s*\d{2}(\d{2})?\s*$")


def _number_text_hint(text: str) -> str:
    """How to write the number meant by ``text`` ('£3,000', '2000 hours', '2024/25')."""
    year = _FINANCIAL_YEAR.match(text)
    if year is not None:
        return f". Write financial year {text.strip()} as {year[1]} (its first calendar year)"
    try:
        float(text.replace(",", "").replace("£", ""))
        return ". Remove the quotes, currency sign and thousands separators"
    except ValueError:
        pass
    words = _NUMBER_WITH_WORDS.match(text)
    if words is None:
        return ""
    suffix = words[1].strip()
    scale = {"k": 1e3, "m": 1e6, "bn": 1e9}.get(suffix.lower())
    number = text[: words.start(1)].replace(",", "").replace("£", "").replace("$", "").strip()
    if scale is not None:
        return f". Write the number in full: {float(number) * scale:.15g} for {text.strip()}"
    return f". Write the number alone: {number}, without '{suffix}'"


def _percentage_hint(value: Any) -> str:
    """'. This looks like a percentage: write 0.2 for 20%' for text like '20%', else ''."""
    if not isinstance(value, str) or _PERCENTAGE.match(value) is None:
        return ""
    number = _percentage(value)
    return (
        f". This looks like a percentage: write {number / 100:g} for {number:g}% "
        "(a number, without quotes or '%')"
    )


def _metadata_bound(metadata: Iterable[Any], name: str) -> float | None:
    """The ``le``/``ge``... bound among annotated metadata (FieldInfo included), or None."""
    for item in metadata:
        nested = getattr(item, "metadata", None)
        if isinstance(nested, list):
            found = _metadata_bound(nested, name)
            if found is not None:
                return found
        bound = getattr(item, name, None)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            return float(bound)
    return None


def _metadata_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> list[Any]:
    """The annotated metadata (``Field`` constraints, ``Plausible``...) of the value expected at
    ``loc``; empty if it cannot be found."""
    tp: Any = root
    metadata: list[Any] = []
    for index, part in enumerate(loc):
        if part == _KEY_MARK:
            return []
        model = _strip_annotated(tp)
        if index == len(loc) - 1 and isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(part))
            if field is None:
                return []
            metadata.extend(field.metadata)
            tp = field.annotation
            break
        tp = _step(tp, part)
        if tp is None:
            return []
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp, *more = typing.get_args(tp)
            metadata.extend(more)
            continue
        concrete = [m for m in _union_members(tp) if _strip_annotated(m) is not type(None)]
        if len(concrete) == 1:
            tp = concrete[0]
            continue
        return metadata


def upper_bound(root: type[BaseModel], loc: tuple[str | int, ...]) -> float | None:
    """The ``le`` bound of the number expected at ``loc``, if it has one."""
    return _metadata_bound(_metadata_at(root, loc), "le")


def _union_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> list[Any]:
    """The members of the tagged union expected at ``loc`` (empty if it cannot be found)."""
    tp: Any = root
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    members = _union_members(_strip_annotated(tp))
    concrete = [m for m in members if _strip_annotated(m) is not type(None)]
    if len(concrete) == 1:  # an optional union (``ScalingLaw | None``)
        return _union_members(_strip_annotated(concrete[0]))
    return concrete


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    annotation = _strip_annotated(annotation)
    return typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else ()


def _tag_field(models: list[type[BaseModel]]) -> str | None:
    """The key whose value chooses between ``models`` (``kind``, ``value_type``, ``law``)."""
    if len(models) < 2:
        return None
    for name, field in models[0].model_fields.items():
        if (
            all(
                name in m.model_fields
                and m.model_fields[name].is_required()
                and _literal_values(m.model_fields[name].annotation)
                for m in models
            )
            and field.is_required()
        ):
            return name
    return None


def _keys_phrase(keys: list[str]) -> str:
    keys = [visible(k) for k in keys]
    shown = ", ".join(f"'{k}'" for k in keys[:8]) + (", ..." if len(keys) > 8 else "")
    return f"a mapping with key{'s' if len(keys) != 1 else ''} {shown}"


def _add_key(model: type[BaseModel], name: str) -> str:
    """'Add `name:`', with its choices when it takes one of a few words."""
    choices = [str(v) for v in _literal_values(model.model_fields[name].annotation)]
    if len(choices) == 1:
        return f"Add `{name}: {choices[0]}`"
    listed = f" (one of {', '.join(choices)})" if choices else ""
    return f"Add `{name}:`{listed}"


def _no_form(value: Any, members: list[Any]) -> str:
    """What was given where a tagged union (several accepted forms) is expected, and the fix.

    The forms themselves are already listed by the discriminator's message."""
    models = _models(members)
    if isinstance(value, Mapping):
        return _no_mapping_form(value, models)
    got = _got(value)
    hint = _percentage_hint(value)
    if hint:
        return f"got {got}{hint}"
    if isinstance(value, str):
        for model in models:
            for name, field in model.model_fields.items():
                if (
                    value in _literal_values(field.annotation)
                    and len(_literal_values(field.annotation)) > 1
                ):
                    return f"got {got}. Write it as a mapping: {{{name}: {value}}}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        mapping = _number_as_mapping(models, value)
        if mapping:
            return f"got {got}. Write it as a mapping: {mapping}"
    return f"got {got}"


def _models(members: list[Any]) -> list[type[BaseModel]]:
    stripped = (_strip_annotated(member) for member in members)
    return [m for m in stripped if isinstance(m, type) and issubclass(m, BaseModel)]


def _number_as_mapping(models: list[type[BaseModel]], number: float) -> str:
    """``{constant_rate: 0.035}`` when one of ``models`` is a mapping of one number, else ''."""
    for model in models:
        required = [n for n, f in model.model_fields.items() if f.is_required()]
        if len(required) == 1 and model.model_fields[required[0]].annotation in (float, int):
            if model.model_fields[required[0]].annotation is int and number != int(number):
                continue
            return f"{{{required[0]}: {number!r}}}"
    return ""


def _no_mapping_form(value: Mapping[Any, Any], models: list[type[BaseModel]]) -> str:
    keys = [key_text(k) for k in value]
    if not keys:
        return "got an empty mapping"
    got = f"got {_keys_phrase(keys)}"
    fields = {name for model in models for name in model.model_fields}
    tag_key = _tag_field(models)
    if tag_key is not None and tag_key in value:
        choices = [
            str(v) for m in models for v in _literal_values(m.model_fields[tag_key].annotation)
        ]
        guess = closest(str(value[tag_key]), choices)
        hint = f". Did you mean '{guess}'?" if guess else ""
        return f"got {tag_key}: {_got(value[tag_key])}{hint}"
    for key in keys:
        if key not in fields:
            suggestion = suggest_key(key, fields)
            if suggestion is not None:
                guess, why = suggestion
                return f"{got}. Did you mean '{guess}'?" + (f" {why}" if why else "")
    if tag_key is not None:
        fitting = [m for m in models if set(keys) <= set(m.model_fields)]
        if len(fitting) == 1:
            return f"{got} but no '{tag_key}'. {_add_key(fitting[0], tag_key)}"
        choices = [
            str(v) for m in models for v in _literal_values(m.model_fields[tag_key].annotation)
        ]
        return f"{got} but no '{tag_key}'. Add `{tag_key}:` (one of {', '.join(choices)})"
    unknown = [k for k in keys if k not in fields]
    if unknown:
        which = "it is" if len(keys) == 1 else f"'{unknown[0]}' is"
        note = next((FORMS_ELSEWHERE[k] for k in unknown if k in FORMS_ELSEWHERE), "")
        return f"{got}; {which} not a key of any of these forms" + (f". {note}" if note else "")
    for model in models:
        if set(keys) & set(model.model_fields):
            missing = [
                n for n, f in model.model_fields.items() if f.is_required() and n not in value
            ]
            if missing:
                return f"{got} but no '{missing[0]}'. {_add_key(model, missing[0])}"
    return got


def _message(error: ErrorDetails, root: type[BaseModel]) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx")
    loc = error["loc"]
    got = _got(value)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)

    if kind == "missing":
        return f"required field is missing. Add `{loc[-1]}:` here"
    if kind == "invalid_key":
        return f"a key must be a name (text); got {key_text(value)}{_key_hint(value)}"
    if _KEY_MARK in loc and kind in ("string_type", "int_type", "int_from_float", "float_type"):
        wanted = "text (a name)" if kind == "string_type" else "a whole number (a year)"
        return f"this key must be {wanted}; got {key_text(value)}"
    if kind == "string_unicode":
        return (
            "contains a lone surrogate (half of a UTF-16 pair, such as the escape \\ud800); "
            "text may not contain one. Remove it, or write the whole character"
        )
    if kind == "extra_forbidden":
        model = model_at(root, tuple(loc[:-1]))
        allowed = sorted(model.model_fields) if model is not None else []
        suggestion = suggest_key(str(loc[-1]), allowed)
        hint = ""
        if suggestion is not None and model is not None:
            right, why = suggestion
            required = " (required, and missing)" if model.model_fields[right].is_required() else ""
            hint = f"Did you mean '{right}'{required}? " + (f"{why}. " if why else "")
        listing = f"Allowed keys here: {', '.join(allowed)}" if allowed else "Remove it"
        return f"unknown key; got '{key_text(loc[-1])}'. {hint}{listing}"
    if kind == "less_than_equal" and numeric:
        le = _bound(ctx, "le")
        alternative = ""
        if loc and str(loc[-1]).startswith(TAG_PREFIX):
            mapping = _number_as_mapping(_models(_union_at(root, tuple(loc[:-1]))), value)
            field = mapping.strip("{").split(":")[0].replace("_", " ")
            alternative = f". If {value!r} is a {field}, write {mapping}" if mapping else ""
        if le is not None and le < value <= 100 * le and le in (1.0, 2.0):
            return (
                f"must be a fraction no greater than {le:g}; got {value!r}. This looks like a "
                f"percentage: write {value / 100:g} for {value:g}%{alternative}"
            )
        why = plausibility(root, tuple(loc))
        return f"must be at most {le:g}; got {value!r}{alternative}" + (f": {why}" if why else "")
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
        why = plausibility(root, tuple(loc))
        return f"must be at least {ge:g}; got {value!r}" + (f": {why}" if why else "")
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
        if isinstance(value, str) and kind == "float_type" and _percentage_hint(value):
            bound = upper_bound(root, tuple(loc))
            if bound is not None and bound <= 2.0:
                hint = _percentage_hint(value)
            else:
                hint = ". Write the number without '%'"
        elif isinstance(value, str) and kind in ("float_type", "int_type"):
            hint = _number_text_hint(value)
        elif kind == "bool_type" and isinstance(value, str) and value.lower() in YAML11_BOOLEANS:
            meant = "true" if YAML11_BOOLEANS[value.lower()] else "false"
            hint = f". YAML 1.2 reads {value} as text: write {meant}"
        elif kind == "string_type" and numeric:
            hint = '. Put the value in quotes ("1.0")'
        elif kind == "string_type" and isinstance(value, Mapping) and len(value) == 1:
            (key, inner), *_ = value.items()
            if not isinstance(inner, Mapping | list):
                text = f"{key}: {'' if inner is None else inner}".rstrip()
                got = f"a mapping ({text})"
                hint = (
                    f". The text contains ': ', so YAML reads it as a key and a value. Put the "
                    f"whole text in quotes: {quoted_scalar(text)}"
                )
        return f"must be {wanted}; got {got}{hint}"
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        wanted = "a list (items starting with '- ')" if kind == "list_type" else "a mapping of keys"
        hint = ""
        parent = model_at(root, tuple(loc[:-1])) if loc else None
        sibling = f"{loc[-1]}_per_year" if loc else ""
        if numeric and parent is not None and sibling in parent.model_fields:
            hint = f". For a number each year, write `{sibling}: {value!r}` instead"
        return f"must be {wanted}; got {got}{hint}"
    if kind == "literal_error":
        expected = str((ctx or {}).get("expected", ""))
        options = [part.strip(" '") for part in expected.replace(" or ", ",").split(",")]
        guess = closest(str(value), [o for o in options if o])
        hint = f". Did you mean '{guess}'?" if guess else ""
        if not guess and value in MOTT_MACDONALD_CATEGORIES:
            hint = (
                f". '{value}' is a Mott MacDonald project category: for an optimism-bias "
                f"uplift write `optimism_bias: {{category: {value}}}`"
            )
        elif not guess and _percentage_hint(value):
            hint = _percentage_hint(value)
            if loc and str(loc[-1]).startswith(TAG_PREFIX):
                number = _percentage(str(value)) / 100
                models = _models(_union_at(root, tuple(loc[:-1])))
                mapping = _number_as_mapping(models, number)
                hint = (
                    f". This looks like a percentage: write {mapping} for {value}"
                    if mapping
                    else hint
                )
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
        return f"{error['msg']}; {_no_form(value, _union_at(root, tuple(loc)))}"
    if kind in CUSTOM_MESSAGES or kind in MAP_PROBLEMS:
        return str(error["msg"])
    message = str(error["msg"])
    return message if "got" in message or value is None else f"{message}; got {got}"


def problems_from_validation(
    exc: ValidationError,
    file: str,
    data: Any,
    source_map: SourceMap,
    root: type[BaseModel],
    path_names: Callable[[Location], str] | None = None,
) -> list[Problem]:
    """Every pydantic error as a located problem; ``path_names`` (if given) names each field
    (e.g. by parameter path) in place of ``options[1].costs[0].amount``."""
    errors = exc.errors(include_url=False)
    errors = _merge_misspelt_required_keys(errors, root)
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        at = (error.get("ctx") or {}).get(AT)
        if isinstance(at, tuple | list):
            loc = (*loc, *at)
        elif error["type"] == "invalid_key" and loc:
            loc = (*loc[:-1], error.get("input"))  # pydantic writes the key as text
        elif _KEY_MARK in loc:
            mark = loc.index(_KEY_MARK)
            if mark > 0:
                loc = (*loc[: mark - 1], error.get("input"), *loc[mark:])
        user_loc, text = _user_location(loc, data)
        message = _message(error, root)
        if error["type"] == "string_unicode" and _is_key(data, user_loc, error.get("input")):
            user_loc, text = _user_location((*user_loc, error.get("input", "")), data)
            message = "this key " + message
        line, col = locate(user_loc, source_map)
        if path_names is not None:
            text = path_names(user_loc)
        if (text, message) in seen:
            continue
        seen.add((text, message))
        problems.append(Problem(file, line, col, text, message))
    return problems


def _is_key(data: Any, loc: Location, value: Any) -> bool:
    """Whether ``value`` is a key of the mapping at ``loc`` in ``data``."""
    node = data
    for part in loc:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    return isinstance(node, Mapping) and isinstance(value, str) and value in node


def locate(loc: Location, source_map: SourceMap) -> tuple[int, int]:
    """Position of ``loc``, or of its nearest located ancestor (e.g. for a missing key), the
    top-level mapping included; ``(0, 0)`` when the data has no source map."""
    for end in range(len(loc), -1, -1):
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
            suggestion = suggest_key(str(error["loc"][-1]), model.model_fields) if model else None
            guess = suggestion[0] if suggestion is not None else None
            if guess is not None and (parent, guess) in missing:
                replaced.add((parent, guess))
        merged.append(error)
    return [
        e
        for e in merged
        if not (e["type"] == "missing" and (tuple(e["loc"][:-1]), e["loc"][-1]) in replaced)
    ]
