"""A readable summary of results for the terminal (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cba.results import MEASURE_LABELS, Measures, Results, ScaleCurve


def money(value: float) -> str:
    """GBP with thousands separators and no pence, negatives with a minus sign."""
    return f"-£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


def ratio(value: float | None) -> str:
    """A ratio to two decimals, or 'undefined'."""
    return "undefined" if value is None else f"{value:.2f}"


def _percent(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.1%}"


_ROWS: tuple[tuple[str, str], ...] = (
    ("pv_public_costs", "money"),
    ("pv_non_public_costs", "money"),
    ("pv_community_inputs", "money"),
    ("pv_benefits", "money"),
    ("npsv", "money"),
    ("npsv_excluding_community_inputs", "money"),
    ("bcr_public", "ratio"),
    ("bcr_public_and_community", "ratio"),
    ("value_for_money", "text"),
    ("fiscal_roi", "ratio"),
    ("economic_roi", "ratio"),
    ("public_value_roi", "ratio"),
    ("pv_fiscal_cashable", "money"),
    ("payback_year", "text"),
    ("irr", "percent"),
    ("equivalent_annual_net_benefit", "money"),
)


def _cell(m: Measures, name: str, kind: str) -> str:
    value = getattr(m, name)
    if kind == "money":
        return money(value)
    if kind == "ratio":
        return ratio(value)
    if kind == "percent":
        return _percent(value)
    return "undefined" if value is None else str(value)


def print_summary(results: Results, console: Console) -> None:
    """Print one scenario's headline figures: each option against the counterfactual."""
    counterfactual = results.option(results.counterfactual)
    options = [o for o in results.options if not o.is_counterfactual]
    table = Table(
        title=f"[bold]{escape(results.title)}[/bold]\n[dim]{escape(results.scenario_id)}: real "
        f"GBP at {results.price_base_year} prices; present values at {results.first_year}; each "
        f"option minus the counterfactual '{escape(counterfactual.name)}'[/dim]",
        title_justify="left",
    )
    table.add_column("Figure (incremental)")
    for option in options:
        table.add_column(escape(option.name), justify="right")
    for name, kind in _ROWS:
        table.add_row(MEASURE_LABELS[name], *(_cell(o.incremental, name, kind) for o in options))
    console.print(table)
    for option in options:
        for figure, reason in option.incremental.undefined.items():
            console.print(
                f"  [dim]{option.option_id}: {MEASURE_LABELS[figure]} undefined: {reason}[/dim]"
            )
    schedules = ", ".join(s.label for s in results.schedules)
    bands = " | ".join(_band(b.name, b.lower, b.upper) for b in results.value_for_money_bands)
    for option in options:
        if option.scale is not None:
            print_scale(option.scale, option.name, console)
    for note in (
        f"Discounting: {schedules}.",
        f"DfT value-for-money categories by BCR over public costs: {bands}.",
        *results.caveats,
    ):
        console.print(f"  {note}", style="dim", markup=False, highlight=False, soft_wrap=True)


def _band(name: str, lower: float | None, upper: float | None) -> str:
    if lower is None:
        return f"{name} < {upper:g}"
    if upper is None:
        return f"{name} >= {lower:g}"
    return f"{name} {lower:g} to < {upper:g}"


def print_scale(curve: ScaleCurve, option_name: str, console: Console) -> None:
    """Key points of a scale sweep and what they mean."""
    marks = [
        (0, "start of sweep"),
        (curve.n0_index, "as described (n0)"),
        (curve.optimum_index, "highest NPSV"),
    ]
    for low, high in curve.break_even_ranges:
        marks += [
            (curve.points.index(low), "BCR reaches 1"),
            (curve.points.index(high), "BCR last >= 1"),
        ]
    marks.append((len(curve.points) - 1, "end of sweep"))
    keys: dict[int, list[str]] = {}
    for index, label in marks:
        keys.setdefault(index, []).append(label)
    table = Table(
        title=f"Scale: {escape(option_name)} by {escape(curve.driver)} (against the "
        "counterfactual)",
        title_justify="left",
    )
    for header in (
        curve.driver,
        "point",
        "NPSV",
        "BCR (public)",
        "BCR (public+community)",
        "avg cost / outcome",
        "marginal cost / outcome",
    ):
        table.add_column(header, justify="left" if header == "point" else "right")
    for index in sorted(keys):
        average = curve.average_cost_per_outcome[index]
        marginal = curve.marginal_cost_per_outcome[index]
        table.add_row(
            f"{curve.points[index]:,.4g}",
            "; ".join(keys[index]),
            money(curve.npsv[index]),
            ratio(curve.bcr_public[index]),
            ratio(curve.bcr_public_and_community[index]),
            "undefined" if average is None else money(average),
            "undefined" if marginal is None else money(marginal),
        )
    console.print(table)
    console.print(f"  {curve.statement}", style="dim", markup=False, soft_wrap=True)
    stretches = "; ".join(f"{a:,.4g}-{b:,.4g}: {label}" for a, b, label in curve.regimes)
    console.print(
        f"  Average cost per outcome by stretch: {stretches}.",
        style="dim",
        markup=False,
        soft_wrap=True,
    )
