"""The terminal summary: every figure printed whole at any width from 80 columns, never cut,
folded or ellipsised; labels wrap instead, and figures that do not fit go to a second table."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

import cba
from cba.io.terminal import (
    _ROWS,
    _cell,
    money,
    print_notes,
    print_scale,
    print_summary,
    ratio,
    summary_notes,
)
from cba.results import Measures, Results, ScaleCurve

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
WIDTHS = (80, 120)
CELL_SEPARATORS = re.compile(r"[\s│┃]+")


def render(width: int, draw: object, *args: object) -> str:
    console = Console(width=width, file=io.StringIO(), highlight=False)
    draw(*args, console)  # type: ignore[operator]
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(text, str)
    return text


def tokens(text: str) -> set[str]:
    """Everything between spaces and table rules, and every whole table cell (a figure of two
    words, "very high"): a figure cut or folded is not among them."""
    cells = {cell.strip() for line in text.splitlines() for cell in re.split("[│┃]", line)}
    return set(CELL_SEPARATORS.split(text)) | cells


def figures_of_summary(results: Results) -> list[str]:
    return [
        _cell(option.incremental, name, kind)
        for option in results.options
        if not option.is_counterfactual
        for name, kind in _ROWS
    ]


def key_points(curve: ScaleCurve) -> list[int]:
    ends = [p for pair in curve.break_even_ranges for p in pair]
    return sorted(
        {0, curve.n0_index, curve.optimum_index, len(curve.points) - 1}
        | {curve.points.index(p) for p in ends}
    )


def figures_of_scale(curve: ScaleCurve) -> list[str]:
    figures = []
    for i in key_points(curve):
        average = curve.average_cost_per_outcome[i]
        marginal = curve.marginal_cost_per_outcome[i]
        figures += [
            f"{curve.points[i]:,.4g}",
            money(curve.npsv[i]),
            ratio(curve.bcr_public[i]),
            ratio(curve.bcr_public_and_community[i]),
            "undefined" if average is None else money(average),
            "undefined" if marginal is None else money(marginal),
        ]
    return figures


def assert_whole(text: str, figures: list[str], width: int) -> None:
    assert "…" not in text
    for line in text.splitlines():
        if "│" in line or "┃" in line or "━" in line:  # table lines fit; notes may be long
            assert len(line.rstrip()) <= width, line
    found = tokens(text)
    missing = [f for f in figures if f not in found]
    assert not missing, f"cut or missing at width {width}: {missing}\n{text}"


@pytest.fixture(scope="module")
def all_results() -> dict[str, Results]:
    return {p.stem: cba.run(cba.load_scenario(p)) for p in SCENARIOS}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("stem", [p.stem for p in SCENARIOS])
def test_summary_prints_every_figure_whole(
    all_results: dict[str, Results], stem: str, width: int
) -> None:
    results = all_results[stem]
    text = render(width, print_summary, results)
    figures = figures_of_summary(results)
    for option in results.options:
        if option.scale is not None:
            figures += figures_of_scale(option.scale)
    assert_whole(text, figures, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_scale_table_prints_every_figure_whole(all_results: dict[str, Results], width: int) -> None:
    (curve,) = [
        o.scale for o in all_results["volunteer_befriending_scale"].options if o.scale is not None
    ]
    text = render(width, print_scale, curve, "Volunteer befriending programme")
    assert_whole(text, figures_of_scale(curve), width)
    assert "volunteers" in tokens(text)  # the driver's name is a label: wrapped, not cut


def _crowded(results: Results, options: int, scale: float) -> Results:
    """Many options with long names and large figures (negative, in the billions)."""
    (template,) = [o for o in results.options if not o.is_counterfactual]
    money_fields = [f for f, kind in _ROWS if kind == "money"]

    def big(i: int) -> Measures:
        changes = dict.fromkeys(money_fields, -scale * (i + 1) * 1.234567)
        return dataclasses.replace(template.incremental, **changes)

    crowd = tuple(
        dataclasses.replace(
            template,
            option_id=f"option_{i}",
            name=f"Option {i}: a neighbourhood-wide scheme with an extraordinarilylongword",
            incremental=big(i),
            scale=None,
        )
        for i in range(options)
    )
    counterfactual = results.option(results.counterfactual)
    return dataclasses.replace(results, options=(counterfactual, *crowd))


@pytest.mark.parametrize("width", [80, 100, 120, 200])
@pytest.mark.parametrize("options", [2, 5, 9])
def test_many_options_with_large_figures_go_to_more_tables(
    all_results: dict[str, Results], width: int, options: int
) -> None:
    results = _crowded(all_results["balsall_heath_community_safety"], options, 3.1e9)
    text = render(width, print_summary, results)
    assert_whole(text, figures_of_summary(results), width)
    assert money(-3.1e9 * options * 1.234567) in tokens(text)


def test_summary_notes_once_per_invocation(all_results: dict[str, Results]) -> None:
    notes = {r.scenario_id: summary_notes(r) for r in all_results.values()}
    text = render(400, print_notes, notes)
    lines = [line.strip() for line in text.splitlines()]
    assert len(lines) == len(set(lines))
    distinct = {note for scenario_notes in notes.values() for note in scenario_notes}
    for note in distinct:
        assert sum(line.startswith(note) for line in lines) == 1, note
    assert sum("VERIFY" in line for line in lines) == sum("VERIFY" in n for n in distinct)
    # A note that some scenarios do not share says which scenarios it is for.
    lower = "green_corridor_cleanup_lower_rate"
    (own,) = [line for line in lines if line.endswith(f"({lower})")]
    assert own.startswith("Discounting:")
