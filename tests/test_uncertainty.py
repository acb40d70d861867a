"""Monte Carlo simulation (``cba.uncertainty``; the ``uncertainty:`` and ``monte_carlo:`` blocks;
``cba run --draws N --seed S``; docs/methods.md §15).

References are independent of the code under test: ``cba.run`` and ``cba.evaluate`` of the
deterministic scenario, closed-form moments of the families, a rank correlation and the
decision-analytic quantities (EVPI, P(NPSV > 0), value-for-money shares) recomputed here from
the per-draw figures of ``evaluate_draws``. Statistical tolerances come from the sample size
(4 standard errors at fixed seeds).
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from numpy.typing import NDArray

import cba
from cba.cli import main
from cba.io.workbook.verify import verify_workbook
from cba.model.evaluation import CompiledScenario, Evaluation
from cba.results import Results, UncertaintyResults
from cba.spec.scenario import Scenario
from cba.uncertainty import CHUNK, NAMES, Drawn, Figures, drawn_inputs, evaluate_draws, simulate

FloatArray = NDArray[np.float64]

ROOT = Path(__file__).resolve().parent.parent
BALSALL = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"

PATROLS = "options.resident_patrols"
VOLUNTEERS = f"{PATROLS}.community_inputs.street_patrols.volunteers"
HOURS = f"{PATROLS}.community_inputs.street_patrols.hours_per_volunteer"
BURGLARIES = f"{PATROLS}.benefits.burglary_avoided.outcomes_per_year"
ATTRIBUTION = f"{PATROLS}.benefits.burglary_avoided.attribution"
DEADWEIGHT = f"{PATROLS}.benefits.burglary_avoided.deadweight"
ASB_DEADWEIGHT = f"{PATROLS}.benefits.asb_avoided.deadweight"
ASB_VALUE = f"{PATROLS}.benefits.asb_avoided.unit_values.0.amount"

VALUE_A = "options.a.benefits.outcome.unit_values.0.amount"
VALUE_B = "options.b.benefits.outcome.unit_values.0.amount"
COST_B = "options.b.costs.running.amount_per_year"

GROSS_TERMS = (
    "pv_fiscal",
    "pv_economic",
    "pv_social",
    "pv_public_costs",
    "pv_non_public_costs",
    "pv_community_inputs",
)
FIGURES = (
    "npsv",
    "pv_benefits",
    "pv_public_costs",
    "pv_non_public_costs",
    "pv_community_inputs",
    "bcr_public",
    "bcr_public_and_community",
)
"""Incremental figures compared draw by draw with the deterministic run."""

Z = 4.0
"""Statistical checks allow 4 standard errors (a false alarm about once in 16,000 at a
fixed seed, and the seeds are fixed)."""

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A wide console (rich does not fold long paths) and a private working folder."""
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.chdir(tmp_path)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run ``cba ARGS`` in-process; return (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@cache
def loaded(path: Path) -> Scenario:
    """An example scenario, validated once per session."""
    return cba.load_scenario(path)


def without_inline(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without any line's ``uncertain:`` mapping (so that a test's ``uncertainty:``
    block names every distribution)."""
    for option in data.get("options", []):
        for kind in ("costs", "community_inputs", "benefits"):
            for line in option.get(kind, []):
                line.pop("uncertain", None)
    return data


def inline_to_block(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every line's ``uncertain:`` entries moved to the end of the
    ``uncertainty:`` block's inputs (the same distributions, written in one place)."""
    moved = []
    for option in data.get("options", []):
        for kind in ("costs", "community_inputs", "benefits"):
            for line in option.get(kind, []):
                for key, entry in line.pop("uncertain", {}).items():
                    path = f"options.{option['id']}.{kind}.{line['id']}.{key}"
                    moved.append({"parameter": path, **entry})
    data.setdefault("uncertainty", {}).setdefault("inputs", []).extend(moved)
    return data


def balsall_data() -> dict[str, Any]:
    """Balsall Heath as plain data (a fresh copy to change), its inline distributions moved
    to the ``uncertainty:`` block."""
    return inline_to_block(copy.deepcopy(loaded(BALSALL).to_data()))


def compiled_from(data: dict[str, Any]) -> CompiledScenario:
    """Validate plain data like a file and compile it."""
    return cba.compile_scenario(cba.scenario_from_dict(data))


def entry(path: str, why: str = "test", **distribution: Any) -> dict[str, Any]:
    """One ``uncertainty.inputs`` entry."""
    return {"parameter": path, "distribution": distribution, "why": why}


def draws_by_path(compiled: CompiledScenario, n: int, seed: int) -> dict[str, NDArray[Any]]:
    """Every uncertain input's draws (correlations imposed), by parameter path."""
    return {d.parameter.path: d.values for d in drawn_inputs(compiled, n, seed)}


def figures_of(compiled: CompiledScenario, n: int, seed: int) -> tuple[list[Drawn], Figures]:
    """The draws and every option's figures at each draw."""
    drawn = drawn_inputs(compiled, n, seed)
    return drawn, evaluate_draws(compiled, drawn, n)


def figure(value: float | None) -> float:
    """A figure of ``Results`` as a float; undefined (None) as NaN, as the engine has it."""
    return math.nan if value is None else float(value)


def gross_terms(evaluation: Evaluation, option: str, counterfactual: str) -> float:
    """Sum of the absolute gross present values of the option and the counterfactual: the
    size a rounding residual of an incremental figure is judged against [GBP PV]."""
    return sum(
        abs(float(np.asarray(getattr(evaluation.options[owner].gross, name))))
        for owner in {option, counterfactual}
        for name in GROSS_TERMS
    )


def spearman(x: FloatArray, y: FloatArray) -> float:
    """Spearman rank correlation, ties given their average rank: Pearson of the ranks."""

    def ranks(v: FloatArray) -> FloatArray:
        order = np.argsort(v, kind="stable")
        ordinal = np.empty(len(v))
        ordinal[order] = np.arange(1, len(v) + 1)
        _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
        averaged: FloatArray = np.bincount(inverse, weights=ordinal) / counts
        return averaged[inverse]

    rx, ry = ranks(x) - (len(x) + 1) / 2, ranks(y) - (len(y) + 1) / 2
    return float(np.sum(rx * ry) / math.sqrt(np.sum(rx * rx) * np.sum(ry * ry)))


def line_cost(line_id: str, amount: float, *, start: int, end: int) -> dict[str, Any]:
    """A cost line paid by the council from ``start`` to ``end``."""
    return {
        "id": line_id,
        "name": line_id,
        "category": "capital" if start == end else "revenue",
        "amount_per_year": amount,
        "paid_by": "council",
        "start_year": start,
        "end_year": end,
        "source": "test",
    }


def line_benefit(outcomes: float, unit_value: float) -> dict[str, Any]:
    """A benefit line, ``outcome``: ``outcomes`` a year at one social unit value."""
    return {
        "id": "outcome",
        "name": "outcome",
        "outcomes_per_year": outcomes,
        "unit_values": [{"value_type": "social", "amount": unit_value, "source": "test"}],
        "source": "test",
    }


def schemes(
    inputs: list[dict[str, Any]], *, two: bool = True, draws: int = 10_000, seed: int = 7
) -> dict[str, Any]:
    """Options ``a`` (and ``b`` when ``two``) against ``nothing`` over five years, with
    ``inputs`` uncertain.

    ``a``: 4,000 up front, 10 outcomes a year at 100 each (about 4,680 PV of benefits: it
    pays back in year 4). ``b``: 1,500 up front and 300 a year, 5 outcomes a year at 150.
    """
    a = {
        "id": "a",
        "name": "A",
        "costs": [line_cost("setup", 4000, start=2024, end=2024)],
        "benefits": [line_benefit(10, 100)],
    }
    b = {
        "id": "b",
        "name": "B",
        "costs": [
            line_cost("setup", 1500, start=2024, end=2024),
            line_cost("running", 300, start=2024, end=2028),
        ],
        "benefits": [line_benefit(5, 150)],
    }
    return {
        "cba_scenario": "1.0",
        "id": "monte_carlo_by_hand",
        "title": "Monte Carlo checks",
        "price_base_year": 2024,
        "first_year": 2024,
        "appraisal_period_years": 5,
        "discounting": {"schedule": "green_book_standard"},
        "agencies": [{"id": "council", "name": "Council", "sector": "public"}],
        "counterfactual": "nothing",
        "options": [{"id": "nothing", "name": "Do nothing"}, a, *([b] if two else [])],
        "uncertainty": {"inputs": inputs},
        "monte_carlo": {"draws": draws, "seed": seed},
    }


WIDE_A = entry(VALUE_A, family="uniform", low=40, high=200)
"""A's unit value: NPSV from about -2,100 to +5,400 (P(NPSV > 0) about 0.7)."""
WIDE_B = entry(VALUE_B, family="triangular", low=50, mode=150, high=300)
RUNNING_B = entry(COST_B, family="pert", low=200, mode=300, high=600)


def npsv_table(compiled: CompiledScenario, figures: Figures) -> FloatArray:
    """(draws, options) incremental NPSV, the counterfactual's column (all 0) first."""
    scenario = compiled.scenario
    others = [o.id for o in scenario.options if o.id != scenario.counterfactual]
    n = len(figures.incremental[others[0]]["npsv"])
    return np.column_stack([np.zeros(n)] + [figures.incremental[o]["npsv"] for o in others])


# --------------------------------------------------------------------------------------------
# 1. Degenerate distributions reproduce the deterministic run exactly
# --------------------------------------------------------------------------------------------


def degenerate_inputs(compiled: CompiledScenario) -> list[dict[str, Any]]:
    """A distribution with no spread at the file's value for every input the simulation can
    draw, the families taken in turn (a log-normal, whose support starts at 0, only for
    positive values of inputs valid from 0; a uniform otherwise)."""
    out = []
    for k, (path, parameter) in enumerate(compiled.parameters.items()):
        value = parameter.value
        if parameter.choices:
            out.append(entry(path, family="choice", values=[value]))
            continue
        assert isinstance(value, int | float)
        family = ("uniform", "triangular", "pert", "normal", "lognormal", "choice")[k % 6]
        if family == "lognormal" and (value <= 0 or (parameter.low or 0.0) > 0):
            family = "uniform"
        if family == "uniform":
            out.append(entry(path, family=family, low=value, high=value))
        elif family in ("triangular", "pert"):
            out.append(entry(path, family=family, low=value, mode=value, high=value))
        elif family == "normal":
            out.append(entry(path, family=family, mean=value, sd=0, low=value, high=value))
        elif family == "lognormal":
            out.append(entry(path, family=family, median=value, sigma=0))
        else:
            out.append(entry(path, family=family, values=[value]))
    return out


def degenerate_scenario(path: Path) -> Scenario:
    """The example with every drawable input given a degenerate distribution."""
    data = without_inline(copy.deepcopy(loaded(path).to_data()))
    data["uncertainty"] = {"inputs": degenerate_inputs(cba.compile_scenario(loaded(path)))}
    data.pop("monte_carlo", None)
    return cba.scenario_from_dict(data)


def test_degenerate_distributions_give_the_deterministic_figures_at_every_draw(
    scenario_path: Path,
) -> None:
    scenario = degenerate_scenario(scenario_path)
    compiled = cba.compile_scenario(scenario)
    assert len(scenario.uncertainty.inputs) == len(compiled.parameters)
    deterministic = cba.run(scenario, sensitivity=False, uncertainty=False)
    n = 1000
    drawn, figures = figures_of(compiled, n, seed=5)
    for d in drawn:  # every draw is the file's value itself
        assert all(v == d.parameter.value for v in d.values.tolist()), d.parameter.path
    for option in deterministic.options:
        for name in FIGURES:
            expected = figure(getattr(option.incremental, name))
            got = figures.incremental[option.option_id][name]
            assert got.shape == (n,)
            assert np.array_equal(got, np.full(n, expected), equal_nan=True), (
                option.option_id,
                name,
                expected,
                np.unique(got),
            )
        assert np.array_equal(figures.gross_npsv[option.option_id], np.full(n, option.gross.npsv))


def test_degenerate_distributions_summarise_to_the_deterministic_npsv() -> None:
    scenario = degenerate_scenario(BALSALL)
    deterministic = cba.run(scenario, sensitivity=False, uncertainty=False)
    simulated = simulate(cba.compile_scenario(scenario), draws=1000, seed=5)
    assert simulated is not None
    for option in simulated.options:
        expected = deterministic.option(option.option_id).incremental.npsv
        npsv = option.npsv
        assert npsv.median == npsv.p5 == npsv.p25 == npsv.p75 == npsv.p95 == expected
        assert npsv.mean == pytest.approx(expected, rel=1e-12)
        assert npsv.sd is not None and npsv.sd <= 1e-12 * abs(expected)
        assert option.probability_npsv_positive == (1.0 if expected > 0 else 0.0)
        assert option.probability_standard_error == 0.0
        assert option.npsv_curve[0][0] == option.npsv_curve[-1][0] == expected
        # no uncertainty, no value of information (to the rounding of the sums)
        assert abs(simulated.evpi) <= 1e-12 * abs(expected)
        assert all(p.evppi <= 1e-12 * abs(expected) for p in simulated.parameters)


def test_degenerate_npsv_summary_is_exact() -> None:
    scenario = degenerate_scenario(BALSALL)
    deterministic = cba.run(scenario, sensitivity=False, uncertainty=False)
    simulated = simulate(cba.compile_scenario(scenario), draws=1000, seed=5)
    assert simulated is not None
    for option in simulated.options:
        expected = deterministic.option(option.option_id).incremental.npsv
        assert option.npsv.mean == expected
        assert option.npsv.sd == 0.0


def test_evpi_is_never_negative() -> None:
    simulated = simulate(cba.compile_scenario(degenerate_scenario(BALSALL)), draws=1000, seed=5)
    assert simulated is not None
    assert simulated.evpi >= 0.0


# --------------------------------------------------------------------------------------------
# 2. Seeds and chunks
# --------------------------------------------------------------------------------------------


def balsall_simulation(draws: int, seed: int, chunk: int = CHUNK) -> UncertaintyResults:
    simulated = simulate(cba.compile_scenario(loaded(BALSALL)), draws=draws, seed=seed, chunk=chunk)
    assert simulated is not None
    return simulated


def test_same_seed_gives_identical_results_and_another_seed_does_not() -> None:
    first = balsall_simulation(5000, 11)
    assert balsall_simulation(5000, 11) == first
    other = balsall_simulation(5000, 12)
    assert other != first
    assert other.option("resident_patrols").npsv != first.option("resident_patrols").npsv
    # through the pipeline, and the scenario's own block when nothing overrides it
    assert cba.run(loaded(BALSALL), sensitivity=False, draws=5000, seed=11).uncertainty == first
    own = cba.run(loaded(BALSALL), sensitivity=False).uncertainty
    assert own is not None and (own.draws, own.seed) == (10_000, 20261202)
    assert own == balsall_simulation(10_000, 20261202)


@pytest.mark.parametrize("chunk", [1, 999, 1000, 3333, 10_000, 20_000])
def test_chunk_size_changes_no_result(chunk: int) -> None:
    n = 10_000 if chunk >= 999 else 250
    compiled = cba.compile_scenario(loaded(BALSALL))
    drawn = drawn_inputs(compiled, n, 3)
    whole = evaluate_draws(compiled, drawn, n, chunk=n)
    done: list[int] = []
    chunked = evaluate_draws(compiled, drawn, n, chunk=chunk, progress=done.append)
    assert done == [min(n, k) for k in range(chunk, n + chunk, chunk)]
    for option, by_name in whole.incremental.items():
        assert set(by_name) == set(NAMES)
        for name, values in by_name.items():
            assert np.array_equal(chunked.incremental[option][name], values, equal_nan=True)
        assert np.array_equal(chunked.gross_npsv[option], whole.gross_npsv[option])
    simulated = balsall_simulation(n, 3, chunk=chunk)
    assert simulated.chunk == chunk
    assert replace(simulated, chunk=n) == balsall_simulation(n, 3, chunk=n)


# --------------------------------------------------------------------------------------------
# 3. Each input's own stream
# --------------------------------------------------------------------------------------------


def add_first(data: dict[str, Any]) -> None:
    data["uncertainty"]["inputs"].insert(
        0, entry(ASB_DEADWEIGHT, family="uniform", low=0.2, high=0.4)
    )


def add_last(data: dict[str, Any]) -> None:
    data["uncertainty"]["inputs"].append(
        entry(ASB_VALUE, family="pert", low=300, mode=400, high=600)
    )


def remove_hours(data: dict[str, Any]) -> None:
    data["uncertainty"]["inputs"] = [
        e for e in data["uncertainty"]["inputs"] if e["parameter"] != HOURS
    ]
    data["uncertainty"]["groups"] = []


def move_hours_last(data: dict[str, Any]) -> None:
    inputs = data["uncertainty"]["inputs"]
    (hours,) = [e for e in inputs if e["parameter"] == HOURS]
    inputs.remove(hours)
    inputs.append(hours)


def swap_correlated_pair(data: dict[str, Any]) -> None:
    data["uncertainty"]["correlations"][0]["between"].reverse()


@pytest.mark.parametrize(
    "change", [add_first, add_last, remove_hours, move_hours_last, swap_correlated_pair]
)
def test_other_inputs_leave_an_inputs_draws_unchanged(
    change: Callable[[dict[str, Any]], None],
) -> None:
    base = draws_by_path(compiled_from(balsall_data()), 3000, 17)
    data = balsall_data()
    change(data)
    changed = draws_by_path(compiled_from(data), 3000, 17)
    shared = set(base) & set(changed)
    assert len(shared) >= 3
    for path in shared:
        assert np.array_equal(changed[path], base[path]), path
    for path in set(changed) - set(base):  # a new input is not a copy of another's stream
        assert not any(np.array_equal(changed[path], v) for v in base.values())


def test_correlation_reorders_draws_without_changing_them() -> None:
    data = balsall_data()
    correlated = draws_by_path(compiled_from(data), 3000, 17)
    data["uncertainty"]["correlations"] = []
    independent = draws_by_path(compiled_from(data), 3000, 17)
    for path in (VOLUNTEERS, BURGLARIES):
        assert not np.array_equal(correlated[path], independent[path])
        assert np.array_equal(np.sort(correlated[path]), np.sort(independent[path]))
    for path in (HOURS, ATTRIBUTION):
        assert np.array_equal(correlated[path], independent[path])


def test_wildcard_draws_each_input_as_if_listed_alone() -> None:
    deadweights = [
        f"{PATROLS}.benefits.{line}.deadweight"
        for line in ("burglary_avoided", "asb_avoided", "fear_of_crime")
    ]
    wild = balsall_data()
    wild["uncertainty"] = {
        "inputs": [entry(f"{PATROLS}.benefits.*.deadweight", family="uniform", low=0.15, high=0.45)]
    }
    listed = balsall_data()
    listed["uncertainty"] = {
        "inputs": [entry(p, family="uniform", low=0.15, high=0.45) for p in deadweights]
    }
    by_wildcard = draws_by_path(compiled_from(wild), 2000, 4)
    by_listing = draws_by_path(compiled_from(listed), 2000, 4)
    assert sorted(by_wildcard) == sorted(deadweights)
    for path in deadweights:
        assert np.array_equal(by_wildcard[path], by_listing[path])
    first, second, _ = (by_wildcard[p] for p in deadweights)
    assert abs(spearman(first, second)) < Z / math.sqrt(2000)  # independent, not one draw


# --------------------------------------------------------------------------------------------
# 4. Statistics at a fixed seed
# --------------------------------------------------------------------------------------------

N_STATS = 20_000
SEED_STATS = 20261202


@cache
def balsall_stats() -> tuple[UncertaintyResults, dict[str, NDArray[Any]], Figures]:
    """Balsall Heath's own block at 20,000 draws: results, draws and per-draw figures."""
    compiled = cba.compile_scenario(loaded(BALSALL))
    drawn, figures = figures_of(compiled, N_STATS, SEED_STATS)
    simulated = simulate(compiled, draws=N_STATS, seed=SEED_STATS)
    assert simulated is not None
    return simulated, {d.parameter.path: d.values for d in drawn}, figures


def triangular_moments(a: float, c: float, b: float) -> tuple[float, float]:
    """Mean and sd of a triangular distribution on [a, b] with mode c."""
    variance = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
    return (a + b + c) / 3, math.sqrt(variance)


def pert_moments(a: float, c: float, b: float, shape: float = 4.0) -> tuple[float, float]:
    """Mean and sd of a Beta-PERT on [a, b] with mode c."""
    alpha = 1 + shape * (c - a) / (b - a)
    beta = 1 + shape * (b - c) / (b - a)
    s = alpha + beta
    return a + (b - a) * alpha / s, (b - a) * math.sqrt(alpha * beta / (s * s * (s + 1)))


@pytest.mark.parametrize(
    ("path", "moments"),
    [
        pytest.param(VOLUNTEERS, triangular_moments(20, 40, 50), id="triangular-volunteers"),
        pytest.param(BURGLARIES, triangular_moments(10, 20, 30), id="triangular-burglaries"),
        pytest.param(HOURS, pert_moments(50, 100, 150), id="pert-hours"),
        pytest.param(ATTRIBUTION, (0.2, 0.07), id="beta-attribution"),
    ],
)
def test_sample_mean_of_each_input_is_within_four_standard_errors(
    path: str, moments: tuple[float, float]
) -> None:
    simulated, draws, _ = balsall_stats()
    mean, sd = moments
    values = np.asarray(draws[path], dtype=np.float64)
    assert abs(values.mean() - mean) <= Z * sd / math.sqrt(N_STATS)
    assert abs(values.std(ddof=1) - sd) <= Z * sd / math.sqrt(2 * (N_STATS - 1)) * 1.5
    (reported,) = [p for p in simulated.parameters if p.parameter == path]
    assert reported.draws_mean == pytest.approx(values.mean(), rel=1e-12)
    assert reported.central == cba.compile_scenario(loaded(BALSALL)).parameters[path].value


def test_achieved_rank_correlation_is_near_the_target() -> None:
    simulated, draws, _ = balsall_stats()
    ((a, b, target, achieved),) = simulated.correlations
    assert (a, b, target) == (VOLUNTEERS, BURGLARIES, 0.5)
    x = np.asarray(draws[a], dtype=np.float64)
    y = np.asarray(draws[b], dtype=np.float64)
    assert len(np.unique(x)) == len(np.unique(y)) == N_STATS  # continuous: no ties
    independent = spearman(x, y)
    assert achieved == pytest.approx(independent, abs=1e-12)
    assert abs(independent - target) <= Z / math.sqrt(N_STATS)


@pytest.mark.parametrize("target", [-0.8, -0.3, 0.3, 0.9])
def test_rank_correlation_reaches_other_targets(target: float) -> None:
    data = schemes([WIDE_A, WIDE_B, RUNNING_B])
    data["uncertainty"]["correlations"] = [
        {"between": [VALUE_A, COST_B], "rank_correlation": target}
    ]
    compiled = compiled_from(data)
    n = 8000
    draws = draws_by_path(compiled, n, 21)
    achieved = spearman(draws[VALUE_A], draws[COST_B])
    assert abs(achieved - target) <= Z / math.sqrt(n)
    assert abs(spearman(draws[VALUE_A], draws[VALUE_B])) <= Z / math.sqrt(n)


def test_probability_npsv_positive_is_the_share_of_positive_draws() -> None:
    simulated, _, figures = balsall_stats()
    npsv = figures.incremental["resident_patrols"]["npsv"]
    option = simulated.option("resident_patrols")
    p = int(np.count_nonzero(npsv > 0)) / N_STATS
    assert 0.05 < p < 0.99  # the example's NPSV straddles 0
    assert option.probability_npsv_positive == p
    assert option.probability_standard_error == pytest.approx(math.sqrt(p * (1 - p) / N_STATS))
    assert option.npsv.mean == pytest.approx(float(np.mean(npsv)), rel=1e-12)
    assert option.npsv.undefined_share == 0.0
    values = [v for v, _ in option.npsv_curve]
    assert values == sorted(values)
    assert (values[0], values[-1]) == (float(npsv.min()), float(npsv.max()))
    assert sum(count for _, _, count in option.npsv_histogram) == N_STATS


@cache
def two_scheme_stats() -> tuple[UncertaintyResults, CompiledScenario, Figures, Results]:
    data = schemes([WIDE_A, WIDE_B, RUNNING_B])
    compiled = compiled_from(data)
    _, figures = figures_of(compiled, 10_000, 7)
    simulated = simulate(compiled)
    assert simulated is not None
    return simulated, compiled, figures, cba.run(compiled.scenario, sensitivity=False)


def probabilities_case(which: str) -> tuple[UncertaintyResults, CompiledScenario, Figures]:
    if which == "balsall":
        simulated, _, figures = balsall_stats()
        return simulated, cba.compile_scenario(loaded(BALSALL)), figures
    if which == "sometimes_free":  # no public cost in a quarter of draws: BCR undefined
        setup = entry("options.a.costs.setup.amount_per_year", family="choice", values=[0, 4000])
        setup["distribution"]["weights"] = [1, 3]
        compiled = compiled_from(schemes([WIDE_A, setup], two=False, draws=4000))
        _, figures = figures_of(compiled, 4000, 7)
        found = simulate(compiled)
        assert found is not None
        return found, compiled, figures
    simulated, compiled, figures, _ = two_scheme_stats()
    return simulated, compiled, figures


@pytest.mark.parametrize("which", ["balsall", "two_schemes", "sometimes_free"])
def test_probabilities_add_up(which: str) -> None:
    simulated, compiled, figures = probabilities_case(which)
    table = npsv_table(compiled, figures)
    nothing_best = float(np.mean(np.all(table[:, 1:] <= 0, axis=1)))
    assert sum(o.probability_best for o in simulated.options) + nothing_best == pytest.approx(
        1.0, abs=1e-12
    )
    for j, option in enumerate(simulated.options, start=1):
        others = np.delete(table, j, axis=1)
        assert option.probability_best == pytest.approx(
            float(np.mean(table[:, j] > others.max(axis=1))), abs=1e-12
        )
        assert sum(option.value_for_money.values()) == pytest.approx(1.0, abs=1e-12)
        assert sum(option.payback_year.values()) == pytest.approx(1.0, abs=1e-12)
        years = range(compiled.scenario.first_year, compiled.scenario.last_year + 1)
        assert set(option.payback_year) <= {*map(str, years), "none"}
    if which == "two_schemes":  # the example is spread enough to make the sums mean something
        assert all(o.probability_best > 0.05 for o in simulated.options)
        assert nothing_best > 0.01
        assert all(
            len([p for p in o.payback_year.values() if p > 0]) >= 3 for o in simulated.options
        )


@pytest.mark.parametrize("which", ["balsall", "two_schemes", "sometimes_free"])
def test_value_for_money_shares_are_the_bcr_draws_in_each_band(which: str) -> None:
    simulated, compiled, figures = probabilities_case(which)
    bands = cba.run(compiled.scenario, sensitivity=False, uncertainty=False).value_for_money_bands
    for option in simulated.options:
        bcr = figures.incremental[option.option_id]["bcr_public"]
        for band in bands:
            above = (
                np.ones(len(bcr), dtype=bool)
                if band.lower is None
                else (bcr >= band.lower if band.lower_inclusive else bcr > band.lower)
            )
            below = (
                np.ones(len(bcr), dtype=bool)
                if band.upper is None
                else (bcr <= band.upper if band.upper_inclusive else bcr < band.upper)
            )
            share = float(np.mean(above & below & np.isfinite(bcr)))
            assert option.value_for_money[band.name] == pytest.approx(share, abs=1e-12), band
        undefined = float(np.mean(~np.isfinite(bcr)))
        assert option.value_for_money["undefined"] == undefined
        assert option.bcr_public.undefined_share == pytest.approx(undefined, abs=1e-12)
        if which == "sometimes_free":
            assert abs(undefined - 0.25) <= Z * math.sqrt(0.25 * 0.75 / len(bcr))


# --------------------------------------------------------------------------------------------
# 5. Linearity
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "distribution",
    [
        {"family": "uniform", "low": 40, "high": 200},
        {"family": "triangular", "low": 60, "mode": 100, "high": 300},
        {"family": "normal", "mean": 100, "sd": 30, "low": 0, "high": 1e9},
    ],
    ids=["uniform", "triangular", "cut-normal"],
)
def test_mean_npsv_is_the_npsv_at_the_mean_input_when_npsv_is_affine(
    distribution: dict[str, Any],
) -> None:
    compiled = compiled_from(
        schemes([{"parameter": VALUE_A, "distribution": distribution, "why": "t"}], two=False)
    )
    assert compiled.parameters[VALUE_A].linear
    simulated = simulate(compiled, draws=10_000, seed=9)
    assert simulated is not None
    (parameter,) = simulated.parameters
    (option,) = simulated.options
    assert parameter.draws_mean is not None
    at_mean = cba.evaluate(compiled, {VALUE_A: parameter.draws_mean})
    expected = float(np.asarray(at_mean.options["a"].incremental.npsv))
    size = gross_terms(at_mean, "a", "nothing")
    assert option.npsv.mean is not None
    assert abs(option.npsv.mean - expected) <= 1e-9 * size
    # the mean differs from the NPSV at the file's value by the slope times the shift
    assert (
        abs(
            option.npsv.mean
            - cba.run(compiled.scenario, uncertainty=False).option("a").incremental.npsv
        )
        > 1e-6 * size
    )


