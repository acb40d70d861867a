"""The whole scenario file: metadata, discounting, agencies, options and the counterfactual."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated, Any, Literal, Self

from pydantic import Field, PrivateAttr, StringConstraints, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from cba.reference.records import ReferenceUse
from cba.spec.agencies import Agency
from cba.spec.area import AreaBlock, AreaLink
from cba.spec.base import (
    AT,
    CalendarYear,
    Identifier,
    ImpactText,
    OptionRef,
    Plausible,
    ReferenceContext,
    ShortText,
    Source,
    StrictModel,
    Text,
    closest,
    escaped,
)
from cba.spec.benefits import BenefitLine
from cba.spec.community import CommunityInput, TimeInput
from cba.spec.costs import CostLine
from cba.spec.discounting import Discounting
from cba.spec.distribution import DistributionalWeights
from cba.spec.optimism import ConfidenceGradeTable
from cba.spec.scale import MIN_TABLE_RATIO, Coordination, Scale, Table, table_value
from cba.spec.sensitivity import Sensitivity
from cba.spec.sroi import SroiSettings
from cba.spec.strategy_map import MapOption, StrategyMap
from cba.spec.tax_burden import MarginalExcessTaxBurden
from cba.spec.uncertainty import MonteCarlo, Uncertainty

MAX_SWEEP_CELLS = 2_000_000
"""Most line-points one option's sweep may evaluate [lines x points]: the sweep holds a few
arrays of that size."""

MAP_LINES_GENERATED: ContextVar[bool] = ContextVar("map_lines_generated", default=False)
"""True while a scenario whose map options carry the lines generated for them is validated
(``cba.io.scenario_file``); a file's own map options may not list lines."""

LANGUAGE_VERSION = "1.0"
"""The scenario-language version this cba reads. A file for another major version is refused;
one for a newer minor version gets a warning."""


class Option(StrictModel):
    """One way of delivering the service (an intervention), or the counterfactual."""

    id: Identifier
    """Id of the option."""
    name: ShortText
    """Name shown in outputs."""
    description: Text = ""
    """What the option does."""
    costs: list[CostLine] = Field(default_factory=list)
    """Costs paid by agencies."""
    community_inputs: list[CommunityInput] = Field(default_factory=list)
    """Un-costed inputs from users and communities, valued explicitly."""
    benefits: list[BenefitLine] = Field(default_factory=list)
    """Outcomes and what they are worth."""
    non_monetised_impacts: list[ImpactText] = Field(default_factory=list)
    """Impacts not valued in money, shown beside the BCR (GB 2026: the BCR is not pass/fail)."""
    scale: Scale | None = None
    """What grows as the option grows, the scale its amounts describe, and the sweep."""
    from_strategy_map: MapOption | None = None
    """Build the option's costs, community inputs and benefits from the scenario's strategy
    map: ``{pathway: <id>}`` (that pathway at its outcome's target) or ``{mix: true}`` (the
    least-cost mix). The option then lists no lines of its own."""

    @model_validator(mode="after")
    def _map_option_has_no_lines(self) -> Option:
        if self.from_strategy_map is None or MAP_LINES_GENERATED.get():
            return self
        for key in ("costs", "community_inputs", "benefits"):
            if getattr(self, key):
                raise PydanticCustomError(
                    "map_option_lines",
                    "an option built from the strategy map gets its {key} from the map; remove "
                    "its {key}, or remove from_strategy_map",
                    {"key": key, AT: (key,)},
                )
        return self

    @model_validator(mode="after")
    def _scale_consistent(self) -> Option:
        lines = [("costs", i, line.scaling) for i, line in enumerate(self.costs)]
        lines += [
            ("community_inputs", i, line.scaling) for i, line in enumerate(self.community_inputs)
        ]
        lines += [("benefits", i, line.scaling) for i, line in enumerate(self.benefits)]
        if self.scale is None:
            for key, index, law in lines:
                if law is not None:
                    raise PydanticCustomError(
                        "scaling_without_scale",
                        "this line declares scaling but the option has no scale: block. Add a "
                        "scale: block (driver and n0) to the option, or remove scaling",
                        {AT: (key, index, "scaling")},
                    )
            return self
        n0 = self.scale.n0
        for key, index, law in lines:
            if isinstance(law, Table):
                largest = max(p.value for p in law.points)
                at_n0 = table_value(law.points, n0)
                if not (law.points[0].n <= n0 and at_n0 > 0 and at_n0 >= MIN_TABLE_RATIO * largest):
                    raise PydanticCustomError(
                        "table_at_n0",
                        "the table must cover n0 = {n0} with a positive value there (got "
                        "{at_n0}), at least a billionth of its largest value, so that the "
                        "amount at n0 is the scenario's amount",
                        {
                            "n0": n0,
                            "at_n0": f"{at_n0:g}",
                            AT: (key, index, "scaling", "points"),
                        },
                    )
            if isinstance(law, Coordination) and law.form == "pairwise" and n0 <= 1:
                raise PydanticCustomError(
                    "pairwise_below_two",
                    "pairwise coordination, k n (n - 1) / 2, needs n0 above 1: at n0 = {n0} "
                    "there is no pair to calibrate the amount to. Give n0 for a group of 2 or "
                    "more, or use form: power",
                    {"n0": n0, AT: (key, index, "scaling", "form")},
                )
        sweep = self.scale.sweep
        if sweep is not None and len(lines) * (sweep.points + 1) > MAX_SWEEP_CELLS:
            raise PydanticCustomError(
                "sweep_too_large",
                "the sweep evaluates {lines} lines at {points} points, more than "
                "{cells:,} line-points in all. Use fewer points",
                {
                    "lines": len(lines),
                    "points": sweep.points,
                    "cells": MAX_SWEEP_CELLS,
                    AT: ("scale", "sweep", "points"),
                },
            )
        outcome = self.scale.outcome
        if outcome is not None and outcome not in {b.id for b in self.benefits}:
            raise PydanticCustomError(
                "unknown_outcome_line",
                "scale.outcome names '{outcome}', which is not a benefit line of this option. "
                "Use one of: {known}",
                {
                    "outcome": outcome,
                    "known": ", ".join(b.id for b in self.benefits) or "none",
                    AT: ("scale", "outcome"),
                },
            )
        return self


