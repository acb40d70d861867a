"""Monte Carlo benchmark (part of ``make bench``): the 50-line, 30-year scenario of
:mod:`whatif_benchmark` with an ``uncertainty:`` block of 20 inputs on 20 distinct lines (8 cost
amounts, triangular +/-30%; 6 unit values, PERT +/-40%; 6 deadweights, beta with the file's
value as mean and sd 0.05), timed in one process.

Figures, each against its issue target where there is one:

1. ``cba.uncertainty.simulate`` of 100,000 draws (default chunk) and ``evaluate_draws`` alone:
   wall time (median of 3 after a warm-up) and peak traced memory (tracemalloc).
2. The hand-written numpy floor of the same work (``FullFloor``): every figure
   ``evaluate_draws`` collects (each option's incremental NPSV, PVB, PV public costs, PV
   non-public costs, PV community inputs, both BCRs, the DfT category and the payback year, and
   its gross NPSV), written from the file's numbers as a competent numpy programmer would: each
   varied line's flows are affine in its input, so the four present values are the file's plus
   ``(x - x_file) @ C`` and the discounted net flows by year ``(x - x_file) @ U`` (BLAS
   matmuls), then the ratios, the band and the payback year vectorised over the draws. Timed on
   all draws at once and in chunks of the engine's chunk size; the faster is the floor. Checked
   against the engine per draw: money to 1e-9 of the gross terms (PVB plus both options'
   costs), the ratios to 1e-9 of themselves, the band and the payback year equal. Target:
   ``evaluate_draws`` <= 2 x the floor. For reference, two NPSV-only floors (the issue's first
   ones): *dense*, every varied line's flows by draw and year (draws x 20 x 30, in chunks of the
   engine's chunk size) times discount factors, summed; *separable*, NPSV = base + draws @
   coefficients.
3. A loop of validated single runs (``cba.with_values`` + ``cba.run(..., sensitivity=False,
   uncertainty=False)``) per draw, timed for 20 draws and extrapolated to 100,000. Target:
   ``simulate`` >= 100 x faster. (Should ``with_values`` refuse a draw of the scenario with
   its uncertainty block, the loop runs the same scenario without the block.)
4. ``simulate`` of 1,000,000 draws in a fresh subprocess: wall time, tracemalloc peak and the
   process's peak RSS. Target: < 2 GB peak.
5. Reference: ``numpy_financial.npv`` per draw over prebuilt net cash-flow rows (an analyst's
   first attempt), 10,000 draws, extrapolated.

And once: ``evaluate_draws`` with chunk 7,000 gives the same arrays as with the default chunk.

Run alone with ``python benchmarks/montecarlo_benchmark.py``.
"""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whatif_benchmark import (
    FIRST_YEAR,
    HEALTH_RATE,
    STANDARD_RATE,
    YEARS,
    HandWritten,
    _active,
    _factors,
    _plain,
    median_of,
    peak_memory,
    synthetic_scenario,
)

import cba
from cba.io.problems import ScenarioError
from cba.model.evaluation import CompiledScenario
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY
from cba.spec.community import TimeInput
from cba.spec.scenario import Scenario
from cba.uncertainty import CHUNK, Drawn, Figures, drawn_inputs, evaluate_draws, simulate

FloatArray = NDArray[np.float64]

DRAWS = 100_000
BIG_DRAWS = 1_000_000
SEED = 20260401
RUNS = 3
LOOP_DRAWS = 20
NPF_DRAWS = 10_000
OTHER_CHUNK = 7_000
SMALL_CHUNK = 1_000

FLOOR_TARGET = 2.0
LOOP_TARGET = 100.0
MEMORY_TARGET = 2 * 2**30
AGREEMENT = 1e-9

SCHEME = "options.scheme"
HERE = Path(__file__).resolve().parent


