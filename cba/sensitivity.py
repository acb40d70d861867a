"""Sensitivity analysis of a compiled scenario: switching values, tornado, one-way tables and
discount-rate tests (Green Book 2026 §5.59-5.61, Box 12; docs/methods.md §14).

Everything here is a caller of the compiled model (``cba.model.evaluation``): each analysis
sets parameter values along one leading axis and evaluates once, so P parameters cost a handful
of evaluations, never P separate runs. All measures are incremental: an option against the
counterfactual.

Conventions
-----------
- Tested inputs: those listed in the scenario's ``sensitivity:`` block (or on the command
  line), plus, when ``default_switching`` is on, every cost amount, in-kind value, unit value,
  value of time, outcome count or rate, additionality share and hours figure of the option.
- Range of an input not given one: a fraction (unit ``fraction``) +/- 0.1, or +/- half its
  value when that is less (0 to 0.1 for a fraction of 0); a year +/- 2; any other number
  +/- 20%; clipped to the input's valid domain; whole numbers rounded outwards.
- Switching values: closed form from two evaluations where the NPSV is affine in the input
  (checked by evaluating at the root), else a grid over the whole valid domain and regula falsi
  (bisection where it stalls); whole-number inputs are scanned. A root outside the domain is
  never reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba.engine.switching import affine_root, bisect, illinois, nearest_bracket
from cba.model.evaluation import (
    SWITCHING_KINDS,
    CompiledScenario,
    Evaluation,
    Parameter,
    ParameterValueError,
)
from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY
from cba.results import (
    OneWayTable,
    RateTest,
    SensitivityResults,
    SwitchingValue,
    TornadoBar,
)
from cba.spec.numeric_inputs import EVALUABLE_KEYS
from cba.spec.parameters import key_of, matching_paths
from cba.spec.sensitivity import SensitivityRange

FloatArray = NDArray[np.float64]

DEFAULT_KINDS = SWITCHING_KINDS | {"in-kind value", "value of time", "outcome rate"}
"""Kinds of an option's inputs tested by default (switching value and tornado bar)."""

RATE_TEST_SCHEDULES = ("green_book_standard", "green_book_2026_lower_rate")
"""Named schedules every option is also evaluated under (the standard flows' schedule; health
flows keep theirs)."""

LONG_HORIZON_YEARS = 50
"""Horizon above which the Green Book (2026) requires the lower-rate test."""

GRID_POINTS = 65
"""Grid points over the domain when looking for roots of a nonlinear input."""

MAX_SCAN = 2000
"""Most whole values scanned for a whole-number input's switching value."""

ONE_WAY_DEFAULT = 5
"""Inputs given one-way tables when the scenario lists none (the largest tornado swings)."""

RESIDUAL = 1e-9
"""A root is accepted when the measure there is within RESIDUAL x the gross terms."""


@dataclass(frozen=True)
class Tested:
    """One input under test, with its range."""

    parameter: Parameter
    low: float
    high: float
    basis: str
    why: str
    listed: bool


def _tidy(x: float) -> float:
    """``x`` to 12 significant digits: 0.19999999999999998 (0.3 - 0.1) is 0.2."""
    return float(f"{x:.12g}")


def _clip(value: float, p: Parameter) -> float:
    if p.low is not None:
        floor = float(np.nextafter(p.low, np.inf)) if p.low_open else p.low
        value = max(value, floor)
    if p.high is not None:
        ceiling = float(np.nextafter(p.high, -np.inf)) if p.high_open else p.high
        value = min(value, ceiling)
    return value


def default_range(p: Parameter) -> tuple[float, float]:
    """The default plausible range of an input (module docstring), inside its domain."""
    v = float(p.value)
    key = key_of(p.path)
    if key in ("start_year", "end_year"):
        low, high = v - 2, v + 2
    elif p.unit.startswith("fraction"):
        delta = min(0.1, v / 2) if v > 0 else 0.1
        low, high = v - delta, v + delta
    else:
        low, high = sorted((v * 0.8, v * 1.2))
    if p.whole:
        low, high = float(np.floor(low)), float(np.ceil(high))
        if key == "duration_years":
            low, high = min(low, v - 1), max(high, v + 1)
    low, high = _clip(_tidy(low), p), _clip(_tidy(high), p)
    if p.whole:
        low, high = float(np.ceil(low)), float(np.floor(high))
    return low, high


