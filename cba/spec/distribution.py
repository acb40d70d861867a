"""Distributional weights (Green Book Annex A3): how much a pound is worth to each income group.

A group's weight is ``(reference_income / group income) ** elasticity`` (GB A3.19-A3.21). Lines
say which group gains or pays with ``income_group``; a line without one has weight 1 (its
pounds count as the reference household's). Weighted figures are reported beside the
unweighted ones, never instead (GB A3: "weighted estimates should be presented alongside
unweighted estimates").
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from cba.spec.base import Identifier, PriceYear, ShortText, Source, StrictModel

Income = Annotated[float, Field(gt=0.0, le=1e9, allow_inf_nan=False)]
"""An income [GBP per household per year], above 0 and at most 1e9."""


class IncomeGroup(StrictModel):
    """A group of households by income, whose gains and costs are weighted."""

    name: ShortText
    """Who they are (``residents of the estate (poorest fifth)``)."""
    income: Income
    """The group's median equivalised household disposable income [GBP per household per
    year], at the block's price year."""
    source: Source
    """Where the income comes from."""


class DistributionalWeights(StrictModel):
    """Welfare weights by income group (Green Book Annex A3), shown beside unweighted figures."""

    elasticity: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]
    """Elasticity of the marginal utility of income [dimensionless]; the Green Book uses 1.3
    (A3.14): ``{ref: green_book_distributional_weights@2022:marginal_utility_of_income.
    elasticity}``."""
    reference_income: Income
    """Income the weights are relative to [GBP per household per year]: the UK median
    equivalised household disposable income (A3.19), e.g. ``{ref:
    ons_household_income@fye2023:all_households.median_income}``."""
    groups: Annotated[dict[Identifier, IncomeGroup], Field(min_length=1)]
    """The income groups, by id; lines name one with ``income_group``."""
    source: Source
    """Where the elasticity and the reference income come from."""
    price_year: PriceYear | None = None
    """Price year of the incomes. Default: the scenario's price_base_year. Incomes are rebased
    like any money value, which leaves every ratio, and so every weight, unchanged."""

    def weight(self, group: str | None) -> float:
        """The weight of ``group`` [dimensionless]; 1 for a line without a group."""
        if group is None:
            return 1.0
        income = self.groups[group].income
        return float((self.reference_income / income) ** self.elasticity)
