"""One compiled scenario, evaluated many times: every analysis sets parameter values and
evaluates through the same engine functions as ``cba run``.

``CompiledScenario(scenario).evaluate({path: values})`` takes each value as a number or an
array; the arrays broadcast to one leading shape (k settings -> one evaluation with a leading
axis of length k, never a Python loop over settings). With no values it reproduces ``cba
run``'s figures exactly (it is what ``cba run`` computes them with).

Values are checked against each input's valid domain before anything is computed; a value the
scenario file could not hold is refused with the message the file would get, naming the
parameter path.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from cba.engine import appraisal
from cba.engine.discounting import discount_factors, rates_by_year
from cba.model.compile import (
    LineArrays,
    OptionModel,
    Schedules,
    compile_schedules,
    select_lines,
)
from cba.model.separable import SeparablePlan, SeparableTotals, separable_plan
from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY
from cba.spec.discounting import ConstantRate, CustomBands, Schedule
from cba.spec.numeric_inputs import NumericInput, numeric_inputs
from cba.spec.parameters import key_of, matching_paths
from cba.spec.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]

NONLINEAR_KEYS = frozenset(
    {
        "drop_off",
        "duration_years",
        "start_year",
        "end_year",
        "constant_rate",
        "rate",
        "schedule",
        "uplift",
    }
)
"""Inputs the NPSV is not evaluated as an affine function of (every other evaluable input
enters one product of a line's flows, so the NPSV moves in a straight line with it). The
marginal excess tax burden's ``uplift`` is affine, but no line reads it: it scales an
option's net public cost, so an evaluation setting it computes every line anew."""

KINDS: dict[str, str] = {
    "amount_per_year": "cost amount",
    "series": "cost amount",
    "value_per_year": "in-kind value",
    "amount": "unit value",
    "amount_series": "unit value",
    "outcomes_series": "outcome count",
    "outcomes_per_year": "outcome count",
    "cohort": "outcome count",
    "engagement_rate": "outcome rate",
    "success_rate": "outcome rate",
    "deadweight": "additionality share",
    "displacement": "additionality share",
    "leakage": "additionality share",
    "substitution": "additionality share",
    "attribution": "additionality share",
    "multiplier": "multiplier",
    "hours_per_year": "hours",
    "volunteers": "hours",
    "hours_per_volunteer": "hours",
    "value_per_hour": "value of time",
    "optimism_bias": "optimism bias",
    "mitigation": "optimism bias",
    "upper_bound": "optimism bias",
    "corrections": "optimism bias",
    "drop_off": "drop-off",
    "duration_years": "timing",
    "start_year": "timing",
    "end_year": "timing",
    "constant_rate": "discounting",
    "rate": "discounting",
    "schedule": "discounting",
    "health_schedule": "discounting",
    "uplift": "tax burden",
}
"""What kind of input each key is (used to pick the default sensitivity set)."""

SWITCHING_KINDS = frozenset(
    {"cost amount", "unit value", "outcome count", "additionality share", "hours"}
)
"""Kinds of input that get a switching value by default (every one of an option's)."""


@dataclass(frozen=True)
class Parameter:
    """An input an evaluation can vary, with its valid domain."""

    path: str
    value: float | str
    """Current value (the scenario's)."""
    unit: str
    low: float | None
    high: float | None
    low_open: bool
    high_open: bool
    whole: bool
    choices: tuple[str, ...]
    source: str
    kind: str
    """cost amount, unit value, outcome count, additionality share, hours, ... (``KINDS``)."""
    option_id: str | None
    """The option the input belongs to; None for scenario-wide inputs (discounting, the
    confidence-grade table)."""
    linear: bool
    """True when every NPSV and the BCR's numerator and denominator are affine in it."""
    given: bool


@dataclass(frozen=True)
class OptionEvaluation:
    """One option evaluated at every setting (arrays with the evaluation's leading shape)."""

    option_id: str
    gross: appraisal.Measures
    incremental: appraisal.Measures
    """Against the counterfactual (the option's totals minus the counterfactual's)."""
    found_totals: Callable[[], appraisal.YearlyTotals] = field(repr=False, compare=False)
    """Gives ``totals`` (a separable evaluation builds its year fields only if asked)."""

    @cached_property
    def totals(self) -> appraisal.YearlyTotals:
        """The option's yearly totals at every setting."""
        return self.found_totals()


HEADLINE: tuple[str, ...] = (
    "npsv",
    "npsv_excluding_community_inputs",
    "pv_benefits",
    "pv_public_costs",
    "pv_non_public_costs",
    "pv_marginal_excess_tax_burden",
    "pv_community_inputs",
    "bcr_public",
    "bcr_public_and_community",
)
"""Measures in ``Evaluation.frame``."""


@dataclass(frozen=True)
class Evaluation:
    """Measures of every option at every setting; arrays have shape ``shape``."""

    shape: tuple[int, ...]
    values: dict[str, Any]
    """The values evaluated, by path, each broadcast to ``shape``."""
    options: dict[str, OptionEvaluation]

    def frame(self, basis: str = "incremental") -> pd.DataFrame:
        """A long table: one row per (setting, option), the values set and the headline
        measures (money in GBP PV; ratios; DfT category). ``basis`` is ``incremental``
        (against the counterfactual) or ``gross``."""
        import pandas as pd

        size = int(np.prod(self.shape, dtype=np.int64))
        frames = []
        for option_id, result in self.options.items():
            measures = getattr(result, basis)
            columns: dict[str, Any] = {"setting": np.arange(size), "option": option_id}
            for path, values in self.values.items():
                columns[path] = np.broadcast_to(values, self.shape).reshape(size)
            for name in HEADLINE:
                columns[name] = np.broadcast_to(getattr(measures, name), self.shape).reshape(size)
            band = np.broadcast_to(measures.value_for_money_band, self.shape).reshape(size)
            names = np.array([b.name for b in DFT_VALUE_FOR_MONEY] + [""], dtype=object)
            columns["value_for_money"] = np.where(band >= 0, names[band], None)
            frames.append(pd.DataFrame(columns))
        return pd.concat(frames, ignore_index=True).set_index(["setting", "option"])


class ParameterValueError(ValueError):
    """A value set for a parameter that the scenario could not hold, or a path that is not a
    parameter; ``problems`` are ``(path, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


def _schedule_paths(scenario: Scenario) -> list[str]:
    paths: list[str] = []
    for which in ("schedule", "health_schedule"):
        spec = getattr(scenario.discounting, which)
        paths.append(f"discounting.{which}")
        if isinstance(spec, ConstantRate):
            paths.append(f"discounting.{which}.constant_rate")
        elif isinstance(spec, CustomBands):
            paths.extend(f"discounting.{which}.bands.{k}.rate" for k in range(len(spec.bands)))
    return paths


def _spread(found: Any, shape: tuple[int, ...]) -> Any:
    """Measures or totals that do not vary, as read-only views with the leading ``shape``."""
    values: dict[str, Any] = {}
    for f in fields(found):
        value = getattr(found, f.name)
        if isinstance(value, dict):
            values[f.name] = {
                k: np.broadcast_to(v, (*shape, *np.shape(v))) for k, v in value.items()
            }
        else:
            values[f.name] = np.broadcast_to(value, (*shape, *np.shape(value)))
    return type(found)(**values)


def _given(totals: appraisal.YearlyTotals) -> Callable[[], appraisal.YearlyTotals]:
    """Totals already built, as ``OptionEvaluation.found_totals``."""
    return lambda: totals


def _within(values: NDArray[Any], item: NumericInput | Parameter) -> NDArray[np.bool_]:
    ok = np.isfinite(values)
    if item.low is not None:
        ok &= values > item.low if item.low_open else values >= item.low
    if item.high is not None:
        ok &= values < item.high if item.high_open else values <= item.high
    if item.whole:
        ok &= values == np.round(values)
    return np.asarray(ok, dtype=np.bool_)


class CompiledScenario:
    """A scenario compiled once: its parameters and their domains, evaluable many times."""

    def __init__(
        self,
        scenario: Scenario,
        explain: Callable[[Mapping[str, float | int]], str | None] | None = None,
    ) -> None:
        """Compile ``scenario``. ``explain({path: value})``, if given, words the message for
        values the scenario cannot hold (``cba.what_if`` passes one that validates them as the
        file would, so the message is the file's); None falls back to the domain's bounds."""
        self.scenario = scenario
        self.explain = explain
        self.schedules: Schedules = compile_schedules(scenario)
        self.inputs: dict[str, NumericInput] = {i.path: i for i in numeric_inputs(scenario)}
        self.base_models = {
            option.id: OptionModel(scenario, option, self.schedules) for option in scenario.options
        }
        self._base_totals: dict[str, appraisal.YearlyTotals] | None = None
        self._plans: dict[tuple[str, ...], SeparablePlan | None] = {}
        self.base_parts: dict[str, LineArrays] = {
            option_id: model.parts() for option_id, model in self.base_models.items()
        }
        evaluable: dict[str, str | None] = {}
        for path in _schedule_paths(scenario):
            evaluable[path] = None
        for owner, model in self.base_models.items():
            for path in model.paths_read:
                evaluable[path] = owner if path.startswith("options.") else None
        self.parameters: dict[str, Parameter] = {}
        for path, option_id in evaluable.items():
            item = self.inputs.get(path)
            if item is None and path in ("discounting.schedule", "discounting.health_schedule"):
                standard = path == "discounting.schedule"
                used = self.schedules.standard if standard else self.schedules.health
                item = NumericInput(  # the file gives its own rates: a named one may replace them
                    path=path,
                    value=used.label,
                    unit="named schedule",
                    low=None,
                    high=None,
                    low_open=False,
                    high_open=False,
                    whole=False,
                    choices=tuple(NAMED_SCHEDULES),
                    source=used.source,
                    given=True,
                )
            if item is None:
                continue  # a default the scenario cannot state (e.g. no start_year): not an input
            key = key_of(path)
            low, high = item.low, item.high
            if key in ("start_year", "end_year"):
                low, high = float(scenario.first_year), float(scenario.last_year)
            self.parameters[path] = Parameter(
                path=path,
                value=item.value,
                unit=item.unit,
                low=low,
                high=high,
                low_open=item.low_open,
                high_open=item.high_open,
                whole=item.whole,
                choices=item.choices,
                source=item.source,
                kind=KINDS.get(key, key.replace("_", " ")),
                option_id=option_id,
                linear=key not in NONLINEAR_KEYS,
                given=item.given,
            )

        self._timing_domains()

    def _timing_domains(self) -> None:
        """A start year's domain ends at its line's end year (or where its duration still fits
        the period), an end year's begins at its start year, a duration's ends where it reaches
        the last year: each with the other inputs at their central values (the file refuses
        anything else)."""
        first, last = self.scenario.first_year, self.scenario.last_year
        for path, p in list(self.parameters.items()):
            key = key_of(path)
            if key not in ("start_year", "end_year", "duration_years"):
                continue
            line = path[: -len(key)]
            start = self.inputs.get(line + "start_year")
            end = self.inputs.get(line + "end_year")
            duration = self.inputs.get(line + "duration_years")
            low = float(first) if p.low is None else p.low
            high = float(last) if p.high is None else p.high
            if key == "start_year":
                if end is not None:
                    high = min(high, float(end.value))
                if duration is not None:
                    high = min(high, float(last - int(duration.value) + 1))
            elif key == "end_year" and start is not None:
                low = max(low, float(start.value))
            elif key == "duration_years":
                begin = int(start.value) if start is not None else first
                high = min(high, float(last - begin + 1))
            self.parameters[path] = replace(p, low=low, high=high)

    def _timing_problems(self, values: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Settings in which a line's years do not hold together (an end before its start, a
        benefit running past the last year), found for every setting at once."""
        problems: list[tuple[str, str]] = []
        last = self.scenario.last_year
        lines = {
            path[: -len(key_of(path))]
            for path in values
            if key_of(path) in ("start_year", "end_year", "duration_years")
        }
        for line in sorted(lines):

            def of(key: str, line: str = line) -> Any:
                path = line + key
                if path in values:
                    return np.asarray(values[path])
                item = self.inputs.get(path)
                return None if item is None else np.asarray(item.value)

            start, end, duration = of("start_year"), of("end_year"), of("duration_years")
            if start is not None and end is not None:
                bad = np.broadcast_to(end < start, np.broadcast_shapes(start.shape, end.shape))
                if bad.any():
                    k = np.unravel_index(int(np.argmax(bad)), bad.shape)
                    s_k, e_k = (
                        int(np.broadcast_to(start, bad.shape)[k]),
                        int(np.broadcast_to(end, bad.shape)[k]),
                    )
                    problems.append(
                        (
                            line + "end_year",
                            self._joint_message(
                                {line + "start_year": s_k, line + "end_year": e_k},
                                f"end_year {e_k} is before start_year {s_k}. Swap them or "
                                "correct one",
                            ),
                        )
                    )
            if duration is not None:
                begin = start if start is not None else np.asarray(self.scenario.first_year)
                stop = begin + duration - 1
                bad = np.asarray(stop > last)
                if bad.any():
                    k = np.unravel_index(int(np.argmax(bad)), bad.shape)
                    s_k = int(np.broadcast_to(begin, bad.shape)[k])
                    d_k = int(np.broadcast_to(duration, bad.shape)[k])
                    given = {line + "duration_years": d_k}
                    if start is not None:
                        given[line + "start_year"] = s_k
                    problems.append(
                        (
                            line + "duration_years",
                            self._joint_message(
                                given,
                                f"the outcomes run from {s_k} to {s_k + d_k - 1}, beyond the "
                                f"last appraisal year {last}",
                            ),
                        )
                    )
        return problems

    def _joint_message(self, given: Mapping[str, int], fallback: str) -> str:
        if self.explain is not None:
            message = self.explain(given)
            if message:
                return message
        return fallback

    # --- values ------------------------------------------------------------------------------
    def expand(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` with each wildcard path (``*`` for one segment) replaced by every
        parameter it names; a path naming no parameter is refused."""
        out: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        known = list(self.parameters)
        for path, value in values.items():
            matched = matching_paths(path, known)
            if "*" in path and not matched:
                problems.append((path, "names no parameter of this scenario"))
            for one in matched:
                out[one] = value
        if problems:
            raise ParameterValueError(problems)
        return out

    def checked(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[int, ...]]:
        """Values as arrays broadcast to one leading shape, each checked against its domain.

        Raises
        ------
        ParameterValueError
            For a path that is not an evaluable parameter, or a value outside its domain.
        """
        problems: list[tuple[str, str]] = []
        arrays: dict[str, Any] = {}
        for path, value in values.items():
            parameter = self.parameters.get(path)
            if parameter is None:
                problems.append((path, self._not_a_parameter(path)))
                continue
            if parameter.choices:
                array = np.asarray(value, dtype=object)
                bad = [v for v in array.reshape(-1).tolist() if v not in parameter.choices]
                if bad:
                    problems.append(
                        (
                            path,
                            f"must be one of {', '.join(parameter.choices)}; got {bad[0]!s}",
                        )
                    )
                arrays[path] = array
                continue
            raw = np.asarray(value)
            if raw.dtype.kind not in "iuf":  # text, true/false, objects: the file refuses them
                items = np.asarray(value, dtype=object).reshape(-1).tolist()
                odd = [v for v in items if isinstance(v, bool) or not isinstance(v, int | float)]
                shown = odd[0] if odd else value
                problems.append((path, self._domain_message(parameter, shown)))
                continue
            array = raw.astype(np.float64)
            ok = _within(array, parameter)
            if not np.all(ok):
                at = int(np.argmin(ok.reshape(-1)))
                problems.append((path, self._domain_message(parameter, raw.reshape(-1)[at].item())))
            arrays[path] = array
        if not problems:
            problems = self._timing_problems(arrays)
        if problems:
            raise ParameterValueError(problems)
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError:
            shapes = ", ".join(f"{p} {a.shape}" for p, a in arrays.items())
            raise ParameterValueError(
                [("values", f"arrays of shapes that do not broadcast together: {shapes}")]
            ) from None
        out: dict[str, Any] = {}
        for path, array in arrays.items():
            full = np.broadcast_to(array, shape)
            if self.parameters[path].whole and not self.parameters[path].choices:
                full = full.astype(np.int64)
            if shape:
                out[path] = full
            else:
                one = full[()]
                out[path] = one.item() if isinstance(one, np.generic) else one
        return out, shape

    def _not_a_parameter(self, path: str) -> str:
        if path in self.inputs:
            return (
                "this input changes the structure of the scenario (its years, shares or "
                "tables), so it cannot be varied in an evaluation; change it with --set or "
                "cba.with_values, which validate and compile a new scenario"
            )
        import difflib

        guess = difflib.get_close_matches(path, list(self.inputs), n=1, cutoff=0.6)
        hint = f". Did you mean '{guess[0]}'?" if guess else ""
        return f"no such input in scenario '{self.scenario.id}'{hint} (cba params lists them)"

    def _domain_message(self, parameter: Parameter, value: Any) -> str:
        """What is wrong with ``value`` (as given: a number, text, true/false): the
        ``explain`` hook's message (the file's wording), else the domain."""
        written = value
        if isinstance(value, float) and parameter.whole and value == int(value):
            written = int(value)  # 2030.0 for a year is 2030, as the file would have it
        if self.explain is not None:
            message = self.explain({parameter.path: written})
            if message:
                return message
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"must be a number ({parameter.unit}); got {value!r}"
        low = "-inf" if parameter.low is None else f"{parameter.low:g}"
        high = "inf" if parameter.high is None else f"{parameter.high:g}"
        return f"must be from {low} to {high} within this scenario; got {value:g}"

    def base_totals(self) -> dict[str, appraisal.YearlyTotals]:
        """Each option's yearly totals with no values set (computed once)."""
        if self._base_totals is None:
            self._base_totals = {
                k: appraisal.yearly_totals(**p.engine_inputs) for k, p in self.base_parts.items()
            }
        return self._base_totals

    # --- evaluation --------------------------------------------------------------------------
    def factors(self, values: Mapping[str, Any]) -> tuple[FloatArray, FloatArray]:
        """Standard and health discount factors, ``(T,)`` or ``(*shape, T)``."""
        n_years = self.scenario.appraisal_period_years
        out = []
        for which, used in (
            ("schedule", self.schedules.standard),
            ("health_schedule", self.schedules.health),
        ):
            path = f"discounting.{which}"
            touched = [p for p in values if p == path or p.startswith(path + ".")]
            if not touched:
                out.append(np.array(used.factors))
                continue
            spec: Schedule = getattr(self.scenario.discounting, which)
            if path in values:
                names = np.asarray(values[path], dtype=object)
                table = {
                    name: discount_factors(
                        rates_by_year(
                            [b.from_year_offset for b in NAMED_SCHEDULES[name].bands],
                            [b.rate for b in NAMED_SCHEDULES[name].bands],
                            n_years,
                        )
                    )
                    for name in set(names.reshape(-1).tolist())
                }
                flat = [table[n] for n in names.reshape(-1).tolist()]
                out.append(np.array(flat).reshape(*names.shape, n_years))
            elif isinstance(spec, ConstantRate):
                rate = values.get(f"{path}.constant_rate", spec.constant_rate)
                out.append(
                    discount_factors(rates_by_year([0], np.asarray(rate)[..., None], n_years))
                )
            else:
                assert isinstance(spec, CustomBands)
                rates = np.stack(
                    np.broadcast_arrays(
                        *(
                            np.asarray(values.get(f"{path}.bands.{k}.rate", band.rate))
                            for k, band in enumerate(spec.bands)
                        )
                    ),
                    axis=-1,
                )
                starts = [b.from_year_offset for b in spec.bands]
                out.append(discount_factors(rates_by_year(starts, rates, n_years)))
        return out[0], out[1]

    def separable(self, paths: Collection[str]) -> SeparablePlan | None:
        """The separable form of evaluations that set ``paths`` (``cba.model.separable``), or
        None where it does not apply: a value that is not a linear input (a year, a duration, a
        drop-off, a discount rate or schedule, a whole number, a choice), or a line that reads
        two of the values. Built once for each set of paths (in their order)."""
        key = tuple(paths)
        if key not in self._plans:
            plan = None
            parameters = [self.parameters.get(p) for p in key]
            if key and all(
                p is not None
                and p.linear
                and not p.whole
                and not p.choices
                and not p.path.startswith("discounting.")
                and isinstance(p.value, int | float)
                for p in parameters
            ):
                plan = separable_plan(
                    self.scenario,
                    self.schedules,
                    key,
                    [float(p.value) for p in parameters if p is not None],
                    self.base_totals(),
                )
            self._plans[key] = plan
        return self._plans[key]

    def evaluate(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        with_irr: bool = False,
        figures: Mapping[str, Collection[str]] | None = None,
    ) -> Evaluation:
        """Every option's measures at the given parameter values.

        Parameters
        ----------
        values : mapping of parameter path to number or array, optional
            Inputs to set (``*`` in a path stands for any one segment); arrays broadcast to one
            leading shape S. Unset inputs keep the scenario's values.
        with_irr : bool
            Solve for the IRR at every setting (a root-finding per setting: slow for many).
        figures : mapping, optional
            Only these measures are wanted: ``{"gross": names, "incremental": names}`` (names
            of ``appraisal.Measures`` fields; a basis left out gets none). Every other measure
            is NaN (-1 for the band), not computed. When every value set is a linear input and
            no line reads two of them (``separable``), the lines are evaluated in separable
            form: each line's present value per unit of its value is computed once, and a
            setting's figures agree with the line-by-line evaluation to the rounding of the
            sums (exactly, at the scenario's own values; docs/methods.md §15). Without
            ``figures`` every measure is computed line by line, as for ``cba run``.

        Returns
        -------
        Evaluation
            Arrays of shape S (money in GBP PV at the price base year).
        """
        given, shape = self.checked(self.expand(values or {}))
        if figures is not None and given:
            plan = self.separable(list(given))
            if plan is not None:
                return self._evaluate_separable(plan, given, shape, with_irr, figures)
        scenario = self.scenario
        base = self.base_totals()
        totals: dict[str, appraisal.YearlyTotals] = {}
        led: dict[str, bool] = {}
        if given:
            factors = self.factors(given)
            arrays = {
                path: (np.asarray(v) if shape else v)
                for path, v in given.items()
                if not self.parameters[path].choices
            }
            # New discount rates or a new tax-burden uplift change every line's totals.
            rates = any(
                p.startswith(("discounting.", "marginal_excess_tax_burden.")) for p in given
            )
            shared = any(p.startswith("confidence_grades.") for p in given)
            for option in scenario.options:
                prefix = f"options.{option.id}."
                if not (rates or shared or any(p.startswith(prefix) for p in arrays)):
                    totals[option.id], led[option.id] = base[option.id], False
                    continue
                model = OptionModel(scenario, option, self.schedules, arrays, shape, factors)
                led[option.id] = True
                if rates:  # every line is discounted anew
                    totals[option.id] = appraisal.yearly_totals(**model.parts().engine_inputs)
                    continue
                # Only the lines that read a set value differ from the base run: their totals
                # at each setting replace their base totals (the others are not copied to every
                # setting).
                changed = model.parts(only_varying=True)
                before = select_lines(self.base_parts[option.id].engine_inputs, changed.varying)
                totals[option.id] = base[option.id] + (
                    appraisal.yearly_totals(**changed.engine_inputs)
                    - appraisal.yearly_totals(**before)
                )
        else:
            factors = (
                np.array(self.schedules.standard.factors),
                np.array(self.schedules.health.factors),
            )
            totals = dict(base)
            led = {option.id: False for option in scenario.options}
        standard, health = factors
        bands = np.array([b.lower for b in DFT_VALUE_FOR_MONEY])
        inclusive = np.array([b.lower_inclusive for b in DFT_VALUE_FOR_MONEY])
        cf_id = scenario.counterfactual
        cf = totals[cf_id]
        options = {}
        for option in scenario.options:
            own = totals[option.id]
            incremental = own - cf

            def measures(t: appraisal.YearlyTotals, spread: bool, basis: str) -> appraisal.Measures:
                found = appraisal.measures(
                    t,
                    standard,
                    bands,
                    with_irr,
                    health_factors=health,
                    band_lower_inclusive=inclusive,
                    only=None if figures is None else figures.get(basis, ()),
                )
                return found if spread or not shape else _spread(found, shape)

            spread_totals = own if led[option.id] or not shape else _spread(own, shape)
            options[option.id] = OptionEvaluation(
                option.id,
                measures(own, led[option.id], "gross"),
                measures(incremental, led[option.id] or led[cf_id], "incremental"),
                _given(spread_totals),
            )
        return Evaluation(shape=shape, values=dict(given), options=options)

    def _evaluate_separable(
        self,
        plan: SeparablePlan,
        given: Mapping[str, Any],
        shape: tuple[int, ...],
        with_irr: bool,
        figures: Mapping[str, Collection[str]],
    ) -> Evaluation:
        """``evaluate`` in separable form (see ``separable``)."""
        deviations = [
            np.subtract(given[path], centre, dtype=np.float64)
            for path, centre in zip(plan.paths, plan.centre, strict=True)
        ]
        standard = np.array(self.schedules.standard.factors)
        health = np.array(self.schedules.health.factors)
        bands = np.array([b.lower for b in DFT_VALUE_FOR_MONEY])
        inclusive = np.array([b.lower_inclusive for b in DFT_VALUE_FOR_MONEY])
        options = {}
        for option in self.scenario.options:
            found: dict[str, appraisal.Measures] = {}
            separate: dict[str, SeparableTotals | None] = {}
            for basis, bases in (("gross", plan.gross), ("incremental", plan.incremental)):
                b = bases[option.id]
                totals: appraisal.TotalsView = b.base
                separate[basis] = None
                if b.varies:
                    separate[basis] = SeparableTotals(b, deviations, shape)
                    totals = separate[basis] or totals
                measured = appraisal.measures(
                    totals,
                    standard,
                    bands,
                    with_irr,
                    health_factors=health,
                    band_lower_inclusive=inclusive,
                    only=figures.get(basis, ()),
                )
                found[basis] = measured if b.varies or not shape else _spread(measured, shape)
            own = separate["gross"]
            base = plan.gross[option.id].base

            def build(own: SeparableTotals | None = own, base: Any = base) -> Any:
                if own is None:
                    return _spread(base, shape) if shape else base
                return own.full()

            options[option.id] = OptionEvaluation(
                option.id, found["gross"], found["incremental"], build
            )
        return Evaluation(shape=shape, values=dict(given), options=options)
