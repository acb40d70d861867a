"""Golden snapshots of every example workbook as reviewable text (sheet -> cell -> value or
formula, number format). Regenerate only on purpose: CBA_REGENERATE_GOLDEN=1 pytest ...
A change here is a change partners will see: say so in CHANGELOG.md."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest

from tests.io.workbook.conftest import EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "golden"
REGENERATE = os.environ.get("CBA_REGENERATE_GOLDEN") == "1"
VOLATILE_SHEETS = {"Provenance"}
"""Values that legitimately change between machines and commits (versions, git commit)."""


def snapshot(path: Path) -> str:
    """The workbook as text: one line per non-empty cell."""
    formulas = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    lines: list[str] = []
    for sheet in formulas.worksheets:
        lines.append(f"== {sheet.title}")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                if sheet.title in VOLATILE_SHEETS and cell.column > 1:
                    continue  # versions, commit, clean state: may be empty or not
                value = cached[sheet.title][cell.coordinate].value
                if isinstance(value, float):
                    value = f"{value:.12g}"
                shown = repr(value)
                formula = (
                    cell.value if isinstance(cell.value, str) and cell.data_type == "f" else ""
                )
                lines.append(
                    f"{cell.coordinate}\t{shown}\t{formula}\t{cell.number_format}\t{cell.style}"
                )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("stem", [p.stem for p in EXAMPLES])
def test_workbook_matches_golden_snapshot(stem: str, example_workbooks: dict[str, Path]) -> None:
    text = snapshot(example_workbooks[stem])
    golden = GOLDEN / f"{stem}.txt"
    if REGENERATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden snapshot for {stem}: run with CBA_REGENERATE_GOLDEN=1"
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        old, new = expected.splitlines(), text.splitlines()
        changed = [f"- {a}\n+ {b}" for a, b in zip(old, new, strict=False) if a != b][:15]
        pytest.fail(
            f"{stem}: workbook differs from {golden.name} ({len(old)} vs {len(new)} "
            "lines). First differences:\n" + "\n".join(changed)
        )


def test_every_example_has_a_golden_snapshot() -> None:
    names = {p.stem for p in GOLDEN.glob("*.txt")}
    assert names == {p.stem for p in EXAMPLES}
