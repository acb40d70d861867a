"""Scale sweeps: one vectorised evaluation of an option over a leading axis of scale points.

Wiring only, like ``cba.pipeline``: the option's line arrays are compiled once
(``cba.model.compile``),
multiplied by each line's scale law evaluated at every point (``cba.engine.scale``), and passed
to the same engine functions as a single run, with the scale axis in front. There is no Python
loop over points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba.engine import appraisal
from cba.engine import scale as laws
from cba.model.compile import LineArrays, OptionModel, compile_schedules
from cba.model.evaluation import CompiledScenario
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY
from cba.results import LineScaling, ScaleCurve
from cba.spec.scale import (
    Coordination,
    Fixed,
    FixedPlusVariable,
    Learning,
    Participation,
    PowerLaw,
    Proportional,
    Saturating,
    Scale,
    ScalingLaw,
    Step,
    Table,
)
from cba.spec.scenario import Option, Scenario

FloatArray = NDArray[np.float64]

DEFAULT_SPAN = (0.1, 5.0)
"""Sweep from n0 x 0.1 to n0 x 5 when an option declares no sweep (``cba scale``)."""
DEFAULT_POINTS = 50
MAX_POINTS = 100_000
"""Most sweep points evaluated (``cba scale --points``; a scenario's ``sweep.points`` has the
same maximum): about 1 s and 200 MB at this maximum (benchmarks/, docs/scale.md)."""


class ScaleError(ValueError):
    """An option cannot be swept (no scale driver)."""


def multiplier(law: ScalingLaw | None, n: FloatArray, n0: float) -> FloatArray:
    """The law's multiplier of the amount at ``n0``, at every sweep point ``n`` (S,)."""
    if law is None or isinstance(law, Proportional):
        return laws.proportional(n, n0)
    if isinstance(law, Fixed):
        return laws.fixed(n, n0)
    if isinstance(law, PowerLaw):
        return laws.power(n, n0, law.elasticity)
    if isinstance(law, FixedPlusVariable):
        return laws.fixed_plus_variable(n, n0, law.fixed_share)
    if isinstance(law, Step):
        return laws.step(n, n0, law.per)
    if isinstance(law, Coordination):
        if law.form == "pairwise":
            return laws.pairwise(n, n0)
        return laws.power(n, n0, law.exponent or 1.0)
    if isinstance(law, Saturating):
        return laws.saturating(n, n0, law.rate)
    if isinstance(law, Participation):
        return laws.participation(n, n0, law.delta)
    if isinstance(law, Learning):
        return laws.learning(n, n0, law.b)
    if isinstance(law, Table):
        return laws.piecewise(n, n0, [p.n for p in law.points], [p.value for p in law.points])
    raise TypeError(f"unknown scale law {law!r}")  # unreachable: the union is exhaustive


def describe(law: ScalingLaw | None) -> str:
    """A law and its parameters in words."""
    if law is None:
        return "proportional (default)"
    if isinstance(law, Table):
        return "table: " + ", ".join(f"({p.n:g}, {p.value:g})" for p in law.points)
    params = {k: v for k, v in law.model_dump().items() if k != "law" and v is not None}
    inner = ", ".join(
        f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in params.items()
    )
    return law.law.replace("_", " ") + (f" ({inner})" if inner else "")


def sweep_points(spec: Scale, points: int | None = None) -> FloatArray:
    """The driver values to evaluate, always including ``n0``."""
    if points is not None and not 2 <= points <= MAX_POINTS:
        raise ScaleError(
            f"the number of sweep points must be from 2 to {MAX_POINTS:,}; got {points:,}"
        )
    if spec.sweep is not None:
        return laws.sweep_points(
            spec.sweep.start,
            spec.sweep.stop,
            points or spec.sweep.points,
            spec.sweep.spacing == "logarithmic",
            spec.n0,
        )
    start, stop = spec.n0 * DEFAULT_SPAN[0], spec.n0 * DEFAULT_SPAN[1]
    return laws.sweep_points(start, stop, points or DEFAULT_POINTS, False, spec.n0)


