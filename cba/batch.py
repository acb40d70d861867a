"""One template appraised across many areas (``cba batch``; docs/batch.md).

Wiring only. The template scenario is compiled once (``cba.model.evaluation``); each row of
the area table sets the template's area attributes and any parameter paths it names; the
inputs written per attribute (``{per: ..., rate: ...}``) follow their attributes. Every valid
area is then evaluated in one vectorised call of the compiled model, the areas as its leading
axis. With draws, each area's uncertain inputs are drawn from streams that derive from the seed
and the area's id alone, so an area's figures do not depend on which other areas are in the
table or in what order.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba.batch_results import (
    AreaInputs,
    AreaOptionResult,
    BatchResults,
    OptionAcrossAreas,
    RowProblem,
)
from cba.engine.appraisal import Measures
from cba.io.area_table import ID_COLUMN, NAME_COLUMN, AreaTable, Cell
from cba.model.evaluation import CompiledScenario, Parameter, ParameterValueError
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY
from cba.spec.area import AreaLink
from cba.spec.scenario import Scenario
from cba.spec.uncertainty import MonteCarlo
from cba.uncertainty import drawn_inputs

FloatArray = NDArray[np.float64]

CHUNK_SETTINGS = 100_000
"""Most draws of one area evaluated in one call of the compiled model: bounds the memory of a
simulation whatever the draws (measured in benchmarks/batch.py)."""

CONVENTIONS_DETERMINISTIC = (
    "Each area is the template with its own attributes and inputs, against the template's "
    "counterfactual in the same area (which keeps the template's values unless a column sets "
    "them).",
    "An input written per attribute is its rate times the product of the attributes it names; "
    "a whole-number input is rounded to the nearest whole number (halves up).",
    "Attributes the table has no column for keep the template's value in every area.",
)
CONVENTIONS_DRAWS = (
    "Each area's draws come from streams seeded by the run's seed and the area's id (SHA-256), "
    "so an area's figures do not depend on the other rows or their order.",
    "An uncertain input that also differs by area keeps its distribution's shape relative to "
    "the template's value: each draw is the area's value times (draw / the template's value).",
)


class BatchError(ValueError):
    """An area table that cannot be used at all: every problem of its header, located."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class BatchPlan:
    """How an area table maps onto a compiled template."""

    compiled: CompiledScenario
    attribute_columns: tuple[str, ...]
    """Table columns that are attributes of the template's ``area:`` block."""
    path_columns: tuple[str, ...]
    """Table columns that are parameter paths (as ``cba run --set`` takes them)."""
    defaults: dict[str, float]
    """Every attribute's value at the template's area."""
    links: tuple[AreaLink, ...]

    @property
    def scenario(self) -> Scenario:
        return self.compiled.scenario

    @property
    def varied(self) -> tuple[str, ...]:
        """Every parameter path that differs by area: the links', then the columns'."""
        paths = [link.path for link in self.links]
        return tuple(dict.fromkeys([*paths, *self.path_columns]))


