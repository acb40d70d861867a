"""The strategy-map diagram: inputs → activities → intermediate outcomes → final outcomes.

A strategy map (Bovaird & Kenny's backwards mapping, "Modelling Birmingham") is drawn from
plain data, a :class:`MapDiagram`, by Graphviz's ``dot`` layout through pygraphviz (its wheel
bundles Graphviz, cairo and pango, so no system package is needed). :func:`render_diagram`
returns the DOT source, an SVG and a PNG; it writes no file the caller can see and uses no
network.

How the picture is made:

- One column per kind, left to right: inputs, activities, intermediate outcomes, final
  outcomes (an empty kind has no column). A link between two nodes of the same kind (an
  intermediate outcome leading to another) opens a second column inside that kind, by the
  longest chain of such links; a link that would run backwards (a cycle, or an outcome
  feeding an input) is drawn but does not move any node. Each column starts with its
  heading, held at the top by invisible ordering edges.
- Inputs are grouped in one box per contributor sector (public, private, third sector,
  service users, community), each box and its nodes tinted with that sector's colour from
  the Okabe-Ito palette, which people with the common forms of colour blindness can tell
  apart; the box is labelled too, so colour is never the only cue. Activities are grey
  boxes, intermediate outcomes rounded boxes, final outcomes rounded double boxes.
- Each link is labelled with its rate. A link with diminishing returns has a "▾" before its
  rate and a hollow arrowhead. When ``highlight`` is set, chosen nodes and links are drawn
  thick and dark, the rest grey, thin and dashed; the legend says what "chosen" means.
- The title and the legend are the graph's label, above the map.

Units and sizes: Graphviz works in points (1/72 inch). Text is 11 pt for node names and
10 pt for everything smaller (:data:`MINIMUM_FONT_SIZE`); long names wrap at
:data:`WRAP_WIDTH` characters so columns stay narrow. The PNG is drawn at :data:`PNG_DPI`
dots per inch and records it in a ``pHYs`` chunk, so a program that honours it shows the map at
its natural size. Scaled to the width of an A4 landscape page's printable area
(:data:`A4_LANDSCAPE_PRINTABLE_WIDTH_PT`, 27 cm), its smallest text is
``MINIMUM_FONT_SIZE * 765 / width_pt`` points, at least 8 pt for the maps of up to about 25
nodes this is for (see :func:`printed_font_size`).

Deterministic bytes: the same :class:`MapDiagram` gives the same DOT, SVG and PNG bytes on
every run and machine with the same locked packages, whatever fonts the machine has (none
at all included). Text is measured and drawn with the DejaVu Sans files shipped in
``cba/io/fonts`` and nothing else:

- Graphviz reads fonts through fontconfig, which is set up once per process, lazily, from
  the environment and the system's ``/etc/fonts``, and is then cached inside the
  pygraphviz library. Setting ``FONTCONFIG_FILE`` in this process before the first render
  works only if nothing in the process has drawn text with pygraphviz before, and it would
  be inherited by every program started later (LibreOffice, which renders the board pack,
  would then see only DejaVu Sans); set after a first render it gives a third, different
  result. So the layout and drawing run in a child Python process (``python -I``) whose
  environment holds only a generated ``fonts.conf`` (one font folder: a private copy of the
  shipped fonts; one cache folder) and a private home. This process's environment is never
  changed.
- The child's files (the copy of the fonts, fontconfig's cache and ``.uuid`` files) live in
  a temporary folder that is removed afterwards. Nothing else is written.
- The output carries no path and no time: the SVG's only comment names the Graphviz
  version, which the lock file pins.

Untrusted text: every label (node names, details, rates, the title and the highlight) is
written as text inside a Graphviz HTML-like label with ``&``, ``<``, ``>``, ``"`` and ``'``
escaped and every backslash doubled (Graphviz expands ``\\N``, ``\\G`` and ``\\E`` even
there), so markup, DOT syntax and DOT's backslash escapes are shown as typed, never
interpreted. Control characters, which no label can
show, become U+FFFD; a line break in a name starts a new line.

References
----------
Bovaird, T. and Kenny, R. "Modelling Birmingham": strategy maps as backwards mapping from
final outcomes to inputs.
Okabe, M. and Ito, K. (2008) "Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people".
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import unicodedata
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

__all__ = [
    "A4_LANDSCAPE_PRINTABLE_WIDTH_PT",
    "DEFAULT_TIMEOUT",
    "FONT_FILES",
    "KIND_HEADINGS",
    "LARGE_MAP_LINKS",
    "LARGE_MAP_NODES",
    "MAX_PNG_SIDE",
    "MINIMUM_FONT_SIZE",
    "PNG_DPI",
    "SECTOR_COLOURS",
    "SECTOR_NAMES",
    "WRAP_WIDTH",
    "DiagramError",
    "DiagramLink",
    "DiagramNode",
    "MapDiagram",
    "NodeKind",
    "RenderedDiagram",
    "Sector",
    "diagram_dot",
    "printed_font_size",
    "render_diagram",
]

NodeKind = Literal["input", "activity", "intermediate", "final"]
"""What a node is: an input a contributor provides, an activity, or an outcome."""

Sector = Literal["public", "private", "third_sector", "service_user", "community"]
"""Who provides an input."""

KINDS: Final[tuple[NodeKind, ...]] = get_args(NodeKind)
SECTORS: Final[tuple[Sector, ...]] = get_args(Sector)

KIND_HEADINGS: Final[Mapping[NodeKind, str]] = {
    "input": "Inputs",
    "activity": "Activities",
    "intermediate": "Intermediate outcomes",
    "final": "Final outcomes",
}
"""Column headings, left to right."""

SECTOR_NAMES: Final[Mapping[Sector, str]] = {
    "public": "Public sector",
    "private": "Private sector",
    "third_sector": "Third sector",
    "service_user": "Service users",
    "community": "Community",
}
"""How each contributor sector is named in the boxes and the legend."""

SECTOR_COLOURS: Final[Mapping[Sector, str]] = {
    "public": "#0072B2",  # Okabe-Ito blue
    "private": "#E69F00",  # orange
    "third_sector": "#009E73",  # bluish green
    "service_user": "#CC79A7",  # reddish purple
    "community": "#F0E442",  # yellow
}
"""Each sector's colour (Okabe-Ito); nodes are filled with a light tint of it."""

