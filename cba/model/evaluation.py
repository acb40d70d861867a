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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from cba.engine import appraisal
from cba.engine.discounting import discount_factors, rates_by_year
from cba.model.compile import LineArrays, OptionModel, Schedules, compile_schedules
from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY
from cba.spec.discounting import ConstantRate, CustomBands, Schedule
from cba.spec.numeric_inputs import NumericInput, numeric_inputs
from cba.spec.parameters import matching_paths
from cba.spec.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]

NONLINEAR_KEYS = frozenset(
    {"drop_off", "duration_years", "start_year", "end_year", "constant_rate", "rate", "schedule"}
)
"""Inputs the NPSV is not an affine function of (every other evaluable input enters one
product of a line's flows, so the NPSV moves in a straight line with it)."""

KINDS: dict[str, str] = {
    "amount_per_year": "cost amount",
    "series": "cost amount",
    "value_per_year": "in-kind value",
    "amount": "unit value",
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
    "corrections": "optimism bias",
    "drop_off": "drop-off",
    "duration_years": "timing",
    "start_year": "timing",
    "end_year": "timing",
    "constant_rate": "discounting",
    "rate": "discounting",
    "schedule": "discounting",
    "health_schedule": "discounting",
}
"""What kind of input each key is (used to pick the default sensitivity set)."""

SWITCHING_KINDS = frozenset(
    {"cost amount", "unit value", "outcome count", "additionality share", "hours"}
)
"""Kinds of input that get a switching value by default (every one of an option's)."""


def key_of(path: str) -> str:
    """The named key of a path (``series`` for ``...series.2025``, ``corrections`` for
    ``confidence_grades.corrections.3``)."""
    parts = path.split(".")
    last = parts[-1]
    if len(parts) >= 2 and (last.isdigit() or parts[-2] in ("series", "corrections")):
        return parts[-2] if parts[-2] in ("series", "corrections") else last
    return last


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
    totals: appraisal.YearlyTotals
    gross: appraisal.Measures
    incremental: appraisal.Measures
    """Against the counterfactual (the option's totals minus the counterfactual's)."""


HEADLINE: tuple[str, ...] = (
    "npsv",
    "npsv_excluding_community_inputs",
    "pv_benefits",
    "pv_public_costs",
    "pv_non_public_costs",
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
        self, scenario: Scenario, explain: Callable[[str, float | int], str | None] | None = None
    ) -> None:
        """Compile ``scenario``. ``explain(path, value)``, if given, words the message for a
        value outside a parameter's domain (``cba.what_if`` passes one that validates the
        value as the file would, so the message is the file's); None falls back to the
        domain's bounds."""
        self.scenario = scenario
        self.explain = explain
        self.schedules: Schedules = compile_schedules(scenario)
        self.inputs: dict[str, NumericInput] = {i.path: i for i in numeric_inputs(scenario)}
        self.base_models = {
            option.id: OptionModel(scenario, option, self.schedules) for option in scenario.options
        }
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
            try:
                array = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                problems.append(
                    (path, f"must be a number or an array of numbers ({parameter.unit})")
                )
                continue
            ok = _within(array, parameter)
            if not np.all(ok):
                first = float(array.reshape(-1)[int(np.argmin(ok.reshape(-1)))])
                problems.append((path, self._domain_message(parameter, first)))
            arrays[path] = array
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
            out[path] = full if shape else full[()].item()
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

    def _domain_message(self, parameter: Parameter, value: float) -> str:
        """What is wrong with ``value``: the ``explain`` hook's message (the file's wording),
        else the domain."""
        written: float | int = int(value) if parameter.whole and value == int(value) else value
        if self.explain is not None:
            message = self.explain(parameter.path, written)
            if message:
                return message
        low = "-inf" if parameter.low is None else f"{parameter.low:g}"
        high = "inf" if parameter.high is None else f"{parameter.high:g}"
        return f"must be from {low} to {high} within this scenario; got {value:g}"

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

    def evaluate(
        self, values: Mapping[str, Any] | None = None, *, with_irr: bool = False
    ) -> Evaluation:
        """Every option's measures at the given parameter values.

        Parameters
        ----------
        values : mapping of parameter path to number or array, optional
            Inputs to set (``*`` in a path stands for any one segment); arrays broadcast to one
            leading shape S. Unset inputs keep the scenario's values.
        with_irr : bool
            Solve for the IRR at every setting (a root-finding per setting: slow for many).

        Returns
        -------
        Evaluation
            Arrays of shape S (money in GBP PV at the price base year).
        """
        given, shape = self.checked(self.expand(values or {}))
        scenario = self.scenario
        if given:
            factors = self.factors(given)
            arrays = {
                path: (np.asarray(v) if shape else v)
                for path, v in given.items()
                if not self.parameters[path].choices
            }
            parts = {
                option.id: OptionModel(
                    scenario, option, self.schedules, arrays, shape, factors
                ).parts()
                for option in scenario.options
            }
        else:
            factors = (
                np.array(self.schedules.standard.factors),
                np.array(self.schedules.health.factors),
            )
            parts = self.base_parts
        standard, health = factors
        bands = np.array([b.lower for b in DFT_VALUE_FOR_MONEY])
        inclusive = np.array([b.lower_inclusive for b in DFT_VALUE_FOR_MONEY])
        totals = {k: appraisal.yearly_totals(**p.engine_inputs) for k, p in parts.items()}
        cf = totals[scenario.counterfactual]
        options = {}
        for option in scenario.options:
            own = totals[option.id]
            incremental = own - cf

            def measures(t: appraisal.YearlyTotals) -> appraisal.Measures:
                return appraisal.measures(
                    t,
                    standard,
                    bands,
                    with_irr,
                    health_factors=health,
                    band_lower_inclusive=inclusive,
                )

            options[option.id] = OptionEvaluation(
                option.id, own, measures(own), measures(incremental)
            )
        return Evaluation(shape=shape, values=dict(given), options=options)
