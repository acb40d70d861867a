"""Shapley values (cba.engine.shapley) against games with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cba.engine.shapley import (
    coalition_masks,
    path_masks,
    permutation_orders,
    sampled_shapley_values,
    shapley_values,
)


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


def _sampled(k: int, orders: int, value: object, seed: int = 7) -> tuple[np.ndarray, ...]:
    """The game's figures along sampled orders, and the estimate and its standard errors."""
    chosen = permutation_orders(k, orders, np.random.default_rng(seed))
    along = np.array([[value(m) for m in path] for path in path_masks(chosen)])  # type: ignore[operator]
    return sampled_shapley_values(along, chosen)


def test_orders_are_permutations_in_reversed_pairs_and_repeat_with_the_seed() -> None:
    orders = permutation_orders(9, 40, np.random.default_rng(3))
    assert orders.shape == (40, 9)
    assert (np.sort(orders, axis=1) == np.arange(9)).all()
    assert (orders[1::2] == orders[0::2, ::-1]).all()
    assert len({tuple(o) for o in orders}) > 30  # not one order repeated
    assert (orders == permutation_orders(9, 40, np.random.default_rng(3))).all()
    for bad in (3, 5, 2):
        with pytest.raises(ValueError, match="antithetic pairs"):
            permutation_orders(9, bad, np.random.default_rng(3))


def test_each_path_switches_on_the_next_player_of_its_order() -> None:
    orders = permutation_orders(5, 6, np.random.default_rng(1))
    masks = path_masks(orders)
    assert masks.shape == (6, 6, 5)
    assert (masks.sum(axis=2) == np.arange(6)).all()
    assert not masks[:, 0].any() and masks[:, -1].all()
    for p in range(6):
        for j in range(5):
            added = np.flatnonzero(masks[p, j + 1] & ~masks[p, j])
            assert added.tolist() == [orders[p, j]]


def test_sampling_an_additive_game_gives_each_player_its_effect_with_no_error() -> None:
    effects = np.arange(-7.0, 8.0) * 1000.0  # 15 players: too many to enumerate cheaply
    estimate, error = _sampled(15, 10, lambda m: float(effects[m].sum()))
    assert (estimate == effects).all() and (error == 0.0).all()


def test_antithetic_pairs_are_exact_for_interactions_of_two_players() -> None:
    effects = np.array([3.0, -5.0, 11.0, 2.0, 8.0, -1.0])
    pair = np.triu(np.arange(36.0).reshape(6, 6), 1)  # each pair's interaction

    def game(m: np.ndarray) -> float:
        return float(effects[m].sum() + m @ pair @ m)

    estimate, error = _sampled(6, 4, game)
    assert np.allclose(estimate, shapley_values(_game(6, game)), rtol=0, atol=1e-9)
    assert np.allclose(error, 0.0, atol=1e-9)


def test_sampled_values_of_a_game_with_interactions_are_within_their_errors() -> None:
    # NPSV-like: benefits = outcomes x value x (1 - deadweight) x (1 - displacement) ... - costs
    old = np.array([120.0, 9.0, 0.3, 0.2, 0.25, 40.0, 5.0, 0.9])
    new = np.array([150.0, 12.0, 0.45, 0.1, 0.4, 55.0, 8.0, 0.7])

    def game(m: np.ndarray) -> float:
        x = np.where(m, new, old)
        chain = x[0] * x[1] * (1 - x[2]) * (1 - x[3]) * (1 - x[4]) * x[7]
        return float(chain - x[5] * x[6])

    exact = shapley_values(_game(8, game))
    estimate, error = _sampled(8, 200, game)
    assert (error > 0).any()  # interactions of three and more: the estimate has an error
    assert (np.abs(estimate - exact) <= 4 * error + 1e-9).all()
    total = game(np.ones(8, dtype=bool)) - game(np.zeros(8, dtype=bool))
    assert estimate.sum() == pytest.approx(total, rel=1e-12)
    assert exact.sum() == pytest.approx(total, rel=1e-12)


def test_sampled_values_take_figures_along_the_paths() -> None:
    orders = permutation_orders(3, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"shape \(4, 4, \.\.\.\)"):
        sampled_shapley_values(np.zeros((4, 3)), orders)
