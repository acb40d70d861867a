"""Flows through a strategy map as a linear programme (docs/strategy-maps.md §2-4).

Variables, all per year: the level ``y_v`` of every node [its unit], the flow ``z_e`` of
source units each link uses, and for a link with diminishing returns its output ``w_e`` [target
units]. A link with constant returns gives ``rate_e z_e``. Constraints:

- an input or activity is *rival*: the flows out of it add up to at most its level;
- an intermediate outcome is *non-rival*: each flow out of it is at most its level;
- a node whose links are substitutes (``needs: any``) reaches at most the sum of what its
  links give; complements (``needs: all``) at most the least of them;
- diminishing returns: ``w_e`` is under every chord of the concave curve (an inner
  approximation: outputs are never overstated);
- targets: a final outcome reaches at least its target; limits: inputs (or an agency's spending
  on them) at most the limit.

Backwards mapping and the least-cost mix minimise the value of the inputs used [GBP a year];
forward mapping maximises outcomes from given input levels. Solved by HiGHS through
``scipy.optimize.linprog``; the marginals of the limit and target rows are the shadow prices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import linprog

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

INPUT, ACTIVITY, INTERMEDIATE, FINAL = 0, 1, 2, 3

Status = Literal["optimal", "infeasible", "unbounded", "failed"]


@dataclass(frozen=True)
class MapArrays:
    """The arrays of a compiled map that the programme reads (N nodes, E links, L limits)."""

    kind: IntArray
    needs_all: BoolArray
    unit_cost: FloatArray
    source: IntArray
    destination: IntArray
    rate: FloatArray
    curves: tuple[tuple[FloatArray, FloatArray] | None, ...]
    """(E,) breakpoints (flows, outputs) of a concave curve through the origin, or None for
    constant returns."""
    limit_weights: FloatArray
    limit_max: FloatArray


@dataclass(frozen=True)
class FlowSolution:
    """The solved flows, or why there are none."""

    status: Status
    message: str
    level: FloatArray
    """(N,) level of each node [its unit a year]."""
    flow: FloatArray
    """(E,) source units each link uses a year."""
    output: FloatArray
    """(E,) target units each link gives a year."""
    cost: float
    """Value of the inputs used [GBP a year]."""
    limit_marginal: FloatArray
    """(L,) objective saved by one more unit of each limit [GBP a year per unit]; NaN when
    limits were not part of the programme."""
    target_marginal: FloatArray
    """(N,) what one more unit of each final outcome's target adds to the cost [GBP a year per
    unit]; 0 where the target does not bind, NaN where there is no target."""
    limit_use: FloatArray
    """(L,) how much of each limit the solution uses [the limit's unit]."""
    at_curve_end: BoolArray
    """(E,) the flow reached the last breakpoint of its curve (no more flow is allowed)."""
    solve_seconds: float
    """Time HiGHS took, set-up excluded [seconds]."""


def solve_flows(
    arrays: MapArrays,
    links: BoolArray,
    *,
    targets: FloatArray | None = None,
    input_caps: FloatArray | None = None,
    use_limits: bool = False,
    maximise: FloatArray | None = None,
    slack_limits: bool = False,
) -> FlowSolution:
    """Solve the programme on the links marked in ``links`` (E,).

    ``targets`` (N,): lower bounds on final outcomes (NaN or 0: none). ``input_caps`` (N,):
    upper bounds on input levels (forward mapping). ``use_limits``: add the limit rows.
    ``maximise`` (N,): maximise these weights times the levels instead of minimising cost.
    ``slack_limits``: let each limit be exceeded at a price of 1 per unit of ``limit / max``
    and minimise only that (which limits conflict with the targets).
    """
    n = arrays.kind.size
    e_count = arrays.rate.size
    active_links = np.asarray(links, dtype=bool)
    diminishing = [e for e in np.flatnonzero(active_links).tolist() if arrays.curves[e] is not None]
    w_of = {e: n + e_count + k for k, e in enumerate(diminishing)}
    l_count = arrays.limit_max.size if (use_limits or slack_limits) else 0
    slack0 = n + e_count + len(diminishing)
    size = slack0 + (l_count if slack_limits else 0)

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    rhs: list[float] = []

    def row(entries: list[tuple[int, float]], bound: float) -> int:
        r = len(rhs)
        for col, val in entries:
            rows.append(r)
            cols.append(col)
            vals.append(val)
        rhs.append(bound)
        return r

    def gives(e: int) -> tuple[int, float]:
        if e in w_of:
            return (w_of[e], 1.0)
        return (n + e, float(arrays.rate[e]))

    active_nodes = np.zeros(n, dtype=bool)
    active_nodes[arrays.source[active_links]] = True
    active_nodes[arrays.destination[active_links]] = True
    out_links: dict[int, list[int]] = {}
    in_links: dict[int, list[int]] = {}
    for e in np.flatnonzero(active_links).tolist():
        out_links.setdefault(int(arrays.source[e]), []).append(e)
        in_links.setdefault(int(arrays.destination[e]), []).append(e)
    for u, edges in out_links.items():
        if arrays.kind[u] in (INPUT, ACTIVITY):
            row([*((n + e, 1.0) for e in edges), (u, -1.0)], 0.0)
        else:
            for e in edges:
                row([(n + e, 1.0), (u, -1.0)], 0.0)
    for v, edges in in_links.items():
        if arrays.needs_all[v]:
            for e in edges:
                col, coef = gives(e)
                row([(v, 1.0), (col, -coef)], 0.0)
        else:
            row([(v, 1.0), *((col, -coef) for col, coef in map(gives, edges))], 0.0)
    curve_end = np.full(e_count, np.inf)
    for e in diminishing:
        curve = arrays.curves[e]
        assert curve is not None
        flows, outputs = curve
        slopes = np.diff(outputs) / np.diff(flows)
        intercepts = outputs[:-1] - slopes * flows[:-1]
        for slope, intercept in zip(slopes, intercepts, strict=True):
            row([(w_of[e], 1.0), (n + e, -float(slope))], float(intercept))
        curve_end[e] = flows[-1]
    target_rows: dict[int, int] = {}
    if targets is not None:
        for v in np.flatnonzero(np.nan_to_num(targets) > 0).tolist():
            target_rows[v] = row([(v, -1.0)], -float(targets[v]))
    limit_rows: list[int] = []
    for k in range(l_count):
        entries = [
            (int(v), float(arrays.limit_weights[k, v]))
            for v in np.flatnonzero(arrays.limit_weights[k] != 0)
        ]
        if slack_limits:
            entries.append((slack0 + k, -float(max(arrays.limit_max[k], 1.0))))
        limit_rows.append(row(entries, float(arrays.limit_max[k])))

    cost = np.zeros(size)
    if slack_limits:
        cost[slack0:] = 1.0
    elif maximise is not None:
        cost[:n] = -np.asarray(maximise, dtype=np.float64)
    else:
        cost[:n] = np.where(arrays.kind == INPUT, arrays.unit_cost, 0.0)
    upper = np.full(size, np.inf)
    upper[:n] = np.where(active_nodes, np.inf, 0.0)
    no_route = (arrays.kind != INPUT) & active_nodes
    no_route[list(in_links)] = False
    upper[:n][no_route] = 0.0
    if input_caps is not None:
        upper[:n] = np.minimum(upper[:n], np.where(arrays.kind == INPUT, input_caps, np.inf))
    upper[n : n + e_count] = np.where(active_links, curve_end, 0.0)
    matrix = sparse.csr_array(
        (np.array(vals), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
        shape=(len(rhs), size),
    )
    bounds = np.column_stack([np.zeros(size), upper])
    start = time.perf_counter()
    result = linprog(
        cost,
        A_ub=matrix if rhs else None,
        b_ub=np.array(rhs) if rhs else None,
        bounds=bounds,
        method="highs",
    )
    seconds = time.perf_counter() - start
    statuses: dict[int, Status] = {0: "optimal", 2: "infeasible", 3: "unbounded"}
    status: Status = statuses.get(int(result.status), "failed")
    zeros = np.zeros(n)
    if status != "optimal":
        return FlowSolution(
            status=status,
            message=str(result.message),
            level=zeros,
            flow=np.zeros(e_count),
            output=np.zeros(e_count),
            cost=float("nan"),
            limit_marginal=np.full(arrays.limit_max.size, np.nan),
            target_marginal=np.full(n, np.nan),
            limit_use=np.zeros(arrays.limit_max.size),
            at_curve_end=np.zeros(e_count, dtype=bool),
            solve_seconds=seconds,
        )
    x = np.asarray(result.x)
    level = np.maximum(x[:n], 0.0)
    flow = np.maximum(x[n : n + e_count], 0.0)
    output = np.where(active_links, arrays.rate * flow, 0.0)
    for e in diminishing:
        output[e] = max(x[w_of[e]], 0.0)
    marginals = np.asarray(result.ineqlin.marginals) if rhs else np.zeros(0)
    limit_marginal = np.full(arrays.limit_max.size, np.nan)
    if l_count and not slack_limits:
        limit_marginal = -marginals[limit_rows]
    target_marginal = np.full(n, np.nan)
    for v, r in target_rows.items():
        target_marginal[v] = -marginals[r]
    limit_use = arrays.limit_weights @ level
    return FlowSolution(
        status="optimal",
        message=str(result.message),
        level=level,
        flow=flow,
        output=output,
        cost=float(np.sum(np.where(arrays.kind == INPUT, arrays.unit_cost, 0.0) * level)),
        limit_marginal=np.where(np.abs(limit_marginal) < 1e-12, 0.0, limit_marginal),
        target_marginal=np.where(np.abs(target_marginal) < 1e-12, 0.0, target_marginal),
        limit_use=limit_use,
        at_curve_end=np.isfinite(curve_end) & (flow >= curve_end * (1 - 1e-9)),
        solve_seconds=seconds,
    )
