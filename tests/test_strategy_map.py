"""Strategy maps end to end: backwards mapping of the example by hand, forward mapping back to
the target, shadow prices by re-solving, and pathways turned into options reproducing the
map's cost and outcome totals through the appraisal engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cba
from cba.model.strategy_map import compile_map, with_values
from cba.pipeline import run
from cba.strategy_map import appraise_map, backwards, forward, least_cost_mix

ROOT = Path(__file__).resolve().parent.parent
SAFETY = ROOT / "scenarios" / "community_safety_strategy_map.yaml"


@pytest.fixture(scope="module")
def safety() -> cba.Scenario:
    return cba.load_scenario(SAFETY)


def pathway(compiled: object, pathway_id: str) -> int:
    return list(compiled.pathway_ids).index(pathway_id)  # type: ignore[attr-defined]


def test_police_led_pathway_by_hand(safety: cba.Scenario) -> None:
    # 20 burglaries = 0.004 x 5000 x (g / 5000)^0.7 at g = 5,000 guardian hours exactly (n0),
    # = 5,000 patrol hours; PCSO hours give 0.9 patrol hours for GBP 30 (GBP 33.33 a patrol
    # hour) against an officer's GBP 46, so 5,000 / 0.9 PCSO hours: GBP 166,667 a year.
    compiled = compile_map(safety)
    mapping = backwards(compiled, pathway(compiled, "police_led_burglary"))
    assert mapping.status == "optimal"
    assert mapping.levels["guardianship"] == pytest.approx(5000.0, rel=1e-9)
    (used,) = mapping.inputs
    assert used.input_id == "pcso_hours"
    assert used.units_per_year == pytest.approx(5000 / 0.9, rel=1e-9)
    assert mapping.costs.total == pytest.approx(5000 / 0.9 * 30, rel=1e-9)
    assert mapping.cost_per_unit == pytest.approx(5000 / 0.9 * 30 / 20, rel=1e-9)
    assert mapping.costs.co_produced_share == 0.0


def test_resident_led_pathway_by_hand(safety: cba.Scenario) -> None:
    # 5,000 guardian hours at 0.8 per street-watch hour: 6,250 watch hours, each needing a
    # volunteer hour (GBP 15.75) and 1/25 coordinator hour (GBP 25).
    compiled = compile_map(safety)
    mapping = backwards(compiled, pathway(compiled, "resident_led_burglary"))
    units = {i.input_id: i.units_per_year for i in mapping.inputs}
    assert units["volunteer_hours"] == pytest.approx(6250.0, rel=1e-9)
    assert units["coordinator_hours"] == pytest.approx(250.0, rel=1e-9)
    total = 6250 * 15.75 + 250 * 25
    assert mapping.costs.total == pytest.approx(total, rel=1e-9)
    assert mapping.costs.co_produced_share == pytest.approx(6250 * 15.75 / total, rel=1e-9)
    assert mapping.public_cost_per_unit == pytest.approx(250 * 25 / 20, rel=1e-9)
    assert [o.limit_id for o in mapping.over_limits] == ["volunteer_hours_available"]


def test_forward_from_the_backwards_inputs_gives_the_target(safety: cba.Scenario) -> None:
    compiled = compile_map(safety)
    for p, pathway_id in enumerate(compiled.pathway_ids):
        mapping = backwards(compiled, p)
        levels = forward(compiled, p, {i.input_id: i.units_per_year for i in mapping.inputs})
        assert levels[mapping.outcome_id] == pytest.approx(mapping.target, rel=1e-6), pathway_id


def test_pathways_are_ranked_cheapest_first_within_each_outcome(safety: cba.Scenario) -> None:
    ranked = appraise_map(safety).ranked()
    for outcome in {p.outcome_id for p in ranked}:
        costs = [p.cost_per_unit for p in ranked if p.outcome_id == outcome]
        assert costs == sorted(costs)


def test_mix_meets_the_targets_within_the_limits(safety: cba.Scenario) -> None:
    mix = appraise_map(safety).mix
    assert mix.status == "optimal"
    for outcome in mix.outcomes:
        assert outcome.delivered >= outcome.target * (1 - 1e-9)
    for limit in mix.limits:
        assert limit.used <= limit.available * (1 + 1e-9)
    assert "Volunteer hours available" in mix.binding
    # No single pathway reaches both targets within the limits, so the mix is at least as
    # cheap as the cheapest pair of single-outcome mappings that respects them... and no
    # cheaper than the unconstrained mapping of the costlier target alone.
    assert mix.costs.total > 0


def test_shadow_prices_match_re_solving_with_one_more_unit(safety: cba.Scenario) -> None:
    compiled = compile_map(safety)
    base = least_cost_mix(compiled)
    for limit in base.limits:
        path = f"strategy_map.limits.{limit.limit_id}.max"
        more = least_cost_mix(with_values(compiled, {path: limit.available + 1.0}))
        saved = base.costs.total - more.costs.total
        # Within the same basis the saving is the marginal; the piecewise-linear curve can move
        # a breakpoint within the step, so allow a cent.
        assert saved == pytest.approx(limit.shadow_price, abs=0.01), limit.limit_id


def test_a_pathway_option_reproduces_the_map_through_the_engine(safety: cba.Scenario) -> None:
    compiled = compile_map(safety)
    results = run(safety, sensitivity=False, uncertainty=False)
    years = len(results.years)
    for option_id, pathway_id in (
        ("police_led", "police_led_burglary"),
        ("resident_patrols_priority_policing", "mixed_burglary"),
    ):
        mapping = backwards(compiled, pathway(compiled, pathway_id))
        option = results.option(option_id)
        costs = sum(sum(line.flows) for line in option.costs)
        inputs = sum(sum(line.flows) for line in option.community_inputs)
        # Undiscounted totals over the period: the map's GBP a year, every year.
        assert costs / years == pytest.approx(mapping.costs.public, rel=1e-9)
        assert inputs / years == pytest.approx(mapping.costs.co_produced, rel=1e-9)
        (benefit,) = option.benefits
        assert benefit.net_outcomes[0] == pytest.approx(mapping.target, rel=1e-9)
    mix = least_cost_mix(compiled)
    option = results.option("least_cost_mix")
    total = sum(sum(line.flows) for line in (*option.costs, *option.community_inputs))
    assert total / years == pytest.approx(mix.costs.total, rel=1e-9)


def test_changing_a_map_input_rebuilds_the_options(safety: cba.Scenario) -> None:
    # A map option's lines are made again from the map after a what-if.
    cheaper = cba.with_values(safety, {"strategy_map.inputs.pcso_hours.unit_cost": 15.0})
    before = sum(c.amount_per_year or 0 for c in safety.option("police_led").costs)
    after = sum(c.amount_per_year or 0 for c in cheaper.option("police_led").costs)
    assert after == pytest.approx(before / 2, rel=1e-9)


def test_cba_map_prints_and_exits_by_feasibility(tmp_path: Path) -> None:
    def cba_map(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cba", "map", str(SAFETY), *extra],
            capture_output=True,
            text=True,
            env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"},
            check=False,
        )

    shown = cba_map()
    assert shown.returncode == 0, shown.stderr
    words = " ".join(shown.stdout.split())
    assert "pathways by cost per burglary avoided" in words
    assert "Shadow prices" in words
    assert "Binding constraints: Volunteer hours available" in words
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
    data = json.loads(cba_map("--json").stdout)
    assert data["strategy_map"]["mix"]["status"] == "optimal"
    tight = cba_map("--set", "strategy_map.limits.police_budget.max=1000")
    assert tight.returncode == 5
    words = " ".join(tight.stdout.split())
    assert "The targets cannot all be met within the limits" in words
    assert "would need" in words and "Binding:" in words


def test_example_figures_are_finite(safety: cba.Scenario) -> None:
    appraisal = appraise_map(safety)
    for mapping in appraisal.pathways:
        assert np.isfinite(mapping.cost_per_unit)
        assert 0 <= mapping.costs.co_produced_share <= 1
