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
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from cba.model.evaluation import CompiledScenario
    from cba.results import Measures, Results, ScaleCurve, SensitivityResults


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
    rows = _ROWS
    if results.tax_burden is not None:  # its own line, after the costs it is raised on
        rows = (*_ROWS[:3], ("pv_marginal_excess_tax_burden", "money"), *_ROWS[3:])
    labels = Column(
        "Figure (incremental)",
        tuple(MEASURE_LABELS[name] for name, _ in rows),
        figures=False,
        justify="left",
    )
    figures = [
        Column(option.name, tuple(_cell(option.incremental, name, kind) for name, kind in rows))
        for option in options
    ]
    if results.variant:
        settings = "; ".join(f"{path} = {value}" for path, value in results.variant)
        console.print(
            plain(f"VARIANT (inputs set over the file): {settings}", "bold"), soft_wrap=True
        )
    for table in fitted_tables([labels], figures, title, console):
        console.print(table)
    for option in options:
        for figure, reason in option.incremental.undefined.items():
            say(console, f"  {option.option_id}: {MEASURE_LABELS[figure]} undefined: {reason}")
    if results.tax_burden is not None:
        burden = results.tax_burden
        say(
            console,
            f"  Marginal excess tax burden: {burden.uplift:.0%} of net public cost on "
            f"{', '.join(burden.options)} (the Green Book advises leaving it out but for private "
            f"finance options; here: {burden.why})",
        )
    if results.sroi is not None:
        for line in sroi_lines(results):
            say(console, line)
    for line in distributional_lines(results):
        say(console, line)
    if results.uncertainty is not None:
        u = results.uncertainty
        simulated = {o.option_id: o for o in u.options}
        for option in options:
            if option.option_id not in simulated:
                continue
            found = simulated[option.option_id]
            d = found.npsv
            spread = (
                f"; NPSV 5th-95th percentile {money(d.p5)} to {money(d.p95)}"
                if d.p5 is not None and d.p95 is not None
                else ""
            )
            say(
                console,
                f"  {option.option_id}: probability that it pays off (NPSV > 0): "
                f"{found.probability_npsv_positive:.1%} ({u.draws:,} draws, seed {u.seed})"
                f"{spread}.",
            )
        say(
            console,
            f"  Expected value of perfect information: {money(u.evpi)}. {u.convergence}.",
        )
        worth = [(g.evppi, f"the group '{g.name}'") for g in u.groups] + [
            (p.evppi, p.parameter) for p in u.parameters
        ]
        top = max(worth, key=lambda item: item[0], default=None)
        if top is not None and top[0] > 0:
            say(console, f"  Better evidence worth most: {top[1]} (EVPPI {money(top[0])}).")
    if results.sensitivity is not None:
        for option in options:
            sentence = results.sensitivity.sentence(
                option.option_id, f"options.{option.option_id}."
            )
            if sentence:
                say(console, f"  {option.option_id}: {sentence[:-1]} (cba sensitivity: more).")
    for option in options:
        if option.scale is not None:
            print_scale(option.scale, option.name, console)
    if notes:
        for note in summary_notes(results):
            say(console, f"  {note}")


def distributional_lines(results: Results) -> list[str]:
    """One line per option: its weighted NPSV against the counterfactual beside the unweighted
    one (Green Book Annex A3), and the weights used."""
    view = results.distributional
    if view is None:
        return []
    weights = ", ".join(f"{g.group_id} {g.weight:.2f}" for g in view.groups)
    out = []
    for option in view.options:
        if option.option_id == results.counterfactual:
            continue
        m = option.incremental
        out.append(
            f"  {option.option_id}: distributional weights (Green Book Annex A3): weighted NPSV "
            f"{money(m.weighted_npsv)} (unweighted {money(m.npsv)}); weighted PV benefits "
            f"{money(m.weighted_pv_benefits)}, weighted PV costs {money(m.weighted_pv_costs)}; "
            f"weights {weights} (elasticity {view.elasticity:g}; lines without a group 1)."
        )
    return out


