"""Cost lines: what an option costs, and who pays."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, Tag, field_validator

from cba.spec.base import (
    AgencyRef,
    Fraction,
    Identifier,
    IncomeGroupRef,
    ShortText,
    Source,
    as_mapping,
    discriminator,
    tag,
)
from cba.spec.optimism import CostOptimismBias
from cba.spec.scale import ScalingLaw
from cba.spec.timing import AnnualAmount
from cba.spec.uncertainty import UncertainValues

CostCategory = Literal["capital", "revenue", "in_kind"]
"""capital (one-off investment), revenue (running cost) or in_kind (staff time, space or
goods an agency provides without cash changing hands)."""

SHARE_TOLERANCE = 1e-9
"""How far shares may sum from 1 [fraction], to allow for decimal fractions like 1/3."""


def _shares_form(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, str):
        return tag("agency")
    if isinstance(value, dict):
        return tag("shares")
    return None


def _shares_sum_to_one(shares: dict[str, float]) -> dict[str, float]:
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(
            f"shares must sum to 1; got {total:.6g}. Adjust the shares "
            "(they are fractions of the amount: 0.6 and 0.4)"
        )
    return shares


Shares = Annotated[
    dict[AgencyRef, Fraction],
    Field(min_length=1),
]

PaidBy = Annotated[
    Annotated[AgencyRef, Tag(tag("agency"))] | Annotated[Shares, Tag(tag("shares"))],
    discriminator(
        _shares_form,
        "an agency id, or shares by agency that sum to 1 ({council: 0.6, police: 0.4})",
    ),
]
"""One agency id, or a mapping of agency id to share [fraction] summing to 1."""


class CostLine(AnnualAmount):
    """One cost of an option, entered as a positive amount."""

    id: Identifier
    """Id of the line, unique within the option."""
    name: ShortText
    """What the cost is."""
    category: CostCategory
    """capital, revenue or in_kind."""
    paid_by: PaidBy
    """Who bears the cost: an agency id or shares by agency."""
    optimism_bias: CostOptimismBias = 0.0
    """Uplift for optimism bias: a fraction (0.24), a Mott MacDonald category with mitigation,
    an upper bound with mitigation ({upper_bound: 0.2, mitigation: 0.5, source: ...}), or a
    confidence grade. Default 0 (GB §5.43-5.46)."""
    source: Source
    """Where the amount comes from."""
    income_group: IncomeGroupRef | None = None
    """The income group (``distributional_weights.groups``) that gains or pays, for the
    weighted figures. Default: none (weight 1)."""
    scaling: ScalingLaw | None = None
    """How the cost varies with the option's scale driver. Default: in proportion."""
    uncertain: UncertainValues = Field(default_factory=dict)
    """Distributions of this line's inputs, by key (``amount_per_year: {distribution: ...,
    why: ...}``): the same as entries of the ``uncertainty:`` block. Default: none."""

    @field_validator("paid_by")
    @classmethod
    def _check_shares(cls, value: str | dict[str, float]) -> str | dict[str, float]:
        if isinstance(value, dict):
            return _shares_sum_to_one(value)
        return value
