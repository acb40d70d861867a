"""Area attributes: a template scenario's local figures, and inputs written per attribute.

A scenario that is to be appraised area by area (``cba batch``; docs/batch.md) names the
local figures its inputs depend on in an ``area:`` block, with the template's own values::

    area:
      name: Balsall Heath
      attributes:
        households: {value: 4000, unit: households, source: ...}
        burglary_per_1000_households: {value: 30, unit: burglaries per 1,000 households a year}

and wherever a number goes, an input may be written per attribute::

    outcomes_per_year: {per: [households, burglary_per_1000_households], rate: 0.0002}

which is ``rate x households x burglary_per_1000_households`` (4000 x 30 x 0.0002 = 24 here).
Before validation each such mapping is replaced by its value at the template's attributes, and
recorded (:class:`AreaLink`) so that an area table can set the attributes and every linked
input follows. Like references to the shipped tables, it is resolved on the raw data
(:func:`resolve_area_links`); the file's data then holds plain numbers, validated like typed
ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from cba.spec.base import Identifier, ShortText, Source, StrictModel, closest
from cba.spec.parameters import id_path

AREA_KEYS = ("per", "rate")
"""The keys an input written per attribute has."""

MAX_ATTRIBUTE = 1e12
"""Largest attribute value [attribute units]."""


class AreaAttribute(StrictModel):
    """One local figure the template's inputs depend on, at the template's own area."""

    value: Annotated[float, Field(ge=0.0, le=MAX_ATTRIBUTE, allow_inf_nan=False)]
    """The template's own value [``unit``]: an area table gives each area's."""
    unit: ShortText
    """What it counts, e.g. "households" or "burglaries per 1,000 households a year"."""
    source: Source | None = None
    """Where the template's value comes from."""


class AreaBlock(StrictModel):
    """The template's area: its name and the attributes its inputs are written per."""

    name: ShortText | None = None
    """The template's own area (e.g. "Balsall Heath"), as outputs name it."""
    attributes: Annotated[dict[Identifier, AreaAttribute], Field(min_length=1)]
    """Attribute id -> its value at the template's area, unit and source."""


@dataclass(frozen=True)
class AreaLink:
    """One input written per attribute: ``value = rate x product of the attributes``."""

    path: str
    """Parameter path of the input (``options.x.benefits.y.outcomes_per_year``)."""
    per: tuple[str, ...]
    """The attributes multiplied, in the order written."""
    rate: float
    """[input units per unit of the product of the attributes]."""
    value: float
    """At the template's own attributes [input units]."""

    def at(self, attributes: dict[str, float]) -> float:
        """The input's value at other attribute values [input units]."""
        return self.rate * math.prod(attributes[a] for a in self.per)


@dataclass(frozen=True)
class AreaProblem:
    """An input written per attribute that cannot be resolved: where (a location in the
    file's data) and why."""

    loc: tuple[str | int, ...]
    message: str


def is_area_link(value: Any) -> bool:
    """True for a mapping whose ``per`` names attributes (text, or a list): an input written
    per attribute. A scale law's ``per`` (``{law: step, per: 10}``) is a number, not this."""
    return (
        isinstance(value, dict) and "law" not in value and isinstance(value.get("per"), str | list)
    )


def contains_area_link(node: Any) -> bool:
    """True when ``node`` (loaded scenario data) holds an input written per attribute."""
    if is_area_link(node):
        return True
    if isinstance(node, dict):
        return any(contains_area_link(v) for v in node.values())
    if isinstance(node, list):
        return any(contains_area_link(v) for v in node)
    return False


def area_link_locations(node: Any, loc: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Where loaded scenario data writes inputs per attribute (before they are resolved)."""
    if is_area_link(node):
        return [loc]
    if isinstance(node, dict):
        return [found for k, v in node.items() for found in area_link_locations(v, (*loc, k))]
    if isinstance(node, list):
        return [found for i, v in enumerate(node) for found in area_link_locations(v, (*loc, i))]
    return []


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _attributes(data: dict[str, Any]) -> dict[str, float] | None:
    """The template's attribute values from raw data (None when there is no usable block)."""
    block = data.get("area")
    if not isinstance(block, dict) or not isinstance(block.get("attributes"), dict):
        return None
    out: dict[str, float] = {}
    for key, entry in block["attributes"].items():
        if isinstance(key, str) and isinstance(entry, dict) and _number(entry.get("value")):
            out[key] = float(entry["value"])
    return out


def resolve_area_links(data: Any) -> tuple[list[AreaLink], list[AreaProblem]]:
    """Replace every input written per attribute in a scenario's loaded data by its value at
    the template's attributes, in place.

    Returns
    -------
    (links, problems)
        One :class:`AreaLink` per resolved input (in the file's order), and every one that
        could not be resolved, located in ``data`` (an attribute the ``area:`` block does not
        declare, no ``area:`` block, a rate that is not a number, other keys).
    """
    if not isinstance(data, dict) or not contains_area_link(data):
        return [], []
    attributes = _attributes(data)
    links: list[AreaLink] = []
    problems: list[AreaProblem] = []

    def resolve(node: dict[str, Any], loc: tuple[str | int, ...]) -> float | None:
        extra = sorted(str(k) for k in node if k not in AREA_KEYS)
        if extra:
            problems.append(
                AreaProblem(loc, f"an input per attribute takes per: and rate:; remove {extra}")
            )
            return None
        per = node.get("per")
        names = [per] if isinstance(per, str) else per
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            problems.append(
                AreaProblem(
                    (*loc, "per"), "per: names an area attribute, or a list of them to multiply"
                )
            )
            return None
        rate = node.get("rate", 1.0)
        if not _number(rate):
            problems.append(AreaProblem((*loc, "rate"), f"rate must be a number; got {rate!r}"))
            return None
        if attributes is None:
            problems.append(
                AreaProblem(
                    (*loc, "per"),
                    "an input per area attribute needs an area: block declaring the attributes "
                    "(area: {attributes: {NAME: {value: ..., unit: ...}}}; docs/batch.md)",
                )
            )
            return None
        missing = [n for n in names if n not in attributes]
        for name in missing:
            guess = closest(name, list(attributes))
            hint = f" Did you mean '{guess}'?" if guess else ""
            problems.append(
                AreaProblem(
                    (*loc, "per"),
                    f"unknown area attribute '{name}'.{hint} Declared: "
                    f"{', '.join(sorted(attributes)) or 'none'}",
                )
            )
        if missing:
            return None
        value = float(rate) * math.prod(attributes[n] for n in names)
        links.append(AreaLink(id_path(data, loc), tuple(names), float(rate), value))
        return value

    def walk(node: Any, loc: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            for key in list(node):
                child = node[key]
                if key == "area" and not loc:
                    continue
                if is_area_link(child):
                    value = resolve(child, (*loc, key))
                    if value is not None:
                        node[key] = value
                else:
                    walk(child, (*loc, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                if is_area_link(child):
                    value = resolve(child, (*loc, index))
                    if value is not None:
                        node[index] = value
                else:
                    walk(child, (*loc, index))

    walk(data, ())
    return links, problems
