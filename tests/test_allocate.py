"""Budget files, the allocation from scenario figures, and `cba allocate`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cba
from cba.allocate import allocate_file, build_problem, limit_rows, scheme_figures
from cba.allocation_results import Allocation
from cba.cli import main
from cba.engine import allocation as engine
from cba.io.budget_file import load_budget
from cba.io.problems import ScenarioError
from cba.scale_sweep import public_costs_by_agency, sweep_option

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = ROOT / "scenarios" / "budgets"
EXAMPLE = BUDGETS / "ladywood_neighbourhood_budget.yaml"
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def example() -> Allocation:
    return allocate_file(EXAMPLE)


@pytest.mark.parametrize("path", sorted(BUDGETS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_file_under_budgets_loads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if "cba_budget:" in text:
        loaded = load_budget(path)
        assert len(loaded.scenarios) == len(loaded.budget.schemes)
    else:
        scenario = cba.load_scenario(path)
        assert cba.run(scenario).options


def test_example_meets_every_limit_and_beats_the_ranking(example: Allocation) -> None:
    assert example.feasible
    for limit in example.limits:
        assert limit.used <= limit.limit + 1e-6
        assert limit.unused == pytest.approx(limit.limit - limit.used)
    assert example.optimal.npsv >= example.ranking.npsv - 1e-6
    assert example.left_on_table == pytest.approx(example.optimal.npsv - example.ranking.npsv)
    assert sum(s.npsv for s in example.optimal.schemes) + example.optimal.interaction_npsv == (
        pytest.approx(example.optimal.npsv)
    )
    funded = {s.scheme_id for s in example.optimal.schemes if s.funded}
    assert not {"patrols", "police_led"} <= funded  # exclusive
    assert "social_prescribing" not in funded or "befriending" in funded  # dependency


def test_all_or_nothing_figures_are_the_scenarios_own() -> None:
    loaded = load_budget(EXAMPLE)
    index = loaded.budget.scheme_index()["good_neighbours"]
    scheme, scenario = loaded.budget.schemes[index], loaded.scenarios[index]
    figures = scheme_figures(scheme, scenario)
    result = cba.run(scenario).option(scheme.option)
    assert figures.npsv[0] == result.incremental.npsv
    # Undiscounted public costs by year are the incremental yearly public costs.
    assert figures.costs[0].sum(axis=0) == pytest.approx(result.yearly_incremental.public_costs)


def test_divisible_costs_at_n0_are_the_unscaled_run() -> None:
    scenario = cba.load_scenario(SCENARIOS / "volunteer_befriending_scale.yaml")
    at_n0, _ = public_costs_by_agency(scenario, "befriending", [60.0])
    unscaled, _ = public_costs_by_agency(scenario, "befriending")
    assert at_n0 == pytest.approx(unscaled)
    result = cba.run(scenario).option("befriending")
    assert at_n0[0].sum(axis=0) == pytest.approx(result.yearly_incremental.public_costs)


def test_piecewise_linear_error_bound_holds_at_the_chosen_scale(example: Allocation) -> None:
    loaded = load_budget(EXAMPLE)
    checked = 0
    for portfolio in (example.optimal, example.ranking):
        for choice, scenario in zip(portfolio.schemes, loaded.scenarios, strict=True):
            if not (choice.divisible and choice.funded and choice.scale is not None):
                continue
            true = sweep_option(scenario, choice.option_id, at=[choice.scale, choice.scale * 1.5])
            exact = true.npsv[true.points.index(choice.scale)]
            assert abs(exact - choice.npsv) <= choice.npsv_approximation_error + 1e-6
            checked += 1
    assert checked >= 2


def test_marginal_value_of_the_envelope_by_re_solving(example: Allocation) -> None:
    loaded = load_budget(EXAMPLE)
    figures = [
        scheme_figures(s, sc) for s, sc in zip(loaded.budget.schemes, loaded.scenarios, strict=True)
    ]
    rows = limit_rows(loaded.budget)
    problem = build_problem(loaded.budget, figures, rows)
    j = [r.label for r in rows].index("envelope, total")
    limits = problem.limits.copy()
    limits[j] += 1.0
    more = engine.allocate(problem.with_limits(limits))
    reported = example.limits[j].marginal_value
    assert reported == pytest.approx(more.value - example.optimal.npsv, abs=1e-6)
    assert example.limits[j].binding


def _budget(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "budget.yaml"
    path.write_text(text.replace("SCEN", str(SCENARIOS)), encoding="utf-8")
    return path


BASE = """cba_budget: "1.0"
id: test_budget
board: Test board
price_base_year: 2024
envelope: {total: 300000}
agencies:
  - id: council
    total: 200000