# --- the scenario --------------------------------------------------------------------------
def uncertainty_block(data: dict[str, Any]) -> dict[str, Any]:
    """20 uncertain inputs on 20 distinct lines of the option ``scheme``."""
    scheme = next(o for o in data["options"] if o["id"] == "scheme")
    costs = {c["id"]: c for c in scheme["costs"]}
    benefits = {b["id"]: b for b in scheme["benefits"]}
    inputs: list[dict[str, Any]] = []
    for i in range(8):
        v = float(costs[f"cost{i}"]["amount_per_year"])
        inputs.append(
            {
                "parameter": f"{SCHEME}.costs.cost{i}.amount_per_year",
                "distribution": {
                    "family": "triangular",
                    "low": 0.7 * v,
                    "mode": v,
                    "high": 1.3 * v,
                },
                "why": "quotes not yet firm",
            }
        )
    for i in range(6):
        v = float(benefits[f"benefit{i}"]["unit_values"][0]["amount"])
        inputs.append(
            {
                "parameter": f"{SCHEME}.benefits.benefit{i}.unit_values.0.amount",
                "distribution": {"family": "pert", "low": 0.6 * v, "mode": v, "high": 1.4 * v},
                "why": "unit cost database range",
            }
        )
    for i in range(10, 16):
        v = float(benefits[f"benefit{i}"]["deadweight"])
        inputs.append(
            {
                "parameter": f"{SCHEME}.benefits.benefit{i}.deadweight",
                "distribution": {"family": "beta", "mean": v, "sd": 0.05},
                "why": "comparison-area evidence is thin",
            }
        )
    return {"inputs": inputs}


def montecarlo_scenario() -> Scenario:
    """The what-if benchmark's scenario plus the ``uncertainty:`` block, validated."""
    data = synthetic_scenario().to_data()
    data["uncertainty"] = uncertainty_block(data)
    return cba.scenario_from_dict(data, source="<montecarlo benchmark>")


# --- the hand-written floors ---------------------------------------------------------------
def _benefit_terms(line: Any) -> tuple[float, FloatArray, FloatArray]:
    """gross outcomes x the line's kept share (all but deadweight), its profile and factors."""
    keep = (
        (1 - line.displacement)
        * (1 - line.leakage)
        * (1 - line.substitution)
        * (1 - line.attribution)
        * line.multiplier
        * (1 - _plain(line.optimism_bias))
    )
    start = 0 if line.start_year is None else line.start_year - FIRST_YEAR
    end = YEARS - 1 if line.duration_years is None else start + line.duration_years - 1
    t = np.arange(YEARS)
    profile = (1 - line.drop_off) ** np.maximum(t - start, 0) * ((t >= start) & (t <= end))
    factors = _factors(HEALTH_RATE if line.health else STANDARD_RATE)
    return float(line.outcomes_per_year or 0.0) * keep, profile, factors