# --------------------------------------------------------------------------------------------
# 6. Value of information
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("two", [False, True], ids=["one-option", "two-options"])
def test_evpi_is_expected_max_less_max_expected(two: bool) -> None:
    inputs = [WIDE_A, WIDE_B, RUNNING_B] if two else [WIDE_A]
    compiled = compiled_from(schemes(inputs, two=two))
    _, figures = figures_of(compiled, 10_000, 7)
    simulated = simulate(compiled)
    assert simulated is not None
    table = npsv_table(compiled, figures)
    if not two:
        npsv = table[:, 1]
        evpi = float(np.mean(np.maximum(0.0, npsv)) - max(0.0, float(np.mean(npsv))))
    else:
        evpi = float(np.mean(table.max(axis=1)) - table.mean(axis=0).max())
    scale = float(np.abs(table).max())
    assert evpi > 0.01 * scale  # a real choice: the test can tell a wrong EVPI from 0
    assert simulated.evpi >= 0.0
    assert simulated.evpi == pytest.approx(evpi, abs=1e-9 * scale)
    assert 0 < simulated.evpi_standard_error < 0.1 * simulated.evpi
    for parameter in simulated.parameters:
        # the binned regression averages within bins: never above EVPI but for rounding
        assert 0.0 <= parameter.evppi <= simulated.evpi + 1e-9 * scale, parameter.parameter
    if not two:
        # NPSV is a function of this one input: binning loses at most the bin holding 0,
        # 1% of draws with an NPSV spread of about 1% of its range
        (parameter,) = simulated.parameters
        assert parameter.evppi >= simulated.evpi - np.ptp(table) / 100 / 100 * 2