schemes:
  - id: befriending
    scenario: SCEN/volunteer_befriending_scale.yaml
    option: befriending
  - id: good_neighbours
    scenario: SCEN/older_people_community_support.yaml
    option: good_neighbours
"""


@pytest.mark.parametrize(
    ("change", "line", "fragments"),
    [
        (
            ("SCEN/volunteer_befriending_scale.yaml", "SCEN/no_such_file.yaml"),
            11,
            ["schemes[0].scenario", "no such scenario file", "relative to the budget file"],
        ),
        (
            ("option: good_neighbours", "option: good_neighbour"),
            15,
            ["schemes[1].option", "unknown option", "Did you mean 'good_neighbours'?"],
        ),
        (
            ("  - id: council", "  - id: councill"),
            7,
            ["agencies[0].id", "unknown agency", "Did you mean 'council'?"],
        ),
    ],
)
def test_located_errors(
    tmp_path: Path, change: tuple[str, str], line: int, fragments: list[str]
) -> None:
    path = _budget(tmp_path, BASE.replace(*change))
    with pytest.raises(ScenarioError) as caught:
        load_budget(path)
    message = str(caught.value)
    assert f"{path}:{line}:" in message
    for fragment in fragments:
        assert fragment in message


def test_dependency_on_an_unknown_scheme(tmp_path: Path) -> None:
    path = _budget(tmp_path, BASE + "dependencies:\n  - scheme: befriending\n    needs: patrols\n")
    with pytest.raises(ScenarioError) as caught:
        load_budget(path)
    message = str(caught.value)
    assert f"{path}:18:" in message
    assert "dependencies[0].needs: unknown scheme; got 'patrols'" in message
    assert "Declared scheme ids: befriending, good_neighbours" in message


def test_unknown_key_and_bad_amount_are_located(tmp_path: Path) -> None:
    path = _budget(tmp_path, BASE.replace("total: 300000", "total: -5, totl: 3"))
    with pytest.raises(ScenarioError) as caught:
        load_budget(path)
    message = str(caught.value)
    assert "envelope.total" in message
    assert "totl" in message


def test_infeasible_budget_names_the_conflict(tmp_path: Path) -> None:
    text = BASE.replace(
        "    option: good_neighbours\n", "    option: good_neighbours\n    required: true\n"
    ).replace("    option: befriending\n", "    option: befriending\n    required: true\n")
    allocation = allocate_file(_budget(tmp_path, text))
    assert not allocation.feasible
    # Both required: together (and good_neighbours alone, £516,000) they cost more than the
    # envelope of £300,000, so the conflict names a required scheme and a limit.
    assert any("required scheme" in c for c in allocation.conflicts)
    assert any(c.startswith("limit ") for c in allocation.conflicts)
    assert "cannot all hold" in allocation.statement


def test_cli_allocate_terminal_and_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the workbook goes to out/ here
    assert main(["allocate", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "Optimal allocation" in out
    assert "on the table" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert main(["allocate", str(EXAMPLE), "--json"]) == 0
    first = capsys.readouterr().out
    assert main(["allocate", str(EXAMPLE), "--json"]) == 0
    assert capsys.readouterr().out == first  # deterministic
    data = json.loads(first)
    assert "units" in data
    assert data["optimal"]["npsv"] == pytest.approx(
        sum(s["npsv"] for s in data["optimal"]["schemes"]) + data["optimal"]["interaction_npsv"]
    )


def test_cli_allocate_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _budget(tmp_path, BASE.replace("option: good_neighbours", "option: nope"))
    assert main(["allocate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "unknown option" in err
    assert "Traceback" not in err


def test_limits_count_only_public_costs_paid_by_each_agency() -> None:
    loaded = load_budget(EXAMPLE)
    figures = scheme_figures(loaded.budget.schemes[0], loaded.scenarios[0])
    public = {a.id for a in loaded.scenarios[0].agencies if a.sector == "public"}
    for a, agency in enumerate(figures.agency_ids):
        if agency not in public:
            assert np.all(figures.costs[:, a] == 0.0)


def test_allocate_at_80_columns_prints_every_figure_whole(
    tmp_path: Path, example: Allocation
) -> None:
    from cba.io.terminal import money
    from tests.test_cli import captured_at_80_columns, printed_tokens

    done = captured_at_80_columns("allocate", EXAMPLE, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    found = printed_tokens(done.stdout)
    for choice in example.optimal.schemes + example.ranking.schemes:
        assert money(choice.npsv) in found
    for limit in example.limits:
        assert money(limit.unused) in found
    for agency in example.optimal.agencies:
        assert money(agency.net_position) in found
