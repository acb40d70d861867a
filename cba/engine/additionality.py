"""From gross outcomes to net outcomes: the benefit chain (LP2014, AG, SROI).

The chain is a product of successive reductions, each kept visible so that a reader sees
what each assumption removed:

``gross = cohort x engagement x success`` (or a direct number of outcomes), then
``x (1 - deadweight) x (1 - displacement) x (1 - leakage) x (1 - substitution)
x (1 - attribution) x multiplier x (1 - optimism-bias correction)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

CHAIN_STEPS: tuple[str, ...] = (
    "gross",
    "after_deadweight",
    "after_displacement",
    "after_leakage",
    "after_substitution",
    "after_attribution",
    "after_multiplier",
    "net",
)
"""Names of the chain's steps, in order; the last is the net outcome after optimism bias."""


def gross_outcomes(
    cohort: ArrayLike, engagement_rate: ArrayLike, success_rate: ArrayLike
) -> FloatArray:
    """Gross outcomes [outcomes per year] = cohort x engagement rate x success rate (LP2014)."""
    return (
        np.asarray(cohort, dtype=np.float64)
        * np.asarray(engagement_rate, dtype=np.float64)
        * np.asarray(success_rate, dtype=np.float64)
    )


def benefit_chain(
    gross: ArrayLike,
    deadweight: ArrayLike,
    displacement: ArrayLike,
    leakage: ArrayLike,
    substitution: ArrayLike,
    attribution: ArrayLike,
    multiplier: ArrayLike,
    optimism_bias: ArrayLike,
) -> FloatArray:
    """Every step of the net-value chain.

    Parameters
    ----------
    gross : array_like, shape (...)
        Gross quantity (outcomes, or value) [any unit].
    deadweight, displacement, leakage, substitution, attribution, optimism_bias : array_like
        Successive reductions [fraction], each broadcast against ``gross``.
    multiplier : array_like
        Local multiplier [dimensionless, >= 0]; 1 means no multiplier effect.

    Returns
    -------
    ndarray, shape (S, ...)
        The quantity after each step in ``CHAIN_STEPS`` order (``S = 8``): the first is
        ``gross``, the last the net quantity.

    References
    ----------
    HM Treasury/New Economy (2014), LP2014 CBA guidance, the benefit chain; Homes and
    Communities Agency (2014), Additionality Guide, 4th ed.; Cabinet Office (2012), SROI Guide.
    """
    factors = (
        1.0 - np.asarray(deadweight, dtype=np.float64),
        1.0 - np.asarray(displacement, dtype=np.float64),
        1.0 - np.asarray(leakage, dtype=np.float64),
        1.0 - np.asarray(substitution, dtype=np.float64),
        1.0 - np.asarray(attribution, dtype=np.float64),
        np.asarray(multiplier, dtype=np.float64),
        1.0 - np.asarray(optimism_bias, dtype=np.float64),
    )
    steps = [np.asarray(gross, dtype=np.float64)]
    for factor in factors:
        steps.append(steps[-1] * factor)
    return np.stack(np.broadcast_arrays(*steps))