def test_evppi_never_exceeds_evpi_in_the_example() -> None:
    simulated, _, figures = balsall_stats()
    scale = float(np.abs(figures.incremental["resident_patrols"]["npsv"]).max())
    assert simulated.evpi > 0
    for parameter in simulated.parameters:
        assert 0.0 <= parameter.evppi <= simulated.evpi + 1e-9 * scale


# --------------------------------------------------------------------------------------------
# 7. Invalid blocks: located messages, exit 2
# --------------------------------------------------------------------------------------------

LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): (?P<msg>.+)$")
ONE = f"    - parameter: {DEADWEIGHT}\n      distribution: {{DIST}}\n      why: x\n"
"""An entry on the burglary deadweight (file value 0.3); {DIST} is the flow mapping."""


def with_uncertainty(tmp_path: Path, block: str) -> Path:
    """Balsall Heath with its uncertainty and monte_carlo blocks replaced by ``block``."""
    text = BALSALL.read_text(encoding="utf-8")
    head = text[: text.index("\nuncertainty:\n") + 1]
    path = tmp_path / "scenario.yaml"
    path.write_text(head + block, encoding="utf-8")
    return path


def inputs_block(*dists: str, correlations: str = "", extra: str = "") -> str:
    """An uncertainty block: one entry on the deadweight per flow mapping in ``dists``."""
    block = "uncertainty:\n  inputs:\n" + "".join(
        ONE.replace("{DIST}", "{" + d + "}") for d in dists
    )
    return block + correlations + extra


