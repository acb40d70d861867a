"""`cba batch` in the terminal: each option across the areas (totals, where it pays, the
spread), the best and worst areas, and the rows that could not be evaluated.

Tables fit the console's width (80 columns when captured): figures are never cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cba.io.terminal import Column, fitted_tables, money, plain, prose, ratio

if TYPE_CHECKING:
    from rich.console import Console

    from cba.batch_results import BatchResults, OptionAcrossAreas

SHOWN_AREAS = 5
"""Areas listed at each end of the ranking."""
LISTED_PAYING = 30
"""Areas where an option pays named in a line, when more pay than the ranking shows."""


def _option(results: BatchResults, summary: OptionAcrossAreas, console: Console) -> None:
    paying = len(summary.areas_paying)
    low, q1, median, q3, high = summary.npsv_percentiles
    prose(
        console,
        f"{summary.name} ({summary.option_id}) in {_count(summary.areas, 'area')}: total NPSV "
        f"{money(summary.total_npsv)} with the community's inputs valued "
        f"({money(summary.total_npsv_excluding_community_inputs)} without them); PV public "
        f"costs {money(summary.total_pv_public_costs)}; PV community inputs "
        f"{money(summary.total_pv_community_inputs)}; BCR over public costs of the totals "
        f"{ratio(summary.bcr_public_of_totals)}. It pays (NPSV > 0) in {paying:,} of "
        f"{_count(summary.areas, 'area')} "
        f"({len(summary.areas_paying_excluding_community_inputs):,} "
        f"without the community's inputs). NPSV across areas: median {money(median)}, "
        f"middle half {money(q1)} to {money(q3)}, range {money(low)} to {money(high)}."
        + (
            ""
            if summary.mean_probability_npsv_positive is None
            else f" Mean P(NPSV > 0) over the areas' draws: "
            f"{summary.mean_probability_npsv_positive:.1%}."
        ),
        indent=2,
    )
    if paying > SHOWN_AREAS:
        named = summary.areas_paying[:LISTED_PAYING]
        prose(
            console,
            "It pays in: "
            + ", ".join(named)
            + (
                f" and {paying - len(named):,} more (areas.csv has every area)"
                if paying > len(named)
                else ""
            )
            + ".",
            indent=2,
        )
    by_area = {r.area_id: r for r in results.results if r.option_id == summary.option_id}
    shown = list(summary.ranking[:SHOWN_AREAS])
    tail = [a for a in summary.ranking[-SHOWN_AREAS:] if a not in shown]
    rows = [by_area[a] for a in (*shown, *tail)]
    ranks = {area: index for index, area in enumerate(summary.ranking, start=1)}
    keys = [
        Column("rank", tuple(f"{ranks[r.area_id]:,}" for r in rows)),
        Column("area", tuple(r.area_id for r in rows), figures=False, justify="left"),
    ]
    values = [
        Column("NPSV", tuple(money(r.npsv) for r in rows)),
        Column(
            "NPSV excl. community", tuple(money(r.npsv_excluding_community_inputs) for r in rows)
        ),
        Column("BCR public", tuple(ratio(r.bcr_public) for r in rows)),
        Column("PV public costs", tuple(money(r.pv_public_costs) for r in rows)),
    ]
    if rows and rows[0].probability_npsv_positive is not None:
        values.append(
            Column(
                "P(NPSV > 0)",
                tuple(
                    "-"
                    if r.probability_npsv_positive is None
                    else f"{r.probability_npsv_positive:.1%}"
                    for r in rows
                ),
            )
        )
    title = (
        f"The {len(shown)} best and {len(tail)} worst areas for {summary.option_id}"
        if tail
        else f"{'The area' if len(shown) == 1 else 'Every area'} for {summary.option_id}, by NPSV"
    )
    for table in fitted_tables(keys, values, plain(title, "bold"), console):
        console.print(table)


def _count(number: int, noun: str) -> str:
    """``1 area``, ``300 areas``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def print_batch(results: BatchResults, console: Console) -> None:
    """The run's summary."""
    prose(
        console,
        f"{results.template_title} ({results.template_id}) in {results.evaluated:,} of "
        f"{_count(results.rows, 'area')} of {results.table}, against "
        f"{results.counterfactual} in each; "
        f"present values, real GBP at {results.price_base_year} prices"
        + (f"; {results.draws:,} draws per area (seed {results.seed})." if results.draws else "."),
        "bold",
    )
    for summary in results.summaries:
        _option(results, summary, console)
    if results.attributes_from_template:
        prose(
            console,
            "Attributes the table has no column for keep the template's value in every area: "
            + ", ".join(
                f"{k} {v:,.6g}" for k, v in sorted(results.attributes_from_template.items())
            )
            + ".",
            "dim",
            indent=2,
        )
    if results.problems:
        prose(
            console,
            f"{_count(results.rows_not_evaluated, 'row')} could not be evaluated and "
            f"{'is' if results.rows_not_evaluated == 1 else 'are'} left out (the problems are "
            "listed on standard error and in batch.json).",
            "bold",
        )