DeflatorIndex = Annotated[
    float,
    Field(ge=0.001, le=1e6, allow_inf_nan=False),
    Plausible(
        "a deflator index is usually near 100 (or near 1): one outside 0.001 to 1,000,000 is a "
        "typing mistake, and rebasing by it would make amounts overflow or vanish"
    ),
]
"""One value of a deflator index [dimensionless], 0.001 to 1e6."""


class Deflator(StrictModel):
    """A GDP deflator index to rebase amounts priced in another year (methods.md §1)."""

    vintage: ShortText
    """Which release of the series, e.g. 'HM Treasury GDP deflators, March 2026'."""
    source: Source
    """Where the index comes from."""
    index: Annotated[dict[CalendarYear, DeflatorIndex], Field(min_length=1)]
    """Index value by calendar (financial) year [dimensionless, any base], each from 0.001 to
    1e6 (a deflator index is usually near 100 or near 1)."""


class Scenario(StrictModel):
    """One appraisal: the options for delivering a service, compared with a counterfactual."""

    cba_scenario: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+$")]
    """Scenario-language version the file was written for, e.g. "1.0" (quoted)."""
    id: Identifier
    """Id of the scenario; results are written to out/<id>.json."""
    title: ShortText
    """Title shown in outputs."""
    description: Text = ""
    """What is being appraised and why."""
    authors: list[ShortText] = Field(default_factory=list)
    """Who wrote the scenario."""
    currency: Literal["GBP"] = "GBP"
    """Currency of every amount (GBP)."""
    price_base_year: CalendarYear
    """Year whose prices all amounts are in (real terms) [calendar year]."""
    first_year: CalendarYear
    """First appraisal year (year offset 0, not discounted) [calendar year]."""
    appraisal_period_years: Annotated[int, Field(ge=1, le=500)]
    """Number of years appraised [years], including the first."""
    discounting: Discounting = Field(default_factory=Discounting)
    """Discount schedules. Default: Green Book standard and health schedules."""
    confidence_grades: ConfidenceGradeTable = Field(default_factory=ConfidenceGradeTable)
    """Optimism-bias correction by confidence grade. Default: the LP2014 table (VERIFY)."""
    deflator: Deflator | None = None
    """GDP deflator for amounts with a price_year other than price_base_year."""
    agencies: Annotated[list[Agency], Field(min_length=1)]
    """Who pays, contributes and benefits."""
    options: Annotated[list[Option], Field(min_length=2)]
    """The options compared, including the counterfactual."""
    counterfactual: OptionRef
    """Id of the business-as-usual / do-minimum option every other option is compared with."""
    notes: Text = ""
    """Free text for reviewers."""
    source: Source | None = None
    """Overall source of the scenario (e.g. the evaluation report it reproduces)."""
    sensitivity: Sensitivity = Field(default_factory=Sensitivity)
    """Inputs to test with plausible ranges (one-way tables, tornado, switching values).
    Default: switching values for every option's costs, unit values, outcome counts,
    additionality shares and hours, and the discount-rate tests."""
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    """Distributions for uncertain inputs and rank correlations between them (Monte Carlo,
    docs/methods.md §15). Default: none (no Monte Carlo)."""
    monte_carlo: MonteCarlo | None = None
    """Draws and seed of the Monte Carlo simulation. Default (when inputs are uncertain):
    10,000 draws, seed 20260401."""
    strategy_map: StrategyMap | None = None
    """How inputs from every sector combine into outcomes, the pathways to compare and the
    limits of a least-cost mix (`cba map`; docs/strategy-maps.md). Default: none."""
    distributional_weights: DistributionalWeights | None = None
    """Welfare weights by income group (Green Book Annex A3): weighted PV benefits, PV costs
    and NPSV are reported beside the unweighted ones (docs/methods.md §18). Default: none."""
    sroi: SroiSettings = Field(default_factory=SroiSettings)
    """Conventions of the SROI view shown beside the Green Book figures (docs/sroi.md).
    Default: the SROI guide's, with each year's benefits discounted as at its end."""
    area: AreaBlock | None = None
    """The template's area and the local figures (attributes) its inputs may be written per
    (``{per: ATTRIBUTE, rate: ...}``), which an area table sets area by area (``cba batch``;
    docs/batch.md). Default: none."""
    marginal_excess_tax_burden: MarginalExcessTaxBurden | None = None
    """An uplift for the excess burden of raising public funds on the options named, shown as
    its own line (docs/methods.md §19). Default: none, as the 2026 Green Book advises for all
    but private finance model options."""

    @model_validator(mode="after")
    def _map_options(self) -> Self:
        for index, option in enumerate(self.options):
            source = option.from_strategy_map
            if source is None:
                continue
            where = ("options", index, "from_strategy_map")
            if self.strategy_map is None:
                raise PydanticCustomError(
                    "no_strategy_map",
                    "the option is built from the strategy map, but the scenario has no "
                    "strategy_map: section",
                    {AT: where},
                )
            known = [p.id for p in self.strategy_map.pathways]
            if source.pathway is not None and source.pathway not in known:
                guess = closest(source.pathway, known)
                hint = f" Did you mean '{guess}'?" if guess else ""
                raise PydanticCustomError(
                    "unknown_pathway",
                    "unknown pathway '{value}'.{hint} Pathways: {known}",
                    {
                        "value": source.pathway,
                        "hint": hint,
                        "known": ", ".join(known),
                        AT: (*where, "pathway"),
                    },
                )
            if source.mix and not any(f.target for f in self.strategy_map.final_outcomes):
                raise PydanticCustomError(
                    "mix_without_target",
                    "the least-cost mix needs a target on at least one final outcome of the "
                    "strategy map",
                    {AT: (*where, "mix")},
                )
        return self

    @property
    def map_lines_pending(self) -> bool:
        """True while options built from the strategy map have no lines yet: the paths of
        uncertainty and sensitivity entries are checked once they have (a built line's path,
        ``options.<id>.costs.<input>.amount_per_year``, may be named)."""
        return not MAP_LINES_GENERATED.get() and any(
            option.from_strategy_map is not None for option in self.options
        )

    _references: tuple[ReferenceUse, ...] = PrivateAttr(default=())
    _area_links: tuple[AreaLink, ...] = PrivateAttr(default=())

    @property
    def area_links(self) -> tuple[AreaLink, ...]:
        """The inputs written per area attribute (``{per: ..., rate: ...}`` in the file), with
        their paths, attributes and rates (the values themselves are in the fields)."""
        return self._area_links

    def with_area_links(self, links: tuple[AreaLink, ...]) -> Self:
        """This scenario, recording ``links`` as its inputs written per area attribute."""
        copy = self.model_copy()
        copy._area_links = tuple(links)
        copy._references = self._references
        return copy

    @property
    def references(self) -> tuple[ReferenceUse, ...]:
        """The values taken from shipped reference tables (``{ref: ...}`` in the file), as
        resolved: where, what, the published value and the rebasing factor."""
        return self._references

    def with_references(self, uses: tuple[ReferenceUse, ...]) -> Self:
        """This scenario, recording ``uses`` as its reference values (the values themselves are
        already in the fields)."""
        copy = self.model_copy()
        copy._references = tuple(uses)
        copy._area_links = self._area_links
        return copy

    @property
    def declares_uncertainty(self) -> bool:
        """True when the scenario gives any distribution (in the ``uncertainty:`` block, in a
        line's ``uncertain:`` mapping, or by confidence grade), a correlation or a group."""
        u = self.uncertainty
        if u.inputs or u.correlations or u.groups or u.spreads_by_confidence_grade.apply:
            return True
        return any(
            line.uncertain
            for option in self.options
            for lines in (option.costs, option.community_inputs, option.benefits)
            for line in lines
        )

    @model_validator(mode="after")
    def _uncertainty_paths(self) -> Self:
        if not self.declares_uncertainty or self.map_lines_pending:
            return self
        from cba.spec.numeric_inputs import numeric_inputs, uncertain_entries, uncertainty_problems

        inputs = numeric_inputs(self)
        found = uncertainty_problems(
            self.uncertainty,
            uncertain_entries(self, inputs),
            inputs,
            (self.first_year, self.last_year),
        )
        if found is not None:
            where, message = found
            raise PydanticCustomError(
                "uncertainty_parameter", "{message}", {"message": message, AT: where}
            )
        if self.uncertainty.correlations:
            from cba.spec.uncertainty import correlation_problem

            problem = correlation_problem(self.uncertainty.correlations)
            if problem is not None:
                raise PydanticCustomError(
                    "correlation_pair",
                    "the rank correlations do not form a valid correlation matrix: {problem}",
                    {"problem": problem, AT: ("uncertainty", "correlations")},
                )
        return self

    @model_validator(mode="after")
    def _sensitivity_paths(self) -> Self:
        if not self.sensitivity.parameters or self.map_lines_pending:
            return self
        from cba.spec.numeric_inputs import numeric_inputs, sensitivity_problem

        inputs = numeric_inputs(self)
        for index, entry in enumerate(self.sensitivity.parameters):
            found = sensitivity_problem(entry, inputs, (self.first_year, self.last_year))
            if found is not None:
                key, message = found
                raise PydanticCustomError(
                    "sensitivity_parameter",
                    "{message}",
                    {"message": message, AT: ("sensitivity", "parameters", index, key)},
                )
        return self

    @field_validator("cba_scenario")
    @classmethod
    def _major_version(cls, value: str) -> str:
        if value.split(".")[0] != LANGUAGE_VERSION.split(".")[0]:
            raise PydanticCustomError(
                "language_version",
                "this file is written for scenario language {value}; this cba reads "
                "{ours}. Convert the file or use a cba release for {value}",
                {"value": value, "ours": LANGUAGE_VERSION},
            )
        return value

    @property
    def last_year(self) -> int:
        """Last appraisal year [calendar year]."""
        return self.first_year + self.appraisal_period_years - 1

    def option(self, option_id: str) -> Option:
        """The option with this id."""
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)

    def to_data(self) -> dict[str, Any]:
        """The scenario as plain data with the keys its author gave (defaults left out): the
        form a scenario file has, and what ``Scenario.model_validate`` takes back."""
        data: dict[str, Any] = self.model_dump(mode="python", exclude_unset=True)
        # ``cba.scenario_from_dict(data)`` builds them again; ``Scenario.model_validate(data)``
        # validates without building them (it solves no strategy map).
        for option in data.get("options", []):
            if option.get("from_strategy_map") is not None:
                # Lines generated from the map are made again from it, after any change.
                for key in ("costs", "community_inputs", "benefits"):
                    option.pop(key, None)
        return data

    # A scenario is only ever made by validating all of it: the cross-references (agency and
    # option ids, years in the period, grades, deflator years) need the whole file, and so do
    # the duplicate-id checks. Pydantic's other ways in are routed through that or refused.

    def __init__(self, /, **data: Any) -> None:
        """Validate ``data`` as a whole scenario, exactly as a file is validated (references
        to shipped tables resolved first)."""
        __tracebackhide__ = True
        data, uses = _with_references_resolved(data)
        data, links = _with_area_links_resolved(data)
        self.__pydantic_validator__.validate_python(
            data, self_instance=self, context=reference_context(data)
        )
        _raise_duplicates(data)
        self._references = uses
        self._area_links = links

    def __eq__(self, other: object) -> bool:
        """Equal when every field is equal. Which values came from reference tables is a record
        of how they were written, not part of the scenario: a scenario rebuilt from its data
        (``to_data``) holds the same values and is equal."""
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return super().__hash__()

    @classmethod
    def model_validate(cls, obj: Any, *, context: Any | None = None, **kwargs: Any) -> Self:
        """Validate a whole scenario from plain data (a mapping as a file gives it).

        Without a ``context`` the cross-references and duplicate ids are checked here, so a
        scenario built from a dict is validated exactly like a file. ``cba.scenario_from_dict``
        does the same and reports every problem at once as ``cba`` does for files.
        """
        if context is not None:
            return super().model_validate(obj, context=context, **kwargs)
        obj, uses = _with_references_resolved(obj)
        scenario = super().model_validate(obj, context=reference_context(obj), **kwargs)
        _raise_duplicates(obj)
        scenario._references = uses
        return scenario

    @classmethod
    def model_validate_json(cls, *args: Any, **kwargs: Any) -> Self:
        """Not supported: a scenario is YAML or plain data. Use ``cba.scenario_from_dict``."""
        raise TypeError(
            "Scenario.model_validate_json is not supported; parse the text and call "
            "cba.scenario_from_dict(data), or write a YAML file and call cba.load_scenario"
        )

    @classmethod
    def model_validate_strings(cls, *args: Any, **kwargs: Any) -> Self:
        """Not supported: a scenario's numbers are numbers, never strings to coerce."""
        raise TypeError(
            "Scenario.model_validate_strings is not supported; use cba.scenario_from_dict(data)"
        )