class Floors:
    """The incremental NPSV of ``scheme`` for draws of the 20 inputs, from the file's numbers.

    Each varied line j's flows by year are ``(a_j + b_j x) unit_j + fixed_j`` for its input x
    (a cost amount or a unit value: a = 0, b = 1; a deadweight: a = 1, b = -1), discounted by
    the line's factors; every other line is one constant PV by year.
    """

    def __init__(self, scenario: Scenario, paths: list[str]) -> None:
        hand = HandWritten(scenario)
        standard = _factors(STANDARD_RATE)
        # every line at the file's values: PV by year, and the gross (absolute) PV by year
        benefit_pv = (
            (hand.gross_arr * (1 - hand.deadweight_arr) * hand.keep_arr * hand.amounts)[:, None]
            * hand.profiles
            * hand.value_factors
        )
        cost_pv = hand.cost_flows * hand.cost_factors
        total = benefit_pv.sum(axis=0) - cost_pv.sum(axis=0)
        gross = benefit_pv.sum(axis=0) + np.abs(cost_pv).sum(axis=0)
        options = {o.id: o for o in scenario.options}
        costs = {c.id: c for c in options["scheme"].costs}
        benefits = {b.id: b for b in options["scheme"].benefits}
        a, b, files, units, fixed, factors = [], [], [], [], [], []
        for path in paths:
            parts = path.split(".")
            if parts[2] == "costs":
                cost = costs[parts[3]]
                file_value = float(cost.amount_per_year or 0.0)
                unit = -(1.0 + _plain(cost.optimism_bias)) * _active(cost.start_year, cost.end_year)
                a.append(0.0)
                b.append(1.0)
                units.append(unit)
                fixed.append(np.zeros(YEARS))
                factors.append(standard)
            else:
                line = benefits[parts[3]]
                kept, profile, line_factors = _benefit_terms(line)
                counted = [v for v in line.unit_values if not getattr(v, "transfer", False)]
                if parts[-1] == "amount":
                    varied = line.unit_values[int(parts[-2])]
                    file_value = float(varied.amount)
                    rest = sum(float(v.amount) for v in counted if v is not varied)
                    net = kept * (1.0 - line.deadweight)
                    a.append(0.0)
                    b.append(1.0)
                    units.append(net * profile)
                    fixed.append(net * rest * profile)
                else:
                    file_value = float(line.deadweight)
                    a.append(1.0)
                    b.append(-1.0)
                    units.append(kept * sum(float(v.amount) for v in counted) * profile)
                    fixed.append(np.zeros(YEARS))
                factors.append(line_factors)
            files.append(file_value)
        self.a, self.b = np.array(a), np.array(b)
        self.unit, self.fixed = np.array(units), np.array(fixed)  # (20, T)
        self.factors = np.array(factors)  # (20, T)
        file_x = np.array(files)
        varied_pv = ((self.a + self.b * file_x)[:, None] * self.unit + self.fixed) * self.factors
        self.other_pv_by_year = total - varied_pv.sum(axis=0)  # (T,)
        self.other_pv = float(self.other_pv_by_year.sum())
        self.other_gross = float((gross - np.abs(varied_pv).sum(axis=0)).sum())
        # the separable form: PV of each line per unit of its input, and the rest
        self.unit_pv = np.sum(self.unit * self.factors, axis=1)  # (20,)
        self.fixed_pv = np.sum(self.fixed * self.factors, axis=1)
        self.coefficients = self.b * self.unit_pv
        self.base = self.other_pv + float(np.sum(self.a * self.unit_pv + self.fixed_pv))
        self.standard = standard

    def dense(self, x: FloatArray, chunk: int = CHUNK) -> FloatArray:
        """Flows of the varied lines by draw, line and year, times factors, summed."""
        n = len(x)
        out = np.empty(n)
        for start in range(0, n, chunk):
            scale = self.a + self.b * x[start : start + chunk]  # (m, 20)
            flows = scale[:, :, None] * self.unit + self.fixed  # (m, 20, T)
            out[start : start + chunk] = self.other_pv + np.sum(flows * self.factors, axis=(1, 2))
        return out

    def separable(self, x: FloatArray) -> FloatArray:
        """NPSV = base + draws @ (each varied line's PV per unit of its input)."""
        result: FloatArray = self.base + x @ self.coefficients
        return result

    def gross_terms(self, x: FloatArray) -> FloatArray:
        """PVB plus both options' costs and inputs at each draw (all taken positive)."""
        line_pv = (self.a + self.b * x) * self.unit_pv + self.fixed_pv
        result: FloatArray = self.other_gross + np.abs(line_pv).sum(axis=1)
        return result

    def net_flow_rows(self, x: FloatArray) -> FloatArray:
        """Each draw's net flows by year in standard-rate money: health-rate lines converted,
        so that one NPV at the standard rate gives the NPSV."""
        scale = self.a + self.b * x
        flows = scale[:, :, None] * self.unit + self.fixed
        pv_by_year = self.other_pv_by_year + np.sum(flows * self.factors, axis=1)
        rows: FloatArray = pv_by_year / self.standard
        return rows


KEYS = ("pv_benefits", "pv_public_costs", "pv_non_public_costs", "pv_community_inputs")
"""The present values the figures are built from, in the order of ``FullFloor``'s columns."""


