"""What-ifs from Python: a scenario evaluated with some inputs set, many settings at once.

``cba.evaluate(scenario, {path: values})`` is the public entry point. Inputs the compiled model
can vary (amounts, unit values, counts, shares, hours, timings, discount rates and schedules;
``cba params`` lists every input) take numbers or arrays, which broadcast to one leading shape
and are evaluated in one pass. Inputs that change the scenario's structure (who pays what
share, the appraisal period, the price base, tables) take one value each: the scenario is then
re-validated with them (``cba.with_values``) and compiled again before the evaluation.

Every value is checked as the scenario file would check it, and a refused value gets the
file's message, naming its parameter path instead of a line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cba.io.problems import ScenarioError
from cba.io.scenario_file import load_scenario, with_values
from cba.model.evaluation import CompiledScenario, Evaluation, ParameterValueError
from cba.spec.numeric_inputs import NumericInput, numeric_inputs
from cba.spec.parameters import matching_paths
from cba.spec.scenario import Scenario


def _file_wording(scenario: Scenario) -> Any:
    """``explain({path: value})`` for ``CompiledScenario``: the message the scenario file
    would get for the values (validated with ``with_values``), or None if the file accepts
    them."""

    def explain(values: Mapping[str, float | int]) -> str | None:
        try:
            with_values(scenario, values)
        except ScenarioError as exc:
            return "; ".join(p.message for p in exc.problems)
        return None

    return explain


def compile_scenario(scenario: Scenario | str | Path) -> CompiledScenario:
    """Compile a scenario (or a scenario file) once, to be evaluated many times.

    Values outside a parameter's domain are refused with the scenario file's wording.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return CompiledScenario(scenario, explain=_file_wording(scenario))


def parameters(scenario: Scenario | str | Path) -> list[NumericInput]:
    """Every numeric input of a scenario, in file order, with its path, value, unit, domain
    and source (what ``cba params`` lists)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return numeric_inputs(scenario)


def split_values(
    compiled: CompiledScenario, values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` split into (inputs the compiled model varies, structural inputs that need
    the scenario re-validated), wildcards expanded.

    Raises
    ------
    ParameterValueError
        For a path that names no input (with a did-you-mean hint), or an array given for a
        structural input.
    """
    evaluable: dict[str, Any] = {}
    structural: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    known = list(dict.fromkeys([*compiled.parameters, *compiled.inputs]))
    for path, value in values.items():
        matched = matching_paths(path, known)
        if "*" in path and not matched:
            problems.append((path, "names no input of this scenario (cba params lists them)"))
        for one in matched:
            if one in compiled.parameters:
                evaluable[one] = value
            elif one in compiled.inputs:
                if np.ndim(value) != 0:
                    problems.append(
                        (
                            one,
                            "this input changes the structure of the scenario (its years, "
                            "shares or tables), so it takes one value per evaluation, not an "
                            "array",
                        )
                    )
                else:
                    structural[one] = value.item() if isinstance(value, np.generic) else value
            else:
                evaluable[one] = value  # refused, with a did-you-mean, by ``checked``
    if problems:
        raise ParameterValueError(problems)
    return evaluable, structural


def evaluate(
    scenario: Scenario | str | Path | CompiledScenario,
    values: Mapping[str, Any] | None = None,
    *,
    with_irr: bool = False,
) -> Evaluation:
    """Every option's measures with some inputs set, many settings in one pass.

    Parameters
    ----------
    scenario : Scenario, path of a scenario file, or CompiledScenario
        Compile once with ``compile_scenario`` when evaluating the same scenario repeatedly.
    values : mapping of parameter path to number, name or array, optional
        ``{"options.resident_patrols.benefits.burglary_avoided.amount": [3000, 4000, 5000]}``;
        ``*`` stands for any one segment (``options.*.community_inputs.*.value_per_hour``).
        Arrays broadcast to one leading shape S. Structural inputs (``cba params`` marks
        them) take one value.
    with_irr : bool
        Also solve for the IRR at every setting (one root-finding per setting).

    Returns
    -------
    Evaluation
        ``.options[id].incremental`` / ``.gross`` hold measures as arrays of shape S (money in
        GBP present value at the scenario's price base year); ``.frame()`` is a pandas view.

    Raises
    ------
    ParameterValueError
        For an unknown path or a value the scenario file could not hold; ``problems`` lists
        ``(path, message)`` for every one.
    """
    compiled = scenario if isinstance(scenario, CompiledScenario) else compile_scenario(scenario)
    evaluable, structural = split_values(compiled, values or {})
    if structural:
        try:
            changed = with_values(compiled.scenario, structural)
        except ScenarioError as exc:
            raise ParameterValueError([(p.path, p.message) for p in exc.problems]) from None
        compiled = compile_scenario(changed)
    return compiled.evaluate(evaluable, with_irr=with_irr)
