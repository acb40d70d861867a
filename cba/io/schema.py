"""The JSON Schema of the scenario language, generated from the pydantic models."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from cba.spec.base import StrictModel
from cba.spec.scenario import LANGUAGE_VERSION, Scenario

SCHEMA_ID = "https://cba.invalid/schema/cba-scenario-{version}.schema.json"


REFERENCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "A value from a shipped reference table (cba reference list): "
        "{ref: table@vintage:entry.field}, rebased from its price year to the line's prices "
        "with the scenario's deflator and recorded in the results (docs/reference-values.md)."
    ),
    "properties": {
        "ref": {
            "type": "string",
            "pattern": (
                r"^[a-z][a-z0-9_]*@[0-9A-Za-z][0-9A-Za-z.\-]*"
                r"(:[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?)?$"
            ),
            "description": "table@vintage:entry.field, e.g. gmca_unit_costs@1.4:cr8_7_1.fiscal",
        },
        "share": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1,
            "description": "Share of the published value to use [fraction]. Default 1.",
        },
        "times": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1000000,
            "description": "Multiplier from the published unit (52: per week to per year).",
        },
        "year": {
            "type": "integer",
            "description": "The year to take from a series by year.",
        },
    },
    "required": ["ref"],
    "additionalProperties": False,
}
"""The schema of ``{ref: ...}``, allowed wherever the scenario language takes a number or a
series by year (cba.spec.references resolves it before validation)."""


PER_ATTRIBUTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "An input written per area attribute: rate x the product of the attributes named in "
        "per (declared in the area: block); an area table sets the attributes area by area "
        "(cba batch; docs/batch.md)."
    ),
    "properties": {
        "per": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "minItems": 1},
            ],
            "description": "An area attribute, or a list of them to multiply.",
        },
        "rate": {
            "type": "number",
            "description": "Input per unit of the product of the attributes. Default 1.",
        },
    },
    "required": ["per"],
    "additionalProperties": False,
}
"""The schema of ``{per: ..., rate: ...}``, allowed wherever a number goes
(cba.spec.area resolves it before validation)."""

PER_ATTRIBUTE = {"$ref": "#/$defs/PerAreaAttribute"}


def with_references(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every numeric property, and every series by year, also accepting a
    reference to a shipped table."""
    alternative = {"$ref": "#/$defs/Reference"}

    def widen(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if key == "properties" and isinstance(value, dict):
                    for name, prop in value.items():
                        value[name] = _or_reference(name, prop, alternative)
                widen(value)
        elif isinstance(node, list):
            for item in node:
                widen(item)

    widen(schema)
    for definition in schema.get("$defs", {}).values():
        # A mapping whose value is a reference may leave out its source: cba cites the table.
        properties = definition.get("properties", {})
        takes_reference = any(alternative in prop.get("anyOf", []) for prop in properties.values())
        if takes_reference and "source" in definition.get("required", []):
            definition["required"] = [k for k in definition["required"] if k != "source"]
            source = properties["source"]
            source["description"] = (
                source.get("description", "")
                + " Required, unless a value of this mapping is a reference to a shipped table "
                "(cba then cites the table)."
            ).strip()
    schema.setdefault("$defs", {})["Reference"] = REFERENCE_SCHEMA
    schema["$defs"]["PerAreaAttribute"] = PER_ATTRIBUTE_SCHEMA
    return schema


def _or_reference(name: str, prop: Any, alternative: dict[str, str]) -> Any:
    if not isinstance(prop, dict):
        return prop
    numeric = prop.get("type") == "number"
    series = prop.get("type") == "object" and (name.endswith("series") or name == "index")
    if name == "deflator" and "anyOf" in prop:  # a whole deflator table
        return {**prop, "anyOf": [*prop["anyOf"], alternative]}
    if not (numeric or series):
        options = prop.get("anyOf")
        # An optional number or series (one form of several: ``amount`` or ``amount_series``).
        if isinstance(options, list) and {"type": "null"} in options:
            given = [o for o in options if o != {"type": "null"}]
            if len(given) == 1 and _or_reference(name, given[0], alternative) is not given[0]:
                per = [PER_ATTRIBUTE] if given[0].get("type") == "number" else []
                return {**prop, "anyOf": [*given, alternative, *per, {"type": "null"}]}
        return prop
    outer = {k: prop[k] for k in ("title", "description", "default") if k in prop}
    inner = {k: v for k, v in prop.items() if k not in outer}
    return {**outer, "anyOf": [inner, alternative, *([PER_ATTRIBUTE] if numeric else [])]}


def scenario_json_schema() -> str:
    """The schema as deterministic JSON text (for editors: yaml-language-server)."""
    schema = with_field_descriptions(Scenario.model_json_schema(mode="validation"))
    schema = GenerateJsonSchema().sort(with_references(schema))
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID.format(version=LANGUAGE_VERSION),
        **schema,
    }
    document["title"] = f"cba scenario (language {LANGUAGE_VERSION})"
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


