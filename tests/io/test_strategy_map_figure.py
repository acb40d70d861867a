"""The strategy map's diagram as cba ships it: drawn from the results with the mix
highlighted, marked as cba's, written beside the workbook, replaced only when cba wrote it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cba
from cba.io.outputs import is_cba_diagram
from cba.io.strategy_map_figure import diagram_of, diagram_paths, marked_png, rendered
from cba.strategy_map import appraise_map

ROOT = Path(__file__).resolve().parents[2]
SAFETY = ROOT / "scenarios" / "community_safety_strategy_map.yaml"


def test_the_mix_is_highlighted_and_every_node_and_link_is_drawn() -> None:
    appraisal = appraise_map(cba.load_scenario(SAFETY))
    diagram = diagram_of(appraisal)
    assert diagram.highlight == "Least-cost mix"
    assert {n.id for n in diagram.nodes} == {n.node_id for n in appraisal.nodes}
    assert len(diagram.links) == len(appraisal.links)
    chosen = {(link.source, link.target) for link in diagram.links if link.chosen}
    flows = {
        (li.source, li.target) for li in appraisal.links if li.link_id in appraisal.mix.link_flows
    }
    assert chosen == flows and chosen
    inputs = {n.id: n for n in diagram.nodes if n.kind == "input"}
    assert inputs["volunteer_hours"].sector == "community"
    assert inputs["householder_hours"].sector == "service_user"
    assert "£15.75 per volunteer hour" in inputs["volunteer_hours"].detail


def test_files_carry_the_mark_and_a_foreign_file_does_not(tmp_path: Path) -> None:
    drawn = rendered(appraise_map(cba.load_scenario(SAFETY)))
    svg, png = tmp_path / "a.svg", tmp_path / "a.png"
    svg.write_bytes(drawn.svg)
    png.write_bytes(drawn.png)
    assert is_cba_diagram(svg) and is_cba_diagram(png)
    assert drawn.svg.lstrip().startswith(b"<?xml")
    other = tmp_path / "b.png"
    other.write_bytes(drawn.png.replace(b"cba strategy-map diagram", b"someone else's image!!"))
    assert not is_cba_diagram(other)
    # The mark is a valid chunk: the PNG still opens.
    from PIL import Image

    with Image.open(png) as image:
        assert image.size[0] > 1000
    assert marked_png(b"\x89PNG\r\n\x1a\n" + b"\0" * 25)[37:41] == b"tEXt"


def cba_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cba", "run", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_cba_run_writes_the_diagram_beside_the_workbook_and_keeps_foreign_files(
    tmp_path: Path,
) -> None:
    book = tmp_path / "safety.xlsx"
    done = cba_run(str(SAFETY), "-o", str(book), "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    svg, png = diagram_paths(book)
    assert svg.name == "safety.strategy-map.svg" and png.name == "safety.strategy-map.png"
    first = (svg.read_bytes(), png.read_bytes())
    again = cba_run(str(SAFETY), "-o", str(book), "-q", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (svg.read_bytes(), png.read_bytes()) == first
    png.write_bytes(b"\x89PNG\r\n\x1a\n a photograph")
    refused = cba_run(str(SAFETY), "-o", str(book), "-q", cwd=tmp_path)
    assert refused.returncode == 2
    assert "was not written by cba" in refused.stderr
    assert png.read_bytes() == b"\x89PNG\r\n\x1a\n a photograph"
