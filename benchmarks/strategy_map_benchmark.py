"""Strategy-map benchmark (part of ``make bench``): backwards mapping of 20 pathways and the
least-cost mix on a synthetic map of 200 nodes and 600 links, in process.

Target (issue 13): backwards mapping and the least-cost mix together under 1 s; the linear
programme's solve time (HiGHS alone) is quoted separately from building the programme.
"""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
from timing import time_in_process

import cba
from cba.engine.strategy_map import FINAL, solve_flows
from cba.model.strategy_map import compile_map
from cba.strategy_map import backwards, least_cost_mix, map_arrays

INPUTS, ACTIVITIES, INTERMEDIATES, FINALS = 40, 60, 80, 20
SEED = 20261202


def synthetic_map() -> dict[str, Any]:
    """200 nodes (40 inputs, 60 activities, 80 intermediate and 20 final outcomes), 600 links
    (3 inputs into each activity, 3 activities into each intermediate outcome, 9 intermediate
    outcomes into each final outcome, a third of those with diminishing returns), 20 pathways
    (one per final outcome, all its ancestors) and 10 limits."""
    rng = random.Random(SEED)
    agencies = [f"agency{k}" for k in range(5)]
    inputs = [
        {
            "id": f"in{i}",
            "name": f"input {i}",
            "unit": "hour",
            "contributed_by": agencies[i % 5],
            "unit_cost": round(rng.uniform(10, 60), 2),
            "source": "Synthetic.",
        }
        for i in range(INPUTS)
    ]

    def node(prefix: str, i: int, unit: str) -> dict[str, Any]:
        return {"id": f"{prefix}{i}", "name": f"{prefix} {i}", "unit": unit}

    activities = [node("act", i, "session") for i in range(ACTIVITIES)]
    intermediates = [node("mid", i, "person helped") for i in range(INTERMEDIATES)]
    finals = [
        {**node("out", i, "outcome"), "target": float(rng.randint(5, 50))} for i in range(FINALS)
    ]
    links: list[dict[str, Any]] = []

    def link(source: str, target: str, unit: str, **extra: Any) -> None:
        links.append(
            {
                "id": f"l{len(links)}",
                "from": source,
                "to": target,
                "rate": round(rng.uniform(0.05, 2.0), 3),
                "unit": unit,
                "evidence": "illustrative",
                "source": "Synthetic.",
                **extra,
            }
        )

    for a in range(ACTIVITIES):
        for i in rng.sample(range(INPUTS), 3):
            link(f"in{i}", f"act{a}", "session per hour")
    for m in range(INTERMEDIATES):
        for a in rng.sample(range(ACTIVITIES), 3):
            link(f"act{a}", f"mid{m}", "person helped per session")
    parents: dict[int, list[int]] = {f: [] for f in range(FINALS)}
    for f in range(FINALS):
        for m in rng.sample(range(INTERMEDIATES), 9):
            parents[f].append(m)
            curved = len(links) % 3 == 0
            extra = (
                {"returns": {"n0": 100.0, "shape": {"law": "power", "elasticity": 0.8}}}
                if curved
                else {}
            )
            link(f"mid{m}", f"out{f}", "outcome per person helped", **extra)
    into: dict[str, list[str]] = {}
    for item in links:
        into.setdefault(item["to"], []).append(item["from"])
    pathways = []
    for f in range(FINALS):
        members: set[str] = set()
        pending = [f"out{f}"]
        while pending:
            for parent in into.get(pending.pop(), []):
                if parent not in members:
                    members.add(parent)
                    pending.append(parent)
        pathways.append(
            {
                "id": f"p{f}",
                "name": f"pathway {f}",
                "outcome": f"out{f}",
                "nodes": sorted(members),
            }
        )
    limits = [
        {
            "id": f"hours{k}",
            "name": f"hours {k}",
            "inputs": [f"in{i}" for i in range(k, INPUTS, 5)],
            "max": 1e6,
            "source": "Synthetic.",
        }
        for k in range(5)
    ] + [
        {
            "id": f"budget{k}",
            "name": f"budget {k}",
            "agency": agencies[k],
            "max": 1e8,
            "source": "S.",
        }
        for k in range(5)
    ]
    return {
        "cba_scenario": "1.0",
        "id": "synthetic_map",
        "title": "Synthetic strategy map",
        "price_base_year": 2024,
        "first_year": 2024,
        "appraisal_period_years": 5,
        "agencies": [{"id": a, "name": a, "sector": "public"} for a in agencies],
        "counterfactual": "none",
        "options": [{"id": "none", "name": "None"}, {"id": "other", "name": "Other"}],
        "strategy_map": {
            "inputs": inputs,
            "activities": activities,
            "intermediate_outcomes": intermediates,
            "final_outcomes": finals,
            "links": links,
            "pathways": pathways,
            "limits": limits,
        },
    }


def main() -> None:
    start = time.perf_counter()
    scenario = cba.scenario_from_dict(synthetic_map())
    validate = time.perf_counter() - start
    compiled = compile_map(scenario)
    pathways = range(len(compiled.pathway_ids))

    def all_of_it() -> None:
        for p in pathways:
            backwards(compiled, p)
        least_cost_mix(compiled)

    total = time_in_process(all_of_it, runs=5)
    backwards_only = time_in_process(lambda: [backwards(compiled, p) for p in pathways], runs=5)
    mix_only = time_in_process(lambda: least_cost_mix(compiled), runs=5)
    arrays = map_arrays(compiled)
    links = np.any(compiled.pathway_links, axis=0)
    targets = np.where(compiled.kind == FINAL, compiled.target, np.nan)
    solves = []
    for _ in range(5):
        solution = solve_flows(arrays, links, targets=targets, use_limits=True)
        solves.append(solution.solve_seconds)
    assert solution.status == "optimal", solution.message
    print(
        f"strategy map: {compiled.kind.size} nodes, {compiled.rate.size} links, "
        f"{len(compiled.pathway_ids)} pathways, {compiled.limit_max.size} limits "
        f"(validating the scenario: {validate:.2f} s, once)"
    )
    print(f"  backwards mapping (20 pathways) + least-cost mix: {total:.3f} s (target < 1 s)")
    print(f"    backwards mapping, 20 pathways: {backwards_only:.3f} s")
    print(f"    least-cost mix (two programmes): {mix_only:.3f} s")
    print(f"    one mix programme, HiGHS solve time alone: {float(np.median(solves)):.3f} s")


if __name__ == "__main__":
    main()