class FullFloor:
    """Every figure ``evaluate_draws`` collects, for draws of the 20 inputs, written by hand from
    the file's numbers: for ``scheme`` against ``bau``, NPSV, PVB, PV public costs, PV
    non-public costs, PV community inputs, both BCRs, the DfT category and the payback year;
    and each option's gross NPSV. (``bau`` against itself is a constant row of figures.)

    Each varied line's flows are affine in its input (a cost amount or a unit value, a
    deadweight), so a competent numpy evaluation is separable: the four present values at the
    file's values, plus ``(x - x_file) @ C`` with C the change of each present value per unit
    of each input (20 x 4); the discounted net flows by year for the payback year, plus
    ``(x - x_file) @ U`` (20 x 30); then the ratios, the band (``searchsorted``) and the
    payback year (cumulative sums), vectorised over the draws.
    """

    def __init__(self, scenario: Scenario, paths: list[str]) -> None:
        standard = _factors(STANDARD_RATE)
        public = {a.id for a in scenario.agencies if a.sector == "public"}
        options = {o.id: o for o in scenario.options}
        base = dict.fromkeys(KEYS, 0.0)
        by_year = np.zeros(YEARS)  # discounted net flows of scheme less bau
        gross_npsv = {"scheme": 0.0, "bau": 0.0}

        def share(cost: Any) -> float:
            paid = {cost.paid_by: 1.0} if isinstance(cost.paid_by, str) else cost.paid_by
            return float(sum(v for k, v in paid.items() if k in public))

        def cost_unit(cost: Any) -> FloatArray:
            """Discounted flows per GBP a year of the cost's amount."""
            active = _active(cost.start_year, cost.end_year)
            unit: FloatArray = (1.0 + _plain(cost.optimism_bias)) * active * standard
            return unit

        for option_id, sign in (("scheme", 1.0), ("bau", -1.0)):
            option = options[option_id]
            for cost in option.costs:
                d = float(cost.amount_per_year or 0.0) * cost_unit(cost)
                pv = float(d.sum())
                base["pv_public_costs"] += sign * share(cost) * pv
                base["pv_non_public_costs"] += sign * (1.0 - share(cost)) * pv
                by_year -= sign * d
                gross_npsv[option_id] -= pv
            for item in option.community_inputs:
                if not isinstance(item, TimeInput):
                    raise TypeError("the benchmark's inputs are hours valued per hour")
                per_year = float(item.hours_per_year or 0.0) * item.value_per_hour
                d = per_year * _active(item.start_year, item.end_year) * standard
                base["pv_community_inputs"] += sign * float(d.sum())
                by_year -= sign * d
                gross_npsv[option_id] -= float(d.sum())
            for line in option.benefits:
                kept, profile, factors = _benefit_terms(line)
                counted = sum(
                    float(v.amount) for v in line.unit_values if not getattr(v, "transfer", False)
                )
                d = kept * (1.0 - line.deadweight) * counted * profile * factors
                base["pv_benefits"] += sign * float(d.sum())
                by_year += sign * d
                gross_npsv[option_id] += float(d.sum())
        # per unit of each varied input: change of the four PVs and of the flows by year
        costs = {c.id: c for c in options["scheme"].costs}
        benefits = {b.id: b for b in options["scheme"].benefits}
        coefficients = np.zeros((len(paths), len(KEYS)))
        units = np.zeros((len(paths), YEARS))
        files = []
        for j, path in enumerate(paths):
            parts = path.split(".")
            if parts[2] == "costs":
                cost = costs[parts[3]]
                unit = cost_unit(cost)
                coefficients[j, 1] = share(cost) * unit.sum()
                coefficients[j, 2] = (1.0 - share(cost)) * unit.sum()
                units[j] = -unit
                files.append(float(cost.amount_per_year or 0.0))
                continue
            line = benefits[parts[3]]
            kept, profile, factors = _benefit_terms(line)
            if parts[-1] == "amount":
                varied = line.unit_values[int(parts[-2])]
                per_unit = kept * (1.0 - line.deadweight) * profile * factors
                if getattr(varied, "transfer", False):
                    per_unit = np.zeros(YEARS)
                files.append(float(varied.amount))
            else:
                counted = sum(
                    float(v.amount) for v in line.unit_values if not getattr(v, "transfer", False)
                )
                per_unit = -kept * counted * profile * factors
                files.append(float(line.deadweight))
            coefficients[j, 0] = per_unit.sum()
            units[j] = per_unit
        self.files = np.array(files)
        self.base = np.array([base[k] for k in KEYS])
        self.coefficients = coefficients
        self.by_year = by_year
        self.units = units
        self.gross_base = gross_npsv
        self.gross_coefficients = units.sum(axis=1)
        self.lower = np.array([b.lower for b in DFT_VALUE_FOR_MONEY])
        self.inclusive = np.array([b.lower_inclusive for b in DFT_VALUE_FOR_MONEY])

    def figures(self, x: FloatArray) -> dict[str, dict[str, FloatArray]]:
        """Every figure at every draw: ``{option: {name: (n,)}}`` (``gross_npsv`` too)."""
        n = len(x)
        dev = x - self.files
        pv = self.base + dev @ self.coefficients  # (n, 4)
        pvb, public, non_public, community = pv.T
        npsv = pvb - (public + non_public + community)
        net = pvb - non_public
        with np.errstate(divide="ignore", invalid="ignore"):
            bcr = np.where(public > 0, net / public, np.nan)
            bcr_community = np.where(public + community > 0, net / (public + community), np.nan)
        band = np.searchsorted(self.lower, bcr, side="right") - 1
        on_bound = (bcr == self.lower[band]) & ~self.inclusive[band]
        band = np.where(np.isnan(bcr), -1, band - on_bound)
        flows = self.by_year + dev @ self.units  # (n, T) discounted net flows
        tolerance = 1e-12 * np.abs(flows).sum(axis=1)
        negative = np.cumsum(flows, axis=1) < -tolerance[:, None]
        last = YEARS - 1 - np.argmax(negative[:, ::-1], axis=1)
        nonzero = flows != 0
        payback = np.where(negative.any(axis=1), last + 1, np.argmax(nonzero, axis=1))
        defined = nonzero.any(axis=1) & (payback < YEARS)
        scheme = {
            "npsv": npsv,
            "pv_benefits": pvb,
            "pv_public_costs": public,
            "pv_non_public_costs": non_public,
            "pv_community_inputs": community,
            "bcr_public": bcr,
            "bcr_public_and_community": bcr_community,
            "value_for_money_band": band,
            "payback_year_offset": np.where(defined, payback.astype(np.float64), np.nan),
            "gross_npsv": self.gross_base["scheme"] + dev @ self.gross_coefficients,
        }
        zero, undefined = np.zeros(n), np.full(n, np.nan)
        bau = {
            "npsv": zero,
            "pv_benefits": zero,
            "pv_public_costs": zero,
            "pv_non_public_costs": zero,
            "pv_community_inputs": zero,
            "bcr_public": undefined,
            "bcr_public_and_community": undefined,
            "value_for_money_band": np.full(n, -1),
            "payback_year_offset": undefined,
            "gross_npsv": np.full(n, self.gross_base["bau"]),
        }
        return {"scheme": scheme, "bau": bau}


