"""The ``uncertainty:`` and ``monte_carlo:`` blocks: distributions for uncertain inputs, rank
correlations between them, and the number of draws and the seed (docs/methods.md §15).

Deterministic runs (``cba run`` figures, the sensitivity tests) always use the value written
in the file; a distribution describes the uncertainty around it, and the file's value must lie
inside the distribution's range (bounded families) or its central 90% interval (normal,
lognormal, beta), so the two cannot silently disagree.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, StringConstraints, Tag, model_validator
from pydantic_core import PydanticCustomError

from cba.spec.base import (
    AT,
    ConfidenceGrade,
    OneOf,
    ShortText,
    Source,
    StrictModel,
    Text,
    as_mapping,
    discriminator,
    tag,
)
from cba.spec.sensitivity import ParameterPattern

Z_95 = 1.6448536269514722
"""The standard normal's 95th percentile: a 90% interval is mean +/- Z_95 sd."""

Value = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
"""A value of the uncertain input, in the input's own unit."""

Spread = Annotated[float, Field(allow_inf_nan=False, ge=0.0, le=1e12)]
"""A standard deviation (or the sd of a logarithm), in the input's unit; 0 is no spread."""


def _order(values: list[tuple[str, float | None]]) -> None:
    """Refuse values that are not in ascending order (low <= mode <= high)."""
    given = [(name, v) for name, v in values if v is not None]
    for (a, va), (b, vb) in itertools.pairwise(given):
        if va is not None and vb is not None and va > vb:
            raise PydanticCustomError(
                "distribution_order",
                "{a} ({va}) must not be above {b} ({vb})",
                {"a": a, "va": f"{va:g}", "b": b, "vb": f"{vb:g}", AT: (a,)},
            )


class Uniform(StrictModel):
    """Every value from ``low`` to ``high`` equally likely."""

    family: Literal["uniform"]
    """``uniform``."""
    low: Value
    """Lowest value [unit]."""
    high: Value
    """Highest value [unit]."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _order([("low", self.low), ("high", self.high)])
        return self


class Triangular(StrictModel):
    """Triangular from ``low`` to ``high``, most likely at ``mode`` (mean (low+mode+high)/3)."""

    family: Literal["triangular"]
    """``triangular``."""
    low: Value
    """Lowest value [unit]."""
    mode: Value
    """Most likely value [unit]."""
    high: Value
    """Highest value [unit]."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _order([("low", self.low), ("mode", self.mode), ("high", self.high)])
        return self


