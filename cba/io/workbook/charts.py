"""Charts drawn by the engine (templates hold no charts: openpyxl rewrites them lossily).

Settings LibreOffice needs (docs/excel.md): ``smooth = False`` on every line series, every
data-label flag set explicitly, and ``delete = False`` on both axes.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.worksheet.worksheet import Worksheet


def _no_labels() -> DataLabelList:
    labels = DataLabelList()
    labels.showVal = False
    labels.showSerName = False
    labels.showCatName = False
    labels.showLegendKey = False
    labels.showPercent = False
    labels.showLeaderLines = False
    return labels


def _axes_visible(chart: BarChart | LineChart | ScatterChart) -> None:
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _column_chart(title: str, y_title: str | None) -> BarChart:
    """A column chart with LibreOffice-safe labels and visible axes, not yet filled."""
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.dataLabels = _no_labels()
    _axes_visible(chart)
    return chart


def bar_chart(
    sheet: Worksheet,
    title: str,
    y_title: str,
    categories: Reference,
    data: Reference,
    anchor: str,
    titles_from_data: bool = True,
) -> BarChart:
    """A clustered column chart of ``data`` (series in columns) over ``categories``."""
    chart = _column_chart(title, y_title)
    chart.grouping = "clustered"
    chart.add_data(data, titles_from_data=titles_from_data)
    chart.set_categories(categories)
    chart.width, chart.height = 22, 11
    sheet.add_chart(chart, anchor)
    return chart


def bar_and_line_chart(
    sheet: Worksheet,
    title: str,
    y_title: str,
    categories: Reference,
    bars: tuple[str, Reference],
    line: tuple[str, Reference],
    anchor: str,
) -> BarChart:
    """Columns for annual values with a line for their cumulative sum: (series title,
    values) pairs, values along a row."""
    chart = _column_chart(title, y_title)
    chart.series.append(Series(bars[1], title=bars[0]))
    chart.set_categories(categories)
    cumulative = LineChart()
    line_series = Series(line[1], title=line[0])
    line_series.smooth = False
    cumulative.series.append(line_series)
    cumulative.set_categories(categories)
    cumulative.dataLabels = _no_labels()
    _axes_visible(cumulative)
    chart += cumulative
    chart.width, chart.height = 22, 10
    sheet.add_chart(chart, anchor)
    return chart


def scatter_lines(
    sheet: Worksheet,
    title: str,
    x_title: str,
    y_title: str,
    x_values: Reference,
    series: list[tuple[str, Reference]],
    anchor: str,
) -> ScatterChart:
    """Lines over a numeric x axis (a scale sweep): straight segments, no markers."""
    chart = ScatterChart()
    chart.title = title
    chart.style = 13
    chart.x_axis.title = x_title
    chart.y_axis.title = y_title
    for name, values in series:
        line = Series(values, x_values, title=name)
        line.smooth = False
        line.marker.symbol = "none"
        chart.series.append(line)
    chart.dataLabels = _no_labels()
    _axes_visible(chart)
    chart.width, chart.height = 22, 11
    sheet.add_chart(chart, anchor)
    return chart


POINT_COLOURS = ("0072B2", "D55E00", "009E73", "CC79A7", "E69F00", "56B4E9", "000000")
"""Okabe-Ito colours (safe for colour-blind readers), in turn."""

MARKERS = ("circle", "square", "diamond", "triangle", "x", "star", "plus", "dash", "dot")
"""Marker shapes, in turn, so that points stay apart in grey print as well as in colour."""


def scatter_points(
    sheet: Worksheet,
    title: str,
    x_title: str,
    y_title: str,
    points: list[tuple[str, Reference, Reference]],
    anchor: str,
) -> ScatterChart:
    """One marked point per series (name, x cell, y cell), no lines; the legend names them."""
    chart = ScatterChart()
    chart.title = title
    chart.style = 13
    chart.x_axis.title = x_title
    chart.y_axis.title = y_title
    chart.x_axis.number_format = "0%"
    chart.x_axis.scaling.min = 0
    chart.x_axis.scaling.max = 1
    chart.scatterStyle = "marker"
    for k, (name, x, y) in enumerate(points):
        point = Series(y, x, title=name)
        point.smooth = False
        point.marker.symbol = MARKERS[k % len(MARKERS)]
        point.marker.size = 10
        colour = POINT_COLOURS[k % len(POINT_COLOURS)]
        point.marker.graphicalProperties = GraphicalProperties(solidFill=colour)
        point.marker.graphicalProperties.line.solidFill = colour
        point.graphicalProperties.line.noFill = True
        chart.series.append(point)
    chart.dataLabels = _no_labels()
    _axes_visible(chart)
    if chart.legend is not None:
        chart.legend.position = "b"
    chart.width, chart.height = 18, 13
    sheet.add_chart(chart, anchor)
    return chart


def horizontal_bars(
    sheet: Worksheet,
    title: str,
    x_title: str,
    categories: Reference,
    series: list[tuple[str, Reference]],
    anchor: str,
) -> BarChart:
    """A tornado: horizontal bars of each series (values down a column) for each category,
    overlapping, the first category at the top."""
    chart = _column_chart(title, x_title)
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.gapWidth = 40
    for name, values in series:
        chart.series.append(Series(values, title=name))
    chart.set_categories(categories)
    chart.x_axis.scaling.orientation = "maxMin"  # the largest swing (first row) on top
    chart.x_axis.tickLblPos = "low"  # input names at the left edge, clear of the bars
    chart.y_axis.crosses = "max"  # with the categories reversed, keep the value axis below
    if chart.legend is not None:
        chart.legend.position = "b"
    chart.width, chart.height = 18, 13
    sheet.add_chart(chart, anchor)
    return chart


WATERFALL_SERIES = (
    ("base above zero", None),
    ("adds value", "2E7D32"),
    ("costs", "C62828"),
    ("net value", "1F4E79"),
    ("base below zero", None),
    ("adds value (below zero)", "2E7D32"),
    ("costs (below zero)", "C62828"),
)
"""The stacked series that draw a waterfall, in stacking order, with their colours (None: an
invisible base that lifts the visible bar to where the step starts)."""


def waterfall_chart(
    sheet: Worksheet,
    title: str,
    y_title: str | None,
    categories: Reference,
    columns: list[Reference],
    anchor: str,
) -> BarChart:
    """A waterfall as stacked columns (spreadsheets' native waterfall charts are not in the
    file format openpyxl writes): ``columns`` are the seven series of ``WATERFALL_SERIES``
    (values down a column, one row per step), where above zero an invisible base lifts the
    rise or fall to its start and below zero a second base does the same downwards, and net
    values stand on zero. Only 'adds value', 'costs' and 'net value' are in the legend."""
    from openpyxl.chart.legend import LegendEntry
    from openpyxl.chart.shapes import GraphicalProperties

    chart = _column_chart(title, y_title)
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 60
    for (name, colour), values in zip(WATERFALL_SERIES, columns, strict=True):
        series = Series(values, title=name)
        series.graphicalProperties = GraphicalProperties()
        if colour is None:
            series.graphicalProperties.noFill = True
            series.graphicalProperties.line.noFill = True
        else:
            series.graphicalProperties.solidFill = colour
            series.graphicalProperties.line.solidFill = colour
        chart.series.append(series)
    chart.set_categories(categories)
    chart.x_axis.tickLblPos = "low"  # step names below the plot, clear of bars below zero
    chart.legend.position = "b"
    chart.legend.legendEntry = [
        LegendEntry(idx=k, delete=True)
        for k, (name, colour) in enumerate(WATERFALL_SERIES)
        if colour is None or "below zero" in name
    ]
    chart.width, chart.height = 28, 9
    sheet.add_chart(chart, anchor)
    return chart
