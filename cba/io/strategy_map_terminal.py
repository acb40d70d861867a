"""`cba map` in the terminal: pathways ranked by cost per unit of outcome with their
co-produced share, the least-cost mix, shadow prices and binding constraints.

Tables fit the console's width (80 columns when captured) as every cba table does
(cba.io.terminal.fitted_tables): figures are never cut.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cba.io.terminal import Column, fitted_tables, money, plain, prose

if TYPE_CHECKING:
    from rich.console import Console

    from cba.map_results import MapAppraisal, PathwayMapping


def _note(console: Console, text: str) -> None:
    prose(console, text, "dim", indent=2)


def _amount(value: float, unit: str) -> str:
    return money(value) if unit == "£" else f"{_units(value)} {unit}"


def _share(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0%}"


def _units(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or value == round(value) else f"{value:,.1f}"


def _per_unit(value: float) -> str:
    return "n/a" if math.isnan(value) else money(value)


def _pathway_table(rows: list[PathwayMapping], console: Console) -> None:
    first = rows[0]
    target = f"target {_units(first.target)} a year" if first.has_target else "no target"
    title = f"{first.outcome} ({target}): pathways by cost per {first.outcome_unit}"
    keys = [
        Column(
            "pathway",
            tuple(f"{i}. {p.name}" for i, p in enumerate(rows, 1)),
            figures=False,
            justify="left",
        )
    ]
    values = [
        Column("£ per unit, all inputs", tuple(_per_unit(p.cost_per_unit) for p in rows)),
        Column("£ per unit, public", tuple(_per_unit(p.public_cost_per_unit) for p in rows)),
        Column("co-produced", tuple(_share(p.costs.co_produced_share) for p in rows)),
        Column("£ a year", tuple(money(p.costs.total) for p in rows)),
    ]
    for table in fitted_tables(keys, values, plain(title, "bold"), console):
        console.print(table)
    for p in rows:
        if p.status != "optimal":
            _note(console, f"{p.name}: cannot reach the target ({p.message}).")
        for over in p.over_limits:
            _note(
                console,
                f"{p.name} alone exceeds a limit: {over.name}, "
                f"{_amount(over.needed, over.unit)} a year against "
                f"{_amount(over.available, over.unit)}.",
            )


def print_map(appraisal: MapAppraisal, console: Console) -> None:
    """The whole `cba map` report."""
    _note(
        console,
        f"Strategy map: {appraisal.title}. GBP a year at {appraisal.price_base_year} prices; "
        "co-produced inputs (service users, communities) valued.",
    )
    groups: dict[str, list[PathwayMapping]] = {}
    for pathway in appraisal.ranked():
        groups.setdefault(pathway.outcome_id, []).append(pathway)
    for rows in groups.values():
        console.print()
        _pathway_table(rows, console)
    mix = appraisal.mix
    console.print()
    console.print(plain("Least-cost mix of pathways", "bold"))
    if mix.status != "optimal":
        _note(console, f"{mix.message[:1].upper()}{mix.message[1:]}.")
        for conflict in mix.conflicts:
            _note(console, f"Binding: {conflict.name}.")
        return
    outcome_keys = [Column("outcome", tuple(o.name for o in mix.outcomes), False, "left")]
    outcome_values = [
        Column("target a year", tuple(_units(o.target) for o in mix.outcomes)),
        Column("delivered a year", tuple(_units(o.delivered) for o in mix.outcomes)),
        Column("cost of one more unit", tuple(money(o.marginal_cost) for o in mix.outcomes)),
    ]
    for table in fitted_tables(outcome_keys, outcome_values, None, console):
        console.print(table)
    input_keys = [
        Column("input", tuple(i.name for i in mix.inputs), False, "left"),
        Column("given by", tuple(i.contributor for i in mix.inputs), False, "left"),
    ]
    input_values = [
        Column("units a year", tuple(f"{_units(i.units_per_year)}" for i in mix.inputs)),
        Column("unit", tuple(i.unit for i in mix.inputs), False, "left"),
        Column("value a year", tuple(money(i.value_per_year) for i in mix.inputs)),
    ]
    for table in fitted_tables(input_keys, input_values, None, console):
        console.print(table)
    costs = mix.costs
    _note(
        console,
        f"Cost a year: {money(costs.total)} of which public {money(costs.public)}, "
        f"co-produced {money(costs.co_produced)} ({_share(costs.co_produced_share)}).",
    )
    used = [f"{p.name} ({p.pathway_id})" for p in mix.pathways if p.use == "all"]
    part = [f"{p.name} ({p.pathway_id})" for p in mix.pathways if p.use == "part"]
    unused = [f"{p.name} ({p.pathway_id})" for p in mix.pathways if p.use == "none"]
    for label, names in (("all links used", used), ("partly used", part), ("unused", unused)):
        if names:
            _note(console, f"Pathways, {label}: {'; '.join(dict.fromkeys(names))}.")
    if mix.approximation > 1e-6:
        _note(
            console,
            f"Diminishing returns are approximated piecewise-linearly: outputs are at most "
            f"{mix.approximation:.2%} below the curves.",
        )
    if mix.limits:
        console.print()
        keys = [Column("limit", tuple(limit.name for limit in mix.limits), False, "left")]
        values = [
            Column("available", tuple(_units(limit.available) for limit in mix.limits)),
            Column("used", tuple(_units(limit.used) for limit in mix.limits)),
            Column("unit", tuple(limit.unit for limit in mix.limits), False, "left"),
            Column(
                "£ saved per extra unit",
                tuple(f"£{limit.shadow_price:,.2f}" for limit in mix.limits),
            ),
        ]
        for table in fitted_tables(keys, values, plain("Shadow prices", "bold"), console):
            console.print(table)
    binding = "; ".join(mix.binding) or "none"
    _note(console, f"Binding constraints: {binding}.")
