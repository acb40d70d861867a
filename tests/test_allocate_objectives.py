"""Objectives other than the NPSV: public value, outcomes delivered and distributionally
weighted NPSV (docs/allocation.md, "Objectives")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import cba
from cba.allocate import allocate_budget, build_problem, limit_rows, scheme_figures
from cba.allocation_results import Allocation
from cba.cli import main
from cba.distribution import weighted_npsv_at
from cba.engine import allocation as engine
from cba.io.budget_file import load_budget
from cba.io.problems import ScenarioError
from cba.scale_sweep import discounted_outcomes, sweep_option
from cba.spec.budget import Objective

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "budgets" / "ladywood_neighbourhood_budget.yaml"
PATROLS = ROOT / "scenarios" / "budgets" / "balsall_heath_patrols_scale.yaml"
BALSALL_HEATH = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
LONELINESS = (
    "objective:\n  measure: outcomes\n  outcomes: [loneliness_reduced]\n"
    "  unit: people less lonely\n  why: The board's priority is loneliness.\n"
)


def written(tmp_path: Path, extra: str, text: str | None = None) -> Path:
    """The example (or ``text``) with ``extra`` appended, its scenarios by absolute path."""
    text = EXAMPLE.read_text(encoding="utf-8") if text is None else text
    text = re.sub(
        r"(scenario: )(\S+)",
        lambda m: m.group(1) + str((EXAMPLE.parent / m.group(2)).resolve()),
        text,
    )
    path = tmp_path / "budget.yaml"
    path.write_text(text.rstrip("\n") + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def npsv_optimum() -> Allocation:
    return allocate_budget(load_budget(EXAMPLE), draws=0)


def value_of(allocation: Allocation, objective: Objective, tmp: Path) -> float:
    """The objective's value of another allocation's choice (same budget)."""
    loaded = load_budget(written(tmp, ""))
    figures = [
        scheme_figures(s, sc, objective)
        for s, sc in zip(loaded.budget.schemes, loaded.scenarios, strict=True)
    ]
    total = 0.0
    for fig, choice in zip(figures, allocation.optimal.schemes, strict=True):
        if not choice.funded:
            continue
        if fig.points is None:
            total += float(fig.value[0])
        else:
            total += float(np.interp(choice.scale, fig.points, fig.value))
    return total


def test_public_value_figures_are_the_schemes_pv_benefits() -> None:
    loaded = load_budget(EXAMPLE)
    objective = Objective(measure="public_value")
    for scheme, scenario in zip(loaded.budget.schemes, loaded.scenarios, strict=True):
        fig = scheme_figures(scheme, scenario, objective)
        if fig.points is None:
            expected = [cba.run(scenario).option(scheme.option).incremental.pv_benefits]
        else:
            curve = sweep_option(scenario, scheme.option, at=fig.points.tolist())
            index = np.searchsorted(curve.points, fig.points)
            expected = np.array(curve.pv_benefits)[index]
        np.testing.assert_allclose(fig.value, expected, rtol=1e-12)
        np.testing.assert_array_equal(fig.npsv, scheme_figures(scheme, scenario).npsv)


def test_each_objective_is_best_at_its_own_optimum(
    tmp_path: Path, npsv_optimum: Allocation
) -> None:
    """The public-value optimum has at least the NPSV optimum's public value, and no more
    NPSV; the figures of each portfolio are its own objective's."""
    by_value = allocate_budget(load_budget(written(tmp_path, "objective: public_value\n")), draws=0)
    assert by_value.objective.measure == "public_value" and by_value.objective.money
    public_value = Objective(measure="public_value")
    theirs = value_of(npsv_optimum, public_value, tmp_path)
    assert by_value.optimal.objective_value >= theirs - 1e-6
    assert by_value.optimal.npsv <= npsv_optimum.optimal.npsv + 1e-6
    # In this budget the two differ: public value buys more befriending than NPSV does.
    assert by_value.optimal.objective_value > theirs + 1_000
    assert by_value.optimal.npsv < npsv_optimum.optimal.npsv - 1_000
    for limit in by_value.limits:
        assert limit.used <= limit.limit + 1e-6
    assert by_value.left_on_table == pytest.approx(
        by_value.optimal.objective_value - by_value.ranking.objective_value
    )
    # The NPSV is still the NPSV: schemes' own plus the interactions'.
    assert sum(s.npsv for s in by_value.optimal.schemes) + by_value.optimal.interaction_npsv == (
        pytest.approx(by_value.optimal.npsv)
    )