def _entry_range(entry: SensitivityRange, p: Parameter) -> tuple[float, float, str]:
    if entry.low is not None and entry.high is not None:
        return entry.low, entry.high, "scenario"
    if entry.factor_low is not None and entry.factor_high is not None:
        v = float(p.value)
        low, high = sorted((_tidy(entry.factor_low * v), _tidy(entry.factor_high * v)))
        if p.whole:
            low, high = float(np.ceil(low)), float(np.floor(high))
        return low, high, "scenario"
    low, high = default_range(p)
    return low, high, "default"


def inputs_under_test(
    compiled: CompiledScenario,
    option_id: str,
    entries: Sequence[SensitivityRange],
    default_switching: bool,
    notes: list[str] | None = None,
) -> list[Tested]:
    """The inputs tested for one option: the listed ones that bear on it (its own, the
    counterfactual's, scenario-wide), then its default set, each once. A listed input that
    no line uses (a confidence grade no line has) is left out, with a line in ``notes``.

    Raises
    ------
    ParameterValueError
        For a listed path naming no input the model can vary.
    """
    counterfactual = compiled.scenario.counterfactual
    out: dict[str, Tested] = {}
    problems: list[tuple[str, str]] = []
    known = list(compiled.parameters)
    for entry in entries:
        paths = [p for p in matching_paths(entry.parameter, known) if p in compiled.parameters]
        if not paths:
            unused = [
                p
                for p in matching_paths(entry.parameter, list(compiled.inputs))
                if p in compiled.inputs and key_of(p) in EVALUABLE_KEYS
            ]
            if unused:
                if notes is not None:
                    notes.append(f"{entry.parameter}: not tested; no line uses it")
                continue
            if entry.parameter in compiled.inputs:
                message = (
                    "this input changes the structure of the scenario (its years, shares or "
                    "tables), so it is not tested here; compare variants with cba run --set"
                )
            else:
                import difflib

                guess = difflib.get_close_matches(entry.parameter, known, n=1, cutoff=0.6)
                hint = f" Did you mean '{guess[0]}'?" if guess else ""
                message = (
                    f"names no input this scenario's model can vary.{hint} (cba params lists them)"
                )
            problems.append((entry.parameter, message))
            continue
        for path in paths:
            p = compiled.parameters[path]
            if p.choices:
                problems.append((path, "a named schedule: the discount-rate tests cover it"))
                continue
            if p.option_id not in (None, option_id, counterfactual):
                continue
            low, high, basis = _entry_range(entry, p)
            out[path] = Tested(p, low, high, basis, entry.why, True)
    if problems:
        raise ParameterValueError(problems)
    if default_switching:
        for path, p in compiled.parameters.items():
            if path not in out and p.option_id == option_id and p.kind in DEFAULT_KINDS:
                low, high = default_range(p)
                out[path] = Tested(p, low, high, "default", "", False)
    return list(out.values())


class _Runner:
    """Evaluations with one input varied per setting, the others central; counts settings."""

    def __init__(self, compiled: CompiledScenario) -> None:
        self.compiled = compiled
        self.evaluations = 0

    def varied(self, paths: Sequence[str], values: FloatArray) -> Evaluation:
        """Setting k sets ``paths[k]`` to ``values[k]`` (a path may repeat)."""
        k = len(paths)
        settings: dict[str, Any] = {}
        for path in dict.fromkeys(paths):
            central = float(self.compiled.parameters[path].value)
            column = np.full(k, central)
            mask = np.array([q == path for q in paths])
            column[mask] = values[mask]
            settings[path] = column
        self.evaluations += k
        return self.compiled.evaluate(settings)


def _scale(evaluation: Evaluation, option_id: str, counterfactual: str) -> FloatArray:
    """Gross terms of the incremental measures: the option's and counterfactual's PVB and
    costs (the size against which a residual is judged) [GBP PV]."""
    total = np.zeros(evaluation.shape)
    for oid in (option_id, counterfactual):
        g = evaluation.options[oid].gross
        for name in ("pv_benefits", "pv_public_costs", "pv_non_public_costs"):
            total = total + np.abs(getattr(g, name))
        total = total + np.abs(g.pv_community_inputs)
    return np.asarray(total, dtype=np.float64)


