"""The strategy-map diagram: layout by kind, labels shown as typed, highlight and legend,
A4 readability, and the same bytes on every run and machine (cba.io.strategy_map_diagram)."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import struct
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as ET
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cba.io.strategy_map_diagram import (
    A4_LANDSCAPE_PRINTABLE_WIDTH_PT,
    FONT_DIR,
    FONT_FILES,
    INK,
    KIND_HEADINGS,
    MINIMUM_FONT_SIZE,
    PNG_DPI,
    SECTOR_NAMES,
    DiagramError,
    DiagramLink,
    DiagramNode,
    MapDiagram,
    RenderedDiagram,
    printed_font_size,
    render_diagram,
)

SVG = "{http://www.w3.org/2000/svg}"
N, L = DiagramNode, DiagramLink


def community_safety() -> MapDiagram:
    """A realistic map: community safety in a neighbourhood, with a least-cost mix chosen."""
    nodes = (
        N("officer_hours", "Police officer hours", "input", "public",
          "£38.50 per officer hour", True),
        N("pcso_hours", "PCSO hours", "input", "public", "£24.10 per PCSO hour", True),
        N("council_grant", "Council grant", "input", "public", "£ of grant"),
        N("volunteer_hours", "Resident volunteer hours", "input", "community",
          "valued at £13.50 per hour", True),
        N("coordinator_hours", "Coordinator hours", "input", "third_sector", "£21.00 per hour",
          True),
        N("victim_time", "Victim and user time", "input", "service_user",
          "hours given to surveys and support"),
        N("foot_patrols", "Foot patrols", "activity", None, "patrol hours a year", True),
        N("street_watch", "Resident street watch", "activity", None, "", True),
        N("target_hardening", "Target hardening (locks, lighting for homes)", "activity", None,
          "homes fitted"),
        N("environment", "Environmental improvements", "activity", None,
          "alleys gated, hedges cut"),
        N("guardianship", "More guardianship", "intermediate", None, "", True),
        N("fewer_opportunities", "Fewer opportunities for offending", "intermediate", None),
        N("reporting", "Higher reporting", "intermediate", None, "", True),
        N("burglaries_avoided", "Burglaries avoided", "final", None, "target 40 a year", True),
        N("asb_avoided", "ASB incidents avoided", "final", None, "target 120 a year", True),
    )  # fmt: skip
    links = (
        L("officer_hours", "foot_patrols", "1 patrol hour per officer hour", True),
        L("pcso_hours", "foot_patrols", "1 patrol hour per PCSO hour", True),
        L("volunteer_hours", "street_watch", "1 watch hour per volunteer hour", True),
        L("coordinator_hours", "street_watch", "8 volunteer hours per coordinator hour", True),
        L("council_grant", "target_hardening", "1 home per £120"),
        L("council_grant", "environment", "1 alley per £2,500"),
        L("victim_time", "reporting", "0.5 reports per hour"),
        L("foot_patrols", "guardianship", "0.8 per patrol hour", True),
        L("street_watch", "guardianship", "0.5 per watch hour", True, True),
        L("street_watch", "reporting", "0.1 reports per watch hour", True),
        L("target_hardening", "fewer_opportunities", "1 per home"),
        L("environment", "fewer_opportunities", "30 per alley", False, True),
        L("guardianship", "burglaries_avoided", "0.02 per unit", True, True),
        L("guardianship", "asb_avoided", "0.05 per unit", True),
        L("fewer_opportunities", "burglaries_avoided", "0.03 per unit"),
        L("reporting", "asb_avoided", "0.2 per report", True),
    )
    return MapDiagram(
        "Community safety in Balsall Heath: strategy map", nodes, links, "Least-cost mix"
    )


@cache
def rendered(diagram: MapDiagram) -> RenderedDiagram:
    return render_diagram(diagram)


def svg_root(result: RenderedDiagram) -> Element:
    root: Element = ET.fromstring(result.svg)
    return root


def group(root: Element, element_id: str) -> Element:
    found = [g for g in root.iter(f"{SVG}g") if g.get("id") == element_id]
    assert len(found) == 1, f"{element_id}: {len(found)} groups"
    return found[0]


def texts(element: Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def shown(element: Element) -> str:
    """The text of an element's label, its wrapped lines joined by spaces."""
    return " ".join(" ".join(texts(element)).split())


def squashed(text: str) -> str:
    """Text without whitespace: a long word may be broken across lines when it wraps."""
    return "".join(text.split())


def centre_x(element: Element) -> float:
    xs = [float(t.get("x", "nan")) for t in element.iter(f"{SVG}text")]
    return sum(xs) / len(xs)


def outline(element: Element) -> Element:
    shapes = [e for e in element if e.tag in (f"{SVG}polygon", f"{SVG}path")]
    return shapes[0]