def collapsed(inputs: dict[str, Any]) -> dict[str, Any]:
    """Engine inputs with the year axis collapsed to each line's present value.

    Every swept figure is a present value, and a law multiplies a whole line, so a line at
    scale n contributes m(n) x its PV. Each line's PV is taken exactly as the engine takes it
    (flows x factors, summed over years), then stands as a single "year" with factor 1: the
    engine then adds lines in the same order as in a single run, and at ``n_0`` (m = 1) the
    figures are identical to the unswept run's.
    """
    out = dict(inputs)
    for flows, factors in (
        ("cost_flows", "cost_factors"),
        ("input_flows", "input_factors"),
        ("value_flows", "value_factors"),
    ):
        pv = np.sum(inputs[flows] * inputs[factors], axis=-1)
        out[flows] = pv[..., np.newaxis]
        out[factors] = np.ones((*pv.shape[-1:], 1))
    return out


def _scaled_inputs(
    option: Option, parts: LineArrays, n: FloatArray, n0: float
) -> tuple[dict[str, Any], FloatArray]:
    """Collapsed engine inputs with every line multiplied by its law at each point (leading
    axis S), and the benefit lines' multipliers (S, Lb, 1)."""
    inputs = collapsed(parts.engine_inputs)

    def stack(lines: list[ScalingLaw | None]) -> FloatArray:
        if not lines:
            return np.zeros((n.size, 0, 1))
        return np.stack([multiplier(law, n, n0) for law in lines], axis=1)[:, :, np.newaxis]

    benefit_m = stack([b.scaling for b in option.benefits])  # (S, Lb, 1)
    inputs["cost_flows"] = inputs["cost_flows"] * stack([c.scaling for c in option.costs])
    inputs["input_flows"] = inputs["input_flows"] * stack(
        [i.scaling for i in option.community_inputs]
    )
    inputs["value_flows"] = inputs["value_flows"] * benefit_m[:, parts.value_lines, :]
    return inputs, benefit_m


def _discounted_outcomes(
    arrays: OptionModel,
    parts: LineArrays,
    option: Option,
    counted: set[str],
    benefit_m: FloatArray | None,
) -> FloatArray:
    """Counted net outcomes, discounted like their benefits: (S,) or () without a sweep."""
    total: FloatArray = np.zeros(() if benefit_m is None else benefit_m.shape[0])
    for index, (benefit, (_, net)) in enumerate(zip(option.benefits, parts.chains, strict=True)):
        if benefit.id not in counted:
            continue
        factors = arrays.health if benefit.health else arrays.standard
        pv = float(np.sum(net * factors))
        total = total + (pv if benefit_m is None else pv * benefit_m[:, index, 0])
    return total


def _per_outcome(money: FloatArray, outcomes: FloatArray) -> FloatArray:
    """Money per outcome where there are outcomes and the ratio is a usable number, else NaN."""
    with np.errstate(all="ignore"):
        ratio = money / np.where(outcomes > 0, outcomes, 1.0)
    return np.where((outcomes > 0) & np.isfinite(ratio), ratio, np.nan)


def _none(values: FloatArray) -> tuple[float | None, ...]:
    """Floats, with None in place of NaN (an undefined figure)."""
    out: list[float | None] = values.tolist()
    for index in np.flatnonzero(np.isnan(values)).tolist():
        out[index] = None
    return tuple(out)


