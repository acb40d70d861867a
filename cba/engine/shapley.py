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
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

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
