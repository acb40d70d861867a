"""The strategy map's linear programme against hand-worked chains, brute force and re-solving.

Each case builds the arrays directly (nodes by kind, links with rates), so the figures can be
worked by hand: the level a target needs is the target divided along the chain by the rates.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cba.engine.strategy_map import ACTIVITY, FINAL, INPUT, INTERMEDIATE, MapArrays, solve_flows


def arrays(
    kinds: list[int],
    costs: list[float],
    links: list[tuple[int, int, float]],
    *,
    needs_all: list[int] = (),  # type: ignore[assignment]
    limits: list[tuple[list[float], float]] = (),  # type: ignore[assignment]
    curves: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> MapArrays:
    n = len(kinds)
    weights = np.array([w for w, _ in limits], dtype=float).reshape(len(limits), n)
    return MapArrays(
        kind=np.array(kinds, dtype=np.int64),
        needs_all=np.isin(np.arange(n), list(needs_all)),
        unit_cost=np.array(costs, dtype=float),
        source=np.array([s for s, _, _ in links], dtype=np.int64),
        destination=np.array([d for _, d, _ in links], dtype=np.int64),
        rate=np.array([r for _, _, r in links], dtype=float),
        curves=tuple((curves or {}).get(e) for e in range(len(links))),
        limit_weights=weights,
        limit_max=np.array([m for _, m in limits], dtype=float),
    )


def targets(n: int, **by_node: float) -> np.ndarray:
    out = np.full(n, np.nan)
    for key, value in by_node.items():
        out[int(key.removeprefix("n"))] = value
    return out


def all_links(a: MapArrays) -> np.ndarray:
    return np.ones(a.rate.size, dtype=bool)


def test_chain_backwards_is_the_target_divided_by_the_rates() -> None:
    # input (GBP 10 an hour) -> activity (2 per hour) -> final (0.5 per activity)
    a = arrays([INPUT, ACTIVITY, FINAL], [10.0, 0, 0], [(0, 1, 2.0), (1, 2, 0.5)])
    s = solve_flows(a, all_links(a), targets=targets(3, n2=30.0))
    assert s.status == "optimal"
    # 30 outcomes need 60 activities need 30 hours: GBP 300.
    np.testing.assert_allclose(s.level, [30.0, 60.0, 30.0], rtol=1e-9)
    np.testing.assert_allclose(s.flow, [30.0, 60.0], rtol=1e-9)
    assert s.cost == pytest.approx(300.0, rel=1e-9)
    # One more outcome costs 10 / (2 x 0.5) = GBP 10.
    assert s.target_marginal[2] == pytest.approx(10.0, rel=1e-9)


def test_chain_forward_multiplies_the_rates() -> None:
    a = arrays([INPUT, ACTIVITY, FINAL], [10.0, 0, 0], [(0, 1, 2.0), (1, 2, 0.5)])
    caps = np.array([30.0, 0, 0])
    s = solve_flows(a, all_links(a), input_caps=caps, maximise=np.array([0, 0, 1.0]))
    assert s.level[2] == pytest.approx(30.0 * 2.0 * 0.5, rel=1e-9)


def test_complements_need_every_input_in_proportion() -> None:
    # street watch needs volunteer hours (1 per hour) AND coordinator hours (25 per hour).
    a = arrays(
        [INPUT, INPUT, ACTIVITY, FINAL],
        [15.75, 25.0, 0, 0],
        [(0, 2, 1.0), (1, 2, 25.0), (2, 3, 0.01)],
        needs_all=[2],
    )
    s = solve_flows(a, all_links(a), targets=targets(4, n3=10.0))
    # 10 outcomes need 1,000 watch hours: 1,000 volunteer hours and 40 coordinator hours.
    np.testing.assert_allclose(s.level[:3], [1000.0, 40.0, 1000.0], rtol=1e-9)
    assert s.cost == pytest.approx(1000 * 15.75 + 40 * 25.0, rel=1e-9)


def test_substitutes_take_the_cheaper_route() -> None:
    # Two inputs give the same outcome: GBP 10 for 1 unit, or GBP 15 for 2 units.
    a = arrays([INPUT, INPUT, FINAL], [10.0, 15.0, 0], [(0, 2, 1.0), (1, 2, 2.0)])
    s = solve_flows(a, all_links(a), targets=targets(3, n2=8.0))
    np.testing.assert_allclose(s.level, [0.0, 4.0, 8.0], atol=1e-9)
    assert s.cost == pytest.approx(60.0, rel=1e-9)


def test_an_outcome_feeds_every_link_but_an_activity_is_spent_once() -> None:
    # An intermediate outcome (non-rival) leads to two finals: the larger need sets its level.
    a = arrays(
        [INPUT, INTERMEDIATE, FINAL, FINAL],
        [1.0, 0, 0, 0],
        [(0, 1, 1.0), (1, 2, 1.0), (1, 3, 2.0)],
    )
    s = solve_flows(a, all_links(a), targets=targets(4, n2=10.0, n3=10.0))
    assert s.level[0] == pytest.approx(10.0, rel=1e-9)
    # The same shape with an activity (rival) in the middle: its output is split.
    b = arrays(
        [INPUT, ACTIVITY, FINAL, FINAL],
        [1.0, 0, 0, 0],
        [(0, 1, 1.0), (1, 2, 1.0), (1, 3, 2.0)],
    )
    s = solve_flows(b, all_links(b), targets=targets(4, n2=10.0, n3=10.0))
    assert s.level[0] == pytest.approx(10.0 + 5.0, rel=1e-9)


def test_diminishing_returns_are_never_overstated_and_close() -> None:
    # out(x) = rate n0 (x / n0)^0.5 with rate 0.01, n0 = 1000: 10 outcomes at 1,000 hours.
    n0, rate, e = 1000.0, 0.01, 0.5
    flows = np.concatenate(([0.0], n0 * np.geomspace(1e-4, 1e3, 64)))
    curve = (flows, rate * n0 * (flows / n0) ** e)
    a = arrays([INPUT, FINAL], [20.0, 0], [(0, 1, rate)], curves={0: curve})
    for target in (10.0, 14.0, 25.0):
        s = solve_flows(a, all_links(a), targets=targets(2, n1=target))
        exact = n0 * (target / (rate * n0)) ** (1 / e)
        # The chords lie under the curve, so the programme needs at least the exact flow ...
        assert s.flow[0] >= exact * (1 - 1e-9)
        # ... and with 64 geometric breakpoints, less than 1% more.
        assert s.flow[0] <= exact * 1.01


def test_brute_force_mix_matches_the_programme() -> None:
    # Three routes to one outcome: GBP 5 a unit using a volunteer hour (8 available), GBP 8 a
    # unit paid from a police budget of GBP 80, GBP 12 a unit with no limit. Target 20.
    a = arrays(
        [INPUT, INPUT, INPUT, FINAL],
        [5.0, 8.0, 12.0, 0],
        [(0, 3, 1.0), (1, 3, 1.0), (2, 3, 1.0)],
        limits=[([1.0, 0, 0, 0], 8.0), ([0, 8.0, 0, 0], 80.0)],
    )
    s = solve_flows(a, all_links(a), targets=targets(4, n3=20.0), use_limits=True)
    best = min(
        5 * x + 8 * y + 12 * z
        for x, y, z in itertools.product(range(21), repeat=3)
        if x + y + z >= 20 and x <= 8 and 8 * y <= 80
    )
    assert s.cost == pytest.approx(best, rel=1e-9)
    assert best == 5 * 8 + 8 * 10 + 12 * 2


def test_shadow_prices_equal_the_saving_from_one_more_unit() -> None:
    a = arrays(
        [INPUT, INPUT, INPUT, FINAL],
        [5.0, 8.0, 12.0, 0],
        [(0, 3, 1.0), (1, 3, 1.0), (2, 3, 1.0)],
        limits=[([1.0, 0, 0, 0], 8.0), ([0, 8.0, 0, 0], 80.0)],
    )
    want = targets(4, n3=20.0)
    base = solve_flows(a, all_links(a), targets=want, use_limits=True)
    for k in range(2):
        more = a.limit_max.copy()
        more[k] += 1.0
        again = solve_flows(
            MapArrays(**{**a.__dict__, "limit_max": more}),
            all_links(a),
            targets=want,
            use_limits=True,
        )
        assert base.limit_marginal[k] == pytest.approx(base.cost - again.cost, rel=1e-9)
    # A volunteer hour replaces a GBP 12 unit with a GBP 5 one; a police pound buys 1/8 unit.
    np.testing.assert_allclose(base.limit_marginal, [7.0, 0.5], rtol=1e-9)
    # One more unit of target comes from the unlimited route.
    assert base.target_marginal[3] == pytest.approx(12.0, rel=1e-9)


def test_infeasible_targets_name_the_limits_in_conflict() -> None:
    a = arrays(
        [INPUT, INPUT, FINAL],
        [5.0, 8.0, 0],
        [(0, 2, 1.0), (1, 2, 1.0)],
        limits=[([1.0, 0, 0], 8.0), ([0, 1.0, 0], 4.0)],
    )
    want = targets(3, n2=20.0)
    s = solve_flows(a, all_links(a), targets=want, use_limits=True)
    assert s.status == "infeasible"
    elastic = solve_flows(a, all_links(a), targets=want, slack_limits=True)
    assert elastic.status == "optimal"
    over = elastic.limit_use > a.limit_max * (1 + 1e-9)
    assert over.any()
    assert elastic.limit_use.sum() >= 20.0 - 1e-9


def test_links_left_out_carry_nothing() -> None:
    a = arrays([INPUT, INPUT, FINAL], [10.0, 1.0, 0], [(0, 2, 1.0), (1, 2, 1.0)])
    only_first = np.array([True, False])
    s = solve_flows(a, only_first, targets=targets(3, n2=5.0))
    np.testing.assert_allclose(s.level, [5.0, 0.0, 5.0], atol=1e-9)


rates = st.floats(0.01, 100.0)
costs = st.floats(0.1, 1000.0)


@settings(max_examples=40, deadline=None)
@given(r1=rates, r2=rates, c=costs, t=st.floats(0.1, 1e4), k=st.floats(0.1, 100.0))
def test_cost_is_linear_in_unit_costs_and_targets(
    r1: float, r2: float, c: float, t: float, k: float
) -> None:
    a = arrays([INPUT, ACTIVITY, FINAL], [c, 0, 0], [(0, 1, r1), (1, 2, r2)])
    s = solve_flows(a, all_links(a), targets=targets(3, n2=t))
    assert s.cost == pytest.approx(c * t / (r1 * r2), rel=1e-6)
    scaled = MapArrays(**{**a.__dict__, "unit_cost": a.unit_cost * k})
    assert solve_flows(scaled, all_links(a), targets=targets(3, n2=t)).cost == pytest.approx(
        k * s.cost, rel=1e-6
    )
    assert solve_flows(a, all_links(a), targets=targets(3, n2=k * t)).cost == pytest.approx(
        k * s.cost, rel=1e-6
    )


@settings(max_examples=30, deadline=None)
@given(
    unit=st.lists(st.integers(1, 9), min_size=3, max_size=3),
    cap=st.lists(st.integers(0, 12), min_size=3, max_size=3),
    target=st.integers(1, 15),
)
def test_programme_never_costs_more_than_any_whole_number_mix(
    unit: list[int], cap: list[int], target: int
) -> None:
    # Three routes with limits; the programme's cost is at most the best whole-number mix,
    # and when no whole-number mix meets the target within the caps, neither does it.
    a = arrays(
        [INPUT, INPUT, INPUT, FINAL],
        [float(u) for u in unit] + [0.0],
        [(0, 3, 1.0), (1, 3, 1.0), (2, 3, 1.0)],
        limits=[([1.0 if j == i else 0.0 for j in range(4)], float(cap[i])) for i in range(3)],
    )
    s = solve_flows(a, all_links(a), targets=targets(4, n3=float(target)), use_limits=True)
    mixes = [
        sum(u * x for u, x in zip(unit, xs, strict=True))
        for xs in itertools.product(*(range(c + 1) for c in cap))
        if sum(xs) >= target
    ]
    if not mixes:
        assert s.status == "infeasible"
    else:
        assert s.status == "optimal"
        # With unit rates and whole-number caps the optimum is a whole-number mix.
        assert s.cost == pytest.approx(min(mixes), rel=1e-9)
