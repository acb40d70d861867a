"""The SROI kernel (``cba.engine.sroi``): hand values, the first-year switch, and properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cba.engine.discounting import discount_factors, rates_by_year
from cba.engine.sroi import benefit_factors, end_of_year_factors, sroi_figures

T = 3
RATE = 0.035
D = discount_factors(np.full(T, RATE))
R = np.full(T, RATE)


def figures(benefits: float, public: float, other: float, community: float, first: bool) -> object:
    flows = np.ones(T)
    return sroi_figures(
        benefits_standard=benefits * flows,
        benefits_health=np.zeros(T),
        public_costs=public * np.array([1.0, 0.0, 0.0]),
        non_public_costs=other * flows,
        community_inputs=community * flows,
        standard_factors=D,
        standard_next_rates=R,
        health_factors=D,
        health_next_rates=R,
        discount_first_year=first,
    )


def test_end_of_year_factors_are_the_guides_worked_example() -> None:
    # The SROI guide divides year 1 by (1 + r), year n by (1 + r)^n.
    assert np.allclose(end_of_year_factors(D, R), [1 / 1.035, 1 / 1.035**2, 1 / 1.035**3])
    assert np.array_equal(benefit_factors(D, R, False), D)


def test_end_of_year_factors_follow_the_bands() -> None:
    # Green Book bands: offset 30 is the last year at 3.5%, offset 31 the first at 3.0%, and
    # D_31 = D_30 / 1.03. The end of year t is the start of year t + 1: E_t = D_(t+1), the
    # step into year t + 1 at that year's rate.
    rates = rates_by_year([0, 31], [0.035, 0.03], 41)
    d = discount_factors(rates)
    e = end_of_year_factors(d[:40], rates[1:])
    assert np.allclose(e, d[1:], rtol=1e-15)
    assert np.isclose(e[29], 1.035**-30)
    assert np.isclose(e[30], 1.035**-30 / 1.03)


def test_hand_worked_ratio_both_conventions() -> None:
    # Benefits 1,800 a year for 3 years; inputs: 1,000 public in year 0, 200 a year other
    # costs, 500 a year valued volunteer time. D = 1, 0.966183575, 0.933510700 (sum
    # 2.899694275); end-of-year E = 0.966183575, 0.933510700, 0.901942706 (sum 2.801636981).
    #   value of inputs = 1,000 + 700 x 2.899694275          = 3,029.785993
    #   PV benefits, end of year   = 1,800 x 2.801636981     = 5,042.946566
    #   PV benefits, start of year = 1,800 x 2.899694275     = 5,219.449695
    #   SROI = 1.664456 (end) or 1.722712 (start); net SROI = SROI - 1.
    end = figures(1800, 1000, 200, 500, True)
    start = figures(1800, 1000, 200, 500, False)
    assert np.isclose(end.value_of_inputs, 3029.785993, rtol=1e-9)  # type: ignore[attr-defined]
    assert np.isclose(end.pv_benefits, 5042.946566, rtol=1e-9)  # type: ignore[attr-defined]
    assert np.isclose(start.pv_benefits, 5219.449695, rtol=1e-9)  # type: ignore[attr-defined]
    assert np.isclose(end.ratio, 1.664456, atol=1e-6)  # type: ignore[attr-defined]
    assert np.isclose(start.ratio, 1.722712, atol=1e-6)  # type: ignore[attr-defined]
    assert np.isclose(end.net_ratio, 0.664456, atol=1e-6)  # type: ignore[attr-defined]
    # The switch moves only the benefits: the inputs are valued at the start of each year.
    assert end.value_of_inputs == start.value_of_inputs  # type: ignore[attr-defined]


def test_no_inputs_gives_undefined_ratios() -> None:
    found = figures(1800, 0, 0, 0, True)
    assert np.isnan(found.ratio) and np.isnan(found.net_ratio)  # type: ignore[attr-defined]
    assert found.net_present_value > 0  # type: ignore[attr-defined]


money = st.floats(0.0, 1e7, allow_nan=False)
flows_t = arrays(np.float64, (5,), elements=money)


@given(
    flows_t,
    flows_t,
    flows_t,
    flows_t,
    flows_t,
    st.floats(0.0, 0.2),
    st.floats(1e-3, 1e3),
    st.booleans(),
)
def test_scaling_money_leaves_the_ratio(
    benefits: np.ndarray,
    health: np.ndarray,
    public: np.ndarray,
    other: np.ndarray,
    community: np.ndarray,
    rate: float,
    k: float,
    first: bool,
) -> None:
    rates = np.full(5, rate)
    d = discount_factors(rates)

    def run(scale: float) -> object:
        return sroi_figures(
            benefits_standard=scale * benefits,
            benefits_health=scale * health,
            public_costs=scale * public,
            non_public_costs=scale * other,
            community_inputs=scale * community,
            standard_factors=d,
            standard_next_rates=rates,
            health_factors=d,
            health_next_rates=rates,
            discount_first_year=first,
        )

    base, big = run(1.0), run(k)
    if np.isnan(base.ratio):  # type: ignore[attr-defined]
        assert np.isnan(big.ratio) or big.value_of_inputs <= 1e-300  # type: ignore[attr-defined]
        return
    # atol: below the smallest normal double rounding is absolute (a subnormal amount halves
    # to 0 or to itself); far below any amount a scenario means.
    assert np.isclose(big.ratio, base.ratio, rtol=1e-12, atol=1e-300)  # type: ignore[attr-defined]
    assert np.isclose(big.net_ratio, base.ratio - 1.0, rtol=1e-9, atol=1e-9)  # type: ignore[attr-defined]


@given(flows_t, flows_t, st.floats(0.0, 0.2))
def test_first_year_discounting_divides_a_constant_rate_pv_by_one_plus_r(
    benefits: np.ndarray, inputs: np.ndarray, rate: float
) -> None:
    # At a constant rate E_t = D_t / (1 + r): PV(end) = PV(start) / (1 + r), inputs unchanged.
    rates = np.full(5, rate)
    d = discount_factors(rates)
    common = {
        "benefits_standard": benefits,
        "benefits_health": np.zeros(5),
        "public_costs": inputs,
        "non_public_costs": np.zeros(5),
        "community_inputs": np.zeros(5),
        "standard_factors": d,
        "standard_next_rates": rates,
        "health_factors": d,
        "health_next_rates": rates,
    }
    end = sroi_figures(**common, discount_first_year=True)
    start = sroi_figures(**common, discount_first_year=False)
    assert np.isclose(end.pv_benefits * (1 + rate), start.pv_benefits, rtol=1e-12, atol=1e-300)
    assert end.value_of_inputs == start.value_of_inputs
