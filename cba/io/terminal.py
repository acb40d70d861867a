"""A readable summary of results for the terminal (rich tables).

Every table is laid out to fit the console's width (80 columns when the output is captured):
a number is never wrapped, folded, cut or ellipsised. Labels wrap at spaces (a word longer than
its column folds); when the figures do not all fit beside their labels, the columns that do
not fit go to a second table under the first, with the labels repeated. rich is imported when
a table is printed, so that importing this module (for :func:`money`) stays cheap.

Nothing a user wrote (titles, names, ids, file paths) is ever read as rich markup or as an emoji
code (``[bold]``, ``:smile:``, the ``:100:`` in ``line100.yaml:100:``): everything reaches the
console as :class:`rich.text.Text`, styled by spans, whatever the console's own settings.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from cba.results import Measures, Results, ScaleCurve


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

LONGEST_UNBROKEN_LABEL_WORD = 16
"""A word of a label (a header or a row label) longer than this may be folded to fit."""


@dataclass(frozen=True)
class Column:
    """One column of a table before layout: its header and its cells as text."""

    header: str
    cells: tuple[str, ...]
    figures: bool = True
    """True: the cells are figures, never broken (the column is at least as wide as the widest
    figure). False: the cells are labels, wrapped at spaces."""
    justify: Literal["left", "right"] = "right"

    def narrowest(self) -> int:
        """The least width that breaks no figure and no label word of sensible length."""
        label_words = self.header.split() + ([] if self.figures else self._cell_words())
        longest_word = min(max((len(w) for w in label_words), default=1), _WORD)
        widest_figure = max((len(c) for c in self.cells), default=1) if self.figures else 1
        return max(longest_word, widest_figure, 1)

    def widest(self) -> int:
        """The width at which nothing in the column wraps."""
        return max(len(text) for text in (self.header, *self.cells))

    def _cell_words(self) -> list[str]:
        return [word for cell in self.cells for word in cell.split()]


_WORD = LONGEST_UNBROKEN_LABEL_WORD


def plain(text: str, style: str = "") -> Text:
    """``text`` as rich text, verbatim: never read as markup or emoji codes."""
    from rich.text import Text

    return Text(text, style=style)


def _table(columns: Sequence[Column], widths: Sequence[int], title: Text | None) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=title.copy() if title else None,
        title_justify="left",
        show_edge=False,
    )
    for column, width in zip(columns, widths, strict=True):
        table.add_column(Text(column.header), justify=column.justify, width=width, overflow="fold")
    for row in zip(*(column.cells for column in columns), strict=True):
        table.add_row(*(Text(cell) for cell in row))
    return table


def _table_width(columns: Sequence[Column], widths: Sequence[int], console: Console) -> int:
    from rich.measure import Measurement

    table = _table(columns, widths, None)
    # Measured without a width limit: within one, rich would report the squeezed width.
    unlimited = console.options.update_width(sys.maxsize)
    return Measurement.get(console, unlimited, table).maximum


def fitted_tables(
    keys: Sequence[Column], values: Sequence[Column], title: Text | str | None, console: Console
) -> list[Table]:
    """Tables of ``keys`` (repeated in each) and ``values`` that fit the console's width.

    A ``title`` given as ``str`` is plain text (not markup); style it with a :class:`Text`.

    As many value columns as fit go beside the keys, in order; the rest go to further tables.
    Columns are as narrow as :meth:`Column.narrowest` at most, and share the spare width up to
    :meth:`Column.widest`.
    """
    heading = plain(title) if isinstance(title, str) else title
    limit = console.width
    groups: list[list[Column]] = []
    for column in values:
        group = groups[-1] if groups else None
        if group is not None:
            trial = [*keys, *group, column]
            if _table_width(trial, [c.narrowest() for c in trial], console) <= limit:
                group.append(column)
                continue
        groups.append([column])
    tables = []
    for number, group in enumerate(groups):
        columns = [*keys, *group]
        widths = [c.narrowest() for c in columns]
        spare = limit - _table_width(columns, widths, console)
        # Labels first (an unwrapped row label reads best), then the rest, widest need first.
        for labels_only in (True, False):
            while spare > 0:
                deficits = [
                    c.widest() - w if labels_only is not c.figures else 0
                    for c, w in zip(columns, widths, strict=True)
                ]
                neediest = max(range(len(columns)), key=deficits.__getitem__)
                if deficits[neediest] <= 0:
                    break
                widths[neediest] += 1
                spare -= 1
        tables.append(_table(columns, widths, heading if number == 0 else None))
    return tables


def _cell(m: Measures, name: str, kind: str) -> str:
    value = getattr(m, name)
    if kind == "money":
        return money(value)
    if kind == "ratio":
        return ratio(value)
    if kind == "percent":
        return _percent(value)
    return "undefined" if value is None else str(value)


def say(console: Console, text: str) -> None:
    """Print a dim note verbatim, on as many lines as the terminal needs."""
    console.print(plain(text, "dim"), soft_wrap=True)


def print_summary(results: Results, console: Console, notes: bool = True) -> None:
    """Print one scenario's headline figures: each option against the counterfactual.

    With ``notes`` (the default), also the notes of :func:`summary_notes`; the ``cba run``
    command prints those once for all its scenarios instead.
    """
    from rich.text import Text

    from cba.results import MEASURE_LABELS

    counterfactual = results.option(results.counterfactual)
    options = [o for o in results.options if not o.is_counterfactual]
    title = Text.assemble(
        (results.title, "bold"),
        "\n",
        (
            f"{results.scenario_id}: real GBP at {results.price_base_year} prices; present "
            f"values at {results.first_year}; each option minus the counterfactual "
            f"'{counterfactual.name}'",
            "dim",
        ),
    )
    labels = Column(
        "Figure (incremental)",
        tuple(MEASURE_LABELS[name] for name, _ in _ROWS),
        figures=False,
        justify="left",
    )
    figures = [
        Column(option.name, tuple(_cell(option.incremental, name, kind) for name, kind in _ROWS))
        for option in options
    ]
    for table in fitted_tables([labels], figures, title, console):
        console.print(table)
    for option in options:
        for figure, reason in option.incremental.undefined.items():
            say(console, f"  {option.option_id}: {MEASURE_LABELS[figure]} undefined: {reason}")
    for option in options:
        if option.scale is not None:
            print_scale(option.scale, option.name, console)
    if notes:
        for note in summary_notes(results):
            say(console, f"  {note}")


def summary_notes(results: Results) -> list[str]:
    """The notes a reader of one scenario's figures needs: the discount schedules, the DfT
    value-for-money bands, and the caveats (unverified tables used)."""
    schedules = ", ".join(s.label for s in results.schedules)
    bands = " | ".join(f"{b.name} {b.rule}" for b in results.value_for_money_bands)
    return [
        f"Discounting: {schedules}.",
        f"DfT value-for-money categories by BCR over public costs: {bands}.",
        *results.caveats,
    ]


def print_notes(notes_by_scenario: Mapping[str, Sequence[str]], console: Console) -> None:
    """The distinct notes of several scenarios, each once.

    A note that does not apply to every scenario is followed by the ids it applies to, after
    the other forms of the same note (notes are ordered by their place in each scenario's list).
    """
    applies: dict[str, list[str]] = {}
    place: dict[str, int] = {}
    for scenario_id, notes in notes_by_scenario.items():
        for index, note in enumerate(notes):
            place.setdefault(note, index)
            applies.setdefault(note, []).append(scenario_id)
    for note in sorted(applies, key=place.__getitem__):
        scenario_ids = list(dict.fromkeys(applies[note]))
        if len(scenario_ids) < len(notes_by_scenario):
            note = f"{note} ({', '.join(scenario_ids)})"
        say(console, f"  {note}")


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
    rows = sorted(keys)

    def optional_money(values: Sequence[float | None]) -> tuple[str, ...]:
        return tuple("undefined" if v is None else money(v) for v in (values[i] for i in rows))

    key_columns = [
        Column(curve.driver, tuple(f"{curve.points[i]:,.4g}" for i in rows)),
        Column("point", tuple("; ".join(keys[i]) for i in rows), figures=False, justify="left"),
    ]
    figure_columns = [
        Column("NPSV", tuple(money(curve.npsv[i]) for i in rows)),
        Column("BCR public", tuple(ratio(curve.bcr_public[i]) for i in rows)),
        Column(
            "BCR public + community", tuple(ratio(curve.bcr_public_and_community[i]) for i in rows)
        ),
        Column("avg cost per outcome", optional_money(curve.average_cost_per_outcome)),
        Column("marginal cost per outcome", optional_money(curve.marginal_cost_per_outcome)),
    ]
    title = plain(f"Scale: {option_name} by {curve.driver} (against the counterfactual)")
    for table in fitted_tables(key_columns, figure_columns, title, console):
        console.print(table)
    say(console, f"  {curve.statement}")
    stretches = "; ".join(f"{a:,.4g}-{b:,.4g}: {label}" for a, b, label in curve.regimes)
    say(console, f"  Average cost per outcome by stretch: {stretches}.")