def plan_batch(
    scenario: Scenario, table: AreaTable, compiled: CompiledScenario | None = None
) -> BatchPlan:
    """Read the table's header against the template.

    Raises
    ------
    BatchError
        For a column that is neither an attribute nor an input the template can vary, a
        column setting an input the template writes per attribute, or a linked input the
        compiled model cannot vary.
    """
    compiled = compiled or CompiledScenario(scenario)
    block = scenario.area
    defaults = {} if block is None else {k: v.value for k, v in block.attributes.items()}
    links = scenario.area_links
    linked = {link.path for link in links}
    problems: list[RowProblem] = []
    attributes: list[str] = []
    paths: list[str] = []
    for column in table.columns:
        if column in (ID_COLUMN, NAME_COLUMN):
            continue
        if column in defaults:
            attributes.append(column)
        elif "." in column:
            if column in linked:
                problems.append(
                    RowProblem(
                        1,
                        None,
                        column,
                        "the template writes this input per area attribute; set the "
                        "attributes instead, or write a plain number in the template",
                    )
                )
            elif column not in compiled.parameters:
                guess = difflib.get_close_matches(column, list(compiled.parameters), n=1)
                hint = f" Did you mean '{guess[0]}'?" if guess else ""
                problems.append(
                    RowProblem(
                        1,
                        None,
                        column,
                        "not an input the template can vary area by area." + hint + " `cba "
                        "params TEMPLATE` lists them",
                    )
                )
            else:
                paths.append(column)
        else:
            known = sorted(defaults)
            guess = difflib.get_close_matches(column, known, n=1)
            hint = f" Did you mean '{guess[0]}'?" if guess else ""
            problems.append(
                RowProblem(
                    1,
                    None,
                    column,
                    "neither an attribute of the template's area: block (declared: "
                    + (", ".join(known) or "none")
                    + ") nor a parameter path."
                    + hint,
                )
            )
    for link in links:
        if link.path not in compiled.parameters:
            problems.append(
                RowProblem(
                    1,
                    None,
                    "",
                    f"the template writes {link.path} per attribute, but it is not an input an "
                    "evaluation can vary (it changes the scenario's structure)",
                )
            )
    if problems:
        raise BatchError(problems)
    return BatchPlan(compiled, tuple(attributes), tuple(paths), defaults, links)


def _number(cell: Cell) -> float | None:
    """A cell as a finite number, or None."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        try:
            value = float(cell.replace(",", "")) if cell.count(",") and "." in cell else float(cell)
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def _domain(parameter: Parameter, value: float) -> str | None:
    """Why ``value`` is outside the parameter's domain, or None."""
    low, high = parameter.low, parameter.high
    if low is not None and (value < low or (parameter.low_open and value == low)):
        return f"{value:,.10g} is below the input's range (from {low:,.10g})"
    if high is not None and (value > high or (parameter.high_open and value == high)):
        return f"{value:,.10g} is above the input's range (up to {high:,.10g})"
    return None


def _whole(parameter: Parameter, value: float) -> float:
    return math.floor(value + 0.5) if parameter.whole else value


def area_inputs(plan: BatchPlan, table: AreaTable) -> tuple[list[AreaInputs], list[RowProblem]]:
    """Each valid row's attributes and inputs, and every problem of the others, by row and
    column (empty area id, a repeated id, a missing or non-numeric value, an input out of its
    range, more cells than columns)."""
    compiled = plan.compiled
    index = {name: i for i, name in enumerate(table.columns)}
    seen: set[str] = set()
    found: list[AreaInputs] = []
    problems: list[RowProblem] = []
    for position, row in enumerate(table.rows):
        number = table.row_number(position)
        raw_id = row[index[ID_COLUMN]]
        area_id = "" if raw_id is None else str(raw_id).strip()
        own: list[RowProblem] = []

        def problem(
            column: str,
            message: str,
            own: list[RowProblem] = own,
            number: int = number,
            area_id: str = area_id,
        ) -> None:
            own.append(RowProblem(number, area_id or None, column, message))

        if len(row) > len(table.columns):
            problem("", f"more cells than the {len(table.columns)} columns of the header")
        if not area_id:
            problem(ID_COLUMN, "no area id")
        elif area_id in seen:
            problem(ID_COLUMN, f"area id '{area_id}' repeats an earlier row's")
        seen.add(area_id)
        name_cell = row[index[NAME_COLUMN]] if NAME_COLUMN in index else None
        name = area_id if name_cell is None else str(name_cell)
        attributes = dict(plan.defaults)
        for column in plan.attribute_columns:
            value = _number(row[index[column]])
            if row[index[column]] is None:
                problem(column, "no value (every area needs each attribute the table has)")
            elif value is None:
                problem(column, f"not a number: {str(row[index[column]])[:40]!r}")
            elif value < 0:
                problem(column, f"{value:,.10g} is negative; an attribute is 0 or more")
            else:
                attributes[column] = value
        values: dict[str, float | str] = {}
        if not own:
            for link in plan.links:
                parameter = compiled.parameters[link.path]
                value = _whole(parameter, link.at(attributes))
                why = _domain(parameter, value)
                if why:
                    problem(
                        ", ".join(a for a in link.per if a in plan.attribute_columns),
                        f"{link.path} = {link.rate:g} x {' x '.join(link.per)}: {why}",
                    )
                values[link.path] = value
        for column in plan.path_columns:
            parameter = compiled.parameters[column]
            cell = row[index[column]]
            if cell is None:
                problem(column, "no value")
                continue
            if parameter.choices:
                text = str(cell)
                if text not in parameter.choices:
                    problem(column, f"must be one of {', '.join(parameter.choices)}; got {text!r}")
                values[column] = text
                continue
            number_value = _number(cell)
            if number_value is None:
                problem(column, f"not a number: {str(cell)[:40]!r}")
                continue
            number_value = _whole(parameter, number_value)
            why = _domain(parameter, number_value)
            if why:
                problem(column, why)
            values[column] = number_value
        if not own:
            try:  # what only the whole scenario can check (timing that must fit the period)
                compiled.checked(values)
            except ParameterValueError as exc:
                for path, message in exc.problems:
                    problem(path if path in plan.path_columns else "", f"{path}: {message}")
        if own:
            problems.extend(own)
        else:
            found.append(AreaInputs(area_id, name, number, attributes, values))
    return found, problems


