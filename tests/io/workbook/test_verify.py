"""`cba verify`: an untouched workbook passes; a changed scenario fails and names the figures;
a scenario at a git revision can be used; bad input is exit 2."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cba.cli import main
from tests.io.workbook.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"


def _run(scenario: Path, book: Path, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(cwd)
    assert (
        main(
            ["run", str(scenario), "-o", str(book), "--json", str(book.with_suffix(".json")), "-q"]
        )
        == 0
    )


def test_untouched_workbook_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "book.xlsx"
    _run(SCENARIO, book, ROOT, monkeypatch)
    capsys.readouterr()
    assert main(["verify", str(book)]) == 0
    out = capsys.readouterr().out
    assert "sha256 matches" in out
    assert "figures match" in out


def test_changed_scenario_fails_and_names_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "scenario.yaml"
    shutil.copy(SCENARIO, scenario)
    book = tmp_path / "book.xlsx"
    _run(scenario, book, tmp_path, monkeypatch)
    scenario.write_text(
        scenario.read_text(encoding="utf-8").replace(
            "amount_per_year: 20000", "amount_per_year: 25000"
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["verify", str(book), "--scenario", str(scenario)]) == 3
    out = capsys.readouterr().out
    assert "sha256 differs" in out
    assert "figures differ" in out
    assert "NPSV (community inputs valued)" in out
    assert "Patrol coordinator" in out
    assert "workbook 98,134.663381 vs recomputed 122,668.329226" in out


def test_verify_against_a_git_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    scenario = repo / "scenario.yaml"
    shutil.copy(SCENARIO, scenario)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=repo,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    git("init", "-q")
    git("add", "scenario.yaml")
    git("commit", "-qm", "first")
    first = git("rev-parse", "HEAD").strip()
    book = tmp_path / "book.xlsx"
    _run(scenario, book, repo, monkeypatch)
    scenario.write_text(
        scenario.read_text(encoding="utf-8").replace(
            "amount_per_year: 20000", "amount_per_year: 25000"
        ),
        encoding="utf-8",
    )
    git("commit", "-qam", "second")
    capsys.readouterr()
    assert main(["verify", str(book)]) == 3  # the working tree has moved on
    assert main(["verify", str(book), "--rev", first]) == 0
    assert main(["verify", str(book), "--rev", "HEAD"]) == 3
    assert main(["verify", str(book), "--rev", "no-such-rev"]) == 2


def test_bad_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "missing.xlsx")]) == 2
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert main(["verify", str(tmp_path / "notes.txt")]) == 2
    import openpyxl

    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    assert main(["verify", str(plain)]) == 2
    err = capsys.readouterr().err
    assert "not a cba workbook" in err
    assert "Traceback" not in err


def test_an_edited_input_is_named_first_and_missing_results_are_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    book = tmp_path / "book.xlsx"
    _run(SCENARIO, book, tmp_path, monkeypatch)
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Benefit chain"]
    cell = next(
        c
        for row in sheet.iter_rows()
        for c in row
        if str(c.style).startswith("cba input") and isinstance(c.value, float | int)
    )
    cell.value = float(cell.value) * 0.5
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)  # openpyxl keeps formulas but drops their stored results
    capsys.readouterr()
    assert main(["verify", str(edited), "--scenario", str(SCENARIO)]) == 3
    out = capsys.readouterr().out
    typed = out.index("Inputs that differ from the scenario (1)")
    line = next(x for x in out[typed:].splitlines() if f"Benefit chain!{cell.coordinate}" in x)
    # the cell names the scenario input it stands for, by parameter path
    assert "[options.resident_patrols.benefits.burglary_avoided.deadweight," in line
    assert "fraction kept = 1 - " in line
    assert "formulas have no stored result" in out
    assert "Figures calculated from them" not in out


def test_uncommitted_changes_warn_and_strict_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.email=a@b", "-c", "user.name=cba", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    scenario = tmp_path / "s.yaml"
    shutil.copy(SCENARIO, scenario)
    git("init", "-q")
    git("add", "s.yaml")
    git("commit", "-qm", "v1")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["run", "s.yaml", "-o", "out/s.xlsx", "-q", "--draws", "200", "--strict"]) == 0
    assert "warning" not in capsys.readouterr().err  # committed: nothing to say
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text + "\n# a comment, not committed\n", encoding="utf-8")
    assert main(["verify", "out/s.xlsx"]) == 0  # the figures still match
    assert "has changes not committed to git" in capsys.readouterr().err
    assert main(["verify", "out/s.xlsx", "--strict"]) == 2
    assert main(["run", "s.yaml", "-o", "out/t.xlsx", "-q", "--draws", "200"]) == 0
    assert "warning: s.yaml: has changes not committed" in capsys.readouterr().err
    assert main(["run", "s.yaml", "-o", "out/u.xlsx", "-q", "--draws", "200", "--strict"]) == 2
    assert not (tmp_path / "out" / "u.xlsx").exists()