def width_pt(result: RenderedDiagram) -> float:
    match = re.search(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"', result.svg)
    assert match
    return float(match.group(1))


# --- layout ------------------------------------------------------------------------------------


def test_columns_run_inputs_activities_intermediate_final_left_to_right() -> None:
    diagram = community_safety()
    root = svg_root(rendered(diagram))
    columns: dict[str, list[float]] = {}
    for node in diagram.nodes:
        columns.setdefault(node.kind, []).append(centre_x(group(root, f"node-{node.id}")))
    order = ["input", "activity", "intermediate", "final"]
    for left, right in itertools.pairwise(order):
        assert max(columns[left]) < min(columns[right]), (left, right, columns)
    # Each column's heading stands above it, in the same order.
    headings = [group(root, f"heading-{rank}") for rank in range(4)]
    assert [shown(h) for h in headings] == [KIND_HEADINGS[k] for k in order]  # type: ignore[index]
    heading_x = [centre_x(h) for h in headings]
    assert heading_x == sorted(heading_x)
    heading_y = {float(t.get("y", "nan")) for h in headings for t in h.iter(f"{SVG}text")}
    node_y = [float(t.get("y", "nan")) for n in diagram.nodes for t in
              group(root, f"node-{n.id}").iter(f"{SVG}text")]  # fmt: skip
    assert max(heading_y) < min(node_y)  # SVG y grows downwards


def test_inputs_are_boxed_by_sector() -> None:
    diagram = community_safety()
    root = svg_root(rendered(diagram))
    for sector in ("public", "community", "third_sector", "service_user"):
        box = group(root, f"sector-{sector}")
        assert shown(box) == SECTOR_NAMES[sector]  # type: ignore[index]
    with pytest.raises(AssertionError):
        group(root, "sector-private")  # no private input, no box


def test_a_link_inside_a_kind_opens_a_second_column_and_a_cycle_moves_nothing() -> None:
    diagram = MapDiagram(
        "",
        (
            N("a", "Grant", "input", "private"),
            N("b", "Work", "activity", None),
            N("c", "First", "intermediate", None),
            N("d", "Second", "intermediate", None),
            N("e", "End", "final", None),
        ),
        (
            L("a", "b", "r1"),
            L("b", "c", "r2"),
            L("c", "d", "r3"),
            L("d", "c", "feedback"),
            L("d", "e", "r4"),
            L("e", "a", "loop back"),
        ),
    )
    root = svg_root(rendered(diagram))
    x = {n.id: centre_x(group(root, f"node-{n.id}")) for n in diagram.nodes}
    assert x["a"] < x["b"] < x["c"] < x["d"] < x["e"]
    # The second intermediate column has no heading of its own (its anchor is invisible).
    headings = [shown(group(root, f"heading-{rank}")) for rank in (0, 1, 2, 4)]
    assert headings == list(KIND_HEADINGS.values())
    assert b'id="heading-3"' not in rendered(diagram).svg


# --- labels ------------------------------------------------------------------------------------


def test_every_label_is_shown_once() -> None:
    diagram = community_safety()
    result = rendered(diagram)
    root = svg_root(result)
    all_text = " ".join(" ".join(texts(root)).split())
    for node in diagram.nodes:
        expected = " ".join(f"{node.label} {node.detail}".split())
        assert shown(group(root, f"node-{node.id}")) == expected
        assert all_text.count(node.label) == 1, node.label
    for index, link in enumerate(diagram.links):
        mark = "▾ " if link.diminishing else ""
        assert shown(group(root, f"link-{index}")) == mark + link.label
    assert all_text.count(diagram.title) == 1


NASTY = [
    "<b>x</b>",
    '"; rankdir=TB; "',
    "\\N \\G \\L \\n \\E \\T \\H",
    "a \\ b \\\\ c",
    "&amp; &lt; &#60; & <",
    "{ } [ ] ; -> -- = ' \"",
    "<<TABLE><TR><TD>x</TD></TR></TABLE>>",
    "]; node [shape=none",
]


def nasty_map(labels: list[str]) -> MapDiagram:
    nodes = tuple(
        N(f"n{i}", label, "input" if i % 2 == 0 else "activity",
          "public" if i % 2 == 0 else None, detail=label)
        for i, label in enumerate(labels)
    )  # fmt: skip
    links = tuple(L(f"n{i}", f"n{i + 1}", labels[i]) for i in range(0, len(labels) - 1, 2))
    return MapDiagram(labels[0], nodes, links, highlight=labels[-1])


def test_markup_dot_syntax_and_escapes_are_shown_literally() -> None:
    diagram = nasty_map(NASTY)
    result = rendered(diagram)
    root = svg_root(result)
    for i, label in enumerate(NASTY):
        assert squashed(shown(group(root, f"node-n{i}"))) == squashed(label * 2)
    for index, link in enumerate(diagram.links):
        assert squashed(shown(group(root, f"link-{index}"))) == squashed(link.label)
    # The title and the highlight stay text too, and no label changed the layout direction.
    assert squashed(NASTY[0]) in squashed(shown(root))
    assert squashed(NASTY[-1]) in squashed(shown(root))
    assert centre_x(group(root, "node-n0")) < centre_x(group(root, "node-n1"))
    assert result.dot.count('rankdir="LR"') == 1
    assert "rankdir=TB" not in result.dot.replace("&quot;; rankdir=TB; &quot;", "")


@settings(max_examples=8, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
            min_size=1,
            max_size=40,
        ).filter(lambda s: s.strip() and s == " ".join(s.split())),
        min_size=2,
        max_size=4,
    )
)
def test_any_text_is_shown_as_typed(labels: list[str]) -> None:
    import unicodedata

    diagram = nasty_map(labels)
    root = svg_root(render_diagram(diagram))
    for i, label in enumerate(labels):
        expected = unicodedata.normalize("NFC", f"{label} {label}")
        assert squashed(shown(group(root, f"node-n{i}"))) == squashed(expected)