THREE = (
    "uncertainty:\n  inputs:\n"
    f"    - parameter: {DEADWEIGHT}\n      distribution: {{family: uniform, low: 0.2, high: 0.4}}\n"
    "      why: x\n"
    f"    - parameter: {VOLUNTEERS}\n      distribution: {{family: uniform, low: 30, high: 50}}\n"
    "      why: x\n"
    f"    - parameter: {BURGLARIES}\n      distribution: {{family: uniform, low: 10, high: 30}}\n"
    "      why: x\n"
    "  correlations:\n"
    f"    - between: [{DEADWEIGHT}, {VOLUNTEERS}]\n      rank_correlation: 0.9\n"
    f"    - between: [{VOLUNTEERS}, {BURGLARIES}]\n      rank_correlation: 0.9\n"
    f"    - between: [{DEADWEIGHT}, {BURGLARIES}]\n      rank_correlation: -0.9\n"
)
"""Three inputs whose correlations contradict each other (smallest eigenvalue -0.8)."""

UNIFORM = "family: uniform, low: 0.2, high: 0.4"


@pytest.mark.parametrize(
    ("block", "where", "line", "starts", "fragment"),
    [
        pytest.param(
            inputs_block("family: uniform, low: 0.5, high: 0.2"),
            "inputs[0].distribution.low",
            4,
            "low",
            "low (0.5) must not be above high (0.2)",
            id="low-above-high",
        ),
        pytest.param(
            inputs_block("family: triangular, low: 0.1, mode: 0.6, high: 0.5"),
            "inputs[0].distribution.mode",
            4,
            "mode",
            "mode (0.6) must not be above high (0.5)",
            id="mode-outside",
        ),
        pytest.param(
            inputs_block("family: beta, mean: 0.3, sd: 0.5"),
            "inputs[0].distribution.sd",
            4,
            "sd",
            "cannot have sd 0.5: the sd must be below 0.4583",
            id="beta-impossible-sd",
        ),
        pytest.param(
            inputs_block("family: betta, mean: 0.3, sd: 0.1"),
            "inputs[0].distribution",
            4,
            "distribution",
            "Did you mean 'beta'?",
            id="unknown-family",
        ),
        pytest.param(
            inputs_block("family: normal, mean: 0.3, sd: 0.1"),
            "inputs[0].distribution",
            4,
            "distribution",
            "could fall outside its valid range [0, 1]. Give low and high",
            id="uncut-normal-on-a-share",
        ),
        pytest.param(
            inputs_block("family: uniform, low: 0.4, high: 0.6"),
            "inputs[0].distribution",
            4,
            "distribution",
            "file's value of '" + DEADWEIGHT + "' (0.3) lies outside the distribution's range",
            id="file-value-outside",
        ),
        pytest.param(
            inputs_block(UNIFORM).replace("deadweight", "deadwieght"),
            "inputs[0].parameter",
            3,
            "parameter",
            f"Did you mean '{DEADWEIGHT}'?",
            id="unknown-path",
        ),
        pytest.param(
            inputs_block("family: uniform, low: 2023, high: 2025").replace(
                DEADWEIGHT, "price_base_year"
            ),
            "inputs[0].parameter",
            3,
            "parameter",
            "'price_base_year' changes the structure of the scenario",
            id="structural",
        ),
        pytest.param(
            inputs_block(
                UNIFORM,
                correlations="  correlations:\n"
                f"    - between: [{DEADWEIGHT}, {VOLUNTEERS}]\n      rank_correlation: 0.5\n",
            ),
            "correlations[0].between[1]",
            7,
            VOLUNTEERS,
            "has no distribution (name each input",
            id="correlation-without-distribution",
        ),
        pytest.param(
            THREE,
            "correlations",
            12,
            "correlations",
            "do not form a valid correlation matrix",
            id="not-positive-definite",
        ),
        pytest.param(
            inputs_block(UNIFORM, extra="monte_carlo: {draws: 10}\n"),
            "draws",
            6,
            "draws",
            "must be at least 100; got 10",
            id="too-few-draws",
        ),
    ],
)
def test_bad_uncertainty_block_is_refused_with_a_located_message(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    block: str,
    where: str,
    line: int,
    starts: str,
    fragment: str,
) -> None:
    """``line`` counts from the block's first line (``uncertainty:``, 1)."""
    path = with_uncertainty(tmp_path, block)
    first = BALSALL.read_text(encoding="utf-8").split("\nuncertainty:\n")[0].count("\n") + 2
    code, out, err = cli(capsys, "validate", path)
    assert code == 2, out + err
    assert "Traceback" not in err and "internal error" not in err
    located = [m for m in map(LOCATED.match, err.splitlines()) if m]
    assert len(located) == 1, err
    (match,) = located
    assert match["file"] == str(path)
    section = "monte_carlo" if where == "draws" else "uncertainty"
    assert match["path"] == f"{section}.{where}"
    assert int(match["line"]) == first + line - 1
    text = path.read_text(encoding="utf-8").splitlines()[int(match["line"]) - 1]
    assert text[int(match["col"]) - 1 :].startswith(starts), text
    assert fragment in match["msg"]


