"""Results of appraising one template across many areas (``cba batch``): plain frozen data.

Money: present values [GBP, real at the template's price base year]; ratios [ratio];
probabilities [0 to 1]. ``None`` where a figure is undefined (a BCR over no public cost) or
not computed (the uncertainty figures of a run without draws).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with a row of the area table (or with its header: ``row`` 1)."""

    row: int
    """The row as the file numbers it (CSV: its line, the header being line 1)."""
    area_id: str | None
    column: str
    """The column, or '' for the whole row."""
    message: str

    def __str__(self) -> str:
        area = f" (area {self.area_id})" if self.area_id else ""
        column = f", column {self.column}" if self.column else ""
        return f"row {self.row}{area}{column}: {self.message}"


@dataclass(frozen=True)
class AreaInputs:
    """What one area set: its attributes and every input that differs by area."""

    area_id: str
    name: str
    row: int
    attributes: dict[str, float]
    """Attribute -> value [its unit]: the table's, else the template's."""
    values: dict[str, float | str]
    """Parameter path -> value set for this area: the inputs written per attribute (their
    rate times the attributes) and the columns naming a path."""


@dataclass(frozen=True)
class AreaOptionResult:
    """One option in one area, against the template's counterfactual in the same area."""

    area_id: str
    name: str
    option_id: str
    npsv: float
    npsv_excluding_community_inputs: float
    pv_benefits: float
    pv_public_costs: float
    pv_non_public_costs: float
    pv_community_inputs: float
    pv_marginal_excess_tax_burden: float
    bcr_public: float | None
    bcr_public_and_community: float | None
    value_for_money: str | None
    """DfT value-for-money category of ``bcr_public``."""
    npsv_mean: float | None = None
    """Mean NPSV over the area's draws [GBP, PV]; None without draws."""
    npsv_p5: float | None = None
    npsv_p95: float | None = None
    probability_npsv_positive: float | None = None
    """Share of the area's draws with NPSV > 0 [probability]; None without draws."""


@dataclass(frozen=True)
class OptionAcrossAreas:
    """One option over every area evaluated: totals, distribution and ranking."""

    option_id: str
    name: str
    areas: int
    total_npsv: float
    """Sum over the areas [GBP, PV], community inputs valued as costs."""
    total_npsv_excluding_community_inputs: float
    """Sum over the areas [GBP, PV], community inputs left out (the un-costed view)."""
    total_pv_benefits: float
    total_pv_public_costs: float
    total_pv_community_inputs: float
    bcr_public_of_totals: float | None
    """(Sum of BCR numerators) / (sum of PV public costs) [ratio]."""
    areas_paying: tuple[str, ...]
    """Areas where NPSV > 0, by NPSV, highest first."""
    areas_not_paying: tuple[str, ...]
    """Areas where NPSV <= 0, by NPSV, highest first."""
    areas_paying_excluding_community_inputs: tuple[str, ...]
    """Areas where the NPSV excluding community inputs is > 0, by it, highest first."""
    npsv_percentiles: tuple[float, float, float, float, float]
    """Across the areas: minimum, 25th, median, 75th, maximum [GBP, PV]."""
    bcr_percentiles: tuple[float, float, float, float, float] | None
    """Across the areas with a BCR: minimum, 25th, median, 75th, maximum [ratio]."""
    ranking: tuple[str, ...]
    """Every area, by NPSV, highest first (ties by area id)."""
    mean_probability_npsv_positive: float | None = None
    """Mean over the areas of P(NPSV > 0) [probability]; None without draws."""


@dataclass(frozen=True)
class BatchResults:
    """A template appraised across an area table."""

    template_id: str
    template_title: str
    price_base_year: int
    counterfactual: str
    options: tuple[str, ...]
    """The options compared with the counterfactual, in the template's order."""
    table: str
    """The area table, as the user named it."""
    rows: int
    """Rows in the table."""
    inputs: tuple[AreaInputs, ...]
    """Each area evaluated, in the table's order."""
    results: tuple[AreaOptionResult, ...]
    """Each area evaluated x each option compared, in the table's order."""
    summaries: tuple[OptionAcrossAreas, ...]
    problems: tuple[RowProblem, ...]
    """Rows that could not be evaluated, and why (their areas are left out)."""
    attributes_from_template: dict[str, float]
    """Attributes the table has no column for: every area keeps the template's value."""
    draws: int
    """Monte Carlo draws per area (0: deterministic only)."""
    seed: int | None
    """The seed each area's streams derive from (with its id); None without draws."""
    conventions: tuple[str, ...]
    """The conventions of the run, in words."""

    @property
    def evaluated(self) -> int:
        """Areas evaluated."""
        return len(self.inputs)

    @property
    def rows_not_evaluated(self) -> int:
        """Rows of the table left out (a row can have several problems)."""
        return len({p.row for p in self.problems})