def _with_references_resolved(raw: Any) -> tuple[Any, tuple[ReferenceUse, ...]]:
    """A copy of ``raw`` with its references to shipped tables resolved, and their records;
    a ValidationError for any that cannot be (``raw`` itself is left as it is)."""
    from cba.spec.references import contains_reference, resolve_references

    if not isinstance(raw, dict) or not contains_reference(raw):
        return raw, ()
    import copy

    data = copy.deepcopy(raw)
    uses, problems = resolve_references(data)
    if problems:
        raise ValidationError.from_exception_data(
            "Scenario",
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "unresolved_reference", "{message}", {"message": escaped(p.message)}
                    ),
                    loc=p.loc,
                    input=None,
                )
                for p in problems
            ],
        )
    return data, tuple(uses)


def _with_area_links_resolved(raw: Any) -> tuple[Any, tuple[AreaLink, ...]]:
    """A copy of ``raw`` with its inputs written per area attribute resolved, and their
    records; a ValidationError for any that cannot be (``raw`` itself is left as it is)."""
    from cba.spec.area import contains_area_link, resolve_area_links

    if not isinstance(raw, dict) or not contains_area_link(raw):
        return raw, ()
    import copy

    data = copy.deepcopy(raw)
    links, problems = resolve_area_links(data)
    if problems:
        raise ValidationError.from_exception_data(
            "Scenario",
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "unresolved_area_attribute", "{message}", {"message": escaped(p.message)}
                    ),
                    loc=p.loc,
                    input=None,
                )
                for p in problems
            ],
        )
    return data, tuple(links)


