"""The strategy map's diagram as cba ships it: drawn from the results (the least-cost mix
highlighted), marked as cba's, embedded in the workbook and written beside it as SVG and PNG.

A diagram file carries a mark (an XML comment in the SVG, a ``tEXt`` chunk in the PNG) so that
``cba run`` can replace one it wrote without ``--force`` and refuse any other file.
"""

from __future__ import annotations

import functools
import struct
import zlib
from pathlib import Path

from cba.io.outputs import DIAGRAM_PNG_MARK, DIAGRAM_SVG_MARK
from cba.io.strategy_map_diagram import (
    DiagramLink,
    DiagramNode,
    MapDiagram,
    RenderedDiagram,
    render_diagram,
)
from cba.map_results import MapAppraisal

PNG_MARK_KEY = b"Software"

SUFFIXES = (".strategy-map.svg", ".strategy-map.png")
"""What the diagram files beside a workbook ``<name>.xlsx`` are called: ``<name>`` + these."""


def _money(value: float) -> str:
    return f"£{value:,.2f}" if value < 100 else f"£{value:,.0f}"


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or value == round(value) else f"{value:,.3g}"


def diagram_of(appraisal: MapAppraisal) -> MapDiagram:
    """The map as a diagram: inputs by sector with their unit costs, final outcomes with their
    targets, links labelled with their rates, the least-cost mix highlighted (when there is
    one)."""
    mix = appraisal.mix
    highlight = "Least-cost mix" if mix.status == "optimal" else ""
    used_links = set(mix.link_flows) if highlight else set()
    used_nodes = {n for n, level in mix.levels.items() if level > 0} if highlight else set()
    units = {node.node_id: node.unit for node in appraisal.nodes}
    nodes = []
    for node in appraisal.nodes:
        if node.kind == "input" and node.unit_cost is not None:
            detail = f"{_money(node.unit_cost)} per {node.unit}"
        elif node.kind == "final" and node.target is not None:
            detail = f"target {_amount(node.target)} a year"
        else:
            detail = node.unit
        nodes.append(
            DiagramNode(
                id=node.node_id,
                label=node.name,
                kind=node.kind,
                sector=node.sector if node.kind == "input" else None,  # type: ignore[arg-type]
                detail=detail,
                chosen=node.node_id in used_nodes,
            )
        )
    links = tuple(
        DiagramLink(
            source=link.source,
            target=link.target,
            label=f"{link.rate:,.4g} per {units[link.source]}",
            chosen=link.link_id in used_links,
            diminishing=link.diminishing,
        )
        for link in appraisal.links
    )
    return MapDiagram(
        title=f"Strategy map: {appraisal.title}",
        nodes=tuple(nodes),
        links=links,
        highlight=highlight,
    )


@functools.lru_cache(maxsize=8)
def _rendered(diagram: MapDiagram) -> RenderedDiagram:
    return render_diagram(diagram)


def rendered(appraisal: MapAppraisal) -> RenderedDiagram:
    """The diagram drawn (once per process for the same map and mix), marked as cba's."""
    drawn = _rendered(diagram_of(appraisal))
    return RenderedDiagram(dot=drawn.dot, svg=marked_svg(drawn.svg), png=marked_png(drawn.png))


def marked_svg(svg: bytes) -> bytes:
    """``svg`` with cba's mark after its XML declaration (or first)."""
    mark = DIAGRAM_SVG_MARK + b"\n"
    if svg.startswith(b"<?xml"):
        end = svg.index(b"?>") + 2
        return svg[:end] + b"\n" + mark + svg[end:].lstrip(b"\n")
    return mark + svg


def marked_png(png: bytes) -> bytes:
    """``png`` with a ``tEXt`` chunk carrying cba's mark after its header chunk."""
    data = PNG_MARK_KEY + b"\0" + DIAGRAM_PNG_MARK
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + data) & 0xFFFFFFFF)
    header_end = 8 + 4 + 4 + 13 + 4  # signature, IHDR length, type, data, CRC
    return png[:header_end] + chunk + png[header_end:]


def diagram_paths(workbook: Path) -> tuple[Path, Path]:
    """Where the SVG and PNG go beside ``workbook`` (``book.xlsx`` -> ``book.strategy-map.svg``,
    ``book.strategy-map.png``)."""
    stem = workbook.name[: -len(workbook.suffix)] if workbook.suffix else workbook.name
    svg, png = (workbook.with_name(stem + suffix) for suffix in SUFFIXES)
    return svg, png