def test_the_example_block_is_valid(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli(capsys, "validate", BALSALL)[0] == 0
    assert cli(capsys, "validate", with_uncertainty(tmp_path, inputs_block(UNIFORM)))[0] == 0


def test_lognormal_on_a_unit_value_is_accepted() -> None:
    data = balsall_data()
    data["uncertainty"]["inputs"].append(
        entry(ASB_VALUE, family="lognormal", median=400, sigma=0.2)
    )
    compiled = compiled_from(data)
    draws = draws_by_path(compiled, 4000, 1)[ASB_VALUE]
    assert abs(float(np.median(draws)) / 400 - 1) < 0.02


BAD_AT_RUN_TIME = [
    pytest.param(
        "uncertainty:\n  inputs:\n"
        "    - parameter: discounting.schedule\n"
        "      distribution: {family: choice, values: [green_book_standard, "
        "green_book_2026_lower_rate]}\n      why: x\n"
        + ONE.replace("{DIST}", "{" + UNIFORM + "}")
        + f"  correlations:\n    - between: [discounting.schedule, {DEADWEIGHT}]\n"
        "      rank_correlation: 0.3\n",
        id="correlated-named-schedule",
    ),
    pytest.param(
        inputs_block("family: normal, mean: 0.3, sd: 0.1, low: 0.35, high: 0.9"),
        id="file-value-outside-a-cut-normal",
    ),
    pytest.param(
        inputs_block("family: normal, mean: 0.3, sd: 0.001, low: 0.5, high: 0.6"),
        id="cut-normal-keeping-no-draws",
    ),
]
"""Blocks the simulation cannot honour: validate should refuse them (exit 2, located)."""


@pytest.mark.parametrize("block", BAD_AT_RUN_TIME)
def test_block_the_simulation_cannot_honour_is_refused_by_validate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, block: str
) -> None:
    path = with_uncertainty(tmp_path, block)
    code, out, err = cli(capsys, "validate", path)
    assert code == 2, out + err
    assert LOCATED.match(err.splitlines()[0]), err


