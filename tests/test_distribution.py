"""Distributional weights (Green Book Annex A3; docs/methods.md §18): weights, weighted figures
beside unweighted ones, located errors, the JSON section and the terminal line."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest

import cba
from cba.engine.distribution import welfare_weights
from cba.io.json_results import results_to_json
from cba.io.scenario_file import ScenarioError, scenario_from_dict


def test_weights_by_hand() -> None:
    # Green Book elasticity 1.3; ONS FYE 2023 median 34,500, poorest fifth 16,400, richest
    # fifth 68,400: (34,500 / 16,400) ** 1.3 = 2.1037 ** 1.3 = 2.63; (34,500 / 68,400) ** 1.3
    # = 0.5044 ** 1.3 = 0.41 (the ONS table's notes give the same two figures).
    weights = welfare_weights(34500.0, [16400.0, 68400.0, 34500.0], 1.3)
    assert weights[0] == pytest.approx(2.63, abs=0.005)
    assert weights[1] == pytest.approx(0.41, abs=0.005)
    assert weights[2] == 1.0
    assert welfare_weights(34500.0, [16400.0], 0.0)[0] == 1.0  # no aversion: no weighting


def scenario(weights: bool = True) -> dict[str, Any]:
    """One year (not discounted): a cost of 1,000 paid by the richest fifth's council tax, a
    benefit of 10 x 100 to the poorest fifth and 5 x 100 to nobody named, 20 volunteer hours
    at 10 an hour."""
    data: dict[str, Any] = {
        "cba_scenario": "1.0",
        "id": "weights",
        "title": "Distributional weights worked by hand",
        "price_base_year": 2024,
        "first_year": 2024,
        "appraisal_period_years": 1,
        "agencies": [
            {"id": "council", "name": "Council", "sector": "public"},
            {"id": "residents", "name": "Residents", "sector": "community"},
        ],
        "counterfactual": "nothing",
        "options": [
            {"id": "nothing", "name": "Do nothing"},
            {
                "id": "scheme",
                "name": "Scheme",
                "costs": [
                    {
                        "id": "grant",
                        "name": "Grant",
                        "category": "revenue",
                        "amount_per_year": 1000.0,
                        "paid_by": "council",
                        "income_group": "richest_fifth",
                        "source": "test",
                    }
                ],
                "community_inputs": [
                    {
                        "kind": "time",
                        "id": "hours",
                        "name": "Hours",
                        "contributed_by": "residents",
                        "hours_per_year": 20.0,
                        "value_per_hour": 10.0,
                        "valuation_basis": "shadow_wage",
                        "source": "test",
                    }
                ],
                "benefits": [
                    {
                        "id": "poorest",
                        "name": "Warmer homes",
                        "outcomes_per_year": 10.0,
                        "income_group": "poorest_fifth",
                        "unit_values": [
                            {"value_type": "social", "amount": 100.0, "source": "test"}
                        ],
                        "source": "test",
                    },
                    {
                        "id": "anyone",
                        "name": "Tidier streets",
                        "outcomes_per_year": 5.0,
                        "unit_values": [
                            {"value_type": "social", "amount": 100.0, "source": "test"}
                        ],
                        "source": "test",
                    },
                ],
            },
        ],
    }
    if not weights:
        for kind in ("costs", "benefits"):
            for line in data["options"][1][kind]:
                line.pop("income_group", None)
    else:
        data["distributional_weights"] = {
            "elasticity": 1.3,
            "reference_income": 34500.0,
            "source": "Green Book Annex A3; ONS HDII FYE 2023",
            "groups": {
                "poorest_fifth": {"name": "Poorest fifth", "income": 16400.0, "source": "ONS"},
                "richest_fifth": {"name": "Richest fifth", "income": 68400.0, "source": "ONS"},
            },
        }
    return data


def test_weighted_npsv_by_hand() -> None:
    # w_poorest = 2.629467584, w_richest = 0.410763543 (as above, unrounded).
    # weighted PVB   = 1,000 x 2.629467584 + 500 x 1         = 3,129.467584
    # weighted PVC   = 1,000 x 0.410763543                    =   410.763543
    # community inputs (weight 1) = 20 x 10                   =   200
    # weighted NPSV  = 3,129.467584 - 410.763543 - 200        = 2,518.704040
    # unweighted NPSV = 1,500 - 1,000 - 200                   =   300
    results = cba.run(scenario_from_dict(scenario()), sensitivity=False)
    view = results.distributional
    assert view is not None
    w = {g.group_id: g.weight for g in view.groups}
    assert w["poorest_fifth"] == pytest.approx(2.629467584, rel=1e-9)
    assert w["richest_fifth"] == pytest.approx(0.410763543, rel=1e-9)
    for basis in ("gross", "incremental"):
        m = getattr(view.option("scheme"), basis)
        assert m.weighted_pv_benefits == pytest.approx(3129.467584, rel=1e-9)
        assert m.weighted_pv_costs == pytest.approx(410.763543, rel=1e-9)
        assert m.weighted_npsv == pytest.approx(2518.704040, rel=1e-9)
        assert (m.pv_benefits, m.pv_costs, m.npsv) == pytest.approx((1500.0, 1000.0, 300.0))
    assert view.option("nothing").incremental.weighted_npsv == 0.0


def test_a_unit_value_may_name_its_own_group() -> None:
    """A line that mixes an agency's saving with residents' gains weights each value by its own
    group: the saving (no group) at 1, the residents' value at the poorest fifth's 2.63."""
    data = scenario()
    anyone = data["options"][1]["benefits"][1]
    anyone["unit_values"] = [
        {"value_type": "fiscal", "amount": 40.0, "agency": "council", "source": "test"},
        {"value_type": "social", "amount": 60.0, "income_group": "poorest_fifth", "source": "t"},
    ]
    # The line 'poorest' as before (1,000 x 2.629467584); 'anyone': 5 x 40 at 1 + 5 x 60 at
    # 2.629467584 = 200 + 788.840275 -> weighted PVB = 2,629.467584 + 988.840275.
    view = cba.run(scenario_from_dict(data), sensitivity=False).distributional
    assert view is not None
    m = view.option("scheme").gross
    assert m.weighted_pv_benefits == pytest.approx(2629.467584 + 988.840275, rel=1e-9)
    # A value's group overrides its line's.
    data["options"][1]["benefits"][0]["unit_values"][0]["income_group"] = "richest_fifth"
    view = cba.run(scenario_from_dict(data), sensitivity=False).distributional
    assert view is not None
    m = view.option("scheme").gross
    assert m.weighted_pv_benefits == pytest.approx(1000 * 0.410763543 + 988.840275, rel=1e-9)


def test_an_unknown_group_on_a_unit_value_is_refused() -> None:
    data = scenario()
    data["options"][1]["benefits"][1]["unit_values"][0]["income_group"] = "poorest_fith"
    with pytest.raises(ScenarioError, match=r"poorest_fith.*poorest_fifth"):
        scenario_from_dict(data)


def test_unweighted_figures_do_not_move_with_the_block() -> None:
    weighted = cba.run(scenario_from_dict(scenario()), sensitivity=False)
    plain = cba.run(scenario_from_dict(scenario(weights=False)), sensitivity=False)
    assert plain.distributional is None
    assert weighted.option("scheme").incremental == plain.option("scheme").incremental


def test_an_unknown_group_is_located_with_a_hint() -> None:
    data = scenario()
    data["options"][1]["benefits"][0]["income_group"] = "poorest_fith"
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data)
    text = str(caught.value)
    assert "options[1].benefits[0].income_group" in text
    assert "Did you mean 'poorest_fifth'?" in text
    data = scenario(weights=False)
    data["options"][1]["costs"][0]["income_group"] = "richest_fifth"
    with pytest.raises(ScenarioError, match="unknown income group"):
        scenario_from_dict(data)


def test_references_to_the_shipped_tables_give_the_same_weights() -> None:
    data = scenario()
    block = data["distributional_weights"]
    table = "ons_household_income@fye2023"
    block["elasticity"] = {
        "ref": "green_book_distributional_weights@2022:marginal_utility_of_income.elasticity"
    }
    block["reference_income"] = {"ref": f"{table}:all_households.median_income"}
    block["groups"]["poorest_fifth"] = {
        "name": "Poorest fifth",
        "income": {"ref": f"{table}:poorest_fifth.median_income"},
    }
    data["deflator"] = {"ref": "gdp_deflator_fy@2026-03"}
    loaded = scenario_from_dict(copy.deepcopy(data))
    weights = loaded.distributional_weights
    assert weights is not None
    assert weights.reference_income != 34500.0  # rebased from 2022 to 2024 prices
    assert weights.weight("poorest_fifth") == pytest.approx((34500 / 16400) ** 1.3, rel=1e-12)
    assert "Office for National Statistics" in weights.groups["poorest_fifth"].source


def test_json_and_terminal_show_weighted_beside_unweighted() -> None:
    results = cba.run(scenario_from_dict(scenario()), sensitivity=False)
    written = json.loads(results_to_json(results))
    section = written["distributional_weights"]
    assert section["units"]["weighted_npsv"].startswith("GBP")
    option = next(o for o in section["options"] if o["option_id"] == "scheme")
    assert np.isclose(option["incremental"]["weighted_npsv"], 2518.704040)
    assert np.isclose(option["incremental"]["npsv"], 300.0)
    from cba.io.terminal import distributional_lines

    lines = distributional_lines(results)
    assert any("weighted NPSV £2,519" in line and "unweighted £300" in line for line in lines)


def test_workbook_sheet_has_live_weights_and_recalculates(tmp_path: Any) -> None:
    import openpyxl

    from cba.io.workbook.writer import build_workbook
    from tests import libreoffice as lo

    loaded = scenario_from_dict(scenario())
    results = cba.run(loaded, sensitivity=False)
    data, _ = build_workbook(results, loaded, {"command": "test"}, None)
    path = tmp_path / "weights.xlsx"
    path.write_bytes(data)
    sheet = openpyxl.load_workbook(path)["Distributional weights"]
    formulas = [str(c.value) for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert any(f.startswith("=($B$5/C") and f.endswith(")^$B$4") for f in formulas)
    lo.require_libreoffice()
    assert lo.recalculate_and_compare([path], tmp_path / "out")[path] == []
    plain = scenario_from_dict(scenario(weights=False))
    data, _ = build_workbook(cba.run(plain, sensitivity=False), plain, {"command": "t"}, None)
    (tmp_path / "plain.xlsx").write_bytes(data)
    assert (
        "Distributional weights" not in openpyxl.load_workbook(tmp_path / "plain.xlsx").sheetnames
    )
