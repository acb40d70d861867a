"""The committed JSON Schema and reference doc are generated from the models and up to date;
the schema accepts every example and refuses typical mistakes, as an editor would show them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from cba.io.reference_doc import scenario_language_markdown
from cba.io.schema import scenario_json_schema
from cba.spec.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "scenarios" / "cba-scenario.schema.json"
REFERENCE_FILE = ROOT / "docs" / "scenario-language.md"
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
REGENERATE = "run `make schema` and commit the result"


def _yaml(path: Path) -> object:
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    # JSON has text keys only: the schema sees year keys as "2024", as editors do.
    return json.loads(json.dumps(data, default=str))


def test_committed_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == scenario_json_schema(), REGENERATE


def test_committed_reference_doc_is_current() -> None:
    assert REFERENCE_FILE.read_text(encoding="utf-8") == scenario_language_markdown(), REGENERATE


def test_reference_doc_lists_every_field_of_every_model() -> None:
    text = REFERENCE_FILE.read_text(encoding="utf-8")
    for name in Scenario.model_fields:
        assert f"| `{name}` |" in text
    for name in (
        "deadweight",
        "displacement",
        "attribution",
        "drop_off",
        "cashable",
        "valuation_basis",
        "hours_per_volunteer",
        "mitigation",
        "from_year_offset",
    ):
        assert f"| `{name}` |" in text


def test_every_field_has_a_description() -> None:
    schema = json.loads(scenario_json_schema())
    for model in [schema, *schema["$defs"].values()]:
        for name, prop in model.get("properties", {}).items():
            assert prop.get("description"), f"{model.get('title')}.{name} has no description"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_references_schema_and_validates(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./cba-scenario.schema.json"
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(_yaml(path), schema)


@pytest.mark.parametrize(
    "broken",
    [
        "unknown_top_level_key",
        "negative_amount",
        "percentage_for_fraction",
        "string_for_number",
        "missing_paid_by",
        "unknown_mott_macdonald_category",
        "identifier_with_spaces",
    ],
)
def test_schema_refuses_what_the_loader_refuses(broken: str) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_yaml(ROOT / "tests" / "invalid" / f"{broken}.yaml"), schema)
