"""Shapley values (cba.engine.shapley) against games with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cba.engine.shapley import coalition_masks, shapley_values


def _game(k: int, value: object) -> np.ndarray:
    masks = coalition_masks(k)
    return np.array([value(m) for m in masks], dtype=np.float64)  # type: ignore[operator]


@given(st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_shares_add_up_to_the_change(k: int, seed: int) -> None:
    figures = np.random.default_rng(seed).normal(0, 1e6, size=2**k)
    shares = shapley_values(figures)
    assert shares.sum() == pytest.approx(figures[-1] - figures[0], abs=1e-6)


def test_additive_changes_get_their_own_effect() -> None:
    effects = np.array([3.0, -5.0, 11.0])
    figures = _game(3, lambda m: float(effects[m].sum()))
    assert np.allclose(shapley_values(figures), effects)


def test_a_product_of_two_changed_factors_shares_the_interaction_equally() -> None:
    a0, a1, b0, b1 = 20.0, 15.0, 0.8, 0.7  # outcomes x (1 - attribution)
    figures = _game(2, lambda m: (a1 if m[0] else a0) * (b1 if m[1] else b0))
    share_a, share_b = shapley_values(figures)
    assert share_a == pytest.approx((a1 - a0) * (b0 + b1) / 2)
    assert share_b == pytest.approx((b1 - b0) * (a0 + a1) / 2)
    assert share_a + share_b == pytest.approx(a1 * b1 - a0 * b0)


def test_a_change_that_moves_nothing_gets_nothing_and_equals_share_equally() -> None:
    figures = _game(3, lambda m: 10.0 * (m[0] and m[1]))  # player 2 is a null player
    shares = shapley_values(figures)
    assert shares[2] == 0.0
    assert shares[0] == shares[1] == pytest.approx(5.0)


def test_undefined_coalitions_give_undefined_shares() -> None:
    figures = np.array([1.0, np.nan, 2.0, 3.0])
    assert np.isnan(shapley_values(figures)).any()


def test_several_figures_at_once_and_bad_sizes() -> None:
    figures = np.stack([_game(2, lambda m: m.sum()), _game(2, lambda m: 2.0 * m[0])], axis=-1)
    shares = shapley_values(figures)
    assert shares.shape == (2, 2)
    assert np.allclose(shares[:, 0], [1.0, 1.0]) and np.allclose(shares[:, 1], [2.0, 0.0])
    with pytest.raises(ValueError, match="2\\*\\*k rows"):
        shapley_values(np.zeros(3))
