"""Where distributions come from (docs/methods.md §15): next to a value in a line's
``uncertain:`` mapping, in the ``uncertainty:`` block, or as a default spread from a confidence
grade; and the value of better evidence on groups of inputs (EVPPI)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cba
from cba.cli import main
from cba.engine.information import partial_information
from cba.uncertainty import drawn_inputs, evaluate_draws, simulate

ROOT = Path(__file__).resolve().parents[1]
BALSALL = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
PATROLS = "options.resident_patrols"
VOLUNTEERS = f"{PATROLS}.community_inputs.street_patrols.volunteers"
HOURS = f"{PATROLS}.community_inputs.street_patrols.hours_per_volunteer"
COORDINATOR = f"{PATROLS}.costs.coordinator.amount_per_year"
ASB = f"{PATROLS}.benefits.asb_avoided.outcomes_per_year"
FEAR_COHORT = f"{PATROLS}.benefits.fear_of_crime.outcomes.cohort"
BURGLARIES = f"{PATROLS}.benefits.burglary_avoided.outcomes_per_year"
HOURS_INLINE = """        uncertain:
          hours_per_volunteer:
            distribution: {family: pert, low: 50, mode: 100, high: 150}
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def balsall_text() -> str:
    return BALSALL.read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    """1-based line of the first line containing ``fragment``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def data() -> dict[str, Any]:
    return copy.deepcopy(cba.load_scenario(BALSALL).to_data())


def by_path(scenario: cba.Scenario, n: int = 2000, seed: int = 7) -> dict[str, np.ndarray]:
    return {
        d.parameter.path: d.values for d in drawn_inputs(cba.compile_scenario(scenario), n, seed)
    }


# --- inline distributions ------------------------------------------------------------------
def test_the_example_writes_one_distribution_inline() -> None:
    text = balsall_text()
    assert HOURS_INLINE in text
    simulated = cba.run(cba.load_scenario(BALSALL), sensitivity=False).uncertainty
    assert simulated is not None
    origins = {p.parameter: p.origin for p in simulated.parameters}
    assert origins[HOURS] == "inline"
    assert origins[VOLUNTEERS] == "block"


def test_inline_and_block_give_the_same_draws_and_figures() -> None:
    inline = cba.load_scenario(BALSALL)
    moved = data()
    for option in moved["options"]:
        for line in option.get("community_inputs", []):
            for key, entry in line.pop("uncertain", {}).items():
                path = f"options.{option['id']}.community_inputs.{line['id']}.{key}"
                moved["uncertainty"]["inputs"].append({"parameter": path, **entry})
    block = cba.scenario_from_dict(moved)
    a, b = by_path(inline), by_path(block)
    assert a.keys() == b.keys()
    for path in a:
        assert np.array_equal(a[path], b[path]), path
    sa = simulate(cba.compile_scenario(inline), draws=2000, seed=3)
    sb = simulate(cba.compile_scenario(block), draws=2000, seed=3)
    assert sa is not None and sb is not None
    assert sa.options == sb.options
    assert sa.evpi == sb.evpi


@pytest.mark.parametrize(
    ("replacement", "anchor", "fragment"),
    [
        pytest.param(
            HOURS_INLINE.replace("hours_per_volunteer:", "hours_per_volunter:"),
            "hours_per_volunter:",
            "'hours_per_volunter' is not an input of this line. Did you mean "
            "'hours_per_volunteer'?",
            id="unknown-key",
        ),
        pytest.param(
            HOURS_INLINE.replace("low: 50", "low: -50"),
            "family: pert, low: -50",
            "draws for 'options.resident_patrols.community_inputs.street_patrols."
            "hours_per_volunteer' could fall outside its valid range",
            id="outside-domain",
        ),
        pytest.param(
            HOURS_INLINE.replace("low: 50, mode: 100", "low: 120, mode: 130"),
            "family: pert, low: 120",
            "the file's value of 'options.resident_patrols.community_inputs.street_patrols."
            "hours_per_volunteer' (100) lies outside the distribution's range",
            id="file-value-outside",
        ),
        pytest.param(
            HOURS_INLINE.replace("hours_per_volunteer:", "volunteers:"),
            "          volunteers:",
            "already has a distribution (uncertainty.inputs[0])",
            id="also-in-the-block",
        ),
        pytest.param(
            HOURS_INLINE.replace("family: pert", "family: pret"),
            "family: pret",
            "pret",
            id="unknown-family",
        ),
    ],
)
def test_bad_inline_distribution_is_refused_where_it_is_written(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    replacement: str,
    anchor: str,
    fragment: str,
) -> None:
    text = balsall_text().replace(HOURS_INLINE, replacement)
    assert text != balsall_text()
    path = written(tmp_path, text)
    code, out, err = cli(capsys, "validate", path)
    assert code == 2, out + err
    assert "Traceback" not in err
    assert fragment in err, err
    assert f"{path}:{line_of(text, anchor)}:" in err, err


# --- groups (EVPPI) ------------------------------------------------------------------------
def test_the_examples_groups_are_valued() -> None:
    simulated = cba.run(cba.load_scenario(BALSALL), sensitivity=False).uncertainty
    assert simulated is not None
    names = [g.name for g in simulated.groups]
    assert names == ["Volunteer effort", "Effect on burglary"]
    effort = simulated.groups[0]
    assert effort.parameters == (VOLUNTEERS, HOURS)
    assert 0.0 <= effort.evppi <= simulated.evpi + 1e-9 * abs(simulated.evpi)


def test_a_group_of_one_input_is_that_inputs_evppi() -> None:
    changed = data()
    changed["uncertainty"]["groups"] = [
        {"name": "burglary", "inputs": [BURGLARIES]},
        {"name": "every community input", "inputs": [f"{PATROLS}.community_inputs.*.*"]},
    ]
    simulated = simulate(cba.compile_scenario(cba.scenario_from_dict(changed)), draws=3000)
    assert simulated is not None
    single = {p.parameter: p.evppi for p in simulated.parameters}
    assert simulated.groups[0].evppi == single[BURGLARIES]
    assert simulated.groups[1].parameters == (VOLUNTEERS, HOURS)


def test_group_evppi_is_the_engine_estimate_on_the_groups_draws() -> None:
    scenario = cba.load_scenario(BALSALL)
    compiled = cba.compile_scenario(scenario)
    n, seed = 3000, 11
    simulated = simulate(compiled, draws=n, seed=seed)
    assert simulated is not None
    drawn = {d.parameter.path: d for d in drawn_inputs(compiled, n, seed)}
    figures = evaluate_draws(compiled, list(drawn.values()), n)
    net = np.column_stack([np.zeros(n), figures.incremental["resident_patrols"]["npsv"]])
    expected = partial_information([drawn[VOLUNTEERS].values, drawn[HOURS].values], net)
    assert simulated.groups[0].evppi == expected


def test_group_naming_no_uncertain_input_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = balsall_text().replace(
        "        - options.resident_patrols.benefits.burglary_avoided.attribution\n",
        "        - options.resident_patrols.benefits.burglary_avoided.deadweight\n",
    )
    path = written(tmp_path, text)
    code, _, err = cli(capsys, "validate", path)
    assert code == 2
    assert "uncertainty.groups[1].inputs[1]" in err
    assert "names no input with a distribution" in err
    anchor = "        - options.resident_patrols.benefits.burglary_avoided.deadweight"
    assert f"{path}:{line_of(text, anchor)}:" in err, err


# --- default spreads from confidence grades --------------------------------------------------
def with_grade_spreads(**table: Any) -> cba.Scenario:
    changed = data()
    changed["uncertainty"]["spreads_by_confidence_grade"] = {"apply": True, **table}
    return cba.scenario_from_dict(changed)


def test_grade_spreads_are_off_unless_turned_on() -> None:
    simulated = cba.run(cba.load_scenario(BALSALL), sensitivity=False).uncertainty
    assert simulated is not None
    assert all(p.origin != "grade" for p in simulated.parameters)
    assert COORDINATOR not in {p.parameter for p in simulated.parameters}


def test_grade_spreads_draw_graded_amounts_and_counts_without_a_distribution() -> None:
    scenario = with_grade_spreads()
    draws = by_path(scenario, n=20_000)
    # coordinator: GBP 20,000 a year at grade 2 -> triangular 16,000 / 20,000 / 24,000
    coordinator = draws[COORDINATOR]
    assert coordinator.min() >= 16_000 and coordinator.max() <= 24_000
    se = (8_000 / np.sqrt(24)) / np.sqrt(len(coordinator))  # sd of the triangular / sqrt(n)
    assert abs(coordinator.mean() - 20_000) < 4 * se
    # anti-social behaviour: 150 a year at grade 3 -> 105 to 195
    assert draws[ASB].min() >= 105 and draws[ASB].max() <= 195
    # a cohort-based outcome spreads its cohort (grade 4: 4,000 +/- 40%)
    assert draws[FEAR_COHORT].min() >= 2_400 and draws[FEAR_COHORT].max() <= 5_600
    # the burglary count keeps its own distribution (triangular 10 / 20 / 30)
    assert draws[BURGLARIES].min() >= 10 and draws[BURGLARIES].max() <= 30
    assert draws[BURGLARIES].max() > 26
    # an ungraded line (neighbourhood team) gets nothing
    assert not any("neighbourhood_team_share" in p for p in draws)
    simulated = simulate(cba.compile_scenario(scenario), draws=2000)
    assert simulated is not None
    found = {p.parameter: p for p in simulated.parameters}
    assert found[COORDINATOR].origin == "grade"
    assert "confidence grade 2" in found[COORDINATOR].why


def test_grade_spreads_follow_an_edited_table() -> None:
    draws = by_path(with_grade_spreads(ranges={1: 0.0, 2: 0.05, 3: 0.0, 4: 0.0, 5: 0, 6: 0}))
    assert set(draws) - set(by_path(cba.load_scenario(BALSALL))) == {
        COORDINATOR,
        f"{PATROLS}.costs.priority_policing.amount_per_year",
    }
    assert draws[COORDINATOR].min() >= 19_000 and draws[COORDINATOR].max() <= 21_000


def test_a_grade_missing_from_the_table_is_refused() -> None:
    with pytest.raises(cba.ScenarioError) as caught:
        with_grade_spreads(ranges={1: 0.1, 2: 0.2})
    assert "confidence grade 3 has no range" in str(caught.value)
    assert "uncertainty.spreads_by_confidence_grade.ranges" in str(caught.value)


def test_a_range_above_one_is_refused() -> None:
    with pytest.raises(cba.ScenarioError) as caught:
        with_grade_spreads(ranges={1: 1.5, 2: 0.2, 3: 0.3, 4: 0.4, 5: 0.5, 6: 0.6})
    assert "spreads_by_confidence_grade.ranges[1]" in str(caught.value)