def _number(x: float, unit: str = "") -> str:
    if unit == "calendar year":
        return f"{x:.0f}"
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    if abs(x) >= 100 and unit.startswith("GBP"):
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:,.1f}"
    return f"{x:.4g}"


def _change(root: float | None, central: float, unit: str = "") -> float | None:
    """(root - central) / |central|; None for calendar years (a year has no percentage)."""
    if root is None or central == 0 or unit == "calendar year":
        return None
    return (root - central) / abs(central)


def _statement(
    what: str, root: float | None, central: float, p: Parameter, sign: float, method: str
) -> str:
    """``what`` is ``NPSV`` or ``BCR``; ``sign`` the sign of the measure's root function at
    the central value (0: it does not move with the input)."""
    measure = "NPSV is zero" if what == "NPSV" else "BCR is 1"
    if root is not None:
        if method == "whole-number scan":
            turned = (
                ("negative" if sign > 0 else "positive")
                if what == "NPSV"
                else ("below 1" if sign > 0 else "above 1")
            )
            step = root - central
            return (
                f"{what} turns {turned} at {_number(root, p.unit)} "
                f"({step:+.0f} from {_number(central, p.unit)})"
            )
        change = _change(root, central, p.unit)
        pct = f" ({change:+.0%} from {_number(central, p.unit)})" if change is not None else ""
        return f"{measure} at {_number(root, p.unit)} {p.unit}{pct}"
    low = "-inf" if p.low is None else _number(_domain(p)[0], p.unit)
    high = "inf" if p.high is None else _number(_domain(p)[1], p.unit)
    if sign == 0:
        return f"none: {what} does not change with this input"
    if what == "NPSV":
        stays = "positive" if sign > 0 else "negative"
    else:
        stays = "above 1" if sign > 0 else "below 1"
    return f"none: {what} stays {stays} over [{low}, {high}]"


def _domain(p: Parameter) -> tuple[float, float]:
    low = p.low if p.low is not None else -1e12
    high = p.high if p.high is not None else 1e12
    return _clip(low, p), _clip(high, p)


def analyse(
    compiled: CompiledScenario,
    *,
    options: Sequence[str] | None = None,
    entries: Sequence[SensitivityRange] | None = None,
    default_switching: bool | None = None,
    points: int | None = None,
    central: Evaluation | None = None,
) -> SensitivityResults:
    """Switching values, tornado, one-way tables and rate tests for each option.

    Parameters
    ----------
    compiled : CompiledScenario
        From ``cba.compile_scenario``.
    options : option ids, optional
        Which options (default: every option but the counterfactual).
    entries : optional
        Inputs to test with their ranges (default: the scenario's ``sensitivity.parameters``).
    default_switching : bool, optional
        Also test each option's default inputs (default: the scenario's setting).
    points : int, optional
        Values per one-way table (default: the scenario's setting).
    central : Evaluation, optional
        ``compiled.evaluate()`` if the caller has it already (saves one evaluation).
    """
    scenario = compiled.scenario
    block = scenario.sensitivity
    entries = list(block.parameters if entries is None else entries)
    default_switching = block.default_switching if default_switching is None else default_switching
    points = block.points if points is None else points
    cf = scenario.counterfactual
    option_ids = [o.id for o in scenario.options if o.id != cf] if options is None else options
    for oid in option_ids:
        if oid not in {o.id for o in scenario.options}:
            known = ", ".join(o.id for o in scenario.options if o.id != cf)
            raise ParameterValueError([(oid, f"no such option; options: {known}")])
    notes: list[str] = []
    runner = _Runner(compiled)
    if central is None:
        central = compiled.evaluate()
        runner.evaluations += 1

    switching: list[SwitchingValue] = []
    tornado: list[TornadoBar] = []
    one_way: list[OneWayTable] = []
    for oid in option_ids:
        tested = inputs_under_test(compiled, oid, entries, default_switching, notes)
        bars, probed = _tornado(runner, central, oid, tested)
        tornado.extend(bars)
        by_path = {b.parameter: b for b in bars}
        switching.extend(_switching(runner, central, oid, tested, by_path, probed))
        listed = [t for t in tested if t.listed]
        if not listed:
            order = {b.parameter: i for i, b in enumerate(bars)}
            ranked = [t for t in tested if t.parameter.path in order]
            listed = sorted(ranked, key=lambda t: order[t.parameter.path])[:ONE_WAY_DEFAULT]
        one_way.extend(_one_way(runner, oid, listed, points))
    rate_tests, rate_note = _rate_tests(runner, option_ids, central)
    notes = [rate_note, *dict.fromkeys(notes)]
    return SensitivityResults(
        switching_values=tuple(switching),
        tornado=tuple(tornado),
        one_way=tuple(one_way),
        rate_tests=tuple(rate_tests),
        notes=tuple(notes),
        evaluations=runner.evaluations,
    )


