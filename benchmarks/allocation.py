"""Allocation benchmark (issue 15): 30 schemes, 10 of them divisible with 20-segment scale
curves, over 5 years and 5 agencies; the central solve, and the per-draw re-solve over 1,000
uncertainty draws of the schemes' values (a sample of them, extrapolated, unless ``--all``).

Target: the central solve under 2 s. Figures are printed, not asserted.

    python benchmarks/allocation.py [--draws N] [--all]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from cba.engine.allocation import AllocationProblem, allocate, allocate_draws

SCHEMES = 30
DIVISIBLE = 10
SEGMENTS = 20
YEARS = 5
AGENCIES = 5
DRAWS = 1_000
SAMPLE = 100
"""Draws re-solved unless ``--all`` (the per-draw time is extrapolated to ``DRAWS``)."""


def synthetic_problem(seed: int = 15) -> AllocationProblem:
    """Schemes with concave (divisible) or single-point NPSV, costs spread over 5 years and 5
    agencies; limits on the envelope (in total and by year) and on each agency (likewise), set
    at about a third of what funding everything would cost."""
    rng = np.random.default_rng(seed)
    values, uses = [], []
    for i in range(SCHEMES):
        shares = rng.dirichlet(np.ones(AGENCIES))  # (A,)
        profile = rng.dirichlet(np.ones(YEARS))  # (T,)
        if i < DIVISIBLE:
            n = np.linspace(0.2, 1.0, SEGMENTS + 1)
            cost = rng.uniform(50_000, 300_000) * n
            value = rng.uniform(1.2, 2.5) * cost - rng.uniform(0.5, 1.5) * cost**2 / cost[-1]
        else:
            cost = np.array([rng.uniform(20_000, 400_000)])
            value = rng.uniform(-0.2, 1.5) * cost
        by = cost[:, None, None] * shares[None, :, None] * profile[None, None, :]  # (K, A, T)
        columns = [by.sum(axis=(1, 2))]  # envelope, total
        columns += [by[:, :, t].sum(axis=1) for t in range(YEARS)]  # envelope by year
        for a in range(AGENCIES):
            columns.append(by[:, a].sum(axis=1))
            columns += [by[:, a, t] for t in range(YEARS)]
        values.append(value)
        uses.append(np.column_stack(columns))
    full = np.sum([u.max(axis=0) for u in uses], axis=0)
    return AllocationProblem(
        values=tuple(values),
        uses=tuple(uses),
        limits=full / 3.0,
        required=np.zeros(SCHEMES, dtype=bool),
        exclusive_groups=((10, 11), (12, 13, 14)),
        dependencies=((15, 16), (2, 17)),
        interactions=((0, 1, 20_000.0), (18, 19, -15_000.0)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=SAMPLE, help="draws re-solved")
    parser.add_argument("--all", action="store_true", help=f"re-solve all {DRAWS:,} draws")
    args = parser.parse_args()
    problem = synthetic_problem()
    start = time.perf_counter()
    central = allocate(problem)
    central_seconds = time.perf_counter() - start
    print(
        f"{SCHEMES} schemes ({DIVISIBLE} divisible, {SEGMENTS} segments each), {YEARS} years, "
        f"{AGENCIES} agencies: {problem.limits.size} limits"
    )
    print(
        f"central solve: {central_seconds:.3f} s (target < 2 s); NPSV £{central.value:,.0f}, "
        f"{int(central.funded.sum())} schemes funded"
    )
    draws = DRAWS if args.all else min(args.draws, DRAWS)
    rng = np.random.default_rng(1)
    values = tuple(v[np.newaxis, :] * rng.lognormal(0.0, 0.25, (draws, 1)) for v in problem.values)
    solved = allocate_draws(problem, values, central)
    per_draw = solved.seconds / draws
    print(
        f"per-draw re-solve, one at a time: {per_draw * 1000:.1f} ms over {draws:,} draws "
        f"(constraints built once); {DRAWS:,} draws "
        + ("took" if draws == DRAWS else "would take about")
        + f" {per_draw * DRAWS:.1f} s"
    )
    workers = os.cpu_count() or 1
    side = allocate_draws(problem, values, central, workers=workers)
    same = np.array_equal(side.funded, solved.funded) and np.array_equal(side.value, solved.value)
    print(
        f"side by side on {workers} threads (as cba allocate runs them): "
        f"{side.seconds / draws * 1000:.1f} ms a draw, {solved.seconds / side.seconds:.2f}x "
        f"faster; {DRAWS:,} draws about {side.seconds / draws * DRAWS:.1f} s; the same choices: "
        f"{same}"
    )
    still = np.mean(solved.given_value >= solved.value - 1)
    print(f"P(central portfolio still optimal) {still:.1%}")


if __name__ == "__main__":
    main()
