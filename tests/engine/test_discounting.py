"""Discount factors against the Green Book's published values and an exact oracle."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cba.engine.discounting import (
    annuity_factor,
    discount_factors,
    present_value,
    rates_by_year,
)
from cba.reference.discount_schedules import (
    GREEN_BOOK_2026_LOWER_RATE,
    GREEN_BOOK_HEALTH,
    GREEN_BOOK_STANDARD,
    NAMED_SCHEDULES,
)


def schedule_factors(schedule, n_years: int) -> np.ndarray:
    starts = [b.from_year_offset for b in schedule.bands]
    rates = [b.rate for b in schedule.bands]
    return discount_factors(rates_by_year(starts, rates, n_years))


def exact_factors(schedule, n_years: int) -> list[Fraction]:
    """Independent oracle: D_0 = 1, D_t = D_(t-1) / (1 + r_t), in exact rationals from the
    decimal rates as published (0.035 -> 35/1000, not the float)."""
    out = [Fraction(1)]
    for t in range(1, n_years):
        rate = next(
            Fraction(str(b.rate)) for b in reversed(schedule.bands) if b.from_year_offset <= t
        )
        out.append(out[-1] / (1 + rate))
    return out


def test_green_book_year_30_and_31_published_values() -> None:
    factors = schedule_factors(GREEN_BOOK_STANDARD, 40)
    # GB Annex A6: 3.5% for years 0-30, then 3.0%: D_30 = 1.035^-30, D_31 = D_30 / 1.03.
    assert factors[30] == pytest.approx(0.35628, abs=5e-6)
    assert factors[31] == pytest.approx(0.34590, abs=5e-6)
    assert factors[30] == pytest.approx(1.035**-30, rel=1e-14)
    assert factors[31] == pytest.approx(1.035**-30 / 1.03, rel=1e-14)


def test_year_zero_is_not_discounted() -> None:
    for schedule in NAMED_SCHEDULES.values():
        assert schedule_factors(schedule, 5)[0] == 1.0


@pytest.mark.parametrize(
    "schedule",
    [GREEN_BOOK_STANDARD, GREEN_BOOK_HEALTH, GREEN_BOOK_2026_LOWER_RATE],
    ids=lambda s: s.name,
)
def test_every_band_boundary_matches_exact_oracle(schedule) -> None:
    n_years = 320
    factors = schedule_factors(schedule, n_years)
    exact = exact_factors(schedule, n_years)
    boundaries = {0, 1, 29, 30, 31, 32, 75, 76, 77, 125, 126, 127, 200, 201, 202, 300, 301, 302}
    for t in sorted(boundaries | set(range(0, n_years, 7))):
        assert factors[t] == pytest.approx(float(exact[t]), rel=1e-13), t


@pytest.mark.parametrize("t", [31, 76, 126, 201, 301])
def test_band_rate_applies_only_inside_its_band(t: int) -> None:
    """The step from t-1 to t uses the rate of the band containing t (never back to year 0)."""
    factors = schedule_factors(GREEN_BOOK_STANDARD, 310)
    rate = next(b.rate for b in reversed(GREEN_BOOK_STANDARD.bands) if b.from_year_offset <= t)
    prev_rate = next(
        b.rate for b in reversed(GREEN_BOOK_STANDARD.bands) if b.from_year_offset <= t - 1
    )
    assert factors[t - 1] / factors[t] == pytest.approx(1 + rate, rel=1e-14)
    assert factors[t - 2] / factors[t - 1] == pytest.approx(1 + prev_rate, rel=1e-14)
    assert rate < prev_rate


def test_health_schedule_published_first_band() -> None:
    factors = schedule_factors(GREEN_BOOK_HEALTH, 32)
    assert factors[30] == pytest.approx(1.015**-30, rel=1e-14)
    assert factors[31] == pytest.approx(1.015**-30 / 1.0129, rel=1e-14)


rates_strategy = st.lists(
    st.floats(min_value=0.0, max_value=0.2, allow_nan=False), min_size=1, max_size=60
)


@given(rates_strategy)
def test_factors_start_at_one_and_fall_for_positive_rates(rates: list[float]) -> None:
    factors = discount_factors(np.array(rates))
    assert factors[0] == 1.0
    assert np.all(np.diff(factors) <= 0.0)
    positive = np.array(rates[1:]) > 1e-9  # a smaller rate can round to a factor of 1
    assert np.all(np.diff(factors)[positive] < 0.0)


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=40))
def test_zero_rate_gives_plain_sum(flows: list[float]) -> None:
    factors = discount_factors(np.zeros(len(flows)))
    assert present_value(np.array(flows), factors) == pytest.approx(sum(flows), rel=1e-12, abs=1e-6)


@given(
    st.lists(st.floats(-1e7, 1e7, allow_nan=False), min_size=2, max_size=30),
    st.floats(-100, 100, allow_nan=False),
    st.floats(0.0, 0.1),
)
def test_present_value_is_linear(flows: list[float], k: float, rate: float) -> None:
    f = np.array(flows)
    g = np.roll(f, 1)
    d = discount_factors(np.full(f.size, rate))
    combined = present_value(k * f + g, d)
    separate = k * present_value(f, d) + present_value(g, d)
    assert combined == pytest.approx(separate, rel=1e-9, abs=1e-3)


def test_factors_broadcast_over_leading_axes() -> None:
    rates = rates_by_year([0, 31], np.array([[0.035, 0.03], [0.015, 0.0129]]), 40)
    batched = discount_factors(rates)
    assert batched.shape == (2, 40)
    for row in range(2):
        np.testing.assert_array_equal(batched[row], discount_factors(rates[row]))


def test_annuity_factor_is_pv_of_one_a_year() -> None:
    d = schedule_factors(GREEN_BOOK_STANDARD, 10)
    assert annuity_factor(d) == pytest.approx(present_value(np.ones(10), d))
    assert annuity_factor(d) == pytest.approx(sum(1.035**-t for t in range(10)), rel=1e-13)