def _ratio(x: Any) -> float | None:
    value = float(x)
    return value if np.isfinite(value) else None


def _linear(tested: list[Tested]) -> list[Tested]:
    """The inputs whose switching values have a closed form."""
    return [t for t in tested if t.parameter.linear and not t.parameter.whole]


def _tornado(
    runner: _Runner, central: Evaluation, oid: str, tested: list[Tested]
) -> tuple[list[TornadoBar], Any]:
    """The tornado's bars, and the incremental measures at the linear inputs' probe values
    (evaluated in the same pass)."""
    if not tested:
        return [], None
    n = len(tested)
    linear = _linear(tested)
    paths = [t.parameter.path for t in tested] * 2 + [t.parameter.path for t in linear]
    values = np.array(
        [t.low for t in tested] + [t.high for t in tested] + [_probe(t.parameter) for t in linear]
    )
    result = runner.varied(paths, values).options[oid].incremental
    probed = _rows(result, slice(2 * n, None))
    bars = []
    for j, t in enumerate(tested):
        npsv_low, npsv_high = float(result.npsv[j]), float(result.npsv[n + j])
        bcr_low, bcr_high = _ratio(result.bcr_public[j]), _ratio(result.bcr_public[n + j])
        bars.append(
            TornadoBar(
                option_id=oid,
                parameter=t.parameter.path,
                kind=t.parameter.kind,
                unit=t.parameter.unit,
                central=float(t.parameter.value),
                low=t.low,
                high=t.high,
                range_basis=t.basis,
                why=t.why,
                npsv_low=npsv_low,
                npsv_high=npsv_high,
                bcr_public_low=bcr_low,
                bcr_public_high=bcr_high,
                npsv_swing=abs(npsv_high - npsv_low),
                bcr_swing=abs(bcr_high - bcr_low)
                if bcr_low is not None and bcr_high is not None
                else None,
            )
        )
    bars = [b for b in bars if b.low != b.high]  # an input of 0 has no +/- 20% range to show
    bars.sort(key=lambda b: (-b.npsv_swing, b.parameter))
    return bars, probed


@dataclass(frozen=True)
class _Picked:
    """Some rows of an evaluation's measures (only the ones root-finding reads)."""

    npsv: FloatArray
    npsv_excluding_community_inputs: FloatArray
    pv_public_costs: FloatArray


def _rows(measures: Any, rows: slice) -> _Picked:
    return _Picked(
        np.asarray(measures.npsv)[rows],
        np.asarray(measures.npsv_excluding_community_inputs)[rows],
        np.asarray(measures.pv_public_costs)[rows],
    )


