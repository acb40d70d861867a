"""A long sweep (up to the schema's 100,000 points) writes a readable Scale sheet quickly."""

from __future__ import annotations

from pathlib import Path

import openpyxl

import cba
from cba.io.workbook import scale_sheet
from cba.io.workbook.writer import write_workbook

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "scenarios" / "volunteer_befriending_scale.yaml"
SWEEP = "options.befriending.scale.sweep.points"


def test_long_sweep_table_keeps_every_point_the_text_names(tmp_path: Path) -> None:
    """Before: 100,000 points wrote 2 million cells (66 s, 1.4 GB) and matched each point to
    its stretch by a scan over every stretch."""
    scenario = cba.with_values(cba.load_scenario(EXAMPLE), {SWEEP: 20_000})
    results = cba.run(scenario)
    curve = results.option("befriending").scale
    assert curve is not None and len(curve.points) >= 20_000
    shown = scale_sheet.table_indexes(curve)
    assert len(shown) <= scale_sheet.MAX_TABLE_POINTS
    assert shown == sorted(set(shown))
    named = {0, len(curve.points) - 1, curve.n0_index, curve.optimum_index}
    named |= {curve.points.index(v) for pair in curve.break_even_ranges for v in pair}
    assert named <= set(shown)
    path = tmp_path / "long.xlsx"
    write_workbook(results, scenario, {"command": "test"}, path)
    sheet = openpyxl.load_workbook(path, read_only=True)["Scale"]
    texts = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(f"The sweep has {len(curve.points):,} points" in t for t in texts)
    assert "highest NPSV" in texts


def test_stretch_of_each_point_matches_a_scan_of_every_stretch() -> None:
    curve = cba.run(cba.load_scenario(EXAMPLE)).option("befriending").scale
    assert curve is not None
    lows = [low for low, _, _ in curve.regimes]
    for point in curve.points:
        scanned = next(
            (
                label
                for low, high, label in curve.regimes
                if low <= point < high or point == high == curve.points[-1]
            ),
            "",
        )
        assert scale_sheet.regime_at(curve, lows, point) == scanned