def test_outcomes_are_discounted_like_their_benefits() -> None:
    """Against each line's net outcomes times its own schedule's factors (cba run's results)
    for an all-or-nothing scheme, and against the scale curve for a divisible one."""
    loaded = load_budget(EXAMPLE)
    index = loaded.budget.scheme_index()
    objective = Objective(measure="outcomes", outcomes=["loneliness_reduced"])
    scheme = loaded.budget.schemes[index["good_neighbours"]]
    scenario = loaded.scenarios[index["good_neighbours"]]
    results = cba.run(scenario)
    line = next(
        b for b in results.option(scheme.option).benefits if b.line_id == "loneliness_reduced"
    )
    factors = next(s.factors for s in results.schedules if s.label == line.schedule)
    expected = float(np.dot(line.net_outcomes, factors[: len(line.net_outcomes)]))
    fig = scheme_figures(scheme, scenario, objective)
    assert fig.value == pytest.approx([expected], rel=1e-12)
    assert expected > 0

    scheme = loaded.budget.schemes[index["befriending"]]
    scenario = loaded.scenarios[index["befriending"]]
    assert scenario.option(scheme.option).scale.outcome == "loneliness_reduced"  # type: ignore[union-attr]
    fig = scheme_figures(scheme, scenario, objective)
    assert fig.points is not None
    curve = sweep_option(scenario, scheme.option, at=fig.points.tolist())
    expected_curve = np.array(curve.outcomes)[np.searchsorted(curve.points, fig.points)]
    np.testing.assert_allclose(fig.value, expected_curve, rtol=1e-12)
    # A scheme without the line delivers none of it.
    patrols = loaded.budget.schemes[index["patrols"]]
    none = scheme_figures(patrols, loaded.scenarios[index["patrols"]], objective)
    np.testing.assert_array_equal(none.value, 0.0)


def test_the_outcomes_objective_from_the_file(tmp_path: Path, npsv_optimum: Allocation) -> None:
    found = allocate_budget(load_budget(written(tmp_path, LONELINESS)), draws=0)
    objective = found.objective
    assert (objective.measure, objective.label, objective.money) == (
        "outcomes",
        "people less lonely",
        False,
    )
    assert objective.outcome_lines == ("loneliness_reduced",)
    assert objective.why == "The board's priority is loneliness."
    assert "people less lonely" in found.statement
    theirs = value_of(
        npsv_optimum, Objective(measure="outcomes", outcomes=["loneliness_reduced"]), tmp_path
    )
    assert found.optimal.objective_value >= theirs - 1e-6
    funded = {s.scheme_id: s for s in found.optimal.schemes if s.funded}
    # Among the portfolios with the most outcomes, the one with the most NPSV: a scheme that
    # delivers none of them is funded only when it adds NPSV.
    for choice in found.optimal.schemes:
        if choice.funded and choice.objective_value == 0.0:
            assert choice.npsv > 0
    assert "befriending" in funded
    # Marginal values are in outcomes per £.
    envelope = next(limit for limit in found.limits if limit.label == "envelope, total")
    assert envelope.marginal_value is not None and envelope.marginal_value >= 0


def test_outcomes_marginal_value_by_re_solving(tmp_path: Path) -> None:
    loaded = load_budget(written(tmp_path, LONELINESS))
    found = allocate_budget(loaded, draws=0)
    objective = loaded.budget.chosen_objective()
    figures = [
        scheme_figures(s, sc, objective)
        for s, sc in zip(loaded.budget.schemes, loaded.scenarios, strict=True)
    ]
    rows = limit_rows(loaded.budget)
    problem = build_problem(loaded.budget, figures, rows)
    j = [r.label for r in rows].index("envelope, total")
    limits = problem.limits.copy()
    limits[j] += 1.0
    more = engine.allocate(problem.with_limits(limits))
    assert found.limits[j].marginal_value == pytest.approx(
        more.value - found.optimal.objective_value, abs=1e-9
    )


def test_the_tiebreak_prefers_npsv_among_equal_objectives() -> None:
    """Two schemes deliver none of the objective: the one with positive NPSV is funded, the
    negative one is not; the objective is unchanged."""
    problem = engine.AllocationProblem(
        values=(np.array([10.0]), np.array([0.0]), np.array([0.0])),
        uses=(np.array([[5.0]]), np.array([[3.0]]), np.array([[1.0]])),
        limits=np.array([10.0]),
        required=np.zeros(3, dtype=bool),
        tiebreak=(np.array([-1.0]), np.array([7.0]), np.array([-2.0])),
    )
    found = engine.allocate(problem)
    assert found.funded.tolist() == [True, True, False]
    assert found.value == pytest.approx(10.0)