def _switching(
    runner: _Runner,
    central: Evaluation,
    oid: str,
    tested: list[Tested],
    bars: Mapping[str, TornadoBar],
    probed: Any,
) -> list[SwitchingValue]:
    """Roots of incremental NPSV and of PVB - non-public - public costs (BCR = 1)."""
    if not tested:
        return []
    cf = runner.compiled.scenario.counterfactual
    c_inc = central.options[oid].incremental
    c_scale = float(_scale(central, oid, cf))
    measures = ("npsv", "npsv_excluding_community_inputs")
    roots: dict[tuple[str, str], tuple[float | None, str]] = {}

    linear = _linear(tested)
    scanned = [t for t in tested if t.parameter.whole]
    curved = [t for t in tested if not t.parameter.linear and not t.parameter.whole]

    if linear:
        probes = np.array([_probe(t.parameter) for t in linear])
        paths = [t.parameter.path for t in linear]
        inc = probed
        x0 = np.array([float(t.parameter.value) for t in linear])
        candidates: dict[str, FloatArray] = {}
        for m in measures:
            root = affine_root(x0, getattr(c_inc, m), probes, getattr(inc, m), c_scale)
            lo_hi = np.array([_domain(t.parameter) for t in linear])
            # a root a rounding error outside an end of the domain is that end
            slack = 1e-12 * np.maximum(1.0, np.abs(lo_hi))
            root = np.where(
                (root < lo_hi[:, 0]) & (root >= lo_hi[:, 0] - slack[:, 0]), lo_hi[:, 0], root
            )
            root = np.where(
                (root > lo_hi[:, 1]) & (root <= lo_hi[:, 1] + slack[:, 1]), lo_hi[:, 1], root
            )
            inside = (root >= lo_hi[:, 0]) & (root <= lo_hi[:, 1])
            candidates[m] = np.where(inside, root, np.nan)
        # check every root by evaluating there: exact for an affine measure
        check_paths = paths * 2
        check_values = np.concatenate([candidates[m] for m in measures])
        finite = np.isfinite(check_values)
        at_roots = runner.varied(
            [p for p, f in zip(check_paths, finite, strict=True) if f], check_values[finite]
        )
        inc_r = at_roots.options[oid].incremental
        scale_r = _scale(at_roots, oid, cf)
        k = 0
        fallback: list[Tested] = []
        for i, m in enumerate(measures):
            for j, t in enumerate(linear):
                value = check_values[i * len(linear) + j]
                if not np.isfinite(value):
                    roots[(t.parameter.path, m)] = (None, "closed form (linear)")
                    continue
                residual = abs(float(getattr(inc_r, m)[k]))
                public = float(inc_r.pv_public_costs[k])
                ok = residual <= RESIDUAL * float(scale_r[k]) + 1e-6
                if m == "npsv_excluding_community_inputs" and public <= 0:
                    roots[(t.parameter.path, m)] = (None, "closed form (linear)")
                elif ok:
                    roots[(t.parameter.path, m)] = (float(value), "closed form (linear)")
                elif t not in fallback:
                    fallback.append(t)
                k += 1
        curved.extend(fallback)
    if curved:
        _bracketed(runner, oid, curved, measures, roots, c_scale)
    if scanned:
        _scan(runner, central, oid, scanned, measures, roots)

    out = []
    for t in tested:
        p = t.parameter
        value = float(p.value)
        npsv_root, method = roots.get((p.path, "npsv"), (None, "closed form (linear)"))
        bcr_root, _ = roots.get((p.path, "npsv_excluding_community_inputs"), (None, method))
        npsv_sign = float(np.sign(c_inc.npsv))
        bar = bars.get(p.path)
        flat = bar is not None and t.low != t.high and bar.npsv_low == bar.npsv_high
        if npsv_root is None and flat:
            npsv_sign = 0.0
        statement = _statement("NPSV", npsv_root, value, p, npsv_sign, method)
        bcr_sign = float(np.sign(c_inc.npsv_excluding_community_inputs))
        if bcr_root is not None:
            bcr_statement = _statement("BCR", bcr_root, value, p, bcr_sign, method)
        elif not np.isfinite(c_inc.bcr_public):
            bcr_statement = (
                "none: the BCR over public costs is undefined here (no extra public costs) and "
                "does not reach 1 in the range"
            )
        elif bcr_root is None and bar is not None and bar.bcr_swing == 0 and t.low != t.high:
            bcr_statement = "none: BCR does not change with this input"
        else:
            bcr_statement = _statement("BCR", bcr_root, value, p, bcr_sign, method)
        lo, hi = _domain(p)
        out.append(
            SwitchingValue(
                option_id=oid,
                parameter=p.path,
                kind=p.kind,
                unit=p.unit,
                central=value,
                npsv_zero=npsv_root,
                npsv_zero_change=_change(npsv_root, value, p.unit),
                bcr_one=bcr_root,
                bcr_one_change=_change(bcr_root, value, p.unit),
                domain_low=None if p.low is None else lo,
                domain_high=None if p.high is None else hi,
                method=method,
                statement=statement,
                bcr_statement=bcr_statement,
                listed=t.listed,
                source=p.source,
            )
        )
    return out


def _probe(p: Parameter) -> float:
    """A second value of a linear input, far enough from its central value for a well
    conditioned slope, inside the domain."""
    v = float(p.value)
    lo, hi = _domain(p)
    for candidate in (v * 1.5, v * 0.5, v + 1.0, v - 1.0, (lo + hi) / 2, hi, lo):
        if lo <= candidate <= hi and candidate != v:
            return float(candidate)
    return v


