"""`cba allocate` in the terminal: the chosen schemes and scales, the portfolio's NPSV and BCR,
each agency's contribution and net position, the limits with their unused amounts and marginal
values, and the BCR ranking's portfolio for comparison.

Tables fit the console's width (80 columns when captured): figures are never cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cba.io.terminal import Column, fitted_tables, money, plain, prose, ratio

if TYPE_CHECKING:
    from rich.console import Console

    from cba.allocation_results import (
        Allocation,
        AllocationUncertainty,
        ObjectiveUsed,
        Portfolio,
    )


def _scale(value: float | None, driver: str | None) -> str:
    if value is None:
        return "whole"
    return f"{value:,.4g} {driver}" if driver else f"{value:,.4g}"


def _objective_amount(objective: ObjectiveUsed, value: float) -> str:
    return money(value) if objective.money else f"{value:,.1f}"


def _schemes_table(
    title: str,
    portfolio: Portfolio,
    console: Console,
    objective: ObjectiveUsed,
    *,
    per_scheme: bool = True,
) -> None:
    """The schemes of a portfolio: funded at what scale, NPSV, PV public costs and spend; with
    ``per_scheme``, also each scheme's BCR as proposed and its PWL error (the same in every
    portfolio, so printed once)."""
    rows = portfolio.schemes
    keys = [Column("scheme", tuple(s.scheme_id for s in rows), figures=False, justify="left")]
    values = [
        Column("funded", tuple(_scale(s.scale, s.driver) if s.funded else "no" for s in rows)),
        Column("NPSV", tuple(money(s.npsv) for s in rows)),
        Column("PV public costs", tuple(money(s.pv_public_costs) for s in rows)),
        Column("spent", tuple(money(s.spent) for s in rows)),
    ]
    if objective.measure != "npsv":
        values.insert(
            1,
            Column(
                objective.label,
                tuple(_objective_amount(objective, s.objective_value) for s in rows),
            ),
        )
    if per_scheme:
        values += [
            Column("BCR as proposed", tuple(ratio(s.bcr_public) for s in rows)),
            Column(
                "PWL error",
                tuple(money(s.npsv_approximation_error) if s.divisible else "-" for s in rows),
            ),
        ]
        if objective.measure != "npsv":
            values.append(
                Column(
                    f"{objective.label} PWL error",
                    tuple(
                        _objective_amount(objective, s.objective_approximation_error)
                        if s.divisible
                        else "-"
                        for s in rows
                    ),
                )
            )
    for table in fitted_tables(keys, values, plain(title, "bold"), console):
        console.print(table)


def print_allocation(allocation: Allocation, console: Console) -> None:
    """The optimal allocation, the limits, the agencies and the ranking's shortfall."""
    if not allocation.feasible:
        prose(console, allocation.statement, "bold")
        return
    best, ranked = allocation.optimal, allocation.ranking
    objective = allocation.objective
    prose(
        console,
        f"Objective: maximise the total {objective.label}"
        + (
            f" (discounted net outcomes of {', '.join(objective.outcome_lines)})"
            if not objective.money
            else ""
        )
        + "."
        + (f" Why: {objective.why}" if objective.why else ""),
        "bold",
    )
    _schemes_table(f"Optimal allocation: {allocation.board}", best, console, objective)
    if objective.measure != "npsv":
        interactions = _objective_amount(objective, best.interaction_objective)
        prose(
            console,
            f"Portfolio {objective.label}: {objective.amount(best.objective_value)} "
            f"(interactions {interactions})."
            if objective.money
            else f"Portfolio: {objective.amount(best.objective_value)} (discounted; "
            f"interactions {interactions}).",
            indent=2,
        )
    prose(
        console,
        f"Portfolio NPSV {money(best.npsv)} (interactions {money(best.interaction_npsv)}); "
        f"BCR over public costs {ratio(best.bcr_public)}; spent {money(best.spent)}"
        + (
            ""
            if allocation.period is None
            else f" in {allocation.period[0]}-{allocation.period[1]}, the budget period, and "
            f"{money(best.committed_after_period)} committed after it"
        )
        + f" (undiscounted, {allocation.price_base_year} prices).",
        indent=2,
    )
    limits = allocation.limits
    per = 1 if objective.money else 1000  # outcomes per £1 would round to nothing
    keys = [Column("limit", tuple(limit.label for limit in limits), figures=False, justify="left")]
    values = [
        Column("limit £", tuple(money(limit.limit) for limit in limits)),
        Column("used", tuple(money(limit.used) for limit in limits)),
        Column("unused", tuple(money(limit.unused) for limit in limits)),
        Column("binding", tuple("yes" if limit.binding else "no" for limit in limits)),
        Column(
            ("NPSV" if objective.measure == "npsv" else objective.label) + f" per £{per:,} more",
            tuple(
                "n/a" if limit.marginal_value is None else f"{limit.marginal_value * per:,.3f}"
                for limit in limits
            ),
        ),
    ]
    for table in fitted_tables(keys, values, plain("Limits", "bold"), console):
        console.print(table)
    agencies = best.agencies
    keys = [Column("agency", tuple(a.agency_id for a in agencies), figures=False, justify="left")]
    values = [
        Column("contributes", tuple(money(a.contribution) for a in agencies)),
        Column("net position (PV)", tuple(money(a.net_position) for a in agencies)),
    ]
    for table in fitted_tables(keys, values, plain("Agencies", "bold"), console):
        console.print(table)
    _schemes_table(
        "Funding in order of BCR while it fits", ranked, console, objective, per_scheme=False
    )
    prose(console, allocation.statement, indent=2)
    if allocation.uncertainty is not None:
        _uncertainty(allocation.uncertainty, allocation.optimal, console)
    if allocation.uncertainty_skipped:
        prose(console, allocation.uncertainty_skipped, indent=2)
    gained = "NPSV" if objective.measure == "npsv" else objective.label
    prose(
        console,
        f"Marginal values: {gained} gained per £{per:,} more, measured by re-solving with "
        f"£{allocation.marginal_step:,.0f} more in that limit alone. PWL error: the largest "
        "gap between a divisible scheme's NPSV curve and its piecewise-linear approximation. "
        "Costs against limits are incremental public costs, undiscounted (docs/allocation.md).",
        "dim",
        indent=2,
    )