def weighted_patrols(tmp_path: Path) -> Path:
    """The patrols-at-scale scenario with Balsall Heath's distributional weights: residents'
    economic and social gains weighted as the poorest fifth's."""
    text = PATROLS.read_text(encoding="utf-8")
    block = BALSALL_HEATH.read_text(encoding="utf-8")
    start = block.index("distributional_weights:")
    end = block.index("\n\n", start)
    text = text.replace(
        "            beneficiary: residents\n",
        "            beneficiary: residents\n            income_group: local_households\n",
    )
    path = tmp_path / "patrols_weighted.yaml"
    path.write_text(text.rstrip("\n") + "\n\n" + block[start:end] + "\n", encoding="utf-8")
    return path


def test_weighted_npsv_at_the_option_as_written_is_the_distributional_view() -> None:
    scenario = cba.load_scenario(BALSALL_HEATH)
    results = cba.run(scenario)
    assert results.distributional is not None
    for option in results.distributional.options:
        if option.option_id == scenario.counterfactual:
            continue
        npsv = np.array([results.option(option.option_id).incremental.npsv])
        got = weighted_npsv_at(scenario, results.options, option.option_id, npsv)
        assert got == pytest.approx([option.incremental.weighted_npsv], rel=1e-12)
        assert got[0] != pytest.approx(npsv[0], rel=1e-3)  # the weights matter here


def test_weighted_npsv_along_the_scale_curve(tmp_path: Path) -> None:
    """At n0 the distributional view's figure; elsewhere the NPSV plus each weighted line's
    extra, its PV at n0 times its multiplier (here checked for the proportional cost lines and
    the saturating benefit lines by hand)."""
    path = weighted_patrols(tmp_path)
    scenario = cba.load_scenario(path)
    results = cba.run(scenario)
    option = scenario.option("resident_patrols")
    assert option.scale is not None
    n0 = option.scale.n0
    at = np.array([n0 / 2, n0, 2 * n0])
    curve = sweep_option(scenario, "resident_patrols", at=at.tolist())
    npsv = np.array(curve.npsv)[np.searchsorted(curve.points, at)]
    got = weighted_npsv_at(scenario, results.options, "resident_patrols", npsv, at.tolist())
    view = next(o for o in results.distributional.options if o.option_id == "resident_patrols")  # type: ignore[union-attr]
    assert got[1] == pytest.approx(view.incremental.weighted_npsv, rel=1e-12)
    # By hand: the residents' values of two lines carry a weight. Burglary saturates with
    # rate 0.02 per volunteer, m(n) = (1 - exp(-r n)) / (1 - exp(-r n0)); fear of crime has no
    # law, so it is proportional, m(n) = n / n0.
    weight = next(g.weight for g in results.distributional.groups)  # type: ignore[union-attr]
    lines = {b.line_id: b for b in results.option("resident_patrols").benefits}

    def extra(line_id: str) -> float:
        return sum((weight - 1) * c.pv for c in lines[line_id].components if c.income_group)

    saturating = (1 - np.exp(-0.02 * at)) / (1 - np.exp(-0.02 * n0))
    by_hand = extra("burglary_avoided") * saturating + extra("fear_of_crime") * at / n0
    assert extra("burglary_avoided") > 0 and extra("fear_of_crime") > 0
    np.testing.assert_allclose(got - npsv, by_hand, rtol=1e-9)


def test_the_weighted_objective_on_a_budget(tmp_path: Path) -> None:
    path = weighted_patrols(tmp_path)
    text = (
        'cba_budget: "1.0"\nid: weighted\nboard: Board\nprice_base_year: 2024\n'
        "envelope: {total: 150000}\n"
        f"schemes:\n  - {{id: patrols, scenario: {path}, option: resident_patrols, "
        "divisible: true}\n"
        f"  - {{id: whole, scenario: {BALSALL_HEATH}, option: resident_patrols}}\n"
        "exclusive:\n  - {id: one, schemes: [patrols, whole]}\n"
        "objective: weighted_npsv\n"
    )
    budget = tmp_path / "w.yaml"
    budget.write_text(text, encoding="utf-8")
    found = allocate_budget(load_budget(budget), draws=0)
    assert found.objective.measure == "weighted_npsv"
    chosen = [s for s in found.optimal.schemes if s.funded]
    assert len(chosen) == 1
    # Weighted NPSV exceeds NPSV here: the residents are the poorest fifth.
    assert found.optimal.objective_value > found.optimal.npsv