def _bracketed(
    runner: _Runner,
    oid: str,
    curved: list[Tested],
    measures: tuple[str, ...],
    roots: dict[tuple[str, str], tuple[float | None, str]],
    scale: float,
) -> None:
    """Grid over each input's domain, then the sign change nearest the central value refined
    by regula falsi (Illinois), every input and both measures in one evaluation per step."""
    n = len(curved)
    grids = np.array([np.linspace(*_domain(t.parameter), GRID_POINTS) for t in curved])
    paths = [t.parameter.path for t in curved for _ in range(GRID_POINTS)]
    on_grid = runner.varied(paths, grids.reshape(-1)).options[oid].incremental
    x0 = np.array([float(t.parameter.value) for t in curved])
    brackets = [
        nearest_bracket(grids, np.asarray(getattr(on_grid, m)).reshape(n, GRID_POINTS), x0)
        for m in measures
    ]
    lo, hi, y_lo, y_hi = (np.concatenate([b[k] for b in brackets]) for k in range(4))
    row_paths = [t.parameter.path for t in curved] * len(measures)
    centre = np.tile(x0, len(measures))

    def measure(x: FloatArray) -> FloatArray:
        x = np.where(np.isfinite(x), x, centre)  # rows without a bracket: central value
        result = runner.varied(row_paths, x).options[oid].incremental
        return np.concatenate(
            [np.asarray(getattr(result, m))[k * n : (k + 1) * n] for k, m in enumerate(measures)]
        )

    tolerance = RESIDUAL * scale
    found = illinois(measure, lo, hi, y_lo, y_hi, 0.1 * tolerance)
    mask = np.isfinite(found)
    # Check every root where it was found; a measure too steep for regula falsi to settle
    # within its steps falls back to plain bisection of the same bracket.
    if mask.any():
        missed = mask & ~(np.abs(measure(np.where(mask, found, np.nan))) <= tolerance)
        if missed.any():
            again = bisect(
                measure, np.where(missed, lo, np.nan), np.where(missed, hi, np.nan), y_lo
            )
            found = np.where(missed, again, found)
    public_ok = np.ones(found.shape, dtype=bool)
    mask = np.isfinite(found)
    if mask.any():
        at = (
            runner.varied([p for p, f in zip(row_paths, mask, strict=True) if f], found[mask])
            .options[oid]
            .incremental
        )
        public_ok[mask] = np.asarray(at.pv_public_costs) > 0
    for k, m in enumerate(measures):
        for j, t in enumerate(curved):
            i = k * n + j
            needs_public = m == "npsv_excluding_community_inputs"
            ok = bool(mask[i]) and (public_ok[i] or not needs_public)
            roots[(t.parameter.path, m)] = (float(found[i]) if ok else None, "bracketing")