def sweep_option(
    scenario: Scenario,
    option_id: str,
    points: int | None = None,
    at: Sequence[float] | None = None,
) -> ScaleCurve:
    """Evaluate an option over its scale sweep, against the unscaled counterfactual.

    ``at`` gives the driver values to evaluate in place of the sweep (each > 0; ``n0`` is
    always added, and the points are sorted and made unique; at least 2 must remain).
    """
    option = scenario.option(option_id)
    spec = option.scale
    if spec is None:
        raise ScaleError(
            f"option '{option_id}' declares no scale driver. Add scale: {{driver: ..., n0: ...}} "
            "to it in the scenario"
        )
    schedules = compile_schedules(scenario)
    if at is not None:
        given = np.asarray(at, dtype=np.float64)
        if given.size == 0 or not np.all(np.isfinite(given) & (given > 0)):
            raise ScaleError("the scales to evaluate must be positive, finite numbers")
        n = np.unique(np.append(given, spec.n0))
        if n.size < 2:
            raise ScaleError("a sweep needs at least 2 distinct scales (n0 included)")
    else:
        n = sweep_points(spec, points)
    arrays = OptionModel(scenario, option, schedules)
    parts = arrays.parts()
    inputs, benefit_m = _scaled_inputs(option, parts, n, spec.n0)
    totals = appraisal.yearly_totals(**inputs)
    cf_option = scenario.option(scenario.counterfactual)
    cf_arrays = OptionModel(scenario, cf_option, schedules)
    cf_parts = cf_arrays.parts()
    cf_totals = appraisal.yearly_totals(**collapsed(cf_parts.engine_inputs))
    bands = np.array([b.lower for b in DFT_VALUE_FOR_MONEY])
    # One collapsed "year" with factor 1: every figure used below is a present value (the
    # equivalent annual value and payback year of these measures are not used).
    m = appraisal.measures(totals - cf_totals, np.ones(1), bands, with_irr=False)

    counted = {spec.outcome} if spec.outcome else {b.id for b in option.benefits}
    outcomes = _discounted_outcomes(arrays, parts, option, counted, benefit_m) - (
        _discounted_outcomes(
            cf_arrays,
            cf_parts,
            cf_option,
            counted if spec.outcome else {b.id for b in cf_option.benefits},
            None,
        )
    )
    costs = m.pv_public_costs + m.pv_non_public_costs
    resources = costs + m.pv_community_inputs
    average = _per_outcome(costs, outcomes)
    average_resource = _per_outcome(resources, outcomes)
    marginal_cost = laws.ratio_of_changes(costs, outcomes)
    marginal_bcr = laws.ratio_of_changes(m.pv_benefits - m.pv_non_public_costs, m.pv_public_costs)
    best = int(np.argmax(m.npsv))
    at_edge = best in (0, n.size - 1)
    break_even = tuple(
        (float(n[a]), float(n[b]))
        for a, b in laws.stretches(np.nan_to_num(m.bcr_public, nan=-np.inf) >= 1.0)
    )
    regimes = tuple((float(n[a]), float(n[b]), label) for a, b, label in laws.regimes(average))
    driver = spec.driver
    statement = (
        f"Net present social value is highest at {n[best]:,.4g} {driver} "
        f"(£{m.npsv[best]:,.0f})"
        + (
            " - at the end of the swept range: the true optimum may lie outside it"
            if at_edge
            else ""
        )
        + ". "
        + (
            "The BCR over public costs is at least 1 for "
            + "; ".join(f"{a:,.4g} to {b:,.4g} {driver}" for a, b in break_even)
            if break_even
            else "The BCR over public costs is below 1 everywhere in the swept range"
        )
        + "."
    )
    line_laws = tuple(
        [LineScaling("cost", c.id, describe(c.scaling)) for c in option.costs]
        + [
            LineScaling("community input", i.id, describe(i.scaling))
            for i in option.community_inputs
        ]
        + [LineScaling("benefit", b.id, describe(b.scaling)) for b in option.benefits]
    )
    agency_ids = [a.id for a in scenario.agencies]
    return ScaleCurve(
        option_id=option.id,
        driver=driver,
        n0=spec.n0,
        points=tuple(n.tolist()),
        n0_index=int(np.flatnonzero(n == spec.n0)[0]),
        outcome_lines=tuple(sorted(counted)),
        pv_benefits=tuple(m.pv_benefits.tolist()),
        pv_public_costs=tuple(m.pv_public_costs.tolist()),
        pv_non_public_costs=tuple(m.pv_non_public_costs.tolist()),
        pv_community_inputs=tuple(m.pv_community_inputs.tolist()),
        npsv=tuple(m.npsv.tolist()),
        npsv_excluding_community_inputs=tuple(m.npsv_excluding_community_inputs.tolist()),
        bcr_public=_none(m.bcr_public),
        bcr_public_and_community=_none(m.bcr_public_and_community),
        outcomes=tuple(outcomes.tolist()),
        average_cost_per_outcome=_none(average),
        average_resource_cost_per_outcome=_none(average_resource),
        marginal_cost_per_outcome=_none(marginal_cost),
        marginal_bcr=_none(marginal_bcr),
        roi_by_agency={a: _none(m.roi_by_agency[:, i]) for i, a in enumerate(agency_ids)},
        net_by_agency={a: tuple(m.net_by_agency[:, i].tolist()) for i, a in enumerate(agency_ids)},
        optimum_index=best,
        optimum_n=float(n[best]),
        optimum_npsv=float(m.npsv[best]),
        optimum_at_edge=at_edge,
        break_even_ranges=break_even,
        regimes=regimes,
        laws=line_laws,
        statement=statement,
    )


