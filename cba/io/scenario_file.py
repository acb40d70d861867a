"""From a scenario file on disk to a validated ``Scenario``, or every problem at once."""

from __future__ import annotations

import warnings
from pathlib import Path

from pydantic import ValidationError

from cba.io.problems import Problem, ScenarioError
from cba.io.validation_errors import locate, problems_from_validation
from cba.io.yaml_loader import load_yaml
from cba.spec.scenario import (
    LANGUAGE_VERSION,
    Scenario,
    alternative_forms,
    duplicate_ids,
    reference_context,
)


class ScenarioLanguageWarning(UserWarning):
    """The file was written for a newer minor version of the scenario language."""


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file.

    Parameters
    ----------
    path : str or Path
        A YAML scenario file (see ``docs/scenario-language.md``).

    Returns
    -------
    Scenario
        The validated, immutable scenario.

    Raises
    ------
    ScenarioError
        With every problem found, each located as ``file:line:col: path: message``.
    """
    file_path = Path(path)
    file = str(path)
    data, source_map = load_yaml(file_path)

    problems: list[Problem] = []
    for loc, message in [*duplicate_ids(data), *alternative_forms(data)]:
        line, col = locate(loc, source_map)
        path_text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        problems.append(Problem(file, line, col, path_text, message))

    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data, context=reference_context(data))
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, file, data, source_map, Scenario))
    if problems or scenario is None:
        unique = {(p.path, p.message): p for p in problems}
        raise ScenarioError(list(unique.values()))

    major, minor = (int(x) for x in scenario.cba_scenario.split("."))
    ours = tuple(int(x) for x in LANGUAGE_VERSION.split("."))
    if (major, minor) > ours:
        line, col = source_map.get(("cba_scenario",), (1, 1))
        warnings.warn(
            f"{file}:{line}:{col}: cba_scenario: written for scenario language "
            f"{scenario.cba_scenario}; this cba reads {LANGUAGE_VERSION}. Newer features may be "
            "refused or ignored",
            ScenarioLanguageWarning,
            stacklevel=2,
        )
    return scenario
