"""The SROI view of an appraisal (``cba.sroi``, docs/sroi.md): a scenario worked by hand, the
first-year switch, its relation to the Green Book figures, the JSON section and the terminal
line."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from hypothesis import given, settings
from rich.console import Console

import cba
from cba.io.json_results import results_to_dict
from cba.io.terminal import print_summary
from cba.results import SROI_UNITS, Results
from cba.spec.scenario import Scenario, reference_context
from cba.spec.sroi import SROI_GUIDE_SOURCE
from tests.property.bounds import magnitude, money_tolerance
from tests.property.strategies import scenario_dict

SOURCE = "hand-worked test"

# Three years (2024-2026) at the Green Book's 3.5%:
#   D (start of year) = 1, 0.966183575, 0.933510700; sum 2.899694275
#   E (end of year)   = 0.966183575, 0.933510700, 0.901942706; sum 2.801636981
# Inputs: council capital GBP 1,000 in 2024; a charity's hall GBP 200 a year; residents' time
# 50 hours a year at GBP 10 = GBP 500 a year.
#   value of inputs = 1,000 + 200 x 2.899694275 + 500 x 2.899694275
#                   = 1,000 + 579.938855 + 1,449.847138 = 3,029.785993 (either convention)
# Benefit: 10 outcomes a year, deadweight 0.2, attribution 0.25 -> 6 net outcomes, GBP 300
# social each = GBP 1,800 a year; a GBP 100 fiscal transfer per outcome is not counted.
#   PV benefits, end of year   = 1,800 x 2.801636981 = 5,042.946566
#   PV benefits, start of year = 1,800 x 2.899694275 = 5,219.449695 (= PVB)
#   SROI = 5,042.946566 / 3,029.785993 = 1.664456 (net 0.664456)
#        or 5,219.449695 / 3,029.785993 = 1.722712 (net 0.722712)
# With a health line of GBP 1,000 a year added (health schedule, 1.5%):
#   E_health sum = 1/1.015 + 1/1.015^2 + 1/1.015^3 = 2.912200417; D_health sum = 2.955883424
#   PV benefits = 5,042.946566 + 2,912.200417 = 7,955.146983 -> SROI 2.625646
#              or 5,219.449695 + 2,955.883424 = 8,175.333119 -> SROI 2.698320
INPUTS = 3029.785993
END_PV, START_PV = 5042.946566, 5219.449695
END_PV_HEALTH, START_PV_HEALTH = 7955.146983, 8175.333119


def hand_worked(sroi: dict[str, Any] | None = None, health: bool = False) -> dict[str, Any]:
    benefits: list[dict[str, Any]] = [
        {
            "id": "outcome",
            "name": "Outcome",
            "outcomes_per_year": 10,
            "deadweight": 0.2,
            "attribution": 0.25,
            "unit_values": [
                {"value_type": "social", "amount": 300, "source": SOURCE},
                {
                    "value_type": "fiscal",
                    "amount": 100,
                    "agency": "council",
                    "transfer": True,
                    "source": SOURCE,
                },
            ],
            "source": SOURCE,
        }
    ]
    if health:
        benefits.append(
            {
                "id": "wellbeing",
                "name": "Health gain",
                "outcomes_per_year": 1,
                "health": True,
                "unit_values": [{"value_type": "social", "amount": 1000, "source": SOURCE}],
                "source": SOURCE,
            }
        )
    data: dict[str, Any] = {
        "cba_scenario": "1.0",
        "id": "sroi_hand",
        "title": "=SROI worked by hand",
        "price_base_year": 2024,
        "first_year": 2024,
        "appraisal_period_years": 3,
        "agencies": [
            {"id": "council", "name": "Council", "sector": "public"},
            {"id": "charity", "name": "Charity", "sector": "third_sector"},
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
                        "id": "capital",
                        "name": "Capital",
                        "category": "capital",
                        "series": {2024: 1000},
                        "paid_by": "council",
                        "source": SOURCE,
                    },
                    {
                        "id": "hall",
                        "name": "Hall",
                        "category": "revenue",
                        "amount_per_year": 200,
                        "paid_by": "charity",
                        "source": SOURCE,
                    },
                ],
                "community_inputs": [
                    {
                        "kind": "time",
                        "id": "hours",
                        "name": "Volunteer hours",
                        "contributed_by": "residents",
                        "hours_per_year": 50,
                        "value_per_hour": 10,
                        "valuation_basis": "shadow_wage",
                        "source": SOURCE,
                    }
                ],
                "benefits": benefits,
            },
        ],
    }
    if sroi is not None:
        data["sroi"] = sroi
    return data


def run(data: dict[str, Any]) -> Results:
    scenario = Scenario.model_validate(data, context=reference_context(data))
    return cba.run(scenario, sensitivity=False, uncertainty=False)


def test_default_is_the_guides_end_of_year_convention() -> None:
    results = run(hand_worked())
    view = results.sroi
    assert view is not None and view.discount_first_year
    assert view.source == SROI_GUIDE_SOURCE
    item = view.option("scheme")
    assert item.basis == "incremental"
    assert item.pv_benefits == pytest.approx(END_PV, abs=1e-6)
    assert item.pv_public_costs == pytest.approx(1000.0, abs=1e-9)
    assert item.pv_non_public_costs == pytest.approx(579.938855, abs=1e-6)
    assert item.pv_community_inputs == pytest.approx(1449.847138, abs=1e-6)
    assert item.value_of_inputs == pytest.approx(INPUTS, abs=1e-6)
    assert item.net_present_value == pytest.approx(END_PV - INPUTS, abs=1e-6)
    assert item.ratio == pytest.approx(1.664456, abs=1e-6)
    assert item.net_ratio == pytest.approx(0.664456, abs=1e-6)
    assert [o.option_id for o in view.incremental] == ["scheme"]
    assert [o.option_id for o in view.gross] == ["nothing", "scheme"]
    assert view.option("nothing", "gross").ratio is None
    assert "zero" in view.option("nothing", "gross").undefined["ratio"]


def test_first_year_undiscounted_reproduces_the_green_book_ledger() -> None:
    results = run(hand_worked({"discount_first_year": False, "source": "Our board's choice"}))
    view = results.sroi
    assert view is not None and not view.discount_first_year
    assert view.source == "Our board's choice"
    item = view.option("scheme")
    assert item.pv_benefits == pytest.approx(START_PV, abs=1e-6)
    assert item.ratio == pytest.approx(1.722712, abs=1e-6)
    m = results.option("scheme").incremental
    assert item.pv_benefits == pytest.approx(m.pv_benefits, rel=1e-12)
    inputs = m.pv_public_costs + m.pv_non_public_costs + m.pv_community_inputs
    assert item.value_of_inputs == pytest.approx(inputs, rel=1e-12)


@pytest.mark.parametrize(("first", "pv"), [(True, END_PV_HEALTH), (False, START_PV_HEALTH)])
def test_health_lines_keep_their_schedule(first: bool, pv: float) -> None:
    view = run(hand_worked({"discount_first_year": first}, health=True)).sroi
    assert view is not None
    item = view.option("scheme")
    assert item.pv_benefits == pytest.approx(pv, abs=1e-6)
    assert item.ratio == pytest.approx(pv / INPUTS, rel=1e-9)
    assert sum(item.benefits_health) == pytest.approx(3000.0)
    assert view.benefit_factors_health[0] == pytest.approx(1 / 1.015 if first else 1.0)


def test_unknown_key_in_the_block_is_refused() -> None:
    data = hand_worked({"discount_first_year": True, "rate": 0.035})
    with pytest.raises(ValueError, match="rate"):
        Scenario.model_validate(data, context=reference_context(data))


def test_json_section_has_units_and_figures() -> None:
    doc = results_to_dict(run(hand_worked()))
    section = doc["sroi"]
    assert section["units"] == SROI_UNITS
    assert "different convention from the Green Book BCR" in section["note"]
    assert section["years"] == [2024, 2025, 2026]
    assert section["discount_first_year"] is True
    item = section["incremental"][0]
    for key in (
        "pv_benefits",
        "pv_public_costs",
        "pv_non_public_costs",
        "pv_community_inputs",
        "value_of_inputs",
        "net_present_value",
        "ratio",
        "net_ratio",
    ):
        assert key in SROI_UNITS and isinstance(item[key], float)
    assert item["ratio"] == pytest.approx(1.664456, abs=1e-6)
    assert section["gross"][0]["ratio"] is None
    assert "zero" in section["gross"][0]["undefined"]["ratio"]


def test_terminal_says_which_convention() -> None:
    console = Console(width=200, file=io.StringIO(), highlight=False)
    print_summary(run(hand_worked()), console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "SROI (SROI guide convention, not the Green Book BCR): 1.66 : 1" in text
    assert "net SROI 0.66" in text


def scaled(data: dict[str, Any], k: float) -> dict[str, Any]:
    """Every amount (costs, values of an hour, unit values) times ``k``."""
    out = copy.deepcopy(data)
    for option in out["options"]:
        for cost in option["costs"]:
            cost["amount_per_year"] *= k
        for item in option["community_inputs"]:
            item["value_per_hour"] *= k
        for line in option["benefits"]:
            for value in line["unit_values"]:
                value["amount"] *= k
    return out


def _without_first_year(data: dict[str, Any]) -> dict[str, Any]:
    return {**copy.deepcopy(data), "sroi": {"discount_first_year": False}}


@settings(max_examples=40, deadline=None)
@given(scenario_dict(max_years=20))
def test_sroi_relates_to_the_bcr(data: dict[str, Any]) -> None:
    """With year 0 undiscounted, SROI = PVB / (P + NP + K) and the BCR over public costs and
    community inputs is (PVB - NP) / (P + K); so SROI - 1 = (BCR - 1) (P + K) / (P + K + NP):
    SROI lies between 1 and that BCR, and equals it when no other sector pays."""
    results = run(_without_first_year(data))
    assert results.sroi is not None
    cf = results.option(results.counterfactual)
    for item in results.sroi.incremental:
        option = results.option(item.option_id)
        m = option.incremental
        tolerance = money_tolerance(magnitude(option, cf, "incremental"))
        assert abs(item.pv_benefits - m.pv_benefits) <= 10 * tolerance
        base = m.pv_public_costs + m.pv_community_inputs
        if item.ratio is None or m.bcr_public_and_community is None or base <= 0:
            continue
        expected = 1 + (m.bcr_public_and_community - 1) * base / item.value_of_inputs
        assert item.ratio == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(scenario_dict(max_years=20))
def test_scaling_every_amount_leaves_the_sroi_ratio(data: dict[str, Any]) -> None:
    base, big = run(data), run(scaled(data, 7.0))
    assert base.sroi is not None and big.sroi is not None
    for a, b in zip(base.sroi.incremental, big.sroi.incremental, strict=True):
        assert (a.ratio is None) == (b.ratio is None) or a.value_of_inputs == pytest.approx(0)
        if a.ratio is not None and b.ratio is not None:
            assert b.ratio == pytest.approx(a.ratio, rel=1e-9)
            assert b.pv_benefits == pytest.approx(7.0 * a.pv_benefits, rel=1e-9, abs=1e-6)