def test_control_characters_and_line_breaks_do_not_break_the_drawing() -> None:
    diagram = nasty_map(["a\nb", "tab\there", "nul\x00bell\x07", "end\r\n"])
    root = svg_root(rendered(diagram))
    assert shown(group(root, "node-n0")) == "a b a b"
    assert shown(group(root, "node-n2")) == "nul\ufffdbell\ufffd nul\ufffdbell\ufffd"


# --- highlight and legend ----------------------------------------------------------------------


def test_chosen_nodes_and_links_are_dark_and_thick_the_rest_grey_and_dashed() -> None:
    diagram = community_safety()
    root = svg_root(rendered(diagram))
    for node in diagram.nodes:
        shape = outline(group(root, f"node-{node.id}"))
        if node.chosen:
            assert shape.get("stroke") == INK.lower() or shape.get("stroke") == INK
            assert float(shape.get("stroke-width", "1")) > 2
            assert shape.get("stroke-dasharray") is None
        else:
            assert shape.get("stroke-dasharray") is not None
            assert float(shape.get("stroke-width", "1")) <= 1
    for index, link in enumerate(diagram.links):
        path = group(root, f"link-{index}").find(f"{SVG}path")
        assert path is not None
        assert (path.get("stroke-dasharray") is None) == link.chosen
        assert (float(path.get("stroke-width", "1")) > 2) == link.chosen


def test_nothing_is_dashed_without_a_highlight() -> None:
    diagram = community_safety()
    plain = MapDiagram(diagram.title, diagram.nodes, diagram.links, highlight="")
    result = rendered(plain)
    assert b"stroke-dasharray" not in result.svg
    assert "Least-cost mix" not in shown(svg_root(result))


def test_legend_names_the_sectors_present_the_highlight_and_diminishing_returns() -> None:
    diagram = community_safety()
    root = svg_root(rendered(diagram))
    legend = shown(root)
    for name in ("Public sector", "Third sector", "Service users", "Community"):
        assert texts(root).count(name) == 2  # the legend and the sector's box
    assert "Private sector" not in legend
    assert "Least-cost mix" in legend
    assert "not chosen" in legend
    assert "diminishing returns" in legend
    no_diminishing = MapDiagram(
        diagram.title,
        diagram.nodes,
        tuple(L(k.source, k.target, k.label, k.chosen) for k in diagram.links),
        diagram.highlight,
    )
    assert "diminishing" not in shown(svg_root(rendered(no_diminishing)))


# --- size --------------------------------------------------------------------------------------


def test_text_is_at_least_8_pt_when_the_png_fills_an_a4_landscape_page() -> None:
    result = rendered(community_safety())
    width = width_pt(result)
    assert printed_font_size(MINIMUM_FONT_SIZE, width) >= 8.0
    assert printed_font_size(9.0, A4_LANDSCAPE_PRINTABLE_WIDTH_PT) == pytest.approx(9.0)
    # No text in the drawing is smaller than the minimum.
    sizes = {float(s) for s in re.findall(rb'font-size="([\d.]+)"', result.svg)}
    assert min(sizes) == MINIMUM_FONT_SIZE
    # The PNG is the SVG at PNG_DPI, and says so.
    png_width, _ = struct.unpack(">II", result.png[16:24])
    assert png_width == pytest.approx(width / 72 * PNG_DPI, rel=0.03)
    assert png_width / (27 / 2.54) >= 150  # dots per inch once printed across the page
    assert result.png[37:41] == b"pHYs"
    per_metre = struct.unpack(">I", result.png[41:45])[0]
    assert per_metre == round(PNG_DPI / 0.0254)


