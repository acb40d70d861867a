"""From a budget file on disk to a validated ``Budget`` and the scenarios its schemes name, or
every problem at once, each located as ``file:line:col: path: message``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cba.io.problems import Problem, ScenarioError
from cba.io.scenario_file import load_scenario
from cba.io.yaml_loader import load_yaml
from cba.spec.base import closest
from cba.spec.budget import Budget, reference_problems
from cba.spec.scenario import Scenario


@dataclass(frozen=True)
class LoadedBudget:
    """A validated budget with the scenario of each of its schemes (same order)."""

    path: Path
    budget: Budget
    scenarios: tuple[Scenario, ...]


def _dotted(loc: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def load_budget(path: str | Path) -> LoadedBudget:
    """Read and validate a budget file and every scenario file it names.

    Raises
    ------
    ScenarioError
        With every problem found: in the budget file (unknown keys, bad amounts, references
        to undeclared schemes, a scenario file that does not exist, an option or agency its
        scenarios do not declare, a price base that differs) and in the scenario files.
    """
    from cba.io.validation_errors import locate, problems_from_validation

    file_path = Path(path)
    file = str(path)
    data, source_map = load_yaml(file_path)
    try:
        budget = Budget.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, file, data, source_map, Budget)) from None

    problems: list[Problem] = []

    def problem(loc: tuple[Any, ...], message: str) -> None:
        line, col = locate(loc, source_map)
        problems.append(Problem(file, line, col, _dotted(loc), message))

    for loc, message in reference_problems(budget):
        problem(loc, message)
    scenarios = _scheme_scenarios(budget, file_path.parent, problem, problems)
    if not problems:
        agencies = {a.id for s in scenarios if s is not None for a in s.agencies}
        for index, agency in enumerate(budget.agencies):
            if agency.id not in agencies:
                guess = closest(agency.id, agencies)
                hint = f" Did you mean '{guess}'?" if guess else ""
                problem(
                    ("agencies", index, "id"),
                    f"unknown agency; got '{agency.id}'.{hint} Agencies of the schemes' "
                    f"scenarios: {', '.join(sorted(agencies))}",
                )
        for loc, message in objective_problems(budget, scenarios):
            problem(loc, message)
    if problems:
        raise ScenarioError(problems)
    return LoadedBudget(file_path, budget, tuple(s for s in scenarios if s is not None))


def objective_problems(
    budget: Budget, scenarios: Sequence[Scenario | None]
) -> list[tuple[tuple[str | int, ...], str]]:
    """The objective's needs of the schemes, with their location in the budget file:
    distributional weights in every scenario for ``weighted_npsv``; each counted benefit line
    in some scheme's option for ``outcomes``."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    objective = budget.chosen_objective()
    where: tuple[str, ...] = (
        ("objective",) if isinstance(budget.objective, str) else ("objective", "measure")
    )
    if objective.measure == "weighted_npsv":
        lacking = [
            f"'{scheme.scenario}' (scheme {scheme.id})"
            for scheme, scenario in zip(budget.schemes, scenarios, strict=True)
            if scenario is not None and scenario.distributional_weights is None
        ]
        if lacking:
            found.append(
                (
                    where,
                    "weighted_npsv needs distributional weights in every scheme's scenario "
                    "(docs/methods.md §18); these have no distributional_weights: block: "
                    + ", ".join(lacking),
                )
            )
    lines = {
        b.id
        for scheme, scenario in zip(budget.schemes, scenarios, strict=True)
        if scenario is not None
        for b in scenario.option(scheme.option).benefits
    }
    for index, line in enumerate(objective.outcomes or []):
        if line not in lines:
            guess = closest(line, lines)
            hint = f" Did you mean '{guess}'?" if guess else ""
            found.append(
                (
                    ("objective", "outcomes", index),
                    f"no scheme's option has a benefit line '{line}'.{hint} Benefit lines of "
                    f"the schemes: {', '.join(sorted(lines))}",
                )
            )
    return found


def _scheme_scenarios(
    budget: Budget,
    folder: Path,
    problem: Any,
    problems: list[Problem],
) -> list[Scenario | None]:
    loaded: dict[Path, Scenario | None] = {}
    out: list[Scenario | None] = []
    for index, scheme in enumerate(budget.schemes):
        where = ("schemes", index)
        target = folder / scheme.scenario
        if target not in loaded:
            if not target.is_file():
                problem(
                    (*where, "scenario"),
                    f"no such scenario file '{scheme.scenario}' (looked for {target}); the "
                    "path is relative to the budget file",
                )
                loaded[target] = None
            else:
                try:
                    loaded[target] = load_scenario(target)
                except ScenarioError as exc:
                    problems.extend(exc.problems)
                    problem(
                        (*where, "scenario"),
                        f"the scenario file '{scheme.scenario}' is not valid (its "
                        f"{len(exc.problems):,} problems are listed)",
                    )
                    loaded[target] = None
        scenario = loaded[target]
        out.append(scenario)
        if scenario is None:
            continue
        options = [o.id for o in scenario.options]
        if scheme.option not in options:
            guess = closest(scheme.option, options)
            hint = f" Did you mean '{guess}'?" if guess else ""
            problem(
                (*where, "option"),
                f"unknown option; got '{scheme.option}'.{hint} Options in "
                f"{scheme.scenario}: {', '.join(options)}",
            )
            continue
        if scheme.option == scenario.counterfactual:
            problem(
                (*where, "option"),
                f"'{scheme.option}' is the scenario's counterfactual, against which the "
                "schemes are appraised; name an option to fund",
            )
        if scheme.divisible and scenario.option(scheme.option).scale is None:
            problem(
                (*where, "divisible"),
                f"option '{scheme.option}' declares no scale: block, so it cannot be funded "
                "at a chosen scale; add one (docs/scale.md) or remove divisible: true",
            )
        if scenario.price_base_year != budget.price_base_year:
            problem(
                (*where, "scenario"),
                f"'{scheme.scenario}' is priced in {scenario.price_base_year}, the budget in "
                f"{budget.price_base_year}; every scheme must share the budget's price base",
            )
    return out
