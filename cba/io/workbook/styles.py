"""The workbook's named cell styles: the single source of truth for how every cell looks.

The default template (``templates/xlsx/default.xlsx``) is built from :func:`named_styles`, and
the workbook writer refers to cells' looks only by these names, so a partner's branded template
can restyle the whole workbook by editing the styles in Excel (Home → Cell Styles → Modify)
without touching cba.

Conventions
-----------
- One font throughout: Calibri, 11 pt body text (16 pt title, 12 pt subtitle and headings).
- INPUT cells, the ones a partner may change, have a light yellow fill and a dark blue font
  (the finance-team convention) and are unlocked, so protecting a sheet leaves exactly the
  inputs editable. Every other cell is calculated.
- Money is [GBP] in real terms; negative amounts are red with a minus sign, never brackets
  alone, so they survive black-and-white printing and colour-blind reading.
- Rates and shares are fractions shown as percentages (0.035 shows as 3.5%).
"""

from __future__ import annotations

from collections.abc import Callable

from openpyxl.styles import (  # type: ignore[import-untyped, unused-ignore]
    Alignment,
    Border,
    Font,
    NamedStyle,
    PatternFill,
    Protection,
    Side,
)
from openpyxl.workbook.workbook import Workbook

FONT_NAME = "Calibri"
"""The one font used by every style."""

FONT_SIZE = 11
TITLE_FONT_SIZE = 16
"""The sheet title's font [pt]."""
"""Body text size [pt]."""

GREY = "FF595959"
"""Secondary text (subtitles, notes): dark grey that still prints legibly."""

INPUT_FONT_COLOUR = "FF1F3864"
"""Dark blue text of INPUT cells."""

INPUT_FILL_COLOUR = "FFFFF2CC"
"""Light yellow fill of INPUT cells."""

HEADING_FILL_COLOUR = "FFDDEBF7"
"""Light blue fill behind section headings."""

HEADER_FILL_COLOUR = "FFD9D9D9"
"""Light grey fill of table header rows."""

HIGHLIGHT_FILL_COLOUR = "FFE2EFDA"
"""Light green fill of headline figures."""

MONEY_FORMAT = "£#,##0;[Red]-£#,##0"
"""Whole pounds; negatives red with a minus sign."""

MONEY_PENCE_FORMAT = "£#,##0.00;[Red]-£#,##0.00"
"""Pounds and pence; negatives red with a minus sign."""

PERCENT_FORMAT = "0.0%"
"""A fraction shown as a percentage to one decimal place (0.035 → 3.5%)."""

INPUT_PERCENT_FORMAT = "0.00%"
"""Input percentages show two decimals, so an entered 2.25% is displayed as entered."""

NUMBER_FORMAT = "#,##0.00"
"""A general quantity to two decimal places."""

INTEGER_FORMAT = "#,##0"
"""A whole number with thousands separators (a count of volunteers, households)."""

REQUIRED_STYLES: tuple[str, ...] = (
    "cba title",
    "cba subtitle",
    "cba heading",
    "cba header",
    "cba label",
    "cba text",
    "cba note",
    "cba input money",
    "cba input number",
    "cba input percent",
    "cba money",
    "cba money pence",
    "cba number",
    "cba count",
    "cba ratio",
    "cba percent",
    "cba factor",
    "cba year",
    "cba total money",
    "cba highlight",
)
"""Names of the named cell styles every workbook template must define, in template order."""


def _font(
    *, size: float = FONT_SIZE, bold: bool = False, italic: bool = False, colour: str | None = None
) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic, color=colour)


def _fill(colour: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=colour, end_color=colour)


def _rule(*, top: bool = False, bottom: bool = False) -> Border:
    rule = Side(style="thin", color="FF000000")
    return Border(top=rule if top else None, bottom=rule if bottom else None)


def _title() -> NamedStyle:
    """The sheet title in the top-left cell, and the organisation name on the Cover."""
    return NamedStyle(
        "cba title",
        font=_font(size=TITLE_FONT_SIZE, bold=True),
        alignment=Alignment(horizontal="left", vertical="center"),
    )


def _subtitle() -> NamedStyle:
    """The line under a title: scenario name, price base year, date of the run."""
    return NamedStyle(
        "cba subtitle",
        font=_font(size=12, colour=GREY),
        alignment=Alignment(horizontal="left", vertical="center"),
    )


def _heading() -> NamedStyle:
    """A section heading inside a sheet ("Costs", "Benefits", "Discounting")."""
    return NamedStyle(
        "cba heading",
        font=_font(size=12, bold=True),
        fill=_fill(HEADING_FILL_COLOUR),
        border=_rule(bottom=True),
        alignment=Alignment(horizontal="left", vertical="center"),
    )


def _header() -> NamedStyle:
    """The header row of a table: column names such as years or option names."""
    return NamedStyle(
        "cba header",
        font=_font(bold=True),
        fill=_fill(HEADER_FILL_COLOUR),
        border=_rule(bottom=True),
        alignment=Alignment(wrap_text=True, vertical="bottom"),
    )


def _label() -> NamedStyle:
    """A row label: the name of the figure in the cells to its right."""
    return NamedStyle("cba label", font=_font(), alignment=Alignment(horizontal="left"))


def _text() -> NamedStyle:
    """Running text: descriptions, sources, assumptions; wraps within the column."""
    return NamedStyle("cba text", font=_font(), alignment=Alignment(wrap_text=True, vertical="top"))


def _note() -> NamedStyle:
    """A caveat or explanatory note next to a figure (e.g. why a figure is undefined)."""
    return NamedStyle(
        "cba note",
        font=_font(italic=True, colour=GREY),
        alignment=Alignment(wrap_text=True, vertical="top"),
    )


