"""Aggregation into yearly totals and measures: broadcasting over leading axes (scale points,
Monte Carlo draws) gives exactly the loop of single runs."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cba.engine import appraisal
from cba.engine.discounting import discount_factors
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY

LOWER = np.array([b.lower for b in DFT_VALUE_FOR_MONEY])


def _inputs(rng: np.random.Generator, batch: tuple[int, ...], n_years: int) -> dict:
    n_agencies, n_costs, n_inputs, n_values = 3, 2, 1, 3
    shares = rng.random((n_costs, n_agencies))
    shares /= shares.sum(axis=1, keepdims=True)
    factors = discount_factors(np.full(n_years, 0.035))
    return {
        "cost_flows": rng.random((*batch, n_costs, n_years)) * 1000,
        "cost_factors": np.broadcast_to(factors, (n_costs, n_years)),
        "cost_shares": shares,
        "public_agencies": np.array([True, True, False]),
        "input_flows": rng.random((*batch, n_inputs, n_years)) * 500,
        "input_factors": np.broadcast_to(factors, (n_inputs, n_years)),
        "input_contributors": np.array([[0.0, 0.0, 1.0]]),
        "value_flows": rng.random((*batch, n_values, n_years)) * 800,
        "value_factors": np.broadcast_to(factors, (n_values, n_years)),
        "value_types": np.array([appraisal.FISCAL, appraisal.ECONOMIC, appraisal.SOCIAL]),
        "value_agencies": np.array([[1.0, 0, 0], [0, 0, 0], [0, 0, 1.0]]),
        "value_cashable": np.array([True, False, False]),
        "value_transfer": np.array([False, False, False]),
    }


@given(st.integers(0, 2**32 - 1), st.integers(1, 12))
def test_batched_measures_equal_loop_of_single_runs(seed: int, n_years: int) -> None:
    rng = np.random.default_rng(seed)
    batch = (4, 3)
    args = _inputs(rng, batch, n_years)
    factors = discount_factors(np.full(n_years, 0.035))
    batched = appraisal.measures(appraisal.yearly_totals(**args), factors, LOWER)
    for index in np.ndindex(batch):
        single_args = {
            k: (v[index] if k in ("cost_flows", "input_flows", "value_flows") else v)
            for k, v in args.items()
        }
        single = appraisal.measures(appraisal.yearly_totals(**single_args), factors, LOWER)
        for f in fields(single):
            np.testing.assert_array_equal(getattr(batched, f.name)[index], getattr(single, f.name))


def test_incremental_of_identical_totals_is_zero() -> None:
    rng = np.random.default_rng(1)
    totals = appraisal.yearly_totals(**_inputs(rng, (), 5))
    zero = totals - totals
    m = appraisal.measures(zero, discount_factors(np.full(5, 0.035)), LOWER)
    assert m.npsv == 0.0
    assert np.isnan(m.bcr_public)
    assert np.isnan(m.payback_year_offset)


@given(
    st.floats(-1e6, 1e6),
    st.floats(-1e6, 1e6),
    st.integers(1, 120),
    st.floats(0.0, 0.1),
    st.floats(0.0, 0.1),
)
def test_equivalent_annual_net_benefit_of_flat_streams_is_their_amount(
    health_amount: float, other_amount: float, n_years: int, r_standard: float, r_health: float
) -> None:
    """A flat stream over the period gives its annual amount back, on either schedule."""
    standard = discount_factors(np.full(n_years, r_standard))
    health = discount_factors(np.full(n_years, r_health))
    pv_health = np.sum(health_amount * health)
    npsv = pv_health + np.sum(other_amount * standard)
    eanb = appraisal.equivalent_annual_net_benefit(npsv, pv_health, standard, health)
    scale = abs(health_amount) + abs(other_amount)
    assert abs(eanb - (health_amount + other_amount)) <= 1e-12 * max(scale, 1.0) * n_years