# --------------------------------------------------------------------------------------------
# 8. The command line
# --------------------------------------------------------------------------------------------


def run_balsall(
    monkeypatch: pytest.MonkeyPatch, folder: Path, *extra: str
) -> tuple[int, dict[str, Any], bytes]:
    """``cba run`` of Balsall Heath from the repository (so ``cba verify`` finds the file)
    into ``folder``: exit code, JSON results and their bytes."""
    monkeypatch.chdir(ROOT)
    code = main(["run", str(BALSALL), "-o", str(folder), "-q", *extra])
    written = folder / "balsall_heath_community_safety.json"
    data = written.read_bytes() if written.exists() else b""
    return code, json.loads(data) if data else {}, data


def test_run_with_draws_and_seed_writes_them_and_reproduces(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, results, first = run_balsall(monkeypatch, tmp_path / "a", "--draws", "500", "--seed", "3")
    assert code == 0
    section = results["uncertainty"]
    assert (section["draws"], section["seed"]) == (500, 3)
    provenance = results["provenance"]
    assert (provenance["random_seed"], provenance["monte_carlo_draws"]) == (3, 500)
    assert "--draws=500" in provenance["command"] and "--seed=3" in provenance["command"]
    expected = cba.run(loaded(BALSALL), sensitivity=False, draws=500, seed=3).uncertainty
    assert expected is not None
    (option,) = section["options"]
    assert option["probability_npsv_positive"] == expected.options[0].probability_npsv_positive
    assert option["npsv"]["mean"] == expected.options[0].npsv.mean
    book = tmp_path / "a" / "balsall_heath_community_safety.xlsx"
    assert "Uncertainty" in openpyxl.load_workbook(book, read_only=True).sheetnames
    # the same command again, elsewhere: the same bytes
    code, _, second = run_balsall(monkeypatch, tmp_path / "b", "--draws", "500", "--seed", "3")
    assert code == 0 and second == first
    # another seed: other figures
    code, other, _ = run_balsall(monkeypatch, tmp_path / "c", "--draws", "500", "--seed", "4")
    assert code == 0
    assert other["uncertainty"]["options"][0]["npsv"] != option["npsv"]


def test_workbook_with_draws_and_seed_verifies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run_balsall(monkeypatch, tmp_path, "--draws", "500", "--seed", "3")
    assert code == 0
    book = tmp_path / "balsall_heath_community_safety.xlsx"
    outcome = verify_workbook(book, workdir=ROOT)
    assert outcome.sha256_matches
    assert outcome.compared > 0
    assert outcome.figures_match, outcome.differences
    capsys.readouterr()
    assert main(["verify", str(book)]) == 0
    assert "figures match" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args", [("--draws", "5"), ("--draws", "99"), ("--seed", "-1")], ids=["5", "99", "seed"]
)
def test_run_refuses_bad_draws_or_seed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    out_dir = tmp_path / "out"
    code, _, err = cli(capsys, "run", BALSALL, "-o", out_dir, "-q", *args)
    assert code == 2
    assert args[0] in err and "internal error" not in err
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_sobol_indices_of_every_input_are_shares_of_the_variance() -> None:
    """Every drawn input gets first-order and total indices of the NPSV with intervals around
    them; the indices are shares of a variance (about 0 to 1), a first-order index is not above
    its total by more than sampling error, and the first-order shares add up to about 1 at most
    (the Balsall Heath example's NPSV is nearly additive in its four inputs)."""
    compiled = cba.compile_scenario(ROOT / "scenarios" / "balsall_heath_community_safety.yaml")
    found = simulate(compiled, draws=4000)
    assert found is not None and found.sobol_rows == 4000
    assert "Saltelli" in found.sobol_note and "independent" in found.sobol_note
    firsts = []
    for item in found.influences:
        assert item.sobol_first is not None and item.sobol_total is not None
        assert item.sobol_first_interval is not None and item.sobol_total_interval is not None
        assert -0.1 <= item.sobol_first <= 1.1 and -0.1 <= item.sobol_total <= 1.1
        low, high = item.sobol_first_interval
        assert low <= item.sobol_first <= high
        assert item.sobol_first <= item.sobol_total + 0.1
        firsts.append(item.sobol_first)
    assert 0.8 <= sum(firsts) <= 1.1


def test_simulation_reports_progress_up_to_its_total_and_is_silent_when_captured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``simulate(progress=...)`` is told (done, total) after every chunk, ending at the total
    (the draws and the Sobol design); the command shows no progress bar in captured output."""
    compiled = cba.compile_scenario(ROOT / "scenarios" / "balsall_heath_community_safety.yaml")
    calls: list[tuple[int, int]] = []
    simulate(compiled, draws=3000, chunk=1000, progress=lambda d, t: calls.append((d, t)))
    totals = {t for _, t in calls}
    assert len(totals) == 1
    (total,) = totals
    assert total == 3000 + 3000 * (4 + 2)
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == total and done[0] == 1000
    from cba.cli import main

    capsys.readouterr()
    code = main(
        [
            "run",
            str(ROOT / "scenarios" / "balsall_heath_community_safety.yaml"),
            "-o",
            str(tmp_path),
            "--draws",
            "20000",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "Monte Carlo" not in captured.out + captured.err
    assert "\x1b" not in captured.out