WRAP_WIDTH: Final = 22
"""Node names wrap at this many characters [characters]."""

LINK_WRAP_WIDTH: Final = 15
"""Link rates wrap at this many characters [characters]."""

NAME_FONT_SIZE: Final = 11
MINIMUM_FONT_SIZE: Final = 10
"""The smallest text in the diagram: details, rates, legend [pt]. Graphviz reads the size
of a ``<FONT>`` in an HTML-like label as a whole number of points."""

PNG_DPI: Final = 150
"""Resolution of the PNG [dots per inch]: 1,600 to 1,800 pixels across for a 25-node map, about
160 dots per inch once scaled to an A4 landscape page."""

A4_LANDSCAPE_PRINTABLE_WIDTH_PT: Final = 27.0 / 2.54 * 72.0
"""Printable width of an A4 landscape page, 27 cm [pt]."""

MAX_PNG_SIDE: Final = 8000
"""Longest side of the PNG [pixels]; a larger map is drawn at a lower resolution."""

LARGE_MAP_NODES: Final = 60
LARGE_MAP_LINKS: Final = 150
"""Above either count, rates are placed beside their links after the layout (``xlabel``)
instead of taking part in it: ``dot`` lays out a 200-node, 600-link map in about 20 s that
way, against nearly 3 minutes with the labels as layout nodes."""

DEFAULT_TIMEOUT: Final = 600.0
"""Longest a render may take before it is stopped [s]."""

FONT_DIR: Final = Path(__file__).resolve().parent / "fonts"
FONT_FILES: Final = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
"""The only fonts the diagram is measured and drawn with, in ``cba/io/fonts``."""
FONT_FAMILY: Final = "DejaVu Sans"

