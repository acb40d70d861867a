"""DfT value-for-money categories by benefit-cost ratio (TAG value for money framework)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValueForMoneyBand:
    """A category covering ``lower <= BCR < upper`` (``lower < BCR <= upper`` where the lower
    bound is exclusive: then the boundary value belongs to the band below)."""

    name: str
    lower: float
    """Lower BCR bound [ratio]; ``-inf`` for the lowest band."""
    upper: float
    """Upper BCR bound [ratio]; ``inf`` for the highest band. It belongs to this band only when
    the next band's lower bound is exclusive."""
    lower_inclusive: bool = True
    """Whether a BCR equal to ``lower`` is in this band (True) or in the band below."""


VFM_SOURCE = (
    "Department for Transport, Value for Money Framework (2015, updated 2017) and TAG Unit A1.1; "
    "boundary placement (a BCR equal to 1, 1.5, 2 or 4 falls in the higher band) and the 'very "
    "poor' band at BCR <= 0 (a BCR of exactly 0 returns nothing, so it is very poor): VERIFY "
    "against DfT's current guidance"
)

DFT_VALUE_FOR_MONEY: tuple[ValueForMoneyBand, ...] = (
    ValueForMoneyBand("very poor", float("-inf"), 0.0),
    ValueForMoneyBand("poor", 0.0, 1.0, lower_inclusive=False),
    ValueForMoneyBand("low", 1.0, 1.5),
    ValueForMoneyBand("medium", 1.5, 2.0),
    ValueForMoneyBand("high", 2.0, 4.0),
    ValueForMoneyBand("very high", 4.0, float("inf")),
)
"""Bands in ascending order; they tile the real line without gaps or overlaps."""