class Pert(StrictModel):
    """Beta-PERT from ``low`` to ``high``, most likely at ``mode`` (mean
    (low + shape mode + high)/(shape + 2)); smoother than triangular at the ends."""

    family: Literal["pert"]
    """``pert``."""
    low: Value
    """Lowest value [unit]."""
    mode: Value
    """Most likely value [unit]."""
    high: Value
    """Highest value [unit]."""
    shape: Annotated[float, Field(gt=0.0, le=100.0, allow_inf_nan=False)] = 4.0
    """Weight of the mode [dimensionless]; 4 is the classic PERT."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _order([("low", self.low), ("mode", self.mode), ("high", self.high)])
        return self


class Normal(StrictModel):
    """Normal, as ``mean`` and ``sd``, or as a 90% interval ``p5``/``p95``; optionally cut to
    ``low``/``high`` (needed where the input has a bounded range, e.g. a share)."""

    family: Literal["normal"]
    """``normal``."""
    mean: Value | None = None
    """Mean [unit] (with ``sd``)."""
    sd: Spread | None = None
    """Standard deviation [unit]."""
    p5: Value | None = None
    """5th percentile (with ``p95``: the 90% interval)."""
    p95: Value | None = None
    """95th percentile."""
    low: Value | None = None
    """Truncate below (draws under it are drawn again)."""
    high: Value | None = None
    """Truncate above."""

    one_of: ClassVar[OneOf | None] = OneOf((("mean", "sd"), ("p5", "p95")))

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _order([("p5", self.p5), ("p95", self.p95)])
        _order([("low", self.low), ("high", self.high)])
        return self

    @property
    def centre(self) -> float:
        """The mean [unit]."""
        if self.mean is not None:
            return self.mean
        assert self.p5 is not None and self.p95 is not None
        return (self.p5 + self.p95) / 2

    @property
    def spread(self) -> float:
        """The standard deviation [unit]."""
        if self.sd is not None:
            return self.sd
        assert self.p5 is not None and self.p95 is not None
        return (self.p95 - self.p5) / (2 * Z_95)


class LogNormal(StrictModel):
    """Log-normal (positive, skewed to the right), as ``median`` and ``sigma`` (the sd of the
    logarithm), or as a 90% interval ``p5``/``p95`` (both above 0)."""

    family: Literal["lognormal"]
    """``lognormal``."""
    median: Annotated[float, Field(gt=0.0, le=1e12, allow_inf_nan=False)] | None = None
    """Median [unit], above 0 (with ``sigma``)."""
    sigma: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] | None = None
    """Standard deviation of the natural logarithm [dimensionless]."""
    p5: Annotated[float, Field(gt=0.0, le=1e12, allow_inf_nan=False)] | None = None
    """5th percentile [unit] (with ``p95``)."""
    p95: Annotated[float, Field(gt=0.0, le=1e12, allow_inf_nan=False)] | None = None
    """95th percentile [unit]."""

    one_of: ClassVar[OneOf | None] = OneOf((("median", "sigma"), ("p5", "p95")))

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _order([("p5", self.p5), ("p95", self.p95)])
        return self

    @property
    def centre(self) -> float:
        """The median [unit]."""
        if self.median is not None:
            return self.median
        assert self.p5 is not None and self.p95 is not None
        return float((self.p5 * self.p95) ** 0.5)

    @property
    def spread(self) -> float:
        """The sd of the logarithm [dimensionless]."""
        if self.sigma is not None:
            return self.sigma
        import math

        assert self.p5 is not None and self.p95 is not None
        return math.log(self.p95 / self.p5) / (2 * Z_95)


class Beta(StrictModel):
    """Beta on [``low``, ``high``] (default [0, 1]: a share), as ``mean`` and ``sd`` or as the
    shape parameters ``alpha`` and ``beta``."""

    family: Literal["beta"]
    """``beta``."""
    mean: Value | None = None
    """Mean [unit], strictly inside [low, high]."""
    sd: Annotated[float, Field(gt=0.0, le=1e12, allow_inf_nan=False)] | None = None
    """Standard deviation [unit] (with ``mean``)."""
    alpha: Annotated[float, Field(gt=0.0, le=1e6, allow_inf_nan=False)] | None = None
    """First shape parameter [dimensionless] (with ``beta``)."""
    beta: Annotated[float, Field(gt=0.0, le=1e6, allow_inf_nan=False)] | None = None
    """Second shape parameter [dimensionless]."""
    low: Value = 0.0
    """Lowest value [unit] (default 0)."""
    high: Value = 1.0
    """Highest value [unit] (default 1)."""

    one_of: ClassVar[OneOf | None] = OneOf((("mean", "sd"), ("alpha", "beta")))

    @model_validator(mode="after")
    def _feasible(self) -> Self:
        _order([("low", self.low), ("high", self.high)])
        if self.mean is not None and self.sd is not None:
            width = self.high - self.low
            m = (self.mean - self.low) / width if width > 0 else -1.0
            if not 0.0 < m < 1.0:
                raise PydanticCustomError(
                    "beta_mean",
                    "the mean ({mean}) must be strictly between low ({low}) and high ({high})",
                    {
                        "mean": f"{self.mean:g}",
                        "low": f"{self.low:g}",
                        "high": f"{self.high:g}",
                        AT: ("mean",),
                    },
                )
            s = self.sd / width
            if s * s >= m * (1 - m):
                limit = width * (m * (1 - m)) ** 0.5
                raise PydanticCustomError(
                    "beta_spread",
                    "a beta distribution with mean {mean} cannot have sd {sd}: the sd must be "
                    "below {limit}. Give a smaller sd",
                    {
                        "mean": f"{self.mean:g}",
                        "sd": f"{self.sd:g}",
                        "limit": f"{limit:.4g}",
                        AT: ("sd",),
                    },
                )
        return self

    @property
    def shape_parameters(self) -> tuple[float, float]:
        """(alpha, beta) [dimensionless]."""
        if self.alpha is not None and self.beta is not None:
            return self.alpha, self.beta
        assert self.mean is not None and self.sd is not None
        width = self.high - self.low
        m, s = (self.mean - self.low) / width, self.sd / width
        common = m * (1 - m) / (s * s) - 1
        return m * common, (1 - m) * common


class Choice(StrictModel):
    """One of some values (e.g. named discount schedules), with probabilities."""

    family: Literal["choice"]
    """``choice``."""
    values: Annotated[list[str | float], Field(min_length=1, max_length=100)]
    """The values it may take."""
    weights: list[Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)]] | None = None
    """Relative probability of each value (default: equal)."""

    @model_validator(mode="after")
    def _matching(self) -> Self:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise PydanticCustomError(
                    "weights_length",
                    "give one weight for each of the {n} values; got {m}",
                    {"n": len(self.values), "m": len(self.weights), AT: ("weights",)},
                )
            if sum(self.weights) <= 0:
                raise PydanticCustomError(
                    "weights_zero",
                    "the weights add up to 0: give at least one a positive weight",
                    {AT: ("weights",)},
                )
        return self


FAMILIES = ("uniform", "triangular", "pert", "normal", "lognormal", "beta", "choice")


def _family(value: Any) -> str | None:
    value = as_mapping(value)
    if isinstance(value, dict) and value.get("family") in FAMILIES:
        return tag(str(value["family"]))
    return None


Distribution = Annotated[
    Annotated[Uniform, Tag(tag("uniform"))]
    | Annotated[Triangular, Tag(tag("triangular"))]
    | Annotated[Pert, Tag(tag("pert"))]
    | Annotated[Normal, Tag(tag("normal"))]
    | Annotated[LogNormal, Tag(tag("lognormal"))]
    | Annotated[Beta, Tag(tag("beta"))]
    | Annotated[Choice, Tag(tag("choice"))],
    discriminator(_family, "a mapping with family: " + ", ".join(FAMILIES)),
]
"""A distribution, by its ``family``."""


class UncertainInput(StrictModel):
    """One input (or a group, by wildcard) and the distribution of its value."""

    parameter: ParameterPattern
    """Parameter path (``cba params`` lists them); ``*`` for any one segment, each input
    matched then drawing independently from the same distribution."""
    distribution: Distribution
    """The distribution of the input's value, in the input's unit."""
    why: Text
    """The evidence behind the distribution, or the doubt."""
    source: Source | None = None
    """Where the distribution comes from, if published."""


class InlineUncertainty(StrictModel):
    """A distribution written next to the value it describes, in a line's ``uncertain:``
    mapping (keyed by the input's key within the line, as ``cba params`` lists it, e.g.
    ``volunteers`` or ``unit_values.0.amount``): the same as an ``uncertainty.inputs`` entry
    without ``parameter``."""

    distribution: Distribution
    """The distribution of the input's value, in the input's unit."""
    why: Text
    """The evidence behind the distribution, or the doubt."""
    source: Source | None = None
    """Where the distribution comes from, if published."""


LineKey = Annotated[
    str,
    StringConstraints(
        pattern=r"^(\*|[A-Za-z0-9_\-]+)(\.(\*|[A-Za-z0-9_\-]+))*$", min_length=1, max_length=200
    ),
]
"""The key of an input within its line (``amount_per_year``, ``unit_values.0.amount``)."""

UncertainValues = Annotated[dict[LineKey, InlineUncertainty], Field(max_length=100)]
"""A line's ``uncertain:`` mapping: input key -> distribution (docs/methods.md §15)."""