def full_agreement(
    floor: dict[str, dict[str, FloatArray]], figures: Figures, scale: FloatArray
) -> tuple[float, int]:
    """(largest money or ratio difference, relative to the gross terms for money and to the
    ratio for ratios; draws whose band or payback year differ) between the floor and the
    engine, over every figure of both options."""
    worst, mismatched = 0.0, 0
    for option, by_name in floor.items():
        for name, ours in by_name.items():
            theirs = (
                figures.gross_npsv[option]
                if name == "gross_npsv"
                else figures.incremental[option][name]
            )
            if name in ("value_for_money_band", "payback_year_offset"):
                mismatched += int(np.sum(~((ours == theirs) | (np.isnan(ours) & np.isnan(theirs)))))
                continue
            both = np.isfinite(ours) & np.isfinite(theirs)
            mismatched += int(np.sum(np.isfinite(ours) != np.isfinite(theirs)))
            size = np.abs(ours) if name.startswith("bcr") else scale
            diff = np.abs(ours - theirs)[both] / np.maximum(size[both], 1e-300)
            worst = max(worst, float(diff.max(initial=0.0)))
    return worst, mismatched


def draw_matrix(drawn: list[Drawn]) -> FloatArray:
    """The draws as (draws, inputs)."""
    return np.column_stack([np.asarray(d.values, dtype=np.float64) for d in drawn])


