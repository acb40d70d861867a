"""Scale-sweep benchmark (part of ``make bench``): a 1,000-point sweep of a scenario with 50 lines
over 30 years, against one unswept run and against a plain Python loop of 1,000 single runs.

Target (issue 4): the sweep costs less than 5 single runs.
"""

from __future__ import annotations

import time
from typing import Any

from timing import time_in_process

import cba
from cba.scale_sweep import sweep_option
from cba.spec.scenario import Scenario, reference_context

POINTS = 1_000
YEARS = 30
LOOP_RUNS = 1_000

LAWS: list[dict[str, Any] | None] = [
    None,
    {"law": "fixed"},
    {"law": "power", "elasticity": 0.8},
    {"law": "fixed_plus_variable", "fixed_share": 0.4},
    {"law": "step", "per": 25},
    {"law": "coordination", "exponent": 1.6},
    {"law": "saturating", "rate": 0.01},
    {"law": "participation", "delta": 0.3},
    {"law": "learning", "b": 0.2},
]


def synthetic_scenario() -> Scenario:
    """50 lines (20 costs, 10 community inputs, 20 benefits) over 30 years, swept."""
    costs = [
        {
            "id": f"cost{i}",
            "name": "cost",
            "category": "revenue",
            "amount_per_year": 1000.0 + 37 * i,
            "paid_by": "council" if i % 3 else "charity",
            "optimism_bias": 0.1,
            "scaling": LAWS[i % len(LAWS)],
            "source": "benchmark",
        }
        for i in range(20)
    ]
    inputs = [
        {
            "kind": "time",
            "id": f"input{i}",
            "name": "time",
            "contributed_by": "residents",
            "hours_per_year": 500.0 + i,
            "value_per_hour": 11.44,
            "valuation_basis": "shadow_wage",
            "scaling": LAWS[(i + 3) % len(LAWS)],
            "source": "benchmark",
        }
        for i in range(10)
    ]
    benefits = [
        {
            "id": f"benefit{i}",
            "name": "benefit",
            "outcomes_per_year": 10.0 + i,
            "deadweight": 0.2,
            "drop_off": 0.05,
            "health": i % 4 == 0,
            "scaling": LAWS[(i + 5) % len(LAWS)],
            "source": "benchmark",
            "unit_values": [
                {"value_type": "fiscal", "amount": 500.0, "agency": "council", "source": "b"},
                {"value_type": "social", "amount": 900.0, "source": "b"},
            ],
        }
        for i in range(20)
    ]
    for line in (*costs, *inputs, *benefits):
        if line["scaling"] is None:
            del line["scaling"]
    data: dict[str, Any] = {
        "cba_scenario": "1.0",
        "id": "bench",
        "title": "benchmark",
        "price_base_year": 2024,
        "first_year": 2024,
        "appraisal_period_years": YEARS,
        "agencies": [
            {"id": "council", "name": "Council", "sector": "public"},
            {"id": "charity", "name": "Charity", "sector": "third_sector"},
            {"id": "residents", "name": "Residents", "sector": "community"},
        ],
        "counterfactual": "bau",
        "options": [
            {"id": "bau", "name": "bau"},
            {
                "id": "scheme",
                "name": "scheme",
                "costs": costs,
                "community_inputs": inputs,
                "benefits": benefits,
                "scale": {
                    "driver": "participants",
                    "n0": 100.0,
                    "sweep": {"start": 10.0, "stop": 1000.0, "points": POINTS},
                },
            },
        ],
    }
    return Scenario.model_validate(data, context=reference_context(data))


def main() -> None:
    scenario = synthetic_scenario()
    unswept = Scenario.model_validate(
        {
            **scenario.model_dump(),
            "options": [
                scenario.options[0].model_dump(),
                {
                    **scenario.options[1].model_dump(),
                    "scale": {"driver": "participants", "n0": 100.0},
                },
            ],
        },
        context=reference_context(scenario.model_dump()),
    )
    # Like with like: a sweep computes no sensitivity analysis, so neither do these runs.
    single = time_in_process(lambda: cba.run(unswept, sensitivity=False), 20)
    sweep = time_in_process(lambda: sweep_option(scenario, "scheme", POINTS), 5)
    start = time.perf_counter()
    for _ in range(LOOP_RUNS):
        cba.run(unswept, sensitivity=False)
    loop = time.perf_counter() - start
    print(f"scale sweep: {POINTS:,} points, 50 lines, {YEARS} years")
    print(f"  one unswept run (median of 20):        {single * 1e3:9.1f} ms")
    print(
        f"  one {POINTS:,}-point sweep (median of 5):   {sweep * 1e3:9.1f} ms"
        f"   = {sweep / single:5.2f} single runs (target < 5)"
    )
    print(
        f"  plain loop of {LOOP_RUNS:,} single runs:       {loop * 1e3:9.1f} ms"
        f"   sweep is {loop / sweep:5.1f}x faster"
    )
    print()


if __name__ == "__main__":
    main()