# --- determinism -------------------------------------------------------------------------------

RENDER_AND_HASH = textwrap.dedent(
    """
    import hashlib, sys
    sys.path.insert(0, sys.argv[1])
    from test_strategy_map_diagram import community_safety
    from cba.io.strategy_map_diagram import render_diagram
    r = render_diagram(community_safety())
    for part in (r.dot.encode(), r.svg, r.png):
        print(hashlib.sha256(part).hexdigest())
    """
)


def digests(result: RenderedDiagram) -> list[str]:
    return [hashlib.sha256(p).hexdigest() for p in (result.dot.encode(), result.svg, result.png)]


def test_the_same_map_gives_the_same_bytes() -> None:
    first = render_diagram(community_safety())
    assert first == render_diagram(community_safety())
    assert first.svg.startswith(b"<?xml")
    assert first.png.startswith(b"\x89PNG")
    for text in (first.dot, first.svg.decode()):
        assert "/tmp" not in text
        assert str(Path.home()) not in text
        assert "cba-diagram-" not in text


def test_the_same_bytes_in_another_process_with_another_home_and_system_fonts(
    tmp_path: Path,
) -> None:
    expected = digests(rendered(community_safety()))
    # A home with its own fontconfig file that would swap every font, and XDG folders.
    (tmp_path / "fontconfig").mkdir()
    (tmp_path / "fontconfig" / "fonts.conf").write_text(
        '<?xml version="1.0"?><fontconfig><alias><family>DejaVu Sans</family>'
        "<prefer><family>Liberation Serif</family></prefer></alias></fontconfig>",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path),
        "FONTCONFIG_FILE": str(tmp_path / "fontconfig" / "fonts.conf"),
        "LANG": "de_DE.UTF-8",
    }
    done = subprocess.run(
        [sys.executable, "-c", RENDER_AND_HASH, str(Path(__file__).parent)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == expected


def test_this_process_and_its_children_keep_their_font_settings() -> None:
    before = dict(os.environ)
    rendered(community_safety())
    render_diagram(MapDiagram("x", (N("a", "A", "final", None),), ()))
    assert dict(os.environ) == before


def test_the_shipped_fonts_are_the_pinned_dejavu_files() -> None:
    pinned = {
        "DejaVuSans.ttf": "abdc775b21b1bc470d50c97e790d276f2054b7504e56e5bd3e64f48d68582322",
        "DejaVuSans-Bold.ttf": "0d977336a6d5fba34eab8e3199eb218327161b5143749f802982c2bc34df0c96",
    }
    assert set(FONT_FILES) == set(pinned)
    for name, digest in pinned.items():
        assert hashlib.sha256((FONT_DIR / name).read_bytes()).hexdigest() == digest
    assert "Bitstream Vera" in (FONT_DIR / "LICENSE").read_text(encoding="utf-8")
    assert not (FONT_DIR / ".uuid").exists()  # fontconfig never wrote into the package


# --- bad data and large maps -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nodes", "links", "fragment"),
    [
        ((N("A b", "x", "final", None),), (), "lowercase letters"),
        ((N("a", "x", "final", None), N("a", "y", "final", None)), (), "used twice"),
        ((N("a", "x", "input", None),), (), "sector None"),
        ((N("a", "x", "final", "public"),), (), "only inputs have a sector"),
        ((N("a", "x", "final", None),), (L("a", "b", "r"),), "no node 'b'"),
    ],
)
def test_inconsistent_data_is_refused(
    nodes: tuple[DiagramNode, ...], links: tuple[DiagramLink, ...], fragment: str
) -> None:
    with pytest.raises(DiagramError, match=re.escape(fragment)):
        render_diagram(MapDiagram("t", nodes, links))


def test_a_map_beyond_the_readable_size_is_still_drawn() -> None:
    import random

    rng = random.Random(3)
    kinds = ["input"] * 20 + ["activity"] * 20 + ["intermediate"] * 15 + ["final"] * 10
    nodes = tuple(
        N(f"n{i}", f"Node {i}", kind, "community" if kind == "input" else None)  # type: ignore[arg-type]
        for i, kind in enumerate(kinds)
    )
    pairs = sorted({(rng.randrange(0, 40), rng.randrange(20, 65)) for _ in range(160)})
    links = tuple(L(f"n{a}", f"n{b}", f"{a}:{b}") for a, b in pairs if a < b)
    result = render_diagram(MapDiagram("Large", nodes, links, "Chosen"))
    root = svg_root(result)
    assert shown(group(root, "node-n64")) == "Node 64"
    assert "xlabel" in result.dot
