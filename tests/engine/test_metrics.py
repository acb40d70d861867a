"""Headline measures: BCR, payback, IRR, value-for-money bands."""

from __future__ import annotations

import itertools

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cba.engine.metrics import (
    band_index,
    benefit_cost_ratio,
    equivalent_annual_value,
    internal_rate_of_return,
    payback_year_offset,
)
from cba.reference.value_for_money import DFT_VALUE_FOR_MONEY

LOWER = np.array([b.lower for b in DFT_VALUE_FOR_MONEY])


def test_bcr_undefined_when_costs_not_positive() -> None:
    bcr = benefit_cost_ratio([10.0, 10.0, 10.0], [0.0, -5.0, 4.0])
    assert np.isnan(bcr[0]) and np.isnan(bcr[1])
    assert bcr[2] == 2.5


@given(st.floats(-1e9, 1e9, allow_nan=False), st.floats(1e-3, 1e9))
def test_bcr_above_one_iff_npsv_positive(pvb: float, pvc: float) -> None:
    bcr = float(benefit_cost_ratio(pvb, pvc))
    assert (bcr > 1.0) == (pvb - pvc > 0.0) or pvb == pytest.approx(pvc)


@pytest.mark.parametrize(
    ("bcr", "band"),
    [
        (-0.5, "very poor"),
        (0.0, "poor"),
        (0.999, "poor"),
        (1.0, "low"),
        (1.4999, "low"),
        (1.5, "medium"),
        (2.0, "high"),
        (3.99, "high"),
        (4.0, "very high"),
        (25.0, "very high"),
    ],
)
def test_value_for_money_band_boundaries(bcr: float, band: str) -> None:
    assert DFT_VALUE_FOR_MONEY[int(band_index(bcr, LOWER))].name == band


def test_value_for_money_bands_tile_the_line() -> None:
    for lower, upper in itertools.pairwise(DFT_VALUE_FOR_MONEY):
        assert lower.upper == upper.lower
    assert DFT_VALUE_FOR_MONEY[0].lower == -np.inf and DFT_VALUE_FOR_MONEY[-1].upper == np.inf
    assert band_index(np.nan, LOWER) == -1


def test_payback_first_year_cumulative_non_negative() -> None:
    flows = np.array(
        [
            [-100.0, 30.0, 30.0, 40.0, 10.0],
            [-100.0, 10.0, 10.0, 10.0, 10.0],
            [5.0, -1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    result = payback_year_offset(flows)
    assert result[0] == 3.0
    assert np.isnan(result[1])
    assert result[2] == 0.0
    assert np.isnan(result[3])  # nothing to pay back


def test_irr_matches_numpy_financial_and_is_undefined_without_sign_change() -> None:
    flows = np.array([[-1000.0, 300.0, 400.0, 500.0], [100.0, 100.0, 100.0, 100.0]])
    irr = internal_rate_of_return(flows)
    assert irr[0] == pytest.approx(npf.irr(flows[0]), rel=1e-12)
    assert npf.npv(irr[0], flows[0]) == pytest.approx(0.0, abs=1e-6)
    assert np.isnan(irr[1])


def test_equivalent_annual_value() -> None:
    factors = np.array([1.0, 1 / 1.035, 1 / 1.035**2])
    assert equivalent_annual_value(300.0, factors.sum()) == pytest.approx(300.0 / factors.sum())


def test_irr_undefined_when_flows_change_sign_more_than_once() -> None:
    # -100, +230, -132: two sign changes; NPV has roots at 10% and 20%, so no unique IRR.
    flows = np.array([-100.0, 230.0, -132.0])
    assert npf.npv(0.1, flows) == pytest.approx(0.0, abs=1e-9)
    assert npf.npv(0.2, flows) == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(internal_rate_of_return(flows))


def test_sign_changes_skip_zeros() -> None:
    from cba.engine.metrics import sign_changes

    assert sign_changes(np.array([-1.0, 0.0, 0.0, 2.0, 0.0, 3.0])) == 1
    assert sign_changes(np.array([[0.0, 0.0], [1.0, -1.0]])).tolist() == [0, 1]