def public_costs_by_agency(
    scenario: Scenario, option_id: str, at: Sequence[float] | None = None
) -> tuple[FloatArray, tuple[str, ...]]:
    """Incremental public costs of an option by agency and year, undiscounted.

    Parameters
    ----------
    scenario : Scenario
    option_id : str
    at : sequence of float, optional
        Driver values (S,) at which to scale the option's cost lines by their laws; without,
        the option as written (S = 1).

    Returns
    -------
    costs : (S, A, T)
        Each public agency's share of the option's cost lines (after optimism bias) minus the
        counterfactual's (unscaled), in year offset t from ``first_year`` [GBP per year, real,
        at the scenario's price base]; zero for agencies outside the public sector.
    agency_ids : (A,)
        The scenario's agencies, in order.
    """
    option = scenario.option(option_id)
    schedules = compile_schedules(scenario)

    def by_agency(opt: Option, m: FloatArray) -> FloatArray:
        inputs = OptionModel(scenario, opt, schedules).parts().engine_inputs
        flows = np.asarray(inputs["cost_flows"])  # (Lc, T)
        shares = np.where(inputs["public_agencies"], np.asarray(inputs["cost_shares"]), 0.0)
        out: FloatArray = np.einsum("sl,lt,la->sat", m, flows, shares)
        return out

    if at is None:
        m = np.ones((1, len(option.costs)))
    else:
        spec = option.scale
        if spec is None:
            raise ScaleError(
                f"option '{option_id}' declares no scale driver, so it cannot be scaled"
            )
        n = np.asarray(at, dtype=np.float64)
        if len(option.costs):
            m = np.stack([multiplier(c.scaling, n, spec.n0) for c in option.costs], axis=1)
        else:
            m = np.zeros((n.size, 0))
    counterfactual = scenario.option(scenario.counterfactual)
    base = by_agency(counterfactual, np.ones((1, len(counterfactual.costs))))
    return by_agency(option, m) - base, tuple(a.id for a in scenario.agencies)


def line_multipliers(option: Option, at: Sequence[float] | None) -> tuple[FloatArray, FloatArray]:
    """Each cost line's and each benefit line's scale multiplier at each driver value.

    Returns ``(costs, benefits)`` of shapes (S, Lc) and (S, Lb) [dimensionless]: the line's
    law at each of ``at`` relative to ``n0``; ones (S = 1) without ``at``. A law multiplies a
    whole line (every year, every unit value), so a line's PV at scale n is m(n) x its PV.
    """
    if at is None:
        return np.ones((1, len(option.costs))), np.ones((1, len(option.benefits)))
    spec = option.scale
    if spec is None:
        raise ScaleError(f"option '{option.id}' declares no scale driver, so it cannot be scaled")
    n = np.asarray(at, dtype=np.float64)

    def stack(lines: list[ScalingLaw | None]) -> FloatArray:
        if not lines:
            return np.zeros((n.size, 0))
        return np.stack([multiplier(law, n, spec.n0) for law in lines], axis=1)

    return stack([c.scaling for c in option.costs]), stack([b.scaling for b in option.benefits])