class InputGroup(StrictModel):
    """Inputs whose evidence would come together (one survey, one evaluation), valued as a
    group: the expected value of perfect information about all of them at once (EVPPI)."""

    name: ShortText
    """The group, in words (e.g. "volunteer effort")."""
    inputs: Annotated[list[ParameterPattern], Field(min_length=1, max_length=100)]
    """Parameter paths of uncertain inputs (``*`` for any one segment)."""
    why: Text = ""
    """What evidence would settle them."""


GRADE_SPREADS_SOURCE = (
    "cba's own illustrative convention (docs/methods.md §15), not a published table: the "
    "value could be lower or higher by up to 10% at confidence grade 1 (the strongest "
    "evidence) widening by 10 points a grade to 60% at grade 6 (the weakest), most likely as "
    "written. Replace it with your own partnership's table"
)


def _default_spreads() -> dict[int, float]:
    return {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4, 5: 0.5, 6: 0.6}


class GradeSpreads(StrictModel):
    """Default spreads from the evidence's confidence grade (LP2014 grades, as in the
    scenario's ``confidence_grades`` table): an amount or outcome count on a line graded by
    its ``optimism_bias: {confidence_grade: g}``, and given no distribution of its own, is
    drawn from a symmetric triangular distribution from ``value x (1 - r)`` to
    ``value x (1 + r)``, most likely the file's value, with ``r = ranges[g]``. Off unless
    ``apply: true``."""

    apply: bool = False
    """Draw graded inputs without a distribution from the table (default: false, off)."""
    ranges: dict[ConfidenceGrade, Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]] = (
        Field(default_factory=_default_spreads)
    )
    """Half-width of the range by confidence grade [fraction of the value], at most 1.
    Default: 0.1, 0.2, ..., 0.6 for grades 1 to 6 (cba's illustrative convention)."""
    source: Source = GRADE_SPREADS_SOURCE
    """Where the table comes from."""


