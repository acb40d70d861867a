"""Hypothesis strategies for random small, valid scenarios (as plain dicts)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

AGENCIES = [
    {"id": "council", "name": "Council", "sector": "public"},
    {"id": "police", "name": "Police", "sector": "public"},
    {"id": "charity", "name": "Charity", "sector": "third_sector"},
    {"id": "residents", "name": "Residents", "sector": "community"},
]
FIRST_YEAR = 2024

money = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
fraction = st.floats(min_value=0.0, max_value=0.9, allow_nan=False)


@st.composite
def cost_line(draw: st.DrawFn, index: int, n_years: int) -> dict[str, Any]:
    start = draw(st.integers(0, n_years - 1))
    end = draw(st.integers(start, n_years - 1))
    payer = draw(st.sampled_from(["council", "police", "charity", "split"]))
    paid_by: Any = {"council": 0.25, "police": 0.75} if payer == "split" else payer
    return {
        "id": f"cost{index}",
        "name": "cost",
        "category": draw(st.sampled_from(["capital", "revenue", "in_kind"])),
        "amount_per_year": draw(money),
        "start_year": FIRST_YEAR + start,
        "end_year": FIRST_YEAR + end,
        "paid_by": paid_by,
        "optimism_bias": draw(
            st.one_of(
                fraction,
                st.just({"confidence_grade": 3}),
                st.just({"category": "standard_buildings", "mitigation": 0.5}),
                st.just({"upper_bound": 0.3, "mitigation": 0.25, "source": "test"}),
            )
        ),
        "source": "test",
    }


@st.composite
def benefit_line(draw: st.DrawFn, index: int, n_years: int) -> dict[str, Any]:
    start = draw(st.integers(0, n_years - 1))
    kinds = draw(
        st.lists(
            st.sampled_from(["fiscal", "economic", "social", "transfer"]), min_size=1, max_size=3
        )
    )
    values = []
    for kind in kinds:
        if kind in ("fiscal", "transfer"):
            values.append(
                {
                    "value_type": "fiscal",
                    "amount": draw(money),
                    "agency": "council",
                    "cashable": draw(st.booleans()),
                    "transfer": kind == "transfer",
                    "source": "test",
                }
            )
        else:
            values.append({"value_type": kind, "amount": draw(money), "source": "test"})
    line: dict[str, Any] = {
        "id": f"benefit{index}",
        "name": "benefit",
        "unit_values": values,
        "deadweight": draw(fraction),
        "attribution": draw(fraction),
        "drop_off": draw(fraction),
        "start_year": FIRST_YEAR + start,
        "health": draw(st.booleans()),
        "source": "test",
    }
    if draw(st.booleans()):
        line["outcomes_per_year"] = draw(st.floats(0, 1000))
    else:
        line["outcomes"] = {
            "cohort": draw(st.floats(0, 5000)),
            "engagement_rate": draw(fraction),
            "success_rate": draw(fraction),
        }
    return line


@st.composite
def option(draw: st.DrawFn, option_id: str, n_years: int) -> dict[str, Any]:
    n_costs = draw(st.integers(0, 3))
    n_benefits = draw(st.integers(0, 3))
    inputs = []
    if draw(st.booleans()):
        inputs.append(
            {
                "kind": "time",
                "id": "volunteers",
                "name": "volunteering",
                "contributed_by": "residents",
                "hours_per_year": draw(st.floats(0, 1e4)),
                "value_per_hour": draw(st.floats(0, 30)),
                "valuation_basis": "replacement_cost",
                "source": "test",
            }
        )
    return {
        "id": option_id,
        "name": option_id,
        "costs": [draw(cost_line(i, n_years)) for i in range(n_costs)],
        "community_inputs": inputs,
        "benefits": [draw(benefit_line(i, n_years)) for i in range(n_benefits)],
    }


@st.composite
def scenario_dict(draw: st.DrawFn, max_years: int = 40) -> dict[str, Any]:
    n_years = draw(st.integers(1, max_years))
    n_options = draw(st.integers(2, 3))
    return {
        "cba_scenario": "1.0",
        "id": "random",
        "title": "random",
        "price_base_year": FIRST_YEAR,
        "first_year": FIRST_YEAR,
        "appraisal_period_years": n_years,
        "agencies": AGENCIES,
        "options": [draw(option(f"option{i}", n_years)) for i in range(n_options)],
        "counterfactual": "option0",
    }