# --- the 1,000,000-draw run, alone in a subprocess -----------------------------------------
def high_water_rss() -> tuple[float, float]:
    """(peak RSS of this process image [bytes] from /proc VmHWM, or nan off Linux; ru_maxrss
    [bytes]). On Linux ru_maxrss carries the parent's peak across fork and exec."""
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    maxrss = float(usage if sys.platform == "darwin" else usage * 1024)
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return float("nan"), maxrss
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) * 1024, maxrss
    return float("nan"), maxrss


def big_run(draws: int) -> None:
    """``simulate`` of ``draws`` under tracemalloc; prints a JSON line of the figures."""
    compiled = cba.compile_scenario(montecarlo_scenario())
    hwm_before, _ = high_water_rss()
    tracemalloc.start()
    start = time.perf_counter()
    simulate(compiled, draws=draws, seed=SEED)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    hwm, maxrss = high_water_rss()
    figures = {
        "seconds": seconds,
        "peak": peak,
        "hwm_before": hwm_before,
        "hwm": hwm,
        "maxrss": maxrss,
    }
    print(json.dumps(figures))


def big_run_in_subprocess(draws: int) -> dict[str, float]:
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); "
        f"import montecarlo_benchmark; montecarlo_benchmark.big_run({draws})"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def _figure_pairs(a: Figures, b: Figures) -> list[tuple[NDArray[Any], NDArray[Any]]]:
    pairs = [
        (a.incremental[o][k], b.incremental[o][k]) for o in a.incremental for k in a.incremental[o]
    ]
    return pairs + [(a.gross_npsv[o], b.gross_npsv[o]) for o in a.gross_npsv]


# --- main ----------------------------------------------------------------------------------
def verdict(met: bool) -> str:
    return "target met" if met else "target NOT met"