def sroi_lines(results: Results) -> list[str]:
    """One line per option: its SROI ratio against the counterfactual, labelled as the SROI
    guide's convention (not the Green Book BCR), with what it divides."""
    view = results.sroi
    if view is None:
        return []
    timing = (
        "benefits discounted from the first year"
        if view.discount_first_year
        else "first year undiscounted"
    )
    out = []
    for item in view.incremental:
        if item.ratio is None:
            figure = f"undefined ({item.undefined.get('ratio', 'no inputs')})"
        else:
            figure = f"{item.ratio:.2f} : 1 (net SROI {item.net_ratio:.2f})"
        out.append(
            f"  {item.option_id}: SROI (SROI guide convention, not the Green Book BCR): {figure}; "
            f"PV benefits {money(item.pv_benefits)} over inputs {money(item.value_of_inputs)}, "
            f"community inputs included; {timing}."
        )
    return out


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


def _input_value(value: float | str, unit: str) -> str:
    """An input's value to 12 significant digits, without separators (``cba params`` is where
    paths and values are copied from, into ``--set``)."""
    if isinstance(value, str):
        return value
    if unit == "calendar year" or isinstance(value, int):
        return str(value)
    return f"{value:.12g}"


def _group_of(path: str) -> tuple[str, str]:
    """(group, rest): ``options.<id>.<kind>.<line>`` is the group of a line's inputs."""
    parts = path.split(".")
    if parts[0] == "options" and len(parts) > 4:
        return ".".join(parts[:4]), ".".join(parts[4:])
    if parts[0] == "options" and len(parts) > 2:
        return ".".join(parts[:2]), ".".join(parts[2:])
    if len(parts) > 2:
        return ".".join(parts[:2]), ".".join(parts[2:])
    return "", path


