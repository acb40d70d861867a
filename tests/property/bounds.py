"""How closely two floating-point computations of the same figure must agree, from first
principles.

A present value is a sum of L x T products (flow x unit value x chain factors x discount
factor), each a dozen or so roundings from the exact product; PVB, PVC and the rest are sums of
such terms, and NPSV and the BCR numerator are *differences* of those sums. Two computations that
differ only in how roundings fall (every amount scaled by k, lines duplicated, a sum regrouped)
agree to within a few units in the last place of the **gross** terms that were added and
subtracted, not of their difference, which can be as close to zero as the scenario likes.

With machine epsilon 2.2e-16, about 12 roundings per product and pairwise summation over at most
a few thousand terms (error <= eps x log2(n) x sum|x|), the worst case is about 30 x eps = 7e-15
of the gross magnitude. ``RELATIVE`` allows 1e-12 of it, a margin of 150 that is still six orders
of magnitude below any error a reader could see or a real defect would make.
"""

from __future__ import annotations

from cba.results import Measures, OptionResult

RELATIVE = 1e-12
UNDERFLOW = 1e-300
"""Below the smallest normal double (2.2e-308) rounding is absolute, not relative: a
subnormal amount such as 5e-324 scaled by 0.5 rounds to 0 or to itself. This floor covers
that and is far below any amount a scenario means."""


def gross_magnitude(m: Measures) -> float:
    """Sum of the absolute gross present values behind a basis's figures [GBP PV]."""
    return (
        abs(m.pv_fiscal)
        + abs(m.pv_economic)
        + abs(m.pv_social)
        + abs(m.pv_public_costs)
        + abs(m.pv_non_public_costs)
        + abs(m.pv_community_inputs)
    )


def magnitude(option: OptionResult, counterfactual: OptionResult, basis: str) -> float:
    """Gross magnitude behind ``option``'s figures on ``basis`` (incremental figures are
    differences of the option's and the counterfactual's gross sums)."""
    own = gross_magnitude(option.gross)
    return own + gross_magnitude(counterfactual.gross) if basis == "incremental" else own


def money_tolerance(gross: float) -> float:
    """Absolute tolerance [GBP PV] for a sum or difference of PVs of that gross magnitude."""
    return RELATIVE * gross + UNDERFLOW


def ratio_tolerance(gross: float, ratio: float, denominator: float) -> float:
    """Absolute tolerance of a ratio N/D whose N and D are each within ``money_tolerance``:
    first order, |d(N/D)| <= (dN + |N/D| dD) / D."""
    return 2.0 * money_tolerance(gross) * (1.0 + abs(ratio)) / denominator
