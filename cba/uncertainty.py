"""Monte Carlo simulation of a compiled scenario (Green Book A5.21-A5.23; docs/methods.md §15).

The draws are a leading axis through the compiled model (``cba.model.evaluation``): no Python
loop over draws. Large simulations are evaluated in chunks of draws; each draw's figures do not
depend on the chunk size (the arithmetic of one setting is the same in any chunk), so chunking
bounds memory without changing a single result.

Each uncertain input draws from its own random stream, derived from the seed and the input's
parameter path (``cba.engine.sampling.stream``): adding or removing another input never changes
an input's draws. Rank correlations are imposed afterwards by re-ordering the correlated inputs'
draws (Iman and Conover 1982), which leaves every input's set of draws, and so its
distribution, exactly as drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba.engine.information import partial_information, perfect_information
from cba.engine.sampling import draw, draw_choice, rank_correlate, stream
from cba.engine.sobol import sobol_indices
from cba.model.evaluation import CompiledScenario, Parameter
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY
from cba.results import (
    Distribution,
    DrawTable,
    GroupInformation,
    InputInfluence,
    OptionUncertainty,
    UncertainParameter,
    UncertaintyResults,
)
from cba.spec.numeric_inputs import numeric_inputs, uncertain_entries
from cba.spec.parameters import matching_paths
from cba.spec.uncertainty import (
    Beta,
    Choice,
    InputGroup,
    LogNormal,
    MonteCarlo,
    Normal,
    Pert,
    Triangular,
    Uniform,
)

FloatArray = NDArray[np.float64]

CHUNK = 20_000
"""Draws evaluated together: bounds peak memory (results do not depend on it)."""

CURVE_POINTS = 101
"""Quantiles on the NPSV S-curve."""

HISTOGRAM_BINS = 30
"""Bins of the NPSV histogram."""

PRECISION = 0.01
"""Stated precision of P(NPSV > 0): a 95% interval of +/- 1 percentage point."""

CORRELATION_STREAM = "uncertainty.correlations"
"""Path naming the stream that orders correlated draws (not an input)."""


@dataclass(frozen=True)
class Drawn:
    """One uncertain input and its draws."""

    parameter: Parameter
    family: str
    words: str
    why: str
    values: NDArray[Any]
    distribution: Any = None
    """The distribution drawn from (a ``cba.spec.uncertainty`` family)."""
    origin: str = "block"
    """Where the distribution is given: ``block``, ``inline`` (a line's ``uncertain:``) or
    ``grade`` (a default spread from a confidence grade)."""


def _family_parameters(distribution: Any) -> tuple[str, dict[str, float], str]:
    """The sampling family, its parameters and the distribution in words."""
    if isinstance(distribution, Uniform):
        d = distribution
        return "uniform", {"low": d.low, "high": d.high}, f"uniform {d.low:g} to {d.high:g}"
    if isinstance(distribution, Triangular):
        d3 = distribution
        return (
            "triangular",
            {"low": d3.low, "mode": d3.mode, "high": d3.high},
            f"triangular {d3.low:g} / {d3.mode:g} / {d3.high:g}",
        )
    if isinstance(distribution, Pert):
        dp = distribution
        return (
            "pert",
            {"low": dp.low, "mode": dp.mode, "high": dp.high, "shape": dp.shape},
            f"PERT {dp.low:g} / {dp.mode:g} / {dp.high:g}",
        )
    if isinstance(distribution, Normal):
        dn = distribution
        params = {"mean": dn.centre, "sd": dn.spread}
        cut = ""
        if dn.low is not None:
            params["low"] = dn.low
            cut += f", at least {dn.low:g}"
        if dn.high is not None:
            params["high"] = dn.high
            cut += f", at most {dn.high:g}"
        return "normal", params, f"normal mean {dn.centre:g}, sd {dn.spread:.4g}{cut}"
    if isinstance(distribution, LogNormal):
        dl = distribution
        return (
            "lognormal",
            {"median": dl.centre, "sigma": dl.spread},
            f"log-normal median {dl.centre:.6g}, sigma {dl.spread:.4g}",
        )
    assert isinstance(distribution, Beta)
    a, b = distribution.shape_parameters
    return (
        "beta",
        {"alpha": a, "beta": b, "low": distribution.low, "high": distribution.high},
        f"beta alpha {a:.4g}, beta {b:.4g} on [{distribution.low:g}, {distribution.high:g}]",
    )


def drawn_inputs(compiled: CompiledScenario, draws: int, seed: int) -> list[Drawn]:
    """Every uncertain input's draws (correlations imposed), in the block's order."""
    scenario = compiled.scenario
    known = list(compiled.parameters)
    out: list[Drawn] = []
    for entry in uncertain_entries(scenario, numeric_inputs(scenario)):
        for path in matching_paths(entry.pattern, known):
            if path not in compiled.parameters:
                continue
            parameter = compiled.parameters[path]
            dist = entry.distribution
            values = _draw(parameter, dist, stream(seed, path), draws)
            if isinstance(dist, Choice):
                weights = "" if dist.weights is None else f" (weights {dist.weights})"
                words = "one of " + ", ".join(str(v) for v in dist.values) + weights
                family = "choice"
            else:
                family, _, words = _family_parameters(dist)
            out.append(Drawn(parameter, family, words, entry.why, values, dist, entry.origin))
    return _correlate(compiled, out, seed)


def _draw(parameter: Parameter, dist: Any, rng: np.random.Generator, n: int) -> NDArray[Any]:
    """``n`` draws of one input from its distribution (whole numbers rounded)."""
    if isinstance(dist, Choice):
        values: NDArray[Any] = draw_choice(list(dist.values), dist.weights, rng, n)
        return values if parameter.choices else values.astype(np.float64)
    family, params, _ = _family_parameters(dist)
    numbers = draw(family, params, rng, n)
    if parameter.whole:
        numbers = np.rint(numbers)
    # A log-normal's tail beyond the valid range is below one in a billion (checked at
    # validation); such a draw, if any, is held at the end of the range.
    if family == "lognormal" and parameter.high is not None:
        numbers = np.minimum(numbers, parameter.high)
    return numbers


def _correlate(compiled: CompiledScenario, drawn: list[Drawn], seed: int) -> list[Drawn]:
    pairs = compiled.scenario.uncertainty.correlations
    if not pairs:
        return drawn
    index = {d.parameter.path: k for k, d in enumerate(drawn)}
    involved = sorted({index[p] for pair in pairs for p in pair.between if p in index})
    position = {k: j for j, k in enumerate(involved)}
    target = np.eye(len(involved))
    for pair in pairs:
        a, b = (position[index[p]] for p in pair.between)
        target[a, b] = target[b, a] = pair.rank_correlation
    samples = np.column_stack([np.asarray(drawn[k].values, dtype=np.float64) for k in involved])
    ordered = rank_correlate(samples, target, stream(seed, CORRELATION_STREAM))
    out = list(drawn)
    for j, k in enumerate(involved):
        d = drawn[k]
        out[k] = Drawn(
            d.parameter, d.family, d.words, d.why, ordered[:, j], d.distribution, d.origin
        )
    return out


@dataclass(frozen=True)
class Figures:
    """Each option's figures at every draw (arrays of length draws)."""

    incremental: dict[str, dict[str, FloatArray]]
    gross_npsv: dict[str, FloatArray]


NAMES = (
    "npsv",
    "pv_benefits",
    "pv_public_costs",
    "pv_non_public_costs",
    "pv_community_inputs",
    "bcr_public",
    "bcr_public_and_community",
    "value_for_money_band",
    "payback_year_offset",
)


FIGURES = {"incremental": NAMES, "gross": ("npsv",)}
"""The measures a simulation reads of each evaluation."""


def evaluate_draws(
    compiled: CompiledScenario,
    drawn: Sequence[Drawn],
    draws: int,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> Figures:
    """The figures of every draw, ``chunk`` draws per evaluation.

    Only the figures collected (``FIGURES``) are computed; where every drawn input enters its
    lines linearly and no line reads two of them, the compiled model evaluates them in
    separable form (``CompiledScenario.separable``; docs/methods.md §15).
    """
    if draws < 1:
        raise ValueError(f"no draws to evaluate: {draws}")
    options = [o.id for o in compiled.scenario.options]
    incremental: dict[str, dict[str, NDArray[Any]]] = {o: {} for o in options}
    gross: dict[str, NDArray[Any]] = {}

    def put(into: dict[str, NDArray[Any]], key: str, chunk_values: Any, start: int) -> None:
        part = np.asarray(chunk_values)
        if key not in into:  # each figure is filled in place, chunk by chunk
            into[key] = np.empty(draws, dtype=part.dtype)
        into[key][start : start + len(part)] = part

    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        values = {d.parameter.path: d.values[start:stop] for d in drawn}
        evaluation = compiled.evaluate(values, figures=FIGURES)
        for o in options:
            inc = evaluation.options[o].incremental
            for name in NAMES:
                put(incremental[o], name, getattr(inc, name), start)
            put(gross, o, evaluation.options[o].gross.npsv, start)
        if progress is not None:
            progress(stop)
    return Figures(incremental=incremental, gross_npsv=gross)


def _summary(values: FloatArray) -> Distribution:
    finite = values[np.isfinite(values)]
    n = len(values)
    if len(finite) == 0:
        return Distribution(None, None, None, None, None, None, None, 1.0, None)
    p5, p25, median, p75, p95 = (float(x) for x in np.percentile(finite, [5, 25, 50, 75, 95]))
    constant = bool(finite.min() == finite.max())  # no spread: exactly that value, sd 0
    sd = 0.0 if constant or len(finite) < 2 else float(np.std(finite, ddof=1))
    return Distribution(
        mean=float(finite[0]) if constant else float(np.mean(finite)),
        median=median,
        sd=sd,
        p5=p5,
        p25=p25,
        p75=p75,
        p95=p95,
        undefined_share=1.0 - len(finite) / n,
        mean_standard_error=sd / np.sqrt(len(finite)),
    )


def _influence(x: FloatArray, y: FloatArray) -> float | None:
    """Spearman rank correlation of ``x`` and ``y`` (None where either is constant)."""
    rx = np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(np.float64)
    ry = np.argsort(np.argsort(y, kind="stable"), kind="stable").astype(np.float64)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def _simulation_draws(
    compiled: CompiledScenario, draws: int | None, seed: int | None
) -> tuple[int, int, list[Drawn]] | None:
    """The number of draws and the seed (the ``monte_carlo`` block unless overridden) and every
    uncertain input's draws; None when the scenario declares no uncertain input."""
    scenario = compiled.scenario
    if not scenario.declares_uncertainty:
        return None
    settings = scenario.monte_carlo or MonteCarlo()
    n = settings.draws if draws is None else draws
    s = settings.seed if seed is None else seed
    drawn = drawn_inputs(compiled, n, s)
    return (n, s, drawn) if drawn else None


def simulate(
    compiled: CompiledScenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> UncertaintyResults | None:
    """Monte Carlo over the scenario's uncertain inputs; None when it declares none.

    Parameters
    ----------
    draws, seed : int, optional
        Override the scenario's ``monte_carlo`` block (default: 10,000 draws, its seed).
    chunk : int
        Draws per evaluation (bounds memory; results do not depend on it).
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk of the draws (the Sobol design's
        evaluations included in the total).
    """
    scenario = compiled.scenario
    found = _simulation_draws(compiled, draws, seed)
    if found is None:
        return None
    n, s, drawn = found
    total = n + min(n, SOBOL_ROWS) * (len(drawn) + 2)
    figures = evaluate_draws(
        compiled, drawn, n, chunk, None if progress is None else lambda done: progress(done, total)
    )
    cf = scenario.counterfactual
    others = [o.id for o in scenario.options if o.id != cf]
    npsv_table = np.column_stack([np.zeros(n)] + [figures.incremental[o]["npsv"] for o in others])
    best = np.argmax(npsv_table, axis=1)
    band_names = [b.name for b in DFT_VALUE_FOR_MONEY]
    options = []
    for j, oid in enumerate(others, start=1):
        inc = figures.incremental[oid]
        npsv = inc["npsv"]
        p = float(np.mean(npsv > 0))
        bands = np.asarray(inc["value_for_money_band"], dtype=np.int64)
        vfm = {name: float(np.mean(bands == k)) for k, name in enumerate(band_names)}
        vfm["undefined"] = float(np.mean(bands < 0))
        payback = np.asarray(inc["payback_year_offset"], dtype=np.float64)
        years: dict[str, float] = {}
        for offset in np.unique(payback[np.isfinite(payback)]):
            years[str(scenario.first_year + int(offset))] = float(np.mean(payback == offset))
        years["none"] = float(np.mean(~np.isfinite(payback)))
        quantiles = np.linspace(0, 100, CURVE_POINTS)
        curve = tuple(
            (float(v), float(q / 100))
            for v, q in zip(np.percentile(npsv, quantiles), quantiles, strict=True)
        )
        counts, edges = np.histogram(npsv, bins=HISTOGRAM_BINS)
        histogram = tuple(
            (float(edges[k]), float(edges[k + 1]), int(counts[k])) for k in range(len(counts))
        )
        options.append(
            OptionUncertainty(
                option_id=oid,
                npsv=_summary(npsv),
                pv_benefits=_summary(inc["pv_benefits"]),
                pv_costs=_summary(inc["pv_public_costs"] + inc["pv_non_public_costs"]),
                pv_community_inputs=_summary(inc["pv_community_inputs"]),
                bcr_public=_summary(inc["bcr_public"]),
                bcr_public_and_community=_summary(inc["bcr_public_and_community"]),
                gross_npsv=_summary(figures.gross_npsv[oid]),
                probability_npsv_positive=p,
                probability_standard_error=float(np.sqrt(p * (1 - p) / n)),
                value_for_money=vfm,
                payback_year=years,
                probability_best=float(np.mean(best == j)),
                npsv_curve=curve,
                npsv_histogram=histogram,
            )
        )
    expected = npsv_table.mean(axis=0)
    perfect = npsv_table.max(axis=1)
    evpi = perfect_information(npsv_table)
    evpi_se = float(np.std(perfect - npsv_table[:, int(np.argmax(expected))], ddof=1) / np.sqrt(n))
    influences = []
    for d in drawn:
        for oid in others:
            numeric = d.values.dtype.kind not in "OUS"
            influences.append(
                InputInfluence(
                    option_id=oid,
                    parameter=d.parameter.path,
                    rank_correlation=_influence(
                        np.asarray(d.values, dtype=np.float64), figures.incremental[oid]["npsv"]
                    )
                    if numeric
                    else None,
                )
            )
    sobol = _sobol(
        compiled,
        drawn,
        n,
        s,
        chunk,
        others,
        None if progress is None else lambda done: progress(n + done, total),
    )
    influences = [
        InputInfluence(
            option_id=i.option_id,
            parameter=i.parameter,
            rank_correlation=i.rank_correlation,
            **sobol.get((i.option_id, i.parameter), {}),
        )
        for i in influences
    ]
    rows = min(n, SOBOL_ROWS)
    note = (
        f"Sobol indices of the incremental NPSV from a Saltelli design of {rows:,} rows "
        f"({rows * (len(drawn) + 2):,} evaluations; first order: Saltelli et al. 2010, total: "
        "Jansen 1999; 95% intervals by bootstrap)"
    )
    if scenario.uncertainty.correlations:
        note += (
            ". They treat the inputs as independent (the design does not carry the rank "
            "correlations): read them as a guide"
        )
    worst = max((o.probability_standard_error for o in options), default=0.0)
    if 1.96 * worst > PRECISION:
        needed = int(np.ceil((1.96 / PRECISION) ** 2 * 0.25))
        convergence = (
            f"{n:,} draws give P(NPSV > 0) to +/- {1.96 * worst:.1%} (95%); the stated precision "
            f"of +/- {PRECISION:.0%} needs about {needed:,} draws"
        )
    else:
        convergence = (
            f"{n:,} draws give P(NPSV > 0) to +/- {1.96 * worst:.2%} (95%), within the stated "
            f"precision of +/- {PRECISION:.0%}"
        )
    return UncertaintyResults(
        draws=n,
        seed=s,
        chunk=chunk,
        parameters=tuple(
            UncertainParameter(
                parameter=d.parameter.path,
                family=d.family,
                distribution=d.words,
                unit=d.parameter.unit,
                central=d.parameter.value,
                draws_mean=float(np.mean(d.values)) if d.values.dtype.kind not in "OUS" else None,
                evppi=partial_information([d.values], npsv_table),
                origin=d.origin,
                why=d.why,
            )
            for d in drawn
        ),
        correlations=tuple(
            (
                pair.between[0],
                pair.between[1],
                pair.rank_correlation,
                _achieved(drawn, pair.between[0], pair.between[1]),
            )
            for pair in scenario.uncertainty.correlations
        ),
        options=tuple(options),
        groups=_groups(scenario.uncertainty.groups, drawn, npsv_table),
        influences=tuple(influences),
        evpi=evpi,
        evpi_standard_error=evpi_se,
        convergence=convergence,
        sobol_rows=rows,
        sobol_note=note,
    )


SOBOL_ROWS = 4096
"""Rows of the Saltelli design (at most the number of draws)."""


def _sobol(
    compiled: CompiledScenario,
    drawn: Sequence[Drawn],
    n: int,
    seed: int,
    chunk: int,
    others: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Sobol indices of each option's incremental NPSV for each input: A and B drawn from
    each input's own second stream (seed, path + '#sobol'), AB_i = A with input i from B."""
    rows = min(n, SOBOL_ROWS)
    k = len(drawn)
    design: list[Drawn] = []
    for i, d in enumerate(drawn):
        both = _draw(
            d.parameter, d.distribution, stream(seed, d.parameter.path + "#sobol"), 2 * rows
        )
        a, b = both[:rows], both[rows:]
        columns = [a, b] + [b if j == i else a for j in range(k)]
        design.append(
            Drawn(d.parameter, d.family, d.words, d.why, np.concatenate(columns), d.distribution)
        )
    figures = evaluate_draws(compiled, design, rows * (k + 2), chunk, progress)
    rng = stream(seed, "uncertainty.sobol.bootstrap")
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for oid in others:
        f = figures.incremental[oid]["npsv"]
        found = sobol_indices(f[:rows], f[rows : 2 * rows], f[2 * rows :].reshape(k, rows), rng)
        for i, d in enumerate(drawn):

            def number(x: Any) -> float | None:
                return float(x) if np.isfinite(x) else None

            first, total = number(found.first[i]), number(found.total[i])
            lows = (number(found.first_low[i]), number(found.first_high[i]))
            tops = (number(found.total_low[i]), number(found.total_high[i]))
            out[(oid, d.parameter.path)] = {
                "sobol_first": first,
                "sobol_first_interval": None if None in lows else lows,
                "sobol_total": total,
                "sobol_total_interval": None if None in tops else tops,
            }
    return out


def _groups(
    groups: Sequence[InputGroup], drawn: Sequence[Drawn], npsv_table: FloatArray
) -> tuple[GroupInformation, ...]:
    """Each declared group's EVPPI: its inputs' draws together (cba.engine.information)."""
    paths = [d.parameter.path for d in drawn]
    by_path = {d.parameter.path: d for d in drawn}
    out = []
    for group in groups:
        named = list(
            dict.fromkeys(p for pattern in group.inputs for p in matching_paths(pattern, paths))
        )
        named = [p for p in named if p in by_path]
        out.append(
            GroupInformation(
                name=group.name,
                parameters=tuple(named),
                evppi=partial_information([by_path[p].values for p in named], npsv_table),
                why=group.why,
            )
        )
    return tuple(out)


def _achieved(drawn: Sequence[Drawn], a: str, b: str) -> float | None:
    by_path = {d.parameter.path: d for d in drawn}
    return _influence(
        np.asarray(by_path[a].values, dtype=np.float64),
        np.asarray(by_path[b].values, dtype=np.float64),
    )


DRAW_FIGURES = (
    ("npsv", "NPSV", "GBP PV"),
    ("pv_benefits", "PV benefits", "GBP PV"),
    ("pv_costs", "PV costs", "GBP PV"),
    ("pv_community_inputs", "PV community inputs", "GBP PV"),
    ("bcr_public", "BCR over public costs", "ratio"),
    ("bcr_public_and_community", "BCR with community inputs", "ratio"),
)
"""Each option's figures on a Draws sheet (incremental, against the counterfactual)."""


def draw_table(
    compiled: CompiledScenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    chunk: int = CHUNK,
) -> DrawTable | None:
    """Every draw of the simulation ``simulate`` summarises (the same draws, seed and
    figures: a draw's figures do not depend on the chunk), one row each; None when the
    scenario declares no uncertain input."""
    scenario = compiled.scenario
    found = _simulation_draws(compiled, draws, seed)
    if found is None:
        return None
    n, s, drawn = found
    cf = scenario.counterfactual
    others = [o.id for o in scenario.options if o.id != cf]
    headers = (
        "Draw",
        *(f"{d.parameter.path} [{d.parameter.unit}]" for d in drawn),
        *(f"{o}: {label} [{unit}]" for o in others for _, label, unit in DRAW_FIGURES),
    )

    def chunks() -> Iterator[tuple[Any, ...]]:
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            part = [
                Drawn(d.parameter, d.family, d.words, d.why, d.values[start:stop]) for d in drawn
            ]
            figures = evaluate_draws(compiled, part, stop - start, chunk)
            columns: list[Any] = [np.arange(start + 1, stop + 1, dtype=np.int64)]
            columns += [d.values for d in part]
            for o in others:
                inc = figures.incremental[o]
                for name, _, _ in DRAW_FIGURES:
                    if name == "pv_costs":
                        columns.append(inc["pv_public_costs"] + inc["pv_non_public_costs"])
                    else:
                        columns.append(np.asarray(inc[name], dtype=np.float64))
            yield tuple(columns)

    return DrawTable(headers=headers, draws=n, seed=s, chunks=chunks)
