"""`cba allocate` under uncertainty: the programme re-solved at each Monte Carlo draw."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cba.allocate as allocate_module
from cba.allocate import allocate_budget
from cba.cli import main
from cba.engine import allocation as engine
from cba.io.budget_file import load_budget
from cba.model.evaluation import CompiledScenario
from cba.scale_sweep import npsv_by_draw, sweep_option
from cba.uncertainty import Drawn, drawn_inputs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "budgets" / "ladywood_neighbourhood_budget.yaml"


def test_draws_at_the_central_values_are_the_scale_curve() -> None:
    loaded = load_budget(EXAMPLE)
    index = loaded.budget.scheme_index()["patrols"]
    scheme, scenario = loaded.budget.schemes[index], loaded.scenarios[index]
    compiled = CompiledScenario(scenario)
    drawn = drawn_inputs(compiled, 3, 1)
    assert drawn
    central = {d.parameter.path: np.full(3, float(d.parameter.value)) for d in drawn}
    grid = [12.0, 40.0, 77.5, 120.0]
    curve = sweep_option(scenario, scheme.option, at=grid)
    expected = np.array(curve.npsv)[np.searchsorted(curve.points, grid)]
    got = npsv_by_draw(compiled, scheme.option, central, grid)
    assert got.shape == (3, 4)
    np.testing.assert_allclose(got, np.broadcast_to(expected, (3, 4)), rtol=1e-12, atol=1e-6)
    # and the draws themselves differ from draw to draw
    values = {d.parameter.path: d.values for d in drawn}
    spread = npsv_by_draw(compiled, scheme.option, values, grid)
    assert np.ptp(spread[:, -1]) > 0


def test_zero_variance_draws_reproduce_the_central_solution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def central_draws(compiled: CompiledScenario, draws: int, seed: int) -> list[Drawn]:
        return [
            Drawn(
                d.parameter,
                d.family,
                d.words,
                d.why,
                np.full(draws, float(d.parameter.value)),
                d.distribution,
                d.origin,
            )
            for d in drawn_inputs(compiled, draws, seed)
        ]

    monkeypatch.setattr(allocate_module, "drawn_inputs", central_draws)
    found = allocate_budget(load_budget(EXAMPLE), draws=5)
    unc = found.uncertainty
    assert unc is not None and unc.draws == 5
    assert any(s.uncertain for s in unc.schemes)
    assert unc.central_optimal_probability == 1.0
    for choice, scheme in zip(found.optimal.schemes, unc.schemes, strict=True):
        assert scheme.funded_probability == (1.0 if choice.funded else 0.0)
        if choice.scale is not None:
            assert scheme.mean_scale == pytest.approx(choice.scale, rel=1e-9)
    for figure in (unc.npsv_mean, unc.npsv_p5, unc.npsv_p50, unc.npsv_p95, unc.central_npsv_mean):
        assert figure == pytest.approx(found.optimal.npsv, rel=1e-12)


def test_funded_probability_matches_the_analytic_probability() -> None:
    # Two schemes, room for one: A's NPSV ~ Normal(100,000, 30,000) straddles B's 110,000.
    problem = engine.AllocationProblem(
        values=(np.array([100_000.0]), np.array([110_000.0])),
        uses=(np.array([[50_000.0]]), np.array([[60_000.0]])),
        limits=np.array([80_000.0]),
        required=np.array([False, False]),
    )
    central = engine.allocate(problem)
    assert central.funded.tolist() == [False, True]
    draws = 1_000
    a = np.random.default_rng(15).normal(100_000.0, 30_000.0, draws)[:, np.newaxis]
    b = np.full((draws, 1), 110_000.0)
    solved = engine.allocate_draws(problem, (a, b), central)
    p = 0.5 * math.erfc((110_000.0 - 100_000.0) / 30_000.0 / math.sqrt(2))  # P(A > B)
    error = math.sqrt(p * (1 - p) / draws)
    assert np.mean(solved.funded[:, 0]) == pytest.approx(p, abs=4 * error)
    assert np.all(solved.funded.sum(axis=1) == 1)
    np.testing.assert_allclose(solved.value, np.maximum(a[:, 0], 110_000.0))
    np.testing.assert_allclose(solved.given_value, 110_000.0)


def test_divisible_scheme_scales_with_its_drawn_value() -> None:
    # A divisible scheme (0 or 1 to 3 units) whose value per unit is drawn; the limit allows 2.
    problem = engine.AllocationProblem(
        values=(np.array([10.0, 20.0, 30.0]),),
        uses=(np.array([[1.0], [2.0], [3.0]]),),
        limits=np.array([2.0]),
        required=np.array([False]),
    )
    central = engine.allocate(problem)
    values = (np.array([[10.0, 20.0, 30.0], [-1.0, -2.0, -3.0], [5.0, 40.0, 50.0]]),)
    solved = engine.allocate_draws(problem, values, central)
    assert solved.funded[:, 0].tolist() == [True, False, True]
    np.testing.assert_allclose(solved.value, [20.0, 0.0, 40.0])
    np.testing.assert_allclose(solved.given_value, [20.0, -2.0, 40.0])


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["allocate", str(EXAMPLE), "--json", *args]) == 0
    out: str = capsys.readouterr().out
    return out


def test_same_seed_same_json_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    first = _json(capsys, "--draws", "20")
    assert _json(capsys, "--draws", "20") == first
    data: dict[str, Any] = json.loads(first)
    unc = data["uncertainty"]
    assert unc["draws"] == 20
    assert "seconds_per_draw" not in unc
    assert unc["npsv_p5"] <= unc["npsv_p50"] <= unc["npsv_p95"]
    assert any("funded_probability" in key for key in data["units"])
    assert [s["scheme_id"] for s in unc["schemes"]] == [
        s["scheme_id"] for s in data["optimal"]["schemes"]
    ]
    assert json.loads(_json(capsys, "--draws", "0"))["uncertainty"] is None


def test_terminal_shows_the_uncertainty_at_80_columns(tmp_path: Path) -> None:
    from tests.test_cli import captured_at_80_columns, printed_tokens

    done = captured_at_80_columns("allocate", EXAMPLE, "--draws", "20", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    found = allocate_budget(load_budget(EXAMPLE), draws=20).uncertainty
    assert found is not None
    tokens = printed_tokens(done.stdout)
    for scheme in found.schemes:
        assert f"{scheme.funded_probability:.1%}" in tokens
    assert "ms per draw" in done.stdout
