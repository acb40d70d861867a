"""The value of better evidence for a choice between options (docs/methods.md §15).

``net`` is a (draws, options) array of each option's net value at every Monte Carlo draw (the
counterfactual's column all 0 when the values are incremental). Choosing now, the board takes
the option with the highest expected net value; with perfect information it would choose the
best option at every draw.

- **EVPI** = E[max_j net_j] - max_j E[net_j] (e.g. Briggs, Claxton and Sculpher 2006, ch. 7).
- **EVPPI** of a group of inputs X = E_X[max_j E[net_j | X]] - max_j E[net_j]: what knowing X
  alone (the rest still uncertain) is worth. The conditional expectations are estimated by a
  regression of each option's net value on the group's draws (Strong, Oakley and Brennan 2014,
  "Estimating multiparameter partial expected value of perfect information from a
  probabilistic sensitivity analysis sample", Medical Decision Making 34(3)): here a linear
  regression on, for each input, indicators of the bins its values fall in (equal-count bins,
  at most 100 and at least 100 draws each on average; one bin per value for a discrete input),
  plus, for groups of two or more numeric inputs, every pairwise product of the standardised
  inputs. For one input this is the mean of each option's net value within each bin.

Both are in the unit of ``net`` (GBP PV in cba) and never below 0 (estimates are clipped at 0:
the sample estimate of a quantity bounded below by 0 can fall under it by sampling noise).
Regression estimates of EVPPI are biased upwards by noise fitted within the bins, the more so
the fewer draws per bin; the bins keep at least about 100 draws each.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

MAX_BINS = 100
"""Most bins per input."""

DRAWS_PER_BIN = 100
"""Fewest draws per bin, on average, across the group's inputs."""

ROWS_PER_BLOCK = 20_000
"""Draws per block when forming the regression's normal equations (bounds memory)."""


def perfect_information(net: FloatArray) -> float:
    """EVPI: E[max over options] - max over options of E[net] (>= 0), in ``net``'s unit;
    exactly 0 when one option is best at every draw."""
    if np.all(np.argmax(net, axis=1) == np.argmax(net.mean(axis=0))):
        return 0.0
    return max(0.0, float(net.max(axis=1).mean() - net.mean(axis=0).max()))


def _bin_keys(values: NDArray[Any], bins: int) -> NDArray[np.int64]:
    """Each draw's bin: one per distinct value for text or for few distinct values, else
    equal-count bins by value (ties kept in one bin)."""
    if values.dtype.kind in "OUS":
        return np.unique(values.astype(str), return_inverse=True)[1].astype(np.int64)
    x = np.asarray(values, dtype=np.float64)
    distinct = np.unique(x)
    if len(distinct) <= bins:
        return np.searchsorted(distinct, x).astype(np.int64)
    edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, bins + 1)[1:-1], method="lower"))
    return np.searchsorted(edges, x, side="right").astype(np.int64)


def _bin_means(keys: NDArray[np.int64], net: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Counts per bin and each option's mean net value in each bin."""
    groups = int(keys.max()) + 1
    counts = np.bincount(keys, minlength=groups).astype(np.float64)
    sums = np.stack(
        [np.bincount(keys, weights=net[:, j], minlength=groups) for j in range(net.shape[1])],
        axis=1,
    )
    return counts, sums / np.maximum(counts, 1.0)[:, None]


def partial_information(inputs: Sequence[NDArray[Any]], net: FloatArray) -> float:
    """EVPPI of the group of ``inputs`` (each an array of draws, numbers or text), in
    ``net``'s unit (>= 0; exactly 0 when the option best on average is also best whatever the
    group's values). ``net`` is (draws, options)."""
    n = int(net.shape[0])
    if not inputs:
        return 0.0
    bins = max(1, min(MAX_BINS, n // (DRAWS_PER_BIN * len(inputs))))
    keys = [_bin_keys(x, bins) for x in inputs]
    baseline = float(net.mean(axis=0).max())
    chosen = int(np.argmax(net.mean(axis=0)))
    if len(inputs) == 1:
        counts, means = _bin_means(keys[0], net)
        if np.all(np.argmax(means[counts > 0], axis=1) == chosen):
            return 0.0
        return max(0.0, float(np.sum(counts * means.max(axis=1)) / n) - baseline)
    numeric = [
        np.asarray(x, dtype=np.float64) for x in inputs if np.asarray(x).dtype.kind not in "OUS"
    ]
    scaled = []
    for x in numeric:
        sd = float(np.std(x))
        if sd > 0:
            scaled.append((x - float(np.mean(x))) / sd)
    pairs = list(itertools.combinations(range(len(scaled)), 2))
    widths = [int(k.max()) for k in keys]  # indicator columns per input (first bin dropped)

    def design(start: int, stop: int) -> FloatArray:
        columns = 1 + sum(widths) + len(pairs)
        block = np.zeros((stop - start, columns))
        block[:, 0] = 1.0
        offset = 1
        rows = np.arange(stop - start)
        for k, width in zip(keys, widths, strict=True):
            part = k[start:stop]
            chosen = part > 0
            block[rows[chosen], offset + part[chosen] - 1] = 1.0
            offset += width
        for a, b in pairs:
            block[:, offset] = scaled[a][start:stop] * scaled[b][start:stop]
            offset += 1
        return block

    def blocks() -> Iterator[tuple[int, int]]:
        for start in range(0, n, ROWS_PER_BLOCK):
            yield start, min(n, start + ROWS_PER_BLOCK)

    gram: FloatArray | None = None
    moments: FloatArray | None = None
    for start, stop in blocks():
        x = design(start, stop)
        g, m = x.T @ x, x.T @ net[start:stop]
        gram = g if gram is None else gram + g
        moments = m if moments is None else moments + m
    assert gram is not None and moments is not None
    coefficients = np.linalg.lstsq(gram, moments, rcond=None)[0]
    best_known = 0.0
    always = True
    for start, stop in blocks():
        fitted = design(start, stop) @ coefficients
        always = always and bool(np.all(np.argmax(fitted, axis=1) == chosen))
        best_known += float(np.sum(fitted.max(axis=1)))
    return 0.0 if always else max(0.0, best_known / n - baseline)