INK: Final = "#1A1A1A"
MUTED_INK: Final = "#6E6E6E"
MUTED_LINE: Final = "#A6A6A6"
DETAIL_INK: Final = "#404040"
ACTIVITY_FILL: Final = "#E6E6E6"
OUTCOME_FILL: Final = "#FFFFFF"
TINT: Final = 0.30
"""Share of the sector colour in a node's fill (the rest white)."""

DIMINISHING_MARK: Final = "▾"
CHOSEN_LINE: Final = "━━━"
OTHER_LINE: Final = "╍╍╍"

_IDENTIFIER = re.compile(r"[a-z0-9_]+\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class DiagramError(ValueError):
    """The diagram's data is inconsistent, or Graphviz could not draw it."""


@dataclass(frozen=True)
class DiagramNode:
    """One box on the map.

    Attributes
    ----------
    id
        Unique identifier: lowercase letters, digits and underscores.
    label
        The name shown; free text (it is escaped, never interpreted).
    kind
        ``"input"``, ``"activity"``, ``"intermediate"`` or ``"final"``: its column.
    sector
        Who provides an input; ``None`` for every other kind.
    detail
        A second, smaller line, e.g. ``"£38.50 per officer hour"``; empty for none.
    chosen
        The node is in the highlighted mix or pathway (drawn only if the map's
        ``highlight`` is set).
    """

    id: str
    label: str
    kind: NodeKind
    sector: Sector | None
    detail: str = ""
    chosen: bool = False


@dataclass(frozen=True)
class DiagramLink:
    """An arrow from ``source`` to ``target`` (node ids), labelled with its conversion rate.

    Attributes
    ----------
    source, target
        Node ids.
    label
        The rate, e.g. ``"0.02 per patrol hour"``; free text.
    chosen
        The link is in the highlighted mix or pathway.
    diminishing
        The link has diminishing returns: each further unit achieves less. Marked "▾"
        before its rate, with a hollow arrowhead.
    """

    source: str
    target: str
    label: str
    chosen: bool = False
    diminishing: bool = False


@dataclass(frozen=True)
class MapDiagram:
    """A whole strategy map to draw.

    Attributes
    ----------
    title
        Shown above the map; empty for none.
    nodes, links
        In the order given; the order breaks ties in the layout, so it is part of the input.
    highlight
        What ``chosen`` means, e.g. ``"Least-cost mix"``; empty to highlight nothing.
    """

    title: str
    nodes: tuple[DiagramNode, ...]
    links: tuple[DiagramLink, ...]
    highlight: str = ""


@dataclass(frozen=True)
class RenderedDiagram:
    """The drawn map.

    Attributes
    ----------
    dot
        The Graphviz DOT source that was laid out (no positions).
    svg
        The drawing as SVG, UTF-8, sizes in points; text in "DejaVu Sans" (not embedded).
    png
        The drawing as PNG at :data:`PNG_DPI` dots per inch.
    """

    dot: str
    svg: bytes
    png: bytes


def render_diagram(diagram: MapDiagram, *, timeout: float = DEFAULT_TIMEOUT) -> RenderedDiagram:
    """Lay out and draw a strategy map.

    Parameters
    ----------
    diagram
        The map.
    timeout
        Longest the layout and drawing may take [s].

    Returns
    -------
    RenderedDiagram
        The DOT source, SVG and PNG; the same bytes for the same ``diagram`` on every run.

    Raises
    ------
    DiagramError
        Duplicate or malformed ids, a link to an unknown node, a sector on a non-input (or
        none on an input), or Graphviz failing or running past ``timeout``.
    """
    dot = diagram_dot(diagram)
    svg, png, dpi = _draw(dot, _is_large(diagram), timeout)
    return RenderedDiagram(dot=dot, svg=svg, png=_with_resolution(png, dpi))


def printed_font_size(font_size: float, drawing_width_pt: float) -> float:
    """Size text appears at when a drawing is scaled to fill an A4 landscape page's width.

    Parameters
    ----------
    font_size
        Text size in the drawing [pt].
    drawing_width_pt
        The drawing's natural width (the SVG's ``width``) [pt].

    Returns
    -------
    float
        ``font_size * A4_LANDSCAPE_PRINTABLE_WIDTH_PT / drawing_width_pt`` [pt]: the drawing
        is scaled up or down to the page width.
    """
    return font_size * A4_LANDSCAPE_PRINTABLE_WIDTH_PT / drawing_width_pt


# ---------------------------------------------------------------------------------------------
# The DOT source


def diagram_dot(diagram: MapDiagram) -> str:
    """The Graphviz DOT source of the map (no layout); see the module notes for its style.

    Raises
    ------
    DiagramError
        As :func:`render_diagram`.
    """
    _check(diagram)
    highlighting = bool(diagram.highlight.strip())
    large = _is_large(diagram)
    ranks = _ranks(diagram)
    kind_of = {node.id: node.kind for node in diagram.nodes}
    lines = [
        "digraph strategy_map {",
        "  graph ["
        + _attributes(
            {
                "rankdir": "LR",
                "newrank": "true",
                "splines": "spline",
                "nodesep": "0.18",
                "ranksep": "0.22",
                "pad": "0.15",
                "fontname": FONT_FAMILY,
                "bgcolor": "white",
                "labelloc": "t",
                "labeljust": "l",
                "outputorder": "edgesfirst",
                "charset": "UTF-8",
                # Bound the layout's effort on large maps; small maps are unaffected.
                "nslimit": "20",
                "mclimit": "1",
                "searchsize": "100",
            }
        )
        + "];",
        "  node [" + _attributes({"fontname": FONT_FAMILY, "fontsize": _pt(NAME_FONT_SIZE)}) + "];",
        "  edge ["
        + _attributes(
            {"fontname": FONT_FAMILY, "fontsize": _pt(MINIMUM_FONT_SIZE), "arrowsize": "0.7"}
        )
        + "];",
        "  label=<" + _legend(diagram, highlighting) + ">;",
    ]

    column_count = max(ranks.values(), default=-1) + 1
    column_kind = {rank: kind_of[node_id] for node_id, rank in ranks.items()}
    first_rank_of_kind: dict[NodeKind, int] = {}
    for rank in range(column_count):
        first_rank_of_kind.setdefault(column_kind[rank], rank)
    for rank in range(column_count):
        kind = column_kind[rank]
        heading = KIND_HEADINGS[kind] if first_rank_of_kind[kind] == rank else ""
        attributes = {"shape": "plaintext", "margin": "0.02", "id": f"heading-{rank}"}
        if heading:
            attributes["label"] = (
                f'<<FONT POINT-SIZE="{_pt(NAME_FONT_SIZE + 1)}"><B>{_text(heading)}</B></FONT>>'
            )
        else:
            attributes.update(label="", width="0.01", height="0.01", style="invis")
        lines.append(f"  {_quote(_heading_name(rank))} [{_attributes(attributes)}];")

    # Inputs: one box per sector, in the order of SECTORS.
    for sector in SECTORS:
        members = [n for n in diagram.nodes if n.kind == "input" and n.sector == sector]
        if not members:
            continue
        colour = SECTOR_COLOURS[sector]
        lines.append(f"  subgraph {_quote('cluster_' + sector)} {{")
        lines.append(
            "    graph ["
            + _attributes(
                {
                    "style": "rounded,filled",
                    "color": colour,
                    "fillcolor": _tint(colour, 0.10),
                    "penwidth": "1.2",
                    "margin": "6",
                    "labeljust": "l",
                    "labelloc": "t",
                    "id": f"sector-{sector}",
                }
            )
            + "];"
        )
        lines.append(
            f'    label=<<FONT POINT-SIZE="{_pt(MINIMUM_FONT_SIZE)}"><B>'
            f"{_text(SECTOR_NAMES[sector])}</B></FONT>>;"
        )
        lines.extend(f"    {_node_statement(n, highlighting)}" for n in members)
        lines.append("  }")
    lines.extend(
        f"  {_node_statement(n, highlighting)}" for n in diagram.nodes if n.kind != "input"
    )

    # Columns: each rank is its heading and its nodes; headings chained left to right.
    for rank in range(column_count):
        column = [n.id for n in diagram.nodes if ranks[n.id] == rank]
        names = " ".join(_quote(name) for name in [_heading_name(rank), *column])
        lines.append(f"  {{ rank=same; {names} }}")
        lines.extend(
            f"  {_quote(_heading_name(rank))} -> {_quote(member)} [style=invis];"
            for member in column
        )
    lines.extend(
        f"  {_quote(_heading_name(rank))} -> {_quote(_heading_name(rank + 1))}"
        " [style=invis, weight=100];"
        for rank in range(column_count - 1)
    )

    for index, link in enumerate(diagram.links):
        lines.append(
            f"  {_quote(link.source)} -> {_quote(link.target)}"
            f" [{_link_attributes(link, index, ranks, highlighting, large)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _is_large(diagram: MapDiagram) -> bool:
    return len(diagram.nodes) > LARGE_MAP_NODES or len(diagram.links) > LARGE_MAP_LINKS


def _check(diagram: MapDiagram) -> None:
    problems: list[str] = []
    seen: set[str] = set()
    for node in diagram.nodes:
        if not _IDENTIFIER.match(node.id):
            problems.append(
                f"node id {node.id!r}: use lowercase letters, digits and underscores only"
            )
        if node.id in seen:
            problems.append(f"node id {node.id!r} is used twice")
        seen.add(node.id)
        if node.kind not in KINDS:
            problems.append(f"node {node.id!r}: kind {node.kind!r} is not one of {KINDS}")
        if node.kind == "input" and node.sector not in SECTORS:
            problems.append(f"input {node.id!r}: sector {node.sector!r} is not one of {SECTORS}")
        if node.kind != "input" and node.sector is not None:
            problems.append(f"{node.kind} {node.id!r}: only inputs have a sector")
    for link in diagram.links:
        problems.extend(
            f"link {link.source!r} -> {link.target!r}: no node {end!r}"
            for end in (link.source, link.target)
            if end not in seen
        )
    if problems:
        raise DiagramError(f"{len(problems)} problem(s) in the diagram: " + "; ".join(problems))


def _ranks(diagram: MapDiagram) -> dict[str, int]:
    """Column of each node: kinds left to right, a kind split by its own longest chain of links.

    Links inside a kind that would close a cycle are ignored (found by a depth-first search in
    the nodes' order, so the result is deterministic).
    """
    by_kind: dict[NodeKind, list[str]] = {kind: [] for kind in KINDS}
    kind_of: dict[str, NodeKind] = {}
    for node in diagram.nodes:
        by_kind[node.kind].append(node.id)
        kind_of[node.id] = node.kind
    successors: dict[str, list[str]] = {node_id: [] for node_id in kind_of}
    for link in diagram.links:
        if (
            kind_of[link.source] == kind_of[link.target]
            and link.target not in successors[link.source]
            and link.source != link.target
        ):
            successors[link.source].append(link.target)

    ranks: dict[str, int] = {}
    offset = 0
    for kind in KINDS:
        members = by_kind[kind]
        if not members:
            continue
        order = _topological_order(members, successors)
        position = {node_id: i for i, node_id in enumerate(order)}
        layer = dict.fromkeys(members, 0)
        for node_id in order:
            for successor in successors[node_id]:
                if position[successor] > position[node_id]:
                    layer[successor] = max(layer[successor], layer[node_id] + 1)
        for node_id in members:
            ranks[node_id] = offset + layer[node_id]
        offset += max(layer.values()) + 1
    return ranks


def _topological_order(members: Sequence[str], successors: Mapping[str, list[str]]) -> list[str]:
    """Nodes in an order where every link not closing a cycle goes forwards (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    finished: list[str] = []
    for root in members:
        if root in state:
            continue
        state[root] = 1
        stack: list[tuple[str, Iterable[str]]] = [(root, iter(successors[root]))]
        while stack:
            node_id, pending = stack[-1]
            for successor in pending:
                if successor not in state:
                    state[successor] = 1
                    stack.append((successor, iter(successors[successor])))
                    break
            else:
                state[node_id] = 2
                finished.append(node_id)
                stack.pop()
    return finished[::-1]


def _node_statement(node: DiagramNode, highlighting: bool) -> str:
    muted = highlighting and not node.chosen
    stressed = highlighting and node.chosen
    ink = MUTED_INK if muted else INK
    detail_ink = MUTED_INK if muted else DETAIL_INK
    name = _wrapped(node.label, WRAP_WIDTH)
    if node.kind == "final":
        name = f"<B>{name}</B>"
    label = f'<FONT COLOR="{ink}">{name}</FONT>'
    if node.detail.strip():
        label += (
            f'<BR/><FONT POINT-SIZE="{_pt(MINIMUM_FONT_SIZE)}" COLOR="{detail_ink}">'
            f"{_wrapped(node.detail, WRAP_WIDTH + 4)}</FONT>"
        )
    style = ["filled"]
    if node.kind != "activity":
        style.append("rounded")
    if muted:
        style.append("dashed")
    if node.kind == "input" and node.sector is not None:
        fill = _tint(SECTOR_COLOURS[node.sector], TINT)
        border = MUTED_LINE if muted else INK if stressed else SECTOR_COLOURS[node.sector]
    else:
        fill = ACTIVITY_FILL if node.kind == "activity" else OUTCOME_FILL
        border = MUTED_LINE if muted else INK if stressed else "#4D4D4D"
    attributes = {
        "id": f"node-{node.id}",
        "shape": "box",
        "style": ",".join(style),
        "fillcolor": fill,
        "color": border,
        "penwidth": "2.6" if stressed else "1.0",
        "margin": "0.10,0.05",
        "label": f"<{label}>",
    }
    if node.kind == "final":
        attributes["peripheries"] = "2"
    return f"{_quote(node.id)} [{_attributes(attributes)}];"


def _link_attributes(
    link: DiagramLink, index: int, ranks: Mapping[str, int], highlighting: bool, large: bool
) -> str:
    muted = highlighting and not link.chosen
    stressed = highlighting and link.chosen
    text = _wrapped(link.label, LINK_WRAP_WIDTH)
    if link.diminishing:
        text = f"{DIMINISHING_MARK} {text}"
    ink = MUTED_INK if muted else INK
    attributes = {
        "id": f"link-{index}",
        "xlabel" if large else "label": f'<<FONT COLOR="{ink}">{text}</FONT>>',
        "color": MUTED_LINE if muted else INK if stressed else "#595959",
        "penwidth": "2.6" if stressed else "0.9" if muted else "1.2",
    }
    if muted:
        attributes["style"] = "dashed"
    if link.diminishing:
        attributes["arrowhead"] = "empty"
    if ranks[link.source] >= ranks[link.target]:
        # A feedback link, or one inside a column: drawn, but it moves no node.
        attributes["constraint"] = "false"
    return _attributes(attributes)


def _legend(diagram: MapDiagram, highlighting: bool) -> str:
    """The graph label: title, then one row of sector keys, then the line styles."""
    rows: list[str] = []
    if diagram.title.strip():
        rows.append(
            f'<TR><TD ALIGN="LEFT" COLSPAN="1"><FONT POINT-SIZE="{_pt(NAME_FONT_SIZE + 3)}"><B>'
            f"{_wrapped(diagram.title, 90)}</B></FONT></TD></TR>"
        )
    small = f'POINT-SIZE="{_pt(MINIMUM_FONT_SIZE)}"'
    sectors = [s for s in SECTORS if any(n.sector == s for n in diagram.nodes)]
    if sectors:
        cells = [f'<TD ALIGN="LEFT"><FONT {small}>Inputs from:</FONT></TD>']
        for sector in sectors:
            cells.append(
                f'<TD WIDTH="16" HEIGHT="11" FIXEDSIZE="TRUE" BORDER="1" '
                f'COLOR="{SECTOR_COLOURS[sector]}" BGCOLOR="{_tint(SECTOR_COLOURS[sector], TINT)}">'
                "</TD>"
                f'<TD ALIGN="LEFT"><FONT {small}>{_text(SECTOR_NAMES[sector])}</FONT></TD>'
            )
        rows.append(_legend_row(cells))
    keys: list[str] = []
    if highlighting:
        keys.append(
            f'<TD ALIGN="LEFT"><FONT {small} COLOR="{INK}"><B>{CHOSEN_LINE}</B> '
            f"{_wrapped(diagram.highlight, 60)}</FONT></TD>"
            f'<TD ALIGN="LEFT"><FONT {small} COLOR="{MUTED_INK}">'
            f"{OTHER_LINE} not chosen</FONT></TD>"
        )
    if any(link.diminishing for link in diagram.links):
        keys.append(
            f'<TD ALIGN="LEFT"><FONT {small}>{DIMINISHING_MARK} rate with diminishing returns '
            "(each further unit achieves less)</FONT></TD>"
        )
    if keys:
        rows.append(_legend_row(keys))
    if not rows:
        return ""
    return (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" ID="legend">'
        + "".join(rows)
        + "</TABLE>"
    )


def _legend_row(cells: Sequence[str]) -> str:
    return (
        '<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">'
        "<TR>" + "".join(cells) + "</TR></TABLE></TD></TR>"
    )


def _heading_name(rank: int) -> str:
    # A hyphen cannot occur in a node id, so these never clash with the map's nodes.
    return f"heading-{rank}"


def _text(value: str) -> str:
    """Escape text for a Graphviz HTML-like label: shown as typed, never interpreted."""
    cleaned = _CONTROL.sub("\ufffd", value.replace("\t", " "))
    # Graphviz expands \\N, \\G, \\E and others even in HTML-like labels; a doubled
    # backslash is shown as one.
    escaped = html.escape(unicodedata.normalize("NFC", cleaned), quote=True)
    return escaped.replace("\\", "\\\\")


def _wrapped(value: str, width: int) -> str:
    """Escaped text, wrapped at ``width`` characters into lines joined by ``<BR/>``."""
    lines: list[str] = []
    for paragraph in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        pieces = textwrap.wrap(paragraph, width=width, break_on_hyphens=True) or [""]
        lines.extend(pieces)
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return '<BR ALIGN="CENTER"/>'.join(_text(line) for line in lines)


def _quote(name: str) -> str:
    """A DOT double-quoted string."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attributes(values: Mapping[str, str]) -> str:
    parts = []
    for key, value in values.items():
        if value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")  # an HTML-like label, built from escaped text
        else:
            parts.append(f"{key}={_quote(value)}")
    return ", ".join(parts)


def _pt(size: float) -> str:
    return f"{size:g}"


def _tint(colour: str, share: float) -> str:
    """``colour`` mixed with white, ``share`` of the colour [fraction]."""
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(c * share + 255 * (1 - share)) for c in channels)
    return "#" + "".join(f"{c:02X}" for c in mixed)


# ---------------------------------------------------------------------------------------------
# Drawing, in a child process that sees only the shipped fonts

_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{font_dir}</dir>
  <cachedir>{cache_dir}</cachedir>
  <config><rescan><int>0</int></rescan></config>
  <match target="font">
    <edit name="antialias" mode="assign"><bool>true</bool></edit>
    <edit name="hinting" mode="assign"><bool>true</bool></edit>
    <edit name="hintstyle" mode="assign"><const>hintslight</const></edit>
    <edit name="autohint" mode="assign"><bool>false</bool></edit>
    <edit name="rgba" mode="assign"><const>none</const></edit>
    <edit name="lcdfilter" mode="assign"><const>lcdnone</const></edit>
    <edit name="embeddedbitmap" mode="assign"><bool>false</bool></edit>
  </match>
</fontconfig>
"""

# Run with ``python -I -c``: reads DOT on stdin, writes the SVG and the PNG, each preceded by
# its length (8 bytes, big-endian), on stdout.
_WORKER = """
import struct, sys
sys.path.insert(0, sys.argv[1])
import pygraphviz
from pygraphviz import graphviz as gv

def render(context, handle, fmt):
    error, data = gv.gvRenderData(context, handle, fmt)
    if error or not data:
        sys.exit("Graphviz could not draw the diagram as " + fmt.decode())
    return data

graph = pygraphviz.AGraph(string=sys.stdin.buffer.read().decode("utf-8"))
context = gv.gvContextWithBuiltins()
if gv.gvLayout(context, graph.handle, b"dot") != 0:
    sys.exit("Graphviz could not lay out the diagram")
svg = render(context, graph.handle, b"svg")
render(context, graph.handle, b"dot")  # records the positions on the graph
gv.gvFreeLayout(context, graph.handle)
# The PNG: a small map is laid out again at its resolution (exact); a large one reuses the
# positions (nop2), at a resolution that keeps it under the largest size in pixels.
_, _, width, height = (float(v) for v in graph.graph_attr["bb"].split(","))
dpi = min(float(sys.argv[2]), float(sys.argv[3]) * 72.0 / max(width, height, 1.0))
dpi = float(int(dpi))
graph.graph_attr["dpi"] = repr(dpi)
if gv.gvLayout(context, graph.handle, sys.argv[4].encode()) != 0:
    sys.exit("Graphviz could not reuse the layout")
png = render(context, graph.handle, b"png:cairo")
gv.gvFreeLayout(context, graph.handle)
gv.gvFreeContext(context)
for data in (svg, png, repr(dpi).encode()):
    sys.stdout.buffer.write(struct.pack(">Q", len(data)) + data)
sys.stdout.buffer.flush()
"""


def _draw(dot: str, large: bool, timeout: float) -> tuple[bytes, bytes, float]:
    png_layout = "nop2" if large else "dot"
    # Only the child imports pygraphviz; this finds the folder it is installed in.
    spec = importlib.util.find_spec("pygraphviz")
    if spec is None or spec.origin is None:
        raise DiagramError("pygraphviz is not installed; it draws the strategy-map diagram")
    site = str(Path(spec.origin).resolve().parent.parent)
    with tempfile.TemporaryDirectory(prefix="cba-diagram-") as scratch:
        root = Path(scratch)
        font_dir, cache_dir, home = root / "fonts", root / "cache", root / "home"
        for folder in (font_dir, cache_dir, home):
            folder.mkdir()
        for name in FONT_FILES:
            # A private copy: fontconfig writes a .uuid file into every font folder it scans.
            shutil.copyfile(FONT_DIR / name, font_dir / name)
        conf = root / "fonts.conf"
        conf.write_text(
            _FONTS_CONF.format(font_dir=_text(str(font_dir)), cache_dir=_text(str(cache_dir))),
            encoding="utf-8",
        )
        env = {
            "FONTCONFIG_FILE": str(conf),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home),
            "XDG_CACHE_HOME": str(cache_dir),
            "XDG_DATA_HOME": str(home),
            "XDG_DATA_DIRS": str(home),
            "XDG_CONFIG_DIRS": str(home),
        }
        if "SYSTEMROOT" in os.environ:  # Windows needs it to start Python at all
            env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-I",
                    "-c",
                    _WORKER,
                    site,
                    str(PNG_DPI),
                    str(MAX_PNG_SIDE),
                    png_layout,
                ],
                input=dot.encode("utf-8"),
                capture_output=True,
                env=env,
                cwd=root,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DiagramError(
                f"Graphviz took longer than {timeout:g} s to draw the diagram"
            ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiagramError(
            "Graphviz could not draw the diagram: " + (message[-1] if message else "no message")
        )
    return _unpack(done.stdout)


def _unpack(stream: bytes) -> tuple[bytes, bytes, float]:
    parts: list[bytes] = []
    offset = 0
    while offset < len(stream):
        (size,) = struct.unpack_from(">Q", stream, offset)
        parts.append(stream[offset + 8 : offset + 8 + size])
        offset += 8 + size
    if len(parts) != 3:
        raise DiagramError("Graphviz returned an incomplete drawing")
    return parts[0], parts[1], float(parts[2])


def _with_resolution(png: bytes, dpi: float) -> bytes:
    """The PNG with a ``pHYs`` chunk saying ``dpi``, placed right after the header chunk."""
    signature_and_header = 8 + 8 + 13 + 4
    if not png.startswith(b"\x89PNG\r\n\x1a\n") or png[12:16] != b"IHDR":
        raise DiagramError("Graphviz returned something that is not a PNG")
    if b"pHYs" in png[: signature_and_header + 64]:
        return png
    per_metre = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return png[:signature_and_header] + chunk + png[signature_and_header:]