class RankCorrelation(StrictModel):
    """A rank (Spearman) correlation between two uncertain inputs."""

    between: Annotated[list[ParameterPattern], Field(min_length=2, max_length=2)]
    """The two parameter paths (each listed in ``inputs``, without wildcards)."""
    rank_correlation: Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]
    """Target Spearman correlation [-1, 1]."""
    why: Text = ""
    """Why the two inputs move together (or against each other)."""


class Uncertainty(StrictModel):
    """Uncertain inputs and their correlations (Green Book A5.21-A5.23)."""

    inputs: list[UncertainInput] = Field(default_factory=list)
    """Distributions for inputs, by parameter path."""
    correlations: list[RankCorrelation] = Field(default_factory=list)
    """Rank correlations between inputs (others are drawn independently). The whole set must
    form a valid correlation matrix."""
    groups: list[InputGroup] = Field(default_factory=list)
    """Groups of inputs whose evidence would come together, each valued by its EVPPI (each
    input is also valued alone)."""
    spreads_by_confidence_grade: GradeSpreads = Field(default_factory=GradeSpreads)
    """Default spreads from confidence grades for inputs without a distribution (off unless
    ``apply: true``)."""


class MonteCarlo(StrictModel):
    """How many draws, and the seed that makes them reproducible."""

    draws: Annotated[int, Field(ge=100, le=10_000_000)] = 10_000
    """Number of draws (100 to 10 million)."""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 20260401
    """Seed of every input's random stream: the same seed gives the same draws everywhere."""


def correlation_problem(pairs: list[RankCorrelation]) -> str | None:
    """Why a set of pairwise rank correlations is not a valid correlation matrix (ones on the
    diagonal, the given pairs, 0 elsewhere), or None. Plain Python (no numpy at validation):
    a Cholesky factorisation with a tolerance of 1e-10; where it fails, the message names
    three inputs whose correlations contradict each other, if there are such three."""
    names = list(dict.fromkeys(p for pair in pairs for p in pair.between))
    index = {name: k for k, name in enumerate(names)}
    k = len(names)
    matrix = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    for pair in pairs:
        a, b = (index[p] for p in pair.between)
        matrix[a][b] = matrix[b][a] = pair.rank_correlation
    lower = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            total = matrix[i][j] - sum(lower[i][m] * lower[j][m] for m in range(j))
            if i == j:
                if total < -1e-10:
                    return _contradiction(names, matrix)
                lower[i][i] = max(total, 0.0) ** 0.5
            else:
                lower[i][j] = total / lower[j][j] if lower[j][j] > 1e-12 else 0.0
    return None


def _contradiction(names: list[str], m: list[list[float]]) -> str:
    k = len(names)
    for a, b, c in itertools.combinations(range(k), 3):
        det = 1 + 2 * m[a][b] * m[b][c] * m[a][c] - m[a][b] ** 2 - m[b][c] ** 2 - m[a][c] ** 2
        if det < -1e-10:
            return (
                "they contradict each other: "
                f"{names[a]} with {names[b]} {m[a][b]:g}, {names[b]} with {names[c]} "
                f"{m[b][c]:g}, but {names[a]} with {names[c]} {m[a][c]:g}. Weaken or remove "
                "one of them"
            )
    return (
        "they contradict each other (no valid correlation matrix has them all; the conflict "
        "involves four or more inputs). Weaken or remove one of them"
    )
