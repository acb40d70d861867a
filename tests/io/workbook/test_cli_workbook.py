"""`cba run` and the workbook: output paths, templates, and files it must not replace."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from cba.cli import main
from cba.io.workbook.template import DEFAULT_TEMPLATE
from tests.io.workbook.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "400")


def test_default_workbook_path_and_named_output(tmp_path: Path) -> None:
    assert main(["run", str(SCENARIO), "-q"]) == 0
    assert (tmp_path / "out" / "balsall_heath_community_safety.xlsx").exists()
    assert main(["run", str(SCENARIO), "-q", "-o", "mine.xlsx", "--json", "mine.json"]) == 0
    book = openpyxl.load_workbook(tmp_path / "mine.xlsx")
    assert book["Cover"]["B4"].value.startswith("Resident street patrols")


def test_branded_template_is_used(tmp_path: Path) -> None:
    branded = tmp_path / "branded.xlsx"
    book = openpyxl.load_workbook(DEFAULT_TEMPLATE)
    book["Cover"]["A1"] = "Balsall Heath Forum"
    book.save(branded)
    assert main(["run", str(SCENARIO), "-q", "-o", "b.xlsx", "--template", str(branded)]) == 0
    out = openpyxl.load_workbook(tmp_path / "b.xlsx")
    assert out["Cover"]["A1"].value == "Balsall Heath Forum"
    props = {p.name: p.value for p in out.custom_doc_props}
    assert props["cba_command"].endswith(f"--template {branded}")


def test_bad_template_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.xlsx"
    openpyxl.Workbook().save(bad)  # no cba styles
    code = main(
        ["run", str(SCENARIO), "-q", "-o", "x.xlsx", "--json", "x.json", "--template", str(bad)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "lacks" in err
    assert "named cell styles" in err
    assert not (tmp_path / "x.xlsx").exists()
    assert not (tmp_path / "x.json").exists()


def test_foreign_workbook_is_not_replaced_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "budget.xlsx"
    openpyxl.Workbook().save(foreign)
    before = foreign.read_bytes()
    assert main(["run", str(SCENARIO), "-q", "-o", str(foreign)]) == 2
    assert "was not written by cba" in capsys.readouterr().err
    assert foreign.read_bytes() == before
    assert main(["run", str(SCENARIO), "-q", "-o", str(foreign), "--force"]) == 0
    assert foreign.read_bytes() != before
    # a cba workbook is replaced without --force
    assert main(["run", str(SCENARIO), "-q", "-o", str(foreign)]) == 0


def test_several_scenarios_need_an_output_folder(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    scenarios = ROOT / "scenarios"
    assert main(["run", str(scenarios), "-q", "-o", str(folder), "--json", str(folder)]) == 0
    assert len(list(folder.glob("*.xlsx"))) == len(list(scenarios.glob("*.yaml")))
    assert main(["run", str(scenarios), "-q", "-o", "one.xlsx"]) == 2
    shutil.rmtree(folder)