def _scan(
    runner: _Runner,
    central: Evaluation,
    oid: str,
    scanned: list[Tested],
    measures: tuple[str, ...],
    roots: dict[tuple[str, str], tuple[float | None, str]],
) -> None:
    """Whole-number inputs: every whole value in the domain; the value nearest the central
    one at which the measure has the other sign (or is zero) is the switching value."""
    paths: list[str] = []
    values: list[float] = []
    spans: list[tuple[int, int]] = []
    for t in scanned:
        lo, hi = _domain(t.parameter)
        lo, hi = float(np.ceil(lo)), float(np.floor(hi))
        count = int(hi - lo) + 1
        if count > MAX_SCAN:
            v = float(t.parameter.value)
            lo, hi = max(lo, v - MAX_SCAN // 2), min(hi, v + MAX_SCAN // 2)
            count = int(hi - lo) + 1
        start = len(values)
        values.extend(np.arange(lo, hi + 1))
        paths.extend([t.parameter.path] * count)
        spans.append((start, start + count))
    evaluation = runner.varied(paths, np.array(values))
    inc = evaluation.options[oid].incremental
    c_inc = central.options[oid].incremental
    grid = np.array(values)
    for m in measures:
        ys = np.asarray(getattr(inc, m))
        c_sign = np.sign(float(getattr(c_inc, m)))
        for t, (a, b) in zip(scanned, spans, strict=True):
            xs, y = grid[a:b], ys[a:b]
            other = np.sign(y) != c_sign if c_sign != 0 else np.zeros_like(y, dtype=bool)
            if m == "npsv_excluding_community_inputs":
                other &= np.asarray(inc.pv_public_costs)[a:b] > 0
            if not other.any():
                roots[(t.parameter.path, m)] = (None, "whole-number scan")
                continue
            distance = np.where(other, np.abs(xs - float(t.parameter.value)), np.inf)
            roots[(t.parameter.path, m)] = (
                float(xs[int(np.argmin(distance))]),
                "whole-number scan",
            )


def _one_way(runner: _Runner, oid: str, tested: list[Tested], points: int) -> list[OneWayTable]:
    if not tested:
        return []
    grids: list[FloatArray] = []
    for t in tested:
        grid = np.array([_tidy(x) for x in np.linspace(t.low, t.high, points)])
        if t.parameter.whole:
            grid = np.unique(np.round(grid))
        grid = np.unique(np.append(grid, float(t.parameter.value)))
        grids.append(grid)
    paths = [t.parameter.path for t, g in zip(tested, grids, strict=True) for _ in g]
    values = np.concatenate(grids)
    inc = runner.varied(paths, values).options[oid].incremental
    names = [b.name for b in DFT_VALUE_FOR_MONEY]
    out = []
    start = 0
    for t, grid in zip(tested, grids, strict=True):
        stop = start + len(grid)
        band = np.asarray(inc.value_for_money_band)[start:stop]
        out.append(
            OneWayTable(
                option_id=oid,
                parameter=t.parameter.path,
                unit=t.parameter.unit,
                central=float(t.parameter.value),
                why=t.why,
                values=tuple(float(x) for x in grid),
                npsv=tuple(float(x) for x in np.asarray(inc.npsv)[start:stop]),
                bcr_public=tuple(_ratio(x) for x in np.asarray(inc.bcr_public)[start:stop]),
                bcr_public_and_community=tuple(
                    _ratio(x) for x in np.asarray(inc.bcr_public_and_community)[start:stop]
                ),
                value_for_money=tuple(names[b] if b >= 0 else None for b in band),
            )
        )
        start = stop
    return out


def _rate_tests(
    runner: _Runner, option_ids: Sequence[str], central: Evaluation
) -> tuple[list[RateTest], str]:
    compiled = runner.compiled
    scenario = compiled.scenario
    own = compiled.schedules.standard.label
    named_own = (
        scenario.discounting.schedule if isinstance(scenario.discounting.schedule, str) else None
    )
    names = list(RATE_TEST_SCHEDULES)
    evaluation = compiled.evaluate({"discounting.schedule": np.array(names, dtype=object)})
    runner.evaluations += len(names)
    bands = [b.name for b in DFT_VALUE_FOR_MONEY]
    out: list[RateTest] = []
    for oid in option_ids:
        rows: list[tuple[str, bool, Any, int]] = []
        if named_own not in names:
            rows.append((own, True, central.options[oid].incremental, -1))
        inc = evaluation.options[oid].incremental
        for k, name in enumerate(names):
            rows.append((NAMED_SCHEDULES[name].label, name == named_own, inc, k))
        for label, is_own, measures, k in rows:
            pick: Any = (lambda a: a) if k < 0 else (lambda a, k=k: np.asarray(a)[k])
            band = int(pick(measures.value_for_money_band))
            out.append(
                RateTest(
                    option_id=oid,
                    schedule=label,
                    is_scenario_schedule=is_own,
                    npsv=float(pick(measures.npsv)),
                    bcr_public=_ratio(pick(measures.bcr_public)),
                    bcr_public_and_community=_ratio(pick(measures.bcr_public_and_community)),
                    value_for_money=bands[band] if band >= 0 else None,
                )
            )
    years = scenario.appraisal_period_years
    if years > LONG_HORIZON_YEARS:
        note = (
            f"The appraisal period is {years} years, over {LONG_HORIZON_YEARS}: the Green Book "
            "(2026) requires the lower-rate sensitivity test (3.0% falling to 0.86%), shown in "
            "the rate tests. Health flows keep the health schedule in every test."
        )
    else:
        note = (
            f"The lower-rate test (Green Book 2026) is required only for horizons over "
            f"{LONG_HORIZON_YEARS} years; it is shown for information. Health flows keep the "
            "health schedule in every test."
        )
    return out, note
