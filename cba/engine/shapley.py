"""Shapley values: an order-free split of a change among the changes that caused it
(docs/methods.md §16).

With k players (changed inputs, or groups of them) and a figure v(S) for every coalition S of
players switched to their new values (the others at their old values), player i's share is

    phi_i = sum over S not containing i of |S|! (k - |S| - 1)! / k! x (v(S + i) - v(S)),

the average, over every order in which the changes could be made, of the change in the
figure when i is made (Shapley 1953). The shares add up to v(all) - v(none) (efficiency); a
player that changes nothing gets 0; players whose effects add up get their effect alone, and
an interaction is shared equally between the players in it.

Coalitions are indexed by bit masks: bit i of the index is set when player i has its new value.

When the 2**k coalitions are too many to evaluate, the shares are estimated by sampling orders
instead (Castro, Gomez and Tejada 2009): phi_i is the mean, over every order of
the players, of i's marginal contribution when the players are switched to their new values one
after another in that order, so a random sample of orders gives an unbiased estimate. Each order
walks from the coalition of none to the coalition of all, its k marginal contributions telescope
to v(all) - v(none), and so the estimates add up to the change exactly (to rounding) whatever
the sample. Orders are drawn in antithetic pairs (an order, then the same order reversed, in
which each player comes after exactly the players it came before), which lowers the variance
for the interactions of two players that a change of inputs typically has; the pair means are
independent, and the standard error of each estimate is their standard deviation over the
square root of the number of pairs.

References
----------
Shapley, L. S. (1953). A value for n-person games. Contributions to the Theory of Games II,
307-317. Castro, J., Gomez, D. and Tejada, J. (2009). Polynomial calculation of the Shapley
value based on sampling. Computers & Operations Research 36(5), 1726-1730.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MAX_PLAYERS = 20
"""Most players an exact computation takes (2**20 coalitions)."""


def coalition_masks(players: int) -> NDArray[np.bool_]:
    """(2**players, players): row s says which players coalition s switches on."""
    if not 0 <= players <= MAX_PLAYERS:
        raise ValueError(f"exact Shapley values take 0 to {MAX_PLAYERS} players; got {players}")
    index = np.arange(2**players)[:, None]
    masks: NDArray[np.bool_] = (index >> np.arange(players)[None, :]) & 1 == 1
    return masks


def shapley_values(figures: FloatArray) -> FloatArray:
    """Each player's Shapley value from the figure of every coalition.

    Parameters
    ----------
    figures : array, shape (2**k, ...)
        v(S) for each coalition S (bit i of the row index: player i on); trailing axes are
        separate figures, each split on its own.

    Returns
    -------
    array, shape (k, ...)
        phi_i in the unit of ``figures``; NaN where a coalition's figure is NaN (undefined).
    """
    rows = figures.shape[0]
    k = rows.bit_length() - 1
    if rows != 2**k:
        raise ValueError(f"figures must have 2**k rows (one per coalition); got {rows}")
    masks = coalition_masks(k)
    sizes = masks.sum(axis=1)
    weights = np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    )
    out = np.empty((k, *figures.shape[1:]))
    for i in range(k):
        without = np.flatnonzero(~masks[:, i])  # S not containing i, in index order
        gains = figures[without | (1 << i)] - figures[without]
        w = weights[sizes[without]].reshape((-1,) + (1,) * (figures.ndim - 1))
        out[i] = np.sum(w * gains, axis=0)
    return out


def permutation_orders(players: int, orders: int, rng: np.random.Generator) -> IntArray:
    """Random orders of the players, in antithetic pairs.

    Parameters
    ----------
    players : int
        k, the number of players (1 or more).
    orders : int
        m, the number of orders: even, at least 4 (two pairs, for a standard error).
    rng : numpy.random.Generator
        The source of randomness (seeded by the caller: the same seed gives the same orders).

    Returns
    -------
    array of int, shape (m, k)
        Row p lists the players in the order they are switched on; row 2j + 1 is row 2j
        reversed.
    """
    if players < 1:
        raise ValueError(f"sampling orders takes 1 or more players; got {players}")
    if orders < 4 or orders % 2:
        raise ValueError(
            f"orders come in antithetic pairs: an even number, 4 or more; got {orders}"
        )
    first = rng.permuted(np.tile(np.arange(players, dtype=np.int64), (orders // 2, 1)), axis=1)
    out = np.empty((orders, players), dtype=np.int64)
    out[0::2] = first
    out[1::2] = first[:, ::-1]
    return out


def path_masks(orders: IntArray) -> NDArray[np.bool_]:
    """The coalitions each order walks through, from none of the players to all of them.

    Parameters
    ----------
    orders : array of int, shape (m, k)
        Orders of the players (``permutation_orders``).

    Returns
    -------
    array of bool, shape (m, k + 1, k)
        ``[p, j, i]``: whether player i is on in the j-th coalition along order p (the first j
        players of the order on).
    """
    m, k = orders.shape
    rank = np.empty_like(orders)
    rank[np.arange(m)[:, None], orders] = np.arange(k)  # where each player comes in each order
    masks: NDArray[np.bool_] = rank[:, None, :] < np.arange(k + 1)[None, :, None]
    return masks


def sampled_shapley_values(
    figures_along_paths: FloatArray, orders: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Shapley values estimated from sampled orders, with their standard errors.

    Parameters
    ----------
    figures_along_paths : array, shape (m, k + 1, ...)
        v of each coalition along each order (``path_masks``): ``[p, j]`` with the first j
        players of order p on; trailing axes are separate figures, each split on its own.
    orders : array of int, shape (m, k)
        The orders, in pairs of consecutive rows (``permutation_orders``); m even, 4 or more.

    Returns
    -------
    estimate : array, shape (k, ...)
        The mean of each player's marginal contribution over the orders, in the unit of
        ``figures_along_paths``. Summed over the players it is v(all) - v(none) (each order's
        contributions telescope to it). NaN where a coalition's figure is NaN.
    standard_error : array, shape (k, ...)
        The standard deviation of the pair means over the square root of the number of pairs;
        0 where every order gives the player the same contribution (an additive game).

    Notes
    -----
    ``phi_i ~ (1/m) sum_p (v(P_p,i + i) - v(P_p,i))``, with ``P_p,i`` the players before i in
    order p (Castro, Gomez and Tejada 2009).
    """
    m, k = orders.shape
    if figures_along_paths.shape[:2] != (m, k + 1):
        raise ValueError(
            f"figures along the paths must have shape ({m}, {k + 1}, ...) for {m} orders of {k} "
            f"players; got {figures_along_paths.shape}"
        )
    if m < 4 or m % 2:
        raise ValueError(f"orders come in antithetic pairs: an even number, 4 or more; got {m}")
    gains = np.diff(figures_along_paths, axis=1)  # (m, k, ...): the j-th player of each order
    contributions = np.empty_like(gains)
    contributions[np.arange(m)[:, None], orders] = gains
    pairs = contributions.reshape(m // 2, 2, *contributions.shape[1:]).mean(axis=1)
    estimate: FloatArray = pairs.mean(axis=0)
    standard_error: FloatArray = pairs.std(axis=0, ddof=1) / np.sqrt(m // 2)
    return estimate, standard_error