def _raise_duplicates(raw: Any) -> None:
    """Raise a ValidationError listing every duplicated id in ``raw``, if any."""
    found = duplicate_ids(raw)
    if found:
        raise ValidationError.from_exception_data(
            "Scenario",
            [
                InitErrorDetails(
                    type=PydanticCustomError("duplicate_id", message), loc=loc, input=None
                )
                for loc, message in found
            ],
        )


def _refuse_keys_that_are_not_names(raw: dict[Any, Any]) -> None:
    """Raise a ValidationError for each top-level key that is not text.

    Pydantic passes a model with its own ``__init__`` (``Scenario``) its keys as keyword
    arguments, so a key such as ``null`` or ``2024`` at the top level would end validation with
    a TypeError instead of a located problem.
    """
    wrong = [key for key in raw if not isinstance(key, str)]
    if not wrong:
        return
    raise ValidationError.from_exception_data(
        "Scenario",
        [
            InitErrorDetails(
                type=PydanticCustomError("invalid_key", "Keys should be strings", {AT: (key,)}),
                loc=(),
                input=key,
            )
            for key in wrong
        ],
    )


def reference_context(raw: Any) -> ReferenceContext:
    """Gather declared ids and years from raw (unvalidated) data, tolerating any defect but
    one: top-level keys that are not text are refused here (a ValidationError), before pydantic
    would pass them to ``Scenario.__init__`` as keyword arguments."""
    if not isinstance(raw, dict):
        return ReferenceContext()
    _refuse_keys_that_are_not_names(raw)

    def ids(key: str) -> frozenset[str]:
        items = raw.get(key)
        if not isinstance(items, list):
            return frozenset()
        return frozenset(
            i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)
        )

    def year(key: str) -> int | None:
        value = raw.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    first = year("first_year")
    period = year("appraisal_period_years")
    last = first + period - 1 if first is not None and period is not None and period > 0 else None
    grades_raw = raw.get("confidence_grades")
    grades: frozenset[int]
    if isinstance(grades_raw, dict) and isinstance(grades_raw.get("corrections"), dict):
        grades = frozenset(k for k in grades_raw["corrections"] if isinstance(k, int))
    else:
        grades = frozenset(ConfidenceGradeTable().corrections)
    deflator = raw.get("deflator")
    deflator_years: frozenset[int] | None = None
    if isinstance(deflator, dict):
        index = deflator.get("index")
        deflator_years = (
            frozenset(k for k in index if isinstance(k, int))
            if isinstance(index, dict)
            else frozenset()
        )
    return ReferenceContext(
        agency_ids=ids("agencies"),
        option_ids=ids("options"),
        first_year=first,
        last_year=last,
        confidence_grades=grades,
        deflator_years=deflator_years,
        price_base_year=year("price_base_year"),
        income_groups=_income_groups(raw),
    )


