"""The scenario language: frozen pydantic v2 models, one module per concept.

The models are the single source of truth: the JSON Schema (``cba schema``) and the
reference document ``docs/scenario-language.md`` are generated from them.
"""

from cba.spec.scenario import LANGUAGE_VERSION, Scenario

__all__ = ["LANGUAGE_VERSION", "Scenario"]
