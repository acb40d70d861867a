"""One template across many areas (cba.batch): area attributes in the template, the area
table's rows, the vectorised evaluation against single runs, and each area's own streams."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import cba
import cba.batch as batch_module
from cba.batch import BatchError, area_inputs, area_seed, batch, plan_batch
from cba.io.area_table import AreaTable, read_area_table
from cba.io.problems import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scenarios" / "batch" / "neighbourhood_patrols.yaml"
AREAS = ROOT / "scenarios" / "areas" / "neighbourhoods_300.csv"
BALSALL_HEATH = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
PATROLS = "resident_patrols"


@pytest.fixture(scope="module")
def template() -> cba.Scenario:
    return cba.load_scenario(TEMPLATE)


@pytest.fixture(scope="module")
def table() -> AreaTable:
    return read_area_table(AREAS)


def test_the_template_at_its_own_attributes_is_the_balsall_heath_example(
    template: cba.Scenario,
) -> None:
    mine = cba.run(template, sensitivity=False, uncertainty=False).option(PATROLS).incremental
    theirs = (
        cba.run(cba.load_scenario(BALSALL_HEATH), sensitivity=False, uncertainty=False)
        .option(PATROLS)
        .incremental
    )
    assert mine.npsv == theirs.npsv and mine.bcr_public == theirs.bcr_public
    links = {link.path: link for link in template.area_links}
    burglary = links[f"options.{PATROLS}.benefits.burglary_avoided.outcomes_per_year"]
    assert burglary.per == ("households", "burglary_per_1000_households")
    assert burglary.rate == 0.0002 and burglary.value == pytest.approx(20.0)
    assert burglary.at({"households": 1000, "burglary_per_1000_households": 10}) == (
        pytest.approx(2.0)
    )


def _scenario_text(extra_area: str, value: str) -> str:
    text = BALSALL_HEATH.read_text(encoding="utf-8")
    text = text.replace(
        "        outcomes_per_year: 20\n", f"        outcomes_per_year: {value}\n", 1
    )
    return text.replace(
        "\ncounterfactual: existing_policing\n",
        extra_area + "\ncounterfactual: existing_policing\n",
        1,
    )


AREA_BLOCK = "\narea:\n  attributes:\n    households: {value: 4000, unit: households}\n"


@pytest.mark.parametrize(
    ("area", "value", "expected"),
    [
        (
            AREA_BLOCK,
            "{per: housholds, rate: 0.005}",
            "unknown area attribute 'housholds'. Did you mean 'households'?",
        ),
        ("", "{per: households, rate: 0.005}", "needs an area: block declaring the attributes"),
        (AREA_BLOCK, "{per: households, rate: lots}", "rate must be a number"),
        (AREA_BLOCK, "{per: households, rate: 0.005, times: 2}", "takes per: and rate:"),
        (AREA_BLOCK, "{per: [], rate: 0.005}", "per: names an area attribute"),
    ],
)
def test_inputs_per_attribute_that_cannot_be_resolved_are_located(
    tmp_path: Path, area: str, value: str, expected: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text(area, value), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        cba.load_scenario(path)
    message = str(caught.value)
    assert expected in message
    assert "burglary_avoided" in message or "benefits[0]" in message
    assert f"{path}:" in message


def test_each_area_is_the_template_run_with_its_inputs(
    template: cba.Scenario, table: AreaTable
) -> None:
    """Against an independent computation: cba.run of the template with the area's inputs
    set (cba.with_values), for a sample of areas."""
    found = batch(template, table)
    assert found.evaluated == 300 and not found.problems
    by_area = {r.area_id: r for r in found.results}
    for area in found.inputs[::60]:
        single = (
            cba.run(cba.with_values(template, area.values), sensitivity=False, uncertainty=False)
            .option(PATROLS)
            .incremental
        )
        mine = by_area[area.area_id]
        assert mine.npsv == pytest.approx(single.npsv, rel=1e-9, abs=1e-6)
        assert mine.bcr_public == pytest.approx(single.bcr_public, rel=1e-9)
        assert mine.pv_community_inputs == pytest.approx(single.pv_community_inputs, rel=1e-9)
    # The inputs follow the attributes.
    first = found.inputs[0]
    volunteers = first.values[f"options.{PATROLS}.community_inputs.street_patrols.volunteers"]
    assert volunteers == pytest.approx(
        0.025 * first.attributes["population"] * first.attributes["volunteering_rate"]
    )


def test_summaries_add_up(template: cba.Scenario, table: AreaTable) -> None:
    found = batch(template, table)
    (summary,) = found.summaries
    rows = [r for r in found.results if r.option_id == PATROLS]
    assert summary.total_npsv == pytest.approx(sum(r.npsv for r in rows))
    assert len(summary.areas_paying) == sum(r.npsv > 0 for r in rows)
    assert len(summary.areas_paying) + len(summary.areas_not_paying) == 300
    assert list(summary.ranking) == [
        r.area_id for r in sorted(rows, key=lambda r: (-r.npsv, r.area_id))
    ]
    assert summary.npsv_percentiles[2] == pytest.approx(float(np.median([r.npsv for r in rows])))


@pytest.mark.parametrize("draws", [0, 300])
def test_reordering_or_subsetting_the_table_changes_no_area(
    template: cba.Scenario, table: AreaTable, draws: int
) -> None:
    rng = np.random.default_rng(16)
    shuffled = dataclasses.replace(
        table, rows=tuple(table.rows[i] for i in rng.permutation(len(table.rows)))
    )
    subset = dataclasses.replace(table, rows=table.rows[100:112])
    whole = {r.area_id: r for r in batch(template, table, draws=draws).results}
    for other in (shuffled, subset):
        for r in batch(template, other, draws=draws).results:
            assert r == whole[r.area_id]


def test_an_area_at_the_template_values_draws_as_cba_run_does(template: cba.Scenario) -> None:
    """An area whose attributes are the template's draws exactly what cba run draws with the
    area's seed: the same streams, through cba.uncertainty's own simulation."""
    table = AreaTable("t.csv", ("area_id",), (("home",),), first_row=2)
    found = batch(template, table, draws=2000, seed=7)
    (row,) = found.results
    reference = cba.run(template, sensitivity=False, draws=2000, seed=area_seed(7, "home"))
    assert reference.uncertainty is not None
    option = next(o for o in reference.uncertainty.options if o.option_id == PATROLS)
    assert row.npsv_mean == pytest.approx(option.npsv.mean, rel=1e-9)
    assert row.probability_npsv_positive == pytest.approx(option.probability_npsv_positive)


def test_draws_evaluated_in_slices_give_the_same_figures(
    template: cba.Scenario, table: AreaTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    subset = dataclasses.replace(table, rows=table.rows[:3])
    whole = batch(template, subset, draws=1000).results
    monkeypatch.setattr(batch_module, "CHUNK_SETTINGS", 128)
    sliced = batch(template, subset, draws=1000).results
    assert sliced == whole


def test_area_seeds_depend_on_the_seed_and_the_id_only() -> None:
    assert area_seed(1, "N001") == area_seed(1, "N001")
    assert len({area_seed(1, "N001"), area_seed(2, "N001"), area_seed(1, "N002")}) == 3
    assert 0 <= area_seed(1, "N001") < 2**63


def _table(text: str, tmp_path: Path) -> AreaTable:
    path = tmp_path / "areas.csv"
    path.write_text(text, encoding="utf-8")
    return read_area_table(path)


def test_bad_rows_are_located_and_the_others_evaluated(
    template: cba.Scenario, tmp_path: Path
) -> None:
    path = "options.resident_patrols.benefits.burglary_avoided.deadweight"
    table = _table(
        f"area_id,households,population,{path}\n"
        "A,4000,10000,0.3\n"
        ",4000,10000,0.3\n"  # line 3: no id
        "A,4000,10000,0.3\n"  # line 4: repeated id
        "C,lots,10000,0.3\n"  # line 5: not a number
        "D,-5,10000,0.3\n"  # line 6: negative attribute
        "E,4000,10000,1.5\n"  # line 7: a share above 1
        "F,4000,,0.3\n"  # line 8: no value
        "G,3000,8000,0.25\n",
        tmp_path,
    )
    found = batch(template, table)
    assert [a.area_id for a in found.inputs] == ["A", "G"]
    problems = {(p.row, p.column): p.message for p in found.problems}
    assert "no area id" in problems[(3, "area_id")]
    assert "repeats an earlier row's" in problems[(4, "area_id")]
    assert "not a number: 'lots'" in problems[(5, "households")]
    assert "negative" in problems[(6, "households")]
    assert "above the input's range" in problems[(7, path)]
    assert "no value" in problems[(8, "population")]
    assert found.attributes_from_template["area_cost_index"] == 1.0


def test_a_header_the_template_cannot_use_is_refused(
    template: cba.Scenario, tmp_path: Path
) -> None:
    table = _table(
        "area_id,housholds,options.resident_patrols.costs.coordinator.amount_per_year,"
        "options.resident_patrols.benefits.burglary_avoided.deadweigth\nA,1,2,3\n",
        tmp_path,
    )
    with pytest.raises(BatchError) as caught:
        plan_batch(template, table)
    messages = {p.column: p.message for p in caught.value.problems}
    assert "Did you mean 'households'?" in messages["housholds"]
    assert (
        "writes this input per area attribute"
        in messages["options.resident_patrols.costs.coordinator.amount_per_year"]
    )
    assert (
        "Did you mean 'options.resident_patrols.benefits.burglary_avoided.deadweight'"
        in (messages["options.resident_patrols.benefits.burglary_avoided.deadweigth"])
    )


def test_a_path_column_sets_its_input(template: cba.Scenario, tmp_path: Path) -> None:
    path = "options.resident_patrols.benefits.burglary_avoided.deadweight"
    table = _table(f"area_id,{path}\nlow,0.1\nhigh,0.6\n", tmp_path)
    plan = plan_batch(template, table)
    areas, problems = area_inputs(plan, table)
    assert not problems and [a.values[path] for a in areas] == [0.1, 0.6]
    found = {r.area_id: r.npsv for r in batch(template, table).results}
    assert found["low"] > found["high"]
