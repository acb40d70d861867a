"""Allocating a pooled budget among schemes: a mixed-integer programme and the BCR ranking.

Pure functions on plain arrays (no files, no scenario objects). A scheme is described by its
**breakpoints**: the scales at which it was appraised, with the value of the objective (the
net present social value by default) and the use of every limited resource (a year of the
envelope, an agency's contribution) at each.
An all-or-nothing scheme has one breakpoint; a divisible scheme has two or more, and any scale
between neighbouring breakpoints is allowed, its value and resource use interpolated linearly
(a piecewise-linear approximation of the scale curve; docs/allocation.md).

Formulation (docs/allocation.md, "The programme"), for scheme i with breakpoints k = 0..K_i:

- ``y_i`` in {0, 1}: the scheme is funded;
- ``w_ik >= 0`` with ``sum_k w_ik = y_i``: weights on its breakpoints (the scale is
  ``sum_k w_ik n_ik``);
- for K_i >= 1, ``z_is`` in {0, 1} for each segment s = 1..K_i with ``sum_s z_is = y_i`` and
  ``w_ik <= z_ik + z_i(k+1)`` (at most two neighbouring weights are non-zero: SOS2);
- ``u_p`` in [0, 1] for each interaction p between schemes i and j, with ``u_p <= y_i``,
  ``u_p <= y_j``, ``u_p >= y_i + y_j - 1`` (so u_p = y_i y_j);
- resources: ``sum_ik w_ik r_ikj <= b_j`` for each limit j;
- exclusivity ``sum_{i in G} y_i <= 1``; dependency ``y_i <= y_h`` (i needs h); a required
  scheme has ``y_i = 1``;
- maximise ``sum_ik w_ik v_ik + sum_p a_p u_p``.

The programme is solved by HiGHS (``scipy.optimize.milp``); the continuous weights are then
re-solved as a linear programme with the binary choices fixed, so a solution is exact to the
linear programme's tolerances, not to the branch-and-bound's.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MIP_RELATIVE_GAP = 1e-9
"""Relative optimality gap asked of HiGHS: small enough that a re-solve with £1 more in a limit
is not lost in the gap for portfolios up to hundreds of millions of pounds."""
MIP_OPTIONS = {"mip_rel_gap": MIP_RELATIVE_GAP, "presolve": False}
"""HiGHS options. Presolve is off: these programmes are small, and HiGHS's presolve prints a
stray line to standard output when it maps a new solution back (which would corrupt
``--json``)."""
TIEBREAK_TOLERANCE = 1e-9
"""How far below its optimum (relative) the first objective may fall in the tiebreak stage."""
TOLERANCE = 1e-6
"""Slack below which a limit counts as binding [GBP], and integrality tolerance."""


@dataclass(frozen=True)
class AllocationProblem:
    """Schemes, their breakpoints and the limits on the resources they use.

    Attributes
    ----------
    values : tuple of (K_i,) arrays
        Each scheme's value of the objective at each breakpoint (the incremental NPSV by
        default [GBP, present value]; docs/allocation.md, Objectives).
    uses : tuple of (K_i, J) arrays
        Each scheme's use of each limited resource at each breakpoint [GBP, undiscounted].
    limits : (J,)
        The most of each resource that may be used [GBP].
    required : (S,)
        Schemes that must be funded.
    exclusive_groups : tuple of tuples of scheme indices
        At most one scheme of each group is funded.
    dependencies : tuple of (i, h)
        Scheme i may be funded only if scheme h is.
    interactions : tuple of (i, j, amount)
        Objective added when both i and j are funded (negative for an overlap).
    tiebreak : tuple of (K_i,) arrays, optional
        A second objective (the NPSV, when the first is another measure): among the choices
        with the best value of the first, the one with the most of this is taken.
    tiebreak_interactions : tuple of float
        The second objective's amount for each interaction (same order).
    """

    values: tuple[FloatArray, ...]
    uses: tuple[FloatArray, ...]
    limits: FloatArray
    required: BoolArray
    exclusive_groups: tuple[tuple[int, ...], ...] = ()
    dependencies: tuple[tuple[int, int], ...] = ()
    interactions: tuple[tuple[int, int, float], ...] = ()
    tiebreak: tuple[FloatArray, ...] | None = None
    tiebreak_interactions: tuple[float, ...] = ()

    @property
    def schemes(self) -> int:
        """Number of schemes S."""
        return len(self.values)

    def with_limits(self, limits: FloatArray) -> AllocationProblem:
        """The same problem with other limits (J,) [GBP]."""
        return AllocationProblem(
            self.values,
            self.uses,
            np.asarray(limits, dtype=np.float64),
            self.required,
            self.exclusive_groups,
            self.dependencies,
            self.interactions,
            self.tiebreak,
            self.tiebreak_interactions,
        )


@dataclass(frozen=True)
class Allocation:
    """An optimal (or the ranking's) choice of schemes and scales.

    Attributes
    ----------
    feasible : bool
        False when no choice meets every constraint (the other fields are then zero).
    funded : (S,) bool
    weights : tuple of (K_i,) arrays
        Weight on each breakpoint; they sum to 1 for a funded scheme, 0 otherwise.
    value : float
        Total value of the objective, interactions included [objective units: GBP, PV, for
        the NPSV].
    interaction_value : float
        The interactions' part of ``value``.
    used : (J,)
        Use of each resource [GBP].
    """

    feasible: bool
    funded: BoolArray
    weights: tuple[FloatArray, ...]
    value: float
    interaction_value: float
    used: FloatArray


@dataclass(frozen=True)
class _Layout:
    """Column offsets of the variables: y (S), then each scheme's weights, its segment
    binaries (K_i - 1), its segment fills (K_i - 1), and one column per interaction."""

    weight_start: tuple[int, ...]
    segment_start: tuple[int, ...]
    fill_start: tuple[int, ...]
    interaction_start: int
    columns: int


def _layout(problem: AllocationProblem) -> _Layout:
    s = problem.schemes
    column = s
    weight_start = []
    for v in problem.values:
        weight_start.append(column)
        column += v.size
    segment_start = []
    for v in problem.values:
        segment_start.append(column)
        column += max(v.size - 2, 0)
    fill_start = []
    for v in problem.values:
        fill_start.append(column)
        column += v.size - 1
    return _Layout(
        tuple(weight_start),
        tuple(segment_start),
        tuple(fill_start),
        column,
        column + len(problem.interactions),
    )


def _constraints(
    problem: AllocationProblem, layout: _Layout, dropped: frozenset[tuple[str, int]] = frozenset()
) -> tuple[list[LinearConstraint], FloatArray, FloatArray]:
    """Constraint blocks and variable bounds; ``dropped`` leaves out named constraint groups
    (("limit", j), ("exclusive", g), ("dependency", d), ("required", i))."""
    n = layout.columns
    rows: list[FloatArray] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(row: FloatArray, lo: float, hi: float) -> None:
        rows.append(row)
        lower.append(lo)
        upper.append(hi)

    for i, v in enumerate(problem.values):
        k = v.size
        w0 = layout.weight_start[i]
        row = np.zeros(n)
        row[w0 : w0 + k] = 1.0
        row[i] = -1.0
        add(row, 0.0, 0.0)  # sum_k w_ik = y_i
        if k >= 2:
            # Incremental formulation: fills d_s in [0, 1] of segments s = 1..K, each full
            # before the next starts (d_s+1 <= x_s <= d_s, x_s binary); the weights are
            # w_0 = y - d_1, w_s = d_s - d_s+1, w_K = d_K.
            d0 = layout.fill_start[i]
            x0 = layout.segment_start[i]
            for b in range(k):
                row = np.zeros(n)
                row[w0 + b] = 1.0
                if b == 0:
                    row[i] = -1.0
                else:
                    row[d0 + b - 1] = -1.0
                if b <= k - 2:
                    row[d0 + b] = 1.0
                add(row, 0.0, 0.0)
            for s in range(k - 2):
                row = np.zeros(n)
                row[d0 + s + 1] = 1.0
                row[x0 + s] = -1.0
                add(row, -np.inf, 0.0)  # d_s+1 <= x_s
                row = np.zeros(n)
                row[x0 + s] = 1.0
                row[d0 + s] = -1.0
                add(row, -np.inf, 0.0)  # x_s <= d_s
    for j in range(problem.limits.size):
        if ("limit", j) in dropped:
            continue
        row = np.zeros(n)
        for i, use in enumerate(problem.uses):
            w0 = layout.weight_start[i]
            row[w0 : w0 + use.shape[0]] = use[:, j]
        add(row, -np.inf, float(problem.limits[j]))
    for g, group in enumerate(problem.exclusive_groups):
        if ("exclusive", g) in dropped:
            continue
        row = np.zeros(n)
        row[list(group)] = 1.0
        add(row, -np.inf, 1.0)
    for d, (needs, needed) in enumerate(problem.dependencies):
        if ("dependency", d) in dropped:
            continue
        row = np.zeros(n)
        row[needs] += 1.0
        row[needed] -= 1.0
        add(row, -np.inf, 0.0)
    for p, (a, b, _) in enumerate(problem.interactions):
        u = layout.interaction_start + p
        for other in (a, b):
            row = np.zeros(n)
            row[u] = 1.0
            row[other] = -1.0
            add(row, -np.inf, 0.0)
        row = np.zeros(n)
        row[u] = 1.0
        row[a] -= 1.0
        row[b] -= 1.0
        add(row, -1.0, np.inf)
    var_lower = np.zeros(n)
    var_upper = np.ones(n)
    for i in np.flatnonzero(problem.required).tolist():
        if ("required", i) not in dropped:
            var_lower[i] = 1.0
    matrix = np.array(rows) if rows else np.zeros((0, n))
    return [LinearConstraint(matrix, np.array(lower), np.array(upper))], var_lower, var_upper


def _objective(
    problem: AllocationProblem,
    layout: _Layout,
    values: tuple[FloatArray, ...] | None = None,
    amounts: tuple[float, ...] | None = None,
) -> FloatArray:
    """Objective coefficients: the problem's values, or the given ones (a tiebreak)."""
    c = np.zeros(layout.columns)
    for i, v in enumerate(problem.values if values is None else values):
        c[layout.weight_start[i] : layout.weight_start[i] + v.size] = v
    given = [a for _, _, a in problem.interactions] if amounts is None else list(amounts)
    for p, amount in enumerate(given):
        c[layout.interaction_start + p] = amount
    return c


def _integrality(problem: AllocationProblem, layout: _Layout) -> FloatArray:
    integral = np.zeros(layout.columns)
    integral[: problem.schemes] = 1.0
    if problem.schemes:
        integral[layout.segment_start[0] : layout.fill_start[0]] = 1.0
    return integral


def _is_feasible(problem: AllocationProblem, dropped: frozenset[tuple[str, int]]) -> bool:
    layout = _layout(problem)
    constraints, lo, hi = _constraints(problem, layout, dropped)
    result = milp(
        np.zeros(layout.columns),
        constraints=constraints,
        integrality=_integrality(problem, layout),
        bounds=Bounds(lo, hi),
    )
    return bool(result.status == 0)


def allocate(problem: AllocationProblem) -> Allocation:
    """The choice of schemes and scales with the highest total value of the objective within every
    constraint.

    Returns an infeasible ``Allocation`` when no choice meets them (only possible when some
    scheme is required); :func:`conflicting_constraints` then names the conflict.
    """
    layout = _layout(problem)
    constraints, lo, hi = _constraints(problem, layout)
    c = _objective(problem, layout)
    integral = _integrality(problem, layout)
    x = _solve(c, constraints, integral, lo, hi)
    if x is None:
        return _empty(problem, feasible=False)
    if problem.tiebreak is not None:
        # Second stage: keep the first objective at its optimum (to a relative 1e-9, the MIP
        # gap), and take the most of the second among those choices.
        best = float(c @ x)
        floor = best - TIEBREAK_TOLERANCE * max(1.0, abs(best))
        second = _objective(problem, layout, problem.tiebreak, problem.tiebreak_interactions)
        kept = [*constraints, LinearConstraint(c[np.newaxis, :], floor, np.inf)]
        y = _solve(second, kept, integral, lo, hi)
        if y is not None:
            x = y
    return _allocation_from(problem, layout, x)


def _solve(
    c: FloatArray,
    constraints: list[LinearConstraint],
    integral: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
) -> FloatArray | None:
    """Maximise ``c @ x``: the mixed-integer programme, then the weights re-solved as a linear
    programme with the binary choices fixed. None when infeasible."""
    result = milp(
        -c,
        constraints=constraints,
        integrality=integral,
        bounds=Bounds(lo, hi),
        options=MIP_OPTIONS,
    )
    if result.status != 0 or result.x is None:
        return None
    # Fix the binary choices and re-solve the weights as a linear programme.
    fixed = np.round(result.x)
    lo2, hi2 = lo.copy(), hi.copy()
    chosen = integral == 1.0
    lo2[chosen] = fixed[chosen]
    hi2[chosen] = fixed[chosen]
    polished = milp(-c, constraints=constraints, bounds=Bounds(lo2, hi2))
    x: FloatArray = polished.x if polished.status == 0 and polished.x is not None else result.x
    return x


@dataclass(frozen=True)
class DrawAllocations:
    """The optimal choice at each of D draws of the schemes' values (limits unchanged).

    Attributes
    ----------
    funded : (D, S) bool
    weights : tuple of (D, K_i) arrays
        Weight on each breakpoint at each draw.
    value : (D,)
        The optimal portfolio's objective at each draw, interactions included.
    given_value : (D,)
        The objective at each draw of the choice the caller gave (the central solution) [GBP, PV].
    seconds : float
        Wall-clock time of all D solves [s] (side by side with more than one worker).
    """

    funded: BoolArray
    weights: tuple[FloatArray, ...]
    value: FloatArray
    given_value: FloatArray
    seconds: float


def allocate_draws(
    problem: AllocationProblem,
    values: tuple[FloatArray, ...],
    given: Allocation,
    workers: int = 1,
) -> DrawAllocations:
    """Re-solve the programme at each draw of the schemes' values.

    Parameters
    ----------
    values : tuple of (D, K_i) arrays
        Each scheme's objective at each breakpoint at each draw (a scheme without
        uncertainty repeats its central values). ``problem.values`` is not used.
    given : Allocation
        A choice (the central solution) whose objective at each draw is reported alongside.
    workers : int
        Threads solving draws side by side (HiGHS releases the interpreter lock while it
        solves). Each draw is solved on its own, so the results do not depend on it.

    The constraints are built once; only the objective changes from draw to draw. Each draw is
    solved exactly as :func:`allocate` solves one problem (a draw with the central values
    gives the central solution). Raises ``ValueError`` when the problem is infeasible.
    """
    layout = _layout(problem)
    constraints, lo, hi = _constraints(problem, layout)
    integral = _integrality(problem, layout)
    base = _objective(problem, layout)
    draws = values[0].shape[0] if values else 0
    funded = np.zeros((draws, problem.schemes), dtype=bool)
    weights = tuple(np.zeros((draws, v.size)) for v in problem.values)
    value = np.zeros(draws)
    given_value = np.zeros(draws)
    fixed = given.interaction_value

    def solve(d: int) -> Allocation:
        c = base.copy()
        for i, v in enumerate(values):
            c[layout.weight_start[i] : layout.weight_start[i] + v.shape[1]] = v[d]
        x = _solve(c, constraints, integral, lo, hi)
        if x is None:
            raise ValueError("the allocation problem is infeasible")
        return _allocation_from(problem, layout, x)

    start = time.perf_counter()
    if workers > 1 and draws > 1:
        with ThreadPoolExecutor(max_workers=min(workers, draws)) as pool:
            solved = list(pool.map(solve, range(draws)))
    else:
        solved = [solve(d) for d in range(draws)]
    for d, chosen in enumerate(solved):
        funded[d] = chosen.funded
        for i, w in enumerate(chosen.weights):
            weights[i][d] = w
        value[d] = chosen.interaction_value + sum(
            float(w @ v[d]) for w, v in zip(chosen.weights, values, strict=True)
        )
        given_value[d] = fixed + sum(
            float(w @ v[d]) for w, v in zip(given.weights, values, strict=True)
        )
    return DrawAllocations(funded, weights, value, given_value, time.perf_counter() - start)


def _allocation_from(problem: AllocationProblem, layout: _Layout, x: FloatArray) -> Allocation:
    funded = np.round(x[: problem.schemes]).astype(bool)
    weights = tuple(
        np.clip(x[layout.weight_start[i] : layout.weight_start[i] + v.size], 0.0, None) * funded[i]
        for i, v in enumerate(problem.values)
    )
    return evaluate(problem, funded, weights)


def evaluate(
    problem: AllocationProblem, funded: BoolArray, weights: tuple[FloatArray, ...]
) -> Allocation:
    """Total objective and resource use of a given choice (weights on each scheme's breakpoints)."""
    value = float(sum(float(w @ v) for w, v in zip(weights, problem.values, strict=True)))
    interaction = float(
        sum(amount for a, b, amount in problem.interactions if funded[a] and funded[b])
    )
    used = np.zeros(problem.limits.size)
    for w, use in zip(weights, problem.uses, strict=True):
        used = used + w @ use
    return Allocation(
        True, np.asarray(funded, dtype=bool), weights, value + interaction, interaction, used
    )


def _empty(problem: AllocationProblem, *, feasible: bool) -> Allocation:
    return Allocation(
        feasible,
        np.zeros(problem.schemes, dtype=bool),
        tuple(np.zeros(v.size) for v in problem.values),
        0.0,
        0.0,
        np.zeros(problem.limits.size),
    )


def constraint_groups(problem: AllocationProblem) -> list[tuple[str, int]]:
    """Every named group of constraints: ("limit", j), ("exclusive", g), ("dependency", d),
    ("required", i)."""
    return [
        *(("limit", j) for j in range(problem.limits.size)),
        *(("exclusive", g) for g in range(len(problem.exclusive_groups))),
        *(("dependency", d) for d in range(len(problem.dependencies))),
        *(("required", i) for i in np.flatnonzero(problem.required).tolist()),
    ]


def conflicting_constraints(problem: AllocationProblem) -> list[tuple[str, int]]:
    """A smallest-by-deletion set of constraint groups that cannot all hold together.

    Deletion filter: each group is left out in turn; if the rest are still infeasible it stays
    out for good. What remains is irreducible: dropping any one group makes it feasible.
    Empty when the problem is feasible.
    """
    dropped: set[tuple[str, int]] = set()
    groups = constraint_groups(problem)
    if _is_feasible(problem, frozenset()):
        return []
    for group in groups:
        if not _is_feasible(problem, frozenset(dropped | {group})):
            dropped.add(group)
    return [g for g in groups if g not in dropped]


def rank_by_bcr(
    problem: AllocationProblem, proposed: NDArray[np.int64], bcr: FloatArray
) -> Allocation:
    """Fund schemes in descending order of BCR, each at its proposed breakpoint, while it fits.

    Parameters
    ----------
    proposed : (S,)
        The breakpoint at which each scheme is proposed (its appraised scale).
    bcr : (S,)
        Each scheme's BCR at that scale [ratio]; NaN (undefined) ranks last.

    A scheme is skipped when it does not fit in what is left of any limit or when a scheme of
    its exclusivity group is already funded; the ranking then carries on down the list. A
    scheme whose prerequisite is not yet funded waits, and is looked at again (in its place in
    the order) once something more is funded. Required schemes are not forced: the ranking
    is the board's usual practice, shown for comparison.
    """
    order = sorted(
        range(problem.schemes),
        key=lambda i: (-(bcr[i] if np.isfinite(bcr[i]) else -np.inf), i),
    )
    funded = np.zeros(problem.schemes, dtype=bool)
    used = np.zeros(problem.limits.size)
    waiting = list(order)
    progress = True
    while progress:  # a scheme skipped for want of a prerequisite is looked at again
        progress = False
        for i in list(waiting):
            use = problem.uses[i][proposed[i]]
            if np.any(used + use > problem.limits + TOLERANCE):
                waiting.remove(i)
                continue
            if any(i in g and funded[list(g)].any() for g in problem.exclusive_groups):
                waiting.remove(i)
                continue
            if any(needs == i and not funded[needed] for needs, needed in problem.dependencies):
                continue
            funded[i] = True
            used = used + use
            waiting.remove(i)
            progress = True
            break  # back to the top of the list
    weights = tuple(
        (np.arange(v.size) == proposed[i]).astype(np.float64) * funded[i]
        for i, v in enumerate(problem.values)
    )
    return evaluate(problem, funded, weights)


def marginal_values(problem: AllocationProblem, base_value: float, step: float) -> FloatArray:
    """Objective gained per £ by ``step`` more in each limit (J,) [objective units per GBP], by
    re-solving.

    A mixed-integer programme's duals are not meaningful, so each limit is raised by ``step``
    in turn and the problem solved again: ``(V(b + step e_j) - V(b)) / step``.
    """
    out = np.zeros(problem.limits.size)
    for j in range(problem.limits.size):
        limits = problem.limits.copy()
        limits[j] += step
        more = allocate(problem.with_limits(limits))
        out[j] = (more.value - base_value) / step if more.feasible else np.nan
    return out


def interpolation_error(
    points: FloatArray, values: FloatArray, fine_points: FloatArray, fine_values: FloatArray
) -> float:
    """Largest absolute gap between a curve and its linear interpolation between breakpoints.

    Parameters
    ----------
    points, values : (K,)
        Breakpoints (increasing) and the curve's value there.
    fine_points, fine_values : (F,)
        The curve evaluated on a finer grid within the breakpoints' range.

    Returns
    -------
    float
        ``max |f(n) - L(n)|`` over the fine grid [units of ``values``].
    """
    if points.size < 2:
        return 0.0
    interpolated = np.interp(fine_points, points, values)
    return float(np.max(np.abs(fine_values - interpolated))) if fine_points.size else 0.0
