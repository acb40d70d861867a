"""The JSON Schema of budget files (`cba schema --budget`): committed and current, every field
described, the example budget refers to it and validates against it, and it refuses what the
loader refuses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from cba.cli import main
from cba.io.schema import budget_json_schema

ROOT = Path(__file__).resolve().parents[2]
BUDGETS = ROOT / "scenarios" / "budgets"
SCHEMA_FILE = BUDGETS / "cba-budget.schema.json"
EXAMPLE = BUDGETS / "ladywood_neighbourhood_budget.yaml"


def _yaml(path: Path) -> dict[str, object]:
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    # JSON has text keys only: the schema sees year keys as "2024", as editors do.
    loaded: dict[str, object] = json.loads(json.dumps(data, default=str))
    return loaded


def test_committed_budget_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == budget_json_schema(), (
        "regenerate: make schema"
    )


def test_every_budget_field_has_a_description() -> None:
    schema = json.loads(budget_json_schema())
    for model in [schema, *schema["$defs"].values()]:
        for name, prop in model.get("properties", {}).items():
            assert prop.get("description"), f"{model.get('title')}.{name} has no description"


def test_the_example_refers_to_the_schema_and_validates() -> None:
    first = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./cba-budget.schema.json"
    jsonschema.validate(_yaml(EXAMPLE), json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("key", "value"),
    [("envelope", {"total": -5}), ("colour", "blue"), ("cba_budget", "2.0")],
)
def test_the_schema_refuses_what_the_loader_refuses(key: str, value: object) -> None:
    data = _yaml(EXAMPLE)
    data[key] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json.loads(budget_json_schema()))


def test_cba_schema_budget_writes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.json"
    assert main(["schema", "--budget", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == budget_json_schema()
    assert main(["schema", "--budget", "--format", "markdown"]) == 2
    assert "JSON Schema only" in capsys.readouterr().err
