"""Year profiles, drop-off and the benefit chain against hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest

from cba.engine.additionality import CHAIN_STEPS, benefit_chain, gross_outcomes
from cba.engine.profiles import active_years, drop_off_profile


def test_active_years_inclusive() -> None:
    np.testing.assert_array_equal(active_years(1, 3, 6), [0, 1, 1, 1, 0, 0])


def test_drop_off_hand_worked() -> None:
    # 20% drop-off from year 2 to 5: 1, 0.8, 0.64, 0.512, then nothing after year 5.
    np.testing.assert_allclose(
        drop_off_profile(2, 5, 0.2, 8), [0, 0, 1, 0.8, 0.64, 0.512, 0, 0], rtol=1e-15
    )


def test_drop_off_broadcasts() -> None:
    batched = drop_off_profile(np.array([0, 1]), np.array([3, 3]), np.array([0.5, 0.0]), 4)
    np.testing.assert_allclose(batched, [[1, 0.5, 0.25, 0.125], [0, 1, 1, 1]])


def test_benefit_chain_hand_worked() -> None:
    gross = gross_outcomes(1000, 0.5, 0.2)  # 100 outcomes
    chain = benefit_chain(gross, 0.3, 0.1, 0.0, 0.0, 0.2, 1.0, 0.1)
    expected = [100, 70, 63, 63, 63, 50.4, 50.4, 45.36]
    assert len(CHAIN_STEPS) == len(expected)
    np.testing.assert_allclose(chain, expected, rtol=1e-14)


def test_benefit_chain_order_does_not_change_net() -> None:
    a = benefit_chain(80.0, 0.3, 0.2, 0.1, 0.05, 0.25, 1.2, 0.15)[-1]
    b = 80.0 * 0.7 * 0.8 * 0.9 * 0.95 * 0.75 * 1.2 * 0.85
    assert a == pytest.approx(b, rel=1e-14)
