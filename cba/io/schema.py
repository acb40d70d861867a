"""The JSON Schema of the scenario language, generated from the pydantic models."""

from __future__ import annotations

import json

from cba.spec.scenario import LANGUAGE_VERSION, Scenario

SCHEMA_ID = "https://cba.invalid/schema/cba-scenario-{version}.schema.json"


def scenario_json_schema() -> str:
    """The schema as deterministic JSON text (for editors: yaml-language-server)."""
    schema = Scenario.model_json_schema(mode="validation")
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID.format(version=LANGUAGE_VERSION),
        **schema,
    }
    document["title"] = f"cba scenario (language {LANGUAGE_VERSION})"
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
