"""The workbook as a file: sheets in order, charts present, text never a formula, reproducible
bytes, a content digest that survives recompression, atomic writes."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

import cba
from cba.io.workbook import writer
from cba.io.workbook.package import content_digest
from cba.io.workbook.writer import SHEETS, write_workbook
from cba.spec.scenario import Scenario, reference_context
from tests import libreoffice as lo
from tests.io.workbook.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"


def test_sheets_in_reading_order(example_workbooks: dict[str, Path]) -> None:
    for stem, path in example_workbooks.items():
        names = openpyxl.load_workbook(path).sheetnames
        swept = stem == "volunteer_befriending_scale"
        scenario = cba.load_scenario(ROOT / "scenarios" / f"{stem}.yaml")
        uncertain = scenario.declares_uncertainty
        mapped = scenario.strategy_map is not None
        weighted = scenario.distributional_weights is not None
        expected = [
            s
            for s in SHEETS
            if (s != "Scale" or swept)
            and (s != "Uncertainty" or uncertain)
            and (s != "Strategy map" or mapped)
            and (s != "Distributional weights" or weighted)
            and s != "Draws"
        ]  # Draws only with cba run --full-draws
        assert names == ["Cover", *expected]


def test_charts_where_a_partner_expects_them(example_workbooks: dict[str, Path]) -> None:
    for path in example_workbooks.values():
        book = openpyxl.load_workbook(path)
        for title in ("Summary", "Cash flows", "Agencies"):
            assert book[title]._charts, f"{path.name}: no chart on {title}"
        with zipfile.ZipFile(path) as archive:
            charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
            assert len(charts) >= 3
            for name in charts:
                xml = archive.read(name)
                assert b'<delete val="0"' in xml  # axes visible in LibreOffice
                assert b'smooth val="1"' not in xml


def test_finance_formatting(example_workbooks: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(example_workbooks["balsall_heath_community_safety"])
    flows = book["Cash flows"]
    assert flows.freeze_panes == "G11"
    # year 0 (column G) and year 1 (H): year 0's discount rate is not an input (no factor uses it)
    styles = {
        flows.cell(row=r, column=c).style for r in range(1, flows.max_row + 1) for c in (7, 8)
    }
    assert {"cba input percent", "cba input money", "cba factor", "cba money"} <= styles
    assert book["Summary"].sheet_view.showGridLines is False
    for sheet in book.worksheets[1:]:  # the print scale: tests/io/workbook/test_printing.py
        assert sheet.page_setup.orientation == "landscape"


# A carriage return is refused at validation (a control character); a tab and a line break are
# allowed in text and must not let a formula through either.
HOSTILE = ['=HYPERLINK("http://x","click")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\n=2"]


def _hostile_scenario() -> Scenario:
    text = SCENARIO.read_text(encoding="utf-8")
    data = cba.load_scenario(SCENARIO).model_dump(mode="python")
    del text
    data["title"] = HOSTILE[0]
    data["agencies"][0]["name"] = HOSTILE[2]
    data["options"][1]["name"] = HOSTILE[1]
    data["options"][1]["costs"][1]["name"] = HOSTILE[3]
    data["options"][1]["costs"][1]["source"] = HOSTILE[4]
    data["options"][1]["benefits"][0]["name"] = HOSTILE[5]
    return Scenario.model_validate(data, context=reference_context(data))


def test_text_from_scenarios_never_becomes_a_formula(tmp_path: Path) -> None:
    scenario = _hostile_scenario()
    path = tmp_path / "hostile.xlsx"
    write_workbook(cba.run(scenario), scenario, {"command": "test"}, path)
    book = openpyxl.load_workbook(path)
    found = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and any(h in value for h in HOSTILE):
                    found += 1
                    assert cell.data_type == "s", f"{sheet.title}!{cell.coordinate}"
                    if value.startswith(("=", "+", "-", "@", "\t", "\n")):
                        assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate}"
    assert found >= len(HOSTILE)
    formulas = lo.formula_cells(path)
    assert not any("HYPERLINK" in f or "SUM(A1)" in f for f in formulas.values())


def test_hostile_text_stays_text_in_libreoffice(tmp_path: Path) -> None:
    lo.require_libreoffice()
    scenario = _hostile_scenario()
    path = tmp_path / "hostile.xlsx"
    write_workbook(cba.run(scenario), scenario, {"command": "test"}, path)
    recalculated = lo.recalculate([path], tmp_path / "out")[path]
    assert lo.compare_recalculated(path, recalculated) == []
    book = openpyxl.load_workbook(recalculated, data_only=True)
    assert book["Summary"]["A1"].value == HOSTILE[0]


def _run_cli(cwd: Path, tz: str, umask: int) -> bytes:
    env = {**os.environ, "TZ": tz}
    script = (
        f"import os, sys; os.umask({umask}); from cba.cli import main; "
        f"sys.exit(main(['run', {str(SCENARIO)!r}, '-o', 'book.xlsx', "
        "'--json', 'book.json', '-q']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    return (cwd / "book.xlsx").read_bytes()


def test_byte_identical_across_time_zones_and_umasks(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    one = _run_cli(first, "UTC", 0o022)
    two = _run_cli(second, "Asia/Tokyo", 0o077)
    assert hashlib.sha256(one).hexdigest() == hashlib.sha256(two).hexdigest()
    with zipfile.ZipFile(io.BytesIO(one)) as archive:
        core = archive.read("docProps/core.xml")
        assert b"2000-01-01T00:00:00Z" in core
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_content_digest_survives_recompression(example_workbooks: dict[str, Path]) -> None:
    data = example_workbooks["balsall_heath_community_safety"].read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(
                info,
                source.read(info.filename),
                compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=1,
            )
    assert buffer.getvalue() != data
    assert content_digest(buffer.getvalue()) == content_digest(data)
    tampered = data.replace(b"Resident street patrols", b"Resident street patrolz")
    assert tampered == data or content_digest(tampered) != content_digest(data)


def test_failed_run_leaves_existing_workbook_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "book.xlsx"
    scenario = cba.load_scenario(SCENARIO)
    write_workbook(cba.run(scenario), scenario, {"command": "test"}, target)
    before = target.read_bytes()

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer, "reproducible_xlsx", broken)
    with pytest.raises(RuntimeError):
        write_workbook(cba.run(scenario), scenario, {"command": "test"}, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_workbook_open_elsewhere_gives_clear_error(tmp_path: Path) -> None:
    from cba.cli import main

    target = tmp_path / "locked"
    target.mkdir()
    (target / "book.xlsx").mkdir()  # a folder where the file should go: cannot be replaced
    code = main(
        [
            "run",
            str(SCENARIO),
            "-o",
            str(target / "book.xlsx"),
            "--json",
            str(tmp_path / "r.json"),
            "-q",
        ]
    )
    assert code == 2
    assert (target / "book.xlsx").is_dir()
    shutil.rmtree(target)