def print_params(compiled: CompiledScenario, console: Console) -> None:
    """Every input of a compiled scenario by parameter path, grouped by line, with value, unit,
    whether the file states it, whether an evaluation can vary it, and the line's source."""
    scenario = compiled.scenario
    inputs = list(compiled.inputs.values())
    varies = sum(1 for item in inputs if item.path in compiled.parameters)
    console.print(plain(f"{scenario.title}", "bold"), soft_wrap=True)
    say(
        console,
        f"{scenario.id}: {len(inputs)} inputs; {varies} vary in an evaluation (cba sensitivity, "
        "cba.evaluate), the others (marked 'structural') by --set or cba.with_values only. "
        "'default' marks a value the file does not state. A path is the group's path, a dot "
        "and the key.",
    )
    groups: dict[str, list[Any]] = {}
    for item in inputs:
        group, _ = _group_of(item.path)
        groups.setdefault(group, []).append(item)
    width = max(40, console.width)
    for group, items in groups.items():
        console.print()
        if group:
            console.print(plain(group, "bold"), soft_wrap=True)
        sources = {item.source for item in items}
        rows = []
        for item in items:
            _, key = _group_of(item.path)
            marks = []
            if not item.given:
                marks.append("default")
            if item.path not in compiled.parameters:
                marks.append("structural")
            if item.choices:
                marks.append("one of " + ", ".join(item.choices))
            rows.append((key, _input_value(item.value, item.unit), item.unit, ", ".join(marks)))
        key_width = min(max(len(r[0]) for r in rows), width // 2)
        value_width = max(len(r[1]) for r in rows)
        for key, value, unit, mark in rows:
            indent = "  "
            head = f"{indent}{key:<{key_width}}  {value:>{value_width}}"
            if len(key) > key_width:  # the key on its own line, the value under it
                console.print(plain(f"{indent}{key}"), soft_wrap=True)
                head = f"{indent}{'':<{key_width}}  {value:>{value_width}}"
            tail = f"  {unit}" + (f"  ({mark})" if mark else "")
            if len(head) + len(tail) > width:
                console.print(plain(head), soft_wrap=True)
                console.print(plain(" " * (len(indent) + 2) + tail.strip(), "dim"), soft_wrap=True)
            else:
                console.print(plain(head + tail), soft_wrap=True)
        if len(sources) == 1:
            say(console, f"  source: {sources.pop()}")


def _short(path: str, option_id: str) -> str:
    return path.removeprefix(f"options.{option_id}.")


def prose(console: Console, text: str, style: str = "", indent: int = 0) -> None:
    """Words wrapped at the console's width, each line indented by ``indent`` spaces; a word
    (a figure, a path) is never split."""
    import textwrap

    lines = textwrap.wrap(
        text,
        width=max(20, console.width - indent),
        break_long_words=False,
        break_on_hyphens=False,
    )
    for line in lines or [""]:
        console.print(plain(" " * indent + line, style), soft_wrap=True)


def print_sensitivity(
    sensitivity: SensitivityResults, compiled: CompiledScenario, console: Console
) -> None:
    """Switching values, the tornado's largest swings and the discount-rate tests of each
    option, against the counterfactual; one-way tables go to the workbook and JSON."""
    scenario = compiled.scenario
    counterfactual = scenario.option(scenario.counterfactual)
    option_ids = list(dict.fromkeys(b.option_id for b in sensitivity.rate_tests))
    central = compiled.evaluate()
    for oid in option_ids:
        option = scenario.option(oid)
        m = central.options[oid].incremental
        console.print(plain(f"Sensitivity: {option.name}", "bold"), soft_wrap=True)
        bcr = None if m.bcr_public != m.bcr_public else float(m.bcr_public)
        prose(
            console,
            f"{scenario.id}, {oid} against '{counterfactual.name}': NPSV "
            f"{money(float(m.npsv))}, BCR over public costs {ratio(bcr)}. Inputs are paths "
            f"under options.{oid} unless they start with options. or another section.",
        )
        console.print()
        console.print(plain("Switching values (every other input at its central value)", "bold"))
        rows = [s for s in sensitivity.switching_values if s.option_id == oid]
        rows.sort(key=lambda s: (s.npsv_zero_change is None, abs(s.npsv_zero_change or 0)))
        for item in rows:
            listed = " [listed]" if item.listed else ""
            console.print(plain(f"  {_short(item.parameter, oid)}{listed}"), soft_wrap=True)
            prose(console, item.statement, indent=6)
            prose(console, item.bcr_statement, "dim", indent=6)
        console.print()
        bars = [b for b in sensitivity.tornado if b.option_id == oid]
        shown = bars[:10]
        console.print(
            plain(
                f"Tornado: NPSV at each input's low and high end "
                f"({len(shown)} largest swings of {len(bars)})",
                "bold",
            ),
            soft_wrap=True,
        )
        for bar in shown:
            console.print(plain(f"  {_short(bar.parameter, oid)}"), soft_wrap=True)
            low = _input_value(bar.low, bar.unit)
            high = _input_value(bar.high, bar.unit)
            prose(
                console,
                f"{low} to {high} {bar.unit} ({bar.range_basis} range): "
                f"{money(bar.npsv_low)} to {money(bar.npsv_high)}, swing {money(bar.npsv_swing)}",
                indent=6,
            )
        console.print()
        console.print(plain("Discount-rate tests", "bold"))
        for test in (t for t in sensitivity.rate_tests if t.option_id == oid):
            own = " (the scenario's)" if test.is_scenario_schedule else ""
            console.print(plain(f"  {test.schedule}{own}"), soft_wrap=True)
            category = test.value_for_money or "no"
            prose(
                console,
                f"NPSV {money(test.npsv)}, BCR {ratio(test.bcr_public)}, {category} "
                "value-for-money category",
                indent=6,
            )
        console.print()
    for note in sensitivity.notes:
        prose(console, note, "dim")
    prose(console, f"{sensitivity.evaluations:,} model evaluations.", "dim")