def mib(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


def main() -> None:
    import numpy_financial as npf

    started = time.perf_counter()
    scenario = montecarlo_scenario()
    compiled: CompiledScenario = cba.compile_scenario(scenario)
    n_inputs = len(scenario.uncertainty.inputs)
    print(
        f"Monte Carlo: 50 lines, {YEARS} years, {n_inputs} uncertain inputs on {n_inputs} lines; "
        f"Python {platform.python_version()}, numpy {np.__version__}; "
        f"medians of {RUNS} after a warm-up; default chunk {CHUNK:,}"
    )
    rows: list[tuple[str, str, str]] = []

    # 1. simulate and evaluate_draws of 100,000 draws
    simulate_s, _ = median_of(lambda: simulate(compiled, draws=DRAWS, seed=SEED), RUNS)
    traced_start = time.perf_counter()
    simulate_peak = peak_memory(lambda: simulate(compiled, draws=DRAWS, seed=SEED))
    traced_s = time.perf_counter() - traced_start
    drawn = drawn_inputs(compiled, DRAWS, SEED)

    def evaluate() -> Figures:
        return evaluate_draws(compiled, drawn, DRAWS)

    evaluate_s, figures = median_of(evaluate, RUNS)
    evaluate_peak = peak_memory(evaluate)
    other_chunk = evaluate_draws(compiled, drawn, DRAWS, OTHER_CHUNK)
    same = all(
        np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        for a, b in _figure_pairs(figures, other_chunk)
    )
    engine = figures.incremental["scheme"]["npsv"]

    # 2. the floors
    floors = Floors(scenario, [d.parameter.path for d in drawn])
    x = draw_matrix(drawn)
    full = FullFloor(scenario, [d.parameter.path for d in drawn])
    full_s, full_figures = median_of(lambda: full.figures(draw_matrix(drawn)), RUNS)
    full_chunked_s, _ = median_of(
        lambda: [full.figures(part) for part in np.array_split(draw_matrix(drawn), DRAWS // CHUNK)],
        RUNS,
    )
    floor_s = min(full_s, full_chunked_s)
    dense_s, dense = median_of(lambda: floors.dense(draw_matrix(drawn)), RUNS)
    separable_s, separable = median_of(lambda: floors.separable(draw_matrix(drawn)), RUNS)
    small_s, _ = median_of(lambda: floors.dense(draw_matrix(drawn), SMALL_CHUNK), RUNS)
    dense_peak = peak_memory(lambda: floors.dense(draw_matrix(drawn)))
    scale = floors.gross_terms(x)
    error_full, mismatched = full_agreement(full_figures, figures, scale)
    error_dense = float(np.max(np.abs(engine - dense) / scale))
    error_separable = float(np.max(np.abs(engine - separable) / scale))

    # 3. a validated run per draw
    settings = [{d.parameter.path: float(d.values[k]) for d in drawn} for k in range(LOOP_DRAWS)]
    refused = 0
    for setting in settings:
        try:
            cba.with_values(scenario, setting)
        except ScenarioError:
            refused += 1
    # with_values re-validates the scenario; should it refuse a draw (a value outside its
    # distribution's central interval), run the same scenario without its uncertainty block
    base = scenario if refused == 0 else synthetic_scenario()
    loop_npsv: list[float] = []
    loop_times = []
    for setting in [settings[0], *settings]:
        start = time.perf_counter()
        result = cba.run(cba.with_values(base, setting), sensitivity=False, uncertainty=False)
        loop_times.append(time.perf_counter() - start)
        loop_npsv.append(result.option("scheme").incremental.npsv)
    loop_s = float(np.median(loop_times[1:]))
    loop_error = float(
        np.max(np.abs(np.array(loop_npsv[1:]) - engine[:LOOP_DRAWS]) / scale[:LOOP_DRAWS])
    )
    loop_total_s = loop_s * DRAWS

    # 4. 1,000,000 draws in a subprocess
    big = big_run_in_subprocess(BIG_DRAWS)

    # 5. numpy_financial.npv per draw
    net_rows = floors.net_flow_rows(x[:NPF_DRAWS])

    def npf_loop() -> FloatArray:
        return np.array([npf.npv(STANDARD_RATE, row) for row in net_rows])

    npf_s, npf_npsv = median_of(npf_loop, RUNS)
    npf_error = float(np.max(np.abs(npf_npsv - engine[:NPF_DRAWS]) / scale[:NPF_DRAWS]))
    npf_total_s = npf_s * DRAWS / NPF_DRAWS

    def agree(error: float) -> str:
        return "agree to 1e-9" if error <= AGREEMENT else "DO NOT agree to 1e-9"

    floor_full = evaluate_s / floor_s
    floor_dense = evaluate_s / dense_s
    floor_separable = evaluate_s / separable_s
    speedup = loop_total_s / simulate_s
    rows += [
        (f"1  simulate, {DRAWS:,} draws", f"{simulate_s:.2f} s", ""),
        (
            "   peak memory, simulate",
            mib(simulate_peak),
            f"(tracemalloc; traced run {traced_s:.2f} s)",
        ),
        ("   evaluate_draws alone", f"{evaluate_s * 1e3:.1f} ms", ""),
        ("   peak memory, evaluate_draws", mib(evaluate_peak), ""),
        (
            f"   evaluate_draws, chunk {OTHER_CHUNK:,} vs {CHUNK:,}",
            "identical" if same else "DIFFERENT",
            "(np.array_equal, every figure)",
        ),
        (
            "2  hand-written floor, every figure collected",
            f"{floor_s * 1e3:.1f} ms",
            f"(all draws at once {full_s * 1e3:.1f} ms; in chunks of {CHUNK:,} "
            f"{full_chunked_s * 1e3:.1f} ms)",
        ),
        (
            "   check, every figure: max diff / gross",
            f"{error_full:.1e}",
            agree(error_full) + f"; band or payback year differs at {mismatched} draws",
        ),
        (
            "   evaluate_draws / floor  [target <= 2]",
            f"{floor_full:,.2f}x",
            verdict(floor_full <= FLOOR_TARGET),
        ),
        (
            f"   reference: NPSV only, dense draws x 20 x {YEARS}",
            f"{dense_s * 1e3:.1f} ms",
            f"(chunk {CHUNK:,}; peak {mib(dense_peak)}; evaluate_draws / it {floor_dense:,.2f}x)",
        ),
        (
            f"   reference: the same in chunks of {SMALL_CHUNK:,} (cache-sized)",
            f"{small_s * 1e3:.1f} ms",
            f"(evaluate_draws / it: {evaluate_s / small_s:,.2f}x)",
        ),
        (
            "   reference: NPSV only, separable (draws @ coef)",
            f"{separable_s * 1e3:.2f} ms",
            f"(evaluate_draws / it: {floor_separable:,.0f}x)",
        ),
        ("   NPSV check, dense: max diff / gross", f"{error_dense:.1e}", agree(error_dense)),
        (
            "   NPSV check, separable: max diff / gross",
            f"{error_separable:.1e}",
            agree(error_separable),
        ),
        (
            f"3  with_values + cba.run, per draw (median of {LOOP_DRAWS})",
            f"{loop_s * 1e3:.1f} ms",
            "",
        ),
        (
            "   with uncertainty block: draws refused",
            f"{refused} of {LOOP_DRAWS}",
            "(loop on the scenario with its block)"
            if refused == 0
            else "(loop on the scenario without its block)",
        ),
        ("   NPSV check, loop: max diff / gross", f"{loop_error:.1e}", agree(loop_error)),
        (f"   loop extrapolated to {DRAWS:,}", f"{loop_total_s:,.0f} s", ""),
        (
            "   loop / simulate  [target >= 100]",
            f"{speedup:,.0f}x",
            verdict(speedup >= LOOP_TARGET),
        ),
        (
            f"4  simulate, {BIG_DRAWS:,} draws (subprocess)",
            f"{big['seconds']:.1f} s",
            "(one run, under tracemalloc)",
        ),
        (
            "   peak memory, tracemalloc  [target < 2 GB]",
            mib(big["peak"]),
            verdict(big["peak"] < MEMORY_TARGET),
        ),
        (
            "   peak RSS (VmHWM)  [target < 2 GB]",
            mib(big["hwm"]),
            f"{verdict(big['hwm'] < MEMORY_TARGET)}; {mib(big['hwm_before'])} before simulate",
        ),
        (
            "   ru_maxrss of the subprocess",
            mib(big["maxrss"]),
            "(includes the parent's peak, kept across exec on Linux)"
            if big["maxrss"] > big["hwm"]
            else "",
        ),
        (f"5  numpy_financial.npv loop, {NPF_DRAWS:,} draws", f"{npf_s:.2f} s", ""),
        ("   NPSV check, npf: max diff / gross", f"{npf_error:.1e}", agree(npf_error)),
        (f"   extrapolated to {DRAWS:,}", f"{npf_total_s:.1f} s", ""),
        ("   npf loop / simulate", f"{npf_total_s / simulate_s:.2f}x", ""),
        ("   npf loop / evaluate_draws", f"{npf_total_s / evaluate_s:.2f}x", ""),
    ]
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    for label, value, note in rows:
        print(f"  {label:<{width}}  {value:>{value_width}}  {note}".rstrip())
    print(
        "  the floor computes every figure evaluate_draws collects (both options' incremental "
        "NPSV, PVs, BCRs, DfT category, payback year; gross NPSV), separably with BLAS matmuls, "
        "checked per draw; the NPSV-only floors are for reference. The engine evaluates the "
        "drawn inputs, which enter their lines linearly, in separable form inside the compiled "
        "model (elementwise sums: the same bits on any CPU and any chunk)."
    )
    print(f"Monte Carlo benchmark time: {time.perf_counter() - started:.1f} s")
    print()


if __name__ == "__main__":
    main()