def _uncertainty(found: AllocationUncertainty, central: Portfolio, console: Console) -> None:
    """Each scheme's probability of being funded over the draws, and the NPSV's spread."""
    rows = found.schemes
    drivers = {s.scheme_id: s.driver for s in central.schemes}
    keys = [Column("scheme", tuple(s.scheme_id for s in rows), figures=False, justify="left")]
    values = [
        Column("uncertain", tuple("yes" if s.uncertain else "no" for s in rows)),
        Column("P(funded)", tuple(f"{s.funded_probability:.1%}" for s in rows)),
        Column(
            "mean scale if funded",
            tuple(
                "-" if s.mean_scale is None else _scale(s.mean_scale, drivers[s.scheme_id])
                for s in rows
            ),
        ),
    ]
    title = f"Under uncertainty: the optimum re-solved at each of {found.draws:,} draws"
    for table in fitted_tables(keys, values, plain(title, "bold"), console):
        console.print(table)
    prose(
        console,
        f"Optimal portfolio's NPSV: mean {money(found.npsv_mean)}; 5th percentile "
        f"{money(found.npsv_p5)}, median {money(found.npsv_p50)}, 95th percentile "
        f"{money(found.npsv_p95)}. The central portfolio is still optimal in "
        f"{found.central_optimal_probability:.1%} of draws (its mean NPSV "
        f"{money(found.central_npsv_mean)}). Re-solve time {found.seconds_per_draw * 1000:,.1f} "
        "ms per draw.",
        indent=2,
    )
    prose(
        console,
        "Each uncertain scheme's inputs are drawn from its own scenario with its own seed, "
        "so different scenarios' draws are independent; other schemes, interactions and "
        "every use of a limit keep their central values.",
        "dim",
        indent=2,
    )
