"""The front page: the story of the appraisal under the template's branding, on page 1."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

import cba
from cba.cli import main
from cba.io.terminal import money
from cba.io.workbook import front_page
from cba.io.workbook.summary import WATERFALL_STEPS
from tests import libreoffice as lo

ROOT = Path(__file__).resolve().parents[3]
BALSALL = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"


def _cover(book: Path) -> tuple[openpyxl.Workbook, int]:
    workbook = openpyxl.load_workbook(book)
    (title, coordinate), *_ = workbook.defined_names[front_page.STORY_NAME].destinations
    assert title == "Cover" == workbook.sheetnames[0] == workbook.active.title
    return workbook, int(coordinate.split("$")[-1])


def test_the_story_sits_under_the_branding(example_workbooks: dict[str, Path]) -> None:
    for stem, book in example_workbooks.items():
        workbook, first = _cover(book)
        sheet = workbook["Cover"]
        results = cba.run(cba.load_scenario(ROOT / "scenarios" / f"{stem}.yaml"), uncertainty=False)
        assert first > 7  # below the default template's branding (rows 1 to 7)
        texts = [str(c.value) for row in sheet.iter_rows(min_row=first) for c in row if c.value]
        for option in results.options:
            if option.is_counterfactual:
                continue
            assert any(option.name in t for t in texts), stem
            # the verdict is a formula of cba's own words and cell references only
            verdicts = [t for t in texts if t.startswith("=") and "NPSV" in t]
            assert verdicts and all(option.name not in t for t in verdicts)
            assert any("Who pays and who gains" in t for t in texts)
            for agency in option.agencies_incremental:
                gained = agency.pv_fiscal_gain + agency.pv_other_gain
                if any((agency.pv_paid, agency.pv_contributed, gained)):
                    assert agency.name in texts, (stem, agency.name)
        assert len(sheet._charts) == len(results.options) - 1


def test_waterfall_steps_end_at_the_npsv(example_workbooks: dict[str, Path]) -> None:
    for stem, book in example_workbooks.items():
        summary = openpyxl.load_workbook(book)["Summary"]
        cached = openpyxl.load_workbook(book, data_only=True)["Summary"]
        results = cba.run(cba.load_scenario(ROOT / "scenarios" / f"{stem}.yaml"), uncertainty=False)
        option = next(o for o in results.options if not o.is_counterfactual)
        labels = [str(c.value) for c in summary["A"]]
        first = labels.index(WATERFALL_STEPS[0][0]) + 1
        steps = [summary.cell(first + k, 1).value for k in range(len(WATERFALL_STEPS))]
        assert steps == [label for label, _, _ in WATERFALL_STEPS]
        assert all(str(summary.cell(first + k, 2).value).startswith("=") for k in range(6))
        last = first + len(WATERFALL_STEPS) - 1
        m = option.incremental
        assert cached.cell(last, 4).value == m.npsv, stem  # "To" of the last step
        assert cached.cell(last - 2, 4).value == m.npsv_excluding_community_inputs, stem
        # the running total before the net step: benefits less costs, to rounding
        before = cached.cell(last - 3, 4).value
        assert before == pytest.approx(m.npsv_excluding_community_inputs, rel=1e-12, abs=1e-6)


def test_page_one_tells_the_story(tmp_path: Path) -> None:
    soffice = lo.require_libreoffice()
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    assert main(["run", str(BALSALL), "-o", str(tmp_path), "-q"]) == 0
    book = tmp_path / "balsall_heath_community_safety.xlsx"
    profile = tmp_path / "profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(book),
        ],
        capture_output=True,
        timeout=300,
        check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    pdf = book.with_suffix(".pdf")
    assert pdf.exists()
    page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    results = cba.run(cba.load_scenario(BALSALL), sensitivity=False)
    option = results.option("resident_patrols")
    flat = " ".join(page.split())
    assert "Resident street patrols with priority policing" in flat
    assert f"net present social value (NPSV) is {money(option.incremental.npsv)}" in flat
    assert "Who pays and who gains" in flat
    assert "From benefits to net value" in flat
    assert results.uncertainty is not None
    chance = results.uncertainty.option("resident_patrols").probability_npsv_positive
    assert f"pays off (NPSV above zero) is {chance:.0%}" in flat


def _edited(book: Path, out: Path, pattern: bytes, replacement: bytes) -> None:
    """A copy of ``book`` with one substitution in the front page's XML (openpyxl would drop
    every cached value on saving)."""
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(pattern, replacement, data, count=1)
                assert count == 1, pattern
            dest.writestr(info, data)


def test_verify_checks_the_story_but_not_the_branding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["run", str(BALSALL), "-o", str(tmp_path), "-q", "--draws", "300"]) == 0
    book = tmp_path / "balsall_heath_community_safety.xlsx"
    workbook, first = _cover(book)
    sheet = workbook["Cover"]
    branded = tmp_path / "branded.xlsx"
    _edited(book, branded, rb"<t>cba</t>", b"<t>Our council</t>")  # A1: branding
    capsys.readouterr()
    assert main(["verify", str(branded), "--scenario", str(BALSALL)]) == 0, capsys.readouterr()
    # a figure in the story is compared: the first agency's PV paid
    row = (
        next(
            r
            for r in range(first, sheet.max_row + 1)
            if sheet.cell(r, 1).value == "Agency or group"
        )
        + 1
    )
    tampered = tmp_path / "tampered.xlsx"
    _edited(
        book,
        tampered,
        rb'(<c r="C' + str(row).encode() + rb'"[^>]*><v>)[^<]*(</v>)',
        rb"\g<1>999\g<2>",
    )
    capsys.readouterr()
    assert main(["verify", str(tampered), "--scenario", str(BALSALL)]) != 0
    out = capsys.readouterr()
    assert f"Cover!C{row}" in out.out + out.err