BUDGET_SCHEMA_ID = "https://cba.invalid/schema/cba-budget-{version}.schema.json"


def budget_json_schema() -> str:
    """The JSON Schema of budget files (``cba allocate``), as deterministic JSON text."""
    from cba.spec.budget import Budget

    schema = with_field_descriptions(Budget.model_json_schema(mode="validation"), Budget)
    schema = GenerateJsonSchema().sort(schema)
    version = "1.0"
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BUDGET_SCHEMA_ID.format(version=version),
        **schema,
    }
    document["title"] = f"cba budget (language {version})"
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def field_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """Each field's attribute docstring (the string literal under it) in ``model`` and its
    bases, cleaned as pydantic cleans them.

    The models document every field this way. Pydantic could read these docstrings itself
    (``use_attribute_docstrings``), but it would read the source of every model whenever cba
    starts; only the schema and the reference doc need them, so they are read here.
    """
    docs: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass is BaseModel:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        node = ast.parse(source).body[0]
        if not isinstance(node, ast.ClassDef):
            continue
        for statement, following in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[statement.target.id] = inspect.cleandoc(following.value.value)
    for name, field in model.model_fields.items():
        if field.alias and name in docs:
            docs[field.alias] = docs[name]  # the key a file uses (``from:``)
    return docs


def _models(root: type[StrictModel]) -> dict[str, type[StrictModel]]:
    found: dict[str, type[StrictModel]] = {}
    pending = [root]
    while pending:
        model = pending.pop()
        for sub in model.__subclasses__():
            if sub.__name__ not in found:
                found[sub.__name__] = sub
                pending.append(sub)
    return found


def _reachable(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model class ``root``'s fields lead to (itself included), by class name."""
    import typing

    found: dict[str, type[BaseModel]] = {}
    pending: list[Any] = [root]
    while pending:
        item = pending.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item.__name__ in found:
                continue
            found[item.__name__] = item
            pending.extend(f.annotation for f in item.model_fields.values())
        else:
            pending.extend(typing.get_args(item))
    return found


def with_field_descriptions(
    schema: dict[str, Any], root: type[StrictModel] = Scenario
) -> dict[str, Any]:
    """``schema`` (of ``root``) with every property's description taken from its field's
    docstring (where the field does not set one), keys sorted as pydantic sorts them."""
    # Each definition's class: those the root reaches through its fields first (two modules
    # may each have a class of the same name: a budget's Limit, a strategy map's Limit).
    models = {**_models(StrictModel), **_reachable(root)}

    def fill(properties: dict[str, Any], model: type[BaseModel]) -> None:
        docs = field_docstrings(model)
        for name, prop in properties.items():
            if "description" not in prop and name in docs:
                prop["description"] = docs[name]

    fill(schema.get("properties", {}), root)
    for name, definition in schema.get("$defs", {}).items():
        if name in models and "properties" in definition:
            fill(definition["properties"], models[name])
    sorted_schema: dict[str, Any] = GenerateJsonSchema().sort(schema)
    return sorted_schema