def _input(name: str, number_format: str) -> NamedStyle:
    return NamedStyle(
        name,
        font=_font(colour=INPUT_FONT_COLOUR),
        fill=_fill(INPUT_FILL_COLOUR),
        number_format=number_format,
        protection=Protection(locked=False),
    )


def _input_money() -> NamedStyle:
    """An INPUT amount of money [GBP] a partner may change; shows pence as entered."""
    return _input("cba input money", MONEY_PENCE_FORMAT)


def _input_number() -> NamedStyle:
    """An INPUT quantity a partner may change (e.g. number of participants)."""
    return _input("cba input number", NUMBER_FORMAT)


def _input_percent() -> NamedStyle:
    """An INPUT rate or share a partner may change, entered as a percentage (3.5%)."""
    return _input("cba input percent", INPUT_PERCENT_FORMAT)


def _plain(name: str, number_format: str, *, bold: bool = False) -> NamedStyle:
    return NamedStyle(name, font=_font(bold=bold), number_format=number_format)


def _money() -> NamedStyle:
    """A calculated amount of money [GBP], whole pounds."""
    return _plain("cba money", MONEY_FORMAT)


def _money_pence() -> NamedStyle:
    """A calculated amount of money [GBP] where pence matter (unit costs, per-person values)."""
    return _plain("cba money pence", MONEY_PENCE_FORMAT)


def _number() -> NamedStyle:
    """A calculated quantity to two decimal places."""
    return _plain("cba number", NUMBER_FORMAT)


def _count() -> NamedStyle:
    """A count of people, hours or units; one decimal, since scaled counts are fractional."""
    return _plain("cba count", "#,##0.0")


def _ratio() -> NamedStyle:
    """A ratio such as the benefit-cost ratio, to two decimal places."""
    return _plain("cba ratio", "0.00")


def _percent() -> NamedStyle:
    """A calculated rate or share, as a percentage to one decimal place."""
    return _plain("cba percent", PERCENT_FORMAT)


def _factor() -> NamedStyle:
    """A discount factor or other multiplier, to six decimal places so sums can be checked."""
    return _plain("cba factor", "0.000000")


def _year() -> NamedStyle:
    """A calendar or appraisal year in a header, without a thousands separator."""
    return _plain("cba year", "0", bold=True)


def _total_money() -> NamedStyle:
    """A total of the money column above it: bold, with a rule above."""
    return NamedStyle(
        "cba total money", font=_font(bold=True), border=_rule(top=True), number_format=MONEY_FORMAT
    )


def _highlight() -> NamedStyle:
    """A headline figure such as the net present social value (NPSV).

    Carries the whole-pound money format because its main use is a headline amount; a writer
    highlighting another kind of figure sets the cell's number format after the style.
    """
    return NamedStyle(
        "cba highlight",
        font=_font(bold=True),
        fill=_fill(HIGHLIGHT_FILL_COLOUR),
        number_format=MONEY_FORMAT,
    )


_BUILDERS: tuple[Callable[[], NamedStyle], ...] = (
    _title,
    _subtitle,
    _heading,
    _header,
    _label,
    _text,
    _note,
    _input_money,
    _input_number,
    _input_percent,
    _money,
    _money_pence,
    _number,
    _count,
    _ratio,
    _percent,
    _factor,
    _year,
    _total_money,
    _highlight,
)


def _undefined() -> NamedStyle:
    """An undefined figure: the word "undefined", italic grey and right-aligned."""
    return NamedStyle(
        "cba undefined",
        font=_font(italic=True, colour=GREY),
        alignment=Alignment(horizontal="right"),
    )


def _integer() -> NamedStyle:
    """A count of whole things (volunteers, households, year offsets) as a plain integer."""
    return _plain("cba integer", INTEGER_FORMAT)


def _header_number() -> NamedStyle:
    """The header of a column of figures: as "cba header", right-aligned over the figures."""
    return NamedStyle(
        "cba header number",
        font=_font(bold=True),
        fill=_fill(HEADER_FILL_COLOUR),
        border=_rule(bottom=True),
        alignment=Alignment(horizontal="right", wrap_text=True, vertical="bottom"),
    )


_OPTIONAL_BUILDERS: tuple[Callable[[], NamedStyle], ...] = (_undefined, _integer, _header_number)

OPTIONAL_STYLES: tuple[str, ...] = ("cba undefined", "cba integer", "cba header number")
"""Named styles cba adds to a workbook whose template lacks them, so templates built before
these styles existed keep working; a template that defines one restyles it."""


def add_optional_styles(workbook: Workbook) -> None:
    """Add each of :data:`OPTIONAL_STYLES` the workbook (from its template) lacks, in order."""
    present = set(workbook.named_styles)
    for build in _OPTIONAL_BUILDERS:
        style = build()
        if style.name not in present:
            workbook.add_named_style(style)
            present.add(style.name)


def named_styles() -> list[NamedStyle]:
    """Fresh copies of every cba named style, in the order of :data:`REQUIRED_STYLES`.

    Fresh objects each call: openpyxl binds a ``NamedStyle`` to the first workbook it is added
    to, so one object must not be shared between workbooks.
    """
    styles = [build() for build in _BUILDERS]
    names = tuple(style.name for style in styles)
    if names != REQUIRED_STYLES:  # a programming error: keep the two lists in step
        raise RuntimeError(f"named styles {names} do not match REQUIRED_STYLES")
    return styles


def style_purposes() -> dict[str, str]:
    """Each style's name and the first line of its docstring: what the style is for."""
    purposes: dict[str, str] = {}
    for build in _BUILDERS:
        doc = build.__doc__ or ""
        purposes[build().name] = doc.strip().splitlines()[0] if doc else ""
    return purposes
