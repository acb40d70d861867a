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


def scenario_json_schema() -> str:
    """The schema as deterministic JSON text (for editors: yaml-language-server)."""
    schema = with_field_descriptions(Scenario.model_json_schema(mode="validation"))
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID.format(version=LANGUAGE_VERSION),
        **schema,
    }
    document["title"] = f"cba scenario (language {LANGUAGE_VERSION})"
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


def with_field_descriptions(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every property's description taken from its field's docstring (where
    the field does not set one), keys sorted as pydantic sorts them."""
    models = _models(StrictModel)

    def fill(properties: dict[str, Any], model: type[BaseModel]) -> None:
        docs = field_docstrings(model)
        for name, prop in properties.items():
            if "description" not in prop and name in docs:
                prop["description"] = docs[name]

    fill(schema.get("properties", {}), Scenario)
    for name, definition in schema.get("$defs", {}).items():
        if name in models and "properties" in definition:
            fill(definition["properties"], models[name])
    sorted_schema: dict[str, Any] = GenerateJsonSchema().sort(schema)
    return sorted_schema