def test_weighted_npsv_needs_weights_in_every_scenario(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_budget(written(tmp_path, "objective: weighted_npsv\n"))
    message = str(caught.value)
    assert "objective: weighted_npsv needs distributional weights" in message
    assert "(scheme brook)" in message and re.search(r"budget\.yaml:\d+:", message)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "objective:\n  measure: outcomes\n  outcomes: [lonelines_reduced]\n",
            "objective.outcomes[0]: no scheme's option has a benefit line 'lonelines_reduced'. "
            "Did you mean 'loneliness_reduced'?",
        ),
        ("objective:\n  measure: outcomes\n", "the outcomes objective needs outcomes:"),
        ("objective:\n  measure: npsv\n  unit: people\n", "objective.unit: outcomes and unit"),
        ("objective: wellbeing\n", "objective"),
    ],
)
def test_bad_objectives_are_located(tmp_path: Path, extra: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_budget(written(tmp_path, extra))
    assert expected in str(caught.value)


def test_cli_objective_and_outcome(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.xlsx"
    code = main(
        [
            "allocate",
            str(EXAMPLE),
            "--draws",
            "0",
            "--objective",
            "outcomes",
            "--outcome",
            "loneliness_reduced",
            "--json",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cba_allocation"] == "1.1"
    assert data["objective"]["measure"] == "outcomes"
    assert data["objective"]["outcome_lines"] == ["loneliness_reduced"]
    assert data["optimal"]["objective_value"] > 0
    assert "objective_value" in " ".join(data["units"])
    assert out.is_file()

    assert main(["allocate", str(EXAMPLE), "--draws", "0", "--objective", "outcomes"]) == 2
    assert "--objective outcomes needs the benefit lines" in capsys.readouterr().err
    assert main(["allocate", str(EXAMPLE), "--outcome", "loneliness_reduced"]) == 2
    assert "--outcome goes with --objective outcomes" in capsys.readouterr().err
    code = main(["allocate", str(EXAMPLE), "--objective", "outcomes", "--outcome", "nothing_here"])
    assert code == 2
    assert "no scheme's option has a benefit line 'nothing_here'" in capsys.readouterr().err


def test_terminal_names_the_objective(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = written(tmp_path, LONELINESS)
    assert main(["allocate", str(path), "--draws", "0", "-o", str(tmp_path / "p.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "Objective: maximise the total people less lonely" in out
    assert "Why: The board's priority is loneliness." in out
    assert "people less lonely per £ more" in re.sub(r"\s+", " ", out) or "per £" in out


def test_uncertainty_is_not_re_solved_for_other_objectives(tmp_path: Path) -> None:
    found = allocate_budget(load_budget(written(tmp_path, "objective: public_value\n")), draws=5)
    assert found.uncertainty is None
    assert found.uncertainty_skipped is not None and "NPSV objective only" in (
        found.uncertainty_skipped
    )


def test_divisible_bcr_numerator_counts_the_tax_burden() -> None:
    """The BCR numerator of a divisible scheme (NPSV + public costs + community inputs) is
    the run's PVB - non-public costs - METB at the scale the scenario describes."""
    loaded = load_budget(EXAMPLE)
    for scheme, scenario in zip(loaded.budget.schemes, loaded.scenarios, strict=True):
        fig = scheme_figures(scheme, scenario)
        if fig.points is None or not np.isclose(
            fig.points[fig.proposed],
            scenario.option(scheme.option).scale.n0,  # type: ignore[union-attr]
        ):
            continue
        m = cba.run(scenario).option(scheme.option).incremental
        assert fig.numerator[fig.proposed] == pytest.approx(
            m.pv_benefits - m.pv_non_public_costs - m.pv_marginal_excess_tax_burden, rel=1e-9
        )


def test_discounted_outcomes_needs_a_scale_to_scale() -> None:
    scenario = cba.load_scenario(BALSALL_HEATH)
    with pytest.raises(ValueError, match="declares no scale driver"):
        discounted_outcomes(scenario, "resident_patrols", ["burglary_avoided"], [1.0])