def area_title(title: str, area_id: str, name: str) -> str:
    """The title of one area's workbook (``cba batch --workbooks``): the template's, with the
    area named."""
    return f"{title}: area {area_id}" if name == area_id else f"{title}: {name} ({area_id})"


def area_seed(seed: int, area_id: str) -> int:
    """The seed of one area's streams: from the run's seed and the area's id alone."""
    digest = hashlib.sha256(f"{seed}\x1f{area_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _stacked(plan: BatchPlan, areas: Sequence[AreaInputs]) -> dict[str, Any]:
    """(A,) arrays of every varied input over the areas."""
    out: dict[str, Any] = {}
    for path in plan.varied:
        column = [a.values[path] for a in areas]
        choices = plan.compiled.parameters[path].choices
        out[path] = np.array(column, dtype=object if choices else np.float64)
    return out


def _band(bcr: float | None) -> str | None:
    if bcr is None:
        return None
    name = None
    for band in DFT_VALUE_FOR_MONEY:
        if bcr > band.lower or (band.lower_inclusive and bcr == band.lower):
            name = band.name
    return name


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else value


def evaluate_areas(plan: BatchPlan, areas: Sequence[AreaInputs]) -> list[AreaOptionResult]:
    """Every option's incremental measures in every area: one vectorised evaluation."""
    if not areas:
        return []
    scenario = plan.scenario
    evaluation = plan.compiled.evaluate(_stacked(plan, areas))
    size = len(areas)
    out: list[AreaOptionResult] = []
    compared = [o.id for o in scenario.options if o.id != scenario.counterfactual]

    def column(m: Measures, name: str) -> FloatArray:
        return np.broadcast_to(np.asarray(getattr(m, name), dtype=np.float64), (size,))

    columns = {
        option: {
            name: column(evaluation.options[option].incremental, name)
            for name in (
                "npsv",
                "npsv_excluding_community_inputs",
                "pv_benefits",
                "pv_public_costs",
                "pv_non_public_costs",
                "pv_community_inputs",
                "pv_marginal_excess_tax_burden",
                "bcr_public",
                "bcr_public_and_community",
            )
        }
        for option in compared
    }
    for i, area in enumerate(areas):
        for option in compared:
            c = columns[option]
            bcr = _optional(float(c["bcr_public"][i]))
            out.append(
                AreaOptionResult(
                    area_id=area.area_id,
                    name=area.name,
                    option_id=option,
                    npsv=float(c["npsv"][i]),
                    npsv_excluding_community_inputs=float(c["npsv_excluding_community_inputs"][i]),
                    pv_benefits=float(c["pv_benefits"][i]),
                    pv_public_costs=float(c["pv_public_costs"][i]),
                    pv_non_public_costs=float(c["pv_non_public_costs"][i]),
                    pv_community_inputs=float(c["pv_community_inputs"][i]),
                    pv_marginal_excess_tax_burden=float(c["pv_marginal_excess_tax_burden"][i]),
                    bcr_public=bcr,
                    bcr_public_and_community=_optional(float(c["bcr_public_and_community"][i])),
                    value_for_money=_band(bcr),
                )
            )
    return out


@dataclass(frozen=True)
class AreaDraws:
    """One area's NPSV over its draws, by option: summary figures."""

    area_id: str
    npsv_mean: dict[str, float]
    npsv_p5: dict[str, float]
    npsv_p95: dict[str, float]
    probability_npsv_positive: dict[str, float]


def simulate_area(plan: BatchPlan, area: AreaInputs, draws: int, seed: int) -> AreaDraws:
    """One area's Monte Carlo: its uncertain inputs drawn from its own streams, evaluated in
    one vectorised call (D settings)."""
    compiled = plan.compiled
    scenario = plan.scenario
    drawn = drawn_inputs(compiled, draws, area_seed(seed, area.area_id))
    values: dict[str, Any] = {}
    for d in drawn:
        path = d.parameter.path
        if path in area.values and not d.parameter.choices:
            central = float(d.parameter.value)
            scale = float(area.values[path]) / central if central else 0.0
            values[path] = np.asarray(d.values, dtype=np.float64) * scale
            if d.parameter.whole:
                values[path] = np.floor(values[path] + 0.5)
        else:
            values[path] = d.values
    for path, value in area.values.items():
        values.setdefault(path, value)
    compared = [o.id for o in scenario.options if o.id != scenario.counterfactual]
    out: dict[str, FloatArray] = {option: np.empty(draws) for option in compared}
    # The draws are made all at once (their correlations hold over the whole set) and
    # evaluated in slices, so memory is bounded by CHUNK_SETTINGS whatever the draws.
    for start in range(0, draws, CHUNK_SETTINGS):
        stop = min(start + CHUNK_SETTINGS, draws)
        part = {
            path: v[start:stop] if isinstance(v, np.ndarray) and v.ndim == 1 else v
            for path, v in values.items()
        }
        evaluation = compiled.evaluate(part, figures={"incremental": ["npsv"]})
        for option in compared:
            out[option][start:stop] = np.broadcast_to(
                np.asarray(evaluation.options[option].incremental.npsv, dtype=np.float64),
                (stop - start,),
            )
    return AreaDraws(
        area.area_id,
        {k: float(np.mean(v)) for k, v in out.items()},
        {k: float(np.percentile(v, 5)) for k, v in out.items()},
        {k: float(np.percentile(v, 95)) for k, v in out.items()},
        {k: float(np.mean(v > 0)) for k, v in out.items()},
    )


def simulate_areas(
    plan: BatchPlan, areas: Sequence[AreaInputs], draws: int, seed: int
) -> dict[str, AreaDraws]:
    """Each area's Monte Carlo, one area after another (a chunk of a run)."""
    return {area.area_id: simulate_area(plan, area, draws, seed) for area in areas}


def with_draws(
    results: list[AreaOptionResult], found: dict[str, AreaDraws]
) -> list[AreaOptionResult]:
    """The deterministic results with each area's draw figures added."""
    from dataclasses import replace

    out = []
    for r in results:
        d = found.get(r.area_id)
        if d is None:
            out.append(r)
            continue
        out.append(
            replace(
                r,
                npsv_mean=d.npsv_mean[r.option_id],
                npsv_p5=d.npsv_p5[r.option_id],
                npsv_p95=d.npsv_p95[r.option_id],
                probability_npsv_positive=d.probability_npsv_positive[r.option_id],
            )
        )
    return out


def _percentiles(values: FloatArray) -> tuple[float, float, float, float, float]:
    q = np.percentile(values, [0, 25, 50, 75, 100])
    return (float(q[0]), float(q[1]), float(q[2]), float(q[3]), float(q[4]))


def summarise(scenario: Scenario, results: Sequence[AreaOptionResult]) -> list[OptionAcrossAreas]:
    """Each option's totals, distribution and ranking across the areas."""
    out = []
    for option in scenario.options:
        if option.id == scenario.counterfactual:
            continue
        rows = [r for r in results if r.option_id == option.id]
        if not rows:
            continue
        ranked = sorted(rows, key=lambda r: (-r.npsv, r.area_id))
        npsv = np.array([r.npsv for r in rows])
        bcrs = np.array([r.bcr_public for r in rows if r.bcr_public is not None])
        public = float(sum(r.pv_public_costs for r in rows))
        numerator = float(sum(r.npsv + r.pv_public_costs + r.pv_community_inputs for r in rows))
        probabilities = [r.probability_npsv_positive for r in rows]
        out.append(
            OptionAcrossAreas(
                option_id=option.id,
                name=option.name,
                areas=len(rows),
                total_npsv=float(npsv.sum()),
                total_npsv_excluding_community_inputs=float(
                    sum(r.npsv_excluding_community_inputs for r in rows)
                ),
                total_pv_benefits=float(sum(r.pv_benefits for r in rows)),
                total_pv_public_costs=public,
                total_pv_community_inputs=float(sum(r.pv_community_inputs for r in rows)),
                bcr_public_of_totals=numerator / public if public > 0 else None,
                areas_paying=tuple(r.area_id for r in ranked if r.npsv > 0),
                areas_not_paying=tuple(r.area_id for r in ranked if r.npsv <= 0),
                areas_paying_excluding_community_inputs=tuple(
                    r.area_id
                    for r in sorted(
                        rows, key=lambda r: (-r.npsv_excluding_community_inputs, r.area_id)
                    )
                    if r.npsv_excluding_community_inputs > 0
                ),
                npsv_percentiles=_percentiles(npsv),
                bcr_percentiles=_percentiles(bcrs) if bcrs.size else None,
                ranking=tuple(r.area_id for r in ranked),
                mean_probability_npsv_positive=None
                if any(p is None for p in probabilities)
                else float(np.mean([p for p in probabilities if p is not None])),
            )
        )
    return out


Progress = Callable[[int, int], None]
"""Called with (areas done, areas in all) as a run goes."""


def batch(
    scenario: Scenario,
    table: AreaTable,
    *,
    draws: int = 0,
    seed: int | None = None,
    progress: Progress | None = None,
) -> BatchResults:
    """Appraise the template in every valid area of the table (in this process).

    ``draws`` > 0 runs each area's Monte Carlo (the template must declare uncertainty);
    ``seed`` defaults to the template's ``monte_carlo.seed``.

    Raises
    ------
    BatchError
        For a header the template cannot use (rows' problems are reported in the results).
    """
    plan = plan_batch(scenario, table)
    areas, problems = area_inputs(plan, table)
    results = evaluate_areas(plan, areas)
    used_seed = None
    if draws > 0:
        used_seed = seed if seed is not None else (scenario.monte_carlo or MonteCarlo()).seed
        found: dict[str, AreaDraws] = {}
        for done, area in enumerate(areas, start=1):
            found[area.area_id] = simulate_area(plan, area, draws, used_seed)
            if progress is not None:
                progress(done, len(areas))
        results = with_draws(results, found)
    elif progress is not None:
        progress(len(areas), len(areas))
    return batch_results(plan, table, areas, results, problems, draws, used_seed)


def batch_results(
    plan: BatchPlan,
    table: AreaTable,
    areas: Sequence[AreaInputs],
    results: Sequence[AreaOptionResult],
    problems: Sequence[RowProblem],
    draws: int,
    seed: int | None,
) -> BatchResults:
    """The results of a run from its parts (also how distributed runs are put together)."""
    scenario = plan.scenario
    missing = {k: v for k, v in plan.defaults.items() if k not in plan.attribute_columns}
    return BatchResults(
        template_id=scenario.id,
        template_title=scenario.title,
        price_base_year=scenario.price_base_year,
        counterfactual=scenario.counterfactual,
        options=tuple(o.id for o in scenario.options if o.id != scenario.counterfactual),
        table=table.path,
        rows=len(table.rows),
        inputs=tuple(areas),
        results=tuple(results),
        summaries=tuple(summarise(scenario, results)),
        problems=tuple(problems),
        attributes_from_template=missing,
        draws=draws,
        seed=seed,
        conventions=CONVENTIONS_DETERMINISTIC + (CONVENTIONS_DRAWS if draws > 0 else ()),
    )
