"""cba: cost-benefit analysis for neighbourhood community budgets.

The public API::

    import cba
    scenario = cba.load_scenario("scenarios/balsall_heath_community_safety.yaml")
    results = cba.run(scenario)
    results.to_frame()

    # What-ifs: many settings of any inputs in one evaluation (cba params lists the paths)
    path = "options.resident_patrols.benefits.burglary_avoided.deadweight"
    cba.evaluate(scenario, {path: [0.1, 0.3, 0.5]}).frame()
    cba.with_values(scenario, {path: 0.4})  # a validated, changed scenario

The names are imported on first use (PEP 562), so ``import cba`` and the ``cba`` command
start without loading pydantic, numpy or openpyxl until a command needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# To add a public name: one entry here (name -> module defining it), the same import under
# TYPE_CHECKING below, and the name in __all__.
_EXPORTS: dict[str, str] = {
    "Evaluation": "cba.model.evaluation",
    "ParameterValueError": "cba.model.evaluation",
    "Results": "cba.results",
    "ScenarioError": "cba.io.problems",
    "compile_scenario": "cba.what_if",
    "diff": "cba.changes",
    "evaluate": "cba.what_if",
    "load_scenario": "cba.io.scenario_file",
    "run": "cba.pipeline",
    "scenario_from_dict": "cba.io.scenario_file",
    "with_values": "cba.io.scenario_file",
}

if TYPE_CHECKING:
    from cba.changes import diff
    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import load_scenario, scenario_from_dict, with_values
    from cba.model.evaluation import Evaluation, ParameterValueError
    from cba.pipeline import run
    from cba.results import Results
    from cba.what_if import compile_scenario, evaluate

__all__ = [
    "Evaluation",
    "ParameterValueError",
    "Results",
    "ScenarioError",
    "__version__",
    "compile_scenario",
    "diff",
    "evaluate",
    "load_scenario",
    "run",
    "scenario_from_dict",
    "with_values",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cba' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
