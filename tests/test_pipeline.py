"""The pipeline on every example scenario, against the exact oracle and basic identities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cba
from tests.oracle import option_totals


def test_example_matches_exact_oracle(scenario_path: Path) -> None:
    scenario = cba.load_scenario(scenario_path)
    results = cba.run(scenario)
    for option in scenario.options:
        exact = option_totals(scenario, option)
        gross = results.option(option.id).gross
        assert gross.pv_public_costs == pytest.approx(float(exact.public), rel=1e-12, abs=1e-6)
        assert gross.pv_non_public_costs == pytest.approx(
            float(exact.non_public), rel=1e-12, abs=1e-6
        )
        assert gross.pv_community_inputs == pytest.approx(
            float(exact.community), rel=1e-12, abs=1e-6
        )
        assert gross.pv_benefits == pytest.approx(float(exact.benefits), rel=1e-12, abs=1e-6)
        npsv = exact.benefits - exact.public - exact.non_public - exact.community
        assert gross.npsv == pytest.approx(float(npsv), rel=1e-10, abs=1e-5)


def test_counterfactual_against_itself_is_zero(scenario_path: Path) -> None:
    results = cba.run(cba.load_scenario(scenario_path))
    cf = results.option(results.counterfactual)
    inc = cf.incremental
    assert inc.npsv == 0.0 and inc.pv_benefits == 0.0 and inc.pv_public_costs == 0.0
    assert inc.bcr_public is None and "bcr_public" in inc.undefined
    assert all(a.net_position == 0.0 for a in cf.agencies_incremental)


def test_incremental_is_gross_minus_counterfactual(scenario_path: Path) -> None:
    results = cba.run(cba.load_scenario(scenario_path))
    cf = results.option(results.counterfactual).gross
    for option in results.options:
        for name in ("pv_benefits", "pv_public_costs", "pv_community_inputs", "npsv"):
            assert getattr(option.incremental, name) == pytest.approx(
                getattr(option.gross, name) - getattr(cf, name), rel=1e-12, abs=1e-6
            )


def test_agency_positions_add_up(scenario_path: Path) -> None:
    results = cba.run(cba.load_scenario(scenario_path))
    for option in results.options:
        paid = sum(a.pv_paid for a in option.agencies_gross)
        m = option.gross
        assert paid == pytest.approx(m.pv_public_costs + m.pv_non_public_costs, rel=1e-12)
        given = sum(a.pv_contributed for a in option.agencies_gross)
        assert given == pytest.approx(m.pv_community_inputs, rel=1e-12, abs=1e-6)
        fiscal = sum(a.pv_fiscal_gain for a in option.agencies_gross)
        assert fiscal == pytest.approx(m.pv_fiscal, rel=1e-12, abs=1e-6)


def test_benefit_chain_ends_at_line_pv(scenario_path: Path) -> None:
    results = cba.run(cba.load_scenario(scenario_path))
    for option in results.options:
        total = sum(b.pv for b in option.benefits)
        assert total == pytest.approx(option.gross.pv_benefits, rel=1e-12, abs=1e-6)
        for line in option.benefits:
            values = [step.pv for step in line.chain]
            assert line.chain[0].step == "gross" and line.chain[-1].step == "net"
            assert np.all(np.isfinite(values))


def test_to_frame_has_every_option_and_basis(scenario_path: Path) -> None:
    results = cba.run(cba.load_scenario(scenario_path))
    frame = results.to_frame()
    assert len(frame) == 2 * len(results.options)
    assert "npsv" in frame.columns and "bcr_public_and_community" in frame.columns


def test_same_scenario_same_numbers(scenario_path: Path) -> None:
    first = cba.run(cba.load_scenario(scenario_path))
    second = cba.run(cba.load_scenario(scenario_path))
    assert first == second


def test_unverified_tables_are_flagged_to_the_reader(scenario_path: Path) -> None:
    scenario = cba.load_scenario(scenario_path)
    results = cba.run(scenario)
    assert any("VERIFY" in c and "value-for-money" in c for c in results.caveats)
    graded = any(
        "confidence_grade" in str(line.optimism_bias)
        for option in scenario.options
        for line in [*option.costs, *option.benefits]
    )
    assert graded == any("confidence-grade table" in c for c in results.caveats)


def test_non_finite_figures_are_found_wherever_they_are() -> None:
    """The guard that keeps inf and NaN out of every output finds them at any depth."""
    import dataclasses

    from cba.pipeline import first_non_finite

    results = cba.run(cba.load_scenario(Path("scenarios/balsall_heath_community_safety.yaml")))
    assert first_non_finite(results) is None
    patrols = results.option("resident_patrols")
    broken_measures = dataclasses.replace(patrols.incremental, npsv=float("inf"))
    broken_line = dataclasses.replace(patrols.costs[1], flows=(1.0, float("nan"), 2.0))
    broken = dataclasses.replace(
        results,
        options=(
            results.options[0],
            dataclasses.replace(patrols, incremental=broken_measures),
        ),
    )
    assert first_non_finite(broken) == ".options[resident_patrols].incremental.npsv"
    broken = dataclasses.replace(
        results,
        options=(
            results.options[0],
            dataclasses.replace(patrols, costs=(patrols.costs[0], broken_line)),
        ),
    )
    assert (
        first_non_finite(broken)
        == f".options[resident_patrols].costs[{broken_line.line_id}].flows[1]"
    )
