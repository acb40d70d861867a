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
INCLUSIVE = np.array([b.lower_inclusive for b in DFT_VALUE_FOR_MONEY])


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
        (-0.0, "very poor"),
        (0.0, "very poor"),
        (1e-12, "poor"),
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
    assert DFT_VALUE_FOR_MONEY[int(band_index(bcr, LOWER, INCLUSIVE))].name == band


def test_value_for_money_band_of_zero_matches_the_published_table() -> None:
    """The table shown to readers and the code agree at every boundary (BCR 0 is very poor)."""
    import cba

    results = cba.run(cba.load_scenario("scenarios/balsall_heath_community_safety.yaml"))
    rules = {b.name: b.rule for b in results.value_for_money_bands}
    assert rules["very poor"] == "BCR <= 0"
    assert rules["poor"] == "0 < BCR < 1"
    assert rules["low"] == "1 <= BCR < 1.5"
    assert rules["very high"] == "BCR >= 4"
    for bcr, expected in ((0.0, "very poor"), (1.0, "low"), (4.0, "very high")):
        assert DFT_VALUE_FOR_MONEY[int(band_index(bcr, LOWER, INCLUSIVE))].name == expected


def test_band_index_broadcasts_and_defaults_to_inclusive_lower_bounds() -> None:
    values = np.array([[-1.0, 0.0, 0.5], [1.0, np.nan, 9.0]])
    assert band_index(values, LOWER, INCLUSIVE).tolist() == [[0, 0, 1], [2, -1, 5]]
    assert band_index(values, LOWER).tolist() == [[0, 1, 1], [2, -1, 5]]


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


@pytest.mark.parametrize(
    ("costs", "benefits", "expected"),
    [
        # Worked by hand (issue 7): cumulative net 0, -100, -40, +20, +80 -> offset 3, not 0.
        ([0, 100, 0, 0, 0], [0, 0, 60, 60, 60], 3.0),
        # A late renewal cost takes the cumulative negative again: payback is after the dip.
        # cumulative: -100, -40, +20, -60, 0 -> last negative at offset 3 -> offset 4.
        ([100, 0, 0, 140, 0], [0, 60, 60, 60, 60], 4.0),
        # Benefits before costs: never negative, pays its way from the first flow (offset 1).
        ([0, 0, 10, 0, 0], [0, 50, 0, 0, 0], 1.0),
        # Still negative in the final year: undefined.
        ([0, 100, 0, 0, 0], [0, 0, 20, 20, 20], np.nan),
        # Exactly zero at the end counts as paid back in that year.
        ([0, 90, 0, 0, 0], [0, 0, 30, 30, 30], 4.0),
    ],
)
def test_payback_hand_worked_cases(
    costs: list[float], benefits: list[float], expected: float
) -> None:
    net = np.array(benefits, dtype=float) - np.array(costs, dtype=float)
    result = float(payback_year_offset(net))
    assert result == expected or (np.isnan(expected) and np.isnan(result))


def test_payback_ignores_rounding_in_the_last_bits() -> None:
    # Cumulative ends at -1.1e-16 instead of 0 by rounding: paid back in the final year.
    net = np.array([-0.9, 0.3, 0.3, 0.3])
    assert np.cumsum(net)[-1] < 0.0
    assert payback_year_offset(net) == 3.0


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40))
def test_payback_is_where_the_cumulative_stays_non_negative(flows: list[float]) -> None:
    net = np.array(flows)
    offset = float(payback_year_offset(net))
    if not np.any(net):
        assert np.isnan(offset)
        return
    cumulative = np.cumsum(net)
    tolerance = 1e-12 * np.sum(np.abs(net))
    if cumulative[-1] < -tolerance:
        assert np.isnan(offset)
        return
    k = int(offset)
    assert np.all(cumulative[k:] >= -tolerance)
    assert k == 0 or cumulative[k - 1] < -tolerance or not np.any(net[:k])


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
