"""From a scenario file on disk to a validated ``Scenario``, or every problem at once."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cba.io.problems import Problem, ScenarioError
from cba.io.yaml_loader import SourceMap, load_yaml
from cba.spec.parameters import ParameterPathError, apply_values, id_path, matching_paths
from cba.spec.scenario import (
    LANGUAGE_VERSION,
    MAP_LINES_GENERATED,
    Scenario,
    alternative_forms,
    duplicate_ids,
    reference_context,
)

BUILD_MAP_OPTIONS: ContextVar[bool] = ContextVar("build_map_options", default=True)
"""False within :func:`map_options_left_empty`."""


@contextmanager
def map_options_left_empty() -> Iterator[None]:
    """Within this block, options built from the strategy map (``from_strategy_map``) are
    loaded without their lines, so a map whose mix is infeasible can still be loaded and
    reported (``cba map``) instead of being refused."""
    token = BUILD_MAP_OPTIONS.set(False)
    try:
        yield
    finally:
        BUILD_MAP_OPTIONS.reset(token)


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
    data, source_map = load_yaml(file_path)
    return _validated(data, str(path), source_map)


def scenario_from_bytes(raw: bytes, label: str) -> Scenario:
    """Validate a scenario file's bytes read elsewhere (a file at a git revision), ``label``
    naming it in messages (``scenario.yaml@v1.2``)."""
    from cba.io.yaml_loader import yaml_from_bytes

    data, source_map = yaml_from_bytes(raw, label)
    return _validated(data, label, source_map)


def scenario_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Validate a scenario given as plain data, exactly as a file with that content would be.

    Parameters
    ----------
    data : mapping
        The scenario as a YAML file would load: keys as in ``docs/scenario-language.md``,
        lists of mappings, numbers as numbers (calendar-year keys as ints).
    source : str
        What to call the data in messages, in place of a file name.

    Raises
    ------
    ScenarioError
        With every problem found, each as ``source: path: message``.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(
            [
                Problem(
                    source,
                    0,
                    0,
                    "",
                    f"a scenario is a mapping of keys to values; got {type(data).__name__}",
                )
            ]
        )
    return _validated(dict(data), source, {})


def with_values(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """A new scenario with some inputs changed, validated as a whole like a file.

    Parameters
    ----------
    scenario : Scenario
        The scenario to start from (it is not changed).
    values : mapping of str to value
        ``{parameter path: new value}``; a path is built from keys and ids, e.g.
        ``"options.resident_patrols.benefits.burglary_avoided.deadweight"`` (see
        ``cba.spec.parameters``); ``*`` stands for any one segment and sets every numeric
        input it matches (``options.*.community_inputs.*.value_per_hour``). A value is written
        as it would be in the file.

    Raises
    ------
    ScenarioError
        For a path that leads nowhere (with a did-you-mean hint) or a value the file could not
        hold (a share above 1, a negative amount, ...), every problem at once.
    """
    source = "<with_values>"
    if any("*" in path for path in values):
        from cba.spec.numeric_inputs import numeric_inputs

        known = [item.path for item in numeric_inputs(scenario)]
        expanded: dict[str, Any] = {}
        for path, value in values.items():
            matched = matching_paths(path, known)
            if not matched:
                message = "names no input of this scenario (cba params lists them)"
                raise ScenarioError([Problem(source, 0, 0, path, message)])
            expanded.update(dict.fromkeys(matched, value))
        values = expanded
    data = scenario.to_data()
    _detach_map_options(scenario, data, values)
    try:
        data = apply_values(data, values, defaults=scenario.model_dump(mode="python"))
    except ParameterPathError as exc:
        raise ScenarioError([Problem(source, 0, 0, exc.path, exc.message)]) from None
    changed = _validated(data, source, {}, by_id=True)
    kept = tuple(use for use in scenario.references if not _sets(values, use.path))
    return changed.with_references(kept) if kept else changed


def _follows_from(path: str, unresolved_at: set[str]) -> bool:
    """True for a validation problem at ``path`` that only repeats an unresolved reference."""
    if "deflator" in unresolved_at and path.endswith("price_year"):
        return True
    return any(path == at or path.startswith((at + ".", at + "[")) for at in unresolved_at)


def _sets(values: Mapping[str, Any], path: str) -> bool:
    """True when a what-if's ``values`` change the input at ``path`` (or part of it, or all of
    it): that input no longer holds the referenced value."""
    return any(
        changed == path or changed.startswith(path + ".") or path.startswith(changed + ".")
        for changed in values
    )


def _detach_map_options(
    scenario: Scenario, data: dict[str, Any], values: Mapping[str, Any]
) -> None:
    """Options built from the map whose lines ``values`` set become ordinary options in
    ``data``: the lines as built, without ``from_strategy_map`` (so the changed amount is not
    built again from the map)."""
    built = {o.id for o in scenario.options if o.from_strategy_map is not None}
    touched = {
        path.split(".")[1]
        for path in values
        if path.startswith("options.")
        and path.count(".") >= 3
        and path.split(".")[1] in built
        and path.split(".")[2] in ("costs", "community_inputs", "benefits")
    }
    if not touched:
        return
    full = scenario.model_dump(mode="python", exclude_unset=True)
    for index, option in enumerate(data["options"]):
        if option["id"] in touched:
            detached = full["options"][index]
            detached.pop("from_strategy_map", None)
            data["options"][index] = detached


def _per_attribute_hint(problem: Problem, linked_at: set[str]) -> Problem:
    """A field written per area attribute that is not a number says so: the mapping was
    replaced by a number before validation, which the message would otherwise show."""
    if problem.path not in linked_at:
        return problem
    return dataclasses.replace(
        problem,
        message=problem.message
        + " (written per area attribute, {per: ..., rate: ...}, which stands only where a "
        "number goes)",
    )


def _validated(data: Any, file: str, source_map: SourceMap, *, by_id: bool = False) -> Scenario:
    """Every check a file gets, on loaded data; every problem at once. ``by_id`` names fields
    by parameter path (``options.resident_patrols.costs.coordinator.amount_per_year``) rather
    than by position (``options[1].costs[0].amount_per_year``), for data that has no file."""
    problems: list[Problem] = []
    from cba.spec.area import area_link_locations, resolve_area_links
    from cba.spec.references import REFERENCE_KEYS, resolve_references

    uses, unresolved = resolve_references(data)
    linked = area_link_locations(data)
    links, unlinked = resolve_area_links(data)
    found = [
        *((p.loc, p.message) for p in unresolved),
        *((p.loc, p.message) for p in unlinked),
        *duplicate_ids(data),
        *alternative_forms(data),
    ]
    if found:
        from cba.io.validation_errors import locate  # explaining errors: imported when needed

    def path_of(loc: tuple[Any, ...]) -> str:
        if by_id:
            return id_path(data, tuple(loc))
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")

    for loc, message in found:
        line, col = locate(loc, source_map)
        problems.append(Problem(file, line, col, path_of(loc), message))
    # A reference that could not be resolved is still a mapping where a number goes: the
    # validation errors that follow from it (and, for the deflator, every price year it could
    # not rebase) say nothing more, so they are left out.
    unresolved_at = {
        path_of(p.loc[:-1] if p.loc and p.loc[-1] in REFERENCE_KEYS else p.loc) for p in unresolved
    } | {path_of(p.loc[:-1] if p.loc and p.loc[-1] in ("per", "rate") else p.loc) for p in unlinked}

    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data, context=reference_context(data))
    except ValidationError as exc:
        from cba.io.validation_errors import problems_from_validation

        names = (lambda loc: id_path(data, tuple(loc))) if by_id else None
        linked_at = {path_of(loc) for loc in linked}
        problems.extend(
            _per_attribute_hint(found, linked_at)
            for found in problems_from_validation(exc, file, data, source_map, Scenario, names)
            if not _follows_from(found.path, unresolved_at)
        )
    if problems or scenario is None:
        unique = {(p.path, p.message): p for p in problems}
        raise ScenarioError(list(unique.values()))

    if BUILD_MAP_OPTIONS.get() and any(o.from_strategy_map is not None for o in scenario.options):
        scenario = _with_map_options(scenario, file, source_map)
    if uses:
        scenario = scenario.with_references(tuple(uses))
    if links:
        scenario = scenario.with_area_links(tuple(links))

    if not by_id and scenario.declares_uncertainty:
        # A file's value must agree with its distribution; a what-if (with_values, --set) may
        # move a value away from it (the simulation still draws from the distribution).
        from cba.spec.numeric_inputs import numeric_inputs, uncertain_entries, uncertainty_problems

        inputs = numeric_inputs(scenario)
        disagreement = uncertainty_problems(
            scenario.uncertainty,
            uncertain_entries(scenario, inputs),
            inputs,
            (scenario.first_year, scenario.last_year),
            central=True,
        )
        if disagreement is not None:
            where, text = disagreement
            from cba.io.validation_errors import locate

            line, col = locate(where, source_map)
            path_text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(
                "."
            )
            raise ScenarioError([Problem(file, line, col, path_text, text)])

    major, minor = (int(x) for x in scenario.cba_scenario.split("."))
    ours = tuple(int(x) for x in LANGUAGE_VERSION.split("."))
    if (major, minor) > ours:
        line, col = source_map.get(("cba_scenario",), (1, 1))
        warnings.warn(
            f"{file}:{line}:{col}: cba_scenario: written for scenario language "
            f"{scenario.cba_scenario}; this cba reads {LANGUAGE_VERSION}. Newer features may be "
            "refused or ignored",
            ScenarioLanguageWarning,
            stacklevel=3,
        )
    return scenario


def _with_map_options(scenario: Scenario, file: str, source_map: SourceMap) -> Scenario:
    """The scenario with the lines of its options built from the strategy map filled in
    (cba.strategy_map.option_lines), validated again as a whole."""
    from cba.strategy_map import MapOptionError, option_lines

    def problem(index: int, message: str) -> ScenarioError:
        from cba.io.validation_errors import locate

        where = ("options", index, "from_strategy_map")
        line, col = locate(where, source_map)
        return ScenarioError(
            [Problem(file, line, col, f"options[{index}].from_strategy_map", message)]
        )

    try:
        lines = option_lines(scenario)
    except MapOptionError as exc:
        raise problem(exc.option_index, exc.message) from None
    data = scenario.to_data()
    for option in data["options"]:
        option.update(lines.get(option["id"], {}))
    token = MAP_LINES_GENERATED.set(True)
    try:
        return Scenario.model_validate(data, context=reference_context(data))
    except ValidationError as exc:
        from cba.io.validation_errors import problems_from_validation

        # Problems in the built lines are the map's; any other (an uncertainty or sensitivity
        # entry naming a built line wrongly) is the file's own, located in it.
        built = {
            f"options[{i}].{key}": i
            for i, option in enumerate(scenario.options)
            if option.from_strategy_map is not None
            for key in ("costs", "community_inputs", "benefits")
        }
        problems: list[Problem] = []
        for found in problems_from_validation(exc, file, data, source_map, Scenario):
            owner = next((i for prefix, i in built.items() if found.path.startswith(prefix)), None)
            if owner is None:
                problems.append(found)
            else:
                problems.extend(
                    problem(
                        owner,
                        "the lines built from the strategy map are not valid: "
                        + found.path.removeprefix(f"options[{owner}].")
                        + ": "
                        + found.message,
                    ).problems
                )
        raise ScenarioError(list({(p.path, p.message): p for p in problems}.values())) from None
    finally:
        MAP_LINES_GENERATED.reset(token)