def discounted_outcomes(
    scenario: Scenario, option_id: str, lines: Sequence[str], at: Sequence[float] | None = None
) -> FloatArray:
    """Incremental net outcomes of the named benefit lines, discounted like their benefits.

    Parameters
    ----------
    lines : benefit line ids
        Counted where the option (and, subtracted, the counterfactual) has them.
    at : sequence of float, optional
        Driver values (S,) at which to scale the option's benefit lines by their laws (the
        counterfactual is not scaled); without, the option as written (S = 1).

    Returns
    -------
    (S,)
        Option less counterfactual [discounted outcomes], as ``sweep_option``'s ``outcomes``
        when ``lines`` are the lines it counts.
    """
    option = scenario.option(option_id)
    schedules = compile_schedules(scenario)
    counted = set(lines)
    arrays = OptionModel(scenario, option, schedules)
    _, benefit_m = line_multipliers(option, at)
    mine = _discounted_outcomes(arrays, arrays.parts(), option, counted, benefit_m[:, :, None])
    cf_option = scenario.option(scenario.counterfactual)
    cf_arrays = OptionModel(scenario, cf_option, schedules)
    base = _discounted_outcomes(cf_arrays, cf_arrays.parts(), cf_option, counted, None)
    return np.asarray(mine - base, dtype=np.float64)


def npsv_by_draw(
    compiled: CompiledScenario,
    option_id: str,
    values: Mapping[str, Any],
    at: Sequence[float] | None = None,
) -> FloatArray:
    """An option's incremental NPSV at each draw of its inputs, at each scale, in one
    vectorised evaluation (no loop over draws or scales).

    Parameters
    ----------
    compiled : CompiledScenario
    option_id : str
    values : mapping of parameter path to (D,) arrays
        The draws of the inputs (as ``CompiledScenario.evaluate`` takes them).
    at : sequence of float, optional
        Driver values (K,) at which to scale the option's lines by their laws (the
        counterfactual is not scaled); without, the option as written (K = 1).

    Returns
    -------
    (D, K)
        Incremental NPSV against the counterfactual [GBP, PV at the price base year]. At the
        scenario's own values each row equals ``sweep_option``'s figures (``cba run``'s for
        K = 1) to the rounding of the sums.
    """
    scenario = compiled.scenario
    option = scenario.option(option_id)
    draws = {path: np.asarray(v).reshape(-1, 1) for path, v in values.items()}
    given, shape = compiled.checked(compiled.expand(draws))
    factors = compiled.factors(given) if given else None
    arrays = {p: np.asarray(v) for p, v in given.items() if not compiled.parameters[p].choices}
    d = shape[0] if shape else 1
    if at is None:
        n, n0 = np.ones(1), 1.0
        spec = None
    else:
        spec = option.scale
        if spec is None:
            raise ScaleError(f"option '{option_id}' declares no scale driver")
        n, n0 = np.asarray(at, dtype=np.float64), spec.n0
    parts = OptionModel(scenario, option, compiled.schedules, arrays, shape, factors).parts()
    if spec is None:
        inputs = collapsed(parts.engine_inputs)
    else:
        inputs, _ = _scaled_inputs(option, parts, n, n0)
    uplift = np.asarray(inputs.get("tax_burden_uplift", 0.0))
    if uplift.ndim == 1:  # one per draw: against the (D, K) lead
        inputs["tax_burden_uplift"] = uplift[:, np.newaxis]
    totals = appraisal.yearly_totals(**inputs)
    cf_option = scenario.option(scenario.counterfactual)
    cf_inputs = collapsed(
        OptionModel(scenario, cf_option, compiled.schedules, arrays, shape, factors)
        .parts()
        .engine_inputs
    )
    cf_uplift = np.asarray(cf_inputs.get("tax_burden_uplift", 0.0))
    if cf_uplift.ndim == 1:
        cf_inputs["tax_burden_uplift"] = cf_uplift[:, np.newaxis]
    cf_totals = appraisal.yearly_totals(**cf_inputs)
    bands = np.array([b.lower for b in DFT_VALUE_FOR_MONEY])
    m = appraisal.measures(totals - cf_totals, np.ones(1), bands, with_irr=False, only=("npsv",))
    out: FloatArray = np.broadcast_to(np.asarray(m.npsv, dtype=np.float64), (d, n.size)).copy()
    return out