def _income_groups(raw: dict[str, Any]) -> frozenset[str]:
    block = raw.get("distributional_weights")
    groups = block.get("groups") if isinstance(block, dict) else None
    if not isinstance(groups, dict):
        return frozenset()
    return frozenset(k for k in groups if isinstance(k, str))


Location = tuple[str | int, ...]


def duplicate_ids(raw: Any) -> list[tuple[Location, str]]:
    """Every id declared twice where ids must be unique: agencies, options, and lines within an
    option. Returns ``(location of the repeated id, message)`` pairs."""
    found: list[tuple[Location, str]] = []

    def scan(items: Any, where: Location, what: str) -> None:
        if not isinstance(items, list):
            return
        first_at: dict[str, int] = {}
        for index, item in enumerate(items):
            if not (isinstance(item, dict) and isinstance(item.get("id"), str)):
                continue
            ident = item["id"]
            if ident in first_at:
                found.append(
                    (
                        (*where, index, "id"),
                        f"duplicate {what} id '{ident}'; it is also the id of item "
                        f"{first_at[ident]}. Give each {what} its own id",
                    )
                )
            else:
                first_at[ident] = index

    if isinstance(raw, dict):
        scan(raw.get("agencies"), ("agencies",), "agency")
        scan(raw.get("options"), ("options",), "option")
        options = raw.get("options")
        if isinstance(options, list):
            for index, option in enumerate(options):
                if not isinstance(option, dict):
                    continue
                for key in ("costs", "community_inputs", "benefits"):
                    scan(option.get(key), ("options", index, key), "line")
    return found


def alternative_forms(raw: Any) -> list[tuple[Location, str]]:
    """Lines that give both or neither of two alternative forms, found in the raw file so that
    they are reported even when another field of the same line is also wrong."""
    found: list[tuple[Location, str]] = []
    options = raw.get("options") if isinstance(raw, dict) else None
    if not isinstance(options, list):
        return found
    models: dict[str, Any] = {
        "costs": CostLine,
        "benefits": BenefitLine,
        "community_inputs": TimeInput,
    }
    for o, option in enumerate(options):
        if not isinstance(option, dict):
            continue
        for key, model in models.items():
            lines = option.get(key)
            if not isinstance(lines, list):
                continue
            for index, line in enumerate(lines):
                if not isinstance(line, dict):
                    continue
                if key == "community_inputs" and line.get("kind") != "time":
                    continue
                given = [k for k, v in line.items() if v is not None]
                problem = model.one_of.problem(given)
                if problem is not None:
                    found.append((("options", o, key, index), problem))
    return found
