"""`cba verify` on Portfolio workbooks: the allocation re-solved from the recorded budget,
draws and objective, and every figure compared."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from cba.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "scenarios" / "budgets" / "ladywood_neighbourhood_budget.yaml"


def allocated(tmp_path: Path, *extra: str) -> Path:
    book = tmp_path / "portfolio.xlsx"
    assert main(["allocate", str(EXAMPLE), "--draws", "20", "-o", str(book), *extra]) == 0
    return book


def test_a_fresh_workbook_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    book = allocated(tmp_path)
    capsys.readouterr()
    monkeypatch.chdir(ROOT)  # the recorded budget path is inside this repository
    assert main(["verify", str(book)]) == 0
    out = capsys.readouterr().out
    assert f"budget: {EXAMPLE}" in out
    assert "budget sha256 matches the workbook's record" in out
    assert "figures match" in out and "differ" not in out


def test_the_recorded_objective_is_used_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = allocated(tmp_path, "--objective", "outcomes", "--outcome", "loneliness_reduced")
    capsys.readouterr()
    assert main(["verify", str(book), "--budget", str(EXAMPLE)]) == 0
    assert "figures match" in capsys.readouterr().out


def test_an_edited_figure_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = allocated(tmp_path)
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Portfolio"]
    # The first chosen scheme's NPSV: a typed figure (column C of the chosen schemes' table).
    row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Scheme") + 1
    sheet.cell(row, 3).value = 123.0
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    capsys.readouterr()
    assert main(["verify", str(edited), "--budget", str(EXAMPLE)]) == 3
    out = capsys.readouterr().out
    assert f"Portfolio!C{row}" in out and "workbook 123" in out


def test_a_changed_budget_gives_other_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = allocated(tmp_path)
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count("total: 1200000") == 1
    text = re.sub(
        r"(scenario: )(\S+)",
        lambda m: m.group(1) + str((EXAMPLE.parent / m.group(2)).resolve()),
        text.replace("total: 1200000", "total: 1100000"),
    )
    changed = tmp_path / "changed_budget.yaml"
    changed.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(book), "--budget", str(changed)]) == 3
    out = capsys.readouterr().out
    assert "budget sha256 differs" in out and "figures differ" in out


def test_scenario_options_are_refused_for_a_portfolio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = allocated(tmp_path)
    capsys.readouterr()
    assert main(["verify", str(book), "--scenario", "x.yaml"]) == 2
    assert "verified against its budget (--budget PATH)" in capsys.readouterr().err
